/* platform.c - the arm64 side of arch/common/platform.h on QEMU virt:
   bring-up, the atomic wait, and interrupt control, which arch/arm/gic.c
   does; time and one-shot events are the generic timer's, in
   arch/arm/timer.c. */
#include "../common/platform.h"

/* --- the contract --------------------------------------------------------- */

void platform_init(const struct boot_info *bi, struct irq_table *irqs)
{
    (void)bi;
    arm64_trap_init(irqs);
    gic_init();
    arm_timer_init();
    /* Take SErrors (asynchronous aborts) from now on, so one is reported
       rather than left pending; IRQs stay masked, as the contract says. */
    __asm__ volatile("msr daifclr, #4" : : : "memory");
}

//! [arm64-wfi]
uint64_t platform_wfi(uint64_t deadline)
{
    arm_timer_arm(deadline);
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
