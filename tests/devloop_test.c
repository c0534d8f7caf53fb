/* devloop_test.c - bbvm's device loop (vm/devloop.c) on the real board
   (vm/board.c) and host port (vm/host/platform.c), without KVM.

   The test is the vCPU side: it provides kvm_kick() (counting kicks by
   reason, with their times), plays the guest by touching the board under
   vm->lock, from its own thread or between runs of the loop, and ends each
   devloop_run() with a done() callback as vm/vcpu.c's kvm_finished() does.
   Standard input is a pipe the test writes (dup2'd onto fd 0 before
   devloop_init(), which reads STDIN_FILENO); so is standard output, which
   devloop_init() reopens for its ring (the test puts its own stdout back
   after, and keeps the pipe's read end). It checks that:
   - host input reaches COM1 in order and is held, none lost, while the
     16-byte FIFO is full, then resumes when the guest reads RBR;
   - end of input detaches the line, and the loop still sleeps and runs
     timers;
   - keyboard input (--input keyboard, started by the same call
     devloop_init() makes) arrives at port 0x60 as the translated set 1
     codes of each character's keys, Shift around the shifted ones, in
     order, none lost while a slow guest leaves the keyboard's buffer
     full; a byte no key types is dropped and counted;
   - guest output written as a polling driver does (LSR.THRE, then THR)
     reaches standard output whole and in order, 1 MiB with the reader
     reading; and with nobody reading, the guest keeps running and sees
     THRE low once the ring (64 KiB) and the FIFO are full, the ring never
     passes its size, every byte written is in the pipe, the ring or the
     UART, and all of it arrives once the reader reads again;
   - a board deadline is met with no guest access: the PM timer's SCI rises
     when its counter's bit 23 first changes, 2^23 ticks (2.34 s) after
     power-on;
   - the watchdog kicks the vCPU once a second, never early;
   - the virtio-mmio devices, driven through virtio.h's driver side (its
     register hooks the board's MMIO under the lock, its rings in the
     test's guest RAM): the entropy source fills a 64-byte buffer from the
     host's getrandom; the console's transmit queue reaches standard
     output in order, COM1's way; host input (--input virtio) waits while
     the guest has posted no receive buffer, then fills the buffers in
     order, none lost, a second buffer taking what the first could not;
     input that comes before any console's driver is up reaches the
     first one to come up;
   - a done() made true by another thread's trigger ends the run at once.
   The tests run in order on one board and one loop. A safety timer ends a
   run that waits too long (a failed check); alarm() ends a hung one. */
#define _GNU_SOURCE /* pipe2, FIONREAD, F_SETPIPE_SZ */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "vm.h"
#include "loop.h"   /* platform_now, platform_irq_trigger */

#define COM1 UART16550_PC_COM1_PORT
#define PM   ACPI_PM_PC_BASE
#define INPUT_LEN 40u

static struct vm vm;
static int wfd = -1;                /* the pipe's write end: "the terminal" */
static int out_rfd = -1;            /* standard output's pipe, its read end */

/* ---- the vCPU side, played by the test: kicks counted and timed --------- */

#define MAX_KICKS 16
static uint64_t kick_at[MAX_KICKS];  /* times of the watchdog's kicks (loop thread) */
static unsigned kicks_timed;

void kvm_kick(struct vm *v, enum kick_reason why)
{
    __atomic_fetch_add(&v->vcpu.kicks[why], 1, __ATOMIC_RELAXED);
    if (why == KICK_WATCHDOG && kicks_timed < MAX_KICKS)
        kick_at[kicks_timed++] = platform_now();
}

static uint64_t kicks(enum kick_reason why)
{
    return __atomic_load_n(&vm.vcpu.kicks[why], __ATOMIC_RELAXED);
}

/* The board's `line` hook (lock held): when the SCI first rose. */
static uint64_t sci_at;
static unsigned sci_changes;

static void on_line(void *ctx, unsigned line, bool level)
{
    (void)ctx;
    if (line != BOARD_SCI_IRQ)
        return;
    sci_changes++;
    if (level && !sci_at)
        sci_at = platform_now();
}

static uint64_t pio_read(uint16_t port, unsigned width)
{
    uint64_t v;

    pthread_mutex_lock(&vm.lock);
    v = board_pio_read(&vm.board, port, width);
    pthread_mutex_unlock(&vm.lock);
    return v;
}

static void pio_write(uint16_t port, unsigned width, uint64_t value)
{
    pthread_mutex_lock(&vm.lock);
    board_pio_write(&vm.board, port, width, value);
    pthread_mutex_unlock(&vm.lock);
}

static unsigned rx_space(void)
{
    unsigned n;

    pthread_mutex_lock(&vm.lock);
    n = uart16550_model_rx_space(&vm.board.com1);
    pthread_mutex_unlock(&vm.lock);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

    nanosleep(&ts, NULL);
}

/* ---- running the loop until something holds ------------------------------ */

static bool (*wanted)(void);        /* what the current run waits for */
static bool gave_up, stop;

static bool run_done(const struct vm *v)
{
    (void)v;
    return gave_up || stop || (wanted && wanted());
}

static void on_flag(timer *t, void *arg)
{
    (void)t;
    *(bool *)arg = true;
}

static void run(bool (*cond)(void), bool *at_limit, uint64_t ms)
{
    static timer limit;

    gave_up = stop = false;
    wanted = cond;
    timer_init(&limit, on_flag, at_limit);
    timer_start(&vm.loop.timers, &limit, platform_now() + timer_ms(ms));
    devloop_run(&vm, run_done);
    timer_cancel(&vm.loop.timers, &limit);
    wanted = NULL;
}

/* Run the device loop until `cond`; false if it took more than `ms`. */
static bool run_until(bool (*cond)(void), uint64_t ms)
{
    run(cond, &gave_up, ms);
    return !gave_up;
}

/* Run the device loop for `ms`. */
static void run_for(uint64_t ms)
{
    run(NULL, &stop, ms);
}

/* A run that no done() ends would hang the test; fail it instead. */
static void on_alarm(int sig)
{
    static const char msg[] = "FAIL: the device loop hung\n";

    (void)sig;
    (void)!write(STDOUT_FILENO, msg, sizeof msg - 1);
    _exit(1);
}

/* One board and one loop for the whole file, wired as vm/main.c's
   kvm_main() does: the test's hooks, then the loop's part. */
TEST(init)
{
    struct board_hooks h = { .line = on_line };
    int p[2];

    int o[2], saved;

    signal(SIGALRM, on_alarm);
    alarm(60);
    CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    if (p[0] != STDIN_FILENO) {     /* it is if fd 0 was closed */
        CHECK_EQ(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
        close(p[0]);
    }
    wfd = p[1];
    /* Standard output a pipe while devloop_init() opens its own
       description of it; then ours back. A small pipe fills soon. */
    CHECK_EQ(pipe2(o, O_CLOEXEC), 0);
    (void)fcntl(o[1], F_SETPIPE_SZ, 4096);
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    CHECK(saved >= 0);
    CHECK_EQ(dup2(o[1], STDOUT_FILENO), STDOUT_FILENO);
    devloop_board_hooks(&vm, &h);
    CHECK(h.ctx == &vm);
    devloop_init(&vm, INPUT_SERIAL);
    CHECK_EQ(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
    close(o[1]);
    out_rfd = o[0];
    CHECK(vm.loop.input_fd >= 0);
    CHECK_EQ(vm.loop.input_mode, INPUT_SERIAL);
    /* The ring writes to the pipe, not to whatever fd 1 is now. */
    CHECK(vm.loop.out_fd >= 0 && vm.loop.out_fd != STDOUT_FILENO);
    CHECK_EQ(pthread_mutex_init(&vm.lock, NULL), 0);
    CHECK(board_init(&vm.board, &h));
}

/* ---- 1. input, held while the FIFO is full -------------------------------- */

static uint8_t sent[INPUT_LEN], got[INPUT_LEN];
static unsigned ngot;
static uint8_t lsr_seen;                    /* every LSR value the guest read, ORed */
static bool guest_done;

static bool fifo_full(void)
{
    return rx_space() == 0;
}

static bool guest_finished(void)
{
    return __atomic_load_n(&guest_done, __ATOMIC_ACQUIRE);
}

/* The guest: polls LSR and reads RBR under the lock until it has every
   byte (or 10 s pass), then tells the loop as the vCPU thread does. */
static void *guest(void *arg)
{
    uint64_t end = platform_now() + timer_ms(10000);

    (void)arg;
    while (ngot < INPUT_LEN && platform_now() < end) {
        pthread_mutex_lock(&vm.lock);
        while (ngot < INPUT_LEN) {
            uint8_t lsr = (uint8_t)board_pio_read(&vm.board, COM1 + UART16550_LSR, 1);

            lsr_seen |= lsr;
            if (!(lsr & UART16550_LSR_DR))
                break;
            got[ngot++] = (uint8_t)board_pio_read(&vm.board, COM1 + UART16550_RBR, 1);
        }
        pthread_mutex_unlock(&vm.lock);
        sleep_ms(1);
    }
    __atomic_store_n(&guest_done, true, __ATOMIC_RELEASE);
    platform_irq_trigger(HOST_IRQ_VCPU);
    return NULL;
}

TEST(input_in_order_with_backpressure)
{
    pthread_t th;
    uint64_t passes, start;
    int queued = -1;

    /* The guest turns the FIFOs on before any byte comes (toggling the
       enable bit would clear what had arrived). */
    pio_write(COM1 + UART16550_FCR, 1, UART16550_FCR_ENABLE);
    CHECK_EQ(rx_space(), UART16550_FIFO_SIZE);
    for (unsigned i = 0; i < INPUT_LEN; i++)
        sent[i] = (uint8_t)('A' + i);
    CHECK_EQ(write(wfd, sent, INPUT_LEN), (ssize_t)INPUT_LEN);

    /* The loop fills the FIFO, then stops taking bytes: the rest stays in
       the pipe, and the loop sleeps rather than spins. */
    CHECK(run_until(fifo_full, 2000));
    passes = vm.loop.passes;
    run_for(100);
    CHECK(vm.loop.passes - passes < 20);
    CHECK_EQ(rx_space(), 0);
    CHECK_EQ(vm.loop.input_bytes, UART16550_FIFO_SIZE);
    CHECK(ioctl(wfd, FIONREAD, &queued) == 0 && queued == INPUT_LEN - UART16550_FIFO_SIZE);
    pthread_mutex_lock(&vm.lock);
    CHECK(vm.loop.input_held);
    pthread_mutex_unlock(&vm.lock);

    /* The guest reads RBR from its own thread: the room it makes lets the
       rest through, every byte in order. */
    start = platform_now();
    CHECK_EQ(pthread_create(&th, NULL, guest, NULL), 0);
    CHECK(run_until(guest_finished, 15000));
    pthread_join(th, NULL);
    /* How fast each resume comes is a matter of the host's scheduling; that
       a trigger ends the wait at once is host_loop_test's to prove. */
    printf("  the rest of the input took %.3f s\n", (double)(platform_now() - start) / 1e9);
    CHECK_EQ(ngot, INPUT_LEN);
    CHECK(memcmp(got, sent, INPUT_LEN) == 0);
    CHECK_EQ(lsr_seen & UART16550_LSR_OE, 0);       /* no overrun: none lost */
    CHECK_EQ(vm.loop.input_bytes, INPUT_LEN);
    CHECK(ioctl(wfd, FIONREAD, &queued) == 0 && queued == 0);
}

/* ---- 2. end of input ------------------------------------------------------ */

static bool input_detached(void)
{
    return vm.loop.input_fd < 0;
}

TEST(end_of_input_detaches)
{
    static timer later;
    static bool fired;
    uint64_t passes;

    close(wfd);
    wfd = -1;
    CHECK(run_until(input_detached, 2000));
    CHECK_EQ(async_state_of(&vm.loop.input_work), ASYNC_DEAD);
    CHECK_EQ(vm.loop.input_bytes, INPUT_LEN);

    /* A pipe at its end is always readable: a line still attached would
       spin the loop. Detached, the loop sleeps until its timers. */
    fired = false;
    timer_init(&later, on_flag, &fired);
    timer_start(&vm.loop.timers, &later, platform_now() + timer_ms(50));
    passes = vm.loop.passes;
    run_for(100);
    CHECK(fired);
    CHECK(vm.loop.passes - passes < 20);
}

/* ---- 2b. keyboard input ----------------------------------------------------- */

/* The text, and what a PC/XT keyboard (set 1, which the controller's
   translation makes of the keyboard's set 2) sends for it: each key's
   make code, then its break code (make | 0x80); left Shift (0x2A) down
   before a shifted character and up (0xAA) after. From IBM's set 1
   table: H 23, e 12, l 26, o 18, ',' 33, space 39, W 11, r 13, d 20,
   4 05, 2 03, '!' is Shift+1 (02), Enter 1C; DEL, a terminal's
   Backspace, is Backspace 0E. */
static const char kbd_text[] = "Hello, World 42!\n\x7f";
static const uint8_t kbd_codes[] = {
    0x2a, 0x23, 0xa3, 0xaa,     /* H */
    0x12, 0x92,                 /* e */
    0x26, 0xa6, 0x26, 0xa6,     /* l l */
    0x18, 0x98,                 /* o */
    0x33, 0xb3,                 /* , */
    0x39, 0xb9,                 /* space */
    0x2a, 0x11, 0x91, 0xaa,     /* W */
    0x18, 0x98,                 /* o */
    0x13, 0x93,                 /* r */
    0x26, 0xa6,                 /* l */
    0x20, 0xa0,                 /* d */
    0x39, 0xb9,                 /* space */
    0x05, 0x85,                 /* 4 */
    0x03, 0x83,                 /* 2 */
    0x2a, 0x02, 0x82, 0xaa,     /* ! */
    0x1c, 0x9c,                 /* Enter */
    0x0e, 0x8e,                 /* Backspace */
};
#define KBD_REPEAT 8u
#define KBD_CODES (KBD_REPEAT * sizeof kbd_codes)

static uint8_t kbd_got[KBD_CODES + 16];
static unsigned kbd_ngot;
static bool kbd_done;

static bool kbd_finished(void)
{
    return __atomic_load_n(&kbd_done, __ATOMIC_ACQUIRE);
}

/* A slow guest: one byte from port 0x60 when the status says the output
   buffer has one, then half a millisecond off the board. */
static void *kbd_guest(void *arg)
{
    uint64_t end = platform_now() + timer_ms(10000);

    (void)arg;
    while (kbd_ngot < KBD_CODES && platform_now() < end) {
        pthread_mutex_lock(&vm.lock);
        if (board_pio_read(&vm.board, I8042_PC_CMD_PORT, 1) & I8042_STR_OBF)
            kbd_got[kbd_ngot++] = (uint8_t)board_pio_read(&vm.board, I8042_PC_DATA_PORT, 1);
        pthread_mutex_unlock(&vm.lock);
        struct timespec ts = { 0, 500000 };
        nanosleep(&ts, NULL);
    }
    __atomic_store_n(&kbd_done, true, __ATOMIC_RELEASE);
    platform_irq_trigger(HOST_IRQ_VCPU);
    return NULL;
}

static unsigned kbd_room(void)
{
    unsigned n;

    pthread_mutex_lock(&vm.lock);
    n = board_kbd_room(&vm.board);
    pthread_mutex_unlock(&vm.lock);
    return n;
}

static bool kbd_held(void)
{
    bool held;

    pthread_mutex_lock(&vm.lock);
    held = vm.loop.input_held;
    pthread_mutex_unlock(&vm.lock);
    return held;
}

TEST(keyboard_input_in_order_with_backpressure)
{
    static const uint8_t nokey[2] = { 0x80, 0x07 };     /* no key types these */
    uint8_t in[KBD_REPEAT * (sizeof kbd_text - 1) + sizeof nokey];
    unsigned len = 0, worst = 0;
    uint64_t passes, start, bytes = vm.loop.input_bytes;
    pthread_t th;
    int p[2], queued = -1;

    /* No character of the US layout takes more than 6 buffer bytes in any
       set (Shift's make and break and the key's: 1 + 2 each in set 2):
       what the loop reads input in. */
    for (unsigned set = 1; set <= 3; set++)
        for (unsigned c = 1; c < 0x80; c++) {
            uint8_t codes[8];
            bool shift;
            uint8_t u = i8042_ascii_to_hid((char)c, &shift);
            unsigned n;

            if (!u)
                continue;
            n = i8042_scancodes(set, u, true, codes) + i8042_scancodes(set, u, false, codes);
            if (shift)
                n += i8042_scancodes(set, I8042_HID_LSHIFT, true, codes) +
                     i8042_scancodes(set, I8042_HID_LSHIFT, false, codes);
            if (n > worst)
                worst = n;
        }
    CHECK_EQ(worst, 6);

    for (unsigned r = 0; r < KBD_REPEAT; r++) {
        memcpy(in + len, kbd_text, sizeof kbd_text - 1);
        len += sizeof kbd_text - 1;
        if (r == 2) {
            memcpy(in + len, nokey, sizeof nokey);
            len += sizeof nokey;
        }
    }
    /* A new standard input, on the keyboard this time: the path
       devloop_init() takes, after the first input ended. */
    CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    CHECK_EQ(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    close(p[0]);
    wfd = p[1];
    CHECK(devloop_input_start(&vm, INPUT_KEYBOARD));
    CHECK(!devloop_input_start(&vm, INPUT_KEYBOARD));  /* one input at a time */
    CHECK_EQ(vm.loop.input_mode, INPUT_KEYBOARD);
    CHECK_EQ(kbd_room(), I8042_KBD_KEY_BYTES);
    CHECK_EQ(write(wfd, in, len), (ssize_t)len);

    /* The loop types while whole characters fit, then holds the rest in
       the pipe and sleeps: "He" (6 + 3 bytes of set 2, the first byte in
       the output buffer), then 'l' into room 8; room 5 holds it. */
    CHECK(run_until(kbd_held, 2000));
    passes = vm.loop.passes;
    run_for(100);
    CHECK(vm.loop.passes - passes < 20);
    CHECK(kbd_held());
    CHECK(kbd_room() < worst);
    CHECK_EQ(vm.loop.input_bytes - bytes, 3);
    CHECK(ioctl(wfd, FIONREAD, &queued) == 0 && queued == (int)len - 3);
    CHECK_EQ(vm.board.kbd.stats.kbd_overruns, 0);

    /* The guest reads slowly from its own thread: each time its reads make
       room for a key, the kbd_room hook lets more through. */
    start = platform_now();
    CHECK_EQ(pthread_create(&th, NULL, kbd_guest, NULL), 0);
    CHECK(run_until(kbd_finished, 15000));
    pthread_join(th, NULL);
    printf("  %u scan codes took %.3f s\n", kbd_ngot, (double)(platform_now() - start) / 1e9);
    CHECK_EQ(kbd_ngot, KBD_CODES);
    for (unsigned i = 0; i < kbd_ngot; i++)
        if (!CHECK_EQ(kbd_got[i], kbd_codes[i % sizeof kbd_codes])) {
            printf("  first difference at code %u\n", i);
            break;
        }
    CHECK_EQ(vm.board.kbd.stats.kbd_overruns, 0);          /* none lost */
    CHECK_EQ(vm.board.kbd.stats.kbd_dropped, 0);
    CHECK_EQ(vm.loop.input_bytes - bytes, len);
    CHECK_EQ(vm.loop.input_dropped, sizeof nokey);
    CHECK(ioctl(wfd, FIONREAD, &queued) == 0 && queued == 0);
    pthread_mutex_lock(&vm.lock);
    CHECK_EQ(board_pio_read(&vm.board, I8042_PC_CMD_PORT, 1) & I8042_STR_OBF, 0);
    pthread_mutex_unlock(&vm.lock);

    /* The end of this input detaches it too. */
    close(wfd);
    wfd = -1;
    CHECK(run_until(input_detached, 2000));
}

/* ---- 3. a board deadline, no guest access --------------------------------- */

static bool sci_risen(void)
{
    return sci_at != 0;     /* loop thread: the hook runs in board_advance */
}

TEST(pm_timer_sci_without_access)
{
    const uint64_t half = 1ull << 23;   /* the SCI comes when bit 23 changes */
    uint64_t passes, waits, t0, t1, left;
    uint32_t c;

    CHECK_EQ(pio_read(PM + ACPI_PM_CNT, 2) & ACPI_PM_SCI_EN, ACPI_PM_SCI_EN);
    /* Where the counter is now, however long the tests before took: from
       it, when bit 23 next changes. Too near, and the change could come
       between this look and TMR_EN: wait it out and look again. */
    for (;;) {
        pio_write(PM + ACPI_PM_STS, 2, ACPI_PM_TMR_STS);       /* clear it */
        t0 = platform_now();
        c = (uint32_t)pio_read(PM + ACPI_PM_TMR, 4);
        t1 = platform_now();
        left = half - (c % half);                               /* ticks to go */
        if (left * 1000000000ull / ACPI_PM_TMR_HZ > 300000000ull)
            break;
        sleep_ms(400);
    }
    /* TMR_EN wakes the loop through the board's wake hook; from then on
       nothing touches the board until the SCI is up. */
    pio_write(PM + ACPI_PM_EN, 2, ACPI_PM_TMR_EN);
    passes = vm.loop.passes, waits = vm.loop.waits;
    if (!CHECK(run_until(sci_risen, 10000)))
        return;
    /* Never early; "late" only as far as a loaded host can make it. */
    CHECK(sci_at >= t0 + (left - 1) * 1000000000ull / ACPI_PM_TMR_HZ);
    CHECK(sci_at <= t1 + left * 1000000000ull / ACPI_PM_TMR_HZ + timer_ms(5000));
    CHECK(vm.loop.passes - passes < 100);                          /* it slept */
    CHECK(vm.loop.waits > waits);
    CHECK_EQ(sci_changes, 1);
    pthread_mutex_lock(&vm.lock);
    CHECK(irq_line_level(&vm.board.lines, BOARD_SCI_IRQ));
    pthread_mutex_unlock(&vm.lock);
    printf("  SCI up %.3f s after TMR_EN (bit 23 due in %.3f s)\n",
           (double)(sci_at - t1) / 1e9, (double)left / ACPI_PM_TMR_HZ);

    /* The guest's answer: TMR_STS is set; clearing it drops the SCI. */
    CHECK_EQ(pio_read(PM + ACPI_PM_STS, 2) & ACPI_PM_TMR_STS, ACPI_PM_TMR_STS);
    pio_write(PM + ACPI_PM_EN, 2, 0);
    pio_write(PM + ACPI_PM_STS, 2, ACPI_PM_TMR_STS);
    CHECK_EQ(sci_changes, 2);
}

/* ---- 3b. a guest that asks the PIT for an edge on every tick ---------------- */

static double cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Mode 2 with count 1 is an IRQ0 edge every 838 ns. The model asks the
   loop to run at most once per PIT8254_MIN_PERIOD_NS, so over 300 ms of
   real time the loop passes are bounded by 3000 plus the loop's own few
   (its limit timer, the watchdog): a bound, not a timing, since a loaded
   host can only make them fewer. The CPU time it took is printed. */
TEST(pit_count_1_does_not_spin_the_loop)
{
    const uint64_t ms = 300, most = ms * 1000000u / PIT8254_MIN_PERIOD_NS;
    uint64_t passes = vm.loop.passes, edges;
    double cpu = cpu_seconds();

    pthread_mutex_lock(&vm.lock);
    edges = vm.board.pit.stats.irq_edges;
    pthread_mutex_unlock(&vm.lock);
    pio_write(0x43, 1, 0x34);
    pio_write(0x40, 1, 1);
    pio_write(0x40, 1, 0);
    run_for(ms);
    pio_write(0x43, 1, 0x30);                   /* stop: mode 0, no count */
    cpu = cpu_seconds() - cpu;
    passes = vm.loop.passes - passes;
    pthread_mutex_lock(&vm.lock);
    edges = vm.board.pit.stats.irq_edges - edges;
    pthread_mutex_unlock(&vm.lock);
    printf("  count 1 for %llu ms: %llu loop passes, %llu IRQ0 edges, %.1f ms of CPU "
           "(%.0f%% of one core)\n", (unsigned long long)ms, (unsigned long long)passes,
           (unsigned long long)edges, cpu * 1e3, cpu * 1e5 / (double)ms);
    CHECK(passes <= most + 20);
    CHECK(edges <= most + 1);
    CHECK(edges > 0);
}

/* ---- 4. the watchdog ------------------------------------------------------- */

static uint64_t kicks_wanted;

static bool one_more_kick(void)
{
    return kicks(KICK_WATCHDOG) >= kicks_wanted;
}

TEST(watchdog_once_a_second)
{
    kicks_wanted = kicks(KICK_WATCHDOG) + 1;
    uint64_t before = kicks(KICK_WATCHDOG), n;

    CHECK(run_until(one_more_kick, 10000));
    n = kicks(KICK_WATCHDOG) - before;
    CHECK(n >= 1);
    CHECK_EQ(kicks(KICK_PIC), 0);               /* the loop has no other reason */
    /* Kick k is due k seconds after devloop_init() (platform time 0), and
       a timer is never early: kick k comes no sooner. */
    CHECK(kicks_timed >= 1);
    for (unsigned k = 0; k < kicks_timed; k++)
        if (!CHECK(kick_at[k] >= (k + 1) * timer_ms(1000)))
            printf("  kick %u at %.3f s\n", k + 1, (double)kick_at[k] / 1e9);
}

/* ---- 4b. guest output through the ring ------------------------------------- */

#define OUT_A (1u << 20)        /* (a): 1 MiB, read as it comes */
#define OUT_B (256u << 10)      /* (b): 256 KiB, nobody reading at first */
#define RING  (sizeof vm.loop.out_buf)
#define LOW_POLLS 2000u         /* THRE-low polls (b) waits for */

/* The byte at stream position i: not periodic at the ring's or pipe's size. */
static uint8_t pattern(uint64_t i)
{
    return (uint8_t)((i ^ (i >> 8) ^ (i >> 16)) * 31u + 7u);
}

static uint64_t tx_sent;                /* guest: bytes written to THR (lock) */
static uint64_t tx_goal;                /* ... to write in this phase */
static uint64_t tx_low;                 /* polls that saw THRE low (lock) */
static unsigned tx_max_ring;            /* the most the ring held (lock) */
static unsigned tx_ring_at_low = ~0u;   /* the ring when THRE was first low (lock) */
static bool tx_done;

static uint64_t rx_got;                 /* reader: bytes read, checked in order */
static uint64_t rx_goal;
static uint64_t rx_bad;                 /* bytes not the pattern's */
static uint32_t rx_sum, tx_sum;         /* Fletcher-style sums of both sides */
static bool rx_done;

static void sum_byte(uint32_t *sum, uint8_t b)
{
    uint32_t lo = *sum & 0xffff, hi = *sum >> 16;

    lo = (lo + b) % 65535u;
    hi = (hi + lo) % 65535u;
    *sum = hi << 16 | lo;
}

/* A polling driver: when LSR says THRE (the FIFO is empty) it writes a
   FIFO's worth to THR; else it polls again. It never sleeps on the host:
   it only ever sees THRE stay low. */
static void *tx_guest(void *arg)
{
    uint64_t end = platform_now() + timer_ms(30000);
    bool told = false;

    (void)arg;
    for (;;) {
        bool low;

        pthread_mutex_lock(&vm.lock);
        if (tx_sent >= tx_goal || platform_now() >= end) {
            pthread_mutex_unlock(&vm.lock);
            break;
        }
        low = !(board_pio_read(&vm.board, COM1 + UART16550_LSR, 1) & UART16550_LSR_THRE);
        if (low) {
            if (!tx_low++)
                tx_ring_at_low = vm.loop.out_len;
        } else {
            for (unsigned k = 0; k < UART16550_FIFO_SIZE && tx_sent < tx_goal; k++) {
                uint8_t b = pattern(tx_sent++);

                sum_byte(&tx_sum, b);
                board_pio_write(&vm.board, COM1 + UART16550_THR, 1, b);
            }
        }
        if (vm.loop.out_len > tx_max_ring)
            tx_max_ring = vm.loop.out_len;
        pthread_mutex_unlock(&vm.lock);
        if (low && tx_low >= LOW_POLLS && !told) {
            told = true;                /* wake the loop to look */
            platform_irq_trigger(HOST_IRQ_VCPU);
        }
        if (low)
            sched_yield();
    }
    __atomic_store_n(&tx_done, true, __ATOMIC_RELEASE);
    platform_irq_trigger(HOST_IRQ_VCPU);
    return NULL;
}

/* The test's reader: reads standard output's pipe as fast as it can. */
static void *reader(void *arg)
{
    static uint8_t buf[1u << 16];

    (void)arg;
    while (rx_got < rx_goal) {
        ssize_t n = read(out_rfd, buf, sizeof buf);

        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            rx_bad += buf[i] != pattern(rx_got);
            sum_byte(&rx_sum, buf[i]);
            rx_got++;
        }
    }
    __atomic_store_n(&rx_done, true, __ATOMIC_RELEASE);
    platform_irq_trigger(HOST_IRQ_VCPU);
    return NULL;
}

static bool out_all_read(void)
{
    return __atomic_load_n(&rx_done, __ATOMIC_ACQUIRE) &&
           __atomic_load_n(&tx_done, __ATOMIC_ACQUIRE);
}

static bool out_stuck(void)
{
    uint64_t low;

    pthread_mutex_lock(&vm.lock);
    low = tx_low;
    pthread_mutex_unlock(&vm.lock);
    return low >= LOW_POLLS;
}

TEST(output_whole_and_in_order)
{
    pthread_t g, r;
    uint64_t bytes = vm.loop.output_bytes, start;

    pio_write(COM1 + UART16550_FCR, 1, UART16550_FCR_ENABLE);
    tx_goal = OUT_A;
    rx_goal = OUT_A;
    start = platform_now();
    CHECK_EQ(pthread_create(&r, NULL, reader, NULL), 0);
    CHECK_EQ(pthread_create(&g, NULL, tx_guest, NULL), 0);
    CHECK(run_until(out_all_read, 30000));
    pthread_join(g, NULL);
    pthread_join(r, NULL);
    printf("  1 MiB out in %.3f s; the guest saw THRE low %llu times; "
           "%llu waits for stdout\n", (double)(platform_now() - start) / 1e9,
           (unsigned long long)tx_low, (unsigned long long)vm.loop.output_waits);
    CHECK_EQ(tx_sent, OUT_A);
    CHECK_EQ(rx_got, OUT_A);
    CHECK_EQ(rx_bad, 0);
    CHECK_EQ(rx_sum, tx_sum);
    CHECK_EQ(vm.loop.output_bytes - bytes, OUT_A);
    CHECK(tx_max_ring <= RING);
    CHECK_EQ(vm.loop.out_len, 0);
}

/* A fresh guest thread writing OUT_B bytes with nobody reading, run until
   it has polled THRE low LOW_POLLS times: the pipe, the ring and the UART
   full. */
static void stuck_guest(pthread_t *g)
{
    pthread_mutex_lock(&vm.lock);
    tx_sent = tx_low = 0;
    tx_max_ring = 0;
    tx_ring_at_low = ~0u;
    tx_goal = OUT_B;
    pthread_mutex_unlock(&vm.lock);
    tx_done = rx_done = false;
    tx_sum = rx_sum = 0;
    rx_got = rx_bad = 0;
    CHECK_EQ(pthread_create(g, NULL, tx_guest, NULL), 0);
    CHECK(run_until(out_stuck, 20000));
}

TEST(output_held_while_nobody_reads)
{
    pthread_t g, r;
    uint64_t bytes = vm.loop.output_bytes, in_pipe, at_pause, low;
    unsigned ring, held;
    int queued = -1;

    /* The guest writes with nobody reading: the pipe fills, then the ring,
       then the UART's FIFO, and THRE stays low. */
    stuck_guest(&g);

    /* The loop is not writing now (this thread is the loop): every byte
       the guest wrote is in the pipe, the ring or the UART. */
    CHECK(ioctl(out_rfd, FIONREAD, &queued) == 0 && queued > 0);
    in_pipe = (uint64_t)queued;
    pthread_mutex_lock(&vm.lock);
    at_pause = tx_sent;
    ring = vm.loop.out_len;
    held = uart16550_model_tx_held(&vm.board.com1);
    CHECK_EQ(ring, RING);                           /* full ... */
    CHECK_EQ(tx_ring_at_low, RING);                 /* ... when THRE first fell */
    CHECK(tx_max_ring <= RING);                     /* and never more */
    CHECK(held >= 1 && held <= UART16550_FIFO_SIZE + 1);
    CHECK(vm.loop.out_refused);
    CHECK_EQ(at_pause, in_pipe + ring + held);      /* nothing lost */
    CHECK(at_pause < OUT_B);                        /* the guest is held, not done */
    low = tx_low;
    pthread_mutex_unlock(&vm.lock);
    CHECK(low >= LOW_POLLS);
    CHECK(!__atomic_load_n(&tx_done, __ATOMIC_ACQUIRE));  /* still running */
    printf("  held: %llu bytes in the pipe, %u in the ring, %u in the UART; "
           "the guest polled THRE low %llu times\n", (unsigned long long)in_pipe, ring,
           held, (unsigned long long)low);

    /* The reader reads again: the rest comes, whole and in order. */
    rx_goal = OUT_B;
    CHECK_EQ(pthread_create(&r, NULL, reader, NULL), 0);
    CHECK(run_until(out_all_read, 30000));
    pthread_join(g, NULL);
    pthread_join(r, NULL);
    CHECK_EQ(tx_sent, OUT_B);
    CHECK_EQ(rx_got, OUT_B);
    CHECK_EQ(rx_bad, 0);
    CHECK_EQ(rx_sum, tx_sum);
    CHECK_EQ(vm.loop.output_bytes - bytes, OUT_B);
    CHECK(tx_max_ring <= RING);
    CHECK_EQ(vm.loop.out_len, 0);
    CHECK(!vm.loop.out_refused);
    pthread_mutex_lock(&vm.lock);
    CHECK_EQ(uart16550_model_tx_held(&vm.board.com1), 0);
    CHECK(board_pio_read(&vm.board, COM1 + UART16550_LSR, 1) & UART16550_LSR_THRE);
    pthread_mutex_unlock(&vm.lock);
}

/* The run ends while the guest's output is held (the ring full, bytes in
   the UART): devloop_finish() sends the ring, then what the UART still
   holds, before the monitor exits. Nothing the guest wrote is lost. */
TEST(output_held_goes_out_at_finish)
{
    pthread_t g, r;
    uint64_t total;

    stuck_guest(&g);
    /* The guest stops where it is (as it would exit), held. */
    pthread_mutex_lock(&vm.lock);
    tx_goal = tx_sent;
    pthread_mutex_unlock(&vm.lock);
    pthread_join(g, NULL);
    pthread_mutex_lock(&vm.lock);
    total = tx_sent;
    CHECK_EQ(vm.loop.out_len, RING);
    CHECK(uart16550_model_tx_held(&vm.board.com1) >= 1);
    pthread_mutex_unlock(&vm.lock);
    /* The end of the run, with a reader taking everything. */
    rx_goal = total;
    CHECK_EQ(pthread_create(&r, NULL, reader, NULL), 0);
    devloop_finish(&vm);
    pthread_join(r, NULL);
    printf("  finished with %llu bytes written: all %llu read\n", (unsigned long long)total,
           (unsigned long long)rx_got);
    CHECK_EQ(rx_got, total);
    CHECK_EQ(rx_bad, 0);
    CHECK_EQ(rx_sum, tx_sum);
    CHECK_EQ(vm.loop.out_len, 0);
    pthread_mutex_lock(&vm.lock);
    CHECK_EQ(uart16550_model_tx_held(&vm.board.com1), 0);
    pthread_mutex_unlock(&vm.lock);
}

/* ---- 4c. the virtio-mmio devices, driven as a guest's driver does --------- */

/* Guest RAM for the virtio devices (the test's vm has none until here):
   each queue's three areas on pages of their own, buffers above them. */
#define VRAM_SIZE   (1u << 20)
#define RNG_Q       0x10000u    /* rng: requestq at RNG_Q, RNG_Q + 0x1000, + 0x2000 */
#define RNG_BUF     0x18000u
#define CON_RXQ     0x20000u    /* console: receiveq */
#define CON_TXQ     0x30000u    /* ... transmitq */
#define CON_RXBUF   0x40000u    /* receive buffers, VRX_LEN bytes apart */
#define CON_TXBUF   0x48000u
#define VQ_SIZE     8u
#define RNG_LEN     64u
#define VRX_LEN     64u         /* one receive buffer: what in_buf holds */
#define VRX_INPUT   100u        /* fed at once: more than one buffer holds */

static uint8_t vram[VRAM_SIZE] __attribute__((aligned(4096)));

/* The driver side's register accessors: the board's MMIO, under the lock,
   as a vCPU's exit would be served. */
static uint32_t vdrv_read(void *ctx, uint64_t addr, unsigned width)
{
    uint64_t v;

    (void)ctx;
    pthread_mutex_lock(&vm.lock);
    v = board_mmio_read(&vm.board, addr, width);
    pthread_mutex_unlock(&vm.lock);
    return (uint32_t)v;
}

static void vdrv_write(void *ctx, uint64_t addr, unsigned width, uint32_t value)
{
    (void)ctx;
    pthread_mutex_lock(&vm.lock);
    board_mmio_write(&vm.board, addr, width, value);
    pthread_mutex_unlock(&vm.lock);
}

/* The ring calls touch RAM the device reads under the lock: so do they. */
static int vq_add(virtq_drv *q, uint64_t gpa, uint32_t len, bool writable, void *token)
{
    virtq_buf b = { gpa, len };
    int r;

    pthread_mutex_lock(&vm.lock);
    r = virtq_drv_add(q, &b, writable ? 0 : 1, writable ? 1 : 0, token);
    pthread_mutex_unlock(&vm.lock);
    return r;
}

static void *vq_used(virtq_drv *q, uint32_t *len)
{
    void *tok;

    pthread_mutex_lock(&vm.lock);
    tok = virtq_drv_get_used(q, len);
    pthread_mutex_unlock(&vm.lock);
    return tok;
}

static uint16_t used_idx(uint64_t used_gpa)
{
    uint16_t idx;

    pthread_mutex_lock(&vm.lock);
    idx = (uint16_t)(vram[used_gpa + 2] | vram[used_gpa + 3] << 8);
    pthread_mutex_unlock(&vm.lock);
    return idx;
}

/* Queue `index` at `gpa` (desc, avail, used a page apart), size VQ_SIZE,
   on both sides: the driver's view and the device's registers. */
static bool vq_setup(virtio_drv *d, virtq_drv *q, unsigned index, uint64_t gpa)
{
    bool ok;

    pthread_mutex_lock(&vm.lock);
    ok = virtq_drv_init(q, VQ_SIZE, vram + gpa, vram + gpa + 0x1000, vram + gpa + 0x2000,
                        false) == 0;
    pthread_mutex_unlock(&vm.lock);
    return CHECK(ok) && CHECK(virtio_drv_queue_max(d, index) >= VQ_SIZE) &&
           CHECK_EQ(virtio_drv_queue(d, index, VQ_SIZE, gpa, gpa + 0x1000, gpa + 0x2000,
                                     VIRTIO_MSI_NO_VECTOR), 0);
}

/* Found, and VERSION_1 alone agreed: ACKNOWLEDGE | DRIVER, features word
   1 bit 0 (bit 32), FEATURES_OK read back (virtio_drv_negotiate()). */
static bool vdev_negotiate(virtio_drv *d, uint64_t base, uint32_t id)
{
    *d = (virtio_drv){ .read = vdrv_read, .write = vdrv_write };
    if (!CHECK_EQ(virtio_drv_mmio(d, base), 0) || !CHECK_EQ(d->device_id, id))
        return false;
    if (!CHECK_EQ(virtio_drv_negotiate(d, 0), 0))
        return false;
    CHECK_EQ(d->features, 1ull << VIRTIO_F_VERSION_1);
    CHECK_EQ(vdrv_read(NULL, base + VIRTIO_MMIO_STATUS, 4),
             VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    return true;
}

static void vdev_ready(virtio_drv *d, uint64_t base)
{
    virtio_drv_ready(d);
    CHECK_EQ(vdrv_read(NULL, base + VIRTIO_MMIO_STATUS, 4),
             VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
             VIRTIO_STATUS_DRIVER_OK);
}

/* A guest thread's end, as the others: a flag and a trigger. */
static bool vguest_done;

static bool vguest_finished(void)
{
    return __atomic_load_n(&vguest_done, __ATOMIC_ACQUIRE);
}

static void vguest_end(void)
{
    __atomic_store_n(&vguest_done, true, __ATOMIC_RELEASE);
    platform_irq_trigger(HOST_IRQ_VCPU);
}

/* Wait (bounded, 10 s) for the device to give a chain back. */
static void *vq_wait_used(virtq_drv *q, uint32_t *len)
{
    uint64_t end = platform_now() + timer_ms(10000);
    void *tok;

    while (!(tok = vq_used(q, len)) && platform_now() < end)
        sleep_ms(1);
    return tok;
}

static virtio_drv rng_drv;
static virtq_drv rng_q;
static void *rng_tok;
static uint32_t rng_len = ~0u;

static void *rng_guest(void *arg)
{
    static int token;

    (void)arg;
    if (vdev_negotiate(&rng_drv, BOARD_VIRTIO_MMIO_RNG, VIRTIO_ID_ENTROPY) &&
        vq_setup(&rng_drv, &rng_q, 0, RNG_Q)) {
        vdev_ready(&rng_drv, BOARD_VIRTIO_MMIO_RNG);
        if (CHECK_EQ(vq_add(&rng_q, RNG_BUF, RNG_LEN, true, &token), 0)) {
            virtio_drv_notify(&rng_drv, 0);
            rng_tok = vq_wait_used(&rng_q, &rng_len);
            if (rng_tok == &token)
                (void)virtio_drv_interrupt(&rng_drv);
        }
    }
    vguest_end();
    return NULL;
}

TEST(virtio_rng_from_the_host)
{
    pthread_t th;
    unsigned nonzero = 0;

    pthread_mutex_lock(&vm.lock);
    vm.ram = vram;
    vm.ram_size = VRAM_SIZE;
    board_set_ram(&vm.board, vm.ram, vm.ram_size);
    pthread_mutex_unlock(&vm.lock);

    __atomic_store_n(&vguest_done, false, __ATOMIC_RELEASE);
    CHECK_EQ(pthread_create(&th, NULL, rng_guest, NULL), 0);
    CHECK(run_until(vguest_finished, 15000));
    pthread_join(th, NULL);
    CHECK(rng_tok != NULL);
    CHECK_EQ(used_idx(RNG_Q + 0x2000), 1);
    CHECK_EQ(rng_len, RNG_LEN);                 /* the whole buffer, from getrandom */
    pthread_mutex_lock(&vm.lock);
    for (unsigned i = 0; i < RNG_LEN; i++)
        nonzero += vram[RNG_BUF + i] != 0;
    CHECK_EQ(vm.board.vio[BOARD_VIO_MMIO_RNG].s.status & VIRTIO_STATUS_NEEDS_RESET, 0);
    pthread_mutex_unlock(&vm.lock);
    /* 64 random bytes all zero: 2^-512. */
    CHECK(nonzero > 0);
    CHECK_EQ(vdrv_read(NULL, BOARD_VIRTIO_MMIO_RNG + VIRTIO_MMIO_INTERRUPT_STATUS, 4), 0);
}

/* The console, up: both queues set, no receive buffer yet. */
static virtio_drv con_drv;
static virtq_drv con_rx, con_tx;
static const char con_text[] = "abc\n";
static void *con_tok;
static uint32_t con_len = ~0u;

static void *con_tx_guest(void *arg)
{
    static int token;

    (void)arg;
    if (vdev_negotiate(&con_drv, BOARD_VIRTIO_MMIO_CON, VIRTIO_ID_CONSOLE) &&
        vq_setup(&con_drv, &con_rx, VIRTIO_CONSOLE_RECEIVEQ, CON_RXQ) &&
        vq_setup(&con_drv, &con_tx, VIRTIO_CONSOLE_TRANSMITQ, CON_TXQ)) {
        vdev_ready(&con_drv, BOARD_VIRTIO_MMIO_CON);
        pthread_mutex_lock(&vm.lock);
        memcpy(vram + CON_TXBUF, con_text, sizeof con_text - 1);
        pthread_mutex_unlock(&vm.lock);
        if (CHECK_EQ(vq_add(&con_tx, CON_TXBUF, sizeof con_text - 1, false, &token), 0)) {
            virtio_drv_notify(&con_drv, VIRTIO_CONSOLE_TRANSMITQ);
            con_tok = vq_wait_used(&con_tx, &con_len);
            if (con_tok == &token)
                (void)virtio_drv_interrupt(&con_drv);
        }
    }
    vguest_end();
    return NULL;
}

static bool out_ring_empty(void)
{
    bool empty;

    pthread_mutex_lock(&vm.lock);
    empty = vm.loop.out_len == 0;
    pthread_mutex_unlock(&vm.lock);
    return empty;
}

TEST(virtio_console_output_reaches_the_host)
{
    char buf[16];
    uint64_t bytes = vm.loop.output_bytes;
    pthread_t th;
    int queued = -1;

    CHECK(ioctl(out_rfd, FIONREAD, &queued) == 0 && queued == 0);
    __atomic_store_n(&vguest_done, false, __ATOMIC_RELEASE);
    CHECK_EQ(pthread_create(&th, NULL, con_tx_guest, NULL), 0);
    CHECK(run_until(vguest_finished, 15000));
    pthread_join(th, NULL);
    CHECK(con_tok != NULL);
    CHECK_EQ(con_len, 0);                   /* a transmit buffer: nothing written to it */
    /* The bytes went COM1's way (devloop.c sets no vcon_tx): the ring, then
       the pipe. */
    CHECK(run_until(out_ring_empty, 5000));
    CHECK_EQ(vm.loop.output_bytes - bytes, sizeof con_text - 1);
    CHECK(ioctl(out_rfd, FIONREAD, &queued) == 0 && queued == (int)sizeof con_text - 1);
    if (queued == (int)sizeof con_text - 1) {
        CHECK_EQ(read(out_rfd, buf, sizeof buf), (ssize_t)sizeof con_text - 1);
        CHECK(memcmp(buf, con_text, sizeof con_text - 1) == 0);
    }
    pthread_mutex_lock(&vm.lock);
    CHECK_EQ(vm.board.vio[BOARD_VIO_MMIO_CON].s.status & VIRTIO_STATUS_NEEDS_RESET, 0);
    pthread_mutex_unlock(&vm.lock);
}

/* Host input into the console's receive buffers: it waits, in the loop's
   in_buf and the pipe, until the guest posts one; then it fills them in
   order, none lost, as far as they hold. */
static uint8_t vin[VRX_INPUT];
static uint16_t vrx_used_want;

static bool vrx_used(void)
{
    return used_idx(CON_RXQ + 0x2000) >= vrx_used_want;
}

/* Post receive buffer k (VRX_LEN bytes) and notify, as the guest. */
static void vrx_post(unsigned k)
{
    CHECK_EQ(vq_add(&con_rx, CON_RXBUF + k * VRX_LEN, VRX_LEN, true, &vin[k]), 0);
    virtio_drv_notify(&con_drv, VIRTIO_CONSOLE_RECEIVEQ);
}

TEST(virtio_console_input)
{
    uint64_t bytes = vm.loop.input_bytes;
    unsigned left;
    uint32_t len = ~0u;
    void *tok;
    int p[2], queued = -1;

    for (unsigned i = 0; i < VRX_INPUT; i++)
        vin[i] = (uint8_t)(i * 7u + 1u);
    CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    CHECK_EQ(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    close(p[0]);
    wfd = p[1];
    CHECK(devloop_input_start(&vm, INPUT_VIRTIO));
    CHECK_EQ(vm.loop.input_mode, INPUT_VIRTIO);
    CHECK_EQ(write(wfd, vin, VRX_INPUT), (ssize_t)VRX_INPUT);

    /* No receive buffer: the loop reads what in_buf holds and holds it;
       the rest stays in the pipe, and the loop sleeps. */
    CHECK(run_until(kbd_held, 2000));
    run_for(100);
    CHECK(kbd_held());
    CHECK_EQ(vm.loop.input_bytes - bytes, sizeof vm.loop.in_buf);
    CHECK(ioctl(wfd, FIONREAD, &queued) == 0 &&
          queued == (int)(VRX_INPUT - sizeof vm.loop.in_buf));
    CHECK_EQ(used_idx(CON_RXQ + 0x2000), 0);

    /* One buffer: it takes what the loop holds, in order; the rest of the
       input comes and waits for the next. */
    vrx_used_want = 1;
    vrx_post(0);
    CHECK(run_until(vrx_used, 5000));
    tok = vq_used(&con_rx, &len);
    CHECK(tok == &vin[0]);
    CHECK_EQ(len, VRX_LEN);
    pthread_mutex_lock(&vm.lock);
    CHECK(memcmp(vram + CON_RXBUF, vin, VRX_LEN) == 0);
    pthread_mutex_unlock(&vm.lock);
    CHECK(run_until(kbd_held, 2000));
    run_for(100);
    CHECK(kbd_held());
    CHECK_EQ(used_idx(CON_RXQ + 0x2000), 1);
    CHECK_EQ(vm.loop.input_bytes - bytes, VRX_INPUT);
    CHECK(ioctl(wfd, FIONREAD, &queued) == 0 && queued == 0);
    left = vm.loop.in_len - vm.loop.in_pos;
    CHECK_EQ(left, VRX_INPUT - VRX_LEN);

    /* The second buffer: the rest, none lost. */
    vrx_used_want = 2;
    vrx_post(1);
    CHECK(run_until(vrx_used, 5000));
    len = ~0u;
    tok = vq_used(&con_rx, &len);
    CHECK(tok == &vin[1]);
    CHECK_EQ(len, VRX_INPUT - VRX_LEN);
    pthread_mutex_lock(&vm.lock);
    CHECK(memcmp(vram + CON_RXBUF + VRX_LEN, vin + VRX_LEN, VRX_INPUT - VRX_LEN) == 0);
    CHECK_EQ(vm.board.vio[BOARD_VIO_MMIO_CON].s.status & VIRTIO_STATUS_NEEDS_RESET, 0);
    pthread_mutex_unlock(&vm.lock);
    CHECK_EQ(vm.loop.in_len, 0);
    CHECK_EQ(vm.loop.input_bytes - bytes, VRX_INPUT);
    (void)virtio_drv_interrupt(&con_drv);

    close(wfd);
    wfd = -1;
    CHECK(run_until(input_detached, 2000));
}

/* Input that comes while no console's driver is live (both reset) waits;
   it goes to whichever comes up and posts a buffer, here the MMIO one. */
TEST(virtio_console_input_before_the_driver)
{
    static const uint8_t early[] = "early";
    uint64_t bytes = vm.loop.input_bytes;
    uint32_t len = ~0u;
    void *tok;
    int p[2];

    CHECK_EQ(virtio_drv_reset(&con_drv), 0);
    pthread_mutex_lock(&vm.lock);
    CHECK_EQ(vm.board.vio[BOARD_VIO_PCI_CON].s.status, 0);
    CHECK_EQ(vm.board.vio[BOARD_VIO_MMIO_CON].s.status, 0);
    pthread_mutex_unlock(&vm.lock);
    CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    CHECK_EQ(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    close(p[0]);
    wfd = p[1];
    CHECK(devloop_input_start(&vm, INPUT_VIRTIO));
    CHECK_EQ(write(wfd, early, sizeof early - 1), (ssize_t)sizeof early - 1);
    CHECK(run_until(kbd_held, 2000));
    CHECK_EQ(vm.loop.input_bytes - bytes, sizeof early - 1);

    /* The driver comes up, posts a buffer: the input arrives in it. */
    if (vdev_negotiate(&con_drv, BOARD_VIRTIO_MMIO_CON, VIRTIO_ID_CONSOLE) &&
        vq_setup(&con_drv, &con_rx, VIRTIO_CONSOLE_RECEIVEQ, CON_RXQ) &&
        vq_setup(&con_drv, &con_tx, VIRTIO_CONSOLE_TRANSMITQ, CON_TXQ)) {
        vdev_ready(&con_drv, BOARD_VIRTIO_MMIO_CON);
        vrx_used_want = 1;
        vrx_post(0);
        CHECK(run_until(vrx_used, 5000));
        tok = vq_used(&con_rx, &len);
        CHECK(tok == &vin[0]);
        CHECK_EQ(len, sizeof early - 1);
        pthread_mutex_lock(&vm.lock);
        CHECK(memcmp(vram + CON_RXBUF, early, sizeof early - 1) == 0);
        pthread_mutex_unlock(&vm.lock);
        CHECK(!kbd_held());
        (void)virtio_drv_interrupt(&con_drv);
    }
    close(wfd);
    wfd = -1;
    CHECK(run_until(input_detached, 2000));
}

/* ---- 5. done() ends the run ------------------------------------------------ */

static uint64_t finished_at;

static bool vcpu_finished(const struct vm *v)
{
    return __atomic_load_n(&v->vcpu.finished, __ATOMIC_ACQUIRE);
}

/* As vm/vcpu.c's thread ends: finished, then a trigger to wake the loop. */
static void *vcpu_thread(void *arg)
{
    (void)arg;
    sleep_ms(50);       /* the loop is asleep by now, its next timer ~1 s off */
    __atomic_store_n(&finished_at, platform_now(), __ATOMIC_RELAXED);
    __atomic_store_n(&vm.vcpu.finished, true, __ATOMIC_RELEASE);
    platform_irq_trigger(HOST_IRQ_VCPU);
    return NULL;
}

TEST(done_ends_the_run)
{
    pthread_t th;
    uint64_t passes = vm.loop.passes, waits = vm.loop.waits, ended;

    /* Already done: one pass, no wait. */
    vm.vcpu.finished = true;
    devloop_run(&vm, vcpu_finished);
    CHECK_EQ(vm.loop.passes - passes, 1);
    CHECK_EQ(vm.loop.waits, waits);

    /* Done from another thread while the loop sleeps: it ends at once,
       not at its next deadline. */
    vm.vcpu.finished = false;
    waits = vm.loop.waits;
    CHECK_EQ(pthread_create(&th, NULL, vcpu_thread, NULL), 0);
    devloop_run(&vm, vcpu_finished);
    ended = platform_now();
    pthread_join(th, NULL);
    /* How soon after is the host's scheduling (host_loop_test proves that
       a trigger ends a wait); that it ends is what this shows. */
    CHECK(ended >= __atomic_load_n(&finished_at, __ATOMIC_RELAXED));
}

/* In this order: one board, one loop, one pipe. */
CHECK_MAIN(TEST_ENTRY(init), TEST_ENTRY(input_in_order_with_backpressure),
           TEST_ENTRY(end_of_input_detaches),
           TEST_ENTRY(keyboard_input_in_order_with_backpressure),
           TEST_ENTRY(pm_timer_sci_without_access),
           TEST_ENTRY(pit_count_1_does_not_spin_the_loop),
           TEST_ENTRY(watchdog_once_a_second), TEST_ENTRY(output_whole_and_in_order),
           TEST_ENTRY(output_held_while_nobody_reads), TEST_ENTRY(output_held_goes_out_at_finish),
           TEST_ENTRY(virtio_rng_from_the_host),
           TEST_ENTRY(virtio_console_output_reaches_the_host),
           TEST_ENTRY(virtio_console_input),
           TEST_ENTRY(virtio_console_input_before_the_driver), TEST_ENTRY(done_ends_the_run))
