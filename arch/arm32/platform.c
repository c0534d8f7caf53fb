/* platform.c - the arm32 side of arch/common/platform.h on QEMU virt:
   bring-up, time from the generic timer's virtual counter, one-shot events
   from its virtual timer, the atomic wait, and interrupt control, which
   arch/arm/gic.c does. The generic timer in AArch32 is the arm64 one
   reached through CP15 (ARMv7 ARM B8, "The Generic Timer", and its
   registers in B4.1: CNTFRQ, CNTVCT, CNTV_CTL, CNTV_CVAL).

   Why CNTV and not CNTP, as on arm64: the virtual timer is the one a
   kernel at PL1 owns under any hypervisor (a hypervisor may trap PL1's
   physical timer through CNTHCTL, and under KVM the guest gets CNTV); on
   bare QEMU CNTVOFF is 0 and the two count alike. */
#include "../common/platform.h"
#include "timer.h"

#define CNTV_CTL_ENABLE (1u << 0)   /* IMASK (bit 1) stays 0: not masked */

static uint64_t freq;               /* CNTFRQ: counter ticks per second */
static uint64_t start;              /* CNTVCT when platform_init ran */

/* --- the generic timer ---------------------------------------------------- */

/* Reads of CNTVCT may be performed out of order with the instructions
   before them; an ISB first keeps the value from being early (ARMv7 ARM
   B8, "The Generic Timer"). mrrc p15, 1, c14. */
static uint64_t cntvct(void)
{
    isb();
    return cp15_read64(1, c14);
}

/* The timer's output is a level, asserted while the timer is enabled,
   unmasked and CNTVCT >= CNTV_CVAL; disabling it drops it (ARMv7 ARM
   B4.1, CNTV_CTL). */
void cntv_stop(void)
{
    cp15_write(CP15_CNTV_CTL, 0);
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
    cp15_write64(3, c14, start + ticks);    /* CNTV_CVAL: mcrr p15, 3, c14 */
    cp15_write(CP15_CNTV_CTL, CNTV_CTL_ENABLE);
    isb();
}

/* Firmware (here QEMU) sets CNTFRQ; the register only reports it, and
   only PL1 and up can read it as set (ARMv7 ARM B4.1, CNTFRQ). */
static void cntv_init(void)
{
    freq = cp15_read(CP15_CNTFRQ);
    if (!freq) {
        kprintf("timer: CNTFRQ is 0: firmware did not set it, no time\n");
        platform_exit(1);
    }
    cntv_stop();
    start = cntvct();
    gic_set_enabled(PLATFORM_TIMER_IRQ, true);
    kprintf("timer: %llu Hz from CNTFRQ, events: CNTV one-shot\n",
            (unsigned long long)freq);
}

/* --- the contract --------------------------------------------------------- */

void platform_init(const struct boot_info *bi, struct irq_table *irqs)
{
    (void)bi;
    arm32_trap_init(irqs);
    gic_init();
    cntv_init();
    /* Take asynchronous aborts (CPSR.A) from now on, so one is reported
       rather than left pending; IRQs stay masked, as the contract says. */
    __asm__ volatile("cpsie a" : : : "memory");
}

uint64_t platform_now(void)
{
    return timer_ticks_to_ns(cntvct() - start, freq);
}

//! [arm32-wfi]
uint64_t platform_wfi(uint64_t deadline)
{
    cntv_arm(deadline);
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
