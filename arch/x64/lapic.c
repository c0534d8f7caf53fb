/* lapic.c - x64 time and the local APIC.

   The clock is the TSC (constant-rate on every CPU we care about, and on
   KVM and QEMU). Its frequency comes from CPUID where the CPU or the
   hypervisor states it (leaf 0x15, then 0x16), else from counting TSC
   ticks across a known interval of the 8254 PIT: channel 2, as PC
   firmware and Linux do, or channel 0 where port 0x61 (channel 2's gate
   and OUT) is missing, as on QEMU's microvm. Where none of these answers,
   we say so and stop: guessing would make every deadline wrong.

   Events come from the LAPIC timer: in TSC-deadline mode where CPUID says
   so (the timer fires when the TSC reaches a value: no conversion, no
   drift), else in one-shot mode with a count calibrated against the TSC.
   Registers are reached as MSRs in x2APIC mode, else through MMIO at the
   xAPIC base (SDM vol. 3, chapter 11). */
#include "../common/platform.h"
#include "arch.h"
#include "timer.h"
#define PIT8254_STATIC
#define PIT8254_IMPLEMENTATION
#include "pit8254.h"

#define MSR_APIC_BASE     0x1b
#define APIC_BASE_ENABLE  (1u << 11)
#define APIC_BASE_X2APIC  (1u << 10)
#define MSR_TSC_DEADLINE  0x6e0
#define X2APIC_MSR(off)   (0x800u + ((off) >> 4))

/* LAPIC register offsets (xAPIC MMIO offsets; x2APIC MSR = 0x800 + off/16). */
#define LAPIC_ID      0x020
#define LAPIC_TPR     0x080
#define LAPIC_EOI     0x0b0
#define LAPIC_SVR     0x0f0
#define LAPIC_ICR     0x300
#define LAPIC_LVT_TMR 0x320
#define LAPIC_LINT0   0x350
#define LAPIC_LINT1   0x360
#define LAPIC_LVT_ERR 0x370
#define LAPIC_TMR_INIT 0x380
#define LAPIC_TMR_CUR 0x390
#define LAPIC_TMR_DIV 0x3e0
#define X2APIC_SELF_IPI 0x83f

#define SVR_ENABLE        (1u << 8)
#define LVT_MASKED        (1u << 16)
#define LVT_TSC_DEADLINE  (2u << 17)
#define ICR_SELF          (1u << 18)     /* destination shorthand 01 */
#define ICR_PENDING       (1u << 12)

#define CPUID1_X2APIC       (1u << 21)
#define CPUID1_TSC_DEADLINE (1u << 24)


static struct {
    bool x2apic;
    bool tsc_deadline;
    uintptr_t mmio;
    uint64_t tsc_hz;
    uint64_t tsc0;          /* TSC at time zero */
    uint64_t lapic_hz;      /* one-shot mode only */
} apic;

static uint32_t lapic_read(unsigned off)
{
    if (apic.x2apic)
        return (uint32_t)rdmsr(X2APIC_MSR(off));
    return mmio_read32(apic.mmio + off);
}

static void lapic_write(unsigned off, uint32_t v)
{
    if (apic.x2apic)
        wrmsr(X2APIC_MSR(off), v);
    else
        mmio_write32(apic.mmio + off, v);
}

/* This CPU's APIC ID: 32 bits in x2APIC mode, bits 31:24 in xAPIC mode. */
uint32_t lapic_id(void)
{
    uint32_t id = lapic_read(LAPIC_ID);

    return apic.x2apic ? id : id >> 24;
}

/* Virtual wire mode: LINT0 takes the 8259's INTR as an ExtINT, whose
   vector the 8259 itself supplies (SDM 11.5.1, delivery mode 111). */
void lapic_lint0_extint(void)
{
    lapic_write(LAPIC_LINT0, 7u << 8);
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

void lapic_self_ipi(uint8_t vector)
{
    if (apic.x2apic) {
        wrmsr(X2APIC_SELF_IPI, vector);
        return;
    }
    lapic_write(LAPIC_ICR, ICR_SELF | vector);
    for (int i = 0; i < 100000 && (lapic_read(LAPIC_ICR) & ICR_PENDING); i++)
        ;
}

void lapic_init(void)
{
    uint32_t c = cpuid(1, 0).c;
    uint64_t base = rdmsr(MSR_APIC_BASE);

    apic.x2apic = (c & CPUID1_X2APIC) != 0;
    apic.tsc_deadline = (c & CPUID1_TSC_DEADLINE) != 0;
    /* Disabled -> xAPIC -> x2APIC is the only legal order (SDM 11.12.5):
       setting both bits from disabled raises #GP. */
    base |= APIC_BASE_ENABLE;
    wrmsr(MSR_APIC_BASE, base);
    if (apic.x2apic) {
        base |= APIC_BASE_X2APIC;
        wrmsr(MSR_APIC_BASE, base);
    }
    apic.mmio = (uintptr_t)(base & ~0xfffull);
    lapic_write(LAPIC_TPR, 0);                      /* accept every priority */
    lapic_write(LAPIC_LINT0, LVT_MASKED);           /* no 8259 ExtINT (yet) */
    lapic_write(LAPIC_LINT1, LVT_MASKED);
    lapic_write(LAPIC_LVT_ERR, LVT_MASKED);
    lapic_write(LAPIC_LVT_TMR, LVT_MASKED);
    lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
    if (apic.x2apic)
        kprintf("apic: x2APIC, id %u\n", lapic_id());
    else
        kprintf("apic: xAPIC at 0x%lx, id %u\n", (unsigned long)apic.mmio, lapic_id());
}

/* CPUID leaf 0x15: TSC = crystal * EBX / EAX, when all three are known. */
static uint64_t tsc_hz_from_cpuid15(void)
{
    struct cpuid r;

    if (cpuid(0, 0).a < 0x15)
        return 0;
    r = cpuid(0x15, 0);
    if (!r.a || !r.b || !r.c)
        return 0;
    return (uint64_t)r.c * r.b / r.a;
}

/* CPUID leaf 0x16: the processor's base frequency in MHz (nominal). */
static uint64_t tsc_hz_from_cpuid16(void)
{
    if (cpuid(0, 0).a < 0x16)
        return 0;
    return (uint64_t)(cpuid(0x16, 0).a & 0xffff) * 1000000u;
}

/* Count TSC ticks while PIT channel 2 counts down 10 ms in mode 0, with
   hdr/pit8254.h's driver: its OUT goes high at terminal count, readable as
   bit 5 of port 0x61, whose bit 0 is channel 2's gate. No PIT: port 0x61
   floats to 0xff, OUT reads high at the first poll, and the driver gives
   no answer rather than spin. The poll bound is seconds even where each
   poll is a VM exit of microseconds. */
static uint64_t tsc_clock(void *ctx)
{
    (void)ctx;
    return rdtsc();
}

//! [pit0-calibrate]
/* Channel 0's status through the read-back command (8254 datasheet,
   "Read-Back Command"), which also says whether a chip is there: it
   echoes the RW and mode bits of the control word we wrote (both bytes,
   mode 0), where an empty port reads 0xff. */
static bool pit0_status(const pit8254_drv *pit, uint8_t *st)
{
    *st = pit8254_drv_read_status(pit, 0);
    return (*st & PIT8254_ST_CTRL) == (PIT8254_RW_BOTH | PIT8254_MODE(0));
}

/* pit8254_drv_calibrate()'s job on channel 0, for a board without port
   0x61 (QEMU's microvm has no speaker port: it reads 0xff, OUT2 looks high
   at the first poll and channel 2 never gives an answer). Channel 0's gate
   is tied high, so in mode 0 it counts down from the moment the count is
   loaded; we read it with the counter latch command, each read bracketed
   by two TSC readings, until `count` ticks have gone by since the first.
   The count starts at 0 (65536: 54.9 ms before OUT0 rises), and OUT0 must
   still be low after the last read: then the counter has not passed 0,
   and the difference of two 16-bit reads is the whole elapsed time. A run
   ends long before OUT0 rises; it rises once, ~45 ms after the run, while
   every IOAPIC pin and 8259 line is still masked (an IOAPIC drops an edge
   on a masked pin: 82093AA 3.2.4, bit 16), and stays high (mode 0 does not
   reload). Polling for OUT0's edge instead, as channel 2's calibration
   polls OUT2, gave brackets seven times wider on QEMU TCG (17 us against
   2.5 us here): its end is when the emulator's IRQ0 timer fires.
   Returns TSC ticks per `count` PIT ticks (the same quantity as
   pit8254_drv_calibrate()'s answer) and the uncertainty: the two brackets
   plus two PIT ticks (each read drops the fraction of the tick in
   progress). 0 on failure: no chip, NULL COUNT never clearing, a held-up
   run that let OUT0 rise, or the poll bound. */
static uint64_t pit0_calibrate(const pit8254_drv *pit, uint16_t count, uint64_t max_polls,
                               uint64_t *uncertainty)
{
    uint64_t a, b, p = 0, q = 0, ticks, elapsed = 0;
    uint16_t c0;
    uint8_t st;
    int i = 0;

    *uncertainty = UINT64_MAX;
    pit->out(pit->ctx, PIT8254_PC_PORT + 3,
             (uint8_t)(PIT8254_SC(0) | PIT8254_RW_BOTH | PIT8254_MODE(0)));
    pit->out(pit->ctx, PIT8254_PC_PORT, 0);
    pit->out(pit->ctx, PIT8254_PC_PORT, 0);
    do {                                   /* the count reaches the CE at the next CLK */
        if (!pit0_status(pit, &st))
            return 0;
    } while ((st & PIT8254_ST_NULL) && ++i < 1000);
    if (st & (PIT8254_ST_NULL | PIT8254_ST_OUT))
        return 0;
    a = rdtsc();
    c0 = pit8254_drv_read_count(pit, 0);
    b = rdtsc();
    for (uint64_t n = 0; n < max_polls && elapsed < count; n++) {
        p = rdtsc();
        elapsed = (uint16_t)(c0 - pit8254_drv_read_count(pit, 0));
        q = rdtsc();
    }
    if (elapsed < count || !pit0_status(pit, &st) || (st & PIT8254_ST_OUT))
        return 0;
    ticks = ((p - b) + (q - a)) / 2 * count / elapsed;     /* midpoint to midpoint */
    *uncertainty = ((b - a) + (q - p)) * count / elapsed + 2 * ticks / count;
    return ticks;
}
//! [pit0-calibrate]

/* Runs of 10 ms until one is pinned down to 0.05% (its start and end each
   bracketed by TSC readings less than 5 us apart, in all), or 16 runs, of
   which the tightest counts: a vCPU descheduled in a run widens its
   brackets and says so, and a busy host at boot may spoil several. On
   channel 2, or (`ch0`) channel 0. */
static uint64_t tsc_hz_from_pit(bool ch0)
{
    const pit8254_drv pit = { x64_port_in, x64_port_out, 0 };
    const uint16_t count = (uint16_t)pit8254_count_for_hz(100);      /* 10 ms */
    uint64_t best = 0, best_unc = UINT64_MAX;

    for (int i = 0; i < 16 && (best == 0 || best_unc * 1000 > best); i++) {
        uint64_t unc, ticks = ch0 ? pit0_calibrate(&pit, count, 1u << 22, &unc)
                                  : pit8254_drv_calibrate(&pit, count, tsc_clock, 0, 1u << 22,
                                                          &unc);

        if (ticks && unc < best_unc)
            best = ticks, best_unc = unc;
    }
    return best * PIT8254_HZ_NUM / ((uint64_t)count * PIT8254_HZ_DEN);
}

static const char *find_tsc_hz(void)
{
    if ((apic.tsc_hz = tsc_hz_from_cpuid15()))
        return "CPUID leaf 0x15";
    if ((apic.tsc_hz = tsc_hz_from_cpuid16()))
        return "CPUID leaf 0x16 (nominal base frequency, may be off by 0.5%)";
    if ((apic.tsc_hz = tsc_hz_from_pit(false)))
        return "PIT channel 2 calibration";
    if ((apic.tsc_hz = tsc_hz_from_pit(true)))
        return "PIT channel 0 calibration (no port 0x61)";
    kprintf("timer: no TSC frequency reference: CPUID leaves 0x15/0x16 are empty "
            "and no PIT counts; cannot keep time\n");
    platform_exit(4);
}

uint64_t tsc_to_ns(uint64_t tsc)
{
    return timer_ticks_to_ns(tsc - apic.tsc0, apic.tsc_hz);
}

/* One-shot mode: how fast the LAPIC timer counts (divide by 1), measured
   against the now-known TSC over 10 ms. The two readings of the count
   bracket the two of the TSC (count, TSC, ..., TSC, count), so the count
   covers at least the TSC's interval: if the vCPU is held up between two
   readings (a loaded host running QEMU TCG), the rate comes out high and
   a one-shot fires late, never early. Read the other way round, a pause
   made the rate low and the timer fire early, which ktest-timers counts
   as a platform bug. */
static void calibrate_lapic_timer(void)
{
    uint64_t t0, t1, wait = apic.tsc_hz / 100;
    uint32_t c0, c1;

    lapic_write(LAPIC_TMR_DIV, 0xb);       /* divide by 1 */
    lapic_write(LAPIC_TMR_INIT, 0xffffffffu);
    c0 = lapic_read(LAPIC_TMR_CUR);
    t0 = rdtsc();
    while (rdtsc() - t0 < wait)
        ;
    t1 = rdtsc();
    c1 = lapic_read(LAPIC_TMR_CUR);
    lapic_write(LAPIC_TMR_INIT, 0);
    /* 128 bits: c0 - c1 < 2^32 times a TSC rate that may pass 2^32 Hz. */
    __extension__ typedef unsigned __int128 u128;
    apic.lapic_hz = t1 > t0 ? (uint64_t)((u128)(c0 - c1) * apic.tsc_hz / (t1 - t0)) : 0;
}

void lapic_timer_init(uint8_t vector)
{
    const char *how = find_tsc_hz();

    apic.tsc0 = rdtsc();
    if (apic.tsc_deadline) {
        lapic_write(LAPIC_LVT_TMR, LVT_MASKED | LVT_TSC_DEADLINE | vector);
        lapic_write(LAPIC_LVT_TMR, LVT_TSC_DEADLINE | vector);
        kprintf("timer: TSC %llu Hz from %s, events: LAPIC TSC-deadline\n",
                (unsigned long long)apic.tsc_hz, how);
        return;
    }
    calibrate_lapic_timer();
    if (apic.lapic_hz < 1000) {
        /* A timer that does not count would turn every wait into a
           one-tick interrupt storm: stop and say so. */
        kprintf("timer: the LAPIC timer does not count and there is no TSC-deadline mode\n");
        platform_exit(4);
    }
    lapic_write(LAPIC_LVT_TMR, vector);    /* one-shot mode: bits 18:17 = 00 */
    kprintf("timer: TSC %llu Hz from %s, events: LAPIC one-shot at %llu Hz\n",
            (unsigned long long)apic.tsc_hz, how, (unsigned long long)apic.lapic_hz);
}

/* Program the single hardware one-shot for `deadline` (ns since boot). */
void lapic_timer_arm(uint64_t deadline)
{
    uint64_t now = tsc_to_ns(rdtsc()), ticks;

    if (apic.tsc_deadline) {
        ticks = timer_ns_to_ticks(deadline, apic.tsc_hz);
        /* 0 disarms; a past value fires at once (SDM 11.5.4.1). A deadline
           beyond the TSC's range is as good as never. */
        wrmsr(MSR_TSC_DEADLINE, deadline == PLATFORM_NEVER || ticks > UINT64_MAX - apic.tsc0
                                    ? 0 : apic.tsc0 + ticks);
        return;
    }
    if (deadline == PLATFORM_NEVER) {
        lapic_write(LAPIC_TMR_INIT, 0);    /* 0 stops the one-shot */
        return;
    }
    ticks = deadline > now ? timer_ns_to_ticks(deadline - now, apic.lapic_hz) : 1;
    /* A longer wait than the 32-bit counter holds wakes early; the loop
       simply sleeps again. */
    lapic_write(LAPIC_TMR_INIT, ticks > 0xffffffffu ? 0xffffffffu : ticks ? (uint32_t)ticks : 1);
}
