/* acpi.c - x64: RSDP -> XSDT/RSDT -> MADT and FADT -> DSDT (see acpi.h).

   Layouts: hdr/acpi.h, the header the monitor's writer (vm/acpi.c) uses
   too, after ACPI 6.5 section 5.2.5.3 (RSDP), 5.2.6 (the common header),
   5.2.7 (RSDT), 5.2.8 (XSDT), 5.2.12 (MADT), 5.2.9 (FADT), 5.2.3.2
   (Generic Address Structure), 4.8.3.6 (the reset register), 5.2.11.1
   (DSDT) and 20.2 (the AML encoding of \_S5). Fields are read byte by byte, little-endian,
   through its helpers, since firmware need not align them. */
#include "acpi.h"

#include "../common/kernel.h"

/* hdr/acpi.h, by its path: "acpi.h" here is this directory's own. */
#define ACPI_IMPLEMENTATION
#define ACPI_STATIC
#include "../../hdr/acpi.h"

#define PHYS_LIMIT   0x100000000ull  /* the identity map's reach */
#define TABLE_MAX    (1u << 20)      /* a bound on any table we sum or walk */
#define SDT_HDR      ACPI_SDT_HEADER_LEN
#define RSDP_MAX_LEN 4096            /* the 2.0 RSDP is 36 bytes; allow growth */

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

    if (!reachable(pa, ACPI_RSDP_V1_LEN) || !same(p, ACPI_SIG_RSDP, ACPI_SIG_RSDP_LEN) ||
        acpi_sum(p, ACPI_RSDP_V1_LEN))
        return false;
    if (p[ACPI_RSDP_REVISION] < ACPI_RSDP_REVISION_2)
        return true;
    if (!reachable(pa, ACPI_RSDP_V2_LEN))
        return false;
    len = acpi_get32(p + ACPI_RSDP_LENGTH);
    return len >= ACPI_RSDP_V2_LEN && len <= RSDP_MAX_LEN && reachable(pa, len) &&
           !acpi_sum(p, len);
}

static uint64_t rsdp_scan(uint64_t lo, uint64_t hi)
{
    for (uint64_t pa = lo; pa + ACPI_RSDP_V1_LEN <= hi; pa += ACPI_RSDP_ALIGN)
        if (rsdp_valid(pa))
            return pa;
    return 0;
}

/* ACPI 6.5, 5.2.5.1: the first KiB of the EBDA, then the BIOS area. */
static uint64_t rsdp_find(void)
{
    uint64_t ebda = (uint64_t)acpi_get16(phys(ACPI_RSDP_EBDA_PTR)) << 4, pa = 0;

    if (ebda >= 0x80000 && ebda < 0xa0000)
        pa = rsdp_scan(ebda, ebda + ACPI_RSDP_EBDA_SCAN);
    return pa ? pa : rsdp_scan(ACPI_RSDP_BIOS_LO, ACPI_RSDP_BIOS_HI);
}

/* --- tables ---------------------------------------------------------------- */

/* The length of a valid table with signature `sig` at pa, or 0. */
static uint32_t table_len(uint64_t pa, const char *sig)
{
    uint32_t len;

    if (!reachable(pa, SDT_HDR) || !same(phys(pa), sig, ACPI_SIG_LEN))
        return 0;
    len = acpi_get32(phys(pa) + ACPI_SDT_LENGTH);
    if (len < SDT_HDR || len > TABLE_MAX || !reachable(pa, len) || acpi_sum(phys(pa), len))
        return 0;
    return len;
}

/* Search the XSDT (8-byte entries) or RSDT (4-byte entries) at pa for a
   table with signature `sig`. Sets *why and returns 0 if none. */
static uint64_t sdt_find(uint64_t pa, bool xsdt, const char *sig, const char **why)
{
    unsigned w = xsdt ? ACPI_XSDT_ENTRY_LEN : ACPI_RSDT_ENTRY_LEN;
    uint32_t len = table_len(pa, xsdt ? ACPI_SIG_XSDT : ACPI_SIG_RSDT);

    if (!len) {
        *why = xsdt ? "bad XSDT" : "bad RSDT";
        return 0;
    }
    for (uint32_t off = SDT_HDR; off + w <= len; off += w) {
        uint64_t t = acpi_getn(phys(pa) + off, w);

        if (reachable(t, SDT_HDR) && same(phys(t), sig, ACPI_SIG_LEN))
            return t;
    }
    *why = same((const uint8_t *)sig, ACPI_SIG_MADT, ACPI_SIG_LEN) ? "no APIC table listed"
                                                                  : "no FACP table listed";
    return 0;
}

/* The table `sig` in the root table the RSDP names: the XSDT from
   revision 2, if it has one, else the RSDT. */
static uint64_t root_find(uint64_t rsdp, const char *sig, const char **why)
{
    const uint8_t *p = phys(rsdp);
    uint64_t xsdt = p[ACPI_RSDP_REVISION] >= ACPI_RSDP_REVISION_2 ?
                    acpi_get64(p + ACPI_RSDP_XSDT_ADDRESS) : 0;
    uint64_t rsdt = acpi_get32(p + ACPI_RSDP_RSDT_ADDRESS);

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

    if (len < ACPI_MADT_IOAPIC_LEN)
        return;
    gsi = acpi_get32(e + ACPI_MADT_IOAPIC_GSI_BASE);
    if (m->ioapics++ == 0 || (gsi == 0 && m->ioapic_gsi_base != 0)) {
        m->ioapic_id = e[ACPI_MADT_IOAPIC_ID];
        m->ioapic_paddr = acpi_get32(e + ACPI_MADT_IOAPIC_ADDRESS);
        m->ioapic_gsi_base = gsi;
    }
}

/* Interrupt Source Override (5.2.12.5); bus 0 is ISA, the only one defined. */
static void madt_override(const uint8_t *e, uint8_t len, struct madt_info *m)
{
    struct madt_override *o;
    unsigned flags;

    if (len < ACPI_MADT_ISO_LEN || e[ACPI_MADT_ISO_BUS] != ACPI_MADT_ISO_BUS_ISA ||
        e[ACPI_MADT_ISO_SOURCE] >= 16 || m->n_overrides >= MADT_MAX_OVERRIDES)
        return;
    flags = acpi_get16(e + ACPI_MADT_ISO_FLAGS);
    o = &m->overrides[m->n_overrides++];
    o->irq = e[ACPI_MADT_ISO_SOURCE];
    o->gsi = acpi_get32(e + ACPI_MADT_ISO_GSI);
    o->active_low = (flags & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_POLARITY_LOW;
    o->level = (flags & ACPI_MPS_TRIGGER_MASK) == ACPI_MPS_TRIGGER_LEVEL;
}

/* Walk the structures after the fixed part. Each names its own length; one
   shorter than its 2-byte type/length header, or running past the table,
   ends the walk (it would otherwise loop forever or read past the end). */
static const char *madt_parse(uint64_t pa, uint32_t len, struct madt_info *m)
{
    const uint8_t *t = phys(pa);

    if (len < ACPI_MADT_ENTRIES)
        return "MADT too short";
    m->lapic_paddr = acpi_get32(t + ACPI_MADT_LAPIC_ADDRESS);
    m->pcat_compat = acpi_get32(t + ACPI_MADT_FLAGS) & ACPI_MADT_PCAT_COMPAT;
    for (uint32_t off = ACPI_MADT_ENTRIES; off + ACPI_MADT_ENTRY_HEADER <= len;) {
        const uint8_t *e = t + off;
        uint8_t type = e[ACPI_MADT_ENTRY_TYPE], elen = e[ACPI_MADT_ENTRY_LENGTH];

        if (elen < ACPI_MADT_ENTRY_HEADER || elen > len - off)
            return "MADT structure with a bad length";
        if (type == ACPI_MADT_IOAPIC)
            madt_ioapic(e, elen, m);
        else if (type == ACPI_MADT_ISO)
            madt_override(e, elen, m);
        off += elen;
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
    if (!(madt = root_find(rsdp, ACPI_SIG_MADT, &why)))
        return no_madt(out, why);
    if (!(len = table_len(madt, ACPI_SIG_MADT)))
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

/* An ACPI 1.0 FADT ends after the flags (ACPI_FADT_V1_LEN, 116 bytes:
   QEMU's pc machine); the X_ generic addresses follow from ACPI 2.0 on,
   and are used when the table reaches them. */
#define PORT_LIMIT        0x10000u

//! [fadt-port]
/* The I/O port of a register block `len` bytes long: the X_ generic address
   if the table has one that is set (ACPI 6.5, 5.2.9: it then supersedes the
   32-bit field), else the 32-bit field. 0, meaning "none", if the block
   is not in I/O space or does not fit below port 0x10000. */
static uint16_t fadt_port(const uint8_t *f, uint32_t flen, unsigned legacy, unsigned x,
                          unsigned len)
{
    uint64_t port = acpi_get32(f + legacy);

    if (flen >= x + ACPI_GAS_LEN && acpi_get64(f + x + ACPI_GAS_ADDRESS)) {
        if (f[x + ACPI_GAS_SPACE] != ACPI_GAS_SYSTEM_IO)
            return 0;
        port = acpi_get64(f + x + ACPI_GAS_ADDRESS);
    }
    if (len == 0 || port >= PORT_LIMIT || len > PORT_LIMIT - port)
        return 0;
    return (uint16_t)port;
}
//! [fadt-port]

//! [fadt-reset-read]
/* The reset register (4.8.3.6): only from an ACPI 2.0 or later FADT long
   enough to hold it, with RESET_REG_SUP set (Linux checks the same two),
   and only in I/O space, below port 0x10000. Its bit width and offset are
   not checked: the spec says 8 and 0, and Linux and Windows write one
   byte whatever they say. NULL if usable, else why not. */
static const char *fadt_reset(const uint8_t *f, uint32_t len, struct fadt_info *out)
{
    const uint8_t *g = f + ACPI_FADT_RESET_REG;
    uint64_t port;

    if (f[ACPI_SDT_REVISION] < 2 || len < ACPI_FADT_RESET_VALUE + 1)
        return "ACPI 1.0 FADT";
    out->reset_reg_sup = acpi_get32(f + ACPI_FADT_FLAGS) & ACPI_FADT_F_RESET_REG_SUP;
    if (!out->reset_reg_sup)
        return "RESET_REG_SUP clear";
    if (g[ACPI_GAS_SPACE] != ACPI_GAS_SYSTEM_IO)
        return "not in I/O space";
    port = acpi_get64(g + ACPI_GAS_ADDRESS);
    if (port == 0 || port >= PORT_LIMIT)
        return "no port";
    out->reset_port = (uint16_t)port;
    out->reset_value = f[ACPI_FADT_RESET_VALUE];
    return 0;
}
//! [fadt-reset-read]

/* The DSDT's address: X_DSDT when the table has it and it is set (5.2.9:
   it then supersedes DSDT), else the 32-bit field. */
static uint64_t fadt_dsdt(const uint8_t *f, uint32_t len)
{
    if (len >= ACPI_FADT_X_DSDT + 8 && acpi_get64(f + ACPI_FADT_X_DSDT))
        return acpi_get64(f + ACPI_FADT_X_DSDT);
    return acpi_get32(f + ACPI_FADT_DSDT);
}

/* The PM registers the kernel may use. The spec fixes their sizes: a PM1
   event block of at least 4 bytes, split evenly into status and enable, a
   control block of at least 2, and a timer of exactly 4. */
static void fadt_parse(const uint8_t *f, uint32_t len, struct fadt_info *out)
{
    unsigned evt_len = f[ACPI_FADT_PM1_EVT_LEN], cnt_len = f[ACPI_FADT_PM1_CNT_LEN];

    out->revision = f[ACPI_SDT_REVISION];
    out->dsdt = fadt_dsdt(f, len);
    out->sci_irq = acpi_get16(f + ACPI_FADT_SCI_INT);
    out->tmr_32bit = (acpi_get32(f + ACPI_FADT_FLAGS) & ACPI_FADT_F_TMR_VAL_EXT) != 0;
    if (f[ACPI_FADT_PM_TMR_LEN] == 4)
        out->pm_tmr = fadt_port(f, len, ACPI_FADT_PM_TMR_BLK, ACPI_FADT_X_PM_TMR_BLK, 4);
    if (evt_len >= 4 && evt_len % 2 == 0) {
        out->pm1a_evt = fadt_port(f, len, ACPI_FADT_PM1A_EVT_BLK, ACPI_FADT_X_PM1A_EVT_BLK,
                                  evt_len);
        out->pm1_evt_len = out->pm1a_evt ? (uint8_t)evt_len : 0;
    }
    if (cnt_len >= 2) {
        out->pm1a_cnt = fadt_port(f, len, ACPI_FADT_PM1A_CNT_BLK, ACPI_FADT_X_PM1A_CNT_BLK,
                                  cnt_len);
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
    const char *why = 0, *no_reset;
    uint64_t rsdp, fadt;
    uint32_t len;

    *out = (struct fadt_info){ 0 };
    if (!(rsdp = rsdp_locate(rsdp_paddr, &why)))
        return no_fadt(out, why);
    if (!(fadt = root_find(rsdp, ACPI_SIG_FADT, &why)))
        return no_fadt(out, why);
    if (!(len = table_len(fadt, ACPI_SIG_FADT)))
        return no_fadt(out, "bad FADT checksum or length");
    if (len < ACPI_FADT_V1_LEN)
        return no_fadt(out, "FADT too short");
    fadt_parse(phys(fadt), len, out);
    no_reset = fadt_reset(phys(fadt), len, out);
    if (out->pm_tmr)
        kprintf("acpi: FADT: PM timer at port 0x%x, %s, SCI on IRQ %u\n", out->pm_tmr,
                out->tmr_32bit ? "32-bit" : "24-bit", out->sci_irq);
    else
        kprintf("acpi: FADT: no PM timer, SCI on IRQ %u\n", out->sci_irq);
    if (no_reset)
        kprintf("acpi: FADT: no reset register (%s)\n", no_reset);
    else
        kprintf("acpi: FADT: reset register port 0x%x value 0x%x\n", out->reset_port,
                out->reset_value);
    return true;
}

/* --- DSDT: \_S5 ------------------------------------------------------------ */

/* An AML interpreter is thousands of lines; finding \_S5 needs none of it.
   Firmware writes it as `Name (_S5, Package () { a, b, ... })`, at the root
   or inside `Scope (\)`: NameOp, the name (the bare segment "_S5_", or
   with a root or parent prefix), PackageOp, a PkgLength, NumElements, and
   the integers. The scan looks for that shape wherever the segment
   occurs, so "_S5_" inside a longer name path, a string or a method's name
   is passed over. Every index is checked against the AML's end, and the
   package's own end must lie inside it; the scan moves forward one byte
   at a time, so it ends within `len` steps. */

#define S5_MAX_PREFIXES 8 /* '^' prefixes before the segment we look back over */

/* The segment at aml[at] is the name of a DefName: NameOp before it, with
   at most a root char or a few parent prefixes in between. */
static bool s5_is_named(const uint8_t *aml, uint32_t at)
{
    uint32_t i = at;

    if (i > 0 && aml[i - 1] == ACPI_AML_ROOT_CHAR)
        i--;
    else
        for (unsigned n = 0; n < S5_MAX_PREFIXES && i > 0 && aml[i - 1] == ACPI_AML_PARENT_PREFIX;
             n++)
            i--;
    return i > 0 && aml[i - 1] == ACPI_AML_NAME_OP;
}

//! [s5-pkglen]
/* PkgLength at aml[at] (20.2.4): the package's end (at + the length, which
   counts the PkgLength bytes) into *end and the first byte after the
   PkgLength into *body. False if it runs past `len`, sets reserved bits,
   or is too short to hold itself. */
static bool aml_pkglen(const uint8_t *aml, uint32_t len, uint32_t at, uint32_t *body,
                       uint32_t *end)
{
    unsigned more;
    uint32_t n;

    if (at >= len)
        return false;
    more = aml[at] >> ACPI_AML_PKGLEN_MORE_SHIFT;
    if (more == 0) {
        n = aml[at] & ACPI_AML_PKGLEN_ONE_MAX;
    } else {
        if (aml[at] & ~(0xc0u | ACPI_AML_PKGLEN_NIBBLE) || more >= len - at)
            return false;
        n = aml[at] & ACPI_AML_PKGLEN_NIBBLE;
        for (unsigned i = 0; i < more; i++)
            n |= (uint32_t)aml[at + 1 + i] << (4 + 8 * i);
    }
    if (n < 1 + more || n > len - at)
        return false;
    *body = at + 1 + more;
    *end = at + n;
    return true;
}
//! [s5-pkglen]

/* An integer data object at aml[at], wholly before `end` (20.2.3): ZeroOp,
   OneOp, OnesOp, or a Byte/Word/DWord/QWord prefix and its bytes. */
static bool aml_integer(const uint8_t *aml, uint32_t at, uint32_t end, uint64_t *v)
{
    unsigned n;

    if (at >= end)
        return false;
    switch (aml[at]) {
    case ACPI_AML_ZERO_OP: *v = 0; return true;
    case ACPI_AML_ONE_OP: *v = 1; return true;
    case ACPI_AML_ONES_OP: *v = UINT64_MAX; return true;
    case ACPI_AML_BYTE_PREFIX: n = 1; break;
    case ACPI_AML_WORD_PREFIX: n = 2; break;
    case ACPI_AML_DWORD_PREFIX: n = 4; break;
    case ACPI_AML_QWORD_PREFIX: n = 8; break;
    default: return false;
    }
    if (n >= end - at)
        return false;
    *v = acpi_getn(aml + at + 1, n);
    return true;
}

//! [s5-package]
/* The package after the name segment at aml[at]: PackageOp, PkgLength,
   NumElements (at least 1), and a first element that is an integer of at
   most 7, SLP_TYP's 3 bits (4.8.3.2.1). NULL if so, else why not. */
static const char *s5_package(const uint8_t *aml, uint32_t len, uint32_t at, uint8_t *slp_typ)
{
    uint32_t op = at + ACPI_AML_NAMESEG_LEN, body, end;
    uint64_t v;

    if (op >= len || aml[op] != ACPI_AML_PACKAGE_OP)
        return "not a package";
    if (!aml_pkglen(aml, len, op + 1, &body, &end) || body >= end)
        return "package length past the table";
    if (aml[body] == 0)
        return "empty package";
    if (!aml_integer(aml, body + 1, end, &v))
        return "first element not an integer";
    if (v > 7)
        return "SLP_TYP above 7";
    *slp_typ = (uint8_t)v;
    return 0;
}
//! [s5-package]

/* The first Name \_S5 with a usable package in aml[0, len). NULL if one
   was found, else the reason the last candidate failed. */
static const char *s5_scan(const uint8_t *aml, uint32_t len, uint8_t *slp_typ)
{
    const char *why = "no Name _S5_";

    for (uint32_t i = 0; len >= ACPI_AML_NAMESEG_LEN && i <= len - ACPI_AML_NAMESEG_LEN; i++) {
        if (!same(aml + i, ACPI_AML_S5_NAME, ACPI_AML_NAMESEG_LEN) || !s5_is_named(aml, i))
            continue;
        if (!(why = s5_package(aml, len, i, slp_typ)))
            return 0;
    }
    return why;
}

static bool no_s5(const char *why)
{
    kprintf("acpi: DSDT: no \\_S5 (%s)\n", why);
    return false;
}

bool acpi_find_s5(const struct fadt_info *f, uint8_t *slp_typ)
{
    uint8_t typ = 0;
    uint32_t len;
    const char *why;

    if (!f || !f->dsdt)
        return no_s5("the FADT names no DSDT");
    if (!(len = table_len(f->dsdt, ACPI_SIG_DSDT)))
        return no_s5("bad DSDT signature, checksum or length");
    if ((why = s5_scan(phys(f->dsdt) + ACPI_DSDT_AML, len - ACPI_DSDT_AML, &typ)))
        return no_s5(why);
    *slp_typ = typ;
    kprintf("acpi: DSDT: \\_S5 SLP_TYP %u\n", typ);
    return true;
}
