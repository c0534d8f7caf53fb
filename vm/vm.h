/* vm.h - bbvm, Breadboard's KVM monitor, in its parts. Each part is one
   job, in one file:

     main.c     the operator's input: the kernel file, guest RAM, and
                which mode runs (a KVM run, --check-kvm, --qtest)
     options.c  the command line, checked (options_parse(), no exit)
     board.c    the machine without its CPU: models on the chipset, lines
                (board.h; knows nothing of KVM, threads or files)
     kvm.c      KVM setup: the VM, guest RAM in it, the vCPU's CPUID and
                PVH entry state
     vcpu.c     the vCPU's thread: KVM_RUN, the exits served through the
                board, interrupts injected, kicks, failure reports
     devloop.c  the device loop: timers, board deadlines, host input,
                the watchdog; async.h and timer.h on the host port (host/)
     term.c     the host terminal in raw input mode, restored on every exit
     qtest.c    the board driven without a CPU over QEMU's qtest protocol,
                on virtual time
     loader.c, acpi.c  the PVH loader and the firmware tables in guest RAM

   This header is what the parts share: the exit statuses, the errors, and
   struct vm, which holds one run. */
#ifndef BBVM_VM_H
#define BBVM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "async.h"
#include "irq.h"
#include "timer.h"

/* Exit statuses: odd ones belong to the guest ((code << 1) | 1 from the
   debug-exit port), even ones to the monitor (main.c's help lists them). */
enum {
    STATUS_USAGE = 2,
    STATUS_KERNEL = 4,
    STATUS_HOST = 6,
    STATUS_TRIPLE = 8,
    STATUS_UNEXPECTED = 10,
    STATUS_HALTED = 12,
    STATUS_POWEROFF = BOARD_EXIT_POWEROFF,  /* 14 */
    STATUS_RESET = BOARD_EXIT_RESET         /* 16 */
};

/* One line "bbvm: ..." on stderr (the guest's output flushed first), then
   exit with `status`. */
__attribute__((format(printf, 2, 3), noreturn))
void die(int status, const char *fmt, ...);

/* Where standard input goes (--input; -n: nowhere). */
enum input_mode {
    INPUT_SERIAL,       /* bytes into COM1's receiver (the default) */
    INPUT_KEYBOARD,     /* key presses and releases on the i8042's keyboard */
    INPUT_VIRTIO,       /* bytes into the virtio console's receive queue */
    INPUT_NONE          /* standard input is left alone */
};

/* What the operator asked for (options.c checks it all before anything runs). */
struct options {
    uint64_t mem;
    const char *cmdline;
    const char *kernel;         /* NULL: none (allowed with --qtest) */
    const char *kvm_device;
    const char *qtest;          /* NULL, "stdio" or "unix:PATH" */
    bool rtc_fixed;             /* --rtc-base gave a time: */
    int64_t rtc_base;           /* ... the RTC reads this (unix seconds) at start */
    bool stats;
    bool check_kvm;
    bool no_input;
    enum input_mode input;      /* --input (INPUT_SERIAL unless told) */
};

/* The options' limits and defaults (--help and book/operator.md give them). */
#define OPTIONS_MEM_DEFAULT (32ull << 20)
#define OPTIONS_MEM_MIN     (4ull << 20)
#define OPTIONS_MEM_MAX     (3ull << 30)    /* RAM stays below the 3..4 GiB hole */
#define OPTIONS_CMDLINE_MAX 4021u   /* -c's bytes: the loader's 4095, less the board's words */
#define OPTIONS_QTEST_PATH_MAX 107u /* --qtest=unix:PATH: sun_path's 108 bytes, less the NUL */
#define OPTIONS_HELP (-1)           /* options_parse(): -h/--help was asked for */

/* options.c: fill *o from argv (defaults first, argv[0] skipped). Returns
   0 if every argument was acceptable and the combination is one bbvm can
   run; OPTIONS_HELP at -h/--help (what follows it is not read); or
   STATUS_USAGE with one line, no "bbvm: " prefix and no newline, in
   err[0..errsize) (cut short if it does not fit). Never exits, prints or
   allocates; o's strings point into argv. */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errsize);

/* Why the device loop brought the vCPU thread out of KVM_RUN. */
enum kick_reason { KICK_PIC, KICK_WATCHDOG, KICK_REASONS };

/* The KVM side (kvm.c, vcpu.c): the VM, its one vCPU and the thread that runs it. */
struct vcpu {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint64_t entry;                     /* guest physical entry point */
    uint32_t start_info;                /* ... and its %ebx */
    pthread_t thread;                   /* the vCPU thread */
    bool pic_int;                       /* the 8259 pair's INT, as last told */
    uint64_t routed[IOAPIC_PINS];       /* the entries KVM's routes were built from */
    bool stopped;                       /* the guest asked to end the run */
    int status;                         /* ... with this exit status */
    bool finished;                      /* the vCPU thread is done (atomic) */
    int run_status;                     /* what it ended with */
    bool failed;                        /* the guest failed (vCPU thread only): */
    char report[160];                   /* ... why, for kvm_report() */
    uint64_t exits;                     /* KVM_RUN returns, for --stats */
    uint64_t kicks[KICK_REASONS];       /* kvm_kick() calls, by reason */
};

/* The device loop (devloop.c): its own runtime, not the kernels' globals. */
struct devloop {
    irq_table irqs;                     /* the host port's "interrupts" */
    timer_queue timers;
    async_rt rt;
    timer board_timer;                  /* the models' next deadline */
    timer watchdog;                     /* once a second: is the guest dead? */
    enum input_mode input_mode;         /* where input goes: the UART or the keyboard */
    bool input_held;                    /* stdin waits for room in the RX FIFO
                                           or the keyboard's buffer */
    bool input_resume;                  /* ... and the guest has made some */
    int input_fd;                       /* where input comes from; -1: none */
    async_work input_work;              /* the one read asked for at a time */
    uint8_t in_buf[64];                 /* read, not yet taken by the UART or keyboard */
    unsigned in_pos, in_len;
    uint64_t input_bytes;               /* host input read for the guest */
    uint64_t input_dropped;             /* keyboard input: bytes with no key */
    bool drop_warned;                   /* ... a warning was printed, */
    uint64_t drop_warned_at;            /* ... at this time */
    /* Guest output on its way to standard output: a ring the UART's tx
       hook fills (any thread, lock held) and the loop empties with
       non-blocking writes. Full, it refuses the byte and the UART keeps it
       (THRE low) until the loop has written some and resumes it. */
    uint8_t out_buf[1u << 16];
    unsigned out_head, out_len;         /* (lock) */
    bool out_refused;                   /* (lock) the UART holds a byte for us */
    bool out_waiting;                   /* (loop) stdout full: waiting for POLLOUT */
    int out_fd;                         /* non-blocking standard output; -1: none */
    bool out_sock;                      /* ... a socket, written with send(MSG_DONTWAIT) */
    uint64_t output_bytes, output_waits;
    uint64_t passes, waits;             /* loop passes, and waits among them */
};

/* One run. `lock` covers the board and these fields the two threads
   share: vcpu.pic_int, vcpu.routed, vcpu.stopped, vcpu.status,
   loop.input_held, loop.input_resume and the output ring (loop.out_head,
   out_len, out_refused); loop.input_mode, which the room hooks read, is
   set only while no other thread runs. vcpu.failed and vcpu.report are the
   vCPU thread's until kvm_join(). vcpu.finished and vcpu.kicks are atomic;
   loop.in_* and the loop's runtime belong to the device loop thread. */
struct vm {
    struct options opt;
    uint8_t *ram;
    uint64_t ram_size;
    struct board board;
    pthread_mutex_t lock;
    struct vcpu vcpu;
    struct devloop loop;
};

/* main.c: guest RAM with the kernel (if any), its start info and the ACPI
   tables, as both a KVM run and a qtest board see it. */
void vm_memory_setup(struct vm *vm);
/* main.c: the board with these hooks, its clock set (--rtc-base or the
   host's wall clock); dies if it does not build. */
void board_build(struct vm *vm, const struct board_hooks *h);

/* kvm.c: setup */
int kvm_ioctl(int fd, unsigned long req, void *arg, const char *name); /* dies on failure */
#define KVM_IOCTL(fd, req, arg) kvm_ioctl((fd), (req), (arg), #req)
void kvm_open(struct vm *vm, const char *device);   /* dies with STATUS_HOST */
void kvm_create(struct vm *vm);                    /* the VM and its vCPU */
void kvm_setup_guest(struct vm *vm);               /* RAM, CPUID, PVH entry state */
/* vcpu.c: the run */
void kvm_board_hooks(struct vm *vm, struct board_hooks *h); /* the vCPU's part */
void kvm_start(struct vm *vm);                     /* the vCPU thread */
int kvm_join(struct vm *vm);                       /* its status */
/* After kvm_join() and devloop_finish(): if the guest failed, why, on
   stderr, with its registers, after the guest's own output. */
void kvm_report(const struct vm *vm);
void kvm_kick(struct vm *vm, enum kick_reason why);
bool kvm_finished(const struct vm *vm);
void kvm_print_stats(const struct vm *vm);

/* devloop.c */
/* The run is over (no other thread runs): the output ring, then the
   bytes the UART still holds because the ring was full, go out. */
void devloop_finish(struct vm *vm);
/* What the output ring holds goes out now, with blocking writes: die()
   calls it so that the guest's output comes before the reason. */
void devloop_drain(void);
void devloop_init(struct vm *vm, enum input_mode input);
/* Standard input feeds the guest as `input` says, from now on (once per
   run by devloop_init(); again after the last input has ended, for a
   test), while no other thread touches the board. False if standard input is not usable (closed, write-only, a
   terminal we do not own) or `input` is INPUT_NONE. */
bool devloop_input_start(struct vm *vm, enum input_mode input);
void devloop_board_hooks(struct vm *vm, struct board_hooks *h); /* the loop's part */
void devloop_run(struct vm *vm, bool (*done)(const struct vm *vm));
void devloop_print_stats(const struct vm *vm);

/* qtest.c: serve the qtest protocol on the board until the peer closes;
   returns the exit status. qtest_run() on standard input and output or
   the Unix socket `where` names; qtest_serve() on the streams given (one
   session from power-on; tests/fuzz/fuzz_qtest.c drives it). */
int qtest_run(struct vm *vm, const char *where);
int qtest_serve(struct vm *vm, FILE *in, FILE *out);

#endif /* BBVM_VM_H */
