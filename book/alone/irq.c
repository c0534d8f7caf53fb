/* hdr/irq.h alone: an "ISR" records interrupts in the table and the loop
   dispatches them later. A UART on a level-triggered line, carried by the
   line fabric, and a disk that signals edges: two edges before a dispatch
   make one handler call, while a level line interrupts again until the
   device is quiet. Then a disabled irq holds its event until enabled. */
#include <stdio.h>

//! [alone-irq]
#define IRQ_IMPLEMENTATION
#include "irq.h"

enum { UART = 4, DISK = 14 };
static irq_table irqs;
static irq_lineset lines;
static bool masked = true;          /* the controller's mask bit for UART */
static unsigned fifo, uart_calls, disk_calls;

/* The controller's level-triggered input: while the line is high and not
   masked it interrupts, and its ISR masks it, records the event, returns. */
static void uart_input(void *ctx, unsigned input, bool level)
{
    (void)ctx;
    if (level && !masked) {
        masked = true;
        irq_raise(&irqs, input);
    }
}

static void unmask_uart(void)       /* the loop, once the handler has run */
{
    masked = false;
    uart_input(NULL, UART, irq_line_level(&lines, UART));
}

/* Reads one byte per call, on purpose: on a level line that is enough. */
static void on_uart(void *ctx, unsigned irq)
{
    (void)ctx, (void)irq;
    uart_calls++;
    if (fifo && --fifo == 0)
        irq_line_set(&lines, UART, false);  /* empty: the UART drops its line */
    unmask_uart();                  /* still high: recorded for the next dispatch */
}

static void on_disk(void *ctx, unsigned irq)
{
    (void)ctx, (void)irq;
    disk_calls++;
}

int main(void)
{
    unsigned n, round = 0, held, late;

    irq_table_init(&irqs);
    irq_lines_init(&lines);
    irq_line_connect(&lines, UART, uart_input, NULL, UART);
    if (!irq_register(&irqs, UART, on_uart, NULL) || !irq_register(&irqs, DISK, on_disk, NULL))
        return puts("wrong: registration"), 1;
    unmask_uart();
    fifo = 3;
    irq_line_set(&lines, UART, true);   /* three bytes arrive: the line goes high */
    irq_raise(&irqs, DISK);             /* two disk completions, two edges */
    irq_raise(&irqs, DISK);
    while (irq_pending(&irqs)) {
        n = irq_dispatch(&irqs);
        printf("dispatch %u: %u handler(s), %u byte(s) left\n", ++round, n, fifo);
    }
    printf("uart (level): 3 bytes, %u calls; disk (edge): %u events, %u call\n", uart_calls,
           (unsigned)irq_count(&irqs, DISK), disk_calls);
    if (uart_calls != 3 || disk_calls != 1 || irq_count(&irqs, DISK) != 2)
        return puts("wrong: level or edge"), 1;

    irq_disable(&irqs, DISK);           /* the driver reconfigures its device */
    irq_raise(&irqs, DISK);
    held = irq_dispatch(&irqs);
    irq_enable(&irqs, DISK);
    late = irq_dispatch(&irqs);
    printf("disk disabled: %u calls, then %u on enable\n", held, late);
    irq_raise(&irqs, 9);                /* nobody registered irq 9 */
    irq_dispatch(&irqs);
    printf("irq 9: %u unhandled\n", (unsigned)irq_unhandled_count(&irqs));
    if (held != 0 || late != 1 || disk_calls != 2 || irq_unhandled_count(&irqs) != 1)
        return puts("wrong: disable, enable or unhandled"), 1;
    return 0;
}
//! [alone-irq]
