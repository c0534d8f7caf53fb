/* ports.S - a guest that pokes a port nobody decodes (book/security.md,
   rule 5, and its cases for dispatch).

   Port 0x2f8 (COM2) has no device on our monitor nor on QEMU with
   -nodefaults, so an ISA bus leaves it floating: every IN reads all-ones
   of its width and every OUT vanishes. The guest checks IN of 1, 2 and 4
   bytes, a REP INSB (string I/O, which KVM hands over as one exit with
   count > 1), sends a line to COM1 with REP OUTSB, then writes the dead
   port 100000 times: the monitor must keep up and keep its warnings few.
   Exit code (isa-debug-exit): 0 if all held, else the number of the check
   that failed.

   An ELF32 PVH kernel (Xen docs/misc/pvh.pandoc), so it also covers the
   32-bit loader path and the 4-byte entry note.
   Build: gcc -m32 -nostdlib -static -no-pie -Wl,-Ttext-segment=0x100000
          -Wl,--build-id=none ports.S -o ports.elf
   (-Ttext-segment, not -Ttext: it moves the ELF headers and the note
   segment down too; with -Ttext alone ld leaves them at 0x8048000.)

   expect: ports: unclaimed reads are all-ones
   expect: ports: rep outsb reaches the UART
   expect: ports: 100000 writes to a dead port ignored
   expect-status: 0
*/
#define DEAD      0x2f8

#include "pvh32.inc"

    .globl _start
_start:
    mov $stack_top, %esp
    cld

    /* Checks 1-3: IN of each width reads all-ones. */
    mov $DEAD, %dx
    xor %eax, %eax
    in %dx, %al
    mov $1, %bl
    cmp $0xff, %eax
    jne fail
    xor %eax, %eax
    in %dx, %ax
    mov $2, %bl
    cmp $0xffff, %eax
    jne fail
    xor %eax, %eax
    in %dx, %eax
    mov $3, %bl
    cmp $0xffffffff, %eax
    jne fail

    /* Check 4: sixteen bytes of REP INSB, every one all-ones. */
    mov $buf, %edi
    mov $16, %ecx
    rep insb
    mov $buf, %esi
    mov $16, %ecx
    mov $4, %bl
1:  lodsb
    cmp $0xff, %al
    jne fail
    loop 1b
    mov $msg_reads, %esi
    call puts

    /* REP OUTSB to THR: one exit, count = length. The model's THR empties
       at once, so no LSR poll is needed between bytes on our monitor;
       QEMU's serial port drains as fast. */
    mov $COM1, %dx
    mov $msg_outsb, %esi
    mov $msg_outsb_len, %ecx
    rep outsb

    /* 100000 OUTs to the dead port: ignored, and logged at a bounded rate. */
    mov $DEAD, %dx
    mov $100000, %ecx
2:  out %al, %dx
    loop 2b
    mov $msg_writes, %esi
    call puts

    xor %bl, %bl
fail:
    mov %bl, %al
    inc %al                         /* the port carries status + 1 (tests/boot) */
    mov $EXIT_PORT, %dx
    out %al, %dx
3:  hlt                             /* no exit device: stop here */
    jmp 3b

    .section .rodata
msg_reads:
    .asciz "ports: unclaimed reads are all-ones\r\n"
msg_outsb:
    .ascii "ports: rep outsb reaches the UART\r\n"
    .set msg_outsb_len, . - msg_outsb
msg_writes:
    .asciz "ports: 100000 writes to a dead port ignored\r\n"

    .bss
    .balign 16
buf:    .skip 16
        .skip 4096
stack_top:

    .section .note.GNU-stack, "", @progbits
