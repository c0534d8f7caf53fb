#!/bin/bash
# l1run.sh - run a test command that needs KVM inside a Linux guest (the
# "L1") booted under QEMU TCG with AMD SVM emulated, so that /dev/kvm
# exists there although this host has none. Speed is no goal: the point
# is that bbvm's KVM paths run, functionally, everywhere.
#
#   l1run.sh [-t SECONDS] -- COMMAND [ARG...]
#
# Run from anywhere in the tree (tests/tw runs it from tests/). The guest
# gets, at the same place relative to the tree's root, a copy of every
# argument that names an existing file, of vm/bbvm, and of the scripts
# in tests/, plus the shared libraries those programs load (as ldd says),
# /bin/sh (dash) and GNU timeout, date and sed; busybox does the rest. It runs
# COMMAND in the same directory, with /dev/kvm from kvm_amd, prints its
# output (standard output and error together, byte for byte, through a
# serial port of its own; the guest's console goes to a scratch file) and
# exits with its status. Other exits:
#   124  the guest did not finish COMMAND in SECONDS (default 600)
#   125  no kit (tests/nested/kit.sh fetches it), or the guest failed
#        before or around COMMAND; the reason goes to standard error
# $BREADBOARD_NESTED names the kit directory (kit.sh prints it);
# L1RUN_DEBUG=1 shows the guest's whole console.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
timeout=600
if [ "${1:-}" = -t ]; then timeout=$2; shift 2; fi
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "usage: l1run.sh [-t SECONDS] -- COMMAND [ARG...]" >&2; exit 125; }
fail() { echo "l1run: $*" >&2; exit 125; }

kit=${BREADBOARD_NESTED:-${XDG_CACHE_HOME:-$HOME/.cache}/breadboard/nested}
[ -f "$kit/ok" ] || fail "no kit in $kit (tests/nested/kit.sh fetches one)"
k=$kit/$(cat "$kit/ok")
for f in vmlinuz busybox irqbypass.ko kvm.ko kvm-amd.ko; do
    [ -f "$k/$f" ] || fail "kit $k lacks $f"
done
cwd=$(pwd -P)
case $cwd/ in "$root"/*) rel=${cwd#"$root"} ;; *) fail "run from inside the tree ($root)" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/l1run.XXXXXX") || fail "mktemp"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
g=$work/root
mkdir -p "$g"/bin "$g"/dev "$g"/proc "$g"/sys "$g"/tmp "$g"/mod "$g/w$rel"
cp "$k/busybox" "$g/bin/busybox"
cp "$k/irqbypass.ko" "$k/kvm.ko" "$k/kvm-amd.ko" "$g/mod/"

# put HOSTPATH GUESTPATH: copy a file, and the libraries of an ELF.
put() {
    mkdir -p "$g$(dirname "$2")"
    cp -L --preserve=mode "$1" "$g$2" || fail "cannot copy $1"
    if [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p' |
        while read -r lib; do
            [ -e "$g$lib" ] || { mkdir -p "$g$(dirname "$lib")"; cp -L "$lib" "$g$lib"; }
        done
    fi
}
# In the tree, by its path from the root; anything else as it is.
put_tree() {
    local p
    p=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
    case $p in "$root"/*) put "$1" "/w${p#"$root"}" ;; esac
}
put /bin/dash /bin/sh
put "$(command -v timeout)" /usr/local/bin/timeout
put "$(command -v date)" /usr/local/bin/date
put "$(command -v sed)" /usr/local/bin/sed
[ -x "$root/vm/bbvm" ] && put "$root/vm/bbvm" /w/vm/bbvm
for f in "$root"/tests/boot "$root"/tests/*.sh "$root"/tests/*.awk "$root"/tests/bench/*.sh; do
    put_tree "$f"
done
# Arguments, and the words inside them (sh -c 'prog ARG && ...').
set -f                          # split the words, but expand no pattern
for a in "$@"; do
    for w in $a; do
        if [ -f "$w" ]; then put_tree "$w"; fi
    done
done
set +f

# COMMAND, quoted for the guest's sh.
q() { printf "'%s' " "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{ printf 'cd /w%s || exit 125\n' "$rel"; for a in "$@"; do q "$a"; done; echo; } > "$g/l1cmd"
cat > "$g/init" <<'INIT'
#!/bin/busybox sh
# ttyS1 is the console (kernel and these lines); ttyS0 carries only the
# command's bytes, raw, to l1run's standard output.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/bin
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in irqbypass kvm kvm-amd; do
    insmod /mod/$m.ko || echo "l1run-init: insmod $m failed"
done
[ -c /dev/kvm ] || echo "l1run-init: no /dev/kvm (CPU flags: $(grep -o -w -E 'svm|npt' /proc/cpuinfo | sort -u | tr '\n' ' '))"
stty -F /dev/ttyS0 raw -echo
sh /l1cmd < /dev/null > /dev/ttyS0 2>&1
echo "L1RUN-END $?"
poweroff -f
INIT
chmod +x "$g/init"
(cd "$g" && find . | "$k/busybox" cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.gz" ||
    fail "cannot build the initramfs"

# The command's bytes come out of ttyS0 on our standard output; the
# console goes to a file. --foreground: QEMU stays in our process group
# (tup watches the group's file accesses).
log=$work/console
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -accel tcg -cpu max -m 1G -smp 1 \
    -display none -nodefaults -monitor none -no-reboot \
    -serial stdio -serial "file:$log" \
    -kernel "$k/vmlinuz" -initrd "$work/initrd.gz" \
    -append "console=ttyS1 quiet loglevel=3 panic=-1" </dev/null 2>"$work/qemu.err"
qrc=$?
[ "${L1RUN_DEBUG:-0}" = 1 ] && cat "$log" >&2
tr -d '\r' < "$log" > "$log.txt" 2>/dev/null
grep '^l1run-init:' "$log.txt" >&2
rc=$(sed -n 's/^L1RUN-END \([0-9]*\)$/\1/p' "$log.txt" | tail -n 1)
if [ -z "$rc" ]; then
    [ "$qrc" = 124 ] && { echo "l1run: the guest did not finish in ${timeout}s" >&2; exit 124; }
    echo "l1run: the guest ended without a status; its console's last lines:" >&2
    tail -n 20 "$log.txt" >&2
    cat "$work/qemu.err" >&2
    exit 125
fi
exit "$rc"
