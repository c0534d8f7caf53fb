/* vdev_test.c - the kernel's virtio drivers (arch/common/vdev.c) against
   hdr/virtio.h's device model, on the host: the portable kernel runs in
   this process on the host port (vm/host/platform.c), the "registers" of
   one virtio-mmio window are the model's, its interrupt line is an
   eventfd, and "guest memory" is this process's.

   The model is made to lie by the guest-memory hook that carries its used
   entries: a used length beyond the buffer, an id out of range, an id not
   in flight. The drivers must clamp the first (and count it), and for the
   others fail the request in flight with VDEV_EIO, stop the device and
   refuse new requests, never hand a caller more than its buffer or a
   request that is not its own. Then the timing of a request's life: a
   device that dies before a request starts must still fail it, and a
   request cancelled before it starts must give its slot back. Each case
   runs in a child process, since vdev_probe() runs once per kernel. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "loop.h"
#include "vdev.h"

#define PCI_IMPLEMENTATION      /* vdev.c's PCI calls (no PCI here) */
#include "pci.h"
#define VIRTQ_DRV_MAX VDEV_QUEUE_SIZE /* as vdev.c has it */
#include "virtio.h"             /* the model: its implementation is in vdev.c */

#define WIN 0x10000000u         /* where the window's registers "are" */
#define IRQ 5u                  /* a host line (vm/host/arch.h: 0..15) */

enum lie { HONEST, LONG_LEN, BAD_ID, FREE_ID };
static enum lie lie;
static virtio_model dev;
static int efd = -1;
static uint8_t tx_seen[256];
static size_t tx_len;

/* --- the model's side ----------------------------------------------------- */

static bool mem_read(void *ctx, uint64_t gpa, void *dst, size_t n)
{
    (void)ctx;
    if (!gpa)
        return false;
    memcpy(dst, (const void *)(uintptr_t)gpa, n);
    return true;
}

/* A used element is an 8-byte write into the ring[] of a queue's used
   ring: the lying device rewrites it as it lands. */
static bool mem_write(void *ctx, uint64_t gpa, const void *src, size_t n)
{
    (void)ctx;
    if (!gpa)
        return false;
    memcpy((void *)(uintptr_t)gpa, src, n);
    for (unsigned q = 0; q < VIRTIO_MODEL_QUEUES && lie != HONEST && n == 8; q++) {
        const virtio_queue_state *s = &dev.s.q[q];
        uint64_t ring = s->device + 4;
        uint32_t e[2];

        if (!s->vq.size || gpa < ring || gpa >= ring + 8u * s->vq.size)
            continue;
        memcpy(e, (void *)(uintptr_t)gpa, 8);
        if (lie == LONG_LEN)
            e[1] += 1000;
        else if (lie == BAD_ID)
            e[0] = 0x7fff;
        else
            e[0] = (e[0] + 1) % s->vq.size;   /* a descriptor not in flight */
        memcpy((void *)(uintptr_t)gpa, e, 8);
    }
    return true;
}

static bool mem_check(void *ctx, uint64_t gpa, uint64_t n)
{
    (void)ctx;
    (void)n;
    return gpa != 0;
}

/* The line is level: the eventfd is readable while it is high. */
static void model_irq(void *ctx, bool level)
{
    uint64_t v = 1;

    (void)ctx;
    if (level)
        CHECK(write(efd, &v, sizeof v) == sizeof v);
    else
        (void)!read(efd, &v, sizeof v);
}

static size_t entropy(void *ctx, void *buf, size_t n)
{
    (void)ctx;
    memset(buf, 0xa5, n);
    return n;
}

static size_t console_tx(void *ctx, const void *buf, size_t n)
{
    (void)ctx;
    if (n > sizeof tx_seen - tx_len)
        n = sizeof tx_seen - tx_len;
    memcpy(tx_seen + tx_len, buf, n);
    tx_len += n;
    return n;
}

static uint32_t bus_read(void *ctx, uint64_t addr, unsigned width)
{
    (void)ctx;
    if (addr >= WIN && addr < WIN + VIRTIO_MMIO_SIZE)
        return (uint32_t)virtio_model_read(&dev, addr - WIN, width);
    return 0xffffffffu;
}

static void bus_write(void *ctx, uint64_t addr, unsigned width, uint32_t v)
{
    (void)ctx;
    if (addr >= WIN && addr < WIN + VIRTIO_MMIO_SIZE)
        virtio_model_write(&dev, addr - WIN, width, v);
}

/* --- section 8 of platform.h, for this board ------------------------------ */

bool platform_pci(struct pci_drv *out)
{
    (void)out;
    return false;
}

int platform_pci_intx(const struct pci_drv *d, uint32_t bdf, unsigned pin)
{
    (void)d;
    (void)bdf;
    (void)pin;
    return -1;
}

bool platform_msi_alloc(unsigned *irq, uint64_t *address, uint32_t *data)
{
    (void)irq;
    (void)address;
    (void)data;
    return false;
}

unsigned platform_virtio_mmio(struct platform_mmio *out, unsigned max)
{
    if (max < 1)
        return 0;
    out[0] = (struct platform_mmio){ WIN, VIRTIO_MMIO_SIZE, IRQ };
    return 1;
}

/* --- a request, run to its end --------------------------------------------- */

static bool finished, late;
static int result;

static void done(async_work *w, int r)
{
    (void)w;
    result = r;
    finished = true;
}

static bool over(void *ctx)
{
    (void)ctx;
    return finished || late;
}

static void on_late(timer *t, void *arg)
{
    (void)t;
    (void)arg;
    late = true;
}

static int wait_done(void)
{
    timer guard;

    late = false;
    timer_init(&guard, on_late, NULL);
    timer_start(&kernel_timers, &guard, platform_now() + timer_ms(5000));
    kernel_loop(over, NULL);
    timer_cancel(&kernel_timers, &guard);
    CHECK(finished);
    return finished ? result : -1000;
}

/* Boot the kernel's runtime around one device of `type`, then `body`. */
static void start(uint32_t type)
{
    static const struct boot_info bi = { "host", "a test", "stderr", 0, "" };
    virtio_model_hooks h = { 0 };

    h.irq = model_irq;
    h.entropy = entropy;
    h.console_tx = console_tx;
    virtio_model_init(&dev, &h);
    dev.cfg.transport = VIRTIO_TRANSPORT_MMIO;
    dev.cfg.device = type;
    dev.cfg.mem.read = mem_read;
    dev.cfg.mem.write = mem_write;
    dev.cfg.mem.check = mem_check;
    virtio_model_reset(&dev);
    efd = eventfd(0, EFD_NONBLOCK);
    CHECK(efd >= 0);
    kernel_init_runtime(&bi);
    CHECK(host_irq_attach_fd(IRQ, efd));
    vdev_bus_read = bus_read;
    vdev_bus_write = bus_write;
    CHECK(vdev_probe(&bi) == 1);
    CHECK(vdev_count(type) == 1);
}

static async_work w;

static void rng_case(enum lie l)
{
    static uint8_t buf[32];
    struct vdev_stats s;
    int r;

    start(VIRTIO_ID_ENTROPY);
    lie = l;
    finished = false;
    CHECK(vdev_rng_read(0, &w, buf, sizeof buf, done, NULL));
    r = wait_done();
    vdev_stats(&s);
    if (l == HONEST || l == LONG_LEN) {
        CHECK(r == (int)sizeof buf);          /* never more than the buffer */
        CHECK(buf[0] == 0xa5 && buf[31] == 0xa5);
        CHECK(s.bad_len == (l == LONG_LEN));
        CHECK(s.broken == 0);
        finished = false;                     /* and the device still works */
        CHECK(vdev_rng_read(0, &w, buf, sizeof buf, done, NULL));
        CHECK(wait_done() == (int)sizeof buf);
    } else {
        CHECK(r == VDEV_EIO);
        CHECK(s.broken == 1);
        CHECK(!vdev_rng_read(0, &w, buf, sizeof buf, done, NULL)); /* stopped */
    }
}

static void console_case(enum lie l)
{
    static const char msg[] = "out";
    static uint8_t in[8];
    struct vdev_stats s;
    int r;

    start(VIRTIO_ID_CONSOLE);
    finished = false;
    CHECK(vdev_console_write(0, &w, msg, 3, done, NULL));
    CHECK(wait_done() == 3);
    CHECK(tx_len == 3 && memcmp(tx_seen, msg, 3) == 0);
    lie = l;
    finished = false;
    CHECK(vdev_console_read(0, &w, in, sizeof in, done, NULL));
    ktick(&kernel_rt);                         /* the buffer goes to the device */
    CHECK(virtio_model_console_rx(&dev, "hello", 5) == 5);
    r = wait_done();
    vdev_stats(&s);
    if (l == HONEST)
        CHECK(r == 5 && memcmp(in, "hello", 5) == 0);
    else if (l == LONG_LEN)
        CHECK(r == (int)sizeof in && s.bad_len == 1);   /* clamped to the buffer */
    else
        CHECK(r == VDEV_EIO && s.broken == 1);
}

/* Two requests, each with its own result. */
static int res_a, res_b;
static unsigned ndone;

static void done_one(async_work *w, int r)
{
    *(int *)w->ctx = r;
    finished = ++ndone == 2;
}

/* The device dies between a request and its start: the interrupt step of
   the tick that would start B breaks the ring under A, which is in flight.
   B was never given to the device, but it must still complete. */
static void rng_dies_case(enum lie l)
{
    static uint8_t a[32], b[32];
    static async_work wb;
    struct vdev_stats s;

    start(VIRTIO_ID_ENTROPY);
    lie = l;
    finished = false;
    res_a = res_b = 1;
    CHECK(vdev_rng_read(0, &w, a, sizeof a, done_one, &res_a));
    ktick(&kernel_rt);                         /* A goes to the device; it lies */
    CHECK(vdev_rng_read(0, &wb, b, sizeof b, done_one, &res_b));
    CHECK(platform_irq_trigger(IRQ));          /* its interrupt, before B starts */
    wait_done();
    vdev_stats(&s);
    CHECK(s.broken == 1);
    CHECK(res_a == VDEV_EIO);
    CHECK(res_b == VDEV_EIO);
    CHECK(async_state_of(&wb) == ASYNC_DEAD);
}

/* Requests cancelled before they start give their slots back: more of
   them than a queue holds, then one more that must still get a slot. */
static void rng_cancel_case(enum lie l)
{
    static uint8_t buf[32];
    static async_work ws[VDEV_QUEUE_SIZE + 1];

    start(VIRTIO_ID_ENTROPY);
    lie = l;
    for (unsigned i = 0; i < VDEV_QUEUE_SIZE + 1; i++) {
        finished = false;
        CHECK(vdev_rng_read(0, &ws[i], buf, sizeof buf, done, NULL));
        CHECK(async_cancel(&kernel_rt, &ws[i]));
        ktick(&kernel_rt);                     /* cancelled, never started */
        CHECK(finished && result == ASYNC_CANCELLED);
    }
    finished = false;
    if (CHECK(vdev_rng_read(0, &w, buf, sizeof buf, done, NULL)))
        CHECK(wait_done() == (int)sizeof buf);
}

/* The same item, cancelled before it started, then used for a new
   request: the device must fill the new buffer, not the old one. */
static void rng_reuse_case(enum lie l)
{
    static uint8_t old[32], fresh[32];

    start(VIRTIO_ID_ENTROPY);
    lie = l;
    finished = false;
    CHECK(vdev_rng_read(0, &w, old, sizeof old, done, NULL));
    CHECK(async_cancel(&kernel_rt, &w));
    ktick(&kernel_rt);
    CHECK(finished && result == ASYNC_CANCELLED);
    finished = false;
    if (CHECK(vdev_rng_read(0, &w, fresh, sizeof fresh, done, NULL)))
        CHECK(wait_done() == (int)sizeof fresh);
    CHECK(fresh[0] == 0xa5 && fresh[31] == 0xa5);
    CHECK(old[0] == 0 && old[31] == 0);        /* untouched */
}

/* The same, across queues: a console read cancelled before it started,
   then the item used for a write. The write must go out, not the read's
   buffer to the receive queue. */
static void console_reuse_case(enum lie l)
{
    static const char msg[] = "out";
    static uint8_t in[8];

    start(VIRTIO_ID_CONSOLE);
    lie = l;
    finished = false;
    CHECK(vdev_console_read(0, &w, in, sizeof in, done, NULL));
    CHECK(async_cancel(&kernel_rt, &w));
    ktick(&kernel_rt);
    CHECK(finished && result == ASYNC_CANCELLED);
    finished = false;
    if (CHECK(vdev_console_write(0, &w, msg, 3, done, NULL)))
        CHECK(wait_done() == 3);
    CHECK(tx_len == 3 && memcmp(tx_seen, msg, 3) == 0);
}

/* The item is the caller's again by the time its callback runs: its ctx
   is the caller's, and the callback may free it. A request cancelled
   before it started, its item freed in the callback, then a request on
   another item: under ASan, any look at the freed one is a failure. */
static void *ctx_seen;

static void done_and_free(async_work *w, int r)
{
    ctx_seen = w->ctx;
    result = r;
    finished = true;
    free(w);
}

static void rng_free_after_cancel_case(enum lie l)
{
    static uint8_t buf[32];
    static int mine;
    async_work *heap = calloc(1, sizeof *heap);

    start(VIRTIO_ID_ENTROPY);
    lie = l;
    finished = false;
    if (!CHECK(heap != NULL) || !CHECK(vdev_rng_read(0, heap, buf, sizeof buf, done_and_free, &mine)))
        return;
    CHECK(async_cancel(&kernel_rt, heap));
    ktick(&kernel_rt);                         /* cancelled, never started; freed */
    CHECK(finished && result == ASYNC_CANCELLED);
    CHECK(ctx_seen == &mine);
    for (unsigned i = 0; i < VDEV_QUEUE_SIZE + 1; i++) {  /* every slot looked at */
        finished = false;
        if (CHECK(vdev_rng_read(0, &w, buf, sizeof buf, done, NULL)))
            CHECK(wait_done() == (int)sizeof buf);
    }
}

/* Each case in a child, which reports its failures by its exit status. */
static void in_child(void (*fn)(enum lie), enum lie l)
{
    pid_t pid = fork();
    int st = 0;

    if (pid == 0) {
        fn(l);
        fflush(stdout);
        _exit(check_failed_ != 0 || check_total_ == 0);
    }
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(rng_honest) { in_child(rng_case, HONEST); }
TEST(rng_used_len_too_long) { in_child(rng_case, LONG_LEN); }
TEST(rng_used_id_out_of_range) { in_child(rng_case, BAD_ID); }
TEST(rng_used_id_not_in_flight) { in_child(rng_case, FREE_ID); }
TEST(console_honest) { in_child(console_case, HONEST); }
TEST(console_used_len_too_long) { in_child(console_case, LONG_LEN); }
TEST(console_used_id_out_of_range) { in_child(console_case, BAD_ID); }
TEST(rng_dies_before_start) { in_child(rng_dies_case, BAD_ID); }
TEST(rng_cancel_before_start_frees_slot) { in_child(rng_cancel_case, HONEST); }
TEST(rng_reuse_after_cancel) { in_child(rng_reuse_case, HONEST); }
TEST(console_reuse_after_cancel) { in_child(console_reuse_case, HONEST); }
TEST(rng_free_after_cancel) { in_child(rng_free_after_cancel_case, HONEST); }

CHECK_MAIN(TEST_ENTRY(rng_honest), TEST_ENTRY(rng_used_len_too_long),
           TEST_ENTRY(rng_used_id_out_of_range), TEST_ENTRY(rng_used_id_not_in_flight),
           TEST_ENTRY(console_honest), TEST_ENTRY(console_used_len_too_long),
           TEST_ENTRY(console_used_id_out_of_range), TEST_ENTRY(rng_dies_before_start),
           TEST_ENTRY(rng_cancel_before_start_frees_slot), TEST_ENTRY(rng_reuse_after_cancel),
           TEST_ENTRY(console_reuse_after_cancel), TEST_ENTRY(rng_free_after_cancel))
