/* flood_check.c - count and checksum the bytes a guest flooded its console
   with, and compare them with what it says it sent.

   Usage: flood_check [--pause SECONDS] < CONSOLE-OUTPUT

   Reads a console log on standard input (tests/kernel/tx-flood.c's): the
   flood is every byte after the line `tx-flood: start` (its \r optional)
   up to the start of the line
       tx-flood: sent N bytes, checksum 0xXXXXXXXX
   Those bytes are counted and summed here (FNV-1a, 32 bits), and compared
   with N and the checksum. Every other line is copied to standard output
   as it arrives, the summary line included; the flood itself is not (it
   is 1 MiB). After the summary line comes the verdict,
       flood: N bytes, checksum 0xXXXXXXXX match
   or a `flood: ... mismatch` line naming what differs and the first byte
   that is not tx-flood.c's pattern (line n: n in 8 hex digits, a space, 54
   characters of A..Za..z0..9 from the (n mod 62)th on, a newline): where
   the loss began.

   --pause SECONDS: once the start line has been read, read nothing more
   for that long (a slow reader: the host's pipe fills and the guest must
   be held back, not lose bytes), then read everything.

   EXIT STATUS
     0  the flood matched
     1  it did not, or no start or summary line came
     2  usage error */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096   /* longer lines are handled in pieces */
#define PATTERN_LINE   64u
#define START          "tx-flood: start"
#define SUMMARY        "tx-flood: sent "

enum phase { BEFORE, FLOOD, AFTER };

struct check {
    enum phase phase;
    char line[LINE_MAX_BYTES];
    size_t len;
    bool at_line_start;       /* line[0] is the first byte of a line */
    uint64_t bytes;           /* flood bytes so far */
    uint32_t sum;
    uint64_t first_bad;       /* offset of the first byte off the pattern */
    bool bad;
    struct timespec t_start;
    bool ok;                  /* the verdict: set at the summary line */
};

static uint32_t fnv1a(uint32_t sum, uint8_t c)
{
    return (sum ^ c) * 0x01000193u;
}

/* The byte tx-flood.c sends at offset `off`. */
static uint8_t pattern_at(uint64_t off)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t n = off / PATTERN_LINE;
    unsigned i = (unsigned)(off % PATTERN_LINE);

    if (i < 8)
        return (uint8_t)"0123456789abcdef"[(n >> (28 - 4 * i)) & 0xf];
    if (i == 8)
        return ' ';
    if (i == PATTERN_LINE - 1)
        return '\n';
    return (uint8_t)alpha[(n + (i - 9)) % 62];
}

static void flood_bytes(struct check *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = (uint8_t)p[i];

        if (!c->bad && b != pattern_at(c->bytes)) {
            c->bad = true;
            c->first_bad = c->bytes;
        }
        c->sum = fnv1a(c->sum, b);
        c->bytes++;
    }
}

static void out(const char *p, size_t n)
{
    if (fwrite(p, 1, n, stdout) != n) {
        perror("flood_check: stdout");
        exit(1);
    }
    fflush(stdout);
}

/* Is the line in c->line, without its \r\n, exactly `text`? */
static bool line_is(struct check *c, const char *text)
{
    size_t n = c->len;

    if (n && c->line[n - 1] == '\n')
        n--;
    if (n && c->line[n - 1] == '\r')
        n--;
    return c->at_line_start && n == strlen(text) && memcmp(c->line, text, n) == 0;
}

static bool starts_with(const struct check *c, const char *text)
{
    size_t n = strlen(text);

    return c->at_line_start && c->len >= n && memcmp(c->line, text, n) == 0;
}

static double since(const struct timespec *t)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void summary(struct check *c)
{
    char text[LINE_MAX_BYTES + 1];
    unsigned long long n;
    unsigned sum;
    char tail;

    memcpy(text, c->line, c->len);
    text[c->len] = 0;
    out(c->line, c->len);
    if (sscanf(text, SUMMARY "%llu bytes, checksum 0x%8x%c", &n, &sum, &tail) != 3 ||
        (tail != '\r' && tail != '\n')) {
        printf("flood: %" PRIu64 " bytes, checksum 0x%08" PRIx32 ", but the summary line "
               "cannot be read\n", c->bytes, c->sum);
        return;
    }
    if (n == c->bytes && sum == c->sum) {
        printf("flood: %" PRIu64 " bytes, checksum 0x%08" PRIx32 " match (%.2f s after the "
               "start line)\n", c->bytes, c->sum, since(&c->t_start));
        c->ok = true;
    } else {
        printf("flood: %" PRIu64 " bytes, checksum 0x%08" PRIx32 " mismatch: the guest sent "
               "%llu bytes, checksum 0x%08x\n", c->bytes, c->sum, n, sum);
    }
    if (c->bad)
        printf("flood: byte %" PRIu64 " (line %" PRIu64 ", column %" PRIu64 ") is the first "
               "that is not the pattern\n", c->first_bad, c->first_bad / PATTERN_LINE,
               c->first_bad % PATTERN_LINE);
    fflush(stdout);
}

/* A complete line (ends in \n) or a full buffer. */
static void take(struct check *c, bool complete)
{
    switch (c->phase) {
    case BEFORE:
        out(c->line, c->len);
        if (complete && line_is(c, START)) {
            c->phase = FLOOD;
            clock_gettime(CLOCK_MONOTONIC, &c->t_start);
        }
        break;
    case FLOOD:
        if (complete && starts_with(c, SUMMARY)) {
            summary(c);
            c->phase = AFTER;
        } else {
            flood_bytes(c, c->line, c->len);
        }
        break;
    case AFTER:
        out(c->line, c->len);
        break;
    }
    c->at_line_start = complete;
    c->len = 0;
}

int main(int argc, char **argv)
{
    static struct check c;
    double pause = 0;
    char buf[65536];

    if (argc == 3 && strcmp(argv[1], "--pause") == 0) {
        char *end;

        pause = strtod(argv[2], &end);
        if (*end || end == argv[2] || !(pause >= 0 && pause <= 3600)) {
            fprintf(stderr, "flood_check: bad --pause %s\n", argv[2]);
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: flood_check [--pause SECONDS] < CONSOLE-OUTPUT\n");
        return 2;
    }
    c.phase = BEFORE;
    c.at_line_start = true;
    c.sum = 0x811c9dc5u;

    for (;;) {
        enum phase was = c.phase;
        ssize_t r = read(0, buf, sizeof buf);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            perror("flood_check: stdin");
            return 1;
        }
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++) {
            c.line[c.len++] = buf[i];
            if (buf[i] == '\n' || c.len == sizeof c.line)
                take(&c, buf[i] == '\n');
        }
        if (was == BEFORE && c.phase != BEFORE && pause > 0) {
            struct timespec t = { (time_t)pause, (long)((pause - (double)(time_t)pause) * 1e9) };

            printf("flood: reading nothing for %.1f s after the start line\n", pause);
            fflush(stdout);
            while (nanosleep(&t, &t) != 0 && errno == EINTR)
                ;
        }
    }
    if (c.len)                /* a last line without \n */
        take(&c, false);
    if (c.phase == BEFORE) {
        printf("flood: no `" START "` line\n");
        return 1;
    }
    if (c.phase == FLOOD) {
        printf("flood: %" PRIu64 " bytes, checksum 0x%08" PRIx32 ", and then the output ended "
               "without a summary line\n", c.bytes, c.sum);
        return 1;
    }
    return c.ok ? 0 : 1;
}
