/* acpi.c - build the RSDP, XSDT, MADT, FADT and DSDT (see acpi.h).

   The tables are laid out at fixed offsets from the base, each on a 16-byte
   boundary: RSDP, the XSDT with its two entries, the MADT, the FADT, and
   the DSDT the FADT points to. Every field is written byte by byte as
   little-endian, so the result does not depend on the host's byte order or
   alignment. */
#include "acpi.h"
#include "pm.h"

#include <stdbool.h>
#include <string.h>

/* Offsets of the tables from the base, and their sizes. */
#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)
#define RSDP_OFF   0x00
#define RSDP_LEN   36        /* ACPI 2.0+ RSDP: the 20-byte 1.0 part + 16 */
#define RSDP_V1_LEN 20       /* the part the first checksum covers */
#define XSDT_OFF   ALIGN16(RSDP_OFF + RSDP_LEN)
#define SDT_HDR    36        /* the common System Description Table header */
#define XSDT_ENTRIES 2       /* the MADT, then the FADT */
#define XSDT_LEN   (SDT_HDR + 8 * XSDT_ENTRIES)
#define MADT_OFF   ALIGN16(XSDT_OFF + XSDT_LEN)

/* MADT interrupt controller structures (ACPI 6.5, 5.2.12): type, length. */
#define MADT_LAPIC     0
#define MADT_LAPIC_LEN 8
#define MADT_IOAPIC    1
#define MADT_IOAPIC_LEN 12
#define MADT_ISO       2
#define MADT_ISO_LEN   10
#define MADT_FIXED     (SDT_HDR + 8)   /* header, local APIC address, flags */
#define MADT_PCAT_COMPAT 1u            /* flags: the 8259 pair is present */
#define MADT_LAPIC_ENABLED 1u

/* MPS INTI flags of an override (ACPI 6.5, 5.2.12.5): polarity in bits
   1:0, trigger mode in bits 3:2; 0 in either means "conforms to the bus"
   (ISA: active high, edge). */
#define MPS_POLARITY_HIGH 0x1u
#define MPS_POLARITY_LOW  0x3u
#define MPS_TRIGGER_EDGE  (0x1u << 2)
#define MPS_TRIGGER_LEVEL (0x3u << 2)

/* The ISA overrides of a PC: the PIT's IRQ0 is wired to IOAPIC pin 2, and
   the SCI (IRQ9) is a level-triggered, active-high line. */
static const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } isa_overrides[] = {
    { 0, 2, 0 },
    { 9, 9, MPS_POLARITY_HIGH | MPS_TRIGGER_LEVEL },
};
#define N_OVERRIDES (sizeof isa_overrides / sizeof isa_overrides[0])

#define MADT_LEN (MADT_FIXED + MADT_LAPIC_LEN + MADT_IOAPIC_LEN + N_OVERRIDES * MADT_ISO_LEN)

/* FADT (ACPI 6.5, 5.2.9): the 276-byte layout of ACPI 6.0 and later,
   revision 6, minor version 5. Byte offsets of the fields we set. */
#define FADT_OFF   ALIGN16(MADT_OFF + MADT_LEN)
#define FADT_LEN   276
#define FADT_REV   6
#define FADT_MINOR 5
#define FADT_DSDT          40
#define FADT_SCI_INT       46
#define FADT_PM1A_EVT_BLK  56
#define FADT_PM1A_CNT_BLK  64
#define FADT_PM_TMR_BLK    76
#define FADT_PM1_EVT_LEN   88
#define FADT_PM1_CNT_LEN   89
#define FADT_PM_TMR_LEN    91
#define FADT_P_LVL2_LAT    96
#define FADT_P_LVL3_LAT    98
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS         112
#define FADT_MINOR_VERSION 131
#define FADT_X_DSDT        140
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM_TMR_BLK  208

/* DSDT (5.2.11.1): the header and no AML at all. An empty definition
   block is valid AML (its term list may be empty), and our machine has
   nothing a kernel needs AML for: no PCI routing, no power button, no
   sleep states. Revision 2 means AML integers are 64 bits (5.2.11.1). */
#define DSDT_OFF   ALIGN16(FADT_OFF + FADT_LEN)
#define DSDT_LEN   SDT_HDR
#define DSDT_REV   2
#define TABLES_LEN (DSDT_OFF + DSDT_LEN)

/* Who made the tables: OEMID (6 bytes), OEM table ID (8), creator ID (4). */
static const char oem_id[6] = { 'B', 'B', 'O', 'A', 'R', 'D' };
static const char oem_table_id[8] = { 'B', 'B', 'V', 'M', ' ', ' ', ' ', ' ' };
static const char creator_id[4] = { 'B', 'B', 'V', 'M' };

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

/* The byte that makes `len` bytes from p sum to 0 (mod 256) once stored at
   a position that was 0 while summing. */
static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--)
        sum = (uint8_t)(sum + *p++);
    return (uint8_t)-sum;
}

/* RSDP (ACPI 6.5, 5.2.5.3): "RSD PTR ", checksum of the first 20 bytes,
   OEMID, revision 2, RSDT address (none: 0), length, XSDT address,
   extended checksum of all 36 bytes, 3 reserved bytes. */
static void put_rsdp(uint8_t *p, uint64_t xsdt)
{
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, oem_id, sizeof oem_id);
    p[15] = 2;
    put_le(p + 20, RSDP_LEN, 4);
    put_le(p + 24, xsdt, 8);
    p[8] = checksum(p, RSDP_V1_LEN);
    p[32] = checksum(p, RSDP_LEN);  /* covers p[8] as written just above */
}

/* The common header (ACPI 6.5, 5.2.6); the checksum comes last. */
static void put_header(uint8_t *p, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(p, sig, 4);
    put_le(p + 4, len, 4);
    p[8] = rev;
    memcpy(p + 10, oem_id, sizeof oem_id);
    memcpy(p + 16, oem_table_id, sizeof oem_table_id);
    put_le(p + 24, 1, 4);           /* OEM revision */
    memcpy(p + 28, creator_id, sizeof creator_id);
    put_le(p + 32, 1, 4);           /* creator revision */
}

/* XSDT (5.2.8): the header, then one 64-bit address per table. */
static void put_xsdt(uint8_t *p, uint64_t madt, uint64_t fadt)
{
    put_header(p, "XSDT", XSDT_LEN, 1);
    put_le(p + SDT_HDR, madt, 8);
    put_le(p + SDT_HDR + 8, fadt, 8);
    p[9] = checksum(p, XSDT_LEN);
}

static uint8_t *put_lapic(uint8_t *e)
{
    e[0] = MADT_LAPIC;
    e[1] = MADT_LAPIC_LEN;
    e[2] = 0;                       /* ACPI processor UID */
    e[3] = 0;                       /* APIC ID */
    put_le(e + 4, MADT_LAPIC_ENABLED, 4);
    return e + MADT_LAPIC_LEN;
}

static uint8_t *put_ioapic(uint8_t *e)
{
    e[0] = MADT_IOAPIC;
    e[1] = MADT_IOAPIC_LEN;
    e[2] = ACPI_IOAPIC_ID;
    e[3] = 0;                       /* reserved */
    put_le(e + 4, ACPI_IOAPIC_PADDR, 4);
    put_le(e + 8, ACPI_IOAPIC_GSI, 4);
    return e + MADT_IOAPIC_LEN;
}

static uint8_t *put_override(uint8_t *e, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    e[0] = MADT_ISO;
    e[1] = MADT_ISO_LEN;
    e[2] = 0;                       /* bus: ISA */
    e[3] = irq;                     /* source: the ISA IRQ */
    put_le(e + 4, gsi, 4);
    put_le(e + 8, flags, 2);
    return e + MADT_ISO_LEN;
}

/* MADT (5.2.12): signature "APIC", local APIC address, flags, then the
   interrupt controller structures. */
static void put_madt(uint8_t *p)
{
    uint8_t *e = p + MADT_FIXED;

    put_header(p, "APIC", MADT_LEN, 5);
    put_le(p + SDT_HDR, ACPI_LAPIC_PADDR, 4);
    put_le(p + SDT_HDR + 4, MADT_PCAT_COMPAT, 4);
    e = put_lapic(e);
    e = put_ioapic(e);
    for (size_t i = 0; i < N_OVERRIDES; i++)
        e = put_override(e, isa_overrides[i].irq, isa_overrides[i].gsi,
                         isa_overrides[i].flags);
    p[9] = checksum(p, MADT_LEN);
}

/* Generic Address Structure (5.2.3.2): address space, register width and
   offset in bits, access size (1 byte, 2 word, 3 dword), address. */
#define GAS_SYSTEM_IO 1
#define GAS_WORD      2
#define GAS_DWORD     3

static void put_gas(uint8_t *p, unsigned bits, unsigned access, uint64_t port)
{
    p[0] = GAS_SYSTEM_IO;
    p[1] = (uint8_t)bits;
    p[2] = 0;
    p[3] = (uint8_t)access;
    put_le(p + 4, port, 8);
}

/* FADT flags (5.2.9, table 5.10) and IA-PC boot architecture flags (5.2.9.3). */
#define FADT_WBINVD        (1u << 0)   /* WBINVD works: KVM and TCG honour it */
#define FADT_PROC_C1       (1u << 2)   /* HLT (C1) works */
#define FADT_PWR_BUTTON    (1u << 4)   /* 1: no fixed-feature power button */
#define FADT_SLP_BUTTON    (1u << 5)   /* 1: no fixed-feature sleep button */
#define FADT_FIX_RTC       (1u << 6)   /* 1: no RTC wake status in PM1 */
#define FADT_TMR_VAL_EXT   (1u << 8)   /* the PM timer counts 32 bits, not 24 */
#define BOOT_LEGACY_DEVICES (1u << 0)  /* ISA devices: the 8259s, COM1 */
#define BOOT_VGA_NOT_PRESENT (1u << 2)
#define LAT_C2_NONE        101         /* > 100 us: C2 not supported */
#define LAT_C3_NONE        1001        /* > 1000 us: C3 not supported */

//! [fadt-pm]
/* The PM registers of vm/pm.h, where QEMU's -M pc (PIIX4) has them: each as
   the ACPI 1.0 32-bit port field with its length, and again as an X_
   generic address with the same width in bits (Linux warns when the two
   disagree). No SMI_CMD: there is no SMM, the machine is always in ACPI
   mode and SCI_EN is already set (5.2.9: SMI_CMD is 0 on such systems).
   No GPE blocks, no PM2 block, no PM1b, no reset register. */
static void put_fadt_pm(uint8_t *p)
{
    put_le(p + FADT_SCI_INT, ACPI_SCI_IRQ, 2);
    put_le(p + FADT_PM1A_EVT_BLK, PM_BASE + PM_EVT_OFF, 4);
    put_le(p + FADT_PM1A_CNT_BLK, PM_BASE + PM_CNT_OFF, 4);
    put_le(p + FADT_PM_TMR_BLK, PM_BASE + PM_TMR_OFF, 4);
    p[FADT_PM1_EVT_LEN] = PM_EVT_LEN;
    p[FADT_PM1_CNT_LEN] = PM_CNT_LEN;
    p[FADT_PM_TMR_LEN] = PM_TMR_LEN;
    put_gas(p + FADT_X_PM1A_EVT_BLK, 8 * PM_EVT_LEN, GAS_WORD, PM_BASE + PM_EVT_OFF);
    put_gas(p + FADT_X_PM1A_CNT_BLK, 8 * PM_CNT_LEN, GAS_WORD, PM_BASE + PM_CNT_OFF);
    put_gas(p + FADT_X_PM_TMR_BLK, 8 * PM_TMR_LEN, GAS_DWORD, PM_BASE + PM_TMR_OFF);
}
//! [fadt-pm]

/* FADT (5.2.9): the DSDT (both the 32-bit and the X_ pointer), the PM
   registers, and flags. QEMU's pc machine reports a 24-bit timer (no
   TMR_VAL_EXT); so do we, unless ACPI_PM_TMR_32BIT says otherwise. No FACS:
   with no global lock users and no sleep states, there is nothing for it
   to hold. */
static void put_fadt(uint8_t *p, uint64_t dsdt)
{
    uint32_t flags = FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
                     FADT_FIX_RTC | (ACPI_PM_TMR_32BIT ? FADT_TMR_VAL_EXT : 0);

    put_header(p, "FACP", FADT_LEN, FADT_REV);
    put_le(p + FADT_DSDT, dsdt, 4);
    put_fadt_pm(p);
    put_le(p + FADT_P_LVL2_LAT, LAT_C2_NONE, 2);
    put_le(p + FADT_P_LVL3_LAT, LAT_C3_NONE, 2);
    put_le(p + FADT_IAPC_BOOT_ARCH, BOOT_LEGACY_DEVICES | BOOT_VGA_NOT_PRESENT, 2);
    put_le(p + FADT_FLAGS, flags, 4);
    p[FADT_MINOR_VERSION] = FADT_MINOR;
    put_le(p + FADT_X_DSDT, dsdt, 8);
    p[9] = checksum(p, FADT_LEN);
}

static void put_dsdt(uint8_t *p)
{
    put_header(p, "DSDT", DSDT_LEN, DSDT_REV);
    p[9] = checksum(p, DSDT_LEN);
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
