/* buses.c - section 8 of arch/common/platform.h on QEMU virt (rv64):
   where the devices are, from the device tree OpenSBI handed us. PCI is
   the "pci-host-ecam-generic" host bridge (arch/common/pci.c does the
   ECAM and BAR work for arm64 and rv64 alike); its INTx lines and the
   virtio-mmio windows' interrupts are PLIC sources. */
#include "../common/fdt.h"
#include "../common/platform.h"
#include "arch.h"

//! [rv64-source]
/* The PLIC binding (riscv,plic0; QEMU writes sifive,plic-1.0.0 too): one
   cell, the source number. Nothing is programmed for the trigger: the
   PLIC spec leaves level or edge to each source's gateway, fixed by the
   platform ("Interrupt Gateways"), and QEMU's gateways are levels, which
   both PCI INTx and a virtio-mmio transport's line are. */
static int source(const struct fdt_irq *irq)
{
    if (irq->cells != 1 || !(fdt_is_compatible(rv64_fdt, irq->controller, "riscv,plic0") ||
                             fdt_is_compatible(rv64_fdt, irq->controller, "sifive,plic-1.0.0")))
        return -1;
    return irq->cell[0] >= 1 && irq->cell[0] <= PLIC_SOURCES ? (int)irq->cell[0] : -1;
}
//! [rv64-source]

bool platform_pci(struct pci_drv *out)
{
    return fdt_board_pci(rv64_fdt, out);
}

int platform_pci_intx(const struct pci_drv *d, uint32_t bdf, unsigned pin)
{
    struct fdt_irq irq;

    (void)d;    /* there is one host bridge, the one platform_pci() gave */
    return fdt_board_pci_intx(rv64_fdt, bdf, pin, &irq) ? source(&irq) : -1;
}

/* MSIs on RISC-V go to an IMSIC (the Advanced Interrupt Architecture):
   virt has one only with -M virt,aia=aplic-imsic, and the plain PLIC we
   drive has no way to take a message. So drivers take INTx. */
bool platform_msi_alloc(unsigned *irq, uint64_t *address, uint32_t *data)
{
    (void)irq, (void)address, (void)data;
    return false;
}

unsigned platform_virtio_mmio(struct platform_mmio *out, unsigned max)
{
    return fdt_board_virtio_mmio(rv64_fdt, out, max, source, "PLIC source");
}
