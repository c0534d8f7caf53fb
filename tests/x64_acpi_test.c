/* x64_acpi_test.c - the x64 kernel's MADT, FADT and \_S5 reader
   (arch/x64/acpi.c) on the host.

   The kernel reads tables at physical addresses through its identity map of
   the low 4 GiB. Here the "physical" memory is a host mapping below 2 GiB
   (MAP_32BIT), so the reader runs unchanged on host addresses. First the
   monitor's own tables (vm/acpi.c), moved into that mapping: the kernel
   must read back exactly what the monitor wrote. Then hand-made firmware
   that lies: bad checksums, a zero or overlong structure length, a table
   length past its end, entries pointing nowhere, too many overrides, ACPI
   1.0 with an RSDT only. The FADT the same way: the monitor's, read back
   field by field; QEMU's ACPI 1.0 shape; X_ addresses that supersede the
   32-bit ports, or point outside I/O space; bad lengths and checksums;
   the reset register, taken only from an ACPI 2.0+ FADT with RESET_REG_SUP
   that puts it in I/O space. Then the DSDT's \_S5: the monitor's (SLP_TYP
   7); QEMU's shape (Scope (\) around a package of ZeroOps, after a
   string, a method and a longer name that all hold the bytes "_S5_");
   and firmware that lies: packages cut short at every byte, lengths past
   the table, reserved PkgLength bits, no elements, elements that are not
   small integers. Last, random damage to the MADT, the FADT and the DSDT
   (checksums fixed up so the parsers run): no crash, no hang, under ASan
   and UBSan.

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
    CHECK(f.reset_reg_sup);
    CHECK_EQ(f.reset_port, 0xcf9);
    CHECK_EQ(f.reset_value, 0x06);
    CHECK(strcmp(printed, "acpi: FADT: PM timer at port 0x608, 24-bit, SCI on IRQ 9\n"
                          "acpi: FADT: reset register port 0xcf9 value 0x6\n") == 0);
    t = fadt_of(rsdp);
    dsdt = (const uint8_t *)(uintptr_t)acpi_get64(t + 140);
    CHECK_EQ(acpi_get32(t + 40), acpi_get64(t + 140));
    CHECK_EQ(f.dsdt, acpi_get64(t + 140));
    CHECK(memcmp(dsdt, "DSDT", 4) == 0);
    CHECK_EQ(acpi_get32(dsdt + 4), 36 + 15);
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
    CHECK_EQ(f.dsdt, 0);                             /* none given */
    CHECK(!f.reset_reg_sup && f.reset_port == 0);
    CHECK(strcmp(printed, "acpi: FADT: PM timer at port 0xb008, 32-bit, SCI on IRQ 9\n"
                          "acpi: FADT: no reset register (ACPI 1.0 FADT)\n") == 0);
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
    CHECK(strncmp(printed, "acpi: FADT: no PM timer, SCI on IRQ 9\n", 38) == 0);
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
        CHECK(!f.reset_port || f.reset_reg_sup);
    }
    CHECK_EQ(ok, 5000);                              /* the header was never hit */
}

/* The reset register: one field broken at a time. Each leaves the FADT
   accepted and says why there is no reset register. */
static void no_reset(uint64_t rsdp, const char *why)
{
    struct fadt_info f;
    char want[96];

    snprintf(want, sizeof want, "acpi: FADT: no reset register (%s)\n", why);
    CHECK(find_fadt(rsdp, &f));
    CHECK_EQ(f.reset_port, 0);
    CHECK_EQ(f.reset_value, 0);
    if (!CHECK(strstr(printed, want) != NULL))
        printf("  printed: %s", printed);
}

TEST(fadt_reset)
{
    struct fadt_info f;
    uint64_t rsdp;
    uint8_t *t;

    rsdp = monitor_tables(), t = fadt_of(rsdp);
    acpi_put32(t + 112, acpi_get32(t + 112) & ~(1u << 10));   /* RESET_REG_SUP */
    fix_table(t);
    no_reset(rsdp, "RESET_REG_SUP clear");
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    t[8] = 1;                                        /* an ACPI 1.0 revision, 276 bytes */
    fix_table(t);
    no_reset(rsdp, "ACPI 1.0 FADT");
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    acpi_put32(t + 4, 128);                          /* RESET_VALUE cut off */
    fix_table(t);
    no_reset(rsdp, "ACPI 1.0 FADT");
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    t[116] = 0;                                      /* in memory */
    fix_table(t);
    no_reset(rsdp, "not in I/O space");
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    t[116] = 2;                                      /* in PCI configuration space */
    fix_table(t);
    no_reset(rsdp, "not in I/O space");
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    acpi_put64(t + 116 + 4, 0x10000);                /* past the ports */
    fix_table(t);
    no_reset(rsdp, "no port");
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    acpi_put64(t + 116 + 4, 0);
    fix_table(t);
    no_reset(rsdp, "no port");
    /* Another port and value, a width of 0: taken, as Linux takes them. */
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    acpi_put64(t + 116 + 4, 0x64), t[128] = 0xfe, t[117] = 0;
    fix_table(t);
    CHECK(find_fadt(rsdp, &f));
    CHECK(f.reset_port == 0x64 && f.reset_value == 0xfe);
    /* No X_DSDT: the 32-bit DSDT field. */
    rsdp = monitor_tables(), t = fadt_of(rsdp);
    acpi_put64(t + 140, 0);
    fix_table(t);
    CHECK(find_fadt(rsdp, &f));
    CHECK_EQ(f.dsdt, acpi_get32(t + 40));
}

/* --- DSDT: \_S5 --- */

#define DSDT_AT 0x8000u                              /* hand-made DSDTs go here */

/* A DSDT at mem + DSDT_AT holding `n` bytes of AML; returns its address. */
static uint64_t make_dsdt(const uint8_t *aml, size_t n)
{
    uint8_t *t = mem + DSDT_AT;

    memset(t, 0, 36);
    memcpy(t, "DSDT", 4);
    acpi_put32(t + 4, (uint32_t)(36 + n));
    t[8] = 2;
    memcpy(t + 36, aml, n);
    fix_table(t);
    return pa(DSDT_AT);
}

static bool find_s5(uint64_t dsdt, uint8_t *typ)
{
    struct fadt_info f = { 0 };

    f.dsdt = dsdt;
    printed[0] = 0;
    return acpi_find_s5(&f, typ);
}

/* The AML must yield `want`, with the promised line. */
static void s5_is(const uint8_t *aml, size_t n, unsigned want)
{
    uint8_t typ = 0xee;
    char line[64];

    snprintf(line, sizeof line, "acpi: DSDT: \\_S5 SLP_TYP %u\n", want);
    if (!setup())
        return;
    CHECK(find_s5(make_dsdt(aml, n), &typ));
    CHECK_EQ(typ, want);
    if (!CHECK(strcmp(printed, line) == 0))
        printf("  printed: %s", printed);
}

/* The AML must yield nothing, *slp_typ untouched, for reason `why`. */
static void s5_refused(const uint8_t *aml, size_t n, const char *why)
{
    uint8_t typ = 0xee;

    if (!setup())
        return;
    CHECK(!find_s5(make_dsdt(aml, n), &typ));
    CHECK_EQ(typ, 0xee);
    if (!CHECK(strstr(printed, "acpi: DSDT: no \\_S5 (") == printed && strstr(printed, why)))
        printf("  printed: %s", printed);
}

/* The monitor's DSDT, through the monitor's FADT: \_S5 is 7. */
TEST(monitor_s5)
{
    struct fadt_info f;
    uint8_t typ = 0;
    uint64_t rsdp = monitor_tables();

    if (!CHECK(rsdp) || !CHECK(find_fadt(rsdp, &f)))
        return;
    printed[0] = 0;
    CHECK(acpi_find_s5(&f, &typ));
    CHECK_EQ(typ, 7);
    CHECK(strcmp(printed, "acpi: DSDT: \\_S5 SLP_TYP 7\n") == 0);
}

/* QEMU's shape: the name inside Scope (\) with a package of four ZeroOps
   (its PIIX4 powers off on SLP_TYP 0), after three decoys: a string
   "_S5_", a method named _S5_ whose PkgLength byte is 0x08, NameOp's
   value, and \_SB._S5_, a longer name path. */
TEST(qemu_s5)
{
    static const uint8_t aml[] = {
        0x08, 'S', 'T', 'R', '0', 0x0d, '_', 'S', '5', '_', 0x00,   /* Name (STR0, "_S5_") */
        0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xa4, 0x00,          /* Method (_S5) { Return (0) } */
        0x08, 0x2e, '_', 'S', 'B', '_', '_', 'S', '5', '_', 0x0a, 0x05, /* Name (_SB._S5, 5) */
        0x10, 0x0e, 0x5c,                                          /* Scope (\) { */
        0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00, /* Name (_S5, ...) */
    };

    s5_is(aml, sizeof aml, 0);
}

/* Names with prefixes, the other integer encodings, a two-byte PkgLength. */
TEST(s5_encodings)
{
    static const uint8_t one[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x01 };
    static const uint8_t word[] = { 0x08, 0x5e, 0x5e, '_', 'S', '5', '_', 0x12, 0x05, 0x02,
                                    0x0b, 0x05, 0x00 };
    static const uint8_t dword[] = { 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x07, 0x01,
                                     0x0c, 0x06, 0x00, 0x00, 0x00 };
    static const uint8_t qword[] = { 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x0b, 0x01,
                                     0x0e, 0x03, 0, 0, 0, 0, 0, 0, 0 };
    uint8_t big[6 + 2 + 1 + 2 + 100];

    s5_is(one, sizeof one, 1);
    s5_is(word, sizeof word, 5);
    s5_is(dword, sizeof dword, 6);
    s5_is(qword, sizeof qword, 3);
    /* PkgLength 0x45 + 0x60 = 105 in two bytes: lead 0x40 | 5, then 6. */
    memset(big, 0, sizeof big);
    memcpy(big, "\x08\x5c_S5_\x12\x45\x06\x03\x0a\x04", 12);
    s5_is(big, sizeof big - 2, 4);
}

/* Firmware that lies about \_S5. */
TEST(s5_malformed)
{
    static const uint8_t not_pkg[] = { 0x08, '_', 'S', '5', '_', 0x0a, 0x07 };
    static const uint8_t past[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x09, 0x04, 0x0a, 0x07 };
    static const uint8_t zero_len[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x00, 0x04, 0x00 };
    static const uint8_t no_count[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x01, 0x04, 0x00 };
    static const uint8_t reserved[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x53, 0x00, 0x04, 0x00 };
    static const uint8_t long_past[] = { 0x08, '_', 'S', '5', '_', 0x12, 0xc1, 0xff, 0xff, 0xff,
                                         0x04, 0x00 };
    static const uint8_t empty[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00 };
    static const uint8_t string[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0d, 'a', 0 };
    static const uint8_t big_val[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x08 };
    static const uint8_t ones[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0xff };
    static const uint8_t cut_int[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0b, 0x05,
                                       0x00 };                 /* the word runs past the package */
    static const uint8_t at_end[] = { 0x08, '_', 'S', '5', '_' };
    static const uint8_t method[] = { 0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xa4, 0x00 };
    static const uint8_t path[] = { 0x08, 0x2e, '_', 'S', 'B', '_', '_', 'S', '5', '_',
                                    0x12, 0x03, 0x01, 0x01 };

    s5_refused(not_pkg, sizeof not_pkg, "not a package");
    s5_refused(past, sizeof past, "past the table");
    s5_refused(zero_len, sizeof zero_len, "past the table");
    s5_refused(no_count, sizeof no_count, "past the table");
    s5_refused(reserved, sizeof reserved, "past the table");
    s5_refused(long_past, sizeof long_past, "past the table");
    s5_refused(empty, sizeof empty, "empty package");
    s5_refused(string, sizeof string, "not an integer");
    s5_refused(big_val, sizeof big_val, "above 7");
    s5_refused(ones, sizeof ones, "above 7");
    s5_refused(cut_int, sizeof cut_int, "not an integer");
    s5_refused(at_end, sizeof at_end, "not a package");
    s5_refused(method, sizeof method, "not a package");
    s5_refused(path, sizeof path, "no Name _S5_");     /* a name segment of \_SB._S5_ */
    s5_refused(at_end, 3, "no Name _S5_");
    s5_refused(at_end, 0, "no Name _S5_");
}

/* The monitor's AML cut at every length, with the bytes it lost still in
   memory after the table's end: only the whole of it is found (the
   package's PkgLength reaches the last byte), so the scan never reads past
   the length the table gives. */
TEST(s5_cut_short)
{
    static const uint8_t aml[] = { 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                   0x0a, 0x07, 0x0a, 0x07, 0x00, 0x00 };
    uint8_t typ;

    for (size_t n = 0; n <= sizeof aml; n++) {
        if (!setup())
            return;
        memcpy(mem + DSDT_AT + 36 + n, aml + n, sizeof aml - n);
        typ = 0xee;
        CHECK_EQ(find_s5(make_dsdt(aml, n), &typ), n == sizeof aml);
        CHECK_EQ(typ, n == sizeof aml ? 7 : 0xee);
    }
}

/* No DSDT, or a bad one: refused with the reason. */
TEST(s5_bad_dsdt)
{
    static const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x01 };
    uint8_t typ = 0xee;
    uint64_t at;

    CHECK(!acpi_find_s5(NULL, &typ));
    CHECK(!find_s5(0, &typ));
    CHECK(strstr(printed, "names no DSDT") != NULL);
    if (!setup())
        return;
    at = make_dsdt(aml, sizeof aml);
    mem[DSDT_AT + 9]++;                              /* checksum */
    CHECK(!find_s5(at, &typ));
    CHECK(strstr(printed, "bad DSDT") != NULL);
    at = make_dsdt(aml, sizeof aml);
    memcpy(mem + DSDT_AT, "SSDT", 4);                /* another table */
    fix_table(mem + DSDT_AT);
    CHECK(!find_s5(at, &typ));
    at = make_dsdt(aml, sizeof aml);
    acpi_put32(mem + DSDT_AT + 4, 35);               /* shorter than its header */
    CHECK(!find_s5(at, &typ));
    acpi_put32(mem + DSDT_AT + 4, 0xffffffffu);      /* past 4 GiB */
    CHECK(!find_s5(at, &typ));
    CHECK(!find_s5(0xfffffff0ull, &typ));            /* the header itself past 4 GiB */
    CHECK(!find_s5(0x800, &typ));                    /* the null page */
    CHECK_EQ(typ, 0xee);
}

/* Random bytes of the monitor's AML changed, the checksum made right: the
   scan ends, and what it finds is a 3-bit SLP_TYP. */
TEST(s5_random_damage)
{
    struct fadt_info f;
    unsigned seed = 5, ok = 0;

    for (int n = 0; n < 20000; n++) {
        uint64_t rsdp = monitor_tables();
        uint8_t *d, typ = 0xee;

        if (!find_fadt(rsdp, &f))
            return;
        d = (uint8_t *)(uintptr_t)f.dsdt;
        for (int k = 0; k < 1 + n % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            d[36 + (seed >> 8) % 15] = (uint8_t)(seed >> 20);
        }
        fix_table(d);
        printed[0] = 0;
        if (acpi_find_s5(&f, &typ)) {
            ok++;
            CHECK(typ <= 7);
        } else {
            CHECK_EQ(typ, 0xee);
        }
    }
    printf("  %u of 20000 damaged DSDTs still had a usable \\_S5\n", ok);
}

CHECK_MAIN(TEST_ENTRY(monitor_tables), TEST_ENTRY(bad_checksums),
           TEST_ENTRY(bad_lengths), TEST_ENTRY(bad_table_lengths), TEST_ENTRY(bad_pointers),
           TEST_ENTRY(no_ioapic), TEST_ENTRY(rsdt_and_many_overrides), TEST_ENTRY(random_damage),
           TEST_ENTRY(monitor_fadt), TEST_ENTRY(bad_fadt), TEST_ENTRY(acpi1_fadt),
           TEST_ENTRY(fadt_blocks), TEST_ENTRY(fadt_random_damage), TEST_ENTRY(fadt_reset),
           TEST_ENTRY(monitor_s5), TEST_ENTRY(qemu_s5), TEST_ENTRY(s5_encodings),
           TEST_ENTRY(s5_malformed), TEST_ENTRY(s5_cut_short), TEST_ENTRY(s5_bad_dsdt),
           TEST_ENTRY(s5_random_damage))
