/* start.c - arm32 platform on QEMU virt: device tree at the base of RAM,
   exit through semihosting. The console is virt's PL011, the one arm64
   uses: ../arm/pl011.c.
*/
//! [expect]
// expect: breadboard: kernel for arm32, entered via SVC
// expect: console: PL011 at 0x09000000
// expect: memory: 64 MiB
// expect: timer:
// expect: demo: timer "one" fired
// expect: demo: timer "two" fired
// expect: demo: interrupt
// expect: demo: timer "three" fired
// expect: breadboard: boot complete
// expect-status: 0
//! [expect]
#include "../common/fdt.h"
#include "../common/platform.h"

#define RAM_BASE 0x40000000ul

/* Arm semihosting from A32 (Arm, "Semihosting for AArch32 and AArch64",
   "The semihosting interface"): the trap is `svc 0x123456` in ARM state
   (Thumb's is `svc 0xab`; `hlt 0xf000` is ARMv8's), r0 the operation, r1
   its argument. Unlike AArch64's, A32's SYS_EXIT (0x18) takes the reason
   itself in r1, with no room for a status: QEMU then exits 0 for
   ADP_Stopped_ApplicationExit and 1 for anything else. SYS_EXIT_EXTENDED
   (0x20) takes the same two-word block AArch64's SYS_EXIT does, reason
   and subcode, and QEMU exits with the subcode (QEMU's
   semihosting/arm-compat-semi.c). Without -semihosting the svc is an
   exception, which the fault report names. */
#define SYS_EXIT_EXTENDED 0x20
#define ADP_Stopped_ApplicationExit 0x20026

_Noreturn void platform_exit(int status)
{
    uint32_t block[2] = { ADP_Stopped_ApplicationExit, (uint32_t)status };
    register uint32_t op __asm__("r0") = SYS_EXIT_EXTENDED;
    register uint32_t arg __asm__("r1") = (uint32_t)(uintptr_t)block;

    __asm__ volatile("svc #0x123456" : : "r"(op), "r"(arg) : "memory");
    for (;;)
        __asm__ volatile("wfi");
}

const void *arm32_fdt;          /* NULL if RAM did not start with a tree */
uint32_t arm32_entry_mode;      /* CPSR.M at _start, written by boot.S */

/* QEMU puts the device tree at the base of RAM when the ELF it loads
   leaves that place free (hw/arm/boot.c, as on arm64); ours links above it. */
_Noreturn void arm32_start(void)
{
    const void *fdt = (const void *)RAM_BASE;
    struct boot_info bi = { "arm32", "SVC", "PL011 at 0x09000000", 0, "" };

    if (arm32_entry_mode == 0x1a)
        bi.entry = "Hyp, dropped to SVC";
    if (fdt_valid(fdt)) {
        arm32_fdt = fdt;
        bi.mem_bytes = fdt_memory_bytes(fdt);
        bi.cmdline = fdt_bootargs(fdt);
    }
    kmain(&bi);
}
