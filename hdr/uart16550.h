/* uart16550.h - the 16550A UART: one register map, a driver and a device model.

   WHAT IT IS
   The serial port every PC has at 0x3F8 (COM1), and the console of many
   embedded boards (QEMU's RISC-V `virt` has one at 0x10000000). This header
   holds both roles that meet at its registers:
     - the driver (uart16550_drv_*), which a kernel uses to program the chip;
     - the device model (uart16550_model_*), which a monitor uses to emulate
       the chip for a guest, with the model contract of book/chipset.md,
       "The shape of a device model".
   They share the register and bit names below, so the driver can be run on the
   host straight against the model (that is how the tests check both).

   HARDWARE
   National Semiconductor PC16550D datasheet (1995): register set in table
   "Register Summary", IIR priorities in table "Interrupt Control Functions".
   Register names follow the datasheet: RBR/THR, IER, IIR/FCR, LCR, MCR, LSR,
   MSR, SCR, DLL/DLM (the divisor latch, visible while LCR.DLAB is set).

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
   Model, in a monitor (registers are one byte wide):
       uart16550_model m;
       uart16550_model_hooks h = { on_tx, on_irq, on_rx_room, ctx };
       uart16550_model_init(&m, &h);
       uint64_t v = uart16550_model_read(&m, port - UART16550_PC_COM1_PORT, 1);
       if (uart16550_model_rx_space(&m))
           uart16550_model_receive(&m, byte);  // else wait for on_rx_room

   OVERRIDABLE MACROS (define before the include)
     UART16550_DEF      linkage of public functions   (default: extern)
     UART16550_STATIC   define it to make every public function static
     UART16550_ASSERT   assertion for the model's internal invariants: the
                        receive ring's bounds after every change to it, the
                        decoded register index (default: none). Never
                        called on guest input, which is handled instead.
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
    @brief 16550A UART: register map, driver and device model. See @ref uart16550. */

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
#define UART16550_IIR_FIFO  0xc0 /**< both set while the FIFOs are enabled */

/* FCR: write-only FIFO control. */
#define UART16550_FCR_ENABLE   0x01 /**< enable both FIFOs (toggling clears them) */
#define UART16550_FCR_CLR_RX   0x02 /**< clear the receive FIFO (self-clearing) */
#define UART16550_FCR_CLR_TX   0x04 /**< clear the transmit FIFO (self-clearing) */
#define UART16550_FCR_TRIG(v)  (((v) >> 6) & 3) /**< 0..3 -> 1, 4, 8, 14 bytes */

/* LCR: word format; DLAB switches offsets 0 and 1 to the divisor latch. */
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
#define UART16550_DIVISOR_115200 1 /**< divisor for 115200 baud */

/* Where a PC wires its first serial port: the board's choice, not the chip's,
   but every PC since the IBM PC/AT makes the same one. */
#define UART16550_PC_COM1_PORT 0x3f8 /**< COM1's base I/O port */
#define UART16550_PC_COM1_IRQ  4     /**< COM1's ISA IRQ line */
//! [registers]

/* ---- driver ------------------------------------------------------------ */

/** Register access for the driver: how to reach register `reg` (0..7) on
    this bus. The hooks hide port I/O, MMIO with a stride, or a test double. */
typedef struct uart16550_drv {
    uint8_t (*read)(void *ctx, unsigned reg);             /**< read a register */
    void (*write)(void *ctx, unsigned reg, uint8_t val);  /**< write a register */
    void *ctx;                                            /**< passed to both hooks */
} uart16550_drv;

/** Program 8N1 at the given divisor, FIFOs on and cleared, interrupts off,
    DTR|RTS|OUT2 set. Interrupts are enabled later by the caller via IER. */
UART16550_DEF void uart16550_drv_init(uart16550_drv *u, uint16_t divisor);

/** True if a 16550-compatible chip answers: the scratch register holds a
    value and a loopback byte comes back. Leaves the chip in loopback off. */
UART16550_DEF bool uart16550_drv_probe(uart16550_drv *u);

/** Wait (bounded by UART16550_SPIN_MAX polls) for THR to empty, then send
    `c`. Returns false, sending nothing, if the chip never became ready. */
UART16550_DEF bool uart16550_drv_putc(uart16550_drv *u, uint8_t c);

/** The next received byte, or -1 if none is waiting. Never blocks. */
UART16550_DEF int uart16550_drv_getc(uart16550_drv *u);

/* ---- device model ------------------------------------------------------ */

/** Size of the receive FIFO, as on the 16550A. */
#define UART16550_FIFO_SIZE 16
/** Version of ::uart16550_state; bumped when its layout changes. */
#define UART16550_STATE_VERSION 1u

/** Everything the model remembers: plain data, so save and restore are a
    copy (see uart16550_model_save() and uart16550_model_restore()). */
typedef struct uart16550_state {
    uint32_t version;                      /**< UART16550_STATE_VERSION */
    uint8_t ier;                           /**< interrupt enable */
    uint8_t lcr;                           /**< line control */
    uint8_t mcr;                           /**< modem control */
    uint8_t lsr;                           /**< line status */
    uint8_t msr;                           /**< modem status: lines and deltas */
    uint8_t scr;                           /**< scratch */
    uint8_t dll;                           /**< divisor latch, low byte */
    uint8_t dlm;                           /**< divisor latch, high byte */
    uint8_t fcr;                           /**< last FCR written (write-only register) */
    uint8_t modem_in;                      /**< MSR bits 7:4 driven from outside */
    uint8_t rx[UART16550_FIFO_SIZE];       /**< receive FIFO (ring) */
    uint8_t rx_head;                       /**< index of the oldest byte in rx */
    uint8_t rx_count;                      /**< bytes waiting in rx */
    uint8_t thre_pending;                  /**< THRE interrupt latched, not yet read */
    uint8_t irq_level;                     /**< last level sent to the irq hook */
} uart16550_state;

/** How the model reaches the outside world. Every hook may be NULL. */
typedef struct uart16550_model_hooks {
    void (*tx)(void *ctx, uint8_t byte);  /**< the guest transmitted a byte */
    void (*irq)(void *ctx, bool level);   /**< the interrupt output changed */
    /** The receiver, which had no room (uart16550_model_rx_space() was 0),
        has room again: a guest read of RBR, an FCR write that cleared the
        FIFO, the guest leaving loopback, a reset or a restore made it. A
        host that holds input back while there is no room resumes here; it
        is called last, so it may feed bytes with uart16550_model_receive()
        at once. */
    void (*rx_room)(void *ctx);
    void *ctx;                            /**< passed to every hook */
} uart16550_model_hooks;

/** The board's wiring, set before the first access; kept by a reset. */
typedef struct uart16550_model_cfg {
    /** PC wiring: the interrupt leaves the card only while MCR.OUT2 is set
        (default true); false for a board whose line is wired straight to
        its interrupt controller, as on QEMU's RISC-V `virt`. */
    bool out2_gates_irq;
} uart16550_model_cfg;

/** A 16550A as seen by a guest. Caller-owned; one struct per UART. */
typedef struct uart16550_model {
    uart16550_state s;            /**< machine state: the only part saved */
    uart16550_model_hooks hooks;  /**< wiring to the board */
    uart16550_model_cfg cfg;      /**< board configuration */
} uart16550_model;

/** Zero `m`, copy `*h` (NULL: no hooks), set ::uart16550_model_cfg to its
    defaults (OUT2 gates the line, as on a PC) and reset. Calls no hook.
    A board without the gate clears `cfg.out2_gates_irq` afterwards. */
UART16550_DEF void uart16550_model_init(uart16550_model *m, const uart16550_model_hooks *h);
/** Power-on reset of the state of `m`, a ::uart16550_model: registers as
    the datasheet's reset table gives them (LSR = 0x60, IIR = 0x01, FIFOs
    off), empty receiver, modem inputs CTS|DSR|DCD. Keeps `hooks` and
    `cfg`. The interrupt output drops to its reset level, low, telling the
    irq hook if it was high; rx_room is called if the receiver had no room. */
UART16550_DEF void uart16550_model_reset(void *m);
/** Guest read of the register at `offset`, `width` bytes. The registers
    are one byte wide (PC16550D, "Register Summary"): a read of another
    width, or at an offset of 8 or more, is not decoded, returns all-ones of
    `width` bytes (UINT64_MAX for 8) and changes nothing. */
UART16550_DEF uint64_t uart16550_model_read(void *m, uint64_t offset, unsigned width);
/** Guest write of the low byte of `value` to the register at `offset`. A
    write of a width other than 1, or at an offset of 8 or more, is ignored. */
UART16550_DEF void uart16550_model_write(void *m, uint64_t offset, unsigned width,
                                         uint64_t value);
/** Copy the machine state (a ::uart16550_state) into `buf`. Returns its
    size, or -1, writing nothing, when `size` is smaller. */
UART16550_DEF int64_t uart16550_model_save(void *m, void *buf, size_t size);
/** Load a state saved by uart16550_model_save(). Returns the bytes used,
    or -1, changing nothing, when `size` is not sizeof(::uart16550_state),
    the version differs or the receive ring's head or count is out of
    range. A byte count larger than the receiver holds with the restored
    FIFO setting is cut to it. Then the irq hook is told the restored
    level, whatever it was before, so a fresh board's line follows; and
    rx_room is called if the receiver had no room and now has some. */
UART16550_DEF int64_t uart16550_model_restore(void *m, const void *buf, size_t size);

/** A byte arriving on the wire (host to guest). False, with LSR.OE set, if
    there was no room, and a byte is lost as on the chip: with FIFOs the new
    one, without them the unread one it replaces. */
UART16550_DEF bool uart16550_model_receive(uart16550_model *m, uint8_t byte);
/** How many bytes a host may feed now without losing one: the free space
    in the receive FIFO, or 0 in loopback, where the receiver is off the
    wire and uart16550_model_receive() refuses every byte. When it goes from
    0 to more, the model calls its rx_room hook. */
UART16550_DEF unsigned uart16550_model_rx_space(const uart16550_model *m);
/** Drive the modem-status inputs (MSR bits 7:4, e.g. MSR_CTS|MSR_DSR). */
UART16550_DEF void uart16550_model_set_modem(uart16550_model *m, uint8_t msr_lines);

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
UART16550_DEF void uart16550_drv_init(uart16550_drv *u, uint16_t divisor)
{
    u->write(u->ctx, UART16550_IER, 0);                 /* no interrupts yet */
    u->write(u->ctx, UART16550_LCR, UART16550_LCR_DLAB);
    u->write(u->ctx, UART16550_DLL, (uint8_t)(divisor & 0xff));
    u->write(u->ctx, UART16550_DLM, (uint8_t)(divisor >> 8));
    u->write(u->ctx, UART16550_LCR, UART16550_LCR_8N1); /* also clears DLAB */
    u->write(u->ctx, UART16550_FCR, UART16550_FCR_ENABLE | UART16550_FCR_CLR_RX |
                                    UART16550_FCR_CLR_TX);
    u->write(u->ctx, UART16550_MCR, UART16550_MCR_DTR | UART16550_MCR_RTS |
                                    UART16550_MCR_OUT2);
}
//! [driver-init]

UART16550_DEF bool uart16550_drv_probe(uart16550_drv *u)
{
    uint8_t mcr = u->read(u->ctx, UART16550_MCR);
    bool ok;
    int c;

    /* An absent port on an ISA bus floats to 0xFF: the scratch register
       must hold two different patterns to count as present. */
    u->write(u->ctx, UART16550_SCR, 0x5a);
    ok = u->read(u->ctx, UART16550_SCR) == 0x5a;
    u->write(u->ctx, UART16550_SCR, 0xa5);
    ok = ok && u->read(u->ctx, UART16550_SCR) == 0xa5;
    if (!ok)
        return false;
    /* Loopback: a byte written to THR arrives in RBR without the wire.
       Drain stale input first; a broken chip that always says "data
       ready" must not trap us here, so the drain is bounded. */
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

/* ---- device model ---- */

static const uint8_t uart16550__trigger[4] = { 1, 4, 8, 14 };

static bool uart16550__fifo_on(const uart16550_model *m)
{
    return (m->s.fcr & UART16550_FCR_ENABLE) != 0;
}

/* Without FIFOs the chip holds a single received byte. */
static unsigned uart16550__rx_cap(const uart16550_model *m)
{
    return uart16550__fifo_on(m) ? UART16550_FIFO_SIZE : 1;
}

/* The receive ring stays inside its array whatever the guest does: every
   change to it keeps these, so a failure is a bug in this file. */
static void uart16550__rx_check(const uart16550_model *m)
{
    (void)m; /* when UART16550_ASSERT expands to nothing */
    UART16550_ASSERT(m->s.rx_head < UART16550_FIFO_SIZE);
    UART16550_ASSERT(m->s.rx_count <= UART16550_FIFO_SIZE);
    UART16550_ASSERT(m->s.rx_count <= uart16550__rx_cap(m));
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

//! [model-iir]
/* The IIR value now: the highest-priority enabled source (datasheet table
   "Interrupt Control Functions"). RLS > RDA/CTI > THRE > MSR. */
static uint8_t uart16550__iir(const uart16550_model *m)
{
    const uart16550_state *s = &m->s;
    uint8_t ier = s->ier;

    if ((ier & UART16550_IER_ELSI) &&
        (s->lsr & (UART16550_LSR_OE | UART16550_LSR_PE | UART16550_LSR_FE | UART16550_LSR_BI)))
        return UART16550_IIR_RLS;
    if ((ier & UART16550_IER_ERBFI) && s->rx_count) {
        /* Below the trigger level the chip reports a character timeout
           once four character times pass with no activity; this model has
           no clock yet, so the timeout is taken to have elapsed. */
        if (!uart16550__fifo_on(m) ||
            s->rx_count >= uart16550__trigger[UART16550_FCR_TRIG(s->fcr)])
            return UART16550_IIR_RDA;
        return UART16550_IIR_CTI;
    }
    if ((ier & UART16550_IER_ETBEI) && s->thre_pending)
        return UART16550_IIR_THRE;
    if ((ier & UART16550_IER_EDSSI) && (s->msr & 0x0f))
        return UART16550_IIR_MSR;
    return UART16550_IIR_NONE;
}

/* The interrupt output pin. On a PC the pin reaches the PIC through a gate
   driven by the OUT2 output, which loopback forces inactive (datasheet,
   MCR bit 4): so with gating, no IRQ leaves the card in loopback. */
static bool uart16550__irq_pin(const uart16550_model *m)
{
    uint8_t mcr = m->s.mcr;

    if (m->cfg.out2_gates_irq &&
        (!(mcr & UART16550_MCR_OUT2) || (mcr & UART16550_MCR_LOOP)))
        return false;
    return !(uart16550__iir(m) & UART16550_IIR_NONE);
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

//! [model-rx-room]
/* `before` is uart16550_model_rx_space() at the start of the call. Only a
   change from no room to some is news: a host that still had room was not
   waiting. Called last, after the line is updated, so the hook may feed
   the receiver at once. */
static void uart16550__notify_room(uart16550_model *m, unsigned before)
{
    if (before == 0 && uart16550_model_rx_space(m) > 0 && m->hooks.rx_room)
        m->hooks.rx_room(m->hooks.ctx);
}
//! [model-rx-room]

static void uart16550__rx_clear(uart16550_model *m)
{
    m->s.rx_head = 0;
    m->s.rx_count = 0;
    m->s.lsr &= (uint8_t)~(UART16550_LSR_DR | UART16550_LSR_ERR);
    uart16550__rx_check(m);
}

static bool uart16550__rx_push(uart16550_model *m, uint8_t byte)
{
    uart16550_state *s = &m->s;

    /* Overrun (datasheet, LSR bit 1): a full FIFO keeps its bytes and the
       new one is lost; a lone holding register takes the new byte,
       "thereby destroying the previous character". */
    if (s->rx_count >= uart16550__rx_cap(m)) {
        s->lsr |= UART16550_LSR_OE;
        if (!uart16550__fifo_on(m))
            s->rx[s->rx_head] = byte;
        uart16550__rx_check(m);
        return false;
    }
    s->rx[(s->rx_head + s->rx_count) % UART16550_FIFO_SIZE] = byte;
    s->rx_count++;
    s->lsr |= UART16550_LSR_DR;
    uart16550__rx_check(m);
    return true;
}

static uint8_t uart16550__rx_pop(uart16550_model *m)
{
    uart16550_state *s = &m->s;
    uint8_t byte;

    if (!s->rx_count)
        return 0; /* the datasheet leaves it undefined; 0 is stable */
    byte = s->rx[s->rx_head];
    s->rx_head = (uint8_t)((s->rx_head + 1) % UART16550_FIFO_SIZE);
    if (--s->rx_count == 0)
        s->lsr &= (uint8_t)~UART16550_LSR_DR;
    uart16550__rx_check(m);
    return byte;
}

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
        m->hooks.ctx = 0;
    }
    m->cfg.out2_gates_irq = true;
    uart16550_model_reset(m);
}

UART16550_DEF void uart16550_model_reset(void *m)
{
    uart16550_model *uart = (uart16550_model *)m;
    uart16550_state *s = &uart->s;
    unsigned room = uart16550_model_rx_space(uart);
    uint8_t level = s->irq_level; /* the board's line: told only if it falls */

    for (size_t i = 0; i < sizeof *s; i++)
        ((uint8_t *)s)[i] = 0;
    s->version = UART16550_STATE_VERSION;
    s->lsr = UART16550_LSR_THRE | UART16550_LSR_TEMT;
    s->modem_in = UART16550_MSR_CTS | UART16550_MSR_DSR | UART16550_MSR_DCD;
    s->msr = s->modem_in;
    s->irq_level = level;
    uart16550__rx_check(uart);
    uart16550__update_irq(uart); /* IER is 0: the line goes low */
    uart16550__notify_room(uart, room);
}

UART16550_DEF unsigned uart16550_model_rx_space(const uart16550_model *m)
{
    if (m->s.mcr & UART16550_MCR_LOOP)
        return 0;
    return uart16550__rx_cap(m) - m->s.rx_count;
}

UART16550_DEF bool uart16550_model_receive(uart16550_model *m, uint8_t byte)
{
    bool ok;

    /* In loopback the receiver is disconnected from the wire. */
    if (m->s.mcr & UART16550_MCR_LOOP)
        return false;
    ok = uart16550__rx_push(m, byte);
    uart16550__update_irq(m);
    return ok;
}

UART16550_DEF void uart16550_model_set_modem(uart16550_model *m, uint8_t msr_lines)
{
    m->s.modem_in = (uint8_t)(msr_lines & 0xf0);
    uart16550__set_msr_lines(m, uart16550__modem_lines(m));
    uart16550__update_irq(m);
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
        v = s->lsr;
        /* Error bits clear on read. */
        s->lsr &= (uint8_t)~(UART16550_LSR_OE | UART16550_LSR_PE | UART16550_LSR_FE |
                             UART16550_LSR_BI | UART16550_LSR_ERR);
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

/* Every register is one byte wide (datasheet, "Register Summary"), so only
   a one-byte access at offsets 0..7 is decoded. Anything else must not
   reach a register: a two-byte read of RBR would otherwise pop a byte the
   guest never sees. */
UART16550_DEF uint64_t uart16550_model_read(void *m, uint64_t offset, unsigned width)
{
    uart16550_model *uart = (uart16550_model *)m;
    unsigned room;
    uint8_t v;

    if (width != 1 || offset >= UART16550_NREGS)
        return uart16550__all_ones(width);
    room = uart16550_model_rx_space(uart);
    v = uart16550__read_reg(uart, (unsigned)offset);
    uart16550__update_irq(uart);
    uart16550__notify_room(uart, room);
    return v;
}
//! [model-read]

//! [model-thr]
/* A byte written to THR leaves at once: the model's wire has no baud-rate
   delay, so THR and the shift register are empty again before the guest
   can look, and the THRE interrupt (if enabled) is latched anew. */
static void uart16550__transmit(uart16550_model *m, uint8_t byte)
{
    if (m->s.mcr & UART16550_MCR_LOOP)
        uart16550__rx_push(m, byte);
    else if (m->hooks.tx)
        m->hooks.tx(m->hooks.ctx, byte);
    m->s.lsr |= UART16550_LSR_THRE | UART16550_LSR_TEMT;
    m->s.thre_pending = 1;
}
//! [model-thr]

static void uart16550__write_fcr(uart16550_model *m, uint8_t val)
{
    /* Toggling the enable bit resets both FIFOs (datasheet, FCR bit 0). */
    if ((val ^ m->s.fcr) & UART16550_FCR_ENABLE)
        uart16550__rx_clear(m);
    if (val & UART16550_FCR_CLR_RX)
        uart16550__rx_clear(m);
    /* TX is instantaneous here, so clearing it has nothing to drop. Bits 1
       and 2 self-clear; keep the enable bit and the trigger level. */
    m->s.fcr = (uint8_t)(val & (UART16550_FCR_ENABLE | 0xc0));
    uart16550__rx_check(m);
}

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
            uart16550__transmit(m, val);
        break;
    case UART16550_IER:
        if (dlab) {
            s->dlm = val;
            break;
        }
        /* Enabling ETBEI while THR is empty raises THRE at once. */
        if ((val & ~s->ier & UART16550_IER_ETBEI) && (s->lsr & UART16550_LSR_THRE))
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
    unsigned room;

    if (width != 1 || offset >= UART16550_NREGS)
        return; /* not decoded: see uart16550_model_read() */
    room = uart16550_model_rx_space(uart);
    uart16550__write_reg(uart, (unsigned)offset, (uint8_t)value);
    uart16550__update_irq(uart);
    uart16550__notify_room(uart, room);
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
    if (in.version != UART16550_STATE_VERSION || in.rx_head >= UART16550_FIFO_SIZE ||
        in.rx_count > UART16550_FIFO_SIZE)
        return -1;
    room = uart16550_model_rx_space(uart);
    uart->s = in;
    if (uart->s.rx_count > uart16550__rx_cap(uart))
        uart->s.rx_count = (uint8_t)uart16550__rx_cap(uart);
    uart16550__rx_check(uart);
    /* The line follows the restored registers; the hook learns its level
       even if it did not change, since the board behind it may be new. */
    uart16550__send_irq(uart, uart16550__irq_pin(uart));
    uart16550__notify_room(uart, room);
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
