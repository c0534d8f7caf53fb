/* main.c - bbvm, Breadboard's KVM monitor: one x86 vCPU, a PVH kernel, and a
   PC board of the models in hdr/ (vm.h lists the parts).

   Usage: bbvm [options] KERNEL   (`bbvm --help` lists the options)

   The monitor checks everything the operator gave it (flags, then the kernel
   file) before it opens /dev/kvm, builds a VM with guest RAM at physical 0,
   enters the kernel as the PVH boot ABI says (Xen docs/misc/pvh.pandoc), and
   serves its port I/O until the guest asks to stop or fails.

   STANDARD INPUT
   By default (--input serial) standard input feeds COM1's receiver, byte
   for byte. With --input keyboard it types on the i8042's PS/2 keyboard
   instead: each byte is the US-layout key that types it (i8042.h's
   i8042_ascii_to_hid()), pressed and released, with left Shift pressed
   around it where the character needs it; '\n' and '\r' are Enter, DEL
   (a terminal's Backspace key) is Backspace; a byte no key types is
   dropped, with a warning on stderr at most once a second.
   Either way only as much is read as the device has room for (16 bytes
   of the UART's FIFO, whole keys of the keyboard's 16-byte buffer), so a
   guest that does not read holds the rest in the host's pipe or terminal
   and nothing is lost. With --input virtio it goes to the virtio console
   (the PCI one if its driver is ready, else the virtio-mmio one), as much
   as the guest's receive buffers take, the rest waiting likewise.
   -n/--no-input leaves standard input alone.

   COMMAND LINE
   The kernel's command line is the operator's (-c) followed by
   BOARD_VIRTIO_MMIO_CMDLINE (vm/board.h), which tells Linux where the
   virtio-mmio devices are; so -c has that much less room.

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
     14  the guest powered the machine off (ACPI soft-off: SLP_EN written
         to PM1a_CNT with the DSDT's \_S5 sleep type)
     16  the guest reset the machine (the FADT's reset register, port
         0xcf9); the monitor does not reboot it
   Usage, kernel and host errors are one line on stderr starting with
   "bbvm: "; statuses 8, 10 and 12 add a register dump below that line. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acpi.h"
#include "loader.h"
#include "vm.h"

#define MEM_DEFAULT (32ull << 20)
#define MEM_MIN (4ull << 20)
#define MEM_MAX (3ull << 30)            /* RAM stays below the 3..4 GiB hole */
#define KERNEL_FILE_MAX (1ull << 30)

/* The loader keeps kernels clear of the area the ACPI tables go to. */
_Static_assert(ACPI_AREA_PADDR == LOADER_TABLES_BASE &&
               ACPI_AREA_PADDR + ACPI_AREA_SIZE == LOADER_TABLES_END,
               "vm/loader.h and vm/acpi.h disagree on the firmware table area");

/* ---- errors ------------------------------------------------------------ */

void die(int status, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout); /* the guest's output first, then why it ended */
    devloop_drain();
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

static const char help_text[] =
    "Usage: bbvm [options] KERNEL\n"
    "       bbvm --qtest[=unix:PATH] [options] [KERNEL]\n"
    "Run KERNEL, an x86 PVH ELF image (32- or 64-bit), in a KVM virtual machine\n"
    "with one vCPU (its LAPIC in KVM), an 8259 pair, an IOAPIC at 0xfec00000, the\n"
    "ACPI PM registers and PM timer at port 0x600, ACPI tables describing them, a\n"
    "16550 UART at port 0x3f8 fed by standard input and writing to standard output,\n"
    "an i8042 keyboard controller at ports 0x60/0x64 with a PS/2 keyboard (which\n"
    "standard input types on with --input keyboard) and mouse, virtio entropy\n"
    "sources and consoles on PCI (00:03.0, 00:04.0) and virtio-mmio (0xfeb00000,\n"
    "0xfeb00200; announced on the kernel command line), and an\n"
    "isa-debug-exit device at port 0xf4 (as in QEMU) that ends the run.\n"
    "\n"
    "Options:\n"
    "  -m, --mem SIZE      guest RAM in bytes; a K, M or G suffix multiplies by\n"
    "                      2^10, 2^20, 2^30. From 4M to 3G, a multiple of 4K.\n"
    "                      Default 32M.\n"
    "  -c, --cmdline TEXT  kernel command line, at most 4021 bytes (bbvm appends\n"
    "                      the virtio-mmio devices' virtio_mmio.device= words).\n"
    "                      Default empty.\n"
    "  -n, --no-input      leave standard input alone (by default it feeds the\n"
    "                      UART's receiver, from the start: bytes that arrive\n"
    "                      before the guest sets the UART up may be lost)\n"
    "      --input serial|keyboard  where standard input goes: serial (the\n"
    "                      default) feeds COM1's receiver; keyboard types each\n"
    "                      byte on the PS/2 keyboard as the US-layout key for it\n"
    "                      (Shift around it as needed, newline is Enter; a byte no\n"
    "                      key types is dropped with a warning). Only as much is\n"
    "                      read as the device has room for. virtio feeds the\n"
    "                      virtio console's receive queue instead.\n"
    "  -s, --stats         at the end, print to stderr each device's access counts,\n"
    "                      the device loop's passes and input, and the vCPU's\n"
    "                      exits and kicks\n"
    "      --kvm-device PATH  the KVM device to use. Default /dev/kvm.\n"
    "      --rtc-base TIME  the CMOS clock reads TIME (UTC, YYYY-MM-DDTHH:MM:SS,\n"
    "                      years 1970..2099) when the machine starts, and runs on\n"
    "                      from there. Default: the host's wall clock.\n"
    "      --check-kvm     only check that this host can run bbvm's VM (KVM API,\n"
    "                      a VM with the split irqchip, a vCPU) and exit: 0 if it\n"
    "                      can, 6 with the reason if not. No KERNEL then.\n"
    "      --qtest[=unix:PATH]  build the same machine with no VM and no vCPU,\n"
    "                      and serve QEMU's qtest line protocol on it, on standard\n"
    "                      input and output or on a Unix socket at PATH, with a\n"
    "                      virtual clock (book: \"Testing the board without a CPU\").\n"
    "                      KERNEL, if given, is loaded into guest RAM.\n"
    "  -h, --help          print this help and exit with status 0\n"
    "\n"
    "Exit status:\n"
    "  (code << 1) | 1  the guest wrote code to port 0xf4 (1-byte OUT)\n"
    "  2   usage error (unknown option, missing or bad value, no KERNEL)\n"
    "  4   KERNEL is missing, unreadable or not a loadable PVH kernel\n"
    "  6   host or KVM error\n"
    "  8   the guest triple-faulted (registers dumped to stderr)\n"
    "  10  KVM stopped the guest for another reason (registers dumped to stderr)\n"
    "  12  the guest halted with interrupts off and can never wake (registers dumped)\n"
    "  14  the guest powered the machine off (ACPI S5)\n"
    "  16  the guest reset the machine (reset register 0xcf9)\n";

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

/* The operator's command line, then a blank and the board's words. */
#define CMDLINE_ROOM (LOADER_CMDLINE_MAX - (sizeof BOARD_VIRTIO_MMIO_CMDLINE - 1) - 1)
_Static_assert(CMDLINE_ROOM == 4021, "--help gives the command line's limit");

static const char *check_cmdline(const char *s)
{
    if (strlen(s) > CMDLINE_ROOM)
        usage_error("command line is %zu bytes; the limit is %u", strlen(s),
                    (unsigned)CMDLINE_ROOM);
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

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; y >= 1970). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    static const unsigned before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    int64_t leaps = (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400 - (1969 / 4 - 1969 / 100 + 1969 / 400);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return (y - 1970) * 365 + leaps + before[m - 1] + (m > 2 && leap) + (d - 1);
}

/* YYYY-MM-DDTHH:MM:SS, every field checked, UTC: unix seconds. */
static int64_t parse_rtc_base(const char *s)
{
    static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    unsigned f[6] = { 0 }, k = 0;
    bool leap;

    if (strlen(s) != sizeof shape - 1)
        usage_error("bad --rtc-base '%.64s': want YYYY-MM-DDTHH:MM:SS", s);
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] != 'd') {
            if (s[i] != shape[i])
                usage_error("bad --rtc-base '%.64s': want YYYY-MM-DDTHH:MM:SS", s);
            k++;
        } else if (s[i] < '0' || s[i] > '9') {
            usage_error("bad --rtc-base '%.64s': want YYYY-MM-DDTHH:MM:SS", s);
        } else {
            f[k] = f[k] * 10 + (unsigned)(s[i] - '0');
        }
    }
    leap = (f[0] % 4 == 0 && f[0] % 100 != 0) || f[0] % 400 == 0;
    if (f[0] < 1970 || f[0] > 2099 || f[1] < 1 || f[1] > 12 || f[2] < 1 ||
        f[2] > mdays[f[1] - 1] || (f[1] == 2 && f[2] == 29 && !leap) || f[3] > 23 ||
        f[4] > 59 || f[5] > 59)
        usage_error("--rtc-base '%.64s' is not a time from 1970 to 2099", s);
    return days_from_civil(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
}

/* "unix:PATH" (or "stdio"); sun_path holds 107 bytes and a NUL. */
static const char *check_qtest(const char *v)
{
    if (strcmp(v, "stdio") == 0)
        return v;
    if (strncmp(v, "unix:", 5) != 0 || v[5] == '\0')
        usage_error("bad --qtest '%.64s': want --qtest, --qtest=stdio or --qtest=unix:PATH", v);
    if (strlen(v + 5) > 107)
        usage_error("--qtest socket path is %zu bytes; the limit is 107", strlen(v + 5));
    return v;
}

static enum input_mode parse_input(const char *v)
{
    if (strcmp(v, "serial") == 0)
        return INPUT_SERIAL;
    if (strcmp(v, "keyboard") == 0)
        return INPUT_KEYBOARD;
    if (strcmp(v, "virtio") == 0)
        return INPUT_VIRTIO;
    usage_error("bad --input '%.64s': want --input serial, keyboard or virtio", v);
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
        else if (strcmp(a, "--qtest") == 0)
            o->qtest = "stdio";
        else if (strncmp(a, "--qtest=", 8) == 0)
            o->qtest = check_qtest(a + 8);
        else if (strcmp(a, "-n") == 0 || strcmp(a, "--no-input") == 0)
            o->no_input = true;
        else if ((v = long_value(argc, argv, &i, "--input")))
            o->input = parse_input(v);
        else if ((v = long_value(argc, argv, &i, "--kvm-device")))
            o->kvm_device = v;
        else if ((v = long_value(argc, argv, &i, "--rtc-base"))) {
            o->rtc_base = parse_rtc_base(v);
            o->rtc_fixed = true;
        }
        else if ((v = opt_value(argc, argv, &i, "-m", "--mem")))
            o->mem = parse_mem(v);
        else if ((v = opt_value(argc, argv, &i, "-c", "--cmdline")))
            o->cmdline = check_cmdline(v);
        else
            usage_error("unknown option '%.64s'", a);
    }
    if (o->qtest && o->check_kvm)
        usage_error("--qtest and --check-kvm exclude each other");
    if (!o->kernel && !o->check_kvm && !o->qtest)
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

/* ---- guest memory ------------------------------------------------------ */

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

/* Guest RAM as both modes see it: the kernel, if one was given (a qtest
   board may have none), its start info, and the ACPI tables in the
   reserved BIOS area with their RSDP in the start info, so a kernel finds
   the IOAPIC from the MADT here as on QEMU. The kernel file is read
   before RAM is mapped (an operator's bad file is status 4 even where the
   host cannot give the RAM) and checked before /dev/kvm is ever opened. */
void vm_memory_setup(struct vm *vm)
{
    const struct options *o = &vm->opt;
    struct loader_result r;
    uint64_t rsdp;
    size_t size = 0;
    uint8_t *file = o->kernel ? read_kernel(o->kernel, &size) : NULL;
    static char cmdline[LOADER_CMDLINE_MAX + 1];

    vm->ram_size = o->mem;
    vm->ram = map_ram(o->mem);
    if (file) {
        if (loader_load_pvh(file, size, vm->ram, vm->ram_size, &r))
            die(STATUS_KERNEL, "%s: %s", o->kernel, r.msg);
        free(file);
        vm->vcpu.entry = r.entry;
    }
    snprintf(cmdline, sizeof cmdline, "%s%s%s", o->cmdline, *o->cmdline ? " " : "",
             BOARD_VIRTIO_MMIO_CMDLINE);     /* parse_args checked that it fits */
    if (loader_start_info(vm->ram, vm->ram_size, cmdline, &vm->vcpu.start_info, &r))
        die(STATUS_USAGE, "%s", r.msg); /* parse_args already checked it */
    if (acpi_build(vm->ram, vm->ram_size, ACPI_AREA_PADDR, ACPI_AREA_SIZE, &rsdp) ||
        loader_set_rsdp(vm->ram, vm->ram_size, rsdp, &r))
        die(STATUS_HOST, "no room for the ACPI tables"); /* RAM >= 4 MiB: cannot happen */
}

/* ---- the modes ------------------------------------------------------------ */

/* The board, with its battery-backed clock set: to --rtc-base, or to the
   host's wall clock now. */
void board_build(struct vm *vm, const struct board_hooks *h)
{
    struct timespec ts = { 0, 0 };

    if (!board_init(&vm->board, h))
        die(STATUS_HOST, "internal error: the board does not build (see above)");
    board_set_ram(&vm->board, vm->ram, vm->ram_size);
    if (vm->opt.rtc_fixed)
        ts.tv_sec = (time_t)vm->opt.rtc_base;
    else if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        die(STATUS_HOST, "clock_gettime(CLOCK_REALTIME): %s", strerror(errno));
    board_set_wall(&vm->board, (int64_t)ts.tv_sec, (uint32_t)ts.tv_nsec);
}

//! [kvm-run]
/* A KVM run: the vCPU runs the guest on its own thread; this one runs the
   device loop until the vCPU thread is done. The board's hooks are the
   vCPU's (interrupt messages, ExtINT, output, the exit request) and the
   loop's (its clock, room for input, deadlines). */
static int kvm_main(struct vm *vm)
{
    struct board_hooks h = { 0 };       /* each side fills in its part */
    int err, status;

    vm_memory_setup(vm);
    kvm_open(vm, vm->opt.kvm_device);
    kvm_create(vm);
    kvm_setup_guest(vm);
    kvm_board_hooks(vm, &h);
    devloop_board_hooks(vm, &h);
    devloop_init(vm, vm->opt.no_input ? INPUT_NONE : vm->opt.input);
    board_build(vm, &h);
    if ((err = pthread_mutex_init(&vm->lock, NULL)) != 0)
        die(STATUS_HOST, "board lock: %s", strerror(err));
    kvm_start(vm);
    devloop_run(vm, kvm_finished);
    status = kvm_join(vm);
    devloop_finish(vm);
    kvm_report(vm);                     /* a failed guest's report, after its output */
    board_stop(&vm->board);
    return status;
}
//! [kvm-run]

int main(int argc, char **argv)
{
    static struct vm vm;
    int status;

    vm.opt = (struct options){ .mem = MEM_DEFAULT, .cmdline = "", .kvm_device = "/dev/kvm" };
    parse_args(argc, argv, &vm.opt);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout must not kill the monitor */
    if (vm.opt.check_kvm) {
        kvm_open(&vm, vm.opt.kvm_device);
        kvm_create(&vm);
        fprintf(stderr, "bbvm: %s can run this monitor's VMs\n", vm.opt.kvm_device);
        return 0;
    }
    if (vm.opt.qtest) {
        vm_memory_setup(&vm);
        return qtest_run(&vm, vm.opt.qtest);
    }
    status = kvm_main(&vm);
    if (vm.opt.stats) {
        board_print_counters(&vm.board);
        devloop_print_stats(&vm);
        kvm_print_stats(&vm);
    }
    fflush(stdout);
    return status;
}
