/* virtio.h - the virtio split virtqueue (its ring format, the device side
   that a monitor runs over guest RAM, the driver side a kernel runs) and a
   device model: an entropy source or a console over virtio-mmio or
   virtio-pci.

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
     - the device model (virtio_model_*): one virtio device, the entropy
       source or the console (one port), behind virtio-mmio version 2 or
       modern virtio-pci, with the model contract of book/chipset.md, "The
       shape of a device model". It enforces the status machine, runs the
       device's queues through the device side above, and never reads
       guest memory by itself;
     - the driver side of the transports (virtio_drv_*): one ::virtio_drv
       over either, found with virtio_drv_mmio() or virtio_drv_pci() (the
       capability walk), then the same calls for feature negotiation,
       queue setup, notification and the interrupt acknowledgement, each
       bounded and checked against what the device declared.

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
   The model follows sections 2.1 ("Device Status Field"), 2.2 ("Feature
   Bits"), 2.5 ("Device Configuration Space": the generation), 3.1
   ("Device Initialization"), 4.1 ("Virtio Over PCI Bus": IDs, the
   capabilities, the common configuration, ISR, notifications, MSI-X
   vectors and the PCI_CFG window), 4.2 ("Virtio Over MMIO": the register
   layout), 5.3 ("Console Device") and 5.4 ("Entropy Device"). The
   registers and the rules the model enforces are tabled in
   book/virtio.md, "Code: the device model".

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
   Device model, in a monitor (an rng on a 0x200-byte MMIO window):
       virtio_model v;
       virtio_model_hooks h = { set_irq_line, NULL, host_random, NULL, NULL,
                                poll_me_soon, ctx };
       virtio_model_init(&v, &h);
       v.cfg.mem = m;                                 // before the first access
       x = virtio_model_read(&v, addr - base, width); // the chipset's mmio hooks
       virtio_model_resume(&v);                       // after `wake`, or new entropy
   On PCI (cfg.transport = VIRTIO_TRANSPORT_PCI), the board builds the
   function from VIRTIO_PCI_DEVICE_ID(id), VIRTIO_PCI_CLASS(id) and the
   five capabilities of virtio_model_pci_cap(), maps a 32-bit memory BAR of
   VIRTIO_PCI_BAR_TOTAL bytes (the model's VIRTIO_PCI_BAR_SIZE, then the
   MSI-X table at VIRTIO_PCI_MSIX_OFFSET) and routes pci_cfg_data accesses
   to virtio_model_pci_cfg_read()/_write().
   Driver transports, in a kernel (registers by CPU address):
       virtio_drv v = { my_load, my_store, ctx };
       virtio_drv_mmio(&v, window);       // or virtio_drv_pci(&v, cfg, ctx, bars, sizes)
       virtio_drv_negotiate(&v, 1ull << VIRTIO_F_EVENT_IDX);
       virtio_drv_queue(&v, 0, size, desc_pa, avail_pa, used_pa, VIRTIO_MSI_NO_VECTOR);
       virtio_drv_ready(&v);
       ...virtq_drv_add(), then virtio_drv_notify(&v, 0)...
       ...on the interrupt: virtio_drv_interrupt(&v), then virtq_drv_get_used()...

   OVERRIDABLE MACROS (define before the include)
     VIRTIO_DEF      linkage of public functions   (default: extern)
     VIRTIO_STATIC   define it to make every public function static
     VIRTIO_ASSERT   assertion for internal invariants: the head the board
                     gives virtq_dev_push() is one pop returned, so below
                     the size (default: none). Never called on guest or
                     device input, which is handled.
     VIRTIO_MB       a full memory barrier: a store before it is seen
                     before a load after it, where a side publishes an
                     index and then reads the other side's word (default:
                     __atomic_thread_fence(__ATOMIC_SEQ_CST) with GCC or
                     Clang, else nothing)
     VIRTIO_RMB      loads before it happen before loads after it: an
                     index, then the entry it published (default: an
                     acquire fence, which x86 needs no instruction for;
                     VIRTIO_MB() if you defined that one and not this)
     VIRTIO_WMB      stores before it are seen before stores after it: an
                     entry, then the index that publishes it (default: a
                     release fence; likewise VIRTIO_MB() if only that is
                     yours)
     VIRTQ_DRV_MAX   the largest queue the driver side handles; its
                     per-descriptor bookkeeping lives in ::virtq_drv
                     (default: 256)
     VIRTIO_MODEL_SEGS  the longest chain the device model serves, in
                     buffers: an array of them (16 bytes each) is on the
                     stack while a queue runs; a longer chain is a
                     malformed ring (default: 256, the default queue size)
     VIRTIO_TX_BUDGET   console output bytes one notify or resume hands to
                     the host before it leaves the rest to a resume
                     (default: 65536)
     VIRTIO_DRV_QUEUES  the most queues a ::virtio_drv remembers notify
                     addresses for (default: 4)

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
    See @ref virtio.

    Tests: tests/virtio_test.c, tests/virtio_dev_test.c,
    tests/virtio_drv_test.c. Used alone: book/alone/virtio.c, shown in the
    chapter's appendix. */

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

/* ---- device model ---------------------------------------------------------
   One virtio device (entropy or console) over virtio-mmio (version 2) or
   virtio-pci (modern), with the model contract of book/chipset.md, "The
   shape of a device model". Everything from here to "end of device model"
   is the device side; it reads guest memory only through virtq_dev. */

//! [virtio-ids]
/* Device IDs ("Device Types") and the transports this model speaks. */
#define VIRTIO_ID_CONSOLE 3u       /**< device ID: console */
#define VIRTIO_ID_ENTROPY 4u       /**< device ID: entropy source (rng) */
#define VIRTIO_TRANSPORT_MMIO 0u   /**< cfg.transport: virtio-mmio, version 2 */
#define VIRTIO_TRANSPORT_PCI  1u   /**< cfg.transport: virtio-pci, modern (non-transitional) */

/* "Device Status Field" (section 2.1): the driver sets them in this order. */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u /**< the guest found the device */
#define VIRTIO_STATUS_DRIVER      0x02u /**< the guest has a driver for it */
#define VIRTIO_STATUS_DRIVER_OK   0x04u /**< the driver is ready: queues are live */
#define VIRTIO_STATUS_FEATURES_OK 0x08u /**< the driver's features are accepted */
#define VIRTIO_STATUS_NEEDS_RESET 0x40u /**< DEVICE_NEEDS_RESET: set by the device */
#define VIRTIO_STATUS_FAILED      0x80u /**< the driver gave up */

/* "Feature Bits" (section 6) beyond the ring's two, and the console's (5.3.3). */
#define VIRTIO_F_VERSION_1       32u /**< feature bit: a virtio 1.x device (always offered) */
#define VIRTIO_F_ACCESS_PLATFORM 33u /**< feature bit: behind an IOMMU (never offered) */
#define VIRTIO_F_RING_PACKED     34u /**< feature bit: packed rings (never offered) */
#define VIRTIO_CONSOLE_F_SIZE        0u /**< console: cols and rows are valid */
#define VIRTIO_CONSOLE_F_MULTIPORT   1u /**< console: several ports (never offered) */
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2u /**< console: emerg_wr is valid (always offered) */

/* Interrupt causes: MMIO InterruptStatus and the PCI ISR share the bits. */
#define VIRTIO_INT_USED   0x1u  /**< a used buffer notification */
#define VIRTIO_INT_CONFIG 0x2u  /**< a configuration change notification */
#define VIRTIO_MSI_NO_VECTOR 0xffffu /**< PCI: an event mapped to no MSI-X vector */

/* Queues: the entropy device has its requestq, the console (one port, no
   MULTIPORT) a receiveq and a transmitq. */
#define VIRTIO_MODEL_QUEUES 2u    /**< the most queues a device here has */
#define VIRTIO_ENTROPY_REQUESTQ 0u /**< entropy: queue 0, requests for random bytes */
#define VIRTIO_CONSOLE_RECEIVEQ 0u /**< console: queue 0, host input to the guest */
#define VIRTIO_CONSOLE_TRANSMITQ 1u /**< console: queue 1, guest output to the host */

/* The console's configuration (5.3.4): cols at 0 and rows at 2, as Linux,
   QEMU and every other implementation we checked lay it out (see
   book/virtio.md on the order). */
#define VIRTIO_CONSOLE_CFG_COLS     0u  /**< le16 cols */
#define VIRTIO_CONSOLE_CFG_ROWS     2u  /**< le16 rows */
#define VIRTIO_CONSOLE_CFG_MAX_NR_PORTS 4u /**< le32 max_nr_ports (reads 1) */
#define VIRTIO_CONSOLE_CFG_EMERG_WR 8u  /**< le32 emerg_wr: write-only, reads 0 */
#define VIRTIO_CONSOLE_CFG_LEN      12u /**< bytes of the console's configuration */
//! [virtio-ids]

/* "MMIO Device Register Layout" (4.2.2): 32-bit registers, then the device
   configuration from 0x100. The model's offset space is this window. */
#define VIRTIO_MMIO_MAGIC_VALUE      0x000u /**< R: 0x74726976, "virt" */
#define VIRTIO_MMIO_VERSION          0x004u /**< R: 2 */
#define VIRTIO_MMIO_DEVICE_ID        0x008u /**< R: the device ID */
#define VIRTIO_MMIO_VENDOR_ID        0x00cu /**< R: VIRTIO_MMIO_VENDOR */
#define VIRTIO_MMIO_DEVICE_FEATURES  0x010u /**< R: 32 offered bits from DeviceFeaturesSel*32 */
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014u /**< W: which word DeviceFeatures shows */
#define VIRTIO_MMIO_DRIVER_FEATURES  0x020u /**< W: 32 accepted bits from DriverFeaturesSel*32 */
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024u /**< W: which word DriverFeatures sets */
#define VIRTIO_MMIO_QUEUE_SEL        0x030u /**< W: the queue the queue registers mean */
#define VIRTIO_MMIO_QUEUE_NUM_MAX    0x034u /**< R: its largest size, 0 if there is no such queue */
#define VIRTIO_MMIO_QUEUE_NUM        0x038u /**< W: its size */
#define VIRTIO_MMIO_QUEUE_READY      0x044u /**< RW: 1 once set up */
#define VIRTIO_MMIO_QUEUE_NOTIFY     0x050u /**< W: a queue index: new buffers there */
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060u /**< R: VIRTIO_INT_USED, VIRTIO_INT_CONFIG */
#define VIRTIO_MMIO_INTERRUPT_ACK    0x064u /**< W: clears those bits */
#define VIRTIO_MMIO_STATUS           0x070u /**< RW: device status; 0 resets */
#define VIRTIO_MMIO_QUEUE_DESC_LOW   0x080u /**< W: Descriptor Area, low 32 bits */
#define VIRTIO_MMIO_QUEUE_DESC_HIGH  0x084u /**< W: Descriptor Area, high 32 bits */
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090u /**< W: Driver Area (available ring), low */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094u /**< W: Driver Area, high */
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0u /**< W: Device Area (used ring), low */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4u /**< W: Device Area, high */
#define VIRTIO_MMIO_SHM_SEL          0x0acu /**< W: shared memory region (there are none) */
#define VIRTIO_MMIO_SHM_LEN_LOW      0x0b0u /**< R: its length, low: all-ones (none) */
#define VIRTIO_MMIO_SHM_LEN_HIGH     0x0b4u /**< R: its length, high: all-ones */
#define VIRTIO_MMIO_SHM_BASE_LOW     0x0b8u /**< R: its base, low: all-ones */
#define VIRTIO_MMIO_SHM_BASE_HIGH    0x0bcu /**< R: its base, high: all-ones */
#define VIRTIO_MMIO_QUEUE_RESET      0x0c0u /**< RW: RING_RESET is not offered: reads 0 */
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fcu /**< R: changes when the configuration does */
#define VIRTIO_MMIO_CONFIG           0x100u /**< device configuration, 1/2/4-byte fields */
#define VIRTIO_MMIO_SIZE             0x200u /**< bytes of the window the board maps */

#define VIRTIO_MMIO_MAGIC  0x74726976u /**< MagicValue: "virt" in little-endian bytes */
#define VIRTIO_MMIO_V2     2u          /**< Version of a non-legacy device */
#define VIRTIO_MMIO_VENDOR 0x44524242u /**< VendorID: "BBRD" in little-endian bytes */

/* "PCI Device Discovery" (4.1.2): a modern device's IDs. The class codes
   are QEMU's: communication/other for the console, unclassified/other for
   the rng. The subsystem IDs are QEMU's defaults (0x1100 is "0x40 or
   higher", as a non-transitional device should have). */
#define VIRTIO_PCI_VENDOR        0x1af4u /**< vendor ID of every virtio device */
/** PCI device ID of virtio device `id`: 0x1040 + id. */
#define VIRTIO_PCI_DEVICE_ID(id) (0x1040u + (id))
#define VIRTIO_PCI_REVISION      1u      /**< revision ID: 1, non-transitional */
#define VIRTIO_PCI_SUBSYS_VENDOR 0x1af4u /**< subsystem vendor ID */
#define VIRTIO_PCI_SUBSYS_ID     0x1100u /**< subsystem ID */
#define VIRTIO_PCI_CLASS_CONSOLE 0x078000u /**< class code: simple communication, other */
#define VIRTIO_PCI_CLASS_ENTROPY 0x00ff00u /**< class code: unclassified, other */
/** The class code for device `id`. */
#define VIRTIO_PCI_CLASS(id) \
    ((id) == VIRTIO_ID_CONSOLE ? VIRTIO_PCI_CLASS_CONSOLE : VIRTIO_PCI_CLASS_ENTROPY)

/* The board's one 32-bit memory BAR: the model's 16 KiB, then pci.h's
   MSI-X table and PBA. The model's offset space is the first part. */
#define VIRTIO_PCI_BAR_SIZE      0x4000u /**< bytes the model decodes, from the BAR's start */
#define VIRTIO_PCI_MSIX_OFFSET   0x4000u /**< where the board maps the MSI-X table in the BAR */
#define VIRTIO_PCI_BAR_TOTAL     0x8000u /**< the BAR's size */
#define VIRTIO_PCI_COMMON_OFFSET 0x0000u /**< common configuration */
#define VIRTIO_PCI_COMMON_LEN    0x3cu   /**< its length: struct virtio_pci_common_cfg of 1.2 */
#define VIRTIO_PCI_ISR_OFFSET    0x1000u /**< ISR status, one byte */
#define VIRTIO_PCI_ISR_LEN       1u      /**< its length */
#define VIRTIO_PCI_DEVICE_OFFSET 0x2000u /**< device configuration */
#define VIRTIO_PCI_NOTIFY_OFFSET 0x3000u /**< notifications: queue i at + i * 4 */
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 4u  /**< notify_off_multiplier; queue_notify_off is i */

/* "Common configuration structure layout" (4.1.4.3): offsets in it. */
#define VIRTIO_PCI_DEVICE_FEATURE_SELECT 0x00u /**< le32 RW */
#define VIRTIO_PCI_DEVICE_FEATURE        0x04u /**< le32 R */
#define VIRTIO_PCI_DRIVER_FEATURE_SELECT 0x08u /**< le32 RW */
#define VIRTIO_PCI_DRIVER_FEATURE        0x0cu /**< le32 RW */
#define VIRTIO_PCI_CONFIG_MSIX_VECTOR    0x10u /**< le16 RW */
#define VIRTIO_PCI_NUM_QUEUES            0x12u /**< le16 R */
#define VIRTIO_PCI_DEVICE_STATUS         0x14u /**< u8 RW */
#define VIRTIO_PCI_CONFIG_GENERATION     0x15u /**< u8 R */
#define VIRTIO_PCI_QUEUE_SELECT          0x16u /**< le16 RW */
#define VIRTIO_PCI_QUEUE_SIZE            0x18u /**< le16 RW: the maximum until written */
#define VIRTIO_PCI_QUEUE_MSIX_VECTOR     0x1au /**< le16 RW */
#define VIRTIO_PCI_QUEUE_ENABLE          0x1cu /**< le16 RW */
#define VIRTIO_PCI_QUEUE_NOTIFY_OFF      0x1eu /**< le16 R */
#define VIRTIO_PCI_QUEUE_DESC            0x20u /**< le64 RW, or two le32 */
#define VIRTIO_PCI_QUEUE_DRIVER          0x28u /**< le64 RW, or two le32 */
#define VIRTIO_PCI_QUEUE_DEVICE          0x30u /**< le64 RW, or two le32 */
#define VIRTIO_PCI_QUEUE_NOTIFY_DATA     0x38u /**< le16 R: 0 (NOTIF_CONFIG_DATA not offered) */
#define VIRTIO_PCI_QUEUE_RESET           0x3au /**< le16 RW: 0 (RING_RESET not offered) */

/* "Virtio Structure PCI Capabilities" (4.1.4): struct virtio_pci_cap, a
   vendor-specific capability (ID 9), and the structures it can name. */
#define VIRTIO_PCI_CAP_VNDR       0x09u /**< capability ID: vendor-specific */
#define VIRTIO_PCI_CAP_COMMON_CFG 1u    /**< cfg_type: common configuration */
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2u    /**< cfg_type: notifications */
#define VIRTIO_PCI_CAP_ISR_CFG    3u    /**< cfg_type: ISR status */
#define VIRTIO_PCI_CAP_DEVICE_CFG 4u    /**< cfg_type: device configuration */
#define VIRTIO_PCI_CAP_PCI_CFG    5u    /**< cfg_type: the configuration-space window */
#define VIRTIO_PCI_CAP_CFG_TYPE   3u    /**< byte offset of cfg_type in a capability */
#define VIRTIO_PCI_CAP_BAR        4u    /**< byte offset of bar */
#define VIRTIO_PCI_CAP_ID         5u    /**< byte offset of id */
#define VIRTIO_PCI_CAP_OFFSET     8u    /**< byte offset of le32 offset */
#define VIRTIO_PCI_CAP_LENGTH     12u   /**< byte offset of le32 length */
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16u  /**< byte offset of notify_off_multiplier (NOTIFY) */
#define VIRTIO_PCI_CFG_CAP_DATA   16u   /**< byte offset of pci_cfg_data[4] (PCI_CFG) */
#define VIRTIO_PCI_CAP_LEN        16u   /**< cap_len of COMMON, ISR and DEVICE capabilities */
#define VIRTIO_PCI_NOTIFY_CAP_LEN 20u   /**< cap_len of the NOTIFY capability */
#define VIRTIO_PCI_CFG_CAP_LEN    20u   /**< cap_len of the PCI_CFG capability */
#define VIRTIO_PCI_CAP_MAX        20u   /**< the longest of them */

/** Version of ::virtio_state; bumped when its layout changes. */
#define VIRTIO_STATE_VERSION 1u
#define VIRTIO_QUEUE_MAX_DEFAULT   256u  /**< cfg.queue_max after init */
#define VIRTIO_ENTROPY_MAX_DEFAULT 4096u /**< cfg.entropy_max after init */

/** One queue as the transport registers set it up, and its ring once live. */
typedef struct virtio_queue_state {
    uint16_t size;        /**< queue size the driver wrote; 0: not written, the maximum */
    uint16_t msix_vector; /**< PCI queue_msix_vector, or VIRTIO_MSI_NO_VECTOR */
    uint8_t ready;        /**< queue_enable / QueueReady: 0 or 1 */
    uint8_t reserved[3];  /**< zero */
    uint64_t desc;        /**< Descriptor Area (descriptor table) address */
    uint64_t driver;      /**< Driver Area (available ring) address */
    uint64_t device;      /**< Device Area (used ring) address */
    virtq_dev vq;         /**< the ring, set up at DRIVER_OK if ready; zero before */
} virtio_queue_state;

/** Everything the device remembers: plain data, so save and restore are a
    copy. Nothing here depends on the transport's layout. */
typedef struct virtio_state {
    uint32_t version;          /**< VIRTIO_STATE_VERSION */
    uint8_t status;            /**< device status */
    uint8_t isr;               /**< InterruptStatus / ISR: VIRTIO_INT_* bits */
    uint8_t irq_level;         /**< the level last given to the `irq` hook: 0 or 1 */
    uint8_t features_bad;      /**< 1: the driver set a bit in a feature word beyond 1 */
    uint32_t device_features_sel; /**< DeviceFeaturesSel / device_feature_select */
    uint32_t driver_features_sel; /**< DriverFeaturesSel / driver_feature_select */
    uint32_t queue_sel;        /**< as written; a queue that does not exist reads 0 */
    uint32_t generation;       /**< ConfigGeneration (PCI shows its low byte) */
    uint64_t driver_features;  /**< feature words 0 and 1 the driver wrote */
    uint8_t config_dirty;      /**< 1: changed since the driver last read the configuration */
    uint8_t rx_wanted;         /**< 1: the host had input and no receive buffer took it */
    uint16_t config_msix_vector; /**< PCI config_msix_vector, or VIRTIO_MSI_NO_VECTOR */
    uint16_t cols;             /**< console width */
    uint16_t rows;             /**< console height */
    uint64_t tx_done;          /**< bytes of the transmit chain at the head the host has taken */
    virtio_queue_state q[VIRTIO_MODEL_QUEUES]; /**< the device's queues, unused ones reset */
} virtio_state;

/** How the model reaches the board. Every hook may be NULL. No hook may
    call back into the same model. */
typedef struct virtio_model_hooks {
    /** The interrupt line changed level. MMIO: the line is InterruptStatus
        != 0. PCI: the INTx line (give it to pci_model_set_intx()), raised
        by an event MSI-X did not take, lowered by the ISR read. Called on
        changes only, but told the level after a restore. */
    void (*irq)(void *ctx, bool level);
    /** PCI: if MSI-X is enabled on the function, signal `vector` (nothing
        for VIRTIO_MSI_NO_VECTOR) and return true; else return false, and
        the model uses the ISR and INTx. NULL: MSI-X is never enabled. */
    bool (*msix)(void *ctx, uint16_t vector);
    /** Entropy: fill up to `n` bytes of `buf` with random bytes and say how
        many; 0: none now (the request waits for virtio_model_resume()).
        NULL: never any. */
    size_t (*entropy)(void *ctx, void *buf, size_t n);
    /** Console output: take up to `n` bytes and say how many. Fewer is
        backpressure: the model keeps the rest of the chain and sends it
        on virtio_model_resume(). NULL: output is discarded. */
    size_t (*console_tx)(void *ctx, const void *buf, size_t n);
    /** Console input: the guest posted receive buffers after
        virtio_model_console_rx() took less than it was given; call it
        again. */
    void (*console_rx_room)(void *ctx);
    /** Work is left that only a call of virtio_model_resume() will do (one
        notify does a bounded amount): call it soon, from the board's loop,
        not from inside this hook. */
    void (*wake)(void *ctx);
    void *ctx; /**< passed to every hook */
} virtio_model_hooks;

/** What the board fixes before the guest's first access. */
typedef struct virtio_model_cfg {
    unsigned transport;    /**< VIRTIO_TRANSPORT_MMIO (default) or VIRTIO_TRANSPORT_PCI */
    unsigned device;       /**< VIRTIO_ID_ENTROPY (default) or VIRTIO_ID_CONSOLE */
    uint16_t queue_max;    /**< largest queue size: a power of two up to 32768 (default 256) */
    uint16_t msix_vectors; /**< PCI: entries of the function's MSI-X table (default 0) */
    uint8_t pci_bar;       /**< PCI: the BAR (0..5) the board maps the model at (default 0) */
    bool console_size;     /**< console: offer VIRTIO_CONSOLE_F_SIZE (default false) */
    uint32_t entropy_max;  /**< entropy: most bytes per request (default 4096; 0 is 1) */
    virtio_mem mem;        /**< guest RAM (all three hooks; until set, no queue runs) */
} virtio_model_cfg;

/** Counters of what the guest did wrong and what the device did. */
typedef struct virtio_model_stats {
    uint64_t bad_status;   /**< status writes refused: a bit cleared, a step skipped, a reserved bit */
    uint64_t bad_features; /**< FEATURES_OK refused, and feature writes outside their window */
    uint64_t bad_setup;    /**< queue register writes refused (window, enabled queue, value) */
    uint64_t bad_notify;   /**< notifies ignored: device not live, no such queue, not enabled */
    uint64_t queue_errors; /**< malformed rings: DEVICE_NEEDS_RESET */
    uint64_t chains;       /**< chains given back (used entries written) */
    uint64_t entropy_bytes; /**< random bytes given to the guest */
    uint64_t tx_bytes;     /**< console output bytes handed on (emergency writes included) */
    uint64_t rx_bytes;     /**< console input bytes given to the guest */
    uint64_t emerg_dropped; /**< emergency-write bytes the host did not take */
    uint64_t interrupts;   /**< notifications sent: INTx raised or MSI-X signalled */
} virtio_model_stats;

/** A virtio device as a guest sees it through one transport. Caller-owned;
    one struct per device. */
typedef struct virtio_model {
    virtio_state s;           /**< machine state: the only part saved */
    virtio_model_hooks hooks; /**< wiring, not saved */
    virtio_model_cfg cfg;     /**< set after init, before the first access */
    virtio_model_stats stats; /**< counters, not saved */
} virtio_model;

/** Zero `m`, copy `*h` (NULL: no hooks), set `cfg` to its defaults (an
    entropy device over MMIO, queues of 256, no MSI-X vectors, 4096 bytes a
    request, no guest memory) and reset. */
VIRTIO_DEF void virtio_model_init(virtio_model *m, const virtio_model_hooks *h);
/** Power-on state: status 0, no features, every queue unset (size the
    maximum, vectors VIRTIO_MSI_NO_VECTOR), ISR 0, generation 0, console
    size 0 x 0. Keeps `hooks`, `cfg` and `stats`. The line goes low (the
    hook hears it fall if it was high). */
VIRTIO_DEF void virtio_model_reset(void *m);
/** Guest read of `width` bytes at `offset` of the MMIO window or of the
    PCI BAR's first VIRTIO_PCI_BAR_SIZE bytes. MMIO registers: aligned
    4-byte reads; PCI common configuration: each field at its own width
    (64-bit ones also as two 32-bit halves); ISR: 1 byte, and the read
    clears it; device configuration: 1, 2 or 4 bytes, aligned, inside it.
    A write-only register reads 0; anything else all-ones of `width`. */
VIRTIO_DEF uint64_t virtio_model_read(void *m, uint64_t offset, unsigned width);
/** Guest write, decoded as the read; anything else is ignored. A status,
    feature or queue write against the rules of book/virtio.md ("The
    status machine") is refused and counted; a notify runs that queue's
    work (at most a queue's size of chains) before returning. */
VIRTIO_DEF void virtio_model_write(void *m, uint64_t offset, unsigned width, uint64_t value);
/** Copy the state into `buf`: returns sizeof(::virtio_state), or -1,
    writing nothing, if `size` is smaller. */
VIRTIO_DEF int64_t virtio_model_save(void *m, void *buf, size_t size);
/** Load a saved state: returns the bytes used, or -1, changing nothing, if
    `size` is not sizeof(::virtio_state) or the state is not one this
    device, with this `cfg`, can be in (another version, reserved bits, a
    status out of order, features not offered, queue sizes or vectors out
    of range, a live ring that disagrees with its registers). Then tells
    the `irq` hook the restored level, and calls `wake` if the device is
    live. */
VIRTIO_DEF int64_t virtio_model_restore(void *m, const void *buf, size_t size);

/** The features the device offers (bit n is feature n): VERSION_1,
    EVENT_IDX, INDIRECT_DESC and, for the console, EMERG_WRITE and, if
    cfg.console_size, SIZE. */
VIRTIO_DEF uint64_t virtio_model_features(const virtio_model *m);
/** Do the work that was waiting: console output after `console_tx` took
    less than it was offered, entropy requests after `entropy` had none,
    queues left over after a `wake`; and for a console whose host input
    is waiting, call `console_rx_room`. Bounded like a notify. */
VIRTIO_DEF void virtio_model_resume(virtio_model *m);
/** Console input: put up to `n` bytes of `buf` into the guest's receive
    buffers and return how many were taken. Fewer than `n` (no buffers, or
    the device not live): the `console_rx_room` hook says when to try
    again. */
VIRTIO_DEF size_t virtio_model_console_rx(virtio_model *m, const void *buf, size_t n);
/** The console's size changed: the configuration changes (generation),
    and a driver that negotiated VIRTIO_CONSOLE_F_SIZE gets a
    configuration change notification once DRIVER_OK is set. */
VIRTIO_DEF void virtio_model_set_console_size(virtio_model *m, uint16_t cols, uint16_t rows);
/** The bytes of one virtio PCI capability of type `cfg_type`
    (VIRTIO_PCI_CAP_COMMON_CFG ... _PCI_CFG) into `cap`, from cap_vndr on
    (cap_next 0): returns its cap_len (VIRTIO_PCI_CAP_LEN, or 20 for NOTIFY
    and PCI_CFG), or 0 for a type the device has not (DEVICE for the
    entropy device, whose configuration is empty) or that is unknown. The
    board appends it with pci_function_add_cap(f, VIRTIO_PCI_CAP_VNDR, len)
    and copies bytes 2.. of `cap` over the body; for PCI_CFG it makes bar,
    offset, length and pci_cfg_data writable. */
VIRTIO_DEF unsigned virtio_model_pci_cap(const virtio_model *m, unsigned cfg_type,
                                         uint8_t cap[VIRTIO_PCI_CAP_MAX]);
/** The guest read pci_cfg_data of the PCI_CFG capability whose 20 bytes
    (from cap_vndr) are `cap`: do the read its bar, offset and length name
    and return the value for pci_cfg_data (the first `length` bytes). 0,
    with no access, unless bar is cfg.pci_bar, length 1, 2 or 4, offset a
    multiple of it, and the access inside VIRTIO_PCI_BAR_SIZE. */
VIRTIO_DEF uint32_t virtio_model_pci_cfg_read(virtio_model *m,
                                              const uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN]);
/** The guest wrote pci_cfg_data (whose 4 bytes, little-endian, are
    `data`): write its first `length` bytes where the capability says,
    with the checks of virtio_model_pci_cfg_read(); ignored otherwise. */
VIRTIO_DEF void virtio_model_pci_cfg_write(virtio_model *m,
                                           const uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN],
                                           uint32_t data);

/* ---- end of device model ------------------------------------------------- */

/* ---- driver side: the transports ---------------------------------------- */

/** Errors of the driver-side transport calls, negative. */
enum virtio_drv_error {
    VIRTIO_DRV_ENODEV = -1,   /**< no device: bad magic, device ID 0, no capability */
    VIRTIO_DRV_ELEGACY = -2,  /**< only a legacy (pre-1.0) interface: not driven */
    VIRTIO_DRV_ECAP = -3,     /**< a capability names a BAR we have not, or is too short */
    VIRTIO_DRV_EFEATURES = -4, /**< the device refused FEATURES_OK, or lacks VERSION_1 */
    VIRTIO_DRV_EQUEUE = -5,   /**< no such queue, it is live already, or a bad size */
    VIRTIO_DRV_EVECTOR = -6,  /**< the device could not take an MSI-X vector */
    VIRTIO_DRV_ERESET = -7    /**< the status did not read back 0 after a reset */
};

#ifndef VIRTIO_DRV_QUEUES
/** The most queues the driver side remembers notify addresses for. */
#define VIRTIO_DRV_QUEUES 4u
#endif

/** One virtio device as a driver reaches it: the register accessors and
    where each structure is. Filled by virtio_drv_mmio() or
    virtio_drv_pci() after the caller set the hooks; then the rest of the
    virtio_drv_*() calls are the same over either transport. */
typedef struct virtio_drv {
    /** Read `width` (1, 2 or 4) bytes of a device register at CPU address
        `addr` (a volatile load of that width). Required. */
    uint32_t (*read)(void *ctx, uint64_t addr, unsigned width);
    /** Write one (a volatile store of that width). Required. */
    void (*write)(void *ctx, uint64_t addr, unsigned width, uint32_t value);
    void *ctx;              /**< passed to both */
    unsigned transport;     /**< VIRTIO_TRANSPORT_MMIO or VIRTIO_TRANSPORT_PCI */
    uint32_t device_id;     /**< VIRTIO_ID_*: what kind of device it is */
    uint64_t common;        /**< MMIO: the window; PCI: the common configuration */
    uint64_t isr;           /**< PCI: the ISR status byte */
    uint64_t config;        /**< the device-specific configuration */
    uint32_t config_len;    /**< its length as the transport declares it */
    uint64_t notify;        /**< PCI: the notification area */
    uint32_t notify_len;    /**< its length */
    uint32_t notify_mult;   /**< PCI: notify_off_multiplier */
    uint64_t features;      /**< what virtio_drv_negotiate() agreed */
    uint64_t notify_at[VIRTIO_DRV_QUEUES]; /**< each set-up queue's notify address */
} virtio_drv;

/** The device in the virtio-mmio window at CPU address `base` (hooks set):
    0 with `device_id` filled; VIRTIO_DRV_ENODEV (wrong magic, or device
    ID 0: an empty slot), VIRTIO_DRV_ELEGACY (version 1). */
VIRTIO_DEF int virtio_drv_mmio(virtio_drv *d, uint64_t base);

/** A PCI function's configuration space, read through the caller's
    access (hdr/pci.h's pci_drv fits: bind its bdf in `ctx`). */
typedef uint32_t virtio_drv_cfg_read_fn(void *ctx, uint16_t reg, unsigned width);

/** The virtio-pci device whose configuration space `cfg` reads and whose
    memory BARs are at the CPU addresses `bar[0..5]`, `bar_size[0..5]`
    bytes long (0: not assigned): walks the capability list (bounded),
    takes the first common, notify, ISR and device configuration
    capability that lies wholly inside an assigned BAR, and fills `d`.
    A capability whose offset and length reach past its BAR is skipped:
    the device says where its structures are, and a device that lies
    must not point the driver at another device's registers or at RAM.
    0; VIRTIO_DRV_ENODEV (not a virtio vendor or device ID),
    VIRTIO_DRV_ELEGACY (a transitional device without the modern
    capabilities), VIRTIO_DRV_ECAP. */
VIRTIO_DEF int virtio_drv_pci(virtio_drv *d, virtio_drv_cfg_read_fn *cfg, void *cfg_ctx,
                              const uint64_t bar[6], const uint64_t bar_size[6]);

/** Reset the device (status 0, then wait, bounded, for it to read 0),
    set ACKNOWLEDGE and DRIVER, accept the features of `wanted` the device
    offers (VERSION_1 always wanted and required), and set FEATURES_OK,
    checking it stuck. 0 with `d->features`; VIRTIO_DRV_ERESET,
    VIRTIO_DRV_EFEATURES (the device is then marked FAILED). */
VIRTIO_DEF int virtio_drv_negotiate(virtio_drv *d, uint64_t wanted);

/** The largest size queue `index` takes; 0 if there is no such queue. */
VIRTIO_DEF uint16_t virtio_drv_queue_max(virtio_drv *d, unsigned index);

/** Set queue `index` up at the three guest-physical addresses with
    `size` entries (a power of two, at most virtio_drv_queue_max()), its
    interrupt on MSI-X vector `vector` (PCI; VIRTIO_MSI_NO_VECTOR for none, or
    with INTx; ignored on MMIO), and enable it. Before virtio_drv_ready().
    0; VIRTIO_DRV_EQUEUE; VIRTIO_DRV_EVECTOR (the device read back
    NO_VECTOR). */
VIRTIO_DEF int virtio_drv_queue(virtio_drv *d, unsigned index, uint16_t size, uint64_t desc,
                                uint64_t avail, uint64_t used, uint16_t vector);

/** PCI: send configuration change interrupts to MSI-X `vector`
    (VIRTIO_MSI_NO_VECTOR: none). 0 or VIRTIO_DRV_EVECTOR. */
VIRTIO_DEF int virtio_drv_config_vector(virtio_drv *d, uint16_t vector);

/** Set DRIVER_OK: the device is live. */
VIRTIO_DEF void virtio_drv_ready(virtio_drv *d);

/** Tell the device queue `index` has new buffers. */
VIRTIO_DEF void virtio_drv_notify(virtio_drv *d, unsigned index);

/** For an INTx or virtio-mmio interrupt: why the device interrupted
    (VIRTIO_INT_USED, VIRTIO_INT_CONFIG), acknowledged (the line drops). */
VIRTIO_DEF uint32_t virtio_drv_interrupt(virtio_drv *d);

/** The device status byte (DEVICE_NEEDS_RESET says the device gave up). */
VIRTIO_DEF uint8_t virtio_drv_status(virtio_drv *d);

/** Copy `n` bytes of device configuration from `off` into `dst`, with
    accesses of the fields' own widths (1, 2 or 4 bytes, by `off`'s
    alignment), repeated while the configuration generation changes under
    it (bounded). False if [off, off + n) is outside the declared
    configuration or the generation never settled. */
VIRTIO_DEF bool virtio_drv_config_read(virtio_drv *d, uint32_t off, void *dst, uint32_t n);

/** Write a 1-, 2- or 4-byte configuration field. False outside it. */
VIRTIO_DEF bool virtio_drv_config_write(virtio_drv *d, uint32_t off, unsigned width,
                                        uint32_t value);

/** Give up on the device: set FAILED. */
VIRTIO_DEF void virtio_drv_fail(virtio_drv *d);

/** Reset the device (status 0, waiting for it to read 0): it forgets its
    queues; the driver may start again with virtio_drv_negotiate(). */
VIRTIO_DEF int virtio_drv_reset(virtio_drv *d);

#ifdef __cplusplus
}
#endif
#endif /* VIRTIO_H */

/* ======================================================================== */
#ifdef VIRTIO_IMPLEMENTATION

#ifndef VIRTIO_ASSERT
#define VIRTIO_ASSERT(c) ((void)0)
#endif

/* The ring needs a full barrier only where a side writes its index and
   then reads the other side's word (the event index, the flags): there a
   CPU may otherwise let the load pass the store. Elsewhere the order is
   load-load or store-store, which acquire and release fences give: no
   instruction at all on x86, a lighter one on Arm and RISC-V
   (book/performance.md measures what the full one costs). */
#if !defined(VIRTIO_MB) && (defined(__GNUC__) || defined(__clang__))
#define VIRTIO_MB() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#ifndef VIRTIO_RMB
#define VIRTIO_RMB() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif
#ifndef VIRTIO_WMB
#define VIRTIO_WMB() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#elif !defined(VIRTIO_MB)
#define VIRTIO_MB() ((void)0)
#endif
#ifndef VIRTIO_RMB
#define VIRTIO_RMB() VIRTIO_MB()
#endif
#ifndef VIRTIO_WMB
#define VIRTIO_WMB() VIRTIO_MB()
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
    VIRTIO_RMB(); /* the entry is read after the index that published it */
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
    VIRTIO_WMB(); /* the entry is visible before the index that publishes it */
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
    VIRTIO_WMB(); /* the entry is visible before the index that publishes it */
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
    VIRTIO_RMB(); /* the entry is read after the index that published it */
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

/* ---- device model ---------------------------------------------------------
   The transports decode registers into a handful of operations (status,
   features, queue setup, notify, interrupt acknowledge, configuration);
   the devices turn notifies into chains popped and pushed by virtq_dev. */

#ifndef VIRTIO_MODEL_SEGS
#define VIRTIO_MODEL_SEGS 256u
#endif
#ifndef VIRTIO_TX_BUDGET
#define VIRTIO_TX_BUDGET 65536u
#endif

#define VIRTIO__DRIVER_BITS                                                     \
    (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | \
     VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)
#define VIRTIO__COPY_CHUNK 256u

static void virtio__zero(void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)p)[i] = 0;
}

static void virtio__copy_bytes(void *dst, const void *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)dst)[i] = ((const uint8_t *)src)[i];
}

static uint64_t virtio__ones(unsigned width)
{
    return width >= 1 && width < 8 ? (1ull << (8 * width)) - 1 : UINT64_MAX;
}

static bool virtio__is_console(const virtio_model *m)
{
    return m->cfg.device == VIRTIO_ID_CONSOLE;
}

static bool virtio__is_pci(const virtio_model *m)
{
    return m->cfg.transport == VIRTIO_TRANSPORT_PCI;
}

static unsigned virtio__nq(const virtio_model *m)
{
    return virtio__is_console(m) ? 2u : 1u;
}

static uint16_t virtio__qmax(const virtio_model *m)
{
    return virtio__pow2(m->cfg.queue_max, VIRTQ_MAX_SIZE) ? m->cfg.queue_max
                                                          : (uint16_t)VIRTIO_QUEUE_MAX_DEFAULT;
}

static uint16_t virtio__qsize(const virtio_model *m, const virtio_queue_state *q)
{
    return q->size ? q->size : virtio__qmax(m);
}

static uint32_t virtio__cfg_len(const virtio_model *m)
{
    return virtio__is_console(m) ? VIRTIO_CONSOLE_CFG_LEN : 0;
}

static bool virtio__has(const virtio_model *m, unsigned bit)
{
    return (m->s.driver_features >> bit) & 1;
}

/* The selected queue, or NULL for one the device does not have (the
   guest may select any index: rule 5, not an array index). */
static virtio_queue_state *virtio__sel(virtio_model *m)
{
    return m->s.queue_sel < virtio__nq(m) ? &m->s.q[m->s.queue_sel] : NULL;
}

VIRTIO_DEF uint64_t virtio_model_features(const virtio_model *m)
{
    uint64_t f = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_EVENT_IDX |
                 1ull << VIRTIO_F_INDIRECT_DESC;

    if (virtio__is_console(m)) {
        f |= 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE;
        if (m->cfg.console_size)
            f |= 1ull << VIRTIO_CONSOLE_F_SIZE;
    }
    return f;
}

//! [virtio-irq]
/* The line. MMIO: InterruptStatus != 0, always. PCI: INTx goes up when an
   event takes the ISR path and down when the ISR is read (4.1.4.5); an
   event MSI-X delivered leaves it alone. Only changes reach the hook. */
static void virtio__set_line(virtio_model *m, bool level)
{
    if (level == (m->s.irq_level != 0))
        return;
    m->s.irq_level = level;
    if (m->hooks.irq)
        m->hooks.irq(m->hooks.ctx, level);
}

/* PCI: MSI-X first, if the board says it is enabled; with it the vector
   may be NO_VECTOR, and then there is no interrupt at all. */
static bool virtio__msix(virtio_model *m, uint16_t vector)
{
    if (!virtio__is_pci(m) || !m->hooks.msix || !m->hooks.msix(m->hooks.ctx, vector))
        return false;
    if (vector != VIRTIO_MSI_NO_VECTOR)
        m->stats.interrupts++;
    return true;
}

static void virtio__raise(virtio_model *m, uint8_t cause)
{
    m->s.isr |= cause;
    if (!m->s.irq_level)
        m->stats.interrupts++;
    virtio__set_line(m, true);
}

static void virtio__used_irq(virtio_model *m, unsigned qi)
{
    if (!virtio__msix(m, m->s.q[qi].msix_vector))
        virtio__raise(m, VIRTIO_INT_USED);
}

/* A configuration change notification: the ISR bit is set whichever way
   it goes (4.1.4.5), and none is sent before DRIVER_OK. */
static void virtio__config_irq(virtio_model *m)
{
    if (!(m->s.status & VIRTIO_STATUS_DRIVER_OK))
        return;
    if (virtio__msix(m, m->s.config_msix_vector))
        m->s.isr |= VIRTIO_INT_CONFIG;
    else
        virtio__raise(m, VIRTIO_INT_CONFIG);
}
//! [virtio-irq]

/* Section 2.1.2: an error the device cannot recover from sets
   DEVICE_NEEDS_RESET and, with DRIVER_OK set, sends a configuration change
   notification. Every queue stops until the guest resets (rule 4). */
static void virtio__needs_reset(virtio_model *m)
{
    if (m->s.status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    m->s.status |= VIRTIO_STATUS_NEEDS_RESET;
    m->stats.queue_errors++;
    virtio__config_irq(m);
}

/* The configuration changed: the generation moves once per change the
   driver has not yet read, so the 8-bit PCI field cannot wrap back to
   the value the driver saw (the note in 4.1.4.3.1). */
static void virtio__config_changed(virtio_model *m)
{
    if (!m->s.config_dirty)
        m->s.generation++;
    m->s.config_dirty = 1;
}

/* The queues run only once DRIVER_OK is set, and not after FAILED or
   DEVICE_NEEDS_RESET (2.1.2), nor without guest memory to run over. */
static bool virtio__live(const virtio_model *m)
{
    const virtio_mem *g = &m->cfg.mem;

    return (m->s.status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED |
                           VIRTIO_STATUS_NEEDS_RESET)) == VIRTIO_STATUS_DRIVER_OK &&
           g->read && g->write && g->check;
}

/* A chain popped but not served (no entropy, no room in the host) goes
   back: the driver cannot reuse its entry before it is used, so the next
   pop reads (and checks) the same chain again. */
static void virtio__unpop(virtq_dev *q)
{
    q->last_avail--;
}

/* ---- device model: the devices ---- */

/* Results of one chain's step: served, nothing to do, or stopped. */
enum { VIRTIO__EMPTY = 0, VIRTIO__DONE = 1, VIRTIO__WAIT = 2, VIRTIO__LEFT = 3 };

//! [virtio-entropy]
/* 5.4.6: "The device MUST place one or more random bytes into the buffer,
   but it MAY use less than the entire buffer length". At most
   cfg.entropy_max bytes a request; a request with no writable byte (only
   readable buffers, which the driver must not post) is given back with 0
   and nothing written. No entropy now: the chain waits for a resume. */
static int virtio__entropy_chain(virtio_model *m, virtq_dev *q, virtq_chain *c)
{
    uint8_t buf[VIRTIO__COPY_CHUNK];
    uint64_t cap = m->cfg.entropy_max ? m->cfg.entropy_max : 1, want, got = 0;

    want = c->in_bytes < cap ? c->in_bytes : cap;
    while (got < want) {
        size_t k = (size_t)(want - got < sizeof buf ? want - got : sizeof buf), r = 0;
        uint64_t w;

        if (m->hooks.entropy)
            r = m->hooks.entropy(m->hooks.ctx, buf, k);
        if (r > k)
            r = k;
        if (r == 0)
            break;
        w = virtq_chain_write(c, &m->cfg.mem, got, buf, r);
        got += w;
        m->stats.entropy_bytes += w;
        if (w < r || r < k)
            break;
    }
    if (got == 0 && want > 0) {
        virtio__unpop(q);
        return VIRTIO__WAIT;
    }
    virtq_dev_push(q, &m->cfg.mem, c->head, (uint32_t)got);
    return VIRTIO__DONE;
}
//! [virtio-entropy]

//! [virtio-console-tx]
/* 5.3.6: output is the chain's readable bytes, copied through a small
   buffer and never allocated at the guest's length; writable buffers in a
   transmitq (which the driver must not post) are ignored, and the used
   length is 0. Backpressure keeps the chain and how much the host took
   (tx_done); a chain longer than the budget is finished on a resume. */
static int virtio__tx_chain(virtio_model *m, virtq_dev *q, virtq_chain *c, uint64_t *budget)
{
    uint8_t buf[VIRTIO__COPY_CHUNK];
    uint64_t off = m->s.tx_done < c->out_bytes ? m->s.tx_done : c->out_bytes;

    while (off < c->out_bytes) {
        uint64_t k = c->out_bytes - off;
        size_t took;

        if (*budget == 0) {
            m->s.tx_done = off;
            virtio__unpop(q);
            return VIRTIO__LEFT;
        }
        k = k < sizeof buf ? k : sizeof buf;
        k = k < *budget ? k : *budget;
        k = virtq_chain_read(c, &m->cfg.mem, off, buf, k);
        if (k == 0)
            break; /* memory the hooks now refuse: give the chain back */
        took = m->hooks.console_tx ? m->hooks.console_tx(m->hooks.ctx, buf, (size_t)k)
                                   : (size_t)k;
        took = took < k ? took : (size_t)k;
        off += took;
        *budget -= took;
        m->stats.tx_bytes += took;
        if (took < k) {
            m->s.tx_done = off;
            virtio__unpop(q);
            return VIRTIO__WAIT;
        }
    }
    m->s.tx_done = 0;
    virtq_dev_push(q, &m->cfg.mem, c->head, 0);
    return VIRTIO__DONE;
}
//! [virtio-console-tx]

/* After a queue's work: a ring found malformed (by pop, by a push the
   hooks refused, or by the interrupt decision) is DEVICE_NEEDS_RESET;
   otherwise the used-buffer interrupt, if the driver wants one. */
static void virtio__finish(virtio_model *m, unsigned qi)
{
    virtq_dev *q = &m->s.q[qi].vq;
    bool notify = !q->broken && virtq_dev_should_notify(q, &m->cfg.mem);

    if (q->broken)
        virtio__needs_reset(m);
    else if (notify)
        virtio__used_irq(m, qi);
}

//! [virtio-run]
/* One queue's work for one notify or resume: at most a queue's size of
   chains (a driver on another vCPU can refill the ring as fast as we
   empty it: rule 2), then `wake` asks for a resume if the limit, not the
   ring, ended the run. */
static void virtio__run(virtio_model *m, unsigned qi)
{
    virtio_queue_state *qs = &m->s.q[qi];
    virtq_seg seg[VIRTIO_MODEL_SEGS];
    virtq_chain c;
    uint64_t budget = VIRTIO_TX_BUDGET;
    uint32_t n;
    int r = VIRTIO__EMPTY;

    VIRTIO_ASSERT(qi < virtio__nq(m));
    if (!virtio__live(m) || !qs->ready)
        return;
    c.seg = seg;
    c.cap = VIRTIO_MODEL_SEGS;
    for (n = 0; n < qs->vq.size; n++) {
        r = virtq_dev_pop(&qs->vq, &m->cfg.mem, &c);
        if (r <= 0)
            break;
        r = virtio__is_console(m) ? virtio__tx_chain(m, &qs->vq, &c, &budget)
                                  : virtio__entropy_chain(m, &qs->vq, &c);
        if (r != VIRTIO__DONE)
            break;
        m->stats.chains++;
    }
    virtio__finish(m, qi);
    if ((n == qs->vq.size || r == VIRTIO__LEFT) && !qs->vq.broken && m->hooks.wake)
        m->hooks.wake(m->hooks.ctx);
}
//! [virtio-run]

/* The queue that carries guest requests: the rng's requestq, the
   console's transmitq. */
static unsigned virtio__work_queue(const virtio_model *m)
{
    return virtio__is_console(m) ? VIRTIO_CONSOLE_TRANSMITQ : VIRTIO_ENTROPY_REQUESTQ;
}

static void virtio__rx_room(virtio_model *m)
{
    if (!m->s.rx_wanted)
        return;
    m->s.rx_wanted = 0;
    if (m->hooks.console_rx_room)
        m->hooks.console_rx_room(m->hooks.ctx);
}

/* A resume also tells the host to try its input again if it is waiting:
   console_rx may have stopped at its bound with buffers left. */
VIRTIO_DEF void virtio_model_resume(virtio_model *m)
{
    virtio__run(m, virtio__work_queue(m));
    if (virtio__is_console(m) && virtio__live(m) && m->s.q[VIRTIO_CONSOLE_RECEIVEQ].ready)
        virtio__rx_room(m);
}

//! [virtio-console-rx]
/* Host input fills receive buffers in order, each chain as far as it
   holds (readable buffers, which the driver must not post, are passed
   over), at most a queue's size of chains a call. */
VIRTIO_DEF size_t virtio_model_console_rx(virtio_model *m, const void *buf, size_t n)
{
    virtio_queue_state *qs = &m->s.q[VIRTIO_CONSOLE_RECEIVEQ];
    virtq_seg seg[VIRTIO_MODEL_SEGS];
    virtq_chain c;
    uint64_t done = 0;
    bool bound = false;

    if (n == 0 || !virtio__is_console(m))
        return 0;
    c.seg = seg;
    c.cap = VIRTIO_MODEL_SEGS;
    if (virtio__live(m) && qs->ready) {
        for (uint32_t k = 0; done < n; k++) {
            uint64_t w;

            if ((bound = k == qs->vq.size) || virtq_dev_pop(&qs->vq, &m->cfg.mem, &c) <= 0)
                break;
            w = virtq_chain_write(&c, &m->cfg.mem, 0, (const uint8_t *)buf + done, n - done);
            virtq_dev_push(&qs->vq, &m->cfg.mem, c.head, (uint32_t)w);
            done += w;
            m->stats.chains++;
        }
        virtio__finish(m, VIRTIO_CONSOLE_RECEIVEQ);
    }
    if (done < n) {
        m->s.rx_wanted = 1;
        /* Stopped by the bound, not by an empty ring: a resume retries. */
        if (bound && virtio__live(m) && m->hooks.wake)
            m->hooks.wake(m->hooks.ctx);
    }
    m->stats.rx_bytes += done;
    return (size_t)done;
}
//! [virtio-console-rx]

VIRTIO_DEF void virtio_model_set_console_size(virtio_model *m, uint16_t cols, uint16_t rows)
{
    if (!virtio__is_console(m) || (m->s.cols == cols && m->s.rows == rows))
        return;
    m->s.cols = cols;
    m->s.rows = rows;
    virtio__config_changed(m);
    if (virtio__has(m, VIRTIO_CONSOLE_F_SIZE))
        virtio__config_irq(m);
}

/* ---- device model: the status machine ---- */

static void virtio__queue_reset(virtio_queue_state *q)
{
    virtio__zero(q, sizeof *q);
    q->msix_vector = VIRTIO_MSI_NO_VECTOR;
}

/* Status 0 (2.1, 4.1.4.3.1, 4.2.2.1): features, queues, ISR and vectors
   back to reset, the line low. The configuration (console size,
   generation) and the host's wish for room are the device's, and stay. */
static void virtio__device_reset(virtio_model *m)
{
    virtio_state *s = &m->s;

    s->status = 0;
    s->isr = 0;
    s->features_bad = 0;
    s->device_features_sel = s->driver_features_sel = s->queue_sel = 0;
    s->driver_features = 0;
    s->config_msix_vector = VIRTIO_MSI_NO_VECTOR;
    s->tx_done = 0;
    for (unsigned i = 0; i < VIRTIO_MODEL_QUEUES; i++)
        virtio__queue_reset(&s->q[i]);
    virtio__set_line(m, false);
}

//! [virtio-features-ok]
/* FEATURES_OK sticks only for a subset of what was offered that includes
   VERSION_1 (3.1.1, and 6.1: a device of 1.x may refuse a driver without
   it); otherwise the bit reads back clear (2.2.2). */
static bool virtio__features_ok(const virtio_model *m)
{
    return !m->s.features_bad && (m->s.driver_features & ~virtio_model_features(m)) == 0 &&
           virtio__has(m, VIRTIO_F_VERSION_1);
}
//! [virtio-features-ok]

/* DRIVER_OK: each enabled queue's ring is set up with what was negotiated;
   a queue the driver placed badly breaks at once. Then anything the
   driver queued before (it may add buffers, not notify) is served. */
static void virtio__driver_ok(virtio_model *m)
{
    for (unsigned i = 0; i < virtio__nq(m); i++) {
        virtio_queue_state *q = &m->s.q[i];

        if (q->ready &&
            virtq_dev_init(&q->vq, virtio__qsize(m, q), q->desc, q->driver, q->device,
                           virtio__has(m, VIRTIO_F_EVENT_IDX),
                           virtio__has(m, VIRTIO_F_INDIRECT_DESC)) < 0)
            virtio__needs_reset(m);
    }
    virtio_model_resume(m);
}

//! [virtio-status]
/* A status write: 0 resets; otherwise it may only add bits, each after
   the ones before it (ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK; FAILED
   any time), and no reserved bit. DEVICE_NEEDS_RESET is the device's: the
   driver's copy of it is ignored. */
static bool virtio__status_order(uint32_t v)
{
    return (!(v & VIRTIO_STATUS_DRIVER) || (v & VIRTIO_STATUS_ACKNOWLEDGE)) &&
           (!(v & VIRTIO_STATUS_FEATURES_OK) || (v & VIRTIO_STATUS_DRIVER)) &&
           (!(v & VIRTIO_STATUS_DRIVER_OK) || (v & VIRTIO_STATUS_FEATURES_OK));
}

static void virtio__write_status(virtio_model *m, uint64_t value)
{
    uint32_t old = m->s.status & VIRTIO__DRIVER_BITS, want, add;

    if (value == 0) {
        virtio__device_reset(m);
        return;
    }
    want = (uint32_t)(value & VIRTIO__DRIVER_BITS);
    if ((value & ~(uint64_t)(VIRTIO__DRIVER_BITS | VIRTIO_STATUS_NEEDS_RESET)) ||
        (old & ~want) || !virtio__status_order(want)) {
        m->stats.bad_status++;
        return;
    }
    add = want & ~old;
    if ((add & VIRTIO_STATUS_FEATURES_OK) && !virtio__features_ok(m)) {
        want &= ~(uint32_t)(VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
        add &= ~(uint32_t)(VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
        m->stats.bad_features++;
    }
    m->s.status = (uint8_t)(want | (m->s.status & VIRTIO_STATUS_NEEDS_RESET));
    if (add & VIRTIO_STATUS_DRIVER_OK)
        virtio__driver_ok(m);
}
//! [virtio-status]

/* ---- device model: the registers both transports share ---- */

static uint32_t virtio__device_features_word(const virtio_model *m)
{
    uint64_t f = virtio_model_features(m);

    return m->s.device_features_sel == 0 ? (uint32_t)f
         : m->s.device_features_sel == 1 ? (uint32_t)(f >> 32) : 0;
}

static uint32_t virtio__driver_features_word(const virtio_model *m)
{
    uint64_t f = m->s.driver_features;

    return m->s.driver_features_sel == 0 ? (uint32_t)f
         : m->s.driver_features_sel == 1 ? (uint32_t)(f >> 32) : 0;
}

/* Features are the driver's to write between DRIVER and FEATURES_OK
   (3.1.1 steps 3-5). A bit in a word beyond 1 was never offered: it
   dooms FEATURES_OK rather than vanish. */
static void virtio__write_driver_features(virtio_model *m, uint32_t v)
{
    uint32_t sel = m->s.driver_features_sel;

    if ((m->s.status & (VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)) !=
        VIRTIO_STATUS_DRIVER) {
        m->stats.bad_features++;
        return;
    }
    if (sel == 0)
        m->s.driver_features = (m->s.driver_features & ~0xffffffffull) | v;
    else if (sel == 1)
        m->s.driver_features = (m->s.driver_features & 0xffffffffull) | (uint64_t)v << 32;
    else if (v)
        m->s.features_bad = 1;
}

//! [virtio-queue-setup]
/* The selected queue, if its registers may be written now: it exists, the
   features are settled and the device not yet live (FEATURES_OK without
   DRIVER_OK), and, for everything but its enable, it is not enabled
   (4.2.2.2: not while QueueReady is set). Settings never change under a
   live ring: that is how setup written after DRIVER_OK is refused. */
static virtio_queue_state *virtio__setup_queue(virtio_model *m, bool enable)
{
    virtio_queue_state *q = virtio__sel(m);

    if (!q || (m->s.status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)) !=
                  VIRTIO_STATUS_FEATURES_OK ||
        (!enable && q->ready)) {
        m->stats.bad_setup++;
        return NULL;
    }
    return q;
}

static void virtio__write_queue_size(virtio_model *m, uint64_t v)
{
    virtio_queue_state *q = virtio__setup_queue(m, false);

    if (!q)
        return;
    if (!virtio__pow2((uint32_t)(v > 0xffff ? 0 : v), virtio__qmax(m))) {
        m->stats.bad_setup++;
        return;
    }
    q->size = (uint16_t)v;
}

static void virtio__write_queue_ready(virtio_model *m, uint64_t v)
{
    virtio_queue_state *q = virtio__setup_queue(m, true);

    if (!q)
        return;
    if (v > 1) {
        m->stats.bad_setup++;
        return;
    }
    q->ready = (uint8_t)v;
}

/* One 32-bit half (`hi`) or all of a queue address: which = 0 desc, 1
   driver, 2 device. */
static void virtio__write_queue_addr(virtio_model *m, unsigned which, int half, uint64_t v)
{
    virtio_queue_state *q = virtio__setup_queue(m, false);
    uint64_t *a;

    if (!q)
        return;
    a = which == 0 ? &q->desc : which == 1 ? &q->driver : &q->device;
    if (half < 0)
        *a = v;
    else if (half == 0)
        *a = (*a & ~0xffffffffull) | (v & 0xffffffffu);
    else
        *a = (*a & 0xffffffffull) | (v & 0xffffffffu) << 32;
}
//! [virtio-queue-setup]

/* PCI: a vector the MSI-X table has, or NO_VECTOR; one it has not is a
   mapping that failed, and reads back NO_VECTOR (4.1.5.1.2.1). */
static uint16_t virtio__vector(const virtio_model *m, uint64_t v)
{
    return v < m->cfg.msix_vectors ? (uint16_t)v : (uint16_t)VIRTIO_MSI_NO_VECTOR;
}

static void virtio__write_queue_vector(virtio_model *m, uint64_t v)
{
    virtio_queue_state *q = virtio__setup_queue(m, false);

    if (q)
        q->msix_vector = virtio__vector(m, v);
}

//! [virtio-notify]
/* An available buffer notification: the queue's work, if the device is
   live and the queue exists and is enabled; else ignored and counted.
   For the console's receiveq it only tells the host there is room. */
static void virtio__notify(virtio_model *m, uint64_t qi)
{
    if (!virtio__live(m) || qi >= virtio__nq(m) || !m->s.q[qi].ready) {
        m->stats.bad_notify++;
        return;
    }
    if (virtio__is_console(m) && qi == VIRTIO_CONSOLE_RECEIVEQ)
        virtio__rx_room(m);
    else
        virtio__run(m, (unsigned)qi);
}
//! [virtio-notify]

static void virtio__ack(virtio_model *m, uint64_t v)
{
    m->s.isr &= (uint8_t)~v;
    if (!virtio__is_pci(m))
        virtio__set_line(m, m->s.isr != 0);
}

//! [virtio-config]
/* Device configuration: 1, 2 or 4 bytes, aligned, inside the structure
   (5.3.4); a read marks the configuration as seen (generation). Only
   emerg_wr is writable: its low byte goes out at once, whatever the
   status, as 5.3.5.1 asks ("even on an unconfigured device"). */
static bool virtio__config_read(virtio_model *m, uint64_t off, unsigned width, uint64_t *v)
{
    uint8_t b[VIRTIO_CONSOLE_CFG_LEN];

    if ((width != 1 && width != 2 && width != 4) || off % width ||
        off + width > virtio__cfg_len(m))
        return false;
    virtio__zero(b, sizeof b);
    virtio__put16(b + VIRTIO_CONSOLE_CFG_ROWS, m->s.rows);
    virtio__put16(b + VIRTIO_CONSOLE_CFG_COLS, m->s.cols);
    virtio__put32(b + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 1);
    *v = 0;
    for (unsigned i = 0; i < width; i++)
        *v |= (uint64_t)b[off + i] << (8 * i);
    m->s.config_dirty = 0;
    return true;
}

static void virtio__config_write(virtio_model *m, uint64_t off, unsigned width, uint64_t v)
{
    uint8_t c = (uint8_t)v;

    if (!virtio__is_console(m) || off != VIRTIO_CONSOLE_CFG_EMERG_WR || width != 4)
        return;
    if (!m->hooks.console_tx || m->hooks.console_tx(m->hooks.ctx, &c, 1) == 1)
        m->stats.tx_bytes++;
    else
        m->stats.emerg_dropped++;
}
//! [virtio-config]

/* ---- device model: virtio-mmio ---- */

//! [virtio-mmio-read]
static uint64_t virtio__mmio_read(virtio_model *m, uint64_t off, unsigned width)
{
    virtio_queue_state *q = virtio__sel(m);
    uint64_t v;

    if (off >= VIRTIO_MMIO_CONFIG)
        return virtio__config_read(m, off - VIRTIO_MMIO_CONFIG, width, &v) ? v
                                                                          : virtio__ones(width);
    if (width != 4 || off % 4)
        return virtio__ones(width);
    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION: return VIRTIO_MMIO_V2;
    case VIRTIO_MMIO_DEVICE_ID: return m->cfg.device;
    case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES: return virtio__device_features_word(m);
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? virtio__qmax(m) : 0;
    case VIRTIO_MMIO_QUEUE_READY: return q ? q->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS: return m->s.isr;
    case VIRTIO_MMIO_STATUS: return m->s.status;
    case VIRTIO_MMIO_SHM_LEN_LOW: case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW: case VIRTIO_MMIO_SHM_BASE_HIGH:
        return 0xffffffffu; /* no shared memory region: length -1, base all-ones */
    case VIRTIO_MMIO_QUEUE_RESET: return 0;
    case VIRTIO_MMIO_CONFIG_GENERATION: return m->s.generation;
    /* Write-only registers (4.2.2: the driver must not read them). */
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: case VIRTIO_MMIO_DRIVER_FEATURES:
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: case VIRTIO_MMIO_QUEUE_SEL:
    case VIRTIO_MMIO_QUEUE_NUM: case VIRTIO_MMIO_QUEUE_NOTIFY:
    case VIRTIO_MMIO_INTERRUPT_ACK: case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: case VIRTIO_MMIO_SHM_SEL:
        return 0;
    default: return virtio__ones(width);
    }
}
//! [virtio-mmio-read]

static void virtio__mmio_write(virtio_model *m, uint64_t off, unsigned width, uint64_t v)
{
    if (off >= VIRTIO_MMIO_CONFIG) {
        virtio__config_write(m, off - VIRTIO_MMIO_CONFIG, width, v);
        return;
    }
    if (width != 4 || off % 4)
        return;
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: m->s.device_features_sel = (uint32_t)v; break;
    case VIRTIO_MMIO_DRIVER_FEATURES: virtio__write_driver_features(m, (uint32_t)v); break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: m->s.driver_features_sel = (uint32_t)v; break;
    case VIRTIO_MMIO_QUEUE_SEL: m->s.queue_sel = (uint32_t)v; break;
    case VIRTIO_MMIO_QUEUE_NUM: virtio__write_queue_size(m, v); break;
    case VIRTIO_MMIO_QUEUE_READY: virtio__write_queue_ready(m, v); break;
    case VIRTIO_MMIO_QUEUE_NOTIFY: virtio__notify(m, v); break;
    case VIRTIO_MMIO_INTERRUPT_ACK: virtio__ack(m, v); break;
    case VIRTIO_MMIO_STATUS: virtio__write_status(m, v); break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: virtio__write_queue_addr(m, 0, 0, v); break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: virtio__write_queue_addr(m, 0, 1, v); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: virtio__write_queue_addr(m, 1, 0, v); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: virtio__write_queue_addr(m, 1, 1, v); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: virtio__write_queue_addr(m, 2, 0, v); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: virtio__write_queue_addr(m, 2, 1, v); break;
    default: break; /* read-only, SHMSel, QueueReset (not offered), holes */
    }
}

/* ---- device model: virtio-pci ---- */

/* A 64-bit queue address in the common configuration: whole, or either
   32-bit half (4.1.3.1). */
static bool virtio__pci_addr(uint64_t off, unsigned width, unsigned *which, int *half)
{
    if (off < VIRTIO_PCI_QUEUE_DESC || off >= VIRTIO_PCI_QUEUE_NOTIFY_DATA)
        return false;
    *which = (unsigned)((off - VIRTIO_PCI_QUEUE_DESC) / 8);
    if (width == 8 && off % 8 == 0)
        *half = -1;
    else if (width == 4 && off % 4 == 0)
        *half = (int)(off % 8 / 4);
    else
        return false;
    return true;
}

//! [virtio-pci-common]
static uint64_t virtio__common_read(virtio_model *m, uint64_t off, unsigned width)
{
    virtio_queue_state *q = virtio__sel(m);
    unsigned which;
    int half;

    if (virtio__pci_addr(off, width, &which, &half)) {
        uint64_t a = !q ? 0 : which == 0 ? q->desc : which == 1 ? q->driver : q->device;

        return half < 0 ? a : (uint32_t)(a >> (32 * half));
    }
    switch (off << 4 | width) {
    case VIRTIO_PCI_DEVICE_FEATURE_SELECT << 4 | 4: return m->s.device_features_sel;
    case VIRTIO_PCI_DEVICE_FEATURE << 4 | 4: return virtio__device_features_word(m);
    case VIRTIO_PCI_DRIVER_FEATURE_SELECT << 4 | 4: return m->s.driver_features_sel;
    case VIRTIO_PCI_DRIVER_FEATURE << 4 | 4: return virtio__driver_features_word(m);
    case VIRTIO_PCI_CONFIG_MSIX_VECTOR << 4 | 2: return m->s.config_msix_vector;
    case VIRTIO_PCI_NUM_QUEUES << 4 | 2: return virtio__nq(m);
    case VIRTIO_PCI_DEVICE_STATUS << 4 | 1: return m->s.status;
    case VIRTIO_PCI_CONFIG_GENERATION << 4 | 1: return (uint8_t)m->s.generation;
    case VIRTIO_PCI_QUEUE_SELECT << 4 | 2: return (uint16_t)m->s.queue_sel;
    case VIRTIO_PCI_QUEUE_SIZE << 4 | 2: return q ? virtio__qsize(m, q) : 0;
    case VIRTIO_PCI_QUEUE_MSIX_VECTOR << 4 | 2: return q ? q->msix_vector : 0;
    case VIRTIO_PCI_QUEUE_ENABLE << 4 | 2: return q ? q->ready : 0;
    case VIRTIO_PCI_QUEUE_NOTIFY_OFF << 4 | 2: return q ? m->s.queue_sel : 0;
    case VIRTIO_PCI_QUEUE_NOTIFY_DATA << 4 | 2: return 0;
    case VIRTIO_PCI_QUEUE_RESET << 4 | 2: return 0;
    default: return virtio__ones(width);
    }
}

static void virtio__common_write(virtio_model *m, uint64_t off, unsigned width, uint64_t v)
{
    unsigned which;
    int half;

    if (virtio__pci_addr(off, width, &which, &half)) {
        virtio__write_queue_addr(m, which, half, v);
        return;
    }
    switch (off << 4 | width) {
    case VIRTIO_PCI_DEVICE_FEATURE_SELECT << 4 | 4: m->s.device_features_sel = (uint32_t)v; break;
    case VIRTIO_PCI_DRIVER_FEATURE_SELECT << 4 | 4: m->s.driver_features_sel = (uint32_t)v; break;
    case VIRTIO_PCI_DRIVER_FEATURE << 4 | 4: virtio__write_driver_features(m, (uint32_t)v); break;
    case VIRTIO_PCI_CONFIG_MSIX_VECTOR << 4 | 2: m->s.config_msix_vector = virtio__vector(m, v); break;
    case VIRTIO_PCI_DEVICE_STATUS << 4 | 1: virtio__write_status(m, v); break;
    case VIRTIO_PCI_QUEUE_SELECT << 4 | 2: m->s.queue_sel = (uint32_t)v; break;
    case VIRTIO_PCI_QUEUE_SIZE << 4 | 2: virtio__write_queue_size(m, v); break;
    case VIRTIO_PCI_QUEUE_MSIX_VECTOR << 4 | 2: virtio__write_queue_vector(m, v); break;
    case VIRTIO_PCI_QUEUE_ENABLE << 4 | 2: virtio__write_queue_ready(m, v); break;
    default: break; /* read-only fields, other widths */
    }
}
//! [virtio-pci-common]

//! [virtio-pci-isr]
/* 4.1.4.5: reading the ISR returns it, clears it and lowers INTx. */
static uint64_t virtio__isr_read(virtio_model *m)
{
    uint8_t v = m->s.isr;

    m->s.isr = 0;
    virtio__set_line(m, false);
    return v;
}
//! [virtio-pci-isr]

static uint64_t virtio__pci_read(virtio_model *m, uint64_t off, unsigned width)
{
    uint64_t v, nq = virtio__nq(m);

    if (off < VIRTIO_PCI_COMMON_LEN)
        return virtio__common_read(m, off, width);
    if (off == VIRTIO_PCI_ISR_OFFSET && width == 1)
        return virtio__isr_read(m);
    if (off >= VIRTIO_PCI_DEVICE_OFFSET && off < VIRTIO_PCI_NOTIFY_OFFSET)
        return virtio__config_read(m, off - VIRTIO_PCI_DEVICE_OFFSET, width, &v)
                   ? v : virtio__ones(width);
    if (off >= VIRTIO_PCI_NOTIFY_OFFSET && off < VIRTIO_PCI_NOTIFY_OFFSET + 4 * nq &&
        (width == 2 || width == 4) && off % 4 == 0)
        return 0; /* the notify registers are write-only */
    return virtio__ones(width);
}

/* A notify is a 16-bit write (4.1.5.2); the address names the queue (the
   value is its index too, but the address is what QEMU and the spec's
   notify_off_multiplier go by). */
static void virtio__pci_write(virtio_model *m, uint64_t off, unsigned width, uint64_t v)
{
    uint64_t nq = virtio__nq(m);

    if (off < VIRTIO_PCI_COMMON_LEN)
        virtio__common_write(m, off, width, v);
    else if (off >= VIRTIO_PCI_DEVICE_OFFSET && off < VIRTIO_PCI_NOTIFY_OFFSET)
        virtio__config_write(m, off - VIRTIO_PCI_DEVICE_OFFSET, width, v);
    else if (off >= VIRTIO_PCI_NOTIFY_OFFSET && off < VIRTIO_PCI_NOTIFY_OFFSET + 4 * nq &&
             (width == 2 || width == 4) && off % 4 == 0)
        virtio__notify(m, (off - VIRTIO_PCI_NOTIFY_OFFSET) / VIRTIO_PCI_NOTIFY_MULTIPLIER);
}

/* ---- device model: the contract ---- */

VIRTIO_DEF void virtio_model_init(virtio_model *m, const virtio_model_hooks *h)
{
    virtio__zero(m, sizeof *m);
    if (h)
        m->hooks = *h;
    m->cfg.transport = VIRTIO_TRANSPORT_MMIO;
    m->cfg.device = VIRTIO_ID_ENTROPY;
    m->cfg.queue_max = VIRTIO_QUEUE_MAX_DEFAULT;
    m->cfg.entropy_max = VIRTIO_ENTROPY_MAX_DEFAULT;
    virtio_model_reset(m);
}

VIRTIO_DEF void virtio_model_reset(void *m)
{
    virtio_model *vm = (virtio_model *)m;
    bool was = vm->s.irq_level != 0;

    virtio__zero(&vm->s, sizeof vm->s);
    vm->s.version = VIRTIO_STATE_VERSION;
    vm->s.irq_level = was; /* so the hook hears it fall */
    virtio__device_reset(vm);
}

VIRTIO_DEF uint64_t virtio_model_read(void *m, uint64_t offset, unsigned width)
{
    virtio_model *vm = (virtio_model *)m;

    if (width != 1 && width != 2 && width != 4 && width != 8)
        return virtio__ones(width);
    if (virtio__is_pci(vm))
        return offset < VIRTIO_PCI_BAR_SIZE ? virtio__pci_read(vm, offset, width)
                                            : virtio__ones(width);
    return offset < VIRTIO_MMIO_SIZE ? virtio__mmio_read(vm, offset, width)
                                     : virtio__ones(width);
}

VIRTIO_DEF void virtio_model_write(void *m, uint64_t offset, unsigned width, uint64_t value)
{
    virtio_model *vm = (virtio_model *)m;

    if (width != 1 && width != 2 && width != 4 && width != 8)
        return;
    value &= virtio__ones(width);
    if (virtio__is_pci(vm)) {
        if (offset < VIRTIO_PCI_BAR_SIZE)
            virtio__pci_write(vm, offset, width, value);
    } else if (offset < VIRTIO_MMIO_SIZE) {
        virtio__mmio_write(vm, offset, width, value);
    }
}

VIRTIO_DEF int64_t virtio_model_save(void *m, void *buf, size_t size)
{
    virtio_model *vm = (virtio_model *)m;

    if (size < sizeof vm->s)
        return -1;
    virtio__copy_bytes(buf, &vm->s, sizeof vm->s);
    return (int64_t)sizeof vm->s;
}

//! [virtio-restore]
/* A queue of a saved state: registers in range, and its ring either
   untouched (zero: not live) or the one DRIVER_OK would have built from
   these registers. A queue the device has not, or one of a device before
   FEATURES_OK (when no queue register can be written), is at reset. The
   ring's flags are checked as bytes before they are read as bool. */
static bool virtio__queue_valid(const virtio_model *m, const virtio_state *s, unsigned i)
{
    const virtio_queue_state *q = &s->q[i];
    const virtq_dev *d = &q->vq;
    const uint8_t *flag[3] = { (const uint8_t *)&d->event_idx, (const uint8_t *)&d->indirect,
                               (const uint8_t *)&d->broken };
    bool live = (s->status & VIRTIO_STATUS_DRIVER_OK) && q->ready;
    uint8_t any = 0;

    if (i >= virtio__nq(m) || !(s->status & VIRTIO_STATUS_FEATURES_OK)) {
        virtio_queue_state r;

        virtio__queue_reset(&r);
        for (size_t k = 0; k < sizeof r; k++)
            any |= (uint8_t)(((const uint8_t *)q)[k] ^ ((const uint8_t *)&r)[k]);
        return any == 0;
    }
    for (int k = 0; k < 3; k++)
        if (*flag[k] > 1)
            return false;
    if ((q->size && !virtio__pow2(q->size, virtio__qmax(m))) || q->ready > 1 ||
        q->reserved[0] || q->reserved[1] || q->reserved[2] ||
        (q->msix_vector != VIRTIO_MSI_NO_VECTOR && q->msix_vector >= m->cfg.msix_vectors))
        return false;
    if (!live) {
        for (size_t k = 0; k < sizeof *d; k++)
            any |= ((const uint8_t *)d)[k];
        return any == 0;
    }
    /* A chain is popped and given back (or put back) within one call, and
       the interrupt decided at its end: between calls a ring that works
       has taken exactly what it used and signalled all of it. */
    return d->size == virtio__qsize(m, q) && d->desc == q->desc && d->avail == q->driver &&
           d->used == q->device && d->event_idx == ((s->driver_features >> VIRTIO_F_EVENT_IDX) & 1) &&
           d->indirect == ((s->driver_features >> VIRTIO_F_INDIRECT_DESC) & 1) &&
           (d->broken ? (s->status & VIRTIO_STATUS_NEEDS_RESET) != 0
                      : d->last_avail == d->used_idx && d->signalled == d->used_idx);
}

/* The whole state: a status the machine can reach (bits in order,
   DEVICE_NEEDS_RESET only on a live device, FEATURES_OK only for features
   it accepts), what the steps not yet taken cannot have set (features
   before DRIVER; an interrupt or a half-sent chain before DRIVER_OK),
   flags that are flags, the line as the transport computes it, vectors
   the table has, and each queue. */
static bool virtio__state_valid(const virtio_model *m, const virtio_state *s)
{
    uint8_t st = s->status;
    bool line = s->irq_level != 0;
    uint64_t extra = (uint64_t)1 << 32;

    if (s->version != VIRTIO_STATE_VERSION ||
        (st & ~(VIRTIO__DRIVER_BITS | VIRTIO_STATUS_NEEDS_RESET)) ||
        !virtio__status_order(st) ||
        ((st & VIRTIO_STATUS_NEEDS_RESET) && !(st & VIRTIO_STATUS_DRIVER_OK)) ||
        (s->isr & ~(VIRTIO_INT_USED | VIRTIO_INT_CONFIG)) || s->irq_level > 1 ||
        s->features_bad > 1 || s->config_dirty > 1 || s->rx_wanted > 1 ||
        s->tx_done > extra || (s->tx_done && !virtio__is_console(m)) ||
        (virtio__is_pci(m) ? (line && !s->isr) : (line != (s->isr != 0))) ||
        (s->config_msix_vector != VIRTIO_MSI_NO_VECTOR &&
         s->config_msix_vector >= m->cfg.msix_vectors))
        return false;
    if ((st & VIRTIO_STATUS_FEATURES_OK) &&
        (s->features_bad || (s->driver_features & ~virtio_model_features(m)) ||
         !((s->driver_features >> VIRTIO_F_VERSION_1) & 1)))
        return false;
    if ((!(st & VIRTIO_STATUS_DRIVER) && (s->driver_features || s->features_bad)) ||
        (!(st & VIRTIO_STATUS_DRIVER_OK) && (s->isr || line || s->tx_done)))
        return false;
    for (unsigned i = 0; i < VIRTIO_MODEL_QUEUES; i++)
        if (!virtio__queue_valid(m, s, i))
            return false;
    return true;
}

VIRTIO_DEF int64_t virtio_model_restore(void *m, const void *buf, size_t size)
{
    virtio_model *vm = (virtio_model *)m;
    virtio_state in;

    /* A snapshot is input like any other: check it before trusting it. */
    if (size != sizeof in)
        return -1;
    virtio__copy_bytes(&in, buf, sizeof in);
    if (!virtio__state_valid(vm, &in))
        return -1;
    vm->s = in;
    if (vm->hooks.irq)
        vm->hooks.irq(vm->hooks.ctx, vm->s.irq_level != 0);
    if (virtio__live(vm) && vm->hooks.wake)
        vm->hooks.wake(vm->hooks.ctx);
    return (int64_t)sizeof in;
}
//! [virtio-restore]

/* ---- device model: the PCI capabilities ---- */

//! [virtio-pci-cap]
/* Each structure's place in the BAR (cfg.pci_bar), as the board lists it
   in the capability list; the PCI_CFG window starts empty (its bar,
   offset and length are the driver's to write). */
VIRTIO_DEF unsigned virtio_model_pci_cap(const virtio_model *m, unsigned cfg_type,
                                         uint8_t cap[VIRTIO_PCI_CAP_MAX])
{
    uint32_t off = 0, len = 0;
    unsigned cap_len = VIRTIO_PCI_CAP_LEN;

    virtio__zero(cap, VIRTIO_PCI_CAP_MAX);
    switch (cfg_type) {
    case VIRTIO_PCI_CAP_COMMON_CFG: off = VIRTIO_PCI_COMMON_OFFSET; len = VIRTIO_PCI_COMMON_LEN; break;
    case VIRTIO_PCI_CAP_ISR_CFG: off = VIRTIO_PCI_ISR_OFFSET; len = VIRTIO_PCI_ISR_LEN; break;
    case VIRTIO_PCI_CAP_DEVICE_CFG:
        if (!virtio__cfg_len(m))
            return 0;
        off = VIRTIO_PCI_DEVICE_OFFSET;
        len = virtio__cfg_len(m);
        break;
    case VIRTIO_PCI_CAP_NOTIFY_CFG:
        off = VIRTIO_PCI_NOTIFY_OFFSET;
        len = VIRTIO_PCI_NOTIFY_MULTIPLIER * virtio__nq(m);
        cap_len = VIRTIO_PCI_NOTIFY_CAP_LEN;
        virtio__put32(cap + VIRTIO_PCI_NOTIFY_CAP_MULT, VIRTIO_PCI_NOTIFY_MULTIPLIER);
        break;
    case VIRTIO_PCI_CAP_PCI_CFG: cap_len = VIRTIO_PCI_CFG_CAP_LEN; break;
    default: return 0;
    }
    cap[0] = VIRTIO_PCI_CAP_VNDR;
    cap[2] = (uint8_t)cap_len;
    cap[VIRTIO_PCI_CAP_CFG_TYPE] = (uint8_t)cfg_type;
    cap[VIRTIO_PCI_CAP_BAR] = cfg_type == VIRTIO_PCI_CAP_PCI_CFG ? 0 : m->cfg.pci_bar;
    virtio__put32(cap + VIRTIO_PCI_CAP_OFFSET, off);
    virtio__put32(cap + VIRTIO_PCI_CAP_LENGTH, len);
    return cap_len;
}
//! [virtio-pci-cap]

//! [virtio-pci-cfg]
/* 4.1.4.9: the window reaches our structures only with an access the
   driver is allowed to make: our BAR, 1, 2 or 4 bytes, aligned, inside the
   16 KiB we decode (the MSI-X table beyond is pci.h's). */
static bool virtio__cfg_window(const virtio_model *m, const uint8_t *cap, uint32_t *off,
                               unsigned *len)
{
    uint32_t o = virtio__get32(cap + VIRTIO_PCI_CAP_OFFSET);
    uint32_t l = virtio__get32(cap + VIRTIO_PCI_CAP_LENGTH);

    if (!virtio__is_pci(m) || cap[VIRTIO_PCI_CAP_BAR] != m->cfg.pci_bar ||
        (l != 1 && l != 2 && l != 4) || o % l || o >= VIRTIO_PCI_BAR_SIZE ||
        l > VIRTIO_PCI_BAR_SIZE - o)
        return false;
    *off = o;
    *len = l;
    return true;
}

VIRTIO_DEF uint32_t virtio_model_pci_cfg_read(virtio_model *m,
                                              const uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN])
{
    uint32_t off;
    unsigned len;

    if (!virtio__cfg_window(m, cap, &off, &len))
        return 0;
    return (uint32_t)virtio_model_read(m, off, len);
}

VIRTIO_DEF void virtio_model_pci_cfg_write(virtio_model *m,
                                           const uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN],
                                           uint32_t data)
{
    uint32_t off;
    unsigned len;

    if (virtio__cfg_window(m, cap, &off, &len))
        virtio_model_write(m, off, len, data);
}
//! [virtio-pci-cfg]

/* ---- end of device model ------------------------------------------------- */

/* ---- driver side: the transports ---------------------------------------- */

/* How long a reset may take to read back 0, in status reads. A device
   resets at once in every implementation we know; the bound keeps a dead
   or hostile one from hanging the driver. */
#define VIRTIO__RESET_POLLS 1000000u
/* How often a configuration read is retried while the generation moves. */
#define VIRTIO__GENERATION_TRIES 16u

static uint32_t virtio__rd(virtio_drv *d, uint64_t addr, unsigned width)
{
    return d->read(d->ctx, addr, width);
}

static void virtio__wr(virtio_drv *d, uint64_t addr, unsigned width, uint32_t v)
{
    d->write(d->ctx, addr, width, v);
}

VIRTIO_DEF int virtio_drv_mmio(virtio_drv *d, uint64_t base)
{
    uint32_t i;

    d->transport = VIRTIO_TRANSPORT_MMIO;
    d->common = base;
    d->isr = 0;
    d->notify = 0;
    d->notify_len = 0;
    d->notify_mult = 0;
    d->features = 0;
    for (i = 0; i < VIRTIO_DRV_QUEUES; i++)
        d->notify_at[i] = 0;
    if (virtio__rd(d, base + VIRTIO_MMIO_MAGIC_VALUE, 4) != VIRTIO_MMIO_MAGIC)
        return VIRTIO_DRV_ENODEV;
    d->device_id = virtio__rd(d, base + VIRTIO_MMIO_DEVICE_ID, 4);
    if (d->device_id == 0)                   /* an empty slot, of either version */
        return VIRTIO_DRV_ENODEV;
    if (virtio__rd(d, base + VIRTIO_MMIO_VERSION, 4) != VIRTIO_MMIO_V2)
        return VIRTIO_DRV_ELEGACY;
    d->config = base + VIRTIO_MMIO_CONFIG;
    d->config_len = VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG;
    return 0;
}

//! [drv-pci-caps]
VIRTIO_DEF int virtio_drv_pci(virtio_drv *d, virtio_drv_cfg_read_fn *cfg, void *cfg_ctx,
                              const uint64_t bar[6], const uint64_t bar_size[6])
{
    uint32_t id = cfg(cfg_ctx, 0x00, 4);          /* vendor and device IDs */
    uint16_t device = (uint16_t)(id >> 16);
    unsigned found = 0, steps;
    uint8_t at;

    d->transport = VIRTIO_TRANSPORT_PCI;
    d->features = 0;
    for (steps = 0; steps < VIRTIO_DRV_QUEUES; steps++)
        d->notify_at[steps] = 0;
    if ((id & 0xffffu) != VIRTIO_PCI_VENDOR)
        return VIRTIO_DRV_ENODEV;
    if (device >= VIRTIO_PCI_DEVICE_ID(0))        /* 0x1040 + type */
        d->device_id = device - VIRTIO_PCI_DEVICE_ID(0);
    else if (device >= 0x1000u)                    /* transitional: the type is the subsystem ID */
        d->device_id = cfg(cfg_ctx, 0x2e, 2);
    else
        return VIRTIO_DRV_ENODEV;
    if (device > 0x107fu || d->device_id == 0)
        return VIRTIO_DRV_ENODEV;
    if (!(cfg(cfg_ctx, 0x06, 2) & 0x10u))          /* status: no capability list */
        return VIRTIO_DRV_ELEGACY;
    /* The list is the device's to write: follow at most 48 links (all a
       256-byte space can hold), each dword-aligned inside it. */
    at = (uint8_t)(cfg(cfg_ctx, 0x34, 1) & 0xfcu);
    for (steps = 0; at >= 0x40u && steps < 48u; steps++) {
        uint32_t head = cfg(cfg_ctx, at, 4);
        unsigned type = (head >> 24) & 0xffu, len = (head >> 16) & 0xffu;
        unsigned b = cfg(cfg_ctx, (uint16_t)(at + 4u), 1);
        uint32_t off, length;
        uint64_t where;

        if ((head & 0xffu) != 0x09u || len < VIRTIO_PCI_CAP_LEN || type < 1 || type > 4 ||
            (found & (1u << type)) || b >= 6 || !bar[b] || !bar_size[b] ||
            bar[b] > UINT64_MAX - bar_size[b] + 1)
            goto next;                             /* not ours, or one we already took */
        off = cfg(cfg_ctx, (uint16_t)(at + 8u), 4);
        length = cfg(cfg_ctx, (uint16_t)(at + 12u), 4);
        if (off > bar_size[b] || length > bar_size[b] - off)
            goto next;                             /* past its BAR: the device lies */
        where = bar[b] + off;
        if (type == VIRTIO_PCI_CAP_COMMON_CFG && length >= 0x38u) { /* 1.0's size */
            d->common = where;
        } else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && len >= VIRTIO_PCI_NOTIFY_CAP_LEN &&
                   length >= 2) {
            d->notify = where;
            d->notify_len = length;
            d->notify_mult = cfg(cfg_ctx, (uint16_t)(at + 16u), 4);
        } else if (type == VIRTIO_PCI_CAP_ISR_CFG && length >= 1) {
            d->isr = where;
        } else if (type == VIRTIO_PCI_CAP_DEVICE_CFG) {
            d->config = where;
            d->config_len = length;
        } else {
            goto next;
        }
        found |= 1u << type;
    next:
        at = (uint8_t)(head >> 8) & 0xfcu;
    }
    if ((found & 0x0eu) != 0x0eu)                  /* common, notify and ISR are required */
        return device < VIRTIO_PCI_DEVICE_ID(0) ? VIRTIO_DRV_ELEGACY : VIRTIO_DRV_ECAP;
    if (!(found & 0x10u)) {                        /* a device with no configuration */
        d->config = 0;
        d->config_len = 0;
    }
    return 0;
}
//! [drv-pci-caps]

/* The transport's registers, by the one name each has on both. */
static uint8_t virtio__status(virtio_drv *d)
{
    return d->transport == VIRTIO_TRANSPORT_MMIO
               ? (uint8_t)virtio__rd(d, d->common + VIRTIO_MMIO_STATUS, 4)
               : (uint8_t)virtio__rd(d, d->common + VIRTIO_PCI_DEVICE_STATUS, 1);
}

static void virtio__set_status(virtio_drv *d, uint8_t s)
{
    if (d->transport == VIRTIO_TRANSPORT_MMIO)
        virtio__wr(d, d->common + VIRTIO_MMIO_STATUS, 4, s);
    else
        virtio__wr(d, d->common + VIRTIO_PCI_DEVICE_STATUS, 1, s);
}

static uint32_t virtio__feature_word(virtio_drv *d, unsigned word)
{
    if (d->transport == VIRTIO_TRANSPORT_MMIO) {
        virtio__wr(d, d->common + VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, word);
        return virtio__rd(d, d->common + VIRTIO_MMIO_DEVICE_FEATURES, 4);
    }
    virtio__wr(d, d->common + VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, word);
    return virtio__rd(d, d->common + VIRTIO_PCI_DEVICE_FEATURE, 4);
}

static void virtio__accept_word(virtio_drv *d, unsigned word, uint32_t v)
{
    if (d->transport == VIRTIO_TRANSPORT_MMIO) {
        virtio__wr(d, d->common + VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, word);
        virtio__wr(d, d->common + VIRTIO_MMIO_DRIVER_FEATURES, 4, v);
    } else {
        virtio__wr(d, d->common + VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, word);
        virtio__wr(d, d->common + VIRTIO_PCI_DRIVER_FEATURE, 4, v);
    }
}

VIRTIO_DEF uint8_t virtio_drv_status(virtio_drv *d)
{
    return virtio__status(d);
}

VIRTIO_DEF void virtio_drv_fail(virtio_drv *d)
{
    virtio__set_status(d, (uint8_t)(virtio__status(d) | VIRTIO_STATUS_FAILED));
}

VIRTIO_DEF int virtio_drv_reset(virtio_drv *d)
{
    uint32_t i;

    virtio__set_status(d, 0);
    for (i = 0; i < VIRTIO__RESET_POLLS; i++)
        if (virtio__status(d) == 0)
            return 0;
    return VIRTIO_DRV_ERESET;
}

//! [drv-negotiate]
VIRTIO_DEF int virtio_drv_negotiate(virtio_drv *d, uint64_t wanted)
{
    uint64_t offered, accept;
    uint8_t s;

    if (virtio_drv_reset(d) < 0)
        return VIRTIO_DRV_ERESET;
    virtio__set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
    virtio__set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    offered = virtio__feature_word(d, 0) | (uint64_t)virtio__feature_word(d, 1) << 32;
    accept = offered & (wanted | (1ull << VIRTIO_F_VERSION_1));
    if (!(accept & (1ull << VIRTIO_F_VERSION_1))) {
        virtio_drv_fail(d);
        return VIRTIO_DRV_EFEATURES;
    }
    virtio__accept_word(d, 0, (uint32_t)accept);
    virtio__accept_word(d, 1, (uint32_t)(accept >> 32));
    s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    virtio__set_status(d, s);
    if (!(virtio__status(d) & VIRTIO_STATUS_FEATURES_OK)) {
        virtio_drv_fail(d);
        return VIRTIO_DRV_EFEATURES;
    }
    d->features = accept;
    return 0;
}
//! [drv-negotiate]

static void virtio__select(virtio_drv *d, unsigned index)
{
    if (d->transport == VIRTIO_TRANSPORT_MMIO)
        virtio__wr(d, d->common + VIRTIO_MMIO_QUEUE_SEL, 4, index);
    else
        virtio__wr(d, d->common + VIRTIO_PCI_QUEUE_SELECT, 2, index);
}

VIRTIO_DEF uint16_t virtio_drv_queue_max(virtio_drv *d, unsigned index)
{
    uint32_t n;

    if (index >= VIRTIO_DRV_QUEUES)
        return 0;
    virtio__select(d, index);
    if (d->transport == VIRTIO_TRANSPORT_MMIO) {
        n = virtio__rd(d, d->common + VIRTIO_MMIO_QUEUE_NUM_MAX, 4);
    } else {
        if (index >= virtio__rd(d, d->common + VIRTIO_PCI_NUM_QUEUES, 2))
            return 0;
        n = virtio__rd(d, d->common + VIRTIO_PCI_QUEUE_SIZE, 2);
    }
    return n > VIRTQ_MAX_SIZE ? (uint16_t)VIRTQ_MAX_SIZE : (uint16_t)n;
}

static void virtio__wr64(virtio_drv *d, uint64_t addr, uint64_t v)
{
    virtio__wr(d, addr, 4, (uint32_t)v);
    virtio__wr(d, addr + 4, 4, (uint32_t)(v >> 32));
}

//! [drv-queue]
VIRTIO_DEF int virtio_drv_queue(virtio_drv *d, unsigned index, uint16_t size, uint64_t desc,
                                uint64_t avail, uint64_t used, uint16_t vector)
{
    uint16_t max = virtio_drv_queue_max(d, index);   /* selects it too */
    uint64_t c = d->common, off;

    if (!max || !size || size > max || (size & (size - 1u)))
        return VIRTIO_DRV_EQUEUE;
    if (d->transport == VIRTIO_TRANSPORT_MMIO) {
        if (virtio__rd(d, c + VIRTIO_MMIO_QUEUE_READY, 4))
            return VIRTIO_DRV_EQUEUE;
        virtio__wr(d, c + VIRTIO_MMIO_QUEUE_NUM, 4, size);
        virtio__wr64(d, c + VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
        virtio__wr64(d, c + VIRTIO_MMIO_QUEUE_DRIVER_LOW, avail);
        virtio__wr64(d, c + VIRTIO_MMIO_QUEUE_DEVICE_LOW, used);
        virtio__wr(d, c + VIRTIO_MMIO_QUEUE_READY, 4, 1);
        d->notify_at[index] = c + VIRTIO_MMIO_QUEUE_NOTIFY;
        return 0;
    }
    if (virtio__rd(d, c + VIRTIO_PCI_QUEUE_ENABLE, 2))
        return VIRTIO_DRV_EQUEUE;
    /* The notify address comes from the device: keep it inside the notify
       structure, or the driver would write wherever a device said. */
    off = (uint64_t)virtio__rd(d, c + VIRTIO_PCI_QUEUE_NOTIFY_OFF, 2) * d->notify_mult;
    if (off > d->notify_len || d->notify_len - off < 2)
        return VIRTIO_DRV_EQUEUE;
    virtio__wr(d, c + VIRTIO_PCI_QUEUE_SIZE, 2, size);
    virtio__wr(d, c + VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2, vector);
    if (vector != VIRTIO_MSI_NO_VECTOR &&
        virtio__rd(d, c + VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2) != vector)
        return VIRTIO_DRV_EVECTOR;
    virtio__wr64(d, c + VIRTIO_PCI_QUEUE_DESC, desc);
    virtio__wr64(d, c + VIRTIO_PCI_QUEUE_DRIVER, avail);
    virtio__wr64(d, c + VIRTIO_PCI_QUEUE_DEVICE, used);
    virtio__wr(d, c + VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
    d->notify_at[index] = d->notify + off;
    return 0;
}
//! [drv-queue]

VIRTIO_DEF int virtio_drv_config_vector(virtio_drv *d, uint16_t vector)
{
    if (d->transport != VIRTIO_TRANSPORT_PCI)
        return 0;
    virtio__wr(d, d->common + VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2, vector);
    if (vector != VIRTIO_MSI_NO_VECTOR && virtio__rd(d, d->common + VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2) != vector)
        return VIRTIO_DRV_EVECTOR;
    return 0;
}

VIRTIO_DEF void virtio_drv_ready(virtio_drv *d)
{
    virtio__set_status(d, (uint8_t)(virtio__status(d) | VIRTIO_STATUS_DRIVER_OK));
}

VIRTIO_DEF void virtio_drv_notify(virtio_drv *d, unsigned index)
{
    VIRTIO_MB();                 /* the ring's writes before the doorbell */
    if (index >= VIRTIO_DRV_QUEUES || !d->notify_at[index])
        return;
    if (d->transport == VIRTIO_TRANSPORT_MMIO)
        virtio__wr(d, d->notify_at[index], 4, index);
    else
        virtio__wr(d, d->notify_at[index], 2, index);
}

VIRTIO_DEF uint32_t virtio_drv_interrupt(virtio_drv *d)
{
    uint32_t why;

    if (d->transport == VIRTIO_TRANSPORT_PCI)
        return d->isr ? virtio__rd(d, d->isr, 1) & 3u : 0;   /* reading clears it */
    why = virtio__rd(d, d->common + VIRTIO_MMIO_INTERRUPT_STATUS, 4) & 3u;
    if (why)
        virtio__wr(d, d->common + VIRTIO_MMIO_INTERRUPT_ACK, 4, why);
    return why;
}

static uint32_t virtio__generation(virtio_drv *d)
{
    return d->transport == VIRTIO_TRANSPORT_MMIO
               ? virtio__rd(d, d->common + VIRTIO_MMIO_CONFIG_GENERATION, 4)
               : virtio__rd(d, d->common + VIRTIO_PCI_CONFIG_GENERATION, 1);
}

VIRTIO_DEF bool virtio_drv_config_read(virtio_drv *d, uint32_t off, void *dst, uint32_t n)
{
    uint8_t *out = (uint8_t *)dst;
    uint32_t tries, i, gen;

    if (!d->config || off > d->config_len || n > d->config_len - off)
        return false;
    for (tries = 0; tries < VIRTIO__GENERATION_TRIES; tries++) {
        gen = virtio__generation(d);
        for (i = 0; i < n;) {
            uint32_t at = off + i;
            unsigned w = (at % 4u == 0 && n - i >= 4) ? 4u : (at % 2u == 0 && n - i >= 2) ? 2u : 1u;
            uint32_t v = virtio__rd(d, d->config + at, w);
            unsigned k;

            for (k = 0; k < w; k++)
                out[i + k] = (uint8_t)(v >> (8 * k));
            i += w;
        }
        if (virtio__generation(d) == gen)
            return true;
    }
    return false;
}

VIRTIO_DEF bool virtio_drv_config_write(virtio_drv *d, uint32_t off, unsigned width,
                                        uint32_t value)
{
    if (!d->config || (width != 1 && width != 2 && width != 4) || off > d->config_len ||
        width > d->config_len - off || off % width)
        return false;
    virtio__wr(d, d->config + off, width, value);
    return true;
}

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
