/* loop.h - the portable kernel's event loop and the glue between the
   headers (irq.h, timer.h, async.h) and the platform contract. */
#ifndef BREADBOARD_LOOP_H
#define BREADBOARD_LOOP_H

#include "platform.h"
#include "async.h"
#include "irq.h"
#include "timer.h"

/* The kernel's one instance of each runtime structure. */
extern irq_table kernel_irqs;
extern timer_queue kernel_timers;
extern async_rt kernel_rt;

/* What the loop counts, for the tests and the boot log. */
struct kernel_stats {
    uint64_t iterations;    /* passes through the loop */
    uint64_t waits;         /* calls to platform_wfi */
    uint64_t timer_irqs;    /* timer interrupts seen (deferred) */
    uint64_t early_timer_irqs; /* a wait woken by the timer before its deadline */
};
extern struct kernel_stats kernel_stats;

/* Print what boot found, bring the platform up (interrupts stay off), and
   set up the runtime. Call once from kmain. */
void kernel_init(const struct boot_info *bi);

/* kernel_init() without the boot log: the runtime and the platform only.
   For a host that runs the loop inside another program (the monitor's
   device loop, vm/host/). */
void kernel_init_runtime(const struct boot_info *bi);

/* Register `fn` for device interrupt `irq` and unmask it at the
   controller. `fn` runs from the loop, never in the ISR; afterwards the
   line is unmasked again (the ISR masks level-triggered lines). False if
   `irq` is not the arch's, already has a handler, or the controller will
   not unmask it, or if 32 lines have handlers already (the kernel keeps
   that many, in a pool: kernel.c). */
bool kernel_irq_register(unsigned irq, irq_handler fn, void *ctx);

/* Mask a registered line at the controller and keep it masked (the loop
   would otherwise unmask it after each handler), or let it run again. */
void kernel_irq_off(unsigned irq);
void kernel_irq_on(unsigned irq);

/* Run the event loop until `done(ctx)` returns true (checked once per
   pass). NULL runs forever. Returns the time it stopped. */
uint64_t kernel_loop(bool (*done)(void *ctx), void *ctx);

#endif
