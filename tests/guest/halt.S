/* halt.S - a guest that halts with interrupts off, for good.

   It says hello on COM1, then `cli; hlt`. Only an NMI could wake it, and
   nothing sends one: with the LAPIC in KVM the HLT blocks inside KVM_RUN,
   so bbvm's once-a-second watchdog must notice (vCPU halted, RFLAGS.IF
   clear), say so, dump the registers and exit 12. (QEMU would wait
   forever, so this guest runs on bbvm only.)
   Build: as triple.S.

   expect: halt: interrupts off, then hlt
   expect: bbvm: guest halted with interrupts off: it can never wake
   expect: rip
   expect: rax
   expect-status: 12
*/
#define COM1     0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20

/* The PVH entry note: name "Xen", type 18, an 8-byte address in ELF64. */
    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 4, 8, 18
    .asciz "Xen"
    .balign 4
    .quad _start
    .popsection

    .text
    .code32
    .globl _start
_start:
    mov $msg, %esi
1:  movzbl (%esi), %eax
    test %eax, %eax
    jz 3f
    mov $COM1_LSR, %dx
    mov $100000, %ecx           /* bounded wait for THR empty */
2:  in %dx, %al
    test $LSR_THRE, %al
    loopz 2b
    mov $COM1, %dx
    movb (%esi), %al
    out %al, %dx
    inc %esi
    jmp 1b

3:  cli
    hlt
    jmp 3b                      /* not reached: nothing wakes it */

    .section .rodata
msg:
    .asciz "halt: interrupts off, then hlt\r\n"

    .section .note.GNU-stack, "", @progbits
