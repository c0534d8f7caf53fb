/* acpi.h - the ACPI tables' layout: RSDP, the table header, XSDT/RSDT, MADT,
   FADT, and the few AML encodings a DSDT's \_S5 object needs.

   WHAT IT IS
   The byte layout of the firmware tables a PC kernel reads to find its
   interrupt controllers and fixed hardware, written down once for both
   sides that meet at them:
     - a reader, such as the x64 kernel (arch/x64/acpi.c), which walks
       RSDP -> XSDT or RSDT -> MADT and FADT and must check every byte;
     - a writer, such as the monitor (vm/acpi.c), which builds the tables in
       its guest's RAM.
   Fields are given as byte offsets from the start of their table or
   structure, not as C structs: firmware places tables on any boundary and
   the FADT's 64-bit fields are not naturally aligned, so both sides go
   through the little-endian byte helpers below, which do not depend on
   the host's byte order or alignment. The header also holds the one
   checksum rule every table obeys. The policy of each side (which tables a
   monitor writes, what a kernel refuses) stays in its own file.

   SPEC
   ACPI Specification 6.5 (2022), section 5.2: 5.2.5 (RSDP; 5.2.5.1 where
   firmware puts it, 5.2.5.3 its layout), 5.2.6 (the System Description
   Table header), 5.2.7 (RSDT), 5.2.8 (XSDT), 5.2.9 (FADT, table 5.9 for
   the offsets, table 5.10 for the flags, 5.2.9.3 for IA-PC boot
   architecture flags), 5.2.3.2 (Generic Address Structure), 5.2.12 (MADT:
   5.2.12.2 Processor Local APIC, 5.2.12.3 I/O APIC, 5.2.12.5 Interrupt
   Source Override and its MPS INTI flags). Section 5.2 makes every
   numeric field of every table little-endian. 4.8.3.6 (the reset register
   the FADT names). 5.2.11.1 (the DSDT: a header, then AML), 7.4.2 (the
   \_Sx packages: SLP_TYP values first) and 20.2 (the AML encoding: 20.2.2
   names, 20.2.3 data objects, 20.2.4 package lengths, 20.2.5 Name and
   Package).

   BOOK
   book/firmware.md, "Describing the machine: ACPI tables".

   USAGE
   In every C file that uses it (the functions are small; each unit may
   keep its own static copy):
       #define ACPI_IMPLEMENTATION
       #define ACPI_STATIC
       #include "acpi.h"         // "../hdr/acpi.h" from a directory that
                                 // has an acpi.h of its own
   Reading:
       if (acpi_sum(t, len) == 0 && acpi_get32(t + ACPI_SDT_LENGTH) == len) ...
       lapic = acpi_get32(t + ACPI_MADT_LAPIC_ADDRESS);
   Writing:
       acpi_put32(t + ACPI_SDT_LENGTH, len);
       acpi_put64(t + ACPI_FADT_X_DSDT, dsdt);
       acpi_set_checksum(t, len, ACPI_SDT_CHECKSUM);   // last, once the bytes are final

   OVERRIDABLE MACROS (define before the include)
     ACPI_DEF      linkage of public functions   (default: extern)
     ACPI_STATIC   define it to make every public function static
     ACPI_ASSERT   assertion for the callers' invariants: a field width
                   given to acpi_getn() or acpi_putn() is at most 8 bytes,
                   the checksum byte acpi_set_checksum() sets lies inside
                   the bytes it sums (default: none). Widths and positions
                   come from the code, never from a table: table contents
                   are input, checked by the reader, never asserted.

   LICENSE at the end of the file.
*/
#ifndef ACPI_H
#define ACPI_H

#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under ACPI_STATIC. */
#ifndef ACPI_DEF
#ifdef ACPI_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define ACPI_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define ACPI_DEF static
#endif
#else
#define ACPI_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file acpi.h
    @brief ACPI table layout (RSDP, header, XSDT/RSDT, MADT, FADT) and the
    little-endian byte helpers and checksum both readers and writers use.
    See @ref firmware.

    Tests: tests/x64_acpi_test.c, tests/vm_acpi_test.c. Used alone:
    book/alone/acpi.c, shown in the chapter's appendix. */

/* ---- signatures -------------------------------------------------------- */

#define ACPI_SIG_RSDP "RSD PTR " /**< the RSDP's 8-byte signature (note the space) */
#define ACPI_SIG_RSDP_LEN 8u     /**< bytes of ACPI_SIG_RSDP compared */
#define ACPI_SIG_LEN  4u         /**< bytes of a table signature */
#define ACPI_SIG_XSDT "XSDT"     /**< Extended System Description Table */
#define ACPI_SIG_RSDT "RSDT"     /**< Root System Description Table (ACPI 1.0) */
#define ACPI_SIG_MADT "APIC"     /**< Multiple APIC Description Table */
#define ACPI_SIG_FADT "FACP"     /**< Fixed ACPI Description Table */
#define ACPI_SIG_DSDT "DSDT"     /**< Differentiated System Description Table */

/* ---- RSDP (5.2.5.3): byte offsets ------------------------------------- */

#define ACPI_RSDP_SIGNATURE    0u  /**< 8 bytes, ACPI_SIG_RSDP */
#define ACPI_RSDP_CHECKSUM     8u  /**< makes the first ACPI_RSDP_V1_LEN bytes sum to 0 */
#define ACPI_RSDP_OEMID        9u  /**< 6 bytes */
#define ACPI_RSDP_REVISION     15u /**< 0: ACPI 1.0 (20 bytes); 2 and up: the fields below exist */
#define ACPI_RSDP_RSDT_ADDRESS 16u /**< 4 bytes: the RSDT's physical address (0: none) */
#define ACPI_RSDP_V1_LEN       20u /**< the ACPI 1.0 part: what ACPI_RSDP_CHECKSUM covers */
#define ACPI_RSDP_LENGTH       20u /**< 4 bytes, revision 2+: the whole RSDP's length */
#define ACPI_RSDP_XSDT_ADDRESS 24u /**< 8 bytes, revision 2+: the XSDT's physical address */
#define ACPI_RSDP_EXT_CHECKSUM 32u /**< revision 2+: makes all ACPI_RSDP_LENGTH bytes sum to 0 */
#define ACPI_RSDP_V2_LEN       36u /**< the revision 2 RSDP: ext. checksum, then 3 reserved bytes */
#define ACPI_RSDP_REVISION_2   2u  /**< the first revision with the XSDT and the length */

/* Where a kernel without a boot protocol's pointer looks (5.2.5.1): on a
   16-byte boundary in the first KiB of the EBDA, whose real-mode segment
   the BIOS data area holds at 0x40E, or in the BIOS area below 1 MiB. */
#define ACPI_RSDP_ALIGN     16u       /**< the scan's step */
#define ACPI_RSDP_EBDA_PTR  0x40eu    /**< 2 bytes: the EBDA's segment (address >> 4) */
#define ACPI_RSDP_EBDA_SCAN 1024u     /**< bytes of the EBDA searched */
#define ACPI_RSDP_BIOS_LO   0xe0000u  /**< the BIOS area searched: [LO, HI) */
#define ACPI_RSDP_BIOS_HI   0x100000u /**< end of the BIOS area (1 MiB) */

//! [sdt-header]
/* ---- the System Description Table header (5.2.6) ---------------------- */

#define ACPI_SDT_SIGNATURE        0u  /**< 4 bytes, ACPI_SIG_* */
#define ACPI_SDT_LENGTH           4u  /**< 4 bytes: the whole table, header included */
#define ACPI_SDT_REVISION         8u  /**< the table's own revision */
#define ACPI_SDT_CHECKSUM         9u  /**< makes all ACPI_SDT_LENGTH bytes sum to 0 */
#define ACPI_SDT_OEMID            10u /**< 6 bytes */
#define ACPI_SDT_OEM_TABLE_ID     16u /**< 8 bytes */
#define ACPI_SDT_OEM_REVISION     24u /**< 4 bytes */
#define ACPI_SDT_CREATOR_ID       28u /**< 4 bytes: the tool that made the table */
#define ACPI_SDT_CREATOR_REVISION 32u /**< 4 bytes */
#define ACPI_SDT_HEADER_LEN       36u /**< every table after the RSDP starts with these bytes */

/* XSDT (5.2.8) and RSDT (5.2.7): the header, then one physical address
   per table, from offset ACPI_SDT_HEADER_LEN to the table's length. */
#define ACPI_XSDT_ENTRY_LEN 8u /**< bytes per XSDT entry: a 64-bit address */
#define ACPI_RSDT_ENTRY_LEN 4u /**< bytes per RSDT entry: a 32-bit address */
//! [sdt-header]

/* ---- MADT (5.2.12) ---------------------------------------------------- */

#define ACPI_MADT_LAPIC_ADDRESS 36u /**< 4 bytes: the local APICs' physical address */
#define ACPI_MADT_FLAGS         40u /**< 4 bytes: ACPI_MADT_PCAT_COMPAT */
#define ACPI_MADT_ENTRIES       44u /**< the interrupt controller structures start here */
#define ACPI_MADT_PCAT_COMPAT   1u  /**< flags: an 8259 pair is present too */

/* Every interrupt controller structure starts with its type and length;
   the next one follows `length` bytes later. */
#define ACPI_MADT_ENTRY_TYPE   0u /**< 1 byte: ACPI_MADT_LAPIC, _IOAPIC, _ISO, ... */
#define ACPI_MADT_ENTRY_LENGTH 1u /**< 1 byte: this structure's length */
#define ACPI_MADT_ENTRY_HEADER 2u /**< the smallest possible length */

/* Processor Local APIC (5.2.12.2). */
#define ACPI_MADT_LAPIC         0u  /**< type */
#define ACPI_MADT_LAPIC_LEN     8u  /**< length */
#define ACPI_MADT_LAPIC_UID     2u  /**< 1 byte: ACPI processor UID */
#define ACPI_MADT_LAPIC_ID      3u  /**< 1 byte: the local APIC's ID */
#define ACPI_MADT_LAPIC_FLAGS   4u  /**< 4 bytes: ACPI_MADT_LAPIC_ENABLED */
#define ACPI_MADT_LAPIC_ENABLED 1u  /**< flags: the processor is usable */

/* I/O APIC (5.2.12.3). */
#define ACPI_MADT_IOAPIC          1u  /**< type */
#define ACPI_MADT_IOAPIC_LEN      12u /**< length */
#define ACPI_MADT_IOAPIC_ID       2u  /**< 1 byte: the I/O APIC's ID (byte 3 is reserved) */
#define ACPI_MADT_IOAPIC_ADDRESS  4u  /**< 4 bytes: its registers' physical address */
#define ACPI_MADT_IOAPIC_GSI_BASE 8u  /**< 4 bytes: the GSI of its pin 0 */

/* Interrupt Source Override (5.2.12.5): ISA IRQ `source` arrives on `gsi`. */
#define ACPI_MADT_ISO         2u  /**< type */
#define ACPI_MADT_ISO_LEN     10u /**< length */
#define ACPI_MADT_ISO_BUS     2u  /**< 1 byte: ACPI_MADT_ISO_BUS_ISA, the only bus defined */
#define ACPI_MADT_ISO_SOURCE  3u  /**< 1 byte: the ISA IRQ */
#define ACPI_MADT_ISO_GSI     4u  /**< 4 bytes: the GSI it arrives on */
#define ACPI_MADT_ISO_FLAGS   8u  /**< 2 bytes: MPS INTI flags, ACPI_MPS_* */
#define ACPI_MADT_ISO_BUS_ISA 0u  /**< bus 0: ISA */

/* MPS INTI flags (5.2.12.5): polarity in bits 1:0, trigger
   mode in bits 3:2; 0 in either means "conforms to the bus", which for
   ISA is active high and edge-triggered. */
#define ACPI_MPS_POLARITY_MASK  0x3u        /**< the polarity field */
#define ACPI_MPS_POLARITY_HIGH  0x1u        /**< active high */
#define ACPI_MPS_POLARITY_LOW   0x3u        /**< active low */
#define ACPI_MPS_TRIGGER_MASK   (0x3u << 2) /**< the trigger mode field */
#define ACPI_MPS_TRIGGER_EDGE   (0x1u << 2) /**< edge-triggered */
#define ACPI_MPS_TRIGGER_LEVEL  (0x3u << 2) /**< level-triggered */

/* ---- FADT (5.2.9, table 5.9): byte offsets of the fields in use -------- */

#define ACPI_FADT_FIRMWARE_CTRL  36u  /**< 4 bytes: the FACS (0: none) */
#define ACPI_FADT_DSDT           40u  /**< 4 bytes: the DSDT's physical address */
#define ACPI_FADT_SCI_INT        46u  /**< 2 bytes: the SCI's ISA IRQ (8259 numbering) */
#define ACPI_FADT_SMI_CMD        48u  /**< 4 bytes: the SMI command port (0: always in ACPI mode) */
#define ACPI_FADT_PM1A_EVT_BLK   56u  /**< 4 bytes: port of PM1a status, then enable */
#define ACPI_FADT_PM1A_CNT_BLK   64u  /**< 4 bytes: port of PM1a control */
#define ACPI_FADT_PM_TMR_BLK     76u  /**< 4 bytes: port of the PM timer */
#define ACPI_FADT_PM1_EVT_LEN    88u  /**< 1 byte: PM1 event block length, >= 4 and even */
#define ACPI_FADT_PM1_CNT_LEN    89u  /**< 1 byte: PM1 control block length, >= 2 */
#define ACPI_FADT_PM_TMR_LEN     91u  /**< 1 byte: PM timer block length, 4 (0: no timer) */
#define ACPI_FADT_P_LVL2_LAT     96u  /**< 2 bytes: C2 latency in us; > 100: no C2 */
#define ACPI_FADT_P_LVL3_LAT     98u  /**< 2 bytes: C3 latency in us; > 1000: no C3 */
#define ACPI_FADT_CENTURY        108u /**< 1 byte: the CMOS RAM index of the century (0: none) */
#define ACPI_FADT_IAPC_BOOT_ARCH 109u /**< 2 bytes: ACPI_FADT_BOOT_* */
#define ACPI_FADT_FLAGS          112u /**< 4 bytes: ACPI_FADT_F_* */
#define ACPI_FADT_V1_LEN         116u /**< an ACPI 1.0 FADT ends after the flags */
#define ACPI_FADT_RESET_REG      116u /**< GAS, ACPI 2.0+: the reset register (4.8.3.6) */
#define ACPI_FADT_RESET_VALUE    128u /**< 1 byte: what to write to RESET_REG to reset */
#define ACPI_FADT_ARM_BOOT_ARCH  129u /**< 2 bytes, ACPI 5.1+: ARM boot flags (0 on a PC) */
#define ACPI_FADT_MINOR_VERSION  131u /**< 1 byte, ACPI 5.1+: the spec's minor version */
#define ACPI_FADT_X_FIRMWARE_CTRL 132u /**< 8 bytes: the FACS, 64-bit */
#define ACPI_FADT_X_DSDT         140u /**< 8 bytes: the DSDT, 64-bit; supersedes ACPI_FADT_DSDT */
#define ACPI_FADT_X_PM1A_EVT_BLK 148u /**< GAS: the PM1a event block (supersedes the port field) */
#define ACPI_FADT_X_PM1A_CNT_BLK 172u /**< GAS: the PM1a control block */
#define ACPI_FADT_X_PM_TMR_BLK   208u /**< GAS: the PM timer */
#define ACPI_FADT_LEN            276u /**< the whole FADT of ACPI 6.0 and later */

/* FADT flags (table 5.10). */
#define ACPI_FADT_F_WBINVD      (1u << 0)  /**< WBINVD flushes the caches */
#define ACPI_FADT_F_PROC_C1     (1u << 2)  /**< C1 (HLT) works on every processor */
#define ACPI_FADT_F_PWR_BUTTON  (1u << 4)  /**< 1: no fixed-feature power button */
#define ACPI_FADT_F_SLP_BUTTON  (1u << 5)  /**< 1: no fixed-feature sleep button */
#define ACPI_FADT_F_FIX_RTC     (1u << 6)  /**< 1: no RTC wake status in PM1 */
#define ACPI_FADT_F_TMR_VAL_EXT (1u << 8)  /**< the PM timer counts 32 bits, else 24 */
#define ACPI_FADT_F_RESET_REG_SUP (1u << 10) /**< RESET_REG and RESET_VALUE are valid */
#define ACPI_FADT_F_HW_REDUCED  (1u << 20) /**< HW_REDUCED_ACPI: no fixed hardware at all */

/* IA-PC boot architecture flags (5.2.9.3). */
#define ACPI_FADT_BOOT_LEGACY_DEVICES  (1u << 0) /**< ISA devices (8259s, COM1, ...) present */
#define ACPI_FADT_BOOT_8042            (1u << 1) /**< an 8042 keyboard controller is present */
#define ACPI_FADT_BOOT_VGA_NOT_PRESENT (1u << 2) /**< do not probe VGA */

/* Generic Address Structure (5.2.3.2), 12 bytes, as the X_ fields hold it. */
#define ACPI_GAS_SPACE         0u  /**< 1 byte: ACPI_GAS_SYSTEM_MEMORY, _IO, ... */
#define ACPI_GAS_BIT_WIDTH     1u  /**< 1 byte: the register's width in bits */
#define ACPI_GAS_BIT_OFFSET    2u  /**< 1 byte: its offset in bits */
#define ACPI_GAS_ACCESS_SIZE   3u  /**< 1 byte: ACPI_GAS_ACCESS_* */
#define ACPI_GAS_ADDRESS       4u  /**< 8 bytes: the address in that space (0: not given) */
#define ACPI_GAS_LEN           12u /**< the structure's length */
#define ACPI_GAS_SYSTEM_MEMORY 0u  /**< address space: memory */
#define ACPI_GAS_SYSTEM_IO     1u  /**< address space: I/O ports */
#define ACPI_GAS_PCI_CONFIG    2u  /**< address space: PCI configuration (bus 0) */
#define ACPI_GAS_ACCESS_UNDEF  0u  /**< access size: not given (the ACPI 1.0 meaning) */
#define ACPI_GAS_ACCESS_BYTE   1u  /**< access size: 8 bits */
#define ACPI_GAS_ACCESS_WORD   2u  /**< access size: 16 bits */
#define ACPI_GAS_ACCESS_DWORD  3u  /**< access size: 32 bits */
#define ACPI_GAS_ACCESS_QWORD  4u  /**< access size: 64 bits */

//! [aml-bytes]
/* ---- AML (20.2): the encodings of a Name holding a Package ------------- */

/* A DSDT (5.2.11.1) is the table header followed by AML byte code. Our
   monitor writes, and our kernel looks for, one object in it: \_S5, a
   Name whose value is a Package of integers (7.4.2): the SLP_TYP for
   PM1a_CNT, then for PM1b_CNT, then two reserved. */
#define ACPI_DSDT_AML           ACPI_SDT_HEADER_LEN /**< where the AML starts */
#define ACPI_AML_ZERO_OP        0x00u /**< the integer 0 */
#define ACPI_AML_ONE_OP         0x01u /**< the integer 1 */
#define ACPI_AML_NAME_OP        0x08u /**< DefName: NameOp NameString DataRefObject */
#define ACPI_AML_BYTE_PREFIX    0x0au /**< then a 1-byte integer */
#define ACPI_AML_WORD_PREFIX    0x0bu /**< then a 2-byte integer, little-endian */
#define ACPI_AML_DWORD_PREFIX   0x0cu /**< then a 4-byte integer */
#define ACPI_AML_QWORD_PREFIX   0x0eu /**< then an 8-byte integer */
#define ACPI_AML_SCOPE_OP       0x10u /**< DefScope: ScopeOp PkgLength NameString TermList */
#define ACPI_AML_PACKAGE_OP     0x12u /**< DefPackage: PackageOp PkgLength NumElements list */
#define ACPI_AML_DUAL_NAME      0x2eu /**< DualNamePrefix: two name segments follow */
#define ACPI_AML_MULTI_NAME     0x2fu /**< MultiNamePrefix: a count, then that many */
#define ACPI_AML_ROOT_CHAR      0x5cu /**< '\\': the name is absolute */
#define ACPI_AML_PARENT_PREFIX  0x5eu /**< '^': one scope up */
#define ACPI_AML_ONES_OP        0xffu /**< the integer with every bit set */
#define ACPI_AML_NAMESEG_LEN    4u    /**< a name segment: 4 bytes, '_' padded */
#define ACPI_AML_S5_NAME        "_S5_" /**< the soft-off object's name segment */

/* PkgLength (20.2.4): the length of what follows the opcode, counting the
   PkgLength bytes themselves. Its lead byte's bits 7:6 give how many more
   bytes follow (0..3). With none, bits 5:0 are the length (under 64);
   otherwise bits 3:0 are its low nibble (bits 5:4 are 0) and each further
   byte adds 8 bits above them. */
#define ACPI_AML_PKGLEN_MORE_SHIFT 6     /**< lead byte: count of further bytes */
#define ACPI_AML_PKGLEN_ONE_MAX    0x3fu /**< the longest length one byte holds */
#define ACPI_AML_PKGLEN_NIBBLE     0x0fu /**< lead byte of a longer one: low 4 bits */
//! [aml-bytes]

/* ---- little-endian fields, and the checksum ------------------------------ */

/** The `n`-byte (at most 8) little-endian value at `p`, any alignment. */
ACPI_DEF uint64_t acpi_getn(const uint8_t *p, unsigned n);
/** The byte at `p`. */
ACPI_DEF uint8_t acpi_get8(const uint8_t *p);
/** The 16-bit little-endian value at `p`, any alignment. */
ACPI_DEF uint16_t acpi_get16(const uint8_t *p);
/** The 32-bit little-endian value at `p`, any alignment. */
ACPI_DEF uint32_t acpi_get32(const uint8_t *p);
/** The 64-bit little-endian value at `p`, any alignment. */
ACPI_DEF uint64_t acpi_get64(const uint8_t *p);
/** Store the low `n` (at most 8) bytes of `v` at `p`, little-endian. */
ACPI_DEF void acpi_putn(uint8_t *p, uint64_t v, unsigned n);
/** Store `v` at `p` as 2 little-endian bytes. */
ACPI_DEF void acpi_put16(uint8_t *p, uint16_t v);
/** Store `v` at `p` as 4 little-endian bytes. */
ACPI_DEF void acpi_put32(uint8_t *p, uint32_t v);
/** Store `v` at `p` as 8 little-endian bytes. */
ACPI_DEF void acpi_put64(uint8_t *p, uint64_t v);

/** The sum of `len` bytes from `p`, modulo 256: 0 for a table (or the
    RSDP's first 20 bytes) whose checksum is right. */
ACPI_DEF uint8_t acpi_sum(const uint8_t *p, size_t len);
/** Set the checksum byte `p[at]` (`at` < `len`) so that the `len` bytes
    from `p` sum to 0; whatever `p[at]` held before does not count. The
    writer's last step for a table, once every byte it covers is final. */
ACPI_DEF void acpi_set_checksum(uint8_t *p, size_t len, size_t at);

#ifdef __cplusplus
}
#endif
#endif /* ACPI_H */

/* ======================================================================== */
/* ACPI__IMPLEMENTED: the implementation once per unit, however many of the
   unit's headers include this one. */
#if defined(ACPI_IMPLEMENTATION) && !defined(ACPI__IMPLEMENTED)
#define ACPI__IMPLEMENTED

#ifndef ACPI_ASSERT
#define ACPI_ASSERT(c) ((void)0)
#endif

/* The layout's own consistency: every field ends before the next begins and
   inside its table. Checked wherever the implementation is compiled. */
#ifdef __cplusplus
#define ACPI__STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define ACPI__STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
ACPI__STATIC_ASSERT(sizeof(ACPI_AML_S5_NAME) - 1 == ACPI_AML_NAMESEG_LEN,
                    "a name segment is 4 bytes (20.2.2)");
ACPI__STATIC_ASSERT(sizeof(ACPI_SIG_RSDP) - 1 == ACPI_SIG_RSDP_LEN &&
                    sizeof(ACPI_SIG_FADT) - 1 == ACPI_SIG_LEN, "signature lengths");
ACPI__STATIC_ASSERT(ACPI_RSDP_SIGNATURE + ACPI_SIG_RSDP_LEN == ACPI_RSDP_CHECKSUM &&
                    ACPI_RSDP_OEMID + 6 == ACPI_RSDP_REVISION &&
                    ACPI_RSDP_RSDT_ADDRESS + 4 == ACPI_RSDP_V1_LEN &&
                    ACPI_RSDP_LENGTH + 4 == ACPI_RSDP_XSDT_ADDRESS &&
                    ACPI_RSDP_XSDT_ADDRESS + 8 == ACPI_RSDP_EXT_CHECKSUM &&
                    ACPI_RSDP_EXT_CHECKSUM + 4 == ACPI_RSDP_V2_LEN,
                    "RSDP fields follow each other (5.2.5.3)");
ACPI__STATIC_ASSERT(ACPI_SDT_OEMID + 6 == ACPI_SDT_OEM_TABLE_ID &&
                    ACPI_SDT_OEM_TABLE_ID + 8 == ACPI_SDT_OEM_REVISION &&
                    ACPI_SDT_CREATOR_REVISION + 4 == ACPI_SDT_HEADER_LEN,
                    "the table header is 36 bytes (5.2.6)");
ACPI__STATIC_ASSERT(ACPI_MADT_LAPIC_ADDRESS == ACPI_SDT_HEADER_LEN &&
                    ACPI_MADT_FLAGS + 4 == ACPI_MADT_ENTRIES &&
                    ACPI_MADT_LAPIC_FLAGS + 4 == ACPI_MADT_LAPIC_LEN &&
                    ACPI_MADT_IOAPIC_GSI_BASE + 4 == ACPI_MADT_IOAPIC_LEN &&
                    ACPI_MADT_ISO_FLAGS + 2 == ACPI_MADT_ISO_LEN,
                    "MADT structures end with their last field (5.2.12)");
ACPI__STATIC_ASSERT(ACPI_FADT_DSDT >= ACPI_SDT_HEADER_LEN &&
                    ACPI_FADT_FLAGS + 4 == ACPI_FADT_V1_LEN &&
                    ACPI_FADT_X_FIRMWARE_CTRL + 8 == ACPI_FADT_X_DSDT &&
                    ACPI_FADT_X_DSDT + 8 == ACPI_FADT_X_PM1A_EVT_BLK &&
                    ACPI_FADT_X_PM1A_EVT_BLK + 2 * ACPI_GAS_LEN == ACPI_FADT_X_PM1A_CNT_BLK &&
                    ACPI_FADT_X_PM_TMR_BLK + ACPI_GAS_LEN <= ACPI_FADT_LEN &&
                    ACPI_FADT_RESET_REG == ACPI_FADT_V1_LEN &&
                    ACPI_FADT_RESET_REG + ACPI_GAS_LEN == ACPI_FADT_RESET_VALUE &&
                    ACPI_FADT_RESET_VALUE + 1 == ACPI_FADT_ARM_BOOT_ARCH &&
                    ACPI_FADT_ARM_BOOT_ARCH + 2 == ACPI_FADT_MINOR_VERSION &&
                    ACPI_FADT_MINOR_VERSION + 1 == ACPI_FADT_X_FIRMWARE_CTRL &&
                    ACPI_GAS_ADDRESS + 8 == ACPI_GAS_LEN,
                    "FADT fields in table 5.9's order, inside the table");

ACPI_DEF uint64_t acpi_getn(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    ACPI_ASSERT(n <= 8);
    while (n--)
        v = v << 8 | p[n];
    return v;
}

ACPI_DEF uint8_t acpi_get8(const uint8_t *p)
{
    return p[0];
}

ACPI_DEF uint16_t acpi_get16(const uint8_t *p)
{
    return (uint16_t)acpi_getn(p, 2);
}

ACPI_DEF uint32_t acpi_get32(const uint8_t *p)
{
    return (uint32_t)acpi_getn(p, 4);
}

ACPI_DEF uint64_t acpi_get64(const uint8_t *p)
{
    return acpi_getn(p, 8);
}

ACPI_DEF void acpi_putn(uint8_t *p, uint64_t v, unsigned n)
{
    ACPI_ASSERT(n <= 8);
    for (unsigned i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

ACPI_DEF void acpi_put16(uint8_t *p, uint16_t v)
{
    acpi_putn(p, v, 2);
}

ACPI_DEF void acpi_put32(uint8_t *p, uint32_t v)
{
    acpi_putn(p, v, 4);
}

ACPI_DEF void acpi_put64(uint8_t *p, uint64_t v)
{
    acpi_putn(p, v, 8);
}

//! [checksum]
ACPI_DEF uint8_t acpi_sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    while (len--)
        s = (uint8_t)(s + *p++);
    return s;
}

ACPI_DEF void acpi_set_checksum(uint8_t *p, size_t len, size_t at)
{
    ACPI_ASSERT(at < len);
    p[at] = 0;
    p[at] = (uint8_t)-acpi_sum(p, len);
}
//! [checksum]

#endif /* ACPI_IMPLEMENTATION */

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
