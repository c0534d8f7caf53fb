/* check.h - the harness of the host unit tests: checks, tests, a main.

       TEST(fifo) { CHECK(ok); CHECK_EQ(reg, 0x60); }
       CHECK_MAIN(TEST_ENTRY(fifo), TEST_ENTRY(other))

   A failed check prints "file:line: FAIL ..." and the test goes on; a check
   is an expression giving its result, so `if (!CHECK(p)) return;` stops a
   test early. After each test: "ok NAME" or "FAIL NAME"; at the end
   "N checks, M failed". A test that made no check at all proves nothing,
   so it is a failure too ("FAIL NAME: made no check", counted in M). The
   exit status is non-zero if a check failed or none ran. Arguments, if any, name the tests to run (all by default).
   C11 and libc only; one test program per file (the counters are static). */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

typedef struct check_test { const char *name; void (*fn)(void); } check_test;

static long check_total_, check_failed_; /* over the whole run */

static inline int check_count_(int ok)
{
    check_total_++;
    check_failed_ += !ok;
    return ok;
}

static inline int check_(const char *file, int line, int ok, const char *what)
{
    if (!check_count_(ok))
        printf("%s:%d: FAIL %s\n", file, line, what);
    return ok;
}

/* Integers only; both sides are widened to long long, shown hex and decimal. */
static inline int check_eq_(const char *file, int line, const char *sa, const char *sb,
                            long long a, long long b)
{
    if (!check_count_(a == b))
        printf("%s:%d: FAIL %s == %s: 0x%llx (%lld) != 0x%llx (%lld)\n", file, line, sa, sb,
               (unsigned long long)a, a, (unsigned long long)b, b);
    return a == b;
}

#define CHECK(cond) check_(__FILE__, __LINE__, (cond) != 0, #cond)
/* The two sides are function arguments, evaluated in an order C leaves
   open: neither may depend on the other's side effects (compute a result
   into a variable first, then compare). */
#define CHECK_EQ(a, b) \
    check_eq_(__FILE__, __LINE__, #a, #b, (long long)(a), (long long)(b))

/* A test is a static function, so one left out of CHECK_MAIN is an
   unused-function warning rather than a test that silently never runs. */
#define TEST(name) static void test_##name(void)
#define TEST_ENTRY(name) { #name, test_##name }

static inline int check_run_(const check_test *t, size_t n, int argc, char **argv)
{
    /* Line-buffered, so a sanitizer abort loses no earlier output. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n; i++) {
        long before = check_failed_, made = check_total_;
        int wanted = argc < 2;

        for (int a = 1; a < argc; a++)
            wanted |= strcmp(t[i].name, argv[a]) == 0;
        if (!wanted)
            continue;
        t[i].fn();
        if (check_total_ == made) {
            check_failed_++;
            printf("FAIL %s: made no check\n", t[i].name);
            continue;
        }
        printf("%s %s\n", check_failed_ == before ? "ok" : "FAIL", t[i].name);
    }
    printf("%ld checks, %ld failed\n", check_total_, check_failed_);
    return check_failed_ != 0 || check_total_ == 0;
}

#define CHECK_MAIN(...)                                                         \
    int main(int argc, char **argv)                                             \
    {                                                                           \
        static const check_test tests_[] = { __VA_ARGS__ };                     \
        return check_run_(tests_, sizeof tests_ / sizeof tests_[0], argc, argv); \
    }

#endif /* CHECK_H */
