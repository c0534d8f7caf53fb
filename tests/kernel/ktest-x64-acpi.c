/* ktest-x64-acpi.c - what the x64 kernel learns from the ACPI tables, on
   QEMU's pc machine and on our monitor alike:
   1. ISA IRQs go through the MADT's overrides: IRQ0 (the PIT) is GSI 2,
      IRQ4 (COM1) stays GSI 4;
   2. the SCI's IOAPIC pin is programmed as its override says, level-
      triggered and active high, although ISA lines are edge by default;
   3. the FADT names a PM timer at port 0x608 (PIIX4's PM base 0x600 + 8);
   4. that timer counts at 3.579545 MHz, measured against platform_now()
      over about 200 ms, read through hdr/acpi_pm.h's driver.

   Both clocks come from the host, so they agree closely; each sample reads
   the timer between two reads of platform_now() and takes the midpoint,
   retrying if the pair was far apart (a vCPU descheduled on a busy host).
   The tolerance, 3%, is far tighter than the nearest wrong answers a
   broken model would give (1 MHz, the 14.318 MHz PIT crystal, or 1.19 MHz
   PIT ticks), and far wider than the sampling error (under 0.1%).
*/
//! [expect]
// expect: acpi: FADT: PM timer at port 0x608, 24-bit, SCI on IRQ 9
// expect: acpi-test: ISA IRQ0 is GSI 2, IRQ4 is GSI 4
// expect: acpi-test: SCI on IRQ 9: GSI 9, level-triggered, active high
// expect: acpi-test: PM timer at port 0x608
// expect: acpi-test: PM timer rate within 3% of 3579545 Hz
// expect: ktest-x64-acpi: pass
// expect-status: 0
//! [expect]
#include "ktest.h"
#include "../../arch/x64/acpi.h"

#define ACPI_PM_STATIC
#define ACPI_PM_IMPLEMENTATION
#include "acpi_pm.h"

#define BRACKET_NS 100000u      /* a sample whose two clock reads are further
                                   apart than this is taken again */
#define STEPS 10                /* 10 steps of 20 ms: no step nears the wrap */

struct sample {
    uint64_t ns;
    uint32_t ticks;
};

static uint32_t pm_inl(void *ctx, uint16_t port)
{
    (void)ctx;
    return inl(port);
}

/* The timer read between two reads of platform_now(): the best of a few
   tries, stamped with the midpoint. */
static struct sample sample(const acpi_pm_drv *d)
{
    struct sample best = { 0, 0 };
    uint64_t best_gap = UINT64_MAX;

    for (int i = 0; i < 8 && best_gap > BRACKET_NS; i++) {
        uint64_t a = platform_now();
        uint32_t t = acpi_pm_drv_read_timer(d);
        uint64_t b = platform_now();

        if (b - a < best_gap) {
            best_gap = b - a;
            best = (struct sample){ a + (b - a) / 2, t };
        }
    }
    return best;
}

/* Ticks per second over about 200 ms, the counter's wraps undone step by
   step (24 bits wrap every 4.7 s). 0 if the time did not move. */
static uint64_t measure_rate(const acpi_pm_drv *d)
{
    struct sample first = sample(d), prev = first, now = first;
    uint64_t ticks = 0;

    for (int i = 0; i < STEPS; i++) {
        run_for(20);
        now = sample(d);
        ticks += acpi_pm_drv_elapsed(d, prev.ticks, now.ticks);
        prev = now;
    }
    if (now.ns <= first.ns)
        return 0;
    kprintf("acpi-test: %llu ticks in %llu us\n", (unsigned long long)ticks,
            (unsigned long long)((now.ns - first.ns) / 1000));
    return ticks * 1000000000ull / (now.ns - first.ns);
}

static void check_isa_routing(void)
{
    unsigned gsi0 = x64_isa_gsi(0), gsi4 = x64_isa_gsi(4);

    check(gsi0 == 2, "ISA IRQ0 is not GSI 2: the MADT override was not used");
    check(gsi4 == 4, "ISA IRQ4 is not GSI 4");
    check(PLATFORM_CONSOLE_IRQ == 4, "the console's irq is not GSI 4");
    if (gsi0 == 2 && gsi4 == 4)
        kprintf("acpi-test: ISA IRQ0 is GSI 2, IRQ4 is GSI 4\n");
}

static void check_sci(const struct fadt_info *f)
{
    unsigned gsi = x64_isa_gsi(f->sci_irq);
    bool low = true, level = false;

    check(f->sci_irq == 9, "the SCI is not IRQ 9");
    check(x64_irq_mode(gsi, &low, &level), "no IOAPIC pin for the SCI");
    check(level, "the SCI's pin is edge-triggered: the override's trigger was not used");
    check(!low, "the SCI's pin is active low: the override's polarity was not used");
    if (f->sci_irq == 9 && level && !low)
        kprintf("acpi-test: SCI on IRQ %u: GSI %u, level-triggered, active high\n",
                f->sci_irq, gsi);
}

static void check_pm_timer(const struct fadt_info *f)
{
    const uint64_t hz = ACPI_PM_TMR_HZ, lo = hz - hz * 3 / 100, hi = hz + hz * 3 / 100;
    const acpi_pm_drv d = { pm_inl, 0, f->pm_tmr, f->tmr_32bit };
    uint64_t rate;

    check(f->pm_tmr == ACPI_PM_PC_BASE + ACPI_PM_TMR_OFF, "the PM timer is not at port 0x608");
    if (f->pm_tmr != ACPI_PM_PC_BASE + ACPI_PM_TMR_OFF)
        return;
    kprintf("acpi-test: PM timer at port 0x%x\n", f->pm_tmr);
    rate = measure_rate(&d);
    kprintf("acpi-test: PM timer rate %llu Hz\n", (unsigned long long)rate);
    check(rate >= lo && rate <= hi, "the PM timer does not count at 3.579545 MHz");
    if (rate >= lo && rate <= hi)
        kprintf("acpi-test: PM timer rate within 3%% of %u Hz\n", ACPI_PM_TMR_HZ);
}

_Noreturn void kmain(const struct boot_info *bi)
{
    const struct fadt_info *f;

    kernel_init(bi);
    check_isa_routing();
    f = x64_fadt();
    check(f != 0, "no FADT");
    if (f) {
        check_sci(f);
        check_pm_timer(f);
    }
    ktest_end("ktest-x64-acpi");
}
