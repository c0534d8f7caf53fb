/* hdr/async.h alone (and the irq.h it includes): a loop on a fake clock. A
   disk read, completed by its interrupt's handler, cancels its timeout, whose
   callback starts a 10 ms sleep that a timer interrupt ends. */
#include <stdio.h>

//! [alone-async]
#define ASYNC_IMPLEMENTATION
#include "async.h"

enum { TIMER_IRQ = 0, DISK_IRQ = 14 };
static irq_table irqs;
static async_rt rt;
static uint64_t now, disk_at = UINT64_MAX, timer_at = UINT64_MAX;   /* in ms */
static unsigned ticks;
struct req { const char *name; unsigned ms; int result; };   /* each item's ctx */
static struct req r_rd = { "read", 0, 1 }, r_to = { "timeout", 50, 1 }, r_nap = { "sleep", 10, 1 };
static async_work rd, timeout, nap, *sleeper;

/* Two backends: a disk that finishes 3 ms later, a one-shot for one sleeper. */
static void disk_submit(async_work *w)
{
    (void)w;
    disk_at = now + 3;
}
static void sleep_submit(async_work *w)
{
    sleeper = w;
    timer_at = now + ((struct req *)w->ctx)->ms;
}
static void sleep_cancel(async_work *w)
{
    timer_at = UINT64_MAX;
    async_complete(&rt, w, ASYNC_CANCELLED);
}
static const async_ops disk_ops = { disk_submit, NULL }, sleep_ops = { sleep_submit, sleep_cancel };

/* The deferred halves of the two interrupts: they complete the LIVE items. */
static void on_disk_irq(void *ctx, unsigned irq)
{
    (void)irq;
    async_complete(&rt, ctx, 512);
}
static void on_timer_irq(void *ctx, unsigned irq)
{
    (void)ctx, (void)irq;
    async_complete(&rt, sleeper, 0);
}

static void done(async_work *w, int result)
{
    struct req *r = w->ctx;

    printf("tick %u, %2u ms: %s done: %d\n", ticks, (unsigned)now, r->name, result);
    r->result = result;
    if (w == &rd)
        printf("  cancel the timeout: %s\n", async_cancel(&rt, &timeout) ? "taken" : "refused");
    if (w == &timeout)
        async_submit(&rt, &nap);        /* a callback may start more work */
}

int main(void)
{
    irq_table_init(&irqs);
    async_init(&rt, &irqs);
    irq_register(&irqs, DISK_IRQ, on_disk_irq, &rd);
    irq_register(&irqs, TIMER_IRQ, on_timer_irq, NULL);
    async_work_init(&rd, &disk_ops, done, &r_rd);
    async_work_init(&timeout, &sleep_ops, done, &r_to);
    async_work_init(&nap, &sleep_ops, done, &r_nap);
    async_submit(&rt, &rd);
    async_submit(&rt, &timeout);
    while (r_nap.result == 1) {       /* until the sleep is over */
        ticks++;
        ktick(&rt);
        if (r_nap.result != 1 || !async_idle(&rt))
            continue;
        /* The wait: jump to the next interrupt and raise it, as its ISR would. */
        now = disk_at < timer_at ? disk_at : timer_at;
        if (now == UINT64_MAX)
            return puts("wrong: nothing can wake the loop"), 1;
        if (now == disk_at)
            disk_at = UINT64_MAX, irq_raise(&irqs, DISK_IRQ);
        if (now == timer_at)
            timer_at = UINT64_MAX, irq_raise(&irqs, TIMER_IRQ);
    }
    if (r_rd.result != 512 || r_to.result != ASYNC_CANCELLED || r_nap.result || now != 13)
        return puts("wrong: results"), 1;
    return 0;
}
//! [alone-async]
