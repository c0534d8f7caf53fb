/* ktest.h - what the test kernels share: a check that counts failures, a
   bounded run of the event loop, and the end of a test. Included by one
   test kernel each, so everything is static inline. */
#ifndef BREADBOARD_KTEST_H
#define BREADBOARD_KTEST_H

#include "../../arch/common/loop.h"

static int ktest_failures;
static bool ktest_timed_out;

/* FNV-1a, 32 bits: each byte changes the sum, and so does its position.
   The tests that move bytes checksum both ends with it (start from
   KTEST_FNV1A_BASIS). */
#define KTEST_FNV1A_BASIS 0x811c9dc5u
static inline uint32_t ktest_fnv1a(uint32_t sum, uint8_t c)
{
    return (sum ^ c) * 0x01000193u;
}

static inline void check(bool ok, const char *what)
{
    if (!ok) {
        kprintf("FAIL: %s\n", what);
        ktest_failures++;
    }
}

static inline void ktest_on_timeout(timer *t, void *arg)
{
    (void)t;
    (void)arg;
    ktest_timed_out = true;
}

struct ktest_until {
    bool (*done)(void *ctx);
    void *ctx;
};

static inline bool ktest_done_or_late(void *arg)
{
    struct ktest_until *u = arg;

    return ktest_timed_out || (u->done && u->done(u->ctx));
}

/* Run the loop until done(ctx) is true, or `ms` have passed. */
static inline void run_until(bool (*done)(void *ctx), void *ctx, unsigned ms)
{
    struct ktest_until u = { done, ctx };
    timer guard;

    ktest_timed_out = false;
    timer_init(&guard, ktest_on_timeout, 0);
    timer_start(&kernel_timers, &guard, platform_now() + timer_ms(ms));
    kernel_loop(ktest_done_or_late, &u);
    timer_cancel(&kernel_timers, &guard);
}

/* The tests that move bulk bytes (tests/kernel/tx-flood.c, the
   benchmarks' tests/bench/kbench.c) send lines of KTEST_LINE bytes that a
   reader can check: line `n` is n as 8 hex digits, a space, 54 of the 62
   `A..Za..z0..9` starting at the (n mod 62)th, and a newline (no \r). */
#define KTEST_LINE 64u
static inline void ktest_pattern_line(uint8_t *buf, uint32_t n)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned i;

    for (i = 0; i < 8; i++)
        buf[i] = (uint8_t)"0123456789abcdef"[(n >> (28 - 4 * i)) & 0xf];
    buf[8] = ' ';
    for (i = 9; i < KTEST_LINE - 1; i++)
        buf[i] = (uint8_t)alpha[(n + (i - 9)) % 62];
    buf[KTEST_LINE - 1] = '\n';
}

/* Run the loop for `ms` milliseconds. */
static inline void run_for(unsigned ms)
{
    run_until(0, 0, ms);
}

/* Print "NAME: pass|FAIL" and end the run with 0 or 1. */
static inline _Noreturn void ktest_end(const char *name)
{
    kprintf("%s: %s\n", name, ktest_failures ? "FAIL" : "pass");
    platform_exit(ktest_failures ? 1 : 0);
}

/* The console UART's transmit interrupt, three times over: it arrives and
   its handler runs from the loop; once the handler has quieted the device
   no more come; turned on again, one more arrives, so the loop unmasked
   the line after the handler. Which controller carries it is the caller's
   choice (IOAPIC, GIC, PLIC, or the 8259 pair on x64). */
static unsigned ktest_console_calls;

static inline void ktest_console_irq(void *ctx, unsigned irq)
{
    (void)ctx;
    check(irq == PLATFORM_CONSOLE_IRQ, "handler got the wrong irq number");
    platform_console_irq(false);
    ktest_console_calls++;
}

/* Until the console handler has run `*want` times in all. */
static inline bool ktest_console_reached(void *want)
{
    return ktest_console_calls >= *(unsigned *)want;
}

/* An interrupt that must come is waited for, up to 5 s (a slow machine
   takes longer; nothing here is a question of time); one that must not
   come is given a fixed time to show up. */
static inline void ktest_console_rounds(const char *tag)
{
    unsigned after, want = 1;

    check(kernel_irq_register(PLATFORM_CONSOLE_IRQ, ktest_console_irq, 0),
          "the controller has no such line");
    kprintf("%s: enabling the console's transmit interrupt, irq %u\n", tag, PLATFORM_CONSOLE_IRQ);
    platform_console_irq(true);       /* the transmitter is idle: fires at once */
    run_until(ktest_console_reached, &want, 5000);
    check(ktest_console_calls >= 1, "the device interrupt never reached its handler");
    if (ktest_console_calls >= 1)
        kprintf("%s: console interrupt handled in the loop, %u time(s)\n", tag,
                ktest_console_calls);
    after = ktest_console_calls;
    run_for(100);
    check(ktest_console_calls == after, "interrupts kept coming after the handler quieted the device");
    if (ktest_console_calls == after)
        kprintf("%s: quiet after the handler\n", tag);
    want = after + 1;
    platform_console_irq(true);
    run_until(ktest_console_reached, &want, 5000);
    run_for(100);                     /* and only one */
    check(ktest_console_calls == after + 1, "a second interrupt did not arrive: the line stayed masked");
    if (ktest_console_calls == after + 1)
        kprintf("%s: a second interrupt arrives once enabled again\n", tag);
}

#endif
