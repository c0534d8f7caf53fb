/* virtio_drv_test.c - hdr/virtio.h's driver side (the transports and the
   virtqueue) run against its device model, end to end on the host, over
   both transports:
     - virtio-mmio and virtio-pci (capabilities from virtio_model_pci_cap()
       in a real pci.h function): probe, negotiate, set up queues, go live;
       entropy requests filled, console output taken, console input given,
       the emergency write, the configuration read;
     - a driver that asks for a feature the device lacks gets it refused;
     - a deliberately broken device, made by rewriting the used entries the
       model writes into guest RAM: a used length larger than the buffer is
       clamped and counted, an id out of range or not in flight breaks the
       queue, and the driver hands nothing wrong back (ASan watches);
     - a hostile transport: a capability list that loops, a notify offset
       beyond its structure, a status that never reads back 0 after reset. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCI_IMPLEMENTATION
#include "pci.h"
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"

/* --- guest RAM ---------------------------------------------------------- */

#define RAM_SIZE (1u << 20)
static uint8_t ram[RAM_SIZE];

/* The broken device: what to do to the next used entry the model writes. */
enum lie { HONEST, LONG_LEN, BAD_ID, FREE_ID };
static enum lie lie;
static uint64_t used_gpa[2]; /* the used rings, to recognise their entries */
static uint16_t used_size[2];

static bool in_ram(uint64_t gpa, uint64_t n)
{
    return gpa <= RAM_SIZE && n <= RAM_SIZE - gpa;
}

static bool ram_read(void *ctx, uint64_t gpa, void *dst, size_t n)
{
    (void)ctx;
    if (!in_ram(gpa, n))
        return false;
    memcpy(dst, ram + gpa, n);
    return true;
}

static bool ram_write(void *ctx, uint64_t gpa, const void *src, size_t n)
{
    (void)ctx;
    if (!in_ram(gpa, n))
        return false;
    memcpy(ram + gpa, src, n);
    /* A used element {id, len} is an 8-byte write into a used ring's
       ring[]: the broken device rewrites it. */
    for (unsigned q = 0; q < 2 && lie != HONEST; q++) {
        uint64_t ring = used_gpa[q] + 4;

        if (used_size[q] && n == 8 && gpa >= ring && gpa < ring + 8u * used_size[q]) {
            uint32_t id, len;

            memcpy(&id, ram + gpa, 4);
            memcpy(&len, ram + gpa + 4, 4);
            if (lie == LONG_LEN)
                len += 1000;
            else if (lie == BAD_ID)
                id = 0x7fff;            /* beyond any queue here */
            else if (lie == FREE_ID)
                id = (id + 1) % used_size[q]; /* a descriptor not in flight */
            memcpy(ram + gpa, &id, 4);
            memcpy(ram + gpa + 4, &len, 4);
        }
    }
    return true;
}

static bool ram_check(void *ctx, uint64_t gpa, uint64_t n)
{
    (void)ctx;
    return in_ram(gpa, n);
}

/* --- the device and its host side --------------------------------------- */

static virtio_model dev;
static uint8_t tx_seen[256];
static size_t tx_len;
static unsigned irqs;
static bool line;

static size_t entropy(void *ctx, void *buf, size_t n)
{
    static uint32_t x = 12345;
    uint8_t *b = buf;

    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(x >> 16);
    }
    return n;
}

static size_t console_tx(void *ctx, const void *buf, size_t n)
{
    (void)ctx;
    if (n > sizeof tx_seen - tx_len)
        n = sizeof tx_seen - tx_len;
    memcpy(tx_seen + tx_len, buf, n);
    tx_len += n;
    return n;
}

static void on_irq(void *ctx, bool level)
{
    (void)ctx;
    irqs += level && !line;
    line = level;
}

/* Where the transports sit in the "CPU's" address space. */
#define MMIO_BASE 0x10000000u
#define BAR_BASE  0x20000000u

static uint32_t bus_read(void *ctx, uint64_t addr, unsigned width)
{
    (void)ctx;
    if (addr >= MMIO_BASE && addr < MMIO_BASE + VIRTIO_MMIO_SIZE)
        return (uint32_t)virtio_model_read(&dev, addr - MMIO_BASE, width);
    if (addr >= BAR_BASE && addr < BAR_BASE + VIRTIO_PCI_BAR_SIZE)
        return (uint32_t)virtio_model_read(&dev, addr - BAR_BASE, width);
    CHECK(!"a register read outside the device");
    return 0xffffffffu;
}

static unsigned stray_writes;

static void bus_write(void *ctx, uint64_t addr, unsigned width, uint32_t v)
{
    (void)ctx;
    if (addr >= MMIO_BASE && addr < MMIO_BASE + VIRTIO_MMIO_SIZE)
        virtio_model_write(&dev, addr - MMIO_BASE, width, v);
    else if (addr >= BAR_BASE && addr < BAR_BASE + VIRTIO_PCI_BAR_SIZE)
        virtio_model_write(&dev, addr - BAR_BASE, width, v);
    else
        stray_writes++;
}

static void make_device(unsigned transport, unsigned type)
{
    virtio_model_hooks h = { 0 };

    h.irq = on_irq;
    h.entropy = entropy;
    h.console_tx = console_tx;
    virtio_model_init(&dev, &h);
    dev.cfg.transport = transport;
    dev.cfg.device = type;
    dev.cfg.mem.read = ram_read;
    dev.cfg.mem.write = ram_write;
    dev.cfg.mem.check = ram_check;
    virtio_model_reset(&dev);
    memset(ram, 0, sizeof ram);
    tx_len = 0;
    irqs = 0;
    line = false;
    lie = HONEST;
    used_size[0] = used_size[1] = 0;
}

/* --- PCI configuration space: a pci.h function with the model's caps ---- */

static pci_function fn;

static void make_function(void)
{
    static const unsigned types[] = { VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_NOTIFY_CFG,
                                      VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_DEVICE_CFG,
                                      VIRTIO_PCI_CAP_PCI_CFG };

    pci_function_init(&fn, VIRTIO_PCI_VENDOR, (uint16_t)VIRTIO_PCI_DEVICE_ID(dev.cfg.device),
                      VIRTIO_PCI_CLASS(dev.cfg.device), VIRTIO_PCI_REVISION);
    CHECK(pci_function_bar(&fn, 0, VIRTIO_PCI_BAR_TOTAL, 0) == 0);
    fn.config[PCI_BAR0] = (uint8_t)BAR_BASE;
    fn.config[PCI_BAR0 + 3] = (uint8_t)(BAR_BASE >> 24);
    for (unsigned i = 0; i < 5; i++) {
        uint8_t cap[VIRTIO_PCI_CAP_MAX];
        unsigned len = virtio_model_pci_cap(&dev, types[i], cap);
        uint8_t at;

        if (!len)
            continue;
        at = pci_function_add_cap(&fn, VIRTIO_PCI_CAP_VNDR, len);
        CHECK(at != 0);
        memcpy(&fn.config[at + 2], &cap[2], len - 2);
    }
}

static uint32_t cfg_read(void *ctx, uint16_t reg, unsigned width)
{
    const uint8_t *space = ctx;
    uint32_t v = 0;

    for (unsigned i = 0; i < width; i++)
        v |= (uint32_t)space[(reg + i) & 0xff] << (8 * i);
    return v;
}

/* --- a driver over either transport ------------------------------------- */

/* The guest's memory plan: queue q's areas at 0x1000 * (1 + 3q) ...;
   buffers from 0x10000. */
static virtq_drv vq[2];

static int bring_up(virtio_drv *d, unsigned transport, uint64_t want, unsigned nq)
{
    int r;

    memset(d, 0, sizeof *d);
    d->read = bus_read;
    d->write = bus_write;
    if (transport == VIRTIO_TRANSPORT_MMIO) {
        r = virtio_drv_mmio(d, MMIO_BASE);
    } else {
        uint64_t bar[6] = { BAR_BASE, 0, 0, 0, 0, 0 };
        uint64_t size[6] = { VIRTIO_PCI_BAR_SIZE, 0, 0, 0, 0, 0 };

        make_function();
        r = virtio_drv_pci(d, cfg_read, fn.config, bar, size);
    }
    if (r < 0)
        return r;
    if ((r = virtio_drv_negotiate(d, want)) < 0)
        return r;
    for (unsigned q = 0; q < nq; q++) {
        uint64_t base = 0x1000u * (1 + 3 * q);
        uint16_t size = virtio_drv_queue_max(d, q);

        if (size > 8)
            size = 8;
        CHECK(virtq_drv_init(&vq[q], size, ram + base, ram + base + 0x1000, ram + base + 0x2000,
                             (d->features >> VIRTIO_F_EVENT_IDX) & 1) == 0);
        used_gpa[q] = base + 0x2000;
        used_size[q] = size;
        if ((r = virtio_drv_queue(d, q, size, base, base + 0x1000, base + 0x2000,
                                  VIRTIO_MSI_NO_VECTOR)) < 0)
            return r;
    }
    virtio_drv_ready(d);
    return 0;
}

/* One buffer through queue q: readable (out) or writable; returns the
   token the driver gave back and the length. */
static void *one(virtio_drv *d, unsigned q, uint64_t gpa, uint32_t len, bool out, uint32_t *got)
{
    virtq_buf b = { gpa, len };
    static int token;

    CHECK(virtq_drv_add(&vq[q], &b, out, !out, &token) == 0);
    if (virtq_drv_kick_needed(&vq[q]))
        virtio_drv_notify(d, q);
    return virtq_drv_get_used(&vq[q], got);
}

static void run_rng(unsigned transport)
{
    virtio_drv d;
    uint32_t got = 0;
    bool nonzero = false;

    make_device(transport, VIRTIO_ID_ENTROPY);
    CHECK(bring_up(&d, transport, 1ull << VIRTIO_F_EVENT_IDX, 1) == 0);
    CHECK(d.device_id == VIRTIO_ID_ENTROPY);
    CHECK(d.features & (1ull << VIRTIO_F_VERSION_1));
    CHECK(d.features & (1ull << VIRTIO_F_EVENT_IDX));
    CHECK(virtio_drv_status(&d) == (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK));
    for (unsigned round = 0; round < 20; round++) {   /* past the index wrap of 8 */
        CHECK(one(&d, 0, 0x10000, 64, false, &got) != NULL);
        CHECK(got == 64);
    }
    for (unsigned i = 0; i < 64; i++)
        nonzero |= ram[0x10000 + i] != 0;
    CHECK(nonzero);
    CHECK(irqs > 0);
    CHECK(virtio_drv_interrupt(&d) & VIRTIO_INT_USED);
    CHECK(!line);                            /* acknowledged: the line dropped */
    CHECK(stray_writes == 0);
}

static void run_console(unsigned transport)
{
    static const char msg[] = "hello, console";
    virtio_drv d;
    uint32_t got = 0, max_ports = 0;

    make_device(transport, VIRTIO_ID_CONSOLE);
    CHECK(bring_up(&d, transport, 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE, 2) == 0);
    CHECK(d.features & (1ull << VIRTIO_CONSOLE_F_EMERG_WRITE));
    CHECK(!(d.features & (1ull << VIRTIO_CONSOLE_F_MULTIPORT)));
    CHECK(virtio_drv_config_read(&d, VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, &max_ports, 4));
    CHECK(max_ports == 1);
    if (transport == VIRTIO_TRANSPORT_PCI) {  /* past the structure's end is refused */
        CHECK(d.config_len == VIRTIO_CONSOLE_CFG_LEN);
        CHECK(!virtio_drv_config_read(&d, VIRTIO_CONSOLE_CFG_LEN - 2, &max_ports, 4));
    } else {                                  /* MMIO: the window's config space */
        CHECK(d.config_len == VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG);
        CHECK(!virtio_drv_config_read(&d, d.config_len - 2, &max_ports, 4));
    }
    memcpy(ram + 0x10000, msg, sizeof msg - 1);
    CHECK(one(&d, 1, 0x10000, sizeof msg - 1, true, &got) != NULL);
    CHECK(tx_len == sizeof msg - 1 && memcmp(tx_seen, msg, tx_len) == 0);
    /* input: nothing posted yet, then a buffer takes it */
    {
        virtq_buf b = { 0x11000, 32 };
        static int token;
        void *t;

        CHECK(virtq_drv_add(&vq[0], &b, 0, 1, &token) == 0);
        if (virtq_drv_kick_needed(&vq[0]))
            virtio_drv_notify(&d, 0);
        CHECK(virtio_model_console_rx(&dev, "typed", 5) == 5);
        t = virtq_drv_get_used(&vq[0], &got);
        CHECK(t == &token && got == 5 && memcmp(ram + 0x11000, "typed", 5) == 0);
    }
    CHECK(virtio_drv_config_write(&d, VIRTIO_CONSOLE_CFG_EMERG_WR, 4, '!'));
    CHECK(tx_len == sizeof msg && tx_seen[tx_len - 1] == '!');
    CHECK(stray_writes == 0);
}

/* A feature the device does not offer is not accepted; one it requires
   (VERSION_1) is always asked for. */
static void run_negotiation(unsigned transport)
{
    virtio_drv d;

    make_device(transport, VIRTIO_ID_ENTROPY);
    CHECK(bring_up(&d, transport, 1ull << VIRTIO_F_RING_PACKED, 1) == 0);
    CHECK(!(d.features & (1ull << VIRTIO_F_RING_PACKED)));
    CHECK(d.features == (1ull << VIRTIO_F_VERSION_1));
    /* A queue the device has not */
    CHECK(virtio_drv_queue_max(&d, 1) == 0);
}

/* The broken device: its used entries lie. */
static void run_broken(unsigned transport)
{
    virtio_drv d;
    uint32_t got = 0;
    void *t;

    make_device(transport, VIRTIO_ID_ENTROPY);
    CHECK(bring_up(&d, transport, 0, 1) == 0);
    lie = LONG_LEN;
    t = one(&d, 0, 0x10000, 16, false, &got);
    CHECK(t != NULL);
    CHECK(got == 16);                        /* clamped to the buffer */
    CHECK(vq[0].bad_len == 1);
    CHECK(!vq[0].broken);

    lie = BAD_ID;
    t = one(&d, 0, 0x10000, 16, false, &got);
    CHECK(t == NULL);
    CHECK(vq[0].broken);
    CHECK(virtq_drv_get_used(&vq[0], &got) == NULL);
    {
        virtq_buf b = { 0x10000, 16 };
        static int token;

        CHECK(virtq_drv_add(&vq[0], &b, 0, 1, &token) == VIRTQ_E_BROKEN);
    }

    make_device(transport, VIRTIO_ID_ENTROPY);
    CHECK(bring_up(&d, transport, 0, 1) == 0);
    lie = FREE_ID;
    t = one(&d, 0, 0x10000, 16, false, &got);
    CHECK(t == NULL);
    CHECK(vq[0].broken);
}

/* A hostile transport. */
static uint8_t status_stuck;

static uint32_t stuck_read(void *ctx, uint64_t addr, unsigned width)
{
    (void)ctx;
    (void)width;
    if (addr == MMIO_BASE + VIRTIO_MMIO_MAGIC_VALUE)
        return VIRTIO_MMIO_MAGIC;
    if (addr == MMIO_BASE + VIRTIO_MMIO_VERSION)
        return VIRTIO_MMIO_V2;
    if (addr == MMIO_BASE + VIRTIO_MMIO_DEVICE_ID)
        return VIRTIO_ID_ENTROPY;
    if (addr == MMIO_BASE + VIRTIO_MMIO_STATUS)
        return status_stuck;
    return 0;
}

static void stuck_write(void *ctx, uint64_t addr, unsigned width, uint32_t v)
{
    (void)ctx;
    (void)addr;
    (void)width;
    (void)v;
}

static void run_hostile(void)
{
    virtio_drv d;
    uint64_t bar[6] = { BAR_BASE, 0, 0, 0, 0, 0 };
    uint64_t size[6] = { VIRTIO_PCI_BAR_SIZE, 0, 0, 0, 0, 0 };
    uint8_t space[256];

    /* Reset never completes: a bounded wait, then an error. */
    memset(&d, 0, sizeof d);
    d.read = stuck_read;
    d.write = stuck_write;
    status_stuck = VIRTIO_STATUS_ACKNOWLEDGE;
    CHECK(virtio_drv_mmio(&d, MMIO_BASE) == 0);
    CHECK(virtio_drv_negotiate(&d, 0) == VIRTIO_DRV_ERESET);

    /* An empty slot (device ID 0) is no device, whatever its version says. */
    status_stuck = 0;
    make_device(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_ENTROPY);
    dev.cfg.device = 0;
    memset(&d, 0, sizeof d);
    d.read = bus_read;
    d.write = bus_write;
    CHECK(virtio_drv_mmio(&d, MMIO_BASE) == VIRTIO_DRV_ENODEV);

    /* A capability list that loops on itself: the walk ends. */
    make_device(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_ENTROPY);
    make_function();
    memcpy(space, fn.config, sizeof space);
    space[0x40 + 1] = 0x40;                   /* the first capability points at itself */
    memset(&d, 0, sizeof d);
    d.read = bus_read;
    d.write = bus_write;
    CHECK(virtio_drv_pci(&d, cfg_read, space, bar, size) == VIRTIO_DRV_ECAP);

    /* A BAR that is not assigned: its capabilities are skipped. */
    memcpy(space, fn.config, sizeof space);
    {
        uint64_t none[6] = { 0, 0, 0, 0, 0, 0 };

        CHECK(virtio_drv_pci(&d, cfg_read, space, none, none) == VIRTIO_DRV_ECAP);
    }

    /* A notify offset past the notify structure: the queue is refused
       rather than the driver writing wherever the device says. The
       console's transmitq notifies at 1 * multiplier; shrink the structure
       the driver believes in below that. */
    make_device(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_CONSOLE);
    make_function();
    memset(&d, 0, sizeof d);
    d.read = bus_read;
    d.write = bus_write;
    CHECK(virtio_drv_pci(&d, cfg_read, fn.config, bar, size) == 0);
    CHECK(d.notify_mult == VIRTIO_PCI_NOTIFY_MULTIPLIER);
    CHECK(virtio_drv_negotiate(&d, 0) == 0);
    d.notify_len = VIRTIO_PCI_NOTIFY_MULTIPLIER + 1;   /* queue 1's 2 bytes do not fit */
    CHECK(virtio_drv_queue(&d, 0, 8, 0x1000, 0x2000, 0x3000, VIRTIO_MSI_NO_VECTOR) == 0);
    CHECK(virtio_drv_queue(&d, 1, 8, 0x4000, 0x5000, 0x6000, VIRTIO_MSI_NO_VECTOR) ==
          VIRTIO_DRV_EQUEUE);
    CHECK(d.notify_at[0] == d.notify && d.notify_at[1] == 0);
    /* A queue already enabled is not set up twice. */
    CHECK(virtio_drv_queue(&d, 0, 8, 0x1000, 0x2000, 0x3000, VIRTIO_MSI_NO_VECTOR) ==
          VIRTIO_DRV_EQUEUE);
    CHECK(stray_writes == 0);
    /* Wrong vendor: not ours. */
    memcpy(space, fn.config, sizeof space);
    space[0] = 0x86;
    space[1] = 0x80;
    CHECK(virtio_drv_pci(&d, cfg_read, space, bar, size) == VIRTIO_DRV_ENODEV);

    /* A capability that says its structure lies past the end of its BAR
       (or wraps): skipped, so the driver never reaches outside the BAR
       the device itself sized; without another common configuration
       the device is not driven. Each of the four placements in turn. */
    {
        static const uint32_t offs[][2] = {
            { VIRTIO_PCI_BAR_SIZE - 0x10, 0x38 },       /* runs past the end */
            { VIRTIO_PCI_BAR_SIZE, 0x38 },              /* starts at the end */
            { 0xffffffffu, 0x38 },                      /* would wrap a 32-bit sum */
            { 0, 0xffffffffu },                         /* a length past the BAR */
        };
        uint64_t big[6] = { BAR_BASE, 0, 0, 0, 0, 0 };

        make_device(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_ENTROPY);
        make_function();
        for (unsigned k = 0; k < sizeof offs / sizeof offs[0]; k++) {
            unsigned at = fn.config[0x34], steps = 0, hit = 0;

            memcpy(space, fn.config, sizeof space);
            while (at >= 0x40 && steps++ < 48) {
                if (space[at] == 0x09 && space[at + 3] == VIRTIO_PCI_CAP_COMMON_CFG) {
                    for (unsigned j = 0; j < 4; j++) {
                        space[at + 8 + j] = (uint8_t)(offs[k][0] >> (8 * j));
                        space[at + 12 + j] = (uint8_t)(offs[k][1] >> (8 * j));
                    }
                    hit = 1;
                }
                at = space[at + 1];
            }
            CHECK(hit);
            memset(&d, 0, sizeof d);
            d.read = bus_read;
            d.write = bus_write;
            CHECK(virtio_drv_pci(&d, cfg_read, space, bar, size) == VIRTIO_DRV_ECAP);
        }
        /* A BAR whose end would pass 2^64: nothing in it is taken. */
        big[0] = UINT64_MAX - 0xfff;
        memcpy(space, fn.config, sizeof space);
        memset(&d, 0, sizeof d);
        d.read = bus_read;
        d.write = bus_write;
        CHECK(virtio_drv_pci(&d, cfg_read, space, big, size) == VIRTIO_DRV_ECAP);
    }
}

TEST(rng) { run_rng(VIRTIO_TRANSPORT_MMIO); run_rng(VIRTIO_TRANSPORT_PCI); }
TEST(console) { run_console(VIRTIO_TRANSPORT_MMIO); run_console(VIRTIO_TRANSPORT_PCI); }
TEST(negotiation)
{
    run_negotiation(VIRTIO_TRANSPORT_MMIO);
    run_negotiation(VIRTIO_TRANSPORT_PCI);
}
TEST(broken_device) { run_broken(VIRTIO_TRANSPORT_MMIO); run_broken(VIRTIO_TRANSPORT_PCI); }
TEST(hostile_transport) { run_hostile(); }

CHECK_MAIN(TEST_ENTRY(rng), TEST_ENTRY(console), TEST_ENTRY(negotiation),
           TEST_ENTRY(broken_device), TEST_ENTRY(hostile_transport))
