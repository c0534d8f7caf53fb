#!/bin/sh
# stopwatch_test.sh STOPWATCH MEMHOG - what tests/bench/stopwatch must get
# right for `./run bench` to be true: the ready text found across reads,
# the command's status and byte count, the timeout, input held open until
# ready and then the --after-ready bytes, and --mem's split of resident
# memory into guest RAM and the rest. Times are checked only from below
# (a sleep guarantees a least time, never a most).
set -u
sw=$1 hog=$2
fail=0
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
field() { echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'; }
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
is() { [ "$2" = "$3" ] && ok "$1: $2" || bad "$1: got '$2', want '$3'"; }
atleast() { awk -v a="$2" -v b="$3" 'BEGIN { exit !(a + 0 >= b + 0) }' && ok "$1: $2 >= $3" || bad "$1: $2 is under $3"; }

# The ready text split over two writes 0.2 s apart; the status; the bytes.
l=$("$sw" --ready READY -- sh -c 'printf "xx REA"; sleep 0.2; printf "DY\n"; sleep 0.3; exit 5')
echo "$l"
is "status" "$(field "$l" status)" 5
is "bytes" "$(field "$l" out_bytes)" 9
atleast "ready after the second write" "$(field "$l" ready_ms)" 200
atleast "exit after ready" "$(field "$l" exit_ms)" "$(awk -v r="$(field "$l" ready_ms)" 'BEGIN { print r + 300 }')"

# Text that never comes; a command killed at the timeout.
l=$("$sw" --ready NEVER --timeout 0.5 -- sleep 30)
echo "$l"
is "ready never seen" "$(field "$l" ready_ms)" "-"
is "timeout" "$(field "$l" status)" timeout
atleast "killed at the timeout" "$(field "$l" exit_ms)" 500

# Input: the first line at once, the second only after ready.
printf 'one\n' > "$d/in"; printf 'two\n' > "$d/after"
l=$("$sw" --ready "got one" --stdin "$d/in" --after-ready "$d/after" -- sh -c 'read a; echo "got $a"; read b; echo "then $b"')
echo "$l"
is "both lines read (got one, then two: 8 + 9 bytes)" "$(field "$l" out_bytes)" 17
# Without --after-ready, input ends at ready.
l=$("$sw" --ready "got one" --stdin "$d/in" -- sh -c 'read a; echo "got $a"; read b; echo "then $b"')
is "input closed at ready (then an empty line: 8 + 6 bytes)" "$(field "$l" out_bytes)" 14

# Memory: 64 MiB of "guest RAM" with 8 MiB touched, 16 MiB of its own.
l=$("$sw" --ready ready --mem --ram 67108864 --stdin /dev/null -- "$hog" 67108864 8388608 16777216)
echo "$l"
g=$(field "$l" guest_kib) m=$(field "$l" mon_kib)
[ "$g" -ge 8192 ] && [ "$g" -le 8200 ] && ok "guest RAM resident: $g KiB (8192 touched)" || bad "guest RAM resident: $g KiB, want 8192..8200"
[ "$m" -ge 16384 ] && [ "$m" -le 24576 ] && ok "the rest: $m KiB (16384 of its own, plus libc)" || bad "the rest: $m KiB, want 16384..24576"
is "status" "$(field "$l" status)" 0
# A usage error is one.
"$sw" --after-ready x -- true > /dev/null 2>&1; is "--after-ready without --stdin" $? 2

[ $fail -eq 0 ] && echo "stopwatch: every check passed"
exit $fail
