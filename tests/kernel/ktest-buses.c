/* ktest-buses.c - the kernel finds its buses through section 8 of
   arch/common/platform.h ("Where the devices are"), on every board:
   1. platform_pci() gives configuration access, and a host bridge
      answers at 00:00.0 (class 06 00);
   2. every function found answers with a vendor ID, and every BAR of a
      type-0 function holds an address (the firmware's on x64, the one
      platform_pci() gave on arm64 and rv64), its kind is decoded, and no
      two BARs of one kind overlap;
   3. a second platform_pci() leaves every BAR as it was;
   4. every INTx pin routes to a line the interrupt controller has, or
      to none (-1);
   5. the virtio-mmio windows come in address order without overlapping,
      each on a line the controller has and with the transport's magic
      ("virt") and a version (1 legacy, 2 modern) in its first registers.
   Each function, BAR and window is printed, so booting it with an extra
   -device shows where that device landed (book/porting.md). */
// expect: buses: pci 00:00.0
// expect: buses: the host bridge is at 00:00.0, class 06 00
// expect: buses: every function answers with a vendor ID
// expect: buses: every BAR has an address, is decoded and overlaps no other
// expect: buses: a second platform_pci() leaves the BARs alone
// expect: buses: every INTx pin routes to a controller line or to none
// expect: buses: the virtio-mmio windows are in address order, each with the magic
// expect: ktest-buses: pass
// expect-status: 0
#include "ktest.h"
#include "pci.h"

#define MAX_BARS    64u
#define MAX_WINDOWS 64u
#define VIRTIO_MMIO_MAGIC 0x74726976u   /* "virt" little-endian (virtio 1.2, 4.2.2) */

struct bar {
    uint32_t bdf;
    unsigned index;
    uint64_t base, size;
    uint32_t flags;
};

static pci_drv d;
static struct bar bars[MAX_BARS];
static unsigned nbars, functions, absent, unaddressed, undecoded, bad_intx;

static uint32_t cfg(uint32_t bdf, unsigned reg, unsigned width)
{
    return d.read(d.ctx, bdf, (uint16_t)reg, width);
}

static const char *kind(uint32_t flags)
{
    if (flags & PCI_BAR_IO)
        return "io";
    return (flags & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64 ? "mem64" : "mem32";
}

/* Every BAR of a type-0 function: its address, size and kind, and whether
   the command register decodes that kind. */
static void list_bars(uint32_t bdf)
{
    uint32_t cmd = cfg(bdf, PCI_COMMAND, 2);

    for (unsigned b = 0; b < PCI_BAR_COUNT; b++) {
        struct bar r = { bdf, b, 0, 0, 0 };
        int used = pci_drv_bar_size(&d, bdf, b, &r.base, &r.size, &r.flags);
        uint32_t on = r.flags & PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;

        if (used <= 0)
            continue;
        kprintf("buses:   bar%u %s%s 0x%llx size 0x%llx%s\n", b, kind(r.flags),
                r.flags & PCI_BAR_PREFETCH ? " prefetchable" : "", (unsigned long long)r.base,
                (unsigned long long)r.size, cmd & on ? "" : " (not decoded)");
        unaddressed += r.base == 0;
        undecoded += !(cmd & on);
        if (nbars < MAX_BARS)
            bars[nbars++] = r;
        b += (unsigned)used - 1;
    }
}

/* INTx: the pin the function uses (0: none) and where it goes. */
static void show_intx(uint32_t bdf)
{
    unsigned pin = cfg(bdf, PCI_INTERRUPT_PIN, 1) & 255u;
    int irq;

    if (pin == 0)
        return;
    irq = platform_pci_intx(&d, bdf, pin);
    kprintf("buses:   INT%c# -> irq %d\n", pin >= 1 && pin <= 4 ? "?ABCD"[pin] : '?', irq);
    bad_intx += irq < -1 || (irq >= 0 && !platform_irq_mask((unsigned)irq));
}

static void found(void *ctx, uint32_t bdf, uint16_t vendor, uint16_t device, uint8_t type)
{
    uint32_t class = cfg(bdf, PCI_REVISION_ID, 4) >> 8;

    (void)ctx;
    functions++;
    absent += vendor == 0xffff;
    kprintf("buses: pci %02x:%02x.%u %04x:%04x class %06x header type 0x%02x command 0x%04x\n",
            (unsigned)PCI_BDF_BUS(bdf), (unsigned)PCI_BDF_DEV(bdf), (unsigned)PCI_BDF_FN(bdf),
            vendor, device, (unsigned)class, type, (unsigned)cfg(bdf, PCI_COMMAND, 2));
    if ((type & PCI_HEADER_TYPE_MASK) != PCI_HEADER_TYPE_NORMAL)
        return;
    list_bars(bdf);
    show_intx(bdf);
}

static bool overlap(const struct bar *a, const struct bar *b)
{
    bool io = a->flags & PCI_BAR_IO;

    if (io != !!(b->flags & PCI_BAR_IO))
        return false;                   /* separate address spaces */
    return a->base < b->base + b->size && b->base < a->base + a->size;
}

static void check_pci(void)
{
    unsigned overlaps = 0, moved = 0;
    uint32_t class;
    struct pci_drv again;

    check(pci_drv_scan(&d, found, 0) > 0, "the scan found nothing");
    class = cfg(PCI_BDF(0, 0, 0), PCI_CLASS_DEVICE, 2);
    check(class == 0x0600, "00:00.0 is not a host bridge");
    if (class == 0x0600)
        kprintf("buses: the host bridge is at 00:00.0, class 06 00\n");
    check(functions > 0 && absent == 0, "a function without a vendor ID");
    if (functions > 0 && absent == 0)
        kprintf("buses: every function answers with a vendor ID (%u)\n", functions);
    for (unsigned i = 0; i < nbars; i++)
        for (unsigned j = i + 1; j < nbars; j++)
            overlaps += overlap(&bars[i], &bars[j]);
    check(unaddressed == 0, "a BAR has no address");
    check(undecoded == 0, "a BAR's kind is not decoded");
    check(overlaps == 0, "two BARs overlap");
    if (unaddressed == 0 && undecoded == 0 && overlaps == 0)
        kprintf("buses: every BAR has an address, is decoded and overlaps no other (%u)\n", nbars);

    check(platform_pci(&again), "a second platform_pci() found no PCI");
    for (unsigned i = 0; i < nbars; i++) {
        uint64_t base = 0;

        pci_drv_bar_size(&d, bars[i].bdf, bars[i].index, &base, 0, 0);
        moved += base != bars[i].base;
    }
    check(moved == 0, "a second platform_pci() moved a BAR");
    if (moved == 0)
        kprintf("buses: a second platform_pci() leaves the BARs alone\n");
    check(bad_intx == 0, "an INTx pin routes to a line the controller does not have");
    if (bad_intx == 0)
        kprintf("buses: every INTx pin routes to a controller line or to none\n");
}

/* The transport's first three registers, 32-bit loads as the spec asks
   (virtio 1.2, 4.2.2): MagicValue, Version, DeviceID (0: no device). */
static uint32_t mmio_reg(uint64_t base, unsigned off)
{
    return *(volatile uint32_t *)(uintptr_t)(base + off);
}

static void check_mmio(void)
{
    static struct platform_mmio w[MAX_WINDOWS];
    unsigned n = platform_virtio_mmio(w, MAX_WINDOWS), bad = 0;

    for (unsigned i = 0; i < n; i++) {
        uint32_t magic = mmio_reg(w[i].base, 0), version = mmio_reg(w[i].base, 4);

        kprintf("buses: virtio-mmio 0x%llx size 0x%llx irq %u: magic 0x%08x version %u device %u\n",
                (unsigned long long)w[i].base, (unsigned long long)w[i].size, w[i].irq,
                (unsigned)magic, (unsigned)version, (unsigned)mmio_reg(w[i].base, 8));
        bad += magic != VIRTIO_MMIO_MAGIC || version < 1 || version > 2 ||
               !platform_irq_mask(w[i].irq) ||
               (i > 0 && (w[i].base < w[i - 1].base || w[i].base - w[i - 1].base < w[i - 1].size));
    }
    check(bad == 0, "a virtio-mmio window out of order, overlapping, or without the magic");
    if (bad == 0)
        kprintf("buses: the virtio-mmio windows are in address order, each with the magic (%u)\n",
                n);
}

_Noreturn void kmain(const struct boot_info *bi)
{
    kernel_init(bi);
    check(platform_pci(&d), "platform_pci() found no PCI");
    if (d.read)
        check_pci();
    check_mmio();
    ktest_end("ktest-buses");
}
