/* platform.c - the arm32 side of arch/common/platform.h on QEMU virt:
   bring-up, the atomic wait, and interrupt control, which arch/arm/gic.c
   does; time and one-shot events are the generic timer's, in
   arch/arm/timer.c (reached through CP15 here: arch.h). */
#include "../common/platform.h"

/* --- the contract --------------------------------------------------------- */

void platform_init(const struct boot_info *bi, struct irq_table *irqs)
{
    (void)bi;
    arm32_trap_init(irqs);
    gic_init();
    arm_timer_init();
    /* Take asynchronous aborts (CPSR.A) from now on, so one is reported
       rather than left pending; IRQs stay masked, as the contract says. */
    __asm__ volatile("cpsie a" : : : "memory");
}

//! [arm32-wfi]
uint64_t platform_wfi(uint64_t deadline)
{
    arm_timer_arm(deadline);
    /* WFI ends when an IRQ is pending, whatever CPSR.I says (ARMv7 ARM
       B1.8, "Wait For Interrupt"), so an interrupt that arrived after
       the caller looked for work ends the wait at once. Unmasking then
       takes it; the ISB makes sure its ISR has run before we go on. */
    __asm__ volatile("wfi\n\tcpsie i\n\tisb" : : : "memory");
    return platform_now();
}
//! [arm32-wfi]

void platform_irq_off(void)
{
    __asm__ volatile("cpsid i" : : : "memory");
}

void platform_irq_on(void)
{
    __asm__ volatile("cpsie i" : : : "memory");
}
