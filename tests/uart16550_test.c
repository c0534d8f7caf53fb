/* uart16550_test.c - white-box tests of the 16550A model and driver.

   The model is driven through register sequences, as a guest would drive
   it, and checked on its registers, IIR, LSR and on every call of its
   hooks (logged in a hooklog). Time is the test's: the `now` hook reads
   `hooklog.now`, which a test sets to exact board times, so the character
   timeout is checked to the nanosecond the datasheet's arithmetic gives,
   never against a real clock. The host side of the transmitter can refuse
   bytes (`hooklog.refuse`), as a slow or blocked output does. The driver
   runs against the model through access hooks, and against doubles of
   broken hardware: a floating bus, a scratch register that holds nothing,
   a transmitter that never empties. The model's internal invariants are
   checked on every step: its UART16550_ASSERT aborts here, and counts how
   often it ran. */
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
    DR = UART16550_LSR_DR, OE = UART16550_LSR_OE, PE = UART16550_LSR_PE,
    FE = UART16550_LSR_FE, BI = UART16550_LSR_BI, THRE = UART16550_LSR_THRE,
    TEMT = UART16550_LSR_TEMT, LSR_ERR = UART16550_LSR_ERR, IDLE = 0x60, /* THRE|TEMT */
    DLAB = UART16550_LCR_DLAB,
    DTR = UART16550_MCR_DTR, RTS = UART16550_MCR_RTS, OUT1 = UART16550_MCR_OUT1,
    OUT2 = UART16550_MCR_OUT2, LOOP = UART16550_MCR_LOOP,
    ERBFI = UART16550_IER_ERBFI, ETBEI = UART16550_IER_ETBEI,
    ELSI = UART16550_IER_ELSI, EDSSI = UART16550_IER_EDSSI,
    FIFO = UART16550_FCR_ENABLE, CLR_RX = UART16550_FCR_CLR_RX, CLR_TX = UART16550_FCR_CLR_TX,
    CTS = UART16550_MSR_CTS, DSR = UART16550_MSR_DSR, RI = UART16550_MSR_RI,
    DCD = UART16550_MSR_DCD,
};

/* ---- the model's hooks, logged ---- */

enum { LOG_MAX = 64 };

typedef struct hooklog {
    unsigned ntx;        /* bytes the tx hook took */
    uint8_t tx[LOG_MAX]; /* the first LOG_MAX bytes taken */
    unsigned nrefused;   /* tx hook calls that said "not now" */
    bool refuse;         /* the host cannot take output now... */
    unsigned accept;     /* ...after taking this many more bytes */
    uint32_t fnv;        /* FNV-1a of every byte taken */
    unsigned nirq;       /* irq hook calls */
    bool irq[LOG_MAX];   /* the first LOG_MAX levels reported */
    bool level;          /* the last level reported */
    unsigned nroom;      /* rx_room hook calls */
    unsigned room_space; /* uart16550_model_rx_space() seen by the last one */
    unsigned nwake;      /* wake hook calls */
    uint64_t now;        /* board time the now hook gives */
    unsigned nnow;       /* now hook calls */
    uart16550_model *m;  /* the model, for on_rx_room; NULL: not looked at */
} hooklog;

static bool on_tx(void *ctx, uint8_t byte)
{
    hooklog *l = ctx;

    if (l->refuse && l->accept == 0) {
        l->nrefused++;
        return false;
    }
    if (l->refuse)
        l->accept--;
    l->fnv = (l->fnv ^ byte) * 16777619u;
    if (l->ntx < LOG_MAX)
        l->tx[l->ntx] = byte;
    l->ntx++;
    return true;
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

static uint64_t on_now(void *ctx)
{
    hooklog *l = ctx;

    l->nnow++;
    return l->now;
}

static void on_wake(void *ctx)
{
    ((hooklog *)ctx)->nwake++;
}

/* A freshly reset model whose hooks log into `l`. */
static void setup(uart16550_model *m, hooklog *l)
{
    uart16550_model_hooks h = { on_tx, on_irq, on_rx_room, on_now, on_wake, l };

    memset(l, 0, sizeof *l);
    l->m = m;
    l->fnv = 2166136261u;
    memset(m, 0xa5, sizeof *m); /* init must not depend on zeroed memory */
    uart16550_model_init(m, &h);
}

/* One-byte accesses, as every guest access to a 16550 register is. */
static uint8_t rd(uart16550_model *m, uint64_t reg)
{
    return (uint8_t)uart16550_model_read(m, reg, 1);
}
static void wr(uart16550_model *m, uint64_t reg, uint8_t v) { uart16550_model_write(m, reg, 1, v); }

/* Driver accessors that reach the model directly. */
static uint8_t drv_rd(void *ctx, unsigned reg)
{
    return (uint8_t)uart16550_model_read(ctx, reg, 1);
}
static void drv_wr(void *ctx, unsigned reg, uint8_t v) { uart16550_model_write(ctx, reg, 1, v); }

static uint32_t rng_state;

static uint8_t rng(void) /* xorshift32: fixed seed, reproducible */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (uint8_t)(rng_state >> 24);
}
static void rng_seed(uint32_t seed) { rng_state = seed ? seed : 1; }

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
           memcmp(a->rx_err, b->rx_err, sizeof a->rx_err) == 0 &&
           a->rx_head == b->rx_head && a->rx_count == b->rx_count &&
           memcmp(a->tx, b->tx, sizeof a->tx) == 0 && a->tx_head == b->tx_head &&
           a->tx_count == b->tx_count && a->tsr == b->tsr && a->tsr_full == b->tsr_full &&
           a->thre_pending == b->thre_pending && a->irq_level == b->irq_level &&
           a->cti == b->cti && a->reserved[0] == b->reserved[0] &&
           a->rx_ns == b->rx_ns && a->now_ns == b->now_ns;
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

/* The line format and divisor, through DLAB as a guest sets them. */
static void set_line(uart16550_model *m, uint8_t lcr, uint16_t div)
{
    wr(m, LCR, (uint8_t)(lcr | DLAB));
    wr(m, DLL, (uint8_t)div);
    wr(m, DLM, (uint8_t)(div >> 8));
    wr(m, LCR, lcr);
}

/* Four character times in ns, rounded up, from the datasheet: a character
   is 1 start bit, 5..8 data bits, parity if LCR bit 3, and 1 stop bit, or
   2 with LCR bit 2 (1.5 with 5-bit words); a bit lasts divisor / 115200 s.
   Counted in half bits so 1.5 stays whole: 4 chars = 4 * h/2 bits. */
static uint64_t want_timeout(uint8_t lcr, uint32_t div)
{
    uint64_t data = 5 + (lcr & 3u), h = 2 * (1 + data + ((lcr >> 3) & 1u));

    h += (lcr & 4u) ? (data == 5 ? 3 : 4) : 2;
    return (2 * h * div * 1000000000ull + 115199) / 115200;
}

/* PC16550D, FIFO interrupt mode: RDA once the FIFO holds the trigger
   level, and below it only the character timeout, 4 character times after
   the last byte received or read. At 115200 8N1 that is 40 bits of
   8680.5 ns: 347222.2 ns, so the first nanosecond it has passed is 347223. */
TEST(trigger_levels)
{
    static const unsigned level[4] = { 1, 4, 8, 14 };
    const uint64_t T = 347223;

    CHECK_EQ(want_timeout(UART16550_LCR_8N1, 1), T);
    for (unsigned t = 0; t < 4; t++) {
        uart16550_model m;
        hooklog l;

        setup(&m, &l);
        set_line(&m, UART16550_LCR_8N1, 1);
        CHECK_EQ(uart16550_model_timeout_ns(&m), T);
        wr(&m, MCR, OUT2);
        wr(&m, FCR, (uint8_t)(FIFO | t << 6));
        wr(&m, IER, ERBFI);
        l.now = 1000;
        for (unsigned n = 1; n <= 16; n++) {
            CHECK(uart16550_model_receive(&m, (uint8_t)n));
            /* Below the trigger nothing yet (the timeout is 347 us away);
               at or above it RDA at once. */
            CHECK_EQ(rd(&m, IIR), n < level[t] ? 0xc1 : 0xc4);
            CHECK_EQ(l.level, n >= level[t]);
            CHECK_EQ(uart16550_model_poll(&m, l.now),
                     n < level[t] ? 1000 + T : UART16550_NO_DEADLINE);
        }
        CHECK_EQ(l.nirq, 1);
        CHECK_EQ(l.nwake, level[t] > 1); /* a deadline from none: woken once */
        /* Read down, each read at a later time: RDA until below the
           level, then nothing until 4 characters after the last read;
           CTI then stays until RBR is read. */
        bool cti = false;
        for (unsigned n = 16; n >= 1; n--) {
            l.now += 10;
            CHECK_EQ(rd(&m, IIR), n < level[t] ? (cti ? 0xcc : 0xc1) : 0xc4);
            CHECK_EQ(rd(&m, RBR), 17 - n);
            if (n == 2 && level[t] > 1) { /* one byte left, below the level */
                uint64_t due = l.now + T;

                CHECK_EQ(uart16550_model_poll(&m, due - 1), due);
                CHECK(!l.level);
                CHECK_EQ(rd(&m, IIR), 0xc1);
                CHECK_EQ(uart16550_model_poll(&m, due), UART16550_NO_DEADLINE);
                CHECK(l.level);
                l.now = due;
                CHECK_EQ(rd(&m, IIR), 0xcc); /* character timeout */
                CHECK(l.level);
                cti = true;
            }
        }
        CHECK_EQ(rd(&m, IIR), 0xc1);
        CHECK(!l.level);
        CHECK_EQ(uart16550_model_poll(&m, l.now + 10 * T), UART16550_NO_DEADLINE);
    }
    /* A trigger level written with the FIFOs off means nothing: RDA at one
       byte, never a timeout. */
    uart16550_model m;
    hooklog l;

    setup(&m, &l);
    wr(&m, FCR, 0xc0);
    CHECK_EQ(m.s.fcr, 0);
    wr(&m, IER, ERBFI);
    CHECK(uart16550_model_receive(&m, 1));
    CHECK_EQ(rd(&m, IIR), 0x04);
    CHECK_EQ(uart16550_model_poll(&m, 0), UART16550_NO_DEADLINE);
}

/* The timeout to the nanosecond for line formats the datasheet allows, and
   the rules around it: at deadline - 1 not yet, at the deadline yes; a new
   byte or a read restarts it; it needs the FIFOs; the deadline exists only
   while the line could rise, and a wake tells of one that came earlier. */
TEST(char_timeout)
{
    static const struct { uint8_t lcr; uint16_t div; uint64_t ns; } fmt[] = {
        { 0x03, 1, 347223 },        /* 115200 8N1: 10 bits a character */
        { 0x0f, 384, 160000000 },   /* 300 baud, 8 data, parity, 2 stop: the
                                       datasheet's "160 ms ... 12-bit character" */
        { 0x1e, 12, 4583334 },      /* 9600 7E2: 11 bits, 4 x 1.1458333 ms */
        { 0x04, 1, 260417 },        /* 115200, 5 data bits, 1.5 stop: 7.5 bits */
        { 0x00, 2, 486112 },        /* 57600 5N1: 7 bits, 4 x 121527.7 ns */
        { 0x03, 0, 22755555556ull },/* divisor 0 counted as 65536 */
        { 0x3f, 0xffff, 27306250000ull }, /* the longest: 12 bits at 1.76 baud */
    };

    for (unsigned i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        uart16550_model m;
        hooklog l;
        uint64_t T = fmt[i].ns, due;

        CHECK_EQ(want_timeout(fmt[i].lcr, fmt[i].div ? fmt[i].div : 65536), T);
        setup(&m, &l);
        set_line(&m, fmt[i].lcr, fmt[i].div);
        CHECK_EQ(uart16550_model_timeout_ns(&m), T);
        wr(&m, MCR, OUT2);
        wr(&m, FCR, FIFO | UART16550_FCR_TRIG_8);
        wr(&m, IER, ERBFI);
        l.now = 5000;
        CHECK(uart16550_model_receive(&m, 'a'));
        CHECK_EQ(l.nwake, 1);
        due = 5000 + T;
        CHECK_EQ(uart16550_model_poll(&m, 5000), due);
        l.now = due - 1;                               /* one ns early */
        CHECK_EQ(rd(&m, IIR), 0xc1);
        CHECK(!l.level);
        l.now = due;                                   /* seen by a read... */
        CHECK_EQ(rd(&m, IIR), 0xcc);
        CHECK(l.level);
        CHECK_EQ(rd(&m, LSR), IDLE | DR);
        CHECK_EQ(rd(&m, RBR), 'a');                    /* the read clears it */
        CHECK(!l.level);
        CHECK_EQ(rd(&m, IIR), 0xc1);
        CHECK(uart16550_model_receive(&m, 'b'));       /* restarts at `due` */
        CHECK_EQ(uart16550_model_poll(&m, due + T / 2), due + T);
        CHECK(!l.level);
        l.now = due + T / 2;
        CHECK(uart16550_model_receive(&m, 'c'));       /* a new byte restarts it */
        CHECK_EQ(uart16550_model_poll(&m, due + T), due + T / 2 + T);
        CHECK(!l.level);
        CHECK_EQ(uart16550_model_poll(&m, due + T / 2 + T), UART16550_NO_DEADLINE);
        CHECK(l.level);                                /* ...or by a poll */
        CHECK_EQ(rd(&m, IIR), 0xcc);
        /* Once it has occurred, a new byte restarts the timer but does
           not clear it; only reading RBR does (datasheet, B and C). */
        l.now = due + T / 2 + T + 7;
        CHECK(uart16550_model_receive(&m, 'd'));
        CHECK_EQ(rd(&m, IIR), 0xcc);
        CHECK(l.level);
        CHECK_EQ(uart16550_model_poll(&m, l.now), UART16550_NO_DEADLINE);
        CHECK_EQ(rd(&m, RBR), 'b');
        CHECK(!l.level);
        CHECK_EQ(rd(&m, IIR), 0xc1);
        CHECK_EQ(uart16550_model_poll(&m, l.now), l.now + T);
    }

    /* No deadline where time could not move the line: ERBFI off, FIFOs
       off, the gate closed, at or above the trigger level. The guest still
       reads CTI in IIR once the time has passed (with ERBFI on). */
    uart16550_model m;
    hooklog l;
    const uint64_t T = 347223;

    setup(&m, &l);
    set_line(&m, UART16550_LCR_8N1, 1);
    wr(&m, FCR, FIFO | UART16550_FCR_TRIG_4);
    CHECK(uart16550_model_receive(&m, 'x'));
    CHECK_EQ(uart16550_model_poll(&m, 0), UART16550_NO_DEADLINE); /* ERBFI off */
    wr(&m, IER, ERBFI);
    CHECK_EQ(uart16550_model_poll(&m, 0), UART16550_NO_DEADLINE); /* OUT2 off */
    CHECK_EQ(l.nwake, 0);
    l.now = T;
    CHECK_EQ(rd(&m, IIR), 0xcc);                 /* pending inside, gated */
    CHECK_EQ(l.nirq, 0);
    wr(&m, MCR, OUT2);                           /* the gate opens: up at once */
    CHECK(l.level);
    CHECK_EQ(rd(&m, RBR), 'x');
    CHECK(!l.level);
    CHECK(uart16550_model_receive(&m, 'y'));     /* deadline from none: wake */
    CHECK_EQ(l.nwake, 1);
    CHECK_EQ(uart16550_model_poll(&m, T), 2 * T);
    wr(&m, MCR, 0);                              /* gate shut: no deadline */
    CHECK_EQ(uart16550_model_poll(&m, T), UART16550_NO_DEADLINE);
    wr(&m, MCR, OUT2);                           /* open again: earlier, woken */
    CHECK_EQ(l.nwake, 2);
    CHECK_EQ(uart16550_model_poll(&m, T), 2 * T);
    wr(&m, IER, 0);
    CHECK_EQ(uart16550_model_poll(&m, T), UART16550_NO_DEADLINE);
    wr(&m, IER, ERBFI);
    CHECK_EQ(l.nwake, 3);
    for (unsigned i = 0; i < 3; i++)             /* 4 bytes: RDA, no timer */
        CHECK(uart16550_model_receive(&m, (uint8_t)i));
    CHECK_EQ(uart16550_model_poll(&m, T), UART16550_NO_DEADLINE);
    CHECK_EQ(rd(&m, IIR), 0xc4);
    wr(&m, FCR, FIFO | UART16550_FCR_TRIG_8);    /* level above the count */
    CHECK_EQ(l.nwake, 4);
    CHECK_EQ(uart16550_model_poll(&m, T), 2 * T);
    CHECK(!l.level);
    set_line(&m, UART16550_LCR_8N1, 2);          /* half the baud: later */
    CHECK_EQ(uart16550_model_poll(&m, T), T + 2 * T - 1); /* 694445 */
    CHECK_EQ(uart16550_model_timeout_ns(&m), 694445);
    set_line(&m, 0x00, 1);                       /* 5N1, full speed: earlier, */
    CHECK_EQ(l.nwake, 6);                        /* at the LCR and at the DLL write */
    CHECK_EQ(uart16550_model_timeout_ns(&m), 243056); /* 28 bits of 8680.5 ns */
    CHECK_EQ(uart16550_model_poll(&m, T + 243056), UART16550_NO_DEADLINE);
    CHECK_EQ(rd(&m, IIR), 0xcc);
    wr(&m, FCR, 0);                              /* FIFOs off: cleared, no timeout */
    CHECK(uart16550_model_receive(&m, 'z'));
    CHECK_EQ(rd(&m, IIR), 0x04);
    CHECK_EQ(uart16550_model_poll(&m, UINT64_MAX), UART16550_NO_DEADLINE);

    /* Near the end of time: no deadline past UINT64_MAX. */
    setup(&m, &l);
    set_line(&m, UART16550_LCR_8N1, 1);
    wr(&m, MCR, OUT2);
    wr(&m, FCR, FIFO | UART16550_FCR_TRIG_4);
    wr(&m, IER, ERBFI);
    l.now = UINT64_MAX - 10;
    CHECK(uart16550_model_receive(&m, 1));
    CHECK_EQ(uart16550_model_poll(&m, l.now), UART16550_NO_DEADLINE);
    CHECK(!l.level);
    /* Time never runs back: an earlier poll or now is the latest seen. */
    setup(&m, &l);
    set_line(&m, UART16550_LCR_8N1, 1);
    wr(&m, MCR, OUT2);
    wr(&m, FCR, FIFO | UART16550_FCR_TRIG_4);
    wr(&m, IER, ERBFI);
    l.now = 1000000;
    CHECK(uart16550_model_receive(&m, 1));
    CHECK_EQ(uart16550_model_poll(&m, 5), 1000000 + T);
    l.now = 3;
    CHECK_EQ(rd(&m, IIR), 0xc1);
    CHECK_EQ(m.s.now_ns, 1000000);
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

/* ---- model: transmit back-pressure ---- */

/* A host that cannot take output: the byte waits in the shift register,
   later ones in THR (FIFOs off) or the TX FIFO, and LSR says so exactly:
   THRE while THR (the FIFO) is empty, TEMT only when the shift register
   is too. Nothing is lost until the guest writes to a full FIFO, which a
   guest that polls THRE never does. */
TEST(tx_backpressure)
{
    uart16550_model m;
    hooklog l;

    /* FIFOs off: THR and the shift register, two bytes. */
    setup(&m, &l);
    l.refuse = true;
    wr(&m, THR, 'a');
    CHECK_EQ(l.nrefused, 1);
    CHECK_EQ(rd(&m, LSR), THRE);          /* 0x20: THR empty, 'a' in the TSR */
    wr(&m, THR, 'b');
    CHECK_EQ(rd(&m, LSR), 0x00);          /* THR holds 'b' */
    wr(&m, THR, 'c');                     /* a write to a full THR is lost */
    CHECK_EQ(m.stats.tx_overflows, 1);
    CHECK_EQ(uart16550_model_tx_held(&m), 2);
    uart16550_model_tx_resume(&m);        /* still refusing: nothing moves */
    CHECK_EQ(rd(&m, LSR), 0x00);
    CHECK_EQ(l.ntx, 0);
    l.refuse = false;
    uart16550_model_tx_resume(&m);
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK_EQ(l.ntx, 2);
    CHECK(memcmp(l.tx, "ab", 2) == 0);
    uart16550_model_tx_resume(&m);        /* nothing held: harmless */
    CHECK_EQ(l.ntx, 2);

    /* FIFOs on: the shift register and 16 bytes; THRE interrupt when the
       FIFO empties; a host that takes some and then refuses again. */
    setup(&m, &l);
    wr(&m, FCR, FIFO);
    wr(&m, MCR, OUT2);
    wr(&m, IER, ETBEI);
    CHECK_EQ(rd(&m, IIR), 0xc2);          /* empty at the start, acknowledged */
    CHECK(!l.level);
    l.refuse = true;
    for (unsigned i = 0; i < 17; i++) {
        wr(&m, THR, (uint8_t)('A' + i));
        CHECK_EQ(rd(&m, LSR), i == 0 ? THRE : 0x00);
    }
    CHECK_EQ(uart16550_model_tx_held(&m), 17);
    CHECK(!l.level);                      /* THR was written: no THRE */
    CHECK_EQ(rd(&m, IIR), 0xc1);
    wr(&m, THR, '!');                     /* full: lost */
    CHECK_EQ(m.stats.tx_overflows, 1);
    l.accept = 5;                         /* the host takes five, then stalls */
    uart16550_model_tx_resume(&m);
    CHECK_EQ(l.ntx, 5);
    CHECK_EQ(uart16550_model_tx_held(&m), 12);
    CHECK_EQ(rd(&m, LSR), 0x00);
    CHECK(!l.level);
    l.accept = 11;                        /* all but the last: THR is empty */
    uart16550_model_tx_resume(&m);
    CHECK_EQ(uart16550_model_tx_held(&m), 1);
    CHECK_EQ(rd(&m, LSR), THRE);          /* THRE but not TEMT */
    CHECK(l.level);                       /* the FIFO emptied: THRE interrupt */
    CHECK_EQ(rd(&m, IIR), 0xc2);
    CHECK(!l.level);
    l.refuse = false;
    uart16550_model_tx_resume(&m);
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK_EQ(l.ntx, 17);
    for (unsigned i = 0; i < 17; i++)
        CHECK_EQ(l.tx[i], 'A' + i);
    CHECK(!l.level);                      /* THR was already empty: no new THRE */
    CHECK(l.nrefused > 0);
    CHECK_EQ(m.stats.tx_refusals, l.nrefused);

    /* Clearing the TX FIFO drops what waits there but not the byte in the
       shift register (datasheet, FCR bit 2); THR is empty again. */
    setup(&m, &l);
    wr(&m, FCR, FIFO);
    l.refuse = true;
    for (unsigned i = 0; i < 4; i++)
        wr(&m, THR, (uint8_t)('0' + i));
    wr(&m, FCR, FIFO | CLR_TX);
    CHECK_EQ(uart16550_model_tx_held(&m), 1);
    CHECK_EQ(rd(&m, LSR), THRE);
    CHECK_EQ(m.s.fcr, FIFO);
    wr(&m, IER, ETBEI);
    CHECK_EQ(rd(&m, IIR), 0xc2);
    l.refuse = false;
    uart16550_model_tx_resume(&m);
    CHECK_EQ(l.ntx, 1);
    CHECK_EQ(l.tx[0], '0');
    /* Toggling the FIFOs clears them too. */
    l.refuse = true;
    wr(&m, THR, 'x');
    wr(&m, THR, 'y');
    wr(&m, FCR, 0);
    CHECK_EQ(uart16550_model_tx_held(&m), 1);
    CHECK_EQ(rd(&m, LSR), THRE);

    /* Into loopback, held output goes to the receiver, not the host. */
    setup(&m, &l);
    wr(&m, FCR, FIFO);
    l.refuse = true;
    wr(&m, THR, 'p');
    wr(&m, THR, 'q');
    wr(&m, MCR, LOOP);
    CHECK_EQ(uart16550_model_tx_held(&m), 0);
    CHECK_EQ(rd(&m, LSR), IDLE | DR);
    CHECK_EQ(rd(&m, RBR), 'p');
    CHECK_EQ(rd(&m, RBR), 'q');
    CHECK_EQ(l.ntx, 0);

    /* A reset drops held output. */
    setup(&m, &l);
    l.refuse = true;
    wr(&m, THR, 'r');
    uart16550_model_reset(&m);
    CHECK_EQ(uart16550_model_tx_held(&m), 0);
    CHECK_EQ(rd(&m, LSR), IDLE);
    l.refuse = false;
    uart16550_model_tx_resume(&m);
    CHECK_EQ(l.ntx, 0);
}

/* book/security.md, rules 2 and 3: a megabyte through a host that takes
   output in irregular bursts. A guest that waits for THRE (the driver's
   putc) loses nothing, in order; one that does not loses what a full FIFO
   cannot hold, and the model holds at most 17 bytes either way. */
TEST(tx_megabyte)
{
    enum { N = 1 << 20 };
    static uint8_t data[N];
    uart16550_model m;
    hooklog l;
    uart16550_drv u = { drv_rd, drv_wr, &m };
    uint32_t want = 2166136261u;
    unsigned polls = 0, most = 0, sent = 0;

    for (unsigned i = 0; i < N; i++) {
        data[i] = (uint8_t)(i * 131 + (i >> 9));
        want = (want ^ data[i]) * 16777619u;
    }
    /* Byte by byte: putc waits for THRE, so at most THR and the shift
       register are ever full. */
    setup(&m, &l);
    wr(&m, FCR, FIFO);
    l.refuse = true;
    rng_seed(0x1234);
    for (unsigned i = 0; i < N; i++) {
        while (!(rd(&m, LSR) & THRE)) {   /* a guest polling: the host drains */
            polls++;
            l.accept = rng() % 24;
            uart16550_model_tx_resume(&m);
        }
        wr(&m, THR, data[i]);
        if (uart16550_model_tx_held(&m) > most)
            most = uart16550_model_tx_held(&m);
    }
    l.refuse = false;
    uart16550_model_tx_resume(&m);
    CHECK_EQ(l.ntx, N);
    CHECK_EQ(l.fnv, want);
    CHECK_EQ(m.stats.tx_overflows, 0);
    CHECK_EQ(most, 2);
    CHECK(polls > 1000);
    /* A FIFO at a time, as tx_fill does: up to 17 held, never more. */
    setup(&m, &l);
    wr(&m, FCR, FIFO);
    l.refuse = true;
    most = polls = 0;
    while (sent < N && polls < 4 * N) {
        unsigned n = uart16550_drv_tx_fill(&u, data + sent, N - sent);

        sent += n;
        if (!n) {
            polls++;
            l.accept = rng() % 24;
            uart16550_model_tx_resume(&m);
        }
        if (uart16550_model_tx_held(&m) > most)
            most = uart16550_model_tx_held(&m);
    }
    l.refuse = false;
    uart16550_model_tx_resume(&m);
    CHECK_EQ(l.ntx, N);
    CHECK_EQ(l.fnv, want);
    CHECK_EQ(m.stats.tx_overflows, 0);
    CHECK_EQ(most, 17);
    CHECK(polls > 1000);
    CHECK_EQ(rd(&m, LSR), IDLE);

    /* A guest that never looks, with the host stalled for good. */
    setup(&m, &l);
    wr(&m, FCR, FIFO);
    l.refuse = true;
    for (unsigned i = 0; i < N; i++)
        wr(&m, THR, (uint8_t)i);
    CHECK_EQ(uart16550_model_tx_held(&m), 17);
    CHECK_EQ(m.stats.tx_overflows, N - 17);
    CHECK_EQ(rd(&m, LSR), 0x00);
    l.refuse = false;
    uart16550_model_tx_resume(&m);
    CHECK_EQ(l.ntx, 17);
    for (unsigned i = 0; i < 17; i++)     /* the first 17, in order */
        CHECK_EQ(l.tx[i], i);
}

/* The interrupt-driven driver against the model: a THRE handler that
   fills the FIFO 16 bytes at a time, with the host taking output in
   bursts; every byte arrives once, in order. */
TEST(tx_irq_driven)
{
    enum { N = 100000 };
    static uint8_t data[N];
    uart16550_model m;
    hooklog l;
    uart16550_drv u = { drv_rd, drv_wr, &m };
    uint32_t want = 2166136261u;
    unsigned sent = 0, irqs = 0, loops = 0;

    for (unsigned i = 0; i < N; i++) {
        data[i] = (uint8_t)(i ^ (i >> 8));
        want = (want ^ data[i]) * 16777619u;
    }
    setup(&m, &l);
    uart16550_drv_init(&u, UART16550_DIVISOR_115200);
    l.refuse = true;
    rng_seed(77);
    wr(&m, IER, ETBEI);                   /* THR empty: the interrupt comes at once */
    while (sent < N && loops++ < 10 * N) {
        if (l.level) {
            uint8_t src = uart16550_drv_irq_source(&u);

            irqs++;
            CHECK_EQ(src, UART16550_IIR_THRE);
            sent += uart16550_drv_tx_fill(&u, data + sent, N - sent);
        } else {
            l.accept = rng() % 40;        /* the host drains some */
            uart16550_model_tx_resume(&m);
        }
    }
    l.refuse = false;
    uart16550_model_tx_resume(&m);
    CHECK_EQ(sent, N);
    CHECK_EQ(l.ntx, N);
    CHECK_EQ(l.fnv, want);
    CHECK(irqs >= N / 16);
    CHECK(irqs <= N / 16 + 2);            /* 16 bytes per interrupt */
    CHECK_EQ(m.stats.tx_overflows, 0);
}

/* ---- model: line status, break ---- */

/* PC16550D, LSR bits 2-4 and 7: in FIFO mode an error belongs to its
   character and shows when that character reaches the top of the FIFO;
   bit 7 is set while any error is in the FIFO, cleared by an LSR read once
   none is left. A break is one 0 byte with BI. RLS has priority 1. */
TEST(line_status_break)
{
    uart16550_model m;
    hooklog l;
    uart16550_drv u = { drv_rd, drv_wr, &m };
    uint8_t buf[16];

    setup(&m, &l);
    wr(&m, MCR, OUT2);
    wr(&m, FCR, FIFO);
    wr(&m, IER, ERBFI | ELSI);
    CHECK(uart16550_model_receive(&m, 'a'));
    CHECK(uart16550_model_break(&m));
    CHECK(uart16550_model_receive(&m, 'b'));
    CHECK_EQ(rd(&m, IIR), 0xc4);          /* the break is not on top yet */
    CHECK_EQ(rd(&m, LSR), LSR_ERR | IDLE | DR); /* 0xe1: but it is in the FIFO */
    CHECK_EQ(rd(&m, RBR), 'a');
    CHECK_EQ(rd(&m, IIR), 0xc6);          /* now it is: RLS first */
    CHECK_EQ(rd(&m, LSR), LSR_ERR | IDLE | BI | DR); /* 0xf1 */
    CHECK_EQ(rd(&m, LSR), IDLE | DR);     /* read: BI and bit 7 gone */
    CHECK_EQ(rd(&m, IIR), 0xc4);
    CHECK_EQ(rd(&m, RBR), 0x00);          /* the break's character */
    CHECK_EQ(rd(&m, RBR), 'b');
    CHECK_EQ(rd(&m, LSR), IDLE);
    CHECK_EQ(rd(&m, IIR), 0xc1);
    CHECK(!l.level);

    /* Without FIFOs: BI at once, bit 7 always 0. */
    setup(&m, &l);
    CHECK(uart16550_model_break(&m));
    CHECK_EQ(rd(&m, LSR), IDLE | BI | DR); /* 0x71 */
    CHECK_EQ(rd(&m, LSR), IDLE | DR);
    CHECK_EQ(rd(&m, RBR), 0);
    CHECK(uart16550_model_receive(&m, 'c'));
    CHECK(!uart16550_model_break(&m));    /* overrun: replaces 'c', with BI */
    CHECK_EQ(rd(&m, LSR), IDLE | BI | OE | DR);
    CHECK_EQ(rd(&m, RBR), 0);
    CHECK_EQ(m.stats.rx_overruns, 1);

    /* The driver's drain stops after a byte that came with an error. */
    setup(&m, &l);
    wr(&m, FCR, FIFO);
    CHECK(uart16550_model_receive(&m, 'x'));
    CHECK(uart16550_model_break(&m));
    CHECK(uart16550_model_receive(&m, 'y'));
    CHECK_EQ(uart16550_drv_rx_drain(&u, buf, sizeof buf), 2);
    CHECK_EQ(buf[0], 'x');
    CHECK_EQ(buf[1], 0);
    CHECK_EQ(uart16550_drv_rx_drain(&u, buf, sizeof buf), 1);
    CHECK_EQ(buf[0], 'y');
    CHECK_EQ(uart16550_drv_rx_drain(&u, buf, sizeof buf), 0);
    /* In loopback a break from the wire does not arrive. */
    wr(&m, MCR, LOOP);
    CHECK(!uart16550_model_break(&m));
    CHECK_EQ(rd(&m, LSR), IDLE);
}

/* ---- model: MMIO register stride ---- */

/* cfg.reg_shift 0..3: register r at offset r << shift, reached by any
   access from 1 byte up to the stride; the register in the low byte,
   zeros above; the low byte of a write. Off the stride, wider than it, or
   past the eighth register: all-ones, nothing changes. */
TEST(stride)
{
    static const unsigned widths[] = { 1, 2, 4, 8 };

    for (unsigned shift = 0; shift < 5; shift++) {
        uart16550_model m;
        hooklog l;
        uart16550_state before, after;
        unsigned stride = 1u << shift;

        setup(&m, &l);
        m.cfg.reg_shift = shift;
        CHECK_EQ(UART16550_MODEL_LEN(shift), 8u << shift);
        for (unsigned w = 0; w < 4; w++) {
            unsigned width = widths[w];
            bool ok = shift < 4 && width <= stride;
            uint64_t v;

            uart16550_model_write(&m, 7u << shift, width, 0x0123456789abcd00ull | (0x40 + w));
            v = uart16550_model_read(&m, 7u << shift, width);
            if (ok)
                CHECK_EQ(v, 0x40 + w);
            else
                CHECK(v == (width == 8 ? UINT64_MAX : (1ull << 8 * width) - 1));
            v = uart16550_model_read(&m, (uint64_t)UART16550_LSR << shift, width);
            if (ok)
                CHECK_EQ(v, IDLE);        /* a 4-byte LSR read at stride 4: 0x00000060 */
        }
        if (shift >= 4) {                 /* an impossible stride decodes nothing */
            CHECK_EQ(m.s.scr, 0);
            continue;
        }
        /* RBR through a wide access pops exactly one byte. */
        CHECK(uart16550_model_receive(&m, 'w'));
        CHECK_EQ(uart16550_model_read(&m, 0, stride), 'w');
        CHECK_EQ(m.s.rx_count, 0);
        uart16550_model_write(&m, 0, stride, 0xffffff00u | 'z');
        CHECK_EQ(l.ntx, 1);
        CHECK_EQ(l.tx[0], 'z');
        /* Off the stride and past the end: nothing. */
        CHECK(uart16550_model_receive(&m, 'k'));
        CHECK(save(&m, &before));
        for (uint64_t off = 0; off < (16u << shift); off++) {
            if ((off % stride) == 0 && off < (8u << shift))
                continue;
            for (unsigned w = 0; w < 4; w++) {
                uint64_t v = uart16550_model_read(&m, off, widths[w]);

                CHECK(v == (widths[w] == 8 ? UINT64_MAX : (1ull << 8 * widths[w]) - 1));
                uart16550_model_write(&m, off, widths[w], 0);
            }
        }
        CHECK(save(&m, &after));
        CHECK(state_eq(&before, &after));
        CHECK_EQ(l.ntx, 1);
        CHECK_EQ(uart16550_model_read(&m, (uint64_t)UART16550_SCR << shift, 1), 0x40 + shift);
    }
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

    /* States the chip cannot be in, each refused with nothing changed. */
    CHECK(save(&m, &before));
    for (unsigned i = 0; i < 26; i++) {
        bad = good;
        switch (i) {
        case 0: bad.fcr = 0; bad.rx_count = 2; break;      /* 2 bytes, no FIFO */
        case 1: bad.tx_count = 17; bad.tsr_full = 1; break;
        case 2: bad.tx_head = 16; break;
        case 3: bad.fcr = 0; bad.tx_count = 2; bad.tsr_full = 1; break;
        case 4: bad.tx_count = 1; bad.tsr_full = 0; break; /* FIFO behind an empty TSR */
        case 5: bad.tsr_full = 2; break;
        case 6: bad.tsr_full = 1; bad.mcr = LOOP; break;   /* held in loopback */
        case 7: bad.tx_count = 1; bad.tsr_full = 1; bad.thre_pending = 1; break;
        case 8: bad.thre_pending = 2; break;
        case 9: bad.irq_level = 2; break;
        case 10: bad.ier = 0x10; break;
        case 11: bad.mcr = 0x20; break;
        case 12: bad.lsr = DR; break;                      /* computed, never stored */
        case 13: bad.lsr = THRE; break;
        case 14: bad.lsr = LSR_ERR; break;
        case 15: bad.fcr = FIFO | CLR_RX; break;
        case 16: bad.fcr = FIFO | 0x08; break;
        case 17: bad.modem_in = 0x01; break;
        case 18: bad.rx_err[3] = OE; break;                /* OE is not per byte */
        case 19: bad.reserved[0] = 1; break;
        case 20: bad.rx_ns = 10; bad.now_ns = 9; break;    /* activity in the future */
        case 21: bad.rx_err[bad.rx_head] = PE; break;      /* the top shows it in LSR */
        case 22: bad.rx_err[(bad.rx_head + 5) % 16] = FE; break; /* not a queued byte */
        case 23: bad.cti = 2; break;
        case 24: bad.cti = 1; bad.fcr = 0; break;          /* a timeout needs FIFOs */
        case 25: bad.cti = 1; bad.rx_count = 0; break;     /* ...and a byte */
        }
        CHECK(!restore(&m, &bad));
        CHECK(save(&m, &after));
        CHECK(state_eq(&before, &after));
    }
    /* and ones it can: output held behind a refusing host, errors in the
       FIFO, a timeout a second old. */
    bad = good;
    bad.tsr_full = 1;
    bad.tsr = 'T';
    bad.tx_count = 2;
    bad.tx_head = 15;
    bad.tx[15] = 'U';
    bad.tx[0] = 'V';
    bad.rx_count = 2;
    bad.rx[(bad.rx_head + 1) % 16] = 'b';
    bad.rx_err[(bad.rx_head + 1) % 16] = PE | FE | BI;
    bad.rx_ns = 7;
    bad.now_ns = 1000000007;
    CHECK(restore(&m, &bad));
    CHECK_EQ(uart16550_model_tx_held(&m), 3);
    /* THR full: neither THRE nor TEMT; an error waits in the FIFO: bit 7. */
    CHECK_EQ(rd(&m, LSR), LSR_ERR | DR);
    CHECK_EQ(rd(&m, RBR), 'a');
    CHECK_EQ(rd(&m, LSR), LSR_ERR | BI | FE | PE | DR); /* 'b' on top, shown */
    CHECK_EQ(rd(&m, LSR), DR);                          /* cleared by the read */
    CHECK_EQ(rd(&m, RBR), 'b');
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
    uart16550_model_hooks h = { on_tx, on_irq, refill, on_now, on_wake, &l };

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

/* LSR as the datasheet defines it, from the state: the latched errors,
   DR, THRE (THR or the TX FIFO empty), TEMT (and the shift register), and
   with FIFOs bit 7 for an error in LSR or anywhere in the FIFO. */
static uint8_t expect_lsr(const uart16550_model *m)
{
    const uart16550_state *s = &m->s;
    uint8_t v = s->lsr, any = s->lsr & (PE | FE | BI);

    for (unsigned i = 0; i < s->rx_count; i++)
        any |= s->rx_err[(s->rx_head + i) % 16];
    if (s->rx_count) v |= DR;
    if (!s->tx_count) v |= THRE;
    if (!s->tx_count && !s->tsr_full) v |= TEMT;
    if ((s->fcr & FIFO) && any) v |= LSR_ERR;
    return v;
}

static uint64_t state_timeout(const uart16550_state *s)
{
    uint32_t div = s->dll | (uint32_t)s->dlm << 8;

    return want_timeout(s->lcr, div ? div : 65536);
}

/* IIR as the datasheet's priority table gives it, from the state: with
   FIFOs and fewer bytes than the trigger level, CTI only once 4 character
   times have passed since the last byte received or read. */
static uint8_t expect_iir(const uart16550_model *m)
{
    static const uint8_t trig[4] = { 1, 4, 8, 14 };
    const uart16550_state *s = &m->s;
    uint8_t fifo = (s->fcr & FIFO) ? 0xc0 : 0;

    if ((s->ier & ELSI) && (s->lsr & 0x1e))
        return 0x06 | fifo;
    if ((s->ier & ERBFI) && s->rx_count) {
        if (!fifo || s->rx_count >= trig[s->fcr >> 6])
            return 0x04 | fifo;
        if (s->cti)
            return 0x0c | fifo;
    }
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

/* The deadline the model must give: the timeout's end, while it could
   raise the line and has not passed. */
static uint64_t expect_deadline(const uart16550_model *m)
{
    static const uint8_t trig[4] = { 1, 4, 8, 14 };
    const uart16550_state *s = &m->s;
    uint64_t t = state_timeout(s);
    bool gated = m->cfg.out2_gates_irq && (!(s->mcr & OUT2) || (s->mcr & LOOP));

    if (!(s->ier & ERBFI) || !(s->fcr & FIFO) || !s->rx_count || s->rx_count >= trig[s->fcr >> 6] ||
        gated || s->cti || s->now_ns - s->rx_ns >= t || s->rx_ns > UINT64_MAX - t)
        return UART16550_NO_DEADLINE;
    return s->rx_ns + t;
}

static unsigned g_shift;    /* the stress test's register stride */
static unsigned g_cti_seen; /* IIR reads that gave the character timeout */

static uint8_t srd(uart16550_model *m, unsigned reg)
{
    return (uint8_t)uart16550_model_read(m, (uint64_t)reg << g_shift, 1);
}

/* A read of `width` bytes wider than the stride returns all-ones of the
   width and leaves the state as it was. */
static bool wide_read_is_inert(uart16550_model *m, uint64_t reg, unsigned width)
{
    uart16550_state before, after;
    uint64_t v;

    if (!CHECK(save(m, &before)))
        return false;
    v = uart16550_model_read(m, reg << g_shift, width);
    return CHECK(v == (width >= 8 ? UINT64_MAX : (1ull << 8 * width) - 1)) &&
           CHECK(save(m, &after)) && CHECK(state_eq(&before, &after));
}

/* One step, coded in three bytes (as a fuzzer would give them). Returns
   false after reporting the first broken invariant. */
static bool step(uart16550_model *m, hooklog *l, const uint8_t op[3])
{
    unsigned reg = op[1] & 15;
    unsigned room = uart16550_model_rx_space(m), nroom = l->nroom, nwake = l->nwake;
    uint64_t due = uart16550_model_poll(m, m->s.now_ns);
    bool timed = false, popped = false;
    uart16550_state s;

    switch (op[0] % 10) {
    case 0: case 1: case 2: { /* read; one in eight too wide */
        uint8_t want, lsr, head = m->s.rx[m->s.rx_head];
        bool dlab = m->s.lcr & DLAB, had = m->s.rx_count != 0;
        uint8_t v;

        if ((op[0] >> 4) % 8 == 7) {
            if (!wide_read_is_inert(m, reg & 7, (2u << g_shift) << op[2] % 2)) return false;
            break;
        }
        if (m->hooks.now && l->now > m->s.now_ns) /* the read sees this time, */
            m->s.now_ns = l->now;
        if ((m->s.fcr & FIFO) && m->s.rx_count && /* and a timeout due by then */
            m->s.now_ns - m->s.rx_ns >= state_timeout(&m->s))
            m->s.cti = 1;
        want = reg >= 8 ? 0xff : expect_iir(m);
        lsr = expect_lsr(m);
        v = srd(m, reg);
        if ((reg >= 8 || reg == IIR) && !CHECK_EQ(v, want)) return false;
        g_cti_seen += reg == IIR && (v & 0x0f) == 0x0c;
        if (reg == LSR && !CHECK_EQ(v, lsr)) return false;
        if (reg == RBR && !dlab && !CHECK_EQ(v, had ? head : 0)) return false;
        popped = reg == RBR && !dlab;
        break;
    }
    case 3: case 4: case 5: { /* write; favour the registers with effects */
        unsigned r = op[0] & 16 ? reg : (op[0] >> 5) % 5;
        uint8_t v = op[2];

        if ((m->s.lcr & DLAB) && r <= DLM && (op[1] & 0x30)) /* mostly short divisors, */
            v = r == DLM ? 0 : v & 7;                          /* so timeouts happen */
        if (r == FCR && (op[1] & 0x40))                        /* FIFOs mostly on */
            v |= FIFO;
        uart16550_model_write(m, (uint64_t)r << g_shift, 1, v);
        break;
    }
    case 6: {
        unsigned space = uart16550_model_rx_space(m);
        bool ok = (op[1] & 0x80) ? uart16550_model_break(m) : uart16550_model_receive(m, op[2]);

        if (!CHECK_EQ(ok, space > 0 && !(m->s.mcr & LOOP))) return false;
        break;
    }
    case 7: /* the host's output side */
        l->refuse = op[1] & 1;
        l->accept = op[2] % 8;
        if (op[1] & 2)
            uart16550_model_tx_resume(m);
        break;
    case 8: /* time: forward by 0 .. 16 ms through poll or the now hook, or
               a poll with an earlier time, which must change nothing */
        timed = true;
        if (op[1] & 1) {
            l->now = m->s.now_ns + (uint64_t)op[2] * (op[1] & 2 ? 65536 : 16);
            uart16550_model_poll(m, l->now);
        } else {
            uart16550_model_poll(m, m->s.now_ns > op[2] ? m->s.now_ns - op[2] : 0);
        }
        break;
    case 9:
        if (op[1] & 1) {
            uart16550_model_set_modem(m, op[2]);
        } else if (op[2] == 0) {
            uart16550_model_reset(m);
        } else { /* snapshot round trip */
            if (!CHECK(save(m, &s)) || !CHECK(restore(m, &s))) return false;
            timed = true; /* a restore wakes for any deadline */
        }
        break;
    }
    /* rx_room: exactly when the receiver went from no room to some. */
    if (!CHECK_EQ(l->nroom - nroom, room == 0 && uart16550_model_rx_space(m) > 0) ||
        (l->nroom != nroom && !CHECK(l->room_space > 0)))
        return false;
    /* wake: whenever an access moved the deadline earlier. */
    if (!timed && uart16550_model_poll(m, m->s.now_ns) < due && !CHECK(l->nwake > nwake))
        return false;
    /* The timeout: latched once due, cleared by a read of RBR or an empty
       FIFO, never without FIFOs. */
    if (!CHECK_EQ(m->s.cti, m->s.cti ||
                  ((m->s.fcr & FIFO) && m->s.rx_count &&
                   m->s.now_ns - m->s.rx_ns >= state_timeout(&m->s))) ||
        (m->s.cti && !CHECK((m->s.fcr & FIFO) && m->s.rx_count)) ||
        (popped && !CHECK(!m->s.cti)))
        return false;
    if (!CHECK(m->s.rx_count <= 16) || !CHECK(m->s.rx_head < 16) ||
        !CHECK(m->s.tx_count <= 16) || !CHECK(m->s.tx_head < 16) ||
        !CHECK(uart16550_model_tx_held(m) <= 17) ||
        !CHECK_EQ(l->level, expect_line(m)) || !CHECK_EQ(m->s.irq_level, l->level) ||
        !CHECK_EQ(uart16550_model_poll(m, m->s.now_ns), expect_deadline(m)) ||
        !CHECK_EQ(uart16550_model_rx_space(m),
                  (m->s.mcr & LOOP) ? 0 : ((m->s.fcr & FIFO) ? 16 : 1) - m->s.rx_count))
        return false;
    return true;
}

/* book/security.md, rules 1 to 3: a million hostile steps (registers,
   bytes, breaks, a stalling host, time forward and back, resets and
   snapshots) at each stride, under ASan and UBSan, against the
   datasheet's IIR, LSR, line and deadline computed from the state. */
TEST(stress)
{
    for (unsigned run = 0; run < 4; run++) {
        uart16550_model m;
        hooklog l;
        unsigned i, n = 250000;

        setup(&m, &l);
        set_line(&m, UART16550_LCR_8N1, 1);
        g_shift = run % 4;
        m.cfg.reg_shift = g_shift;
        m.cfg.out2_gates_irq = run != 1;
        rng_seed(0x16550a + run);
        for (i = 0; i < n; i++) {
            uint8_t op[3] = { rng(), rng(), rng() };

            if (!step(&m, &l, op)) {
                printf("stress: step %u (run %u): op %02x %02x %02x\n", i, run, op[0], op[1],
                       op[2]);
                break;
            }
        }
        CHECK_EQ(i, n);
        CHECK(l.nirq > 100); /* the line did move */
        CHECK(l.ntx > 100);
        CHECK(l.nrefused > 100);
        CHECK(l.nwake > 10);
        CHECK(m.stats.rx_overruns > 0);
    }
    CHECK(g_cti_seen > 100);
    g_shift = 0;
}

/* ---- driver, against the model ---- */

TEST(drv_init)
{
    uart16550_model m;
    hooklog l;
    uart16550_drv u = { drv_rd, drv_wr, &m };

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
    uart16550_drv u = { drv_rd, drv_wr, &m };

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
    uart16550_drv u = { drv_rd, drv_wr, &m };

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

/* Linux's 8250 autoconfig() (drivers/tty/serial/8250/8250_port.c) on a
   freshly reset chip, step by step as the kernel does it with
   CONFIG_SERIAL_8250_16550A_VARIANTS, and what a real 16550A answers at
   each step; at the end Linux has identified a 16550A. serial_in/out are
   one-byte port accesses. */
static uint8_t in(uart16550_model *m, unsigned reg) { return rd(m, reg); }
static void out(uart16550_model *m, unsigned reg, uint8_t v) { wr(m, reg, v); }

TEST(linux_autoconfig)
{
    uart16550_model m;
    hooklog l;
    uart16550_drv u = { drv_rd, drv_wr, &m };
    uint8_t scratch, save_mcr, save_lcr, st1, st2, iersave, old_lcr, old_fcr, old_mcr;
    unsigned count, old_dl;

    setup(&m, &l);
    /* The existence test: IER holds 0 and 0x0F in its low nibble. */
    scratch = in(&m, IER);
    CHECK_EQ(scratch, 0);
    out(&m, IER, 0);
    CHECK_EQ(in(&m, IER) & 0x0f, 0);
    out(&m, IER, 0x0f);
    CHECK_EQ(in(&m, IER) & 0x0f, 0x0f);
    out(&m, IER, scratch);
    save_mcr = in(&m, MCR);
    save_lcr = in(&m, LCR);
    CHECK_EQ(save_mcr, 0);
    CHECK_EQ(save_lcr, 0);
    /* The loopback test: MCR = LOOP|OUT2|RTS; CTS and DCD, 0x90. */
    out(&m, MCR, 0x1a);
    CHECK_EQ(in(&m, MSR) & 0xf0, 0x90);
    out(&m, MCR, save_mcr);
    /* EFR (offset 2 with LCR = 0xBF) to 0: on a 16550A an FCR write. */
    out(&m, LCR, 0xbf);
    out(&m, 2, 0);
    out(&m, LCR, 0);
    out(&m, FCR, 0x01);
    CHECK_EQ(in(&m, IIR) >> 6, 3);        /* FIFOs: autoconfig_16550a() */
    /* No EFR with LCR = 0x80 or 0xBF: offset 2 reads IIR, not 0. */
    out(&m, LCR, 0x80);
    CHECK_EQ(in(&m, 2), 0xc1);
    out(&m, LCR, 0xbf);
    CHECK_EQ(in(&m, 2), 0xc1);
    /* Not a National SuperIO: "EXCR1" (offset 2 with LCR = 0xE0) does not
       follow MCR.LOOP. */
    out(&m, LCR, 0);
    st1 = in(&m, MCR);
    out(&m, LCR, 0xe0);
    st2 = in(&m, 2);
    CHECK_EQ(st2, 0xc1);
    CHECK(!((st1 ^ st2) & LOOP));
    out(&m, LCR, 0);
    out(&m, MCR, (uint8_t)(st1 ^ LOOP));
    out(&m, LCR, 0xe0);
    st2 = in(&m, 2);
    out(&m, LCR, 0);
    out(&m, MCR, st1);
    CHECK(!((st2 ^ st1) & LOOP));
    /* Not a 16750: IIR bit 5 stays 0 after FCR bit 5, with or without DLAB. */
    out(&m, LCR, 0);
    out(&m, FCR, 0x21);
    st1 = in(&m, IIR) >> 5;
    out(&m, FCR, 0x01);
    out(&m, LCR, 0x80);
    out(&m, FCR, 0x21);
    st2 = in(&m, IIR) >> 5;
    out(&m, FCR, 0x01);
    out(&m, LCR, 0);
    CHECK_EQ(st1, 6);
    CHECK_EQ(st2, 6);
    /* Not an XScale: IER bit 6 (UUE) does not stick. */
    iersave = in(&m, IER);
    out(&m, IER, iersave & ~0x40);
    CHECK_EQ(in(&m, IER) & 0x40, 0);
    out(&m, IER, iersave | 0x40);
    CHECK_EQ(in(&m, IER) & 0x40, 0);
    out(&m, IER, iersave);
    /* size_fifo(): 256 bytes in loopback at divisor 1; 16 come back. */
    old_lcr = in(&m, LCR);
    out(&m, LCR, 0);
    old_fcr = in(&m, FCR);                /* reads IIR: 0xC1 */
    CHECK_EQ(old_fcr, 0xc1);
    old_mcr = in(&m, MCR);
    out(&m, FCR, 0x07);
    out(&m, MCR, LOOP);
    out(&m, LCR, 0x80);
    old_dl = in(&m, DLL) | in(&m, DLM) << 8;
    out(&m, DLL, 1);
    out(&m, DLM, 0);
    out(&m, LCR, 0x03);
    for (count = 0; count < 256; count++)
        out(&m, THR, (uint8_t)count);
    l.now += 20000000;                    /* mdelay(20) */
    for (count = 0; (in(&m, LSR) & DR) && count < 256; count++)
        CHECK_EQ(in(&m, RBR), count);     /* the FIFO kept the first 16 */
    CHECK_EQ(count, 16);
    out(&m, FCR, old_fcr);
    out(&m, MCR, old_mcr);
    out(&m, LCR, 0x80);
    out(&m, DLL, (uint8_t)old_dl);
    out(&m, DLM, (uint8_t)(old_dl >> 8));
    out(&m, LCR, old_lcr);
    /* "Reset the UART". */
    out(&m, LCR, save_lcr);
    out(&m, MCR, save_mcr);
    out(&m, FCR, 0x01);
    out(&m, FCR, 0x07);
    out(&m, FCR, 0);
    in(&m, RBR);
    out(&m, IER, 0);
    CHECK_EQ(in(&m, IIR), 0x01);
    CHECK_EQ(in(&m, LSR) & 0x7f, IDLE);   /* OE of the size test read away */
    CHECK_EQ(l.ntx, 0);                   /* nothing reached the wire */
    CHECK_EQ(l.nirq, 0);                  /* OUT2 off throughout */

    /* autoconfig_irq(): OUT2 on, every source enabled, one byte out: the
       line rises, so Linux finds the IRQ. */
    save_mcr = in(&m, MCR);
    iersave = in(&m, IER);
    out(&m, MCR, OUT1 | OUT2);
    out(&m, MCR, 0);
    out(&m, MCR, DTR | RTS | OUT2);
    out(&m, IER, 0x0f);
    CHECK(l.level);                       /* THR empty: THRE at once */
    in(&m, LSR);
    in(&m, RBR);
    in(&m, IIR);                          /* acknowledges THRE */
    in(&m, MSR);
    CHECK(!l.level);
    out(&m, THR, 0xff);
    CHECK(l.level);
    out(&m, MCR, save_mcr);
    out(&m, IER, iersave);
    CHECK(!l.level);
    CHECK_EQ(l.ntx, 1);
    CHECK_EQ(l.tx[0], 0xff);

    /* Our driver takes the same steps and says the same. */
    CHECK_EQ(uart16550_drv_identify(&u), UART16550_TYPE_16550A);
    CHECK_EQ(m.s.fcr, 0);                 /* left with the FIFOs off */
    CHECK_EQ(m.s.ier, 0);
    CHECK_EQ(m.s.mcr, save_mcr);
    uart16550_drv_init(&u, UART16550_DIVISOR_115200);
    CHECK_EQ(uart16550_drv_identify(&u), UART16550_TYPE_16550A);
    CHECK_EQ(m.s.mcr, DTR | RTS | OUT2);  /* its outputs back */
    CHECK_EQ(m.s.lcr, UART16550_LCR_8N1);
    CHECK_EQ(l.ntx, 1);
}

/* The interrupt helpers and the FIFO init, against the model. */
TEST(drv_irq_helpers)
{
    uart16550_model m;
    hooklog l;
    uart16550_drv u = { drv_rd, drv_wr, &m };
    uint8_t buf[32];

    setup(&m, &l);
    uart16550_drv_init_fifo(&u, 12, UART16550_FCR_TRIG_14 | 0x3e); /* junk bits ignored */
    CHECK_EQ(m.s.fcr, 0xc1);
    CHECK_EQ(m.s.dll, 12);
    CHECK_EQ(uart16550_drv_irq_source(&u), UART16550_IIR_NONE);
    wr(&m, IER, 0x0f);
    CHECK_EQ(uart16550_drv_irq_source(&u), UART16550_IIR_THRE);
    CHECK_EQ(uart16550_drv_irq_source(&u), UART16550_IIR_NONE);
    for (unsigned i = 0; i < 13; i++)
        uart16550_model_receive(&m, (uint8_t)('a' + i));
    CHECK_EQ(uart16550_drv_irq_source(&u), UART16550_IIR_NONE); /* below 14, in time */
    l.now = uart16550_model_timeout_ns(&m);
    CHECK_EQ(uart16550_drv_irq_source(&u), UART16550_IIR_CTI);
    uart16550_model_receive(&m, 'n');
    CHECK_EQ(uart16550_drv_irq_source(&u), UART16550_IIR_RDA);
    CHECK_EQ(uart16550_drv_rx_drain(&u, buf, 10), 10);
    CHECK(memcmp(buf, "abcdefghij", 10) == 0);
    CHECK_EQ(uart16550_drv_rx_drain(&u, buf, sizeof buf), 4);
    CHECK(memcmp(buf, "klmn", 4) == 0);
    CHECK_EQ(uart16550_drv_rx_drain(&u, buf, sizeof buf), 0);
    CHECK_EQ(uart16550_drv_rx_drain(&u, buf, 0), 0);
    uart16550_model_set_modem(&m, CTS);
    CHECK_EQ(uart16550_drv_irq_source(&u), UART16550_IIR_MSR);
    rd(&m, MSR);
    for (unsigned i = 0; i < 17; i++)
        uart16550_model_receive(&m, 1);
    CHECK_EQ(uart16550_drv_irq_source(&u), UART16550_IIR_RLS);
    rd(&m, LSR);
    /* tx_fill: 16 with FIFOs, 1 without, none while THR is not empty. */
    l.refuse = true;
    CHECK_EQ(uart16550_drv_tx_fill(&u, (const uint8_t *)"0123456789abcdefXYZ", 19), 16);
    CHECK_EQ(uart16550_model_tx_held(&m), 16);
    CHECK_EQ(uart16550_drv_tx_fill(&u, (const uint8_t *)"XYZ", 3), 0);
    l.refuse = false;
    uart16550_model_tx_resume(&m);
    CHECK_EQ(uart16550_drv_tx_fill(&u, (const uint8_t *)"XYZ", 3), 3);
    CHECK_EQ(uart16550_drv_tx_fill(&u, (const uint8_t *)"", 0), 0);
    CHECK_EQ(l.ntx, 19);
    CHECK(memcmp(l.tx, "0123456789abcdefXYZ", 19) == 0);
    wr(&m, FCR, 0);
    CHECK_EQ(uart16550_drv_tx_fill(&u, (const uint8_t *)"pq", 2), 1);
    CHECK_EQ(l.ntx, 20);
}

/* ---- driver, against broken hardware ---- */

typedef struct fake {
    uart16550_model m; /* what is behind the bus, if anything */
    unsigned kind;     /* FLOAT, NO_SCR, ... below */
    unsigned reads, writes;
} fake;

enum { FLOAT, NO_SCR, ONE_SCR, STUCK_DR, NO_THRE, /* broken */
       IIR_00, IIR_00_NO_SCR, IIR_01, IIR_10,     /* older or odd chips */
       NO_LOOP, IER_STUCK };

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
    case IIR_00: /* a 16450: no FIFO bits in IIR */
    case IIR_00_NO_SCR: /* an 8250: and no scratch register either */
        if (reg == IIR) return rd(&f->m, reg) & 0x3f;
        if (reg == SCR && f->kind == IIR_00_NO_SCR) return 0xff;
        break;
    case IIR_01:
        if (reg == IIR) return (rd(&f->m, reg) & 0x3f) | 0x40;
        break;
    case IIR_10: /* the original 16550, whose FIFOs do not work */
        if (reg == IIR) return (rd(&f->m, reg) & 0x3f) | 0x80;
        break;
    case NO_LOOP: /* loopback does not reach the modem inputs */
        if (reg == MSR) return CTS | DSR | DCD;
        break;
    case IER_STUCK: /* IER reads 0 whatever is written */
        if (reg == IER) return 0;
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

/* uart16550_drv_identify() tells the kinds apart as Linux does, and
   leaves each chip as Linux leaves it. */
TEST(drv_identify)
{
    static const struct { unsigned kind; uart16550_type want; } k[] = {
        { FLOAT, UART16550_TYPE_NONE },      { IER_STUCK, UART16550_TYPE_NONE },
        { NO_LOOP, UART16550_TYPE_NONE },    { IIR_00, UART16550_TYPE_16450 },
        { IIR_00_NO_SCR, UART16550_TYPE_8250 }, { IIR_01, UART16550_TYPE_UNKNOWN },
        { IIR_10, UART16550_TYPE_16550 },    { NO_SCR, UART16550_TYPE_16550A },
        { STUCK_DR, UART16550_TYPE_16550A },
    };
    fake f;
    hooklog l;
    uart16550_drv u = { fake_read, fake_write, &f };

    for (unsigned i = 0; i < sizeof k / sizeof k[0]; i++) {
        fake_setup(&f, k[i].kind, &l);
        wr(&f.m, SCR, 0x77);
        wr(&f.m, LCR, 0x1b);
        wr(&f.m, MCR, DTR | OUT2);
        CHECK_EQ(uart16550_drv_identify(&u), k[i].want);
        CHECK(f.reads <= 16);             /* no loops */
        if (k[i].kind == FLOAT)
            continue;
        if (k[i].kind != IIR_00_NO_SCR)   /* (that fake's SCR reads 0xFF) */
            CHECK_EQ(f.m.s.scr, 0x77);    /* kept, even by the scratch test */
        CHECK_EQ(f.m.s.lcr, 0x1b);
        CHECK_EQ(f.m.s.mcr, DTR | OUT2);
        CHECK_EQ(l.ntx, 0);
    }
    /* probe: only a 16450 or newer with a scratch register and a working
       loopback counts. */
    fake_setup(&f, IIR_00, &l);
    CHECK(uart16550_drv_probe(&u));
    fake_setup(&f, IIR_00_NO_SCR, &l);
    CHECK(!uart16550_drv_probe(&u));
    fake_setup(&f, IIR_01, &l);
    CHECK(!uart16550_drv_probe(&u));
    fake_setup(&f, IIR_10, &l);
    CHECK(uart16550_drv_probe(&u));
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
           TEST_ENTRY(trigger_levels), TEST_ENTRY(char_timeout), TEST_ENTRY(no_fifo_one_byte),
           TEST_ENTRY(overrun), TEST_ENTRY(fcr), TEST_ENTRY(iir_priority),
           TEST_ENTRY(tx_backpressure), TEST_ENTRY(tx_megabyte), TEST_ENTRY(tx_irq_driven),
           TEST_ENTRY(line_status_break), TEST_ENTRY(stride), TEST_ENTRY(loopback),
           TEST_ENTRY(loopback_flood), TEST_ENTRY(msr_interrupt), TEST_ENTRY(out_of_range),
           TEST_ENTRY(read_only_writes), TEST_ENTRY(wide_access), TEST_ENTRY(save_restore),
           TEST_ENTRY(restore_rejects), TEST_ENTRY(save_small_buffer),
           TEST_ENTRY(restore_bad_size), TEST_ENTRY(restore_drives_irq), TEST_ENTRY(rx_room),
           TEST_ENTRY(rx_room_refill), TEST_ENTRY(asserts_wired), TEST_ENTRY(stress),
           TEST_ENTRY(drv_init), TEST_ENTRY(drv_putc_getc), TEST_ENTRY(linux_autoconfig),
           TEST_ENTRY(drv_irq_helpers), TEST_ENTRY(drv_probe_model),
           TEST_ENTRY(drv_probe_broken), TEST_ENTRY(drv_identify), TEST_ENTRY(drv_putc_stuck))
