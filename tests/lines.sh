#!/bin/sh
# lines.sh COMMAND [ARG...] - run COMMAND with its standard output passed
# on a whole line at a time, and exit with COMMAND's status.
#
# bbvm writes the guest's console to standard output from its device loop
# and its own warnings to standard error from the vCPU thread; where both
# go to one file (a test's log) a warning may land inside a guest line
# that was half written. Nothing orders the two streams, so a test that
# judges the guest's lines must see them whole: through this, the other
# stream can only come between lines.
set -u
exec 4>&1
rc=$({ { "$@"; echo $? >&5; } | sed -u '' >&4; } 5>&1)
exit "${rc:-1}"
