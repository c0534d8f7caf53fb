/* fuzz_kcmdline.c - the kernel's command-line readers, on the host:
   arch/common/kernel.c's kernel_cmdline_has() and arch/x64/buses.c's
   virtio_mmio.device= parser, platform_virtio_mmio().

   buses.c is compiled in whole (the x64 arch.h's port I/O helpers are
   inline and never called here); what it needs from the rest of the x64
   kernel is stubbed below: the command line (x64_cmdline), the interrupt
   controller in charge, the console's GSI, the IOAPIC pin setter, the
   irqchip window check (the same ranges as arch/x64/platform.c, IOAPIC at
   its default base), and kprintf, which counts the "ignoring" lines.
   kernel.c comes in whole too, for kernel_cmdline_has(); its platform
   calls are stubs that are never reached.

   INPUT
     byte 0   bit 0: the 8259 pair is in charge (X64_IRQCHIP_PIC);
              bits 1-3: max, the windows the caller has room for (0..7)
     byte 1   n: the word's length for kernel_cmdline_has (0..31; 0 means
              "virtio_mmio.device=512@0xfeb00000:20")
     n bytes  the word (NUL, blank, tab and newline become 'x')
     rest     the command line, cut at its first NUL; it sits in a buffer
              of exactly its length and a NUL, so any read past it is seen
   Seeds: corpus/kcmdline/seed-* (bbvm's own line, Linux-style lines,
   every refusal reason).

   PROPERTIES
   - no crash, no read past the command line (ASan);
   - kernel_cmdline_has(line, w) is true exactly when w is one of the
     line's blank-separated words (recomputed with strtok_r-free code);
   - platform_virtio_mmio() returns at most max windows, in address
     order, none overlapping another, each 4-byte aligned, at least 0x100
     bytes, inside 0xc0000000..4 GiB, clear of the IOAPIC and LAPIC, on a
     GSI in 1..PLATFORM_IRQ_MAX-1 that is not the console's, made level
     and active-high through x64_irq_set_mode; none at all with the 8259
     pair in charge;
   - every virtio_mmio.device= word in the first 4096 bytes is either
     taken or said to be ignored, in one "virtio-mmio: ignoring" line: the
     windows plus the lines equal the words (counted independently); no
     other line is printed;
   - deterministic: a second call gives the same windows.

   RUN (from tests/fuzz)
     clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
       -I../../hdr -I../../arch/x64 -I../../arch/common fuzz_kcmdline.c -o /tmp/fz/fuzz_kcmdline
     /tmp/fz/fuzz_kcmdline -max_total_time=120 /tmp/fz/kcmdline corpus/kcmdline
   Replay: gcc ... -I../../hdr -I../../arch/x64 -I../../arch/common fuzz_kcmdline.c replay.c */
#define _DEFAULT_SOURCE /* strnlen */

#include <stdarg.h>

#include "fuzz.h"

#include "../../arch/x64/buses.c"
#include "../../arch/common/kernel.c"

#define WINDOWS_MAX 7u
#define SCAN 4096u
#define IOAPIC_BASE 0xfec00000u
#define CONSOLE_GSI 4u

/* ---- what buses.c and kernel.c need from the rest of the kernel ---------- */

const char *x64_cmdline;
int x64_irqchip;

static unsigned refusals, other_lines, set_mode_calls;
static bool set_mode_bad;

unsigned x64_console_irq(void)
{
    return CONSOLE_GSI;
}

bool x64_irq_set_mode(unsigned gsi, bool active_low, bool level)
{
    set_mode_calls++;
    set_mode_bad |= active_low || !level;
    return gsi < 24;            /* the IOAPIC's pins */
}

unsigned x64_isa_irq_mode(unsigned isa_irq, bool *active_low, bool *level)
{
    *active_low = false;
    *level = false;
    return isa_irq;
}

bool x64_phys_is_irqchip(uint64_t base, uint64_t size)
{
    uint64_t end = base + size;

    if (end < base)
        return true;
    return (base < 0xfef00000u && end > 0xfee00000u) ||
           (base < IOAPIC_BASE + 0x1000u && end > IOAPIC_BASE);
}

int kprintf(const char *fmt, ...)
{
    if (strncmp(fmt, "virtio-mmio: ignoring `%s`: %s\n", 30) == 0)
        refusals++;
    else
        other_lines++;
    return 0;
}

void pci_drv_use_cam1(pci_drv *d, pci_drv_cam1 *c)
{
    (void)d;
    (void)c;
    abort();
}

void platform_init(const struct boot_info *bi, struct irq_table *irqs)
{
    (void)bi;
    (void)irqs;
    abort();
}

uint64_t platform_now(void) { abort(); }
uint64_t platform_wfi(uint64_t deadline) { (void)deadline; abort(); }
void platform_irq_off(void) { abort(); }
void platform_irq_on(void) { abort(); }
bool platform_irq_unmask(unsigned irq) { (void)irq; abort(); }
bool platform_irq_mask(unsigned irq) { (void)irq; abort(); }
_Noreturn void platform_exit(int status) { (void)status; abort(); }

/* ---- independent re-computations ------------------------------------------ */

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Is w one of line's words, split on ' ' alone (as kernel_cmdline_has
   documents: "console=ttyS0 demo")? */
static bool has_word(const char *line, const char *w)
{
    size_t n = strlen(w);

    for (const char *p = line; *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);

        if (len == n && memcmp(p, w, n) == 0)
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

/* The virtio_mmio.device= words platform_virtio_mmio() must account for:
   those that start inside the first SCAN bytes and have the whole prefix
   there. */
static unsigned mmio_words(const char *line)
{
    static const char prefix[] = "virtio_mmio.device=";
    size_t len = strnlen(line, SCAN), i = 0;
    unsigned count = 0;

    while (i < len) {
        size_t start;

        if (blank(line[i])) {
            i++;
            continue;
        }
        for (start = i; i < len && !blank(line[i]); i++)
            ;
        if (i - start >= sizeof prefix - 1 && memcmp(line + start, prefix, sizeof prefix - 1) == 0)
            count++;
    }
    return count;
}

static void check_windows(const struct platform_mmio *w, unsigned n, unsigned max)
{
    FUZZ_CHECK(n <= max, "%u windows, room for %u", n, max);
    for (unsigned i = 0; i < n; i++) {
        FUZZ_CHECK(w[i].size >= 0x100 && w[i].base % 4 == 0, "window %u size %#llx base %#llx",
                   i, (unsigned long long)w[i].size, (unsigned long long)w[i].base);
        FUZZ_CHECK(w[i].base >= 0xc0000000u && w[i].base < 0x100000000ull &&
                   w[i].size <= 0x100000000ull - w[i].base, "window %u at %#llx+%#llx", i,
                   (unsigned long long)w[i].base, (unsigned long long)w[i].size);
        FUZZ_CHECK(!x64_phys_is_irqchip(w[i].base, w[i].size), "window %u on an irqchip", i);
        FUZZ_CHECK(w[i].irq >= 1 && w[i].irq < PLATFORM_IRQ_MAX && w[i].irq != CONSOLE_GSI &&
                   w[i].irq < 24, "window %u GSI %u", i, w[i].irq);
        if (i > 0)
            FUZZ_CHECK(w[i - 1].base < w[i].base && w[i - 1].base + w[i - 1].size <= w[i].base,
                       "windows %u and %u out of order or overlapping", i - 1, i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char default_word[] = "virtio_mmio.device=512@0xfeb00000:20";
    struct platform_mmio w[WINDOWS_MAX + 1], w2[WINDOWS_MAX + 1];
    fuzz_in in = { data, size };
    unsigned flags = fuzz_u8(&in), wlen = fuzz_u8(&in) % 32, max = (flags >> 1) & 7, n, n2;
    char word[32];
    char *line;
    size_t len;

    for (unsigned i = 0; i < wlen; i++) {
        char c = (char)fuzz_u8(&in);

        word[i] = c == 0 || blank(c) ? 'x' : c;
    }
    word[wlen] = '\0';
    len = strnlen((const char *)in.p, in.n);
    line = malloc(len + 1);
    memcpy(line, in.p, len);
    line[len] = '\0';

    FUZZ_CHECK(kernel_cmdline_has(line, wlen ? word : default_word) ==
                   has_word(line, wlen ? word : default_word),
               "kernel_cmdline_has disagrees on '%s'", wlen ? word : default_word);

    x64_cmdline = line;
    x64_irqchip = flags & 1 ? X64_IRQCHIP_PIC : X64_IRQCHIP_IOAPIC;
    refusals = other_lines = set_mode_calls = 0;
    set_mode_bad = false;
    memset(w, 0, sizeof w);
    n = platform_virtio_mmio(w, max);
    check_windows(w, n, max);
    FUZZ_CHECK(other_lines == 0, "%u lines that are not refusals", other_lines);
    FUZZ_CHECK(n + refusals == mmio_words(line), "%u windows + %u refusals, %u words", n,
               refusals, mmio_words(line));
    FUZZ_CHECK(!set_mode_bad, "a window's GSI made edge or active-low");
    FUZZ_CHECK(set_mode_calls >= n, "%u windows, %u GSIs set", n, set_mode_calls);
    if (x64_irqchip == X64_IRQCHIP_PIC)
        FUZZ_CHECK(n == 0, "%u windows with the 8259 pair in charge", n);

    n2 = platform_virtio_mmio(w2, max);
    FUZZ_CHECK(n2 == n, "a second parse gives %u windows, the first %u", n2, n);
    for (unsigned i = 0; i < n; i++)
        FUZZ_CHECK(w[i].base == w2[i].base && w[i].size == w2[i].size && w[i].irq == w2[i].irq,
                   "a second parse differs at window %u", i);
    free(line);
    return 0;
}
