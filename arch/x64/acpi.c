/* acpi.c - x64: RSDP -> XSDT/RSDT -> MADT and FADT (see acpi.h).

   Layouts: ACPI 6.5 section 5.2.5.3 (RSDP), 5.2.6 (the common header),
   5.2.7 (RSDT), 5.2.8 (XSDT), 5.2.12 (MADT), 5.2.9 (FADT), 5.2.3.2
   (Generic Address Structure). Fields are read byte by byte, little-endian,
   since firmware need not align them. */
#include "acpi.h"

#include "../common/kernel.h"

#define PHYS_LIMIT   0x100000000ull  /* the identity map's reach */
#define TABLE_MAX    (1u << 20)      /* a bound on any table we sum or walk */
#define SDT_HDR      36              /* common header length */
#define RSDP_V1_LEN  20
#define RSDP_V2_LEN  36
#define RSDP_MAX_LEN 4096            /* the 2.0 RSDP is 36 bytes; allow growth */
#define BIOS_LO      0xe0000u
#define BIOS_HI      0x100000u
#define EBDA_SEG_PTR 0x40eu          /* BDA: the EBDA's real-mode segment */

/* MADT structure types and the INTI flags' fields (5.2.12.5). */
#define MADT_IOAPIC  1
#define MADT_ISO     2
#define INTI_POLARITY(f) ((f) & 3u)         /* 0 conforms, 1 high, 3 low */
#define INTI_TRIGGER(f)  (((f) >> 2) & 3u)  /* 0 conforms, 1 edge, 3 level */

uint64_t x64_rsdp_paddr;

/* A physical address as a pointer, through the identity map. The empty asm
   hides the constant from GCC, which otherwise treats a literal address as
   a zero-sized object and warns about every read (-Warray-bounds). */
static const uint8_t *phys(uint64_t pa)
{
    uintptr_t a = (uintptr_t)pa;

    __asm__("" : "+r"(a));
    return (const uint8_t *)a;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    while (n--)
        v = v << 8 | p[n];
    return v;
}

static uint8_t sum(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;

    while (len--)
        s = (uint8_t)(s + *p++);
    return s;
}

static bool same(const uint8_t *p, const char *sig, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (p[i] != (uint8_t)sig[i])
            return false;
    return true;
}

/* [pa, pa + len) is mappable and does not start at the null page. */
static bool reachable(uint64_t pa, uint64_t len)
{
    return pa >= 0x1000 && pa < PHYS_LIMIT && len <= PHYS_LIMIT - pa;
}

/* --- RSDP ------------------------------------------------------------------ */

/* A valid RSDP at pa: signature, the 1.0 checksum and, from revision 2,
   a sane length and the extended checksum. */
static bool rsdp_valid(uint64_t pa)
{
    const uint8_t *p = phys(pa);
    uint32_t len;

    if (!reachable(pa, RSDP_V1_LEN) || !same(p, "RSD PTR ", 8) || sum(p, RSDP_V1_LEN))
        return false;
    if (p[15] < 2)
        return true;
    if (!reachable(pa, RSDP_V2_LEN))
        return false;
    len = (uint32_t)le(p + 20, 4);
    return len >= RSDP_V2_LEN && len <= RSDP_MAX_LEN && reachable(pa, len) && !sum(p, len);
}

static uint64_t rsdp_scan(uint64_t lo, uint64_t hi)
{
    for (uint64_t pa = lo; pa + RSDP_V1_LEN <= hi; pa += 16)
        if (rsdp_valid(pa))
            return pa;
    return 0;
}

/* ACPI 6.5, 5.2.5.1: the first KiB of the EBDA, then the BIOS area. */
static uint64_t rsdp_find(void)
{
    uint64_t ebda = le(phys(EBDA_SEG_PTR), 2) << 4, pa = 0;

    if (ebda >= 0x80000 && ebda < 0xa0000)
        pa = rsdp_scan(ebda, ebda + 1024);
    return pa ? pa : rsdp_scan(BIOS_LO, BIOS_HI);
}

/* --- tables ---------------------------------------------------------------- */

/* The length of a valid table with signature `sig` at pa, or 0. */
static uint32_t table_len(uint64_t pa, const char *sig)
{
    uint32_t len;

    if (!reachable(pa, SDT_HDR) || !same(phys(pa), sig, 4))
        return 0;
    len = (uint32_t)le(phys(pa) + 4, 4);
    if (len < SDT_HDR || len > TABLE_MAX || !reachable(pa, len) || sum(phys(pa), len))
        return 0;
    return len;
}

/* Search the XSDT (8-byte entries) or RSDT (4-byte entries) at pa for a
   table with signature `sig`. Sets *why and returns 0 if none. */
static uint64_t sdt_find(uint64_t pa, bool xsdt, const char *sig, const char **why)
{
    unsigned w = xsdt ? 8 : 4;
    uint32_t len = table_len(pa, xsdt ? "XSDT" : "RSDT");

    if (!len) {
        *why = xsdt ? "bad XSDT" : "bad RSDT";
        return 0;
    }
    for (uint32_t off = SDT_HDR; off + w <= len; off += w) {
        uint64_t t = le(phys(pa) + off, w);

        if (reachable(t, SDT_HDR) && same(phys(t), sig, 4))
            return t;
    }
    *why = same((const uint8_t *)sig, "APIC", 4) ? "no APIC table listed" : "no FACP table listed";
    return 0;
}

/* The table `sig` in the root table the RSDP names: the XSDT from
   revision 2, if it has one, else the RSDT. */
static uint64_t root_find(uint64_t rsdp, const char *sig, const char **why)
{
    const uint8_t *p = phys(rsdp);
    uint64_t xsdt = p[15] >= 2 ? le(p + 24, 8) : 0;
    uint64_t rsdt = le(p + 16, 4);

    if (xsdt)
        return sdt_find(xsdt, true, sig, why);
    if (rsdt)
        return sdt_find(rsdt, false, sig, why);
    *why = "RSDP names no XSDT or RSDT";
    return 0;
}

/* The RSDP: the one the start info gave, else the legacy scan's. 0 and a
   reason if neither is valid. */
static uint64_t rsdp_locate(uint64_t rsdp_paddr, const char **why)
{
    uint64_t rsdp = rsdp_paddr ? rsdp_paddr : rsdp_find();

    if (!rsdp) {
        *why = "start info has no RSDP, none in the EBDA or 0xe0000-0xfffff";
        return 0;
    }
    if (!rsdp_valid(rsdp)) {
        *why = "bad RSDP from start info";
        return 0;
    }
    return rsdp;
}

/* --- MADT ------------------------------------------------------------------ */

/* I/O APIC structure (5.2.12.3): keep the one serving GSI 0, else the first. */
static void madt_ioapic(const uint8_t *e, uint8_t len, struct madt_info *m)
{
    uint32_t gsi;

    if (len < 12)
        return;
    gsi = (uint32_t)le(e + 8, 4);
    if (m->ioapics++ == 0 || (gsi == 0 && m->ioapic_gsi_base != 0)) {
        m->ioapic_id = e[2];
        m->ioapic_paddr = (uint32_t)le(e + 4, 4);
        m->ioapic_gsi_base = gsi;
    }
}

/* Interrupt Source Override (5.2.12.5); bus 0 is ISA, the only one defined. */
static void madt_override(const uint8_t *e, uint8_t len, struct madt_info *m)
{
    struct madt_override *o;
    unsigned flags;

    if (len < 10 || e[2] != 0 || e[3] >= 16 || m->n_overrides >= MADT_MAX_OVERRIDES)
        return;
    flags = (unsigned)le(e + 8, 2);
    o = &m->overrides[m->n_overrides++];
    o->irq = e[3];
    o->gsi = (uint32_t)le(e + 4, 4);
    o->active_low = INTI_POLARITY(flags) == 3;
    o->level = INTI_TRIGGER(flags) == 3;
}

/* Walk the structures after the fixed part. Each names its own length; one
   shorter than its 2-byte type/length header, or running past the table,
   ends the walk (it would otherwise loop forever or read past the end). */
static const char *madt_parse(uint64_t pa, uint32_t len, struct madt_info *m)
{
    const uint8_t *t = phys(pa);

    if (len < SDT_HDR + 8)
        return "MADT too short";
    m->lapic_paddr = (uint32_t)le(t + SDT_HDR, 4);
    m->pcat_compat = le(t + SDT_HDR + 4, 4) & 1;
    for (uint32_t off = SDT_HDR + 8; off + 2 <= len;) {
        const uint8_t *e = t + off;

        if (e[1] < 2 || e[1] > len - off)
            return "MADT structure with a bad length";
        if (e[0] == MADT_IOAPIC)
            madt_ioapic(e, e[1], m);
        else if (e[0] == MADT_ISO)
            madt_override(e, e[1], m);
        off += e[1];
    }
    return m->ioapics ? 0 : "no I/O APIC in the MADT";
}

static void madt_print(const struct madt_info *m)
{
    kprintf("acpi: MADT: ioapic %u at 0x%x gsi %u, %u overrides (", m->ioapic_id,
            m->ioapic_paddr, m->ioapic_gsi_base, m->n_overrides);
    for (unsigned i = 0; i < m->n_overrides; i++) {
        const struct madt_override *o = &m->overrides[i];

        kprintf("%sirq%u->gsi%u", i ? " " : "", o->irq, o->gsi);
        if (o->level || o->active_low)
            kprintf("(%s%s%s)", o->level ? "level" : "", o->level && o->active_low ? "," : "",
                    o->active_low ? "low" : "");
    }
    kprintf(")\n");
}

static bool no_madt(struct madt_info *out, const char *why)
{
    *out = (struct madt_info){ 0 };
    kprintf("acpi: no MADT (%s)\n", why);
    return false;
}

bool acpi_find_madt(uint64_t rsdp_paddr, struct madt_info *out)
{
    const char *why = 0;
    uint64_t rsdp, madt;
    uint32_t len;

    *out = (struct madt_info){ 0 };
    if (!(rsdp = rsdp_locate(rsdp_paddr, &why)))
        return no_madt(out, why);
    if (!(madt = root_find(rsdp, "APIC", &why)))
        return no_madt(out, why);
    if (!(len = table_len(madt, "APIC")))
        return no_madt(out, "bad MADT checksum or length");
    if ((why = madt_parse(madt, len, out)))
        return no_madt(out, why);
    madt_print(out);
    return true;
}

uint32_t madt_isa_gsi(const struct madt_info *m, unsigned irq, bool *active_low, bool *level)
{
    for (unsigned i = 0; i < m->n_overrides; i++)
        if (m->overrides[i].irq == irq) {
            *active_low = m->overrides[i].active_low;
            *level = m->overrides[i].level;
            return m->overrides[i].gsi;
        }
    *active_low = *level = false;
    return irq; /* no override: ISA IRQ n is GSI n */
}

/* --- FADT ------------------------------------------------------------------ */

/* Offsets in the FADT (ACPI 6.5, table 5.9). An ACPI 1.0 FADT ends after
   the flags (116 bytes, QEMU's pc machine); the X_ generic addresses
   follow from ACPI 2.0 on, and are used when the table reaches them. */
#define FADT_SCI_INT      46
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM_TMR_BLK   76
#define FADT_PM1_EVT_LEN  88
#define FADT_PM1_CNT_LEN  89
#define FADT_PM_TMR_LEN   91
#define FADT_FLAGS        112
#define FADT_V1_LEN       116
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM_TMR_BLK 208
#define FADT_TMR_VAL_EXT  (1u << 8)
#define GAS_LEN           12
#define GAS_SYSTEM_IO     1
#define PORT_LIMIT        0x10000u

//! [fadt-port]
/* The I/O port of a register block `len` bytes long: the X_ generic address
   if the table has one that is set (ACPI 6.5, 5.2.9: it then supersedes the
   32-bit field), else the 32-bit field. 0, meaning "none", if the block
   is not in I/O space or does not fit below port 0x10000. */
static uint16_t fadt_port(const uint8_t *f, uint32_t flen, unsigned legacy, unsigned x,
                          unsigned len)
{
    uint64_t port = le(f + legacy, 4);

    if (flen >= x + GAS_LEN && le(f + x + 4, 8)) {
        if (f[x] != GAS_SYSTEM_IO)
            return 0;
        port = le(f + x + 4, 8);
    }
    if (len == 0 || port >= PORT_LIMIT || len > PORT_LIMIT - port)
        return 0;
    return (uint16_t)port;
}
//! [fadt-port]

/* The PM registers the kernel may use. The spec fixes their sizes: a PM1
   event block of at least 4 bytes, split evenly into status and enable, a
   control block of at least 2, and a timer of exactly 4. */
static void fadt_parse(const uint8_t *f, uint32_t len, struct fadt_info *out)
{
    unsigned evt_len = f[FADT_PM1_EVT_LEN], cnt_len = f[FADT_PM1_CNT_LEN];

    out->revision = f[8];
    out->sci_irq = (uint16_t)le(f + FADT_SCI_INT, 2);
    out->tmr_32bit = (le(f + FADT_FLAGS, 4) & FADT_TMR_VAL_EXT) != 0;
    if (f[FADT_PM_TMR_LEN] == 4)
        out->pm_tmr = fadt_port(f, len, FADT_PM_TMR_BLK, FADT_X_PM_TMR_BLK, 4);
    if (evt_len >= 4 && evt_len % 2 == 0) {
        out->pm1a_evt = fadt_port(f, len, FADT_PM1A_EVT_BLK, FADT_X_PM1A_EVT_BLK, evt_len);
        out->pm1_evt_len = out->pm1a_evt ? (uint8_t)evt_len : 0;
    }
    if (cnt_len >= 2) {
        out->pm1a_cnt = fadt_port(f, len, FADT_PM1A_CNT_BLK, FADT_X_PM1A_CNT_BLK, cnt_len);
        out->pm1_cnt_len = out->pm1a_cnt ? (uint8_t)cnt_len : 0;
    }
}

static bool no_fadt(struct fadt_info *out, const char *why)
{
    *out = (struct fadt_info){ 0 };
    kprintf("acpi: no FADT (%s)\n", why);
    return false;
}

bool acpi_find_fadt(uint64_t rsdp_paddr, struct fadt_info *out)
{
    const char *why = 0;
    uint64_t rsdp, fadt;
    uint32_t len;

    *out = (struct fadt_info){ 0 };
    if (!(rsdp = rsdp_locate(rsdp_paddr, &why)))
        return no_fadt(out, why);
    if (!(fadt = root_find(rsdp, "FACP", &why)))
        return no_fadt(out, why);
    if (!(len = table_len(fadt, "FACP")))
        return no_fadt(out, "bad FADT checksum or length");
    if (len < FADT_V1_LEN)
        return no_fadt(out, "FADT too short");
    fadt_parse(phys(fadt), len, out);
    if (out->pm_tmr)
        kprintf("acpi: FADT: PM timer at port 0x%x, %s, SCI on IRQ %u\n", out->pm_tmr,
                out->tmr_32bit ? "32-bit" : "24-bit", out->sci_irq);
    else
        kprintf("acpi: FADT: no PM timer, SCI on IRQ %u\n", out->sci_irq);
    return true;
}
