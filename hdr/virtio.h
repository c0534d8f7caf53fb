/* virtio.h - the virtio split virtqueue: its ring format, the device side
   that a monitor runs over guest RAM, and the driver side a kernel runs.

   WHAT IT IS
   A virtqueue is how a virtio driver hands buffers to a device and gets
   them back: three areas in guest memory (a descriptor table, the
   available ring the driver fills, the used ring the device fills). This
   header holds the split layout and both algorithms that meet at it:
     - the device side (virtq_dev_*), which a monitor uses to take requests
       off a queue in guest RAM and give them back. It never dereferences a
       guest address: it goes through a ::virtio_mem of hooks that refuse
       anything not wholly in guest RAM, and it treats every byte it reads
       as hostile (book/security.md, rules 1, 2, 4 and 6);
     - the driver side (virtq_drv_*), which a kernel uses over memory it
       owns, and which survives a device that lies about what it used.
   It is not a device model of the chipset contract: it has no registers.
   The transports (virtio-mmio, virtio-pci) and the devices come next.

   HARDWARE
   Virtio 1.2 (OASIS, 2022), section 2.7, "Split Virtqueues", cited below
   by its subsections' titles: its opening (the three parts, their sizes
   and alignments, the queue size a power of two, at most 32768), "Message
   Framing" (readable buffers first), "The Virtqueue Descriptor Table" (16
   bytes: addr, len, flags NEXT/WRITE/INDIRECT, next; at most 2^32 bytes a
   chain) and its "Indirect Descriptors", "The Virtqueue Available Ring"
   (flags, idx, ring[size], used_event), "The Virtqueue Used Ring" (flags,
   idx, ring[size] of {id, len}, avail_event), "Used Buffer" and
   "Available Buffer Notification Suppression" (NO_INTERRUPT, NO_NOTIFY,
   VIRTIO_F_EVENT_IDX), "Supplying Buffers to The Device" (the barriers),
   and the appendix virtio_queue.h (vring_need_event). Every field is
   little-endian.

   BOOK
   book/virtio.md.

   USAGE
   In exactly one C file:
       #define VIRTIO_IMPLEMENTATION
       #include "virtio.h"
   Device side, in a monitor (the hooks bound-check against guest RAM):
       virtio_mem m = { ram_ctx, ram_read, ram_write, ram_check };
       virtq_dev q;
       virtq_seg segs[256];
       virtq_chain c = { segs, 256 };
       virtq_dev_init(&q, size, desc_gpa, avail_gpa, used_gpa, event_idx, indirect);
       while ((r = virtq_dev_pop(&q, &m, &c)) > 0) {
           n = virtq_chain_write(&c, &m, 0, reply, reply_len);
           virtq_dev_push(&q, &m, c.head, n);
       }
       if (r < 0) ...set DEVICE_NEEDS_RESET...
       if (virtq_dev_should_notify(&q, &m)) ...interrupt...
   Driver side, in a kernel (buffers by guest-physical address):
       virtq_drv_init(&d, size, desc, avail, used, event_idx);
       virtq_buf b[2] = { { req_pa, req_len }, { resp_pa, resp_len } };
       virtq_drv_add(&d, b, 1, 1, my_request);
       if (virtq_drv_kick_needed(&d)) ...notify the device...
       while ((tok = virtq_drv_get_used(&d, &len)) != NULL) ...done...

   OVERRIDABLE MACROS (define before the include)
     VIRTIO_DEF      linkage of public functions   (default: extern)
     VIRTIO_STATIC   define it to make every public function static
     VIRTIO_ASSERT   assertion for internal invariants: the head the board
                     gives virtq_dev_push() is one pop returned, so below
                     the size (default: none). Never called on guest or
                     device input, which is handled.
     VIRTIO_MB       a full memory barrier between ring accesses (default:
                     __atomic_thread_fence(__ATOMIC_SEQ_CST) with GCC or
                     Clang, else nothing)
     VIRTQ_DRV_MAX   the largest queue the driver side handles; its
                     per-descriptor bookkeeping lives in ::virtq_drv
                     (default: 256)

   LICENSE at the end of the file.
*/
#ifndef VIRTIO_H
#define VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under VIRTIO_STATIC. */
#ifndef VIRTIO_DEF
#ifdef VIRTIO_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define VIRTIO_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define VIRTIO_DEF static
#endif
#else
#define VIRTIO_DEF extern
#endif
#endif

#ifndef VIRTQ_DRV_MAX
/** The largest queue size the driver side handles (a power of two). */
#define VIRTQ_DRV_MAX 256u
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file virtio.h
    @brief Virtio split virtqueue: ring format, device side and driver side.
    See @ref virtio. */

//! [virtq-layout]
/* "Descriptor Table": a descriptor is 16 bytes, little-endian:
     0  addr   u64  guest-physical address of the buffer
     8  len    u32  its length in bytes
    12  flags  u16  NEXT, WRITE, INDIRECT
    14  next   u16  the next descriptor, if NEXT */
#define VIRTQ_DESC_SIZE     16u       /**< bytes per descriptor */
#define VIRTQ_DESC_F_NEXT     1u      /**< the chain goes on at `next` */
#define VIRTQ_DESC_F_WRITE    2u      /**< device-writable (else device-readable) */
#define VIRTQ_DESC_F_INDIRECT 4u      /**< the buffer is a table of descriptors */

/* "Available Ring": the available ring, written by the driver:
     0  flags  u16   NO_INTERRUPT
     2  idx    u16   where the driver will put its next entry
     4  ring   u16[size]  chain heads
     4+2*size  used_event  u16   (with VIRTIO_F_EVENT_IDX) */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u /**< driver: do not interrupt me */

/* "Used Ring": the used ring, written by the device:
     0  flags  u16   NO_NOTIFY
     2  idx    u16   where the device will put its next entry
     4  ring   {u32 id, u32 len}[size]  chain heads and bytes written
     4+8*size  avail_event  u16  (with VIRTIO_F_EVENT_IDX) */
#define VIRTQ_USED_F_NO_NOTIFY     1u /**< device: do not notify me */

#define VIRTQ_MAX_SIZE 32768u         /**< the largest queue size (section 2.7) */

/** Bytes of the descriptor table of a queue of `n` (aligned to 16). */
#define VIRTQ_DESC_BYTES(n)  ((uint64_t)(n) * 16u)
/** Bytes of the available ring of a queue of `n`, used_event included (aligned to 2). */
#define VIRTQ_AVAIL_BYTES(n) (6u + (uint64_t)(n) * 2u)
/** Bytes of the used ring of a queue of `n`, avail_event included (aligned to 4). */
#define VIRTQ_USED_BYTES(n)  (6u + (uint64_t)(n) * 8u)

/* Feature bits that change the ring's rules (section 6, "Reserved Feature Bits"). */
#define VIRTIO_F_INDIRECT_DESC 28u    /**< feature bit: indirect descriptors */
#define VIRTIO_F_EVENT_IDX     29u    /**< feature bit: used_event and avail_event */
//! [virtq-layout]

/** Errors: what virtq_dev_pop() and the driver calls return, negative. */
enum virtq_error {
    VIRTQ_E_BROKEN = -1,   /**< the queue is broken already; reset it */
    VIRTQ_E_AVAIL = -2,    /**< avail.idx ran more than a queue size ahead */
    VIRTQ_E_MEM = -3,      /**< a ring or buffer not wholly in guest RAM, or wrapping */
    VIRTQ_E_INDEX = -4,    /**< a head or next index out of range */
    VIRTQ_E_LOOP = -5,     /**< a chain longer than the queue (a loop) */
    VIRTQ_E_INDIRECT = -6, /**< an indirect descriptor against the rules */
    VIRTQ_E_ORDER = -7,    /**< a device-readable descriptor after a writable one */
    VIRTQ_E_LEN = -8,      /**< a chain of more than 2^32 bytes */
    VIRTQ_E_CAP = -9,      /**< a chain longer than the caller's segment array */
    VIRTQ_E_ARG = -10,     /**< a bad argument from the caller (size, alignment, count) */
    VIRTQ_E_FULL = -11     /**< driver: not enough free descriptors */
};

/** The spec's event test (vring_need_event) with VIRTIO_F_EVENT_IDX: moving an index from `old` to
    `new_idx` passes `event` (the other side asked to hear when it does). */
VIRTIO_DEF bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old);

/* ---- device side --------------------------------------------------------- */

/** How the device side reaches guest memory. The board supplies it; every
    hook must refuse (return false, copying nothing) a range not wholly in
    guest RAM, which includes a device's own MMIO window (rule 6). An
    aligned 2- or 4-byte copy must be one access (ring indices are read and
    written whole). All three hooks are required. */
typedef struct virtio_mem {
    void *ctx; /**< passed to every hook */
    /** Copy `n` bytes of guest memory at `gpa` into `dst`. */
    bool (*read)(void *ctx, uint64_t gpa, void *dst, size_t n);
    /** Copy `n` bytes from `src` into guest memory at `gpa`. */
    bool (*write)(void *ctx, uint64_t gpa, const void *src, size_t n);
    /** Is [gpa, gpa + n) wholly guest RAM? (`gpa + n` does not wrap: the
        caller has checked.) Copies nothing. */
    bool (*check)(void *ctx, uint64_t gpa, uint64_t n);
} virtio_mem;

/** One buffer of a popped chain: a checked range of guest RAM. */
typedef struct virtq_seg {
    uint64_t gpa; /**< where it is */
    uint32_t len; /**< its length (0 is allowed: see book/virtio.md) */
    bool write;   /**< device-writable; else device-readable */
} virtq_seg;

/** A chain popped by virtq_dev_pop(): the caller sets `seg` and `cap`,
    pop fills the rest. */
typedef struct virtq_chain {
    virtq_seg *seg;     /**< caller's array of `cap` segments */
    uint32_t cap;       /**< its length; the queue size serves every valid chain */
    uint32_t n;         /**< segments filled: the readable ones first */
    uint16_t head;      /**< the chain's head, to give to virtq_dev_push() */
    uint64_t out_bytes; /**< total bytes of the readable segments */
    uint64_t in_bytes;  /**< total bytes of the writable segments */
} virtq_chain;

/** The device's view of one queue: where the driver put it and how far
    the device has got. Plain data. */
typedef struct virtq_dev {
    uint16_t size;      /**< queue size, a power of two, 1..32768 */
    bool event_idx;     /**< VIRTIO_F_EVENT_IDX was negotiated */
    bool indirect;      /**< VIRTIO_F_INDIRECT_DESC was negotiated */
    bool broken;        /**< a rule was broken: the transport sets DEVICE_NEEDS_RESET */
    uint64_t desc;      /**< guest-physical address of the descriptor table */
    uint64_t avail;     /**< of the available ring */
    uint64_t used;      /**< of the used ring */
    uint16_t last_avail; /**< the next avail entry the device takes */
    uint16_t used_idx;   /**< the next used entry the device fills */
    uint16_t signalled;  /**< used_idx at the last virtq_dev_should_notify() */
} virtq_dev;

/** Set up `q` for a queue of `size` at the three addresses, with the two
    negotiated features: 0, or VIRTQ_E_ARG (leaving `q` broken) if `size`
    is not a power of two in 1..32768 or an address is misaligned (the spec's alignments:
    desc 16, avail 2, used 4). Also the way back from broken: a transport
    calls it again after the guest resets the device. */
VIRTIO_DEF int virtq_dev_init(virtq_dev *q, uint16_t size, uint64_t desc, uint64_t avail,
                              uint64_t used, bool event_idx, bool indirect);
/** Take the next available chain into `c`: 1 if there was one, 0 if the
    ring is empty, or a negative ::virtq_error after which `q->broken` is
    set and every later call returns VIRTQ_E_BROKEN. Every descriptor is
    read once and checked before it is used: indices, the chain's length,
    the indirect rules, the order of readable and writable buffers, the
    total length, and every range against guest RAM. Work is bounded by
    the queue size. With EVENT_IDX, an empty ring sets avail_event. */
VIRTIO_DEF int virtq_dev_pop(virtq_dev *q, const virtio_mem *m, virtq_chain *c);
/** Give chain `head` back with `written` bytes written into it: one used
    entry, then used.idx. A write the hooks refuse breaks the queue. */
VIRTIO_DEF void virtq_dev_push(virtq_dev *q, const virtio_mem *m, uint16_t head, uint32_t written);
/** After one or more pushes: must the device interrupt the driver? With
    EVENT_IDX, when used.idx has passed used_event since the last call;
    without, unless the driver set NO_INTERRUPT. False if nothing was
    pushed since the last call. Unreadable rings break the queue and
    answer true (a spurious interrupt is harmless). */
VIRTIO_DEF bool virtq_dev_should_notify(virtq_dev *q, const virtio_mem *m);
/** Copy up to `n` bytes of the chain's readable part, from byte `off` of
    it, into `dst`: returns the bytes copied (less at its end, or if a hook
    refuses). Bounded by the chain's segment count. */
VIRTIO_DEF uint64_t virtq_chain_read(const virtq_chain *c, const virtio_mem *m, uint64_t off,
                                     void *dst, uint64_t n);
/** Copy up to `n` bytes from `src` into the chain's writable part, from
    byte `off` of it: returns the bytes copied, which is what to push. */
VIRTIO_DEF uint64_t virtq_chain_write(const virtq_chain *c, const virtio_mem *m, uint64_t off,
                                      const void *src, uint64_t n);

/* ---- driver side --------------------------------------------------------- */

/** One buffer to add: guest-physical address and length. */
typedef struct virtq_buf {
    uint64_t addr; /**< guest-physical address */
    uint32_t len;  /**< bytes */
} virtq_buf;

/** What the driver remembers of one chain in flight, by head. Its own
    copy: nothing the device can write. */
typedef struct virtq_drv_slot {
    void *token;       /**< the caller's token; NULL: not in flight */
    uint32_t in_bytes; /**< writable bytes of the chain: the most `len` may be */
    uint16_t ndesc;    /**< descriptors of the main table it holds */
} virtq_drv_slot;

/** The driver's view of one queue over memory it owns. */
typedef struct virtq_drv {
    uint16_t size;           /**< queue size */
    bool event_idx;          /**< VIRTIO_F_EVENT_IDX was negotiated */
    bool broken;             /**< the device broke a rule; reset it */
    volatile uint8_t *desc;  /**< the descriptor table */
    volatile uint8_t *avail; /**< the available ring */
    volatile uint8_t *used;  /**< the used ring */
    volatile uint8_t *ind;   /**< indirect tables, `ind_max` descriptors per head; or NULL */
    uint64_t ind_gpa;        /**< guest-physical address of `ind` */
    uint16_t ind_max;        /**< descriptors per indirect table */
    uint16_t free_head;      /**< first free descriptor */
    uint16_t num_free;       /**< free descriptors */
    uint16_t avail_idx;      /**< the driver's avail.idx */
    uint16_t kicked;         /**< avail_idx at the last virtq_drv_kick_needed() */
    uint16_t last_used;      /**< the next used entry the driver reads */
    uint32_t bad_len;        /**< used lengths clamped to the chain's writable bytes */
    uint16_t next[VIRTQ_DRV_MAX];       /**< the free list and chain links, private */
    virtq_drv_slot slot[VIRTQ_DRV_MAX]; /**< chains in flight, by head */
} virtq_drv;

/** Set up `q` over the three areas (VIRTQ_DESC_BYTES, VIRTQ_AVAIL_BYTES,
    VIRTQ_USED_BYTES of `size`, zeroed here): 0, or VIRTQ_E_ARG if `size`
    is not a power of two in 1..VIRTQ_DRV_MAX or an area is misaligned. */
VIRTIO_DEF int virtq_drv_init(virtq_drv *q, uint16_t size, void *desc, void *avail, void *used,
                              bool event_idx);
/** Give the driver indirect tables (VIRTIO_F_INDIRECT_DESC negotiated):
    `size` tables of `per_chain` descriptors each, at `tables` (aligned to
    16) and guest-physical `gpa`. A chain of 2..per_chain buffers then
    takes one main-table descriptor. `per_chain` 0 turns them off. */
VIRTIO_DEF void virtq_drv_set_indirect(virtq_drv *q, void *tables, uint64_t gpa,
                                       uint16_t per_chain);
/** Add a chain of `n_out` device-readable buffers then `n_in` writable
    ones, named by `token` (not NULL) when it comes back: 0, VIRTQ_E_FULL
    if there are not enough free descriptors, VIRTQ_E_ARG for no buffers,
    a NULL token or more than 2^32 bytes, VIRTQ_E_BROKEN on a broken
    queue. */
VIRTIO_DEF int virtq_drv_add(virtq_drv *q, const virtq_buf *bufs, unsigned n_out, unsigned n_in,
                             void *token);
/** After adding: must the driver notify the device? With EVENT_IDX, when
    avail.idx has passed avail_event since the last call; without, unless
    the device set NO_NOTIFY. */
VIRTIO_DEF bool virtq_drv_kick_needed(virtq_drv *q);
/** The next chain the device gave back: its token, with the bytes the
    device wrote in `*len`; NULL if none. A device that names a head out of
    range or not in flight, or moves used.idx more than a queue ahead,
    breaks the queue (NULL from then on); a `len` beyond the chain's
    writable bytes is clamped to them and counted in `bad_len`. */
VIRTIO_DEF void *virtq_drv_get_used(virtq_drv *q, uint32_t *len);

#ifdef __cplusplus
}
#endif
#endif /* VIRTIO_H */

/* ======================================================================== */
#ifdef VIRTIO_IMPLEMENTATION

#ifndef VIRTIO_ASSERT
#define VIRTIO_ASSERT(c) ((void)0)
#endif

#ifndef VIRTIO_MB
#if defined(__GNUC__) || defined(__clang__)
#define VIRTIO_MB() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#else
#define VIRTIO_MB() ((void)0)
#endif
#endif

/* ---- little-endian bytes ---- */

static uint16_t virtio__get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)(p[1] << 8));
}

static uint32_t virtio__get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t virtio__get64(const uint8_t *p)
{
    return (uint64_t)virtio__get32(p) | (uint64_t)virtio__get32(p + 4) << 32;
}

static void virtio__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void virtio__put32(uint8_t *p, uint32_t v)
{
    virtio__put16(p, (uint16_t)v);
    virtio__put16(p + 2, (uint16_t)(v >> 16));
}

/* The driver's shared fields are read and written whole, with one aligned
   access of their own width, so the other side never sees half an index;
   these turn the CPU's order into little-endian and back. */
static uint16_t virtio__le16(uint16_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (uint16_t)(v << 8 | v >> 8);
#else
    return v;
#endif
}

static uint32_t virtio__le32(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (uint32_t)virtio__le16((uint16_t)v) << 16 | virtio__le16((uint16_t)(v >> 16));
#else
    return v;
#endif
}

VIRTIO_DEF bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    //! [virtq-need-event]
    /* vring_need_event: the entries old..new_idx-1 were just published; the other
       side wants to hear when entry `event` is among them. In 16-bit
       arithmetic that is: event lies in [old, new_idx). */
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
    //! [virtq-need-event]
}

/* ---- device side ---- */

static bool virtio__pow2(uint32_t n, uint32_t max)
{
    return n >= 1 && n <= max && (n & (n - 1)) == 0;
}

static bool virtio__rd16(virtq_dev *q, const virtio_mem *m, uint64_t gpa, uint16_t *v)
{
    uint8_t b[2];

    if (!m->read(m->ctx, gpa, b, 2)) {
        q->broken = true;
        return false;
    }
    *v = virtio__get16(b);
    return true;
}

static bool virtio__wr16(virtq_dev *q, const virtio_mem *m, uint64_t gpa, uint16_t v)
{
    uint8_t b[2];

    virtio__put16(b, v);
    if (!m->write(m->ctx, gpa, b, 2)) {
        q->broken = true;
        return false;
    }
    return true;
}

VIRTIO_DEF int virtq_dev_init(virtq_dev *q, uint16_t size, uint64_t desc, uint64_t avail,
                              uint64_t used, bool event_idx, bool indirect)
{
    q->size = size;
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    q->event_idx = event_idx;
    q->indirect = indirect;
    q->last_avail = q->used_idx = q->signalled = 0;
    q->broken = !virtio__pow2(size, VIRTQ_MAX_SIZE) || (desc & 15) || (avail & 1) || (used & 3);
    return q->broken ? VIRTQ_E_ARG : 0;
}

/* A descriptor, copied out of guest memory once (rule 6): everything after
   this looks at the copy, never again at the guest's table. */
typedef struct virtio__desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
} virtio__desc;

static bool virtio__read_desc(const virtio_mem *m, uint64_t gpa, virtio__desc *d)
{
    uint8_t b[VIRTQ_DESC_SIZE];

    if (!m->read(m->ctx, gpa, b, sizeof b))
        return false;
    d->addr = virtio__get64(b);
    d->len = virtio__get32(b + 8);
    d->flags = virtio__get16(b + 12);
    d->next = virtio__get16(b + 14);
    return true;
}

/* A range of guest memory the device may touch: no wrap of 2^64, and all
   of it guest RAM as the board's hook says. */
static bool virtio__range_ok(const virtio_mem *m, uint64_t gpa, uint64_t len)
{
    if (len > UINT64_MAX - gpa)
        return false;
    return len == 0 || m->check(m->ctx, gpa, len);
}

//! [virtq-add-seg]
/* One buffer descriptor into the chain: readable ones all come first
   ("Message Framing"), the whole chain holds at most 2^32 bytes
   ("Descriptor Table", driver requirements), and the
   range is guest RAM before anything is copied (rule 6). */
static int virtio__add_seg(virtq_chain *c, const virtio__desc *d, const virtio_mem *m)
{
    bool w = (d->flags & VIRTQ_DESC_F_WRITE) != 0;

    if (!w && c->n > 0 && c->seg[c->n - 1].write)
        return VIRTQ_E_ORDER;
    if (c->out_bytes + c->in_bytes + d->len > (uint64_t)1 << 32)
        return VIRTQ_E_LEN;
    if (!virtio__range_ok(m, d->addr, d->len))
        return VIRTQ_E_MEM;
    if (c->n >= c->cap)
        return VIRTQ_E_CAP;
    c->seg[c->n].gpa = d->addr;
    c->seg[c->n].len = d->len;
    c->seg[c->n].write = w;
    c->n++;
    if (w)
        c->in_bytes += d->len;
    else
        c->out_bytes += d->len;
    return 0;
}
//! [virtq-add-seg]

//! [virtq-indirect]
/* "Indirect Descriptors": an indirect descriptor's buffer is a table of len/16
   descriptors, walked from entry 0 by `next`. It needs the feature, a
   length that is a nonzero multiple of 16, no NEXT on itself (it ends the
   chain), and no INDIRECT inside (one level only). Its WRITE flag means
   nothing (the device must ignore it). The walk takes at most
   len/16 steps, and all the buffers of the chain at most `size` (the
   driver's rule: no chain is longer than the queue), so a loop ends too. */
static int virtio__walk_indirect(virtq_dev *q, const virtio_mem *m, const virtio__desc *t,
                                 virtq_chain *c)
{
    uint32_t entries = t->len / VIRTQ_DESC_SIZE, i = 0;
    virtio__desc d;
    int r;

    if (!q->indirect || (t->flags & VIRTQ_DESC_F_NEXT) || t->len == 0 ||
        t->len % VIRTQ_DESC_SIZE != 0 || entries > q->size)
        return VIRTQ_E_INDIRECT;
    if (!virtio__range_ok(m, t->addr, t->len))
        return VIRTQ_E_MEM;
    for (uint32_t step = 0;; step++) {
        if (step >= entries || c->n >= q->size)
            return VIRTQ_E_LOOP;
        if (!virtio__read_desc(m, t->addr + (uint64_t)i * VIRTQ_DESC_SIZE, &d))
            return VIRTQ_E_MEM;
        if (d.flags & VIRTQ_DESC_F_INDIRECT)
            return VIRTQ_E_INDIRECT;
        if ((r = virtio__add_seg(c, &d, m)) < 0)
            return r;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        if (d.next >= entries)
            return VIRTQ_E_INDEX;
        i = d.next;
    }
}
//! [virtq-indirect]

//! [virtq-walk]
/* The chain from `head` in the main table: every index below the size,
   at most `size` descriptors (the table's size is "the maximum possible descriptor chain
   length": a longer chain is a loop), and an
   indirect descriptor only here, as the chain's last. */
static int virtio__walk(virtq_dev *q, const virtio_mem *m, uint16_t head, virtq_chain *c)
{
    uint16_t i = head;
    virtio__desc d;
    int r;

    if (head >= q->size)
        return VIRTQ_E_INDEX;
    for (uint32_t step = 0;; step++) {
        if (step >= q->size || c->n >= q->size)
            return VIRTQ_E_LOOP;
        if (!virtio__read_desc(m, q->desc + (uint64_t)i * VIRTQ_DESC_SIZE, &d))
            return VIRTQ_E_MEM;
        if (d.flags & VIRTQ_DESC_F_INDIRECT)
            return virtio__walk_indirect(q, m, &d, c);
        if ((r = virtio__add_seg(c, &d, m)) < 0)
            return r;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        if (d.next >= q->size)
            return VIRTQ_E_INDEX;
        i = d.next;
    }
}
//! [virtq-walk]

//! [virtq-pop]
/* How many entries the driver has made available: never more than the
   queue holds (the ring is the table's size, so a driver is never
   more than `size` ahead), or the
   index is nonsense and the queue breaks rather than loop over stale
   entries. With EVENT_IDX, an empty ring asks the driver to kick at the
   next entry (avail_event), then looks once more, since the driver may
   have added one before it saw the request. */
static int virtio__pending(virtq_dev *q, const virtio_mem *m, uint16_t *n)
{
    uint16_t idx;

    if (!virtio__rd16(q, m, q->avail + 2, &idx))
        return VIRTQ_E_MEM;
    *n = (uint16_t)(idx - q->last_avail);
    if (*n == 0 && q->event_idx) {
        if (!virtio__wr16(q, m, q->used + 4 + 8u * (uint64_t)q->size, q->last_avail))
            return VIRTQ_E_MEM;
        VIRTIO_MB();
        if (!virtio__rd16(q, m, q->avail + 2, &idx))
            return VIRTQ_E_MEM;
        *n = (uint16_t)(idx - q->last_avail);
    }
    return *n > q->size ? VIRTQ_E_AVAIL : 0;
}

VIRTIO_DEF int virtq_dev_pop(virtq_dev *q, const virtio_mem *m, virtq_chain *c)
{
    uint16_t n, head;
    int r;

    c->n = 0;
    c->out_bytes = c->in_bytes = 0;
    if (q->broken)
        return VIRTQ_E_BROKEN;
    if ((r = virtio__pending(q, m, &n)) < 0 || n == 0) {
        q->broken = r < 0;
        return r;
    }
    VIRTIO_MB(); /* the entry is read after the index that published it */
    if (!virtio__rd16(q, m, q->avail + 4 + 2u * (uint64_t)(q->last_avail & (q->size - 1)), &head))
        return VIRTQ_E_MEM;
    c->head = head;
    if ((r = virtio__walk(q, m, head, c)) < 0) {
        q->broken = true;
        c->n = 0;
        return r;
    }
    q->last_avail++;
    return 1;
}
//! [virtq-pop]

//! [virtq-push]
/* "Used Ring": the entry first, then (after a barrier) the index that hands it
   to the driver. */
VIRTIO_DEF void virtq_dev_push(virtq_dev *q, const virtio_mem *m, uint16_t head, uint32_t written)
{
    uint8_t e[8];
    uint64_t at = q->used + 4 + 8u * (uint64_t)(q->used_idx & (q->size - 1));

    VIRTIO_ASSERT(head < q->size);
    if (q->broken)
        return;
    virtio__put32(e, head);
    virtio__put32(e + 4, written);
    if (!m->write(m->ctx, at, e, sizeof e)) {
        q->broken = true;
        return;
    }
    VIRTIO_MB();
    q->used_idx++;
    virtio__wr16(q, m, q->used + 2, q->used_idx);
}

/* "Used Buffer Notification Suppression": without EVENT_IDX the driver's NO_INTERRUPT flag says
   no; with it, used_event names the entry the driver wants to hear of. */
VIRTIO_DEF bool virtq_dev_should_notify(virtq_dev *q, const virtio_mem *m)
{
    uint16_t old = q->signalled, v;

    q->signalled = q->used_idx;
    if (old == q->used_idx)
        return false;
    VIRTIO_MB(); /* the index was written before the flag or event is read */
    if (q->event_idx) {
        if (!virtio__rd16(q, m, q->avail + 4 + 2u * (uint64_t)q->size, &v))
            return true;
        return virtq_need_event(v, q->used_idx, old);
    }
    if (!virtio__rd16(q, m, q->avail, &v))
        return true;
    return !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
}
//! [virtq-push]

//! [virtq-copy]
/* Gather or scatter through the hooks, segment by segment: at most
   c->n steps, and each copy within a range pop has checked. */
static uint64_t virtio__copy(const virtq_chain *c, const virtio_mem *m, bool w, uint64_t off,
                             uint8_t *buf, uint64_t n)
{
    uint64_t done = 0;

    for (uint32_t i = 0; i < c->n && done < n; i++) {
        const virtq_seg *s = &c->seg[i];
        uint64_t k;

        if (s->write != w)
            continue;
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        k = s->len - off;
        if (k > n - done)
            k = n - done;
        if (w ? !m->write(m->ctx, s->gpa + off, buf + done, (size_t)k)
              : !m->read(m->ctx, s->gpa + off, buf + done, (size_t)k))
            break;
        done += k;
        off = 0;
    }
    return done;
}
//! [virtq-copy]

VIRTIO_DEF uint64_t virtq_chain_read(const virtq_chain *c, const virtio_mem *m, uint64_t off,
                                     void *dst, uint64_t n)
{
    return virtio__copy(c, m, false, off, (uint8_t *)dst, n);
}

VIRTIO_DEF uint64_t virtq_chain_write(const virtq_chain *c, const virtio_mem *m, uint64_t off,
                                      const void *src, uint64_t n)
{
    /* The copy only reads from `src` when it writes to the guest. */
    return virtio__copy(c, m, true, off, (uint8_t *)(uintptr_t)src, n);
}

/* ---- driver side ---- */

static volatile uint16_t *virtio__p16(volatile uint8_t *base, uint64_t off)
{
    return (volatile uint16_t *)(volatile void *)(base + off);
}

static volatile uint32_t *virtio__p32(volatile uint8_t *base, uint64_t off)
{
    return (volatile uint32_t *)(volatile void *)(base + off);
}

static void virtio__drv_desc(volatile uint8_t *t, uint32_t i, uint64_t addr, uint32_t len,
                             uint16_t flags, uint16_t next)
{
    volatile uint8_t *d = t + (uint64_t)i * VIRTQ_DESC_SIZE;

    *virtio__p32(d, 0) = virtio__le32((uint32_t)addr);
    *virtio__p32(d, 4) = virtio__le32((uint32_t)(addr >> 32));
    *virtio__p32(d, 8) = virtio__le32(len);
    *virtio__p16(d, 12) = virtio__le16(flags);
    *virtio__p16(d, 14) = virtio__le16(next);
}

VIRTIO_DEF int virtq_drv_init(virtq_drv *q, uint16_t size, void *desc, void *avail, void *used,
                              bool event_idx)
{
    volatile uint8_t *areas[3];
    uint64_t len[3] = { VIRTQ_DESC_BYTES(size), VIRTQ_AVAIL_BYTES(size), VIRTQ_USED_BYTES(size) };

    for (size_t i = 0; i < sizeof *q; i++)
        ((uint8_t *)q)[i] = 0;
    q->broken = true;
    if (!virtio__pow2(size, VIRTQ_DRV_MAX) || ((uintptr_t)desc & 15) || ((uintptr_t)avail & 1) ||
        ((uintptr_t)used & 3))
        return VIRTQ_E_ARG;
    areas[0] = (volatile uint8_t *)desc;
    areas[1] = (volatile uint8_t *)avail;
    areas[2] = (volatile uint8_t *)used;
    for (int a = 0; a < 3; a++)
        for (uint64_t i = 0; i < len[a]; i++)
            areas[a][i] = 0;
    q->desc = areas[0];
    q->avail = areas[1];
    q->used = areas[2];
    q->size = size;
    q->event_idx = event_idx;
    for (uint32_t i = 0; i < size; i++)
        q->next[i] = (uint16_t)(i + 1 < size ? i + 1 : 0);
    q->num_free = size;
    q->broken = false;
    return 0;
}

VIRTIO_DEF void virtq_drv_set_indirect(virtq_drv *q, void *tables, uint64_t gpa,
                                       uint16_t per_chain)
{
    q->ind = (volatile uint8_t *)tables;
    q->ind_gpa = gpa;
    q->ind_max = tables ? per_chain : 0;
}

//! [virtq-drv-add]
/* The buffers go into an indirect table when there is one big enough
   (one main-table descriptor per chain), else into a chain of free
   descriptors. The driver keeps its own links in `next`: the device can
   rewrite the shared table, never the free list. */
VIRTIO_DEF int virtq_drv_add(virtq_drv *q, const virtq_buf *bufs, unsigned n_out, unsigned n_in,
                             void *token)
{
    uint32_t n = n_out + n_in, slot;
    uint64_t in = 0, total = 0;
    bool ind;
    uint16_t head = q->free_head, d = head;

    if (q->broken)
        return VIRTQ_E_BROKEN;
    if (n == 0 || n_out > VIRTQ_MAX_SIZE || n_in > VIRTQ_MAX_SIZE || token == NULL)
        return VIRTQ_E_ARG;
    for (uint32_t i = 0; i < n; i++) {
        total += bufs[i].len;
        in += i >= n_out ? bufs[i].len : 0;
    }
    if (total > (uint64_t)1 << 32 || n > q->size)
        return VIRTQ_E_ARG;
    ind = q->ind && n > 1 && n <= q->ind_max;
    if (q->num_free < (ind ? 1u : n))
        return VIRTQ_E_FULL;
    if (ind) {
        volatile uint8_t *t = q->ind + (uint64_t)head * q->ind_max * VIRTQ_DESC_SIZE;

        for (uint32_t i = 0; i < n; i++)
            virtio__drv_desc(t, i, bufs[i].addr, bufs[i].len,
                             (uint16_t)((i >= n_out ? VIRTQ_DESC_F_WRITE : 0) |
                                        (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
                             (uint16_t)(i + 1 < n ? i + 1 : 0));
        virtio__drv_desc(q->desc, head, q->ind_gpa + (uint64_t)head * q->ind_max * VIRTQ_DESC_SIZE,
                         n * VIRTQ_DESC_SIZE, VIRTQ_DESC_F_INDIRECT, 0);
        q->free_head = q->next[head];
        q->num_free--;
        q->slot[head].ndesc = 1;
    } else {
        for (uint32_t i = 0; i < n; i++) {
            bool more = i + 1 < n;

            virtio__drv_desc(q->desc, d, bufs[i].addr, bufs[i].len,
                             (uint16_t)((i >= n_out ? VIRTQ_DESC_F_WRITE : 0) |
                                        (more ? VIRTQ_DESC_F_NEXT : 0)),
                             more ? q->next[d] : 0);
            if (more)
                d = q->next[d];
        }
        q->free_head = q->next[d];
        q->num_free = (uint16_t)(q->num_free - n);
        q->slot[head].ndesc = (uint16_t)n;
    }
    q->slot[head].token = token;
    q->slot[head].in_bytes = in > UINT32_MAX ? UINT32_MAX : (uint32_t)in;
    slot = q->avail_idx & (q->size - 1u);
    *virtio__p16(q->avail, 4 + 2u * slot) = virtio__le16(head);
    VIRTIO_MB(); /* the entry is visible before the index that publishes it */
    q->avail_idx++;
    *virtio__p16(q->avail, 2) = virtio__le16(q->avail_idx);
    return 0;
}
//! [virtq-drv-add]

VIRTIO_DEF bool virtq_drv_kick_needed(virtq_drv *q)
{
    uint16_t old = q->kicked;

    q->kicked = q->avail_idx;
    if (old == q->avail_idx)
        return false;
    VIRTIO_MB(); /* avail.idx was written before the device's word is read */
    if (q->event_idx)
        return virtq_need_event(virtio__le16(*virtio__p16(q->used, 4 + 8u * (uint64_t)q->size)),
                                q->avail_idx, old);
    return !(virtio__le16(*virtio__p16(q->used, 0)) & VIRTQ_USED_F_NO_NOTIFY);
}

//! [virtq-drv-used]
/* The device is not trusted either: the index may not run more than a
   queue ahead, the id must be a head the driver has in flight, and the
   length no more than that chain can hold. The descriptors go back on the
   free list by the driver's own links. */
VIRTIO_DEF void *virtq_drv_get_used(virtq_drv *q, uint32_t *len)
{
    uint16_t idx;
    uint32_t id, n, slot = q->last_used & (q->size - 1u);
    void *token;

    if (q->broken)
        return NULL;
    idx = virtio__le16(*virtio__p16(q->used, 2));
    if (idx == q->last_used)
        return NULL;
    if ((uint16_t)(idx - q->last_used) > q->size) {
        q->broken = true;
        return NULL;
    }
    VIRTIO_MB(); /* the entry is read after the index that published it */
    id = virtio__le32(*virtio__p32(q->used, 4 + 8u * slot));
    n = virtio__le32(*virtio__p32(q->used, 8 + 8u * slot));
    if (id >= q->size || q->slot[id].token == NULL) {
        q->broken = true;
        return NULL;
    }
    if (n > q->slot[id].in_bytes) {
        n = q->slot[id].in_bytes;
        q->bad_len++;
    }
    token = q->slot[id].token;
    q->slot[id].token = NULL;
    {
        uint16_t tail = (uint16_t)id;

        for (uint32_t i = 1; i < q->slot[id].ndesc; i++)
            tail = q->next[tail];
        q->next[tail] = q->free_head;
    }
    q->free_head = (uint16_t)id;
    q->num_free = (uint16_t)(q->num_free + q->slot[id].ndesc);
    q->last_used++;
    if (q->event_idx) {
        *virtio__p16(q->avail, 4 + 2u * (uint64_t)q->size) = virtio__le16(q->last_used);
        /* The request is out before used.idx is read again: then either the
           device sees it, or the next call sees the device's entry. */
        VIRTIO_MB();
    }
    if (len)
        *len = n;
    return token;
}
//! [virtq-drv-used]

#endif /* VIRTIO_IMPLEMENTATION */

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
