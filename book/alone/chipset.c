/* hdr/chipset.h alone: two made-up devices, a latch of four byte registers on
   ports and an ID window in MMIO. A board with a third device over both is
   refused, every conflict named; the right one dispatches, and holes read all-ones. */
#include <stdio.h>

//! [alone-chipset]
#define CHIPSET_IMPLEMENTATION
#include "chipset.h"

static uint8_t latch[4];                /* the latch's registers: its context */

/* Offsets are the device's own; the chipset keeps off + w inside the range. */
static uint64_t latch_read(void *ctx, uint64_t off, unsigned w)
{
    (void)w;
    return ((uint8_t *)ctx)[off];
}
static void latch_write(void *ctx, uint64_t off, unsigned w, uint64_t v)
{
    (void)w;
    ((uint8_t *)ctx)[off] = (uint8_t)v;
}
static uint64_t id_read(void *ctx, uint64_t off, unsigned w)
{
    (void)ctx, (void)w;
    return 0x1d000000u | off;
}

/* Unset members are NULL: no MMIO for the latch, writes to the id dropped. */
static const chipset_ops latch_ops = { .pio_read = latch_read, .pio_write = latch_write };
static const chipset_ops id_ops = { .mmio_read = id_read };

static void on_error(void *ctx, const chipset_error *e)
{
    char line[128];

    (void)ctx;
    chipset_format_error(e, line, sizeof line);
    printf("build: %s\n", line);
}
static void on_unclaimed(void *ctx, const chipset_unclaimed *u)
{
    (void)ctx;
    printf("unclaimed #%llu: %s %s 0x%llx, width %u: 0x%llx%s%s\n",
           (unsigned long long)u->count, u->kind == CHIPSET_PIO ? "port" : "mmio",
           u->is_write ? "write" : "read", (unsigned long long)u->addr, u->width,
           (unsigned long long)u->value, u->near ? ", straddles " : "", u->near ? u->near : "");
}

static chipset_device devs[4];          /* the caller's storage: no malloc */
static chipset_range ranges[8];
static const chipset_config cfg = { devs, 4, ranges, 8, on_error, on_unclaimed, NULL };
/* Register the board; with `clash`, a third device over both ranges. */
static size_t board(chipset *c, bool clash)
{
    chipset_init(c, &cfg);
    chipset_add_range(c, chipset_add_device(c, "latch", &latch_ops, latch), CHIPSET_PIO, 0x510,
                      4, "regs");
    chipset_add_range(c, chipset_add_device(c, "id", &id_ops, NULL), CHIPSET_MMIO, 0xfed00000,
                      0x100, NULL);
    if (clash) {
        int x = chipset_add_device(c, "clash", &latch_ops, latch);

        chipset_add_range(c, x, CHIPSET_PIO, 0x512, 4, NULL);
        chipset_add_range(c, x, CHIPSET_MMIO, 0xfed000f0, 0x20, NULL);
    }
    return chipset_build(c, NULL, 0);   /* the number of errors, all reported */
}

int main(void)
{
    chipset c;
    uint64_t v[4];

    /* A refused board dispatches nothing: the latch cannot be reached. */
    if (board(&c, true) != 2 || chipset_pio_read(&c, 0x510, 1) != 0xff || board(&c, false))
        return puts("wrong: want two conflicts, the latch unreachable, then a build"), 1;
    chipset_pio_write(&c, 0x512, 1, 0x5a);              /* the latch's offset 2 */
    v[0] = chipset_pio_read(&c, 0x512, 1);
    v[1] = chipset_mmio_read(&c, 0xfed00010, 4);         /* the id's offset 0x10 */
    printf("port 0x512: 0x%llx, mmio 0xfed00010: 0x%llx\n", (unsigned long long)v[0],
           (unsigned long long)v[1]);
    v[2] = chipset_pio_read(&c, 0x513, 2);               /* one byte past the latch */
    v[3] = chipset_mmio_read(&c, 0xfed00100, 4);         /* just past the id */
    if (latch[2] != 0x5a || v[0] != 0x5a || v[1] != 0x1d000010 || v[2] != 0xffff ||
        v[3] != 0xffffffff)
        return puts("wrong: want 0x5a, 0x1d000010, then holes of all-ones"), 1;
    return 0;
}
//! [alone-chipset]
