/* rx-fifo.c - COM1's receive FIFO in interrupt mode: input arrives through
   the interrupt at the trigger level, and a partial FIFO through the
   character timeout; no byte is lost (x64 only).

   The kernel sets COM1's receive trigger to 8 bytes (FCR), turns on the
   receive interrupt (IER.ERBFI), prints `rx-fifo: ready`, and counts what
   each interrupt's handler finds in IIR, which it reads first:
     RDA (IIR 0xC4: 0x04 with the FIFO bits) - at least 8 bytes wait;
     CTI (IIR 0xCC) - 1 to 7 bytes wait and nothing was received or read
                      for 4 character times (PC16550D datasheet, "FIFO
                      Interrupt Mode Operation").
   The host side is tests/feed, as for rx-echo.c: once `rx-fifo: ready`
   appears it writes tests/kernel/rx-fifo-input.txt (2035 bytes in 46
   lines, the last one `end`; not a multiple of 8) into the emulator's
   standard input, COM1's receiver.

   Why a CTI must come, whatever the host's pacing: on RDA the handler
   reads 7 bytes, one less than the trigger level, which RDA promises are
   there. So an RDA handler never empties the FIFO: after the input's
   last byte has arrived, at least that byte is still waiting once the
   last RDA has been served, below the trigger level, and only the
   character timeout can bring it (the end of the input is the 4
   character times of quiet it needs). On CTI the handler reads until the
   FIFO is empty (at most 16 bytes a call). The exact counts depend on
   how the emulator paces the bytes into the FIFO, so the test asserts
   only that each kind came, and the totals: the byte count and an
   FNV-1a checksum (32 bits, as rx-echo.c) change if a byte is dropped,
   doubled or reordered.

   It is not named ktest-*.c: those are booted with no input at all. */
// expect: rx-fifo: FIFOs on, receive trigger at 8 bytes
// expect: rx-fifo: ready
// expect: rx-fifo: 2035 bytes, 46 lines, checksum 0x6be65713
// expect: rx-fifo: data arrived at the trigger level
// expect: rx-fifo: the partial FIFO came through the character timeout
// expect: rx-fifo: pass
// expect-status: 0
#include "ktest.h"

#define UART16550_IMPLEMENTATION
#define UART16550_STATIC
#include "uart16550.h"

#define RX_TRIGGER 8       /* bytes: UART16550_FCR_TRIG_8 */
#define RX_WAIT_MS 20000   /* for the whole input, once ready */

struct rx {
    uint32_t bytes, lines, sum;
    uint32_t irqs, rda, cti, none, other; /* handler calls, by what IIR said */
    uint32_t rda_bytes, cti_bytes;    /* bytes read after each kind */
    uint32_t no_fifo;                 /* IIR reads without bits 7:6 set */
    uint8_t errors;                   /* LSR error bits seen */
    bool ended;
    unsigned len;                     /* bytes of the line so far */
    char line[4];                     /* its start: enough to see `end` */
};

static uart16550_drv com1 = { x64_uart_read, x64_uart_write,
                             (void *)(uintptr_t)UART16550_PC_COM1_PORT };


static void rx_byte(struct rx *rx, uint8_t c)
{
    rx->bytes++;
    rx->sum = ktest_fnv1a(rx->sum, c);
    if (c != '\n') {
        if (rx->len < sizeof rx->line)
            rx->line[rx->len] = (char)c;
        rx->len++;
        return;
    }
    rx->lines++;
    if (rx->len == 3 && rx->line[0] == 'e' && rx->line[1] == 'n' && rx->line[2] == 'd')
        rx->ended = true;
    rx->len = 0;
}

/* Read up to `max` bytes while LSR says one is ready; LSR's error bits
   (read with each byte, which clears them) are kept. Returns the count. */
static unsigned rx_read(struct rx *rx, unsigned max)
{
    unsigned n;

    for (n = 0; n < max; n++) {
        uint8_t lsr = com1.read(com1.ctx, UART16550_LSR);

        if (lsr == 0xff || !(lsr & UART16550_LSR_DR))
            break;
        rx->errors |= lsr & (UART16550_LSR_OE | UART16550_LSR_PE | UART16550_LSR_FE |
                             UART16550_LSR_BI);
        rx_byte(rx, com1.read(com1.ctx, UART16550_RBR));
    }
    return n;
}

/* IER is shared with the console's transmit interrupt
   (platform_console_irq), so only our bit changes. */
static void rx_enable(bool on)
{
    uint8_t ier = com1.read(com1.ctx, UART16550_IER);

    ier = on ? ier | UART16550_IER_ERBFI : ier & ~UART16550_IER_ERBFI;
    com1.write(com1.ctx, UART16550_IER, ier);
}

//! [handler]
/* Run from the loop for each interrupt on COM1's line. IIR first: it
   says why the line went up (and reading it acknowledges a THRE). */
static void rx_irq(void *ctx, unsigned irq)
{
    struct rx *rx = ctx;
    uint8_t iir = com1.read(com1.ctx, UART16550_IIR);

    (void)irq;
    rx->irqs++;
    if ((iir & UART16550_IIR_FIFO) != UART16550_IIR_FIFO)
        rx->no_fifo++;
    switch (iir & UART16550_IIR_ID) {
    case UART16550_IIR_RDA:     /* >= RX_TRIGGER bytes: leave one behind */
        rx->rda++;
        rx->rda_bytes += rx_read(rx, RX_TRIGGER - 1);
        break;
    case UART16550_IIR_CTI:     /* 1 .. RX_TRIGGER-1 bytes, gone quiet */
        rx->cti++;
        rx->cti_bytes += rx_read(rx, UART16550_FIFO_SIZE);
        break;
    case UART16550_IIR_RLS:     /* an error: reading LSR clears it */
        rx->other++;
        rx->errors |= com1.read(com1.ctx, UART16550_LSR) &
                      (UART16550_LSR_OE | UART16550_LSR_PE | UART16550_LSR_FE | UART16550_LSR_BI);
        break;
    case UART16550_IIR_NONE:    /* a stale edge: bytes that came while the
                                   last call read took the line down and up */
        rx->none++;
        break;
    default:                    /* THRE (acknowledged), modem status */
        rx->other++;
        break;
    }
    /* Bytes still waiting may hold the UART's line up (RDA still true, or
       a CTI due later): an edge-triggered pin would not interrupt again.
       Turning the receive interrupt off and on lowers the line and raises
       it again if, and only if, a receive interrupt is pending. */
    if (com1.read(com1.ctx, UART16550_LSR) & UART16550_LSR_DR) {
        rx_enable(false);
        rx_enable(true);
    }
}
//! [handler]

static bool rx_done(void *ctx)
{
    const struct rx *rx = ctx;

    return rx->ended;
}


_Noreturn void kmain(const struct boot_info *bi)
{
    static struct rx rx = { .sum = KTEST_FNV1A_BASIS };
    uint8_t iir;

    if (kernel_cmdline_has(bi->cmdline, "irqchip=pic"))
        x64_irqchip = X64_IRQCHIP_PIC;
    kernel_init(bi);
    /* FIFOs on, the receive FIFO cleared, the trigger at 8. Not
       uart16550_drv_init_fifo(): that also clears the transmit FIFO, which
       may still hold the console's last bytes, and zeroes IER. FCR bit 0
       stays set, so the transmit FIFO is kept (datasheet, FCR bit 0). */
    com1.write(com1.ctx, UART16550_FCR,
               UART16550_FCR_ENABLE | UART16550_FCR_CLR_RX | UART16550_FCR_TRIG_8);
    iir = com1.read(com1.ctx, UART16550_IIR);
    check((iir & UART16550_IIR_FIFO) == UART16550_IIR_FIFO,
          "IIR bits 7:6 do not say the FIFOs are on: no 16550A");
    if ((iir & UART16550_IIR_FIFO) == UART16550_IIR_FIFO)
        kprintf("rx-fifo: FIFOs on, receive trigger at %u bytes\n", RX_TRIGGER);
    check(kernel_irq_register(PLATFORM_CONSOLE_IRQ, rx_irq, &rx),
          "the controller has no console line");
    /* Nothing received yet is ours: drop it (bounded: a host that wrongly
       sends early keeps the FIFO full). */
    for (unsigned n = 0; n < UART16550_FIFO_SIZE; n++)
        if (uart16550_drv_getc(&com1) < 0)
            break;
    rx_enable(true);
    kprintf("rx-fifo: ready\n");
    run_until(rx_done, &rx, RX_WAIT_MS);
    rx_enable(false);

    kprintf("rx-fifo: %u bytes, %u lines, checksum 0x%x\n", rx.bytes, rx.lines, rx.sum);
    kprintf("rx-fifo: %u interrupts: %u at the trigger level (RDA, %u bytes read), "
            "%u by the timeout (CTI, %u bytes read), %u with nothing pending, %u other\n",
            rx.irqs, rx.rda, rx.rda_bytes, rx.cti, rx.cti_bytes, rx.none, rx.other);
    check(rx.ended, "no `end` line arrived within the time limit");
    check(rx.rda > 0, "no interrupt at the trigger level (RDA)");
    if (rx.rda > 0)
        kprintf("rx-fifo: data arrived at the trigger level\n");
    check(rx.cti > 0, "no character timeout interrupt (CTI)");
    if (rx.cti > 0)
        kprintf("rx-fifo: the partial FIFO came through the character timeout\n");
    check(!rx.no_fifo, "IIR said the FIFOs were off during the run");
    check(!rx.errors, "the UART reported a receive error (overrun, parity, framing, break)");
    ktest_end("rx-fifo");
}
