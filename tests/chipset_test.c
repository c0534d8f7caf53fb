/* chipset_test.c - hdr/chipset.h: the build's error report (every conflict
   at once, with both names and ranges), dispatch against a plain linear scan
   over random addresses, ranges mapped at device offsets (the 8259 pair's
   shape, shared offsets, huge ones), unclaimed accesses and their
   rate-limited warning, counters, advance and lifecycle order, and the
   machine's saved state. White-box: it reads the chipset's fields and calls
   its private chipset__ helpers.

   Prints `ok NAME` or `FAIL NAME: why` per test; exits non-zero on failure.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A CHIPSET_ASSERT that trips is a bug in the chipset: no test expects one,
   so it aborts the run. Every evaluation is counted, so asserts_wired can
   tell that the assertions are really there. */
static unsigned long asserts_run;

static void assert_failed(const char *cond, const char *file, int line)
{
    printf("%s:%d: CHIPSET_ASSERT(%s) failed\n", file, line, cond);
    abort();
}

#define CHIPSET_ASSERT(c) \
    (asserts_run++, (c) ? (void)0 : assert_failed(#c, __FILE__, __LINE__))
#define CHIPSET_IMPLEMENTATION
#include "chipset.h"

/* ---- harness: tests/check.h, plus CHECK_STR ---- */

#include "check.h"

static long test_fails_before; /* check_failed_ when the test began */
#define test_failed (check_failed_ != test_fails_before)

/* A NULL on either side fails the check rather than the run. */
#define CHECK_STR(a, b) do {                                                  \
        const char *a_ = (a), *b_ = (b);                                      \
        if (!CHECK(a_ && b_ && strcmp(a_, b_) == 0))                          \
            printf("  got \"%s\", want \"%s\"\n", a_ ? a_ : "(null)",         \
                   b_ ? b_ : "(null)");                                       \
    } while (0)

static void run_test(void (*fn)(void))
{
    test_fails_before = check_failed_;
    fn();
}

/* splitmix64: small, fixed seeds, the same on every host. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* ---- a test device: remembers its last access ---- */

typedef struct tdev {
    int id;
    int calls;                     /* handler calls of any kind */
    chipset_kind kind;             /* of the last access */
    uint64_t offset, value;
    unsigned width;
    int is_write;
} tdev;

static uint64_t tdev_reply(const tdev *t, uint64_t offset)
{
    /* Junk in every byte: the chipset must truncate it to the width. */
    return ((uint64_t)t->id << 48) ^ (offset * 0x0101010101u) ^ 0xa5a5a5a5a5a5a5a5u;
}

static void tdev_note(tdev *t, chipset_kind kind, uint64_t offset, unsigned width, int is_write,
                      uint64_t value)
{
    t->calls++;
    t->kind = kind;
    t->offset = offset;
    t->width = width;
    t->is_write = is_write;
    t->value = value;
}

static uint64_t tdev_pio_read(void *ctx, uint64_t offset, unsigned width)
{
    tdev_note(ctx, CHIPSET_PIO, offset, width, 0, 0);
    return tdev_reply(ctx, offset);
}

static void tdev_pio_write(void *ctx, uint64_t offset, unsigned width, uint64_t value)
{
    tdev_note(ctx, CHIPSET_PIO, offset, width, 1, value);
}

static uint64_t tdev_mmio_read(void *ctx, uint64_t offset, unsigned width)
{
    tdev_note(ctx, CHIPSET_MMIO, offset, width, 0, 0);
    return tdev_reply(ctx, offset);
}

static void tdev_mmio_write(void *ctx, uint64_t offset, unsigned width, uint64_t value)
{
    tdev_note(ctx, CHIPSET_MMIO, offset, width, 1, value);
}

static const chipset_ops tdev_ops = { tdev_pio_read, tdev_pio_write, tdev_mmio_read,
                                      tdev_mmio_write, NULL, NULL, NULL, NULL, NULL, NULL };

/* ---- the hooks: errors and warnings, collected ---- */

#define MAXW 64

static struct {
    int errors;
    char text[32][160];
    int warnings;
    chipset_unclaimed warned[MAXW];
} seen;

static void on_error(void *ctx, const chipset_error *e)
{
    (void)ctx;
    if (seen.errors < 32)
        chipset_format_error(e, seen.text[seen.errors], sizeof seen.text[0]);
    seen.errors++;
}

static void on_unclaimed(void *ctx, const chipset_unclaimed *u)
{
    (void)ctx;
    if (seen.warnings < MAXW)
        seen.warned[seen.warnings] = *u;
    seen.warnings++;
}

#define NDEV 64
#define NRANGE 256

static chipset_device devs[NDEV];
static chipset_range ranges[NRANGE];
static tdev tdevs[NDEV];

static void setup(chipset *c, size_t device_cap, size_t range_cap)
{
    chipset_config cfg = { devs, device_cap, ranges, range_cap, on_error, on_unclaimed, NULL };

    memset(&seen, 0, sizeof seen);
    memset(tdevs, 0, sizeof tdevs);
    for (int i = 0; i < NDEV; i++)
        tdevs[i].id = i;
    chipset_init(c, &cfg);
}

static int add(chipset *c, const char *name)
{
    int id = chipset_add_device(c, name, &tdev_ops, NULL);

    if (id >= 0)
        devs[id].ctx = &tdevs[id];
    return id;
}

/* ---- the build ---- */

static void test_the_example_line(void)
{
    chipset c;
    chipset_error e[4];
    char line[128];

    setup(&c, NDEV, NRANGE);
    chipset_add_range(&c, add(&c, "pic"), CHIPSET_PIO, 0x3f0, 16, NULL);
    chipset_add_range(&c, add(&c, "uart16550"), CHIPSET_PIO, 0x3f8, 8, NULL);
    CHECK_EQ(chipset_build(&c, e, 4), 1);
    CHECK(!c.built);
    CHECK_EQ(e[0].kind, CHIPSET_ERR_CONFLICT);
    CHECK_STR(e[0].dev, "uart16550");
    CHECK_STR(e[0].other, "pic");
    CHECK_EQ(e[0].range.base, 0x3f8);
    CHECK_EQ(e[0].other_range.length, 16);
    /* Apart: check_eq_'s arguments have no order, and strlen needs the line. */
    size_t len = chipset_format_error(&e[0], line, sizeof line);
    CHECK_EQ(len, strlen(line));
    CHECK_STR(line, "uart16550 port 0x3f8-0x3ff conflicts with pic port 0x3f0-0x3ff");
    CHECK_EQ(seen.errors, 1);
    CHECK_STR(seen.text[0], line);
}

/* One build, every kind of range error at once, in a fixed order: lost
   registrations, duplicate names, then ranges in registration order. */
static void test_all_conflicts_at_once(void)
{
    static const char *want[] = {
        "device name uart16550 is registered twice",
        "uart16550 port 0x3f8-0x3ff conflicts with fdc port 0x3f0-0x3ff",      /* contained */
        "dup/copy port 0x20-0x21 conflicts with pic/master port 0x20-0x21",   /* identical */
        "partial port 0x4d1-0x4d2 conflicts with pic/elcr port 0x4d0-0x4d1",  /* partial */
        "hpet mmio 0xfec00800-0xfec00bff conflicts with ioapic mmio 0xfec00000-0xfec00fff",
        "empty port 0x80+0x0 is empty",
        "wrap port 0xfff8+0x10 runs past port 0xffff",
        "wrap mmio 0xfffffffffffff000+0x2000 wraps past the end of memory",
        "big port 0x3e0-0x3ff conflicts with fdc port 0x3f0-0x3ff",           /* three at once */
        "big port 0x3e0-0x3ff conflicts with adjacent port 0x3e8-0x3ef",
        "big port 0x3e0-0x3ff conflicts with uart16550 port 0x3f8-0x3ff",
        "uart16550 mmio 0x3f8-0x3ff conflicts with top mmio 0x3f0-0x3f8",     /* same name */
    };
    size_t nwant = sizeof want / sizeof want[0];
    chipset c;
    chipset_error e[32];
    char line[160];
    int pic, top;

    setup(&c, NDEV, NRANGE);
    pic = add(&c, "pic");
    chipset_add_range(&c, pic, CHIPSET_PIO, 0x20, 2, "master");
    chipset_add_range(&c, pic, CHIPSET_PIO, 0xa0, 2, "slave");
    chipset_add_range(&c, pic, CHIPSET_PIO, 0x4d0, 2, "elcr");
    chipset_add_range(&c, add(&c, "fdc"), CHIPSET_PIO, 0x3f0, 16, NULL);
    chipset_add_range(&c, add(&c, "adjacent"), CHIPSET_PIO, 0x3e8, 8, NULL); /* fine */
    chipset_add_range(&c, add(&c, "uart16550"), CHIPSET_PIO, 0x3f8, 8, NULL);
    chipset_add_range(&c, add(&c, "dup"), CHIPSET_PIO, 0x20, 2, "copy");
    chipset_add_range(&c, add(&c, "partial"), CHIPSET_PIO, 0x4d1, 2, NULL);
    chipset_add_range(&c, add(&c, "ioapic"), CHIPSET_MMIO, 0xfec00000, 0x1000, NULL);
    chipset_add_range(&c, add(&c, "hpet"), CHIPSET_MMIO, 0xfec00800, 0x400, NULL);
    chipset_add_range(&c, add(&c, "lapic"), CHIPSET_MMIO, 0xfee00000, 0x1000, NULL);
    /* Ports and MMIO are separate spaces: the same numbers do not clash. */
    chipset_add_range(&c, add(&c, "mmio-at-0x20"), CHIPSET_MMIO, 0x20, 2, NULL);
    chipset_add_range(&c, add(&c, "empty"), CHIPSET_PIO, 0x80, 0, NULL);
    chipset_add_range(&c, add(&c, "last-port"), CHIPSET_PIO, 0xfff0, 0x10, NULL); /* fine */
    chipset_add_range(&c, add(&c, "last-page"), CHIPSET_MMIO, 0xfffffffffffff000u, 0x1000,
                      NULL); /* ends at the last byte: fine */
    top = add(&c, "wrap");
    chipset_add_range(&c, top, CHIPSET_PIO, 0xfff8, 0x10, NULL);
    chipset_add_range(&c, top, CHIPSET_MMIO, 0xfffffffffffff000u, 0x2000, NULL);
    chipset_add_range(&c, add(&c, "big"), CHIPSET_PIO, 0x3e0, 0x20, NULL);
    chipset_add_range(&c, add(&c, "top"), CHIPSET_MMIO, 0x3f0, 9, NULL);
    chipset_add_range(&c, add(&c, "uart16550"), CHIPSET_MMIO, 0x3f8, 8, NULL);

    CHECK_EQ(chipset_build(&c, e, 32), nwant);
    CHECK_EQ(seen.errors, nwant);
    for (size_t i = 0; i < nwant && i < (size_t)seen.errors; i++) {
        chipset_format_error(&e[i], line, sizeof line);
        CHECK_STR(line, want[i]);
        CHECK_STR(seen.text[i], want[i]);
    }
    /* Unusable until a build succeeds: nothing reaches a device. */
    CHECK(!c.built);
    CHECK_EQ(chipset_pio_read(&c, 0x21, 1), 0xff);
    chipset_mmio_write(&c, 0xfec00000, 4, 1);
    CHECK_EQ(tdevs[pic].calls + tdevs[8].calls, 0);
    CHECK_EQ(chipset_advance(&c, 0), CHIPSET_NEVER);
    CHECK_EQ(chipset__save_device(&c, pic, line, sizeof line), (uint64_t)(int64_t)CHIPSET_ENOTBUILT);
    CHECK_EQ(chipset_save(&c, line, sizeof line), (uint64_t)(int64_t)CHIPSET_ENOTBUILT);
    CHECK_EQ(chipset_restore(&c, line, 0), (uint64_t)(int64_t)CHIPSET_ENOTBUILT);
}

static void test_capacity(void)
{
    chipset c;
    chipset_error e[2];
    char line[160];
    int a, b;

    setup(&c, 2, 1);
    a = add(&c, "a");
    b = add(&c, "b");
    CHECK_EQ(a, 0);
    CHECK_EQ(b, 1);
    CHECK_EQ(add(&c, "c"), (uint64_t)(int64_t)CHIPSET_ENOSPC);
    CHECK_EQ(add(&c, "d"), (uint64_t)(int64_t)CHIPSET_ENOSPC);
    CHECK_EQ(chipset_add_range(&c, a, CHIPSET_PIO, 0x10, 1, NULL), 0);
    CHECK_EQ(chipset_add_range(&c, b, CHIPSET_MMIO, 0x1000, 0x10, "bar"),
             (uint64_t)(int64_t)CHIPSET_ENOSPC);
    CHECK_EQ(chipset_add_range(&c, a, CHIPSET_PIO, 0x20, 1, NULL), (uint64_t)(int64_t)CHIPSET_ENOSPC);
    /* The ranges of a device that did not fit are not counted twice. */
    CHECK_EQ(chipset_add_range(&c, CHIPSET_ENOSPC, CHIPSET_PIO, 0x30, 1, NULL),
             (uint64_t)(int64_t)CHIPSET_EINVAL);
    CHECK_EQ(chipset_add_device(&c, NULL, &tdev_ops, NULL), (uint64_t)(int64_t)CHIPSET_EINVAL);
    CHECK_EQ(chipset_add_range(&c, 7, CHIPSET_PIO, 0x30, 1, NULL), (uint64_t)(int64_t)CHIPSET_EINVAL);

    /* Three errors, room for two records; the hook still sees all three. */
    CHECK_EQ(chipset_build(&c, e, 2), 3);
    CHECK_EQ(seen.errors, 3);
    CHECK_EQ(e[0].kind, CHIPSET_ERR_TOO_MANY_DEVICES);
    CHECK_EQ(e[0].count, 2);
    CHECK_EQ(e[1].kind, CHIPSET_ERR_TOO_MANY_RANGES);
    chipset_format_error(&e[0], line, sizeof line);
    CHECK_STR(line, "2 device(s) do not fit (capacity 2), the first is c");
    chipset_format_error(&e[1], line, sizeof line);
    CHECK_STR(line, "2 range(s) do not fit (capacity 1), the first is b/bar mmio 0x1000-0x100f");
    CHECK_STR(seen.text[2],
              "2 registration(s) had a null name or ops, or an unknown device or kind");
    CHECK(!c.built);
}

static void test_build_closes_registration(void)
{
    chipset c;
    char small[8];
    chipset_error e = { CHIPSET_ERR_DUPLICATE_NAME, "uart16550", "uart16550",
                        { 0, 0, NULL, 0, 0, CHIPSET_PIO }, { 0, 0, NULL, 0, 0, CHIPSET_PIO }, 0, 0 };

    setup(&c, NDEV, NRANGE);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0); /* empty is fine */
    CHECK(c.built);
    CHECK_EQ(chipset_add_device(&c, "late", &tdev_ops, NULL), (uint64_t)(int64_t)CHIPSET_EBUILT);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    /* Truncation: terminated, full length returned. */
    CHECK_EQ(chipset_format_error(&e, small, sizeof small), 41);
    CHECK_STR(small, "device ");
    CHECK_EQ(chipset_format_error(&e, NULL, 0), 41);
}

/* ---- dispatch ---- */

/* The reference: a linear scan for a range holding every byte. */
static const chipset_range *naive(const chipset_range *r, size_t n, chipset_kind kind,
                                  uint64_t addr, unsigned width)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].kind == kind && addr >= r[i].base && addr - r[i].base < r[i].length &&
            width <= r[i].length - (addr - r[i].base))
            return &r[i];
    return NULL;
}

static void check_access(chipset *c, const chipset_range *ref, size_t n, chipset_kind kind,
                         uint64_t addr, unsigned width, uint64_t *s)
{
    const chipset_range *want = naive(ref, n, kind, addr, width);
    uint64_t ones = width == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * width)) - 1;
    uint64_t before = chipset_unclaimed_count(c, kind);
    int calls[NDEV];
    int is_write = (int)(rng_next(s) & 1);
    uint64_t v = rng_next(s), got = 0;

    for (int i = 0; i < NDEV; i++)
        calls[i] = tdevs[i].calls;
    if (kind == CHIPSET_PIO && is_write)
        chipset_pio_write(c, (uint16_t)addr, width, v);
    else if (kind == CHIPSET_PIO)
        got = chipset_pio_read(c, (uint16_t)addr, width);
    else if (is_write)
        chipset_mmio_write(c, addr, width, v);
    else
        got = chipset_mmio_read(c, addr, width);

    for (int i = 0; i < NDEV; i++) {
        int expect = want && (int)want->dev == i;

        CHECK_EQ(tdevs[i].calls - calls[i], expect);
    }
    if (!want) {
        CHECK_EQ(chipset_unclaimed_count(c, kind), before + 1);
        if (!is_write)
            CHECK_EQ(got, ones);
        return;
    }
    const tdev *t = &tdevs[want->dev];
    CHECK_EQ(t->kind, kind);
    CHECK_EQ(t->offset, addr - want->base);
    CHECK_EQ(t->width, width);
    CHECK_EQ(t->is_write, is_write);
    if (is_write)
        CHECK_EQ(t->value, v & ones);
    else
        CHECK_EQ(got, tdev_reply(t, addr - want->base) & ones);
}

static void test_dispatch_matches_linear_scan(void)
{
    static const unsigned widths[] = { 1, 2, 4, 8 };
    chipset_range ref[NRANGE];
    size_t n = 0;
    uint64_t s = 42, port = 0, mem = 0x1000;
    chipset c;

    setup(&c, NDEV, NRANGE);
    for (int i = 0; i < NDEV; i++) {
        static char names[NDEV][8];

        snprintf(names[i], sizeof names[i], "d%d", i);
        CHECK_EQ(add(&c, names[i]), i);
    }
    /* Disjoint ranges, some adjacent, with holes, shuffled across devices. */
    while (n < NRANGE) {
        chipset_range r;

        r.kind = (n & 1) ? CHIPSET_MMIO : CHIPSET_PIO;
        r.dev = (uint32_t)(rng_next(&s) % NDEV);
        r.region = NULL;
        if (r.kind == CHIPSET_PIO) {
            port += rng_next(&s) % 3 == 0 ? 0 : rng_next(&s) % 64;
            r.base = port;
            r.length = 1 + rng_next(&s) % 32;
            port += r.length;
        } else {
            switch (rng_next(&s) % 3) {
            case 0: break;                                    /* adjacent */
            case 1: mem += rng_next(&s) % 0x4000; break;      /* a small hole */
            default: mem += rng_next(&s) % (1u << 30); break; /* a large one */
            }
            r.base = mem;
            r.length = 1 + rng_next(&s) % 0x3000;
            mem += r.length;
        }
        ref[n++] = r;
    }
    /* Register in a shuffled order, so the build has something to sort. */
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rng_next(&s) % (i + 1);
        chipset_range t = ref[i];

        ref[i] = ref[j];
        ref[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(chipset_add_range(&c, (int)ref[i].dev, ref[i].kind, ref[i].base, ref[i].length,
                                   NULL), 0);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    CHECK_EQ(seen.errors, 0);

    /* First, middle and last bytes of every range, and the bytes around. */
    for (size_t i = 0; i < n; i++) {
        const chipset_range *r = &ref[i];
        uint64_t at[] = { r->base, r->base + r->length / 2, r->base + r->length - 1,
                          r->base - 1, r->base + r->length };

        for (size_t k = 0; k < 5; k++)
            for (size_t w = 0; w < 4; w++)
                if (r->kind == CHIPSET_MMIO || at[k] <= 0xffff)
                    check_access(&c, ref, n, r->kind, at[k], widths[w], &s);
    }
    /* Random addresses, within the populated spans and anywhere. */
    for (int i = 0; i < 200000; i++) {
        chipset_kind kind = (i & 1) ? CHIPSET_MMIO : CHIPSET_PIO;
        uint64_t span = kind == CHIPSET_PIO ? port + 64 : mem + 0x10000;
        const chipset_range *near = &ref[rng_next(&s) % n];
        uint64_t addr = i % 7 == 0 ? rng_next(&s) : rng_next(&s) % span;

        /* Half the time, somewhere in or just around a range of this kind. */
        if (i % 4 >= 2 && near->kind == kind)
            addr = near->base - 8 + rng_next(&s) % (near->length + 16);

        if (kind == CHIPSET_PIO)
            addr &= 0xffff;
        check_access(&c, ref, n, kind, addr, widths[rng_next(&s) % 4], &s);
        if (test_failed)
            break;
    }
    /* Both outcomes were exercised often, in both spaces. */
    uint64_t claimed[CHIPSET_KINDS] = { 0, 0 };
    for (int i = 0; i < NDEV; i++)
        for (int k = 0; k < CHIPSET_KINDS; k++)
            claimed[k] += devs[i].counters.reads[k] + devs[i].counters.writes[k];
    CHECK(claimed[CHIPSET_PIO] > 20000 && claimed[CHIPSET_MMIO] > 20000);
    CHECK(chipset_unclaimed_count(&c, CHIPSET_PIO) > 20000);
    CHECK(chipset_unclaimed_count(&c, CHIPSET_MMIO) > 20000);
}

static void test_unclaimed_reads_all_ones(void)
{
    chipset c;
    int d;

    setup(&c, NDEV, NRANGE);
    d = add(&c, "dev");
    chipset_add_range(&c, d, CHIPSET_PIO, 0x60, 1, NULL);
    chipset_add_range(&c, d, CHIPSET_MMIO, 0x10000, 0x10, NULL);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    CHECK_EQ(chipset_pio_read(&c, 0x80, 1), 0xff);
    CHECK_EQ(chipset_pio_read(&c, 0x80, 2), 0xffff);
    CHECK_EQ(chipset_pio_read(&c, 0x80, 4), 0xffffffffu);
    CHECK_EQ(chipset_pio_read(&c, 0x80, 8), UINT64_MAX);
    CHECK_EQ(chipset_mmio_read(&c, 0, 1), 0xff);
    CHECK_EQ(chipset_mmio_read(&c, 0x20000, 2), 0xffff);
    CHECK_EQ(chipset_mmio_read(&c, UINT64_MAX, 4), 0xffffffffu);
    CHECK_EQ(chipset_mmio_read(&c, 0xfffffff0, 8), UINT64_MAX);
    chipset_pio_write(&c, 0x80, 1, 0x12);
    chipset_mmio_write(&c, 0x20000, 8, 0x1234);
    /* A width that no bus has is never dispatched, even inside a range. */
    CHECK_EQ(chipset_pio_read(&c, 0x60, 3), 0xffffff);
    CHECK_EQ(chipset_mmio_read(&c, 0x10000, 0), 0);
    chipset_mmio_write(&c, 0x10000, 16, 1);
    CHECK_EQ(tdevs[d].calls, 0);
    CHECK_EQ(chipset_unclaimed_count(&c, CHIPSET_PIO), 6);
    CHECK_EQ(chipset_unclaimed_count(&c, CHIPSET_MMIO), 7);
    CHECK_EQ(seen.warnings, 13);
    CHECK_EQ(seen.warned[8].is_write, 1);
    CHECK_EQ(seen.warned[8].value, 0x12);
    CHECK_EQ(seen.warned[8].addr, 0x80);
    CHECK_EQ(seen.warned[0].value, 0xff);
    CHECK(seen.warned[0].near == NULL);
}

/* A million OUTs to a hole: the first 10 are warned about, then the 2^k-th:
   16, 32, ..., 524288, which is 16 more. */
static void test_warnings_rate_limited(void)
{
    chipset c;

    setup(&c, NDEV, NRANGE);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    for (int i = 0; i < 1000000; i++)
        chipset_pio_write(&c, 0x80, 1, (uint64_t)i);
    CHECK_EQ(seen.warnings, 26);
    CHECK_EQ(chipset_unclaimed_count(&c, CHIPSET_PIO), 1000000);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(seen.warned[i].count, i + 1);
    for (int i = 10; i < 26; i++)
        CHECK_EQ(seen.warned[i].count, (uint64_t)1 << (i - 6));
    CHECK_EQ(seen.warned[25].value, 524287 & 0xff);
    /* Each address space counts on its own. */
    chipset_mmio_read(&c, 0x1234, 4);
    CHECK_EQ(seen.warnings, 27);
    CHECK_EQ(seen.warned[26].count, 1);
    CHECK_EQ(seen.warned[26].kind, CHIPSET_MMIO);
}

static void test_straddling_a_range_end(void)
{
    chipset c;
    int u, t, m;

    setup(&c, NDEV, NRANGE);
    u = add(&c, "uart16550");
    t = add(&c, "top");
    m = add(&c, "last");
    chipset_add_range(&c, u, CHIPSET_PIO, 0x3f8, 8, NULL);
    chipset_add_range(&c, u, CHIPSET_PIO, 0x400, 8, NULL); /* adjacent, same device */
    chipset_add_range(&c, t, CHIPSET_PIO, 0xfff0, 16, NULL);
    chipset_add_range(&c, m, CHIPSET_MMIO, UINT64_MAX - 7, 8, NULL);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);

    CHECK_EQ(chipset_pio_read(&c, 0x3ff, 1), tdev_reply(&tdevs[u], 7) & 0xff);
    CHECK_EQ(tdevs[u].offset, 7);
    CHECK_EQ(chipset_pio_read(&c, 0x3fc, 4), tdev_reply(&tdevs[u], 4) & 0xffffffffu);
    CHECK_EQ(tdevs[u].calls, 2);
    /* Runs from one range into the next, even of the same device: unclaimed. */
    CHECK_EQ(chipset_pio_read(&c, 0x3ff, 2), 0xffff);
    CHECK_STR(seen.warned[0].near, "uart16550");
    /* Begins in a hole, ends in a range: unclaimed, no device near. */
    CHECK_EQ(chipset_pio_read(&c, 0x3f7, 2), 0xffff);
    CHECK(seen.warned[1].near == NULL);
    /* Past the last port and the last byte of memory: no wrap to 0. */
    CHECK_EQ(chipset_pio_read(&c, 0xffff, 2), 0xffff);
    CHECK_EQ(chipset_pio_read(&c, 0xfffe, 2), tdev_reply(&tdevs[t], 14) & 0xffff);
    CHECK_EQ(chipset_mmio_read(&c, UINT64_MAX - 3, 8), UINT64_MAX);
    CHECK_STR(seen.warned[3].near, "last");
    chipset_mmio_write(&c, UINT64_MAX - 7, 8, 5);
    CHECK_EQ(tdevs[m].offset, 0);
    CHECK_EQ(tdevs[m].value, 5);
    CHECK_EQ(tdevs[u].calls, 2);
    CHECK_EQ(seen.warnings, 4);
}

/* ---- counters ---- */

static struct {
    int visits;
    char names[4][16];
    chipset_counters k[4];
} visited;

static void visit(void *ctx, const char *name, const chipset_counters *k)
{
    (void)ctx;
    if (visited.visits < 4) {
        snprintf(visited.names[visited.visits], sizeof visited.names[0], "%s", name);
        visited.k[visited.visits] = *k;
    }
    visited.visits++;
}

static void test_counters(void)
{
    chipset c;
    int a, b;

    setup(&c, NDEV, NRANGE);
    memset(&visited, 0, sizeof visited);
    a = add(&c, "a");
    b = add(&c, "b");
    chipset_add_range(&c, a, CHIPSET_PIO, 0x10, 4, NULL);
    chipset_add_range(&c, a, CHIPSET_MMIO, 0x1000, 4, NULL);
    chipset_add_range(&c, b, CHIPSET_PIO, 0x20, 4, NULL);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    for (int i = 0; i < 3; i++)
        chipset_pio_read(&c, 0x11, 1);
    chipset_pio_write(&c, 0x10, 4, 0);
    chipset_mmio_write(&c, 0x1003, 1, 0);
    chipset_mmio_write(&c, 0x1000, 2, 0);
    chipset_pio_write(&c, 0x23, 1, 0);
    chipset_pio_read(&c, 0x24, 1); /* unclaimed: counted apart */
    chipset_visit_counters(&c, visit, NULL);
    CHECK_EQ(visited.visits, 2);
    CHECK_STR(visited.names[0], "a");
    CHECK_STR(visited.names[1], "b");
    CHECK_EQ(visited.k[0].reads[CHIPSET_PIO], 3);
    CHECK_EQ(visited.k[0].writes[CHIPSET_PIO], 1);
    CHECK_EQ(visited.k[0].reads[CHIPSET_MMIO], 0);
    CHECK_EQ(visited.k[0].writes[CHIPSET_MMIO], 2);
    CHECK_EQ(visited.k[1].reads[CHIPSET_PIO], 0);
    CHECK_EQ(visited.k[1].writes[CHIPSET_PIO], 1);
    CHECK_EQ(chipset_unclaimed_count(&c, CHIPSET_PIO), 1);
}

/* ---- time and lifecycle ---- */

static char events[256];

static void event(const char *what, void *ctx)
{
    char one[32];

    snprintf(one, sizeof one, "%s%s%s", events[0] ? " " : "", what, (const char *)ctx);
    strncat(events, one, sizeof events - strlen(events) - 1);
}

static uint64_t polled_at[3];

static uint64_t poll_a(void *ctx, uint64_t now) { (void)ctx; polled_at[0] = now; return 500; }
static uint64_t poll_b(void *ctx, uint64_t now) { (void)ctx; polled_at[1] = now; return 200; }
static uint64_t poll_c(void *ctx, uint64_t now)
{
    (void)ctx;
    polled_at[2] = now;
    return CHIPSET_NEVER;
}
static void ev_start(void *ctx) { event("start ", ctx); }
static void ev_stop(void *ctx) { event("stop ", ctx); }
static void ev_reset(void *ctx) { event("reset ", ctx); }

static int64_t save_it(void *ctx, void *buf, size_t size)
{
    const char *s = ctx;
    size_t n = strlen(s);

    if (size < n)
        return -100;
    memcpy(buf, s, n);
    return (int64_t)n;
}

static int64_t restore_it(void *ctx, const void *buf, size_t size)
{
    (void)ctx;
    return size && ((const char *)buf)[0] == 'a' ? (int64_t)size : -101;
}

/* The index of the device called `name`, as chipset_visit_counters() walks
   them, or -1. */
typedef struct finder {
    const char *name;
    int at, seen;
} finder;

static void find_visit(void *ctx, const char *name, const chipset_counters *k)
{
    finder *f = ctx;

    (void)k;
    if (f->at < 0 && strcmp(name, f->name) == 0)
        f->at = f->seen;
    f->seen++;
}

static int index_of(const chipset *c, const char *name)
{
    finder f = { name, -1, 0 };

    chipset_visit_counters(c, find_visit, &f);
    return f.at;
}

/* One record of a saved machine, as chipset_save() lays it out: name length
   (4 bytes, little-endian), name, state length (8 bytes), state. */
static size_t record(unsigned char *p, const char *name, const void *state, size_t n)
{
    size_t len = strlen(name);

    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(len >> (8 * i));
    memcpy(p + 4, name, len);
    for (int i = 0; i < 8; i++)
        p[4 + len + (size_t)i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(p + 12 + len, state, n);
    return 12 + len + n;
}

static void test_advance_and_lifecycle(void)
{
    static const chipset_ops a_ops = { NULL, NULL, NULL, NULL, poll_a, ev_start, ev_stop,
                                       ev_reset, save_it, restore_it };
    static const chipset_ops b_ops = { NULL, NULL, NULL, NULL, poll_b, ev_start, ev_stop,
                                       ev_reset, NULL, NULL };
    static const chipset_ops c_ops = { NULL, NULL, NULL, NULL, poll_c, ev_start, ev_stop,
                                       NULL, NULL, NULL };
    static const chipset_ops quiet = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                       NULL };
    chipset c;
    char buf[8];
    unsigned char img[32];
    size_t n;

    setup(&c, NDEV, NRANGE);
    events[0] = 0;
    CHECK_EQ(chipset_add_device(&c, "a", &a_ops, (void *)"a"), 0);
    CHECK_EQ(chipset_add_device(&c, "quiet", &quiet, NULL), 1);
    CHECK_EQ(chipset_add_device(&c, "b", &b_ops, (void *)"b"), 2);
    CHECK_EQ(chipset_add_device(&c, "c", &c_ops, (void *)"c"), 3);
    chipset_start(&c); /* not built: nothing */
    CHECK_STR(events, "");
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);

    CHECK_EQ(chipset_advance(&c, 100), 200);
    CHECK_EQ(polled_at[0], 100);
    CHECK_EQ(polled_at[1], 100);
    CHECK_EQ(polled_at[2], 100);
    chipset_start(&c);
    chipset_reset(&c);
    chipset_stop(&c);
    CHECK_STR(events, "start a start b start c reset a reset b stop c stop b stop a");

    /* Devices are known by name: in registration order to the monitor's
       status output, and to a saved image, where an unknown name is refused
       and a known one without a restore hook is not supported. */
    CHECK_EQ(index_of(&c, "b"), 2);
    CHECK_EQ(index_of(&c, "nope"), -1);
    n = record(img, "nope", "a", 1);
    CHECK_EQ(chipset_restore(&c, img, n), (uint64_t)(int64_t)CHIPSET_EINVAL);
    n = record(img, "b", "a", 1);
    CHECK_EQ(chipset_restore(&c, img, n), (uint64_t)(int64_t)CHIPSET_ENOTSUP);
    /* One device at a time, through the helpers chipset_save() and
       chipset_restore() use. */
    CHECK_EQ(chipset__save_device(&c, index_of(&c, "a"), buf, sizeof buf), 1);
    CHECK_EQ(buf[0], 'a');
    CHECK_EQ(chipset__save_device(&c, 0, buf, 0), (uint64_t)(int64_t)-100);
    CHECK_EQ(chipset__restore_device(&c, 0, buf, 1), 1);
    CHECK_EQ(chipset__restore_device(&c, 0, "x", 1), (uint64_t)(int64_t)-101);
    CHECK_EQ(chipset__save_device(&c, 2, buf, sizeof buf), (uint64_t)(int64_t)CHIPSET_ENOTSUP);
    CHECK_EQ(chipset__restore_device(&c, 2, buf, 1), (uint64_t)(int64_t)CHIPSET_ENOTSUP);
    CHECK_EQ(chipset__save_device(&c, 4, buf, sizeof buf), (uint64_t)(int64_t)CHIPSET_EINVAL);
    CHECK_EQ(chipset__save_device(&c, -1, buf, sizeof buf), (uint64_t)(int64_t)CHIPSET_EINVAL);
}

static void test_advance_without_pollers(void)
{
    chipset c;

    setup(&c, NDEV, NRANGE);
    add(&c, "plain");
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    CHECK_EQ(chipset_advance(&c, 5), CHIPSET_NEVER);
}

/* ---- the whole machine's state ---- */

typedef struct counter_dev {
    uint32_t value;
    int restored;
} counter_dev;

static int64_t counter_save(void *ctx, void *buf, size_t size)
{
    const counter_dev *d = ctx;

    if (size < 4)
        return -7;
    memcpy(buf, &d->value, 4);
    return 4;
}

static int64_t counter_restore(void *ctx, const void *buf, size_t size)
{
    counter_dev *d = ctx;

    if (size != 4)
        return -8;
    memcpy(&d->value, buf, 4);
    d->restored++;
    return 4;
}

static void test_save_restore_machine(void)
{
    static const chipset_ops ops = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                     counter_save, counter_restore };
    static const chipset_ops save_only = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                           counter_save, NULL };
    counter_dev pit = { 0x11223344, 0 }, rtc = { 0x55667788, 0 }, odd = { 1, 0 };
    unsigned char buf[64], bad[64];
    int64_t n;
    chipset c;

    setup(&c, NDEV, NRANGE);
    chipset_add_device(&c, "pit", &ops, &pit);
    add(&c, "stateless");
    chipset_add_device(&c, "rtc", &ops, &rtc);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    /* "pit": 4 + 3 + 8 + 4 bytes; "rtc" the same. */
    n = chipset_save(&c, buf, sizeof buf);
    CHECK_EQ(n, 38);
    CHECK_EQ(buf[0], 3);
    CHECK(memcmp(buf + 4, "pit", 3) == 0);
    CHECK_EQ(buf[7], 4);
    for (int64_t k = 0; k < n; k++)
        CHECK_EQ(chipset_save(&c, buf, (size_t)k) < 0, 1); /* every short buffer fails */
    pit.value = rtc.value = 0;
    CHECK_EQ(chipset_restore(&c, buf, (size_t)n), 38);
    CHECK_EQ(pit.value, 0x11223344);
    CHECK_EQ(rtc.value, 0x55667788);
    /* Every truncation of a valid image is refused without reading past it. */
    for (int64_t k = 1; k < n; k++) {
        memcpy(bad, buf, (size_t)k);
        if (k != 19)
            CHECK_EQ(chipset_restore(&c, bad, (size_t)k), (uint64_t)(int64_t)CHIPSET_EINVAL);
    }
    CHECK_EQ(chipset_restore(&c, buf, 19), 19); /* exactly the first record */
    /* Lengths that point past the end, or wrap, and unknown names. */
    memcpy(bad, buf, (size_t)n);
    bad[3] = 0xff;
    CHECK_EQ(chipset_restore(&c, bad, (size_t)n), (uint64_t)(int64_t)CHIPSET_EINVAL);
    memcpy(bad, buf, (size_t)n);
    memset(bad + 7, 0xff, 8);
    CHECK_EQ(chipset_restore(&c, bad, (size_t)n), (uint64_t)(int64_t)CHIPSET_EINVAL);
    memcpy(bad, buf, (size_t)n);
    bad[4] = 'x';
    CHECK_EQ(chipset_restore(&c, bad, (size_t)n), (uint64_t)(int64_t)CHIPSET_EINVAL);
    memcpy(bad, buf, (size_t)n);
    bad[0] = 2; /* "pi" is a prefix of a name, not a name */
    CHECK_EQ(chipset_restore(&c, bad, (size_t)n), (uint64_t)(int64_t)CHIPSET_EINVAL);
    memcpy(bad, buf, (size_t)n);
    bad[7] = 3; /* the hook refuses a state of the wrong size */
    CHECK_EQ(chipset_restore(&c, bad, 18), (uint64_t)(int64_t)-8);

    /* A device that saves but cannot restore. */
    setup(&c, NDEV, NRANGE);
    chipset_add_device(&c, "odd", &save_only, &odd);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    n = chipset_save(&c, buf, sizeof buf);
    CHECK_EQ(n, 19);
    CHECK_EQ(chipset_restore(&c, buf, (size_t)n), (uint64_t)(int64_t)CHIPSET_ENOTSUP);
    CHECK_EQ(chipset_save(&c, buf, 18), (uint64_t)(int64_t)-7);
}

/* ---- ranges at device offsets ---- */

/* One access through the chipset, and what the device saw of it. */
static void check_at(chipset *c, int dev, chipset_kind kind, uint64_t addr, unsigned width,
                     uint64_t offset)
{
    const tdev *t = &tdevs[dev];
    uint64_t mask = width >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * width)) - 1;
    uint64_t value = 0x1234567890abcdefu ^ addr;
    uint64_t got;
    int calls = t->calls;

    got = kind == CHIPSET_PIO ? chipset_pio_read(c, (uint16_t)addr, width)
                              : chipset_mmio_read(c, addr, width);
    CHECK_EQ(got, tdev_reply(t, offset) & mask);
    CHECK_EQ(t->calls, calls + 1);
    CHECK_EQ(t->kind, kind);
    CHECK_EQ(t->offset, offset);
    CHECK_EQ(t->width, width);
    CHECK_EQ(t->is_write, 0);
    if (kind == CHIPSET_PIO)
        chipset_pio_write(c, (uint16_t)addr, width, value);
    else
        chipset_mmio_write(c, addr, width, value);
    CHECK_EQ(t->calls, calls + 2);
    CHECK_EQ(t->offset, offset);
    CHECK_EQ(t->width, width);
    CHECK_EQ(t->is_write, 1);
    CHECK_EQ(t->value, value & mask);
    if (test_failed)
        printf("  at %s 0x%" PRIx64 " width %u\n", kind == CHIPSET_PIO ? "port" : "mmio", addr,
               width);
}

/* The 8259 pair's shape: one device, its master, slave and ELCR ports at
   offsets 0, 2 and 4 of one offset space, next to another device. */
static void test_ranges_at_offsets(void)
{
    static const struct { uint16_t port; unsigned width; uint64_t offset; } at[] = {
        { 0x20, 1, 0 }, { 0x21, 1, 1 }, { 0xa0, 1, 2 }, { 0xa1, 1, 3 }, { 0x4d0, 1, 4 },
        { 0x4d1, 1, 5 }, { 0x20, 2, 0 }, { 0xa0, 2, 2 }, { 0x4d0, 2, 4 },
    };
    size_t nat = sizeof at / sizeof at[0];
    chipset c;
    int pic, imcr;

    setup(&c, NDEV, NRANGE);
    memset(&visited, 0, sizeof visited);
    pic = add(&c, "pic");
    imcr = add(&c, "imcr");
    CHECK_EQ(chipset_add_range_at(&c, pic, CHIPSET_PIO, 0x20, 2, "master", 0), 0);
    CHECK_EQ(chipset_add_range_at(&c, pic, CHIPSET_PIO, 0xa0, 2, "slave", 2), 0);
    CHECK_EQ(chipset_add_range_at(&c, pic, CHIPSET_PIO, 0x4d0, 2, "elcr", 4), 0);
    CHECK_EQ(chipset_add_range_at(&c, pic, CHIPSET_MMIO, 0xfec00000, 0x10, "window", 0x100), 0);
    CHECK_EQ(chipset_add_range(&c, imcr, CHIPSET_PIO, 0x22, 2, NULL), 0); /* right after master */
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    CHECK_EQ(seen.errors, 0);

    for (size_t i = 0; i < nat; i++)
        check_at(&c, pic, CHIPSET_PIO, at[i].port, at[i].width, at[i].offset);
    check_at(&c, pic, CHIPSET_MMIO, 0xfec00000, 4, 0x100);
    check_at(&c, pic, CHIPSET_MMIO, 0xfec00008, 8, 0x108);
    check_at(&c, pic, CHIPSET_MMIO, 0xfec0000f, 1, 0x10f);
    check_at(&c, imcr, CHIPSET_PIO, 0x22, 1, 0);
    check_at(&c, imcr, CHIPSET_PIO, 0x23, 1, 1);
    CHECK_EQ(tdevs[pic].calls, 2 * (int)nat + 6);

    /* Straddling the end of a mapped range is still unclaimed. */
    CHECK_EQ(chipset_pio_read(&c, 0x21, 2), 0xffff);     /* master into the imcr */
    CHECK_EQ(chipset_pio_read(&c, 0xa1, 4), 0xffffffffu); /* slave into a hole */
    chipset_pio_write(&c, 0x4d1, 2, 0x55);
    CHECK_EQ(chipset_pio_read(&c, 0x1f, 2), 0xffff);     /* a hole into master */
    CHECK_EQ(chipset_mmio_read(&c, 0xfec0000c, 8), UINT64_MAX);
    CHECK_EQ(tdevs[pic].calls, 2 * (int)nat + 6);
    CHECK_EQ(tdevs[imcr].calls, 4);
    CHECK_EQ(seen.warnings, 5);
    CHECK_STR(seen.warned[0].near, "pic");
    CHECK_STR(seen.warned[1].near, "pic");
    CHECK_STR(seen.warned[2].near, "pic");
    CHECK(seen.warned[3].near == NULL);
    CHECK_STR(seen.warned[4].near, "pic");
    CHECK_EQ(chipset_unclaimed_count(&c, CHIPSET_PIO), 4);
    CHECK_EQ(chipset_unclaimed_count(&c, CHIPSET_MMIO), 1);

    /* One device, four ranges, two spaces: its counters add them up. */
    chipset_visit_counters(&c, visit, NULL);
    CHECK_EQ(visited.visits, 2);
    CHECK_STR(visited.names[0], "pic");
    CHECK_EQ(visited.k[0].reads[CHIPSET_PIO], nat);
    CHECK_EQ(visited.k[0].writes[CHIPSET_PIO], nat);
    CHECK_EQ(visited.k[0].reads[CHIPSET_MMIO], 3);
    CHECK_EQ(visited.k[0].writes[CHIPSET_MMIO], 3);
    CHECK_STR(visited.names[1], "imcr");
    CHECK_EQ(visited.k[1].reads[CHIPSET_PIO], 2);
    CHECK_EQ(visited.k[1].writes[CHIPSET_PIO], 2);
    CHECK_EQ(visited.k[1].reads[CHIPSET_MMIO] + visited.k[1].writes[CHIPSET_MMIO], 0);
}

/* The build checks addresses only: ranges may share offsets, but never an
   address, whatever offsets they map. */
static void test_ranges_share_offsets(void)
{
    static const char *want[] = {
        "x/b port 0x102-0x105 conflicts with x/a port 0x100-0x103",
        "x/c port 0x100-0x103 conflicts with x/a port 0x100-0x103",
        "x/c port 0x100-0x103 conflicts with x/b port 0x102-0x105",
        "y/e mmio 0x2008-0x2017 conflicts with y/d mmio 0x2000-0x200f",
    };
    size_t nwant = sizeof want / sizeof want[0];
    chipset c;
    chipset_error e[8];
    char line[160];
    int m, t, x, y;

    setup(&c, NDEV, NRANGE);
    m = add(&c, "mirror");
    t = add(&c, "twin");
    CHECK_EQ(chipset_add_range_at(&c, m, CHIPSET_PIO, 0x60, 4, "low", 0), 0);
    CHECK_EQ(chipset_add_range_at(&c, m, CHIPSET_PIO, 0x64, 4, "high", 0), 0); /* again 0-3 */
    CHECK_EQ(chipset_add_range_at(&c, m, CHIPSET_MMIO, 0x60, 4, "mmio", 0), 0);
    CHECK_EQ(chipset_add_range_at(&c, t, CHIPSET_PIO, 0x70, 4, NULL, 0), 0);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    CHECK_EQ(seen.errors, 0);
    check_at(&c, m, CHIPSET_PIO, 0x62, 1, 2);
    check_at(&c, m, CHIPSET_PIO, 0x66, 1, 2);
    check_at(&c, m, CHIPSET_PIO, 0x64, 4, 0);
    check_at(&c, m, CHIPSET_MMIO, 0x61, 1, 1);
    check_at(&c, t, CHIPSET_PIO, 0x72, 2, 2);
    CHECK_EQ(tdevs[m].calls, 8);
    /* Low's last offset and high's first are both the device's, but the
       access spans two ranges: unclaimed. */
    CHECK_EQ(chipset_pio_read(&c, 0x63, 2), 0xffff);
    CHECK_STR(seen.warned[0].near, "mirror");
    CHECK_EQ(tdevs[m].calls, 8);

    setup(&c, NDEV, NRANGE);
    x = add(&c, "x");
    y = add(&c, "y");
    chipset_add_range_at(&c, x, CHIPSET_PIO, 0x100, 4, "a", 0);
    chipset_add_range_at(&c, x, CHIPSET_PIO, 0x102, 4, "b", 8);  /* other offsets */
    chipset_add_range_at(&c, x, CHIPSET_PIO, 0x100, 4, "c", 0);  /* the same ones */
    chipset_add_range_at(&c, y, CHIPSET_MMIO, 0x2000, 0x10, "d", 0x40);
    chipset_add_range_at(&c, y, CHIPSET_MMIO, 0x2008, 0x10, "e", 0x40);
    CHECK_EQ(chipset_build(&c, e, 8), nwant);
    CHECK_EQ(seen.errors, nwant);
    for (size_t i = 0; i < nwant && i < (size_t)seen.errors; i++) {
        chipset_format_error(&e[i], line, sizeof line);
        CHECK_STR(line, want[i]);
    }
    CHECK_EQ(e[0].range.offset, 8);
    CHECK_EQ(e[0].other_range.offset, 0);
    CHECK_EQ(e[3].range.offset, 0x40);
    CHECK(!c.built);
}

/* Offsets are passed as given, addr - base + offset mod 2^64: near the top
   the device sees UINT64_MAX - 1, UINT64_MAX, then 0, 1; the chipset's own
   sums (range ends, lookup) never involve the offset. */
static void test_ranges_at_huge_offset(void)
{
    const uint64_t top = UINT64_MAX - 1;
    chipset c;
    int far;

    setup(&c, NDEV, NRANGE);
    far = add(&c, "far");
    CHECK_EQ(chipset_add_range_at(&c, far, CHIPSET_PIO, 0x60, 2, NULL, top), 0);
    CHECK_EQ(chipset_add_range_at(&c, far, CHIPSET_PIO, 0x70, 4, "wraps", top), 0);
    CHECK_EQ(chipset_add_range_at(&c, far, CHIPSET_MMIO, UINT64_MAX - 1, 2, "top", top), 0);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    CHECK_EQ(seen.errors, 0);

    check_at(&c, far, CHIPSET_PIO, 0x60, 1, top);
    check_at(&c, far, CHIPSET_PIO, 0x61, 1, UINT64_MAX);
    check_at(&c, far, CHIPSET_PIO, 0x60, 2, top);
    check_at(&c, far, CHIPSET_PIO, 0x72, 1, 0);
    check_at(&c, far, CHIPSET_PIO, 0x73, 1, 1);
    check_at(&c, far, CHIPSET_PIO, 0x72, 2, 0);
    check_at(&c, far, CHIPSET_PIO, 0x70, 4, top); /* offset + width wraps: the device's business */
    check_at(&c, far, CHIPSET_MMIO, UINT64_MAX, 1, UINT64_MAX);
    check_at(&c, far, CHIPSET_MMIO, UINT64_MAX - 1, 2, top);
    CHECK_EQ(tdevs[far].calls, 18);
    /* Past a range's end is unclaimed, as anywhere. */
    CHECK_EQ(chipset_pio_read(&c, 0x61, 2), 0xffff);
    CHECK_EQ(chipset_mmio_read(&c, UINT64_MAX - 1, 4), 0xffffffffu);
    CHECK_EQ(chipset_mmio_read(&c, UINT64_MAX, 2), 0xffff);
    CHECK_EQ(tdevs[far].calls, 18);
    CHECK_EQ(seen.warnings, 3);
    CHECK_STR(seen.warned[2].near, "far");
}

static int64_t tdev_save(void *ctx, void *buf, size_t size)
{
    const tdev *t = ctx;

    if (size < 8)
        return -9;
    memcpy(buf, &t->value, 8);
    return 8;
}

static int64_t tdev_restore(void *ctx, const void *buf, size_t size)
{
    tdev *t = ctx;

    if (size != 8)
        return -10;
    memcpy(&t->value, buf, 8);
    return 8;
}

/* Where a device is mapped is the board's, not the machine's state: the
   image is the same with or without ranges, and restoring it leaves the
   mapping alone. */
static void test_ranges_at_save_restore(void)
{
    static const chipset_ops ops = { tdev_pio_read, tdev_pio_write, NULL, NULL, NULL, NULL,
                                     NULL, NULL, tdev_save, tdev_restore };
    unsigned char plain[64], img[64];
    int64_t n, m;
    chipset c;
    int pic;

    setup(&c, NDEV, NRANGE);
    CHECK_EQ(chipset_add_device(&c, "pic", &ops, &tdevs[0]), 0);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    tdevs[0].value = 0x4d;
    m = chipset_save(&c, plain, sizeof plain);
    CHECK_EQ(m, 4 + 3 + 8 + 8);

    setup(&c, NDEV, NRANGE);
    pic = chipset_add_device(&c, "pic", &ops, &tdevs[0]);
    CHECK_EQ(pic, 0);
    chipset_add_range_at(&c, pic, CHIPSET_PIO, 0x20, 2, "master", 0);
    chipset_add_range_at(&c, pic, CHIPSET_PIO, 0xa0, 2, "slave", 2);
    chipset_add_range_at(&c, pic, CHIPSET_PIO, 0x4d0, 2, "elcr", 4);
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    chipset_pio_write(&c, 0xa1, 1, 0x4d);
    CHECK_EQ(tdevs[0].offset, 3);
    n = chipset_save(&c, img, sizeof img);
    CHECK_EQ(n, m);
    CHECK(n == m && memcmp(img, plain, (size_t)n) == 0);
    chipset_pio_write(&c, 0x21, 1, 0x99);
    CHECK_EQ(tdevs[0].value, 0x99);
    CHECK_EQ(chipset_restore(&c, img, (size_t)n), n);
    CHECK_EQ(tdevs[0].value, 0x4d);
    check_at(&c, pic, CHIPSET_PIO, 0x4d1, 1, 5);
    check_at(&c, pic, CHIPSET_PIO, 0xa0, 2, 2);
    CHECK_EQ(chipset_restore(&c, img, (size_t)n - 1), (uint64_t)(int64_t)CHIPSET_EINVAL);
}

/* ---- CHIPSET_ASSERT ---- */

/* The assertions are not decoration: the build evaluates one per pair of
   neighbouring sorted ranges, and dispatch one per access that finds a
   candidate range (this file's CHIPSET_ASSERT counts, and aborts on a
   broken invariant). */
static void test_asserts_wired(void)
{
    chipset c;
    unsigned long n;
    int d;

    setup(&c, NDEV, NRANGE);
    d = add(&c, "d");
    chipset_add_range(&c, d, CHIPSET_PIO, 0x20, 2, NULL);
    chipset_add_range(&c, d, CHIPSET_PIO, 0x10, 2, NULL);
    chipset_add_range(&c, d, CHIPSET_MMIO, 0x1000, 4, NULL);
    n = asserts_run;
    CHECK_EQ(chipset_build(&c, NULL, 0), 0);
    CHECK_EQ(asserts_run - n, 2);
    n = asserts_run;
    chipset_pio_read(&c, 0x11, 1);
    CHECK_EQ(asserts_run - n, 1);
    n = asserts_run;
    chipset_pio_read(&c, 0x05, 1); /* below every range: no candidate */
    CHECK_EQ(asserts_run - n, 0);
    n = asserts_run;
    chipset_mmio_write(&c, 0x1002, 2, 0);
    chipset_mmio_read(&c, 0x1003, 2); /* straddles: still looked up */
    CHECK_EQ(asserts_run - n, 2);
    CHECK_EQ(tdevs[d].calls, 2);
}

/* Each test runs through run_test(). */
static void run_the_example_line(void) { run_test(test_the_example_line); }
static void run_all_conflicts_at_once(void) { run_test(test_all_conflicts_at_once); }
static void run_capacity(void) { run_test(test_capacity); }
static void run_build_closes_registration(void) { run_test(test_build_closes_registration); }
static void run_dispatch_matches_linear_scan(void) { run_test(test_dispatch_matches_linear_scan); }
static void run_unclaimed_reads_all_ones(void) { run_test(test_unclaimed_reads_all_ones); }
static void run_warnings_rate_limited(void) { run_test(test_warnings_rate_limited); }
static void run_straddling_a_range_end(void) { run_test(test_straddling_a_range_end); }
static void run_counters(void) { run_test(test_counters); }
static void run_advance_and_lifecycle(void) { run_test(test_advance_and_lifecycle); }
static void run_advance_without_pollers(void) { run_test(test_advance_without_pollers); }
static void run_save_restore_machine(void) { run_test(test_save_restore_machine); }
static void run_ranges_at_offsets(void) { run_test(test_ranges_at_offsets); }
static void run_ranges_share_offsets(void) { run_test(test_ranges_share_offsets); }
static void run_ranges_at_huge_offset(void) { run_test(test_ranges_at_huge_offset); }
static void run_ranges_at_save_restore(void) { run_test(test_ranges_at_save_restore); }
static void run_asserts_wired(void) { run_test(test_asserts_wired); }

CHECK_MAIN(
    { "the_example_line", run_the_example_line },
    { "all_conflicts_at_once", run_all_conflicts_at_once },
    { "capacity", run_capacity },
    { "build_closes_registration", run_build_closes_registration },
    { "dispatch_matches_linear_scan", run_dispatch_matches_linear_scan },
    { "unclaimed_reads_all_ones", run_unclaimed_reads_all_ones },
    { "warnings_rate_limited", run_warnings_rate_limited },
    { "straddling_a_range_end", run_straddling_a_range_end },
    { "counters", run_counters },
    { "advance_and_lifecycle", run_advance_and_lifecycle },
    { "advance_without_pollers", run_advance_without_pollers },
    { "save_restore_machine", run_save_restore_machine },
    { "ranges_at_offsets", run_ranges_at_offsets },
    { "ranges_share_offsets", run_ranges_share_offsets },
    { "ranges_at_huge_offset", run_ranges_at_huge_offset },
    { "ranges_at_save_restore", run_ranges_at_save_restore },
    { "asserts_wired", run_asserts_wired })
