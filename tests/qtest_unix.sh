#!/bin/sh
# qtest_unix.sh BBVM PEER - `bbvm --qtest=unix:PATH` connects to a socket a
# peer listens on, as QEMU connects to libqtest's, and serves the same
# protocol there: the same transcripts give the same answers and the same
# exit status over the socket as over standard input and output. A socket
# nobody listens on, and a --qtest spec that is not one, are clear errors.
set -eu
bbvm=$1 peer=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
for s in qtest/uart-pic.qt qtest/ioapic-msi.qt qtest/exit.qt; do
    grep -v -E '^(#|< |$)' "$s" > "$t/req"
    a=0; b=0
    "$bbvm" --qtest < "$t/req" > "$t/stdio" 2> "$t/err" || a=$?
    "$peer" "$bbvm" < "$t/req" > "$t/sock" 2>> "$t/err" || b=$?
    if [ "$a" -ne "$b" ] || ! cmp -s "$t/stdio" "$t/sock"; then
        echo "qtest_unix: $s: stdio (status $a) and the socket (status $b) differ:"
        diff -u "$t/stdio" "$t/sock" || true
        cat "$t/err"
        exit 1
    fi
    echo "qtest_unix: $s: $(wc -l < "$t/sock") answers over the socket, status $b, as over stdio"
done
st=0
"$bbvm" --qtest=unix:"$t/nobody.sock" < /dev/null 2> "$t/err" || st=$?
grep -q "^bbvm: qtest: cannot connect to $t/nobody.sock: " "$t/err" && [ "$st" -eq 6 ] ||
    { echo "qtest_unix: no listener: status $st, said: $(cat "$t/err")"; exit 1; }
st=0
"$bbvm" --qtest=tcp:1234 < /dev/null 2> "$t/err" || st=$?
grep -q "^bbvm: bad --qtest 'tcp:1234'" "$t/err" && [ "$st" -eq 2 ] ||
    { echo "qtest_unix: bad spec: status $st, said: $(cat "$t/err")"; exit 1; }
echo "qtest_unix: no listener -> status 6; a bad spec -> status 2"
