/* kmain.c - the demo kernel: boot, bring the platform up, and show the
   event loop at work: three timers and a software interrupt, each handled
   in the loop, never in an interrupt handler. `./run demo` boots it.

   The order of the four lines is made by the code, not by the clock: timer
   "two" rings the doorbell, and the doorbell's handler arms timer "three".
   However slow the machine (QEMU TCG on two busy cores), "three" cannot be
   due before the interrupt has been handled, so the boot tests may expect
   one, two, interrupt, three.

   Then the virtio devices, if the board has any (arch/common/vdev.c):
   random bytes from each rng, printed, and a line through each virtio
   console; `virtio=off` on the command line skips this part. */
#include "loop.h"
#include "vdev.h"
#include "virtio.h"   /* the device IDs */

static unsigned events;
static timer t[3];
static const char *const name[3] = { "one", "two", "three" };

static void tick(timer *t, void *arg)
{
    (void)t;
    kprintf("demo: timer \"%s\" fired at %llu ms\n", (const char *)arg,
            (unsigned long long)timer_to_ms(platform_now()));
    events++;
    if (events == 2)     /* the middle timer also rings the doorbell */
        platform_irq_trigger(PLATFORM_SOFT_IRQ);
}

static void doorbell(void *ctx, unsigned irq)
{
    (void)ctx;
    kprintf("demo: interrupt %u handled by the loop at %llu ms\n", irq,
            (unsigned long long)timer_to_ms(platform_now()));
    events++;
    timer_start(&kernel_timers, &t[2], platform_now() + timer_ms(10));
}

static bool all_events(void *want)
{
    return events == *(unsigned *)want;
}

/* The virtio part: whatever rng and console the board has (`./run demo`
   gives QEMU one of each on PCI; bbvm always has them on PCI and on
   virtio-mmio). A request is async work: its callback runs from the loop. */
static bool got;
static int got_n;

static void on_done(async_work *w, int n)
{
    (void)w;
    got_n = n;
    got = true;
}

static bool is_done(void *ctx)
{
    (void)ctx;
    return got;
}

static void demo_virtio(const struct boot_info *bi)
{
    static const char hello[] = "demo: hello from the kernel, through the virtio console\n";
    static uint8_t bytes[16];
    static async_work w;

    if (kernel_cmdline_has(bi->cmdline, "virtio=off"))
        return;             /* tests/vm_stats.sh counts the rest's accesses */
    vdev_probe(bi);
    for (unsigned i = 0; i < vdev_count(VIRTIO_ID_ENTROPY); i++) {
        got = false;
        if (!vdev_rng_read(i, &w, bytes, sizeof bytes, on_done, NULL))
            continue;
        kernel_loop(is_done, NULL);
        kprintf("demo: %d random bytes from virtio-rng %u:", got_n, i);
        for (int k = 0; k < got_n && k < (int)sizeof bytes; k++)
            kprintf(" %02x", bytes[k]);
        kprintf("\n");
    }
    for (unsigned i = 0; i < vdev_count(VIRTIO_ID_CONSOLE); i++) {
        got = false;
        if (!vdev_console_write(i, &w, hello, sizeof hello - 1, on_done, NULL))
            continue;
        kernel_loop(is_done, NULL);
        kprintf("demo: virtio console %u took %d bytes\n", i, got_n);
    }
}

_Noreturn void kmain(const struct boot_info *bi)
{
    uint64_t start;
    unsigned want = 4;

    kernel_init(bi);
    kernel_irq_register(PLATFORM_SOFT_IRQ, doorbell, 0);
    start = platform_now();
    for (unsigned i = 0; i < 3; i++)
        timer_init(&t[i], tick, (void *)name[i]);
    for (unsigned i = 0; i < 2; i++)    /* "three" waits for the doorbell */
        timer_start(&kernel_timers, &t[i], start + timer_ms(10 * (i + 1)));
    kernel_loop(all_events, &want);
    kprintf("demo: %llu loop passes, %llu waits for an interrupt\n",
            (unsigned long long)kernel_stats.iterations, (unsigned long long)kernel_stats.waits);
    demo_virtio(bi);
#ifdef ARCH_DEMO_INTERACTIVE
    /* An arch that has one (x64): with `interactive` on the command line,
       a console to type into; it returns on `quit`. */
    arch_demo_interactive(bi);
#endif
    kprintf("breadboard: boot complete, exiting with status 0\n");
    platform_exit(0);
}
