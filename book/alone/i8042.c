/* hdr/i8042.h alone: the driver's port hooks call the model. The driver
   probes the controller as Linux does and asks the keyboard its ID; the
   host presses and releases "a", which arrives by IRQ 1 as set 1 bytes
   (the controller translates); last, the driver reboots the machine. */
#include <stdio.h>

//! [alone-i8042]
#define I8042_IMPLEMENTATION
#include "i8042.h"

static i8042_model kbc;
static bool irq1;
static int resets;

static void on_irq1(void *ctx, bool level) { (void)ctx; irq1 = level; }
static void on_reset(void *ctx) { (void)ctx; resets++; }

/* The driver's port I/O (0x60, 0x64) onto the model's offsets 0 and 1. */
static uint64_t at(uint16_t port)
{
    return port == I8042_PC_DATA_PORT ? I8042_MODEL_DATA : I8042_MODEL_STATUS;
}
static uint8_t in(void *ctx, uint16_t port) { return (uint8_t)i8042_model_read(ctx, at(port), 1); }
static void out(void *ctx, uint16_t port, uint8_t v) { i8042_model_write(ctx, at(port), 1, v); }

static i8042_drv d = { in, out, &kbc };

/* The host's key, then IRQ 1's handler: one byte, decoded. */
static int key(i8042_kbd_decoder *dec, bool pressed, uint8_t want)
{
    i8042_key_event ev = { 0, false };
    uint8_t byte = 0;
    bool aux = true, rose, got;

    i8042_model_key(&kbc, I8042_HID_A, pressed);
    rose = irq1;
    got = i8042_drv_read_event(&d, &byte, &aux) && i8042_kbd_decode(dec, byte, &ev);
    printf("key a %s: IRQ 1 %s, byte 0x%02x from the %s: usage 0x%02x %s; IRQ 1 %s\n",
           pressed ? "down" : "up", rose ? "up" : "down", byte, aux ? "mouse" : "keyboard",
           ev.usage, ev.pressed ? "pressed" : "released", irq1 ? "up" : "down");
    if (!rose || irq1 || !got || aux || byte != want || ev.usage != I8042_HID_A ||
        ev.pressed != pressed)
        return printf("wrong: want 0x%02x from the keyboard, one edge\n", want), 1;
    return 0;
}

int main(void)
{
    i8042_model_hooks h = { on_irq1, NULL, on_reset, NULL, NULL, NULL };
    i8042_kbd_decoder dec;
    uint8_t ctr = 0, id[2] = { 0, 0 };
    int r;

    i8042_model_init(&kbc, &h);
    r = i8042_drv_init(&d, &ctr);
    printf("probe: %d (mouse port works), command byte 0x%02x\n", r, ctr);
    if (r != I8042_DRV_HAS_AUX || !(ctr & I8042_CTR_XLATE) || !(ctr & I8042_CTR_KBDINT))
        return puts("wrong: want a mouse port, translation and IRQ 1 on"), 1;
    r = i8042_drv_dev_command(&d, false, I8042_KBD_GET_ID, NULL, id, 2);
    printf("keyboard ID: %02x %02x (0x83 translated)\n", id[0], id[1]);
    if (r != 0 || id[0] != I8042_KBD_ID0 || id[1] != i8042_translate(I8042_KBD_ID1))
        return puts("wrong: want ab 41"), 1;
    i8042_kbd_decoder_init(&dec, 1);        /* translated: set 1 */
    if (key(&dec, true, 0x1e) || key(&dec, false, 0x9e))
        return 1;
    r = i8042_drv_reboot(&d);
    printf("reboot (0xfe to port 0x64): reset hook called %d time(s)\n", resets);
    return r == 0 && resets == 1 ? 0 : (puts("wrong: want one reset"), 1);
}
//! [alone-i8042]
