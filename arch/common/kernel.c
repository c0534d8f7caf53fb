/* kernel.c - portable kernel services shared by every arch: start-up, the
   event loop, interrupt registration and the fault report.

   The headers' implementations live here, once for the whole kernel. */
#define ASYNC_IMPLEMENTATION
#define IRQ_IMPLEMENTATION
#define TIMER_IMPLEMENTATION
#include "loop.h"

irq_table kernel_irqs;
timer_queue kernel_timers;
async_rt kernel_rt;
struct kernel_stats kernel_stats;

/* The handler a driver registered, called by the wrapper below. */
static struct {
    irq_handler fn;
    void *ctx;
    bool off;               /* the driver turned the line off: stay masked */
} handlers[PLATFORM_IRQ_MAX];

static void count_timer_irq(void *ctx, unsigned irq)
{
    (void)ctx;
    (void)irq;
    kernel_stats.timer_irqs++;
}

void kernel_init(const struct boot_info *bi)
{
    kprintf("breadboard: kernel for %s, entered via %s\n", bi->arch, bi->entry);
    kprintf("console: %s\n", bi->console);
    kprintf("memory: %llu MiB\n", (unsigned long long)(bi->mem_bytes >> 20));
    kprintf("cmdline: \"%s\"\n", bi->cmdline);
    kernel_init_runtime(bi);
}

void kernel_init_runtime(const struct boot_info *bi)
{
    irq_table_init(&kernel_irqs);
    timer_queue_init(&kernel_timers);
    async_init(&kernel_rt, &kernel_irqs);
    platform_init(bi, &kernel_irqs);
    irq_register(&kernel_irqs, PLATFORM_TIMER_IRQ, count_timer_irq, 0);
}

//! [deferred]
/* Runs in the loop: the driver's handler, then the line is live again,
   unless the handler turned it off with kernel_irq_off(). */
static void run_deferred(void *ctx, unsigned irq)
{
    (void)ctx;
    handlers[irq].fn(handlers[irq].ctx, irq);
    if (!handlers[irq].off)
        platform_irq_unmask(irq);
}
//! [deferred]

bool kernel_irq_register(unsigned irq, irq_handler fn, void *ctx)
{
    if (irq >= PLATFORM_IRQ_MAX || !irq_register(&kernel_irqs, irq, run_deferred, 0))
        return false;
    handlers[irq].fn = fn;
    handlers[irq].ctx = ctx;
    handlers[irq].off = false;
    if (!platform_irq_unmask(irq)) {
        irq_unregister(&kernel_irqs, irq);  /* leave the slot free to retry */
        return false;
    }
    return true;
}

void kernel_irq_off(unsigned irq)
{
    if (irq < PLATFORM_IRQ_MAX) {
        handlers[irq].off = true;
        platform_irq_mask(irq);
    }
}

void kernel_irq_on(unsigned irq)
{
    if (irq < PLATFORM_IRQ_MAX) {
        handlers[irq].off = false;
        platform_irq_unmask(irq);
    }
}

/* platform_wfi, watched: a timer interrupt that ends the wait before the
   deadline it was armed for is a platform bug (a one-shot programmed early,
   a conversion rounded the wrong way). timer_run would hide it, firing
   nothing early; this counts it, and the timer test requires zero. */
static uint64_t wait_for_interrupt(uint64_t deadline)
{
    uint32_t ticks = irq_count(&kernel_irqs, PLATFORM_TIMER_IRQ);
    uint64_t now;

    kernel_stats.waits++;
    now = platform_wfi(deadline);
    if (irq_count(&kernel_irqs, PLATFORM_TIMER_IRQ) != ticks && now < deadline)
        kernel_stats.early_timer_irqs++;
    return now;
}

//! [loop]
uint64_t kernel_loop(bool (*done)(void *ctx), void *ctx)
{
    uint64_t now = platform_now();

    for (;;) {
        kernel_stats.iterations++;
        ktick(&kernel_rt);                  /* deferred irq work, callbacks, submissions */
        timer_run(&kernel_timers, now);
        if (done && done(ctx))
            return now;
        /* Look for work with interrupts off, so that one arriving after the
           look ends the wait instead of being slept through. */
        platform_irq_off();
        if (!async_idle(&kernel_rt) ||  /* pending irqs included: kernel_rt holds the table */
            timer_next_deadline(&kernel_timers) <= platform_now()) {
            platform_irq_on();
            now = platform_now();
            continue;
        }
        now = wait_for_interrupt(timer_next_deadline(&kernel_timers));
    }
}
//! [loop]

_Noreturn void kernel_fault(const char *what, uint64_t pc, uint64_t addr,
                            const struct fault_reg *regs, unsigned nregs)
{
    kprintf("FAULT: %s at pc %p, address %p\n", what, (void *)(uintptr_t)pc,
            (void *)(uintptr_t)addr);
    for (unsigned i = 0; i < nregs; i++)
        kprintf("  %-6s %016llx%s", regs[i].name, (unsigned long long)regs[i].value,
                i % 3 == 2 || i + 1 == nregs ? "\n" : "");
    kprintf("FAULT: stopping with status %d\n", KERNEL_FAULT_STATUS);
    platform_exit(KERNEL_FAULT_STATUS);
}

bool kernel_cmdline_has(const char *cmdline, const char *word)
{
    for (const char *p = cmdline; *p; p++) {
        unsigned i = 0;

        if (p != cmdline && p[-1] != ' ')
            continue;
        while (word[i] && p[i] == word[i])
            i++;
        if (!word[i] && (p[i] == ' ' || p[i] == 0))
            return true;
    }
    return false;
}
