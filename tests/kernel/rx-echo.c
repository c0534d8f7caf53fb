/* rx-echo.c - host input reaches the guest through the console UART's
   receive interrupt, and none of it is lost (x64 only).

   The kernel turns on COM1's "received data available" interrupt, prints
   `rx: ready`, and from then on each interrupt's handler (run from the
   loop) reads the receive buffer while LSR says data is ready, up to one
   FIFO's worth per interrupt. Every complete line is echoed with its
   number; a line `end` finishes the test.

   The host side is tests/feed: it waits for `rx: ready` in the console
   output, then writes tests/kernel/rx-input.txt into the emulator's stdin,
   which `-serial stdio` (QEMU) or bbvm connects to COM1's receiver. That
   file is about 2 KB, far more than the 16-byte receive FIFO, so the
   emulator must hold input back while the FIFO is full and the guest
   must take many interrupts. A dropped or doubled byte changes the byte
   count and the checksum (FNV-1a, 32 bits) below, and the echoed lines.

   Booted with `irqchip=pic` on its command line, it takes the same
   interrupts from the 8259 pair (ExtINT through LINT0) instead of the
   IOAPIC; on bbvm the input then has to bring the vCPU out of KVM_RUN to
   inject the PIC's vector (vm/bbvm.c, "kick"). rx-echo-pic.expect adds what
   that variant must print on top of the lines below.

   It is not named ktest-*.c: those are booted with no input at all. */
//! [expect]
// expect: rx: ready
// expect: rx: line 1: rx-input: host keyboard to guest UART, one byte at a time
// expect: rx: line 3: 00 alpha delta golf 000
// expect: rx: line 17: 14 sierra victor yankee bravo echo hotel kilo november quebec tango whiskey zulu charlie 518 y,=N_
// expect: rx: line 33: digits 0123456789 0123456789
// expect: rx: line 34: last line before the end marker
// expect: rx: line 35: end
// expect: rx: 2040 bytes, 35 lines, checksum 0x1308712d
// expect: rx-echo: pass
// expect-status: 0
//! [expect]
#include "ktest.h"
#include "uart16550.h"     /* register names only: the console owns the driver */

#define RX_LINE    128
#define RX_HELD    8       /* lines received but not yet echoed */
#define RX_WAIT_MS 20000   /* for the whole input, once ready */

struct rx {
    uint32_t bytes, lines, irqs, sum;
    uint8_t errors;        /* LSR error bits seen: overrun, parity, ... */
    bool ended, too_long;
    unsigned len, held;
    char line[RX_LINE];
    char done[RX_HELD][RX_LINE];   /* complete lines not yet echoed */
};

static uint8_t com1_read(unsigned reg)
{
    return inb((uint16_t)(UART16550_PC_COM1_PORT + reg));
}

/* FNV-1a: each byte changes the sum, and so does its position. */
static uint32_t fnv1a(uint32_t sum, uint8_t c)
{
    return (sum ^ c) * 0x01000193u;
}

/* Echo the lines the last drain completed. */
static void rx_echo(struct rx *rx)
{
    for (unsigned i = 0; i < rx->held; i++) {
        rx->lines++;
        kprintf("rx: line %u: %s\n", rx->lines, rx->done[i]);
        if (rx->done[i][0] == 'e' && rx->done[i][1] == 'n' && rx->done[i][2] == 'd' &&
            rx->done[i][3] == 0)
            rx->ended = true;
    }
    rx->held = 0;
}

/* A complete line is echoed once this interrupt's share of bytes is read:
   printing is slow (every byte waits for the transmitter), and the FIFO
   should not sit full behind it. */
static void rx_line(struct rx *rx)
{
    if (rx->held == RX_HELD)
        rx_echo(rx);
    for (unsigned i = 0; i <= rx->len; i++)
        rx->done[rx->held][i] = i < rx->len ? rx->line[i] : 0;
    rx->held++;
    rx->len = 0;
}

static void rx_byte(struct rx *rx, uint8_t c)
{
    rx->bytes++;
    rx->sum = fnv1a(rx->sum, c);
    if (c == '\n')
        rx_line(rx);
    else if (rx->len < RX_LINE - 1)
        rx->line[rx->len++] = (char)c;
    else
        rx->too_long = true;
}

/* IER is shared with the console's transmit interrupt
   (platform_console_irq), so only our bit changes. */
static void rx_enable(bool on)
{
    uint8_t ier = com1_read(UART16550_IER);

    ier = on ? ier | UART16550_IER_ERBFI : ier & ~UART16550_IER_ERBFI;
    outb(UART16550_PC_COM1_PORT + UART16550_IER, ier);
}

/* One FIFO's worth per call, then the echo. Reading RBR takes a byte out
   of the FIFO, and once it is empty the UART drops its line (16550
   datasheet: RDA clears below the trigger level); a byte arriving later
   raises a new edge. If bytes are still waiting after our share, the line
   never dropped, and an edge-triggered pin would not interrupt again: so
   turn the receive interrupt off and on, which lowers and raises the
   UART's line, for one more interrupt. Bounded work per call lets timers
   and other handlers run between calls; and every call is a real device
   interrupt, however fast the host refills the FIFO (bbvm refills it from
   another thread while this one reads). */
static void rx_irq(void *ctx, unsigned irq)
{
    struct rx *rx = ctx;
    uint8_t lsr;

    (void)irq;
    rx->irqs++;
    for (unsigned n = 0; n < UART16550_FIFO_SIZE; n++) {
        lsr = com1_read(UART16550_LSR);
        if (!(lsr & UART16550_LSR_DR))
            break;
        rx->errors |= lsr & (UART16550_LSR_OE | UART16550_LSR_PE | UART16550_LSR_FE |
                             UART16550_LSR_BI);
        rx_byte(rx, com1_read(UART16550_RBR));
    }
    rx_echo(rx);
    if (com1_read(UART16550_LSR) & UART16550_LSR_DR) {
        rx_enable(false);
        rx_enable(true);
    }
}

static bool rx_done(void *ctx)
{
    const struct rx *rx = ctx;

    return rx->ended;
}

/* Does the command line hold `word` (space-separated)? */
static bool cmdline_has(const char *cmdline, const char *word)
{
    for (const char *p = cmdline; *p; p++) {
        unsigned i = 0;

        if (p != cmdline && p[-1] != ' ')
            continue;
        while (word[i] && p[i] == word[i])
            i++;
        if (!word[i] && (p[i] == ' ' || p[i] == 0))
            return true;
    }
    return false;
}

_Noreturn void kmain(const struct boot_info *bi)
{
    static struct rx rx = { .sum = 0x811c9dc5u };   /* the FNV-1a basis */

    if (cmdline_has(bi->cmdline, "irqchip=pic"))
        x64_irqchip = X64_IRQCHIP_PIC;
    kernel_init(bi);
    check(kernel_irq_register(PLATFORM_CONSOLE_IRQ, rx_irq, &rx),
          "the controller has no console line");
    /* Nothing received yet is ours: drop it. At most a FIFO's worth, since
       a host that (wrongly) sends early would keep the FIFO full. */
    for (unsigned n = 0; n < UART16550_FIFO_SIZE; n++)
        if (com1_read(UART16550_LSR) & UART16550_LSR_DR)
            com1_read(UART16550_RBR);
    rx_enable(true);
    kprintf("rx: ready\n");
    run_until(rx_done, &rx, RX_WAIT_MS);
    rx_enable(false);

    if (rx.len) {                                         /* a last line without \n */
        rx_line(&rx);
        rx_echo(&rx);
    }
    kprintf("rx: %u bytes, %u lines, checksum 0x%x\n", rx.bytes, rx.lines, rx.sum);
    kprintf("rx: %u receive interrupts\n", rx.irqs);
    check(rx.ended, "no `end` line arrived within the time limit");
    check(rx.irqs > 1, "all the input came with one interrupt");
    check(!rx.errors, "the UART reported a receive error (overrun, parity, framing, break)");
    check(!rx.too_long, "a line was longer than the buffer");
    ktest_end("rx-echo");
}
