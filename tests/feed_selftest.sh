#!/bin/sh
# feed_selftest.sh FEED - tests/feed on small commands: the input goes in
# only after the text, all of it and in order, the command's status comes
# back, and usage mistakes are refused.
set -u
feed=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad=0

ok() { echo "ok $1"; }
fail() { echo "FAIL $1"; bad=1; }

printf 'one\ntwo\nthree\n' > "$t/in"

# The command prints its marker only after a pause: if feed wrote early,
# `cat` would still print the input after `go`, so the command first looks
# for a byte already waiting (and prints `early`, spoiling the output).
"$feed" --after go --input "$t/in" -- sh -c '
    sleep 0.3
    [ -n "$(timeout 0.2 head -c 1)" ] && echo early
    printf g; sleep 0.2; echo o; cat; echo done' > "$t/out" 2>&1
rc=$?
printf 'go\none\ntwo\nthree\ndone\n' > "$t/want"
if [ $rc -eq 0 ] && cmp -s "$t/out" "$t/want"; then ok "input after a split marker"
else fail "input after a split marker (status $rc):"; cat "$t/out"; fi

# Much more than a pipe holds, to a slow reader: every byte, in order.
head -c 300000 /dev/urandom > "$t/big"
"$feed" --after ready --input "$t/big" -- sh -c 'echo ready >&2; sleep 0.5; cat > "$0"' "$t/got" > "$t/out" 2>&1
if [ $? -eq 0 ] && cmp -s "$t/big" "$t/got"; then ok "300000 bytes to a slow reader"
else fail "300000 bytes to a slow reader"; fi

"$feed" --after go --input "$t/in" -- sh -c 'echo go; cat > /dev/null; exit 7' > "$t/out" 2>&1
rc=$?
[ $rc -eq 7 ] && ok "exit status passed through" || fail "exit status: got $rc, want 7"

"$feed" --after go --input "$t/in" -- sh -c 'echo go; kill -TERM $$' > "$t/out" 2>&1
rc=$?
[ $rc -eq 143 ] && ok "killed by SIGTERM is 143" || fail "signal status: got $rc, want 143"

"$feed" --after never --input "$t/in" -- sh -c 'echo hello; exit 3' > "$t/out" 2>&1
rc=$?
if [ $rc -eq 3 ] && grep -q 'before "never" appeared' "$t/out"; then ok "marker never seen"
else fail "marker never seen (status $rc):"; cat "$t/out"; fi

# SIGTERM to feed reaches the command (tw's timeout signals feed only).
"$feed" --after go --input "$t/in" -- sh -c 'trap "echo got-term; exit 9" TERM; echo go; while :; do sleep 0.1; done' > "$t/out" 2>&1 &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
if [ $rc -eq 9 ] && grep -q got-term "$t/out"; then ok "SIGTERM forwarded"
else fail "SIGTERM forwarded (status $rc):"; cat "$t/out"; fi

usage() {
    what=$1; shift
    "$feed" "$@" > "$t/out" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && grep -q '^feed: ' "$t/out"; then ok "usage: $what"
    else fail "usage: $what (status $rc)"; cat "$t/out"; fi
}
usage "no arguments"
usage "no --input" --after go -- true
usage "no --after" --input "$t/in" -- true
usage "empty --after" --after '' --input "$t/in" -- true
usage "no command" --after go --input "$t/in" --
usage "no --" --after go --input "$t/in" true
usage "unknown option" --after go --input "$t/in" --bogus x -- true
usage "missing value" --after
usage "unreadable input" --after go --input "$t/no-such-file" -- true

"$feed" --after go --input "$t/in" -- "$t/no-such-command" > "$t/out" 2>&1
rc=$?
[ $rc -eq 127 ] && ok "command not found is 127" || fail "command not found: got $rc"
exit $bad
