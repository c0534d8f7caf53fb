/* x64_acpi_test.c - the x64 kernel's MADT and FADT reader (arch/x64/acpi.c)
   on the host.

   The kernel reads tables at physical addresses through its identity map of
   the low 4 GiB. Here the "physical" memory is a host mapping below 2 GiB
   (MAP_32BIT), so the reader runs unchanged on host addresses. First the
   monitor's own tables (vm/acpi.c), moved into that mapping: the kernel
   must read back exactly what the monitor wrote. Then hand-made firmware
   that lies: bad checksums, a zero or overlong structure length, a table
   length past its end, entries pointing nowhere, too many overrides, ACPI
   1.0 with an RSDT only. The FADT the same way: the monitor's, read back
   field by field; QEMU's ACPI 1.0 shape; X_ addresses that supersede the
   32-bit ports, or point outside I/O space; bad lengths and checksums.
   Last, random damage to the MADT and the FADT (checksums fixed up so the
   parsers run): no crash, no hang, under ASan and UBSan.

   The hand-made tables and the fix-ups use hdr/acpi.h's byte helpers and
   checksum, at the spec's offsets written as numbers.

   Build: gcc -std=c11 -I../hdr -fsanitize=address,undefined x64_acpi_test.c
          ../arch/x64/acpi.c ../vm/acpi.c */
#define _GNU_SOURCE
#include "check.h"

#include "../arch/x64/acpi.h"
#include "../vm/acpi.h"

#define ACPI_IMPLEMENTATION     /* hdr/acpi.h: byte helpers and checksum */
#define ACPI_STATIC
#include "acpi.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define MEM_SIZE 0x10000u
#ifndef MAP_32BIT            /* x86-64 Linux only; elsewhere, a low hint */
#define MAP_32BIT 0
#define LOW_HINT ((void *)0x40000000)
#else
#define LOW_HINT NULL
#endif

static uint8_t *mem;            /* the fake physical memory, below 2 GiB */
static char printed[512];       /* the last line acpi_find_madt printed */

/* The kernel's kprintf, collecting the output. */
int kprintf(const char *fmt, ...)
{
    size_t n = strlen(printed);
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vsnprintf(printed + n, sizeof printed - n, fmt, ap);
    va_end(ap);
    return r;
}

static uint64_t pa(size_t off) { return (uint64_t)(uintptr_t)(mem + off); }

/* Make the RSDP's checksums, or a table's, right again after a change. */
static void fix_rsdp(uint8_t *p)
{
    acpi_set_checksum(p, 20, 8);
    if (p[15] >= 2)
        acpi_set_checksum(p, 36, 32);
}

static void fix_table(uint8_t *p) { acpi_set_checksum(p, acpi_get32(p + 4), 9); }

static bool table_sums_to_0(const uint8_t *p) { return acpi_sum(p, acpi_get32(p + 4)) == 0; }

/* The fake physical memory, mapped on first use, cleared every time. */
static bool setup(void)
{
    void *p;

    if (!mem) {
        p = mmap(LOW_HINT, MEM_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
        if (p == MAP_FAILED)
            return false;
        if ((uintptr_t)p >= 0x100000000ull - MEM_SIZE) {
            printf("  no mapping below 4 GiB; the kernel reader would refuse it\n");
            return false;
        }
        mem = p;
    }
    memset(mem, 0, MEM_SIZE);
    return true;
}

/* The monitor's tables, built at guest physical 0 and then moved: every
   address in them becomes mem + address. Returns the RSDP's address. */
static uint64_t monitor_tables(void)
{
    uint64_t rsdp, xsdt, t;
    uint8_t *f;

    if (!setup() || acpi_build(mem, MEM_SIZE, 0, MEM_SIZE, &rsdp))
        return 0;
    xsdt = acpi_get64(mem + rsdp + 24);
    if (!CHECK(table_sums_to_0(mem + xsdt)))     /* as built, before any fix-up */
        return 0;
    acpi_put64(mem + rsdp + 24, pa(xsdt));
    fix_rsdp(mem + rsdp);
    for (uint32_t off = 36; off < acpi_get32(mem + xsdt + 4); off += 8) {
        t = acpi_get64(mem + xsdt + off);
        CHECK(table_sums_to_0(mem + t));
        acpi_put64(mem + xsdt + off, pa(t));
        if (memcmp(mem + t, "FACP", 4) == 0) {       /* its DSDT pointers too */
            f = mem + t;
            acpi_put32(f + 40, pa(acpi_get32(f + 40)));
            acpi_put64(f + 140, pa(acpi_get64(f + 140)));
            fix_table(f);
        }
    }
    fix_table(mem + xsdt);
    return pa(rsdp);
}

/* The XSDT's second entry: the FADT. */
static uint8_t *fadt_of(uint64_t rsdp)
{
    const uint8_t *r = (const uint8_t *)(uintptr_t)rsdp;
    const uint8_t *x = (const uint8_t *)(uintptr_t)acpi_get64(r + 24);

    return (uint8_t *)(uintptr_t)acpi_get64(x + 36 + 8);
}

static uint8_t *madt_of(uint64_t rsdp)
{
    const uint8_t *r = (const uint8_t *)(uintptr_t)rsdp;
    const uint8_t *x = (const uint8_t *)(uintptr_t)acpi_get64(r + 24);

    return (uint8_t *)(uintptr_t)acpi_get64(x + 36);
}

static bool find(uint64_t rsdp, struct madt_info *m)
{
    printed[0] = 0;
    return acpi_find_madt(rsdp, m);
}

/* The kernel reads what the monitor wrote, and prints the promised line. */
TEST(monitor_tables)
{
    struct madt_info m;
    bool low, level;
    uint64_t rsdp = monitor_tables();

    if (!CHECK(rsdp) || !CHECK(find(rsdp, &m)))
        return;
    CHECK_EQ(m.lapic_paddr, 0xfee00000u);
    CHECK(m.pcat_compat);
    CHECK_EQ(m.ioapics, 1);
    CHECK_EQ(m.ioapic_id, 0);
    CHECK_EQ(m.ioapic_paddr, 0xfec00000u);
    CHECK_EQ(m.ioapic_gsi_base, 0);
    CHECK_EQ(m.n_overrides, 2);
    CHECK_EQ(madt_isa_gsi(&m, 0, &low, &level), 2);
    CHECK(!low && !level);
    CHECK_EQ(madt_isa_gsi(&m, 9, &low, &level), 9);
    CHECK(!low && level);
    CHECK_EQ(madt_isa_gsi(&m, 4, &low, &level), 4);
    CHECK(!low && !level);
    CHECK(strcmp(printed, "acpi: MADT: ioapic 0 at 0xfec00000 gsi 0, 2 overrides "
                          "(irq0->gsi2 irq9->gsi9(level))\n") == 0);
}

/* The kernel said "acpi: no TABLE (...why...)" and nothing else first. */
static void said_no(const char *table, const char *why)
{
    char start[32];

    snprintf(start, sizeof start, "acpi: no %s (", table);
    if (!CHECK(strstr(printed, start) == printed && strstr(printed, why)))
        printf("  printed: %s", printed);
}

/* One broken field at a time: refused, *out zeroed, a reason printed. */
static void refused(uint64_t rsdp, const char *why)
{
    struct madt_info m;

    memset(&m, 0x5a, sizeof m);
    CHECK(!find(rsdp, &m));
    CHECK_EQ(m.ioapics, 0);
    CHECK_EQ(m.n_overrides, 0);
    said_no("MADT", why);
}

TEST(bad_checksums)
{
    uint64_t rsdp = monitor_tables();
    uint8_t *r = mem + (rsdp - pa(0));

    r[8]++;                                          /* the 1.0 checksum */
    refused(rsdp, "bad RSDP");
    rsdp = monitor_tables();
    r[32]++;                                         /* the extended one */
    refused(rsdp, "bad RSDP");
    rsdp = monitor_tables();
    madt_of(rsdp)[9]++;
    refused(rsdp, "bad MADT");
    rsdp = monitor_tables();
    (mem + (acpi_get64(r + 24) - pa(0)))[9]++;       /* the XSDT's */
    refused(rsdp, "bad XSDT");
}

/* Structure lengths: 0 (a walk that would never end), 1, past the table. */
TEST(bad_lengths)
{
    static const uint8_t lens[] = { 0, 1, 200, 255 };

    for (size_t i = 0; i < sizeof lens; i++) {
        uint64_t rsdp = monitor_tables();
        uint8_t *t = madt_of(rsdp);

        t[44 + 1] = lens[i];                         /* the first structure */
        fix_table(t);
        refused(rsdp, "bad length");
    }
}

/* A table length smaller than the header, larger than the bound, or
   reaching past 4 GiB: refused before any byte past the header is read. */
TEST(bad_table_lengths)
{
    static const uint32_t lens[] = { 0, 35, 43, 2u << 20, 0xffffffffu };

    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        uint64_t rsdp = monitor_tables();
        uint8_t *t = madt_of(rsdp);

        acpi_put32(t + 4, lens[i]);
        refused(rsdp, "MADT");
    }
}

/* XSDT entries pointing at nothing usable: 0, above 4 GiB, unreachable. */
TEST(bad_pointers)
{
    static const uint64_t to[] = { 0, 0x100000000ull, 0xfffffffffffffff0ull, 0x800 };

    for (size_t i = 0; i < sizeof to / sizeof to[0]; i++) {
        uint64_t rsdp = monitor_tables();
        uint8_t *x = mem + (acpi_get64(mem + (rsdp - pa(0)) + 24) - pa(0));

        acpi_put64(x + 36, to[i]);
        fix_table(x);
        refused(rsdp, "no APIC table");
    }
    refused(pa(8), "bad RSDP");                      /* not on "RSD PTR " */
    refused(0xfffffff0ull, "bad RSDP");              /* would run past 4 GiB */
}

/* An MADT without an I/O APIC is no use to the kernel. */
TEST(no_ioapic)
{
    uint64_t rsdp = monitor_tables();
    uint8_t *t = madt_of(rsdp);

    t[44 + 8] = 0x7f;                                /* the IOAPIC: unknown type */
    fix_table(t);
    refused(rsdp, "no I/O APIC");
}

/* ACPI 1.0 firmware (QEMU's pc machine): revision 0, an RSDT of 32-bit
   entries; and 20 overrides, of which the kernel keeps 16, skipping IRQs
   above 15 and buses other than ISA. */
TEST(rsdt_and_many_overrides)
{
    uint8_t *r, *rsdt, *t, *e;
    struct madt_info m;

    if (!CHECK(setup()))
        return;
    r = mem, rsdt = mem + 0x40, t = mem + 0x100, e = t + 44;
    memcpy(r, "RSD PTR ", 8);
    acpi_put32(r + 16, pa(0x40));
    fix_rsdp(r);
    memcpy(rsdt, "RSDT", 4);
    acpi_put32(rsdt + 4, 36 + 4);
    acpi_put32(rsdt + 36, pa(0x100));
    fix_table(rsdt);
    memcpy(t, "APIC", 4);
    acpi_put32(t + 36, 0xfee00000u);
    e[0] = 1, e[1] = 12, e[2] = 3, acpi_put32(e + 4, 0xfec01000u), acpi_put32(e + 8, 0), e += 12;
    e[0] = 2, e[1] = 10, e[2] = 1, e[3] = 5, e += 10;       /* not ISA: skipped */
    e[0] = 2, e[1] = 10, e[3] = 16, e += 10;                /* not an ISA IRQ */
    for (unsigned i = 0; i < 20; i++, e += 10)
        e[0] = 2, e[1] = 10, e[3] = (uint8_t)(i % 16), acpi_put32(e + 4, 100 + i),
        acpi_put16(e + 8, 0xf);                             /* active low, level */
    acpi_put32(t + 4, (uint32_t)(e - t));
    fix_table(t);
    if (!CHECK(find(pa(0), &m)))
        return;
    CHECK(!m.pcat_compat);
    CHECK_EQ(m.ioapic_id, 3);
    CHECK_EQ(m.ioapic_paddr, 0xfec01000u);
    CHECK_EQ(m.n_overrides, MADT_MAX_OVERRIDES);
    CHECK_EQ(m.overrides[0].gsi, 100);
    CHECK(m.overrides[0].active_low && m.overrides[0].level);
    CHECK(strstr(printed, "irq0->gsi100(level,low)") != NULL);
}

/* Random bytes of the MADT's body changed, its checksum made right again:
   the walk must end, within the table. */
TEST(random_damage)
{
    struct madt_info m;
    unsigned seed = 1, ok = 0;

    for (int n = 0; n < 5000; n++) {
        uint64_t rsdp = monitor_tables();
        uint8_t *t = madt_of(rsdp);
        uint32_t len = acpi_get32(t + 4);

        for (int k = 0; k < 1 + n % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            t[36 + (seed >> 8) % (len - 36)] = (uint8_t)(seed >> 20);
        }
        fix_table(t);
        ok += find(rsdp, &m);
        CHECK(m.n_overrides <= MADT_MAX_OVERRIDES);
    }
    printf("  %u of 5000 damaged MADTs still had an I/O APIC\n", ok);
}

/* --- FADT --- */

static bool find_fadt(uint64_t rsdp, struct fadt_info *f)
{
    printed[0] = 0;
    return acpi_find_fadt(rsdp, f);
}

/* The kernel reads the monitor's FADT: the PM blocks, the timer's width,
   the SCI; and prints the promised line. The DSDT it points to is valid. */
TEST(monitor_fadt)
{
    struct fadt_info f;
    uint64_t rsdp = monitor_tables();
    const uint8_t *t, *dsdt;

    if (!CHECK(rsdp) || !CHECK(find_fadt(rsdp, &f)))
        return;
    CHECK_EQ(f.revision, 6);
    CHECK_EQ(f.sci_irq, 9);
    CHECK_EQ(f.pm_tmr, 0x608);
    CHECK(!f.tmr_32bit);
    CHECK_EQ(f.pm1a_evt, 0x600);
    CHECK_EQ(f.pm1_evt_len, 4);
    CHECK_EQ(f.pm1a_cnt, 0x604);
    CHECK_EQ(f.pm1_cnt_len, 2);
    CHECK(strcmp(printed, "acpi: FADT: PM timer at port 0x608, 24-bit, SCI on IRQ 9\n") == 0);
    t = fadt_of(rsdp);
    dsdt = (const uint8_t *)(uintptr_t)acpi_get64(t + 140);
    CHECK_EQ(acpi_get32(t + 40), acpi_get64(t + 140));
    CHECK(memcmp(dsdt, "DSDT", 4) == 0);
    CHECK_EQ(acpi_get32(dsdt + 4), 36);
}

static void fadt_refused(uint64_t rsdp, const char *why)
{
    struct fadt_info f;

    memset(&f, 0x5a, sizeof f);
    CHECK(!find_fadt(rsdp, &f));
    CHECK_EQ(f.pm_tmr, 0);
    CHECK_EQ(f.sci_irq, 0);
    said_no("FADT", why);
}

/* A damaged FADT, or none: refused with a reason, *out zeroed. */
TEST(bad_fadt)
{
    static const uint32_t lens[] = { 0, 35, 2u << 20, 0xffffffffu };
    uint64_t rsdp = monitor_tables();
    uint8_t *x;

    fadt_of(rsdp)[9]++;                              /* checksum */
    fadt_refused(rsdp, "bad FADT checksum");
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        rsdp = monitor_tables();
        acpi_put32(fadt_of(rsdp) + 4, lens[i]);
        fadt_refused(rsdp, "bad FADT");
    }
    rsdp = monitor_tables();                         /* too short for the flags */
    acpi_put32(fadt_of(rsdp) + 4, 100);
    fix_table(fadt_of(rsdp));
    fadt_refused(rsdp, "FADT too short");
    rsdp = monitor_tables();                         /* not listed */
    x = mem + (acpi_get64(mem + (rsdp - pa(0)) + 24) - pa(0));
    acpi_put64(x + 44, 0);
    fix_table(x);
    fadt_refused(rsdp, "no FACP table listed");
    rsdp = monitor_tables();
    memcpy(fadt_of(rsdp), "FACX", 4);                /* wrong signature */
    fix_table(fadt_of(rsdp));
    fadt_refused(rsdp, "no FACP table listed");
    fadt_refused(pa(8), "bad RSDP");
}

/* QEMU's pc machine: ACPI 1.0, an RSDT, a 116-byte FADT with no X_
   fields. Here with TMR_VAL_EXT set, so the 32-bit width shows. */
TEST(acpi1_fadt)
{
    uint8_t *r, *rsdt, *t;
    struct fadt_info f;

    if (!CHECK(setup()))
        return;
    r = mem, rsdt = mem + 0x40, t = mem + 0x100;
    memcpy(r, "RSD PTR ", 8);
    acpi_put32(r + 16, pa(0x40));
    fix_rsdp(r);
    memcpy(rsdt, "RSDT", 4);
    acpi_put32(rsdt + 4, 36 + 4);
    acpi_put32(rsdt + 36, pa(0x100));
    fix_table(rsdt);
    memcpy(t, "FACP", 4);
    acpi_put32(t + 4, 116);
    t[8] = 1;
    acpi_put16(t + 46, 9);
    acpi_put32(t + 56, 0xb000), acpi_put32(t + 64, 0xb004), acpi_put32(t + 76, 0xb008);
    t[88] = 4, t[89] = 2, t[91] = 4;
    acpi_put32(t + 112, 1u << 8);
    fix_table(t);
    if (!CHECK(find_fadt(pa(0), &f)))
        return;
    CHECK_EQ(f.revision, 1);
    CHECK_EQ(f.pm_tmr, 0xb008);
    CHECK(f.tmr_32bit);
    CHECK_EQ(f.pm1a_evt, 0xb000);
    CHECK_EQ(f.pm1a_cnt, 0xb004);
    CHECK(strcmp(printed, "acpi: FADT: PM timer at port 0xb008, 32-bit, SCI on IRQ 9\n") == 0);
}

/* X_ addresses supersede the 32-bit fields; one outside I/O space, a
   wrong length or a block past port 0xffff leaves that block unusable
   (port 0) without refusing the FADT. */
TEST(fadt_blocks)
{
    struct fadt_info f;
    uint64_t rsdp;
    uint8_t *t;

    rsdp = monitor_tables(), t = fadt_of(rsdp);
    acpi_put64(t + 208 + 4, 0x1008);                 /* X_PM_TMR_BLK moved */
    fix_table(t);
    CHECK(find_fadt(rsdp, &f));
    CHECK_EQ(f.pm_tmr, 0x1008);
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    t[208] = 0;                                      /* X_PM_TMR_BLK in memory */
    fix_table(t);
    CHECK(find_fadt(rsdp, &f));
    CHECK_EQ(f.pm_tmr, 0);
    CHECK(strcmp(printed, "acpi: FADT: no PM timer, SCI on IRQ 9\n") == 0);
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    memset(t + 208, 0, 12);                          /* no X_: the 32-bit field */
    acpi_put32(t + 76, 0x708);
    fix_table(t);
    CHECK(find_fadt(rsdp, &f));
    CHECK_EQ(f.pm_tmr, 0x708);
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    t[91] = 3;                                       /* PM_TMR_LEN must be 4 */
    fix_table(t);
    CHECK(find_fadt(rsdp, &f));
    CHECK_EQ(f.pm_tmr, 0);
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    acpi_put64(t + 208 + 4, 0xfffe);                 /* runs past port 0xffff */
    acpi_put64(t + 148 + 4, 0x10000);
    t[89] = 0;                                       /* PM1_CNT_LEN 0 */
    fix_table(t);
    CHECK(find_fadt(rsdp, &f));
    CHECK_EQ(f.pm_tmr, 0);
    CHECK_EQ(f.pm1a_evt, 0);
    CHECK_EQ(f.pm1a_cnt, 0);
    CHECK_EQ(f.sci_irq, 9);
}

/* Random bytes of the FADT changed, its checksum made right: the parse
   ends, and every port it reports fits below 0x10000. */
TEST(fadt_random_damage)
{
    struct fadt_info f;
    unsigned seed = 3, ok = 0;

    for (int n = 0; n < 5000; n++) {
        uint64_t rsdp = monitor_tables();
        uint8_t *t = fadt_of(rsdp);

        for (int k = 0; k < 1 + n % 8; k++) {
            seed = seed * 1103515245u + 12345u;
            t[36 + (seed >> 8) % (276 - 36)] = (uint8_t)(seed >> 20);
        }
        fix_table(t);
        ok += find_fadt(rsdp, &f);
        CHECK(!f.pm_tmr || f.pm_tmr <= 0x10000 - 4);
        CHECK(!f.pm1a_evt || f.pm1a_evt + f.pm1_evt_len <= 0x10000);
        CHECK(!f.pm1a_cnt || f.pm1a_cnt + f.pm1_cnt_len <= 0x10000);
    }
    CHECK_EQ(ok, 5000);                              /* the header was never hit */
}

CHECK_MAIN(TEST_ENTRY(monitor_tables), TEST_ENTRY(bad_checksums),
           TEST_ENTRY(bad_lengths), TEST_ENTRY(bad_table_lengths), TEST_ENTRY(bad_pointers),
           TEST_ENTRY(no_ioapic), TEST_ENTRY(rsdt_and_many_overrides), TEST_ENTRY(random_damage),
           TEST_ENTRY(monitor_fadt), TEST_ENTRY(bad_fadt), TEST_ENTRY(acpi1_fadt),
           TEST_ENTRY(fadt_blocks), TEST_ENTRY(fadt_random_damage))
