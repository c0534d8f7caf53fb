/* uart16550_test.c - white-box tests of the 16550 model, and of the driver
   run against the model through its access hooks.

   Each test drives registers the way a guest would and asserts on register
   values, IIR codes, LSR bits and what the model told its hooks (bytes
   transmitted, interrupt line levels). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UART16550_IMPLEMENTATION
#include "uart16550.h"

static int failed_checks, checks;
static const char *current;

#define CHECK(c) check_((c), #c, __LINE__)
#define CHECK_EQ(a, b) check_eq_((long)(a), (long)(b), #a, #b, __LINE__)

static void check_(int ok, const char *what, int line)
{
    checks++;
    if (!ok) {
        failed_checks++;
        printf("uart16550_test.c:%d: FAIL in %s: %s\n", line, current, what);
    }
}

static void check_eq_(long a, long b, const char *ea, const char *eb, int line)
{
    checks++;
    if (a != b) {
        failed_checks++;
        printf("uart16550_test.c:%d: FAIL in %s: %s == %ld (0x%lx), want %s == %ld (0x%lx)\n",
               line, current, ea, a, (unsigned long)a, eb, b, (unsigned long)b);
    }
}

/* ---- a model with recording hooks ---- */

struct rec {
    uint8_t tx[256];
    unsigned ntx;
    int level;          /* last level the irq hook reported, -1 = never */
    unsigned irq_calls;
};

static void rec_tx(void *ctx, uint8_t b)
{
    struct rec *r = ctx;
    if (r->ntx < sizeof r->tx)
        r->tx[r->ntx] = b;
    r->ntx++;
}

static void rec_irq(void *ctx, bool level)
{
    struct rec *r = ctx;
    r->level = level;
    r->irq_calls++;
}

static uart16550_model m;
static struct rec r;

static void fresh(void)
{
    uart16550_model_hooks h = { rec_tx, rec_irq, &r };
    memset(&r, 0, sizeof r);
    r.level = -1;
    uart16550_model_init(&m, &h);
}

#define RD(reg) uart16550_model_read(&m, UART16550_##reg)
#define WR(reg, v) uart16550_model_write(&m, UART16550_##reg, (uint8_t)(v))

/* ---- model tests ---- */

static void test_reset_values(void)
{
    fresh();
    CHECK_EQ(RD(LSR), 0x60);
    CHECK_EQ(RD(IIR), 0x01);
    CHECK_EQ(RD(IER), 0);
    CHECK_EQ(RD(LCR), 0);
    CHECK_EQ(RD(MCR), 0);
    CHECK_EQ(RD(MSR), UART16550_MSR_CTS | UART16550_MSR_DSR | UART16550_MSR_DCD);
    CHECK_EQ(r.irq_calls, 0);
    WR(FCR, UART16550_FCR_ENABLE);
    CHECK_EQ(RD(IIR), 0xc1);
}

static void test_divisor_latch(void)
{
    fresh();
    WR(IER, 0x05);
    WR(LCR, UART16550_LCR_DLAB | 0x03);
    WR(DLL, 0x0c);
    WR(DLM, 0x01);
    CHECK_EQ(RD(DLL), 0x0c);
    CHECK_EQ(RD(DLM), 0x01);
    CHECK_EQ(r.ntx, 0);                 /* DLL write is not a transmit */
    WR(LCR, 0x03);
    CHECK_EQ(RD(IER), 0x05);            /* offset 1 is IER again */
    CHECK_EQ(m.s.dll, 0x0c);
    CHECK_EQ(m.s.dlm, 0x01);
}

static void test_scratch(void)
{
    fresh();
    for (int v = 0; v < 256; v += 17) {
        WR(SCR, v);
        CHECK_EQ(RD(SCR), v);
    }
}

static void test_transmit(void)
{
    fresh();
    WR(THR, 'h');
    WR(THR, 'i');
    CHECK_EQ(r.ntx, 2);
    CHECK_EQ(r.tx[0], 'h');
    CHECK_EQ(r.tx[1], 'i');
    CHECK_EQ(RD(LSR) & 0x60, 0x60);
}

static void test_thre_interrupt(void)
{
    fresh();
    WR(MCR, UART16550_MCR_OUT2);
    WR(IER, UART16550_IER_ETBEI);       /* THR is empty: raised at once */
    CHECK_EQ(r.level, 1);
    CHECK_EQ(RD(IIR), UART16550_IIR_THRE);
    CHECK_EQ(r.level, 0);               /* reading IIR acknowledged it */
    CHECK_EQ(RD(IIR), UART16550_IIR_NONE);
    WR(THR, 'x');                       /* empty again: latched anew */
    CHECK_EQ(r.level, 1);
    CHECK_EQ(RD(IIR), UART16550_IIR_THRE);
    WR(IER, 0);
    WR(THR, 'y');
    CHECK_EQ(r.level, 0);               /* disabled: no line */
}

static void test_out2_gating(void)
{
    fresh();
    WR(IER, UART16550_IER_ETBEI);
    CHECK(r.level != 1);                /* pending, but OUT2 is off */
    WR(MCR, UART16550_MCR_OUT2);
    CHECK_EQ(r.level, 1);
    WR(MCR, UART16550_MCR_OUT2 | UART16550_MCR_LOOP);
    CHECK_EQ(r.level, 0);               /* loopback forces OUT2 inactive */

    fresh();
    m.out2_gates_irq = false;
    WR(IER, UART16550_IER_ETBEI);
    CHECK_EQ(r.level, 1);               /* no gate on this board */
}

static void test_receive_and_triggers(void)
{
    static const uint8_t trig[4] = { 1, 4, 8, 14 };

    fresh();
    WR(MCR, UART16550_MCR_OUT2);
    WR(IER, UART16550_IER_ERBFI);
    CHECK(uart16550_model_receive(&m, 'a'));
    CHECK(RD(LSR) & UART16550_LSR_DR);
    CHECK_EQ(RD(IIR), UART16550_IIR_RDA);   /* no FIFO: any byte is enough */
    CHECK_EQ(r.level, 1);
    CHECK_EQ(RD(RBR), 'a');
    CHECK(!(RD(LSR) & UART16550_LSR_DR));
    CHECK_EQ(r.level, 0);

    for (int t = 0; t < 4; t++) {
        WR(FCR, UART16550_FCR_ENABLE | UART16550_FCR_CLR_RX | (t << 6));
        for (int i = 1; i <= trig[t]; i++) {
            uart16550_model_receive(&m, (uint8_t)i);
            CHECK_EQ(RD(IIR) & 0x0f, i < trig[t] ? UART16550_IIR_CTI : UART16550_IIR_RDA);
        }
        for (int i = 1; i <= trig[t]; i++)
            CHECK_EQ(RD(RBR), i);       /* in order */
        CHECK_EQ(RD(IIR) & 0x0f, UART16550_IIR_NONE);
    }
}

static void test_no_fifo_overrun(void)
{
    fresh();
    CHECK(uart16550_model_receive(&m, 1));
    CHECK(!uart16550_model_receive(&m, 2));     /* holding register is full */
    CHECK(RD(LSR) & UART16550_LSR_OE);
    CHECK_EQ(RD(RBR), 1);
}

static void test_fifo_overrun(void)
{
    fresh();
    WR(FCR, UART16550_FCR_ENABLE | 0xc0);
    WR(MCR, UART16550_MCR_OUT2);
    WR(IER, UART16550_IER_ELSI | UART16550_IER_ERBFI);
    for (int i = 0; i < 16; i++)
        CHECK(uart16550_model_receive(&m, (uint8_t)i));
    CHECK_EQ(uart16550_model_rx_space(&m), 0);
    CHECK(!uart16550_model_receive(&m, 99));
    CHECK_EQ(RD(IIR) & 0x0f, UART16550_IIR_RLS);
    CHECK(RD(LSR) & UART16550_LSR_OE);          /* the read clears it */
    CHECK(!(RD(LSR) & UART16550_LSR_OE));
    CHECK_EQ(RD(IIR) & 0x0f, UART16550_IIR_RDA);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(RD(RBR), i);                   /* the 17th byte was lost */
    CHECK_EQ(uart16550_model_rx_space(&m), 16);
}

static void test_fcr(void)
{
    fresh();
    WR(FCR, UART16550_FCR_ENABLE);
    uart16550_model_receive(&m, 1);
    uart16550_model_receive(&m, 2);
    WR(FCR, UART16550_FCR_ENABLE | UART16550_FCR_CLR_RX);
    CHECK(!(RD(LSR) & UART16550_LSR_DR));
    uart16550_model_receive(&m, 3);
    WR(FCR, 0);                                 /* toggling enable clears */
    CHECK(!(RD(LSR) & UART16550_LSR_DR));
    CHECK_EQ(RD(IIR), 0x01);                    /* offset 2 reads IIR, not FCR */
}

static void test_iir_priority(void)
{
    fresh();
    WR(FCR, UART16550_FCR_ENABLE);
    WR(MCR, UART16550_MCR_OUT2);
    WR(IER, UART16550_IER_ELSI | UART16550_IER_ERBFI | UART16550_IER_ETBEI);
    for (int i = 0; i < 17; i++)
        uart16550_model_receive(&m, (uint8_t)i);   /* RDA and an overrun */
    CHECK_EQ(RD(IIR) & 0x0f, UART16550_IIR_RLS);
    RD(LSR);
    CHECK_EQ(RD(IIR) & 0x0f, UART16550_IIR_RDA);
    for (int i = 0; i < 16; i++)
        RD(RBR);
    CHECK_EQ(RD(IIR) & 0x0f, UART16550_IIR_THRE);
    CHECK_EQ(RD(IIR) & 0x0f, UART16550_IIR_NONE);
}

static void test_loopback(void)
{
    fresh();
    WR(MCR, UART16550_MCR_LOOP | UART16550_MCR_RTS);
    CHECK_EQ(RD(MSR) & 0xf0, UART16550_MSR_CTS);    /* CTS = RTS */
    WR(THR, 'L');
    CHECK_EQ(r.ntx, 0);                             /* not to the wire */
    CHECK_EQ(RD(RBR), 'L');
    CHECK(!uart16550_model_receive(&m, 'w'));       /* the wire is cut */
    WR(MCR, UART16550_MCR_LOOP | UART16550_MCR_DTR | UART16550_MCR_OUT1 | UART16550_MCR_OUT2);
    uint8_t msr = RD(MSR);
    CHECK_EQ(msr & 0xf0, UART16550_MSR_DSR | UART16550_MSR_RI | UART16550_MSR_DCD);
    CHECK(msr & UART16550_MSR_DCTS);                /* CTS dropped */
    CHECK(msr & UART16550_MSR_DDSR);
    CHECK(msr & UART16550_MSR_DDCD);
    CHECK(!(msr & UART16550_MSR_TERI));             /* RI rose: no TERI */
    CHECK_EQ(RD(MSR) & 0x0f, 0);                    /* deltas clear on read */
    WR(MCR, UART16550_MCR_LOOP | UART16550_MCR_DTR | UART16550_MCR_OUT2);
    CHECK(RD(MSR) & UART16550_MSR_TERI);            /* RI fell: TERI */
}

static void test_loopback_flood(void)
{
    int n = 0;

    fresh();
    WR(FCR, UART16550_FCR_ENABLE);
    WR(MCR, UART16550_MCR_LOOP);
    for (int i = 0; i < 100000; i++)
        WR(THR, (uint8_t)i);
    CHECK(RD(LSR) & UART16550_LSR_OE);
    while ((RD(LSR) & UART16550_LSR_DR) && n < 1000) {
        RD(RBR);
        n++;
    }
    CHECK_EQ(n, UART16550_FIFO_SIZE);
}

static void test_modem_interrupt(void)
{
    fresh();
    WR(MCR, UART16550_MCR_OUT2);
    WR(IER, UART16550_IER_EDSSI);
    CHECK(r.level != 1);
    uart16550_model_set_modem(&m, UART16550_MSR_DSR | UART16550_MSR_DCD);  /* CTS drops */
    CHECK_EQ(RD(IIR) & 0x0f, UART16550_IIR_MSR);
    CHECK_EQ(r.level, 1);
    CHECK(RD(MSR) & UART16550_MSR_DCTS);
    CHECK_EQ(r.level, 0);
    CHECK_EQ(RD(IIR), UART16550_IIR_NONE);
}

static void test_out_of_range_and_readonly(void)
{
    uart16550_state before, after;

    fresh();
    WR(SCR, 0x42);
    uart16550_model_save(&m, &before);
    for (unsigned reg = 8; reg < 256; reg++) {
        CHECK_EQ(uart16550_model_read(&m, reg), 0xff);
        uart16550_model_write(&m, reg, 0x12);
    }
    WR(LSR, 0x00);
    WR(MSR, 0xff);
    uart16550_model_save(&m, &after);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
}

static void test_save_restore(void)
{
    uart16550_state st, bad;
    uart16550_model m2;
    struct rec r2 = { .level = -1 };
    uart16550_model_hooks h2 = { rec_tx, rec_irq, &r2 };

    fresh();
    WR(FCR, UART16550_FCR_ENABLE);
    WR(MCR, UART16550_MCR_OUT2);
    WR(IER, UART16550_IER_ERBFI);
    for (int i = 0; i < 5; i++)
        uart16550_model_receive(&m, (uint8_t)(10 + i));
    RD(RBR);
    uart16550_model_save(&m, &st);
    uart16550_model_init(&m2, &h2);
    CHECK(uart16550_model_restore(&m2, &st));
    CHECK_EQ(r2.level, 1);                  /* the hook learns the level */
    for (int i = 1; i < 5; i++)
        CHECK_EQ(uart16550_model_read(&m2, UART16550_RBR), 10 + i);

    uart16550_model_init(&m2, &h2);
    uart16550_model_save(&m2, &st);
    bad = st; bad.version = 99;
    CHECK(!uart16550_model_restore(&m2, &bad));
    bad = st; bad.rx_head = 16;
    CHECK(!uart16550_model_restore(&m2, &bad));
    bad = st; bad.rx_count = 17;
    CHECK(!uart16550_model_restore(&m2, &bad));
    uart16550_model_save(&m2, &bad);
    CHECK(memcmp(&bad, &st, sizeof st) == 0);   /* unchanged by refusals */
}

/* Random register traffic; after each step the invariants must hold. */
static void test_random_invariants(void)
{
    uint32_t x = 12345;

    fresh();
    for (int i = 0; i < 200000; i++) {
        unsigned op, reg;
        uint8_t v;
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        op = x % 3;
        reg = (x >> 8) % 16;
        v = (uint8_t)(x >> 16);
        if (op == 0)
            uart16550_model_read(&m, reg);
        else if (op == 1)
            uart16550_model_write(&m, reg, v);
        else
            uart16550_model_receive(&m, v);
        CHECK(m.s.rx_count <= UART16550_FIFO_SIZE);
        CHECK(m.s.rx_count <= (m.s.fcr & 1 ? UART16550_FIFO_SIZE : 1u));
        CHECK_EQ((m.s.lsr & UART16550_LSR_DR) != 0, m.s.rx_count != 0);
        CHECK_EQ(r.level == 1, (m.s.irq_level != 0));
        if (failed_checks)
            return;
    }
}

/* ---- the driver against the model ---- */

static uint8_t model_read(void *ctx, unsigned reg)
{
    return uart16550_model_read(ctx, reg);
}

static void model_write(void *ctx, unsigned reg, uint8_t v)
{
    uart16550_model_write(ctx, reg, v);
}

static uint8_t float_read(void *ctx, unsigned reg)
{
    (void)ctx; (void)reg;
    return 0xff;
}

static void float_write(void *ctx, unsigned reg, uint8_t v)
{
    (void)ctx; (void)reg; (void)v;
}

static uint8_t stuck_read(void *ctx, unsigned reg)
{
    (void)ctx;
    return reg == UART16550_SCR ? 0x00 : 0x00;   /* never THRE, SCR holds nothing */
}

static void test_driver(void)
{
    uart16550_drv d = { model_read, model_write, &m };

    fresh();
    uart16550_init(&d, 12);
    CHECK_EQ(m.s.dll, 12);
    CHECK_EQ(m.s.dlm, 0);
    CHECK_EQ(m.s.lcr, 0x03);
    CHECK_EQ(m.s.fcr & 1, 1);
    CHECK_EQ(m.s.mcr, UART16550_MCR_DTR | UART16550_MCR_RTS | UART16550_MCR_OUT2);
    CHECK_EQ(m.s.ier, 0);
    CHECK(uart16550_putc(&d, 'o'));
    CHECK(uart16550_putc(&d, 'k'));
    CHECK_EQ(r.ntx, 2);
    CHECK_EQ(r.tx[1], 'k');
    CHECK_EQ(uart16550_getc(&d), -1);
    uart16550_model_receive(&m, 'A');
    uart16550_model_receive(&m, 'B');
    CHECK_EQ(uart16550_getc(&d), 'A');
    CHECK_EQ(uart16550_getc(&d), 'B');
    CHECK_EQ(uart16550_getc(&d), -1);
    CHECK(uart16550_probe(&d));
    CHECK_EQ(m.s.mcr & UART16550_MCR_LOOP, 0);  /* probe left loopback off */
    CHECK_EQ(r.ntx, 2);                          /* the probe byte stayed inside */
}

static void test_driver_absent_or_broken(void)
{
    uart16550_drv floating = { float_read, float_write, 0 };
    uart16550_drv stuck = { stuck_read, float_write, 0 };

    CHECK(!uart16550_probe(&floating));        /* and it returned */
    CHECK_EQ(uart16550_getc(&floating), -1);   /* 0xff is not "data ready" */
    CHECK(!uart16550_probe(&stuck));
    CHECK(!uart16550_putc(&stuck, 'x'));       /* bounded spin, then false */
}

int main(void)
{
    static const struct { const char *name; void (*fn)(void); } tests[] = {
        { "reset_values", test_reset_values },
        { "divisor_latch", test_divisor_latch },
        { "scratch", test_scratch },
        { "transmit", test_transmit },
        { "thre_interrupt", test_thre_interrupt },
        { "out2_gating", test_out2_gating },
        { "receive_and_triggers", test_receive_and_triggers },
        { "no_fifo_overrun", test_no_fifo_overrun },
        { "fifo_overrun", test_fifo_overrun },
        { "fcr", test_fcr },
        { "iir_priority", test_iir_priority },
        { "loopback", test_loopback },
        { "loopback_flood", test_loopback_flood },
        { "modem_interrupt", test_modem_interrupt },
        { "out_of_range_and_readonly", test_out_of_range_and_readonly },
        { "save_restore", test_save_restore },
        { "random_invariants", test_random_invariants },
        { "driver", test_driver },
        { "driver_absent_or_broken", test_driver_absent_or_broken },
    };
    int bad = 0;

    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int before = failed_checks;
        current = tests[i].name;
        tests[i].fn();
        printf("%s %s\n", failed_checks == before ? "ok" : "FAIL", tests[i].name);
        bad += failed_checks != before;
    }
    printf("%d checks, %d failed; %d of %zu tests failed\n", checks, failed_checks, bad,
           sizeof tests / sizeof tests[0]);
    return bad ? 1 : 0;
}
