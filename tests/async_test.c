/* async_test.c - white-box tests of hdr/async.h: the state machine, every
   row of the cancellation table, the exact order of one ktick (irq handlers,
   cancellations, callbacks, submissions), the per-tick bound, resubmission
   from a callback, backends that complete synchronously, and idleness.
   Every backend call and callback is written to a log, and each test
   compares the log with what must have happened, in order.
   Prints `ok NAME` or `FAIL NAME: why`. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Caller errors are counted, not fatal, so the tests can provoke them. */
static int assert_failures;
#define ASYNC_ASSERT(c) ((c) ? (void)0 : (void)assert_failures++)
#define ASYNC_IMPLEMENTATION
#include "async.h"

#include "check.h"

/* ---- the log: "s:a" submit, "c:a" cancel, "d:a=R" done, "i:N" irq ---- */

static char log_buf[2048];

static void note(const char *fmt, ...)
{
    size_t len = strlen(log_buf);
    va_list ap;

    if (len)
        log_buf[len++] = ' ';
    va_start(ap, fmt);
    vsnprintf(log_buf + len, sizeof log_buf - len, fmt, ap);
    va_end(ap);
}

/* Compare the log with `want`, then start a new one. */
#define CHECK_LOG(want)                                                       \
    do {                                                                      \
        if (!CHECK(strcmp(log_buf, (want)) == 0))                             \
            printf("  log \"%s\", want \"%s\"\n", log_buf, (want));           \
        log_buf[0] = 0;                                                       \
    } while (0)

static async_rt rt;
static irq_table irqs;

/* Every test starts from a fresh runtime and trips no ASYNC_ASSERT. */
static void run(void (*fn)(void))
{
    log_buf[0] = 0;
    assert_failures = 0;
    irq_table_init(&irqs);
    async_init(&rt, &irqs);
    fn();
    if (!CHECK_EQ(assert_failures, 0))
        printf("  ASYNC_ASSERT failure(s)\n");
}

/* ---- a fake backend, told by each item how to behave ---- */

enum { LATER, AT_ONCE };                 /* when submit completes */
enum { C_LATER, C_CANCELLED, C_FINISHED }; /* what cancel does */

typedef struct item {
    async_work w;                        /* first: an item is its work */
    const char *name;
    int submit_mode, cancel_mode;
    int result;                          /* what the backend completes with */
    int resubmit;                        /* times the callback submits again */
    async_state state_in_done;           /* the state seen by the callback */
} item;

static item *item_of(async_work *w)
{
    return (item *)(void *)w;
}

static void fake_submit(async_work *w)
{
    item *it = item_of(w);

    note("s:%s", it->name);
    if (async_state_of(w) != ASYNC_LIVE)
        note("NOT-LIVE");
    if (it->submit_mode == AT_ONCE)
        async_complete(w->rt, w, it->result);
}

static void fake_cancel(async_work *w)
{
    item *it = item_of(w);

    note("c:%s", it->name);
    if (it->cancel_mode == C_CANCELLED)
        async_complete(w->rt, w, ASYNC_CANCELLED);
    else if (it->cancel_mode == C_FINISHED)
        async_complete(w->rt, w, it->result);
}

static const async_ops fake_ops = { fake_submit, fake_cancel };
static const async_ops no_cancel_ops = { fake_submit, 0 };

static void on_done(async_work *w, int result)
{
    item *it = item_of(w);

    note("d:%s=%d", it->name, result);
    it->state_in_done = async_state_of(w);
    if (it->resubmit > 0) {
        it->resubmit--;
        if (!async_submit(&rt, w))
            note("RESUBMIT-REFUSED");
    }
}

static void make(item *it, const char *name, int submit_mode, int cancel_mode, int result)
{
    memset(it, 0, sizeof *it);
    it->name = name;
    it->submit_mode = submit_mode;
    it->cancel_mode = cancel_mode;
    it->result = result;
    async_work_init(&it->w, &fake_ops, on_done, it);
}

/* Bring an item to LIVE: submit and tick. */
static void make_live(item *it)
{
    async_submit(&rt, &it->w);
    ktick(&rt);
    log_buf[0] = 0;
}

/* ---- the state machine ---- */

static void test_lifecycle(void)
{
    item a;

    make(&a, "a", LATER, C_LATER, 7);
    CHECK(async_idle(&rt));
    CHECK_EQ(async_state_of(&a.w), ASYNC_DEAD);
    CHECK(a.w.ctx == &a);
    CHECK(async_submit(&rt, &a.w));
    CHECK_EQ(async_state_of(&a.w), ASYNC_SUBMIT_REQUESTED);
    CHECK_LOG("");                         /* nothing on the caller's stack */
    CHECK(!async_idle(&rt));
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("s:a");
    CHECK_EQ(async_state_of(&a.w), ASYNC_LIVE);
    CHECK(async_idle(&rt));                /* LIVE waits for its backend */
    CHECK_EQ(ktick(&rt), 0);
    CHECK_LOG("");
    async_complete(&rt, &a.w, 7);
    CHECK_EQ(async_state_of(&a.w), ASYNC_READY);
    CHECK(!async_idle(&rt));
    CHECK_LOG("");                         /* the callback waits for the tick */
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("d:a=7");
    CHECK_EQ(a.state_in_done, ASYNC_DEAD);
    CHECK_EQ(async_state_of(&a.w), ASYNC_DEAD);
    CHECK(async_idle(&rt));
    /* and again: a DEAD item is as good as new */
    CHECK(async_submit(&rt, &a.w));
    ktick(&rt);
    async_complete(&rt, &a.w, -5);
    ktick(&rt);
    CHECK_LOG("s:a d:a=-5");
}

static void test_submit_refused(void)
{
    item a;

    make(&a, "a", LATER, C_LATER, 1);
    CHECK(async_submit(&rt, &a.w));
    CHECK(!async_submit(&rt, &a.w));       /* SUBMIT_REQUESTED */
    CHECK_EQ(async_state_of(&a.w), ASYNC_SUBMIT_REQUESTED);
    CHECK_EQ(ktick(&rt), 1);               /* submitted once, not twice */
    CHECK_LOG("s:a");
    CHECK(!async_submit(&rt, &a.w));       /* LIVE */
    CHECK_EQ(async_state_of(&a.w), ASYNC_LIVE);
    CHECK_EQ(ktick(&rt), 0);
    async_complete(&rt, &a.w, 1);
    CHECK(!async_submit(&rt, &a.w));       /* READY */
    CHECK_EQ(async_state_of(&a.w), ASYNC_READY);
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("d:a=1");
}

static void test_complete_misuse(void)
{
    item a;

    make(&a, "a", LATER, C_LATER, 1);
    async_complete(&rt, &a.w, 3);          /* DEAD: refused */
    CHECK_EQ(assert_failures, 1);
    CHECK_EQ(async_state_of(&a.w), ASYNC_DEAD);
    async_submit(&rt, &a.w);
    async_complete(&rt, &a.w, 3);          /* SUBMIT_REQUESTED: refused */
    CHECK_EQ(assert_failures, 2);
    CHECK_EQ(async_state_of(&a.w), ASYNC_SUBMIT_REQUESTED);
    ktick(&rt);
    async_complete(&rt, &a.w, 4);
    async_complete(&rt, &a.w, 5);          /* READY: refused, result kept */
    CHECK_EQ(assert_failures, 3);
    ktick(&rt);
    CHECK_LOG("s:a d:a=4");
    assert_failures = 0;                   /* provoked on purpose */
}

/* ---- cancellation: one test per row of the table ---- */

static void test_cancel_dead(void)
{
    item a;

    make(&a, "a", LATER, C_CANCELLED, 1);
    CHECK(!async_cancel(&rt, &a.w));
    CHECK_EQ(async_state_of(&a.w), ASYNC_DEAD);
    CHECK(async_idle(&rt));
    CHECK_EQ(ktick(&rt), 0);
    CHECK_LOG("");
    /* a cancel in an earlier life does not stick to the item */
    async_submit(&rt, &a.w);
    async_cancel(&rt, &a.w);
    ktick(&rt);
    CHECK_LOG("d:a=-125");
    CHECK(!async_cancel(&rt, &a.w));       /* DEAD again */
    CHECK(async_submit(&rt, &a.w));
    ktick(&rt);
    CHECK(async_cancel(&rt, &a.w));        /* a new life: may be cancelled */
    ktick(&rt);
    CHECK_LOG("s:a c:a d:a=-125");
}

static void test_cancel_requested(void)
{
    item a;

    make(&a, "a", LATER, C_CANCELLED, 1);
    async_submit(&rt, &a.w);
    CHECK(async_cancel(&rt, &a.w));
    CHECK(!async_cancel(&rt, &a.w));       /* second request */
    CHECK_EQ(async_state_of(&a.w), ASYNC_SUBMIT_REQUESTED);
    CHECK_LOG("");
    CHECK(!async_idle(&rt));
    CHECK_EQ(ktick(&rt), 2);               /* one cancellation, one callback */
    CHECK_LOG("d:a=-125");                 /* never reached the backend */
    CHECK_EQ(async_state_of(&a.w), ASYNC_DEAD);
    CHECK_EQ(ktick(&rt), 0);
    CHECK_LOG("");
}

static void test_cancel_live_later(void)
{
    item a;

    make(&a, "a", LATER, C_LATER, 1);
    make_live(&a);
    CHECK(async_cancel(&rt, &a.w));
    CHECK(!async_cancel(&rt, &a.w));       /* second request */
    CHECK_EQ(async_state_of(&a.w), ASYNC_LIVE);
    CHECK_LOG("");                         /* applied by the tick only */
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("c:a");
    CHECK_EQ(async_state_of(&a.w), ASYNC_LIVE);
    CHECK(!async_cancel(&rt, &a.w));       /* still taken */
    CHECK_EQ(ktick(&rt), 0);               /* the backend is not asked twice */
    async_complete(&rt, &a.w, ASYNC_CANCELLED);
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("d:a=-125");
}

static void test_cancel_live_sync(void)
{
    item a;

    make(&a, "a", LATER, C_CANCELLED, 1);
    make_live(&a);
    CHECK(async_cancel(&rt, &a.w));
    CHECK_EQ(ktick(&rt), 2);
    CHECK_LOG("c:a d:a=-125");             /* completed inside cancel: same tick */
}

static void test_cancel_live_finished(void)
{
    item a;

    make(&a, "a", LATER, C_FINISHED, 42);
    make_live(&a);
    CHECK(async_cancel(&rt, &a.w));
    ktick(&rt);
    CHECK_LOG("c:a d:a=42");               /* the backend had finished */
}

static void test_cancel_live_completed_first(void)
{
    item a;

    make(&a, "a", LATER, C_CANCELLED, 5);
    make_live(&a);
    CHECK(async_cancel(&rt, &a.w));
    async_complete(&rt, &a.w, 5);          /* the backend won the race */
    CHECK_EQ(async_state_of(&a.w), ASYNC_READY);
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("d:a=5");                    /* and is not asked to cancel */
}

static void test_cancel_live_no_hook(void)
{
    item a;

    make(&a, "a", LATER, C_LATER, 3);
    a.w.ops = &no_cancel_ops;
    make_live(&a);
    CHECK(async_cancel(&rt, &a.w));
    CHECK_EQ(ktick(&rt), 1);               /* applied: nothing to call */
    CHECK_LOG("");
    CHECK_EQ(async_state_of(&a.w), ASYNC_LIVE);
    async_complete(&rt, &a.w, 3);
    ktick(&rt);
    CHECK_LOG("d:a=3");
}

static void test_cancel_ready(void)
{
    item a;

    make(&a, "a", LATER, C_CANCELLED, 9);
    make_live(&a);
    async_complete(&rt, &a.w, 9);
    CHECK(!async_cancel(&rt, &a.w));       /* too late */
    CHECK_EQ(async_state_of(&a.w), ASYNC_READY);
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("d:a=9");                    /* the real result */
}

/* ---- order and bounds ---- */

static void test_callback_order(void)
{
    item a, b, c, x;

    make(&a, "a", LATER, C_LATER, 1);
    make(&b, "b", LATER, C_LATER, 2);
    make(&c, "c", LATER, C_LATER, 3);
    make(&x, "x", LATER, C_LATER, 4);
    async_submit(&rt, &a.w);
    async_submit(&rt, &b.w);
    async_submit(&rt, &c.w);
    CHECK_EQ(ktick(&rt), 3);
    CHECK_LOG("s:a s:b s:c");              /* in submission order */
    async_complete(&rt, &c.w, 3);
    async_complete(&rt, &a.w, 1);
    async_submit(&rt, &x.w);
    async_cancel(&rt, &x.w);               /* READY only in step 2 of the tick */
    async_complete(&rt, &b.w, 2);
    CHECK_EQ(ktick(&rt), 5);
    CHECK_LOG("d:c=3 d:a=1 d:b=2 d:x=-125"); /* in completion order */
}

static void test_resubmit(void)
{
    item a;

    make(&a, "a", AT_ONCE, C_LATER, 1);
    a.resubmit = 2;
    async_submit(&rt, &a.w);
    /* Each round trip is two ticks: completed inside submit (step 4) is
       reported at the next tick, and resubmitted inside the callback
       (step 3) is submitted at the next. */
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("s:a");
    CHECK_EQ(async_state_of(&a.w), ASYNC_READY);
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("d:a=1");
    CHECK_EQ(async_state_of(&a.w), ASYNC_SUBMIT_REQUESTED);
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("s:a");
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("d:a=1");
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("s:a");
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("d:a=1");                    /* resubmit exhausted */
    CHECK_EQ(async_state_of(&a.w), ASYNC_DEAD);
    CHECK(async_idle(&rt));
    CHECK_EQ(ktick(&rt), 0);
}

static void test_bounded_tick(void)
{
    item a;
    int i;

    /* An item that resubmits itself forever, with a backend that finishes
       at once: every tick does one step of it and returns. */
    make(&a, "a", AT_ONCE, C_LATER, 0);
    a.resubmit = 1 << 30;
    async_submit(&rt, &a.w);
    for (i = 0; i < 100; i++)
        CHECK_EQ(ktick(&rt), 1);           /* a submission or a callback */
    CHECK(!async_idle(&rt));
    log_buf[0] = 0;
    /* After an even number of ticks it is requested again; stop it. */
    CHECK_EQ(async_state_of(&a.w), ASYNC_SUBMIT_REQUESTED);
    CHECK(async_cancel(&rt, &a.w));
    a.resubmit = 0;
    CHECK_EQ(ktick(&rt), 2);
    CHECK_LOG("d:a=-125");
    CHECK(async_idle(&rt));
    CHECK_EQ(async_state_of(&a.w), ASYNC_DEAD);
}

/* A done callback that submits a second item during the tick. */
static item *chain_next;
static void submit_next(async_work *w, int result)
{
    note("d:%s=%d", item_of(w)->name, result);
    async_submit(&rt, &chain_next->w);
}

static void test_submit_during_tick(void)
{
    item a, b;

    make(&a, "a", LATER, C_LATER, 1);
    make(&b, "b", LATER, C_LATER, 2);
    a.w.done = submit_next;
    chain_next = &b;
    make_live(&a);
    async_complete(&rt, &a.w, 1);
    CHECK_EQ(ktick(&rt), 1);               /* the callback only */
    CHECK_LOG("d:a=1");
    CHECK_EQ(async_state_of(&b.w), ASYNC_SUBMIT_REQUESTED);
    CHECK_EQ(ktick(&rt), 1);               /* b at the next tick */
    CHECK_LOG("s:b");
}

/* ---- interrupts: step 1 of the tick ---- */

static item *irq_completes, *irq_cancels, *irq_submits;

static void on_irq(void *ctx, unsigned irq)
{
    (void)ctx;
    note("i:%u", irq);
    if (irq_completes)
        async_complete(&rt, &irq_completes->w, 11);
    if (irq_cancels)
        async_cancel(&rt, &irq_cancels->w);
    if (irq_submits)
        async_submit(&rt, &irq_submits->w);
}

static void test_one_tick_order(void)
{
    item l, r, s, i;

    irq_completes = &i;
    irq_cancels = irq_submits = 0;
    irq_register(&irqs, 5, on_irq, 0);
    make(&l, "l", LATER, C_CANCELLED, 0);
    make(&r, "r", LATER, C_LATER, 22);
    make(&s, "s", LATER, C_LATER, 0);
    make(&i, "i", LATER, C_LATER, 0);
    make_live(&l);
    make_live(&r);
    make_live(&i);
    async_cancel(&rt, &l.w);               /* applied in step 2 */
    async_complete(&rt, &r.w, 22);         /* READY before the tick */
    async_submit(&rt, &s.w);               /* submitted in step 4 */
    irq_raise(&irqs, 5);                   /* its handler completes i in step 1 */
    CHECK(!async_idle(&rt));
    CHECK_EQ(ktick(&rt), 6);
    CHECK_LOG("i:5 c:l d:r=22 d:i=11 d:l=-125 s:s");
    CHECK(async_idle(&rt));
    irq_completes = 0;
}

static void test_irq_requests_wait(void)
{
    item a, b;

    irq_completes = 0;
    irq_cancels = &a;
    irq_submits = &b;
    irq_register(&irqs, 40, on_irq, 0);
    make(&a, "a", LATER, C_LATER, 1);
    make(&b, "b", LATER, C_LATER, 2);
    async_submit(&rt, &a.w);
    irq_raise(&irqs, 40);
    /* The handler cancels a, which this tick was about to submit, and
       submits b: a is never started, b waits for the next tick. */
    CHECK_EQ(ktick(&rt), 1);
    CHECK_LOG("i:40");
    CHECK_EQ(async_state_of(&a.w), ASYNC_SUBMIT_REQUESTED);
    CHECK_EQ(async_state_of(&b.w), ASYNC_SUBMIT_REQUESTED);
    CHECK_EQ(ktick(&rt), 3);
    CHECK_LOG("d:a=-125 s:b");
    irq_cancels = irq_submits = 0;
}

static void test_idle(void)
{
    item a;

    CHECK(async_idle(&rt));
    irq_raise(&irqs, 77);                  /* unhandled, but pending */
    CHECK(!async_idle(&rt));
    CHECK_EQ(ktick(&rt), 0);               /* dispatched: nothing handled it */
    CHECK_EQ(irq_unhandled_count(&irqs), 1);
    CHECK(async_idle(&rt));
    make(&a, "a", LATER, C_LATER, 1);
    async_submit(&rt, &a.w);
    CHECK(!async_idle(&rt));
    ktick(&rt);
    CHECK(async_idle(&rt));                /* LIVE: may sleep */
    async_cancel(&rt, &a.w);
    CHECK(!async_idle(&rt));
    ktick(&rt);
    CHECK(async_idle(&rt));                /* cancel was C_LATER: still LIVE */
    async_complete(&rt, &a.w, 0);
    CHECK(!async_idle(&rt));
    ktick(&rt);
    CHECK(async_idle(&rt));
    CHECK_LOG("s:a c:a d:a=0");

    /* without an irq table */
    async_init(&rt, 0);
    CHECK(async_idle(&rt));
    CHECK_EQ(ktick(&rt), 0);
}

/* Each test runs through run(), under its old name. */
static void run_lifecycle(void) { run(test_lifecycle); }
static void run_submit_refused(void) { run(test_submit_refused); }
static void run_complete_misuse(void) { run(test_complete_misuse); }
static void run_cancel_dead(void) { run(test_cancel_dead); }
static void run_cancel_requested(void) { run(test_cancel_requested); }
static void run_cancel_live_later(void) { run(test_cancel_live_later); }
static void run_cancel_live_sync(void) { run(test_cancel_live_sync); }
static void run_cancel_live_finished(void) { run(test_cancel_live_finished); }
static void run_cancel_live_completed_first(void) { run(test_cancel_live_completed_first); }
static void run_cancel_live_no_hook(void) { run(test_cancel_live_no_hook); }
static void run_cancel_ready(void) { run(test_cancel_ready); }
static void run_callback_order(void) { run(test_callback_order); }
static void run_resubmit(void) { run(test_resubmit); }
static void run_bounded_tick(void) { run(test_bounded_tick); }
static void run_submit_during_tick(void) { run(test_submit_during_tick); }
static void run_one_tick_order(void) { run(test_one_tick_order); }
static void run_irq_requests_wait(void) { run(test_irq_requests_wait); }
static void run_idle(void) { run(test_idle); }

CHECK_MAIN(
    { "lifecycle", run_lifecycle },
    { "submit-refused-unless-dead", run_submit_refused },
    { "complete-misuse", run_complete_misuse },
    { "cancel-dead", run_cancel_dead },
    { "cancel-submit-requested", run_cancel_requested },
    { "cancel-live-backend-later", run_cancel_live_later },
    { "cancel-live-backend-sync", run_cancel_live_sync },
    { "cancel-live-backend-finished", run_cancel_live_finished },
    { "cancel-live-completed-first", run_cancel_live_completed_first },
    { "cancel-live-no-cancel-hook", run_cancel_live_no_hook },
    { "cancel-ready", run_cancel_ready },
    { "callback-order", run_callback_order },
    { "resubmit-from-callback", run_resubmit },
    { "bounded-tick", run_bounded_tick },
    { "submit-during-tick", run_submit_during_tick },
    { "one-tick-order", run_one_tick_order },
    { "irq-requests-wait", run_irq_requests_wait },
    { "idle", run_idle })
