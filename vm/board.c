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
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"

/* The tables (vm/acpi.c) describe this board: they must agree. */
_Static_assert(ACPI_IOAPIC_PADDR == IOAPIC_PC_BASE, "the MADT and the board disagree on the IOAPIC");
_Static_assert(ACPI_IOAPIC_GSI == 0 && IOAPIC_PINS == 24, "the MADT says 24 pins from GSI 0");
_Static_assert(BOARD_VIRTIO_VECTORS <= PCI_MSIX_VECTORS, "pci.h holds too few MSI-X vectors");
_Static_assert(VIRTIO_PCI_MSIX_OFFSET + PCI_MSIX_PBA_OFFSET(BOARD_VIRTIO_VECTORS) +
               PCI_MSIX_PBA_SIZE(BOARD_VIRTIO_VECTORS) <= VIRTIO_PCI_BAR_TOTAL,
               "the MSI-X table and PBA must fit in the virtio BAR");
_Static_assert(BOARD_VIRTIO_CON_BAR + VIRTIO_PCI_BAR_TOTAL <= BOARD_VIRTIO_MMIO_RNG,
               "the PCI window runs into the virtio-mmio windows");
_Static_assert(BOARD_VIRTIO_MMIO_CON + VIRTIO_MMIO_SIZE <= IOAPIC_PC_BASE,
               "the virtio-mmio windows run into the IOAPIC");
_Static_assert(ACPI_BOARD_RESET_PORT == BOARD_RST_CNT_PORT && (ACPI_BOARD_RESET_VALUE & BOARD_RST_CPU) != 0,
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

/* The lines the board's own devices drive: the PIT, the keyboard and the
   mouse, COM1, the RTC, the SCI, PCI's INTx# (GSIs 16-19) and the
   virtio-mmio devices. Each device's restore and reset re-drive its own. */
#define BOARD_LINES_OWNED                                                         \
    ((1u << BOARD_PIT_IRQ) | (1u << BOARD_KBD_IRQ) | (1u << BOARD_AUX_IRQ) |      \
     (1u << BOARD_COM1_IRQ) | (1u << BOARD_RTC_IRQ) | (1u << BOARD_SCI_IRQ) |     \
     (0xfu << BOARD_PCI_GSI_BASE) | (1u << BOARD_VIRTIO_MMIO_RNG_GSI) |            \
     (1u << BOARD_VIRTIO_MMIO_CON_GSI))

/* The other lines' levels are the board's state too (a line a test set
   with board_set_isa_irq() stays up across a save): a record of its own,
   the first in the image. Its bits of the devices' lines are ignored (the
   devices' own records say those), and lines_resync() then tells the
   controllers what the wires say. */
static int64_t lines_save(void *ctx, void *buf, size_t size)
{
    uint32_t v = ((struct board *)ctx)->lines.level;
    uint8_t *p = buf;

    if (size < 4)
        return -1;
    for (unsigned k = 0; k < 4; k++)
        p[k] = (uint8_t)(v >> (8 * k));
    return 4;
}

static int64_t lines_restore(void *ctx, const void *buf, size_t size)
{
    struct board *b = ctx;
    const uint8_t *p = buf;
    uint32_t v = 0;

    if (size != 4)
        return -1;
    for (unsigned k = 0; k < 4; k++)
        v |= (uint32_t)p[k] << (8 * k);
    if (IRQ_LINES < 32 && v >> IRQ_LINES)
        return -1;
    for (unsigned line = 0; line < IRQ_LINES; line++)
        if (!(BOARD_LINES_OWNED >> line & 1u))
            line_set(b, line, v >> line & 1u);
    return 4;
}

/* ---- virtio: guest memory, the PCI functions and the host side ---------- */

/* The devices' view of guest RAM (virtio.h's virtio_mem): a range is served
   only if it lies wholly in RAM, with no wrap (book/security.md, rule 6),
   so a ring or buffer aimed at a BAR, the IOAPIC or past the end is
   refused and the queue breaks (DEVICE_NEEDS_RESET) instead. The vCPU
   writes RAM while a device reads it: an aligned 2- or 4-byte copy is one
   access, as virtio.h asks for ring indices. */
static bool ram_ok(const struct board *b, uint64_t gpa, uint64_t n)
{
    return b->ram && gpa <= b->ram_size && n <= b->ram_size - gpa;
}

static bool vmem_check(void *ctx, uint64_t gpa, uint64_t n)
{
    return ram_ok(ctx, gpa, n);
}

static bool vmem_read(void *ctx, uint64_t gpa, void *dst, size_t n)
{
    struct board *b = ctx;
    const uint8_t *p;

    if (!ram_ok(b, gpa, n))
        return false;
    p = b->ram + gpa;
    if (n == 2 && !(gpa & 1)) {
        uint16_t v = __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED);
        memcpy(dst, &v, 2);
    } else if (n == 4 && !(gpa & 3)) {
        uint32_t v = __atomic_load_n((const uint32_t *)(const void *)p, __ATOMIC_RELAXED);
        memcpy(dst, &v, 4);
    } else {
        memcpy(dst, p, n);
    }
    return true;
}

static bool vmem_write(void *ctx, uint64_t gpa, const void *src, size_t n)
{
    struct board *b = ctx;
    uint8_t *p;

    if (!ram_ok(b, gpa, n))
        return false;
    p = b->ram + gpa;
    if (n == 2 && !(gpa & 1)) {
        uint16_t v;
        memcpy(&v, src, 2);
        __atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
    } else if (n == 4 && !(gpa & 3)) {
        uint32_t v;
        memcpy(&v, src, 4);
        __atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
    } else {
        memcpy(p, src, n);
    }
    return true;
}

/* Each virtio device's hooks get a context naming the board and the
   device: one small struct per device, inside the board. */
static struct board *vio_board(void *ctx, unsigned *i)
{
    const struct board_vio_ref *r = ctx;

    *i = r->i;
    return r->b;
}

static unsigned vio_devfn(unsigned i)
{
    return PCI_DEVFN(i == BOARD_VIO_PCI_RNG ? BOARD_VIRTIO_RNG_DEV : BOARD_VIRTIO_CON_DEV, 0);
}

/* The GSI a function's INTA# reaches (the line register says the same). */
static unsigned vio_pci_gsi(unsigned i)
{
    return BOARD_PCI_GSI_BASE + pci_swizzle(PCI_BDF_DEV(vio_devfn(i)), 1);
}

/* A PCI function's INTx# output (after INTX_DISABLE): onto its GSI, ORed
   with every other function that reaches the same one. */
static void pci_intx(void *ctx, unsigned devfn, unsigned pin, bool level)
{
    struct board *b = ctx;
    unsigned i, gsi = BOARD_PCI_GSI_BASE + pci_swizzle(PCI_BDF_DEV(devfn), pin);
    bool any = false;

    for (i = 0; i < BOARD_VIO_PCI_COUNT; i++) {
        if (vio_devfn(i) == devfn)
            b->intx[i] = level;
        if (vio_pci_gsi(i) == gsi)
            any |= b->intx[i];
    }
    line_set(b, gsi, any);
}

/* The virtio device's interrupt: on PCI its function's INTx# (the PCI
   model applies INTX_DISABLE and calls pci_intx); on MMIO its own GSI. */
static void vio_irq(void *ctx, bool level)
{
    unsigned i;
    struct board *b = vio_board(ctx, &i);

    if (i < BOARD_VIO_PCI_COUNT)
        pci_model_set_intx(&b->pci, vio_devfn(i), level);
    else
        line_set(b, i == BOARD_VIO_MMIO_RNG ? BOARD_VIRTIO_MMIO_RNG_GSI
                                            : BOARD_VIRTIO_MMIO_CON_GSI, level);
}

/* MSI-X on: the table sends the vector's message (or pends it, masked). */
static bool vio_msix(void *ctx, uint16_t vector)
{
    unsigned i;
    struct board *b = vio_board(ctx, &i);

    if (i >= BOARD_VIO_PCI_COUNT || !pci_msix_enabled(&b->msix[i]))
        return false;
    if (vector != VIRTIO_MSI_NO_VECTOR)
        pci_msix_signal(&b->msix[i], vector);
    return true;
}

static size_t vio_entropy(void *ctx, void *buf, size_t n)
{
    unsigned i;
    struct board *b = vio_board(ctx, &i);

    return b->hooks.entropy ? b->hooks.entropy(b->hooks.ctx, buf, n) : 0;
}

/* Console output: the driver's own bulk hook, or COM1's path byte by byte,
   stopping at the first byte the host refuses (the console keeps the rest
   until board_console_resume()). */
static size_t vio_tx(void *ctx, const void *buf, size_t n)
{
    unsigned i;
    struct board *b = vio_board(ctx, &i);
    const uint8_t *p = buf;
    size_t k;

    if (b->hooks.vcon_tx)
        return b->hooks.vcon_tx(b->hooks.ctx, buf, n);
    if (!b->hooks.console_tx)
        return n;
    for (k = 0; k < n && b->hooks.console_tx(b->hooks.ctx, p[k]); k++)
        ;
    return k;
}

static void vio_rx_room(void *ctx)
{
    unsigned i;
    struct board *b = vio_board(ctx, &i);

    if (b->hooks.vcon_room)
        b->hooks.vcon_room(b->hooks.ctx);
}

/* Work left over: virtio_model_resume() runs at the next board_advance(),
   not inside the hook (virtio.h asks for that). */
static void vio_wake(void *ctx)
{
    unsigned i;
    struct board *b = vio_board(ctx, &i);

    b->vio_wake[i] = true;
    if (b->hooks.wake)
        b->hooks.wake(b->hooks.ctx);
}

/* An MSI-X message is a dword write at an address: the same message the
   IOAPIC sends, to the same edge (KVM_SIGNAL_MSI, qtest's MSI lines). */
static void msix_send(void *ctx, uint64_t address, uint32_t data)
{
    struct board *b = ctx;
    const ioapic_msi m = { address, data };

    if (b->hooks.msi)
        b->hooks.msi(b->hooks.ctx, &m);
}

/* BAR 0 of a virtio function moved, or its memory decoding changed. */
static void pci_bar_changed(void *ctx, unsigned devfn, unsigned bar)
{
    struct board *b = ctx;
    uint64_t base, size;
    unsigned i;

    for (i = 0; i < BOARD_VIO_PCI_COUNT; i++) {
        if (vio_devfn(i) != devfn || (bar != 0 && bar != PCI_MODEL_COMMAND))
            continue;
        b->bar[i].on = pci_model_bar(&b->pci, devfn, 0, &base, &size) &&
                       size == VIRTIO_PCI_BAR_TOTAL && base <= UINT64_MAX - size;
        b->bar[i].base = b->bar[i].on ? base : 0;
    }
}

static int vio_pci_index(unsigned devfn)
{
    unsigned i;

    for (i = 0; i < BOARD_VIO_PCI_COUNT; i++)
        if (vio_devfn(i) == devfn)
            return (int)i;
    return -1;
}

/* Does a config access of `width` at `reg` touch [at, at + len)? */
static bool touches(uint16_t reg, unsigned width, unsigned at, unsigned len)
{
    return at && reg < at + len && reg + width > at;
}

/* The live 20 bytes of a function's PCI_CFG capability. */
static void pcicfg_bytes(const struct board *b, unsigned i, uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN])
{
    unsigned k;

    for (k = 0; k < VIRTIO_PCI_CFG_CAP_LEN; k++)
        cap[k] = (uint8_t)pci_model_config(&b->pci, vio_devfn(i),
                                           (uint16_t)(b->pcicfg_cap[i] + k), 1);
}

/* Configuration writes the board reacts to: MSI-X Message Control, and the
   data window of virtio's PCI_CFG capability (an access to the BAR through
   configuration space). */
static void pci_cfg_written(void *ctx, unsigned devfn, uint16_t reg, unsigned width)
{
    struct board *b = ctx;
    int i = vio_pci_index(devfn);
    uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN];

    if (i < 0)
        return;
    if (touches(reg, width, b->msix_cap[i] + PCI_MSIX_FLAGS, 2))
        pci_msix_control(&b->msix[i], (uint16_t)pci_model_config(
                                          &b->pci, devfn, b->msix_cap[i] + PCI_MSIX_FLAGS, 2));
    if (touches(reg, width, b->pcicfg_cap[i] + VIRTIO_PCI_CFG_CAP_DATA, 4)) {
        pcicfg_bytes(b, (unsigned)i, cap);
        virtio_model_pci_cfg_write(&b->vio[i], cap,
                                   pci_model_config(&b->pci, devfn, b->pcicfg_cap[i] +
                                                    VIRTIO_PCI_CFG_CAP_DATA, 4));
    }
}

static bool pci_cfg_read(void *ctx, unsigned devfn, uint16_t reg, unsigned width,
                         uint32_t *value)
{
    struct board *b = ctx;
    int i = vio_pci_index(devfn);
    unsigned data;
    uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN];

    if (i < 0 || !touches(reg, width, b->pcicfg_cap[i] + VIRTIO_PCI_CFG_CAP_DATA, 4))
        return false;
    /* The data window is a dword-aligned dword and the model's accesses
       stay inside one dword: this one lies inside the window. */
    data = b->pcicfg_cap[i] + VIRTIO_PCI_CFG_CAP_DATA;
    pcicfg_bytes(b, (unsigned)i, cap);
    *value = virtio_model_pci_cfg_read(&b->vio[i], cap) >> (8 * (reg - data));
    return true;
}

/* The BAR windows: the chipset's map is fixed at build time, and a guest
   may move a BAR, so they are looked up here, before the chipset. True if
   the access was one of theirs. An access that is not wholly inside one
   of the two parts (the model's registers, the MSI-X table and PBA) is
   refused as a hole is: all-ones, ignored. */
/* The MMIO the chipset decodes itself, ahead of any BAR: a PC's IOAPIC
   range is positively decoded by the chipset, and so are the board's
   virtio-mmio windows, so a BAR a guest moves over them gets no cycles
   there (book/security.md, PCI configuration: a guest must not be able to
   hide its interrupt controller). Under KVM the LAPIC page and guest RAM
   never reach the board at all. */
static bool fixed_mmio(uint64_t addr, unsigned width)
{
    static const struct { uint64_t base, size; } fixed[] = {
        { IOAPIC_PC_BASE, 0x1000 },
        { BOARD_VIRTIO_MMIO_RNG, BOARD_VIRTIO_MMIO_CON + VIRTIO_MMIO_SIZE - BOARD_VIRTIO_MMIO_RNG },
    };
    uint64_t last = addr + (width - 1);
    unsigned k;

    for (k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        if (last >= fixed[k].base && addr < fixed[k].base + fixed[k].size)
            return true;
    return false;
}

static bool bar_access(struct board *b, uint64_t addr, unsigned width, bool write, uint64_t *v)
{
    unsigned i;

    if (addr > UINT64_MAX - (width - 1) || fixed_mmio(addr, width))
        return false;
    for (i = 0; i < BOARD_VIO_PCI_COUNT; i++) {
        uint64_t off = addr - b->bar[i].base;

        if (!b->bar[i].on || addr < b->bar[i].base || off >= VIRTIO_PCI_BAR_TOTAL)
            continue;
        if (width > VIRTIO_PCI_BAR_TOTAL - off ||
            (off < VIRTIO_PCI_MSIX_OFFSET && width > VIRTIO_PCI_MSIX_OFFSET - off)) {
            if (!write)
                *v = width < 8 ? (1ull << (8 * width)) - 1 : UINT64_MAX;
        } else if (off < VIRTIO_PCI_MSIX_OFFSET) {
            if (write)
                virtio_model_write(&b->vio[i], off, width, *v);
            else
                *v = virtio_model_read(&b->vio[i], off, width);
        } else if (write) {
            pci_msix_write(&b->msix[i], off - VIRTIO_PCI_MSIX_OFFSET, width, *v);
        } else {
            *v = pci_msix_read(&b->msix[i], off - VIRTIO_PCI_MSIX_OFFSET, width);
        }
        return true;
    }
    return false;
}

/* A virtio-pci function as the firmware leaves it: IDs, BAR 0 assigned,
   decoding and bus mastering on, INTA# and its GSI in the line register,
   the virtio capabilities and MSI-X. */
static void build_vio_pci(struct board *b, unsigned i, uint32_t bar_base)
{
    static const unsigned types[] = { VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_NOTIFY_CFG,
                                      VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_DEVICE_CFG,
                                      VIRTIO_PCI_CAP_PCI_CFG };
    static pci_function f;      /* 768 bytes: not on the stack */
    virtio_model *v = &b->vio[i];
    uint8_t cap[VIRTIO_PCI_CAP_MAX];
    unsigned t, k, len;
    uint8_t at;

    pci_function_init(&f, VIRTIO_PCI_VENDOR, (uint16_t)VIRTIO_PCI_DEVICE_ID(v->cfg.device),
                      VIRTIO_PCI_CLASS(v->cfg.device), VIRTIO_PCI_REVISION);
    f.config[PCI_SUBSYSTEM_VENDOR_ID] = VIRTIO_PCI_SUBSYS_VENDOR & 0xff;
    f.config[PCI_SUBSYSTEM_VENDOR_ID + 1] = VIRTIO_PCI_SUBSYS_VENDOR >> 8;
    f.config[PCI_SUBSYSTEM_ID] = VIRTIO_PCI_SUBSYS_ID & 0xff;
    f.config[PCI_SUBSYSTEM_ID + 1] = VIRTIO_PCI_SUBSYS_ID >> 8;
    pci_function_bar(&f, 0, VIRTIO_PCI_BAR_TOTAL, 0);
    for (k = 0; k < 4; k++)
        f.config[PCI_BAR0 + k] = (uint8_t)(bar_base >> (8 * k));
    f.config[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    pci_function_irq(&f, 1);
    f.config[PCI_INTERRUPT_LINE] = (uint8_t)vio_pci_gsi(i);
    for (t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (!(len = virtio_model_pci_cap(v, types[t], cap)) ||
            !(at = pci_function_add_cap(&f, VIRTIO_PCI_CAP_VNDR, len)))
            continue;
        for (k = 2; k < len; k++)
            f.config[at + k] = cap[k];
        if (types[t] == VIRTIO_PCI_CAP_PCI_CFG) {
            /* bar, offset, length and the data window are the driver's */
            f.wmask[at + VIRTIO_PCI_CAP_BAR] = 0xff;
            for (k = VIRTIO_PCI_CAP_OFFSET; k < VIRTIO_PCI_CFG_CAP_LEN; k++)
                f.wmask[at + k] = 0xff;
            b->pcicfg_cap[i] = at;
        }
    }
    b->msix_cap[i] = pci_function_add_msix(&f, BOARD_VIRTIO_VECTORS, 0, VIRTIO_PCI_MSIX_OFFSET,
                                           0, (uint32_t)(VIRTIO_PCI_MSIX_OFFSET +
                                               PCI_MSIX_PBA_OFFSET(BOARD_VIRTIO_VECTORS)));
    pci_model_add(&b->pci, vio_devfn(i), &f);
}

/* ---- isa-debug-exit: the one device that is the monitor's own ---------- */

//! [monitor-debug-exit]
/* A 1-byte OUT of v asks to stop with status (v << 1) | 1, as QEMU's
   device does (the OS keeps the low 8 bits). Reads float high. */
static void debug_exit_write(void *ctx, uint64_t offset, unsigned width, uint64_t v)
{
    struct board *b = ctx;

    (void)offset;
    if (width == 1)
        board_exit(b, (int)(((v & 0xff) << 1) | 1) & 0xff);
}
//! [monitor-debug-exit]

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
/* The lines' levels: state only (lines_save). */
static const chipset_ops lines_ops = { .save = lines_save, .restore = lines_restore };
/* The reset register answers through the PCI ports' range (cf8_read);
   as a device it has its state only. */
static const chipset_ops rst_ops = {
    .reset = rst_reset, .save = rst_save, .restore = rst_restore,
};
/* virtio-mmio devices answer in their windows; the virtio-pci ones and
   their MSI-X tables are reached through the BAR windows (bar_access) and
   are chipset devices for their state alone, like the reset register. */
static const chipset_ops vio_mmio_ops = {
    .mmio_read = virtio_model_read, .mmio_write = virtio_model_write,
    .reset = virtio_model_reset, .save = virtio_model_save,
    .restore = virtio_model_restore,
};
static const chipset_ops vio_pci_ops = {
    .reset = virtio_model_reset, .save = virtio_model_save,
    .restore = virtio_model_restore,
};
static const chipset_ops msix_ops = {
    .reset = pci_msix_reset, .save = pci_msix_save, .restore = pci_msix_restore,
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
    const pci_model_hooks pci_hooks = { pci_bar_changed, pci_cfg_written, pci_cfg_read,
                                        pci_intx, b };
    const pci_msix_hooks msix_hooks = { msix_send, b };
    static const char *const vio_names[BOARD_VIO_COUNT] = {
        "virtio-pci-rng", "virtio-pci-con", "virtio-mmio-rng", "virtio-mmio-con" };
    int pic, pit, kbd;
    unsigned i;

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
    pci_model_init(&b->pci, &pci_hooks);    /* the host bridge at 00.0 */
    for (i = 0; i < BOARD_VIO_COUNT; i++) {
        virtio_model_hooks vh = { vio_irq, vio_msix, vio_entropy, vio_tx, vio_rx_room,
                                  vio_wake, &b->vio_ref[i] };
        virtio_model *v = &b->vio[i];

        b->vio_ref[i] = (struct board_vio_ref){ b, i };
        virtio_model_init(v, &vh);
        v->cfg.device = i == BOARD_VIO_PCI_RNG || i == BOARD_VIO_MMIO_RNG ? VIRTIO_ID_ENTROPY
                                                                        : VIRTIO_ID_CONSOLE;
        v->cfg.mem = (virtio_mem){ b, vmem_read, vmem_write, vmem_check };
        if (i < BOARD_VIO_PCI_COUNT) {
            v->cfg.transport = VIRTIO_TRANSPORT_PCI;
            v->cfg.msix_vectors = BOARD_VIRTIO_VECTORS;
            v->cfg.pci_bar = 0;
            pci_msix_init(&b->msix[i], BOARD_VIRTIO_VECTORS, &msix_hooks);
            build_vio_pci(b, i, i == BOARD_VIO_PCI_RNG ? BOARD_VIRTIO_RNG_BAR
                                                      : BOARD_VIRTIO_CON_BAR);
        }
        virtio_model_reset(v);
    }
    pci_model_reset(&b->pci);               /* the BAR table follows the functions */
    //! [board-lines]
    /* The controllers hear the lines (their set_irq is the fabric's input
       type); the IOAPIC hears the CPU's EOIs. */
    irq_lines_init(&b->lines);
    irq_lines_wire_pc(&b->lines, pic8259_model_set_irq, &b->pic, ioapic_model_set_irq,
                      &b->ioapic);
    irq_eoi_listen(&b->lines, ioapic_model_eoi, &b->ioapic);
    //! [board-lines]

    chipset_init(&b->chipset, &cfg);
    chipset_add_device(&b->chipset, "irq-lines", &lines_ops, b);   /* restored first */
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
    for (i = 0; i < BOARD_VIO_COUNT; i++) {
        if (i >= BOARD_VIO_PCI_COUNT) {
            add(b, vio_names[i], &vio_mmio_ops, &b->vio[i], CHIPSET_MMIO,
                i == BOARD_VIO_MMIO_RNG ? BOARD_VIRTIO_MMIO_RNG : BOARD_VIRTIO_MMIO_CON,
                VIRTIO_MMIO_SIZE);
            continue;
        }
        chipset_add_device(&b->chipset, vio_names[i], &vio_pci_ops, &b->vio[i]);
        chipset_add_device(&b->chipset, i == BOARD_VIO_PCI_RNG ? "msix-rng" : "msix-con",
                           &msix_ops, &b->msix[i]);
    }
    if (chipset_build(&b->chipset, NULL, 0))
        return false;
    board_start(b);
    return true;
}

/* ---- the board's entry points ----------------------------------------------- */

void board_set_ram(struct board *b, uint8_t *ram, uint64_t size)
{
    b->ram = ram;
    b->ram_size = ram ? size : 0;
}

void board_console_resume(struct board *b)
{
    uart16550_model_tx_resume(&b->com1);
    virtio_model_resume(&b->vio[BOARD_VIO_PCI_CON]);
    virtio_model_resume(&b->vio[BOARD_VIO_MMIO_CON]);
}

/* The first console whose driver is ready takes the input. With none
   ready, both are offered it (neither takes any): each remembers that
   input waits, so whichever driver comes up first calls vcon_room. */
size_t board_virtio_console_input(struct board *b, const void *buf, size_t n)
{
    static const unsigned order[] = { BOARD_VIO_PCI_CON, BOARD_VIO_MMIO_CON };
    unsigned k;

    for (k = 0; k < 2; k++)
        if (b->vio[order[k]].s.status & VIRTIO_STATUS_DRIVER_OK)
            return virtio_model_console_rx(&b->vio[order[k]], buf, n);
    (void)virtio_model_console_rx(&b->vio[BOARD_VIO_MMIO_CON], buf, n);
    return virtio_model_console_rx(&b->vio[BOARD_VIO_PCI_CON], buf, n);
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

//! [monitor-board-access]
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
    uint64_t v;

    if (width >= 1 && width <= 8 && bar_access(b, addr, width, false, &v))
        return v;
    return chipset_mmio_read(&b->chipset, addr, width);
}

void board_mmio_write(struct board *b, uint64_t addr, unsigned width, uint64_t value)
{
    if (width >= 1 && width <= 8 && bar_access(b, addr, width, true, &value))
        return;
    chipset_mmio_write(&b->chipset, addr, width, value);
}
//! [monitor-board-access]

//! [monitor-board-irq]
void board_eoi(struct board *b, uint8_t vector)
{
    irq_eoi_broadcast(&b->lines, vector);
}

uint8_t board_extint_ack(struct board *b)
{
    return pic8259_model_ack(&b->pic);
}
//! [monitor-board-irq]

bool board_extint(const struct board *b)
{
    return pic8259_model_output(&b->pic);
}

void board_set_isa_irq(struct board *b, unsigned irq, bool level)
{
    if (irq < 16)
        line_set(b, irq, level);
}

/* The virtio devices' left-over work first (their wake hook asked for
   it), then the models' deadlines. */
uint64_t board_advance(struct board *b, uint64_t now)
{
    unsigned i;

    for (i = 0; i < BOARD_VIO_COUNT; i++) {
        if (b->vio_wake[i]) {
            b->vio_wake[i] = false;
            virtio_model_resume(&b->vio[i]);
        }
    }
    return chipset_advance(&b->chipset, now);
}

/* The controllers' inputs are the wires' levels, whatever a restored
   image said they were (a damaged image may claim a line high that no
   device drives; a refused one leaves the 8259's levels of the records
   before the bad one) and whatever a reset made of them (the IOAPIC's
   power-on clears its inputs): every wire is told its line's level again,
   which changes nothing where they agree. Line 0 last: IOAPIC pin 2 hears
   ISA lines 0 and 2 (irq_lines_wire_pc()), and on a PC it is the PIT's.
   An IOAPIC pin no line reaches (pin 0 on a PC, and the spare ones) has
   no wire to say so: it is lowered, since nothing can drive it high. */
static void lines_resync(struct board *b)
{
    uint32_t wired = 0;
    unsigned line = IRQ_LINES, j, pin;

    for (line = 0; line < IRQ_LINES; line++)
        for (j = 0; j < IRQ_LINE_FANOUT; j++) {
            const irq_wire *w = &b->lines.wires[line][j];

            if (w->fn == ioapic_model_set_irq && w->ctx == &b->ioapic && w->input < 32)
                wired |= 1u << w->input;
        }
    for (pin = 0; pin < IOAPIC_PINS; pin++)
        if (!(wired >> pin & 1u))
            ioapic_model_set_irq(&b->ioapic, pin, false);
    line = IRQ_LINES;
    while (line-- > 0)
        for (j = 0; j < IRQ_LINE_FANOUT; j++) {
            const irq_wire *w = &b->lines.wires[line][j];

            if (w->fn)
                w->fn(w->ctx, w->input, irq_line_level(&b->lines, line));
        }
}

/* The models go back to power-on; the lines follow the models' outputs,
   which each reset drives to its reset level. */
void board_reset(struct board *b)
{
    chipset_reset(&b->chipset);
    lines_resync(b);
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
    uint32_t wires = b->lines.level;    /* the lines of no device, as they were */
    int64_t r = chipset_restore(&b->chipset, buf, size);
    unsigned line;

    if (r < 0) {
        for (line = 0; line < IRQ_LINES; line++)
            if (!(BOARD_LINES_OWNED >> line & 1u))
                line_set(b, line, wires >> line & 1u);
        /* A reset keeps the controllers' input levels (the wires do not
           change when the chips reset), and those are the refused image's
           now: reset, tell the inputs the wires' levels, and reset again,
           so that nothing the image said survives as a latched edge
           (board-pm/crash-refused-restore-stale-irq2). Every input is
           masked at power-on, so the resync in between delivers nothing. */
        chipset_reset(&b->chipset);
        lines_resync(b);
        chipset_reset(&b->chipset);
    }
    lines_resync(b);
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
