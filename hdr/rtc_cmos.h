/* rtc_cmos.h - the MC146818A CMOS real-time clock: one register map, a driver
   and a device model.

   WHAT IT IS
   The PC/AT's battery-backed clock and 128 bytes of CMOS RAM, reached
   through an index port and a data port. It keeps the date and time in
   registers that its own update cycle advances once a second, and raises
   ISA IRQ 8 on a periodic rate, on an alarm, or at the end of each update.
   This header holds both roles that meet at those registers:
     - the driver (rtc_cmos_drv_*), which a kernel uses to read and set the
       time, program the periodic interrupt and the alarm, and acknowledge;
     - the device model (rtc_cmos_model_*), which a monitor uses to emulate
       the chip, with the model contract of book/chipset.md, "The shape of
       a device model".
   They share the register and bit names below, so the driver can be run on
   the host straight against the model (that is how the tests check both).
   rtc_cmos_time_to_unix() and rtc_cmos_unix_to_time() belong to neither
   side: they turn a calendar time into seconds since 1970 and back.

   HARDWARE
   Motorola MC146818A datasheet (register map, Table 6 "update cycle
   times": UIP rises tBUC = 244 us before the update cycle, which lasts
   tUC = 1984 us with a 32.768 kHz time base; the divider bits, "the first
   update cycle begins one-half second" after the divider leaves reset;
   the periodic rates of Table 5; alarm bytes 0xC0-0xFF are "don't care";
   RESET clears PIE, AIE, UIE, SQWE and IRQF, PF, AF, UF; SET going high
   clears UIE and UIP), and the Dallas DS12887 (the PC's successor part:
   the century byte at 0x32, "only DV = 010 keeps time"). On a PC the
   index port is 0x70, whose bit 7 gates the NMI, and the data port 0x71.

     index  register                   index  register
     0x00   seconds                    0x07   day of the month (1-31)
     0x01   seconds alarm              0x08   month (1-12)
     0x02   minutes                    0x09   year (0-99)
     0x03   minutes alarm              0x0A   A: UIP DV2-0 RS3-0
     0x04   hours                      0x0B   B: SET PIE AIE UIE SQWE DM 24/12 DSE
     0x05   hours alarm                0x0C   C: IRQF PF AF UF (read-only, read clears)
     0x06   day of the week (1 = Sun)  0x0D   D: VRT (read-only)
     0x0E-0x7F  RAM; 0x32 the century (PC convention)

   The model's choices, where the datasheet leaves room:
     - Time is kept as the chip keeps it: in the registers, in the format B
       says (BCD or binary, 12 or 24 hours). Changing DM or 24/12 converts
       nothing (the datasheet says software must rewrite the time); the
       next update counts on from the bytes as they are, read in the new
       format. The update cycle ends, and the new time, UF and AF appear
       together, at the whole second: rtc_cmos_model_set_wall() places the
       divider so that the registers read second T + 1 from exactly one
       second after "T and 0 ns". UIP is high from 1984 + 244 us before that
       instant until it; registers read during the cycle give the previous
       second (the datasheet: undefined).
     - An invalid value in a time register (seconds 0x7A, month 0x13, a
       nibble above 9 in BCD) is counted on from, field by field: a field
       whose value, read as BCD digits or binary, is below its last value
       goes up by one; any other wraps to its first value and carries. So
       seconds 0x7A become 0x00 at the next update and carry into the
       minutes. Nothing loops on it: an invalid field becomes valid within
       one carry into it.
     - Leap years follow the Gregorian rule with the century byte (2000 is
       one, 2100 is not); the MC146818A itself knew only "year divisible by
       4". Year 99 -> 00 carries into the century byte (0x32), which is
       coded as the other time registers are (BCD unless DM = 1), as PC
       firmware, which runs the clock in BCD, expects. The day of the week
       is a counter, 1-7, as on the chip: it is not computed from the date.
     - DSE (daylight saving) is stored and reads back; the model applies no
       daylight-saving rule. SQWE is stored too (a PC has no SQW pin).
     - Register A: DV = 010 runs the clock; DV = 11x holds the divider in
       reset (no updates, no periodic edges, UIP 0) and leaving it starts
       the chain half a second before its next second, so the first update
       cycle begins 500 ms later; any other DV value stops the oscillator
       (the DS12887's reading: 010 is the only value that keeps time): the
       chain holds where it is and continues from there under 010.
     - SET freezes the time: no update cycle happens, UIP reads 0, and the
       divider runs on, so periodic interrupts continue and the first update
       after SET is cleared comes at the divider's next second.
     - The index port reads 0xFF (on a PC it is write-only; QEMU answers
       0xFF too). Its bit 7, NMI disable, is stored: rtc_cmos_model_nmi_
       disabled() gives it to the board. Writes to C and D are ignored.

   BOOK
   book/rtc_cmos.md, "The CMOS real-time clock".

   USAGE
   In exactly one C file:
       #define RTC_CMOS_IMPLEMENTATION
       #include "rtc_cmos.h"
   Driver, given port I/O:
       rtc_cmos_drv d = { my_inb, my_outb, my_ctx };
       rtc_cmos_time t;
       if (rtc_cmos_drv_read_time(&d, &t, 100000))
           seconds = rtc_cmos_time_to_unix(&t);
       rtc_cmos_drv_periodic(&d, 15);              // 2 Hz on IRQ 8
       flags = rtc_cmos_drv_ack(&d);               // in the handler
   Model, in a monitor (board time in ns from the `now` hook):
       rtc_cmos_model m;
       rtc_cmos_model_hooks h = { board_now, set_irq8, poll_me_again, ctx };
       rtc_cmos_model_init(&m, &h);
       rtc_cmos_model_set_wall(&m, host_unix_seconds, host_ns);
       v = rtc_cmos_model_read(&m, port - RTC_CMOS_PC_PORT, 1);
       next = rtc_cmos_model_poll(&m, now);        // when IRQ 8 may rise

   OVERRIDABLE MACROS (define before the include)
     RTC_CMOS_DEF     linkage of public functions   (default: extern)
     RTC_CMOS_STATIC  define it to make every public function static
     RTC_CMOS_ASSERT  assertion for the model's internal invariants: the
                      divider position stays within a second, a deadline
                      lies after the time last seen, bounded walks over
                      invalid dates end valid (default: none). Never
                      called on guest input, which is handled.

   LICENSE at the end of the file.
*/
#ifndef RTC_CMOS_H
#define RTC_CMOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under RTC_CMOS_STATIC. */
#ifndef RTC_CMOS_DEF
#ifdef RTC_CMOS_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define RTC_CMOS_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define RTC_CMOS_DEF static
#endif
#else
#define RTC_CMOS_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file rtc_cmos.h
    @brief MC146818A CMOS real-time clock: register map, driver and device
    model. See @ref rtc_cmos.

    Tests: tests/rtc_cmos_test.c. Used alone: book/alone/rtc_cmos.c, shown
    in the chapter's appendix. */

//! [rtc-registers]
/* Where a PC has the chip, and the model's offset space. */
#define RTC_CMOS_PC_PORT     0x70u /**< index port on a PC; data at 0x71 */
#define RTC_CMOS_PC_IRQ      8u    /**< its ISA interrupt line */
#define RTC_CMOS_MODEL_INDEX 0u    /**< offset of the index port (write-only on a PC) */
#define RTC_CMOS_MODEL_DATA  1u    /**< offset of the data port */
#define RTC_CMOS_MODEL_LEN   2u    /**< ports the model answers */

/* The index port: bit 7 gates the NMI, the low 7 bits select a byte. */
#define RTC_CMOS_NMI_DISABLE 0x80u /**< index bit 7: NMI masked while set */
#define RTC_CMOS_INDEX_MASK  0x7fu /**< the byte select: 128 bytes */
#define RTC_CMOS_SIZE        128u  /**< bytes behind the data port */

/* The clock's bytes (MC146818A register map). */
#define RTC_CMOS_SECONDS       0x00u /**< seconds, 0-59 */
#define RTC_CMOS_SECONDS_ALARM 0x01u /**< seconds alarm */
#define RTC_CMOS_MINUTES       0x02u /**< minutes, 0-59 */
#define RTC_CMOS_MINUTES_ALARM 0x03u /**< minutes alarm */
#define RTC_CMOS_HOURS         0x04u /**< hours, 0-23 or 1-12 with RTC_CMOS_HOUR_PM */
#define RTC_CMOS_HOURS_ALARM   0x05u /**< hours alarm */
#define RTC_CMOS_WEEKDAY       0x06u /**< day of the week, 1 = Sunday */
#define RTC_CMOS_DAY           0x07u /**< day of the month, 1-31 */
#define RTC_CMOS_MONTH         0x08u /**< month, 1-12 */
#define RTC_CMOS_YEAR          0x09u /**< year of the century, 0-99 */
#define RTC_CMOS_REG_A         0x0au /**< register A: UIP, divider, rate */
#define RTC_CMOS_REG_B         0x0bu /**< register B: SET, enables, format */
#define RTC_CMOS_REG_C         0x0cu /**< register C: flags; read-only, read clears */
#define RTC_CMOS_REG_D         0x0du /**< register D: VRT; read-only */
#define RTC_CMOS_NVRAM         0x0eu /**< first byte of general RAM */
#define RTC_CMOS_CENTURY       0x32u /**< the century, in RAM (PC convention) */

#define RTC_CMOS_HOUR_PM   0x80u /**< hours in 12-hour mode: PM */
#define RTC_CMOS_ALARM_ANY 0xc0u /**< an alarm byte with both top bits set matches any value */

/* Register A. */
#define RTC_CMOS_A_UIP        0x80u /**< update in progress (read-only) */
#define RTC_CMOS_A_DV_MASK    0x70u /**< DV2-0: the divider */
#define RTC_CMOS_A_DV_32KHZ   0x20u /**< DV = 010: a 32.768 kHz base, running */
#define RTC_CMOS_A_DV_RESET   0x60u /**< DV = 11x: divider held in reset */
#define RTC_CMOS_A_RS_MASK    0x0fu /**< RS3-0: the periodic rate, 0 = none */
#define RTC_CMOS_A_POWER_ON   0x26u /**< what the model (and a BIOS) leaves: running, 1024 Hz */

/* Register B. */
#define RTC_CMOS_B_SET  0x80u /**< updates stopped; setting it clears UIE */
#define RTC_CMOS_B_PIE  0x40u /**< PF raises IRQ 8 */
#define RTC_CMOS_B_AIE  0x20u /**< AF raises IRQ 8 */
#define RTC_CMOS_B_UIE  0x10u /**< UF raises IRQ 8 */
#define RTC_CMOS_B_SQWE 0x08u /**< square-wave output (stored only) */
#define RTC_CMOS_B_DM   0x04u /**< data mode: 1 = binary, 0 = BCD */
#define RTC_CMOS_B_24H  0x02u /**< 1 = 24-hour, 0 = 12-hour */
#define RTC_CMOS_B_DSE  0x01u /**< daylight saving (stored only) */
#define RTC_CMOS_B_POWER_ON 0x02u /**< the model's power-on B: 24 h, BCD */

/* Register C and D. */
#define RTC_CMOS_C_IRQF  0x80u /**< an enabled flag is set: IRQ 8 is high */
#define RTC_CMOS_C_PF    0x40u /**< periodic edge */
#define RTC_CMOS_C_AF    0x20u /**< alarm matched */
#define RTC_CMOS_C_UF    0x10u /**< update ended */
#define RTC_CMOS_C_FLAGS 0x70u /**< PF, AF, UF */
#define RTC_CMOS_D_VRT   0x80u /**< valid RAM and time: the battery is good */

/* Timing (MC146818A Table 6, 32.768 kHz time base). */
#define RTC_CMOS_HZ       32768u     /**< the crystal: divider ticks per second */
#define RTC_CMOS_TBUC_NS  244000u    /**< UIP high before the update cycle begins */
#define RTC_CMOS_TUC_NS   1984000u   /**< the update cycle */
#define RTC_CMOS_RESET_NS 500000000u /**< divider reset released to the first cycle */
//! [rtc-registers]

/** Divider ticks (of 32768 Hz) between periodic edges for the rate select
    `rs` of register A: 0 for rate 0 (none) and for anything above 15; 128
    and 256 for rates 1 and 2 (256 and 128 Hz); 2^(rs-1) for rates 3 to 15
    (8192 Hz down to 2 Hz). */
RTC_CMOS_DEF uint32_t rtc_cmos_periodic_ticks(unsigned rs);

/* ---- the calendar, for both sides ------------------------------------- */

/** A calendar time, UTC, in plain numbers. */
typedef struct rtc_cmos_time {
    uint16_t year;   /**< full year, e.g. 2026 */
    uint8_t month;   /**< 1-12 */
    uint8_t day;     /**< 1-31 */
    uint8_t hour;    /**< 0-23 */
    uint8_t minute;  /**< 0-59 */
    uint8_t second;  /**< 0-59 */
    uint8_t weekday; /**< 1 = Sunday ... 7 = Saturday */
} rtc_cmos_time;

/** Seconds since 1970-01-01 00:00:00 UTC of `t` (proleptic Gregorian; the
    weekday is not used). A month outside 1-12 counts as the nearest of
    them; other fields out of range are added as they are. */
RTC_CMOS_DEF int64_t rtc_cmos_time_to_unix(const rtc_cmos_time *t);
/** The calendar time `unix_seconds` after 1970-01-01 00:00:00 UTC (before
    it, if negative), weekday included. Years beyond 65535 are cut to 16
    bits; the chip's own range is 0-9999. */
RTC_CMOS_DEF void rtc_cmos_unix_to_time(int64_t unix_seconds, rtc_cmos_time *t);

/* ---- driver ------------------------------------------------------------ */

/** How the driver reaches the chip: byte IN and OUT at ports 0x70 and 0x71.
    The driver writes the index with bit 7 clear: it leaves NMI enabled. */
typedef struct rtc_cmos_drv {
    uint8_t (*in)(void *ctx, uint16_t port);          /**< an 8-bit IN */
    void (*out)(void *ctx, uint16_t port, uint8_t v); /**< an 8-bit OUT */
    void *ctx;                                        /**< passed to both */
} rtc_cmos_drv;

/** The byte at `index` (0-0x7F). */
RTC_CMOS_DEF uint8_t rtc_cmos_drv_get(const rtc_cmos_drv *d, uint8_t index);
/** Write `v` at `index` (0-0x7F). */
RTC_CMOS_DEF void rtc_cmos_drv_put(const rtc_cmos_drv *d, uint8_t index, uint8_t v);
/** Read the time: wait for UIP to be clear, read every time byte and the
    century, read them again, and accept when both reads agree; decode per
    register B (BCD or binary, 12 or 24 hours). `max_tries` bounds the reads
    of register A and the pairs of reads together: false, with `*t`
    unchanged, if they ran out. */
RTC_CMOS_DEF bool rtc_cmos_drv_read_time(const rtc_cmos_drv *d, rtc_cmos_time *t,
                                         unsigned max_tries);
/** Set the time: SET, every time byte and the century in the format B
    says, then B as it was without SET (which brings back UIE). The weekday
    is computed from the date; `t->weekday` is not used. */
RTC_CMOS_DEF void rtc_cmos_drv_set_time(const rtc_cmos_drv *d, const rtc_cmos_time *t);
/** Periodic interrupt at rate `rate` of register A (1-15: see
    rtc_cmos_periodic_ticks()): sets RS and PIE. 0, or above 15, clears
    PIE and RS. */
RTC_CMOS_DEF void rtc_cmos_drv_periodic(const rtc_cmos_drv *d, unsigned rate);
/** Alarm at `hour`:`minute`:`second` (24-hour numbers, written in the
    format B says), each -1 (or out of range) for "any": sets AIE. */
RTC_CMOS_DEF void rtc_cmos_drv_set_alarm(const rtc_cmos_drv *d, int hour, int minute, int second);
/** Read register C: the flags (IRQF, PF, AF, UF) since the last read, which
    the read clears, lowering IRQ 8. An interrupt handler calls it. */
RTC_CMOS_DEF uint8_t rtc_cmos_drv_ack(const rtc_cmos_drv *d);

/* ---- device model ------------------------------------------------------ */

/** Version of ::rtc_cmos_state; bumped when its layout changes. */
#define RTC_CMOS_STATE_VERSION 1u
/** rtc_cmos_model_poll()'s answer when the model needs no call at any time. */
#define RTC_CMOS_NO_DEADLINE UINT64_MAX
/** The model's power-on time, 2000-01-01 00:00:00 UTC (a Saturday), in
    seconds since 1970. */
#define RTC_CMOS_POWER_ON_UNIX 946684800

/** Everything the chip remembers: plain data, so save and restore are a
    copy. The 128 bytes are the chip's own, at their indexes: A without
    UIP (computed), C with only PF, AF and UF (IRQF is computed), D always
    VRT. The divider is one number, where it is within its second. */
typedef struct rtc_cmos_state {
    uint32_t version;     /**< RTC_CMOS_STATE_VERSION */
    uint8_t index;        /**< last byte written to the index port, NMI bit included */
    uint8_t reserved[3];  /**< zero */
    uint32_t pos_ns;      /**< ns since the divider's last second began (an update
                               cycle's start), < 10^9; 5 * 10^8 while in reset */
    uint32_t reserved2;   /**< zero */
    uint64_t last_ns;     /**< latest board time seen */
    uint8_t ram[RTC_CMOS_SIZE]; /**< the registers and the RAM */
} rtc_cmos_state;

/** How the model reaches the outside world. Every hook may be NULL. */
typedef struct rtc_cmos_model_hooks {
    /** Board time now, in ns (one clock with poll's `now`; an earlier time
        than one seen counts as the latest seen). Asked on data-port
        accesses, set_wall and init. NULL: the time of the last poll. */
    uint64_t (*now)(void *ctx);
    /** IRQ 8 changed level: high while IRQF is set, low once C is read.
        Called on changes only, but told the level after a restore. */
    void (*irq)(void *ctx, bool level);
    /** The next deadline moved earlier (an enable set, C read while an
        enable is set, the divider started), or a restore left one: call
        rtc_cmos_model_poll() soon. */
    void (*wake)(void *ctx);
    void *ctx; /**< passed to every hook */
} rtc_cmos_model_hooks;

/** Counters for a monitor's status output; never saved. */
typedef struct rtc_cmos_model_stats {
    uint64_t updates;  /**< update cycles completed */
    uint64_t periodic; /**< periodic edges, PF already set or not */
    uint64_t irqs;     /**< times IRQ 8 rose */
} rtc_cmos_model_stats;

/** The MC146818A and its RAM as a guest sees them. Caller-owned. */
typedef struct rtc_cmos_model {
    rtc_cmos_state s;             /**< machine state: the only part saved */
    rtc_cmos_model_hooks hooks;   /**< wiring, not saved */
    rtc_cmos_model_stats stats;   /**< counters, not saved */
} rtc_cmos_model;

/** Zero `m`, copy `*h` (NULL: no hooks), and insert the battery: the time
    2000-01-01 00:00:00 (Saturday, century 20) as of the `now` hook's time,
    A = 0x26, B = 0x02, C = 0, D = 0x80, the RAM zero; then reset. */
RTC_CMOS_DEF void rtc_cmos_model_init(rtc_cmos_model *m, const rtc_cmos_model_hooks *h);
/** What the chip's RESET pin does: clears PIE, AIE, UIE and SQWE in B and
    the flags in C, so IRQ 8 goes low (the hook hears it fall if it was
    high); keeps the time, the divider, the RAM, A and the rest of B. */
RTC_CMOS_DEF void rtc_cmos_model_reset(void *m);
/** Guest read of `width` bytes at `offset` (RTC_CMOS_MODEL_INDEX or
    _DATA). Only 1-byte reads decode: the index port reads 0xFF, the data
    port the byte selected, after bringing the model to the `now` hook's
    time. Reading C returns the flags and clears them. Anything else reads
    all-ones of `width` (UINT64_MAX for 8) and changes nothing. */
RTC_CMOS_DEF uint64_t rtc_cmos_model_read(void *m, uint64_t offset, unsigned width);
/** Guest write: 1 byte only. The index port takes the byte (bit 7 the NMI
    mask); the data port writes the byte selected, after bringing the model
    to now: time and RAM bytes as they are, A without UIP, B (SET clears
    UIE), C and D ignored. Other widths and offsets are ignored. */
RTC_CMOS_DEF void rtc_cmos_model_write(void *m, uint64_t offset, unsigned width, uint64_t value);
/** Advance to board time `now` (an earlier time counts as the latest one
    seen): update cycles, flags, IRQ 8. Returns the first board time at
    which a flag that would raise IRQ 8 is set (PF, AF or UF with its
    enable set and the flag clear), or RTC_CMOS_NO_DEADLINE. A set flag
    stays set until C is read, so there is at most one deadline per
    periodic edge (8192 a second, 122 us apart, at the fastest rate) and
    one a second for updates and alarms, however fast the guest acks. */
RTC_CMOS_DEF uint64_t rtc_cmos_model_poll(void *m, uint64_t now);
/** Set the battery clock: at the board time the `now` hook gives, the
    clock reads `unix_seconds` + `nanoseconds` (UTC; `nanoseconds` below
    10^9, larger values count as 999999999). Writes the time bytes and the
    century in the format B says, and, if the divider runs, places it so
    that the next update ends at the next whole second. */
RTC_CMOS_DEF void rtc_cmos_model_set_wall(rtc_cmos_model *m, int64_t unix_seconds,
                                          uint32_t nanoseconds);
/** Bit 7 of the last index written: the board masks NMI while it is set. */
RTC_CMOS_DEF bool rtc_cmos_model_nmi_disabled(const rtc_cmos_model *m);
/** Copy the state into `buf`: returns sizeof(::rtc_cmos_state), or -1,
    writing nothing, if `size` is smaller. */
RTC_CMOS_DEF int64_t rtc_cmos_model_save(void *m, void *buf, size_t size);
/** Load a saved state: returns the bytes used, or -1, changing nothing,
    if `size` is not sizeof(::rtc_cmos_state) or the chip cannot be in the
    state (another version, reserved fields set, UIP or IRQF stored, C bits
    other than the flags, D other than VRT, the divider position a second
    or more, or not half a second while in reset). Then tells the `irq`
    hook the restored level, and calls `wake` if there is a deadline. */
RTC_CMOS_DEF int64_t rtc_cmos_model_restore(void *m, const void *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* RTC_CMOS_H */

/* ======================================================================== */
#ifdef RTC_CMOS_IMPLEMENTATION

#ifndef RTC_CMOS_ASSERT
#define RTC_CMOS_ASSERT(c) ((void)0)
#endif

#define RTC_CMOS__NS_PER_S 1000000000u
#define RTC_CMOS__DAY_S    86400

/* ---- the calendar ---- */

//! [rtc-calendar]
/* Days from 1970-01-01 to y-m-d, proleptic Gregorian. The year is counted
   from March, so that the leap day is the last of its year, and in eras of
   400 years (146097 days), which repeat exactly; so no loop, at any year. */
static int64_t rtc_cmos__days(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    m = m < 1 ? 1 : m > 12 ? 12 : m;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;                                             /* 0-399 */
    doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse: the date `days` after 1970-01-01. */
static void rtc_cmos__civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                 /* 0-146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);          /* from March 1 */
    int64_t mp = (5 * doy + 2) / 153;

    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 1970-01-01 was a Thursday: weekday 5 when Sunday is 1. */
static unsigned rtc_cmos__weekday(int64_t days)
{
    return (unsigned)((days % 7 + 7 + 4) % 7 + 1);
}
//! [rtc-calendar]

RTC_CMOS_DEF int64_t rtc_cmos_time_to_unix(const rtc_cmos_time *t)
{
    return rtc_cmos__days(t->year, t->month, t->day) * RTC_CMOS__DAY_S +
           (int64_t)t->hour * 3600 + (int64_t)t->minute * 60 + t->second;
}

RTC_CMOS_DEF void rtc_cmos_unix_to_time(int64_t unix_seconds, rtc_cmos_time *t)
{
    int64_t days = unix_seconds / RTC_CMOS__DAY_S, secs = unix_seconds % RTC_CMOS__DAY_S, y;
    unsigned m, d;

    if (secs < 0) {
        days--;
        secs += RTC_CMOS__DAY_S;
    }
    rtc_cmos__civil(days, &y, &m, &d);
    t->year = (uint16_t)(uint64_t)y;
    t->month = (uint8_t)m;
    t->day = (uint8_t)d;
    t->hour = (uint8_t)(secs / 3600);
    t->minute = (uint8_t)(secs / 60 % 60);
    t->second = (uint8_t)(secs % 60);
    t->weekday = (uint8_t)rtc_cmos__weekday(days);
}

/* Gregorian with the century byte: every 4th year, but of the century
   years (y = 0) only every 4th century. Exactly the rule for 100c + y. */
static bool rtc_cmos__leap(unsigned c, unsigned y)
{
    return y % 4 == 0 && (y != 0 || c % 4 == 0);
}

/* Days in month `mo`; a month that is not one counts 31. */
static unsigned rtc_cmos__mdays(unsigned c, unsigned y, unsigned mo)
{
    static const uint8_t len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    if (mo < 1 || mo > 12)
        return 31;
    return len[mo - 1] + (mo == 2 && rtc_cmos__leap(c, y));
}

RTC_CMOS_DEF uint32_t rtc_cmos_periodic_ticks(unsigned rs)
{
    /* MC146818A Table 5, 32.768 kHz: rates 1 and 2 repeat the taps of 8
       and 9 (256 and 128 Hz); 3-15 divide by 2^(rs-1): 8192 Hz to 2 Hz. */
    if (rs == 0 || rs > 15)
        return 0;
    if (rs < 3)
        return rs == 1 ? 128u : 256u;
    return 1u << (rs - 1);
}

/* ---- the register formats, for both sides ---- */

/* A byte as a number: BCD digits unless DM says binary. A BCD byte with a
   nibble above 9 still reads as 10 * high + low (up to 165). */
static unsigned rtc_cmos__dec(bool bin, uint8_t b)
{
    return bin ? b : (b >> 4) * 10u + (b & 15u);
}

static uint8_t rtc_cmos__enc(bool bin, unsigned v)
{
    v %= 100;
    return (uint8_t)(bin ? v : (v / 10) << 4 | v % 10);
}

/* Whether `b` is how the format writes its own number. */
static bool rtc_cmos__canon(bool bin, uint8_t b)
{
    return bin || ((b & 15u) < 10 && (b >> 4) < 10);
}

/* Hours 0-23 in the format: 12-hour mode writes 12 AM, 1 AM ... 11 PM as
   12, 1 ... 11 with bit 7 for PM. */
static uint8_t rtc_cmos__hour_byte(bool bin, bool h24, unsigned h)
{
    h %= 24;
    if (h24)
        return rtc_cmos__enc(bin, h);
    return (uint8_t)((h >= 12 ? RTC_CMOS_HOUR_PM : 0) | rtc_cmos__enc(bin, h % 12 ? h % 12 : 12));
}

/* The hour 0-23 an hours byte holds, if it holds one. */
static bool rtc_cmos__hour_of(bool bin, bool h24, uint8_t b, unsigned *h)
{
    uint8_t lo = h24 ? b : (uint8_t)(b & 0x7f);
    unsigned v = rtc_cmos__dec(bin, lo);

    if (!rtc_cmos__canon(bin, lo))
        return false;
    if (h24) {
        *h = v;
        return v < 24;
    }
    *h = v % 12 + (b & RTC_CMOS_HOUR_PM ? 12 : 0);
    return v >= 1 && v <= 12;
}

/* ---- driver ---- */

RTC_CMOS_DEF uint8_t rtc_cmos_drv_get(const rtc_cmos_drv *d, uint8_t index)
{
    d->out(d->ctx, RTC_CMOS_PC_PORT, (uint8_t)(index & RTC_CMOS_INDEX_MASK));
    return d->in(d->ctx, RTC_CMOS_PC_PORT + 1);
}

RTC_CMOS_DEF void rtc_cmos_drv_put(const rtc_cmos_drv *d, uint8_t index, uint8_t v)
{
    d->out(d->ctx, RTC_CMOS_PC_PORT, (uint8_t)(index & RTC_CMOS_INDEX_MASK));
    d->out(d->ctx, RTC_CMOS_PC_PORT + 1, v);
}

/* The bytes of one reading, in this order. */
static const uint8_t rtc_cmos__time_regs[8] = {
    RTC_CMOS_SECONDS, RTC_CMOS_MINUTES, RTC_CMOS_HOURS, RTC_CMOS_WEEKDAY,
    RTC_CMOS_DAY,     RTC_CMOS_MONTH,   RTC_CMOS_YEAR,  RTC_CMOS_CENTURY,
};

static void rtc_cmos__snap(const rtc_cmos_drv *d, uint8_t v[8])
{
    for (unsigned i = 0; i < 8; i++)
        v[i] = rtc_cmos_drv_get(d, rtc_cmos__time_regs[i]);
}

static void rtc_cmos__decode(uint8_t b, const uint8_t v[8], rtc_cmos_time *t)
{
    bool bin = b & RTC_CMOS_B_DM, h24 = b & RTC_CMOS_B_24H;
    unsigned h = 0;

    /* A byte that is no hour (a broken chip) decodes as its number. */
    if (!rtc_cmos__hour_of(bin, h24, v[2], &h))
        h = rtc_cmos__dec(bin, (uint8_t)(v[2] & 0x7f));
    t->second = (uint8_t)rtc_cmos__dec(bin, v[0]);
    t->minute = (uint8_t)rtc_cmos__dec(bin, v[1]);
    t->hour = (uint8_t)h;
    t->weekday = (uint8_t)rtc_cmos__dec(bin, v[3]);
    t->day = (uint8_t)rtc_cmos__dec(bin, v[4]);
    t->month = (uint8_t)rtc_cmos__dec(bin, v[5]);
    t->year = (uint16_t)(rtc_cmos__dec(bin, v[7]) * 100 + rtc_cmos__dec(bin, v[6]));
}

//! [rtc-drv-read]
/* MC146818A: with UIP clear, no update begins for at least 244 us, which
   is plenty for 16 port accesses on real hardware. A virtual CPU can be
   stopped between any two of them, though, so the driver also reads
   everything twice and takes the time only when both readings agree: a
   reading that straddles an update differs from the one after it. */
RTC_CMOS_DEF bool rtc_cmos_drv_read_time(const rtc_cmos_drv *d, rtc_cmos_time *t,
                                         unsigned max_tries)
{
    uint8_t first[8], again[8];

    for (unsigned i = 0; i < max_tries; i++) {
        bool same = true;

        if (rtc_cmos_drv_get(d, RTC_CMOS_REG_A) & RTC_CMOS_A_UIP)
            continue;
        rtc_cmos__snap(d, first);
        rtc_cmos__snap(d, again);
        for (unsigned k = 0; k < 8; k++)
            same = same && first[k] == again[k];
        if (same) {
            rtc_cmos__decode(rtc_cmos_drv_get(d, RTC_CMOS_REG_B), first, t);
            return true;
        }
    }
    return false;
}
//! [rtc-drv-read]

RTC_CMOS_DEF void rtc_cmos_drv_set_time(const rtc_cmos_drv *d, const rtc_cmos_time *t)
{
    uint8_t b = rtc_cmos_drv_get(d, RTC_CMOS_REG_B);
    bool bin = b & RTC_CMOS_B_DM, h24 = b & RTC_CMOS_B_24H;
    int64_t days = rtc_cmos__days(t->year, t->month, t->day);

    rtc_cmos_drv_put(d, RTC_CMOS_REG_B, (uint8_t)(b | RTC_CMOS_B_SET));
    rtc_cmos_drv_put(d, RTC_CMOS_SECONDS, rtc_cmos__enc(bin, t->second));
    rtc_cmos_drv_put(d, RTC_CMOS_MINUTES, rtc_cmos__enc(bin, t->minute));
    rtc_cmos_drv_put(d, RTC_CMOS_HOURS, rtc_cmos__hour_byte(bin, h24, t->hour));
    rtc_cmos_drv_put(d, RTC_CMOS_WEEKDAY, rtc_cmos__enc(bin, rtc_cmos__weekday(days)));
    rtc_cmos_drv_put(d, RTC_CMOS_DAY, rtc_cmos__enc(bin, t->day));
    rtc_cmos_drv_put(d, RTC_CMOS_MONTH, rtc_cmos__enc(bin, t->month));
    rtc_cmos_drv_put(d, RTC_CMOS_YEAR, rtc_cmos__enc(bin, t->year % 100u));
    rtc_cmos_drv_put(d, RTC_CMOS_CENTURY, rtc_cmos__enc(bin, t->year / 100u));
    /* SET cleared UIE on the chip; B as it was brings it back. */
    rtc_cmos_drv_put(d, RTC_CMOS_REG_B, (uint8_t)(b & ~RTC_CMOS_B_SET));
}

RTC_CMOS_DEF void rtc_cmos_drv_periodic(const rtc_cmos_drv *d, unsigned rate)
{
    uint8_t a = (uint8_t)(rtc_cmos_drv_get(d, RTC_CMOS_REG_A) & ~(RTC_CMOS_A_UIP | RTC_CMOS_A_RS_MASK));
    uint8_t b = rtc_cmos_drv_get(d, RTC_CMOS_REG_B);

    if (rate == 0 || rate > 15) {
        rtc_cmos_drv_put(d, RTC_CMOS_REG_B, (uint8_t)(b & ~RTC_CMOS_B_PIE));
        rtc_cmos_drv_put(d, RTC_CMOS_REG_A, a);
        return;
    }
    rtc_cmos_drv_put(d, RTC_CMOS_REG_A, (uint8_t)(a | rate));
    rtc_cmos_drv_put(d, RTC_CMOS_REG_B, (uint8_t)(b | RTC_CMOS_B_PIE));
}

RTC_CMOS_DEF void rtc_cmos_drv_set_alarm(const rtc_cmos_drv *d, int hour, int minute, int second)
{
    uint8_t b = rtc_cmos_drv_get(d, RTC_CMOS_REG_B);
    bool bin = b & RTC_CMOS_B_DM, h24 = b & RTC_CMOS_B_24H;

    rtc_cmos_drv_put(d, RTC_CMOS_SECONDS_ALARM,
                     second >= 0 && second < 60 ? rtc_cmos__enc(bin, (unsigned)second) : 0xff);
    rtc_cmos_drv_put(d, RTC_CMOS_MINUTES_ALARM,
                     minute >= 0 && minute < 60 ? rtc_cmos__enc(bin, (unsigned)minute) : 0xff);
    rtc_cmos_drv_put(d, RTC_CMOS_HOURS_ALARM,
                     hour >= 0 && hour < 24 ? rtc_cmos__hour_byte(bin, h24, (unsigned)hour) : 0xff);
    rtc_cmos_drv_put(d, RTC_CMOS_REG_B, (uint8_t)(b | RTC_CMOS_B_AIE));
}

RTC_CMOS_DEF uint8_t rtc_cmos_drv_ack(const rtc_cmos_drv *d)
{
    return rtc_cmos_drv_get(d, RTC_CMOS_REG_C);
}

/* ---- device model ---- */

#define RTC_CMOS__HOLD_NS 500000000u /* divider position while held in reset */

static bool rtc_cmos__bin(const rtc_cmos_state *s)
{
    return s->ram[RTC_CMOS_REG_B] & RTC_CMOS_B_DM;
}

static bool rtc_cmos__h24(const rtc_cmos_state *s)
{
    return s->ram[RTC_CMOS_REG_B] & RTC_CMOS_B_24H;
}

//! [rtc-count]
/* The update cycle counts a field of values 0 .. radix-1 on by n and
   returns its carries. A field that holds no such value (0x7A seconds, a
   BCD nibble above 9) takes one count by the chip's rule first, "below the
   last value: up by one, else back to 0 and carry", after which it holds a
   value; the rest is one addition, so n can be a century of seconds. */
static uint64_t rtc_cmos__count(bool bin, uint8_t *b, uint64_t n, unsigned radix)
{
    unsigned v = rtc_cmos__dec(bin, *b);
    uint64_t carry = 0, t;

    if (n == 0)
        return 0;
    if (!rtc_cmos__canon(bin, *b) || v >= radix) {
        if (v + 1 < radix) {
            v++;
        } else {
            v = 0;
            carry = 1;
        }
        n--;
    }
    t = v + n;
    *b = rtc_cmos__enc(bin, (unsigned)(t % radix));
    return carry + t / radix;
}

/* Hours: in 24-hour mode a field of 24; in 12-hour mode the same 24 steps
   (12 AM, 1 AM ... 11 PM), and a byte that is no hour becomes 1 of its
   half of the day. */
static uint64_t rtc_cmos__count_hours(const rtc_cmos_state *s, uint8_t *b, uint64_t n)
{
    bool bin = rtc_cmos__bin(s), h24 = rtc_cmos__h24(s);
    unsigned h;
    uint64_t t;

    if (h24 || n == 0)
        return rtc_cmos__count(bin, b, n, 24);
    if (!rtc_cmos__hour_of(bin, false, *b, &h)) {
        h = (*b & RTC_CMOS_HOUR_PM ? 12u : 0u) + 1;
        n--;
    }
    t = h + n;
    *b = rtc_cmos__hour_byte(bin, false, (unsigned)(t % 24));
    return t / 24;
}
//! [rtc-count]

static unsigned rtc_cmos__get(const rtc_cmos_state *s, unsigned i)
{
    return rtc_cmos__dec(rtc_cmos__bin(s), s->ram[i]);
}

static void rtc_cmos__put(rtc_cmos_state *s, unsigned i, unsigned v)
{
    s->ram[i] = rtc_cmos__enc(rtc_cmos__bin(s), v);
}

/* Day, month and year each hold a value of their range (the century may
   hold anything: it is only counted on). */
static bool rtc_cmos__date_valid(const rtc_cmos_state *s)
{
    bool bin = rtc_cmos__bin(s);
    unsigned d = rtc_cmos__get(s, RTC_CMOS_DAY), mo = rtc_cmos__get(s, RTC_CMOS_MONTH);
    unsigned y = rtc_cmos__get(s, RTC_CMOS_YEAR), c = rtc_cmos__get(s, RTC_CMOS_CENTURY);

    return rtc_cmos__canon(bin, s->ram[RTC_CMOS_DAY]) &&
           rtc_cmos__canon(bin, s->ram[RTC_CMOS_MONTH]) &&
           rtc_cmos__canon(bin, s->ram[RTC_CMOS_YEAR]) && mo >= 1 && mo <= 12 && y < 100 &&
           d >= 1 && d <= rtc_cmos__mdays(c, y, mo);
}

/* One day on, by the chip's rule for each field. */
static void rtc_cmos__next_day(rtc_cmos_state *s)
{
    bool bin = rtc_cmos__bin(s);
    unsigned d = rtc_cmos__get(s, RTC_CMOS_DAY), mo = rtc_cmos__get(s, RTC_CMOS_MONTH);
    unsigned y = rtc_cmos__get(s, RTC_CMOS_YEAR), c = rtc_cmos__get(s, RTC_CMOS_CENTURY);

    if (d < rtc_cmos__mdays(c, y, mo)) {
        rtc_cmos__put(s, RTC_CMOS_DAY, d + 1);
        return;
    }
    rtc_cmos__put(s, RTC_CMOS_DAY, 1);
    if (mo < 12) {
        rtc_cmos__put(s, RTC_CMOS_MONTH, mo + 1);
        return;
    }
    rtc_cmos__put(s, RTC_CMOS_MONTH, 1);
    if (rtc_cmos__count(bin, &s->ram[RTC_CMOS_YEAR], 1, 100))
        rtc_cmos__count(bin, &s->ram[RTC_CMOS_CENTURY], 1, 100);
}

/* n days on from a valid date, in at most two jumps: to the first day of
   the next century (the century byte, whatever it holds, counts once
   there), then on from a century that is valid. */
static void rtc_cmos__jump_days(rtc_cmos_state *s, uint64_t n)
{
    unsigned c = rtc_cmos__get(s, RTC_CMOS_CENTURY), mo, d;
    int64_t y = (int64_t)c * 100 + rtc_cmos__get(s, RTC_CMOS_YEAR);
    int64_t from = rtc_cmos__days(y, rtc_cmos__get(s, RTC_CMOS_MONTH), rtc_cmos__get(s, RTC_CMOS_DAY));
    int64_t wrap = rtc_cmos__days((int64_t)(c + 1) * 100, 1, 1);

    if (n >= (uint64_t)(wrap - from)) {
        n -= (uint64_t)(wrap - from);
        rtc_cmos__count(rtc_cmos__bin(s), &s->ram[RTC_CMOS_CENTURY], 1, 100);
        c = rtc_cmos__get(s, RTC_CMOS_CENTURY);
        from = rtc_cmos__days((int64_t)c * 100, 1, 1);
    }
    rtc_cmos__civil(from + (int64_t)n, &y, &mo, &d);
    rtc_cmos__put(s, RTC_CMOS_DAY, d);
    rtc_cmos__put(s, RTC_CMOS_MONTH, mo);
    rtc_cmos__put(s, RTC_CMOS_YEAR, (unsigned)(y % 100));
    /* Within its century the byte is left as it is: one that holds no
       value (0xFA) changes only when year 99 carries into it. */
    if (y / 100 != (int64_t)c)
        rtc_cmos__put(s, RTC_CMOS_CENTURY, (unsigned)(y / 100 % 100));
}

/* The day of the week counts 1-7 on its own; the date walks day by day
   while a field holds no value (a month 0x13 reaches 1 within 32 days, a
   year 0xA0 within 13 months), then jumps. */
static void rtc_cmos__count_days(rtc_cmos_state *s, uint64_t n)
{
    unsigned wd = rtc_cmos__get(s, RTC_CMOS_WEEKDAY), steps = 0;
    uint64_t k = n;

    if (n == 0)
        return;
    if (!rtc_cmos__canon(rtc_cmos__bin(s), s->ram[RTC_CMOS_WEEKDAY]) || wd < 1 || wd > 7) {
        wd = 1;
        k--;
    }
    rtc_cmos__put(s, RTC_CMOS_WEEKDAY, (unsigned)((wd - 1 + k) % 7 + 1));
    while (n > 0 && !rtc_cmos__date_valid(s) && steps++ < 1024) {
        rtc_cmos__next_day(s);
        n--;
    }
    RTC_CMOS_ASSERT(n == 0 || rtc_cmos__date_valid(s));
    if (n > 0 && rtc_cmos__date_valid(s))
        rtc_cmos__jump_days(s, n);
}

/* n seconds on: the carries ripple up the fields. */
static void rtc_cmos__count_seconds(rtc_cmos_state *s, uint64_t n)
{
    bool bin = rtc_cmos__bin(s);
    uint64_t c = rtc_cmos__count(bin, &s->ram[RTC_CMOS_SECONDS], n, 60);

    c = rtc_cmos__count(bin, &s->ram[RTC_CMOS_MINUTES], c, 60);
    c = rtc_cmos__count_hours(s, &s->ram[RTC_CMOS_HOURS], c);
    rtc_cmos__count_days(s, c);
}

/* The time of day as seconds since midnight, if each byte holds a value. */
static bool rtc_cmos__tod(const rtc_cmos_state *s, uint32_t *t)
{
    bool bin = rtc_cmos__bin(s);
    unsigned sec = rtc_cmos__get(s, RTC_CMOS_SECONDS), min = rtc_cmos__get(s, RTC_CMOS_MINUTES), h;

    if (!rtc_cmos__canon(bin, s->ram[RTC_CMOS_SECONDS]) || sec > 59 ||
        !rtc_cmos__canon(bin, s->ram[RTC_CMOS_MINUTES]) || min > 59 ||
        !rtc_cmos__hour_of(bin, rtc_cmos__h24(s), s->ram[RTC_CMOS_HOURS], &h))
        return false;
    *t = (uint32_t)(h * 3600 + min * 60 + sec);
    return true;
}

//! [rtc-alarm]
/* MC146818A: an alarm byte with its two top bits set matches any value;
   otherwise the chip compares the bytes as they are. */
static bool rtc_cmos__alarm_now(const rtc_cmos_state *s)
{
    static const uint8_t pair[3][2] = {
        { RTC_CMOS_SECONDS_ALARM, RTC_CMOS_SECONDS },
        { RTC_CMOS_MINUTES_ALARM, RTC_CMOS_MINUTES },
        { RTC_CMOS_HOURS_ALARM, RTC_CMOS_HOURS },
    };

    for (unsigned i = 0; i < 3; i++) {
        uint8_t a = s->ram[pair[i][0]];

        if ((a & RTC_CMOS_ALARM_ANY) != RTC_CMOS_ALARM_ANY && a != s->ram[pair[i][1]])
            return false;
    }
    return true;
}

/* An alarm byte as a value to match: -1 any, -2 one no time holds. */
static int rtc_cmos__alarm_field(const rtc_cmos_state *s, unsigned i, unsigned radix)
{
    bool bin = rtc_cmos__bin(s);
    uint8_t a = s->ram[i];
    unsigned v;

    if ((a & RTC_CMOS_ALARM_ANY) == RTC_CMOS_ALARM_ANY)
        return -1;
    if (i == RTC_CMOS_HOURS_ALARM)
        return rtc_cmos__hour_of(bin, rtc_cmos__h24(s), a, &v) ? (int)v : -2;
    v = rtc_cmos__dec(bin, a);
    return rtc_cmos__canon(bin, a) && v < radix ? (int)v : -2;
}

/* Seconds from time of day t0 to the next one the alarm matches (1 to
   86400), or 0 if none can: at most 25 hours of 60 minutes are tried. */
static uint32_t rtc_cmos__to_alarm(const rtc_cmos_state *s, uint32_t t0)
{
    int as = rtc_cmos__alarm_field(s, RTC_CMOS_SECONDS_ALARM, 60);
    int am = rtc_cmos__alarm_field(s, RTC_CMOS_MINUTES_ALARM, 60);
    int ah = rtc_cmos__alarm_field(s, RTC_CMOS_HOURS_ALARM, 24);
    uint32_t h0 = t0 / 3600, ms0 = t0 % 3600;

    if (as == -2 || am == -2 || ah == -2)
        return 0;
    for (uint32_t k = 0; k <= 24; k++) {
        if (ah >= 0 && (h0 + k) % 24 != (uint32_t)ah)
            continue;
        for (uint32_t mi = k ? 0 : ms0 / 60; mi < 60; mi++) {
            uint32_t from = k == 0 && mi == ms0 / 60 ? ms0 % 60 + 1 : 0;
            uint32_t sec = as >= 0 ? (uint32_t)as : from;

            if ((am >= 0 && mi != (uint32_t)am) || sec < from || sec > 59)
                continue;
            return k * 3600 + mi * 60 + sec - ms0;
        }
    }
    RTC_CMOS_ASSERT(0); /* some time of day matches every pattern of values */
    return 0;
}
//! [rtc-alarm]

/* n update cycles have ended: the time moves n seconds on, UF is set, and
   AF if one of the n new times matched the alarm. While a time-of-day
   byte holds no value the cycles are taken one at a time (they hold one
   again within an hour and a minute); then the next match is computed. */
static void rtc_cmos__updates(rtc_cmos_model *m, uint64_t n)
{
    rtc_cmos_state *s = &m->s;
    uint32_t t0, k;
    unsigned steps = 0;

    if (n == 0)
        return;
    m->stats.updates += n;
    s->ram[RTC_CMOS_REG_C] |= RTC_CMOS_C_UF;
    while (n > 0 && !rtc_cmos__tod(s, &t0) && steps++ < 3700) {
        rtc_cmos__count_seconds(s, 1);
        n--;
        if (rtc_cmos__alarm_now(s))
            s->ram[RTC_CMOS_REG_C] |= RTC_CMOS_C_AF;
    }
    if (n == 0)
        return;
    RTC_CMOS_ASSERT(rtc_cmos__tod(s, &t0));
    if (rtc_cmos__tod(s, &t0) && (k = rtc_cmos__to_alarm(s, t0)) != 0 && k <= n)
        s->ram[RTC_CMOS_REG_C] |= RTC_CMOS_C_AF;
    rtc_cmos__count_seconds(s, n);
}

static bool rtc_cmos__running(const rtc_cmos_state *s)
{
    return (s->ram[RTC_CMOS_REG_A] & RTC_CMOS_A_DV_MASK) == RTC_CMOS_A_DV_32KHZ;
}

static bool rtc_cmos__in_reset(uint8_t a)
{
    return (a & RTC_CMOS_A_DV_RESET) == RTC_CMOS_A_DV_RESET;
}

//! [rtc-divider]
/* The divider as one number, p: ns since its second began. Its 32768 Hz
   ticks are floor(p * 32768 / 10^9) = floor(p * 64 / 1953125), exact, for
   p up to two seconds; a tick's first ns is the inverse, rounded up. */
static uint64_t rtc_cmos__tick_at(uint64_t p)
{
    return p * 64 / 1953125;
}

static uint64_t rtc_cmos__ns_at_tick(uint64_t j)
{
    return (j * 1953125 + 63) / 64;
}

/* Move to board time `now`. Whole seconds of the gap hold the same events
   every time (32768 / period edges, one update), so only the remainder
   is looked at: any gap costs the same few divisions. */
static void rtc_cmos__advance(rtc_cmos_model *m, uint64_t now)
{
    rtc_cmos_state *s = &m->s;
    uint64_t d, q, p, end, upd;
    uint32_t per;

    if (now <= s->last_ns)
        return;
    d = now - s->last_ns;
    s->last_ns = now;
    if (!rtc_cmos__running(s))
        return; /* the chain is held: nothing moves */
    q = d / RTC_CMOS__NS_PER_S;
    p = s->pos_ns;
    end = p + d % RTC_CMOS__NS_PER_S; /* < 2 s */
    per = rtc_cmos_periodic_ticks(s->ram[RTC_CMOS_REG_A] & RTC_CMOS_A_RS_MASK);
    if (per) {
        uint64_t edges = q * (RTC_CMOS_HZ / per) + rtc_cmos__tick_at(end) / per -
                         rtc_cmos__tick_at(p) / per;

        if (edges) {
            s->ram[RTC_CMOS_REG_C] |= RTC_CMOS_C_PF;
            m->stats.periodic += edges;
        }
    }
    /* An update cycle ends tUC into each second. */
    upd = q + (p < RTC_CMOS_TUC_NS && RTC_CMOS_TUC_NS <= end) +
          (p < RTC_CMOS_TUC_NS + RTC_CMOS__NS_PER_S && RTC_CMOS_TUC_NS + RTC_CMOS__NS_PER_S <= end);
    s->pos_ns = (uint32_t)(end % RTC_CMOS__NS_PER_S);
    RTC_CMOS_ASSERT(s->pos_ns < RTC_CMOS__NS_PER_S);
    if (!(s->ram[RTC_CMOS_REG_B] & RTC_CMOS_B_SET))
        rtc_cmos__updates(m, upd);
}
//! [rtc-divider]

//! [rtc-uip]
/* UIP: from tBUC before the cycle begins (the divider's second) until it
   ends, tUC after; never while SET holds the updates or the chain stands. */
static bool rtc_cmos__uip(const rtc_cmos_state *s)
{
    if (!rtc_cmos__running(s) || (s->ram[RTC_CMOS_REG_B] & RTC_CMOS_B_SET))
        return false;
    return s->pos_ns >= RTC_CMOS__NS_PER_S - RTC_CMOS_TBUC_NS || s->pos_ns < RTC_CMOS_TUC_NS;
}
//! [rtc-uip]

//! [rtc-irq]
/* IRQF = PF.PIE + AF.AIE + UF.UIE: each flag sits at its enable's bit. The
   level is never stored; each entry point notes it first and tells the
   hook at the end if the registers have moved it. */
static bool rtc_cmos__irqf(const rtc_cmos_state *s)
{
    return (s->ram[RTC_CMOS_REG_C] & s->ram[RTC_CMOS_REG_B] & RTC_CMOS_C_FLAGS) != 0;
}

static void rtc_cmos__follow(rtc_cmos_model *m, bool was)
{
    bool level = rtc_cmos__irqf(&m->s);

    if (level == was)
        return;
    m->stats.irqs += level;
    if (m->hooks.irq)
        m->hooks.irq(m->hooks.ctx, level);
}
//! [rtc-irq]

/* last_ns + dt, or RTC_CMOS_NO_DEADLINE if that is not below it: written
   so that no operand wraps, even with last_ns at UINT64_MAX. */
static uint64_t rtc_cmos__after(const rtc_cmos_state *s, uint64_t dt)
{
    return dt >= UINT64_MAX - s->last_ns ? RTC_CMOS_NO_DEADLINE : s->last_ns + dt;
}

static uint64_t rtc_cmos__min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

//! [rtc-deadline]
/* The first time a flag that would raise IRQ 8 is set: a flag with its
   enable set that is clear now. A flag already set, or not enabled, is
   computed when C is read, and needs no call. */
static uint64_t rtc_cmos__deadline(const rtc_cmos_model *m)
{
    const rtc_cmos_state *s = &m->s;
    uint8_t b = s->ram[RTC_CMOS_REG_B], c = s->ram[RTC_CMOS_REG_C];
    uint32_t per = rtc_cmos_periodic_ticks(s->ram[RTC_CMOS_REG_A] & RTC_CMOS_A_RS_MASK), t0, k;
    uint64_t p = s->pos_ns, best = RTC_CMOS_NO_DEADLINE, to_update;

    if (!rtc_cmos__running(s))
        return RTC_CMOS_NO_DEADLINE;
    if ((b & RTC_CMOS_B_PIE) && !(c & RTC_CMOS_C_PF) && per) {
        uint64_t j = (rtc_cmos__tick_at(p) / per + 1) * per;

        best = rtc_cmos__after(s, rtc_cmos__ns_at_tick(j) - p);
    }
    if (b & RTC_CMOS_B_SET)
        return best;
    to_update = p < RTC_CMOS_TUC_NS ? RTC_CMOS_TUC_NS - p : RTC_CMOS_TUC_NS + RTC_CMOS__NS_PER_S - p;
    if ((b & RTC_CMOS_B_UIE) && !(c & RTC_CMOS_C_UF))
        best = rtc_cmos__min(best, rtc_cmos__after(s, to_update));
    if ((b & RTC_CMOS_B_AIE) && !(c & RTC_CMOS_C_AF)) {
        if (!rtc_cmos__tod(s, &t0)) /* counted one cycle at a time */
            best = rtc_cmos__min(best, rtc_cmos__after(s, to_update));
        else if ((k = rtc_cmos__to_alarm(s, t0)) != 0)
            best = rtc_cmos__min(best, rtc_cmos__after(s, to_update + (k - 1) * (uint64_t)RTC_CMOS__NS_PER_S));
    }
    RTC_CMOS_ASSERT(best == RTC_CMOS_NO_DEADLINE || best > s->last_ns);
    return best;
}
//! [rtc-deadline]

static uint64_t rtc_cmos__now(const rtc_cmos_model *m)
{
    return m->hooks.now ? m->hooks.now(m->hooks.ctx) : m->s.last_ns;
}

static uint64_t rtc_cmos__ones(unsigned width)
{
    return width >= 1 && width < 8 ? (1ull << (8 * width)) - 1 : UINT64_MAX;
}

static void rtc_cmos__copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;

    while (n--)
        *d++ = *s++;
}

static void rtc_cmos__wake_if(rtc_cmos_model *m, uint64_t due)
{
    if (rtc_cmos__deadline(m) < due && m->hooks.wake)
        m->hooks.wake(m->hooks.ctx);
}

RTC_CMOS_DEF void rtc_cmos_model_init(rtc_cmos_model *m, const rtc_cmos_model_hooks *h)
{
    rtc_cmos_state *s = &m->s;

    for (size_t i = 0; i < sizeof *m; i++)
        ((uint8_t *)m)[i] = 0;
    if (h)
        m->hooks = *h;
    s->version = RTC_CMOS_STATE_VERSION;
    s->ram[RTC_CMOS_REG_A] = RTC_CMOS_A_POWER_ON;
    s->ram[RTC_CMOS_REG_B] = RTC_CMOS_B_POWER_ON;
    s->ram[RTC_CMOS_REG_D] = RTC_CMOS_D_VRT;
    s->last_ns = rtc_cmos__now(m);
    rtc_cmos_model_set_wall(m, RTC_CMOS_POWER_ON_UNIX, 0);
    rtc_cmos_model_reset(m);
}

/* MC146818A, RESET: the enables of B but DM, 24/12 and DSE (and SET), and
   every flag of C, are cleared; the time, A and the RAM are not touched. */
RTC_CMOS_DEF void rtc_cmos_model_reset(void *m)
{
    rtc_cmos_model *r = (rtc_cmos_model *)m;
    bool was = rtc_cmos__irqf(&r->s);

    rtc_cmos__advance(r, rtc_cmos__now(r));
    r->s.ram[RTC_CMOS_REG_B] &= (uint8_t)~(RTC_CMOS_B_PIE | RTC_CMOS_B_AIE | RTC_CMOS_B_UIE | RTC_CMOS_B_SQWE);
    r->s.ram[RTC_CMOS_REG_C] = 0;
    rtc_cmos__follow(r, was);
}

//! [rtc-access]
/* One byte at a time, at two ports. Every data access first brings the
   chip to the board's time, so a read sees the updates and flags due by
   now; reading C hands them over and clears them, and writing an enable
   or the divider can move the deadline earlier, which wakes the board. */
RTC_CMOS_DEF uint64_t rtc_cmos_model_read(void *m, uint64_t offset, unsigned width)
{
    rtc_cmos_model *r = (rtc_cmos_model *)m;
    rtc_cmos_state *s = &r->s;
    bool was = rtc_cmos__irqf(s);
    unsigned i = s->index & RTC_CMOS_INDEX_MASK;
    uint64_t v, due;

    if (width != 1 || offset > RTC_CMOS_MODEL_DATA)
        return rtc_cmos__ones(width);
    if (offset == RTC_CMOS_MODEL_INDEX)
        return 0xff; /* write-only on a PC */
    rtc_cmos__advance(r, rtc_cmos__now(r));
    if (i == RTC_CMOS_REG_A) {
        v = s->ram[i] | (rtc_cmos__uip(s) ? RTC_CMOS_A_UIP : 0);
    } else if (i == RTC_CMOS_REG_C) {
        v = s->ram[i] | (rtc_cmos__irqf(s) ? RTC_CMOS_C_IRQF : 0);
        due = rtc_cmos__deadline(r);
        s->ram[i] = 0;
        rtc_cmos__follow(r, was);
        rtc_cmos__wake_if(r, due);
        return v;
    } else {
        v = s->ram[i];
    }
    rtc_cmos__follow(r, was);
    return v;
}

/* Register A: UIP is read-only. Entering divider reset stands the chain at
   half a second, where it stays until DV = 010 starts it. */
static void rtc_cmos__write_a(rtc_cmos_state *s, uint8_t v)
{
    v &= (uint8_t)~RTC_CMOS_A_UIP;
    if (rtc_cmos__in_reset(v))
        s->pos_ns = RTC_CMOS__HOLD_NS;
    s->ram[RTC_CMOS_REG_A] = v;
}

RTC_CMOS_DEF void rtc_cmos_model_write(void *m, uint64_t offset, unsigned width, uint64_t value)
{
    rtc_cmos_model *r = (rtc_cmos_model *)m;
    rtc_cmos_state *s = &r->s;
    unsigned i = s->index & RTC_CMOS_INDEX_MASK;
    uint8_t v = (uint8_t)value;
    bool was;
    uint64_t due;

    if (width != 1 || offset > RTC_CMOS_MODEL_DATA)
        return;
    if (offset == RTC_CMOS_MODEL_INDEX) {
        s->index = v; /* bit 7 masks NMI; the select is masked on use */
        return;
    }
    was = rtc_cmos__irqf(s);
    rtc_cmos__advance(r, rtc_cmos__now(r));
    due = rtc_cmos__deadline(r);
    if (i == RTC_CMOS_REG_A) {
        rtc_cmos__write_a(s, v);
    } else if (i == RTC_CMOS_REG_B) {
        /* MC146818A: SET going high ends any cycle and clears UIE. */
        s->ram[i] = v & RTC_CMOS_B_SET ? (uint8_t)(v & ~RTC_CMOS_B_UIE) : v;
    } else if (i != RTC_CMOS_REG_C && i != RTC_CMOS_REG_D) {
        s->ram[i] = v; /* time, alarm and RAM bytes take any value */
    }
    rtc_cmos__follow(r, was);
    rtc_cmos__wake_if(r, due);
}
//! [rtc-access]

RTC_CMOS_DEF uint64_t rtc_cmos_model_poll(void *m, uint64_t now)
{
    rtc_cmos_model *r = (rtc_cmos_model *)m;
    bool was = rtc_cmos__irqf(&r->s);

    rtc_cmos__advance(r, now);
    rtc_cmos__follow(r, was);
    return rtc_cmos__deadline(r);
}

RTC_CMOS_DEF void rtc_cmos_model_set_wall(rtc_cmos_model *m, int64_t unix_seconds,
                                          uint32_t nanoseconds)
{
    rtc_cmos_state *s = &m->s;
    bool bin, h24, was = rtc_cmos__irqf(s);
    rtc_cmos_time t;
    uint64_t due;

    rtc_cmos__advance(m, rtc_cmos__now(m));
    due = rtc_cmos__deadline(m);
    bin = rtc_cmos__bin(s);
    h24 = rtc_cmos__h24(s);
    if (nanoseconds >= RTC_CMOS__NS_PER_S)
        nanoseconds = RTC_CMOS__NS_PER_S - 1;
    rtc_cmos_unix_to_time(unix_seconds, &t);
    s->ram[RTC_CMOS_SECONDS] = rtc_cmos__enc(bin, t.second);
    s->ram[RTC_CMOS_MINUTES] = rtc_cmos__enc(bin, t.minute);
    s->ram[RTC_CMOS_HOURS] = rtc_cmos__hour_byte(bin, h24, t.hour);
    s->ram[RTC_CMOS_WEEKDAY] = rtc_cmos__enc(bin, t.weekday);
    s->ram[RTC_CMOS_DAY] = rtc_cmos__enc(bin, t.day);
    s->ram[RTC_CMOS_MONTH] = rtc_cmos__enc(bin, t.month);
    s->ram[RTC_CMOS_YEAR] = rtc_cmos__enc(bin, t.year % 100u);
    s->ram[RTC_CMOS_CENTURY] = rtc_cmos__enc(bin, t.year / 100u);
    /* The next update ends, and the clock reads the next second, exactly
       when the wall clock does: tUC into the divider's second. */
    if (rtc_cmos__running(s))
        s->pos_ns = (RTC_CMOS_TUC_NS + nanoseconds) % RTC_CMOS__NS_PER_S;
    rtc_cmos__follow(m, was);
    rtc_cmos__wake_if(m, due);
}

RTC_CMOS_DEF bool rtc_cmos_model_nmi_disabled(const rtc_cmos_model *m)
{
    return m->s.index & RTC_CMOS_NMI_DISABLE;
}

RTC_CMOS_DEF int64_t rtc_cmos_model_save(void *m, void *buf, size_t size)
{
    rtc_cmos_model *r = (rtc_cmos_model *)m;

    if (size < sizeof r->s)
        return -1;
    rtc_cmos__copy(buf, &r->s, sizeof r->s);
    return (int64_t)sizeof r->s;
}

/* A state the chip can be in: UIP and IRQF are never stored, C holds only
   flags, D only VRT, SET and UIE are never both set (SET clears UIE), and
   a divider in reset stands at half a second. */
static bool rtc_cmos__valid(const rtc_cmos_state *s)
{
    uint8_t a = s->ram[RTC_CMOS_REG_A], b = s->ram[RTC_CMOS_REG_B];

    return s->version == RTC_CMOS_STATE_VERSION && !s->reserved[0] && !s->reserved[1] &&
           !s->reserved[2] && !s->reserved2 && s->pos_ns < RTC_CMOS__NS_PER_S &&
           !(a & RTC_CMOS_A_UIP) && !(s->ram[RTC_CMOS_REG_C] & ~RTC_CMOS_C_FLAGS) &&
           s->ram[RTC_CMOS_REG_D] == RTC_CMOS_D_VRT &&
           !((b & RTC_CMOS_B_SET) && (b & RTC_CMOS_B_UIE)) &&
           (!rtc_cmos__in_reset(a) || s->pos_ns == RTC_CMOS__HOLD_NS);
}

RTC_CMOS_DEF int64_t rtc_cmos_model_restore(void *m, const void *buf, size_t size)
{
    rtc_cmos_model *r = (rtc_cmos_model *)m;
    rtc_cmos_state in;

    /* A snapshot is input like any other: check it before trusting it. */
    if (size != sizeof in)
        return -1;
    rtc_cmos__copy(&in, buf, sizeof in);
    if (!rtc_cmos__valid(&in))
        return -1;
    r->s = in;
    if (r->hooks.irq)
        r->hooks.irq(r->hooks.ctx, rtc_cmos__irqf(&r->s));
    if (rtc_cmos__deadline(r) != RTC_CMOS_NO_DEADLINE && r->hooks.wake)
        r->hooks.wake(r->hooks.ctx);
    return (int64_t)sizeof in;
}

#endif /* RTC_CMOS_IMPLEMENTATION */


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
