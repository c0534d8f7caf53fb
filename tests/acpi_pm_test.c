/* acpi_pm_test.c - white-box tests of hdr/acpi_pm.h, the ACPI PM1 registers
   and PM timer: the model the monitor gives its guest, and the driver a
   kernel reads the timer with.

   The model's clock is a variable here (the `now` hook), so every check
   happens at an exact nanosecond: the counter's rate at several times up
   to a century, checked against a 128-bit reference; the wrap at 24 and 32
   bits; TMR_STS set at the exact nanosecond the top bit changes and not one
   before; write-1-to-clear; the SCI level against SCI_EN, the enables and
   the status; access widths; poll's deadlines and the wake hook; the
   sleep hook, told the SLP_TYP of each 16-bit PM1_CNT write that sets
   SLP_EN and of nothing else. Then the
   model contract: init, reset, save and restore (sizes, refusals, the
   outputs driven again). Last, random accesses must leave the counter
   monotonic, the SCI consistent and the board's deadline never late, and
   the driver is run against the model.

   Build: gcc -std=c11 -Ihdr -fsanitize=address,undefined acpi_pm_test.c */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The model's invariants abort the test, and every call is counted, so a
   test can tell that the assertions are really there. */
static unsigned long asserts;
#define ACPI_PM_ASSERT(c) (asserts++, assert(c))
#define ACPI_PM_IMPLEMENTATION
#include "acpi_pm.h"

#include "chipset.h"

#include "check.h"

__extension__ typedef unsigned __int128 u128;

/* The spec's rate (ACPI 6.5, 4.8.2.1), written here rather than taken from
   acpi_pm.h, so a wrong constant there fails these tests. */
#define HZ 3579545u
#define NEVER ACPI_PM_NO_DEADLINE

static uint64_t clock_ns;               /* the board time the model sees */
static unsigned now_calls, sci_calls, wakes, sleeps;
static unsigned last_slp_typ;           /* what the sleep hook was told last */
static uint16_t cnt_at_sleep;           /* PM1_CNT as the sleep hook saw it */
static acpi_pm_model *sleeping;         /* the model the sleep hook reads back */
static bool sci_level;

static uint64_t on_now(void *ctx)
{
    (void)ctx;
    now_calls++;
    return clock_ns;
}

static void on_sci(void *ctx, bool level)
{
    (void)ctx;
    sci_calls++;
    sci_level = level;
}

static void on_wake(void *ctx)
{
    (void)ctx;
    wakes++;
}

static void on_sleep(void *ctx, unsigned slp_typ)
{
    (void)ctx;
    sleeps++;
    last_slp_typ = slp_typ;
    cnt_at_sleep = sleeping ? sleeping->s.cnt : 0xffff;
}

static const acpi_pm_model_hooks hooks = { on_now, on_sci, on_wake, on_sleep, NULL };

static void forget_hooks(void)
{
    now_calls = sci_calls = wakes = sleeps = 0;
    last_slp_typ = 99;
    cnt_at_sleep = 0;
    sci_level = false;
}

/* A fresh block whose counter starts at `start`, set up as a board does:
   the width after init, before the first access. */
static void setup(acpi_pm_model *pm, bool ext, uint64_t start)
{
    clock_ns = start;
    forget_hooks();
    acpi_pm_model_init(pm, &hooks);
    pm->cfg.tmr_32bit = ext;
}

/* The reference: floor(ns * 3579545 / 1e9) in 128 bits. */
static uint64_t ref_ticks(uint64_t ns)
{
    return (uint64_t)((u128)ns * HZ / 1000000000u);
}

/* The first ns at which `k` ticks have passed, by the reference. */
static uint64_t ref_ns_at(uint64_t k)
{
    return (uint64_t)(((u128)k * 1000000000u + HZ - 1) / HZ);
}

static uint32_t tmr_at(acpi_pm_model *pm, uint64_t ns)
{
    clock_ns = ns;
    return (uint32_t)acpi_pm_model_read(pm, ACPI_PM_TMR, 4);
}

static uint16_t sts_at(acpi_pm_model *pm, uint64_t ns)
{
    clock_ns = ns;
    return (uint16_t)acpi_pm_model_read(pm, ACPI_PM_STS, 2);
}

static uint64_t rd(acpi_pm_model *pm, uint64_t off)
{
    return acpi_pm_model_read(pm, off, 2);
}

static void wr(acpi_pm_model *pm, uint64_t off, uint64_t v)
{
    acpi_pm_model_write(pm, off, 2, v);
}

/* 3579545 ticks a second, exactly, at short and very long times: the
   split arithmetic matches the 128-bit reference, so nothing drifts. */
TEST(rate_exact)
{
    static const uint64_t at[] = {
        0, 279, 280, 1000, 1000000000ull, 1000000001ull, 3600ull * 1000000000u,
        86400ull * 365 * 1000000000u, 100ull * 86400 * 365 * 1000000000u,
        UINT64_MAX / 2, UINT64_MAX - 1, UINT64_MAX,
    };
    acpi_pm_model pm;

    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        CHECK_EQ(acpi_pm_ticks(at[i]), ref_ticks(at[i]));
    CHECK_EQ(ACPI_PM_TMR_HZ, HZ);
    CHECK_EQ(acpi_pm_ticks(1000000000ull), HZ);
    CHECK_EQ(acpi_pm_ticks(279), 0);              /* one tick is 279.37 ns */
    CHECK_EQ(acpi_pm_ticks(280), 1);
    setup(&pm, true, 5000);
    CHECK_EQ(tmr_at(&pm, 5000), 0);
    CHECK_EQ(tmr_at(&pm, 5000 + 1000000000ull), HZ);
    CHECK_EQ(tmr_at(&pm, 5000 + 60ull * 1000000000u), 60ull * HZ);
    /* A day: 309,272,688,000 ticks; the 32-bit counter shows them mod 2^32. */
    CHECK_EQ(tmr_at(&pm, 5000 + 86400ull * 1000000000u),
             (uint32_t)(86400ull * HZ));
    setup(&pm, true, 5000);                       /* time only moves forward */
    for (uint64_t ns = 12345; ns < 40000000000ull; ns = ns * 3 + 7)
        CHECK_EQ(tmr_at(&pm, 5000 + ns), (uint32_t)ref_ticks(ns));
    /* Every tick boundary of the first second but a sample: the least ns
       of each tick, by the reference, is where the count moves. */
    for (uint64_t k = 1; k < HZ; k += 9973)
        if (!CHECK_EQ(acpi_pm_ticks(ref_ns_at(k)), k) ||
            !CHECK_EQ(acpi_pm_ticks(ref_ns_at(k) - 1), k - 1))
            break;
}

/* 24 bits wrap after 2^24 ticks (4.69 s), 32 bits after 2^32 (20 min). */
TEST(wrap)
{
    acpi_pm_model pm;
    uint64_t w24 = ref_ns_at(1u << 24), w32 = ref_ns_at(1ull << 32);

    setup(&pm, false, 0);
    CHECK_EQ(tmr_at(&pm, w24 - 1), 0xffffff);
    CHECK_EQ(tmr_at(&pm, w24), 0);
    CHECK_EQ(tmr_at(&pm, w32), 0);
    CHECK_EQ(tmr_at(&pm, w32 + 1000000000ull), HZ);
    setup(&pm, true, 0);
    CHECK_EQ(tmr_at(&pm, w24 - 1), 0xffffff);
    CHECK_EQ(tmr_at(&pm, w24), 0x1000000);
    CHECK_EQ(tmr_at(&pm, w32 - 1), 0xffffffffu);
    CHECK_EQ(tmr_at(&pm, w32), 0);
}

/* TMR_STS: set at the exact nanosecond the top bit changes (bit 23, or 31
   with TMR_VAL_EXT), both ways, and not a nanosecond before. */
static void toggles(bool ext)
{
    unsigned top = ext ? 31 : 23;
    uint64_t start = 777, t1 = start + ref_ns_at(1ull << top);
    uint64_t t2 = start + ref_ns_at(2ull << top);
    acpi_pm_model pm;

    setup(&pm, ext, start);
    CHECK_EQ(sts_at(&pm, t1 - 1) & ACPI_PM_TMR_STS, 0);
    CHECK_EQ(tmr_at(&pm, t1 - 1), (1ull << top) - 1);
    CHECK_EQ(sts_at(&pm, t1) & ACPI_PM_TMR_STS, ACPI_PM_TMR_STS);   /* 0 -> 1 */
    wr(&pm, ACPI_PM_STS, ACPI_PM_TMR_STS);
    CHECK_EQ(sts_at(&pm, t1), 0);
    CHECK_EQ(sts_at(&pm, t2 - 1), 0);
    CHECK_EQ(sts_at(&pm, t2) & ACPI_PM_TMR_STS, ACPI_PM_TMR_STS);   /* 1 -> 0 (the wrap) */
    CHECK_EQ(tmr_at(&pm, t2), 0);
}

TEST(tmr_sts_24)
{
    toggles(false);
}

TEST(tmr_sts_32)
{
    toggles(true);
}

/* A status bit is cleared by writing 1 to it; 0 leaves it; no write sets
   one. Bits of events that never happen here read 0. */
TEST(write_one_to_clear)
{
    acpi_pm_model pm;
    uint64_t t1 = ref_ns_at(1u << 23);

    setup(&pm, false, 0);
    CHECK_EQ(sts_at(&pm, t1), ACPI_PM_TMR_STS);
    wr(&pm, ACPI_PM_STS, 0);
    CHECK_EQ(rd(&pm, ACPI_PM_STS), ACPI_PM_TMR_STS);
    wr(&pm, ACPI_PM_STS, 0xfffe);
    CHECK_EQ(rd(&pm, ACPI_PM_STS), ACPI_PM_TMR_STS);
    wr(&pm, ACPI_PM_STS, 0xffff);
    CHECK_EQ(rd(&pm, ACPI_PM_STS), 0);
    /* Clearing a status raised between the last read and the write: the
       write sees it and clears it, the next change sets it again. */
    clock_ns = ref_ns_at(2u << 23);
    wr(&pm, ACPI_PM_STS, ACPI_PM_TMR_STS);
    CHECK_EQ(rd(&pm, ACPI_PM_STS), 0);
    CHECK_EQ(sts_at(&pm, ref_ns_at(3u << 23)), ACPI_PM_TMR_STS);
}

/* The SCI is up exactly while SCI_EN and some enabled status are set, and
   the hook hears each change once. */
TEST(sci_gating)
{
    acpi_pm_model pm;
    uint64_t t1 = ref_ns_at(1u << 23);

    setup(&pm, false, 0);
    CHECK_EQ(rd(&pm, ACPI_PM_CNT), ACPI_PM_SCI_EN);  /* ACPI mode from power-on */
    CHECK_EQ(sts_at(&pm, t1), ACPI_PM_TMR_STS);
    CHECK_EQ(sci_calls, 0);                          /* TMR_EN clear: no SCI */
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);
    CHECK(sci_level);
    CHECK_EQ(sci_calls, 1);
    wr(&pm, ACPI_PM_CNT, 0);                         /* SCI_EN off: SCI down */
    CHECK(!sci_level);
    wr(&pm, ACPI_PM_CNT, ACPI_PM_SCI_EN);
    CHECK(sci_level);
    CHECK_EQ(sci_calls, 3);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);             /* no change: no call */
    CHECK_EQ(sci_calls, 3);
    wr(&pm, ACPI_PM_STS, ACPI_PM_TMR_STS);           /* acknowledged */
    CHECK(!sci_level);
    CHECK_EQ(sci_calls, 4);
    /* The next change raises it through poll alone, with no guest read. */
    acpi_pm_model_poll(&pm, ref_ns_at(2u << 23) - 1);
    CHECK(!sci_level);
    acpi_pm_model_poll(&pm, ref_ns_at(2u << 23));
    CHECK(sci_level);
    CHECK_EQ(sci_calls, 5);
    wr(&pm, ACPI_PM_EN, 0);                          /* disabled: down */
    CHECK(!sci_level);
    CHECK_EQ(rd(&pm, ACPI_PM_STS), ACPI_PM_TMR_STS); /* the status stays */
    /* Enables of events that never happen keep the SCI down. */
    wr(&pm, ACPI_PM_EN, ACPI_PM_GBL_EN | ACPI_PM_PWRBTN_EN | ACPI_PM_SLPBTN_EN | ACPI_PM_RTC_EN);
    CHECK(!sci_level);
    CHECK_EQ(rd(&pm, ACPI_PM_EN),
             ACPI_PM_GBL_EN | ACPI_PM_PWRBTN_EN | ACPI_PM_SLPBTN_EN | ACPI_PM_RTC_EN);
    wr(&pm, ACPI_PM_EN, 0xffff);
    CHECK_EQ(rd(&pm, ACPI_PM_EN), ACPI_PM_EN_BITS);  /* reserved bits read 0 */
    CHECK(sci_level);
    /* PCIEXP_WAKE_DIS is an enable bit that raises nothing. */
    wr(&pm, ACPI_PM_EN, ACPI_PM_PCIEXP_WAKE_DIS);
    CHECK(!sci_level);
}

/* PM1_CNT: SCI_EN, BM_RLD and SLP_TYP are kept; SLP_EN and GBL_RLS are
   write-only and read 0; a sleep request changes no other register (the
   board's sleep hook hears it: TEST(sleep)). */
TEST(control)
{
    acpi_pm_model pm;

    setup(&pm, false, 0);
    wr(&pm, ACPI_PM_CNT, ACPI_PM_SCI_EN | (5u << 10) | ACPI_PM_SLP_EN | ACPI_PM_GBL_RLS);
    CHECK_EQ(rd(&pm, ACPI_PM_CNT), ACPI_PM_SCI_EN | (5u << 10));
    CHECK_EQ(ACPI_PM_SLP_TYP(rd(&pm, ACPI_PM_CNT)), 5);
    wr(&pm, ACPI_PM_CNT, 0xffff);
    CHECK_EQ(rd(&pm, ACPI_PM_CNT), ACPI_PM_CNT_KEEP);
    CHECK_EQ(ACPI_PM_CNT_KEEP, 0x1c03);
    CHECK_EQ(sleeps, 2);
    CHECK_EQ(last_slp_typ, 7);
    CHECK_EQ(tmr_at(&pm, 1000000000ull), HZ);  /* still running */
}

/* SLP_EN (bit 13 of PM1_CNT, 4.8.3.2.1) in a 16-bit write of PM1_CNT calls
   the sleep hook once, with that write's SLP_TYP (bits 12:10), after the
   register holds the write; SLP_EN is not stored. Nothing else calls it:
   a PM1_CNT write without SLP_EN, 1- and 4-byte writes with it (ignored,
   4.8.3), bit 13 written to PM1_STS, PM1_EN or the timer, reads. Without
   the hook the write only sets the register. */
TEST(sleep)
{
    acpi_pm_model pm;

    setup(&pm, false, 0);
    sleeping = &pm;
    wr(&pm, ACPI_PM_CNT, ACPI_PM_SCI_EN | (7u << 10));          /* the type alone */
    CHECK_EQ(sleeps, 0);
    wr(&pm, ACPI_PM_CNT, ACPI_PM_SCI_EN | (7u << 10) | (1u << 13));
    CHECK_EQ(sleeps, 1);
    CHECK_EQ(last_slp_typ, 7);
    CHECK_EQ(cnt_at_sleep, 0x1c01);                              /* SCI_EN | SLP_TYP 7 */
    CHECK_EQ(rd(&pm, ACPI_PM_CNT), 0x1c01);                      /* SLP_EN reads 0 */
    for (unsigned t = 0; t < 8; t++) {                           /* every type, as written */
        wr(&pm, ACPI_PM_CNT, (t << 10) | (1u << 13));
        CHECK_EQ(sleeps, 2 + t);
        CHECK_EQ(last_slp_typ, t);
        CHECK_EQ(cnt_at_sleep, t << 10);
    }
    forget_hooks();
    wr(&pm, ACPI_PM_CNT, 0xdfff);                                /* everything but SLP_EN */
    acpi_pm_model_write(&pm, ACPI_PM_CNT, 1, 0x20);              /* SLP_EN's byte, alone */
    acpi_pm_model_write(&pm, ACPI_PM_CNT + 1, 1, 0x3c);
    acpi_pm_model_write(&pm, ACPI_PM_CNT, 4, 0x3c00);
    acpi_pm_model_write(&pm, ACPI_PM_CNT, 8, 0x3c00);
    wr(&pm, ACPI_PM_STS, 1u << 13);
    wr(&pm, ACPI_PM_EN, 1u << 13);
    acpi_pm_model_write(&pm, ACPI_PM_TMR, 4, 0x3c00);
    acpi_pm_model_write(&pm, ACPI_PM_TMR, 2, 0x3c00);
    CHECK_EQ(rd(&pm, ACPI_PM_CNT), ACPI_PM_CNT_KEEP);
    CHECK_EQ(sleeps, 0);
    /* No hook: the register is written, nothing else happens. */
    pm.hooks.sleep = NULL;
    wr(&pm, ACPI_PM_CNT, ACPI_PM_SCI_EN | (5u << 10) | (1u << 13));
    CHECK_EQ(rd(&pm, ACPI_PM_CNT), ACPI_PM_SCI_EN | (5u << 10));
    CHECK_EQ(sleeps, 0);
    CHECK_EQ(tmr_at(&pm, 1000000000ull), HZ);                    /* still counting */
    sleeping = NULL;
}

/* The PM1 registers are 16-bit and the timer 32-bit: any other access, or
   an offset between registers, reads all-ones and writes nothing. */
TEST(widths)
{
    static const unsigned bad_pm1[] = { 1, 4, 8 };
    static const uint64_t holes[] = { 1, 3, 5, 6, 7, 9, 10, 11, 12, 0x1000, UINT64_MAX };
    acpi_pm_model pm;

    setup(&pm, false, 0);
    for (size_t i = 0; i < 3; i++) {
        unsigned w = bad_pm1[i];
        uint64_t ones = w == 8 ? UINT64_MAX : (1ull << (8 * w)) - 1;

        CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_STS, w), ones);
        CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_EN, w), ones);
        CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_CNT, w), ones);
        acpi_pm_model_write(&pm, ACPI_PM_EN, w, ACPI_PM_TMR_EN);
        acpi_pm_model_write(&pm, ACPI_PM_CNT, w, 0);
    }
    CHECK_EQ(rd(&pm, ACPI_PM_EN), 0);
    CHECK_EQ(rd(&pm, ACPI_PM_CNT), ACPI_PM_SCI_EN);
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_TMR, 1), 0xff);
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_TMR, 2), 0xffff);
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_TMR, 8), UINT64_MAX);
    CHECK_EQ(tmr_at(&pm, 1000), 3);
    acpi_pm_model_write(&pm, ACPI_PM_TMR, 4, 0);     /* read-only */
    CHECK_EQ(tmr_at(&pm, 1000), 3);
    for (size_t i = 0; i < sizeof holes / sizeof holes[0]; i++) {
        CHECK_EQ(acpi_pm_model_read(&pm, holes[i], 2), 0xffff);
        CHECK_EQ(acpi_pm_model_read(&pm, holes[i], 4), 0xffffffffu);
        wr(&pm, holes[i], 0xffff);
    }
    CHECK_EQ(rd(&pm, ACPI_PM_EN), 0);
    CHECK_EQ(rd(&pm, ACPI_PM_CNT), ACPI_PM_SCI_EN);
    /* A write of a width the block does not decode, of every width and at
       every register, changes nothing and wakes nothing; an odd width
       reads all-ones too. */
    forget_hooks();
    for (unsigned w = 0; w <= 8; w++) {
        if (w == 2)
            continue;
        for (uint64_t off = 0; off < ACPI_PM_LEN; off++)
            acpi_pm_model_write(&pm, off, w, 0xffffffffu);
    }
    CHECK_EQ(rd(&pm, ACPI_PM_EN), 0);
    CHECK_EQ(rd(&pm, ACPI_PM_CNT), ACPI_PM_SCI_EN);
    CHECK_EQ(wakes + sci_calls, 0);
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_TMR, 3), 0xffffff);
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_STS, 0), UINT64_MAX);
    /* A 24-bit counter's top byte reads 0, even after many wraps. */
    CHECK_EQ(tmr_at(&pm, 100ull * 1000000000u) >> 24, 0);
    CHECK_EQ(tmr_at(&pm, 100ull * 1000000000u), ref_ticks(100ull * 1000000000u) & 0xffffff);
}

/* poll: no deadline while TMR_EN is clear; with it, the exact ns of the
   next top-bit change, from any point in between, until that change has
   set TMR_STS: then nothing is due until the guest clears it. */
TEST(poll_deadlines)
{
    acpi_pm_model pm;
    uint64_t start = 1000000, t1 = start + ref_ns_at(1u << 23);
    uint64_t t2 = start + ref_ns_at(2u << 23);

    setup(&pm, false, start);
    CHECK_EQ(acpi_pm_model_poll(&pm, start), NEVER);
    clock_ns = start;
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);
    CHECK_EQ(acpi_pm_model_poll(&pm, start), t1);
    CHECK_EQ(acpi_pm_model_poll(&pm, t1 - 1), t1);
    CHECK_EQ(rd(&pm, ACPI_PM_STS) & ACPI_PM_TMR_STS, 0);
    CHECK_EQ(acpi_pm_model_poll(&pm, t1), NEVER);      /* raised, not yet cleared */
    CHECK_EQ(rd(&pm, ACPI_PM_STS) & ACPI_PM_TMR_STS, ACPI_PM_TMR_STS);
    CHECK(sci_level);
    CHECK_EQ(acpi_pm_model_poll(&pm, t1 + 5), NEVER);
    clock_ns = t1 + 5;
    wr(&pm, ACPI_PM_STS, ACPI_PM_TMR_STS);             /* the guest's handler */
    CHECK_EQ(acpi_pm_model_poll(&pm, t1 + 5), t2);
    /* SCI_EN clear: TMR_STS goes nowhere, so nothing is due either. */
    wr(&pm, ACPI_PM_CNT, 0);
    CHECK_EQ(acpi_pm_model_poll(&pm, t1 + 5), NEVER);
    wr(&pm, ACPI_PM_CNT, ACPI_PM_SCI_EN);
    CHECK_EQ(acpi_pm_model_poll(&pm, t1 + 5), t2);
    /* 32 bits: the top bit changes every 2^31 ticks, ten minutes. */
    setup(&pm, true, start);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);
    CHECK_EQ(acpi_pm_model_poll(&pm, start), start + ref_ns_at(1ull << 31));
    /* Near the end of 64-bit time: no deadline that would wrap. */
    setup(&pm, false, UINT64_MAX - 1000);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);
    CHECK_EQ(acpi_pm_model_poll(&pm, UINT64_MAX - 1000), NEVER);
    setup(&pm, true, 0);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);
    CHECK_EQ(acpi_pm_model_poll(&pm, UINT64_MAX), NEVER);
    clock_ns = UINT64_MAX;
    wr(&pm, ACPI_PM_STS, ACPI_PM_TMR_STS);             /* the next change is past 2^64 ns */
    CHECK_EQ(rd(&pm, ACPI_PM_STS), 0);
    CHECK_EQ(acpi_pm_model_poll(&pm, UINT64_MAX), NEVER);
    /* The last change that does fit is still given. */
    setup(&pm, true, 0);
    uint64_t last = ref_ns_at((ref_ticks(UINT64_MAX) >> 31) << 31);
    clock_ns = last - 1;
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);
    wr(&pm, ACPI_PM_STS, ACPI_PM_TMR_STS);
    CHECK_EQ(acpi_pm_model_poll(&pm, last - 1), last);
}

/* The wake hook: a guest write that moves the deadline earlier calls it,
   once; nothing else does. */
TEST(wake)
{
    acpi_pm_model pm;
    uint64_t t1 = ref_ns_at(1u << 23);

    setup(&pm, false, 0);
    CHECK_EQ(wakes, 0);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);               /* never -> t1 */
    CHECK_EQ(wakes, 1);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);               /* t1 -> t1 */
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN | ACPI_PM_RTC_EN);
    rd(&pm, ACPI_PM_STS);
    rd(&pm, ACPI_PM_EN);
    acpi_pm_model_read(&pm, ACPI_PM_TMR, 4);
    CHECK_EQ(wakes, 1);
    wr(&pm, ACPI_PM_EN, 0);                            /* later (never): no wake */
    CHECK_EQ(wakes, 1);
    wr(&pm, ACPI_PM_CNT, 0);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);               /* SCI_EN clear: still never */
    CHECK_EQ(wakes, 1);
    wr(&pm, ACPI_PM_CNT, ACPI_PM_SCI_EN);              /* never -> t1 */
    CHECK_EQ(wakes, 2);
    CHECK_EQ(acpi_pm_model_poll(&pm, 0), t1);
    /* The change happens; TMR_STS holds the deadline back until cleared. */
    CHECK_EQ(acpi_pm_model_poll(&pm, t1), NEVER);
    clock_ns = t1 + 10;
    wr(&pm, ACPI_PM_STS, 0);                           /* clears nothing */
    CHECK_EQ(wakes, 2);
    wr(&pm, ACPI_PM_STS, ACPI_PM_TMR_STS);             /* never -> t2 */
    CHECK_EQ(wakes, 3);
    /* Clearing TMR_STS with TMR_EN clear moves nothing. */
    setup(&pm, false, 0);
    CHECK_EQ(sts_at(&pm, t1), ACPI_PM_TMR_STS);
    wr(&pm, ACPI_PM_STS, ACPI_PM_TMR_STS);
    CHECK_EQ(wakes, 0);
    /* A write when the board is late: the change it missed is found by the
       write itself, which sets TMR_STS and clears it in one access, so the
       SCI, low before and after, is not pulsed; the new deadline is later
       than the one the board holds, so no wake is needed. */
    setup(&pm, false, 0);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);
    CHECK_EQ(acpi_pm_model_poll(&pm, 0), t1);
    forget_hooks();
    clock_ns = t1 + 1;
    wr(&pm, ACPI_PM_STS, ACPI_PM_TMR_STS);
    CHECK_EQ(sci_calls, 0);
    CHECK(!sci_level);
    CHECK_EQ(wakes, 0);
    CHECK_EQ(acpi_pm_model_poll(&pm, t1 + 1), ref_ns_at(2u << 23));
    /* No wake hook: fine. */
    acpi_pm_model_init(&pm, NULL);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);
    CHECK_EQ(acpi_pm_model_poll(&pm, 0), t1);
}

/* Time never runs backwards for the guest, whatever the board's clock
   does; without a `now` hook, reads see the time of the last poll. */
TEST(monotonic)
{
    acpi_pm_model pm;

    setup(&pm, false, 1000000000ull);
    CHECK_EQ(tmr_at(&pm, 2000000000ull), HZ);
    CHECK_EQ(tmr_at(&pm, 1500000000ull), HZ);
    CHECK_EQ(tmr_at(&pm, 0), HZ);
    acpi_pm_model_init(&pm, NULL);
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_TMR, 4), 0);
    acpi_pm_model_poll(&pm, 1000000000ull);
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_TMR, 4), HZ);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);                /* no sci hook: fine */
    acpi_pm_model_poll(&pm, ref_ns_at(1u << 23));
    CHECK_EQ(pm.s.sts & pm.s.en, ACPI_PM_TMR_STS);       /* the SCI would be up */
    acpi_pm_model_poll(&pm, 5);                         /* backwards: ignored */
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_TMR, 4), 1u << 23);
}

/* init: zeroes, copies the hooks, 24 bits by default, and asks only the
   clock, which sets the counter's start. */
TEST(init)
{
    acpi_pm_model pm;

    memset(&pm, 0x5a, sizeof pm);
    clock_ns = 4242;
    forget_hooks();
    acpi_pm_model_init(&pm, &hooks);
    CHECK_EQ(now_calls, 1);
    CHECK_EQ(sci_calls + wakes, 0);
    CHECK(!pm.cfg.tmr_32bit);
    CHECK_EQ(pm.s.version, ACPI_PM_STATE_VERSION);
    CHECK_EQ(pm.s.start_ns, 4242);
    CHECK_EQ(pm.s.last_ns, 4242);
    CHECK_EQ(pm.s.sts | pm.s.en, 0);
    CHECK_EQ(pm.s.cnt, ACPI_PM_SCI_EN);
    CHECK_EQ(pm.s.reserved[0] | pm.s.reserved[1] | pm.s.reserved[2], 0);
    CHECK(pm.hooks.sci == on_sci && pm.hooks.wake == on_wake && pm.hooks.now == on_now &&
          pm.hooks.sleep == on_sleep);
    CHECK_EQ(tmr_at(&pm, 4242 + 1000000000ull), HZ);
    memset(&pm, 0x5a, sizeof pm);
    acpi_pm_model_init(&pm, NULL);
    CHECK(!pm.hooks.now && !pm.hooks.sci && !pm.hooks.wake && !pm.hooks.ctx);
    CHECK_EQ(pm.s.start_ns, 0);
}

/* reset: the counter starts over at the board time of the reset, the
   registers are at power-on, hooks and cfg stay, and the SCI falls. */
TEST(reset)
{
    acpi_pm_model pm;
    uint64_t t1 = ref_ns_at(1u << 31), at = t1 + 123456789;

    setup(&pm, true, 0);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN | ACPI_PM_RTC_EN);
    wr(&pm, ACPI_PM_CNT, ACPI_PM_SCI_EN | (3u << 10));
    CHECK_EQ(sts_at(&pm, t1), ACPI_PM_TMR_STS);
    CHECK(sci_level);
    forget_hooks();
    clock_ns = at;
    acpi_pm_model_reset(&pm);
    CHECK_EQ(now_calls, 1);
    CHECK_EQ(sci_calls, 1);                             /* it fell */
    CHECK(!sci_level);
    CHECK_EQ(wakes, 0);
    CHECK(pm.cfg.tmr_32bit);                            /* cfg kept */
    CHECK(pm.hooks.sci == on_sci);                    /* hooks kept */
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_TMR, 4), 0);
    CHECK_EQ(rd(&pm, ACPI_PM_STS), 0);
    CHECK_EQ(rd(&pm, ACPI_PM_EN), 0);
    CHECK_EQ(rd(&pm, ACPI_PM_CNT), ACPI_PM_SCI_EN);
    CHECK_EQ(tmr_at(&pm, at + 1000000000ull), HZ);
    /* 32 bits still: the first change is 2^31 ticks after the reset. */
    CHECK_EQ(sts_at(&pm, at + t1 - 1), 0);
    CHECK_EQ(sts_at(&pm, at + t1), ACPI_PM_TMR_STS);
    /* A reset with the SCI low tells the hook nothing. */
    forget_hooks();
    acpi_pm_model_reset(&pm);
    CHECK_EQ(sci_calls, 0);
    /* Without a clock, the counter starts at board time 0. */
    pm.hooks.now = NULL;
    acpi_pm_model_poll(&pm, 5000000000ull);
    acpi_pm_model_reset(&pm);
    CHECK_EQ(pm.s.start_ns, 0);
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_TMR, 4), 0);
    acpi_pm_model_poll(&pm, 1000000000ull);
    CHECK_EQ(acpi_pm_model_read(&pm, ACPI_PM_TMR, 4), HZ);
}

/* save: the state, into any buffer at least its size; -1 and no byte
   written into a smaller one. */
TEST(save_buffers)
{
    acpi_pm_model pm, c;
    acpi_pm_state st;
    unsigned char raw[sizeof st + 9];
    unsigned untouched = 0;

    setup(&pm, false, 1000);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN);
    clock_ns = 2000000000ull;
    memset(raw, 0xa5, sizeof raw);
    CHECK_EQ(acpi_pm_model_save(&pm, raw, sizeof st - 1), -1);
    CHECK_EQ(acpi_pm_model_save(&pm, raw, 0), -1);
    for (size_t i = 0; i < sizeof raw; i++)
        untouched += raw[i] == 0xa5;
    CHECK_EQ(untouched, sizeof raw);
    /* Larger is fine; the answer is the state's size. An unaligned buffer
       works both ways: the copy is bytes. */
    CHECK_EQ(acpi_pm_model_save(&pm, raw + 1, sizeof raw - 1), sizeof st);
    CHECK_EQ(raw[sizeof st + 1], 0xa5);
    CHECK_EQ(acpi_pm_model_save(&pm, &st, sizeof st), sizeof st);
    CHECK(memcmp(raw + 1, &st, sizeof st) == 0);
    CHECK(memcmp(&st, &pm.s, sizeof st) == 0);
    CHECK_EQ(sizeof st, 32);                            /* no padding left unnamed */
    acpi_pm_model_init(&c, NULL);
    CHECK_EQ(acpi_pm_model_restore(&c, raw + 1, sizeof st), sizeof st);
    CHECK(memcmp(&st, &c.s, sizeof st) == 0);
}

/* restore: the counter and registers carry over, the SCI is told its
   level whatever it was, wake is called if something is due; every
   refusal is -1 and changes nothing. */
TEST(save_restore)
{
    acpi_pm_model pm, b;
    acpi_pm_state st, bad, keep;
    uint64_t t1 = ref_ns_at(1u << 23), t2 = ref_ns_at(2u << 23);

    setup(&pm, false, 500);
    wr(&pm, ACPI_PM_EN, ACPI_PM_TMR_EN | ACPI_PM_PWRBTN_EN);
    wr(&pm, ACPI_PM_CNT, ACPI_PM_SCI_EN | ACPI_PM_BM_RLD);
    CHECK_EQ(sts_at(&pm, 500 + t1), ACPI_PM_TMR_STS);
    CHECK(sci_level);
    CHECK_EQ(acpi_pm_model_save(&pm, &st, sizeof st), sizeof st);

    /* Into a fresh block: the SCI goes up there, nothing is due (TMR_STS
       is still set), the counter goes on from where it was. */
    clock_ns = 0;
    acpi_pm_model_init(&b, &hooks);
    forget_hooks();
    CHECK_EQ(acpi_pm_model_restore(&b, &st, sizeof st), sizeof st);
    CHECK_EQ(sci_calls, 1);
    CHECK(sci_level);
    CHECK_EQ(wakes, 0);
    CHECK_EQ(rd(&b, ACPI_PM_EN), ACPI_PM_TMR_EN | ACPI_PM_PWRBTN_EN);
    CHECK_EQ(rd(&b, ACPI_PM_CNT), ACPI_PM_SCI_EN | ACPI_PM_BM_RLD);
    CHECK_EQ(tmr_at(&b, 500 + t1), 1u << 23);
    CHECK_EQ(tmr_at(&b, 0), 1u << 23);                  /* its clock is behind: held */
    /* The same level again: told again, the board may be new. */
    forget_hooks();
    CHECK_EQ(acpi_pm_model_restore(&b, &st, sizeof st), sizeof st);
    CHECK_EQ(sci_calls, 1);
    CHECK(sci_level);
    /* A state with the SCI low into a block whose SCI is high: it falls. */
    clock_ns = 500 + t1;
    wr(&pm, ACPI_PM_STS, ACPI_PM_TMR_STS);
    CHECK(!sci_level);
    CHECK_EQ(acpi_pm_model_save(&pm, &st, sizeof st), sizeof st);
    forget_hooks();
    sci_level = true;
    CHECK_EQ(acpi_pm_model_restore(&b, &st, sizeof st), sizeof st);
    CHECK_EQ(sci_calls, 1);
    CHECK(!sci_level);
    /* That state has a deadline: the board is woken, and poll gives it. */
    CHECK_EQ(wakes, 1);
    CHECK_EQ(acpi_pm_model_poll(&b, 500 + t1), 500 + t2);
    /* No hooks: fine. */
    acpi_pm_model_init(&b, NULL);
    CHECK_EQ(acpi_pm_model_restore(&b, &st, sizeof st), sizeof st);
    acpi_pm_model_init(&b, &hooks);

    /* Every refusal is -1, leaves the state as it was and calls no hook. */
#define REJECT_SIZED(mutate, size) do {                                       \
        bad = st; mutate;                                                     \
        CHECK_EQ(acpi_pm_model_save(&b, &keep, sizeof keep), sizeof keep);    \
        forget_hooks();                                                       \
        CHECK_EQ(acpi_pm_model_restore(&b, &bad, (size)), -1);                \
        CHECK(memcmp(&keep, &b.s, sizeof keep) == 0);                         \
        CHECK_EQ(now_calls + sci_calls + wakes, 0);                           \
    } while (0)
#define REJECT(mutate) REJECT_SIZED(mutate, sizeof bad)
    REJECT(bad.version = ACPI_PM_STATE_VERSION + 1);
    REJECT(bad.version = 0);
    REJECT(bad.reserved[0] = 1);
    REJECT(bad.reserved[2] = 0x8000);
    REJECT(bad.sts = ACPI_PM_PWRBTN_STS);             /* an event that never happens */
    REJECT(bad.sts = ACPI_PM_TMR_STS | 2);             /* a bit the spec does not define */
    REJECT(bad.sts = ACPI_PM_WAK_STS);
    REJECT(bad.en = 2);
    REJECT(bad.en = ACPI_PM_TMR_EN | 0x8000);
    REJECT(bad.cnt = ACPI_PM_SCI_EN | ACPI_PM_SLP_EN); /* write-only: never stored */
    REJECT(bad.cnt = ACPI_PM_GBL_RLS);
    REJECT(bad.cnt = 1u << 15);
    REJECT(bad.last_ns = bad.start_ns - 1);            /* seen before the start */
    REJECT((bad.sts = ACPI_PM_TMR_STS, bad.last_ns = bad.start_ns + t1 - 1));
    REJECT_SIZED((void)0, sizeof bad - 1);            /* a good state, the wrong size */
    REJECT_SIZED((void)0, sizeof bad + 1);
    REJECT_SIZED((void)0, 0);
    /* The edges of what is accepted. */
    bad = st;
    bad.sts = ACPI_PM_TMR_STS;
    bad.last_ns = bad.start_ns + t1;
    CHECK_EQ(acpi_pm_model_restore(&b, &bad, sizeof bad), sizeof bad);
    bad.last_ns = bad.start_ns;
    bad.sts = 0;
    CHECK_EQ(acpi_pm_model_restore(&b, &bad, sizeof bad), sizeof bad);
    /* The counter's width is configuration: a 24-bit snapshot with TMR_STS
       set after one change of bit 23 is not a state a 32-bit block can be
       in, since its bit 31 has not changed yet. */
    bad.sts = ACPI_PM_TMR_STS;
    bad.last_ns = bad.start_ns + t1;
    b.cfg.tmr_32bit = true;
    forget_hooks();
    CHECK_EQ(acpi_pm_model_restore(&b, &bad, sizeof bad), -1);
    CHECK_EQ(sci_calls, 0);
#undef REJECT
#undef REJECT_SIZED
}

/* The contract's functions have exactly the chipset's types: a mismatch
   is a compile error here (-Werror). */
TEST(contract_types)
{
    static const chipset_ops ops = {
        .pio_read = acpi_pm_model_read, .pio_write = acpi_pm_model_write,
        .poll = acpi_pm_model_poll, .reset = acpi_pm_model_reset,
        .save = acpi_pm_model_save, .restore = acpi_pm_model_restore,
    };
    acpi_pm_model pm;
    acpi_pm_state st;

    setup(&pm, false, 0);
    ops.pio_write(&pm, ACPI_PM_EN, 2, ACPI_PM_TMR_EN);
    CHECK_EQ(ops.poll(&pm, 0), ref_ns_at(1u << 23));
    CHECK_EQ(ops.pio_read(&pm, ACPI_PM_EN, 2), ACPI_PM_TMR_EN);
    CHECK_EQ(ops.save(&pm, &st, sizeof st), sizeof st);
    ops.reset(&pm);
    CHECK_EQ(ops.pio_read(&pm, ACPI_PM_EN, 2), 0);
    CHECK_EQ(ops.restore(&pm, &st, sizeof st), sizeof st);
    CHECK_EQ(ops.pio_read(&pm, ACPI_PM_EN, 2), ACPI_PM_TMR_EN);
    /* The assertions are compiled in, and none fired on the way. */
    CHECK(asserts > 0);
}

/* A model copied without hooks, polled at the current time: the deadline
   the model really has. */
static uint64_t true_deadline(const acpi_pm_model *pm)
{
    acpi_pm_model copy = *pm;

    copy.hooks = (acpi_pm_model_hooks){ 0, 0, 0, 0, 0 };
    return acpi_pm_model_poll(&copy, clock_ns);
}

/* Random accesses at random widths while time moves, driven as a board
   drives the model: it polls when the deadline it holds has come, and
   again after a wake. No sanitizer report; the counter never goes back
   (mod its wrap); the SCI the hook saw is always what the registers say;
   and the board's deadline is never later than the model's. */
TEST(random_accesses)
{
    acpi_pm_model pm;
    uint32_t seed = 7, last = 0;
    uint64_t wraps = 0, held;
    unsigned woken = 0;

    setup(&pm, false, 0);
    held = acpi_pm_model_poll(&pm, 0);
    for (int i = 0; i < 200000; i++) {
        uint16_t sts, en, cnt;
        uint32_t t;

        seed = seed * 1103515245u + 12345u;
        clock_ns += (seed >> 8) % 100000;
        if (clock_ns >= held)
            held = acpi_pm_model_poll(&pm, clock_ns);
        unsigned w = 1u << ((seed >> 4) % 4), off = (seed >> 12) % 14;
        unsigned before = wakes;

        if (seed & 1)   /* bias toward the registers that move the deadline */
            acpi_pm_model_write(&pm, off, (seed & 6) ? 2 : w, seed >> 16);
        else
            acpi_pm_model_read(&pm, off, w);
        if (wakes != before) {
            woken++;
            held = acpi_pm_model_poll(&pm, clock_ns);
        }
        t = (uint32_t)acpi_pm_model_read(&pm, ACPI_PM_TMR, 4);
        if (t < last)
            wraps++;
        last = t;
        sts = (uint16_t)rd(&pm, ACPI_PM_STS);
        en = (uint16_t)rd(&pm, ACPI_PM_EN);
        cnt = (uint16_t)rd(&pm, ACPI_PM_CNT);
        if (!CHECK_EQ(sci_level, (cnt & 1) && (sts & en & ACPI_PM_SCI_EVENTS)))
            break;
        if (!CHECK(held <= true_deadline(&pm)))
            break;
    }
    CHECK_EQ(wraps, ref_ticks(clock_ns) >> 24);
    CHECK_EQ(last, ref_ticks(clock_ns) & 0xffffff);
    CHECK(woken > 100);                                 /* the wake path ran */
}

/* ---- the driver against the model ---- */

static uint32_t drv_read(void *ctx, uint16_t port)
{
    return (uint32_t)acpi_pm_model_read(ctx, (uint16_t)(port - ACPI_PM_PC_BASE), 4);
}

/* A timer whose reserved top byte is not 0, as the spec allows. */
static uint32_t junk_read(void *ctx, uint16_t port)
{
    return drv_read(ctx, port) | 0xab000000u;
}

TEST(driver)
{
    acpi_pm_model pm;
    acpi_pm_drv d = { drv_read, &pm, ACPI_PM_PC_BASE + ACPI_PM_TMR_OFF, false };
    uint64_t w24 = ref_ns_at(1u << 24);
    uint32_t a, b;

    CHECK_EQ(ACPI_PM_PC_BASE + ACPI_PM_TMR_OFF, 0x608);
    CHECK_EQ(ACPI_PM_TMR_OFF, ACPI_PM_TMR);
    CHECK_EQ(ACPI_PM_EVT_OFF, ACPI_PM_STS);
    CHECK_EQ(ACPI_PM_CNT_OFF, ACPI_PM_CNT);
    CHECK_EQ(ACPI_PM_LEN, ACPI_PM_TMR_OFF + ACPI_PM_TMR_LEN);
    setup(&pm, false, 0);
    clock_ns = 1000000000ull;
    CHECK_EQ(acpi_pm_drv_read_timer(&d), HZ);
    /* Across the 24-bit wrap: the difference is still the ticks between. */
    clock_ns = w24 - 1000000;
    a = acpi_pm_drv_read_timer(&d);
    clock_ns = w24 + 1000000;
    b = acpi_pm_drv_read_timer(&d);
    CHECK(b < a);
    CHECK_EQ(acpi_pm_drv_elapsed(&d, a, b), ref_ticks(w24 + 1000000) - ref_ticks(w24 - 1000000));
    CHECK_EQ(acpi_pm_drv_elapsed(&d, 5, 5), 0);
    CHECK_EQ(acpi_pm_drv_elapsed(&d, 0xffffff, 0), 1);
    CHECK_EQ(acpi_pm_drv_elapsed(&d, 0, 0xffffff), 0xffffff);
    /* The reserved top byte is cut off a 24-bit reading, and a difference
       is right even between readings that carried it. */
    d.read = junk_read;
    CHECK_EQ(acpi_pm_drv_read_timer(&d), b);
    CHECK_EQ(acpi_pm_drv_elapsed(&d, a | 0xab000000u, b | 0x12000000u),
             ref_ticks(w24 + 1000000) - ref_ticks(w24 - 1000000));
    /* 32 bits: the top byte counts, and the wrap is at 2^32. */
    setup(&pm, true, 0);
    d.read = drv_read;
    d.tmr_32bit = true;
    clock_ns = w24 + 1000000;
    CHECK_EQ(acpi_pm_drv_read_timer(&d), ref_ticks(clock_ns));
    CHECK_EQ(acpi_pm_drv_elapsed(&d, 0xffffffffu, 2), 3);
    CHECK_EQ(acpi_pm_drv_elapsed(&d, 0xfffff0u, 0x1000010u), 0x20);
    /* The kernel test's measurement, here with an exact clock: ten steps
       of 20 ms, each difference added up, give the rate to a tick. */
    setup(&pm, false, 3000000000ull);
    d.tmr_32bit = false;
    uint64_t ticks = 0, t0 = clock_ns;
    uint32_t prev = acpi_pm_drv_read_timer(&d);
    for (int i = 0; i < 250; i++) {                    /* 5 s: one wrap on the way */
        clock_ns += 20000000;
        uint32_t now = acpi_pm_drv_read_timer(&d);
        ticks += acpi_pm_drv_elapsed(&d, prev, now);
        prev = now;
    }
    CHECK_EQ(ticks, ref_ticks(clock_ns - t0));
    CHECK_EQ(ticks * 1000000000ull / (clock_ns - t0), HZ);
}

CHECK_MAIN(TEST_ENTRY(rate_exact), TEST_ENTRY(wrap), TEST_ENTRY(tmr_sts_24),
           TEST_ENTRY(tmr_sts_32), TEST_ENTRY(write_one_to_clear), TEST_ENTRY(sci_gating),
           TEST_ENTRY(control), TEST_ENTRY(sleep), TEST_ENTRY(widths), TEST_ENTRY(poll_deadlines),
           TEST_ENTRY(wake), TEST_ENTRY(monotonic), TEST_ENTRY(init), TEST_ENTRY(reset),
           TEST_ENTRY(save_buffers), TEST_ENTRY(save_restore), TEST_ENTRY(contract_types),
           TEST_ENTRY(random_accesses), TEST_ENTRY(driver))
