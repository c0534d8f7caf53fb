#!/bin/sh
# alone.sh ROOT NAME - the appendix example of hdr/NAME.h works with that
# header alone, as it would in somebody else's project.
#
# A scratch directory receives only book/alone/NAME.c and hdr/NAME.h (and,
# for async.h, the irq.h it includes: the appendix says so). The example is
# compiled there as C11, hosted, with every warning an error, under ASan and
# UBSan; it must exit 0 and print exactly book/alone/NAME.expect, which the
# chapter shows as its output. An example checks its own answers too: a
# wrong one prints why and exits 1.
set -eu
root=$(realpath "$1")
name=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
ex=$root/book/alone/$name.c
want=$root/book/alone/$name.expect
[ -f "$ex" ] || { echo "alone: no example $ex"; exit 1; }
[ -f "$want" ] || { echo "alone: no expected output $want"; exit 1; }
cp "$ex" "$t/main.c"
cp "$root/hdr/$name.h" "$t/"
case $name in async) cp "$root/hdr/irq.h" "$t/" ;; esac
echo "alone: $(cd "$t" && ls | tr '\n' ' ')"
cd "$t"
# The example may include only its header, and the C library.
if grep -n '#include *"' main.c | grep -v "\"$name.h\""; then
    echo "alone: main.c includes a file other than $name.h"; exit 1
fi
gcc -std=c11 -Wall -Wextra -Werror -pedantic -O1 -g \
    -fsanitize=address,undefined -fno-sanitize-recover=all \
    -I. main.c -o example
rc=0
./example > got.txt 2> err.txt || rc=$?
cat err.txt
if [ $rc -ne 0 ]; then
    echo "alone: the example exited $rc; it printed:"; cat got.txt; exit 1
fi
if ! diff -u "$want" got.txt; then
    echo "alone: output differs from book/alone/$name.expect (above: - want, + got)"; exit 1
fi
echo "alone: $name.h works on its own: $(wc -l < got.txt) lines as the chapter shows"
