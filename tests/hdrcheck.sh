#!/bin/sh
# hdrcheck.sh HEADER - a header in hdr/ must stand alone, wherever it is dropped.
#
#   1. it compiles by itself, freestanding, as C11 and as C++11, with gcc and
#      clang, -Wall -Wextra -Werror -pedantic, with and without NAME_IMPLEMENTATION;
#   2. two translation units link: one holds the implementation, the other
#      (C++) only the declarations and calls every public function through them,
#      which also proves the extern "C" guards;
#   3. with NAME_STATIC both units may hold the implementation without a clash;
#   4. it compiles as C11 for every kernel's target, with that arch's own
#      compiler and flags (KCC and ARCHFLAGS of arch/*/Tupfile), with and
#      without NAME_IMPLEMENTATION: the kernels include these headers, and a
#      32-bit target (arm32) is where a long that is not 64 bits shows.
set -eu
h=$(realpath "$1")
name=$(basename "$h" .h)
N=$(printf %s "$name" | tr a-z A-Z | tr -c 'A-Z0-9' _)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
W="-Wall -Wextra -Werror -pedantic -ffreestanding"

for cc in gcc clang; do
    for lang in "c -std=c11" "c++ -std=c++11"; do
        for impl in "" "-D${N}_IMPLEMENTATION" "-D${N}_IMPLEMENTATION -D${N}_STATIC"; do
            echo "compile: $cc -x $lang $impl"
            $cc -x $lang $W $impl -fsyntax-only -include "$h" /dev/null
        done
    done
done

printf '#define %s_IMPLEMENTATION\n#include "%s"\n' "$N" "$h" > "$t/impl.c"
gcc -std=c11 $W -c "$t/impl.c" -o "$t/impl.o"
syms=$(nm --defined-only "$t/impl.o" | awk '$2 == "T" { print $3 }')
[ -n "$syms" ] || { echo "no public functions found in $name.h"; exit 1; }
{
    printf '#include "%s"\n' "$h"
    printf 'typedef void (*fn)(void);\nfn refs[] = {\n'
    for s in $syms; do printf '    reinterpret_cast<fn>(&%s),\n' "$s"; done
    printf '};\nint main() { return refs[0] ? 0 : 1; }\n'
} > "$t/use.cpp"
echo "link: C implementation + C++ user of: $(echo $syms)"
g++ -std=c++11 -Wall -Wextra -Werror -pedantic -c "$t/use.cpp" -o "$t/use.o"
g++ "$t/impl.o" "$t/use.o" -o "$t/linked"
"$t/linked"

printf '#define %s_STATIC\n#define %s_IMPLEMENTATION\n#include "%s"\n' "$N" "$N" "$h" > "$t/s1.c"
printf '%s\nint main(void) { return 0; }\n' "$(cat "$t/s1.c")" > "$t/s2.c"
echo "link: two units, each with a static implementation"
gcc -std=c11 $W "$t/s1.c" "$t/s2.c" -o "$t/static"
for tf in "$(dirname "$0")"/../arch/*/Tupfile; do
    kcc=$(sed -n 's/^KCC = //p' "$tf")
    af=$(sed -n 's/^ARCHFLAGS = //p' "$tf")
    [ -n "$kcc" ] || continue
    for impl in "" "-D${N}_IMPLEMENTATION"; do
        echo "compile: $kcc $af -x c -std=c11 $impl"
        $kcc $af -x c -std=c11 $W $impl -fsyntax-only -include "$h" /dev/null
    done
done
echo "hdrcheck: $name.h stands alone"
