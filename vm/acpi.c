/* acpi.c - build the RSDP, XSDT, MADT, FADT and DSDT (see acpi.h).

   The tables are laid out at fixed offsets from the base, each on a 16-byte
   boundary: RSDP, the XSDT with its two entries, the MADT, the FADT, and
   the DSDT the FADT points to. The layout of every field is hdr/acpi.h's,
   the one the kernel's reader uses, and every field is written through its
   byte helpers, little-endian, so the result does not depend on the host's
   byte order or alignment. */
#include "acpi.h"

#include "acpi_pm.h"   /* hdr/: where the PM block is, and its lengths */
#include "rtc_cmos.h"  /* hdr/: the CMOS RAM index of the century */

/* hdr/acpi.h, by its path: "acpi.h" here is this directory's own. */
#define ACPI_IMPLEMENTATION
#define ACPI_STATIC
#include "../hdr/acpi.h"

#include <stdbool.h>
#include <string.h>

/* Offsets of the tables from the base, and their sizes. */
#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)
#define RSDP_OFF   0x00
#define RSDP_LEN   ACPI_RSDP_V2_LEN  /* ACPI 2.0+ RSDP: the 20-byte 1.0 part + 16 */
#define XSDT_OFF   ALIGN16(RSDP_OFF + RSDP_LEN)
#define XSDT_ENTRIES 2       /* the MADT, then the FADT */
#define XSDT_LEN   (ACPI_SDT_HEADER_LEN + ACPI_XSDT_ENTRY_LEN * XSDT_ENTRIES)
#define MADT_OFF   ALIGN16(XSDT_OFF + XSDT_LEN)

/* A kernel that scans for the RSDP instead of taking rsdp_paddr finds it
   at the start of the monitor's area: inside the BIOS area, on a 16-byte
   boundary (ACPI 6.5, 5.2.5.1). */
_Static_assert(ACPI_AREA_PADDR >= ACPI_RSDP_BIOS_LO &&
               ACPI_AREA_PADDR + ACPI_AREA_SIZE <= ACPI_RSDP_BIOS_HI &&
               (ACPI_AREA_PADDR + RSDP_OFF) % ACPI_RSDP_ALIGN == 0,
               "the RSDP is where the legacy scan looks");

/* The ISA overrides of a PC: the PIT's IRQ0 is wired to IOAPIC pin 2, and
   the SCI (IRQ9) is a level-triggered, active-high line. */
static const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } isa_overrides[] = {
    { 0, 2, 0 },
    { 9, 9, ACPI_MPS_POLARITY_HIGH | ACPI_MPS_TRIGGER_LEVEL },
};
#define N_OVERRIDES (sizeof isa_overrides / sizeof isa_overrides[0])

#define MADT_LEN (ACPI_MADT_ENTRIES + ACPI_MADT_LAPIC_LEN + ACPI_MADT_IOAPIC_LEN + \
                  N_OVERRIDES * ACPI_MADT_ISO_LEN)

/* FADT (ACPI 6.5, 5.2.9): the 276-byte layout of ACPI 6.0 and later,
   revision 6, minor version 5. */
#define FADT_OFF   ALIGN16(MADT_OFF + MADT_LEN)
#define FADT_LEN   ACPI_FADT_LEN
#define FADT_REV   6
#define FADT_MINOR 5

//! [dsdt-s5]
/* DSDT (5.2.11.1): the header, then AML for one object, the one our
   machine needs: soft-off. ASL `Name (\_S5, Package (4) { 7, 7, 0, 0 })`,
   the package of 7.4.2 (SLP_TYP for PM1a_CNT, for PM1b_CNT, two reserved),
   encoded by hand after 20.2. There are no PCI routing, buttons or sleep
   states for AML to describe. Revision 2 means AML integers are 64 bits. */
static const uint8_t dsdt_aml[] = {
    ACPI_AML_NAME_OP,                       /* Name ( */
    ACPI_AML_ROOT_CHAR, '_', 'S', '5', '_', /*   \_S5, absolute: the root scope */
    ACPI_AML_PACKAGE_OP,                    /*   Package ( */
    8,                                      /*     PkgLength: itself and the 7 bytes after */
    4,                                      /*     NumElements */
    ACPI_AML_BYTE_PREFIX, ACPI_BOARD_S5_SLP_TYP, /*  PM1a_CNT.SLP_TYP */
    ACPI_AML_BYTE_PREFIX, ACPI_BOARD_S5_SLP_TYP, /*  PM1b_CNT.SLP_TYP (no PM1b here) */
    ACPI_AML_ZERO_OP,                       /*     reserved */
    ACPI_AML_ZERO_OP,                       /*     reserved */
};                                          /* )) */
#define S5_PKG_AT 6 /* where PackageOp is: its PkgLength counts from S5_PKG_AT + 1 */
_Static_assert(sizeof dsdt_aml - (S5_PKG_AT + 1) == 8 && 8 <= ACPI_AML_PKGLEN_ONE_MAX,
               "the PkgLength byte covers the rest of the package, in one byte");
//! [dsdt-s5]
#define DSDT_OFF   ALIGN16(FADT_OFF + FADT_LEN)
#define DSDT_LEN   (ACPI_DSDT_AML + sizeof dsdt_aml)
#define DSDT_REV   2
#define TABLES_LEN (DSDT_OFF + DSDT_LEN)

/* Who made the tables: OEMID (6 bytes), OEM table ID (8), creator ID (4). */
static const char oem_id[6] = { 'B', 'B', 'O', 'A', 'R', 'D' };
static const char oem_table_id[8] = { 'B', 'B', 'V', 'M', ' ', ' ', ' ', ' ' };
static const char creator_id[4] = { 'B', 'B', 'V', 'M' };

/* RSDP (ACPI 6.5, 5.2.5.3): "RSD PTR ", checksum of the first 20 bytes,
   OEMID, revision 2, RSDT address (none: 0), length, XSDT address,
   extended checksum of all 36 bytes, 3 reserved bytes. */
static void put_rsdp(uint8_t *p, uint64_t xsdt)
{
    memcpy(p + ACPI_RSDP_SIGNATURE, ACPI_SIG_RSDP, ACPI_SIG_RSDP_LEN);
    memcpy(p + ACPI_RSDP_OEMID, oem_id, sizeof oem_id);
    p[ACPI_RSDP_REVISION] = ACPI_RSDP_REVISION_2;
    acpi_put32(p + ACPI_RSDP_LENGTH, RSDP_LEN);
    acpi_put64(p + ACPI_RSDP_XSDT_ADDRESS, xsdt);
    acpi_set_checksum(p, ACPI_RSDP_V1_LEN, ACPI_RSDP_CHECKSUM);
    acpi_set_checksum(p, RSDP_LEN, ACPI_RSDP_EXT_CHECKSUM); /* covers the first, set above */
}

/* The common header (ACPI 6.5, 5.2.6); the checksum comes last. */
static void put_header(uint8_t *p, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(p + ACPI_SDT_SIGNATURE, sig, ACPI_SIG_LEN);
    acpi_put32(p + ACPI_SDT_LENGTH, len);
    p[ACPI_SDT_REVISION] = rev;
    memcpy(p + ACPI_SDT_OEMID, oem_id, sizeof oem_id);
    memcpy(p + ACPI_SDT_OEM_TABLE_ID, oem_table_id, sizeof oem_table_id);
    acpi_put32(p + ACPI_SDT_OEM_REVISION, 1);
    memcpy(p + ACPI_SDT_CREATOR_ID, creator_id, sizeof creator_id);
    acpi_put32(p + ACPI_SDT_CREATOR_REVISION, 1);
}

/* XSDT (5.2.8): the header, then one 64-bit address per table. */
static void put_xsdt(uint8_t *p, uint64_t madt, uint64_t fadt)
{
    put_header(p, ACPI_SIG_XSDT, XSDT_LEN, 1);
    acpi_put64(p + ACPI_SDT_HEADER_LEN, madt);
    acpi_put64(p + ACPI_SDT_HEADER_LEN + ACPI_XSDT_ENTRY_LEN, fadt);
    acpi_set_checksum(p, XSDT_LEN, ACPI_SDT_CHECKSUM);
}

static uint8_t *put_lapic(uint8_t *e)
{
    e[ACPI_MADT_ENTRY_TYPE] = ACPI_MADT_LAPIC;
    e[ACPI_MADT_ENTRY_LENGTH] = ACPI_MADT_LAPIC_LEN;
    e[ACPI_MADT_LAPIC_UID] = 0;
    e[ACPI_MADT_LAPIC_ID] = 0;
    acpi_put32(e + ACPI_MADT_LAPIC_FLAGS, ACPI_MADT_LAPIC_ENABLED);
    return e + ACPI_MADT_LAPIC_LEN;
}

static uint8_t *put_ioapic(uint8_t *e)
{
    e[ACPI_MADT_ENTRY_TYPE] = ACPI_MADT_IOAPIC;
    e[ACPI_MADT_ENTRY_LENGTH] = ACPI_MADT_IOAPIC_LEN;
    e[ACPI_MADT_IOAPIC_ID] = ACPI_IOAPIC_ID;
    acpi_put32(e + ACPI_MADT_IOAPIC_ADDRESS, ACPI_IOAPIC_PADDR);
    acpi_put32(e + ACPI_MADT_IOAPIC_GSI_BASE, ACPI_IOAPIC_GSI);
    return e + ACPI_MADT_IOAPIC_LEN;
}

static uint8_t *put_override(uint8_t *e, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    e[ACPI_MADT_ENTRY_TYPE] = ACPI_MADT_ISO;
    e[ACPI_MADT_ENTRY_LENGTH] = ACPI_MADT_ISO_LEN;
    e[ACPI_MADT_ISO_BUS] = ACPI_MADT_ISO_BUS_ISA;
    e[ACPI_MADT_ISO_SOURCE] = irq;
    acpi_put32(e + ACPI_MADT_ISO_GSI, gsi);
    acpi_put16(e + ACPI_MADT_ISO_FLAGS, flags);
    return e + ACPI_MADT_ISO_LEN;
}

/* MADT (5.2.12): signature "APIC", local APIC address, flags, then the
   interrupt controller structures. */
static void put_madt(uint8_t *p)
{
    uint8_t *e = p + ACPI_MADT_ENTRIES;

    put_header(p, ACPI_SIG_MADT, MADT_LEN, 5);
    acpi_put32(p + ACPI_MADT_LAPIC_ADDRESS, ACPI_LAPIC_PADDR);
    acpi_put32(p + ACPI_MADT_FLAGS, ACPI_MADT_PCAT_COMPAT);
    e = put_lapic(e);
    e = put_ioapic(e);
    for (size_t i = 0; i < N_OVERRIDES; i++)
        e = put_override(e, isa_overrides[i].irq, isa_overrides[i].gsi,
                         isa_overrides[i].flags);
    acpi_set_checksum(p, MADT_LEN, ACPI_SDT_CHECKSUM);
}

/* Generic Address Structure (5.2.3.2) of a register in I/O space: `bits`
   wide at bit offset 0, accessed `access` at a time, at `port`. */
static void put_gas(uint8_t *p, unsigned bits, unsigned access, uint64_t port)
{
    p[ACPI_GAS_SPACE] = ACPI_GAS_SYSTEM_IO;
    p[ACPI_GAS_BIT_WIDTH] = (uint8_t)bits;
    p[ACPI_GAS_BIT_OFFSET] = 0;
    p[ACPI_GAS_ACCESS_SIZE] = (uint8_t)access;
    acpi_put64(p + ACPI_GAS_ADDRESS, port);
}

/* What the monitor's machine can do, as FADT latencies: none of the deeper
   C states (ACPI 6.5, 5.2.9: a latency above these means "not supported"). */
#define LAT_C2_NONE        101         /* > 100 us: C2 not supported */
#define LAT_C3_NONE        1001        /* > 1000 us: C3 not supported */

//! [fadt-pm]
/* The PM registers of hdr/acpi_pm.h, where QEMU's -M pc (PIIX4) has them:
   each as the ACPI 1.0 32-bit port field with its length, and again as an
   X_ generic address with the same width in bits (Linux warns when the two
   disagree). No SMI_CMD: there is no SMM, the machine is always in ACPI
   mode and SCI_EN is already set (5.2.9: SMI_CMD is 0 on such systems).
   No GPE blocks, no PM2 block, no PM1b. */
static void put_fadt_pm(uint8_t *p)
{
    acpi_put16(p + ACPI_FADT_SCI_INT, ACPI_SCI_IRQ);
    acpi_put32(p + ACPI_FADT_PM1A_EVT_BLK, ACPI_PM_PC_BASE + ACPI_PM_EVT_OFF);
    acpi_put32(p + ACPI_FADT_PM1A_CNT_BLK, ACPI_PM_PC_BASE + ACPI_PM_CNT_OFF);
    acpi_put32(p + ACPI_FADT_PM_TMR_BLK, ACPI_PM_PC_BASE + ACPI_PM_TMR_OFF);
    p[ACPI_FADT_PM1_EVT_LEN] = ACPI_PM_EVT_LEN;
    p[ACPI_FADT_PM1_CNT_LEN] = ACPI_PM_CNT_LEN;
    p[ACPI_FADT_PM_TMR_LEN] = ACPI_PM_TMR_LEN;
    put_gas(p + ACPI_FADT_X_PM1A_EVT_BLK, 8 * ACPI_PM_EVT_LEN, ACPI_GAS_ACCESS_WORD,
            ACPI_PM_PC_BASE + ACPI_PM_EVT_OFF);
    put_gas(p + ACPI_FADT_X_PM1A_CNT_BLK, 8 * ACPI_PM_CNT_LEN, ACPI_GAS_ACCESS_WORD,
            ACPI_PM_PC_BASE + ACPI_PM_CNT_OFF);
    put_gas(p + ACPI_FADT_X_PM_TMR_BLK, 8 * ACPI_PM_TMR_LEN, ACPI_GAS_ACCESS_DWORD,
            ACPI_PM_PC_BASE + ACPI_PM_TMR_OFF);
}
//! [fadt-pm]

//! [fadt-reset]
/* The reset register (4.8.3.6): one byte in I/O space, at the chipset's
   Reset Control Register, and the value that resets. The spec wants a bit
   width of 8 and offset 0; the access size says byte accesses. The
   RESET_REG_SUP flag, set in put_fadt(), makes both fields valid. */
static void put_fadt_reset(uint8_t *p)
{
    put_gas(p + ACPI_FADT_RESET_REG, 8, ACPI_GAS_ACCESS_BYTE, ACPI_BOARD_RESET_PORT);
    p[ACPI_FADT_RESET_VALUE] = ACPI_BOARD_RESET_VALUE;
}
//! [fadt-reset]

/* FADT (5.2.9): the DSDT (both the 32-bit and the X_ pointer), the PM
   registers, the reset register, and flags. QEMU's pc machine reports a 24-bit timer (no
   TMR_VAL_EXT); so do we, unless BBVM_PM_TMR_32BIT says otherwise. No FACS:
   with no global lock users and no sleep states, there is nothing for it
   to hold. */
static void put_fadt(uint8_t *p, uint64_t dsdt)
{
    /* WBINVD works (KVM and TCG honour it), so does HLT (C1); no fixed
       power or sleep button, no RTC wake status; a reset register. */
    uint32_t flags = ACPI_FADT_F_WBINVD | ACPI_FADT_F_PROC_C1 | ACPI_FADT_F_PWR_BUTTON |
                     ACPI_FADT_F_SLP_BUTTON | ACPI_FADT_F_FIX_RTC | ACPI_FADT_F_RESET_REG_SUP |
                     (BBVM_PM_TMR_32BIT ? ACPI_FADT_F_TMR_VAL_EXT : 0);

    put_header(p, ACPI_SIG_FADT, FADT_LEN, FADT_REV);
    acpi_put32(p + ACPI_FADT_DSDT, (uint32_t)dsdt);   /* < 4 GiB: area_ok() */
    put_fadt_pm(p);
    put_fadt_reset(p);
    acpi_put16(p + ACPI_FADT_P_LVL2_LAT, LAT_C2_NONE);
    acpi_put16(p + ACPI_FADT_P_LVL3_LAT, LAT_C3_NONE);
    p[ACPI_FADT_CENTURY] = RTC_CMOS_CENTURY;         /* where the RTC model keeps it */
    acpi_put16(p + ACPI_FADT_IAPC_BOOT_ARCH,        /* the board has an i8042 */
               ACPI_FADT_BOOT_LEGACY_DEVICES | ACPI_FADT_BOOT_8042 |
               ACPI_FADT_BOOT_VGA_NOT_PRESENT);
    acpi_put32(p + ACPI_FADT_FLAGS, flags);
    p[ACPI_FADT_MINOR_VERSION] = FADT_MINOR;
    acpi_put64(p + ACPI_FADT_X_DSDT, dsdt);
    acpi_set_checksum(p, FADT_LEN, ACPI_SDT_CHECKSUM);
}

static void put_dsdt(uint8_t *p)
{
    put_header(p, ACPI_SIG_DSDT, DSDT_LEN, DSDT_REV);
    memcpy(p + ACPI_DSDT_AML, dsdt_aml, sizeof dsdt_aml);
    acpi_set_checksum(p, DSDT_LEN, ACPI_SDT_CHECKSUM);
}

size_t acpi_tables_size(void)
{
    return TABLES_LEN;
}

/* [base, base + room) inside RAM and below 4 GiB (the RSDP's and a 32-bit
   kernel's reach), written so that no sum can wrap. */
static bool area_ok(size_t ram_size, uint64_t base, size_t room)
{
    return base <= ram_size && room <= ram_size - base && base + room <= 0x100000000ull;
}

int acpi_build(uint8_t *ram, size_t ram_size, uint64_t base, size_t room,
               uint64_t *rsdp_out)
{
    if (!ram || !rsdp_out || base % 16)
        return ACPI_E_ARGS;
    if (!area_ok(ram_size, base, room))
        return ACPI_E_RANGE;
    if (room < TABLES_LEN)
        return ACPI_E_ROOM;
    memset(ram + base, 0, TABLES_LEN);
    put_dsdt(ram + base + DSDT_OFF);
    put_fadt(ram + base + FADT_OFF, base + DSDT_OFF);
    put_madt(ram + base + MADT_OFF);
    put_xsdt(ram + base + XSDT_OFF, base + MADT_OFF, base + FADT_OFF);
    put_rsdp(ram + base + RSDP_OFF, base + XSDT_OFF);
    *rsdp_out = base + RSDP_OFF;
    return 0;
}
