/* hostbench.c - figure 9 of the benchmarks: what the device models cost on
   the host, in nanoseconds, each against a floor measured in the same run.

   WHAT IT MEASURES
   bbvm's board (vm/board.c, every model of hdr/ on one chipset) built with
   no CPU and no KVM, driven by calls, and the device side of the virtqueue
   and the kernel's timer queue run on their own:

     chipset-pio      one guest port access through board_pio_read/write,
                      cycling over a fixed script of 13 accesses to real
                      registers whose effects do not pile up: the master
                      8259's IMR (0x21, written then read back), COM1's
                      scratch register (0x3ff), a CMOS RAM byte through the
                      RTC's index and data ports (0x70/0x71), and the PIT's
                      read-back of counter 0's status (0x43, then 0x40).
                      Floor: the same accesses made on the same model
                      instances (the board's own) through the model entry
                      points the chipset calls (pic8259_model_read/write,
                      uart16550_model_..., rtc_cmos_model_...,
                      pit8254_model_...): the same work without the board's
                      dispatch, so the ratio is what dispatch costs.
     chipset-mmio     one IOAPIC register read as a guest makes it: IOREGSEL
                      written with a redirection entry's low dword, then
                      IOWIN read, through board_mmio_write/read (which look
                      at the virtio-pci BARs first, then the chipset), over
                      eight masked entries. Floor: ioapic_model_write/read
                      on the board's IOAPIC.
     virtq-pop-1      one available chain popped by hdr/virtio.h's device
     virtq-pop-3      side (virtq_dev_pop) and its used entry pushed back
                      (virtq_dev_push), per chain: chains of 1 descriptor (a
                      64-byte writable buffer, an entropy request) and of 3
                      (16 + 64 readable bytes, 16 writable: a block
                      request's shape). The ring is a queue of 256 laid out
                      in a guest RAM buffer as a driver lays it out, reached
                      through the board's own guest-memory hooks (the
                      virtio_mem board_init gives its devices, after
                      board_set_ram), so every access is bounds-checked as
                      under bbvm. The driver keeps 64 chains; the avail
                      ring's 256 slots hold their heads in turn, so a refill
                      is one store of avail.idx (+64) before every 64 pops,
                      timed on both sides alike. Floor: the same ring bytes
                      read with plain loads (avail.idx, the ring entry, each
                      descriptor's 16 bytes, following NEXT) and the used
                      entry and used.idx written with plain stores: no
                      checks and no barriers, which is all the ring layout
                      forces a device to touch (on x86, TSO orders these
                      loads and these stores by itself, and so the model's
                      acquire and release fences, VIRTIO_RMB and
                      VIRTIO_WMB, cost no instruction either; its full
                      fence in virtq_dev_should_notify() is not called
                      here).
                      The floor reads the ring as little-endian: x86 and
                      arm64 hosts are.
     timer-reprogram  PIT channel 0 reprogrammed through the board: control
                      word 0x34 (LSB then MSB, mode 2) to 0x43, the count's
                      two bytes to 0x40, then board_advance() at the same
                      fixed board time, so every model is polled and the
                      PIT's new deadline is what the board returns. Counts
                      alternate between 11932 (100 Hz) and 1193 (1 kHz), so
                      every reprogram moves the deadline. Floor: the same
                      three writes made on the board's PIT model directly
                      (pit8254_model_write); the ratio thus holds dispatch
                      and the board_advance() the board adds.
     timer-rearm      hdr/timer.h (the kernels' timer queue, a pairing
                      heap) restarting one timer to a new deadline
                      (timer_start on an armed timer: a cancel and a meld)
                      with 63 others armed at 1, 2, ... 63 us, the new
                      deadlines drawn from a fixed pseudo-random table over
                      0..64 us, so the timer lands anywhere and is the
                      earliest about one time in 64 (then the next restart
                      pays for the heap's pairing passes). Floor: the
                      stores no restart can avoid, whatever the structure,
                      made as plain stores: the timer's new deadline, its
                      arming number (and the queue's next one), and the
                      queue's earliest deadline, kept by one compare. Any
                      correct queue does at least this; what it does beyond
                      it to keep the order (a heap's links, a list's walk,
                      an array's shifts) is the ratio. It is a lower bound,
                      not a queue: it cannot say what comes next after the
                      earliest moves away. (A sorted array of 64 moved by
                      one insertion-sort step is no floor: it is slower
                      than the heap, whose restart of a timer that is not
                      the earliest is a few pointer stores.)

   HOW
   Each repetition times a batch of N operations with
   clock_gettime(CLOCK_MONOTONIC) and divides; N is calibrated per figure
   and per side at start so one batch takes about 3 ms (0.5 ms with -q).
   For each figure the batches alternate, ours and the floor, R times (ours
   first in every other repetition), because absolute times drift on a
   shared machine; the median, lowest and
   highest of the R values are printed. The board's clock is fixed (1 s of
   board time), so nothing becomes due while it is measured and no work
   grows. Every path is checked before timing (and again after) against
   what its registers must answer: IMR, SCR and the CMOS byte read back
   what was written, the PIT's status says mode 2, the IOAPIC entries read
   as programmed, a popped chain is the one laid out and its used entry is
   right, the PIT's deadline follows the count, the heap's earliest
   deadline is the true one after each restart and the floor's stores
   land. A failed check before the timing exits 1 before any number is
   printed; one after it (the state must still answer the same) exits 1
   too. Results are folded into a volatile sink
   and a checksum printed on stderr, so the compiler cannot drop the work.

   OUTPUT (stdout)
     # hostbench R=<reps>
     name <TAB> ours_median_ns <TAB> ours_min_ns <TAB> ours_max_ns <TAB>
          floor_median_ns <TAB> floor_min_ns <TAB> floor_max_ns <TAB> floor_label
   ns with 2 decimals. tests/bench/bench.sh reads it.

   USAGE
     hostbench [-r R] [-q]
       -r R  repetitions (default 11; 3 with -q)
       -q    quick: R = 3 and 0.5 ms batches (the suite's smoke test)

   BUILD (from tests/bench; tests/bench/Tupfile has the rule)
     gcc -std=c11 -O2 -g -Wall -Wextra -Werror -pedantic -I../../hdr -I../../vm \
         -I../../vm/host -I../../arch/common hostbench.c ../../vm/board.c \
         ../../vm/acpi.c -o hostbench */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "board.h"

/* board.c holds every model's implementation but the line fabric's, which
   its users supply (as tests/board_test.c does). */
#define IRQ_IMPLEMENTATION
#include "irq.h"
#define TIMER_IMPLEMENTATION
#define TIMER_STATIC
#include "timer.h"

#define MAX_REPS 1001

static volatile uint64_t sink;          /* where every batch's result goes */
static uint64_t checksum;               /* printed on stderr at the end */

static void fail(const char *what)
{
    fprintf(stderr, "hostbench: %s\n", what);
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        fail("clock_gettime(CLOCK_MONOTONIC) failed");
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the board, at a fixed board time ----------------------------------- */

#define BOARD_T0 1000000000ull          /* 1 s of board time, never moving */

static struct board B;                  /* large: not on the stack */
static uint64_t board_time = BOARD_T0;

static uint64_t fixed_now(void *ctx)
{
    return *(const uint64_t *)ctx;
}

/* ICW1 (edge, cascade, ICW4), ICW2, ICW3, ICW4 (8086 mode): a PC's BIOS
   setup, so the 8259 pair is in the state a guest keeps it in. */
static void pic_init(uint16_t port, uint8_t vectors, uint8_t icw3)
{
    board_pio_write(&B, port, 1, 0x11);
    board_pio_write(&B, port + 1, 1, vectors);
    board_pio_write(&B, port + 1, 1, icw3);
    board_pio_write(&B, port + 1, 1, 0x01);
}

/* PIT counter 0: LSB then MSB, mode 2 (rate generator), binary. */
#define PIT_CW0 (PIT8254_SC(0) | PIT8254_RW_BOTH | PIT8254_MODE(2))

static void board_up(void)
{
    const struct board_hooks h = { .now = fixed_now, .ctx = &board_time };

    if (!board_init(&B, &h))
        fail("board_init failed (the chipset refused the board's map)");
    board_advance(&B, BOARD_T0);
    pic_init(0x20, 0x20, 0x04);
    pic_init(0xa0, 0x28, 0x02);
    board_pio_write(&B, 0x21, 1, 0xff);
    board_pio_write(&B, 0xa1, 1, 0xff);
    board_pio_write(&B, 0x43, 1, PIT_CW0);
    board_pio_write(&B, 0x40, 1, 11932 & 0xff);
    board_pio_write(&B, 0x40, 1, 11932 >> 8);
    board_advance(&B, BOARD_T0);
}

/* ---- 1. chipset-pio ------------------------------------------------------ */

enum dev { DEV_PIC, DEV_UART, DEV_RTC, DEV_PIT };

/* One access of the script: the port, and the same register as its model
   sees it (device and device-relative offset); reads say what they must
   answer under `mask`. */
struct pio {
    uint16_t port;
    uint8_t dev, off, write, val, mask, expect;
};

#define RB_STATUS0 (PIT8254_SC_READBACK | PIT8254_RB_NOCOUNT | PIT8254_RB_CNT(0))

static const struct pio pio_script[] = {
    { 0x21, DEV_PIC, PIC8259_MODEL_MASTER + 1, 1, 0xfb, 0, 0 },  /* IMR: only the cascade open */
    { 0x21, DEV_PIC, PIC8259_MODEL_MASTER + 1, 0, 0, 0xff, 0xfb },
    { 0x3ff, DEV_UART, UART16550_SCR, 1, 0x5a, 0, 0 },
    { 0x3ff, DEV_UART, UART16550_SCR, 0, 0, 0xff, 0x5a },
    { 0x70, DEV_RTC, RTC_CMOS_MODEL_INDEX, 1, 0x40, 0, 0 },      /* a CMOS RAM byte */
    { 0x71, DEV_RTC, RTC_CMOS_MODEL_DATA, 1, 0xa5, 0, 0 },
    { 0x71, DEV_RTC, RTC_CMOS_MODEL_DATA, 0, 0, 0xff, 0xa5 },
    { 0x43, DEV_PIT, PIT8254_MODEL_CONTROL, 1, RB_STATUS0, 0, 0 }, /* latch counter 0's status */
    { 0x40, DEV_PIT, PIT8254_MODEL_COUNTER0, 0, 0, PIT8254_ST_CTRL, PIT_CW0 & PIT8254_ST_CTRL },
    { 0x21, DEV_PIC, PIC8259_MODEL_MASTER + 1, 1, 0xff, 0, 0 },  /* IMR: all masked */
    { 0x21, DEV_PIC, PIC8259_MODEL_MASTER + 1, 0, 0, 0xff, 0xff },
    { 0x3ff, DEV_UART, UART16550_SCR, 1, 0xa5, 0, 0 },
    { 0x3ff, DEV_UART, UART16550_SCR, 0, 0, 0xff, 0xa5 },
};
#define PIO_LEN (sizeof pio_script / sizeof pio_script[0])

/* The model entry point the chipset would call for this access. */
static inline uint64_t model_pio(const struct pio *a)
{
    switch (a->dev) {
    case DEV_PIC:
        if (a->write)
            pic8259_model_write(&B.pic, a->off, 1, a->val);
        return a->write ? 0 : pic8259_model_read(&B.pic, a->off, 1);
    case DEV_UART:
        if (a->write)
            uart16550_model_write(&B.com1, a->off, 1, a->val);
        return a->write ? 0 : uart16550_model_read(&B.com1, a->off, 1);
    case DEV_RTC:
        if (a->write)
            rtc_cmos_model_write(&B.rtc, a->off, 1, a->val);
        return a->write ? 0 : rtc_cmos_model_read(&B.rtc, a->off, 1);
    default:
        if (a->write)
            pit8254_model_write(&B.pit, a->off, 1, a->val);
        return a->write ? 0 : pit8254_model_read(&B.pit, a->off, 1);
    }
}

static inline uint64_t board_pio(const struct pio *a)
{
    if (a->write) {
        board_pio_write(&B, a->port, 1, a->val);
        return 0;
    }
    return board_pio_read(&B, a->port, 1);
}

static uint64_t pio_ours(uint64_t n)
{
    uint64_t acc = 0;

    for (uint64_t k = 0; k < n; k += PIO_LEN)
        for (unsigned i = 0; i < PIO_LEN; i++)
            acc += board_pio(&pio_script[i]);
    return acc;
}

static uint64_t pio_floor(uint64_t n)
{
    uint64_t acc = 0;

    for (uint64_t k = 0; k < n; k += PIO_LEN)
        for (unsigned i = 0; i < PIO_LEN; i++)
            acc += model_pio(&pio_script[i]);
    return acc;
}

/* One pass of the script both ways: every read answers what it must. */
static void pio_check(void)
{
    for (int side = 0; side < 2; side++)
        for (unsigned i = 0; i < PIO_LEN; i++) {
            const struct pio *a = &pio_script[i];
            uint64_t v = side ? model_pio(a) : board_pio(a);

            if (!a->write && (v & a->mask) != a->expect) {
                fprintf(stderr, "hostbench: chipset-pio: %s read of port %#x gave %#llx, "
                        "not %#x under mask %#x\n", side ? "model" : "board", a->port,
                        (unsigned long long)v, a->expect, a->mask);
                exit(1);
            }
        }
}

/* ---- 2. chipset-mmio ----------------------------------------------------- */

#define MMIO_PINS 8u
#define MMIO_PIN0 16u                   /* GSIs 16-23: PCI's and virtio-mmio's */

/* Entry `k`'s low dword: masked, so nothing is ever sent; a vector of its own. */
static uint32_t rte_lo(unsigned k)
{
    return (uint32_t)(IOAPIC_RTE_MASK | IOAPIC_RTE_TRIGGER | (0x40u + k));
}

static void mmio_setup(void)
{
    for (unsigned k = 0; k < MMIO_PINS; k++) {
        board_mmio_write(&B, IOAPIC_PC_BASE + IOAPIC_IOREGSEL, 4, IOAPIC_REDTBL_LO(MMIO_PIN0 + k));
        board_mmio_write(&B, IOAPIC_PC_BASE + IOAPIC_IOWIN, 4, rte_lo(k));
    }
}

static uint64_t mmio_ours(uint64_t n)
{
    uint64_t acc = 0;

    for (uint64_t i = 0; i < n; i++) {
        board_mmio_write(&B, IOAPIC_PC_BASE + IOAPIC_IOREGSEL, 4,
                         IOAPIC_REDTBL_LO(MMIO_PIN0 + (i & (MMIO_PINS - 1))));
        acc += board_mmio_read(&B, IOAPIC_PC_BASE + IOAPIC_IOWIN, 4);
    }
    return acc;
}

static uint64_t mmio_floor(uint64_t n)
{
    uint64_t acc = 0;

    for (uint64_t i = 0; i < n; i++) {
        ioapic_model_write(&B.ioapic, IOAPIC_IOREGSEL, 4,
                           IOAPIC_REDTBL_LO(MMIO_PIN0 + (i & (MMIO_PINS - 1))));
        acc += ioapic_model_read(&B.ioapic, IOAPIC_IOWIN, 4);
    }
    return acc;
}

static void mmio_check(void)
{
    for (unsigned k = 0; k < MMIO_PINS; k++) {
        uint64_t v;

        board_mmio_write(&B, IOAPIC_PC_BASE + IOAPIC_IOREGSEL, 4, IOAPIC_REDTBL_LO(MMIO_PIN0 + k));
        v = board_mmio_read(&B, IOAPIC_PC_BASE + IOAPIC_IOWIN, 4);
        ioapic_model_write(&B.ioapic, IOAPIC_IOREGSEL, 4, IOAPIC_REDTBL_LO(MMIO_PIN0 + k));
        if (v != rte_lo(k) || ioapic_model_read(&B.ioapic, IOAPIC_IOWIN, 4) != rte_lo(k)) {
            fprintf(stderr, "hostbench: chipset-mmio: IOAPIC entry %u reads %#llx, not %#x\n",
                    MMIO_PIN0 + k, (unsigned long long)v, rte_lo(k));
            exit(1);
        }
    }
}

/* ---- 3. virtq-pop-1, virtq-pop-3 ----------------------------------------- */

/* Guest RAM as a driver lays a queue of 256 out: the descriptor table at 0,
   the avail ring at 4 KiB, the used ring at 8 KiB, buffers from 16 KiB. */
#define VQ_SIZE   256u
#define VQ_DESC   0x0000u
#define VQ_AVAIL  0x1000u
#define VQ_USED   0x2000u
#define VQ_BUFS   0x4000u
#define VQ_RAM    0x10000u
#define VQ_CHAINS 64u                   /* the driver's chains; one refill publishes them all */

static _Alignas(4096) uint8_t vq_ram[VQ_RAM];
static virtq_dev vq;
static const virtio_mem *vq_mem;        /* the board's hooks over vq_ram */
static unsigned vq_ndesc;               /* descriptors per chain: 1 or 3 */
static uint16_t vq_drv_idx;             /* the driver's avail.idx, for ours */
/* The floor's own progress through the same ring. */
static uint16_t fl_last, fl_used, fl_drv_idx;
static unsigned vq_bad;                 /* pops that found no chain: must stay 0 */

/* Plain little-endian stores and loads of guest RAM, as a driver (and the
   floor) make them; volatile so each one happens where it is written. */
static void st16(uint32_t at, uint16_t v) { *(volatile uint16_t *)(void *)(vq_ram + at) = v; }
static void st32(uint32_t at, uint32_t v) { *(volatile uint32_t *)(void *)(vq_ram + at) = v; }
static void st64(uint32_t at, uint64_t v) { *(volatile uint64_t *)(void *)(vq_ram + at) = v; }
static uint16_t ld16(uint32_t at) { return *(volatile uint16_t *)(void *)(vq_ram + at); }
static uint32_t ld32(uint32_t at) { return *(volatile uint32_t *)(void *)(vq_ram + at); }
static uint64_t ld64(uint32_t at) { return *(volatile uint64_t *)(void *)(vq_ram + at); }

/* Buffer k of a chain of 3: 16 readable bytes (a header), 64 readable, 16
   writable (a status). A chain of 1: one writable buffer of 64 bytes. */
static const uint32_t seg_len3[3] = { 16, 64, 16 };
static const uint16_t seg_flags3[3] = { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE };

static void vq_layout(unsigned ndesc)
{
    memset(vq_ram, 0, sizeof vq_ram);
    vq_ndesc = ndesc;
    for (unsigned c = 0; c < VQ_CHAINS; c++)
        for (unsigned k = 0; k < ndesc; k++) {
            uint32_t d = VQ_DESC + 16u * (c * ndesc + k);

            st64(d, VQ_BUFS + 256u * c + 96u * k);
            st32(d + 8, ndesc == 1 ? 64 : seg_len3[k]);
            st16(d + 12, ndesc == 1 ? VIRTQ_DESC_F_WRITE : seg_flags3[k]);
            st16(d + 14, (uint16_t)(k + 1 < ndesc ? c * ndesc + k + 1 : 0));
        }
    /* The 256 slots hold the 64 heads in turn: slot j always names chain
       j % 64, so publishing 64 more entries only moves avail.idx. */
    for (unsigned j = 0; j < VQ_SIZE; j++)
        st16(VQ_AVAIL + 4 + 2 * j, (uint16_t)((j % VQ_CHAINS) * ndesc));
    if (virtq_dev_init(&vq, VQ_SIZE, VQ_DESC, VQ_AVAIL, VQ_USED, false, false) != 0)
        fail("virtq_dev_init refused the ring's layout");
    vq_drv_idx = fl_last = fl_used = fl_drv_idx = 0;
}

static uint64_t vq_ours(uint64_t n)
{
    virtq_seg seg[4];
    virtq_chain c = { .seg = seg, .cap = 4 };
    uint64_t acc = 0;

    for (uint64_t k = 0; k < n; k += VQ_CHAINS) {
        vq_drv_idx = (uint16_t)(vq_drv_idx + VQ_CHAINS);
        st16(VQ_AVAIL + 2, vq_drv_idx);             /* the refill */
        for (unsigned i = 0; i < VQ_CHAINS; i++) {
            if (virtq_dev_pop(&vq, vq_mem, &c) != 1) {
                vq_bad++;
                return acc;
            }
            virtq_dev_push(&vq, vq_mem, c.head, (uint32_t)c.in_bytes);
            acc += c.head + c.n;
        }
    }
    return acc;
}

/* What the ring forces: the index, the entry, each descriptor, the used
   entry and index; no checks, no barriers. */
static uint64_t vq_floor(uint64_t n)
{
    uint64_t acc = 0;

    for (uint64_t k = 0; k < n; k += VQ_CHAINS) {
        fl_drv_idx = (uint16_t)(fl_drv_idx + VQ_CHAINS);
        st16(VQ_AVAIL + 2, fl_drv_idx);
        for (unsigned i = 0; i < VQ_CHAINS; i++) {
            uint16_t idx = ld16(VQ_AVAIL + 2);
            uint16_t head = ld16(VQ_AVAIL + 4 + 2u * (fl_last & (VQ_SIZE - 1)));
            uint16_t d = head, flags;
            uint32_t written = 0, at;

            do {
                uint32_t p = VQ_DESC + 16u * d;
                uint64_t addr = ld64(p);
                uint32_t len = ld32(p + 8);

                flags = ld16(p + 12);
                d = ld16(p + 14);
                if (flags & VIRTQ_DESC_F_WRITE)
                    written += len;
                acc += addr + len;
            } while (flags & VIRTQ_DESC_F_NEXT);
            fl_last++;
            at = VQ_USED + 4 + 8u * (fl_used & (VQ_SIZE - 1));
            st32(at, head);
            st32(at + 4, written);
            fl_used++;
            st16(VQ_USED + 2, fl_used);
            acc += idx;
        }
    }
    return acc;
}

/* The first chain, both ways: the one laid out, and a used entry that says
   so. Then the ring is laid out again for the timing. */
static void vq_check(unsigned ndesc)
{
    virtq_seg seg[4];
    virtq_chain c = { .seg = seg, .cap = 4 };
    uint32_t in = ndesc == 1 ? 64 : 16, out = ndesc == 1 ? 0 : 80;

    vq_layout(ndesc);
    st16(VQ_AVAIL + 2, 1);
    if (virtq_dev_pop(&vq, vq_mem, &c) != 1 || c.head != 0 || c.n != ndesc ||
        c.in_bytes != in || c.out_bytes != out || seg[0].gpa != VQ_BUFS)
        fail("virtq: the device did not pop the chain laid out");
    virtq_dev_push(&vq, vq_mem, c.head, (uint32_t)c.in_bytes);
    if (vq.broken || ld16(VQ_USED + 2) != 1 || ld32(VQ_USED + 4) != 0 || ld32(VQ_USED + 8) != in)
        fail("virtq: the device's used entry is wrong");
    vq_layout(ndesc);
    if (vq_floor(VQ_CHAINS) == 0 || fl_used != VQ_CHAINS || ld16(VQ_USED + 2) != VQ_CHAINS ||
        ld32(VQ_USED + 4 + 8 * 1) != ndesc || ld32(VQ_USED + 8 + 8 * 1) != in)
        fail("virtq: the floor's used entries are wrong");
    vq_layout(ndesc);
}

static uint64_t vq_ours_1(uint64_t n) { return vq_ours(n); }
static uint64_t vq_floor_1(uint64_t n) { return vq_floor(n); }

/* ---- 4. timer-reprogram ---------------------------------------------------- */

static const uint16_t pit_counts[2] = { 11932, 1193 };

static uint64_t pit_ours(uint64_t n)
{
    uint64_t acc = 0;

    for (uint64_t i = 0; i < n; i++) {
        uint16_t count = pit_counts[i & 1];

        board_pio_write(&B, 0x43, 1, PIT_CW0);
        board_pio_write(&B, 0x40, 1, count & 0xff);
        board_pio_write(&B, 0x40, 1, count >> 8);
        acc += board_advance(&B, BOARD_T0);
    }
    return acc;
}

static uint64_t pit_floor(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint16_t count = pit_counts[i & 1];

        pit8254_model_write(&B.pit, PIT8254_MODEL_CONTROL, 1, PIT_CW0);
        pit8254_model_write(&B.pit, PIT8254_MODEL_COUNTER0, 1, count & 0xff);
        pit8254_model_write(&B.pit, PIT8254_MODEL_COUNTER0, 1, count >> 8);
    }
    return n;
}

/* A count of c in mode 2 is due c PIT clocks (838.1 ns each) from now:
   allow a clock or two of rounding either way. */
static bool pit_due_ok(uint64_t due, uint16_t count)
{
    uint64_t want = BOARD_T0 + (uint64_t)count * 1000000000ull * PIT8254_HZ_DEN / PIT8254_HZ_NUM;

    return due + 2000 >= want && due <= want + 2000;
}

static void pit_check(void)
{
    for (unsigned i = 0; i < 2; i++) {
        uint64_t due;

        pit_ours(1 + i);                /* the last reprogram is count i */
        due = board_advance(&B, BOARD_T0);
        if (!pit_due_ok(due, pit_counts[i])) {
            fprintf(stderr, "hostbench: timer-reprogram: count %u is due at %llu ns, not about "
                    "%llu\n", pit_counts[i], (unsigned long long)due,
                    (unsigned long long)(BOARD_T0 + pit_counts[i] * 838ull));
            exit(1);
        }
        pit_floor(1 + i);
        due = pit8254_model_poll(&B.pit, BOARD_T0);
        if (!pit_due_ok(due, pit_counts[i]))
            fail("timer-reprogram: the PIT model's deadline does not follow the count");
    }
}

/* ---- 5. timer-rearm --------------------------------------------------------- */

#define TQ_N     64u
#define TQ_TABLE 4096u                  /* new deadlines, cycled */

static timer_queue tq;
static timer tms[TQ_N];                 /* tms[0] is the one restarted */
static uint64_t tq_dl[TQ_TABLE];

/* The floor: one timer's deadline and arming number, the queue's next
   arming number and its earliest deadline, each stored plainly. */
static struct {
    volatile uint64_t deadline, seq;
} fl_timer;
static volatile uint64_t fl_seq, fl_earliest;

static void tm_fire(timer *t, void *arg)
{
    (void)t;
    (void)arg;
}

static void tq_setup(void)
{
    uint32_t x = 12345;

    timer_queue_init(&tq);
    for (unsigned k = 0; k < TQ_N; k++) {
        timer_init(&tms[k], tm_fire, NULL);
        /* tms[0] starts last, at 64 us; the others at k us */
        timer_start(&tq, &tms[k], (k ? k : TQ_N) * 1000ull);
    }
    fl_timer.deadline = TQ_N * 1000ull;
    fl_seq = TQ_N;
    fl_earliest = 1000;
    for (unsigned i = 0; i < TQ_TABLE; i++) {
        x = x * 1103515245u + 12345u;   /* a fixed sequence: both sides get the same */
        tq_dl[i] = (x >> 8) % (TQ_N * 1000u + 1);
    }
}

static uint64_t tq_ours(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        timer_start(&tq, &tms[0], tq_dl[i & (TQ_TABLE - 1)]);
    return timer_next_deadline(&tq);
}

static uint64_t tq_floor(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t d = tq_dl[i & (TQ_TABLE - 1)], seq = fl_seq, e = fl_earliest;

        fl_timer.deadline = d;
        fl_timer.seq = seq;
        fl_seq = seq + 1;
        fl_earliest = d < e ? d : e;
    }
    return fl_earliest;
}

/* Restart by restart, the heap holds 64 timers and its earliest deadline
   is the true one: the others sit at 1..63 us. The floor's stores land. */
static void tq_check(void)
{
    for (unsigned i = 0; i < TQ_TABLE; i++) {
        uint64_t d = tq_dl[i], want = d < 1000 ? d : 1000;

        timer_start(&tq, &tms[0], d);
        if (timer_next_deadline(&tq) != want || timer_queue_count(&tq) != TQ_N ||
            tms[0].deadline != d || !timer_armed(&tms[0]))
            fail("timer-rearm: the heap's earliest deadline is wrong after a restart");
    }
    fl_earliest = 1000;
    if (tq_floor(1) != (tq_dl[0] < 1000 ? tq_dl[0] : 1000) || fl_timer.deadline != tq_dl[0])
        fail("timer-rearm: the floor's stores did not land");
    fl_earliest = 1000;
}

/* ---- timing ----------------------------------------------------------------- */

typedef uint64_t bench_fn(uint64_t n);

/* ns per operation of one batch of n. */
static double batch(bench_fn *f, uint64_t n)
{
    uint64_t t0 = now_ns(), acc = f(n), t1 = now_ns();

    sink = acc;
    checksum = checksum * 31u + acc;
    return (double)(t1 - t0) / (double)n;
}

/* ns per operation of a batch of n, untimed by the figures: the faster of
   two runs, so a stall during calibration does not shrink the batches. */
static double per_op(bench_fn *f, uint64_t n)
{
    double best = 0;

    for (int k = 0; k < 2; k++) {
        uint64_t t0 = now_ns(), t1;

        sink = f(n);
        t1 = now_ns();
        if (k == 0 || (double)(t1 - t0) < best)
            best = (double)(t1 - t0);
    }
    return best / (double)n;
}

/* The n, a multiple of `unit`, for which one batch takes about target_ns:
   a warm-up, then doubling until a batch takes a quarter of the target. */
static uint64_t calibrate(bench_fn *f, uint64_t unit, double target_ns)
{
    uint64_t n = unit;
    double per;

    sink = f(unit);
    while ((per = per_op(f, n)) * (double)n < target_ns / 4 && n < (1ull << 34))
        n *= 2;
    if (per <= 0)
        per = 0.01;
    n = (uint64_t)(target_ns / per) / unit * unit;
    return n < unit ? unit : n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

struct stats {
    double med, min, max;
};

static struct stats summarize(const double *v, unsigned r)
{
    double s[MAX_REPS];
    struct stats st;

    memcpy(s, v, r * sizeof *v);
    qsort(s, r, sizeof *s, cmp_double);
    st.min = s[0];
    st.max = s[r - 1];
    st.med = r % 2 ? s[r / 2] : (s[r / 2 - 1] + s[r / 2]) / 2;
    return st;
}

struct figure {
    const char *name;
    bench_fn *ours, *floor;
    uint64_t unit;                      /* batches are a multiple of this */
    const char *floor_label;
};

static void run_figure(const struct figure *fig, unsigned reps, double target_ns)
{
    double ours[MAX_REPS], floor[MAX_REPS];
    uint64_t n_ours = calibrate(fig->ours, fig->unit, target_ns);
    uint64_t n_floor = calibrate(fig->floor, fig->unit, target_ns);
    struct stats o, f;

    for (unsigned r = 0; r < reps; r++) {
        if (r % 2 == 0) {           /* ours first in even repetitions, second in odd */
            ours[r] = batch(fig->ours, n_ours);
            floor[r] = batch(fig->floor, n_floor);
        } else {
            floor[r] = batch(fig->floor, n_floor);
            ours[r] = batch(fig->ours, n_ours);
        }
    }
    if (vq_bad)
        fail("virtq: a pop found no chain during the timing");
    o = summarize(ours, reps);
    f = summarize(floor, reps);
    printf("%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\n", fig->name, o.med, o.min, o.max,
           f.med, f.min, f.max, fig->floor_label);
    fflush(stdout);
    fprintf(stderr, "hostbench: %s: batches of %llu (ours) and %llu (floor)\n", fig->name,
            (unsigned long long)n_ours, (unsigned long long)n_floor);
}

/* The virtqueue figures share the ring: each lays it out for its chains
   and checks it first, and the device must not have broken it after. */
static void run_virtq(const char *name, unsigned ndesc, unsigned reps, double target_ns)
{
    const struct figure fig = { name, vq_ours_1, vq_floor_1, VQ_CHAINS,
                                "plain loads and stores of the ring" };

    vq_check(ndesc);
    run_figure(&fig, reps, target_ns);
    if (vq.broken || vq.used_idx != vq_drv_idx || fl_used != fl_drv_idx)
        fail("virtq: the queue broke or lost count during the timing");
}

static void usage(void)
{
    fprintf(stderr, "usage: hostbench [-r REPS] [-q]\n"
                    "  -r REPS  repetitions, 1..%d (default 11; 3 with -q)\n"
                    "  -q       quick: 3 repetitions of short batches\n", MAX_REPS);
    exit(1);
}

int main(int argc, char **argv)
{
    unsigned reps = 0;
    bool quick = false;
    double target_ns;
    static const struct figure pio = { "chipset-pio", pio_ours, pio_floor, PIO_LEN,
                                       "direct model call" };
    static const struct figure mmio = { "chipset-mmio", mmio_ours, mmio_floor, MMIO_PINS,
                                        "direct model call" };
    static const struct figure pit = { "timer-reprogram", pit_ours, pit_floor, 2,
                                       "direct PIT model writes" };
    static const struct figure rearm = { "timer-rearm", tq_ours, tq_floor, 1,
                                         "deadline, order and earliest stores" };

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-q")) {
            quick = true;
        } else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);

            if (*end || v < 1 || v > MAX_REPS)
                usage();
            reps = (unsigned)v;
        } else {
            usage();
        }
    }
    if (!reps)
        reps = quick ? 3 : 11;
    target_ns = quick ? 0.5e6 : 3e6;

    board_up();
    board_set_ram(&B, vq_ram, sizeof vq_ram);
    vq_mem = &B.vio[BOARD_VIO_MMIO_RNG].cfg.mem;
    mmio_setup();
    tq_setup();
    /* Every path answers as it must before any number is taken. */
    pio_check();
    mmio_check();
    pit_check();
    vq_check(1);
    vq_check(3);
    tq_check();

    printf("# hostbench R=%u\n", reps);
    run_figure(&pio, reps, target_ns);
    pio_check();
    run_figure(&mmio, reps, target_ns);
    mmio_check();
    run_virtq("virtq-pop-1", 1, reps, target_ns);
    run_virtq("virtq-pop-3", 3, reps, target_ns);
    pit_check();
    run_figure(&pit, reps, target_ns);
    pit_check();
    run_figure(&rearm, reps, target_ns);
    tq_check();
    fprintf(stderr, "hostbench: checksum %016llx\n", (unsigned long long)checksum);
    return 0;
}
