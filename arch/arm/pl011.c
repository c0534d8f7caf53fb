/* pl011.c - the console of both Arm arches (arm64 and arm32 compile it):
   the PL011 UART of QEMU's `virt` board, polled, with its transmit
   interrupt for the kernel's console. `virt` has no 16550, and the PL011
   is the UART its device tree names as stdout-path on every CPU type.
   Registers: PrimeCell UART (PL011) TRM, DDI 0183, chapter 3. */
#include "../common/platform.h"

#define PL011_BASE 0x09000000ul
#define PL011_DR   0x00          /* data register (TRM 3.3.1) */
#define PL011_FR   0x18          /* flag register (TRM 3.3.3) */
#define PL011_FR_TXFF (1u << 5)  /* transmit FIFO full */
#define PL011_IMSC 0x38          /* interrupt mask set/clear: 1 = enabled (TRM 3.3.10) */
#define PL011_ICR  0x44          /* interrupt clear (TRM 3.3.13) */
#define PL011_TXI  (1u << 5)     /* transmit interrupt */

static volatile uint32_t *pl011(unsigned off)
{
    return (volatile uint32_t *)(PL011_BASE + off);
}

void platform_putc(char c)
{
    if (c == '\n')
        platform_putc('\r');
    /* Bounded, like the 16550 driver: a stuck FIFO must cost output, not
       the kernel. */
    for (int i = 0; i < 100000 && (*pl011(PL011_FR) & PL011_FR_TXFF); i++)
        ;
    *pl011(PL011_DR) = (uint8_t)c;
}

void platform_console_irq(bool on)
{
    *pl011(PL011_IMSC) = on ? PL011_TXI : 0;
    if (!on)
        *pl011(PL011_ICR) = PL011_TXI;
}
