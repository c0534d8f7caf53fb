/* acpi_pm.h - the ACPI PM1 block and PM timer: one register map, a driver and
   a device model.

   WHAT IT IS
   The fixed-hardware power-management registers every ACPI PC has: the
   PM1a event block (status and enable), the PM1a control block and the
   power management timer, a free-running counter at 3.579545 MHz. The
   FADT says where they are. This header holds both roles that meet at
   those registers:
     - the driver (acpi_pm_drv_*), which a kernel uses to read the timer
       and measure time with it;
     - the device model (acpi_pm_model_*), which a monitor uses to emulate
       the block, with the model contract of book/chipset.md, "The shape of
       a device model".
   They share the register and bit names below, so the driver can be run on
   the host straight against the model (that is how the tests check both).

   HARDWARE
   ACPI 6.5: section 4.8.2.1 (the PM timer: 3.579545 MHz, 24 bits, or 32
   with the FADT's TMR_VAL_EXT), 4.8.3 (registers are accessed at their own
   width), 4.8.3.1 (the PM1 event grouping: status then enable, each half
   of PM1_EVT_LEN; 4.8.3.1.1 and 4.8.3.1.2 give the bits), 4.8.3.2 (PM1
   control; 4.8.3.2.1 its bits) and 5.2.9 (the FADT's block addresses,
   lengths and flags). The block's placement, base port 0x600, is the one
   PC firmware programs into the PIIX4's power-management function, and
   QEMU's `-M pc` has it there too.

   Registers, from the block's base (port 0x600 on a PC):

     offset  width  name      access
     0x0     16     PM1_STS   read; write 1 to clear
     0x2     16     PM1_EN    read/write
     0x4     16     PM1_CNT   read/write (SLP_EN, GBL_RLS write-only)
     0x8     32     PM_TMR    read-only

   Sleep states and soft-off (4.8.3.2.1, 7.4.2): SLP_TYP is stored and
   reads back; a write with SLP_EN set hands the SLP_TYP it carries to the
   board's `sleep` hook, which decides what that type means (our board:
   soft-off, S5, for the type its DSDT's \_S5 object names). SLP_EN itself
   is never stored, and without the hook the write does nothing more (the
   guest stays running). The model has no sleeping state: no WAK_STS, no
   wake. The power button, sleep button, RTC alarm, global lock and wake
   events never happen, so their status bits stay 0. There is no SMM:
   the machine is always in ACPI mode, so SCI_EN is set at power-on (the
   FADT has no SMI_CMD port).

   BOOK
   book/firmware.md, "The PM timer" and "Power off and reset".

   USAGE
   In exactly one C file:
       #define ACPI_PM_IMPLEMENTATION
       #include "acpi_pm.h"
   Driver, given a 32-bit port read and what the FADT says:
       acpi_pm_drv d = { my_inl, my_ctx, fadt_pm_tmr_port, fadt_tmr_val_ext };
       uint32_t t0 = acpi_pm_drv_read_timer(&d);
       ...
       uint32_t ticks = acpi_pm_drv_elapsed(&d, t0, acpi_pm_drv_read_timer(&d));
       // ticks / ACPI_PM_TMR_HZ seconds, for gaps shorter than one wrap
   Model, in a monitor (board time in ns from the `now` hook):
       acpi_pm_model m;
       acpi_pm_model_hooks h = { board_now, set_sci_line, poll_me_again,
                                 enter_sleep_type, ctx };
       acpi_pm_model_init(&m, &h);                  // a 24-bit timer, from now
       m.cfg.tmr_32bit = fadt_says_tmr_val_ext;     // before the first access
       v = acpi_pm_model_read(&m, port - ACPI_PM_PC_BASE, width);
       next = acpi_pm_model_poll(&m, now);          // when TMR_STS raises the SCI

   OVERRIDABLE MACROS (define before the include)
     ACPI_PM_DEF     linkage of public functions   (default: extern)
     ACPI_PM_STATIC  define it to make every public function static
     ACPI_PM_ASSERT  assertion for the model's internal invariants: the time
                     last seen is never before the counter's start, the
                     count of top-bit changes never goes down, a deadline
                     is the first nanosecond of the tick it names and lies
                     after the time last seen (default: none). Never called
                     on guest input, which is handled.

   LICENSE at the end of the file.
*/
#ifndef ACPI_PM_H
#define ACPI_PM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under ACPI_PM_STATIC. */
#ifndef ACPI_PM_DEF
#ifdef ACPI_PM_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define ACPI_PM_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define ACPI_PM_DEF static
#endif
#else
#define ACPI_PM_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file acpi_pm.h
    @brief ACPI PM1 block and PM timer: register map, driver and device model.
    See @ref firmware.

    Tests: tests/acpi_pm_test.c. Used alone: book/alone/acpi_pm.c, shown in
    the chapter's appendix. */

//! [pm-registers]
/* Where a PC has the block, and how the FADT describes it: three blocks
   at offsets from one base, each with the length its FADT field gives. */
#define ACPI_PM_PC_BASE 0x600u /**< I/O base on a PC (PIIX4 as firmware sets it, QEMU -M pc) */
#define ACPI_PM_LEN     12u    /**< ports the model answers: event 4, control 2 (+2 gap), timer 4 */
#define ACPI_PM_EVT_OFF 0x0u   /**< PM1a_EVT_BLK: status, then enable */
#define ACPI_PM_EVT_LEN 4u     /**< PM1_EVT_LEN */
#define ACPI_PM_CNT_OFF 0x4u   /**< PM1a_CNT_BLK */
#define ACPI_PM_CNT_LEN 2u     /**< PM1_CNT_LEN */
#define ACPI_PM_TMR_OFF 0x8u   /**< PM_TMR_BLK */
#define ACPI_PM_TMR_LEN 4u     /**< PM_TMR_LEN */

/* Register offsets from the base: the model's offset space. */
#define ACPI_PM_STS 0x0u /**< PM1_STS, 16 bits: event status, write 1 to clear */
#define ACPI_PM_EN  0x2u /**< PM1_EN, 16 bits: event enables */
#define ACPI_PM_CNT 0x4u /**< PM1_CNT, 16 bits: control */
#define ACPI_PM_TMR 0x8u /**< PM_TMR, 32 bits: the counter, read-only */

/* PM1_STS and PM1_EN bits (4.8.3.1.1, 4.8.3.1.2): an event's status bit
   and its enable bit share a position. */
#define ACPI_PM_TMR_STS         (1u << 0)  /**< the counter's top bit changed */
#define ACPI_PM_TMR_EN          (1u << 0)  /**< TMR_STS raises the SCI */
#define ACPI_PM_BM_STS          (1u << 4)  /**< bus master activity (status only) */
#define ACPI_PM_GBL_STS         (1u << 5)  /**< the global lock was released */
#define ACPI_PM_GBL_EN          (1u << 5)  /**< GBL_STS raises the SCI */
#define ACPI_PM_PWRBTN_STS      (1u << 8)  /**< power button pressed */
#define ACPI_PM_PWRBTN_EN       (1u << 8)  /**< PWRBTN_STS raises the SCI */
#define ACPI_PM_SLPBTN_STS      (1u << 9)  /**< sleep button pressed */
#define ACPI_PM_SLPBTN_EN       (1u << 9)  /**< SLPBTN_STS raises the SCI */
#define ACPI_PM_RTC_STS         (1u << 10) /**< RTC alarm */
#define ACPI_PM_RTC_EN          (1u << 10) /**< RTC_STS raises the SCI */
#define ACPI_PM_PCIEXP_WAKE_STS (1u << 14) /**< PCI Express wake event */
#define ACPI_PM_PCIEXP_WAKE_DIS (1u << 14) /**< in PM1_EN a disable, not an enable */
#define ACPI_PM_WAK_STS         (1u << 15) /**< woken from sleep (status only) */
#define ACPI_PM_STS_BITS   0xc731u /**< the status bits the spec defines */
#define ACPI_PM_EN_BITS    0x4721u /**< the enable bits the spec defines */
#define ACPI_PM_SCI_EVENTS 0x0721u /**< events that raise the SCI when enabled */

/* PM1_CNT bits (4.8.3.2.1). */
#define ACPI_PM_SCI_EN         (1u << 0)  /**< events go to the SCI (not SMI) */
#define ACPI_PM_BM_RLD         (1u << 1)  /**< bus master requests wake from C3 */
#define ACPI_PM_GBL_RLS        (1u << 2)  /**< write-only: release the global lock; reads 0 */
#define ACPI_PM_SLP_TYP_SHIFT  10         /**< SLP_TYP, bits 12:10 */
#define ACPI_PM_SLP_TYP_MASK   (7u << 10) /**< the sleep type field */
/** The sleep type in a PM1_CNT value. */
#define ACPI_PM_SLP_TYP(v)     (((v) >> ACPI_PM_SLP_TYP_SHIFT) & 7u)
#define ACPI_PM_SLP_EN         (1u << 13) /**< write-only: enter SLP_TYP; reads 0 */
/** The PM1_CNT bits that are stored and read back. */
#define ACPI_PM_CNT_KEEP       (ACPI_PM_SCI_EN | ACPI_PM_BM_RLD | ACPI_PM_SLP_TYP_MASK)

/** The timer's rate (4.8.2.1): the PC's 14.31818 MHz crystal divided by 4. */
#define ACPI_PM_TMR_HZ 3579545u
//! [pm-registers]

/** Timer ticks in `ns` nanoseconds from a count of 0: exactly
    floor(ns * 3579545 / 10^9), for every 64-bit `ns`, with no 128-bit
    arithmetic. */
ACPI_PM_DEF uint64_t acpi_pm_ticks(uint64_t ns);

/* ---- driver ------------------------------------------------------------ */

/** How the driver reaches the timer: a 32-bit read of an I/O port, and
    what the FADT says about it. */
typedef struct acpi_pm_drv {
    uint32_t (*read)(void *ctx, uint16_t port); /**< a 32-bit IN from `port` */
    void *ctx;                                  /**< passed to `read` */
    uint16_t timer_port; /**< PM_TMR_BLK, or X_PM_TMR_BLK in I/O space */
    bool tmr_32bit;      /**< the FADT's TMR_VAL_EXT: 32 bits, else 24 */
} acpi_pm_drv;

/** The counter now: a 32-bit read of the timer port, cut to 24 bits unless
    `tmr_32bit` (the top byte of a 24-bit timer is reserved). */
ACPI_PM_DEF uint32_t acpi_pm_drv_read_timer(const acpi_pm_drv *d);
/** Ticks from reading `from` to the later reading `to`, across a wrap of
    the counter: (to - from) modulo 2^24, or 2^32 with `tmr_32bit`. Right
    only if less than one wrap lies between them (4.69 s for 24 bits, 20
    minutes for 32). */
ACPI_PM_DEF uint32_t acpi_pm_drv_elapsed(const acpi_pm_drv *d, uint32_t from, uint32_t to);

/* ---- device model ------------------------------------------------------ */

/** Version of ::acpi_pm_state; bumped when its layout changes. */
#define ACPI_PM_STATE_VERSION 1u
/** acpi_pm_model_poll()'s answer when the model needs no call at any time. */
#define ACPI_PM_NO_DEADLINE UINT64_MAX

/** Everything the block remembers: plain data, so save and restore are a
    copy. The counter is not stored: it is the ticks from `start_ns` to
    `last_ns`, so it never drifts, and TMR_STS follows from the same
    number (the top bit has changed ticks >> 23 times, or >> 31). */
typedef struct acpi_pm_state {
    uint32_t version;     /**< ACPI_PM_STATE_VERSION */
    uint16_t sts;         /**< PM1_STS: only TMR_STS is ever set here */
    uint16_t en;          /**< PM1_EN, within ACPI_PM_EN_BITS */
    uint16_t cnt;         /**< PM1_CNT, within ACPI_PM_CNT_KEEP */
    uint16_t reserved[3]; /**< zero */
    uint64_t start_ns;    /**< board time at which the counter read 0 */
    uint64_t last_ns;     /**< latest board time seen, never before start_ns */
} acpi_pm_state;

/** How the model reaches the outside world. Every hook may be NULL. */
typedef struct acpi_pm_model_hooks {
    /** Board time now, in ns (one clock with poll's `now`). Asked when the
        guest reads the timer or PM1_STS, writes a register, and at reset.
        NULL: the time of the last acpi_pm_model_poll() (0 at reset). */
    uint64_t (*now)(void *ctx);
    /** The SCI output changed level (a level line: ISA IRQ 9 on a PC).
        Called on changes only, but told the level after a restore. */
    void (*sci)(void *ctx, bool level);
    /** The model's next deadline moved earlier (the guest set TMR_EN or
        SCI_EN, or cleared TMR_STS while both were set), or a restore left
        one: call acpi_pm_model_poll() soon. */
    void (*wake)(void *ctx);
    /** The guest wrote PM1_CNT with SLP_EN set: enter sleep type `slp_typ`
        (0..7, the SLP_TYP bits of that same write; 4.8.3.2.1). Called once
        per such write, after the register holds the new value. What each
        type means is the board's: the packages the DSDT names _S1 to _S5
        (7.4.2). NULL: nothing happens, the guest keeps running. */
    void (*sleep)(void *ctx, unsigned slp_typ);
    void *ctx; /**< passed to every hook */
} acpi_pm_model_hooks;

/** What the board fixes before the guest's first access. */
typedef struct acpi_pm_model_cfg {
    /** A 32-bit counter, as the FADT's TMR_VAL_EXT says; false (the
        default) is a 24-bit one, as on QEMU's PIIX4 and our board. */
    bool tmr_32bit;
} acpi_pm_model_cfg;

/** The PM1a event and control blocks and the PM timer as a guest sees
    them. Caller-owned; one struct per block. */
typedef struct acpi_pm_model {
    acpi_pm_state s;           /**< machine state: the only part saved */
    acpi_pm_model_hooks hooks; /**< wiring, not saved */
    acpi_pm_model_cfg cfg;     /**< set after init, before the first access */
} acpi_pm_model;

/** Zero `m`, copy `*h` (NULL: no hooks), set `cfg` to its defaults (a
    24-bit timer) and reset, which asks the `now` hook for the counter's
    start; no other hook is called. */
ACPI_PM_DEF void acpi_pm_model_init(acpi_pm_model *m, const acpi_pm_model_hooks *h);
/** Power-on state: the counter reads 0 at the board time the `now` hook
    gives (0 without one), no status, nothing enabled, SCI_EN set. Keeps
    `hooks` and `cfg`. The SCI goes low (the hook hears it fall if it was
    high). */
ACPI_PM_DEF void acpi_pm_model_reset(void *m);
/** Guest read of `width` bytes at `offset` from the block's base. Only a
    2-byte read of PM1_STS, PM1_EN or PM1_CNT, or a 4-byte read of PM_TMR,
    reaches a register (4.8.3); any other reads all-ones of `width`
    (UINT64_MAX for 8) and changes nothing. Reading the timer or PM1_STS
    brings the model up to the `now` hook's time first. */
ACPI_PM_DEF uint64_t acpi_pm_model_read(void *m, uint64_t offset, unsigned width);
/** Guest write: a 2-byte write of PM1_STS clears the status bits set in
    `value`, of PM1_EN sets the enables, of PM1_CNT the control bits; with
    SLP_EN set that write then calls the `sleep` hook with its SLP_TYP
    (SLP_EN is never stored). Anything else, the timer included, is
    ignored. The time is brought up to date first, so a write clears a
    status bit that has just been set. */
ACPI_PM_DEF void acpi_pm_model_write(void *m, uint64_t offset, unsigned width, uint64_t value);
/** Advance to board time `now` (ns; an earlier time counts as the latest
    one seen), set TMR_STS and move the SCI if the top bit changed, and
    return when the model must run next: the next change of the top bit if
    that would raise the SCI (TMR_EN and SCI_EN set, TMR_STS clear), else
    ACPI_PM_NO_DEADLINE. */
ACPI_PM_DEF uint64_t acpi_pm_model_poll(void *m, uint64_t now);
/** Copy the state into `buf`: returns sizeof(::acpi_pm_state), or -1,
    writing nothing, if `size` is smaller. */
ACPI_PM_DEF int64_t acpi_pm_model_save(void *m, void *buf, size_t size);
/** Load a saved state: returns the bytes used, or -1, changing nothing,
    if `size` is not sizeof(::acpi_pm_state) or the state is not one this
    block can be in (another version, reserved bits or fields set, a status
    bit other than TMR_STS, TMR_STS before the top bit ever changed, the
    time last seen before the start). Then tells the `sci` hook the
    restored level, and calls `wake` if the state has a deadline. Times
    are the saving board's: a board that restores elsewhere keeps its
    clock continuous with it. */
ACPI_PM_DEF int64_t acpi_pm_model_restore(void *m, const void *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* ACPI_PM_H */

/* ======================================================================== */
#ifdef ACPI_PM_IMPLEMENTATION

#ifndef ACPI_PM_ASSERT
#define ACPI_PM_ASSERT(c) ((void)0)
#endif

#define ACPI_PM__NS_PER_S 1000000000u

//! [pm-ticks]
/* floor(ns * 3579545 / 1e9) without 128-bit arithmetic: split ns into whole
   seconds and the rest. Each product stays below 2^63 for any 64-bit ns
   (1.8e10 s * 3.6e6, and 1e9 * 3.6e6), and the sum is exact because the
   whole seconds contribute a whole number of ticks. */
ACPI_PM_DEF uint64_t acpi_pm_ticks(uint64_t ns)
{
    return ns / ACPI_PM__NS_PER_S * ACPI_PM_TMR_HZ +
           ns % ACPI_PM__NS_PER_S * ACPI_PM_TMR_HZ / ACPI_PM__NS_PER_S;
}

/* The first elapsed time at which the counter has made k ticks: the least
   ns with ns * 3579545 >= k * 1e9, split the same way. UINT64_MAX if that
   lies beyond 64-bit nanoseconds. */
static uint64_t acpi_pm__ns_at_tick(uint64_t k)
{
    uint64_t s = k / ACPI_PM_TMR_HZ, rest = k % ACPI_PM_TMR_HZ;

    if (s > (UINT64_MAX - ACPI_PM__NS_PER_S) / ACPI_PM__NS_PER_S)
        return UINT64_MAX;
    return s * ACPI_PM__NS_PER_S +
           (rest * ACPI_PM__NS_PER_S + ACPI_PM_TMR_HZ - 1) / ACPI_PM_TMR_HZ;
}
//! [pm-ticks]

/* ---- driver ---- */

static uint32_t acpi_pm__drv_mask(const acpi_pm_drv *d)
{
    return d->tmr_32bit ? 0xffffffffu : 0xffffffu;
}

//! [pm-driver]
ACPI_PM_DEF uint32_t acpi_pm_drv_read_timer(const acpi_pm_drv *d)
{
    return d->read(d->ctx, d->timer_port) & acpi_pm__drv_mask(d);
}

/* Unsigned subtraction wraps modulo 2^32; the mask takes it to 2^24. */
ACPI_PM_DEF uint32_t acpi_pm_drv_elapsed(const acpi_pm_drv *d, uint32_t from, uint32_t to)
{
    return (to - from) & acpi_pm__drv_mask(d);
}
//! [pm-driver]

/* ---- device model ---- */

/* The counter's top bit: 23 for a 24-bit timer, 31 for a 32-bit one. */
static unsigned acpi_pm__top_bit(const acpi_pm_model *m)
{
    return m->cfg.tmr_32bit ? 31 : 23;
}

/* Ticks from the counter's start to the time last seen. */
static uint64_t acpi_pm__elapsed(const acpi_pm_state *s)
{
    ACPI_PM_ASSERT(s->last_ns >= s->start_ns);
    return acpi_pm_ticks(s->last_ns - s->start_ns);
}

/* How many times the top bit has changed by the time last seen. */
static uint64_t acpi_pm__toggles(const acpi_pm_model *m, const acpi_pm_state *s)
{
    return acpi_pm__elapsed(s) >> acpi_pm__top_bit(m);
}

static uint64_t acpi_pm__ones(unsigned width)
{
    return width >= 1 && width < 8 ? (1ull << (8 * width)) - 1 : UINT64_MAX;
}

//! [pm-sci]
/* ACPI 6.5, 4.8.3.1: an event raises the SCI when its status and enable
   bits are both set; 4.8.3.2.1: with SCI_EN clear, the hardware sends
   events to SMI instead (we have no SMM, so they go nowhere). The SCI is a
   level: it stays up until the guest clears the status or the enable. The
   level is never stored: it is this function of the registers. */
static bool acpi_pm__sci_level(const acpi_pm_state *s)
{
    return (s->cnt & ACPI_PM_SCI_EN) && (s->sts & s->en & ACPI_PM_SCI_EVENTS);
}

/* Each entry point notes the level first and tells the hook at the end,
   if the registers have moved it. */
static void acpi_pm__sci_follow(acpi_pm_model *m, bool was)
{
    bool level = acpi_pm__sci_level(&m->s);

    if (level != was && m->hooks.sci)
        m->hooks.sci(m->hooks.ctx, level);
}
//! [pm-sci]

/* Move to board time `now` (never backwards) and set TMR_STS if the top
   bit changed on the way. */
static void acpi_pm__advance(acpi_pm_model *m, uint64_t now)
{
    uint64_t before = acpi_pm__toggles(m, &m->s), after;

    if (now > m->s.last_ns)
        m->s.last_ns = now;
    after = acpi_pm__toggles(m, &m->s);
    ACPI_PM_ASSERT(after >= before);
    if (after != before)
        m->s.sts |= ACPI_PM_TMR_STS;
}

static void acpi_pm__advance_to_now(acpi_pm_model *m)
{
    if (m->hooks.now)
        acpi_pm__advance(m, m->hooks.now(m->hooks.ctx));
}

//! [pm-deadline]
/* The model must run only when time alone would change an output: the
   SCI rising at the next change of the top bit. With TMR_STS already set
   (not yet cleared), TMR_EN clear or SCI_EN clear, that change is seen
   when the guest next reads, and nothing needs waking. */
static uint64_t acpi_pm__deadline(const acpi_pm_model *m)
{
    const acpi_pm_state *s = &m->s;
    unsigned top = acpi_pm__top_bit(m);
    uint64_t next, at;

    if (!(s->en & ACPI_PM_TMR_EN) || !(s->cnt & ACPI_PM_SCI_EN) || (s->sts & ACPI_PM_TMR_STS))
        return ACPI_PM_NO_DEADLINE;
    /* The next change is at tick (toggles + 1) << top. */
    next = acpi_pm__toggles(m, s) + 1;
    if (next > UINT64_MAX >> top)
        return ACPI_PM_NO_DEADLINE;
    at = acpi_pm__ns_at_tick(next << top);
    if (at == UINT64_MAX || at > UINT64_MAX - s->start_ns)
        return ACPI_PM_NO_DEADLINE; /* past the end of 64-bit time */
    ACPI_PM_ASSERT(acpi_pm_ticks(at) >= next << top && acpi_pm_ticks(at - 1) < next << top);
    ACPI_PM_ASSERT(s->start_ns + at > s->last_ns);
    return s->start_ns + at;
}
//! [pm-deadline]

static uint32_t acpi_pm__counter(const acpi_pm_model *m)
{
    uint64_t t = acpi_pm__elapsed(&m->s);

    return (uint32_t)(m->cfg.tmr_32bit ? t : t & 0xffffff);
}

static void acpi_pm__copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;

    while (n--)
        *d++ = *s++;
}

ACPI_PM_DEF void acpi_pm_model_init(acpi_pm_model *m, const acpi_pm_model_hooks *h)
{
    for (size_t i = 0; i < sizeof *m; i++)
        ((uint8_t *)m)[i] = 0;
    if (h)
        m->hooks = *h;
    m->cfg.tmr_32bit = false;
    acpi_pm_model_reset(m);
}

ACPI_PM_DEF void acpi_pm_model_reset(void *m)
{
    acpi_pm_model *pm = (acpi_pm_model *)m;
    acpi_pm_state *s = &pm->s;
    bool was = acpi_pm__sci_level(s);
    uint64_t now = pm->hooks.now ? pm->hooks.now(pm->hooks.ctx) : 0;

    for (size_t i = 0; i < sizeof *s; i++)
        ((uint8_t *)s)[i] = 0;
    s->version = ACPI_PM_STATE_VERSION;
    s->start_ns = s->last_ns = now;
    s->cnt = ACPI_PM_SCI_EN;
    acpi_pm__sci_follow(pm, was);
}

//! [pm-sleep]
/* 4.8.3.2.1: writing SLP_EN makes the hardware enter the sleep state that
   SLP_TYP selects. The model does not know what each type is (that is the
   DSDT's \_Sx objects, which the board writes), so it tells the board the
   type, last, when the registers and the SCI already show the write: the
   board may stop the machine in the hook. */
static void acpi_pm__sleep(acpi_pm_model *m, uint64_t value)
{
    if ((value & ACPI_PM_SLP_EN) && m->hooks.sleep)
        m->hooks.sleep(m->hooks.ctx, ACPI_PM_SLP_TYP(value));
}
//! [pm-sleep]

//! [pm-access]
/* Each register at its own width only (4.8.3: PM1 registers are 16 bits,
   the timer 32); a read of any other size or offset floats high. */
ACPI_PM_DEF uint64_t acpi_pm_model_read(void *m, uint64_t offset, unsigned width)
{
    acpi_pm_model *pm = (acpi_pm_model *)m;
    bool was = acpi_pm__sci_level(&pm->s);
    uint64_t v;

    if (offset == ACPI_PM_TMR && width == 4) {
        acpi_pm__advance_to_now(pm);
        v = acpi_pm__counter(pm);
    } else if (offset == ACPI_PM_STS && width == 2) {
        acpi_pm__advance_to_now(pm);
        v = pm->s.sts;
    } else if (offset == ACPI_PM_EN && width == 2) {
        v = pm->s.en;
    } else if (offset == ACPI_PM_CNT && width == 2) {
        v = pm->s.cnt; /* SLP_EN and GBL_RLS are never stored */
    } else {
        return acpi_pm__ones(width);
    }
    acpi_pm__sci_follow(pm, was);
    return v;
}

/* Status bits are write-1-to-clear; the time is brought up to date first,
   so a top-bit change that has already happened is what the write clears.
   A write that moves the deadline earlier wakes the board, which then
   polls for the new one. */
ACPI_PM_DEF void acpi_pm_model_write(void *m, uint64_t offset, unsigned width, uint64_t value)
{
    acpi_pm_model *pm = (acpi_pm_model *)m;
    acpi_pm_state *s = &pm->s;
    bool was;
    uint64_t due;

    if (width != 2 || (offset != ACPI_PM_STS && offset != ACPI_PM_EN && offset != ACPI_PM_CNT))
        return;
    was = acpi_pm__sci_level(s);
    due = acpi_pm__deadline(pm);
    acpi_pm__advance_to_now(pm);
    if (offset == ACPI_PM_STS)
        s->sts = (uint16_t)(s->sts & ~(value & ACPI_PM_STS_BITS));
    else if (offset == ACPI_PM_EN)
        s->en = (uint16_t)(value & ACPI_PM_EN_BITS);
    else
        s->cnt = (uint16_t)(value & ACPI_PM_CNT_KEEP);
    acpi_pm__sci_follow(pm, was);
    if (acpi_pm__deadline(pm) < due && pm->hooks.wake)
        pm->hooks.wake(pm->hooks.ctx);
    if (offset == ACPI_PM_CNT)
        acpi_pm__sleep(pm, value);
}
//! [pm-access]

ACPI_PM_DEF uint64_t acpi_pm_model_poll(void *m, uint64_t now)
{
    acpi_pm_model *pm = (acpi_pm_model *)m;
    bool was = acpi_pm__sci_level(&pm->s);

    acpi_pm__advance(pm, now);
    acpi_pm__sci_follow(pm, was);
    return acpi_pm__deadline(pm);
}

ACPI_PM_DEF int64_t acpi_pm_model_save(void *m, void *buf, size_t size)
{
    acpi_pm_model *pm = (acpi_pm_model *)m;

    if (size < sizeof pm->s)
        return -1;
    acpi_pm__copy(buf, &pm->s, sizeof pm->s);
    return (int64_t)sizeof pm->s;
}

/* A state this block can be in, with this model's counter width: the
   registers hold only bits the model ever stores, and TMR_STS only once
   the top bit has changed. */
static bool acpi_pm__valid(const acpi_pm_model *m, const acpi_pm_state *s)
{
    if (s->version != ACPI_PM_STATE_VERSION || s->reserved[0] || s->reserved[1] ||
        s->reserved[2] || (s->sts & ~ACPI_PM_TMR_STS) || (s->en & ~ACPI_PM_EN_BITS) ||
        (s->cnt & ~ACPI_PM_CNT_KEEP) || s->last_ns < s->start_ns)
        return false;
    return !(s->sts & ACPI_PM_TMR_STS) || acpi_pm__toggles(m, s) > 0;
}

ACPI_PM_DEF int64_t acpi_pm_model_restore(void *m, const void *buf, size_t size)
{
    acpi_pm_model *pm = (acpi_pm_model *)m;
    acpi_pm_state in;

    /* A snapshot is input like any other: check it before trusting it. */
    if (size != sizeof in)
        return -1;
    acpi_pm__copy(&in, buf, sizeof in);
    if (!acpi_pm__valid(pm, &in))
        return -1;
    pm->s = in;
    /* The hook learns the level even if it did not change: the board
       behind it may be new. */
    if (pm->hooks.sci)
        pm->hooks.sci(pm->hooks.ctx, acpi_pm__sci_level(&pm->s));
    if (acpi_pm__deadline(pm) != ACPI_PM_NO_DEADLINE && pm->hooks.wake)
        pm->hooks.wake(pm->hooks.ctx);
    return (int64_t)sizeof in;
}

#endif /* ACPI_PM_IMPLEMENTATION */

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
