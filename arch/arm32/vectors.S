/* vectors.S - the exception vector table at VBAR and its two entry paths.

   VBAR points at eight instructions, one per exception, aligned to 32
   bytes (ARMv7 ARM B1.8, "Exception vectors and the exception base
   address"; B4.1, VBAR): reset, undefined instruction, SVC, prefetch
   abort, data abort, (Hyp trap, not taken at PL1), IRQ, FIQ. Each is a
   branch. An exception switches to its own mode, with that mode's banked
   SP and LR, puts the interrupted CPSR in the mode's SPSR and the return
   address, offset by a fixed amount, in its LR (ARMv7 ARM B1.8,
   "Exception return": IRQ and prefetch abort LR - 4, data abort LR - 8).

   The kernel runs in SVC mode and has no user mode, so the only entry that
   returns is IRQ; every other one is a fault, reported and never returned
   from. Both paths build a struct trapframe (arch.h) and call C; an
   exception sets CPSR.I, so C runs with interrupts off, and the return
   (rfe) restores the interrupted CPSR. */

#define MODE_SVC 0x13

#define FRAME_SP   (13 * 4)     /* struct trapframe offsets */
#define FRAME_PC   (15 * 4)
#define FRAME_SIZE (17 * 4)

    .section .text.vectors, "ax"
    .arm
    .balign 32
    .globl arm32_vectors
arm32_vectors:
    b reset_entry
    b undef_entry
    b svc_entry
    b pabt_entry
    b dabt_entry
    b hyp_entry
    b irq_entry
    b fiq_entry

/* IRQ: move the return state to the interrupted stack (SVC's: the kernel
   runs nowhere else) and handle it there, so an interrupt costs the
   interrupted code a frame on its own stack, as on arm64. srsdb pushes the
   return address and SPSR (ARMv7 ARM B9, SRS); cps keeps CPSR.I set.
   The SP in this frame is not filled: nothing reads it. */
irq_entry:
    sub lr, lr, #4
    srsdb sp!, #MODE_SVC
    cps #MODE_SVC
    sub sp, sp, #(FRAME_SIZE - 8)
    stmia sp, {r0-r12}
    str lr, [sp, #FRAME_SP + 4]
    mov r0, sp
    mov r4, sp                  /* callee-saved: the frame, across the call */
    bic sp, sp, #7              /* AAPCS: 8-byte aligned at a call */
    bl arm32_irq
    mov sp, r4
    ldr lr, [sp, #FRAME_SP + 4]
    ldmia sp, {r0-r12}
    add sp, sp, #(FRAME_SIZE - 8)
    rfeia sp!                   /* pc and CPSR from the frame's last two words */

/* A fault: the frame goes on the mode's own stack (boot.S gave Abort,
   Undefined and FIQ mode fault_stack), so a fault caused by SVC's stack
   pointer itself is still reported. SVC mode's SP and LR are read by
   switching to SVC mode for two instructions; the report never returns. */
.macro fault n
    sub sp, sp, #FRAME_SIZE
    stmia sp, {r0-r12}
    str lr, [sp, #FRAME_PC]
    mrs r0, spsr
    str r0, [sp, #FRAME_PC + 4]
    mrs r2, cpsr
    cps #MODE_SVC
    mov r0, sp
    mov r1, lr
    msr cpsr_c, r2
    add r3, sp, #FRAME_SP
    stmia r3, {r0, r1}
    mov r0, sp
    mov r1, #\n
    bic sp, sp, #7
    bl arm32_fault
1:  wfi
    b 1b
.endm

undef_entry:    fault 1
pabt_entry:     fault 3
dabt_entry:     fault 4
fiq_entry:      fault 7

/* Reset and SVC are taken in SVC mode itself (and Hyp traps never at
   PL1), so their frame goes on SVC's stack, and the SP reported is the
   one below the frame. The one SVC we make, semihosting's, QEMU handles
   before it is an exception; this entry sees it only without -semihosting. */
reset_entry:    fault 0
svc_entry:      fault 2
hyp_entry:      fault 5

    .section .note.GNU-stack, "", %progbits
