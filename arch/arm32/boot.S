/* boot.S - arm32 (ARMv7-A) entry on QEMU `virt` with -cpu cortex-a15.

   QEMU loads our ELF and jumps to _start in ARM state with the MMU and
   caches off and IRQ, FIQ and asynchronous aborts masked. With the default
   machine (no virtualization, no secure world) that is SVC mode at PL1;
   with virtualization=on it is Hyp mode (PL2), and we drop to SVC so the
   rest of the kernel has one mode to think about, as arm64 drops from EL2.

   Unlike arm64, AArch32 has a banked stack pointer per exception mode
   (ARMv7 ARM B1.3, "ARM core registers"): an exception taken to IRQ,
   Abort or Undefined mode runs on that mode's SP. So this code gives the
   fault modes a stack of their own, and IRQ mode a few words, before it
   settles in SVC mode, where the kernel runs. */

#define MODE_FIQ 0x11           /* CPSR.M (ARMv7 ARM B1.3, "ARM processor modes") */
#define MODE_IRQ 0x12
#define MODE_SVC 0x13
#define MODE_ABT 0x17
#define MODE_HYP 0x1a
#define MODE_UND 0x1b
#define PSR_AIF  0x1c0          /* CPSR.{A,I,F}: masked */

    .section .text.boot, "ax"
    .arm
    .globl _start
_start:
    mrs r4, cpsr
    and r4, r4, #0x1f
    cmp r4, #MODE_HYP
    bne 1f
    /* Hyp -> SVC. The virtual counter is the physical one minus CNTVOFF,
       whose reset value is UNKNOWN: make PL1's view the real count (ARMv7
       ARM B8, "The Generic Timer", and B4.1, CNTVOFF: mcrr p15, 4, c14).
       HCR 0: nothing trapped to Hyp. */
    mov r0, #0
    mov r1, #0
    mcrr p15, 4, r0, r1, c14
    mcr p15, 4, r0, c1, c1, 0
    /* In Hyp mode its own SPSR is plain `spsr`: the banked form,
       spsr_hyp, is for the other modes, and from Hyp it is UNPREDICTABLE
       (QEMU: undefined instruction). ELR_hyp has no other name. */
    mov r0, #(MODE_SVC | PSR_AIF)
    msr spsr_cxsf, r0
    adr r0, 1f
    msr elr_hyp, r0
    eret
1:  /* Each exception mode's SP, then SVC mode's, all with A, I, F masked. */
    cps #MODE_ABT
    ldr sp, =fault_stack_top
    cps #MODE_UND
    ldr sp, =fault_stack_top
    cps #MODE_FIQ
    ldr sp, =fault_stack_top
    cps #MODE_IRQ
    ldr sp, =irq_stack_top
    cps #MODE_SVC
    ldr sp, =stack_top
    ldr r0, =__bss_start
    ldr r1, =__bss_end
    mov r2, #0
2:  cmp r0, r1
    strlo r2, [r0], #4
    blo 2b
    /* BSS is zero now: r4 (the entry mode) survived in a register. */
    ldr r0, =arm32_entry_mode
    str r4, [r0]
    bl arm32_start
3:  wfi
    b 3b

    .section .bss.stack, "aw", %nobits
    .balign 16
stack:  .skip 16384
stack_top:
    /* IRQ mode only runs the three instructions that move an interrupt's
       return state onto the SVC stack (vectors.S); it needs no stack,
       but gets a valid one. */
    .balign 16
irq_stack: .skip 64
irq_stack_top:
    /* Abort, Undefined and FIQ mode: the fault report's stack. */
    .balign 16
    .globl fault_stack_top
fault_stack: .skip 4096
fault_stack_top:

    .section .note.GNU-stack, "", %progbits
