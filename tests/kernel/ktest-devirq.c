/* ktest-devirq.c - a device interrupt travels the whole path: the console
   UART raises its line, the interrupt controller routes it (x64: IOAPIC pin
   4; arm64: GIC SPI 1; rv64: PLIC source 10), the ISR records it, and the
   handler runs from the loop and quiets the device. On our monitor the
   IOAPIC is the userspace model (hdr/ioapic.h) and its message reaches
   KVM's LAPIC as an MSI.
*/
// expect: devirq: console interrupt handled in the loop
// expect: devirq: quiet after the handler
// expect: devirq: a second interrupt arrives once enabled again
// expect: ktest-devirq: pass
// expect-status: 0
#include "ktest.h"

_Noreturn void kmain(const struct boot_info *bi)
{
    kernel_init(bi);
    ktest_console_rounds("devirq");
    ktest_end("ktest-devirq");
}
