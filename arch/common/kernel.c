/* kernel.c - portable kernel services shared by every arch: start-up, the
   event loop, interrupt registration and the fault report.

   The headers' implementations live here, once for the whole kernel. */
#define ASYNC_IMPLEMENTATION
#define IRQ_IMPLEMENTATION
#define TIMER_IMPLEMENTATION
#include "loop.h"

/* Every kernel file sees irq.h's table at one size: the arch's Tupfile
   may set IRQ_MAX (x64: its 0xcf irqs) on the command line, for all of
   them; it must cover every irq the arch's ISRs raise. */
_Static_assert(IRQ_MAX >= PLATFORM_IRQ_MAX, "irq.h's IRQ_MAX is below this arch's PLATFORM_IRQ_MAX");

irq_table kernel_irqs;
timer_queue kernel_timers;
async_rt kernel_rt;
struct kernel_stats kernel_stats;

/* The handlers drivers registered, called by the wrapper below: a pool,
   each entry found through its irq_table slot's context, not a table
   indexed by irq number. A kernel drives a handful of lines, and the GIC's
   and the PLIC's 1024 numbers at 24 bytes each would be 24 KiB of bss
   (book/performance.md, figure 7). */
#define KERNEL_HANDLERS 32
static struct kernel_handler {
    irq_handler fn;         /* NULL: a free entry */
    void *ctx;
    unsigned irq;
    bool off;               /* the driver turned the line off: stay masked */
} handlers[KERNEL_HANDLERS];

static struct kernel_handler *handler_of(unsigned irq)
{
    for (unsigned i = 0; i < KERNEL_HANDLERS; i++)
        if (handlers[i].fn && handlers[i].irq == irq)
            return &handlers[i];
    return 0;
}

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
    struct kernel_handler *h = ctx;

    h->fn(h->ctx, irq);
    if (!h->off)
        platform_irq_unmask(irq);
}
//! [deferred]

bool kernel_irq_register(unsigned irq, irq_handler fn, void *ctx)
{
    struct kernel_handler *h = 0;

    if (irq >= PLATFORM_IRQ_MAX || !fn || handler_of(irq))
        return false;
    for (unsigned i = 0; !h && i < KERNEL_HANDLERS; i++)
        if (!handlers[i].fn)
            h = &handlers[i];
    if (!h || !irq_register(&kernel_irqs, irq, run_deferred, h))
        return false;                       /* the pool is full, or irq is taken */
    *h = (struct kernel_handler){ fn, ctx, irq, false };
    if (!platform_irq_unmask(irq)) {
        irq_unregister(&kernel_irqs, irq);  /* leave the slot free to retry */
        h->fn = 0;
        return false;
    }
    return true;
}

void kernel_irq_off(unsigned irq)
{
    struct kernel_handler *h = handler_of(irq);

    if (h) {
        h->off = true;
        platform_irq_mask(irq);
    }
}

void kernel_irq_on(unsigned irq)
{
    struct kernel_handler *h = handler_of(irq);

    if (h) {
        h->off = false;
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
