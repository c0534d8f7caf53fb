/* platform.h - the porting contract: what an architecture provides to the
   portable kernel. Everything a new port must write is declared here, in the
   order to write it; book/porting.md walks through it.

   For each function: its preconditions, the interrupt state on entry and on
   exit ("irqs off" means the CPU does not take interrupts: x64 RFLAGS.IF = 0,
   arm64 DAIF.I = 1, arm32 CPSR.I = 1, rv64 sstatus.SIE = 0), and whether
   an ISR may call it.
   The kernel is single-CPU: "atomic" below means atomic against this CPU's
   own interrupt handlers. */
#ifndef BREADBOARD_PLATFORM_H
#define BREADBOARD_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"   /* the arch's own: PLATFORM_IRQ_MAX and friends, below */
#include "kernel.h"

struct irq_table;

/* --- 1. Early boot (assembly, arch/<arch>/boot.S) ----------------------
   Set up a stack, zero BSS, and call the arch's C entry with interrupts off,
   which brings up the console and calls kmain(). No function here is called
   before that. Where the CPU has a stack pointer per mode (AArch32: Abort,
   Undefined, IRQ, FIQ), every mode that takes an exception gets a stack
   here too: nothing else sets them. The compiler flags come first
   (book/porting.md, step 0): no FP/SIMD registers, and on Arm no
   unaligned accesses, since with the MMU off they fault. */

/* --- 2. Console and exit: platform_putc(), platform_exit() in kernel.h.
   Both work from any context, ISRs and fault handlers included, with irqs
   in any state, and before platform_init(). platform_exit()'s status must
   reach whoever started the kernel whole: on arm32 that takes semihosting's
   SYS_EXIT_EXTENDED, since A32's SYS_EXIT carries no status. */

/* --- 3. Initialisation ------------------------------------------------- */

/* Install the exception and interrupt vectors, bring up the interrupt
   controller with every device line masked, find the timer's frequency and
   print it with how it was found ("timer: ... Hz from ..."), and remember
   `irqs`: ISRs record device events there with irq_raise().
   Pre: console up; called once, from kmain. Irqs: off on entry, STILL OFF
   on exit: a port must not enable interrupts here. They are first enabled
   by platform_wfi(), from the event loop. Not ISR-safe. */
void platform_init(const struct boot_info *bi, struct irq_table *irqs);

/* --- 4. Time ------------------------------------------------------------ */

/* Nanoseconds since platform_init() found the timer: monotonic, never
   going backwards. Irqs: any, unchanged. ISR-safe. */
uint64_t platform_now(void);

/* The event loop's wait. Program the one hardware one-shot for `deadline`
   (a platform_now() value; PLATFORM_NEVER for none; a deadline already
   past fires at once), then enable interrupts and wait for one *atomically*:
   an interrupt that became pending after the caller last looked for work
   must end the wait, not be slept through. Interrupts that arrived are
   handled (their ISRs run) before this returns.
   Pre: irqs OFF on entry (so the caller's "is there work?" check and the
   wait cannot be split by an interrupt). Irqs ON on exit. Returns
   platform_now(). May return early (any interrupt wakes it). Not ISR-safe. */
uint64_t platform_wfi(uint64_t deadline);
#define PLATFORM_NEVER UINT64_MAX

/* --- 5. Interrupt control ---------------------------------------------- */

/* Mask or unmask interrupts on this CPU. Irqs: as named on exit. Not to be
   called from an ISR (ISRs run with irqs off and must leave them so). */
void platform_irq_off(void);
void platform_irq_on(void);

/* Unmask (enable) or mask device interrupt `irq` at the controller. `irq`
   is the number the arch's ISRs pass to irq_raise(): the GSI on x64, the
   GIC INTID on arm64 and arm32, the PLIC source on rv64. Returns false for
   a number the controller does not have. Irqs: any, unchanged. Not
   ISR-safe.

   Deferral and level-triggered lines: an ISR records the event and then
   masks a level-triggered source before it ends the interrupt at the
   controller (otherwise the still-asserted line would fire again at once,
   before the deferred handler could quiet the device). The kernel's
   deferred wrapper (arch/common/kernel.c) unmasks it after the handler ran. */
bool platform_irq_unmask(unsigned irq);
bool platform_irq_mask(unsigned irq);

/* Make interrupt `irq` pending through the interrupt controller itself,
   exactly as if a device had raised it: x64 a self-IPI to its vector;
   arm64 and arm32 an SGI (irq < 16) or a write to GICD_ISPENDR; rv64 the
   supervisor software interrupt (only PLATFORM_SOFT_IRQ). Used by the
   tests to drive the full ISR -> deferred -> handler path. Returns false
   if the arch cannot raise that number. Irqs: any, unchanged. ISR-safe. */
bool platform_irq_trigger(unsigned irq);

/* Each arch's arch.h defines three interrupt numbers:
     PLATFORM_IRQ_MAX    one past the largest irq number its ISRs raise;
     PLATFORM_SOFT_IRQ   one that platform_irq_trigger() can always raise
                         and that no device uses;
     PLATFORM_TIMER_IRQ  the one its timer ISR raises when the one-shot
                         fires (the kernel counts them; the wake-up itself
                         is what matters). */

/* --- 5b. A device interrupt to test with ------------------------------
   Every board we run on has a console UART with an interrupt line, so the
   console is the device the tests use to exercise the whole device path
   (the line, IOAPIC / GIC SPI / PLIC routing, the ISR, the deferred
   handler). Each arch's arch.h defines PLATFORM_CONSOLE_IRQ, its number: a
   constant, or an expression valid after platform_init() where firmware
   decides (x64: the GSI the MADT routes ISA IRQ4 to).

   Turn the console's "transmitter empty" interrupt on or off in the UART
   itself (not at the interrupt controller). Turned on while the
   transmitter is idle, the UART asserts its line at once; turning it off
   also acknowledges it, so a handler calls this with false. Irqs: any,
   unchanged. Not ISR-safe. */
void platform_console_irq(bool on);

/* --- 6. Faults ---------------------------------------------------------
   Each arch's trap code reports a CPU exception it does not expect with
   kernel_fault(): the exception's name, the faulting address, and the
   registers, then exits with KERNEL_FAULT_STATUS. The pc is the faulting
   instruction's: where the CPU reports a return address past it (AArch32:
   LR - 8 for a data abort, LR - 4 for an undefined instruction or a
   prefetch abort), the arch subtracts the offset. The address is the
   fault address register's (CR2, FAR_EL1, DFAR or IFAR, stval), 0 where
   the exception has none. */
#define KERNEL_FAULT_STATUS 3

/* A register for the fault report: name and value. */
struct fault_reg {
    const char *name;
    uint64_t value;
};

/* Print "FAULT: <what> at <pc>, address <addr>", then every register, then
   end the run with KERNEL_FAULT_STATUS. Called from the trap handler with
   irqs off. Portable (arch/common/kernel.c). */
_Noreturn void kernel_fault(const char *what, uint64_t pc, uint64_t addr,
                            const struct fault_reg *regs, unsigned nregs);

/* --- 7. Barriers, atomics, bit scans -------------------------------------
   The portable code uses the compiler's __atomic builtins, which GCC and
   Clang lower to each arch's instructions (x64 lock-prefixed ops; arm64
   ldxr/stxr or LSE; arm32 ldrex/strex; rv64 the A extension's amo* and
   lr/sc). A port to a compiler without them provides these. All are
   ISR-safe. The portable code's atomics are all on 32-bit words, so a
   32-bit arch needs no 64-bit atomic (which might be a libatomic call); it
   must only not share a plain uint64_t between an ISR and the loop.

   The compiler may also call its run-time library (libgcc) for what the
   ISA lacks; every kernel links -lgcc. A 32-bit arch needs 64-bit
   division there: hdr/timer.h divides by the timer's frequency. On arm32
   that is __aeabi_uldivmod, which arch/arm32/aeabi.c defines because
   Debian's libgcc cannot be linked into a soft-float kernel
   (book/porting.md, step 7). */
#define platform_barrier()       __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define platform_atomic_or(p, v) __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)

/* Find first/last set bit, 1-based, 0 for none. Where the ISA has a bit-scan
   instruction (x64 bsf/bsr, arm64 clz/rbit, rv64 Zbb ctz/clz) the builtins
   become it; plain RV64IMAC has none, and GCC's fallback is a libgcc call
   that a freestanding kernel may not link, so there it is a binary search.
   arm32 (ARMv7: clz, and rbit since ARMv6T2) is in the list too: GCC
   makes __builtin_ctz rbit then clz, inline. A new arch that is not
   listed takes the binary search: correct, a little slower. */
static inline int platform_ffs(uint32_t x)
{
#if defined(__x86_64__) || defined(__aarch64__) || defined(__riscv_zbb) || \
    (defined(__arm__) && __ARM_ARCH >= 7)
    return x ? __builtin_ctz(x) + 1 : 0;
#else
    int n = 1;

    if (!x)
        return 0;
    if (!(x & 0xffff)) { n += 16; x >>= 16; }
    if (!(x & 0xff)) { n += 8; x >>= 8; }
    if (!(x & 0xf)) { n += 4; x >>= 4; }
    if (!(x & 0x3)) { n += 2; x >>= 2; }
    return n + !(x & 1);
#endif
}

static inline int platform_fls(uint32_t x)
{
#if defined(__x86_64__) || defined(__aarch64__) || defined(__riscv_zbb) || \
    (defined(__arm__) && __ARM_ARCH >= 7)
    return x ? 32 - __builtin_clz(x) : 0;
#else
    int n = 0;

    if (x >> 16) { n += 16; x >>= 16; }
    if (x >> 8) { n += 8; x >>= 8; }
    if (x >> 4) { n += 4; x >>= 4; }
    if (x >> 2) { n += 2; x >>= 2; }
    return x ? n + (x >> 1) + 1 : 0;
#endif
}

/* --- 8. Where the devices are -------------------------------------------
   What the portable virtio drivers (arch/common/virtio.c) need to find and
   reach their devices. Physical addresses are the kernel's addresses on
   every arch (identity-mapped or no MMU), so a memory BAR or a virtio-mmio
   window is used at its physical address. On a 32-bit arch that means
   below 4 GiB: the addresses here are uint64_t, and one above 4 GiB would
   truncate in a pointer (arm32 runs `virt` with highmem=off, so that its
   ECAM and windows are all low). An I/O BAR holds an address in
   PCI I/O space: a port number on x64; arm64, arm32 and rv64 have no port I/O,
   and their host bridge maps I/O space into a memory window (BAR value b
   at the window's CPU address + (b - its PCI address)), so the portable
   drivers use memory BARs only. All called after platform_init(), with
   irqs off or on, not from an ISR. */

struct pci_drv; /* hdr/pci.h */

/* The PCI configuration access the board has, in `*out` (hdr/pci.h's
   pci_drv): x64 mechanism #1 (ports 0xCF8/0xCFC); arm64, arm32 and rv64
   the ECAM window of the device tree's "pci-host-ecam-generic" node. Where
   no firmware assigned BARs (arm64, arm32 and rv64 `virt` booted with
   -kernel), the first call gives every function on every bus its BARs
   from the host bridge's windows (its "ranges") and enables their
   decoding (PCI-to-PCI bridges are not configured, so nothing behind one
   is reached); on x64 the firmware did (SeaBIOS, or our monitor). False if
   the board has no PCI.
   The pci_drv stays valid for the whole run. */
bool platform_pci(struct pci_drv *out);

/* The platform irq number (what platform_irq_unmask() takes) that INTx
   pin `pin` (1..4 = INTA#..INTD#, from PCI_INTERRUPT_PIN) of function
   `bdf` raises, programmed level-triggered as the board wires it, or -1
   if the arch cannot route it. x64: the interrupt line register the
   firmware wrote, as a GSI; arm64, arm32 and rv64: the pin swizzled through any
   PCI-to-PCI bridges up to the host bridge, then looked up in the device
   tree's interrupt-map (which holds the `virt` swizzle): a GIC SPI's
   INTID, a PLIC source. */
int platform_pci_intx(const struct pci_drv *d, uint32_t bdf, unsigned pin);

/* An MSI for the kernel: a fresh platform irq number in `*irq` and the
   message (address, data) a device writes to raise it, edge-triggered
   (no masking needed). False where the arch has no MSI support here
   (arm64, arm32 and rv64 for now) or none is left. */
bool platform_msi_alloc(unsigned *irq, uint64_t *address, uint32_t *data);

/* A virtio-mmio window: where it is and the platform irq its interrupt
   raises (level-triggered). */
struct platform_mmio {
    uint64_t base, size;
    unsigned irq;
};

/* Up to `max` virtio-mmio windows into `out` (whatever device, or none,
   sits behind each): arm64, arm32 and rv64 from the device tree's "virtio,mmio"
   nodes; x64 from the command line's `virtio_mmio.device=SIZE@BASE:GSI`
   words (Linux's syntax, which our monitor writes). Returns how many. */
unsigned platform_virtio_mmio(struct platform_mmio *out, unsigned max);

#endif
