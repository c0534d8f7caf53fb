/* ktest-irqs.c - an interrupt goes the deferred way: the ISR records it,
   the loop runs the handler; an interrupt nobody registered is counted,
   and the kernel lives on.

   The interrupt is raised through the controller itself
   (platform_irq_trigger: a self-IPI, an SGI, the supervisor software
   interrupt), so the whole hardware path is exercised.
*/
//! [expect]
// expect: irqs: raised with interrupts off: held by the controller until the loop
// expect: irqs: software interrupt handled in the loop
// expect: irqs: raised again, handled again
// expect: irqs: unregistered interrupt counted as unhandled, kernel alive
// expect: ktest-irqs: pass
// expect-status: 0
//! [expect]
#include "ktest.h"

static unsigned handled;

static void soft_handler(void *ctx, unsigned irq)
{
    (void)ctx;
    check(irq == PLATFORM_SOFT_IRQ, "handler got the wrong irq number");
    handled++;
}

static bool handled_enough(void *want)
{
    return handled >= *(unsigned *)want;
}

/* Raise the soft irq and run the loop until `want` handler calls, or 1 s. */
static void raise_and_wait(unsigned want)
{
    check(platform_irq_trigger(PLATFORM_SOFT_IRQ), "platform cannot raise its soft irq");
    run_until(handled_enough, &want, 1000);
}

_Noreturn void kmain(const struct boot_info *bi)
{
    uint64_t before;

    kernel_init(bi);
    check(kernel_irq_register(PLATFORM_SOFT_IRQ, soft_handler, 0), "register the soft irq");

    /* A real interrupt waits for the CPU to take it: raised with interrupts
       off, nothing may be recorded until the loop lets it in. (A trigger
       that just called irq_raise would show up at once.) */
    check(platform_irq_trigger(PLATFORM_SOFT_IRQ), "platform cannot raise its soft irq");
    for (volatile int i = 0; i < 100000; i++)
        ;
    check(!irq_pending(&kernel_irqs), "the soft irq was recorded with interrupts off");
    if (!irq_pending(&kernel_irqs))
        kprintf("irqs: raised with interrupts off: held by the controller until the loop\n");
    raise_and_wait(1);           /* the held one, then this one: coalesced or two */
    check(handled >= 1, "the soft irq was never handled");
    handled = 1;                 /* count from here */
    kprintf("irqs: software interrupt handled in the loop\n");

    raise_and_wait(2);
    check(handled == 2, "a second raise was not handled");
    if (handled == 2)
        kprintf("irqs: raised again, handled again\n");

    /* Nobody listens now: the event is counted and dropped. */
    irq_unregister(&kernel_irqs, PLATFORM_SOFT_IRQ);
    before = irq_unhandled_count(&kernel_irqs);
    raise_and_wait(3);           /* ends by the 1 s guard: no handler runs */
    check(handled == 2, "an unregistered irq reached a handler");
    check(irq_unhandled_count(&kernel_irqs) == before + 1, "the unhandled irq was not counted");
    if (!ktest_failures)
        kprintf("irqs: unregistered interrupt counted as unhandled, kernel alive\n");
    kprintf("irqs: spurious %llu, unhandled %llu\n",
            (unsigned long long)irq_spurious_count(&kernel_irqs),
            (unsigned long long)irq_unhandled_count(&kernel_irqs));
    ktest_end("ktest-irqs");
}
