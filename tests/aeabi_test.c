/* aeabi_test.c - arch/arm32/aeabi.c's 64-bit division, the helper every
   arm32 kernel calls for hdr/timer.h's conversions (book/porting.md, step
   7), checked on the host against C's own / and %: the edges of its
   shift-and-subtract loop (a divisor above the dividend, equal to it, of
   one bit, of all 64; the 32-bit fast path and its border) and a spread
   of pseudo-random pairs of every width. The AEABI entry around it runs
   on arm32 itself, in every kernel test there that uses a timer. */
#include <stdint.h>

#include "check.h"
#include "../arch/arm32/aeabi.c"

static int agrees(uint64_t n, uint64_t d)
{
    uint64_t r = 0xdeadbeef, q = arm32_uldivmod(n, d, &r);

    if (q == n / d && r == n % d)
        return 1;
    printf("  %llu / %llu: got %llu rem %llu, want %llu rem %llu\n", (unsigned long long)n,
           (unsigned long long)d, (unsigned long long)q, (unsigned long long)r,
           (unsigned long long)(n / d), (unsigned long long)(n % d));
    return 0;
}

TEST(edges)
{
    static const uint64_t v[] = { 1, 2, 3, 7, 10, 1000000000, 0xffffffffu, 0x100000000ull,
                                  0x100000001ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                  0xfffffffffffffffeull, UINT64_MAX, 62500000, 24000000,
                                  1000000000ull * 3600 * 24 * 365 };

    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++)
        for (unsigned j = 0; j < sizeof v / sizeof v[0]; j++)
            CHECK(agrees(v[i], v[j]));
    for (unsigned s = 0; s < 64; s++) {
        CHECK(agrees(UINT64_MAX, 1ull << s));
        CHECK(agrees(1ull << s, 3));
        CHECK(agrees((1ull << s) - 1, (1ull << s) | 1));
    }
}

TEST(zero_divisor)
{
    uint64_t r = 0;

    /* As udiv: quotient 0; the remainder is the dividend. */
    CHECK_EQ(arm32_uldivmod(12345, 0, &r), 0);
    CHECK_EQ(r, 12345);
}

/* xorshift64: fixed seed, so a failure repeats. Widths are drawn too, so
   small, 32-bit and 64-bit operands all come up. */
TEST(random)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    unsigned bad = 0;

    for (unsigned i = 0; i < 200000; i++) {
        uint64_t n, d;

        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        n = x >> (x & 63);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        d = x >> (x & 63);
        if (d == 0)
            d = 1;
        bad += !agrees(n, d);
    }
    CHECK_EQ(bad, 0);
}

CHECK_MAIN(TEST_ENTRY(edges), TEST_ENTRY(zero_divisor), TEST_ENTRY(random))
