/* timer_test.c - hdr/timer.h: the conversions against 128-bit arithmetic,
   the queue against a plain array scanned linearly, and callbacks that
   re-arm, cancel and arm timers in the middle of a run.

   Prints `ok NAME` or `FAIL NAME: why` per test; exits non-zero on failure.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every TIMER_ASSERT that trips is counted: most tests expect none, and a
   few provoke one on purpose. */
static unsigned assert_hits;
#define TIMER_ASSERT(c) ((c) ? (void)0 : (void)assert_hits++)
#define TIMER_IMPLEMENTATION
#include "timer.h"

/* ---- harness: tests/check.h, plus the TIMER_ASSERT count per test ---- */

#include "check.h"

static long test_fails_before; /* check_failed_ when the test began */
#define test_failed (check_failed_ != test_fails_before)

static void fail_at(int line, const char *what)
{
    check_(__FILE__, line, 0, what);
}

static void run_test(void (*fn)(void))
{
    test_fails_before = check_failed_;
    assert_hits = 0;
    fn();
    if (!CHECK_EQ(assert_hits, 0))
        printf("  TIMER_ASSERT tripped\n");
}

/* splitmix64: small, fixed seeds, the same on every host. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
    return rng_next(s) % n;
}

/* ---- conversions ---- */

__extension__ typedef unsigned __int128 u128; /* tests only */

static uint64_t sat(u128 v)
{
    return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static uint64_t ref_ticks_to_ns(uint64_t ticks, uint64_t f)
{
    return sat((u128)ticks * TIMER_NS_PER_S / f);
}

static uint64_t ref_ns_to_ticks(uint64_t ns, uint64_t f)
{
    return sat(((u128)ns * f + TIMER_NS_PER_S - 1) / TIMER_NS_PER_S);
}

static void check_conversion(uint64_t v, uint64_t f)
{
    uint64_t ns = timer_ticks_to_ns(v, f), ticks = timer_ns_to_ticks(v, f);

    CHECK_EQ(ns, ref_ticks_to_ns(v, f));
    CHECK_EQ(ticks, ref_ns_to_ticks(v, f));
    /* Never early: the ticks programmed for a deadline reach it. */
    if (ticks != UINT64_MAX)
        CHECK(timer_ticks_to_ns(ticks, f) >= v);
    /* And never late by a whole tick: one tick fewer falls short. */
    if (ticks != UINT64_MAX && ticks > 0)
        CHECK(ref_ticks_to_ns(ticks - 1, f) < v ||
              (u128)(ticks - 1) * TIMER_NS_PER_S < (u128)v * f);
}

static const uint64_t freqs[] = {
    1, 2, 3, 7, 1000, 32768, 1000000, 1193182, 10000000, 19200000, 24000000,
    25000000, 54000000, 62500000, 100000000, 999999999, 1000000000,
    1000000001, 2399999999u, 3000000000u, 3579545000u, 10000000000u,
    TIMER_FREQ_MAX - 1, TIMER_FREQ_MAX,
};
#define NFREQS (sizeof freqs / sizeof freqs[0])

static void test_conversion_edges(void)
{
    for (size_t i = 0; i < NFREQS; i++) {
        uint64_t f = freqs[i];
        const uint64_t vals[] = {
            0, 1, 2, f - 1, f, f + 1, 2 * f - 1, 999999999, 1000000000,
            1000000001, UINT32_MAX, (uint64_t)1 << 32, ((uint64_t)1 << 62) - 1,
            (uint64_t)1 << 62, ((uint64_t)1 << 63) - 1, (uint64_t)1 << 63,
            ((uint64_t)1 << 63) + 1, UINT64_MAX - 1, UINT64_MAX,
            UINT64_MAX / f * f, UINT64_MAX / TIMER_NS_PER_S * TIMER_NS_PER_S,
        };
        for (size_t j = 0; j < sizeof vals / sizeof vals[0]; j++)
            check_conversion(vals[j], f);
    }
    /* The precondition holds the asserts quiet up to TIMER_FREQ_MAX. */
    CHECK_EQ(assert_hits, 0);
    CHECK_EQ(timer_ticks_to_ns(5, 0), 0);
    CHECK_EQ(timer_ns_to_ticks(5, 0), 0);
    CHECK_EQ(assert_hits, 2);
    assert_hits = 0;
    /* The cases the kernels live on. */
    CHECK_EQ(timer_ticks_to_ns(10000000, 10000000), TIMER_NS_PER_S);
    CHECK_EQ(timer_ticks_to_ns(1, 24000000), 41);      /* 41.67 ns, down */
    CHECK_EQ(timer_ns_to_ticks(1, 24000000), 1);       /* 0.024 ticks, up */
    CHECK_EQ(timer_ns_to_ticks(0, 24000000), 0);
}

static void test_conversion_random(void)
{
    uint64_t s = 1;

    for (int i = 0; i < 1000000; i++) {
        /* Random magnitudes, so small and huge values are equally common. */
        uint64_t v = rng_next(&s) >> rng_below(&s, 64);
        uint64_t f = (rng_next(&s) >> rng_below(&s, 64)) % TIMER_FREQ_MAX + 1;

        if (i % 4 == 0)
            f = freqs[rng_below(&s, NFREQS)];
        check_conversion(v, f);
        if (test_failed)
            return;
    }
}

static void test_durations(void)
{
    CHECK_EQ(timer_ms(5), 5000000);
    CHECK_EQ(timer_us(7), 7000);
    CHECK_EQ(timer_ms(0), 0);
    CHECK_EQ(timer_to_ms(timer_ms(1234)), 1234);
    CHECK_EQ(timer_to_ms(1999999), 1);
    CHECK_EQ(timer_ms(UINT64_MAX / 1000000), UINT64_MAX / 1000000 * 1000000);
    CHECK_EQ(timer_ms(UINT64_MAX / 1000000 + 1), TIMER_NEVER);
    CHECK_EQ(timer_us(UINT64_MAX / 1000 + 1), TIMER_NEVER);
    CHECK_EQ(timer_us(UINT64_MAX), TIMER_NEVER);
}

/* ---- heap invariants (white box) ---- */

/* Every child comes after its parent, every link has its mirror, and the
   heaps hold exactly `count` armed timers of this queue. */
static unsigned check_subtree(const timer_queue *q, const timer *parent, const timer *first)
{
    unsigned n = 0;
    const timer *prev = parent;

    for (const timer *c = first; c; prev = c, c = c->next) {
        CHECK(c->prev == prev);
        CHECK(c->queue == q);
        CHECK(timer__before(parent, c));
        n += 1 + check_subtree(q, c, c->child);
    }
    return n;
}

static void check_heaps(const timer_queue *q)
{
    unsigned n = 0;
    const timer *roots[2] = { q->root, q->late };

    for (int i = 0; i < 2; i++) {
        if (!roots[i])
            continue;
        CHECK(roots[i]->prev == NULL && roots[i]->next == NULL);
        CHECK(roots[i]->queue == q);
        n += 1 + check_subtree(q, roots[i], roots[i]->child);
    }
    CHECK_EQ(n, timer_queue_count(q));
    if (!q->running)
        CHECK(q->late == NULL);
}

/* ---- directed tests ---- */

#define NT 64

/* Firings are recorded in `log`, by index into `tm`. */
static timer tm[NT];
static int fire_log[4096];
static unsigned nfired;

static void record(timer *t, void *arg)
{
    (void)arg;
    if (nfired < sizeof fire_log / sizeof fire_log[0])
        fire_log[nfired] = (int)(t - tm);
    nfired++;
}

static void reset(timer_queue *q)
{
    timer_queue_init(q);
    for (int i = 0; i < NT; i++)
        timer_init(&tm[i], record, NULL);
    nfired = 0;
}

/* The log since the last reset, as a string like "3 1 2". */
static const char *fired(void)
{
    static char buf[1024];
    size_t len = 0;

    buf[0] = 0;
    for (unsigned i = 0; i < nfired && len < sizeof buf - 8; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, i ? " %d" : "%d", fire_log[i]);
    return buf;
}

#define CHECK_FIRED(want) do {                                                \
        if (!CHECK(strcmp(fired(), want) == 0))                               \
            printf("  fired \"%s\", want \"%s\"\n", fired(), want);           \
    } while (0)

static void test_order(void)
{
    static const uint64_t d[] = { 50, 10, 40, 30, 20, 60, 5, 45 };
    timer_queue q;

    reset(&q);
    CHECK_EQ(timer_next_deadline(&q), TIMER_NEVER);
    CHECK_EQ(timer_run(&q, 1000), 0);
    for (int i = 0; i < 8; i++)
        timer_start(&q, &tm[i], d[i]);
    CHECK_EQ(timer_queue_count(&q), 8);
    CHECK_EQ(timer_next_deadline(&q), 5);
    CHECK_EQ(timer_run(&q, 4), 0);
    CHECK_EQ(timer_run(&q, 20), 3);             /* 5, 10, 20: <= now */
    CHECK_FIRED("6 1 4");
    CHECK_EQ(timer_next_deadline(&q), 30);
    CHECK(!timer_armed(&tm[4]) && timer_armed(&tm[3]));
    CHECK_EQ(timer_run(&q, 1000), 5);
    CHECK_FIRED("6 1 4 3 2 7 0 5");
    CHECK_EQ(timer_queue_count(&q), 0);
    CHECK_EQ(timer_next_deadline(&q), TIMER_NEVER);
    check_heaps(&q);
}

static void test_equal_deadlines(void)
{
    timer_queue q;

    reset(&q);
    for (int i = 0; i < 40; i++)                /* armed 0..39, all at 100 */
        timer_start(&q, &tm[(i * 7) % 40], 100);
    timer_start(&q, &tm[0], 100);               /* re-armed: now it is last */
    timer_start(&q, &tm[50], 99);
    timer_start(&q, &tm[51], 101);
    check_heaps(&q);
    CHECK_EQ(timer_run(&q, 101), 42);
    {
        char want[1024];
        size_t len = (size_t)snprintf(want, sizeof want, "50");
        for (int i = 1; i < 40; i++)
            len += (size_t)snprintf(want + len, sizeof want - len, " %d", (i * 7) % 40);
        snprintf(want + len, sizeof want - len, " 0 51");
        CHECK_FIRED(want);
    }
}

static void test_cancel(void)
{
    timer_queue q;

    reset(&q);
    for (int i = 0; i < 10; i++)
        timer_start(&q, &tm[i], 100 + 10 * (uint64_t)i);
    CHECK(timer_cancel(&q, &tm[0]));            /* the head */
    CHECK_EQ(timer_next_deadline(&q), 110);
    CHECK(timer_cancel(&q, &tm[5]));            /* the middle */
    CHECK(timer_cancel(&q, &tm[9]));            /* the last */
    CHECK(!timer_cancel(&q, &tm[9]));           /* twice */
    CHECK(!timer_cancel(&q, &tm[20]));          /* never armed */
    CHECK(!timer_armed(&tm[5]) && !timer_armed(&tm[20]));
    CHECK_EQ(timer_queue_count(&q), 7);
    check_heaps(&q);
    CHECK_EQ(timer_run(&q, 1000), 7);
    CHECK_FIRED("1 2 3 4 6 7 8");
    CHECK(!timer_cancel(&q, &tm[1]));           /* already fired */
    CHECK_EQ(timer_queue_count(&q), 0);
    /* Cancel after the heap has been reshaped by removals. */
    reset(&q);
    for (int i = 0; i < NT; i++)
        timer_start(&q, &tm[i], (uint64_t)(i * 37 % NT));
    CHECK_EQ(timer_run(&q, 3), 4);
    for (int i = 0; i < NT; i += 3)
        timer_cancel(&q, &tm[i]);
    check_heaps(&q);
    nfired = 0;
    timer_run(&q, TIMER_NEVER);
    for (unsigned i = 1; i < nfired; i++)
        CHECK(tm[fire_log[i - 1]].deadline < tm[fire_log[i]].deadline);
    for (unsigned i = 0; i < nfired; i++)
        CHECK(fire_log[i] % 3 != 0);
}

static void test_rearm(void)
{
    timer_queue q, other;

    reset(&q);
    for (int i = 0; i < 5; i++)
        timer_start(&q, &tm[i], 100 + 10 * (uint64_t)i);
    timer_start(&q, &tm[4], 50);                /* later to earlier */
    CHECK_EQ(timer_next_deadline(&q), 50);
    timer_start(&q, &tm[4], 500);               /* and later again */
    timer_start(&q, &tm[0], 125);               /* the head, later */
    CHECK_EQ(timer_queue_count(&q), 5);
    check_heaps(&q);
    CHECK_EQ(timer_next_deadline(&q), 110);
    CHECK_EQ(timer_run(&q, 1000), 5);
    CHECK_FIRED("1 2 0 3 4");
    /* Moving a timer to another queue takes it off the first. */
    reset(&q);
    timer_queue_init(&other);
    timer_start(&q, &tm[0], 10);
    timer_start(&other, &tm[0], 20);
    CHECK_EQ(timer_queue_count(&q), 0);
    CHECK_EQ(timer_queue_count(&other), 1);
    CHECK(tm[0].queue == &other);
    /* Cancelling on the wrong queue is refused (and asserted). */
    CHECK(!timer_cancel(&q, &tm[0]));
    CHECK_EQ(assert_hits, 1);
    assert_hits = 0;
    CHECK(timer_armed(&tm[0]));
    CHECK_EQ(timer_run(&other, 20), 1);
}

/* ---- callbacks ---- */

struct periodic {
    timer_queue *q;
    uint64_t start, period;
    unsigned count;
    int drifted;
};

//! [periodic]
static void periodic_fired(timer *t, void *arg)
{
    struct periodic *p = (struct periodic *)arg;

    p->count++;
    if (t->deadline != p->start + p->count * p->period)
        p->drifted = 1;             /* the n-th firing is due at start + n * period */
    timer_repeat(p->q, t, p->period);
}
//! [periodic]

static void test_periodic(void)
{
    timer_queue q;
    struct periodic p = { &q, 5000, 1000, 0, 0 };
    uint64_t now = 0, s = 7, due;

    timer_queue_init(&q);
    timer_init(&tm[0], periodic_fired, &p);
    timer_start(&q, &tm[0], p.start + p.period);
    while (p.count < 1000) {
        unsigned n, before = p.count;

        /* Late by up to a third of a period; now and then five periods
           behind, which the timer catches up one period per run. */
        due = timer_next_deadline(&q) + rng_below(&s, p.period / 3);
        if (due > now)
            now = due;
        if (rng_below(&s, 50) == 0)
            now += 5 * p.period;
        n = timer_run(&q, now);
        CHECK(n == 1);                          /* one period per run, at most */
        CHECK_EQ(p.count, before + n);
        if (test_failed)
            return;
    }
    CHECK(!p.drifted);
    CHECK_EQ(tm[0].deadline, p.start + 1001 * p.period);
    CHECK_EQ(timer_next_deadline(&q), p.start + 1001 * p.period);
    /* A period that overflows parks the timer at TIMER_NEVER. */
    CHECK(timer_cancel(&q, &tm[0]));
    tm[0].deadline = UINT64_MAX - 10;
    timer_repeat(&q, &tm[0], 100);
    CHECK_EQ(tm[0].deadline, TIMER_NEVER);
}

static timer_queue *cb_q;

/* Cancels timer `arg`. */
static void cancel_arg(timer *t, void *arg)
{
    record(t, NULL);
    CHECK(timer_cancel(cb_q, (timer *)arg));
}

/* Arms timer `arg` for a deadline already due. */
static void start_arg_now(timer *t, void *arg)
{
    record(t, NULL);
    timer_start(cb_q, (timer *)arg, t->deadline);   /* due already */
}

/* Re-arms itself 5 ns before its last deadline. */
static void rearm_self_past(timer *t, void *arg)
{
    (void)arg;
    record(t, NULL);
    timer_start(cb_q, t, t->deadline - 5);          /* due already: next run */
    /* A due timer armed in a run still shows in the next deadline. */
    CHECK(timer_next_deadline(cb_q) <= t->deadline);
}

/* Tries to run its own queue. */
static void nested_run(timer *t, void *arg)
{
    (void)arg;
    record(t, NULL);
    CHECK_EQ(timer_run(cb_q, TIMER_NEVER), 0);      /* refused */
}

static void test_callbacks(void)
{
    timer_queue q;

    cb_q = &q;
    /* Timer 0 (at 10) cancels timer 2 (at 20), due in the same run. */
    reset(&q);
    timer_init(&tm[0], cancel_arg, &tm[2]);
    timer_start(&q, &tm[0], 10);
    timer_start(&q, &tm[1], 15);
    timer_start(&q, &tm[2], 20);
    timer_start(&q, &tm[3], 20);
    CHECK_EQ(timer_run(&q, 30), 3);
    CHECK_FIRED("0 1 3");
    CHECK(!timer_armed(&tm[2]));
    /* Timer 0 arms timer 4 for a deadline already passed: next run. */
    reset(&q);
    timer_init(&tm[0], start_arg_now, &tm[4]);
    timer_start(&q, &tm[0], 10);
    timer_start(&q, &tm[1], 12);
    CHECK_EQ(timer_run(&q, 30), 2);
    CHECK_FIRED("0 1");
    CHECK(timer_armed(&tm[4]));
    CHECK_EQ(timer_next_deadline(&q), 10);
    check_heaps(&q);
    CHECK_EQ(timer_run(&q, 30), 1);
    CHECK_FIRED("0 1 4");
    /* A timer re-arming itself in the past fires once per run, and does not
       hold back a due timer armed before the run (timer 1, at 12). */
    reset(&q);
    timer_init(&tm[0], rearm_self_past, NULL);
    timer_start(&q, &tm[0], 100);
    timer_start(&q, &tm[1], 120);
    timer_start(&q, &tm[2], 400);
    CHECK_EQ(timer_run(&q, 300), 2);
    CHECK_FIRED("0 1");
    CHECK_EQ(timer_next_deadline(&q), 95);
    CHECK_EQ(timer_run(&q, 300), 1);
    CHECK_EQ(timer_run(&q, 300), 1);
    CHECK_FIRED("0 1 0 0");
    CHECK_EQ(tm[0].deadline, 100 - 5 * 3);
    CHECK(timer_cancel(&q, &tm[0]));
    CHECK_EQ(timer_run(&q, 300), 0);
    CHECK_EQ(timer_next_deadline(&q), 400);
    check_heaps(&q);
    /* timer_run from a callback is refused, and asserted. */
    reset(&q);
    timer_init(&tm[0], nested_run, NULL);
    timer_start(&q, &tm[0], 1);
    timer_start(&q, &tm[1], 2);
    CHECK_EQ(timer_run(&q, 5), 2);
    CHECK_FIRED("0 1");
    CHECK_EQ(assert_hits, 1);
    assert_hits = 0;
}

/* ---- against a reference ---- */

/* The reference is the specification written as plainly as possible: an
   array of timers, scanned for the earliest on every question. */
struct ref {
    bool armed[NT];
    uint64_t deadline[NT], seq[NT];
    uint64_t next_seq, run_seq, run_now;
    bool running;
};

/* One model of the system under test, real or reference, with its own
   random stream for what callbacks do, and a log of what happened. */
struct sys {
    bool is_ref;
    timer_queue q;
    timer t[NT];
    struct ref r;
    uint64_t rng, now;
    bool quiet;                 /* callbacks do nothing but log */
    unsigned long fired, late, cb_cancels;  /* what the schedules exercised */
    uint64_t log[1 << 14];
    unsigned nlog;
};

static struct sys sys_real, sys_ref;

static void log_val(struct sys *s, uint64_t v)
{
    if (s->nlog < sizeof s->log / sizeof s->log[0])
        s->log[s->nlog] = v;
    s->nlog++;
}

static void ref_start(struct ref *r, int id, uint64_t d)
{
    r->armed[id] = true;
    r->deadline[id] = d;
    r->seq[id] = r->next_seq++;
}

static bool ref_cancel(struct ref *r, int id)
{
    bool was = r->armed[id];

    r->armed[id] = false;
    return was;
}

static uint64_t ref_next_deadline(const struct ref *r)
{
    uint64_t d = TIMER_NEVER;

    for (int i = 0; i < NT; i++)
        if (r->armed[i] && r->deadline[i] < d)
            d = r->deadline[i];
    return d;
}

static unsigned ref_count(const struct ref *r)
{
    unsigned n = 0;

    for (int i = 0; i < NT; i++)
        n += r->armed[i];
    return n;
}

static void sys_start(struct sys *s, int id, uint64_t d)
{
    if (s->is_ref && s->r.running && d <= s->r.run_now)
        s->late++;              /* due already: must wait for the next run */
    if (s->is_ref)
        ref_start(&s->r, id, d);
    else
        timer_start(&s->q, &s->t[id], d);
}

static bool sys_cancel(struct sys *s, int id)
{
    return s->is_ref ? ref_cancel(&s->r, id) : timer_cancel(&s->q, &s->t[id]);
}

static uint64_t sys_next(struct sys *s)
{
    return s->is_ref ? ref_next_deadline(&s->r) : timer_next_deadline(&s->q);
}

/* A deadline near now: often equal to another, often already due. */
static uint64_t pick_deadline(uint64_t now, uint64_t *rng)
{
    return now - 8 + rng_below(rng, 24);
}

/* What every timer does when it fires, drawn from the system's own random
   stream: both systems draw the same numbers as long as they agree. */
static void sys_fired(struct sys *s, int id)
{
    log_val(s, 1000 + (uint64_t)id);
    s->fired++;
    if (s->quiet)
        return;
    switch (rng_below(&s->rng, 10)) {
    case 0: case 1:             /* re-arm itself, maybe already due */
        sys_start(s, id, pick_deadline(s->now, &s->rng));
        break;
    case 2:                     /* periodic */
        if (s->is_ref)
            ref_start(&s->r, id, s->r.deadline[id] + 1 + rng_below(&s->rng, 4));
        else
            timer_repeat(&s->q, &s->t[id], 1 + rng_below(&s->rng, 4));
        break;
    case 3: case 4:             /* arm another */
        sys_start(s, (int)rng_below(&s->rng, NT), pick_deadline(s->now, &s->rng));
        break;
    case 5: case 6:             /* cancel another, maybe due in this run */
        if (sys_cancel(s, (int)rng_below(&s->rng, NT))) {
            s->cb_cancels++;
            log_val(s, 2001);
        } else {
            log_val(s, 2000);
        }
        break;
    case 7:
        log_val(s, sys_next(s));
        break;
    default:
        break;
    }
}

static void real_fired(timer *t, void *arg)
{
    struct sys *s = (struct sys *)arg;

    sys_fired(s, (int)(t - s->t));
}

static unsigned ref_run(struct sys *s, uint64_t now)
{
    struct ref *r = &s->r;
    unsigned n = 0;

    r->running = true;
    r->run_seq = r->next_seq;
    r->run_now = now;
    for (;;) {
        int best = -1;

        for (int i = 0; i < NT; i++) {
            if (!r->armed[i] || r->deadline[i] > now || r->seq[i] >= r->run_seq)
                continue;
            if (best < 0 || r->deadline[i] < r->deadline[best] ||
                (r->deadline[i] == r->deadline[best] && r->seq[i] < r->seq[best]))
                best = i;
        }
        if (best < 0)
            break;
        r->armed[best] = false;
        n++;
        sys_fired(s, best);
    }
    r->running = false;
    return n;
}

static unsigned sys_run(struct sys *s, uint64_t now)
{
    return s->is_ref ? ref_run(s, now) : timer_run(&s->q, now);
}

static void sys_reset(struct sys *s, bool is_ref, uint64_t seed)
{
    s->is_ref = is_ref;
    timer_queue_init(&s->q);
    for (int i = 0; i < NT; i++) {
        timer_init(&s->t[i], real_fired, s);
        s->r.armed[i] = false;
    }
    s->r.next_seq = 0;
    s->r.running = false;
    s->rng = seed;
    s->now = 100;
    s->quiet = false;
    s->nlog = 0;
    if (seed == 0)
        s->fired = s->late = s->cb_cancels = 0;
}

/* After every operation both systems must have logged the same events and
   agree on the next deadline, the count and which timers are armed. */
static bool same(int line)
{
    struct sys *a = &sys_real, *b = &sys_ref;
    unsigned n = a->nlog < b->nlog ? a->nlog : b->nlog;

    if (n > sizeof a->log / sizeof a->log[0])
        n = sizeof a->log / sizeof a->log[0];
    if (a->nlog != b->nlog)
        fail_at(line, "a different number of events");
    for (unsigned i = 0; i < n && !test_failed; i++)
        if (a->log[i] != b->log[i])
            fail_at(line, "a different event");
    if (timer_next_deadline(&a->q) != ref_next_deadline(&b->r))
        fail_at(line, "a different next deadline");
    if (timer_queue_count(&a->q) != ref_count(&b->r))
        fail_at(line, "a different count");
    for (int i = 0; i < NT && !test_failed; i++)
        if (timer_armed(&a->t[i]) != b->r.armed[i])
            fail_at(line, "a different timer armed");
    check_heaps(&a->q);
    return !test_failed;
}

static void test_against_reference(void)
{
    unsigned long ops_total = 0;

    for (uint64_t schedule = 0; schedule < 2000; schedule++) {
        uint64_t op_rng = schedule * 7919 + 1;
        uint64_t ops = rng_below(&op_rng, 2) ? 400 : 100;

        sys_reset(&sys_real, false, schedule);
        sys_reset(&sys_ref, true, schedule);
        ops_total += ops;
        for (uint64_t i = 0; i < ops; i++) {
            uint64_t op = rng_below(&op_rng, 20);
            int id = (int)rng_below(&op_rng, NT);
            uint64_t d = pick_deadline(sys_real.now, &op_rng);
            struct sys *both[2] = { &sys_real, &sys_ref };

            for (int k = 0; k < 2; k++) {
                struct sys *s = both[k];
                if (op < 9) {
                    sys_start(s, id, d);
                } else if (op < 13) {
                    log_val(s, 2000 + sys_cancel(s, id));
                } else if (op < 18) {
                    log_val(s, 3000 + sys_run(s, s->now));
                } else {
                    s->now += 1 + op % 4;
                }
                log_val(s, sys_next(s));
            }
            if (!same(__LINE__))
                goto out;
        }
        /* Drain: with the callbacks quiet, everything left fires once. */
        sys_real.quiet = sys_ref.quiet = true;
        log_val(&sys_real, sys_run(&sys_real, TIMER_NEVER));
        log_val(&sys_ref, sys_run(&sys_ref, TIMER_NEVER));
        CHECK_EQ(timer_queue_count(&sys_real.q), 0);
        if (!same(__LINE__))
            goto out;
    }
    printf("  2000 schedules, %lu operations: %lu timers fired, %lu armed "
           "already due in a run, %lu cancelled by callbacks\n",
           ops_total, sys_ref.fired, sys_ref.late, sys_ref.cb_cancels);
out:
    if (test_failed)
        printf("  (failed at event %u of the real queue, %u of the reference)\n",
               sys_real.nlog, sys_ref.nlog);
}

/* Each test runs through run_test, under its old name. */
static void run_conversion_edges(void) { run_test(test_conversion_edges); }
static void run_conversion_random(void) { run_test(test_conversion_random); }
static void run_durations(void) { run_test(test_durations); }
static void run_order(void) { run_test(test_order); }
static void run_equal_deadlines(void) { run_test(test_equal_deadlines); }
static void run_cancel(void) { run_test(test_cancel); }
static void run_rearm(void) { run_test(test_rearm); }
static void run_periodic(void) { run_test(test_periodic); }
static void run_callbacks(void) { run_test(test_callbacks); }
static void run_against_reference(void) { run_test(test_against_reference); }

CHECK_MAIN(
    { "conversion-edges", run_conversion_edges },
    { "conversion-random", run_conversion_random },
    { "durations", run_durations },
    { "order", run_order },
    { "equal-deadlines", run_equal_deadlines },
    { "cancel", run_cancel },
    { "rearm", run_rearm },
    { "periodic", run_periodic },
    { "callbacks", run_callbacks },
    { "against-reference", run_against_reference })
