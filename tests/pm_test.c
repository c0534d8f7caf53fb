/* pm_test.c - white-box tests of vm/pm.c, the ACPI PM1 registers and PM
   timer the monitor gives its guest.

   The model's clock is a variable here (the `now` hook), so every check
   happens at an exact nanosecond: the counter's rate at several times up
   to a century, checked against a 128-bit reference; the wrap at 24 and 32
   bits; TMR_STS set at the exact nanosecond the top bit changes and not one
   before; write-1-to-clear; the SCI level against SCI_EN, the enables and
   the status; access widths; pm_poll's deadlines. Last, random accesses
   must leave the counter monotonic and the SCI consistent.

   Build: gcc -std=c11 -fsanitize=address,undefined pm_test.c ../vm/pm.c */
#include "check.h"

#include "../vm/pm.h"

#include <stdbool.h>
#include <stdint.h>

__extension__ typedef unsigned __int128 u128;

/* The spec's rate (ACPI 6.5, 4.8.2.1), written here rather than taken from
   pm.h, so a wrong constant there fails these tests. */
#define HZ 3579545u

static uint64_t clock_ns;               /* the host time the model sees */
static unsigned sci_calls;
static bool sci_level;

static uint64_t test_now(void *ctx)
{
    (void)ctx;
    return clock_ns;
}

static void test_sci(void *ctx, bool level)
{
    (void)ctx;
    sci_calls++;
    sci_level = level;
}

static void setup(pm_model *pm, bool ext, uint64_t start)
{
    pm_hooks h = { test_now, test_sci, NULL };

    clock_ns = start;
    sci_calls = 0;
    sci_level = false;
    pm_init(pm, ext, &h, start);
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

static uint32_t tmr_at(pm_model *pm, uint64_t ns)
{
    clock_ns = ns;
    return (uint32_t)pm_read(pm, PM_TMR, 4);
}

static uint16_t sts_at(pm_model *pm, uint64_t ns)
{
    clock_ns = ns;
    return (uint16_t)pm_read(pm, PM1_STS, 2);
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
    pm_model pm;

    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        CHECK_EQ(pm_ticks(at[i]), ref_ticks(at[i]));
    CHECK_EQ(PM_TMR_HZ, HZ);
    CHECK_EQ(pm_ticks(1000000000ull), HZ);
    CHECK_EQ(pm_ticks(279), 0);                   /* one tick is 279.37 ns */
    CHECK_EQ(pm_ticks(280), 1);
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
}

/* 24 bits wrap after 2^24 ticks (4.69 s), 32 bits after 2^32 (20 min). */
TEST(wrap)
{
    pm_model pm;
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
    pm_model pm;

    setup(&pm, ext, start);
    CHECK_EQ(sts_at(&pm, t1 - 1) & PM1_TMR, 0);
    CHECK_EQ(tmr_at(&pm, t1 - 1), (1ull << top) - 1);
    CHECK_EQ(sts_at(&pm, t1) & PM1_TMR, PM1_TMR);   /* 0 -> 1 */
    pm_write(&pm, PM1_STS, 2, PM1_TMR);
    CHECK_EQ(sts_at(&pm, t1), 0);
    CHECK_EQ(sts_at(&pm, t2 - 1), 0);
    CHECK_EQ(sts_at(&pm, t2) & PM1_TMR, PM1_TMR);   /* 1 -> 0 (the wrap) */
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
    pm_model pm;
    uint64_t t1 = ref_ns_at(1u << 23);

    setup(&pm, false, 0);
    CHECK_EQ(sts_at(&pm, t1), PM1_TMR);
    pm_write(&pm, PM1_STS, 2, 0);
    CHECK_EQ(pm_read(&pm, PM1_STS, 2), PM1_TMR);
    pm_write(&pm, PM1_STS, 2, 0xfffe);
    CHECK_EQ(pm_read(&pm, PM1_STS, 2), PM1_TMR);
    pm_write(&pm, PM1_STS, 2, 0xffff);
    CHECK_EQ(pm_read(&pm, PM1_STS, 2), 0);
    /* Clearing a status raised between the last read and the write: the
       write sees it and clears it, the next change sets it again. */
    clock_ns = ref_ns_at(2u << 23);
    pm_write(&pm, PM1_STS, 2, PM1_TMR);
    CHECK_EQ(pm_read(&pm, PM1_STS, 2), 0);
    CHECK_EQ(sts_at(&pm, ref_ns_at(3u << 23)), PM1_TMR);
}

/* The SCI is up exactly while SCI_EN and some enabled status are set, and
   the hook hears each change once. */
TEST(sci_gating)
{
    pm_model pm;
    uint64_t t1 = ref_ns_at(1u << 23);

    setup(&pm, false, 0);
    CHECK_EQ(pm_read(&pm, PM1_CNT, 2), PM1_SCI_EN);  /* ACPI mode from power-on */
    CHECK_EQ(sts_at(&pm, t1), PM1_TMR);
    CHECK_EQ(sci_calls, 0);                          /* TMR_EN clear: no SCI */
    pm_write(&pm, PM1_EN, 2, PM1_TMR);
    CHECK(sci_level);
    CHECK_EQ(sci_calls, 1);
    pm_write(&pm, PM1_CNT, 2, 0);                    /* SCI_EN off: SCI down */
    CHECK(!sci_level);
    pm_write(&pm, PM1_CNT, 2, PM1_SCI_EN);
    CHECK(sci_level);
    CHECK_EQ(sci_calls, 3);
    pm_write(&pm, PM1_EN, 2, PM1_TMR);               /* no change: no call */
    CHECK_EQ(sci_calls, 3);
    pm_write(&pm, PM1_STS, 2, PM1_TMR);              /* acknowledged */
    CHECK(!sci_level);
    CHECK_EQ(sci_calls, 4);
    /* The next change raises it through pm_poll alone, with no guest read. */
    pm_poll(&pm, ref_ns_at(2u << 23) - 1);
    CHECK(!sci_level);
    pm_poll(&pm, ref_ns_at(2u << 23));
    CHECK(sci_level);
    pm_write(&pm, PM1_EN, 2, 0);                     /* disabled: down */
    CHECK(!sci_level);
    CHECK_EQ(pm_read(&pm, PM1_STS, 2), PM1_TMR);     /* the status stays */
    /* Enables of events that never happen keep the SCI down. */
    pm_write(&pm, PM1_EN, 2, PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC);
    CHECK(!sci_level);
    CHECK_EQ(pm_read(&pm, PM1_EN, 2), PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC);
    pm_write(&pm, PM1_EN, 2, 0xffff);
    CHECK_EQ(pm_read(&pm, PM1_EN, 2), PM1_EN_BITS);  /* reserved bits read 0 */
    CHECK(sci_level);
}

/* PM1_CNT: SCI_EN, BM_RLD and SLP_TYP are kept; SLP_EN and GBL_RLS are
   write-only and read 0; a sleep request changes nothing else. */
TEST(control)
{
    pm_model pm;

    setup(&pm, false, 0);
    pm_write(&pm, PM1_CNT, 2, PM1_SCI_EN | (5u << 10) | PM1_SLP_EN | PM1_GBL_RLS);
    CHECK_EQ(pm_read(&pm, PM1_CNT, 2), PM1_SCI_EN | (5u << 10));
    pm_write(&pm, PM1_CNT, 2, 0xffff);
    CHECK_EQ(pm_read(&pm, PM1_CNT, 2), PM1_CNT_KEEP);
    CHECK_EQ(tmr_at(&pm, 1000000000ull), HZ);  /* still running */
}

/* The PM1 registers are 16-bit and the timer 32-bit: any other access, or
   an offset between registers, reads all-ones and writes nothing. */
TEST(widths)
{
    static const unsigned bad_pm1[] = { 1, 4, 8 };
    static const uint64_t holes[] = { 1, 3, 5, 6, 7, 9, 10, 11, 12, 0x1000, UINT64_MAX };
    pm_model pm;

    setup(&pm, false, 0);
    for (size_t i = 0; i < 3; i++) {
        unsigned w = bad_pm1[i];
        uint64_t ones = w == 8 ? UINT64_MAX : (1ull << (8 * w)) - 1;

        CHECK_EQ(pm_read(&pm, PM1_STS, w), ones);
        CHECK_EQ(pm_read(&pm, PM1_EN, w), ones);
        CHECK_EQ(pm_read(&pm, PM1_CNT, w), ones);
        pm_write(&pm, PM1_EN, w, PM1_TMR);
        pm_write(&pm, PM1_CNT, w, 0);
    }
    CHECK_EQ(pm_read(&pm, PM1_EN, 2), 0);
    CHECK_EQ(pm_read(&pm, PM1_CNT, 2), PM1_SCI_EN);
    CHECK_EQ(pm_read(&pm, PM_TMR, 1), 0xff);
    CHECK_EQ(pm_read(&pm, PM_TMR, 2), 0xffff);
    CHECK_EQ(pm_read(&pm, PM_TMR, 8), UINT64_MAX);
    CHECK_EQ(tmr_at(&pm, 1000), 3);
    pm_write(&pm, PM_TMR, 4, 0);                     /* read-only */
    CHECK_EQ(tmr_at(&pm, 1000), 3);
    for (size_t i = 0; i < sizeof holes / sizeof holes[0]; i++) {
        CHECK_EQ(pm_read(&pm, holes[i], 2), 0xffff);
        CHECK_EQ(pm_read(&pm, holes[i], 4), 0xffffffffu);
        pm_write(&pm, holes[i], 2, 0xffff);
    }
    CHECK_EQ(pm_read(&pm, PM1_EN, 2), 0);
    CHECK_EQ(pm_read(&pm, PM1_CNT, 2), PM1_SCI_EN);
}

/* pm_poll: no deadline while TMR_EN is clear; with it, the exact ns of the
   next top-bit change, from any point in between. */
TEST(poll_deadlines)
{
    pm_model pm;
    uint64_t start = 1000000, t1 = start + ref_ns_at(1u << 23);
    uint64_t t2 = start + ref_ns_at(2u << 23);

    setup(&pm, false, start);
    CHECK_EQ(pm_poll(&pm, start), UINT64_MAX);
    clock_ns = start;
    pm_write(&pm, PM1_EN, 2, PM1_TMR);
    CHECK_EQ(pm_poll(&pm, start), t1);
    CHECK_EQ(pm_poll(&pm, t1 - 1), t1);
    CHECK_EQ(pm_read(&pm, PM1_STS, 2) & PM1_TMR, 0);
    CHECK_EQ(pm_poll(&pm, t1), t2);
    CHECK_EQ(pm_read(&pm, PM1_STS, 2) & PM1_TMR, PM1_TMR);
    CHECK_EQ(pm_poll(&pm, t1 + 5), t2);
    /* 32 bits: the top bit changes every 2^31 ticks, ten minutes. */
    setup(&pm, true, start);
    pm_write(&pm, PM1_EN, 2, PM1_TMR);
    CHECK_EQ(pm_poll(&pm, start), start + ref_ns_at(1ull << 31));
    /* Near the end of 64-bit time: no deadline that would wrap. */
    setup(&pm, false, UINT64_MAX - 1000);
    pm_write(&pm, PM1_EN, 2, PM1_TMR);
    CHECK_EQ(pm_poll(&pm, UINT64_MAX - 1000), UINT64_MAX);
    setup(&pm, true, 0);
    pm_write(&pm, PM1_EN, 2, PM1_TMR);
    CHECK_EQ(pm_poll(&pm, UINT64_MAX), UINT64_MAX);
}

/* Time never runs backwards for the guest, whatever the host clock does;
   without a `now` hook, reads see the time of the last poll. */
TEST(monotonic)
{
    pm_model pm;

    setup(&pm, false, 1000000000ull);
    CHECK_EQ(tmr_at(&pm, 2000000000ull), HZ);
    CHECK_EQ(tmr_at(&pm, 1500000000ull), HZ);
    CHECK_EQ(tmr_at(&pm, 0), HZ);
    pm_init(&pm, false, NULL, 0);
    CHECK_EQ(pm_read(&pm, PM_TMR, 4), 0);
    pm_poll(&pm, 1000000000ull);
    CHECK_EQ(pm_read(&pm, PM_TMR, 4), HZ);
    pm_write(&pm, PM1_EN, 2, PM1_TMR);               /* no sci hook: fine */
    pm_poll(&pm, ref_ns_at(1u << 23));
    CHECK(pm.sci);
}

/* Random accesses at random widths while time moves: no sanitizer report,
   the counter never goes back (mod its wrap), and the SCI the hook saw is
   always what the registers say. */
TEST(random_accesses)
{
    pm_model pm;
    uint32_t seed = 7, last = 0;
    uint64_t wraps = 0;

    setup(&pm, false, 0);
    for (int i = 0; i < 200000; i++) {
        uint16_t sts, en, cnt;
        uint32_t t;

        seed = seed * 1103515245u + 12345u;
        clock_ns += (seed >> 8) % 100000;
        unsigned w = 1u << ((seed >> 4) % 4), off = (seed >> 12) % 14;

        if (seed & 1)
            pm_write(&pm, off, w, seed >> 16);
        else
            pm_read(&pm, off, w);
        if (i % 7 == 0)
            pm_poll(&pm, clock_ns);
        t = (uint32_t)pm_read(&pm, PM_TMR, 4);
        if (t < last)
            wraps++;
        last = t;
        sts = (uint16_t)pm_read(&pm, PM1_STS, 2);
        en = (uint16_t)pm_read(&pm, PM1_EN, 2);
        cnt = (uint16_t)pm_read(&pm, PM1_CNT, 2);
        if (!CHECK_EQ(sci_level, (cnt & 1) && (sts & en & PM1_SCI_EVENTS)))
            break;
    }
    CHECK_EQ(wraps, ref_ticks(clock_ns) >> 24);
    CHECK_EQ(last, ref_ticks(clock_ns) & 0xffffff);
}

CHECK_MAIN(TEST_ENTRY(rate_exact), TEST_ENTRY(wrap), TEST_ENTRY(tmr_sts_24),
           TEST_ENTRY(tmr_sts_32), TEST_ENTRY(write_one_to_clear), TEST_ENTRY(sci_gating),
           TEST_ENTRY(control), TEST_ENTRY(widths), TEST_ENTRY(poll_deadlines),
           TEST_ENTRY(monotonic), TEST_ENTRY(random_accesses))
