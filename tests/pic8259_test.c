/* pic8259_test.c - hdr/pic8259.h: the model of the cascaded pair driven
   through register sequences in its offset space, asserting IRR, ISR and
   IMR (read back through OCW3), the vectors INTA returns and the INT line
   the hook saw; the model contract (widths, offsets, reset, save and
   restore); then the driver run against the model through its access hook.

   Prints `ok NAME` or `FAIL NAME: why` per test; exits non-zero on failure.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A PIC8259_ASSERT that trips is a bug in the model: no guest input may
   reach one, so the run stops there. */
#define PIC8259_ASSERT(c) \
    ((c) ? (void)0 : (fprintf(stderr, "%s:%d: PIC8259_ASSERT(%s)\n", __FILE__, __LINE__, #c), abort()))
#define PIC8259_IMPLEMENTATION
#include "pic8259.h"

/* ---- harness: tests/check.h, plus per-test checks of the hooks ---- */

#include "check.h"

static int redundant; /* output hook calls that changed nothing */
static long test_fails_before; /* check_failed_ when the test began */
#define test_failed (check_failed_ != test_fails_before)

static void run_test(void (*fn)(void))
{
    test_fails_before = check_failed_;
    redundant = 0;
    fn();
    if (!CHECK_EQ(redundant, 0))
        printf("  the output hook was called without a change\n");
}

/* ---- the machine under test: a pair and a record of its INT line ---- */

static pic8259_model P;
static int line_level, line_changes;

/* The hook must hear changes only; a call repeating the level is counted
   and fails the test (restore, which reports the level, resets it). */
static void on_int(void *ctx, bool level)
{
    (void)ctx;
    if (level == (line_level != 0))
        redundant++;
    line_level = level;
    line_changes++;
}

static const pic8259_model_hooks H = { on_int, NULL };

/* The offset of chip 0 or 1 at address line `a0`, and of a chip's ELCR. */
static uint64_t at(unsigned chip, unsigned a0)
{
    return (chip ? PIC8259_MODEL_SLAVE : PIC8259_MODEL_MASTER) + a0;
}
static void wr(unsigned chip, unsigned a0, uint8_t v) { pic8259_model_write(&P, at(chip, a0), 1, v); }
static uint64_t rd(unsigned chip, unsigned a0) { return pic8259_model_read(&P, at(chip, a0), 1); }
static void elcr_wr(unsigned chip, uint8_t v) { pic8259_model_write(&P, PIC8259_MODEL_ELCR + chip, 1, v); }
static uint64_t elcr_rd(unsigned chip) { return pic8259_model_read(&P, PIC8259_MODEL_ELCR + chip, 1); }

static uint64_t irr(unsigned chip) { wr(chip, 0, PIC8259_OCW3_READ_IRR); return rd(chip, 0); }
static uint64_t isr(unsigned chip)
{
    uint64_t v;

    wr(chip, 0, PIC8259_OCW3_READ_ISR);
    v = rd(chip, 0);
    wr(chip, 0, PIC8259_OCW3_READ_IRR);
    return v;
}
static uint64_t imr(unsigned chip) { return rd(chip, 1); }

/* A fresh pair, set up as a PC BIOS does with vectors 0x20 and 0x28 and
   ICW4 `icw4` on both chips, nothing masked. */
static void setup(uint8_t icw4)
{
    pic8259_model_init(&P, &H);
    line_level = 0;
    line_changes = 0;
    wr(0, 0, 0x11); wr(0, 1, 0x20); wr(0, 1, 0x04); wr(0, 1, icw4);
    wr(1, 0, 0x11); wr(1, 1, 0x28); wr(1, 1, 0x02); wr(1, 1, icw4);
}

static void pulse(unsigned irq)
{
    pic8259_model_set_irq(&P, irq, true);
    pic8259_model_set_irq(&P, irq, false);
}

/* ---- init ---- */

static void test_power_on(void)
{
    pic8259_model_init(&P, &H);
    line_level = line_changes = 0;
    /* Before ICW1 nothing is programmed and nothing interrupts. */
    pic8259_model_set_irq(&P, 1, true);
    CHECK_EQ(line_changes, 0);
    CHECK(!pic8259_model_output(&P));
    CHECK_EQ(imr(0), 0xff);
    /* The probe Linux runs: IMR written before any ICW1 reads back. */
    wr(0, 1, 0xfb);
    CHECK_EQ(imr(0), 0xfb);
    wr(0, 1, 0xff);
    CHECK_EQ(imr(0), 0xff);
    CHECK_EQ(irr(0), 0x02);
    CHECK(!pic8259_model_output(&P));
    /* Past the six offsets: all-ones, and writes go nowhere. */
    CHECK_EQ(pic8259_model_read(&P, PIC8259_MODEL_SIZE, 1), 0xff);
    CHECK_EQ(pic8259_model_read(&P, PIC8259_MODEL_SIZE + 1, 1), 0xff);
    pic8259_model_write(&P, 14, 1, 0x11); /* ignored */
    CHECK_EQ(P.s.chip[0].init_step, 1);
    CHECK_EQ(P.s.chip[1].init_step, 1);
    CHECK_EQ(pic8259_model_read(&P, PIC8259_MODEL_ELCR + 2, 1), 0xff);
}

static void test_init_sequence(void)
{
    setup(PIC8259_ICW4_8086);
    CHECK_EQ(P.s.chip[0].icw2, 0x20);
    CHECK_EQ(P.s.chip[1].icw2, 0x28);
    CHECK_EQ(P.s.chip[0].icw3, 0x04);
    CHECK_EQ(P.s.chip[1].icw3, 0x02);
    CHECK_EQ(P.s.chip[0].init_step, 0);
    CHECK_EQ(imr(0), 0);
    CHECK_EQ(imr(1), 0);
    /* OCW1 after init is the mask. */
    wr(0, 1, 0xa5);
    CHECK_EQ(imr(0), 0xa5);
    /* ICW1 again clears IMR and ISR and restarts; ICW2's low bits drop. */
    pic8259_model_set_irq(&P, 0, true);
    CHECK_EQ(rd(0, 0), 0x01); /* a masked request still latches in IRR */
    CHECK_EQ(line_level, 0);
    wr(0, 1, 0);
    CHECK_EQ(pic8259_model_ack(&P), 0x20);
    CHECK_EQ(isr(0), 0x01);
    wr(0, 0, 0x11);
    CHECK_EQ(isr(0), 0);
    CHECK_EQ(P.s.chip[0].init_step, 2);
    wr(0, 1, 0x47);
    CHECK_EQ(P.s.chip[0].icw2, 0x40);
    wr(0, 1, 0x04);
    wr(0, 1, 0x01);
    CHECK_EQ(P.s.chip[0].init_step, 0);
    /* Without IC4 the sequence ends after ICW3, and ICW4 reads as zero. */
    wr(1, 0, 0x10);
    wr(1, 1, 0x70);
    wr(1, 1, 0x02);
    CHECK_EQ(P.s.chip[1].init_step, 0);
    CHECK_EQ(P.s.chip[1].icw4, 0);
    CHECK_EQ(imr(1), 0);
}

static void test_ocw_mid_init(void)
{
    setup(PIC8259_ICW4_8086);
    wr(0, 0, 0x11);
    /* OCW2 and OCW3 arriving mid-init are applied; the sequence waits. */
    wr(0, 0, PIC8259_OCW2_EOI);
    wr(0, 0, PIC8259_OCW3_READ_ISR);
    CHECK_EQ(P.s.chip[0].init_step, 2);
    CHECK_EQ(P.s.chip[0].read_isr, 1);
    /* No interrupt while the vector base is unknown. */
    pic8259_model_set_irq(&P, 3, true);
    CHECK(!pic8259_model_output(&P));
    wr(0, 1, 0x30);
    wr(0, 1, 0x04);
    CHECK_EQ(P.s.chip[0].init_step, 4);
    CHECK(!pic8259_model_output(&P));
    wr(0, 1, 0x01);
    CHECK_EQ(P.s.chip[0].init_step, 0);
    /* The request raised mid-init was a rising edge after ICW1: it counts. */
    CHECK(pic8259_model_output(&P));
    CHECK_EQ(pic8259_model_ack(&P), 0x33);
}

/* ---- sensing ---- */

static void test_edge_latch(void)
{
    setup(PIC8259_ICW4_8086);
    pic8259_model_set_irq(&P, 3, true);
    CHECK_EQ(irr(0), 0x08);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(line_changes, 1);
    /* Edge: the latch holds after the line falls. */
    pic8259_model_set_irq(&P, 3, false);
    CHECK_EQ(irr(0), 0x08);
    pic8259_model_set_irq(&P, 3, true);
    CHECK_EQ(pic8259_model_ack(&P), 0x23);
    CHECK_EQ(irr(0), 0);
    CHECK_EQ(isr(0), 0x08);
    CHECK_EQ(line_level, 0);
    wr(0, 0, PIC8259_OCW2_EOI);
    CHECK_EQ(isr(0), 0);
    /* Still high: no new edge, no new request. */
    pic8259_model_set_irq(&P, 3, true);
    CHECK_EQ(irr(0), 0);
    CHECK_EQ(line_level, 0);
    pic8259_model_set_irq(&P, 3, false);
    pic8259_model_set_irq(&P, 3, true);
    CHECK_EQ(irr(0), 0x08);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(line_changes, 3);
    /* ICW1 resets the edge detectors: a high line must rise again. */
    setup(PIC8259_ICW4_8086);
    pic8259_model_set_irq(&P, 5, true);
    CHECK_EQ(irr(0), 0x20);
    wr(0, 0, 0x11); wr(0, 1, 0x20); wr(0, 1, 0x04); wr(0, 1, 0x01);
    CHECK_EQ(irr(0), 0);
    pic8259_model_set_irq(&P, 5, false);
    pic8259_model_set_irq(&P, 5, true);
    CHECK_EQ(irr(0), 0x20);
}

static void test_level_ltim(void)
{
    pic8259_model_init(&P, &H);
    line_level = line_changes = 0;
    wr(0, 0, 0x19); wr(0, 1, 0x20); wr(0, 1, 0x04); wr(0, 1, 0x01);
    wr(1, 0, 0x11); wr(1, 1, 0x28); wr(1, 1, 0x02); wr(1, 1, 0x01);
    pic8259_model_set_irq(&P, 4, true);
    CHECK_EQ(irr(0), 0x10);
    pic8259_model_set_irq(&P, 4, false); /* level: IRR follows the line */
    CHECK_EQ(irr(0), 0);
    CHECK_EQ(line_level, 0);
    pic8259_model_set_irq(&P, 4, true);
    CHECK_EQ(pic8259_model_ack(&P), 0x24);
    CHECK_EQ(isr(0), 0x10);
    CHECK_EQ(irr(0), 0x10); /* still asserted */
    CHECK_EQ(line_level, 0); /* but in service */
    wr(0, 0, PIC8259_OCW2_EOI);
    CHECK_EQ(line_level, 1); /* the line is still high: again */
    pic8259_model_set_irq(&P, 4, false);
    CHECK_EQ(line_level, 0);
}

static void test_elcr(void)
{
    setup(PIC8259_ICW4_8086);
    /* Offset 4 is ELCR1 (IRQ 0-7), offset 5 ELCR2 (IRQ 8-15), one each. */
    elcr_wr(0, 0xff);
    CHECK_EQ(pic8259_model_read(&P, PIC8259_MODEL_ELCR, 1), 0xf8);
    CHECK_EQ(pic8259_model_read(&P, PIC8259_MODEL_ELCR + 1, 1), 0);
    elcr_wr(0, 0);
    elcr_wr(1, 0xff);
    CHECK_EQ(pic8259_model_read(&P, PIC8259_MODEL_ELCR, 1), 0);
    CHECK_EQ(pic8259_model_read(&P, PIC8259_MODEL_ELCR + 1, 1), 0xde);
    /* Bit by bit: IRQ 0, 1, 2, 8 and 13 cannot be level, and read 0. */
    for (unsigned bit = 0; bit < 8; bit++) {
        elcr_wr(0, (uint8_t)(1u << bit));
        elcr_wr(1, (uint8_t)(1u << bit));
        CHECK_EQ(elcr_rd(0), bit <= 2 ? 0 : 1u << bit);
        CHECK_EQ(elcr_rd(1), bit == 0 || bit == 5 ? 0 : 1u << bit);
    }
    elcr_wr(0, 0xff);
    elcr_wr(1, 0xff);
    CHECK_EQ(elcr_rd(0), 0xf8);
    CHECK_EQ(elcr_rd(1), 0xde);
    /* IRQ 11 is level now, IRQ 8 stays edge. */
    pic8259_model_set_irq(&P, 11, true);
    CHECK_EQ(irr(1), 0x08);
    pic8259_model_set_irq(&P, 11, false);
    CHECK_EQ(irr(1), 0);
    pulse(8);
    CHECK_EQ(irr(1), 0x01);
    /* Switching to level shows the line at once. */
    elcr_wr(0, 0);
    pic8259_model_set_irq(&P, 5, true);
    pic8259_model_set_irq(&P, 5, false);
    CHECK_EQ(irr(0) & 0x20, 0x20);
    elcr_wr(0, 0x20);
    CHECK_EQ(irr(0) & 0x20, 0);
}

/* ---- priorities ---- */

static void test_priority_nesting(void)
{
    setup(PIC8259_ICW4_8086);
    pulse(5);
    pulse(3);
    CHECK_EQ(irr(0), 0x28);
    CHECK_EQ(pic8259_model_ack(&P), 0x23);
    CHECK_EQ(line_level, 0); /* IRQ5 waits for IRQ3's EOI */
    pulse(1);               /* higher: nests */
    CHECK_EQ(line_level, 1);
    CHECK_EQ(pic8259_model_ack(&P), 0x21);
    CHECK_EQ(isr(0), 0x0a);
    wr(0, 0, PIC8259_OCW2_EOI); /* ends IRQ1, the highest */
    CHECK_EQ(isr(0), 0x08);
    CHECK_EQ(line_level, 0);
    wr(0, 0, PIC8259_OCW2_EOI);
    CHECK_EQ(isr(0), 0);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(pic8259_model_ack(&P), 0x25);
    /* Masking: a masked request stays in IRR but does not interrupt. */
    wr(0, 0, PIC8259_OCW2_EOI);
    wr(0, 1, 0x40);
    pulse(6);
    CHECK_EQ(irr(0), 0x40);
    CHECK_EQ(line_level, 0);
    wr(0, 1, 0);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(P.stats.delivered[5], 1);
    CHECK_EQ(P.stats.delivered[3], 1);
}

static void test_cascade(void)
{
    setup(PIC8259_ICW4_8086);
    pulse(12);
    CHECK_EQ(irr(1), 0x10);
    CHECK_EQ(irr(0), 0x04);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(pic8259_model_ack(&P), 0x2c);
    CHECK_EQ(isr(1), 0x10);
    CHECK_EQ(isr(0), 0x04);
    CHECK_EQ(irr(0), 0);
    CHECK_EQ(line_level, 0);
    /* Another slave IRQ, even of higher priority, waits for the master. */
    pulse(8);
    CHECK_EQ(line_level, 0);
    wr(1, 0, PIC8259_OCW2_EOI);
    wr(0, 0, PIC8259_OCW2_EOI);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(pic8259_model_ack(&P), 0x28);
    /* Masking IRQ2 on the master masks the whole slave. */
    wr(1, 0, PIC8259_OCW2_EOI);
    wr(0, 0, PIC8259_OCW2_EOI);
    wr(0, 1, 0x04);
    pulse(9);
    CHECK_EQ(line_level, 0);
    wr(0, 1, 0);
    CHECK_EQ(pic8259_model_ack(&P), 0x29);
    CHECK_EQ(P.stats.delivered[12], 1);
    CHECK_EQ(P.stats.delivered[2], 0);
    /* An external IRQ2 is not seen while cascaded. */
    wr(1, 0, PIC8259_OCW2_EOI);
    wr(0, 0, PIC8259_OCW2_EOI);
    pic8259_model_set_irq(&P, 2, true);
    CHECK_EQ(line_level, 0);
}

/* ---- OCW2 ---- */

static void test_ocw2_commands(void)
{
    setup(PIC8259_ICW4_8086);
    pulse(1); pulse(4); pulse(6);
    CHECK_EQ(pic8259_model_ack(&P), 0x21);
    wr(0, 1, 0x02); /* three levels in service at once: special mask mode */
    wr(0, 0, PIC8259_OCW3 | PIC8259_OCW3_ESMM | PIC8259_OCW3_SMM);
    CHECK_EQ(pic8259_model_ack(&P), 0x24);
    wr(0, 1, 0x12);
    CHECK_EQ(pic8259_model_ack(&P), 0x26);
    CHECK_EQ(isr(0), 0x52);
    wr(0, 0, PIC8259_OCW3 | PIC8259_OCW3_ESMM);
    wr(0, 1, 0);
    /* Specific EOI of the middle level. */
    wr(0, 0, PIC8259_OCW2_SEOI | 4);
    CHECK_EQ(isr(0), 0x42);
    /* Specific EOI of a level not in service changes nothing. */
    wr(0, 0, PIC8259_OCW2_SEOI | 3);
    CHECK_EQ(isr(0), 0x42);
    CHECK_EQ(P.stats.stray_eoi, 1);
    /* No-op. */
    wr(0, 0, PIC8259_OCW2_NOP | 1);
    CHECK_EQ(isr(0), 0x42);
    /* Non-specific ends the highest: IRQ1. */
    wr(0, 0, PIC8259_OCW2_EOI);
    CHECK_EQ(isr(0), 0x40);
    /* Rotate on specific EOI: IRQ6 ends and becomes lowest, 7 highest. */
    wr(0, 0, PIC8259_OCW2_ROT_SEOI | 6);
    CHECK_EQ(isr(0), 0);
    CHECK_EQ(P.s.chip[0].lowest, 6);
    pulse(0); pulse(7);
    CHECK_EQ(pic8259_model_ack(&P), 0x27);
    /* Rotate on non-specific EOI: IRQ7 goes last, IRQ0 first. */
    wr(0, 0, PIC8259_OCW2_ROT_EOI);
    CHECK_EQ(P.s.chip[0].lowest, 7);
    CHECK_EQ(pic8259_model_ack(&P), 0x20);
    wr(0, 0, PIC8259_OCW2_EOI);
    /* Set priority: IRQ3 lowest, so IRQ4 is the highest. */
    wr(0, 0, PIC8259_OCW2_SET_PRIO | 3);
    pulse(3); pulse(4); pulse(0);
    CHECK_EQ(pic8259_model_ack(&P), 0x24);
    CHECK_EQ(line_level, 0);         /* 4 in service outranks all */
    wr(0, 0, PIC8259_OCW2_EOI);
    CHECK_EQ(pic8259_model_ack(&P), 0x20); /* 0 outranks 3 now */
    pulse(5);                        /* 5 outranks 0: nests */
    CHECK_EQ(pic8259_model_ack(&P), 0x25);
    CHECK_EQ(isr(0), 0x21);
    wr(0, 0, PIC8259_OCW2_EOI);      /* the highest in service: 5 */
    CHECK_EQ(isr(0), 0x01);
    wr(0, 0, PIC8259_OCW2_EOI);
    CHECK_EQ(pic8259_model_ack(&P), 0x23);
}

static void test_rotation_round_robin(void)
{
    /* Equal-priority devices under rotate-on-EOI take turns. */
    setup(PIC8259_ICW4_8086);
    pulse(3); pulse(5);
    CHECK_EQ(pic8259_model_ack(&P), 0x23);
    pulse(3);
    wr(0, 0, PIC8259_OCW2_ROT_EOI);
    CHECK_EQ(pic8259_model_ack(&P), 0x25); /* 3 went last: 5 before it */
    wr(0, 0, PIC8259_OCW2_ROT_EOI);
    CHECK_EQ(pic8259_model_ack(&P), 0x23);
    wr(0, 0, PIC8259_OCW2_ROT_EOI);
}

static void test_eoi_underflow(void)
{
    setup(PIC8259_ICW4_8086);
    pulse(4);
    for (int i = 0; i < 100000; i++) {
        wr(0, 0, PIC8259_OCW2_EOI);
        wr(1, 0, PIC8259_OCW2_EOI);
        wr(0, 0, PIC8259_OCW2_ROT_EOI);
    }
    CHECK_EQ(isr(0), 0);
    CHECK_EQ(isr(1), 0);
    CHECK_EQ(irr(0), 0x10);
    CHECK_EQ(line_changes, 1); /* no storm: the line rose once */
    CHECK_EQ(P.stats.stray_eoi, 300000);
    CHECK_EQ(pic8259_model_ack(&P), 0x24);
    CHECK_EQ(P.stats.delivered[4], 1);
    /* Every byte at every offset, and two past them: nothing out of
       range, no assert. */
    for (unsigned v = 0; v < 256; v++)
        for (uint64_t o = 0; o < PIC8259_MODEL_SIZE + 2; o++) {
            pic8259_model_write(&P, o, 1, v);
            (void)pic8259_model_read(&P, o, 1);
            (void)pic8259_model_ack(&P);
        }
    for (unsigned irq = 0; irq < 40; irq++)
        pic8259_model_set_irq(&P, irq, irq & 1);
}

/* ---- AEOI, SFNM, special mask, poll ---- */

static void test_aeoi(void)
{
    setup(PIC8259_ICW4_8086 | PIC8259_ICW4_AEOI);
    pulse(3); pulse(5);
    CHECK_EQ(pic8259_model_ack(&P), 0x23);
    CHECK_EQ(isr(0), 0);         /* ended automatically */
    CHECK_EQ(line_level, 1);     /* so IRQ5 follows at once */
    CHECK_EQ(pic8259_model_ack(&P), 0x25);
    CHECK_EQ(line_level, 0);
    /* Rotate in AEOI: each acknowledged level goes last. */
    wr(0, 0, PIC8259_OCW2_ROT_AEOI_SET);
    pulse(3);
    CHECK_EQ(pic8259_model_ack(&P), 0x23);
    CHECK_EQ(P.s.chip[0].lowest, 3);
    pulse(1); pulse(4);
    CHECK_EQ(pic8259_model_ack(&P), 0x24); /* 4 outranks 1 now */
    CHECK_EQ(P.s.chip[0].lowest, 4);
    wr(0, 0, PIC8259_OCW2_ROT_AEOI_CLEAR);
    CHECK_EQ(pic8259_model_ack(&P), 0x21);
    CHECK_EQ(P.s.chip[0].lowest, 4);
    /* A slave in AEOI still asserting after INTA is not stranded. */
    pulse(9); pulse(10);
    CHECK_EQ(pic8259_model_ack(&P), 0x29);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(pic8259_model_ack(&P), 0x2a);
    CHECK_EQ(line_level, 0);
}

static void test_sfnm(void)
{
    /* Without SFNM a higher slave request waits for the master's EOI. */
    setup(PIC8259_ICW4_8086);
    pulse(11);
    CHECK_EQ(pic8259_model_ack(&P), 0x2b);
    pulse(9);
    CHECK_EQ(line_level, 0);
    /* With SFNM on the master it nests through the same input. */
    setup(PIC8259_ICW4_8086);
    wr(0, 0, 0x11); wr(0, 1, 0x20); wr(0, 1, 0x04);
    wr(0, 1, PIC8259_ICW4_8086 | PIC8259_ICW4_SFNM);
    pulse(11);
    CHECK_EQ(pic8259_model_ack(&P), 0x2b);
    CHECK_EQ(line_level, 0);
    pulse(12); /* lower than 11 on the slave: blocked there */
    CHECK_EQ(line_level, 0);
    pulse(9);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(pic8259_model_ack(&P), 0x29);
    CHECK_EQ(isr(1), 0x0a);
    CHECK_EQ(isr(0), 0x04);
    /* A lower master input is still blocked by IRQ2 in service. */
    pulse(5);
    CHECK_EQ(line_level, 0);
}

static void test_special_mask(void)
{
    setup(PIC8259_ICW4_8086);
    pulse(3);
    CHECK_EQ(pic8259_model_ack(&P), 0x23);
    pulse(6);
    CHECK_EQ(line_level, 0); /* nested mode: 6 waits behind 3 */
    /* The handler masks its own level and enters special mask mode. */
    wr(0, 1, 0x08);
    wr(0, 0, PIC8259_OCW3 | PIC8259_OCW3_ESMM | PIC8259_OCW3_SMM);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(pic8259_model_ack(&P), 0x26);
    CHECK_EQ(isr(0), 0x48);
    /* Non-specific EOI skips the masked level: it ends 6, not 3. */
    wr(0, 0, PIC8259_OCW2_EOI);
    CHECK_EQ(isr(0), 0x08);
    wr(0, 0, PIC8259_OCW3 | PIC8259_OCW3_ESMM);
    wr(0, 1, 0);
    pulse(6);
    CHECK_EQ(line_level, 0); /* normal again: 3 blocks 6 */
    /* OCW3 without ESMM leaves the mode alone. */
    wr(0, 0, PIC8259_OCW3 | PIC8259_OCW3_SMM);
    CHECK_EQ(P.s.chip[0].smm, 0);
}

static void test_poll(void)
{
    setup(PIC8259_ICW4_8086);
    wr(0, 1, 0xff); /* polled systems run with INT masked off anyway */
    wr(0, 1, 0);
    pulse(5);
    wr(0, 0, PIC8259_OCW3 | PIC8259_OCW3_P);
    CHECK_EQ(rd(0, 0), 0x85);
    CHECK_EQ(isr(0), 0x20);
    CHECK_EQ(irr(0), 0);
    /* One shot: the next read is IRR again. */
    CHECK_EQ(rd(0, 0), 0);
    wr(0, 0, PIC8259_OCW3 | PIC8259_OCW3_P);
    CHECK_EQ(rd(0, 1), 0); /* nothing may interrupt: bit 7 clear */
    CHECK_EQ(rd(0, 1), 0); /* and the poll is spent: IMR */
    /* Polling the slave. */
    pulse(14);
    wr(1, 0, PIC8259_OCW3 | PIC8259_OCW3_P);
    CHECK_EQ(rd(1, 0), 0x86);
    CHECK_EQ(isr(1), 0x40);
    CHECK_EQ(P.stats.delivered[14], 1);
    CHECK_EQ(P.stats.delivered[5], 1);
}

/* ---- spurious ---- */

static void test_spurious_irq7(void)
{
    setup(PIC8259_ICW4_8086);
    elcr_wr(0, 0x20);
    pic8259_model_set_irq(&P, 5, true);
    CHECK_EQ(line_level, 1);
    pic8259_model_set_irq(&P, 5, false); /* gone before INTA */
    CHECK_EQ(line_level, 0);
    CHECK_EQ(pic8259_model_ack(&P), 0x27);
    CHECK_EQ(isr(0), 0);
    CHECK_EQ(P.stats.spurious[0], 1);
    CHECK_EQ(P.stats.delivered[7], 0);
    /* Masking after INT rose does the same. */
    pulse(6);
    wr(0, 1, 0x40);
    CHECK_EQ(pic8259_model_ack(&P), 0x27);
    CHECK_EQ(isr(0), 0);
    CHECK_EQ(P.stats.spurious[0], 2);
}

static void test_spurious_irq15(void)
{
    setup(PIC8259_ICW4_8086);
    elcr_wr(1, 0x08); /* IRQ11 level */
    pic8259_model_set_irq(&P, 11, true);
    CHECK_EQ(irr(0), 0x04);
    CHECK_EQ(line_level, 1);
    pic8259_model_set_irq(&P, 11, false); /* the slave drops INT; the master's
                                       edge latch on IRQ2 holds */
    CHECK_EQ(irr(1), 0);
    CHECK_EQ(pic8259_model_ack(&P), 0x2f);
    CHECK_EQ(isr(1), 0);
    CHECK_EQ(isr(0), 0x04); /* the master's IRQ2 is in service */
    CHECK_EQ(P.stats.spurious[1], 1);
    CHECK_EQ(line_level, 0);
    /* While it stays in service, other master IRQs below 2 are held. */
    pulse(4);
    CHECK_EQ(line_level, 0);
    /* The handler's duty: EOI to the master only. */
    wr(0, 0, PIC8259_OCW2_EOI);
    CHECK_EQ(isr(0), 0);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(pic8259_model_ack(&P), 0x24);
}

/* ---- single mode ---- */

static void test_single_mode(void)
{
    pic8259_model_init(&P, &H);
    line_level = line_changes = 0;
    /* ICW1 with SNGL: ICW2 then straight to ICW4. */
    wr(0, 0, 0x13);
    wr(0, 1, 0x40);
    CHECK_EQ(P.s.chip[0].init_step, 4);
    wr(0, 1, 0x01);
    CHECK_EQ(P.s.chip[0].init_step, 0);
    CHECK_EQ(P.s.chip[0].icw3, 0);
    /* IRQ2 is a plain input with the master's own vector. */
    pic8259_model_set_irq(&P, 2, true);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(pic8259_model_ack(&P), 0x42);
    CHECK_EQ(isr(0), 0x04);
    CHECK_EQ(P.stats.delivered[2], 1);
    /* Without IC4: ICW2 ends the sequence. */
    wr(0, 0, 0x12);
    wr(0, 1, 0x50);
    CHECK_EQ(P.s.chip[0].init_step, 0);
    wr(0, 1, 0xfe);
    CHECK_EQ(imr(0), 0xfe);
    /* Cascade mode, but ICW3 names no slave on input 2: a plain input. */
    setup(PIC8259_ICW4_8086);
    wr(0, 0, 0x11); wr(0, 1, 0x20); wr(0, 1, 0x00); wr(0, 1, 0x01);
    pic8259_model_set_irq(&P, 2, false);
    pic8259_model_set_irq(&P, 2, true);
    pulse(9);
    CHECK_EQ(pic8259_model_ack(&P), 0x22);
    CHECK_EQ(isr(1), 0); /* the slave was not asked */
}

/* ---- save/restore ---- */

/* What the guest does after the snapshot: end, take, end, take, take. */
static uint32_t after_snapshot(void)
{
    uint32_t v;

    wr(1, 0, PIC8259_OCW2_EOI);
    wr(0, 0, PIC8259_OCW2_EOI);
    v = pic8259_model_ack(&P);                  /* IRQ11 is level and still high */
    pic8259_model_set_irq(&P, 11, false);
    wr(1, 0, PIC8259_OCW2_EOI);
    wr(0, 0, PIC8259_OCW2_EOI);
    v = v << 8 | pic8259_model_ack(&P);         /* then 12 through the cascade */
    wr(1, 0, PIC8259_OCW2_EOI);
    wr(0, 0, PIC8259_OCW2_EOI);
    return v << 8 | pic8259_model_ack(&P);      /* then 5 */
}

static void test_save_restore(void)
{
    pic8259_state st, bad;
    uint32_t v1, v2;

    setup(PIC8259_ICW4_8086);
    elcr_wr(1, 0x08);
    wr(0, 0, PIC8259_OCW2_SET_PRIO | 1);  /* IRQ2 highest */
    pulse(12); pulse(5);
    pic8259_model_set_irq(&P, 11, true);
    CHECK_EQ(pic8259_model_ack(&P), 0x2b);
    CHECK_EQ(pic8259_model_save(&P, &st, sizeof st), sizeof st);
    v1 = after_snapshot();
    CHECK_EQ(v1, 0x2b2c25);
    /* Restoring into a fresh pair continues identically. */
    pic8259_model_init(&P, &H);
    line_level = 0;
    line_changes = 0;
    CHECK_EQ(pic8259_model_restore(&P, &st, sizeof st), sizeof st);
    CHECK_EQ(line_changes, 1);
    CHECK_EQ(line_level, st.int_level);
    redundant = 0;
    CHECK(memcmp(&P.s, &st, sizeof st) == 0);
    v2 = after_snapshot();
    CHECK_EQ(v1, v2);
    /* Malformed states are refused and change nothing. */
    CHECK_EQ(pic8259_model_save(&P, &st, sizeof st), sizeof st);
    bad = st; bad.version = 99;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[0].lowest = 8;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[1].init_step = 5;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[0].elcr = 0x07;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[1].icw2 = 0x2b;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[0].poll = 2;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.int_level = 7;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    CHECK(memcmp(&P.s, &st, sizeof st) == 0);
}

/* ---- the model contract: widths, offsets, reset, save and restore ---- */

static void test_wide_access(void)
{
    static const unsigned widths[] = { 2, 4, 8 };
    static const uint64_t ones[] = { 0xffff, 0xffffffff, UINT64_MAX };
    static const uint64_t outside[] = { PIC8259_MODEL_SIZE, PIC8259_MODEL_SIZE + 1, 0x20, 0xa0,
                                        0x4d0, UINT64_MAX };
    pic8259_state before;
    pic8259_stats stats;
    int changes;

    /* A state that a decoded access would change: IRQ3 in service, IRQ1
       and IRQ9 pending, and a poll armed on both chips. */
    setup(PIC8259_ICW4_8086);
    elcr_wr(1, 0x08);
    pulse(3);
    CHECK_EQ(pic8259_model_ack(&P), 0x23);
    pulse(1);
    pulse(9);
    CHECK_EQ(line_level, 1);
    wr(0, 0, PIC8259_OCW3 | PIC8259_OCW3_P);
    wr(1, 0, PIC8259_OCW3 | PIC8259_OCW3_P);
    before = P.s;
    stats = P.stats;
    changes = line_changes;
    /* Every register is one byte: wider accesses anywhere read all-ones
       of their width and write nothing (ICW1, an EOI, a mask). */
    for (unsigned i = 0; i < 3; i++)
        for (uint64_t o = 0; o < PIC8259_MODEL_SIZE + 2; o++) {
            CHECK_EQ(pic8259_model_read(&P, o, widths[i]), ones[i]);
            pic8259_model_write(&P, o, widths[i], 0x11);
            pic8259_model_write(&P, o, widths[i], PIC8259_OCW2_EOI);
            pic8259_model_write(&P, o, widths[i], 0xff);
        }
    /* Byte accesses outside the six offsets: the same. */
    for (unsigned i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        CHECK_EQ(pic8259_model_read(&P, outside[i], 1), 0xff);
        pic8259_model_write(&P, outside[i], 1, 0x11);
        pic8259_model_write(&P, outside[i], 1, PIC8259_OCW2_EOI);
    }
    CHECK(memcmp(&P.s, &before, sizeof before) == 0);
    CHECK(memcmp(&P.stats, &stats, sizeof stats) == 0);
    CHECK_EQ(line_changes, changes);
    /* The polls are still armed: byte reads take them. */
    CHECK_EQ(rd(0, 0), 0x81);
    CHECK_EQ(rd(1, 0), 0x81);
    CHECK_EQ(isr(0), 0x0a);
    CHECK_EQ(isr(1), 0x02);
    /* A byte write uses the low byte of the value. */
    pic8259_model_write(&P, at(0, 1), 1, 0x1a5);
    CHECK_EQ(imr(0), 0xa5);
}

static void test_save_size(void)
{
    uint8_t buf[sizeof(pic8259_state) + 8];
    unsigned same = 0;

    setup(PIC8259_ICW4_8086);
    pulse(4);
    memset(buf, 0xa5, sizeof buf);
    CHECK_EQ(pic8259_model_save(&P, buf, sizeof(pic8259_state) - 1), -1);
    CHECK_EQ(pic8259_model_save(&P, buf, 0), -1);
    for (unsigned i = 0; i < sizeof buf; i++)
        same += buf[i] == 0xa5;
    CHECK_EQ(same, sizeof buf); /* nothing written */
    /* A larger buffer holds it; the bytes past the state stay. */
    CHECK_EQ(pic8259_model_save(&P, buf + 1, sizeof buf - 1), sizeof(pic8259_state));
    CHECK(memcmp(buf + 1, &P.s, sizeof P.s) == 0);
    CHECK_EQ(buf[0], 0xa5);
    CHECK_EQ(buf[1 + sizeof(pic8259_state)], 0xa5);
}

static void test_restore_refused(void)
{
    pic8259_state st, bad, now;
    uint8_t raw[sizeof st + 1];
    int changes;

    setup(PIC8259_ICW4_8086);
    pulse(4);
    CHECK_EQ(pic8259_model_save(&P, &st, sizeof st), sizeof st);
    pulse(6);
    now = P.s;
    changes = line_changes;
    memset(raw, 0, sizeof raw);
    memcpy(raw, &st, sizeof st);
    /* The wrong size, either way. */
    CHECK_EQ(pic8259_model_restore(&P, &st, sizeof st - 1), -1);
    CHECK_EQ(pic8259_model_restore(&P, raw, sizeof raw), -1);
    CHECK_EQ(pic8259_model_restore(&P, &st, 0), -1);
    /* Fields out of their range (the save_restore test has the others). */
    bad = st; bad.chip[0].icw1 = 0x01;          /* not an ICW1 */
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[0].icw1 = 0x13; bad.chip[0].init_step = 3; /* ICW3 in single mode */
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[1].icw1 = 0x10; bad.chip[1].init_step = 4; /* ICW4 not asked for */
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[1].icw4 = 0x20;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[1].elcr = 0x01;          /* IRQ8 cannot be level */
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[0].smm = 2;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[1].rotate_aeoi = 2;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.chip[0].read_isr = 2;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    bad = st; bad.irq2_line = 2;
    CHECK_EQ(pic8259_model_restore(&P, &bad, sizeof bad), -1);
    CHECK(memcmp(&P.s, &now, sizeof now) == 0);
    CHECK_EQ(line_changes, changes); /* and the hook heard nothing */
    /* The right size from an unaligned buffer is taken. */
    memmove(raw + 1, raw, sizeof st);
    CHECK_EQ(pic8259_model_restore(&P, raw + 1, sizeof st), sizeof st);
    CHECK(memcmp(&P.s, &st, sizeof st) == 0);
    redundant = 0; /* restore reports the level even when it is the same */
}

static void test_restore_output(void)
{
    static pic8259_model quiet;
    pic8259_state lo, hi, odd;

    setup(PIC8259_ICW4_8086);
    CHECK_EQ(pic8259_model_save(&P, &lo, sizeof lo), sizeof lo);
    pulse(4);
    CHECK_EQ(pic8259_model_save(&P, &hi, sizeof hi), sizeof hi);
    CHECK_EQ(hi.int_level, 1);
    /* The hook hears the restored level: up, down, and down again. */
    CHECK_EQ(pic8259_model_restore(&P, &lo, sizeof lo), sizeof lo);
    CHECK_EQ(line_level, 0);
    CHECK_EQ(line_changes, 2);
    CHECK_EQ(pic8259_model_restore(&P, &hi, sizeof hi), sizeof hi);
    CHECK_EQ(line_level, 1);
    CHECK(pic8259_model_output(&P));
    CHECK_EQ(line_changes, 3);
    CHECK_EQ(pic8259_model_restore(&P, &lo, sizeof lo), sizeof lo);
    CHECK_EQ(pic8259_model_restore(&P, &lo, sizeof lo), sizeof lo);
    CHECK_EQ(line_level, 0);
    CHECK_EQ(line_changes, 5);
    /* The level comes from the registers, not from the saved int_level. */
    odd = hi;
    odd.int_level = 0;
    CHECK_EQ(pic8259_model_restore(&P, &odd, sizeof odd), sizeof odd);
    CHECK_EQ(line_level, 1);
    CHECK(pic8259_model_output(&P));
    CHECK_EQ(pic8259_model_ack(&P), 0x24);
    /* Without hooks restore works the same. */
    pic8259_model_init(&quiet, NULL);
    CHECK_EQ(pic8259_model_restore(&quiet, &hi, sizeof hi), sizeof hi);
    CHECK(pic8259_model_output(&quiet));
    redundant = 0; /* the repeated reports above are the contract */
}

static void test_reset(void)
{
    static pic8259_model fresh;
    const pic8259_model_hooks hooks = { on_int, &fresh };
    pic8259_stats stats;
    int changes;

    pic8259_model_init(&P, &hooks);
    line_level = line_changes = 0;
    wr(0, 0, 0x11); wr(0, 1, 0x20); wr(0, 1, 0x04); wr(0, 1, 0x01);
    wr(1, 0, 0x11); wr(1, 1, 0x28); wr(1, 1, 0x02); wr(1, 1, 0x01);
    elcr_wr(1, 0x08);
    pulse(4);
    CHECK_EQ(pic8259_model_ack(&P), 0x24);
    wr(0, 0, PIC8259_OCW2_EOI);
    wr(0, 0, PIC8259_OCW2_EOI);
    wr(0, 0, PIC8259_OCW2_EOI);
    pulse(6);
    CHECK_EQ(line_level, 1);
    stats = P.stats;
    CHECK_EQ(stats.delivered[4], 1);
    CHECK_EQ(stats.stray_eoi, 2);
    changes = line_changes;
    pic8259_model_reset(&P);
    /* INT falls, and the hook hears it once. */
    CHECK_EQ(line_level, 0);
    CHECK_EQ(line_changes, changes + 1);
    CHECK(!pic8259_model_output(&P));
    /* Hooks and counters stay; the state is the power-on one. */
    CHECK(P.hooks.output == on_int);
    CHECK(P.hooks.ctx == &fresh);
    CHECK(memcmp(&P.stats, &stats, sizeof stats) == 0);
    pic8259_model_init(&fresh, NULL);
    CHECK(memcmp(&P.s, &fresh.s, sizeof fresh.s) == 0);
    CHECK_EQ(elcr_rd(1), 0);
    CHECK_EQ(imr(0), 0xff);
    /* A reset with INT low calls nothing. */
    pic8259_model_reset(&P);
    CHECK_EQ(line_changes, changes + 1);
    /* A line held high through reset is the wire's: LTIM sees it. */
    pic8259_model_set_irq(&P, 5, true);
    pic8259_model_reset(&P);
    wr(0, 0, 0x19); wr(0, 1, 0x20); wr(0, 1, 0x04); wr(0, 1, 0x01);
    CHECK_EQ(irr(0), 0x20);
    CHECK_EQ(line_level, 1);
}

static void test_stats_not_saved(void)
{
    static pic8259_model Q;
    uint8_t a[sizeof(pic8259_state)], b[sizeof(pic8259_state)];

    /* Two pairs in the same state, with different histories of stray EOIs
       and spurious acknowledges. */
    setup(PIC8259_ICW4_8086);
    pic8259_model_init(&Q, NULL);
    pic8259_model_write(&Q, 0, 1, 0x11); pic8259_model_write(&Q, 1, 1, 0x20);
    pic8259_model_write(&Q, 1, 1, 0x04); pic8259_model_write(&Q, 1, 1, 0x01);
    pic8259_model_write(&Q, 2, 1, 0x11); pic8259_model_write(&Q, 3, 1, 0x28);
    pic8259_model_write(&Q, 3, 1, 0x02); pic8259_model_write(&Q, 3, 1, 0x01);
    for (int i = 0; i < 1000; i++)
        wr(0, 0, PIC8259_OCW2_EOI);
    CHECK_EQ(pic8259_model_ack(&P), 0x27);
    CHECK_EQ(P.stats.stray_eoi, 1000);
    CHECK_EQ(P.stats.spurious[0], 1);
    CHECK_EQ(Q.stats.stray_eoi, 0);
    CHECK_EQ(pic8259_model_save(&P, a, sizeof a), sizeof a);
    CHECK_EQ(pic8259_model_save(&Q, b, sizeof b), sizeof b);
    CHECK(memcmp(a, b, sizeof a) == 0);
}

/* ---- a random guest: every reachable state is one restore accepts ---- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void test_random_guest(void)
{
    static pic8259_model copy;
    pic8259_state st;
    uint64_t seed = 8259;

    setup(PIC8259_ICW4_8086);
    for (int i = 0; i < 200000 && !test_failed; i++) {
        uint64_t r = rng_next(&seed);
        unsigned op = r & 7, chip = (r >> 3) & 1, a0 = (r >> 4) & 1;
        uint8_t v = (uint8_t)(r >> 8);

        if (op <= 2)
            wr(chip, a0, v);
        else if (op == 3)
            (void)rd(chip, a0);
        else if (op <= 5)
            pic8259_model_set_irq(&P, v & 15, (v >> 4) & 1);
        else if (op == 6)
            (void)pic8259_model_ack(&P);
        else
            elcr_wr(chip, v);
        CHECK_EQ(line_level, pic8259_model_output(&P));
        CHECK_EQ(pic8259_model_save(&P, &st, sizeof st), sizeof st);
        pic8259_model_init(&copy, NULL);
        CHECK_EQ(pic8259_model_restore(&copy, &st, sizeof st), sizeof st);
        CHECK_EQ(copy.s.int_level, st.int_level);
    }
}

/* ---- the driver against the model ---- */

static unsigned hook_calls;
static unsigned hook_bad; /* accesses to a chip or A0 that does not exist */
static uint8_t drv_read(void *ctx, unsigned chip, unsigned a0)
{
    hook_calls++;
    hook_bad += chip > 1 || a0 > 1;
    return (uint8_t)pic8259_model_read(ctx, at(chip, a0), 1);
}
static void drv_write(void *ctx, unsigned chip, unsigned a0, uint8_t v)
{
    hook_calls++;
    hook_bad += chip > 1 || a0 > 1;
    pic8259_model_write(ctx, at(chip, a0), 1, v);
}

static void test_driver(void)
{
    pic8259_drv d = { drv_read, drv_write, &P };

    pic8259_model_init(&P, &H);
    line_level = line_changes = 0;
    pic8259_drv_remap(&d, 0x30, 0x38);
    CHECK(hook_calls > 0);
    CHECK_EQ(imr(0), 0xff);
    CHECK_EQ(imr(1), 0xff);
    CHECK_EQ(P.s.chip[0].icw2, 0x30);
    CHECK_EQ(P.s.chip[1].icw2, 0x38);
    pulse(4);
    CHECK_EQ(line_level, 0);
    pic8259_drv_unmask(&d, 4);
    CHECK_EQ(imr(0), 0xef);
    CHECK_EQ(line_level, 1);
    CHECK_EQ(pic8259_model_ack(&P), 0x34);
    CHECK(!pic8259_drv_is_spurious(&d, 4));
    CHECK_EQ(pic8259_drv_read_isr(&d), 0x0010);
    pic8259_drv_eoi(&d, 4);
    CHECK_EQ(pic8259_drv_read_isr(&d), 0);
    /* A slave IRQ: unmasking it opens the cascade too. */
    pic8259_drv_unmask(&d, 13);
    CHECK_EQ(imr(1), 0xdf);
    CHECK_EQ(imr(0), 0xeb);
    pulse(13);
    CHECK_EQ(pic8259_drv_read_irr(&d), 0x2004);
    CHECK_EQ(pic8259_model_ack(&P), 0x3d);
    CHECK_EQ(pic8259_drv_read_isr(&d), 0x2004);
    pic8259_drv_eoi(&d, 13);
    CHECK_EQ(pic8259_drv_read_isr(&d), 0);
    pic8259_drv_mask(&d, 13);
    CHECK_EQ(imr(1), 0xff);
    pic8259_drv_mask(&d, 99);
    pic8259_drv_unmask(&d, 99);
    pic8259_drv_eoi(&d, 99);
    /* Spurious IRQ7: nothing in service, nothing to EOI. */
    pic8259_drv_unmask(&d, 6);
    pulse(6);
    pic8259_drv_mask(&d, 6);
    CHECK_EQ(pic8259_model_ack(&P), 0x37);
    CHECK(pic8259_drv_is_spurious(&d, 7));
    CHECK_EQ(pic8259_drv_read_isr(&d), 0);
    /* A real IRQ7 is not spurious. */
    pic8259_drv_unmask(&d, 7);
    pulse(7);
    CHECK_EQ(pic8259_model_ack(&P), 0x37);
    CHECK(!pic8259_drv_is_spurious(&d, 7));
    pic8259_drv_eoi(&d, 7);
    /* Spurious IRQ15: the driver ends the master's IRQ2 and nothing else. */
    elcr_wr(1, 0x08);
    pic8259_drv_unmask(&d, 11);
    pic8259_model_set_irq(&P, 11, true);
    pic8259_model_set_irq(&P, 11, false);
    CHECK_EQ(pic8259_model_ack(&P), 0x3f);
    CHECK_EQ(pic8259_drv_read_isr(&d), 0x0004);
    CHECK(pic8259_drv_is_spurious(&d, 15));
    CHECK_EQ(pic8259_drv_read_isr(&d), 0);
    CHECK_EQ(line_level, 0);
    /* A real IRQ15 is not spurious and its ISR bits stay for the EOI. */
    pic8259_drv_unmask(&d, 15);
    pulse(15);
    CHECK_EQ(pic8259_model_ack(&P), 0x3f);
    CHECK(!pic8259_drv_is_spurious(&d, 15));
    CHECK_EQ(pic8259_drv_read_isr(&d), 0x8004);
    pic8259_drv_eoi(&d, 15);
    CHECK_EQ(pic8259_drv_read_isr(&d), 0);
    CHECK(!pic8259_drv_is_spurious(&d, 3));
    CHECK_EQ(P.s.chip[0].read_isr, 0);
    CHECK_EQ(hook_bad, 0);
}

/* Each test runs through run_test(). */
static void run_power_on(void) { run_test(test_power_on); }
static void run_init_sequence(void) { run_test(test_init_sequence); }
static void run_ocw_mid_init(void) { run_test(test_ocw_mid_init); }
static void run_edge_latch(void) { run_test(test_edge_latch); }
static void run_level_ltim(void) { run_test(test_level_ltim); }
static void run_elcr(void) { run_test(test_elcr); }
static void run_priority_nesting(void) { run_test(test_priority_nesting); }
static void run_cascade(void) { run_test(test_cascade); }
static void run_ocw2_commands(void) { run_test(test_ocw2_commands); }
static void run_rotation_round_robin(void) { run_test(test_rotation_round_robin); }
static void run_eoi_underflow(void) { run_test(test_eoi_underflow); }
static void run_aeoi(void) { run_test(test_aeoi); }
static void run_sfnm(void) { run_test(test_sfnm); }
static void run_special_mask(void) { run_test(test_special_mask); }
static void run_poll(void) { run_test(test_poll); }
static void run_spurious_irq7(void) { run_test(test_spurious_irq7); }
static void run_spurious_irq15(void) { run_test(test_spurious_irq15); }
static void run_single_mode(void) { run_test(test_single_mode); }
static void run_save_restore(void) { run_test(test_save_restore); }
static void run_random_guest(void) { run_test(test_random_guest); }
static void run_driver(void) { run_test(test_driver); }
static void run_wide_access(void) { run_test(test_wide_access); }
static void run_save_size(void) { run_test(test_save_size); }
static void run_restore_refused(void) { run_test(test_restore_refused); }
static void run_restore_output(void) { run_test(test_restore_output); }
static void run_reset(void) { run_test(test_reset); }
static void run_stats_not_saved(void) { run_test(test_stats_not_saved); }

CHECK_MAIN(
    { "power_on", run_power_on },
    { "init_sequence", run_init_sequence },
    { "ocw_mid_init", run_ocw_mid_init },
    { "edge_latch", run_edge_latch },
    { "level_ltim", run_level_ltim },
    { "elcr", run_elcr },
    { "priority_nesting", run_priority_nesting },
    { "cascade", run_cascade },
    { "ocw2_commands", run_ocw2_commands },
    { "rotation_round_robin", run_rotation_round_robin },
    { "eoi_underflow", run_eoi_underflow },
    { "aeoi", run_aeoi },
    { "sfnm", run_sfnm },
    { "special_mask", run_special_mask },
    { "poll", run_poll },
    { "spurious_irq7", run_spurious_irq7 },
    { "spurious_irq15", run_spurious_irq15 },
    { "single_mode", run_single_mode },
    { "save_restore", run_save_restore },
    { "random_guest", run_random_guest },
    { "driver", run_driver },
    { "wide_access", run_wide_access },
    { "save_size", run_save_size },
    { "restore_refused", run_restore_refused },
    { "restore_output", run_restore_output },
    { "reset", run_reset },
    { "stats_not_saved", run_stats_not_saved })
