/* devloop_test.c - bbvm's device loop (vm/devloop.c) on the real board
   (vm/board.c) and host port (vm/host/platform.c), without KVM.

   The test is the vCPU side: it provides kvm_kick() (counting kicks by
   reason, with their times), plays the guest by touching the board under
   vm->lock, from its own thread or between runs of the loop, and ends each
   devloop_run() with a done() callback as vm/vcpu.c's kvm_finished() does.
   Standard input is a pipe the test writes (dup2'd onto fd 0 before
   devloop_init(), which reads STDIN_FILENO). It checks that:
   - host input reaches COM1 in order and is held, none lost, while the
     16-byte FIFO is full, then resumes when the guest reads RBR;
   - end of input detaches the line, and the loop still sleeps and runs
     timers;
   - a board deadline is met with no guest access: the PM timer's SCI rises
     when its counter's bit 23 first changes, 2^23 ticks (2.34 s) after
     power-on;
   - the watchdog kicks the vCPU once a second, never early;
   - a done() made true by another thread's trigger ends the run at once.
   The tests run in order on one board and one loop. A safety timer ends a
   run that waits too long (a failed check); alarm() ends a hung one. */
#define _GNU_SOURCE /* pipe2, FIONREAD */
#include <fcntl.h>
#include <pthread.h>
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

    signal(SIGALRM, on_alarm);
    alarm(20);
    CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    if (p[0] != STDIN_FILENO) {     /* it is if fd 0 was closed */
        CHECK_EQ(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
        close(p[0]);
    }
    wfd = p[1];
    devloop_board_hooks(&vm, &h);
    CHECK(h.ctx == &vm);
    devloop_init(&vm, true);
    CHECK(vm.loop.input_fd >= 0);
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
           TEST_ENTRY(end_of_input_detaches), TEST_ENTRY(pm_timer_sci_without_access),
           TEST_ENTRY(pit_count_1_does_not_spin_the_loop),
           TEST_ENTRY(watchdog_once_a_second), TEST_ENTRY(done_ends_the_run))
