/* pit8254_test.c - white-box tests of hdr/pit8254.h, the 8254 interval
   timer and port 0x61: the model the monitor gives its guest, and the
   driver a kernel programs the chip with.

   The model's clock is a variable here (the `now` hook), so every check
   happens at an exact nanosecond. Ticks are counted from board time 0 by
   a 128-bit reference of the datasheet's clock (14.31818 MHz / 12), and
   each expected waveform below is written out from the Intel 8254
   datasheet's (231164) description of its mode, tick by tick: the count
   written in one CLK period, loaded by the next CLK pulse, and counted
   from the one after. Accesses happen in the middle of a tick, samples
   three quarters into it.

   Then: the latch and read-back orderings, BCD, counts of 0, the gate in
   every mode, port 0x61, IRQ0's edges at exact times for a 1 kHz tick,
   the minimum period, time running backwards, exact deadlines, the model
   contract (save, restore and its refusals), hostile access streams, and
   the driver run against the model, calibration included.

   Build: gcc -std=c11 -Ihdr -fsanitize=address,undefined pit8254_test.c */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The model's invariants abort the test, and every call is counted, so a
   test can tell that the assertions are really there. */
static unsigned long asserts;
#define PIT8254_ASSERT(c) (asserts++, assert(c))
#define PIT8254_IMPLEMENTATION
#include "pit8254.h"

#include "chipset.h"

#include "check.h"

__extension__ typedef unsigned __int128 u128;

/* The datasheet's clock, written here rather than taken from pit8254.h,
   so a wrong constant there fails these tests: 14318180 / 12 Hz, which is
   3579545 / 3 exactly. */
#define NUM 3579545u
#define DEN 3u
#define NEVER PIT8254_NO_DEADLINE

/* Offsets, and control words spelled as the datasheet's bit fields. */
enum { C0 = 0, C1 = 1, C2 = 2, CTL = 3, P61 = 4 };
#define CW(sc, rw, mode, bcd) ((uint8_t)((sc) << 6 | (rw) << 4 | (mode) << 1 | (bcd)))

static uint64_t clock_ns;
static unsigned now_calls, irq_calls, rises, wakes;
static bool irq_level;
static uint64_t rise_ns[64]; /* the board time of each rise told, the first 64 */

static uint64_t on_now(void *ctx)
{
    (void)ctx;
    now_calls++;
    return clock_ns;
}

static void on_irq(void *ctx, bool level)
{
    (void)ctx;
    irq_calls++;
    if (level && !irq_level) {
        if (rises < 64)
            rise_ns[rises] = clock_ns;
        rises++;
    }
    irq_level = level;
}

static void on_wake(void *ctx)
{
    (void)ctx;
    wakes++;
}

static const pit8254_model_hooks hooks = { on_now, on_irq, on_wake, NULL };

/* The reference: tick k begins at the least ns with ns * NUM >= k * 3e9. */
static uint64_t ref_ns(uint64_t k)
{
    return (uint64_t)(((u128)k * 1000000000u * DEN + NUM - 1) / NUM);
}

static uint64_t ref_ticks(uint64_t ns)
{
    return (uint64_t)((u128)ns * NUM / (1000000000u * (u128)DEN));
}

/* Board time `q` quarters into tick k. */
static void at(uint64_t k, unsigned q)
{
    clock_ns = ref_ns(k) + (ref_ns(k + 1) - ref_ns(k)) * q / 4;
}

static void setup(pit8254_model *m)
{
    clock_ns = 0;
    now_calls = irq_calls = rises = wakes = 0;
    irq_level = false;
    pit8254_model_init(m, &hooks);
}

static void wr(pit8254_model *m, uint64_t off, uint8_t v)
{
    pit8254_model_write(m, off, 1, v);
}

static uint8_t rd(pit8254_model *m, uint64_t off)
{
    return (uint8_t)pit8254_model_read(m, off, 1);
}

/* Control word at tick k, count (both bytes) at tick k + 1, mid-tick. */
static void program(pit8254_model *m, unsigned ch, unsigned mode, unsigned bcd, uint16_t n,
                    uint64_t k)
{
    at(k, 2);
    wr(m, CTL, CW(ch, 3, mode, bcd));
    at(k + 1, 2);
    wr(m, ch, (uint8_t)(n & 0xff));
    wr(m, ch, (uint8_t)(n >> 8));
}

static uint8_t status(pit8254_model *m, unsigned ch)
{
    wr(m, CTL, (uint8_t)(0xc0 | 0x20 | 2u << ch)); /* COUNT* = 1, STATUS* = 0 */
    return rd(m, ch);
}

static bool out_of(pit8254_model *m, unsigned ch)
{
    return (status(m, ch) & 0x80) != 0;
}

/* Through the counter latch command; the channel is programmed RW = 11. */
static uint16_t count_of(pit8254_model *m, unsigned ch)
{
    uint8_t lo, hi;

    wr(m, CTL, CW(ch, 0, 0, 0));
    lo = rd(m, ch);
    hi = rd(m, ch);
    return (uint16_t)(lo | hi << 8);
}

/* A write the guest makes `q` quarters into tick `tick`. */
typedef struct event { uint64_t tick; unsigned q; uint8_t off, v; } event;

/* OUT of channel ch three quarters into ticks first, first + 1, ... is
   `want` ('H' or 'L'), and the count, where `counts` gives one (-1 for
   "undefined here"). The events `ev` (up to one with tick 0) happen in
   time order among the samples, each before the sample of its tick. */
static void wave_ev(pit8254_model *m, unsigned ch, uint64_t first, const char *want,
                    const int *counts, const event *ev)
{
    for (size_t i = 0; want[i]; i++) {
        for (; ev && ev->tick && ev->tick <= first + i; ev++) {
            at(ev->tick, ev->q);
            wr(m, ev->off, ev->v);
        }
        at(first + i, 3);
        if (!CHECK_EQ(out_of(m, ch) ? 'H' : 'L', want[i]))
            printf("    at tick %zu of %s\n", i, want);
        if (counts && counts[i] >= 0 && !CHECK_EQ(count_of(m, ch), counts[i]))
            printf("    count at tick %zu of %s\n", i, want);
    }
}

static void wave(pit8254_model *m, unsigned ch, uint64_t first, const char *want,
                 const int *counts)
{
    wave_ev(m, ch, first, want, counts, NULL);
}

static void gate2(pit8254_model *m, bool level)
{
    wr(m, P61, level ? 1 : 0);
}

/* ---- the clock ---- */

TEST(ticks_exact)
{
    static const uint64_t ns[] = {
        0, 838, 839, 1000, 2514, 2515, 3000000000ull, 2999999999ull, 1000000000ull,
        86400ull * 1000000000u, 100ull * 86400 * 365 * 1000000000u,
        UINT64_MAX / 3, UINT64_MAX - 1, UINT64_MAX,
    };

    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        CHECK_EQ(pit8254_ticks(ns[i]), ref_ticks(ns[i]));
    CHECK_EQ(PIT8254_HZ_NUM, NUM);
    CHECK_EQ(PIT8254_HZ_DEN, DEN);
    CHECK_EQ(pit8254_ticks(3000000000ull), NUM);  /* 3 s hold 3579545 ticks */
    CHECK_EQ(pit8254_ticks(838), 0);              /* a tick is 838.1 ns */
    CHECK_EQ(pit8254_ticks(839), 1);
    for (uint64_t k = 1; k < 3 * NUM; k += 99991)
        if (!CHECK_EQ(pit8254_tick_ns(k), ref_ns(k)) ||
            !CHECK_EQ(pit8254_ticks(ref_ns(k)), k) || !CHECK_EQ(pit8254_ticks(ref_ns(k) - 1), k - 1))
            break;
    CHECK_EQ(pit8254_tick_ns(ref_ticks(UINT64_MAX)), ref_ns(ref_ticks(UINT64_MAX)));
    CHECK_EQ(pit8254_tick_ns(ref_ticks(UINT64_MAX) + 1), UINT64_MAX);
    CHECK_EQ(pit8254_tick_ns(UINT64_MAX), UINT64_MAX);
}

TEST(count_for_hz)
{
    CHECK_EQ(pit8254_count_for_hz(1000), 1193);    /* 1193.18 */
    CHECK_EQ(pit8254_count_for_hz(100), 11932);    /* 11931.8 */
    CHECK_EQ(pit8254_count_for_hz(18), 0);         /* 66288 > 65535: the slowest */
    CHECK_EQ(pit8254_count_for_hz(19), 62799);     /* 62799.03 */
    CHECK_EQ(pit8254_count_for_hz(0), 0);
    CHECK_EQ(pit8254_count_for_hz(1193182), 1);
    CHECK_EQ(pit8254_count_for_hz(4000000), 1);    /* faster than the clock */
    CHECK_EQ(pit8254_count_for_hz(795455), 1);     /* 1.4999996 */
    CHECK_EQ(pit8254_count_for_hz(795454), 2);     /* 1.5000014 */
    CHECK_EQ(pit8254_count_for_hz(UINT32_MAX), 1);
}

/* ---- the six modes, tick by tick (the datasheet's waveforms) ---- */

/* Mode 0, N = 4: OUT low from the control word; the count is loaded by
   the CLK after the write (4), counted down 3 2 1 0; OUT goes high at 0,
   N + 1 CLKs after the write, and the count wraps on to FFFF. */
TEST(mode0_wave)
{
    pit8254_model m;
    static const int c[] = { -1, 4, 3, 2, 1, 0, 0xffff, 0xfffe };

    setup(&m);
    program(&m, 0, 0, 0, 4, 10);
    wave(&m, 0, 11, "LLLLLHHH", c);
    CHECK_EQ(status(&m, 0), 0x80 | 0x30);          /* OUT, loaded, RW 11, mode 0 */
}

/* Mode 1, N = 3, on channel 2 (whose gate software controls): OUT high,
   nothing until a trigger; the CLK after the gate rises loads 3 and OUT
   falls; high again at 0, N CLKs later. A retrigger restarts the count. */
TEST(mode1_wave)
{
    pit8254_model m;
    static const int c[] = { -1, -1, -1, -1, 3, 2, 1, 0, 0xffff };

    setup(&m);
    program(&m, 2, 1, 0, 3, 10);
    static const event trig[] = { { 14, 2, P61, 1 }, { 0, 0, 0, 0 } };

    CHECK_EQ(status(&m, 2), 0x80 | 0x40 | 0x32);  /* NULL COUNT until a trigger */
    wave_ev(&m, 2, 11, "HHHHLLLHH", c, trig);
    CHECK_EQ(status(&m, 2), 0x80 | 0x32);
    /* Retrigger in the middle of a pulse: at 20.5, reload at 21, low 21-23. */
    at(20, 2);
    gate2(&m, false);
    gate2(&m, true);
    at(20, 3);
    CHECK(out_of(&m, 2));
    at(21, 0);
    gate2(&m, false);
    at(21, 2);
    gate2(&m, true);                                /* retrigger at 21.5 */
    wave(&m, 2, 21, "LLLLH", NULL);                 /* 21: 3 (the 20.5 trigger), 22: 3 again */
    {
        static const event re[] = { { 31, 1, P61, 0 }, { 31, 2, P61, 1 }, { 0, 0, 0, 0 } };

        at(30, 2);
        gate2(&m, false);
        gate2(&m, true);                            /* 31: load, low 31-33 */
        /* retrigger at 31.5 in the pulse: reload at 32, low until 34, high at 35 */
        wave_ev(&m, 2, 30, "HLLLLH", NULL, re);
    }
}

/* Mode 2, N = 3: OUT high; loaded with 3; low for the one CLK at which
   the count is 1; reloaded, period 3. */
TEST(mode2_wave)
{
    pit8254_model m;
    static const int c[] = { -1, 3, 2, 1, 3, 2, 1, 3, 2 };

    setup(&m);
    program(&m, 0, 2, 0, 3, 10);
    wave(&m, 0, 11, "HHHLHHLHH", c);
}

/* Mode 3, N = 4: high for 2 CLKs, low for 2, the count going 4 2 4 2.
   N = 5: high for 3 (4 2 0), low for 2 (4 2). */
TEST(mode3_wave)
{
    pit8254_model m;
    static const int even[] = { -1, 4, 2, 4, 2, 4, 2, 4 };
    static const int odd[] = { -1, 4, 2, 0, 4, 2, 4, 2, 0, 4, 2 };

    setup(&m);
    program(&m, 0, 3, 0, 4, 10);
    wave(&m, 0, 11, "HHHLLHHL", even);
    setup(&m);
    program(&m, 1, 3, 0, 5, 10);
    wave(&m, 1, 11, "HHHHLLHHHLL", odd);
}

/* Mode 4, N = 3: OUT high; low for the one CLK at 0, N + 1 CLKs after
   the write; the count wraps on. */
TEST(mode4_wave)
{
    pit8254_model m;
    static const int c[] = { -1, 3, 2, 1, 0, 0xffff, 0xfffe };

    setup(&m);
    program(&m, 0, 4, 0, 3, 10);
    wave(&m, 0, 11, "HHHHLHH", c);
}

/* Mode 5, N = 3, channel 2: nothing until a trigger; then loaded by the
   next CLK, and low for the one CLK at 0. Retriggerable. */
TEST(mode5_wave)
{
    pit8254_model m;
    static const int c[] = { -1, -1, -1, 3, 2, 1, 0, 0xffff };

    setup(&m);
    static const event trig[] = { { 13, 2, P61, 1 }, { 0, 0, 0, 0 } };

    program(&m, 2, 5, 0, 3, 10);
    wave_ev(&m, 2, 11, "HHHHHHLH", c, trig);
    {
        static const event re[] = { { 20, 2, P61, 0 }, { 21, 2, P61, 1 },
                                    { 23, 2, P61, 0 }, { 23, 3, P61, 1 }, { 0, 0, 0, 0 } };

        /* trigger at 21.5: 22: 3, 23: 2; retrigger at 23.75: 24: 3, 25: 2,
           26: 1, 27: 0 (low) */
        wave_ev(&m, 2, 20, "HHHHHHHLH", NULL, re);
    }
}

/* Modes 6 and 7 are 2 and 3; the status shows the bits as written. */
TEST(mode_aliases)
{
    pit8254_model m;

    setup(&m);
    program(&m, 0, 6, 0, 3, 10);
    wave(&m, 0, 11, "HHHLHHL", NULL);
    CHECK_EQ(status(&m, 0) & 0x3f, 0x3c);
    setup(&m);
    program(&m, 0, 7, 0, 4, 10);
    wave(&m, 0, 11, "HHHLLHHL", NULL);
}

/* A new count while counting: mode 0 restarts with OUT low (the first
   byte already stops it); mode 2 finishes its period first; mode 3 its
   half-cycle; mode 4 reloads at the next CLK. */
TEST(new_count)
{
    pit8254_model m;

    setup(&m);
    program(&m, 0, 0, 0, 3, 10);                    /* high at 15 */
    at(13, 2);
    wr(&m, C0, 5);                                  /* LSB: counting stops */
    {
        static const int held[] = { 2, 2, 2, 2, 2 };  /* 12: 3, 13: 2, then held */

        wave(&m, 0, 13, "LLLLL", held);
    }
    at(17, 2);
    wr(&m, C0, 0);                                  /* MSB: N = 5 loads at 18 */
    wave(&m, 0, 18, "LLLLLHH", NULL);               /* high at 23 = 18 + 5 */

    setup(&m);
    program(&m, 0, 2, 0, 4, 10);                    /* load 12, low at 15, 19 */
    at(13, 2);
    wr(&m, C0, 2);
    wr(&m, C0, 0);                                  /* N = 2 from the reload at 16 */
    wave(&m, 0, 13, "HHLHLHLHL", NULL);

    setup(&m);
    program(&m, 0, 3, 0, 8, 10);                    /* high 12-15, low 16-19 */
    at(13, 2);
    wr(&m, C0, 4);
    wr(&m, C0, 0);                                  /* at 16 the low half is N = 4's: 2 CLKs */
    wave(&m, 0, 13, "HHHLLHHLLHH", NULL);

    setup(&m);
    program(&m, 0, 4, 0, 5, 10);                    /* strobe would be at 17 */
    at(14, 2);
    wr(&m, C0, 2);
    wr(&m, C0, 0);                                  /* load 15, strobe at 17 anyway? 15+2 */
    wave(&m, 0, 14, "HHHLHH", NULL);
}

/* ---- latches and read-back ---- */

TEST(latch)
{
    pit8254_model m;

    setup(&m);
    program(&m, 0, 2, 0, 1000, 10);                 /* loaded at 12 */
    at(20, 2);
    wr(&m, CTL, CW(0, 0, 0, 0));                    /* latch: 1000 - 8 */
    at(30, 2);
    wr(&m, CTL, CW(0, 0, 0, 0));                    /* ignored: still latched */
    CHECK_EQ(rd(&m, C0), 992 & 0xff);
    at(40, 2);
    CHECK_EQ(rd(&m, C0), 992 >> 8);
    CHECK_EQ(count_of(&m, 0), 1000 - 28);           /* released: a new latch works */
    /* LSB-only and MSB-only channels latch one byte. */
    program(&m, 1, 2, 0, 0, 50);
    at(51, 2);
    wr(&m, CTL, CW(1, 1, 2, 0));                    /* RW 01: LSB only */
    wr(&m, C1, 0x34);                               /* N = 0x34, load 52 */
    at(60, 2);
    wr(&m, CTL, CW(1, 0, 0, 0));
    CHECK_EQ(rd(&m, C1), 0x34 - 8);
    CHECK_EQ(rd(&m, C1), 0x34 - 8);                 /* live now, same tick */
    wr(&m, CTL, CW(2, 2, 2, 0));                    /* RW 10: MSB only */
    wr(&m, C2, 0x12);                               /* N = 0x1200 */
    gate2(&m, true);
    at(70, 2);
    wr(&m, CTL, CW(2, 0, 0, 0));
    CHECK_EQ(rd(&m, C2), 0x11);                     /* 0x1200 - 9 */
    CHECK_EQ(status(&m, 2), 0x80 | 0x24);
    /* The read flip-flop of a live RW-11 read: LSB, then MSB. */
    at(100, 2);
    CHECK_EQ(rd(&m, C0), (1000 - 88) & 0xff);
    CHECK_EQ(rd(&m, C0), (1000 - 88) >> 8);
}

/* Read-back: COUNT* (bit 5) and STATUS* (bit 4) are active low. Status
   first, then the count; a read-back with bit 5 set latches no count. */
TEST(read_back)
{
    pit8254_model m;

    setup(&m);
    program(&m, 0, 2, 0, 1000, 10);
    program(&m, 2, 0, 0, 500, 10);
    at(20, 2);
    wr(&m, CTL, 0xc0 | 0x02 | 0x08);                /* count and status, channels 0 and 2 */
    at(40, 2);
    CHECK_EQ(rd(&m, C0), 0x80 | 0x34);              /* status first */
    CHECK_EQ(rd(&m, C0), 992 & 0xff);               /* then the count latched at 20 */
    CHECK_EQ(rd(&m, C0), 992 >> 8);
    CHECK_EQ(rd(&m, C2), 0x30);                     /* ch 2: OUT low, loaded, mode 0 */
    CHECK_EQ(rd(&m, C2), 500 & 0xff);               /* gate low: loaded, not counting */
    CHECK_EQ(rd(&m, C2), 500 >> 8);
    /* Bit 5 set: status only; the next two reads are the live count. */
    at(50, 2);
    wr(&m, CTL, 0xc0 | 0x20 | 0x02);
    at(60, 2);
    CHECK_EQ(rd(&m, C0), 0x80 | 0x34);
    CHECK_EQ(rd(&m, C0), (1000 - 48) & 0xff);       /* live, at 60 */
    CHECK_EQ(rd(&m, C0), (1000 - 48) >> 8);
    /* Bit 4 set: count only. */
    wr(&m, CTL, 0xc0 | 0x10 | 0x02);
    at(70, 2);
    CHECK_EQ(rd(&m, C0), (1000 - 48) & 0xff);
    CHECK_EQ(rd(&m, C0), (1000 - 48) >> 8);
    /* Both set: nothing latched. */
    wr(&m, CTL, 0xc0 | 0x30 | 0x0e);
    at(80, 2);
    CHECK_EQ(count_of(&m, 0), 1000 - 68);
    /* A status already latched stays: the second read-back does not
       replace it, and a counter latch before it leaves both. */
    at(90, 2);
    wr(&m, CTL, 0xc0 | 0x20 | 0x02);                /* status at 90: OUT high */
    wr(&m, CTL, CW(0, 0, 0, 0));                    /* count at 90 */
    at(12 + 999, 3);                                /* OUT low now (count 1) */
    wr(&m, CTL, 0xc0 | 0x02);                       /* both again: both ignored */
    CHECK_EQ(rd(&m, C0), 0x80 | 0x34);
    CHECK_EQ(rd(&m, C0), (1000 - 78) & 0xff);
    CHECK_EQ(rd(&m, C0), (1000 - 78) >> 8);
    CHECK_EQ(status(&m, 0), 0x34);                  /* now OUT is low */
    /* Every read-back byte value: no crash, and a counter still reads. */
    for (unsigned v = 0xc0; v <= 0xff; v++)
        wr(&m, CTL, (uint8_t)v);
    for (int i = 0; i < 12; i++)
        rd(&m, (uint64_t)(i % 3));
    CHECK_EQ(rd(&m, CTL), 0xff);                    /* port 0x43 reads float */
}

/* NULL COUNT: set by the control word and by a count, cleared when the
   count reaches the CE (the next CLK; for modes 1 and 5 the trigger's). */
TEST(null_count)
{
    pit8254_model m;

    setup(&m);
    CHECK_EQ(status(&m, 0), 0x70);                  /* power-on: as a 0x30 control word */
    at(10, 2);
    wr(&m, CTL, CW(0, 3, 2, 0));
    CHECK_EQ(status(&m, 0), 0x80 | 0x40 | 0x34);
    wr(&m, C0, 10);
    CHECK_EQ(status(&m, 0), 0x80 | 0x40 | 0x34);
    wr(&m, C0, 0);
    CHECK_EQ(status(&m, 0), 0x80 | 0x40 | 0x34);    /* written, not yet loaded */
    at(11, 0);
    CHECK_EQ(status(&m, 0), 0x80 | 0x34);           /* the CLK of tick 11 loaded it */
    at(13, 2);
    wr(&m, C0, 20);
    wr(&m, C0, 0);
    at(19, 3);
    CHECK_EQ(status(&m, 0), 0x80 | 0x40 | 0x34);    /* waits for the period's end (21) */
    at(21, 0);
    CHECK_EQ(status(&m, 0), 0x80 | 0x34);
}

/* ---- BCD and the count 0 ---- */

TEST(bcd)
{
    pit8254_model m;
    static const int c[] = { -1, 0x12, 0x11, 0x10, 0x09, 0x08 };
    static const int z[] = { -1, 0x0000, 0x9999, 0x9998 };
    static const int zb[] = { -1, 0x0000, 0xffff, 0xfffe };

    setup(&m);
    program(&m, 0, 0, 1, 0x0012, 10);
    wave(&m, 0, 11, "LLLLLL", c);
    CHECK_EQ(status(&m, 0) & 1, 1);
    setup(&m);
    program(&m, 0, 0, 1, 0x0000, 10);                /* 0 = 10^4 in BCD */
    wave(&m, 0, 11, "LLLL", z);
    setup(&m);
    program(&m, 0, 0, 0, 0x0000, 10);                /* 0 = 2^16 binary */
    wave(&m, 0, 11, "LLLL", zb);
    /* OUT high 10^4 and 2^16 CLKs after the load: poll's deadline says so. */
    setup(&m);
    program(&m, 0, 0, 1, 0, 10);
    CHECK_EQ(pit8254_model_poll(&m, clock_ns), ref_ns(12 + 10000));
    setup(&m);
    program(&m, 0, 0, 0, 0, 10);
    CHECK_EQ(pit8254_model_poll(&m, clock_ns), ref_ns(12 + 65536));
    /* Mode 2 BCD 0x0010: a period of ten. Mode 3 BCD 0x0006: 6 4 2. */
    setup(&m);
    program(&m, 0, 2, 1, 0x0010, 10);
    wave(&m, 0, 11, "HHHHHHHHHHLH", NULL);
    setup(&m);
    {
        static const int sq[] = { -1, 6, 4, 2, 6, 4, 2, 6 };

        program(&m, 0, 3, 1, 0x0006, 10);
        wave(&m, 0, 11, "HHHHLLLH", sq);
    }
    /* Not BCD digits: nibbles weigh their value, modulo 10^4: 0x00FA is
       15 * 10 + 10 = 160 CLKs, and reads back in BCD. */
    setup(&m);
    program(&m, 0, 0, 1, 0x00fa, 10);
    at(12, 3);
    CHECK_EQ(count_of(&m, 0), 0x0160);
    CHECK_EQ(pit8254_model_poll(&m, clock_ns), ref_ns(12 + 160));
}

/* Count 0 in every mode counts 65536 CLKs, nothing divides by it. */
TEST(count_zero_every_mode)
{
    pit8254_model m;

    for (unsigned mode = 0; mode < 8; mode++) {
        setup(&m);
        program(&m, 0, mode, 0, 0, 10);
        uint64_t d = pit8254_model_poll(&m, clock_ns);
        if (mode == 0)
            CHECK_EQ(d, ref_ns(12 + 65536));
        else if (mode == 4)
            CHECK_EQ(d, ref_ns(12 + 65537));
        else if (mode == 1 || mode == 5)
            CHECK_EQ(d, NEVER);                     /* channel 0's gate never rises */
        else
            CHECK_EQ(d, ref_ns(12 + 65536));        /* modes 2, 3: period 65536 */
    }
}

/* ---- the gate ---- */

TEST(gate_modes_0_4)
{
    pit8254_model m;
    static const int c[] = { 5, 4, 3, 3, 3, 2, 1, 0 };

    /* Mode 0, N = 5, gate low 14.5 to 16.5: two CLKs not counted. */
    static const event pause0[] = { { 14, 2, P61, 0 }, { 16, 2, P61, 1 }, { 0, 0, 0, 0 } };
    static const event pause4[] = { { 13, 2, P61, 0 }, { 15, 2, P61, 1 }, { 0, 0, 0, 0 } };

    setup(&m);
    at(5, 2);
    gate2(&m, true);
    program(&m, 2, 0, 0, 5, 10);
    wave_ev(&m, 2, 12, "LLLLLLLH", c, pause0);
    /* A count written with the gate low is loaded anyway, and OUT goes
       high N CLKs after the gate rises. */
    setup(&m);
    program(&m, 2, 0, 0, 3, 10);
    at(20, 3);
    CHECK_EQ(count_of(&m, 2), 3);
    at(30, 2);
    gate2(&m, true);
    wave(&m, 2, 30, "LLLHH", NULL);                 /* 31: 2, 32: 1, 33: 0 */
    /* Mode 4, N = 3, gate low 13.5 to 15.5: strobe at 17 instead of 15. */
    setup(&m);
    at(5, 2);
    gate2(&m, true);
    program(&m, 2, 4, 0, 3, 10);
    {
        static const int c4[] = { -1, 3, 2, 2, 2, 1, 0, 0xffff };  /* 13, 14 not counted */

        wave_ev(&m, 2, 11, "HHHHHHLH", c4, pause4);
    }
}

/* Modes 2 and 3: gate low stops counting and forces OUT high at once;
   the rise reloads the count on the next CLK. */
TEST(gate_modes_2_3)
{
    pit8254_model m;

    setup(&m);
    at(5, 2);
    gate2(&m, true);
    program(&m, 2, 2, 0, 3, 10);                    /* low at 14, 17, 20 */
    at(14, 1);
    CHECK(!out_of(&m, 2));
    gate2(&m, false);                               /* in the low CLK: high at once */
    CHECK(out_of(&m, 2));
    {
        static const event up[] = { { 16, 2, P61, 1 }, { 0, 0, 0, 0 } };
        static const int c[] = { -1, 1, 1, 3, 2, 1, 3, 2, 1 }; /* held at 1; reload at 17 */

        wave_ev(&m, 2, 14, "HHHHHLHHL", c, up);
    }
    /* Mode 3, N = 4: high 12-13, low 14-15; gate low at 14.5. */
    setup(&m);
    at(5, 2);
    gate2(&m, true);
    program(&m, 2, 3, 0, 4, 10);
    {
        static const event low[] = { { 14, 2, P61, 0 }, { 18, 2, P61, 1 }, { 0, 0, 0, 0 } };

        wave(&m, 2, 13, "HL", NULL);
        /* 14.5 low: high at once; reload at 19: high 19-20, low 21-22 */
        wave_ev(&m, 2, 14, "HHHHHHHLLHH", NULL, low);
    }
    /* A count written with the gate low: loaded, OUT high, counting only
       after the rise. */
    setup(&m);
    program(&m, 2, 2, 0, 3, 10);
    wave(&m, 2, 11, "HHHHHH", NULL);
    {
        static const event up[] = { { 20, 2, P61, 1 }, { 0, 0, 0, 0 } };

        wave_ev(&m, 2, 20, "HHHLHHL", NULL, up);       /* load 21, low at 23 */
    }
}

/* Modes 1 and 5 with the gate held low, or never written: no trigger. */
TEST(gate_modes_1_5)
{
    pit8254_model m;

    setup(&m);
    at(10, 2);
    wr(&m, CTL, CW(2, 3, 1, 0));
    at(11, 2);
    gate2(&m, true);                                /* no count yet: nothing */
    gate2(&m, false);
    wave(&m, 2, 11, "HHHH", NULL);
    wr(&m, C2, 2);
    wr(&m, C2, 0);
    wave(&m, 2, 15, "HHH", NULL);                   /* written, not triggered */
    at(20, 2);
    gate2(&m, true);
    wave(&m, 2, 20, "HLLH", NULL);                  /* 21: 2, low 21-22, high at 23 */
    /* Mode 1, a new count during the pulse waits for the next trigger. */
    at(24, 2);
    wr(&m, C2, 5);
    wr(&m, C2, 0);
    wave(&m, 2, 24, "HHH", NULL);
    at(27, 2);
    gate2(&m, false);
    gate2(&m, true);
    wave(&m, 2, 27, "HLLLLLH", NULL);               /* 28-32 low: 5 CLKs */
}

/* ---- port 0x61 ---- */

TEST(port61)
{
    pit8254_model m;
    unsigned changes = 0;
    uint8_t prev;

    setup(&m);
    at(0, 1);
    CHECK_EQ(rd(&m, P61) & 0xef, 0);                /* power-on: all clear (bit 4 aside) */
    wr(&m, P61, 0xff);
    CHECK_EQ(rd(&m, P61) & 0xcf, 0x0f);             /* bits 0-3 stored, 6-7 read 0 */
    wr(&m, P61, 0x02);
    CHECK_EQ(rd(&m, P61) & 0x0f, 0x02);
    CHECK_EQ(pit8254_model_read(&m, P61, 2), 0xffff);
    pit8254_model_write(&m, P61, 2, 0x0f);          /* ignored */
    CHECK_EQ(rd(&m, P61) & 0x0f, 0x02);
    /* Bit 4 changes every 18 ticks (15.085 us), from board time. */
    at(18 * 100 + 17, 3);
    prev = rd(&m, P61) & 0x10;
    at(18 * 101, 0);
    CHECK(((rd(&m, P61) & 0x10) != prev));
    at(18 * 101, 0);
    prev = rd(&m, P61);
    for (uint64_t k = 18 * 101; k < 18 * 201; k++) {
        at(k, 2);
        uint8_t v = rd(&m, P61);
        if ((v ^ prev) & 0x10)
            changes++;
        prev = v;
    }
    CHECK_EQ(changes, 99);                          /* edges at 18*102 .. 18*200 */
    CHECK_EQ(ref_ns(18) - ref_ns(0), 15086);        /* 15.085 us, to the ns above */
    /* Bit 5 is OUT2; the gate is bit 0. Mode 0, N = 3, gate on. */
    setup(&m);
    program(&m, 2, 0, 0, 3, 10);
    at(11, 3);
    wr(&m, P61, 0x01);
    at(14, 3);
    CHECK_EQ(rd(&m, P61) & 0x20, 0);
    at(15, 3);                                       /* 12: 3 (gate rose at 11) ... 15: 0 */
    CHECK_EQ(rd(&m, P61) & 0x20, 0x20);
    CHECK_EQ(rd(&m, P61) & 0x01, 0x01);
}

/* ---- IRQ0: exact edges, the minimum period ---- */

/* Follow the deadlines for `span` ns; returns how many there were. */
static unsigned run_for(pit8254_model *m, uint64_t span, uint64_t *min_gap)
{
    uint64_t end = clock_ns + span, d = pit8254_model_poll(m, clock_ns), prev = 0;
    unsigned n = 0;

    *min_gap = UINT64_MAX;
    while (d != NEVER && d <= end && n < 10000000) {
        if (n && d - prev < *min_gap)
            *min_gap = d - prev;
        prev = clock_ns = d;
        d = pit8254_model_poll(m, d);
        n++;
    }
    return n;
}

TEST(irq_1khz_exact)
{
    pit8254_model m;
    uint64_t gap;

    setup(&m);
    CHECK_EQ(pit8254_model_poll(&m, 0), NEVER);      /* power-on: no tick */
    program(&m, 0, 2, 0, 1193, 10);
    CHECK_EQ(rises, 1);                              /* OUT0 went high with the control word */
    CHECK_EQ(rise_ns[0], ref_ns(10) + (ref_ns(11) - ref_ns(10)) / 2);
    CHECK(wakes >= 1);
    CHECK_EQ(run_for(&m, 50000000, &gap), 50);       /* 50 ms */
    CHECK_EQ(rises, 51);
    for (unsigned j = 1; j < 51; j++)
        if (!CHECK_EQ(rise_ns[j], ref_ns(12 + 1193ull * j)))
            break;
    CHECK(irq_level);
    CHECK_EQ(m.stats.irq_edges, 51);
    CHECK_EQ(m.stats.edges_merged, 0);
    /* A poll in the low CLK drops the line; the rise follows. */
    at(12 + 1193ull * 51 - 1, 2);
    pit8254_model_poll(&m, clock_ns);
    CHECK(!irq_level);
    CHECK_EQ(pit8254_model_poll(&m, clock_ns), ref_ns(12 + 1193ull * 51));
}

/* Mode 2 with count 1 (illegal, a rise every 838 ns) and mode 3 with
   count 2: deadlines are min_period apart, at most 1e9 / min_period in a
   second, and the edges between are merged and counted. */
TEST(min_period)
{
    for (unsigned mode = 2; mode <= 3; mode++) {
        pit8254_model m;
        uint64_t gap, start;
        unsigned n;

        setup(&m);
        program(&m, 0, mode, 0, (uint16_t)(mode == 2 ? 1 : 2), 10);
        start = clock_ns;
        n = run_for(&m, 1000000000ull, &gap);
        CHECK(n <= 1000000000ull / PIT8254_MIN_PERIOD_NS);
        CHECK(n >= 1000000000ull / PIT8254_MIN_PERIOD_NS - 1);
        CHECK_EQ(gap, PIT8254_MIN_PERIOD_NS);
        for (unsigned j = 1; j < 64; j++)
            if (!CHECK(rise_ns[j] - rise_ns[j - 1] >= PIT8254_MIN_PERIOD_NS))
                break;
        CHECK_EQ(m.stats.irq_edges, rises);
        CHECK_EQ(rises, n + 1);                       /* and the control word's */
        /* Every rise of OUT0 is delivered or merged: one per 1 or 2 ticks. */
        CHECK_EQ(m.stats.irq_edges + m.stats.edges_merged,
                 1 + (ref_ticks(clock_ns) - 12) / (mode == 2 ? 1 : 2));
        CHECK(clock_ns - start <= 1000000000ull);
    }
    /* With the limit off, the deadline is the next tick. */
    {
        pit8254_model m;

        setup(&m);
        m.cfg.min_period_ns = 0;
        program(&m, 0, 2, 0, 1, 10);
        at(20, 2);
        CHECK_EQ(pit8254_model_poll(&m, clock_ns), ref_ns(21));
    }
}

/* Deadlines are exact: at deadline - 1 no rise, at the deadline one. */
TEST(deadline_exact)
{
    static const struct { unsigned mode, bcd; uint16_t n; } cases[] = {
        { 0, 0, 1000 }, { 0, 0, 1 }, { 2, 0, 1193 }, { 2, 0, 2 }, { 3, 0, 7 },
        { 3, 0, 1000 }, { 4, 0, 5 }, { 2, 1, 0x1234 }, { 3, 1, 0 }, { 0, 0, 0 },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pit8254_model m, copy;

        setup(&m);
        m.cfg.min_period_ns = 0;
        program(&m, 0, cases[i].mode, cases[i].bcd, cases[i].n, 1000);
        for (int j = 0; j < 3; j++) {
            uint64_t d = pit8254_model_poll(&m, clock_ns), e0;

            if (!CHECK(d != NEVER && d > clock_ns))
                break;
            copy = m;
            e0 = copy.stats.irq_edges;
            pit8254_model_poll(&copy, d - 1);
            CHECK_EQ(copy.stats.irq_edges, e0);
            pit8254_model_poll(&copy, d);
            CHECK_EQ(copy.stats.irq_edges, e0 + 1);
            clock_ns = d;
            pit8254_model_poll(&m, d);
            if (cases[i].mode == 0 || cases[i].mode == 4)
                break;                               /* one-shot */
        }
    }
}

/* Time running backwards changes nothing and breaks nothing. */
TEST(time_backwards)
{
    pit8254_model m;
    uint64_t d, d2;
    uint16_t c;

    setup(&m);
    program(&m, 0, 2, 0, 1193, 10);
    at(500, 2);
    d = pit8254_model_poll(&m, clock_ns);
    c = count_of(&m, 0);
    unsigned before = irq_calls;
    d2 = pit8254_model_poll(&m, 5);                  /* far in the past */
    CHECK_EQ(d2, d);
    CHECK_EQ(irq_calls, before);
    clock_ns = 1000;                                 /* the now hook goes back too */
    CHECK_EQ(count_of(&m, 0), c);
    CHECK_EQ(pit8254_model_poll(&m, 0), d);
    wr(&m, CTL, CW(0, 3, 0, 0));                     /* a write in the past: at the latest time */
    wr(&m, C0, 10);
    wr(&m, C0, 0);
    CHECK_EQ(pit8254_model_poll(&m, ref_ns(511) - 1), ref_ns(511)); /* OUT high at 511 */
    CHECK(!irq_level);
    CHECK_EQ(pit8254_model_poll(&m, ref_ns(511)), NEVER);
    CHECK(irq_level);
}

/* ---- the model contract ---- */

TEST(reset_and_init)
{
    pit8254_model m;

    setup(&m);
    CHECK_EQ(m.cfg.min_period_ns, PIT8254_MIN_PERIOD_NS);
    CHECK_EQ(PIT8254_MIN_PERIOD_NS, 100000);
    CHECK_EQ(irq_calls, 0);
    CHECK_EQ(count_of(&m, 0), 0);
    CHECK(!out_of(&m, 0));
    program(&m, 0, 2, 0, 100, 10);
    CHECK(irq_level);
    at(50, 0);
    pit8254_model_reset(&m);
    CHECK(!irq_level);                                /* the hook heard OUT0 fall */
    CHECK_EQ(status(&m, 0), 0x70);
    CHECK_EQ(status(&m, 2), 0x70);
    CHECK_EQ(rd(&m, P61) & 0x2f, 0);
    CHECK_EQ(pit8254_model_poll(&m, clock_ns), NEVER);
    CHECK_EQ(m.stats.irq_edges, 1);                   /* stats survive a reset */
    pit8254_model_init(&m, NULL);                     /* no hooks at all */
    pit8254_model_write(&m, CTL, 1, 0x34);
    pit8254_model_write(&m, C0, 1, 2);
    pit8254_model_write(&m, C0, 1, 0);
    CHECK(pit8254_model_poll(&m, 1000000) != NEVER);
}

TEST(widths_and_offsets)
{
    pit8254_model m;

    setup(&m);
    program(&m, 0, 2, 0, 100, 10);
    CHECK_EQ(pit8254_model_read(&m, C0, 2), 0xffff);
    CHECK_EQ(pit8254_model_read(&m, C0, 4), 0xffffffffu);
    CHECK_EQ(pit8254_model_read(&m, C0, 8), UINT64_MAX);
    CHECK_EQ(pit8254_model_read(&m, 5, 1), 0xff);
    CHECK_EQ(pit8254_model_read(&m, UINT64_MAX, 1), 0xff);
    CHECK_EQ(pit8254_model_read(&m, CTL, 1), 0xff);
    pit8254_model_write(&m, C0, 2, 0x3030);           /* ignored */
    pit8254_model_write(&m, CTL, 4, 0x30);
    pit8254_model_write(&m, 5, 1, 0x30);
    pit8254_model_write(&m, UINT64_MAX, 1, 0x30);
    CHECK_EQ(status(&m, 0), 0x80 | 0x40 | 0x34);      /* 11.5: not loaded until 12 */
    at(12, 1);
    CHECK_EQ(status(&m, 0), 0x80 | 0x34);
}

/* A busy machine: channel 0 ticking with a count pending, channel 2 in
   mode 3 with its gate on, latches and half-read bytes. */
static void busy(pit8254_model *m)
{
    setup(m);
    program(m, 0, 2, 0, 1000, 10);
    program(m, 2, 3, 0, 77, 10);
    at(20, 2);
    gate2(m, true);
    wr(m, C0, 50);
    wr(m, C0, 1);                                     /* 306 at the period's end */
    wr(m, CTL, 0xc0 | 0x08);                          /* ch 2: count and status */
    rd(m, C2);                                        /* status read, count left */
    wr(m, CTL, CW(1, 1, 4, 1));
    wr(m, C1, 0x99);
    at(30, 2);
    pit8254_model_poll(m, clock_ns);
}

TEST(save_restore)
{
    pit8254_model a, b;
    uint8_t buf[sizeof(pit8254_state) + 8];

    busy(&a);
    CHECK_EQ(pit8254_model_save(&a, buf, sizeof buf), sizeof(pit8254_state));
    CHECK_EQ(pit8254_model_save(&a, buf, sizeof(pit8254_state) - 1), -1);
    pit8254_model_save(&a, buf, sizeof buf);
    setup(&b);
    unsigned w = wakes;
    CHECK_EQ(pit8254_model_restore(&b, buf, sizeof(pit8254_state)), sizeof(pit8254_state));
    CHECK(wakes > w);                                 /* it has a deadline */
    CHECK(irq_level == (a.s.line != 0));
    CHECK_EQ(pit8254_model_restore(&b, buf, sizeof(pit8254_state) + 1), -1);
    CHECK_EQ(pit8254_model_restore(&b, buf, sizeof(pit8254_state) - 1), -1);
    /* From here both behave alike. */
    for (uint64_t k = 31; k < 3000; k += 37) {
        at(k, 2);
        uint64_t da = pit8254_model_poll(&a, clock_ns), db = pit8254_model_poll(&b, clock_ns);
        if (!CHECK_EQ(da, db))
            break;
        for (unsigned off = 0; off < 5; off++)
            if (!CHECK_EQ(rd(&a, off), rd(&b, off)))
                break;
    }
    CHECK(memcmp(&a.s, &b.s, sizeof a.s) == 0);
}

TEST(restore_refuses)
{
    pit8254_model a, b;
    pit8254_state good, bad;
    uint64_t t;

    busy(&a);
    pit8254_model_save(&a, &good, sizeof good);
    t = pit8254_ticks(good.last_ns);
    CHECK(good.ch[0].flags & PIT8254_CH_PEND);        /* the busy state has what we spoil */
    CHECK(good.ch[0].flags & PIT8254_CH_BOUND);
#define REFUSE(stmt)                                                       \
    do {                                                                   \
        bad = good;                                                        \
        stmt;                                                              \
        setup(&b);                                                         \
        pit8254_state before = b.s;                                        \
        CHECK_EQ(pit8254_model_restore(&b, &bad, sizeof bad), -1);         \
        CHECK(memcmp(&before, &b.s, sizeof before) == 0);                  \
    } while (0)
    REFUSE(bad.version = 2);
    REFUSE(bad.reserved = 1);
    REFUSE(bad.port61 = 0x10);
    REFUSE(bad.line = 2);
    REFUSE(bad.edge_seen = 2);
    REFUSE(bad.irq_ns = bad.last_ns + 1);
    REFUSE(bad.ch[0].reserved[4] = 1);
    REFUSE(bad.ch[0].ctrl = 0x40);
    REFUSE(bad.ch[0].ctrl = 0x04);                    /* RW 00 is a command, not a state */
    REFUSE(bad.ch[0].flags |= 0x400);
    REFUSE(bad.ch[0].flags &= (uint16_t)~PIT8254_CH_GATE); /* channel 0's gate is tied high */
    REFUSE(bad.ch[2].flags &= (uint16_t)~PIT8254_CH_GATE); /* channel 2's is port 0x61's */
    REFUSE(bad.ch[0].n = 0);
    REFUSE(bad.ch[0].n = 65537);
    REFUSE(bad.ch[0].phase = bad.ch[0].n);
    REFUSE(bad.ch[0].base = t + 1);
    REFUSE(bad.ch[0].e0 = UINT64_MAX);
    REFUSE(bad.ch[0].load_at = t);
    REFUSE(bad.ch[0].load_at = t + 70000);
    REFUSE(bad.ch[0].load_n = 0);
    REFUSE(bad.ch[1].n = 10001);                      /* BCD: at most 10^4 */
    REFUSE(bad.ch[1].latched = 3);                    /* RW 01 latches one byte */
    REFUSE(bad.ch[1].flags |= PIT8254_CH_WMSB);
    REFUSE(bad.ch[2].latched = 1);                    /* RW 11: never the low byte alone */
    REFUSE(bad.ch[2].status = 0x80);                  /* no status latched */
    REFUSE((bad.ch[1].flags = (uint16_t)(bad.ch[1].flags & ~PIT8254_CH_RUN)));
    REFUSE(bad.ch[0].flags = (uint16_t)(bad.ch[0].flags & ~PIT8254_CH_PEND));
#undef REFUSE
    setup(&b);
    CHECK_EQ(pit8254_model_restore(&b, &good, sizeof good), sizeof good);
}

/* Regression: the phase a pending load starts at. The model gives one
   only to a load at a mode-3 half-cycle boundary ((n - n/2) mod n, the
   new count's low half); every other pending load starts at phase 0.
   restore once took any phase below load_n, and a count written after
   such a restore replaces load_n alone, so the load could then start
   past the end of its own period: a state the model's restore refuses
   in its own save. */
TEST(restore_load_phase)
{
    pit8254_model a, b;
    pit8254_state good, bad;

    /* A real one: channel 2 (mode 3, 77) in its high half at tick 30 is
       given 20; the load at the half-cycle's end starts 20's low half. */
    busy(&a);
    wr(&a, C2, 20);
    wr(&a, C2, 0);
    pit8254_model_save(&a, &good, sizeof good);
    CHECK(good.ch[2].flags & PIT8254_CH_BOUND);
    CHECK_EQ(good.ch[2].load_n, 20);
    CHECK_EQ(good.ch[2].load_phase, 10);
    setup(&b);
    CHECK_EQ(pit8254_model_restore(&b, &good, sizeof good), sizeof good);
    bad = good;
    bad.ch[2].load_phase = 9;                         /* no half-cycle of 20 */
    setup(&b);
    CHECK_EQ(pit8254_model_restore(&b, &bad, sizeof bad), -1);
    bad = good;
    bad.ch[0].load_phase = 1;                         /* mode 2: periods only */
    setup(&b);
    CHECK_EQ(pit8254_model_restore(&b, &bad, sizeof bad), -1);

    /* A load that is no boundary's: channel 1 (mode 2) given 100 after
       its control word, pending for the next CLK. */
    setup(&a);
    program(&a, 1, 2, 0, 100, 10);
    pit8254_model_save(&a, &good, sizeof good);
    CHECK(good.ch[1].flags & PIT8254_CH_PEND);
    CHECK(!(good.ch[1].flags & PIT8254_CH_BOUND));
    bad = good;
    bad.ch[1].load_phase = 50;
    setup(&b);
    CHECK_EQ(pit8254_model_restore(&b, &bad, sizeof bad), -1);
    /* What such an image led to: 10 written in the same tick, loaded. */
    b.s = bad;
    wr(&b, C1, 10);
    wr(&b, C1, 0);
    at(13, 2);
    pit8254_model_poll(&b, clock_ns);
    CHECK(b.s.ch[1].phase >= b.s.ch[1].n);
    pit8254_model_save(&b, &bad, sizeof bad);
    setup(&a);
    CHECK_EQ(pit8254_model_restore(&a, &bad, sizeof bad), -1);
}

/* ---- hostile guests ---- */

/* Arbitrary bytes at arbitrary offsets and widths, time jumping forward
   and back: no sanitizer report, no assertion, and the deadline is never
   in the past and never closer than the minimum period to the last edge. */
TEST(random_accesses)
{
    pit8254_model m;
    uint32_t seed = 12345;
    uint64_t held;

    setup(&m);
    held = pit8254_model_poll(&m, 0);
    for (int i = 0; i < 300000; i++) {
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 28) == 0)
            clock_ns -= clock_ns > 5000 ? (seed >> 8) % 5000 : 0;
        else
            clock_ns += (seed >> 6) % 20000;
        if (clock_ns >= held) {
            uint64_t t = clock_ns;
            held = pit8254_model_poll(&m, t);
            if (!CHECK(held > t || held == NEVER))
                break;
            if (m.s.edge_seen && held != NEVER &&
                !CHECK(held >= m.s.irq_ns + m.cfg.min_period_ns))
                break;
        }
        unsigned w = (seed & 7) ? 1u : 1u << ((seed >> 3) % 4);
        unsigned off = (seed >> 12) % 6;
        uint8_t v = (uint8_t)(seed >> 20);
        unsigned wk = wakes;

        if (off == CTL && (seed & 0x300) == 0)
            v = (uint8_t)(v | 0xc0);                  /* more read-backs */
        if (seed & 0x10000)
            pit8254_model_write(&m, off, w, v);
        else
            pit8254_model_read(&m, off, w);
        if (wakes != wk)
            held = pit8254_model_poll(&m, clock_ns);
    }
    CHECK(asserts > 0);
    CHECK(m.stats.irq_edges <= rises + 1);
}

/* ---- the driver, against the model ---- */

/* Every access the driver makes advances the fake board clock by STEP ns. */
#define STEP 1000u
static pit8254_model *drv_model;
static bool drv_float;                                /* no PIT: the bus floats */

static uint64_t port_off(uint16_t port)
{
    return port == PIT8254_PC_PORT61 ? PIT8254_MODEL_PORT61 : (uint64_t)(port - PIT8254_PC_PORT);
}

static uint8_t drv_in(void *ctx, uint16_t port)
{
    (void)ctx;
    clock_ns += STEP;
    return drv_float ? 0xff : (uint8_t)pit8254_model_read(drv_model, port_off(port), 1);
}

static void drv_out(void *ctx, uint16_t port, uint8_t v)
{
    (void)ctx;
    clock_ns += STEP;
    if (!drv_float)
        pit8254_model_write(drv_model, port_off(port), 1, v);
}

static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return clock_ns;
}

TEST(driver)
{
    pit8254_model m;
    const pit8254_drv d = { drv_in, drv_out, NULL };
    uint64_t w, got, want, due, unc;
    unsigned j;

    setup(&m);
    drv_model = &m;
    drv_float = false;
    clock_ns = 1000000;
    pit8254_drv_periodic(&d, 1193);
    w = clock_ns;                                     /* the MSB's time */
    /* 1000 ns later (more than a CLK) the count is in the CE. */
    CHECK_EQ(pit8254_drv_read_status(&d, 0), 0x80 | 0x34);
    CHECK_EQ(pit8254_model_poll(&m, clock_ns), ref_ns(ref_ticks(w) + 1 + 1193));
    clock_ns = ref_ns(ref_ticks(w) + 1 + 100);
    /* read_count latches, then two reads: the latch's tick decides. */
    want = 1193 - (ref_ticks(clock_ns + STEP) - (ref_ticks(w) + 1));
    CHECK_EQ(pit8254_drv_read_count(&d, 0), want);
    CHECK_EQ(pit8254_drv_read_status(&d, 0), 0x80 | 0x34);
    CHECK_EQ(pit8254_drv_read_count(&d, 3), 0);       /* no fourth channel */
    CHECK_EQ(pit8254_drv_read_status(&d, 3), 0);

    /* ch2_start then ch2_done: done N + 1 CLKs after the MSB. */
    pit8254_drv_ch2_start(&d, 100);
    w = clock_ns;
    CHECK(!pit8254_drv_ch2_done(&d));
    clock_ns = ref_ns(ref_ticks(w) + 1 + 100) - 1 - STEP;
    CHECK(!pit8254_drv_ch2_done(&d));
    clock_ns = ref_ns(ref_ticks(w) + 1 + 100) - STEP;
    CHECK(pit8254_drv_ch2_done(&d));
    CHECK_EQ(rd(&m, P61) & 0x03, 0x01);               /* gate on, speaker off */

    /* Calibrate against the fake clock: it returns the ns from the MSB to
       the first poll at or after OUT2's rise, at tick k + 1 + N. */
    clock_ns = 5000000;
    wr(&m, P61, 0x02);                                /* speaker on: calibrate turns it off */
    got = pit8254_drv_calibrate(&d, 11932, fake_clock, NULL, 1000000, &unc);
    /* Accesses: in 0x61, out 0x61, out 0x43, out, out (the MSB, at w):
       the clock reads a before them and b = w after; then a first poll
       (at b + STEP) that must see OUT2 low; then poll k, made at
       b + (k + 1) STEP after the reading b + k STEP. The first poll that
       sees OUT2 high, k, is the first made at or after the rise, due; the
       rise is then after the reading before poll k - 1 (prev) and before
       the reading after poll k (hi). */
    w = 5000000 + 5ull * STEP;
    due = ref_ns(ref_ticks(w) + 1 + 11932);
    j = (unsigned)((due - w + STEP - 1) / STEP);      /* due <= w + j STEP */
    {
        uint64_t a = 5000000, hi = w + (uint64_t)j * STEP, prev = hi - 2 * STEP;

        CHECK_EQ(got, ((prev - w) + (hi - a)) / 2);
        CHECK_EQ(unc, (w - a) + (hi - prev));
        CHECK_EQ(unc, 7ull * STEP);
        /* And the truth, due - w, lies within half the uncertainty. */
        CHECK(got + unc / 2 >= due - w && got <= due - w + unc / 2);
    }
    CHECK(got >= 11932ull * 1000000000u * DEN / NUM - STEP);     /* about 10 ms */
    CHECK(got <= 11934ull * 1000000000u * DEN / NUM + STEP);
    /* The fake clock counts ns: the rate comes out as 1e9 Hz within one
       PIT tick in N and half the uncertainty (3.5 us in 10 ms): 0.05%. */
    {
        uint64_t hz = got * PIT8254_HZ_NUM / (11932ull * PIT8254_HZ_DEN);
        CHECK(hz > 999500000u && hz < 1000500000u);
    }
    CHECK_EQ(pit8254_drv_calibrate(&d, 11932, fake_clock, NULL, 10, &unc), 0); /* bound */
    CHECK_EQ(unc, UINT64_MAX);
    CHECK_EQ(pit8254_drv_calibrate(&d, 0, fake_clock, NULL, 1000000, NULL), 0);
    drv_float = true;                                 /* no PIT: 0x61 reads 0xff */
    CHECK_EQ(pit8254_drv_calibrate(&d, 11932, fake_clock, NULL, 1000000, &unc), 0);
    CHECK_EQ(pit8254_drv_read_count(&d, 0), 0xffff);
}

/* The model serves the chipset's handler types with no glue. */
TEST(chipset_types)
{
    chipset_read_fn *r = pit8254_model_read;
    chipset_write_fn *w = pit8254_model_write;
    pit8254_model m;

    setup(&m);
    w(&m, CTL, 1, 0x34);
    CHECK_EQ(r(&m, CTL, 1), 0xff);
}

CHECK_MAIN(TEST_ENTRY(ticks_exact), TEST_ENTRY(count_for_hz), TEST_ENTRY(mode0_wave),
           TEST_ENTRY(mode1_wave), TEST_ENTRY(mode2_wave), TEST_ENTRY(mode3_wave),
           TEST_ENTRY(mode4_wave), TEST_ENTRY(mode5_wave), TEST_ENTRY(mode_aliases),
           TEST_ENTRY(new_count), TEST_ENTRY(latch), TEST_ENTRY(read_back),
           TEST_ENTRY(null_count), TEST_ENTRY(bcd), TEST_ENTRY(count_zero_every_mode),
           TEST_ENTRY(gate_modes_0_4), TEST_ENTRY(gate_modes_2_3), TEST_ENTRY(gate_modes_1_5),
           TEST_ENTRY(port61), TEST_ENTRY(irq_1khz_exact), TEST_ENTRY(min_period),
           TEST_ENTRY(deadline_exact), TEST_ENTRY(time_backwards), TEST_ENTRY(reset_and_init),
           TEST_ENTRY(widths_and_offsets), TEST_ENTRY(save_restore), TEST_ENTRY(restore_refuses),
           TEST_ENTRY(restore_load_phase), TEST_ENTRY(random_accesses), TEST_ENTRY(driver), TEST_ENTRY(chipset_types))
