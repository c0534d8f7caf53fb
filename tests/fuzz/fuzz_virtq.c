/* fuzz_virtq.c - fuzz target `virtq`: the virtqueue DEVICE side of
   hdr/virtio.h (virtio_model over virtq_dev) against a guest that controls
   its registers and every byte of its RAM.

   WHAT IT FUZZES
   One virtio device (entropy or console) behind virtio-mmio or virtio-pci.
   On PCI it sits in a pci_model function built as vm/board.c builds it
   (the five virtio capabilities, PCI_CFG writable, MSI-X table and PBA
   behind the model's 16 KiB of BAR 0, INTx through pci_model_set_intx), so
   the PCI_CFG window and MSI-X paths run too. Guest RAM is a malloc of
   exactly RAM_SIZE bytes, the only memory the virtio_mem hooks reach, so
   ASan sees any access past it.

   INPUT FORMAT (byte code; every read past the end is 0)
     u8  cfg: bit 0 PCI, bit 1 console, bit 2 console_size, bits 3-5 the
         queue_max (1, 2, 8, 16, 64, 128, 256, or 100: not a power of two)
     u8  more cfg: bits 0-1 MSI-X vectors (PCI), bits 2-4 entropy_max
     u16 L: the first L bytes of RAM come from the input (the rest is 0)
     L   bytes of RAM image
     then up to MAX_OPS ops, each an opcode byte (modulo OP_COUNT) and its
     arguments (see the switch in LLVMFuzzerTestOneInput): register reads
     and writes of any width at any offset, a table of the real registers,
     status writes, RAM pokes (bytes, ring fields), "set up a sane device"
     and "add a chain" / "add an indirect chain" macros, notifies, ISR and
     interrupt acks, console input, the host's tx room and entropy supply,
     resume, console size, config-space and MSI-X table accesses (PCI),
     the PCI_CFG window, save/restore, restores of mutated images, resets.

   PROPERTIES (besides ASan/UBSan: no access outside the RAM image)
     - An independent walk (oracle_walk below) of every chain the device
       takes, done in the read hook at the moment the device reads the head
       from the available ring: a used entry only for a chain the oracle
       finds well-formed, its id that head, its length the bytes the
       device wrote into it (0 for console output), each data write inside
       one writable buffer of that chain; a malformed chain is never used
       and leaves the device DEVICE_NEEDS_RESET with a configuration
       interrupt (ISR CONFIG) by the end of the op; a well-formed chain is
       never refused (no break without a hook refusal); DEVICE_NEEDS_RESET
       never appears without a reason (a malformed chain, a refused access,
       avail.idx too far ahead, a misaligned ring at DRIVER_OK).
     - Bounded work per op: used entries per queue at most the queue size,
       used.idx moving forward by at most the size, hook calls within a
       fixed bound of the size.
     - Once DEVICE_NEEDS_RESET or FAILED is set, no used entry until reset.
     - The status machine: only driver bits in order, DEVICE_NEEDS_RESET
       only with DRIVER_OK, FEATURES_OK only with offered features
       including VERSION_1; status 0 means every queue reset and the ISR
       and the line clear; the queue registers and the live ring never
       change while DRIVER_OK stands; the transport's status register reads
       the state; the line as the hook heard it is the state's, MMIO:
       line == (ISR != 0), PCI: line implies ISR != 0 and STATUS.INTERRUPT
       follows it.
     - Save, restore into a fresh model, save again: identical bytes. A
       mutated image is refused (the model unchanged) or gives a state
       whose invariants hold.

   RUN (from tests/fuzz)
     clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined \
         -fno-sanitize-recover=all -I../../hdr fuzz_virtq.c -o /tmp/fz/fuzz_virtq
     /tmp/fz/fuzz_virtq -max_total_time=120 -timeout=5 /tmp/fz/virtq corpus/virtq
   Replay: gcc ... -I../../hdr fuzz_virtq.c replay.c -o replay_virtq &&
     ./replay_virtq corpus/virtq/seed-... (every file of the corpus) */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define VIRTIO_IMPLEMENTATION
#define VIRTIO_STATIC
#include "virtio.h"
#define PCI_IMPLEMENTATION
#define PCI_STATIC
#include "pci.h"

#define RAM_SIZE 0x10000u
#define MAX_OPS 2048u
#define BUF_AREA 0x9000u /* buffers the macros use: 0x9000..0xffff */
#define VIO_DEVFN PCI_DEVFN(1, 0)
#define BAR_BASE 0xfe000000u

/* ---- the world, rebuilt for every input --------------------------------- */

static struct {
    uint8_t *ram;
    virtio_model v;
    bool pci, console;
    unsigned nvec; /* MSI-X vectors (PCI) */
    pci_msix msix;
    uint8_t msix_cap, pcicfg_cap;
    bool line;          /* the virtio irq hook's last level */
    bool intx;          /* the PCI intx hook's last level */
    unsigned msis;      /* MSI-X messages sent */
    /* host side */
    size_t entropy_left, entropy_per_call;
    size_t tx_room, tx_per_call;
    uint8_t eseq;
    uintptr_t ebuf_lo, ebuf_hi; /* the buffer the last entropy call filled */
    uint8_t rxbuf[512];
    /* per op accounting */
    unsigned cur_q;          /* the queue a run in this op serves */
    unsigned long hook_calls;
    unsigned used_writes[VIRTIO_MODEL_QUEUES];
    bool justified;          /* something happened that may break a queue */
    bool bad_head_seen;      /* an oracle-malformed head was read */
    /* the chain the device is on */
    bool idx_read_last;      /* the previous hook call read avail.idx */
    bool active, valid, refused_since_head, pushed;
    uint16_t head;
    uint64_t written;        /* data bytes written into it */
    /* per queue: the macros' next free descriptor */
    uint16_t next_desc[VIRTIO_MODEL_QUEUES];
} w;

static pci_model pm;

/* The oracle's copy of a chain. */
#define OSEGS 256u
typedef struct ochain {
    unsigned n;
    uint64_t gpa[OSEGS];
    uint32_t len[OSEGS];
    bool wr[OSEGS];
    uint64_t in_bytes, out_bytes;
} ochain;
static ochain oc;

static bool in_ram(uint64_t gpa, uint64_t n)
{
    return gpa <= RAM_SIZE && n <= RAM_SIZE - gpa;
}

static virtq_dev *cur_vq(void)
{
    return &w.v.s.q[w.cur_q].vq;
}

/* ---- the independent chain walk ------------------------------------------ */

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

typedef struct odesc { uint64_t addr; uint32_t len; uint16_t flags, next; } odesc;

static bool oread(uint64_t gpa, odesc *d)
{
    if (gpa > UINT64_MAX - 16 || !in_ram(gpa, 16))
        return false;
    d->addr = get64(w.ram + gpa);
    d->len = get32(w.ram + gpa + 8);
    d->flags = get16(w.ram + gpa + 12);
    d->next = get16(w.ram + gpa + 14);
    return true;
}

/* virtio 1.2, 2.7.4-2.7.5: readable before writable, at most 2^32 bytes,
   every nonzero range in RAM, at most VIRTIO_MODEL_SEGS buffers. */
static bool oadd(const odesc *d)
{
    bool wr = (d->flags & VIRTQ_DESC_F_WRITE) != 0;

    if (!wr && oc.n > 0 && oc.wr[oc.n - 1])
        return false;
    if (oc.in_bytes + oc.out_bytes + d->len > (uint64_t)1 << 32)
        return false;
    if (d->len && (d->len > UINT64_MAX - d->addr || !in_ram(d->addr, d->len)))
        return false;
    if (oc.n >= VIRTIO_MODEL_SEGS || oc.n >= OSEGS)
        return false;
    oc.gpa[oc.n] = d->addr;
    oc.len[oc.n] = d->len;
    oc.wr[oc.n] = wr;
    oc.n++;
    if (wr)
        oc.in_bytes += d->len;
    else
        oc.out_bytes += d->len;
    return true;
}

/* The chain at `head`: at most `size` descriptors in all (a longer one is
   a loop), indices below the size, one indirect table at most, as the
   chain's last, with the feature, no NEXT, a nonzero multiple of 16 of at
   most `size` entries, and nothing indirect inside it. */
static bool oracle_walk(const virtq_dev *q, uint16_t head)
{
    uint32_t size = q->size, idx = head;
    odesc d;

    memset(&oc, 0, sizeof oc);
    if (head >= size)
        return false;
    for (uint32_t step = 0; step < size; step++) {
        if (oc.n >= size || !oread(q->desc + 16ull * idx, &d))
            return false;
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            uint32_t entries = d.len / 16, j = 0;
            uint64_t t = d.addr;
            odesc e;

            if (!q->indirect || (d.flags & VIRTQ_DESC_F_NEXT) || d.len == 0 || d.len % 16 ||
                entries > size || d.len > UINT64_MAX - t || !in_ram(t, d.len))
                return false;
            for (uint32_t st = 0; st < entries; st++) {
                if (oc.n >= size || !oread(t + 16ull * j, &e) ||
                    (e.flags & VIRTQ_DESC_F_INDIRECT) || !oadd(&e))
                    return false;
                if (!(e.flags & VIRTQ_DESC_F_NEXT))
                    return true;
                if (e.next >= entries)
                    return false;
                j = e.next;
            }
            return false;
        }
        if (!oadd(&d))
            return false;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return true;
        if (d.next >= size)
            return false;
        idx = d.next;
    }
    return false;
}

/* ---- guest memory hooks --------------------------------------------------- */

static bool data_src(const void *src, size_t n)
{
    uintptr_t p = (uintptr_t)src;

    if (p >= w.ebuf_lo && p + n <= w.ebuf_hi)
        return true;
    return p >= (uintptr_t)w.rxbuf && p + n <= (uintptr_t)w.rxbuf + sizeof w.rxbuf;
}

static void refused(void)
{
    w.justified = true;
    w.refused_since_head = true;
}

static bool m_read(void *ctx, uint64_t gpa, void *dst, size_t n)
{
    virtq_dev *q = cur_vq();
    bool was_idx = w.idx_read_last;

    (void)ctx;
    w.hook_calls++;
    w.idx_read_last = false;
    if (!in_ram(gpa, n)) {
        refused();
        return false;
    }
    memcpy(dst, w.ram + gpa, n);
    if (n == 2 && q->size && gpa == q->avail + 2) {
        uint16_t idx = get16(w.ram + gpa);

        w.idx_read_last = true;
        w.ebuf_lo = w.ebuf_hi = 0; /* a new pop: the last chain's buffer is gone */
        if ((uint16_t)(idx - q->last_avail) > q->size)
            w.justified = true; /* VIRTQ_E_AVAIL */
    } else if (n == 2 && was_idx && q->size &&
               gpa == q->avail + 4 + 2ull * (q->last_avail & (q->size - 1))) {
        /* The device takes a head: walk the chain as it is now, before
           the device does (nothing else runs in between). */
        w.active = true;
        w.head = get16(w.ram + gpa);
        w.valid = oracle_walk(q, w.head);
        w.refused_since_head = false;
        w.pushed = false;
        w.written = 0;
        w.ebuf_lo = w.ebuf_hi = 0; /* a stale range is no data source */
        if (!w.valid) {
            w.bad_head_seen = true;
            w.justified = true;
        }
    }
    return true;
}

static bool m_write(void *ctx, uint64_t gpa, const void *src, size_t n)
{
    virtq_dev *q = cur_vq();

    (void)ctx;
    w.hook_calls++;
    w.idx_read_last = false;
    if (!in_ram(gpa, n)) {
        refused();
        if (n == 8)
            w.pushed = true; /* a push the hook refused */
        return false;
    }
    if (data_src(src, n)) {
        bool inside = false;

        FUZZ_CHECK(w.active && w.valid, "data written for no well-formed chain");
        for (unsigned i = 0; i < oc.n && !inside; i++)
            inside = oc.wr[i] && gpa >= oc.gpa[i] && n <= oc.len[i] &&
                     gpa - oc.gpa[i] <= oc.len[i] - n;
        FUZZ_CHECK(inside, "data write at %#llx+%zu outside the chain's writable buffers",
                   (unsigned long long)gpa, n);
        w.written += n;
    } else if (n == 8 && q->size && gpa == q->used + 4 + 8ull * (q->used_idx & (q->size - 1))) {
        const uint8_t *e = src;
        uint32_t id = get32(e), len = get32(e + 4);

        FUZZ_CHECK(w.active && w.valid && !w.pushed, "used entry for no well-formed chain");
        FUZZ_CHECK(id == w.head, "used id %u, the head taken was %u", id, w.head);
        FUZZ_CHECK(len == w.written, "used len %u, bytes written %llu", len,
                   (unsigned long long)w.written);
        FUZZ_CHECK(len <= oc.in_bytes, "used len %u beyond the chain's %llu writable bytes", len,
                   (unsigned long long)oc.in_bytes);
        w.pushed = true;
        w.active = false;
        w.ebuf_lo = w.ebuf_hi = 0; /* its stack frame is gone */
        w.used_writes[w.cur_q]++;
    }
    memcpy(w.ram + gpa, src, n);
    return true;
}

static bool m_check(void *ctx, uint64_t gpa, uint64_t n)
{
    (void)ctx;
    w.hook_calls++;
    w.idx_read_last = false;
    if (!in_ram(gpa, n)) {
        refused();
        return false;
    }
    return true;
}

/* ---- device hooks --------------------------------------------------------- */

static void h_irq(void *ctx, bool level)
{
    (void)ctx;
    w.hook_calls++;
    w.line = level;
    if (w.pci)
        pci_model_set_intx(&pm, VIO_DEVFN, level);
}

static bool h_msix(void *ctx, uint16_t vector)
{
    (void)ctx;
    w.hook_calls++;
    if (!w.pci || !w.nvec || !pci_msix_enabled(&w.msix))
        return false;
    if (vector != VIRTIO_MSI_NO_VECTOR)
        pci_msix_signal(&w.msix, vector);
    return true;
}

static size_t h_entropy(void *ctx, void *buf, size_t n)
{
    (void)ctx;
    w.hook_calls++;
    if (n > w.entropy_left)
        n = w.entropy_left;
    if (w.entropy_per_call && n > w.entropy_per_call)
        n = w.entropy_per_call;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = w.eseq++;
    w.entropy_left -= n;
    w.ebuf_lo = (uintptr_t)buf;
    w.ebuf_hi = (uintptr_t)buf + n;
    return n;
}

static size_t h_tx(void *ctx, const void *buf, size_t n)
{
    (void)ctx;
    (void)buf;
    w.hook_calls++;
    if (w.tx_per_call && n > w.tx_per_call)
        n = w.tx_per_call;
    if (n > w.tx_room)
        n = w.tx_room;
    w.tx_room -= n;
    return n;
}

static void h_rx_room(void *ctx) { (void)ctx; w.hook_calls++; }
static void h_wake(void *ctx) { (void)ctx; w.hook_calls++; }

static void h_msi(void *ctx, uint64_t address, uint32_t data)
{
    (void)ctx;
    (void)address;
    (void)data;
    w.msis++;
}

/* ---- the PCI board glue (as vm/board.c does it) -------------------------- */

static bool touches(uint16_t reg, unsigned width, unsigned at, unsigned len)
{
    return at && reg < at + len && reg + width > at;
}

static void pcicfg_bytes(uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN])
{
    for (unsigned k = 0; k < VIRTIO_PCI_CFG_CAP_LEN; k++)
        cap[k] = (uint8_t)pci_model_config(&pm, VIO_DEVFN, (uint16_t)(w.pcicfg_cap + k), 1);
}

static void p_cfg_written(void *ctx, unsigned devfn, uint16_t reg, unsigned width)
{
    uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN];

    (void)ctx;
    if (devfn != VIO_DEVFN)
        return;
    if (w.nvec && touches(reg, width, w.msix_cap + PCI_MSIX_FLAGS, 2))
        pci_msix_control(&w.msix, (uint16_t)pci_model_config(&pm, devfn,
                                                             w.msix_cap + PCI_MSIX_FLAGS, 2));
    if (touches(reg, width, w.pcicfg_cap + VIRTIO_PCI_CFG_CAP_DATA, 4)) {
        pcicfg_bytes(cap);
        virtio_model_pci_cfg_write(&w.v, cap, pci_model_config(&pm, devfn, w.pcicfg_cap +
                                                               VIRTIO_PCI_CFG_CAP_DATA, 4));
    }
}

static bool p_cfg_read(void *ctx, unsigned devfn, uint16_t reg, unsigned width, uint32_t *value)
{
    uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN];
    unsigned data = w.pcicfg_cap + VIRTIO_PCI_CFG_CAP_DATA;

    (void)ctx;
    if (devfn != VIO_DEVFN || !touches(reg, width, data, 4))
        return false;
    pcicfg_bytes(cap);
    *value = virtio_model_pci_cfg_read(&w.v, cap) >> (8 * (reg - data));
    return true;
}

static void p_intx(void *ctx, unsigned devfn, unsigned pin, bool level)
{
    (void)ctx;
    (void)pin;
    if (devfn == VIO_DEVFN)
        w.intx = level;
}

static void build_pci(void)
{
    static const unsigned types[] = { VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_NOTIFY_CFG,
                                      VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_DEVICE_CFG,
                                      VIRTIO_PCI_CAP_PCI_CFG };
    static pci_function f;
    const pci_model_hooks ph = { NULL, p_cfg_written, p_cfg_read, p_intx, NULL };
    const pci_msix_hooks mh = { h_msi, NULL };
    uint8_t cap[VIRTIO_PCI_CAP_MAX];
    unsigned len;
    uint8_t at;

    pci_model_init(&pm, &ph);
    pci_function_init(&f, VIRTIO_PCI_VENDOR, (uint16_t)VIRTIO_PCI_DEVICE_ID(w.v.cfg.device),
                      VIRTIO_PCI_CLASS(w.v.cfg.device), VIRTIO_PCI_REVISION);
    pci_function_bar(&f, 0, VIRTIO_PCI_BAR_TOTAL, 0);
    put32(f.config + PCI_BAR0, BAR_BASE);
    f.config[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    pci_function_irq(&f, 1);
    for (unsigned t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (!(len = virtio_model_pci_cap(&w.v, types[t], cap)) ||
            !(at = pci_function_add_cap(&f, VIRTIO_PCI_CAP_VNDR, len)))
            continue;
        for (unsigned k = 2; k < len; k++)
            f.config[at + k] = cap[k];
        if (types[t] == VIRTIO_PCI_CAP_PCI_CFG) {
            f.wmask[at + VIRTIO_PCI_CAP_BAR] = 0xff;
            for (unsigned k = VIRTIO_PCI_CAP_OFFSET; k < VIRTIO_PCI_CFG_CAP_LEN; k++)
                f.wmask[at + k] = 0xff;
            w.pcicfg_cap = at;
        }
    }
    if (w.nvec) {
        w.msix_cap = pci_function_add_msix(&f, w.nvec, 0, VIRTIO_PCI_MSIX_OFFSET, 0,
                                           (uint32_t)(VIRTIO_PCI_MSIX_OFFSET +
                                                      PCI_MSIX_PBA_OFFSET(w.nvec)));
        FUZZ_CHECK(w.msix_cap, "the MSI-X capability does not fit");
        pci_msix_init(&w.msix, w.nvec, &mh);
    }
    FUZZ_CHECK(pci_model_add(&pm, VIO_DEVFN, &f) == 0, "pci_model_add");
    pci_model_reset(&pm);
}

/* ---- guest-side helpers --------------------------------------------------- */

static uint64_t rd(uint64_t off, unsigned width)
{
    if (w.pci && off >= VIRTIO_PCI_MSIX_OFFSET) {
        if (!w.nvec)
            return width < 8 ? (1ull << (8 * width)) - 1 : UINT64_MAX;
        return pci_msix_read(&w.msix, off - VIRTIO_PCI_MSIX_OFFSET, width);
    }
    return virtio_model_read(&w.v, off, width);
}

static void wr(uint64_t off, unsigned width, uint64_t v)
{
    if (w.pci && off >= VIRTIO_PCI_MSIX_OFFSET) {
        if (w.nvec)
            pci_msix_write(&w.msix, off - VIRTIO_PCI_MSIX_OFFSET, width, v);
        return;
    }
    virtio_model_write(&w.v, off, width, v);
}

static void set_status(uint8_t s)
{
    if (w.pci)
        wr(VIRTIO_PCI_DEVICE_STATUS, 1, s);
    else
        wr(VIRTIO_MMIO_STATUS, 4, s);
}

static uint8_t get_status(void)
{
    return (uint8_t)(w.pci ? rd(VIRTIO_PCI_DEVICE_STATUS, 1) : rd(VIRTIO_MMIO_STATUS, 4));
}

static void cfg_write(unsigned reg, unsigned width, uint32_t v)
{
    pci_model_ecam_write(&pm, PCI_ECAM_OFFSET(0, 1, 0, reg), width, v);
}

static uint64_t qbase(unsigned i) { return 0x1000u + 0x4000u * i; }

/* ACKNOWLEDGE, DRIVER, the features, FEATURES_OK, every queue at its place
   in RAM with a size from `shift`, MSI-X on if asked, DRIVER_OK. */
static void sane_setup(uint8_t feat, uint8_t shift, uint8_t place)
{
    uint64_t offered = virtio_model_features(&w.v), accept;
    unsigned nq = w.console ? 2 : 1;
    uint16_t qmax = w.v.cfg.queue_max;

    if (qmax == 0 || (qmax & (qmax - 1)) || qmax > VIRTQ_MAX_SIZE)
        qmax = VIRTIO_QUEUE_MAX_DEFAULT;
    accept = 1ull << VIRTIO_F_VERSION_1;
    if (feat & 1) accept |= 1ull << VIRTIO_F_EVENT_IDX;
    if (feat & 2) accept |= 1ull << VIRTIO_F_INDIRECT_DESC;
    if (feat & 4) accept |= 1ull << VIRTIO_CONSOLE_F_SIZE;
    if (feat & 8) accept |= 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE;
    accept &= offered;
    set_status(0);
    set_status(VIRTIO_STATUS_ACKNOWLEDGE);
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    for (uint32_t sel = 0; sel < 2; sel++) {
        if (w.pci) {
            wr(VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, sel);
            wr(VIRTIO_PCI_DRIVER_FEATURE, 4, (uint32_t)(accept >> (32 * sel)));
        } else {
            wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, sel);
            wr(VIRTIO_MMIO_DRIVER_FEATURES, 4, (uint32_t)(accept >> (32 * sel)));
        }
    }
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    for (unsigned i = 0; i < nq; i++) {
        uint16_t size = (uint16_t)(qmax >> (shift >> (2 * i) & 3));
        uint64_t d = qbase(i), a = d + 0x1000, u = d + 0x2000;
        /* `place`, if not 0, moves some areas to the end of RAM, partly or
           wholly past it (bit 0 desc, 1 avail, 2 used; the rest: how far). */
        uint64_t end = RAM_SIZE - 16u * (place >> 3);

        if (!size)
            size = 1;
        memset(w.ram + d, 0, 0x3000);
        if (place & 1)
            d = end;
        if (place & 2)
            a = end + 0x10 * (place & 4);
        if (place & 4)
            u = end + 0x8;
        w.next_desc[i] = 0;
        if (w.pci) {
            wr(VIRTIO_PCI_QUEUE_SELECT, 2, i);
            wr(VIRTIO_PCI_QUEUE_SIZE, 2, size);
            wr(VIRTIO_PCI_QUEUE_DESC, 8, d);
            wr(VIRTIO_PCI_QUEUE_DRIVER, 4, a);
            wr(VIRTIO_PCI_QUEUE_DRIVER + 4, 4, 0);
            wr(VIRTIO_PCI_QUEUE_DEVICE, 8, u);
            wr(VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2, i < w.nvec ? i : VIRTIO_MSI_NO_VECTOR);
            wr(VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
        } else {
            wr(VIRTIO_MMIO_QUEUE_SEL, 4, i);
            wr(VIRTIO_MMIO_QUEUE_NUM, 4, size);
            wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 4, d);
            wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 4, 0);
            wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, 4, a);
            wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 4, 0);
            wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, 4, u);
            wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 4, 0);
            wr(VIRTIO_MMIO_QUEUE_READY, 4, 1);
        }
    }
    if (w.pci && w.nvec && (feat & 0x10)) {
        wr(VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2, w.nvec - 1);
        for (unsigned v = 0; v < w.nvec; v++)
            wr(VIRTIO_PCI_MSIX_OFFSET + 16u * v + PCI_MSIX_ENTRY_CTRL, 4, feat & 0x20 ? 1 : 0);
        cfg_write(w.msix_cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    }
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
               VIRTIO_STATUS_DRIVER_OK);
}

/* The queue's ring as the driver placed it, if it lies in RAM. */
static bool ring_of(unsigned qi, uint64_t *d, uint64_t *a, uint16_t *size)
{
    const virtio_queue_state *q = &w.v.s.q[qi];
    uint16_t s = q->size ? q->size : w.v.s.q[qi].vq.size;

    if (!s)
        s = 1;
    *d = q->desc;
    *a = q->driver;
    *size = s;
    return in_ram(*d, 16ull * s) && in_ram(*a, 6 + 2ull * s) && !(*a & 1);
}

/* The driver adds a chain of `n` buffers (descriptors from the macro's
   free counter) or one indirect table holding them, and publishes it. */
static void add_chain(fuzz_in *in, bool indirect)
{
    unsigned qi = fuzz_u8(in) % (w.console ? 2 : 1), n = fuzz_u8(in) % 6 + 1;
    uint8_t mode = fuzz_u8(in);
    bool writable = !(w.console && qi == VIRTIO_CONSOLE_TRANSMITQ);
    uint64_t d, a, table = BUF_AREA + (fuzz_u8(in) & 0x3f) * 16u;
    uint16_t size, idx, head;
    uint8_t e[16];

    if (mode & 0x80)
        writable = !writable; /* the wrong direction for this queue */
    if (!ring_of(qi, &d, &a, &size))
        return;
    head = (uint16_t)(w.next_desc[qi] % size);
    for (unsigned k = 0; k < n; k++) {
        uint64_t addr = BUF_AREA + fuzz_u16(in) % (RAM_SIZE - BUF_AREA);
        uint32_t len = fuzz_u8(in);
        uint16_t flags = writable ? VIRTQ_DESC_F_WRITE : 0, next;
        uint64_t at;

        if (mode & 0x40)
            len = (uint32_t)len << 4;
        if (addr + len > RAM_SIZE)
            len = (uint32_t)(RAM_SIZE - addr);
        if (indirect) {
            next = (uint16_t)(k + 1);
            at = table + 16ull * k;
        } else {
            next = (uint16_t)((w.next_desc[qi] + 1) % size);
            at = d + 16ull * (w.next_desc[qi] % size);
            w.next_desc[qi]++;
        }
        if (k + 1 < n)
            flags |= VIRTQ_DESC_F_NEXT;
        put64(e, addr);
        put32(e + 8, len);
        put16(e + 12, flags);
        put16(e + 14, next);
        if (in_ram(at, 16))
            memcpy(w.ram + at, e, 16);
    }
    if (indirect) {
        put64(e, table);
        put32(e + 8, 16u * n);
        put16(e + 12, VIRTQ_DESC_F_INDIRECT);
        put16(e + 14, 0);
        memcpy(w.ram + d + 16ull * head, e, 16);
        w.next_desc[qi]++;
    }
    idx = get16(w.ram + a + 2);
    put16(w.ram + a + 4 + 2ull * (idx & (size - 1)), head);
    put16(w.ram + a + 2, (uint16_t)(idx + 1));
    if (mode & 1)
        put16(w.ram + a + 4 + 2ull * size, (uint16_t)(idx + (mode >> 1 & 3))); /* used_event */
}

static void notify(unsigned qi)
{
    if (w.pci)
        wr(VIRTIO_PCI_NOTIFY_OFFSET + VIRTIO_PCI_NOTIFY_MULTIPLIER * qi, 2, qi);
    else
        wr(VIRTIO_MMIO_QUEUE_NOTIFY, 4, qi);
}

/* Real registers with their widths, for both transports. */
static const struct reg { uint16_t off; uint8_t width; } mmio_regs[] = {
    { 0x000, 4 }, { 0x004, 4 }, { 0x008, 4 }, { 0x00c, 4 }, { 0x010, 4 }, { 0x014, 4 },
    { 0x020, 4 }, { 0x024, 4 }, { 0x030, 4 }, { 0x034, 4 }, { 0x038, 4 }, { 0x044, 4 },
    { 0x050, 4 }, { 0x060, 4 }, { 0x064, 4 }, { 0x070, 4 }, { 0x080, 4 }, { 0x084, 4 },
    { 0x090, 4 }, { 0x094, 4 }, { 0x0a0, 4 }, { 0x0a4, 4 }, { 0x0ac, 4 }, { 0x0b0, 4 },
    { 0x0c0, 4 }, { 0x0fc, 4 }, { 0x100, 2 }, { 0x102, 2 }, { 0x104, 4 }, { 0x108, 4 },
    { 0x100, 1 }, { 0x10b, 1 },
}, pci_regs[] = {
    { 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0c, 4 }, { 0x10, 2 }, { 0x12, 2 }, { 0x14, 1 },
    { 0x15, 1 }, { 0x16, 2 }, { 0x18, 2 }, { 0x1a, 2 }, { 0x1c, 2 }, { 0x1e, 2 }, { 0x20, 8 },
    { 0x20, 4 }, { 0x24, 4 }, { 0x28, 8 }, { 0x28, 4 }, { 0x2c, 4 }, { 0x30, 8 }, { 0x30, 4 },
    { 0x34, 4 }, { 0x38, 2 }, { 0x3a, 2 }, { 0x1000, 1 }, { 0x2000, 2 }, { 0x2002, 2 },
    { 0x2004, 4 }, { 0x2008, 4 }, { 0x3000, 2 }, { 0x3004, 2 }, { 0x4000, 4 }, { 0x4004, 4 },
    { 0x4008, 4 }, { 0x400c, 4 }, { 0x4010, 8 }, { 0x401c, 4 }, { 0x402c, 4 }, { 0x4030, 8 },
    { 0x4800, 8 },
};

static const unsigned widths[4] = { 1, 2, 4, 8 };

/* ---- the properties -------------------------------------------------------- */

#define DRIVER_BITS (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | \
                     VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)

static bool order_ok(uint8_t s)
{
    return (!(s & VIRTIO_STATUS_DRIVER) || (s & VIRTIO_STATUS_ACKNOWLEDGE)) &&
           (!(s & VIRTIO_STATUS_FEATURES_OK) || (s & VIRTIO_STATUS_DRIVER)) &&
           (!(s & VIRTIO_STATUS_DRIVER_OK) || (s & VIRTIO_STATUS_FEATURES_OK));
}

static bool queue_is_reset(const virtio_queue_state *q)
{
    static const uint8_t zero[sizeof(virtq_dev)];

    return q->size == 0 && q->ready == 0 && q->desc == 0 && q->driver == 0 && q->device == 0 &&
           q->msix_vector == VIRTIO_MSI_NO_VECTOR && !memcmp(&q->vq, zero, sizeof zero);
}

/* What must hold of any state of `m`, however it was reached. */
static void state_invariants(const virtio_model *m, bool hooks_current)
{
    const virtio_state *s = &m->s;
    uint64_t offered = virtio_model_features(m);
    unsigned nq = m->cfg.device == VIRTIO_ID_CONSOLE ? 2 : 1;

    FUZZ_CHECK(s->version == VIRTIO_STATE_VERSION, "version %u", s->version);
    FUZZ_CHECK(!(s->status & ~(DRIVER_BITS | VIRTIO_STATUS_NEEDS_RESET)), "status %#x", s->status);
    FUZZ_CHECK(order_ok(s->status), "status %#x out of order", s->status);
    FUZZ_CHECK(!(s->status & VIRTIO_STATUS_NEEDS_RESET) || (s->status & VIRTIO_STATUS_DRIVER_OK),
               "NEEDS_RESET without DRIVER_OK: %#x", s->status);
    if (s->status & VIRTIO_STATUS_FEATURES_OK)
        FUZZ_CHECK(!s->features_bad && !(s->driver_features & ~offered) &&
                       (s->driver_features >> VIRTIO_F_VERSION_1 & 1),
                   "FEATURES_OK with features %#llx of %#llx",
                   (unsigned long long)s->driver_features, (unsigned long long)offered);
    FUZZ_CHECK(!(s->isr & ~3u) && s->irq_level <= 1, "isr %#x line %u", s->isr, s->irq_level);
    if (m->cfg.transport == VIRTIO_TRANSPORT_PCI)
        FUZZ_CHECK(!s->irq_level || s->isr, "PCI line up with ISR 0");
    else
        FUZZ_CHECK(s->irq_level == (s->isr != 0), "MMIO line %u, ISR %#x", s->irq_level, s->isr);
    if (!(s->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* No queue register can be written before FEATURES_OK. */
        for (unsigned i = 0; i < VIRTIO_MODEL_QUEUES; i++)
            FUZZ_CHECK(queue_is_reset(&s->q[i]), "queue %u set up with status %#x", i,
                       s->status);
    }
    if (!(s->status & VIRTIO_STATUS_DRIVER))
        FUZZ_CHECK(s->driver_features == 0 && !s->features_bad, "features before DRIVER");
    if (!(s->status & VIRTIO_STATUS_DRIVER_OK))
        FUZZ_CHECK(s->isr == 0 && s->irq_level == 0 && s->tx_done == 0,
                   "status %#x with ISR %#x", s->status, s->isr);
    for (unsigned i = nq; i < VIRTIO_MODEL_QUEUES; i++)
        FUZZ_CHECK(queue_is_reset(&s->q[i]), "queue %u of %u touched", i, nq);
    for (unsigned i = 0; i < nq; i++) {
        const virtio_queue_state *q = &s->q[i];
        bool live = (s->status & VIRTIO_STATUS_DRIVER_OK) && q->ready;

        FUZZ_CHECK(q->ready <= 1, "ready %u", q->ready);
        if (q->size)
            FUZZ_CHECK(!(q->size & (q->size - 1)), "queue size %u", q->size);
        if (!live) {
            static const uint8_t zero[sizeof(virtq_dev)];

            FUZZ_CHECK(!memcmp(&q->vq, zero, sizeof zero), "ring of a queue not live");
        } else if (!q->vq.broken) {
            FUZZ_CHECK(q->vq.size && q->vq.desc == q->desc && q->vq.avail == q->driver &&
                           q->vq.used == q->device,
                       "live ring disagrees with its registers");
            FUZZ_CHECK(q->vq.last_avail == q->vq.used_idx,
                       "the device holds chains: last_avail %u used %u", q->vq.last_avail,
                       q->vq.used_idx);
        }
    }
    if (hooks_current) {
        FUZZ_CHECK(w.line == (s->irq_level != 0), "irq hook heard %d, state %u", w.line,
                   s->irq_level);
        if (m->cfg.transport == VIRTIO_TRANSPORT_PCI) {
            bool st = pci_model_config(&pm, VIO_DEVFN, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT;
            bool dis = pci_model_config(&pm, VIO_DEVFN, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE;

            FUZZ_CHECK(st == (s->irq_level != 0), "STATUS.INTERRUPT %d, line %u", st,
                       s->irq_level);
            FUZZ_CHECK(w.intx == (st && !dis), "INTx# %d", w.intx);
        }
    }
}

/* The save of `m`, restored into a fresh model of the same wiring and saved
   again, is the same bytes. */
static void round_trip(void)
{
    static virtio_model fresh;
    static virtio_state a, b;

    FUZZ_CHECK(virtio_model_save(&w.v, &a, sizeof a) == (int64_t)sizeof a, "save");
    virtio_model_init(&fresh, NULL);
    fresh.cfg = w.v.cfg;
    FUZZ_CHECK(virtio_model_restore(&fresh, &a, sizeof a) == (int64_t)sizeof a,
               "a saved state is refused");
    FUZZ_CHECK(virtio_model_save(&fresh, &b, sizeof b) == (int64_t)sizeof b, "save");
    FUZZ_CHECK(!memcmp(&a, &b, sizeof a), "save, restore, save differ");
    state_invariants(&fresh, false);
}

/* A saved image with a few bytes changed: refused with nothing changed, or
   a state that holds. */
static void mutated_restore(fuzz_in *in, bool live)
{
    static virtio_model fresh;
    static virtio_state img, before, after;
    unsigned k = fuzz_u8(in) % 4 + 1;

    virtio_model_save(&w.v, &img, sizeof img);
    for (unsigned i = 0; i < k; i++) {
        unsigned at = fuzz_u16(in) % sizeof img;

        ((uint8_t *)&img)[at] ^= fuzz_u8(in);
    }
    if (live) {
        virtio_model_save(&w.v, &before, sizeof before);
        if (virtio_model_restore(&w.v, &img, sizeof img) < 0) {
            virtio_model_save(&w.v, &after, sizeof after);
            FUZZ_CHECK(!memcmp(&before, &after, sizeof before), "a refused restore changed it");
        }
        w.active = false;
        return;
    }
    virtio_model_init(&fresh, NULL);
    fresh.cfg = w.v.cfg;
    virtio_model_save(&fresh, &before, sizeof before);
    if (virtio_model_restore(&fresh, &img, sizeof img) < 0) {
        virtio_model_save(&fresh, &after, sizeof after);
        FUZZ_CHECK(!memcmp(&before, &after, sizeof before), "a refused restore changed it");
    } else {
        state_invariants(&fresh, false);
    }
}

/* ---- the target ------------------------------------------------------------ */

enum {
    OP_READ, OP_WRITE, OP_REG_READ, OP_REG_WRITE, OP_STATUS, OP_POKE, OP_POKE_RING, OP_SETUP,
    OP_ADD, OP_ADD_INDIRECT, OP_NOTIFY, OP_ISR, OP_RX, OP_TX_ROOM, OP_ENTROPY, OP_RESUME,
    OP_SIZE, OP_CFG_WRITE, OP_CFG_READ, OP_WINDOW, OP_SAVE, OP_RESTORE, OP_RESET, OP_COUNT
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t qmaxes[8] = { 1, 2, 8, 16, 64, 128, 256, 100 };
    static const uint32_t emaxes[8] = { 4096, 0, 1, 100, 256, 1000, 65536, 4095 };
    fuzz_in in = { data, size };
    uint8_t c0 = fuzz_u8(&in), c1 = fuzz_u8(&in);
    size_t l = fuzz_u16(&in);
    const virtio_model_hooks vh = { h_irq, h_msix, h_entropy, h_tx, h_rx_room, h_wake, NULL };

    memset(&w, 0, sizeof w);
    w.ram = calloc(RAM_SIZE, 1);
    if (!w.ram)
        return 0;
    if (l > in.n)
        l = in.n;
    if (l > RAM_SIZE)
        l = RAM_SIZE;
    memcpy(w.ram, in.p, l);
    in.p += l;
    in.n -= l;
    w.pci = c0 & 1;
    w.console = (c0 & 2) != 0;
    w.nvec = w.pci ? (c1 & 3u) : 0;
    w.entropy_left = SIZE_MAX;
    w.tx_room = SIZE_MAX;
    virtio_model_init(&w.v, &vh);
    w.v.cfg.transport = w.pci ? VIRTIO_TRANSPORT_PCI : VIRTIO_TRANSPORT_MMIO;
    w.v.cfg.device = w.console ? VIRTIO_ID_CONSOLE : VIRTIO_ID_ENTROPY;
    w.v.cfg.console_size = (c0 & 4) != 0;
    w.v.cfg.queue_max = qmaxes[c0 >> 3 & 7];
    w.v.cfg.msix_vectors = (uint16_t)w.nvec;
    w.v.cfg.entropy_max = emaxes[c1 >> 2 & 7];
    w.v.cfg.mem = (virtio_mem){ NULL, m_read, m_write, m_check };
    if (w.pci)
        build_pci();
    virtio_model_reset(&w.v);

    for (unsigned op = 0; op < MAX_OPS && fuzz_more(&in); op++) {
        uint8_t code = fuzz_u8(&in) % OP_COUNT, before = w.v.s.status;
        unsigned nq = w.console ? 2 : 1;
        virtio_queue_state snap[VIRTIO_MODEL_QUEUES];
        uint16_t used0[VIRTIO_MODEL_QUEUES], size0[VIRTIO_MODEL_QUEUES];
        bool stopped = (before & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)) != 0;
        bool check_reset = true, setup = false;

        memcpy(snap, w.v.s.q, sizeof snap);
        for (unsigned i = 0; i < VIRTIO_MODEL_QUEUES; i++) {
            used0[i] = w.v.s.q[i].vq.used_idx;
            size0[i] = w.v.s.q[i].vq.size;
            w.used_writes[i] = 0;
        }
        w.hook_calls = 0;
        w.justified = w.bad_head_seen = false;
        w.active = false;
        w.idx_read_last = false;
        w.ebuf_lo = w.ebuf_hi = 0;
        w.cur_q = w.console ? VIRTIO_CONSOLE_TRANSMITQ : 0;

        switch (code) {
        case OP_READ: {
            unsigned width = widths[fuzz_u8(&in) & 3];
            uint64_t off = fuzz_u16(&in) % (w.pci ? 0x8100u : 0x240u);

            (void)rd(off, width);
            break;
        }
        case OP_WRITE: {
            unsigned width = widths[fuzz_u8(&in) & 3];
            uint64_t off = fuzz_u16(&in) % (w.pci ? 0x8100u : 0x240u);

            wr(off, width, fuzz_u64(&in));
            break;
        }
        case OP_REG_READ:
        case OP_REG_WRITE: {
            const struct reg *r = w.pci ? pci_regs : mmio_regs;
            unsigned n = w.pci ? sizeof pci_regs / sizeof *r : sizeof mmio_regs / sizeof *r;
            unsigned k = fuzz_u8(&in) % n;

            if (code == OP_REG_READ) {
                (void)rd(r[k].off, r[k].width);
            } else {
                uint64_t v = fuzz_u8(&in) & 0x80 ? fuzz_u64(&in) : fuzz_u8(&in);

                wr(r[k].off, r[k].width, v);
            }
            break;
        }
        case OP_STATUS:
            set_status(fuzz_u8(&in));
            break;
        case OP_POKE: {
            unsigned at = fuzz_u16(&in), n = fuzz_u8(&in) % 32 + 1;

            for (unsigned i = 0; i < n; i++) {
                uint8_t b = fuzz_u8(&in);

                if (at + i < RAM_SIZE)
                    w.ram[at + i] = b;
            }
            break;
        }
        case OP_POKE_RING: {
            /* The guest rewrites a ring field while the device runs. */
            unsigned qi = fuzz_u8(&in) % nq, f = fuzz_u8(&in), k = fuzz_u16(&in);
            uint64_t d, a, u = w.v.s.q[qi].device, at;
            uint16_t s;
            uint32_t v = fuzz_u32(&in);

            if (!ring_of(qi, &d, &a, &s))
                break;
            k %= s;
            switch (f % 8) {
            case 0: at = a + 2; break;                  /* avail.idx */
            case 1: at = a + 4 + 2ull * k; break;       /* avail.ring[k] */
            case 2: at = a + 4 + 2ull * s; break;       /* used_event */
            case 3: at = a; break;                      /* avail.flags */
            case 4: at = d + 16ull * k + 8; break;      /* desc[k].len */
            case 5: at = d + 16ull * k + 12; break;     /* desc[k].flags and next */
            case 6: at = d + 16ull * k; break;          /* desc[k].addr, low */
            default: at = u + 2; break;                 /* used.idx */
            }
            if (f & 8)
                v = (uint16_t)(get16(w.ram + (in_ram(at, 2) ? at : 0)) + (v & 0xff));
            if (in_ram(at, (f % 8 >= 4 && f % 8 <= 6) ? 4 : 2)) {
                if (f % 8 >= 4 && f % 8 <= 6)
                    put32(w.ram + at, v);
                else
                    put16(w.ram + at, (uint16_t)v);
            }
            break;
        }
        case OP_SETUP: {
            uint8_t feat = fuzz_u8(&in), shift = fuzz_u8(&in);

            sane_setup(feat, shift, fuzz_u8(&in));
            setup = true;
            break;
        }
        case OP_ADD:
        case OP_ADD_INDIRECT: {
            unsigned kick = fuzz_u8(&in);

            add_chain(&in, code == OP_ADD_INDIRECT);
            if (kick & 1) {
                unsigned qi = kick >> 1 & 1;

                if (w.console && qi == VIRTIO_CONSOLE_RECEIVEQ && (kick & 4)) {
                    w.cur_q = VIRTIO_CONSOLE_RECEIVEQ;
                    memset(w.rxbuf, 'a' + (kick >> 3), sizeof w.rxbuf);
                    (void)virtio_model_console_rx(&w.v, w.rxbuf, kick >> 3);
                } else {
                    notify(qi);
                }
            }
            break;
        }
        case OP_NOTIFY:
            notify(fuzz_u8(&in) % 3);
            break;
        case OP_ISR:
            if (w.pci)
                (void)rd(VIRTIO_PCI_ISR_OFFSET, 1);
            else
                wr(VIRTIO_MMIO_INTERRUPT_ACK, 4, fuzz_u8(&in) & 3);
            break;
        case OP_RX: {
            size_t n = fuzz_u16(&in) % (sizeof w.rxbuf + 1), took;

            for (size_t i = 0; i < n; i++)
                w.rxbuf[i] = (uint8_t)i;
            w.cur_q = VIRTIO_CONSOLE_RECEIVEQ;
            took = virtio_model_console_rx(&w.v, w.rxbuf, n);
            FUZZ_CHECK(took <= n, "console_rx took %zu of %zu", took, n);
            break;
        }
        case OP_TX_ROOM: {
            uint16_t r = fuzz_u16(&in);

            w.tx_room = r == 0xffff ? SIZE_MAX : r;
            w.tx_per_call = fuzz_u8(&in);
            break;
        }
        case OP_ENTROPY: {
            uint16_t r = fuzz_u16(&in);

            w.entropy_left = r == 0xffff ? SIZE_MAX : r;
            w.entropy_per_call = fuzz_u8(&in);
            break;
        }
        case OP_RESUME:
            virtio_model_resume(&w.v);
            break;
        case OP_SIZE: {
            uint16_t cols = fuzz_u16(&in);

            virtio_model_set_console_size(&w.v, cols, fuzz_u16(&in));
            break;
        }
        case OP_CFG_WRITE:
        case OP_CFG_READ: {
            unsigned devfn = fuzz_u8(&in) & 1 ? VIO_DEVFN : 0, reg = fuzz_u8(&in);
            unsigned width = widths[fuzz_u8(&in) & 3];
            uint32_t v = fuzz_u32(&in);

            if (!w.pci)
                break;
            if (code == OP_CFG_WRITE)
                pci_model_ecam_write(&pm, PCI_ECAM_OFFSET(0, devfn >> 3, 0, reg), width, v);
            else
                (void)pci_model_ecam_read(&pm, PCI_ECAM_OFFSET(0, devfn >> 3, 0, reg), width);
            break;
        }
        case OP_WINDOW: {
            /* Through the PCI_CFG capability: bar, offset, length, data. */
            uint8_t bar = fuzz_u8(&in);
            uint32_t off = fuzz_u16(&in), len = widths[fuzz_u8(&in) & 3], v = fuzz_u32(&in);
            bool write = bar & 0x80;

            if (!w.pci || !w.pcicfg_cap)
                break;
            if (bar & 0x40)
                len = fuzz_u8(&in); /* any length */
            cfg_write(w.pcicfg_cap + VIRTIO_PCI_CAP_BAR, 1, bar & 7);
            cfg_write(w.pcicfg_cap + VIRTIO_PCI_CAP_OFFSET, 4, off % 0x4100);
            cfg_write(w.pcicfg_cap + VIRTIO_PCI_CAP_LENGTH, 4, len);
            if (write)
                cfg_write(w.pcicfg_cap + VIRTIO_PCI_CFG_CAP_DATA, 4, v);
            else
                (void)pci_model_ecam_read(&pm, PCI_ECAM_OFFSET(0, 1, 0, w.pcicfg_cap +
                                                               VIRTIO_PCI_CFG_CAP_DATA + (v & 3)),
                                          1);
            break;
        }
        case OP_SAVE:
            round_trip();
            break;
        case OP_RESTORE: {
            bool live = fuzz_u8(&in) & 1;

            mutated_restore(&in, live);
            check_reset = false;
            if (live) {
                stopped = true; /* the restored state is the reference now */
                memcpy(snap, w.v.s.q, sizeof snap);
                for (unsigned i = 0; i < VIRTIO_MODEL_QUEUES; i++)
                    used0[i] = w.v.s.q[i].vq.used_idx;
                before = w.v.s.status;
            }
            break;
        }
        case OP_RESET:
            virtio_model_reset(&w.v);
            if (w.pci) {
                pci_model_reset(&pm);
                if (w.nvec)
                    pci_msix_reset(&w.msix);
                w.intx = false;
                /* the PCI board resets both together: the line is low */
                pci_model_set_intx(&pm, VIO_DEVFN, w.line);
            }
            break;
        default:
            break;
        }

        /* ---- after every op ---- */
#ifdef FUZZ_DEBUG
        fprintf(stderr, "op %u code %u status %#x q0 ready %u vq size %u la %u ui %u broken %d\n", op,
                code, w.v.s.status, w.v.s.q[0].ready, w.v.s.q[0].vq.size, w.v.s.q[0].vq.last_avail,
                w.v.s.q[0].vq.used_idx, w.v.s.q[0].vq.broken);
#endif
        state_invariants(&w.v, true);
        FUZZ_CHECK(get_status() == w.v.s.status, "status register %#x, state %#x",
                   get_status(), w.v.s.status);
        for (unsigned i = 0; i < nq; i++) {
            const virtio_queue_state *q = &w.v.s.q[i];
            uint16_t bound = size0[i] > q->vq.size ? size0[i] : q->vq.size;
            bool reset = setup || !(w.v.s.status & VIRTIO_STATUS_DRIVER_OK) ||
                         !(before & VIRTIO_STATUS_DRIVER_OK);

            FUZZ_CHECK(w.used_writes[i] <= bound, "queue %u: %u used entries, size %u", i,
                       w.used_writes[i], bound);
            if (!reset)
                FUZZ_CHECK((uint16_t)(q->vq.used_idx - used0[i]) <= bound,
                           "queue %u: used.idx moved %u, size %u", i,
                           (uint16_t)(q->vq.used_idx - used0[i]), bound);
            if (stopped && !reset && code != OP_RESTORE)
                FUZZ_CHECK(w.used_writes[i] == 0, "queue %u used after NEEDS_RESET/FAILED", i);
            if (!reset && code != OP_RESTORE)
                FUZZ_CHECK(snap[i].size == q->size && snap[i].desc == q->desc &&
                               snap[i].driver == q->driver && snap[i].device == q->device &&
                               snap[i].ready == q->ready && snap[i].vq.size == q->vq.size &&
                               snap[i].vq.desc == q->vq.desc,
                           "queue %u setup changed under DRIVER_OK", i);
        }
        {
            uint16_t s = w.v.cfg.queue_max;
            unsigned long qs = (s && !(s & (s - 1))) ? s : VIRTIO_QUEUE_MAX_DEFAULT;

            FUZZ_CHECK(w.hook_calls <= (qs + 2) * (4 * qs + 2 * VIRTIO_MODEL_SEGS + 1200) + 200,
                       "%lu hook calls in one op", w.hook_calls);
        }
        if (check_reset) {
            bool newly = (w.v.s.status & VIRTIO_STATUS_NEEDS_RESET) &&
                         !(before & VIRTIO_STATUS_NEEDS_RESET);

            if (w.bad_head_seen && (w.v.s.status & VIRTIO_STATUS_DRIVER_OK)) {
                FUZZ_CHECK(w.v.s.status & VIRTIO_STATUS_NEEDS_RESET,
                           "a malformed chain without DEVICE_NEEDS_RESET");
                FUZZ_CHECK(!newly || (w.v.s.isr & VIRTIO_INT_CONFIG),
                           "DEVICE_NEEDS_RESET without a configuration interrupt");
            }
            if (newly && !w.justified) {
                /* A ring placed badly at DRIVER_OK is the only other cause. */
                bool bad_ring = false;

                for (unsigned i = 0; i < nq; i++) {
                    const virtio_queue_state *q = &w.v.s.q[i];

                    bad_ring |= q->ready && ((q->desc & 15) || (q->driver & 1) || (q->device & 3));
                }
                FUZZ_CHECK(bad_ring && !(before & VIRTIO_STATUS_DRIVER_OK),
                           "DEVICE_NEEDS_RESET for no reason");
            }
            if (w.active && w.valid && !w.pushed && !w.refused_since_head)
                FUZZ_CHECK(!cur_vq()->broken, "a well-formed chain broke the queue");
        }
    }
#ifdef FUZZ_DEBUG
    fprintf(stderr, "status %#x chains %llu entropy %llu tx %llu rx %llu errors %llu irqs %llu msis %u bad_setup %llu\n",
            w.v.s.status, (unsigned long long)w.v.stats.chains,
            (unsigned long long)w.v.stats.entropy_bytes, (unsigned long long)w.v.stats.tx_bytes,
            (unsigned long long)w.v.stats.rx_bytes, (unsigned long long)w.v.stats.queue_errors,
            (unsigned long long)w.v.stats.interrupts, w.msis,
            (unsigned long long)w.v.stats.bad_setup);
#endif
    free(w.ram);
    return 0;
}
