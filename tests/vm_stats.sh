#!/bin/sh
# vm_stats.sh BBVM KERNEL - `bbvm --stats` prints every device the chipset
# builder holds, with the accesses the guest made to it, then the device
# loop's and the vCPU's own counts. KERNEL is the demo kernel
# (arch/common/kmain.c on arch/x64), fed six bytes it never reads, and
# booted with `virtio=off`: the counts below are the chipset's, and the
# virtio drivers' accesses (tests/kernel/virtio-test.c has its own tests)
# would add IOAPIC programming for the virtio-mmio lines.
#
# Every number the guest's code fixes is pinned; only those that depend on
# timing stay patterns. bbvm's lines are copied to the log, then this
# script restates each device's counts as one line ending in "." (tw
# matches substrings: "writes 97" alone would also match "writes 970"),
# and the expectations below check those.
#
# What varies, and why:
# - com1's absolute counts: the kernel prints timestamps, loop counts and
#   the TSC's frequency, whose digits differ from run to run and host to
#   host; so does the vCPU's exit count, which includes every byte.
# - the device loop's passes and waits, and the watchdog's kicks (one a
#   second: a slow host may run the demo past one).
#
# expect: waits; input 6 bytes
# The six bytes of "hello\n" below, each handed to the UART: its 16-byte
# FIFO has room for all of them once the kernel's FCR write has enabled it
# (before that, the UART holds one and bbvm keeps the rest back until the
# guest makes room). The bytes are there before bbvm starts, and the demo
# runs for tens of milliseconds after that FCR write, so the device loop
# hands all six over before the guest exits. (The one assumption: the host
# runs the device loop's thread at some point in those milliseconds.)
#
# expect: exits; no kick for the 8259,
# The 8259 pair's output never rises: the kernel masks every input (below)
# and never enables a UART interrupt, so nothing kicks the vCPU for it.
#
# expect: vm_stats: com1: port writes - reads = 6; MMIO reads 0, writes 0.
# The driver's init is 7 writes (IER, LCR, DLL, DLM, LCR, FCR, MCR) and no
# read; then each byte printed is one LSR read, which finds THRE set (the
# model sends a byte at once and sets THRE again), and one THR write; at
# the end platform_exit() flushes the console (arch/x64/console.c): one
# more LSR read, which finds TEMT set, the line idle. 7 - 1.
#
# expect: vm_stats: debug-exit: port reads 0, writes 1; MMIO reads 0, writes 0.
# One OUT, and the run ends.
#
# expect: vm_stats: 8259 pair and ELCR: port reads 0, writes 10; MMIO reads 0, writes 0.
# The remap: ICW1-4 and a full mask (OCW1) on each chip, 5 + 5 writes; the
# IOAPIC carries every line, so nothing else touches the pair or the ELCR.
# (Summed over the devices named pic* or elcr, however the board splits
# the pair into chipset devices.)
#
# expect: vm_stats: ioapic: port reads 0, writes 0; MMIO reads 2, writes 98.
# arch/x64/platform.c's ioapic_init() reads the version register twice
# (ioapic_drv_pins() and ioapic_drv_version()), each an IOREGSEL write and
# an IOWIN read; then it masks each of the model's 24 pins with
# ioapic_drv_write_entry(): two register writes (the entry's high and low
# dwords), each an IOREGSEL write and an IOWIN write. 2 reads, 2 + 24 x 4
# = 98 writes. The demo's interrupts (its doorbell and the timer) are the
# LAPIC's own, so nothing reprograms a pin later.
#
# expect: vm_stats: acpi-pm: port reads 0, writes 0; MMIO reads 0, writes 0.
# The kernel reads the FADT's description of the PM block but never uses it.
#
# expect-status: 3
# (status 3: the kernel's 0, written as 0 + 1 to the debug-exit port, which
# exits (1 << 1) | 1, as QEMU's isa-debug-exit does)
set -u
err=$(mktemp) || exit 2
trap 'rm -f "$err"' EXIT

# A here-document: the six bytes wait on standard input before bbvm starts.
"$1" -s -c virtio=off "$2" 2> "$err" <<EOF
hello
EOF
rc=$?
cat "$err"

# "bbvm: device NAME port reads R writes W, MMIO reads R writes W"
awk '
$1 == "bbvm:" && $2 == "device" && $4 == "port" {
    name = $3
    if (name ~ /^pic/ || name == "elcr")
        name = "8259 pair and ELCR"
    if (!(name in pr))
        order[++n] = name
    pr[name] += $6; pw[name] += $8; mr[name] += $11; mw[name] += $13
}
END {
    for (i = 1; i <= n; i++) {
        d = order[i]
        if (d == "com1")
            printf "vm_stats: com1: port writes - reads = %d;", pw[d] - pr[d]
        else
            printf "vm_stats: %s: port reads %d, writes %d;", d, pr[d], pw[d]
        printf " MMIO reads %d, writes %d.\n", mr[d], mw[d]
    }
}' "$err"
exit $rc
