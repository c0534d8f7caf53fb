/* bbvm.c - Breadboard's KVM monitor: one x86 vCPU, a PVH kernel, a 16550 UART.

   Usage: bbvm [options] KERNEL   (`bbvm --help` lists the options)

   The monitor checks everything the operator gave it (flags, then the kernel
   file) before it opens /dev/kvm, builds a VM with guest RAM at physical 0,
   enters the kernel as the PVH boot ABI says (Xen docs/misc/pvh.pandoc), and
   serves its port I/O until the guest asks to stop or fails.

   EXIT STATUS
   Odd statuses belong to the guest, even ones to the monitor, so they never
   collide:
     (code << 1) | 1  the guest wrote `code` with a 1-byte OUT to port 0xf4,
                      exactly as QEMU's -device isa-debug-exit,iobase=0xf4,
                      iosize=1 behaves. The OS keeps the low 8 bits of a
                      status, so codes 0..127 come out distinct.
     0   never a guest outcome (only --help exits 0)
     2   usage error: bad flags or values
     4   kernel file error: missing, unreadable, or not a loadable PVH kernel
     6   host or KVM error (the failing call and strerror are printed)
     8   guest triple fault (KVM_EXIT_SHUTDOWN); registers go to stderr
     10  any other stop KVM reports (failed entry, internal error, unknown
         exit reason); registers go to stderr
     12  the guest halted with interrupts off, so nothing can ever wake it;
         registers go to stderr
   Usage, kernel and host errors are one line on stderr starting with
   "bbvm: "; statuses 8, 10 and 12 add a register dump below that line. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "acpi.h"
#include "loader.h"
#include "pm.h"

#define UART16550_IMPLEMENTATION
#define UART16550_STATIC
#include "uart16550.h"
#define IOAPIC_IMPLEMENTATION
#define IOAPIC_STATIC
#include "ioapic.h"
#define PIC8259_IMPLEMENTATION
#define PIC8259_STATIC
#include "pic8259.h"
#define CHIPSET_IMPLEMENTATION
#define CHIPSET_STATIC
#include "chipset.h"
/* The kernels' runtime (irq.h, timer.h, async.h and the loop of
   arch/common/kernel.c) on the host port in vm/host/: the device loop. */
#include "loop.h"

enum {
    STATUS_USAGE = 2,
    STATUS_KERNEL = 4,
    STATUS_HOST = 6,
    STATUS_TRIPLE = 8,
    STATUS_UNEXPECTED = 10,
    STATUS_HALTED = 12
};

#define MEM_DEFAULT (32ull << 20)
#define MEM_MIN (4ull << 20)
#define MEM_MAX (3ull << 30)            /* RAM stays below the 3..4 GiB hole */
#define KERNEL_FILE_MAX (1ull << 30)

/* Two KVM scratch areas Intel VMX needs while a guest runs with paging off
   or in real mode (KVM API: KVM_SET_TSS_ADDR takes three pages, then one
   page for the identity map). Both sit in the hole below 4 GiB, off RAM. */
#define KVM_TSS_ADDR 0xfffbd000u
#define KVM_IDMAP_ADDR 0xfffbc000u

#define COM1_BASE 0x3f8
#define COM1_IRQ 4                      /* ISA IRQ4 */
#define IOAPIC_BASE 0xfec00000u
#define IOAPIC_WINDOW 0x1000u           /* registers at 0x00, 0x10, 0x40 */
#define DEBUG_EXIT_PORT 0xf4

/* ---- errors ------------------------------------------------------------ */

__attribute__((format(printf, 2, 3), noreturn))
static void die(int status, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout); /* the guest's output first, then why it ended */
    fputs("bbvm: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

__attribute__((format(printf, 1, 2), noreturn))
static void usage_error(const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    die(STATUS_USAGE, "%s (try 'bbvm --help')", msg);
}

/* ---- operator input ---------------------------------------------------- */

struct options {
    uint64_t mem;
    const char *cmdline;
    const char *kernel;
    const char *kvm_device;
    bool stats;
    bool check_kvm;
    bool no_input;
};

static const char help_text[] =
    "Usage: bbvm [options] KERNEL\n"
    "Run KERNEL, an x86 PVH ELF image (32- or 64-bit), in a KVM virtual machine\n"
    "with one vCPU (its LAPIC in KVM), an 8259 pair, an IOAPIC at 0xfec00000, the\n"
    "ACPI PM registers and PM timer at port 0x600, ACPI tables describing them, a\n"
    "16550 UART at port 0x3f8 fed by standard input and writing to standard output,\n"
    "and an isa-debug-exit device at port 0xf4 (as in QEMU) that ends the run.\n"
    "\n"
    "Options:\n"
    "  -m, --mem SIZE      guest RAM in bytes; a K, M or G suffix multiplies by\n"
    "                      2^10, 2^20, 2^30. From 4M to 3G, a multiple of 4K.\n"
    "                      Default 32M.\n"
    "  -c, --cmdline TEXT  kernel command line, at most 4095 bytes. Default empty.\n"
    "  -n, --no-input      leave standard input alone (by default it feeds the\n"
    "                      UART's receiver, from the start: bytes that arrive\n"
    "                      before the guest sets the UART up may be lost)\n"
    "  -s, --stats         at the end, print to stderr each device's access counts,\n"
    "                      the device loop's passes and input, and the vCPU's\n"
    "                      exits and kicks\n"
    "      --kvm-device PATH  the KVM device to use. Default /dev/kvm.\n"
    "      --check-kvm     only check that this host can run bbvm's VM (KVM API,\n"
    "                      a VM with the split irqchip, a vCPU) and exit: 0 if it\n"
    "                      can, 6 with the reason if not. No KERNEL then.\n"
    "  -h, --help          print this help and exit with status 0\n"
    "\n"
    "Exit status:\n"
    "  (code << 1) | 1  the guest wrote code to port 0xf4 (1-byte OUT)\n"
    "  2   usage error (unknown option, missing or bad value, no KERNEL)\n"
    "  4   KERNEL is missing, unreadable or not a loadable PVH kernel\n"
    "  6   host or KVM error\n"
    "  8   the guest triple-faulted (registers dumped to stderr)\n"
    "  10  KVM stopped the guest for another reason (registers dumped to stderr)\n"
    "  12  the guest halted with interrupts off and can never wake (registers dumped)\n";

static void help(void)
{
    fputs(help_text, stdout);
    exit(0);
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

static uint64_t parse_mem(const char *s)
{
    const char *end;
    bool overflow;
    uint64_t v = parse_number(s, &end, &overflow), mul = 1;

    if (end == s)
        usage_error("bad memory size '%.64s': not a number", s);
    if (*end && (mul = suffix_multiplier(*end)) != 0)
        end++;
    if (*end || mul == 0)
        usage_error("bad memory size '%.64s': want digits and an optional K, M or G", s);
    if (overflow || v > MEM_MAX / mul || v * mul < MEM_MIN)
        usage_error("memory size '%.64s' is out of range (4M..3G)", s);
    if ((v * mul) % 4096)
        usage_error("memory size '%.64s' is not a multiple of 4K", s);
    return v * mul;
}

static const char *check_cmdline(const char *s)
{
    if (strlen(s) > LOADER_CMDLINE_MAX)
        usage_error("command line is %zu bytes; the limit is %u", strlen(s),
                    LOADER_CMDLINE_MAX);
    return s;
}

/* If argv[*i] is option `shrt`/`lng`, return its value: "-m V", "-mV",
   "--mem V" or "--mem=V". NULL if argv[*i] is some other option. */
static const char *opt_value(int argc, char **argv, int *i, const char *shrt, const char *lng)
{
    const char *a = argv[*i];
    size_t n = strlen(lng);

    if (strcmp(a, shrt) == 0 || strcmp(a, lng) == 0) {
        if (*i + 1 >= argc)
            usage_error("option %s needs a value", a);
        return argv[++*i];
    }
    if (strncmp(a, lng, n) == 0 && a[n] == '=')
        return a + n + 1;
    if (strncmp(a, shrt, 2) == 0 && a[2] != '\0')
        return a + 2;
    return NULL;
}

/* A long-only option: "--name V" or "--name=V". */
static const char *long_value(int argc, char **argv, int *i, const char *lng)
{
    const char *a = argv[*i];
    size_t n = strlen(lng);

    if (strncmp(a, lng, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (*i + 1 >= argc)
        usage_error("option %s needs a value", a);
    return argv[++*i];
}

static void set_kernel(struct options *o, const char *path)
{
    if (o->kernel)
        usage_error("unexpected extra argument '%.64s' (one KERNEL only)", path);
    o->kernel = path;
}

static void parse_args(int argc, char **argv, struct options *o)
{
    bool options_done = false;
    const char *v;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (options_done || a[0] != '-' || a[1] == '\0')
            set_kernel(o, a);
        else if (strcmp(a, "--") == 0)
            options_done = true;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            help();
        else if (strcmp(a, "-s") == 0 || strcmp(a, "--stats") == 0)
            o->stats = true;
        else if (strcmp(a, "--check-kvm") == 0)
            o->check_kvm = true;
        else if (strcmp(a, "-n") == 0 || strcmp(a, "--no-input") == 0)
            o->no_input = true;
        else if ((v = long_value(argc, argv, &i, "--kvm-device")))
            o->kvm_device = v;
        else if ((v = opt_value(argc, argv, &i, "-m", "--mem")))
            o->mem = parse_mem(v);
        else if ((v = opt_value(argc, argv, &i, "-c", "--cmdline")))
            o->cmdline = check_cmdline(v);
        else
            usage_error("unknown option '%.64s'", a);
    }
    if (!o->kernel && !o->check_kvm)
        usage_error("no KERNEL given");
}

/* ---- the kernel file --------------------------------------------------- */

static size_t read_all(int fd, uint8_t *buf, size_t size, const char *path)
{
    size_t got = 0;

    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die(STATUS_KERNEL, "%s: cannot read: %s", path, strerror(errno));
        if (n == 0)
            break; /* shrank since fstat: the loader sees the short file */
        got += (size_t)n;
    }
    return got;
}

static uint8_t *read_kernel(const char *path, size_t *size)
{
    /* O_NONBLOCK: a FIFO given as KERNEL must not hang us in open(). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    uint8_t *buf;

    if (fd < 0)
        die(STATUS_KERNEL, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0)
        die(STATUS_KERNEL, "%s: cannot stat: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        die(STATUS_KERNEL, "%s: not a regular file", path);
    if ((uint64_t)st.st_size > KERNEL_FILE_MAX)
        die(STATUS_KERNEL, "%s: file too large (%lld bytes; the limit is 1 GiB)", path,
            (long long)st.st_size);
    buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf)
        die(STATUS_HOST, "out of memory reading %s", path);
    *size = read_all(fd, buf, (size_t)st.st_size, path);
    close(fd);
    return buf;
}

/* ---- port I/O and MMIO dispatch ---------------------------------------- */


/* The loader keeps kernels clear of the area the ACPI tables go to. */
_Static_assert(ACPI_AREA_PADDR == LOADER_TABLES_BASE &&
               ACPI_AREA_PADDR + ACPI_AREA_SIZE == LOADER_TABLES_END,
               "vm/loader.h and vm/acpi.h disagree on the firmware table area");

/* ---- the machine ------------------------------------------------------- */

/* Why the device loop brought the vCPU thread out of KVM_RUN. */
enum kick_reason { KICK_PIC, KICK_WATCHDOG, KICK_REASONS };

struct vm {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *ram;
    uint64_t ram_size;
    uint64_t entry;
    uint32_t start_info;
    chipset board;                      /* every device, found by address */
    chipset_device devices[8];
    chipset_range ranges[16];
    uart16550_model com1;
    ioapic_model ioapic;
    pic8259_pair pic;
    pm_model pm;                        /* ACPI PM1 registers and PM timer */
    irq_lineset lines;                  /* device lines to PIC and IOAPIC inputs */
    bool pic_int;                       /* the 8259 pair's INT output */
    uint64_t routed[IOAPIC_PINS];       /* the entries KVM's routes were built from */
    bool stopped;                       /* the guest asked to end the run */
    int status;                         /* ... with this exit status */

    /* Two threads share the models: the vCPU thread (exits) and the device
       loop (timers, host input). `lock` covers every model and the fields
       below it; the loop's own structures belong to the loop thread. */
    pthread_t vcpu_thread;
    pthread_mutex_t lock;
    bool finished;                      /* the vCPU thread is done (atomic) */
    bool input;                         /* standard input feeds the UART */
    bool input_held;                    /* stdin waits for room in the RX FIFO */
    bool input_resume;                  /* ... and the guest has made some */
    timer board_timer;                  /* the models' next deadline */
    timer watchdog;                     /* once a second: is the guest dead? */
    uint64_t input_bytes;               /* host input handed to the UART */
    int input_fd;                       /* where it comes from; -1: none */
    async_work input_work;              /* the one read asked for at a time */
    uint8_t in_buf[64];                 /* read, not yet taken by the UART */
    unsigned in_pos, in_len;            /* (device loop only) */
    uint8_t tx_buf[4096];               /* guest output of the current exit */
    unsigned tx_len;                    /* (vCPU thread only) */
    uint64_t exits;                     /* KVM_RUN returns, for --stats */
    uint64_t kicks[KICK_REASONS];       /* vcpu_kick() calls, by reason */
    int run_status;                     /* what the vCPU thread ended with */
};

/* ---- devices ----------------------------------------------------------- */

static void tx_flush(struct vm *vm);

/* UART transmit, on the vCPU thread with the board locked: the bytes are
   kept and written to stdout once the lock is released (tx_flush), so a
   slow reader of our output stalls the guest, as it must, but never the
   device loop. */
static void com1_tx(void *ctx, uint8_t byte)
{
    struct vm *vm = ctx;

    if (vm->tx_len == sizeof vm->tx_buf)
        tx_flush(vm);               /* a string OUT longer than the buffer */
    vm->tx_buf[vm->tx_len++] = byte;
}

/* Write what the guest sent, flushed at each line so a log shows progress.
   A closed or failing stdout drops bytes (SIGPIPE is ignored); the guest
   never notices. vCPU thread. */
static void tx_flush(struct vm *vm)
{
    if (!vm->tx_len)
        return;
    fwrite(vm->tx_buf, 1, vm->tx_len, stdout);
    if (memchr(vm->tx_buf, '\n', vm->tx_len))
        fflush(stdout);
    vm->tx_len = 0;
}

/* The 16550's registers are one byte wide (PC16550D datasheet, "Register
   Summary"): a wider access reads all-ones and writes nothing. */
/* Host input waits while the UART has no room; the guest access that made
   some (a read of RBR, a FIFO reset, leaving loopback) hands the rest over
   to the device loop. Lock held. */
static void com1_input_check(struct vm *vm)
{
    if (vm->input_held && uart16550_model_rx_space(&vm->com1) > 0) {
        vm->input_held = false;
        vm->input_resume = true;
        platform_irq_trigger(HOST_IRQ_VCPU);
    }
}

static uint64_t com1_read(void *ctx, uint64_t offset, unsigned width)
{
    struct vm *vm = ctx;
    uint64_t v = width == 1 ? uart16550_model_read(&vm->com1, (unsigned)offset) : UINT64_MAX;

    com1_input_check(vm);
    return v;
}

static void com1_write(void *ctx, uint64_t offset, unsigned width, uint64_t v)
{
    struct vm *vm = ctx;

    if (width == 1)
        uart16550_model_write(&vm->com1, (unsigned)offset, (uint8_t)v);
    com1_input_check(vm);
}

/* isa-debug-exit: a 1-byte OUT of v stops the run with status (v << 1) | 1,
   as QEMU's device does; the OS keeps the low 8 bits. Reads float high. */
static void debug_exit_write(void *ctx, uint64_t offset, unsigned width, uint64_t v)
{
    struct vm *vm = ctx;

    (void)offset;
    if (width == 1) {
        vm->status = (int)(((v & 0xff) << 1) | 1) & 0xff;
        vm->stopped = true;
    }
}

//! [com1-irq]
/* The UART's interrupt output is ISA IRQ4; the line fabric carries it to
   8259 input 4 and IOAPIC pin 4, as a PC's board does. */
static void com1_irq(void *ctx, bool level)
{
    struct vm *vm = ctx;

    irq_line_set(&vm->lines, COM1_IRQ, level);
}

/* The controllers' inputs, as the fabric sees them. */
static void pic_input(void *ctx, unsigned input, bool level)
{
    pic8259_set_irq(ctx, input, level);
}

static void ioapic_input(void *ctx, unsigned input, bool level)
{
    ioapic_set_irq(ctx, input, level);
}

static void ioapic_eoi_listener(void *ctx, uint8_t vector)
{
    ioapic_eoi(ctx, vector);
}
//! [com1-irq]

static void ioapic_sync_routes(struct vm *vm);

/* The IOAPIC model answers every width itself (all-ones for what it does
   not decode); a register write may change an entry, so KVM's routes follow. */
static uint64_t ioapic_mmio_read(void *ctx, uint64_t offset, unsigned width)
{
    return ioapic_model_read(ctx, offset, width);
}

static void ioapic_mmio_write(void *ctx, uint64_t offset, unsigned width, uint64_t v)
{
    ioapic_model *m = ctx;

    ioapic_model_write(m, offset, width, v);
    ioapic_sync_routes((struct vm *)m->hooks.ctx);
}

//! [ioapic-routes]
/* KVM tells us of an EOI (KVM_EXIT_IOAPIC_EOI) only for vectors it knows
   to be level-triggered IOAPIC interrupts, and it learns them from the MSI
   routes of the reserved GSIs 0..23 (KVM_CAP_SPLIT_IRQCHIP). So every
   programmed entry gets a route, masked or not: the guest may mask a pin
   in its ISR and EOI it afterwards, and that EOI must still reach us. */
static void ioapic_sync_routes(struct vm *vm)
{
    struct {
        struct kvm_irq_routing hdr;
        struct kvm_irq_routing_entry e[IOAPIC_PINS];
    } r;
    bool changed = false;

    memset(&r, 0, sizeof r);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t rte = ioapic_model_entry(&vm->ioapic, pin) & ~(1ull << 12); /* not status */
        ioapic_msi msi;

        changed |= rte != vm->routed[pin];
        vm->routed[pin] = rte;
        if ((rte & 0xff) == 0)
            continue;                   /* never programmed */
        ioapic_entry_to_msi(rte, &msi);
        r.e[r.hdr.nr] = (struct kvm_irq_routing_entry){
            .gsi = pin, .type = KVM_IRQ_ROUTING_MSI,
            .u.msi = { .address_lo = (uint32_t)msi.address,
                       .address_hi = (uint32_t)(msi.address >> 32), .data = msi.data } };
        r.hdr.nr++;
    }
    if (changed && ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &r) < 0)
        die(STATUS_HOST, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
}
//! [ioapic-routes]

//! [ioapic-deliver]
/* Split irqchip: the IOAPIC lives here, the LAPIC in KVM, and the message
   between them is an MSI, exactly the address/data pair the entry
   translates to (the IOAPIC's own bus message, in PCI clothing). */
static void ioapic_deliver(void *ctx, const ioapic_msi *msg)
{
    struct vm *vm = ctx;
    struct kvm_msi msi = { .address_lo = (uint32_t)msg->address,
                           .address_hi = (uint32_t)(msg->address >> 32), .data = msg->data };

    if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
        die(STATUS_HOST, "KVM_SIGNAL_MSI: %s", strerror(errno));
}
//! [ioapic-deliver]

/* ---- the 8259 pair: ports 0x20/0x21, 0xa0/0xa1 and the ELCR at 0x4d0 ---- */

static void vcpu_kick(struct vm *vm, enum kick_reason why);
static _Thread_local bool on_vcpu_thread;   /* which thread is this? */

/* Injected before the next KVM_RUN. Raised by the device loop (host input),
   it must first bring the vCPU thread out of KVM_RUN, where a halted guest
   would otherwise wait for an interrupt that only this thread can inject. */
static void pic_output(void *ctx, bool level)
{
    struct vm *vm = ctx;

    vm->pic_int = level;
    if (level && !on_vcpu_thread)
        vcpu_kick(vm, KICK_PIC);
}

/* Byte-wide registers only: wider accesses read all-ones, write nothing. */
static uint64_t pic_master_read(void *ctx, uint64_t o, unsigned w)
{
    return w == 1 ? pic8259_model_read(ctx, 0, (unsigned)o) : UINT64_MAX;
}

static void pic_master_write(void *ctx, uint64_t o, unsigned w, uint64_t v)
{
    if (w == 1)
        pic8259_model_write(ctx, 0, (unsigned)o, (uint8_t)v);
}

static uint64_t pic_slave_read(void *ctx, uint64_t o, unsigned w)
{
    return w == 1 ? pic8259_model_read(ctx, 1, (unsigned)o) : UINT64_MAX;
}

static void pic_slave_write(void *ctx, uint64_t o, unsigned w, uint64_t v)
{
    if (w == 1)
        pic8259_model_write(ctx, 1, (unsigned)o, (uint8_t)v);
}

static uint64_t elcr_read(void *ctx, uint64_t o, unsigned w)
{
    return w == 1 ? pic8259_elcr_read(ctx, (unsigned)o) : UINT64_MAX;
}

static void elcr_write(void *ctx, uint64_t o, unsigned w, uint64_t v)
{
    if (w == 1)
        pic8259_elcr_write(ctx, (unsigned)o, (uint8_t)v);
}

//! [pic-inject]
/* The 8259's INT reaches the CPU as an ExtINT through the LAPIC's LINT0,
   which lives in KVM: when the guest can take an interrupt, the monitor
   runs the acknowledge cycle on the model and queues its vector with
   KVM_INTERRUPT; until then it asks KVM for an exit when the guest opens
   its interrupt window. */
static void pic_inject(struct vm *vm)
{
    struct kvm_run *run = vm->run;
    struct kvm_interrupt irq;

    run->request_interrupt_window = 0;
    if (!vm->pic_int)
        return;
    if (!run->ready_for_interrupt_injection || !run->if_flag) {
        run->request_interrupt_window = 1;
        return;
    }
    irq.irq = pic8259_ack(&vm->pic);
    if (ioctl(vm->vcpu_fd, KVM_INTERRUPT, &irq) < 0)
        die(STATUS_HOST, "KVM_INTERRUPT: %s", strerror(errno));
    /* Still high after the acknowledge (auto-EOI, special mask mode, a
       second input): ask for the next window, since no exit may come. */
    run->request_interrupt_window = vm->pic_int;
}
//! [pic-inject]

/* The storm guard held a pin: the device loop must poll the board (and so
   the IOAPIC) to arm its release. Any thread, lock held. */
static void ioapic_throttled(void *ctx, unsigned pin)
{
    (void)ctx;
    (void)pin;
    platform_irq_trigger(HOST_IRQ_VCPU);
}

static uint64_t ioapic_board_poll(void *ctx, uint64_t now)
{
    return ioapic_poll(ctx, now);
}

/* SECURITY.md rule 5: holes read all-ones and ignore writes; the builder
   does that and rate-limits this warning (the first 10, then the 2^k-th). */
static void warn_unclaimed(void *ctx, const chipset_unclaimed *u)
{
    (void)ctx;
    fflush(stdout);
    fprintf(stderr, "bbvm: warning: unclaimed %s %#llx: %u-byte %s (#%llu%s)\n",
            u->kind == CHIPSET_PIO ? "port" : "MMIO address", (unsigned long long)u->addr,
            u->width, u->is_write ? "write ignored" : "read as all-ones",
            (unsigned long long)u->count, u->count == 10 ? "; from now on only every 2^k-th is shown" : "");
}

static void build_error(void *ctx, const chipset_error *e)
{
    char line[160];

    (void)ctx;
    chipset_format_error(e, line, sizeof line);
    fprintf(stderr, "bbvm: chipset: %s\n", line);
}

/* --stats: one line per device, as chipset_visit_counters() walks them. */
static void print_counters(void *ctx, const char *name, const chipset_counters *n)
{
    (void)ctx;
    fprintf(stderr, "bbvm: device %-10s port reads %llu writes %llu, MMIO reads %llu writes %llu\n",
            name, (unsigned long long)n->reads[CHIPSET_PIO],
            (unsigned long long)n->writes[CHIPSET_PIO], (unsigned long long)n->reads[CHIPSET_MMIO],
            (unsigned long long)n->writes[CHIPSET_MMIO]);
}

/* One device: its name, handlers and the ranges it claims. */
static void add(struct vm *vm, const char *name, const chipset_ops *ops, void *ctx,
                chipset_kind kind, uint64_t base, uint64_t len)
{
    int dev = chipset_add_device(&vm->board, name, ops, ctx);

    if (dev >= 0)
        chipset_add_range(&vm->board, dev, kind, base, len, NULL);
}

/* The ACPI PM block's clock (the device loop's, host monotonic time) and
   its SCI, ISA line 9 as the FADT and the MADT's override say. */
static uint64_t pm_clock(void *ctx)
{
    (void)ctx;
    return platform_now();
}

static void pm_sci(void *ctx, bool level)
{
    struct vm *vm = ctx;

    irq_line_set(&vm->lines, ACPI_SCI_IRQ, level);
}

/* PM1 writes may arm or disarm the timer's TMR_STS deadline: the device
   loop polls the board again. */
static void pm_board_write(void *ctx, uint64_t offset, unsigned width, uint64_t v)
{
    pm_write(ctx, offset, width, v);
    platform_irq_trigger(HOST_IRQ_VCPU);
}

static void devices_init(struct vm *vm)
{
    static const chipset_ops com1_ops = { .pio_read = com1_read, .pio_write = com1_write };
    static const chipset_ops ioapic_ops = { .mmio_read = ioapic_mmio_read,
                                            .mmio_write = ioapic_mmio_write,
                                            .poll = ioapic_board_poll };
    static const chipset_ops exit_ops = { .pio_write = debug_exit_write };
    static const chipset_ops master_ops = { .pio_read = pic_master_read,
                                            .pio_write = pic_master_write };
    static const chipset_ops slave_ops = { .pio_read = pic_slave_read,
                                           .pio_write = pic_slave_write };
    static const chipset_ops elcr_ops = { .pio_read = elcr_read, .pio_write = elcr_write };
    static const chipset_ops pm_ops = { .pio_read = pm_read, .pio_write = pm_board_write,
                                        .poll = pm_poll };
    chipset_config cfg = { .devices = vm->devices, .device_cap = 8, .ranges = vm->ranges,
                           .range_cap = 16, .on_error = build_error,
                           .on_unclaimed = warn_unclaimed, .hook_ctx = vm };
    uart16550_model_hooks uart_hooks = { com1_tx, com1_irq, vm };
    ioapic_hooks ioapic_hooks = { ioapic_deliver, ioapic_throttled, vm };
    pm_hooks pm_hooks = { pm_clock, pm_sci, vm };

    ioapic_model_init(&vm->ioapic, IOAPIC_VERSION_20, &ioapic_hooks);
    pic8259_init(&vm->pic, pic_output, vm);
    irq_lines_init(&vm->lines);
    irq_lines_wire_pc(&vm->lines, pic_input, &vm->pic, ioapic_input, &vm->ioapic);
    irq_eoi_listen(&vm->lines, ioapic_eoi_listener, &vm->ioapic);
    uart16550_model_init(&vm->com1, &uart_hooks);
    pm_init(&vm->pm, ACPI_PM_TMR_32BIT, &pm_hooks, 0); /* counts from platform_now()'s 0 */
    chipset_init(&vm->board, &cfg);
    add(vm, "com1", &com1_ops, vm, CHIPSET_PIO, COM1_BASE, 8);
    add(vm, "debug-exit", &exit_ops, vm, CHIPSET_PIO, DEBUG_EXIT_PORT, 1);
    add(vm, "pic-master", &master_ops, &vm->pic, CHIPSET_PIO, 0x20, 2);
    add(vm, "pic-slave", &slave_ops, &vm->pic, CHIPSET_PIO, 0xa0, 2);
    add(vm, "elcr", &elcr_ops, &vm->pic, CHIPSET_PIO, 0x4d0, 2);
    add(vm, "ioapic", &ioapic_ops, &vm->ioapic, CHIPSET_MMIO, IOAPIC_BASE, IOAPIC_WINDOW);
    add(vm, "acpi-pm", &pm_ops, &vm->pm, CHIPSET_PIO, PM_BASE, PM_LEN);
    if (chipset_build(&vm->board, NULL, 0))
        die(STATUS_HOST, "internal error: the chipset does not build (see above)");
}

/* ---- KVM setup --------------------------------------------------------- */

#define KVM_IOCTL(fd, req, arg) kvm_ioctl((fd), (req), (arg), #req)

static int kvm_ioctl(int fd, unsigned long req, void *arg, const char *name)
{
    int r;

    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        die(STATUS_HOST, "%s: %s", name, strerror(errno));
    return r;
}

static void kvm_open(struct vm *vm, const char *path)
{
    int version;

    vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0)
        die(STATUS_HOST, "cannot open %s: %s", path, strerror(errno));
    version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, NULL);
    if (version < 0)
        die(STATUS_HOST, "%s: KVM_GET_API_VERSION: %s (is it a KVM device?)", path,
            strerror(errno));
    if (version != KVM_API_VERSION)
        die(STATUS_HOST, "%s: KVM API version %d, want %d", path, version, KVM_API_VERSION);
}

static void vm_create(struct vm *vm)
{
    struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { IOAPIC_PINS } }; /* ioapic.h: 24 */
    uint64_t idmap = KVM_IDMAP_ADDR;

    vm->vm_fd = KVM_IOCTL(vm->kvm_fd, KVM_CREATE_VM, NULL);
    KVM_IOCTL(vm->vm_fd, KVM_SET_TSS_ADDR, (void *)(uintptr_t)KVM_TSS_ADDR);
    KVM_IOCTL(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
    /* The LAPIC in the kernel, PIC and IOAPIC left to us (later work). KVM
       accepts this only before the first vCPU exists. */
    KVM_IOCTL(vm->vm_fd, KVM_ENABLE_CAP, &split);
}

static uint8_t *map_ram(uint64_t size)
{
    /* NORESERVE: untouched guest pages cost the host nothing. */
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED)
        die(STATUS_HOST, "mmap of %llu MiB of guest RAM: %s",
            (unsigned long long)(size >> 20), strerror(errno));
    return p;
}

static void vm_add_ram(struct vm *vm)
{
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = vm->ram_size,
        .userspace_addr = (uintptr_t)vm->ram,
    };

    KVM_IOCTL(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

static void vcpu_create(struct vm *vm)
{
    vm->vcpu_fd = KVM_IOCTL(vm->vm_fd, KVM_CREATE_VCPU, NULL); /* vCPU 0, the BSP */
    vm->run_size = (size_t)KVM_IOCTL(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
    vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
    if (vm->run == MAP_FAILED)
        die(STATUS_HOST, "mmap of kvm_run: %s", strerror(errno));
}

/* State the TSC frequency in CPUID leaf 0x15 (Intel SDM vol. 2, CPUID:
   TSC = ECX * EBX / EAX, ECX being the crystal's Hz): with EAX = EBX = 1 the
   "crystal" is the TSC itself. Guests then need no PIT to calibrate, which
   this monitor does not have yet. KVM reports the guest's TSC rate; an AMD
   host leaves the leaf empty, and its maximum basic leaf may be below it. */
static void cpuid_state_tsc(struct kvm_cpuid2 *c, uint32_t tsc_khz)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (e->function == 0 && e->eax < 0x15)
            e->eax = 0x15;
        if (e->function == 0x15) {
            e->eax = 1;
            e->ebx = 1;
            e->ecx = tsc_khz * 1000u;
            e->edx = 0;
        }
    }
}

/* Without a CPUID table the guest sees no long mode; pass on all KVM can do.
   KVM_GET_SUPPORTED_CPUID fails with E2BIG until the buffer is big enough. */
static void vcpu_cpuid(struct vm *vm)
{
    struct kvm_cpuid2 *c;
    int khz;

    for (unsigned n = 64;; n *= 2) {
        c = calloc(1, sizeof *c + (n + 1) * sizeof c->entries[0]);
        if (!c)
            die(STATUS_HOST, "out of memory for CPUID");
        c->nent = n;
        if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            break;
        if (errno != E2BIG || n >= 4096)
            die(STATUS_HOST, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
        free(c);
    }
    khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
    if (khz > 0) {
        bool have = false;
        for (uint32_t i = 0; i < c->nent; i++)
            have |= c->entries[i].function == 0x15;
        if (!have) /* room for one more was allocated above */
            c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 0x15 };
        cpuid_state_tsc(c, (uint32_t)khz);
    }
    KVM_IOCTL(vm->vcpu_fd, KVM_SET_CPUID2, c);
    free(c);
}

/* ---- PVH entry state --------------------------------------------------- */

#define CR0_PE 0x1u
#define CR0_ET 0x10u
#define SEL_CODE 0x10
#define SEL_DATA 0x18
#define SEL_TSS 0x20
#define SEG_CODE_XRA 0xb /* code, execute/read, accessed */
#define SEG_DATA_RWA 0x3 /* data, read/write, accessed */
#define SEG_TSS32_BUSY 0xb

/* A flat 4 GiB, 32-bit, ring-0 segment: base 0, limit 0xffffffff. */
static struct kvm_segment flat_segment(uint16_t selector, uint8_t type)
{
    return (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = selector,
                                 .type = type, .present = 1, .db = 1, .s = 1, .g = 1 };
}

/* pvh.pandoc: "cr0: bit 0 (PE) must be set. All the other writeable bits
   are cleared"; "cr4: all bits are cleared"; CS a 32-bit read/execute and
   DS/ES 32-bit read/write flat segments; "tr: must be a 32-bit TSS (active)
   with a base of '0' and a limit of '0x67'". Selectors are unspecified. */
static void pvh_sregs(struct kvm_sregs *s)
{
    s->cs = flat_segment(SEL_CODE, SEG_CODE_XRA);
    s->ds = s->es = s->ss = s->fs = s->gs = flat_segment(SEL_DATA, SEG_DATA_RWA);
    s->tr = (struct kvm_segment){ .base = 0, .limit = 0x67, .selector = SEL_TSS,
                                  .type = SEG_TSS32_BUSY, .present = 1 };
    s->ldt = (struct kvm_segment){ .unusable = 1 };
    /* No GDT or IDT of ours: an exception before the kernel loads its own
       IDT is a triple fault, which we report. */
    s->gdt.base = s->idt.base = 0;
    s->gdt.limit = s->idt.limit = 0;
    s->cr0 = CR0_PE | CR0_ET;
    s->cr2 = s->cr3 = s->cr4 = 0;
    s->efer = 0;
}

/* pvh.pandoc: "ebx: contains the physical memory address where the loader
   has placed the boot start info structure"; eflags IF, TF and VM clear. */
static void vcpu_pvh_state(struct vm *vm)
{
    struct kvm_regs regs = { .rflags = 0x2, .rip = vm->entry, .rbx = vm->start_info };
    struct kvm_sregs sregs;

    KVM_IOCTL(vm->vcpu_fd, KVM_GET_SREGS, &sregs);
    pvh_sregs(&sregs);
    KVM_IOCTL(vm->vcpu_fd, KVM_SET_SREGS, &sregs);
    KVM_IOCTL(vm->vcpu_fd, KVM_SET_REGS, &regs);
}

/* ---- failure reports --------------------------------------------------- */

struct reg {
    const char *name;
    unsigned long long v;
};

static void print_regs(const struct reg *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "  %-6s %016llx%s", r[i].name, r[i].v,
                i % 4 == 3 || i == n - 1 ? "\n" : "");
}

static void dump_regs(const struct vm *vm)
{
    struct kvm_regs g;
    struct kvm_sregs s;

    if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &g) < 0 || ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
        fprintf(stderr, "bbvm: cannot read the registers: %s\n", strerror(errno));
        return;
    }
    const struct reg r[] = {
        { "rip", g.rip }, { "rsp", g.rsp }, { "rflags", g.rflags }, { "cs", s.cs.selector },
        { "cr0", s.cr0 }, { "cr2", s.cr2 }, { "cr3", s.cr3 }, { "ss", s.ss.selector },
        { "cr4", s.cr4 }, { "efer", s.efer }, { "gdt", s.gdt.base }, { "idt", s.idt.base },
        { "rax", g.rax }, { "rbx", g.rbx }, { "rcx", g.rcx }, { "rdx", g.rdx },
        { "rsi", g.rsi }, { "rdi", g.rdi }, { "rbp", g.rbp }, { "r8", g.r8 },
        { "r9", g.r9 }, { "r10", g.r10 }, { "r11", g.r11 }, { "r12", g.r12 },
        { "r13", g.r13 }, { "r14", g.r14 }, { "r15", g.r15 },
    };
    print_regs(r, sizeof r / sizeof r[0]);
}

/* The guest cannot go on: say why, show where it was, return `status`. */
__attribute__((format(printf, 3, 4)))
static int guest_failed(const struct vm *vm, int status, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("bbvm: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    dump_regs(vm);
    return status;
}

static int internal_error(const struct vm *vm)
{
    const struct kvm_run *run = vm->run;
    unsigned n = run->internal.ndata < 4 ? run->internal.ndata : 4;
    char data[80] = "";

    for (unsigned i = 0, len = 0; i < n && len < sizeof data; i++)
        len += (unsigned)snprintf(data + len, sizeof data - len, " %llx",
                                  (unsigned long long)run->internal.data[i]);
    return guest_failed(vm, STATUS_UNEXPECTED, "KVM internal error, suberror %u (data:%s)",
                        run->internal.suberror, n ? data : " none");
}

/* ---- the run loop ------------------------------------------------------ */

/* KVM hands over accesses as little-endian bytes; the chipset deals in
   values of the access width (1, 2, 4 or 8 bytes; others float high). */
static void board_access(chipset *c, chipset_kind kind, uint64_t addr, unsigned width,
                         bool is_write, uint8_t *data)
{
    uint64_t v = 0;

    if (width == 0 || width > 8 || (width & (width - 1))) {
        if (!is_write)
            memset(data, 0xff, width);
        return;
    }
    if (is_write) {
        for (unsigned i = 0; i < width; i++)
            v |= (uint64_t)data[i] << (8 * i);
        if (kind == CHIPSET_PIO)
            chipset_pio_write(c, (uint16_t)addr, width, v);
        else
            chipset_mmio_write(c, addr, width, v);
        return;
    }
    v = kind == CHIPSET_PIO ? chipset_pio_read(c, (uint16_t)addr, width)
                            : chipset_mmio_read(c, addr, width);
    for (unsigned i = 0; i < width; i++)
        data[i] = (uint8_t)(v >> (8 * i));
}

/* KVM_EXIT_IO: the data sits in the kvm_run page at data_offset; string I/O
   (REP INS/OUTS) hands over `count` items of `size` bytes in a row. */
static void io_exit(struct vm *vm)
{
    struct kvm_run *run = vm->run;
    uint64_t off = run->io.data_offset, bytes = (uint64_t)run->io.count * run->io.size;
    bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
    uint8_t *data = (uint8_t *)run + off;

    if (off > vm->run_size || bytes > vm->run_size - off)
        die(STATUS_UNEXPECTED, "KVM_EXIT_IO data outside the kvm_run page");
    for (uint32_t i = 0; i < run->io.count && !vm->stopped; i++, data += run->io.size)
        board_access(&vm->board, CHIPSET_PIO, run->io.port, run->io.size, is_write, data);
}

static void mmio_exit(struct vm *vm)
{
    struct kvm_run *run = vm->run;
    unsigned len = run->mmio.len < sizeof run->mmio.data ? run->mmio.len : sizeof run->mmio.data;

    board_access(&vm->board, CHIPSET_MMIO, run->mmio.phys_addr, len, run->mmio.is_write,
                 run->mmio.data);
}

/* ---- the vCPU thread ---------------------------------------------------- */

//! [kick]
/* Other threads bring the vCPU thread out of KVM_RUN with SIGUSR1. The
   signal is blocked in every thread at all times, except inside KVM_RUN
   (KVM_SET_SIGNAL_MASK): so it interrupts the guest and nothing else, no
   write() or lock of ours ever fails with EINTR, and a kick sent while the
   thread is elsewhere stays pending and ends its next KVM_RUN at once. No
   kick is ever lost between "look for work" and "enter the guest". */
static void on_kick(int sig)
{
    (void)sig;          /* never runs: the signal is taken by sigtimedwait */
}

static void vcpu_kick(struct vm *vm, enum kick_reason why)
{
    __atomic_fetch_add(&vm->kicks[why], 1, __ATOMIC_RELAXED);   /* for --stats */
    pthread_kill(vm->vcpu_thread, SIGUSR1);
}

/* Before any thread starts, so that all of them inherit the blocked mask. */
static void kick_setup(void)
{
    struct sigaction sa;
    sigset_t usr1;
    int err;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_kick;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (sigaction(SIGUSR1, &sa, NULL) < 0)
        die(STATUS_HOST, "sigaction: %s", strerror(errno));
    if ((err = pthread_sigmask(SIG_BLOCK, &usr1, NULL)) != 0)
        die(STATUS_HOST, "pthread_sigmask: %s", strerror(err));
}

/* The mask KVM_RUN runs with: the thread's own, SIGUSR1 let through. The
   kernel's sigset is 8 bytes on x86-64, the length KVM insists on. */
static void vcpu_signal_mask(struct vm *vm)
{
    _Alignas(struct kvm_signal_mask) uint8_t buf[sizeof(struct kvm_signal_mask) + 8];
    struct kvm_signal_mask *m = (struct kvm_signal_mask *)buf;
    sigset_t run;

    pthread_sigmask(SIG_SETMASK, NULL, &run);
    sigdelset(&run, SIGUSR1);
    m->len = 8;
    memcpy(m->sigset, &run, 8);
    KVM_IOCTL(vm->vcpu_fd, KVM_SET_SIGNAL_MASK, m);
}

/* KVM_RUN ended with EINTR: take the kick, which is still pending (blocked
   again outside KVM_RUN), so that the next KVM_RUN does not end at once. */
static void kick_consume(void)
{
    static const struct timespec now = { 0, 0 };
    sigset_t usr1;

    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    while (sigtimedwait(&usr1, NULL, &now) > 0)
        ;
}
//! [kick]

/* With the LAPIC in KVM, HLT blocks inside KVM_RUN: a guest that halts with
   interrupts off (RFLAGS.IF = 0) sleeps forever, since only an NMI, which
   nothing here sends, could wake it. The device loop's watchdog timer kicks
   the vCPU once a second so that this can be looked at. */
static bool halted_for_good(const struct vm *vm)
{
    struct kvm_mp_state mp;
    struct kvm_regs regs;

    KVM_IOCTL(vm->vcpu_fd, KVM_GET_MP_STATE, &mp);
    KVM_IOCTL(vm->vcpu_fd, KVM_GET_REGS, &regs);
    return mp.mp_state == KVM_MP_STATE_HALTED && !(regs.rflags & (1u << 9));
}

//! [run-loop]
/* One exit, served with the board locked: -1 to go on, else the status the
   run ends with. */
static int handle_exit(struct vm *vm)
{
    struct kvm_run *run = vm->run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO: /* served by a device or the unclaimed path: go on */
        io_exit(vm);
        break;
    case KVM_EXIT_MMIO: /* served by the IOAPIC or the unclaimed path: go on */
        mmio_exit(vm);
        break;
    case KVM_EXIT_IOAPIC_EOI: /* the LAPIC's EOI broadcast reaches our IOAPIC: go on */
        irq_eoi_broadcast(&vm->lines, run->eoi.vector);
        break;
    case KVM_EXIT_IRQ_WINDOW_OPEN: /* the guest can take the PIC's vector: go on */
    case KVM_EXIT_HLT: /* only without the in-kernel LAPIC: go on */
    case KVM_EXIT_INTR: /* a signal interrupted the guest: go on */
        break;
    case KVM_EXIT_SHUTDOWN: /* failure: a triple fault */
        return guest_failed(vm, STATUS_TRIPLE, "guest triple fault");
    case KVM_EXIT_FAIL_ENTRY: /* failure: the CPU refused the guest state */
        return guest_failed(vm, STATUS_UNEXPECTED, "VM entry failed, hardware reason %#llx",
                            (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
    case KVM_EXIT_INTERNAL_ERROR: /* failure: KVM could not go on */
        return internal_error(vm);
    default: /* failure: an exit we never asked for */
        return guest_failed(vm, STATUS_UNEXPECTED, "unexpected KVM exit reason %u",
                            run->exit_reason);
    }
    return vm->stopped ? vm->status : -1; /* success: the guest chose its status */
}

static int vm_run(struct vm *vm)
{
    int status = -1;

    vcpu_signal_mask(vm);
    while (status < 0) {
        pthread_mutex_lock(&vm->lock);
        pic_inject(vm);
        pthread_mutex_unlock(&vm->lock);
        if (ioctl(vm->vcpu_fd, KVM_RUN, NULL) < 0) {
            if (errno != EINTR && errno != EAGAIN)
                die(STATUS_HOST, "KVM_RUN: %s", strerror(errno));
            kick_consume();     /* kicked: by the watchdog, or for the PIC */
            if (halted_for_good(vm)) /* failure: a dead guest */
                return guest_failed(vm, STATUS_HALTED,
                                    "guest halted with interrupts off: it can never wake");
            continue;
        }
        vm->exits++;
        pthread_mutex_lock(&vm->lock);
        status = handle_exit(vm);
        pthread_mutex_unlock(&vm->lock);
        tx_flush(vm);
    }
    return status;
}
//! [run-loop]

static void *vcpu_main(void *arg)
{
    struct vm *vm = arg;

    on_vcpu_thread = true;
    vm->run_status = vm_run(vm);
    __atomic_store_n(&vm->finished, true, __ATOMIC_RELEASE);
    platform_irq_trigger(HOST_IRQ_VCPU);    /* the device loop can stop */
    return NULL;
}

/* ---- the device loop ----------------------------------------------------- */

/* The kernels' own event loop (arch/common/kernel.c) on the host port
   (vm/host/): it sleeps in ppoll() until host input, a trigger from the
   vCPU thread or the models' next deadline. Everything it does to the
   models, it does holding the board lock. */

//! [board-timer]
/* Advance every model to now and sleep until the earliest deadline any of
   them asks for (the IOAPIC's storm guard, for one). */
static void board_advance(struct vm *vm)
{
    uint64_t next;

    pthread_mutex_lock(&vm->lock);
    next = chipset_advance(&vm->board, platform_now());
    pthread_mutex_unlock(&vm->lock);
    if (next == CHIPSET_NEVER)
        timer_cancel(&kernel_timers, &vm->board_timer);
    else
        timer_start(&kernel_timers, &vm->board_timer, next);
}

static void on_board_timer(timer *t, void *arg)
{
    (void)t;
    board_advance(arg);
}
//! [board-timer]

static void on_watchdog(timer *t, void *arg)
{
    vcpu_kick(arg, KICK_WATCHDOG);
    timer_repeat(&kernel_timers, t, timer_ms(1000));
}

static bool input_push(struct vm *vm);
static void input_read(struct vm *vm);

/* The vCPU thread handed something over: a model's deadline may have
   moved, or the guest made room for held input. */
static void on_vcpu_event(void *ctx, unsigned irq)
{
    struct vm *vm = ctx;
    bool resume;

    (void)irq;
    pthread_mutex_lock(&vm->lock);
    resume = vm->input_resume;
    vm->input_resume = false;
    pthread_mutex_unlock(&vm->lock);
    if (resume && input_push(vm))   /* what was left first, then more */
        input_read(vm);
    board_advance(vm);
}

//! [input]
/* Host input is one read request at a time: an async_work (@ref async)
   whose backend is the input line. Submitting it turns the line on; when
   the fd turns readable, the line's handler reads no more than the UART has
   room for, outside the board lock, and completes the request with the
   byte count. The done callback hands the bytes to the UART and submits
   the next read only if the UART can take more. Otherwise the bytes wait
   in the host's pipe or terminal until the guest's read of RBR makes room
   (com1_read, on_vcpu_event). The few bytes the UART cannot take after all
   (the guest turned loopback on in between) wait in in_buf. */
static void input_submit(async_work *w)
{
    (void)w;
    kernel_irq_on(PLATFORM_CONSOLE_IRQ);
}

static void input_cancel(async_work *w)
{
    kernel_irq_off(PLATFORM_CONSOLE_IRQ);
    async_complete(&kernel_rt, w, ASYNC_CANCELLED);
}

static const async_ops input_ops = { input_submit, input_cancel };

/* The line: the input fd is readable (or at its end). */
static void on_input(void *ctx, unsigned irq)
{
    struct vm *vm = ctx;
    unsigned room;
    ssize_t n;

    kernel_irq_off(irq);                    /* one read per request */
    if (async_state_of(&vm->input_work) != ASYNC_LIVE)
        return;
    pthread_mutex_lock(&vm->lock);
    room = uart16550_model_rx_space(&vm->com1);
    pthread_mutex_unlock(&vm->lock);
    if (room > sizeof vm->in_buf)
        room = sizeof vm->in_buf;
    n = room ? read(vm->input_fd, vm->in_buf, room) : -1;
    async_complete(&kernel_rt, &vm->input_work,
                   !room ? -EAGAIN : n < 0 ? -errno : (int)n);
}

/* Move what was read into the UART; true if it took it all and has room
   for more. Device loop only. */
static bool input_push(struct vm *vm)
{
    bool held;

    pthread_mutex_lock(&vm->lock);
    while (vm->in_pos < vm->in_len && uart16550_model_rx_space(&vm->com1) > 0)
        uart16550_model_receive(&vm->com1, vm->in_buf[vm->in_pos++]);
    if (vm->in_pos == vm->in_len)
        vm->in_pos = vm->in_len = 0;
    held = vm->in_len > 0 || uart16550_model_rx_space(&vm->com1) == 0;
    vm->input_held = held;
    pthread_mutex_unlock(&vm->lock);
    return !held;
}

/* Ask for the next read, if there is input and none is asked for yet. */
static void input_read(struct vm *vm)
{
    if (vm->input_fd >= 0 && async_state_of(&vm->input_work) == ASYNC_DEAD)
        async_submit(&kernel_rt, &vm->input_work);
}

static void input_done(async_work *w, int result)
{
    struct vm *vm = w->ctx;

    if (result == 0 || (result < 0 && result != -EAGAIN && result != -EINTR &&
                        result != ASYNC_CANCELLED)) {
        if (result < 0)
            fprintf(stderr, "bbvm: warning: reading input: %s; no more input\n",
                    strerror(-result));
        host_irq_attach_fd(PLATFORM_CONSOLE_IRQ, -1);   /* end of input */
        vm->input_fd = -1;
        return;
    }
    if (result > 0) {
        vm->in_pos = 0;
        vm->in_len = (unsigned)result;
        vm->input_bytes += (uint64_t)result;
    }
    if (input_push(vm))
        input_read(vm);     /* else on_vcpu_event asks once there is room */
}
//! [input]

/* Standard input feeds the UART unless it is closed, write-only, or a
   terminal this process does not own (a background job reading it would be
   stopped by SIGTTIN). */
static bool input_usable(void)
{
    int fl = fcntl(STDIN_FILENO, F_GETFL);

    if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY)
        return false;
    return !isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) == getpgrp();
}

/* The fd to read input from. A pipe or terminal gets its own non-blocking
   open file description (through /proc), so that a read never blocks the
   device loop even if another process takes the bytes ppoll() saw, and
   without changing the flags of a description we share with our parent.
   A regular file never blocks and must keep its offset: it is read as is;
   so is anything /proc cannot reopen (a socket). */
static int input_open(void)
{
    struct stat st;
    int fd;

    if (fstat(STDIN_FILENO, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
        return STDIN_FILENO;
    fd = open("/proc/self/fd/0", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    return fd >= 0 ? fd : STDIN_FILENO;
}

static bool vcpu_finished(void *ctx)
{
    return __atomic_load_n(&((struct vm *)ctx)->finished, __ATOMIC_ACQUIRE);
}

static void devloop_init(struct vm *vm)
{
    static const struct boot_info host = { "host", "bbvm", "standard input", 0, "" };

    kernel_init_runtime(&host);
    vm->input_fd = -1;
    if (vm->input && input_usable()) {
        vm->input_fd = input_open();
        host_irq_attach_fd(PLATFORM_CONSOLE_IRQ, vm->input_fd);
    }
    kernel_irq_register(PLATFORM_CONSOLE_IRQ, on_input, vm);
    kernel_irq_off(PLATFORM_CONSOLE_IRQ);   /* on while a read is asked for */
    async_work_init(&vm->input_work, &input_ops, input_done, vm);
    input_read(vm);
    kernel_irq_register(HOST_IRQ_VCPU, on_vcpu_event, vm);
    timer_init(&vm->board_timer, on_board_timer, vm);
    timer_init(&vm->watchdog, on_watchdog, vm);
    timer_start(&kernel_timers, &vm->watchdog, platform_now() + timer_ms(1000));
}

//! [devloop]
/* The vCPU runs the guest on its own thread; this one runs the device loop
   until the vCPU thread is done. */
static int vm_start(struct vm *vm)
{
    int err;

    kick_setup();
    devloop_init(vm);
    if ((err = pthread_mutex_init(&vm->lock, NULL)) != 0 ||
        (err = pthread_create(&vm->vcpu_thread, NULL, vcpu_main, vm)) != 0)
        die(STATUS_HOST, "vCPU thread: %s", strerror(err));
    kernel_loop(vcpu_finished, vm);
    pthread_join(vm->vcpu_thread, NULL);
    return vm->run_status;
}
//! [devloop]

/* Flags, then the kernel file: all checked before /dev/kvm is opened. */
static void load_kernel(struct vm *vm, const struct options *o)
{
    struct loader_result r;
    size_t size;
    uint64_t rsdp;
    uint8_t *file = read_kernel(o->kernel, &size);

    vm->ram_size = o->mem;
    vm->ram = map_ram(o->mem);
    if (loader_load_pvh(file, size, vm->ram, vm->ram_size, &r))
        die(STATUS_KERNEL, "%s: %s", o->kernel, r.msg);
    free(file);
    vm->entry = r.entry;
    if (loader_start_info(vm->ram, vm->ram_size, o->cmdline, &vm->start_info, &r))
        die(STATUS_USAGE, "%s", r.msg); /* parse_args already checked it */
    /* ACPI tables in the reserved BIOS area, their RSDP in the start info,
       so a kernel finds the IOAPIC from the MADT here as on QEMU. */
    if (acpi_build(vm->ram, vm->ram_size, ACPI_AREA_PADDR, ACPI_AREA_SIZE, &rsdp) ||
        loader_set_rsdp(vm->ram, vm->ram_size, rsdp, &r))
        die(STATUS_HOST, "no room for the ACPI tables"); /* RAM >= 4 MiB: cannot happen */
}

int main(int argc, char **argv)
{
    static struct vm vm;
    struct options o = { .mem = MEM_DEFAULT, .cmdline = "", .kvm_device = "/dev/kvm" };
    int status;

    parse_args(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout must not kill the monitor */
    if (o.check_kvm) {
        /* Every step the real run takes before it loads a kernel; each
           failure is the same one-line error (status 6) a run would give. */
        kvm_open(&vm, o.kvm_device);
        vm_create(&vm);
        vcpu_create(&vm);
        fprintf(stderr, "bbvm: %s can run this monitor's VMs\n", o.kvm_device);
        return 0;
    }
    load_kernel(&vm, &o);
    kvm_open(&vm, o.kvm_device);
    vm_create(&vm);
    vm_add_ram(&vm);
    vcpu_create(&vm);
    vcpu_cpuid(&vm);
    vcpu_pvh_state(&vm);
    devices_init(&vm);
    vm.input = !o.no_input;
    status = vm_start(&vm);
    if (o.stats) {
        chipset_visit_counters(&vm.board, print_counters, NULL);
        fprintf(stderr, "bbvm: device loop: %llu passes, %llu waits; input %llu bytes\n",
                (unsigned long long)kernel_stats.iterations,
                (unsigned long long)kernel_stats.waits, (unsigned long long)vm.input_bytes);
        /* "no kick" rather than "0 kicks": a test can tell them apart. */
        fprintf(stderr, "bbvm: vCPU: %llu exits; ", (unsigned long long)vm.exits);
        if (vm.kicks[KICK_PIC])
            fprintf(stderr, "%llu kicks for the 8259", (unsigned long long)vm.kicks[KICK_PIC]);
        else
            fputs("no kick for the 8259", stderr);
        fprintf(stderr, ", %llu by the watchdog\n", (unsigned long long)vm.kicks[KICK_WATCHDOG]);
    }
    fflush(stdout);
    return status;
}
