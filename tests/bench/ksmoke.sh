#!/bin/sh
# ksmoke.sh TARGET KERNEL "FIGURE..." [boot arguments] - the suite's smoke
# test of the benchmark kernel (tests/bench/kbench.c): boot it (tests/boot)
# with the arguments, which should ask for `bench-small`, print what it
# printed, then let kbench_check.sh say whether every FIGURE named ran to
# its end with a well-formed line. Under TCG the numbers say nothing about
# speed; this checks only that `./run bench` will find them.
#
# On QEMU the virtio console, if the arguments attach one
# (`-device virtconsole,chardev=vcon`), writes to a file of its own, as in
# tests/bench/bench.sh; on our monitor it shares COM1's output.
set -u
here=$(dirname "$0")
target=$1 kernel=$2 figs=$3
shift 3
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
case $target in
x64-vm) ;;
*) set -- -chardev "file,id=vcon,path=$d/vcon.out" "$@" ;;
esac
"$here/../boot" "$target" "$kernel" "$@" > "$d/log" 2>&1 && rc=0 || rc=$?
cat "$d/log"
if [ $rc -ne 0 ]; then
    echo "ksmoke: the kernel ended with status $rc, not 0"
    exit 1
fi
"$here/kbench_check.sh" "$d/log" $figs && rc=0 || rc=$?
[ $rc -ne 0 ] || echo "ksmoke: every figure printed its line: $figs"
exit $rc
