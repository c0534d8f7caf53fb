/* vm_acpi_test.c - white-box tests of vm/acpi.c, the monitor's ACPI tables.

   Builds the tables into a RAM buffer, then reads them back the way a kernel
   would, with its own parser written from the spec (ACPI 6.5, 5.2.5.3 RSDP,
   5.2.6 header, 5.2.8 XSDT, 5.2.12 MADT, 5.2.9 FADT, 5.2.3.2 generic
   address, 4.8.3.6 reset register, 5.2.11.1 DSDT, 7.4.2 and 20.2 for its
   \_S5 object): RSDP -> XSDT -> MADT and FADT -> DSDT, every signature,
   length and checksum, every MADT structure, every FADT field the monitor
   sets (and the ones it must leave 0), and the DSDT's AML byte for byte,
   then decoded: \_S5's package holds 7, 7, 0, 0. Bytes outside the
   tables must be untouched; an area too small, misaligned or outside RAM is
   refused without a write, and a buffer of exactly the tables' size lets
   AddressSanitizer catch a single byte written past it. Last, the loader's
   start info carries the RSDP address.

   Offsets here are the spec's numbers, not hdr/acpi.h's names, so a wrong
   offset in the header, which both the monitor and the kernel use, shows.
   The header's byte helpers and checksum are checked first, by value.

   Build: gcc -std=c11 -I../hdr -fsanitize=address,undefined vm_acpi_test.c
          ../vm/acpi.c ../vm/loader.c */
#include "check.h"

#include "../vm/acpi.h"
#include "../vm/loader.h"

#define ACPI_IMPLEMENTATION     /* hdr/acpi.h: byte helpers and checksum */
#define ACPI_STATIC
#include "acpi.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define RAM_SIZE (2u << 20)
#define RAM_FILL 0xa5

static uint8_t *new_ram(void)
{
    uint8_t *ram = malloc(RAM_SIZE);

    if (ram)
        memset(ram, RAM_FILL, RAM_SIZE);
    return ram;
}

/* Bytes of p[0..n) that are not `v`. */
static size_t changed_from(const uint8_t *p, size_t n, uint8_t v)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += p[i] != v;
    return k;
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
    len = acpi_get32(ram + pa + 4);
    if (!CHECK(memcmp(ram + pa, sig, 4) == 0) || !CHECK(len >= 36) ||
        !CHECK(len <= RAM_SIZE - pa))
        return 0;
    CHECK_EQ(acpi_sum(ram + pa, len), 0);
    return len;
}

/* RSDP: signature, revision 2, both checksums, length 36; the XSDT's address. */
static uint64_t check_rsdp(const uint8_t *ram, uint64_t pa)
{
    const uint8_t *p = ram + pa;

    if (!CHECK(pa % 16 == 0) || !CHECK(pa <= RAM_SIZE - 36))
        return 0;
    CHECK(memcmp(p, "RSD PTR ", 8) == 0);
    CHECK_EQ(acpi_sum(p, 20), 0);
    CHECK_EQ(p[15], 2);
    CHECK_EQ(acpi_get32(p + 20), 36);
    CHECK_EQ(acpi_sum(p, 36), 0);
    CHECK_EQ(acpi_get32(p + 16), 0);         /* no RSDT: the XSDT only */
    return acpi_get64(p + 24);
}

/* XSDT: exactly two entries; the table with signature `sig` among them. */
static uint64_t check_xsdt(const uint8_t *ram, uint64_t pa, const char *sig)
{
    uint32_t len = table_ok(ram, pa, "XSDT");
    uint64_t found = 0;

    if (!len)
        return 0;
    CHECK_EQ(len, 36 + 2 * 8);
    for (uint32_t off = 36; off + 8 <= len; off += 8) {
        uint64_t t = acpi_get64(ram + pa + off);

        if (CHECK(t <= RAM_SIZE - 4) && memcmp(ram + t, sig, 4) == 0) {
            CHECK_EQ(found, 0);                  /* listed once */
            found = t;
        }
    }
    return found;
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
    CHECK_EQ(acpi_get32(e + 4) & 1, 1);      /* enabled */
}

static void check_ioapic(const uint8_t *e, struct madt_seen *s)
{
    s->ioapics++;
    CHECK_EQ(e[1], 12);
    CHECK_EQ(e[2], 0);                       /* I/O APIC ID */
    CHECK_EQ(acpi_get32(e + 4), 0xfec00000u);
    CHECK_EQ(acpi_get32(e + 8), 0);          /* GSI base */
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
    CHECK_EQ(acpi_get32(e + 4), want[i].gsi);
    CHECK_EQ(acpi_get16(e + 8), want[i].flags);
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
    CHECK_EQ(acpi_get32(ram + pa + 36), 0xfee00000u);
    CHECK_EQ(acpi_get32(ram + pa + 40), 1);  /* PCAT_COMPAT */
    walk_madt(ram, pa, len, &s);
    CHECK(!s.bad_length);
    CHECK_EQ(s.lapics, 1);
    CHECK_EQ(s.ioapics, 1);
    CHECK_EQ(s.overrides, 2);
    CHECK_EQ(s.other, 0);
    CHECK_EQ(len, 44 + 8 + 12 + 2 * 10);
}

/* A Generic Address Structure (5.2.3.2): system I/O, `bits` wide at bit
   offset 0, accessed `access` (1: byte, 2: word, 3: dword), at `port`. */
static void check_gas(const uint8_t *g, unsigned bits, unsigned access, uint64_t port)
{
    CHECK_EQ(g[0], 1);                       /* system I/O space */
    CHECK_EQ(g[1], bits);
    CHECK_EQ(g[2], 0);
    CHECK_EQ(g[3], access);
    CHECK_EQ(acpi_get64(g + 4), port);
}

/* One integer of a package (20.2.3): ZeroOp, OneOp, or BytePrefix and a
   byte; *at moves past it. -1 for anything else. */
static int aml_small_int(const uint8_t *aml, size_t len, size_t *at)
{
    if (*at >= len)
        return -1;
    if (aml[*at] == 0x00 || aml[*at] == 0x01)
        return aml[(*at)++];
    if (aml[*at] == 0x0a && *at + 1 < len) {
        *at += 2;
        return aml[*at - 1];
    }
    return -1;
}

/* The DSDT: a valid table, revision 2, whose AML is exactly
   Name (\_S5, Package (4) { 7, 7, 0, 0 }): NameOp 0x08, RootChar '\',
   the segment "_S5_", PackageOp 0x12, PkgLength 8 (one byte, counting
   itself and the 7 after it), NumElements 4, BytePrefix 0x0a 7 twice,
   ZeroOp twice. Then the same bytes decoded as a kernel would: the package
   ends with the table, and its first element, PM1a's SLP_TYP, is 7, the
   S5 encoding of Intel's chipsets (SLP_TYP 111b). */
static void check_dsdt(const uint8_t *ram, uint64_t pa)
{
    static const uint8_t want[] = { 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                    0x0a, 0x07, 0x0a, 0x07, 0x00, 0x00 };
    uint32_t len = table_ok(ram, pa, "DSDT");
    const uint8_t *aml = ram + pa + 36;
    size_t n = len - 36, at = 9;
    int v[4];

    if (!CHECK_EQ(len, 36 + sizeof want))
        return;
    CHECK_EQ(ram[pa + 8], 2);
    CHECK(memcmp(aml, want, sizeof want) == 0);
    CHECK_EQ(aml[7] >> 6, 0);                /* a one-byte PkgLength */
    CHECK_EQ(7 + (aml[7] & 0x3f), n);        /* the package ends with the table */
    CHECK_EQ(aml[8], 4);
    for (int i = 0; i < 4; i++)
        v[i] = aml_small_int(aml, n, &at);
    CHECK_EQ(at, n);
    CHECK(v[0] == 7 && v[1] == 7 && v[2] == 0 && v[3] == 0);
    CHECK_EQ(v[0], ACPI_BOARD_S5_SLP_TYP);
}

/* The FADT, field by field (offsets from ACPI 6.5 table 5.9): revision 6.5,
   276 bytes; the DSDT twice; SCI on IRQ 9; the PM1a event block at 0x600
   (4 bytes), PM1a control at 0x604 (2), the PM timer at 0x608 (4), as
   32-bit ports and again as X_ generic addresses; a 24-bit timer like
   QEMU's; the reset register: system I/O port 0xcf9, 8 bits at offset 0,
   byte access, value 0x06 (an ICH's Reset Control Register: SYS_RST |
   RST_CPU), with the RESET_REG_SUP flag (bit 10); the century at CMOS
   RAM 0x32, where the RTC model carries years into it; no SMI_CMD, no FACS, no
   PM1b, PM2 or GPE blocks. Returns the DSDT's address. */
static uint64_t check_fadt(const uint8_t *ram, uint64_t pa)
{
    uint32_t len = table_ok(ram, pa, "FACP");
    const uint8_t *f = ram + pa;
    /* FIRMWARE_CTRL (no FACS), SMI_CMD, PM1b event and control, PM2, GPE0, GPE1 */
    static const unsigned zero4[] = { 36, 48, 60, 68, 72, 80, 84 };

    if (!CHECK_EQ(len, 276))
        return 0;
    CHECK_EQ(f[8], 6);                       /* revision */
    CHECK_EQ(f[131], 5);                     /* minor version */
    CHECK_EQ(acpi_get32(f + 40), acpi_get64(f + 140)); /* DSDT == X_DSDT */
    CHECK_EQ(acpi_get16(f + 46), 9);         /* SCI_INT */
    CHECK_EQ(acpi_get32(f + 56), 0x600);     /* PM1a_EVT_BLK */
    CHECK_EQ(acpi_get32(f + 64), 0x604);     /* PM1a_CNT_BLK */
    CHECK_EQ(acpi_get32(f + 76), 0x608);     /* PM_TMR_BLK */
    CHECK_EQ(f[88], 4);                      /* PM1_EVT_LEN */
    CHECK_EQ(f[89], 2);                      /* PM1_CNT_LEN */
    CHECK_EQ(f[90], 0);                      /* PM2_CNT_LEN */
    CHECK_EQ(f[91], 4);                      /* PM_TMR_LEN */
    CHECK_EQ(f[92], 0);                      /* GPE0_BLK_LEN */
    CHECK_EQ(f[93], 0);                      /* GPE1_BLK_LEN */
    CHECK_EQ(acpi_get16(f + 96), 101);       /* P_LVL2_LAT: no C2 */
    CHECK_EQ(acpi_get16(f + 98), 1001);      /* P_LVL3_LAT: no C3 */
    CHECK_EQ(f[108], 0x32);                  /* CENTURY: CMOS RAM 0x32, as on a PC */
    CHECK_EQ(acpi_get16(f + 109), 0x7);      /* legacy devices, an 8042, no VGA */
    CHECK_EQ(acpi_get32(f + 112), 0x475);    /* WBINVD, C1, no buttons, FIX_RTC, RESET_REG_SUP */
    CHECK_EQ(acpi_get32(f + 112) & (1u << 10), 1u << 10);
    CHECK_EQ(acpi_get32(f + 112) & (1u << 8), 0); /* TMR_VAL_EXT clear: 24 bits */
    CHECK_EQ(acpi_get32(f + 112) & (1u << 20), 0);/* not hardware-reduced */
    for (size_t i = 0; i < sizeof zero4 / sizeof zero4[0]; i++)
        CHECK_EQ(acpi_get32(f + zero4[i]), 0);
    check_gas(f + 116, 8, 1, 0xcf9);         /* RESET_REG: 8 bits, byte access */
    CHECK_EQ(f[128], 0x06);                  /* RESET_VALUE */
    CHECK_EQ(acpi_get16(f + 129), 0);        /* ARM_BOOT_ARCH */
    CHECK_EQ(ACPI_BOARD_RESET_PORT, 0xcf9);
    CHECK_EQ(ACPI_BOARD_RESET_VALUE, 0x06);
    CHECK_EQ(acpi_get64(f + 132), 0);        /* X_FIRMWARE_CTRL */
    check_gas(f + 148, 32, 2, 0x600);        /* X_PM1a_EVT_BLK */
    CHECK_EQ(changed_from(f + 160, 12, 0), 0);   /* X_PM1b_EVT_BLK */
    check_gas(f + 172, 16, 2, 0x604);        /* X_PM1a_CNT_BLK */
    CHECK_EQ(changed_from(f + 184, 24, 0), 0);   /* X_PM1b_CNT_BLK, X_PM2_CNT_BLK */
    check_gas(f + 208, 32, 3, 0x608);        /* X_PM_TMR_BLK */
    CHECK_EQ(changed_from(f + 220, 56, 0), 0);   /* GPEs, sleep regs, hypervisor ID */
    return acpi_get64(f + 140);
}

/* hdr/acpi.h's helpers, which everything below (and both the monitor and
   the kernel) relies on: little-endian at any alignment, only `n` bytes
   touched; the checksum makes a buffer sum to 0 whatever its byte held. */
TEST(byte_helpers)
{
    static const uint8_t le[9] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
    uint8_t b[12];

    CHECK_EQ(acpi_get8(le + 1), 0x11);
    CHECK_EQ(acpi_get16(le + 1), 0x2211);    /* an odd address */
    CHECK_EQ(acpi_get32(le + 1), 0x44332211u);
    CHECK_EQ(acpi_get64(le + 1), 0x8877665544332211ull);
    CHECK_EQ(acpi_getn(le + 1, 3), 0x332211);
    CHECK_EQ(acpi_getn(le + 1, 0), 0);
    memset(b, 0xee, sizeof b);
    acpi_put16(b + 1, 0xa1b2);
    CHECK(b[0] == 0xee && b[1] == 0xb2 && b[2] == 0xa1 && b[3] == 0xee);
    acpi_put32(b + 3, 0x01020304u);
    CHECK(b[3] == 4 && b[4] == 3 && b[5] == 2 && b[6] == 1 && b[7] == 0xee);
    memset(b, 0xee, sizeof b);
    acpi_put64(b + 1, 0x0102030405060708ull);
    CHECK(b[0] == 0xee && b[1] == 8 && b[8] == 1 && b[9] == 0xee);
    acpi_putn(b + 1, 0xffffff, 2);
    CHECK(b[1] == 0xff && b[2] == 0xff && b[3] == 6);
    CHECK_EQ(acpi_sum(le, sizeof le),
             (0x11 + 0x22 + 0x33 + 0x44 + 0x55 + 0x66 + 0x77 + 0x88) & 0xff);
    CHECK_EQ(acpi_sum(le, 0), 0);
    acpi_set_checksum(b, sizeof b, 9);
    CHECK_EQ(acpi_sum(b, sizeof b), 0);
    b[9] ^= 0x5a;                            /* a stale checksum does not count */
    acpi_set_checksum(b, sizeof b, 9);
    CHECK_EQ(acpi_sum(b, sizeof b), 0);
}

/* Build at the monitor's area and walk RSDP -> XSDT -> MADT, FADT -> DSDT. */
TEST(tables)
{
    uint8_t *ram = new_ram();
    uint64_t rsdp = 0, xsdt, madt, fadt, dsdt;
    size_t n = acpi_tables_size();

    if (!CHECK(ram))
        return;
    CHECK_EQ(acpi_build(ram, RAM_SIZE, ACPI_AREA_PADDR, ACPI_AREA_SIZE, &rsdp), 0);
    CHECK_EQ(rsdp, ACPI_AREA_PADDR);
    xsdt = check_rsdp(ram, rsdp);
    CHECK(xsdt >= ACPI_AREA_PADDR && xsdt < ACPI_AREA_PADDR + n);
    madt = check_xsdt(ram, xsdt, "APIC");
    CHECK(madt >= ACPI_AREA_PADDR && madt < ACPI_AREA_PADDR + n);
    check_madt(ram, madt);
    fadt = check_xsdt(ram, xsdt, "FACP");
    CHECK(fadt >= ACPI_AREA_PADDR && fadt + 276 <= ACPI_AREA_PADDR + n);
    CHECK(fadt % 16 == 0 && madt % 16 == 0 && xsdt % 16 == 0);
    dsdt = check_fadt(ram, fadt);
    CHECK(dsdt >= ACPI_AREA_PADDR && dsdt + 51 <= ACPI_AREA_PADDR + n && dsdt % 16 == 0);
    check_dsdt(ram, dsdt);
    /* No two tables overlap: they are in address order, each ends before
       the next begins. */
    CHECK(rsdp + 36 <= xsdt && xsdt + 52 <= madt && madt + 84 <= fadt && fadt + 276 <= dsdt);
    CHECK_EQ(dsdt + 51, ACPI_AREA_PADDR + n);
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

/* Rooms that cut the tables anywhere, in the last table (the DSDT), the
   FADT or the MADT: refused, nothing written, *rsdp_out untouched. */
TEST(short_rooms)
{
    uint8_t *ram = new_ram();
    size_t n = acpi_tables_size();
    static const size_t cut[] = { 1, 2, 36, 37, 200, 300, 400 };
    uint64_t rsdp = 1;

    if (!CHECK(ram))
        return;
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        if (!CHECK(cut[i] < n))
            continue;
        CHECK_EQ(acpi_build(ram, RAM_SIZE, ACPI_AREA_PADDR, n - cut[i], &rsdp), ACPI_E_ROOM);
        CHECK_EQ(acpi_build(ram, ACPI_AREA_PADDR + n - cut[i], ACPI_AREA_PADDR, ACPI_AREA_SIZE,
                            &rsdp), ACPI_E_RANGE);
    }
    CHECK_EQ(rsdp, 1);
    CHECK_EQ(changed(ram, 0, RAM_SIZE), 0);
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
    CHECK_EQ(acpi_get64(ram + si + 32), 0);
    CHECK_EQ(acpi_build(ram, RAM_SIZE, ACPI_AREA_PADDR, ACPI_AREA_SIZE, &rsdp), 0);
    CHECK_EQ(loader_set_rsdp(ram, RAM_SIZE, rsdp, &r), LOADER_OK);
    CHECK_EQ(acpi_get32(ram + si), XEN_HVM_START_MAGIC_VALUE);
    CHECK_EQ(acpi_get64(ram + si + 32), ACPI_AREA_PADDR); /* hvm_start_info.rsdp_paddr */
    CHECK_EQ(acpi_get64(ram + si + 24), LOADER_CMDLINE_PADDR); /* neighbours intact */
    CHECK_EQ(acpi_get64(ram + si + 40), LOADER_MEMMAP_PADDR);
    CHECK_EQ(loader_set_rsdp(ram, 0x1000, rsdp, &r), LOADER_E_RAM);
    free(ram);
}

CHECK_MAIN(TEST_ENTRY(byte_helpers), TEST_ENTRY(tables), TEST_ENTRY(area), TEST_ENTRY(exact_fit),
           TEST_ENTRY(short_rooms), TEST_ENTRY(refused),
           TEST_ENTRY(start_info_rsdp))
