#!/bin/sh
# qtest_garbage.sh BBVM - the qtest peer is untrusted input (book/security.md,
# rule 1): thousands of malformed requests, made the same way every run,
# must each get one FAIL (or, by chance, a well-formed answer) and never
# crash, hang or wedge the board, which still answers a real request after.
set -eu
bbvm=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

awk 'BEGIN {
    srand(20261206)
    split("outb outw outl inb inw inl readb readw readl readq writeb writew writel writeq read write memset clock_step clock_set irq_intercept_in irq_intercept_out extint_ack eoi uart_tx uart_rx system_reset endianness frob IRQ OK", verb, " ")
    split("0x 0x3f8 0x10000 -1 18446744073709551615 18446744073709551616 0xfec00000 0xffffffffffffffff 099 0x0x1 1e3 ioapic pic nothing 0xzz 0x123 70000 0 01 0xFFFFFFFF +5", word, " ")
    junk = "abcXYZ019 ,.;:!?/\\|\t\r{}[]()<>=-_*&^%$#@~`\"'\''"
    for (i = 0; i < 4000; i++) {
        line = verb[int(rand() * 31) + 1]
        n = int(rand() * 6)
        for (k = 0; k < n; k++) {
            if (rand() < 0.7) line = line " " word[int(rand() * 21) + 1]
            else { w = ""; m = int(rand() * 12) + 1
                   for (j = 0; j < m; j++) w = w substr(junk, int(rand() * length(junk)) + 1, 1)
                   line = line " " w }
        }
        print line
    }
    long = ""; for (i = 0; i < 1024; i++) long = long "outb 0x80 0x"
    for (i = 0; i < 30; i++) printf "%s", long; print ""
}' > "$t/in"
printf 'inb 0x3fd\000 0x1\ninb 0x3fd\n' >> "$t/in"   # a NUL inside a request, then a real one
# Which lines must get an answer: all but those of only blanks (the
# generator makes some: its 31st verb is the empty word). Requests are
# numbered by line, blank ones included.
want=$(awk '/[^ \t\r]/ { n++ } END { print n }' "$t/in")
lines=$(wc -l < "$t/in")
status=0
timeout --foreground 60 "$bbvm" --qtest < "$t/in" > "$t/out" 2> "$t/err" || status=$?
if [ "$status" -ne 0 ]; then
    echo "qtest_garbage: bbvm exited $status; stderr (last lines):"
    tail -n 5 "$t/err"
    exit 1
fi
answers=$(grep -c -E '^(OK|FAIL)' "$t/out" || true)
other=$(grep -v -c -E '^(OK( .*)?|FAIL .*|IRQ (raise|lower) [0-9]+|MSI 0x[0-9a-f]+ 0x[0-9a-f]+)$' "$t/out" || true)
fails=$(grep -c '^FAIL line' "$t/out" || true)
echo "qtest_garbage: $want requests, $answers answers ($fails FAIL), $other malformed answer lines"
[ "$answers" -eq "$want" ] || { echo "qtest_garbage: want one answer per request"; exit 1; }
[ "$other" -eq 0 ] || { echo "qtest_garbage: answers that are not OK/FAIL/IRQ/MSI lines:"; grep -v -E '^(OK|FAIL|IRQ|MSI)' "$t/out" | head -5; exit 1; }
[ "$fails" -gt 3500 ] || { echo "qtest_garbage: too few FAILs: the garbage was not garbage"; exit 1; }
grep -q "^FAIL line $((lines - 2)): longer than" "$t/out" || { echo "qtest_garbage: the long line was not refused"; exit 1; }
grep -q "^FAIL line $((lines - 1)): a NUL byte" "$t/out" || { echo "qtest_garbage: the NUL line was not refused"; exit 1; }
last=$(tail -n 1 "$t/out")
case $last in
"OK 0x"*) echo "qtest_garbage: the board still answers: inb 0x3fd -> $last" ;;
*) echo "qtest_garbage: the last request got '$last'"; exit 1 ;;
esac
