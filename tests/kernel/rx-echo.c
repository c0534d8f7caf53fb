/* rx-echo.c - host input reaches the guest through the console UART's
   receive interrupt, and none of it is lost (x64 only).

   The kernel starts the interrupt-driven console (arch/x64/console.c:
   COM1's receive FIFO at a trigger level of 8, RDA and CTI interrupts
   draining it into a ring), prints `rx: ready`, and from then on keeps
   one x64_console_read() outstanding on the async runtime: each
   completion takes what the interrupts drained, and submits the next
   read. Every complete line is echoed with its number, and the echo goes
   out through the console's transmit interrupt (THRE refilling the TX
   FIFO from a ring); a line `end` finishes the test. It prints how many
   RDA and CTI interrupts brought the input, and how many bytes THRE sent.

   The host side is tests/feed: it waits for `rx: ready` in the console
   output, then writes tests/kernel/rx-input.txt into the emulator's stdin,
   which `-serial stdio` (QEMU) or bbvm connects to COM1's receiver. That
   file is about 2 KB, far more than the 16-byte receive FIFO, so the
   emulator must hold input back while the FIFO is full and the guest
   must take many interrupts. A dropped or doubled byte changes the byte
   count and the checksum (FNV-1a, 32 bits) below, and the echoed lines;
   a byte lost or reordered on the way out changes the echoed lines.

   Booted with `irqchip=pic` on its command line, it takes the same
   interrupts from the 8259 pair (ExtINT through LINT0) instead of the
   IOAPIC; on bbvm the input then has to bring the vCPU out of KVM_RUN to
   inject the PIC's vector (vm/bbvm.c, "kick"). rx-echo-pic.expect adds what
   that variant must print on top of the lines below.

   It is not named ktest-*.c: those are booted with no input at all. */
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
#include "ktest.h"

#define RX_LINE    128
#define RX_READ    64      /* bytes one read asks for */
#define RX_WAIT_MS 20000   /* for the whole input, once ready */

struct rx {
    uint32_t bytes, lines, reads, sum;
    bool ended, too_long, refused;
    unsigned len;
    char line[RX_LINE];
    uint8_t buf[RX_READ];
    async_work w;
};


static void rx_line(struct rx *rx)
{
    rx->line[rx->len] = 0;
    rx->lines++;
    kprintf("rx: line %u: %s\n", rx->lines, rx->line);
    if (rx->line[0] == 'e' && rx->line[1] == 'n' && rx->line[2] == 'd' && rx->line[3] == 0)
        rx->ended = true;
    rx->len = 0;
}

static void rx_byte(struct rx *rx, uint8_t c)
{
    rx->bytes++;
    rx->sum = ktest_fnv1a(rx->sum, c);
    if (c == '\n')
        rx_line(rx);
    else if (rx->len < RX_LINE - 1)
        rx->line[rx->len++] = (char)c;
    else
        rx->too_long = true;
}

/* A read completed (from the loop): its bytes, then the next read. Input
   after `end` is not ours, so the test stops reading there. */
static void rx_done_read(async_work *w, int n)
{
    struct rx *rx = w->ctx;

    rx->reads++;
    for (int i = 0; i < n && !rx->ended; i++)
        rx_byte(rx, rx->buf[i]);
    if (n >= 0 && !rx->ended && !x64_console_read(w, rx->buf, sizeof rx->buf, rx_done_read, rx))
        rx->refused = true;
}

static bool rx_done(void *ctx)
{
    const struct rx *rx = ctx;

    return rx->ended || rx->refused;
}


_Noreturn void kmain(const struct boot_info *bi)
{
    static struct rx rx = { .sum = KTEST_FNV1A_BASIS };
    const struct x64_console_stats *st = x64_console_stats();

    if (kernel_cmdline_has(bi->cmdline, "irqchip=pic"))
        x64_irqchip = X64_IRQCHIP_PIC;
    kernel_init(bi);
    /* Nothing received before the start is ours: it clears the FIFO. */
    check(x64_console_start(), "the controller has no console line");
    check(x64_console_read(&rx.w, rx.buf, sizeof rx.buf, rx_done_read, &rx),
          "the console refused the first read");
    kprintf("rx: ready\n");
    run_until(rx_done, &rx, RX_WAIT_MS);
    x64_console_stop();                                   /* polled from here on */

    if (rx.len)                                           /* a last line without \n */
        rx_line(&rx);
    kprintf("rx: %u bytes, %u lines, checksum 0x%x\n", rx.bytes, rx.lines, rx.sum);
    kprintf("rx: %u interrupts served %u RDA and %u CTI, for %u reads\n", st->irqs, st->rda,
            st->cti, rx.reads);
    x64_console_print_stats("rx");
    check(rx.ended, "no `end` line arrived within the time limit");
    check(!rx.refused, "the console refused a read");
    check(st->irqs > 1 && st->rda + st->cti > 1, "all the input came with one interrupt");
    check(st->tx_irq_bytes > 0, "no output went out by the transmit interrupt");
    check(!st->rx_errors, "the UART reported a receive error (overrun, parity, framing, break)");
    check(!rx.too_long, "a line was longer than the buffer");
    ktest_end("rx-echo");
}
