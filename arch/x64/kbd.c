/* kbd.c - x64: the PS/2 keyboard and mouse behind the i8042, for the
   kernel, through hdr/i8042.h's driver and decoders.

   x64_kbd_init() probes the controller in Linux's order, chooses how the
   keyboard's codes arrive (scan code set 2 translated by the controller
   into set 1, as PC firmware leaves it, or set 2 raw with translation
   off), asks the keyboard which set it sends, turns the mouse's reporting
   on if the mouse port works, and takes IRQ 1 and IRQ 12 on the GSIs the
   MADT names for them. From then on the deferred handlers empty the
   controller's output buffer: keyboard bytes go through the scan code
   decoder to the caller's `key` hook, with the character a US keyboard
   types for that key, and mouse bytes through the packet assembler to its
   `mouse` hook.

   The controller has one output buffer for both devices, and each byte
   raises only its own device's line; so both lines share one handler,
   which reads whatever is there and sorts it by status bit 5. */
#include "../common/loop.h"
#include "arch.h"

#define I8042_IMPLEMENTATION
#define I8042_STATIC
#include "i8042.h"

/* Bytes one handler call takes. The model's two device queues and a
   reply hold at most 2 * I8042_QUEUE_SIZE + 1; QEMU's hold 256 each, so
   more may wait, and then the call re-raises its line (see kbd_irq). */
#define KBD_DRAIN_MAX (2 * I8042_QUEUE_SIZE + 2)
#define KBD_HID_RSHIFT 0xe5u /* right Shift (HID page 7) */

static const i8042_drv kbc = { x64_port_in, x64_port_out, 0 };

static struct {
    struct x64_kbd_hooks hooks;
    struct x64_kbd_stats stats;
    i8042_kbd_decoder dec;
    i8042_mouse_decoder mouse;
    bool lshift, rshift;
} kbd;

//! [kbd-ascii]
/* What a US keyboard types with the key of HID usage `u` (page 7), shift
   up and down; 0 for a key that types nothing (modifiers, function keys,
   arrows). Letters are 0x04-0x1D; the table starts at 0x1E, the digit 1. */
static char kbd_ascii(uint8_t u, bool shift)
{
    static const char plain[] = "1234567890\n\x1b\b\t -=[]\\\0;'`,./";
    static const char shifted[] = "!@#$%^&*()\n\x1b\b\t _+{}|\0:\"~<>?";

    if (u >= I8042_HID_A && u < I8042_HID_A + 26)
        return (char)((shift ? 'A' : 'a') + (u - I8042_HID_A));
    if (u >= 0x1e && u < 0x1e + sizeof plain - 1)
        return shift ? shifted[u - 0x1e] : plain[u - 0x1e];
    if (u == I8042_HID_KP_ENTER)
        return '\n';
    return 0;
}
//! [kbd-ascii]

static void kbd_key_byte(uint8_t b)
{
    i8042_key_event ev;
    char c = 0;

    kbd.stats.kbd_bytes++;
    /* The overrun code: set 1's 0xFF, or set 2's 0x00 untranslated. */
    if (b == (kbd.dec.set == 1 ? I8042_OVERRUN_SET1 : I8042_OVERRUN))
        kbd.stats.overruns++;
    if (!i8042_kbd_decode(&kbd.dec, b, &ev))
        return;
    kbd.stats.keys++;
    if (ev.usage == I8042_HID_LSHIFT)
        kbd.lshift = ev.pressed;
    else if (ev.usage == KBD_HID_RSHIFT)
        kbd.rshift = ev.pressed;
    else if (ev.pressed)
        c = kbd_ascii(ev.usage, kbd.lshift || kbd.rshift);
    if (kbd.hooks.key)
        kbd.hooks.key(kbd.hooks.ctx, ev.usage, ev.pressed, c);
}

static void kbd_aux_byte(uint8_t b)
{
    i8042_mouse_event ev;

    kbd.stats.aux_bytes++;
    if (!i8042_mouse_decode(&kbd.mouse, b, &ev))
        return;
    kbd.stats.packets++;
    if (kbd.hooks.mouse)
        kbd.hooks.mouse(kbd.hooks.ctx, ev.dx, ev.dy, ev.buttons);
}

/* Take what the output buffer holds, at most KBD_DRAIN_MAX bytes: true if
   it is empty now. Each read lets the controller move its next byte in,
   with a new edge on that byte's line. */
static bool kbd_drain(void)
{
    for (unsigned n = 0; n < KBD_DRAIN_MAX; n++) {
        uint8_t b;
        bool aux;

        if (!i8042_drv_read_event(&kbc, &b, &aux))
            return true;
        if (aux)
            kbd_aux_byte(b);
        else
            kbd_key_byte(b);
    }
    return !(kbc.in(kbc.ctx, I8042_PC_CMD_PORT) & I8042_STR_OBF);
}

//! [kbd-irq]
/* IRQ 1 and IRQ 12, run from the loop. ISA lines are edges: a byte left in
   the buffer keeps its line high, and no edge would come for it or any
   byte behind it. So a call that stops at its bound makes its line
   pending again, and the loop comes back after its other work. */
static void kbd_irq(void *ctx, unsigned irq)
{
    (void)ctx;
    kbd.stats.irqs++;
    if (!kbd_drain()) {
        kbd.stats.rearms++;
        platform_irq_trigger(irq);
    }
}
//! [kbd-irq]

/* The keyboard's scan code set, asked with 0xF0 0x00. Its answer passes
   through the controller like any keyboard byte: translated, set 2's
   answer 0x02 arrives as 0x41. 0 if it did not answer. */
static unsigned kbd_get_set(bool translated)
{
    const uint8_t get = 0;
    uint8_t r;

    if (i8042_drv_dev_command(&kbc, false, I8042_KBD_SCANSET, &get, &r, 1))
        return 0;
    for (unsigned set = 1; set <= 3; set++)
        if (r == (translated ? i8042_translate((uint8_t)set) : set))
            return set;
    return 0;
}

/* Translation as asked (command byte bit 6), then the keyboard in set 2
   and scanning: the only set both ways read (set 1 through a translating
   controller is nonsense; see book/i8042.md). */
static bool kbd_setup_keyboard(bool raw, struct x64_kbd_info *info)
{
    const uint8_t two = 2;

    if (raw)
        info->ctr &= (uint8_t)~I8042_CTR_XLATE;
    else
        info->ctr |= I8042_CTR_XLATE;
    if (i8042_drv_command(&kbc, I8042_CMD_WRITE_RAM, &info->ctr, NULL, 0))
        return false;
    info->translated = !raw;
    info->set = (uint8_t)kbd_get_set(info->translated);
    if (info->set != 2) {
        if (i8042_drv_dev_command(&kbc, false, I8042_KBD_SCANSET, &two, NULL, 0))
            return false;
        info->set = (uint8_t)kbd_get_set(info->translated);
    }
    i8042_kbd_decoder_init(&kbd.dec, raw ? 2 : 1);
    return info->set == 2 && !i8042_drv_dev_command(&kbc, false, I8042_KBD_ENABLE, NULL, NULL, 0);
}

/* The mouse: its ID (the packet format), then reporting on. */
static void kbd_setup_mouse(struct x64_kbd_info *info)
{
    uint8_t id = I8042_AUX_ID_PS2;

    if (i8042_drv_dev_command(&kbc, true, I8042_AUX_GET_ID, NULL, &id, 1))
        return;
    info->mouse_id = id;
    i8042_mouse_decoder_init(&kbd.mouse, id);
    info->mouse = !i8042_drv_dev_command(&kbc, true, I8042_AUX_ENABLE, NULL, NULL, 0);
}

//! [kbd-init]
bool x64_kbd_init(bool raw, const struct x64_kbd_hooks *h, struct x64_kbd_info *info)
{
    struct x64_kbd_info none = { 0 };

    if (!info)
        info = &none;
    *info = none;
    if (h)
        kbd.hooks = *h;
    /* The device commands poll for their answers: they run before the
       handlers are registered, with the CPU's interrupts still off. */
    info->probe = i8042_drv_init(&kbc, &info->ctr);
    if (info->probe < 0 || !kbd_setup_keyboard(raw, info))
        return false;
    i8042_mouse_decoder_init(&kbd.mouse, I8042_AUX_ID_PS2);
    if (info->probe == I8042_DRV_HAS_AUX)
        kbd_setup_mouse(info);
    if (i8042_drv_flush(&kbc) < 0)
        return false;
    info->kbd_irq = x64_isa_gsi(I8042_PC_KBD_IRQ);
    info->aux_irq = x64_isa_gsi(I8042_PC_AUX_IRQ);
    if (!kernel_irq_register(info->kbd_irq, kbd_irq, 0))
        return false;
    if (info->probe == I8042_DRV_HAS_AUX && !kernel_irq_register(info->aux_irq, kbd_irq, 0))
        return false;
    /* A byte that came between the flush and the unmask raised its edge
       while the line was masked: take it now, or its high line would
       hide every byte behind it. */
    if (!kbd_drain())
        platform_irq_trigger(info->kbd_irq);
    return true;
}
//! [kbd-init]

//! [kbd-reboot]
/* The PC/AT's reset: the keyboard controller pulses the CPU's reset line
   (command 0xFE), as Linux's reboot=kbd does. The machine resets a moment
   after the write; this waits 100 ms for it and returns only if it is still
   running then (no controller, or one that ignores the command). */
void x64_kbd_reboot(void)
{
    uint64_t until;

    (void)i8042_drv_reboot(&kbc);
    until = platform_now() + 100000000u;
    while (platform_now() < until)
        __asm__ volatile("pause");
}
//! [kbd-reboot]

const struct x64_kbd_stats *x64_kbd_stats(void)
{
    return &kbd.stats;
}
