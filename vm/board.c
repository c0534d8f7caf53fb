/* board.c - the monitor's machine without its CPU (see board.h): the models
   of hdr/ registered with the chipset as themselves, wired to the line
   fabric, and the board's edge handed to whoever drives it. The models'
   implementations live here, once for the monitor. */
#include <stdio.h>
#include <string.h>

#include "board.h"

#define ACPI_PM_IMPLEMENTATION
#include "acpi_pm.h"
#define CHIPSET_IMPLEMENTATION
#include "chipset.h"
#define I8042_IMPLEMENTATION
#include "i8042.h"
#define IOAPIC_IMPLEMENTATION
#include "ioapic.h"
#define PCI_IMPLEMENTATION
#include "pci.h"
#define PIC8259_IMPLEMENTATION
#include "pic8259.h"
#define PIT8254_IMPLEMENTATION
#include "pit8254.h"
#define RTC_CMOS_IMPLEMENTATION
#include "rtc_cmos.h"
#define UART16550_IMPLEMENTATION
#include "uart16550.h"

/* The tables (vm/acpi.c) describe this board: they must agree. */
_Static_assert(ACPI_IOAPIC_PADDR == IOAPIC_PC_BASE, "the MADT and the board disagree on the IOAPIC");
_Static_assert(ACPI_IOAPIC_GSI == 0 && IOAPIC_PINS == 24, "the MADT says 24 pins from GSI 0");
_Static_assert(ACPI_BOARD_RESET_PORT == BOARD_RST_CNT_PORT && (ACPI_BOARD_RESET_VALUE & BOARD_RST_CPU),
               "the FADT's reset register must be the board's, and its value must reset");

/* ---- the wiring: model outputs onto the board's lines and edge ---------- */

/* Every change of an ISA line goes through here: the fabric carries it to
   the line's 8259 input and IOAPIC pin, and an observer hears it. */
static void line_set(struct board *b, unsigned line, bool level)
{
    bool was = irq_line_level(&b->lines, line);

    irq_line_set(&b->lines, line, level);
    if (was != level && b->hooks.line)
        b->hooks.line(b->hooks.ctx, line, level);
}

//! [board-wiring]
/* COM1's interrupt output is ISA IRQ4, the PIT's OUT0 ISA IRQ0, the RTC's
   IRQ output ISA IRQ8 and the PM block's SCI ISA IRQ9. */
static void com1_irq(void *ctx, bool level)
{
    line_set(ctx, BOARD_COM1_IRQ, level);
}

static void pit_irq(void *ctx, bool level)
{
    line_set(ctx, BOARD_PIT_IRQ, level);
}

static void rtc_irq(void *ctx, bool level)
{
    line_set(ctx, BOARD_RTC_IRQ, level);
}

/* The keyboard controller's two outputs: ISA IRQ1 (keyboard) and IRQ12
   (mouse). */
static void kbd_irq(void *ctx, bool level)
{
    line_set(ctx, BOARD_KBD_IRQ, level);
}

static void aux_irq(void *ctx, bool level)
{
    line_set(ctx, BOARD_AUX_IRQ, level);
}

static void pm_sci(void *ctx, bool level)
{
    line_set(ctx, BOARD_SCI_IRQ, level);
}
//! [board-wiring]

/* The host side may refuse a byte (its output is full): the UART keeps it
   until board_console_resume(). No hook: every byte is taken. */
static bool com1_tx(void *ctx, uint8_t byte)
{
    struct board *b = ctx;

    return !b->hooks.console_tx || b->hooks.console_tx(b->hooks.ctx, byte);
}

static void com1_room(void *ctx)
{
    struct board *b = ctx;

    if (b->hooks.console_room)
        b->hooks.console_room(b->hooks.ctx);
}

/* The keyboard's buffer has room again: the host's keys may go on. */
static void kbd_room(void *ctx)
{
    struct board *b = ctx;

    if (b->hooks.kbd_room)
        b->hooks.kbd_room(b->hooks.ctx);
}

static void model_wake(void *ctx)
{
    struct board *b = ctx;

    if (b->hooks.wake)
        b->hooks.wake(b->hooks.ctx);
}

static uint64_t board_now(void *ctx)
{
    struct board *b = ctx;

    return b->hooks.now(b->hooks.ctx);
}

/* ---- power: soft-off and reset ------------------------------------------ */

static void board_exit(struct board *b, int status)
{
    if (b->hooks.exit)
        b->hooks.exit(b->hooks.ctx, status);
}

//! [board-power]
/* The keyboard controller's reset line (command 0xFE, or an output-port
   write with bit 0 clear): one reset request, as the reset register's. */
static void kbd_reset(void *ctx)
{
    board_exit(ctx, BOARD_EXIT_RESET);
}

/* SLP_EN with the \_S5 type our DSDT gives is soft-off. Other types
   would be sleep states (S1 to S4), which this board does not have, as
   its DSDT says by naming none: the write changes nothing, as on a chipset
   whose firmware does not support that state. */
static void pm_sleep(void *ctx, unsigned slp_typ)
{
    if (slp_typ == ACPI_BOARD_S5_SLP_TYP)
        board_exit(ctx, BOARD_EXIT_POWEROFF);
}

/* The reset control register at 0xcf9, as Intel's chipsets have it and the
   FADT's RESET_REG names it: a write with RST_CPU set resets (Linux writes
   SYS_RST first, then SYS_RST | RST_CPU; ACPI's reset writes RESET_VALUE
   0x06 at once). The kept bits read back; RST_CPU reads 0. */
static uint64_t rst_read(void *ctx, uint64_t offset, unsigned width)
{
    struct board *b = ctx;

    (void)offset;
    return width == 1 ? b->rst_cnt : (width < 8 ? (1ull << (8 * width)) - 1 : UINT64_MAX);
}

static void rst_write(void *ctx, uint64_t offset, unsigned width, uint64_t v)
{
    struct board *b = ctx;

    (void)offset;
    if (width != 1)
        return;
    b->rst_cnt = (uint8_t)(v & BOARD_RST_CNT_KEEP);
    if (v & BOARD_RST_CPU)
        board_exit(b, BOARD_EXIT_RESET);
}
//! [board-power]

//! [board-cf8]
/* Ports 0xCF8-0xCFF are PCI's configuration mechanism #1 (CONFIG_ADDRESS,
   a dword at 0xCF8; CONFIG_DATA, 0xCFC-0xCFF), and on an Intel chipset a
   byte at 0xCF9 is the reset control register instead, decoded by width:
   a dword access to 0xCF8 reaches the address register, a byte one to
   0xCF9 the reset register. One range, then, split by width here: the
   chipset lets no two ranges overlap. */
static uint64_t cf8_read(void *ctx, uint64_t offset, unsigned width)
{
    struct board *b = ctx;

    if (offset == BOARD_RST_CNT_PORT - PCI_PC_CONFIG_ADDRESS && width == 1)
        return rst_read(b, 0, 1);
    return pci_model_read(&b->pci, offset, width);
}

static void cf8_write(void *ctx, uint64_t offset, unsigned width, uint64_t v)
{
    struct board *b = ctx;

    if (offset == BOARD_RST_CNT_PORT - PCI_PC_CONFIG_ADDRESS && width == 1)
        rst_write(b, 0, 1, v);
    else
        pci_model_write(&b->pci, offset, width, v);
}
//! [board-cf8]

static void pci_reset(void *ctx)
{
    pci_model_reset(&((struct board *)ctx)->pci);
}

static int64_t pci_save(void *ctx, void *buf, size_t size)
{
    return pci_model_save(&((struct board *)ctx)->pci, buf, size);
}

static int64_t pci_restore(void *ctx, const void *buf, size_t size)
{
    return pci_model_restore(&((struct board *)ctx)->pci, buf, size);
}

static void rst_reset(void *ctx)
{
    ((struct board *)ctx)->rst_cnt = 0;
}

static int64_t rst_save(void *ctx, void *buf, size_t size)
{
    if (size < 1)
        return -1;
    *(uint8_t *)buf = ((struct board *)ctx)->rst_cnt;
    return 1;
}

static int64_t rst_restore(void *ctx, const void *buf, size_t size)
{
    uint8_t v;

    if (size != 1 || ((v = *(const uint8_t *)buf) & ~BOARD_RST_CNT_KEEP))
        return -1;
    ((struct board *)ctx)->rst_cnt = v;
    return 1;
}

/* ---- isa-debug-exit: the one device that is the monitor's own ---------- */

/* A 1-byte OUT of v asks to stop with status (v << 1) | 1, as QEMU's
   device does (the OS keeps the low 8 bits). Reads float high. */
static void debug_exit_write(void *ctx, uint64_t offset, unsigned width, uint64_t v)
{
    struct board *b = ctx;

    (void)offset;
    if (width == 1)
        board_exit(b, (int)(((v & 0xff) << 1) | 1) & 0xff);
}

/* ---- building ------------------------------------------------------------ */

/* book/security.md, rule 5: holes read all-ones and ignore writes; the
   builder does that and rate-limits this warning (the first 10, then the
   2^k-th). */
static void warn_unclaimed(void *ctx, const chipset_unclaimed *u)
{
    (void)ctx;
    fprintf(stderr, "bbvm: warning: unclaimed %s %#llx: %u-byte %s (#%llu%s)\n",
            u->kind == CHIPSET_PIO ? "port" : "MMIO address", (unsigned long long)u->addr,
            u->width, u->is_write ? "write ignored" : "read as all-ones",
            (unsigned long long)u->count,
            u->count == 10 ? "; from now on only every 2^k-th is shown" : "");
}

static void build_error(void *ctx, const chipset_error *e)
{
    char line[160];

    (void)ctx;
    chipset_format_error(e, line, sizeof line);
    fprintf(stderr, "bbvm: chipset: %s\n", line);
}

//! [board-ops]
/* Each model's contract functions are the chipset's handlers as they are
   (book/chipset.md, "The shape of a device model"): no adapters. */
static const chipset_ops com1_ops = {
    .pio_read = uart16550_model_read, .pio_write = uart16550_model_write,
    .poll = uart16550_model_poll, .reset = uart16550_model_reset,
    .save = uart16550_model_save, .restore = uart16550_model_restore,
};
static const chipset_ops kbd_ops = {
    .pio_read = i8042_model_read, .pio_write = i8042_model_write,
    .reset = i8042_model_reset, .save = i8042_model_save,
    .restore = i8042_model_restore,
};
static const chipset_ops pic_ops = {
    .pio_read = pic8259_model_read, .pio_write = pic8259_model_write,
    .reset = pic8259_model_reset, .save = pic8259_model_save,
    .restore = pic8259_model_restore,
};
static const chipset_ops ioapic_ops = {
    .mmio_read = ioapic_model_read, .mmio_write = ioapic_model_write,
    .poll = ioapic_model_poll, .reset = ioapic_model_reset,
    .save = ioapic_model_save, .restore = ioapic_model_restore,
};
static const chipset_ops pm_ops = {
    .pio_read = acpi_pm_model_read, .pio_write = acpi_pm_model_write,
    .poll = acpi_pm_model_poll, .reset = acpi_pm_model_reset,
    .save = acpi_pm_model_save, .restore = acpi_pm_model_restore,
};
static const chipset_ops pit_ops = {
    .pio_read = pit8254_model_read, .pio_write = pit8254_model_write,
    .poll = pit8254_model_poll, .reset = pit8254_model_reset,
    .save = pit8254_model_save, .restore = pit8254_model_restore,
};
static const chipset_ops rtc_ops = {
    .pio_read = rtc_cmos_model_read, .pio_write = rtc_cmos_model_write,
    .poll = rtc_cmos_model_poll, .reset = rtc_cmos_model_reset,
    .save = rtc_cmos_model_save, .restore = rtc_cmos_model_restore,
};
static const chipset_ops exit_ops = { .pio_write = debug_exit_write };
/* The reset register answers through the PCI ports' range (cf8_read);
   as a device it has its state only. */
static const chipset_ops rst_ops = {
    .reset = rst_reset, .save = rst_save, .restore = rst_restore,
};
static const chipset_ops pci_ops = {
    .pio_read = cf8_read, .pio_write = cf8_write, .reset = pci_reset,
    .save = pci_save, .restore = pci_restore,
};
//! [board-ops]

/* One device with one range at device offset 0. */
static int add(struct board *b, const char *name, const chipset_ops *ops, void *ctx,
               chipset_kind kind, uint64_t base, uint64_t len)
{
    int dev = chipset_add_device(&b->chipset, name, ops, ctx);

    chipset_add_range(&b->chipset, dev, kind, base, len, NULL);
    return dev;
}

bool board_init(struct board *b, const struct board_hooks *h)
{
    const uart16550_model_hooks com1_hooks = { com1_tx, com1_irq, com1_room, board_now,
                                               model_wake, b };
    const i8042_model_hooks kbd_hooks = { kbd_irq, aux_irq, kbd_reset, NULL, kbd_room, b };
    /* The controllers' outputs are the board's edge itself: their hooks are
       the caller's, with the caller's context (NULL ones stay NULL, which
       the models skip). */
    const pic8259_model_hooks pic_hooks = { h->extint, h->ctx };
    const ioapic_model_hooks ioapic_hooks = { h->msi, h->wake, h->entry_changed, h->ctx };
    const acpi_pm_model_hooks pm_hooks = { board_now, pm_sci, model_wake, pm_sleep, b };
    const pit8254_model_hooks pit_hooks = { board_now, pit_irq, model_wake, b };
    const rtc_cmos_model_hooks rtc_hooks = { board_now, rtc_irq, model_wake, b };
    chipset_config cfg = { .devices = b->devices, .device_cap = BOARD_DEVICES,
                           .ranges = b->ranges, .range_cap = BOARD_RANGES,
                           .on_error = build_error, .on_unclaimed = warn_unclaimed,
                           .hook_ctx = b };
    int pic, pit, kbd;

    memset(b, 0, sizeof *b);
    b->hooks = *h;
    uart16550_model_init(&b->com1, &com1_hooks);
    pic8259_model_init(&b->pic, &pic_hooks);
    ioapic_model_init(&b->ioapic, &ioapic_hooks);
    acpi_pm_model_init(&b->pm, &pm_hooks);
    b->pm.cfg.tmr_32bit = BBVM_PM_TMR_32BIT;    /* as the FADT's TMR_VAL_EXT says */
    pit8254_model_init(&b->pit, &pit_hooks);
    rtc_cmos_model_init(&b->rtc, &rtc_hooks);
    i8042_model_init(&b->kbd, &kbd_hooks);
    pci_model_init(&b->pci, NULL);          /* the host bridge alone on bus 0 */
    //! [board-lines]
    /* The controllers hear the lines (their set_irq is the fabric's input
       type); the IOAPIC hears the CPU's EOIs. */
    irq_lines_init(&b->lines);
    irq_lines_wire_pc(&b->lines, pic8259_model_set_irq, &b->pic, ioapic_model_set_irq,
                      &b->ioapic);
    irq_eoi_listen(&b->lines, ioapic_model_eoi, &b->ioapic);
    //! [board-lines]

    chipset_init(&b->chipset, &cfg);
    add(b, "com1", &com1_ops, &b->com1, CHIPSET_PIO, UART16550_PC_COM1_PORT,
        UART16550_NREGS);
    add(b, "debug-exit", &exit_ops, b, CHIPSET_PIO, BOARD_DEBUG_EXIT_PORT, 1);
    //! [board-pic]
    pic = chipset_add_device(&b->chipset, "pic8259", &pic_ops, &b->pic);
    chipset_add_range_at(&b->chipset, pic, CHIPSET_PIO, PIC8259_PC_MASTER_PORT, 2, "master",
                         PIC8259_MODEL_MASTER);
    chipset_add_range_at(&b->chipset, pic, CHIPSET_PIO, PIC8259_PC_SLAVE_PORT, 2, "slave",
                         PIC8259_MODEL_SLAVE);
    chipset_add_range_at(&b->chipset, pic, CHIPSET_PIO, PIC8259_PC_ELCR_PORT, 2, "elcr",
                         PIC8259_MODEL_ELCR);
    //! [board-pic]
    add(b, "ioapic", &ioapic_ops, &b->ioapic, CHIPSET_MMIO, IOAPIC_PC_BASE, IOAPIC_WINDOW);
    add(b, "acpi-pm", &pm_ops, &b->pm, CHIPSET_PIO, ACPI_PM_PC_BASE, ACPI_PM_LEN);
    pit = chipset_add_device(&b->chipset, "pit8254", &pit_ops, &b->pit);
    chipset_add_range_at(&b->chipset, pit, CHIPSET_PIO, PIT8254_PC_PORT, 4, "counters",
                         PIT8254_MODEL_COUNTER0);
    chipset_add_range_at(&b->chipset, pit, CHIPSET_PIO, PIT8254_PC_PORT61, 1, "port61",
                         PIT8254_MODEL_PORT61);
    add(b, "rtc", &rtc_ops, &b->rtc, CHIPSET_PIO, RTC_CMOS_PC_PORT, RTC_CMOS_MODEL_LEN);
    chipset_add_device(&b->chipset, "reset", &rst_ops, b);
    add(b, "pci", &pci_ops, b, CHIPSET_PIO, PCI_PC_CONFIG_ADDRESS, PCI_MODEL_LEN);
    kbd = chipset_add_device(&b->chipset, "i8042", &kbd_ops, &b->kbd);
    chipset_add_range_at(&b->chipset, kbd, CHIPSET_PIO, I8042_PC_DATA_PORT, 1, "data",
                         I8042_MODEL_DATA);
    chipset_add_range_at(&b->chipset, kbd, CHIPSET_PIO, I8042_PC_CMD_PORT, 1, "command",
                         I8042_MODEL_STATUS);
    if (chipset_build(&b->chipset, NULL, 0))
        return false;
    board_start(b);
    return true;
}

/* ---- the board's entry points ----------------------------------------------- */

void board_console_resume(struct board *b)
{
    uart16550_model_tx_resume(&b->com1);
}

bool board_key(struct board *b, uint8_t hid_usage, bool pressed)
{
    return i8042_model_key(&b->kbd, hid_usage, pressed);
}

bool board_mouse(struct board *b, int dx, int dy, int dz, uint8_t buttons)
{
    return i8042_model_mouse(&b->kbd, dx, dy, dz, buttons);
}

unsigned board_kbd_room(const struct board *b)
{
    return i8042_model_kbd_room(&b->kbd);
}

void board_set_wall(struct board *b, int64_t unix_seconds, uint32_t ns)
{
    rtc_cmos_model_set_wall(&b->rtc, unix_seconds, ns);
}

uint64_t board_pio_read(struct board *b, uint16_t port, unsigned width)
{
    return chipset_pio_read(&b->chipset, port, width);
}

void board_pio_write(struct board *b, uint16_t port, unsigned width, uint64_t value)
{
    chipset_pio_write(&b->chipset, port, width, value);
}

uint64_t board_mmio_read(struct board *b, uint64_t addr, unsigned width)
{
    return chipset_mmio_read(&b->chipset, addr, width);
}

void board_mmio_write(struct board *b, uint64_t addr, unsigned width, uint64_t value)
{
    chipset_mmio_write(&b->chipset, addr, width, value);
}

void board_eoi(struct board *b, uint8_t vector)
{
    irq_eoi_broadcast(&b->lines, vector);
}

uint8_t board_extint_ack(struct board *b)
{
    return pic8259_model_ack(&b->pic);
}

bool board_extint(const struct board *b)
{
    return pic8259_model_output(&b->pic);
}

void board_set_isa_irq(struct board *b, unsigned irq, bool level)
{
    if (irq < 16)
        line_set(b, irq, level);
}

uint64_t board_advance(struct board *b, uint64_t now)
{
    return chipset_advance(&b->chipset, now);
}

/* The models go back to power-on; the lines follow the models' outputs,
   which each reset drives to its reset level. */
void board_reset(struct board *b)
{
    chipset_reset(&b->chipset);
}

void board_start(struct board *b)
{
    chipset_start(&b->chipset);
}

void board_stop(struct board *b)
{
    chipset_stop(&b->chipset);
}

int64_t board_save(struct board *b, void *buf, size_t size)
{
    return chipset_save(&b->chipset, buf, size);
}

/* chipset_restore() stops at the first bad record, with the ones before it
   loaded: a half-restored machine is no machine, so it goes back to
   power-on instead. */
int64_t board_restore(struct board *b, const void *buf, size_t size)
{
    int64_t r = chipset_restore(&b->chipset, buf, size);

    if (r < 0)
        chipset_reset(&b->chipset);
    return r;
}

static void print_counters(void *ctx, const char *name, const chipset_counters *n)
{
    (void)ctx;
    fprintf(stderr, "bbvm: device %-10s port reads %llu writes %llu, MMIO reads %llu writes %llu\n",
            name, (unsigned long long)n->reads[CHIPSET_PIO],
            (unsigned long long)n->writes[CHIPSET_PIO], (unsigned long long)n->reads[CHIPSET_MMIO],
            (unsigned long long)n->writes[CHIPSET_MMIO]);
}

void board_print_counters(const struct board *b)
{
    chipset_visit_counters(&b->chipset, print_counters, NULL);
    fprintf(stderr, "bbvm: unclaimed: %llu port accesses, %llu MMIO accesses\n",
            (unsigned long long)chipset_unclaimed_count(&b->chipset, CHIPSET_PIO),
            (unsigned long long)chipset_unclaimed_count(&b->chipset, CHIPSET_MMIO));
}
