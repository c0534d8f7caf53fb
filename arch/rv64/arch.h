/* arch.h - rv64 definitions the portable kernel and the rv64 files share:
   the interrupt numbering, CSR access, the trap frame, and what each rv64
   file offers the others. Section numbers are the RISC-V privileged spec,
   version 1.12, unless another document is named. */
#ifndef BREADBOARD_RV64_ARCH_H
#define BREADBOARD_RV64_ARCH_H

#include <stdbool.h>
#include <stdint.h>

/* Interrupt numbers are PLIC sources, 1..1023 in the PLIC spec (QEMU virt
   has 96). Source 0 does not exist ("no interrupt" in the claim register),
   so 0 names the supervisor software interrupt; the timer takes 1023, a
   source number far above any QEMU virt device. */
#define PLATFORM_IRQ_MAX   1024
#define PLATFORM_SOFT_IRQ  0
#define PLATFORM_TIMER_IRQ 1023
#define PLATFORM_CONSOLE_IRQ 10    /* the virt board's 16550: PLIC source 10 */

/* sstatus (4.1.1): SIE enables S-mode interrupts; on a trap the hart copies
   it to SPIE and clears it, and sret copies SPIE back. */
#define SSTATUS_SIE  (1ul << 1)

/* sip/sie bit numbers (4.1.3), the same as scause's interrupt codes
   (4.1.8, table 4.2): supervisor software, timer, external. */
#define IRQ_S_SOFT   1
#define IRQ_S_TIMER  5
#define IRQ_S_EXT    9
#define SCAUSE_INTERRUPT (1ul << 63)  /* set for interrupts, clear for exceptions */

#define csr_read(csr) ({ uint64_t v__; \
    __asm__ volatile("csrr %0, " #csr : "=r"(v__)); v__; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_set(csr, v)   __asm__ volatile("csrs " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")

/* sstatus.SIE off around a read-modify-write that an ISR may also do;
   returns the old SIE bit for sie_restore(). */
static inline uint64_t sie_off(void)
{
    uint64_t old;

    __asm__ volatile("csrrc %0, sstatus, %1" : "=r"(old) : "r"(SSTATUS_SIE) : "memory");
    return old & SSTATUS_SIE;
}

static inline void sie_restore(uint64_t saved)
{
    csr_set(sstatus, saved);
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

/* The frame trap.S builds on the stack: x[n] is register xn (x[0] is not
   stored), then the trap CSRs. Offsets are fixed: trap.S uses them. */
struct trapframe {
    uint64_t x[32];
    uint64_t sepc, sstatus, scause, stval;
};

/* start.c: what OpenSBI handed us in a0 and a1. */
extern unsigned long rv64_hartid;
extern const void *rv64_fdt;

/* trap.S */
extern const char trap_entry[];

/* sbi.c */
bool sbi_init(void);                  /* true: the TIME extension is there */
void sbi_set_timer(uint64_t stime);

/* plic.c */
#define PLIC_BASE 0x0c000000ul
#define PLIC_SOURCES 96            /* riscv,ndev in QEMU virt's device tree */
void plic_init(unsigned context);
unsigned plic_claim(void);
void plic_hold(unsigned src);
bool plic_mask(unsigned src);
bool plic_unmask(unsigned src);

#endif
