/* boot.S - x64 entry: from the PVH 32-bit state to long mode and C.

   PVH boot ABI (Xen docs/misc/pvh.pandoc): the loader enters us at the
   address in the XEN_ELFNOTE_PHYS32_ENTRY note, in 32-bit protected mode
   with paging off, flat 4 GiB CS/DS, interrupts off, and EBX holding the
   physical address of struct hvm_start_info. QEMU (-kernel) and our
   monitor (vm/bbvm) both honour it, so one image boots on both. */

#define MSR_EFER      0xc0000080
#define EFER_LME      (1 << 8)
#define CR0_PE        (1 << 0)
#define CR0_PG        (1 << 31)
#define CR4_PAE       (1 << 5)
#define PTE_P         (1 << 0)
#define PTE_W         (1 << 1)
#define PTE_PWT       (1 << 3)
#define PTE_PCD       (1 << 4)
#define PTE_PS        (1 << 7)
#define SEL_CODE64    0x08
#define SEL_DATA      0x10

/* The note a PVH loader looks for: name "Xen", type 18, the entry point. */
    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 4                 /* namesz: "Xen\0" */
    .long 8                 /* descsz: an address, 64 bits in an ELF64 */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .quad pvh_start
    .balign 4
    .popsection

    .section .text.boot, "ax"
    .code32
    .globl pvh_start
pvh_start:
    cld
    mov %ebx, %esi                  /* keep start info across the BSS wipe */
    /* BSS first: the page tables below live there. */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    /* Identity-map the low 4 GiB with 2 MiB pages: PML4[0] -> PDPT, whose
       four entries point at four page directories of 512 entries each.
       The top GiB holds the LAPIC and IOAPIC registers: uncached. */
    mov $pdpt, %eax
    or $(PTE_P | PTE_W), %eax
    mov %eax, pml4
    mov $pd, %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_P | PTE_W | PTE_PS), %eax
    cmp $(3 * 512), %ecx
    jb 2f
    or $(PTE_PCD | PTE_PWT), %eax
2:  mov %eax, (%edi, %ecx, 8)
    inc %ecx
    cmp $(4 * 512), %ecx
    jne 1b
    mov $pd, %eax
    xor %ecx, %ecx
3:  lea (PTE_P | PTE_W)(%eax), %edx
    mov %edx, pdpt(, %ecx, 8)
    add $4096, %eax
    inc %ecx
    cmp $4, %ecx
    jne 3b

    /* Long mode: PAE, CR3, EFER.LME, then paging on (SDM vol. 3, 10.8.5). */
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    lgdt gdt_desc
    mov %cr0, %eax
    or $(CR0_PE | CR0_PG), %eax
    mov %eax, %cr0
    ljmp $SEL_CODE64, $long_mode

    .code64
long_mode:
    mov $SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    lea stack_top(%rip), %rsp
    mov %esi, %edi                  /* x64_start(start info), zero-extended */
    call x64_start
4:  cli
    hlt
    jmp 4b

    .section .rodata
    .balign 8
gdt:
    .quad 0                         /* null */
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff        /* 0x10: data, DPL 0 */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    /* The stack comes first in .bss, below the page tables: it grows down,
       so an overflow runs into .data rather than silently rewriting the
       page directory that maps the LAPIC and IOAPIC. */
    .section .bss
    .balign 4096
stack:  .skip 16384
stack_top:
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4 * 4096

    .section .note.GNU-stack, "", @progbits   /* no executable stack */
