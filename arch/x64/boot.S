/* boot.S - x64 entry: from the PVH 32-bit state to long mode and C.

   PVH boot ABI (Xen docs/misc/pvh.pandoc): the loader enters us at the
   address in the XEN_ELFNOTE_PHYS32_ENTRY note, in 32-bit protected mode
   with paging off, flat 4 GiB CS/DS, interrupts off, and EBX holding the
   physical address of struct hvm_start_info. QEMU (-kernel) and our
   monitor (vm/bbvm) both honour it, so one image boots on both. */

#define MSR_EFER      0xc0000080
#define EFER_LME      (1 << 8)
#define EFER_NXE      (1 << 11)
#define CR0_PE        (1 << 0)
#define CR0_WP        (1 << 16)     /* read-only pages bind the kernel too */
#define CR0_PG        (1 << 31)
#define CR4_PAE       (1 << 5)
#define CPUID_EXT_NX  (1 << 20)     /* CPUID 0x80000001 EDX: NX, EFER.NXE */
#define PTE_P         (1 << 0)
#define PTE_W         (1 << 1)
#define PTE_PWT       (1 << 3)
#define PTE_PCD       (1 << 4)
#define PTE_PS        (1 << 7)
#define PTE_NX_HI     (1 << 31)     /* bit 63, in an entry's high dword */
#define SEL_CODE64    0x08
#define SEL_DATA      0x10
#define SEL_TSS       0x18
#define PAGE          4096
#define STACK_SIZE    16384
#define IST_SIZE      4096          /* each; the fault report takes ~1 KiB */

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

//! [x64-page-map]
    /* Identity-map the low 4 GiB: PML4[0] -> PDPT, whose four entries
       point at four page directories of 512 entries each. Every entry is
       a 2 MiB page but the first: the kernel (linked at 1 MiB, ending
       below 2 MiB, linker.ld checks) is mapped by one page table of 4 KiB
       pages, so that the page under its stack can be left out (the guard:
       an overflow faults there instead of running into .data) and its
       text can be read-only. With NX (CPUID says; every 64-bit CPU we
       meet has it) only the text is executable in those 2 MiB. The top
       GiB holds the LAPIC and IOAPIC registers: uncached. */
    xor %ebp, %ebp                  /* the NX bit for data pages, if any */
    mov $0x80000001, %eax           /* a long-mode CPU has this leaf */
    cpuid
    test $CPUID_EXT_NX, %edx
    jz 1f
    mov $PTE_NX_HI, %ebp
1:  mov $pdpt, %eax
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
    add $PAGE, %eax
    inc %ecx
    cmp $4, %ecx
    jne 3b
    mov $(pt + (PTE_P | PTE_W)), %eax
    mov %eax, pd                    /* PD[0]: the 4 KiB pages, below */

    /* The first 2 MiB, page by page (EBX the address): below the kernel
       (the start info, the ACPI tables) and from .data on, writable data;
       text and rodata read-only, and only text executable; the guard not
       present at all. */
    mov $pt, %edi
    xor %ebx, %ebx
4:  lea (PTE_P | PTE_W)(%ebx), %eax
    mov %ebp, %edx
    cmp $__text_start, %ebx
    jb 5f
    cmp $__data_start, %ebx
    jae 5f
    and $~PTE_W, %eax               /* text or rodata */
    cmp $__rodata_start, %ebx
    jae 5f
    xor %edx, %edx                  /* text */
5:  cmp $x64_stack_guard, %ebx
    jne 6f
    xor %eax, %eax                  /* the guard */
    xor %edx, %edx
6:  mov %eax, (%edi)
    mov %edx, 4(%edi)
    add $8, %edi
    add $PAGE, %ebx
    cmp $(512 * PAGE), %ebx
    jne 4b
//! [x64-page-map]

    /* The TSS's descriptor: its base is split over the descriptor's
       fields (SDM vol. 3, 8.2.3), which only code can do for a linked
       address. The limit and type are in place already. */
    mov $tss, %eax
    mov %ax, gdt_tss + 2
    shr $16, %eax
    mov %al, gdt_tss + 4
    mov %ah, gdt_tss + 7

    /* Long mode: PAE, CR3, EFER.LME, then paging on (SDM vol. 3, 10.8.5). */
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    test %ebp, %ebp
    jz 7f
    or $EFER_NXE, %eax              /* NX only where the CPU has it */
7:  wrmsr
    lgdt gdt_desc
    mov %cr0, %eax
    or $(CR0_PE | CR0_WP | CR0_PG), %eax
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
    mov $SEL_TSS, %ax
    ltr %ax                         /* the IST stacks, for platform.c's IDT */
    lea stack_top(%rip), %rsp
    mov %esi, %edi                  /* x64_start(start info), zero-extended */
    call x64_start
4:  cli
    hlt
    jmp 4b

    /* In .data: LTR marks the TSS descriptor busy, a write that the
       read-only rodata would refuse. */
    .section .data
    .balign 8
gdt:
    .quad 0                         /* null */
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff        /* 0x10: data, DPL 0 */
gdt_tss:                            /* 0x18: the TSS, a 16-byte system descriptor */
    .word tss_end - tss - 1         /* limit 15:0 */
    .word 0                         /* base 15:0, filled in above */
    .byte 0                         /* base 23:16, filled in above */
    .byte 0x89                      /* P, DPL 0, type 9: available 64-bit TSS */
    .byte 0                         /* limit 19:16, byte granular */
    .byte 0                         /* base 31:24, filled in above */
    .long 0                         /* base 63:32 */
    .long 0                         /* reserved */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

//! [x64-tss]
    /* The 64-bit TSS (SDM vol. 3, 8.7): no RSP0-2 (we never leave ring
       0), and four of the interrupt stack table's seven stacks, which
       platform.c's IDT gives the double fault, the page fault, NMI and
       the machine check. An
       exception through an IST gate starts on that stack whatever RSP
       was, so a page fault on the guard is reported instead of pushing
       its frame onto the guard (a double fault, then a triple fault: a
       silent reset). No I/O bitmap: its offset is the TSS's size. */
    .balign 16
tss:
    .long 0
    .quad 0, 0, 0                   /* RSP0-2 */
    .quad 0
    .quad ist_df + IST_SIZE         /* IST1: #DF */
    .quad ist_pf + IST_SIZE         /* IST2: #PF */
    .quad ist_nmi + IST_SIZE        /* IST3: NMI */
    .quad ist_mc + IST_SIZE         /* IST4: #MC */
    .quad 0, 0, 0                   /* IST5-7 */
    .quad 0
    .word 0
    .word tss_end - tss             /* I/O map base: none */
tss_end:
//! [x64-tss]

    /* The guard page, then the stack, first in .bss (linker.ld puts
       .bss.stack there, ahead of every file's .bss). The stack grows down
       into the guard; past it lies only .data. The page tables and the
       IST stacks come after the stack, above it, where an overflow never
       goes. The guard is never touched once paging is on (the BSS wipe
       above zeroes it before, harmlessly). */
    .section .bss.stack, "aw", @nobits
    .balign PAGE
    .globl x64_stack_guard
x64_stack_guard: .skip PAGE
stack:  .skip STACK_SIZE
stack_top:

    .section .bss
    .balign PAGE
pml4:   .skip PAGE
pdpt:   .skip PAGE
pd:     .skip 4 * PAGE
pt:     .skip PAGE                  /* the first 2 MiB in 4 KiB pages */
ist_df:  .skip IST_SIZE
ist_pf:  .skip IST_SIZE
ist_nmi: .skip IST_SIZE
ist_mc:  .skip IST_SIZE

    .section .note.GNU-stack, "", @progbits   /* no executable stack */
