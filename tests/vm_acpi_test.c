/* vm_acpi_test.c - white-box tests of vm/acpi.c, the monitor's ACPI tables.

   Builds the tables into a RAM buffer, then reads them back the way a kernel
   would, with its own parser written from the spec (ACPI 6.5, 5.2.5.3 RSDP,
   5.2.6 header, 5.2.8 XSDT, 5.2.12 MADT): RSDP -> XSDT -> MADT, every
   signature, length and checksum, every MADT structure. Bytes outside the
   tables must be untouched; an area too small, misaligned or outside RAM is
   refused without a write, and a buffer of exactly the tables' size lets
   AddressSanitizer catch a single byte written past it. Last, the loader's
   start info carries the RSDP address.

   Build: gcc -std=c11 -fsanitize=address,undefined vm_acpi_test.c
          ../vm/acpi.c ../vm/loader.c */
#include "check.h"

#include "../vm/acpi.h"
#include "../vm/loader.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define RAM_SIZE (2u << 20)
#define RAM_FILL 0xa5

static uint64_t rd(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    while (n--)
        v = v << 8 | p[n];
    return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static uint8_t *new_ram(void)
{
    uint8_t *ram = malloc(RAM_SIZE);

    if (ram)
        memset(ram, RAM_FILL, RAM_SIZE);
    return ram;
}

/* Bytes of [lo, hi) that are not RAM_FILL. */
static size_t changed(const uint8_t *ram, size_t lo, size_t hi)
{
    size_t n = 0;

    for (size_t i = lo; i < hi; i++)
        n += ram[i] != RAM_FILL;
    return n;
}

/* A table at `pa` with this signature, a header that fits in RAM, a length
   that covers at least the header, and bytes that sum to 0. Returns its
   length, 0 if any of that fails. */
static uint32_t table_ok(const uint8_t *ram, uint64_t pa, const char *sig)
{
    uint32_t len;

    if (!CHECK(pa <= RAM_SIZE - 36))
        return 0;
    len = (uint32_t)rd(ram + pa + 4, 4);
    if (!CHECK(memcmp(ram + pa, sig, 4) == 0) || !CHECK(len >= 36) ||
        !CHECK(len <= RAM_SIZE - pa))
        return 0;
    CHECK_EQ(sum(ram + pa, len), 0);
    return len;
}

/* RSDP: signature, revision 2, both checksums, length 36; the XSDT's address. */
static uint64_t check_rsdp(const uint8_t *ram, uint64_t pa)
{
    const uint8_t *p = ram + pa;

    if (!CHECK(pa % 16 == 0) || !CHECK(pa <= RAM_SIZE - 36))
        return 0;
    CHECK(memcmp(p, "RSD PTR ", 8) == 0);
    CHECK_EQ(sum(p, 20), 0);
    CHECK_EQ(p[15], 2);
    CHECK_EQ(rd(p + 20, 4), 36);
    CHECK_EQ(sum(p, 36), 0);
    CHECK_EQ(rd(p + 16, 4), 0);              /* no RSDT: the XSDT only */
    return rd(p + 24, 8);
}

/* XSDT: exactly one entry, and it is the MADT. */
static uint64_t check_xsdt(const uint8_t *ram, uint64_t pa)
{
    uint32_t len = table_ok(ram, pa, "XSDT");

    if (!len)
        return 0;
    CHECK_EQ(len, 36 + 8);
    return rd(ram + pa + 36, 8);
}

/* What the walk of the MADT's structures found. */
struct madt_seen {
    unsigned lapics, ioapics, overrides, other;
    bool bad_length;
};

static void check_lapic(const uint8_t *e, struct madt_seen *s)
{
    s->lapics++;
    CHECK_EQ(e[1], 8);
    CHECK_EQ(e[2], 0);                       /* processor UID */
    CHECK_EQ(e[3], 0);                       /* APIC ID */
    CHECK_EQ(rd(e + 4, 4) & 1, 1);           /* enabled */
}

static void check_ioapic(const uint8_t *e, struct madt_seen *s)
{
    s->ioapics++;
    CHECK_EQ(e[1], 12);
    CHECK_EQ(e[2], 0);                       /* I/O APIC ID */
    CHECK_EQ(rd(e + 4, 4), 0xfec00000u);
    CHECK_EQ(rd(e + 8, 4), 0);               /* GSI base */
}

/* The PC's two: IRQ0 -> GSI 2 conforming; IRQ9 -> GSI 9 active high
   (polarity 01), level (trigger 11): flags 0x000d. */
static void check_override(const uint8_t *e, struct madt_seen *s)
{
    static const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } want[] = {
        { 0, 2, 0x0000 }, { 9, 9, 0x000d },
    };
    unsigned i = s->overrides++;

    CHECK_EQ(e[1], 10);
    CHECK_EQ(e[2], 0);                       /* bus: ISA */
    if (!CHECK(i < 2))
        return;
    CHECK_EQ(e[3], want[i].irq);
    CHECK_EQ(rd(e + 4, 4), want[i].gsi);
    CHECK_EQ(rd(e + 8, 2), want[i].flags);
}

static void walk_madt(const uint8_t *ram, uint64_t pa, uint32_t len, struct madt_seen *s)
{
    for (uint32_t off = 44; off < len;) {
        const uint8_t *e = ram + pa + off;

        if (len - off < 2 || e[1] < 2 || e[1] > len - off) {
            s->bad_length = true;             /* never loop on a 0 length */
            return;
        }
        switch (e[0]) {
        case 0: check_lapic(e, s); break;
        case 1: check_ioapic(e, s); break;
        case 2: check_override(e, s); break;
        default: s->other++; break;
        }
        off += e[1];
    }
}

static void check_madt(const uint8_t *ram, uint64_t pa)
{
    struct madt_seen s = { 0 };
    uint32_t len = table_ok(ram, pa, "APIC");

    if (!len || !CHECK(len >= 44))
        return;
    CHECK_EQ(rd(ram + pa + 36, 4), 0xfee00000u);
    CHECK_EQ(rd(ram + pa + 40, 4), 1);       /* PCAT_COMPAT */
    walk_madt(ram, pa, len, &s);
    CHECK(!s.bad_length);
    CHECK_EQ(s.lapics, 1);
    CHECK_EQ(s.ioapics, 1);
    CHECK_EQ(s.overrides, 2);
    CHECK_EQ(s.other, 0);
    CHECK_EQ(len, 44 + 8 + 12 + 2 * 10);
}

/* Build at the monitor's area and walk RSDP -> XSDT -> MADT. */
TEST(tables)
{
    uint8_t *ram = new_ram();
    uint64_t rsdp = 0, xsdt, madt;
    size_t n = acpi_tables_size();

    if (!CHECK(ram))
        return;
    CHECK_EQ(acpi_build(ram, RAM_SIZE, ACPI_AREA_PADDR, ACPI_AREA_SIZE, &rsdp), 0);
    CHECK_EQ(rsdp, ACPI_AREA_PADDR);
    xsdt = check_rsdp(ram, rsdp);
    CHECK(xsdt >= ACPI_AREA_PADDR && xsdt < ACPI_AREA_PADDR + n);
    madt = check_xsdt(ram, xsdt);
    CHECK(madt >= ACPI_AREA_PADDR && madt < ACPI_AREA_PADDR + n);
    check_madt(ram, madt);
    CHECK_EQ(changed(ram, 0, ACPI_AREA_PADDR), 0);
    CHECK_EQ(changed(ram, ACPI_AREA_PADDR + n, RAM_SIZE), 0);
    free(ram);
}

/* The monitor's area is where PC firmware keeps tables: below 1 MiB, in
   the reserved BIOS window, clear of the start info and the kernel. */
TEST(area)
{
    CHECK(ACPI_AREA_PADDR >= LOADER_LOW_RAM_END);
    CHECK(ACPI_AREA_PADDR + ACPI_AREA_SIZE <= LOADER_HIGH_RAM);
    CHECK(ACPI_AREA_PADDR >= 0xe0000 && ACPI_AREA_PADDR % 16 == 0);
    CHECK(acpi_tables_size() <= ACPI_AREA_SIZE);
}

/* An area of exactly the tables' size, the last bytes of a buffer that
   size: fits, and ASan sees any write past it. One byte less: refused, and
   the buffer is untouched. */
TEST(exact_fit)
{
    size_t n = acpi_tables_size();
    uint8_t *ram = malloc(n);
    uint64_t rsdp = 1;

    if (!CHECK(ram))
        return;
    memset(ram, RAM_FILL, n);
    CHECK_EQ(acpi_build(ram, n, 0, n - 1, &rsdp), ACPI_E_ROOM);
    CHECK_EQ(acpi_build(ram, n - 1, 0, n - 1, &rsdp), ACPI_E_ROOM);
    CHECK_EQ(rsdp, 1);
    CHECK_EQ(changed(ram, 0, n), 0);
    CHECK_EQ(acpi_build(ram, n, 0, n, &rsdp), 0);
    CHECK_EQ(rsdp, 0);
    CHECK(memcmp(ram, "RSD PTR ", 8) == 0);
    free(ram);
}

/* Bad areas: misaligned, past RAM, wrapping, above 4 GiB, no RAM. Nothing
   is written. */
TEST(refused)
{
    uint8_t *ram = new_ram();
    uint64_t rsdp = 1;

    if (!CHECK(ram))
        return;
    CHECK_EQ(acpi_build(ram, RAM_SIZE, ACPI_AREA_PADDR + 8, 0x1000, &rsdp), ACPI_E_ARGS);
    CHECK_EQ(acpi_build(NULL, RAM_SIZE, ACPI_AREA_PADDR, 0x1000, &rsdp), ACPI_E_ARGS);
    CHECK_EQ(acpi_build(ram, RAM_SIZE, ACPI_AREA_PADDR, 0x1000, NULL), ACPI_E_ARGS);
    CHECK_EQ(acpi_build(ram, RAM_SIZE, RAM_SIZE - 0x40, 0x1000, &rsdp), ACPI_E_RANGE);
    CHECK_EQ(acpi_build(ram, RAM_SIZE, RAM_SIZE, 0x1000, &rsdp), ACPI_E_RANGE);
    CHECK_EQ(acpi_build(ram, RAM_SIZE, UINT64_MAX - 15, 0x1000, &rsdp), ACPI_E_RANGE);
    CHECK_EQ(acpi_build(ram, RAM_SIZE, 0x10, SIZE_MAX, &rsdp), ACPI_E_RANGE);
    CHECK_EQ(acpi_build(ram, SIZE_MAX, 0x100000000ull, 0x1000, &rsdp), ACPI_E_RANGE);
    CHECK_EQ(acpi_build(ram, RAM_SIZE, ACPI_AREA_PADDR, 0, &rsdp), ACPI_E_ROOM);
    CHECK_EQ(rsdp, 1);
    CHECK_EQ(changed(ram, 0, RAM_SIZE), 0);
    free(ram);
}

/* The start info says where the RSDP is: 0 until set, then the address. */
TEST(start_info_rsdp)
{
    uint8_t *ram = new_ram();
    struct loader_result r;
    uint32_t si = 0;
    uint64_t rsdp = 0;

    if (!CHECK(ram))
        return;
    CHECK_EQ(loader_start_info(ram, RAM_SIZE, "", &si, &r), LOADER_OK);
    CHECK_EQ(rd(ram + si + 32, 8), 0);
    CHECK_EQ(acpi_build(ram, RAM_SIZE, ACPI_AREA_PADDR, ACPI_AREA_SIZE, &rsdp), 0);
    CHECK_EQ(loader_set_rsdp(ram, RAM_SIZE, rsdp, &r), LOADER_OK);
    CHECK_EQ(rd(ram + si, 4), LOADER_START_MAGIC);
    CHECK_EQ(rd(ram + si + 32, 8), ACPI_AREA_PADDR);   /* hvm_start_info.rsdp_paddr */
    CHECK_EQ(rd(ram + si + 24, 8), LOADER_CMDLINE_PADDR); /* neighbours intact */
    CHECK_EQ(rd(ram + si + 40, 8), LOADER_MEMMAP_PADDR);
    CHECK_EQ(loader_set_rsdp(ram, 0x1000, rsdp, &r), LOADER_E_RAM);
    free(ram);
}

CHECK_MAIN(TEST_ENTRY(tables), TEST_ENTRY(area), TEST_ENTRY(exact_fit), TEST_ENTRY(refused),
           TEST_ENTRY(start_info_rsdp))
