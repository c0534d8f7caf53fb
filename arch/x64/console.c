/* console.c - x64: COM1 as the kernel's console, polled or by interrupt,
   and the demo kernel's interactive mode.

   Until x64_console_start(), and whenever interrupts are off (boot, ISRs,
   faults, platform_exit), every byte of kprintf is written by polling:
   uart16550_drv_putc() waits for THRE, a bounded wait. Once started, the
   console runs on COM1's interrupt (ISA IRQ4, the GSI the MADT names, or
   the 8259's input 4), with the FIFOs at the trigger level start.c chose:
     - receive: RDA (the FIFO reached the trigger level) and CTI (fewer
       bytes, and four character times without one) both drain the FIFO
       with uart16550_drv_rx_drain() into a bounded ring, which completes
       the pending x64_console_read(), an async_work on kernel_rt;
     - transmit: kprintf with interrupts on queues into a bounded ring and
       turns ETBEI on; each THRE interrupt refills the TX FIFO with up to
       16 bytes (uart16550_drv_tx_fill()) and turns ETBEI off once the ring
       is empty. A writer that finds the ring full empties it by polling,
       then polls its own byte: slower, never lost, never reordered.
   Both rings are touched only with interrupts off, so the polled path of
   an ISR or a fault handler, which flushes the transmit ring before its
   own bytes, always finds them whole.

   The host is hostile (book/security.md): what it sends is only copied,
   never trusted as a length, and every loop below is bounded by a ring's
   or a FIFO's size (rule 2), a chip that reads all-ones (no UART, rule 5)
   looks idle.

   The book: book/uart16550.md, "The kernel's console". */
#include "../common/loop.h"
#include "arch.h"

#define UART16550_IMPLEMENTATION
#define UART16550_STATIC
#include "uart16550.h"

#define CON_RX_RING  256u   /* received bytes no read has taken yet */
#define CON_TX_RING  1024u  /* output waiting for the THRE interrupt */
#define CON_ROUNDS   8u     /* IIR sources one handler call serves */
#define CON_TEMT_MAX 100000u /* LSR polls while waiting for the line to go idle */
#define CON_RFLAGS_IF (1u << 9)

static uart16550_drv com1 = { x64_uart_read, x64_uart_write,
                             (void *)(uintptr_t)UART16550_PC_COM1_PORT };

static struct {
    bool started, registered;
    unsigned irq;
    uint8_t trig;              /* FCR trigger bits, from x64_console_init() */
    uint8_t ier;               /* what IER holds: written only through ier_set() */
    bool rx_stalled;           /* the ring was full: ERBFI off until a read makes room */
    uint8_t rx[CON_RX_RING];
    unsigned rx_head, rx_count;
    uint8_t tx[CON_TX_RING];
    unsigned tx_head, tx_count;
    /* The one read the console serves at a time. */
    async_work *rd;
    uint8_t *rd_buf;
    unsigned rd_max;
    bool rd_live;              /* submitted to the backend, not completed */
    struct x64_console_stats stats;
} con;

static uint64_t irq_save(void)
{
    uint64_t flags;

    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static void irq_restore(uint64_t flags)
{
    if (flags & CON_RFLAGS_IF)
        __asm__ volatile("sti" : : : "memory");
}

/* IER is shared by receive, transmit and platform_console_irq(): every
   change goes through the copy, so none undoes another. Irqs off. */
static void ier_set(uint8_t ier)
{
    con.ier = ier;
    x64_uart_write(com1.ctx, UART16550_IER, ier);
}

unsigned x64_console_irq(void)
{
    return x64_isa_gsi(UART16550_PC_COM1_IRQ);
}

void x64_console_init(uint8_t trig)
{
    con.trig = trig & 0xc0;
    con.ier = 0;
    uart16550_drv_init_fifo(&com1, UART16550_DIVISOR_115200, con.trig);
}

/* --- transmit ------------------------------------------------------------ */

/* Empty the transmit ring by polling, oldest byte first. Irqs off. At
   most CON_TX_RING bytes, each a bounded wait for THRE. */
static void tx_flush_polled(void)
{
    while (con.tx_count) {
        uart16550_drv_putc(&com1, con.tx[con.tx_head]);
        con.tx_head = (con.tx_head + 1) % CON_TX_RING;
        con.tx_count--;
        con.stats.tx_polled++;
    }
}

static void tx_put(uint8_t c)
{
    uint64_t flags = irq_save();

    if (!con.started || !(flags & CON_RFLAGS_IF)) {
        tx_flush_polled();               /* what was queued goes first */
        uart16550_drv_putc(&com1, c);
        con.stats.tx_polled++;
    } else if (con.tx_count == CON_TX_RING) {
        con.stats.tx_full++;
        tx_flush_polled();
        uart16550_drv_putc(&com1, c);
        con.stats.tx_polled++;
    } else {
        con.tx[(con.tx_head + con.tx_count) % CON_TX_RING] = c;
        con.tx_count++;
        if (!(con.ier & UART16550_IER_ETBEI))
            ier_set(con.ier | UART16550_IER_ETBEI); /* THR empty: THRE at once */
    }
    irq_restore(flags);
}

void platform_putc(char c)
{
    if (c == '\n')
        tx_put('\r');
    tx_put((uint8_t)c);
}

void platform_console_irq(bool on)
{
    uint64_t flags = irq_save();

    ier_set(on ? con.ier | UART16550_IER_ETBEI : con.ier & ~UART16550_IER_ETBEI);
    if (!on)
        x64_uart_read(com1.ctx, UART16550_IIR);  /* acknowledges a pending THRE */
    irq_restore(flags);
}

//! [console-thre]
/* THRE: the TX FIFO is empty. Refill it from the ring, at most a FIFO's
   worth and only up to the ring's wrap (the rest goes at the next THRE);
   with nothing left to send, stop the interrupt. Irqs off. */
static void tx_refill(void)
{
    unsigned chunk = CON_TX_RING - con.tx_head, sent;

    con.stats.thre++;
    if (!con.tx_count) {
        ier_set(con.ier & ~UART16550_IER_ETBEI);
        return;
    }
    if (chunk > con.tx_count)
        chunk = con.tx_count;
    sent = uart16550_drv_tx_fill(&com1, &con.tx[con.tx_head], chunk);
    con.tx_head = (con.tx_head + sent) % CON_TX_RING;
    con.tx_count -= sent;
    con.stats.tx_irq_bytes += sent;
}
//! [console-thre]

/* --- receive ------------------------------------------------------------- */

/* Hand the pending read what the ring holds, up to its size. Irqs off. A
   ring that had been full has room now: the receive interrupt comes back,
   and with bytes still in the FIFO the UART raises its line again. */
static unsigned rx_take(uint8_t *buf, unsigned max)
{
    unsigned n = 0;

    while (n < max && con.rx_count) {
        buf[n++] = con.rx[con.rx_head];
        con.rx_head = (con.rx_head + 1) % CON_RX_RING;
        con.rx_count--;
    }
    if (n && con.rx_stalled && con.started) {
        con.rx_stalled = false;
        ier_set(con.ier | UART16550_IER_ERBFI);
    }
    return n;
}

//! [console-rx]
/* RDA or CTI: move what the FIFO holds into the ring, as much as fits. A
   full ring turns ERBFI off: the bytes wait in the FIFO, the host waits
   for room, and a read brings the interrupt back (rx_take). Irqs off. */
static void rx_fill(void)
{
    uint8_t tmp[UART16550_FIFO_SIZE];
    unsigned room = CON_RX_RING - con.rx_count, n;

    if (!room) {
        con.rx_stalled = true;
        con.stats.rx_stalls++;
        ier_set(con.ier & ~UART16550_IER_ERBFI);
        return;
    }
    n = uart16550_drv_rx_drain(&com1, tmp, room < sizeof tmp ? room : (unsigned)sizeof tmp);
    for (unsigned i = 0; i < n; i++)
        con.rx[(con.rx_head + con.rx_count + i) % CON_RX_RING] = tmp[i];
    con.rx_count += n;
    con.stats.rx_bytes += n;
}
//! [console-rx]

/* Complete the pending read if there is something for it. Irqs off on
   entry; async_complete() is thread context, which the caller is. */
static void rx_deliver(void)
{
    unsigned n;

    if (!con.rd_live || !con.rx_count)
        return;
    n = rx_take(con.rd_buf, con.rd_max);
    con.rd_live = false;
    async_complete(&kernel_rt, con.rd, (int)n);
}

static void serve(uint8_t source)
{
    switch (source) {
    case UART16550_IIR_RLS:              /* reading LSR clears it */
        con.stats.rls++;
        con.stats.rx_errors |= x64_uart_read(com1.ctx, UART16550_LSR) &
                               (UART16550_LSR_OE | UART16550_LSR_PE | UART16550_LSR_FE |
                                UART16550_LSR_BI);
        break;
    case UART16550_IIR_RDA:
        con.stats.rda++;
        rx_fill();
        break;
    case UART16550_IIR_CTI:
        con.stats.cti++;
        rx_fill();
        break;
    case UART16550_IIR_THRE:             /* the IIR read acknowledged it */
        tx_refill();
        break;
    default:                             /* MSR: never enabled; reading clears it */
        x64_uart_read(com1.ctx, UART16550_MSR);
        break;
    }
}

//! [console-irq]
/* COM1's interrupt, run from the loop. The chip has one output for all
   its sources, and an ISA line is an edge: a source left pending keeps the
   line high, and no edge would come for anything after it. So serve IIR
   until it says none; a call that stops at its bound raises the irq again,
   and the loop comes back after its other work. */
static void console_irq(void *ctx, unsigned irq)
{
    uint64_t flags = irq_save();
    unsigned round;

    (void)ctx;
    con.stats.irqs++;
    for (round = 0; con.started && round < CON_ROUNDS; round++) {
        uint8_t source = uart16550_drv_irq_source(&com1);

        if (source == UART16550_IIR_NONE)
            break;
        serve(source);
    }
    rx_deliver();
    if (round == CON_ROUNDS) {
        con.stats.rearms++;
        platform_irq_trigger(irq);
    }
    irq_restore(flags);
}
//! [console-irq]

/* --- the async read ---------------------------------------------------- */

//! [console-read]
/* Backend: bytes already in the ring complete the read at once; else it
   waits for the next RDA or CTI, with the receive interrupt on. */
static void read_submit(async_work *w)
{
    uint64_t flags = irq_save();

    if (!con.started || w != con.rd) {
        irq_restore(flags);
        async_complete(&kernel_rt, w, X64_CONSOLE_EIO);
        return;
    }
    con.rd_live = true;
    if (!con.rx_stalled && !(con.ier & UART16550_IER_ERBFI))
        ier_set(con.ier | UART16550_IER_ERBFI);
    rx_deliver();
    irq_restore(flags);
}

static void read_cancel(async_work *w)
{
    uint64_t flags = irq_save();
    bool mine = con.rd_live && w == con.rd;

    if (mine)
        con.rd_live = false;
    irq_restore(flags);
    if (mine)
        async_complete(&kernel_rt, w, ASYNC_CANCELLED);
}

static const async_ops read_ops = { read_submit, read_cancel };

bool x64_console_read(async_work *w, uint8_t *buf, unsigned max,
                      void (*done)(async_work *w, int result), void *ctx)
{
    if (!con.started || !buf || !max || async_state_of(w) != ASYNC_DEAD ||
        (con.rd && con.rd != w && async_state_of(con.rd) != ASYNC_DEAD))
        return false;
    async_work_init(w, &read_ops, done, ctx);
    con.rd = w;
    con.rd_buf = buf;
    con.rd_max = max;
    return async_submit(&kernel_rt, w);
}
//! [console-read]

/* --- start, stop, flush ---------------------------------------------------- */

bool x64_console_start(void)
{
    uint64_t flags;

    if (con.started)
        return true;
    if (!con.registered) {
        con.irq = x64_console_irq();
        if (!kernel_irq_register(con.irq, console_irq, 0))
            return false;
        con.registered = true;
    } else {
        kernel_irq_on(con.irq);
    }
    flags = irq_save();
    /* What arrived before now is no one's: clear the receive FIFO (the
       trigger level stays) and the errors LSR has latched. */
    x64_uart_write(com1.ctx, UART16550_FCR, (uint8_t)(UART16550_FCR_ENABLE | UART16550_FCR_CLR_RX |
                                                 con.trig));
    x64_uart_read(com1.ctx, UART16550_LSR);
    con.rx_head = con.rx_count = 0;
    con.rx_stalled = false;
    con.started = true;
    ier_set((uint8_t)(con.ier | UART16550_IER_ERBFI | UART16550_IER_ELSI));
    irq_restore(flags);
    return true;
}

void x64_console_flush(void)
{
    uint64_t flags = irq_save();

    tx_flush_polled();
    for (unsigned n = 0; n < CON_TEMT_MAX; n++) {
        uint8_t lsr = x64_uart_read(com1.ctx, UART16550_LSR);

        if (lsr == 0xff || (lsr & UART16550_LSR_TEMT))
            break;
    }
    irq_restore(flags);
}

void x64_console_stop(void)
{
    uint64_t flags;
    bool live;

    if (!con.started)
        return;
    flags = irq_save();
    con.started = false;
    ier_set(0);
    x64_uart_read(com1.ctx, UART16550_IIR);   /* acknowledges a pending THRE */
    tx_flush_polled();
    live = con.rd_live;
    con.rd_live = false;
    irq_restore(flags);
    kernel_irq_off(con.irq);
    if (live)
        async_complete(&kernel_rt, con.rd, ASYNC_CANCELLED);
}

const struct x64_console_stats *x64_console_stats(void)
{
    return &con.stats;
}

void x64_console_print_stats(const char *tag)
{
    const struct x64_console_stats *s = &con.stats;

    kprintf("%s: console: %u interrupts: %u RDA, %u CTI, %u THRE, %u RLS, %u re-raised\n", tag,
            s->irqs, s->rda, s->cti, s->thre, s->rls, s->rearms);
    kprintf("%s: console: %u bytes in, %u ring stalls; %u bytes out by interrupt, "
            "%u by polling, %u ring full\n", tag, s->rx_bytes, s->rx_stalls, s->tx_irq_bytes,
            s->tx_polled, s->tx_full);
}

/* --- the demo's interactive mode ------------------------------------------ */

/* expect lines: tests/kernel/demo-*.expect, since each way out differs. */
#define DEMO_LINE 80

struct demo_line {
    char buf[DEMO_LINE];
    unsigned len;
    bool cr;                   /* the last byte was \r: a \n after it is the same Enter */
};

static struct {
    struct demo_line serial, kbd;
    async_work rd;
    uint8_t rx[64];
    bool verbose, quit, reboot, reboot_kbd;
} demo;


static bool same(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static void demo_command(struct demo_line *l)
{
    l->buf[l->len] = 0;
    l->len = 0;
    if (!l->buf[0])
        return;
    kprintf("demo: you typed: %s\n", l->buf);
    if (same(l->buf, "quit"))
        demo.quit = true;
    else if (same(l->buf, "reboot"))
        demo.reboot = true;
    else if (same(l->buf, "reboot kbd"))
        demo.reboot = demo.reboot_kbd = true;
}

/* One typed character, from either source: Enter (\r, \n or \r\n) ends
   the line, backspace takes one back; other control bytes and bytes above
   0x7e are dropped, so a hostile host cannot drive the terminal. */
static void demo_char(struct demo_line *l, char c)
{
    bool cr = l->cr;

    l->cr = c == '\r';
    if (c == '\n' && cr)
        return;
    if (c == '\r' || c == '\n') {
        kprintf("\n");
        demo_command(l);
    } else if (c == '\b' || c == 0x7f) {
        if (l->len) {
            l->len--;
            kprintf("\b \b");
        }
    } else if (c >= 0x20 && c <= 0x7e && l->len < DEMO_LINE - 1) {
        l->buf[l->len++] = c;
        kprintf("%c", c);
    }
}

static void demo_read_done(async_work *w, int n)
{
    for (int i = 0; i < n && !demo.quit && !demo.reboot; i++)
        demo_char(&demo.serial, (char)demo.rx[i]);
    if (n >= 0 && !demo.quit && !demo.reboot &&
        !x64_console_read(w, demo.rx, sizeof demo.rx, demo_read_done, 0))
        kprintf("demo: the console refused a read\n");
}

static void demo_key(void *ctx, uint8_t usage, bool pressed, char c)
{
    (void)ctx;
    if (demo.verbose)
        kprintf("kbd: key 0x%02x %s\n", usage, pressed ? "down" : "up");
    if (c && !demo.quit && !demo.reboot)
        demo_char(&demo.kbd, c);
}

static void demo_mouse(void *ctx, int dx, int dy, unsigned buttons)
{
    (void)ctx;
    kprintf("mouse: dx %d dy %d buttons %u\n", dx, dy, buttons);
}

static bool demo_done(void *ctx)
{
    (void)ctx;
    return demo.quit || demo.reboot;
}

//! [demo-interactive]
void arch_demo_interactive(const struct boot_info *bi)
{
    const struct x64_kbd_hooks hooks = { demo_key, demo_mouse, 0 };
    struct x64_kbd_info info;
    bool kbd;

    if (!kernel_cmdline_has(bi->cmdline, "interactive"))
        return;
    demo.verbose = kernel_cmdline_has(bi->cmdline, "verbose");
    platform_irq_off();                  /* x64_kbd_init() polls the i8042 */
    kbd = x64_kbd_init(false, &hooks, &info);
    if (!x64_console_start() || !x64_console_read(&demo.rd, demo.rx, sizeof demo.rx,
                                                  demo_read_done, 0)) {
        kprintf("demo: the console's interrupt could not be set up\n");
        platform_exit(1);
    }
    kprintf("demo: keyboard %s, mouse %s\n", kbd ? "ready" : "not found",
            info.mouse ? "ready" : "not found");
    kprintf("demo: interactive: type a line (serial or keyboard); 'reboot' resets "
            "('reboot kbd' through the keyboard controller), 'quit' ends\n");
    kernel_loop(demo_done, 0);
    if (demo.reboot_kbd) {
        kprintf("demo: reboot: pulsing the reset line through the keyboard controller\n");
        x64_console_stop();
        x64_kbd_reboot();
        kprintf("demo: the machine did not reset\n");
        platform_exit(1);
    }
    if (demo.reboot) {
        kprintf("demo: reboot: resetting the machine\n");
        x64_console_stop();              /* the rest is polled: x64_reset() prints */
        x64_reset();
        kprintf("demo: the machine did not reset\n");
        platform_exit(1);
    }
    kprintf("demo: quit\n");
    x64_console_print_stats("demo");
    x64_console_stop();
}
//! [demo-interactive]
