#!/bin/sh
# flood.sh CHECKER [--pause SECONDS] TARGET KERNEL [boot args] - boot a kernel
# that floods its console (tests/kernel/tx-flood.c) with CHECKER
# (tests/flood_check) reading the console: it passes every line through
# except the flood's 1 MiB and says whether the bytes match what the guest
# says it sent. With --pause the checker reads nothing for that long once
# the flood has started: the emulator's pipe fills, and the guest must be
# held back without a byte lost. Exits with boot's status if that is not
# 0, else with the checker's.
#
# boot's output reaches the checker through a named pipe rather than `|`,
# so this shell knows both processes: it waits for each (boot's status
# comes back without a scratch file) and passes a TERM or INT from tw's
# timeout on to both (boot stops its emulator in turn).
set -u
check=$1; shift
pause=
if [ "${1:-}" = --pause ]; then pause=$2; shift 2; fi
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/console" || exit 1
"$(dirname "$0")/boot" "$@" > "$dir/console" < /dev/null &
boot=$!
if [ -n "$pause" ]; then
    "$check" --pause "$pause" < "$dir/console" &
else
    "$check" < "$dir/console" &
fi
checker=$!
trap 'kill $boot $checker 2>/dev/null' TERM INT
wait $boot; b=$?
# A signal ends `wait` early: wait again until boot has really gone.
while kill -0 $boot 2>/dev/null; do wait $boot; b=$?; done
wait $checker; c=$?
while kill -0 $checker 2>/dev/null; do wait $checker; c=$?; done
echo "flood.sh: boot status $b, checker status $c"
[ "$b" -ne 0 ] && exit "$b"
exit "$c"
