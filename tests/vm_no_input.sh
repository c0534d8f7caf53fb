#!/bin/sh
# vm_no_input.sh BBVM KERNEL - by default bbvm's UART reads standard input,
# so a kernel that never reads still takes it from whoever shares it; with
# -n (--no-input) bbvm leaves it for the next reader, as `ssh -n` does.
#
# expect: with -n: [abc]
# expect: default: []
set -u
printf 'abc\n' | { "$1" -n "$2" > /dev/null 2>&1; echo "with -n: [$(cat)]"; }
printf 'abc\n' | { "$1" "$2" > /dev/null 2>&1; echo "default: [$(cat)]"; }
