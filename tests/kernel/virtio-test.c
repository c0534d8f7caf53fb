/* virtio-test.c - the kernel's virtio drivers (arch/common/vdev.c) against
   whatever virtio-rng and virtio-console devices the board has, on PCI or
   virtio-mmio: each rule in tests/Tupfile boots it with one set of devices
   and adds a .expect file that names the transport they must be found on.
   For every device found:
     - entropy: two requests of 32 bytes each complete with 1..32 bytes
       (a device may give fewer), not all zero, and not the same twice;
       then a request of 4 bytes (a buffer smaller than a word);
     - console: a line sent through its transmit queue completes with its
       whole length; with the emergency write offered, a line sent through
       it byte by byte; with `vcon-echo` on the command line, a line read
       from the first console's receive queue comes back on its transmit
       queue (the host gives its input to one console).
   The host side (tests/vcon.sh) prints what the console received. */
// expect: virtio-test: every device found works
// expect: virtio-test: pass
// expect-status: 0
#include "ktest.h"
#include "../../arch/common/vdev.h"
#include "virtio.h"

static async_work work;
static int result;
static bool finished;

static void done(async_work *w, int r)
{
    (void)w;
    result = r;
    finished = true;
}

static bool is_finished(void *ctx)
{
    (void)ctx;
    return finished;
}

/* Run one request to its end: its result, or -1000 if it never came. */
static int wait_done(void)
{
    run_until(is_finished, NULL, 10000);
    return finished ? result : -1000;
}

static void test_rng(unsigned n)
{
    static uint8_t a[32], b[32], c[4];
    int ra, rb, rc;
    bool zero = true, same = true;

    finished = false;
    check(vdev_rng_read(n, &work, a, sizeof a, done, NULL), "rng: the first request was refused");
    ra = wait_done();
    finished = false;
    check(vdev_rng_read(n, &work, b, sizeof b, done, NULL), "rng: the second request was refused");
    rb = wait_done();
    finished = false;
    check(vdev_rng_read(n, &work, c, sizeof c, done, NULL), "rng: the small request was refused");
    rc = wait_done();
    check(ra >= 1 && ra <= 32 && rb >= 1 && rb <= 32, "rng: a request did not complete with 1..32 bytes");
    check(rc >= 1 && rc <= 4, "rng: the 4-byte request did not complete with 1..4 bytes");
    for (int i = 0; i < ra && i < 32; i++)
        zero &= a[i] == 0;
    for (int i = 0; i < ra && i < rb && i < 32; i++)
        same &= a[i] == b[i];
    check(!zero, "rng: the bytes are all zero");
    check(!same, "rng: two requests gave the same bytes");
    kprintf("virtio-test: rng %u gave %d, %d and %d bytes:", n, ra, rb, rc);
    for (int i = 0; i < ra && i < 8; i++)
        kprintf(" %02x", a[i]);
    kprintf(" ...\n");
}

static void test_console(unsigned n, const char *cmdline)
{
    static const char hello[] = "vcon: hello through the transmit queue\n";
    static const char emerg[] = "vcon: hello through the emergency write\n";
    static char line[64];
    int r;

    finished = false;
    check(vdev_console_write(n, &work, hello, sizeof hello - 1, done, NULL),
          "console: the write was refused");
    r = wait_done();
    check(r == (int)sizeof hello - 1, "console: the write did not complete whole");
    kprintf("virtio-test: console %u took %d bytes on its transmit queue\n", n, r);
    if (vdev_console_emerg(n, emerg[0])) {
        for (unsigned i = 1; i < sizeof emerg - 1; i++)
            vdev_console_emerg(n, (uint8_t)emerg[i]);
        kprintf("virtio-test: console %u has the emergency write\n", n);
    }
    if (n == 0 && kernel_cmdline_has(cmdline, "vcon-echo")) {
        unsigned got = 0;

        kprintf("virtio-test: console %u: ready for a line\n", n);
        while (got < sizeof line - 1 && (got == 0 || line[got - 1] != '\n')) {
            finished = false;
            if (!vdev_console_read(n, &work, line + got, sizeof line - 1 - got, done, NULL))
                break;
            r = wait_done();
            if (r <= 0)
                break;
            got += (unsigned)r;
        }
        check(got > 0 && line[got - 1] == '\n', "console: no line arrived");
        line[got] = 0;
        kprintf("virtio-test: console %u read %u bytes: %s", n, got, line);
        finished = false;
        check(vdev_console_write(n, &work, line, got, done, NULL), "console: the echo was refused");
        check(wait_done() == (int)got, "console: the echo did not complete whole");
    }
}

/* What was found where, in an order that does not depend on the order of
   discovery, for the rules' .expect files: "pci: 1 rng, 1 console
   (msi-x); mmio: 0 rng, 0 console". */
static void summary(unsigned rngs, unsigned cons)
{
    unsigned n[2][2] = { { 0, 0 }, { 0, 0 } };
    const char *kind = NULL;
    struct vdev_info in;

    for (unsigned t = 0; t < 2; t++)
        for (unsigned i = 0; i < (t ? cons : rngs); i++)
            if (vdev_info(t ? VIRTIO_ID_CONSOLE : VIRTIO_ID_ENTROPY, i, &in)) {
                unsigned p = in.transport[0] == 'm';

                n[p][t]++;
                if (!p)
                    kind = !kind || kind == in.irq_kind ? in.irq_kind : "mixed";
            }
    kprintf("virtio-test: pci: %u rng, %u console%s%s%s; mmio: %u rng, %u console\n", n[0][0],
            n[0][1], kind ? " (" : "", kind ? kind : "", kind ? ")" : "", n[1][0], n[1][1]);
}

_Noreturn void kmain(const struct boot_info *bi)
{
    unsigned rngs, cons;
    struct vdev_stats s;

    kernel_init(bi);
    vdev_probe(bi);
    rngs = vdev_count(VIRTIO_ID_ENTROPY);
    cons = vdev_count(VIRTIO_ID_CONSOLE);
    summary(rngs, cons);
    check(rngs + cons > 0, "no virtio device was found");
    for (unsigned i = 0; i < rngs; i++)
        test_rng(i);
    for (unsigned i = 0; i < cons; i++)
        test_console(i, bi->cmdline);
    vdev_stats(&s);
    check(s.broken == 0 && s.bad_len == 0, "a device broke the ring's rules");
    if (!ktest_failures)
        kprintf("virtio-test: every device found works (%u interrupts)\n", s.irqs);
    ktest_end("virtio-test");
}
