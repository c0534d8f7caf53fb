/* platform.c - the x64 side of arch/common/platform.h: the IDT, the trap
   dispatcher, the 8259 pair (remapped and masked: the LAPIC and IOAPIC do
   the work), IOAPIC routing of device lines (ISA ones through the MADT's
   overrides), MSI numbers and messages, and the atomic wait. Finding the
   buses (PCI, virtio-mmio) is buses.c's. */
#include "../common/platform.h"
#include "acpi.h"
#include "arch.h"
#include "irq.h"
#define PIC8259_IMPLEMENTATION
#define PIC8259_STATIC
#include "pic8259.h"

#define IOAPIC_IMPLEMENTATION
#define IOAPIC_STATIC
#include "ioapic.h"

#define RTC_CMOS_IMPLEMENTATION
#define RTC_CMOS_STATIC
#include "rtc_cmos.h"

static struct irq_table *irqs;
int x64_irqchip = X64_IRQCHIP_IOAPIC;
static uint32_t ioapic_base = IOAPIC_PC_BASE; /* if there is no MADT */
static struct madt_info madt;
static struct fadt_info fadt;
static bool have_fadt;
static unsigned ioapic_pins;       /* 0: no IOAPIC answered */
static uint32_t level_pins;        /* GSIs programmed level-triggered */
static uint32_t low_pins;          /* GSIs programmed active low */
static unsigned msi_next = X64_MSI_IRQ_FIRST; /* the next MSI irq to hand out */
const char *x64_cmdline = "";

/* --- IDT --------------------------------------------------------------- */

struct idt_gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, zero;
};

static struct idt_gate idt[256] __attribute__((aligned(16)));
extern const char trap_entries[];

/* Every vector gets an interrupt gate (type 0xe: IF cleared on entry, so
   ISRs run with interrupts off), DPL 0, kernel code selector 0x08. The
   double fault, the page fault, NMI and the machine check switch to a
   stack of their own (boot.S's TSS): those are the ones that arrive when
   the kernel's stack may be the problem (a page fault on the guard, below
   it) or at any instruction. Every other vector runs on the stack it
   interrupts. */
//! [x64-ist]
static const uint8_t ist_of[][2] = {
    { 2, X64_IST_NMI }, { 8, X64_IST_DF }, { 14, X64_IST_PF }, { 18, X64_IST_MC },
};
//! [x64-ist]

static void idt_init(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) desc;

    for (int v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(uintptr_t)(trap_entries + 16 * v);
        idt[v].off0 = (uint16_t)a;
        idt[v].sel = 0x08;
        idt[v].ist = 0;
        idt[v].type = 0x8e;
        idt[v].off1 = (uint16_t)(a >> 16);
        idt[v].off2 = (uint32_t)(a >> 32);
        idt[v].zero = 0;
    }
    for (unsigned i = 0; i < sizeof ist_of / sizeof ist_of[0]; i++)
        idt[ist_of[i][0]].ist = ist_of[i][1];
    desc.limit = sizeof idt - 1;
    desc.base = (uint64_t)(uintptr_t)idt;
    __asm__ volatile("lidt %0" : : "m"(desc));
}

/* --- 8259 pair ----------------------------------------------------------- */

/* A PC decodes each chip's A0 as the low bit of its port. */
static uint16_t pic_port(unsigned chip, unsigned a0)
{
    return (uint16_t)((chip ? PIC8259_PC_SLAVE_PORT : PIC8259_PC_MASTER_PORT) + a0);
}

static uint8_t pic_read(void *ctx, unsigned chip, unsigned a0)
{
    (void)ctx;
    return inb(pic_port(chip, a0));
}

static void pic_write(void *ctx, unsigned chip, unsigned a0, uint8_t v)
{
    (void)ctx;
    outb(pic_port(chip, a0), v);
}

static pic8259_drv pic = { pic_read, pic_write, 0 };

/* Vectors 0x20-0x2f. With the IOAPIC in charge every PIC line is masked and
   only a spurious IRQ7/IRQ15 can arrive. With the PIC in charge, a real one
   is ended at the PIC (an ExtINT needs no LAPIC EOI: the LAPIC never put it
   in service) and recorded; its edge line stays quiet until it rises again. */
static void pic_irq(unsigned vector)
{
    unsigned irq = vector - VEC_PIC_BASE;

    if (pic8259_drv_is_spurious(&pic, irq)) {
        irq_spurious(irqs);
        return;
    }
    pic8259_drv_eoi(&pic, irq);
    if (x64_irqchip == X64_IRQCHIP_PIC)
        irq_raise(irqs, irq);
    else
        irq_spurious(irqs);             /* a line we never unmasked */
}

/* --- IOAPIC ------------------------------------------------------------- */

/* The driver of hdr/ioapic.h, its hooks one 32-bit MMIO access each at an
   offset from the base the MADT gave. */
static uint32_t ioapic_mmio_read(void *ctx, unsigned offset)
{
    (void)ctx;
    return mmio_read32(ioapic_base + offset);
}

static void ioapic_mmio_write(void *ctx, unsigned offset, uint32_t v)
{
    (void)ctx;
    mmio_write32(ioapic_base + offset, v);
}

static ioapic_drv ioapic = { ioapic_mmio_read, ioapic_mmio_write, 0 };

/* Every register is IOREGSEL then IOWIN, two accesses, and both thread
   code (unmask after a deferred handler) and ISRs (masking a level pin)
   call the driver: an ISR between the two would send the thread's value
   to its own register. So each driver call below runs with interrupts
   off, restoring the caller's state after. */
static uint64_t irq_save(void)
{
    uint64_t flags;

    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static void irq_restore(uint64_t flags)
{
    if (flags & (1u << 9))          /* RFLAGS.IF */
        __asm__ volatile("sti" : : : "memory");
}

/* The low dword of pin `gsi`'s entry: vector, mode, polarity and mask. */
static uint32_t ioapic_entry_lo(unsigned gsi)
{
    uint64_t flags = irq_save();
    uint32_t lo = ioapic_drv_read_reg(&ioapic, (uint8_t)IOAPIC_REDTBL_LO(gsi));

    irq_restore(flags);
    return lo;
}

//! [x64-override-modes]
/* ISA lines are edge-triggered and active high unless the MADT overrides
   one; the override then gives the mode of the GSI it targets (a PC's SCI,
   IRQ9: level, active high). Other GSIs keep the ISA default until
   x64_irq_set_level() says otherwise. */
static void override_modes(void)
{
    for (unsigned i = 0; i < madt.n_overrides; i++) {
        const struct madt_override *o = &madt.overrides[i];

        if (o->gsi >= 32)
            continue;
        if (o->level)
            level_pins |= 1u << o->gsi;
        if (o->active_low)
            low_pins |= 1u << o->gsi;
    }
}
//! [x64-override-modes]

static void ioapic_route(unsigned gsi, bool masked);

/* Find the IOAPIC and mask every pin, each in its MADT mode. An absent one
   reads all-ones. The FADT is read here too, so the boot log shows what
   ACPI says about the machine in one place. */
static void ioapic_init(void)
{
    unsigned pins, version;
    uint64_t flags;

    if (acpi_find_madt(x64_rsdp_paddr, &madt)) {
        ioapic_base = madt.ioapic_paddr;
        override_modes();
    }
    have_fadt = acpi_find_fadt(x64_rsdp_paddr, &fadt);
    flags = irq_save();
    pins = ioapic_drv_pins(&ioapic);            /* 0: the register read all-ones */
    version = ioapic_drv_version(&ioapic);
    irq_restore(flags);

    if (pins == 0) {
        kprintf("ioapic: none at 0x%x\n", ioapic_base);
        return;
    }
    /* Chipset IOAPICs can have 120 pins; we use the first 32 (level_pins is
       one word, and their vectors stay below the soft and timer vectors). */
    ioapic_pins = pins > 32 ? 32 : pins;
    for (unsigned i = 0; i < ioapic_pins; i++)
        ioapic_route(i, true);
    kprintf("ioapic: version 0x%x, %u pins at 0x%x\n", version, ioapic_pins, ioapic_base);
}

//! [x64-ioapic-route]
/* Program pin `gsi` in its mode (level_pins, low_pins: the MADT's
   overrides, then x64_irq_set_level()). Destination: this CPU's APIC, in
   physical mode (82093AA: bits 63:56 of the entry). */
static void ioapic_route(unsigned gsi, bool masked)
{
    unsigned mode = masked ? IOAPIC_ROUTE_MASKED : 0;
    uint64_t rte, flags;

    if (level_pins & (1u << gsi))
        mode |= IOAPIC_ROUTE_LEVEL;
    if (low_pins & (1u << gsi))
        mode |= IOAPIC_ROUTE_ACTIVE_LOW;
    rte = ioapic_route_entry((uint8_t)(VEC_IRQ_BASE + gsi), (uint8_t)lapic_id(), mode);
    /* A plain write of both dwords, no read: every caller has checked
       gsi < ioapic_pins already. */
    flags = irq_save();
    ioapic_drv_write_entry(&ioapic, gsi, rte);
    irq_restore(flags);
}
//! [x64-ioapic-route]

bool x64_irq_set_mode(unsigned gsi, bool active_low, bool level)
{
    bool masked;

    if (gsi >= ioapic_pins)
        return false;
    masked = (ioapic_entry_lo(gsi) & IOAPIC_RTE_MASK) != 0;
    if (level)
        level_pins |= 1u << gsi;
    else
        level_pins &= ~(1u << gsi);
    if (active_low)
        low_pins |= 1u << gsi;
    else
        low_pins &= ~(1u << gsi);
    ioapic_route(gsi, masked);
    return true;
}

bool x64_irq_set_level(unsigned gsi, bool level)
{
    if (gsi >= ioapic_pins)
        return false;
    return x64_irq_set_mode(gsi, (low_pins & (1u << gsi)) != 0, level);
}

bool x64_irq_mode(unsigned gsi, bool *active_low, bool *level)
{
    uint32_t lo;

    if (gsi >= ioapic_pins)
        return false;
    lo = ioapic_entry_lo(gsi);
    *active_low = (lo & IOAPIC_RTE_INTPOL) != 0;
    *level = (lo & IOAPIC_RTE_TRIGGER) != 0;
    return true;
}

/* With the 8259 pair in charge, ISA IRQ n is its input n: no overrides. */
unsigned x64_isa_irq_mode(unsigned isa_irq, bool *active_low, bool *level)
{
    if (x64_irqchip == X64_IRQCHIP_PIC || isa_irq >= 16) {
        *active_low = *level = false;
        return isa_irq;
    }
    return madt_isa_gsi(&madt, isa_irq, active_low, level);
}

unsigned x64_isa_gsi(unsigned isa_irq)
{
    bool low, level;

    return x64_isa_irq_mode(isa_irq, &low, &level);
}

/* The IOAPIC's registers take 0x40 bytes (82093AA: IOREGSEL, IOWIN; the
   EOI register of version 0x20 at 0x40); a page is what it decodes. */
bool x64_phys_is_irqchip(uint64_t base, uint64_t size)
{
    const uint64_t irq_range = 0xfee00000u, irq_range_end = 0xfef00000u;
    uint64_t end = base + size;

    if (end < base)
        return true;                /* wraps: overlaps everything */
    return (base < irq_range_end && end > irq_range) ||
           (base < (uint64_t)ioapic_base + 0x1000u && end > ioapic_base);
}

const struct fadt_info *x64_fadt(void)
{
    return have_fadt ? &fadt : 0;
}

/* --- traps --------------------------------------------------------------- */

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
    "reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
    "reserved 27", "#HV hypervisor injection", "#VC VMM communication",
    "#SX security", "reserved 31",
};

static uint64_t read_cr(int n)
{
    uint64_t v = 0;

    switch (n) {
    case 0: __asm__ volatile("mov %%cr0, %0" : "=r"(v)); break;
    case 2: __asm__ volatile("mov %%cr2, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("mov %%cr3, %0" : "=r"(v)); break;
    case 4: __asm__ volatile("mov %%cr4, %0" : "=r"(v)); break;
    }
    return v;
}

/* Whether `a` lies in the page under the kernel's stack (boot.S). */
static bool in_stack_guard(uint64_t a)
{
    uint64_t guard = (uint64_t)(uintptr_t)x64_stack_guard;

    return a >= guard && a - guard < X64_STACK_GUARD_SIZE;
}

/* A page fault on the guard is the kernel's stack overflowing: say so
   before the register report. It arrives on its own stack (IST), so the
   report has room. A double fault has one too; the SDM leaves its saved
   RIP undefined, but an RSP at or inside the guard still tells. */
static void stack_overflow_check(const struct trapframe *f, uint64_t cr2)
{
    uint64_t guard = (uint64_t)(uintptr_t)x64_stack_guard;
    bool hit = (f->vector == 14 && in_stack_guard(cr2)) ||
               (f->vector == 8 && (in_stack_guard(f->rsp) ||
                                   f->rsp == guard + X64_STACK_GUARD_SIZE));

    if (hit)
        kprintf("FAULT: kernel stack overflow: guard page %p hit at rip %p\n",
                (void *)(uintptr_t)guard, (void *)(uintptr_t)f->rip);
    if (f->vector == 8)
        kprintf("FAULT: double fault (a fault while delivering another), on its own stack\n");
}

static _Noreturn void fault(const struct trapframe *f)
{
    const struct fault_reg regs[] = {
        { "rax", f->rax }, { "rbx", f->rbx }, { "rcx", f->rcx },
        { "rdx", f->rdx }, { "rsi", f->rsi }, { "rdi", f->rdi },
        { "rbp", f->rbp }, { "rsp", f->rsp }, { "r8", f->r8 },
        { "r9", f->r9 }, { "r10", f->r10 }, { "r11", f->r11 },
        { "r12", f->r12 }, { "r13", f->r13 }, { "r14", f->r14 },
        { "r15", f->r15 }, { "rip", f->rip }, { "rflags", f->rflags },
        { "cs", f->cs }, { "ss", f->ss }, { "error", f->error },
        { "cr0", read_cr(0) }, { "cr2", read_cr(2) }, { "cr3", read_cr(3) },
        { "cr4", read_cr(4) }, { "vector", f->vector },
    };

    stack_overflow_check(f, read_cr(2));
    kernel_fault(exception_names[f->vector & 31], f->rip,
                 f->vector == 14 ? read_cr(2) : 0, regs, sizeof regs / sizeof regs[0]);
}

//! [x64-device-irq]
/* Device or software interrupt: record it, quiet a level line until the
   deferred handler has run, and end the interrupt at the LAPIC. An MSI
   (an irq above every pin) is an edge: nothing to quiet. */
static void device_irq(unsigned irq)
{
    if (irq < ioapic_pins && (level_pins & (1u << irq)))
        ioapic_route(irq, true);
    irq_raise(irqs, irq);
    lapic_eoi();
}
//! [x64-device-irq]

void x64_trap(struct trapframe *f)
{
    unsigned v = (unsigned)f->vector;

    if (v < 32)
        fault(f);
    if (v >= VEC_PIC_BASE && v < VEC_IRQ_BASE)
        pic_irq(v);
    else if (v == VEC_SPURIOUS)
        irq_spurious(irqs);          /* no EOI for the spurious vector */
    else
        device_irq(v - VEC_IRQ_BASE);
}

/* --- the CMOS clock ------------------------------------------------------ */

//! [x64-rtc]
/* The wall clock, as a PC keeps it: the CMOS RTC, read the way
   hdr/rtc_cmos.h's driver does (UIP waited out, two equal reads), in the
   format register B says. A machine without one answers 0xff everywhere,
   so UIP never reads clear, and the driver's bound ends the wait. */
static void rtc_print(void)
{
    const rtc_cmos_drv rtc = { x64_port_in, x64_port_out, 0 };
    rtc_cmos_time t;

    if (rtc_cmos_drv_read_time(&rtc, &t, 100000))
        kprintf("rtc: %04u-%02u-%02u %02u:%02u:%02u UTC\n", t.year, t.month, t.day, t.hour,
                t.minute, t.second);
    else
        kprintf("rtc: no consistent time from the CMOS clock\n");
}
//! [x64-rtc]

/* --- the contract ------------------------------------------------------ */

void platform_init(const struct boot_info *bi, struct irq_table *table)
{
    if (bi && bi->cmdline)
        x64_cmdline = bi->cmdline;
    irqs = table;
    idt_init();
    pic8259_drv_remap(&pic, VEC_PIC_BASE, VEC_PIC_BASE + 8); /* all masked */
    lapic_init();
    ioapic_init();
    if (x64_irqchip == X64_IRQCHIP_PIC) {
        pic8259_drv_unmask(&pic, 2);                      /* the cascade */
        lapic_lint0_extint();
        kprintf("irqchip: 8259 pair through LINT0 (ExtINT)\n");
    }
    lapic_timer_init(VEC_IRQ_BASE + PLATFORM_TIMER_IRQ);
    rtc_print();
}

uint64_t platform_now(void)
{
    return tsc_to_ns(rdtsc());
}

//! [x64-wfi]
uint64_t platform_wfi(uint64_t deadline)
{
    lapic_timer_arm(deadline);
    /* STI enables interrupts only after the next instruction, so no
       interrupt can slip in between it and HLT: one that is already
       pending ends the HLT at once (SDM vol. 2, STI). */
    __asm__ volatile("sti; hlt" : : : "memory");
    return platform_now();
}
//! [x64-wfi]

void platform_irq_off(void)
{
    __asm__ volatile("cli" : : : "memory");
}

void platform_irq_on(void)
{
    __asm__ volatile("sti" : : : "memory");
}

/* An MSI handed out: the device's own mask bits are its driver's. */
static bool is_msi(unsigned irq)
{
    return irq >= X64_MSI_IRQ_FIRST && irq < msi_next;
}

bool platform_irq_unmask(unsigned irq)
{
    if (irq == PLATFORM_SOFT_IRQ || irq == PLATFORM_TIMER_IRQ || is_msi(irq))
        return true;                 /* LAPIC-sourced: nothing to unmask */
    if (x64_irqchip == X64_IRQCHIP_PIC) {
        if (irq >= 16)
            return false;
        pic8259_drv_unmask(&pic, irq);
        return true;
    }
    if (irq >= ioapic_pins)
        return false;
    ioapic_route(irq, false);
    return true;
}

bool platform_irq_mask(unsigned irq)
{
    if (is_msi(irq))
        return true;                 /* an edge: nothing to hold off */
    if (irq == PLATFORM_SOFT_IRQ || irq == PLATFORM_TIMER_IRQ)
        return false;                /* LAPIC-sourced: no mask at the IOAPIC */
    if (x64_irqchip == X64_IRQCHIP_PIC) {
        if (irq >= 16)
            return false;
        pic8259_drv_mask(&pic, irq);
        return true;
    }
    if (irq >= ioapic_pins)
        return false;
    ioapic_route(irq, true);
    return true;
}

bool platform_irq_trigger(unsigned irq)
{
    if (irq >= PLATFORM_IRQ_MAX)
        return false;
    lapic_self_ipi((uint8_t)(VEC_IRQ_BASE + irq));
    return true;
}

//! [x64-msi]
/* An MSI is a memory write the LAPIC decodes (SDM vol. 3, 11.11): the
   address names the destination, 0xFEE in bits 31:20 and the APIC ID in
   bits 19:12 (physical destination mode, no redirection hint); the data
   is the vector in bits 7:0 with delivery mode fixed (000 in bits 10:8)
   and edge-triggered (bit 15 clear). Numbers are never given back: a
   kernel sets up its devices once. An APIC ID above 255 does not fit the
   8-bit field without interrupt remapping. */
bool platform_msi_alloc(unsigned *irq, uint64_t *address, uint32_t *data)
{
    uint32_t id = lapic_id();

    if (!irq || !address || !data || msi_next >= X64_MSI_IRQ_END || id > 0xff)
        return false;
    *irq = msi_next++;
    *address = 0xfee00000u | id << 12;
    *data = VEC_IRQ_BASE + *irq;
    return true;
}
//! [x64-msi]
