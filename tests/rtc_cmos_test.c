/* rtc_cmos_test.c - white-box tests of hdr/rtc_cmos.h, the MC146818A CMOS
   real-time clock: the model the monitor gives its guest, and the driver a
   kernel reads the time with.

   The model's clock is a variable here (the `now` hook), so every check
   happens at an exact nanosecond. The cases of QEMU's rtc-test, in our own
   words: the time in BCD and in binary, in 12 and 24 hours; years 1980,
   2011, 2080; the alarm with "don't care" bytes; periodic edges counted
   over a board second at every rate, at their exact times; no update while
   SET is held; divider reset and the first update half a second after it;
   UIP never stuck. Then: the UIP window's exact edges, read-to-clear C and
   IRQ 8, D, the index port (mask, NMI bit, reads 0xFF), the century and
   the 2099 -> 2100 carry, leap years, long gaps in one step, time moving
   backward, invalid bytes, reset, save and restore, random accesses, and
   the driver against the model with a clock that moves on every access.
   Expected values come from the datasheet and from a calendar written
   here, day by day, not from the model.

   Build: gcc -std=c11 -Ihdr -fsanitize=address,undefined rtc_cmos_test.c */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static unsigned long asserts;
#define RTC_CMOS_ASSERT(c) (asserts++, assert(c))
#define RTC_CMOS_IMPLEMENTATION
#include "rtc_cmos.h"

#include "chipset.h"

#include "check.h"

#define S 1000000000ull          /* ns per second */
#define TUC 1984000ull           /* MC146818A Table 6: update cycle, 32.768 kHz */
#define TBUC 244000ull           /* UIP before the cycle */
#define NEVER RTC_CMOS_NO_DEADLINE

static uint64_t clock_ns;         /* the board time the model sees */
static uint64_t step_ns;          /* added after each driver access */
static unsigned irq_calls, wakes;
static bool irq_level;
static rtc_cmos_model *drv_model; /* what the driver's ports reach */

static uint64_t on_now(void *ctx)
{
    (void)ctx;
    return clock_ns;
}

static void on_irq(void *ctx, bool level)
{
    (void)ctx;
    irq_calls++;
    irq_level = level;
}

static void on_wake(void *ctx)
{
    (void)ctx;
    wakes++;
}

static const rtc_cmos_model_hooks hooks = { on_now, on_irq, on_wake, NULL };

static unsigned bcd(unsigned v)
{
    return (v / 10) << 4 | v % 10;
}

/* ---- a calendar of our own, one day at a time (years 1900-2199) ---- */

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mlen(int y, int m)
{
    static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return len[m - 1] + (m == 2 && leap(y));
}

typedef struct cal { int y, mo, d, h, mi, s, wd; } cal;

/* Seconds since 1970 of a date, counting whole years and months. */
static int64_t unix_of(int y, int mo, int d, int h, int mi, int s)
{
    int64_t days = 0;

    for (int i = 1970; i < y; i++)
        days += leap(i) ? 366 : 365;
    for (int i = y; i < 1970; i++)
        days -= leap(i) ? 366 : 365;
    for (int i = 1; i < mo; i++)
        days += mlen(y, i);
    days += d - 1;
    return days * 86400 + h * 3600 + mi * 60 + s;
}

static cal cal_of(int64_t t)
{
    cal c = { 1970, 1, 1, 0, 0, 0, 5 }; /* 1970-01-01 was a Thursday */
    int64_t days = t / 86400, rest = t % 86400;

    c.h = (int)(rest / 3600);
    c.mi = (int)(rest / 60 % 60);
    c.s = (int)(rest % 60);
    c.wd = (int)((4 + days) % 7) + 1;
    while (days >= (leap(c.y) ? 366 : 365))
        days -= leap(c.y++) ? 366 : 365;
    while (days >= mlen(c.y, c.mo))
        days -= mlen(c.y, c.mo++);
    c.d = (int)days + 1;
    return c;
}

/* ---- access ---- */

static uint8_t rd(rtc_cmos_model *m, unsigned idx)
{
    rtc_cmos_model_write(m, RTC_CMOS_MODEL_INDEX, 1, idx);
    return (uint8_t)rtc_cmos_model_read(m, RTC_CMOS_MODEL_DATA, 1);
}

static void wr(rtc_cmos_model *m, unsigned idx, unsigned v)
{
    rtc_cmos_model_write(m, RTC_CMOS_MODEL_INDEX, 1, idx);
    rtc_cmos_model_write(m, RTC_CMOS_MODEL_DATA, 1, v);
}

static uint8_t rd_at(rtc_cmos_model *m, uint64_t t, unsigned idx)
{
    clock_ns = t;
    return rd(m, idx);
}

static bool uip_at(rtc_cmos_model *m, uint64_t t)
{
    return rd_at(m, t, RTC_CMOS_REG_A) & 0x80;
}

/* A fresh chip at board time `start`, B as given, the clock set to `unix`
   exactly then (0 ns into its second), and no periodic rate (A = 0x20),
   so that C shows only what a test asks for. */
static void setup(rtc_cmos_model *m, uint64_t start, unsigned b, int64_t unix)
{
    clock_ns = start;
    step_ns = 0;
    irq_calls = wakes = 0;
    irq_level = false;
    rtc_cmos_model_init(m, &hooks);
    wr(m, RTC_CMOS_REG_A, 0x20);
    wr(m, RTC_CMOS_REG_B, b);
    rtc_cmos_model_set_wall(m, unix, 0);
}

/* The ten time bytes and the century, as read through the ports. */
static void check_regs(rtc_cmos_model *m, bool bin, const cal *c, unsigned hour_byte)
{
    unsigned (*f)(unsigned) = bin ? NULL : bcd;
#define ENC(v) (f ? f((unsigned)(v)) : (unsigned)(v))
    CHECK_EQ(rd(m, RTC_CMOS_SECONDS), ENC(c->s));
    CHECK_EQ(rd(m, RTC_CMOS_MINUTES), ENC(c->mi));
    CHECK_EQ(rd(m, RTC_CMOS_HOURS), hour_byte);
    CHECK_EQ(rd(m, RTC_CMOS_WEEKDAY), ENC(c->wd));
    CHECK_EQ(rd(m, RTC_CMOS_DAY), ENC(c->d));
    CHECK_EQ(rd(m, RTC_CMOS_MONTH), ENC(c->mo));
    CHECK_EQ(rd(m, RTC_CMOS_YEAR), ENC(c->y % 100));
    CHECK_EQ(rd(m, RTC_CMOS_CENTURY), ENC(c->y / 100));
#undef ENC
}

/* Power-on: 2000-01-01 00:00:00, a Saturday (weekday 7), century 20, and
   the documented A, B, C, D. */
TEST(power_on)
{
    rtc_cmos_model m;
    cal c = { 2000, 1, 1, 0, 0, 0, 7 };

    clock_ns = 12345;
    rtc_cmos_model_init(&m, &hooks);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_A), 0x26);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_B), 0x02);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), 0x00);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_D), 0x80);
    check_regs(&m, false, &c, 0x00);
    CHECK_EQ(rd(&m, 0x0e), 0);
    CHECK_EQ(rd(&m, 0x7f), 0);
    CHECK_EQ(m.s.version, RTC_CMOS_STATE_VERSION);
    /* one second later, exactly, the clock reads :01 */
    CHECK_EQ(rd_at(&m, 12345 + S - 1, RTC_CMOS_SECONDS), 0x00);
    CHECK_EQ(rd_at(&m, 12345 + S, RTC_CMOS_SECONDS), 0x01);
}

/* The same moment in each of the four formats (QEMU's rtc-test reads BCD
   and decimal, 12 and 24 hours): 2011-03-15 13:45:30, a Tuesday. */
TEST(formats)
{
    rtc_cmos_model m;
    int64_t t = unix_of(2011, 3, 15, 13, 45, 30);
    cal c = cal_of(t);

    CHECK_EQ(c.wd, 3);
    setup(&m, 0, 0x02, t);                         /* BCD, 24 h */
    check_regs(&m, false, &c, 0x13);
    setup(&m, 0, 0x06, t);                         /* binary, 24 h */
    check_regs(&m, true, &c, 13);
    setup(&m, 0, 0x00, t);                         /* BCD, 12 h: 1 PM */
    check_regs(&m, false, &c, 0x81);
    setup(&m, 0, 0x04, t);                         /* binary, 12 h */
    check_regs(&m, true, &c, 0x81);
    /* 12 AM and 12 PM are 12, with bit 7 for PM */
    setup(&m, 0, 0x00, unix_of(2011, 3, 15, 0, 5, 0));
    CHECK_EQ(rd(&m, RTC_CMOS_HOURS), 0x12);
    setup(&m, 0, 0x00, unix_of(2011, 3, 15, 12, 5, 0));
    CHECK_EQ(rd(&m, RTC_CMOS_HOURS), 0x92);
    setup(&m, 0, 0x04, unix_of(2011, 3, 15, 12, 5, 0));
    CHECK_EQ(rd(&m, RTC_CMOS_HOURS), 0x8c);
    setup(&m, 0, 0x04, unix_of(2011, 3, 15, 0, 5, 0));
    CHECK_EQ(rd(&m, RTC_CMOS_HOURS), 0x0c);
    setup(&m, 0, 0x06, unix_of(2011, 3, 15, 23, 5, 0));
    CHECK_EQ(rd(&m, RTC_CMOS_HOURS), 23);
}

/* 12-hour counting: 11:59:59 AM -> 12:00:00 PM, 11:59:59 PM -> 12 AM of
   the next day; in BCD and in binary. */
TEST(twelve_hour_count)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x00, unix_of(2011, 3, 15, 11, 59, 59));
    CHECK_EQ(rd(&m, RTC_CMOS_HOURS), 0x11);
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_HOURS), 0x92);
    CHECK_EQ(rd(&m, RTC_CMOS_MINUTES), 0x00);
    CHECK_EQ(rd(&m, RTC_CMOS_DAY), 0x15);
    setup(&m, 0, 0x04, unix_of(2011, 3, 15, 23, 59, 59));
    CHECK_EQ(rd(&m, RTC_CMOS_HOURS), 0x8b);
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_HOURS), 0x0c);
    CHECK_EQ(rd(&m, RTC_CMOS_DAY), 16);
    CHECK_EQ(rd(&m, RTC_CMOS_WEEKDAY), 4);
    CHECK_EQ(rd_at(&m, 2 * 3600 * S, RTC_CMOS_HOURS), 1);  /* 1 AM */
    CHECK_EQ(rd_at(&m, 13 * 3600 * S, RTC_CMOS_HOURS), 0x80 | 12);
}

/* Changing DM or 24/12 converts nothing: the bytes stay, and count on read
   in the new format (the datasheet leaves rewriting them to software). */
TEST(format_change_keeps_bytes)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, unix_of(2011, 3, 15, 13, 45, 19));
    wr(&m, RTC_CMOS_REG_B, 0x06);                     /* now binary */
    CHECK_EQ(rd(&m, RTC_CMOS_SECONDS), 0x19);
    CHECK_EQ(rd(&m, RTC_CMOS_HOURS), 0x13);
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_SECONDS), 0x1a);   /* 25 + 1 = 26 */
    CHECK_EQ(rd(&m, RTC_CMOS_MINUTES), 0x45);
}

/* Years 1980 (a leap year: Feb 29 exists), 2011, 2080, set through the
   driver with SET held, as rtc-test does, then read back. */
static uint8_t drv_in(void *ctx, uint16_t port)
{
    uint8_t v;

    (void)ctx;
    v = (uint8_t)rtc_cmos_model_read(drv_model, port - RTC_CMOS_PC_PORT, 1);
    clock_ns += step_ns;
    return v;
}

static void drv_out(void *ctx, uint16_t port, uint8_t v)
{
    (void)ctx;
    rtc_cmos_model_write(drv_model, port - RTC_CMOS_PC_PORT, 1, v);
    clock_ns += step_ns;
}

static const rtc_cmos_drv drv = { drv_in, drv_out, NULL };

TEST(years)
{
    static const int ys[] = { 1980, 2011, 2080, 1999, 2000, 2099 };
    rtc_cmos_model m;

    for (unsigned i = 0; i < sizeof ys / sizeof ys[0]; i++) {
        for (unsigned b = 0; b < 8; b += 2) {   /* 12/24 h, BCD/binary */
            rtc_cmos_time set = { (uint16_t)ys[i], 2, 28, 23, 59, 59, 0 }, got;
            cal c;

            setup(&m, 0, b, 0);
            drv_model = &m;
            rtc_cmos_drv_set_time(&drv, &set);
            CHECK(rtc_cmos_drv_read_time(&drv, &got, 10));
            CHECK_EQ(got.year, ys[i]);
            CHECK_EQ(got.month, 2);
            CHECK_EQ(got.day, 28);
            CHECK_EQ(got.hour, 23);
            CHECK_EQ(got.second, 59);
            c = cal_of(unix_of(ys[i], 2, 28, 0, 0, 0));
            CHECK_EQ(got.weekday, c.wd);
            CHECK_EQ(rd(&m, RTC_CMOS_CENTURY), b & 4 ? (unsigned)ys[i] / 100 : bcd((unsigned)ys[i] / 100));
            /* one second on: Feb 29 in a leap year, else Mar 1 */
            clock_ns += S;
            CHECK(rtc_cmos_drv_read_time(&drv, &got, 10));
            CHECK_EQ(got.month, leap(ys[i]) ? 2 : 3);
            CHECK_EQ(got.day, leap(ys[i]) ? 29 : 1);
            CHECK_EQ(got.hour, 0);
            CHECK_EQ(got.year, ys[i]);
        }
    }
}

/* The century byte and the 2099 -> 2100 carry; 2100 is not a leap year,
   2000 is, with the century byte (the MC146818A alone would say both). */
TEST(century)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, unix_of(2099, 12, 31, 23, 59, 59));
    CHECK_EQ(rd(&m, RTC_CMOS_CENTURY), 0x20);
    CHECK_EQ(rd(&m, RTC_CMOS_YEAR), 0x99);
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_YEAR), 0x00);
    CHECK_EQ(rd(&m, RTC_CMOS_CENTURY), 0x21);
    CHECK_EQ(rd(&m, RTC_CMOS_MONTH), 0x01);
    CHECK_EQ(rd(&m, RTC_CMOS_DAY), 0x01);
    CHECK_EQ(rd(&m, RTC_CMOS_WEEKDAY), 6);            /* 2100-01-01: Friday */
    setup(&m, 0, 0x02, unix_of(2100, 2, 28, 23, 59, 59));
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_MONTH), 0x03);
    CHECK_EQ(rd(&m, RTC_CMOS_DAY), 0x01);
    setup(&m, 0, 0x02, unix_of(2000, 2, 28, 23, 59, 59));
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_DAY), 0x29);
    setup(&m, 0, 0x02, unix_of(2024, 2, 28, 23, 59, 59));
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_DAY), 0x29);
    setup(&m, 0, 0x02, unix_of(2023, 2, 28, 23, 59, 59));
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_DAY), 0x01);
    /* 1999 -> 2000 in binary */
    setup(&m, 0, 0x06, unix_of(1999, 12, 31, 23, 59, 59));
    CHECK_EQ(rd(&m, RTC_CMOS_CENTURY), 19);
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_CENTURY), 20);
    CHECK_EQ(rd(&m, RTC_CMOS_YEAR), 0);
}

/* Long gaps are one step, and land where a day-by-day calendar does: every
   field after 1 s, a day, 400 days, 10 years, across 2100, in one read. */
TEST(long_gaps)
{
    static const uint64_t gaps[] = { 1, 59, 3600, 86399, 86400, 400 * 86400ull,
                                     3652 * 86400ull + 12345, 36524 * 86400ull + 7 };
    int64_t from[] = { unix_of(2011, 3, 15, 13, 45, 30), unix_of(2099, 11, 30, 22, 0, 1),
                       unix_of(1980, 1, 1, 0, 0, 0) };
    rtc_cmos_model m;

    for (unsigned i = 0; i < 3; i++) {
        for (unsigned g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
            for (unsigned b = 0; b < 8; b += 2) {
                cal c = cal_of(from[i] + (int64_t)gaps[g]);
                unsigned h = (unsigned)c.h, hb;
                bool bin = b & 4;

                if (b & 2)
                    hb = bin ? h : bcd(h);
                else
                    hb = (h >= 12 ? 0x80u : 0u) |
                         (bin ? (h % 12 ? h % 12 : 12) : bcd(h % 12 ? h % 12 : 12));
                setup(&m, 1000, b, from[i]);
                clock_ns = 1000 + gaps[g] * S;
                check_regs(&m, bin, &c, hb);
                CHECK_EQ(m.stats.updates, gaps[g]);
            }
        }
    }
}

/* UIP: high from tBUC + tUC before each update until it, exactly, every
   second; the time bytes change and UF is set at its end. With the clock
   set at board time 0, update k ends at k s. */
TEST(uip_window)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, unix_of(2011, 3, 15, 13, 45, 30));
    for (uint64_t k = 1; k <= 10; k++) {
        uint64_t end = k * S, rise = end - TUC - TBUC;

        CHECK(!uip_at(&m, rise - 1));
        CHECK(uip_at(&m, rise));
        CHECK(uip_at(&m, end - TUC));                   /* the cycle begins */
        CHECK(uip_at(&m, end - 1));
        CHECK_EQ(rd(&m, RTC_CMOS_SECONDS), bcd((unsigned)(29 + k)));    /* old time */
        CHECK_EQ(rd(&m, RTC_CMOS_REG_C) & RTC_CMOS_C_UF, 0);
        CHECK(!uip_at(&m, end));
        CHECK_EQ(rd(&m, RTC_CMOS_SECONDS), bcd((unsigned)(30 + k)));
        CHECK_EQ(rd(&m, RTC_CMOS_REG_C), RTC_CMOS_C_UF);  /* UIE clear: no IRQF */
    }
}

/* A stuck UIP never happens: sampled every 50 us over 5 s, UIP is never
   high for more than tBUC + tUC, and is low at least once every second. */
TEST(uip_never_stuck)
{
    rtc_cmos_model m;
    uint64_t high_since = 0, longest = 0;
    bool high = false;
    unsigned lows_this_second = 0, seconds_without_low = 0;

    setup(&m, 0, 0x02, unix_of(2011, 3, 15, 13, 45, 30));
    for (uint64_t t = 0; t <= 5 * S; t += 50000) {
        bool u = uip_at(&m, t);

        if (u && !high)
            high_since = t;
        if (!u && high && t - high_since > longest)
            longest = t - high_since;
        high = u;
        lows_this_second += !u;
        if (t % S == S - 50000) {
            seconds_without_low += lows_this_second == 0;
            lows_this_second = 0;
        }
    }
    CHECK(longest <= TBUC + TUC + 50000);
    CHECK(longest >= TBUC + TUC - 50000);
    CHECK_EQ(seconds_without_low, 0);
}

/* After set_wall with a fraction, the next update ends at the next whole
   second of the wall clock: 0.25 s in, 0.75 s later. */
TEST(set_wall_fraction)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, 0);
    clock_ns = 10 * S;
    rtc_cmos_model_set_wall(&m, unix_of(2011, 3, 15, 13, 45, 30), 250000000);
    CHECK_EQ(rd_at(&m, 10 * S + 750000000 - 1, RTC_CMOS_SECONDS), 0x30);
    CHECK_EQ(rd_at(&m, 10 * S + 750000000, RTC_CMOS_SECONDS), 0x31);
    CHECK_EQ(rd_at(&m, 11 * S + 750000000, RTC_CMOS_SECONDS), 0x32);
    rtc_cmos_model_set_wall(&m, unix_of(2011, 3, 15, 13, 45, 30), 2000000000u);  /* capped */
    CHECK_EQ(rd_at(&m, 11 * S + 750000001, RTC_CMOS_SECONDS), 0x31);
}

/* SET held: the time does not move, UIP reads 0, no UF; the registers are
   written meanwhile; clearing SET, updates resume at the divider's next
   second, whose phase ran on. SET also clears UIE (MC146818A). */
TEST(set_bit)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, unix_of(2011, 3, 15, 13, 45, 30));
    clock_ns = S / 2;
    wr(&m, RTC_CMOS_REG_B, 0x02 | RTC_CMOS_B_SET | RTC_CMOS_B_UIE);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_B), 0x82);
    wr(&m, RTC_CMOS_SECONDS, 0x10);
    wr(&m, RTC_CMOS_MINUTES, 0x20);
    for (uint64_t t = S / 2; t < 5 * S; t += 1000000)
        if (!CHECK(!uip_at(&m, t)))
            break;
    CHECK_EQ(rd_at(&m, 5 * S + S / 2, RTC_CMOS_SECONDS), 0x10);
    CHECK_EQ(rd(&m, RTC_CMOS_MINUTES), 0x20);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), 0);
    wr(&m, RTC_CMOS_REG_B, 0x02);
    CHECK_EQ(rd_at(&m, 6 * S - 1, RTC_CMOS_SECONDS), 0x10);
    CHECK(uip_at(&m, 6 * S - 1));
    CHECK_EQ(rd_at(&m, 6 * S, RTC_CMOS_SECONDS), 0x11);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), RTC_CMOS_C_UF);
}

/* Divider reset (DV = 11x): the chain stands, no update, no UIP, no
   periodic edge; released to 010 at t, the first update cycle begins at
   t + 500 ms (UIP from 244 us before it) and ends tUC later. */
TEST(divider_reset)
{
    rtc_cmos_model m;
    uint64_t t = 3 * S + 123456;

    setup(&m, 0, 0x02 | RTC_CMOS_B_PIE, unix_of(2011, 3, 15, 13, 45, 30));
    clock_ns = S / 4;
    wr(&m, RTC_CMOS_REG_A, 0x66);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), 0);
    CHECK_EQ(rtc_cmos_model_poll(&m, S), NEVER);
    CHECK(!uip_at(&m, S));
    CHECK_EQ(rd_at(&m, t, RTC_CMOS_SECONDS), 0x30);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), 0);            /* no PF while held */
    wr(&m, RTC_CMOS_REG_B, 0x02);
    wr(&m, RTC_CMOS_REG_A, 0x26);
    CHECK(!uip_at(&m, t + 500000000 - TBUC - 1));
    CHECK(uip_at(&m, t + 500000000 - TBUC));
    CHECK_EQ(rd_at(&m, t + 500000000 + TUC - 1, RTC_CMOS_SECONDS), 0x30);
    CHECK_EQ(rd_at(&m, t + 500000000 + TUC, RTC_CMOS_SECONDS), 0x31);
    CHECK(!uip_at(&m, t + 500000000 + TUC));
    CHECK_EQ(rd_at(&m, t + 1500000000 + TUC, RTC_CMOS_SECONDS), 0x32);
    /* another DV value stops the oscillator: the chain holds where it is */
    clock_ns = t + 1800000000;
    wr(&m, RTC_CMOS_REG_A, 0x06);
    CHECK_EQ(rd_at(&m, t + 9 * S, RTC_CMOS_SECONDS), 0x32);
    wr(&m, RTC_CMOS_REG_A, 0x26);                    /* 0.7 s + tUC to go */
    CHECK_EQ(rd_at(&m, t + 9 * S + 700000000 + TUC - 1, RTC_CMOS_SECONDS), 0x32);
    CHECK_EQ(rd_at(&m, t + 9 * S + 700000000 + TUC, RTC_CMOS_SECONDS), 0x33);
}

/* Periodic edges over one board second at every rate, counted as a board
   does: poll, wait until the deadline, take the interrupt, read C. The
   rates are MC146818A Table 5 (32.768 kHz base), written out here. Edge k
   of the divider's second is at ceil(k * 10^9 / f) ns into it. */
TEST(periodic_rates)
{
    static const unsigned hz[16] = { 0, 256, 128, 8192, 4096, 2048, 1024, 512,
                                     256, 128, 64, 32, 16, 8, 4, 2 };
    rtc_cmos_model m;

    for (unsigned rs = 0; rs < 16; rs++) {
        /* the divider's second begins tUC before each update: at S - TUC */
        uint64_t origin = S - TUC, count = 0, next;
        bool exact = true;

        setup(&m, 0, 0x02, unix_of(2011, 3, 15, 13, 45, 30));
        clock_ns = origin;
        wr(&m, RTC_CMOS_REG_A, 0x20 | rs);
        wr(&m, RTC_CMOS_REG_B, 0x02 | RTC_CMOS_B_PIE);
        rd(&m, RTC_CMOS_REG_C);          /* the edge at the origin, if any */
        CHECK_EQ(rtc_cmos_periodic_ticks(rs), rs ? 32768 / hz[rs] : 0);
        for (unsigned guard = 0; guard < 10000; guard++) {
            next = rtc_cmos_model_poll(&m, clock_ns);
            if (next == NEVER || next > origin + S)
                break;
            count++;
            exact = exact && next == origin + (count * S + hz[rs] - 1) / hz[rs];
            clock_ns = next;
            CHECK_EQ(rtc_cmos_model_poll(&m, next - 1), next);   /* not early */
            rtc_cmos_model_poll(&m, next);
            if (!CHECK(irq_level))
                break;
            if (!CHECK_EQ(rd(&m, RTC_CMOS_REG_C) & ~RTC_CMOS_C_UF, RTC_CMOS_C_IRQF | RTC_CMOS_C_PF))
                break;
            CHECK(!irq_level);
        }
        CHECK_EQ(count, hz[rs]);
        CHECK(exact);
        if (rs == 0)
            CHECK_EQ(rtc_cmos_model_poll(&m, clock_ns), NEVER);
    }
}

/* PF is set at the rate with PIE clear too, computed on the read of C; a
   guest that never acks costs no deadlines. */
TEST(periodic_lazy)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, 0);
    wr(&m, RTC_CMOS_REG_A, 0x26);
    CHECK_EQ(rtc_cmos_model_poll(&m, 0), NEVER);            /* 1024 Hz, PIE clear */
    CHECK_EQ(rd_at(&m, S / 2, RTC_CMOS_REG_C), RTC_CMOS_C_PF);
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_REG_C), RTC_CMOS_C_PF | RTC_CMOS_C_UF);
    wr(&m, RTC_CMOS_REG_B, 0x02 | RTC_CMOS_B_PIE);
    CHECK(rtc_cmos_model_poll(&m, S / 2) != NEVER);
    rtc_cmos_model_poll(&m, S + S / 2);
    CHECK(irq_level);
    CHECK_EQ(rtc_cmos_model_poll(&m, 2 * S), NEVER);        /* PF pending: no call */
    CHECK(m.stats.periodic >= 2048);
}

/* The alarm with "don't care" bytes (0xC0-0xFF), as rtc-test sets it. */
TEST(alarm)
{
    rtc_cmos_model m;
    uint64_t next;

    /* 12:00:00, alarm 12:00:05: AF (and IRQ 8) at the update ending 5 s on */
    setup(&m, 0, 0x02, unix_of(2011, 3, 15, 12, 0, 0));
    wr(&m, RTC_CMOS_SECONDS_ALARM, 0x05);
    wr(&m, RTC_CMOS_MINUTES_ALARM, 0x00);
    wr(&m, RTC_CMOS_HOURS_ALARM, 0x12);
    wakes = 0;
    wr(&m, RTC_CMOS_REG_B, 0x02 | RTC_CMOS_B_AIE);
    CHECK_EQ(wakes, 1);
    CHECK_EQ(rtc_cmos_model_poll(&m, 0), 5 * S);
    CHECK_EQ(rtc_cmos_model_poll(&m, 5 * S - 1), 5 * S);
    CHECK(!irq_level);
    next = rtc_cmos_model_poll(&m, 5 * S);
    CHECK(irq_level);
    CHECK_EQ(next, NEVER);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), RTC_CMOS_C_IRQF | RTC_CMOS_C_AF | RTC_CMOS_C_UF);
    CHECK_EQ(rd(&m, RTC_CMOS_SECONDS), 0x05);
    /* the same alarm next matches a day later */
    CHECK_EQ(rtc_cmos_model_poll(&m, 5 * S), 5 * S + 86400 * S);
    /* hours and minutes "don't care" (0xC0, 0xFF): every minute at :05 */
    wr(&m, RTC_CMOS_HOURS_ALARM, 0xc0);
    wr(&m, RTC_CMOS_MINUTES_ALARM, 0xff);
    CHECK_EQ(rtc_cmos_model_poll(&m, 5 * S), 65 * S);
    CHECK_EQ(rd_at(&m, 64 * S, RTC_CMOS_REG_C) & RTC_CMOS_C_AF, 0);
    CHECK_EQ(rd_at(&m, 65 * S, RTC_CMOS_REG_C) & RTC_CMOS_C_AF, RTC_CMOS_C_AF);
    /* all three: every second */
    wr(&m, RTC_CMOS_SECONDS_ALARM, 0xd5);
    CHECK_EQ(rtc_cmos_model_poll(&m, 65 * S), 66 * S);
    /* an alarm no time can match (seconds 0x61): no deadline, no AF */
    wr(&m, RTC_CMOS_SECONDS_ALARM, 0x61);
    CHECK_EQ(rtc_cmos_model_poll(&m, 66 * S), NEVER);
    CHECK_EQ(rd_at(&m, 200 * S, RTC_CMOS_REG_C) & RTC_CMOS_C_AF, 0);
    /* lazily, AIE clear: a match within a long gap still sets AF */
    setup(&m, 0, 0x02, unix_of(2011, 3, 15, 12, 0, 0));
    wr(&m, RTC_CMOS_SECONDS_ALARM, 0x30);
    wr(&m, RTC_CMOS_MINUTES_ALARM, 0x59);
    wr(&m, RTC_CMOS_HOURS_ALARM, 0x11);
    CHECK_EQ(rd_at(&m, (23 * 3600 + 59 * 60 + 29) * S, RTC_CMOS_REG_C) & RTC_CMOS_C_AF, 0);
    CHECK_EQ(rd_at(&m, (23 * 3600 + 59 * 60 + 30) * S, RTC_CMOS_REG_C) & RTC_CMOS_C_AF,
             RTC_CMOS_C_AF);
    /* 12-hour mode: 1 PM is 0x81 */
    setup(&m, 0, 0x00, unix_of(2011, 3, 15, 12, 59, 58));
    wr(&m, RTC_CMOS_SECONDS_ALARM, 0x00);
    wr(&m, RTC_CMOS_MINUTES_ALARM, 0x00);
    wr(&m, RTC_CMOS_HOURS_ALARM, 0x81);
    wr(&m, RTC_CMOS_REG_B, RTC_CMOS_B_AIE);
    CHECK_EQ(rtc_cmos_model_poll(&m, 0), 2 * S);
}

/* UF and IRQ 8: high at the update's end with UIE, until C is read; the
   read returns IRQF | UF once, lowers the line, and clears. */
TEST(read_c_clears)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, 0);
    wakes = 0;
    wr(&m, RTC_CMOS_REG_B, 0x02 | RTC_CMOS_B_UIE);
    CHECK_EQ(wakes, 1);
    CHECK_EQ(rtc_cmos_model_poll(&m, 0), S);
    rtc_cmos_model_poll(&m, S);
    CHECK(irq_level);
    CHECK_EQ(irq_calls, 1);
    CHECK_EQ(rtc_cmos_model_poll(&m, S + 1), NEVER);
    CHECK_EQ(m.stats.irqs, 1);
    wakes = 0;
    clock_ns = S + 10;
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), RTC_CMOS_C_IRQF | RTC_CMOS_C_UF);
    CHECK(!irq_level);
    CHECK_EQ(wakes, 1);                              /* a deadline again */
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), 0);
    CHECK_EQ(rtc_cmos_model_poll(&m, S + 10), 2 * S);
    /* writes to C and D are ignored; D reads VRT */
    wr(&m, RTC_CMOS_REG_C, 0xff);
    wr(&m, RTC_CMOS_REG_D, 0x00);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), 0);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_D), 0x80);
    /* an enable set while its flag is already set raises IRQ 8 at once */
    clock_ns = 3 * S;
    wr(&m, RTC_CMOS_REG_B, 0x02);
    rtc_cmos_model_poll(&m, 3 * S);
    CHECK(!irq_level);
    wr(&m, RTC_CMOS_REG_B, 0x02 | RTC_CMOS_B_UIE);
    CHECK(irq_level);
}

/* The index port: bit 7 is the NMI mask, stored and given to the board;
   the select is 7 bits (0x80-0xFF reach 0x00-0x7F); it reads 0xFF. Other
   widths and offsets read all-ones and are ignored. */
TEST(index_port)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, 0);
    CHECK(!rtc_cmos_model_nmi_disabled(&m));
    wr(&m, 0x80 | 0x0e, 0x55);
    CHECK(rtc_cmos_model_nmi_disabled(&m));
    CHECK_EQ(rd(&m, 0x0e), 0x55);
    CHECK(!rtc_cmos_model_nmi_disabled(&m));
    wr(&m, 0xff, 0xaa);
    CHECK_EQ(rd(&m, 0x7f), 0xaa);
    CHECK_EQ(rtc_cmos_model_read(&m, RTC_CMOS_MODEL_INDEX, 1), 0xff);
    CHECK_EQ(rtc_cmos_model_read(&m, RTC_CMOS_MODEL_DATA, 2), 0xffff);
    CHECK_EQ(rtc_cmos_model_read(&m, RTC_CMOS_MODEL_DATA, 4), 0xffffffffu);
    CHECK_EQ(rtc_cmos_model_read(&m, RTC_CMOS_MODEL_DATA, 8), UINT64_MAX);
    CHECK_EQ(rtc_cmos_model_read(&m, 2, 1), 0xff);
    CHECK_EQ(rtc_cmos_model_read(&m, UINT64_MAX, 1), 0xff);
    rtc_cmos_model_write(&m, RTC_CMOS_MODEL_DATA, 2, 0x1234);
    rtc_cmos_model_write(&m, 5, 1, 0x12);
    CHECK_EQ(rd(&m, 0x7f), 0xaa);
    /* UIP is read-only in A */
    wr(&m, RTC_CMOS_REG_A, 0xa6);
    CHECK_EQ(m.s.ram[RTC_CMOS_REG_A], 0x26);
    /* the model as the chipset sees it: its functions are the handlers */
    {
        chipset_read_fn *r = rtc_cmos_model_read;
        chipset_write_fn *w = rtc_cmos_model_write;

        w(&m, RTC_CMOS_MODEL_INDEX, 1, 0x20);
        w(&m, RTC_CMOS_MODEL_DATA, 1, 0x77);
        CHECK_EQ(r(&m, RTC_CMOS_MODEL_DATA, 1), 0x77);
    }
}

/* RESET: PIE, AIE, UIE, SQWE and the flags go, IRQ 8 falls; the time, the
   RAM, A and B's DM, 24/12 and DSE stay. */
TEST(reset)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x07 | 0x78, unix_of(2011, 3, 15, 13, 45, 30));
    wr(&m, 0x40, 0x99);
    rtc_cmos_model_poll(&m, S);
    CHECK(irq_level);
    clock_ns = S + 5;
    rtc_cmos_model_reset(&m);
    CHECK(!irq_level);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_B), 0x07);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), 0);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_A), 0x20);
    CHECK_EQ(rd(&m, RTC_CMOS_SECONDS), 31);
    CHECK_EQ(rd(&m, 0x40), 0x99);
    CHECK_EQ(rtc_cmos_model_poll(&m, S + 5), NEVER);
}

/* Board time moving backward counts as the latest seen: nothing goes back,
   nothing breaks, the deadline stays. */
TEST(time_backward)
{
    rtc_cmos_model m;
    uint64_t d;

    setup(&m, 0, 0x02 | RTC_CMOS_B_UIE, unix_of(2011, 3, 15, 13, 45, 30));
    CHECK_EQ(rd_at(&m, 5 * S, RTC_CMOS_SECONDS), 0x35);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), RTC_CMOS_C_IRQF | RTC_CMOS_C_UF);
    CHECK_EQ(rd_at(&m, 2 * S, RTC_CMOS_SECONDS), 0x35);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), 0);
    d = rtc_cmos_model_poll(&m, 0);
    CHECK_EQ(d, 6 * S);
    CHECK_EQ(rtc_cmos_model_poll(&m, 1), 6 * S);
    CHECK_EQ(rd_at(&m, 6 * S, RTC_CMOS_SECONDS), 0x36);
    CHECK_EQ(m.s.last_ns, 6 * S);
}

/* Invalid bytes count on by the documented rule and never loop: seconds
   0x7A wrap to 0 and carry; a month 0x13 reaches 1 within its 31 days; a
   BCD nibble above 9 goes up by one in canonical form. */
TEST(invalid_values)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, unix_of(2011, 3, 15, 13, 45, 30));
    wr(&m, RTC_CMOS_SECONDS, 0x7a);
    CHECK_EQ(rd_at(&m, S, RTC_CMOS_SECONDS), 0x00);
    CHECK_EQ(rd(&m, RTC_CMOS_MINUTES), 0x46);
    wr(&m, RTC_CMOS_SECONDS, 0x3a);                    /* reads as 40 */
    CHECK_EQ(rd_at(&m, 2 * S, RTC_CMOS_SECONDS), 0x41);
    wr(&m, RTC_CMOS_MONTH, 0x13);
    wr(&m, RTC_CMOS_DAY, 0x30);
    wr(&m, RTC_CMOS_MINUTES, 0x59);
    wr(&m, RTC_CMOS_HOURS, 0x99);                       /* no hour */
    wr(&m, RTC_CMOS_WEEKDAY, 0x00);
    /* 0x99 hours wrap at the next carry into them, a minute on: 00 and a
       day; the 30th of month 13 (31 days) goes to the 31st */
    CHECK_EQ(rd_at(&m, 2 * S + 19 * S, RTC_CMOS_HOURS), 0x00);
    CHECK_EQ(rd(&m, RTC_CMOS_DAY), 0x31);
    CHECK_EQ(rd(&m, RTC_CMOS_WEEKDAY), 1);
    CHECK_EQ(rd(&m, RTC_CMOS_MONTH), 0x13);
    /* a day later: the 1st of January next year */
    CHECK_EQ(rd_at(&m, 21 * S + 86400 * S, RTC_CMOS_DAY), 0x01);
    CHECK_EQ(rd(&m, RTC_CMOS_MONTH), 0x01);
    CHECK_EQ(rd(&m, RTC_CMOS_YEAR), 0x12);
    /* garbage everywhere, then a century in one step: bounded, and valid */
    for (unsigned i = 0; i < 10; i++)
        wr(&m, i, 0xff);
    wr(&m, RTC_CMOS_CENTURY, 0xff);
    wr(&m, RTC_CMOS_REG_B, 0x02 | RTC_CMOS_B_AIE);
    rd(&m, RTC_CMOS_REG_C);
    CHECK_EQ(rtc_cmos_model_poll(&m, 21 * S + 86400 * S), 22 * S + 86400 * S);
    clock_ns = 22 * S + 86400 * S + 36524ull * 86400 * S;
    CHECK(rd(&m, RTC_CMOS_SECONDS) <= 0x59);
    CHECK(rd(&m, RTC_CMOS_MONTH) >= 1 && rd(&m, RTC_CMOS_MONTH) <= 0x12);
    CHECK(rd(&m, RTC_CMOS_YEAR) <= 0x99);
    CHECK(rd(&m, RTC_CMOS_CENTURY) <= 0x99);
    CHECK(asserts > 0);
}

/* Regression: a century byte that holds no value is only counted on, as
   the header says, by the carry out of year 99. A jump of whole days once
   wrote it back as the digits of its number (0xFA, 160, became 0x60). */
TEST(century_invalid)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, unix_of(2011, 3, 15, 13, 45, 30));
    wr(&m, RTC_CMOS_CENTURY, 0xfa);
    CHECK_EQ(rd_at(&m, 86400 * S, RTC_CMOS_DAY), 0x16);
    CHECK_EQ(rd(&m, RTC_CMOS_CENTURY), 0xfa);
    /* year 99: 291 days from March 16 to January 1, 9 more to the 10th;
       the carry takes 0xFA, past 99, to 00 */
    wr(&m, RTC_CMOS_YEAR, 0x99);
    CHECK_EQ(rd_at(&m, 86400 * S + 300 * 86400 * S, RTC_CMOS_DAY), 0x10);
    CHECK_EQ(rd(&m, RTC_CMOS_MONTH), 0x01);
    CHECK_EQ(rd(&m, RTC_CMOS_YEAR), 0x00);
    CHECK_EQ(rd(&m, RTC_CMOS_CENTURY), 0x00);
}

/* Regression: at the end of 64-bit board time (a poll of UINT64_MAX, or
   an image whose last_ns is that) no deadline lies ahead. The sum that
   gives a deadline once wrapped there, to one far in the past, and the
   board would have polled again at once, for ever. */
TEST(end_of_time)
{
    rtc_cmos_model m, n;
    rtc_cmos_state st;

    setup(&m, 0, 0x02 | RTC_CMOS_B_UIE | RTC_CMOS_B_PIE, unix_of(2011, 3, 15, 13, 45, 30));
    wr(&m, RTC_CMOS_REG_A, 0x23);                      /* 8192 Hz */
    CHECK_EQ(rtc_cmos_model_poll(&m, UINT64_MAX), NEVER);
    clock_ns = UINT64_MAX;
    /* every flag: the alarm's bytes, 0, matched a midnight on the way */
    CHECK_EQ(rd(&m, RTC_CMOS_REG_C), RTC_CMOS_C_IRQF | RTC_CMOS_C_FLAGS);
    CHECK(!irq_level);
    CHECK_EQ(rtc_cmos_model_poll(&m, UINT64_MAX), NEVER);
    CHECK_EQ(rtc_cmos_model_poll(&m, 0), NEVER);
    rtc_cmos_model_save(&m, &st, sizeof st);
    CHECK_EQ(st.last_ns, UINT64_MAX);
    setup(&n, 0, 0x02, 0);
    wakes = 0;
    CHECK_EQ(rtc_cmos_model_restore(&n, &st, sizeof st), (int64_t)sizeof st);
    CHECK_EQ(wakes, 0);
    CHECK_EQ(rtc_cmos_model_poll(&n, UINT64_MAX), NEVER);
}

/* save and restore: a round trip, every refusal, and the outputs driven. */
TEST(save_restore)
{
    rtc_cmos_model m, n;
    rtc_cmos_state st, bad;
    uint8_t small[8];

    setup(&m, 0, 0x02 | RTC_CMOS_B_UIE, unix_of(2011, 3, 15, 13, 45, 30));
    wr(&m, 0x50, 0x42);
    rtc_cmos_model_poll(&m, S);
    CHECK(irq_level);
    CHECK_EQ(rtc_cmos_model_save(&m, small, sizeof small), -1);
    CHECK_EQ(rtc_cmos_model_save(&m, &st, sizeof st), (int64_t)sizeof st);
    CHECK(memcmp(&st, &m.s, sizeof st) == 0);
    setup(&n, 0, 0x02, 0);
    irq_calls = 0;
    irq_level = false;
    CHECK_EQ(rtc_cmos_model_restore(&n, &st, sizeof st), (int64_t)sizeof st);
    CHECK_EQ(irq_calls, 1);
    CHECK(irq_level);
    CHECK_EQ(rd_at(&n, S, 0x50), 0x42);
    CHECK_EQ(rd(&n, RTC_CMOS_SECONDS), 0x31);
    CHECK_EQ(rtc_cmos_model_restore(&n, &st, sizeof st - 1), -1);
    /* states the chip cannot be in */
    for (int k = 0; k < 10; k++) {
        bad = st;
        switch (k) {
        case 0: bad.version = 2; break;
        case 1: bad.reserved[1] = 1; break;
        case 2: bad.reserved2 = 1; break;
        case 3: bad.pos_ns = 1000000000u; break;
        case 4: bad.ram[RTC_CMOS_REG_A] |= 0x80; break;
        case 5: bad.ram[RTC_CMOS_REG_C] = 0x80; break;
        case 6: bad.ram[RTC_CMOS_REG_C] = 0x01; break;
        case 7: bad.ram[RTC_CMOS_REG_D] = 0; break;
        case 8: bad.ram[RTC_CMOS_REG_B] = 0x92; break;        /* SET with UIE */
        default: bad.ram[RTC_CMOS_REG_A] = 0x66; bad.pos_ns = 1; break;
        }
        memcpy(&n.s, &st, sizeof st);
        n.s.ram[0x51] = 0x17;
        if (!CHECK_EQ(rtc_cmos_model_restore(&n, &bad, sizeof bad), -1))
            break;
        CHECK_EQ(n.s.ram[0x51], 0x17);
    }
    /* a held divider at half a second is fine; a deadline wakes */
    bad = st;
    bad.ram[RTC_CMOS_REG_A] = 0x66;
    bad.pos_ns = 500000000u;
    CHECK_EQ(rtc_cmos_model_restore(&n, &bad, sizeof bad), (int64_t)sizeof bad);
    bad = st;
    bad.ram[RTC_CMOS_REG_C] = 0;
    wakes = 0;
    CHECK_EQ(rtc_cmos_model_restore(&n, &bad, sizeof bad), (int64_t)sizeof bad);
    CHECK_EQ(wakes, 1);
    CHECK(!irq_level);
}

/* The driver on the model, with a board clock that moves `step_ns` on
   every port access: the read that straddles an update still returns one
   consistent time, and runs out of tries cleanly. */
TEST(driver_straddle)
{
    rtc_cmos_model m;
    rtc_cmos_time t = { 0, 0, 0, 0, 0, 0, 0 };
    int64_t base = unix_of(2011, 12, 31, 23, 59, 59);

    for (uint64_t start = S - 3000000; start < S + 100000; start += 7000) {
        for (uint64_t step = 1000; step <= 300000; step *= 3) {
            int64_t u;

            setup(&m, 0, 0x02, base);
            drv_model = &m;
            clock_ns = start;
            step_ns = step;
            if (!CHECK(rtc_cmos_drv_read_time(&drv, &t, 10000)))
                return;
            u = rtc_cmos_time_to_unix(&t);
            /* one of the two whole times, never a mix (2011-12-31 23:59:59
               -> 2012-01-01 00:00:00 changes every byte) */
            if (!CHECK(u == base || u == base + 1))
                return;
            CHECK_EQ(t.weekday, cal_of(u).wd);
        }
    }
    setup(&m, 0, 0x02, base);
    clock_ns = S - 1000;                               /* UIP high */
    step_ns = 0;
    t.year = 77;
    CHECK(!rtc_cmos_drv_read_time(&drv, &t, 50));
    CHECK(!rtc_cmos_drv_read_time(&drv, &t, 0));
    CHECK_EQ(t.year, 77);
}

/* The driver's other calls, checked at the registers. */
TEST(driver_calls)
{
    rtc_cmos_model m;

    setup(&m, 0, 0x02, unix_of(2011, 3, 15, 13, 45, 30));
    drv_model = &m;
    rtc_cmos_drv_periodic(&drv, 15);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_A), 0x2f);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_B), 0x42);
    CHECK_EQ(rtc_cmos_model_poll(&m, 0), S / 2 - TUC);   /* 2 Hz edges */
    rtc_cmos_drv_periodic(&drv, 0);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_A), 0x20);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_B), 0x02);
    rtc_cmos_drv_set_alarm(&drv, -1, 46, -1);
    CHECK_EQ(rd(&m, RTC_CMOS_SECONDS_ALARM), 0xff);
    CHECK_EQ(rd(&m, RTC_CMOS_MINUTES_ALARM), 0x46);
    CHECK_EQ(rd(&m, RTC_CMOS_HOURS_ALARM), 0xff);
    CHECK_EQ(rd(&m, RTC_CMOS_REG_B), 0x22);
    CHECK_EQ(rtc_cmos_model_poll(&m, 0), 30 * S);        /* 13:46:00 */
    wr(&m, RTC_CMOS_REG_B, 0x00);                        /* 12 h */
    rtc_cmos_drv_set_alarm(&drv, 13, 0, 0);
    CHECK_EQ(rd(&m, RTC_CMOS_HOURS_ALARM), 0x81);
    clock_ns = S;
    CHECK_EQ(rtc_cmos_drv_ack(&drv), RTC_CMOS_C_UF);
    CHECK_EQ(rtc_cmos_drv_ack(&drv), 0);
}

/* The calendar helpers against ours, and the known weekdays. */
TEST(calendar)
{
    rtc_cmos_time t;

    for (int64_t u = -86400 * 365; u < 4102444800 + 86400 * 400; u += 86400 * 13 + 3607) {
        cal c = cal_of(u < 0 ? 0 : u);

        if (u < 0)
            continue;
        rtc_cmos_unix_to_time(u, &t);
        if (!CHECK_EQ(t.year, c.y) || !CHECK_EQ(t.month, c.mo) || !CHECK_EQ(t.day, c.d) ||
            !CHECK_EQ(t.hour, c.h) || !CHECK_EQ(t.minute, c.mi) || !CHECK_EQ(t.second, c.s) ||
            !CHECK_EQ(t.weekday, c.wd) || !CHECK_EQ(rtc_cmos_time_to_unix(&t), u))
            break;
    }
    rtc_cmos_unix_to_time(-1, &t);                       /* 1969-12-31 23:59:59, Wed */
    CHECK_EQ(t.year, 1969);
    CHECK_EQ(t.day, 31);
    CHECK_EQ(t.second, 59);
    CHECK_EQ(t.weekday, 4);
    CHECK_EQ(rtc_cmos_time_to_unix(&t), -1);
    rtc_cmos_unix_to_time(INT64_MIN, &t);                /* no UB at the ends */
    rtc_cmos_unix_to_time(INT64_MAX, &t);
    CHECK_EQ(unix_of(2000, 1, 1, 0, 0, 0), RTC_CMOS_POWER_ON_UNIX);
}

/* Random accesses, widths and times, forward and backward: no sanitizer
   report, IRQ 8 always the function of B and C, and a deadline never
   before the time last seen. */
TEST(random)
{
    rtc_cmos_model m;
    uint32_t x = 12345;
    unsigned bad = 0;

    setup(&m, 0, 0x02, 0);
    for (int i = 0; i < 200000; i++) {
        uint32_t r;
        uint64_t d;

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        r = x;
        switch (r % 8) {
        case 0: clock_ns += (r >> 8) % 5000000; break;
        case 1: clock_ns -= clock_ns > 1000 ? (r >> 8) % 1000 : 0; break;
        case 2: rtc_cmos_model_write(&m, RTC_CMOS_MODEL_INDEX, 1, r >> 8); break;
        case 3: rtc_cmos_model_write(&m, RTC_CMOS_MODEL_DATA, 1, r >> 12); break;
        case 4: rtc_cmos_model_read(&m, (r >> 8) % 3, 1u << ((r >> 12) % 4)); break;
        case 5:
            d = rtc_cmos_model_poll(&m, clock_ns);
            bad += d != NEVER && d <= m.s.last_ns;
            break;
        case 6: if ((r >> 8) % 64 == 0) clock_ns += ((r >> 14) % 100000) * S; break;
        default: rtc_cmos_model_write(&m, (r >> 8) % 3, 1 + (r >> 10) % 4, r); break;
        }
        bad += irq_level != ((m.s.ram[RTC_CMOS_REG_B] & m.s.ram[RTC_CMOS_REG_C] & 0x70) != 0);
    }
    CHECK_EQ(bad, 0);
    CHECK(m.s.pos_ns < 1000000000u);
}

CHECK_MAIN(TEST_ENTRY(power_on), TEST_ENTRY(formats), TEST_ENTRY(twelve_hour_count),
           TEST_ENTRY(format_change_keeps_bytes), TEST_ENTRY(years), TEST_ENTRY(century),
           TEST_ENTRY(long_gaps), TEST_ENTRY(uip_window), TEST_ENTRY(uip_never_stuck),
           TEST_ENTRY(set_wall_fraction), TEST_ENTRY(set_bit), TEST_ENTRY(divider_reset),
           TEST_ENTRY(periodic_rates), TEST_ENTRY(periodic_lazy), TEST_ENTRY(alarm),
           TEST_ENTRY(read_c_clears), TEST_ENTRY(index_port), TEST_ENTRY(reset),
           TEST_ENTRY(time_backward), TEST_ENTRY(invalid_values), TEST_ENTRY(century_invalid),
           TEST_ENTRY(end_of_time), TEST_ENTRY(save_restore),
           TEST_ENTRY(driver_straddle), TEST_ENTRY(driver_calls), TEST_ENTRY(calendar),
           TEST_ENTRY(random))
