/* start.c - arm64 platform on QEMU virt: PL011 console, device tree at the
   base of RAM, exit through semihosting.
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

#define PL011_BASE 0x09000000ul
#define PL011_DR   0x00          /* data register */
#define PL011_FR   0x18          /* flag register */
#define PL011_FR_TXFF (1u << 5)  /* transmit FIFO full */
#define PL011_IMSC 0x38          /* interrupt mask set/clear: 1 = enabled */
#define PL011_ICR  0x44          /* interrupt clear */
#define PL011_TXI  (1u << 5)     /* transmit interrupt (PL011 TRM 3.3.10) */
#define RAM_BASE   0x40000000ul

static volatile uint32_t *pl011(unsigned off)
{
    return (volatile uint32_t *)(PL011_BASE + off);
}

void platform_putc(char c)
{
    if (c == '\n')
        platform_putc('\r');
    /* Bounded, like the 16550 driver: a stuck FIFO must not hang us. */
    for (int i = 0; i < 100000 && (*pl011(PL011_FR) & PL011_FR_TXFF); i++)
        ;
    *pl011(PL011_DR) = (uint8_t)c;
}

/* Arm semihosting SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit: QEMU
   (-semihosting) exits with the subcode as its status. */
void platform_console_irq(bool on)
{
    *pl011(PL011_IMSC) = on ? PL011_TXI : 0;
    if (!on)
        *pl011(PL011_ICR) = PL011_TXI;
}

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
