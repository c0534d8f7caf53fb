/* hdr/uart16550.h alone: the driver's register hooks call the model, whose
   clock is a variable. The driver sends a line out through the model's tx
   hook; then the host types 3 bytes, which wait for the character timeout,
   and 4, which reach the trigger level at once; the driver reads them. */
#include <stdio.h>
#include <string.h>

//! [alone-uart16550]
#define UART16550_IMPLEMENTATION
#include "uart16550.h"

static uart16550_model uart;
static uint64_t board_ns;               /* the board's clock */
static bool irq4;                       /* the interrupt line */
static char sent[32];                   /* what the host received */

static uint64_t now(void *ctx) { (void)ctx; return board_ns; }
static void on_irq(void *ctx, bool level) { (void)ctx; irq4 = level; }
static bool on_tx(void *ctx, uint8_t byte)
{
    size_t n = strlen(sent);

    (void)ctx;
    if (n + 1 < sizeof sent)
        sent[n] = (char)byte;
    return true;                        /* the host took it */
}

/* The driver reaches register `reg` at stride 1: the model's offset. */
static uint8_t rd(void *ctx, unsigned reg) { return (uint8_t)uart16550_model_read(ctx, reg, 1); }
static void wr(void *ctx, unsigned reg, uint8_t v) { uart16550_model_write(ctx, reg, 1, v); }

static uart16550_drv d = { rd, wr, &uart };

static const char *why(uint8_t iir)
{
    return iir == UART16550_IIR_CTI ? "0x0c (CTI)" : iir == UART16550_IIR_RDA ? "0x04 (RDA)"
         : iir == UART16550_IIR_NONE ? "0x01 (none)" : "(another)";
}

/* The host types `s`. The board runs to the model's deadline if it has
   one; then the driver's interrupt handler asks IIR why and drains. */
static int host_types(const char *s, uint8_t want)
{
    char got[UART16550_FIFO_SIZE + 1] = "";
    uint64_t due;
    uint8_t iir;
    int c, n = 0;

    printf("\"%s\" at %llu ns: ", s, (unsigned long long)board_ns);
    for (const char *p = s; *p; p++)
        uart16550_model_receive(&uart, (uint8_t)*p);
    due = uart16550_model_poll(&uart, board_ns);
    if (due != UART16550_NO_DEADLINE) {     /* below the trigger level */
        iir = uart16550_drv_irq_source(&d);
        printf("IRQ %s, IIR %s\n  ", irq4 ? "up" : "down", why(iir));
        board_ns = due;                     /* nothing happens until then */
        uart16550_model_poll(&uart, board_ns);
        printf("at %llu ns: ", (unsigned long long)board_ns);
    }
    printf("IRQ %s, ", irq4 ? "up" : "down");
    iir = uart16550_drv_irq_source(&d);
    while ((c = uart16550_drv_getc(&d)) >= 0)
        got[n++] = (char)c;
    printf("IIR %s, getc \"%s\", then IRQ %s\n", why(iir), got, irq4 ? "up" : "down");
    if (iir != want || strcmp(got, s) != 0 || irq4)
        return printf("wrong: want IIR %s, \"%s\", IRQ down\n", why(want), s), 1;
    return 0;
}

int main(void)
{
    uart16550_model_hooks h = { on_tx, on_irq, NULL, now, NULL, NULL };
    const char *line = "hello\n";

    uart16550_model_init(&uart, &h);
    uart16550_drv_init_fifo(&d, UART16550_DIVISOR_115200, UART16550_FCR_TRIG_4);
    for (const char *p = line; *p; p++)
        if (!uart16550_drv_putc(&d, (uint8_t)*p))
            return puts("wrong: THR never empty"), 1;
    printf("the tx hook got \"hello\\n\": %s, LSR 0x%02x\n", strcmp(sent, line) ? "no" : "yes",
           rd(&uart, UART16550_LSR));
    if (strcmp(sent, line) != 0 || rd(&uart, UART16550_LSR) != 0x60)
        return puts("wrong: want the line sent and LSR 0x60 (THRE, TEMT)"), 1;
    wr(&uart, UART16550_IER, UART16550_IER_ERBFI);      /* receive interrupt on */
    printf("trigger 4 bytes, character timeout %llu ns\n",
           (unsigned long long)uart16550_model_timeout_ns(&uart));
    return host_types("abc", UART16550_IIR_CTI) || host_types("wxyz", UART16550_IIR_RDA);
}
//! [alone-uart16550]
