/* options.c - bbvm's command line, checked (see options_parse() in vm.h).

   Pure: no exit, no output, no allocation, no global state. It reads argv
   and fills struct options, or writes one specific reason into the
   caller's buffer; main.c prints it as "bbvm: REASON (try 'bbvm --help')"
   and exits with the status returned. That is what lets tests/fuzz/
   fuzz_cmdline.c drive it with any argv (book/operator.md lists every
   message).

   The rules (also in --help and book/operator.md):
     - options and the KERNEL may come in any order; after "--" every
       argument is the KERNEL;
     - an option given twice: the later one counts (so a wrapper such as
       tests/boot may put defaults first and let its caller override them);
       a second KERNEL is refused;
     - -n/--no-input and --input contradict each other and are refused
       together, as are --qtest and --check-kvm;
     - --check-kvm takes no KERNEL; a KVM run needs one; --qtest may have one;
     - an empty argument is never a KERNEL or a device path, nor is one
       with a control byte (a newline in it would make bbvm's one-line
       errors two lines); a message quotes at most 64 bytes of an
       argument, control bytes as \xNN. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "loader.h"
#include "vm.h"

/* The operator's command line, then a blank and the board's words. */
_Static_assert(OPTIONS_CMDLINE_MAX ==
                   LOADER_CMDLINE_MAX - (sizeof BOARD_VIRTIO_MMIO_CMDLINE - 1) - 1,
               "the operator's command line leaves room for the board's words");
_Static_assert(OPTIONS_CMDLINE_MAX == 4021, "--help gives the command line's limit");

#define SHOWN_MAX 64        /* bytes of an argument a message quotes */

/* One parse: argv, where it is, and where a refusal goes. */
struct parse {
    int argc;
    char **argv;
    int i;
    char *err;
    size_t errsize;
    char shown[SHOWN_MAX * 4 + 4];  /* an argument as a message quotes it */
};

/* At most SHOWN_MAX bytes of an argument, for a message: control bytes
   (a newline, an escape sequence) as \xNN, so the message stays one line
   and the operator's terminal is not driven by it; "..." if cut. */
static const char *shown(struct parse *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char *o = p->shown;
    size_t i;

    for (i = 0; s[i] && i < SHOWN_MAX; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f) {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    if (s[i])
        *o++ = '.', *o++ = '.', *o++ = '.';
    *o = '\0';
    return p->shown;
}

/* Is there a control byte in `s`, which the path's messages (bbvm's own,
   the kernel file's and the host's) would print? */
static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

__attribute__((format(printf, 2, 3)))
static bool refuse(struct parse *p, const char *fmt, ...)
{
    va_list ap;

    if (p->errsize) {
        va_start(ap, fmt);
        vsnprintf(p->err, p->errsize, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Decimal digits only: strtoull would accept signs, spaces and hex. */
static uint64_t parse_number(const char *s, const char **end, bool *overflow)
{
    uint64_t v = 0;

    for (*overflow = false; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');

        if (v > (UINT64_MAX - d) / 10)
            *overflow = true;
        v = v * 10 + d;
    }
    *end = s;
    return v;
}

static uint64_t suffix_multiplier(char c)
{
    switch (c) {
    case 'K': case 'k': return 1ull << 10;
    case 'M': case 'm': return 1ull << 20;
    case 'G': case 'g': return 1ull << 30;
    }
    return 0;
}

static bool parse_mem(struct parse *p, const char *s, uint64_t *mem)
{
    const char *end;
    bool overflow;
    uint64_t v = parse_number(s, &end, &overflow), mul = 1;

    if (end == s)
        return refuse(p, "bad memory size '%s': not a number", shown(p, s));
    if (*end && (mul = suffix_multiplier(*end)) != 0)
        end++;
    if (*end || mul == 0)
        return refuse(p, "bad memory size '%s': want digits and an optional K, M or G", shown(p, s));
    if (overflow || v > OPTIONS_MEM_MAX / mul || v * mul < OPTIONS_MEM_MIN)
        return refuse(p, "memory size '%s' is out of range (4M..3G)", shown(p, s));
    if ((v * mul) % 4096)
        return refuse(p, "memory size '%s' is not a multiple of 4K", shown(p, s));
    *mem = v * mul;
    return true;
}

static bool check_cmdline(struct parse *p, const char *s)
{
    size_t n = strlen(s);

    if (n > OPTIONS_CMDLINE_MAX)
        return refuse(p, "command line is %zu bytes; the limit is %u", n,
                      (unsigned)OPTIONS_CMDLINE_MAX);
    return true;
}

/* Is argv[i] option `shrt`/`lng`, with its value in *v: "-m V", "-mV",
   "--mem V" or "--mem=V"? 1 if so, 0 if it is some other option, -1
   (refused) if its value is missing. */
static int opt_value(struct parse *p, const char *shrt, const char *lng, const char **v)
{
    const char *a = p->argv[p->i];
    size_t n = strlen(lng);

    if (strcmp(a, shrt) == 0 || strcmp(a, lng) == 0) {
        if (p->i + 1 >= p->argc)
            return refuse(p, "option %s needs a value", a) - 1;
        *v = p->argv[++p->i];
        return 1;
    }
    if (strncmp(a, lng, n) == 0 && a[n] == '=')
        *v = a + n + 1;
    else if (strncmp(a, shrt, 2) == 0 && a[2] != '\0')
        *v = a + 2;
    else
        return 0;
    return 1;
}

/* A long-only option, "--name V" or "--name=V"; returns as opt_value(). */
static int long_value(struct parse *p, const char *lng, const char **v)
{
    const char *a = p->argv[p->i];
    size_t n = strlen(lng);

    if (strncmp(a, lng, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return 0;
    if (a[n] == '=') {
        *v = a + n + 1;
        return 1;
    }
    if (p->i + 1 >= p->argc)
        return refuse(p, "option %s needs a value", a) - 1;
    *v = p->argv[++p->i];
    return 1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; y >= 1970). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    static const unsigned before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    int64_t leaps = (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400 - (1969 / 4 - 1969 / 100 + 1969 / 400);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return (y - 1970) * 365 + leaps + before[m - 1] + (m > 2 && leap) + (d - 1);
}

/* YYYY-MM-DDTHH:MM:SS, every field checked, UTC: unix seconds. */
static bool parse_rtc_base(struct parse *p, const char *s, int64_t *t)
{
    static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    unsigned f[6] = { 0 }, k = 0;
    bool leap;

    if (strlen(s) != sizeof shape - 1)
        return refuse(p, "bad --rtc-base '%s': want YYYY-MM-DDTHH:MM:SS", shown(p, s));
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] != 'd') {
            if (s[i] != shape[i])
                return refuse(p, "bad --rtc-base '%s': want YYYY-MM-DDTHH:MM:SS", shown(p, s));
            k++;
        } else if (s[i] < '0' || s[i] > '9') {
            return refuse(p, "bad --rtc-base '%s': want YYYY-MM-DDTHH:MM:SS", shown(p, s));
        } else {
            f[k] = f[k] * 10 + (unsigned)(s[i] - '0');
        }
    }
    leap = (f[0] % 4 == 0 && f[0] % 100 != 0) || f[0] % 400 == 0;
    if (f[0] < 1970 || f[0] > 2099)
        return refuse(p, "--rtc-base '%s': year %u is not in 1970..2099", shown(p, s), f[0]);
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > mdays[f[1] - 1] ||
        (f[1] == 2 && f[2] == 29 && !leap))
        return refuse(p, "--rtc-base '%s': no such date", shown(p, s));
    if (f[3] > 23 || f[4] > 59 || f[5] > 59)
        return refuse(p, "--rtc-base '%s': no such time of day (00:00:00..23:59:59)", shown(p, s));
    *t = days_from_civil(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
    return true;
}

/* "stdio" or "unix:PATH"; sun_path holds OPTIONS_QTEST_PATH_MAX bytes and a NUL. */
static bool check_qtest(struct parse *p, const char *v)
{
    if (strcmp(v, "stdio") == 0)
        return true;
    if (strncmp(v, "unix:", 5) != 0 || v[5] == '\0')
        return refuse(p, "bad --qtest '%s': want --qtest, --qtest=stdio or --qtest=unix:PATH",
                      shown(p, v));
    if (strlen(v + 5) > OPTIONS_QTEST_PATH_MAX)
        return refuse(p, "--qtest socket path is %zu bytes; the limit is %u", strlen(v + 5),
                      (unsigned)OPTIONS_QTEST_PATH_MAX);
    if (has_control(v + 5))
        return refuse(p, "--qtest socket path '%s' has a control character", shown(p, v + 5));
    return true;
}

static bool parse_input(struct parse *p, const char *v, enum input_mode *mode)
{
    if (strcmp(v, "serial") == 0)
        *mode = INPUT_SERIAL;
    else if (strcmp(v, "keyboard") == 0)
        *mode = INPUT_KEYBOARD;
    else if (strcmp(v, "virtio") == 0)
        *mode = INPUT_VIRTIO;
    else
        return refuse(p, "bad --input '%s': want --input serial, keyboard or virtio", shown(p, v));
    return true;
}

static bool set_kernel(struct parse *p, struct options *o, const char *path)
{
    if (!path[0])
        return refuse(p, "empty argument: a KERNEL path cannot be empty");
    if (has_control(path))
        return refuse(p, "KERNEL path '%s' has a control character", shown(p, path));
    if (o->kernel)
        return refuse(p, "unexpected extra argument '%s' (one KERNEL only)", shown(p, path));
    o->kernel = path;
    return true;
}

/* One argument (and its value, if it takes one): false if refused. */
static bool parse_one(struct parse *p, struct options *o, bool *options_done, bool *help,
                      bool *input_given)
{
    const char *a = p->argv[p->i], *v = NULL;
    int k;

    if (*options_done || a[0] != '-' || a[1] == '\0')
        return set_kernel(p, o, a);
    if (strcmp(a, "--") == 0)
        *options_done = true;
    else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
        *help = true;
    else if (strcmp(a, "-s") == 0 || strcmp(a, "--stats") == 0)
        o->stats = true;
    else if (strcmp(a, "--check-kvm") == 0)
        o->check_kvm = true;
    else if (strcmp(a, "--qtest") == 0)
        o->qtest = "stdio";
    else if (strncmp(a, "--qtest=", 8) == 0) {
        if (!check_qtest(p, a + 8))
            return false;
        o->qtest = a + 8;
    } else if (strcmp(a, "-n") == 0 || strcmp(a, "--no-input") == 0)
        o->no_input = true;
    else if ((k = long_value(p, "--input", &v)) != 0) {
        *input_given = true;
        return k > 0 && parse_input(p, v, &o->input);
    } else if ((k = long_value(p, "--kvm-device", &v)) != 0) {
        if (k < 0)
            return false;
        if (!v[0])
            return refuse(p, "empty --kvm-device path");
        if (has_control(v))
            return refuse(p, "--kvm-device path '%s' has a control character", shown(p, v));
        o->kvm_device = v;
    } else if ((k = long_value(p, "--rtc-base", &v)) != 0) {
        o->rtc_fixed = k > 0;
        return k > 0 && parse_rtc_base(p, v, &o->rtc_base);
    } else if ((k = opt_value(p, "-m", "--mem", &v)) != 0)
        return k > 0 && parse_mem(p, v, &o->mem);
    else if ((k = opt_value(p, "-c", "--cmdline", &v)) != 0) {
        if (k < 0 || !check_cmdline(p, v))
            return false;
        o->cmdline = v;
    } else
        return refuse(p, "unknown option '%s'", shown(p, a));
    return true;
}

//! [options-parse]
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errsize)
{
    struct parse p = { .argc = argc, .argv = argv, .i = 1, .err = err, .errsize = errsize };
    bool options_done = false, help = false, input_given = false;

    *o = (struct options){ .mem = OPTIONS_MEM_DEFAULT, .cmdline = "",
                           .kvm_device = "/dev/kvm", .input = INPUT_SERIAL };
    if (errsize)
        err[0] = '\0';
    for (; p.i < argc && !help; p.i++)
        if (!parse_one(&p, o, &options_done, &help, &input_given))
            return STATUS_USAGE;
    if (help)
        return OPTIONS_HELP;
    if (o->qtest && o->check_kvm)
        return refuse(&p, "--qtest and --check-kvm exclude each other"), STATUS_USAGE;
    if (o->no_input && input_given)
        return refuse(&p, "-n/--no-input and --input exclude each other"), STATUS_USAGE;
    if (o->check_kvm && o->kernel)
        return refuse(&p, "--check-kvm takes no KERNEL (got '%s')", shown(&p, o->kernel)), STATUS_USAGE;
    if (!o->kernel && !o->check_kvm && !o->qtest)
        return refuse(&p, "no KERNEL given"), STATUS_USAGE;
    return 0;
}
//! [options-parse]
