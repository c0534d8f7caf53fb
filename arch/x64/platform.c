/* platform.c - the x64 side of arch/common/platform.h: the IDT, the trap
   dispatcher, the 8259 pair (remapped and masked: the LAPIC and IOAPIC do
   the work), IOAPIC routing of device lines (ISA ones through the MADT's
   overrides), and the atomic wait. */
#include "../common/platform.h"
#include "acpi.h"
#include "arch.h"
#include "irq.h"
#define PIC8259_IMPLEMENTATION
#define PIC8259_STATIC
#include "pic8259.h"

#define IOAPIC_DEFAULT 0xfec00000u  /* the PC default, if there is no MADT */
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN    0x10
#define IOAPIC_VER    0x01
#define IOAPIC_RTE(n) (0x10 + 2 * (n))
#define RTE_MASKED    (1u << 16)
#define RTE_LEVEL     (1u << 15)
#define RTE_ACTIVE_LOW (1u << 13)

static struct irq_table *irqs;
int x64_irqchip = X64_IRQCHIP_IOAPIC;
static uint32_t ioapic_base = IOAPIC_DEFAULT;
static struct madt_info madt;
static struct fadt_info fadt;
static bool have_fadt;
static unsigned ioapic_pins;       /* 0: no IOAPIC answered */
static uint32_t level_pins;        /* GSIs programmed level-triggered */
static uint32_t low_pins;          /* GSIs programmed active low */

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
   ISRs run with interrupts off), DPL 0, kernel code selector 0x08. */
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
    desc.limit = sizeof idt - 1;
    desc.base = (uint64_t)(uintptr_t)idt;
    __asm__ volatile("lidt %0" : : "m"(desc));
}

/* --- 8259 pair ----------------------------------------------------------- */

static uint8_t pic_read(void *ctx, unsigned chip, unsigned a0)
{
    (void)ctx;
    return inb((uint16_t)PIC8259_PORT(chip, a0));
}

static void pic_write(void *ctx, unsigned chip, unsigned a0, uint8_t v)
{
    (void)ctx;
    outb((uint16_t)PIC8259_PORT(chip, a0), v);
}

static pic8259_drv pic = { pic_read, pic_write, 0 };

/* Vectors 0x20-0x2f. With the IOAPIC in charge every PIC line is masked and
   only a spurious IRQ7/IRQ15 can arrive. With the PIC in charge, a real one
   is ended at the PIC (an ExtINT needs no LAPIC EOI: the LAPIC never put it
   in service) and recorded; its edge line stays quiet until it rises again. */
static void pic_irq(unsigned vector)
{
    unsigned irq = vector - VEC_PIC_BASE;

    if (pic8259_is_spurious(&pic, irq)) {
        irq_spurious(irqs);
        return;
    }
    pic8259_eoi(&pic, irq);
    if (x64_irqchip == X64_IRQCHIP_PIC)
        irq_raise(irqs, irq);
    else
        irq_spurious(irqs);             /* a line we never unmasked */
}

/* --- IOAPIC ------------------------------------------------------------- */

/* IOREGSEL then IOWIN is two accesses, and both thread code (unmask after a
   deferred handler) and ISRs (masking a level pin) use the pair: an ISR
   between the two would send the thread's value to its register. So each
   pair runs with interrupts off, restoring the caller's state after. */
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

static uint32_t ioapic_read(unsigned reg)
{
    uint64_t flags = irq_save();
    uint32_t v;

    mmio_write32(ioapic_base + IOAPIC_REGSEL, reg);
    v = mmio_read32(ioapic_base + IOAPIC_WIN);
    irq_restore(flags);
    return v;
}

static void ioapic_write(unsigned reg, uint32_t v)
{
    uint64_t flags = irq_save();

    mmio_write32(ioapic_base + IOAPIC_REGSEL, reg);
    mmio_write32(ioapic_base + IOAPIC_WIN, v);
    irq_restore(flags);
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
    uint32_t ver;

    if (acpi_find_madt(x64_rsdp_paddr, &madt)) {
        ioapic_base = madt.ioapic_paddr;
        override_modes();
    }
    have_fadt = acpi_find_fadt(x64_rsdp_paddr, &fadt);
    ver = ioapic_read(IOAPIC_VER);

    if (ver == 0xffffffffu) {
        kprintf("ioapic: none at 0x%x\n", ioapic_base);
        return;
    }
    /* Chipset IOAPICs can have 120 pins; we use the first 32 (level_pins is
       one word, and their vectors stay below the soft and timer vectors). */
    ioapic_pins = ((ver >> 16) & 0xff) + 1;
    if (ioapic_pins > 32)
        ioapic_pins = 32;
    for (unsigned i = 0; i < ioapic_pins; i++)
        ioapic_route(i, true);
    kprintf("ioapic: version 0x%x, %u pins at 0x%x\n", ver & 0xff, ioapic_pins, ioapic_base);
}

/* Program pin `gsi` in its mode (level_pins, low_pins: the MADT's
   overrides, then x64_irq_set_level()). Destination: this CPU's APIC, in
   physical mode (82093AA: bits 63:56 of the entry). */
static void ioapic_route(unsigned gsi, bool masked)
{
    uint32_t lo = (VEC_IRQ_BASE + gsi) | (masked ? RTE_MASKED : 0);

    if (level_pins & (1u << gsi))
        lo |= RTE_LEVEL;
    if (low_pins & (1u << gsi))
        lo |= RTE_ACTIVE_LOW;
    ioapic_write(IOAPIC_RTE(gsi) + 1, (lapic_id() & 0xff) << 24);
    ioapic_write(IOAPIC_RTE(gsi), lo);
}

bool x64_irq_set_level(unsigned gsi, bool level)
{
    bool masked;

    if (gsi >= ioapic_pins)
        return false;
    masked = (ioapic_read(IOAPIC_RTE(gsi)) & RTE_MASKED) != 0;
    if (level)
        level_pins |= 1u << gsi;
    else
        level_pins &= ~(1u << gsi);
    ioapic_route(gsi, masked);
    return true;
}

bool x64_irq_mode(unsigned gsi, bool *active_low, bool *level)
{
    uint32_t lo;

    if (gsi >= ioapic_pins)
        return false;
    lo = ioapic_read(IOAPIC_RTE(gsi));
    *active_low = (lo & RTE_ACTIVE_LOW) != 0;
    *level = (lo & RTE_LEVEL) != 0;
    return true;
}

/* With the 8259 pair in charge, ISA IRQ n is its input n: no overrides. */
unsigned x64_isa_gsi(unsigned isa_irq)
{
    bool low, level;

    if (x64_irqchip == X64_IRQCHIP_PIC || isa_irq >= 16)
        return isa_irq;
    return madt_isa_gsi(&madt, isa_irq, &low, &level);
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

    kernel_fault(exception_names[f->vector & 31], f->rip,
                 f->vector == 14 ? read_cr(2) : 0, regs, sizeof regs / sizeof regs[0]);
}

//! [x64-device-irq]
/* Device or software interrupt: record it, quiet a level line until the
   deferred handler has run, and end the interrupt at the LAPIC. */
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

/* --- the contract ------------------------------------------------------ */

void platform_init(const struct boot_info *bi, struct irq_table *table)
{
    (void)bi;
    irqs = table;
    idt_init();
    pic8259_remap(&pic, VEC_PIC_BASE, VEC_PIC_BASE + 8);   /* all masked */
    lapic_init();
    ioapic_init();
    if (x64_irqchip == X64_IRQCHIP_PIC) {
        pic8259_unmask(&pic, 2);                          /* the cascade */
        lapic_lint0_extint();
        kprintf("irqchip: 8259 pair through LINT0 (ExtINT)\n");
    }
    lapic_timer_init(VEC_IRQ_BASE + PLATFORM_TIMER_IRQ);
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

bool platform_irq_unmask(unsigned irq)
{
    if (irq == PLATFORM_SOFT_IRQ || irq == PLATFORM_TIMER_IRQ)
        return true;                 /* LAPIC-sourced: nothing to unmask */
    if (x64_irqchip == X64_IRQCHIP_PIC) {
        if (irq >= 16)
            return false;
        pic8259_unmask(&pic, irq);
        return true;
    }
    if (irq >= ioapic_pins)
        return false;
    ioapic_route(irq, false);
    return true;
}

bool platform_irq_mask(unsigned irq)
{
    if (irq == PLATFORM_SOFT_IRQ || irq == PLATFORM_TIMER_IRQ)
        return false;                /* LAPIC-sourced: no mask at the IOAPIC */
    if (x64_irqchip == X64_IRQCHIP_PIC) {
        if (irq >= 16)
            return false;
        pic8259_mask(&pic, irq);
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
