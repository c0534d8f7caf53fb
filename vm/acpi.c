/* acpi.c - build the RSDP, XSDT and MADT (see acpi.h).

   The tables are laid out at fixed offsets from the base, each on a 16-byte
   boundary: RSDP, then the XSDT with its one entry, then the MADT. Every
   field is written byte by byte as little-endian, so the result does not
   depend on the host's byte order or alignment. */
#include "acpi.h"

#include <stdbool.h>
#include <string.h>

/* Offsets of the three tables from the base, and their sizes. */
#define RSDP_OFF   0x00
#define RSDP_LEN   36        /* ACPI 2.0+ RSDP: the 20-byte 1.0 part + 16 */
#define RSDP_V1_LEN 20       /* the part the first checksum covers */
#define XSDT_OFF   0x30
#define SDT_HDR    36        /* the common System Description Table header */
#define XSDT_LEN   (SDT_HDR + 8)
#define MADT_OFF   0x60

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
#define TABLES_LEN (MADT_OFF + MADT_LEN)

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
static void put_xsdt(uint8_t *p, uint64_t madt)
{
    put_header(p, "XSDT", XSDT_LEN, 1);
    put_le(p + SDT_HDR, madt, 8);
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
    put_madt(ram + base + MADT_OFF);
    put_xsdt(ram + base + XSDT_OFF, base + MADT_OFF);
    put_rsdp(ram + base + RSDP_OFF, base + XSDT_OFF);
    *rsdp_out = base + RSDP_OFF;
    return 0;
}
