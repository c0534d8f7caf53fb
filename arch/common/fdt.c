/* fdt.c - a read-only walk over a flattened device tree.

   The blob comes from firmware (QEMU, OpenSBI); it is trusted about as much as
   any firmware table: every offset is still checked against the blocks the
   header declares, and every walk is bounded, so a corrupt tree ends the walk
   (or gives "not found") instead of running off into memory. Section numbers
   are the Devicetree Specification v0.4's. */
#include "fdt.h"
#include "platform.h"   /* struct platform_mmio */

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define FDT_MAX_SIZE   (1u << 20)  /* QEMU's trees are a few KiB (padded to 1 MiB) */
#define FDT_MAX_DEPTH  16u         /* QEMU's go 4 deep */
#define FDT_MAX_MATCHES 256u       /* nodes of one compatible we look at */
#define FDT_NAME_MAX   64u         /* longest property name we accept */

struct fdt_header {
    uint32_t magic, totalsize, off_dt_struct, off_dt_strings;
    uint32_t off_mem_rsvmap, version, last_comp_version;
    uint32_t boot_cpuid_phys, size_dt_strings, size_dt_struct;
};

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static bool streq_prefix(const char *s, const char *prefix, char stop)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false;
    return *s == 0 || *s == stop;
}

/* --- the blob's blocks and its tokens (5.2, 5.4) ------------------------ */

/* The checked extents of a blob: its structure block [start, end) and its
   strings block [str, str + str_size). */
struct fdt {
    const uint8_t *b;
    uint32_t start, end, str, str_size;
};

/* One token: a node's start (with its name), a property (name, value), or
   a node's end; `at` is where the token starts. */
struct fdt_tok {
    uint32_t type, at;
    const char *name;
    const uint8_t *val;
    uint32_t len;
};

bool fdt_valid(const void *blob)
{
    const struct fdt_header *h = blob;
    uint32_t size;

    if (!blob || be32(&h->magic) != FDT_MAGIC)
        return false;
    size = be32(&h->totalsize);
    return size >= sizeof *h && size <= FDT_MAX_SIZE;
}

static bool fdt_open(const void *blob, struct fdt *t)
{
    const struct fdt_header *h = blob;
    uint32_t size, off, len, soff, slen;

    if (!fdt_valid(blob))
        return false;
    size = be32(&h->totalsize);
    off = be32(&h->off_dt_struct), len = be32(&h->size_dt_struct);
    soff = be32(&h->off_dt_strings), slen = be32(&h->size_dt_strings);
    if (off > size || len > size - off || soff > size || slen > size - soff)
        return false;
    *t = (struct fdt){ blob, off, off + len, soff, slen };
    return true;
}

/* A property name: an offset into the strings block with a NUL before the
   block ends (5.5), at most FDT_NAME_MAX bytes on (2.2.4: names have 1 to
   31 characters), so a name costs a short scan however long the block. */
static const char *fdt_string(const struct fdt *t, uint32_t off)
{
    for (uint32_t i = off; i < t->str_size && i - off <= FDT_NAME_MAX; i++)
        if (t->b[t->str + i] == 0)
            return (const char *)t->b + t->str + off;
    return 0;
}

/* Read the token at `*off` (NOPs skipped) and step past it. False at
   FDT_END, at an unknown token and at anything that does not fit in the
   structure block. `*off` stays inside [start, end]. */
static bool fdt_next(const struct fdt *t, uint32_t *off, struct fdt_tok *k)
{
    uint32_t o = *off;

    while (o >= t->start && o <= t->end && t->end - o >= 4) {
        k->at = o;
        k->type = be32(t->b + o);
        o += 4;
        if (k->type == FDT_NOP)
            continue;
        if (k->type == FDT_BEGIN_NODE) {
            k->name = (const char *)t->b + o;
            while (o < t->end && t->b[o])
                o++;
            if (o == t->end)
                return false;          /* the name has no NUL */
            o = (o + 4) & ~3u;         /* past the NUL, to the next word */
        } else if (k->type == FDT_PROP) {
            if (t->end - o < 8)
                return false;
            k->len = be32(t->b + o);
            k->name = fdt_string(t, be32(t->b + o + 4));
            k->val = t->b + o + 8;
            if (!k->name || k->len > t->end - o - 8)
                return false;
            o = (o + 8 + k->len + 3) & ~3u;
        } else if (k->type != FDT_END_NODE) {
            return false;              /* FDT_END or garbage */
        }
        if (o > t->end)
            return false;
        *off = o;
        return true;
    }
    return false;
}

/* --- the boot facts: a walk over every property ---------------------------- */

/* Visit every property as (node name, depth, property name, value,
   length); the root is depth 1. The callback returns true to stop. */
typedef bool (*fdt_visit)(void *ctx, const char *node, int depth,
                          const char *prop, const uint8_t *val, uint32_t len);

static void fdt_walk(const void *blob, fdt_visit visit, void *ctx)
{
    struct fdt t;
    struct fdt_tok k;
    const char *node = "";
    uint32_t off;
    int depth = 0;

    if (!fdt_open(blob, &t))
        return;
    for (off = t.start; fdt_next(&t, &off, &k);) {
        if (k.type == FDT_BEGIN_NODE) {
            node = k.name;
            depth++;
        } else if (k.type == FDT_END_NODE) {
            depth--;
        } else if (visit(ctx, node, depth, k.name, k.val, k.len)) {
            return;
        }
    }
}

/* QEMU's virt machines use #address-cells = #size-cells = 2 at the root. */
static bool add_memory(void *ctx, const char *node, int depth,
                       const char *prop, const uint8_t *val, uint32_t len)
{
    uint64_t *total = ctx;

    if (depth != 2 || !streq_prefix(node, "memory", '@') || !streq(prop, "reg"))
        return false;
    for (uint32_t i = 0; i + 16 <= len; i += 16)
        *total += (uint64_t)be32(val + i + 8) << 32 | be32(val + i + 12);
    return false;
}

uint64_t fdt_memory_bytes(const void *blob)
{
    uint64_t total = 0;

    fdt_walk(blob, add_memory, &total);
    return total;
}

static bool find_bootargs(void *ctx, const char *node, int depth,
                          const char *prop, const uint8_t *val, uint32_t len)
{
    if (depth != 2 || !streq(node, "chosen") || !streq(prop, "bootargs"))
        return false;
    if (len && val[len - 1] == 0) /* must be a terminated string */
        *(const char **)ctx = (const char *)val;
    return true;
}

const char *fdt_bootargs(const void *blob)
{
    const char *args = "";

    fdt_walk(blob, find_bootargs, &args);
    return args;
}

/* 3.8: timebase-frequency is a <u32> or <u64>; 3.7: a property every CPU
   shares may sit on /cpus instead, as on QEMU virt. */
static bool find_timebase(void *ctx, const char *node, int depth,
                          const char *prop, const uint8_t *val, uint32_t len)
{
    uint64_t *hz = ctx;

    if (depth != 2 || !streq(node, "cpus") || !streq(prop, "timebase-frequency"))
        return false;
    if (len == 4)
        *hz = be32(val);
    else if (len == 8)
        *hz = (uint64_t)be32(val) << 32 | be32(val + 4);
    return true;
}

uint64_t fdt_timebase_frequency(const void *blob)
{
    uint64_t hz = 0;

    fdt_walk(blob, find_timebase, &hz);
    return hz;
}

/* --- nodes and properties ------------------------------------------------ */

/* Does the string list `val` (NUL-terminated strings back to back, 2.2.4)
   hold `s`? */
static bool strlist_has(const uint8_t *val, uint32_t len, const char *s)
{
    uint32_t i = 0;

    while (i < len) {
        uint32_t j = 0;

        while (i + j < len && val[i + j] && s[j] == (char)val[i + j])
            j++;
        if (i + j < len && val[i + j] == 0 && s[j] == 0)
            return true;
        while (i < len && val[i])      /* to the next string */
            i++;
        i++;
    }
    return false;
}

int fdt_find_compatible(const void *blob, int after, const char *compat)
{
    struct fdt t;
    struct fdt_tok k;
    uint32_t off;
    int node = -1;

    if (!fdt_open(blob, &t))
        return -1;
    for (off = t.start; fdt_next(&t, &off, &k);) {
        if (k.type == FDT_BEGIN_NODE)
            node = (int)k.at;
        else if (k.type == FDT_PROP && node > after && streq(k.name, "compatible") &&
                 strlist_has(k.val, k.len, compat))
            return node;
    }
    return -1;
}

/* A node's properties come before its children (5.4.2): read from its
   FDT_BEGIN_NODE to the first token that is not a property. */
const uint8_t *fdt_prop(const void *blob, int node, const char *name, uint32_t *len)
{
    struct fdt t;
    struct fdt_tok k;
    uint32_t off = (uint32_t)node;

    if (node < 0 || !fdt_open(blob, &t) || !fdt_next(&t, &off, &k) ||
        k.type != FDT_BEGIN_NODE || k.at != (uint32_t)node)
        return 0;
    while (fdt_next(&t, &off, &k) && k.type == FDT_PROP) {
        if (streq(k.name, name)) {
            *len = k.len;
            return k.val;
        }
    }
    return 0;
}

bool fdt_is_compatible(const void *blob, int node, const char *compat)
{
    uint32_t len;
    const uint8_t *p = fdt_prop(blob, node, "compatible", &len);

    return p && strlist_has(p, len, compat);
}

int fdt_parent(const void *blob, int node)
{
    struct fdt t;
    struct fdt_tok k;
    uint32_t off, depth = 0;
    int stack[FDT_MAX_DEPTH];

    if (node < 0 || !fdt_open(blob, &t))
        return -1;
    for (off = t.start; fdt_next(&t, &off, &k);) {
        if (k.type == FDT_BEGIN_NODE) {
            if (k.at == (uint32_t)node)
                return depth && depth <= FDT_MAX_DEPTH ? stack[depth - 1] : -1;
            if (depth < FDT_MAX_DEPTH)
                stack[depth] = (int)k.at;
            depth++;
        } else if (k.type == FDT_END_NODE) {
            if (depth-- == 0)
                return -1;
        }
    }
    return -1;
}

uint64_t fdt_cells(const uint8_t *p, unsigned cells)
{
    if (cells == 0)
        return 0;
    if (cells == 1)
        return be32(p);
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint32_t prop_u32(const void *blob, int node, const char *name, uint32_t dflt)
{
    uint32_t len;
    const uint8_t *p = fdt_prop(blob, node, name, &len);

    return p && len == 4 ? be32(p) : dflt;
}

/* 2.3.5: how many cells the children's addresses and sizes take; 2 and 1
   if the node does not say. */
static unsigned addr_cells(const void *blob, int node)
{
    return prop_u32(blob, node, "#address-cells", 2);
}

static unsigned size_cells(const void *blob, int node)
{
    return prop_u32(blob, node, "#size-cells", 1);
}

/* 2.3.4: no status, "okay" or "ok" is a device in use. */
static bool enabled(const void *blob, int node)
{
    uint32_t len;
    const uint8_t *p = fdt_prop(blob, node, "status", &len);

    return !p || strlist_has(p, len, "okay") || strlist_has(p, len, "ok");
}

/* The node whose "phandle" (2.3.3; or the older "linux,phandle") is `ph`. */
static int by_phandle(const void *blob, uint32_t ph)
{
    struct fdt t;
    struct fdt_tok k;
    uint32_t off;
    int node = -1;

    if (ph == 0 || ph == 0xffffffffu || !fdt_open(blob, &t))
        return -1;
    for (off = t.start; fdt_next(&t, &off, &k);) {
        if (k.type == FDT_BEGIN_NODE)
            node = (int)k.at;
        else if (k.type == FDT_PROP && k.len == 4 && be32(k.val) == ph &&
                 (streq(k.name, "phandle") || streq(k.name, "linux,phandle")))
            return node;
    }
    return -1;
}

/* --- addresses (2.3.6, 2.3.8) --------------------------------------------- */

/* Map `*addr`, an address in the space of `bus`'s children, into the space
   of bus's parent `up`, through one "ranges" entry that holds it. */
static bool map_range(const void *blob, int bus, int up, const uint8_t *r, uint32_t len,
                      uint64_t *addr)
{
    unsigned ca = addr_cells(blob, bus), pa = addr_cells(blob, up), sc = size_cells(blob, bus);
    uint32_t entry;

    if (ca < 1 || ca > 2 || pa < 1 || pa > 2 || sc < 1 || sc > 2)
        return false;
    entry = 4 * (ca + pa + sc);
    for (uint32_t i = 0; len - i >= entry; i += entry) {
        uint64_t child = fdt_cells(r + i, ca), parent = fdt_cells(r + i + 4 * ca, pa);
        uint64_t size = fdt_cells(r + i + 4 * (ca + pa), sc), off = *addr - child;

        if (*addr >= child && off < size && off <= UINT64_MAX - parent) {
            *addr = parent + off;
            return true;
        }
    }
    return false;
}

/* Up the tree from `bus` to the root, whose space is the CPU's. An empty
   "ranges" is the identity; a missing one means the children are not
   reachable from the parent at all (2.3.8). */
static bool translate(const void *blob, int bus, uint64_t *addr)
{
    for (unsigned step = 0; step < FDT_MAX_DEPTH; step++) {
        int up = fdt_parent(blob, bus);
        uint32_t len;
        const uint8_t *r;

        if (up < 0)
            return true;
        r = fdt_prop(blob, bus, "ranges", &len);
        if (!r || (len && !map_range(blob, bus, up, r, len, addr)))
            return false;
        bus = up;
    }
    return false;
}

bool fdt_reg(const void *blob, int node, uint64_t *base, uint64_t *size)
{
    int up = fdt_parent(blob, node);
    unsigned ac, sc;
    uint32_t len;
    const uint8_t *p;

    if (up < 0)
        return false;
    ac = addr_cells(blob, up), sc = size_cells(blob, up);
    p = fdt_prop(blob, node, "reg", &len);
    if (ac < 1 || ac > 2 || sc > 2 || !p || len < 4 * (ac + sc))
        return false;
    *base = fdt_cells(p, ac);
    *size = fdt_cells(p + 4 * ac, sc);
    return translate(blob, up, base) && (*size == 0 || *base <= UINT64_MAX - (*size - 1));
}

/* --- interrupts (2.4) ----------------------------------------------------- */

/* A specifier of controller `ctl` from `len` bytes at `p`: #interrupt-cells
   cells of it. The controller must be one (interrupt-controller, 2.4.2.1):
   a nexus in between (a second interrupt-map) is not followed. */
static bool irq_spec(const void *blob, int ctl, const uint8_t *p, uint32_t len,
                     struct fdt_irq *irq)
{
    uint32_t n = prop_u32(blob, ctl, "#interrupt-cells", 0), plen;

    if (ctl < 0 || n < 1 || n > FDT_IRQ_CELLS || len < 4 * n ||
        !fdt_prop(blob, ctl, "interrupt-controller", &plen))
        return false;
    irq->controller = ctl;
    irq->cells = n;
    for (unsigned i = 0; i < n; i++)
        irq->cell[i] = be32(p + 4 * i);
    return true;
}

/* 2.4.1: a node's interrupt parent is named by its own "interrupt-parent"
   or, failing that, its nearest ancestor's. */
static int interrupt_parent(const void *blob, int node)
{
    for (unsigned step = 0; node >= 0 && step < FDT_MAX_DEPTH; step++) {
        uint32_t ph = prop_u32(blob, node, "interrupt-parent", 0);

        if (ph)
            return by_phandle(blob, ph);
        node = fdt_parent(blob, node);
    }
    return -1;
}

bool fdt_interrupt(const void *blob, int node, struct fdt_irq *irq)
{
    uint32_t len;
    const uint8_t *p = fdt_prop(blob, node, "interrupts-extended", &len);

    if (p)  /* <phandle specifier>..., 2.4.1.3 */
        return len >= 4 && irq_spec(blob, by_phandle(blob, be32(p)), p + 4, len - 4, irq);
    p = fdt_prop(blob, node, "interrupts", &len);
    return p && irq_spec(blob, interrupt_parent(blob, node), p, len, irq);
}

/* --- a PCI host bridge ------------------------------------------------------ */

/* The PCI binding's three-cell address: phys.hi is npt000ss bbbbbbbb
   dddddfff rrrrrrrr (ss the space: 01 I/O, 10 32-bit memory, 11 64-bit
   memory), then the 64-bit address in phys.mid and phys.lo. */
#define PCI_ADDR_CELLS 3u
#define PCI_SPACE(hi)  ((hi) >> 24 & 3u)

/* One "ranges" entry into the window of its kind, if that kind has none
   yet: the CPU side translated up to the root, nothing that wraps. */
static void pci_window(const void *blob, int up, struct fdt_pci_host *h, const uint8_t *e,
                       unsigned pa, unsigned ns)
{
    uint32_t hi = be32(e);
    struct fdt_pci_window w = { fdt_cells(e + 4, 2), fdt_cells(e + 12, pa),
                                fdt_cells(e + 12 + 4 * pa, ns) };
    struct fdt_pci_window *to = PCI_SPACE(hi) == 1 ? &h->io :
                                PCI_SPACE(hi) == 2 ? &h->mem32 :
                                PCI_SPACE(hi) == 3 ? &h->mem64 : 0;

    if (!to || to->size || w.size == 0 || w.pci > UINT64_MAX - (w.size - 1) ||
        !translate(blob, up, &w.cpu) || w.cpu > UINT64_MAX - (w.size - 1))
        return;
    if (to == &h->mem32 && w.pci + (w.size - 1) > 0xffffffffu)
        return;                        /* not 32-bit memory after all */
    *to = w;
}

static void pci_ranges(const void *blob, struct fdt_pci_host *h)
{
    int up = fdt_parent(blob, h->node);
    unsigned pa = addr_cells(blob, up), ns = size_cells(blob, h->node);
    uint32_t len, entry;
    const uint8_t *r = fdt_prop(blob, h->node, "ranges", &len);

    if (!r || up < 0 || addr_cells(blob, h->node) != PCI_ADDR_CELLS || pa < 1 || pa > 2 ||
        ns < 1 || ns > 2)
        return;
    entry = 4 * (PCI_ADDR_CELLS + pa + ns);
    for (uint32_t i = 0; len - i >= entry; i += entry)
        pci_window(blob, up, h, r + i, pa, ns);
}

bool fdt_pci_host(const void *blob, struct fdt_pci_host *h)
{
    int node = -1;
    uint32_t len;
    const uint8_t *p;

    for (unsigned n = 0; n < FDT_MAX_MATCHES; n++) {
        node = fdt_find_compatible(blob, node, "pci-host-ecam-generic");
        if (node < 0 || enabled(blob, node))
            break;
    }
    if (node < 0)
        return false;
    *h = (struct fdt_pci_host){ .node = node, .bus_start = 0, .bus_end = 255 };
    if (!fdt_reg(blob, node, &h->ecam, &h->ecam_size))
        return false;
    p = fdt_prop(blob, node, "bus-range", &len);
    if (p && len == 8 && be32(p) <= be32(p + 4) && be32(p + 4) <= 255)
        h->bus_start = be32(p), h->bus_end = be32(p + 4);
    pci_ranges(blob, h);
    return true;
}

/* The interrupt-map (2.4.3.1): entries of child unit address (the node's
   #address-cells), child specifier (its #interrupt-cells), the parent's
   phandle, the parent's unit address (its #address-cells, 0 if it has
   none, as Linux reads it) and the parent's specifier (its
   #interrupt-cells). Entries may name different parents, so each entry's
   length is worked out as it is read. */
bool fdt_pci_intx(const void *blob, int host, uint32_t bdf, unsigned pin, struct fdt_irq *irq)
{
    uint32_t len, mlen, child[4] = { bdf << 8, 0, 0, pin }, mask[4] = { ~0u, ~0u, ~0u, ~0u };
    const uint8_t *map = fdt_prop(blob, host, "interrupt-map", &len);
    const uint8_t *m = fdt_prop(blob, host, "interrupt-map-mask", &mlen);
    int ctl = -1;

    if (!map || addr_cells(blob, host) != PCI_ADDR_CELLS ||
        prop_u32(blob, host, "#interrupt-cells", 0) != 1 || pin < 1 || pin > 4)
        return false;
    for (unsigned i = 0; i < 4; i++) {
        if (m && mlen == 16)
            mask[i] = be32(m + 4 * i);
        child[i] &= mask[i];
    }
    for (uint32_t i = 0, entry, last = 0, pa = 0, pi = 0; len - i >= 20; i += entry) {
        uint32_t ph = be32(map + i + 16);
        bool match = true;

        if (ph != last) {              /* a parent we have not sized yet */
            ctl = by_phandle(blob, ph);
            pa = prop_u32(blob, ctl, "#address-cells", 0);
            pi = prop_u32(blob, ctl, "#interrupt-cells", 0);
            last = ph;
        }
        if (ctl < 0 || pa > 3 || pi < 1 || pi > FDT_IRQ_CELLS)
            return false;
        entry = 4 * (5 + pa + pi);
        if (len - i < entry)
            return false;
        for (unsigned c = 0; c < 4; c++)
            match = match && (be32(map + i + 4 * c) & mask[c]) == child[c];
        if (match)
            return irq_spec(blob, ctl, map + i + 20 + 4 * pa, 4 * pi, irq);
    }
    return false;
}

/* --- virtio-mmio windows -------------------------------------------------- */

/* Insert `w` into `out` (n kept, in address order), keeping the `max`
   lowest. Returns the new count. */
static unsigned insert_mmio(struct fdt_mmio *out, unsigned n, unsigned max,
                            const struct fdt_mmio *w)
{
    unsigned j = n;

    if (n == max) {
        if (max == 0 || out[max - 1].base <= w->base)
            return n;                  /* above all we keep */
        j = max - 1;                   /* the highest goes */
    } else {
        n++;
    }
    for (; j > 0 && out[j - 1].base > w->base; j--)
        out[j] = out[j - 1];
    out[j] = *w;
    return n;
}

unsigned fdt_virtio_mmio(const void *blob, struct fdt_mmio *out, unsigned max)
{
    unsigned n = 0;
    int node = -1;

    for (unsigned seen = 0; seen < FDT_MAX_MATCHES; seen++) {
        struct fdt_mmio w;

        node = fdt_find_compatible(blob, node, "virtio,mmio");
        if (node < 0)
            break;
        if (enabled(blob, node) && fdt_reg(blob, node, &w.base, &w.size) && w.size &&
            fdt_interrupt(blob, node, &w.irq))
            n = insert_mmio(out, n, max, &w);
    }
    return n;
}

#define FDT_BOARD_MMIO_MAX 64u  /* windows looked at: QEMU's virt has 32 (arm64), 8 (rv64) */

unsigned fdt_board_virtio_mmio(const void *blob, struct platform_mmio *out, unsigned max,
                               int (*number)(const struct fdt_irq *irq), const char *controller)
{
    static struct fdt_mmio found[FDT_BOARD_MMIO_MAX];
    unsigned n, kept = 0;

    if (!blob)
        return 0;
    n = fdt_virtio_mmio(blob, found, max < FDT_BOARD_MMIO_MAX ? max : FDT_BOARD_MMIO_MAX);
    for (unsigned i = 0; i < n; i++) {
        int irq = number(&found[i].irq);

        if (irq < 0) {
            kprintf("virtio-mmio: the window at 0x%llx has no %s; left out\n",
                    (unsigned long long)found[i].base, controller);
            continue;
        }
        out[kept++] = (struct platform_mmio){ found[i].base, found[i].size, (unsigned)irq };
    }
    return kept;
}
