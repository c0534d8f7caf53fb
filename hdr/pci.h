/* pci.h - PCI configuration space: one layout, a driver and a host-bridge
   model.

   WHAT IT IS
   Every PCI function has 256 bytes of configuration space (4096 on PCI
   Express): who it is, what it decodes, where its registers live, which
   interrupt pin it drives and a linked list of capabilities. This header
   holds both roles that meet at that space:
     - the driver (pci_drv_*), which a kernel uses to read and write
       configuration space through an access hook (mechanism #1 ports or an
       ECAM window), scan the buses, size and assign BARs, walk capability
       lists and program MSI-X;
     - the device model (pci_model_*), a host bridge with bus 0 behind it,
       which a monitor gives its guest, with the model contract of
       book/chipset.md, "The shape of a device model", builder calls
       (pci_function_*) for the type-0 functions on that bus, and their
       INTx# outputs; and the MSI-X table and PBA of one function
       (pci_msix_*), a small model of its own that the board maps where
       the function's BAR puts it.
   They share the offsets and bits below, so the driver is run on the host
   straight against the model (that is how the tests check both).

   HARDWARE
   PCI Local Bus Specification 3.0: 6.1 (the type-0 header), 6.2.2 and
   6.2.3 (command and status; status error bits are write 1 to clear),
   6.2.5.1 (BARs: write all-ones, read back, the low bits say the kind),
   6.7 and appendix H (capability list and IDs), 6.8.2 (MSI-X: the
   capability and the table), 6.8.3 (masking and the pending bits),
   2.2.6 and 6.2.2-6.2.3 (INTx#, INTX_DISABLE and STATUS.INTERRUPT),
   3.2.2.3.2 (configuration mechanism #1: CONFIG_ADDRESS at 0xCF8, 32-bit
   accesses only, CONFIG_DATA at 0xCFC-0xCFF). PCI-to-PCI Bridge
   Architecture 1.2, 3.2 (the type-1 header: primary, secondary,
   subordinate bus) and table 9-1 (the INTx swizzle). PCI Express Base
   6.0, 7.2.2 (ECAM: bus << 20 | device << 15 | function << 12 |
   register), 7.6.3 (an empty extended capability list reads 0 at
   0x100), 6.1.4 and 7.7.2 (MSI-X: aligned dword and qword accesses only,
   entries masked at reset). The host bridge answers as QEMU's q35 MCH
   does (Intel 82G33/ICH9: vendor 0x8086, device 0x29c0, class 0x060000).

   What the model leaves out: buses other than 0 (no bridges behind it),
   expansion ROMs (0x30 reads 0), MSI (the 0x05 capability: MSI-X only),
   INTx routing (each function's output goes to the board, which swizzles
   and shares lines), and device logic behind the capabilities (their
   bytes are the builder's; the board reacts to writes through hooks).

   BOOK
   book/pci.md.

   USAGE
   In exactly one C file:
       #define PCI_IMPLEMENTATION
       #include "pci.h"
   Model, in a monitor:
       static pci_model m;                  // big: 256-byte spaces and masks
       pci_model_hooks h = { remap_bars, cfg_written, NULL, route_intx, ctx };
       pci_model_init(&m, &h);              // the host bridge at 00.0
       pci_function f;
       pci_function_init(&f, 0x1af4, 0x1000, 0x020000, 0);
       pci_function_bar(&f, 0, 4096, 0);    // 4 KiB of 32-bit MMIO
       pci_function_irq(&f, 1);             // INTA#
       cap = pci_function_add_msix(&f, 3, 0, 0, 0, 0x800); // table, PBA in BAR 0
       pci_model_add(&m, PCI_DEVFN(3, 0), &f);
       // ports 0xCF8-0xCFF: pci_model_read/write, offset = port - 0xCF8
       // an MMIO window: pci_model_ecam_read/write, offset from its base
       pci_model_set_intx(&m, PCI_DEVFN(3, 0), true); // device logic
       static pci_msix x;                   // BAR 0 from its base: pci_msix_read/write
       pci_msix_init(&x, 3, &msi_hooks);
       x.cfg.pba_offset = 0x800;
       // in cfg_written, for a write over cap + 2: pci_msix_control(&x, word)
       pci_msix_signal(&x, 1);              // device logic, MSI-X on
   Driver, given port I/O:
       pci_drv_cam1 c = { my_in, my_out, my_ctx };
       pci_drv d;
       pci_drv_use_cam1(&d, &c);
       pci_drv_scan(&d, found, found_ctx);  // found(ctx, bdf, ...) each
       pci_drv_bar_size(&d, bdf, 0, &base, &size, &flags);
       uint8_t msi = pci_drv_find_cap(&d, bdf, PCI_CAP_ID_MSI, 0);
       pci_drv_windows w = { { 0xc000, 0x4000, 0xc000 }, ... };
       pci_drv_assign(&d, bdf, &w);         // every BAR placed, decoding on
       line = gsi_of[pci_swizzle(PCI_BDF_DEV(bdf), pin)];
       pci_drv_msix x;
       if (pci_drv_msix_find(&d, bdf, &x)) {  // map BAR x.table_bar, then
           pci_drv_msix_entry(table, 0, 0xfee00000, vector, false);
           pci_drv_msix_enable(&d, bdf, &x, true);
       }

   OVERRIDABLE MACROS (define before the include)
     PCI_DEF          linkage of public functions   (default: extern)
     PCI_STATIC       define it to make every public function static
     PCI_ASSERT       assertion for the model's internal invariants: a slot
                      found through the devfn map is one the table holds,
                      an access the model decoded stays inside one dword of
                      the 256-byte space, an MSI-X message goes out only
                      for a vector of the table that is unmasked (default:
                      none). Never called on guest input, which is handled.
     PCI_MODEL_FUNCS  functions the model's bus 0 holds, host bridge
                      included (default 32; 1 to 255)
     PCI_MSIX_VECTORS vectors a pci_msix holds at most (default 64; 1 to
                      2048): its state is 16 bytes a vector

   LICENSE at the end of the file.
*/
#ifndef PCI_H
#define PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under PCI_STATIC. */
#ifndef PCI_DEF
#ifdef PCI_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define PCI_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define PCI_DEF static
#endif
#else
#define PCI_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file pci.h
    @brief PCI configuration space: layout, driver and host-bridge model.
    See @ref pci.

    Tests: tests/pci_test.c. Used alone: book/alone/pci.c, shown in the
    chapter's appendix. */

//! [pci-header]
/* The configuration header (PCI 3.0, 6.1): offsets common to every header
   type, then the type-0 (endpoint) fields. */
#define PCI_VENDOR_ID        0x00u /**< 16 bits; 0xFFFF: no function here */
#define PCI_DEVICE_ID        0x02u /**< 16 bits */
#define PCI_COMMAND          0x04u /**< 16 bits: what the function may do */
#define PCI_STATUS           0x06u /**< 16 bits: error bits write 1 to clear */
#define PCI_REVISION_ID      0x08u /**< 8 bits */
#define PCI_CLASS_PROG       0x09u /**< 8 bits: programming interface */
#define PCI_CLASS_DEVICE     0x0au /**< 16 bits: sub-class, then base class */
#define PCI_CACHE_LINE_SIZE  0x0cu /**< 8 bits, in dwords */
#define PCI_LATENCY_TIMER    0x0du /**< 8 bits */
#define PCI_HEADER_TYPE      0x0eu /**< 8 bits: layout, bit 7 multi-function */
#define PCI_BIST             0x0fu /**< 8 bits: built-in self test */
#define PCI_BAR0             0x10u /**< the first of six 32-bit BARs */
/** Offset of BAR `n` (0..5 in a type-0 header, 0..1 in a type-1). */
#define PCI_BAR(n)           (0x10u + 4u * (unsigned)(n))
#define PCI_BAR_COUNT        6u    /**< BARs in a type-0 header */
#define PCI_SUBSYSTEM_VENDOR_ID 0x2cu /**< 16 bits */
#define PCI_SUBSYSTEM_ID     0x2eu /**< 16 bits */
#define PCI_ROM_ADDRESS      0x30u /**< 32 bits: expansion ROM BAR */
#define PCI_CAPABILITY_LIST  0x34u /**< 8 bits: offset of the first capability */
#define PCI_INTERRUPT_LINE   0x3cu /**< 8 bits: read/write, for software */
#define PCI_INTERRUPT_PIN    0x3du /**< 8 bits: 0 none, 1..4 INTA#..INTD# */
#define PCI_MIN_GNT          0x3eu /**< 8 bits */
#define PCI_MAX_LAT          0x3fu /**< 8 bits */
#define PCI_HEADER_END       0x40u /**< capabilities live from here up */
#define PCI_CONFIG_SIZE      256u  /**< conventional PCI configuration space */
#define PCI_EXT_CONFIG_SIZE  4096u /**< PCI Express configuration space */

/* The type-1 header (PCI-to-PCI bridge 1.2, 3.2): the bus numbers. */
#define PCI_PRIMARY_BUS      0x18u /**< 8 bits: the bus the bridge sits on */
#define PCI_SECONDARY_BUS    0x19u /**< 8 bits: the bus right behind it */
#define PCI_SUBORDINATE_BUS  0x1au /**< 8 bits: the highest bus behind it */

/* Header type (6.2.1). */
#define PCI_HEADER_TYPE_NORMAL  0x00u /**< type 0: an endpoint */
#define PCI_HEADER_TYPE_BRIDGE  0x01u /**< type 1: PCI-to-PCI bridge */
#define PCI_HEADER_TYPE_CARDBUS 0x02u /**< type 2: CardBus bridge */
#define PCI_HEADER_TYPE_MASK    0x7fu /**< the layout bits */
#define PCI_HEADER_TYPE_MFD     0x80u /**< functions 1..7 may exist */
//! [pci-header]

//! [pci-bits]
/* Command register (6.2.2). */
#define PCI_COMMAND_IO           (1u << 0)  /**< decode the I/O BARs */
#define PCI_COMMAND_MEMORY       (1u << 1)  /**< decode the memory BARs */
#define PCI_COMMAND_MASTER       (1u << 2)  /**< may start DMA */
#define PCI_COMMAND_SPECIAL      (1u << 3)  /**< special cycles */
#define PCI_COMMAND_INVALIDATE   (1u << 4)  /**< memory write and invalidate */
#define PCI_COMMAND_VGA_PALETTE  (1u << 5)  /**< VGA palette snooping */
#define PCI_COMMAND_PARITY       (1u << 6)  /**< parity error response */
#define PCI_COMMAND_SERR         (1u << 8)  /**< SERR# driver enable */
#define PCI_COMMAND_FAST_BACK    (1u << 9)  /**< fast back-to-back */
#define PCI_COMMAND_INTX_DISABLE (1u << 10) /**< INTx# held deasserted */
#define PCI_COMMAND_DECODE (PCI_COMMAND_IO | PCI_COMMAND_MEMORY) /**< both decoders */

/* Status register (6.2.3). */
#define PCI_STATUS_INTERRUPT         (1u << 3)  /**< read-only: INTx# pending */
#define PCI_STATUS_CAP_LIST          (1u << 4)  /**< read-only: 0x34 is valid */
#define PCI_STATUS_66MHZ             (1u << 5)  /**< read-only */
#define PCI_STATUS_FAST_BACK         (1u << 7)  /**< read-only */
#define PCI_STATUS_PARITY            (1u << 8)  /**< master data parity error */
#define PCI_STATUS_DEVSEL_MASK       (3u << 9)  /**< read-only: DEVSEL# timing */
#define PCI_STATUS_SIG_TARGET_ABORT  (1u << 11) /**< signalled target abort */
#define PCI_STATUS_REC_TARGET_ABORT  (1u << 12) /**< received target abort */
#define PCI_STATUS_REC_MASTER_ABORT  (1u << 13) /**< received master abort */
#define PCI_STATUS_SIG_SYSTEM_ERROR  (1u << 14) /**< signalled SERR# */
#define PCI_STATUS_DETECTED_PARITY   (1u << 15) /**< detected parity error */
/** The status bits that are write 1 to clear: bit 8 and bits 15:11. */
#define PCI_STATUS_W1C 0xf900u

/* BAR low bits (6.2.5.1): read-only, they say what the BAR decodes. */
#define PCI_BAR_IO            (1u << 0) /**< 1: I/O space, 0: memory */
#define PCI_BAR_MEM_TYPE_MASK (3u << 1) /**< memory: 00 32-bit, 10 64-bit */
#define PCI_BAR_MEM_64        (2u << 1) /**< memory: 64-bit, takes two BARs */
#define PCI_BAR_PREFETCH      (1u << 3) /**< memory: prefetchable */
#define PCI_BAR_IO_MASK       0xfffffffcu /**< the address bits of an I/O BAR */
#define PCI_BAR_MEM_MASK      0xfffffff0u /**< the address bits of a memory BAR */

/* Capabilities (6.7, appendix H): each starts with its ID and the offset
   of the next one (0 ends the list). */
#define PCI_CAP_ID    0x00u /**< in a capability: its ID */
#define PCI_CAP_NEXT  0x01u /**< in a capability: the next one's offset */
#define PCI_CAP_ID_PM    0x01u /**< power management */
#define PCI_CAP_ID_AGP   0x02u /**< AGP */
#define PCI_CAP_ID_VPD   0x03u /**< vital product data */
#define PCI_CAP_ID_MSI   0x05u /**< message signalled interrupts */
#define PCI_CAP_ID_PCIX  0x07u /**< PCI-X */
#define PCI_CAP_ID_VNDR  0x09u /**< vendor specific (virtio uses it) */
#define PCI_CAP_ID_EXP   0x10u /**< PCI Express */
#define PCI_CAP_ID_MSIX  0x11u /**< MSI-X */
/** The most capabilities a 256-byte space can hold: (256 - 64) / 4. */
#define PCI_CAP_MAX_STEPS 48u
//! [pci-bits]

//! [pci-msix-bits]
/* The MSI-X capability (PCI 3.0, 6.8.2): 12 bytes. Message Control holds
   the table size minus one and two writable bits; the Table and PBA
   dwords hold a BAR indicator (BIR) in bits 2:0 and a QWORD-aligned
   offset into that BAR above it. */
#define PCI_MSIX_FLAGS        0x02u     /**< 16 bits: Message Control */
#define PCI_MSIX_TABLE        0x04u     /**< 32 bits: table offset | BIR */
#define PCI_MSIX_PBA          0x08u     /**< 32 bits: PBA offset | BIR */
#define PCI_MSIX_CAP_LEN      12u       /**< bytes of the capability */
#define PCI_MSIX_FLAGS_QSIZE  0x07ffu   /**< read-only: vectors - 1 */
#define PCI_MSIX_FLAGS_MASKALL (1u << 14) /**< Function Mask: every vector masked */
#define PCI_MSIX_FLAGS_ENABLE (1u << 15) /**< MSI-X Enable (INTx and MSI off) */
#define PCI_MSIX_BIR_MASK     0x7u      /**< BAR indicator: 0..5, 6 and 7 reserved */
#define PCI_MSIX_OFFSET_MASK  0xfffffff8u /**< the offset bits of Table and PBA */
#define PCI_MSIX_MAX_VECTORS  2048u     /**< QSIZE + 1 at most */

/* A table entry: 16 bytes, reached with aligned dword (or, for the
   address, qword) accesses; every entry is masked at reset. */
#define PCI_MSIX_ENTRY_SIZE        16u /**< bytes per vector */
#define PCI_MSIX_ENTRY_ADDR_LO     0x0u /**< message address, low dword */
#define PCI_MSIX_ENTRY_ADDR_HI     0x4u /**< message address, high dword */
#define PCI_MSIX_ENTRY_DATA        0x8u /**< message data */
#define PCI_MSIX_ENTRY_CTRL        0xcu /**< vector control */
#define PCI_MSIX_ENTRY_CTRL_MASKED (1u << 0) /**< the vector is masked */
//! [pci-msix-bits]

//! [pci-address]
/* A function's address. `devfn` is device << 3 | function, as on the
   bus; `bdf` adds the bus above it (bus << 8 | devfn). */
#define PCI_DEVFN(dev, fn)      ((((unsigned)(dev) & 31u) << 3) | ((unsigned)(fn) & 7u)) /**< devfn */
#define PCI_BDF(bus, dev, fn)   ((((uint32_t)(bus) & 255u) << 8) | PCI_DEVFN(dev, fn)) /**< bdf */
#define PCI_BDF_BUS(bdf)        (((uint32_t)(bdf) >> 8) & 255u) /**< bus of a bdf */
#define PCI_BDF_DEV(bdf)        (((uint32_t)(bdf) >> 3) & 31u)  /**< device of a bdf */
#define PCI_BDF_FN(bdf)         ((uint32_t)(bdf) & 7u)          /**< function of a bdf */

/* Configuration mechanism #1 (PCI 3.0, 3.2.2.3.2): a dword written to
   CONFIG_ADDRESS selects a function and a dword register; CONFIG_DATA's
   four ports are that dword's four byte lanes. */
#define PCI_PC_CONFIG_ADDRESS 0xcf8u      /**< CONFIG_ADDRESS port */
#define PCI_PC_CONFIG_DATA    0xcfcu      /**< CONFIG_DATA, ports 0xCFC-0xCFF */
#define PCI_CF8_ENABLE        0x80000000u /**< bit 31: CONFIG_DATA reaches config space */
#define PCI_CF8_BITS          0x80fffffcu /**< the bits CONFIG_ADDRESS stores */
/** The CONFIG_ADDRESS value for register `reg` of a function. */
#define PCI_CF8(bus, dev, fn, reg)                                             \
    (PCI_CF8_ENABLE | (((uint32_t)(bus) & 255u) << 16) |                       \
     (((uint32_t)(dev) & 31u) << 11) | (((uint32_t)(fn) & 7u) << 8) | ((uint32_t)(reg) & 0xfcu))

/* ECAM (PCIe 6.0, 7.2.2): 4 KiB of each function's space, mapped in
   memory, 1 MiB per bus. */
/** The offset of register `reg` of a function in an ECAM window that starts at bus 0. */
#define PCI_ECAM_OFFSET(bus, dev, fn, reg)                                     \
    ((((uint64_t)(bus) & 255u) << 20) | (((uint64_t)(dev) & 31u) << 15) |      \
     (((uint64_t)(fn) & 7u) << 12) | ((uint64_t)(reg) & 0xfffu))
#define PCI_ECAM_BUS_SIZE (1u << 20) /**< bytes of ECAM per bus */
//! [pci-address]

/* ---- driver ------------------------------------------------------------ */

/** How the driver reaches configuration space: a read and a write of
    `width` (1, 2 or 4) bytes at register `reg` of function `bdf`, and the
    context both are given. A read nothing answers returns all-ones. */
typedef struct pci_drv {
    uint32_t (*read)(void *ctx, uint32_t bdf, uint16_t reg, unsigned width); /**< config read */
    void (*write)(void *ctx, uint32_t bdf, uint16_t reg, unsigned width, uint32_t value); /**< config write */
    void *ctx; /**< passed to both */
} pci_drv;

/** Mechanism #1 as a driver reaches it: port I/O of 1, 2 or 4 bytes.
    The two steps (address, then data) are not atomic: the caller keeps
    two CPUs from interleaving them (a lock, or one CPU at a time). */
typedef struct pci_drv_cam1 {
    uint32_t (*in)(void *ctx, uint16_t port, unsigned width);             /**< IN */
    void (*out)(void *ctx, uint16_t port, unsigned width, uint32_t value); /**< OUT */
    void *ctx; /**< passed to both */
} pci_drv_cam1;

/** An ECAM window as a driver reaches it: MMIO loads and stores of 1, 2
    or 4 bytes at a physical address, and the window the ACPI MCFG table
    gives (its base is where bus `bus_start` begins). */
typedef struct pci_drv_ecam {
    uint32_t (*load)(void *ctx, uint64_t addr, unsigned width);             /**< MMIO read */
    void (*store)(void *ctx, uint64_t addr, unsigned width, uint32_t value); /**< MMIO write */
    void *ctx;          /**< passed to both */
    uint64_t base;      /**< address of bus_start's space */
    uint8_t bus_start;  /**< first bus the window covers */
    uint8_t bus_end;    /**< last bus the window covers */
} pci_drv_ecam;

/** A function the scan found: its bdf, IDs and header type byte. */
typedef void pci_drv_found_fn(void *ctx, uint32_t bdf, uint16_t vendor, uint16_t device,
                              uint8_t header_type);

/** Mechanism #1 read, with `ctx` a ::pci_drv_cam1: writes CONFIG_ADDRESS,
    then reads the byte lanes of CONFIG_DATA. All-ones for a bus above
    255, a register above 255, a width other than 1, 2, 4 or an access
    that crosses a dword. */
PCI_DEF uint32_t pci_drv_cam1_read(void *ctx, uint32_t bdf, uint16_t reg, unsigned width);
/** Mechanism #1 write, with `ctx` a ::pci_drv_cam1; what the read refuses
    is not written. */
PCI_DEF void pci_drv_cam1_write(void *ctx, uint32_t bdf, uint16_t reg, unsigned width,
                                uint32_t value);
/** ECAM read, with `ctx` a ::pci_drv_ecam: all-ones outside its buses and
    for the widths and crossings the mechanism #1 read refuses. */
PCI_DEF uint32_t pci_drv_ecam_read(void *ctx, uint32_t bdf, uint16_t reg, unsigned width);
/** ECAM write, with `ctx` a ::pci_drv_ecam. */
PCI_DEF void pci_drv_ecam_write(void *ctx, uint32_t bdf, uint16_t reg, unsigned width,
                                uint32_t value);
/** Fill `d` to reach configuration space through mechanism #1 `c`. */
PCI_DEF void pci_drv_use_cam1(pci_drv *d, pci_drv_cam1 *c);
/** Fill `d` to reach configuration space through ECAM window `e`. */
PCI_DEF void pci_drv_use_ecam(pci_drv *d, pci_drv_ecam *e);

/** Find every function from bus 0 down: on each bus the 32 devices'
    function 0, functions 1..7 only where function 0's header type has
    bit 7, and the secondary bus of every type-1 header (a bridge) that
    names a bus not yet scanned. Each bus is scanned at most once, so a
    device that lies about its bridges costs at most 256 buses. Calls
    `found` (may be NULL) for each function, in scan order; returns how
    many there were. */
PCI_DEF unsigned pci_drv_scan(const pci_drv *d, pci_drv_found_fn *found, void *ctx);
/** Size BAR `bar` (0..5) of `bdf`: with the command register's decode
    bits off meanwhile, save the BAR, write all-ones, read back the size
    mask, restore. A 64-bit memory BAR takes `bar` and `bar` + 1. Gives
    the base address, the size (the lowest writable address bit) and the
    low flag bits (PCI_BAR_IO, or the memory type and PCI_BAR_PREFETCH);
    any pointer may be NULL. Returns the BARs used (1, or 2 for 64-bit),
    0 with size 0 for a BAR that is not implemented, or -1 for `bar` > 5
    or a 64-bit BAR in slot 5 (nothing is changed then). */
PCI_DEF int pci_drv_bar_size(const pci_drv *d, uint32_t bdf, unsigned bar, uint64_t *base,
                             uint64_t *size, uint32_t *flags);
/** The offset of the first capability `id` of `bdf` after `start` (0: from
    the list's head, which the status register's CAP_LIST bit must
    announce), or 0 if there is none. The walk stops at a pointer below
    0x40, at one it has seen before and after PCI_CAP_MAX_STEPS, so a
    list that loops ends it. */
PCI_DEF uint8_t pci_drv_find_cap(const pci_drv *d, uint32_t bdf, uint8_t id, uint8_t start);

/** An address window BARs are assigned from: [base, base+size); `next` starts at base. */
typedef struct pci_drv_window {
    uint64_t base; /**< first address of the window */
    uint64_t size; /**< its length in bytes; 0: no window */
    uint64_t next; /**< where the next BAR may go (below base: base) */
} pci_drv_window;
/** The three windows a host bridge forwards (size 0: none). */
typedef struct pci_drv_windows {
    pci_drv_window io;    /**< I/O ports */
    pci_drv_window mem32; /**< memory below 4 GiB */
    pci_drv_window mem64; /**< memory a 64-bit BAR may take, anywhere */
} pci_drv_windows;
/** Size every BAR of function `bdf` and give each an address from `w`,
    naturally aligned (I/O from io; 32-bit memory from mem32; 64-bit
    memory from mem64 if it has room, else mem32), then enable IO/MEMORY
    decoding (only the kinds it has) and bus mastering. Returns the number
    of BARs assigned (a 64-bit BAR counts once), or PCI_EFULL (nothing
    enabled) if a window ran out. BARs already decoded are re-assigned.

    Decoding is off from the first access on. BARs are taken in order,
    each at the next address of its window aligned to its size; an
    address the BAR cannot hold (an I/O BAR that decodes 16 bits, a
    32-bit BAR above 4 GiB) counts as no room, as does a window that runs
    past 2^64 - 1. Nothing is written to a BAR (but the sizing, which puts
    each back) and no window moves until every BAR has a place, so after
    PCI_EFULL the BARs keep their values, the windows their `next`, and
    the command register its bits but IO and MEMORY. Each BAR is read back
    after it is written: one that does not hold the address and flags it
    was given (a device that hardwires address bits above its size, or
    lets its flag bits be written) would decode where nobody placed it,
    so then decoding stays off, the windows do not move, and the result
    is PCI_EDEVICE. A type-0 header has six BARs, a type-1 (bridge) two,
    any other none; the expansion ROM is left alone. */
PCI_DEF int pci_drv_assign(const pci_drv *d, uint32_t bdf, pci_drv_windows *w);
/** The INTx swizzle at a host bridge (PCI-to-PCI bridge spec table 9-1):
    pin 1..4 of device `dev` arrives as 0..3 (INTA..INTD) = (dev + pin -
    1) % 4. A pin outside 1..4 (0: the function uses none) still gives
    0..3, so a table of four indexed by it stays in bounds; check the pin
    first. */
PCI_DEF unsigned pci_swizzle(unsigned dev, unsigned pin);
/** MSI-X of function `bdf`: its capability offset, vector count, and the
    BAR/offset of its table and PBA; false if it has none. */
typedef struct pci_drv_msix {
    uint8_t cap;        /**< offset of the capability */
    uint16_t vectors;   /**< table entries, 1..2048 */
    uint8_t table_bar;  /**< BAR holding the table, 0..5 */
    uint8_t pba_bar;    /**< BAR holding the PBA, 0..5 */
    uint32_t table_off; /**< the table's offset in its BAR */
    uint32_t pba_off;   /**< the PBA's offset in its BAR */
} pci_drv_msix;
/** Find the MSI-X capability of `bdf` and read it into `*x`. False, with
    `*x` zeroed, if there is none or it names a reserved BIR (6 or 7). */
PCI_DEF bool pci_drv_msix_find(const pci_drv *d, uint32_t bdf, pci_drv_msix *x);
/** Write entry `n` of an MSI-X table mapped at `table` (its BAR's address
    + table_off): address, data, masked or not (32-bit accesses only, as
    the spec requires). The entry is masked first and unmasked, if asked,
    last, so the device never sees a half-written vector; the reserved bits
    of vector control are kept. The caller keeps `n` below the vector
    count. */
PCI_DEF void pci_drv_msix_entry(volatile void *table, unsigned n, uint64_t address,
                                uint32_t data, bool masked);
/** Turn MSI-X on (with the function mask clear) or off, through the
    capability. Turning it on also sets INTX_DISABLE in the command
    register; off clears it. */
PCI_DEF void pci_drv_msix_enable(const pci_drv *d, uint32_t bdf, const pci_drv_msix *x, bool on);

/* ---- device model ------------------------------------------------------ */

#ifndef PCI_MODEL_FUNCS
#define PCI_MODEL_FUNCS 32 /**< functions bus 0 holds, host bridge included */
#endif
/** Version of ::pci_state; bumped when its layout changes. */
#define PCI_STATE_VERSION 1u

/* The model's offset space: ports 0xCF8-0xCFF from 0xCF8. */
#define PCI_MODEL_CF8 0u /**< CONFIG_ADDRESS, 4 bytes */
#define PCI_MODEL_CFC 4u /**< CONFIG_DATA, 4 bytes (byte lanes) */
#define PCI_MODEL_LEN 8u /**< ports the model answers */
#define PCI_MODEL_ECAM_LEN (256u * PCI_ECAM_BUS_SIZE) /**< ECAM window: 256 MiB */

/* The host bridge pci_model_init() puts at 00.0 (QEMU's q35 MCH). */
#define PCI_HOST_VENDOR 0x8086u   /**< Intel */
#define PCI_HOST_DEVICE 0x29c0u   /**< 82G33/P35 DRAM controller (q35 MCH) */
#define PCI_HOST_CLASS  0x060000u /**< bridge, host bridge */

/** bar_changed()'s `bar` when the command register changed. */
#define PCI_MODEL_COMMAND 6u

/* pci_model_add() and the builders' errors. */
#define PCI_EINVAL (-1) /**< an argument out of range */
#define PCI_EBUSY  (-2) /**< that devfn, BAR slot or space is taken */
#define PCI_EFULL  (-3) /**< the table holds PCI_MODEL_FUNCS functions; a window is full */
#define PCI_EDEVICE (-4) /**< the device broke the spec: a BAR did not keep its address */

/** One type-0 function being built: its configuration space at reset and
    which bits of it a guest may change. Fill it with the pci_function_*
    calls; the bytes may be edited directly afterwards (the body of a
    capability, made writable in `wmask`), then pci_model_add() copies it. */
typedef struct pci_function {
    uint8_t config[PCI_CONFIG_SIZE]; /**< the space at reset */
    uint8_t wmask[PCI_CONFIG_SIZE];  /**< bits a write sets to the value written */
    uint8_t w1c[PCI_CONFIG_SIZE];    /**< bits a write of 1 clears (disjoint from wmask) */
    uint8_t cap_next; /**< where the next capability goes */
    uint8_t cap_last; /**< the last capability, 0 if none */
    uint8_t bars;     /**< BAR slots taken, bit n for BAR n */
    uint8_t reserved; /**< zero */
} pci_function;

/** Everything the bus remembers: CONFIG_ADDRESS and each function's
    configuration space, slot by slot as pci_model_add() filled them. */
typedef struct pci_state {
    uint32_t version;        /**< PCI_STATE_VERSION */
    uint32_t config_address; /**< CONFIG_ADDRESS, within PCI_CF8_BITS */
    uint8_t space[PCI_MODEL_FUNCS][PCI_CONFIG_SIZE]; /**< live spaces; unused slots 0 */
} pci_state;

/** How the model reaches the board. Every hook may be NULL. */
typedef struct pci_model_hooks {
    /** A guest write changed BAR `bar` (0..5; a 64-bit BAR is named by its
        low half) or, with `bar` PCI_MODEL_COMMAND, the command register of
        function `devfn` on bus 0: the board moves what it decodes
        (pci_model_bar() says where it now is). Also called for every BAR
        and command after a reset and a restore. */
    void (*bar_changed)(void *ctx, unsigned devfn, unsigned bar);
    /** A guest configuration write of `width` bytes at `reg` (below 256)
        of function `devfn` on bus 0 has landed, through either mechanism,
        whether or not it changed a bit: the board reacts to the registers
        it owns (an MSI-X Message Control word, a window such as virtio's
        PCI_CFG capability). Called after bar_changed and intx. */
    void (*cfg_written)(void *ctx, unsigned devfn, uint16_t reg, unsigned width);
    /** Before a guest configuration read of `width` bytes at `reg` (below
        256) of function `devfn`: `*value` holds what the space has;
        returning true makes the guest read `*value` instead (cut to
        `width`), false leaves it. */
    bool (*cfg_read)(void *ctx, unsigned devfn, uint16_t reg, unsigned width, uint32_t *value);
    /** The INTx# output of function `devfn`, which advertises `pin`
        (1..4: INTA#..INTD#), is now `level`: what its device logic asserts
        (pci_model_set_intx()) unless the command register's INTX_DISABLE
        holds it off. Called when that output changes, and for every
        function with a pin after a reset and a restore. The board routes
        it (pci_swizzle()) and ORs functions that share a line. */
    void (*intx)(void *ctx, unsigned devfn, unsigned pin, bool level);
    void *ctx; /**< passed to every hook */
} pci_model_hooks;

/** The bus's wiring, fixed before the guest's first access: which
    functions it holds (their reset images and masks). */
typedef struct pci_model_cfg {
    /** Byte and word accesses to 0xCF8-0xCFB update or read the matching
        lanes of CONFIG_ADDRESS. Default false: only a dword access does
        (PCI 3.0, 3.2.2.3.2); the others read all-ones and are ignored, so
        a byte write to 0xCF9 (a chipset's reset register) leaves the
        address alone. */
    bool cf8_partial;
    unsigned count;                       /**< slots in use */
    uint8_t slot_of[256];                 /**< devfn -> slot + 1, 0: absent */
    uint8_t devfn[PCI_MODEL_FUNCS];       /**< slot -> devfn */
    pci_function fn[PCI_MODEL_FUNCS];     /**< slot -> reset image and masks */
} pci_model_cfg;

/** A host bridge and bus 0 as a guest sees them through mechanism #1 and
    ECAM. Caller-owned (about 33 KiB with 32 functions). */
typedef struct pci_model {
    pci_state s;           /**< machine state: the only part saved */
    pci_model_hooks hooks; /**< wiring, not saved */
    pci_model_cfg cfg;     /**< functions, added after init, before the first access */
} pci_model;

/** Start a type-0 function: IDs, the 24-bit class code (base class << 16
    | sub-class << 8 | programming interface) and revision. The command
    bits IO, MEMORY, MASTER, PARITY, SERR and INTX_DISABLE, the cache line
    size, latency timer and interrupt line are writable, the status error
    bits write 1 to clear; everything else is read-only. */
PCI_DEF void pci_function_init(pci_function *f, uint16_t vendor, uint16_t device,
                               uint32_t class_code, uint8_t revision);
/** Give BAR `index` a decoder of `size` bytes, a power of two: `flags`
    PCI_BAR_IO (4 to 256 bytes), 0 or PCI_BAR_PREFETCH (32-bit memory, 16
    bytes to 2 GiB), or PCI_BAR_MEM_64 with or without PCI_BAR_PREFETCH
    (16 bytes to 2^63, using BARs `index` and `index` + 1). The address
    bits below `size` and the flag bits are read-only, so writing all-ones
    reads back the size mask. Returns 0, PCI_EINVAL or PCI_EBUSY. */
PCI_DEF int pci_function_bar(pci_function *f, unsigned index, uint64_t size, unsigned flags);
/** Append a capability `id` of `len` bytes (2 to 192, header included) to
    the list, dword-aligned from 0x40, and set the CAP_LIST status bit.
    Its body is zero and read-only until the caller edits it. Returns its
    offset, or 0 if it does not fit. */
PCI_DEF uint8_t pci_function_add_cap(pci_function *f, uint8_t id, unsigned len);
/** Append an MSI-X capability (12 bytes) for `vectors` (1 to 2048)
    vectors: its table at `table_off` in BAR `table_bar`, its PBA at
    `pba_off` in BAR `pba_bar`. Both BARs must already be memory BARs of
    `f` (the low half, for 64-bit) that hold their structure (16 bytes a
    vector; 8 bytes per 64 vectors), the offsets QWORD-aligned, and the two
    may not overlap. MSI-X Enable and Function Mask are writable, the rest
    read-only. Returns the capability's offset, or 0 if an argument is out
    of range or it does not fit. */
PCI_DEF uint8_t pci_function_add_msix(pci_function *f, unsigned vectors, unsigned table_bar,
                                      uint32_t table_off, unsigned pba_bar, uint32_t pba_off);
/** Set the interrupt pin: 0 none, 1..4 INTA#..INTD#; PCI_EINVAL for more. */
PCI_DEF int pci_function_irq(pci_function *f, unsigned pin);
/** Put a copy of `f` at `devfn` on bus 0, and set the multi-function bit
    of function 0 of a device that has others. Returns 0, PCI_EINVAL (a
    devfn above 255), PCI_EBUSY (taken) or PCI_EFULL. */
PCI_DEF int pci_model_add(pci_model *m, unsigned devfn, const pci_function *f);
/** Where BAR `bar` (the low half for 64-bit) of `devfn` decodes: true,
    with its base and size, if it is implemented and the command register
    enables its kind (IO or MEMORY); false otherwise. */
PCI_DEF bool pci_model_bar(const pci_model *m, unsigned devfn, unsigned bar, uint64_t *base,
                           uint64_t *size);

/** The live value of `width` (1, 2 or 4) bytes at `reg` of function
    `devfn` on bus 0, as the board sees it: no hook is called. All-ones of
    `width` for an absent function or an access that leaves its dword or
    the 256 bytes. */
PCI_DEF uint32_t pci_model_config(const pci_model *m, unsigned devfn, uint16_t reg,
                                  unsigned width);
/** The device logic of function `devfn` asserts (`level` true) or
    deasserts its INTx#: STATUS.INTERRUPT (read-only to the guest)
    follows `level`, and the intx hook gets `level` && !INTX_DISABLE
    when that changes. Ignored for an absent function and one with no
    interrupt pin. The level is machine state (saved with the status
    register); a reset deasserts it. */
PCI_DEF void pci_model_set_intx(pci_model *m, unsigned devfn, bool level);

/** Zero `m`, copy `*h` (NULL: no hooks), set `cfg` to its defaults (the
    host bridge at 00.0 and nothing else) and reset. */
PCI_DEF void pci_model_init(pci_model *m, const pci_model_hooks *h);
/** Power-on state: CONFIG_ADDRESS 0, every function's space its reset
    image (no INTx asserted). Keeps `hooks` and `cfg`; tells bar_changed
    about every BAR and command register, and intx about every function
    with a pin. */
PCI_DEF void pci_model_reset(void *m);
/** Guest read at `offset` from port 0xCF8. A dword at PCI_MODEL_CF8 is
    CONFIG_ADDRESS (smaller ones: see `cf8_partial`). 1, 2 or 4 bytes
    inside PCI_MODEL_CFC..+3 read those byte lanes of the selected
    register, when the enable bit is set, the bus is 0 and a function is
    there. Anything else reads all-ones of `width`. */
PCI_DEF uint64_t pci_model_read(void *m, uint64_t offset, unsigned width);
/** Guest write at `offset` from port 0xCF8: what pci_model_read() would
    decode is written (through the masks), the rest ignored. */
PCI_DEF void pci_model_write(void *m, uint64_t offset, unsigned width, uint64_t value);
/** Guest read at `offset` in the ECAM window (PCI_ECAM_OFFSET()): 1, 2 or
    4 bytes within a dword. A function present on bus 0 reads its space,
    and 0 from 0x100 up (no extended capabilities); anything else reads
    all-ones of `width`. */
PCI_DEF uint64_t pci_model_ecam_read(void *m, uint64_t offset, unsigned width);
/** Guest write in the ECAM window; what the read would not decode, and
    the extended space, are ignored. */
PCI_DEF void pci_model_ecam_write(void *m, uint64_t offset, unsigned width, uint64_t value);
/** Copy the state into `buf`: returns sizeof(::pci_state), or -1,
    writing nothing, if `size` is smaller. */
PCI_DEF int64_t pci_model_save(void *m, void *buf, size_t size);
/** Load a saved state: returns the bytes used, or -1, changing nothing,
    if `size` is not sizeof(::pci_state) or the state is not one this bus
    can be in: another version, CONFIG_ADDRESS bits it does not store, a
    read-only bit that differs from the reset image, a bit set in an
    unused slot, STATUS.INTERRUPT set in a function with no pin. Then
    tells bar_changed about every BAR and command, and intx about every
    function with a pin. */
PCI_DEF int64_t pci_model_restore(void *m, const void *buf, size_t size);

/* ---- MSI-X table and PBA (device side) ---------------------------------- */

#ifndef PCI_MSIX_VECTORS
#define PCI_MSIX_VECTORS 64 /**< the most vectors one ::pci_msix holds (1 to 2048) */
#endif
/** Version of ::pci_msix_state; bumped when its layout changes. */
#define PCI_MSIX_STATE_VERSION 1u
/** Where the PBA starts in a ::pci_msix's offset space by default: right
    after a table of `n` vectors. */
#define PCI_MSIX_PBA_OFFSET(n) (PCI_MSIX_ENTRY_SIZE * (uint64_t)(n))
/** Bytes of PBA for `n` vectors: one bit each, in whole qwords. */
#define PCI_MSIX_PBA_SIZE(n) (((uint64_t)(n) + 63u) / 64u * 8u)

/** What an MSI-X function remembers: the two writable bits of Message
    Control as the board last gave them, the table and the pending bits. */
typedef struct pci_msix_state {
    uint32_t version; /**< PCI_MSIX_STATE_VERSION */
    uint32_t control; /**< PCI_MSIX_FLAGS_ENABLE and PCI_MSIX_FLAGS_MASKALL */
    /** Entries by dword: PCI_MSIX_ENTRY_ADDR_LO / 4 .. PCI_MSIX_ENTRY_CTRL / 4.
        Entries from `cfg.vectors` up stay 0. */
    uint32_t table[PCI_MSIX_VECTORS][PCI_MSIX_ENTRY_SIZE / 4];
    uint64_t pba[(PCI_MSIX_VECTORS + 63) / 64]; /**< bit v: vector v pending */
} pci_msix_state;

/** How the table reaches the board. Every hook may be NULL. */
typedef struct pci_msix_hooks {
    /** Send the message: a dword write of `data` at `address`. */
    void (*msi)(void *ctx, uint64_t address, uint32_t data);
    void *ctx; /**< passed to every hook */
} pci_msix_hooks;

/** The table's wiring, fixed before the first access. */
typedef struct pci_msix_cfg {
    unsigned vectors;    /**< table entries, 1..PCI_MSIX_VECTORS */
    uint64_t pba_offset; /**< where the PBA starts; default PCI_MSIX_PBA_OFFSET(vectors) */
} pci_msix_cfg;

/** What the table did and refused, for a monitor's status output. */
typedef struct pci_msix_stats {
    uint64_t delivered;      /**< messages sent */
    uint64_t pended;         /**< signals that found their vector masked */
    uint64_t unknown_vector; /**< signals of a vector past the table */
    uint64_t disabled;       /**< signals while MSI-X was off */
    uint64_t bad_access;     /**< guest accesses of a width, alignment or offset refused */
} pci_msix_stats;

/** The MSI-X table and PBA of one function. Its offset space holds the
    table at 0 (16 bytes a vector) and the PBA at `cfg.pba_offset`; the
    board maps the BAR range(s) that hold them onto it (one range when
    the PBA is placed `pba_offset` after the table in the BAR, two
    otherwise). Caller-owned. */
typedef struct pci_msix {
    pci_msix_state s;      /**< machine state: the only part saved */
    pci_msix_hooks hooks;  /**< wiring, not saved */
    pci_msix_cfg cfg;      /**< size and layout */
    pci_msix_stats stats;  /**< counters, kept across reset */
} pci_msix;

/** Zero `x`, copy `*h` (NULL: no hooks), set `cfg` for `vectors` vectors
    with the PBA right after the table, and reset. Returns 0, or
    PCI_EINVAL for `vectors` 0 or above PCI_MSIX_VECTORS (then the table
    has no entries and refuses every access). */
PCI_DEF int pci_msix_init(pci_msix *x, unsigned vectors, const pci_msix_hooks *h);
/** Power-on state: MSI-X off, function unmasked, every entry masked with
    address and data 0, nothing pending. Keeps `hooks`, `cfg`, `stats`. */
PCI_DEF void pci_msix_reset(void *x);
/** Guest read at `offset`: an aligned dword or qword of the table or the
    PBA (bits past the last vector read 0). Anything else reads all-ones
    of `width`. */
PCI_DEF uint64_t pci_msix_read(void *x, uint64_t offset, unsigned width);
/** Guest write at `offset`: an aligned dword or qword of the table (a
    qword is its low dword, then its high one). The address's bits 1:0 and
    vector control's bits 31:1 are read-only 0; the PBA is read-only.
    Unmasking a pending vector sends its message. Anything else is
    ignored. */
PCI_DEF void pci_msix_write(void *x, uint64_t offset, unsigned width, uint64_t value);
/** The capability's Message Control word changed (the board calls this
    from its cfg_written hook with the live word): keeps its Enable and
    Function Mask bits; if MSI-X is now on and unmasked, sends every
    pending message whose vector is unmasked, lowest vector first. */
PCI_DEF void pci_msix_control(pci_msix *x, uint16_t message_control);
/** True while MSI-X Enable is set: the function signals through the table
    (even when masked: then its vectors pend) and may not use INTx#. */
PCI_DEF bool pci_msix_enabled(const pci_msix *x);
/** The device logic signals `vector`: with MSI-X on and the vector and
    function unmasked, the msi hook sends its entry's message; masked, its
    pending bit is set, and the message goes when it is unmasked. Counted
    and ignored: a vector past the table, or MSI-X off. */
PCI_DEF void pci_msix_signal(pci_msix *x, unsigned vector);
/** Whether `vector` is pending (false past the table). */
PCI_DEF bool pci_msix_pending(const pci_msix *x, unsigned vector);
/** Copy the state into `buf`: returns sizeof(::pci_msix_state), or -1,
    writing nothing, if `size` is smaller. */
PCI_DEF int64_t pci_msix_save(void *x, void *buf, size_t size);
/** Load a saved state: returns the bytes used, or -1, changing nothing,
    if `size` is not sizeof(::pci_msix_state) or the state is not one the
    table can be in: another version, control bits besides Enable and
    Function Mask, a read-only bit set in an entry, an entry or pending bit
    past the table, or a vector pending while it could be sent (on,
    unmasked). Sends nothing: such a state has nothing due. The board
    restores the function's configuration space from the same snapshot,
    so its Message Control agrees. */
PCI_DEF int64_t pci_msix_restore(void *x, const void *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* PCI_H */

/* ======================================================================== */
#ifdef PCI_IMPLEMENTATION

#ifndef PCI_ASSERT
#define PCI_ASSERT(c) ((void)0)
#endif

/* A slot number + 1 is kept in a byte (pci_model_cfg.slot_of). */
typedef char pci__funcs_fit[PCI_MODEL_FUNCS >= 1 && PCI_MODEL_FUNCS <= 255 ? 1 : -1];

static uint64_t pci__ones(unsigned width)
{
    return width >= 1 && width < 8 ? (1ull << (8 * width)) - 1 : UINT64_MAX;
}

/* 1, 2 or 4 bytes that stay inside the dword `reg` starts in. */
static bool pci__in_dword(unsigned reg, unsigned width)
{
    return (width == 1 || width == 2 || width == 4) && (reg & 3u) + width <= 4;
}

static void pci__zero(void *p, size_t n)
{
    uint8_t *b = (uint8_t *)p;

    while (n--)
        *b++ = 0;
}

static void pci__copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;

    while (n--)
        *d++ = *s++;
}

/* Little-endian fields of a 256-byte space. */
static void pci__put(uint8_t *sp, unsigned off, unsigned width, uint64_t v)
{
    for (unsigned i = 0; i < width; i++)
        sp[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t pci__get(const uint8_t *sp, unsigned off, unsigned width)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < width; i++)
        v |= (uint32_t)sp[off + i] << (8 * i);
    return v;
}

/* ---- driver ---- */

//! [pci-drv-access]
PCI_DEF uint32_t pci_drv_cam1_read(void *ctx, uint32_t bdf, uint16_t reg, unsigned width)
{
    pci_drv_cam1 *c = (pci_drv_cam1 *)ctx;

    if (bdf > 0xffffu || reg >= PCI_CONFIG_SIZE || !pci__in_dword(reg, width))
        return (uint32_t)pci__ones(width);
    c->out(c->ctx, PCI_PC_CONFIG_ADDRESS, 4,
           PCI_CF8(PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), reg));
    return c->in(c->ctx, (uint16_t)(PCI_PC_CONFIG_DATA + (reg & 3u)), width);
}
//! [pci-drv-access]

PCI_DEF void pci_drv_cam1_write(void *ctx, uint32_t bdf, uint16_t reg, unsigned width,
                                uint32_t value)
{
    pci_drv_cam1 *c = (pci_drv_cam1 *)ctx;

    if (bdf > 0xffffu || reg >= PCI_CONFIG_SIZE || !pci__in_dword(reg, width))
        return;
    c->out(c->ctx, PCI_PC_CONFIG_ADDRESS, 4,
           PCI_CF8(PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), reg));
    c->out(c->ctx, (uint16_t)(PCI_PC_CONFIG_DATA + (reg & 3u)), width, value);
}

/* The address of `reg` of `bdf` in the window, or false if it has none. */
static bool pci__ecam_addr(const pci_drv_ecam *e, uint32_t bdf, uint16_t reg, unsigned width,
                           uint64_t *addr)
{
    uint32_t bus = PCI_BDF_BUS(bdf);

    if (bdf > 0xffffu || reg >= PCI_EXT_CONFIG_SIZE || !pci__in_dword(reg, width) ||
        bus < e->bus_start || bus > e->bus_end)
        return false;
    *addr = e->base + PCI_ECAM_OFFSET(bus - e->bus_start, PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), reg);
    return true;
}

PCI_DEF uint32_t pci_drv_ecam_read(void *ctx, uint32_t bdf, uint16_t reg, unsigned width)
{
    pci_drv_ecam *e = (pci_drv_ecam *)ctx;
    uint64_t a;

    if (!pci__ecam_addr(e, bdf, reg, width, &a))
        return (uint32_t)pci__ones(width);
    return e->load(e->ctx, a, width);
}

PCI_DEF void pci_drv_ecam_write(void *ctx, uint32_t bdf, uint16_t reg, unsigned width,
                                uint32_t value)
{
    pci_drv_ecam *e = (pci_drv_ecam *)ctx;
    uint64_t a;

    if (pci__ecam_addr(e, bdf, reg, width, &a))
        e->store(e->ctx, a, width, value);
}

PCI_DEF void pci_drv_use_cam1(pci_drv *d, pci_drv_cam1 *c)
{
    d->read = pci_drv_cam1_read;
    d->write = pci_drv_cam1_write;
    d->ctx = c;
}

PCI_DEF void pci_drv_use_ecam(pci_drv *d, pci_drv_ecam *e)
{
    d->read = pci_drv_ecam_read;
    d->write = pci_drv_ecam_write;
    d->ctx = e;
}

static uint32_t pci__rd(const pci_drv *d, uint32_t bdf, unsigned reg, unsigned width)
{
    return d->read(d->ctx, bdf, (uint16_t)reg, width);
}

static void pci__wr(const pci_drv *d, uint32_t bdf, unsigned reg, unsigned width, uint32_t v)
{
    d->write(d->ctx, bdf, (uint16_t)reg, width, v);
}

/* No function answers: all-ones (a master abort), or the 0 and half-ones
   patterns some broken bridges give, which Linux treats the same way. */
static bool pci__absent(uint32_t id)
{
    return id == 0xffffffffu || id == 0 || id == 0x0000ffffu || id == 0xffff0000u;
}

//! [pci-drv-scan]
/* Breadth first from bus 0. A bus enters the queue once (`seen`), so the
   queue never holds more than 256 and a bridge that names its own bus, or
   an earlier one, adds nothing. */
PCI_DEF unsigned pci_drv_scan(const pci_drv *d, pci_drv_found_fn *found, void *ctx)
{
    uint8_t queue[256], seen[32] = { 1 }; /* bus 0 is seen */
    unsigned head = 0, tail = 1, count = 0;

    queue[0] = 0;
    while (head < tail) {
        unsigned bus = queue[head++];

        for (unsigned dev = 0; dev < 32; dev++) {
            for (unsigned fn = 0; fn < 8; fn++) {
                uint32_t bdf = PCI_BDF(bus, dev, fn);
                uint32_t id = pci__rd(d, bdf, PCI_VENDOR_ID, 4);
                uint8_t ht;

                if (pci__absent(id)) {
                    if (fn == 0)
                        break; /* no function 0: no device */
                    continue;  /* functions may be sparse */
                }
                ht = (uint8_t)pci__rd(d, bdf, PCI_HEADER_TYPE, 1);
                count++;
                if (found)
                    found(ctx, bdf, (uint16_t)id, (uint16_t)(id >> 16), ht);
                if ((ht & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE) {
                    unsigned sec = pci__rd(d, bdf, PCI_SECONDARY_BUS, 1) & 255u;

                    if (!(seen[sec >> 3] & (1u << (sec & 7)))) {
                        seen[sec >> 3] = (uint8_t)(seen[sec >> 3] | (1u << (sec & 7)));
                        queue[tail++] = (uint8_t)sec;
                    }
                }
                if (fn == 0 && !(ht & PCI_HEADER_TYPE_MFD))
                    break; /* single-function: 1..7 may alias 0 */
            }
        }
    }
    return count;
}
//! [pci-drv-scan]

//! [pci-drv-bar]
/* Write all-ones to one BAR dword and read what sticks, putting the old
   value back. */
static uint32_t pci__probe(const pci_drv *d, uint32_t bdf, unsigned reg, uint32_t *old)
{
    uint32_t mask;

    *old = pci__rd(d, bdf, reg, 4);
    pci__wr(d, bdf, reg, 4, 0xffffffffu);
    mask = pci__rd(d, bdf, reg, 4);
    pci__wr(d, bdf, reg, 4, *old);
    return mask;
}

/* One BAR of a header with `nbars` of them, with the caller keeping
   decoding off: its flags, its address and its writable address bits
   (both halves of a 64-bit BAR). Returns the BARs it takes (1 or 2), or
   -1 for a slot past the last or a 64-bit BAR in the last, before any
   write (a bridge's BAR 1 must not reach its bus numbers). */
static int pci__bar_probe(const pci_drv *d, uint32_t bdf, unsigned bar, unsigned nbars,
                          uint64_t *addr, uint64_t *mask, uint32_t *flags)
{
    unsigned reg = PCI_BAR(bar);
    uint32_t lo, hi = 0, mlo, mhi = 0, fl, am;
    int used = 1;

    if (bar >= nbars)
        return -1;
    lo = pci__rd(d, bdf, reg, 4);
    fl = lo & (lo & PCI_BAR_IO ? 0x3u : 0xfu);
    if (!(fl & PCI_BAR_IO) && (fl & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64) {
        if (bar + 1 >= nbars)
            return -1;
        used = 2;
    }
    mlo = pci__probe(d, bdf, reg, &lo);
    if (used == 2)
        mhi = pci__probe(d, bdf, reg + 4, &hi);
    am = fl & PCI_BAR_IO ? PCI_BAR_IO_MASK : PCI_BAR_MEM_MASK;
    *mask = (uint64_t)mhi << 32 | (mlo & am);
    *addr = (uint64_t)hi << 32 | (lo & am);
    *flags = fl;
    return used;
}

/* PCI 3.0, 6.2.5.1. The decoders are off while a BAR holds all-ones, so
   the function never answers at the address that value names. The size
   is the lowest address bit that stuck: upper bits a device hardwires to 0
   (an I/O BAR that decodes 16 bits) do not change it. */
PCI_DEF int pci_drv_bar_size(const pci_drv *d, uint32_t bdf, unsigned bar, uint64_t *base,
                             uint64_t *size, uint32_t *flags)
{
    uint32_t cmd, lo, fl;
    uint64_t addr, mask;
    int used;

    if (bar >= PCI_BAR_COUNT)
        return -1;
    lo = pci__rd(d, bdf, PCI_BAR(bar), 4);
    if (!(lo & PCI_BAR_IO) && (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64 &&
        bar + 1 >= PCI_BAR_COUNT)
        return -1;
    cmd = pci__rd(d, bdf, PCI_COMMAND, 2);
    pci__wr(d, bdf, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_DECODE);
    used = pci__bar_probe(d, bdf, bar, PCI_BAR_COUNT, &addr, &mask, &fl);
    pci__wr(d, bdf, PCI_COMMAND, 2, cmd);
    if (used < 0)
        return -1; /* the BAR changed its type under us: nothing was written */
    if (base)
        *base = addr;
    if (size)
        *size = mask & (~mask + 1); /* lowest set bit; 0 if none */
    if (flags)
        *flags = fl;
    return mask ? used : 0;
}
//! [pci-drv-bar]

//! [pci-drv-cap]
PCI_DEF uint8_t pci_drv_find_cap(const pci_drv *d, uint32_t bdf, uint8_t id, uint8_t start)
{
    uint8_t seen[PCI_CONFIG_SIZE / 4 / 8] = { 0 }; /* one bit per dword */
    unsigned ptr;

    if (start == 0) {
        if (!(pci__rd(d, bdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
            return 0;
        ptr = pci__rd(d, bdf, PCI_CAPABILITY_LIST, 1);
    } else {
        ptr = pci__rd(d, bdf, (unsigned)start + PCI_CAP_NEXT, 1);
    }
    for (unsigned step = 0; step < PCI_CAP_MAX_STEPS; step++) {
        ptr &= 0xfcu; /* 6.7: the bottom two bits are reserved */
        if (ptr < PCI_HEADER_END || (seen[ptr >> 5] & (1u << ((ptr >> 2) & 7))))
            return 0;
        seen[ptr >> 5] = (uint8_t)(seen[ptr >> 5] | (1u << ((ptr >> 2) & 7)));
        if ((pci__rd(d, bdf, ptr + PCI_CAP_ID, 1) & 255u) == id)
            return (uint8_t)ptr;
        ptr = pci__rd(d, bdf, ptr + PCI_CAP_NEXT, 1);
    }
    return 0;
}
//! [pci-drv-cap]

//! [pci-drv-assign]
/* An address for `size` bytes (a power of two) in `w`, aligned to `size`,
   that a BAR with writable address bits `mask` can hold; false if the
   window has no such room. A window must end below 2^64, so `next`
   never wraps either. */
static bool pci__fit(const pci_drv_window *w, uint64_t size, uint64_t mask, uint64_t *addr)
{
    uint64_t at = w->next < w->base ? w->base : w->next;

    if (w->size > UINT64_MAX - w->base || at > UINT64_MAX - (size - 1))
        return false; /* a window that wraps, or no aligned address left */
    at = (at + (size - 1)) & ~(size - 1);
    if (at - w->base > w->size || size > w->size - (at - w->base) || (at & ~mask))
        return false;
    *addr = at;
    return true;
}

/* The window a BAR of `flags` and `size` goes in (mem64 first for a
   64-bit BAR, then mem32), moved past it; false if none has room. */
static bool pci__place(pci_drv_windows *w, uint32_t flags, uint64_t size, uint64_t mask,
                       uint64_t *addr)
{
    pci_drv_window *win = flags & PCI_BAR_IO ? &w->io : &w->mem32;

    if (!(flags & PCI_BAR_IO) && (flags & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64 &&
        pci__fit(&w->mem64, size, mask, addr))
        win = &w->mem64;
    else if (!pci__fit(win, size, mask, addr))
        return false;
    win->next = *addr + size;
    return true;
}

/* Two passes with decoding off: size every BAR and place it in a copy of
   the windows, then, only if all fit, write the addresses, keep the
   windows and turn on what the function decodes. */
PCI_DEF int pci_drv_assign(const pci_drv *d, uint32_t bdf, pci_drv_windows *w)
{
    uint64_t addr[PCI_BAR_COUNT] = { 0 }, mask, size, old;
    uint32_t flags, cmd, on = PCI_COMMAND_MASTER, fl[PCI_BAR_COUNT] = { 0 };
    uint8_t used[PCI_BAR_COUNT] = { 0 };
    pci_drv_windows next = *w;
    unsigned ht = pci__rd(d, bdf, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MASK;
    unsigned nbars = ht == PCI_HEADER_TYPE_NORMAL ? 6u : ht == PCI_HEADER_TYPE_BRIDGE ? 2u : 0u;
    int assigned = 0;

    cmd = pci__rd(d, bdf, PCI_COMMAND, 2) & ~PCI_COMMAND_DECODE;
    pci__wr(d, bdf, PCI_COMMAND, 2, cmd);
    for (unsigned b = 0; b < nbars; b++) {
        int n = pci__bar_probe(d, bdf, b, nbars, &old, &mask, &flags);

        if (n < 0)
            break; /* 64-bit in the last slot: nothing to assign */
        if (mask) {
            size = mask & (~mask + 1);
            if (!pci__place(&next, flags, size, mask, &addr[b]))
                return PCI_EFULL;
            used[b] = (uint8_t)n;
            fl[b] = flags;
            on |= flags & PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
        }
        b += (unsigned)n - 1; /* past a 64-bit BAR's high half */
    }
    for (unsigned b = 0; b < nbars; b++) {
        if (!used[b])
            continue;
        pci__wr(d, bdf, PCI_BAR(b), 4, (uint32_t)addr[b]); /* the flag bits are read-only */
        if (used[b] == 2)
            pci__wr(d, bdf, PCI_BAR(b + 1), 4, (uint32_t)(addr[b] >> 32));
        assigned++;
    }
    for (unsigned b = 0; b < nbars; b++) {
        uint32_t lo;

        if (!used[b])
            continue;
        lo = pci__rd(d, bdf, PCI_BAR(b), 4);
        if (lo != ((uint32_t)addr[b] | fl[b]) ||
            (used[b] == 2 && pci__rd(d, bdf, PCI_BAR(b + 1), 4) != (uint32_t)(addr[b] >> 32)))
            return PCI_EDEVICE; /* decoding is off, and stays off */
    }
    *w = next;
    pci__wr(d, bdf, PCI_COMMAND, 2, cmd | on);
    return assigned;
}
//! [pci-drv-assign]

//! [pci-drv-irq]
PCI_DEF unsigned pci_swizzle(unsigned dev, unsigned pin)
{
    return (dev + pin + 3u) % 4u; /* (dev + pin - 1) % 4 without wrapping at pin 0 */
}

/* The BIR and offset of a Table or PBA dword; false for a reserved BIR. */
static bool pci__msix_loc(uint32_t v, uint8_t *bar, uint32_t *off)
{
    *bar = (uint8_t)(v & PCI_MSIX_BIR_MASK);
    *off = v & PCI_MSIX_OFFSET_MASK;
    return *bar < PCI_BAR_COUNT;
}

PCI_DEF bool pci_drv_msix_find(const pci_drv *d, uint32_t bdf, pci_drv_msix *x)
{
    uint8_t cap = pci_drv_find_cap(d, bdf, PCI_CAP_ID_MSIX, 0);
    pci_drv_msix r;

    pci__zero(x, sizeof *x);
    if (!cap)
        return false;
    r.cap = cap;
    r.vectors = (uint16_t)((pci__rd(d, bdf, cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1);
    if (!pci__msix_loc(pci__rd(d, bdf, cap + PCI_MSIX_TABLE, 4), &r.table_bar, &r.table_off) ||
        !pci__msix_loc(pci__rd(d, bdf, cap + PCI_MSIX_PBA, 4), &r.pba_bar, &r.pba_off))
        return false;
    *x = r;
    return true;
}

/* PCI 3.0, 6.8.3: mask the entry while its address and data change;
   the spec asks for dword accesses to the table. */
PCI_DEF void pci_drv_msix_entry(volatile void *table, unsigned n, uint64_t address,
                                uint32_t data, bool masked)
{
    volatile uint32_t *e = (volatile uint32_t *)table + (size_t)n * (PCI_MSIX_ENTRY_SIZE / 4);
    uint32_t ctrl = e[PCI_MSIX_ENTRY_CTRL / 4];

    e[PCI_MSIX_ENTRY_CTRL / 4] = ctrl | PCI_MSIX_ENTRY_CTRL_MASKED;
    e[PCI_MSIX_ENTRY_ADDR_LO / 4] = (uint32_t)address;
    e[PCI_MSIX_ENTRY_ADDR_HI / 4] = (uint32_t)(address >> 32);
    e[PCI_MSIX_ENTRY_DATA / 4] = data;
    if (!masked)
        e[PCI_MSIX_ENTRY_CTRL / 4] = ctrl & ~PCI_MSIX_ENTRY_CTRL_MASKED;
}

/* INTx is off before MSI-X is on and back on only after it is off, so
   the function never has both (6.8.2: with MSI-X enabled it must not
   assert INTx anyway). */
PCI_DEF void pci_drv_msix_enable(const pci_drv *d, uint32_t bdf, const pci_drv_msix *x, bool on)
{
    unsigned reg = (unsigned)x->cap + PCI_MSIX_FLAGS;
    uint32_t ctl = pci__rd(d, bdf, reg, 2) & ~(PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE);
    uint32_t cmd = pci__rd(d, bdf, PCI_COMMAND, 2);

    if (on) {
        pci__wr(d, bdf, PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
        pci__wr(d, bdf, reg, 2, ctl | PCI_MSIX_FLAGS_ENABLE);
    } else {
        pci__wr(d, bdf, reg, 2, ctl);
        pci__wr(d, bdf, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_INTX_DISABLE);
    }
}
//! [pci-drv-irq]

/* ---- builders ---- */

PCI_DEF void pci_function_init(pci_function *f, uint16_t vendor, uint16_t device,
                               uint32_t class_code, uint8_t revision)
{
    pci__zero(f, sizeof *f);
    pci__put(f->config, PCI_VENDOR_ID, 2, vendor);
    pci__put(f->config, PCI_DEVICE_ID, 2, device);
    pci__put(f->config, PCI_REVISION_ID, 4, (uint32_t)revision | (class_code & 0xffffffu) << 8);
    pci__put(f->wmask, PCI_COMMAND, 2,
             PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
                 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
    pci__put(f->w1c, PCI_STATUS, 2, PCI_STATUS_W1C);
    f->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    f->wmask[PCI_LATENCY_TIMER] = 0xff;
    f->wmask[PCI_INTERRUPT_LINE] = 0xff;
    f->cap_next = PCI_HEADER_END;
}

static bool pci__pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

//! [pci-bar-build]
/* The BAR's address bits at and above `size` are writable, the rest (the
   offset inside the region, and the flags) read-only: so all-ones reads
   back ~(size - 1) | flags, which is the whole of BAR sizing. */
PCI_DEF int pci_function_bar(pci_function *f, unsigned index, uint64_t size, unsigned flags)
{
    bool io = flags == PCI_BAR_IO, wide = (flags & ~PCI_BAR_PREFETCH) == PCI_BAR_MEM_64;
    uint64_t min = io ? 4 : 16, max = io ? 256 : wide ? 1ull << 63 : 1ull << 31;
    unsigned slots = wide ? 3u : 1u;
    uint64_t wm = ~(size - 1);

    if (index >= PCI_BAR_COUNT || (wide && index + 1 >= PCI_BAR_COUNT) || !pci__pow2(size) ||
        size < min || size > max || (!io && (flags & ~(PCI_BAR_MEM_64 | PCI_BAR_PREFETCH))))
        return PCI_EINVAL;
    if (f->bars & (slots << index))
        return PCI_EBUSY;
    f->bars = (uint8_t)(f->bars | slots << index);
    pci__put(f->config, PCI_BAR(index), 4, flags);
    pci__put(f->wmask, PCI_BAR(index), 4, wm & (io ? PCI_BAR_IO_MASK : PCI_BAR_MEM_MASK));
    if (wide)
        pci__put(f->wmask, PCI_BAR(index + 1), 4, wm >> 32);
    return 0;
}
//! [pci-bar-build]

//! [pci-cap-build]
PCI_DEF uint8_t pci_function_add_cap(pci_function *f, uint8_t id, unsigned len)
{
    unsigned off = f->cap_next, end = off + ((len + 3) & ~3u);

    if (len < 2 || off < PCI_HEADER_END || len > PCI_CONFIG_SIZE - off)
        return 0;
    f->config[off + PCI_CAP_ID] = id;
    f->config[off + PCI_CAP_NEXT] = 0;
    if (f->cap_last)
        f->config[f->cap_last + PCI_CAP_NEXT] = (uint8_t)off;
    else
        f->config[PCI_CAPABILITY_LIST] = (uint8_t)off;
    f->config[PCI_STATUS] = (uint8_t)(f->config[PCI_STATUS] | PCI_STATUS_CAP_LIST);
    f->cap_last = (uint8_t)off;
    /* The next one starts at the next dword; 0 once the space is full. */
    f->cap_next = (uint8_t)(end < PCI_CONFIG_SIZE ? end : 0);
    return (uint8_t)off;
}
//! [pci-cap-build]

//! [pci-msix-build]
/* The size of memory BAR `index` as built (its lowest writable address
   bit), or 0 if it is not the low half of a memory BAR. */
static uint64_t pci__built_mem_bar(const pci_function *f, unsigned index)
{
    uint32_t lo, below;
    uint64_t wm;

    if (index >= PCI_BAR_COUNT || !(f->bars & (1u << index)))
        return 0;
    lo = pci__get(f->config, PCI_BAR(index), 4);
    below = index ? pci__get(f->config, PCI_BAR(index - 1), 4) : 0;
    if ((lo & PCI_BAR_IO) || (index && (f->bars & (1u << (index - 1))) && !(below & PCI_BAR_IO) &&
                              (below & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64))
        return 0; /* I/O, or the high half of a 64-bit BAR */
    wm = pci__get(f->wmask, PCI_BAR(index), 4);
    if ((lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64)
        wm |= (uint64_t)pci__get(f->wmask, PCI_BAR(index + 1), 4) << 32;
    return wm & (~wm + 1);
}

/* [off, off + len) lies inside memory BAR `bar`, QWORD-aligned. */
static bool pci__msix_fits(const pci_function *f, unsigned bar, uint32_t off, uint32_t len)
{
    uint64_t size = pci__built_mem_bar(f, bar);

    return size && !(off & ~PCI_MSIX_OFFSET_MASK) && off <= size && len <= size - off;
}

PCI_DEF uint8_t pci_function_add_msix(pci_function *f, unsigned vectors, unsigned table_bar,
                                      uint32_t table_off, unsigned pba_bar, uint32_t pba_off)
{
    uint32_t tlen = vectors * PCI_MSIX_ENTRY_SIZE, plen = (vectors + 63) / 64 * 8;
    uint8_t cap;

    if (vectors < 1 || vectors > PCI_MSIX_MAX_VECTORS ||
        !pci__msix_fits(f, table_bar, table_off, tlen) ||
        !pci__msix_fits(f, pba_bar, pba_off, plen))
        return 0;
    /* PCIe 6.0, 7.7.2: the two may share a page but must not overlap. */
    if (table_bar == pba_bar && table_off < (uint64_t)pba_off + plen &&
        pba_off < (uint64_t)table_off + tlen)
        return 0;
    cap = pci_function_add_cap(f, PCI_CAP_ID_MSIX, PCI_MSIX_CAP_LEN);
    if (!cap)
        return 0;
    pci__put(f->config, cap + PCI_MSIX_FLAGS, 2, vectors - 1);
    pci__put(f->wmask, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    pci__put(f->config, cap + PCI_MSIX_TABLE, 4, table_off | table_bar);
    pci__put(f->config, cap + PCI_MSIX_PBA, 4, pba_off | pba_bar);
    return cap;
}
//! [pci-msix-build]

PCI_DEF int pci_function_irq(pci_function *f, unsigned pin)
{
    if (pin > 4)
        return PCI_EINVAL;
    f->config[PCI_INTERRUPT_PIN] = (uint8_t)pin;
    return 0;
}

/* ---- device model ---- */

/* The slot of `devfn` on bus 0, or -1. */
static int pci__slot(const pci_model *m, unsigned devfn)
{
    unsigned s = devfn < 256 ? m->cfg.slot_of[devfn] : 0;

    if (!s)
        return -1;
    PCI_ASSERT(s <= m->cfg.count && m->cfg.devfn[s - 1] == devfn);
    return (int)s - 1;
}

/* The BAR that the dword of BAR slot `dword` belongs to, as the function
   was built: `dword` itself, the low half when `dword` is a 64-bit BAR's
   high half, or -1 for a slot no BAR uses. Walked from BAR 0 over the
   reset image and the slots the builder took, never over live values: a
   high half is guest-writable, so bits 2:1 written there do not make it
   look like a BAR of its own. */
static int pci__bar_index(const pci_function *f, unsigned dword)
{
    for (unsigned b = 0; b < PCI_BAR_COUNT && b <= dword; b++) {
        uint32_t lo = pci__get(f->config, PCI_BAR(b), 4);
        bool wide = !(lo & PCI_BAR_IO) && (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64;

        if (!(f->bars & (1u << b)))
            continue;
        if (b == dword || (wide && b + 1 == dword))
            return (int)b;
        if (wide)
            b++; /* its high half */
    }
    return -1;
}

/* A device with functions besides 0 says so in function 0's header type
   (6.2.1), or a scan stops after function 0. */
static void pci__mark_mfd(pci_model *m, unsigned dev)
{
    int f0 = pci__slot(m, dev << 3);
    bool others = false;

    for (unsigned fn = 1; fn < 8; fn++)
        others |= pci__slot(m, dev << 3 | fn) >= 0;
    if (f0 < 0 || !others)
        return;
    m->cfg.fn[f0].config[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MFD;
    m->s.space[f0][PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MFD;
}

PCI_DEF int pci_model_add(pci_model *m, unsigned devfn, const pci_function *f)
{
    unsigned slot = m->cfg.count;

    if (devfn > 255 || !f)
        return PCI_EINVAL;
    if (m->cfg.slot_of[devfn])
        return PCI_EBUSY;
    if (slot >= PCI_MODEL_FUNCS)
        return PCI_EFULL;
    m->cfg.fn[slot] = *f;
    m->cfg.devfn[slot] = (uint8_t)devfn;
    m->cfg.slot_of[devfn] = (uint8_t)(slot + 1);
    m->cfg.count = slot + 1;
    pci__copy(m->s.space[slot], f->config, PCI_CONFIG_SIZE);
    pci__mark_mfd(m, devfn >> 3);
    return 0;
}

PCI_DEF bool pci_model_bar(const pci_model *m, unsigned devfn, unsigned bar, uint64_t *base,
                           uint64_t *size)
{
    int slot = pci__slot(m, devfn);
    const pci_function *f;
    const uint8_t *sp;
    uint32_t lo, cmd;
    uint64_t wm, addr;

    if (slot < 0 || bar >= PCI_BAR_COUNT)
        return false;
    f = &m->cfg.fn[slot];
    if (pci__bar_index(f, bar) != (int)bar)
        return false; /* no BAR, or a 64-bit BAR's high half */
    sp = m->s.space[slot];
    lo = pci__get(sp, PCI_BAR(bar), 4);
    wm = pci__get(f->wmask, PCI_BAR(bar), 4);
    addr = lo & (lo & PCI_BAR_IO ? PCI_BAR_IO_MASK : PCI_BAR_MEM_MASK);
    if (!(lo & PCI_BAR_IO) && (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64 &&
        bar + 1 < PCI_BAR_COUNT) {
        wm |= (uint64_t)pci__get(f->wmask, PCI_BAR(bar + 1), 4) << 32;
        addr |= (uint64_t)pci__get(sp, PCI_BAR(bar + 1), 4) << 32;
    }
    cmd = pci__get(sp, PCI_COMMAND, 2);
    if (!wm || !(cmd & (lo & PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
        return false;
    if (base)
        *base = addr;
    if (size)
        *size = wm & (~wm + 1);
    return true;
}

//! [pci-model-intx]
/* The INTx# output of a slot (PCI 3.0, 6.2.2 and 6.2.3): the level the
   device logic holds in STATUS.INTERRUPT, unless INTX_DISABLE. */
static bool pci__intx_out(const pci_model *m, int slot)
{
    const uint8_t *sp = m->s.space[slot];

    return (pci__get(sp, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT) &&
           !(pci__get(sp, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
}

static void pci__intx_drive(pci_model *m, int slot)
{
    unsigned pin = m->cfg.fn[slot].config[PCI_INTERRUPT_PIN];

    if (pin && m->hooks.intx)
        m->hooks.intx(m->hooks.ctx, m->cfg.devfn[slot], pin, pci__intx_out(m, slot));
}

PCI_DEF void pci_model_set_intx(pci_model *m, unsigned devfn, bool level)
{
    int slot = pci__slot(m, devfn);
    uint8_t *st;
    bool was;

    if (slot < 0 || !m->cfg.fn[slot].config[PCI_INTERRUPT_PIN])
        return;
    st = &m->s.space[slot][PCI_STATUS];
    was = pci__intx_out(m, slot);
    *st = (uint8_t)(level ? *st | PCI_STATUS_INTERRUPT : *st & ~PCI_STATUS_INTERRUPT);
    if (pci__intx_out(m, slot) != was)
        pci__intx_drive(m, slot);
}
//! [pci-model-intx]

PCI_DEF uint32_t pci_model_config(const pci_model *m, unsigned devfn, uint16_t reg,
                                  unsigned width)
{
    int slot = pci__slot(m, devfn);

    if (slot < 0 || reg >= PCI_CONFIG_SIZE || !pci__in_dword(reg, width))
        return (uint32_t)pci__ones(width);
    return pci__get(m->s.space[slot], reg, width);
}

/* Tell the board about every BAR, command register and INTx# output:
   after a reset or a restore it may hold none of the current values. */
static void pci__redrive(pci_model *m)
{
    for (unsigned i = 0; i < m->cfg.count; i++)
        pci__intx_drive(m, (int)i);
    if (!m->hooks.bar_changed)
        return;
    for (unsigned i = 0; i < m->cfg.count; i++) {
        const pci_function *f = &m->cfg.fn[i];

        /* Every BAR by its low half: one of 4 GiB or more has no writable
           bit there, so the slots the builder took say what is a BAR. */
        for (unsigned b = 0; b < PCI_BAR_COUNT; b++)
            if (pci__bar_index(f, b) == (int)b)
                m->hooks.bar_changed(m->hooks.ctx, m->cfg.devfn[i], b);
        m->hooks.bar_changed(m->hooks.ctx, m->cfg.devfn[i], PCI_MODEL_COMMAND);
    }
}

PCI_DEF void pci_model_init(pci_model *m, const pci_model_hooks *h)
{
    pci_function host;

    pci__zero(m, sizeof *m);
    if (h)
        m->hooks = *h;
    m->cfg.cf8_partial = false;
    pci_function_init(&host, PCI_HOST_VENDOR, PCI_HOST_DEVICE, PCI_HOST_CLASS, 0);
    pci_model_add(m, PCI_DEVFN(0, 0), &host);
    pci_model_reset(m);
}

PCI_DEF void pci_model_reset(void *m)
{
    pci_model *pm = (pci_model *)m;

    pci__zero(&pm->s, sizeof pm->s);
    pm->s.version = PCI_STATE_VERSION;
    for (unsigned i = 0; i < pm->cfg.count; i++)
        pci__copy(pm->s.space[i], pm->cfg.fn[i].config, PCI_CONFIG_SIZE);
    pci__redrive(pm);
}

/* A write changed bits `diff` of the dword at `dword`: tell the board if
   that is a BAR or the command register. The high half of a 64-bit BAR is
   reported as its low half, which is how pci_model_bar() names it. */
static void pci__changed(pci_model *m, int slot, unsigned dword, uint32_t diff)
{
    unsigned devfn = m->cfg.devfn[slot];
    int bar;

    if (!m->hooks.bar_changed)
        return;
    if (dword == PCI_COMMAND) {
        if (diff & 0xffffu)
            m->hooks.bar_changed(m->hooks.ctx, devfn, PCI_MODEL_COMMAND);
        return;
    }
    if (dword < PCI_BAR0 || dword >= PCI_BAR(PCI_BAR_COUNT))
        return;
    /* Only a BAR's writable bits change, so a slot no BAR uses never gets
       here; the check keeps a board's edited masks from naming one. */
    bar = pci__bar_index(&m->cfg.fn[slot], (dword - PCI_BAR0) / 4);
    if (bar >= 0)
        m->hooks.bar_changed(m->hooks.ctx, devfn, (unsigned)bar);
}

//! [pci-model-config]
/* One configuration read of bus:devfn, register `reg` (below 4096), that
   stays in one dword. Absent functions float high (a master abort); the
   space above 256 of a present one is an empty extended list. The board's
   cfg_read hook sees the rest. */
static uint64_t pci__config_read(pci_model *m, unsigned bus, unsigned devfn, unsigned reg,
                                 unsigned width)
{
    int slot = bus == 0 ? pci__slot(m, devfn) : -1;
    uint32_t v;

    if (slot < 0)
        return pci__ones(width);
    if (reg >= PCI_CONFIG_SIZE)
        return 0;
    PCI_ASSERT(pci__in_dword(reg, width));
    v = pci__get(m->s.space[slot], reg, width);
    /* The board may answer for a register it owns. */
    if (m->hooks.cfg_read && m->hooks.cfg_read(m->hooks.ctx, devfn, (uint16_t)reg, width, &v))
        v &= (uint32_t)pci__ones(width);
    return v;
}

/* Each byte through its masks: the writable bits take the value, a 1 in
   a write-1-to-clear bit clears it, the rest stay (PCI 3.0, 6.2). Then
   the board hears of it: a moved BAR, INTx# held off or let through by
   INTX_DISABLE, and the write itself. */
static void pci__config_write(pci_model *m, unsigned bus, unsigned devfn, unsigned reg,
                              unsigned width, uint64_t value)
{
    int slot = bus == 0 ? pci__slot(m, devfn) : -1;
    const pci_function *f;
    uint8_t *sp;
    uint32_t dword = reg & ~3u, before, after;

    if (slot < 0 || reg >= PCI_CONFIG_SIZE)
        return;
    PCI_ASSERT(pci__in_dword(reg, width));
    f = &m->cfg.fn[slot];
    sp = m->s.space[slot];
    before = pci__get(sp, dword, 4);
    for (unsigned i = 0; i < width; i++) {
        unsigned o = reg + i;
        uint8_t b = (uint8_t)(value >> (8 * i));
        uint8_t x = (uint8_t)((sp[o] & ~f->wmask[o]) | (b & f->wmask[o]));

        sp[o] = (uint8_t)(x & ~(b & f->w1c[o]));
    }
    after = pci__get(sp, dword, 4);
    if (before != after)
        pci__changed(m, slot, dword, before ^ after);
    /* The output moves only if the device asserts (STATUS.INTERRUPT is
       the dword's bit 19, and read-only). */
    if (dword == PCI_COMMAND && ((before ^ after) & PCI_COMMAND_INTX_DISABLE) &&
        (after & (uint32_t)PCI_STATUS_INTERRUPT << 16))
        pci__intx_drive(m, slot);
    if (m->hooks.cfg_written)
        m->hooks.cfg_written(m->hooks.ctx, devfn, (uint16_t)reg, width);
}
//! [pci-model-config]

//! [pci-model-cam1]
/* CONFIG_ADDRESS is a dword register (PCI 3.0, 3.2.2.3.2: "any other
   types of accesses to this address (non-DWORD) have no effect on
   CONFIG_ADDRESS"), unless the board asks for byte lanes. Bits 30:24 are
   reserved and 1:0 are the type field a host bridge forms itself: neither
   is stored. */
static bool pci__cf8_access(const pci_model *m, uint64_t offset, unsigned width)
{
    if (offset == PCI_MODEL_CF8 && width == 4)
        return true;
    return m->cfg.cf8_partial && offset < PCI_MODEL_CFC && pci__in_dword((unsigned)offset, width);
}

/* CONFIG_DATA: the byte lanes of the dword CONFIG_ADDRESS selects, if its
   enable bit is set; otherwise the access is plain I/O nobody claims. */
static bool pci__cfc_target(const pci_model *m, uint64_t offset, unsigned width, unsigned *bus,
                            unsigned *devfn, unsigned *reg)
{
    uint32_t a = m->s.config_address;

    if (offset < PCI_MODEL_CFC || offset >= PCI_MODEL_LEN ||
        !pci__in_dword((unsigned)offset, width) || !(a & PCI_CF8_ENABLE))
        return false;
    *bus = (a >> 16) & 255u;
    *devfn = (a >> 8) & 255u;
    *reg = (a & 0xfcu) | ((unsigned)offset & 3u);
    return true;
}

PCI_DEF uint64_t pci_model_read(void *m, uint64_t offset, unsigned width)
{
    pci_model *pm = (pci_model *)m;
    unsigned bus, devfn, reg;

    if (pci__cf8_access(pm, offset, width))
        return (pm->s.config_address >> (8 * offset)) & pci__ones(width);
    if (pci__cfc_target(pm, offset, width, &bus, &devfn, &reg))
        return pci__config_read(pm, bus, devfn, reg, width);
    return pci__ones(width);
}

PCI_DEF void pci_model_write(void *m, uint64_t offset, unsigned width, uint64_t value)
{
    pci_model *pm = (pci_model *)m;
    unsigned bus, devfn, reg;

    if (pci__cf8_access(pm, offset, width)) {
        uint32_t lanes = (uint32_t)(pci__ones(width) << (8 * offset));
        uint32_t v = (uint32_t)(value << (8 * offset));

        pm->s.config_address = ((pm->s.config_address & ~lanes) | (v & lanes)) & PCI_CF8_BITS;
    } else if (pci__cfc_target(pm, offset, width, &bus, &devfn, &reg)) {
        pci__config_write(pm, bus, devfn, reg, width, value);
    }
}
//! [pci-model-cam1]

//! [pci-model-ecam]
/* ECAM: the offset is the address, no register in between. */
static bool pci__ecam_target(uint64_t offset, unsigned width, unsigned *bus, unsigned *devfn,
                             unsigned *reg)
{
    if (offset >= PCI_MODEL_ECAM_LEN || !pci__in_dword((unsigned)(offset & 0xfffu), width))
        return false;
    *bus = (unsigned)(offset >> 20) & 255u;
    *devfn = (unsigned)(offset >> 12) & 255u;
    *reg = (unsigned)offset & 0xfffu;
    return true;
}

PCI_DEF uint64_t pci_model_ecam_read(void *m, uint64_t offset, unsigned width)
{
    unsigned bus, devfn, reg;

    if (!pci__ecam_target(offset, width, &bus, &devfn, &reg))
        return pci__ones(width);
    return pci__config_read((pci_model *)m, bus, devfn, reg, width);
}

PCI_DEF void pci_model_ecam_write(void *m, uint64_t offset, unsigned width, uint64_t value)
{
    unsigned bus, devfn, reg;

    if (pci__ecam_target(offset, width, &bus, &devfn, &reg))
        pci__config_write((pci_model *)m, bus, devfn, reg, width, value);
}
//! [pci-model-ecam]

PCI_DEF int64_t pci_model_save(void *m, void *buf, size_t size)
{
    pci_model *pm = (pci_model *)m;

    if (size < sizeof pm->s)
        return -1;
    pci__copy(buf, &pm->s, sizeof pm->s);
    return (int64_t)sizeof pm->s;
}

//! [pci-model-valid]
/* A state this bus can be in: every bit a guest cannot write is what the
   function was built with (so a snapshot cannot change a vendor ID, a
   BAR's type or a capability pointer), and unused slots are empty. The
   write-1-to-clear bits may be anything: a device sets them; so may
   STATUS.INTERRUPT, where there is a pin. `space` is the saved spaces,
   slot after slot. */
static bool pci__valid(const pci_model *m, uint32_t version, uint32_t address,
                       const uint8_t *space)
{
    if (version != PCI_STATE_VERSION || (address & ~PCI_CF8_BITS))
        return false;
    for (unsigned i = 0; i < PCI_MODEL_FUNCS; i++) {
        const pci_function *f = &m->cfg.fn[i];
        const uint8_t *sp = space + (size_t)i * PCI_CONFIG_SIZE;

        for (unsigned o = 0; o < PCI_CONFIG_SIZE; o++) {
            uint8_t fixed = i < m->cfg.count ? (uint8_t)~(f->wmask[o] | f->w1c[o]) : 0xff;
            uint8_t want = i < m->cfg.count ? f->config[o] : 0;

            /* The device logic sets STATUS.INTERRUPT, if it has a pin. */
            if (o == PCI_STATUS && i < m->cfg.count && f->config[PCI_INTERRUPT_PIN])
                fixed = (uint8_t)(fixed & ~PCI_STATUS_INTERRUPT);
            if ((sp[o] ^ want) & fixed)
                return false;
        }
    }
    return true;
}
//! [pci-model-valid]

PCI_DEF int64_t pci_model_restore(void *m, const void *buf, size_t size)
{
    pci_model *pm = (pci_model *)m;
    const uint8_t *b = (const uint8_t *)buf;
    uint32_t version, address;

    /* A snapshot is input like any other: check it before trusting it.
       It is big, so it is checked where it lies, as bytes (`buf` need not
       be aligned), and copied only once it has passed. */
    if (size != sizeof pm->s)
        return -1;
    pci__copy(&version, b + offsetof(pci_state, version), sizeof version);
    pci__copy(&address, b + offsetof(pci_state, config_address), sizeof address);
    if (!pci__valid(pm, version, address, b + offsetof(pci_state, space)))
        return -1;
    pci__copy(&pm->s, buf, sizeof pm->s);
    pci__redrive(pm);
    return (int64_t)sizeof pm->s;
}

/* ---- MSI-X table and PBA ---- */

/* A vector count is kept in Message Control's 11 bits. */
typedef char pci__msix_fit[PCI_MSIX_VECTORS >= 1 && PCI_MSIX_VECTORS <= 2048 ? 1 : -1];

#define PCI__MSIX_CTL (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)
#define PCI__MSIX_LO   (PCI_MSIX_ENTRY_ADDR_LO / 4)
#define PCI__MSIX_HI   (PCI_MSIX_ENTRY_ADDR_HI / 4)
#define PCI__MSIX_DATA (PCI_MSIX_ENTRY_DATA / 4)
#define PCI__MSIX_VCTL (PCI_MSIX_ENTRY_CTRL / 4)

/* The vectors the table holds: what the board configured, within the
   state's room even if it set more (book/security.md, rule 1). */
static unsigned pci__msix_n(const pci_msix *x)
{
    return x->cfg.vectors < PCI_MSIX_VECTORS ? x->cfg.vectors : PCI_MSIX_VECTORS;
}

PCI_DEF int pci_msix_init(pci_msix *x, unsigned vectors, const pci_msix_hooks *h)
{
    bool ok = vectors >= 1 && vectors <= PCI_MSIX_VECTORS;

    pci__zero(x, sizeof *x);
    if (h)
        x->hooks = *h;
    x->cfg.vectors = ok ? vectors : 0;
    x->cfg.pba_offset = PCI_MSIX_PBA_OFFSET(x->cfg.vectors);
    pci_msix_reset(x);
    return ok ? 0 : PCI_EINVAL;
}

/* PCIe 6.0, 7.7.2: every entry's Mask Bit is 1 after reset. */
PCI_DEF void pci_msix_reset(void *x)
{
    pci_msix *mx = (pci_msix *)x;

    pci__zero(&mx->s, sizeof mx->s);
    mx->s.version = PCI_MSIX_STATE_VERSION;
    for (unsigned v = 0; v < pci__msix_n(mx); v++)
        mx->s.table[v][PCI__MSIX_VCTL] = PCI_MSIX_ENTRY_CTRL_MASKED;
}

PCI_DEF bool pci_msix_enabled(const pci_msix *x)
{
    return (x->s.control & PCI_MSIX_FLAGS_ENABLE) != 0;
}

PCI_DEF bool pci_msix_pending(const pci_msix *x, unsigned vector)
{
    return vector < pci__msix_n(x) && ((x->s.pba[vector / 64] >> (vector % 64)) & 1u);
}

//! [pci-msix-signal]
/* PCI 3.0, 6.8.3: a masked vector's event sets its pending bit; once
   the vector and the function are unmasked (and MSI-X is on), the
   function sends the message and clears the bit. */
static bool pci__msix_masked(const pci_msix *x, unsigned v)
{
    return (x->s.control & PCI_MSIX_FLAGS_MASKALL) ||
           (x->s.table[v][PCI__MSIX_VCTL] & PCI_MSIX_ENTRY_CTRL_MASKED);
}

/* The bit is clear before the hook runs, so a board that saves from it
   saves a state restore accepts. */
static void pci__msix_send(pci_msix *x, unsigned v)
{
    const uint32_t *e = x->s.table[v];

    PCI_ASSERT(v < pci__msix_n(x) && !pci__msix_masked(x, v));
    x->s.pba[v / 64] &= ~(1ull << (v % 64));
    x->stats.delivered++;
    if (x->hooks.msi)
        x->hooks.msi(x->hooks.ctx, (uint64_t)e[PCI__MSIX_HI] << 32 | e[PCI__MSIX_LO],
                     e[PCI__MSIX_DATA]);
}

PCI_DEF void pci_msix_signal(pci_msix *x, unsigned vector)
{
    if (vector >= pci__msix_n(x)) {
        x->stats.unknown_vector++;
    } else if (!pci_msix_enabled(x)) {
        x->stats.disabled++;
    } else if (pci__msix_masked(x, vector)) {
        x->s.pba[vector / 64] |= 1ull << (vector % 64);
        x->stats.pended++;
    } else {
        pci__msix_send(x, vector);
    }
}

/* Every vector that is pending and may now be sent, lowest first: at most
   `vectors` messages, however the guest set the masks (book/security.md,
   rule 2). */
static void pci__msix_flush(pci_msix *x)
{
    if (!pci_msix_enabled(x) || (x->s.control & PCI_MSIX_FLAGS_MASKALL))
        return;
    for (unsigned v = 0; v < pci__msix_n(x); v++)
        if (pci_msix_pending(x, v) && !pci__msix_masked(x, v))
            pci__msix_send(x, v);
}

PCI_DEF void pci_msix_control(pci_msix *x, uint16_t message_control)
{
    x->s.control = message_control & PCI__MSIX_CTL;
    pci__msix_flush(x);
}
//! [pci-msix-signal]

//! [pci-msix-access]
/* The table dword at `off` (4-aligned, inside the table) takes `v`:
   address bits 1:0 and vector control bits 31:1 stay 0. Unmasking a
   pending vector sends it. */
static void pci__msix_put(pci_msix *x, uint64_t off, uint32_t v)
{
    unsigned vec = (unsigned)(off / PCI_MSIX_ENTRY_SIZE), dw = (unsigned)(off % 16) / 4;
    static const uint32_t keep[4] = { 0xfffffffcu, 0xffffffffu, 0xffffffffu,
                                      PCI_MSIX_ENTRY_CTRL_MASKED };

    x->s.table[vec][dw] = v & keep[dw];
    if (dw == PCI__MSIX_VCTL && pci_msix_pending(x, vec) && pci_msix_enabled(x) &&
        !pci__msix_masked(x, vec))
        pci__msix_send(x, vec);
}

/* Which structure an access of `width` at `off` reaches (PCIe 6.0, 6.1.4:
   aligned dwords and qwords only): 1 the table, 2 the PBA, 0 neither, a
   hole that reads all-ones (book/security.md, rule 5). */
static int pci__msix_decode(const pci_msix *x, uint64_t off, unsigned width)
{
    uint64_t tlen = PCI_MSIX_ENTRY_SIZE * (uint64_t)pci__msix_n(x), pba = x->cfg.pba_offset;

    if ((width != 4 && width != 8) || (off & (width - 1)))
        return 0;
    if (off < tlen)
        return 1; /* an aligned access never straddles an entry */
    if (!(pba & 7) && off >= pba && off - pba < PCI_MSIX_PBA_SIZE(pci__msix_n(x)))
        return 2;
    return 0;
}

static uint32_t pci__msix_dword(const pci_msix *x, int where, uint64_t off)
{
    uint64_t q;

    if (where == 1)
        return x->s.table[off / PCI_MSIX_ENTRY_SIZE][(off % 16) / 4];
    q = x->s.pba[(off - x->cfg.pba_offset) / 8];
    return (uint32_t)(q >> (off & 4 ? 32 : 0));
}

PCI_DEF uint64_t pci_msix_read(void *x, uint64_t offset, unsigned width)
{
    pci_msix *mx = (pci_msix *)x;
    int where = pci__msix_decode(mx, offset, width);
    uint64_t v;

    if (!where) {
        mx->stats.bad_access++;
        return pci__ones(width);
    }
    v = pci__msix_dword(mx, where, offset);
    if (width == 8)
        v |= (uint64_t)pci__msix_dword(mx, where, offset + 4) << 32;
    return v;
}

PCI_DEF void pci_msix_write(void *x, uint64_t offset, unsigned width, uint64_t value)
{
    pci_msix *mx = (pci_msix *)x;
    int where = pci__msix_decode(mx, offset, width);

    if (where != 1) {
        mx->stats.bad_access++; /* the PBA is read-only too */
        return;
    }
    pci__msix_put(mx, offset, (uint32_t)value);
    if (width == 8)
        pci__msix_put(mx, offset + 4, (uint32_t)(value >> 32));
}
//! [pci-msix-access]

PCI_DEF int64_t pci_msix_save(void *x, void *buf, size_t size)
{
    pci_msix *mx = (pci_msix *)x;

    if (size < sizeof mx->s)
        return -1;
    pci__copy(buf, &mx->s, sizeof mx->s);
    return (int64_t)sizeof mx->s;
}

//! [pci-msix-valid]
/* A field of a saved state, read where it lies (`b` need not be aligned). */
static uint64_t pci__msix_field(const uint8_t *b, size_t off, size_t len)
{
    uint64_t q = 0;
    uint32_t d = 0;

    if (len == 8) {
        pci__copy(&q, b + off, 8);
        return q;
    }
    pci__copy(&d, b + off, 4);
    return d;
}

/* A state the table can be in: the bits it stores and no others, nothing
   past its vectors, and nothing pending that it would have sent
   (book/security.md, rule 4: a restore refuses the rest). */
static bool pci__msix_valid(const pci_msix *x, const uint8_t *b)
{
    uint32_t control = (uint32_t)pci__msix_field(b, offsetof(pci_msix_state, control), 4);
    bool live = control == PCI_MSIX_FLAGS_ENABLE;
    size_t table = offsetof(pci_msix_state, table), pba = offsetof(pci_msix_state, pba);

    if (pci__msix_field(b, offsetof(pci_msix_state, version), 4) != PCI_MSIX_STATE_VERSION ||
        (control & ~PCI__MSIX_CTL))
        return false;
    for (unsigned v = 0; v < PCI_MSIX_VECTORS; v++) {
        size_t e = table + (size_t)v * PCI_MSIX_ENTRY_SIZE;
        uint64_t lo = pci__msix_field(b, e + PCI_MSIX_ENTRY_ADDR_LO, 4);
        uint64_t ctl = pci__msix_field(b, e + PCI_MSIX_ENTRY_CTRL, 4);
        uint64_t rest = pci__msix_field(b, e + PCI_MSIX_ENTRY_ADDR_HI, 4) |
                        pci__msix_field(b, e + PCI_MSIX_ENTRY_DATA, 4);
        bool pending = (pci__msix_field(b, pba + (v / 64) * 8, 8) >> (v % 64)) & 1u;

        if (v >= pci__msix_n(x)) {
            if (lo | ctl | rest || pending)
                return false;
        } else if ((lo & 3u) || (ctl & ~(uint64_t)PCI_MSIX_ENTRY_CTRL_MASKED) ||
                   (pending && live && !(ctl & PCI_MSIX_ENTRY_CTRL_MASKED))) {
            return false;
        }
    }
    return true;
}
//! [pci-msix-valid]

/* Like the bus's snapshot, checked where it lies and copied once it has
   passed. */
PCI_DEF int64_t pci_msix_restore(void *x, const void *buf, size_t size)
{
    pci_msix *mx = (pci_msix *)x;

    if (size != sizeof mx->s || !pci__msix_valid(mx, (const uint8_t *)buf))
        return -1;
    pci__copy(&mx->s, buf, sizeof mx->s);
    return (int64_t)sizeof mx->s;
}

#endif /* PCI_IMPLEMENTATION */

/*
   LICENSE

   This file is available under your choice of two licenses.

   MIT License. Copyright (c) 2026 the Breadboard authors.
   Permission is hereby granted, free of charge, to any person obtaining a copy
   of this software and associated documentation files (the "Software"), to deal
   in the Software without restriction, including without limitation the rights
   to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
   copies of the Software, and to permit persons to whom the Software is
   furnished to do so, subject to the following conditions: the above copyright
   notice and this permission notice shall be included in all copies or
   substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS",
   WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.

   Public domain (www.unlicense.org). Anyone is free to copy, modify, publish,
   use, compile, sell, or distribute this software, either in source code form
   or as a compiled binary, for any purpose, commercial or non-commercial, and
   by any means.
*/
