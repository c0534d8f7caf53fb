#!/bin/sh
# flood_check_selftest.sh CHECKER - tests/flood_check on made-up consoles: the
# whole pattern of tests/kernel/tx-flood.c (its checksum is the one that
# kernel's expect: line names) matches, and a byte lost, changed or
# doubled, a missing start or summary line, and usage mistakes do not.
set -u
check=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad=0
sum=0x420c8a5d    # FNV-1a of the 1048576 pattern bytes (tx-flood.c's expect: line)

ok() { echo "ok $1"; }
fail() { echo "FAIL $1"; bad=1; }

# The pattern, made here with awk: line n is n in 8 hex digits, a space, 54
# characters of A..Za..z0..9 from the (n mod 62)th, and a newline.
awk 'BEGIN {
    a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"; a = a a
    for (n = 0; n < 16384; n++) printf "%08x %s\n", n, substr(a, n % 62 + 1, 54)
}' > "$t/pattern"
[ "$(wc -c < "$t/pattern")" -eq 1048576 ] || fail "the pattern is not 1 MiB"

# console BODY-FILE [START-LINE]: a console log around a flood body.
console() {
    printf 'breadboard: kernel for x64\r\n%s\n' "${2:-tx-flood: start$(printf '\r')}"
    cat "$1"
    printf 'tx-flood: sent 1048576 bytes, checksum %s\r\ntx-flood: pass\r\n' "$sum"
}

# run NAME WANT-STATUS WANT-TEXT [checker args] < console
run() {
    name=$1 want=$2 text=$3; shift 3
    "$check" "$@" > "$t/out" 2>&1; rc=$?
    if [ $rc -eq "$want" ] && grep -q -- "$text" "$t/out"; then ok "$name"
    else fail "$name (status $rc, wanted $want and \"$text\"):"; head -c 2000 "$t/out"; fi
}

console "$t/pattern" | run "the whole pattern matches" 0 "flood: 1048576 bytes, checksum $sum match"
console "$t/pattern" | run "lines outside the flood pass through" 0 "^tx-flood: pass"
console "$t/pattern" | "$check" > "$t/out"
if [ "$(wc -c < "$t/out")" -lt 1000 ]; then ok "the flood itself is not copied"
else fail "the flood was copied to the output ($(wc -c < "$t/out") bytes)"; fi
console "$t/pattern" 'tx-flood: start' | run "a start line that ends in a bare newline" 0 "match"
console "$t/pattern" | run "a reader that pauses" 0 "match" --pause 0.3

# Line 1000 (bytes 64000..64063) loses, changes or doubles something.
sed '1001s/^\(.\{20\}\)./\1/' "$t/pattern" > "$t/lost"
console "$t/lost" | run "a byte lost" 1 "mismatch: the guest sent 1048576"
console "$t/lost" | run "where the loss began" 1 "byte 64020 (line 1000, column 20)"
sed '1001s/^\(.\{20\}\)./\1#/' "$t/pattern" > "$t/changed"
console "$t/changed" | run "a byte changed" 1 "1048576 bytes, checksum 0x[0-9a-f]* mismatch"
sed '1001p' "$t/pattern" > "$t/doubled"
console "$t/doubled" | run "a line doubled" 1 "1048640 bytes.*mismatch"

{ printf 'tx-flood: start\r\n'; head -c 5000 "$t/pattern"; } | run "no summary line" 1 "without a summary line"
head -c 5000 "$t/pattern" | run "no start line" 1 "no \`tx-flood: start\` line"
printf 'tx-flood: start\r\ntx-flood: sent lots\r\n' | run "a summary it cannot read" 1 "cannot be read"
printf 'tx-flood: start\r\ntx-flood: sent 0 bytes, checksum 0x811c9dc5\r\n' |
    run "an empty flood is still a flood" 0 "flood: 0 bytes, checksum 0x811c9dc5 match"
run "an unknown option" 2 "usage" --slow < /dev/null
run "a bad pause" 2 "bad --pause" --pause soon < /dev/null
exit $bad
