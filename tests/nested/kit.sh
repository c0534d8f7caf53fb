#!/bin/sh
# kit.sh - fetch what l1run.sh boots: a Debian cloud kernel (vmlinuz and
# its KVM modules) and a static busybox, unpacked (dpkg -x, nothing
# installed on the host) into the kit directory, by default
# ${XDG_CACHE_HOME:-$HOME/.cache}/breadboard/nested. Prints the directory.
# Idempotent: a kit already there is kept (its `ok` file names the kernel).
#
#   kit.sh [DIR]
set -eu
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/breadboard/nested}
if [ -f "$dir/ok" ]; then echo "$dir"; exit 0; fi
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The metapackage names the current kernel; either image package has the
# same vmlinuz and modules (the signed one's kernel is signed for UEFI).
image_name() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1
}
image=$(image_name)
if [ -z "$image" ]; then            # a fresh machine: no package lists yet
    sudo=; [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    image=$(image_name)
fi
[ -n "$image" ] || { echo "kit.sh: apt knows no linux-image-cloud-amd64" >&2; exit 1; }
# (As root, apt says it downloads unsandboxed: that is all it says here.)
(cd "$tmp" && apt-get download "$image" busybox-static >"$tmp/apt.log" 2>&1) ||
    { cat "$tmp/apt.log" >&2; echo "kit.sh: apt-get download $image busybox-static failed" >&2; exit 1; }
for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root"; done
kver=${image#linux-image-}
mods=$tmp/root/lib/modules/$kver/kernel
mkdir -p "$dir/$kver"
cp "$tmp/root/boot/vmlinuz-$kver" "$dir/$kver/vmlinuz"
cp "$mods/virt/lib/irqbypass.ko" "$mods/arch/x86/kvm/kvm.ko" "$mods/arch/x86/kvm/kvm-amd.ko" "$dir/$kver/"
cp "$tmp/root/bin/busybox" "$dir/$kver/busybox"
echo "$kver" > "$dir/ok"
echo "$dir"
