/* board.S - the KVM board answers as the CPU-less one: a guest that makes,
   with a real CPU under KVM, the accesses of a qtest transcript (by
   default tests/qtest/map.qt, the default board's map, checked by bbvm
   --qtest with no CPU), and compares every value it reads with what that
   transcript expects. The table is made from the transcript at build time
   (qtest_guest.awk), so there is one list of answers for both boards.

   One guest per transcript: -DTABLE='"x-table.S"' names the table (the
   default is "board-table.S"); a table that defines `board_name` (the awk
   does for tests/abuse/) is named in the messages, else qtest/map.qt is.
   The guest-side abuse suite (tests/abuse.sh kvm) builds one per case.

   Run on bbvm only: QEMU's firmware has programmed its chips before a PVH
   kernel starts, so the power-on values are not there to see.
   Exit code (isa-debug-exit): 0 if every read matched, else the number of
   the first entry that did not (and its value is printed).

   An ELF32 PVH kernel, built like ports.S.

   expect: board: every access of qtest/map.qt answered as without a CPU
   expect-status: 0
*/
#include "pvh32.inc"

#define PM_TMR 0x608                /* the ACPI PM timer (vm/board.h) */

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
    mov (%esi), %ebx                /* op: width * 16 + kind, or 5: a wait */
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
    cmp $5, %ecx
    je do_wait
    jmp do_read

/* do_wait: EDI ticks of the ACPI PM timer (port 0x608, 24 bits at
   3.579545 MHz, wrapping), counted from the first read: the transcript's
   clock_step in real time. Bounded: a timer that stops counting ends the
   run with status 126 after 2^31 reads. */
do_wait:
    mov $PM_TMR, %dx
    in %dx, %eax
    and $0xffffff, %eax
    mov %eax, %ebx                  /* the last reading */
    mov $0x80000000, %ecx           /* reads left */
7:  test %edi, %edi
    jz next
    dec %ecx
    jz stuck
    in %dx, %eax
    and $0xffffff, %eax
    push %eax
    sub %ebx, %eax
    and $0xffffff, %eax             /* ticks since the last reading, wrap and all */
    pop %ebx
    cmp %edi, %eax
    jae next
    sub %eax, %edi
    jmp 7b
stuck:
    mov $msg_stuck, %esi
    call puts_name
    mov $126, %eax
    jmp exit

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
    call puts_name
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
    call puts_name
    xor %eax, %eax
exit:
    inc %al                         /* the port carries status + 1 (tests/boot) */
    mov $EXIT_PORT, %dx
    out %al, %dx
3:  hlt
    jmp 3b

/* puts_name: the message at ESI, its `@` replaced by the table's name.
   Clobbers what puts does. */
puts_name:
    lodsb
    test %al, %al
    jz 5f
    cmp $'@', %al
    je 8f
    call putc
    jmp puts_name
8:  push %esi
    mov $board_name, %esi
    test %esi, %esi                 /* weak: 0 if the table has none */
    jnz 9f
    mov $default_name, %esi
9:  call puts
    pop %esi
    jmp puts_name
5:  ret

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
/* Each message starts a line of its own: a transcript may have sent COM1
   bytes with no newline after them, and the verdict is matched at the
   start of a line (abuse.sh). */
digits:  .ascii "0123456789abcdef"
msg_ok:  .asciz "\r\nboard: every access of @ answered as without a CPU\r\n"
msg_bad: .asciz "\r\nboard: this entry of @ read "
msg_stuck: .asciz "\r\nboard: the PM timer stopped counting in @\r\n"
default_name: .asciz "qtest/map.qt"
msg_nl:  .asciz "\r\n"
    .balign 4
    .weak board_name
table:
#ifndef TABLE
#define TABLE "board-table.S"
#endif
#include TABLE

    .bss
    .balign 16
    .skip 4096
stack_top:

    .section .note.GNU-stack, "", @progbits
