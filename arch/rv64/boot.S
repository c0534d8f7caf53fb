/* boot.S - rv64 entry in S-mode, from OpenSBI (QEMU -bios default).

   OpenSBI's fw_dynamic jumps to the kernel's entry with a0 = hart id and
   a1 = the device tree's physical address (RISC-V SBI spec, "Booting"),
   in S-mode with paging (satp) off and interrupts disabled. */

    .section .text.boot, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, stack_top
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call rv64_start        /* a0, a1 are still OpenSBI's */
3:  wfi
    j 3b

    .section .bss
    .balign 16
stack:  .skip 16384
stack_top:
