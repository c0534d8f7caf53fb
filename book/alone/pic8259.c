/* hdr/pic8259.h alone: the driver initialises a cascaded pair (ICW1-4)
   whose register hooks call the model, so the "chips" are the model.
   IRQ4 is taken, IRQ13 on the slave interrupts its handler (IR2 outranks
   IR4), both are ended with EOIs, and an IRQ7 with no request is spurious. */
#include <stdio.h>

//! [alone-pic8259]
#define PIC8259_IMPLEMENTATION
#include "pic8259.h"

static pic8259_model pic;
static bool int_pin;                    /* the CPU's INT input */

static void on_int(void *ctx, bool level) { (void)ctx; int_pin = level; }

/* The driver's access hook: chip 0 or 1, address line A0, onto the model. */
static uint64_t at(unsigned chip, unsigned a0)
{
    return (chip ? PIC8259_MODEL_SLAVE : PIC8259_MODEL_MASTER) + a0;
}
static uint8_t rd(void *ctx, unsigned chip, unsigned a0)
{
    return (uint8_t)pic8259_model_read(ctx, at(chip, a0), 1);
}
static void wr(void *ctx, unsigned chip, unsigned a0, uint8_t v)
{
    pic8259_model_write(ctx, at(chip, a0), 1, v);
}

static pic8259_drv d = { rd, wr, &pic };

static uint8_t take(void)               /* the CPU's INTA cycle */
{
    uint8_t v = pic8259_model_ack(&pic);

    printf("INTA -> vector 0x%02x, ISR 0x%04x\n", v, pic8259_drv_read_isr(&d));
    return v;
}

int main(void)
{
    pic8259_model_hooks h = { on_int, NULL };
    uint8_t v4, v13, v7;

    pic8259_model_init(&pic, &h);
    pic8259_drv_remap(&d, 0x20, 0x28);  /* ICW1-4 on both; all masked */
    pic8259_drv_unmask(&d, 4);
    pic8259_drv_unmask(&d, 13);         /* opens the cascade, IRQ2, too */
    printf("after remap: IMR master 0x%02x, slave 0x%02x\n", rd(&pic, 0, 1), rd(&pic, 1, 1));

    pic8259_model_set_irq(&pic, 4, true);       /* COM1 raises its line */
    printf("IRQ4 raised: INT %d\n", int_pin);
    v4 = take();
    pic8259_model_set_irq(&pic, 13, true);      /* in IRQ4's handler */
    printf("IRQ13 raised: INT %d\n", int_pin);
    v13 = take();
    pic8259_drv_eoi(&d, 13);                    /* slave, then master's IR2 */
    pic8259_drv_eoi(&d, 4);
    printf("after both EOIs: ISR 0x%04x, INT %d\n", pic8259_drv_read_isr(&d), int_pin);
    if (v4 != 0x24 || v13 != 0x2d || pic8259_drv_read_isr(&d) != 0 || int_pin)
        return puts("wrong: vectors, nesting or EOI"), 1;

    v7 = pic8259_model_ack(&pic);               /* INTA with no request */
    printf("INTA with nothing pending -> 0x%02x, spurious %d\n", v7,
           pic8259_drv_is_spurious(&d, 7));
    if (v7 != 0x27 || !pic8259_drv_is_spurious(&d, 7) || pic.stats.spurious[0] != 1)
        return puts("wrong: spurious IRQ7"), 1;
    return 0;
}
//! [alone-pic8259]
