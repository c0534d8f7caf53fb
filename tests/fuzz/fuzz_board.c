/* fuzz_board.c - the chipset's device models, fuzzed through bbvm's board
   (vm/board.c) and the very dispatch KVM exits use.

   WHAT IT FUZZES
   One source, built once per device with -DFUZZ_DEVICE=NAME, NAME one of
   pic, ioapic, pit, rtc, i8042, uart, pm or all; each build is the target
   `board-NAME` (corpus tests/fuzz/corpus/board-NAME/). Every input gets a
   fresh board (board_init, 256 KiB of zeroed guest RAM, a fixed wall clock)
   and drives it with board_pio_read/write and board_mmio_read/write, the
   entry points vcpu.c and qtest.c call, plus what else the board offers
   its drivers: ISA lines, EOIs, the INTA cycle, keys, mouse moves, COM1
   and virtio console input, a host that refuses console output for a
   while, time moving forward by small and large steps and BACKWARD (a
   misbehaving host clock), save/restore round trips, restores of damaged
   images, and board_reset(). NAME picks the ports and MMIO windows an
   access mostly goes to (`all`: every board port and window, PCI
   configuration, the virtio BARs and virtio-mmio windows, the IOAPIC) and
   which model's invariants are checked (`all`: every one of them).

   INPUT FORMAT (byte code, read by fuzz.h; past the end every byte is 0)
   At most FZ_OPS ops; each is one opcode byte, op = byte % 24, then:
     0-5   port write: sel u8, width u8, value u32      (three weights)
     6-8   port read:  sel u8, width u8
     9     MMIO write: sel u8, offset u16, width u8, value u64
     10    MMIO read:  sel u8, offset u16, width u8
     11    ISA line:   irq u8 (one of the 9 lines no device drives),
                       level u8 (& 1)
     12    EOI:        vector u8
     13    INTA:       (board_extint_ack() if the 8259 pair's INT is high)
     14    key:        usage u8, pressed u8;  mouse if usage >= 0xf0:
                       dx i8, dy i8, dz i8, buttons u8
     15    COM1 input: n u8 (% 8), n bytes; virtio console input if n & 8
     16    console:    k u8: the host refuses the next k % 64 bytes; k = 0
                       resumes (board_console_resume())
     17    time small: dt u16 ns forward
     18    time large: dt u32, shift u8: dt << (shift % 24) ns forward
     19    time back:  dt u32 ns backward (the hook's clock goes back)
     20    round trip: save, restore into a fresh board, save again
     21    damaged:    k u8 (% 8) flips of (pos u16, xor u8) into a saved
                       image, restored into a fresh board
                 (20 and 21 together: at most FZ_SNAPSHOTS per input, then
                 no-ops; 21's count byte is still read)
     22    reset:      board_reset()
     23    RAM write:  addr u32, n u8 (% 32), n bytes (for the virtqueues)
   A port `sel` below 0xe0 picks from the device's table, else the next
   u16 is any port; widths pick from 1, 2, 4, 1, 2, 4, 8, 3.

   PROPERTIES (FUZZ_CHECK after every op)
   - every model checked is in a state its own restore accepts, and:
     PIC: each chip's INT recomputed from scratch (IRR, IMR, ISR, rotation,
     special mask, SFNM, cascade) equals the INT the pair drives (state,
     board_extint(), the last level its hook told); vector bases have bits
     2:0 clear, the ICW step and modes in range; a level input's IRR bit
     follows its line. UART: ring indices and counts within the FIFO
     setting, output held only behind the shift register, the interrupt
     level equal to IIR recomputed from LSR/IER/FIFO/THRE/MSR and the OUT2
     gate. PIT, RTC, i8042, PM: their output levels recomputed from their
     registers; i8042 queues within size; PM enable, status and control
     bits within their masks; RTC C and D holding only their flags.
     IOAPIC: remote IRR only on level entries, no input level on pins no
     line reaches. For every ISA line and GSI the board fabric holds, the
     level equals what the model behind it drives (lines the input itself
     drove excepted), and the controllers' inputs equal the fabric.
   - bounded work: after time moves to T, board_advance(T) returns a
     deadline > T (or CHIPSET_NEVER) within FZ_POLLS calls;
   - save -> restore into a fresh board -> save gives the same bytes; a
     damaged image is refused, leaving the board at power-on (a save
     equals a save after one more board_reset()), or restores into a
     state where every property above holds.
   - no crash, no UB, no leak (the sanitizers).

   RUN (from tests/fuzz; NAME as above)
     clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined \
       -fno-sanitize-recover=all -I../../hdr -I../../vm -DFUZZ_DEVICE=NAME \
       fuzz_board.c ../../vm/board.c -o /tmp/fz/fuzz_board-NAME
     /tmp/fz/fuzz_board-NAME corpus/board-NAME
   Replay: the same with gcc and replay.c instead of -fsanitize=fuzzer. */
#include "fuzz.h"

#include "board.h"

#define IRQ_IMPLEMENTATION
#include "irq.h"

/* ---- which device ------------------------------------------------------ */

#define FZ_DEV_pic 1
#define FZ_DEV_ioapic 2
#define FZ_DEV_pit 3
#define FZ_DEV_rtc 4
#define FZ_DEV_i8042 5
#define FZ_DEV_uart 6
#define FZ_DEV_pm 7
#define FZ_DEV_all 8
#define FZ_CAT2(a, b) a##b
#define FZ_CAT(a, b) FZ_CAT2(a, b)
#ifndef FUZZ_DEVICE
#define FUZZ_DEVICE all
#endif
#define FZ_DEV FZ_CAT(FZ_DEV_, FUZZ_DEVICE)
#if FZ_DEV < 1 || FZ_DEV > 8
#error "FUZZ_DEVICE must be one of pic, ioapic, pit, rtc, i8042, uart, pm, all"
#endif
#define FZ_ALL (FZ_DEV == FZ_DEV_all)
#define FZ_CHECKS(d) (FZ_ALL || FZ_DEV == FZ_CAT(FZ_DEV_, d))

/* Only the checks of the device fuzzed are called. */
#define FZ_MAYBE __attribute__((unused))

#define FZ_OPS 2048u          /* ops per input */
#define FZ_POLLS 64u          /* board_advance() calls to get past T */
#define FZ_STEPS 256u         /* deadlines walked one by one per time step */
#define FZ_SNAPSHOTS 8u       /* round trips and damaged restores per input:
                                 each costs a few whole-board saves, the
                                 PCI space's 8 KiB among them, so more would
                                 spend the run there and not on the device */
#define FZ_RAM (256u << 10)
#define FZ_SAVE (256u * 1024)
#define FZ_WALL 1767225600    /* 2026-01-01T00:00:00Z */

/* The ports and MMIO windows each build aims at. */
static const uint16_t fz_ports[] = {
#if FZ_DEV == FZ_DEV_pic || FZ_ALL
    0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1,
#endif
#if FZ_DEV == FZ_DEV_pit || FZ_ALL
    0x40, 0x41, 0x42, 0x43, 0x61,
#endif
#if FZ_DEV == FZ_DEV_rtc || FZ_ALL
    0x70, 0x71,
#endif
#if FZ_DEV == FZ_DEV_i8042 || FZ_ALL
    0x60, 0x64,
#endif
#if FZ_DEV == FZ_DEV_uart || FZ_ALL
    0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff,
#endif
#if FZ_DEV == FZ_DEV_pm || FZ_ALL
    0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x606, 0x607, 0x608, 0x609, 0x60a, 0x60b,
#endif
#if FZ_ALL
    0xcf8, 0xcf9, 0xcfa, 0xcfb, 0xcfc, 0xcfd, 0xcfe, 0xcff, 0xf4,
#endif
#if FZ_DEV == FZ_DEV_ioapic
    0x20, 0x21, 0xa0, 0xa1, /* its inputs come from lines; the PIC shares them */
#endif
};

static const struct { uint64_t base, len; } fz_mmio[] = {
    { IOAPIC_PC_BASE, IOAPIC_WINDOW },
#if FZ_ALL
    { BOARD_VIRTIO_RNG_BAR, VIRTIO_PCI_BAR_TOTAL },
    { BOARD_VIRTIO_CON_BAR, VIRTIO_PCI_BAR_TOTAL },
    { BOARD_VIRTIO_MMIO_RNG, VIRTIO_MMIO_SIZE },
    { BOARD_VIRTIO_MMIO_CON, VIRTIO_MMIO_SIZE },
    { 0, FZ_RAM },                      /* RAM is no device: all-ones */
#endif
};

/* ---- the board's edge ---------------------------------------------------- */

struct fz {
    uint64_t now;               /* what the now hook says */
    bool stop;                  /* an exit request came: end the stream */
    bool extint;                /* the INT level the hook was told last */
    unsigned refuse;            /* console bytes the host refuses still */
    uint32_t ext;               /* lines the input drove from outside */
    bool damaged;               /* a damaged image was restored */
    unsigned snapshots;         /* of FZ_SNAPSHOTS */
};

static struct fz fz;
static struct board boards[2];
static struct board *cur;
static uint8_t ram[FZ_RAM];
static uint8_t img[FZ_SAVE], img2[FZ_SAVE];

static uint64_t h_now(void *ctx) { return ((struct fz *)ctx)->now; }
static void h_extint(void *ctx, bool level) { ((struct fz *)ctx)->extint = level; }
static void h_exit(void *ctx, int status) { (void)status; ((struct fz *)ctx)->stop = true; }

static bool h_tx(void *ctx, uint8_t byte)
{
    struct fz *f = ctx;

    (void)byte;
    if (f->refuse) {
        f->refuse--;
        return false;
    }
    return true;
}

static size_t h_vcon_tx(void *ctx, const void *buf, size_t n)
{
    struct fz *f = ctx;

    (void)buf;
    if (f->refuse) {
        f->refuse--;
        return n / 2;
    }
    return n;
}

static size_t h_entropy(void *ctx, void *buf, size_t n)
{
    struct fz *f = ctx;

    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(f->now + i);
    return n;
}

static void board_fresh(struct board *b)
{
    const struct board_hooks h = { .now = h_now, .extint = h_extint, .console_tx = h_tx,
                                   .exit = h_exit, .entropy = h_entropy,
                                   .vcon_tx = h_vcon_tx, .ctx = &fz };

    /* A new board's INT is low, as every output is before it is driven,
       and its 8259 pair takes it that its hook knows (a model tells its
       hook only of changes): so the hook has, for this board, heard low. */
    fz.extint = false;
    FUZZ_CHECK(board_init(b, &h), "the board does not build");
    b->chipset.cfg.on_unclaimed = NULL; /* quiet: holes are fuzzed by the million */
    board_set_ram(b, ram, sizeof ram);
    board_set_wall(b, FZ_WALL, 0);
}

/* ---- invariants ---------------------------------------------------------- */

/* The fabric's level of `line`, unless the input drove it. */
static bool fz_line_known(unsigned line)
{
    return !(fz.ext >> line & 1u);
}

static bool fz_line(const struct board *b, unsigned line)
{
    return irq_line_level(&b->lines, line);
}

#define CHECK_LINE(b, line, level, what)                                            \
    FUZZ_CHECK(!fz_line_known(line) || fz_line(b, line) == (level),                 \
               "line %u is %d but %s drives %d", (unsigned)(line), fz_line(b, line), \
               what, (int)(level))

/* A highest-priority search written afresh: rank 0 is just after `lowest`. */
static int ref_highest(unsigned lowest, uint8_t bits)
{
    for (unsigned k = 1; k <= 8; k++) {
        unsigned irq = (lowest + k) % 8;
        if (bits & (1u << irq))
            return (int)irq;
    }
    return -1;
}

static unsigned ref_rank(unsigned lowest, unsigned irq)
{
    return (irq + 8 - lowest - 1) % 8;
}

/* Would this 8259 raise INT now? (Datasheet: a request interrupts if it is
   unmasked and of higher priority than the highest level in service; in
   special mask mode masked levels do not block; in special fully nested
   mode the master takes a slave input that is in service again.) */
static bool ref_int(const pic8259_chip *c, bool master)
{
    uint8_t isr = c->isr;
    int req, cur;

    if (c->init_step)
        return false;
    req = ref_highest(c->lowest, (uint8_t)(c->irr & ~c->imr));
    if (req < 0)
        return false;
    if (c->smm)
        isr &= (uint8_t)~c->imr;
    cur = ref_highest(c->lowest, isr);
    if (cur < 0 || ref_rank(c->lowest, (unsigned)req) < ref_rank(c->lowest, (unsigned)cur))
        return true;
    return master && req == cur && (c->icw4 & PIC8259_ICW4_SFNM) &&
           !(c->icw1 & PIC8259_ICW1_SNGL) && (c->icw3 & (1u << req));
}

static FZ_MAYBE void check_pic(const struct board *b)
{
    const pic8259_state *s = &b->pic.s;
    static pic8259_model scratch;
    bool cascaded = !(s->chip[0].icw1 & PIC8259_ICW1_SNGL) && (s->chip[0].icw3 & 4);

    for (unsigned i = 0; i < 2; i++) {
        const pic8259_chip *c = &s->chip[i];
        uint8_t lvl = (c->icw1 & PIC8259_ICW1_LTIM) ? 0xff : c->elcr;

        FUZZ_CHECK(c->init_step <= 4 && c->lowest < 8 && !(c->icw2 & 7) && c->poll <= 1 &&
                   c->smm <= 1 && c->read_isr <= 1 && c->rotate_aeoi <= 1,
                   "chip %u: step %u lowest %u icw2 %#x", i, c->init_step, c->lowest, c->icw2);
        FUZZ_CHECK(!(c->elcr & ~(i ? PIC8259_ELCR_MASK_SLAVE : PIC8259_ELCR_MASK_MASTER)),
                   "chip %u: ELCR %#x", i, c->elcr);
        FUZZ_CHECK((c->irr & lvl) == (c->lines & lvl),
                   "chip %u: level IRR %#x does not follow lines %#x (level %#x)", i, c->irr,
                   c->lines, lvl);
    }
    FUZZ_CHECK(s->int_level == ref_int(&s->chip[0], true),
               "INT %u, recomputed %d", s->int_level, ref_int(&s->chip[0], true));
    FUZZ_CHECK(board_extint(b) == (s->int_level != 0) && fz.extint == (s->int_level != 0),
               "INT %u, board says %d, hook heard %d", s->int_level, board_extint(b), fz.extint);
    /* The cascade: the slave's INT is the master's input 2. */
    if (cascaded)
        FUZZ_CHECK(((s->chip[0].lines >> 2) & 1) == ref_int(&s->chip[1], false),
                   "master input 2 %u, slave INT %d", (s->chip[0].lines >> 2) & 1,
                   ref_int(&s->chip[1], false));
    for (unsigned line = 0; line < 16; line++)
        if (line != 2 && fz_line_known(line))
            FUZZ_CHECK(((s->chip[line / 8].lines >> (line % 8)) & 1) == fz_line(b, line),
                       "8259 input %u is %u, the line %d", line,
                       (s->chip[line / 8].lines >> (line % 8)) & 1, fz_line(b, line));
    scratch = b->pic;
    scratch.hooks = (pic8259_model_hooks){ 0 };
    FUZZ_CHECK(pic8259_model_restore(&scratch, s, sizeof *s) == (int64_t)sizeof *s,
               "the 8259 pair's own state is refused by its restore");
}

static bool ref_ioapic_level(uint64_t rte)
{
    unsigned mode = (unsigned)((rte & IOAPIC_RTE_DELMOD) >> IOAPIC_RTE_DELMOD_SHIFT);

    return (rte & IOAPIC_RTE_TRIGGER) && (mode == IOAPIC_DM_FIXED || mode == IOAPIC_DM_LOWEST);
}

static FZ_MAYBE void check_ioapic(const struct board *b)
{
    const ioapic_state *s = &b->ioapic.s;
    static ioapic_model scratch;

    FUZZ_CHECK(s->id <= 0x0f && !(s->lines >> IOAPIC_PINS) && !(s->held >> IOAPIC_PINS),
               "id %u lines %#x held %#x", s->id, s->lines, s->held);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t rte = s->rte[pin];

        FUZZ_CHECK(!(rte & IOAPIC_RTE_RIRR) || ref_ioapic_level(rte),
                   "pin %u: remote IRR on an edge entry %#llx", pin, (unsigned long long)rte);
        FUZZ_CHECK(!(rte & (1ull << 12)), "pin %u: delivery status stored", pin);
    }
    /* Pin n hears line n, pin 2 line 0 (and line 2), pin 0 nothing. */
    FUZZ_CHECK(!(s->lines & 1), "pin 0 is high, and no line reaches it");
    for (unsigned pin = 1; pin < IOAPIC_PINS; pin++) {
        unsigned line = pin == 2 ? 0 : pin;

        if (pin == 2 && !fz_line_known(2))
            continue;
        if (fz_line_known(line))
            FUZZ_CHECK(((s->lines >> pin) & 1) == fz_line(b, line),
                       "IOAPIC pin %u is %u, line %u %d", pin, (s->lines >> pin) & 1, line,
                       fz_line(b, line));
    }
    scratch = b->ioapic;
    scratch.hooks = (ioapic_model_hooks){ 0 };
    FUZZ_CHECK(ioapic_model_restore(&scratch, s, sizeof *s) == (int64_t)sizeof *s,
               "the IOAPIC's own state is refused by its restore");
}

static FZ_MAYBE void check_pit(const struct board *b)
{
    const pit8254_state *s = &b->pit.s;
    static pit8254_model scratch;

    FUZZ_CHECK(s->line <= 1, "line %u", s->line);
    for (unsigned i = 0; i < 3; i++)
        FUZZ_CHECK(s->ch[i].latched <= 3, "channel %u: latched %#x", i, s->ch[i].latched);
    CHECK_LINE(b, BOARD_PIT_IRQ, s->line != 0, "the PIT");
    scratch = b->pit;
    scratch.hooks = (pit8254_model_hooks){ 0 };
    FUZZ_CHECK(pit8254_model_restore(&scratch, s, sizeof *s) == (int64_t)sizeof *s,
               "the PIT's own state is refused by its restore");
}

static FZ_MAYBE void check_rtc(const struct board *b)
{
    const rtc_cmos_state *s = &b->rtc.s;
    static rtc_cmos_model scratch;
    uint8_t rb = s->ram[RTC_CMOS_REG_B], rc = s->ram[RTC_CMOS_REG_C];

    FUZZ_CHECK(!(rc & ~RTC_CMOS_C_FLAGS) && s->ram[RTC_CMOS_REG_D] == RTC_CMOS_D_VRT &&
               !(s->ram[RTC_CMOS_REG_A] & RTC_CMOS_A_UIP),
               "A %#x C %#x D %#x", s->ram[RTC_CMOS_REG_A], rc, s->ram[RTC_CMOS_REG_D]);
    FUZZ_CHECK(!((rb & RTC_CMOS_B_SET) && (rb & RTC_CMOS_B_UIE)), "B %#x: SET and UIE", rb);
    CHECK_LINE(b, BOARD_RTC_IRQ, (rb & rc & RTC_CMOS_C_FLAGS) != 0, "the RTC");
    scratch = b->rtc;
    scratch.hooks = (rtc_cmos_model_hooks){ 0 };
    FUZZ_CHECK(rtc_cmos_model_restore(&scratch, s, sizeof *s) == (int64_t)sizeof *s,
               "the RTC's own state is refused by its restore");
}

static FZ_MAYBE void check_i8042(const struct board *b)
{
    const i8042_state *s = &b->kbd.s;
    static i8042_model scratch;
    bool kbd = s->out_src != I8042_SRC_NONE && s->out_src != I8042_SRC_AUX &&
               (s->ram[0] & I8042_CTR_KBDINT);
    bool aux = s->out_src == I8042_SRC_AUX && (s->ram[0] & I8042_CTR_AUXINT);

    FUZZ_CHECK(s->kbd.q.head < I8042_QUEUE_SIZE && s->kbd.q.len <= I8042_QUEUE_SIZE &&
               s->aux.q.head < I8042_QUEUE_SIZE && s->aux.q.len <= I8042_QUEUE_SIZE,
               "queues: kbd %u+%u aux %u+%u", s->kbd.q.head, s->kbd.q.len, s->aux.q.head,
               s->aux.q.len);
    FUZZ_CHECK(s->out_src <= I8042_SRC_AUX && s->ctl_src <= I8042_SRC_AUX,
               "sources %u %u", s->out_src, s->ctl_src);
    CHECK_LINE(b, BOARD_KBD_IRQ, kbd, "the keyboard");
    CHECK_LINE(b, BOARD_AUX_IRQ, aux, "the mouse");
    scratch = b->kbd;
    scratch.hooks = (i8042_model_hooks){ 0 };
    FUZZ_CHECK(i8042_model_restore(&scratch, s, sizeof *s) == (int64_t)sizeof *s,
               "the i8042's own state is refused by its restore");
}

/* IIR from the registers (datasheet table "Interrupt Control Functions"). */
static bool ref_uart_pin(const uart16550_model *m)
{
    static const uint8_t trig[4] = { 1, 4, 8, 14 };
    const uart16550_state *s = &m->s;
    bool fifo = s->fcr & UART16550_FCR_ENABLE, any;

    if (m->cfg.out2_gates_irq &&
        (!(s->mcr & UART16550_MCR_OUT2) || (s->mcr & UART16550_MCR_LOOP)))
        return false;
    any = ((s->ier & UART16550_IER_ELSI) &&
           (s->lsr & (UART16550_LSR_OE | UART16550_LSR_PE | UART16550_LSR_FE |
                      UART16550_LSR_BI))) ||
          ((s->ier & UART16550_IER_ERBFI) && s->rx_count &&
           (!fifo || s->rx_count >= trig[(s->fcr >> 6) & 3] || s->cti)) ||
          ((s->ier & UART16550_IER_ETBEI) && s->thre_pending) ||
          ((s->ier & UART16550_IER_EDSSI) && (s->msr & 0x0f));
    return any;
}

static FZ_MAYBE void check_uart(const struct board *b)
{
    const uart16550_state *s = &b->com1.s;
    static uart16550_model scratch;
    unsigned cap = (s->fcr & UART16550_FCR_ENABLE) ? UART16550_FIFO_SIZE : 1;

    FUZZ_CHECK(s->rx_head < UART16550_FIFO_SIZE && s->tx_head < UART16550_FIFO_SIZE &&
               s->rx_count <= cap && s->tx_count <= cap,
               "rx %u+%u tx %u+%u cap %u", s->rx_head, s->rx_count, s->tx_head, s->tx_count,
               cap);
    FUZZ_CHECK(s->tsr_full || !s->tx_count, "TX FIFO %u bytes, shift register empty",
               s->tx_count);
    FUZZ_CHECK(!s->thre_pending || !s->tx_count, "THRE latched with %u bytes", s->tx_count);
    FUZZ_CHECK(s->rx_ns <= s->now_ns, "rx_ns %llu after now %llu",
               (unsigned long long)s->rx_ns, (unsigned long long)s->now_ns);
    FUZZ_CHECK(s->irq_level == ref_uart_pin(&b->com1), "irq %u, recomputed %d", s->irq_level,
               ref_uart_pin(&b->com1));
    CHECK_LINE(b, BOARD_COM1_IRQ, s->irq_level != 0, "COM1");
    scratch = b->com1;
    scratch.hooks = (uart16550_model_hooks){ 0 };
    FUZZ_CHECK(uart16550_model_restore(&scratch, s, sizeof *s) == (int64_t)sizeof *s,
               "COM1's own state is refused by its restore");
}

static FZ_MAYBE void check_pm(const struct board *b)
{
    const acpi_pm_state *s = &b->pm.s;
    static acpi_pm_model scratch;

    FUZZ_CHECK(!(s->sts & ~ACPI_PM_STS_BITS) && !(s->en & ~ACPI_PM_EN_BITS) &&
               !(s->cnt & ~ACPI_PM_CNT_KEEP) && s->last_ns >= s->start_ns,
               "sts %#x en %#x cnt %#x", s->sts, s->en, s->cnt);
    CHECK_LINE(b, BOARD_SCI_IRQ,
               (s->cnt & ACPI_PM_SCI_EN) && (s->sts & s->en & ACPI_PM_SCI_EVENTS), "the SCI");
    scratch = b->pm;
    scratch.hooks = (acpi_pm_model_hooks){ 0 };
    FUZZ_CHECK(acpi_pm_model_restore(&scratch, s, sizeof *s) == (int64_t)sizeof *s,
               "the PM block's own state is refused by its restore");
}

static void check(const struct board *b)
{
#if FZ_CHECKS(pic)
    check_pic(b);
#endif
#if FZ_CHECKS(ioapic)
    check_ioapic(b);
#endif
#if FZ_CHECKS(pit)
    check_pit(b);
#endif
#if FZ_CHECKS(rtc)
    check_rtc(b);
#endif
#if FZ_CHECKS(i8042)
    check_i8042(b);
#endif
#if FZ_CHECKS(uart)
    check_uart(b);
#endif
#if FZ_CHECKS(pm)
    check_pm(b);
#endif
    (void)b;
}

/* ---- time ------------------------------------------------------------------ */

/* The clock moves to `t` (either way). Forward, the deadlines on the way
   run in order, FZ_STEPS at most (as qtest.c's clock does); then at `t`
   the board must be done within FZ_POLLS calls. */
static void time_to(struct board *b, uint64_t t)
{
    uint64_t next;
    unsigned k;

    if (t > fz.now) {
        next = board_advance(b, fz.now);
        for (k = 0; next <= t && k < FZ_STEPS && !fz.stop; k++) {
            fz.now = next > fz.now ? next : fz.now + 1;
            next = board_advance(b, fz.now);
        }
    }
    fz.now = t;
    for (k = 0;; k++) {
        next = board_advance(b, t);
        if (next > t || fz.stop)
            break;
        FUZZ_CHECK(k + 1 < FZ_POLLS, "livelock: board_advance(%llu) keeps returning %llu",
                   (unsigned long long)t, (unsigned long long)next);
    }
}

/* ---- save and restore ---------------------------------------------------- */

static struct board *other(void)
{
    return cur == &boards[0] ? &boards[1] : &boards[0];
}

static size_t first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t i = 0;

    while (i < n && a[i] == b[i])
        i++;
    return i;
}

static void round_trip(void)
{
    struct board *nb = other();
    int64_t n = board_save(cur, img, sizeof img), r, n2;

    FUZZ_CHECK(n > 0, "save: %lld", (long long)n);
    board_fresh(nb);
    r = board_restore(nb, img, (size_t)n);
    FUZZ_CHECK(r == n, "restore of a fresh save: %lld of %lld", (long long)r, (long long)n);
    n2 = board_save(nb, img2, sizeof img2);
    FUZZ_CHECK(n2 == n && memcmp(img, img2, (size_t)n) == 0,
               "save, restore, save: %lld then %lld bytes, differing at %zu", (long long)n,
               (long long)n2, first_diff(img, img2, (size_t)(n < n2 ? n : n2)));
    board_stop(cur);
    cur = nb;
}

static void damaged(fuzz_in *in)
{
    struct board *nb = other();
    int64_t n = board_save(cur, img, sizeof img), r, a, c;
    unsigned k = fuzz_u8(in) % 8;

    FUZZ_CHECK(n > 0, "save: %lld", (long long)n);
    for (unsigned i = 0; i < k; i++) {
        uint16_t pos = fuzz_u16(in);
        uint8_t x = fuzz_u8(in);

        img[pos % (uint64_t)n] ^= x;
    }
    board_fresh(nb);
    board_stop(cur);
    cur = nb;
    r = board_restore(nb, img, (size_t)n);
    if (r < 0) {
        /* Refused: at power-on, which one more reset does not change. */
        a = board_save(nb, img, sizeof img);
        board_reset(nb);
        c = board_save(nb, img2, sizeof img2);
        FUZZ_CHECK(a > 0 && a == c && memcmp(img, img2, (size_t)a) == 0,
                   "a refused image (%lld) left the board not at power-on", (long long)r);
    } else {
        fz.damaged = true;
    }
}

/* ---- the stream -------------------------------------------------------------- */

static const unsigned widths[8] = { 1, 2, 4, 1, 2, 4, 8, 3 };
/* ISA lines of no board device; not 2, which shares IOAPIC pin 2 with the PIT. */
static const uint8_t free_lines[] = { 3, 5, 6, 7, 10, 11, 13, 14, 15 };

static uint16_t pick_port(fuzz_in *in)
{
    uint8_t sel = fuzz_u8(in);

    if (sel < 0xe0)
        return fz_ports[sel % (sizeof fz_ports / sizeof fz_ports[0])];
    return fuzz_u16(in);
}

static uint64_t pick_addr(fuzz_in *in)
{
    uint8_t sel = fuzz_u8(in);
    uint16_t off = fuzz_u16(in);
    unsigned n = sizeof fz_mmio / sizeof fz_mmio[0];

    if (sel >= 0xf0)
        return (uint64_t)fuzz_u32(in) << (sel & 0xf) | off;
    return fz_mmio[sel % n].base + off % fz_mmio[sel % n].len;
}

static void op(fuzz_in *in, uint8_t code)
{
    struct board *b = cur;
    uint16_t port;
    uint64_t addr;
    unsigned w;
    uint8_t v, buf[32];

    switch (code % 24) {
    case 0: case 1: case 2: case 3: case 4: case 5:
        port = pick_port(in);
        w = widths[fuzz_u8(in) & 7];
        board_pio_write(b, port, w, fuzz_u32(in));
        break;
    case 6: case 7: case 8:
        port = pick_port(in);
        w = widths[fuzz_u8(in) & 7];
        (void)board_pio_read(b, port, w);
        break;
    case 9:
        addr = pick_addr(in);
        w = widths[fuzz_u8(in) & 7];
        board_mmio_write(b, addr, w, fuzz_u64(in));
        break;
    case 10:
        addr = pick_addr(in);
        w = widths[fuzz_u8(in) & 7];
        (void)board_mmio_read(b, addr, w);
        break;
    case 11:
        /* Only lines no board device drives: the fabric keeps one level
           per line, and a device's restore or reset re-drives its own. */
        v = free_lines[fuzz_u8(in) % sizeof free_lines];
        fz.ext |= 1u << v;
        board_set_isa_irq(b, v, fuzz_u8(in) & 1);
        break;
    case 12:
        board_eoi(b, fuzz_u8(in));
        break;
    case 13:
        if (board_extint(b))
            (void)board_extint_ack(b);
        break;
    case 14:
        v = fuzz_u8(in);
        if (v >= 0xf0) {
            int dx = (int8_t)fuzz_u8(in), dy = (int8_t)fuzz_u8(in), dz = (int8_t)fuzz_u8(in);
            (void)board_mouse(b, dx * (v & 7), dy * (v & 7), dz, fuzz_u8(in));
        } else {
            (void)board_key(b, v, fuzz_u8(in) & 1);
        }
        break;
    case 15:
        v = fuzz_u8(in);
        for (w = 0; w < (v & 7u); w++)
            buf[w] = fuzz_u8(in);
        if (v & 8)
            (void)board_virtio_console_input(b, buf, v & 7u);
        else
            for (unsigned i = 0; i < (v & 7u); i++)
                (void)uart16550_model_receive(&b->com1, buf[i]);
        break;
    case 16:
        v = fuzz_u8(in);
        fz.refuse = v % 64;
        if (!fz.refuse)
            board_console_resume(b);
        break;
    case 17:
        time_to(b, fz.now + fuzz_u16(in));
        break;
    case 18: {
        uint64_t dt = fuzz_u32(in);
        time_to(b, fz.now + (dt << (fuzz_u8(in) % 24)));
        break;
    }
    case 19: {
        uint64_t dt = fuzz_u32(in);
        time_to(b, fz.now > dt ? fz.now - dt : 0);
        break;
    }
    case 20:
        if (fz.snapshots++ < FZ_SNAPSHOTS)
            round_trip();
        break;
    case 21:
        if (fz.snapshots++ < FZ_SNAPSHOTS)
            damaged(in);
        else
            (void)fuzz_bytes(in, 1);    /* its count byte, as damaged() reads */
        break;
    case 22:
        board_reset(b);
        break;
    case 23:
        addr = fuzz_u32(in) % FZ_RAM;
        v = fuzz_u8(in) % 32;
        for (w = 0; w < v; w++)
            ram[(addr + w) % FZ_RAM] = fuzz_u8(in);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };

    memset(&fz, 0, sizeof fz);
    memset(ram, 0, sizeof ram);
    fz.now = 1000;
    cur = &boards[0];
    board_fresh(cur);
    check(cur);
    for (unsigned i = 0; i < FZ_OPS && fuzz_more(&in) && !fz.stop; i++) {
        op(&in, fuzz_u8(&in));
        if (!fz.stop)
            check(cur);
    }
    board_stop(cur);
    return 0;
}
