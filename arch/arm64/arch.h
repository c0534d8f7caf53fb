/* arch.h - arm64 definitions the portable kernel and the arm64 files share:
   the interrupt numbers (GIC INTIDs), system register and MMIO accessors,
   the trap frame, and the interfaces between the arm64 files. */
#ifndef BREADBOARD_ARM64_ARCH_H
#define BREADBOARD_ARM64_ARCH_H

#include <stdbool.h>
#include <stdint.h>

struct irq_table;

/* Interrupt numbers are GIC INTIDs (IHI 0069 2.2.1): 0-15 SGIs, 16-31 PPIs,
   32-1019 SPIs; 1020-1023 are special (1023: spurious) and never raised. */
#define PLATFORM_IRQ_MAX   1020
#define PLATFORM_SOFT_IRQ  1       /* SGI 1: software-generated, no device */
#define PLATFORM_TIMER_IRQ 27      /* the EL1 virtual timer's PPI (SBSA/BSA, and QEMU virt) */
#define PLATFORM_CONSOLE_IRQ 33    /* the virt board's PL011: SPI 1 */

/* System registers by name: the assembler knows every one we use. The
   value is a 64-bit general register either way. */
#define read_sysreg(reg) ({                                         \
    uint64_t v__;                                                   \
    __asm__ volatile("mrs %0, " #reg : "=r"(v__));                  \
    v__;                                                            \
})
#define write_sysreg(reg, v) \
    __asm__ volatile("msr " #reg ", %x0" : : "rZ"((uint64_t)(v)) : "memory")

/* Context synchronization: a system register write is only guaranteed to
   affect the instructions after the next ISB (Arm ARM B2, "Context
   synchronization event"). */
static inline void isb(void)
{
    __asm__ volatile("isb" : : : "memory");
}

/* With the MMU off every data access is Device-nGnRnE (Arm ARM D5, "The
   effects of disabling address translation"): MMIO accesses are uncached
   and reach the device in program order, so no barriers are needed here. */
static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

static inline uint64_t mmio_read64(uintptr_t addr)
{
    return *(volatile uint64_t *)addr;
}

static inline void mmio_write64(uintptr_t addr, uint64_t v)
{
    *(volatile uint64_t *)addr = v;
}

/* The register frame vectors.S builds on the stack for every exception.
   The offsets are spelled out again there (FRAME_* in vectors.S). */
struct trapframe {
    uint64_t x[31];               /* x0..x30 (x30 is the link register) */
    uint64_t sp;                  /* the stack pointer when it was taken */
    uint64_t elr, spsr;           /* where to return, and the PSTATE to restore */
    uint64_t esr, far;            /* syndrome and fault address (faults only) */
};

/* Which of the 16 vectors was taken (Arm ARM D1.10.2, "Exception vectors"): four
   groups of four (sync, IRQ, FIQ, SError), from the current EL on SP_EL0,
   the current EL on SP_ELx, a lower EL in AArch64, a lower EL in AArch32.
   The kernel runs at EL1 on SP_EL1, so only VEC_IRQ is expected. */
enum { VEC_SYNC = 4, VEC_IRQ = 5, VEC_FIQ = 6, VEC_SERROR = 7 };

/* vectors.S */
extern const char arm64_vectors[];

/* trap.c: called from vectors.S */
void arm64_irq(struct trapframe *f, unsigned vector);
_Noreturn void arm64_fault(struct trapframe *f, unsigned vector);
void arm64_trap_init(struct irq_table *irqs);

/* start.c: the device tree QEMU left at the base of RAM, NULL if none */
extern const void *arm64_fdt;
#define ARM_FDT arm64_fdt   /* for arch/arm/buses.c */

/* What the GIC driver shared with arm32 (arch/arm/gic.c) asks of the
   CPU. The GICv3 system register interface is there when
   ID_AA64PFR0_EL1.GIC, bits [27:24], is nonzero (Arm ARM D13); MPIDR_EL1
   has Aff0-Aff2 in bits [23:0] and Aff3 in [39:32]. */
static inline bool gic_cpu_has_sysregs(void)
{
    return (read_sysreg(id_aa64pfr0_el1) >> 24 & 0xf) != 0;
}

static inline uint64_t gic_cpu_affinity(void)
{
    uint64_t mpidr = read_sysreg(mpidr_el1);

    return (mpidr & 0xffffff) | (mpidr >> 32 & 0xff) << 24;
}

/* The v3 CPU interface registers: icc_read(iar1) is ICC_IAR1_EL1. */
#define icc_read(reg)     read_sysreg(icc_##reg##_el1)
#define icc_write(reg, v) write_sysreg(icc_##reg##_el1, v)

static inline void gic_cpu_sgi1r(uint64_t v)
{
    write_sysreg(icc_sgi1r_el1, v);
}

/* arch/arm/gic.c: the interrupt controller, v2 or v3 */
void gic_init(void);
uint32_t gic_ack(void);                  /* the raw IAR value */
unsigned gic_intid(uint32_t iar);        /* the INTID in an IAR value */
void gic_eoi(uint32_t iar);
bool gic_set_enabled(unsigned intid, bool on);
bool gic_is_level(unsigned intid);
bool gic_set_level(unsigned intid);      /* an SPI: make it level-sensitive */
bool gic_raise(unsigned intid);

/* The generic timer's registers, for arch/arm/timer.c (Arm ARM D13). */
static inline uint64_t gt_cntfrq(void) { return read_sysreg(cntfrq_el0); }
static inline uint64_t gt_cntvct(void) { return read_sysreg(cntvct_el0); }
static inline void gt_cntv_ctl(uint32_t v) { write_sysreg(cntv_ctl_el0, (uint64_t)v); }
static inline void gt_cntv_cval(uint64_t v) { write_sysreg(cntv_cval_el0, v); }
#define GT_CNTFRQ_NAME "CNTFRQ_EL0"

/* arch/arm/timer.c: the virtual timer's level output, quietened by the
   ISR; bring-up; the next one-shot (platform_wfi) */
void cntv_stop(void);
void arm_timer_init(void);
void arm_timer_arm(uint64_t deadline);

#endif
