/* kprintf_test.c - the kernels' printf (arch/common/kprintf.c) on the host:
   each conversion, width and padding as the kernels use them, and
   kbprintf's buffer: appending, truncation at size - 1, the NUL always
   there, and the return value of the whole text, as snprintf gives.

   platform_putc is ours here: it records the console's bytes. */
#include "check.h"
#include "kernel.h"

static char console[512];
static size_t console_len;

void platform_putc(char c)
{
    if (console_len < sizeof console - 1)
        console[console_len++] = c;
    console[console_len] = 0;
}

/* Print through kprintf and check both the bytes and the count. */
#define PRINTS(want, ...)                                                    \
    do {                                                                     \
        console_len = 0;                                                     \
        console[0] = 0;                                                      \
        int n_ = kprintf(__VA_ARGS__);                                       \
        if (!CHECK(strcmp(console, want) == 0))                              \
            printf("    got \"%s\", want \"%s\"\n", console, want);          \
        CHECK_EQ(n_, (long long)strlen(want));                               \
    } while (0)

TEST(conversions)
{
    PRINTS("plain", "plain");
    PRINTS("7 -7 42 ff", "%d %i %u %x", 7, -7, 42u, 0xffu);
    PRINTS("c=x s=abc", "c=%c s=%s", 'x', "abc");
    PRINTS("100%", "100%%");
    /* Formats the compiler would refuse, through a pointer it cannot check. */
    const char *unknown = "%q", *lone = "end%";
    PRINTS("%q", unknown, 0);           /* unknown: printed as written */
    PRINTS("end", lone, 0);             /* a lone '%' at the end */
    const char *volatile nothing = NULL;
    PRINTS("(null)", "%s", nothing);
    PRINTS("0x1000", "%p", (void *)0x1000);
    PRINTS("ffffffffffffffff", "%llx", ~0ull);
    PRINTS("18446744073709551615", "%llu", ~0ull);
    PRINTS("-9223372036854775808", "%lld", (long long)(-9223372036854775807ll - 1));
    PRINTS("12345678901", "%zu", (size_t)12345678901ull);
    PRINTS("4294967295", "%lu", 4294967295ul);
}

TEST(width_and_padding)
{
    PRINTS("   42", "%5d", 42);
    PRINTS("00042", "%05d", 42);
    PRINTS("42   |", "%-5d|", 42);
    PRINTS("-0005", "%05d", -5);       /* the sign before the zeros */
    PRINTS("   -5", "%5d", -5);
    PRINTS("  ab", "%4s", "ab");
    PRINTS("ab  |", "%-4s|", "ab");
    PRINTS("00ff", "%04x", 0xffu);
    PRINTS("toolong", "%3s", "toolong"); /* a width never cuts */
}

TEST(buffer_appends)
{
    char s[32];
    struct kbuf b = { s, sizeof s, 0 };

    console_len = 0;
    console[0] = 0;
    CHECK_EQ(kbprintf(&b, "data abort"), 10);
    CHECK_EQ(kbprintf(&b, " on %s", "read"), 8);
    CHECK_EQ(kbprintf(&b, ", ESR 0x%lx", 0x96000000ul), 16);
    CHECK_EQ(b.len, 31);                /* 34 bytes of text, 31 fit */
    CHECK(strcmp(s, "data abort on read, ESR 0x96000") == 0);
    CHECK_EQ(console_len, 0);           /* nothing reached the console */
}

TEST(buffer_truncates_and_terminates)
{
    char s[8];
    struct kbuf b = { s, sizeof s, 0 };

    memset(s, 'X', sizeof s);
    CHECK_EQ(kbprintf(&b, "%s", ""), 0);
    CHECK_EQ(s[0], 0);                  /* empty text: still a string */
    CHECK_EQ(kbprintf(&b, "%05d%s", 42, "abcdef"), 11);
    CHECK_EQ(b.len, 7);
    CHECK(strcmp(s, "00042ab") == 0);
    CHECK_EQ(kbprintf(&b, "more"), 4);  /* full: counted, not stored */
    CHECK_EQ(b.len, 7);
    CHECK(strcmp(s, "00042ab") == 0);

    char one[1] = { 'X' };
    struct kbuf b1 = { one, 1, 0 };
    CHECK_EQ(kbprintf(&b1, "abc"), 3);  /* room for the NUL alone */
    CHECK_EQ(one[0], 0);
    CHECK_EQ(b1.len, 0);

    struct kbuf b0 = { NULL, 0, 0 };
    CHECK_EQ(kbprintf(&b0, "abc"), 0);  /* no room at all: nothing written */
}

CHECK_MAIN(TEST_ENTRY(conversions), TEST_ENTRY(width_and_padding), TEST_ENTRY(buffer_appends),
           TEST_ENTRY(buffer_truncates_and_terminates))
