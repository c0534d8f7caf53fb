/* triple.S - a guest that triple-faults on purpose.

   It says hello on COM1, loads an IDT with limit 0 and executes ud2. The
   CPU cannot fetch the #UD gate (the IDT limit check fails: #GP), cannot
   fetch the #GP gate either (#DF), nor the #DF gate: a triple fault, which
   KVM reports as KVM_EXIT_SHUTDOWN (Intel SDM vol. 3A, 6.15, "Interrupt
   8 - Double Fault Exception"). bbvm must report it, dump the registers
   and exit 8; QEMU with -no-reboot exits 0.

   Why ud2 and not int3: a host without VMX/SVM (nested KVM through PVM,
   as on our CI machine) runs 32-bit guest code in KVM's instruction
   emulator, which implements INT n only for real mode; int3 there ends in
   KVM_EXIT_INTERNAL_ERROR instead. A #UD is a fault every CPU and
   emulator delivers the same way.

   A PVH kernel (Xen docs/misc/pvh.pandoc): entered in 32-bit protected
   mode, paging off, at the address in the XEN_ELFNOTE_PHYS32_ENTRY note.
   Build: gcc -m64 -nostdlib -static -no-pie -Wl,-Ttext=0x100000
          -Wl,--build-id=none triple.S -o triple.elf

   The register dump, one expect per line of it:
   expect: triple: empty IDT, then ud2
   expect: bbvm: guest triple fault
   expect: rip
   expect: cr0
   expect: efer
   expect: rax
   expect: r13
   expect-status: 8
*/
#include "pvh64.inc"

after_hello:
    lidt empty_idt
    ud2
    hlt                         /* not reached */
    jmp after_hello

    .section .rodata
msg:
    .asciz "triple: empty IDT, then ud2\r\n"
    .balign 8
empty_idt:
    .word 0                     /* limit 0: no gate is reachable */
    .long 0
