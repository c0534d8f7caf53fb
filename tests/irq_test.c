/* irq_test.c - white-box tests of hdr/irq.h: registration, raise and
   dispatch, coalescing, enable/disable, counters, the edges of the bitmap
   words, handlers that raise, a random pattern against a reference model,
   the cost of a dispatch, and an ISR racing the dispatcher on another
   thread. Build with -pthread. Prints `ok NAME` or `FAIL NAME: why`. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, sched_yield */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Count the bit scans and exchanges a dispatch makes: its cost. Only the
   dispatching thread calls them. */
static unsigned long ctz_calls, xchg_calls;
#define IRQ_CTZ(x) (ctz_calls++, (unsigned)__builtin_ctz(x))
#define IRQ_ATOMIC_XCHG(p, v) (xchg_calls++, __atomic_exchange_n((p), (v), __ATOMIC_ACQUIRE))
/* Invariants abort the test (a failed one is a bug in irq.h, never input). */
#define IRQ_ASSERT(c) do { if (!(c)) { fprintf(stderr, "IRQ_ASSERT(%s) failed\n", #c); abort(); } } while (0)
#define IRQ_IMPLEMENTATION
#include "irq.h"

#include "check.h"

/* ---- a recording handler ---- */

static irq_table t;
static unsigned calls[IRQ_MAX];     /* handler calls per irq */
static void *seen_ctx[IRQ_MAX];     /* the ctx of the last call */
static unsigned order[64], norder;  /* the irqs of the last calls, in order */

static void record(void *ctx, unsigned irq)
{
    calls[irq]++;
    seen_ctx[irq] = ctx;
    if (norder < 64)
        order[norder++] = irq;
}

static void reset(void)
{
    irq_table_init(&t);
    memset(calls, 0, sizeof calls);
    memset(seen_ctx, 0, sizeof seen_ctx);
    norder = 0;
}

static int dummy[IRQ_MAX];

/* ---- tests ---- */

static void test_register(void)
{
    reset();
    CHECK(irq_register(&t, 3, record, &dummy[3]));
    CHECK(!irq_register(&t, 3, record, &dummy[0]));      /* taken */
    CHECK(t.slot[3].ctx == &dummy[3]);                   /* unchanged */
    CHECK(!irq_register(&t, IRQ_MAX, record, 0));        /* out of range */
    CHECK(!irq_register(&t, UINT_MAX, record, 0));
    CHECK(!irq_register(&t, 4, 0, 0));                   /* no handler */
    CHECK(irq_unregister(&t, 3));
    CHECK(!irq_unregister(&t, 3));                       /* not registered */
    CHECK(!irq_unregister(&t, IRQ_MAX));
    CHECK(irq_register(&t, 3, record, &dummy[0]));       /* free again */
    CHECK(t.slot[3].ctx == &dummy[0]);
}

static void test_raise_dispatch(void)
{
    reset();
    irq_register(&t, 5, record, &dummy[5]);
    CHECK(!irq_pending(&t));
    CHECK_EQ(irq_dispatch(&t), 0);
    irq_raise(&t, 5);
    CHECK(irq_pending(&t));
    CHECK_EQ(calls[5], 0);                 /* nothing runs in the "ISR" */
    CHECK_EQ(irq_dispatch(&t), 1);
    CHECK_EQ(calls[5], 1);
    CHECK(seen_ctx[5] == &dummy[5]);
    CHECK_EQ(order[0], 5);
    CHECK(!irq_pending(&t));
    CHECK_EQ(irq_dispatch(&t), 0);         /* consumed */
    CHECK_EQ(calls[5], 1);
    CHECK_EQ(irq_count(&t, 5), 1);
}

static void test_coalesce(void)
{
    reset();
    irq_register(&t, 7, record, 0);
    irq_raise(&t, 7);
    irq_raise(&t, 7);
    irq_raise(&t, 7);
    CHECK_EQ(irq_dispatch(&t), 1);
    CHECK_EQ(calls[7], 1);
    CHECK_EQ(irq_count(&t, 7), 3);         /* every event is counted */
    irq_raise(&t, 7);
    CHECK_EQ(irq_dispatch(&t), 1);
    CHECK_EQ(calls[7], 2);
}

static void test_disable(void)
{
    reset();
    irq_register(&t, 9, record, 0);
    irq_disable(&t, 9);
    irq_raise(&t, 9);
    irq_raise(&t, 9);
    CHECK_EQ(irq_dispatch(&t), 0);
    CHECK_EQ(calls[9], 0);
    CHECK(!irq_pending(&t));               /* held, not pending: may sleep */
    CHECK_EQ(irq_dispatch(&t), 0);
    irq_enable(&t, 9);
    CHECK(irq_pending(&t));
    CHECK_EQ(irq_dispatch(&t), 1);         /* once: the two coalesced */
    CHECK_EQ(calls[9], 1);
    CHECK_EQ(irq_count(&t, 9), 2);         /* enable does not count again */
    CHECK_EQ(irq_dispatch(&t), 0);
    irq_enable(&t, 9);                     /* enabling again: nothing held */
    CHECK_EQ(irq_dispatch(&t), 0);
    /* disabled with nothing raised: enable raises nothing */
    irq_disable(&t, 9);
    irq_enable(&t, 9);
    CHECK(!irq_pending(&t));
    /* out of range: ignored */
    irq_disable(&t, IRQ_MAX);
    irq_enable(&t, IRQ_MAX);
    CHECK_EQ(irq_dispatch(&t), 0);
}

static void test_unhandled(void)
{
    reset();
    irq_raise(&t, 11);
    CHECK_EQ(irq_dispatch(&t), 0);
    CHECK_EQ(irq_unhandled_count(&t), 1);
    CHECK(!irq_pending(&t));               /* dropped, not kept */
    CHECK_EQ(irq_dispatch(&t), 0);
    CHECK_EQ(irq_unhandled_count(&t), 1);
    /* held while disabled and unregistered: unhandled when enabled */
    irq_disable(&t, 12);
    irq_raise(&t, 12);
    irq_dispatch(&t);
    CHECK_EQ(irq_unhandled_count(&t), 1);
    irq_enable(&t, 12);
    irq_dispatch(&t);
    CHECK_EQ(irq_unhandled_count(&t), 2);
    /* registered after the raise, before the dispatch: handled */
    irq_raise(&t, 13);
    irq_register(&t, 13, record, 0);
    CHECK_EQ(irq_dispatch(&t), 1);
    CHECK_EQ(irq_unhandled_count(&t), 2);
}

static void test_spurious(void)
{
    reset();
    CHECK_EQ(irq_spurious_count(&t), 0);
    irq_spurious(&t);
    CHECK_EQ(irq_spurious_count(&t), 1);
    irq_raise(&t, IRQ_MAX);
    irq_raise(&t, UINT_MAX);
    CHECK_EQ(irq_spurious_count(&t), 3);
    CHECK(!irq_pending(&t));
    CHECK_EQ(irq_dispatch(&t), 0);
    CHECK_EQ(irq_count(&t, IRQ_MAX), 0);
    CHECK_EQ(irq_unhandled_count(&t), 0);
}

static void test_edges(void)
{
    static const unsigned edge[] = { 0, 31, 32, 63, 64, IRQ_MAX - 1 };
    const unsigned n = sizeof edge / sizeof edge[0];
    unsigned i;

    reset();
    for (i = 0; i < n; i++)
        CHECK(irq_register(&t, edge[i], record, &dummy[edge[i]]));
    for (i = n; i-- > 0;)
        irq_raise(&t, edge[i]);
    CHECK_EQ(irq_dispatch(&t), n);
    for (i = 0; i < n; i++) {
        CHECK_EQ(calls[edge[i]], 1);
        CHECK(seen_ctx[edge[i]] == &dummy[edge[i]]);
        CHECK_EQ(irq_count(&t, edge[i]), 1);
    }
    CHECK_EQ(norder, n);
    /* each one alone, too: a word boundary must not leak into its neighbour */
    for (i = 0; i < n; i++) {
        memset(calls, 0, sizeof calls);
        irq_raise(&t, edge[i]);
        CHECK_EQ(irq_dispatch(&t), 1);
        CHECK_EQ(calls[edge[i]], 1);
    }
}

/* A handler that raises its own irq: once per dispatch, never a loop. */
static void raise_self(void *ctx, unsigned irq)
{
    (void)ctx;
    calls[irq]++;
    irq_raise(&t, irq);
}

/* A handler that disables another irq, unregisters a third and registers
   a fourth, all in its own word. */
static void meddle(void *ctx, unsigned irq)
{
    (void)ctx;
    calls[irq]++;
    irq_disable(&t, 21);
    irq_unregister(&t, 22);
    irq_register(&t, 23, record, 0);
    irq_unregister(&t, irq);               /* and itself */
}

static void test_handler_side_effects(void)
{
    reset();
    irq_register(&t, 40, raise_self, 0);
    irq_raise(&t, 40);
    CHECK_EQ(irq_dispatch(&t), 1);
    CHECK_EQ(calls[40], 1);
    CHECK(irq_pending(&t));                /* raised again, for next time */
    CHECK_EQ(irq_dispatch(&t), 1);
    CHECK_EQ(irq_dispatch(&t), 1);
    CHECK_EQ(calls[40], 3);
    irq_disable(&t, 40);                   /* the way to stop it */
    CHECK_EQ(irq_dispatch(&t), 0);
    CHECK(!irq_pending(&t));

    reset();
    irq_register(&t, 20, meddle, 0);
    irq_register(&t, 21, record, 0);
    irq_register(&t, 22, record, 0);
    irq_raise(&t, 20);
    irq_raise(&t, 21);
    irq_raise(&t, 22);
    irq_raise(&t, 23);
    CHECK_EQ(irq_dispatch(&t), 2);         /* 20 and the new 23 */
    CHECK_EQ(calls[20], 1);
    CHECK_EQ(calls[21], 0);                /* disabled in the same word: held */
    CHECK_EQ(calls[22], 0);                /* unregistered: dropped */
    CHECK_EQ(calls[23], 1);                /* registered in time */
    CHECK_EQ(irq_unhandled_count(&t), 1);
    irq_enable(&t, 21);
    CHECK_EQ(irq_dispatch(&t), 1);
    CHECK_EQ(calls[21], 1);
    irq_raise(&t, 20);                     /* 20 unregistered itself */
    CHECK_EQ(irq_dispatch(&t), 0);
    CHECK_EQ(irq_unhandled_count(&t), 2);
}

/* ---- random patterns against a reference model ---- */

static uint32_t rng = 12345;
static unsigned rnd(unsigned n)
{
    rng = rng * 1103515245u + 12345u;
    return (rng >> 8) % n;
}

static void test_random(void)
{
    static bool ref_pending[IRQ_MAX], ref_held[IRQ_MAX], ref_enabled[IRQ_MAX];
    static unsigned ref_calls[IRQ_MAX];
    unsigned round, i, irq, ref_unhandled = 0;
    bool ok = true;

    reset();
    for (i = 0; i < IRQ_MAX; i++) {
        ref_pending[i] = ref_held[i] = false;
        ref_enabled[i] = true;
        ref_calls[i] = 0;
        if (i % 7 != 3)                    /* some lines have no handler */
            irq_register(&t, i, record, 0);
    }
    for (round = 0; round < 2000 && ok; round++) {
        unsigned nraise = rnd(4) == 0 ? rnd(300) : rnd(8);
        unsigned expect = 0;

        for (i = 0; i < nraise; i++) {
            /* cluster half of them in a few words, spread the rest */
            irq = rnd(2) ? rnd(96) : rnd(IRQ_MAX);
            irq_raise(&t, irq);
            ref_pending[irq] = true;
        }
        if (rnd(3) == 0) {
            irq = rnd(IRQ_MAX);
            if (ref_enabled[irq]) {
                irq_disable(&t, irq);
                ref_enabled[irq] = false;
            } else {
                irq_enable(&t, irq);
                ref_enabled[irq] = true;
                if (ref_held[irq])
                    ref_pending[irq] = true;
                ref_held[irq] = false;
            }
        }
        for (i = 0; i < IRQ_MAX; i++) {
            if (!ref_pending[i])
                continue;
            ref_pending[i] = false;
            if (!ref_enabled[i])
                ref_held[i] = true;
            else if (i % 7 == 3)
                ref_unhandled++;
            else {
                ref_calls[i]++;
                expect++;
            }
        }
        ok = irq_dispatch(&t) == expect && !irq_pending(&t);
        for (i = 0; i < IRQ_MAX && ok; i++)
            ok = calls[i] == ref_calls[i];
        ok = ok && irq_unhandled_count(&t) == ref_unhandled;
    }
    CHECK(ok);
    CHECK_EQ(round, 2000);
}

/* ---- a dispatch costs its set bits, not IRQ_MAX ---- */

static void test_cost(void)
{
    static const unsigned some[] = { 1, 2, 3, 33, 500, 900, IRQ_MAX - 1 };
    const unsigned n = sizeof some / sizeof some[0];
    unsigned i;

    reset();
    for (i = 0; i < IRQ_MAX; i++)
        irq_register(&t, i, record, 0);
    ctz_calls = xchg_calls = 0;
    CHECK_EQ(irq_dispatch(&t), 0);         /* nothing: one look at the summary */
    CHECK_EQ(ctz_calls, 0);
    CHECK_EQ(xchg_calls, IRQ_SUMMARY_WORDS);

    for (i = 0; i < n; i++)
        irq_raise(&t, some[i]);
    ctz_calls = xchg_calls = 0;
    CHECK_EQ(irq_dispatch(&t), n);
    /* words touched: {1,2,3} {33} {500} {900} {1023} = 5 */
    CHECK_EQ(ctz_calls, n + 5);            /* one per set bit, one per word */
    CHECK_EQ(xchg_calls, IRQ_SUMMARY_WORDS + 5);

    for (i = 0; i < IRQ_MAX; i++)          /* everything: still one per bit */
        irq_raise(&t, i);
    ctz_calls = xchg_calls = 0;
    CHECK_EQ(irq_dispatch(&t), IRQ_MAX);
    CHECK_EQ(ctz_calls, IRQ_MAX + IRQ_WORDS);
}

/* ---- an "ISR" on another CPU racing the dispatcher ---- */

#define NSPREAD 48
#define NRAISE 100000u
static const unsigned spread_step = IRQ_MAX / NSPREAD;  /* many words */
static uint32_t last_written[IRQ_MAX];                  /* atomics */
static uint32_t last_seen[IRQ_MAX];                     /* atomics */
static int go, raiser_done;                             /* atomics */
static uint32_t nraised;                                /* set by the raiser */
static unsigned long lost;                              /* waits that timed out */
static struct timespec t0;

static double elapsed(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) * 1e-9;
}

static void seen(void *ctx, unsigned irq)
{
    (void)ctx;
    calls[irq]++;
    __atomic_store_n(&last_seen[irq], __atomic_load_n(&last_written[irq], __ATOMIC_RELAXED),
                     __ATOMIC_RELAXED);
}

/* Every 64th event, wait until the dispatcher has seen it: the two threads
   then interleave all along, instead of one finishing before the other
   starts. An event that is lost makes the wait run out (2 s: far more than
   any scheduling delay on a busy machine). */
static void wait_seen(unsigned irq, uint32_t v)
{
    double limit = elapsed() + 2.0;
    unsigned spin;

    for (spin = 0; !lost; spin++) {
        if (__atomic_load_n(&last_seen[irq], __ATOMIC_RELAXED) == v)
            return;
        if (spin >= 100)
            sched_yield();                 /* the dispatcher may share our CPU */
        if (spin % 256 == 255 && elapsed() > limit)
            lost++;
    }
}

/* Raise NRAISE events, or as many as fit in 0.3 s on a loaded machine. */
static void *raiser(void *arg)
{
    uint32_t i;

    (void)arg;
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        ;
    for (i = 1; i <= NRAISE && (i % 1024 || elapsed() < 0.3); i++) {
        unsigned irq = (i / 3 * 7u % NSPREAD) * spread_step; /* in threes */

        __atomic_store_n(&last_written[irq], i, __ATOMIC_RELAXED);
        irq_raise(&t, irq);
        if (i % 1000 == 0)
            irq_raise(&t, IRQ_MAX);        /* a spurious one now and then */
        if (i % 64 == 0)
            wait_seen(irq, i);
    }
    nraised = i - 1;
    __atomic_store_n(&raiser_done, 1, __ATOMIC_RELEASE);
    return 0;
}

static void test_threads(void)
{
    pthread_t th;
    unsigned long total = 0, ncalls = 0;
    unsigned i, irq;

    reset();
    memset(last_written, 0, sizeof last_written);
    memset(last_seen, 0, sizeof last_seen);
    for (i = 0; i < NSPREAD; i++)
        irq_register(&t, i * spread_step, seen, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(pthread_create(&th, 0, raiser, 0) == 0);
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&raiser_done, __ATOMIC_ACQUIRE))
        if (!irq_dispatch(&t))
            sched_yield();
    pthread_join(th, 0);
    irq_dispatch(&t);                      /* whatever came last */
    CHECK(!irq_pending(&t));
    for (i = 0; i < NSPREAD; i++) {
        irq = i * spread_step;
        /* The last event raised after the last write must have been seen. */
        CHECK_EQ(last_seen[irq], last_written[irq]);
        CHECK(calls[irq] >= 1 && calls[irq] <= irq_count(&t, irq));
        total += irq_count(&t, irq);
        ncalls += calls[irq];
    }
    CHECK_EQ(total, nraised);
    CHECK_EQ(irq_spurious_count(&t), nraised / 1000);
    CHECK_EQ(irq_unhandled_count(&t), 0);
    CHECK_EQ(lost, 0);
    CHECK(nraised >= 1024);
    printf("   threads: %lu events, %lu handler calls, %.2f s\n", total, ncalls, elapsed());
}


/* ---- the line fabric ---- */

/* A pretend controller: records every (input, level) it is told. */
struct probe {
    unsigned n;
    unsigned input[64];
    bool level[64];
    uint8_t eoi[8];
    unsigned neoi;
};

static void probe_input(void *ctx, unsigned input, bool level)
{
    struct probe *p = ctx;

    if (p->n < 64) {
        p->input[p->n] = input;
        p->level[p->n] = level;
    }
    p->n++;
}

static void probe_eoi(void *ctx, uint8_t vector)
{
    struct probe *p = ctx;

    if (p->neoi < 8)
        p->eoi[p->neoi] = vector;
    p->neoi++;
}

static void test_lines_pc_wiring(void)
{
    static irq_lineset s;
    static struct probe pic, ioapic;

    memset(&pic, 0, sizeof pic);
    memset(&ioapic, 0, sizeof ioapic);
    irq_lines_init(&s);
    irq_lines_wire_pc(&s, probe_input, &pic, probe_input, &ioapic);
    irq_line_set(&s, 0, true);             /* the PIT: PIC 0, IOAPIC pin 2 */
    CHECK_EQ(pic.n, 1);
    CHECK_EQ(pic.input[0], 0);
    CHECK_EQ(ioapic.n, 1);
    CHECK_EQ(ioapic.input[0], 2);
    irq_line_set(&s, 4, true);             /* COM1: both at 4 */
    CHECK_EQ(pic.input[1], 4);
    CHECK_EQ(ioapic.input[1], 4);
    irq_line_set(&s, 20, true);            /* a GSI past the ISA range: IOAPIC only */
    CHECK_EQ(pic.n, 2);
    CHECK_EQ(ioapic.n, 3);
    CHECK_EQ(ioapic.input[2], 20);
    CHECK(irq_line_level(&s, 4));
    CHECK(!irq_line_level(&s, 5));
}

static void test_lines_changes_only(void)
{
    static irq_lineset s;
    static struct probe p;

    memset(&p, 0, sizeof p);
    irq_lines_init(&s);
    CHECK(irq_line_connect(&s, 3, probe_input, &p, 7));
    irq_line_set(&s, 3, false);            /* already low: nothing */
    CHECK_EQ(p.n, 0);
    irq_line_set(&s, 3, true);
    irq_line_set(&s, 3, true);             /* no change: nothing */
    CHECK_EQ(p.n, 1);
    CHECK_EQ(p.input[0], 7);
    irq_line_pulse(&s, 3);                 /* already high: only the fall */
    CHECK_EQ(p.n, 2);
    CHECK(!p.level[1]);
    irq_line_pulse(&s, 3);                 /* low: up then down */
    CHECK_EQ(p.n, 4);
    CHECK(p.level[2]);
    CHECK(!p.level[3]);
    irq_line_set(&s, IRQ_LINES, true);     /* out of range: ignored */
    irq_line_set(&s, 1000000, true);
    CHECK_EQ(p.n, 4);
    CHECK(!irq_line_level(&s, IRQ_LINES));
}

static void test_lines_fanout_limit(void)
{
    static irq_lineset s;
    static struct probe p;

    irq_lines_init(&s);
    CHECK(irq_line_connect(&s, 1, probe_input, &p, 1));
    CHECK(irq_line_connect(&s, 1, probe_input, &p, 2));
    CHECK(!irq_line_connect(&s, 1, probe_input, &p, 3));   /* fan-out is 2 */
    CHECK(!irq_line_connect(&s, IRQ_LINES, probe_input, &p, 0));
    CHECK(!irq_line_connect(&s, 0, 0, &p, 0));
}

static void test_lines_eoi_broadcast(void)
{
    static irq_lineset s;
    static struct probe a, b;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    irq_lines_init(&s);
    irq_eoi_broadcast(&s, 0x30);           /* nobody listens: fine */
    CHECK(irq_eoi_listen(&s, probe_eoi, &a));
    CHECK(irq_eoi_listen(&s, probe_eoi, &b));
    irq_eoi_broadcast(&s, 0x34);
    CHECK_EQ(a.neoi, 1);
    CHECK_EQ(a.eoi[0], 0x34);
    CHECK_EQ(b.neoi, 1);
    CHECK_EQ(b.eoi[0], 0x34);
    CHECK(irq_eoi_listen(&s, probe_eoi, &a));
    CHECK(irq_eoi_listen(&s, probe_eoi, &a));
    CHECK(!irq_eoi_listen(&s, probe_eoi, &a));   /* IRQ_EOI_LISTENERS is 4 */
    CHECK(!irq_eoi_listen(&s, 0, &a));
}

/* The tests keep their old names, so entries are written out. */
CHECK_MAIN(
    { "register", test_register },
    { "raise-dispatch", test_raise_dispatch },
    { "coalesce", test_coalesce },
    { "disable-holds", test_disable },
    { "unhandled", test_unhandled },
    { "spurious", test_spurious },
    { "word-edges", test_edges },
    { "handler-side-effects", test_handler_side_effects },
    { "random-vs-reference", test_random },
    { "cost-per-set-bit", test_cost },
    { "threads", test_threads },
    { "lines-pc-wiring", test_lines_pc_wiring },
    { "lines-changes-only", test_lines_changes_only },
    { "lines-fanout-limit", test_lines_fanout_limit },
    { "lines-eoi-broadcast", test_lines_eoi_broadcast })
