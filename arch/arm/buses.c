/* buses.c - section 8 of arch/common/platform.h on QEMU virt, for both Arm
   arches (arm64 and arm32 compile it; ARM_FDT, in each arch.h, names the
   tree pointer): where the devices are, from the device tree QEMU left at
   the base of RAM. PCI is the "pci-host-ecam-generic" host bridge
   (arch/common/pci.c does the ECAM and BAR work for every arch that has
   one); its INTx lines and the virtio-mmio windows' interrupts are GIC
   SPIs.

   One thing differs on arm32: a 32-bit CPU with the MMU off reaches only
   the low 4 GiB, and `virt` puts its ECAM and its 64-bit window above
   them unless started with highmem=off (tests/boot does), which leaves
   the ECAM at 0x3f000000 and no 64-bit window. A window above 4 GiB is
   left unused. */
#include "../common/fdt.h"
#include "../common/platform.h"

/* The GIC binding (Linux's arm,gic and arm,gic-v3, which QEMU writes):
   three cells, <type number flags>; type 0 is an SPI, INTID 32 + number
   (1 would be a PPI: per-CPU, never a device's here). */
static bool is_gic(int node)
{
    return fdt_is_compatible(ARM_FDT, node, "arm,cortex-a15-gic") ||
           fdt_is_compatible(ARM_FDT, node, "arm,gic-400") ||
           fdt_is_compatible(ARM_FDT, node, "arm,gic-v3");
}

//! [arm-spi]
/* The INTID of an SPI specifier, made level-sensitive, or -1. Both kinds
   of line we are asked about are levels whatever the tree's flags say:
   PCI INTx by definition (PCI 3.0, 2.2.6), and a virtio-mmio transport
   holds its line while InterruptStatus is nonzero (QEMU's raises and
   lowers it with the ISR bits), though virt's tree calls it edge rising.
   Level is also what the deferred path needs: the ISR masks the line and
   the loop unmasks it after the handler acknowledged the device. */
static int spi(const struct fdt_irq *irq)
{
    unsigned intid;

    if (irq->cells != 3 || !is_gic(irq->controller) || irq->cell[0] != 0 ||
        irq->cell[1] >= PLATFORM_IRQ_MAX - 32)
        return -1;
    intid = 32 + irq->cell[1];
    return gic_set_level(intid) ? (int)intid : -1;
}
//! [arm-spi]

bool platform_pci(struct pci_drv *out)
{
    return fdt_board_pci(ARM_FDT, out);
}

int platform_pci_intx(const struct pci_drv *d, uint32_t bdf, unsigned pin)
{
    struct fdt_irq irq;

    (void)d;    /* there is one host bridge, the one platform_pci() gave */
    return fdt_board_pci_intx(ARM_FDT, bdf, pin, &irq) ? spi(&irq) : -1;
}

/* Both of virt's MSI controllers are in the tree (msi-map names them):
   GICv2m, a frame that turns a write of an SPI number into that SPI, and
   on GICv3 the ITS, which turns a device's write into an LPI through
   tables in memory it must be given. Neither is driven yet, so drivers
   take INTx. */
bool platform_msi_alloc(unsigned *irq, uint64_t *address, uint32_t *data)
{
    (void)irq, (void)address, (void)data;
    return false;
}

unsigned platform_virtio_mmio(struct platform_mmio *out, unsigned max)
{
    return fdt_board_virtio_mmio(ARM_FDT, out, max, spi, "GIC SPI");
}
