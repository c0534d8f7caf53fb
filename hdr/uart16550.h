/* uart16550.h - the 16550A UART: one register map, a driver and a device model.

   WHAT IT IS
   The serial port every PC has at 0x3F8 (COM1), and the console of many
   embedded boards (QEMU's RISC-V `virt` has one at 0x10000000). This header
   holds both roles that meet at its registers:
     - the driver (uart16550_drv_*), which a kernel uses to program the chip,
       by polling or from its interrupt, and to tell a 16550A from an 8250;
     - the device model (uart16550_model_*), which a monitor uses to emulate
       the chip for a guest, with the model contract of book/chipset.md,
       "The shape of a device model".
   They share the register and bit names below, so the driver can be run on
   the host straight against the model (that is how the tests check both).

   HARDWARE
   National Semiconductor PC16550D datasheet (1995): register set in table
   "Register Summary", IIR priorities in table "Interrupt Control Functions",
   the FIFO interrupt mode (trigger levels 1, 4, 8, 14 and the character
   timeout: data in the RX FIFO, nothing received or read for 4 character
   times), LSR (errors shown with the character at the top of the FIFO,
   bit 7 for an error anywhere in it), MCR loopback (TX into RX, RTS->CTS,
   DTR->DSR, OUT1->RI, OUT2->DCD, the interrupt pin held inactive) and the
   reset table. Register names follow the datasheet: RBR/THR, IER, IIR/FCR,
   LCR, MCR, LSR, MSR, SCR, DLL/DLM (the divisor latch, visible while
   LCR.DLAB is set). The clock is the PC's 1.8432 MHz: baud = 115200 /
   divisor.

   What the model does not time: the wire. A received byte is in the FIFO
   the moment the host hands it over, and a transmitted byte leaves the
   moment the host takes it (the tx hook returns true); the character
   timeout is the one thing measured in character times. The host side
   paces both directions instead, without ever blocking the guest:
   uart16550_model_rx_space() and the rx_room hook for input, the tx
   hook's false and uart16550_model_tx_resume() for output (the TX FIFO
   then fills and THRE falls, as on a chip whose line is slow).

   BOOK
   book/uart16550.md, "The 16550 UART".

   USAGE
   In exactly one C file:
       #define UART16550_IMPLEMENTATION
       #include "uart16550.h"
   Driver, given register accessors for your bus (port I/O, MMIO, a test double):
       uart16550_drv u = { my_read, my_write, my_ctx };
       uart16550_drv_init(&u, UART16550_DIVISOR_115200);
       uart16550_drv_putc(&u, 'A');
       int c = uart16550_drv_getc(&u);      // -1 when nothing is waiting
       // from the interrupt: uart16550_drv_irq_source(), _rx_drain(), _tx_fill()
   Model, in a monitor (board time in ns from the `now` hook):
       uart16550_model m;
       uart16550_model_hooks h = { on_tx, on_irq, on_rx_room, board_now, poll_me, ctx };
       uart16550_model_init(&m, &h);
       uint64_t v = uart16550_model_read(&m, port - UART16550_PC_COM1_PORT, 1);
       if (uart16550_model_rx_space(&m))
           uart16550_model_receive(&m, byte);  // else wait for on_rx_room
       next = uart16550_model_poll(&m, now);   // the character timeout
       uart16550_model_tx_resume(&m);          // after on_tx said false

   OVERRIDABLE MACROS (define before the include)
     UART16550_DEF      linkage of public functions   (default: extern)
     UART16550_STATIC   define it to make every public function static
     UART16550_ASSERT   assertion for the model's internal invariants: the
                        receive and transmit rings' bounds after every
                        change to them, the decoded register index, the
                        time last seen never before the last receiver
                        activity (default: none). Never called on guest
                        input, which is handled instead.
     UART16550_SPIN_MAX polls of LSR before a put gives up (default: 100000)

   LICENSE at the end of the file.
*/
#ifndef UART16550_H
#define UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under UART16550_STATIC. */
#ifndef UART16550_DEF
#ifdef UART16550_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define UART16550_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define UART16550_DEF static
#endif
#else
#define UART16550_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file uart16550.h
    @brief 16550A UART: register map, driver and device model. See @ref uart16550.

    Tests: tests/uart16550_test.c. Used alone: book/alone/uart16550.c, shown in
    the chapter's appendix. */

//! [registers]
/* Register offsets from the base (in units of the bus stride). */
enum {
    UART16550_RBR = 0, /**< R:  receive buffer              (DLAB = 0) */
    UART16550_THR = 0, /**< W:  transmit holding            (DLAB = 0) */
    UART16550_DLL = 0, /**< RW: divisor latch, low byte     (DLAB = 1) */
    UART16550_IER = 1, /**< RW: interrupt enable            (DLAB = 0) */
    UART16550_DLM = 1, /**< RW: divisor latch, high byte    (DLAB = 1) */
    UART16550_IIR = 2, /**< R:  interrupt identification */
    UART16550_FCR = 2, /**< W:  FIFO control */
    UART16550_LCR = 3, /**< RW: line control */
    UART16550_MCR = 4, /**< RW: modem control */
    UART16550_LSR = 5, /**< R:  line status */
    UART16550_MSR = 6, /**< R:  modem status */
    UART16550_SCR = 7, /**< RW: scratch */
    UART16550_NREGS = 8 /**< number of register offsets */
};

/* IER: which events may interrupt. */
#define UART16550_IER_ERBFI 0x01 /**< received data available (and timeout) */
#define UART16550_IER_ETBEI 0x02 /**< transmitter holding register empty */
#define UART16550_IER_ELSI  0x04 /**< receiver line status */
#define UART16550_IER_EDSSI 0x08 /**< modem status */

/* IIR: the highest-priority pending source, in bits 3:1; bit 0 = none. */
#define UART16550_IIR_NONE  0x01 /**< bit 0 set: no interrupt pending */
#define UART16550_IIR_MSR   0x00 /**< priority 4: modem status changed */
#define UART16550_IIR_THRE  0x02 /**< priority 3: THR empty */
#define UART16550_IIR_RDA   0x04 /**< priority 2: data at the trigger level */
#define UART16550_IIR_RLS   0x06 /**< priority 1: overrun/parity/framing/break */
#define UART16550_IIR_CTI   0x0c /**< priority 2: character timeout */
#define UART16550_IIR_ID    0x0f /**< the bits that name the source */
#define UART16550_IIR_FIFO  0xc0 /**< both set while the FIFOs are enabled */

/* FCR: write-only FIFO control. Bits other than 0 take effect only in a
   write that has bit 0 set (datasheet, FCR bit 0). */
#define UART16550_FCR_ENABLE   0x01 /**< enable both FIFOs (toggling clears them) */
#define UART16550_FCR_CLR_RX   0x02 /**< clear the receive FIFO (self-clearing) */
#define UART16550_FCR_CLR_TX   0x04 /**< clear the transmit FIFO (self-clearing) */
#define UART16550_FCR_TRIG(v)  (((v) >> 6) & 3) /**< 0..3 -> 1, 4, 8, 14 bytes */
#define UART16550_FCR_TRIG_1   0x00 /**< RX trigger level: 1 byte */
#define UART16550_FCR_TRIG_4   0x40 /**< RX trigger level: 4 bytes */
#define UART16550_FCR_TRIG_8   0x80 /**< RX trigger level: 8 bytes */
#define UART16550_FCR_TRIG_14  0xc0 /**< RX trigger level: 14 bytes */

/* LCR: word format; DLAB switches offsets 0 and 1 to the divisor latch. */
#define UART16550_LCR_WLEN(v) (5u + ((v) & 3u)) /**< data bits per character, 5..8 */
#define UART16550_LCR_STOP 0x04 /**< 2 stop bits (1.5 with 5-bit words) */
#define UART16550_LCR_PEN  0x08 /**< a parity bit */
#define UART16550_LCR_8N1  0x03 /**< 8 data bits, no parity, 1 stop bit */
#define UART16550_LCR_DLAB 0x80 /**< divisor latch access */

/* MCR: modem outputs. OUT2 gates the IRQ line on PC boards. */
#define UART16550_MCR_DTR  0x01 /**< data terminal ready */
#define UART16550_MCR_RTS  0x02 /**< request to send */
#define UART16550_MCR_OUT1 0x04 /**< user output 1 */
#define UART16550_MCR_OUT2 0x08 /**< user output 2 (IRQ gate on PCs) */
#define UART16550_MCR_LOOP 0x10 /**< loopback */

/* LSR: line status. Idle value is THRE|TEMT = 0x60. */
#define UART16550_LSR_DR    0x01 /**< data ready */
#define UART16550_LSR_OE    0x02 /**< overrun error */
#define UART16550_LSR_PE    0x04 /**< parity error */
#define UART16550_LSR_FE    0x08 /**< framing error */
#define UART16550_LSR_BI    0x10 /**< break interrupt */
#define UART16550_LSR_THRE  0x20 /**< THR (or TX FIFO) empty */
#define UART16550_LSR_TEMT  0x40 /**< THR and shift register empty */
#define UART16550_LSR_ERR   0x80 /**< an error is somewhere in the RX FIFO */

/* MSR: deltas in bits 3:0, line states in bits 7:4. */
#define UART16550_MSR_DCTS 0x01 /**< CTS changed */
#define UART16550_MSR_DDSR 0x02 /**< DSR changed */
#define UART16550_MSR_TERI 0x04 /**< RI went inactive */
#define UART16550_MSR_DDCD 0x08 /**< DCD changed */
#define UART16550_MSR_CTS  0x10 /**< clear to send */
#define UART16550_MSR_DSR  0x20 /**< data set ready */
#define UART16550_MSR_RI   0x40 /**< ring indicator */
#define UART16550_MSR_DCD  0x80 /**< data carrier detect */

/* The divisor for a baud rate is 115200 / baud (1.8432 MHz clock / 16). */
#define UART16550_BAUD_BASE      115200u /**< baud at divisor 1 */
#define UART16550_DIVISOR_115200 1 /**< divisor for 115200 baud */

/* Where a PC wires its first serial port: the board's choice, not the chip's,
   but every PC since the IBM PC/AT makes the same one. */
#define UART16550_PC_COM1_PORT 0x3f8 /**< COM1's base I/O port */
#define UART16550_PC_COM1_IRQ  4     /**< COM1's ISA IRQ line */
//! [registers]

/** Size of each FIFO, receive and transmit, as on the 16550A. */
#define UART16550_FIFO_SIZE 16

/* ---- driver ------------------------------------------------------------ */

/** Register access for the driver: how to reach register `reg` (0..7) on
    this bus. The hooks hide port I/O, MMIO with a stride, or a test double. */
typedef struct uart16550_drv {
    uint8_t (*read)(void *ctx, unsigned reg);             /**< read a register */
    void (*write)(void *ctx, unsigned reg, uint8_t val);  /**< write a register */
    void *ctx;                                            /**< passed to both hooks */
} uart16550_drv;

/** What uart16550_drv_identify() found, in the order Linux's 8250 driver
    tells them apart. */
typedef enum uart16550_type {
    UART16550_TYPE_NONE = 0, /**< nothing answers: the IER or loopback test failed */
    UART16550_TYPE_UNKNOWN,  /**< IIR bits 7:6 read 01, which no known chip gives */
    UART16550_TYPE_8250,     /**< no FIFO, no scratch register */
    UART16550_TYPE_16450,    /**< no FIFO, a scratch register */
    UART16550_TYPE_16550,    /**< FIFOs that do not work (IIR bits 7:6 = 10) */
    UART16550_TYPE_16550A    /**< working 16-byte FIFOs (IIR bits 7:6 = 11) */
} uart16550_type;

/** Program 8N1 at the given divisor, FIFOs on and cleared with the
    receive trigger at 1 byte, interrupts off, DTR|RTS|OUT2 set.
    Interrupts are enabled later by the caller via IER. */
UART16550_DEF void uart16550_drv_init(uart16550_drv *u, uint16_t divisor);

/** uart16550_drv_init() with the receive trigger level `trig`, one of
    UART16550_FCR_TRIG_1, _4, _8 or _14 (other bits are ignored): the
    receive interrupt then comes when that many bytes wait, or after the
    character timeout with fewer. */
UART16550_DEF void uart16550_drv_init_fifo(uart16550_drv *u, uint16_t divisor, uint8_t trig);

/** Which chip answers, by the steps of Linux's autoconfig()
    (drivers/tty/serial/8250/8250_port.c): IER holds 0 and 0x0F; with MCR =
    LOOP|OUT2|RTS (0x1A) MSR bits 7:4 read 0x90; after LCR = 0xBF, a 0 to
    offset 2, LCR = 0 and FCR = 0x01, IIR bits 7:6 name the FIFO kind; a
    chip without FIFOs is a 16450 if its scratch register holds 0xA5 and
    0x5A. Then, as Linux does, LCR and MCR get their values back, the FIFOs
    are cleared and switched off, RBR is read once and IER is 0. Reads at
    most 16 registers; never loops. */
UART16550_DEF uart16550_type uart16550_drv_identify(uart16550_drv *u);

/** True if a 16550-compatible chip answers: uart16550_drv_identify()
    finds a 16450 or newer, the scratch register holds two patterns, and a
    byte sent in loopback comes back. Leaves the chip with loopback off,
    the FIFOs off and IER = 0. */
UART16550_DEF bool uart16550_drv_probe(uart16550_drv *u);

/** Wait (bounded by UART16550_SPIN_MAX polls) for THR to empty, then send
    `c`. Returns false, sending nothing, if the chip never became ready. */
UART16550_DEF bool uart16550_drv_putc(uart16550_drv *u, uint8_t c);

/** The next received byte, or -1 if none is waiting. Never blocks. */
UART16550_DEF int uart16550_drv_getc(uart16550_drv *u);

/** The interrupt source the chip reports now: IIR bits 3:0, one of
    UART16550_IIR_RLS, _RDA, _CTI, _THRE, _MSR, or UART16550_IIR_NONE when
    nothing is pending (also for an absent chip, which reads 0xFF). The
    read acknowledges a THRE interrupt, as any read of IIR does. */
UART16550_DEF uint8_t uart16550_drv_irq_source(uart16550_drv *u);

/** Read received bytes into `buf` while LSR says data is ready, at most
    `max`: what an RDA or CTI interrupt handler does. Returns the count.
    Stops at a byte that arrived with an error (LSR PE, FE or BI set for
    it) after storing it, so the caller can look at LSR's errors per byte
    if it cares; never blocks, never reads more than `max`. */
UART16550_DEF unsigned uart16550_drv_rx_drain(uart16550_drv *u, uint8_t *buf, unsigned max);

/** Send from `buf`, up to `n` bytes, if LSR.THRE says the transmitter
    has room: then up to 16 bytes if IIR bits 7:6 say the FIFOs work, else
    1, as a THRE interrupt handler does; else none. Returns the count sent.
    Never blocks. (Reading IIR acknowledges a THRE interrupt, which the
    bytes written would clear anyway.) */
UART16550_DEF unsigned uart16550_drv_tx_fill(uart16550_drv *u, const uint8_t *buf, unsigned n);

/* ---- device model ------------------------------------------------------ */

/** Version of ::uart16550_state; bumped when its layout changes. */
#define UART16550_STATE_VERSION 2u
/** uart16550_model_poll()'s answer when the model needs no call at any time. */
#define UART16550_NO_DEADLINE UINT64_MAX
/** Bytes of the model's offset space with register stride 2^`shift`
    (::uart16550_model_cfg's `reg_shift`): what the board maps. */
#define UART16550_MODEL_LEN(shift) ((uint64_t)UART16550_NREGS << (shift))

/** Everything the model remembers: plain data, so save and restore are a
    copy (see uart16550_model_save() and uart16550_model_restore()). LSR's
    DR, THRE, TEMT and bit 7 are not stored: they follow from the FIFOs. */
typedef struct uart16550_state {
    uint32_t version;                      /**< UART16550_STATE_VERSION */
    uint8_t ier;                           /**< interrupt enable, bits 3:0 */
    uint8_t lcr;                           /**< line control */
    uint8_t mcr;                           /**< modem control, bits 4:0 */
    uint8_t lsr;                           /**< LSR's latched bits: OE, PE, FE, BI */
    uint8_t msr;                           /**< modem status: lines and deltas */
    uint8_t scr;                           /**< scratch */
    uint8_t dll;                           /**< divisor latch, low byte */
    uint8_t dlm;                           /**< divisor latch, high byte */
    uint8_t fcr;                           /**< FCR's kept bits: enable, trigger */
    uint8_t modem_in;                      /**< MSR bits 7:4 driven from outside */
    uint8_t rx_head;                       /**< index of the oldest byte in rx */
    uint8_t rx_count;                      /**< bytes waiting in rx */
    uint8_t rx[UART16550_FIFO_SIZE];       /**< receive FIFO (ring) */
    /** PE, FE, BI of each byte in rx, until it reaches the top of the FIFO
        and LSR shows them (then 0 here). */
    uint8_t rx_err[UART16550_FIFO_SIZE];
    uint8_t tx[UART16550_FIFO_SIZE];       /**< transmit FIFO (ring); THR without FIFOs */
    uint8_t tx_head;                       /**< index of the oldest byte in tx */
    uint8_t tx_count;                      /**< bytes waiting in tx */
    uint8_t tsr;                           /**< the byte in the transmit shift register */
    uint8_t tsr_full;                      /**< 1: tsr holds a byte the host has not taken */
    uint8_t thre_pending;                  /**< THRE interrupt latched, not yet read */
    uint8_t irq_level;                     /**< last level sent to the irq hook */
    /** 1: the character timeout has occurred; only a read of RBR (or an
        empty FIFO) clears it, a new byte does not (datasheet, FIFO
        interrupt mode, B and C). */
    uint8_t cti;
    uint8_t reserved[1];                   /**< zero */
    uint64_t rx_ns;   /**< board time of the last byte received or RBR read */
    uint64_t now_ns;  /**< latest board time seen, never before rx_ns */
} uart16550_state;

/** How the model reaches the outside world. Every hook may be NULL. No
    hook may call back into the model, except rx_room (below). */
typedef struct uart16550_model_hooks {
    /** The guest transmitted a byte. True: the host took it. False: it
        cannot now; the model keeps the byte in its shift register, later
        bytes in its TX FIFO (THR without FIFOs), lowers THRE and TEMT as
        the FIFO fills, and offers the byte again at the next
        uart16550_model_tx_resume(). NULL: every byte is taken. */
    bool (*tx)(void *ctx, uint8_t byte);
    void (*irq)(void *ctx, bool level);   /**< the interrupt output changed */
    /** The receiver, which had no room (uart16550_model_rx_space() was 0),
        has room again: a guest read of RBR, an FCR write that cleared the
        FIFO, the guest leaving loopback, a reset or a restore made it. A
        host that holds input back while there is no room resumes here; it
        is called last, so it may feed bytes with uart16550_model_receive()
        at once. */
    void (*rx_room)(void *ctx);
    /** Board time now, in ns (one clock with poll's `now`). Asked at every
        access and every received byte, for the character timeout. NULL:
        the time of the last uart16550_model_poll() (0 at first). */
    uint64_t (*now)(void *ctx);
    /** The model's next deadline moved earlier (a byte arrived in an empty
        FIFO, the guest read one, set ERBFI or OUT2, lowered the trigger
        level...), or a restore left one: call uart16550_model_poll() soon. */
    void (*wake)(void *ctx);
    void *ctx;                            /**< passed to every hook */
} uart16550_model_hooks;

/** The board's wiring, set before the first access; kept by a reset. */
typedef struct uart16550_model_cfg {
    /** PC wiring: the interrupt leaves the card only while MCR.OUT2 is set
        (default true); false for a board whose line is wired straight to
        its interrupt controller, as on QEMU's RISC-V `virt`. */
    bool out2_gates_irq;
    /** Register stride 2^reg_shift bytes (0..3; default 0, port I/O): the
        register at offset o is o >> reg_shift; an offset not a multiple of
        the stride is not decoded, and an access may be 1 byte up to the
        stride wide (a 4-byte read at stride 4 gives the register in bits
        7:0 and zeros above, what Linux's `reg-io-width = <4>` and mmio32
        drivers expect). Above 3: nothing is decoded. */
    unsigned reg_shift;
} uart16550_model_cfg;

/** What the model counts; never saved, kept by a reset. */
typedef struct uart16550_model_stats {
    uint64_t rx_overruns;  /**< bytes lost to a full receiver (LSR.OE) */
    uint64_t tx_overflows; /**< THR writes lost: the TX FIFO (or THR) was full */
    uint64_t tx_refusals;  /**< times the tx hook said "not now" */
} uart16550_model_stats;

/** A 16550A as seen by a guest. Caller-owned; one struct per UART. */
typedef struct uart16550_model {
    uart16550_state s;            /**< machine state: the only part saved */
    uart16550_model_hooks hooks;  /**< wiring to the board */
    uart16550_model_cfg cfg;      /**< board configuration */
    uart16550_model_stats stats;  /**< counters */
} uart16550_model;

/** Zero `m`, copy `*h` (NULL: no hooks), set ::uart16550_model_cfg to its
    defaults (OUT2 gates the line, as on a PC; stride 1) and reset, which
    asks the `now` hook once. Calls no other hook. A board without the gate
    clears `cfg.out2_gates_irq` afterwards, an MMIO board sets
    `cfg.reg_shift`. */
UART16550_DEF void uart16550_model_init(uart16550_model *m, const uart16550_model_hooks *h);
/** Power-on reset of the state of `m`, a ::uart16550_model: registers as
    the datasheet's reset table gives them (LSR = 0x60, IIR = 0x01, FIFOs
    off), both FIFOs and the shift register empty (held output is
    dropped), modem inputs CTS|DSR|DCD, divisor 0. Keeps `hooks`, `cfg`,
    `stats` and the time. The interrupt output drops to its reset level,
    low, telling the irq hook if it was high; rx_room is called if the
    receiver had no room. */
UART16550_DEF void uart16550_model_reset(void *m);
/** Guest read of the register at `offset`, `width` bytes (see
    `cfg.reg_shift`). An access the chip does not decode (a width other
    than 1 up to the stride, an offset off the stride or past the eighth
    register) returns all-ones of `width` bytes (UINT64_MAX for 8) and
    changes nothing. A decoded one returns the register, zero-extended. */
UART16550_DEF uint64_t uart16550_model_read(void *m, uint64_t offset, unsigned width);
/** Guest write of the low byte of `value` to the register at `offset`.
    A write the chip does not decode (as for uart16550_model_read()) is
    ignored. */
UART16550_DEF void uart16550_model_write(void *m, uint64_t offset, unsigned width,
                                         uint64_t value);
/** Advance to board time `now` (ns; an earlier time counts as the latest
    seen), raise the character timeout if it is due, and return when the
    model must run next: the moment the timeout becomes due, if it could
    then raise the interrupt line (ERBFI set, FIFOs on, 1 to trigger-1
    bytes waiting, the line not gated off), else UART16550_NO_DEADLINE. */
UART16550_DEF uint64_t uart16550_model_poll(void *m, uint64_t now);
/** Copy the machine state (a ::uart16550_state) into `buf`. Returns its
    size, or -1, writing nothing, when `size` is smaller. */
UART16550_DEF int64_t uart16550_model_save(void *m, void *buf, size_t size);
/** Load a state saved by uart16550_model_save(). Returns the bytes used,
    or -1, changing nothing, when `size` is not sizeof(::uart16550_state)
    or the state is not one the chip can be in: another version, reserved
    bytes or register bits set that the chip never holds, a ring index or
    count out of range or above what the FIFO setting holds, held output
    in loopback or without a byte in the shift register, a THRE interrupt
    latched with bytes in THR, the last receiver activity after the time
    last seen. Then the irq hook is told the restored level, whatever it
    was before, so a fresh board's line follows; `wake` is called if the
    state has a deadline, and rx_room if the receiver had no room and now
    has some. Times are the saving board's. */
UART16550_DEF int64_t uart16550_model_restore(void *m, const void *buf, size_t size);

/** A byte arriving on the wire (host to guest). False if it was not
    received: in loopback, where the receiver is off the wire (nothing
    changes), or with no room, where LSR.OE is set and a byte is lost as on
    the chip: with FIFOs the new one, without them the unread one it
    replaces. */
UART16550_DEF bool uart16550_model_receive(uart16550_model *m, uint8_t byte);
/** A break on the wire: the chip receives one 0 byte with LSR.BI, shown
    when that byte reaches the top of the FIFO (datasheet, LSR bit 4).
    Returns as uart16550_model_receive(). */
UART16550_DEF bool uart16550_model_break(uart16550_model *m);
/** How many bytes a host may feed now without losing one: the free space
    in the receive FIFO, or 0 in loopback, where the receiver is off the
    wire and uart16550_model_receive() refuses every byte. When it goes from
    0 to more, the model calls its rx_room hook. */
UART16550_DEF unsigned uart16550_model_rx_space(const uart16550_model *m);
/** The host can take output again after its tx hook said false: offer the
    held bytes again, oldest first, until the hook refuses one or none is
    left (at most 17: the FIFO and the shift register). THRE and TEMT rise
    and a THRE interrupt is raised as the FIFO empties. Harmless when
    nothing is held. */
UART16550_DEF void uart16550_model_tx_resume(uart16550_model *m);
/** Bytes the guest has written that the host has not taken yet: in the
    TX FIFO (or THR) and the shift register, 0 to 17. */
UART16550_DEF unsigned uart16550_model_tx_held(const uart16550_model *m);
/** Drive the modem-status inputs (MSR bits 7:4, e.g. MSR_CTS|MSR_DSR). */
UART16550_DEF void uart16550_model_set_modem(uart16550_model *m, uint8_t msr_lines);
/** The character timeout at the current LCR and divisor: 4 character
    times (1 start bit, 5 to 8 data bits, the parity bit, 1, 1.5 or 2
    stop bits, at 115200 / divisor baud; divisor 0 counts as 65536),
    rounded up to whole ns. */
UART16550_DEF uint64_t uart16550_model_timeout_ns(const uart16550_model *m);

#ifdef __cplusplus
}
#endif
#endif /* UART16550_H */

/* ======================================================================== */
#ifdef UART16550_IMPLEMENTATION

#ifndef UART16550_ASSERT
#define UART16550_ASSERT(c) ((void)0)
#endif
#ifndef UART16550_SPIN_MAX
#define UART16550_SPIN_MAX 100000
#endif

/* ---- driver ---- */

//! [driver-init]
UART16550_DEF void uart16550_drv_init_fifo(uart16550_drv *u, uint16_t divisor, uint8_t trig)
{
    u->write(u->ctx, UART16550_IER, 0);                 /* no interrupts yet */
    u->write(u->ctx, UART16550_LCR, UART16550_LCR_DLAB);
    u->write(u->ctx, UART16550_DLL, (uint8_t)(divisor & 0xff));
    u->write(u->ctx, UART16550_DLM, (uint8_t)(divisor >> 8));
    u->write(u->ctx, UART16550_LCR, UART16550_LCR_8N1); /* also clears DLAB */
    u->write(u->ctx, UART16550_FCR, (uint8_t)(UART16550_FCR_ENABLE | UART16550_FCR_CLR_RX |
                                              UART16550_FCR_CLR_TX | (trig & 0xc0)));
    u->write(u->ctx, UART16550_MCR, UART16550_MCR_DTR | UART16550_MCR_RTS |
                                    UART16550_MCR_OUT2);
}
//! [driver-init]

UART16550_DEF void uart16550_drv_init(uart16550_drv *u, uint16_t divisor)
{
    uart16550_drv_init_fifo(u, divisor, UART16550_FCR_TRIG_1);
}

/* Linux's autoconfig_8250(): only a 16450 has the scratch register. */
static uart16550_type uart16550__drv_no_fifo(uart16550_drv *u)
{
    uint8_t keep = u->read(u->ctx, UART16550_SCR), a, b;

    u->write(u->ctx, UART16550_SCR, 0xa5);
    a = u->read(u->ctx, UART16550_SCR);
    u->write(u->ctx, UART16550_SCR, 0x5a);
    b = u->read(u->ctx, UART16550_SCR);
    u->write(u->ctx, UART16550_SCR, keep);
    return a == 0xa5 && b == 0x5a ? UART16550_TYPE_16450 : UART16550_TYPE_8250;
}

//! [driver-identify]
UART16550_DEF uart16550_type uart16550_drv_identify(uart16550_drv *u)
{
    static const uart16550_type by_iir[4] = { UART16550_TYPE_8250, UART16550_TYPE_UNKNOWN,
                                              UART16550_TYPE_16550, UART16550_TYPE_16550A };
    uint8_t ier = u->read(u->ctx, UART16550_IER), a, b, mcr, lcr;
    uart16550_type t;

    /* IER keeps what is written to its low nibble; a floating bus (0xFF)
       or a register-less hole does not. */
    u->write(u->ctx, UART16550_IER, 0);
    a = u->read(u->ctx, UART16550_IER) & 0x0f;
    u->write(u->ctx, UART16550_IER, 0x0f);
    b = u->read(u->ctx, UART16550_IER) & 0x0f;
    u->write(u->ctx, UART16550_IER, ier);
    if (a != 0 || b != 0x0f)
        return UART16550_TYPE_NONE;
    /* Loopback with RTS and OUT2: CTS and DCD answer, DSR and RI do not. */
    mcr = u->read(u->ctx, UART16550_MCR);
    lcr = u->read(u->ctx, UART16550_LCR);
    u->write(u->ctx, UART16550_MCR, UART16550_MCR_LOOP | UART16550_MCR_OUT2 | UART16550_MCR_RTS);
    a = u->read(u->ctx, UART16550_MSR) & 0xf0;
    u->write(u->ctx, UART16550_MCR, mcr);
    if (a != (UART16550_MSR_DCD | UART16550_MSR_CTS))
        return UART16550_TYPE_NONE;
    /* LCR = 0xBF and a 0 at offset 2 clear a 16650's EFR (on a 16550 it
       is an FCR write that turns the FIFOs off); then IIR bits 7:6 say
       what FCR = 0x01 did. */
    u->write(u->ctx, UART16550_LCR, 0xbf);
    u->write(u->ctx, UART16550_FCR, 0);
    u->write(u->ctx, UART16550_LCR, 0);
    u->write(u->ctx, UART16550_FCR, UART16550_FCR_ENABLE);
    t = by_iir[u->read(u->ctx, UART16550_IIR) >> 6];
    if (t == UART16550_TYPE_8250)
        t = uart16550__drv_no_fifo(u);
    u->write(u->ctx, UART16550_LCR, lcr);
    if (t == UART16550_TYPE_UNKNOWN)
        return t;
    /* Linux's "Reset the UART": outputs back, FIFOs cleared and off, a
       stale byte read, interrupts off. */
    u->write(u->ctx, UART16550_MCR, mcr);
    u->write(u->ctx, UART16550_FCR, UART16550_FCR_ENABLE);
    u->write(u->ctx, UART16550_FCR, UART16550_FCR_ENABLE | UART16550_FCR_CLR_RX |
                                    UART16550_FCR_CLR_TX);
    u->write(u->ctx, UART16550_FCR, 0);
    (void)u->read(u->ctx, UART16550_RBR);
    u->write(u->ctx, UART16550_IER, 0);
    return t;
}
//! [driver-identify]

UART16550_DEF bool uart16550_drv_probe(uart16550_drv *u)
{
    uart16550_type t = uart16550_drv_identify(u);
    uint8_t mcr;
    bool ok;
    int c;

    if (t != UART16550_TYPE_16450 && t != UART16550_TYPE_16550 && t != UART16550_TYPE_16550A)
        return false;
    /* The scratch register must hold two different patterns. */
    u->write(u->ctx, UART16550_SCR, 0x5a);
    ok = u->read(u->ctx, UART16550_SCR) == 0x5a;
    u->write(u->ctx, UART16550_SCR, 0xa5);
    ok = ok && u->read(u->ctx, UART16550_SCR) == 0xa5;
    if (!ok)
        return false;
    /* Loopback: a byte written to THR arrives in RBR without the wire.
       Drain stale input first; a broken chip that always says "data
       ready" must not trap us here, so the drain is bounded. */
    mcr = u->read(u->ctx, UART16550_MCR);
    for (c = 0; c < 2 * UART16550_FIFO_SIZE && uart16550_drv_getc(u) >= 0; c++)
        ;
    u->write(u->ctx, UART16550_MCR, UART16550_MCR_LOOP);
    uart16550_drv_putc(u, 0xae);
    c = uart16550_drv_getc(u);
    /* Restore the outputs, but never loopback: the promise above. */
    u->write(u->ctx, UART16550_MCR, (uint8_t)(mcr & ~UART16550_MCR_LOOP));
    return c == 0xae;
}

//! [driver-putc]
UART16550_DEF bool uart16550_drv_putc(uart16550_drv *u, uint8_t c)
{
    /* Bounded: a wedged or missing chip must not hang the kernel. */
    for (long i = 0; i < UART16550_SPIN_MAX; i++) {
        if (u->read(u->ctx, UART16550_LSR) & UART16550_LSR_THRE) {
            u->write(u->ctx, UART16550_THR, c);
            return true;
        }
    }
    return false;
}
//! [driver-putc]

UART16550_DEF int uart16550_drv_getc(uart16550_drv *u)
{
    uint8_t lsr = u->read(u->ctx, UART16550_LSR);

    /* 0xFF is what an absent device reads as: not "data ready". */
    if (lsr == 0xff || !(lsr & UART16550_LSR_DR))
        return -1;
    return u->read(u->ctx, UART16550_RBR);
}

//! [driver-irq]
UART16550_DEF uint8_t uart16550_drv_irq_source(uart16550_drv *u)
{
    uint8_t id = u->read(u->ctx, UART16550_IIR) & UART16550_IIR_ID;

    return (id & UART16550_IIR_NONE) ? UART16550_IIR_NONE : id;
}

UART16550_DEF unsigned uart16550_drv_rx_drain(uart16550_drv *u, uint8_t *buf, unsigned max)
{
    unsigned n = 0;

    while (n < max) {
        uint8_t lsr = u->read(u->ctx, UART16550_LSR);

        if (lsr == 0xff || !(lsr & UART16550_LSR_DR))
            break;
        buf[n++] = u->read(u->ctx, UART16550_RBR);
        /* LSR showed this byte's errors before it was read: hand it over
           and let the caller look before the next one. */
        if (lsr & (UART16550_LSR_PE | UART16550_LSR_FE | UART16550_LSR_BI))
            break;
    }
    return n;
}

UART16550_DEF unsigned uart16550_drv_tx_fill(uart16550_drv *u, const uint8_t *buf, unsigned n)
{
    uint8_t lsr = u->read(u->ctx, UART16550_LSR);
    unsigned load, i;

    /* THRE: the whole FIFO is empty, so a FIFO's worth fits. */
    if (lsr == 0xff || !(lsr & UART16550_LSR_THRE))
        return 0;
    load = (u->read(u->ctx, UART16550_IIR) & UART16550_IIR_FIFO) == UART16550_IIR_FIFO
               ? UART16550_FIFO_SIZE : 1;
    for (i = 0; i < n && i < load; i++)
        u->write(u->ctx, UART16550_THR, buf[i]);
    return i;
}
//! [driver-irq]

/* ---- device model ---- */

static const uint8_t uart16550__trigger[4] = { 1, 4, 8, 14 };

#define UART16550__LSR_ERRS (UART16550_LSR_OE | UART16550_LSR_PE | UART16550_LSR_FE | UART16550_LSR_BI)
#define UART16550__BYTE_ERRS (UART16550_LSR_PE | UART16550_LSR_FE | UART16550_LSR_BI)

static bool uart16550__fifo_on(const uart16550_model *m)
{
    return (m->s.fcr & UART16550_FCR_ENABLE) != 0;
}

static bool uart16550__loop(const uart16550_model *m)
{
    return (m->s.mcr & UART16550_MCR_LOOP) != 0;
}

/* Without FIFOs the chip holds a single byte each way (RBR, THR). */
static unsigned uart16550__cap(const uart16550_model *m)
{
    return uart16550__fifo_on(m) ? UART16550_FIFO_SIZE : 1;
}

/* The rings stay inside their arrays whatever the guest does: every
   change to them keeps these, so a failure is a bug in this file. */
static void uart16550__ring_check(const uart16550_model *m)
{
    (void)m; /* when UART16550_ASSERT expands to nothing */
    UART16550_ASSERT(m->s.rx_head < UART16550_FIFO_SIZE);
    UART16550_ASSERT(m->s.rx_count <= uart16550__cap(m));
    UART16550_ASSERT(m->s.tx_head < UART16550_FIFO_SIZE);
    UART16550_ASSERT(m->s.tx_count <= uart16550__cap(m));
    UART16550_ASSERT(m->s.tsr_full || m->s.tx_count == 0);
    UART16550_ASSERT(m->s.rx_ns <= m->s.now_ns);
}

/* All-ones of an access `width` bytes wide: what a bus reads when nothing
   decodes the access. */
static uint64_t uart16550__all_ones(unsigned width)
{
    return width >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * width)) - 1;
}

static void uart16550__copy(void *dst, const void *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)dst)[i] = ((const uint8_t *)src)[i];
}

//! [model-timeout]
/* Four character times in ns, rounded up: the first nanosecond at which
   they have all passed. A character is 1 start bit, 5..8 data bits, an
   optional parity bit and 1 or 2 stop bits (1.5 with 5-bit words), so in
   half bits h = 2 * (1 + data + parity) + 2, 3 or 4. One bit lasts
   divisor / 115200 s, so 4 characters are h * divisor / 57600 s, and
   10^9 / 57600 = 156250 / 9: the product stays below 2^38. */
UART16550_DEF uint64_t uart16550_model_timeout_ns(const uart16550_model *m)
{
    uint8_t lcr = m->s.lcr;
    uint64_t wlen = UART16550_LCR_WLEN(lcr), half, div;

    half = 2 * (1 + wlen + ((lcr & UART16550_LCR_PEN) ? 1 : 0));
    half += (lcr & UART16550_LCR_STOP) ? (wlen == 5 ? 3 : 4) : 2;
    div = (uint64_t)m->s.dll | (uint64_t)m->s.dlm << 8;
    if (div == 0)
        div = 65536; /* the divisor counter wraps (our choice; see the book) */
    return (half * div * 156250 + 8) / 9;
}

/* The datasheet's timeout: at least one byte in the FIFO, and neither a
   byte received nor one read for 4 character times. Once it has occurred
   it stays until the guest reads RBR (a new byte restarts the timer but
   does not clear it), so the model latches it whenever it looks at the
   time: at every entry, on the way out, and in poll. */
static void uart16550__cti_check(uart16550_model *m)
{
    uart16550_state *s = &m->s;

    if (!s->cti && uart16550__fifo_on(m) && s->rx_count > 0 &&
        s->now_ns - s->rx_ns >= uart16550_model_timeout_ns(m))
        s->cti = 1;
}
//! [model-timeout]

//! [model-iir]
/* The IIR value now: the highest-priority enabled source (datasheet table
   "Interrupt Control Functions"). RLS > RDA/CTI > THRE > MSR. With FIFOs,
   fewer bytes than the trigger level interrupt only once the character
   timeout has passed. */
static uint8_t uart16550__iir(const uart16550_model *m)
{
    const uart16550_state *s = &m->s;
    uint8_t ier = s->ier;

    if ((ier & UART16550_IER_ELSI) && (s->lsr & UART16550__LSR_ERRS))
        return UART16550_IIR_RLS;
    if ((ier & UART16550_IER_ERBFI) && s->rx_count) {
        if (!uart16550__fifo_on(m) ||
            s->rx_count >= uart16550__trigger[UART16550_FCR_TRIG(s->fcr)])
            return UART16550_IIR_RDA;
        if (s->cti)
            return UART16550_IIR_CTI;
    }
    if ((ier & UART16550_IER_ETBEI) && s->thre_pending)
        return UART16550_IIR_THRE;
    if ((ier & UART16550_IER_EDSSI) && (s->msr & 0x0f))
        return UART16550_IIR_MSR;
    return UART16550_IIR_NONE;
}

/* On a PC the pin reaches the PIC through a gate driven by the OUT2
   output, which loopback forces inactive (datasheet, MCR bit 4): so with
   gating, no IRQ leaves the card in loopback. */
static bool uart16550__gated(const uart16550_model *m)
{
    uint8_t mcr = m->s.mcr;

    return m->cfg.out2_gates_irq && (!(mcr & UART16550_MCR_OUT2) || (mcr & UART16550_MCR_LOOP));
}

static bool uart16550__irq_pin(const uart16550_model *m)
{
    return !uart16550__gated(m) && !(uart16550__iir(m) & UART16550_IIR_NONE);
}

static void uart16550__send_irq(uart16550_model *m, bool level)
{
    m->s.irq_level = level;
    if (m->hooks.irq)
        m->hooks.irq(m->hooks.ctx, level);
}

/* Recompute the interrupt output and tell the hook only when it changes. */
static void uart16550__update_irq(uart16550_model *m)
{
    bool level = uart16550__irq_pin(m);

    if (level != (m->s.irq_level != 0))
        uart16550__send_irq(m, level);
}
//! [model-iir]

//! [model-deadline]
/* The model must run only when time alone would move the line: the
   character timeout, while the receive interrupt is on, the FIFOs are,
   fewer bytes than the trigger level wait (at or above it RDA is already
   up) and the gate lets the pin through. Once the timeout is due, CTI
   shows and the next change comes from the guest. */
static uint64_t uart16550__deadline(const uart16550_model *m)
{
    const uart16550_state *s = &m->s;
    uint64_t t;

    if (!(s->ier & UART16550_IER_ERBFI) || !uart16550__fifo_on(m) || s->rx_count == 0 ||
        s->rx_count >= uart16550__trigger[UART16550_FCR_TRIG(s->fcr)] || uart16550__gated(m) ||
        s->cti)
        return UART16550_NO_DEADLINE;
    t = uart16550_model_timeout_ns(m);
    if (s->now_ns - s->rx_ns >= t || s->rx_ns > UINT64_MAX - t)
        return UART16550_NO_DEADLINE; /* due already, or past the end of time */
    return s->rx_ns + t;
}
//! [model-deadline]

/* Bring the time up to the now hook's; it never goes back. */
static void uart16550__sync(uart16550_model *m)
{
    uint64_t t;

    if (!m->hooks.now)
        return;
    t = m->hooks.now(m->hooks.ctx);
    if (t > m->s.now_ns)
        m->s.now_ns = t;
}

//! [model-rx-room]
/* What every entry point notes before it changes anything, and compares
   after: the receiver's room (only a change from none to some is news: a
   host that still had room was not waiting) and the deadline (a wake only
   when it moved earlier). rx_room is called last, after the line is
   updated, so the hook may feed the receiver at once. */
typedef struct uart16550__mark {
    unsigned room;
    uint64_t due;
} uart16550__mark;

static uart16550__mark uart16550__enter(uart16550_model *m)
{
    uart16550__mark k;

    uart16550__sync(m);
    uart16550__cti_check(m);
    k.room = uart16550_model_rx_space(m);
    k.due = uart16550__deadline(m);
    return k;
}

static void uart16550__leave(uart16550_model *m, uart16550__mark k)
{
    uart16550__ring_check(m);
    uart16550__cti_check(m); /* a shorter character (LCR, divisor) may be due now */
    uart16550__update_irq(m);
    if (uart16550__deadline(m) < k.due && m->hooks.wake)
        m->hooks.wake(m->hooks.ctx);
    if (k.room == 0 && uart16550_model_rx_space(m) > 0 && m->hooks.rx_room)
        m->hooks.rx_room(m->hooks.ctx);
}
//! [model-rx-room]

/* ---- receiver ---- */

static void uart16550__rx_clear(uart16550_model *m)
{
    m->s.rx_head = 0;
    m->s.rx_count = 0;
    m->s.cti = 0;
    for (unsigned i = 0; i < UART16550_FIFO_SIZE; i++)
        m->s.rx_err[i] = 0;
}

/* The byte at the top of the FIFO shows its errors in LSR (datasheet, LSR
   bits 2-4: "revealed to the CPU when its associated character is at the
   top of the FIFO"); they stay there until LSR is read. */
static void uart16550__rx_reveal(uart16550_model *m)
{
    uart16550_state *s = &m->s;

    if (s->rx_count) {
        s->lsr |= s->rx_err[s->rx_head];
        s->rx_err[s->rx_head] = 0;
    }
}

//! [model-rx]
static bool uart16550__rx_push(uart16550_model *m, uint8_t byte, uint8_t err)
{
    uart16550_state *s = &m->s;
    unsigned at;

    s->rx_ns = s->now_ns; /* a character arrived, kept or not */
    /* Overrun (datasheet, LSR bit 1): a full FIFO keeps its bytes and the
       new one is lost; a lone holding register takes the new byte,
       "thereby destroying the previous character". */
    if (s->rx_count >= uart16550__cap(m)) {
        s->lsr |= UART16550_LSR_OE;
        m->stats.rx_overruns++;
        if (!uart16550__fifo_on(m)) {
            s->rx[s->rx_head] = byte;
            s->lsr |= err;
        }
        return false;
    }
    at = (s->rx_head + s->rx_count) % UART16550_FIFO_SIZE;
    s->rx[at] = byte;
    s->rx_err[at] = err;
    if (s->rx_count++ == 0)
        uart16550__rx_reveal(m);
    return true;
}

static uint8_t uart16550__rx_pop(uart16550_model *m)
{
    uart16550_state *s = &m->s;
    uint8_t byte;

    s->rx_ns = s->now_ns; /* a read restarts the timeout too, */
    s->cti = 0;           /* and clears one that has occurred */
    if (!s->rx_count)
        return 0; /* the datasheet leaves it undefined; 0 is stable */
    byte = s->rx[s->rx_head];
    s->rx_head = (uint8_t)((s->rx_head + 1) % UART16550_FIFO_SIZE);
    s->rx_count--;
    uart16550__rx_reveal(m);
    return byte;
}
//! [model-rx]

/* LSR as the guest reads it: the latched errors, DR from the FIFO, THRE
   when THR (the TX FIFO) is empty, TEMT when the shift register is too,
   and with FIFOs bit 7 while an error is in LSR or still in the FIFO. */
static uint8_t uart16550__lsr(const uart16550_model *m)
{
    const uart16550_state *s = &m->s;
    uint8_t v = s->lsr;

    if (s->rx_count)
        v |= UART16550_LSR_DR;
    if (s->tx_count == 0)
        v |= UART16550_LSR_THRE;
    if (s->tx_count == 0 && !s->tsr_full)
        v |= UART16550_LSR_TEMT;
    if (uart16550__fifo_on(m)) {
        uint8_t any = s->lsr & UART16550__BYTE_ERRS;

        for (unsigned i = 0; i < s->rx_count; i++)
            any |= s->rx_err[(s->rx_head + i) % UART16550_FIFO_SIZE];
        if (any)
            v |= UART16550_LSR_ERR;
    }
    return v;
}

/* ---- transmitter ---- */

//! [model-thr]
/* The shift register's byte goes to the wire (the tx hook) or, in
   loopback, straight into the receiver; then the next byte of the FIFO
   moves into the shift register, and when that empties THR the THRE
   interrupt is latched. A host that refuses a byte stops the walk: the
   byte stays in the shift register, the rest in the FIFO, and nothing is
   lost. At most 17 steps: the FIFO and the shift register. */
static void uart16550__tx_drain(uart16550_model *m)
{
    uart16550_state *s = &m->s;

    for (unsigned i = 0; i <= UART16550_FIFO_SIZE && s->tsr_full; i++) {
        if (uart16550__loop(m)) {
            uart16550__rx_push(m, s->tsr, 0);
        } else if (m->hooks.tx && !m->hooks.tx(m->hooks.ctx, s->tsr)) {
            m->stats.tx_refusals++;
            break;
        }
        s->tsr_full = 0;
        if (s->tx_count) {
            s->tsr = s->tx[s->tx_head];
            s->tsr_full = 1;
            s->tx_head = (uint8_t)((s->tx_head + 1) % UART16550_FIFO_SIZE);
            if (--s->tx_count == 0)
                s->thre_pending = 1;
        }
    }
}

/* A write to THR clears the THRE interrupt (datasheet, "Interrupt Control
   Functions") and queues the byte; with the shift register free the byte
   moves on at once, THR is empty again and THRE is latched anew. A write
   to a full FIFO (or a full THR without FIFOs) is lost. */
static void uart16550__write_thr(uart16550_model *m, uint8_t byte)
{
    uart16550_state *s = &m->s;

    if (s->tx_count >= uart16550__cap(m)) {
        m->stats.tx_overflows++;
        return;
    }
    s->thre_pending = 0;
    if (!s->tsr_full) {
        s->tsr = byte;
        s->tsr_full = 1;
        s->thre_pending = 1;
    } else {
        s->tx[(s->tx_head + s->tx_count) % UART16550_FIFO_SIZE] = byte;
        s->tx_count++;
    }
    uart16550__tx_drain(m);
}
//! [model-thr]

static void uart16550__tx_clear(uart16550_model *m)
{
    if (m->s.tx_count)
        m->s.thre_pending = 1; /* THR has just become empty */
    m->s.tx_head = 0;
    m->s.tx_count = 0;
}

/* ---- modem lines ---- */

/* In loopback the modem inputs are wired to the outputs: CTS=RTS, DSR=DTR,
   RI=OUT1, DCD=OUT2 (datasheet, MCR bit 4). */
static uint8_t uart16550__modem_lines(const uart16550_model *m)
{
    uint8_t mcr = m->s.mcr;

    if (!(mcr & UART16550_MCR_LOOP))
        return m->s.modem_in;
    return (uint8_t)(((mcr & UART16550_MCR_RTS) ? UART16550_MSR_CTS : 0) |
                     ((mcr & UART16550_MCR_DTR) ? UART16550_MSR_DSR : 0) |
                     ((mcr & UART16550_MCR_OUT1) ? UART16550_MSR_RI : 0) |
                     ((mcr & UART16550_MCR_OUT2) ? UART16550_MSR_DCD : 0));
}

/* Latch new modem line states into MSR, setting the delta bits. TERI is
   set only on the trailing edge of RI (RI going inactive). */
static void uart16550__set_msr_lines(uart16550_model *m, uint8_t lines)
{
    uint8_t old = m->s.msr, delta = 0;

    lines &= 0xf0;
    if ((old ^ lines) & UART16550_MSR_CTS) delta |= UART16550_MSR_DCTS;
    if ((old ^ lines) & UART16550_MSR_DSR) delta |= UART16550_MSR_DDSR;
    if ((old & UART16550_MSR_RI) && !(lines & UART16550_MSR_RI)) delta |= UART16550_MSR_TERI;
    if ((old ^ lines) & UART16550_MSR_DCD) delta |= UART16550_MSR_DDCD;
    m->s.msr = (uint8_t)(lines | (old & 0x0f) | delta);
}

/* ---- the contract ---- */

UART16550_DEF void uart16550_model_init(uart16550_model *m, const uart16550_model_hooks *h)
{
    for (size_t i = 0; i < sizeof *m; i++)
        ((uint8_t *)m)[i] = 0;
    if (h) {
        m->hooks = *h;
    } else {
        m->hooks.tx = 0;
        m->hooks.irq = 0;
        m->hooks.rx_room = 0;
        m->hooks.now = 0;
        m->hooks.wake = 0;
        m->hooks.ctx = 0;
    }
    m->cfg.out2_gates_irq = true;
    m->cfg.reg_shift = 0;
    m->stats.rx_overruns = m->stats.tx_overflows = m->stats.tx_refusals = 0;
    uart16550_model_reset(m);
}

UART16550_DEF void uart16550_model_reset(void *m)
{
    uart16550_model *uart = (uart16550_model *)m;
    uart16550_state *s = &uart->s;
    unsigned room = uart16550_model_rx_space(uart);
    uint8_t level = s->irq_level; /* the board's line: told only if it falls */
    uint64_t now = s->now_ns;

    for (size_t i = 0; i < sizeof *s; i++)
        ((uint8_t *)s)[i] = 0;
    s->version = UART16550_STATE_VERSION;
    s->modem_in = UART16550_MSR_CTS | UART16550_MSR_DSR | UART16550_MSR_DCD;
    s->msr = s->modem_in;
    s->irq_level = level;
    s->now_ns = now;
    uart16550__sync(uart);
    s->rx_ns = s->now_ns;
    uart16550__ring_check(uart);
    uart16550__update_irq(uart); /* IER is 0: the line goes low */
    if (room == 0 && uart->hooks.rx_room)
        uart->hooks.rx_room(uart->hooks.ctx);
}

UART16550_DEF unsigned uart16550_model_rx_space(const uart16550_model *m)
{
    if (uart16550__loop(m))
        return 0;
    return uart16550__cap(m) - m->s.rx_count;
}

UART16550_DEF unsigned uart16550_model_tx_held(const uart16550_model *m)
{
    return m->s.tx_count + (m->s.tsr_full ? 1u : 0u);
}

static bool uart16550__receive(uart16550_model *m, uint8_t byte, uint8_t err)
{
    uart16550__mark k;
    bool ok;

    /* In loopback the receiver is disconnected from the wire. */
    if (uart16550__loop(m))
        return false;
    k = uart16550__enter(m);
    ok = uart16550__rx_push(m, byte, err);
    uart16550__leave(m, k);
    return ok;
}

UART16550_DEF bool uart16550_model_receive(uart16550_model *m, uint8_t byte)
{
    return uart16550__receive(m, byte, 0);
}

UART16550_DEF bool uart16550_model_break(uart16550_model *m)
{
    return uart16550__receive(m, 0, UART16550_LSR_BI);
}

UART16550_DEF void uart16550_model_tx_resume(uart16550_model *m)
{
    uart16550__mark k = uart16550__enter(m);

    uart16550__tx_drain(m);
    uart16550__leave(m, k);
}

UART16550_DEF void uart16550_model_set_modem(uart16550_model *m, uint8_t msr_lines)
{
    uart16550__mark k = uart16550__enter(m);

    m->s.modem_in = (uint8_t)(msr_lines & 0xf0);
    uart16550__set_msr_lines(m, uart16550__modem_lines(m));
    uart16550__leave(m, k);
}

UART16550_DEF uint64_t uart16550_model_poll(void *m, uint64_t now)
{
    uart16550_model *uart = (uart16550_model *)m;

    if (now > uart->s.now_ns)
        uart->s.now_ns = now;
    uart16550__cti_check(uart);
    uart16550__update_irq(uart);
    return uart16550__deadline(uart);
}

//! [model-read]
static uint8_t uart16550__read_reg(uart16550_model *m, unsigned reg)
{
    uart16550_state *s = &m->s;
    bool dlab = (s->lcr & UART16550_LCR_DLAB) != 0;
    uint8_t v;

    UART16550_ASSERT(reg < UART16550_NREGS); /* the caller decoded it */
    switch (reg) {
    case UART16550_RBR:
        return dlab ? s->dll : uart16550__rx_pop(m);
    case UART16550_IER:
        return dlab ? s->dlm : s->ier;
    case UART16550_IIR:
        v = uart16550__iir(m);
        if (v == UART16550_IIR_THRE)
            s->thre_pending = 0; /* reading IIR acknowledges THRE */
        return (uint8_t)(v | (uart16550__fifo_on(m) ? UART16550_IIR_FIFO : 0));
    case UART16550_LCR:
        return s->lcr;
    case UART16550_MCR:
        return s->mcr;
    case UART16550_LSR:
        v = uart16550__lsr(m);
        s->lsr = 0; /* the error bits clear on read; bit 7 then follows the FIFO */
        return v;
    case UART16550_MSR:
        v = s->msr;
        s->msr &= 0xf0; /* deltas clear on read */
        return v;
    case UART16550_SCR:
        return s->scr;
    }
    return 0xff;
}
//! [model-read]

//! [model-decode]
/* Register `reg` for an access, or false if the chip does not decode it.
   Every register is one byte wide (datasheet, "Register Summary"); on an
   MMIO bus with stride 2^shift it sits at the bottom of its slot, and an
   access up to the slot's width reaches it. Anything else must not reach
   a register: a two-byte port read of RBR would otherwise pop a byte the
   guest never sees. */
static bool uart16550__decode(const uart16550_model *m, uint64_t offset, unsigned width,
                              unsigned *reg)
{
    unsigned shift = m->cfg.reg_shift;

    if (shift > 3 || width == 0 || width > (1u << shift) || (width & (width - 1)))
        return false;
    if ((offset & ((1u << shift) - 1)) || (offset >> shift) >= UART16550_NREGS)
        return false;
    *reg = (unsigned)(offset >> shift);
    return true;
}

UART16550_DEF uint64_t uart16550_model_read(void *m, uint64_t offset, unsigned width)
{
    uart16550_model *uart = (uart16550_model *)m;
    uart16550__mark k;
    unsigned reg;
    uint8_t v;

    if (!uart16550__decode(uart, offset, width, &reg))
        return uart16550__all_ones(width);
    k = uart16550__enter(uart);
    v = uart16550__read_reg(uart, reg);
    uart16550__leave(uart, k);
    return v;
}
//! [model-decode]

//! [model-fcr]
static void uart16550__write_fcr(uart16550_model *m, uint8_t val)
{
    /* Toggling the enable bit resets both FIFOs (datasheet, FCR bit 0). */
    if ((val ^ m->s.fcr) & UART16550_FCR_ENABLE) {
        uart16550__rx_clear(m);
        uart16550__tx_clear(m);
    }
    if (!(val & UART16550_FCR_ENABLE)) {
        m->s.fcr = 0; /* the other bits are not programmed without bit 0 */
        return;
    }
    if (val & UART16550_FCR_CLR_RX)
        uart16550__rx_clear(m);
    if (val & UART16550_FCR_CLR_TX)
        uart16550__tx_clear(m); /* the shift register keeps its byte */
    /* Bits 1 and 2 self-clear, bit 3 (DMA mode) and bits 5:4 do nothing on
       a 16550A; keep the enable bit and the trigger level. */
    m->s.fcr = (uint8_t)(val & (UART16550_FCR_ENABLE | 0xc0));
}
//! [model-fcr]

static void uart16550__write_reg(uart16550_model *m, unsigned reg, uint8_t val)
{
    uart16550_state *s = &m->s;
    bool dlab = (s->lcr & UART16550_LCR_DLAB) != 0;

    UART16550_ASSERT(reg < UART16550_NREGS); /* the caller decoded it */
    switch (reg) {
    case UART16550_THR:
        if (dlab)
            s->dll = val;
        else
            uart16550__write_thr(m, val);
        break;
    case UART16550_IER:
        if (dlab) {
            s->dlm = val;
            break;
        }
        /* Enabling ETBEI while THR is empty raises THRE at once. */
        if ((val & ~s->ier & UART16550_IER_ETBEI) && s->tx_count == 0)
            s->thre_pending = 1;
        s->ier = val & 0x0f;
        break;
    case UART16550_FCR:
        uart16550__write_fcr(m, val);
        break;
    case UART16550_LCR:
        s->lcr = val;
        break;
    case UART16550_MCR:
        s->mcr = val & 0x1f;
        uart16550__set_msr_lines(m, uart16550__modem_lines(m));
        uart16550__tx_drain(m); /* into loopback, held output goes to RX */
        break;
    case UART16550_SCR:
        s->scr = val;
        break;
    default: /* LSR and MSR are read-only; writes have no effect */
        break;
    }
}

UART16550_DEF void uart16550_model_write(void *m, uint64_t offset, unsigned width,
                                         uint64_t value)
{
    uart16550_model *uart = (uart16550_model *)m;
    uart16550__mark k;
    unsigned reg;

    if (!uart16550__decode(uart, offset, width, &reg))
        return; /* not decoded: see uart16550_model_read() */
    k = uart16550__enter(uart);
    uart16550__write_reg(uart, reg, (uint8_t)value);
    uart16550__leave(uart, k);
}

UART16550_DEF int64_t uart16550_model_save(void *m, void *buf, size_t size)
{
    const uart16550_model *uart = (const uart16550_model *)m;

    if (size < sizeof uart->s)
        return -1;
    uart16550__copy(buf, &uart->s, sizeof uart->s);
    return (int64_t)sizeof uart->s;
}

//! [model-restore]
/* A state the chip can be in: only bits it ever holds, rings inside their
   arrays and within the FIFO setting, output held only where a refusing
   host leaves it (never in loopback, the FIFO only behind a full shift
   register), THRE latched only with THR empty, time never backwards. */
static bool uart16550__valid(const uart16550_state *s)
{
    unsigned cap = (s->fcr & UART16550_FCR_ENABLE) ? UART16550_FIFO_SIZE : 1;

    if (s->version != UART16550_STATE_VERSION || s->reserved[0] || s->cti > 1 ||
        (s->cti && (!(s->fcr & UART16550_FCR_ENABLE) || !s->rx_count)) ||
        (s->ier & 0xf0) || (s->mcr & 0xe0) || (s->lsr & ~UART16550__LSR_ERRS) ||
        (s->fcr & 0x3e) || (s->modem_in & 0x0f) || s->tsr_full > 1 || s->thre_pending > 1 ||
        s->irq_level > 1)
        return false;
    if (s->rx_head >= UART16550_FIFO_SIZE || s->rx_count > cap ||
        s->tx_head >= UART16550_FIFO_SIZE || s->tx_count > cap)
        return false;
    /* A byte's errors wait only behind the top, which shows its own in
       LSR; a slot not in use holds none. */
    for (unsigned i = 0; i < UART16550_FIFO_SIZE; i++) {
        unsigned pos = (i + UART16550_FIFO_SIZE - s->rx_head) % UART16550_FIFO_SIZE;

        if ((s->rx_err[i] & ~UART16550__BYTE_ERRS) ||
            (s->rx_err[i] && (pos == 0 || pos >= s->rx_count)))
            return false;
    }
    if ((s->tx_count && !s->tsr_full) || (s->tsr_full && (s->mcr & UART16550_MCR_LOOP)) ||
        (s->thre_pending && s->tx_count))
        return false;
    return s->rx_ns <= s->now_ns;
}

UART16550_DEF int64_t uart16550_model_restore(void *m, const void *buf, size_t size)
{
    uart16550_model *uart = (uart16550_model *)m;
    uart16550_state in;
    unsigned room;

    /* A snapshot is input like any other: check what indexes memory
       before any of it is used. */
    if (size != sizeof in)
        return -1;
    uart16550__copy(&in, buf, sizeof in);
    if (!uart16550__valid(&in))
        return -1;
    room = uart16550_model_rx_space(uart);
    uart->s = in;
    uart16550__ring_check(uart);
    /* The line follows the restored registers; the hook learns its level
       even if it did not change, since the board behind it may be new. */
    uart16550__send_irq(uart, uart16550__irq_pin(uart));
    if (uart16550__deadline(uart) != UART16550_NO_DEADLINE && uart->hooks.wake)
        uart->hooks.wake(uart->hooks.ctx);
    if (room == 0 && uart16550_model_rx_space(uart) > 0 && uart->hooks.rx_room)
        uart->hooks.rx_room(uart->hooks.ctx);
    return (int64_t)sizeof in;
}
//! [model-restore]

#endif /* UART16550_IMPLEMENTATION */

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
