/* vectors.S - the EL1 exception vector table and its two entry paths.

   VBAR_EL1 points at a table of 16 entries, 0x80 bytes (32 instructions)
   each, aligned to 2 KiB (Arm ARM D1.10.2, "Exception vectors"). Entry n is
   chosen by where the exception came from (current EL on SP_EL0, current EL
   on SP_ELx, lower EL in AArch64, lower EL in AArch32) and its type (sync,
   IRQ, FIQ, SError). The kernel runs at EL1 on SP_EL1 and has no EL0, so
   the only entries that return are IRQ and FIQ from the current EL on
   SP_ELx; every other one is a fault, reported and never returned from.

   Both paths build a struct trapframe (arch.h) and pass it, with the entry
   number, to C in x0 and x1. Taking an exception sets PSTATE.{D,A,I,F}, so
   the C code runs with interrupts off, and `eret` restores the interrupted
   PSTATE from SPSR_EL1. */

#define FRAME_SP   (31 * 8)     /* struct trapframe offsets */
#define FRAME_ELR  (32 * 8)
#define FRAME_ESR  (34 * 8)
#define FRAME_SIZE (36 * 8)     /* 288: keeps SP 16-byte aligned */

/* Store x2..x30 and the exception registers; x0/x1 are already stored and
   the stack pointer to report is in x0. */
.macro save_rest
    str x0, [sp, #FRAME_SP]
    stp x2, x3, [sp, #16 * 1]
    stp x4, x5, [sp, #16 * 2]
    stp x6, x7, [sp, #16 * 3]
    stp x8, x9, [sp, #16 * 4]
    stp x10, x11, [sp, #16 * 5]
    stp x12, x13, [sp, #16 * 6]
    stp x14, x15, [sp, #16 * 7]
    stp x16, x17, [sp, #16 * 8]
    stp x18, x19, [sp, #16 * 9]
    stp x20, x21, [sp, #16 * 10]
    stp x22, x23, [sp, #16 * 11]
    stp x24, x25, [sp, #16 * 12]
    stp x26, x27, [sp, #16 * 13]
    stp x28, x29, [sp, #16 * 14]
    str x30, [sp, #16 * 15]
    mrs x2, elr_el1
    mrs x3, spsr_el1
    stp x2, x3, [sp, #FRAME_ELR]
    mrs x2, esr_el1
    mrs x3, far_el1
    stp x2, x3, [sp, #FRAME_ESR]
    mov x0, sp
.endm

/* An entry that returns: the frame goes on the interrupted stack. */
.macro vec_return n
    .balign 0x80
    sub sp, sp, #FRAME_SIZE
    stp x0, x1, [sp]
    mov x1, #\n
    b return_entry
.endm

/* An entry that reports a fault: the frame goes on a stack of its own, so
   that a fault caused by the stack pointer itself (misaligned, or pointing
   at no memory) is still reported. TPIDR_EL1 and SP_EL0 hold x0 and the
   old SP meanwhile: this kernel uses neither for anything else. (So for
   the entries from SP_EL0 or from EL0, which never happen, the SP in the
   report is SP_EL1, not the one that was in use.) */
.macro vec_fault n
    .balign 0x80
    msr tpidr_el1, x0
    mov x0, sp
    msr sp_el0, x0
    ldr x0, =fault_stack_top
    mov sp, x0
    mrs x0, tpidr_el1
    sub sp, sp, #FRAME_SIZE
    stp x0, x1, [sp]
    mov x1, #\n
    b fault_entry
.endm

    .section .text.vectors, "ax"
    .balign 0x800
    .globl arm64_vectors
arm64_vectors:
    vec_fault 0                 /* current EL, SP_EL0: sync */
    vec_fault 1                 /*   IRQ */
    vec_fault 2                 /*   FIQ */
    vec_fault 3                 /*   SError */
    vec_fault 4                 /* current EL, SP_ELx: sync */
    vec_return 5                /*   IRQ: the one that matters */
    vec_return 6                /*   FIQ: counted as spurious */
    vec_fault 7                 /*   SError */
    vec_fault 8                 /* lower EL, AArch64: sync */
    vec_fault 9
    vec_fault 10
    vec_fault 11
    vec_fault 12                /* lower EL, AArch32: sync */
    vec_fault 13
    vec_fault 14
    vec_fault 15

return_entry:
    add x0, sp, #FRAME_SIZE     /* the SP before the frame */
    save_rest
    bl arm64_irq
    /* ELR and SPSR come back from the frame, where C could change
       where and how the interrupted code resumes. */
    ldp x2, x3, [sp, #FRAME_ELR]
    msr elr_el1, x2
    msr spsr_el1, x3
    ldp x2, x3, [sp, #16 * 1]
    ldp x4, x5, [sp, #16 * 2]
    ldp x6, x7, [sp, #16 * 3]
    ldp x8, x9, [sp, #16 * 4]
    ldp x10, x11, [sp, #16 * 5]
    ldp x12, x13, [sp, #16 * 6]
    ldp x14, x15, [sp, #16 * 7]
    ldp x16, x17, [sp, #16 * 8]
    ldp x18, x19, [sp, #16 * 9]
    ldp x20, x21, [sp, #16 * 10]
    ldp x22, x23, [sp, #16 * 11]
    ldp x24, x25, [sp, #16 * 12]
    ldp x26, x27, [sp, #16 * 13]
    ldp x28, x29, [sp, #16 * 14]
    ldr x30, [sp, #16 * 15]
    ldp x0, x1, [sp]
    add sp, sp, #FRAME_SIZE
    eret

fault_entry:
    mrs x0, sp_el0              /* the SP when the fault was taken */
    save_rest
    bl arm64_fault              /* does not return */
1:  wfi
    b 1b

    .section .bss
    .balign 16
fault_stack:
    .skip 4096
fault_stack_top:

    .section .note.GNU-stack, "", %progbits
