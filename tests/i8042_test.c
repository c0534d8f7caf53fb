/* i8042_test.c - white-box tests of hdr/i8042.h, the i8042 keyboard
   controller with its PS/2 keyboard and mouse: the model the monitor gives
   its guest, the driver a kernel probes it with, and the decoders.

   Every expected byte is written here from the hardware's documents (the
   IBM PS/2 keyboard controller and device command sets, the IBM scan code
   tables, the IntelliMouse protocol), not taken from the model: the
   controller's status bits, command byte, RAM, the commands 0x20-0xFF, the
   output port with A20 and reset, IRQ 1 and 12 against the command byte's
   enables and the buffer's source; the probe sequences Linux's i8042,
   atkbd and psmouse drivers send, byte for byte; keys in sets 1, 2 and 3
   and set 2 translated, with E0 keys, Print Screen and Pause; the bounded
   key buffer and its overrun code; mouse packets with signs, overflow,
   scaling, the wheel and five buttons, stream and remote modes; 0xFE
   calling the reset hook exactly once; the model contract (save, restore
   and its refusals); random hostile input; and the driver and decoders run
   against the model, getting back the keys and moves injected.

   Build: gcc -std=c11 -Ihdr -fsanitize=address,undefined i8042_test.c */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The model's invariants abort the test, and every call is counted, so a
   test can tell that the assertions are really there. */
static unsigned long asserts;
#define I8042_ASSERT(c) (asserts++, assert(c))
#define I8042_IMPLEMENTATION
#include "i8042.h"

#include "chipset.h"

#include "check.h"

/* The values below are the hardware's, written out here so that a wrong
   constant in i8042.h fails these tests. */
#define DATA 0u  /* port 0x60 */
#define CMD  1u  /* port 0x64 */
#define OBF  0x01
#define SYS  0x04
#define A2   0x08
#define INH  0x10
#define AUXB 0x20

static i8042_model M;
static bool irq1, irq12, a20_level = true;
static unsigned irq1_calls, irq12_calls, resets, a20_calls, room_calls;

static void on_irq1(void *ctx, bool level) { (void)ctx; irq1 = level; irq1_calls++; }
static void on_irq12(void *ctx, bool level) { (void)ctx; irq12 = level; irq12_calls++; }
static void on_reset(void *ctx) { (void)ctx; resets++; }
static void on_a20(void *ctx, bool on) { (void)ctx; a20_level = on; a20_calls++; }
static void on_room(void *ctx) { (void)ctx; room_calls++; }

static const i8042_model_hooks hooks = { on_irq1, on_irq12, on_reset, on_a20, on_room, NULL };

static void setup(void)
{
    i8042_model_init(&M, &hooks);
    irq1 = irq12 = false;
    a20_level = true;
    irq1_calls = irq12_calls = resets = a20_calls = room_calls = 0;
}

static void cmd(uint8_t c) { i8042_model_write(&M, CMD, 1, c); }
static void data(uint8_t v) { i8042_model_write(&M, DATA, 1, v); }
static uint8_t st(void) { return (uint8_t)i8042_model_read(&M, CMD, 1); }
static uint8_t rd(void) { return (uint8_t)i8042_model_read(&M, DATA, 1); }

/* The guest reads `n` bytes, each announced by OBF, with AUXB as `aux`
   says; then the buffer is empty. Returns whether all matched. */
static bool expect(const uint8_t *want, unsigned n, bool aux)
{
    bool ok = true;

    for (unsigned i = 0; i < n; i++) {
        uint8_t s = st();

        ok &= CHECK_EQ(s & (OBF | AUXB), OBF | (aux ? AUXB : 0));
        ok &= CHECK_EQ(rd(), want[i]);
    }
    ok &= CHECK_EQ(st() & OBF, 0);
    return ok;
}
#define EXPECT(aux, ...)                                                   \
    do {                                                                   \
        static const uint8_t w_[] = { __VA_ARGS__ };                       \
        if (!expect(w_, sizeof w_, aux))                                   \
            printf("  (at line %d)\n", __LINE__);                          \
    } while (0)
#define EXPECT_EMPTY() CHECK_EQ(st() & OBF, 0)

static void kbd_cmd(uint8_t v) { data(v); }
static void aux_cmd(uint8_t v) { cmd(0xd4); data(v); }
static void set_ctr(uint8_t v) { cmd(0x60); data(v); }
static uint8_t get_ctr(void) { cmd(0x20); return rd(); }

/* ---- the controller ---------------------------------------------------- */

TEST(power_on)
{
    setup();
    /* Keylock open, nothing buffered, no command written yet. */
    CHECK_EQ(st(), INH);
    /* SeaBIOS's hand-over: XLATE | AUXDIS | KBDINT. Its reply raises IRQ 1. */
    cmd(0x20);
    CHECK_EQ(st(), INH | A2 | OBF);
    CHECK(irq1);
    CHECK_EQ(rd(), 0x61);
    CHECK(!irq1);
    CHECK_EQ(irq1_calls, 2);
    /* Output port: reset inactive (1), A20 on (1), the idle-high lines
       0xCC; the OBF bits were 0 when the reply was made. */
    cmd(0xd0);
    CHECK_EQ(rd(), 0xcf);
    CHECK(i8042_model_a20(&M));
    /* Input port: keyboard not inhibited. */
    cmd(0xc0);
    CHECK_EQ(rd(), 0x80);
    CHECK_EQ(irq12_calls, 0);
    CHECK_EQ(resets, 0);
}

TEST(controller_ram)
{
    setup();
    /* 0x61-0x7F write bytes 1-31, 0x21-0x3F read them back. */
    for (unsigned i = 1; i < 32; i++) {
        cmd((uint8_t)(0x60 + i));
        data((uint8_t)(0xa0 ^ i));
    }
    for (unsigned i = 1; i < 32; i++) {
        cmd((uint8_t)(0x20 + i));
        CHECK_EQ(rd(), 0xa0 ^ i);
    }
    /* Byte 0 is the command byte, and status bit 2 mirrors its bit 2. */
    set_ctr(0x04);
    CHECK_EQ(st() & SYS, SYS);
    CHECK_EQ(get_ctr(), 0x04);
    set_ctr(0x00);
    CHECK_EQ(st() & SYS, 0);
    /* A2: set by a command write, cleared by a data write. */
    cmd(0xa7);
    CHECK_EQ(st() & A2, A2);
    cmd(0x60);
    data(0x00);
    CHECK_EQ(st() & A2, 0);
}

TEST(controller_commands)
{
    setup();
    set_ctr(0x00); /* no interrupts, both clocks on */
    cmd(0xaa);     /* self test */
    EXPECT(false, 0x55);
    CHECK_EQ(st() & SYS, SYS); /* the self test sets the system flag */
    CHECK_EQ(get_ctr(), 0x04);
    cmd(0xab);     /* keyboard interface test: no error */
    EXPECT(false, 0x00);
    cmd(0xa9);     /* aux interface test: no error */
    EXPECT(false, 0x00);
    cmd(0xa4);     /* no password installed */
    EXPECT(false, 0xf1);
    cmd(0xa1);     /* version */
    EXPECT(false, 0x00);
    /* Clock disables are command byte bits 4 and 5. */
    cmd(0xad);
    CHECK_EQ(get_ctr(), 0x14);
    cmd(0xa7);
    CHECK_EQ(get_ctr(), 0x34);
    cmd(0xae);
    CHECK_EQ(get_ctr(), 0x24);
    cmd(0xa8);
    CHECK_EQ(get_ctr(), 0x04);
    /* An undecoded command (0xE0 test inputs, 0x00) does nothing. */
    cmd(0x00);
    cmd(0xe0);
    EXPECT_EMPTY();
    /* A command replaces one waiting for its data: 0x60 then 0xAA, then
       a data byte goes to the keyboard (it ACKs), not into the RAM. */
    cmd(0x60);
    cmd(0xaa);
    EXPECT(false, 0x55);
    data(0xf4);
    EXPECT(false, 0xfa);
    CHECK_EQ(get_ctr(), 0x04);
}

TEST(loop_commands)
{
    setup();
    set_ctr(0x03); /* both interrupts */
    /* 0xD2: as if the keyboard sent it: IRQ 1, AUXB clear. */
    cmd(0xd2);
    data(0x5a);
    CHECK(irq1);
    CHECK(!irq12);
    CHECK_EQ(st(), INH | OBF);
    CHECK_EQ(rd(), 0x5a);
    CHECK(!irq1);
    /* 0xD3: as if the mouse sent it: IRQ 12 and AUXB. */
    cmd(0xd3);
    data(0xa5);
    CHECK(irq12);
    CHECK(!irq1);
    CHECK_EQ(st(), INH | OBF | AUXB);
    cmd(0xd0); /* the output port shows IRQ 12 (bit 5); its reply waits */
    CHECK_EQ(rd(), 0xa5);
    CHECK(!irq12);
    CHECK(irq1); /* the waiting reply is in, a controller byte: IRQ 1 */
    CHECK_EQ(rd(), 0xef);
    /* With the enables clear no line moves, the bytes still come. */
    set_ctr(0x00);
    irq1_calls = irq12_calls = 0;
    cmd(0xd3);
    data(0x11);
    cmd(0xd2);
    data(0x22);
    CHECK_EQ(irq1_calls + irq12_calls, 0);
    /* A second controller byte while the buffer is full replaced the
       waiting one: 0x11 is in the buffer, 0x22 waited. */
    CHECK_EQ(st() & (OBF | AUXB), OBF | AUXB);
    CHECK_EQ(rd(), 0x11);
    EXPECT(false, 0x22);
    /* Enabling the interrupt of a full buffer raises the line at once. */
    cmd(0xd3);
    data(0x33);
    CHECK(!irq12);
    set_ctr(0x02);
    CHECK(irq12);
    EXPECT(true, 0x33);
    CHECK(!irq12);
}

TEST(empty_reads)
{
    setup();
    set_ctr(0x03);
    cmd(0xd2);
    data(0x42);
    CHECK_EQ(rd(), 0x42);
    irq1_calls = 0;
    /* An empty buffer reads its last byte again and changes nothing. */
    for (unsigned i = 0; i < 10000; i++)
        if (rd() != 0x42 || (st() & OBF))
            break;
    CHECK_EQ(rd(), 0x42);
    CHECK_EQ(st() & OBF, 0);
    CHECK_EQ(irq1_calls, 0);
    CHECK_EQ(M.s.kbd.q.len, 0);
}

TEST(widths_and_offsets)
{
    setup();
    /* Byte registers only: other widths and offsets read all-ones. */
    CHECK_EQ(i8042_model_read(&M, CMD, 2), 0xffff);
    CHECK_EQ(i8042_model_read(&M, DATA, 4), 0xffffffffu);
    CHECK(i8042_model_read(&M, DATA, 8) == UINT64_MAX);
    CHECK_EQ(i8042_model_read(&M, 2, 1), 0xff);
    i8042_model_write(&M, CMD, 2, 0xfe);
    i8042_model_write(&M, 2, 1, 0xfe);
    i8042_model_write(&M, CMD, 4, 0xaa);
    CHECK_EQ(resets, 0);
    EXPECT_EMPTY();
    /* Only the low byte of a value counts. */
    i8042_model_write(&M, CMD, 1, 0x1aa);
    EXPECT(false, 0x55);
}

/* ---- reset and A20 ----------------------------------------------------- */

TEST(reset_line)
{
    setup();
    cmd(0xfe);
    CHECK_EQ(resets, 1);
    CHECK_EQ(M.stats.resets, 1);
    /* Pulses 0xF0-0xFF: a 0 in bit 0 pulses reset; 0xFF pulses nothing,
       0xFD pulses A20 only. */
    resets = 0;
    for (unsigned c = 0xf0; c <= 0xff; c++)
        cmd((uint8_t)c);
    CHECK_EQ(resets, 8);
    CHECK_EQ(a20_calls, 0);
    CHECK(i8042_model_a20(&M));
    /* 0xD1: bit 1 is A20, bit 0 clear asks for a reset, once. */
    resets = 0;
    cmd(0xd1);
    data(0x01);
    CHECK_EQ(resets, 0);
    CHECK_EQ(a20_calls, 1);
    CHECK(!a20_level);
    CHECK(!i8042_model_a20(&M));
    cmd(0xd0);
    CHECK_EQ(rd(), 0xcd);
    cmd(0xd1);
    data(0x03);
    CHECK(a20_level);
    CHECK_EQ(a20_calls, 2);
    cmd(0xd1);
    data(0x02);
    CHECK_EQ(resets, 1);
    CHECK_EQ(a20_calls, 2);
    /* The line is not held: the port reads as running. */
    cmd(0xd0);
    CHECK_EQ(rd() & 0x01, 0x01);
    /* A reset puts A20 back on, and the hook hears it. */
    cmd(0xd1);
    data(0x01);
    i8042_model_reset(&M);
    CHECK(a20_level);
    CHECK_EQ(a20_calls, 4);
    /* Ten thousand 0xFE: ten thousand reset requests, one each. */
    resets = 0;
    for (unsigned i = 0; i < 10000; i++)
        cmd(0xfe);
    CHECK_EQ(resets, 10000);
}

/* The reset hook is called last: the board that resets the model inside
   it finds the access finished, and nothing touches the model after. */
static void reset_inside(void *ctx)
{
    (void)ctx;
    resets++;
    i8042_model_reset(&M);
}

TEST(reset_in_hook)
{
    i8042_model_hooks h = hooks;

    h.reset = reset_inside;
    i8042_model_init(&M, &h);
    resets = 0;
    set_ctr(0x00);
    cmd(0xfe);
    CHECK_EQ(resets, 1);
    CHECK_EQ(get_ctr(), 0x61);
}

/* ---- Linux's probe ------------------------------------------------------ */

/* drivers/input/serio/i8042.c, by hand: i8042_controller_check (flush),
   i8042_controller_selftest, i8042_controller_init (the command byte read
   twice, written with both ports off), i8042_check_aux (the 0xD3 loop
   test, then 0xA7/0xA8 checked in the command byte, then IRQ 12 delivery
   of a looped 0xA5), i8042_check_mux's loop bytes. */
TEST(linux_probe)
{
    uint8_t ctr;

    setup();
    CHECK_EQ(st() & OBF, 0); /* flush: nothing there */
    cmd(0xaa);
    CHECK_EQ(rd(), 0x55);
    ctr = get_ctr();
    CHECK_EQ(get_ctr(), ctr);
    CHECK_EQ(ctr, 0x65); /* 0x61 and the system flag the self test set */
    ctr = (uint8_t)((ctr | 0x30) & ~0x03);
    set_ctr(ctr);
    /* AUX loop: the byte comes back marked as the mouse's. */
    cmd(0xd3);
    data(0x5a);
    CHECK_EQ(st() & (OBF | AUXB), OBF | AUXB);
    CHECK_EQ(rd(), 0x5a);
    /* Bit assignment test. */
    cmd(0xa7);
    CHECK_EQ(get_ctr() & 0x20, 0x20);
    cmd(0xa8);
    CHECK_EQ(get_ctr() & 0x20, 0x00);
    /* Active multiplexing: 0xF0, 0x56, 0xA4 all loop back unchanged, so
       this is a plain controller (a MUX answers a version to the third). */
    cmd(0xd3); data(0xf0); CHECK_EQ(rd(), 0xf0);
    cmd(0xd3); data(0x56); CHECK_EQ(rd(), 0x56);
    cmd(0xd3); data(0xa4); CHECK_EQ(rd(), 0xa4);
    /* IRQ delivery: the mouse interrupt on, loop 0xA5, IRQ 12 rises. */
    set_ctr((uint8_t)((get_ctr() & ~0x20) | 0x02));
    irq1_calls = irq12_calls = 0;
    cmd(0xd3);
    data(0xa5);
    CHECK(irq12);
    CHECK_EQ(irq1_calls, 0);
    CHECK_EQ(st() & (OBF | AUXB), OBF | AUXB);
    CHECK_EQ(rd(), 0xa5);
    CHECK(!irq12);
}

/* ---- the keyboard ------------------------------------------------------ */

TEST(kbd_commands)
{
    setup();
    set_ctr(0x00); /* untranslated, no interrupts */
    kbd_cmd(0xf2);                 /* GET ID */
    EXPECT(false, 0xfa, 0xab, 0x83);
    kbd_cmd(0xff);                 /* reset: ACK then BAT passed */
    EXPECT(false, 0xfa, 0xaa);
    kbd_cmd(0xee);                 /* echo: no ACK */
    EXPECT(false, 0xee);
    kbd_cmd(0xed);                 /* LEDs: ACK, argument, ACK */
    EXPECT(false, 0xfa);
    kbd_cmd(0x07);
    EXPECT(false, 0xfa);
    CHECK_EQ(M.s.kbd.leds, 7);
    kbd_cmd(0xf0);                 /* scan code set: get */
    kbd_cmd(0x00);
    EXPECT(false, 0xfa, 0xfa, 0x02);
    kbd_cmd(0xf0);                 /* select set 3 */
    kbd_cmd(0x03);
    EXPECT(false, 0xfa, 0xfa);
    kbd_cmd(0xf0);
    kbd_cmd(0x00);
    EXPECT(false, 0xfa, 0xfa, 0x03);
    kbd_cmd(0xf0);                 /* set 5: refused, still waiting */
    kbd_cmd(0x05);
    EXPECT(false, 0xfa, 0xfe);
    kbd_cmd(0x01);
    EXPECT(false, 0xfa);
    CHECK_EQ(M.s.kbd.set, 1);
    kbd_cmd(0xf3);                 /* typematic: 30 cps, 250 ms */
    kbd_cmd(0x00);
    EXPECT(false, 0xfa, 0xfa);
    CHECK_EQ(M.s.kbd.typematic, 0x00);
    kbd_cmd(0xf3);                 /* bit 7 set: not an argument */
    kbd_cmd(0x80);
    EXPECT(false, 0xfa, 0xfe);
    kbd_cmd(0xf4);                 /* a command instead: runs */
    EXPECT(false, 0xfa);
    CHECK_EQ(M.s.kbd.pending, 0);
    kbd_cmd(0xf6);                 /* defaults: set 2, 10.9 cps / 500 ms */
    EXPECT(false, 0xfa);
    CHECK_EQ(M.s.kbd.set, 2);
    CHECK_EQ(M.s.kbd.typematic, 0x2b);
    kbd_cmd(0xfe);                 /* resend: the last byte sent */
    EXPECT(false, 0xfa);
    kbd_cmd(0xee);
    EXPECT(false, 0xee);
    kbd_cmd(0xfe);
    EXPECT(false, 0xee);
    for (unsigned c = 0xf7; c <= 0xfa; c++) {  /* set 3 modes: ACK */
        kbd_cmd((uint8_t)c);
        EXPECT(false, 0xfa);
    }
    kbd_cmd(0xfb);                 /* with a key list: each key ACKed */
    kbd_cmd(0x1c);
    kbd_cmd(0x32);
    EXPECT(false, 0xfa, 0xfa, 0xfa);
    kbd_cmd(0xf4);                 /* a command ends the list */
    EXPECT(false, 0xfa);
    CHECK_EQ(M.s.kbd.pending, 0);
    kbd_cmd(0x01);                 /* not a command: resend */
    kbd_cmd(0xef);
    kbd_cmd(0xf1);
    EXPECT(false, 0xfe, 0xfe, 0xfe);
    kbd_cmd(0xf5);                 /* disable: keys are not sent */
    EXPECT(false, 0xfa);
    CHECK(!i8042_model_key(&M, I8042_HID_A, true));
    EXPECT_EMPTY();
    kbd_cmd(0xf4);
    EXPECT(false, 0xfa);
    CHECK(i8042_model_key(&M, I8042_HID_A, true));
    EXPECT(false, 0x1c);
}

/* atkbd.c's probe through a translating controller: GET ID answers
   0xAB 0x41 (0x83 translated), the set is 0x41 (2 translated), the
   reset's replies pass unchanged. */
TEST(atkbd_probe)
{
    setup();
    CHECK_EQ(get_ctr() & 0x40, 0x40);
    set_ctr(0x40 | 0x01);
    kbd_cmd(0xf2);
    CHECK(irq1);
    EXPECT(false, 0xfa, 0xab, 0x41);
    CHECK(!irq1);
    /* one edge per byte: three raises, three falls */
    CHECK_EQ(irq1_calls, 6 + 2); /* and 2 for get_ctr's reply */
    kbd_cmd(0xf0);
    kbd_cmd(0x00);
    EXPECT(false, 0xfa, 0xfa, 0x41);
    kbd_cmd(0xff);
    EXPECT(false, 0xfa, 0xaa);
    kbd_cmd(0xed);
    kbd_cmd(0x00);
    EXPECT(false, 0xfa, 0xfa);
    kbd_cmd(0xf4);
    EXPECT(false, 0xfa);
}

/* Press and release, read back. */
static void key(uint8_t usage, bool pressed)
{
    CHECK(i8042_model_key(&M, usage, pressed));
}

TEST(keys_set2)
{
    setup();
    set_ctr(0x00); /* no translation */
    key(I8042_HID_A, true);
    key(I8042_HID_A, false);
    EXPECT(false, 0x1c, 0xf0, 0x1c);
    key(I8042_HID_UP, true);
    key(I8042_HID_UP, false);
    EXPECT(false, 0xe0, 0x75, 0xe0, 0xf0, 0x75);
    key(I8042_HID_RIGHT, true);
    EXPECT(false, 0xe0, 0x74);
    key(I8042_HID_KP_ENTER, true);
    EXPECT(false, 0xe0, 0x5a);
    key(I8042_HID_ENTER, true);
    EXPECT(false, 0x5a);
    key(I8042_HID_LCTRL, true);
    key(0xe4, true); /* right Control */
    EXPECT(false, 0x14, 0xe0, 0x14);
    key(0x40, true); /* F7: set 2's one code above 0x7F */
    EXPECT(false, 0x83);
    key(I8042_HID_PRTSC, true);
    key(I8042_HID_PRTSC, false);
    EXPECT(false, 0xe0, 0x12, 0xe0, 0x7c, 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12);
    key(I8042_HID_PAUSE, true);
    key(I8042_HID_PAUSE, false); /* sends nothing */
    EXPECT(false, 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77);
    /* A usage the keyboard lacks sends nothing and says so. */
    CHECK(!i8042_model_key(&M, 0x00, true));
    CHECK(!i8042_model_key(&M, 0xa5, true));
    EXPECT_EMPTY();
}

TEST(keys_translated)
{
    setup();
    set_ctr(0x41); /* translation, keyboard interrupt */
    key(I8042_HID_A, true);
    key(I8042_HID_A, false);
    EXPECT(false, 0x1e, 0x9e);
    key(I8042_HID_UP, true);
    key(I8042_HID_UP, false);
    EXPECT(false, 0xe0, 0x48, 0xe0, 0xc8);
    key(I8042_HID_LSHIFT, true);
    key(I8042_HID_LSHIFT, false);
    EXPECT(false, 0x2a, 0xaa);
    key(0x40, true); /* F7: 0x83 -> 0x41 */
    key(0x40, false);
    EXPECT(false, 0x41, 0xc1);
    key(0x44, true); /* F11 */
    EXPECT(false, 0x57);
    key(I8042_HID_PRTSC, true);
    key(I8042_HID_PRTSC, false);
    EXPECT(false, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa);
    key(I8042_HID_PAUSE, true);
    EXPECT(false, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
    /* Each byte its own edge on IRQ 1. */
    irq1_calls = 0;
    key(I8042_HID_A, true);
    key(I8042_HID_A, false);
    EXPECT(false, 0x1e, 0x9e);
    CHECK_EQ(irq1_calls, 4);
}

TEST(keys_set1_and_set3)
{
    setup();
    set_ctr(0x00);
    kbd_cmd(0xf0);
    kbd_cmd(0x01);
    EXPECT(false, 0xfa, 0xfa);
    key(I8042_HID_A, true);
    key(I8042_HID_A, false);
    key(I8042_HID_UP, true);
    key(I8042_HID_UP, false);
    EXPECT(false, 0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8);
    key(I8042_HID_PAUSE, true);
    EXPECT(false, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
    kbd_cmd(0xf0);
    kbd_cmd(0x03);
    EXPECT(false, 0xfa, 0xfa);
    key(I8042_HID_A, true);
    key(I8042_HID_A, false);
    EXPECT(false, 0x1c, 0xf0, 0x1c);
    key(I8042_HID_UP, true);      /* set 3 has no prefixes */
    key(I8042_HID_UP, false);
    EXPECT(false, 0x63, 0xf0, 0x63);
    key(I8042_HID_LCTRL, true);
    key(0x39, true);              /* Caps Lock */
    key(0x3a, true);              /* F1 */
    key(0x29, true);              /* Esc */
    EXPECT(false, 0x11, 0x14, 0x07, 0x08);
    key(I8042_HID_PAUSE, true);
    key(I8042_HID_PAUSE, false);  /* set 3's Pause has a break code */
    EXPECT(false, 0x62, 0xf0, 0x62);
}

TEST(key_overrun)
{
    setup();
    set_ctr(0x10); /* keyboard clock off: its bytes wait in its buffer */
    for (unsigned i = 0; i < 16; i++)
        key(I8042_HID_A, true);
    CHECK(!i8042_model_key(&M, I8042_HID_A, true));
    CHECK(!i8042_model_key(&M, I8042_HID_UP, true));
    CHECK_EQ(M.stats.kbd_overruns, 2);
    EXPECT_EMPTY();
    /* Replies still fit behind the full buffer. */
    kbd_cmd(0xee);
    set_ctr(0x00);
    EXPECT(false, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c,
           0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c,
           0x00,   /* set 2's overrun code, once */
           0xee);
    /* Set 1 (here: set 2 translated) overruns with 0xFF. */
    set_ctr(0x50);
    for (unsigned i = 0; i < 17; i++)
        (void)i8042_model_key(&M, I8042_HID_A, true);
    set_ctr(0x40);
    for (unsigned i = 0; i < 16; i++)
        CHECK_EQ(rd(), 0x1e);
    EXPECT(false, 0xff);
    /* Room again: a key fits, and a later overrun is reported again. */
    key(I8042_HID_A, false);
    EXPECT(false, 0x9e);
    /* A multi-byte key that would not fit whole is lost whole. */
    set_ctr(0x10);
    for (unsigned i = 0; i < 15; i++)
        key(I8042_HID_A, true);
    CHECK(!i8042_model_key(&M, I8042_HID_UP, true)); /* E0 75: 2 bytes */
    CHECK_EQ(M.s.kbd.q.len, 16);
    /* A reset empties the buffer. */
    kbd_cmd(0xff);
    set_ctr(0x00);
    EXPECT(false, 0xfa, 0xaa);
}

/* The host's back-pressure: i8042_model_kbd_room() is the key bytes the
   16-byte buffer still takes, and the kbd_room hook comes once each time
   it grows from under 8 bytes (Pause, the longest key: E1 14 77 E1 F0 14
   F0 77 in set 2) to 8 or more, from whatever made the room. */
TEST(kbd_room)
{
    uint8_t codes[8];
    i8042_state s;

    CHECK_EQ(I8042_KEY_CODES_MAX, 8);
    CHECK_EQ(i8042_scancodes(2, I8042_HID_PAUSE, true, codes), 8);
    setup();
    CHECK_EQ(i8042_model_kbd_room(&M), 16);
    set_ctr(0x10);                  /* clock off, set 2 as is: bytes stay queued */
    for (unsigned i = 0; i < 9; i++)
        key(I8042_HID_A, true);     /* 1C: 9 bytes */
    CHECK_EQ(i8042_model_kbd_room(&M), 7);
    CHECK(!i8042_model_key(&M, I8042_HID_PAUSE, true));   /* 8 do not fit in 7 */
    CHECK_EQ(i8042_model_kbd_room(&M), 6);                /* the overrun code's byte */
    CHECK_EQ(room_calls, 0);                               /* keys never call it */
    /* Clock on: the first byte moves to the output buffer, room 7. */
    set_ctr(0x00);
    CHECK_EQ(i8042_model_kbd_room(&M), 7);
    CHECK_EQ(room_calls, 0);
    CHECK_EQ(rd(), 0x1c);           /* room 8: the hook, once */
    CHECK_EQ(i8042_model_kbd_room(&M), 8);
    CHECK_EQ(room_calls, 1);
    CHECK_EQ(rd(), 0x1c);
    CHECK_EQ(room_calls, 1);        /* more room is no new call */
    EXPECT(false, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x00);
    CHECK_EQ(i8042_model_kbd_room(&M), 16);
    CHECK_EQ(room_calls, 1);
    /* Room 8 takes Pause whole. */
    set_ctr(0x10);
    for (unsigned i = 0; i < 8; i++)
        key(I8042_HID_A, true);
    key(I8042_HID_PAUSE, true);
    CHECK_EQ(i8042_model_kbd_room(&M), 0);
    /* Replies queued past the key bytes: the room stays 0. */
    kbd_cmd(0xee);
    kbd_cmd(0xee);
    CHECK_EQ(M.s.kbd.q.len, 18);
    CHECK_EQ(i8042_model_kbd_room(&M), 0);
    CHECK_EQ(room_calls, 1);
    /* A keyboard reset (0xFF) empties the buffer: FA AA left, room 14. */
    kbd_cmd(0xff);
    CHECK_EQ(i8042_model_kbd_room(&M), 14);
    CHECK_EQ(room_calls, 2);
    /* A save with room; restored over a full buffer, it calls the hook. */
    CHECK_EQ(i8042_model_save(&M, &s, sizeof s), sizeof s);
    for (unsigned i = 0; i < 14; i++)
        key(I8042_HID_A, true);
    CHECK_EQ(i8042_model_kbd_room(&M), 0);
    CHECK_EQ(room_calls, 2);
    CHECK_EQ(i8042_model_restore(&M, &s, sizeof s), sizeof s);
    CHECK_EQ(i8042_model_kbd_room(&M), 14);
    CHECK_EQ(room_calls, 3);
    /* A restored full buffer tells nothing; a refused image neither. */
    for (unsigned i = 0; i < 14; i++)
        key(I8042_HID_A, true);
    CHECK_EQ(i8042_model_save(&M, &s, sizeof s), sizeof s);
    CHECK_EQ(i8042_model_restore(&M, &s, sizeof s), sizeof s);
    CHECK_EQ(room_calls, 3);
    s.version++;
    CHECK_EQ(i8042_model_restore(&M, &s, sizeof s), -1);
    CHECK_EQ(room_calls, 3);
    /* A reset of the machine with the buffer full: room 16, one call. */
    i8042_model_reset(&M);
    CHECK_EQ(i8042_model_kbd_room(&M), 16);
    CHECK_EQ(room_calls, 4);
    i8042_model_reset(&M);
    CHECK_EQ(room_calls, 4);        /* it had room: no call */
    /* No hook: nothing to call. */
    i8042_model_init(&M, NULL);
    for (unsigned i = 0; i < 16; i++)
        (void)i8042_model_key(&M, I8042_HID_A, true);
    set_ctr(0x00);
    for (unsigned i = 0; i < 16; i++)
        (void)rd();
    CHECK_EQ(i8042_model_kbd_room(&M), 16);
}

/* ---- the mouse --------------------------------------------------------- */

TEST(mouse_commands)
{
    setup();
    set_ctr(0x02); /* mouse interrupt, both clocks on, no translation */
    aux_cmd(0xff); /* psmouse's reset */
    CHECK(irq12);
    CHECK(!irq1);
    EXPECT(true, 0xfa, 0xaa, 0x00);
    CHECK(!irq12);
    aux_cmd(0xf2);
    EXPECT(true, 0xfa, 0x00);
    aux_cmd(0xe9); /* stream, off, 1:1, no buttons; 4 counts/mm; 100/s */
    EXPECT(true, 0xfa, 0x00, 0x02, 0x64);
    /* The host reads each ACK before it sends the next byte: a mouse
       drops what it still had queued when a byte arrives. */
    static const uint8_t seq[] = { 0xf0, 0xf4, 0xe7, 0xe8, 0x03, 0xf3, 40 };
    for (unsigned i = 0; i < sizeof seq; i++) {
        aux_cmd(seq[i]);
        EXPECT(true, 0xfa);
    }
    aux_cmd(0xf2);
    aux_cmd(0xf2); /* the first reply's ID byte was dropped */
    CHECK_EQ(rd(), 0xfa);
    EXPECT(true, 0xfa, 0x00);
    aux_cmd(0xe9);
    EXPECT(true, 0xfa, 0x70, 0x03, 40);
    aux_cmd(0xe6);
    EXPECT(true, 0xfa);
    aux_cmd(0xea);
    EXPECT(true, 0xfa);
    aux_cmd(0xf5);
    EXPECT(true, 0xfa);
    aux_cmd(0xe9);
    EXPECT(true, 0xfa, 0x00, 0x03, 40);
    aux_cmd(0xf6); /* defaults */
    EXPECT(true, 0xfa);
    aux_cmd(0xe9);
    EXPECT(true, 0xfa, 0x00, 0x02, 0x64);
    /* Bad arguments: resend, the command still waits for one. */
    aux_cmd(0xf3);
    EXPECT(true, 0xfa);
    aux_cmd(7);
    EXPECT(true, 0xfe);
    aux_cmd(0xe8);       /* a command instead: runs */
    EXPECT(true, 0xfa);
    aux_cmd(4);
    EXPECT(true, 0xfe);
    aux_cmd(2);
    EXPECT(true, 0xfa);
    CHECK_EQ(M.s.aux.resolution, 2);
    aux_cmd(0x00);       /* not a command */
    EXPECT(true, 0xfe);
    aux_cmd(0xfe);       /* resend: the last byte sent */
    EXPECT(true, 0xfe);
    aux_cmd(0xf2);
    EXPECT(true, 0xfa, 0x00);
    aux_cmd(0xfe);
    EXPECT(true, 0x00);
    /* Wrap mode echoes everything but 0xEC and 0xFF. */
    aux_cmd(0xee);
    EXPECT(true, 0xfa);
    aux_cmd(0x12);
    aux_cmd(0xf4);
    EXPECT(true, 0x12, 0xf4);
    aux_cmd(0xec);
    EXPECT(true, 0xfa);
    aux_cmd(0xf2);
    EXPECT(true, 0xfa, 0x00);
    CHECK_EQ(irq1_calls, 0);
}

TEST(intellimouse)
{
    setup();
    set_ctr(0x02);
    /* psmouse's IntelliMouse probe: rates 200, 100, 80, then GET ID. */
    static const uint8_t imps[] = { 200, 100, 80 }, imex[] = { 200, 200, 80 };
    for (unsigned i = 0; i < 3; i++) {
        aux_cmd(0xf3);
        EXPECT(true, 0xfa);
        aux_cmd(imps[i]);
        EXPECT(true, 0xfa);
    }
    aux_cmd(0xf2);
    EXPECT(true, 0xfa, 0x03);
    for (unsigned i = 0; i < 3; i++) {
        aux_cmd(0xf3);
        EXPECT(true, 0xfa);
        aux_cmd(imex[i]);
        EXPECT(true, 0xfa);
    }
    aux_cmd(0xf2);
    EXPECT(true, 0xfa, 0x04);
    aux_cmd(0xff);
    EXPECT(true, 0xfa, 0xaa, 0x00);
    /* The rates must come in a row: another command in between breaks it. */
    static const uint8_t broken[] = { 0xf3, 200, 0xf3, 100, 0xe6, 0xf3, 80 };
    for (unsigned i = 0; i < sizeof broken; i++) {
        aux_cmd(broken[i]);
        EXPECT(true, 0xfa);
    }
    aux_cmd(0xf2);
    EXPECT(true, 0xfa, 0x00);
    /* 200, 200, 80 first does nothing to a plain mouse. */
    for (unsigned i = 0; i < 3; i++) {
        aux_cmd(0xf3);
        EXPECT(true, 0xfa);
        aux_cmd(imex[i]);
        EXPECT(true, 0xfa);
    }
    aux_cmd(0xf2);
    EXPECT(true, 0xfa, 0x00);
}

static void mouse_id(uint8_t id)
{
    static const uint8_t imps[] = { 200, 100, 80 }, imex[] = { 200, 200, 80 };

    aux_cmd(0xff);
    for (unsigned i = 0; id >= 3 && i < 3; i++) {
        aux_cmd(0xf3);
        aux_cmd(imps[i]);
    }
    for (unsigned i = 0; id >= 4 && i < 3; i++) {
        aux_cmd(0xf3);
        aux_cmd(imex[i]);
    }
    aux_cmd(0xf4);
    while (st() & OBF)
        (void)rd();
}

TEST(mouse_packets)
{
    setup();
    set_ctr(0x02);
    /* Reporting off: nothing sent. */
    CHECK(!i8042_model_mouse(&M, 1, 1, 0, 0));
    EXPECT_EMPTY();
    mouse_id(0);
    /* Byte 0: Y ovf, X ovf, Y sign, X sign, 1, middle, right, left. */
    CHECK(i8042_model_mouse(&M, 10, -5, 0, I8042_PKT_LEFT));
    EXPECT(true, 0x29, 0x0a, 0xfb);
    CHECK(i8042_model_mouse(&M, -1, 1, 0, I8042_PKT_RIGHT | I8042_PKT_MIDDLE));
    EXPECT(true, 0x1e, 0xff, 0x01);
    CHECK(i8042_model_mouse(&M, 255, -256, 0, 0));
    EXPECT(true, 0x28, 0xff, 0x00);
    CHECK(i8042_model_mouse(&M, 300, -300, 0, 0)); /* both overflow */
    EXPECT(true, 0xe8, 0xff, 0x00);
    CHECK(i8042_model_mouse(&M, -2147483647 - 1, 2147483647, 0, 0));
    EXPECT(true, 0xd8, 0x00, 0xff);
    /* Scaling 2:1: 1 -> 1, 2 -> 1, 3 -> 3, 4 -> 6, 5 -> 9, n -> 2n. */
    aux_cmd(0xe7);
    EXPECT(true, 0xfa);
    CHECK(i8042_model_mouse(&M, 2, 4, 0, 0));
    EXPECT(true, 0x08, 0x01, 0x06);
    CHECK(i8042_model_mouse(&M, -5, 10, 0, 0));
    EXPECT(true, 0x18, 0xf7, 0x14);
    aux_cmd(0xe6);
    EXPECT(true, 0xfa);
    /* Wheel mouse: a fourth byte, Z. */
    mouse_id(3);
    CHECK(i8042_model_mouse(&M, 0, 0, -1, 0));
    EXPECT(true, 0x08, 0x00, 0x00, 0xff);
    CHECK(i8042_model_mouse(&M, 0, 0, 20, 0));
    EXPECT(true, 0x08, 0x00, 0x00, 0x07);
    /* Five buttons: Z in bits 0-3, buttons 4 and 5 in bits 4 and 5. */
    mouse_id(4);
    CHECK(i8042_model_mouse(&M, 0, 0, -2, I8042_BTN_4));
    EXPECT(true, 0x08, 0x00, 0x00, 0x1e);
    CHECK(i8042_model_mouse(&M, 1, 0, 1, I8042_BTN_5 | I8042_PKT_LEFT));
    EXPECT(true, 0x09, 0x01, 0x00, 0x21);
    /* A full queue drops whole packets. */
    set_ctr(0x22); /* mouse clock off */
    unsigned kept = 0;
    for (unsigned i = 0; i < 10; i++)
        kept += i8042_model_mouse(&M, 1, 1, 0, 0);
    CHECK_EQ(kept, 5); /* 20 bytes hold five 4-byte packets */
    CHECK_EQ(M.stats.aux_dropped, 1 + 5); /* and the one with reporting off */
    set_ctr(0x02);
    static const uint8_t pkt[4] = { 0x08, 0x01, 0x01, 0x00 };
    for (unsigned i = 0; i < 20; i++)
        CHECK_EQ(rd(), pkt[i % 4]);
    EXPECT_EMPTY();
}

TEST(mouse_remote)
{
    setup();
    set_ctr(0x02);
    mouse_id(0);
    aux_cmd(0xf0);
    EXPECT(true, 0xfa);
    CHECK(i8042_model_mouse(&M, 100, 20, 0, 0));
    CHECK(i8042_model_mouse(&M, 100, -30, 0, 0));
    CHECK(i8042_model_mouse(&M, 100, 0, 0, I8042_PKT_LEFT));
    EXPECT_EMPTY(); /* remote mode sends only when asked */
    aux_cmd(0xeb);
    EXPECT(true, 0xfa, 0x69, 0xff, 0xf6); /* X 300 overflowed, Y -10 */
    aux_cmd(0xeb);                        /* counters reset by the read */
    EXPECT(true, 0xfa, 0x09, 0x00, 0x00);
    aux_cmd(0xe9);
    EXPECT(true, 0xfa, 0x64, 0x02, 0x64);  /* remote, enabled, left down */
    aux_cmd(0xea);
    EXPECT(true, 0xfa);
    CHECK(i8042_model_mouse(&M, 1, 2, 0, 0));
    EXPECT(true, 0x08, 0x01, 0x02);
}

TEST(sharing_the_buffer)
{
    setup();
    set_ctr(0x03);
    mouse_id(0);
    /* Keyboard and mouse bytes take turns, each with its own line. */
    CHECK(i8042_model_mouse(&M, 1, 1, 0, 0));
    key(I8042_HID_A, true);
    key(I8042_HID_A, false);
    CHECK_EQ(st() & (OBF | AUXB), OBF | AUXB);
    CHECK(irq12);
    CHECK_EQ(rd(), 0x08);
    CHECK(irq1);       /* the keyboard's turn */
    CHECK(!irq12);
    CHECK_EQ(rd(), 0x1c);
    CHECK(irq12);
    CHECK_EQ(rd(), 0x01);
    CHECK_EQ(rd(), 0xf0);
    CHECK_EQ(rd(), 0x01);
    CHECK_EQ(st() & (OBF | AUXB), OBF);
    CHECK_EQ(rd(), 0x1c);
    EXPECT_EMPTY();
    CHECK(!irq1);
    CHECK(!irq12);
    /* A controller reply waits for a full buffer, then goes first. */
    key(I8042_HID_A, true);
    key(I8042_HID_A, false);
    cmd(0xaa);
    CHECK_EQ(rd(), 0x1c);
    CHECK_EQ(rd(), 0x55);
    CHECK_EQ(rd(), 0xf0);
    /* The mouse clock off: its bytes wait; on again, they come. */
    set_ctr(0x23);
    CHECK_EQ(rd(), 0x1c);
    CHECK(i8042_model_mouse(&M, 1, 1, 0, 0));
    EXPECT_EMPTY();
    set_ctr(0x03);
    EXPECT(true, 0x08, 0x01, 0x01);
}

/* ---- the model contract ------------------------------------------------ */

TEST(save_restore)
{
    i8042_state saved, bad;
    uint8_t buf[sizeof(i8042_state) + 8];

    setup();
    set_ctr(0x43);
    mouse_id(3);
    kbd_cmd(0xed); /* a pending argument */
    key(I8042_HID_UP, true);
    CHECK(i8042_model_mouse(&M, 5, 5, 1, 0));
    CHECK(irq1);
    CHECK_EQ(i8042_model_save(&M, buf, sizeof(i8042_state) - 1), -1);
    CHECK_EQ(i8042_model_save(&M, buf, sizeof buf), (int64_t)sizeof(i8042_state));
    memcpy(&saved, buf, sizeof saved);
    i8042_model_reset(&M);
    CHECK(!irq1);
    irq1_calls = irq12_calls = a20_calls = 0;
    CHECK_EQ(i8042_model_restore(&M, &saved, sizeof saved), (int64_t)sizeof saved);
    CHECK(memcmp(&M.s, &saved, sizeof saved) == 0);
    /* Every output is told its level. */
    CHECK_EQ(irq1_calls, 1);
    CHECK_EQ(irq12_calls, 1);
    CHECK_EQ(a20_calls, 1);
    CHECK(irq1);
    kbd_cmd(0x02); /* the LED argument was still expected */
    CHECK_EQ(M.s.kbd.leds, 2);
    /* The devices take turns: ACK, packet and key codes interleave. */
    static const uint8_t order[][2] = { { 0xfa, 0 }, { 0x08, 1 }, { 0xe0, 0 }, { 0x05, 1 },
                                        { 0x48, 0 }, { 0x05, 1 }, { 0xfa, 0 }, { 0x01, 1 } };
    for (unsigned i = 0; i < 8; i++) {
        CHECK_EQ(st() & (OBF | AUXB), OBF | (order[i][1] ? AUXB : 0));
        CHECK_EQ(rd(), order[i][0]);
    }
    EXPECT_EMPTY();

    /* Refusals change nothing and call nothing. */
    i8042_model_reset(&M);
    memcpy(buf, &M.s, sizeof M.s);
    irq1_calls = irq12_calls = a20_calls = 0;
    CHECK_EQ(i8042_model_restore(&M, &saved, sizeof saved - 1), -1);
    CHECK_EQ(i8042_model_restore(&M, &saved, sizeof saved + 1), -1);
#define REJECT(field, value)                                              \
    do {                                                                  \
        bad = saved;                                                      \
        bad.field = value;                                                \
        CHECK_EQ(i8042_model_restore(&M, &bad, sizeof bad), -1);          \
    } while (0)
    REJECT(version, 2);
    REJECT(out_src, 4);
    REJECT(ctl_src, 9);
    REJECT(last_src, I8042_SRC_NONE);
    REJECT(outport, 0x02);      /* held in reset */
    REJECT(outport, 0x07);
    REJECT(pending, 0xa7);      /* takes no data byte */
    REJECT(pending, 0xd5);
    REJECT(a2, 2);
    REJECT(xlate_f0, 2);
    REJECT(reserved[1], 1);
    REJECT(kbd.set, 0);
    REJECT(kbd.set, 4);
    REJECT(kbd.leds, 8);
    REJECT(kbd.typematic, 0x80);
    REJECT(kbd.pending, 0xf4);
    REJECT(kbd.enabled, 2);
    REJECT(kbd.q.head, I8042_QUEUE_SIZE);
    REJECT(kbd.q.len, I8042_QUEUE_SIZE + 1);
    REJECT(aux.q.len, 0xff);
    REJECT(aux.mode, 3);
    REJECT(aux.wrap_from, 2);
    REJECT(aux.resolution, 4);
    REJECT(aux.rate, 0);
    REJECT(aux.rate, 255);
    REJECT(aux.rates[1], 7);
    REJECT(aux.id, 1);
    REJECT(aux.pending, 0xf4);
    REJECT(aux.buttons, 0x20);
    REJECT(aux.acc_x, 4096);
    REJECT(aux.acc_z, -4096);
    REJECT(aux.reserved, 1);
#undef REJECT
    CHECK(memcmp(&M.s, buf, sizeof M.s) == 0);
    CHECK_EQ(irq1_calls + irq12_calls + a20_calls, 0);
}

TEST(contract_types)
{
    static const chipset_ops ops = {
        .pio_read = i8042_model_read, .pio_write = i8042_model_write,
        .reset = i8042_model_reset, .save = i8042_model_save,
        .restore = i8042_model_restore,
    };
    i8042_state s;

    setup();
    ops.pio_write(&M, I8042_MODEL_STATUS, 1, 0xaa);
    CHECK_EQ(ops.pio_read(&M, I8042_MODEL_DATA, 1), 0x55);
    CHECK_EQ(ops.save(&M, &s, sizeof s), sizeof s);
    ops.reset(&M);
    CHECK_EQ(ops.restore(&M, &s, sizeof s), sizeof s);
    CHECK_EQ(I8042_PC_DATA_PORT, 0x60);
    CHECK_EQ(I8042_PC_CMD_PORT, 0x64);
    CHECK_EQ(I8042_PC_KBD_IRQ, 1);
    CHECK_EQ(I8042_PC_AUX_IRQ, 12);
    CHECK_EQ(I8042_MODEL_LEN, 2);
    /* Init calls no hook. */
    irq1_calls = irq12_calls = a20_calls = resets = 0;
    i8042_model_init(&M, &hooks);
    CHECK_EQ(irq1_calls + irq12_calls + a20_calls + resets, 0);
    i8042_model_init(&M, NULL);
    cmd(0xfe); /* no hooks: nothing to call */
    CHECK_EQ(M.stats.resets, 1);
    CHECK(asserts > 0);
}

/* ---- hostile input ----------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/* Random writes to both ports (commands biased to the interesting ones),
   reads, keys and moves, with every invariant checked after each step: the
   IRQ hooks agree with the status and command byte, queues stay bounded,
   and every state saved is one restore accepts. */
TEST(random_guest)
{
    i8042_state s;
    unsigned bad = 0;

    i8042_model_hooks h = hooks;
    h.reset = NULL;
    i8042_model_init(&M, &h);
    irq1 = irq12 = false;
    for (unsigned i = 0; i < 300000 && bad < 5; i++) {
        uint32_t r = next();
        uint8_t v = (uint8_t)(r >> 8), stv;

        switch (r % 9) {
        case 0: cmd(v); break;
        case 1: cmd((uint8_t)(0xa0 | (v & 0x0f))); break;
        case 2: cmd((uint8_t)(0xd0 | (v & 0x07))); data((uint8_t)(r >> 16)); break;
        case 3: data(v); break;
        case 4: aux_cmd((uint8_t)(0xe6 + v % 26)); break;
        case 5: (void)rd(); break;
        case 6: (void)i8042_model_key(&M, (uint8_t)(v % 0x70), (r >> 16) & 1); break;
        case 7: (void)i8042_model_mouse(&M, (int)(r >> 16) - 32768, (int)(int8_t)v * 300,
                                         (int)(r & 0xff) - 128, (uint8_t)(r >> 24)); break;
        default: i8042_model_write(&M, r & 3, 1 + (r >> 30), v); break;
        }
        stv = st();
        bad += !CHECK_EQ(irq1, (stv & OBF) && !(stv & AUXB) && (M.s.ram[0] & 1));
        bad += !CHECK_EQ(irq12, (stv & OBF) && (stv & AUXB) && (M.s.ram[0] & 2));
        bad += !CHECK(M.s.kbd.q.len <= I8042_QUEUE_SIZE && M.s.aux.q.len <= I8042_QUEUE_SIZE);
        if (i % 64 == 0) {
            CHECK_EQ(i8042_model_save(&M, &s, sizeof s), sizeof s);
            bad += !CHECK_EQ(i8042_model_restore(&M, &s, sizeof s), sizeof s);
        }
    }
    CHECK_EQ(bad, 0);
    /* Still a working controller after all that. */
    set_ctr(0x00);
    while (st() & OBF)
        (void)rd();
    cmd(0xaa);
    CHECK_EQ(rd(), 0x55);
}

/* Random bytes into restore: refused or accepted, never a crash. */
TEST(random_restore)
{
    uint8_t buf[sizeof(i8042_state)];
    unsigned taken = 0;

    setup();
    for (unsigned i = 0; i < 20000; i++) {
        (void)i8042_model_save(&M, buf, sizeof buf);
        for (unsigned j = 0; j < 1 + i % 4; j++)
            buf[next() % sizeof buf] = (uint8_t)next();
        taken += i8042_model_restore(&M, buf, sizeof buf) > 0;
        (void)rd();
        (void)i8042_model_key(&M, I8042_HID_A, true);
    }
    CHECK(taken > 0);
    CHECK(taken < 20000);
}

/* ---- the driver and decoders against the model --------------------------- */

static uint8_t drv_in(void *ctx, uint16_t port)
{
    return (uint8_t)i8042_model_read(ctx, port == 0x60 ? DATA : port == 0x64 ? CMD : 9, 1);
}

static void drv_out(void *ctx, uint16_t port, uint8_t v)
{
    i8042_model_write(ctx, port == 0x60 ? DATA : port == 0x64 ? CMD : 9, 1, v);
}

static const i8042_drv D = { drv_in, drv_out, &M };

static uint8_t floating_in(void *ctx, uint16_t port) { (void)ctx; (void)port; return 0xff; }
static void no_out(void *ctx, uint16_t port, uint8_t v) { (void)ctx; (void)port; (void)v; }

TEST(driver_init)
{
    uint8_t ctr = 0, r[3];
    const i8042_drv none = { floating_in, no_out, NULL };

    setup();
    key(I8042_HID_A, true); /* something to flush */
    CHECK_EQ(i8042_drv_init(&D, &ctr), I8042_DRV_HAS_AUX);
    /* XLATE kept, SYS from the self test, both interrupts, both clocks. */
    CHECK_EQ(ctr, 0x47);
    CHECK_EQ(M.s.ram[0], 0x47);
    CHECK_EQ(i8042_drv_aux_loop(&D, 0x3c), 0x3c);
    CHECK_EQ(i8042_drv_dev_command(&D, false, 0xf2, NULL, r, 2), 0);
    CHECK_EQ(r[0], 0xab);
    CHECK_EQ(r[1], 0x41);
    CHECK_EQ(i8042_drv_dev_command(&D, true, 0xff, NULL, r, 2), 0);
    CHECK_EQ(r[0], 0xaa);
    CHECK_EQ(r[1], 0x00);
    CHECK_EQ(i8042_drv_dev_command(&D, true, 0xe9, NULL, r, 3), 0);
    CHECK_EQ(r[0], 0x00);
    CHECK_EQ(r[1], 0x02);
    CHECK_EQ(r[2], 100);
    CHECK_EQ(i8042_drv_dev_command(&D, false, 0x01, NULL, NULL, 0), I8042_DRV_ENAK);
    /* An echo is answered without an ACK. */
    CHECK_EQ(i8042_drv_dev_command(&D, false, 0xee, NULL, r, 1), 0);
    CHECK_EQ(r[0], 0xee);
    /* No controller: an all-ones bus never empties its "buffer". */
    CHECK_EQ(i8042_drv_init(&none, &ctr), I8042_DRV_ENODEV);
    CHECK_EQ(i8042_drv_flush(&none), I8042_DRV_ENODEV);
    /* A controller that never takes a byte: a bounded wait. */
    CHECK_EQ(i8042_drv_reboot(&none), I8042_DRV_ETIMEDOUT);
    /* Reboot through the model: exactly one reset request. */
    resets = 0;
    CHECK_EQ(i8042_drv_reboot(&D), 0);
    CHECK_EQ(resets, 1);
}

/* Keys injected on the host side come back out of the guest's decoder. */
static void round_trip(unsigned set, bool xlate)
{
    static const uint8_t usages[] = {
        I8042_HID_A, 0x1d, 0x27, I8042_HID_ENTER, 0x2c, I8042_HID_UP, I8042_HID_RIGHT,
        0x50, 0x51, I8042_HID_KP_ENTER, 0x54, 0x4c, I8042_HID_LCTRL, 0xe4, 0xe6, 0xe3,
        I8042_HID_LSHIFT, 0xe5, 0x40, 0x44, 0x45, 0x39, 0x53, 0x59, 0x63, 0x65,
        I8042_HID_PRTSC, I8042_HID_PAUSE,
    };
    i8042_kbd_decoder k;
    i8042_key_event ev;
    uint8_t b, r;
    bool aux;
    unsigned got = 0, want = 0, wrong = 0;

    setup();
    CHECK(i8042_drv_init(&D, NULL) >= 0);
    if (!xlate) {
        r = (uint8_t)(M.s.ram[0] & ~0x40);
        CHECK_EQ(i8042_drv_command(&D, 0x60, &r, NULL, 0), 0);
    }
    r = (uint8_t)set;
    CHECK_EQ(i8042_drv_dev_command(&D, false, 0xf0, &r, NULL, 0), 0);
    i8042_kbd_decoder_init(&k, xlate ? 1 : set);
    for (unsigned i = 0; i < sizeof usages; i++) {
        for (int p = 1; p >= 0; p--) {
            /* Pause has no break code in sets 1 and 2: its make sequence
               decodes as a press and a release, and its release is silent. */
            bool pause = usages[i] == I8042_HID_PAUSE && (xlate || set != 3);
            unsigned n = 0, expect_n = pause ? (p ? 2 : 0) : 1;

            CHECK(i8042_model_key(&M, usages[i], p));
            while (i8042_drv_read_event(&D, &b, &aux)) {
                if (aux || !i8042_kbd_decode(&k, b, &ev))
                    continue;
                bool want_pressed = pause ? n == 0 : p == 1;
                got++;
                n++;
                if (ev.usage != usages[i] || ev.pressed != want_pressed) {
                    wrong++;
                    printf("  set %u%s: usage 0x%02x %d gave 0x%02x %d\n", set,
                           xlate ? " translated" : "", usages[i], p, ev.usage, ev.pressed);
                }
            }
            want += expect_n;
        }
    }
    CHECK_EQ(got, want);
    CHECK_EQ(wrong, 0);
}

TEST(driver_keys)
{
    round_trip(2, true);  /* the PC's usual: set 2, translated to set 1 */
    round_trip(2, false);
    round_trip(1, false);
    round_trip(3, false);
}

TEST(driver_mouse)
{
    static const uint8_t imps[] = { 200, 100, 80 };
    i8042_mouse_decoder dec;
    i8042_mouse_event ev;
    uint8_t id = 0xff, b;
    bool aux;
    unsigned got = 0;

    setup();
    CHECK_EQ(i8042_drv_init(&D, NULL), I8042_DRV_HAS_AUX);
    for (unsigned i = 0; i < 3; i++)
        CHECK_EQ(i8042_drv_dev_command(&D, true, 0xf3, &imps[i], NULL, 0), 0);
    CHECK_EQ(i8042_drv_dev_command(&D, true, 0xf2, NULL, &id, 1), 0);
    CHECK_EQ(id, 3);
    CHECK_EQ(i8042_drv_dev_command(&D, true, 0xf4, NULL, NULL, 0), 0);
    i8042_mouse_decoder_init(&dec, id);
    /* A stray byte without the sync bit first: dropped. */
    CHECK(!i8042_mouse_decode(&dec, 0x00, &ev));
    static const int moves[][3] = { { 10, -5, 1 }, { -256, 255, -8 }, { 0, 0, 7 }, { 3, 4, 0 } };
    for (unsigned i = 0; i < 4; i++) {
        CHECK(i8042_model_mouse(&M, moves[i][0], moves[i][1], moves[i][2],
                                (uint8_t)(i & 7)));
        while (i8042_drv_read_event(&D, &b, &aux)) {
            if (!CHECK(aux) || !i8042_mouse_decode(&dec, b, &ev))
                continue;
            got++;
            CHECK_EQ(ev.dx, moves[i][0]);
            CHECK_EQ(ev.dy, moves[i][1]);
            CHECK_EQ(ev.dz, moves[i][2]);
            CHECK_EQ(ev.buttons, i & 7);
            CHECK_EQ(ev.overflow, 0);
        }
    }
    CHECK_EQ(got, 4);
    /* The five-button decoder. */
    i8042_mouse_decoder_init(&dec, 4);
    CHECK(!i8042_mouse_decode(&dec, 0x39, &ev));
    CHECK(!i8042_mouse_decode(&dec, 0x05, &ev));
    CHECK(!i8042_mouse_decode(&dec, 0x02, &ev));
    CHECK(i8042_mouse_decode(&dec, 0x3e, &ev));
    CHECK_EQ(ev.dx, 5 - 256);
    CHECK_EQ(ev.dy, 2 - 256);
    CHECK_EQ(ev.dz, -2);
    CHECK_EQ(ev.buttons, I8042_PKT_LEFT | I8042_BTN_4 | I8042_BTN_5);
}

TEST(decoder_replies)
{
    i8042_kbd_decoder k;
    i8042_key_event ev;

    /* Replies and fake shifts give no key in set 2. */
    i8042_kbd_decoder_init(&k, 2);
    static const uint8_t noise[] = { 0xfa, 0xaa, 0xee, 0xfe, 0x00, 0xff, 0xe0, 0x12,
                                     0xe0, 0xf0, 0x12, 0xe0, 0x59 };
    for (unsigned i = 0; i < sizeof noise; i++)
        CHECK(!i8042_kbd_decode(&k, noise[i], &ev));
    CHECK(i8042_kbd_decode(&k, 0x1c, &ev));
    CHECK_EQ(ev.usage, I8042_HID_A);
    CHECK(ev.pressed);
    /* Set 1: the E0 2A fake shift is no key either. */
    i8042_kbd_decoder_init(&k, 1);
    CHECK(!i8042_kbd_decode(&k, 0xe0, &ev));
    CHECK(!i8042_kbd_decode(&k, 0x2a, &ev));
    CHECK(!i8042_kbd_decode(&k, 0xe0, &ev));
    CHECK(i8042_kbd_decode(&k, 0x37, &ev));
    CHECK_EQ(ev.usage, I8042_HID_PRTSC);
    /* Every key's code in every set is its own: no two keys decode alike. */
    for (unsigned set = 1; set <= 3; set++) {
        unsigned clash = 0;
        for (unsigned u = 4; u < 0x100; u++) {
            uint8_t c[8];
            unsigned n = i8042_scancodes(set, (uint8_t)u, true, c);
            i8042_kbd_decoder_init(&k, set);
            bool hit = false;
            for (unsigned j = 0; j < n; j++)
                hit = i8042_kbd_decode(&k, c[j], &ev);
            /* US backslash and non-US # share their set 1 and 2 codes. */
            if (n && (!hit || (ev.usage != u && !(u == 0x32 && set != 3 && ev.usage == 0x31))))
                clash++;
        }
        CHECK_EQ(clash, 0);
    }
}

TEST(ascii)
{
    bool sh = true;

    CHECK_EQ(i8042_ascii_to_hid('a', &sh), 0x04);
    CHECK(!sh);
    CHECK_EQ(i8042_ascii_to_hid('Z', &sh), 0x1d);
    CHECK(sh);
    CHECK_EQ(i8042_ascii_to_hid('1', &sh), 0x1e);
    CHECK_EQ(i8042_ascii_to_hid('0', &sh), 0x27);
    CHECK_EQ(i8042_ascii_to_hid('!', &sh), 0x1e);
    CHECK(sh);
    CHECK_EQ(i8042_ascii_to_hid(')', &sh), 0x27);
    CHECK_EQ(i8042_ascii_to_hid('\n', &sh), 0x28);
    CHECK(!sh);
    CHECK_EQ(i8042_ascii_to_hid('\r', NULL), 0x28);
    CHECK_EQ(i8042_ascii_to_hid(' ', &sh), 0x2c);
    CHECK_EQ(i8042_ascii_to_hid('\t', &sh), 0x2b);
    CHECK_EQ(i8042_ascii_to_hid('\b', &sh), 0x2a);
    CHECK_EQ(i8042_ascii_to_hid('\x1b', &sh), 0x29);
    CHECK_EQ(i8042_ascii_to_hid('_', &sh), 0x2d);
    CHECK(sh);
    CHECK_EQ(i8042_ascii_to_hid('|', &sh), 0x31);
    CHECK_EQ(i8042_ascii_to_hid('"', &sh), 0x34);
    CHECK_EQ(i8042_ascii_to_hid('~', &sh), 0x35);
    CHECK_EQ(i8042_ascii_to_hid('?', &sh), 0x38);
    CHECK_EQ(i8042_ascii_to_hid('/', &sh), 0x38);
    CHECK(!sh);
    CHECK_EQ(i8042_ascii_to_hid('\0', &sh), 0);
    CHECK(!sh);
    CHECK_EQ(i8042_ascii_to_hid('\x7f', &sh), 0);
    CHECK_EQ(i8042_ascii_to_hid((char)0xe9, &sh), 0);
    /* Typed through the model, "Hi!\n" comes out in set 2 with shifts. */
    setup();
    set_ctr(0x00);
    const char *text = "Hi!";
    for (const char *p = text; *p; p++) {
        uint8_t u = i8042_ascii_to_hid(*p, &sh);
        if (sh) key(I8042_HID_LSHIFT, true);
        key(u, true);
        key(u, false);
        if (sh) key(I8042_HID_LSHIFT, false);
        if (p == text)
            EXPECT(false, 0x12, 0x33, 0xf0, 0x33, 0xf0, 0x12);
    }
    EXPECT(false, 0x43, 0xf0, 0x43, 0x12, 0x16, 0xf0, 0x16, 0xf0, 0x12);
}

CHECK_MAIN(TEST_ENTRY(power_on), TEST_ENTRY(controller_ram), TEST_ENTRY(controller_commands),
           TEST_ENTRY(loop_commands), TEST_ENTRY(empty_reads), TEST_ENTRY(widths_and_offsets),
           TEST_ENTRY(reset_line), TEST_ENTRY(reset_in_hook), TEST_ENTRY(linux_probe),
           TEST_ENTRY(kbd_commands), TEST_ENTRY(atkbd_probe), TEST_ENTRY(keys_set2),
           TEST_ENTRY(keys_translated), TEST_ENTRY(keys_set1_and_set3), TEST_ENTRY(key_overrun), TEST_ENTRY(kbd_room),
           TEST_ENTRY(mouse_commands), TEST_ENTRY(intellimouse), TEST_ENTRY(mouse_packets),
           TEST_ENTRY(mouse_remote), TEST_ENTRY(sharing_the_buffer), TEST_ENTRY(save_restore),
           TEST_ENTRY(contract_types), TEST_ENTRY(random_guest), TEST_ENTRY(random_restore),
           TEST_ENTRY(driver_init), TEST_ENTRY(driver_keys), TEST_ENTRY(driver_mouse),
           TEST_ENTRY(decoder_replies), TEST_ENTRY(ascii))
