/* fdt.c - a read-only walk over a flattened device tree.

   The blob comes from firmware (QEMU, OpenSBI); it is trusted about as much as
   any firmware table: offsets are still checked against the blob's declared
   size so a corrupt tree ends the walk instead of running off into memory. */
#include "fdt.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define FDT_MAX_SIZE   (1u << 20)  /* QEMU's trees are a few KiB */

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

static bool streq_prefix(const char *s, const char *prefix, char stop)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false;
    return *s == 0 || *s == stop;
}

/* Visit every property as (node name, property name, value, length). The
   callback returns true to stop. Only depth-1 nodes are interesting here. */
typedef bool (*fdt_visit)(void *ctx, const char *node, int depth,
                          const char *prop, const uint8_t *val, uint32_t len);

static void fdt_walk(const void *blob, fdt_visit visit, void *ctx)
{
    const struct fdt_header *h = blob;
    const uint8_t *base = blob;
    uint32_t size = be32(&h->totalsize);
    uint32_t off = be32(&h->off_dt_struct), end = off + be32(&h->size_dt_struct);
    uint32_t strings = be32(&h->off_dt_strings);
    const char *node = "";
    int depth = 0;

    if (end > size || off > end)
        return;
    while (off + 4 <= end) {
        uint32_t tok = be32(base + off);
        off += 4;
        if (tok == FDT_BEGIN_NODE) {
            node = (const char *)base + off;
            depth++;
            while (off < end && base[off])
                off++;
            off = (off + 4) & ~3u; /* past the NUL, to the next word */
        } else if (tok == FDT_END_NODE) {
            depth--;
        } else if (tok == FDT_PROP && off + 8 <= end) {
            uint32_t len = be32(base + off), name = be32(base + off + 4);
            if (len > end - off - 8 || strings >= size || name >= size - strings)
                return;
            if (visit(ctx, node, depth, (const char *)base + strings + name, base + off + 8, len))
                return;
            off = (off + 8 + len + 3) & ~3u;
        } else if (tok != FDT_NOP) {
            return; /* FDT_END or garbage */
        }
    }
}

bool fdt_valid(const void *blob)
{
    const struct fdt_header *h = blob;
    uint32_t size;

    if (!blob || be32(&h->magic) != FDT_MAGIC)
        return false;
    size = be32(&h->totalsize);
    return size >= sizeof *h && size <= FDT_MAX_SIZE;
}

/* QEMU's virt machines use #address-cells = #size-cells = 2 at the root. */
static bool add_memory(void *ctx, const char *node, int depth,
                       const char *prop, const uint8_t *val, uint32_t len)
{
    uint64_t *total = ctx;

    if (depth != 2 || !streq_prefix(node, "memory", '@') || !streq_prefix(prop, "reg", 0))
        return false;
    for (uint32_t i = 0; i + 16 <= len; i += 16)
        *total += (uint64_t)be32(val + i + 8) << 32 | be32(val + i + 12);
    return false;
}

uint64_t fdt_memory_bytes(const void *blob)
{
    uint64_t total = 0;

    if (fdt_valid(blob))
        fdt_walk(blob, add_memory, &total);
    return total;
}

static bool find_bootargs(void *ctx, const char *node, int depth,
                          const char *prop, const uint8_t *val, uint32_t len)
{
    if (depth != 2 || !streq_prefix(node, "chosen", 0) || !streq_prefix(prop, "bootargs", 0))
        return false;
    if (len && val[len - 1] == 0) /* must be a terminated string */
        *(const char **)ctx = (const char *)val;
    return true;
}

const char *fdt_bootargs(const void *blob)
{
    const char *args = "";

    if (fdt_valid(blob))
        fdt_walk(blob, find_bootargs, &args);
    return args;
}

/* Devicetree spec v0.4, 3.8: timebase-frequency is a <u32> or <u64>; 3.7:
   a property every CPU shares may sit on /cpus instead, as on QEMU virt. */
static bool find_timebase(void *ctx, const char *node, int depth,
                          const char *prop, const uint8_t *val, uint32_t len)
{
    uint64_t *hz = ctx;

    if (depth != 2 || !streq_prefix(node, "cpus", 0) ||
        !streq_prefix(prop, "timebase-frequency", 0))
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

    if (fdt_valid(blob))
        fdt_walk(blob, find_timebase, &hz);
    return hz;
}
