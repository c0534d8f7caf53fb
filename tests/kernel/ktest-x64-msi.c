/* ktest-x64-msi.c - a PCI function's two ways to interrupt the x64
   kernel: its INTx pin through the IOAPIC (platform_pci_intx) and an MSI
   straight to the LAPIC (platform_msi_alloc).

   1. Where a virtio-rng-pci is plugged in (`-device
      virtio-rng-pci,disable-legacy=on`; the lines it adds are in
      kernel/ktest-x64-msi-rng.expect), end to end: platform_pci finds it,
      with the memory BARs the firmware gave it and MSI-X; with MSI-X off,
      an entropy request completes with an interrupt on the GSI its
      interrupt line names, level-triggered, and reading the ISR status
      quiets it; with MSI-X on and a fresh MSI in table entry 0, the next
      two requests raise that MSI, edge-triggered, and INTx stays quiet.
      Without the device this part says so and checks nothing.
   2. Everywhere (pc, q35, microvm, our monitor): MSIs are numbered from
      X64_MSI_IRQ_FIRST up, one after another, clear of every IOAPIC pin
      and of the soft and timer irqs; the message is the one SDM vol. 3,
      11.11 defines for this CPU (address 0xFEE00000 | APIC ID << 12; data
      the vector 0x30 + irq, delivery mode fixed, edge); unmask and mask
      say yes to a number handed out, no to one not yet; a self-IPI to it
      runs its handler once, nothing masking it; 112 are handed out in
      all (irqs 0x40..0xaf), then no more.

   The device is programmed here by hand, the virtio 1.2 way (4.1.4.3 and
   3.1.1), with the spec's offsets written out: the test checks the
   platform, not a driver. SeaBIOS leaves bus mastering off (Linux's
   driver turns it on); without it QEMU drops both the device's ring
   writes and its MSI. */
// expect: msi-test: MSIs are irqs from 64 on, each its own vector, clear of every pin
// expect: msi-test: the message is SDM 11.11's: 0xfee00000 | APIC ID << 12, data the vector
// expect: msi-test: unmask and mask take an MSI handed out, not one to come
// expect: msi-test: a self-IPI to an MSI ran its handler once
// expect: msi-test: 112 MSIs in all (irqs 64..175), then none
// expect: ktest-x64-msi: pass
// expect-status: 0
#include "ktest.h"
#include "pci.h"

/* virtio 1.2: PCI IDs (4.1.2.1), capability (4.1.4), common configuration
   (4.1.4.3), device status (2.1), the ISR's queue bit (4.1.4.5), and
   VIRTIO_F_VERSION_1 (6). */
#define VIRTIO_VENDOR        0x1af4u
#define VIRTIO_RNG_MODERN    0x1044u   /* 0x1040 + device ID 4, entropy */
#define CAP_VENDOR           0x09u
#define CAP_CFG_TYPE         3u
#define CAP_BAR              4u
#define CAP_OFFSET           8u
#define CAP_NOTIFY_MULT      16u
#define CFG_COMMON           1u
#define CFG_NOTIFY           2u
#define CFG_ISR              3u
#define COMMON_DF_SELECT     0x00u
#define COMMON_DF            0x04u
#define COMMON_GF_SELECT     0x08u
#define COMMON_GF            0x0cu
#define COMMON_STATUS        0x14u
#define COMMON_Q_SELECT      0x16u
#define COMMON_Q_SIZE        0x18u
#define COMMON_Q_MSIX        0x1au
#define COMMON_Q_ENABLE      0x1cu
#define COMMON_Q_NOTIFY_OFF  0x1eu
#define COMMON_Q_DESC        0x20u
#define COMMON_Q_DRIVER      0x28u
#define COMMON_Q_DEVICE      0x30u
#define STATUS_ACK           1u
#define STATUS_DRIVER        2u
#define STATUS_DRIVER_OK     4u
#define STATUS_FEATURES_OK   8u
#define ISR_QUEUE            1u
#define NO_VECTOR            0xffffu
#define QSIZE                8u

static pci_drv d;
static uint32_t rng = UINT32_MAX;
static uint64_t bars[PCI_BAR_COUNT];
static uintptr_t common, notify, isr;
static uint32_t notify_mult;

static struct { uint64_t addr; uint32_t len; uint16_t flags, next; } desc[QSIZE]
    __attribute__((aligned(16)));
static struct { uint16_t flags, idx, ring[QSIZE], used_event; } avail __attribute__((aligned(4)));
static struct {
    uint16_t flags, idx;
    struct { uint32_t id, len; } ring[QSIZE];
    uint16_t avail_event;
} used __attribute__((aligned(4)));
static uint8_t entropy[16];

static uint8_t rd8(uintptr_t a) { return *(volatile uint8_t *)a; }
static uint16_t rd16(uintptr_t a) { return *(volatile uint16_t *)a; }
static uint32_t rd32(uintptr_t a) { return *(volatile uint32_t *)a; }
static void wr8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static void wr16(uintptr_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static void wr32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

static void wr64(uintptr_t a, uint64_t v)
{
    wr32(a, (uint32_t)v);
    wr32(a + 4, (uint32_t)(v >> 32));
}

static void found(void *ctx, uint32_t bdf, uint16_t vendor, uint16_t device, uint8_t type)
{
    (void)ctx;
    (void)type;
    if (vendor == VIRTIO_VENDOR && device == VIRTIO_RNG_MODERN && rng == UINT32_MAX)
        rng = bdf;
}

/* The BARs, as the firmware left them: each implemented one printed. */
static void read_bars(void)
{
    for (unsigned b = 0; b < PCI_BAR_COUNT; b++) {
        uint64_t base, size;
        uint32_t flags;
        int n = pci_drv_bar_size(&d, rng, b, &base, &size, &flags);

        if (n > 0 && size) {
            bars[b] = base;
            kprintf("msi-test: BAR%u: 0x%llx bytes at 0x%llx%s\n", b, (unsigned long long)size,
                    (unsigned long long)base, flags & PCI_BAR_IO ? " (I/O)" : "");
            check(base != 0, "a BAR the firmware left at 0");
        }
        b += n == 2;
    }
}

/* The common, notify and ISR structures, from the vendor capabilities. */
static void find_structures(void)
{
    uint8_t cap = 0;

    for (unsigned i = 0; i < PCI_CAP_MAX_STEPS; i++) {
        unsigned type, bar;
        uintptr_t at;

        if (!(cap = pci_drv_find_cap(&d, rng, CAP_VENDOR, cap)))
            break;
        type = d.read(d.ctx, rng, (uint16_t)(cap + CAP_CFG_TYPE), 1);
        bar = d.read(d.ctx, rng, (uint16_t)(cap + CAP_BAR), 1);
        if (bar >= PCI_BAR_COUNT || !bars[bar])
            continue;
        at = (uintptr_t)(bars[bar] + d.read(d.ctx, rng, (uint16_t)(cap + CAP_OFFSET), 4));
        if (type == CFG_COMMON && !common)
            common = at;
        else if (type == CFG_NOTIFY && !notify) {
            notify = at;
            notify_mult = d.read(d.ctx, rng, (uint16_t)(cap + CAP_NOTIFY_MULT), 4);
        } else if (type == CFG_ISR && !isr)
            isr = at;
    }
    check(common && notify && isr, "the virtio structures are not all in assigned BARs");
}

/* Reset, accept VIRTIO_F_VERSION_1 alone, queue 0 of QSIZE on the rings
   above with MSI-X vector `vector`, DRIVER_OK. */
static bool start_device(uint16_t vector)
{
    unsigned i;

    wr8(common + COMMON_STATUS, 0);
    for (i = 0; i < 1000000 && rd8(common + COMMON_STATUS); i++)
        ;
    wr8(common + COMMON_STATUS, STATUS_ACK | STATUS_DRIVER);
    wr32(common + COMMON_DF_SELECT, 1);
    if (!(rd32(common + COMMON_DF) & 1))            /* bit 32: VERSION_1 */
        return false;
    wr32(common + COMMON_GF_SELECT, 0);
    wr32(common + COMMON_GF, 0);
    wr32(common + COMMON_GF_SELECT, 1);
    wr32(common + COMMON_GF, 1);
    wr8(common + COMMON_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
    if (!(rd8(common + COMMON_STATUS) & STATUS_FEATURES_OK))
        return false;
    avail.idx = used.idx = 0;
    wr16(common + COMMON_Q_SELECT, 0);
    wr16(common + COMMON_Q_SIZE, QSIZE);
    wr16(common + COMMON_Q_MSIX, vector);
    if (rd16(common + COMMON_Q_MSIX) != vector)
        return false;
    wr64(common + COMMON_Q_DESC, (uintptr_t)desc);
    wr64(common + COMMON_Q_DRIVER, (uintptr_t)&avail);
    wr64(common + COMMON_Q_DEVICE, (uintptr_t)&used);
    wr16(common + COMMON_Q_ENABLE, 1);
    wr8(common + COMMON_STATUS,
        STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    return true;
}

/* One request for entropy: the buffer, device-writable, and a kick. */
static void request(void)
{
    desc[0].addr = (uintptr_t)entropy;
    desc[0].len = sizeof entropy;
    desc[0].flags = 2;                              /* VIRTQ_DESC_F_WRITE */
    avail.ring[avail.idx % QSIZE] = 0;
    platform_barrier();
    avail.idx++;
    platform_barrier();
    wr16(notify + rd16(common + COMMON_Q_NOTIFY_OFF) * notify_mult, 0);
}

static unsigned intx_calls, msi_calls, isr_seen;

static void on_intx(void *ctx, unsigned irq)
{
    (void)ctx;
    (void)irq;
    intx_calls++;
    isr_seen = rd8(isr);                            /* reading it deasserts INTx */
}

static void on_msi(void *ctx, unsigned irq)
{
    (void)ctx;
    (void)irq;
    msi_calls++;
}

static bool intx_came(void *ctx)
{
    (void)ctx;
    return intx_calls > 0;
}

static bool msi_came(void *ctx)
{
    return msi_calls >= *(unsigned *)ctx;
}

static void intx_round(void)
{
    unsigned pin = d.read(d.ctx, rng, PCI_INTERRUPT_PIN, 1);
    unsigned line = d.read(d.ctx, rng, PCI_INTERRUPT_LINE, 1);
    int gsi = platform_pci_intx(&d, rng, pin);
    bool low = true, level = false;

    check(pin >= 1 && pin <= 4, "no interrupt pin");
    check(gsi >= 0, "platform_pci_intx found no route");
    if (gsi < 0)
        return;
    check((unsigned)gsi == (line < 16 ? x64_isa_gsi(line) : line),
          "the GSI is not the interrupt line's");
    check(x64_irq_mode((unsigned)gsi, &low, &level) && level, "the GSI is edge-triggered");
    kprintf("msi-test: INTx: pin %u, interrupt line %u, GSI %d, %s-triggered, active %s\n", pin,
            line, gsi, level ? "level" : "edge", low ? "low" : "high");
    check(start_device(NO_VECTOR), "the device refused its setup (INTx)");
    check(kernel_irq_register((unsigned)gsi, on_intx, 0), "the GSI would not register");
    request();
    run_until(intx_came, 0, 2000);
    check(intx_calls == 1 && (isr_seen & ISR_QUEUE), "no queue interrupt on the GSI");
    check(used.idx == 1 && used.ring[0].len > 0 && used.ring[0].len <= sizeof entropy,
          "the request did not complete");
    run_for(50);
    check(intx_calls == 1, "INTx came again after the ISR was read");
    if (intx_calls == 1 && used.idx == 1)
        kprintf("msi-test: INTx: the request completed with one interrupt on GSI %d\n", gsi);
    kernel_irq_off((unsigned)gsi);
}

static void msi_round(const pci_drv_msix *x)
{
    unsigned irq, two = 2, one = 1;
    uint64_t address;
    uint32_t data;
    volatile void *table = (volatile void *)(uintptr_t)(bars[x->table_bar] + x->table_off);

    check(platform_msi_alloc(&irq, &address, &data), "no MSI for the device");
    pci_drv_msix_entry(table, 0, address, data, false);
    pci_drv_msix_enable(&d, rng, x, true);
    check(start_device(0), "the device refused MSI-X vector 0");
    check(kernel_irq_register(irq, on_msi, 0), "the MSI would not register");
    request();
    run_until(msi_came, &one, 2000);
    check(msi_calls == 1 && used.idx == 1, "the first request raised no MSI");
    request();
    run_until(msi_came, &two, 2000);
    check(msi_calls == 2 && used.idx == 2, "the second request raised no MSI");
    check(intx_calls == 1, "INTx came with MSI-X on");
    if (msi_calls == 2 && used.idx == 2)
        kprintf("msi-test: MSI-X: two requests, two interrupts on irq %u (vector 0x%x)\n", irq,
                data & 0xff);
    pci_drv_msix_enable(&d, rng, x, false);
    wr8(common + COMMON_STATUS, 0);
}

static void device_part(void)
{
    pci_drv_msix x;

    if (!platform_pci(&d) || (pci_drv_scan(&d, found, 0), rng == UINT32_MAX)) {
        kprintf("msi-test: no virtio-rng-pci: the device rounds are not run\n");
        return;
    }
    kprintf("msi-test: virtio-rng-pci at %02x:%02x.%u\n", (unsigned)PCI_BDF_BUS(rng),
            (unsigned)PCI_BDF_DEV(rng), (unsigned)PCI_BDF_FN(rng));
    d.write(d.ctx, rng, PCI_COMMAND, 2, d.read(d.ctx, rng, PCI_COMMAND, 2) | PCI_COMMAND_MASTER);
    read_bars();
    check(pci_drv_msix_find(&d, rng, &x), "no MSI-X capability");
    kprintf("msi-test: MSI-X: %u vectors, table in BAR%u at 0x%x\n", x.vectors, x.table_bar,
            x.table_off);
    find_structures();
    if (!common || !notify || !isr || !bars[x.table_bar])
        return;
    intx_round();
    msi_round(&x);
}

/* --- every target ----------------------------------------------------- */

static unsigned soft_calls;

static void on_soft(void *ctx, unsigned irq)
{
    (void)ctx;
    (void)irq;
    soft_calls++;
}

static bool soft_came(void *ctx)
{
    (void)ctx;
    return soft_calls > 0;
}

_Noreturn void kmain(const struct boot_info *bi)
{
    unsigned irq, next, n = 0, first;
    uint64_t address;
    uint32_t data;
    bool low, level, ok;

    kernel_init(bi);
    device_part();

    check(platform_msi_alloc(&irq, &address, &data), "no MSI at all");
    check(platform_msi_alloc(&next, &address, &data), "no second MSI");
    ok = irq >= X64_MSI_IRQ_FIRST && next == irq + 1 && next < PLATFORM_SOFT_IRQ &&
         !x64_irq_mode(irq, &low, &level) && !x64_irq_mode(next, &low, &level);
    check(ok, "the MSI numbers are not 64 on, in a row, clear of every pin");
    if (ok)
        kprintf("msi-test: MSIs are irqs from 64 on, each its own vector, clear of every pin\n");
    ok = address == (0xfee00000u | (uint64_t)lapic_id() << 12) && data == 0x30u + next;
    check(ok, "the MSI message is not the SDM's");
    kprintf("msi-test: irq %u: address 0x%llx, data 0x%x\n", next, (unsigned long long)address,
            data);
    if (ok)
        kprintf("msi-test: the message is SDM 11.11's: 0xfee00000 | APIC ID << 12, data the "
                "vector\n");

    ok = platform_irq_unmask(next) && platform_irq_mask(next) && !platform_irq_unmask(next + 1) &&
         !platform_irq_mask(next + 1);
    check(ok, "unmask/mask on MSI numbers");
    if (ok)
        kprintf("msi-test: unmask and mask take an MSI handed out, not one to come\n");

    check(kernel_irq_register(next, on_soft, 0), "the MSI would not register");
    check(platform_irq_trigger(next), "no self-IPI to the MSI's vector");
    run_until(soft_came, 0, 1000);
    run_for(20);
    check(soft_calls == 1, "the self-IPI did not run the handler exactly once");
    if (soft_calls == 1)
        kprintf("msi-test: a self-IPI to an MSI ran its handler once\n");

    first = X64_MSI_IRQ_FIRST;
    n = next - first + 1;                   /* those handed out so far, the device's too */
    for (unsigned i = 0; i < 200 && platform_msi_alloc(&irq, &address, &data); i++)
        n++, next = irq;
    ok = n == 112 && next == 0xaf && !platform_msi_alloc(&irq, &address, &data);
    check(ok, "not 112 MSIs, ending at irq 175");
    kprintf("msi-test: %u MSIs handed out, the last irq %u\n", n, next);
    if (ok)
        kprintf("msi-test: 112 MSIs in all (irqs 64..175), then none\n");
    ktest_end("ktest-x64-msi");
}
