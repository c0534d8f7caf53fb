#!/bin/sh
# vcon.sh INPUT TARGET KERNEL [emulator arguments] - boot a kernel (tests/boot)
# with a host end for a virtio console: QEMU's chardev `vcon`, which the
# arguments attach (`-device virtconsole,chardev=vcon`). The bytes in file
# INPUT are typed into it as the guest posts receive buffers; what the guest
# sends on it is printed after the run, each line prefixed `vcon> `, so that
# a test's expectations do not depend on how two output streams interleave.
#
# QEMU 7.2's file chardev takes no input, so the host end is a pipe
# chardev: two FIFOs, PATH.in (QEMU reads) and PATH.out (QEMU writes), in a
# scratch directory outside the tree. QEMU opens both read-write, so
# neither side blocks on the other's open, and the output FIFO's reader
# sees its end when QEMU exits. Exits with boot's status.
#
# Our monitor (TARGET x64-vm) has its consoles built in: `--input virtio`
# gives it INPUT on stdin, and what the guest sends on a virtio console
# goes out with COM1's output, in the order the guest sent it, unprefixed.
set -u
input=$1; shift
here=$(dirname "$0")
if [ "$1" = x64-vm ]; then
    exec "$here/boot" "$@" --input virtio < "$input"
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkfifo "$d/vc.in" "$d/vc.out"
cat "$d/vc.out" > "$d/vc.log" &
reader=$!
cat "$input" > "$d/vc.in" &
writer=$!
"$here/boot" "$@" -chardev pipe,id=vcon,path="$d/vc"
rc=$?
# A kernel that never read its input leaves the writer waiting for room.
kill $writer 2>/dev/null
wait $reader
sed 's/^/vcon> /' "$d/vc.log"
exit $rc
