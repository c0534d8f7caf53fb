/* hdr/pit8254.h alone: the driver's port hooks call the model, whose clock
   is a variable. Channel 0 is programmed in mode 2 for 1 kHz at board time
   0; the board then runs to each deadline the model gives and sees IRQ0
   rise once per 1193 PIT ticks, on the exact nanosecond. */
#include <stdio.h>

//! [alone-pit8254]
#define PIT8254_IMPLEMENTATION
#include "pit8254.h"

static pit8254_model pit;
static uint64_t board_ns;               /* the board's clock */
static unsigned rises, falls;

static uint64_t now(void *ctx) { (void)ctx; return board_ns; }
static void irq0(void *ctx, bool level)
{
    (void)ctx;
    if (!level) { falls++; return; }
    printf("IRQ0 rises at %llu ns\n", (unsigned long long)board_ns);
    rises++;
}

/* The driver's port I/O, onto the model's offsets (0x40-0x43, 0x61). */
static uint64_t off(uint16_t port)
{
    return port == PIT8254_PC_PORT61 ? PIT8254_MODEL_PORT61 : port - PIT8254_PC_PORT;
}
static uint8_t in(void *ctx, uint16_t port)
{
    return (uint8_t)pit8254_model_read(ctx, off(port), 1);
}
static void out(void *ctx, uint16_t port, uint8_t v) { pit8254_model_write(ctx, off(port), 1, v); }

int main(void)
{
    pit8254_model_hooks h = { now, irq0, NULL, NULL };
    pit8254_drv d = { in, out, &pit };
    uint16_t n = pit8254_count_for_hz(1000), count;
    uint8_t status;

    pit8254_model_init(&pit, &h);
    pit8254_drv_periodic(&d, n);        /* mode 2, low then high byte */
    /* The mode-2 control word raised OUT; the count waits for a CLK. */
    status = pit8254_drv_read_status(&d, 0);
    printf("count %u, status 0x%02x (OUT high, NULL COUNT)\n", n, status);
    if (rises != 1 || status != 0xf4)
        return puts("wrong: control word"), 1;
    while (rises < 4) {                 /* the board's loop: sleep, poll */
        board_ns = pit8254_model_poll(&pit, board_ns);
        pit8254_model_poll(&pit, board_ns);
        /* The count loads on the CLK after the write (tick 1); OUT rises
           at every reload, n ticks apart. */
        if (board_ns != pit8254_tick_ns(1 + (uint64_t)n * (rises - 1)))
            return puts("wrong: an edge off its tick"), 1;
    }
    board_ns += 500000;                 /* half a period later */
    count = pit8254_drv_read_count(&d, 0);
    status = pit8254_drv_read_status(&d, 0);
    printf("at %llu ns: count %u, status 0x%02x; %u falls\n", (unsigned long long)board_ns,
           count, status, falls);
    if (n != 1193 || count != 1193 - (pit8254_ticks(board_ns) - 1) % n || status != 0xb4 ||
        falls != 3)
        return puts("wrong: count, status or falls"), 1;
    return 0;
}
//! [alone-pit8254]
