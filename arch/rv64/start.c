/* start.c - rv64 platform on QEMU virt: a 16550 on MMIO as console (the same
   driver as x64's, through a different access hook), the device tree from
   OpenSBI, exit through the sifive_test device.
*/
//! [expect]
// expect: breadboard: kernel for rv64, entered via OpenSBI S-mode
// expect: console: 16550 at MMIO 0x10000000
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
#include "arch.h"

#define UART16550_IMPLEMENTATION
#define UART16550_STATIC
#include "uart16550.h"

#define UART_BASE   0x10000000ul  /* registers one byte apart (reg-shift 0) */
#define FINISHER    0x100000ul    /* QEMU virt "sifive,test1" */
#define FINISHER_PASS 0x5555u
#define FINISHER_FAIL 0x3333u     /* status in bits 31:16 */

static uint8_t mmio_read(void *ctx, unsigned reg)
{
    return *((volatile uint8_t *)ctx + reg);
}

static void mmio_write(void *ctx, unsigned reg, uint8_t v)
{
    *((volatile uint8_t *)ctx + reg) = v;
}

static uart16550_drv uart = { mmio_read, mmio_write, (void *)UART_BASE };

unsigned long rv64_hartid;
const void *rv64_fdt;           /* NULL if OpenSBI's pointer was no tree */

void platform_putc(char c)
{
    if (c == '\n')
        uart16550_drv_putc(&uart, '\r');
    uart16550_drv_putc(&uart, (uint8_t)c);
}

void platform_console_irq(bool on)
{
    mmio_write(uart.ctx, UART16550_IER, on ? UART16550_IER_ETBEI : 0);
    if (!on)
        mmio_read(uart.ctx, UART16550_IIR);  /* acknowledges a pending THRE */
}

_Noreturn void platform_exit(int status)
{
    volatile uint32_t *fin = (volatile uint32_t *)FINISHER;

    *fin = status ? (uint32_t)status << 16 | FINISHER_FAIL : FINISHER_PASS;
    for (;;) /* no finisher: stop here */
        __asm__ volatile("wfi");
}

_Noreturn void rv64_start(unsigned long hartid, const void *fdt)
{
    struct boot_info bi = { "rv64", "OpenSBI S-mode", "16550 at MMIO 0x10000000", 0, "" };

    rv64_hartid = hartid;
    uart16550_drv_init(&uart, UART16550_DIVISOR_115200);
    if (fdt_valid(fdt)) {
        rv64_fdt = fdt;
        bi.mem_bytes = fdt_memory_bytes(fdt);
        bi.cmdline = fdt_bootargs(fdt);
    }
    kmain(&bi);
}
