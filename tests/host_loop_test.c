/* host_loop_test.c - the monitor's device loop: arch/common/kernel.c's event
   loop on the host port (vm/host/platform.c), exercised without KVM.

   Each test drives the real loop (kernel_loop) with a done() callback and
   checks what a kernel port must guarantee (arch/common/platform.h): timers
   never fire early; a line interrupts while its fd is readable, is masked
   while its handler is pending, and is live again after it (or stays off
   when the handler turned it off); a trigger from another thread ends a wait
   that has no deadline. A test that breaks the wake-up hangs, and tw's
   timeout fails it; a safety timer turns most hangs into a failed check
   first. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "loop.h"

static bool flag;           /* set by whatever a test waits for */
static bool gave_up;        /* the safety timer fired */

static bool is_done(void *ctx)
{
    (void)ctx;
    return flag || gave_up;
}

static void on_safety(timer *t, void *arg)
{
    (void)t;
    (void)arg;
    gave_up = true;
}

/* Run the loop until `flag`, or fail after `ms` milliseconds. */
static void loop_until_flag(uint64_t ms)
{
    static timer safety;

    gave_up = false;
    timer_init(&safety, on_safety, NULL);
    timer_start(&kernel_timers, &safety, platform_now() + timer_ms(ms));
    kernel_loop(is_done, NULL);
    timer_cancel(&kernel_timers, &safety);
    CHECK(!gave_up);
}

/* ---- timers: the wait's deadline is ppoll's timeout ------------------- */

static uint64_t fired_at[3];

static void on_timer(timer *t, void *arg)
{
    (void)t;
    fired_at[(uintptr_t)arg] = platform_now();
    if ((uintptr_t)arg == 2)
        flag = true;
}

TEST(timers_in_order_never_early)
{
    static timer t[3];
    uint64_t start = platform_now(), want[3];

    flag = false;
    kernel_stats.early_timer_irqs = 0;
    for (int i = 0; i < 3; i++)
        want[i] = start + timer_ms(10 * (3 - i));   /* t[0] is due first */
    for (uintptr_t i = 0; i < 3; i++) {
        timer_init(&t[i], on_timer, (void *)i);
        timer_start(&kernel_timers, &t[i], want[2 - i]);
    }
    loop_until_flag(5000);
    for (int i = 0; i < 3; i++)
        if (!CHECK(fired_at[i] >= want[2 - i]))     /* never early */
            printf("  timer %d fired at %llu ns, armed for %llu\n", i,
                   (unsigned long long)fired_at[i], (unsigned long long)want[2 - i]);
    CHECK(fired_at[0] <= fired_at[1] && fired_at[1] <= fired_at[2]);
    CHECK_EQ(kernel_stats.early_timer_irqs, 0);
    CHECK(kernel_stats.waits > 0);                  /* it slept, not spun */
}

/* ---- an fd line -------------------------------------------------------- */

static int fds[2];
static unsigned calls, bytes;
static bool drain, turn_off;

static void on_line(void *ctx, unsigned irq)
{
    char buf[16];
    ssize_t n;

    (void)ctx;
    calls++;
    if (drain && (n = read(fds[0], buf, sizeof buf)) > 0)
        bytes += (unsigned)n;
    if (turn_off)
        kernel_irq_off(irq);
    if (calls == 3 || bytes == 5)
        flag = true;
}

TEST(line_fires_while_readable)
{
    CHECK_EQ(pipe2(fds, O_CLOEXEC), 0);
    CHECK(host_irq_attach_fd(PLATFORM_CONSOLE_IRQ, fds[0]));
    CHECK(kernel_irq_register(PLATFORM_CONSOLE_IRQ, on_line, NULL));

    /* Drained by the handler: one call per readiness, all bytes seen. */
    flag = false, calls = bytes = 0, drain = true, turn_off = false;
    CHECK_EQ(write(fds[1], "hello", 5), 5);
    loop_until_flag(2000);
    CHECK_EQ(bytes, 5);
    CHECK_EQ(calls, 1);

    /* Level-triggered: a handler that leaves the data there is called
       again on each pass, once per pass (masked while pending). */
    flag = false, calls = bytes = 0, drain = false;
    CHECK_EQ(write(fds[1], "x", 1), 1);
    loop_until_flag(2000);
    CHECK_EQ(calls, 3);
    CHECK_EQ(irq_count(&kernel_irqs, PLATFORM_CONSOLE_IRQ) >= 3, 1);
}

TEST(line_turned_off_stays_off)
{
    static timer later;

    /* The byte from the last test is still there: with the line turned
       off by its handler, the loop must sleep through it until the timer. */
    flag = false, calls = 0, drain = false, turn_off = true;
    timer_init(&later, on_timer, (void *)2);
    timer_start(&kernel_timers, &later, platform_now() + timer_ms(50));
    loop_until_flag(2000);
    CHECK_EQ(calls, 1);

    /* Turned on again, it fires at once; drained, it goes quiet. */
    flag = false, calls = bytes = 0, drain = true, turn_off = false;
    kernel_irq_on(PLATFORM_CONSOLE_IRQ);
    CHECK_EQ(write(fds[1], "abcd", 4), 4);   /* 1 + 4 = 5 bytes */
    loop_until_flag(2000);
    CHECK_EQ(bytes, 5);
}

TEST(line_end_of_file)
{
    /* A closed writer ends the wait too (POLLHUP): the handler reads 0. */
    flag = false, calls = 0, drain = false, turn_off = true;
    close(fds[1]);
    loop_until_flag(2000);
    CHECK_EQ(calls, 1);     /* turned off by its handler: once */
    CHECK_EQ(read(fds[0], (char[1]){ 0 }, 1), 0);
    CHECK(host_irq_attach_fd(PLATFORM_CONSOLE_IRQ, -1));
    close(fds[0]);
}

/* ---- triggers from another thread -------------------------------------- */

static unsigned vcpu_calls;
static uint32_t target;     /* the raise count the test waits for */
static const unsigned storm = 20000;

static void on_vcpu(void *ctx, unsigned irq)
{
    (void)ctx;
    (void)irq;
    vcpu_calls++;
    if (irq_count(&kernel_irqs, HOST_IRQ_VCPU) == target)
        flag = true;
}

static void *late_trigger(void *arg)
{
    struct timespec ms50 = { 0, 50 * 1000 * 1000 };

    (void)arg;
    nanosleep(&ms50, NULL);     /* the loop is asleep with no deadline by now */
    platform_irq_trigger(HOST_IRQ_VCPU);
    return NULL;
}

static void *many_triggers(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < storm; i++)
        platform_irq_trigger(HOST_IRQ_VCPU);
    return NULL;
}

TEST(trigger_from_another_thread)
{
    pthread_t th;
    uint64_t waits;

    CHECK(kernel_irq_register(HOST_IRQ_VCPU, on_vcpu, NULL));
    /* No timer but the safety one, far away: only the trigger can wake. */
    flag = false, vcpu_calls = 0, target = 1;
    waits = kernel_stats.waits;
    CHECK_EQ(pthread_create(&th, NULL, late_trigger, NULL), 0);
    loop_until_flag(5000);
    pthread_join(th, NULL);
    CHECK_EQ(vcpu_calls, 1);
    CHECK(kernel_stats.waits > waits);

    /* Many triggers while the loop runs: none lost (irq.h counts every
       raise; handler calls coalesce), and the loop sees the last one. */
    flag = false, vcpu_calls = 0, target = storm + 1;
    CHECK_EQ(pthread_create(&th, NULL, many_triggers, NULL), 0);
    loop_until_flag(10000);
    pthread_join(th, NULL);
    CHECK_EQ(irq_count(&kernel_irqs, HOST_IRQ_VCPU), storm + 1);
    CHECK(vcpu_calls >= 1 && vcpu_calls <= storm);
}

TEST(init)
{
    static const struct boot_info host = { "host", "test", "none", 0, "" };

    kernel_init_runtime(&host);
    CHECK_EQ(irq_pending(&kernel_irqs), 0);
}

/* In this order: the line tests share one pipe. */
CHECK_MAIN(TEST_ENTRY(init), TEST_ENTRY(timers_in_order_never_early),
           TEST_ENTRY(line_fires_while_readable), TEST_ENTRY(line_turned_off_stays_off),
           TEST_ENTRY(line_end_of_file), TEST_ENTRY(trigger_from_another_thread))
