/* Both sides of hdr/acpi.h: firmware builds an RSDP, an XSDT and a MADT in a
   buffer standing for the BIOS area at 0xE0000; a kernel scans for the RSDP,
   checks every table and walks the MADT's interrupt controllers. */
#include <stdio.h>
#include <string.h>

//! [alone-acpi]
#define ACPI_IMPLEMENTATION
#include "acpi.h"

#define BASE 0xe0000u                            /* mem[0] is physical 0xE0000 */
static uint8_t mem[0x100];
enum { RSDP = 0x40, XSDT = 0x80, MADT = 0xb0 };  /* on 16-byte boundaries */
enum { XSDT_LEN = ACPI_SDT_HEADER_LEN + ACPI_XSDT_ENTRY_LEN,
       LAPIC = ACPI_MADT_ENTRIES, IOAPIC = LAPIC + ACPI_MADT_LAPIC_LEN,
       ISO = IOAPIC + ACPI_MADT_IOAPIC_LEN, MADT_LEN = ISO + ACPI_MADT_ISO_LEN };

static void build(void)  /* the firmware: every checksum last */
{
    uint8_t *m = mem + MADT, *x = mem + XSDT, *r = mem + RSDP;

    memcpy(m, ACPI_SIG_MADT, ACPI_SIG_LEN), acpi_put32(m + ACPI_SDT_LENGTH, MADT_LEN);
    acpi_put32(m + ACPI_MADT_LAPIC_ADDRESS, 0xfee00000);
    acpi_put32(m + ACPI_MADT_FLAGS, ACPI_MADT_PCAT_COMPAT);
    m[LAPIC + ACPI_MADT_ENTRY_TYPE] = ACPI_MADT_LAPIC, m[LAPIC + 1] = ACPI_MADT_LAPIC_LEN;
    acpi_put32(m + LAPIC + ACPI_MADT_LAPIC_FLAGS, ACPI_MADT_LAPIC_ENABLED);
    m[IOAPIC + ACPI_MADT_ENTRY_TYPE] = ACPI_MADT_IOAPIC, m[IOAPIC + 1] = ACPI_MADT_IOAPIC_LEN;
    acpi_put32(m + IOAPIC + ACPI_MADT_IOAPIC_ADDRESS, 0xfec00000);
    m[ISO + ACPI_MADT_ENTRY_TYPE] = ACPI_MADT_ISO, m[ISO + 1] = ACPI_MADT_ISO_LEN;
    acpi_put32(m + ISO + ACPI_MADT_ISO_GSI, 2);  /* source IRQ 0, flags 0: ISA's */
    acpi_set_checksum(m, MADT_LEN, ACPI_SDT_CHECKSUM);
    memcpy(x, ACPI_SIG_XSDT, ACPI_SIG_LEN), acpi_put32(x + ACPI_SDT_LENGTH, XSDT_LEN);
    acpi_put64(x + ACPI_SDT_HEADER_LEN, BASE + MADT);
    acpi_set_checksum(x, XSDT_LEN, ACPI_SDT_CHECKSUM);
    memcpy(r, ACPI_SIG_RSDP, ACPI_SIG_RSDP_LEN), r[ACPI_RSDP_REVISION] = ACPI_RSDP_REVISION_2;
    acpi_put32(r + ACPI_RSDP_LENGTH, ACPI_RSDP_V2_LEN);
    acpi_put64(r + ACPI_RSDP_XSDT_ADDRESS, BASE + XSDT);
    acpi_set_checksum(r, ACPI_RSDP_V1_LEN, ACPI_RSDP_CHECKSUM);
    acpi_set_checksum(r, ACPI_RSDP_V2_LEN, ACPI_RSDP_EXT_CHECKSUM); /* covers the first */
}

/* The kernel: a table is input, used only once it proves to be one. */
static const uint8_t *table(uint64_t pa, const char *sig)
{
    const uint8_t *t;
    uint32_t len;

    if (pa < BASE || pa - BASE > sizeof mem - ACPI_SDT_HEADER_LEN)
        return NULL;
    t = mem + (pa - BASE), len = acpi_get32(t + ACPI_SDT_LENGTH);
    if (memcmp(t, sig, ACPI_SIG_LEN) || len < ACPI_SDT_HEADER_LEN ||
        len > sizeof mem - (pa - BASE) || acpi_sum(t, len))
        return NULL;
    return t;
}

int main(void)
{
    const uint8_t *r = NULL, *x, *m, *e, *end;
    uint32_t irq0 = 0;

    build();
    for (size_t o = 0; o + ACPI_RSDP_V2_LEN <= sizeof mem && !r; o += ACPI_RSDP_ALIGN)
        if (!memcmp(mem + o, ACPI_SIG_RSDP, ACPI_SIG_RSDP_LEN) &&
            !acpi_sum(mem + o, ACPI_RSDP_V1_LEN) && !acpi_sum(mem + o, ACPI_RSDP_V2_LEN))
            r = mem + o;
    if (!r || !(x = table(acpi_get64(r + ACPI_RSDP_XSDT_ADDRESS), ACPI_SIG_XSDT)) ||
        !(m = table(acpi_get64(x + ACPI_SDT_HEADER_LEN), ACPI_SIG_MADT)))
        return printf("wrong: the chain RSDP -> XSDT -> MADT is broken\n"), 1;
    printf("RSDP at %#x -> XSDT at %#x -> MADT at %#x, %u bytes\n", BASE + (unsigned)(r - mem),
           BASE + XSDT, BASE + MADT, acpi_get32(m + ACPI_SDT_LENGTH));
    end = m + acpi_get32(m + ACPI_SDT_LENGTH);
    for (e = m + ACPI_MADT_ENTRIES; end - e >= 2 && e[1] >= 2 && e[1] <= end - e; e += e[1])
        if (e[ACPI_MADT_ENTRY_TYPE] == ACPI_MADT_LAPIC)
            printf("  local APIC %u, flags %u\n", e[ACPI_MADT_LAPIC_ID],
                   acpi_get32(e + ACPI_MADT_LAPIC_FLAGS));
        else if (e[ACPI_MADT_ENTRY_TYPE] == ACPI_MADT_IOAPIC)
            printf("  I/O APIC %u at %#x, GSI base %u\n", e[ACPI_MADT_IOAPIC_ID],
                   acpi_get32(e + ACPI_MADT_IOAPIC_ADDRESS),
                   acpi_get32(e + ACPI_MADT_IOAPIC_GSI_BASE));
        else if (e[ACPI_MADT_ENTRY_TYPE] == ACPI_MADT_ISO)
            printf("  ISA IRQ %u arrives on GSI %u\n", e[ACPI_MADT_ISO_SOURCE],
                   irq0 = acpi_get32(e + ACPI_MADT_ISO_GSI));
    mem[MADT + ACPI_MADT_LAPIC_ADDRESS] ^= 0x10;  /* one bit flipped after the checksum */
    if (e != end || irq0 != 2 || table(BASE + MADT, ACPI_SIG_MADT))
        return printf("wrong: a short walk, IRQ0 not on GSI 2, or a damaged MADT passed\n"), 1;
    printf("one bit flipped in the MADT: its checksum refuses it\n");
    return 0;
}
//! [alone-acpi]
