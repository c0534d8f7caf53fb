/* ktest-devirq.c - a device interrupt travels the whole path: the console
   UART raises its line, the interrupt controller routes it (x64: IOAPIC pin
   4; arm64: GIC SPI 1; rv64: PLIC source 10), the ISR records it, and the
   handler runs from the loop and quiets the device. On our monitor the
   IOAPIC is the userspace model (hdr/ioapic.h) and its message reaches
   KVM's LAPIC as an MSI.
*/
//! [expect]
// expect: devirq: console interrupt handled in the loop
// expect: devirq: quiet after the handler
// expect: devirq: a second interrupt arrives once enabled again
// expect: ktest-devirq: pass
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

/* Runs in the loop: quiet the device, or its line would stay up. */
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

/* Run the loop for `ms` milliseconds. */
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
    kernel_init(bi);
    check(kernel_irq_register(PLATFORM_CONSOLE_IRQ, console_irq, 0),
          "the controller has no such line");
    kprintf("devirq: enabling the console's transmit interrupt, irq %u\n", PLATFORM_CONSOLE_IRQ);
    platform_console_irq(true);       /* the transmitter is idle: fires at once */
    run_for(200);
    check(handled >= 1, "the device interrupt never reached its handler");
    if (handled >= 1)
        kprintf("devirq: console interrupt handled in the loop, %u time(s)\n", handled);
    /* The handler turned the source off: no more interrupts may come. */
    unsigned after = handled;
    run_for(100);
    check(handled == after, "interrupts kept coming after the handler quieted the device");
    if (handled == after)
        kprintf("devirq: quiet after the handler\n");
    /* And the line is live again: the loop unmasked it after the handler.
       Without this, a line left masked would pass the quiet check above. */
    platform_console_irq(true);
    run_for(200);
    check(handled == after + 1, "a second interrupt did not arrive: the line stayed masked");
    if (handled == after + 1)
        kprintf("devirq: a second interrupt arrives once enabled again\n");
    kprintf("ktest-devirq: %s\n", failures ? "FAIL" : "pass");
    platform_exit(failures ? 1 : 0);
}
