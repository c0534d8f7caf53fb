/* hdr/ioapic.h alone: the driver's 32-bit MMIO hooks call the model, so
   the driver routes pin 9 (level, vector 0x29, APIC 1) on the model. A
   device raises the line, the model sends one MSI and sets remote IRR; an
   EOI with the line still high sends again, one after it drops does not. */
#include <stdio.h>

//! [alone-ioapic]
#define IOAPIC_IMPLEMENTATION
#include "ioapic.h"

static ioapic_model chip;
static unsigned sent;                   /* messages the model delivered */

static void deliver(void *ctx, const ioapic_msi *msg)
{
    (void)ctx;
    sent++;
    printf("  MSI: address 0x%08llx data 0x%04x\n", (unsigned long long)msg->address,
           (unsigned)msg->data);
}

/* The driver's MMIO hooks: an offset from the chip's base, onto the model. */
static uint32_t rd32(void *ctx, unsigned off) { return (uint32_t)ioapic_model_read(ctx, off, 4); }
static void wr32(void *ctx, unsigned off, uint32_t v) { ioapic_model_write(ctx, off, 4, v); }

static ioapic_drv d = { rd32, wr32, &chip };

static bool remote_irr(const char *when)   /* prints pin 9's status bits */
{
    uint64_t rte = ioapic_drv_read_entry(&d, 9);

    printf("%s: remote IRR %d, delivery status %d, %u sent\n", when,
           (rte & IOAPIC_RTE_RIRR) != 0, (rte & IOAPIC_RTE_DELIVS) != 0, sent);
    return (rte & IOAPIC_RTE_RIRR) != 0;
}

int main(void)
{
    ioapic_model_hooks h = { deliver, NULL, NULL, NULL };

    ioapic_model_init(&chip, &h);
    printf("version 0x%02x, %u pins\n", ioapic_drv_version(&d), ioapic_drv_pins(&d));
    if (!ioapic_drv_route(&d, 9, 0x29, 1, IOAPIC_ROUTE_LEVEL))
        return puts("wrong: no pin 9"), 1;

    puts("line 9 rises");
    ioapic_model_set_irq(&chip, 9, true);
    ioapic_model_set_irq(&chip, 9, true);   /* still high: nothing new */
    if (!remote_irr("before the EOI") || sent != 1)
        return puts("wrong: a level line sends once"), 1;
    puts("EOI 0x29, line still high");
    ioapic_drv_send_eoi(&d, 0x29);          /* the version 0x20 EOI register */
    if (!remote_irr("after the EOI") || sent != 2)
        return puts("wrong: no re-delivery"), 1;
    ioapic_model_set_irq(&chip, 9, false);  /* the device has been serviced */
    puts("EOI 0x29, line low");
    ioapic_drv_send_eoi(&d, 0x29);
    if (remote_irr("after the EOI") || sent != 2)
        return puts("wrong: remote IRR left set, or a message too many"), 1;
    return 0;
}
//! [alone-ioapic]
