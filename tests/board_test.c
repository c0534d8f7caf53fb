/* board_test.c - bbvm's board (vm/board.c) as a whole, on the host, with no
   KVM: the lifecycle the chipset offers and the board uses.

   - save and restore: a board brought into a busy state (UART programmed
     with bytes waiting and an interrupt up, the 8259 pair initialised with
     a request in service, IOAPIC entries programmed, the PM timer enabled
     and running) is saved, restored into a fresh board, and from then on
     both must behave alike: the same register reads, the same interrupt
     messages, lines and ExtINT output, the same time-driven events;
   - reset: a running board answers as at power-on afterwards, but for the
     battery-backed RTC, whose time and RAM a reset keeps;
   - a damaged image is refused and leaves the board working;
   - a guest that asks the PIT for an edge on every tick gets at most one
     per minimum period: the board's deadlines are counted;
   - soft-off and the reset register reach the board's exit hook. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../vm/board.h"

#define IRQ_IMPLEMENTATION
#include "irq.h"

/* What reached the board's edge, in order, as text: two boards that
   behave alike write the same log. */
struct edge {
    uint64_t now;
    char log[8192];
    size_t len;
};

static void note(struct edge *e, const char *fmt, unsigned long long a, unsigned long long b)
{
    int n = snprintf(e->log + e->len, sizeof e->log - e->len, fmt, a, b);

    if (n > 0 && (size_t)n < sizeof e->log - e->len)
        e->len += (size_t)n;
}

static uint64_t e_now(void *ctx) { return ((struct edge *)ctx)->now; }
static void e_msi(void *ctx, const ioapic_msi *m) { note(ctx, "msi %llx %llx;", m->address, m->data); }
static void e_extint(void *ctx, bool level) { note(ctx, "int %llu%llu;", level, 0); }
static bool e_tx(void *ctx, uint8_t b) { note(ctx, "tx %llx%llu;", b, 0); return true; }
static void e_line(void *ctx, unsigned line, bool level) { note(ctx, "line %llu=%llu;", line, level); }
static void e_exit(void *ctx, int status) { note(ctx, "exit %llu%llu;", (unsigned)status, 0); }

/* A board at power-on at board time `now`. */
static void board_up(struct board *b, struct edge *e, uint64_t now)
{
    struct board_hooks h = { .now = e_now, .msi = e_msi, .extint = e_extint,
                             .console_tx = e_tx, .line = e_line, .exit = e_exit, .ctx = e };

    memset(e, 0, sizeof *e);
    e->now = now;
    CHECK(board_init(b, &h));
}

static void ioapic_set(struct board *b, unsigned reg, uint32_t v)
{
    board_mmio_write(b, IOAPIC_PC_BASE, 4, reg);
    board_mmio_write(b, IOAPIC_PC_BASE + 0x10, 4, v);
}

static uint32_t ioapic_get(struct board *b, unsigned reg)
{
    board_mmio_write(b, IOAPIC_PC_BASE, 4, reg);
    return (uint32_t)board_mmio_read(b, IOAPIC_PC_BASE + 0x10, 4);
}

/* ICW1 (edge, cascade, ICW4), ICW2 (vectors), ICW3 (the cascade), ICW4
   (8086 mode) to one 8259 of the pair. */
static void pic_init(struct board *b, uint16_t port, uint8_t vectors, uint8_t icw3)
{
    board_pio_write(b, port, 1, 0x11);
    board_pio_write(b, port + 1, 1, vectors);
    board_pio_write(b, port + 1, 1, icw3);
    board_pio_write(b, port + 1, 1, 0x01);
}

/* A busy machine: everything that has state holds some. */
static void make_busy(struct board *b, struct edge *e)
{
    e->now = 1000000000u;                       /* 1 s of board time */
    board_advance(b, e->now);
    /* 8259 pair: ICW1-4 on both, IRQ4 unmasked, the cascade on IR2. */
    pic_init(b, 0x20, 0x20, 0x04);
    pic_init(b, 0xa0, 0x28, 0x02);
    board_pio_write(b, 0x21, 1, 0xeb);          /* IRQ2 and IRQ4 unmasked */
    board_pio_write(b, 0xa1, 1, 0xfd);          /* IRQ9 unmasked */
    board_pio_write(b, 0x4d1, 1, 0x02);         /* ELCR: IRQ9 level */
    /* IOAPIC: pin 4 to vector 0x34, level-triggered; pin 9 masked. */
    ioapic_set(b, 0x19, 0);
    ioapic_set(b, 0x18, 0x8034);
    ioapic_set(b, 0x22, 0x10039);
    /* UART: 9600 baud, 8N1, FIFOs on, receive interrupts, OUT2, two bytes in. */
    board_pio_write(b, 0x3fb, 1, 0x83);
    board_pio_write(b, 0x3f8, 1, 12);
    board_pio_write(b, 0x3fb, 1, 0x03);
    board_pio_write(b, 0x3fa, 1, 0x07);
    board_pio_write(b, 0x3fc, 1, 0x0b);
    board_pio_write(b, 0x3f9, 1, 0x01);
    board_pio_write(b, 0x3ff, 1, 0x5a);
    CHECK(uart16550_model_receive(&b->com1, 'h'));
    CHECK(uart16550_model_receive(&b->com1, 'i'));
    /* The 8259 takes IRQ4 into service (the CPU's acknowledge). */
    CHECK_EQ(board_extint_ack(b), 0x24);
    /* PM: the timer's interrupt enabled. */
    board_pio_write(b, ACPI_PM_PC_BASE + 2, 2, 0x0001);
    /* PIT: channel 0 at 20 Hz (mode 2, count 59659), channel 2 in mode 0
       with its gate on and a count latched; speaker data on. */
    board_pio_write(b, 0x43, 1, 0x34);
    board_pio_write(b, 0x40, 1, 59659 & 0xff);
    board_pio_write(b, 0x40, 1, 59659 >> 8);
    board_pio_write(b, 0x61, 1, 0x03);
    board_pio_write(b, 0x43, 1, 0xb0);
    board_pio_write(b, 0x42, 1, 0x34);
    board_pio_write(b, 0x42, 1, 0x12);
    /* RTC: 2 Hz periodic and update interrupts, a RAM byte, NMI masked. */
    board_pio_write(b, 0x70, 1, 0x0a);
    board_pio_write(b, 0x71, 1, 0x2f);
    board_pio_write(b, 0x70, 1, 0x0b);
    board_pio_write(b, 0x71, 1, 0x52);
    board_pio_write(b, 0x70, 1, 0x44);
    board_pio_write(b, 0x71, 1, 0xa5);
    board_pio_write(b, 0x70, 1, 0x8c);          /* NMI off, index C */
    e->now += 500000000u;
    board_advance(b, e->now);
    board_pio_write(b, 0x43, 1, 0x80);          /* latch channel 2 */
}

/* The PIT and the RTC as a driver sees them; reading C clears it alike. */
static void observe_time(struct board *b, uint64_t out[24])
{
    unsigned n = 0;

    out[n++] = board_pio_read(b, 0x42, 1);      /* the latch: LSB, MSB */
    out[n++] = board_pio_read(b, 0x42, 1);
    board_pio_write(b, 0x43, 1, 0xe2);          /* read-back: status of 0 */
    out[n++] = board_pio_read(b, 0x40, 1);
    out[n++] = board_pio_read(b, 0x61, 1);
    out[n++] = board_pio_read(b, 0x71, 1);      /* C, selected before */
    for (uint8_t r = 0; r < 0x0e; r++) {
        board_pio_write(b, 0x70, 1, r);
        if (r != 0x0c)
            out[n++] = board_pio_read(b, 0x71, 1);
    }
    board_pio_write(b, 0x70, 1, 0x44);
    out[n++] = board_pio_read(b, 0x71, 1);
    CHECK(n <= 24);
}

/* What a driver would see, read in an order both boards follow; reads
   that change state change both alike. */
static void observe(struct board *b, struct edge *e, uint64_t out[64])
{
    unsigned n = 0;

    board_pio_write(b, 0x20, 1, 0x0b);          /* OCW3: read ISR */
    out[n++] = board_pio_read(b, 0x20, 1);
    board_pio_write(b, 0x20, 1, 0x0a);          /* OCW3: read IRR */
    out[n++] = board_pio_read(b, 0x20, 1);
    out[n++] = board_pio_read(b, 0x21, 1);
    out[n++] = board_pio_read(b, 0xa1, 1);
    out[n++] = board_pio_read(b, 0x4d1, 1);
    for (unsigned r = 0; r < 8; r++)
        out[n++] = board_pio_read(b, (uint16_t)(0x3f8 + r), 1);
    out[n++] = ioapic_get(b, 0x01);
    out[n++] = ioapic_get(b, 0x18);
    out[n++] = ioapic_get(b, 0x22);
    out[n++] = board_pio_read(b, ACPI_PM_PC_BASE, 2);
    out[n++] = board_pio_read(b, ACPI_PM_PC_BASE + 2, 2);
    out[n++] = board_pio_read(b, ACPI_PM_PC_BASE + 4, 2);
    out[n++] = board_pio_read(b, ACPI_PM_PC_BASE + 8, 4);
    out[n++] = board_extint(b);
    while (n < 63)
        out[n++] = 0;
    out[63] = e->len;               /* what reached the edge meanwhile */
}

/* Then life goes on the same way on both: the guest ends the interrupt,
   more input arrives, time passes over the PM timer's toggle. */
static void go_on(struct board *b, struct edge *e)
{
    board_pio_write(b, 0x20, 1, 0x20);          /* EOI to the master */
    board_eoi(b, 0x34);                         /* the LAPIC's EOI */
    CHECK(uart16550_model_receive(&b->com1, '!'));
    (void)board_pio_read(b, 0x3f8, 1);
    e->now += 3000000000u;
    board_advance(b, e->now);
    board_pio_write(b, 0x3f8, 1, 'x');
}

TEST(snapshot_restore_behaves_alike)
{
    static struct board a, b;
    static struct edge ea, eb;
    static uint8_t image[16384];
    uint64_t ra[64], rb[64];
    int64_t n, used;

    board_up(&a, &ea, 0);
    make_busy(&a, &ea);
    n = board_save(&a, image, sizeof image);
    CHECK(n > 0);
    board_up(&b, &eb, ea.now);
    used = board_restore(&b, image, (size_t)n);
    CHECK_EQ(used, n);
    /* The fresh board's edge heard its outputs come back to the saved
       levels (the line and INT), so start both logs here. */
    ea.len = eb.len = 0;
    observe(&a, &ea, ra);
    observe(&b, &eb, rb);
    for (unsigned i = 0; i < 64; i++)
        CHECK_EQ(ra[i], rb[i]);
    CHECK_EQ(ra[2], 0xeb);                      /* the state was not power-on */
    CHECK_EQ(ra[12], 0x5a);
    {
        uint64_t ta[24] = { 0 }, tb[24] = { 0 };

        observe_time(&a, ta);
        observe_time(&b, tb);
        for (unsigned i = 0; i < 24; i++)
            CHECK_EQ(ta[i], tb[i]);
        /* The latched count: 0x1234 loaded a tick after the write at 1 s,
           counted down (and round, mode 0 wraps) until 1.5 s. */
        CHECK_EQ(ta[0] | ta[1] << 8,
                 (0x1234u - (pit8254_ticks(1500000000u) - pit8254_ticks(1000000000u) - 1)) &
                     0xffff);
        CHECK_EQ(ta[2] & 0x3f, 0x34);           /* status: both bytes, mode 2 */
        CHECK(ta[4] & 0x80);                    /* IRQF: an update went by */
        CHECK_EQ(ta[18], 0xa5);                 /* the RAM byte */
    }
    go_on(&a, &ea);
    go_on(&b, &eb);
    CHECK(ea.len > 0);
    CHECK_EQ(ea.len, eb.len);
    CHECK(memcmp(ea.log, eb.log, ea.len) == 0);
    observe(&a, &ea, ra);
    observe(&b, &eb, rb);
    for (unsigned i = 0; i < 64; i++)
        CHECK_EQ(ra[i], rb[i]);
}

TEST(restore_refuses_damage)
{
    static struct board a, b;
    static struct edge ea, eb;
    static uint8_t image[16384];
    int64_t n;

    board_up(&a, &ea, 0);
    make_busy(&a, &ea);
    n = board_save(&a, image, sizeof image);
    CHECK(n > 0);
    board_up(&b, &eb, ea.now);
    CHECK(board_restore(&b, image, (size_t)n - 1) < 0);    /* truncated */
    image[4] ^= 0xff;                                      /* a name's byte */
    CHECK(board_restore(&b, image, (size_t)n) < 0);
    CHECK(board_save(&a, image, 8) < 0);                   /* no room */
    /* Still a working board. */
    CHECK_EQ(board_pio_read(&b, 0x3fd, 1), 0x60);
}

TEST(reset_is_power_on)
{
    static struct board a, fresh;
    static struct edge ea, ef;
    uint64_t ra[64], rf[64];

    board_up(&a, &ea, 0);
    make_busy(&a, &ea);
    board_reset(&a);
    board_up(&fresh, &ef, ea.now);      /* powered on when a was reset */
    ea.len = 0;
    observe(&a, &ea, ra);
    observe(&fresh, &ef, rf);
    for (unsigned i = 0; i < 64; i++)
        CHECK_EQ(ra[i], rf[i]);
    CHECK_EQ(ra[12], 0);                        /* the scratch register */
    CHECK_EQ(ra[2], 0xff);                      /* the IMR, all masked */
    /* And time runs from the reset on, as from a power-on. */
    ea.now = ef.now = ea.now + 2000000000u;
    board_advance(&a, ea.now);
    board_advance(&fresh, ef.now);
    CHECK_EQ(board_pio_read(&a, ACPI_PM_PC_BASE + 8, 4), 2 * 3579545);
    /* The RTC is battery-backed: a reset clears its interrupt enables
       (PIE, AIE, UIE) but keeps its RAM and its time. */
    board_pio_write(&a, 0x70, 1, 0x0b);
    CHECK_EQ(board_pio_read(&a, 0x71, 1), 0x02);
    board_pio_write(&a, 0x70, 1, 0x44);
    CHECK_EQ(board_pio_read(&a, 0x71, 1), 0xa5);
    board_pio_write(&a, 0x70, 1, 0x00);
    CHECK_EQ(board_pio_read(&a, 0x71, 1), 0x03); /* 2000-01-01 00:00:03 at 3.5 s */
}

/* Mode 2 with count 1 asks for an edge on every PIT tick (1.19 MHz). Over
   one second of board time the board must have at most one deadline per
   PIT8254_MIN_PERIOD_NS, and IRQ0 must still rise at each of them. */
static unsigned irq0_rises;
static void count_irq0(void *ctx, unsigned line, bool level)
{
    (void)ctx;
    irq0_rises += line == 0 && level;
}

TEST(pit_count_1_does_not_spin)
{
    static struct board b;
    static struct edge e;
    struct board_hooks h = { .now = e_now, .line = count_irq0, .ctx = &e };
    const uint64_t limit = 1000000000u / PIT8254_MIN_PERIOD_NS;
    uint64_t next, deadlines = 0;

    memset(&e, 0, sizeof e);
    CHECK(board_init(&b, &h));
    board_pio_write(&b, 0x43, 1, 0x34);
    board_pio_write(&b, 0x40, 1, 1);
    board_pio_write(&b, 0x40, 1, 0);
    irq0_rises = 0;
    while ((next = board_advance(&b, e.now)) <= 1000000000u && deadlines <= 2 * limit) {
        CHECK(next > e.now);
        e.now = next;
        deadlines++;
    }
    printf("pit: count 1 in mode 2: %llu deadlines and %u IRQ0 edges in 1 s (%llu merged)\n",
           (unsigned long long)deadlines, irq0_rises,
           (unsigned long long)b.pit.stats.edges_merged);
    CHECK(deadlines <= limit);
    CHECK(deadlines >= limit - 1);
    CHECK(irq0_rises >= limit - 1);
    CHECK(b.pit.stats.edges_merged > 1000000u);
}

TEST(poweroff_and_reset_reach_the_exit_hook)
{
    static struct board b;
    static struct edge e;

    board_up(&b, &e, 0);
    board_pio_write(&b, ACPI_PM_PC_BASE + 4, 2, (5u << 10) | (1u << 13)); /* not S5: nothing */
    CHECK_EQ(e.len, 0);
    board_pio_write(&b, ACPI_PM_PC_BASE + 4, 2, (ACPI_BOARD_S5_SLP_TYP << 10) | (1u << 13));
    CHECK(strstr(e.log, "exit 14") != NULL);
    e.len = 0;
    e.log[0] = 0;
    board_pio_write(&b, 0xcf9, 1, 0x02);
    CHECK_EQ(e.len, 0);
    CHECK_EQ(board_pio_read(&b, 0xcf9, 1), 0x02);
    board_pio_write(&b, 0xcf9, 1, 0x06);
    CHECK(strstr(e.log, "exit 16") != NULL);
}

CHECK_MAIN(TEST_ENTRY(snapshot_restore_behaves_alike), TEST_ENTRY(restore_refuses_damage),
           TEST_ENTRY(reset_is_power_on), TEST_ENTRY(pit_count_1_does_not_spin),
           TEST_ENTRY(poweroff_and_reset_reach_the_exit_hook))
