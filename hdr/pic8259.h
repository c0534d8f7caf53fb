/* pic8259.h - the 8259A interrupt controller pair: register map, driver, model.

   WHAT IT IS
   The programmable interrupt controller of every PC: two 8259A chips, the
   master at ports 0x20/0x21 with IRQ 0-7 and the slave at 0xA0/0xA1 with
   IRQ 8-15, whose output is wired to the master's input 2 (the cascade).
   The ELCR at 0x4D0/0x4D1 selects edge or level sensing per IRQ. This
   header holds both roles that meet at those registers:
     - the driver, which a kernel uses to remap, mask, acknowledge (EOI) and
       recognise spurious interrupts;
     - the device model of the cascaded pair, which a monitor emulates.
   They share the command and bit names below, so the driver runs on the host
   straight against the model (that is how the tests check both).

   HARDWARE
   Intel 8259A Programmable Interrupt Controller datasheet (order 231468):
   "Initialization Command Words" (ICW1-ICW4, with the flowchart of the
   sequence), "Operation Command Words" (OCW1-OCW3), "Fully Nested Mode",
   "Automatic Rotation", "Special Mask Mode", "Poll Command", "Cascade Mode"
   and "Special Fully Nested Mode". The ELCR is the PIIX/ISA-chipset edge/level
   control register pair (Intel 82371 PIIX datasheet, ELCR1/ELCR2).

   BOOK
   book/pic8259.md, "The 8259A interrupt controller".

   USAGE
   In exactly one C file:
       #define PIC8259_IMPLEMENTATION
       #include "pic8259.h"
   Driver, given an access hook for (chip, A0) (port I/O on a PC: port
   PIC8259_PC_MASTER_PORT + a0 or PIC8259_PC_SLAVE_PORT + a0), with
   interrupts disabled on the CPU:
       pic8259_drv d = { my_read, my_write, my_ctx };
       pic8259_drv_remap(&d, 0x20, 0x28);    // all 16 lines masked
       pic8259_drv_unmask(&d, 4);            // COM1
       ... in the handler for vector 0x20 + irq:
       if (!pic8259_drv_is_spurious(&d, irq)) { service(irq); pic8259_drv_eoi(&d, irq); }
   Model, in a monitor (ports 0x20, 0xA0 and 0x4D0 mapped onto the offsets
   PIC8259_MODEL_MASTER, PIC8259_MODEL_SLAVE and PIC8259_MODEL_ELCR):
       pic8259_model m;
       pic8259_model_hooks h = { on_int, ctx };  // on_int(ctx, level) on change
       pic8259_model_init(&m, &h);
       pic8259_model_write(&m, PIC8259_MODEL_MASTER + 1, 1, 0xfb);
       pic8259_model_set_irq(&m, 4, true);       // a device raised IRQ4
       uint8_t vector = pic8259_model_ack(&m);   // the CPU took the interrupt

   OVERRIDABLE MACROS (define before the include)
     PIC8259_DEF      linkage of public functions   (default: extern)
     PIC8259_STATIC   define it to make every public function static
     PIC8259_ASSERT   assertion for the model's internal invariants: levels
                      and priorities within 0..7, a request present when it
                      is taken, the cascade input driven by the slave only
                      (default: none; never called on guest input)

   LICENSE at the end of the file.
*/
#ifndef PIC8259_H
#define PIC8259_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under PIC8259_STATIC. */
#ifndef PIC8259_DEF
#ifdef PIC8259_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define PIC8259_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define PIC8259_DEF static
#endif
#else
#define PIC8259_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file pic8259.h
    @brief 8259A interrupt controller pair: commands, driver and device model.
    See @ref pic8259.

    Tests: tests/pic8259_test.c. Used alone: book/alone/pic8259.c, shown in
    the chapter's appendix. */

//! [registers]
/* Each chip has one address line, A0. With A0 = 0 a write is ICW1 (bit 4
   set), OCW2 (bits 4:3 = 00) or OCW3 (bits 4:3 = 01); with A0 = 1 it is the
   next ICW of an init sequence, otherwise OCW1 (the mask). */
#define PIC8259_MASTER 0u  /**< chip index of the master (IRQ 0-7) */
#define PIC8259_SLAVE  1u  /**< chip index of the slave (IRQ 8-15) */
#define PIC8259_CASCADE_IRQ 2u   /**< the master input the slave drives */

/* Where a PC wires them: each chip's A0 is the low address bit. */
#define PIC8259_PC_MASTER_PORT 0x20u  /**< master: A0 = 0 at 0x20, A0 = 1 at 0x21 */
#define PIC8259_PC_SLAVE_PORT  0xa0u  /**< slave: A0 = 0 at 0xA0, A0 = 1 at 0xA1 */
#define PIC8259_PC_ELCR_PORT   0x4d0u /**< ELCR1 (IRQ 0-7); ELCR2 (IRQ 8-15) at +1 */

/* ICW1 (A0 = 0, bit 4 set): starts the init sequence. */
#define PIC8259_ICW1      0x10 /**< marks the write as ICW1 */
#define PIC8259_ICW1_IC4  0x01 /**< ICW4 follows */
#define PIC8259_ICW1_SNGL 0x02 /**< single chip: no ICW3, no cascade */
#define PIC8259_ICW1_LTIM 0x08 /**< every input level-triggered */

/* ICW3: the master names its inputs with slaves, a slave its own ID. */
#define PIC8259_ICW3_MASTER 0x04 /**< PC master: slave on input 2 */
#define PIC8259_ICW3_SLAVE  0x02 /**< PC slave: ID 2 */

/* ICW4. */
#define PIC8259_ICW4_8086 0x01 /**< 8086 mode: one-byte vector on INTA */
#define PIC8259_ICW4_AEOI 0x02 /**< automatic EOI at the end of INTA */
#define PIC8259_ICW4_SFNM 0x10 /**< special fully nested mode (master) */

/* OCW2 (A0 = 0, bits 4:3 = 00): R, SL and EOI in bits 7:5, level in 2:0. */
#define PIC8259_OCW2_ROT_AEOI_CLEAR 0x00 /**< rotate in AEOI mode: clear */
#define PIC8259_OCW2_EOI            0x20 /**< non-specific EOI */
#define PIC8259_OCW2_NOP            0x40 /**< no operation */
#define PIC8259_OCW2_SEOI           0x60 /**< specific EOI, level in bits 2:0 */
#define PIC8259_OCW2_ROT_AEOI_SET   0x80 /**< rotate in AEOI mode: set */
#define PIC8259_OCW2_ROT_EOI        0xa0 /**< rotate on non-specific EOI */
#define PIC8259_OCW2_SET_PRIO       0xc0 /**< set priority: level becomes lowest */
#define PIC8259_OCW2_ROT_SEOI       0xe0 /**< rotate on specific EOI */

/* OCW3 (A0 = 0, bits 4:3 = 01). */
#define PIC8259_OCW3      0x08 /**< marks the write as OCW3 */
#define PIC8259_OCW3_RIS  0x01 /**< with RR: read ISR (else IRR) */
#define PIC8259_OCW3_RR   0x02 /**< change the register read at A0 = 0 */
#define PIC8259_OCW3_P    0x04 /**< poll: the next read acknowledges */
#define PIC8259_OCW3_SMM  0x20 /**< with ESMM: special mask mode on (else off) */
#define PIC8259_OCW3_ESMM 0x40 /**< change the special mask mode */
#define PIC8259_OCW3_READ_IRR 0x0a /**< OCW3: read IRR at A0 = 0 */
#define PIC8259_OCW3_READ_ISR 0x0b /**< OCW3: read ISR at A0 = 0 */

/* ELCR: bits of inputs that cannot be level-triggered on a PC (timer,
   keyboard, cascade; RTC and FPU error on the slave) always read 0. */
#define PIC8259_ELCR_MASK_MASTER 0xf8 /**< writable ELCR bits, master */
#define PIC8259_ELCR_MASK_SLAVE  0xde /**< writable ELCR bits, slave */
//! [registers]

/* ---- driver ------------------------------------------------------------ */

/** Register access for the driver: chip 0 (master) or 1 (slave), address
    line `a0` 0 or 1. On a PC the hook does port I/O on
    PIC8259_PC_MASTER_PORT + a0 or PIC8259_PC_SLAVE_PORT + a0; on the host
    it can call pic8259_model_read() and pic8259_model_write() at offset
    PIC8259_MODEL_MASTER + a0 or PIC8259_MODEL_SLAVE + a0. */
typedef struct pic8259_drv {
    uint8_t (*read)(void *ctx, unsigned chip, unsigned a0);            /**< read */
    void (*write)(void *ctx, unsigned chip, unsigned a0, uint8_t val); /**< write */
    void *ctx;                                                         /**< passed to both */
} pic8259_drv;

/** Initialise both chips as a PC pair: edge-triggered, cascaded on IRQ2,
    8086 mode, normal EOI, vectors `master_base` + 0..7 and `slave_base` +
    0..7 (multiples of 8), and every line masked. Call with interrupts off. */
PIC8259_DEF void pic8259_drv_remap(pic8259_drv *d, uint8_t master_base, uint8_t slave_base);
/** Mask `irq` (0..15); other values are ignored. */
PIC8259_DEF void pic8259_drv_mask(pic8259_drv *d, unsigned irq);
/** Unmask `irq` (0..15); for 8..15 the cascade input IRQ2 is unmasked too. */
PIC8259_DEF void pic8259_drv_unmask(pic8259_drv *d, unsigned irq);
/** End of interrupt for `irq` (0..15): a specific EOI to its chip and, for
    a slave IRQ, to the master's cascade input as well. */
PIC8259_DEF void pic8259_drv_eoi(pic8259_drv *d, unsigned irq);
/** True if an interrupt taken as `irq` was spurious: only IRQ7 and IRQ15 can
    be, and they are when the chip's ISR bit 7 is clear. For a spurious IRQ15
    the master's IRQ2 is in service, so this sends the master its EOI; the
    caller must send none. Leaves both chips reading IRR at A0 = 0. */
PIC8259_DEF bool pic8259_drv_is_spurious(pic8259_drv *d, unsigned irq);
/** IRR of both chips (slave in bits 15:8), read through OCW3. */
PIC8259_DEF uint16_t pic8259_drv_read_irr(pic8259_drv *d);
/** ISR of both chips (slave in bits 15:8), read through OCW3; leaves the
    chips reading IRR. */
PIC8259_DEF uint16_t pic8259_drv_read_isr(pic8259_drv *d);

/* ---- device model ------------------------------------------------------ */

//! [model-offsets]
/* The model's offset space: every register of the pair, byte-wide, in one
   range of six. A board maps port 0x20 onto PIC8259_MODEL_MASTER, 0xA0
   onto PIC8259_MODEL_SLAVE and 0x4D0 onto PIC8259_MODEL_ELCR. */
#define PIC8259_MODEL_MASTER 0u /**< offsets 0, 1: the master at A0 = 0, 1 */
#define PIC8259_MODEL_SLAVE  2u /**< offsets 2, 3: the slave at A0 = 0, 1 */
#define PIC8259_MODEL_ELCR   4u /**< offset 4: ELCR1 (IRQ 0-7), 5: ELCR2 (IRQ 8-15) */
#define PIC8259_MODEL_SIZE   6u /**< offsets in all */
//! [model-offsets]

/** Version of ::pic8259_state; bumped when its layout changes. */
#define PIC8259_STATE_VERSION 2u

/** One chip's registers and modes. */
typedef struct pic8259_chip {
    uint8_t irr;        /**< interrupt request register */
    uint8_t isr;        /**< in-service register */
    uint8_t imr;        /**< interrupt mask register (OCW1) */
    uint8_t lines;      /**< input levels as last seen (edge detection) */
    uint8_t elcr;       /**< edge/level control: 1 = level for that input */
    uint8_t icw1;       /**< last ICW1 */
    uint8_t icw2;       /**< vector base (bits 7:3) */
    uint8_t icw3;       /**< cascade inputs (master) or slave ID */
    uint8_t icw4;       /**< ICW4, or 0 when ICW1 said none follows */
    uint8_t init_step;  /**< 0 = ready, 1 = never initialised, else the ICW (2..4) expected next */
    uint8_t lowest;     /**< the input of lowest priority (rotation), 0..7 */
    uint8_t read_isr;   /**< 1: a read at A0 = 0 returns ISR, 0: IRR */
    uint8_t poll;       /**< 1: the next read is a poll */
    uint8_t smm;        /**< 1: special mask mode */
    uint8_t rotate_aeoi; /**< 1: rotate on every automatic EOI */
} pic8259_chip;

/** What the pair remembers, and nothing else: plain data, so save and
    restore are a copy (see pic8259_model_save()). */
typedef struct pic8259_state {
    uint32_t version;       /**< PIC8259_STATE_VERSION */
    pic8259_chip chip[2];   /**< master, slave */
    uint8_t irq2_line;      /**< external IRQ2 level (used when not cascaded) */
    uint8_t int_level;      /**< the INT output: last level sent to the hook */
} pic8259_state;

/** Where the pair's INT output goes. */
typedef struct pic8259_model_hooks {
    void (*output)(void *ctx, bool level); /**< INT changed level; may be NULL */
    void *ctx;                             /**< passed to output */
} pic8259_model_hooks;

/** What the pair has done, for a monitor's statistics. Not saved. */
typedef struct pic8259_stats {
    uint64_t delivered[16]; /**< per-IRQ acknowledges (INTA or poll) */
    uint64_t spurious[2];   /**< spurious IRQ7 (master) and IRQ15 (slave) */
    uint64_t stray_eoi;     /**< EOIs that found nothing in service */
} pic8259_stats;

/** The cascaded pair as a guest sees it. Caller-owned; one per machine. */
typedef struct pic8259_model {
    pic8259_state s;           /**< machine state: the only part saved */
    pic8259_model_hooks hooks; /**< wiring */
    pic8259_stats stats;       /**< counters; reset keeps them */
} pic8259_model;

/** Zero `m`, copy `*h` (NULL: no hooks) and reset. The hook is not called. */
PIC8259_DEF void pic8259_model_init(pic8259_model *m, const pic8259_model_hooks *h);
/** Power-on state: both chips waiting for ICW1 (they do not interrupt
    before it, but IMR may be written and read, as OS probes do), every line
    masked, nothing pending, ELCR all edge, INT low (the hook hears it fall
    if it was high). The input levels belong to the wires, not the chips,
    and are kept. Hooks and stats are kept. */
PIC8259_DEF void pic8259_model_reset(void *m);
/** Guest read at `offset` (0..PIC8259_MODEL_SIZE - 1) of `width` bytes.
    Every register is one byte: another width or offset reads all-ones of
    the width and changes nothing. At A0 = 0 a chip gives IRR or ISR (as
    OCW3 chose) or, once after a poll command, the poll byte (which
    acknowledges); at A0 = 1 it gives IMR; the ELCR offsets give the ELCR. */
PIC8259_DEF uint64_t pic8259_model_read(void *m, uint64_t offset, unsigned width);
/** Guest write at `offset` of `width` bytes; a width other than 1 or an
    offset out of range is ignored. An OCW2 or OCW3 that arrives between
    ICW1 and the last ICW is applied, and the sequence keeps waiting for its
    next ICW at A0 = 1. ELCR bits of IRQ 0, 1, 2, 8 and 13 stay 0. */
PIC8259_DEF void pic8259_model_write(void *m, uint64_t offset, unsigned width, uint64_t value);
/** Drive input `input` (IRQ 0..15; others ignored) to `level`. An edge
    input latches IRR on a rising edge and keeps it, even if the line falls
    before the acknowledge (so a pulse is never lost); a level input's IRR
    follows the line. While the master is cascaded its input 2 belongs to
    the slave and IRQ2 is only recorded. Has the type of irq.h's
    irq_input_fn. */
PIC8259_DEF void pic8259_model_set_irq(void *m, unsigned input, bool level);
/** The CPU's interrupt acknowledge (INTA): the vector of the
    highest-priority request, through the slave for IRQ2 when cascaded. With
    no request left, the master answers IRQ7's vector, or the slave IRQ15's
    (with the master's IRQ2 in service), and no ISR bit of the answering
    chip is set. */
PIC8259_DEF uint8_t pic8259_model_ack(pic8259_model *m);
/** The level of the INT output now (what the hook was last told). */
PIC8259_DEF bool pic8259_model_output(const pic8259_model *m);
/** Copy the state into `buf`: returns sizeof(pic8259_state), or -1, writing
    nothing, when `size` is smaller. */
PIC8259_DEF int64_t pic8259_model_save(void *m, void *buf, size_t size);
/** Load a saved state: returns sizeof(pic8259_state), or -1, changing
    nothing, when `size` is not that or a field is out of its range. On
    success the output hook is told the restored INT level. */
PIC8259_DEF int64_t pic8259_model_restore(void *m, const void *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* PIC8259_H */

/* ======================================================================== */
#ifdef PIC8259_IMPLEMENTATION

#ifndef PIC8259_ASSERT
#define PIC8259_ASSERT(c) ((void)0)
#endif

/* ---- driver ---- */

//! [driver-remap]
PIC8259_DEF void pic8259_drv_remap(pic8259_drv *d, uint8_t master_base, uint8_t slave_base)
{
    /* ICW1 on both, then ICW2 (vector base), ICW3 (wiring), ICW4 (8086). */
    d->write(d->ctx, 0, 0, PIC8259_ICW1 | PIC8259_ICW1_IC4);
    d->write(d->ctx, 0, 1, master_base);
    d->write(d->ctx, 0, 1, PIC8259_ICW3_MASTER);
    d->write(d->ctx, 0, 1, PIC8259_ICW4_8086);
    d->write(d->ctx, 1, 0, PIC8259_ICW1 | PIC8259_ICW1_IC4);
    d->write(d->ctx, 1, 1, slave_base);
    d->write(d->ctx, 1, 1, PIC8259_ICW3_SLAVE);
    d->write(d->ctx, 1, 1, PIC8259_ICW4_8086);
    /* ICW1 cleared the masks; mask everything until a driver asks. */
    d->write(d->ctx, 0, 1, 0xff);
    d->write(d->ctx, 1, 1, 0xff);
}
//! [driver-remap]

PIC8259_DEF void pic8259_drv_mask(pic8259_drv *d, unsigned irq)
{
    unsigned chip = irq >> 3;

    if (irq > 15)
        return;
    d->write(d->ctx, chip, 1, (uint8_t)(d->read(d->ctx, chip, 1) | (1u << (irq & 7))));
}

PIC8259_DEF void pic8259_drv_unmask(pic8259_drv *d, unsigned irq)
{
    unsigned chip = irq >> 3;

    if (irq > 15)
        return;
    d->write(d->ctx, chip, 1, (uint8_t)(d->read(d->ctx, chip, 1) & ~(1u << (irq & 7))));
    if (chip)
        pic8259_drv_unmask(d, PIC8259_CASCADE_IRQ);
}

//! [driver-eoi]
PIC8259_DEF void pic8259_drv_eoi(pic8259_drv *d, unsigned irq)
{
    /* Specific EOIs name the level, so they stay right under rotation. */
    if (irq > 15)
        return;
    if (irq >= 8) {
        d->write(d->ctx, 1, 0, (uint8_t)(PIC8259_OCW2_SEOI | (irq & 7)));
        irq = PIC8259_CASCADE_IRQ;
    }
    d->write(d->ctx, 0, 0, (uint8_t)(PIC8259_OCW2_SEOI | irq));
}

PIC8259_DEF bool pic8259_drv_is_spurious(pic8259_drv *d, unsigned irq)
{
    unsigned chip = irq >> 3;
    uint8_t isr;

    if (irq != 7 && irq != 15)
        return false;
    d->write(d->ctx, chip, 0, PIC8259_OCW3_READ_ISR);
    isr = d->read(d->ctx, chip, 0);
    d->write(d->ctx, chip, 0, PIC8259_OCW3_READ_IRR);
    if (isr & 0x80)
        return false;
    /* The request vanished before INTA. For IRQ15 the master did put its
       cascade input in service: that one needs its EOI. */
    if (chip)
        d->write(d->ctx, 0, 0, (uint8_t)(PIC8259_OCW2_SEOI | PIC8259_CASCADE_IRQ));
    return true;
}
//! [driver-eoi]

static uint16_t pic8259__read_both(pic8259_drv *d, uint8_t ocw3)
{
    uint16_t v;

    d->write(d->ctx, 0, 0, ocw3);
    d->write(d->ctx, 1, 0, ocw3);
    v = (uint16_t)(d->read(d->ctx, 0, 0) | (d->read(d->ctx, 1, 0) << 8));
    d->write(d->ctx, 0, 0, PIC8259_OCW3_READ_IRR);
    d->write(d->ctx, 1, 0, PIC8259_OCW3_READ_IRR);
    return v;
}

PIC8259_DEF uint16_t pic8259_drv_read_irr(pic8259_drv *d)
{
    return pic8259__read_both(d, PIC8259_OCW3_READ_IRR);
}

PIC8259_DEF uint16_t pic8259_drv_read_isr(pic8259_drv *d)
{
    return pic8259__read_both(d, PIC8259_OCW3_READ_ISR);
}

/* ---- device model ---- */

static const uint8_t pic8259__elcr_mask[2] = { PIC8259_ELCR_MASK_MASTER, PIC8259_ELCR_MASK_SLAVE };

/* Inputs sensed by level: all with ICW1.LTIM, else those the ELCR names. */
static uint8_t pic8259__level_bits(const pic8259_chip *c)
{
    return (c->icw1 & PIC8259_ICW1_LTIM) ? 0xff : c->elcr;
}

/* Rank 0 is the highest priority: the input just after `lowest`. */
static unsigned pic8259__rank(const pic8259_chip *c, unsigned irq)
{
    PIC8259_ASSERT(irq < 8 && c->lowest < 8);
    return (irq - c->lowest - 1u) & 7u;
}

/* The input of highest priority among `bits`, or -1 if there is none. */
static int pic8259__highest(const pic8259_chip *c, uint8_t bits)
{
    PIC8259_ASSERT(c->lowest < 8); /* set only from a 3-bit level; restore checks it */
    for (unsigned i = 0; i < 8; i++) {
        unsigned irq = (c->lowest + 1u + i) & 7u;
        if (bits & (1u << irq))
            return (int)irq;
    }
    return -1;
}

static bool pic8259__cascaded(const pic8259_state *s)
{
    const pic8259_chip *m = &s->chip[0];

    return !(m->icw1 & PIC8259_ICW1_SNGL) && (m->icw3 & (1u << PIC8259_CASCADE_IRQ));
}

//! [model-resolve]
/* The priority resolver: the input the chip would interrupt for now, or -1.
   A request must be unmasked and of higher priority than everything in
   service (fully nested mode). In special mask mode, masked levels in
   service stop blocking; in special fully nested mode the master takes a
   second request from a slave whose input is already in service. */
static int pic8259__resolve(const pic8259_chip *c, bool is_master)
{
    int req, cur;
    uint8_t isr = c->isr;

    if (c->init_step)
        return -1; /* mid-init the chip has no vector base to give */
    req = pic8259__highest(c, (uint8_t)(c->irr & ~c->imr));
    if (req < 0)
        return -1;
    if (c->smm)
        isr &= (uint8_t)~c->imr;
    cur = pic8259__highest(c, isr);
    if (cur < 0 || pic8259__rank(c, (unsigned)req) < pic8259__rank(c, (unsigned)cur))
        return req;
    if (req == cur && is_master && (c->icw4 & PIC8259_ICW4_SFNM) &&
        (c->icw3 & (1u << req)) && !(c->icw1 & PIC8259_ICW1_SNGL))
        return req;
    return -1;
}
//! [model-resolve]

/* One input of one chip changed level: edge inputs latch IRR on a rising
   edge only; level inputs make IRR follow the line. */
static void pic8259__line(pic8259_chip *c, unsigned irq, bool level)
{
    uint8_t bit = (uint8_t)(1u << irq);

    PIC8259_ASSERT(irq < 8);
    if (pic8259__level_bits(c) & bit)
        c->irr = level ? (uint8_t)(c->irr | bit) : (uint8_t)(c->irr & ~bit);
    else if (level && !(c->lines & bit))
        c->irr |= bit;
    c->lines = level ? (uint8_t)(c->lines | bit) : (uint8_t)(c->lines & ~bit);
}

/* Recompute the slave's INT into the master's input 2 and the master's INT
   into the output hook, which hears only changes. */
static void pic8259__update(pic8259_model *p)
{
    pic8259_state *s = &p->s;
    bool in2 = pic8259__cascaded(s) ? pic8259__resolve(&s->chip[1], false) >= 0
                                    : s->irq2_line != 0;
    bool out;

    /* The cascade input: a slave drives it only once initialised. */
    PIC8259_ASSERT(!in2 || !pic8259__cascaded(s) || s->chip[1].init_step == 0);
    pic8259__line(&s->chip[0], PIC8259_CASCADE_IRQ, in2);
    out = pic8259__resolve(&s->chip[0], true) >= 0;
    PIC8259_ASSERT(s->int_level <= 1);
    if (out != (s->int_level != 0)) {
        s->int_level = out;
        if (p->hooks.output)
            p->hooks.output(p->hooks.ctx, out);
    }
}

PIC8259_DEF void pic8259_model_init(pic8259_model *m, const pic8259_model_hooks *h)
{
    unsigned i;

    for (i = 0; i < sizeof *m; i++)
        ((uint8_t *)m)[i] = 0;
    if (h)
        m->hooks = *h;
    pic8259_model_reset(m);
}

PIC8259_DEF void pic8259_model_reset(void *m)
{
    pic8259_model *p = (pic8259_model *)m;
    pic8259_state *s = &p->s;
    uint8_t lines[2] = { s->chip[0].lines, s->chip[1].lines }, irq2 = s->irq2_line;
    uint8_t level = s->int_level;
    unsigned i;

    for (i = 0; i < sizeof *s; i++)
        ((uint8_t *)s)[i] = 0;
    s->version = PIC8259_STATE_VERSION;
    for (i = 0; i < 2; i++) {
        s->chip[i].init_step = 1; /* waiting for ICW1 */
        s->chip[i].lowest = 7;
        s->chip[i].imr = 0xff;    /* the datasheet leaves it undefined */
        s->chip[i].lines = lines[i];
    }
    s->irq2_line = irq2;
    s->int_level = level; /* what the hook last heard: update lowers it */
    pic8259__update(p);
}

//! [model-ack]
/* Acknowledge `irq` on one chip, as INTA or a poll does: IRR to ISR. An
   edge request is consumed; a level request stays while its line is high.
   In AEOI mode the ISR bit is set and cleared in the same INTA sequence. */
static void pic8259__take(pic8259_state *s, unsigned chip, unsigned irq)
{
    pic8259_chip *c = &s->chip[chip];
    uint8_t bit;

    PIC8259_ASSERT(chip < 2 && irq < 8);
    bit = (uint8_t)(1u << irq);
    PIC8259_ASSERT(c->irr & bit); /* the resolver chose a request */
    if (!(pic8259__level_bits(c) & bit))
        c->irr &= (uint8_t)~bit;
    if (!(c->icw4 & PIC8259_ICW4_AEOI))
        c->isr |= bit;
    else if (c->rotate_aeoi)
        c->lowest = (uint8_t)irq;
}

PIC8259_DEF uint8_t pic8259_model_ack(pic8259_model *m)
{
    pic8259_state *s = &m->s;
    int irq = pic8259__resolve(&s->chip[0], true), sirq;
    uint8_t vec;

    if (irq < 0) { /* the request went away: default IR7 (datasheet) */
        m->stats.spurious[0]++;
        vec = (uint8_t)(s->chip[0].icw2 | 7);
    } else if (irq != PIC8259_CASCADE_IRQ || !pic8259__cascaded(s)) {
        pic8259__take(s, 0, (unsigned)irq);
        m->stats.delivered[irq]++;
        vec = (uint8_t)(s->chip[0].icw2 | irq);
    } else {
        pic8259__take(s, 0, PIC8259_CASCADE_IRQ);
        sirq = pic8259__resolve(&s->chip[1], false);
        if (sirq < 0) { /* the master's IRQ2 stays in service */
            m->stats.spurious[1]++;
            vec = (uint8_t)(s->chip[1].icw2 | 7);
        } else {
            pic8259__take(s, 1, (unsigned)sirq);
            m->stats.delivered[8 + sirq]++;
            vec = (uint8_t)(s->chip[1].icw2 | sirq);
        }
        /* Re-arm the cascade edge detector: a slave still asserting INT
           after this INTA (AEOI, special mask) must not be stranded. */
        s->chip[0].lines &= (uint8_t)~(1u << PIC8259_CASCADE_IRQ);
    }
    pic8259__update(m);
    return vec;
}
//! [model-ack]

/* The poll byte (OCW3 P): 0x80 | level of the request, acknowledged as an
   INTA would; 0 when nothing may interrupt. Polling is per chip. */
static uint8_t pic8259__poll(pic8259_model *p, unsigned chip)
{
    int irq;

    PIC8259_ASSERT(chip < 2);
    irq = pic8259__resolve(&p->s.chip[chip], chip == 0);
    p->s.chip[chip].poll = 0;
    if (irq < 0)
        return 0;
    pic8259__take(&p->s, chip, (unsigned)irq);
    p->stats.delivered[chip * 8 + (unsigned)irq]++;
    return (uint8_t)(0x80 | irq);
}

/* A byte read of one chip: A0 = 0 gives the poll byte once after a poll
   command, else IRR or ISR; A0 = 1 gives IMR. */
static uint8_t pic8259__chip_read(pic8259_model *p, unsigned chip, unsigned a0)
{
    pic8259_chip *c;
    uint8_t v;

    PIC8259_ASSERT(chip < 2 && a0 < 2); /* decoded from the offset */
    c = &p->s.chip[chip];
    if (c->poll)
        v = pic8259__poll(p, chip);
    else if (a0)
        v = c->imr;
    else
        v = c->read_isr ? c->isr : c->irr;
    pic8259__update(p);
    return v;
}

//! [model-icw]
/* ICW1: start over. The datasheet's list: IMR cleared, IR7 lowest priority,
   special mask mode off, IRR selected for reading, edge detectors reset (an
   edge input must rise again), and ICW4 all zero unless IC4 asks for it. */
static void pic8259__icw1(pic8259_chip *c, uint8_t val)
{
    c->icw1 = val;
    c->icw4 = 0;
    c->imr = 0;
    c->isr = 0;
    c->lowest = 7;
    c->smm = 0;
    c->read_isr = 0;
    c->poll = 0;
    c->rotate_aeoi = 0;
    c->irr = (uint8_t)(c->lines & pic8259__level_bits(c));
    c->init_step = 2;
}

/* A write at A0 = 1 during the sequence: ICW2, then ICW3 unless single,
   then ICW4 if ICW1 asked for it. */
static void pic8259__icw(pic8259_chip *c, uint8_t val)
{
    switch (c->init_step) {
    case 2:
        c->icw2 = (uint8_t)(val & 0xf8); /* 8086 mode: bits 2:0 are the level */
        c->init_step = !(c->icw1 & PIC8259_ICW1_SNGL) ? 3 : (c->icw1 & PIC8259_ICW1_IC4) ? 4 : 0;
        break;
    case 3:
        c->icw3 = val;
        c->init_step = (c->icw1 & PIC8259_ICW1_IC4) ? 4 : 0;
        break;
    default:
        c->icw4 = (uint8_t)(val & 0x1f);
        c->init_step = 0;
        break;
    }
}
//! [model-icw]

/* The in-service level an EOI without a level means: the highest, skipping
   masked levels in special mask mode (datasheet, "Special Mask Mode"). */
static int pic8259__eoi_level(const pic8259_chip *c)
{
    return pic8259__highest(c, c->smm ? (uint8_t)(c->isr & ~c->imr) : c->isr);
}

//! [model-ocw2]
static void pic8259__ocw2(pic8259_model *p, pic8259_chip *c, uint8_t val)
{
    unsigned level = val & 7u;
    int irq;

    switch (val & 0xe0) {
    case PIC8259_OCW2_ROT_AEOI_CLEAR: c->rotate_aeoi = 0; return;
    case PIC8259_OCW2_ROT_AEOI_SET:   c->rotate_aeoi = 1; return;
    case PIC8259_OCW2_NOP:            return;
    case PIC8259_OCW2_SET_PRIO:       c->lowest = (uint8_t)level; return;
    case PIC8259_OCW2_SEOI:
    case PIC8259_OCW2_ROT_SEOI:
        irq = (c->isr & (1u << level)) ? (int)level : -1;
        break;
    default: /* EOI, ROT_EOI */
        irq = pic8259__eoi_level(c);
        break;
    }
    if (irq < 0) { /* nothing to end: count it, change nothing */
        p->stats.stray_eoi++;
        return;
    }
    PIC8259_ASSERT(irq < 8 && (c->isr & (1u << irq)));
    c->isr &= (uint8_t)~(1u << irq);
    if (val & 0x80) /* the rotating forms: the ended level goes last */
        c->lowest = (uint8_t)irq;
}
//! [model-ocw2]

static void pic8259__ocw3(pic8259_chip *c, uint8_t val)
{
    if (val & PIC8259_OCW3_ESMM)
        c->smm = (val & PIC8259_OCW3_SMM) != 0;
    if (val & PIC8259_OCW3_P)
        c->poll = 1;
    if (val & PIC8259_OCW3_RR)
        c->read_isr = val & PIC8259_OCW3_RIS;
}

/* A byte written to one chip at A0. */
static void pic8259__chip_write(pic8259_model *p, unsigned chip, unsigned a0, uint8_t val)
{
    pic8259_chip *c;

    PIC8259_ASSERT(chip < 2 && a0 < 2); /* decoded from the offset */
    c = &p->s.chip[chip];
    if (!a0 && (val & PIC8259_ICW1))
        pic8259__icw1(c, val);
    else if (a0 && c->init_step > 1)
        pic8259__icw(c, val);
    else if (a0)
        c->imr = val;
    else if (val & PIC8259_OCW3) /* OCWs mid-init apply; the sequence waits */
        pic8259__ocw3(c, val);
    else
        pic8259__ocw2(p, c, val);
    pic8259__update(p);
}

/* A byte written to one chip's ELCR: the bits of inputs that are always
   edge-triggered stay 0. */
static void pic8259__elcr_write(pic8259_model *p, unsigned chip, uint8_t val)
{
    pic8259_chip *c;
    uint8_t lvl;

    PIC8259_ASSERT(chip < 2);
    c = &p->s.chip[chip];
    c->elcr = (uint8_t)(val & pic8259__elcr_mask[chip]);
    /* Inputs now sensed by level show their line at once. */
    lvl = pic8259__level_bits(c);
    c->irr = (uint8_t)((c->irr & ~lvl) | (c->lines & lvl));
    pic8259__update(p);
}

/* All-ones of an access `width` bytes wide. */
static uint64_t pic8259__ones(unsigned width)
{
    return width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
}

//! [model-decode]
/* One offset space for the pair: offsets 0-1 the master, 2-3 the slave,
   4-5 the ELCR pair. Every register is a byte, and the width is checked
   first, so a wide access does nothing at all (it cannot spend a poll). */
PIC8259_DEF uint64_t pic8259_model_read(void *m, uint64_t offset, unsigned width)
{
    pic8259_model *p = (pic8259_model *)m;

    if (width != 1 || offset >= PIC8259_MODEL_SIZE)
        return pic8259__ones(width);
    if (offset >= PIC8259_MODEL_ELCR)
        return p->s.chip[offset - PIC8259_MODEL_ELCR].elcr;
    return pic8259__chip_read(p, (unsigned)(offset >> 1), (unsigned)(offset & 1));
}

PIC8259_DEF void pic8259_model_write(void *m, uint64_t offset, unsigned width, uint64_t value)
{
    pic8259_model *p = (pic8259_model *)m;

    if (width != 1 || offset >= PIC8259_MODEL_SIZE)
        return;
    if (offset >= PIC8259_MODEL_ELCR)
        pic8259__elcr_write(p, (unsigned)(offset - PIC8259_MODEL_ELCR), (uint8_t)value);
    else
        pic8259__chip_write(p, (unsigned)(offset >> 1), (unsigned)(offset & 1), (uint8_t)value);
}
//! [model-decode]

PIC8259_DEF void pic8259_model_set_irq(void *m, unsigned input, bool level)
{
    pic8259_model *p = (pic8259_model *)m;

    if (input > 15)
        return;
    if (input == PIC8259_CASCADE_IRQ)
        p->s.irq2_line = level; /* pic8259__update() drives the master's input 2 */
    else
        pic8259__line(&p->s.chip[input >> 3], input & 7u, level);
    pic8259__update(p);
}

PIC8259_DEF bool pic8259_model_output(const pic8259_model *m)
{
    return m->s.int_level != 0;
}

/* Byte copies: `buf` has no alignment, and the header calls no libc. */
static void pic8259__copy(void *dst, const void *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)dst)[i] = ((const uint8_t *)src)[i];
}

PIC8259_DEF int64_t pic8259_model_save(void *m, void *buf, size_t size)
{
    pic8259_model *p = (pic8259_model *)m;

    if (size < sizeof p->s)
        return -1;
    pic8259__copy(buf, &p->s, sizeof p->s);
    return (int64_t)sizeof p->s;
}

static bool pic8259__chip_ok(const pic8259_chip *c, unsigned chip)
{
    return c->init_step <= 4 && c->lowest < 8 && c->read_isr <= 1 && c->poll <= 1 &&
           c->smm <= 1 && c->rotate_aeoi <= 1 && !(c->icw2 & 7) && !(c->icw4 & 0xe0) &&
           !(c->elcr & ~pic8259__elcr_mask[chip]) && (c->icw1 & PIC8259_ICW1 || !c->icw1) &&
           (c->init_step != 3 || !(c->icw1 & PIC8259_ICW1_SNGL)) &&
           (c->init_step != 4 || (c->icw1 & PIC8259_ICW1_IC4));
}

PIC8259_DEF int64_t pic8259_model_restore(void *m, const void *buf, size_t size)
{
    pic8259_model *p = (pic8259_model *)m;
    pic8259_state in;

    if (size != sizeof in)
        return -1;
    pic8259__copy(&in, buf, sizeof in);
    /* A saved state is input like any other: check every field with a range. */
    if (in.version != PIC8259_STATE_VERSION || !pic8259__chip_ok(&in.chip[0], 0) ||
        !pic8259__chip_ok(&in.chip[1], 1) || in.irq2_line > 1 || in.int_level > 1)
        return -1;
    p->s = in;
    p->s.int_level = pic8259__resolve(&p->s.chip[0], true) >= 0;
    if (p->hooks.output)
        p->hooks.output(p->hooks.ctx, p->s.int_level != 0);
    return (int64_t)sizeof in;
}

#endif /* PIC8259_IMPLEMENTATION */

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
