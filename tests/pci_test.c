/* pci_test.c - white-box tests of hdr/pci.h: the host bridge and bus 0 a
   monitor gives its guest, and the driver a kernel scans them with.

   The layout macros against values worked out by hand from the PCI and
   PCIe specifications; mechanism #1 byte lanes one by one, CONFIG_ADDRESS
   taking dword accesses only (and byte lanes when the board asks), the
   enable bit, absent functions and buses; ECAM; BAR sizing of I/O, 32-bit
   and 64-bit BARs; write-1-to-clear status bits and read-only fields; the
   builders' refusals; the bar_changed hook. Then the model contract: init,
   reset, save and restore (sizes, refusals, an unaligned buffer, outputs
   driven again). Last, random accesses must keep every read-only bit, the
   driver's capability walk must end on a hostile list, and the driver is
   run against the model end to end, through both access mechanisms.
   Then the newer half: BAR assignment (addresses worked out by hand,
   alignment, full and wrapping windows, a bridge's two BARs), the INTx
   swizzle of PCI-to-PCI bridge table 9-1, the MSI-X capability builder
   and the driver's find, entry and enable; the board hooks (cfg_written,
   cfg_read) and INTx# through INTX_DISABLE, reset and restore; the MSI-X
   table and PBA (widths, read-only bits, pending and delivery order under
   both masks, save and restore refusals), a board wiring all of it, and
   random accesses after which every saved table state must restore.

   Build: gcc -std=c11 -Ihdr -fsanitize=address,undefined pci_test.c */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static unsigned long asserts;
#define PCI_ASSERT(c) (asserts++, assert(c))
#define PCI_IMPLEMENTATION
#include "pci.h"

#include "chipset.h"

#include "check.h"

/* Ports and the ECAM base as a PC board places them. */
#define CF8 0xcf8u
#define ECAM_BASE 0xb0000000ull

static pci_model m;
static unsigned changes, changes_decoding;
static unsigned last_devfn, last_bar;

/* The board's view of a BAR or command change: it also notes whether the
   function was decoding while a BAR moved (sizing must turn that off). */
static void on_bar_changed(void *ctx, unsigned devfn, unsigned bar)
{
    int slot = m.cfg.slot_of[devfn] - 1;

    (void)ctx;
    changes++;
    last_devfn = devfn;
    last_bar = bar;
    if (bar < 6 && slot >= 0 && (m.s.space[slot][PCI_COMMAND] & 3u))
        changes_decoding++;
}

static const pci_model_hooks hooks = { on_bar_changed, NULL, NULL, NULL, NULL };

/* Port I/O and MMIO for the driver: 0xCF8-0xCFF and the ECAM window reach
   the model, everything else floats high. */
static uint32_t port_in(void *ctx, uint16_t port, unsigned width)
{
    (void)ctx;
    if (port >= CF8 && port + width <= CF8 + PCI_MODEL_LEN)
        return (uint32_t)pci_model_read(&m, port - CF8, width);
    return (uint32_t)((1ull << (8 * width)) - 1);
}

static void port_out(void *ctx, uint16_t port, unsigned width, uint32_t v)
{
    (void)ctx;
    if (port >= CF8 && port + width <= CF8 + PCI_MODEL_LEN)
        pci_model_write(&m, port - CF8, width, v);
}

static uint32_t mmio_load(void *ctx, uint64_t a, unsigned width)
{
    (void)ctx;
    if (a >= ECAM_BASE && a - ECAM_BASE < PCI_MODEL_ECAM_LEN)
        return (uint32_t)pci_model_ecam_read(&m, a - ECAM_BASE, width);
    return (uint32_t)((1ull << (8 * width)) - 1);
}

static void mmio_store(void *ctx, uint64_t a, unsigned width, uint32_t v)
{
    (void)ctx;
    if (a >= ECAM_BASE && a - ECAM_BASE < PCI_MODEL_ECAM_LEN)
        pci_model_ecam_write(&m, a - ECAM_BASE, width, v);
}

static pci_drv_cam1 cam1 = { port_in, port_out, NULL };
static pci_drv_ecam ecam = { mmio_load, mmio_store, NULL, ECAM_BASE, 0, 255 };

/* The board: the host bridge, a single-function NIC-like device at 01.0
   (I/O BAR 0 of 32 bytes, 4 KiB memory BAR 1, INTA#, MSI-X and a vendor
   capability) and a two-function device at 02.0 (a 1 MiB prefetchable
   64-bit BAR 0/1, INTB#, power management) and 02.1 (no BARs). */
static uint8_t cap_msix, cap_vndr, cap_vndr2, cap_pm;

static void board(void)
{
    pci_function f;

    changes = changes_decoding = 0;
    pci_model_init(&m, &hooks);
    pci_function_init(&f, 0x1af4, 0x1000, 0x020000, 1);
    CHECK_EQ(pci_function_bar(&f, 0, 32, PCI_BAR_IO), 0);
    CHECK_EQ(pci_function_bar(&f, 1, 4096, 0), 0);
    CHECK_EQ(pci_function_irq(&f, 1), 0);
    cap_msix = pci_function_add_cap(&f, PCI_CAP_ID_MSIX, 12);
    cap_vndr = pci_function_add_cap(&f, PCI_CAP_ID_VNDR, 16);
    cap_vndr2 = pci_function_add_cap(&f, PCI_CAP_ID_VNDR, 5);
    CHECK_EQ(pci_model_add(&m, PCI_DEVFN(1, 0), &f), 0);

    pci_function_init(&f, 0x8086, 0x1234, 0x010802, 0);
    CHECK_EQ(pci_function_bar(&f, 0, 1u << 20, PCI_BAR_MEM_64 | PCI_BAR_PREFETCH), 0);
    CHECK_EQ(pci_function_irq(&f, 2), 0);
    cap_pm = pci_function_add_cap(&f, PCI_CAP_ID_PM, 8);
    CHECK_EQ(pci_model_add(&m, PCI_DEVFN(2, 0), &f), 0);
    pci_function_init(&f, 0x8086, 0x1235, 0x0c0330, 0);
    CHECK_EQ(pci_model_add(&m, PCI_DEVFN(2, 1), &f), 0);
    changes = 0; /* init told the hook about the host bridge */
}

/* Mechanism #1 by hand: select a register, then access the data port. */
static void sel(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    pci_model_write(&m, PCI_MODEL_CF8, 4, PCI_CF8(bus, dev, fn, reg));
}

static uint64_t cfc(unsigned lane, unsigned width)
{
    return pci_model_read(&m, PCI_MODEL_CFC + lane, width);
}

static uint32_t cfg32(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    sel(bus, dev, fn, reg);
    return (uint32_t)cfc(0, 4);
}

static void cfg_write(unsigned dev, unsigned fn, unsigned reg, unsigned width, uint32_t v)
{
    sel(0, dev, fn, reg);
    pci_model_write(&m, PCI_MODEL_CFC + (reg & 3u), width, v);
}

TEST(layout)
{
    /* PCI 3.0, 3.2.2.3.2: enable 31, bus 23:16, device 15:11, function
       10:8, register 7:2. Bus 1, device 2, function 3, register 0x45:
       0x80000000 + 0x10000 + 0x1000 + 0x300 + 0x44. */
    CHECK_EQ(PCI_CF8(1, 2, 3, 0x45), 0x80011344u);
    CHECK_EQ(PCI_CF8(255, 31, 7, 0xff), 0x80fffffcu);
    /* PCIe 6.0, 7.2.2: bus 27:20, device 19:15, function 14:12. */
    CHECK_EQ(PCI_ECAM_OFFSET(1, 2, 3, 0x45), 0x113045u);
    CHECK_EQ(PCI_ECAM_OFFSET(255, 31, 7, 0xfff), 0xfffffffu);
    CHECK_EQ(PCI_BDF(1, 2, 3), 0x113u);
    CHECK_EQ(PCI_DEVFN(31, 7), 0xffu);
    CHECK_EQ(PCI_PC_CONFIG_ADDRESS, 0xcf8u);
    CHECK_EQ(PCI_PC_CONFIG_DATA, 0xcfcu);
    /* Offsets of the type-0 header (6.1) and the capability IDs (app. H). */
    CHECK_EQ(PCI_BAR(5), 0x24u);
    CHECK_EQ(PCI_SUBSYSTEM_VENDOR_ID, 0x2cu);
    CHECK_EQ(PCI_CAPABILITY_LIST, 0x34u);
    CHECK_EQ(PCI_INTERRUPT_PIN, 0x3du);
    CHECK_EQ(PCI_SECONDARY_BUS, 0x19u);
    CHECK_EQ(PCI_CAP_ID_PM, 0x01);
    CHECK_EQ(PCI_CAP_ID_MSI, 0x05);
    CHECK_EQ(PCI_CAP_ID_VNDR, 0x09);
    CHECK_EQ(PCI_CAP_ID_EXP, 0x10);
    CHECK_EQ(PCI_CAP_ID_MSIX, 0x11);
    /* Status bits 8, 11, 12, 13, 14, 15 are the write-1-to-clear ones. */
    CHECK_EQ(PCI_STATUS_W1C, (1u << 8) | (1u << 11) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 15));
}

TEST(host_bridge)
{
    board();
    CHECK_EQ(cfg32(0, 0, 0, 0), 0x29c08086u);
    CHECK_EQ(cfg32(0, 0, 0, 8) >> 8, 0x060000u); /* host bridge class */
    CHECK_EQ(cfg32(0, 0, 0, 0xc) >> 16 & 0xff, 0); /* type 0, one function */
    CHECK_EQ(cfg32(0, 0, 0, 0x34) & 0xff, 0);       /* no capabilities */
}

TEST(byte_lanes)
{
    board();
    sel(0, 0, 0, 0);
    CHECK_EQ(cfc(0, 1), 0x86);
    CHECK_EQ(cfc(1, 1), 0x80);
    CHECK_EQ(cfc(2, 1), 0xc0);
    CHECK_EQ(cfc(3, 1), 0x29);
    CHECK_EQ(cfc(0, 2), 0x8086);
    CHECK_EQ(cfc(1, 2), 0xc080);
    CHECK_EQ(cfc(2, 2), 0x29c0);
    CHECK_EQ(cfc(1, 4), 0xffffffffu); /* crosses the dword */
    CHECK_EQ(cfc(3, 2), 0xffff);      /* runs past 0xCFF */
    CHECK_EQ(cfc(0, 8), UINT64_MAX);
    CHECK_EQ(cfc(0, 3), 0xffffff);
    /* Register 0x04 of 01.0: a byte write to each lane of command/status. */
    cfg_write(1, 0, PCI_COMMAND, 1, 0xff);
    CHECK_EQ(cfg32(0, 1, 0, 4) & 0xffff, 0x47); /* IO MEMORY MASTER PARITY */
    cfg_write(1, 0, PCI_COMMAND + 1, 1, 0xff);
    CHECK_EQ(cfg32(0, 1, 0, 4) & 0xffff, 0x547); /* + SERR, INTX_DISABLE */
    sel(0, 1, 0, 4);
    CHECK_EQ(cfc(1, 1), 0x05);
    cfg_write(1, 0, PCI_COMMAND, 2, 0);
    CHECK_EQ(cfg32(0, 1, 0, 4) & 0xffff, 0);
    /* The register number's low bits in CONFIG_ADDRESS are not stored. */
    pci_model_write(&m, PCI_MODEL_CF8, 4, PCI_CF8_ENABLE | 3u);
    CHECK_EQ(pci_model_read(&m, PCI_MODEL_CF8, 4), 0x80000000u);
    pci_model_write(&m, PCI_MODEL_CF8, 4, 0xffffffffu);
    CHECK_EQ(pci_model_read(&m, PCI_MODEL_CF8, 4), 0x80fffffcu);
}

TEST(config_address_width)
{
    board();
    sel(0, 1, 0, 0);
    /* Default (PCI 3.0): byte and word accesses do not reach it. */
    pci_model_write(&m, 1, 1, 0x55);
    pci_model_write(&m, 2, 2, 0x1234);
    CHECK_EQ(pci_model_read(&m, PCI_MODEL_CF8, 4), PCI_CF8(0, 1, 0, 0));
    CHECK_EQ(pci_model_read(&m, 0, 1), 0xff);
    CHECK_EQ(pci_model_read(&m, 2, 2), 0xffff);
    CHECK_EQ(pci_model_read(&m, 1, 4), 0xffffffffu);
    /* With byte lanes: a 16-bit write to 0xCFA, an 8-bit one to 0xCFB. */
    m.cfg.cf8_partial = true;
    pci_model_write(&m, 2, 2, 0x8002);   /* enable, bus 2 */
    CHECK_EQ(pci_model_read(&m, PCI_MODEL_CF8, 4), 0x80020800u);
    pci_model_write(&m, 3, 1, 0x7f);     /* enable off, reserved bits dropped */
    CHECK_EQ(pci_model_read(&m, PCI_MODEL_CF8, 4), 0x00020800u);
    pci_model_write(&m, 0, 1, 0x0b);     /* register 0x08 (bits 1:0 dropped) */
    CHECK_EQ(pci_model_read(&m, 0, 1), 0x08);
    CHECK_EQ(pci_model_read(&m, 1, 2), 0x0208);
    pci_model_write(&m, 3, 2, 0xffff);   /* runs past 0xCFB: ignored */
    CHECK_EQ(pci_model_read(&m, PCI_MODEL_CF8, 4), 0x00020808u);
}

TEST(enable_bit)
{
    board();
    pci_model_write(&m, PCI_MODEL_CF8, 4, PCI_CF8(0, 1, 0, 4) & ~PCI_CF8_ENABLE);
    CHECK_EQ(cfc(0, 4), 0xffffffffu);
    CHECK_EQ(cfc(2, 1), 0xff);
    pci_model_write(&m, PCI_MODEL_CFC, 2, 0x7);
    CHECK_EQ(cfg32(0, 1, 0, 4) & 0xffff, 0); /* the write went nowhere */
    CHECK_EQ(changes, 0);
}

TEST(absent)
{
    board();
    CHECK_EQ(cfg32(0, 5, 0, 0), 0xffffffffu);   /* no device 5 */
    CHECK_EQ(cfg32(0, 1, 1, 0), 0xffffffffu);   /* 01.0 has one function */
    CHECK_EQ(cfg32(1, 0, 0, 0), 0xffffffffu);   /* no bus 1 */
    CHECK_EQ(cfg32(255, 31, 7, 0xfc), 0xffffffffu);
    sel(0, 7, 0, 0);
    CHECK_EQ(cfc(0, 2), 0xffff);
    pci_model_write(&m, PCI_MODEL_CFC, 4, 0);
    CHECK_EQ(cfg32(0, 7, 0, 0), 0xffffffffu);
    /* ECAM: the same functions, the extended space empty, beyond floats. */
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 0, 0, 0), 4), 0x29c08086u);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 0, 0, 2), 2), 0x29c0u);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 5, 0, 0), 4), 0xffffffffu);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(3, 0, 0, 0), 2), 0xffff);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 1, 0, 0x100), 4), 0);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 5, 0, 0x100), 4), 0xffffffffu);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 0, 0, 2), 4), 0xffffffffu);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_MODEL_ECAM_LEN, 4), 0xffffffffu);
    CHECK_EQ(pci_model_ecam_read(&m, 0, 8), UINT64_MAX);
    pci_model_ecam_write(&m, PCI_ECAM_OFFSET(0, 1, 0, PCI_COMMAND), 2, 0x2);
    CHECK_EQ(cfg32(0, 1, 0, 4) & 0xffff, 0x2);
    pci_model_ecam_write(&m, PCI_ECAM_OFFSET(0, 1, 0, 0x104), 4, 0x12345678u);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 1, 0, 0x104), 4), 0);
}

TEST(bar_sizing)
{
    board();
    /* 6.2.5.1: all-ones reads back ~(size - 1) with the read-only flags. */
    cfg_write(1, 0, PCI_BAR(0), 4, 0xffffffffu);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(0)), 0xffffffe1u); /* 32 bytes of I/O */
    cfg_write(1, 0, PCI_BAR(1), 4, 0xffffffffu);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(1)), 0xfffff000u); /* 4 KiB, 32-bit memory */
    cfg_write(1, 0, PCI_BAR(2), 4, 0xffffffffu);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(2)), 0);           /* not implemented */
    cfg_write(2, 0, PCI_BAR(0), 4, 0xffffffffu);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(0)), 0xfff0000cu); /* 1 MiB, 64-bit, prefetch */
    cfg_write(2, 0, PCI_BAR(1), 4, 0xffffffffu);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(1)), 0xffffffffu);
    /* Writing 0 leaves the flags. */
    cfg_write(2, 0, PCI_BAR(0), 4, 0);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(0)), 0x0000000cu);
    /* A byte write to a BAR's top lane moves only that lane. */
    cfg_write(1, 0, PCI_BAR(1), 4, 0);
    cfg_write(1, 0, PCI_BAR(1) + 3, 1, 0xfe);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(1)), 0xfe000000u);
    /* The hook heard every change: a 64-bit BAR's high half as its low. */
    CHECK(changes > 0);
    cfg_write(2, 0, PCI_BAR(1), 4, 0x12);
    CHECK_EQ(last_devfn, PCI_DEVFN(2, 0));
    CHECK_EQ(last_bar, 0);
    cfg_write(1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    CHECK_EQ(last_devfn, PCI_DEVFN(1, 0));
    CHECK_EQ(last_bar, PCI_MODEL_COMMAND);
}

TEST(model_bar)
{
    uint64_t base = 0, size = 0;

    board();
    cfg_write(2, 0, PCI_BAR(0), 4, 0xfe000000u);
    cfg_write(2, 0, PCI_BAR(1), 4, 0x1u);
    CHECK(!pci_model_bar(&m, PCI_DEVFN(2, 0), 0, &base, &size)); /* decode off */
    cfg_write(2, 0, PCI_COMMAND, 2, PCI_COMMAND_IO);
    CHECK(!pci_model_bar(&m, PCI_DEVFN(2, 0), 0, &base, &size)); /* wrong kind */
    cfg_write(2, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    CHECK(pci_model_bar(&m, PCI_DEVFN(2, 0), 0, &base, &size));
    CHECK_EQ(base, 0x1fe000000ull);
    CHECK_EQ(size, 1u << 20);
    CHECK(!pci_model_bar(&m, PCI_DEVFN(2, 0), 2, &base, &size)); /* unimplemented */
    CHECK(!pci_model_bar(&m, PCI_DEVFN(9, 0), 0, &base, &size)); /* absent */
    cfg_write(1, 0, PCI_BAR(0), 4, 0xc020u);
    cfg_write(1, 0, PCI_COMMAND, 2, PCI_COMMAND_IO);
    CHECK(pci_model_bar(&m, PCI_DEVFN(1, 0), 0, &base, &size));
    CHECK_EQ(base, 0xc020u);
    CHECK_EQ(size, 32);
}

/* Found by the pcicfg fuzzer: bar_changed and pci_model_bar() name a
   64-bit BAR by its low half even when that half has no writable bit (a
   BAR of 4 GiB or more), and never take a high half for a BAR, whatever
   the guest wrote into it. */
TEST(bar_changed_64bit)
{
    pci_function f;
    uint64_t base = 0, size = 0;
    unsigned before;

    board();
    pci_model_reset(&m);
    before = changes;                     /* what the board's functions get */
    pci_function_init(&f, 0x8086, 0x4444, 0x030000, 0);
    CHECK_EQ(pci_function_bar(&f, 0, 1ull << 33, PCI_BAR_MEM_64), 0);
    CHECK_EQ(pci_function_bar(&f, 2, 4096, PCI_BAR_MEM_64), 0);
    CHECK_EQ(pci_function_bar(&f, 4, 16, 0), 0);
    CHECK_EQ(pci_model_add(&m, PCI_DEVFN(4, 0), &f), 0);
    changes = 0;
    pci_model_reset(&m);                  /* BARs 0, 2, 4 and the command */
    CHECK_EQ(changes, before + 4);
    changes = 4;
    cfg_write(4, 0, PCI_BAR(1), 4, 0x3u); /* the high half of an 8 GiB BAR */
    CHECK_EQ(changes, 5);
    CHECK_EQ(last_bar, 0);
    cfg_write(4, 0, PCI_BAR(3), 4, 0x4u); /* a high half that looks 64-bit */
    CHECK_EQ(changes, 6);
    CHECK_EQ(last_bar, 2);
    cfg_write(4, 0, PCI_BAR(4), 4, 0xfffffff0u); /* the BAR above it */
    CHECK_EQ(changes, 7);
    CHECK_EQ(last_bar, 4);
    cfg_write(4, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    CHECK(pci_model_bar(&m, PCI_DEVFN(4, 0), 0, &base, &size));
    CHECK_EQ(base, 0x200000000ull);       /* bit 32 is below the size: read-only */
    CHECK_EQ(size, 1ull << 33);
    CHECK(!pci_model_bar(&m, PCI_DEVFN(4, 0), 1, &base, &size));
    CHECK(!pci_model_bar(&m, PCI_DEVFN(4, 0), 3, &base, &size));
    CHECK(!pci_model_bar(&m, PCI_DEVFN(4, 0), 5, &base, &size));
    CHECK(pci_model_bar(&m, PCI_DEVFN(4, 0), 4, &base, &size));
    CHECK_EQ(size, 16);
}

TEST(status_w1c)
{
    int slot;

    board();
    slot = m.cfg.slot_of[PCI_DEVFN(1, 0)] - 1;
    /* The device reports errors (a board would set these bits). */
    m.s.space[slot][PCI_STATUS + 1] = 0xf9;
    CHECK_EQ(cfg32(0, 1, 0, 4) >> 16, 0xf900u | PCI_STATUS_CAP_LIST);
    cfg_write(1, 0, PCI_STATUS, 2, 0);          /* zeros clear nothing */
    CHECK_EQ(cfg32(0, 1, 0, 4) >> 16, 0xf910u);
    cfg_write(1, 0, PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
    CHECK_EQ(cfg32(0, 1, 0, 4) >> 16, 0xd910u);
    cfg_write(1, 0, PCI_STATUS, 2, 0xffff);     /* all clear, CAP_LIST stays */
    CHECK_EQ(cfg32(0, 1, 0, 4) >> 16, PCI_STATUS_CAP_LIST);
    /* A dword write to command+status: command set, status cleared. */
    m.s.space[slot][PCI_STATUS + 1] = 0x80;
    cfg_write(1, 0, PCI_COMMAND, 4, 0xffff0002u);
    CHECK_EQ(cfg32(0, 1, 0, 4), 0x00100002u);
}

TEST(read_only)
{
    board();
    cfg_write(1, 0, PCI_VENDOR_ID, 4, 0x12345678u);
    CHECK_EQ(cfg32(0, 1, 0, 0), 0x10001af4u);
    cfg_write(1, 0, PCI_REVISION_ID, 4, 0);
    CHECK_EQ(cfg32(0, 1, 0, 8), 0x02000001u);
    cfg_write(1, 0, PCI_CACHE_LINE_SIZE, 4, 0xffffffffu);
    CHECK_EQ(cfg32(0, 1, 0, 0xc), 0x0000ffffu); /* cache line, latency: r/w */
    cfg_write(1, 0, PCI_CAPABILITY_LIST, 1, 0x80);
    CHECK_EQ(cfg32(0, 1, 0, 0x34), 0x40u);
    cfg_write(1, 0, PCI_INTERRUPT_LINE, 4, 0xffffffffu);
    CHECK_EQ(cfg32(0, 1, 0, 0x3c), 0x000001ffu); /* line r/w, pin INTA# */
    cfg_write(1, 0, cap_msix, 4, 0xffffffffu);   /* capability bodies: r/o */
    CHECK_EQ(cfg32(0, 1, 0, cap_msix), (uint32_t)cap_vndr << 8 | PCI_CAP_ID_MSIX);
    cfg_write(1, 0, 0xfc, 4, 0xffffffffu);
    CHECK_EQ(cfg32(0, 1, 0, 0xfc), 0);
    /* The multi-function bit: on 02.0, which has a function 1, only. */
    CHECK_EQ(cfg32(0, 2, 0, 0xc) >> 16 & 0xff, 0x80);
    CHECK_EQ(cfg32(0, 1, 0, 0xc) >> 16 & 0xff, 0x00);
    CHECK_EQ(cfg32(0, 2, 1, 0xc) >> 16 & 0xff, 0x00);
}

TEST(builders)
{
    pci_function f;
    pci_model big;

    pci_function_init(&f, 1, 2, 3, 4);
    CHECK_EQ(pci_function_bar(&f, 0, 24, 0), PCI_EINVAL);   /* not a power of two */
    CHECK_EQ(pci_function_bar(&f, 0, 8, 0), PCI_EINVAL);    /* memory below 16 */
    CHECK_EQ(pci_function_bar(&f, 0, 512, PCI_BAR_IO), PCI_EINVAL); /* I/O above 256 */
    CHECK_EQ(pci_function_bar(&f, 0, 2, PCI_BAR_IO), PCI_EINVAL);
    CHECK_EQ(pci_function_bar(&f, 0, 1ull << 32, 0), PCI_EINVAL); /* 32-bit above 2 GiB */
    CHECK_EQ(pci_function_bar(&f, 5, 4096, PCI_BAR_MEM_64), PCI_EINVAL);
    CHECK_EQ(pci_function_bar(&f, 6, 4096, 0), PCI_EINVAL);
    CHECK_EQ(pci_function_bar(&f, 0, 4096, PCI_BAR_IO | PCI_BAR_PREFETCH), PCI_EINVAL);
    CHECK_EQ(pci_function_bar(&f, 0, 0, 0), PCI_EINVAL);
    CHECK_EQ(pci_function_bar(&f, 4, 1ull << 40, PCI_BAR_MEM_64), 0);
    CHECK_EQ(pci_function_bar(&f, 5, 16, 0), PCI_EBUSY);
    CHECK_EQ(pci_function_bar(&f, 3, 1ull << 31, 0), 0);
    CHECK_EQ(pci_function_bar(&f, 3, 16, 0), PCI_EBUSY);
    CHECK_EQ(pci_function_irq(&f, 5), PCI_EINVAL);
    /* Capabilities fill the space dword by dword, then refuse. */
    CHECK_EQ(pci_function_add_cap(&f, 9, 1), 0);
    CHECK_EQ(pci_function_add_cap(&f, 9, 193), 0);
    CHECK_EQ(pci_function_add_cap(&f, 9, 188), 0x40);
    CHECK_EQ(pci_function_add_cap(&f, 9, 2), 0xfc);
    CHECK_EQ(pci_function_add_cap(&f, 9, 2), 0);
    CHECK_EQ(f.config[0x41], 0xfc); /* 0x40's next */
    CHECK_EQ(f.config[PCI_CAPABILITY_LIST], 0x40);
    pci_function_init(&f, 1, 2, 3, 4);
    CHECK_EQ(pci_function_add_cap(&f, 9, 190), 0x40); /* rounds up to 192: full */
    CHECK_EQ(pci_function_add_cap(&f, 9, 2), 0);
    /* The table: taken, out of range, full. */
    pci_model_init(&big, NULL);
    CHECK_EQ(pci_model_add(&big, 0, &f), PCI_EBUSY); /* the host bridge */
    CHECK_EQ(pci_model_add(&big, 256, &f), PCI_EINVAL);
    for (unsigned i = 1; i < PCI_MODEL_FUNCS; i++)
        CHECK_EQ(pci_model_add(&big, i, &f), 0);
    CHECK_EQ(pci_model_add(&big, 200, &f), PCI_EFULL);
    CHECK_EQ(big.cfg.count, PCI_MODEL_FUNCS);
}

TEST(reset_and_init)
{
    board();
    cfg_write(1, 0, PCI_BAR(1), 4, 0xfebf0000u);
    cfg_write(1, 0, PCI_COMMAND, 2, 3);
    changes = 0;
    pci_model_reset(&m);
    CHECK_EQ(pci_model_read(&m, PCI_MODEL_CF8, 4), 0);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(1)), 0);
    CHECK_EQ(cfg32(0, 1, 0, 4), 0x00100000u);
    CHECK_EQ(m.s.version, PCI_STATE_VERSION);
    /* Re-driven: 01.0's two BARs, 02.0's one 64-bit BAR (named once, by
       its low half), and four command registers. */
    CHECK_EQ(changes, 2 + 1 + 4);
    /* init without hooks: a host bridge only, nothing called. */
    {
        static pci_model bare;
        pci_model_init(&bare, NULL);
        CHECK_EQ(bare.cfg.count, 1);
        CHECK_EQ(pci_model_ecam_read(&bare, 0, 4), 0x29c08086u);
    }
}

TEST(save_restore)
{
    static uint8_t buf[sizeof(pci_state) + 8];
    static uint8_t bad[sizeof(pci_state)];
    int64_t n;

    board();
    sel(0, 2, 0, PCI_BAR(0));
    cfg_write(2, 0, PCI_BAR(0), 4, 0xe0000000u);
    cfg_write(2, 0, PCI_COMMAND, 2, 6);
    sel(0, 2, 0, PCI_BAR(0));
    CHECK_EQ(pci_model_save(&m, buf, sizeof(pci_state) - 1), -1);
    n = pci_model_save(&m, buf + 1, sizeof buf - 1); /* unaligned */
    CHECK_EQ(n, (int64_t)sizeof(pci_state));
    pci_model_reset(&m);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(0)), 0xcu);
    changes = 0;
    CHECK_EQ(pci_model_restore(&m, buf + 1, sizeof(pci_state) + 1), -1);
    CHECK_EQ(changes, 0);
    CHECK_EQ(pci_model_restore(&m, buf + 1, sizeof(pci_state)), (int64_t)sizeof(pci_state));
    CHECK_EQ(changes, 2 + 1 + 4);
    CHECK_EQ(pci_model_read(&m, PCI_MODEL_CF8, 4), PCI_CF8(0, 2, 0, PCI_BAR(0)));
    CHECK_EQ(cfc(0, 4), 0xe000000cu);
    CHECK_EQ(cfg32(0, 2, 0, 4) & 0xffff, 6);

    /* Refusals, each leaving the state alone. */
    memcpy(bad, buf + 1, sizeof bad);
    bad[0] ^= 1; /* version */
    CHECK_EQ(pci_model_restore(&m, bad, sizeof bad), -1);
    memcpy(bad, buf + 1, sizeof bad);
    bad[offsetof(pci_state, config_address) + 3] |= 0x40; /* reserved bit 30 */
    CHECK_EQ(pci_model_restore(&m, bad, sizeof bad), -1);
    memcpy(bad, buf + 1, sizeof bad);
    bad[offsetof(pci_state, space) + PCI_CONFIG_SIZE * 1 + PCI_VENDOR_ID] = 0x34; /* 01.0 vendor */
    CHECK_EQ(pci_model_restore(&m, bad, sizeof bad), -1);
    memcpy(bad, buf + 1, sizeof bad);
    bad[offsetof(pci_state, space) + PCI_CONFIG_SIZE * 2 + PCI_BAR(0)] &= 0xf0; /* BAR type */
    CHECK_EQ(pci_model_restore(&m, bad, sizeof bad), -1);
    memcpy(bad, buf + 1, sizeof bad);
    bad[offsetof(pci_state, space) + PCI_CONFIG_SIZE * 9] = 1; /* an unused slot */
    CHECK_EQ(pci_model_restore(&m, bad, sizeof bad), -1);
    memcpy(bad, buf + 1, sizeof bad);
    bad[offsetof(pci_state, space) + PCI_CONFIG_SIZE * 1 + PCI_STATUS + 1] = 0xf9; /* w1c: fine */
    CHECK_EQ(pci_model_restore(&m, bad, sizeof bad), (int64_t)sizeof bad);
    CHECK_EQ(cfg32(0, 1, 0, 4) >> 16, 0xf910u);
}

/* A fake function whose capability list the test writes: the driver must
   end its walk however the list lies. */
static uint8_t hostile[256];
static unsigned hostile_reads;

static uint32_t hostile_read(void *ctx, uint32_t bdf, uint16_t reg, unsigned width)
{
    uint32_t v = 0;

    (void)ctx;
    (void)bdf;
    hostile_reads++;
    for (unsigned i = 0; i < width && reg + i < 256; i++)
        v |= (uint32_t)hostile[reg + i] << (8 * i);
    return v;
}

static void hostile_write(void *ctx, uint32_t bdf, uint16_t reg, unsigned width, uint32_t v)
{
    (void)ctx, (void)bdf, (void)reg, (void)width, (void)v;
}

TEST(cap_walk_hostile)
{
    pci_drv d = { hostile_read, hostile_write, NULL };

    memset(hostile, 0, sizeof hostile);
    hostile[PCI_STATUS] = PCI_STATUS_CAP_LIST;
    hostile[PCI_CAPABILITY_LIST] = 0x40;
    hostile[0x40] = 1, hostile[0x41] = 0x40; /* a self-loop */
    hostile_reads = 0;
    CHECK_EQ(pci_drv_find_cap(&d, 0, 5, 0), 0);
    CHECK(hostile_reads <= 2 * PCI_CAP_MAX_STEPS + 2);
    CHECK_EQ(pci_drv_find_cap(&d, 0, 1, 0), 0x40);
    /* 0x40 -> 0x80 -> 0x43 (is 0x40 again, the low bits are reserved). */
    hostile[0x41] = 0x80, hostile[0x80] = 2, hostile[0x81] = 0x43;
    hostile_reads = 0;
    CHECK_EQ(pci_drv_find_cap(&d, 0, 5, 0), 0);
    CHECK(hostile_reads <= 8);
    CHECK_EQ(pci_drv_find_cap(&d, 0, 2, 0), 0x80);
    /* A pointer into the header ends the walk. */
    hostile[0x81] = 0x3c, hostile[0x3c] = 5;
    CHECK_EQ(pci_drv_find_cap(&d, 0, 5, 0), 0);
    /* The longest list the space can hold, 48 links, then a loop: all
       distinct dwords visited once, never more. */
    for (unsigned p = 0x40; p < 0x100; p += 4)
        hostile[p] = 7, hostile[p + 1] = (uint8_t)(p + 4 < 0x100 ? p + 4 : 0x40);
    hostile[0xfc] = 5;
    CHECK_EQ(pci_drv_find_cap(&d, 0, 5, 0), 0xfc);
    hostile[0xfc] = 7;
    hostile_reads = 0;
    CHECK_EQ(pci_drv_find_cap(&d, 0, 5, 0), 0);
    CHECK(hostile_reads <= 2 * PCI_CAP_MAX_STEPS + 2);
    /* No CAP_LIST bit: the pointer is not even read. */
    hostile[PCI_STATUS] = 0;
    CHECK_EQ(pci_drv_find_cap(&d, 0, 7, 0), 0);
}

/* A device that answers all-ones to everything (no device at all) must
   not make bar_size or scan misbehave. */
static uint32_t ones_read(void *ctx, uint32_t bdf, uint16_t reg, unsigned width)
{
    (void)ctx, (void)bdf, (void)reg;
    return (uint32_t)((1ull << (8 * width)) - 1);
}

TEST(driver_on_nothing)
{
    pci_drv d = { ones_read, hostile_write, NULL };
    uint64_t base = 1, size = 1;
    uint32_t flags = 0;

    CHECK_EQ(pci_drv_scan(&d, NULL, NULL), 0);
    CHECK_EQ(pci_drv_bar_size(&d, 0, 0, &base, &size, &flags), 1); /* I/O, 4 bytes */
    CHECK_EQ(size, 4);
    CHECK_EQ(pci_drv_bar_size(&d, 0, 6, &base, &size, &flags), -1);
    CHECK_EQ(pci_drv_find_cap(&d, 0, 1, 0), 0); /* all 0xFC: loops on itself */
}

/* Random accesses through both windows. Every read-only bit must keep its
   built value; CONFIG_ADDRESS only its stored bits. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

TEST(random_accesses)
{
    bool ok = true;

    board();
    m.cfg.cf8_partial = true;
    for (unsigned i = 0; i < 200000; i++) {
        uint64_t r = next_rand(), v = next_rand();
        unsigned width = (unsigned)(r & 15) % 9;
        uint64_t off = (r >> 4) & 15;

        switch ((r >> 8) & 3) {
        case 0: (void)pci_model_read(&m, off, width); break;
        case 1: pci_model_write(&m, off, width, v); break;
        case 2: pci_model_ecam_write(&m, (r >> 10) & 0x3fffff, width, v); break;
        default:
            if ((r >> 12) & 1)
                pci_model_write(&m, 0, 4, PCI_CF8(0, (v >> 8) & 3, 0, v & 0xff));
            else
                pci_model_ecam_write(&m, PCI_ECAM_OFFSET(0, (v >> 8) & 3, (v >> 12) & 1, v & 0xff),
                                     width, next_rand());
        }
        ok &= (m.s.config_address & ~PCI_CF8_BITS) == 0;
    }
    CHECK(ok);
    for (unsigned s = 0; s < m.cfg.count; s++)
        for (unsigned o = 0; o < PCI_CONFIG_SIZE; o++) {
            const pci_function *f = &m.cfg.fn[s];
            uint8_t fixed = (uint8_t)~(f->wmask[o] | f->w1c[o]);

            ok &= ((m.s.space[s][o] ^ f->config[o]) & fixed) == 0;
        }
    CHECK(ok);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 1, 0, 0), 4), 0x10001af4u);
    CHECK(asserts > 0);
}

/* ---- end to end: the driver from the header against the model ---- */

static uint32_t found_bdf[8];
static uint32_t found_id[8];
static uint8_t found_ht[8];
static unsigned nfound;

static void on_found(void *ctx, uint32_t bdf, uint16_t vendor, uint16_t device, uint8_t ht)
{
    (void)ctx;
    if (nfound < 8) {
        found_bdf[nfound] = bdf;
        found_id[nfound] = (uint32_t)device << 16 | vendor;
        found_ht[nfound] = ht;
    }
    nfound++;
}

static void end_to_end(pci_drv *d)
{
    uint64_t base, size;
    uint32_t flags;

    board();
    nfound = 0;
    CHECK_EQ(pci_drv_scan(d, on_found, NULL), 4);
    CHECK_EQ(nfound, 4);
    CHECK_EQ(found_bdf[0], PCI_BDF(0, 0, 0));
    CHECK_EQ(found_id[0], 0x29c08086u);
    CHECK_EQ(found_bdf[1], PCI_BDF(0, 1, 0));
    CHECK_EQ(found_id[1], 0x10001af4u);
    CHECK_EQ(found_bdf[2], PCI_BDF(0, 2, 0));
    CHECK_EQ(found_ht[2], 0x80);
    CHECK_EQ(found_bdf[3], PCI_BDF(0, 2, 1));
    CHECK_EQ(found_id[3], 0x12358086u);

    /* Sizing with decoding on and a base programmed: all restored after,
       and no BAR moved while the function decoded. */
    cfg_write(1, 0, PCI_BAR(1), 4, 0xfebf1000u);
    cfg_write(1, 0, PCI_BAR(0), 4, 0xc040u);
    cfg_write(1, 0, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    changes_decoding = 0;
    CHECK_EQ(pci_drv_bar_size(d, PCI_BDF(0, 1, 0), 0, &base, &size, &flags), 1);
    CHECK_EQ(base, 0xc040u);
    CHECK_EQ(size, 32);
    CHECK_EQ(flags, PCI_BAR_IO);
    CHECK_EQ(pci_drv_bar_size(d, PCI_BDF(0, 1, 0), 1, &base, &size, &flags), 1);
    CHECK_EQ(base, 0xfebf1000u);
    CHECK_EQ(size, 4096);
    CHECK_EQ(flags, 0);
    CHECK_EQ(pci_drv_bar_size(d, PCI_BDF(0, 1, 0), 2, &base, &size, &flags), 0);
    CHECK_EQ(size, 0);
    CHECK_EQ(changes_decoding, 0);
    CHECK_EQ(cfg32(0, 1, 0, 4) & 0xffff, 7);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(1)), 0xfebf1000u);
    CHECK_EQ(pci_drv_bar_size(d, PCI_BDF(0, 2, 0), 0, &base, &size, &flags), 2);
    CHECK_EQ(size, 1u << 20);
    CHECK_EQ(flags, PCI_BAR_MEM_64 | PCI_BAR_PREFETCH);
    CHECK_EQ(base, 0);
    CHECK_EQ(pci_drv_bar_size(d, PCI_BDF(0, 2, 0), 5, &base, &size, &flags), 0);
    CHECK_EQ(pci_drv_bar_size(d, PCI_BDF(0, 2, 1), 0, NULL, NULL, NULL), 0);

    /* Capabilities: the first, the next of the same ID, none, none at all. */
    CHECK_EQ(cap_msix, 0x40);
    CHECK_EQ(cap_vndr, 0x4c);
    CHECK_EQ(cap_vndr2, 0x5c);
    CHECK_EQ(pci_drv_find_cap(d, PCI_BDF(0, 1, 0), PCI_CAP_ID_MSIX, 0), 0x40);
    CHECK_EQ(pci_drv_find_cap(d, PCI_BDF(0, 1, 0), PCI_CAP_ID_VNDR, 0), 0x4c);
    CHECK_EQ(pci_drv_find_cap(d, PCI_BDF(0, 1, 0), PCI_CAP_ID_VNDR, 0x4c), 0x5c);
    CHECK_EQ(pci_drv_find_cap(d, PCI_BDF(0, 1, 0), PCI_CAP_ID_VNDR, 0x5c), 0);
    CHECK_EQ(pci_drv_find_cap(d, PCI_BDF(0, 1, 0), PCI_CAP_ID_PM, 0), 0);
    CHECK_EQ(pci_drv_find_cap(d, PCI_BDF(0, 2, 0), PCI_CAP_ID_PM, 0), 0x40);
    CHECK_EQ(pci_drv_find_cap(d, PCI_BDF(0, 0, 0), PCI_CAP_ID_PM, 0), 0);
    CHECK_EQ(pci_drv_find_cap(d, PCI_BDF(0, 9, 0), PCI_CAP_ID_PM, 0), 0);
    /* The interrupt pins the functions advertise. */
    CHECK_EQ(d->read(d->ctx, PCI_BDF(0, 1, 0), PCI_INTERRUPT_PIN, 1), 1);
    CHECK_EQ(d->read(d->ctx, PCI_BDF(0, 2, 0), PCI_INTERRUPT_PIN, 1), 2);
}

TEST(end_to_end_cam1)
{
    pci_drv d;

    pci_drv_use_cam1(&d, &cam1);
    end_to_end(&d);
    /* What mechanism #1 cannot reach floats high without touching a port. */
    CHECK_EQ(d.read(d.ctx, PCI_BDF(0, 0, 0), 0x100, 4), 0xffffffffu);
    CHECK_EQ(d.read(d.ctx, PCI_BDF(0, 0, 0), 2, 4), 0xffffffffu);
    CHECK_EQ(d.read(d.ctx, 0x10000, 0, 4), 0xffffffffu);
}

TEST(end_to_end_ecam)
{
    pci_drv d;
    pci_drv_ecam narrow = ecam;

    pci_drv_use_ecam(&d, &ecam);
    end_to_end(&d);
    CHECK_EQ(d.read(d.ctx, PCI_BDF(0, 1, 0), 0x100, 4), 0); /* empty extended list */
    /* A window that starts at bus 1 does not reach bus 0. */
    narrow.bus_start = 1;
    pci_drv_use_ecam(&d, &narrow);
    CHECK_EQ(pci_drv_scan(&d, NULL, NULL), 0);
}

/* ---- the driver's BAR assignment, swizzle and MSI-X ---- */

static pci_drv_windows pc_windows(void)
{
    pci_drv_windows w = { { 0xc000, 0x1000, 0xc000 },
                          { 0xfe000000u, 0x01000000u, 0xfe000000u },
                          { 0x8000000000ull, 1ull << 30, 0x8000000000ull } };
    return w;
}

static uint16_t command_of(unsigned dev, unsigned fn)
{
    return (uint16_t)cfg32(0, dev, fn, PCI_COMMAND);
}

TEST(assign)
{
    pci_drv d;
    pci_drv_windows w = pc_windows();
    uint64_t base, size;

    pci_drv_use_cam1(&d, &cam1);
    board();
    cfg_write(1, 0, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    /* 01.0: 32 I/O ports at 0xC000, 4 KiB at 0xFE000000, then IO, MEMORY
       and MASTER on; INTX_DISABLE is kept. */
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 1, 0), &w), 2);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(0)), 0xc000u | PCI_BAR_IO);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(1)), 0xfe000000u);
    CHECK_EQ(command_of(1, 0), 0x407);
    CHECK_EQ(w.io.next, 0xc020u);
    CHECK_EQ(w.mem32.next, 0xfe001000u);
    CHECK(pci_model_bar(&m, PCI_DEVFN(1, 0), 1, &base, &size));
    CHECK_EQ(base, 0xfe000000u);
    CHECK_EQ(size, 4096);
    /* 02.0: its 1 MiB 64-bit BAR from the 64-bit window; MEMORY only. */
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 2, 0), &w), 1);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(0)), PCI_BAR_MEM_64 | PCI_BAR_PREFETCH);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(1)), 0x80u);
    CHECK_EQ(command_of(2, 0), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    CHECK_EQ(w.mem64.next, 0x8000100000ull);
    /* 02.1 and the host bridge have no BARs: bus mastering only. */
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 2, 1), &w), 0);
    CHECK_EQ(command_of(2, 1), PCI_COMMAND_MASTER);
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 0, 0), &w), 0);
    /* Again: re-assigned, after what the windows gave already. */
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 1, 0), &w), 2);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(0)), 0xc020u | PCI_BAR_IO);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(1)), 0xfe001000u);
}

/* A function that breaks the spec: BAR 0 is a 4 KiB memory BAR whose
   bit 20, above its size, is hardwired to 1, so the address written does
   not stick. The driver must notice (it reads every BAR back) and leave
   decoding off rather than let the function answer at 0xfe100000. */
static uint8_t liar[256];

static uint32_t liar_read(void *ctx, uint32_t bdf, uint16_t reg, unsigned width)
{
    uint32_t v = 0;

    (void)ctx;
    if (bdf != PCI_BDF(0, 1, 0) || reg > 256 - width)
        return 0xffffffffu;
    for (unsigned i = 0; i < width; i++)
        v |= (uint32_t)liar[reg + i] << (8 * i);
    return v;
}

static void liar_write(void *ctx, uint32_t bdf, uint16_t reg, unsigned width, uint32_t value)
{
    (void)ctx;
    if (bdf != PCI_BDF(0, 1, 0) || reg > 256 - width)
        return;
    for (unsigned i = 0; i < width; i++)
        liar[reg + i] = (uint8_t)(value >> (8 * i));
    /* BAR 0: address bits 12 and up writable, bit 20 stuck at 1. */
    uint32_t bar = (uint32_t)liar[0x10] | (uint32_t)liar[0x11] << 8 |
                   (uint32_t)liar[0x12] << 16 | (uint32_t)liar[0x13] << 24;
    bar = (bar & 0xfffff000u) | 0x00100000u;
    for (unsigned i = 0; i < 4; i++)
        liar[0x10 + i] = (uint8_t)(bar >> (8 * i));
    for (unsigned i = 0x14; i < 0x28; i++)
        liar[i] = 0; /* no other BARs */
}

TEST(assign_lying_bar)
{
    pci_drv d = { liar_read, liar_write, NULL };
    pci_drv_windows w = pc_windows(), before;

    memset(liar, 0, sizeof liar);
    liar[0] = 0x34, liar[1] = 0x12, liar[2] = 0x78, liar[3] = 0x56;
    liar_write(NULL, PCI_BDF(0, 1, 0), PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    before = w;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 1, 0), &w), PCI_EDEVICE);
    CHECK_EQ(liar_read(NULL, PCI_BDF(0, 1, 0), PCI_COMMAND, 2) & PCI_COMMAND_DECODE, 0);
    CHECK(memcmp(&w, &before, sizeof w) == 0);
}

TEST(assign_alignment)
{
    pci_drv d;
    pci_drv_windows w = pc_windows();

    pci_drv_use_cam1(&d, &cam1);
    board();
    /* A misaligned `next` is rounded up to the BAR's size; a `next` below
       the base starts at the base. */
    w.io.next = 0xc004;
    w.mem32.next = 0;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 1, 0), &w), 2);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(0)), 0xc020u | PCI_BAR_IO);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(1)), 0xfe000000u);
    /* No 64-bit window: the 64-bit BAR goes below 4 GiB, 1 MiB aligned. */
    w.mem64.size = 0;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 2, 0), &w), 1);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(0)), 0xfe100000u | PCI_BAR_MEM_64 | PCI_BAR_PREFETCH);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(1)), 0);
    CHECK_EQ(w.mem32.next, 0xfe200000u);
    /* A 64-bit window too small for it: the same. */
    w.mem64.size = 0x80000;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 2, 0), &w), 1);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(0)), 0xfe200000u | PCI_BAR_MEM_64 | PCI_BAR_PREFETCH);
    /* A window that ends exactly at 2^64 would let `next` wrap to 0. */
    w.mem64.base = w.mem64.next = 0xfffffffffff00000ull;
    w.mem64.size = 0x100000;
    w.mem32.size = 0;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 2, 0), &w), PCI_EFULL);
    w.mem64.size = 0xfffff;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 2, 0), &w), PCI_EFULL);
    /* The top megabyte but one. */
    w.mem64.base = w.mem64.next = 0xffffffffffe00000ull;
    w.mem64.size = 0x1fffff;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 2, 0), &w), 1);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(1)), 0xffffffffu);
    CHECK_EQ(cfg32(0, 2, 0, PCI_BAR(0)), 0xffe00000u | PCI_BAR_MEM_64 | PCI_BAR_PREFETCH);
    CHECK_EQ(w.mem64.next, 0xfffffffffff00000ull);
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 2, 0), &w), PCI_EFULL);
}

TEST(assign_full)
{
    pci_drv d;
    pci_drv_windows w = pc_windows(), before;

    pci_drv_use_cam1(&d, &cam1);
    board();
    cfg_write(1, 0, PCI_BAR(0), 4, 0x1000);
    cfg_write(1, 0, PCI_BAR(1), 4, 0xe0000000u);
    cfg_write(1, 0, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_SERR);
    /* The I/O BAR fits, the memory one does not: nothing is written, no
       window moves, decoding stays off. */
    w.mem32.size = 0x800;
    before = w;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 1, 0), &w), PCI_EFULL);
    CHECK(memcmp(&w, &before, sizeof w) == 0);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(0)), 0x1000u | PCI_BAR_IO);
    CHECK_EQ(cfg32(0, 1, 0, PCI_BAR(1)), 0xe0000000u);
    CHECK_EQ(command_of(1, 0), PCI_COMMAND_SERR);
    /* A 32-bit BAR cannot hold an address above 4 GiB. */
    w = pc_windows();
    w.mem32.base = w.mem32.next = 0x100000000ull;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 1, 0), &w), PCI_EFULL);
    /* No I/O window at all. */
    w = pc_windows();
    w.io.size = 0;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 1, 0), &w), PCI_EFULL);
    /* Exactly full: 32 ports in a 32-port window. */
    w = pc_windows();
    w.io.size = 32;
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 1, 0), &w), 2);
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 1, 0), &w), PCI_EFULL);
    /* Nothing there: all-ones header type, no BARs, no harm. */
    w = pc_windows();
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 9, 0), &w), 0);
    CHECK_EQ(w.io.next, 0xc000u);
}

/* A function answering all-ones everywhere: six 4-byte I/O BARs. */
TEST(assign_all_ones)
{
    pci_drv d = { ones_read, hostile_write, NULL };
    pci_drv_windows w = pc_windows();

    /* Header type 0xFF is type 0x7F: no BARs read at all. */
    CHECK_EQ(pci_drv_assign(&d, 0, &w), 0);
    CHECK_EQ(w.io.next, 0xc000u);
}

/* A bridge (type 1) has two BARs: a 64-bit BAR 1 would run into the bus
   numbers at 0x18, which sizing must not touch. */
static unsigned long wrote_regs; /* bit r/4: the dword at r was written */

static void noting_write(void *ctx, uint32_t bdf, uint16_t reg, unsigned width, uint32_t v)
{
    (void)ctx, (void)bdf, (void)width, (void)v;
    wrote_regs |= 1ul << (reg / 4 % 32);
}

TEST(assign_bridge)
{
    pci_drv d = { hostile_read, noting_write, NULL };
    pci_drv_windows w = pc_windows();

    memset(hostile, 0, sizeof hostile);
    hostile[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
    hostile[PCI_BAR(1)] = PCI_BAR_MEM_64;
    wrote_regs = 0;
    CHECK_EQ(pci_drv_assign(&d, 0, &w), 0);
    CHECK_EQ(wrote_regs & (1ul << (PCI_PRIMARY_BUS / 4)), 0);
    CHECK(wrote_regs & (1ul << (PCI_BAR(0) / 4))); /* BAR 0 was sized */
    CHECK_EQ(wrote_regs & (1ul << (PCI_BAR(2) / 4)), 0);
    /* A CardBus header (type 2): no BARs at all. */
    hostile[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_CARDBUS;
    wrote_regs = 0;
    CHECK_EQ(pci_drv_assign(&d, 0, &w), 0);
    CHECK_EQ(wrote_regs, 1ul << (PCI_COMMAND / 4));
}

TEST(swizzle)
{
    /* PCI-to-PCI bridge 1.2, table 9-1: device 0 maps INTA..INTD
       straight, each device number after shifts by one. */
    CHECK_EQ(pci_swizzle(0, 1), 0);
    CHECK_EQ(pci_swizzle(0, 4), 3);
    CHECK_EQ(pci_swizzle(1, 1), 1); /* device 1 INTA# -> INTB */
    CHECK_EQ(pci_swizzle(1, 4), 0); /* device 1 INTD# -> INTA */
    CHECK_EQ(pci_swizzle(3, 4), 2); /* device 3 INTD# -> INTC */
    CHECK_EQ(pci_swizzle(4, 1), 0); /* the pattern repeats every four */
    CHECK_EQ(pci_swizzle(31, 2), 0);
    CHECK(pci_swizzle(0, 0) < 4);
    CHECK(pci_swizzle(5, 200) < 4);
    CHECK(pci_swizzle(0xffffffffu, 0xffffffffu) < 4);
}

/* 03.0: a virtio-like function with a 16 KiB BAR 0 holding a table of 3
   at 0 and its PBA at 0x800, and a 64-bit BAR 2/3. */
static uint8_t msix_board(void)
{
    pci_function f;
    uint8_t cap;

    board();
    pci_function_init(&f, 0x1af4, 0x1041, 0x020000, 1);
    CHECK_EQ(pci_function_bar(&f, 0, 16384, 0), 0);
    CHECK_EQ(pci_function_bar(&f, 2, 1u << 14, PCI_BAR_MEM_64), 0);
    CHECK_EQ(pci_function_irq(&f, 1), 0);
    cap = pci_function_add_msix(&f, 3, 0, 0, 0, 0x800);
    CHECK_EQ(cap, 0x40);
    CHECK_EQ(pci_model_add(&m, PCI_DEVFN(3, 0), &f), 0);
    return cap;
}

TEST(msix_builder)
{
    pci_function f;

    msix_board();
    /* PCI 3.0, 6.8.2: ID 0x11, Message Control = N - 1, Table and PBA
       dwords offset | BIR. */
    CHECK_EQ(cfg32(0, 3, 0, 0x40), 0x00020011u);
    CHECK_EQ(cfg32(0, 3, 0, 0x44), 0x00000000u);
    CHECK_EQ(cfg32(0, 3, 0, 0x48), 0x00000800u);
    CHECK_EQ(cfg32(0, 3, 0, PCI_STATUS) >> 16 & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
    /* Enable and Function Mask are writable, the size and the BIRs not. */
    cfg_write(3, 0, 0x42, 2, 0xffff);
    CHECK_EQ(cfg32(0, 3, 0, 0x40), 0xc0020011u);
    cfg_write(3, 0, 0x44, 4, 0xffffffffu);
    cfg_write(3, 0, 0x48, 4, 0x12345678u);
    CHECK_EQ(cfg32(0, 3, 0, 0x44), 0);
    CHECK_EQ(cfg32(0, 3, 0, 0x48), 0x800u);
    cfg_write(3, 0, 0x43, 1, 0x40);
    CHECK_EQ(cfg32(0, 3, 0, 0x40), 0x40020011u);

    pci_function_init(&f, 0x1af4, 0x1041, 0x020000, 1);
    CHECK_EQ(pci_function_bar(&f, 0, 32, PCI_BAR_IO), 0);
    CHECK_EQ(pci_function_bar(&f, 1, 4096, 0), 0);
    CHECK_EQ(pci_function_bar(&f, 2, 1u << 16, PCI_BAR_MEM_64), 0);
    CHECK_EQ(pci_function_add_msix(&f, 0, 1, 0, 1, 0x800), 0);    /* no vectors */
    CHECK_EQ(pci_function_add_msix(&f, 2049, 2, 0, 2, 0x8000), 0); /* more than 2048 */
    CHECK_EQ(pci_function_add_msix(&f, 1, 0, 0, 1, 0x800), 0);    /* an I/O BAR */
    CHECK_EQ(pci_function_add_msix(&f, 1, 4, 0, 1, 0x800), 0);    /* no BAR 4 */
    CHECK_EQ(pci_function_add_msix(&f, 1, 3, 0, 1, 0x800), 0);    /* high half of 2 */
    CHECK_EQ(pci_function_add_msix(&f, 1, 6, 0, 1, 0x800), 0);    /* no BAR 6 */
    CHECK_EQ(pci_function_add_msix(&f, 1, 1, 4, 1, 0x800), 0);    /* not QWORD-aligned */
    CHECK_EQ(pci_function_add_msix(&f, 1, 1, 0, 1, 0x804), 0);
    /* 128 vectors are 2 KiB of table and 16 bytes of PBA: 4 KiB holds
       both only if they do not overlap and the PBA ends by 0x1000. */
    CHECK_EQ(pci_function_add_msix(&f, 128, 1, 0, 1, 0x7f8), 0);  /* overlaps */
    CHECK_EQ(pci_function_add_msix(&f, 128, 1, 0, 1, 0xff8), 0);  /* runs past */
    CHECK_EQ(pci_function_add_msix(&f, 257, 1, 0, 2, 0), 0);      /* 4112 bytes */
    CHECK_EQ(pci_function_add_msix(&f, 1, 1, 0xfffffff8u, 1, 0), 0);
    CHECK_EQ(f.cap_last, 0);                                      /* none was added */
    CHECK_EQ(pci_function_add_msix(&f, 128, 1, 0, 1, 0xff0), 0x40);
    CHECK_EQ(pci_function_add_msix(&f, 2048, 2, 0, 2, 0x8000), 0x4c);
    CHECK_EQ(pci__get(f.config, 0x4e, 2), 2047);
    CHECK_EQ(pci__get(f.config, 0x50, 4), 2);
    CHECK_EQ(pci__get(f.config, 0x54, 4), 0x8002u);
}

TEST(msix_driver)
{
    pci_drv d;
    pci_drv_msix x;

    pci_drv_use_ecam(&d, &ecam);
    msix_board();
    CHECK(pci_drv_msix_find(&d, PCI_BDF(0, 3, 0), &x));
    CHECK_EQ(x.cap, 0x40);
    CHECK_EQ(x.vectors, 3);
    CHECK_EQ(x.table_bar, 0);
    CHECK_EQ(x.table_off, 0);
    CHECK_EQ(x.pba_bar, 0);
    CHECK_EQ(x.pba_off, 0x800);
    /* The function mask a guest left set is cleared; INTx goes off. */
    cfg_write(3, 0, 0x42, 2, PCI_MSIX_FLAGS_MASKALL);
    cfg_write(3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_drv_msix_enable(&d, PCI_BDF(0, 3, 0), &x, true);
    CHECK_EQ(cfg32(0, 3, 0, 0x40) >> 16, 0x8002u);
    CHECK_EQ(command_of(3, 0), 0x406);
    pci_drv_msix_enable(&d, PCI_BDF(0, 3, 0), &x, false);
    CHECK_EQ(cfg32(0, 3, 0, 0x40) >> 16, 0x0002u);
    CHECK_EQ(command_of(3, 0), 0x006);
    /* No MSI-X: 01.0's capability 0x11 of zeros names BAR 0 at 0 (found),
       02.0 has none, an absent function none. */
    CHECK(pci_drv_msix_find(&d, PCI_BDF(0, 1, 0), &x));
    CHECK_EQ(x.vectors, 1);
    CHECK(!pci_drv_msix_find(&d, PCI_BDF(0, 2, 0), &x));
    CHECK_EQ(x.cap, 0);
    CHECK(!pci_drv_msix_find(&d, PCI_BDF(0, 9, 0), &x));
    /* A reserved BIR (6, 7) is refused, in either dword. */
    m.s.space[m.cfg.slot_of[PCI_DEVFN(1, 0)] - 1][cap_msix + PCI_MSIX_TABLE] = 6;
    CHECK(!pci_drv_msix_find(&d, PCI_BDF(0, 1, 0), &x));
    CHECK_EQ(x.vectors, 0);
    m.s.space[m.cfg.slot_of[PCI_DEVFN(1, 0)] - 1][cap_msix + PCI_MSIX_TABLE] = 5;
    m.s.space[m.cfg.slot_of[PCI_DEVFN(1, 0)] - 1][cap_msix + PCI_MSIX_PBA] = 0x0f;
    CHECK(!pci_drv_msix_find(&d, PCI_BDF(0, 1, 0), &x));
}

TEST(msix_entry)
{
    uint32_t table[4 * 4];

    for (unsigned i = 0; i < 16; i++)
        table[i] = 0x11111111u * i;
    table[2 * 4 + 3] = 0xabcd0001u; /* masked, steering tag bits set */
    pci_drv_msix_entry(table, 2, 0x00000001fee01000ull, 0x4041, false);
    CHECK_EQ(table[8], 0xfee01000u);
    CHECK_EQ(table[9], 1);
    CHECK_EQ(table[10], 0x4041);
    CHECK_EQ(table[11], 0xabcd0000u); /* unmasked, the rest kept */
    pci_drv_msix_entry(table, 2, 0xfee00000u, 0x30, true);
    CHECK_EQ(table[8], 0xfee00000u);
    CHECK_EQ(table[9], 0);
    CHECK_EQ(table[10], 0x30);
    CHECK_EQ(table[11], 0xabcd0001u);
    /* Its neighbours are untouched. */
    CHECK_EQ(table[7], 0x77777777u);
    CHECK_EQ(table[12], 0xccccccccu);
}

/* ---- the board's configuration hooks and INTx ---- */

/* What the hooks saw, in order: 'b' bar_changed, 'w' cfg_written, 'i'
   intx, 'r' cfg_read. */
static char seen[64];
static unsigned nseen;
static unsigned w_devfn, w_reg, w_width, r_count, r_reg;
static uint32_t r_value;
static bool r_answer;
static unsigned intx_calls, intx_devfn, intx_pin;
static bool intx_level;

static void note(char c)
{
    if (nseen < sizeof seen - 1)
        seen[nseen++] = c;
    seen[nseen] = 0;
}

static void on_bar_changed_note(void *ctx, unsigned devfn, unsigned bar)
{
    on_bar_changed(ctx, devfn, bar);
    note('b');
}

static void on_cfg_written(void *ctx, unsigned devfn, uint16_t reg, unsigned width)
{
    (void)ctx;
    note('w');
    w_devfn = devfn, w_reg = reg, w_width = width;
}

static bool on_cfg_read(void *ctx, unsigned devfn, uint16_t reg, unsigned width, uint32_t *v)
{
    (void)ctx, (void)width;
    note('r');
    r_count++;
    r_reg = reg;
    r_value = *v;
    if (r_answer && devfn == PCI_DEVFN(1, 0))
        *v = 0xdeadbeefu;
    return r_answer;
}

static void on_intx(void *ctx, unsigned devfn, unsigned pin, bool level)
{
    (void)ctx;
    note('i');
    intx_calls++;
    intx_devfn = devfn, intx_pin = pin, intx_level = level;
}

static const pci_model_hooks all_hooks = { on_bar_changed_note, on_cfg_written, on_cfg_read,
                                           on_intx, NULL };

static void hooked_board(void)
{
    board();
    m.hooks = all_hooks;
    nseen = 0, seen[0] = 0;
    intx_calls = r_count = 0;
    r_answer = false;
}

TEST(cfg_written)
{
    hooked_board();
    /* Every landed write, through either mechanism, changed or not. */
    cfg_write(1, 0, PCI_BAR(1), 4, 0xfebf0000u);
    CHECK(strcmp(seen, "bw") == 0);
    CHECK_EQ(w_devfn, PCI_DEVFN(1, 0));
    CHECK_EQ(w_reg, PCI_BAR(1));
    CHECK_EQ(w_width, 4);
    cfg_write(1, 0, PCI_BAR(1), 4, 0xfebf0000u); /* the same value */
    CHECK(strcmp(seen, "bww") == 0);
    pci_model_ecam_write(&m, PCI_ECAM_OFFSET(0, 2, 1, 0x43), 1, 7); /* read-only byte */
    CHECK_EQ(nseen, 4);
    CHECK_EQ(w_devfn, PCI_DEVFN(2, 1));
    CHECK_EQ(w_reg, 0x43);
    CHECK_EQ(w_width, 1);
    sel(0, 2, 1, 0x40);
    pci_model_write(&m, PCI_MODEL_CFC + 2, 2, 0xffff); /* 0x42 of 02.1, by lanes */
    CHECK_EQ(w_reg, 0x42);
    CHECK_EQ(w_width, 2);
    CHECK_EQ(nseen, 5);
    /* Not landed: an absent function, another bus, the extended space, a
       width or crossing refused, the enable bit clear. */
    cfg_write(9, 0, PCI_COMMAND, 2, 7);
    pci_model_ecam_write(&m, PCI_ECAM_OFFSET(1, 0, 0, 4), 2, 7);
    pci_model_ecam_write(&m, PCI_ECAM_OFFSET(0, 1, 0, 0x100), 4, 7);
    pci_model_ecam_write(&m, PCI_ECAM_OFFSET(0, 1, 0, 0x3e), 4, 7);
    pci_model_write(&m, PCI_MODEL_CF8, 4, PCI_CF8(0, 1, 0, 4) & ~PCI_CF8_ENABLE);
    pci_model_write(&m, PCI_MODEL_CFC, 2, 7);
    CHECK_EQ(nseen, 5);
    CHECK_EQ(cfg32(0, 1, 0, 4) & 0xffff, 0);
}

TEST(cfg_read)
{
    hooked_board();
    /* The hook sees what the space holds; declining leaves it. */
    CHECK_EQ(cfg32(0, 1, 0, 0), 0x10001af4u);
    CHECK_EQ(r_count, 1);
    CHECK_EQ(r_reg, 0);
    CHECK_EQ(r_value, 0x10001af4u);
    sel(0, 1, 0, 0);
    CHECK_EQ(cfc(2, 2), 0x1000);
    CHECK_EQ(r_reg, 2);
    CHECK_EQ(r_value, 0x1000);
    /* Answering substitutes, cut to the width. */
    r_answer = true;
    CHECK_EQ(cfc(1, 1), 0xef);
    CHECK_EQ(cfc(0, 2), 0xbeef);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 1, 0, 0x48), 4), 0xdeadbeefu);
    CHECK_EQ(r_reg, 0x48);
    /* Not asked: an absent function, the extended space, refused widths;
       and the board's own view calls no hook. */
    r_count = 0;
    CHECK_EQ(cfg32(0, 9, 0, 0), 0xffffffffu);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 1, 0, 0x100), 4), 0);
    CHECK_EQ(pci_model_ecam_read(&m, PCI_ECAM_OFFSET(0, 1, 0, 2), 4), 0xffffffffu);
    CHECK_EQ(pci_model_config(&m, PCI_DEVFN(1, 0), 0, 4), 0x10001af4u);
    CHECK_EQ(r_count, 0);
    CHECK_EQ(pci_model_config(&m, PCI_DEVFN(1, 0), 2, 2), 0x1000);
    CHECK_EQ(pci_model_config(&m, PCI_DEVFN(1, 0), 2, 4), 0xffffffffu);
    CHECK_EQ(pci_model_config(&m, PCI_DEVFN(1, 0), 0x100, 1), 0xff);
    CHECK_EQ(pci_model_config(&m, PCI_DEVFN(9, 0), 0, 2), 0xffff);
    CHECK_EQ(pci_model_config(&m, PCI_DEVFN(1, 0), PCI_INTERRUPT_PIN, 1), 1);
}

TEST(intx)
{
    hooked_board();
    /* 01.0 (INTA#) asserts: STATUS.INTERRUPT (bit 3 of 0x06) and the line. */
    pci_model_set_intx(&m, PCI_DEVFN(1, 0), true);
    CHECK_EQ(cfg32(0, 1, 0, 4) >> 16 & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
    CHECK_EQ(intx_calls, 1);
    CHECK_EQ(intx_devfn, PCI_DEVFN(1, 0));
    CHECK_EQ(intx_pin, 1);
    CHECK(intx_level);
    pci_model_set_intx(&m, PCI_DEVFN(1, 0), true); /* no change: no call */
    CHECK_EQ(intx_calls, 1);
    /* The guest cannot clear it: read-only, not write-1-to-clear. */
    cfg_write(1, 0, PCI_STATUS, 2, 0xffff);
    CHECK_EQ(cfg32(0, 1, 0, 4) >> 16 & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
    CHECK_EQ(intx_calls, 1);
    /* INTX_DISABLE holds the line off, the status bit stays (6.2.3). */
    nseen = 0;
    cfg_write(1, 0, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    CHECK(strcmp(seen, "biw") == 0);
    CHECK_EQ(intx_calls, 2);
    CHECK(!intx_level);
    CHECK_EQ(cfg32(0, 1, 0, 4) >> 16 & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
    cfg_write(1, 0, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_MEMORY);
    CHECK_EQ(intx_calls, 2); /* INTX_DISABLE did not toggle */
    /* Deasserted while held off: the output was low already. */
    pci_model_set_intx(&m, PCI_DEVFN(1, 0), false);
    CHECK_EQ(intx_calls, 2);
    CHECK_EQ(cfg32(0, 1, 0, 4) >> 16 & PCI_STATUS_INTERRUPT, 0);
    pci_model_set_intx(&m, PCI_DEVFN(1, 0), true);
    CHECK_EQ(intx_calls, 2);
    cfg_write(1, 0, PCI_COMMAND + 1, 1, 0); /* byte write lets it through */
    CHECK_EQ(intx_calls, 3);
    CHECK(intx_level);
    pci_model_set_intx(&m, PCI_DEVFN(1, 0), false);
    CHECK_EQ(intx_calls, 4);
    CHECK(!intx_level);
    /* 02.0 has INTB#; 02.1 no pin, an absent function nothing: ignored. */
    pci_model_set_intx(&m, PCI_DEVFN(2, 0), true);
    CHECK_EQ(intx_pin, 2);
    CHECK_EQ(intx_devfn, PCI_DEVFN(2, 0));
    CHECK_EQ(intx_calls, 5);
    pci_model_set_intx(&m, PCI_DEVFN(2, 1), true);
    pci_model_set_intx(&m, PCI_DEVFN(9, 0), true);
    pci_model_set_intx(&m, 300, true);
    CHECK_EQ(intx_calls, 5);
    CHECK_EQ(cfg32(0, 2, 1, 4) >> 16 & PCI_STATUS_INTERRUPT, 0);
    /* Reset deasserts, and tells the board of both lines. */
    intx_calls = 0;
    pci_model_reset(&m);
    CHECK_EQ(intx_calls, 2);
    CHECK(!intx_level);
    CHECK_EQ(cfg32(0, 2, 0, 4) >> 16 & PCI_STATUS_INTERRUPT, 0);
}

TEST(intx_save_restore)
{
    static uint8_t buf[sizeof(pci_state)];
    size_t status2 = offsetof(pci_state, space) + PCI_CONFIG_SIZE * 2 + PCI_STATUS;
    size_t status3 = offsetof(pci_state, space) + PCI_CONFIG_SIZE * 3 + PCI_STATUS;

    hooked_board();
    pci_model_set_intx(&m, PCI_DEVFN(2, 0), true);
    CHECK_EQ(pci_model_save(&m, buf, sizeof buf), (int64_t)sizeof buf);
    CHECK_EQ(buf[status2] & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
    pci_model_reset(&m);
    intx_calls = 0;
    CHECK_EQ(pci_model_restore(&m, buf, sizeof buf), (int64_t)sizeof buf);
    CHECK_EQ(intx_calls, 2); /* 01.0 low, then 02.0 high */
    CHECK_EQ(intx_devfn, PCI_DEVFN(2, 0));
    CHECK(intx_level);
    CHECK_EQ(cfg32(0, 2, 0, 4) >> 16 & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
    /* A function with no pin cannot have it set. */
    buf[status3] |= PCI_STATUS_INTERRUPT;
    intx_calls = 0;
    CHECK_EQ(pci_model_restore(&m, buf, sizeof buf), -1);
    CHECK_EQ(intx_calls, 0);
    /* Held off by INTX_DISABLE in the snapshot: restored low, status kept. */
    buf[status3] &= (uint8_t)~PCI_STATUS_INTERRUPT;
    buf[offsetof(pci_state, space) + PCI_CONFIG_SIZE * 2 + PCI_COMMAND + 1] = 0x04;
    CHECK_EQ(pci_model_restore(&m, buf, sizeof buf), (int64_t)sizeof buf);
    CHECK(!intx_level);
    pci_model_write(&m, PCI_MODEL_CF8, 4, PCI_CF8(0, 2, 0, PCI_COMMAND));
    pci_model_write(&m, PCI_MODEL_CFC + 1, 1, 0);
    CHECK(intx_level);
}

/* ---- the MSI-X table and PBA ---- */

static pci_msix mx;
static uint64_t msi_addr[16];
static uint32_t msi_data[16];
static unsigned nmsi;

static void on_msi(void *ctx, uint64_t address, uint32_t data)
{
    (void)ctx;
    if (nmsi < 16)
        msi_addr[nmsi] = address, msi_data[nmsi] = data;
    nmsi++;
}

static const pci_msix_hooks msix_hooks = { on_msi, NULL };

/* Entry `v` as a driver writes it: address, data, then vector control. */
static void entry(unsigned v, uint64_t addr, uint32_t data, bool masked)
{
    uint64_t e = (uint64_t)v * PCI_MSIX_ENTRY_SIZE;

    pci_msix_write(&mx, e + PCI_MSIX_ENTRY_ADDR_LO, 4, (uint32_t)addr);
    pci_msix_write(&mx, e + PCI_MSIX_ENTRY_ADDR_HI, 4, (uint32_t)(addr >> 32));
    pci_msix_write(&mx, e + PCI_MSIX_ENTRY_DATA, 4, data);
    pci_msix_write(&mx, e + PCI_MSIX_ENTRY_CTRL, 4, masked);
}

static void msix_fresh(unsigned vectors)
{
    CHECK_EQ(pci_msix_init(&mx, vectors, &msix_hooks), 0);
    nmsi = 0;
}

TEST(msix_reset_state)
{
    msix_fresh(3);
    CHECK_EQ(mx.s.version, PCI_MSIX_STATE_VERSION);
    CHECK_EQ(mx.cfg.pba_offset, 48);
    /* Every entry masked, address and data 0 (PCIe 6.0, 7.7.2). */
    for (unsigned v = 0; v < 3; v++) {
        CHECK_EQ(pci_msix_read(&mx, 16 * v, 8), 0);
        CHECK_EQ(pci_msix_read(&mx, 16 * v + 8, 4), 0);
        CHECK_EQ(pci_msix_read(&mx, 16 * v + 12, 4), 1);
    }
    CHECK_EQ(pci_msix_read(&mx, 48, 8), 0);
    CHECK(!pci_msix_enabled(&mx));
    /* After use, reset masks again and clears what was pending. */
    entry(1, 0xfee00000u, 0x41, false);
    pci_msix_control(&mx, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    pci_msix_signal(&mx, 1);
    CHECK(pci_msix_pending(&mx, 1));
    mx.stats.pended = 7;
    pci_msix_reset(&mx);
    CHECK(!pci_msix_pending(&mx, 1));
    CHECK(!pci_msix_enabled(&mx));
    CHECK_EQ(pci_msix_read(&mx, 16 + 12, 4), 1);
    CHECK_EQ(pci_msix_read(&mx, 16, 4), 0);
    CHECK_EQ(mx.stats.pended, 7); /* kept */
    /* Sizes init refuses: a table with nothing in it. */
    CHECK_EQ(pci_msix_init(&mx, 0, NULL), PCI_EINVAL);
    CHECK_EQ(pci_msix_init(&mx, PCI_MSIX_VECTORS + 1, NULL), PCI_EINVAL);
    CHECK_EQ(mx.cfg.vectors, 0);
    CHECK_EQ(pci_msix_read(&mx, 0, 4), 0xffffffffu);
    pci_msix_signal(&mx, 0);
    CHECK_EQ(mx.stats.unknown_vector, 1);
    CHECK_EQ(pci_msix_init(&mx, PCI_MSIX_VECTORS, NULL), 0);
    CHECK_EQ(pci_msix_read(&mx, 16 * (PCI_MSIX_VECTORS - 1) + 12, 4), 1);
}

TEST(msix_widths)
{
    msix_fresh(3);
    entry(0, 0x12345678fee01004ull, 0xabcd, false);
    /* Dwords and qwords, aligned; the pair and the data/control halves. */
    CHECK_EQ(pci_msix_read(&mx, 0, 4), 0xfee01004u);
    CHECK_EQ(pci_msix_read(&mx, 4, 4), 0x12345678u);
    CHECK_EQ(pci_msix_read(&mx, 0, 8), 0x12345678fee01004ull);
    CHECK_EQ(pci_msix_read(&mx, 8, 8), 0xabcd);
    /* Bytes, words, unaligned dwords, a qword at +4: all-ones, ignored. */
    mx.stats.bad_access = 0;
    CHECK_EQ(pci_msix_read(&mx, 0, 1), 0xff);
    CHECK_EQ(pci_msix_read(&mx, 0, 2), 0xffff);
    CHECK_EQ(pci_msix_read(&mx, 2, 4), 0xffffffffu);
    CHECK_EQ(pci_msix_read(&mx, 4, 8), UINT64_MAX);
    CHECK_EQ(pci_msix_read(&mx, 0, 3), 0xffffff);
    pci_msix_write(&mx, 0, 1, 0);
    pci_msix_write(&mx, 0, 2, 0);
    pci_msix_write(&mx, 2, 4, 0);
    pci_msix_write(&mx, 4, 8, 0);
    CHECK_EQ(pci_msix_read(&mx, 0, 8), 0x12345678fee01004ull);
    CHECK_EQ(mx.stats.bad_access, 9);
    /* Address bits 1:0 and vector control bits 31:1 are read-only 0. */
    pci_msix_write(&mx, 0, 4, 0xffffffffu);
    CHECK_EQ(pci_msix_read(&mx, 0, 4), 0xfffffffcu);
    pci_msix_write(&mx, 12, 4, 0xfffffffeu);
    CHECK_EQ(pci_msix_read(&mx, 12, 4), 0);
    /* A qword write of the pair. */
    pci_msix_write(&mx, 16, 8, 0x00000001fee02000ull);
    CHECK_EQ(pci_msix_read(&mx, 16, 4), 0xfee02000u);
    CHECK_EQ(pci_msix_read(&mx, 20, 4), 1);
    /* The PBA: 8 bytes for 3 vectors, read-only; beyond it, nothing. */
    mx.stats.bad_access = 0;
    pci_msix_write(&mx, 48, 8, UINT64_MAX);
    pci_msix_write(&mx, 48, 4, 1);
    CHECK_EQ(pci_msix_read(&mx, 48, 8), 0);
    CHECK_EQ(pci_msix_read(&mx, 52, 4), 0);
    CHECK_EQ(pci_msix_read(&mx, 56, 4), 0xffffffffu);
    CHECK_EQ(pci_msix_read(&mx, UINT64_MAX - 7, 8), UINT64_MAX);
    pci_msix_write(&mx, 56, 4, 1);
    CHECK_EQ(mx.stats.bad_access, 5);
    /* A PBA the board placed elsewhere: 0x30 is a hole, 0x800 the PBA. */
    mx.cfg.pba_offset = 0x800;
    CHECK_EQ(pci_msix_read(&mx, 48, 4), 0xffffffffu);
    CHECK_EQ(pci_msix_read(&mx, 0x800, 8), 0);
    CHECK_EQ(pci_msix_read(&mx, 0x808, 4), 0xffffffffu);
    mx.cfg.pba_offset = 0x804; /* not QWORD-aligned: never decoded */
    CHECK_EQ(pci_msix_read(&mx, 0x804, 4), 0xffffffffu);
    mx.cfg.vectors = PCI_MSIX_VECTORS + 100; /* a board's mistake stays in bounds */
    CHECK_EQ(pci_msix_read(&mx, 16 * PCI_MSIX_VECTORS, 4), 0xffffffffu);
    pci_msix_signal(&mx, PCI_MSIX_VECTORS);
    CHECK(!pci_msix_pending(&mx, PCI_MSIX_VECTORS));
}

TEST(msix_signal)
{
    msix_fresh(3);
    entry(0, 0xfee00000u, 0x30, false);
    entry(1, 0x1fee01000ull, 0x31, true);
    /* MSI-X off: nothing sent, nothing pending. */
    pci_msix_signal(&mx, 0);
    CHECK_EQ(nmsi, 0);
    CHECK_EQ(mx.stats.disabled, 1);
    CHECK(!pci_msix_pending(&mx, 0));
    pci_msix_control(&mx, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_QSIZE);
    CHECK(pci_msix_enabled(&mx));
    CHECK_EQ(mx.s.control, PCI_MSIX_FLAGS_ENABLE); /* the size is not kept */
    /* Unmasked: its message. */
    pci_msix_signal(&mx, 0);
    CHECK_EQ(nmsi, 1);
    CHECK_EQ(msi_addr[0], 0xfee00000u);
    CHECK_EQ(msi_data[0], 0x30);
    /* Masked: pending (PBA bit 1), twice is still once. */
    pci_msix_signal(&mx, 1);
    pci_msix_signal(&mx, 1);
    CHECK_EQ(nmsi, 1);
    CHECK(pci_msix_pending(&mx, 1));
    CHECK_EQ(pci_msix_read(&mx, 48, 4), 2);
    CHECK_EQ(mx.stats.pended, 2);
    /* Changing its data while masked, then unmasking: one message, with
       the new data, and the bit clear. */
    pci_msix_write(&mx, 16 + 8, 4, 0x99);
    CHECK_EQ(nmsi, 1);
    pci_msix_write(&mx, 16 + 12, 4, 0);
    CHECK_EQ(nmsi, 2);
    CHECK_EQ(msi_addr[1], 0x1fee01000ull);
    CHECK_EQ(msi_data[1], 0x99);
    CHECK(!pci_msix_pending(&mx, 1));
    CHECK_EQ(pci_msix_read(&mx, 48, 4), 0);
    /* A vector past the table: counted, nothing else. */
    pci_msix_signal(&mx, 3);
    pci_msix_signal(&mx, 0xffffffffu);
    CHECK_EQ(mx.stats.unknown_vector, 2);
    CHECK_EQ(nmsi, 2);
    CHECK(!pci_msix_pending(&mx, 3));
    CHECK_EQ(mx.stats.delivered, 2);
    /* Unmasking a vector with nothing pending sends nothing. */
    pci_msix_write(&mx, 32 + 12, 4, 0);
    CHECK_EQ(nmsi, 2);
}

TEST(msix_function_mask)
{
    msix_fresh(3);
    entry(0, 0xfee00000u, 0x40, false);
    entry(1, 0xfee00000u, 0x41, false);
    entry(2, 0xfee00000u, 0x42, true);
    pci_msix_control(&mx, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    CHECK(pci_msix_enabled(&mx)); /* on, though masked */
    pci_msix_signal(&mx, 2);
    pci_msix_signal(&mx, 1);
    pci_msix_signal(&mx, 0);
    CHECK_EQ(nmsi, 0);
    CHECK_EQ(pci_msix_read(&mx, 48, 8), 7);
    /* Unmasking one entry under the function mask sends nothing. */
    pci_msix_write(&mx, 32 + 12, 4, 0);
    CHECK_EQ(nmsi, 0);
    pci_msix_write(&mx, 32 + 12, 4, 1);
    /* Function unmasked: the unmasked pending vectors, lowest first; 2
       stays pending behind its own mask. */
    pci_msix_control(&mx, PCI_MSIX_FLAGS_ENABLE);
    CHECK_EQ(nmsi, 2);
    CHECK_EQ(msi_data[0], 0x40);
    CHECK_EQ(msi_data[1], 0x41);
    CHECK_EQ(pci_msix_read(&mx, 48, 8), 4);
    /* Off with 2 pending: kept, and sent when it may be. */
    pci_msix_control(&mx, 0);
    pci_msix_write(&mx, 32 + 12, 4, 0);
    CHECK_EQ(nmsi, 2);
    CHECK(pci_msix_pending(&mx, 2));
    pci_msix_control(&mx, PCI_MSIX_FLAGS_ENABLE);
    CHECK_EQ(nmsi, 3);
    CHECK_EQ(msi_data[2], 0x42);
    CHECK(!pci_msix_pending(&mx, 2));
    /* A qword write of data and control at +8 unmasks with the new data. */
    pci_msix_write(&mx, 12, 4, 1);
    pci_msix_signal(&mx, 0);
    pci_msix_write(&mx, 8, 8, 0x77);
    CHECK_EQ(nmsi, 4);
    CHECK_EQ(msi_data[3], 0x77);
}

/* Vectors past 64 live in the PBA's second qword. */
TEST(msix_many)
{
    unsigned v = PCI_MSIX_VECTORS - 1;

    msix_fresh(PCI_MSIX_VECTORS);
    CHECK_EQ(mx.cfg.pba_offset, 16u * PCI_MSIX_VECTORS);
    pci_msix_control(&mx, PCI_MSIX_FLAGS_ENABLE);
    entry(v, 0xfee00000u, 0x55, true);
    pci_msix_signal(&mx, v);
    CHECK_EQ(pci_msix_read(&mx, mx.cfg.pba_offset + 8 * (v / 64), 8), 1ull << (v % 64));
    CHECK_EQ(pci_msix_read(&mx, mx.cfg.pba_offset + 8 * (v / 64) + 4, 4),
             (uint32_t)((1ull << (v % 64)) >> 32));
    pci_msix_write(&mx, 16ull * v + 12, 4, 0);
    CHECK_EQ(nmsi, 1);
    CHECK_EQ(msi_data[0], 0x55);
}

TEST(msix_save_restore)
{
    static uint8_t buf[sizeof(pci_msix_state) + 1];
    static uint8_t bad[sizeof(pci_msix_state)];
    uint8_t *b = buf + 1; /* unaligned */
    size_t t = offsetof(pci_msix_state, table), pba = offsetof(pci_msix_state, pba);
    const int64_t n = (int64_t)sizeof(pci_msix_state);

    msix_fresh(3);
    entry(1, 0x1fee01000ull, 0x31, true);
    entry(2, 0xfee02000u, 0x32, false);
    pci_msix_control(&mx, PCI_MSIX_FLAGS_ENABLE);
    pci_msix_signal(&mx, 1);
    CHECK_EQ(pci_msix_save(&mx, b, sizeof(pci_msix_state) - 1), -1);
    CHECK_EQ(pci_msix_save(&mx, b, sizeof(pci_msix_state)), n);
    pci_msix_reset(&mx);
    CHECK_EQ(pci_msix_restore(&mx, b, sizeof(pci_msix_state) + 1), -1);
    CHECK(!pci_msix_enabled(&mx));
    CHECK_EQ(pci_msix_restore(&mx, b, sizeof(pci_msix_state)), n);
    CHECK_EQ(nmsi, 0); /* nothing was due */
    CHECK(pci_msix_enabled(&mx));
    CHECK(pci_msix_pending(&mx, 1));
    CHECK_EQ(pci_msix_read(&mx, 16, 8), 0x1fee01000ull);
    pci_msix_write(&mx, 16 + 12, 4, 0);
    CHECK_EQ(nmsi, 1);
    CHECK_EQ(msi_data[0], 0x31);

    /* Refusals, each changing nothing. */
    pci_msix_reset(&mx);
#define BAD_AT(off, val) (memcpy(bad, b, sizeof bad), bad[off] = (uint8_t)(val), \
                          pci_msix_restore(&mx, bad, sizeof bad))
    CHECK_EQ(BAD_AT(offsetof(pci_msix_state, version), 2), -1);
    CHECK_EQ(BAD_AT(offsetof(pci_msix_state, control), 1), -1);      /* QSIZE is not state */
    CHECK_EQ(BAD_AT(offsetof(pci_msix_state, control) + 1, 0x20), -1);
    CHECK_EQ(BAD_AT(t + 16 + PCI_MSIX_ENTRY_ADDR_LO, 2), -1);        /* address bit 1 */
    CHECK_EQ(BAD_AT(t + 16 + PCI_MSIX_ENTRY_CTRL + 2, 1), -1);       /* reserved control bit */
    CHECK_EQ(BAD_AT(t + 48 + PCI_MSIX_ENTRY_DATA, 1), -1);           /* an entry past 3 */
    CHECK_EQ(BAD_AT(pba, 0x0a), -1);                                 /* bit 3: past the table */
    CHECK_EQ(BAD_AT(pba, 0x06), -1);                                 /* 2 pending, unmasked */
    CHECK(!pci_msix_enabled(&mx));
    CHECK_EQ(pci_msix_read(&mx, 16, 4), 0);
    /* Accepted: 1 and 2 pending under the function mask, then sent as
       the mask lifts, 2 only (1 keeps its own mask). */
    memcpy(bad, b, sizeof bad);
    bad[offsetof(pci_msix_state, control) + 1] = 0xc0;
    bad[pba] = 0x06;
    CHECK_EQ(pci_msix_restore(&mx, bad, sizeof bad), n);
    CHECK_EQ(nmsi, 1);
    pci_msix_control(&mx, PCI_MSIX_FLAGS_ENABLE);
    CHECK_EQ(nmsi, 2);
    CHECK_EQ(msi_data[1], 0x32);
    CHECK(pci_msix_pending(&mx, 1));
    /* And with MSI-X off. */
    bad[offsetof(pci_msix_state, control) + 1] = 0;
    CHECK_EQ(pci_msix_restore(&mx, bad, sizeof bad), n);
#undef BAD_AT
}

/* ---- a board with an MSI-X function, driven by the driver ---- */

static uint8_t board_cap;

//! [pci-board-msix]
/* The board's side of MSI-X: the capability's control word, whenever a
   write touches it, goes to the table. */
static void board_cfg_written(void *ctx, unsigned devfn, uint16_t reg, unsigned width)
{
    unsigned ctl = (unsigned)board_cap + PCI_MSIX_FLAGS;

    (void)ctx;
    if (devfn == PCI_DEVFN(3, 0) && reg < ctl + 2 && reg + width > ctl)
        pci_msix_control(&mx, (uint16_t)pci_model_config(&m, devfn, (uint16_t)ctl, 2));
}
//! [pci-board-msix]

/* Guest MMIO: BAR 0 of 03.0, where it decodes, is the table and PBA. */
static void bar_write(uint64_t addr, unsigned width, uint64_t v)
{
    uint64_t base, size;

    if (pci_model_bar(&m, PCI_DEVFN(3, 0), 0, &base, &size) && addr >= base &&
        addr - base < size)
        pci_msix_write(&mx, addr - base, width, v);
}

static uint64_t bar_read(uint64_t addr, unsigned width)
{
    uint64_t base, size;

    if (pci_model_bar(&m, PCI_DEVFN(3, 0), 0, &base, &size) && addr >= base &&
        addr - base < size)
        return pci_msix_read(&mx, addr - base, width);
    return UINT64_MAX >> (64 - 8 * width);
}

TEST(msix_board)
{
    static const pci_model_hooks bh = { NULL, board_cfg_written, NULL, on_intx, NULL };
    pci_drv d;
    pci_drv_msix x;
    pci_drv_windows w = pc_windows();
    uint64_t t;

    pci_drv_use_cam1(&d, &cam1);
    board_cap = msix_board();
    m.hooks = bh;
    msix_fresh(3);
    mx.cfg.pba_offset = 0x800; /* as the capability says: one range, BAR 0 */
    CHECK_EQ(pci_drv_assign(&d, PCI_BDF(0, 3, 0), &w), 2);
    CHECK(pci_drv_msix_find(&d, PCI_BDF(0, 3, 0), &x));
    t = (cfg32(0, 3, 0, PCI_BAR(0)) & PCI_BAR_MEM_MASK) + x.table_off;
    CHECK_EQ(t, 0xfe000000u);
    /* The driver's table writes, at the BAR the driver assigned. */
    for (unsigned v = 0; v < x.vectors; v++) {
        bar_write(t + 16 * v, 4, 0xfee00000u | v << 12);
        bar_write(t + 16 * v + 8, 4, 0x40 + v);
        bar_write(t + 16 * v + 12, 4, 0);
    }
    CHECK_EQ(bar_read(t + 16 + 12, 4), 0);
    /* The device signals before the driver enables: nothing. Then on. */
    pci_msix_signal(&mx, 1);
    CHECK_EQ(nmsi, 0);
    intx_calls = 0;
    pci_drv_msix_enable(&d, PCI_BDF(0, 3, 0), &x, true);
    CHECK(pci_msix_enabled(&mx));
    /* The device logic asserts INTx# too: INTX_DISABLE keeps it off. */
    pci_model_set_intx(&m, PCI_DEVFN(3, 0), true);
    CHECK_EQ(intx_calls, 0);
    pci_msix_signal(&mx, 2);
    CHECK_EQ(nmsi, 1);
    CHECK_EQ(msi_addr[0], 0xfee02000u);
    CHECK_EQ(msi_data[0], 0x42);
    /* The guest masks the function through config space: pending, then
       sent when it lifts the mask. */
    cfg_write(3, 0, board_cap + 3, 1, (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8);
    pci_msix_signal(&mx, 0);
    CHECK_EQ(bar_read(t + x.pba_off, 8), 1);
    CHECK_EQ(nmsi, 1);
    cfg_write(3, 0, board_cap + 2, 2, PCI_MSIX_FLAGS_ENABLE);
    CHECK_EQ(nmsi, 2);
    CHECK_EQ(msi_data[1], 0x40);
    /* Off: INTx# comes back, the level the device held. */
    pci_drv_msix_enable(&d, PCI_BDF(0, 3, 0), &x, false);
    CHECK(!pci_msix_enabled(&mx));
    CHECK_EQ(intx_calls, 1);
    CHECK(intx_level);
    CHECK_EQ(intx_pin, 1);
    /* Decoding off: the BAR no longer reaches the table. */
    cfg_write(3, 0, PCI_COMMAND, 2, 0);
    CHECK_EQ(bar_read(t, 4), 0xffffffffu);
}

/* Random guest accesses and device signals: every state the table passes
   through is one restore accepts, and no more messages go out than the
   signals asked for. */
TEST(msix_random)
{
    static pci_msix other;
    static uint8_t buf[sizeof(pci_msix_state)];
    unsigned long signals = 0;
    bool ok = true;

    msix_fresh(5);
    pci_msix_init(&other, 5, NULL);
    for (unsigned i = 0; i < 200000; i++) {
        uint64_t r = next_rand(), v = next_rand();
        unsigned width = 1u << ((r >> 2) & 3);
        uint64_t off = (r >> 8) & 0x7f;

        switch (r & 3) {
        case 0: (void)pci_msix_read(&mx, off, width); break;
        case 1: pci_msix_write(&mx, off, width, v); break;
        case 2: pci_msix_control(&mx, (uint16_t)v); break;
        default:
            pci_msix_signal(&mx, (unsigned)(v % 7));
            signals++;
        }
        if (i % 1000 == 0) {
            ok &= pci_msix_save(&mx, buf, sizeof buf) == (int64_t)sizeof buf;
            ok &= pci_msix_restore(&other, buf, sizeof buf) == (int64_t)sizeof buf;
        }
    }
    CHECK(ok);
    CHECK(mx.stats.delivered <= signals);
    CHECK(mx.stats.delivered > 0);
    CHECK(mx.stats.pended > 0);
    CHECK(mx.stats.unknown_vector > 0);
    CHECK_EQ(mx.stats.delivered, nmsi);
}

/* The model has the chipset's handler types. */
TEST(chipset_types)
{
    chipset_read_fn *r = pci_model_read, *er = pci_model_ecam_read;
    chipset_write_fn *w = pci_model_write, *ew = pci_model_ecam_write;

    board();
    w(&m, 0, 4, PCI_CF8(0, 0, 0, 0));
    CHECK_EQ(r(&m, 4, 2), 0x8086);
    ew(&m, PCI_ECAM_OFFSET(0, 1, 0, PCI_INTERRUPT_LINE), 1, 11);
    CHECK_EQ(er(&m, PCI_ECAM_OFFSET(0, 1, 0, PCI_INTERRUPT_LINE), 1), 11);
    /* So has the MSI-X table: a chipset range maps straight onto it. */
    {
        chipset_ops ops = { pci_msix_read, pci_msix_write, pci_msix_read, pci_msix_write,
                            0, 0, 0, pci_msix_reset, pci_msix_save, pci_msix_restore };

        msix_fresh(2);
        ops.mmio_write(&mx, 16 + 8, 4, 0x1234);
        CHECK_EQ(ops.mmio_read(&mx, 16 + 8, 4), 0x1234);
        ops.reset(&mx);
        CHECK_EQ(ops.mmio_read(&mx, 16 + 8, 4), 0);
    }
}

CHECK_MAIN(TEST_ENTRY(layout), TEST_ENTRY(host_bridge), TEST_ENTRY(byte_lanes),
           TEST_ENTRY(config_address_width), TEST_ENTRY(enable_bit), TEST_ENTRY(absent),
           TEST_ENTRY(bar_sizing), TEST_ENTRY(model_bar), TEST_ENTRY(bar_changed_64bit),
           TEST_ENTRY(status_w1c),
           TEST_ENTRY(read_only), TEST_ENTRY(builders), TEST_ENTRY(reset_and_init),
           TEST_ENTRY(save_restore), TEST_ENTRY(cap_walk_hostile), TEST_ENTRY(driver_on_nothing),
           TEST_ENTRY(random_accesses), TEST_ENTRY(end_to_end_cam1), TEST_ENTRY(end_to_end_ecam),
           TEST_ENTRY(assign), TEST_ENTRY(assign_lying_bar), TEST_ENTRY(assign_alignment), TEST_ENTRY(assign_full),
           TEST_ENTRY(assign_all_ones), TEST_ENTRY(assign_bridge), TEST_ENTRY(swizzle),
           TEST_ENTRY(msix_builder), TEST_ENTRY(msix_driver), TEST_ENTRY(msix_entry),
           TEST_ENTRY(cfg_written), TEST_ENTRY(cfg_read), TEST_ENTRY(intx),
           TEST_ENTRY(intx_save_restore), TEST_ENTRY(msix_reset_state), TEST_ENTRY(msix_widths),
           TEST_ENTRY(msix_signal), TEST_ENTRY(msix_function_mask), TEST_ENTRY(msix_many),
           TEST_ENTRY(msix_save_restore), TEST_ENTRY(msix_board), TEST_ENTRY(msix_random),
           TEST_ENTRY(chipset_types))
