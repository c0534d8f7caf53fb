/* vdev.c - the kernel's virtio-rng and virtio-console drivers over both
   transports (see vdev.h). The virtqueue and the transports are
   hdr/virtio.h's driver side; this file finds the devices, sets their
   queues up in memory of its own, and turns used buffers into async
   completions.

   A device is an attacker too, if a weaker one: the used ring it writes
   is checked by virtq_drv_get_used() (an id out of range or not in flight
   breaks the queue, a length beyond the buffer is clamped and counted),
   and a broken queue fails every request with VDEV_EIO instead of leaving
   it waiting forever: those in flight at once, those not started yet when
   the runtime starts them. */
#include "loop.h"
#include "vdev.h"

#include "pci.h"
/* The driver side keeps per-descriptor bookkeeping for queues up to
   VIRTQ_DRV_MAX: ours are VDEV_QUEUE_SIZE long (the header's default, 256,
   would cost 89 KiB of BSS for 8 devices). */
#define VIRTQ_DRV_MAX VDEV_QUEUE_SIZE
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"

/* Requests per queue: one descriptor each, so never more than the queue
   holds. A slot is taken by request() and held until the item's callback
   runs, however the request ends (done, failed, cancelled before it
   started): so a slot never names an item its caller may have freed. It
   is in flight only from req_submit() giving the buffer to the device to
   the device giving it back. Meanwhile the item's callback is req_done()
   and its ctx the slot; the caller's are kept here, and put back before
   the caller's callback runs. */
struct vreq {
    async_work *w;          /* NULL: free */
    async_done done;        /* the caller's callback and context */
    void *ctx;
    uint64_t addr;
    uint32_t len;
    bool out;               /* device-readable (a write to the console) */
    bool inflight;          /* the device holds the buffer */
};

struct vqueue {
    virtq_drv q;
    bool live;
    struct vreq req[VDEV_QUEUE_SIZE];
    uint8_t desc[VDEV_QUEUE_SIZE * 16] __attribute__((aligned(16)));
    uint8_t avail[6 + 2 * VDEV_QUEUE_SIZE] __attribute__((aligned(2)));
    uint8_t used[6 + 8 * VDEV_QUEUE_SIZE] __attribute__((aligned(4)));
};

struct vdev {
    virtio_drv drv;
    struct vdev_info info;
    bool live, dead;
    bool emerg;             /* VIRTIO_CONSOLE_F_EMERG_WRITE negotiated */
    bool msix;              /* interrupts by MSI-X: nothing to acknowledge */
    unsigned nq;
    struct vqueue q[2];     /* entropy: requestq; console: receiveq, transmitq */
};

static struct vdev devs[VDEV_MAX];
static unsigned ndevs;
static struct vdev_stats stats;
static uint32_t irq_registered[(PLATFORM_IRQ_MAX + 31) / 32];

/* --- register access: every virtio register is memory-mapped here ------ */

static uint32_t mmio_read(void *ctx, uint64_t addr, unsigned width)
{
    (void)ctx;
    if (width == 1)
        return *(volatile uint8_t *)(uintptr_t)addr;
    if (width == 2)
        return *(volatile uint16_t *)(uintptr_t)addr;
    return *(volatile uint32_t *)(uintptr_t)addr;
}

static void mmio_write(void *ctx, uint64_t addr, unsigned width, uint32_t v)
{
    (void)ctx;
    if (width == 1)
        *(volatile uint8_t *)(uintptr_t)addr = (uint8_t)v;
    else if (width == 2)
        *(volatile uint16_t *)(uintptr_t)addr = (uint16_t)v;
    else
        *(volatile uint32_t *)(uintptr_t)addr = v;
}

/* The accessors every device gets. A host test (tests/vdev_test.c) runs
   this file in a process, with a device model behind the "registers". */
uint32_t (*vdev_bus_read)(void *ctx, uint64_t addr, unsigned width) = mmio_read;
void (*vdev_bus_write)(void *ctx, uint64_t addr, unsigned width, uint32_t v) = mmio_write;

/* --- completions ------------------------------------------------------- */

/* Only the requests in flight: their items are LIVE. One not started yet
   is not LIVE, and the runtime would ignore its completion; req_submit()
   fails it when it runs. Each keeps its slot until its callback. */
static void fail_queue(struct vqueue *vq)
{
    for (unsigned i = 0; i < VDEV_QUEUE_SIZE; i++)
        if (vq->req[i].w && vq->req[i].inflight) {
            vq->req[i].inflight = false;
            async_complete(&kernel_rt, vq->req[i].w, VDEV_EIO);
        }
}

/* The device gave up (a broken ring, DEVICE_NEEDS_RESET): fail what is in
   flight, refuse new requests. Requests not started yet fail as they
   start. */
static void give_up(struct vdev *d, const char *why)
{
    if (d->dead)
        return;
    d->dead = true;
    stats.broken++;
    kprintf("virtio: %s device on %s 0x%llx: %s; stopped\n",
            d->info.type == VIRTIO_ID_ENTROPY ? "entropy" : "console", d->info.transport,
            (unsigned long long)d->info.where, why);
    for (unsigned i = 0; i < d->nq; i++)
        fail_queue(&d->q[i]);
}

static void harvest(struct vdev *d, struct vqueue *vq)
{
    void *tok;
    uint32_t len, before = vq->q.bad_len;

    while ((tok = virtq_drv_get_used(&vq->q, &len)) != NULL) {
        struct vreq *r = tok;

        r->inflight = false;
        async_complete(&kernel_rt, r->w, r->out ? (int)r->len : (int)len);
    }
    stats.bad_len += vq->q.bad_len - before;
    if (vq->q.broken)
        give_up(d, "its used ring broke the rules");
}

static void service(struct vdev *d)
{
    if (!d->live || d->dead)
        return;
    if (!d->msix)           /* INTx or virtio-mmio: acknowledging drops the line */
        virtio_drv_interrupt(&d->drv);
    for (unsigned i = 0; i < d->nq; i++)
        harvest(d, &d->q[i]);
    if (virtio_drv_status(&d->drv) & VIRTIO_STATUS_NEEDS_RESET)
        give_up(d, "it needs a reset");
}

/* One handler for every device on a line: INTx lines are shared. */
static void on_irq(void *ctx, unsigned irq)
{
    (void)ctx;
    stats.irqs++;
    for (unsigned i = 0; i < ndevs; i++)
        if (devs[i].info.irq == irq)
            service(&devs[i]);
}

/* --- requests through the async runtime -------------------------------- */

/* Every request ends here, the one cancelled before it started too (the
   runtime completes that one by itself): the slot is free again, and the
   item the caller's once more, before the caller's callback may submit it
   again. */
static void req_done(async_work *w, int result)
{
    struct vreq *r = w->ctx;

    w->done = r->done;
    w->ctx = r->ctx;
    *r = (struct vreq){ 0 };
    if (w->done)
        w->done(w, result);
}

static struct vreq *find_req(async_work *w, struct vdev **dp, struct vqueue **qp)
{
    for (unsigned i = 0; i < ndevs; i++)
        for (unsigned j = 0; j < devs[i].nq; j++)
            for (unsigned k = 0; k < VDEV_QUEUE_SIZE; k++)
                if (devs[i].q[j].req[k].w == w) {
                    *dp = &devs[i];
                    *qp = &devs[i].q[j];
                    return &devs[i].q[j].req[k];
                }
    return NULL;
}

static void req_submit(async_work *w)
{
    struct vdev *d;
    struct vqueue *vq;
    struct vreq *r = find_req(w, &d, &vq);
    virtq_buf b;

    if (!r)
        return;
    if (d->dead) {          /* it died since request(); fail_queue left us */
        async_complete(&kernel_rt, w, VDEV_EIO);
        return;
    }
    b.addr = r->addr;
    b.len = r->len;
    if (virtq_drv_add(&vq->q, &b, r->out ? 1 : 0, r->out ? 0 : 1, r) < 0) {
        async_complete(&kernel_rt, w, VDEV_EIO);
        return;
    }
    r->inflight = true;
    if (virtq_drv_kick_needed(&vq->q))
        virtio_drv_notify(&d->drv, (unsigned)(vq - d->q));
}

/* A buffer the device holds cannot be taken back: cancellation waits for
   the device to return it (the async contract allows that). */
static const async_ops req_ops = { req_submit, NULL };

static struct vdev *nth(uint32_t type, unsigned n)
{
    for (unsigned i = 0; i < ndevs; i++)
        if (devs[i].info.type == type && n-- == 0)
            return &devs[i];
    return NULL;
}

static bool request(uint32_t type, unsigned n, unsigned qi, async_work *w, uint64_t addr,
                    uint32_t len, bool out, async_done done, void *ctx)
{
    struct vdev *d = nth(type, n);
    struct vqueue *vq;

    /* w DEAD: its last request's callback has run, so no slot names it. */
    if (!d || d->dead || !len || async_state_of(w) != ASYNC_DEAD || qi >= d->nq)
        return false;
    vq = &d->q[qi];
    for (unsigned k = 0; k < VDEV_QUEUE_SIZE; k++) {
        struct vreq *r = &vq->req[k];

        if (r->w)
            continue;
        *r = (struct vreq){ w, done, ctx, addr, len, out, false };
        async_work_init(w, &req_ops, req_done, r);
        if (async_submit(&kernel_rt, w))
            return true;
        *r = (struct vreq){ 0 };
        w->done = done;
        w->ctx = ctx;
        return false;
    }
    return false;
}

bool vdev_rng_read(unsigned n, async_work *w, void *buf, uint32_t len, async_done done,
                   void *ctx)
{
    return request(VIRTIO_ID_ENTROPY, n, 0, w, (uint64_t)(uintptr_t)buf, len, false, done, ctx);
}

bool vdev_console_write(unsigned n, async_work *w, const void *buf, uint32_t len,
                        async_done done, void *ctx)
{
    return request(VIRTIO_ID_CONSOLE, n, 1, w, (uint64_t)(uintptr_t)buf, len, true, done, ctx);
}

bool vdev_console_read(unsigned n, async_work *w, void *buf, uint32_t len, async_done done,
                       void *ctx)
{
    return request(VIRTIO_ID_CONSOLE, n, 0, w, (uint64_t)(uintptr_t)buf, len, false, done, ctx);
}

bool vdev_console_emerg(unsigned n, uint8_t byte)
{
    struct vdev *d = nth(VIRTIO_ID_CONSOLE, n);

    if (!d || !d->emerg)
        return false;
    return virtio_drv_config_write(&d->drv, VIRTIO_CONSOLE_CFG_EMERG_WR, 4, byte);
}

unsigned vdev_count(uint32_t type)
{
    unsigned c = 0;

    for (unsigned i = 0; i < ndevs; i++)
        c += devs[i].info.type == type;
    return c;
}

bool vdev_info(uint32_t type, unsigned n, struct vdev_info *out)
{
    struct vdev *d = nth(type, n);

    if (!d)
        return false;
    *out = d->info;
    return true;
}

void vdev_stats(struct vdev_stats *out)
{
    *out = stats;
}

/* --- bring-up ---------------------------------------------------------- */

static uint16_t pow2_floor(uint16_t n)
{
    uint16_t p = 1;

    while (p <= n / 2)
        p = (uint16_t)(p * 2);
    return p;
}

/* Negotiate, set the queues up, hook the interrupt, go live. `vector` is
   the MSI-X vector every queue and configuration change uses, or
   VIRTIO_MSI_NO_VECTOR. */
static bool start(struct vdev *d, uint16_t vector)
{
    uint64_t want = 1ull << VIRTIO_F_EVENT_IDX;
    int r;

    if (d->info.type == VIRTIO_ID_CONSOLE)
        want |= 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE;
    d->nq = d->info.type == VIRTIO_ID_CONSOLE ? 2 : 1;
    if ((r = virtio_drv_negotiate(&d->drv, want)) < 0) {
        kprintf("virtio: feature negotiation failed (%d)\n", r);
        return false;
    }
    d->emerg = (d->drv.features >> VIRTIO_CONSOLE_F_EMERG_WRITE) & 1 &&
               d->info.type == VIRTIO_ID_CONSOLE;
    if (virtio_drv_config_vector(&d->drv, vector) < 0) {
        kprintf("virtio: the device took no MSI-X vector for its configuration\n");
        virtio_drv_fail(&d->drv);
        return false;
    }
    for (unsigned i = 0; i < d->nq; i++) {
        struct vqueue *vq = &d->q[i];
        uint16_t max = virtio_drv_queue_max(&d->drv, i), size;

        if (!max) {
            kprintf("virtio: the device has no queue %u\n", i);
            virtio_drv_fail(&d->drv);
            return false;
        }
        size = pow2_floor(max < VDEV_QUEUE_SIZE ? max : (uint16_t)VDEV_QUEUE_SIZE);
        virtq_drv_init(&vq->q, size, vq->desc, vq->avail, vq->used,
                       (d->drv.features >> VIRTIO_F_EVENT_IDX) & 1);
        r = virtio_drv_queue(&d->drv, i, size, (uint64_t)(uintptr_t)vq->desc,
                             (uint64_t)(uintptr_t)vq->avail, (uint64_t)(uintptr_t)vq->used, vector);
        if (r < 0) {
            kprintf("virtio: queue %u refused (%d)\n", i, r);
            virtio_drv_fail(&d->drv);
            return false;
        }
        vq->live = true;
    }
    if (!(irq_registered[d->info.irq / 32] & (1u << d->info.irq % 32))) {
        if (!kernel_irq_register(d->info.irq, on_irq, NULL)) {
            kprintf("virtio: cannot register irq %u\n", d->info.irq);
            virtio_drv_fail(&d->drv);
            return false;
        }
        irq_registered[d->info.irq / 32] |= 1u << d->info.irq % 32;
    }
    d->live = true;
    virtio_drv_ready(&d->drv);
    return true;
}

static void announce(const struct vdev *d)
{
    const char *what = d->info.type == VIRTIO_ID_ENTROPY ? "entropy" : "console";

    if (d->info.transport[0] == 'p')
        kprintf("virtio: %s device on pci %02x:%02x.%u, irq %u (%s)\n", what,
                (unsigned)PCI_BDF_BUS(d->info.where), (unsigned)PCI_BDF_DEV(d->info.where),
                (unsigned)PCI_BDF_FN(d->info.where), d->info.irq, d->info.irq_kind);
    else
        kprintf("virtio: %s device on mmio 0x%llx, irq %u\n", what,
                (unsigned long long)d->info.where, d->info.irq);
    if (d->info.type == VIRTIO_ID_ENTROPY)
        kprintf("VirtIO-RNG initialized successfully\n");
}

static bool wanted(uint32_t type)
{
    return type == VIRTIO_ID_ENTROPY || type == VIRTIO_ID_CONSOLE;
}

/* PCI: configuration reads of one function for hdr/virtio.h. */
struct cfg_ctx {
    const pci_drv *pci;
    uint32_t bdf;
};

static uint32_t cfg_read(void *ctx, uint16_t reg, unsigned width)
{
    const struct cfg_ctx *c = ctx;

    return c->pci->read(c->pci->ctx, c->bdf, reg, width);
}

static pci_drv pci;
static bool no_msi;
static uint32_t found_bdf[VDEV_MAX];
static unsigned nfound;

static void found(void *ctx, uint32_t bdf, uint16_t vendor, uint16_t device, uint8_t type)
{
    (void)ctx;
    (void)type;
    if (vendor == VIRTIO_PCI_VENDOR && device >= 0x1000 && device <= 0x107f && nfound < VDEV_MAX)
        found_bdf[nfound++] = bdf;
}

/* Where each memory BAR is and how long it is (0 and 0 for I/O and
   unassigned ones), sized by asking the function itself (pci_drv_bar_size
   turns decoding off meanwhile and puts the BAR back). Whatever the device
   says later about where its structures lie is checked against these: a
   device that lies must not point the driver past its own BARs, at
   another device or at RAM (book/security.md, the kernel's side). */
static void bar_windows(uint32_t bdf, uint64_t bar[6], uint64_t size[6])
{
    unsigned i;

    for (i = 0; i < 6; i++)
        bar[i] = size[i] = 0;
    for (i = 0; i < 6;) {
        uint64_t base, len;
        uint32_t flags;
        int n = pci_drv_bar_size(&pci, bdf, i, &base, &len, &flags);

        if (n <= 0) {
            i++;
            continue;
        }
        if (!(flags & PCI_BAR_IO) && base && len) {
            bar[i] = base;
            size[i] = len;
        }
        i += (unsigned)n;
    }
}

/* MSI-X with one vector for everything, if the arch and the device can;
   else the INTx line. */
static bool pci_irq(struct vdev *d, uint32_t bdf, const uint64_t bar[6], const uint64_t size[6],
                    uint16_t *vector)
{
    pci_drv_msix x;
    unsigned irq;
    uint64_t addr;
    uint32_t data;
    int line;

    /* Entry 0, the one written, must lie inside the table's BAR. */
    if (!no_msi && pci_drv_msix_find(&pci, bdf, &x) && x.table_bar < 6 && bar[x.table_bar] &&
        x.table_off <= size[x.table_bar] && size[x.table_bar] - x.table_off >= 16 &&
        platform_msi_alloc(&irq, &addr, &data)) {
        pci_drv_msix_entry((volatile void *)(uintptr_t)(bar[x.table_bar] + x.table_off), 0, addr,
                           data, false);
        pci_drv_msix_enable(&pci, bdf, &x, true);
        d->info.irq = irq;
        d->info.irq_kind = "msi-x";
        d->msix = true;
        *vector = 0;
        return true;
    }
    line = platform_pci_intx(&pci, bdf, pci.read(pci.ctx, bdf, PCI_INTERRUPT_PIN, 1));
    if (line < 0)
        return false;
    d->info.irq = (unsigned)line;
    d->info.irq_kind = "intx";
    *vector = VIRTIO_MSI_NO_VECTOR;
    return true;
}

static void probe_pci(void)
{
    if (!platform_pci(&pci))
        return;
    pci_drv_scan(&pci, found, NULL);
    for (unsigned i = 0; i < nfound && ndevs < VDEV_MAX; i++) {
        struct vdev *d = &devs[ndevs];
        struct cfg_ctx c = { &pci, found_bdf[i] };
        uint64_t bar[6], size[6];
        uint16_t vector;
        int r;

        bar_windows(found_bdf[i], bar, size);
        /* Firmware enables decoding but may leave bus mastering off
           (SeaBIOS does), and a function that may not master the bus
           can neither reach its rings nor send an MSI. */
        pci.write(pci.ctx, found_bdf[i], PCI_COMMAND, 2,
                  pci.read(pci.ctx, found_bdf[i], PCI_COMMAND, 2) | PCI_COMMAND_MEMORY |
                      PCI_COMMAND_MASTER);
        *d = (struct vdev){ 0 };
        d->drv.read = vdev_bus_read;
        d->drv.write = vdev_bus_write;
        if ((r = virtio_drv_pci(&d->drv, cfg_read, &c, bar, size)) < 0) {
            kprintf("virtio: pci %02x:%02x.%u not driven (%d)\n",
                    (unsigned)PCI_BDF_BUS(found_bdf[i]), (unsigned)PCI_BDF_DEV(found_bdf[i]),
                    (unsigned)PCI_BDF_FN(found_bdf[i]), r);
            continue;
        }
        if (!wanted(d->drv.device_id))
            continue;
        d->info.type = d->drv.device_id;
        d->info.transport = "pci";
        d->info.where = found_bdf[i];
        if (!pci_irq(d, found_bdf[i], bar, size, &vector)) {
            kprintf("virtio: pci %02x:%02x.%u has no interrupt the kernel can route\n",
                    (unsigned)PCI_BDF_BUS(found_bdf[i]), (unsigned)PCI_BDF_DEV(found_bdf[i]),
                    (unsigned)PCI_BDF_FN(found_bdf[i]));
            continue;
        }
        ndevs++;            /* on_irq may look it up from here on */
        if (!start(d, vector)) {
            ndevs--;
            continue;
        }
        announce(d);
    }
}

static void probe_mmio(void)
{
    static struct platform_mmio win[32];
    unsigned n = platform_virtio_mmio(win, 32);

    for (unsigned i = 0; i < n && ndevs < VDEV_MAX; i++) {
        struct vdev *d = &devs[ndevs];
        int r;

        *d = (struct vdev){ 0 };
        d->drv.read = vdev_bus_read;
        d->drv.write = vdev_bus_write;
        r = virtio_drv_mmio(&d->drv, win[i].base);
        if (r == VIRTIO_DRV_ELEGACY)
            kprintf("virtio: mmio 0x%llx is a legacy (version 1) device: not driven\n",
                    (unsigned long long)win[i].base);
        if (r < 0 || !wanted(d->drv.device_id))
            continue;
        d->info.type = d->drv.device_id;
        d->info.transport = "mmio";
        d->info.where = win[i].base;
        d->info.irq = win[i].irq;
        d->info.irq_kind = "mmio";
        ndevs++;
        if (!start(d, VIRTIO_MSI_NO_VECTOR)) {
            ndevs--;
            continue;
        }
        announce(d);
    }
}

unsigned vdev_probe(const struct boot_info *bi)
{
    no_msi = kernel_cmdline_has(bi->cmdline, "pci=nomsi");
    probe_pci();
    probe_mmio();
    kprintf("virtio: %u device%s live\n", ndevs, ndevs == 1 ? "" : "s");
    return ndevs;
}
