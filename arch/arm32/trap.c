/* trap.c - what the exception vectors (vectors.S) call: the interrupt
   service routine, and the report of every exception this kernel does not
   expect, which is all the others. */
#include "../common/platform.h"
#include "irq.h"

static struct irq_table *irqs;

/* SCTLR.V (bit 13) must be 0 for VBAR to be used rather than the high
   vectors at 0xffff0000 (ARMv7 ARM B4.1, SCTLR); it resets to 0 on
   QEMU's cortex-a15, but a port should not rely on firmware for it. */
void arm32_trap_init(struct irq_table *t)
{
    irqs = t;
    cp15_write(CP15_VBAR, (uintptr_t)arm32_vectors);
    cp15_write(CP15_SCTLR, cp15_read(CP15_SCTLR) & ~(1u << 13));
    isb();
}

/* --- the ISR ---------------------------------------------------------------- */

/* Runs in SVC mode with IRQs masked (exception entry set CPSR.I), on the
   interrupted stack. The same steps as arm64's: acknowledge, quiet a level
   source, record, end. */
void arm32_irq(struct trapframe *f)
{
    uint32_t iar = gic_ack();
    unsigned id = gic_intid(iar);

    (void)f;
    if (id >= PLATFORM_IRQ_MAX) {   /* 1020-1023: nothing to end, no EOI */
        irq_spurious(irqs);         /* (IHI 0048B, "Special interrupt numbers") */
        return;
    }
    if (id == PLATFORM_TIMER_IRQ)
        cntv_stop();                /* its output is a level: drop it */
    else if (id >= 16 && gic_is_level(id))
        gic_set_enabled(id, false); /* platform_irq_unmask() after the handler */
    irq_raise(irqs, id);
    gic_eoi(iar);
}

/* --- the fault report -------------------------------------------------------- */

static const char *const vector_names[8] = {
    "reset", "undefined instruction", "SVC", "prefetch abort",
    "data abort", "Hyp trap", "IRQ", "FIQ",
};

/* How far past the faulting instruction LR points, in ARM state (ARMv7
   ARM B1.8, "Exception return", table "Offsets applied to Link
   register value"): data abort 8, undefined and prefetch abort 4. */
static uint32_t fault_pc(const struct trapframe *f, unsigned vector)
{
    bool thumb = f->cpsr & (1u << 5);       /* CPSR.T */

    if (vector == VEC_DABT)
        return f->pc - 8;
    if (vector == VEC_UNDEF)
        return f->pc - (thumb ? 2 : 4);
    if (vector == VEC_PABT)
        return f->pc - 4;
    return f->pc;
}

/* The short-descriptor fault status, FS[4] in bit 10 and FS[3:0] in bits
   [3:0] of DFSR and IFSR (ARMv7 ARM B3, "Fault Status Register
   encodings", table for the short-descriptor format). With the MMU off
   the ones that happen are alignment and the external aborts. */
static const char *fault_status(uint32_t fsr)
{
    unsigned fs = (fsr >> 6 & 0x10) | (fsr & 0xf);

    switch (fs) {
    case 0x01: return "alignment fault";
    case 0x02: return "debug event";
    case 0x08: return "synchronous external abort";
    case 0x16: return "asynchronous external abort";
    case 0x05: case 0x07: return "translation fault";
    case 0x03: case 0x06: return "access flag fault";
    case 0x09: case 0x0b: return "domain fault";
    case 0x0d: case 0x0f: return "permission fault";
    default: return "fault";
    }
}

/* "data abort on read: synchronous external abort, DFSR 0x8". DFSR.WnR is
   bit 11 (ARMv7 ARM B4.1, DFSR). */
static void describe(struct kbuf *t, unsigned vector, uint32_t fsr)
{
    kbprintf(t, "%s", vector_names[vector]);
    if (vector == VEC_DABT)
        kbprintf(t, fsr & (1u << 11) ? " on write" : " on read");
    if (vector == VEC_DABT || vector == VEC_PABT)
        kbprintf(t, ": %s, %s 0x%x", fault_status(fsr),
                 vector == VEC_DABT ? "DFSR" : "IFSR", (unsigned)fsr);
}

static const char *const rnames[13] = {
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
};

_Noreturn void arm32_fault(struct trapframe *f, unsigned vector)
{
    static bool faulting;
    char what[128];
    struct kbuf t = { what, sizeof what, 0 };
    struct fault_reg regs[20];
    uint32_t fsr = 0, far = 0;
    unsigned n = 0;

    if (faulting || vector == VEC_SVC) {
        /* The report faulted, or the exit's semihosting call came here
           (QEMU without -semihosting): exiting again would loop. */
        kprintf("FAULT: %s at pc %p: stopped\n", vector_names[vector], (void *)f->pc);
        for (;;)
            __asm__ volatile("wfi");
    }
    faulting = true;
    if (vector == VEC_DABT)
        fsr = cp15_read(CP15_DFSR), far = cp15_read(CP15_DFAR);
    else if (vector == VEC_PABT)
        fsr = cp15_read(CP15_IFSR), far = cp15_read(CP15_IFAR);
    for (; n < 13; n++)
        regs[n] = (struct fault_reg){ rnames[n], f->r[n] };
    regs[n++] = (struct fault_reg){ "sp", f->sp };
    regs[n++] = (struct fault_reg){ "lr", f->lr };
    regs[n++] = (struct fault_reg){ "pc", fault_pc(f, vector) };
    regs[n++] = (struct fault_reg){ "cpsr", f->cpsr };
    if (vector == VEC_DABT || vector == VEC_PABT) {
        regs[n++] = (struct fault_reg){ vector == VEC_DABT ? "dfsr" : "ifsr", fsr };
        regs[n++] = (struct fault_reg){ vector == VEC_DABT ? "dfar" : "ifar", far };
    }
    describe(&t, vector, fsr);
    kernel_fault(what, fault_pc(f, vector), far, regs, n);
}
