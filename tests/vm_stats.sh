#!/bin/sh
# vm_stats.sh BBVM KERNEL - `bbvm --stats` prints every device the chipset
# builder holds, with the accesses the kernel made to it. The demo kernel
# writes the UART and the debug-exit port, programs the 8259 pair (remap and
# mask) and the IOAPIC (masking every pin), so each count below is non-zero
# where the kernel touched the device.
#
# expect: bbvm: device com1       port reads
# expect: bbvm: device debug-exit port reads 0 writes 1,
# expect: bbvm: device pic-master port reads 0 writes 5,
# expect: bbvm: device pic-slave  port reads 0 writes 5,
# expect: bbvm: device ioapic     port reads 0 writes 0, MMIO reads
# The device loop's own line: it ran, and took the six bytes given to it on
# standard input into the UART (the demo kernel never reads them).
# expect: waits; input 6 bytes
# expect-status: 3
# (status 3: the kernel's 0, written as 0 + 1 to the debug-exit port, which
# exits (1 << 1) | 1, as QEMU's isa-debug-exit does)
printf 'hello\n' | "$1" -s "$2"
