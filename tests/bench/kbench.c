/* kbench.c - the guest side of the monitor benchmarks (book/performance.md,
   figures 2-5): one x64 image, booted on our monitor (vm/bbvm, KVM) and on
   the peer (QEMU with KVM: microvm, or q35 for the MSI figure), measures in
   the guest what an operator compares between the two. Every time is the
   TSC (rdtsc) converted with the kernel's own tsc_to_ns(). Nothing here
   passes or fails: tests/bench/bench.sh runs it on both monitors, takes
   medians and prints the table; tests/bench/kbench_check.sh only checks
   that a log has the lines, well formed (the suite boots `bench-small`
   under TCG, where the numbers say nothing about speed).

   Command line (words; kernel_cmdline_has() and a small key=value parser):
     bench=LIST          the figures to run, comma-separated, by name or
                         alias (below); `all` (the default without the
                         word) or `none` (boot, `bench: ready`, `bench: done`)
     bench-small         the suite's smoke-test sizes (the second column)
     bench-transport=T   `mmio` or `pci`: the virtio devices of the
                         throughput figures (default: the first found); bbvm
                         has both, so the driver picks the peer's transport

   Output, one line per figure, integers only (kprintf ends lines \r\n):
     bench: ready                       right after kernel_init()
     bench: FIG n COUNT ns TOTAL        COUNT operations or bytes in TOTAL ns
     bench: FIG n SAMPLES p50 NS p99 NS max NS      latency figures
     bench: FIG not available: REASON   no such device, timed out, ...
     bench: done                        then exit status 0
   Nothing is printed while a figure is timing, except by the two figures
   whose output is the measurement (virtio-console, serial).

   The figures, full size / small (name, alias):
   exit-pio (pio)        20000 / 500 one-byte OUTs to port 0x80, interrupts
                         off. Every monitor handles the port and no device
                         model uses it: bbvm's board (vm/board.h) claims no
                         0x80, so its unclaimed path ignores the write (its
                         warning to stderr is rate-limited: 10 lines, then
                         the 2^k-th); QEMU's pc and q35 have a dummy
                         `ioport80`, microvm nothing. So this is the cost
                         of one port exit through the monitor and back.
   exit-mmio (mmio)      the same with 4-byte writes to KB_MMIO_HOLE (see
                         there): an MMIO exit that no device decodes.
   irq-ioapic (irq)      2000 / 50 samples: COM1 idle, platform_console_irq
                         (true) makes the 16550 raise its line at once
                         (THRE); the edge goes through the IOAPIC to the
                         LAPIC and the CPU. Stamped just before the trigger
                         and at the first instruction the CPU runs for the
                         vector: an IDT gate of ours (see "the gate" below)
                         in front of the kernel's entry. The same samples
                         give irq-ioapic-handler: the trigger to the start
                         of the kernel's deferred handler in the loop (the
                         ISR, irq_raise(), ktick()'s dispatch), which turns
                         the transmit interrupt off again.
   irq-msi (msi)         2000 / 50 samples: a virtio-rng-pci with MSI-X
                         (q35, bbvm's 00:03.0): from a request's submission
                         (vdev_rng_read() of 16 bytes, which the next
                         ktick() kicks) to the MSI's vector, stamped by the
                         same gate. The same samples give rng-roundtrip: to
                         the request's callback (the ISR, the driver's
                         deferred handler, the used ring, the completion).
                         Without a PCI entropy device interrupting by MSI-X:
                         not available.
   virtio-rng (rng)      1 MiB / 16 KiB of entropy through vdev_rng_read(),
                         KB_INFLIGHT requests of 4 KiB in flight, the guest
                         sleeping in the loop meanwhile; n = bytes the
                         device gave (a device may give fewer than asked:
                         requests go on until the total is reached).
   virtio-console (vcon) 1 MiB / 16 KiB written through vdev_console_write(),
                         KB_INFLIGHT requests of 4 KiB in flight, printable
                         pattern lines of 64 bytes (the host sends them to
                         its output); n = bytes the device consumed. QEMU's
                         virtconsole drops what its chardev cannot take at
                         once (EAGAIN on a full pipe) and reports it
                         consumed all the same: give it a regular file.
   serial (serial)       1 MiB / 16 KiB out of COM1 by polling LSR.THRE, a
                         FIFO's worth (16 bytes) per THRE, as
                         tests/kernel/tx-flood.c does, interrupts off; its
                         pattern lines, with no \r. The time ends when the
                         transmitter is empty (TEMT): the last byte is out.
   Latency waits spin with interrupts on (ktick() in a loop, no HLT): the
   figure is the delivery path, not the host scheduler's wake-up of a
   halted vCPU. Throughput waits sleep (the kernel loop, HLT), as a driver
   does, leaving the host's CPU to the device.
   Every figure is bounded by platform_now(): KB_BOUND_MS (small:
   KB_BOUND_SMALL_MS); on expiry `bench: FIG not available: timed out`, and
   the next figure runs.

   The gate. trap.S has one entry per vector and platform.c's dispatcher
   has no hook for a time stamp, so the earliest point of the kernel's own
   path is the deferred handler. To stamp earlier without touching arch/,
   a figure points the IDT's gate for its vector (found with SIDT; the
   table is in the kernel's writable data) at kbench_gate, a few
   instructions that read the TSC, store it once per arming, restore the
   two registers they used and jump to the kernel's entry the gate held
   before. The CPU pushed the interrupted state already and the stub
   leaves the stack as it found it, so the kernel's path runs unchanged;
   the gate is put back after the figure. Only its two pushes come before
   the RDTSC (a few cycles in the figure); the rest runs after the stamp. */
#include "../kernel/ktest.h"
#include "../../arch/common/vdev.h"
#include "virtio.h"

#define UART16550_IMPLEMENTATION
#define UART16550_STATIC
#include "uart16550.h"

/* An address for exit-mmio: in the kernel's page tables (boot.S maps the
   low 4 GiB, the top GiB uncached, so each write goes out at once), not
   RAM, and decoded by nothing on any board we compare. bbvm's RAM ends by
   3 GiB at most (OPTIONS_MEM_MAX) and its devices sit from 0xfe000000 up
   (vm/board.h); QEMU's q35 has its ECAM at 0xb0000000-0xbfffffff and
   SeaBIOS gives BARs from just below 0xfec00000 down (0xfebf.... with our
   devices), pc likewise; microvm has nothing below its 0xfea00000 GED
   (`info mtree`). A write there is an MMIO exit that every monitor ends
   in its unassigned path: QEMU ignores it, bbvm too (rate-limited
   warning). */
#define KB_MMIO_HOLE 0xd0000000u
#define KB_POST_PORT 0x80u

#define KB_EXITS          20000u
#define KB_EXITS_SMALL    500u
#define KB_SAMPLES        2000u
#define KB_SAMPLES_SMALL  50u
#define KB_BYTES          1048576u
#define KB_BYTES_SMALL    16384u
#define KB_CHUNK          4096u      /* bytes per virtio request */
#define KB_LINE           KTEST_LINE /* pattern line (ktest.h), its \n included */
#define KB_RNG_ASK        16u        /* bytes per latency request */
#define KB_BOUND_MS       30000u
#define KB_BOUND_SMALL_MS 10000u
#define KB_EXIT_BATCH     64u        /* exits between two looks at the clock */
#define KB_TEMT_POLLS     1000000u

/* Requests in flight: "a few", and fewer than any queue we meet holds
   (QEMU's virtio-rng has 8 entries; vdev's queues at most
   VDEV_QUEUE_SIZE). A request the queue cannot take fails with VDEV_EIO. */
#define KB_INFLIGHT 4u
_Static_assert(KB_INFLIGHT <= VDEV_QUEUE_SIZE && KB_INFLIGHT <= 8, "more than a queue holds");
_Static_assert(KB_CHUNK % KB_LINE == 0, "pattern lines must not straddle requests");

static struct {
    bool small;
    char transport[8];       /* "mmio", "pci", or "": the first device */
    uint64_t bound_ms;
} cfg;

static uint64_t deadline;     /* platform_now() at which the figure gives up */

static uart16550_drv com1 = { x64_uart_read, x64_uart_write,
                             (void *)(uintptr_t)UART16550_PC_COM1_PORT };

/* --- output ----------------------------------------------------------- */

static void put_total(const char *fig, uint64_t n, uint64_t ns)
{
    kprintf("bench: %s n %llu ns %llu\n", fig, (unsigned long long)n, (unsigned long long)ns);
}

static void put_na(const char *fig, const char *why)
{
    kprintf("bench: %s not available: %s\n", fig, why);
}

/* Sort ascending; a figure has at most KB_SAMPLES, after its timing. */
static void sort(uint64_t *s, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint64_t v = s[i];
        unsigned j = i;

        for (; j > 0 && s[j - 1] > v; j--)
            s[j] = s[j - 1];
        s[j] = v;
    }
}

/* Nearest-rank percentile of sorted s[0..n): the smallest sample with at
   least p% of them at or below it. */
static uint64_t pct(const uint64_t *s, unsigned n, unsigned p)
{
    unsigned rank = (p * n + 99) / 100;

    return s[rank ? rank - 1 : 0];
}

static void put_latency(const char *fig, uint64_t *s, unsigned n)
{
    sort(s, n);
    kprintf("bench: %s n %u p50 %llu p99 %llu max %llu\n", fig, n,
            (unsigned long long)pct(s, n, 50), (unsigned long long)pct(s, n, 99),
            (unsigned long long)s[n - 1]);
}

/* --- time --------------------------------------------------------------- */

/* The TSC, read in program order: LFENCE lets RDTSC start only once the
   instructions before it are done (SDM vol. 2, RDTSC), and the "memory"
   clobber keeps the compiler from moving it across the trigger or the
   flag it stamps. arch.h's rdtsc() promises neither. */
static inline uint64_t stamp(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

static uint64_t tsc_ns(uint64_t t0, uint64_t t1)
{
    return tsc_to_ns(t1) - tsc_to_ns(t0);
}

static void figure_start(void)
{
    deadline = platform_now() + timer_ms(cfg.bound_ms);
}

static bool late(void)
{
    return platform_now() > deadline;
}

/* What is left of the figure's bound, in ms, for run_until(); at least 1. */
static unsigned left_ms(void)
{
    uint64_t now = platform_now();

    return now >= deadline ? 1u : (unsigned)((deadline - now) / timer_ms(1)) + 1u;
}

/* COM1 idle: the boot log's last bytes out of the chip (TEMT), bounded. */
static bool com1_idle(void)
{
    for (unsigned i = 0; i < KB_TEMT_POLLS; i++)
        if (com1.read(com1.ctx, UART16550_LSR) & UART16550_LSR_TEMT)
            return true;
    return false;
}

/* --- the command line ------------------------------------------------- */

/* The value of the word `key=VALUE` (key given with its '='): a pointer
   into the line and its length up to the next space. */
static bool cmdline_value(const char *line, const char *key, const char **val, unsigned *len)
{
    for (const char *p = line; *p; p++) {
        unsigned i = 0;

        if (p != line && p[-1] != ' ')
            continue;
        while (key[i] && p[i] == key[i])
            i++;
        if (key[i])
            continue;
        *val = p + i;
        for (*len = 0; p[i + *len] && p[i + *len] != ' '; (*len)++)
            ;
        return true;
    }
    return false;
}

/* Is string `s` the word w[0..len)? */
static bool same(const char *s, const char *w, unsigned len)
{
    unsigned i = 0;

    while (i < len && s[i] == w[i])
        i++;
    return i == len && !s[i];
}

/* w[0..len) as a string in out[0..size), cut short if it does not fit
   (kprintf has no precision to print it in place). */
static const char *word(char *out, unsigned size, const char *w, unsigned len)
{
    unsigned i;

    for (i = 0; i < len && i + 1 < size; i++)
        out[i] = w[i];
    out[i] = 0;
    return out;
}

static bool streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* --- the gate ------------------------------------------------------------
   kbench_gate: stamp the TSC once per arming, then the kernel's entry for
   the vector (kbench_gate_next). Interrupt gates enter with IF clear, so
   it cannot nest; the flags CMP changes were saved by the CPU already. */
//! [gate]
volatile uint64_t kbench_gate_tsc;
volatile uint8_t kbench_gate_armed;
uint64_t kbench_gate_next;
void kbench_gate(void);

__asm__(".pushsection .text\n"
        ".globl kbench_gate\n"
        ".balign 16\n"
        "kbench_gate:\n"
        "    push %rax\n"
        "    push %rdx\n"
        "    rdtsc\n"
        "    cmpb $0, kbench_gate_armed(%rip)\n"
        "    je 1f\n"
        "    movl %eax, kbench_gate_tsc(%rip)\n"
        "    movl %edx, kbench_gate_tsc+4(%rip)\n"
        "    movb $0, kbench_gate_armed(%rip)\n"   /* after the stamp: x86 keeps store order */
        "1:  pop %rdx\n"
        "    pop %rax\n"
        "    jmp *kbench_gate_next(%rip)\n"
        ".popsection\n");
//! [gate]

/* A 64-bit IDT gate (SDM vol. 3, 6.14.1): the handler's offset in three
   pieces around selector, IST and type. */
struct gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, zero;
};

static struct gate *gate_of(unsigned vector)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr;

    __asm__ volatile("sidt %0" : "=m"(idtr));
    return (struct gate *)(uintptr_t)idtr.base + vector;
}

static uint64_t gate_target(const struct gate *g)
{
    return g->off0 | (uint64_t)g->off1 << 16 | (uint64_t)g->off2 << 32;
}

static struct gate saved_gate;
static struct gate *patched;

/* Put kbench_gate in front of `vector`'s entry. Irqs off. */
static void gate_install(unsigned vector)
{
    struct gate *g = gate_of(vector);
    uint64_t a = (uint64_t)(uintptr_t)kbench_gate;

    saved_gate = *g;
    patched = g;
    kbench_gate_next = gate_target(g);
    kbench_gate_armed = 0;
    g->off0 = (uint16_t)a;
    g->off1 = (uint16_t)(a >> 16);
    g->off2 = (uint32_t)(a >> 32);
}

static void gate_remove(void)
{
    if (patched)
        *patched = saved_gate;
    patched = NULL;
}

/* --- 1. exits ------------------------------------------------------------ */

/* n exits of one kind, interrupts off; the clock is looked at once per
   KB_EXIT_BATCH exits (an RDTSC, which exits on neither monitor). */
static bool exit_loop(bool mmio, unsigned n, uint64_t *ns)
{
    uint64_t t0, t1;
    unsigned i = 0;

    platform_irq_off();
    t0 = stamp();
    while (i < n) {
        unsigned end = n - i < KB_EXIT_BATCH ? n : i + KB_EXIT_BATCH;

        if (mmio)
            for (; i < end; i++)
                mmio_write32(KB_MMIO_HOLE, i);
        else
            for (; i < end; i++)
                outb(KB_POST_PORT, (uint8_t)i);
        if (late())
            return false;
    }
    t1 = stamp();
    *ns = tsc_ns(t0, t1);
    return true;
}

static void fig_exit(const char *fig, bool mmio)
{
    unsigned n = cfg.small ? KB_EXITS_SMALL : KB_EXITS;
    uint64_t ns;

    figure_start();
    if (exit_loop(mmio, n, &ns))
        put_total(fig, n, ns);
    else
        put_na(fig, "timed out");
}

static void fig_pio(void) { fig_exit("exit-pio", false); }
static void fig_mmio(void) { fig_exit("exit-mmio", true); }

/* --- 2. an IOAPIC line: COM1's transmit interrupt ------------------------- */

static uint64_t lat_gate[KB_SAMPLES], lat_kernel[KB_SAMPLES];
static volatile bool con_handled;
static uint64_t con_tsc;

/* The deferred handler, from ktick(): stamp first, then quiet the UART
   (turning THRE's interrupt off also acknowledges it). */
static void on_console(void *ctx, unsigned irq)
{
    (void)ctx;
    (void)irq;
    con_tsc = stamp();
    platform_console_irq(false);
    con_handled = true;
}

/* One sample: the trigger with interrupts on, then the loop's deferred
   work by hand until the handler ran. Irqs off on return. */
static bool console_sample(unsigned i)
{
    uint64_t t0;

    con_handled = false;
    kbench_gate_armed = 1;
    platform_irq_on();
    t0 = stamp();
    platform_console_irq(true);
    while (!con_handled && !late())
        ktick(&kernel_rt);
    platform_irq_off();
    if (!con_handled || kbench_gate_armed)
        return false;
    lat_gate[i] = tsc_ns(t0, kbench_gate_tsc);
    lat_kernel[i] = tsc_ns(t0, con_tsc);
    return true;
}

static void fig_ioapic(void)
{
    unsigned n = cfg.small ? KB_SAMPLES_SMALL : KB_SAMPLES, i;
    unsigned irq = PLATFORM_CONSOLE_IRQ;

    platform_irq_off();
    lapic_timer_arm(PLATFORM_NEVER);    /* no stale one-shot among the samples */
    if (!com1_idle()) {
        put_na("irq-ioapic", "COM1 never went idle");
        return;
    }
    if (!kernel_irq_register(irq, on_console, NULL)) {
        put_na("irq-ioapic", "the IOAPIC has no line for COM1");
        return;
    }
    figure_start();
    gate_install(VEC_IRQ_BASE + irq);
    for (i = 0; i < n && console_sample(i); i++)
        ;
    gate_remove();
    kernel_irq_off(irq);
    platform_console_irq(false);
    if (i < n) {
        put_na("irq-ioapic", late() ? "timed out" : "the interrupt missed its vector");
        return;
    }
    put_latency("irq-ioapic", lat_gate, n);
    put_latency("irq-ioapic-handler", lat_kernel, n);
}

/* --- 3. an MSI: a virtio-rng-pci's request -------------------------------- */

static async_work lat_work;
static uint8_t lat_buf[KB_RNG_ASK];
static volatile bool rng_returned;
static int rng_result;
static uint64_t rng_tsc;

static void on_rng_sample(async_work *w, int result)
{
    (void)w;
    rng_tsc = stamp();
    rng_result = result;
    rng_returned = true;
}

/* The first device of `type` on `transport` ("pci", "mmio"; "": any)
   whose interrupt is `kind` ("msi-x"...; NULL: any); -1 if none. */
static int find_device(uint32_t type, const char *transport, const char *kind)
{
    struct vdev_info in;

    for (unsigned i = 0; vdev_info(type, i, &in); i++) {
        if (transport[0] && !streq(in.transport, transport))
            continue;
        if (kind && !streq(in.irq_kind, kind))
            continue;
        return (int)i;
    }
    return -1;
}

/* One sample: submit with interrupts on, then the loop's work by hand
   (the submit itself happens in the first ktick) until the callback. */
static bool msi_sample(unsigned dev, unsigned i)
{
    uint64_t t0;
    bool ok;

    rng_returned = false;
    kbench_gate_armed = 1;
    platform_irq_on();
    t0 = stamp();
    ok = vdev_rng_read(dev, &lat_work, lat_buf, sizeof lat_buf, on_rng_sample, NULL);
    while (ok && !rng_returned && !late())
        ktick(&kernel_rt);
    platform_irq_off();
    if (!ok || !rng_returned || rng_result <= 0 || kbench_gate_armed)
        return false;
    lat_gate[i] = tsc_ns(t0, kbench_gate_tsc);
    lat_kernel[i] = tsc_ns(t0, rng_tsc);
    return true;
}

static void fig_msi(void)
{
    unsigned n = cfg.small ? KB_SAMPLES_SMALL : KB_SAMPLES, i;
    int dev = find_device(VIRTIO_ID_ENTROPY, "pci", "msi-x");
    struct vdev_info in;

    if (dev < 0) {
        put_na("irq-msi", find_device(VIRTIO_ID_ENTROPY, "pci", NULL) < 0
                              ? "no virtio-rng-pci"
                              : "the virtio-rng-pci interrupts by INTx (pci=nomsi?)");
        return;
    }
    vdev_info(VIRTIO_ID_ENTROPY, (unsigned)dev, &in);
    figure_start();
    platform_irq_off();
    lapic_timer_arm(PLATFORM_NEVER);
    gate_install(VEC_IRQ_BASE + in.irq);
    for (i = 0; i < n && msi_sample((unsigned)dev, i); i++)
        ;
    gate_remove();
    if (i < n) {
        put_na("irq-msi", late() ? "timed out"
                          : rng_returned && rng_result <= 0 ? "the request failed"
                          : "the MSI missed its vector");
        return;
    }
    put_latency("irq-msi", lat_gate, n);
    put_latency("rng-roundtrip", lat_kernel, n);
}

/* --- 4. throughput: virtio requests in flight ---------------------------- */

/* KB_INFLIGHT requests of KB_CHUNK bytes, each resubmitted from its
   callback until `target` bytes are done. Each figure has its own flow:
   buffers a timed-out figure left with its device stay the device's. */
struct flow {
    bool console;           /* vdev_console_write, else vdev_rng_read */
    unsigned dev;
    uint64_t target, done;
    unsigned inflight;
    bool failed;
    uint64_t t_last;        /* TSC at the last completion */
    async_work w[KB_INFLIGHT];
    uint8_t buf[KB_INFLIGHT][KB_CHUNK];
};

static struct flow rng_flow, vcon_flow;

static void on_chunk(async_work *w, int result);

static bool flow_submit(struct flow *f, unsigned s)
{
    bool ok = f->console
                  ? vdev_console_write(f->dev, &f->w[s], f->buf[s], KB_CHUNK, on_chunk, f)
                  : vdev_rng_read(f->dev, &f->w[s], f->buf[s], KB_CHUNK, on_chunk, f);

    f->inflight += ok;
    return ok;
}

/* Resubmit while the bytes done and those asked for fall short. After a
   failure, or past the figure's bound, nothing more is asked. */
static void on_chunk(async_work *w, int result)
{
    struct flow *f = w->ctx;

    f->inflight--;
    f->t_last = stamp();
    if (result <= 0)
        f->failed = true;
    else
        f->done += (unsigned)result;
    if (!f->failed && !late() && f->done + (uint64_t)f->inflight * KB_CHUNK < f->target)
        f->failed = !flow_submit(f, (unsigned)(w - f->w));
}

static bool flow_over(void *ctx)
{
    const struct flow *f = ctx;

    return f->inflight == 0 && (f->failed || f->done >= f->target);
}

/* Run the flow: NULL, or why it did not reach its target. */
static const char *flow_run(struct flow *f, uint64_t *ns)
{
    uint64_t t0;

    f->done = 0;
    f->inflight = 0;
    f->failed = false;
    t0 = f->t_last = stamp();
    for (unsigned s = 0; s < KB_INFLIGHT && (uint64_t)s * KB_CHUNK < f->target; s++)
        if (!flow_submit(f, s))
            f->failed = true;
    run_until(flow_over, f, left_ms());
    platform_irq_off();
    *ns = tsc_ns(t0, f->t_last);
    return !flow_over(f) ? "timed out" : f->failed ? "a request failed" : NULL;
}

static void fig_flow(const char *fig, struct flow *f)
{
    int dev = find_device(f->console ? VIRTIO_ID_CONSOLE : VIRTIO_ID_ENTROPY, cfg.transport, NULL);
    const char *why;
    uint64_t ns;

    if (dev < 0) {
        kprintf("bench: %s not available: no virtio-%s%s%s\n", fig, f->console ? "console" : "rng",
                cfg.transport[0] ? " on " : "", cfg.transport);
        return;
    }
    f->dev = (unsigned)dev;
    f->target = cfg.small ? KB_BYTES_SMALL : KB_BYTES;
    figure_start();
    if ((why = flow_run(f, &ns)) != NULL)
        put_na(fig, why);
    else
        put_total(fig, f->done, ns);
}

static void fig_rng(void)
{
    rng_flow.console = false;
    fig_flow("virtio-rng", &rng_flow);
}

/* --- 5. output: the virtio console and COM1 ------------------------------ */


/* The console's buffers are filled once, before the timing: slot s holds
   lines s * 64 on, so the device is timed, not the guest's pattern. */
static void fig_vcon(void)
{
    vcon_flow.console = true;
    for (unsigned s = 0; s < KB_INFLIGHT; s++)
        for (unsigned l = 0; l < KB_CHUNK / KB_LINE; l++)
            ktest_pattern_line(vcon_flow.buf[s] + l * KB_LINE, s * (KB_CHUNK / KB_LINE) + l);
    fig_flow("virtio-console", &vcon_flow);
}

/* buf[0..n) as THRE lets us, a FIFO's worth per THRE; false past the
   bound (a host that stopped reading holds THRE low). */
static bool serial_send(const uint8_t *buf, unsigned n)
{
    unsigned done = 0;

    while (done < n) {
        unsigned k = uart16550_drv_tx_fill(&com1, buf + done, n - done);

        done += k;
        if (!k && late())
            return false;
    }
    return true;
}

static bool serial_drained(void)
{
    while (!(com1.read(com1.ctx, UART16550_LSR) & UART16550_LSR_TEMT))
        if (late())
            return false;
    return true;
}

static void fig_serial(void)
{
    uint32_t bytes = cfg.small ? KB_BYTES_SMALL : KB_BYTES;
    uint8_t line[KB_LINE];
    uint64_t t0, t1;
    bool ok = true;

    platform_irq_off();
    if (!com1_idle()) {
        put_na("serial", "COM1 never went idle");
        return;
    }
    figure_start();
    t0 = stamp();
    /* The bound once a line too: a host that drains, but slower than the
       bound allows (one that paces at 115200 baud takes 91 s a MiB). */
    for (uint32_t i = 0; ok && i < bytes / KB_LINE; i++) {
        ktest_pattern_line(line, i);
        ok = serial_send(line, KB_LINE) && !late();
    }
    ok = ok && serial_drained();
    t1 = stamp();
    if (ok)
        put_total("serial", bytes, tsc_ns(t0, t1));
    else
        put_na("serial", "timed out");
}

/* --- the run -------------------------------------------------------------- */

struct figure {
    const char *name, *alias;
    void (*run)(void);
    bool virtio;            /* needs vdev_probe() */
};

/* In the order they run, whatever the order on the command line. */
static const struct figure figures[] = {
    { "exit-pio", "pio", fig_pio, false },
    { "exit-mmio", "mmio", fig_mmio, false },
    { "irq-ioapic", "irq", fig_ioapic, false },
    { "irq-msi", "msi", fig_msi, true },
    { "virtio-rng", "rng", fig_rng, true },
    { "virtio-console", "vcon", fig_vcon, true },
    { "serial", "serial", fig_serial, false },
};
#define NFIGURES (sizeof figures / sizeof figures[0])

/* Turn on the figures the list's item v[0..k) names: a name, an alias,
   `all`, or `none` (which names nothing). False if it is none of those. */
static bool choose_one(const char *v, unsigned k, bool *on)
{
    bool all = same("all", v, k), known = all || same("none", v, k);

    for (unsigned f = 0; f < NFIGURES; f++)
        if (all || same(figures[f].name, v, k) || same(figures[f].alias, v, k))
            known = on[f] = true;
    return known;
}

/* Which figures `bench=LIST` names (all without the word); an unknown
   name is reported and skipped. */
static void choose(const char *line, bool *on)
{
    const char *v;
    unsigned len;
    bool given = cmdline_value(line, "bench=", &v, &len);

    for (unsigned f = 0; f < NFIGURES; f++)
        on[f] = !given;
    while (given && len) {
        unsigned k = 0;
        char name[24];

        while (k < len && v[k] != ',')
            k++;
        if (k && !choose_one(v, k, on))
            kprintf("kbench: no figure \"%s\": ignored\n", word(name, sizeof name, v, k));
        v += k + (k < len);
        len -= k + (k < len);
    }
}

_Noreturn void kmain(const struct boot_info *bi)
{
    bool on[NFIGURES], virtio = false;
    const char *v;
    unsigned len;

    kernel_init(bi);
    kprintf("bench: ready\n");
    cfg.small = kernel_cmdline_has(bi->cmdline, "bench-small");
    cfg.bound_ms = cfg.small ? KB_BOUND_SMALL_MS : KB_BOUND_MS;
    if (cmdline_value(bi->cmdline, "bench-transport=", &v, &len))
        word(cfg.transport, sizeof cfg.transport, v, len);
    choose(bi->cmdline, on);
    for (unsigned f = 0; f < NFIGURES; f++)
        virtio |= on[f] && figures[f].virtio;
    if (virtio)
        vdev_probe(bi);
    for (unsigned f = 0; f < NFIGURES; f++)
        if (on[f])
            figures[f].run();
    kprintf("bench: done\n");
    platform_exit(0);
}
