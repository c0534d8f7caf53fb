/* ktest-x64-pit.c - the 8254's channel 0 as a periodic tick on ISA IRQ0,
   which reaches the IOAPIC on the GSI the MADT's override names (2 on a
   PC, QEMU's and ours alike), through hdr/pit8254.h's driver:
   1. IRQ0 is found on GSI 2, and the tick arrives there;
   2. no more ticks arrive than 100 Hz allows over the time measured (the
      chip cannot tick faster than it was programmed: this holds however
      slow the host; how many of them a slow host delivers is not
      asserted);
   3. the counter, latched, holds a value inside its period, and the
      read-back status says mode 2, both bytes;
   4. a new control word stops the ticks: none arrives afterwards. */
// expect: pit-test: ISA IRQ0 is GSI 2
// expect: pit-test: channel 0 ticks on IRQ0
// expect: pit-test: no more ticks than 100 Hz allows
// expect: pit-test: latched count within the period, status mode 2
// expect: pit-test: stopped, no tick afterwards
// expect: ktest-x64-pit: pass
// expect-status: 0
#include "ktest.h"

#define PIT8254_STATIC
#define PIT8254_IMPLEMENTATION
#include "pit8254.h"

static const pit8254_drv pit = { x64_port_in, x64_port_out, 0 };
static volatile unsigned ticks;

static void tick(void *ctx, unsigned irq)
{
    (void)ctx;
    (void)irq;
    ticks++;
}

static bool ticked(void *ctx)
{
    (void)ctx;
    return ticks > 0;
}

_Noreturn void kmain(const struct boot_info *bi)
{
    const uint16_t count = pit8254_count_for_hz(100);
    unsigned gsi, got, late;
    uint64_t t0, t1, most;
    uint16_t now;
    uint8_t st;

    kernel_init(bi);
    gsi = x64_isa_gsi(0);
    check(gsi == 2, "ISA IRQ0 is not on GSI 2");
    kprintf("pit-test: ISA IRQ0 is GSI %u\n", gsi);
    check(kernel_irq_register(gsi, tick, 0), "register IRQ0's GSI");

    t0 = platform_now();
    pit8254_drv_periodic(&pit, count);
    run_until(ticked, 0, 2000);
    check(ticks > 0, "no tick on IRQ0 within 2 s");
    if (ticks > 0)
        kprintf("pit-test: channel 0 ticks on IRQ0\n");
    run_for(300);
    got = ticks;
    t1 = platform_now();
    /* The count loads a PIT tick after it is written; the first edge is
       one period after that. So at most (t1 - t0) / period edges. */
    most = (t1 - t0) * PIT8254_HZ_NUM / ((uint64_t)count * PIT8254_HZ_DEN * 1000000000u) + 1;
    kprintf("pit-test: %u ticks in %llu ms at count %u (at most %llu)\n", got,
            (unsigned long long)((t1 - t0) / 1000000), count, (unsigned long long)most);
    check(got <= most, "more ticks than 100 Hz allows");
    if (got <= most)
        kprintf("pit-test: no more ticks than 100 Hz allows\n");

    now = pit8254_drv_read_count(&pit, 0);
    st = pit8254_drv_read_status(&pit, 0);
    kprintf("pit-test: count %u, status 0x%x\n", now, st);
    check(now >= 1 && now <= count, "the latched count is outside the period");
    /* Bit 7 (OUT) is left out: QEMU reports mode 2's OUT inverted (book:
       "The 8254 interval timer", Real world). */
    check((st & 0x3e) == 0x34, "the status does not say both bytes, mode 2");
    if (now >= 1 && now <= count && (st & 0x3e) == 0x34)
        kprintf("pit-test: latched count within the period, status mode 2\n");

    /* Mode 0 with no count written: OUT goes low and stays there. */
    outb(PIT8254_PC_PORT + 3, 0x30);
    run_for(30);                        /* a tick already on its way lands */
    late = ticks;
    run_for(100);
    check(ticks == late, "ticks went on after the control word");
    if (ticks == late)
        kprintf("pit-test: stopped, no tick afterwards\n");
    ktest_end("ktest-x64-pit");
}
