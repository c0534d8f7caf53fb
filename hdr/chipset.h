/* chipset.h - the chipset builder: devices, their address ranges, and dispatch.

   WHAT IT IS
   The motherboard of a monitor. Device models register by name with the port
   ranges and MMIO ranges they answer, one read and one write handler per kind
   of range, and optional hooks: poll ("advance to time t, tell me your next
   deadline"), start, stop, reset, save and restore. chipset_build() checks
   every range against every other and reports ALL conflicts at once, each
   naming both devices and both ranges. The built chipset dispatches a guest's
   port I/O and MMIO by address in O(log n), with device-relative offsets
   (a range may start at any offset of its device's, for a device that
   answers in several places); an unclaimed port or hole reads all-ones and
   ignores writes, with a rate-limited warning; per-device access counters
   can be printed. The whole machine's state saves into, and restores from,
   one caller buffer, one record per device with a save hook; there is no
   per-device call.
   Interrupt lines are not here: a device keeps its line in its own context.
   A chipset is not locked: call it from one thread at a time (the monitor's
   device loop); handlers may call back into it, for instance to reach
   another device.

   HARDWARE
   No chip: the two address spaces of a PC. Port I/O is 64 KiB of ports reached
   by IN/OUT with 1, 2 or 4 bytes (Intel SDM vol. 1, ch. 19 "Input/Output");
   MMIO is the physical address space (64-bit here). On real boards an access
   nobody decodes floats high, which is why holes read all-ones. The design
   follows OpenVMM's vmotherboard (errors collected and reported at build) and
   kvmtool's (base, length, handler, context) registration.

   BOOK
   book/chipset.md, "The chipset builder".

   USAGE
   In exactly one C file:
       #define CHIPSET_IMPLEMENTATION
       #include "chipset.h"
   Then, with storage you own:
       chipset_device devs[16];  chipset_range ranges[32];  chipset_error errs[8];
       chipset_config cfg = { devs, 16, ranges, 32, on_error, on_unclaimed, log };
       chipset c;
       chipset_init(&c, &cfg);
       int com1 = chipset_add_device(&c, "uart16550", &uart_ops, &uart);
       chipset_add_range(&c, com1, CHIPSET_PIO, 0x3f8, 8, "regs");
       if (chipset_build(&c, errs, 8) != 0) exit(1);   // every conflict reported
       uint64_t v = chipset_pio_read(&c, 0x3fd, 1);     // uart_ops.pio_read(&uart, 5, 1)

   OVERRIDABLE MACROS (define before the include)
     CHIPSET_DEF        linkage of public functions   (default: extern)
     CHIPSET_STATIC     define it to make every public function static
     CHIPSET_ASSERT     assertion for internal invariants (default: none): a
                        built chipset's ranges of a kind are sorted and
                        disjoint, and a range found at dispatch names a
                        registered device. No guest access can trip it.
     CHIPSET_WARN_FIRST unclaimed accesses always warned about, per address
                        space, before only the 2^k-th ones are (default: 10)

   LICENSE at the end of the file.
*/
#ifndef CHIPSET_H
#define CHIPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under CHIPSET_STATIC. */
#ifndef CHIPSET_DEF
#ifdef CHIPSET_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define CHIPSET_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define CHIPSET_DEF static
#endif
#else
#define CHIPSET_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file chipset.h
    @brief Chipset builder: device registration, conflict checks, dispatch. See @ref chipset.

    Tests: tests/chipset_test.c, tests/board_test.c. Used alone:
    book/alone/chipset.c, shown in the chapter's appendix. */

/* Negative results of the registration and save/restore calls. */
#define CHIPSET_EINVAL    (-1) /**< a null name or ops, an unknown device or kind */
#define CHIPSET_ENOSPC    (-2) /**< an array or buffer of the caller's is too small */
#define CHIPSET_EBUILT    (-3) /**< the chipset is already built: registration is closed */
#define CHIPSET_ENOTBUILT (-4) /**< the chipset has not been built successfully */
#define CHIPSET_ENOTSUP   (-5) /**< the device has no such hook */

/** A poll hook's "no deadline": the device never needs to run by itself. */
#define CHIPSET_NEVER UINT64_MAX
/** Size of the port I/O space: ports 0 to 0xFFFF. */
#define CHIPSET_PORTS 0x10000u

/** The two address spaces a range can live in. */
typedef enum chipset_kind {
    CHIPSET_PIO = 0,  /**< port I/O: IN and OUT, ports 0 to 0xFFFF */
    CHIPSET_MMIO = 1, /**< memory-mapped I/O: physical addresses */
    CHIPSET_KINDS = 2 /**< number of kinds */
} chipset_kind;

//! [chipset-handlers]
/** Read `width` (1, 2, 4 or 8) bytes at `offset` from the start of the
    device's range; the result is truncated to `width` bytes. */
typedef uint64_t chipset_read_fn(void *ctx, uint64_t offset, unsigned width);
/** Write the low `width` bytes of `value` at `offset` from the range's start. */
typedef void chipset_write_fn(void *ctx, uint64_t offset, unsigned width, uint64_t value);
//! [chipset-handlers]

/** What a device can do. Every member may be NULL: a missing read handler
    reads all-ones, a missing write handler ignores the write, a missing
    hook is skipped. The chipset keeps a pointer, so keep the struct alive. */
typedef struct chipset_ops {
    chipset_read_fn *pio_read;    /**< reads from the device's port ranges */
    chipset_write_fn *pio_write;  /**< writes to the device's port ranges */
    chipset_read_fn *mmio_read;   /**< reads from the device's MMIO ranges */
    chipset_write_fn *mmio_write; /**< writes to the device's MMIO ranges */
    /** Advance to time `now` (ns, as in timer.h) and return the next time the
        device must run, or CHIPSET_NEVER. */
    uint64_t (*poll)(void *ctx, uint64_t now);
    void (*start)(void *ctx); /**< start running (fanned out in registration order) */
    void (*stop)(void *ctx);  /**< stop running (fanned out in reverse order) */
    void (*reset)(void *ctx); /**< back to power-on state (registration order) */
    /** Write the device's state into `buf` (`size` bytes); return the bytes
        written, or a negative error (for instance: `buf` too small). */
    int64_t (*save)(void *ctx, void *buf, size_t size);
    /** Load the state saved in `buf` (`size` bytes); return the bytes used or
        a negative error. The buffer is untrusted input: check it. */
    int64_t (*restore)(void *ctx, const void *buf, size_t size);
} chipset_ops;

/** How often a device was accessed, per kind of range. */
typedef struct chipset_counters {
    uint64_t reads[CHIPSET_KINDS];  /**< reads dispatched to the device */
    uint64_t writes[CHIPSET_KINDS]; /**< writes dispatched to the device */
} chipset_counters;

/** One registered device. Storage is the caller's; the chipset fills it. */
typedef struct chipset_device {
    const char *name;          /**< unique name, as given (not copied) */
    const chipset_ops *ops;    /**< its handlers and hooks */
    void *ctx;                 /**< passed to every handler and hook */
    chipset_counters counters; /**< accesses dispatched to it */
} chipset_device;

/** One address range claimed by a device: bytes base to base + length - 1. */
typedef struct chipset_range {
    uint64_t base;      /**< first port or address */
    uint64_t length;    /**< number of ports or bytes; 0 is an error */
    const char *region; /**< optional name of the region ("regs", "elcr"), or NULL */
    uint64_t offset;    /**< the device offset its first byte answers as (0 unless
                             given to chipset_add_range_at()); any value */
    uint32_t dev;       /**< index of the owning device */
    chipset_kind kind;  /**< port I/O or MMIO */
} chipset_range;

/** What chipset_build() found wrong. */
typedef enum chipset_error_kind {
    CHIPSET_ERR_CONFLICT,         /**< range overlaps other_range of another (or the same) device */
    CHIPSET_ERR_EMPTY,            /**< range has length 0 */
    CHIPSET_ERR_WRAP,             /**< range runs past the end of its address space */
    CHIPSET_ERR_DUPLICATE_NAME,   /**< dev has the same name as an earlier device */
    CHIPSET_ERR_TOO_MANY_DEVICES, /**< count devices did not fit; dev is the first */
    CHIPSET_ERR_TOO_MANY_RANGES,  /**< count ranges did not fit; range (of dev) is the first */
    CHIPSET_ERR_INVALID           /**< count registrations were invalid (CHIPSET_EINVAL) */
} chipset_error_kind;

/** One problem found by chipset_build(); chipset_format_error() words it. */
typedef struct chipset_error {
    chipset_error_kind kind;   /**< what is wrong */
    const char *dev;           /**< the later device involved (NULL for CHIPSET_ERR_INVALID) */
    const char *other;         /**< the earlier device of a conflict or duplicate, else NULL */
    chipset_range range;       /**< dev's range, for range errors */
    chipset_range other_range; /**< other's range, for CHIPSET_ERR_CONFLICT */
    size_t count;              /**< for the TOO_MANY and INVALID kinds: how many */
    size_t capacity;           /**< for the TOO_MANY kinds: the array's capacity */
} chipset_error;

/** An access that no range claims, as told to the warning hook. */
typedef struct chipset_unclaimed {
    chipset_kind kind; /**< the address space */
    uint64_t addr;     /**< port or physical address */
    unsigned width;    /**< access width in bytes */
    bool is_write;     /**< a write (ignored) or a read (all-ones) */
    uint64_t value;    /**< the value written, or the all-ones returned */
    uint64_t count;    /**< this is the count-th unclaimed access of this kind */
    const char *near;  /**< device whose range the access straddles, or NULL */
} chipset_unclaimed;

/** The caller's storage and hooks for one chipset. */
typedef struct chipset_config {
    chipset_device *devices; /**< array for the devices */
    size_t device_cap;       /**< its capacity */
    chipset_range *ranges;   /**< array for the ranges; chipset_build() sorts it */
    size_t range_cap;        /**< its capacity */
    /** Called by chipset_build() once per error, or NULL. */
    void (*on_error)(void *ctx, const chipset_error *e);
    /** Called for the 1st to CHIPSET_WARN_FIRST-th unclaimed access of each
        kind, then for the 2^k-th only; or NULL. */
    void (*on_unclaimed)(void *ctx, const chipset_unclaimed *u);
    void *hook_ctx; /**< passed to on_error and on_unclaimed */
} chipset_config;

/** A chipset: the caller allocates it; every field is private. */
typedef struct chipset {
    chipset_config cfg;                     /**< storage and hooks, copied at init */
    size_t ndevices;                        /**< devices registered */
    size_t nranges;                         /**< ranges registered */
    bool built;                             /**< a build succeeded: dispatch is on */
    size_t first[CHIPSET_KINDS];            /**< after build: first sorted range of a kind */
    size_t count[CHIPSET_KINDS];            /**< after build: number of ranges of a kind */
    uint64_t unclaimed[CHIPSET_KINDS];      /**< unclaimed accesses, per kind */
    size_t lost_devices;                    /**< add_device calls that found no room */
    const char *lost_device;                /**< the first of them */
    size_t lost_ranges;                     /**< add_range calls that found no room */
    chipset_range lost_range;               /**< the first of them */
    size_t invalid;                         /**< registrations that were invalid */
} chipset;

/** Start an empty chipset on the storage in `cfg` (copied). */
CHIPSET_DEF void chipset_init(chipset *c, const chipset_config *cfg);

/** Register a device. Returns its index (0, 1, ...) or a negative error:
    CHIPSET_ENOSPC when the device array is full (build then fails, naming
    it), CHIPSET_EINVAL for a NULL name or ops, CHIPSET_EBUILT after a build. */
CHIPSET_DEF int chipset_add_device(chipset *c, const char *name, const chipset_ops *ops,
                                   void *ctx);

/** Give device `dev` the range base to base + length - 1 of `kind`, with an
    optional region name. Returns 0 or a negative error. A negative `dev` (a
    failed chipset_add_device() result) is ignored: that failure is reported
    already. Zero-length and wrapping ranges are accepted here and reported
    by chipset_build(). */
CHIPSET_DEF int chipset_add_range(chipset *c, int dev, chipset_kind kind, uint64_t base,
                                  uint64_t length, const char *region);
/** As chipset_add_range(), for a device that answers in several places: an
    access at base + i reaches the device at offset `offset` + i. The 8259
    pair, for one, puts its master, slave and ELCR ports in one offset space
    and the board maps 0x20, 0xA0 and 0x4D0 onto its parts. Overlap is
    checked on addresses only: two ranges may map the same offsets, and two
    ranges of one device must not share an address, whatever their offsets.
    The device offset is computed as addr - base + offset in uint64_t, so it
    wraps modulo 2^64: a range whose offsets run past UINT64_MAX hands the
    device 0, 1, ... for its last bytes, and an access's offset + width may
    wrap. The chipset passes offsets as they come; decoding them, and
    refusing the ones it does not know, is the device's business. */
CHIPSET_DEF int chipset_add_range_at(chipset *c, int dev, chipset_kind kind, uint64_t base,
                                     uint64_t length, const char *region, uint64_t offset);

/** Check everything registered: every range against every other of its kind,
    empty and wrapping ranges, duplicate names, full arrays. Every error goes
    to cfg.on_error and the first `cap` into `errs` (which may be NULL).
    Returns the number of errors; 0 means built, and dispatch works. After a
    failed build the chipset dispatches nothing; registrations cannot be
    undone, so fix the configuration and start again with chipset_init(). */
CHIPSET_DEF size_t chipset_build(chipset *c, chipset_error *errs, size_t cap);

/** Word an error as one line, for instance `uart16550 port 0x3f8-0x3ff
    conflicts with pic port 0x3f0-0x3ff`, into `buf` (always terminated when
    `size` > 0). Returns the length of the whole line, as snprintf does. */
CHIPSET_DEF size_t chipset_format_error(const chipset_error *e, char *buf, size_t size);

/** A guest IN of `width` bytes from `port`: the claiming device's answer, or
    all-ones of that width when no range holds all the bytes. */
CHIPSET_DEF uint64_t chipset_pio_read(chipset *c, uint16_t port, unsigned width);
/** A guest OUT of `width` bytes to `port`; ignored when unclaimed. */
CHIPSET_DEF void chipset_pio_write(chipset *c, uint16_t port, unsigned width, uint64_t value);
/** A guest MMIO read; all-ones of the width when unclaimed. */
CHIPSET_DEF uint64_t chipset_mmio_read(chipset *c, uint64_t addr, unsigned width);
/** A guest MMIO write; ignored when unclaimed. */
CHIPSET_DEF void chipset_mmio_write(chipset *c, uint64_t addr, unsigned width, uint64_t value);

/** Number of unclaimed accesses of `kind` so far (warned about or not). */
CHIPSET_DEF uint64_t chipset_unclaimed_count(const chipset *c, chipset_kind kind);

/** Call `fn` with each device's name and counters, in registration order. */
CHIPSET_DEF void chipset_visit_counters(const chipset *c,
                                        void (*fn)(void *ctx, const char *name,
                                                   const chipset_counters *k),
                                        void *ctx);

/** Call every poll hook with `now`; return the earliest deadline any of them
    returned, or CHIPSET_NEVER (also when not built). */
CHIPSET_DEF uint64_t chipset_advance(chipset *c, uint64_t now);

/** Call every start hook, in registration order. Nothing before a build. */
CHIPSET_DEF void chipset_start(chipset *c);
/** Call every stop hook, in reverse registration order. */
CHIPSET_DEF void chipset_stop(chipset *c);
/** Call every reset hook, in registration order. */
CHIPSET_DEF void chipset_reset(chipset *c);

/** Save the whole machine into `buf`: for each device with a save hook, in
    registration order, a record of its name length (4 bytes, little-endian),
    its name, its state length (8 bytes, little-endian) and its state.
    Returns the bytes written, CHIPSET_ENOSPC when `buf` is too small, a
    hook's negative error, or CHIPSET_ENOTBUILT. */
CHIPSET_DEF int64_t chipset_save(chipset *c, void *buf, size_t size);
/** Restore a machine saved by chipset_save(): each record goes to the device
    of that name, in the order saved. Returns the bytes used, or
    CHIPSET_EINVAL for a truncated record or an unknown name,
    CHIPSET_ENOTSUP for a device without a restore hook, a hook's negative
    error, or CHIPSET_ENOTBUILT. Records before a failing one have been
    restored already: after an error, reset the machine. */
CHIPSET_DEF int64_t chipset_restore(chipset *c, const void *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* CHIPSET_H */

/* ======================================================================== */
#ifdef CHIPSET_IMPLEMENTATION

#ifndef CHIPSET_ASSERT
#define CHIPSET_ASSERT(c) ((void)0)
#endif
#ifndef CHIPSET_WARN_FIRST
#define CHIPSET_WARN_FIRST 10
#endif

/* ---- registration ---- */

CHIPSET_DEF void chipset_init(chipset *c, const chipset_config *cfg)
{
    chipset zero = { *cfg, 0, 0, false, { 0, 0 }, { 0, 0 }, { 0, 0 }, 0, NULL, 0,
                     { 0, 0, NULL, 0, 0, CHIPSET_PIO }, 0 };

    *c = zero;
}

static bool chipset__streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

CHIPSET_DEF int chipset_add_device(chipset *c, const char *name, const chipset_ops *ops,
                                   void *ctx)
{
    chipset_counters zero = { { 0, 0 }, { 0, 0 } };
    chipset_device *d;

    if (c->built)
        return CHIPSET_EBUILT;
    if (!name || !ops) {
        c->invalid++;
        return CHIPSET_EINVAL;
    }
    if (c->ndevices >= c->cfg.device_cap || c->ndevices >= INT32_MAX) {
        if (c->lost_devices++ == 0)
            c->lost_device = name;
        return CHIPSET_ENOSPC;
    }
    d = &c->cfg.devices[c->ndevices];
    d->name = name;
    d->ops = ops;
    d->ctx = ctx;
    d->counters = zero;
    return (int)c->ndevices++;
}

CHIPSET_DEF int chipset_add_range(chipset *c, int dev, chipset_kind kind, uint64_t base,
                                  uint64_t length, const char *region)
{
    return chipset_add_range_at(c, dev, kind, base, length, region, 0);
}

CHIPSET_DEF int chipset_add_range_at(chipset *c, int dev, chipset_kind kind, uint64_t base,
                                     uint64_t length, const char *region, uint64_t offset)
{
    chipset_range r;

    if (c->built)
        return CHIPSET_EBUILT;
    if (dev < 0)
        return CHIPSET_EINVAL; /* the failed chipset_add_device() is reported */
    if ((size_t)dev >= c->ndevices || (kind != CHIPSET_PIO && kind != CHIPSET_MMIO)) {
        c->invalid++;
        return CHIPSET_EINVAL;
    }
    r.base = base;
    r.length = length;
    r.region = region;
    r.offset = offset;
    r.dev = (uint32_t)dev;
    r.kind = kind;
    if (c->nranges >= c->cfg.range_cap) {
        if (c->lost_ranges++ == 0)
            c->lost_range = r;
        return CHIPSET_ENOSPC;
    }
    c->cfg.ranges[c->nranges++] = r;
    return 0;
}

/* ---- the build ---- */

/* The first address past the end of a kind's address space, minus one. */
static uint64_t chipset__space_last(chipset_kind kind)
{
    return kind == CHIPSET_PIO ? CHIPSET_PORTS - 1 : UINT64_MAX;
}

/* A range is well-formed when it is non-empty and its last byte is still in
   its address space (base + length - 1 neither wraps nor passes 0xFFFF). */
static bool chipset__range_ok(const chipset_range *r)
{
    uint64_t last = chipset__space_last(r->kind);

    return r->length != 0 && r->base <= last && r->length - 1 <= last - r->base;
}

static void chipset__report(chipset *c, chipset_error *errs, size_t cap, size_t *n,
                            const chipset_error *e)
{
    if (*n < cap && errs)
        errs[*n] = *e;
    if (c->cfg.on_error)
        c->cfg.on_error(c->cfg.hook_ctx, e);
    (*n)++;
}

static chipset_error chipset__error(chipset_error_kind kind, const char *dev)
{
    chipset_error e;
    chipset_range none = { 0, 0, NULL, 0, 0, CHIPSET_PIO };

    e.kind = kind;
    e.dev = dev;
    e.other = NULL;
    e.range = none;
    e.other_range = none;
    e.count = 0;
    e.capacity = 0;
    return e;
}

static const char *chipset__name(const chipset *c, const chipset_range *r)
{
    return c->cfg.devices[r->dev].name;
}

//! [chipset-check]
/* Every range against every earlier one: O(n^2), once, so that each conflict
   is reported with both sides, in registration order ("later conflicts with
   earlier"). Malformed ranges are reported once and not compared. */
static void chipset__check_ranges(chipset *c, chipset_error *errs, size_t cap, size_t *n)
{
    for (size_t j = 0; j < c->nranges; j++) {
        const chipset_range *b = &c->cfg.ranges[j];
        chipset_error e = chipset__error(CHIPSET_ERR_CONFLICT, chipset__name(c, b));

        e.range = *b;
        if (!chipset__range_ok(b)) {
            e.kind = b->length == 0 ? CHIPSET_ERR_EMPTY : CHIPSET_ERR_WRAP;
            chipset__report(c, errs, cap, n, &e);
            continue;
        }
        for (size_t i = 0; i < j; i++) {
            const chipset_range *a = &c->cfg.ranges[i];

            if (a->kind != b->kind || !chipset__range_ok(a))
                continue;
            /* Both are well-formed, so the last bytes do not overflow. */
            if (a->base <= b->base + (b->length - 1) && b->base <= a->base + (a->length - 1)) {
                e.other = chipset__name(c, a);
                e.other_range = *a;
                chipset__report(c, errs, cap, n, &e);
            }
        }
    }
}
//! [chipset-check]

static void chipset__check_names(chipset *c, chipset_error *errs, size_t cap, size_t *n)
{
    for (size_t j = 0; j < c->ndevices; j++)
        for (size_t i = 0; i < j; i++)
            if (chipset__streq(c->cfg.devices[i].name, c->cfg.devices[j].name)) {
                chipset_error e =
                    chipset__error(CHIPSET_ERR_DUPLICATE_NAME, c->cfg.devices[j].name);

                e.other = c->cfg.devices[i].name;
                chipset__report(c, errs, cap, n, &e);
                break; /* one report per later duplicate */
            }
}

static void chipset__check_lost(chipset *c, chipset_error *errs, size_t cap, size_t *n)
{
    chipset_error e = chipset__error(CHIPSET_ERR_INVALID, NULL);

    if (c->lost_devices) {
        e = chipset__error(CHIPSET_ERR_TOO_MANY_DEVICES, c->lost_device);
        e.count = c->lost_devices;
        e.capacity = c->cfg.device_cap;
        chipset__report(c, errs, cap, n, &e);
    }
    if (c->lost_ranges) {
        e = chipset__error(CHIPSET_ERR_TOO_MANY_RANGES, chipset__name(c, &c->lost_range));
        e.range = c->lost_range;
        e.count = c->lost_ranges;
        e.capacity = c->cfg.range_cap;
        chipset__report(c, errs, cap, n, &e);
    }
    if (c->invalid) {
        e = chipset__error(CHIPSET_ERR_INVALID, NULL);
        e.count = c->invalid;
        chipset__report(c, errs, cap, n, &e);
    }
}

static bool chipset__before(const chipset_range *a, const chipset_range *b)
{
    return a->kind != b->kind ? a->kind < b->kind : a->base < b->base;
}

/* Sort by (kind, base) so dispatch can binary-search. Insertion sort: the
   ranges are few, it runs once, and it needs no memory of its own. */
static void chipset__sort(chipset *c)
{
    chipset_range *r = c->cfg.ranges;

    for (size_t i = 1; i < c->nranges; i++) {
        chipset_range x = r[i];
        size_t j = i;

        for (; j > 0 && chipset__before(&x, &r[j - 1]); j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
    c->count[CHIPSET_PIO] = 0;
    while (c->count[CHIPSET_PIO] < c->nranges && r[c->count[CHIPSET_PIO]].kind == CHIPSET_PIO)
        c->count[CHIPSET_PIO]++;
    c->first[CHIPSET_PIO] = 0;
    c->first[CHIPSET_MMIO] = c->count[CHIPSET_PIO];
    c->count[CHIPSET_MMIO] = c->nranges - c->count[CHIPSET_PIO];
    /* What the binary search relies on: within a kind, each range ends
       before the next begins (the checks have just proved it). */
    for (size_t i = 1; i < c->nranges; i++)
        CHIPSET_ASSERT(r[i].kind != r[i - 1].kind ||
                       r[i].base - r[i - 1].base >= r[i - 1].length);
}

CHIPSET_DEF size_t chipset_build(chipset *c, chipset_error *errs, size_t cap)
{
    size_t n = 0;

    if (c->built)
        return 0;
    chipset__check_lost(c, errs, cap, &n);
    chipset__check_names(c, errs, cap, &n);
    chipset__check_ranges(c, errs, cap, &n);
    if (n == 0) {
        chipset__sort(c);
        c->built = true;
    }
    return n;
}

/* ---- wording an error, without libc ---- */

typedef struct chipset__buf {
    char *p;
    size_t size, len;
} chipset__buf;

static void chipset__puts(chipset__buf *b, const char *s)
{
    for (; s && *s; s++, b->len++)
        if (b->len + 1 < b->size)
            b->p[b->len] = *s;
}

static void chipset__putx(chipset__buf *b, uint64_t v)
{
    char tmp[19];
    int i = (int)sizeof tmp - 1;

    tmp[i] = 0;
    do
        tmp[--i] = "0123456789abcdef"[v & 15];
    while ((v >>= 4) != 0 && i > 2);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    chipset__puts(b, tmp + i);
}

static void chipset__putu(chipset__buf *b, uint64_t v)
{
    char tmp[21];
    int i = (int)sizeof tmp - 1;

    tmp[i] = 0;
    do
        tmp[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    chipset__puts(b, tmp + i);
}

/* "pic/elcr port 0x4d0-0x4d1"; a malformed range shows base+length. */
static void chipset__put_range(chipset__buf *b, const char *dev, const chipset_range *r)
{
    chipset__puts(b, dev);
    if (r->region) {
        chipset__puts(b, "/");
        chipset__puts(b, r->region);
    }
    chipset__puts(b, r->kind == CHIPSET_PIO ? " port " : " mmio ");
    chipset__putx(b, r->base);
    if (chipset__range_ok(r)) {
        chipset__puts(b, "-");
        chipset__putx(b, r->base + (r->length - 1));
    } else {
        chipset__puts(b, "+");
        chipset__putx(b, r->length);
    }
}

static void chipset__put_lost(chipset__buf *b, const chipset_error *e, const char *what)
{
    chipset__putu(b, e->count);
    chipset__puts(b, what);
    chipset__putu(b, e->capacity);
    chipset__puts(b, "), the first is ");
}

CHIPSET_DEF size_t chipset_format_error(const chipset_error *e, char *buf, size_t size)
{
    chipset__buf b = { buf, size, 0 };

    switch (e->kind) {
    case CHIPSET_ERR_CONFLICT:
        chipset__put_range(&b, e->dev, &e->range);
        chipset__puts(&b, " conflicts with ");
        chipset__put_range(&b, e->other, &e->other_range);
        break;
    case CHIPSET_ERR_EMPTY:
        chipset__put_range(&b, e->dev, &e->range);
        chipset__puts(&b, " is empty");
        break;
    case CHIPSET_ERR_WRAP:
        chipset__put_range(&b, e->dev, &e->range);
        chipset__puts(&b, e->range.kind == CHIPSET_PIO ? " runs past port 0xffff"
                                                       : " wraps past the end of memory");
        break;
    case CHIPSET_ERR_DUPLICATE_NAME:
        chipset__puts(&b, "device name ");
        chipset__puts(&b, e->dev);
        chipset__puts(&b, " is registered twice");
        break;
    case CHIPSET_ERR_TOO_MANY_DEVICES:
        chipset__put_lost(&b, e, " device(s) do not fit (capacity ");
        chipset__puts(&b, e->dev);
        break;
    case CHIPSET_ERR_TOO_MANY_RANGES:
        chipset__put_lost(&b, e, " range(s) do not fit (capacity ");
        chipset__put_range(&b, e->dev, &e->range);
        break;
    default:
        chipset__putu(&b, e->count);
        chipset__puts(&b, " registration(s) had a null name or ops, or an unknown device or kind");
        break;
    }
    if (size)
        buf[b.len < size ? b.len : size - 1] = 0;
    return b.len;
}

/* ---- dispatch ---- */

/* All-ones of an access width: what a floating bus reads. */
static uint64_t chipset__ones(unsigned width)
{
    return width >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * width)) - 1;
}

//! [chipset-dispatch]
/* The range of `kind` that holds every byte of the access, or NULL. Ranges
   of a kind are sorted and disjoint, so the candidate is the last one that
   starts at or below addr: a binary search, O(log n). An access that begins
   in a range and runs past its end (or begins in a hole and runs into a
   range) is not claimed: no device ever sees bytes outside its range. */
static const chipset_range *chipset__lookup(const chipset *c, chipset_kind kind, uint64_t addr,
                                            unsigned width, const char **near)
{
    const chipset_range *r = c->cfg.ranges + c->first[kind];
    size_t lo = 0, hi = c->count[kind]; /* answer in lo - 1 once lo == hi */

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (r[mid].base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr - r[lo - 1].base >= r[lo - 1].length)
        return NULL;
    r += lo - 1;
    CHIPSET_ASSERT(r->dev < c->ndevices);
    if (width > r->length - (addr - r->base)) {
        *near = c->cfg.devices[r->dev].name; /* straddles the end */
        return NULL;
    }
    return r;
}
//! [chipset-dispatch]

static bool chipset__width_ok(unsigned width)
{
    return width == 1 || width == 2 || width == 4 || width == 8;
}

//! [chipset-unclaimed]
/* book/security.md, rule 5: a hole reads all-ones and ignores writes, and a guest
   looping on one must not flood the log: warn about the first
   CHIPSET_WARN_FIRST, then only the 2^k-th (a million OUTs: 10 + 16 lines). */
static bool chipset__warn_due(uint64_t n)
{
    return n <= CHIPSET_WARN_FIRST || (n & (n - 1)) == 0;
}

static uint64_t chipset__unclaimed(chipset *c, chipset_kind kind, uint64_t addr, unsigned width,
                                   bool is_write, uint64_t value, const char *near)
{
    uint64_t n = ++c->unclaimed[kind];

    if (!is_write)
        value = chipset__ones(width);
    if (c->cfg.on_unclaimed && chipset__warn_due(n)) {
        chipset_unclaimed u = { kind, addr, width, is_write, value, n, near };

        c->cfg.on_unclaimed(c->cfg.hook_ctx, &u);
    }
    return value;
}
//! [chipset-unclaimed]

static uint64_t chipset__read(chipset *c, chipset_kind kind, uint64_t addr, unsigned width)
{
    const char *near = NULL;
    const chipset_range *r = chipset__width_ok(width)
                                 ? chipset__lookup(c, kind, addr, width, &near)
                                 : NULL;
    chipset_device *d;
    chipset_read_fn *fn;

    if (!r)
        return chipset__unclaimed(c, kind, addr, width, false, 0, near);
    d = &c->cfg.devices[r->dev];
    d->counters.reads[kind]++;
    fn = kind == CHIPSET_PIO ? d->ops->pio_read : d->ops->mmio_read;
    return fn ? fn(d->ctx, addr - r->base + r->offset, width) & chipset__ones(width) : chipset__ones(width);
}

static void chipset__write(chipset *c, chipset_kind kind, uint64_t addr, unsigned width,
                           uint64_t value)
{
    const char *near = NULL;
    const chipset_range *r = chipset__width_ok(width)
                                 ? chipset__lookup(c, kind, addr, width, &near)
                                 : NULL;
    chipset_device *d;
    chipset_write_fn *fn;

    value &= chipset__ones(width);
    if (!r) {
        chipset__unclaimed(c, kind, addr, width, true, value, near);
        return;
    }
    d = &c->cfg.devices[r->dev];
    d->counters.writes[kind]++;
    fn = kind == CHIPSET_PIO ? d->ops->pio_write : d->ops->mmio_write;
    if (fn)
        fn(d->ctx, addr - r->base + r->offset, width, value);
}

CHIPSET_DEF uint64_t chipset_pio_read(chipset *c, uint16_t port, unsigned width)
{
    return chipset__read(c, CHIPSET_PIO, port, width);
}

CHIPSET_DEF void chipset_pio_write(chipset *c, uint16_t port, unsigned width, uint64_t value)
{
    chipset__write(c, CHIPSET_PIO, port, width, value);
}

CHIPSET_DEF uint64_t chipset_mmio_read(chipset *c, uint64_t addr, unsigned width)
{
    return chipset__read(c, CHIPSET_MMIO, addr, width);
}

CHIPSET_DEF void chipset_mmio_write(chipset *c, uint64_t addr, unsigned width, uint64_t value)
{
    chipset__write(c, CHIPSET_MMIO, addr, width, value);
}

CHIPSET_DEF uint64_t chipset_unclaimed_count(const chipset *c, chipset_kind kind)
{
    return kind == CHIPSET_PIO || kind == CHIPSET_MMIO ? c->unclaimed[kind] : 0;
}

CHIPSET_DEF void chipset_visit_counters(const chipset *c,
                                        void (*fn)(void *ctx, const char *name,
                                                   const chipset_counters *k),
                                        void *ctx)
{
    for (size_t i = 0; i < c->ndevices; i++)
        fn(ctx, c->cfg.devices[i].name, &c->cfg.devices[i].counters);
}

/* ---- time and lifecycle ---- */

CHIPSET_DEF uint64_t chipset_advance(chipset *c, uint64_t now)
{
    uint64_t next = CHIPSET_NEVER;

    for (size_t i = 0; c->built && i < c->ndevices; i++) {
        chipset_device *d = &c->cfg.devices[i];
        uint64_t t;

        if (!d->ops->poll)
            continue;
        t = d->ops->poll(d->ctx, now);
        if (t < next)
            next = t;
    }
    return next;
}

CHIPSET_DEF void chipset_start(chipset *c)
{
    for (size_t i = 0; c->built && i < c->ndevices; i++)
        if (c->cfg.devices[i].ops->start)
            c->cfg.devices[i].ops->start(c->cfg.devices[i].ctx);
}

/* Reverse order: a device stops before the ones it was built on top of. */
CHIPSET_DEF void chipset_stop(chipset *c)
{
    for (size_t i = c->built ? c->ndevices : 0; i > 0; i--)
        if (c->cfg.devices[i - 1].ops->stop)
            c->cfg.devices[i - 1].ops->stop(c->cfg.devices[i - 1].ctx);
}

CHIPSET_DEF void chipset_reset(chipset *c)
{
    for (size_t i = 0; c->built && i < c->ndevices; i++)
        if (c->cfg.devices[i].ops->reset)
            c->cfg.devices[i].ops->reset(c->cfg.devices[i].ctx);
}

/* ---- the whole machine's state ---- */

static const chipset_device *chipset__hooked(const chipset *c, int dev, int64_t *err)
{
    *err = c->built ? CHIPSET_EINVAL : CHIPSET_ENOTBUILT;
    if (!c->built || dev < 0 || (size_t)dev >= c->ndevices)
        return NULL;
    *err = CHIPSET_ENOTSUP;
    return &c->cfg.devices[dev];
}

/* One device's state, through its hook, for chipset_save() and
   chipset_restore(): the hook's result, or CHIPSET_EINVAL (no such device),
   CHIPSET_ENOTBUILT or CHIPSET_ENOTSUP (no such hook). */
static int64_t chipset__save_device(chipset *c, int dev, void *buf, size_t size)
{
    int64_t err;
    const chipset_device *d = chipset__hooked(c, dev, &err);

    return d && d->ops->save ? d->ops->save(d->ctx, buf, size) : err;
}

static int64_t chipset__restore_device(chipset *c, int dev, const void *buf, size_t size)
{
    int64_t err;
    const chipset_device *d = chipset__hooked(c, dev, &err);

    return d && d->ops->restore ? d->ops->restore(d->ctx, buf, size) : err;
}

static void chipset__put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t chipset__get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;

    while (n-- > 0)
        v = v << 8 | p[n];
    return v;
}

/* Does the device's name equal the len bytes at p (which hold no NUL)? */
static bool chipset__name_is(const char *name, const unsigned char *p, uint64_t len)
{
    uint64_t i = 0;

    for (; i < len; i++)
        if (name[i] == 0 || (unsigned char)name[i] != p[i])
            return false;
    return name[i] == 0;
}

CHIPSET_DEF int64_t chipset_save(chipset *c, void *buf, size_t size)
{
    unsigned char *p = (unsigned char *)buf;
    size_t used = 0;

    if (!c->built)
        return CHIPSET_ENOTBUILT;
    for (size_t i = 0; i < c->ndevices; i++) {
        const chipset_device *d = &c->cfg.devices[i];
        size_t len = 0;
        int64_t n;

        if (!d->ops->save)
            continue;
        while (d->name[len] && len < 0xffffffffu) /* the record holds 4 bytes of it */
            len++;
        if (d->name[len] || size - used < 12 || size - used - 12 < len)
            return CHIPSET_ENOSPC;
        chipset__put_le(p + used, len, 4);
        for (size_t k = 0; k < len; k++)
            p[used + 4 + k] = (unsigned char)d->name[k];
        used += 12 + len;
        n = chipset__save_device(c, (int)i, p + used, size - used);
        if (n < 0)
            return n;
        if ((uint64_t)n > size - used)
            return CHIPSET_ENOSPC; /* a hook claiming more than it was given */
        chipset__put_le(p + used - 8, (uint64_t)n, 8);
        used += (size_t)n;
    }
    return (int64_t)used;
}

/* A saved machine is untrusted input: every length is checked against what
   is left before it is used, and no sum can wrap. */
CHIPSET_DEF int64_t chipset_restore(chipset *c, const void *buf, size_t size)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t used = 0;

    if (!c->built)
        return CHIPSET_ENOTBUILT;
    while (used < size) {
        uint64_t len, n;
        int64_t r = CHIPSET_EINVAL;

        if (size - used < 4 || (len = chipset__get_le(p + used, 4)) > size - used - 4 ||
            size - used - 4 - len < 8)
            return CHIPSET_EINVAL;
        n = chipset__get_le(p + used + 4 + len, 8);
        if (n > size - used - 12 - len)
            return CHIPSET_EINVAL;
        for (size_t i = 0; i < c->ndevices; i++)
            if (chipset__name_is(c->cfg.devices[i].name, p + used + 4, len)) {
                r = chipset__restore_device(c, (int)i, p + used + 12 + len, (size_t)n);
                break;
            }
        if (r < 0)
            return r;
        used += 12 + len + n;
    }
    return (int64_t)used;
}

#endif /* CHIPSET_IMPLEMENTATION */

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
