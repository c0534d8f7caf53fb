/* trap.S - the 256 interrupt and exception entry points and their common path.

   Each entry is 16 bytes, so the IDT builder finds entry n at trap_entries +
   16 * n. The CPU pushes an error code for some exceptions only (SDM vol. 3,
   table 6-1: 8, 10-14, 17, 21, 29, 30); the other entries push a 0 in its
   place so every frame has one shape (struct trapframe in arch.h). */

    .section .text
    .globl trap_entries
    .balign 16
trap_entries:
    .set vec, 0
    .rept 256
    .balign 16
    .if !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
    push $0
    .endif
    .if vec < 128
    push $vec
    .else
    push $(vec - 256)        /* push takes a sign-extended imm; trap_common masks */
    .endif
    jmp trap_common
    .set vec, vec + 1
    .endr

trap_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    andq $0xff, 15*8(%rsp)   /* the vector, whatever sign the push gave it */
    mov %rsp, %rdi
    cld                      /* the SysV ABI wants DF clear on calls */
    call x64_trap
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp            /* vector and error code */
    iretq

    .section .note.GNU-stack, "", @progbits
