/* arch.h - x64 definitions the portable kernel and the x64 files share:
   the interrupt vector plan and small instruction wrappers. */
#ifndef BREADBOARD_X64_ARCH_H
#define BREADBOARD_X64_ARCH_H

#include <stdbool.h>
#include <stdint.h>

/* Every wrapper below clobbers "memory": without it GCC may move a volatile
   asm across volatile MMIO accesses once inlined, and an x2APIC EOI (an MSR
   write) that overtook the IOAPIC mask it must follow would re-deliver a
   level interrupt. */

/* Vector plan. 0-31 are CPU exceptions (SDM vol. 3, table 6-1). The 8259
   pair is remapped to 0x20-0x2f, where only its spurious IRQ7/IRQ15 should
   ever arrive (every PIC line stays masked). Device interrupt n (the GSI
   for IOAPIC lines) uses vector 0x30 + n. */
#define VEC_PIC_BASE      0x20
#define VEC_IRQ_BASE      0x30
#define VEC_SPURIOUS      0xff     /* LAPIC spurious-interrupt vector */
#define PLATFORM_IRQ_MAX  0xcf     /* irq numbers 0..0xce: vectors 0x30..0xfe */
#define PLATFORM_SOFT_IRQ 0xb0     /* vector 0xe0: self-IPI, no device */
#define PLATFORM_TIMER_IRQ 0xbf    /* vector 0xef: the LAPIC timer */
/* MSIs (platform_msi_alloc) get irq numbers 0x40..0xaf, vectors 0x70..0xdf:
   above every GSI two 24-pin IOAPICs could bring (QEMU's microvm has a
   second one from GSI 24), below the soft and timer irqs. */
#define X64_MSI_IRQ_FIRST 0x40
#define X64_MSI_IRQ_END   PLATFORM_SOFT_IRQ
/* COM1 is ISA IRQ4 (UART16550_PC_COM1_IRQ); its irq number is the GSI the
   MADT routes it to (pin 4 on PCs, but the firmware decides), or 4 itself
   with the 8259 pair. console.c, which owns the UART; valid after
   platform_init(), any context. */
unsigned x64_console_irq(void);
#define PLATFORM_CONSOLE_IRQ x64_console_irq()

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

/* Byte port I/O in the shape the chips' drivers take as their access
   hooks (pit8254_drv, rtc_cmos_drv, i8042_drv: `in`, `out`, ctx unused). */
static inline uint8_t x64_port_in(void *ctx, uint16_t port)
{
    (void)ctx;
    return inb(port);
}

static inline void x64_port_out(void *ctx, uint16_t port, uint8_t v)
{
    (void)ctx;
    outb(port, v);
}

/* A 16550's registers in port space, in the shape of uart16550_drv's
   hooks: `ctx` is the UART's base port (e.g. 0x3f8 for COM1). */
static inline uint8_t x64_uart_read(void *ctx, unsigned reg)
{
    return inb((uint16_t)((uintptr_t)ctx + reg));
}

static inline void x64_uart_write(void *ctx, unsigned reg, uint8_t v)
{
    outb((uint16_t)((uintptr_t)ctx + reg), v);
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

struct cpuid { uint32_t a, b, c, d; };

static inline struct cpuid cpuid(uint32_t leaf, uint32_t sub)
{
    struct cpuid r;
    __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
    return r;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

/* The register frame trap.S builds: general registers pushed by the entry code,
   then vector and error code, then what the CPU pushed (SDM vol. 3, 6.14). */
struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

/* boot.S: the kernel's stack is X64_STACK_SIZE bytes right above the
   guard, a page mapped not present, so that an overflow faults on it
   (platform.c's fault report says so). The double fault, the page fault,
   NMI and the machine check run on their own stacks (the TSS's IST
   slots below, set up by boot.S; platform.c's IDT names them). */
extern char x64_stack_guard[];
#define X64_STACK_GUARD_SIZE 4096u
#define X64_STACK_SIZE 16384u
#define X64_IST_DF  1
#define X64_IST_PF  2
#define X64_IST_NMI 3
#define X64_IST_MC  4

/* lapic.c */
void lapic_init(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_self_ipi(uint8_t vector);
void lapic_timer_init(uint8_t vector);
void lapic_timer_arm(uint64_t deadline_ns);
uint64_t tsc_to_ns(uint64_t tsc);

/* platform.c: make IOAPIC input `gsi` level-triggered (true) or edge
   (false), keeping its mask and polarity. ISA lines are edge by default,
   unless a MADT override says otherwise; PCI lines and the level test use
   this. False if there is no such pin. */
bool x64_irq_set_level(unsigned gsi, bool level);

/* platform.c: make IOAPIC input `gsi` active low or high and level- or
   edge-triggered, keeping its mask. False if there is no such pin. */
bool x64_irq_set_mode(unsigned gsi, bool active_low, bool level);

/* platform.c: how IOAPIC input `gsi` is programmed, read back from the
   IOAPIC's redirection entry. False if there is no such pin. */
bool x64_irq_mode(unsigned gsi, bool *active_low, bool *level);

/* platform.c: the irq number (GSI) of ISA IRQ `isa_irq`: the MADT's
   override if there is one (IRQ0, the PIT, is GSI 2 on a PC), else the
   same number. With the 8259 pair in charge, the ISA IRQ itself. Valid
   after platform_init(); any context. */
unsigned x64_isa_gsi(unsigned isa_irq);

/* platform.c: the same GSI, and the polarity and trigger mode the MADT's
   override gives it (ISA's own without one: active high, edge). */
unsigned x64_isa_irq_mode(unsigned isa_irq, bool *active_low, bool *level);

/* platform.c: whether physical range [base, base + size) overlaps the
   interrupt controllers' registers: the IOAPIC's page, or the 1 MiB at
   0xFEE00000 where the LAPIC sits and MSIs are decoded (SDM vol. 3,
   11.11.1). No device window may lie there. */
bool x64_phys_is_irqchip(uint64_t base, uint64_t size);

/* platform.c: the command line platform_init() was given ("" if none);
   buses.c reads its virtio_mmio.device= words. */
extern const char *x64_cmdline;

/* platform.c: what the FADT says (PM timer port and width, SCI, PM1
   blocks; struct fadt_info in acpi.h), or NULL without a valid FADT.
   Valid after platform_init(). */
struct fadt_info;
const struct fadt_info *x64_fadt(void);

/* power.c: switch the machine off through ACPI: the DSDT's \_S5 SLP_TYP,
   then SLP_EN, written to the FADT's PM1a_CNT (prints what it writes). */
void x64_poweroff(void);
/* power.c: reset the machine: the FADT's reset register if it has one,
   then the chipset's reset control register at port 0xCF9.
   Both: valid after platform_init(); they do not return while the machine
   obeys. If it is still running 100 ms after the last request, they print
   "power: still running after ..." and return, irqs as on entry. Not
   ISR-safe (they print). */
void x64_reset(void);

/* Which controller carries device interrupts: the IOAPIC (the default), or
   the 8259 pair alone, its output reaching the CPU as ExtINT through the
   LAPIC's LINT0 (virtual wire mode). Set before kernel_init(). */
enum { X64_IRQCHIP_IOAPIC, X64_IRQCHIP_PIC };
extern int x64_irqchip;
void lapic_lint0_extint(void);

/* kbd.c: the PS/2 keyboard and mouse on the i8042 (hdr/i8042.h). */
struct x64_kbd_hooks {
    /* A key went down or up: its HID usage (page 7), and for a press the
       character a US keyboard types with it, Shift applied, else 0. */
    void (*key)(void *ctx, uint8_t usage, bool pressed, char c);
    /* One mouse packet: right and up are positive; I8042_PKT_* buttons. */
    void (*mouse)(void *ctx, int dx, int dy, unsigned buttons);
    void *ctx;                /* passed to both; either hook may be NULL */
};

struct x64_kbd_info {
    int probe;                /* i8042_drv_init(): 1 mouse port, 0 none, < 0 no controller */
    uint8_t ctr;              /* the command byte the kernel runs with */
    uint8_t set;              /* the set the keyboard says it sends (2), 0 if no answer */
    bool translated;          /* the controller translates: set 1 is decoded */
    bool mouse;               /* the mouse acknowledged reporting on */
    uint8_t mouse_id;         /* its ID: 0, 3 or 4 (the packet format) */
    unsigned kbd_irq, aux_irq; /* the irq numbers (GSIs) of ISA IRQ 1 and 12 */
};

struct x64_kbd_stats {
    uint32_t irqs;            /* handler calls, both lines */
    uint32_t rearms;          /* calls that left bytes and raised their line again */
    uint32_t kbd_bytes, aux_bytes;
    uint32_t keys;            /* key events decoded (presses and releases) */
    uint32_t packets;         /* mouse packets assembled */
    uint32_t overruns;        /* the keyboard's overrun code: keys it lost */
};

/* Set up the controller (Linux's probe order), the keyboard in scan code
   set 2, translated by the controller (`raw` false, as PC firmware leaves
   it) or not, the mouse's reporting if the mouse port works, and take IRQ
   1 and 12; then `*h`'s hooks run from the loop for every key and packet.
   True if the keyboard is ready; `*info` (if not NULL) says what was
   found, also when it is not. Once, after kernel_init(), before the loop
   runs: the device commands poll, with interrupts off. Not ISR-safe. */
bool x64_kbd_init(bool raw, const struct x64_kbd_hooks *h, struct x64_kbd_info *info);
/* The counters since x64_kbd_init(). Any context. */
const struct x64_kbd_stats *x64_kbd_stats(void);
/* Reset the machine through the keyboard controller (command 0xFE); returns
   only if it is still running 100 ms later. */
void x64_kbd_reboot(void);

/* console.c: COM1, the console (book/uart16550.md, "The kernel's console").
   kprintf polls until x64_console_start(), and always with interrupts off
   (ISRs, faults, exit); once started, with interrupts on it queues into a
   ring that COM1's THRE interrupt empties, up to 16 bytes at a time, and
   polls when the ring is full. Input is read with x64_console_read(). */
struct x64_console_stats {
    uint32_t irqs;            /* handler calls; each serves IIR's sources until none: */
    uint32_t rda, cti;        /* receive: FIFO at the trigger level; character timeout */
    uint32_t thre, rls;       /* transmitter empty; line status (errors) */
    uint32_t rearms;          /* calls that stopped at their bound and raised the irq again */
    uint32_t rx_bytes;        /* taken from the receive FIFO */
    uint32_t rx_stalls;       /* the receive ring was full: ERBFI off until a read */
    uint32_t tx_irq_bytes;    /* sent by the THRE interrupt */
    uint32_t tx_polled;       /* sent by polling: not started, irqs off, or the ring full */
    uint32_t tx_full;         /* writes that found the transmit ring full */
    uint8_t rx_errors;        /* LSR's OE, PE, FE, BI as RLS interrupts reported them */
};

/* A read's result when the console is not running (Linux's -EIO). */
#define X64_CONSOLE_EIO (-5)

/* start.c, first thing: 115200 8N1, FIFOs on with the receive trigger
   `trig` (UART16550_FCR_TRIG_1, _4, _8 or _14), interrupts off. Polled
   output works from here on. */
void x64_console_init(uint8_t trig);
/* Take COM1's irq (PLATFORM_CONSOLE_IRQ) and run the console by interrupt:
   the receive FIFO is cleared (earlier input is no one's), ERBFI and ELSI
   on. False if the controller has no such line. After kernel_init(); not
   in a kernel that registers PLATFORM_CONSOLE_IRQ itself. Not ISR-safe. */
bool x64_console_start(void);
/* Back to polling: IER off, the irq masked, the transmit ring written out,
   a pending read completed with ASYNC_CANCELLED. Not ISR-safe. */
void x64_console_stop(void);
/* Write out the transmit ring by polling and wait (bounded) for the line
   to go idle. Any context, irqs unchanged: platform_exit() calls it. */
void x64_console_flush(void);
/* Read up to `max` (> 0) bytes into `buf`: set up `w` (DEAD) as an item on
   kernel_rt whose backend is COM1's receive interrupt, and submit it. At
   the next RDA or CTI, or at once if bytes are waiting, it completes with
   the count (1..max) and done(w, count) runs from the loop; cancelled
   (async_cancel, x64_console_stop), with ASYNC_CANCELLED; if the console
   stopped before the submit took effect, with X64_CONSOLE_EIO. `buf` is
   the console's until then. One read at a time: false, changing nothing,
   while another is outstanding, if `w` is not DEAD, or the console is not
   started. Thread context. */
struct async_work;
bool x64_console_read(struct async_work *w, uint8_t *buf, unsigned max,
                      void (*done)(struct async_work *w, int result), void *ctx);
/* The counters since boot, and two lines of them, each "TAG: console: ...".
   Any context. */
const struct x64_console_stats *x64_console_stats(void);
void x64_console_print_stats(const char *tag);

/* console.c: the demo kernel's interactive mode (arch/common/kmain.c calls
   it where ARCH_DEMO_INTERACTIVE is defined, after the demo's events).
   Returns at once unless the command line has the word `interactive`;
   then it reads lines from COM1 and the PS/2 keyboard and echoes them,
   prints mouse packets (and every key with `verbose`), resets the machine
   on `reboot` and returns on `quit`. */
#define ARCH_DEMO_INTERACTIVE 1
struct boot_info;
void arch_demo_interactive(const struct boot_info *bi);
#endif
