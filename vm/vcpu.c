/* vcpu.c - bbvm's vCPU: the thread that runs KVM_RUN, the exits served
   through the board (board.h), failures reported with the registers, and
   the board's interrupt outputs turned into what KVM's in-kernel LAPIC
   takes: MSIs for the IOAPIC's messages, KVM_INTERRUPT for the 8259's
   ExtINT.

   Threads: the vCPU thread runs KVM_RUN and serves each exit with the board
   locked (vm->lock); the device loop (devloop.c) calls into the board under
   the same lock. Nothing that can block on the outside world runs under it:
   guest output goes into the device loop's ring (devloop.c), which the loop
   writes out. */
#define _GNU_SOURCE /* pthread_kill, sigset_t helpers */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm.h"
#include "loop.h"   /* platform_irq_trigger: hand work to the device loop */

static _Thread_local bool on_vcpu_thread;   /* which thread is this? */

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

    if (ioctl(vm->vcpu.vcpu_fd, KVM_GET_REGS, &g) < 0 || ioctl(vm->vcpu.vcpu_fd, KVM_GET_SREGS, &s) < 0) {
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

/* The guest cannot go on: note why and return `status`. The report (why,
   and where it was) waits for kvm_report(), after the run: the guest's
   last output is still in the device loop's ring when this thread sees
   the failure (a triple fault comes right after the OUT that printed why),
   and it must come out first. */
__attribute__((format(printf, 3, 4)))
static int guest_failed(struct vm *vm, int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(vm->vcpu.report, sizeof vm->vcpu.report, fmt, ap);
    va_end(ap);
    vm->vcpu.failed = true;
    return status;
}

void kvm_report(const struct vm *vm)
{
    if (!vm->vcpu.failed)
        return;
    fflush(stdout);
    fprintf(stderr, "bbvm: %s\n", vm->vcpu.report);
    dump_regs(vm);  /* the vCPU thread is done: its registers stay as it left them */
}

static int internal_error(struct vm *vm)
{
    const struct kvm_run *run = vm->vcpu.run;
    unsigned n = run->internal.ndata < 4 ? run->internal.ndata : 4;
    char data[80] = "";

    for (unsigned i = 0, len = 0; i < n && len < sizeof data; i++)
        len += (unsigned)snprintf(data + len, sizeof data - len, " %llx",
                                  (unsigned long long)run->internal.data[i]);
    return guest_failed(vm, STATUS_UNEXPECTED, "KVM internal error, suberror %u (data:%s)",
                        run->internal.suberror, n ? data : " none");
}

/* ---- the board's outputs, as KVM takes them ----------------------------- */

//! [ioapic-routes]
/* KVM tells us of an EOI (KVM_EXIT_IOAPIC_EOI) only for vectors it knows
   to be level-triggered IOAPIC interrupts, and it learns them from the MSI
   routes of the reserved GSIs 0..23 (KVM_CAP_SPLIT_IRQCHIP). So every
   programmed entry gets a route, masked or not: the guest may mask a pin
   in its ISR and EOI it afterwards, and that EOI must still reach us. */
static void ioapic_sync_routes(struct vm *vm)
{
    /* The header and its entries[] in one buffer (a struct with a
       flexible array member may not be followed by more members). */
    union {
        struct kvm_irq_routing hdr;
        uint8_t bytes[sizeof(struct kvm_irq_routing) +
                      IOAPIC_PINS * sizeof(struct kvm_irq_routing_entry)];
    } r;
    struct kvm_irq_routing_entry *e = r.hdr.entries;
    bool changed = false;

    memset(&r, 0, sizeof r);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t rte = ioapic_model_entry(&vm->board.ioapic, pin) &
                       ~(uint64_t)(IOAPIC_RTE_DELIVS | IOAPIC_RTE_RIRR); /* not status */
        ioapic_msi msi;

        changed |= rte != vm->vcpu.routed[pin];
        vm->vcpu.routed[pin] = rte;
        if ((rte & 0xff) == 0)
            continue;                   /* never programmed */
        ioapic_entry_to_msi(rte, &msi);
        e[r.hdr.nr] = (struct kvm_irq_routing_entry){
            .gsi = pin, .type = KVM_IRQ_ROUTING_MSI,
            .u.msi = { .address_lo = (uint32_t)msi.address,
                       .address_hi = (uint32_t)(msi.address >> 32), .data = msi.data } };
        r.hdr.nr++;
    }
    if (changed && ioctl(vm->vcpu.vm_fd, KVM_SET_GSI_ROUTING, &r) < 0)
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

    if (ioctl(vm->vcpu.vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
        die(STATUS_HOST, "KVM_SIGNAL_MSI: %s", strerror(errno));
}
//! [ioapic-deliver]

//! [pic-inject]
/* The 8259's INT reaches the CPU as an ExtINT through the LAPIC's LINT0,
   which lives in KVM: when the guest can take an interrupt, the monitor
   runs the acknowledge cycle on the model and queues its vector with
   KVM_INTERRUPT; until then it asks KVM for an exit when the guest opens
   its interrupt window. */
static void pic_inject(struct vm *vm)
{
    struct kvm_run *run = vm->vcpu.run;
    struct kvm_interrupt irq;

    run->request_interrupt_window = 0;
    if (!vm->vcpu.pic_int)
        return;
    if (!run->ready_for_interrupt_injection || !run->if_flag) {
        run->request_interrupt_window = 1;
        return;
    }
    irq.irq = board_extint_ack(&vm->board);
    if (ioctl(vm->vcpu.vcpu_fd, KVM_INTERRUPT, &irq) < 0)
        die(STATUS_HOST, "KVM_INTERRUPT: %s", strerror(errno));
    /* Still high after the acknowledge (auto-EOI, special mask mode, a
       second input): ask for the next window, since no exit may come. */
    run->request_interrupt_window = vm->vcpu.pic_int;
}
//! [pic-inject]

/* The 8259's INT, told by the board (any thread, lock held): injected
   before the next KVM_RUN. Raised by the device loop (host input), it must
   first bring the vCPU thread out of KVM_RUN, where a halted guest would
   otherwise wait for an interrupt that only this thread can inject. */
static void vcpu_extint(void *ctx, bool level)
{
    struct vm *vm = ctx;

    vm->vcpu.pic_int = level;
    if (level && !on_vcpu_thread)
        kvm_kick(vm, KICK_PIC);
}

static void vcpu_entry_changed(void *ctx, unsigned pin)
{
    (void)pin;
    ioapic_sync_routes(ctx);
}

//! [monitor-vcpu-hooks]
/* The debug-exit device, soft-off or a reset request: the run ends after
   this exit. */
static void vcpu_exit_request(void *ctx, int status)
{
    struct vm *vm = ctx;

    vm->vcpu.status = status;
    vm->vcpu.stopped = true;
}

void kvm_board_hooks(struct vm *vm, struct board_hooks *h)
{
    h->msi = ioapic_deliver;
    h->extint = vcpu_extint;
    h->entry_changed = vcpu_entry_changed;
    h->exit = vcpu_exit_request;
    h->ctx = vm;
}
//! [monitor-vcpu-hooks]

/* ---- the run loop ------------------------------------------------------ */

//! [monitor-exits]
/* KVM hands over accesses as little-endian bytes; the chipset deals in
   values of the access width (1, 2, 4 or 8 bytes; others float high). */
static void board_access(struct board *b, chipset_kind kind, uint64_t addr, unsigned width,
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
            board_pio_write(b, (uint16_t)addr, width, v);
        else
            board_mmio_write(b, addr, width, v);
        return;
    }
    v = kind == CHIPSET_PIO ? board_pio_read(b, (uint16_t)addr, width)
                            : board_mmio_read(b, addr, width);
    for (unsigned i = 0; i < width; i++)
        data[i] = (uint8_t)(v >> (8 * i));
}

/* KVM_EXIT_IO: the data sits in the kvm_run page at data_offset; string I/O
   (REP INS/OUTS) hands over `count` items of `size` bytes in a row. */
static void io_exit(struct vm *vm)
{
    struct kvm_run *run = vm->vcpu.run;
    uint64_t off = run->io.data_offset, bytes = (uint64_t)run->io.count * run->io.size;
    bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
    uint8_t *data = (uint8_t *)run + off;

    if (off > vm->vcpu.run_size || bytes > vm->vcpu.run_size - off)
        die(STATUS_UNEXPECTED, "KVM_EXIT_IO data outside the kvm_run page");
    for (uint32_t i = 0; i < run->io.count && !vm->vcpu.stopped; i++, data += run->io.size)
        board_access(&vm->board, CHIPSET_PIO, run->io.port, run->io.size, is_write, data);
}

static void mmio_exit(struct vm *vm)
{
    struct kvm_run *run = vm->vcpu.run;
    unsigned len = run->mmio.len < sizeof run->mmio.data ? run->mmio.len : sizeof run->mmio.data;

    board_access(&vm->board, CHIPSET_MMIO, run->mmio.phys_addr, len, run->mmio.is_write,
                 run->mmio.data);
}
//! [monitor-exits]

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

void kvm_kick(struct vm *vm, enum kick_reason why)
{
    __atomic_fetch_add(&vm->vcpu.kicks[why], 1, __ATOMIC_RELAXED);   /* for --stats */
    pthread_kill(vm->vcpu.thread, SIGUSR1);
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
    KVM_IOCTL(vm->vcpu.vcpu_fd, KVM_SET_SIGNAL_MASK, m);
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

    KVM_IOCTL(vm->vcpu.vcpu_fd, KVM_GET_MP_STATE, &mp);
    KVM_IOCTL(vm->vcpu.vcpu_fd, KVM_GET_REGS, &regs);
    return mp.mp_state == KVM_MP_STATE_HALTED && !(regs.rflags & (1u << 9));
}

//! [run-loop]
/* One exit, served with the board locked: -1 to go on, else the status the
   run ends with. */
static int handle_exit(struct vm *vm)
{
    struct kvm_run *run = vm->vcpu.run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO: /* served by a device or the unclaimed path: go on */
        io_exit(vm);
        break;
    case KVM_EXIT_MMIO: /* the IOAPIC, virtio-mmio, virtio-pci BARs, or unclaimed */
        mmio_exit(vm);
        break;
    case KVM_EXIT_IOAPIC_EOI: /* the LAPIC's EOI broadcast reaches our IOAPIC: go on */
        board_eoi(&vm->board, run->eoi.vector);
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
    return vm->vcpu.stopped ? vm->vcpu.status : -1; /* success: the guest chose its status */
}

static int vm_run(struct vm *vm)
{
    int status = -1;

    vcpu_signal_mask(vm);
    while (status < 0) {
        pthread_mutex_lock(&vm->lock);
        pic_inject(vm);
        pthread_mutex_unlock(&vm->lock);
        if (ioctl(vm->vcpu.vcpu_fd, KVM_RUN, NULL) < 0) {
            if (errno != EINTR && errno != EAGAIN)
                die(STATUS_HOST, "KVM_RUN: %s", strerror(errno));
            kick_consume();     /* kicked: by the watchdog, or for the PIC */
            if (halted_for_good(vm)) /* failure: a dead guest */
                return guest_failed(vm, STATUS_HALTED,
                                    "guest halted with interrupts off: it can never wake");
            continue;
        }
        vm->vcpu.exits++;
        pthread_mutex_lock(&vm->lock);
        status = handle_exit(vm);
        pthread_mutex_unlock(&vm->lock);
    }
    return status;
}
//! [run-loop]

//! [monitor-vcpu-thread]
static void *vcpu_main(void *arg)
{
    struct vm *vm = arg;

    on_vcpu_thread = true;
    vm->vcpu.run_status = vm_run(vm);
    __atomic_store_n(&vm->vcpu.finished, true, __ATOMIC_RELEASE);
    platform_irq_trigger(HOST_IRQ_VCPU);    /* the device loop can stop */
    return NULL;
}

void kvm_start(struct vm *vm)
{
    int err;

    kick_setup();
    if ((err = pthread_create(&vm->vcpu.thread, NULL, vcpu_main, vm)) != 0)
        die(STATUS_HOST, "vCPU thread: %s", strerror(err));
}
//! [monitor-vcpu-thread]

int kvm_join(struct vm *vm)
{
    pthread_join(vm->vcpu.thread, NULL);
    return vm->vcpu.run_status;
}

bool kvm_finished(const struct vm *vm)
{
    return __atomic_load_n(&vm->vcpu.finished, __ATOMIC_ACQUIRE);
}

void kvm_print_stats(const struct vm *vm)
{
    const struct vcpu *v = &vm->vcpu;

    /* "no kick" rather than "0 kicks": a test can tell them apart. */
    fprintf(stderr, "bbvm: vCPU: %llu exits; ", (unsigned long long)v->exits);
    if (v->kicks[KICK_PIC])
        fprintf(stderr, "%llu kicks for the 8259", (unsigned long long)v->kicks[KICK_PIC]);
    else
        fputs("no kick for the 8259", stderr);
    fprintf(stderr, ", %llu by the watchdog\n", (unsigned long long)v->kicks[KICK_WATCHDOG]);
}
