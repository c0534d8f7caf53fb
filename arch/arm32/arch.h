/* arch.h - arm32 (ARMv7-A, AArch32) definitions the portable kernel and the
   arm32 files share: the interrupt numbers (GIC INTIDs), CP15 and MMIO
   accessors, the trap frame, and the interfaces between the arm32 files.
   Register facts: the ARMv7-A/R Architecture Reference Manual (ARM DDI
   0406C, "ARMv7 ARM" below), chapter B4 for the CP15 registers. */
#ifndef BREADBOARD_ARM32_ARCH_H
#define BREADBOARD_ARM32_ARCH_H

#include <stdbool.h>
#include <stdint.h>

struct irq_table;

/* Interrupt numbers are GIC INTIDs, as on arm64 (IHI 0048B, "Interrupt
   IDs"): 0-15 SGIs, 16-31 PPIs, 32-1019 SPIs; 1020-1023 are special,
   never raised. */
#define PLATFORM_IRQ_MAX   1020
#define PLATFORM_SOFT_IRQ  1       /* SGI 1: software-generated, no device */
#define PLATFORM_TIMER_IRQ 27      /* the virtual timer's PPI (virt's "arm,armv7-timer") */
#define PLATFORM_CONSOLE_IRQ 33    /* the virt board's PL011: SPI 1 */

/* CP15 by its encoding: cp15_read(CP15_VBAR) is `mrc p15, 0, r, c12, c0, 0`.
   The 64-bit registers (the counters and compare values) move with
   mrrc/mcrr and a register pair (ARMv7 ARM B3, "Organization of the
   CP15 registers"). */
#define cp15_read(enc) ({                                           \
    uint32_t v__;                                                   \
    __asm__ volatile("mrc p15, " enc : "=r"(v__));                  \
    v__;                                                            \
})
#define cp15_write(enc, v) \
    __asm__ volatile("mcr p15, " enc : : "r"((uint32_t)(v)) : "memory")
#define cp15_read64(op1, crm) ({                                    \
    uint64_t v__;                                                   \
    __asm__ volatile("mrrc p15, " #op1 ", %Q0, %R0, " #crm : "=r"(v__)); \
    v__;                                                            \
})
#define cp15_write64(op1, crm, v) \
    __asm__ volatile("mcrr p15, " #op1 ", %Q0, %R0, " #crm : : "r"((uint64_t)(v)) : "memory")

/* The CP15 registers we use, "opc1, %0, CRn, CRm, opc2" (ARMv7 ARM B4.1). */
#define CP15_MPIDR     "0, %0, c0, c0, 5"
#define CP15_ID_PFR1   "0, %0, c0, c1, 1"
#define CP15_SCTLR     "0, %0, c1, c0, 0"
#define CP15_DFSR      "0, %0, c5, c0, 0"
#define CP15_IFSR      "0, %0, c5, c0, 1"
#define CP15_DFAR      "0, %0, c6, c0, 0"
#define CP15_IFAR      "0, %0, c6, c0, 2"
#define CP15_VBAR      "0, %0, c12, c0, 0"
#define CP15_CNTFRQ    "0, %0, c14, c0, 0"
#define CP15_CNTV_CTL  "0, %0, c14, c3, 1"
/* 64-bit: CNTVCT is mrrc p15, 1, c14; CNTV_CVAL mcrr p15, 3, c14. */

static inline void isb(void)
{
    __asm__ volatile("isb" : : : "memory");
}

/* With the MMU off every data access is Strongly-ordered (ARMv7 ARM
   B3, "VMSA behavior when a stage 1 MMU is disabled"): uncached and
   in program order, so MMIO needs no barriers. It also means an unaligned
   access faults (ARMv7 ARM A3.2, "Alignment support"), hence -mno-unaligned-access. */
static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

/* ldrd/strd: QEMU splits them into two 32-bit accesses, low word first,
   which the GIC allows for its 64-bit registers (IHI 0069: each may be
   reached as two 32-bit halves). */
static inline uint64_t mmio_read64(uintptr_t addr)
{
    return *(volatile uint64_t *)addr;
}

static inline void mmio_write64(uintptr_t addr, uint64_t v)
{
    *(volatile uint64_t *)addr = v;
}

/* What the GIC driver shared with arm64 (arch/arm/gic.c) asks of the CPU.
   ID_PFR1.GIC, bits [31:28], is nonzero when the GICv3 CP15 interface is
   there (ARMv8 ARM G8, ID_PFR1; QEMU sets it when a GICv3 is attached).
   MPIDR has Aff0-Aff2 in bits [23:0] and no Aff3 (ARMv7 ARM B4.1, MPIDR). */
static inline bool gic_cpu_has_sysregs(void)
{
    return cp15_read(CP15_ID_PFR1) >> 28 != 0;
}

static inline uint64_t gic_cpu_affinity(void)
{
    return cp15_read(CP15_MPIDR) & 0xffffff;
}

/* The v3 CPU interface through CP15 (IHI 0069 chapter 12, each
   register's AArch32 encoding): icc_read(iar1) is ICC_IAR1. */
#define ICC_CP15_sre     "0, %0, c12, c12, 5"
#define ICC_CP15_pmr     "0, %0, c4, c6, 0"
#define ICC_CP15_ctlr    "0, %0, c12, c12, 4"
#define ICC_CP15_igrpen1 "0, %0, c12, c12, 7"
#define ICC_CP15_iar1    "0, %0, c12, c12, 0"
#define ICC_CP15_eoir1   "0, %0, c12, c12, 1"
#define icc_read(reg)     cp15_read(ICC_CP15_##reg)
#define icc_write(reg, v) cp15_write(ICC_CP15_##reg, v)

static inline void gic_cpu_sgi1r(uint64_t v)
{
    cp15_write64(0, c12, v);        /* ICC_SGI1R: mcrr p15, 0, c12 */
}

/* The register frame vectors.S builds for every exception, lowest address
   first. The offsets are spelled out again there (FRAME_* in vectors.S). */
struct trapframe {
    uint32_t r[13];               /* r0..r12 */
    uint32_t sp, lr;              /* SVC mode's (faults only: see vectors.S) */
    uint32_t pc;                  /* the exception's return address, as taken */
    uint32_t cpsr;                /* the interrupted CPSR (the mode's SPSR) */
};

/* The eight entries of the vector table, by offset / 4 (ARMv7 ARM
   B1.8, "Exception vectors and the exception base address"). */
enum {
    VEC_RESET, VEC_UNDEF, VEC_SVC, VEC_PABT, VEC_DABT, VEC_HYP, VEC_IRQ, VEC_FIQ,
};

/* vectors.S */
extern const char arm32_vectors[];

/* trap.c: called from vectors.S */
void arm32_irq(struct trapframe *f);
_Noreturn void arm32_fault(struct trapframe *f, unsigned vector);
void arm32_trap_init(struct irq_table *irqs);

/* start.c: the device tree QEMU left at the base of RAM, NULL if none;
   the mode boot.S was entered in */
extern const void *arm32_fdt;
#define ARM_FDT arm32_fdt   /* for arch/arm/buses.c */
extern uint32_t arm32_entry_mode;

/* arch/arm/gic.c: the interrupt controller, v2 or v3 */
void gic_init(void);
uint32_t gic_ack(void);                  /* the raw IAR value */
unsigned gic_intid(uint32_t iar);        /* the INTID in an IAR value */
void gic_eoi(uint32_t iar);
bool gic_set_enabled(unsigned intid, bool on);
bool gic_is_level(unsigned intid);
bool gic_set_level(unsigned intid);      /* an SPI: make it level-sensitive */
bool gic_raise(unsigned intid);

/* The generic timer's registers through CP15, for arch/arm/timer.c
   (ARMv7 ARM B4.1): CNTFRQ and CNTV_CTL by mrc/mcr, CNTVCT by
   mrrc p15, 1, c14, CNTV_CVAL by mcrr p15, 3, c14. */
static inline uint64_t gt_cntfrq(void) { return cp15_read(CP15_CNTFRQ); }
static inline uint64_t gt_cntvct(void) { return cp15_read64(1, c14); }
static inline void gt_cntv_ctl(uint32_t v) { cp15_write(CP15_CNTV_CTL, v); }
static inline void gt_cntv_cval(uint64_t v) { cp15_write64(3, c14, v); }
#define GT_CNTFRQ_NAME "CNTFRQ"

/* arch/arm/timer.c: the virtual timer's level output, quietened by the
   ISR; bring-up; the next one-shot (platform_wfi) */
void cntv_stop(void);
void arm_timer_init(void);
void arm_timer_arm(uint64_t deadline);

#endif
