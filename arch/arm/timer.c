/* timer.c - the generic timer, for both Arm arches (arm64 and arm32 compile
   it): time from its virtual counter (platform_now) and one-shot events
   from its virtual timer (CNTV), PPI 27. The registers are the same in
   both execution states; only the instructions that reach them differ
   (arm64: system registers, Arm ARM D11 "The Generic Timer in AArch64
   state" and D13; arm32: CP15, ARMv7 ARM B8 "The Generic Timer" and B4.1),
   and each arch.h gives them as gt_cntfrq(), gt_cntvct(), gt_cntv_ctl()
   and gt_cntv_cval(), with GT_CNTFRQ_NAME for the messages.

   Why CNTV and not CNTP: the virtual timer is the one a kernel at EL1/PL1
   owns under any hypervisor (a hypervisor may trap the physical timer,
   and under KVM the guest gets CNTV); on bare QEMU CNTVOFF is 0 and the
   two count alike. */
#include "../common/platform.h"
#include "timer.h"

#define CNTV_CTL_ENABLE (1u << 0)   /* IMASK (bit 1) stays 0: not masked */

static uint64_t freq;               /* CNTFRQ: counter ticks per second */
static uint64_t start;              /* CNTVCT when arm_timer_init ran */

/* A read of the counter may be performed early, out of order with the
   instructions before it; after an ISB it is not. */
static uint64_t cntvct(void)
{
    isb();
    return gt_cntvct();
}

/* The timer's interrupt output is a level, asserted while the timer is
   enabled, unmasked and CNTVCT >= CNTV_CVAL; disabling the timer drops
   it. The counter keeps counting. */
void cntv_stop(void)
{
    gt_cntv_ctl(0);
    isb();
}

/* Compare against an absolute count: a deadline already passed makes
   the condition true at once. The conversion rounds up, never early. */
void arm_timer_arm(uint64_t deadline)
{
    uint64_t ticks;

    if (deadline == PLATFORM_NEVER) {
        cntv_stop();
        return;
    }
    ticks = timer_ns_to_ticks(deadline, freq);
    if (ticks > UINT64_MAX - start) {   /* past the counter's end: never */
        cntv_stop();
        return;
    }
    gt_cntv_cval(start + ticks);
    gt_cntv_ctl(CNTV_CTL_ENABLE);
    isb();
}

/* Firmware (here QEMU) sets CNTFRQ to the system counter's frequency; the
   register only reports it. */
void arm_timer_init(void)
{
    freq = gt_cntfrq();
    if (!freq) {
        kprintf("timer: %s is 0: firmware did not set it, no time\n", GT_CNTFRQ_NAME);
        platform_exit(1);
    }
    cntv_stop();
    start = cntvct();
    gic_set_enabled(PLATFORM_TIMER_IRQ, true);
    kprintf("timer: %llu Hz from %s, events: CNTV one-shot\n", (unsigned long long)freq,
            GT_CNTFRQ_NAME);
}

uint64_t platform_now(void)
{
    return timer_ticks_to_ns(cntvct() - start, freq);
}
