/* buses.c - section 8 of arch/common/platform.h on QEMU virt (arm32): where
   the devices are, from the device tree QEMU left at the base of RAM. The
   same board as arm64's, so the same answers: PCI is the
   "pci-host-ecam-generic" host bridge (arch/common/pci.c assigns its BARs),
   and its INTx lines and the virtio-mmio windows' interrupts are GIC SPIs.

   One thing differs: a 32-bit CPU with the MMU off reaches only the low
   4 GiB, and `virt` puts its ECAM and its 64-bit window above them unless
   started with highmem=off (tests/boot does), which leaves the ECAM at
   0x3f000000 and no 64-bit window. A window above 4 GiB is left unused. */
#include "../common/fdt.h"
#include "../common/platform.h"

/* The GIC binding: <type number flags>, type 0 an SPI, INTID 32 + number
   (IHI 0048B, "Interrupt IDs"; Linux's arm,gic binding, which QEMU
   writes). */
static bool is_gic(int node)
{
    return fdt_is_compatible(arm32_fdt, node, "arm,cortex-a15-gic") ||
           fdt_is_compatible(arm32_fdt, node, "arm,gic-400") ||
           fdt_is_compatible(arm32_fdt, node, "arm,gic-v3");
}

/* The INTID of an SPI specifier, made level-sensitive, or -1: PCI INTx is
   a level (PCI 3.0, 2.2.6), and so is a virtio-mmio transport's line
   whatever virt's tree says (see arm64's buses.c and book/porting.md). */
static int spi(const struct fdt_irq *irq)
{
    unsigned intid;

    if (irq->cells != 3 || !is_gic(irq->controller) || irq->cell[0] != 0 ||
        irq->cell[1] >= PLATFORM_IRQ_MAX - 32)
        return -1;
    intid = 32 + irq->cell[1];
    return gic_set_level(intid) ? (int)intid : -1;
}

bool platform_pci(struct pci_drv *out)
{
    return fdt_board_pci(arm32_fdt, out);
}

int platform_pci_intx(const struct pci_drv *d, uint32_t bdf, unsigned pin)
{
    struct fdt_irq irq;

    (void)d;    /* there is one host bridge, the one platform_pci() gave */
    return fdt_board_pci_intx(arm32_fdt, bdf, pin, &irq) ? spi(&irq) : -1;
}

/* virt's GICv2m frame is in the tree, but not driven: INTx only. */
bool platform_msi_alloc(unsigned *irq, uint64_t *address, uint32_t *data)
{
    (void)irq, (void)address, (void)data;
    return false;
}

unsigned platform_virtio_mmio(struct platform_mmio *out, unsigned max)
{
    return fdt_board_virtio_mmio(arm32_fdt, out, max, spi, "GIC SPI");
}
