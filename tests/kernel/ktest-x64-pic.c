/* ktest-x64-pic.c - the 8259 pair alone: the console UART's interrupt goes
   through the PIC, reaches the CPU as an ExtINT through the LAPIC's LINT0,
   is ended at the PIC and handled from the loop. On our monitor the PIC is
   the userspace model (hdr/pic8259.h) and the monitor injects its vector
   through the interrupt window; on QEMU it is QEMU's 8259.
*/
//! [expect]
// expect: irqchip: 8259 pair through LINT0 (ExtINT)
// expect: pic: console interrupt handled in the loop
// expect: pic: quiet after the handler
// expect: pic: a second interrupt arrives once enabled again
// expect: ktest-x64-pic: pass
// expect-status: 0
//! [expect]
#include "../../arch/common/loop.h"

static int failures;
static unsigned handled;
static bool timed_out;

static void check(bool ok, const char *what)
{
    if (!ok) {
        kprintf("FAIL: %s\n", what);
        failures++;
    }
}

static void console_irq(void *ctx, unsigned irq)
{
    (void)ctx;
    check(irq == PLATFORM_CONSOLE_IRQ, "handler got the wrong irq number");
    platform_console_irq(false);
    handled++;
}

static void on_timeout(timer *t, void *arg)
{
    (void)t;
    (void)arg;
    timed_out = true;
}

static bool done(void *arg)
{
    (void)arg;
    return timed_out;
}

static void run_for(unsigned ms)
{
    timer guard;

    timed_out = false;
    timer_init(&guard, on_timeout, 0);
    timer_start(&kernel_timers, &guard, platform_now() + timer_ms(ms));
    kernel_loop(done, 0);
}

_Noreturn void kmain(const struct boot_info *bi)
{
    unsigned after;

    x64_irqchip = X64_IRQCHIP_PIC;
    kernel_init(bi);
    check(kernel_irq_register(PLATFORM_CONSOLE_IRQ, console_irq, 0), "register IRQ4 at the PIC");
    platform_console_irq(true);
    run_for(200);
    check(handled >= 1, "the interrupt never came through the PIC");
    if (handled >= 1)
        kprintf("pic: console interrupt handled in the loop\n");
    after = handled;
    run_for(100);
    check(handled == after, "interrupts kept coming after the handler");
    if (handled == after)
        kprintf("pic: quiet after the handler\n");
    platform_console_irq(true);
    run_for(200);
    check(handled == after + 1, "a second interrupt did not arrive");
    if (handled == after + 1)
        kprintf("pic: a second interrupt arrives once enabled again\n");
    kprintf("irqs: spurious %llu\n", (unsigned long long)irq_spurious_count(&kernel_irqs));
    kprintf("ktest-x64-pic: %s\n", failures ? "FAIL" : "pass");
    platform_exit(failures ? 1 : 0);
}
