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
#include "pvh64.inc"

after_hello:
    cli
    hlt
    jmp after_hello             /* not reached: nothing wakes it */

    .section .rodata
msg:
    .asciz "halt: interrupts off, then hlt\r\n"
