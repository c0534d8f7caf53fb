/* pit8254.h - the Intel 8254 programmable interval timer and the PC's port
   0x61: one register map, a driver and a device model.

   WHAT IT IS
   Three 16-bit down counters clocked at 1.193182 MHz (the PC's 14.31818 MHz
   crystal divided by 12), each with six modes. On a PC, channel 0's OUT is
   ISA IRQ0, channel 1 once paced DRAM refresh, and channel 2 drives the
   speaker and is the one software can gate and watch, through "system
   control port B" at 0x61. This header holds both roles that meet at
   ports 0x40-0x43 and 0x61:
     - the driver (pit8254_drv_*), which a kernel uses to program a tick,
       read counters and calibrate a faster clock against channel 2;
     - the device model (pit8254_model_*), which a monitor uses to emulate
       the chip and port 0x61, with the model contract of book/chipset.md,
       "The shape of a device model".
   They share the register and bit names below, so the driver can be run on
   the host straight against the model (that is how the tests check both).

   HARDWARE
   Intel 8254 Programmable Interval Timer, order number 231164: control
   word (SC1 SC0 RW1 RW0 M2 M1 M0 BCD), modes 0 to 5 (6 and 7 are 2 and 3),
   the counter latch and read-back commands (COUNT* and STATUS* are active
   low), the status byte, and the rule that a count is loaded into the
   counting element (CE) on the CLK pulse after it is written. The minimum
   counts are 1, except 2 in modes 2 and 3; a count of 0 is 2^16 (binary)
   or 10^4 (BCD). Port 0x61 is as IBM's AT has it and as Linux and QEMU use
   it: bit 0 channel 2's gate, bit 1 speaker data, bits 2-3 the parity and
   I/O channel check controls, bit 4 the refresh toggle, bit 5 OUT2.

   Offsets the model answers (the board maps PC ports onto them):

     offset  PC port  name       access
     0       0x40     COUNTER0   read/write, one byte
     1       0x41     COUNTER1   read/write, one byte
     2       0x42     COUNTER2   read/write, one byte
     3       0x43     CONTROL    write; reads float (0xff)
     4       0x61     PORT61     read/write, one byte

   Time is the board's, in ns; CLK pulse k is the first ns at which
   floor(ns * 3579545 / 3e9) reaches k. Nothing is simulated tick by tick:
   each channel keeps the tick its count was loaded and computes its count
   and OUT from the ticks since, so no error accumulates and any gap costs
   the same. Rising edges of OUT0 closer than cfg.min_period_ns to the
   previous one are delivered together as one (a slow CPU would see no
   more), so no guest count can make the host spin.

   BOOK
   book/pit8254.md.

   USAGE
   In exactly one C file:
       #define PIT8254_IMPLEMENTATION
       #include "pit8254.h"
   Driver, given byte port I/O:
       pit8254_drv d = { my_inb, my_outb, my_ctx };
       pit8254_drv_periodic(&d, pit8254_count_for_hz(1000));   // IRQ0 at 1 kHz
       uint64_t unc, t = pit8254_drv_calibrate(&d, 11932, rdtsc_fn, 0, 1u << 30, &unc);
       // TSC Hz = t * PIT8254_HZ_NUM / (11932 * PIT8254_HZ_DEN), 0 = no PIT
   Model, in a monitor (board time in ns from the `now` hook):
       pit8254_model m;
       pit8254_model_hooks h = { board_now, set_irq0, poll_me_again, ctx };
       pit8254_model_init(&m, &h);
       v = pit8254_model_read(&m, PIT8254_MODEL_COUNTER0 + port - 0x40, 1);
       next = pit8254_model_poll(&m, now);        // OUT0's next rising edge

   OVERRIDABLE MACROS (define before the include)
     PIT8254_DEF     linkage of public functions   (default: extern)
     PIT8254_STATIC  define it to make every public function static
     PIT8254_ASSERT  assertion for the model's internal invariants: a
                     channel's start tick is never after the time last seen,
                     a pending load lies after it, a deadline is the first
                     nanosecond of its tick and after the time last seen
                     (default: none). Never called on guest input, which is
                     handled.

   LICENSE at the end of the file.
*/
#ifndef PIT8254_H
#define PIT8254_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under PIT8254_STATIC. */
#ifndef PIT8254_DEF
#ifdef PIT8254_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define PIT8254_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define PIT8254_DEF static
#endif
#else
#define PIT8254_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file pit8254.h
    @brief Intel 8254 interval timer and PC port 0x61: register map, driver
    and device model. See @ref pit8254.

    Tests: tests/pit8254_test.c. Used alone: book/alone/pit8254.c, shown in
    the chapter's appendix. */

//! [pit-registers]
/* Where a PC has the chip, and the model's offset space. */
#define PIT8254_PC_PORT        0x40u /**< channel 0's port; 0x41, 0x42 channels 1, 2; 0x43 control */
#define PIT8254_PC_PORT61      0x61u /**< system control port B */
#define PIT8254_MODEL_COUNTER0 0u    /**< channel 0's counter (0x40) */
#define PIT8254_MODEL_COUNTER1 1u    /**< channel 1's counter (0x41) */
#define PIT8254_MODEL_COUNTER2 2u    /**< channel 2's counter (0x42) */
#define PIT8254_MODEL_CONTROL  3u    /**< the control word register (0x43), write-only */
#define PIT8254_MODEL_PORT61   4u    /**< port 0x61 */
#define PIT8254_MODEL_LEN      5u    /**< offsets the model answers */

/* The input clock: 14.31818 MHz / 12 = 3579545 / 3 Hz exactly (the ACPI
   PM timer's rate over 3). A frequency from a count of PIT ticks is
   ticks * PIT8254_HZ_NUM / PIT8254_HZ_DEN. */
#define PIT8254_HZ_NUM 3579545u /**< the PIT's rate is HZ_NUM / HZ_DEN Hz */
#define PIT8254_HZ_DEN 3u       /**< (1193181.666... Hz) */

/* Control word (write to CONTROL): SC1 SC0 RW1 RW0 M2 M1 M0 BCD. */
#define PIT8254_SC(n)       ((unsigned)(n) << 6) /**< select counter n (0-2) */
#define PIT8254_SC_READBACK (3u << 6)   /**< SC = 11: the read-back command */
#define PIT8254_RW_LATCH    (0u << 4)   /**< RW = 00: counter latch command */
#define PIT8254_RW_LSB      (1u << 4)   /**< read/write the low byte only */
#define PIT8254_RW_MSB      (2u << 4)   /**< read/write the high byte only */
#define PIT8254_RW_BOTH     (3u << 4)   /**< low byte, then high byte */
#define PIT8254_RW_MASK     (3u << 4)   /**< the RW field */
#define PIT8254_MODE(m)     ((unsigned)(m) << 1) /**< mode 0-5 (6, 7 alias 2, 3) */
#define PIT8254_MODE_MASK   (7u << 1)   /**< the M2 M1 M0 field */
#define PIT8254_BCD         0x01u       /**< count in four BCD decades */

/* Read-back command: SC = 11, then COUNT* and STATUS* (active low: 0
   latches), then one bit per counter; bit 0 is reserved (0). */
#define PIT8254_RB_NOCOUNT  (1u << 5)   /**< COUNT* = 1: do not latch the count */
#define PIT8254_RB_NOSTATUS (1u << 4)   /**< STATUS* = 1: do not latch the status */
#define PIT8254_RB_CNT(n)   (2u << (n)) /**< select counter n (0-2): bits 1, 2, 3 */

/* Status byte (read after a read-back latching it): OUT, NULL COUNT, then
   the counter's RW, mode and BCD bits as last programmed. */
#define PIT8254_ST_OUT      0x80u /**< the OUT pin */
#define PIT8254_ST_NULL     0x40u /**< NULL COUNT: the count written is not yet in the CE */
#define PIT8254_ST_CTRL     0x3fu /**< RW1 RW0 M2 M1 M0 BCD */

/* Port 0x61. */
#define PIT8254_P61_GATE2   0x01u /**< r/w: channel 2's GATE */
#define PIT8254_P61_SPEAKER 0x02u /**< r/w: speaker data enable (OUT2 reaches the speaker) */
#define PIT8254_P61_PARITY  0x04u /**< r/w: the AT's RAM parity check control (stored only) */
#define PIT8254_P61_IOCHK   0x08u /**< r/w: the AT's I/O channel check control (stored only) */
#define PIT8254_P61_REFRESH 0x10u /**< read-only: toggles on each DRAM refresh request */
#define PIT8254_P61_OUT2    0x20u /**< read-only: channel 2's OUT */
#define PIT8254_P61_WRITABLE 0x0fu /**< the bits a write stores */
/** PIT ticks per DRAM refresh request (channel 1's classic count, 15.085 us):
    bit 4 of port 0x61 changes every this many ticks. */
#define PIT8254_REFRESH_TICKS 18u

/** Default cfg.min_period_ns: 100 us, a 10 kHz ceiling on IRQ0 edges. No PC
    OS programs the PIT faster than a few kHz (Linux's HZ is at most 1000;
    its one-shot PIT events are rare on machines with a local APIC timer),
    and a guest that asks for 1.19 MHz would otherwise have the host wake
    a million times a second. */
#define PIT8254_MIN_PERIOD_NS 100000u
//! [pit-registers]

/** PIT ticks in `ns` nanoseconds from tick 0: exactly
    floor(ns * 3579545 / 3e9), for every 64-bit `ns`, without 128-bit
    arithmetic. */
PIT8254_DEF uint64_t pit8254_ticks(uint64_t ns);
/** The first nanosecond at which pit8254_ticks() reaches `tick` (its exact
    inverse), or UINT64_MAX if that lies beyond 64-bit time. */
PIT8254_DEF uint64_t pit8254_tick_ns(uint64_t tick);
/** The channel-0 count for a rate of `hz`: 1193181.67 / hz rounded to the
    nearest, 1 for rates above the clock, and 0 (which the chip counts as
    65536, the slowest, 18.2 Hz) for rates below 18.2 Hz and for 0. */
PIT8254_DEF uint16_t pit8254_count_for_hz(uint32_t hz);

/* ---- driver ------------------------------------------------------------ */

/** How the driver reaches the chip: byte port I/O at the PC ports
    (0x40-0x43 and 0x61). */
typedef struct pit8254_drv {
    uint8_t (*in)(void *ctx, uint16_t port);           /**< an 8-bit IN */
    void (*out)(void *ctx, uint16_t port, uint8_t v);  /**< an 8-bit OUT */
    void *ctx;                                         /**< passed to both */
} pit8254_drv;

/** Channel 0 as a periodic tick: mode 2 (rate generator), binary, low
    then high byte of `count` (0 = 65536). OUT0 rises every `count` ticks. */
PIT8254_DEF void pit8254_drv_periodic(const pit8254_drv *d, uint16_t count);
/** A counter's value through the counter latch command, low byte then
    high; the channel must be programmed for both bytes (PIT8254_RW_BOTH).
    `channel` above 2 touches nothing and returns 0. */
PIT8254_DEF uint16_t pit8254_drv_read_count(const pit8254_drv *d, unsigned channel);
/** A counter's status byte through the read-back command (STATUS* = 0,
    COUNT* = 1, so no count is latched). `channel` above 2 touches nothing
    and returns 0. */
PIT8254_DEF uint8_t pit8254_drv_read_status(const pit8254_drv *d, unsigned channel);
/** Start channel 2 as a one-shot reference, as Linux's pit_calibrate_tsc()
    does: port 0x61 gate on and speaker off, then mode 0, binary, both
    bytes of `count`. OUT2 rises `count` + 1 CLK pulses after the write
    (the first one loads the count). */
PIT8254_DEF void pit8254_drv_ch2_start(const pit8254_drv *d, uint16_t count);
/** Whether channel 2 has reached terminal count: OUT2, bit 5 of port 0x61. */
PIT8254_DEF bool pit8254_drv_ch2_done(const pit8254_drv *d);
/** How many ticks of `clock` (called with `clock_ctx`) channel 2 takes to
    count `count` (not 0) PIT ticks: the clock is read before and after the
    count is written, and before and after each poll of OUT2, so the start
    and the rise are each known to lie between two readings; the answer is
    the distance between the two midpoints, and `*uncertainty` (if not
    NULL) the two brackets' widths added, so the true interval lies within
    half of it of the answer. A caller that takes several measurements
    keeps the one with the least uncertainty: a vCPU preempted at the wrong
    moment widens a bracket, and says so, instead of spoiling the answer.
    The interval is between `count` and `count` + 1 PIT ticks (the count
    loads at the first CLK after the write); the clock's rate is then
    ticks * PIT8254_HZ_NUM / (count * PIT8254_HZ_DEN). Polls at most
    `max_polls` times. 0 on failure: OUT2 already high at the first poll
    (no PIT, port 0x61 floating at 0xff, or a caller held up for longer
    than `count` ticks: try again), `count` 0, or the bound reached. Leaves
    the gate on and the speaker off. */
PIT8254_DEF uint64_t pit8254_drv_calibrate(const pit8254_drv *d, uint16_t count,
                                           uint64_t (*clock)(void *), void *clock_ctx,
                                           uint64_t max_polls, uint64_t *uncertainty);

/* ---- device model ------------------------------------------------------ */

/** Version of ::pit8254_state; bumped when its layout changes. */
#define PIT8254_STATE_VERSION 1u
/** pit8254_model_poll()'s answer when OUT0 will not rise by time alone. */
#define PIT8254_NO_DEADLINE UINT64_MAX

/** One channel. Nothing here is a running count: when a count is in the
    CE (`PIT8254_CH_RUN`), the CLK pulses it has counted at tick t are
    e0 + (t - base) while it counts (e0 while the gate holds it), and the
    count and OUT follow from those, the mode and `n`. */
typedef struct pit8254_channel {
    uint64_t base;       /**< with RUN: tick from which counting runs */
    uint64_t e0;         /**< with RUN: CLK pulses counted at `base` */
    uint64_t load_at;    /**< with PEND: tick of the CLK pulse that loads the CE */
    uint32_t n;          /**< with RUN: the count in the CE, 1-65536 (BCD 1-10000) */
    uint32_t phase;      /**< with RUN, modes 2, 3: the period's position at `base`, < n */
    uint32_t load_n;     /**< with PEND: the count that load puts in the CE */
    uint32_t load_phase; /**< with PEND: the phase it starts at, < load_n */
    uint16_t cr;         /**< count register, as the guest wrote it */
    uint16_t ol;         /**< output latch: the latched count, as it reads */
    uint16_t hold;       /**< without RUN: what the CE reads, frozen */
    uint16_t flags;      /**< PIT8254_CH_* */
    uint8_t ctrl;        /**< RW1 RW0 M2 M1 M0 BCD of the last control word */
    uint8_t status;      /**< with PIT8254_CH_STATUS: the latched status byte */
    uint8_t latched;     /**< bytes of `ol` still to read: bit 0 low, bit 1 high */
    uint8_t reserved[5]; /**< zero */
} pit8254_channel;

/* pit8254_channel.flags */
#define PIT8254_CH_GATE   0x001u /**< the GATE input (channels 0 and 1: tied high) */
#define PIT8254_CH_WMSB   0x002u /**< RW both: the next count byte written is the high one */
#define PIT8254_CH_RMSB   0x004u /**< RW both: the next count byte read is the high one */
#define PIT8254_CH_STATUS 0x008u /**< a status byte is latched */
#define PIT8254_CH_NULL   0x010u /**< NULL COUNT */
#define PIT8254_CH_HASCR  0x020u /**< a whole count was written since the control word */
#define PIT8254_CH_RUN    0x040u /**< a count is in the CE */
#define PIT8254_CH_PEND   0x080u /**< a CLK pulse at `load_at` loads the CE */
#define PIT8254_CH_BOUND  0x100u /**< that load ends a period or half-cycle (modes 2, 3) */
#define PIT8254_CH_OUTH   0x200u /**< without RUN: the OUT level held */
#define PIT8254_CH_FLAGS  0x3ffu /**< every flag */

/** Everything the chip and port 0x61 remember, and what IRQ0 was told:
    plain data, so save and restore are a copy. */
typedef struct pit8254_state {
    uint32_t version;      /**< PIT8254_STATE_VERSION */
    uint8_t port61;        /**< port 0x61's writable bits (PIT8254_P61_WRITABLE) */
    uint8_t line;          /**< the level last told to the `irq` hook, 0 or 1 */
    uint8_t edge_seen;     /**< 1 once an edge was delivered: `irq_ns` holds its time */
    uint8_t reserved;      /**< zero */
    uint64_t last_ns;      /**< latest board time seen */
    uint64_t irq_ns;       /**< board time of the last rising edge delivered to `irq` */
    uint64_t edges;        /**< rising edges of OUT0 not yet delivered */
    pit8254_channel ch[3]; /**< the three channels */
} pit8254_state;

/** How the model reaches the outside world. Every hook may be NULL. */
typedef struct pit8254_model_hooks {
    /** Board time now, in ns (one clock with poll's `now`; an earlier
        value than one seen counts as the latest seen). Asked on every
        access and at reset. NULL: the time of the last poll. */
    uint64_t (*now)(void *ctx);
    /** Channel 0's OUT changed level (ISA IRQ0 on a PC, edge-triggered).
        Rising edges come at most one per cfg.min_period_ns; several that
        fell between two calls arrive as one, low then high. Told the level
        after a restore. */
    void (*irq)(void *ctx, bool level);
    /** The next deadline moved earlier (the guest programmed channel 0),
        or a restore left one: call pit8254_model_poll() soon. */
    void (*wake)(void *ctx);
    void *ctx; /**< passed to every hook */
} pit8254_model_hooks;

/** What the board fixes before the guest's first access. */
typedef struct pit8254_model_cfg {
    /** Least board time between two rising edges told to `irq`, and so
        between two deadlines (default PIT8254_MIN_PERIOD_NS). Edges the
        chip makes faster are merged. 0 turns the limit off: then a guest
        can make every poll's deadline the next tick. */
    uint64_t min_period_ns;
} pit8254_model_cfg;

/** Counters of what IRQ0 was spared. */
typedef struct pit8254_model_stats {
    uint64_t irq_edges;    /**< rising edges told to the `irq` hook */
    uint64_t edges_merged; /**< rising edges of OUT0 folded into another one */
} pit8254_model_stats;

/** The 8254 and port 0x61 as a guest sees them. Caller-owned. */
typedef struct pit8254_model {
    pit8254_state s;             /**< machine state: the only part saved */
    pit8254_model_hooks hooks;   /**< wiring, not saved */
    pit8254_model_cfg cfg;       /**< set after init, before the first access */
    pit8254_model_stats stats;   /**< counters, not saved */
} pit8254_model;

/** Zero `m`, copy `*h` (NULL: no hooks), set `cfg` to its defaults and
    reset; no hook but `now` is called. */
PIT8254_DEF void pit8254_model_init(pit8254_model *m, const pit8254_model_hooks *h);
/** Power-on state. The datasheet leaves it undefined; this model makes
    each channel as a control word of mode 0, both bytes, binary leaves it
    (status 0x70: OUT low, NULL COUNT), with a count register and CE of 0
    and nothing counting, and port 0x61 at 0 (channel 2's gate low). So no
    IRQ0 edge and no deadline until the guest programs channel 0. Keeps
    `hooks`, `cfg` and `stats`; the `irq` hook hears OUT0 fall if it was
    high. Time never goes back: the later of the `now` hook and the time
    last seen. */
PIT8254_DEF void pit8254_model_reset(void *m);
/** Guest read of `width` bytes at `offset`. Only 1-byte reads of a
    counter or of PORT61 decode; CONTROL and anything else read all-ones
    of `width` (UINT64_MAX for 8) and change nothing. A counter gives its
    latched status, else its latched count, else its live count, a byte at
    a time as its RW field says. Brings the model up to the `now` hook's
    time first, and may so deliver an IRQ0 edge. */
PIT8254_DEF uint64_t pit8254_model_read(void *m, uint64_t offset, unsigned width);
/** Guest write: a byte to a counter (a count byte), to CONTROL (a control
    word, latch or read-back command) or to PORT61 (its writable bits).
    Anything else is ignored. The time is brought up to date first; a write
    that moves the next deadline earlier calls the `wake` hook. */
PIT8254_DEF void pit8254_model_write(void *m, uint64_t offset, unsigned width, uint64_t value);
/** Advance to board time `now` (ns; earlier counts as the latest seen),
    tell the `irq` hook of OUT0's changes, and return the first ns at which
    OUT0 next rises, no sooner than cfg.min_period_ns after the last edge
    delivered; PIT8254_NO_DEADLINE when it will not rise by time alone
    (mode 0 past terminal count, modes 1 and 5, which channel 0's tied
    gate never triggers, an unprogrammed channel). */
PIT8254_DEF uint64_t pit8254_model_poll(void *m, uint64_t now);
/** Copy the state into `buf`: returns sizeof(::pit8254_state), or -1,
    writing nothing, if `size` is smaller. */
PIT8254_DEF int64_t pit8254_model_save(void *m, void *buf, size_t size);
/** Load a saved state: returns the bytes used, or -1, changing nothing, if
    `size` is not sizeof(::pit8254_state) or the state is not one the chip
    can be in (another version, reserved bits or fields set, a control
    field or count out of range, a latch the RW field cannot have, channel
    0 or 1's gate low or channel 2's not port 0x61's bit 0, a start after
    the time last seen, a pending load before it or further than one period
    after, or starting at a phase other than 0 or, at a mode-3 half-cycle,
    its count's low half). Then tells the `irq` hook the restored level,
    and calls `wake` if the state has a deadline. */
PIT8254_DEF int64_t pit8254_model_restore(void *m, const void *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* PIT8254_H */

/* ======================================================================== */
#ifdef PIT8254_IMPLEMENTATION

#ifndef PIT8254_ASSERT
#define PIT8254_ASSERT(c) ((void)0)
#endif

#define PIT8254__NS_3S  3000000000u /* ns in which exactly 3579545 ticks pass */
#define PIT8254__NEVER  UINT64_MAX
/* The most ticks 64-bit time can hold, with margin: counts of CLK pulses
   stay below this, so sums of two never overflow. */
#define PIT8254__MAX_TICKS (1ull << 56)

//! [pit-ticks]
/* floor(ns * 3579545 / 3e9): split ns into whole periods of 3 s, which hold
   a whole number of ticks, and the rest. Each product stays below 2^54. */
PIT8254_DEF uint64_t pit8254_ticks(uint64_t ns)
{
    return ns / PIT8254__NS_3S * PIT8254_HZ_NUM +
           ns % PIT8254__NS_3S * PIT8254_HZ_NUM / PIT8254__NS_3S;
}

/* The least ns with ns * 3579545 >= tick * 3e9, split the same way. */
PIT8254_DEF uint64_t pit8254_tick_ns(uint64_t tick)
{
    uint64_t s = tick / PIT8254_HZ_NUM, rest = tick % PIT8254_HZ_NUM, part;

    if (s > UINT64_MAX / PIT8254__NS_3S)
        return UINT64_MAX;
    part = (rest * PIT8254__NS_3S + PIT8254_HZ_NUM - 1) / PIT8254_HZ_NUM;
    return part > UINT64_MAX - s * PIT8254__NS_3S ? UINT64_MAX : s * PIT8254__NS_3S + part;
}
//! [pit-ticks]

/* round(3579545 / (3 hz)) = floor((2 * 3579545 + 3 hz) / (6 hz)). */
PIT8254_DEF uint16_t pit8254_count_for_hz(uint32_t hz)
{
    uint64_t c;

    if (hz == 0)
        return 0;
    c = (2ull * PIT8254_HZ_NUM + 3ull * hz) / (6ull * hz);
    if (c == 0)
        return 1;
    return c > 0xffff ? 0 : (uint16_t)c;
}

/* ---- driver ---- */

#define PIT8254__DRV_PORT(ch) ((uint16_t)(PIT8254_PC_PORT + (ch)))

//! [pit-driver]
PIT8254_DEF void pit8254_drv_periodic(const pit8254_drv *d, uint16_t count)
{
    d->out(d->ctx, PIT8254_PC_PORT + 3,
           (uint8_t)(PIT8254_SC(0) | PIT8254_RW_BOTH | PIT8254_MODE(2)));
    d->out(d->ctx, PIT8254_PC_PORT, (uint8_t)(count & 0xff));
    d->out(d->ctx, PIT8254_PC_PORT, (uint8_t)(count >> 8));
}

/* The latch command freezes both bytes, so the two reads cannot straddle
   a borrow from the high byte. */
PIT8254_DEF uint16_t pit8254_drv_read_count(const pit8254_drv *d, unsigned channel)
{
    uint8_t lo, hi;

    if (channel > 2)
        return 0;
    d->out(d->ctx, PIT8254_PC_PORT + 3, (uint8_t)(PIT8254_SC(channel) | PIT8254_RW_LATCH));
    lo = d->in(d->ctx, PIT8254__DRV_PORT(channel));
    hi = d->in(d->ctx, PIT8254__DRV_PORT(channel));
    return (uint16_t)(lo | hi << 8);
}

/* COUNT* and STATUS* are active low: leave COUNT* at 1, or the count is
   latched too and the next two reads after the status return it. */
PIT8254_DEF uint8_t pit8254_drv_read_status(const pit8254_drv *d, unsigned channel)
{
    if (channel > 2)
        return 0;
    d->out(d->ctx, PIT8254_PC_PORT + 3,
           (uint8_t)(PIT8254_SC_READBACK | PIT8254_RB_NOCOUNT | PIT8254_RB_CNT(channel)));
    return d->in(d->ctx, PIT8254__DRV_PORT(channel));
}
//! [pit-driver]

//! [pit-calibrate]
/* Gate on, speaker off, then mode 0: OUT2 goes low with the control word. */
static void pit8254__drv_ch2_mode0(const pit8254_drv *d)
{
    uint8_t p = d->in(d->ctx, PIT8254_PC_PORT61);

    d->out(d->ctx, PIT8254_PC_PORT61,
           (uint8_t)((p & ~PIT8254_P61_SPEAKER) | PIT8254_P61_GATE2));
    d->out(d->ctx, PIT8254_PC_PORT + 3,
           (uint8_t)(PIT8254_SC(2) | PIT8254_RW_BOTH | PIT8254_MODE(0)));
}

static void pit8254__drv_ch2_count(const pit8254_drv *d, uint16_t count)
{
    d->out(d->ctx, PIT8254__DRV_PORT(2), (uint8_t)(count & 0xff));
    d->out(d->ctx, PIT8254__DRV_PORT(2), (uint8_t)(count >> 8));
}

PIT8254_DEF void pit8254_drv_ch2_start(const pit8254_drv *d, uint16_t count)
{
    pit8254__drv_ch2_mode0(d);
    pit8254__drv_ch2_count(d, count);
}

PIT8254_DEF bool pit8254_drv_ch2_done(const pit8254_drv *d)
{
    return (d->in(d->ctx, PIT8254_PC_PORT61) & PIT8254_P61_OUT2) != 0;
}

/* OUT2 must be seen low at the first poll after the count is written,
   as Linux requires of its first loops: a high one means nobody is there
   (0x61 floats high), or that the count ran out before we looked. It is
   not checked between the control word and the count, although a real
   8254 drives OUT low on the control word already: QEMU's leaves OUT as it
   was until the count is written.
   Brackets: the count is written between readings a and b; a poll that
   finds OUT2 low was made after the reading before it (prev), so OUT2
   rose after prev, and before the reading after the poll that finds it
   high (hi). */
PIT8254_DEF uint64_t pit8254_drv_calibrate(const pit8254_drv *d, uint16_t count,
                                           uint64_t (*clock)(void *), void *clock_ctx,
                                           uint64_t max_polls, uint64_t *uncertainty)
{
    uint64_t a, b, prev, t, hi;

    if (uncertainty)
        *uncertainty = UINT64_MAX;
    if (count == 0)
        return 0;
    a = clock(clock_ctx);
    pit8254__drv_ch2_mode0(d);
    pit8254__drv_ch2_count(d, count);
    b = prev = clock(clock_ctx);
    if (pit8254_drv_ch2_done(d))
        return 0;
    for (uint64_t i = 0; i < max_polls; i++) {
        t = clock(clock_ctx);
        if (pit8254_drv_ch2_done(d)) {
            hi = clock(clock_ctx);
            if (uncertainty)
                *uncertainty = (b - a) + (hi - prev);
            /* (prev + hi) / 2 - (a + b) / 2, without overflow */
            return ((prev - b) + (hi - a)) / 2;
        }
        prev = t;
    }
    return 0;
}
//! [pit-calibrate]

/* ---- device model ---- */

static unsigned pit8254__mode(const pit8254_channel *c)
{
    unsigned m = (c->ctrl & PIT8254_MODE_MASK) >> 1;

    return m >= 6 ? m - 4 : m; /* 6 and 7 are 2 and 3 */
}

static unsigned pit8254__rw(const pit8254_channel *c)
{
    return (c->ctrl & PIT8254_RW_MASK) >> 4;
}

static bool pit8254__bcd(const pit8254_channel *c)
{
    return (c->ctrl & PIT8254_BCD) != 0;
}

/* The count 0 stands for: 2^16 binary, 10^4 BCD. */
static uint32_t pit8254__modulus(const pit8254_channel *c)
{
    return pit8254__bcd(c) ? 10000u : 65536u;
}

/* The count register as a number of CLKs. A BCD nibble above 9 is no
   digit; it weighs its value (0xA = 10), and the result is taken modulo
   10^4, so every byte pattern gives a count in 1..10000. */
static uint32_t pit8254__decode(const pit8254_channel *c, uint16_t cr)
{
    uint32_t v = cr;

    if (pit8254__bcd(c))
        v = ((cr >> 12) & 15u) * 1000u + ((cr >> 8) & 15u) * 100u + ((cr >> 4) & 15u) * 10u +
            (cr & 15u);
    v %= pit8254__modulus(c);
    return v ? v : pit8254__modulus(c);
}

/* A CE value (any number: it wraps) as the chip reads it out. */
static uint16_t pit8254__encode(const pit8254_channel *c, uint64_t v)
{
    uint32_t x = (uint32_t)(v % pit8254__modulus(c));

    if (!pit8254__bcd(c))
        return (uint16_t)x;
    return (uint16_t)((x / 1000u) << 12 | (x / 100u % 10u) << 8 | (x / 10u % 10u) << 4 |
                      x % 10u);
}

static bool pit8254__has(const pit8254_channel *c, unsigned f)
{
    return (c->flags & f) != 0;
}

/* Whether CLK pulses count: the gate holds modes 0, 2, 3 and 4; it only
   triggers 1 and 5. */
static bool pit8254__counting(const pit8254_channel *c)
{
    unsigned mode = pit8254__mode(c);

    return pit8254__has(c, PIT8254_CH_RUN) &&
           (mode == 1 || mode == 5 || pit8254__has(c, PIT8254_CH_GATE));
}

/* CLK pulses counted by tick t (t not before the time last seen). */
static uint64_t pit8254__counted(const pit8254_channel *c, uint64_t t)
{
    if (!pit8254__counting(c))
        return c->e0;
    PIT8254_ASSERT(t >= c->base);
    return c->e0 + (t - c->base);
}

//! [pit-out]
/* Modes 2 and 3 repeat a period of n CLKs: high, then low for the last
   CLK (mode 2) or the last floor(n/2) (mode 3). A count of 1 is illegal
   there (the datasheet's minimum is 2); the model gives it a low part of
   no width: OUT stays high and rises at every CLK, so IRQ0 sees the rate
   it asked for, which the minimum period then limits. */
static uint32_t pit8254__low_len(unsigned mode, uint32_t n)
{
    if (mode == 2)
        return n >= 2 ? 1 : 0;
    return n / 2;
}

/* OUT at tick t, from the CLKs counted since the CE was loaded (E):
     mode 0, 1: low until E reaches n (terminal count), then high;
     mode 4, 5: low for the one CLK at which E is n, else high;
     mode 2, 3: position p = (E + phase) mod n in the period: high, then
                low for the period's last low_len CLKs; the gate low
                forces OUT high. */
static bool pit8254__out(const pit8254_channel *c, uint64_t t)
{
    unsigned mode = pit8254__mode(c);
    uint64_t e;

    if (!pit8254__has(c, PIT8254_CH_RUN))
        return pit8254__has(c, PIT8254_CH_OUTH);
    if ((mode == 2 || mode == 3) && !pit8254__has(c, PIT8254_CH_GATE))
        return true;
    e = pit8254__counted(c, t);
    if (mode == 0 || mode == 1)
        return e >= c->n;
    if (mode == 4 || mode == 5)
        return e != c->n;
    return (e + c->phase) % c->n < c->n - pit8254__low_len(mode, c->n);
}

/* Rising edges of OUT at the ticks in (a, b], while nothing is loaded:
   one at terminal count (0, 1), one the CLK after it (4, 5), one at
   every period's start (2, 3). */
static uint64_t pit8254__rises(const pit8254_channel *c, uint64_t a, uint64_t b)
{
    unsigned mode = pit8254__mode(c);
    uint64_t ea, eb, at;

    if (!pit8254__counting(c) || b <= a)
        return 0;
    ea = pit8254__counted(c, a);
    eb = pit8254__counted(c, b);
    if (mode == 2 || mode == 3)
        return (eb + c->phase) / c->n - (ea + c->phase) / c->n;
    at = (mode == 0 || mode == 1) ? c->n : (uint64_t)c->n + 1;
    return ea < at && at <= eb;
}

/* The first tick after t at which OUT rises, while nothing is loaded. */
static uint64_t pit8254__next_rise(const pit8254_channel *c, uint64_t t)
{
    unsigned mode = pit8254__mode(c);
    uint64_t e, at;

    if (!pit8254__counting(c))
        return PIT8254__NEVER;
    e = pit8254__counted(c, t);
    if (mode == 2 || mode == 3) {
        e += c->phase;
        return t + (c->n - e % c->n);
    }
    at = (mode == 0 || mode == 1) ? c->n : (uint64_t)c->n + 1;
    return e < at ? t + (at - e) : PIT8254__NEVER;
}
//! [pit-out]

/* The CE's value at tick t, as it reads. Modes 2 and 3 reload at each
   period; mode 3 counts down by two, from n for an even n, from n - 1 for
   an odd one (whose high half-cycle is one CLK longer, showing 0 last). */
static uint16_t pit8254__value(const pit8254_channel *c, uint64_t t)
{
    unsigned mode = pit8254__mode(c);
    uint64_t e, p, high;

    if (!pit8254__has(c, PIT8254_CH_RUN))
        return c->hold;
    e = pit8254__counted(c, t);
    if (mode != 2 && mode != 3)
        return pit8254__encode(c, (uint64_t)c->n + pit8254__modulus(c) -
                                      e % pit8254__modulus(c));
    p = (e + c->phase) % c->n;
    if (mode == 2)
        return pit8254__encode(c, c->n - p);
    high = c->n - c->n / 2;
    if (p >= high)
        p -= high;
    return pit8254__encode(c, c->n - (c->n & 1) - 2 * p);
}

/* The CE takes a count at the CLK pulse of tick `at`. */
static void pit8254__pend(pit8254_channel *c, uint64_t at, uint32_t n, uint32_t phase,
                          bool bound)
{
    c->flags = (uint16_t)((c->flags & ~PIT8254_CH_BOUND) | PIT8254_CH_PEND |
                          (bound ? PIT8254_CH_BOUND : 0));
    c->load_at = at;
    c->load_n = n;
    c->load_phase = phase;
}

static void pit8254__unpend(pit8254_channel *c)
{
    c->flags = (uint16_t)(c->flags & ~(PIT8254_CH_PEND | PIT8254_CH_BOUND));
    c->load_at = 0;
    c->load_n = c->load_phase = 0;
}

static void pit8254__load(pit8254_channel *c)
{
    c->n = c->load_n;
    c->phase = c->load_phase;
    c->base = c->load_at;
    c->e0 = 0;
    c->flags = (uint16_t)((c->flags | PIT8254_CH_RUN) & ~(PIT8254_CH_NULL | PIT8254_CH_OUTH));
    pit8254__unpend(c);
}

/* Nothing counts any more: the CE keeps the value it has at tick t and
   OUT the level `out`. */
static void pit8254__stop(pit8254_channel *c, uint64_t t, bool out)
{
    c->hold = pit8254__value(c, t);
    c->flags = (uint16_t)((c->flags & ~(PIT8254_CH_RUN | PIT8254_CH_OUTH)) |
                          (out ? PIT8254_CH_OUTH : 0));
    c->n = c->phase = 0;
    c->base = c->e0 = 0;
    pit8254__unpend(c);
}

//! [pit-sync]
/* Bring a channel from tick a to tick b (a < b), adding the rising edges
   of its OUT to *rises. At most one load lies between: before it the old
   count runs, after it the new one. A load that ends a period (modes 2,
   3) belongs to the old count's edges; any other load replaces the CLK
   pulse's effect on the old count, and OUT rises there if it goes from
   the old count's level to a high one. */
static void pit8254__sync(pit8254_channel *c, uint64_t a, uint64_t b, uint64_t *rises)
{
    uint64_t r = 0;

    if (pit8254__has(c, PIT8254_CH_PEND) && c->load_at <= b) {
        uint64_t at = c->load_at;
        bool bound = pit8254__has(c, PIT8254_CH_BOUND), before;

        PIT8254_ASSERT(at > a);
        r += pit8254__rises(c, a, bound ? at : at - 1);
        before = bound || pit8254__out(c, at - 1);
        pit8254__load(c);
        r += !before && pit8254__out(c, at);
        a = at;
    }
    r += pit8254__rises(c, a, b);
    *rises = *rises + r < *rises ? UINT64_MAX : *rises + r;
}

/* The first tick after t at which OUT rises, across a pending load. */
static uint64_t pit8254__next_rise_all(const pit8254_channel *c, uint64_t t)
{
    uint64_t r = pit8254__next_rise(c, t), at = c->load_at;
    bool bound = pit8254__has(c, PIT8254_CH_BOUND);
    pit8254_channel after;

    if (!pit8254__has(c, PIT8254_CH_PEND) || (bound ? r <= at : r < at))
        return r;
    after = *c;
    pit8254__load(&after);
    if (!bound && !pit8254__out(c, at - 1) && pit8254__out(&after, at))
        return at;
    return pit8254__next_rise(&after, at);
}
//! [pit-sync]

static uint64_t pit8254__tick(const pit8254_model *m)
{
    return pit8254_ticks(m->s.last_ns);
}

/* Move to board time `now` (never backwards); OUT0's rises are counted. */
static void pit8254__advance(pit8254_model *m, uint64_t now)
{
    uint64_t a = pit8254__tick(m), b, ignored = 0;

    if (now <= m->s.last_ns)
        return;
    m->s.last_ns = now;
    b = pit8254__tick(m);
    if (b == a)
        return;
    pit8254__sync(&m->s.ch[0], a, b, &m->s.edges);
    pit8254__sync(&m->s.ch[1], a, b, &ignored);
    pit8254__sync(&m->s.ch[2], a, b, &ignored);
}

static void pit8254__advance_to_now(pit8254_model *m)
{
    if (m->hooks.now)
        pit8254__advance(m, m->hooks.now(m->hooks.ctx));
}

static void pit8254__irq(pit8254_model *m, bool level)
{
    m->s.line = level;
    if (m->hooks.irq)
        m->hooks.irq(m->hooks.ctx, level);
}

static uint64_t pit8254__sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

//! [pit-deliver]
/* Tell IRQ0 what OUT0 did. Rising edges wait until cfg.min_period_ns has
   passed since the last one delivered; then all that happened go as one,
   low then high, whatever the line was, so an edge-triggered input takes
   exactly one interrupt. A fall is told at once; a rise that must wait
   leaves the line low meanwhile. */
static void pit8254__deliver(pit8254_model *m)
{
    pit8254_state *s = &m->s;
    bool out = pit8254__out(&s->ch[0], pit8254__tick(m));

    if (s->edges &&
        (!s->edge_seen || s->last_ns - s->irq_ns >= m->cfg.min_period_ns)) {
        if (s->line)
            pit8254__irq(m, false);
        pit8254__irq(m, true);
        m->stats.irq_edges++;
        m->stats.edges_merged += s->edges - 1;
        s->edges = 0;
        s->irq_ns = s->last_ns;
        s->edge_seen = 1;
    }
    if (s->line && !out)
        pit8254__irq(m, false);
    else if (!s->line && out && !s->edges)
        pit8254__irq(m, true); /* only after a restore or reset: rises are edges */
}

/* The next time OUT0 rises, and no sooner than an edge may be delivered. */
static uint64_t pit8254__deadline(const pit8254_model *m)
{
    const pit8254_state *s = &m->s;
    uint64_t soonest = s->edge_seen ? pit8254__sat_add(s->irq_ns, m->cfg.min_period_ns) : 0;
    uint64_t r, at;

    if (s->edges)
        return soonest;
    r = pit8254__next_rise_all(&s->ch[0], pit8254__tick(m));
    if (r == PIT8254__NEVER || (at = pit8254_tick_ns(r)) == UINT64_MAX)
        return PIT8254_NO_DEADLINE;
    PIT8254_ASSERT(at > s->last_ns && pit8254_ticks(at) == r && pit8254_ticks(at - 1) < r);
    return at > soonest ? at : soonest;
}
//! [pit-deliver]

/* ---- guest accesses ---- */

/* A control word for channel c (RW not 00): all control logic resets,
   OUT goes to the mode's initial level (low in mode 0, else high) and the
   CE stops, holding its value, until a count (modes 1, 5: and a trigger)
   arrives. */
static void pit8254__control(pit8254_channel *c, uint64_t t, uint8_t cw)
{
    pit8254__stop(c, t, false);
    c->ctrl = (uint8_t)(cw & PIT8254_ST_CTRL);
    c->flags = (uint16_t)((c->flags & PIT8254_CH_GATE) | PIT8254_CH_NULL |
                          (pit8254__mode(c) == 0 ? 0 : PIT8254_CH_OUTH));
    c->latched = 0;
    c->status = 0;
}

static void pit8254__latch_count(pit8254_channel *c, uint64_t t)
{
    unsigned rw = pit8254__rw(c);

    if (c->latched)
        return; /* a second latch before the first is read is ignored */
    c->ol = pit8254__value(c, t);
    c->latched = (uint8_t)(rw == 3 ? 3 : rw);
}

static void pit8254__latch_status(pit8254_channel *c, uint64_t t)
{
    if (pit8254__has(c, PIT8254_CH_STATUS))
        return;
    c->status = (uint8_t)((pit8254__out(c, t) ? PIT8254_ST_OUT : 0) |
                          (pit8254__has(c, PIT8254_CH_NULL) ? PIT8254_ST_NULL : 0) | c->ctrl);
    c->flags |= PIT8254_CH_STATUS;
}

//! [pit-readback]
/* SC = 11: bits 5 (COUNT*) and 4 (STATUS*) are active low, so 0 latches;
   bits 3..1 pick the counters. Each latch a counter already holds stays. */
static void pit8254__read_back(pit8254_state *s, uint64_t t, uint8_t cw)
{
    for (unsigned i = 0; i < 3; i++) {
        if (!(cw & PIT8254_RB_CNT(i)))
            continue;
        if (!(cw & PIT8254_RB_NOCOUNT))
            pit8254__latch_count(&s->ch[i], t);
        if (!(cw & PIT8254_RB_NOSTATUS))
            pit8254__latch_status(&s->ch[i], t);
    }
}
//! [pit-readback]

static void pit8254__control_port(pit8254_state *s, uint64_t t, uint8_t cw)
{
    pit8254_channel *c;

    if ((cw & PIT8254_SC_READBACK) == PIT8254_SC_READBACK) {
        pit8254__read_back(s, t, cw);
        return;
    }
    c = &s->ch[cw >> 6];
    if ((cw & PIT8254_RW_MASK) == PIT8254_RW_LATCH)
        pit8254__latch_count(c, t);
    else
        pit8254__control(c, t, cw);
}

/* Where a new count takes over in modes 2 and 3 while counting: at the end
   of the period (mode 2) or of the half-cycle (mode 3). One that starts a
   low half-cycle starts the new count's low half too. */
static void pit8254__pend_at_boundary(pit8254_channel *c, uint64_t t, uint32_t n)
{
    uint64_t e = pit8254__counted(c, t) + c->phase, p = e % c->n;
    uint64_t high = c->n - pit8254__low_len(pit8254__mode(c), c->n);

    if (pit8254__mode(c) == 3 && p < high && high < c->n)
        pit8254__pend(c, t + (high - p), n, (n - n / 2) % n, true);
    else
        pit8254__pend(c, t + (c->n - p), n, 0, true);
}

/* A whole count is in the count register, at tick t. */
static void pit8254__count_written(pit8254_channel *c, uint64_t t)
{
    unsigned mode = pit8254__mode(c);
    uint32_t n = pit8254__decode(c, c->cr);

    c->flags |= PIT8254_CH_NULL | PIT8254_CH_HASCR;
    if (mode == 0 || mode == 4) {
        if (mode == 0)
            pit8254__stop(c, t, false); /* OUT low until the new terminal count */
        pit8254__pend(c, t + 1, n, 0, false);
    } else if (pit8254__has(c, PIT8254_CH_PEND) && !pit8254__has(c, PIT8254_CH_BOUND)) {
        c->load_n = n; /* a trigger in this tick loads the new count */
    } else if (mode == 2 || mode == 3) {
        if (!pit8254__has(c, PIT8254_CH_RUN))
            pit8254__pend(c, t + 1, n, 0, false);
        else if (pit8254__has(c, PIT8254_CH_GATE))
            pit8254__pend_at_boundary(c, t, n);
        /* gate low: the trigger that ends it loads the count */
    }
    /* modes 1, 5: the next trigger loads it */
}

static void pit8254__write_count(pit8254_channel *c, uint64_t t, uint8_t v)
{
    unsigned rw = pit8254__rw(c);

    if (rw == 1) {
        c->cr = v;
    } else if (rw == 2) {
        c->cr = (uint16_t)(v << 8);
    } else if (!pit8254__has(c, PIT8254_CH_WMSB)) {
        c->cr = (uint16_t)((c->cr & 0xff00u) | v);
        c->flags |= PIT8254_CH_WMSB;
        if (pit8254__mode(c) == 0)
            pit8254__stop(c, t, false); /* the first byte stops mode 0 */
        return;
    } else {
        c->cr = (uint16_t)((c->cr & 0x00ffu) | v << 8);
        c->flags &= (uint16_t)~PIT8254_CH_WMSB;
    }
    pit8254__count_written(c, t);
}

static uint8_t pit8254__read_counter(pit8254_channel *c, uint64_t t)
{
    unsigned rw = pit8254__rw(c);
    uint16_t v;

    if (pit8254__has(c, PIT8254_CH_STATUS)) {
        uint8_t st = c->status;

        c->flags &= (uint16_t)~PIT8254_CH_STATUS;
        c->status = 0;
        return st;
    }
    if (c->latched & 1) {
        c->latched &= 2;
        return (uint8_t)(c->ol & 0xff);
    }
    if (c->latched) {
        c->latched = 0;
        return (uint8_t)(c->ol >> 8);
    }
    v = pit8254__value(c, t);
    if (rw == 3) {
        c->flags ^= PIT8254_CH_RMSB;
        return (uint8_t)(pit8254__has(c, PIT8254_CH_RMSB) ? v & 0xff : v >> 8);
    }
    return (uint8_t)(rw == 2 ? v >> 8 : v & 0xff);
}

//! [pit-gate]
/* Channel c's GATE input changes at tick t; the CLK pulse of tick t + 1
   is the first to see it. Modes 0 and 4 pause and resume; 2 and 3 stop
   with OUT high, and a rise reloads them; a rise triggers 1 and 5. */
static void pit8254__gate(pit8254_channel *c, uint64_t t, bool level)
{
    unsigned mode = pit8254__mode(c);

    if (level == pit8254__has(c, PIT8254_CH_GATE))
        return;
    if (!level) {
        if (mode == 0 || mode == 4)
            c->e0 = pit8254__counted(c, t);
        if ((mode == 2 || mode == 3) && pit8254__has(c, PIT8254_CH_RUN))
            pit8254__stop(c, t, true);
        c->flags &= (uint16_t)~PIT8254_CH_GATE;
        return;
    }
    c->flags |= PIT8254_CH_GATE;
    if (mode == 0 || mode == 4)
        c->base = pit8254__has(c, PIT8254_CH_RUN) ? t : 0;
    else if (pit8254__has(c, PIT8254_CH_HASCR)) {
        if ((mode == 2 || mode == 3) && pit8254__has(c, PIT8254_CH_RUN))
            pit8254__stop(c, t, true); /* OUT stays high until the reload */
        pit8254__pend(c, t + 1, pit8254__decode(c, c->cr), 0, false);
    }
}

/* Bit 4 toggles with each DRAM refresh request, every 18 PIT ticks; bit
   5 is OUT2; bits 6 and 7 (parity and I/O channel errors) never set. */
static uint8_t pit8254__port61(const pit8254_state *s, uint64_t t)
{
    return (uint8_t)((s->port61 & PIT8254_P61_WRITABLE) |
                     ((t / PIT8254_REFRESH_TICKS) & 1 ? PIT8254_P61_REFRESH : 0) |
                     (pit8254__out(&s->ch[2], t) ? PIT8254_P61_OUT2 : 0));
}
//! [pit-gate]

static uint64_t pit8254__ones(unsigned width)
{
    return width >= 1 && width < 8 ? (1ull << (8 * width)) - 1 : UINT64_MAX;
}

static void pit8254__copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;

    while (n--)
        *d++ = *s++;
}

static void pit8254__zero(void *p, size_t n)
{
    uint8_t *d = (uint8_t *)p;

    while (n--)
        *d++ = 0;
}

PIT8254_DEF void pit8254_model_init(pit8254_model *m, const pit8254_model_hooks *h)
{
    pit8254__zero(m, sizeof *m);
    if (h)
        m->hooks = *h;
    m->cfg.min_period_ns = PIT8254_MIN_PERIOD_NS;
    pit8254_model_reset(m);
}

PIT8254_DEF void pit8254_model_reset(void *m)
{
    pit8254_model *p = (pit8254_model *)m;
    pit8254_state *s = &p->s;
    uint64_t now = p->hooks.now ? p->hooks.now(p->hooks.ctx) : 0;
    bool was = s->line != 0;

    if (now < s->last_ns)
        now = s->last_ns;
    pit8254__zero(s, sizeof *s);
    s->version = PIT8254_STATE_VERSION;
    s->last_ns = now;
    for (unsigned i = 0; i < 3; i++) {
        s->ch[i].ctrl = (uint8_t)(PIT8254_RW_BOTH | PIT8254_MODE(0));
        s->ch[i].flags = (uint16_t)(PIT8254_CH_NULL | (i < 2 ? PIT8254_CH_GATE : 0));
    }
    if (was && p->hooks.irq)
        p->hooks.irq(p->hooks.ctx, false);
}

PIT8254_DEF uint64_t pit8254_model_read(void *m, uint64_t offset, unsigned width)
{
    pit8254_model *p = (pit8254_model *)m;
    uint64_t v;

    if (width != 1 || offset >= PIT8254_MODEL_LEN || offset == PIT8254_MODEL_CONTROL)
        return pit8254__ones(width); /* the control register is write-only */
    pit8254__advance_to_now(p);
    if (offset == PIT8254_MODEL_PORT61)
        v = pit8254__port61(&p->s, pit8254__tick(p));
    else
        v = pit8254__read_counter(&p->s.ch[offset], pit8254__tick(p));
    pit8254__deliver(p);
    return v;
}

PIT8254_DEF void pit8254_model_write(void *m, uint64_t offset, unsigned width, uint64_t value)
{
    pit8254_model *p = (pit8254_model *)m;
    pit8254_state *s = &p->s;
    uint8_t v = (uint8_t)value;
    uint64_t due, t;
    bool before;

    if (width != 1 || offset >= PIT8254_MODEL_LEN)
        return;
    due = pit8254__deadline(p);
    pit8254__advance_to_now(p);
    t = pit8254__tick(p);
    before = pit8254__out(&s->ch[0], t);
    if (offset == PIT8254_MODEL_PORT61) {
        s->port61 = (uint8_t)(v & PIT8254_P61_WRITABLE);
        pit8254__gate(&s->ch[2], t, (v & PIT8254_P61_GATE2) != 0);
    } else if (offset == PIT8254_MODEL_CONTROL) {
        pit8254__control_port(s, t, v);
    } else {
        pit8254__write_count(&s->ch[offset], t, v);
    }
    /* A control word can raise OUT0 between CLKs: that is an edge too. */
    if (!before && pit8254__out(&s->ch[0], t))
        s->edges = pit8254__sat_add(s->edges, 1);
    pit8254__deliver(p);
    if (pit8254__deadline(p) < due && p->hooks.wake)
        p->hooks.wake(p->hooks.ctx);
}

PIT8254_DEF uint64_t pit8254_model_poll(void *m, uint64_t now)
{
    pit8254_model *p = (pit8254_model *)m;

    pit8254__advance(p, now);
    pit8254__deliver(p);
    return pit8254__deadline(p);
}

PIT8254_DEF int64_t pit8254_model_save(void *m, void *buf, size_t size)
{
    pit8254_model *p = (pit8254_model *)m;

    if (size < sizeof p->s)
        return -1;
    pit8254__copy(buf, &p->s, sizeof p->s);
    return (int64_t)sizeof p->s;
}

/* The latched bytes the RW field allows: low and high, or what is left. */
static bool pit8254__latch_ok(const pit8254_channel *c)
{
    unsigned rw = pit8254__rw(c);

    return rw == 3 ? c->latched != 1 : (c->latched == 0 || c->latched == rw);
}

/* A channel this chip can be in at tick t. */
static bool pit8254__channel_ok(const pit8254_channel *c, uint64_t t)
{
    uint32_t mod = pit8254__modulus(c);
    unsigned mode = pit8254__mode(c);
    bool run = pit8254__has(c, PIT8254_CH_RUN), pend = pit8254__has(c, PIT8254_CH_PEND);

    for (unsigned i = 0; i < sizeof c->reserved; i++)
        if (c->reserved[i])
            return false;
    if ((c->ctrl & ~PIT8254_ST_CTRL) || pit8254__rw(c) == 0 || (c->flags & ~PIT8254_CH_FLAGS) ||
        !pit8254__latch_ok(c) || (c->latched > 3))
        return false;
    if (pit8254__rw(c) != 3 && (c->flags & (PIT8254_CH_WMSB | PIT8254_CH_RMSB)))
        return false;
    if (pit8254__has(c, PIT8254_CH_STATUS) ? (c->status & PIT8254_ST_CTRL) != c->ctrl
                                           : c->status != 0)
        return false;
    if (run ? (c->n < 1 || c->n > mod || c->phase >= c->n || c->base > t ||
               c->e0 > PIT8254__MAX_TICKS || pit8254__has(c, PIT8254_CH_OUTH) ||
               ((mode == 2 || mode == 3) ? 0 : c->phase))
            : (c->n || c->phase || c->base || c->e0))
        return false;
    if (pend ? (c->load_at <= t || c->load_at - t > 65537u || c->load_n < 1 ||
                c->load_n > mod || c->load_phase >= c->load_n)
             : (c->load_at || c->load_n || c->load_phase))
        return false;
    /* A load at a boundary is only scheduled for a running mode 2 or 3,
       and only one in mode 3 that starts a low half-cycle starts the new
       count past its high half. Any other load starts at phase 0: a count
       written later replaces only load_n, so a phase kept from an image
       could exceed it (and the state would refuse its own save). */
    if (!pit8254__has(c, PIT8254_CH_BOUND))
        return c->load_phase == 0;
    return pend && run && (mode == 2 || mode == 3) && pit8254__has(c, PIT8254_CH_GATE) &&
           (c->load_phase == 0 ||
            (mode == 3 && c->load_phase == (c->load_n - c->load_n / 2) % c->load_n));
}

static bool pit8254__valid(const pit8254_state *s)
{
    uint64_t t = pit8254_ticks(s->last_ns);

    if (s->version != PIT8254_STATE_VERSION || s->reserved ||
        (s->port61 & ~PIT8254_P61_WRITABLE) || s->line > 1 || s->edge_seen > 1 ||
        s->irq_ns > s->last_ns || (!s->edge_seen && (s->irq_ns || s->edges)))
        return false;
    for (unsigned i = 0; i < 3; i++) {
        bool gate = (s->ch[i].flags & PIT8254_CH_GATE) != 0;

        if (!pit8254__channel_ok(&s->ch[i], t) ||
            gate != (i < 2 || (s->port61 & PIT8254_P61_GATE2)))
            return false;
    }
    return true;
}

PIT8254_DEF int64_t pit8254_model_restore(void *m, const void *buf, size_t size)
{
    pit8254_model *p = (pit8254_model *)m;
    pit8254_state in;

    /* A snapshot is input like any other: check it before trusting it. */
    if (size != sizeof in)
        return -1;
    pit8254__copy(&in, buf, sizeof in);
    if (!pit8254__valid(&in))
        return -1;
    p->s = in;
    /* The hook learns the level even if it did not change: the board
       behind it may be new. */
    if (p->hooks.irq)
        p->hooks.irq(p->hooks.ctx, p->s.line != 0);
    if (pit8254__deadline(p) != PIT8254_NO_DEADLINE && p->hooks.wake)
        p->hooks.wake(p->hooks.ctx);
    return (int64_t)sizeof in;
}

#endif /* PIT8254_IMPLEMENTATION */

/*
   LICENSE

   This file is available under your choice of two licenses.

   MIT License. Copyright (c) 2026 the Breadboard authors.
   Permission is hereby granted, free of charge, to any person obtaining a copy
   of this software and associated documentation files (the "Software"), to deal
   in the Software without restriction, including without limitation the rights
   to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
   copies of the Software, and to permit persons to whom the Software is
   furnished to do so, subject to the following conditions: the above copyright
   notice and this permission notice shall be included in all copies or
   substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS",
   WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.

   Public domain (www.unlicense.org). Anyone is free to copy, modify, publish,
   use, compile, sell, or distribute this software, either in source code form
   or as a compiled binary, for any purpose, commercial or non-commercial, and
   by any means.
*/
