/* plic.c - the Platform-Level Interrupt Controller of QEMU virt
   ("riscv,plic0"): per-source priorities, per-context enable bits, a
   threshold and a claim/complete register per context. Section names are
   those of the RISC-V PLIC specification 1.0.0.

   Between a claim and its completion the source's gateway forwards no new
   request ("Interrupt Gateways"). We use that as the mask the deferred
   model needs: the ISR claims and does not complete; platform_irq_unmask(),
   which runs after the driver's handler has quieted the device, completes.
   A level line still high at that point then fires again, as it should;
   one that dropped leaves no stale pending bit behind. (QEMU 7.2's model
   does latch a line that was lowered and raised again while the source was
   claimed, so there a handler may get one more call with nothing to do.)

   The ISR also clears the source's enable bit, so that "masked until the
   handler ran" is visible in the enable registers as on the other arches.
   Completing a disabled source is silently ignored ("Interrupt
   Completion"), so the x64 order, mask and then end the interrupt in the
   ISR, would leave the source claimed forever on a PLIC that follows the
   spec (Linux's PLIC driver had that bug, and now enables before it
   completes). */
#include "../common/kernel.h"
#include "arch.h"

/* "Memory Map": one word per source priority from the base, enable bits
   from 0x2000 (0x80 bytes per context), then per context at 0x200000 +
   0x1000 * context: the threshold and the claim/complete register. */
#define PLIC_PRIORITY(src)  (PLIC_BASE + 4 * (src))
#define PLIC_ENABLE(c, src) (PLIC_BASE + 0x2000 + 0x80 * (c) + 4 * ((src) / 32))
#define PLIC_THRESHOLD(c)   (PLIC_BASE + 0x200000 + 0x1000 * (c))
#define PLIC_CLAIM(c)       (PLIC_THRESHOLD(c) + 4)

static unsigned context;
static uint32_t held[PLIC_SOURCES / 32 + 1];  /* claimed, completion deferred */

static bool valid(unsigned src)
{
    return src >= 1 && src <= PLIC_SOURCES;   /* "Interrupt Identifiers": 0 is none */
}

/* A read-modify-write of a word that the ISR also writes: irqs off. */
static void set_enable(unsigned src, bool on)
{
    uintptr_t reg = PLIC_ENABLE(context, src);
    uint32_t bit = 1u << (src % 32);
    uint64_t saved = sie_off();
    uint32_t v = mmio_read32(reg);

    mmio_write32(reg, on ? v | bit : v & ~bit);
    sie_restore(saved);
}

/* Every source disabled for our context, priority 1 (0 would mean "never
   interrupt", "Interrupt Priorities"), threshold 0 so any priority above
   it gets through ("Priority Thresholds"). */
void plic_init(unsigned ctx)
{
    context = ctx;
    for (unsigned src = 0; src <= PLIC_SOURCES; src += 32)
        mmio_write32(PLIC_ENABLE(ctx, src), 0);
    for (unsigned src = 1; src <= PLIC_SOURCES; src++)
        mmio_write32(PLIC_PRIORITY(src), 1);
    mmio_write32(PLIC_THRESHOLD(ctx), 0);
    kprintf("plic: at 0x%08lx, context %u (hart %u S-mode)\n", PLIC_BASE, ctx, ctx / 2);
}

/* "Interrupt Claim Process": the highest-priority pending source, now
   no longer pending; 0 if another context took it first or none is left. */
unsigned plic_claim(void)
{
    return mmio_read32(PLIC_CLAIM(context));
}

/* ISR side: mask the claimed source and leave it uncompleted until
   plic_unmask(). A number outside the map is completed at once. */
void plic_hold(unsigned src)
{
    if (!valid(src)) {
        mmio_write32(PLIC_CLAIM(context), src);
        return;
    }
    set_enable(src, false);
    held[src / 32] |= 1u << (src % 32);
}

bool plic_mask(unsigned src)
{
    if (!valid(src))
        return false;
    set_enable(src, false);
    return true;
}

/* "Interrupt Completion": a completion for a source that is not enabled
   for the context is silently ignored, so enable first, then complete. */
bool plic_unmask(unsigned src)
{
    uint32_t bit = 1u << (src % 32);
    uint64_t saved;

    if (!valid(src))
        return false;
    saved = sie_off();
    set_enable(src, true);
    if (held[src / 32] & bit) {
        held[src / 32] &= ~bit;
        mmio_write32(PLIC_CLAIM(context), src);
    }
    sie_restore(saved);
    return true;
}
