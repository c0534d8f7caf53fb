/* pci.c - the kernel's one copy of hdr/pci.h's code (stb style: the
   header's functions are compiled in exactly one file), and PCI on the
   boards that describe it in a devicetree: arm64 and rv64 QEMU `virt`,
   whose platform_pci() and platform_pci_intx() are the two fdt_board_*
   functions here with the arch's own blob.

   Booted with -kernel, nothing ran before us on those boards: no firmware
   gave a BAR an address or turned on a decoder. So the first call does
   what firmware does on a PC: it reaches configuration space through the
   host bridge's ECAM window, walks every bus, and gives every function's
   BARs addresses from the windows the bridge forwards (its "ranges").
   PCI-to-PCI bridges are not configured (no bus numbers, no forwarding
   windows): `virt` has none unless a -device adds one. */
#include "fdt.h"
#include "kernel.h"

#define PCI_IMPLEMENTATION
#include "pci.h"

#define IO_SKIP 0x1000u /* I/O addresses below this are not handed out */

static struct fdt_pci_host host;
static pci_drv_ecam ecam;
static bool tried, present;
static uint32_t bridge_to[256];  /* bus -> bdf + 1 of the bridge to it; 0: none */

/* --- configuration space through ECAM ------------------------------------- */

/* pci.h asks for 1, 2 or 4 bytes inside one dword. A 2-byte access at an
   odd address is one of those, and on arm64 with the MMU off (all memory
   Device memory) an unaligned load faults, so it reads as nothing. */
static uint32_t ecam_load(void *ctx, uint64_t addr, unsigned width)
{
    uintptr_t a = (uintptr_t)addr;

    (void)ctx;
    if (width == 1)
        return *(volatile uint8_t *)a;
    if (width == 2)
        return addr & 1 ? 0xffffu : *(volatile uint16_t *)a;
    return *(volatile uint32_t *)a;
}

static void ecam_store(void *ctx, uint64_t addr, unsigned width, uint32_t v)
{
    uintptr_t a = (uintptr_t)addr;

    (void)ctx;
    if (width == 1)
        *(volatile uint8_t *)a = (uint8_t)v;
    else if (width == 2 && !(addr & 1))
        *(volatile uint16_t *)a = (uint16_t)v;
    else if (width == 4)
        *(volatile uint32_t *)a = v;
}

/* --- the windows BARs come from ------------------------------------------ */

//! [fdt-pci-windows]
/* pci_drv_assign() hands out PCI bus addresses, which is what a BAR holds.
   The contract promises a memory BAR usable at its physical address, so a
   memory window whose CPU address differs from its PCI address is left
   unused (on `virt` they are equal). I/O space is different by nature: it
   is a separate 64 KiB address space that these boards map into memory,
   so an I/O BAR's value is a PCI I/O address and the CPU reaches it at
   io.cpu + (bar - io.pci). The first 4 KiB of I/O space are left out, as
   Linux does on arm64 (PCIBIOS_MIN_IO): legacy devices claim ports there
   without BARs, and much software takes a BAR of 0 for "unassigned". */
static pci_drv_window window(const struct fdt_pci_window *f, const char *what, bool io)
{
    if (!f->size)
        return (pci_drv_window){ 0, 0, 0 };
    if (io)
        return (pci_drv_window){ f->pci, f->size, f->size > IO_SKIP ? f->pci + IO_SKIP : f->pci };
    if (f->pci != f->cpu) {
        kprintf("pci: the %s window at PCI 0x%llx is at CPU 0x%llx: left unused\n", what,
                (unsigned long long)f->pci, (unsigned long long)f->cpu);
        return (pci_drv_window){ 0, 0, 0 };
    }
    return (pci_drv_window){ f->pci, f->size, f->pci };
}
//! [fdt-pci-windows]

static void print_window(const char *what, const struct fdt_pci_window *w)
{
    if (w->size)
        kprintf("pci:   %s 0x%llx-0x%llx at CPU 0x%llx\n", what, (unsigned long long)w->pci,
                (unsigned long long)(w->pci + (w->size - 1)), (unsigned long long)w->cpu);
}

/* --- the first call: every function gets its BARs ------------------------- */

struct assign {
    const pci_drv *d;
    pci_drv_windows w;
    unsigned functions, bars, full;
};

/* A bridge numbered by someone before us leads to its secondary bus; what
   sits there swizzles its INTx pins through it (fdt_board_pci_intx). */
static void note_bridge(const pci_drv *d, uint32_t bdf)
{
    unsigned sec = d->read(d->ctx, bdf, PCI_SECONDARY_BUS, 1) & 255u;

    if (sec != PCI_BDF_BUS(bdf) && !bridge_to[sec])
        bridge_to[sec] = bdf + 1;
    kprintf("pci: %02x:%02x.%u is a PCI-to-PCI bridge: not configured, what is behind it "
            "is not reached\n", (unsigned)PCI_BDF_BUS(bdf), (unsigned)PCI_BDF_DEV(bdf),
            (unsigned)PCI_BDF_FN(bdf));
}

//! [fdt-pci-assign]
/* Called by pci_drv_scan() for each function it finds. A host bridge
   (class 06 00) is the bridge itself, not a device behind it. */
static void assign_one(void *ctx, uint32_t bdf, uint16_t vendor, uint16_t device,
                       uint8_t type)
{
    struct assign *a = ctx;
    uint32_t class = a->d->read(a->d->ctx, bdf, PCI_CLASS_DEVICE, 2);
    int n;

    a->functions++;
    if ((type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE) {
        note_bridge(a->d, bdf);
        return;
    }
    if ((type & PCI_HEADER_TYPE_MASK) != PCI_HEADER_TYPE_NORMAL || class == 0x0600)
        return;
    n = pci_drv_assign(a->d, bdf, &a->w);
    if (n >= 0) {
        a->bars += (unsigned)n;
        return;
    }
    a->full++;
    kprintf("pci: %02x:%02x.%u %04x:%04x: %s, not enabled\n",
            (unsigned)PCI_BDF_BUS(bdf), (unsigned)PCI_BDF_DEV(bdf), (unsigned)PCI_BDF_FN(bdf),
            vendor, device,
            n == PCI_EDEVICE ? "a BAR did not keep its address" : "no room left for its BARs");
}
//! [fdt-pci-assign]

/* The ECAM window covers 1 MiB per bus from bus_start; a bus-range that
   asks for more buses than the window holds is cut to fit. */
static bool bring_up(const void *blob)
{
    struct assign a = { 0 };
    pci_drv d;
    uint64_t buses;

    if (!blob || !fdt_pci_host(blob, &host))
        return false;
    buses = host.ecam_size / PCI_ECAM_BUS_SIZE;
    if (buses == 0) {
        kprintf("pci: the ECAM window at 0x%llx is smaller than one bus\n",
                (unsigned long long)host.ecam);
        return false;
    }
    if (host.bus_end - host.bus_start >= buses)
        host.bus_end = host.bus_start + (unsigned)buses - 1;
    ecam = (pci_drv_ecam){ ecam_load, ecam_store, 0, host.ecam, (uint8_t)host.bus_start,
                           (uint8_t)host.bus_end };
    pci_drv_use_ecam(&d, &ecam);
    kprintf("pci: ECAM at 0x%llx, buses %02x-%02x, windows:\n", (unsigned long long)host.ecam,
            host.bus_start, host.bus_end);
    print_window("I/O", &host.io);
    print_window("32-bit memory", &host.mem32);
    print_window("64-bit memory", &host.mem64);
    a.d = &d;
    a.w.io = window(&host.io, "I/O", true);
    a.w.mem32 = window(&host.mem32, "32-bit memory", false);
    a.w.mem64 = window(&host.mem64, "64-bit memory", false);
    pci_drv_scan(&d, assign_one, &a);
    kprintf("pci: %u function(s), %u BAR(s) assigned%s\n", a.functions, a.bars,
            a.full ? ", some left off" : "");
    return true;
}

bool fdt_board_pci(const void *blob, struct pci_drv *out)
{
    if (!tried) {
        tried = true;
        present = bring_up(blob);
    }
    if (present)
        pci_drv_use_ecam(out, &ecam);
    return present;
}

//! [fdt-pci-intx]
/* Up to the host bridge's bus, swizzling the pin at each bridge on the way
   (at most 256 of them, however the bridges claim to be chained), then
   the interrupt-map, which on `virt` does the last swizzle itself: it is
   indexed by device number and pin. */
bool fdt_board_pci_intx(const void *blob, uint32_t bdf, unsigned pin, struct fdt_irq *irq)
{
    if (!present || pin < 1 || pin > 4 || bdf > 0xffffu)
        return false;
    for (unsigned hops = 0; PCI_BDF_BUS(bdf) != host.bus_start; hops++) {
        uint32_t up = bridge_to[PCI_BDF_BUS(bdf)];

        if (!up || hops == 256)
            return false;
        pin = pci_swizzle(PCI_BDF_DEV(bdf), pin) + 1;
        bdf = up - 1;
    }
    return fdt_pci_intx(blob, host.node, bdf, pin, irq);
}
//! [fdt-pci-intx]
