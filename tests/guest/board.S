/* board.S - the KVM board answers as the CPU-less one: a guest that makes,
   with a real CPU under KVM, the accesses of tests/qtest/map.qt (the
   default board's map, checked by bbvm --qtest with no CPU), and compares
   every value it reads with what that transcript expects. The table is
   made from the transcript at build time (qtest_guest.awk), so there is
   one list of answers for both boards.

   Run on bbvm only: QEMU's firmware has programmed its chips before a PVH
   kernel starts, so the power-on values are not there to see.
   Exit code (isa-debug-exit): 0 if every read matched, else the number of
   the first entry that did not (and its value is printed).

   An ELF32 PVH kernel, built like ports.S.

   expect: board: every access of qtest/map.qt answered as without a CPU
   expect-status: 0
*/
#include "pvh32.inc"

    .globl _start
_start:
    mov $stack_top, %esp
    cld
    mov $table, %esi
    xor %ebp, %ebp                  /* entries done */
next:
    cmp $board_checks, %ebp
    je done
    inc %ebp
    mov (%esi), %ebx                /* op: width * 16 + kind */
    mov 4(%esi), %edx               /* port or address */
    mov 8(%esi), %edi               /* value to write, or to expect */
    add $12, %esi
    mov %ebx, %ecx
    and $15, %ecx
    shr $4, %ebx                    /* width */
    cmp $1, %ecx
    je do_out
    cmp $2, %ecx
    je do_in
    cmp $3, %ecx
    je do_write
    jmp do_read

do_out:
    mov %edi, %eax
    cmp $1, %ebx
    jne 1f
    out %al, %dx
    jmp next
1:  cmp $2, %ebx
    jne 2f
    out %ax, %dx
    jmp next
2:  out %eax, %dx
    jmp next

do_in:
    xor %eax, %eax
    cmp $1, %ebx
    jne 1f
    in %dx, %al
    jmp check
1:  cmp $2, %ebx
    jne 2f
    in %dx, %ax
    jmp check
2:  in %dx, %eax
    jmp check

do_write:                           /* paging is off: linear = physical */
    mov %edi, %eax
    cmp $1, %ebx
    jne 1f
    movb %al, (%edx)
    jmp next
1:  cmp $2, %ebx
    jne 2f
    movw %ax, (%edx)
    jmp next
2:  movl %eax, (%edx)
    jmp next

do_read:
    xor %eax, %eax
    cmp $1, %ebx
    jne 1f
    movb (%edx), %al
    jmp check
1:  cmp $2, %ebx
    jne 2f
    movw (%edx), %ax
    jmp check
2:  movl (%edx), %eax

check:
    cmp %edi, %eax
    je next
    mov %eax, %edi                  /* what came back */
    mov $msg_bad, %esi
    call puts
    call puthex                     /* EDI */
    mov $msg_nl, %esi
    call puts
    mov %ebp, %eax                  /* the entry's number */
    cmp $127, %eax
    jbe exit
    mov $127, %eax
    jmp exit

done:
    mov $msg_ok, %esi
    call puts
    xor %eax, %eax
exit:
    inc %al                         /* the port carries status + 1 (tests/boot) */
    mov $EXIT_PORT, %dx
    out %al, %dx
3:  hlt
    jmp 3b

/* puthex: EDI as 0x and eight hex digits. */
puthex:
    mov $'0', %al
    call putc
    mov $'x', %al
    call putc
    mov $8, %ebx
6:  rol $4, %edi
    mov %edi, %eax
    and $15, %eax
    movb digits(%eax), %al
    call putc
    dec %ebx
    jnz 6b
    ret

    .section .rodata
digits:  .ascii "0123456789abcdef"
msg_ok:  .asciz "board: every access of qtest/map.qt answered as without a CPU\r\n"
msg_bad: .asciz "board: this entry of qtest/map.qt read "
msg_nl:  .asciz "\r\n"
    .balign 4
table:
#include "board-table.S"

    .bss
    .balign 16
    .skip 4096
stack_top:

    .section .note.GNU-stack, "", @progbits
