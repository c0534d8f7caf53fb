/* pci.h - PCI configuration space: one layout, a driver and a host-bridge
   model.

   WHAT IT IS
   Every PCI function has 256 bytes of configuration space (4096 on PCI
   Express): who it is, what it decodes, where its registers live, which
   interrupt pin it drives and a linked list of capabilities. This header
   holds both roles that meet at that space:
     - the driver (pci_drv_*), which a kernel uses to read and write
       configuration space through an access hook (mechanism #1 ports or an
       ECAM window), scan the buses, size BARs and walk capability lists;
     - the device model (pci_model_*), a host bridge with bus 0 behind it,
       which a monitor gives its guest, with the model contract of
       book/chipset.md, "The shape of a device model", and builder calls
       (pci_function_*) for the type-0 functions on that bus.
   They share the offsets and bits below, so the driver is run on the host
   straight against the model (that is how the tests check both).

   HARDWARE
   PCI Local Bus Specification 3.0: 6.1 (the type-0 header), 6.2.2 and
   6.2.3 (command and status; status error bits are write 1 to clear),
   6.2.5.1 (BARs: write all-ones, read back, the low bits say the kind),
   6.7 and appendix H (capability list and IDs), 3.2.2.3.2 (configuration
   mechanism #1: CONFIG_ADDRESS at 0xCF8, 32-bit accesses only,
   CONFIG_DATA at 0xCFC-0xCFF). PCI-to-PCI Bridge Architecture 1.2,
   3.2 (the type-1 header: primary, secondary, subordinate bus). PCI
   Express Base 6.0, 7.2.2 (ECAM: bus << 20 | device << 15 | function
   << 12 | register) and 7.6.3 (an empty extended capability list reads
   0 at 0x100). The host bridge answers as QEMU's q35 MCH does (Intel
   82G33/ICH9: vendor 0x8086, device 0x29c0, class 0x060000).

   What the model leaves out: buses other than 0 (no bridges behind it),
   expansion ROMs (0x30 reads 0), INTx and MSI delivery (the pin is
   advertised; a board that wires an interrupt does so outside), and
   device logic behind the capabilities (their bytes are the builder's).

   BOOK
   book/pci.md.

   USAGE
   In exactly one C file:
       #define PCI_IMPLEMENTATION
       #include "pci.h"
   Model, in a monitor:
       static pci_model m;                  // big: 256-byte spaces and masks
       pci_model_hooks h = { remap_bars, ctx };
       pci_model_init(&m, &h);              // the host bridge at 00.0
       pci_function f;
       pci_function_init(&f, 0x1af4, 0x1000, 0x020000, 0);
       pci_function_bar(&f, 0, 4096, 0);    // 4 KiB of 32-bit MMIO
       pci_function_irq(&f, 1);             // INTA#
       pci_model_add(&m, PCI_DEVFN(3, 0), &f);
       // ports 0xCF8-0xCFF: pci_model_read/write, offset = port - 0xCF8
       // an MMIO window: pci_model_ecam_read/write, offset from its base
   Driver, given port I/O:
       pci_drv_cam1 c = { my_in, my_out, my_ctx };
       pci_drv d;
       pci_drv_use_cam1(&d, &c);
       pci_drv_scan(&d, found, found_ctx);  // found(ctx, bdf, ...) each
       pci_drv_bar_size(&d, bdf, 0, &base, &size, &flags);
       uint8_t msi = pci_drv_find_cap(&d, bdf, PCI_CAP_ID_MSI, 0);

   OVERRIDABLE MACROS (define before the include)
     PCI_DEF          linkage of public functions   (default: extern)
     PCI_STATIC       define it to make every public function static
     PCI_ASSERT       assertion for the model's internal invariants: a slot
                      found through the devfn map is one the table holds,
                      an access the model decoded stays inside one dword of
                      the 256-byte space (default: none). Never called on
                      guest input, which is handled.
     PCI_MODEL_FUNCS  functions the model's bus 0 holds, host bridge
                      included (default 32; 1 to 255)

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
    See @ref pci. */

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
#define PCI_EFULL  (-3) /**< the table holds PCI_MODEL_FUNCS functions */

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

/** Zero `m`, copy `*h` (NULL: no hooks), set `cfg` to its defaults (the
    host bridge at 00.0 and nothing else) and reset. */
PCI_DEF void pci_model_init(pci_model *m, const pci_model_hooks *h);
/** Power-on state: CONFIG_ADDRESS 0, every function's space its reset
    image. Keeps `hooks` and `cfg`; tells bar_changed about every BAR and
    command register. */
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
    unused slot. Then tells bar_changed about every BAR and command. */
PCI_DEF int64_t pci_model_restore(void *m, const void *buf, size_t size);

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

/* PCI 3.0, 6.2.5.1. The decoders are off while a BAR holds all-ones, so
   the function never answers at the address that value names. The size
   is the lowest address bit that stuck: upper bits a device hardwires to 0
   (an I/O BAR that decodes 16 bits) do not change it. */
PCI_DEF int pci_drv_bar_size(const pci_drv *d, uint32_t bdf, unsigned bar, uint64_t *base,
                             uint64_t *size, uint32_t *flags)
{
    unsigned reg = PCI_BAR(bar);
    uint32_t cmd, lo, hi = 0, mlo, mhi = 0, fl;
    uint64_t addr, mask;
    int used = 1;

    if (bar >= PCI_BAR_COUNT)
        return -1;
    lo = pci__rd(d, bdf, reg, 4);
    fl = lo & (lo & PCI_BAR_IO ? 0x3u : 0xfu);
    if (!(fl & PCI_BAR_IO) && (fl & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64) {
        if (bar + 1 >= PCI_BAR_COUNT)
            return -1;
        used = 2;
    }
    cmd = pci__rd(d, bdf, PCI_COMMAND, 2);
    pci__wr(d, bdf, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_DECODE);
    mlo = pci__probe(d, bdf, reg, &lo);
    if (used == 2)
        mhi = pci__probe(d, bdf, reg + 4, &hi);
    pci__wr(d, bdf, PCI_COMMAND, 2, cmd);

    mask = (uint64_t)mhi << 32 | (mlo & (fl & PCI_BAR_IO ? PCI_BAR_IO_MASK : PCI_BAR_MEM_MASK));
    addr = (uint64_t)hi << 32 | (lo & (fl & PCI_BAR_IO ? PCI_BAR_IO_MASK : PCI_BAR_MEM_MASK));
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

/* Tell the board about every BAR and command register: after a reset or
   a restore it may hold none of the current values. */
static void pci__redrive(pci_model *m)
{
    if (!m->hooks.bar_changed)
        return;
    for (unsigned i = 0; i < m->cfg.count; i++) {
        const pci_function *f = &m->cfg.fn[i];

        for (unsigned b = 0; b < PCI_BAR_COUNT; b++) {
            uint32_t lo = pci__get(f->config, PCI_BAR(b), 4);

            if (pci__get(f->wmask, PCI_BAR(b), 4))
                m->hooks.bar_changed(m->hooks.ctx, m->cfg.devfn[i], b);
            if (!(lo & PCI_BAR_IO) && (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64)
                b++; /* its high half is part of it */
        }
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
    const uint8_t *sp = m->s.space[slot];
    unsigned devfn = m->cfg.devfn[slot], bar;

    if (!m->hooks.bar_changed)
        return;
    if (dword == PCI_COMMAND) {
        if (diff & 0xffffu)
            m->hooks.bar_changed(m->hooks.ctx, devfn, PCI_MODEL_COMMAND);
        return;
    }
    if (dword < PCI_BAR0 || dword >= PCI_BAR(PCI_BAR_COUNT))
        return;
    bar = (dword - PCI_BAR0) / 4;
    if (bar > 0) {
        uint32_t below = pci__get(sp, PCI_BAR(bar - 1), 4);

        if (!(below & PCI_BAR_IO) && (below & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64 &&
            pci__get(m->cfg.fn[slot].wmask, PCI_BAR(bar - 1), 4))
            bar--;
    }
    m->hooks.bar_changed(m->hooks.ctx, devfn, bar);
}

//! [pci-model-config]
/* One configuration read of bus:devfn, register `reg` (below 4096), that
   stays in one dword. Absent functions float high (a master abort); the
   space above 256 of a present one is an empty extended list. */
static uint64_t pci__config_read(pci_model *m, unsigned bus, unsigned devfn, unsigned reg,
                                 unsigned width)
{
    int slot = bus == 0 ? pci__slot(m, devfn) : -1;

    if (slot < 0)
        return pci__ones(width);
    if (reg >= PCI_CONFIG_SIZE)
        return 0;
    PCI_ASSERT(pci__in_dword(reg, width));
    return pci__get(m->s.space[slot], reg, width);
}

/* Each byte through its masks: the writable bits take the value, a 1 in
   a write-1-to-clear bit clears it, the rest stay (PCI 3.0, 6.2). */
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
   write-1-to-clear bits may be anything: a device sets them. `space` is
   the saved spaces, slot after slot. */
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
