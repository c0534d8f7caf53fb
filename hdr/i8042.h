/* i8042.h - the i8042 keyboard controller with a PS/2 keyboard and mouse: one
   register map, a driver and a device model.

   WHAT IT IS
   The PC/AT's keyboard controller, an Intel 8042 microcontroller with its
   own firmware, and the two devices on its serial ports: a PS/2 keyboard
   (MF2, ID 0xAB 0x83) and a PS/2 mouse (with the IntelliMouse wheel and
   five-button extensions). The CPU sees two ports, a data port and a
   status/command port; the controller forwards bytes to the devices,
   hands their bytes back one at a time through a one-byte output buffer,
   raises IRQ 1 or IRQ 12 for them, translates the keyboard's scan code
   set 2 into the PC/XT's set 1, and drives two lines of its own: the
   CPU's reset and the A20 gate. This header holds both roles that meet at
   those ports:
     - the driver (i8042_drv_*), which a kernel uses to test and set up the
       controller as Linux does, talk to the devices, take their bytes in
       its interrupt handler, and reboot the machine;
     - the device model (i8042_model_*), which a monitor uses to emulate
       the controller and both devices, with the model contract of
       book/chipset.md, "The shape of a device model".
   They share the register and bit names below, so the driver can be run on
   the host straight against the model (that is how the tests check both).
   The decoders (i8042_kbd_decode(), i8042_mouse_decode()) and
   i8042_ascii_to_hid() belong to neither side: they turn scan codes and
   packets into key and mouse events, and characters into key usages.

   HARDWARE
   IBM PS/2 Hardware Interface Technical Reference (the keyboard/auxiliary
   device controller: status register, command byte, the controller
   commands 0x20-0xFF, output port bit 0 = reset and bit 1 = A20; the
   keyboard's and the pointing device's command sets), the Intel 8042
   data sheet (UPI-42: the 1-byte input and output buffers, the IBF/OBF
   flags, A2 = "last write was a command"), the IBM keyboard's scan code
   tables for sets 1, 2 and 3, and Microsoft's IntelliMouse (sample rates
   200, 100, 80 then GET ID gives ID 3 and a fourth packet byte; 200, 200,
   80 gives ID 4, five buttons). Keys are named by USB HID usage IDs
   (HID Usage Tables, page 0x07, Keyboard/Keypad), as every host input
   layer knows them.

     port  read                write
     0x60  output buffer       data: to the keyboard, or the argument of
                               the last controller command
     0x64  status register     controller command

   The model's choices, where the hardware leaves room:
     - Time: none. The model is event-driven: every byte moves when the
       guest reads or writes a port or the host injects input, so it has no
       poll, no deadline and no `now` hook. Real devices take about a
       millisecond per byte on their serial line; here a byte is in the
       output buffer as soon as the buffer is free.
     - The output buffer holds one byte and knows where it came from: the
       controller, the keyboard or the mouse. IRQ 1 is high while the
       buffer is full with a byte that is not the mouse's and command byte
       bit 0 is set; IRQ 12 while it holds the mouse's and bit 1 is set.
       Controller replies are "keyboard" bytes, as on a PC (status bit 5
       tells the driver which one it has). Reading port 0x60 empties the
       buffer and the line falls; the next waiting byte is moved in at once,
       after the fall, so the guest sees a new rising edge for each byte
       (QEMU does the same).
     - Waiting bytes: a controller reply, a keyboard queue, a mouse queue.
       A controller reply goes first; the two devices then take turns.
       A device whose clock the command byte disables (bit 4, bit 5) keeps
       its bytes in its queue. A second controller reply while one is still
       waiting replaces it.
     - Each device's queue is I8042_QUEUE_SIZE bytes. Key codes may fill
       I8042_KBD_KEY_BYTES of it, as a keyboard's 16-byte buffer; a key
       that does not fit is lost and the keyboard's overrun code takes its
       place once (0x00 in sets 2 and 3, 0xFF in set 1); the rest is room
       for command replies. The mouse drops a packet that does not fit and
       empties its queue when it receives a byte, as PS/2 mice do. A host
       that must not lose keys asks i8042_model_kbd_room() first and, when
       a key may not fit, waits for the `kbd_room` hook: it comes once the
       guest has read the buffer down to room for I8042_KEY_CODES_MAX bytes.
     - Power-on state is what PC firmware hands to an operating system
       (SeaBIOS on QEMU): command byte 0x61 (translation, keyboard
       interrupt, mouse clock disabled), keyboard in set 2 and scanning,
       mouse in stream mode with reporting off, A20 enabled.
     - 0xAA (self test) answers 0x55 and sets the system flag (status bit
       2, and command byte bit 2, which it mirrors). Some chipsets also
       reset the command byte on a self test; this one keeps it (Linux
       writes it back after a self test in any case).
     - 0xFE, and every pulse command 0xF0-0xFF with bit 0 clear, calls the
       `reset` hook once; so does a 0xD1 output-port write with bit 0
       clear. The reset line is not held: the board resets the machine,
       and this model with it. A pulse of A20 (bit 1) does nothing.
     - The keyboard's typematic repeat is the host's: pressing a key again
       without releasing it sends its make code again. Set 3's per-key
       modes (0xF7-0xFD) are acknowledged and ignored; every key sends make
       and break codes. No "fake shift" prefixes are added to the grey
       keys. A resend (0xFE) sends the last byte again, for the mouse as
       for the keyboard.

   BOOK
   book/i8042.md.

   USAGE
   In exactly one C file:
       #define I8042_IMPLEMENTATION
       #include "i8042.h"
   Driver, given port I/O:
       i8042_drv d = { my_inb, my_outb, my_ctx };
       uint8_t ctr;
       int r = i8042_drv_init(&d, &ctr);   // Linux's probe order
       ...in the IRQ 1 / IRQ 12 handler:
       uint8_t b; bool aux; i8042_key_event ev;
       while (i8042_drv_read_event(&d, &b, &aux))
           if (!aux && i8042_kbd_decode(&dec, b, &ev)) handle(ev);
   Model, in a monitor:
       i8042_model m;
       i8042_model_hooks h = { set_irq1, set_irq12, reset_machine, NULL,
                               NULL, ctx };
       i8042_model_init(&m, &h);
       v = i8042_model_read(&m, port == 0x60 ? I8042_MODEL_DATA
                                             : I8042_MODEL_STATUS, 1);
       i8042_model_key(&m, 0x04, true);    // 'a' pressed
   Host input with back-pressure: feed keys while
   i8042_model_kbd_room(&m) has room for them; when it has not, wait for
   the `kbd_room` hook (the guest has read enough bytes for a key).

   OVERRIDABLE MACROS (define before the include)
     I8042_DEF     linkage of public functions   (default: extern)
     I8042_STATIC  define it to make every public function static
     I8042_ASSERT  assertion for the model's internal invariants: a queue
                   index inside its buffer, a byte count within the buffer
                   it fills (default: none). Never called on guest input,
                   which is handled.

   LICENSE at the end of the file.
*/
#ifndef I8042_H
#define I8042_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under I8042_STATIC. */
#ifndef I8042_DEF
#ifdef I8042_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define I8042_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define I8042_DEF static
#endif
#else
#define I8042_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file i8042.h
    @brief i8042 keyboard controller, PS/2 keyboard and mouse: register map,
    driver and device model. See @ref i8042.

    Tests: tests/i8042_test.c. Used alone: book/alone/i8042.c, shown in
    the chapter's appendix. */

//! [i8042-registers]
/* Where a PC has it. */
#define I8042_PC_DATA_PORT 0x60u /**< data: output buffer / device data */
#define I8042_PC_CMD_PORT  0x64u /**< status (read) / controller command (write) */
#define I8042_PC_KBD_IRQ   1u    /**< ISA IRQ of keyboard (and controller) bytes */
#define I8042_PC_AUX_IRQ   12u   /**< ISA IRQ of mouse bytes */

/* The model's offset space: one byte per port. */
#define I8042_MODEL_DATA   0u /**< port 0x60 */
#define I8042_MODEL_STATUS 1u /**< port 0x64: read status, write command */
#define I8042_MODEL_LEN    2u /**< offsets the model answers */

/* Status register (port 0x64, read). */
#define I8042_STR_OBF     (1u << 0) /**< output buffer full: port 0x60 has a byte */
#define I8042_STR_IBF     (1u << 1) /**< input buffer full: the controller is busy */
#define I8042_STR_SYS     (1u << 2) /**< system flag: self test passed (command byte bit 2) */
#define I8042_STR_A2      (1u << 3) /**< the last write was a command (port 0x64) */
#define I8042_STR_INH     (1u << 4) /**< keyboard not inhibited (keylock open) */
#define I8042_STR_AUXDATA (1u << 5) /**< the byte in the output buffer is the mouse's */
#define I8042_STR_TIMEOUT (1u << 6) /**< a device did not answer in time */
#define I8042_STR_PARITY  (1u << 7) /**< a device's byte had a parity error */

/* Command byte (controller RAM byte 0: read with 0x20, write with 0x60). */
#define I8042_CTR_KBDINT  (1u << 0) /**< keyboard bytes raise IRQ 1 */
#define I8042_CTR_AUXINT  (1u << 1) /**< mouse bytes raise IRQ 12 */
#define I8042_CTR_SYS     (1u << 2) /**< system flag, shown in status bit 2 */
#define I8042_CTR_KBDDIS  (1u << 4) /**< keyboard clock disabled */
#define I8042_CTR_AUXDIS  (1u << 5) /**< mouse clock disabled */
#define I8042_CTR_XLATE   (1u << 6) /**< translate set 2 into set 1 */

/* Controller commands (port 0x64, write). */
#define I8042_CMD_READ_RAM   0x20u /**< 0x20-0x3F: read RAM byte (cmd & 0x1F); 0x20 the command byte */
#define I8042_CMD_WRITE_RAM  0x60u /**< 0x60-0x7F: write RAM byte (cmd & 0x1F) with the next data byte */
#define I8042_CMD_VERSION    0xA1u /**< firmware version: one byte */
#define I8042_CMD_PWD_CHECK  0xA4u /**< password installed? 0xF1: no */
#define I8042_CMD_AUX_DIS    0xA7u /**< set command byte bit 5 */
#define I8042_CMD_AUX_EN     0xA8u /**< clear command byte bit 5 */
#define I8042_CMD_AUX_TEST   0xA9u /**< mouse interface test: 0x00 = no error */
#define I8042_CMD_SELF_TEST  0xAAu /**< controller self test: 0x55 = passed */
#define I8042_CMD_KBD_TEST   0xABu /**< keyboard interface test: 0x00 = no error */
#define I8042_CMD_KBD_DIS    0xADu /**< set command byte bit 4 */
#define I8042_CMD_KBD_EN     0xAEu /**< clear command byte bit 4 */
#define I8042_CMD_READ_IN    0xC0u /**< read the input port */
#define I8042_CMD_READ_OUT   0xD0u /**< read the output port */
#define I8042_CMD_WRITE_OUT  0xD1u /**< write the output port with the next data byte */
#define I8042_CMD_KBD_LOOP   0xD2u /**< next data byte into the output buffer, as the keyboard's */
#define I8042_CMD_AUX_LOOP   0xD3u /**< next data byte into the output buffer, as the mouse's */
#define I8042_CMD_AUX_SEND   0xD4u /**< next data byte goes to the mouse */
#define I8042_CMD_PULSE      0xF0u /**< 0xF0-0xFF: pulse output port bits 0-3 whose bit is 0 */
#define I8042_CMD_RESET      0xFEu /**< pulse bit 0: reset the CPU */

/* Replies. */
#define I8042_SELF_TEST_OK   0x55u /**< answer to 0xAA */
#define I8042_PWD_NONE       0xF1u /**< answer to 0xA4: no password */

/* Output port (0xD0 read, 0xD1 write). */
#define I8042_OUT_RESET      (1u << 0) /**< 0 = the CPU is held in reset */
#define I8042_OUT_A20        (1u << 1) /**< the A20 gate: 1 = address line 20 passes */
#define I8042_OUT_KBD_OBF    (1u << 4) /**< IRQ 1 output */
#define I8042_OUT_AUX_OBF    (1u << 5) /**< IRQ 12 output */
#define I8042_OUT_LINES      0xCCu     /**< aux data/clock, kbd clock/data: idle high */
#define I8042_INPORT_VALUE   0x80u     /**< input port: bit 7 keyboard not inhibited */

/* Bytes the PS/2 devices send. */
#define I8042_ACK            0xFAu /**< command acknowledged */
#define I8042_RESEND         0xFEu /**< send that again (unknown command or bad argument) */
#define I8042_BAT_OK         0xAAu /**< basic assurance test passed (after a reset) */
#define I8042_ECHO           0xEEu /**< the keyboard's answer to 0xEE */
#define I8042_KBD_ID0        0xABu /**< keyboard ID, first byte */
#define I8042_KBD_ID1        0x83u /**< keyboard ID, second byte (0x41 translated) */
#define I8042_OVERRUN_SET1   0xFFu /**< key buffer overrun, set 1 */
#define I8042_OVERRUN        0x00u /**< key buffer overrun, sets 2 and 3 */
#define I8042_BREAK_PREFIX   0xF0u /**< set 2 and 3 break codes begin with it */
#define I8042_EXT_PREFIX     0xE0u /**< extended (grey) keys begin with it */
#define I8042_PAUSE_PREFIX   0xE1u /**< Pause begins with it (sets 1 and 2) */

/* Keyboard commands (data port). */
#define I8042_KBD_SET_LEDS   0xEDu /**< + LED byte: bit 0 Scroll, 1 Num, 2 Caps Lock */
#define I8042_KBD_ECHO       0xEEu /**< answers 0xEE, no ACK */
#define I8042_KBD_SCANSET    0xF0u /**< + 0: get (ACK, set), or 1-3: select */
#define I8042_KBD_GET_ID     0xF2u /**< ACK 0xAB 0x83 */
#define I8042_KBD_TYPEMATIC  0xF3u /**< + rate/delay byte, bit 7 clear */
#define I8042_KBD_ENABLE     0xF4u /**< clear the buffer, scan */
#define I8042_KBD_DISABLE    0xF5u /**< defaults, stop scanning */
#define I8042_KBD_DEFAULTS   0xF6u /**< defaults: set 2, 10.9 cps after 500 ms */
#define I8042_KBD_RESEND     0xFEu /**< send the last byte again */
#define I8042_KBD_RESET      0xFFu /**< ACK, defaults, 0xAA */
#define I8042_KBD_TYPEMATIC_DEFAULT 0x2Bu /**< 10.9 characters/s after 500 ms */

/* Mouse commands (through 0xD4). */
#define I8042_AUX_SCALE11    0xE6u /**< scaling 1:1 */
#define I8042_AUX_SCALE21    0xE7u /**< scaling 2:1 (stream mode packets) */
#define I8042_AUX_SET_RES    0xE8u /**< + 0-3: 1, 2, 4, 8 counts/mm */
#define I8042_AUX_STATUS     0xE9u /**< ACK, then status, resolution, sample rate */
#define I8042_AUX_STREAM     0xEAu /**< stream mode */
#define I8042_AUX_READ_DATA  0xEBu /**< ACK, then one packet of what was moved */
#define I8042_AUX_RESET_WRAP 0xECu /**< leave wrap mode */
#define I8042_AUX_WRAP       0xEEu /**< wrap mode: echo every byte */
#define I8042_AUX_REMOTE     0xF0u /**< remote mode: packets only on 0xEB */
#define I8042_AUX_GET_ID     0xF2u /**< ACK, then 0x00, 0x03 or 0x04 */
#define I8042_AUX_SET_RATE   0xF3u /**< + 10, 20, 40, 60, 80, 100 or 200 samples/s */
#define I8042_AUX_ENABLE     0xF4u /**< data reporting on */
#define I8042_AUX_DISABLE    0xF5u /**< data reporting off */
#define I8042_AUX_DEFAULTS   0xF6u /**< 100/s, 4 counts/mm, 1:1, reporting off */
#define I8042_AUX_RESEND     0xFEu /**< send the last byte again */
#define I8042_AUX_RESET      0xFFu /**< ACK, defaults, 0xAA, ID 0x00 */

/* Mouse status byte (second byte of the 0xE9 reply). */
#define I8042_AUX_ST_RIGHT   (1u << 0) /**< right button down */
#define I8042_AUX_ST_MIDDLE  (1u << 1) /**< middle button down */
#define I8042_AUX_ST_LEFT    (1u << 2) /**< left button down */
#define I8042_AUX_ST_SCALE21 (1u << 4) /**< scaling 2:1 */
#define I8042_AUX_ST_ENABLE  (1u << 5) /**< data reporting on */
#define I8042_AUX_ST_REMOTE  (1u << 6) /**< remote mode */

/* Mouse packet, first byte; and the buttons i8042_model_mouse() takes. */
#define I8042_PKT_LEFT       (1u << 0) /**< left button */
#define I8042_PKT_RIGHT      (1u << 1) /**< right button */
#define I8042_PKT_MIDDLE     (1u << 2) /**< middle button */
#define I8042_PKT_SYNC       (1u << 3) /**< always 1: how a driver finds a packet's start */
#define I8042_PKT_XSIGN      (1u << 4) /**< bit 8 of the 9-bit X movement */
#define I8042_PKT_YSIGN      (1u << 5) /**< bit 8 of the 9-bit Y movement */
#define I8042_PKT_XOVF       (1u << 6) /**< X moved more than the 9 bits hold */
#define I8042_PKT_YOVF       (1u << 7) /**< Y moved more than the 9 bits hold */
#define I8042_BTN_4          (1u << 3) /**< fourth button (ID 4 mice only) */
#define I8042_BTN_5          (1u << 4) /**< fifth button (ID 4 mice only) */

/* Mouse IDs. */
#define I8042_AUX_ID_PS2     0x00u /**< standard PS/2 mouse: 3-byte packets */
#define I8042_AUX_ID_WHEEL   0x03u /**< IntelliMouse: a wheel byte */
#define I8042_AUX_ID_5BTN    0x04u /**< IntelliMouse Explorer: wheel and buttons 4, 5 */
//! [i8042-registers]

/* Sizes. */
#define I8042_RAM_SIZE      32u /**< controller RAM bytes, 0 being the command byte */
#define I8042_QUEUE_SIZE    20u /**< bytes a device can hold for the controller */
#define I8042_KBD_KEY_BYTES 16u /**< of which key codes may use (a keyboard's buffer) */
#define I8042_KEY_CODES_MAX  8u /**< the most bytes one key press or release sends (Pause) */

/* ---- keys: USB HID usages (page 7) ------------------------------------ */

/* A few usages the tests and the book name. */
#define I8042_HID_A         0x04u /**< a and A */
#define I8042_HID_ENTER     0x28u /**< Return */
#define I8042_HID_PRTSC     0x46u /**< Print Screen / SysRq */
#define I8042_HID_PAUSE     0x48u /**< Pause / Break */
#define I8042_HID_RIGHT     0x4Fu /**< right arrow */
#define I8042_HID_UP        0x52u /**< up arrow */
#define I8042_HID_KP_ENTER  0x58u /**< keypad Enter */
#define I8042_HID_LCTRL     0xE0u /**< left Control */
#define I8042_HID_LSHIFT    0xE1u /**< left Shift */

/** The key that types `c` on a US keyboard: its HID usage, and in `*shift`
    (if `shift` is not NULL) whether Shift must be held. Letters, digits,
    the US punctuation, space, '\\n' and '\\r' (Enter), '\\t', '\\b'
    (Backspace) and ESC (0x1B). Any other character: 0, and `*shift` false. */
I8042_DEF uint8_t i8042_ascii_to_hid(char c, bool *shift);

/** The bytes a keyboard in scan code set `set` (1, 2 or 3) sends when the
    key with HID `usage` goes down (`pressed`) or up, into `out` (room for
    8 bytes; Pause's 8 bytes are the longest). Returns their count: 0 for a
    usage the keyboard does not have, for a set other than 1-3, and for
    Pause's release in sets 1 and 2, which sends nothing. */
I8042_DEF unsigned i8042_scancodes(unsigned set, uint8_t usage, bool pressed, uint8_t out[8]);

/** The controller's set-2-to-set-1 translation of one byte, without the
    break prefix (which the controller folds into the next byte's bit 7). */
I8042_DEF uint8_t i8042_translate(uint8_t set2);

/* ---- decoders ---------------------------------------------------------- */

/** One key going down or up. */
typedef struct i8042_key_event {
    uint8_t usage; /**< HID usage (page 7) */
    bool pressed;  /**< down (true) or up */
} i8042_key_event;

/** A scan code decoder: fed the keyboard's bytes one by one, it gives a key
    event at the last byte of each code. Plain data; the caller owns it. */
typedef struct i8042_kbd_decoder {
    uint8_t set;   /**< 1 (also: set 2 translated by the controller), 2 or 3 */
    uint8_t ext;   /**< an 0xE0 prefix was seen */
    uint8_t brk;   /**< an 0xF0 prefix was seen (sets 2, 3) */
    uint8_t pause; /**< bytes of Pause's sequence still to come, after 0xE1 */
} i8042_kbd_decoder;

/** Start decoding set `set` (1, 2 or 3; anything else counts as 2). */
I8042_DEF void i8042_kbd_decoder_init(i8042_kbd_decoder *k, unsigned set);
/** Feed one byte: true, with `*ev` filled, when it ends a key's code.
    Replies (0xFA, 0xAA, 0xEE, 0xFE, overrun codes) and set 1's and 2's
    "fake shift" prefixes of the grey keys give no event. Pause gives its
    press at the end of the first half of its sequence and its release at
    the end of the second; Print Screen gives one press and one release. */
I8042_DEF bool i8042_kbd_decode(i8042_kbd_decoder *k, uint8_t byte, i8042_key_event *ev);

/** One mouse packet. */
typedef struct i8042_mouse_event {
    int16_t dx;      /**< -256..255, right is positive */
    int16_t dy;      /**< -256..255, away from the user (up) is positive */
    int16_t dz;      /**< wheel, -8..7 (ID 3 and 4 mice; else 0) */
    uint8_t buttons; /**< I8042_PKT_LEFT, _RIGHT, _MIDDLE, I8042_BTN_4, _5 */
    uint8_t overflow;/**< I8042_PKT_XOVF and I8042_PKT_YOVF as received */
} i8042_mouse_event;

/** A packet assembler: 3 bytes per packet, 4 for ID 3 and ID 4 mice. */
typedef struct i8042_mouse_decoder {
    uint8_t id;   /**< the mouse's ID: the packet format */
    uint8_t n;    /**< bytes of the current packet so far */
    uint8_t b[4]; /**< the current packet */
} i8042_mouse_decoder;

/** Start assembling packets of a mouse with ID `id` (0, 3 or 4). */
I8042_DEF void i8042_mouse_decoder_init(i8042_mouse_decoder *m, uint8_t id);
/** Feed one byte: true, with `*ev` filled, when it completes a packet. A
    first byte without bit 3 (I8042_PKT_SYNC) is dropped, which brings a
    driver that lost a byte back in step. */
I8042_DEF bool i8042_mouse_decode(i8042_mouse_decoder *m, uint8_t byte, i8042_mouse_event *ev);

/* ---- driver ------------------------------------------------------------ */

/** How the driver reaches the controller: byte-wide port I/O. */
typedef struct i8042_drv {
    uint8_t (*in)(void *ctx, uint16_t port);              /**< an IN of one byte */
    void (*out)(void *ctx, uint16_t port, uint8_t value); /**< an OUT of one byte */
    void *ctx;                                            /**< passed to both */
} i8042_drv;

/** Status reads a wait makes before it gives up (each a port access,
    about a microsecond on a PC: a tenth of a second in all). */
#define I8042_DRV_SPINS 100000u
/** Bytes i8042_drv_flush() reads before it decides there is no controller,
    only a bus that reads all-ones. */
#define I8042_DRV_FLUSH_MAX 32u

#define I8042_DRV_ETIMEDOUT (-1) /**< the controller never became ready */
#define I8042_DRV_ENODEV    (-2) /**< no controller: the output buffer never empties */
#define I8042_DRV_ESELFTEST (-3) /**< the self test did not answer 0x55 */
#define I8042_DRV_ENAK      (-4) /**< a device answered something else than ACK */
#define I8042_DRV_HAS_AUX   1    /**< i8042_drv_init(): the mouse port works */

/** Read and drop what the output buffer holds: the count of bytes read, or
    I8042_DRV_ENODEV if it still has one after I8042_DRV_FLUSH_MAX. */
I8042_DEF int i8042_drv_flush(const i8042_drv *d);
/** Send controller command `cmd`, then `*arg` if `arg` is not NULL, and
    read `nresp` reply bytes into `resp`. 0, or I8042_DRV_ETIMEDOUT. */
I8042_DEF int i8042_drv_command(const i8042_drv *d, uint8_t cmd, const uint8_t *arg,
                                uint8_t *resp, unsigned nresp);
/** The controller's self test: 0xAA until it answers 0x55, at most five
    times, as Linux tries. 0, or I8042_DRV_ESELFTEST, I8042_DRV_ETIMEDOUT. */
I8042_DEF int i8042_drv_selftest(const i8042_drv *d);
/** The mouse port loop test, Linux's: 0xD3 `value`, and the byte must come
    back marked as the mouse's (status bit 5). The byte, or an error. */
I8042_DEF int i8042_drv_aux_loop(const i8042_drv *d, uint8_t value);
/** Set up the controller as Linux's i8042 driver does, for a kernel that
    takes both devices' bytes by interrupt: flush; self test; read the
    command byte (twice, until two reads agree); interrupts and both clocks
    off; the mouse port checked with the 0xD3 loop test (0xA9, its
    interface test, if the loop fails) and with 0xA7/0xA8, reading the
    command byte's bit 5 back after each; then the keyboard's clock and
    interrupt on, and the mouse's too if it passed. Translation is left as
    the firmware set it. `*ctr` (if not NULL) gets the final command byte.
    Returns I8042_DRV_HAS_AUX or 0, or a negative I8042_DRV_E* error. */
I8042_DEF int i8042_drv_init(const i8042_drv *d, uint8_t *ctr);
/** Send a command to the keyboard (`aux` false) or the mouse (through
    0xD4), and its argument if `arg` is not NULL, each answered by 0xFA;
    then read `nresp` more bytes into `resp`. Bytes of the other device are
    skipped. 0, I8042_DRV_ENAK (a reply other than ACK), or
    I8042_DRV_ETIMEDOUT. Polls: call it with the device's interrupt off. */
I8042_DEF int i8042_drv_dev_command(const i8042_drv *d, bool aux, uint8_t cmd,
                                    const uint8_t *arg, uint8_t *resp, unsigned nresp);
/** The interrupt handler's step: if the output buffer has a byte, read it
    into `*byte`, say in `*aux` whether the mouse sent it, and return true. */
I8042_DEF bool i8042_drv_read_event(const i8042_drv *d, uint8_t *byte, bool *aux);
/** Reset the machine: command 0xFE. Returns only if the controller was not
    ready (I8042_DRV_ETIMEDOUT) or the reset did not happen (0). */
I8042_DEF int i8042_drv_reboot(const i8042_drv *d);

/* ---- device model ------------------------------------------------------ */

/** Version of ::i8042_state; bumped when its layout changes. */
#define I8042_STATE_VERSION 1u

/** Where the byte in the output buffer, or a waiting reply, came from. */
#define I8042_SRC_NONE 0u /**< the buffer is empty */
#define I8042_SRC_CTL  1u /**< the controller (a reply to a command) */
#define I8042_SRC_KBD  2u /**< the keyboard (or 0xD2) */
#define I8042_SRC_AUX  3u /**< the mouse (or 0xD3) */

/** A device's bytes on their way to the controller: a ring. */
typedef struct i8042_queue {
    uint8_t buf[I8042_QUEUE_SIZE]; /**< the bytes */
    uint8_t head;                  /**< index of the oldest, < I8042_QUEUE_SIZE */
    uint8_t len;                   /**< bytes held, <= I8042_QUEUE_SIZE */
} i8042_queue;

/** What the keyboard remembers. */
typedef struct i8042_kbd_state {
    uint8_t set;       /**< scan code set, 1-3 */
    uint8_t leds;      /**< the LED byte, bits 0-2 */
    uint8_t typematic; /**< rate and delay, 0x00-0x7F */
    uint8_t enabled;   /**< scanning: 1, or 0 after 0xF5 */
    uint8_t pending;   /**< command awaiting its argument (0xED, 0xF0, 0xF3), 0xFB for a
                            set 3 key list, or 0 */
    uint8_t last;      /**< last byte sent, for 0xFE */
    uint8_t overrun;   /**< an overrun code is queued since the last key that fit */
    uint8_t reserved;  /**< zero */
    i8042_queue q;     /**< bytes for the controller */
} i8042_kbd_state;

/** What the mouse remembers. */
typedef struct i8042_aux_state {
    int16_t acc_x;      /**< remote mode: X movement not yet read, +-4095 */
    int16_t acc_y;      /**< remote mode: Y movement not yet read, +-4095 */
    int16_t acc_z;      /**< remote mode: wheel movement not yet read, +-4095 */
    uint8_t mode;       /**< 0 stream, 1 remote, 2 wrap */
    uint8_t wrap_from;  /**< the mode wrap mode returns to (0 or 1) */
    uint8_t enabled;    /**< data reporting */
    uint8_t scale21;    /**< scaling 2:1 */
    uint8_t resolution; /**< 0-3 */
    uint8_t rate;       /**< samples/s: 10, 20, 40, 60, 80, 100 or 200 */
    uint8_t id;         /**< 0, 3 or 4 */
    uint8_t pending;    /**< command awaiting its argument (0xE8, 0xF3), or 0 */
    uint8_t last;       /**< last byte sent, for 0xFE */
    uint8_t buttons;    /**< buttons now, I8042_PKT_LEFT.. I8042_BTN_5 */
    uint8_t rates[3];   /**< the last three sample rates set in a row (0: none) */
    uint8_t reserved;   /**< zero */
    i8042_queue q;      /**< bytes for the controller */
} i8042_aux_state;

/** Everything the controller and its two devices remember: plain data, so
    save and restore are a copy. The status register is not stored: it
    follows from these fields. */
typedef struct i8042_state {
    uint32_t version;             /**< I8042_STATE_VERSION */
    uint8_t ram[I8042_RAM_SIZE];  /**< controller RAM; ram[0] the command byte */
    uint8_t out;                  /**< the output buffer (kept after a read: read again, it repeats) */
    uint8_t out_src;              /**< I8042_SRC_*: NONE when empty */
    uint8_t outport;              /**< output port bits 0-1 (bit 0 always 1) */
    uint8_t pending;              /**< command awaiting its data byte (0x60-0x7F, 0xD1-0xD4), or 0 */
    uint8_t a2;                   /**< the last write was to the command port */
    uint8_t xlate_f0;             /**< translating, the keyboard's 0xF0 was seen */
    uint8_t ctl_byte;             /**< a reply waiting for the output buffer */
    uint8_t ctl_src;              /**< its source (I8042_SRC_*), NONE if none waits */
    uint8_t last_src;             /**< the device served last (KBD or AUX): the other goes first */
    uint8_t reserved[3];          /**< zero */
    i8042_kbd_state kbd;          /**< the keyboard */
    i8042_aux_state aux;          /**< the mouse */
} i8042_state;

/** How the model reaches the outside world. Every hook may be NULL. */
typedef struct i8042_model_hooks {
    /** IRQ 1 changed level (an edge line on ISA IRQ 1). Called on changes
        only, but told the level after a restore. */
    void (*kbd_irq)(void *ctx, bool level);
    /** IRQ 12 changed level (ISA IRQ 12), as kbd_irq. */
    void (*aux_irq)(void *ctx, bool level);
    /** Reset the machine: called once per 0xFE (or pulse with bit 0 clear)
        and per output-port write with bit 0 clear, after the model has
        finished with the access (the board may reset it in the hook). */
    void (*reset)(void *ctx);
    /** The A20 gate changed (output port bit 1): called on changes only, and
        after a reset and a restore with the level then. */
    void (*a20)(void *ctx, bool enabled);
    /** The keyboard's buffer had room for less than a key's worst case
        (I8042_KEY_CODES_MAX bytes of i8042_model_kbd_room()) and now has
        that much: the host may send keys again. Called from the guest's
        accesses and a reset, once per such change, and after a restore
        whenever the restored buffer has that room; never from
        i8042_model_key(). */
    void (*kbd_room)(void *ctx);
    void *ctx; /**< passed to every hook */
} i8042_model_hooks;

/** Counters, for a monitor's status output; not saved, kept by reset. */
typedef struct i8042_model_stats {
    uint64_t resets;       /**< reset hook calls */
    uint64_t kbd_overruns; /**< keys lost to a full keyboard buffer */
    uint64_t kbd_dropped;  /**< keys not sent: scanning off, or no such key */
    uint64_t aux_dropped;  /**< mouse packets lost: queue full, reporting off */
    uint64_t lost_replies; /**< device replies that did not fit their queue */
} i8042_model_stats;

/** The controller and both devices as a guest sees them. Caller-owned. */
typedef struct i8042_model {
    i8042_state s;           /**< machine state: the only part saved */
    i8042_model_hooks hooks; /**< wiring, not saved */
    i8042_model_stats stats; /**< counters, not saved */
} i8042_model;

/** Zero `m`, copy `*h` (NULL: no hooks) and reset; no hook is called. */
I8042_DEF void i8042_model_init(i8042_model *m, const i8042_model_hooks *h);
/** Power-on state as firmware leaves it (command byte 0x61, keyboard in set
    2 scanning, mouse in stream mode with reporting off, A20 on, every
    queue empty). Keeps `hooks` and `stats`. IRQ 1 and 12 go low and A20
    on (the hooks hear the changes). */
I8042_DEF void i8042_model_reset(void *m);
/** Guest read of one byte: offset 0 (port 0x60) takes the output buffer,
    offset 1 (port 0x64) the status. Any other offset or width reads
    all-ones of `width` (UINT64_MAX for 8). */
I8042_DEF uint64_t i8042_model_read(void *m, uint64_t offset, unsigned width);
/** Guest write of one byte: offset 0 data, offset 1 a command; anything
    else is ignored. */
I8042_DEF void i8042_model_write(void *m, uint64_t offset, unsigned width, uint64_t value);
/** Copy the state into `buf`: sizeof(::i8042_state), or -1, writing
    nothing, if `size` is smaller. */
I8042_DEF int64_t i8042_model_save(void *m, void *buf, size_t size);
/** Load a saved state: the bytes used, or -1, changing nothing, if `size` is
    not sizeof(::i8042_state) or the state is not one the controller can be
    in (another version, a reserved field set, a source, queue index or
    length out of range, a scan code set, mode, ID, rate or resolution the
    devices do not have, a pending command that takes no argument). Then
    moves a waiting byte into an empty output buffer and tells the `kbd_irq`,
    `aux_irq` and `a20` hooks their levels, and `kbd_room` if the keyboard's
    buffer has room for a key. */
I8042_DEF int64_t i8042_model_restore(void *m, const void *buf, size_t size);

/** The host's keyboard: the key with HID `usage` went down (`pressed`) or
    up. The keyboard queues that key's codes in its current set. Returns
    false, and sends nothing, if the keyboard is not scanning (0xF5) or has
    no such key; false too if the codes do not fit its buffer, which then
    holds the overrun code. Pause's release sends nothing and is true. */
I8042_DEF bool i8042_model_key(i8042_model *m, uint8_t hid_usage, bool pressed);
/** The host's mouse moved by `dx` (right), `dy` (away from the user) and
    `dz` (the wheel, towards the user), with `buttons` (I8042_PKT_LEFT,
    _RIGHT, _MIDDLE, I8042_BTN_4, _5) down. In stream mode with reporting on,
    one packet; in remote mode the movement is added up for 0xEB. Returns
    false if nothing was kept (reporting off, wrap mode, queue full). */
I8042_DEF bool i8042_model_mouse(i8042_model *m, int dx, int dy, int dz, uint8_t buttons);
/** The A20 gate: output port bit 1. */
I8042_DEF bool i8042_model_a20(const i8042_model *m);
/** Bytes of key codes the keyboard's buffer can take now: 0 to
    I8042_KBD_KEY_BYTES (replies waiting in the buffer count against it).
    A host with more keys than this takes feeds what fits and waits for
    the `kbd_room` hook instead of losing keys to the overrun code. */
I8042_DEF unsigned i8042_model_kbd_room(const i8042_model *m);

#ifdef __cplusplus
}
#endif
#endif /* I8042_H */

/* ======================================================================== */
#ifdef I8042_IMPLEMENTATION

#ifndef I8042_ASSERT
#define I8042_ASSERT(c) ((void)0)
#endif

#define I8042__CTR_POWER_ON (I8042_CTR_XLATE | I8042_CTR_AUXDIS | I8042_CTR_KBDINT)
#define I8042__MODE_STREAM 0u
#define I8042__MODE_REMOTE 1u
#define I8042__MODE_WRAP   2u
#define I8042__KBD_KEYLIST 0xFBu /* kbd.pending: set 3's key list (0xFB-0xFD) */
#define I8042__ACC_MAX     4095  /* bound of every movement count the mouse adds up */

/* ---- scan codes ---- */

//! [i8042-xlate]
/* The 8042's translation of set 2 into set 1, for bytes below 0x80 (IBM
   PS/2 Technical Reference, keyboard controller). From 0x80 up every byte
   stands for itself, except set 2's F7 (0x83, set 1's 0x41) and Alt+SysRq
   (0x84, set 1's 0x54). So a reply passes unchanged (0xFA, 0xAA, 0xEE,
   0xFE, 0xAB), the overrun code 0x00 becomes set 1's 0xFF, and the ID's
   0x83 becomes 0x41. */
static const uint8_t i8042__xlate[128] = {
    /* 0x00 */ 0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58,
    /* 0x08 */ 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    /* 0x10 */ 0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a,
    /* 0x18 */ 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    /* 0x20 */ 0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c,
    /* 0x28 */ 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    /* 0x30 */ 0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e,
    /* 0x38 */ 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    /* 0x40 */ 0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60,
    /* 0x48 */ 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    /* 0x50 */ 0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e,
    /* 0x58 */ 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    /* 0x60 */ 0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b,
    /* 0x68 */ 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    /* 0x70 */ 0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45,
    /* 0x78 */ 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

I8042_DEF uint8_t i8042_translate(uint8_t set2)
{
    if (set2 < 0x80)
        return i8042__xlate[set2];
    if (set2 == 0x83)
        return 0x41;
    if (set2 == 0x84)
        return 0x54;
    return set2;
}
//! [i8042-xlate]

/* One key: its HID usage, its set 2 code (with 0xE0 before it if `ext`)
   and its set 3 code. Set 1 is set 2 translated, 0xE0 kept, which is what
   a keyboard switched to set 1 sends. Print Screen and Pause are not here:
   their sequences are their own. */
typedef struct i8042__key {
    uint8_t usage, set2, ext, set3;
} i8042__key;

static const i8042__key i8042__keys[] = {
    { 0x04, 0x1c, 0, 0x1c }, { 0x05, 0x32, 0, 0x32 }, { 0x06, 0x21, 0, 0x21 }, /* a b c */
    { 0x07, 0x23, 0, 0x23 }, { 0x08, 0x24, 0, 0x24 }, { 0x09, 0x2b, 0, 0x2b }, /* d e f */
    { 0x0a, 0x34, 0, 0x34 }, { 0x0b, 0x33, 0, 0x33 }, { 0x0c, 0x43, 0, 0x43 }, /* g h i */
    { 0x0d, 0x3b, 0, 0x3b }, { 0x0e, 0x42, 0, 0x42 }, { 0x0f, 0x4b, 0, 0x4b }, /* j k l */
    { 0x10, 0x3a, 0, 0x3a }, { 0x11, 0x31, 0, 0x31 }, { 0x12, 0x44, 0, 0x44 }, /* m n o */
    { 0x13, 0x4d, 0, 0x4d }, { 0x14, 0x15, 0, 0x15 }, { 0x15, 0x2d, 0, 0x2d }, /* p q r */
    { 0x16, 0x1b, 0, 0x1b }, { 0x17, 0x2c, 0, 0x2c }, { 0x18, 0x3c, 0, 0x3c }, /* s t u */
    { 0x19, 0x2a, 0, 0x2a }, { 0x1a, 0x1d, 0, 0x1d }, { 0x1b, 0x22, 0, 0x22 }, /* v w x */
    { 0x1c, 0x35, 0, 0x35 }, { 0x1d, 0x1a, 0, 0x1a },                         /* y z */
    { 0x1e, 0x16, 0, 0x16 }, { 0x1f, 0x1e, 0, 0x1e }, { 0x20, 0x26, 0, 0x26 }, /* 1 2 3 */
    { 0x21, 0x25, 0, 0x25 }, { 0x22, 0x2e, 0, 0x2e }, { 0x23, 0x36, 0, 0x36 }, /* 4 5 6 */
    { 0x24, 0x3d, 0, 0x3d }, { 0x25, 0x3e, 0, 0x3e }, { 0x26, 0x46, 0, 0x46 }, /* 7 8 9 */
    { 0x27, 0x45, 0, 0x45 },                                                   /* 0 */
    { 0x28, 0x5a, 0, 0x5a }, { 0x29, 0x76, 0, 0x08 }, { 0x2a, 0x66, 0, 0x66 }, /* Enter Esc Bksp */
    { 0x2b, 0x0d, 0, 0x0d }, { 0x2c, 0x29, 0, 0x29 }, { 0x2d, 0x4e, 0, 0x4e }, /* Tab Space - */
    { 0x2e, 0x55, 0, 0x55 }, { 0x2f, 0x54, 0, 0x54 }, { 0x30, 0x5b, 0, 0x5b }, /* = [ ] */
    { 0x31, 0x5d, 0, 0x5c }, { 0x32, 0x5d, 0, 0x53 }, { 0x33, 0x4c, 0, 0x4c }, /* \ non-US# ; */
    { 0x34, 0x52, 0, 0x52 }, { 0x35, 0x0e, 0, 0x0e }, { 0x36, 0x41, 0, 0x41 }, /* ' ` , */
    { 0x37, 0x49, 0, 0x49 }, { 0x38, 0x4a, 0, 0x4a }, { 0x39, 0x58, 0, 0x14 }, /* . / Caps */
    { 0x3a, 0x05, 0, 0x07 }, { 0x3b, 0x06, 0, 0x0f }, { 0x3c, 0x04, 0, 0x17 }, /* F1-F3 */
    { 0x3d, 0x0c, 0, 0x1f }, { 0x3e, 0x03, 0, 0x27 }, { 0x3f, 0x0b, 0, 0x2f }, /* F4-F6 */
    { 0x40, 0x83, 0, 0x37 }, { 0x41, 0x0a, 0, 0x3f }, { 0x42, 0x01, 0, 0x47 }, /* F7-F9 */
    { 0x43, 0x09, 0, 0x4f }, { 0x44, 0x78, 0, 0x56 }, { 0x45, 0x07, 0, 0x5e }, /* F10-F12 */
    { 0x47, 0x7e, 0, 0x5f },                                                   /* Scroll Lock */
    { 0x49, 0x70, 1, 0x67 }, { 0x4a, 0x6c, 1, 0x6e }, { 0x4b, 0x7d, 1, 0x6f }, /* Ins Home PgUp */
    { 0x4c, 0x71, 1, 0x64 }, { 0x4d, 0x69, 1, 0x65 }, { 0x4e, 0x7a, 1, 0x6d }, /* Del End PgDn */
    { 0x4f, 0x74, 1, 0x6a }, { 0x50, 0x6b, 1, 0x61 }, { 0x51, 0x72, 1, 0x60 }, /* Right Left Down */
    { 0x52, 0x75, 1, 0x63 }, { 0x53, 0x77, 0, 0x76 }, { 0x54, 0x4a, 1, 0x77 }, /* Up NumLk KP/ */
    { 0x55, 0x7c, 0, 0x7e }, { 0x56, 0x7b, 0, 0x84 }, { 0x57, 0x79, 0, 0x7c }, /* KP* KP- KP+ */
    { 0x58, 0x5a, 1, 0x79 }, { 0x59, 0x69, 0, 0x69 }, { 0x5a, 0x72, 0, 0x72 }, /* KPEnter KP1 KP2 */
    { 0x5b, 0x7a, 0, 0x7a }, { 0x5c, 0x6b, 0, 0x6b }, { 0x5d, 0x73, 0, 0x73 }, /* KP3 KP4 KP5 */
    { 0x5e, 0x74, 0, 0x74 }, { 0x5f, 0x6c, 0, 0x6c }, { 0x60, 0x75, 0, 0x75 }, /* KP6 KP7 KP8 */
    { 0x61, 0x7d, 0, 0x7d }, { 0x62, 0x70, 0, 0x70 }, { 0x63, 0x71, 0, 0x71 }, /* KP9 KP0 KP. */
    { 0x64, 0x61, 0, 0x13 }, { 0x65, 0x2f, 1, 0x8d },                         /* non-US\ Menu */
    { 0xe0, 0x14, 0, 0x11 }, { 0xe1, 0x12, 0, 0x12 }, { 0xe2, 0x11, 0, 0x19 }, /* LCtrl LShift LAlt */
    { 0xe3, 0x1f, 1, 0x8b }, { 0xe4, 0x14, 1, 0x58 }, { 0xe5, 0x59, 0, 0x59 }, /* LGUI RCtrl RShift */
    { 0xe6, 0x11, 1, 0x39 }, { 0xe7, 0x27, 1, 0x8c },                         /* RAlt RGUI */
};
#define I8042__NKEYS (sizeof i8042__keys / sizeof i8042__keys[0])

static const i8042__key *i8042__key_of(uint8_t usage)
{
    for (size_t i = 0; i < I8042__NKEYS; i++)
        if (i8042__keys[i].usage == usage)
            return &i8042__keys[i];
    return NULL;
}

/* Set 2: make [E0] code, break [E0] F0 code; Print Screen is Shift's code
   behind E0 then its own, and Pause a make-only sequence of eight. */
static unsigned i8042__set2(uint8_t usage, bool pressed, uint8_t *o)
{
    static const uint8_t prtsc_make[4] = { 0xe0, 0x12, 0xe0, 0x7c };
    static const uint8_t prtsc_break[6] = { 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12 };
    static const uint8_t pause[8] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };
    const uint8_t *src = NULL;
    unsigned n = 0, i;
    const i8042__key *k;

    if (usage == I8042_HID_PRTSC) {
        src = pressed ? prtsc_make : prtsc_break;
        n = pressed ? 4 : 6;
    } else if (usage == I8042_HID_PAUSE) {
        src = pause;
        n = pressed ? 8 : 0;
    }
    if (src) {
        for (i = 0; i < n; i++)
            o[i] = src[i];
        return n;
    }
    if (!(k = i8042__key_of(usage)))
        return 0;
    if (k->ext)
        o[n++] = I8042_EXT_PREFIX;
    if (!pressed)
        o[n++] = I8042_BREAK_PREFIX;
    o[n++] = k->set2;
    return n;
}

/* Set 1 from set 2, as the controller would: 0xF0 folds into the next
   byte's bit 7. The result is never longer than its source. */
static unsigned i8042__to_set1(const uint8_t *in, unsigned n, uint8_t *o)
{
    unsigned j = 0;
    bool brk = false;

    for (unsigned i = 0; i < n; i++) {
        if (in[i] == I8042_BREAK_PREFIX) {
            brk = true;
            continue;
        }
        o[j++] = (uint8_t)(i8042_translate(in[i]) | (brk ? 0x80 : 0));
        brk = false;
    }
    return j;
}

I8042_DEF unsigned i8042_scancodes(unsigned set, uint8_t usage, bool pressed, uint8_t out[8])
{
    uint8_t s2[8];
    unsigned n;
    const i8042__key *k;

    if (set == 3) {
        if (usage == I8042_HID_PRTSC || usage == I8042_HID_PAUSE) {
            n = 0;
            if (!pressed)
                out[n++] = I8042_BREAK_PREFIX;
            out[n++] = usage == I8042_HID_PRTSC ? 0x57 : 0x62;
            return n;
        }
        if (!(k = i8042__key_of(usage)))
            return 0;
        n = 0;
        if (!pressed)
            out[n++] = I8042_BREAK_PREFIX;
        out[n++] = k->set3;
        return n;
    }
    if (set != 1 && set != 2)
        return 0;
    n = i8042__set2(usage, pressed, set == 2 ? out : s2);
    I8042_ASSERT(n <= 8);
    return set == 2 ? n : i8042__to_set1(s2, n, out);
}

/* ---- ASCII ---- */

I8042_DEF uint8_t i8042_ascii_to_hid(char c, bool *shift)
{
    /* US layout: the unshifted and shifted character of each key. */
    static const char plain[] = "1234567890\n\x1b\b\t -=[]\\\0;'`,./";
    static const char shifted[] = "!@#$%^&*()\0\0\0\0\0_+{}|\0:\"~<>?";
    bool sh = false;
    uint8_t u = 0;

    if (c >= 'a' && c <= 'z') {
        u = (uint8_t)(I8042_HID_A + (c - 'a'));
    } else if (c >= 'A' && c <= 'Z') {
        u = (uint8_t)(I8042_HID_A + (c - 'A'));
        sh = true;
    } else if (c == '\r') {
        u = I8042_HID_ENTER;
    } else if (c != '\0') {
        for (unsigned i = 0; i < sizeof plain - 1 && !u; i++) {
            if (plain[i] == c)
                u = (uint8_t)(0x1e + i);
            else if (shifted[i] == c) {
                u = (uint8_t)(0x1e + i);
                sh = true;
            }
        }
    }
    if (shift)
        *shift = u ? sh : false;
    return u;
}

/* ---- decoders ---- */

I8042_DEF void i8042_kbd_decoder_init(i8042_kbd_decoder *k, unsigned set)
{
    k->set = (uint8_t)(set == 1 || set == 3 ? set : 2);
    k->ext = k->brk = k->pause = 0;
}

/* The usage whose code in the decoder's set is `code` (with or without the
   0xE0 prefix), or 0. Set 1's codes are set 2's translated. */
static uint8_t i8042__usage_of(unsigned set, uint8_t code, bool ext)
{
    if (set == 1 && ext && code == 0x37)
        return I8042_HID_PRTSC;
    if (set == 2 && ext && code == 0x7c)
        return I8042_HID_PRTSC;
    if (set == 3 && (code == 0x57 || code == 0x62))
        return code == 0x57 ? I8042_HID_PRTSC : I8042_HID_PAUSE;
    for (size_t i = 0; i < I8042__NKEYS; i++) {
        const i8042__key *k = &i8042__keys[i];
        uint8_t c = set == 1 ? i8042_translate(k->set2) : set == 2 ? k->set2 : k->set3;

        if (c == code && (set == 3 || (k->ext != 0) == ext))
            return k->usage;
    }
    return 0;
}

static bool i8042__key_event(i8042_kbd_decoder *k, uint8_t code, bool pressed,
                             i8042_key_event *ev)
{
    uint8_t u = i8042__usage_of(k->set, code, k->ext != 0);

    k->ext = k->brk = 0;
    if (!u)
        return false;
    ev->usage = u;
    ev->pressed = pressed;
    return true;
}

//! [i8042-decode]
I8042_DEF bool i8042_kbd_decode(i8042_kbd_decoder *k, uint8_t b, i8042_key_event *ev)
{
    if (k->pause) {
        /* Pause: two bytes after 0xE1 (0xF0 prefixes not counted); the
           first half is its press, the half with breaks its release. */
        if (b == I8042_BREAK_PREFIX && k->set == 2) {
            k->brk = 1;
            return false;
        }
        if (--k->pause)
            return false;
        ev->usage = I8042_HID_PAUSE;
        ev->pressed = k->set == 1 ? !(b & 0x80) : !k->brk;
        k->brk = 0;
        return true;
    }
    if (b == I8042_EXT_PREFIX && k->set != 3) {
        k->ext = 1;
        return false;
    }
    if (b == I8042_PAUSE_PREFIX && k->set != 3) {
        k->pause = 2;
        k->ext = k->brk = 0;
        return false;
    }
    if (k->set == 1) /* break = make | 0x80 */
        return i8042__key_event(k, (uint8_t)(b & 0x7f), !(b & 0x80), ev);
    if (b == I8042_BREAK_PREFIX) {
        k->brk = 1;
        return false;
    }
    return i8042__key_event(k, b, !k->brk, ev);
}
//! [i8042-decode]

I8042_DEF void i8042_mouse_decoder_init(i8042_mouse_decoder *m, uint8_t id)
{
    m->id = id;
    m->n = 0;
    for (unsigned i = 0; i < 4; i++)
        m->b[i] = 0;
}

I8042_DEF bool i8042_mouse_decode(i8042_mouse_decoder *m, uint8_t byte, i8042_mouse_event *ev)
{
    unsigned len = m->id == I8042_AUX_ID_WHEEL || m->id == I8042_AUX_ID_5BTN ? 4 : 3;
    const uint8_t *b = m->b;

    if (m->n == 0 && !(byte & I8042_PKT_SYNC))
        return false; /* not a first byte: out of step, wait for one */
    if (m->n >= len)
        m->n = 0;
    m->b[m->n++] = byte;
    if (m->n < len)
        return false;
    m->n = 0;
    ev->dx = (int16_t)(b[1] - (b[0] & I8042_PKT_XSIGN ? 256 : 0));
    ev->dy = (int16_t)(b[2] - (b[0] & I8042_PKT_YSIGN ? 256 : 0));
    ev->buttons = (uint8_t)(b[0] & 7);
    ev->overflow = (uint8_t)(b[0] & (I8042_PKT_XOVF | I8042_PKT_YOVF));
    ev->dz = 0;
    if (m->id == I8042_AUX_ID_WHEEL) {
        ev->dz = (int16_t)(b[3] < 0x80 ? b[3] : b[3] - 256);
    } else if (m->id == I8042_AUX_ID_5BTN) {
        ev->dz = (int16_t)((b[3] & 0x0f) < 8 ? (b[3] & 0x0f) : (b[3] & 0x0f) - 16);
        ev->buttons |= (uint8_t)((b[3] & 0x10 ? I8042_BTN_4 : 0) | (b[3] & 0x20 ? I8042_BTN_5 : 0));
    }
    return true;
}

/* ---- driver ---- */

static uint8_t i8042__drv_status(const i8042_drv *d)
{
    return d->in(d->ctx, I8042_PC_CMD_PORT);
}

/* The controller takes a byte when its input buffer is empty. */
static int i8042__drv_wait_write(const i8042_drv *d)
{
    for (unsigned i = 0; i < I8042_DRV_SPINS; i++)
        if (!(i8042__drv_status(d) & I8042_STR_IBF))
            return 0;
    return I8042_DRV_ETIMEDOUT;
}

/* A byte in the output buffer: its status (for bit 5) and then the byte. */
static int i8042__drv_wait_read(const i8042_drv *d, uint8_t *status)
{
    for (unsigned i = 0; i < I8042_DRV_SPINS; i++) {
        uint8_t st = i8042__drv_status(d);

        if (st & I8042_STR_OBF) {
            if (status)
                *status = st;
            return d->in(d->ctx, I8042_PC_DATA_PORT);
        }
    }
    return I8042_DRV_ETIMEDOUT;
}

static int i8042__drv_put(const i8042_drv *d, uint16_t port, uint8_t v)
{
    if (i8042__drv_wait_write(d))
        return I8042_DRV_ETIMEDOUT;
    d->out(d->ctx, port, v);
    return 0;
}

I8042_DEF int i8042_drv_flush(const i8042_drv *d)
{
    int n = 0;

    while (i8042__drv_status(d) & I8042_STR_OBF) {
        if (n == (int)I8042_DRV_FLUSH_MAX)
            return I8042_DRV_ENODEV;
        (void)d->in(d->ctx, I8042_PC_DATA_PORT);
        n++;
    }
    return n;
}

I8042_DEF int i8042_drv_command(const i8042_drv *d, uint8_t cmd, const uint8_t *arg,
                                uint8_t *resp, unsigned nresp)
{
    if (i8042__drv_put(d, I8042_PC_CMD_PORT, cmd))
        return I8042_DRV_ETIMEDOUT;
    if (arg && i8042__drv_put(d, I8042_PC_DATA_PORT, *arg))
        return I8042_DRV_ETIMEDOUT;
    for (unsigned i = 0; i < nresp; i++) {
        int b = i8042__drv_wait_read(d, NULL);

        if (b < 0)
            return I8042_DRV_ETIMEDOUT;
        resp[i] = (uint8_t)b;
    }
    return 0;
}

I8042_DEF int i8042_drv_selftest(const i8042_drv *d)
{
    for (unsigned i = 0; i < 5; i++) {
        uint8_t r;

        if (i8042_drv_command(d, I8042_CMD_SELF_TEST, NULL, &r, 1))
            return I8042_DRV_ETIMEDOUT;
        if (r == I8042_SELF_TEST_OK)
            return 0;
    }
    return I8042_DRV_ESELFTEST;
}

I8042_DEF int i8042_drv_aux_loop(const i8042_drv *d, uint8_t value)
{
    uint8_t st = 0;
    int b;

    if (i8042_drv_command(d, I8042_CMD_AUX_LOOP, &value, NULL, 0))
        return I8042_DRV_ETIMEDOUT;
    b = i8042__drv_wait_read(d, &st);
    if (b < 0)
        return b;
    return st & I8042_STR_AUXDATA ? b : I8042_DRV_ENAK;
}

static int i8042__drv_read_ctr(const i8042_drv *d, uint8_t *ctr)
{
    return i8042_drv_command(d, I8042_CMD_READ_RAM, NULL, ctr, 1);
}

static int i8042__drv_write_ctr(const i8042_drv *d, uint8_t ctr)
{
    return i8042_drv_command(d, I8042_CMD_WRITE_RAM, &ctr, NULL, 0);
}

/* Linux's i8042_toggle_aux: the command, then bit 5 must follow it. */
static bool i8042__drv_toggle_aux(const i8042_drv *d, bool on)
{
    uint8_t ctr;

    if (i8042_drv_command(d, on ? I8042_CMD_AUX_EN : I8042_CMD_AUX_DIS, NULL, NULL, 0) ||
        i8042__drv_read_ctr(d, &ctr))
        return false;
    return !(ctr & I8042_CTR_AUXDIS) == on;
}

/* The mouse port, as Linux's i8042_check_aux tests it. */
static bool i8042__drv_check_aux(const i8042_drv *d)
{
    uint8_t r;

    if (i8042_drv_flush(d) < 0)
        return false;
    if (i8042_drv_aux_loop(d, 0x5a) != 0x5a) {
        /* 0x00 no error; 0xFA and 0xFF are what some chipsets say of a
           port that works. */
        if (i8042_drv_command(d, I8042_CMD_AUX_TEST, NULL, &r, 1) ||
            (r != 0x00 && r != 0xfa && r != 0xff))
            return false;
    }
    return i8042__drv_toggle_aux(d, false) && i8042__drv_toggle_aux(d, true);
}

//! [i8042-probe]
I8042_DEF int i8042_drv_init(const i8042_drv *d, uint8_t *ctr_out)
{
    uint8_t ctr[2] = { 0, 0 };
    bool aux;
    int r;

    if ((r = i8042_drv_flush(d)) < 0)
        return r;                          /* a bus that reads all-ones */
    if ((r = i8042_drv_selftest(d)) < 0)
        return r;
    for (unsigned n = 0; n < 10; n++) {    /* two reads that agree */
        ctr[n & 1] = 0;
        if (i8042__drv_read_ctr(d, &ctr[n & 1]))
            return I8042_DRV_ETIMEDOUT;
        if (n >= 1 && ctr[0] == ctr[1])
            break;
    }
    ctr[0] |= I8042_CTR_KBDDIS | I8042_CTR_AUXDIS;
    ctr[0] &= (uint8_t)~(I8042_CTR_KBDINT | I8042_CTR_AUXINT);
    if (i8042__drv_write_ctr(d, ctr[0]) || i8042_drv_flush(d) < 0)
        return I8042_DRV_ETIMEDOUT;
    aux = i8042__drv_check_aux(d);
    if (i8042__drv_read_ctr(d, &ctr[0]))
        return I8042_DRV_ETIMEDOUT;
    ctr[0] &= (uint8_t)~I8042_CTR_KBDDIS;
    ctr[0] |= I8042_CTR_KBDINT;
    if (aux) {
        ctr[0] &= (uint8_t)~I8042_CTR_AUXDIS;
        ctr[0] |= I8042_CTR_AUXINT;
    } else {
        ctr[0] |= I8042_CTR_AUXDIS;
    }
    if (i8042__drv_write_ctr(d, ctr[0]))
        return I8042_DRV_ETIMEDOUT;
    if (ctr_out)
        *ctr_out = ctr[0];
    return aux ? I8042_DRV_HAS_AUX : 0;
}
//! [i8042-probe]

/* The next byte of the wanted device; the other device's are dropped. */
static int i8042__drv_dev_byte(const i8042_drv *d, bool aux)
{
    for (unsigned i = 0; i < 2 * I8042_QUEUE_SIZE + 2; i++) {
        uint8_t st = 0;
        int b = i8042__drv_wait_read(d, &st);

        if (b < 0 || !(st & I8042_STR_AUXDATA) == !aux)
            return b;
    }
    return I8042_DRV_ETIMEDOUT;
}

static int i8042__drv_dev_send(const i8042_drv *d, bool aux, uint8_t v)
{
    int b;

    if (aux && i8042__drv_put(d, I8042_PC_CMD_PORT, I8042_CMD_AUX_SEND))
        return I8042_DRV_ETIMEDOUT;
    if (i8042__drv_put(d, I8042_PC_DATA_PORT, v))
        return I8042_DRV_ETIMEDOUT;
    if ((aux || v != I8042_KBD_ECHO) && (b = i8042__drv_dev_byte(d, aux)) != (int)I8042_ACK)
        return b < 0 ? b : I8042_DRV_ENAK;
    return 0;
}

I8042_DEF int i8042_drv_dev_command(const i8042_drv *d, bool aux, uint8_t cmd,
                                    const uint8_t *arg, uint8_t *resp, unsigned nresp)
{
    int r;

    if ((r = i8042__drv_dev_send(d, aux, cmd)) || (arg && (r = i8042__drv_dev_send(d, aux, *arg))))
        return r;
    for (unsigned i = 0; i < nresp; i++) {
        int b = i8042__drv_dev_byte(d, aux);

        if (b < 0)
            return b;
        resp[i] = (uint8_t)b;
    }
    return 0;
}

I8042_DEF bool i8042_drv_read_event(const i8042_drv *d, uint8_t *byte, bool *aux)
{
    uint8_t st = i8042__drv_status(d);

    if (!(st & I8042_STR_OBF))
        return false;
    *byte = d->in(d->ctx, I8042_PC_DATA_PORT);
    *aux = (st & I8042_STR_AUXDATA) != 0;
    return true;
}

//! [i8042-reboot]
I8042_DEF int i8042_drv_reboot(const i8042_drv *d)
{
    return i8042__drv_put(d, I8042_PC_CMD_PORT, I8042_CMD_RESET);
}
//! [i8042-reboot]

/* ---- device model: queues ---- */

static void i8042__q_clear(i8042_queue *q)
{
    q->head = q->len = 0;
}

static bool i8042__q_push(i8042_queue *q, uint8_t b)
{
    if (q->len >= I8042_QUEUE_SIZE)
        return false;
    q->buf[(q->head + q->len) % I8042_QUEUE_SIZE] = b;
    q->len++;
    return true;
}

static uint8_t i8042__q_pop(i8042_queue *q)
{
    uint8_t b;

    I8042_ASSERT(q->len > 0 && q->head < I8042_QUEUE_SIZE);
    b = q->buf[q->head];
    q->head = (uint8_t)((q->head + 1) % I8042_QUEUE_SIZE);
    q->len--;
    return b;
}

/* Room for key codes in the keyboard's buffer (it may hold more than
   I8042_KBD_KEY_BYTES, with replies). */
static unsigned i8042__kbd_room(const i8042_state *s)
{
    unsigned len = s->kbd.q.len;

    return len >= I8042_KBD_KEY_BYTES ? 0 : I8042_KBD_KEY_BYTES - len;
}

//! [i8042-kbd-room]
/* The host's back-pressure: after a call that may have emptied some of
   the keyboard's buffer, tell the host once when the room for key codes
   has grown from less than a whole key's worst case to at least that. */
static void i8042__room_follow(i8042_model *m, unsigned room_was)
{
    if (room_was < I8042_KEY_CODES_MAX && i8042__kbd_room(&m->s) >= I8042_KEY_CODES_MAX &&
        m->hooks.kbd_room)
        m->hooks.kbd_room(m->hooks.ctx);
}
//! [i8042-kbd-room]

/* A device's reply: lost (and counted) if its queue is full. */
static void i8042__reply(i8042_model *m, i8042_queue *q, uint8_t b)
{
    if (!i8042__q_push(q, b))
        m->stats.lost_replies++;
}

/* ---- device model: interrupts and the output buffer ---- */

//! [i8042-irq]
/* The IRQ outputs are not stored: they are this function of the output
   buffer's source and the command byte's enables. */
static void i8042__levels(const i8042_state *s, bool *kbd, bool *aux)
{
    *kbd = s->out_src != I8042_SRC_NONE && s->out_src != I8042_SRC_AUX &&
           (s->ram[0] & I8042_CTR_KBDINT);
    *aux = s->out_src == I8042_SRC_AUX && (s->ram[0] & I8042_CTR_AUXINT);
}

static void i8042__follow(i8042_model *m, bool kbd_was, bool aux_was)
{
    bool kbd, aux;

    i8042__levels(&m->s, &kbd, &aux);
    if (kbd != kbd_was && m->hooks.kbd_irq)
        m->hooks.kbd_irq(m->hooks.ctx, kbd);
    if (aux != aux_was && m->hooks.aux_irq)
        m->hooks.aux_irq(m->hooks.ctx, aux);
}
//! [i8042-irq]

//! [i8042-fill]
/* The keyboard's next byte, through the translator when XLATE is set: a
   0xF0 is held back and sets bit 7 of the byte after it. False if the
   queue ran dry (after an 0xF0, say). */
static bool i8042__kbd_next(i8042_state *s, uint8_t *out)
{
    i8042_queue *q = &s->kbd.q;

    while (q->len) {
        uint8_t b = i8042__q_pop(q);

        s->kbd.last = b;
        if (!(s->ram[0] & I8042_CTR_XLATE)) {
            *out = b;
            return true;
        }
        if (b == I8042_BREAK_PREFIX) {
            s->xlate_f0 = 1;
            continue;
        }
        *out = (uint8_t)(i8042_translate(b) | (s->xlate_f0 ? 0x80 : 0));
        s->xlate_f0 = 0;
        return true;
    }
    return false;
}

static bool i8042__from_kbd(i8042_state *s)
{
    if ((s->ram[0] & I8042_CTR_KBDDIS) || !i8042__kbd_next(s, &s->out))
        return false;
    s->out_src = s->last_src = I8042_SRC_KBD;
    return true;
}

static bool i8042__from_aux(i8042_state *s)
{
    if ((s->ram[0] & I8042_CTR_AUXDIS) || !s->aux.q.len)
        return false;
    s->out = s->aux.last = i8042__q_pop(&s->aux.q);
    s->out_src = s->last_src = I8042_SRC_AUX;
    return true;
}

/* An empty output buffer takes the next byte: a controller reply first,
   then the device that was not served last, then the other. */
static void i8042__fill(i8042_state *s)
{
    if (s->out_src != I8042_SRC_NONE)
        return;
    if (s->ctl_src != I8042_SRC_NONE) {
        s->out = s->ctl_byte;
        s->out_src = s->ctl_src;
        s->ctl_src = I8042_SRC_NONE;
    } else if (s->last_src == I8042_SRC_KBD) {
        (void)(i8042__from_aux(s) || i8042__from_kbd(s));
    } else {
        (void)(i8042__from_kbd(s) || i8042__from_aux(s));
    }
}
//! [i8042-fill]

/* A byte the controller itself puts out: a reply (CTL), or 0xD2/0xD3's. */
static void i8042__ctl_out(i8042_state *s, uint8_t src, uint8_t b)
{
    s->ctl_byte = b;
    s->ctl_src = src;
}

/* ---- device model: the keyboard ---- */

static void i8042__kbd_defaults(i8042_kbd_state *k)
{
    k->set = 2;
    k->typematic = I8042_KBD_TYPEMATIC_DEFAULT;
    k->pending = 0;
}

/* A command's argument: true if `v` is one (then it is applied). */
static bool i8042__kbd_arg(i8042_model *m, uint8_t cmd, uint8_t v)
{
    i8042_kbd_state *k = &m->s.kbd;

    if (cmd == I8042_KBD_SET_LEDS && v < I8042_KBD_SET_LEDS) {
        k->leds = (uint8_t)(v & 7);
    } else if (cmd == I8042_KBD_TYPEMATIC && v < 0x80) {
        k->typematic = v;
    } else if (cmd == I8042_KBD_SCANSET && v <= 3) {
        i8042__reply(m, &k->q, I8042_ACK);
        if (v == 0)
            i8042__reply(m, &k->q, k->set);
        else
            k->set = v;
        return true;
    } else {
        return false;
    }
    i8042__reply(m, &k->q, I8042_ACK);
    return true;
}

static void i8042__kbd_command(i8042_model *m, uint8_t v)
{
    i8042_kbd_state *k = &m->s.kbd;
    i8042_queue *q = &k->q;

    switch (v) {
    case I8042_KBD_SET_LEDS:
    case I8042_KBD_SCANSET:
    case I8042_KBD_TYPEMATIC:
        k->pending = v;
        i8042__reply(m, q, I8042_ACK);
        break;
    case I8042_KBD_ECHO:
        i8042__reply(m, q, I8042_ECHO);
        break;
    case I8042_KBD_GET_ID:
        i8042__reply(m, q, I8042_ACK);
        i8042__reply(m, q, I8042_KBD_ID0);
        i8042__reply(m, q, I8042_KBD_ID1);
        break;
    case I8042_KBD_ENABLE:
    case I8042_KBD_DISABLE:
    case I8042_KBD_DEFAULTS:
    case I8042_KBD_RESET:
        /* Each clears the keyboard's buffer; all but 0xF4 load defaults. */
        i8042__q_clear(q);
        k->overrun = 0;
        if (v != I8042_KBD_ENABLE)
            i8042__kbd_defaults(k);
        if (v != I8042_KBD_DEFAULTS)
            k->enabled = v != I8042_KBD_DISABLE;
        if (v == I8042_KBD_RESET)
            k->leds = 0;
        i8042__reply(m, q, I8042_ACK);
        if (v == I8042_KBD_RESET)
            i8042__reply(m, q, I8042_BAT_OK);
        break;
    case 0xf7: case 0xf8: case 0xf9: case 0xfa: /* set 3: every key's mode */
        i8042__reply(m, q, I8042_ACK);
        break;
    case 0xfb: case 0xfc: case 0xfd:            /* set 3: listed keys' modes */
        k->pending = I8042__KBD_KEYLIST;
        i8042__reply(m, q, I8042_ACK);
        break;
    case I8042_KBD_RESEND:
        i8042__reply(m, q, k->last);
        break;
    default:
        i8042__reply(m, q, I8042_RESEND);
        break;
    }
}

//! [i8042-kbd-byte]
/* A byte from the host. An expected argument is taken if it is a valid
   one; a command byte (0xED and up) instead abandons the argument and runs
   as a command; anything else is refused with 0xFE, still waiting. */
static void i8042__kbd_byte(i8042_model *m, uint8_t v)
{
    i8042_kbd_state *k = &m->s.kbd;
    uint8_t p = k->pending;

    if (p == I8042__KBD_KEYLIST && v < I8042_KBD_SET_LEDS) {
        i8042__reply(m, &k->q, I8042_ACK); /* one key of the list */
        return;
    }
    if (p && p != I8042__KBD_KEYLIST) {
        if (i8042__kbd_arg(m, p, v)) {
            k->pending = 0;
            return;
        }
        if (v < I8042_KBD_SET_LEDS) {
            i8042__reply(m, &k->q, I8042_RESEND);
            return;
        }
    }
    k->pending = 0;
    i8042__kbd_command(m, v);
}
//! [i8042-kbd-byte]

/* ---- device model: the mouse ---- */

static void i8042__aux_defaults(i8042_aux_state *a)
{
    a->rate = 100;
    a->resolution = 2;
    a->scale21 = 0;
    a->enabled = 0;
    a->mode = I8042__MODE_STREAM;
    a->acc_x = a->acc_y = a->acc_z = 0;
}

static bool i8042__rate_ok(uint8_t r)
{
    return r == 10 || r == 20 || r == 40 || r == 60 || r == 80 || r == 100 || r == 200;
}

static int i8042__clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Scaling 2:1 (stream mode only): the PS/2 table for 0-5, then doubled. */
static int i8042__scale(int v)
{
    static const int t[6] = { 0, 1, 1, 3, 6, 9 };
    int a = v < 0 ? -v : v;

    a = a < 6 ? t[a] : 2 * a;
    return v < 0 ? -a : a;
}

//! [i8042-packet]
/* One packet: buttons, the signs and overflows of 9-bit X and Y, their low
   bytes, and for wheel mice a fourth byte (ID 3: Z as a signed byte; ID 4:
   Z in bits 0-3, buttons 4 and 5 in bits 4 and 5). A movement beyond
   -256..255 is sent as the limit with its overflow bit. */
static unsigned i8042__packet(const i8042_aux_state *a, int x, int y, int z, uint8_t *p)
{
    bool xo = x < -256 || x > 255, yo = y < -256 || y > 255;

    x = i8042__clamp(x, -256, 255);
    y = i8042__clamp(y, -256, 255);
    z = i8042__clamp(z, -8, 7);
    p[0] = (uint8_t)(I8042_PKT_SYNC | (a->buttons & 7) | (x < 0 ? I8042_PKT_XSIGN : 0) |
                     (y < 0 ? I8042_PKT_YSIGN : 0) | (xo ? I8042_PKT_XOVF : 0) |
                     (yo ? I8042_PKT_YOVF : 0));
    p[1] = (uint8_t)(x & 0xff);
    p[2] = (uint8_t)(y & 0xff);
    if (a->id == I8042_AUX_ID_WHEEL) {
        p[3] = (uint8_t)(z & 0xff);
        return 4;
    }
    if (a->id == I8042_AUX_ID_5BTN) {
        p[3] = (uint8_t)((z & 0x0f) | (a->buttons & I8042_BTN_4 ? 0x10 : 0) |
                         (a->buttons & I8042_BTN_5 ? 0x20 : 0));
        return 4;
    }
    return 3;
}
//! [i8042-packet]

/* IntelliMouse: sample rates 200, 100, 80 in a row make a plain mouse a
   wheel mouse (ID 3); then 200, 200, 80 make it a five-button one. */
static void i8042__aux_rate(i8042_aux_state *a, uint8_t r)
{
    a->rate = r;
    a->rates[0] = a->rates[1];
    a->rates[1] = a->rates[2];
    a->rates[2] = r;
    if (a->rates[0] == 200 && a->rates[2] == 80) {
        if (a->rates[1] == 100 && a->id == I8042_AUX_ID_PS2)
            a->id = I8042_AUX_ID_WHEEL;
        else if (a->rates[1] == 200 && a->id == I8042_AUX_ID_WHEEL)
            a->id = I8042_AUX_ID_5BTN;
    }
}

static bool i8042__aux_arg(i8042_model *m, uint8_t cmd, uint8_t v)
{
    i8042_aux_state *a = &m->s.aux;

    if (cmd == I8042_AUX_SET_RES && v <= 3)
        a->resolution = v;
    else if (cmd == I8042_AUX_SET_RATE && i8042__rate_ok(v))
        i8042__aux_rate(a, v);
    else
        return false;
    i8042__reply(m, &a->q, I8042_ACK);
    return true;
}

static void i8042__aux_status(i8042_model *m)
{
    i8042_aux_state *a = &m->s.aux;
    uint8_t st = (uint8_t)((a->mode == I8042__MODE_REMOTE ? I8042_AUX_ST_REMOTE : 0) |
                           (a->enabled ? I8042_AUX_ST_ENABLE : 0) |
                           (a->scale21 ? I8042_AUX_ST_SCALE21 : 0) |
                           (a->buttons & I8042_PKT_LEFT ? I8042_AUX_ST_LEFT : 0) |
                           (a->buttons & I8042_PKT_MIDDLE ? I8042_AUX_ST_MIDDLE : 0) |
                           (a->buttons & I8042_PKT_RIGHT ? I8042_AUX_ST_RIGHT : 0));

    i8042__reply(m, &a->q, I8042_ACK);
    i8042__reply(m, &a->q, st);
    i8042__reply(m, &a->q, a->resolution);
    i8042__reply(m, &a->q, a->rate);
}

static void i8042__aux_read_data(i8042_model *m)
{
    i8042_aux_state *a = &m->s.aux;
    uint8_t p[4];
    unsigned n = i8042__packet(a, a->acc_x, a->acc_y, a->acc_z, p);

    a->acc_x = a->acc_y = a->acc_z = 0;
    i8042__reply(m, &a->q, I8042_ACK);
    for (unsigned i = 0; i < n; i++)
        i8042__reply(m, &a->q, p[i]);
}

static void i8042__aux_command(i8042_model *m, uint8_t v)
{
    i8042_aux_state *a = &m->s.aux;
    i8042_queue *q = &a->q;

    if (v != I8042_AUX_SET_RATE)
        a->rates[0] = a->rates[1] = a->rates[2] = 0;
    switch (v) {
    case I8042_AUX_SCALE11:
    case I8042_AUX_SCALE21:
        a->scale21 = v == I8042_AUX_SCALE21;
        i8042__reply(m, q, I8042_ACK);
        break;
    case I8042_AUX_SET_RES:
    case I8042_AUX_SET_RATE:
        a->pending = v;
        i8042__reply(m, q, I8042_ACK);
        break;
    case I8042_AUX_STATUS:
        i8042__aux_status(m);
        break;
    case I8042_AUX_READ_DATA:
        i8042__aux_read_data(m);
        break;
    case I8042_AUX_STREAM:
    case I8042_AUX_REMOTE:
    case I8042_AUX_WRAP:
    case I8042_AUX_RESET_WRAP:
        if (v == I8042_AUX_WRAP && a->mode != I8042__MODE_WRAP)
            a->wrap_from = a->mode;
        a->mode = (uint8_t)(v == I8042_AUX_STREAM ? I8042__MODE_STREAM
                          : v == I8042_AUX_REMOTE ? I8042__MODE_REMOTE
                          : v == I8042_AUX_WRAP   ? I8042__MODE_WRAP
                          : a->mode == I8042__MODE_WRAP ? a->wrap_from : a->mode);
        a->acc_x = a->acc_y = a->acc_z = 0;
        i8042__reply(m, q, I8042_ACK);
        break;
    case I8042_AUX_GET_ID:
        i8042__reply(m, q, I8042_ACK);
        i8042__reply(m, q, a->id);
        break;
    case I8042_AUX_ENABLE:
    case I8042_AUX_DISABLE:
        a->enabled = v == I8042_AUX_ENABLE;
        i8042__reply(m, q, I8042_ACK);
        break;
    case I8042_AUX_DEFAULTS:
    case I8042_AUX_RESET:
        i8042__aux_defaults(a);
        i8042__reply(m, q, I8042_ACK);
        if (v == I8042_AUX_RESET) {
            a->id = I8042_AUX_ID_PS2;
            i8042__reply(m, q, I8042_BAT_OK);
            i8042__reply(m, q, a->id);
        }
        break;
    case I8042_AUX_RESEND:
        i8042__reply(m, q, a->last);
        break;
    default:
        i8042__reply(m, q, I8042_RESEND);
        break;
    }
}

/* A byte from the host (through 0xD4). In wrap mode every byte but 0xEC
   and 0xFF comes straight back. Otherwise the mouse drops what it had
   queued, then takes the byte as an argument or a command, as the keyboard
   does (mouse commands are 0xE6 and up). */
static void i8042__aux_byte(i8042_model *m, uint8_t v)
{
    i8042_aux_state *a = &m->s.aux;
    uint8_t p = a->pending;

    if (a->mode == I8042__MODE_WRAP && v != I8042_AUX_RESET_WRAP && v != I8042_AUX_RESET) {
        i8042__reply(m, &a->q, v);
        return;
    }
    i8042__q_clear(&a->q);
    if (p) {
        if (i8042__aux_arg(m, p, v)) {
            a->pending = 0;
            return;
        }
        if (v < I8042_AUX_SCALE11) {
            i8042__reply(m, &a->q, I8042_RESEND);
            return;
        }
    }
    a->pending = 0;
    i8042__aux_command(m, v);
}

/* ---- device model: the controller ---- */

static uint8_t i8042__status(const i8042_state *s)
{
    return (uint8_t)((s->out_src != I8042_SRC_NONE ? I8042_STR_OBF : 0) |
                     (s->ram[0] & I8042_CTR_SYS ? I8042_STR_SYS : 0) |
                     (s->a2 ? I8042_STR_A2 : 0) | I8042_STR_INH |
                     (s->out_src == I8042_SRC_AUX ? I8042_STR_AUXDATA : 0));
}

static uint8_t i8042__outport(const i8042_state *s)
{
    bool kbd, aux;

    i8042__levels(s, &kbd, &aux);
    return (uint8_t)(s->outport | I8042_OUT_LINES | (kbd ? I8042_OUT_KBD_OBF : 0) |
                     (aux ? I8042_OUT_AUX_OBF : 0));
}

/* Returns whether the write asks for a reset. */
static bool i8042__write_outport(i8042_model *m, uint8_t v)
{
    bool a20_was = (m->s.outport & I8042_OUT_A20) != 0;

    m->s.outport = (uint8_t)(I8042_OUT_RESET | (v & I8042_OUT_A20));
    if (a20_was != ((v & I8042_OUT_A20) != 0) && m->hooks.a20)
        m->hooks.a20(m->hooks.ctx, !a20_was);
    return !(v & I8042_OUT_RESET);
}

//! [i8042-command]
/* A command written to port 0x64. Returns whether it asks for a reset. A
   command replaces one still waiting for its data byte. */
static bool i8042__command(i8042_model *m, uint8_t c)
{
    i8042_state *s = &m->s;

    s->a2 = 1;
    s->pending = 0;
    if (c >= I8042_CMD_READ_RAM && c < I8042_CMD_READ_RAM + I8042_RAM_SIZE) {
        i8042__ctl_out(s, I8042_SRC_CTL, s->ram[c & 0x1f]);
    } else if ((c >= I8042_CMD_WRITE_RAM && c < I8042_CMD_WRITE_RAM + I8042_RAM_SIZE) ||
               (c >= I8042_CMD_WRITE_OUT && c <= I8042_CMD_AUX_SEND)) {
        s->pending = c;
    } else if (c >= I8042_CMD_PULSE) {
        return !(c & I8042_OUT_RESET); /* bit 0 clear: pulse the reset line */
    } else {
        switch (c) {
        case I8042_CMD_VERSION:   i8042__ctl_out(s, I8042_SRC_CTL, 0x00); break;
        case I8042_CMD_PWD_CHECK: i8042__ctl_out(s, I8042_SRC_CTL, I8042_PWD_NONE); break;
        case I8042_CMD_AUX_DIS:   s->ram[0] |= I8042_CTR_AUXDIS; break;
        case I8042_CMD_AUX_EN:    s->ram[0] &= (uint8_t)~I8042_CTR_AUXDIS; break;
        case I8042_CMD_AUX_TEST:  i8042__ctl_out(s, I8042_SRC_CTL, 0x00); break;
        case I8042_CMD_SELF_TEST:
            s->ram[0] |= I8042_CTR_SYS;
            i8042__ctl_out(s, I8042_SRC_CTL, I8042_SELF_TEST_OK);
            break;
        case I8042_CMD_KBD_TEST:  i8042__ctl_out(s, I8042_SRC_CTL, 0x00); break;
        case I8042_CMD_KBD_DIS:   s->ram[0] |= I8042_CTR_KBDDIS; break;
        case I8042_CMD_KBD_EN:    s->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS; break;
        case I8042_CMD_READ_IN:   i8042__ctl_out(s, I8042_SRC_CTL, I8042_INPORT_VALUE); break;
        case I8042_CMD_READ_OUT:  i8042__ctl_out(s, I8042_SRC_CTL, i8042__outport(s)); break;
        default: break; /* not decoded: ignored */
        }
    }
    return false;
}

/* A byte written to port 0x60: the data byte of the waiting command, or,
   with none, a byte for the keyboard (whose clock may be off: it answers
   into its queue, and the answer waits there). */
static bool i8042__data(i8042_model *m, uint8_t v)
{
    i8042_state *s = &m->s;
    uint8_t p = s->pending;

    s->a2 = 0;
    s->pending = 0;
    if (p >= I8042_CMD_WRITE_RAM && p < I8042_CMD_WRITE_RAM + I8042_RAM_SIZE)
        s->ram[p & 0x1f] = v;
    else if (p == I8042_CMD_WRITE_OUT)
        return i8042__write_outport(m, v);
    else if (p == I8042_CMD_KBD_LOOP)
        i8042__ctl_out(s, I8042_SRC_KBD, v);
    else if (p == I8042_CMD_AUX_LOOP)
        i8042__ctl_out(s, I8042_SRC_AUX, v);
    else if (p == I8042_CMD_AUX_SEND)
        i8042__aux_byte(m, v);
    else
        i8042__kbd_byte(m, v);
    return false;
}
//! [i8042-command]

static uint64_t i8042__ones(unsigned width)
{
    return width >= 1 && width < 8 ? (1ull << (8 * width)) - 1 : UINT64_MAX;
}

static void i8042__copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;

    while (n--)
        *d++ = *s++;
}

static void i8042__zero(void *p, size_t n)
{
    uint8_t *d = (uint8_t *)p;

    while (n--)
        *d++ = 0;
}

/* The state at power-on, as PC firmware leaves it (see the header). */
static void i8042__power_on(i8042_state *s)
{
    i8042__zero(s, sizeof *s);
    s->version = I8042_STATE_VERSION;
    s->ram[0] = I8042__CTR_POWER_ON;
    s->outport = I8042_OUT_RESET | I8042_OUT_A20;
    s->last_src = I8042_SRC_AUX;
    i8042__kbd_defaults(&s->kbd);
    s->kbd.enabled = 1;
    s->kbd.last = I8042_BAT_OK; /* its power-on test's result, which firmware read */
    i8042__aux_defaults(&s->aux);
    s->aux.last = I8042_BAT_OK;
}

I8042_DEF void i8042_model_init(i8042_model *m, const i8042_model_hooks *h)
{
    i8042__zero(m, sizeof *m);
    if (h)
        m->hooks = *h;
    i8042__power_on(&m->s);
}

I8042_DEF void i8042_model_reset(void *m)
{
    i8042_model *k = (i8042_model *)m;
    bool kbd, aux, a20 = i8042_model_a20(k);
    unsigned room = i8042__kbd_room(&k->s);

    i8042__levels(&k->s, &kbd, &aux);
    i8042__power_on(&k->s);
    i8042__follow(k, kbd, aux);
    if (!a20 && k->hooks.a20)
        k->hooks.a20(k->hooks.ctx, true);
    i8042__room_follow(k, room);
}

//! [i8042-access]
/* One byte wide only: the 8042's ports are byte registers. Reading the
   output buffer empties it, and the line falls before the next byte (if
   one waits) is moved in and raises it again: one edge per byte. An empty
   buffer reads its last byte again, and changes nothing. */
I8042_DEF uint64_t i8042_model_read(void *m, uint64_t offset, unsigned width)
{
    i8042_model *k = (i8042_model *)m;
    i8042_state *s = &k->s;
    bool kbd, aux;
    unsigned room;
    uint8_t v;

    if (width != 1 || offset >= I8042_MODEL_LEN)
        return i8042__ones(width);
    if (offset == I8042_MODEL_STATUS)
        return i8042__status(s);
    v = s->out;
    room = i8042__kbd_room(s);
    i8042__levels(s, &kbd, &aux);
    s->out_src = I8042_SRC_NONE;
    i8042__follow(k, kbd, aux);
    i8042__levels(s, &kbd, &aux);
    i8042__fill(s);
    i8042__follow(k, kbd, aux);
    i8042__room_follow(k, room);
    return v;
}

/* The reset hook comes last, when the registers and the lines already show
   the write: the board may reset the machine, this model with it. */
I8042_DEF void i8042_model_write(void *m, uint64_t offset, unsigned width, uint64_t value)
{
    i8042_model *k = (i8042_model *)m;
    bool kbd, aux, reset;
    unsigned room;

    if (width != 1 || offset >= I8042_MODEL_LEN)
        return;
    room = i8042__kbd_room(&k->s);
    i8042__levels(&k->s, &kbd, &aux);
    if (offset == I8042_MODEL_STATUS)
        reset = i8042__command(k, (uint8_t)value);
    else
        reset = i8042__data(k, (uint8_t)value);
    i8042__fill(&k->s);
    i8042__follow(k, kbd, aux);
    i8042__room_follow(k, room);
    if (reset) {
        k->stats.resets++;
        if (k->hooks.reset)
            k->hooks.reset(k->hooks.ctx);
    }
}
//! [i8042-access]

//! [i8042-key]
/* Key codes may use I8042_KBD_KEY_BYTES of the queue; a key that does not
   fit is lost, and the overrun code goes in once in its place (the
   remaining room is for replies, so it always fits). */
I8042_DEF bool i8042_model_key(i8042_model *m, uint8_t hid_usage, bool pressed)
{
    i8042_kbd_state *kb = &m->s.kbd;
    uint8_t codes[8];
    unsigned n;
    bool kbd, aux;

    if (!kb->enabled || (!(n = i8042_scancodes(kb->set, hid_usage, pressed, codes)) &&
                         !(hid_usage == I8042_HID_PAUSE && !pressed))) {
        m->stats.kbd_dropped++;
        return false;
    }
    i8042__levels(&m->s, &kbd, &aux);
    if (kb->q.len + n > I8042_KBD_KEY_BYTES) {
        m->stats.kbd_overruns++;
        if (!kb->overrun)
            kb->overrun = i8042__q_push(&kb->q, kb->set == 1 ? I8042_OVERRUN_SET1 : I8042_OVERRUN);
        i8042__fill(&m->s);
        i8042__follow(m, kbd, aux);
        return false;
    }
    for (unsigned i = 0; i < n; i++)
        (void)i8042__q_push(&kb->q, codes[i]);
    kb->overrun = 0;
    i8042__fill(&m->s);
    i8042__follow(m, kbd, aux);
    return true;
}
//! [i8042-key]

I8042_DEF bool i8042_model_mouse(i8042_model *m, int dx, int dy, int dz, uint8_t buttons)
{
    i8042_aux_state *a = &m->s.aux;
    uint8_t p[4];
    unsigned n;
    bool kbd, aux;

    /* The host's numbers are bounded first, so no sum below can overflow. */
    dx = i8042__clamp(dx, -I8042__ACC_MAX, I8042__ACC_MAX);
    dy = i8042__clamp(dy, -I8042__ACC_MAX, I8042__ACC_MAX);
    dz = i8042__clamp(dz, -I8042__ACC_MAX, I8042__ACC_MAX);
    a->buttons = (uint8_t)(buttons & 0x1f);
    if (a->mode == I8042__MODE_REMOTE) {
        a->acc_x = (int16_t)i8042__clamp(a->acc_x + dx, -I8042__ACC_MAX, I8042__ACC_MAX);
        a->acc_y = (int16_t)i8042__clamp(a->acc_y + dy, -I8042__ACC_MAX, I8042__ACC_MAX);
        a->acc_z = (int16_t)i8042__clamp(a->acc_z + dz, -I8042__ACC_MAX, I8042__ACC_MAX);
        return true;
    }
    if (a->mode != I8042__MODE_STREAM || !a->enabled) {
        m->stats.aux_dropped++;
        return false;
    }
    if (a->scale21) {
        dx = i8042__scale(dx);
        dy = i8042__scale(dy);
    }
    n = i8042__packet(a, dx, dy, dz, p);
    if (a->q.len + n > I8042_QUEUE_SIZE) {
        m->stats.aux_dropped++;
        return false;
    }
    i8042__levels(&m->s, &kbd, &aux);
    for (unsigned i = 0; i < n; i++)
        (void)i8042__q_push(&a->q, p[i]);
    i8042__fill(&m->s);
    i8042__follow(m, kbd, aux);
    return true;
}

I8042_DEF bool i8042_model_a20(const i8042_model *m)
{
    return (m->s.outport & I8042_OUT_A20) != 0;
}

I8042_DEF unsigned i8042_model_kbd_room(const i8042_model *m)
{
    return i8042__kbd_room(&m->s);
}

I8042_DEF int64_t i8042_model_save(void *m, void *buf, size_t size)
{
    i8042_model *k = (i8042_model *)m;

    if (size < sizeof k->s)
        return -1;
    i8042__copy(buf, &k->s, sizeof k->s);
    return (int64_t)sizeof k->s;
}

static bool i8042__q_valid(const i8042_queue *q)
{
    return q->head < I8042_QUEUE_SIZE && q->len <= I8042_QUEUE_SIZE;
}

static bool i8042__kbd_valid(const i8042_kbd_state *k)
{
    return k->set >= 1 && k->set <= 3 && k->leds <= 7 && k->typematic < 0x80 &&
           k->enabled <= 1 && k->overrun <= 1 && !k->reserved && i8042__q_valid(&k->q) &&
           (!k->pending || k->pending == I8042_KBD_SET_LEDS || k->pending == I8042_KBD_SCANSET ||
            k->pending == I8042_KBD_TYPEMATIC || k->pending == I8042__KBD_KEYLIST);
}

static bool i8042__acc_valid(int v)
{
    return v >= -I8042__ACC_MAX && v <= I8042__ACC_MAX;
}

static bool i8042__aux_valid(const i8042_aux_state *a)
{
    for (unsigned i = 0; i < 3; i++)
        if (a->rates[i] && !i8042__rate_ok(a->rates[i]))
            return false;
    return i8042__acc_valid(a->acc_x) && i8042__acc_valid(a->acc_y) &&
           i8042__acc_valid(a->acc_z) && a->mode <= I8042__MODE_WRAP &&
           a->wrap_from <= I8042__MODE_REMOTE && a->enabled <= 1 && a->scale21 <= 1 &&
           a->resolution <= 3 && i8042__rate_ok(a->rate) && a->buttons <= 0x1f &&
           (a->id == I8042_AUX_ID_PS2 || a->id == I8042_AUX_ID_WHEEL ||
            a->id == I8042_AUX_ID_5BTN) &&
           (!a->pending || a->pending == I8042_AUX_SET_RES || a->pending == I8042_AUX_SET_RATE) &&
           !a->reserved && i8042__q_valid(&a->q);
}

/* A state the controller can be in: every field within what the code
   above ever stores. */
static bool i8042__valid(const i8042_state *s)
{
    uint8_t p = s->pending;

    if (s->version != I8042_STATE_VERSION || s->reserved[0] || s->reserved[1] ||
        s->reserved[2] || s->out_src > I8042_SRC_AUX || s->ctl_src > I8042_SRC_AUX ||
        (s->last_src != I8042_SRC_KBD && s->last_src != I8042_SRC_AUX) ||
        s->outport != (I8042_OUT_RESET | (s->outport & I8042_OUT_A20)) || s->a2 > 1 ||
        s->xlate_f0 > 1)
        return false;
    if (p && !(p >= I8042_CMD_WRITE_RAM && p < I8042_CMD_WRITE_RAM + I8042_RAM_SIZE) &&
        !(p >= I8042_CMD_WRITE_OUT && p <= I8042_CMD_AUX_SEND))
        return false;
    return i8042__kbd_valid(&s->kbd) && i8042__aux_valid(&s->aux);
}

I8042_DEF int64_t i8042_model_restore(void *m, const void *buf, size_t size)
{
    i8042_model *k = (i8042_model *)m;
    i8042_state in;
    bool kbd, aux;

    /* A snapshot is input like any other: check it before trusting it. */
    if (size != sizeof in)
        return -1;
    i8042__copy(&in, buf, sizeof in);
    if (!i8042__valid(&in))
        return -1;
    k->s = in;
    i8042__fill(&k->s);
    /* The hooks learn the levels even if unchanged: the board may be new. */
    i8042__levels(&k->s, &kbd, &aux);
    if (k->hooks.kbd_irq)
        k->hooks.kbd_irq(k->hooks.ctx, kbd);
    if (k->hooks.aux_irq)
        k->hooks.aux_irq(k->hooks.ctx, aux);
    if (k->hooks.a20)
        k->hooks.a20(k->hooks.ctx, i8042_model_a20(k));
    i8042__room_follow(k, 0);   /* a host waiting for room hears of it */
    return (int64_t)sizeof in;
}

#endif /* I8042_IMPLEMENTATION */

/*
   LICENSE

   This file is available under your choice of two licenses.

   MIT License. Copyright (c) 2026 the Breadboard authors.
   Permission is hereby granted, free of charge, to any person obtaining a copy
   of this software and associated documentation files (the "Software"), to deal
   in the Software without restriction, including without limitation the rights
   to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
   copies of the Software, and to permit persons to whom the Software is
   furnished to do so, subject to the following conditions: the above copyright
   notice and this permission notice shall be included in all copies or
   substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS",
   WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.

   Public domain (www.unlicense.org). Anyone is free to copy, modify, publish,
   use, compile, sell, or distribute this software, either in source code form
   or as a compiled binary, for any purpose, commercial or non-commercial, and
   by any means.
*/
