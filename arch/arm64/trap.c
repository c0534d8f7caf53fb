/* trap.c - what the exception vectors (vectors.S) call: the interrupt
   service routine, and the report of every exception this kernel does not
   expect, which is all the others. */
#include "../common/platform.h"
#include "irq.h"

static struct irq_table *irqs;

void arm64_trap_init(struct irq_table *t)
{
    irqs = t;
    write_sysreg(vbar_el1, (uintptr_t)arm64_vectors);
    isb();
}

/* --- the ISR ---------------------------------------------------------------- */

//! [arm64-isr]
/* Runs with IRQs masked (exception entry sets PSTATE.I). Records the event
   for the event loop and leaves the source quiet enough to end the
   interrupt; the handlers run later, from the loop. */
void arm64_irq(struct trapframe *f, unsigned vector)
{
    uint32_t iar;
    unsigned id;

    (void)f;
    if (vector == VEC_FIQ) {        /* nothing is routed to FIQ */
        irq_spurious(irqs);
        return;
    }
    iar = gic_ack();
    id = gic_intid(iar);
    if (id >= PLATFORM_IRQ_MAX) {   /* 1020-1023: nothing to end, no EOI */
        irq_spurious(irqs);         /* (IHI 0069 2.2.1, "Special INTIDs") */
        return;
    }
    if (id == PLATFORM_TIMER_IRQ)
        cntv_stop();                /* its output is a level: drop it */
    else if (id >= 16 && gic_is_level(id))
        gic_set_enabled(id, false); /* platform_irq_unmask() after the handler */
    irq_raise(irqs, id);
    gic_eoi(iar);
}
//! [arm64-isr]

/* --- the fault report -------------------------------------------------------- */

/* Exception classes, ESR_EL1.EC in bits [31:26] (Arm ARM D13, ESR_EL1). */
static const struct {
    uint8_t ec;
    const char *name;
} classes[] = {
    { 0x00, "undefined instruction" },  /* "unknown reason" */
    { 0x01, "trapped WFI/WFE" },
    { 0x07, "FP/SIMD access trap" },
    { 0x0e, "illegal execution state" },
    { 0x15, "SVC" },
    { 0x18, "trapped system register access" },
    { 0x20, "instruction abort from a lower EL" },
    { 0x21, "instruction abort" },
    { 0x22, "PC alignment fault" },
    { 0x24, "data abort from a lower EL" },
    { 0x25, "data abort" },
    { 0x26, "SP alignment fault" },
    { 0x2f, "SError" },
    { 0x31, "breakpoint" },
    { 0x33, "software step" },
    { 0x35, "watchpoint" },
    { 0x3c, "BRK" },
};

/* The entries of the vector table, by number (see arch.h). */
static const char *const vector_names[16] = {
    "sync exception on SP_EL0", "IRQ on SP_EL0", "FIQ on SP_EL0", "SError on SP_EL0",
    "sync exception", "IRQ", "FIQ", "SError",
    "sync exception from EL0", "IRQ from EL0", "FIQ from EL0", "SError from EL0",
    "sync exception from AArch32 EL0", "IRQ from AArch32 EL0", "FIQ from AArch32 EL0",
    "SError from AArch32 EL0",
};

static const char *class_name(unsigned ec)
{
    for (unsigned i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (classes[i].ec == ec)
            return classes[i].name;
    return "exception";
}

static bool is_abort(unsigned ec)
{
    return ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25;
}

/* An abort's fault status code, ISS bits [5:0]; for the first four kinds
   the low two bits are the translation level (Arm ARM D13, ESR_EL1,
   "ISS encoding for an exception from a Data Abort"). With the MMU off, an
   address beyond the physical address size is an address size fault, and
   one where nothing answers an external abort. */
static const char *fault_status(unsigned fsc)
{
    static const char *const kinds[] = {
        "address size fault", "translation fault", "access flag fault", "permission fault",
    };

    if (fsc < 0x10)
        return kinds[fsc >> 2];
    if (fsc == 0x10)
        return "synchronous external abort";
    if (fsc == 0x21)
        return "alignment fault";
    return "fault";
}

/* FAR_EL1 holds the faulting address for aborts (unless ISS.FnV, bit 10,
   says it is not valid), PC alignment faults and watchpoints; otherwise
   its value is UNKNOWN (Arm ARM D13, FAR_EL1). */
static uint64_t fault_address(const struct trapframe *f, unsigned ec)
{
    if (is_abort(ec))
        return f->esr & (1u << 10) ? 0 : f->far;
    return ec == 0x22 || ec == 0x35 ? f->far : 0;
}

/* "data abort on read: address size fault, ESR 0x96000000"; entries
   other than a sync exception on SP_EL1 also say which one they were. */
static void describe(struct kbuf *t, const struct trapframe *f, unsigned vector)
{
    unsigned ec = f->esr >> 26 & 0x3f;
    bool sync = vector % 4 == 0;

    kbprintf(t, "%s", sync ? class_name(ec) : vector_names[vector]);
    if (sync && (ec == 0x24 || ec == 0x25))  /* ISS.WnR, bit 6 */
        kbprintf(t, f->esr & (1u << 6) ? " on write" : " on read");
    if (sync && is_abort(ec))
        kbprintf(t, ": %s", fault_status(f->esr & 0x3f));
    if (sync && vector != VEC_SYNC)
        kbprintf(t, " (%s)", vector_names[vector]);
    kbprintf(t, ", ESR 0x%lx", (unsigned long)f->esr);
}

static const char *const xnames[31] = {
    "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
    "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20",
    "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30",
};

_Noreturn void arm64_fault(struct trapframe *f, unsigned vector)
{
    static bool faulting;
    char what[128];
    struct kbuf t = { what, sizeof what, 0 };
    struct fault_reg regs[36];
    unsigned n = 0;

    if (faulting)                   /* the report itself faulted: just stop */
        platform_exit(KERNEL_FAULT_STATUS);
    faulting = true;
    for (; n < 31; n++)
        regs[n] = (struct fault_reg){ xnames[n], f->x[n] };
    regs[n++] = (struct fault_reg){ "sp", f->sp };
    regs[n++] = (struct fault_reg){ "elr", f->elr };
    regs[n++] = (struct fault_reg){ "spsr", f->spsr };
    regs[n++] = (struct fault_reg){ "esr", f->esr };
    regs[n++] = (struct fault_reg){ "far", f->far };
    describe(&t, f, vector);
    kernel_fault(what, f->elr, fault_address(f, f->esr >> 26 & 0x3f), regs, n);
}
