/* ktest-timers.c - timers fire in deadline order and never early; a
   periodic timer keeps its period over a second; the idle loop sleeps.

   Runs on every arch and target (tests/Tupfile); lateness is printed, not
   judged: virtual time under TCG or nested KVM is no place for a latency
   bound (a QEMU descheduled on a busy host makes any tick late by as long
   as it was away). Early is judged: it is always a bug. So is order: the
   queue makes it, whatever the lateness.
*/
// expect: timer:
// expect: timers: 5 ms fired
// expect: timers: 10 ms fired
// expect: timers: 20 ms (first) fired
// expect: timers: 20 ms (second) fired
// expect: timers: 30 ms fired
// expect: timers: all fired in deadline order, none early
// expect: periodic: 10 periods of 100 ms, drift 0 ns
// expect: idle: the loop slept
// expect: before their deadline
// expect: ktest-timers: pass
// expect-status: 0
#include "ktest.h"

static unsigned fired;

struct one_shot {
    timer t;
    uint64_t deadline;
    const char *name;
    unsigned order;         /* the position it must fire in */
};

static void one_shot_fired(timer *t, void *arg)
{
    struct one_shot *s = arg;
    uint64_t now = platform_now();

    (void)t;
    kprintf("timers: %s fired, late by %llu us\n", s->name,
            (unsigned long long)((now - s->deadline) / 1000));
    check(now >= s->deadline, "a timer fired early");
    check(fired == s->order, "a timer fired out of order");
    fired++;
}

static bool all_fired(void *n)
{
    return fired == *(unsigned *)n;
}

static void test_one_shots(void)
{
    /* Armed out of order; the two 20 ms timers fire in the order armed. */
    static struct one_shot s[] = {
        { .name = "30 ms", .order = 4 }, { .name = "10 ms", .order = 1 },
        { .name = "20 ms (first)", .order = 2 }, { .name = "5 ms", .order = 0 },
        { .name = "20 ms (second)", .order = 3 },
    };
    static const unsigned ms[] = { 30, 10, 20, 5, 20 };
    uint64_t start = platform_now();
    unsigned n = 5;

    for (unsigned i = 0; i < n; i++) {
        s[i].deadline = start + timer_ms(ms[i]);
        timer_init(&s[i].t, one_shot_fired, &s[i]);
        timer_start(&kernel_timers, &s[i].t, s[i].deadline);
    }
    kernel_loop(all_fired, &n);
    if (!ktest_failures)
        kprintf("timers: all fired in deadline order, none early\n");
}

struct periodic {
    timer t;
    uint64_t start, period;
    uint64_t last;          /* the deadline of the latest tick */
    unsigned count;
};

static void periodic_fired(timer *t, void *arg)
{
    struct periodic *p = arg;
    uint64_t due = p->start + (p->count + 1) * p->period;

    check(platform_now() >= due, "a periodic tick came early");
    check(t->deadline == due, "a periodic tick was off its schedule: the timer drifted");
    p->last = t->deadline;
    p->count++;
    if (p->count < 10)  /* re-armed from its deadline, not from now: no drift */
        timer_repeat(&kernel_timers, t, p->period);
}

static bool ten_periods(void *arg)
{
    return ((struct periodic *)arg)->count == 10;
}

static void test_periodic(void)
{
    static struct periodic p;
    uint64_t end, it0 = kernel_stats.iterations, wakes;

    p.period = timer_ms(100);
    p.start = platform_now();
    timer_init(&p.t, periodic_fired, &p);
    timer_start(&kernel_timers, &p.t, p.start + p.period);
    end = kernel_loop(ten_periods, &p);
    wakes = kernel_stats.iterations - it0;
    /* Drift is judged on the deadlines, which the code makes: re-armed from
       its deadline, the tenth tick is due at exactly 1000 ms however late
       each one ran; re-armed from "now", it would be due later by the sum
       of their lateness. When the loop got to run it is the host's doing,
       so that is only printed. */
    kprintf("periodic: 10 periods of 100 ms, drift %lld ns (the last ran at %llu ms)\n",
            (long long)(p.last - (p.start + 10 * p.period)),
            (unsigned long long)((end - p.start) / 1000000));
    check(p.last == p.start + 10 * p.period, "the periodic timer drifted");
    /* A second of idle with 10 timers: a loop that spins would pass
       through millions of times; one that sleeps, a few per tick. */
    kprintf("idle: %llu loop passes in one second of 10 ticks\n", (unsigned long long)wakes);
    check(wakes <= 10 * 4, "the loop spins instead of sleeping");
    if (wakes <= 10 * 4)
        kprintf("idle: the loop slept\n");
}

_Noreturn void kmain(const struct boot_info *bi)
{
    kernel_init(bi);
    test_one_shots();
    test_periodic();
    /* The hardware side: no wait ended by the timer before its deadline. */
    kprintf("timers: %llu timer interrupts, %llu before their deadline\n",
            (unsigned long long)kernel_stats.timer_irqs,
            (unsigned long long)kernel_stats.early_timer_irqs);
    check(kernel_stats.timer_irqs > 0, "no timer interrupt was ever seen");
    check(kernel_stats.early_timer_irqs == 0, "the hardware one-shot fired early");
    ktest_end("ktest-timers");
}
