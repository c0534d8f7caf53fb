/* board.h - the monitor's machine without its CPU: every device model of
   hdr/ put on one chipset (hdr/chipset.h) and wired to the line fabric
   (hdr/irq.h) as a PC's motherboard wires them.

   The board knows nothing of KVM, threads or files. What leaves it toward
   a CPU or the host goes through struct board_hooks: interrupt messages
   from the IOAPIC, the 8259 pair's INT output, bytes COM1 sends, the
   debug-exit device's request to stop. Whoever drives it (vm/vcpu.c with a
   vCPU, vm/qtest.c with requests on a line protocol) provides those hooks
   and the board's clock, and calls in with the guest's accesses. So the
   same board, built by the same code, runs under KVM and without a CPU.

   What is where (the book's chapter "The chipset builder" has the table):
     port 0x20-0x21, 0xa0-0xa1, 0x4d0-0x4d1  8259 pair and ELCR  (pic8259.h)
     port 0x40-0x43, 0x61                    8254 PIT, OUT0 on ISA IRQ0, and
                                             system control port B (pit8254.h)
     port 0x60, 0x64                         i8042 keyboard controller, PS/2
                                             keyboard on IRQ1, mouse on IRQ12 (i8042.h)
     port 0x70-0x71                          CMOS RTC, ISA IRQ8  (rtc_cmos.h)
     port 0x3f8-0x3ff                        COM1, ISA IRQ4     (uart16550.h)
     port 0x600-0x60b                        ACPI PM block, SCI on IRQ9 (acpi_pm.h)
     port 0xcf8-0xcff                        PCI configuration mechanism #1: the host
                                             bridge alone on bus 0 (pci.h); a byte at
                                             0xcf9 is the reset control register (the
                                             FADT's reset register)
     port 0xf4                               isa-debug-exit (as in QEMU)
     MMIO 0xfe000000-0xfe007fff              virtio-pci entropy source, 00:03.0, BAR 0
                                             (virtio.h; MSI-X table at +0x4000, pci.h)
     MMIO 0xfe008000-0xfe00ffff              virtio-pci console, 00:04.0, BAR 0
     MMIO 0xfeb00000-0xfeb001ff              virtio-mmio entropy source, GSI 20
     MMIO 0xfeb00200-0xfeb003ff              virtio-mmio console, GSI 21
     MMIO 0xfec00000-0xfec00fff              IOAPIC, 24 pins    (ioapic.h)
   Everything else reads all-ones and ignores writes.

   The board is the PCI firmware too: the two virtio-pci functions come out
   of reset with BAR 0 assigned (from BOARD_PCI_MEM_BASE), memory decoding
   and bus mastering on, and the interrupt line register holding the GSI
   their INTA# reaches: 16 + pci_swizzle(device, INTA), level, active-high
   (rng 19, console 16). There is no _PRT in the DSDT yet: that register is
   the routing. A guest may move a BAR; the board follows it. The
   virtio-mmio windows are announced on the kernel command line
   (BOARD_VIRTIO_MMIO_CMDLINE, which bbvm appends to the operator's).

   Not thread-safe: the caller serializes every call (bbvm holds its board
   lock around each), hooks included, which run inside those calls. */
#ifndef BBVM_BOARD_H
#define BBVM_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi.h"         /* vm/acpi.h: what the firmware tables say of this board */
#include "acpi_pm.h"
#include "chipset.h"
#include "i8042.h"
#include "ioapic.h"
#include "irq.h"
#include "pci.h"
#include "pic8259.h"
#include "pit8254.h"
#include "rtc_cmos.h"
#include "uart16550.h"
#include "virtio.h"

/* isa-debug-exit: a 1-byte OUT of v to this port ends the run with status
   (v << 1) | 1, as QEMU's -device isa-debug-exit,iobase=0xf4,iosize=1. */
#define BOARD_DEBUG_EXIT_PORT 0xf4u

/* The machine switched itself off or asked to be reset; the exit hook is
   called with these statuses (bbvm's own: even, see vm/main.c):
     BOARD_EXIT_POWEROFF  SLP_EN written to PM1a_CNT with the SLP_TYP of
                          the DSDT's \_S5 (ACPI soft-off)
     BOARD_EXIT_RESET     a reset through the reset control register at
                          0xcf9 (the FADT's RESET_REG), or the keyboard
                          controller's reset line (command 0xFE) */
#define BOARD_EXIT_POWEROFF 14
#define BOARD_EXIT_RESET    16

/* The reset control register (Intel's RST_CNT, port 0xcf9): bits 1
   (SYS_RST, hard reset) and 3 (FULL_RST) are kept and read back; setting
   bit 2 (RST_CPU) resets. */
#define BOARD_RST_CNT_PORT 0xcf9u
#define BOARD_RST_CNT_KEEP 0x0au
#define BOARD_RST_CPU      0x04u
/* The board's ISA lines: the PC's numbers, wired by irq_lines_wire_pc().
   The SCI's is the one the FADT and the MADT's override announce. */
#define BOARD_PIT_IRQ  0u
#define BOARD_KBD_IRQ  I8042_PC_KBD_IRQ
#define BOARD_AUX_IRQ  I8042_PC_AUX_IRQ
#define BOARD_COM1_IRQ UART16550_PC_COM1_IRQ
#define BOARD_RTC_IRQ  RTC_CMOS_PC_IRQ
#define BOARD_SCI_IRQ  ACPI_SCI_IRQ

/* PCI memory the board's firmware hands out: each virtio-pci function's
   BAR 0 (VIRTIO_PCI_BAR_TOTAL bytes) at reset, below the virtio-mmio
   windows and the IOAPIC, above the most RAM bbvm gives (3 GiB). */
#define BOARD_PCI_MEM_BASE   0xfe000000u
#define BOARD_VIRTIO_RNG_DEV 3u         /* 00:03.0 */
#define BOARD_VIRTIO_CON_DEV 4u         /* 00:04.0 */
#define BOARD_VIRTIO_RNG_BAR BOARD_PCI_MEM_BASE
#define BOARD_VIRTIO_CON_BAR (BOARD_PCI_MEM_BASE + VIRTIO_PCI_BAR_TOTAL)
/* Where INTA# of PCI device d arrives: IOAPIC pin 16 + pci_swizzle(d, 1). */
#define BOARD_PCI_GSI_BASE   16u
/* MSI-X vectors of each virtio-pci function: configuration changes and
   the queues (a driver may share one between them). */
#define BOARD_VIRTIO_VECTORS 2u
/* virtio-mmio windows (VIRTIO_MMIO_SIZE bytes each) and their GSIs,
   level-triggered, active-high. */
#define BOARD_VIRTIO_MMIO_RNG 0xfeb00000u
#define BOARD_VIRTIO_MMIO_CON 0xfeb00200u
#define BOARD_VIRTIO_MMIO_RNG_GSI 20u
#define BOARD_VIRTIO_MMIO_CON_GSI 21u
/* How a Linux guest learns of them (its virtio_mmio.device= syntax:
   size@base:irq). */
#define BOARD_VIRTIO_MMIO_CMDLINE \
    "virtio_mmio.device=512@0xfeb00000:20 virtio_mmio.device=512@0xfeb00200:21"

/* The board's virtio devices, by index in struct board's arrays. */
enum board_virtio { BOARD_VIO_PCI_RNG, BOARD_VIO_PCI_CON, BOARD_VIO_MMIO_RNG,
                    BOARD_VIO_MMIO_CON, BOARD_VIO_COUNT };
#define BOARD_VIO_PCI_COUNT 2u          /* the first two are on PCI */

/* Devices and ranges the board registers (with room to spare). */
#define BOARD_DEVICES 20
#define BOARD_RANGES  24

/* The board's edge. Every hook may be NULL (the event is dropped). */
struct board_hooks {
    /* Board time in ns: one clock that never runs backwards (the host's
       monotonic clock under KVM, the virtual clock under qtest). Required. */
    uint64_t (*now)(void *ctx);
    /* The IOAPIC sent an interrupt message to the local APICs. */
    void (*msi)(void *ctx, const ioapic_msi *msg);
    /* The 8259 pair's INT output changed: LINT0, wired as ExtINT. */
    void (*extint)(void *ctx, bool level);
    /* A guest write landed in IOAPIC redirection entry `pin` (KVM keeps an
       MSI route per pin; see vm/vcpu.c). */
    void (*entry_changed)(void *ctx, unsigned pin);
    /* COM1 transmitted a byte. False: the host cannot take it now; the
       UART keeps it (THRE low) until board_console_resume(). NULL: every
       byte is taken (and dropped). */
    bool (*console_tx)(void *ctx, uint8_t byte);
    /* COM1 can take received bytes again after it could not. */
    void (*console_room)(void *ctx);
    /* The keyboard's buffer has room for a key again after it had not
       (the i8042's kbd_room hook; see board_kbd_room()). */
    void (*kbd_room)(void *ctx);
    /* The guest asked to stop with this exit status (debug-exit). */
    void (*exit)(void *ctx, int status);
    /* ISA line `line` changed level (a tap for observers: qtest's
       irq_intercept_in; the controllers hear the line anyway). */
    void (*line)(void *ctx, unsigned line, bool level);
    /* A model's next deadline moved earlier, or a virtio device has work
       left: call board_advance() soon. */
    void (*wake)(void *ctx);
    /* Random bytes for the virtio entropy devices: fill up to n bytes of
       buf and say how many (0: none now; the request waits for a later
       board_advance()). NULL: none, ever. */
    size_t (*entropy)(void *ctx, void *buf, size_t n);
    /* A virtio console transmitted bytes: take up to n, say how many.
       Fewer: the console keeps the rest until board_console_resume().
       NULL: they go through console_tx, byte by byte, COM1's path. */
    size_t (*vcon_tx)(void *ctx, const void *buf, size_t n);
    /* A virtio console has receive buffers again after
       board_virtio_console_input() took less than it was given. */
    void (*vcon_room)(void *ctx);
    void *ctx;
};

/* A virtio device's hook context: the board and which device. */
struct board_vio_ref {
    struct board *b;
    unsigned i;                 /* enum board_virtio */
};

/* One virtio-pci function's BAR 0 as it decodes now (refreshed from the
   PCI model's bar_changed hook). */
struct board_bar {
    uint64_t base;
    bool on;                    /* memory decoding on and the BAR placed */
};

struct board {
    chipset chipset;
    chipset_device devices[BOARD_DEVICES];
    chipset_range ranges[BOARD_RANGES];
    uart16550_model com1;
    pic8259_model pic;
    ioapic_model ioapic;
    acpi_pm_model pm;
    pit8254_model pit;
    rtc_cmos_model rtc;
    i8042_model kbd;
    pci_model pci;
    virtio_model vio[BOARD_VIO_COUNT];
    struct board_vio_ref vio_ref[BOARD_VIO_COUNT];
    pci_msix msix[BOARD_VIO_PCI_COUNT];
    struct board_bar bar[BOARD_VIO_PCI_COUNT];
    uint8_t msix_cap[BOARD_VIO_PCI_COUNT];    /* offsets in configuration space */
    uint8_t pcicfg_cap[BOARD_VIO_PCI_COUNT];  /* virtio's PCI_CFG capability */
    bool intx[BOARD_VIO_PCI_COUNT];           /* each function's INTx# output */
    bool vio_wake[BOARD_VIO_COUNT];           /* resume at the next board_advance() */
    uint8_t *ram;                             /* guest RAM the virtio devices see */
    uint64_t ram_size;
    uint8_t rst_cnt;            /* the reset control register's kept bits */
    irq_lineset lines;
    struct board_hooks hooks;
};

/* Build the board at power-on with its hooks. False (after printing each
   problem to stderr) only if the chipset refuses the map: a bug here. */
bool board_init(struct board *b, const struct board_hooks *h);

/* Guest RAM, at guest-physical 0, that the virtio devices read and write
   (book/security.md, rule 6: nothing outside it). Before the guest's
   first access; until then no queue runs. */
void board_set_ram(struct board *b, uint8_t *ram, uint64_t size);

/* The host has room for console output again: COM1 sends what it held,
   and so do the virtio consoles. */
void board_console_resume(struct board *b);
/* Host input for the virtio console: up to n bytes of buf go into the
   guest's receive buffers of the first live console (PCI, then MMIO).
   Returns how many were taken; fewer than n: wait for vcon_room. */
size_t board_virtio_console_input(struct board *b, const void *buf, size_t n);
/* The host side of the keyboard and mouse (i8042.h): a key, by its USB HID
   usage, pressed or released; a mouse movement. False if the device's
   queue was full (the key is lost, as on a real keyboard). */
bool board_key(struct board *b, uint8_t hid_usage, bool pressed);
bool board_mouse(struct board *b, int dx, int dy, int dz, uint8_t buttons);
/* Bytes of key codes the keyboard's buffer takes now (i8042.h's
   i8042_model_kbd_room()); with less than a key needs, wait for the
   kbd_room hook rather than lose the key. */
unsigned board_kbd_room(const struct board *b);

/* The battery-backed clock reads this UTC time now (unix seconds and ns):
   the host's wall clock under KVM, a fixed time for a test. Before any
   guest access. */
void board_set_wall(struct board *b, int64_t unix_seconds, uint32_t ns);

/* The guest's accesses (any width; the chipset decides who answers). */
uint64_t board_pio_read(struct board *b, uint16_t port, unsigned width);
void board_pio_write(struct board *b, uint16_t port, unsigned width, uint64_t value);
uint64_t board_mmio_read(struct board *b, uint64_t addr, unsigned width);
void board_mmio_write(struct board *b, uint64_t addr, unsigned width, uint64_t value);

/* The local APIC's EOI for `vector`, broadcast to the IOAPIC. */
void board_eoi(struct board *b, uint8_t vector);
/* The CPU's interrupt acknowledge for the 8259 pair's INT: the vector. */
uint8_t board_extint_ack(struct board *b);
/* Is the 8259 pair's INT high? */
bool board_extint(const struct board *b);
/* Drive ISA line `irq` (0..15) from outside the board (a test's
   irq_set; no board device uses this). */
void board_set_isa_irq(struct board *b, unsigned irq, bool level);

/* Run every model up to board time `now`; returns the next deadline any
   of them has, or CHIPSET_NEVER. */
uint64_t board_advance(struct board *b, uint64_t now);

/* Power-on state for every device, as a reset button would give. */
void board_reset(struct board *b);
/* The run is over: every device's stop hook, in reverse order (after the
   last access; the board may be started again with board_start()). */
void board_stop(struct board *b);
void board_start(struct board *b);

/* The whole board's state into `buf` / back from it (hdr/chipset.h's
   format): bytes written or used, or a negative CHIPSET_E* error. A
   refused image leaves the board at power-on. */
int64_t board_save(struct board *b, void *buf, size_t size);
int64_t board_restore(struct board *b, const void *buf, size_t size);

/* --stats: one line per device to stderr, then the unclaimed accesses. */
void board_print_counters(const struct board *b);

#endif /* BBVM_BOARD_H */
