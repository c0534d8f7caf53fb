/* ioapic.h - the I/O APIC: one register map, a driver and a device model.

   WHAT IT IS
   The interrupt controller that turns the board's interrupt lines into
   messages for the local APICs. Each of its 24 input pins has a redirection
   entry saying which vector goes to which CPU, edge or level, active high or
   low, masked or not. This header holds both roles that meet at its registers:
     - the driver (ioapic_drv_*), which a kernel uses to route and mask pins;
     - the device model (ioapic_model_*), which a monitor uses to emulate the
       chip, turning each delivery into the MSI address/data pair a hypervisor
       can inject, with the model contract of book/chipset.md, "The shape of a
       device model".
   They share the register and bit names below, so the driver can be run on the
   host straight against the model (that is how the tests check both).

   HARDWARE
   Intel 82093AA I/O APIC datasheet (1996): section 3.1 for the indirect
   IOREGSEL/IOWIN access, 3.2 for the ID, version, arbitration and redirection
   table registers. Version 0x20 is the I/O APIC of later Intel chipsets: the
   same registers plus an EOI register at offset 0x40. The MSI format an entry
   translates to is the Intel SDM's (volume 3, "Message Signalled Interrupts").

   BOOK
   book/ioapic.md, "The IOAPIC".

   USAGE
   In exactly one C file:
       #define IOAPIC_IMPLEMENTATION
       #include "ioapic.h"
   Driver, given 32-bit MMIO accessors at offsets 0x00, 0x10 and 0x40:
       ioapic_drv d = { my_read32, my_write32, my_ctx };
       unsigned n = ioapic_drv_pins(&d);             // 24 on a PC
       ioapic_drv_route(&d, 4, 0x24, 0, 0);          // COM1: edge, high
       ioapic_drv_route(&d, 9, 0x29, 0, IOAPIC_ROUTE_LEVEL | IOAPIC_ROUTE_ACTIVE_LOW);
   Model, in a monitor:
       ioapic_model m;
       ioapic_model_hooks h = { deliver_msi, poll_me_again, sync_route, ctx };
       ioapic_model_init(&m, &h);                    // a version 0x20 chip
       ioapic_model_write(&m, addr - IOAPIC_PC_BASE, 4, value);
       ioapic_model_set_irq(&m, 4, true);            // a line rises
       ioapic_model_eoi(&m, vector);                 // the LAPIC's EOI broadcast
       next = ioapic_model_poll(&m, now);            // the storm guard's clock

   OVERRIDABLE MACROS (define before the include)
     IOAPIC_DEF        linkage of public functions   (default: extern)
     IOAPIC_STATIC     define it to make every public function static
     IOAPIC_ASSERT     assertion for internal invariants: a decoded register
                       index names an entry that exists, a pin the model
                       works on is below IOAPIC_PINS (the driver's below
                       IOAPIC_MAX_PINS), remote IRR only on level entries,
                       a storm hold only on a pin not yet held (default:
                       none). Never called on guest input, which is handled.
     IOAPIC_STORM_MAX  successive EOI re-deliveries of a line that never
                       dropped before the storm guard holds it (default: 10000)
     IOAPIC_STORM_DELAY_NS  how long a held delivery waits (default: 10 ms)

   LICENSE at the end of the file.
*/
#ifndef IOAPIC_H
#define IOAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under IOAPIC_STATIC. */
#ifndef IOAPIC_DEF
#ifdef IOAPIC_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define IOAPIC_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define IOAPIC_DEF static
#endif
#else
#define IOAPIC_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file ioapic.h
    @brief I/O APIC: register map, driver, device model and MSI translation.
    See @ref ioapic.

    Tests: tests/ioapic_test.c. Used alone: book/alone/ioapic.c, shown in
    the chapter's appendix. */

//! [registers]
/* Where the chip answers: a PC's first IOAPIC, and the size of its window. */
#define IOAPIC_PC_BASE  0xfec00000u /**< physical base on a PC (the MADT may say otherwise) */
#define IOAPIC_WINDOW   0x1000u     /**< the MMIO window, 4 KiB */

/* MMIO offsets from the chip's base. */
#define IOAPIC_IOREGSEL 0x00u /**< RW: index of the register IOWIN reaches */
#define IOAPIC_IOWIN    0x10u /**< RW: window onto the selected register */
#define IOAPIC_EOIR     0x40u /**< W: EOI register, version 0x20 only */

/* Register indices written to IOREGSEL (82093AA section 3.2). */
#define IOAPIC_ID     0x00u /**< RW: bits 27:24 hold the APIC ID */
#define IOAPIC_VER    0x01u /**< R: version in 7:0, highest entry in 23:16 */
#define IOAPIC_ARB    0x02u /**< R: bus arbitration ID in bits 27:24 */
#define IOAPIC_REDTBL 0x10u /**< first of 2 x 24 redirection table dwords */
/** Index of the low dword of pin `n`'s redirection entry; the high is one more. */
#define IOAPIC_REDTBL_LO(n) (IOAPIC_REDTBL + 2u * (unsigned)(n))
/** Most entries an 8-bit IOREGSEL can reach: (0x100 - 0x10) / 2. */
#define IOAPIC_MAX_PINS 120u

/* Redirection table entry bits (a 64-bit value). */
#define IOAPIC_RTE_VECTOR   0xffull    /**< RW: vector, bits 7:0 */
#define IOAPIC_RTE_DELMOD_SHIFT 8      /**< RW: delivery mode, bits 10:8 */
#define IOAPIC_RTE_DELMOD   0x700ull   /**< delivery mode field */
#define IOAPIC_RTE_DESTMOD  (1ull << 11) /**< RW: 1 = logical destination */
#define IOAPIC_RTE_DELIVS   (1ull << 12) /**< R: delivery status, "send pending" */
#define IOAPIC_RTE_INTPOL   (1ull << 13) /**< RW: 1 = input active low */
#define IOAPIC_RTE_RIRR     (1ull << 14) /**< R: remote IRR, level entries */
#define IOAPIC_RTE_TRIGGER  (1ull << 15) /**< RW: 1 = level, 0 = edge */
#define IOAPIC_RTE_MASK     (1ull << 16) /**< RW: 1 = masked */
#define IOAPIC_RTE_DEST_SHIFT 56       /**< RW: destination, bits 63:56 */
/** Every bit a guest may write; bits 55:17 are reserved and read 0. */
#define IOAPIC_RTE_WRITABLE (0xff00000000000000ull | 0x1afffull)
/** Every entry at power-on: masked, all else 0 (82093AA section 3.2.4). */
#define IOAPIC_RTE_RESET    IOAPIC_RTE_MASK

/* Delivery modes (RTE bits 10:8, and MSI data bits 10:8). */
#define IOAPIC_DM_FIXED  0u /**< the vector, to every destination */
#define IOAPIC_DM_LOWEST 1u /**< the vector, to the lowest-priority destination */
#define IOAPIC_DM_SMI    2u /**< system management interrupt */
#define IOAPIC_DM_NMI    4u /**< non-maskable interrupt */
#define IOAPIC_DM_INIT   5u /**< INIT */
#define IOAPIC_DM_EXTINT 7u /**< the 8259's vector, fetched by an INTA cycle */

/* Versions: the 82093AA, and the chipset IOAPIC with the EOI register. */
#define IOAPIC_VERSION_11 0x11u /**< 82093AA: no EOI register */
#define IOAPIC_VERSION_20 0x20u /**< with the EOI register at offset 0x40 */
#define IOAPIC_PINS       24u   /**< redirection entries in this model */
//! [registers]

/** An x86 MSI: the address/data pair a redirection entry translates to. */
typedef struct ioapic_msi {
    uint64_t address; /**< 0xFEE00000 | dest << 12 | RH << 3 | DM << 2 */
    uint32_t data;    /**< vector | mode << 8 | assert << 14 | trigger << 15 */
} ioapic_msi;

/** Translate a redirection entry into the MSI a chipset would send for it:
    destination bits 63:56 into address bits 19:12, destination mode into
    bit 2, the redirection hint (bit 3) set for lowest-priority delivery;
    vector, delivery mode and trigger into the data, with the level-assert
    bit 14 always set (every message is an assertion). Mask, polarity and
    status bits do not appear. Used for deliveries and by a monitor that
    installs one MSI route per pin. */
IOAPIC_DEF void ioapic_entry_to_msi(uint64_t rte, ioapic_msi *out);

/* Flags for ioapic_route_entry() and ioapic_drv_route(). */
#define IOAPIC_ROUTE_LEVEL      1u /**< level-triggered (default: edge) */
#define IOAPIC_ROUTE_ACTIVE_LOW 2u /**< active low (default: active high) */
#define IOAPIC_ROUTE_MASKED     4u /**< leave the entry masked */
#define IOAPIC_ROUTE_LOGICAL    8u /**< logical destination (default: physical) */

/** The redirection entry that sends `vector` with fixed delivery to APIC
    (or, with IOAPIC_ROUTE_LOGICAL, logical set) `dest`, in the trigger
    mode, polarity and mask the IOAPIC_ROUTE_* `flags` give. */
IOAPIC_DEF uint64_t ioapic_route_entry(uint8_t vector, uint8_t dest, unsigned flags);

/* ---- driver ------------------------------------------------------------ */

/** Register access for the driver: 32-bit reads and writes at an MMIO
    offset (IOAPIC_IOREGSEL, IOAPIC_IOWIN or IOAPIC_EOIR) from the base.
    Every register is reached by a pair of accesses (IOREGSEL, then
    IOWIN), so a caller that uses the driver from both thread code and
    interrupt handlers must keep each call from being interrupted by
    another: the driver itself knows nothing of interrupts. */
typedef struct ioapic_drv {
    uint32_t (*read)(void *ctx, unsigned offset);            /**< read 32 bits */
    void (*write)(void *ctx, unsigned offset, uint32_t val); /**< write 32 bits */
    void *ctx;                                               /**< passed to both */
} ioapic_drv;

/** Read register `index` through IOREGSEL and IOWIN. */
IOAPIC_DEF uint32_t ioapic_drv_read_reg(ioapic_drv *d, uint8_t index);
/** Write register `index` through IOREGSEL and IOWIN. */
IOAPIC_DEF void ioapic_drv_write_reg(ioapic_drv *d, uint8_t index, uint32_t val);
/** The version field of the version register (0x11, 0x20, ...). */
IOAPIC_DEF unsigned ioapic_drv_version(ioapic_drv *d);
/** Number of redirection entries (maximum redirection entry + 1); 0 when
    nothing answers (the register reads all-ones), and never more than
    IOAPIC_MAX_PINS, whatever the chip claims. */
IOAPIC_DEF unsigned ioapic_drv_pins(ioapic_drv *d);
/** The whole 64-bit redirection entry of `pin` (0 if `pin` is out of range). */
IOAPIC_DEF uint64_t ioapic_drv_read_entry(ioapic_drv *d, unsigned pin);
/** Write the redirection entry of `pin`: the high dword, then the low one,
    so an entry that ends up unmasked is whole before its mask bit clears,
    and an entry that was unmasked stays unmasked throughout (an edge that
    arrives while an entry is masked is lost). Reads nothing from the chip:
    for a caller that learnt ioapic_drv_pins() once and writes entries on
    an interrupt path. False, writing nothing, if `pin` is not below
    IOAPIC_MAX_PINS. */
IOAPIC_DEF bool ioapic_drv_write_entry(ioapic_drv *d, unsigned pin, uint64_t rte);
/** Route `pin` to `vector` (fixed delivery) at APIC `dest`, with
    IOAPIC_ROUTE_* `flags`: ioapic_drv_write_entry() of
    ioapic_route_entry(). False if the chip has no such `pin`. */
IOAPIC_DEF bool ioapic_drv_route(ioapic_drv *d, unsigned pin, uint8_t vector, uint8_t dest,
                                 unsigned flags);
/** Set the mask bit of `pin`; false if `pin` does not exist. */
IOAPIC_DEF bool ioapic_drv_mask(ioapic_drv *d, unsigned pin);
/** Clear the mask bit of `pin`; false if `pin` does not exist. */
IOAPIC_DEF bool ioapic_drv_unmask(ioapic_drv *d, unsigned pin);
/** Write `vector` to the EOI register; false (nothing written) on a chip
    older than version 0x20, which has none. */
IOAPIC_DEF bool ioapic_drv_send_eoi(ioapic_drv *d, uint8_t vector);

/* ---- device model ------------------------------------------------------ */

/** Version of ::ioapic_state; bumped when its layout changes. */
#define IOAPIC_STATE_VERSION 2u
/** ioapic_model_poll()'s answer when the model needs no call at any time. */
#define IOAPIC_NO_DEADLINE UINT64_MAX

/** Everything the chip remembers: plain data, so save and restore are a
    copy (see ioapic_model_save() and ioapic_model_restore()). */
typedef struct ioapic_state {
    uint32_t version;                /**< IOAPIC_STATE_VERSION */
    uint8_t ioregsel;                /**< last index written to IOREGSEL */
    uint8_t id;                      /**< APIC ID, 4 bits */
    uint16_t reserved;               /**< zero */
    uint32_t lines;                  /**< bit n: electrical level of input n */
    uint32_t held;                   /**< bit n: the storm guard holds pin n */
    uint64_t deadline;               /**< when held pins are released, or IOAPIC_NO_DEADLINE */
    uint64_t rte[IOAPIC_PINS];       /**< redirection entries; bit 12 is always 0 here */
    uint32_t storm[IOAPIC_PINS];     /**< successive EOI re-deliveries, line never low */
} ioapic_state;

/** How the model reaches the outside world. Every hook may be NULL. */
typedef struct ioapic_model_hooks {
    /** Send this interrupt message (e.g. KVM_SIGNAL_MSI). */
    void (*deliver)(void *ctx, const ioapic_msi *msg);
    /** The model's next deadline has moved earlier: the storm guard has
        begun holding a pin, and ioapic_model_poll() must run soon to arm
        its release. Called when a hold starts with no pin held (a pin
        held while another is already held waits for the same release),
        and by a restore that loads a held pin. */
    void (*wake)(void *ctx);
    /** Redirection entry `pin` may have changed (read it with
        ioapic_model_entry()): a guest wrote either of its dwords, whether
        or not a bit changed, or the model was reset or restored. For a board that mirrors the entries,
        as a monitor does in KVM's MSI routes. Called before the write's
        own consequence, the message an unmasked level line sends at once,
        so the mirror knows a level vector before its first message. */
    void (*entry_changed)(void *ctx, unsigned pin);
    void *ctx; /**< passed to every hook */
} ioapic_model_hooks;

/** What the board fixes before the guest's first access. */
typedef struct ioapic_model_cfg {
    /** Bits 7:0 of the version register: IOAPIC_VERSION_20 (the default)
        or IOAPIC_VERSION_11. The EOI register exists from 0x20 up. */
    uint8_t version;
} ioapic_model_cfg;

/** Counters for a monitor's status output; never saved, kept by reset. */
typedef struct ioapic_model_stats {
    uint64_t deliveries[IOAPIC_PINS]; /**< messages sent per pin */
    uint64_t eois[IOAPIC_PINS];       /**< EOIs that cleared remote IRR per pin */
    uint64_t holds[IOAPIC_PINS];      /**< times the storm guard held the pin */
} ioapic_model_stats;

/** An I/O APIC as seen by a guest. Caller-owned; one struct per chip. */
typedef struct ioapic_model {
    ioapic_state s;            /**< the saved/restored part */
    ioapic_model_hooks hooks;  /**< not part of the saved state */
    ioapic_model_cfg cfg;      /**< set after init, before the first access */
    ioapic_model_stats stats;  /**< counters, not part of the saved state */
} ioapic_model;

/** Zero `m`, copy `*h` (NULL: no hooks), set `cfg` to its defaults (a
    version 0x20 chip) and put the chip in its power-on state. Calls no
    hook. A board wanting an 82093AA sets `m->cfg.version` to
    IOAPIC_VERSION_11 after this and before the first access. */
IOAPIC_DEF void ioapic_model_init(ioapic_model *m, const ioapic_model_hooks *h);
/** Power-on reset as the datasheet gives it: ID 0, IOREGSEL 0, every entry
    IOAPIC_RTE_RESET, all lines low, nothing held. Keeps `hooks`, `cfg` and
    `stats`; then calls `entry_changed` for every pin. */
IOAPIC_DEF void ioapic_model_reset(void *m);
/** Guest MMIO read at `offset` from the base, `width` bytes. Only aligned
    32-bit reads of IOREGSEL and IOWIN reach a register; everything else,
    the write-only EOI register included, reads all-ones of `width`. */
IOAPIC_DEF uint64_t ioapic_model_read(void *m, uint64_t offset, unsigned width);
/** Guest MMIO write; anything but an aligned 32-bit access to IOREGSEL,
    IOWIN or (on version 0x20) the EOI register is ignored. */
IOAPIC_DEF void ioapic_model_write(void *m, uint64_t offset, unsigned width, uint64_t value);
/** Drive input `pin` to electrical `level`. Polarity decides whether that
    asserts the pin; an edge entry delivers on a rising logical edge, a
    level entry while asserted. Pins past 23 are ignored. */
IOAPIC_DEF void ioapic_model_set_irq(void *m, unsigned pin, bool level);
/** The EOI broadcast for `vector` (KVM_EXIT_IOAPIC_EOI, or the EOI
    register): clears remote IRR on level entries with that vector and
    re-delivers those whose line is still asserted, subject to the guard. */
IOAPIC_DEF void ioapic_model_eoi(void *m, uint8_t vector);
/** Advance to `now` (nanoseconds, any monotonic origin). Arms the storm
    guard's delay on the first call after a hold, releases held pins once it
    has passed, and returns when to call again (IOAPIC_NO_DEADLINE if never). */
IOAPIC_DEF uint64_t ioapic_model_poll(void *m, uint64_t now);
/** The redirection entry of `pin` as the guest reads it, with delivery
    status computed; 0 for pins past 23. */
IOAPIC_DEF uint64_t ioapic_model_entry(const ioapic_model *m, unsigned pin);
/** Copy the state into `buf` for a snapshot: returns sizeof(ioapic_state),
    or -1, writing nothing, if `size` is smaller. */
IOAPIC_DEF int64_t ioapic_model_save(void *m, void *buf, size_t size);
/** Load a snapshot: returns the bytes used, or -1, changing nothing, if
    `size` is not sizeof(ioapic_state) or the state is not one the chip can
    be in. Then calls `entry_changed` for every pin, and `wake` if a pin is
    held, so the board mirrors the entries and polls the guard again. */
IOAPIC_DEF int64_t ioapic_model_restore(void *m, const void *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* IOAPIC_H */

/* ======================================================================== */
#ifdef IOAPIC_IMPLEMENTATION

#ifndef IOAPIC_ASSERT
#define IOAPIC_ASSERT(c) ((void)0)
#endif
#ifndef IOAPIC_STORM_MAX
#define IOAPIC_STORM_MAX 10000u
#endif
#ifndef IOAPIC_STORM_DELAY_NS
#define IOAPIC_STORM_DELAY_NS 10000000ull
#endif

//! [msi]
IOAPIC_DEF void ioapic_entry_to_msi(uint64_t rte, ioapic_msi *out)
{
    uint32_t mode = (uint32_t)((rte & IOAPIC_RTE_DELMOD) >> IOAPIC_RTE_DELMOD_SHIFT);
    uint64_t dest = (rte >> IOAPIC_RTE_DEST_SHIFT) & 0xff;

    out->address = 0xfee00000ull | dest << 12 |
                   (mode == IOAPIC_DM_LOWEST ? 1ull << 3 : 0) |   /* RH */
                   ((rte & IOAPIC_RTE_DESTMOD) ? 1ull << 2 : 0);  /* DM */
    out->data = (uint32_t)(rte & IOAPIC_RTE_VECTOR) | mode << 8 | 1u << 14 |
                ((rte & IOAPIC_RTE_TRIGGER) ? 1u << 15 : 0);
}
//! [msi]

IOAPIC_DEF uint64_t ioapic_route_entry(uint8_t vector, uint8_t dest, unsigned flags)
{
    uint64_t rte = vector | (uint64_t)IOAPIC_DM_FIXED << IOAPIC_RTE_DELMOD_SHIFT |
                   (uint64_t)dest << IOAPIC_RTE_DEST_SHIFT;

    if (flags & IOAPIC_ROUTE_LEVEL)      rte |= IOAPIC_RTE_TRIGGER;
    if (flags & IOAPIC_ROUTE_ACTIVE_LOW) rte |= IOAPIC_RTE_INTPOL;
    if (flags & IOAPIC_ROUTE_LOGICAL)    rte |= IOAPIC_RTE_DESTMOD;
    if (flags & IOAPIC_ROUTE_MASKED)     rte |= IOAPIC_RTE_MASK;
    return rte;
}

/* ---- driver ---- */

IOAPIC_DEF uint32_t ioapic_drv_read_reg(ioapic_drv *d, uint8_t index)
{
    d->write(d->ctx, IOAPIC_IOREGSEL, index);
    return d->read(d->ctx, IOAPIC_IOWIN);
}

IOAPIC_DEF void ioapic_drv_write_reg(ioapic_drv *d, uint8_t index, uint32_t val)
{
    d->write(d->ctx, IOAPIC_IOREGSEL, index);
    d->write(d->ctx, IOAPIC_IOWIN, val);
}

IOAPIC_DEF unsigned ioapic_drv_version(ioapic_drv *d)
{
    return ioapic_drv_read_reg(d, IOAPIC_VER) & 0xff;
}

IOAPIC_DEF unsigned ioapic_drv_pins(ioapic_drv *d)
{
    uint32_t v = ioapic_drv_read_reg(d, IOAPIC_VER);
    unsigned pins = ((v >> 16) & 0xff) + 1;

    /* An absent chip reads all-ones: report no pins, not 256. A chip that
       claims more entries than IOREGSEL can select is believed only as far
       as the index reaches, so no pin number wraps onto another register. */
    if (v == 0xffffffffu)
        return 0;
    return pins < IOAPIC_MAX_PINS ? pins : IOAPIC_MAX_PINS;
}

IOAPIC_DEF uint64_t ioapic_drv_read_entry(ioapic_drv *d, unsigned pin)
{
    uint64_t lo, hi;

    if (pin >= ioapic_drv_pins(d))
        return 0;
    IOAPIC_ASSERT(pin < IOAPIC_MAX_PINS);
    lo = ioapic_drv_read_reg(d, (uint8_t)IOAPIC_REDTBL_LO(pin));
    hi = ioapic_drv_read_reg(d, (uint8_t)(IOAPIC_REDTBL_LO(pin) + 1));
    return hi << 32 | lo;
}

//! [driver-route]
IOAPIC_DEF bool ioapic_drv_write_entry(ioapic_drv *d, unsigned pin, uint64_t rte)
{
    if (pin >= IOAPIC_MAX_PINS)
        return false;
    /* High dword first (Linux does the same): while the destination
       changes, the low dword still holds the old mask bit, so a pin being
       unmasked fires only once the whole route is in place, and a live
       pin is never masked on the way, which would lose an edge. */
    ioapic_drv_write_reg(d, (uint8_t)(IOAPIC_REDTBL_LO(pin) + 1), (uint32_t)(rte >> 32));
    ioapic_drv_write_reg(d, (uint8_t)IOAPIC_REDTBL_LO(pin), (uint32_t)rte);
    return true;
}

IOAPIC_DEF bool ioapic_drv_route(ioapic_drv *d, unsigned pin, uint8_t vector, uint8_t dest,
                                 unsigned flags)
{
    if (pin >= ioapic_drv_pins(d))
        return false;
    return ioapic_drv_write_entry(d, pin, ioapic_route_entry(vector, dest, flags));
}
//! [driver-route]

static bool ioapic__set_mask(ioapic_drv *d, unsigned pin, bool masked)
{
    uint8_t idx;
    uint32_t lo;

    if (pin >= ioapic_drv_pins(d))
        return false;
    IOAPIC_ASSERT(pin < IOAPIC_MAX_PINS);
    idx = (uint8_t)IOAPIC_REDTBL_LO(pin);
    lo = ioapic_drv_read_reg(d, idx);
    lo = masked ? lo | (uint32_t)IOAPIC_RTE_MASK : lo & ~(uint32_t)IOAPIC_RTE_MASK;
    ioapic_drv_write_reg(d, idx, lo);
    return true;
}

IOAPIC_DEF bool ioapic_drv_mask(ioapic_drv *d, unsigned pin)
{
    return ioapic__set_mask(d, pin, true);
}

IOAPIC_DEF bool ioapic_drv_unmask(ioapic_drv *d, unsigned pin)
{
    return ioapic__set_mask(d, pin, false);
}

IOAPIC_DEF bool ioapic_drv_send_eoi(ioapic_drv *d, uint8_t vector)
{
    if (ioapic_drv_version(d) < IOAPIC_VERSION_20)
        return false;
    d->write(d->ctx, IOAPIC_EOIR, vector);
    return true;
}

/* ---- device model ---- */

/* Level semantics (remote IRR, re-delivery, EOI) apply only to level entries
   with fixed or lowest-priority delivery: NMI, SMI, INIT and ExtINT are never
   acknowledged by an EOI, so a remote IRR set for them would stick forever.
   The model treats those as edge-triggered, whatever bit 15 says. */
static bool ioapic__is_level(uint64_t rte)
{
    uint64_t mode = (rte & IOAPIC_RTE_DELMOD) >> IOAPIC_RTE_DELMOD_SHIFT;

    return (rte & IOAPIC_RTE_TRIGGER) &&
           (mode == IOAPIC_DM_FIXED || mode == IOAPIC_DM_LOWEST);
}

/* The pin's logical state: the electrical level through the polarity bit. */
static bool ioapic__asserted(const ioapic_model *m, unsigned pin)
{
    bool high;

    IOAPIC_ASSERT(pin < IOAPIC_PINS);
    high = (m->s.lines >> pin) & 1;
    return (m->s.rte[pin] & IOAPIC_RTE_INTPOL) ? !high : high;
}

//! [model-status]
/* Delivery status, bit 12 ("send pending" in the 82093AA). This model sends
   a message the moment it decides to, so the bit is 1 exactly when a level
   entry is asserted and unmasked but no message may leave: remote IRR is
   still set from the last one, or the storm guard holds the pin. It is
   computed on every read, never stored, so it cannot disagree with the rest. */
static bool ioapic__send_pending(const ioapic_model *m, unsigned pin)
{
    uint64_t rte = m->s.rte[pin];

    return ioapic__is_level(rte) && !(rte & IOAPIC_RTE_MASK) && ioapic__asserted(m, pin) &&
           ((rte & IOAPIC_RTE_RIRR) || ((m->s.held >> pin) & 1));
}
//! [model-status]

static void ioapic__send(ioapic_model *m, unsigned pin)
{
    ioapic_msi msg;

    IOAPIC_ASSERT(pin < IOAPIC_PINS);
    ioapic_entry_to_msi(m->s.rte[pin], &msg);
    if (ioapic__is_level(m->s.rte[pin]))
        m->s.rte[pin] |= IOAPIC_RTE_RIRR;
    m->stats.deliveries[pin]++;
    if (m->hooks.deliver)
        m->hooks.deliver(m->hooks.ctx, &msg);
}

//! [model-service]
/* A level entry sends while its pin is asserted, unmasked, not waiting for
   an EOI (remote IRR) and not held by the storm guard. */
static void ioapic__service_level(ioapic_model *m, unsigned pin)
{
    uint64_t rte = m->s.rte[pin];

    if (ioapic__is_level(rte) && ioapic__asserted(m, pin) && !(rte & IOAPIC_RTE_MASK) &&
        !(rte & IOAPIC_RTE_RIRR) && !((m->s.held >> pin) & 1))
        ioapic__send(m, pin);
}
//! [model-service]

/* The line dropped, or the entry stopped being level: a new storm, if any,
   starts counting from zero. */
static void ioapic__calm(ioapic_model *m, unsigned pin)
{
    IOAPIC_ASSERT(pin < IOAPIC_PINS);
    m->s.storm[pin] = 0;
    m->s.held &= ~(1u << pin);
    if (!m->s.held)
        m->s.deadline = IOAPIC_NO_DEADLINE;
}

/* The storm guard takes `pin`. Only the first hold moves the model's next
   deadline (from never to the next poll), so only it wakes the board; any
   later one is released by the same deadline. */
static void ioapic__hold(ioapic_model *m, unsigned pin)
{
    bool first = m->s.held == 0;

    IOAPIC_ASSERT(pin < IOAPIC_PINS && !((m->s.held >> pin) & 1));
    m->s.held |= 1u << pin;
    m->stats.holds[pin]++;
    if (first && m->hooks.wake)
        m->hooks.wake(m->hooks.ctx);
}

IOAPIC_DEF void ioapic_model_set_irq(void *m, unsigned pin, bool level)
{
    ioapic_model *io = (ioapic_model *)m;
    bool was, now;

    if (pin >= IOAPIC_PINS)
        return;
    was = ioapic__asserted(io, pin);
    if (level)
        io->s.lines |= 1u << pin;
    else
        io->s.lines &= ~(1u << pin);
    now = ioapic__asserted(io, pin);
    if (!now)
        ioapic__calm(io, pin);
    if (ioapic__is_level(io->s.rte[pin]))
        ioapic__service_level(io, pin);
    else if (!was && now && !(io->s.rte[pin] & IOAPIC_RTE_MASK))
        ioapic__send(io, pin); /* a masked edge is lost (82093AA, bit 16) */
}

//! [model-eoi]
IOAPIC_DEF void ioapic_model_eoi(void *m, uint8_t vector)
{
    ioapic_model *io = (ioapic_model *)m;

    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t rte = io->s.rte[pin];

        if (!ioapic__is_level(rte) || !(rte & IOAPIC_RTE_RIRR) ||
            (rte & IOAPIC_RTE_VECTOR) != vector)
            continue;
        io->s.rte[pin] &= ~IOAPIC_RTE_RIRR;
        io->stats.eois[pin]++;
        if (!ioapic__asserted(io, pin) || (rte & IOAPIC_RTE_MASK))
            continue;
        /* Still asserted: the device wants service again. A line that
           never drops across IOAPIC_STORM_MAX re-deliveries is held back
           until ioapic_model_poll() lets it through, so a guest that EOIs
           in a loop cannot pin a host core. */
        if (io->s.storm[pin] >= IOAPIC_STORM_MAX) {
            ioapic__hold(io, pin);
            continue;
        }
        io->s.storm[pin]++;
        ioapic__send(io, pin);
    }
}
//! [model-eoi]

IOAPIC_DEF uint64_t ioapic_model_poll(void *m, uint64_t now)
{
    ioapic_model *io = (ioapic_model *)m;
    uint32_t held = io->s.held;

    if (!held)
        return io->s.deadline = IOAPIC_NO_DEADLINE;
    if (io->s.deadline == IOAPIC_NO_DEADLINE) {
        io->s.deadline = now + IOAPIC_STORM_DELAY_NS;
        if (io->s.deadline < now)
            io->s.deadline = IOAPIC_NO_DEADLINE - 1; /* no wrap to "never" */
        return io->s.deadline;
    }
    if (now < io->s.deadline)
        return io->s.deadline;
    /* Release: one delivery per held pin. The storm count stays, so the
       next EOI with the line still high is held again: a stuck line costs
       one message per delay until it drops. */
    io->s.held = 0;
    io->s.deadline = IOAPIC_NO_DEADLINE;
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        if ((held >> pin) & 1)
            ioapic__service_level(io, pin);
    return io->s.deadline;
}

/* The power-on state, with no hook called (init must call none). */
static void ioapic__power_on(ioapic_model *m)
{
    ioapic_state *s = &m->s;

    for (size_t i = 0; i < sizeof *s; i++)
        ((uint8_t *)s)[i] = 0;
    s->version = IOAPIC_STATE_VERSION;
    s->deadline = IOAPIC_NO_DEADLINE;
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        s->rte[pin] = IOAPIC_RTE_RESET;
}

/* Every entry may differ from what the board mirrors. */
static void ioapic__all_changed(ioapic_model *m)
{
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        if (m->hooks.entry_changed)
            m->hooks.entry_changed(m->hooks.ctx, pin);
}

IOAPIC_DEF void ioapic_model_init(ioapic_model *m, const ioapic_model_hooks *h)
{
    for (size_t i = 0; i < sizeof *m; i++)
        ((uint8_t *)m)[i] = 0;
    if (h)
        m->hooks = *h;
    m->cfg.version = IOAPIC_VERSION_20;
    ioapic__power_on(m);
}

IOAPIC_DEF void ioapic_model_reset(void *m)
{
    ioapic_model *io = (ioapic_model *)m;

    ioapic__power_on(io);
    ioapic__all_changed(io);
}

IOAPIC_DEF uint64_t ioapic_model_entry(const ioapic_model *m, unsigned pin)
{
    if (pin >= IOAPIC_PINS)
        return 0;
    return m->s.rte[pin] | (ioapic__send_pending(m, pin) ? IOAPIC_RTE_DELIVS : 0);
}

//! [model-regs]
/* The register IOREGSEL selects, as IOWIN reads it. Every index is checked
   against the registers that exist: the rest read all-ones. */
static uint32_t ioapic__read_reg(const ioapic_model *m, unsigned index)
{
    unsigned pin = (index - IOAPIC_REDTBL) / 2;

    if (index == IOAPIC_ID || index == IOAPIC_ARB) /* arbitration ID = APIC ID */
        return (uint32_t)m->s.id << 24;
    if (index == IOAPIC_VER)
        return m->cfg.version | (IOAPIC_PINS - 1) << 16;
    if (index < IOAPIC_REDTBL || pin >= IOAPIC_PINS)
        return 0xffffffffu;
    IOAPIC_ASSERT(pin < IOAPIC_PINS);
    if (index & 1)
        return (uint32_t)(m->s.rte[pin] >> 32);
    return (uint32_t)ioapic_model_entry(m, pin);
}

static void ioapic__write_rte(ioapic_model *m, unsigned pin, bool high, uint32_t val)
{
    uint64_t old = m->s.rte[pin], rte;

    if (high)
        rte = (old & 0xffffffffull) | ((uint64_t)val << 32 & IOAPIC_RTE_WRITABLE);
    else  /* status and remote IRR are the chip's, not the guest's */
        rte = (old & ~0xffffffffull) | (val & IOAPIC_RTE_WRITABLE) | (old & IOAPIC_RTE_RIRR);
    /* Linux clears a stuck remote IRR by switching the entry to edge and
       back: an entry that stops being level forgets its remote IRR. */
    if (!ioapic__is_level(rte))
        rte &= ~IOAPIC_RTE_RIRR;
    IOAPIC_ASSERT(!(rte & IOAPIC_RTE_RIRR) || ioapic__is_level(rte));
    m->s.rte[pin] = rte;
    /* No longer level, or deasserted by a polarity flip: any storm is over. */
    if (!ioapic__is_level(rte) || !ioapic__asserted(m, pin))
        ioapic__calm(m, pin);
    /* The board's mirror first, then the message (see entry_changed). */
    if (m->hooks.entry_changed)
        m->hooks.entry_changed(m->hooks.ctx, pin);
    /* Unmasked, or changed polarity: a waiting level line goes out now. */
    ioapic__service_level(m, pin);
}

static void ioapic__write_reg(ioapic_model *m, unsigned index, uint32_t val)
{
    unsigned pin = (index - IOAPIC_REDTBL) / 2;

    if (index == IOAPIC_ID) {
        m->s.id = (uint8_t)((val >> 24) & 0x0f);
    } else if (index >= IOAPIC_REDTBL && pin < IOAPIC_PINS) {
        IOAPIC_ASSERT(IOAPIC_REDTBL_LO(pin) + (index & 1) == index);
        ioapic__write_rte(m, pin, index & 1, val);
    }
    /* version, arbitration and every undefined index: read-only or absent */
}
//! [model-regs]

static bool ioapic__plain_access(uint64_t offset, unsigned width)
{
    return width == 4 && (offset & 3) == 0;
}

static uint64_t ioapic__ones(unsigned width)
{
    return width >= 1 && width < 8 ? (1ull << (8 * width)) - 1 : UINT64_MAX;
}

IOAPIC_DEF uint64_t ioapic_model_read(void *m, uint64_t offset, unsigned width)
{
    ioapic_model *io = (ioapic_model *)m;

    if (!ioapic__plain_access(offset, width))
        return ioapic__ones(width);
    if (offset == IOAPIC_IOREGSEL)
        return io->s.ioregsel;
    if (offset == IOAPIC_IOWIN)
        return ioapic__read_reg(io, io->s.ioregsel);
    return 0xffffffffu; /* the EOI register is write-only; holes float */
}

IOAPIC_DEF void ioapic_model_write(void *m, uint64_t offset, unsigned width, uint64_t value)
{
    ioapic_model *io = (ioapic_model *)m;

    if (!ioapic__plain_access(offset, width))
        return;
    if (offset == IOAPIC_IOREGSEL)
        io->s.ioregsel = (uint8_t)value;
    else if (offset == IOAPIC_IOWIN)
        ioapic__write_reg(io, io->s.ioregsel, (uint32_t)value);
    else if (offset == IOAPIC_EOIR && io->cfg.version >= IOAPIC_VERSION_20)
        ioapic_model_eoi(io, (uint8_t)value);
}

static void ioapic__copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;

    while (n--)
        *d++ = *s++;
}

IOAPIC_DEF int64_t ioapic_model_save(void *m, void *buf, size_t size)
{
    ioapic_model *io = (ioapic_model *)m;

    if (size < sizeof io->s)
        return -1;
    ioapic__copy(buf, &io->s, sizeof io->s);
    return (int64_t)sizeof io->s;
}

static bool ioapic__valid(const ioapic_state *s)
{
    const uint32_t all = (1u << IOAPIC_PINS) - 1;

    if (s->version != IOAPIC_STATE_VERSION || s->id > 0x0f || s->reserved ||
        (s->lines & ~all) || (s->held & ~all) ||
        (!s->held && s->deadline != IOAPIC_NO_DEADLINE)) /* a deadline needs a held pin */
        return false;
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t rte = s->rte[pin];
        bool held = (s->held >> pin) & 1;

        if (rte & ~(IOAPIC_RTE_WRITABLE | IOAPIC_RTE_RIRR))
            return false; /* reserved bits, or a stored delivery status */
        if ((rte & IOAPIC_RTE_RIRR) && !ioapic__is_level(rte))
            return false;
        /* A pin is held only at an EOI that cleared its remote IRR, after
           a full storm, and sends nothing until it is let go. */
        if (held && (!ioapic__is_level(rte) || s->storm[pin] < IOAPIC_STORM_MAX ||
                     (rte & IOAPIC_RTE_RIRR)))
            return false;
    }
    return true;
}

IOAPIC_DEF int64_t ioapic_model_restore(void *m, const void *buf, size_t size)
{
    ioapic_model *io = (ioapic_model *)m;
    ioapic_state in;

    /* A snapshot is input like any other: check it before trusting it. */
    if (size != sizeof in)
        return -1;
    ioapic__copy(&in, buf, sizeof in);
    if (!ioapic__valid(&in))
        return -1;
    io->s = in;
    ioapic__all_changed(io);
    if (io->s.held && io->hooks.wake)
        io->hooks.wake(io->hooks.ctx);
    return (int64_t)sizeof in;
}

#endif /* IOAPIC_IMPLEMENTATION */

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
