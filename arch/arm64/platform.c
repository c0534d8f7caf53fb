/* platform.c - the arm64 side of arch/common/platform.h on QEMU virt:
   bring-up, time from the generic timer's virtual counter, one-shot events
   from its EL1 virtual timer, the atomic wait, and interrupt control, which
   gic.c does. The generic timer: Arm ARM D11, "The Generic Timer in
   AArch64 state", and its registers in D13. */
#include "../common/platform.h"
#include "timer.h"

#define CNTV_CTL_ENABLE (1u << 0)   /* IMASK (bit 1) stays 0: not masked */

static uint64_t freq;               /* CNTFRQ_EL0: counter ticks per second */
static uint64_t start;              /* CNTVCT_EL0 when platform_init ran */

/* --- the generic timer ---------------------------------------------------- */

/* A read of CNTVCT_EL0 may be performed early, out of order with the
   instructions before it; after an ISB it is not (Arm ARM D11, "Reading
   the counter"). */
static uint64_t cntvct(void)
{
    isb();
    return read_sysreg(cntvct_el0);
}

/* The timer's interrupt output is a level, asserted while the timer is
   enabled, unmasked and CNTVCT_EL0 >= CNTV_CVAL_EL0; disabling the timer
   drops it (Arm ARM D13, CNTV_CTL_EL0). The counter keeps counting. */
void cntv_stop(void)
{
    write_sysreg(cntv_ctl_el0, 0);
    isb();
}

/* Compare against an absolute count: a deadline already passed makes
   the condition true at once. The conversion rounds up, never early. */
static void cntv_arm(uint64_t deadline)
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
    write_sysreg(cntv_cval_el0, start + ticks);
    write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
    isb();
}

/* Firmware (here QEMU) sets CNTFRQ_EL0 to the system counter's frequency;
   the register only reports it (Arm ARM D13, CNTFRQ_EL0). */
static void cntv_init(void)
{
    freq = read_sysreg(cntfrq_el0);
    if (!freq) {
        kprintf("timer: CNTFRQ_EL0 is 0: firmware did not set it, no time\n");
        platform_exit(1);
    }
    cntv_stop();
    start = cntvct();
    gic_set_enabled(PLATFORM_TIMER_IRQ, true);
    kprintf("timer: %llu Hz from CNTFRQ_EL0, events: CNTV one-shot\n",
            (unsigned long long)freq);
}

/* --- the contract --------------------------------------------------------- */

void platform_init(const struct boot_info *bi, struct irq_table *irqs)
{
    (void)bi;
    arm64_trap_init(irqs);
    gic_init();
    cntv_init();
    /* Take SErrors (asynchronous aborts) from now on, so one is reported
       rather than left pending; IRQs stay masked, as the contract says. */
    __asm__ volatile("msr daifclr, #4" : : : "memory");
}

uint64_t platform_now(void)
{
    return timer_ticks_to_ns(cntvct() - start, freq);
}

//! [arm64-wfi]
uint64_t platform_wfi(uint64_t deadline)
{
    cntv_arm(deadline);
    /* WFI ends when an interrupt is pending, even one that PSTATE.I masks
       (Arm ARM D1, "Wait for Interrupt"), so an interrupt that arrived
       after the caller looked for work ends the wait at once. Unmasking
       then takes it; the ISB makes sure its ISR has run before we go on. */
    __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb" : : : "memory");
    return platform_now();
}
//! [arm64-wfi]

void platform_irq_off(void)
{
    __asm__ volatile("msr daifset, #2" : : : "memory");
}

void platform_irq_on(void)
{
    __asm__ volatile("msr daifclr, #2" : : : "memory");
}

bool platform_irq_unmask(unsigned irq)
{
    return gic_set_enabled(irq, true);
}

bool platform_irq_mask(unsigned irq)
{
    return gic_set_enabled(irq, false);
}

bool platform_irq_trigger(unsigned irq)
{
    return gic_raise(irq);
}
