/* ktest-x64-pci.c - the x64 kernel walks PCI bus 0 through configuration
   mechanism #1 (ports 0xCF8/0xCFC) with hdr/pci.h's driver, on QEMU's pc
   machine (440FX and PIIX3) and on our monitor (the host bridge and the
   virtio functions at 00:03.0 and 00:04.0):
   1. a host bridge answers at 00:00.0, an Intel one on both machines
      (8086:1237 on QEMU's pc, 8086:29c0 on ours), class 06 00;
   2. every function found has a vendor ID that is not all-ones, and the
      scan ends (each bus at most once);
   3. a configuration write the spec makes read-only (the vendor ID)
      changes nothing.
   Each function is printed with its IDs and class. */
// expect: pci-test: 00:00.0 8086:
// expect: pci-test: the host bridge is at 00:00.0, class 06 00
// expect: pci-test: every function found answers with a vendor ID
// expect: pci-test: the vendor ID is read-only
// expect: ktest-x64-pci: pass
// expect-status: 0
#include "ktest.h"

#define PCI_STATIC
#define PCI_IMPLEMENTATION
#include "pci.h"

/* Mechanism #1 needs 1-, 2- and 4-byte port accesses. */
static uint32_t port_in(void *ctx, uint16_t port, unsigned width)
{
    (void)ctx;
    return width == 4 ? inl(port) : width == 2 ? inw(port) : inb(port);
}

static void port_out(void *ctx, uint16_t port, unsigned width, uint32_t v)
{
    (void)ctx;
    if (width == 4)
        __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
    else if (width == 2)
        outw(port, (uint16_t)v);
    else
        outb(port, (uint8_t)v);
}

static unsigned absent, functions;

static void found(void *ctx, uint32_t bdf, uint16_t vendor, uint16_t device, uint8_t type)
{
    const pci_drv *d = ctx;
    uint32_t class = d->read(d->ctx, bdf, PCI_REVISION_ID, 4) >> 8;

    functions++;
    absent += vendor == 0xffff;
    kprintf("pci-test: %02x:%02x.%u %04x:%04x class %06x header type 0x%02x\n",
            (unsigned)PCI_BDF_BUS(bdf), (unsigned)PCI_BDF_DEV(bdf), (unsigned)PCI_BDF_FN(bdf),
            vendor, device, (unsigned)class, type);
}

_Noreturn void kmain(const struct boot_info *bi)
{
    static pci_drv_cam1 cam = { port_in, port_out, 0 };
    static pci_drv d;
    uint32_t id, class;

    kernel_init(bi);
    pci_drv_use_cam1(&d, &cam);
    check(pci_drv_scan(&d, found, &d) > 0, "the scan found nothing");
    id = d.read(d.ctx, PCI_BDF(0, 0, 0), PCI_VENDOR_ID, 4);
    class = d.read(d.ctx, PCI_BDF(0, 0, 0), PCI_CLASS_DEVICE, 2);
    check((id & 0xffff) == 0x8086, "no Intel host bridge at 00:00.0");
    check(class == 0x0600, "00:00.0 is not a host bridge");
    if ((id & 0xffff) == 0x8086 && class == 0x0600)
        kprintf("pci-test: the host bridge is at 00:00.0, class 06 00\n");
    check(functions > 0 && absent == 0, "a function without a vendor ID");
    if (functions > 0 && absent == 0)
        kprintf("pci-test: every function found answers with a vendor ID (%u)\n", functions);
    d.write(d.ctx, PCI_BDF(0, 0, 0), PCI_VENDOR_ID, 2, 0x1234);
    check(d.read(d.ctx, PCI_BDF(0, 0, 0), PCI_VENDOR_ID, 4) == id, "the IDs changed");
    if (d.read(d.ctx, PCI_BDF(0, 0, 0), PCI_VENDOR_ID, 4) == id)
        kprintf("pci-test: the vendor ID is read-only\n");
    ktest_end("ktest-x64-pci");
}
