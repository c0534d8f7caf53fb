/* uart16550_test.c - white-box tests of the 16550A model and driver.

   The model is driven through register sequences, as a guest would drive
   it, and checked on its registers, IIR, LSR and on every call of its irq
   hook (logged in a hooklog). The driver runs against the model through
   access hooks, and against doubles of broken hardware: a floating bus, a
   scratch register that holds nothing, a transmitter that never empties.
   The model's internal invariants are checked on every step: its
   UART16550_ASSERT aborts here, and counts how often it ran. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long asserts_run; /* UART16550_ASSERT evaluations */

static void assert_failed(const char *cond, const char *file, int line)
{
    printf("%s:%d: UART16550_ASSERT(%s) failed\n", file, line, cond);
    abort();
}

#define UART16550_ASSERT(c) \
    (asserts_run++, (c) ? (void)0 : assert_failed(#c, __FILE__, __LINE__))
#define UART16550_STATIC
#define UART16550_IMPLEMENTATION
#include "uart16550.h"

#include "check.h"

/* Short names for the registers and bits used everywhere below. */
enum {
    RBR = UART16550_RBR, THR = UART16550_THR, DLL = UART16550_DLL, DLM = UART16550_DLM,
    IER = UART16550_IER, IIR = UART16550_IIR, FCR = UART16550_FCR, LCR = UART16550_LCR,
    MCR = UART16550_MCR, LSR = UART16550_LSR, MSR = UART16550_MSR, SCR = UART16550_SCR,
    DR = UART16550_LSR_DR, OE = UART16550_LSR_OE, IDLE = 0x60, /* THRE|TEMT */
    DLAB = UART16550_LCR_DLAB,
    DTR = UART16550_MCR_DTR, RTS = UART16550_MCR_RTS, OUT1 = UART16550_MCR_OUT1,
    OUT2 = UART16550_MCR_OUT2, LOOP = UART16550_MCR_LOOP,
    ERBFI = UART16550_IER_ERBFI, ETBEI = UART16550_IER_ETBEI,
    ELSI = UART16550_IER_ELSI, EDSSI = UART16550_IER_EDSSI,
    FIFO = UART16550_FCR_ENABLE, CLR_RX = UART16550_FCR_CLR_RX,
    CTS = UART16550_MSR_CTS, DSR = UART16550_MSR_DSR, RI = UART16550_MSR_RI,
    DCD = UART16550_MSR_DCD,
};

/* ---- the model's hooks, logged ---- */

enum { LOG_MAX = 64 };

typedef struct hooklog {
    unsigned ntx;        /* tx hook calls */
    uint8_t tx[LOG_MAX]; /* the first LOG_MAX bytes transmitted */
    unsigned nirq;       /* irq hook calls */
    bool irq[LOG_MAX];   /* the first LOG_MAX levels reported */
    bool level;          /* the last level reported */
    unsigned nroom;      /* rx_room hook calls */
    unsigned room_space; /* uart16550_model_rx_space() seen by the last one */
    uart16550_model *m;  /* the model, for on_rx_room; NULL: not looked at */
} hooklog;

static void on_tx(void *ctx, uint8_t byte)
{
    hooklog *l = ctx;

    if (l->ntx < LOG_MAX)
        l->tx[l->ntx] = byte;
    l->ntx++;
}

static void on_irq(void *ctx, bool level)
{
    hooklog *l = ctx;

    if (l->nirq < LOG_MAX)
        l->irq[l->nirq] = level;
    l->nirq++;
    l->level = level;
}

static void on_rx_room(void *ctx)
{
    hooklog *l = ctx;

    l->nroom++;
    if (l->m)
        l->room_space = uart16550_model_rx_space(l->m);
}

/* A freshly reset model whose hooks log into `l`. */
static void setup(uart16550_model *m, hooklog *l)
{
    uart16550_model_hooks h = { on_tx, on_irq, on_rx_room, l };

    memset(l, 0, sizeof *l);
    l->m = m;
    memset(m, 0xa5, sizeof *m); /* init must not depend on zeroed memory */
    uart16550_model_init(m, &h);
}

/* One-byte accesses, as every guest access to a 16550 register is. */
static uint8_t rd(uart16550_model *m, uint64_t reg)
{
    return (uint8_t)uart16550_model_read(m, reg, 1);
}
static void wr(uart16550_model *m, uint64_t reg, uint8_t v) { uart16550_model_write(m, reg, 1, v); }

/* Save into a state struct; the size must be the struct's. */
static bool save(uart16550_model *m, uart16550_state *out)
{
    return uart16550_model_save(m, out, sizeof *out) == (int64_t)sizeof *out;
}

/* Restore from a state struct: true if accepted, with the bytes used. */
static bool restore(uart16550_model *m, const uart16550_state *in)
{
    int64_t n = uart16550_model_restore(m, in, sizeof *in);

    CHECK(n == -1 || n == (int64_t)sizeof *in);
    return n == (int64_t)sizeof *in;
}

/* Field by field: struct copies need not copy padding, so no memcmp. */
static bool state_eq(const uart16550_state *a, const uart16550_state *b)
{
    return a->version == b->version && a->ier == b->ier && a->lcr == b->lcr &&
           a->mcr == b->mcr && a->lsr == b->lsr && a->msr == b->msr && a->scr == b->scr &&
           a->dll == b->dll && a->dlm == b->dlm && a->fcr == b->fcr &&
           a->modem_in == b->modem_in && memcmp(a->rx, b->rx, sizeof a->rx) == 0 &&
           a->rx_head == b->rx_head && a->rx_count == b->rx_count &&
           a->thre_pending == b->thre_pending && a->irq_level == b->irq_level;
}

/* ---- model: registers ---- */

TEST(reset_values)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    CHECK_EQ(rd(&m, LSR), 0x60);
    CHECK_EQ(rd(&m, IIR), 0x01);
    CHECK_EQ(rd(&m, IER), 0);
    CHECK_EQ(rd(&m, MCR), 0);
    CHECK_EQ(rd(&m, LCR), 0);
    CHECK_EQ(rd(&m, SCR), 0);
    CHECK_EQ(rd(&m, MSR), CTS | DSR | DCD); /* default inputs, no deltas */
    CHECK_EQ(rd(&m, RBR), 0);               /* empty: stable 0 */
    CHECK(m.cfg.out2_gates_irq);
    CHECK_EQ(m.s.irq_level, 0);
    CHECK_EQ(l.nirq, 0);
    CHECK_EQ(l.ntx, 0);
    CHECK_EQ(uart16550_model_rx_space(&m), 1); /* FIFOs off: one byte */
    wr(&m, FCR, FIFO);
    CHECK_EQ(rd(&m, IIR), 0xc1);
    CHECK_EQ(uart16550_model_rx_space(&m), 16);
    CHECK_EQ(l.nirq, 0);
}

/* Reset is power-on for the state only: the board's hooks and wiring stay. */
TEST(reset)
{
    uart16550_model m, fresh;
    hooklog l, lf;

    setup(&fresh, &lf);
    setup(&m, &l);
    m.cfg.out2_gates_irq = false;
    wr(&m, LCR, DLAB);
    wr(&m, DLL, 0x0c);
    wr(&m, DLM, 0x01);
    wr(&m, LCR, 0x1b);
    wr(&m, FCR, FIFO | 0x80);
    wr(&m, SCR, 0x99);
    wr(&m, MCR, DTR | RTS | OUT1);
    for (unsigned i = 0; i < 16; i++)
        uart16550_model_receive(&m, (uint8_t)i);
    uart16550_model_receive(&m, 0xee); /* overrun: LSR.OE */
    uart16550_model_set_modem(&m, RI);
    wr(&m, IER, 0x0f);
    CHECK(l.level);
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    l.nirq = l.nroom = 0;

    uart16550_model_reset(&m);
    CHECK(state_eq(&m.s, &fresh.s)); /* every field as after init */
    CHECK_EQ(l.nirq, 1);             /* the line dropped... */
    CHECK(!l.level);
    CHECK_EQ(l.nroom, 1);            /* ...and the receiver has room */
    CHECK_EQ(l.room_space, 1);
    CHECK(!m.cfg.out2_gates_irq);    /* cfg kept */
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK_EQ(rd(&m, IIR), 0x01);
    CHECK_EQ(rd(&m, IER), 0);
    CHECK_EQ(rd(&m, LCR), 0);
    CHECK_EQ(rd(&m, MCR), 0);
    CHECK_EQ(rd(&m, SCR), 0);
    CHECK_EQ(rd(&m, MSR), CTS | DSR | DCD);
    wr(&m, LCR, DLAB);
    CHECK_EQ(rd(&m, DLL), 0);
    CHECK_EQ(rd(&m, DLM), 0);
    wr(&m, LCR, 0);
    wr(&m, THR, 't');                /* hooks kept */
    CHECK_EQ(l.ntx, 1);
    CHECK_EQ(l.tx[0], 't');
    wr(&m, IER, ETBEI);              /* ungated, as configured: up at once */
    CHECK_EQ(l.nirq, 2);
    CHECK(l.level);

    /* From a quiet state a reset says nothing. */
    setup(&m, &l);
    wr(&m, FCR, FIFO);
    uart16550_model_receive(&m, 'q');
    uart16550_model_reset(&m);
    CHECK(state_eq(&m.s, &fresh.s));
    CHECK_EQ(l.nirq, 0);
    CHECK_EQ(l.nroom, 0);
    CHECK(m.cfg.out2_gates_irq);
    CHECK_EQ(lf.nirq + lf.ntx + lf.nroom, 0); /* init calls no hook */
}

TEST(null_hooks)
{
    uart16550_model m;

    memset(&m, 0xa5, sizeof m);
    uart16550_model_init(&m, NULL);
    wr(&m, MCR, OUT2);
    wr(&m, IER, ETBEI | ERBFI);
    wr(&m, THR, 'x');
    CHECK(m.s.irq_level);
    CHECK(uart16550_model_receive(&m, 'y'));
    CHECK_EQ(rd(&m, IIR), 0x04);
    CHECK_EQ(rd(&m, RBR), 'y');
    CHECK_EQ(rd(&m, IIR), 0x02);
    CHECK(!m.s.irq_level);
    CHECK(uart16550_model_receive(&m, 'z')); /* FIFOs off: now full */
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    CHECK_EQ(rd(&m, RBR), 'z');               /* room again, no rx_room hook */
    CHECK_EQ(uart16550_model_rx_space(&m), 1);
    uart16550_model_reset(&m);
    CHECK(!m.s.irq_level);
}

TEST(divisor_latch)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, IER, ERBFI);
    CHECK(uart16550_model_receive(&m, 'r'));
    wr(&m, LCR, DLAB | 0x03);
    CHECK_EQ(rd(&m, LCR), 0x83);
    wr(&m, DLL, 0x34);
    wr(&m, DLM, 0x12);
    CHECK_EQ(rd(&m, DLL), 0x34);
    CHECK_EQ(rd(&m, DLM), 0x12);
    CHECK_EQ(m.s.dll, 0x34);
    CHECK_EQ(m.s.dlm, 0x12);
    CHECK_EQ(l.ntx, 0);             /* DLL write is not a transmit */
    CHECK_EQ(m.s.ier, ERBFI);       /* DLM write is not an IER write */
    CHECK_EQ(m.s.rx_count, 1);      /* DLL read popped nothing */
    CHECK_EQ(rd(&m, LSR), IDLE | DR);
    wr(&m, LCR, 0x03);
    CHECK_EQ(rd(&m, IER), ERBFI);
    CHECK_EQ(rd(&m, RBR), 'r');
    wr(&m, IER, 0);
    wr(&m, THR, 'x');
    CHECK_EQ(m.s.dll, 0x34);
    CHECK_EQ(m.s.dlm, 0x12);
    CHECK_EQ(m.s.ier, 0);
    CHECK_EQ(l.ntx, 1);
    CHECK_EQ(l.tx[0], 'x');
    wr(&m, IER, 0xff);
    CHECK_EQ(rd(&m, IER), 0x0f); /* bits 7:4 are always 0 on the 16550A */
}

TEST(scratch)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    for (unsigned v = 0; v < 256; v++) {
        wr(&m, SCR, (uint8_t)v);
        CHECK_EQ(rd(&m, SCR), v);
    }
    wr(&m, LCR, DLAB); /* SCR does not depend on DLAB */
    wr(&m, SCR, 0x42);
    CHECK_EQ(rd(&m, SCR), 0x42);
    CHECK_EQ(l.ntx, 0);
    CHECK_EQ(l.nirq, 0);
}

TEST(transmit)
{
    uart16550_model m;
    hooklog l;
    const char *msg = "Hi!\n";

    setup(&m, &l);
    for (unsigned i = 0; msg[i]; i++) {
        wr(&m, THR, (uint8_t)msg[i]);
        CHECK_EQ(rd(&m, LSR), IDLE);
    }
    CHECK_EQ(l.ntx, 4);
    CHECK(memcmp(l.tx, msg, 4) == 0);
    CHECK_EQ(rd(&m, IIR), 0x01); /* THRE not enabled: nothing pending */
    CHECK_EQ(l.nirq, 0);
}

/* book/security.md (16550): IER.THRE set while THR is empty raises THRE at once. */
TEST(thre_interrupt)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, MCR, OUT2);
    CHECK_EQ(l.nirq, 0);
    wr(&m, IER, ETBEI);
    CHECK_EQ(l.nirq, 1);
    CHECK(l.level);
    CHECK_EQ(rd(&m, IIR), 0x02); /* reading it acknowledges it */
    CHECK_EQ(l.nirq, 2);
    CHECK(!l.level);
    CHECK_EQ(rd(&m, IIR), 0x01);
    CHECK_EQ(l.nirq, 2);
    wr(&m, THR, 'a'); /* THR empties again: latched again */
    CHECK_EQ(l.nirq, 3);
    CHECK(l.level);
    CHECK_EQ(rd(&m, IIR), 0x02);
    CHECK(!l.level);

    wr(&m, FCR, FIFO);
    wr(&m, THR, 'b');
    CHECK(l.level);
    CHECK_EQ(rd(&m, IIR), 0xc2);
    CHECK_EQ(rd(&m, IIR), 0xc1);
    CHECK_EQ(l.nirq, 6);
    wr(&m, IER, ETBEI); /* already enabled: no new edge */
    CHECK_EQ(l.nirq, 6);
    CHECK_EQ(rd(&m, IIR), 0xc1);
    wr(&m, IER, 0); /* re-enabling while THR is empty does latch */
    wr(&m, IER, ETBEI);
    CHECK_EQ(l.nirq, 7);
    CHECK(l.level);
    wr(&m, IER, 0); /* disabling the source drops the line */
    CHECK_EQ(l.nirq, 8);
    CHECK(!l.level);
    CHECK_EQ(l.ntx, 2);
    /* every call was a change of level */
    for (unsigned i = 0; i < l.nirq; i++)
        CHECK_EQ(l.irq[i], i % 2 == 0);
}

TEST(out2_gating)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, IER, ETBEI);
    CHECK_EQ(l.nirq, 0); /* pending, but OUT2 is off */
    CHECK(!m.s.irq_level);
    wr(&m, MCR, OUT2);
    CHECK_EQ(l.nirq, 1);
    CHECK(l.level);
    wr(&m, MCR, 0);
    CHECK_EQ(l.nirq, 2);
    CHECK(!l.level);
    wr(&m, MCR, OUT2 | LOOP); /* loopback forces the OUT2 pin inactive */
    CHECK_EQ(l.nirq, 2);
    wr(&m, MCR, OUT2);
    CHECK_EQ(l.nirq, 3);
    CHECK(l.level);
    wr(&m, MCR, OUT2 | LOOP);
    CHECK_EQ(l.nirq, 4);
    CHECK(!l.level);
    CHECK_EQ(rd(&m, IIR), 0x02); /* still pending inside the chip */

    /* A board without the gate: the pin is the line. */
    setup(&m, &l);
    m.cfg.out2_gates_irq = false;
    wr(&m, IER, ETBEI);
    CHECK_EQ(l.nirq, 1);
    CHECK(l.level);
    wr(&m, MCR, LOOP);
    CHECK_EQ(l.nirq, 1);
    CHECK(l.level);
    CHECK_EQ(rd(&m, IIR), 0x02);
    CHECK_EQ(l.nirq, 2);
    CHECK(!l.level);
}

/* ---- model: receive ---- */

TEST(receive)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, FCR, FIFO);
    CHECK(uart16550_model_receive(&m, 'a'));
    CHECK(uart16550_model_receive(&m, 'b'));
    CHECK(uart16550_model_receive(&m, 'c'));
    CHECK_EQ(uart16550_model_rx_space(&m), 13);
    CHECK_EQ(rd(&m, LSR), IDLE | DR);
    CHECK_EQ(rd(&m, RBR), 'a');
    CHECK_EQ(rd(&m, LSR), IDLE | DR);
    CHECK_EQ(rd(&m, RBR), 'b');
    CHECK_EQ(rd(&m, RBR), 'c');
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK_EQ(rd(&m, RBR), 0); /* empty: no underflow */
    CHECK_EQ(m.s.rx_count, 0);
    CHECK_EQ(uart16550_model_rx_space(&m), 16);
    CHECK_EQ(l.nirq, 0); /* nothing enabled */

    /* RDA with ERBFI, FIFOs off. */
    setup(&m, &l);
    wr(&m, MCR, OUT2);
    wr(&m, IER, ERBFI);
    CHECK_EQ(l.nirq, 0);
    CHECK(uart16550_model_receive(&m, 'z'));
    CHECK_EQ(l.nirq, 1);
    CHECK(l.level);
    CHECK_EQ(rd(&m, IIR), 0x04);
    CHECK_EQ(rd(&m, IIR), 0x04); /* reading IIR does not acknowledge RDA */
    CHECK(l.level);
    CHECK_EQ(rd(&m, RBR), 'z');
    CHECK_EQ(l.nirq, 2);
    CHECK(!l.level);
    CHECK_EQ(rd(&m, IIR), 0x01);
}

TEST(trigger_levels)
{
    static const unsigned level[4] = { 1, 4, 8, 14 };

    for (unsigned t = 0; t < 4; t++) {
        uart16550_model m;
        hooklog l;

        setup(&m, &l);
        wr(&m, MCR, OUT2);
        wr(&m, FCR, (uint8_t)(FIFO | t << 6));
        wr(&m, IER, ERBFI);
        for (unsigned n = 1; n <= 16; n++) {
            CHECK(uart16550_model_receive(&m, (uint8_t)n));
            /* Below the trigger: character timeout; at or above: RDA. */
            CHECK_EQ(rd(&m, IIR), n < level[t] ? 0xcc : 0xc4);
            CHECK(l.level);
        }
        CHECK_EQ(l.nirq, 1);
        for (unsigned n = 16; n >= 1; n--) {
            CHECK_EQ(rd(&m, IIR), n < level[t] ? 0xcc : 0xc4);
            CHECK_EQ(rd(&m, RBR), 17 - n);
        }
        CHECK_EQ(rd(&m, IIR), 0xc1);
        CHECK_EQ(l.nirq, 2);
        CHECK(!l.level);
    }
    /* A trigger level written with the FIFOs off means nothing. */
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, FCR, 0xc0);
    wr(&m, IER, ERBFI);
    CHECK(uart16550_model_receive(&m, 1));
    CHECK_EQ(rd(&m, IIR), 0x04);
}

/* Without FIFOs the receiver holds one byte. A second byte overruns it and,
   per the datasheet (LSR bit 1), replaces it: "thereby destroying the
   previous character". */
TEST(no_fifo_one_byte)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    CHECK(uart16550_model_receive(&m, 'x'));
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    CHECK(!uart16550_model_receive(&m, 'y'));
    CHECK_EQ(m.s.rx_count, 1);
    CHECK_EQ(rd(&m, LSR), IDLE | OE | DR);
    CHECK_EQ(rd(&m, RBR), 'y');
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK_EQ(uart16550_model_rx_space(&m), 1);
}

TEST(overrun)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, MCR, OUT2);
    wr(&m, FCR, FIFO | 0xc0); /* trigger 14 */
    wr(&m, IER, ELSI);
    for (unsigned i = 0; i < 16; i++) {
        CHECK_EQ(uart16550_model_rx_space(&m), 16 - i);
        CHECK(uart16550_model_receive(&m, (uint8_t)('A' + i)));
    }
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    CHECK_EQ(l.nirq, 0); /* only ELSI enabled, no error yet */
    CHECK(!uart16550_model_receive(&m, '!'));
    CHECK_EQ(m.s.rx_count, 16);
    CHECK_EQ(l.nirq, 1);
    CHECK(l.level);
    CHECK_EQ(rd(&m, IIR), 0xc6);
    CHECK_EQ(rd(&m, LSR), IDLE | OE | DR); /* reading LSR clears OE... */
    CHECK_EQ(l.nirq, 2);                   /* ...and the RLS interrupt */
    CHECK(!l.level);
    CHECK_EQ(rd(&m, LSR), IDLE | DR);
    CHECK_EQ(rd(&m, IIR), 0xc1);
    for (unsigned i = 0; i < 16; i++) /* the FIFO kept the first 16 */
        CHECK_EQ(rd(&m, RBR), 'A' + i);
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK_EQ(uart16550_model_rx_space(&m), 16);
}

TEST(fcr)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, FCR, FIFO);
    for (unsigned i = 0; i < 5; i++)
        uart16550_model_receive(&m, (uint8_t)i);
    wr(&m, FCR, FIFO | CLR_RX);
    CHECK_EQ(m.s.rx_count, 0);
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK_EQ(m.s.fcr, FIFO); /* the clear bits self-clear */

    for (unsigned i = 0; i < 3; i++)
        uart16550_model_receive(&m, (uint8_t)i);
    wr(&m, FCR, 0); /* disabling clears */
    CHECK_EQ(m.s.rx_count, 0);
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK(uart16550_model_receive(&m, 'q'));
    wr(&m, FCR, FIFO); /* enabling clears too */
    CHECK_EQ(m.s.rx_count, 0);
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK(uart16550_model_receive(&m, 'k'));
    wr(&m, FCR, FIFO | 0x40); /* same enable bit: keeps the data */
    CHECK_EQ(m.s.rx_count, 1);
    CHECK_EQ(rd(&m, RBR), 'k');

    wr(&m, FCR, 0xc7); /* write-only: offset 2 reads IIR */
    CHECK_EQ(rd(&m, IIR), 0xc1);
    CHECK_EQ(m.s.fcr, 0xc1);
    CHECK_EQ(l.nirq, 0);
}

TEST(iir_priority)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, MCR, OUT2);
    wr(&m, FCR, FIFO);
    wr(&m, IER, ERBFI | ETBEI | ELSI);
    CHECK(l.level); /* THRE */
    for (unsigned i = 0; i < 17; i++)
        uart16550_model_receive(&m, (uint8_t)i);
    CHECK_EQ(rd(&m, IIR), 0xc6);      /* RLS first */
    CHECK_EQ(rd(&m, LSR), IDLE | OE | DR);
    CHECK_EQ(rd(&m, IIR), 0xc4);      /* then RDA */
    for (unsigned i = 0; i < 16; i++)
        rd(&m, RBR);
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK(l.level);                   /* THRE still latched under the others */
    CHECK_EQ(rd(&m, IIR), 0xc2);      /* then THRE, acknowledged by the read */
    CHECK_EQ(rd(&m, IIR), 0xc1);
    CHECK(!l.level);
    CHECK_EQ(l.nirq, 2);
}

/* ---- model: loopback and modem status ---- */

TEST(loopback)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, FCR, FIFO);
    wr(&m, MCR, LOOP);
    /* Inputs now follow outputs, all off: CTS, DSR, DCD fell. */
    CHECK_EQ(rd(&m, MSR), 0x0b);
    CHECK_EQ(rd(&m, MSR), 0x00);
    wr(&m, THR, 0x55);
    wr(&m, THR, 0xaa);
    CHECK_EQ(l.ntx, 0); /* nothing leaves on the wire */
    CHECK_EQ(rd(&m, LSR), IDLE | DR);
    CHECK_EQ(rd(&m, RBR), 0x55);
    CHECK_EQ(rd(&m, RBR), 0xaa);
    CHECK_EQ(rd(&m, LSR), IDLE);

    wr(&m, MCR, LOOP | RTS);
    CHECK_EQ(rd(&m, MSR), CTS | UART16550_MSR_DCTS);
    wr(&m, MCR, LOOP | RTS | DTR);
    CHECK_EQ(rd(&m, MSR), CTS | DSR | UART16550_MSR_DDSR);
    wr(&m, MCR, LOOP | RTS | DTR | OUT2);
    CHECK_EQ(rd(&m, MSR), CTS | DSR | DCD | UART16550_MSR_DDCD);
    wr(&m, MCR, LOOP | RTS | DTR | OUT2 | OUT1);
    CHECK_EQ(rd(&m, MSR), CTS | DSR | DCD | RI); /* RI rising: no TERI */
    wr(&m, MCR, LOOP | RTS | DTR | OUT2);
    CHECK_EQ(rd(&m, MSR), CTS | DSR | DCD | UART16550_MSR_TERI); /* falling */
    CHECK_EQ(rd(&m, MSR), CTS | DSR | DCD);

    /* The wire is disconnected: the host cannot feed the receiver, and
       the model says so before it tries. */
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    CHECK(!uart16550_model_receive(&m, 'h'));
    CHECK_EQ(m.s.rx_count, 0);
    CHECK_EQ(rd(&m, LSR), IDLE);

    wr(&m, MCR, 0xff); /* bits 7:5 are always 0 */
    CHECK_EQ(rd(&m, MCR), 0x1f);
    CHECK_EQ(rd(&m, MSR), CTS | DSR | DCD | RI); /* every output on */
    wr(&m, MCR, 0); /* back to the real inputs, CTS|DSR|DCD: RI fell */
    CHECK_EQ(rd(&m, MSR), CTS | DSR | DCD | UART16550_MSR_TERI);
    wr(&m, THR, 'w');
    CHECK_EQ(l.ntx, 1);
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK(uart16550_model_receive(&m, 'h'));
    CHECK_EQ(l.nirq, 0);
}

/* book/security.md, rules 2 and 3: loopback on, 100000 bytes written without reading. */
TEST(loopback_flood)
{
    for (unsigned fifo = 0; fifo < 2; fifo++) {
        uart16550_model m;
        hooklog l;
        unsigned n = 0, cap = fifo ? 16 : 1;

        setup(&m, &l);
        wr(&m, FCR, (uint8_t)fifo);
        wr(&m, MCR, LOOP | OUT2);
        wr(&m, IER, ERBFI | ETBEI | ELSI | EDSSI);
        for (unsigned i = 0; i < 100000; i++) {
            wr(&m, THR, (uint8_t)i);
            if (m.s.rx_count > cap)
                break;
        }
        CHECK_EQ(m.s.rx_count, cap);
        CHECK_EQ(l.ntx, 0);
        CHECK_EQ(l.nirq, 0); /* gated by loopback */
        CHECK_EQ(rd(&m, LSR), IDLE | OE | DR);
        /* The FIFO keeps the first 16; one holding register the last byte. */
        CHECK_EQ(m.s.rx[m.s.rx_head], fifo ? 0 : (uint8_t)99999);
        while ((rd(&m, LSR) & DR) && n < 100)
            n++, rd(&m, RBR);
        CHECK_EQ(n, cap);
        CHECK_EQ(rd(&m, LSR), IDLE);
        wr(&m, THR, 1); /* and it still works */
        CHECK_EQ(rd(&m, RBR), 1);
    }
}

TEST(msr_interrupt)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, MCR, OUT2);
    wr(&m, IER, EDSSI);
    CHECK_EQ(l.nirq, 0);
    uart16550_model_set_modem(&m, DSR | DCD); /* CTS drops */
    CHECK_EQ(l.nirq, 1);
    CHECK(l.level);
    CHECK_EQ(rd(&m, IIR), 0x00);
    CHECK(l.level); /* IIR read does not acknowledge MSR */
    CHECK_EQ(rd(&m, MSR), DSR | DCD | UART16550_MSR_DCTS);
    CHECK_EQ(l.nirq, 2);
    CHECK(!l.level);
    CHECK_EQ(rd(&m, IIR), 0x01);
    uart16550_model_set_modem(&m, DSR | DCD); /* no change, no delta */
    CHECK_EQ(l.nirq, 2);
    uart16550_model_set_modem(&m, DSR | DCD | RI); /* RI rising: no TERI */
    CHECK_EQ(l.nirq, 2);
    CHECK_EQ(rd(&m, MSR), DSR | DCD | RI);
    uart16550_model_set_modem(&m, DSR | DCD); /* RI falling */
    CHECK_EQ(l.nirq, 3);
    CHECK_EQ(rd(&m, IIR), 0x00);
    CHECK_EQ(rd(&m, MSR), DSR | DCD | UART16550_MSR_TERI);
    CHECK_EQ(l.nirq, 4);
    uart16550_model_set_modem(&m, DCD);       /* two changes, one read: */
    uart16550_model_set_modem(&m, CTS | DCD); /* the deltas accumulate */
    CHECK_EQ(rd(&m, MSR), CTS | DCD | UART16550_MSR_DCTS | UART16550_MSR_DDSR);
    CHECK_EQ(rd(&m, MSR), CTS | DCD);
    uart16550_model_set_modem(&m, 0xff); /* low bits are not inputs */
    CHECK_EQ(m.s.modem_in, 0xf0);
    CHECK_EQ(rd(&m, MSR), 0xf0 | UART16550_MSR_DDSR); /* RI rose: no delta */
}

/* ---- model: guest input that must change nothing ---- */

TEST(out_of_range)
{
    uart16550_model m;
    hooklog l;
    uart16550_state before, after;

    setup(&m, &l);
    wr(&m, FCR, FIFO);
    wr(&m, SCR, 0x77);
    uart16550_model_receive(&m, 'a');
    CHECK(save(&m, &before));
    for (unsigned reg = 8; reg < 256; reg++) {
        CHECK_EQ(rd(&m, reg), 0xff);
        wr(&m, reg, 0x00);
        wr(&m, reg, 0xff);
        wr(&m, reg, (uint8_t)reg);
    }
    CHECK_EQ(rd(&m, 0xffffffffu), 0xff);
    wr(&m, 0xffffffffu, 0x80);
    CHECK(save(&m, &after));
    CHECK(state_eq(&before, &after));
    CHECK_EQ(l.ntx, 0);
    CHECK_EQ(l.nirq, 0);
}

TEST(read_only_writes)
{
    uart16550_model m;
    hooklog l;
    uart16550_state before, after;

    setup(&m, &l);
    uart16550_model_set_modem(&m, CTS); /* deltas to keep in MSR */
    CHECK(save(&m, &before));
    for (unsigned v = 0; v < 256; v++) {
        wr(&m, LSR, (uint8_t)v);
        wr(&m, MSR, (uint8_t)v);
    }
    CHECK(save(&m, &after));
    CHECK(state_eq(&before, &after));
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK_EQ(rd(&m, MSR), CTS | UART16550_MSR_DDSR | UART16550_MSR_DDCD);
}

/* The registers are one byte wide (PC16550D, "Register Summary"): any other
   width, at any offset, reads all-ones of that width and changes nothing.
   A two-byte read of RBR must not pop a byte the guest never sees. */
TEST(wide_access)
{
    static const unsigned width[] = { 2, 4, 8, 3, 16, 0 };
    static const uint64_t ones[] = { 0xffff, 0xffffffff, UINT64_MAX, 0xffffff, UINT64_MAX, 0 };
    uart16550_model m;
    hooklog l;
    uart16550_state before, after;

    setup(&m, &l);
    wr(&m, MCR, OUT2);
    wr(&m, FCR, FIFO);
    wr(&m, SCR, 0x5c);
    for (unsigned i = 0; i < 16; i++)
        CHECK(uart16550_model_receive(&m, (uint8_t)('a' + i)));
    wr(&m, IER, ERBFI | ETBEI);
    CHECK(l.level);
    CHECK(save(&m, &before));
    l.nirq = l.ntx = l.nroom = 0;

    CHECK(uart16550_model_read(&m, RBR, 2) == 0xffff);
    CHECK_EQ(m.s.rx_count, 16); /* the FIFO is still full */
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    for (unsigned w = 0; w < sizeof width / sizeof width[0]; w++) {
        for (uint64_t off = 0; off < 10; off++) {
            CHECK(uart16550_model_read(&m, off, width[w]) == ones[w]);
            uart16550_model_write(&m, off, width[w], 0);
            uart16550_model_write(&m, off, width[w], UINT64_MAX);
            uart16550_model_write(&m, off, width[w], 0x0101010101010101ull);
        }
    }
    CHECK(save(&m, &after));
    CHECK(state_eq(&before, &after));
    CHECK_EQ(l.nirq, 0);
    CHECK_EQ(l.ntx, 0); /* no wide THR write was sent */
    CHECK_EQ(l.nroom, 0);

    /* One-byte accesses past offset 7, including ones whose low 32 bits
       name a register: not decoded either. */
    static const uint64_t far[] = { 8, 0xff, 1ull << 32, (1ull << 32) | IIR,
                                    0x8000000000000000ull, UINT64_MAX };
    for (unsigned i = 0; i < sizeof far / sizeof far[0]; i++) {
        CHECK(uart16550_model_read(&m, far[i], 1) == 0xff);
        uart16550_model_write(&m, far[i], 1, 0x00);
        uart16550_model_write(&m, far[i], 1, 0xff);
    }
    CHECK(save(&m, &after));
    CHECK(state_eq(&before, &after));
    CHECK_EQ(l.nirq + l.ntx + l.nroom, 0);

    /* and the one-byte path still works */
    CHECK_EQ(rd(&m, RBR), 'a');
    CHECK_EQ(l.nroom, 1);
    wr(&m, THR, '!');
    CHECK_EQ(l.ntx, 1);
}

/* ---- model: save and restore ---- */

/* Every register as the guest sees it, both DLAB settings, then the FIFO
   drained; the same sequence on two models must read the same. */
static void read_all(uart16550_model *m, uint8_t out[40])
{
    unsigned n = 0;
    uint8_t lcr = rd(m, LCR);

    wr(m, LCR, lcr | DLAB);
    out[n++] = rd(m, DLL);
    out[n++] = rd(m, DLM);
    wr(m, LCR, lcr & ~DLAB);
    for (unsigned r = 1; r < 8; r++)
        out[n++] = rd(m, r);
    while (n < 40)
        out[n++] = rd(m, RBR);
}

TEST(save_restore)
{
    uart16550_model a, b;
    hooklog la, lb;
    uart16550_state s;
    uint8_t ra[40], rb[40];

    setup(&a, &la);
    wr(&a, FCR, FIFO | 0x40);
    wr(&a, MCR, OUT2 | DTR);
    wr(&a, SCR, 0x3c);
    for (unsigned i = 0; i < 16; i++)
        uart16550_model_receive(&a, (uint8_t)i);
    for (unsigned i = 0; i < 10; i++)
        rd(&a, RBR);
    for (unsigned i = 16; i < 24; i++) /* the ring wraps */
        uart16550_model_receive(&a, (uint8_t)i);
    wr(&a, IER, ERBFI | ETBEI);
    uart16550_model_set_modem(&a, CTS);
    wr(&a, LCR, DLAB | 0x1b);
    wr(&a, DLL, 0x80);
    wr(&a, DLM, 0x01);
    CHECK(a.s.irq_level);
    CHECK_EQ(a.s.rx_count, 14);
    CHECK(a.s.rx_head != 0);
    CHECK(save(&a, &s));

    setup(&b, &lb);
    CHECK(restore(&b, &s));
    CHECK_EQ(lb.nirq, 1);
    CHECK(lb.level); /* the hook learns the restored level */
    CHECK(state_eq(&a.s, &b.s));
    read_all(&a, ra);
    read_all(&b, rb);
    CHECK(memcmp(ra, rb, sizeof ra) == 0);
    CHECK_EQ(rb[0], 0x80);
    CHECK_EQ(rb[1], 0x01);
    CHECK_EQ(rb[9], 10); /* the oldest byte left */
    CHECK(state_eq(&a.s, &b.s));
    CHECK_EQ(la.level, lb.level);
    wr(&b, THR, 'x');
    CHECK_EQ(lb.ntx, 1);

    /* A low line is reported too. */
    setup(&a, &la);
    CHECK(save(&a, &s));
    setup(&b, &lb);
    CHECK(restore(&b, &s));
    CHECK_EQ(lb.nirq, 1);
    CHECK(!lb.level);
}

TEST(restore_rejects)
{
    uart16550_model m;
    hooklog l;
    uart16550_state good, bad, before, after;

    setup(&m, &l);
    wr(&m, FCR, FIFO);
    uart16550_model_receive(&m, 'a');
    wr(&m, SCR, 0x11);
    CHECK(save(&m, &good));
    good.scr = 0x22; /* so an accepted restore would show */
    CHECK(save(&m, &before));

    for (unsigned i = 0; i < 6; i++) {
        bad = good;
        switch (i) {
        case 0: bad.version = 0; break;
        case 1: bad.version = UART16550_STATE_VERSION + 1; break;
        case 2: bad.rx_head = 16; break;
        case 3: bad.rx_head = 255; break;
        case 4: bad.rx_count = 17; break;
        case 5: bad.rx_count = 255; break;
        }
        CHECK(!restore(&m, &bad));
        CHECK(save(&m, &after));
        CHECK(state_eq(&before, &after));
    }
    CHECK_EQ(l.nirq, 0);
    CHECK_EQ(l.nroom, 0);
    CHECK(restore(&m, &good));
    CHECK_EQ(rd(&m, SCR), 0x22);

    /* 16 bytes with the FIFOs off: only one can be held. */
    bad = good;
    bad.fcr = 0;
    bad.rx_count = 16;
    bad.rx_head = 15;
    CHECK(restore(&m, &bad));
    CHECK_EQ(m.s.rx_count, 1);
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
}

/* A buffer too small for the state: -1, and not one byte written. */
TEST(save_small_buffer)
{
    uart16550_model m, b;
    hooklog l, lb;
    uint8_t buf[sizeof(uart16550_state) + 8];
    const size_t n = sizeof(uart16550_state);

    setup(&m, &l);
    wr(&m, SCR, 0x31);
    uart16550_model_receive(&m, 'c');
    for (size_t size = 0; size < n; size++) {
        memset(buf, 0xcc, sizeof buf);
        CHECK_EQ(uart16550_model_save(&m, buf, size), -1);
        for (size_t i = 0; i < sizeof buf; i++)
            if (!CHECK_EQ(buf[i], 0xcc))
                break;
    }
    CHECK_EQ(uart16550_model_save(&m, NULL, 0), -1);
    /* Room to spare: the state's size, and nothing past it. */
    memset(buf, 0xcc, sizeof buf);
    CHECK_EQ(uart16550_model_save(&m, buf, sizeof buf), (int64_t)n);
    for (size_t i = n; i < sizeof buf; i++)
        CHECK_EQ(buf[i], 0xcc);
    /* The bytes are the state: they restore, from any alignment. */
    memmove(buf + 1, buf, n);
    setup(&b, &lb);
    CHECK_EQ(uart16550_model_restore(&b, buf + 1, n), (int64_t)n);
    CHECK(state_eq(&m.s, &b.s));
    CHECK_EQ(rd(&b, SCR), 0x31);
    CHECK_EQ(rd(&b, RBR), 'c');
    CHECK_EQ(l.nirq + l.ntx + l.nroom, 0);
}

/* Only a buffer of exactly the state's size is a state. */
TEST(restore_bad_size)
{
    uart16550_model m, src;
    hooklog l, ls;
    uint8_t buf[2 * sizeof(uart16550_state)];
    const size_t n = sizeof(uart16550_state);
    static const size_t sizes[] = { 0, 1, 4, sizeof(uart16550_state) - 1,
                                    sizeof(uart16550_state) + 1, 2 * sizeof(uart16550_state) };
    uart16550_state before, after;

    setup(&src, &ls);
    wr(&src, SCR, 0x44); /* a good state, which would show if taken */
    wr(&src, MCR, OUT2);
    wr(&src, IER, ETBEI);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(uart16550_model_save(&src, buf, sizeof buf), (int64_t)n);
    setup(&m, &l);
    wr(&m, FCR, FIFO);
    for (unsigned i = 0; i < 16; i++) /* full: a restore with room would call rx_room */
        uart16550_model_receive(&m, (uint8_t)i);
    CHECK(save(&m, &before));
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK_EQ(uart16550_model_restore(&m, buf, sizes[i]), -1);
        CHECK(save(&m, &after));
        CHECK(state_eq(&before, &after));
    }
    CHECK_EQ(uart16550_model_restore(&m, NULL, 0), -1);
    CHECK_EQ(l.nirq + l.nroom, 0);
    CHECK_EQ(uart16550_model_restore(&m, buf, n), (int64_t)n);
    CHECK_EQ(rd(&m, SCR), 0x44);
    CHECK_EQ(l.nroom, 1); /* full before, empty now */
}

/* After a restore the irq hook hears the restored level even when it
   equals the last one reported: the board may be a fresh one whose line
   knows nothing yet. The saved irq_level is not trusted for it. */
TEST(restore_drives_irq)
{
    uart16550_model a, b;
    hooklog la, lb;
    uart16550_state s;

    setup(&a, &la);
    wr(&a, MCR, OUT2);
    wr(&a, IER, ETBEI);
    CHECK(la.level);
    CHECK(save(&a, &s));

    setup(&b, &lb);
    wr(&b, MCR, OUT2);
    wr(&b, IER, ETBEI);
    CHECK_EQ(lb.nirq, 1);
    CHECK(restore(&b, &s)); /* high onto high: told again */
    CHECK_EQ(lb.nirq, 2);
    CHECK(lb.level);
    CHECK(restore(&a, &s)); /* onto itself, too */
    CHECK_EQ(la.nirq, 2);
    CHECK(la.irq[1]);

    s.irq_level = 0; /* a snapshot that lies about the line */
    setup(&b, &lb);
    CHECK(restore(&b, &s));
    CHECK_EQ(lb.nirq, 1);
    CHECK(lb.level);
    CHECK_EQ(b.s.irq_level, 1);

    setup(&a, &la); /* low onto high */
    CHECK(save(&a, &s));
    s.irq_level = 1;
    CHECK(restore(&b, &s));
    CHECK_EQ(lb.nirq, 2);
    CHECK(!lb.level);
    CHECK_EQ(b.s.irq_level, 0);
    CHECK(uart16550_model_receive(&b, 'r')); /* and the restored board works */
    CHECK_EQ(rd(&b, RBR), 'r');
}

/* ---- model: rx_room ---- */

/* rx_room is called exactly when a guest access, a reset or a restore takes
   the receiver from no room to some, and at no other time. */
TEST(rx_room)
{
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, FCR, FIFO);
    for (unsigned i = 0; i < 16; i++)
        CHECK(uart16550_model_receive(&m, (uint8_t)i));
    CHECK(!uart16550_model_receive(&m, 0xff)); /* a refused byte: no call */
    CHECK_EQ(l.nroom, 0);
    rd(&m, LSR);                               /* reads that pop nothing */
    rd(&m, IIR);
    rd(&m, MSR);
    wr(&m, LCR, DLAB);
    CHECK_EQ(rd(&m, DLL), 0);                  /* offset 0 with DLAB: not RBR */
    wr(&m, LCR, 0);
    wr(&m, FCR, FIFO | 0xc0);                  /* trigger only: keeps the data */
    CHECK_EQ(l.nroom, 0);
    CHECK_EQ(rd(&m, RBR), 0);                  /* full -> 15 free: once */
    CHECK_EQ(l.nroom, 1);
    CHECK_EQ(l.room_space, 1);                 /* called after the pop */
    CHECK_EQ(rd(&m, RBR), 1);                  /* not full before: no call */
    CHECK_EQ(rd(&m, RBR), 2);
    CHECK_EQ(l.nroom, 1);

    for (unsigned i = 0; i < 3; i++)           /* full again */
        uart16550_model_receive(&m, (uint8_t)i);
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    wr(&m, FCR, FIFO | CLR_RX);                /* cleared while full */
    CHECK_EQ(l.nroom, 2);
    CHECK_EQ(l.room_space, 16);
    uart16550_model_receive(&m, 'x');
    wr(&m, FCR, FIFO | CLR_RX);                /* cleared with room: no call */
    wr(&m, FCR, 0);                            /* disabled with room: no call */
    CHECK_EQ(l.nroom, 2);

    CHECK(uart16550_model_receive(&m, 'y'));   /* FIFOs off: one byte fills it */
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    wr(&m, FCR, FIFO);                         /* enabling clears: room */
    CHECK_EQ(l.nroom, 3);
    wr(&m, FCR, 0);
    CHECK(uart16550_model_receive(&m, 'z'));
    CHECK_EQ(rd(&m, RBR), 'z');                /* the lone byte read */
    CHECK_EQ(l.nroom, 4);
    CHECK_EQ(l.room_space, 1);

    /* Loopback takes the receiver off the wire: entering it ends the room
       (no call), leaving it gives it back (a call), unless the FIFO filled
       up meanwhile. */
    wr(&m, FCR, FIFO);
    wr(&m, MCR, LOOP);
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    CHECK_EQ(l.nroom, 4);
    wr(&m, THR, 'l');
    CHECK_EQ(rd(&m, RBR), 'l');                /* still no room: loopback */
    wr(&m, MCR, LOOP | RTS);                   /* stays in loopback */
    CHECK_EQ(l.nroom, 4);
    wr(&m, MCR, RTS);
    CHECK_EQ(l.nroom, 5);
    CHECK_EQ(l.room_space, 16);
    wr(&m, MCR, LOOP);
    for (unsigned i = 0; i < 16; i++)
        wr(&m, THR, (uint8_t)i);
    wr(&m, MCR, 0);                            /* out, but the FIFO is full */
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    CHECK_EQ(l.nroom, 5);
    rd(&m, RBR);
    CHECK_EQ(l.nroom, 6);
    CHECK_EQ(l.ntx, 0);
}

/* The hook runs last, so a host may refill the receiver from inside it. */
static void refill(void *ctx)
{
    hooklog *l = ctx;

    l->nroom++;
    CHECK(uart16550_model_receive(l->m, (uint8_t)(0x40 + l->nroom)));
}

TEST(rx_room_refill)
{
    uart16550_model m;
    hooklog l;
    uart16550_model_hooks h = { on_tx, on_irq, refill, &l };

    memset(&l, 0, sizeof l);
    l.m = &m;
    uart16550_model_init(&m, &h);
    wr(&m, MCR, OUT2);
    wr(&m, IER, ERBFI);
    CHECK(uart16550_model_receive(&m, 'a'));   /* FIFOs off: full */
    CHECK(l.level);
    CHECK_EQ(rd(&m, RBR), 'a');                /* the line fell, then the refill raised it */
    CHECK_EQ(l.nroom, 1);
    CHECK_EQ(m.s.rx_count, 1);
    CHECK(l.level);
    CHECK(m.s.irq_level);
    CHECK_EQ(l.nirq, 3);
    CHECK_EQ(rd(&m, RBR), 0x41);
    CHECK_EQ(rd(&m, RBR), 0x42);
    CHECK_EQ(l.nroom, 3);
}

/* UART16550_ASSERT is not decoration: the FIFO operations and the register
   decoders evaluate it (this file's version counts, and aborts on a
   broken invariant). */
TEST(asserts_wired)
{
    uart16550_model m;
    hooklog l;
    uart16550_state s;
    unsigned long n;

    setup(&m, &l);
    n = asserts_run;
    uart16550_model_receive(&m, 'a');
    CHECK(asserts_run > n);
    n = asserts_run;
    rd(&m, RBR);
    CHECK(asserts_run > n);
    n = asserts_run;
    rd(&m, SCR);
    CHECK(asserts_run > n);
    n = asserts_run;
    wr(&m, FCR, FIFO | CLR_RX);
    CHECK(asserts_run > n);
    n = asserts_run;
    CHECK(save(&m, &s));
    CHECK(restore(&m, &s));
    CHECK(asserts_run > n);
    n = asserts_run;
    uart16550_model_read(&m, RBR, 2);          /* undecoded: nothing to check */
    uart16550_model_read(&m, 9, 1);
    CHECK_EQ(asserts_run, n);
}

/* ---- model: pseudo-random stress with invariants ---- */

static uint32_t rng_state;

static uint8_t rng(void) /* xorshift32: fixed seed, reproducible */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (uint8_t)(rng_state >> 24);
}

/* IIR as the datasheet's priority table gives it, from the state. */
static uint8_t expect_iir(const uart16550_model *m)
{
    static const uint8_t trig[4] = { 1, 4, 8, 14 };
    const uart16550_state *s = &m->s;
    uint8_t fifo = (s->fcr & FIFO) ? 0xc0 : 0;

    if ((s->ier & ELSI) && (s->lsr & 0x1e))
        return 0x06 | fifo;
    if ((s->ier & ERBFI) && s->rx_count)
        return (uint8_t)((fifo && s->rx_count < trig[s->fcr >> 6] ? 0x0c : 0x04) | fifo);
    if ((s->ier & ETBEI) && s->thre_pending)
        return 0x02 | fifo;
    if ((s->ier & EDSSI) && (s->msr & 0x0f))
        return 0x00 | fifo;
    return 0x01 | fifo;
}

static bool expect_line(const uart16550_model *m)
{
    uint8_t mcr = m->s.mcr;

    if (m->cfg.out2_gates_irq && (!(mcr & OUT2) || (mcr & LOOP)))
        return false;
    return !(expect_iir(m) & 1);
}

/* A read of `width` bytes (not 1) returns all-ones of the width and leaves
   the state as it was. */
static bool wide_read_is_inert(uart16550_model *m, uint64_t reg, unsigned width)
{
    uart16550_state before, after;
    uint64_t v;

    if (!CHECK(save(m, &before)))
        return false;
    v = uart16550_model_read(m, reg, width);
    return CHECK(v == (width >= 8 ? UINT64_MAX : (1ull << 8 * width) - 1)) &&
           CHECK(save(m, &after)) && CHECK(state_eq(&before, &after));
}

/* One step, coded in three bytes (as a fuzzer would give them). Returns
   false after reporting the first broken invariant. */
static bool step(uart16550_model *m, hooklog *l, const uint8_t op[3])
{
    unsigned reg = op[1] & 15;
    unsigned room = uart16550_model_rx_space(m), nroom = l->nroom;
    uart16550_state s;

    switch (op[0] % 8) {
    case 0: case 1: case 2: { /* read; one in eight is wide */
        uint8_t want = reg >= 8 ? 0xff : reg == IIR ? expect_iir(m) : 0;
        uint8_t lsr = m->s.lsr, head = m->s.rx[m->s.rx_head];
        bool dlab = m->s.lcr & DLAB, had = m->s.rx_count != 0;
        uint8_t v;

        if ((op[0] >> 3) % 8 == 7) {
            if (!wide_read_is_inert(m, reg, 2u << op[2] % 3)) return false;
            break;
        }
        v = rd(m, reg);
        if (reg >= 8 || reg == IIR)
            if (!CHECK_EQ(v, want)) return false;
        if (reg == LSR && !CHECK_EQ(v, lsr)) return false;
        if (reg == RBR && !dlab && !CHECK_EQ(v, had ? head : 0)) return false;
        break;
    }
    case 3: case 4: case 5: /* write; favour the registers with effects */
        wr(m, op[0] & 8 ? reg : (op[0] >> 4) % 5, op[2]);
        break;
    case 6: {
        unsigned space = uart16550_model_rx_space(m);
        bool ok = uart16550_model_receive(m, op[2]);

        if (!CHECK_EQ(ok, space > 0 && !(m->s.mcr & LOOP))) return false;
        break;
    }
    case 7:
        if (op[1] & 1) {
            uart16550_model_set_modem(m, op[2]);
        } else if (op[2] == 0) {
            uart16550_model_reset(m);
        } else { /* snapshot round trip */
            if (!CHECK(save(m, &s)) || !CHECK(restore(m, &s))) return false;
        }
        break;
    }
    /* rx_room: exactly when the receiver went from no room to some. */
    if (!CHECK_EQ(l->nroom - nroom, room == 0 && uart16550_model_rx_space(m) > 0) ||
        (l->nroom != nroom && !CHECK(l->room_space > 0)))
        return false;
    if (!CHECK(m->s.rx_count <= 16) || !CHECK(m->s.rx_head < 16) ||
        !CHECK_EQ((m->s.lsr & DR) != 0, m->s.rx_count != 0) ||
        !CHECK_EQ(l->level, expect_line(m)) || !CHECK_EQ(m->s.irq_level, l->level) ||
        !CHECK_EQ(uart16550_model_rx_space(m),
                  (m->s.mcr & LOOP) ? 0 : ((m->s.fcr & FIFO) ? 16 : 1) - m->s.rx_count))
        return false;
    return true;
}

TEST(stress)
{
    for (unsigned gated = 0; gated < 2; gated++) {
        uart16550_model m;
        hooklog l;
        unsigned i;

        setup(&m, &l);
        m.cfg.out2_gates_irq = gated;
        rng_state = 0x16550a;
        for (i = 0; i < 200000; i++) {
            uint8_t op[3] = { rng(), rng(), rng() };

            if (!step(&m, &l, op)) {
                printf("stress: step %u (gated %u): op %02x %02x %02x\n", i, gated, op[0],
                       op[1], op[2]);
                break;
            }
        }
        CHECK_EQ(i, 200000);
        CHECK(l.nirq > 100); /* the line did move */
        CHECK(l.ntx > 100);
    }
}

/* ---- driver, against the model ---- */

static uint8_t model_read(void *ctx, unsigned reg)
{
    return (uint8_t)uart16550_model_read(ctx, reg, 1);
}
static void model_write(void *ctx, unsigned reg, uint8_t v)
{
    uart16550_model_write(ctx, reg, 1, v);
}

TEST(drv_init)
{
    uart16550_model m;
    hooklog l;
    uart16550_drv u = { model_read, model_write, &m };

    setup(&m, &l);
    wr(&m, IER, 0x0f); /* leftovers from a previous owner */
    wr(&m, MCR, LOOP);
    wr(&m, LCR, DLAB | 0x1f);
    wr(&m, FCR, FIFO);
    wr(&m, LCR, 0x1f);
    uart16550_model_receive(&m, 'o'); /* refused in loopback */
    wr(&m, THR, 'o');                 /* but this one is looped back */
    uart16550_drv_init(&u, 0x0180);       /* 300 baud */
    CHECK_EQ(m.s.dll, 0x80);
    CHECK_EQ(m.s.dlm, 0x01);
    CHECK_EQ(m.s.lcr, 0x03);
    CHECK_EQ(m.s.fcr & FIFO, FIFO);
    CHECK_EQ(m.s.rx_count, 0); /* cleared */
    CHECK_EQ(m.s.mcr, DTR | RTS | OUT2);
    CHECK_EQ(m.s.ier, 0);
    CHECK_EQ(l.ntx, 0);
    CHECK_EQ(rd(&m, IIR), 0xc1);
    CHECK(!m.s.irq_level);

    uart16550_drv_init(&u, UART16550_DIVISOR_115200);
    CHECK_EQ(m.s.dll, 1);
    CHECK_EQ(m.s.dlm, 0);
}

TEST(drv_putc_getc)
{
    uart16550_model m;
    hooklog l;
    uart16550_drv u = { model_read, model_write, &m };

    setup(&m, &l);
    uart16550_drv_init(&u, UART16550_DIVISOR_115200);
    CHECK(uart16550_drv_putc(&u, 'o'));
    CHECK(uart16550_drv_putc(&u, 'k'));
    CHECK_EQ(l.ntx, 2);
    CHECK_EQ(l.tx[0], 'o');
    CHECK_EQ(l.tx[1], 'k');
    CHECK_EQ(uart16550_drv_getc(&u), -1);
    CHECK(uart16550_model_receive(&m, 'h'));
    CHECK(uart16550_model_receive(&m, 'i'));
    CHECK(uart16550_model_receive(&m, 0xff)); /* a real 0xFF byte */
    CHECK_EQ(uart16550_drv_getc(&u), 'h');
    CHECK_EQ(uart16550_drv_getc(&u), 'i');
    CHECK_EQ(uart16550_drv_getc(&u), 0xff);
    CHECK_EQ(uart16550_drv_getc(&u), -1);
    CHECK_EQ(uart16550_drv_getc(&u), -1);
}

TEST(drv_probe_model)
{
    uart16550_model m;
    hooklog l;
    uart16550_drv u = { model_read, model_write, &m };

    setup(&m, &l);
    uart16550_drv_init(&u, UART16550_DIVISOR_115200);
    uart16550_model_receive(&m, 's'); /* stale input */
    CHECK(uart16550_drv_probe(&u));
    CHECK_EQ(m.s.mcr, DTR | RTS | OUT2); /* restored */
    CHECK_EQ(l.ntx, 0);                  /* the test byte stayed inside */
    CHECK_EQ(m.s.rx_count, 0);
    CHECK_EQ(uart16550_drv_getc(&u), -1);

    /* Straight after reset, FIFOs off. */
    setup(&m, &l);
    CHECK(uart16550_drv_probe(&u));
    CHECK_EQ(m.s.mcr, 0);

    /* Found in loopback: the doc promises loopback off afterwards. */
    setup(&m, &l);
    wr(&m, MCR, LOOP | OUT2 | DTR);
    CHECK(uart16550_drv_probe(&u));
    CHECK_EQ(m.s.mcr, OUT2 | DTR);
    CHECK(uart16550_model_receive(&m, 'w')); /* the wire is back */
}

/* ---- driver, against broken hardware ---- */

typedef struct fake {
    uart16550_model m; /* what is behind the bus, if anything */
    unsigned kind;     /* FLOAT, NO_SCR, ONE_SCR, STUCK_DR, NO_THRE */
    unsigned reads, writes;
} fake;

enum { FLOAT, NO_SCR, ONE_SCR, STUCK_DR, NO_THRE };

static uint8_t fake_read(void *ctx, unsigned reg)
{
    fake *f = ctx;

    /* Past the budget the fault heals, so a driver loop that ought to be
       bounded but is not ends in a failed check rather than a hang. */
    if (++f->reads > 10 * UART16550_SPIN_MAX)
        return rd(&f->m, reg);
    switch (f->kind) {
    case FLOAT:
        return 0xff; /* nothing drives the ISA bus */
    case NO_SCR:
        if (reg == SCR) return 0x00; /* an 8250: no scratch register */
        break;
    case ONE_SCR:
        if (reg == SCR) return 0x5a; /* a stuck latch holding one value */
        break;
    case STUCK_DR:
        if (reg == LSR) return IDLE | DR; /* always "data ready"... */
        if (reg == RBR) return 0x00;      /* ...and never the test byte */
        break;
    case NO_THRE:
        if (reg == LSR) return 0x00; /* the transmitter never empties */
        break;
    }
    return rd(&f->m, reg);
}

static void fake_write(void *ctx, unsigned reg, uint8_t v)
{
    fake *f = ctx;

    f->writes++;
    if (f->kind != FLOAT)
        wr(&f->m, reg, v);
}

static void fake_setup(fake *f, unsigned kind, hooklog *l)
{
    setup(&f->m, l);
    f->kind = kind;
    f->reads = f->writes = 0;
}

TEST(drv_probe_broken)
{
    fake f;
    hooklog l;
    uart16550_drv u = { fake_read, fake_write, &f };

    fake_setup(&f, FLOAT, &l);
    CHECK(!uart16550_drv_probe(&u));
    CHECK(f.reads < 100);
    CHECK_EQ(uart16550_drv_getc(&u), -1); /* 0xFF is not "data ready" */

    fake_setup(&f, NO_SCR, &l);
    CHECK(!uart16550_drv_probe(&u));
    fake_setup(&f, ONE_SCR, &l);
    CHECK(!uart16550_drv_probe(&u));
    CHECK_EQ(f.m.s.mcr, 0); /* gave up before loopback */

    fake_setup(&f, STUCK_DR, &l);
    CHECK(!uart16550_drv_probe(&u));
    CHECK(f.reads < 1000); /* the drain is bounded */
    CHECK_EQ(f.m.s.mcr, 0);
    CHECK_EQ(l.ntx, 0);
}

TEST(drv_putc_stuck)
{
    fake f;
    hooklog l;
    uart16550_drv u = { fake_read, fake_write, &f };

    fake_setup(&f, NO_THRE, &l);
    CHECK(!uart16550_drv_putc(&u, 'x'));
    CHECK_EQ(f.reads, UART16550_SPIN_MAX);
    CHECK_EQ(f.writes, 0); /* nothing sent */
    CHECK_EQ(l.ntx, 0);
}

CHECK_MAIN(TEST_ENTRY(reset_values), TEST_ENTRY(reset), TEST_ENTRY(null_hooks),
           TEST_ENTRY(divisor_latch), TEST_ENTRY(scratch), TEST_ENTRY(transmit),
           TEST_ENTRY(thre_interrupt), TEST_ENTRY(out2_gating), TEST_ENTRY(receive),
           TEST_ENTRY(trigger_levels), TEST_ENTRY(no_fifo_one_byte), TEST_ENTRY(overrun),
           TEST_ENTRY(fcr), TEST_ENTRY(iir_priority), TEST_ENTRY(loopback),
           TEST_ENTRY(loopback_flood), TEST_ENTRY(msr_interrupt), TEST_ENTRY(out_of_range),
           TEST_ENTRY(read_only_writes), TEST_ENTRY(wide_access), TEST_ENTRY(save_restore),
           TEST_ENTRY(restore_rejects), TEST_ENTRY(save_small_buffer),
           TEST_ENTRY(restore_bad_size), TEST_ENTRY(restore_drives_irq), TEST_ENTRY(rx_room),
           TEST_ENTRY(rx_room_refill), TEST_ENTRY(asserts_wired), TEST_ENTRY(stress),
           TEST_ENTRY(drv_init), TEST_ENTRY(drv_putc_getc), TEST_ENTRY(drv_probe_model),
           TEST_ENTRY(drv_probe_broken), TEST_ENTRY(drv_putc_stuck))
