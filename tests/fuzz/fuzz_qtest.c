/* fuzz_qtest.c - the whole board (every device, PCI, virtio, guest RAM)
   driven by the CPU-less board's own request stream: vm/qtest.c's real
   code serves the input as a qtest session.

   WHAT IT FUZZES
   bbvm --qtest as main.c builds it: the vm's options filled as main.c's
   parser would (4 MiB of RAM, bbvm's minimum; an empty command line; the
   RTC at a fixed time; no kernel), guest RAM with its start info and ACPI
   tables from vm_memory_setup() (once, at start-up; each input then gets
   that RAM back exactly), and qtest_serve() reading the input as request
   lines (fmemopen) and answering into a buffer, a fresh board each time.

   INPUT FORMAT
   qtest request text, one request a line (book/qtest.md): outb 0x3f8 0x41,
   readl 0xfec00010, clock_step 1000000, ... Seeds are the transcripts of tests/qtest with
   the answers and comments dropped; qtest.dict holds the verbs, ports and
   addresses.

   PROPERTIES
   - no crash, no UB, no leak (the sanitizers), bounded time (-timeout);
   - every request line is answered exactly once: the answer lines (OK...,
     FAIL...) number the request lines, blank lines excepted, up to the end
     of input or the request that ended the session (debug-exit, soft-off,
     reset); the IRQ and MSI event lines are not answers;
   - the process never exits: nothing a peer sends reaches die().

   RUN (from tests/fuzz)
     clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined \
       -fno-sanitize-recover=all -I../../hdr -I../../arch/common -I../../vm \
       -I../../vm/host -pthread fuzz_qtest.c \
       ../../vm/options.c ../../vm/board.c ../../vm/kvm.c ../../vm/vcpu.c \
       ../../vm/devloop.c ../../vm/term.c ../../vm/qtest.c ../../vm/loader.c \
       ../../vm/acpi.c ../../vm/host/platform.c -o /tmp/fz/fuzz_qtest
     /tmp/fz/fuzz_qtest -dict=qtest.dict corpus/qtest
   (main.c is included, its main() renamed away; every other part of bbvm
   is linked as it is.) */
#define _GNU_SOURCE /* fmemopen, fopencookie */

/* main.c itself, first (it sets its feature macros before any system
   header), for board_build(), vm_memory_setup() and die(), with its
   main() renamed away: one translation unit, so the fuzzer's and
   replay.c's main() stay the only ones. */
#define main bbvm_main
#include "../../vm/main.c"
#undef main

#include <stdio.h>

#include "fuzz.h"
#include "vm.h"

#define FZ_MEM (4ull << 20)
#define FZ_RTC_BASE 1767225600 /* 2026-01-01T00:00:00Z */
#define FZ_IN_MAX (64u * 1024)

static struct vm vm;
static uint8_t *ram0;            /* RAM as vm_memory_setup() left it */
static size_t ram0_used;         /* ... up to its last non-zero page */

/* The answers are not kept (a read of 64 KiB answers 128 KiB of hex):
   they are classified as they come, by the start of each line. */
static struct answers {
    char head[6];                /* the current line's first bytes */
    unsigned len;                /* ... how many of them */
    unsigned answers, events, bad;
    char bad_head[6];
} ans;

static void line_end(struct answers *a)
{
    const char *h = a->head;

    if ((a->len >= 2 && memcmp(h, "OK", 2) == 0 && (a->len == 2 || h[2] == ' ')) ||
        (a->len >= 5 && memcmp(h, "FAIL ", 5) == 0))
        a->answers++;
    else if (a->len >= 4 && (memcmp(h, "IRQ ", 4) == 0 || memcmp(h, "MSI ", 4) == 0))
        a->events++;
    else if (!a->bad++)
        memcpy(a->bad_head, h, sizeof a->bad_head);
    a->len = 0;
    memset(a->head, 0, sizeof a->head);
}

static ssize_t out_write(void *cookie, const char *buf, size_t n)
{
    struct answers *a = cookie;

    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n')
            line_end(a);
        else if (a->len < 5)
            a->head[a->len++] = buf[i];
        else
            a->len = a->len < 6 ? 6 : a->len;
    }
    return (ssize_t)n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vm.opt = (struct options){ .mem = FZ_MEM, .cmdline = "", .kvm_device = "/dev/kvm",
                               .qtest = "stdio", .rtc_fixed = true,
                               .rtc_base = FZ_RTC_BASE };
    vm_memory_setup(&vm);
    ram0 = malloc(vm.ram_size);
    if (!ram0)
        abort();
    memcpy(ram0, vm.ram, vm.ram_size);
    for (size_t i = 0; i < vm.ram_size; i++)
        if (ram0[i])
            ram0_used = (i | 4095) + 1;
    return 0;
}

/* The input's lines that ask for an answer: not blank (spaces, tabs, CR;
   qtest.c splits on them). */
static unsigned requests(const uint8_t *p, size_t n)
{
    unsigned count = 0;
    size_t i = 0;

    while (i < n) {
        bool blank = true;

        for (; i < n && p[i] != '\n'; i++)
            if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
                blank = false;
        i++;                            /* past the newline (or the end) */
        count += !blank;
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const cookie_io_functions_t io = { .write = out_write };
    FILE *in, *out;
    unsigned want;
    int status;

    if (!ram0)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size == 0 || size > FZ_IN_MAX)
        return 0;
    /* The RAM the session starts with: zero, but for the tables. */
    memset(vm.ram + ram0_used, 0, vm.ram_size - ram0_used);
    memcpy(vm.ram, ram0, ram0_used);
    memset(&ans, 0, sizeof ans);
    in = fmemopen((void *)data, size, "r");
    out = fopencookie(&ans, "w", io);
    FUZZ_CHECK(in && out, "fmemopen or fopencookie failed");
    status = qtest_serve(&vm, in, out);
    fclose(in);
    fclose(out);
    FUZZ_CHECK(ans.len == 0, "the last line has no newline");
    FUZZ_CHECK(!ans.bad, "%u line(s) that are no answer, the first '%.5s'", ans.bad,
               ans.bad_head);
    want = requests(data, size);
    if (status == 0) {
        FUZZ_CHECK(ans.answers == want, "%u request lines, %u answers", want, ans.answers);
    } else {
        /* The board ended the session (debug-exit: odd; soft-off, reset):
           the request that ended it was answered, none after it. */
        FUZZ_CHECK((status & 1) || status == STATUS_POWEROFF || status == STATUS_RESET,
                   "exit status %d", status);
        FUZZ_CHECK(ans.answers >= 1 && ans.answers <= want, "%u request lines, %u answers",
                   want, ans.answers);
    }
    return 0;
}
