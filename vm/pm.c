/* pm.c - the ACPI PM1 registers and PM timer (see pm.h).

   The counter is never stored: it is the ticks elapsed since start_ns,
   computed from the host time each time it is needed. Nothing accumulates,
   so there is no drift however long the guest runs, and TMR_STS, which the
   spec sets whenever the counter's top bit changes, is known exactly from
   the same number: the top bit has changed ticks >> (width - 1) times. */
#include "pm.h"

#define NS_PER_S 1000000000u

//! [pm-ticks]
/* floor(ns * 3579545 / 1e9) without 128-bit arithmetic: split ns into whole
   seconds and the rest. Each product stays below 2^63 for any 64-bit ns
   (1.8e10 s * 3.6e6, and 1e9 * 3.6e6), and the sum is exact because the
   whole seconds contribute a whole number of ticks. */
uint64_t pm_ticks(uint64_t ns)
{
    return ns / NS_PER_S * PM_TMR_HZ + ns % NS_PER_S * PM_TMR_HZ / NS_PER_S;
}

/* The first elapsed time at which the counter has made k ticks: the least
   ns with ns * 3579545 >= k * 1e9, split the same way. UINT64_MAX if that
   lies beyond 64-bit nanoseconds. */
static uint64_t ns_at_tick(uint64_t k)
{
    uint64_t s = k / PM_TMR_HZ, rest = k % PM_TMR_HZ;

    if (s > (UINT64_MAX - NS_PER_S) / NS_PER_S)
        return UINT64_MAX;
    return s * NS_PER_S + (rest * NS_PER_S + PM_TMR_HZ - 1) / PM_TMR_HZ;
}
//! [pm-ticks]

/* The counter's top bit: 23 for a 24-bit timer, 31 for a 32-bit one. */
static unsigned top_bit(const pm_model *pm)
{
    return pm->tmr_32bit ? 31 : 23;
}

static uint64_t ones(unsigned width)
{
    return width >= 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
}

//! [pm-sci]
/* ACPI 6.5, 4.8.3.1: an event raises the SCI when its status and enable
   bits are both set; 4.8.3.2.1: with SCI_EN clear, the hardware sends
   events to SMI instead (we have no SMM, so they go nowhere). The SCI is a
   level: it stays up until the guest clears the status or the enable. */
static void update_sci(pm_model *pm)
{
    bool level = (pm->cnt & PM1_SCI_EN) && (pm->sts & pm->en & PM1_SCI_EVENTS);

    if (level == pm->sci)
        return;
    pm->sci = level;
    if (pm->hooks.sci)
        pm->hooks.sci(pm->hooks.ctx, level);
}
//! [pm-sci]

/* Move to host time `now` (never backwards) and set TMR_STS if the top bit
   changed since it was last looked at. */
static void advance(pm_model *pm, uint64_t now)
{
    uint64_t toggles;

    if (now > pm->last_ns)
        pm->last_ns = now;
    toggles = pm_ticks(pm->last_ns - pm->start_ns) >> top_bit(pm);
    if (toggles != pm->toggles) {
        pm->toggles = toggles;
        pm->sts |= PM1_TMR;
    }
    update_sci(pm);
}

static void advance_to_now(pm_model *pm)
{
    advance(pm, pm->hooks.now ? pm->hooks.now(pm->hooks.ctx) : pm->last_ns);
}

static uint32_t counter(const pm_model *pm)
{
    uint64_t t = pm_ticks(pm->last_ns - pm->start_ns);

    return (uint32_t)(pm->tmr_32bit ? t : t & 0xffffff);
}

void pm_init(pm_model *pm, bool tmr_32bit, const pm_hooks *hooks, uint64_t now_ns)
{
    *pm = (pm_model){ .version = PM_STATE_VERSION, .tmr_32bit = tmr_32bit,
                      .start_ns = now_ns, .last_ns = now_ns, .cnt = PM1_SCI_EN };
    if (hooks)
        pm->hooks = *hooks;
}

//! [pm-access]
/* Each register at its own width only (4.8.3: PM1 registers are 16 bits,
   the timer 32); a read of any other size or offset floats high. */
uint64_t pm_read(void *ctx, uint64_t offset, unsigned width)
{
    pm_model *pm = ctx;

    if (offset == PM_TMR && width == 4) {
        advance_to_now(pm);
        return counter(pm);
    }
    if (width != 2)
        return ones(width);
    switch (offset) {
    case PM1_STS:
        advance_to_now(pm);
        return pm->sts;
    case PM1_EN:
        return pm->en;
    case PM1_CNT:
        return pm->cnt;          /* SLP_EN and GBL_RLS are never stored */
    }
    return ones(width);
}

/* Status bits are write-1-to-clear; the time is brought up to date first,
   so a top-bit change that has already happened is what the write clears.
   SLP_EN is accepted and ignored: sleep and soft-off are not modelled. */
void pm_write(void *ctx, uint64_t offset, unsigned width, uint64_t v)
{
    pm_model *pm = ctx;

    if (width != 2)
        return;
    switch (offset) {
    case PM1_STS:
        advance_to_now(pm);
        pm->sts &= (uint16_t)~(v & PM1_STS_BITS);
        break;
    case PM1_EN:
        advance_to_now(pm);
        pm->en = (uint16_t)(v & PM1_EN_BITS);
        break;
    case PM1_CNT:
        pm->cnt = (uint16_t)(v & PM1_CNT_KEEP);
        break;
    default:
        return;
    }
    update_sci(pm);
}
//! [pm-access]

uint64_t pm_poll(void *ctx, uint64_t now_ns)
{
    pm_model *pm = ctx;
    uint64_t at;

    advance(pm, now_ns);
    if (!(pm->en & PM1_TMR))
        return UINT64_MAX;
    /* The next change of the top bit is at tick (toggles + 1) << top_bit. */
    if (pm->toggles + 1 > UINT64_MAX >> top_bit(pm))
        return UINT64_MAX;
    at = ns_at_tick((pm->toggles + 1) << top_bit(pm));
    return at > UINT64_MAX - pm->start_ns ? UINT64_MAX : pm->start_ns + at;
}
