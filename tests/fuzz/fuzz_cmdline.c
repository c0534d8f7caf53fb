/* fuzz_cmdline.c - bbvm's command line: vm/options.c's options_parse() on
   any argv.

   INPUT
   The input is split on NUL bytes into at most 64 words (the rest is
   ignored), which follow argv[0] = "bbvm". Each word is copied into a
   buffer of exactly its length and a NUL, so AddressSanitizer catches any
   read past an argument. Seeds (corpus/cmdline/seed-*) are real command
   lines: every option, in each of its spellings.

   PROPERTIES
   - no crash, no read past argv, argv left as it was (compared);
   - deterministic: a second parse of a fresh copy gives the same status,
     message and options (strings compared by content);
   - a status is 0, OPTIONS_HELP or STATUS_USAGE and nothing else;
   - a refusal has a non-empty message, NUL-terminated inside the buffer,
     one line (no newline), without the "bbvm: " prefix main.c adds; the
     same parse with a 9-byte buffer refuses too and gives the message's
     first 8 bytes, and with no buffer at all still refuses;
   - OPTIONS_HELP only when some word is -h or --help;
   - a success satisfies every documented constraint: memory a multiple of
     4K in OPTIONS_MEM_MIN..OPTIONS_MEM_MAX; the command line at most
     OPTIONS_CMDLINE_MAX bytes; not both --qtest and --check-kvm; a KERNEL
     unless --check-kvm or --qtest, and none with --check-kvm; not -n with
     --input; a non-empty KERNEL that is one whole word; --qtest "stdio" or
     "unix:" and 1..OPTIONS_QTEST_PATH_MAX bytes; a non-empty KVM device;
     every string inside argv or one of the defaults; an --rtc-base time in
     1970..2099 whose YYYY-MM-DDTHH:MM:SS (recomputed with gmtime_r, an
     independent calendar) ends some word.

   RUN (from tests/fuzz)
     clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
       -I../../hdr -I../../vm fuzz_cmdline.c ../../vm/options.c -o /tmp/fz/fuzz_cmdline
     /tmp/fz/fuzz_cmdline -max_total_time=120 /tmp/fz/cmdline corpus/cmdline
   Replay: gcc ... -I../../hdr -I../../vm fuzz_cmdline.c ../../vm/options.c replay.c */
#define _DEFAULT_SOURCE /* gmtime_r */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fuzz.h"
#include "vm.h"

#define WORDS_MAX 64
#define ERR_SIZE 512

struct run {
    int argc;
    char *argv[WORDS_MAX + 2];
    size_t len[WORDS_MAX + 2];
    struct options o;
    char err[ERR_SIZE];
    int status;
};

static char prog[] = "bbvm";

static void make_argv(struct run *r, const uint8_t *data, size_t size)
{
    size_t start = 0;

    r->argc = 1;
    r->argv[0] = prog;
    r->len[0] = sizeof prog - 1;
    while (start < size && r->argc <= WORDS_MAX) {    /* a trailing NUL adds no word */
        const uint8_t *nul = memchr(data + start, 0, size - start);
        size_t end = nul ? (size_t)(nul - data) : size;

        r->len[r->argc] = end - start;
        r->argv[r->argc] = malloc(end - start + 1);
        memcpy(r->argv[r->argc], data + start, end - start);
        r->argv[r->argc][end - start] = '\0';
        r->argc++;
        start = end + 1;
    }
    r->argv[r->argc] = NULL;
}

static void free_argv(struct run *r)
{
    for (int i = 1; i < r->argc; i++)
        free(r->argv[i]);
}

/* Inside word i of r (its bytes or its NUL)? */
static int word_of(const struct run *r, const char *s)
{
    for (int i = 0; i < r->argc; i++)
        if (s >= r->argv[i] && s <= r->argv[i] + r->len[i])
            return i;
    return -1;
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool any_word(const struct run *r, const char *w)
{
    for (int i = 1; i < r->argc; i++)
        if (strcmp(r->argv[i], w) == 0)
            return true;
    return false;
}

static bool word_ends_with(const struct run *r, const char *tail)
{
    size_t n = strlen(tail);

    for (int i = 1; i < r->argc; i++)
        if (r->len[i] >= n && memcmp(r->argv[i] + r->len[i] - n, tail, n) == 0)
            return true;
    return false;
}

static void check_string(const struct run *r, const char *s, const char *dflt, const char *what)
{
    FUZZ_CHECK(s != NULL, "%s is NULL", what);
    FUZZ_CHECK(s == dflt || word_of(r, s) > 0, "%s points outside argv", what);
}

/* Every documented constraint on a successful parse. */
static void check_success(const struct run *r, const char *dflt_cmdline, const char *dflt_kvm)
{
    const struct options *o = &r->o;

    FUZZ_CHECK(o->mem % 4096 == 0 && o->mem >= OPTIONS_MEM_MIN && o->mem <= OPTIONS_MEM_MAX,
               "mem %llu", (unsigned long long)o->mem);
    check_string(r, o->cmdline, dflt_cmdline, "cmdline");
    FUZZ_CHECK(strlen(o->cmdline) <= OPTIONS_CMDLINE_MAX, "cmdline of %zu bytes",
               strlen(o->cmdline));
    check_string(r, o->kvm_device, dflt_kvm, "kvm_device");
    FUZZ_CHECK(o->kvm_device[0] != '\0', "empty KVM device");
    FUZZ_CHECK(!(o->qtest && o->check_kvm), "--qtest and --check-kvm both");
    FUZZ_CHECK(o->kernel || o->check_kvm || o->qtest, "nothing to run");
    FUZZ_CHECK(!(o->check_kvm && o->kernel), "--check-kvm with a KERNEL");
    if (o->kernel) {
        int w = word_of(r, o->kernel);

        FUZZ_CHECK(w > 0 && o->kernel == r->argv[w], "KERNEL is not a whole word");
        FUZZ_CHECK(o->kernel[0] != '\0', "empty KERNEL");
    }
    if (o->qtest && strcmp(o->qtest, "stdio") != 0) {
        FUZZ_CHECK(word_of(r, o->qtest) > 0, "--qtest value outside argv");
        FUZZ_CHECK(strncmp(o->qtest, "unix:", 5) == 0 && strlen(o->qtest) > 5 &&
                   strlen(o->qtest + 5) <= OPTIONS_QTEST_PATH_MAX, "--qtest '%s'", o->qtest);
    }
    FUZZ_CHECK(o->input == INPUT_SERIAL || o->input == INPUT_KEYBOARD ||
               o->input == INPUT_VIRTIO, "input mode %d", (int)o->input);
    if (o->no_input)
        FUZZ_CHECK(o->input == INPUT_SERIAL, "-n and an --input mode");
    if (o->rtc_fixed) {
        time_t t = (time_t)o->rtc_base;
        struct tm tm;
        char text[32];

        FUZZ_CHECK(o->rtc_base >= 0 && o->rtc_base < 4102444800ll, /* 2100-01-01 */
                   "rtc_base %lld", (long long)o->rtc_base);
        FUZZ_CHECK(gmtime_r(&t, &tm) != NULL, "gmtime_r");
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
        FUZZ_CHECK(word_ends_with(r, text), "rtc_base %lld is %s, which no word gives",
                   (long long)o->rtc_base, text);
    }
}

static void parse(struct run *r, const uint8_t *data, size_t size)
{
    make_argv(r, data, size);
    memset(r->err, 0x55, sizeof r->err);
    r->status = options_parse(r->argc, r->argv, &r->o, r->err, sizeof r->err);
}

static void check_argv_intact(const struct run *r, const uint8_t *data, size_t size)
{
    size_t at = 0;

    for (int i = 1; i < r->argc; i++) {
        FUZZ_CHECK(at + r->len[i] <= size && memcmp(r->argv[i], data + at, r->len[i]) == 0 &&
                   r->argv[i][r->len[i]] == '\0', "argv[%d] was written", i);
        at += r->len[i] + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct run a, b;
    struct options o;
    char small[9];
    int status;

    parse(&a, data, size);
    check_argv_intact(&a, data, size);
    FUZZ_CHECK(a.status == 0 || a.status == OPTIONS_HELP || a.status == STATUS_USAGE,
               "status %d", a.status);
    if (a.status == STATUS_USAGE) {
        size_t n = strnlen(a.err, sizeof a.err);

        FUZZ_CHECK(n > 0 && n < sizeof a.err, "message empty or unterminated (%zu)", n);
        FUZZ_CHECK(!strchr(a.err, '\n'), "message of more than one line: %s", a.err);
        FUZZ_CHECK(strncmp(a.err, "bbvm:", 5) != 0, "message has the prefix: %s", a.err);
        memset(small, 0x55, sizeof small);
        status = options_parse(a.argc, a.argv, &o, small, sizeof small);
        FUZZ_CHECK(status == STATUS_USAGE, "a small buffer changes the status to %d", status);
        FUZZ_CHECK(strnlen(small, sizeof small) < sizeof small &&
                   strncmp(small, a.err, sizeof small - 1) == 0,
                   "small buffer: '%.9s', full: '%s'", small, a.err);
        status = options_parse(a.argc, a.argv, &o, NULL, 0);
        FUZZ_CHECK(status == STATUS_USAGE, "no buffer changes the status to %d", status);
    } else if (a.status == OPTIONS_HELP) {
        FUZZ_CHECK(any_word(&a, "-h") || any_word(&a, "--help"), "help without -h or --help");
    } else {
        FUZZ_CHECK(a.err[0] == '\0', "success with a message: %.64s", a.err);
        /* The defaults are options.c's literals: what a zero-argument parse
           (which refuses: no KERNEL) leaves in place. */
        options_parse(1, a.argv, &o, NULL, 0);
        check_success(&a, o.cmdline, o.kvm_device);
    }

    parse(&b, data, size);
    FUZZ_CHECK(b.status == a.status, "status %d then %d", a.status, b.status);
    FUZZ_CHECK(a.status != STATUS_USAGE || strcmp(a.err, b.err) == 0, "'%s' then '%s'",
               a.err, b.err);
    if (a.status == 0)
        FUZZ_CHECK(a.o.mem == b.o.mem && str_eq(a.o.cmdline, b.o.cmdline) &&
                   str_eq(a.o.kernel, b.o.kernel) && str_eq(a.o.kvm_device, b.o.kvm_device) &&
                   str_eq(a.o.qtest, b.o.qtest) && a.o.rtc_fixed == b.o.rtc_fixed &&
                   (!a.o.rtc_fixed || a.o.rtc_base == b.o.rtc_base) && a.o.stats == b.o.stats &&
                   a.o.check_kvm == b.o.check_kvm && a.o.no_input == b.o.no_input &&
                   a.o.input == b.o.input, "two parses of the same argv differ");
    free_argv(&a);
    free_argv(&b);
    return 0;
}
