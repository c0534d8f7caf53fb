/* aeabi.c - the one run-time helper GCC calls on arm32 that a kernel must
   provide itself: unsigned 64-bit division, __aeabi_uldivmod (Run-time ABI
   for the Arm Architecture, IHI 0043, "The long long helper functions").

   ARMv7-A's cortex-a15 divides 32 by 32 bits in hardware (udiv), but a
   64-bit quotient is always a call. The portable code makes it where it
   divides by a variable: hdr/timer.h's conversions between nanoseconds
   and ticks (timer_ns_to_ticks, timer_ticks_to_ns, timer_to_ms), by the
   timer's frequency. Division by a constant (kprintf's by 10) becomes a
   multiplication and needs no helper.

   libgcc has the helper, but not one we can link: Debian's
   arm-linux-gnueabihf libgcc is built for the hard-float ABI, which the
   linker will not mix with this kernel's soft-float objects ("uses VFP
   register arguments"), and its division by zero raises SIGFPE through
   the C library's raise(). Defined here, the symbol is found before
   libgcc is searched, so no libgcc member is linked at all; book/porting.md
   (step 7) says how to check that. */
#include <stdint.h>

/* Shift and subtract: align the divisor's top bit with the dividend's,
   then one compare per bit. At most 64 rounds; 32-bit operands take the
   hardware divide. A zero divisor gives quotient 0, as udiv does (ARMv7
   ARM A8.8, UDIV); the kernel never divides by zero (CNTFRQ 0 stops it). */
uint64_t arm32_uldivmod(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0;
    int shift;

    if (d == 0) {
        *rem = n;
        return 0;
    }
    if (n >> 32 == 0 && d >> 32 == 0) {
        *rem = (uint32_t)n % (uint32_t)d;
        return (uint32_t)n / (uint32_t)d;
    }
    if (n < d) {
        *rem = n;
        return 0;
    }
    shift = __builtin_clzll(d) - __builtin_clzll(n);
    d <<= shift;
    for (; shift >= 0; shift--, d >>= 1) {
        q <<= 1;
        if (n >= d) {
            n -= d;
            q |= 1;
        }
    }
    *rem = n;
    return q;
}

/* The AEABI calling convention: the dividend in r0:r1, the divisor in
   r2:r3; the quotient comes back in r0:r1 and the remainder in r2:r3
   (IHI 0043), which no C function can return, so the entry is a few
   instructions around the C above: the remainder comes back through a
   stack slot, and the stack stays 8-byte aligned at the call (AAPCS,
   "The Stack"). Only where it is an arm32 kernel: tests/aeabi_test.c
   compiles the C above on the host and checks it against / and %. */
#if defined(__arm__)
__asm__(
    "    .section .text.__aeabi_uldivmod, \"ax\"\n"
    "    .arm\n"
    "    .globl __aeabi_uldivmod\n"
    "    .type __aeabi_uldivmod, %function\n"
    "__aeabi_uldivmod:\n"
    "    push {r4, lr}\n"
    "    sub sp, sp, #16\n"         /* [sp]: the third argument; [sp + 8]: rem */
    "    add r4, sp, #8\n"
    "    str r4, [sp]\n"
    "    bl arm32_uldivmod\n"
    "    ldrd r2, r3, [sp, #8]\n"
    "    add sp, sp, #16\n"
    "    pop {r4, pc}\n"
    "    .size __aeabi_uldivmod, . - __aeabi_uldivmod\n");
#endif
