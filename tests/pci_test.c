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

static const pci_model_hooks hooks = { on_bar_changed, NULL };

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
}

CHECK_MAIN(TEST_ENTRY(layout), TEST_ENTRY(host_bridge), TEST_ENTRY(byte_lanes),
           TEST_ENTRY(config_address_width), TEST_ENTRY(enable_bit), TEST_ENTRY(absent),
           TEST_ENTRY(bar_sizing), TEST_ENTRY(model_bar), TEST_ENTRY(status_w1c),
           TEST_ENTRY(read_only), TEST_ENTRY(builders), TEST_ENTRY(reset_and_init),
           TEST_ENTRY(save_restore), TEST_ENTRY(cap_walk_hostile), TEST_ENTRY(driver_on_nothing),
           TEST_ENTRY(random_accesses), TEST_ENTRY(end_to_end_cam1), TEST_ENTRY(end_to_end_ecam),
           TEST_ENTRY(chipset_types))
