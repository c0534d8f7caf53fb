/* virtio_dev_test.c - tests of hdr/virtio.h's device model: an entropy
   device and a console, over virtio-mmio and virtio-pci, driven by a guest
   that is virtq_drv_* of the same header over a fake guest RAM.

   The values checked are the spec's (virtio 1.2): MagicValue 0x74726976,
   Version 2, the device IDs 3 and 4, the PCI IDs 0x1043/0x1044, the
   feature words, the common configuration's offsets, the capability bytes.
   Each rule of the status machine is broken once: FEATURES_OK with a
   feature never offered, without VERSION_1, with a bit in word 2; status
   writes that clear a bit, skip a step, set a reserved bit; queue setup
   before FEATURES_OK, after DRIVER_OK, on an enabled queue, with sizes
   that are no power of two or too large; a selector of 0xffff(ffff); a
   notify too early, for no queue, after FAILED; a reset in the middle of
   requests, then a fresh start. End to end: rng requests filled and
   capped, waiting for entropy and resumed; console output with
   backpressure and resume, over the budget, with writable buffers in it;
   console input split over buffers and the room hook; emergency writes
   before any initialisation; MSI-X against INTx; the configuration
   generation; a malformed ring giving DEVICE_NEEDS_RESET and a
   configuration interrupt, and a reset that recovers; the PCI_CFG window;
   save and restore, and restores refused; and a random guest.

   Build: gcc -std=c11 -Ihdr -fsanitize=address,undefined virtio_dev_test.c */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static unsigned long asserts;
#define VIRTIO_ASSERT(c) (asserts++, assert(c))
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"

#include "check.h"

/* ---- fake guest RAM ---------------------------------------------------- */

#define RAM_SIZE 0x200000u /* 2 MiB of guest RAM at gpa 0 */

static uint64_t ram64[RAM_SIZE / 8];
static uint8_t *const ram = (uint8_t *)ram64;
static unsigned long refused;

static bool in_ram(uint64_t gpa, uint64_t n)
{
    return gpa <= RAM_SIZE && n <= RAM_SIZE - gpa;
}

static bool ram_read(void *ctx, uint64_t gpa, void *dst, size_t n)
{
    (void)ctx;
    if (!in_ram(gpa, n)) {
        refused++;
        return false;
    }
    memcpy(dst, ram + gpa, n);
    return true;
}

static bool ram_write(void *ctx, uint64_t gpa, const void *src, size_t n)
{
    (void)ctx;
    if (!in_ram(gpa, n)) {
        refused++;
        return false;
    }
    memcpy(ram + gpa, src, n);
    return true;
}

static bool ram_check(void *ctx, uint64_t gpa, uint64_t n)
{
    (void)ctx;
    return in_ram(gpa, n);
}

static const virtio_mem mem = { NULL, ram_read, ram_write, ram_check };

/* ---- the board's side: hooks that record ------------------------------- */

static struct {
    bool line;           /* the irq line as the hook last heard it */
    unsigned irq_calls;  /* calls of the irq hook */
    unsigned rises;      /* times it went up */
    bool msix_on;        /* MSI-X enabled on the function */
    unsigned msis;       /* vectors signalled */
    uint16_t last_vector;
    size_t entropy_left; /* bytes the host's source has now */
    uint8_t entropy_seq; /* the next random byte (a pattern we can check) */
    size_t tx_room;      /* bytes the host output takes before it is full */
    size_t tx_per_call;  /* at most this many a call (0: any) */
    uint8_t out[1 << 20];
    size_t out_len;
    unsigned rx_room;    /* console_rx_room calls */
    unsigned wakes;      /* wake calls */
} hk;

static void h_irq(void *ctx, bool level)
{
    (void)ctx;
    hk.irq_calls++;
    hk.rises += level && !hk.line;
    hk.line = level;
}

static bool h_msix(void *ctx, uint16_t vector)
{
    (void)ctx;
    if (!hk.msix_on)
        return false;
    if (vector != VIRTIO_MSI_NO_VECTOR) {
        hk.msis++;
        hk.last_vector = vector;
    }
    return true;
}

static size_t h_entropy(void *ctx, void *buf, size_t n)
{
    (void)ctx;
    if (n > hk.entropy_left)
        n = hk.entropy_left;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = hk.entropy_seq++;
    hk.entropy_left -= n;
    return n;
}

static size_t h_tx(void *ctx, const void *buf, size_t n)
{
    (void)ctx;
    if (hk.tx_per_call && n > hk.tx_per_call)
        n = hk.tx_per_call;
    if (n > hk.tx_room)
        n = hk.tx_room;
    if (n > sizeof hk.out - hk.out_len)
        n = sizeof hk.out - hk.out_len;
    memcpy(hk.out + hk.out_len, buf, n);
    hk.out_len += n;
    hk.tx_room -= n;
    return n;
}

static void h_rx_room(void *ctx)
{
    (void)ctx;
    hk.rx_room++;
}

static void h_wake(void *ctx)
{
    (void)ctx;
    hk.wakes++;
}

static const virtio_model_hooks hooks = { h_irq, h_msix, h_entropy, h_tx, h_rx_room, h_wake,
                                          NULL };

static virtio_model dev;

/* A fresh board: RAM zero, the hooks quiet, and a device of this kind. */
static void board(unsigned transport, unsigned device)
{
    memset(ram64, 0, sizeof ram64);
    memset(&hk, 0, sizeof hk);
    hk.entropy_left = SIZE_MAX;
    hk.tx_room = SIZE_MAX;
    refused = 0;
    virtio_model_init(&dev, &hooks);
    dev.cfg.transport = transport;
    dev.cfg.device = device;
    dev.cfg.mem = mem;
    if (transport == VIRTIO_TRANSPORT_PCI)
        dev.cfg.msix_vectors = 3;
}

/* ---- the guest's side: a driver through either transport --------------- */

static uint64_t rd(uint64_t off, unsigned w)
{
    return virtio_model_read(&dev, off, w);
}

static void wr(uint64_t off, unsigned w, uint64_t v)
{
    virtio_model_write(&dev, off, w, v);
}

static bool pci(void)
{
    return dev.cfg.transport == VIRTIO_TRANSPORT_PCI;
}

static uint8_t status(void)
{
    return (uint8_t)(pci() ? rd(VIRTIO_PCI_DEVICE_STATUS, 1) : rd(VIRTIO_MMIO_STATUS, 4));
}

static void set_status(uint8_t v)
{
    if (pci())
        wr(VIRTIO_PCI_DEVICE_STATUS, 1, v);
    else
        wr(VIRTIO_MMIO_STATUS, 4, v);
}

static uint64_t offered(void)
{
    uint64_t f = 0;

    for (uint32_t sel = 0; sel < 2; sel++) {
        if (pci()) {
            wr(VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, sel);
            f |= rd(VIRTIO_PCI_DEVICE_FEATURE, 4) << (32 * sel);
        } else {
            wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, sel);
            f |= rd(VIRTIO_MMIO_DEVICE_FEATURES, 4) << (32 * sel);
        }
    }
    return f;
}

static void accept(uint64_t f)
{
    for (uint32_t sel = 0; sel < 2; sel++) {
        if (pci()) {
            wr(VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, sel);
            wr(VIRTIO_PCI_DRIVER_FEATURE, 4, (uint32_t)(f >> (32 * sel)));
        } else {
            wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, sel);
            wr(VIRTIO_MMIO_DRIVER_FEATURES, 4, (uint32_t)(f >> (32 * sel)));
        }
    }
}

static void select_queue(uint32_t i)
{
    if (pci())
        wr(VIRTIO_PCI_QUEUE_SELECT, 2, i);
    else
        wr(VIRTIO_MMIO_QUEUE_SEL, 4, i);
}

static uint64_t queue_ready(void)
{
    return pci() ? rd(VIRTIO_PCI_QUEUE_ENABLE, 2) : rd(VIRTIO_MMIO_QUEUE_READY, 4);
}

/* Where queue i lives in guest RAM, and its driver. */
#define QBASE(i) (0x10000u * ((i) + 1))
#define DESC(i)  (QBASE(i))
#define AVAIL(i) (QBASE(i) + 0x1000u)
#define USED(i)  (QBASE(i) + 0x2000u)
#define BUF      0x100000u /* buffers from here */

static virtq_drv drv[2];

static void setup_queue(uint32_t i, uint16_t size, uint16_t vector)
{
    select_queue(i);
    if (pci()) {
        wr(VIRTIO_PCI_QUEUE_SIZE, 2, size);
        wr(VIRTIO_PCI_QUEUE_DESC, 4, DESC(i));
        wr(VIRTIO_PCI_QUEUE_DESC + 4, 4, 0);
        wr(VIRTIO_PCI_QUEUE_DRIVER, 8, AVAIL(i));
        wr(VIRTIO_PCI_QUEUE_DEVICE, 4, USED(i));
        wr(VIRTIO_PCI_QUEUE_DEVICE + 4, 4, 0);
        wr(VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2, vector);
        wr(VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
    } else {
        wr(VIRTIO_MMIO_QUEUE_NUM, 4, size);
        wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 4, DESC(i));
        wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 4, 0);
        wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, 4, AVAIL(i));
        wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 4, 0);
        wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, 4, USED(i));
        wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 4, 0);
        wr(VIRTIO_MMIO_QUEUE_READY, 4, 1);
    }
}

/* Section 3.1.1, the driver's initialisation, in its order. Returns
   whether FEATURES_OK stuck (and then the device is live). */
static bool guest_init(uint64_t features, uint16_t qsize, uint16_t vector)
{
    unsigned nq = dev.cfg.device == VIRTIO_ID_CONSOLE ? 2 : 1;

    set_status(0);
    set_status(VIRTIO_STATUS_ACKNOWLEDGE);
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    accept(features & offered());
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    if (!(status() & VIRTIO_STATUS_FEATURES_OK))
        return false;
    if (pci())
        wr(VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2, vector);
    for (unsigned i = 0; i < nq; i++) {
        virtq_drv_init(&drv[i], qsize, ram + DESC(i), ram + AVAIL(i), ram + USED(i),
                       (features >> VIRTIO_F_EVENT_IDX) & 1);
        setup_queue(i, qsize, vector == VIRTIO_MSI_NO_VECTOR ? vector : (uint16_t)(vector + 1 + i));
    }
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
               VIRTIO_STATUS_DRIVER_OK);
    return true;
}

static const uint64_t V1 = 1ull << VIRTIO_F_VERSION_1;
static const uint64_t EVIDX = 1ull << VIRTIO_F_EVENT_IDX;

static void notify(uint32_t i)
{
    if (pci())
        wr(VIRTIO_PCI_NOTIFY_OFFSET + VIRTIO_PCI_NOTIFY_MULTIPLIER * i, 2, i);
    else
        wr(VIRTIO_MMIO_QUEUE_NOTIFY, 4, i);
}

/* The guest's interrupt handler: which causes (and the line after). */
static uint64_t take_interrupt(void)
{
    uint64_t v;

    if (pci())
        return rd(VIRTIO_PCI_ISR_OFFSET, 1);
    v = rd(VIRTIO_MMIO_INTERRUPT_STATUS, 4);
    wr(VIRTIO_MMIO_INTERRUPT_ACK, 4, v);
    return v;
}

/* One writable buffer of `len` at `gpa`, kicked if the driver must. */
static void post_in(uint32_t q, uint64_t gpa, uint32_t len, void *token)
{
    virtq_buf b = { gpa, len };

    CHECK_EQ(virtq_drv_add(&drv[q], &b, 0, 1, token), 0);
    if (virtq_drv_kick_needed(&drv[q]))
        notify(q);
}

static void post_out(uint32_t q, uint64_t gpa, uint32_t len, void *token)
{
    virtq_buf b = { gpa, len };

    CHECK_EQ(virtq_drv_add(&drv[q], &b, 1, 0, token), 0);
    if (virtq_drv_kick_needed(&drv[q]))
        notify(q);
}

static int tok[64]; /* tokens: &tok[i] */

/* ---- registers against the spec ---------------------------------------- */

TEST(mmio_registers)
{
    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_ENTROPY);
    CHECK_EQ(rd(0x000, 4), 0x74726976);       /* "virt" */
    CHECK_EQ(rd(0x004, 4), 2);                /* not legacy */
    CHECK_EQ(rd(0x008, 4), 4);                /* entropy device */
    CHECK_EQ(rd(0x00c, 4), VIRTIO_MMIO_VENDOR);
    wr(0x014, 4, 0);
    CHECK_EQ(rd(0x010, 4), 0x30000000);       /* INDIRECT_DESC (28), EVENT_IDX (29) */
    wr(0x014, 4, 1);
    CHECK_EQ(rd(0x010, 4), 0x1);              /* VERSION_1 (32) */
    wr(0x014, 4, 2);
    CHECK_EQ(rd(0x010, 4), 0);                /* no feature beyond 63 */
    wr(0x014, 4, 0xffffffff);
    CHECK_EQ(rd(0x010, 4), 0);
    wr(0x030, 4, 0);
    CHECK_EQ(rd(0x034, 4), 256);              /* QueueNumMax */
    CHECK_EQ(rd(0x044, 4), 0);                /* not ready */
    wr(0x030, 4, 1);
    CHECK_EQ(rd(0x034, 4), 0);                /* the rng has one queue */
    wr(0x030, 4, 0xffffffff);
    CHECK_EQ(rd(0x034, 4), 0);
    CHECK_EQ(rd(0x044, 4), 0);
    CHECK_EQ(rd(0x060, 4), 0);                /* InterruptStatus */
    CHECK_EQ(rd(0x070, 4), 0);                /* Status */
    CHECK_EQ(rd(0x0b0, 4), 0xffffffff);       /* no shared memory: length -1 */
    CHECK_EQ(rd(0x0b4, 4), 0xffffffff);
    CHECK_EQ(rd(0x0b8, 4), 0xffffffff);       /* base all-ones */
    CHECK_EQ(rd(0x0bc, 4), 0xffffffff);
    CHECK_EQ(rd(0x0c0, 4), 0);                /* QueueReset: RING_RESET not offered */
    CHECK_EQ(rd(0x0fc, 4), 0);                /* ConfigGeneration */
    /* Write-only registers read 0; holes and other widths all-ones. */
    static const unsigned wo[] = { 0x014, 0x020, 0x024, 0x030, 0x038, 0x050, 0x064,
                                   0x080, 0x084, 0x090, 0x094, 0x0a0, 0x0a4, 0x0ac };
    for (size_t i = 0; i < sizeof wo / sizeof wo[0]; i++)
        CHECK_EQ(rd(wo[i], 4), 0);
    CHECK_EQ(rd(0x018, 4), 0xffffffff);
    CHECK_EQ(rd(0x0f8, 4), 0xffffffff);
    CHECK_EQ(rd(0x000, 2), 0xffff);           /* 32-bit registers only */
    CHECK_EQ(rd(0x000, 1), 0xff);
    CHECK_EQ((uint64_t)rd(0x000, 8), UINT64_MAX);
    CHECK_EQ(rd(0x002, 4), 0xffffffff);       /* misaligned */
    CHECK_EQ(rd(0x100, 4), 0xffffffff);       /* the rng has no configuration */
    CHECK_EQ(rd(0x200, 4), 0xffffffff);       /* past the window */
    CHECK_EQ(rd(0x000, 3), 0xffffff);         /* a width no bus makes */

    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_CONSOLE);
    CHECK_EQ(rd(0x008, 4), 3);                /* console */
    wr(0x014, 4, 0);
    CHECK_EQ(rd(0x010, 4), 0x30000004);       /* + EMERG_WRITE (2) */
    dev.cfg.console_size = true;
    CHECK_EQ(rd(0x010, 4), 0x30000005);       /* + SIZE (0) */
    wr(0x030, 4, 1);
    CHECK_EQ(rd(0x034, 4), 256);              /* transmitq */
    wr(0x030, 4, 2);
    CHECK_EQ(rd(0x034, 4), 0);                /* no MULTIPORT: no control queues */
    virtio_model_set_console_size(&dev, 132, 43);
    CHECK_EQ(rd(0x100, 2), 132);              /* cols first, as Linux and QEMU lay it out */
    CHECK_EQ(rd(0x102, 2), 43);
    CHECK_EQ(rd(0x100, 4), 43u << 16 | 132);
    CHECK_EQ(rd(0x100, 1), 132);
    CHECK_EQ(rd(0x104, 4), 1);                /* max_nr_ports: one */
    CHECK_EQ(rd(0x108, 4), 0);                /* emerg_wr is write-only */
    CHECK_EQ(rd(0x10c, 4), 0xffffffff);       /* past the 12 bytes */
    CHECK_EQ(rd(0x101, 2), 0xffff);           /* misaligned */
    CHECK_EQ(rd(0x10a, 4), 0xffffffff);
}

TEST(pci_registers)
{
    board(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_CONSOLE);
    CHECK_EQ(VIRTIO_PCI_DEVICE_ID(VIRTIO_ID_CONSOLE), 0x1043);
    CHECK_EQ(VIRTIO_PCI_DEVICE_ID(VIRTIO_ID_ENTROPY), 0x1044);
    CHECK_EQ(VIRTIO_PCI_CLASS(VIRTIO_ID_CONSOLE), 0x078000);
    CHECK_EQ(VIRTIO_PCI_CLASS(VIRTIO_ID_ENTROPY), 0x00ff00);
    CHECK_EQ(rd(0x12, 2), 2);                 /* num_queues */
    CHECK_EQ(rd(0x10, 2), 0xffff);            /* config_msix_vector: NO_VECTOR at reset */
    CHECK_EQ(rd(0x14, 1), 0);
    CHECK_EQ(rd(0x15, 1), 0);
    wr(0x00, 4, 1);
    CHECK_EQ(rd(0x00, 4), 1);                 /* device_feature_select reads back */
    CHECK_EQ(rd(0x04, 4), 1);                 /* VERSION_1 */
    wr(0x00, 4, 0);
    CHECK_EQ(rd(0x04, 4), 0x30000004);
    for (uint32_t q = 0; q < 2; q++) {
        wr(0x16, 2, q);
        CHECK_EQ(rd(0x16, 2), q);
        CHECK_EQ(rd(0x18, 2), 256);           /* queue_size: the maximum at reset */
        CHECK_EQ(rd(0x1a, 2), 0xffff);        /* queue_msix_vector */
        CHECK_EQ(rd(0x1c, 2), 0);             /* queue_enable */
        CHECK_EQ(rd(0x1e, 2), q);             /* queue_notify_off */
        CHECK_EQ(rd(0x20, 8), 0);
        CHECK_EQ(rd(0x38, 2), 0);
        CHECK_EQ(rd(0x3a, 2), 0);
    }
    wr(0x16, 2, 0xffff);                      /* no such queue: fields read 0 */
    CHECK_EQ(rd(0x18, 2), 0);
    CHECK_EQ(rd(0x1c, 2), 0);
    CHECK_EQ(rd(0x1e, 2), 0);
    CHECK_EQ(rd(0x14, 2), 0xffff);            /* device_status is a byte */
    CHECK_EQ(rd(0x12, 4), 0xffffffff);        /* num_queues is 16 bits */
    CHECK_EQ(rd(0x04, 2), 0xffff);
    CHECK_EQ(rd(0x3c, 4), 0xffffffff);        /* past the common configuration */
    CHECK_EQ(rd(0x1000, 1), 0);               /* ISR */
    CHECK_EQ(rd(0x1000, 4), 0xffffffff);      /* a byte only */
    CHECK_EQ(rd(0x1001, 1), 0xff);
    CHECK_EQ(rd(0x2008, 4), 0);               /* emerg_wr */
    CHECK_EQ(rd(0x2004, 4), 1);
    CHECK_EQ(rd(0x200c, 4), 0xffffffff);
    CHECK_EQ(rd(0x3000, 2), 0);               /* notify registers: write-only */
    CHECK_EQ(rd(0x3004, 2), 0);
    CHECK_EQ(rd(0x3008, 2), 0xffff);          /* only two queues */
    CHECK_EQ(rd(0x3fff, 1), 0xff);
    CHECK_EQ(rd(0x4000, 4), 0xffffffff);      /* the MSI-X table is not ours */
}

TEST(pci_caps)
{
    uint8_t c[VIRTIO_PCI_CAP_MAX];

    board(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_CONSOLE);
    dev.cfg.pci_bar = 2;
    CHECK_EQ(virtio_model_pci_cap(&dev, VIRTIO_PCI_CAP_COMMON_CFG, c), 16);
    {
        static const uint8_t want[16] = { 0x09, 0, 16, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0x3c, 0, 0, 0 };
        CHECK(memcmp(c, want, 16) == 0);
    }
    CHECK_EQ(virtio_model_pci_cap(&dev, VIRTIO_PCI_CAP_NOTIFY_CFG, c), 20);
    {
        static const uint8_t want[20] = { 0x09, 0, 20, 2, 2, 0, 0, 0, 0x00, 0x30, 0, 0,
                                          8, 0, 0, 0, 4, 0, 0, 0 };
        CHECK(memcmp(c, want, 20) == 0);      /* two queues, 4 bytes apart */
    }
    CHECK_EQ(virtio_model_pci_cap(&dev, VIRTIO_PCI_CAP_ISR_CFG, c), 16);
    CHECK_EQ(c[3], 3);
    CHECK_EQ(c[9], 0x10);                     /* offset 0x1000 */
    CHECK_EQ(c[12], 1);                       /* one byte */
    CHECK_EQ(virtio_model_pci_cap(&dev, VIRTIO_PCI_CAP_DEVICE_CFG, c), 16);
    CHECK_EQ(c[3], 4);
    CHECK_EQ(c[9], 0x20);
    CHECK_EQ(c[12], 12);                      /* struct virtio_console_config */
    CHECK_EQ(virtio_model_pci_cap(&dev, VIRTIO_PCI_CAP_PCI_CFG, c), 20);
    {
        static const uint8_t want[20] = { 0x09, 0, 20, 5 };
        CHECK(memcmp(c, want, 20) == 0);      /* the window starts empty */
    }
    CHECK_EQ(virtio_model_pci_cap(&dev, 6, c), 0);
    CHECK_EQ(virtio_model_pci_cap(&dev, 0, c), 0);
    dev.cfg.device = VIRTIO_ID_ENTROPY;
    CHECK_EQ(virtio_model_pci_cap(&dev, VIRTIO_PCI_CAP_DEVICE_CFG, c), 0); /* no configuration */
    CHECK_EQ(virtio_model_pci_cap(&dev, VIRTIO_PCI_CAP_NOTIFY_CFG, c), 20);
    CHECK_EQ(c[12], 4);                       /* one queue */
}

/* The PCI_CFG window: bar, offset and length as the driver wrote them. */
static void window(uint8_t cap[20], uint8_t bar, uint32_t off, uint32_t len)
{
    memset(cap, 0, 20);
    cap[0] = 0x09;
    cap[2] = 20;
    cap[3] = VIRTIO_PCI_CAP_PCI_CFG;
    cap[4] = bar;
    memcpy(cap + 8, &off, 4);                 /* a little-endian host */
    memcpy(cap + 12, &len, 4);
}

TEST(pci_cfg_window)
{
    uint8_t cap[20];

    board(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_ENTROPY);
    dev.cfg.pci_bar = 1;
    window(cap, 1, VIRTIO_PCI_NUM_QUEUES, 2);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), 1);
    window(cap, 1, VIRTIO_PCI_DEVICE_STATUS, 1);
    virtio_model_pci_cfg_write(&dev, cap, VIRTIO_STATUS_ACKNOWLEDGE);
    CHECK_EQ(status(), VIRTIO_STATUS_ACKNOWLEDGE);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), VIRTIO_STATUS_ACKNOWLEDGE);
    window(cap, 1, VIRTIO_PCI_DEVICE_FEATURE, 4);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), 0x30000000);
    /* Against the rules: another BAR, a length of 3 or 8, misaligned, past
       our 16 KiB. Reads 0, writes nothing. */
    window(cap, 0, VIRTIO_PCI_NUM_QUEUES, 2);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), 0);
    window(cap, 1, VIRTIO_PCI_NUM_QUEUES, 3);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), 0);
    window(cap, 1, VIRTIO_PCI_QUEUE_DESC, 8);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), 0);
    window(cap, 1, VIRTIO_PCI_DEVICE_STATUS + 1, 2);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), 0);
    window(cap, 1, VIRTIO_PCI_DEVICE_STATUS, 0);
    virtio_model_pci_cfg_write(&dev, cap, 0);
    CHECK_EQ(status(), VIRTIO_STATUS_ACKNOWLEDGE); /* no reset happened */
    window(cap, 1, 0x4000, 4);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), 0);
    window(cap, 1, 0xfffffffc, 4);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), 0);
    /* A hole inside our 16 KiB reads as a hole would. */
    window(cap, 1, 0x0800, 4);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), 0xffffffff);
    /* On MMIO there is no window. */
    dev.cfg.transport = VIRTIO_TRANSPORT_MMIO;
    window(cap, 1, 0x70, 4);
    CHECK_EQ(virtio_model_pci_cfg_read(&dev, cap), 0);
}

/* ---- the status machine ------------------------------------------------ */

static void status_rules(unsigned transport)
{
    const uint8_t A = VIRTIO_STATUS_ACKNOWLEDGE, D = VIRTIO_STATUS_DRIVER,
                  F = VIRTIO_STATUS_FEATURES_OK, O = VIRTIO_STATUS_DRIVER_OK;

    board(transport, VIRTIO_ID_ENTROPY);
    /* Skipping a step: DRIVER without ACKNOWLEDGE, FEATURES_OK without
       DRIVER, DRIVER_OK without FEATURES_OK; a reserved bit. */
    set_status(D);
    CHECK_EQ(status(), 0);
    set_status(A | F);
    CHECK_EQ(status(), 0);
    set_status(A | D | O);
    CHECK_EQ(status(), 0);
    set_status(A | 0x10);
    CHECK_EQ(status(), 0);
    set_status(VIRTIO_STATUS_NEEDS_RESET); /* the device's bit: not the driver's */
    CHECK_EQ(status(), 0);
    CHECK_EQ(dev.stats.bad_status, 4);
    set_status(A);
    set_status(A | D);
    CHECK_EQ(status(), A | D);
    /* Clearing a bit. */
    set_status(A);
    CHECK_EQ(status(), A | D);
    CHECK_EQ(dev.stats.bad_status, 5);
    /* A feature never offered: FEATURES_OK does not stick. */
    accept(V1 | 1ull << VIRTIO_F_RING_PACKED);
    set_status(A | D | F);
    CHECK_EQ(status(), A | D);
    CHECK_EQ(dev.stats.bad_features, 1);
    accept(V1 | 1ull << VIRTIO_CONSOLE_F_MULTIPORT); /* a console bit, on an rng */
    set_status(A | D | F);
    CHECK_EQ(status(), A | D);
    accept(V1 | 1ull << VIRTIO_F_ACCESS_PLATFORM);
    set_status(A | D | F | O); /* and DRIVER_OK cannot come with a refused FEATURES_OK */
    CHECK_EQ(status(), A | D);
    /* Without VERSION_1. */
    accept(EVIDX);
    set_status(A | D | F);
    CHECK_EQ(status(), A | D);
    /* A bit in feature word 2 was never offered either. */
    accept(V1);
    if (transport == VIRTIO_TRANSPORT_PCI) {
        wr(VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 2);
        wr(VIRTIO_PCI_DRIVER_FEATURE, 4, 1);
        CHECK_EQ(rd(VIRTIO_PCI_DRIVER_FEATURE, 4), 0);
    } else {
        wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 2);
        wr(VIRTIO_MMIO_DRIVER_FEATURES, 4, 1);
    }
    set_status(A | D | F);
    CHECK_EQ(status(), A | D);
    CHECK_EQ(dev.stats.bad_features, 5);
    /* Only a reset clears that; then VERSION_1 alone is accepted. */
    set_status(0);
    CHECK_EQ(status(), 0);
    set_status(A);
    /* Features before DRIVER are ignored. */
    accept(V1);
    set_status(A | D);
    set_status(A | D | F);
    CHECK_EQ(status(), A | D);
    accept(V1 | EVIDX);
    if (transport == VIRTIO_TRANSPORT_PCI) {
        wr(VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 0);
        CHECK_EQ(rd(VIRTIO_PCI_DRIVER_FEATURE, 4), EVIDX);
        wr(VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 1);
        CHECK_EQ(rd(VIRTIO_PCI_DRIVER_FEATURE, 4), 1);
    }
    /* Queue setup before FEATURES_OK: ignored. */
    select_queue(0);
    if (transport == VIRTIO_TRANSPORT_PCI) {
        wr(VIRTIO_PCI_QUEUE_SIZE, 2, 16);
        CHECK_EQ(rd(VIRTIO_PCI_QUEUE_SIZE, 2), 256);
    } else {
        wr(VIRTIO_MMIO_QUEUE_NUM, 4, 16);
    }
    CHECK_EQ(dev.s.q[0].size, 0);
    set_status(A | D | F);
    CHECK_EQ(status(), A | D | F);
    /* Features after FEATURES_OK: ignored. */
    accept(V1);
    CHECK_EQ(dev.s.driver_features, V1 | EVIDX);
    /* Sizes: not a power of two, zero, above the maximum: ignored. */
    static const uint32_t bad[] = { 0, 3, 100, 512, 0x10000, 0xffffffff };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (transport == VIRTIO_TRANSPORT_PCI)
            wr(VIRTIO_PCI_QUEUE_SIZE, 2, bad[i]);
        else
            wr(VIRTIO_MMIO_QUEUE_NUM, 4, bad[i]);
        CHECK_EQ(dev.s.q[0].size, 0);
    }
    /* A selector of a queue that is not there: its fields read 0 and take
       nothing. */
    select_queue(transport == VIRTIO_TRANSPORT_PCI ? 0xffff : 0xffffffff);
    if (transport == VIRTIO_TRANSPORT_PCI) {
        wr(VIRTIO_PCI_QUEUE_SIZE, 2, 16);
        wr(VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
        CHECK_EQ(rd(VIRTIO_PCI_QUEUE_SIZE, 2), 0);
    } else {
        wr(VIRTIO_MMIO_QUEUE_NUM, 4, 16);
        wr(VIRTIO_MMIO_QUEUE_READY, 4, 1);
        CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX, 4), 0);
    }
    CHECK_EQ(queue_ready(), 0);
    CHECK_EQ(dev.s.q[0].ready + dev.s.q[1].ready, 0);
    /* A real setup; once enabled, size and addresses are fixed. */
    virtq_drv_init(&drv[0], 16, ram + DESC(0), ram + AVAIL(0), ram + USED(0), true);
    setup_queue(0, 16, 0);
    CHECK_EQ(queue_ready(), 1);
    if (transport == VIRTIO_TRANSPORT_PCI) {
        wr(VIRTIO_PCI_QUEUE_SIZE, 2, 8);
        wr(VIRTIO_PCI_QUEUE_DESC, 4, 0x5000);
    } else {
        wr(VIRTIO_MMIO_QUEUE_NUM, 4, 8);
        wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 4, 0x5000);
    }
    CHECK_EQ(dev.s.q[0].size, 16);
    CHECK_EQ(dev.s.q[0].desc, DESC(0));
    /* A notify before DRIVER_OK does nothing. */
    unsigned long before = dev.stats.bad_notify;
    post_in(0, BUF, 16, &tok[0]);
    notify(0);
    CHECK(dev.stats.bad_notify > before);
    CHECK_EQ(dev.stats.chains, 0);
    set_status(A | D | F | O);
    CHECK_EQ(status(), A | D | F | O);
    /* DRIVER_OK serves what was queued before it. */
    CHECK_EQ(dev.stats.chains, 1);
    CHECK(virtq_drv_get_used(&drv[0], NULL) == &tok[0]);
    /* Setup after DRIVER_OK: ignored (queue size, addresses, enable). */
    before = dev.stats.bad_setup;
    select_queue(0);
    if (transport == VIRTIO_TRANSPORT_PCI) {
        wr(VIRTIO_PCI_QUEUE_ENABLE, 2, 0);
        wr(VIRTIO_PCI_QUEUE_DRIVER, 8, 0x7000);
        wr(VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2, 1);
    } else {
        wr(VIRTIO_MMIO_QUEUE_READY, 4, 0);
        wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, 4, 0x7000);
        wr(VIRTIO_MMIO_QUEUE_NUM, 4, 8);
    }
    CHECK_EQ(dev.stats.bad_setup - before, 3);
    CHECK_EQ(queue_ready(), 1);
    CHECK_EQ(dev.s.q[0].driver, AVAIL(0));
    CHECK_EQ(dev.s.q[0].size, 16);
    CHECK_EQ(dev.s.q[0].vq.avail, AVAIL(0));
    /* A notify for no queue is ignored (on PCI there is not even a
       register for it: the rng's notify region is 4 bytes). */
    before = dev.stats.bad_notify;
    if (transport == VIRTIO_TRANSPORT_PCI) {
        wr(VIRTIO_PCI_NOTIFY_OFFSET + 4, 2, 1);
        CHECK_EQ(dev.stats.bad_notify - before, 0);
    } else {
        wr(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 7);
        wr(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0x10000);
        CHECK_EQ(dev.stats.bad_notify - before, 2);
    }
    CHECK_EQ(dev.stats.chains, 1);
    /* FAILED stops all processing until a reset. */
    set_status(A | D | F | O | VIRTIO_STATUS_FAILED);
    CHECK_EQ(status(), A | D | F | O | VIRTIO_STATUS_FAILED);
    post_in(0, BUF, 16, &tok[1]);
    notify(0);
    CHECK_EQ(dev.stats.chains, 1);
    virtio_model_resume(&dev);
    CHECK_EQ(dev.stats.chains, 1);
    /* Reset with that request in flight; everything is as at reset. */
    set_status(0);
    CHECK_EQ(status(), 0);
    CHECK_EQ(queue_ready(), 0);
    CHECK_EQ(dev.s.isr, 0);
    CHECK(!hk.line);
    CHECK_EQ(dev.s.driver_features, 0);
    CHECK_EQ(dev.s.q[0].size, 0);
    CHECK_EQ(dev.s.q[0].msix_vector, 0xffff);
    CHECK_EQ(dev.s.config_msix_vector, 0xffff);
    /* And a fresh initialisation works. */
    CHECK(guest_init(V1 | EVIDX, 8, VIRTIO_MSI_NO_VECTOR));
    post_in(0, BUF, 16, &tok[2]);
    CHECK_EQ(dev.stats.chains, 2);
    CHECK(virtq_drv_get_used(&drv[0], NULL) == &tok[2]);
}

TEST(status_machine_mmio) { status_rules(VIRTIO_TRANSPORT_MMIO); }
TEST(status_machine_pci) { status_rules(VIRTIO_TRANSPORT_PCI); }

/* ---- entropy ----------------------------------------------------------- */

static void rng_end_to_end(unsigned transport)
{
    uint32_t len;

    board(transport, VIRTIO_ID_ENTROPY);
    CHECK(guest_init(V1 | EVIDX | 1ull << VIRTIO_F_INDIRECT_DESC, 16, VIRTIO_MSI_NO_VECTOR));
    CHECK_EQ(status(), 0x0f);
    /* 64 bytes asked, 64 given: the host's bytes, in order. */
    memset(ram + BUF, 0xee, 128);
    post_in(0, BUF, 64, &tok[0]);
    CHECK(hk.line);
    CHECK_EQ(take_interrupt(), VIRTIO_INT_USED);
    CHECK(!hk.line);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[0]);
    CHECK_EQ(len, 64);
    for (unsigned i = 0; i < 64; i++)
        if (!CHECK_EQ(ram[BUF + i], i))
            break;
    CHECK_EQ(ram[BUF + 64], 0xee);            /* not a byte past the buffer */
    /* Two buffers of one request, through an indirect table. */
    {
        static uint8_t ind[16 * 16 * 4] __attribute__((aligned(16)));
        virtq_buf b[2] = { { BUF + 0x1000, 10 }, { BUF + 0x2000, 6 } };

        memcpy(ram + 0x80000, ind, 0); /* the tables live in RAM too */
        virtq_drv_set_indirect(&drv[0], ram + 0x80000, 0x80000, 4);
        CHECK_EQ(virtq_drv_add(&drv[0], b, 0, 2, &tok[1]), 0);
        if (virtq_drv_kick_needed(&drv[0]))
            notify(0);
        CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[1]);
        CHECK_EQ(len, 16);
        CHECK_EQ(ram[BUF + 0x1000], 64);
        CHECK_EQ(ram[BUF + 0x2000 + 5], 64 + 15);
        virtq_drv_set_indirect(&drv[0], NULL, 0, 0);
    }
    /* A huge request is capped at entropy_max (4096). */
    post_in(0, BUF, 0x10000, &tok[2]);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[2]);
    CHECK_EQ(len, 4096);
    CHECK_EQ(dev.stats.entropy_bytes, 64 + 16 + 4096);
    /* Only readable buffers: given back with 0, nothing written into it. */
    memset(ram + BUF, 0x5a, 32);
    post_out(0, BUF, 32, &tok[3]);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[3]);
    CHECK_EQ(len, 0);
    for (unsigned i = 0; i < 32; i++)
        if (!CHECK_EQ(ram[BUF + i], 0x5a))
            break;
    /* No entropy now: the request waits, and a resume fills it. */
    hk.entropy_left = 0;
    post_in(0, BUF, 8, &tok[4]);
    CHECK(virtq_drv_get_used(&drv[0], &len) == NULL);
    notify(0);                                /* a second kick changes nothing */
    CHECK(virtq_drv_get_used(&drv[0], &len) == NULL);
    hk.entropy_left = 3;                      /* some, not all */
    virtio_model_resume(&dev);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[4]);
    CHECK_EQ(len, 3);                         /* "one or more random bytes" */
    /* A cap of 0 is a cap of 1. */
    hk.entropy_left = SIZE_MAX;
    dev.cfg.entropy_max = 0;
    post_in(0, BUF, 8, &tok[5]);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[5]);
    CHECK_EQ(len, 1);
    CHECK_EQ(refused, 0);
}

TEST(rng_mmio) { rng_end_to_end(VIRTIO_TRANSPORT_MMIO); }
TEST(rng_pci) { rng_end_to_end(VIRTIO_TRANSPORT_PCI); }

/* 1000 requests through a queue of 4, the index wrapping past 65535 in
   the ring's view: every request answered once, and without EVENT_IDX
   an interrupt for each. */
TEST(rng_many)
{
    uint32_t len;

    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_ENTROPY);
    CHECK(guest_init(V1, 4, VIRTIO_MSI_NO_VECTOR));
    for (unsigned i = 0; i < 1000; i++) {
        unsigned rises = hk.rises;

        post_in(0, BUF + 64 * (i % 4), 1 + i % 64, &tok[i % 4]);
        CHECK_EQ(hk.rises, rises + 1);
        take_interrupt();
        if (!CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[i % 4]) ||
            !CHECK_EQ(len, 1 + i % 64))
            break;
    }
    CHECK_EQ(dev.stats.chains, 1000);
}

/* ---- console ----------------------------------------------------------- */

TEST(console_tx_backpressure)
{
    uint32_t len;
    const char *msg = "hello, virtio console: a line longer than one call takes\n";
    size_t n = strlen(msg);

    board(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_CONSOLE);
    CHECK(guest_init(V1 | EVIDX, 8, VIRTIO_MSI_NO_VECTOR));
    memcpy(ram + BUF, msg, n);
    hk.tx_room = 12;                          /* the host fills up after 12 bytes */
    post_out(1, BUF, (uint32_t)n, &tok[0]);
    CHECK_EQ(hk.out_len, 12);
    CHECK(virtq_drv_get_used(&drv[1], &len) == NULL); /* the chain is kept */
    CHECK_EQ(dev.s.tx_done, 12);
    notify(1);                                /* a kick while full: nothing more */
    CHECK_EQ(hk.out_len, 12);
    hk.tx_room = 20;
    virtio_model_resume(&dev);
    CHECK_EQ(hk.out_len, 32);
    /* A host that takes 5 a call: each short take is backpressure, and
       each resume goes on from where it stopped. */
    hk.tx_room = SIZE_MAX;
    hk.tx_per_call = 5;
    for (unsigned k = 1; k <= 5 && hk.out_len < n; k++) {
        virtio_model_resume(&dev);
        CHECK_EQ(hk.out_len, 32 + 5 * k < n ? 32 + 5 * k : n);
    }
    CHECK_EQ(hk.out_len, n);
    CHECK(memcmp(hk.out, msg, n) == 0);       /* every byte once, in order */
    CHECK(virtq_drv_get_used(&drv[1], &len) == &tok[0]);
    CHECK_EQ(len, 0);                         /* the device wrote nothing into it */
    CHECK_EQ(dev.s.tx_done, 0);
    CHECK_EQ(take_interrupt(), VIRTIO_INT_USED);
    /* Two chains queued behind a full host go out in order on resume. */
    hk.out_len = 0;
    hk.tx_room = 0;
    memcpy(ram + BUF + 0x100, "abc", 3);
    memcpy(ram + BUF + 0x200, "defg", 4);
    post_out(1, BUF + 0x100, 3, &tok[1]);
    post_out(1, BUF + 0x200, 4, &tok[2]);
    hk.tx_room = SIZE_MAX;
    hk.tx_per_call = 0;
    virtio_model_resume(&dev);
    CHECK_EQ(hk.out_len, 7);
    CHECK(memcmp(hk.out, "abcdefg", 7) == 0);
    CHECK(virtq_drv_get_used(&drv[1], &len) == &tok[1]);
    CHECK(virtq_drv_get_used(&drv[1], &len) == &tok[2]);
    /* Writable buffers in a transmit chain are ignored: only the readable
       part goes out, and nothing is written. */
    hk.out_len = 0;
    {
        virtq_buf b[2] = { { BUF, 4 }, { BUF + 0x300, 16 } };

        memcpy(ram + BUF, "wxyz", 4);
        memset(ram + BUF + 0x300, 0x77, 16);
        CHECK_EQ(virtq_drv_add(&drv[1], b, 1, 1, &tok[3]), 0);
        notify(1);
        CHECK(virtq_drv_get_used(&drv[1], &len) == &tok[3]);
        CHECK_EQ(len, 0);
        CHECK_EQ(hk.out_len, 4);
        CHECK_EQ(ram[BUF + 0x300 + 15], 0x77);
    }
    /* An empty chain (one buffer of 0 bytes) is given back at once. */
    post_out(1, BUF, 0, &tok[4]);
    CHECK(virtq_drv_get_used(&drv[1], &len) == &tok[4]);
    CHECK_EQ(hk.out_len, 4);
}

/* A chain larger than VIRTIO_TX_BUDGET: the notify sends the budget and
   asks to be woken; resumes finish it, never more than the budget each. */
TEST(console_tx_budget)
{
    uint32_t len;
    uint32_t n = 3 * VIRTIO_TX_BUDGET + 100;

    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_CONSOLE);
    CHECK(guest_init(V1, 8, VIRTIO_MSI_NO_VECTOR));
    for (uint32_t i = 0; i < n; i++)
        ram[BUF / 2 + i] = (uint8_t)(i * 13);
    post_out(1, BUF / 2, n, &tok[0]);
    CHECK_EQ(hk.out_len, VIRTIO_TX_BUDGET);
    CHECK_EQ(hk.wakes, 1);
    for (unsigned k = 2; k <= 4; k++) {
        virtio_model_resume(&dev);
        CHECK_EQ(hk.out_len, k < 4 ? k * VIRTIO_TX_BUDGET : n);
    }
    CHECK_EQ(hk.wakes, 3);
    CHECK(virtq_drv_get_used(&drv[1], &len) == &tok[0]);
    for (uint32_t i = 0; i < n; i++)
        if (!CHECK_EQ(hk.out[i], (uint8_t)(i * 13)))
            break;
}

TEST(console_rx)
{
    uint8_t in[100];
    uint32_t len;

    for (unsigned i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i + 1);
    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_CONSOLE);
    /* Before the driver is up, nothing is taken; the host waits. */
    CHECK_EQ(virtio_model_console_rx(&dev, in, sizeof in), 0);
    CHECK(guest_init(V1 | EVIDX, 8, VIRTIO_MSI_NO_VECTOR));
    CHECK_EQ(hk.rx_room, 1);                  /* DRIVER_OK: try again */
    CHECK_EQ(virtio_model_console_rx(&dev, in, sizeof in), 0); /* no buffers yet */
    CHECK_EQ(hk.rx_room, 1);
    post_in(0, BUF, 64, &tok[0]);
    CHECK_EQ(hk.rx_room, 2);                  /* now there are */
    post_in(0, BUF + 0x100, 64, &tok[1]);
    CHECK_EQ(virtio_model_console_rx(&dev, in, sizeof in), 100);
    CHECK(hk.line);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[0]);
    CHECK_EQ(len, 64);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[1]);
    CHECK_EQ(len, 36);
    CHECK(memcmp(ram + BUF, in, 64) == 0);
    CHECK(memcmp(ram + BUF + 0x100, in + 64, 36) == 0);
    CHECK_EQ(dev.stats.rx_bytes, 100);
    /* No buffers: 0 taken, and the hook when the guest posts one. */
    CHECK_EQ(virtio_model_console_rx(&dev, in, 10), 0);
    CHECK_EQ(hk.rx_room, 2);
    post_in(0, BUF, 4, &tok[2]);              /* EVENT_IDX: the device asked for this kick */
    CHECK_EQ(hk.rx_room, 3);
    CHECK_EQ(virtio_model_console_rx(&dev, in, 10), 4);
    /* A posted buffer with no writable byte is given back empty. */
    post_out(0, BUF, 8, &tok[3]);
    post_in(0, BUF + 0x200, 8, &tok[4]);
    CHECK_EQ(virtio_model_console_rx(&dev, in, 5), 5);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[2]);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[3]);
    CHECK_EQ(len, 0);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[4]);
    CHECK_EQ(len, 5);
    /* An entropy device takes no console input. */
    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_ENTROPY);
    CHECK_EQ(virtio_model_console_rx(&dev, in, 10), 0);
}

TEST(emergency_write)
{
    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_CONSOLE);
    /* 5.3.5.1: "even on an unconfigured device": status 0 here. */
    wr(VIRTIO_MMIO_CONFIG + VIRTIO_CONSOLE_CFG_EMERG_WR, 4, 0x141); /* the low byte */
    CHECK_EQ(hk.out_len, 1);
    CHECK_EQ(hk.out[0], 0x41);
    wr(VIRTIO_MMIO_CONFIG + VIRTIO_CONSOLE_CFG_EMERG_WR, 1, 'B');   /* not its width */
    wr(VIRTIO_MMIO_CONFIG + VIRTIO_CONSOLE_CFG_ROWS, 2, 'C');       /* read-only */
    CHECK_EQ(hk.out_len, 1);
    hk.tx_room = 0;                           /* the host is full: the byte is lost */
    wr(VIRTIO_MMIO_CONFIG + VIRTIO_CONSOLE_CFG_EMERG_WR, 4, 'D');
    CHECK_EQ(dev.stats.emerg_dropped, 1);
    hk.tx_room = SIZE_MAX;
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_FAILED);
    wr(VIRTIO_MMIO_CONFIG + VIRTIO_CONSOLE_CFG_EMERG_WR, 4, 'E');   /* at any time */
    CHECK_EQ(hk.out_len, 2);
    CHECK_EQ(hk.out[1], 'E');
    /* Through PCI's device configuration too. */
    board(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_CONSOLE);
    wr(VIRTIO_PCI_DEVICE_OFFSET + VIRTIO_CONSOLE_CFG_EMERG_WR, 4, 'F');
    CHECK_EQ(hk.out_len, 1);
    CHECK_EQ(hk.out[0], 'F');
    CHECK_EQ(dev.stats.tx_bytes, 1);
    /* The rng has no emerg_wr. */
    board(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_ENTROPY);
    wr(VIRTIO_PCI_DEVICE_OFFSET + VIRTIO_CONSOLE_CFG_EMERG_WR, 4, 'G');
    CHECK_EQ(hk.out_len, 0);
}

/* ---- interrupts -------------------------------------------------------- */

TEST(msix_and_intx)
{
    uint32_t len;

    board(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_ENTROPY);
    hk.msix_on = true;
    /* Config vector 0, queue vector 1 (guest_init gives vector + 1 + i). */
    CHECK(guest_init(V1, 8, 0));
    CHECK_EQ(rd(VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2), 0);
    select_queue(0);
    CHECK_EQ(rd(VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2), 1);
    post_in(0, BUF, 8, &tok[0]);
    CHECK_EQ(hk.msis, 1);
    CHECK_EQ(hk.last_vector, 1);
    CHECK(!hk.line);                          /* no INTx */
    CHECK_EQ(dev.s.isr, 0);                   /* and no ISR bit (4.1.4.5) */
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[0]);
    /* MSI-X turned off on the function: the ISR and INTx. */
    hk.msix_on = false;
    post_in(0, BUF, 8, &tok[1]);
    CHECK(hk.line);
    CHECK_EQ(take_interrupt(), VIRTIO_INT_USED); /* the read clears it */
    CHECK(!hk.line);
    CHECK_EQ(rd(VIRTIO_PCI_ISR_OFFSET, 1), 0);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[1]);
    /* A vector the table has not reads back NO_VECTOR (a failed mapping). */
    board(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_ENTROPY);
    hk.msix_on = true;
    wr(VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2, 3);  /* the table has 3: 0..2 */
    CHECK_EQ(rd(VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2), 0xffff);
    wr(VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2, 2);
    CHECK_EQ(rd(VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2), 2);
    /* MSI-X on, and the queue mapped to NO_VECTOR: no interrupt at all. */
    CHECK(guest_init(V1, 8, VIRTIO_MSI_NO_VECTOR));
    select_queue(0);
    CHECK_EQ(rd(VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2), 0xffff);
    post_in(0, BUF, 8, &tok[2]);
    CHECK_EQ(hk.msis, 0);
    CHECK(!hk.line);
    CHECK_EQ(dev.s.isr, 0);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[2]);
    /* MMIO never asks the msix hook. */
    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_ENTROPY);
    hk.msix_on = true;
    CHECK(guest_init(V1, 8, VIRTIO_MSI_NO_VECTOR));
    post_in(0, BUF, 8, &tok[3]);
    CHECK_EQ(hk.msis, 0);
    CHECK(hk.line);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS, 4), VIRTIO_INT_USED);
    wr(VIRTIO_MMIO_INTERRUPT_ACK, 4, VIRTIO_INT_CONFIG); /* the other bit: still up */
    CHECK(hk.line);
    wr(VIRTIO_MMIO_INTERRUPT_ACK, 4, VIRTIO_INT_USED);
    CHECK(!hk.line);
}

/* EVENT_IDX: the driver asks for an interrupt at used_event only. */
TEST(event_idx_interrupts)
{
    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_ENTROPY);
    CHECK(guest_init(V1 | EVIDX, 8, VIRTIO_MSI_NO_VECTOR));
    /* used_event = 2: "interrupt me when entry 2 is used". */
    ram[AVAIL(0) + 4 + 2 * 8] = 2;
    post_in(0, BUF, 8, &tok[0]);
    post_in(0, BUF, 8, &tok[1]);
    CHECK_EQ(hk.rises, 0);
    post_in(0, BUF, 8, &tok[2]);
    CHECK_EQ(hk.rises, 1);
}

TEST(config_generation)
{
    board(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_CONSOLE);
    dev.cfg.console_size = true;
    virtio_model_set_console_size(&dev, 80, 25);
    CHECK_EQ(rd(VIRTIO_PCI_CONFIG_GENERATION, 1), 1);
    /* Changes the driver has not read move the generation once. */
    virtio_model_set_console_size(&dev, 81, 25);
    virtio_model_set_console_size(&dev, 82, 25);
    CHECK_EQ(rd(VIRTIO_PCI_CONFIG_GENERATION, 1), 1);
    CHECK_EQ(rd(VIRTIO_PCI_DEVICE_OFFSET + VIRTIO_CONSOLE_CFG_COLS, 2), 82);
    virtio_model_set_console_size(&dev, 82, 25); /* no change */
    CHECK_EQ(rd(VIRTIO_PCI_CONFIG_GENERATION, 1), 1);
    virtio_model_set_console_size(&dev, 82, 26);
    CHECK_EQ(rd(VIRTIO_PCI_CONFIG_GENERATION, 1), 2);
    /* 300 changes, each read: the 8-bit field wraps, but never between a
       change and the read after it. */
    rd(VIRTIO_PCI_DEVICE_OFFSET, 2);
    for (unsigned i = 0; i < 300; i++) {
        uint64_t g = rd(VIRTIO_PCI_CONFIG_GENERATION, 1);

        virtio_model_set_console_size(&dev, (uint16_t)i, 1);
        if (!CHECK(rd(VIRTIO_PCI_CONFIG_GENERATION, 1) != g))
            break;
        rd(VIRTIO_PCI_DEVICE_OFFSET, 2);
    }
    CHECK_EQ(hk.rises, 0);                    /* no notification before DRIVER_OK */
    /* With F_SIZE negotiated, after DRIVER_OK: a configuration interrupt. */
    CHECK(guest_init(V1 | 1ull << VIRTIO_CONSOLE_F_SIZE, 8, VIRTIO_MSI_NO_VECTOR));
    virtio_model_set_console_size(&dev, 100, 40);
    CHECK(hk.line);
    CHECK_EQ(take_interrupt(), VIRTIO_INT_CONFIG);
    CHECK_EQ(rd(VIRTIO_PCI_DEVICE_OFFSET + VIRTIO_CONSOLE_CFG_ROWS, 2), 40);
    /* Through MSI-X: the config vector, and the ISR bit is set anyway. */
    hk.msix_on = true;
    wr(VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2, 2);
    virtio_model_set_console_size(&dev, 101, 40);
    CHECK_EQ(hk.msis, 1);
    CHECK_EQ(hk.last_vector, 2);
    CHECK(!hk.line);
    CHECK_EQ(dev.s.isr, VIRTIO_INT_CONFIG);
    /* Without F_SIZE negotiated: the values change, no interrupt. */
    hk.msix_on = false;
    CHECK(guest_init(V1, 8, VIRTIO_MSI_NO_VECTOR));
    rd(VIRTIO_PCI_ISR_OFFSET, 1);
    unsigned rises = hk.rises;
    virtio_model_set_console_size(&dev, 1, 2);
    CHECK_EQ(hk.rises, rises);
    CHECK_EQ(rd(VIRTIO_PCI_DEVICE_OFFSET + VIRTIO_CONSOLE_CFG_COLS, 2), 1);
    /* The generation and the size survive a device reset (status 0). */
    uint64_t g = rd(VIRTIO_PCI_CONFIG_GENERATION, 1);
    set_status(0);
    CHECK_EQ(rd(VIRTIO_PCI_CONFIG_GENERATION, 1), g);
    CHECK_EQ(rd(VIRTIO_PCI_DEVICE_OFFSET + VIRTIO_CONSOLE_CFG_ROWS, 2), 2);
}

/* ---- a malformed ring -------------------------------------------------- */

static void broken_ring(unsigned transport)
{
    uint32_t len;

    board(transport, VIRTIO_ID_ENTROPY);
    CHECK(guest_init(V1, 8, VIRTIO_MSI_NO_VECTOR));
    /* A descriptor that loops to itself (0 -> 0), made available by hand. */
    uint8_t d[16] = { 0 };
    uint64_t a = BUF;
    memcpy(d, &a, 8);
    d[8] = 16;
    d[12] = VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE;
    memcpy(ram + DESC(0), d, 16);
    ram[AVAIL(0) + 4] = 0;                    /* ring[0] = head 0 */
    ram[AVAIL(0) + 2] = 1;                    /* avail.idx = 1 */
    notify(0);
    CHECK_EQ(status() & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
    CHECK_EQ(dev.stats.queue_errors, 1);
    CHECK(hk.line);
    CHECK_EQ(take_interrupt(), VIRTIO_INT_CONFIG); /* the config change notification */
    CHECK_EQ(ram[USED(0) + 2], 0);            /* nothing was used */
    /* Dead until reset: notifies are ignored, and so is resume. */
    notify(0);
    virtio_model_resume(&dev);
    CHECK_EQ(dev.stats.queue_errors, 1);
    CHECK_EQ(dev.stats.chains, 0);
    /* The driver's status writes keep DEVICE_NEEDS_RESET. */
    set_status(status() | VIRTIO_STATUS_FAILED);
    CHECK_EQ(status() & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
    /* Reset, and a well-formed queue works again. */
    CHECK(guest_init(V1, 8, VIRTIO_MSI_NO_VECTOR));
    CHECK_EQ(status(), 0x0f);
    post_in(0, BUF, 16, &tok[0]);
    CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[0]);
    CHECK_EQ(len, 16);
    /* A descriptor table outside RAM: the same error state. */
    CHECK(guest_init(V1, 8, VIRTIO_MSI_NO_VECTOR));
    memset(d, 0, sizeof d);
    a = RAM_SIZE - 8;                          /* runs past the end of RAM */
    memcpy(d, &a, 8);
    d[8] = 16;
    d[12] = VIRTQ_DESC_F_WRITE;
    memcpy(ram + DESC(0), d, 16);
    ram[AVAIL(0) + 2] = 1;
    notify(0);
    CHECK(status() & VIRTIO_STATUS_NEEDS_RESET);
    CHECK_EQ(dev.stats.queue_errors, 2);
    /* Rings placed misaligned: DRIVER_OK itself ends in the error state. */
    set_status(0);
    set_status(1);
    set_status(3);
    accept(V1);
    set_status(0x0b);
    select_queue(0);
    if (pci())
        wr(VIRTIO_PCI_QUEUE_DESC, 4, DESC(0) + 8);
    else
        wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 4, DESC(0) + 8);
    if (pci())
        wr(VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
    else
        wr(VIRTIO_MMIO_QUEUE_READY, 4, 1);
    set_status(0x0f);
    CHECK_EQ(status(), 0x4f);
    CHECK_EQ(dev.stats.queue_errors, 3);
    CHECK(hk.line);
    CHECK_EQ(refused, 0);                     /* the hooks were never asked past RAM */
}

TEST(needs_reset_mmio) { broken_ring(VIRTIO_TRANSPORT_MMIO); }
TEST(needs_reset_pci) { broken_ring(VIRTIO_TRANSPORT_PCI); }

/* A guest that floods notifies costs a bounded amount each: a queue's size
   of chains at most, then a `wake`. */
TEST(bounded_work)
{
    uint32_t len;

    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_ENTROPY);
    CHECK(guest_init(V1, 4, VIRTIO_MSI_NO_VECTOR));
    /* Four requests at once, served by one notify. */
    for (unsigned i = 0; i < 4; i++) {
        virtq_buf b = { BUF + 16 * i, 16 };
        CHECK_EQ(virtq_drv_add(&drv[0], &b, 0, 1, &tok[i]), 0);
    }
    notify(0);
    CHECK_EQ(dev.stats.chains, 4);
    CHECK_EQ(hk.wakes, 1);                    /* the bound was reached: maybe more */
    for (unsigned i = 0; i < 4; i++)
        CHECK(virtq_drv_get_used(&drv[0], &len) == &tok[i]);
    for (unsigned i = 0; i < 100000; i++)
        notify(0);
    CHECK_EQ(dev.stats.chains, 4);
    CHECK_EQ(hk.wakes, 1);
}

/* ---- save and restore -------------------------------------------------- */

TEST(save_restore)
{
    virtio_state saved, bad;
    uint8_t big[sizeof(virtio_state) + 8];
    uint32_t len;

    board(VIRTIO_TRANSPORT_PCI, VIRTIO_ID_CONSOLE);
    CHECK_EQ(virtio_model_save(&dev, big, sizeof(virtio_state) - 1), -1);
    CHECK(guest_init(V1 | EVIDX, 8, 0));
    memcpy(ram + BUF, "0123456789", 10);
    hk.tx_room = 4;                           /* a chain held half-sent */
    post_out(1, BUF, 10, &tok[0]);
    CHECK_EQ(hk.out_len, 4);
    virtio_model_set_console_size(&dev, 90, 30);
    CHECK_EQ(virtio_model_save(&dev, &saved, sizeof saved), (int64_t)sizeof saved);
    /* Into a fresh device with the same configuration. */
    virtio_model_init(&dev, &hooks);
    dev.cfg.transport = VIRTIO_TRANSPORT_PCI;
    dev.cfg.device = VIRTIO_ID_CONSOLE;
    dev.cfg.mem = mem;
    dev.cfg.msix_vectors = 3;
    hk.wakes = 0;
    hk.irq_calls = 0;
    CHECK_EQ(virtio_model_restore(&dev, &saved, sizeof saved), (int64_t)sizeof saved);
    CHECK_EQ(hk.irq_calls, 1);                /* told the level, even unchanged */
    CHECK_EQ(hk.wakes, 1);                    /* live: the board resumes it */
    hk.tx_room = SIZE_MAX;
    virtio_model_resume(&dev);
    CHECK_EQ(hk.out_len, 10);
    CHECK(memcmp(hk.out, "0123456789", 10) == 0);
    CHECK(virtq_drv_get_used(&drv[1], &len) == &tok[0]);
    CHECK_EQ(rd(VIRTIO_PCI_DEVICE_OFFSET + VIRTIO_CONSOLE_CFG_COLS, 2), 90);
    /* A save of the restored device is the same bytes the first would
       have become. */
    CHECK_EQ(virtio_model_save(&dev, big, sizeof big), (int64_t)sizeof saved);

    /* Refusals: each changes nothing. */
    CHECK_EQ(virtio_model_save(&dev, &saved, sizeof saved), (int64_t)sizeof saved);
    CHECK_EQ(virtio_model_restore(&dev, &saved, sizeof saved - 1), -1);
    CHECK_EQ(virtio_model_restore(&dev, big, sizeof big), -1);
#define REFUSE(edit)                                                       \
    do {                                                                   \
        bad = saved;                                                       \
        edit;                                                              \
        CHECK_EQ(virtio_model_restore(&dev, &bad, sizeof bad), -1);        \
        CHECK(memcmp(&dev.s, &saved, sizeof saved) == 0);                  \
    } while (0)
    REFUSE(bad.version = 2);
    REFUSE(bad.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER_OK);
    REFUSE(bad.status |= 0x10);
    REFUSE(bad.driver_features |= 1ull << VIRTIO_F_RING_PACKED);
    REFUSE(bad.driver_features &= ~V1);
    REFUSE(bad.features_bad = 1);
    REFUSE(bad.isr = 4);
    REFUSE(bad.irq_level = 2);
    REFUSE(bad.isr = 0);                      /* PCI: high with an empty ISR */
    REFUSE(bad.config_dirty = 7);
    REFUSE(bad.rx_wanted = 2);
    REFUSE(bad.config_msix_vector = 3);
    REFUSE(bad.tx_done = (1ull << 32) + 1);
    REFUSE(bad.q[0].size = 6);
    REFUSE(bad.q[0].size = 512);
    REFUSE(bad.q[1].ready = 2);
    REFUSE(bad.q[1].reserved[1] = 1);
    REFUSE(bad.q[1].msix_vector = 7);
    REFUSE(bad.q[1].vq.size = 4);             /* a live ring unlike its registers */
    REFUSE(bad.q[1].vq.used = 0x1234);
    REFUSE(memset(&bad.q[1].vq.broken, 2, 1)); /* a bool that is not one */
    REFUSE(bad.q[1].vq.broken = true);        /* broken, but no DEVICE_NEEDS_RESET */
    REFUSE(bad.q[1].vq.event_idx = false);    /* not what was negotiated */
    REFUSE(bad.q[1].vq.last_avail++);         /* a chain taken and never used */
    REFUSE(bad.q[1].vq.signalled--);          /* used and never signalled */
    REFUSE(bad.status |= VIRTIO_STATUS_NEEDS_RESET; bad.status &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
           bad.q[0].vq.size = bad.q[1].vq.size = 0);
    /* A queue that is not live has no ring. */
    REFUSE(bad.status = 0x0b; bad.q[0].vq.size = 8);
    /* What the steps not yet taken cannot have set (found by the virtq
       fuzzer): queue registers before FEATURES_OK, features before
       DRIVER, an interrupt or a half-sent chain before DRIVER_OK. */
    {
        virtio_state s0;

        virtio_model_reset(&dev);
        CHECK_EQ(virtio_model_save(&dev, &s0, sizeof s0), (int64_t)sizeof s0);
        CHECK_EQ(virtio_model_restore(&dev, &s0, sizeof s0), (int64_t)sizeof s0);
        bad = s0;
        bad.q[0].ready = 1;
        CHECK_EQ(virtio_model_restore(&dev, &bad, sizeof bad), -1);
        bad = s0;
        bad.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
        bad.q[1].desc = 0x1000;
        CHECK_EQ(virtio_model_restore(&dev, &bad, sizeof bad), -1);
        bad.q[1].desc = 0;
        CHECK_EQ(virtio_model_restore(&dev, &bad, sizeof bad), (int64_t)sizeof bad);
        s0 = bad;
        bad.status = VIRTIO_STATUS_ACKNOWLEDGE;
        bad.driver_features = V1;
        CHECK_EQ(virtio_model_restore(&dev, &bad, sizeof bad), -1);
        bad.driver_features = 0;
        bad.isr = VIRTIO_INT_USED;
        CHECK_EQ(virtio_model_restore(&dev, &bad, sizeof bad), -1);
        bad.isr = 0;
        bad.tx_done = 3;
        CHECK_EQ(virtio_model_restore(&dev, &bad, sizeof bad), -1);
        CHECK(memcmp(&dev.s, &s0, sizeof s0) == 0);
        CHECK_EQ(virtio_model_restore(&dev, &saved, sizeof saved), (int64_t)sizeof saved);
    }
    /* The entropy device has one queue: the second stays at reset. */
    {
        virtio_model rng;
        virtio_state s;

        virtio_model_init(&rng, NULL);
        CHECK_EQ(virtio_model_save(&rng, &s, sizeof s), (int64_t)sizeof s);
        CHECK_EQ(virtio_model_restore(&rng, &s, sizeof s), (int64_t)sizeof s);
        s.q[1].size = 8;
        CHECK_EQ(virtio_model_restore(&rng, &s, sizeof s), -1);
        s.q[1].size = 0;
        s.tx_done = 1;                        /* no transmitq to be half-way through */
        CHECK_EQ(virtio_model_restore(&rng, &s, sizeof s), -1);
    }
    /* MMIO: the line is InterruptStatus != 0, exactly. */
    board(VIRTIO_TRANSPORT_MMIO, VIRTIO_ID_ENTROPY);
    CHECK(guest_init(V1, 8, VIRTIO_MSI_NO_VECTOR));
    post_in(0, BUF, 8, &tok[1]);
    CHECK(hk.line);
    CHECK_EQ(virtio_model_save(&dev, &saved, sizeof saved), (int64_t)sizeof saved);
    REFUSE(bad.irq_level = 0);
    REFUSE(bad.q[0].msix_vector = 0);         /* no MSI-X table on MMIO */
    virtio_model_reset(&dev);
    CHECK(!hk.line);                          /* reset lowers it */
    CHECK_EQ(virtio_model_restore(&dev, &saved, sizeof saved), (int64_t)sizeof saved);
    CHECK(hk.line);                           /* restore raises it again */
#undef REFUSE
}

/* ---- a random guest ---------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random accesses over both windows, random ring contents and host hooks
   that come and go: no sanitizer report, the status always one the
   machine can reach, and a reset always brings the device back. */
TEST(random_guest)
{
    static const unsigned widths[] = { 1, 2, 4, 8, 3 };
    uint8_t cap[20];

    for (unsigned round = 0; round < 40; round++) {
        unsigned transport = round & 1 ? VIRTIO_TRANSPORT_PCI : VIRTIO_TRANSPORT_MMIO;
        unsigned device = round & 2 ? VIRTIO_ID_CONSOLE : VIRTIO_ID_ENTROPY;
        virtio_state s;

        board(transport, device);
        for (unsigned i = 0; i < 0x400; i++)
            ram[DESC(0) + i] = (uint8_t)rnd();
        if (round % 3 == 0)
            guest_init(V1 | EVIDX | 1ull << VIRTIO_F_INDIRECT_DESC, 8, 0);
        for (unsigned i = 0; i < 20000; i++) {
            uint64_t r = rnd(), off, v = rnd();
            unsigned w = widths[r % 5];

            r >>= 3;
            if (transport == VIRTIO_TRANSPORT_PCI) {
                static const uint64_t base[] = { 0, 0x1000, 0x2000, 0x3000 };
                off = base[r % 4] + (r >> 2) % 0x48;
            } else {
                off = (r >> 2) % 0x210;
            }
            if (r & 0x100000)
                v &= 0xff;
            if ((r >> 21) % 4 == 0)
                ram[DESC(0) + (v >> 8) % 0x3000] = (uint8_t)(v >> 16);
            switch ((r >> 23) % 16) {
            case 0: virtio_model_read(&dev, off, w); break;
            case 1: virtio_model_console_rx(&dev, ram + (v % 0x1000), v % 300); break;
            case 2: virtio_model_resume(&dev); break;
            case 3: virtio_model_set_console_size(&dev, (uint16_t)v, (uint16_t)(v >> 16)); break;
            case 4: hk.tx_room = v % 3 ? SIZE_MAX : v % 7; hk.entropy_left = v % 5 ? SIZE_MAX : 0; break;
            case 5: hk.msix_on = v & 1; break;
            case 6:
                window(cap, 0, (uint32_t)(v % 0x4100), (uint32_t)(v >> 40) % 6);
                virtio_model_pci_cfg_write(&dev, cap, (uint32_t)(v >> 8));
                break;
            default: virtio_model_write(&dev, off, w, v); break;
            }
            uint8_t st = dev.s.status;
            if (!CHECK(virtio__status_order(st)) ||
                !CHECK(!(st & VIRTIO_STATUS_NEEDS_RESET) || (st & VIRTIO_STATUS_DRIVER_OK)))
                break;
        }
        /* Whatever it did, the state is one restore accepts. */
        CHECK_EQ(virtio_model_save(&dev, &s, sizeof s), (int64_t)sizeof s);
        CHECK_EQ(virtio_model_restore(&dev, &s, sizeof s), (int64_t)sizeof s);
        /* And a reset and a proper start work. */
        hk.tx_room = SIZE_MAX;
        hk.entropy_left = SIZE_MAX;
        hk.msix_on = false;
        memset(ram + DESC(0), 0, 0x3000);
        CHECK(guest_init(V1, 8, VIRTIO_MSI_NO_VECTOR));
        unsigned q = device == VIRTIO_ID_CONSOLE ? 1 : 0;
        uint32_t len;
        if (q)
            post_out(q, BUF, 8, &tok[0]);
        else
            post_in(q, BUF, 8, &tok[0]);
        CHECK(virtq_drv_get_used(&drv[q], &len) == &tok[0]);
    }
    CHECK_EQ(refused, 0);
}

TEST(asserts_are_there)
{
    /* VIRTIO_ASSERT guarded the pushes and the runs above. */
    CHECK(asserts > 0);
}

CHECK_MAIN(TEST_ENTRY(mmio_registers), TEST_ENTRY(pci_registers), TEST_ENTRY(pci_caps),
           TEST_ENTRY(pci_cfg_window), TEST_ENTRY(status_machine_mmio),
           TEST_ENTRY(status_machine_pci), TEST_ENTRY(rng_mmio), TEST_ENTRY(rng_pci),
           TEST_ENTRY(rng_many), TEST_ENTRY(console_tx_backpressure),
           TEST_ENTRY(console_tx_budget), TEST_ENTRY(console_rx), TEST_ENTRY(emergency_write),
           TEST_ENTRY(msix_and_intx), TEST_ENTRY(event_idx_interrupts),
           TEST_ENTRY(config_generation), TEST_ENTRY(needs_reset_mmio),
           TEST_ENTRY(needs_reset_pci), TEST_ENTRY(bounded_work), TEST_ENTRY(save_restore),
           TEST_ENTRY(random_guest), TEST_ENTRY(asserts_are_there))
