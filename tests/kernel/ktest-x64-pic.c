/* ktest-x64-pic.c - the 8259 pair alone: the console UART's interrupt goes
   through the PIC, reaches the CPU as an ExtINT through the LAPIC's LINT0,
   is ended at the PIC and handled from the loop. On our monitor the PIC is
   the userspace model (hdr/pic8259.h) and the monitor injects its vector
   through the interrupt window; on QEMU it is QEMU's 8259.
*/
// expect: irqchip: 8259 pair through LINT0 (ExtINT)
// expect: pic: console interrupt handled in the loop
// expect: pic: quiet after the handler
// expect: pic: a second interrupt arrives once enabled again
// expect: ktest-x64-pic: pass
// expect-status: 0
#include "ktest.h"

_Noreturn void kmain(const struct boot_info *bi)
{
    x64_irqchip = X64_IRQCHIP_PIC;
    kernel_init(bi);
    ktest_console_rounds("pic");
    kprintf("irqs: spurious %llu\n", (unsigned long long)irq_spurious_count(&kernel_irqs));
    ktest_end("ktest-x64-pic");
}
