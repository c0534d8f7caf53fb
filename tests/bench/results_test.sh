#!/bin/sh
# results_test.sh - tests/bench/results.awk, the step of `./run bench` that
# turns samples into the table's medians, ratios and verdicts, on samples
# made up here with known answers (a wrong verdict would mislead a reader
# of book/performance.md more than a wrong number).
set -u
here=$(dirname "$0")
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail=0
tab=$(printf '\t')

# ours 3, 1, 2 (median 2, low 1, high 3) against qemu 10, 8, 9, 11 (an
# even count: median 9.5); a floor with one sample; a constant bar; a
# side measured by a program that gives its own median, low and high; a
# figure with no samples and its reason; a peer missing.
cat > "$d/samples" <<E
a${tab}ours${tab}3
a${tab}qemu${tab}10
a${tab}ours${tab}1
a${tab}qemu${tab}8
a${tab}ours${tab}2
a${tab}qemu${tab}9
a${tab}qemu${tab}11
t${tab}ours${tab}30
t${tab}qemu${tab}10
s${tab}ours${tab}140.5
h${tab}ours${tab}12.5
h${tab}ours-min${tab}12
h${tab}ours-max${tab}14
h${tab}floor${tab}5
h${tab}floor-min${tab}4.5
h${tab}floor-max${tab}6
p${tab}ours${tab}7
E
cat > "$d/rows" <<E
a-q${tab}a${tab}ms${tab}qemu${tab}Q${tab}<=0.25${tab}A vs QEMU
a-big${tab}a${tab}ms${tab}qemu${tab}Q${tab}<=0.2${tab}A vs QEMU, tighter
t-up${tab}t${tab}MiB/s${tab}qemu${tab}Q${tab}>=2${tab}throughput
t-up3${tab}t${tab}MiB/s${tab}qemu${tab}Q${tab}>=3.5${tab}throughput, more
s-bar${tab}s${tab}KiB${tab}const:128${tab}128 KiB${tab}<=1${tab}size
h-f${tab}h${tab}ns${tab}floor${tab}F${tab}-${tab}host
gone${tab}boot-ready${tab}ms${tab}qemu${tab}Q${tab}<=0.25${tab}not here
p-q${tab}p${tab}ms${tab}qemu${tab}Q${tab}-${tab}peer missing
E
printf 'boot\tno /dev/kvm\nb\twrong prefix\n' > "$d/skips"
printf 's\t100\t4\t40000\n' > "$d/sizes"
: > "$d/reran"; : > "$d/clone"
awk -F'\t' -f "$here/results.awk" -v skips="$d/skips" -v sizes="$d/sizes" -v reran="$d/reran" \
    -v hdr=x -v clone_result="$d/clone" "$d/samples" "$d/rows" > "$d/out" || { echo "FAIL: awk failed"; exit 1; }

# expect ID COLUMN VALUE: the row's column (1-based) must be VALUE.
expect() {
    got=$(awk -F'\t' -v id="$1" -v c="$2" '$1 == id { print $c }' "$d/out")
    if [ "$got" = "$3" ]; then
        echo "ok   $1 column $2 = $3"
    else
        echo "FAIL $1 column $2: got '$got', want '$3'"
        fail=1
    fi
}
expect a-q 4 2;  expect a-q 5 1;  expect a-q 6 3;  expect a-q 8 9.5
expect a-q 9 8;  expect a-q 10 11; expect a-q 13 met; expect a-q 15 3
expect a-big 13 missed            # 2 / 9.5 = 0.21 > 0.2
expect t-up 13 met;  expect t-up3 13 missed   # 30 / 10 = 3
expect s-bar 8 128;  expect s-bar 13 missed  # 140.5 KiB > 128
expect s-bar 14 "text 100, data 4, bss 40000 bytes"
expect h-f 4 12.5; expect h-f 5 12; expect h-f 6 14; expect h-f 8 5; expect h-f 9 4.5
expect h-f 13 info
expect gone 13 "not measured: no /dev/kvm"
expect p-q 13 "not measured (Q): no samples"
r=$(awk -F'\t' '$1 == "a-q" { printf "%.4f", $11 }' "$d/out")
[ "$r" = 0.2105 ] && echo "ok   a-q ratio 2/9.5 = $r" || { echo "FAIL a-q ratio: got $r, want 0.2105"; fail=1; }
n=$(wc -l < "$d/out")
[ "$n" -eq 8 ] && echo "ok   one row out per row in" || { echo "FAIL: $n rows out, want 8"; fail=1; }
[ $fail -eq 0 ] && echo "results: every median, ratio and verdict as expected"
exit $fail
