/* kmain.c - the demo kernel: boot, bring the platform up, and show the
   event loop at work: three timers and a software interrupt, each handled
   in the loop, never in an interrupt handler. `./run demo` boots it. */
#include "loop.h"

static unsigned events;

static void tick(timer *t, void *arg)
{
    (void)t;
    kprintf("demo: timer \"%s\" fired at %llu ms\n", (const char *)arg,
            (unsigned long long)timer_to_ms(platform_now()));
    events++;
    if (events == 2)     /* the middle timer also rings the doorbell */
        platform_irq_trigger(PLATFORM_SOFT_IRQ);
}

static void doorbell(void *ctx, unsigned irq)
{
    (void)ctx;
    kprintf("demo: interrupt %u handled by the loop at %llu ms\n", irq,
            (unsigned long long)timer_to_ms(platform_now()));
    events++;
}

static bool all_events(void *want)
{
    return events == *(unsigned *)want;
}

_Noreturn void kmain(const struct boot_info *bi)
{
    static timer t[3];
    static const char *const name[3] = { "one", "two", "three" };
    uint64_t start;
    unsigned want = 4;

    kernel_init(bi);
    kernel_irq_register(PLATFORM_SOFT_IRQ, doorbell, 0);
    start = platform_now();
    for (unsigned i = 0; i < 3; i++) {
        timer_init(&t[i], tick, (void *)name[i]);
        timer_start(&kernel_timers, &t[i], start + timer_ms(10 * (i + 1)));
    }
    kernel_loop(all_events, &want);
    kprintf("demo: %llu loop passes, %llu waits for an interrupt\n",
            (unsigned long long)kernel_stats.iterations, (unsigned long long)kernel_stats.waits);
    kprintf("breadboard: boot complete, exiting with status 0\n");
    platform_exit(0);
}
