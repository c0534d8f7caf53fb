/* start.c - arm64 platform on QEMU virt: device tree at the base of RAM,
   exit through semihosting. The PL011 console is ../arm/pl011.c, shared
   with arm32.
*/
//! [expect]
// expect: breadboard: kernel for arm64, entered via EL1
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

/* Arm semihosting SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit: QEMU
   (-semihosting) exits with the subcode as its status. */
_Noreturn void platform_exit(int status)
{
    uint64_t block[2] = { 0x20026, (uint64_t)status };
    register uint64_t op __asm__("x0") = 0x18;
    register uint64_t arg __asm__("x1") = (uint64_t)block;

    __asm__ volatile("hlt #0xf000" : : "r"(op), "r"(arg) : "memory");
    for (;;) /* no semihosting: stop here */
        __asm__ volatile("wfi");
}

const void *arm64_fdt;          /* NULL if RAM did not start with a tree */
uint32_t arm64_entry_el;        /* CurrentEL.EL at _start, written by boot.S */

/* QEMU puts the device tree at the base of RAM when the ELF it loads
   leaves that place free (hw/arm/boot.c); ours links above it. */
_Noreturn void arm64_start(void)
{
    const void *fdt = (const void *)RAM_BASE;
    struct boot_info bi = { "arm64", "EL1", "PL011 at 0x09000000", 0, "" };

    if (arm64_entry_el == 2)
        bi.entry = "EL2, dropped to EL1";
    if (fdt_valid(fdt)) {
        arm64_fdt = fdt;
        bi.mem_bytes = fdt_memory_bytes(fdt);
        bi.cmdline = fdt_bootargs(fdt);
    }
    kmain(&bi);
}
