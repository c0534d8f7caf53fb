/* boot.S - arm64 entry on QEMU `virt`.

   QEMU loads our ELF and jumps to _start with the MMU and caches off. With
   the default machine (no virtualization, no secure world) that is EL1; with
   virtualization=on it is EL2, and we drop to EL1 so the rest of the kernel
   has one exception level to think about. */

    .section .text.boot, "ax"
    .globl _start
_start:
    mrs x19, CurrentEL          /* kept in x19 for arm64_entry_el */
    lsr x19, x19, #2
    cmp x19, #2
    b.ne 1f
    /* EL2 -> EL1: AArch64 at EL1 (HCR_EL2.RW), EL1h with DAIF masked. */
    mov x9, #(1 << 31)
    msr hcr_el2, x9
    /* The virtual counter is the physical one minus CNTVOFF_EL2, whose
       reset value is UNKNOWN: make EL1's view start from the real count. */
    msr cntvoff_el2, xzr
    /* A GICv3 CPU interface (ID_AA64PFR0_EL1.GIC, bits [27:24]) is usable
       from EL1 only if EL2 allows it: ICC_SRE_EL2.Enable (bit 3) and .SRE
       (IHI 0069, ICC_SRE_EL2). Writing it without the interface is UNDEFINED. */
    mrs x9, id_aa64pfr0_el1
    ubfx x9, x9, #24, #4
    cbz x9, 5f
    mov x9, #0x9
    msr icc_sre_el2, x9
    isb
5:
    mov x9, #0x3c5
    msr spsr_el2, x9
    adr x9, 1f
    msr elr_el2, x9
    eret
    /* Run on SP_EL1 (EL1h), where exceptions taken to EL1 put their frames. */
1:  msr spsel, #1
    ldr x9, =stack_top
    mov sp, x9
    ldr x9, =__bss_start
    ldr x10, =__bss_end
2:  cmp x9, x10
    b.hs 3f
    str xzr, [x9], #8
    b 2b
    /* BSS is zero now: x19 (the entry level) survived in a register. */
3:  ldr x9, =arm64_entry_el
    str w19, [x9]
    bl arm64_start
4:  wfi
    b 4b

    .section .bss
    .balign 16
stack:  .skip 16384
stack_top:

    .section .note.GNU-stack, "", %progbits
