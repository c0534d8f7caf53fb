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

/* ---- operator input (options.c parses it) ------------------------------ */

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
    "Options may come before or after KERNEL; after -- every argument is KERNEL.\n"
    "An option given twice counts once, as it was given last. -n and --input\n"
    "exclude each other, as do --qtest and --check-kvm.\n"
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
    "      --input serial|keyboard|virtio  where standard input goes: serial (the\n"
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
    "  -h, --help          print this help and exit with status 0\n";

/* ... in two strings: C11 promises string literals of 4095 bytes only. */
static const char help_status[] =
    "\n"
    "Exit status:\n"
    "  (code << 1) | 1  the guest wrote code to port 0xf4 (1-byte OUT)\n"
    "  2   usage error (unknown option, missing or bad value, options that\n"
    "      exclude each other, no KERNEL or one too many)\n"
    "  4   KERNEL is missing, unreadable, not a regular file, over 1 GiB, or not a\n"
    "      loadable PVH kernel (the line names the field that is wrong)\n"
    "  6   host or KVM error: the KVM device cannot be opened or is no KVM, or\n"
    "      refuses the VM; guest RAM cannot be mapped (the failing call is named)\n"
    "  8   the guest triple-faulted (registers dumped to stderr)\n"
    "  10  KVM stopped the guest for another reason (registers dumped to stderr)\n"
    "  12  the guest halted with interrupts off and can never wake (registers dumped)\n"
    "  14  the guest powered the machine off (ACPI S5)\n"
    "  16  the guest reset the machine (reset register 0xcf9)\n"
    "Statuses 2, 4 and 6 come with one line on stderr, \"bbvm: \" and the reason\n"
    "(2's ends with \"(try 'bbvm --help')\"); 8, 10 and 12 add the guest's\n"
    "registers below it. The book's chapter \"Running bbvm\" lists every message.\n";

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

//! [monitor-memory]
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
             BOARD_VIRTIO_MMIO_CMDLINE);     /* options_parse checked that it fits */
    if (loader_start_info(vm->ram, vm->ram_size, cmdline, &vm->vcpu.start_info, &r))
        die(STATUS_USAGE, "%s", r.msg); /* options_parse already checked it */
    if (acpi_build(vm->ram, vm->ram_size, ACPI_AREA_PADDR, ACPI_AREA_SIZE, &rsdp) ||
        loader_set_rsdp(vm->ram, vm->ram_size, rsdp, &r))
        die(STATUS_HOST, "no room for the ACPI tables"); /* RAM >= 4 MiB: cannot happen */
}
//! [monitor-memory]

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

//! [monitor-main]
int main(int argc, char **argv)
{
    static struct vm vm;
    char err[512];
    int status;

    status = options_parse(argc, argv, &vm.opt, err, sizeof err);
    if (status == OPTIONS_HELP) {
        fputs(help_text, stdout);
        fputs(help_status, stdout);
        return 0;
    }
    if (status != 0)
        die(status, "%s (try 'bbvm --help')", err);
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
//! [monitor-main]
