/* kbd-echo.c - keys typed on the PC keyboard reach the kernel through the
   i8042 and IRQ 1, in order, none lost or doubled (x64 only).

   The kernel sets up the controller and its devices through arch/x64/kbd.c
   (hdr/i8042.h's driver: Linux's probe, then the keyboard asked for its
   scan code set), prints `kbd: ready`, and from then on echoes each line
   typed, numbered; a line `end` finishes the test with the count of
   characters typed, the lines, and an FNV-1a checksum of the characters
   (newlines included), as rx-echo does for the UART.

   The host side is tests/feed with --qemu-keys: once `kbd: ready` is out,
   it types tests/kernel/kbd-input.txt with one HMP `sendkey` per byte
   (Shift held for capitals and the shifted punctuation), so every key goes
   through QEMU's PS/2 keyboard, set 2, and the controller. A key lost,
   doubled, or decoded into the wrong usage, or a Shift that was missed,
   changes an echoed line and the checksum.

   By default the controller translates set 2 into set 1 (command byte bit
   6, as PC firmware leaves it) and the kernel decodes set 1. Booted with
   `kbd=set2` on its command line, it turns translation off and decodes
   set 2 itself (kbd-echo-set2.expect adds what that variant prints). Either
   way the keyboard must say it sends set 2, and the mode must be the one
   the command line asked for.

   If the mouse port works, the mouse's reporting is turned on and any
   packet that arrives (IRQ 12) is printed; none is required.

   It is not named ktest-*.c: those are booted with no input at all. */
// expect: kbd: i8042 self-test passed, command byte 0x
// expect: kbd: scancode set
// expect: kbd: ready
// expect: kbd: line 1: Hello, World! 42
// expect: kbd: line 2: the quick brown fox jumps over 1234567890
// expect: kbd: line 3: a-b=c [x] {y} \ | ; : ' " ` ~ , . / < > ?
// expect: kbd: line 4: SHIFT!@#$%^&*()_+ done
// expect: kbd: line 5: end
// expect: kbd: 128 keys, 5 lines, checksum 0x24e8bde7
// expect: kbd-echo: pass
// expect-status: 0
#include "ktest.h"
#include "i8042.h"         /* names only: arch/x64/kbd.c owns the driver */

#define KBD_LINE    128
#define KBD_WAIT_MS 30000  /* for the whole input, once ready */

struct echo {
    uint32_t keys, lines, sum, packets;
    bool ended, too_long;
    unsigned len;
    char line[KBD_LINE];
};


static bool is_end(const char *s)
{
    return s[0] == 'e' && s[1] == 'n' && s[2] == 'd' && s[3] == 0;
}

/* A line is printed as soon as Enter is typed: keys come one every 20 ms
   or more, far slower than the console prints a line. */
static void echo_line(struct echo *e)
{
    e->line[e->len] = 0;
    e->lines++;
    kprintf("kbd: line %u: %s\n", e->lines, e->line);
    if (is_end(e->line))
        e->ended = true;
    e->len = 0;
}

static void on_key(void *ctx, uint8_t usage, bool pressed, char c)
{
    struct echo *e = ctx;

    (void)usage;
    (void)pressed;
    if (!c || e->ended)
        return;
    e->keys++;
    e->sum = ktest_fnv1a(e->sum, (uint8_t)c);
    if (c == '\n')
        echo_line(e);
    else if (c == '\b') {
        if (e->len)
            e->len--;
    } else if (e->len < KBD_LINE - 1)
        e->line[e->len++] = c;
    else
        e->too_long = true;
}

static void on_mouse(void *ctx, int dx, int dy, unsigned buttons)
{
    struct echo *e = ctx;

    e->packets++;
    kprintf("mouse: dx %d dy %d buttons %u\n", dx, dy, buttons);
}

static bool echo_done(void *ctx)
{
    const struct echo *e = ctx;

    return e->ended;
}


static void print_setup(const struct x64_kbd_info *info, bool raw)
{
    if (info->probe < 0) {
        kprintf("kbd: no i8042 (driver error %d)\n", info->probe);
        return;
    }
    kprintf("kbd: i8042 self-test passed, command byte 0x%02x, aux port %s\n", info->ctr,
            info->probe == I8042_DRV_HAS_AUX ? "yes" : "no");
    kprintf("kbd: keyboard IRQ1 is GSI %u, mouse IRQ12 is GSI %u\n", info->kbd_irq,
            info->aux_irq);
    if (info->set != 2)
        kprintf("kbd: the keyboard says scan code set %u, not 2\n", info->set);
    else if (info->translated)
        kprintf("kbd: scancode set 1 (translated)\n");
    else
        kprintf("kbd: scancode set 2 (raw)\n");
    check(info->translated == !raw, "the controller's translation is not what kbd= asked");
    check(!(info->ctr & I8042_CTR_XLATE) == raw, "command byte bit 6 disagrees with the mode");
    if (info->mouse)
        kprintf("kbd: mouse enabled, ID %u\n", info->mouse_id);
    else if (info->probe == I8042_DRV_HAS_AUX)
        kprintf("kbd: the mouse did not take reporting on\n");
}

_Noreturn void kmain(const struct boot_info *bi)
{
    static struct echo e = { .sum = KTEST_FNV1A_BASIS };
    const struct x64_kbd_hooks hooks = { on_key, on_mouse, &e };
    bool raw = kernel_cmdline_has(bi->cmdline, "kbd=set2");
    struct x64_kbd_info info;
    const struct x64_kbd_stats *st;
    bool ok;

    kernel_init(bi);
    ok = x64_kbd_init(raw, &hooks, &info);
    print_setup(&info, raw);
    check(ok, "the keyboard could not be set up");
    check(info.probe < 0 || info.probe != I8042_DRV_HAS_AUX || info.mouse,
          "the mouse port works but the mouse did not take reporting on");
    if (ok) {
        kprintf("kbd: ready\n");
        run_until(echo_done, &e, KBD_WAIT_MS);
    }
    if (e.len)                                           /* a last line without Enter */
        echo_line(&e);
    st = x64_kbd_stats();
    kprintf("kbd: %u keys, %u lines, checksum 0x%08x\n", e.keys, e.lines, e.sum);
    kprintf("kbd: %u interrupts (%u re-raised), %u keyboard bytes, %u key events, "
            "%u mouse bytes, %u packets\n", st->irqs, st->rearms, st->kbd_bytes, st->keys,
            st->aux_bytes, st->packets);
    check(e.ended, "no `end` line arrived within the time limit");
    check(st->irqs > 1, "all the keys came with one interrupt");
    check(!st->overruns, "the keyboard reported an overrun: keys were lost");
    check(!e.too_long, "a line was longer than the buffer");
    ktest_end("kbd-echo");
}
