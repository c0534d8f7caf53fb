/* ktest-x64-stack.c - the x64 kernel's stack has a guard page under it: an
   overflow ends in a report that says so, and the failure status, not in a
   silent reset.

   First the stack is used to within 1 KiB of the guard, legally: every
   frame must come back intact. Then a recursion without bound runs into
   the guard. The page fault it takes cannot push its frame on the stack
   that overflowed (that would be a double fault, and a triple fault when
   the double fault tried the same); it arrives on its own stack from the
   TSS (boot.S), and the report names the guard.

   Each frame holds a volatile array it checks after the call returns, so
   the compiler can make the recursion neither a loop nor a tail call.
   Interrupts stay off (kernel_init() leaves them off), so nothing else
   uses the stack meanwhile.

   With `double` on the command line, the page fault's gate loses its stack
   first (the IST field of IDT entry 14, through SIDT): then the overflow
   is a double fault, which still has its own, and must be reported too.
*/
// expect: stack: 16 KiB above the guard at 0x
// expect: stack: within 1 KiB of the guard: OK
// expect: stack: recursing without bound
// expect: FAULT: kernel stack overflow: guard page 0x
// expect: FAULT: #PF page fault at pc
// expect: FAULT: stopping with status 3
// expect-status: 3
#include "../../arch/common/loop.h"

#define FRAME_BYTES 256
#define LEGAL_MARGIN 1024u   /* the legal dive stops this close to the guard */

static uintptr_t stack_bottom(void)
{
    return (uintptr_t)x64_stack_guard + X64_STACK_GUARD_SIZE;
}

static volatile uintptr_t lowest;   /* the lowest frame the dive reached */

/* Recurse until this frame's array is within LEGAL_MARGIN of the stack's
   bottom; return the depth reached, or 0 if a frame came back changed. */
static __attribute__((noinline)) unsigned dive(unsigned depth)
{
    volatile uint8_t buf[FRAME_BYTES];
    unsigned reached = depth;

    for (unsigned i = 0; i < FRAME_BYTES; i++)
        buf[i] = (uint8_t)(depth + i);
    if ((uintptr_t)buf < lowest)
        lowest = (uintptr_t)buf;
    if ((uintptr_t)buf >= stack_bottom() + LEGAL_MARGIN)
        reached = dive(depth + 1);
    for (unsigned i = 0; i < FRAME_BYTES; i++)
        if (buf[i] != (uint8_t)(depth + i))
            return 0;
    return reached;
}

/* The same, without the bound: depth never reaches ~0u first. */
static __attribute__((noinline)) unsigned overflow(unsigned depth)
{
    volatile uint8_t buf[FRAME_BYTES];
    unsigned reached = depth;

    buf[0] = (uint8_t)depth;
    buf[FRAME_BYTES - 1] = (uint8_t)depth;
    if (depth != ~0u)
        reached = overflow(depth + 1);
    return reached + buf[0] + buf[FRAME_BYTES - 1];
}

/* Take the page fault's IST away: its gate's byte 4 (SDM vol. 3, 6.14.1). */
static void pf_without_ist(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) desc;
    volatile uint8_t *gate;

    __asm__ volatile("sidt %0" : "=m"(desc));
    gate = (volatile uint8_t *)(uintptr_t)(desc.base + 16 * 14);
    gate[4] = 0;
    kprintf("stack: #PF now runs on the stack it interrupts\n");
}

_Noreturn void kmain(const struct boot_info *bi)
{
    unsigned depth;

    kernel_init(bi);
    kprintf("stack: %u KiB above the guard at %p\n", X64_STACK_SIZE / 1024,
            (void *)x64_stack_guard);
    lowest = ~(uintptr_t)0;
    depth = dive(1);
    kprintf("stack: %u frames, the deepest %u bytes above the guard\n", depth,
            (unsigned)(lowest - stack_bottom()));
    if (depth == 0 || lowest < stack_bottom() || lowest >= stack_bottom() + LEGAL_MARGIN) {
        kprintf("stack: within 1 KiB of the guard: FAIL\n");
        platform_exit(1);
    }
    kprintf("stack: within 1 KiB of the guard: OK\n");
    if (kernel_cmdline_has(bi->cmdline, "double"))
        pf_without_ist();
    kprintf("stack: recursing without bound\n");
    kprintf("stack: FAIL, came back from depth %u\n", overflow(1));
    platform_exit(1);
}
