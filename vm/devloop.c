/* devloop.c - bbvm's device loop: everything the board does that no guest
   access starts, on the main thread. It sleeps in ppoll() (the host port in
   host/, which stands in for a CPU's interrupts) until host input arrives,
   the vCPU thread hands something over, or the models' next deadline comes.

   It is the kernels' event loop again, with its own state rather than the
   kernels' globals: an irq table, a timer queue and an async runtime
   (@ref irq, @ref timers, @ref async), and the same pass: deferred work,
   due timers, then a wait. Everything it does to the board, it does
   holding the board lock. */
#define _GNU_SOURCE /* O_NOCTTY via fcntl.h, tcgetpgrp */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "term.h"
#include "vm.h"
#include "loop.h"   /* the host port's platform.h: platform_wfi, triggers */
/* The runtime's implementations, once for the monitor (async.h brings
   irq.h's along). */
#define ASYNC_IMPLEMENTATION
#include "async.h"
#define TIMER_IMPLEMENTATION
#include "timer.h"

/* ---- the board's deadlines ---------------------------------------------- */

//! [board-timer]
/* Advance every model to now and sleep until the earliest deadline any of
   them asks for (the IOAPIC's storm guard, the PM timer's TMR_STS). */
static void board_deadline(struct vm *vm)
{
    uint64_t next;

    pthread_mutex_lock(&vm->lock);
    next = board_advance(&vm->board, platform_now());
    pthread_mutex_unlock(&vm->lock);
    if (next == CHIPSET_NEVER)
        timer_cancel(&vm->loop.timers, &vm->loop.board_timer);
    else
        timer_start(&vm->loop.timers, &vm->loop.board_timer, next);
}

static void on_board_timer(timer *t, void *arg)
{
    (void)t;
    board_deadline(arg);
}
//! [board-timer]

/* With the LAPIC in KVM a guest halted with interrupts off sleeps inside
   KVM_RUN for ever; once a second the vCPU thread is kicked out to look. */
static void on_watchdog(timer *t, void *arg)
{
    struct vm *vm = arg;

    kvm_kick(vm, KICK_WATCHDOG);
    timer_repeat(&vm->loop.timers, t, timer_ms(1000));
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
    resume = vm->loop.input_resume;
    vm->loop.input_resume = false;
    pthread_mutex_unlock(&vm->lock);
    if (resume && input_push(vm))   /* what was left first, then more */
        input_read(vm);
    board_deadline(vm);
}

/* ---- the board's hooks that belong to the loop (any thread, lock held) --- */

static uint64_t loop_now(void *ctx)
{
    (void)ctx;
    return platform_now();
}

/* The device input goes to has room again after it had too little: held
   input may go on. */
static void input_room(struct vm *vm, enum input_mode from)
{
    if (vm->loop.input_held && vm->loop.input_mode == from) {
        vm->loop.input_held = false;
        vm->loop.input_resume = true;
        platform_irq_trigger(HOST_IRQ_VCPU);
    }
}

static void loop_console_room(void *ctx)
{
    input_room(ctx, INPUT_SERIAL);
}

static void loop_kbd_room(void *ctx)
{
    input_room(ctx, INPUT_KEYBOARD);
}

static void loop_vcon_room(void *ctx)
{
    input_room(ctx, INPUT_VIRTIO);
}

/* The virtio entropy devices' source: the kernel's pool, never waiting
   (the vCPU may hold the board lock). Not ready yet, or any failure: no
   bytes now, and the request waits (book/security.md: no host spin). The
   model asks for at most its cfg.entropy_max bytes. */
static size_t loop_entropy(void *ctx, void *buf, size_t n)
{
    ssize_t got;

    (void)ctx;
    got = getrandom(buf, n, GRND_NONBLOCK);
    return got > 0 ? (size_t)got : 0;
}

/* A model's deadline moved earlier: poll the board again. */
static void loop_wake(void *ctx)
{
    (void)ctx;
    platform_irq_trigger(HOST_IRQ_VCPU);
}

//! [output-ring]
/* COM1 sent a byte (any thread, lock held): into the output ring, which
   the loop writes out. Full, the byte is refused: the UART keeps it and
   its THRE stays low until output_flush() has made room and resumed it,
   so a guest writing faster than our reader reads waits as it would on a
   real line, the vCPU never waits for the host, and nothing is lost or
   grows without bound. */
static bool loop_console_tx(void *ctx, uint8_t byte)
{
    struct vm *vm = ctx;
    struct devloop *l = &vm->loop;

    if (l->out_fd < 0)
        return true;                        /* no output: nothing to keep */
    if (l->out_len == sizeof l->out_buf) {
        l->out_refused = true;
        return false;
    }
    l->out_buf[(l->out_head + l->out_len++) % sizeof l->out_buf] = byte;
    if (l->out_len == 1)
        platform_irq_trigger(HOST_IRQ_OUTPUT);  /* it was empty: write it out */
    return true;
}
//! [output-ring]

//! [monitor-loop-hooks]
/* The loop's part of the board's hooks; kvm_board_hooks() fills in the
   vCPU's. Both set the one context, struct vm. */
void devloop_board_hooks(struct vm *vm, struct board_hooks *h)
{
    h->now = loop_now;
    h->console_room = loop_console_room;
    h->kbd_room = loop_kbd_room;
    h->vcon_room = loop_vcon_room;
    h->entropy = loop_entropy;
    h->console_tx = loop_console_tx;
    h->wake = loop_wake;
    h->ctx = vm;
}
//! [monitor-loop-hooks]

/* ---- guest output ------------------------------------------------------------ */

/* One write to standard output that never blocks: the ring's own
   non-blocking description, or, for a socket /proc could not reopen, a
   send() that does not wait (and raises no SIGPIPE). */
static ssize_t out_write(const struct devloop *l, const void *buf, size_t len)
{
    if (l->out_sock)
        return send(l->out_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    return write(l->out_fd, buf, len);
}

/* Write what the ring holds while standard output takes it; the writes
   happen outside the lock, so the guest goes on filling the ring. When
   stdout is full, wait for it to be writable (the output line, POLLOUT);
   when there was a refused byte and there is room now, let the UART send
   it. A stdout that fails for good (closed) drops what is left: the guest
   never notices. Device loop only. */
static void output_flush(struct vm *vm)
{
    struct devloop *l = &vm->loop;

    for (;;) {
        unsigned head, len;
        bool resume = false;
        ssize_t n;

        pthread_mutex_lock(&vm->lock);
        head = l->out_head;
        len = l->out_len;
        if (len > sizeof l->out_buf - head)
            len = sizeof l->out_buf - head;     /* up to the ring's end */
        pthread_mutex_unlock(&vm->lock);
        if (!len)
            return;
        n = out_write(l, l->out_buf + head, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            l->output_waits++;
            l->out_waiting = true;
            platform_irq_unmask(HOST_IRQ_OUTPUT);   /* until it is writable */
            return;
        }
        pthread_mutex_lock(&vm->lock);
        if (n < 0) {
            l->out_len = 0;                     /* gone: drop, never block */
        } else {
            l->out_head = (l->out_head + (unsigned)n) % sizeof l->out_buf;
            l->out_len -= (unsigned)n;
            l->output_bytes += (uint64_t)n;
        }
        if (l->out_refused) {
            l->out_refused = false;
            resume = true;
        }
        if (resume)
            board_console_resume(&vm->board);
        pthread_mutex_unlock(&vm->lock);
    }
}

static void on_output(void *ctx, unsigned irq)
{
    struct vm *vm = ctx;

    platform_irq_mask(irq);
    vm->loop.out_waiting = false;
    output_flush(vm);
}

/* At the end of the run, or on any exit() (die() from either thread):
   what is left goes out with blocking writes. The lock is taken only if it
   is free: a thread that dies holding it has stopped filling the ring. */
static struct vm *exit_vm;

static void output_drain(void)
{
    struct devloop *l;
    bool locked;

    if (!exit_vm || exit_vm->loop.out_fd < 0)
        return;
    l = &exit_vm->loop;
    locked = pthread_mutex_trylock(&exit_vm->lock) == 0;
    while (l->out_len) {
        unsigned len = l->out_len, head = l->out_head;
        ssize_t n;

        if (len > sizeof l->out_buf - head)
            len = sizeof l->out_buf - head;
        n = write(l->out_fd, l->out_buf + head, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {     /* the ring's fd is non-blocking: wait */
            struct pollfd p = { .fd = l->out_fd, .events = POLLOUT };

            if (poll(&p, 1, -1) < 0 && errno != EINTR)
                break;
            continue;
        }
        if (n <= 0)
            break;
        l->out_head = (head + (unsigned)n) % sizeof l->out_buf;
        l->out_len -= (unsigned)n;
        l->output_bytes += (uint64_t)n;
    }
    if (locked)
        pthread_mutex_unlock(&exit_vm->lock);
}

void devloop_drain(void)
{
    output_drain();
}

/* A guest that exits while the ring is full leaves bytes in the UART (its
   FIFO and shift register, at most 17): they were sent as far as the guest
   knows, and held only by our back-pressure, so they follow the ring. */
void devloop_finish(struct vm *vm)
{
    output_drain();
    pthread_mutex_lock(&vm->lock);
    if (vm->loop.out_refused) {
        vm->loop.out_refused = false;
        board_console_resume(&vm->board);
    }
    pthread_mutex_unlock(&vm->lock);
    output_drain();
}

/* Standard output, for the ring: its own non-blocking open file
   description where it is a pipe or a terminal (as for input: our flags
   must not change a description we share with our parent); a regular file
   is written as it is. */
static int output_open(void)
{
    struct stat st;
    int fd;

    if (fstat(STDOUT_FILENO, &st) < 0)
        return -1;
    if (!(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode)))
        return STDOUT_FILENO;
    fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    return fd >= 0 ? fd : STDOUT_FILENO;
}

/* ---- host input ------------------------------------------------------------ */

/* Keyboard input first, then the one read path both kinds share. */

//! [kbd-input]
/* With --input keyboard a byte of input is a character typed on a US
   keyboard: its key pressed and released, left Shift pressed around it if
   the character is a shifted one. KBD_CHAR_MAX is the most buffer bytes
   one character can take in any scan code set: Shift's make and break
   codes and the key's, which for every key a character types are 1 and 2
   bytes in sets 2 and 3 (1 and 1 in set 1): 6. Input is read in whole
   characters of that size, and held while the buffer has less; the
   keyboard's kbd_room hook comes at 8 bytes (I8042_KEY_CODES_MAX), which
   is more, so a held input always hears of room. */
#define KBD_CHAR_MAX 6u
_Static_assert(KBD_CHAR_MAX <= I8042_KEY_CODES_MAX, "held keyboard input must hear kbd_room");

/* The buffer bytes character `c` takes in scan code set `set`, 0 if no key
   types it. DEL, what a terminal's Backspace key sends, is Backspace. */
static unsigned kbd_char_bytes(unsigned set, uint8_t c, uint8_t *usage, bool *shift)
{
    uint8_t codes[8];
    unsigned n;

    if (c == 0x7f)
        c = '\b';
    *usage = c < 0x80 ? i8042_ascii_to_hid((char)c, shift) : 0;
    if (!*usage)
        return 0;
    n = i8042_scancodes(set, *usage, true, codes) + i8042_scancodes(set, *usage, false, codes);
    if (*shift)
        n += i8042_scancodes(set, I8042_HID_LSHIFT, true, codes) +
             i8042_scancodes(set, I8042_HID_LSHIFT, false, codes);
    return n;
}

/* Type `c` (lock held): 1 if typed (or lost to a keyboard the guest turned
   off, as on a real one), 0 if its codes do not fit the buffer now, -1 if
   no key types it. */
static int kbd_type(struct vm *vm, uint8_t c)
{
    uint8_t usage;
    bool shift;
    unsigned n = kbd_char_bytes(vm->board.kbd.s.kbd.set, c, &usage, &shift);

    if (!n)
        return -1;
    if (n > board_kbd_room(&vm->board))
        return 0;
    if (shift)
        (void)board_key(&vm->board, I8042_HID_LSHIFT, true);
    (void)board_key(&vm->board, usage, true);
    (void)board_key(&vm->board, usage, false);
    if (shift)
        (void)board_key(&vm->board, I8042_HID_LSHIFT, false);
    return 1;
}
//! [kbd-input]

/* Bytes no key types are dropped, with a warning at most once a second
   (a binary file piped in must not flood stderr) that counts them all.
   Device loop only. */
static void kbd_dropped(struct vm *vm, uint8_t first, unsigned n)
{
    struct devloop *l = &vm->loop;
    uint64_t now = platform_now();

    l->input_dropped += n;
    if (l->drop_warned && now - l->drop_warned_at < timer_ms(1000))
        return;
    fprintf(stderr, "bbvm: warning: input byte 0x%02x types no key on a US keyboard: "
            "dropped (%llu so far; this warning at most once a second)\n", first,
            (unsigned long long)l->input_dropped);
    l->drop_warned = true;
    l->drop_warned_at = now;
}

/* How many bytes of input the device can take now (lock held): the UART's
   free FIFO places, or the whole characters the keyboard's buffer has
   room for. */
static unsigned input_room_now(struct vm *vm)
{
    if (vm->loop.input_mode == INPUT_KEYBOARD)
        return board_kbd_room(&vm->board) / KBD_CHAR_MAX;
    if (vm->loop.input_mode == INPUT_VIRTIO)  /* its buffers say, once offered */
        return sizeof vm->loop.in_buf;
    return uart16550_model_rx_space(&vm->board.com1);
}

//! [input]
/* Host input is one read request at a time: an async_work (@ref async)
   whose backend is the input line. Submitting it turns the line on; when
   the fd turns readable, the line's handler reads no more than the UART has
   room for, outside the board lock, and completes the request with the
   byte count. The done callback hands the bytes to the UART and submits
   the next read only if the UART can take more. Otherwise the bytes wait
   in the host's pipe or terminal until the guest's read of RBR makes room
   (the UART's rx_room hook: loop_console_room, then on_vcpu_event). The
   few bytes the UART cannot take after all (the guest turned loopback on
   in between) wait in in_buf. */
static void input_submit(async_work *w)
{
    (void)w;
    platform_irq_unmask(PLATFORM_CONSOLE_IRQ);
}

static void input_cancel(async_work *w)
{
    struct vm *vm = w->ctx;

    platform_irq_mask(PLATFORM_CONSOLE_IRQ);
    async_complete(&vm->loop.rt, w, ASYNC_CANCELLED);
}

static const async_ops input_ops = { input_submit, input_cancel };

/* The line: the input fd is readable (or at its end). */
static void on_input(void *ctx, unsigned irq)
{
    struct vm *vm = ctx;
    unsigned room;
    ssize_t n;

    platform_irq_mask(irq);                    /* one read per request */
    if (async_state_of(&vm->loop.input_work) != ASYNC_LIVE)
        return;
    pthread_mutex_lock(&vm->lock);
    room = input_room_now(vm);
    pthread_mutex_unlock(&vm->lock);
    if (room > sizeof vm->loop.in_buf)
        room = sizeof vm->loop.in_buf;
    n = room ? read(vm->loop.input_fd, vm->loop.in_buf, room) : -1;
    async_complete(&vm->loop.rt, &vm->loop.input_work,
                   !room ? -EAGAIN : n < 0 ? -errno : (int)n);
}

/* Move what was read into the UART or onto the keyboard; true if it took
   it all and has room for more. Device loop only. */
static bool input_push(struct vm *vm)
{
    struct devloop *l = &vm->loop;
    unsigned dropped = 0;
    uint8_t first = 0;
    bool held;

    pthread_mutex_lock(&vm->lock);
    if (l->input_mode == INPUT_KEYBOARD) {
        while (l->in_pos < l->in_len) {
            int r = kbd_type(vm, l->in_buf[l->in_pos]);

            if (r == 0)
                break;                          /* no room: wait for kbd_room */
            if (r < 0 && !dropped++)
                first = l->in_buf[l->in_pos];
            l->in_pos++;
        }
    } else if (l->input_mode == INPUT_VIRTIO) {
        /* what the receive buffers do not take waits for vcon_room */
        l->in_pos += (unsigned)board_virtio_console_input(&vm->board, l->in_buf + l->in_pos,
                                                          l->in_len - l->in_pos);
    } else {
        while (l->in_pos < l->in_len && uart16550_model_rx_space(&vm->board.com1) > 0)
            uart16550_model_receive(&vm->board.com1, l->in_buf[l->in_pos++]);
    }
    if (l->in_pos == l->in_len)
        l->in_pos = l->in_len = 0;
    held = l->in_len > 0 || input_room_now(vm) == 0;
    l->input_held = held;
    pthread_mutex_unlock(&vm->lock);
    if (dropped)
        kbd_dropped(vm, first, dropped);
    return !held;
}

/* Ask for the next read, if there is input and none is asked for yet. */
static void input_read(struct vm *vm)
{
    if (vm->loop.input_fd >= 0 && async_state_of(&vm->loop.input_work) == ASYNC_DEAD)
        async_submit(&vm->loop.rt, &vm->loop.input_work);
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
        if (vm->loop.input_fd != STDIN_FILENO)
            close(vm->loop.input_fd);
        vm->loop.input_fd = -1;
        return;
    }
    if (result > 0) {
        vm->loop.in_pos = 0;
        vm->loop.in_len = (unsigned)result;
        vm->loop.input_bytes += (uint64_t)result;
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

bool devloop_input_start(struct vm *vm, enum input_mode input)
{
    struct devloop *l = &vm->loop;

    if (l->input_fd >= 0 || input == INPUT_NONE || !input_usable())
        return false;
    /* No lock: no other thread touches the board yet (devloop_init runs
       before the board lock and the vCPU thread exist; a test restarts
       input between runs). */
    l->input_mode = input;
    l->input_held = l->input_resume = false;
    l->in_pos = l->in_len = 0;
    l->input_fd = input_open();
    host_irq_attach_fd(PLATFORM_CONSOLE_IRQ, l->input_fd);
    /* A terminal of ours gives the guest every byte as it is typed
       (term.h: raw input, restored on every way out). */
    term_raw(STDIN_FILENO);
    input_read(vm);
    return true;
}

void devloop_init(struct vm *vm, enum input_mode input)
{
    static const struct boot_info host = { "host", "bbvm", "standard input", 0, "" };
    struct devloop *l = &vm->loop;

    irq_table_init(&l->irqs);
    timer_queue_init(&l->timers);
    async_init(&l->rt, &l->irqs);
    platform_init(&host, &l->irqs);
    l->input_fd = -1;
    l->input_mode = INPUT_NONE;
    /* Lines start masked: the input line is on while a read is asked for. */
    irq_register(&l->irqs, PLATFORM_CONSOLE_IRQ, on_input, vm);
    async_work_init(&l->input_work, &input_ops, input_done, vm);
    (void)devloop_input_start(vm, input);
    irq_register(&l->irqs, HOST_IRQ_VCPU, on_vcpu_event, vm);
    l->out_fd = output_open();
    {
        struct stat st;

        l->out_sock = l->out_fd == STDOUT_FILENO && fstat(l->out_fd, &st) == 0 &&
                      S_ISSOCK(st.st_mode);
    }
    if (l->out_fd >= 0)
        host_irq_attach_fd_out(HOST_IRQ_OUTPUT, l->out_fd);
    irq_register(&l->irqs, HOST_IRQ_OUTPUT, on_output, vm);
    exit_vm = vm;
    atexit(output_drain);
    timer_init(&l->board_timer, on_board_timer, vm);
    timer_init(&l->watchdog, on_watchdog, vm);
    timer_start(&l->timers, &l->watchdog, platform_now() + timer_ms(1000));
}

//! [devloop]
/* The pass of every Breadboard loop (arch/common/kernel.c has the kernels'
   one): deferred interrupt work and async callbacks, then due timers, then
   a wait until the next deadline unless there is work already. The host
   port has no interrupts to turn off around the look: a trigger from the
   vCPU thread sets its pending bit before it writes the eventfd that ends
   the wait, so none is slept through. */
void devloop_run(struct vm *vm, bool (*done)(const struct vm *vm))
{
    struct devloop *l = &vm->loop;
    uint64_t now = platform_now();

    for (;;) {
        l->passes++;
        ktick(&l->rt);
        timer_run(&l->timers, now);
        if (done(vm))
            return;
        if (async_idle(&l->rt) && timer_next_deadline(&l->timers) > platform_now()) {
            l->waits++;
            now = platform_wfi(timer_next_deadline(&l->timers));
        } else {
            now = platform_now();
        }
    }
}
//! [devloop]

void devloop_print_stats(const struct vm *vm)
{
    fprintf(stderr, "bbvm: device loop: %llu passes, %llu waits; input %llu bytes "
            "(%llu with no key dropped); output %llu bytes, %llu waits for stdout\n",
            (unsigned long long)vm->loop.passes, (unsigned long long)vm->loop.waits,
            (unsigned long long)vm->loop.input_bytes,
            (unsigned long long)vm->loop.input_dropped, (unsigned long long)vm->loop.output_bytes,
            (unsigned long long)vm->loop.output_waits);
}
