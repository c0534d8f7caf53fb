/* hdr/pci.h alone: the driver, through mechanism #1 port hooks, against the
   header's own host bridge with one function the example builds at 00:03.0.
   The scan finds both; the driver then sizes the function's BAR, places it
   in a memory window, finds its MSI-X capability and swizzles its pin. */
#include <stdio.h>

//! [alone-pci]
#define PCI_IMPLEMENTATION
#include "pci.h"

static pci_model bus;                   /* about 33 KiB: not on the stack */

/* The driver's port I/O, onto the model's offsets (port - 0xCF8). */
static uint32_t in(void *ctx, uint16_t port, unsigned width)
{
    return (uint32_t)pci_model_read(ctx, port - PCI_PC_CONFIG_ADDRESS, width);
}
static void out(void *ctx, uint16_t port, unsigned width, uint32_t v)
{
    pci_model_write(ctx, port - PCI_PC_CONFIG_ADDRESS, width, v);
}
static void found(void *ctx, uint32_t bdf, uint16_t vendor, uint16_t device, uint8_t ht)
{
    pci_drv *d = ctx;
    uint32_t class = d->read(d->ctx, bdf, PCI_REVISION_ID, 4) >> 8;

    printf("%02x:%02x.%x %04x:%04x class %06x header %02x\n", (unsigned)PCI_BDF_BUS(bdf),
           (unsigned)PCI_BDF_DEV(bdf), (unsigned)PCI_BDF_FN(bdf), vendor, device,
           (unsigned)class, ht);
}

int main(void)
{
    static pci_function f;
    pci_drv_cam1 c = { in, out, &bus };
    pci_drv d;
    pci_drv_windows w = { { 0, 0, 0 }, { 0xfe000000u, 0x1000000u, 0xfe001000u }, { 0, 0, 0 } };
    uint32_t bdf = PCI_BDF(0, 3, 0), flags, bar, cmd, pin;
    uint64_t base, size;
    uint8_t msix;

    pci_model_init(&bus, NULL);         /* the host bridge at 00.0 */
    pci_function_init(&f, 0x1af4, 0x1000, 0x020000, 0);
    pci_function_bar(&f, 0, 0x4000, 0); /* 16 KiB of 32-bit memory */
    pci_function_irq(&f, 1);            /* INTA# */
    msix = pci_function_add_msix(&f, 4, 0, 0, 0, 0x800);
    if (!msix || pci_model_add(&bus, PCI_DEVFN(3, 0), &f) != 0)
        return puts("wrong: the builder refused"), 1;

    pci_drv_use_cam1(&d, &c);
    if (pci_drv_scan(&d, found, &d) != 2)
        return puts("wrong: the scan wants two functions"), 1;
    if (pci_drv_bar_size(&d, bdf, 0, &base, &size, &flags) != 1 || base || size != 0x4000 ||
        flags != 0)
        return puts("wrong: BAR 0 is 16 KiB of 32-bit memory at 0"), 1;
    printf("BAR 0: %llu KiB, %s\n", (unsigned long long)size >> 10,
           flags & PCI_BAR_IO ? "I/O" : "32-bit memory");
    /* The window's next free address is 0xfe001000: BAR 0 goes up to 16 KiB. */
    if (pci_drv_assign(&d, bdf, &w) != 1)
        return puts("wrong: the BAR did not fit"), 1;
    bar = d.read(d.ctx, bdf, PCI_BAR0, 4);
    cmd = d.read(d.ctx, bdf, PCI_COMMAND, 2);
    printf("assigned: BAR 0 reads 0x%08x, command 0x%04x, window next 0x%llx\n",
           (unsigned)bar, (unsigned)cmd, (unsigned long long)w.mem32.next);
    if (bar != 0xfe004000u || cmd != (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) ||
        w.mem32.next != 0xfe008000u || !pci_model_bar(&bus, PCI_DEVFN(3, 0), 0, &base, &size) ||
        base != bar)
        return puts("wrong: BAR 0 should decode at 0xfe004000"), 1;
    if (pci_drv_find_cap(&d, bdf, PCI_CAP_ID_MSIX, 0) != msix)
        return puts("wrong: no MSI-X where the builder put it"), 1;
    pin = d.read(d.ctx, bdf, PCI_INTERRUPT_PIN, 1);
    printf("MSI-X at 0x%02x; pin INT%c# of device 3 reaches line INT%c#\n", msix,
           (char)('A' + pin - 1), (char)('A' + pci_swizzle(3, pin)));
    if (pin != 1 || pci_swizzle(3, pin) != 3)
        return puts("wrong: INTA# of device 3 is INTD# after the swizzle"), 1;
    return 0;
}
//! [alone-pci]
