/* platform.c - the rv64 side of arch/common/platform.h, in S-mode under
   OpenSBI: the trap dispatcher and fault report, the `time` CSR with SBI
   timer events, the three supervisor interrupts, and the atomic wait.
   Section numbers are the RISC-V privileged spec, version 1.12. */
#include "../common/fdt.h"
#include "../common/platform.h"
#include "arch.h"
#include "irq.h"
#include "timer.h"

#define SIP_SSIP   (1ul << IRQ_S_SOFT)
#define SIE_ALL    (1ul << IRQ_S_SOFT | 1ul << IRQ_S_TIMER | 1ul << IRQ_S_EXT)
#define QEMU_VIRT_TIMEBASE 10000000u   /* used only if the tree has none */

static struct irq_table *irqs;
static uint64_t time_hz;       /* ticks per second of the `time` CSR */
static uint64_t time_base;     /* its value when platform_init() read it */

/* --- time ------------------------------------------------------------- */

/* 4.1.4: S-mode reads the platform's real-time counter as the `time` CSR
   (OpenSBI lets it through, mcounteren.TM). */
static uint64_t rdtime(void)
{
    return csr_read(time);
}

static void clock_init(void)
{
    const char *how = "from devicetree timebase-frequency";
    bool time_ext = sbi_init();

    time_hz = rv64_fdt ? fdt_timebase_frequency(rv64_fdt) : 0;
    if (time_hz == 0 || time_hz > TIMER_FREQ_MAX) {
        time_hz = QEMU_VIRT_TIMEBASE;
        how = "assumed (no usable devicetree timebase-frequency)";
    }
    time_base = rdtime();
    sbi_set_timer(UINT64_MAX);      /* no event until platform_wfi asks */
    kprintf("timer: %llu Hz %s, events: SBI set_timer (%s)\n",
            (unsigned long long)time_hz, how,
            time_ext ? "TIME extension" : "legacy extension 0, no TIME extension");
}

/* The tick at which `deadline` (ns since time_base) has passed. Rounded up,
   so the interrupt never comes before platform_now() reaches it. */
static uint64_t deadline_ticks(uint64_t deadline)
{
    uint64_t ticks;

    if (deadline == PLATFORM_NEVER)
        return UINT64_MAX;
    ticks = timer_ns_to_ticks(deadline, time_hz);
    return ticks > UINT64_MAX - time_base ? UINT64_MAX : time_base + ticks;
}

/* --- interrupt service routines: record, never print or call out ------- */

/* 4.1.3: S-mode may write sip.SSIP itself; it stays set until cleared. */
static void soft_isr(void)
{
    csr_clear(sip, SIP_SSIP);
    irq_raise(irqs, PLATFORM_SOFT_IRQ);
}

/* sip.STIP is read-only here; a new SBI set_timer clears it (SBI 6.1). */
static void timer_isr(void)
{
    sbi_set_timer(UINT64_MAX);
    irq_raise(irqs, PLATFORM_TIMER_IRQ);
}

/* One claim per trap: if more sources are pending, sip.SEIP stays set and
   we trap again on the way out. plic_hold() is the mask (see plic.c). */
static void external_isr(void)
{
    unsigned src = plic_claim();

    if (src == 0) {
        irq_spurious(irqs);         /* claimed by nobody, or gone already */
        return;
    }
    plic_hold(src);
    irq_raise(irqs, src);
}

/* --- faults ------------------------------------------------------------ */

/* scause exception codes (4.1.8, table 4.2). */
static const char *const exception_names[16] = {
    "instruction address misaligned", "instruction access fault",
    "illegal instruction", "breakpoint", "load address misaligned",
    "load access fault", "store/AMO address misaligned", "store/AMO access fault",
    "environment call from U-mode", "environment call from S-mode",
    "reserved exception 10", "reserved exception 11", "instruction page fault",
    "load page fault", "reserved exception 14", "store/AMO page fault",
};

/* The report's register order: ABI names, grouped by role. */
static const struct { const char *name; uint8_t x; } reg_order[31] = {
    { "ra", 1 }, { "sp", 2 }, { "gp", 3 }, { "tp", 4 },
    { "t0", 5 }, { "t1", 6 }, { "t2", 7 }, { "t3", 28 }, { "t4", 29 },
    { "t5", 30 }, { "t6", 31 }, { "s0", 8 }, { "s1", 9 }, { "s2", 18 },
    { "s3", 19 }, { "s4", 20 }, { "s5", 21 }, { "s6", 22 }, { "s7", 23 },
    { "s8", 24 }, { "s9", 25 }, { "s10", 26 }, { "s11", 27 }, { "a0", 10 },
    { "a1", 11 }, { "a2", 12 }, { "a3", 13 }, { "a4", 14 }, { "a5", 15 },
    { "a6", 16 }, { "a7", 17 },
};

/* stval holds the faulting address for misaligned, access and page
   faults, and may hold the instruction bits for an illegal one (4.1.9). */
static _Noreturn void fault(const struct trapframe *f)
{
    struct fault_reg regs[35];
    unsigned n;

    for (n = 0; n < 31; n++)
        regs[n] = (struct fault_reg){ reg_order[n].name, f->x[reg_order[n].x] };
    regs[n++] = (struct fault_reg){ "sepc", f->sepc };
    regs[n++] = (struct fault_reg){ "sstatus", f->sstatus };
    regs[n++] = (struct fault_reg){ "scause", f->scause };
    regs[n++] = (struct fault_reg){ "stval", f->stval };
    kernel_fault(f->scause < 16 ? exception_names[f->scause] : "unknown exception",
                 f->sepc, f->stval, regs, n);
}

/* Called by trap.S with interrupts off (the hart cleared sstatus.SIE). */
void rv64_trap(struct trapframe *f)
{
    if (!(f->scause & SCAUSE_INTERRUPT))
        fault(f);
    switch (f->scause & ~SCAUSE_INTERRUPT) {
    case IRQ_S_SOFT:  soft_isr(); break;
    case IRQ_S_TIMER: timer_isr(); break;
    case IRQ_S_EXT:   external_isr(); break;
    default:          irq_spurious(irqs); break;  /* not enabled in sie */
    }
}

/* --- the contract ------------------------------------------------------ */

void platform_init(const struct boot_info *bi, struct irq_table *table)
{
    (void)bi;
    irqs = table;
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(stvec, (uintptr_t)trap_entry);   /* 4.1.2: MODE 0, direct */
    clock_init();
    plic_init(2 * (unsigned)rv64_hartid + 1);  /* QEMU virt: M, S per hart */
    csr_clear(sip, SIP_SSIP);
    /* 4.1.3: an interrupt is taken when pending in sip, enabled in sie and,
       in S-mode, sstatus.SIE is set. SIE stays clear: platform_wfi sets it. */
    csr_set(sie, SIE_ALL);
}

uint64_t platform_now(void)
{
    return timer_ticks_to_ns(rdtime() - time_base, time_hz);
}

//! [rv64-wfi]
uint64_t platform_wfi(uint64_t deadline)
{
    csr_clear(sstatus, SSTATUS_SIE);
    sbi_set_timer(deadline_ticks(deadline));
    /* 3.3.3: WFI resumes when any interrupt enabled in sie is pending,
       whatever sstatus.SIE says. With SIE clear, one that became pending
       since the caller looked for work ends the wait instead of being
       taken (and missed) before it; setting SIE then takes it. */
    __asm__ volatile("wfi" : : : "memory");
    csr_set(sstatus, SSTATUS_SIE);
    return platform_now();
}
//! [rv64-wfi]

void platform_irq_off(void)
{
    csr_clear(sstatus, SSTATUS_SIE);
}

void platform_irq_on(void)
{
    csr_set(sstatus, SSTATUS_SIE);
}

/* The software and timer interrupts have no controller mask: always on. */
bool platform_irq_unmask(unsigned irq)
{
    if (irq == PLATFORM_SOFT_IRQ || irq == PLATFORM_TIMER_IRQ)
        return true;
    return plic_unmask(irq);
}

bool platform_irq_mask(unsigned irq)
{
    return plic_mask(irq);
}

/* The PLIC has no way to make a source pending from software; the hart's
   own supervisor software interrupt (sip.SSIP, 4.1.3) is the one we have. */
bool platform_irq_trigger(unsigned irq)
{
    if (irq != PLATFORM_SOFT_IRQ)
        return false;
    csr_set(sip, SIP_SSIP);
    return true;
}
