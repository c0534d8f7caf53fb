/* qtest.c - the board driven without a CPU, over QEMU's qtest protocol.

   `bbvm --qtest` builds the same board as a KVM run, through the same code
   (board.c), puts guest RAM and the firmware tables in place, and creates
   no VM and no vCPU. Instead it reads requests, one per line, from standard
   input (or a Unix socket it connects to, as QEMU does to libqtest's), and
   answers each with one line: `OK`, `OK VALUE` or `FAIL reason`. Time is
   virtual: the board's clock starts at 0 and moves only by clock_step and
   clock_set, and every model deadline on the way is run in order, so a
   script gives the same answers on every run and every machine.

   QEMU's verbs, with QEMU's answers:
     outb|outw|outl PORT VALUE      OK
     inb|inw|inl PORT               OK 0xVALUE (at least 4 hex digits)
     writeb|writew|writel|writeq ADDR VALUE   OK   (RAM, else the board's MMIO)
     readb|readw|readl|readq ADDR   OK 0xVALUE (16 hex digits)
     read ADDR SIZE                 OK 0xHEX   (guest RAM only)
     write ADDR SIZE 0xHEX          OK         (guest RAM; short data is zero-filled)
     memset ADDR SIZE BYTE          OK         (guest RAM)
     clock_step [NS]                OK NOW     (no NS: to the next deadline)
     clock_set NS                   OK NOW
     irq_intercept_in ioapic|pic    OK, then `IRQ raise N` / `IRQ lower N`
                                    whenever input N of that controller changes
     irq_intercept_out pic          OK, then `IRQ raise 0` / `IRQ lower 0` for INT
     endianness                     OK little
   What QEMU's protocol has no word for (book/qtest.md documents each):
     irq_intercept_out ioapic       OK, then `MSI 0xADDR 0xDATA` for every
                                    interrupt message the IOAPIC or a PCI
                                    function's MSI-X table sends (what
                                    KVM_SIGNAL_MSI would carry to the LAPIC);
                                    may join irq_intercept_in ioapic (one
                                    device, both sides)
     extint_ack                     OK 0xVECTOR: the LAPIC's acknowledge cycle
                                    of the 8259 pair's INT (ExtINT)
     eoi VECTOR                     OK: the LAPIC's EOI broadcast
     uart_tx                        OK 0xHEX: the bytes COM1 sent since the last uart_tx
     uart_rx 0xHEX                  OK N: bytes put on COM1's wire; N it took
     vcon_tx                        OK 0xHEX: the bytes the virtio consoles sent
                                    since the last vcon_tx
     vcon_input 0xHEX               OK N: host input for the virtio console
                                    (board_virtio_console_input); N it took
     kbd_key USAGE 0|1              OK (OK 0: the keyboard's queue was full):
                                    a key by its USB HID usage, 1 pressed, 0
                                    released, typed on the i8042's keyboard
     mouse_move DX DY DZ BUTTONS    OK: the PS/2 mouse moved (signed counts)
     system_reset                   OK: every device back to power-on
   A write to the debug-exit port (0xf4), soft-off (SLP_EN with \_S5's type)
   and a reset request (RST_CPU at 0xcf9) are answered OK and end the
   session with the exit status a KVM run would end with (board.h), as
   QEMU exits.

   The peer is untrusted: a malformed request (unknown verb, bad number,
   wrong count of arguments, an address or size out of range, a line over
   QTEST_LINE_MAX bytes or with a NUL byte in it) is answered `FAIL line N:
   why` and changes nothing; a line of only blanks gets no answer; end of
   input ends the session with status 0.

   The virtio entropy devices draw on a source that is not random at all,
   so that a transcript can say what the guest gets: the session's k-th
   byte (from 0) is (k + 1) mod 256, that is 01 02 03 ... ff 00 01 ... */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm.h"

/* The longest request: `write ADDR SIZE 0xHEX` of QTEST_BULK_MAX bytes. */
#define QTEST_BULK_MAX (64u * 1024)
#define QTEST_LINE_MAX (2 * QTEST_BULK_MAX + 128)
#define QTEST_WORDS 8
/* COM1's output kept for uart_tx; past this, the oldest bytes go. */
#define QTEST_TX_MAX 65536u
/* Model deadlines one clock request runs one by one; past this many the
   clock jumps to its target (book/security.md, rule 2: bounded work per
   request, whatever span of time a peer asks for). */
#define QTEST_STEPS_MAX 100000u

/* What is intercepted: bits, all of one device (QEMU's rule). */
enum intercept { ICPT_NONE = 0, ICPT_IOAPIC_IN = 1, ICPT_PIC_IN = 2, ICPT_PIC_OUT = 4,
                 ICPT_IOAPIC_OUT = 8 };
#define ICPT_IOAPIC (ICPT_IOAPIC_IN | ICPT_IOAPIC_OUT)

struct qtest {
    struct vm *vm;
    FILE *in, *out;
    uint64_t now;                       /* the virtual clock, ns */
    unsigned long line;                 /* number of the request being served */
    unsigned icpt;                      /* enum intercept bits */
    bool stop;                          /* the board asked to end the session */
    int status;                         /* ... with this exit status */
    uint8_t tx[QTEST_TX_MAX];           /* ring of COM1's output */
    size_t tx_head, tx_len;
    uint8_t vtx[QTEST_TX_MAX];          /* ring of the virtio consoles' output */
    size_t vtx_head, vtx_len;
    uint64_t entropy_k;                 /* bytes the entropy source has given */
    char buf[QTEST_LINE_MAX + 2];       /* the request, and the reply built */
    char reply[2 * QTEST_BULK_MAX + 64];
};

/* ---- the board's edge, as events on the line ------------------------------ */

static uint64_t q_now(void *ctx)
{
    return ((struct qtest *)ctx)->now;
}

//! [qtest-irq]
/* The IOAPIC's pin for ISA line n is n, except the PIT's IRQ0, which PC
   boards wire to pin 2 (irq_lines_wire_pc). */
static void q_line(void *ctx, unsigned line, bool level)
{
    struct qtest *q = ctx;
    unsigned n = line;

    if (q->icpt & ICPT_IOAPIC_IN)
        n = line == 0 ? 2 : line;
    else if (!(q->icpt & ICPT_PIC_IN) || line >= 16)
        return;
    fprintf(q->out, "IRQ %s %u\n", level ? "raise" : "lower", n);
}

static void q_extint(void *ctx, bool level)
{
    struct qtest *q = ctx;

    if (q->icpt & ICPT_PIC_OUT)
        fprintf(q->out, "IRQ %s 0\n", level ? "raise" : "lower");
}

static void q_msi(void *ctx, const ioapic_msi *m)
{
    struct qtest *q = ctx;

    if (q->icpt & ICPT_IOAPIC_OUT)
        fprintf(q->out, "MSI 0x%" PRIx64 " 0x%" PRIx32 "\n", (uint64_t)m->address,
                (uint32_t)m->data);
}
//! [qtest-irq]

/* Into a ring of QTEST_TX_MAX bytes; full, the oldest go. */
static void ring_put(uint8_t *ring, size_t *head, size_t *len, uint8_t byte)
{
    if (*len == QTEST_TX_MAX) {
        *head = (*head + 1) % QTEST_TX_MAX;
        --*len;
    }
    ring[(*head + (*len)++) % QTEST_TX_MAX] = byte;
}

static bool q_tx(void *ctx, uint8_t byte)
{
    struct qtest *q = ctx;

    ring_put(q->tx, &q->tx_head, &q->tx_len, byte);
    return true;
}

static size_t q_vcon_tx(void *ctx, const void *buf, size_t n)
{
    struct qtest *q = ctx;
    const uint8_t *p = buf;

    for (size_t i = 0; i < n; i++)
        ring_put(q->vtx, &q->vtx_head, &q->vtx_len, p[i]);
    return n;
}

/* The entropy source of a session: 01 02 03 ... (see the top). */
static size_t q_entropy(void *ctx, void *buf, size_t n)
{
    struct qtest *q = ctx;
    uint8_t *p = buf;

    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(++q->entropy_k);
    return n;
}

static void q_exit(void *ctx, int status)
{
    struct qtest *q = ctx;

    q->stop = true;
    q->status = status;
}

/* ---- virtual time ---------------------------------------------------------- */

//! [qtest-clock]
/* Move the clock to `target`, stopping at every deadline on the way so that
   each model runs at the time it asked for, in order. A model that asks
   for a time already past (it must not) still makes the clock move. */
static void clock_to(struct qtest *q, uint64_t target)
{
    struct board *b = &q->vm->board;
    uint64_t next = board_advance(b, q->now);
    unsigned steps = 0;

    while (next <= target && steps++ < QTEST_STEPS_MAX) {
        q->now = next > q->now ? next : q->now + 1;
        next = board_advance(b, q->now);
    }
    q->now = target;
    board_advance(b, target);
}
//! [qtest-clock]

/* ---- parsing ------------------------------------------------------------------ */

/* A number as QEMU reads one (strtoull base 0: 0x hex, 0 octal, else
   decimal), but all of the word, and no overflow. */
static bool number(const char *s, uint64_t *out)
{
    unsigned base = 10;
    uint64_t v = 0;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    else if (s[0] == '0' && s[1])
        base = 8, s++;
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0')
                   : *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10)
                   : *s >= 'A' && *s <= 'F' ? (unsigned)(*s - 'A' + 10) : 99;

        if (d >= base || v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* ---- serving one request ------------------------------------------------------ */

__attribute__((format(printf, 2, 3)))
static void fail(struct qtest *q, const char *fmt, ...)
{
    va_list ap;

    fprintf(q->out, "FAIL line %lu: ", q->line);
    va_start(ap, fmt);
    vfprintf(q->out, fmt, ap);
    va_end(ap);
    fputc('\n', q->out);
}

/* Answer FAIL and give up on the request (in functions returning void). */
#define FAIL(...) do { fail(q, __VA_ARGS__); return; } while (0)

static unsigned width_of(char c)
{
    return c == 'b' ? 1 : c == 'w' ? 2 : c == 'l' ? 4 : c == 'q' ? 8 : 0;
}

/* [addr, addr + len) inside guest RAM, without wrapping. */
static bool in_ram(const struct qtest *q, uint64_t addr, uint64_t len)
{
    return addr <= q->vm->ram_size && len <= q->vm->ram_size - addr;
}

/* Parse argument `i` of `w` as a number, or say why not. */
static bool arg(struct qtest *q, char **w, int i, uint64_t *v)
{
    if (!number(w[i], v)) {
        fail(q, "%s: bad number '%.40s'", w[0], w[i]);
        return false;
    }
    return true;
}

/* A signed decimal or hex number within +-limit: "-5", "0x10". */
static bool signed_arg(struct qtest *q, char **w, int i, int64_t limit, int64_t *v)
{
    const char *s = w[i];
    bool neg = *s == '-';
    uint64_t u;

    if (!number(s + neg, &u) || u > (uint64_t)limit) {
        fail(q, "%s: bad number '%.40s' (want -%lld..%lld)", w[0], w[i], (long long)limit,
             (long long)limit);
        return false;
    }
    *v = neg ? -(int64_t)u : (int64_t)u;
    return true;
}

static void do_out(struct qtest *q, char **w, unsigned width)
{
    uint64_t port, v;

    if (!arg(q, w, 1, &port) || !arg(q, w, 2, &v))
        return;
    if (port > 0xffff || width > 0x10000 - port)
        FAIL("%s: port %#" PRIx64 " is outside 0..0xffff", w[0], port);
    if (width < 8 && v >> (8 * width))
        FAIL("%s: value %#" PRIx64 " is wider than %u byte(s)", w[0], v, width);
    board_pio_write(&q->vm->board, (uint16_t)port, width, v);
    fputs("OK\n", q->out);
}

static void do_in(struct qtest *q, char **w, unsigned width)
{
    uint64_t port;

    if (!arg(q, w, 1, &port))
        return;
    if (port > 0xffff || width > 0x10000 - port)
        FAIL("%s: port %#" PRIx64 " is outside 0..0xffff", w[0], port);
    fprintf(q->out, "OK 0x%04" PRIx64 "\n", board_pio_read(&q->vm->board, (uint16_t)port, width));
}

/* readX/writeX: guest RAM where the bytes are RAM, the board's MMIO where
   none is; an access with a foot in each is refused. */
static void do_write(struct qtest *q, char **w, unsigned width)
{
    uint64_t addr, v;

    if (!arg(q, w, 1, &addr) || !arg(q, w, 2, &v))
        return;
    if (width < 8 && v >> (8 * width))
        FAIL("%s: value %#" PRIx64 " is wider than %u byte(s)", w[0], v, width);
    if (addr > UINT64_MAX - (width - 1))
        FAIL("%s: address %#" PRIx64 " wraps", w[0], addr);
    if (in_ram(q, addr, width)) {
        for (unsigned i = 0; i < width; i++)
            q->vm->ram[addr + i] = (uint8_t)(v >> (8 * i));
    } else if (addr >= q->vm->ram_size) {
        board_mmio_write(&q->vm->board, addr, width, v);
    } else {
        FAIL("%s: %#" PRIx64 " straddles the end of RAM", w[0], addr);
    }
    fputs("OK\n", q->out);
}

static void do_read(struct qtest *q, char **w, unsigned width)
{
    uint64_t addr, v = 0;

    if (!arg(q, w, 1, &addr))
        return;
    if (addr > UINT64_MAX - (width - 1))
        FAIL("%s: address %#" PRIx64 " wraps", w[0], addr);
    if (in_ram(q, addr, width)) {
        for (unsigned i = 0; i < width; i++)
            v |= (uint64_t)q->vm->ram[addr + i] << (8 * i);
    } else if (addr >= q->vm->ram_size) {
        v = board_mmio_read(&q->vm->board, addr, width);
    } else {
        FAIL("%s: %#" PRIx64 " straddles the end of RAM", w[0], addr);
    }
    fprintf(q->out, "OK 0x%016" PRIx64 "\n", v);
}

/* ADDR SIZE of a bulk request: inside RAM, at most QTEST_BULK_MAX bytes
   for read and write (memset may cover all of RAM). */
static bool bulk(struct qtest *q, char **w, uint64_t *addr, uint64_t *size, uint64_t max)
{
    if (!arg(q, w, 1, addr) || !arg(q, w, 2, size))
        return false;
    if (*size > max) {
        fail(q, "%s: size %" PRIu64 " is over the limit of %" PRIu64, w[0], *size, max);
        return false;
    }
    if (!in_ram(q, *addr, *size)) {
        fail(q, "%s: %#" PRIx64 "+%" PRIu64 " is not inside guest RAM (%" PRIu64 " bytes)",
             w[0], *addr, *size, q->vm->ram_size);
        return false;
    }
    return true;
}

static void reply_hex(struct qtest *q, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *r = q->reply;

    r += sprintf(r, "OK 0x");
    for (size_t i = 0; i < n; i++) {
        *r++ = digits[p[i] >> 4];
        *r++ = digits[p[i] & 15];
    }
    *r++ = '\n';
    fwrite(q->reply, 1, (size_t)(r - q->reply), q->out);
}

/* 0xHEX into `out` (at most `max` bytes, zero-filled up to `want`). */
static bool hex_data(struct qtest *q, const char *verb, const char *s, uint8_t *out,
                     size_t want, size_t *got)
{
    size_t n;

    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return fail(q, "%s: data must start with 0x", verb), false;
    s += 2;
    n = strlen(s);
    if (n % 2 || n / 2 > want)
        return fail(q, "%s: %zu hex digit(s) for %zu byte(s)", verb, n, want), false;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return fail(q, "%s: '%c%c' is not hex", verb, s[2 * i], s[2 * i + 1]), false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    memset(out + n / 2, 0, want - n / 2);
    *got = n / 2;
    return true;
}

static void do_intercept(struct qtest *q, char **w)
{
    bool in = w[0][14] == 'i';
    enum intercept want = ICPT_NONE;

    if (strcmp(w[1], "ioapic") == 0)
        want = in ? ICPT_IOAPIC_IN : ICPT_IOAPIC_OUT;
    else if (strcmp(w[1], "pic") == 0)
        want = in ? ICPT_PIC_IN : ICPT_PIC_OUT;
    if (want == ICPT_NONE)
        FAIL("%s: no device '%.40s' (ioapic or pic)", w[0], w[1]);
    /* one device at a time; the IOAPIC's inputs and messages together */
    if (((q->icpt | want) & ICPT_IOAPIC) && ((q->icpt | want) & ~(unsigned)ICPT_IOAPIC))
        FAIL("IRQ intercept already enabled");
    q->icpt |= want;
    fputs("OK\n", q->out);
}

static void do_clock(struct qtest *q, char **w, int n)
{
    uint64_t v;

    if (strcmp(w[0], "clock_set") == 0) {
        if (n != 2)
            FAIL("clock_set: want 1 argument, got %d", n - 1);
        if (!arg(q, w, 1, &v))
            return;
        if (v < q->now)
            FAIL("clock_set: %" PRIu64 " is before now (%" PRIu64 "); time only runs forward",
                 v, q->now);
        clock_to(q, v);
    } else if (n == 2) {
        if (!arg(q, w, 1, &v))
            return;
        if (v > UINT64_MAX - q->now)
            FAIL("clock_step: %" PRIu64 " ns runs past the end of time", v);
        clock_to(q, q->now + v);
    } else {
        v = board_advance(&q->vm->board, q->now);
        if (v != CHIPSET_NEVER)
            clock_to(q, v > q->now ? v : q->now);
    }
    fprintf(q->out, "OK %" PRIu64 "\n", q->now);
}

/* One request: split into words (spaces and tabs), then served. */
static void serve(struct qtest *q, char *line)
{
    struct vm *vm = q->vm;
    char *w[QTEST_WORDS + 1] = { 0 };
    int n = 0;
    uint64_t a, b, c;
    size_t got;

    for (char *t = strtok(line, " \t\r"); t; t = strtok(NULL, " \t\r")) {
        if (n == QTEST_WORDS)
            FAIL("more than %d words", QTEST_WORDS);
        w[n++] = t;
    }
    if (n == 0)
        return;                                     /* an empty line: no answer */
    const char *v = w[0];
    size_t len = strlen(v);
#define ARGS(k) do { if (n != (k) + 1) FAIL("%s: want %d argument(s), got %d", v, (k), n - 1); } while (0)

    if (len == 4 && strncmp(v, "out", 3) == 0 && width_of(v[3]) && v[3] != 'q') {
        ARGS(2);
        do_out(q, w, width_of(v[3]));
    } else if (len == 3 && strncmp(v, "in", 2) == 0 && width_of(v[2]) && v[2] != 'q') {
        ARGS(1);
        do_in(q, w, width_of(v[2]));
    } else if (len == 6 && strncmp(v, "write", 5) == 0 && width_of(v[5])) {
        ARGS(2);
        do_write(q, w, width_of(v[5]));
    } else if (len == 5 && strncmp(v, "read", 4) == 0 && width_of(v[4])) {
        ARGS(1);
        do_read(q, w, width_of(v[4]));
    } else if (strcmp(v, "read") == 0) {
        ARGS(2);
        if (bulk(q, w, &a, &b, QTEST_BULK_MAX))
            reply_hex(q, vm->ram + a, (size_t)b);
    } else if (strcmp(v, "write") == 0) {
        ARGS(3);
        if (bulk(q, w, &a, &b, QTEST_BULK_MAX) &&
            hex_data(q, v, w[3], (uint8_t *)q->reply, (size_t)b, &got)) {
            memcpy(vm->ram + a, q->reply, (size_t)b);
            fputs("OK\n", q->out);
        }
    } else if (strcmp(v, "memset") == 0) {
        ARGS(3);
        if (bulk(q, w, &a, &b, vm->ram_size) && arg(q, w, 3, &c)) {
            if (c > 0xff)
                FAIL("memset: byte %#" PRIx64 " is over 0xff", c);
            memset(vm->ram + a, (int)c, (size_t)b);
            fputs("OK\n", q->out);
        }
    } else if (strcmp(v, "clock_step") == 0 || strcmp(v, "clock_set") == 0) {
        if (n > 2)
            FAIL("%s: want at most 1 argument, got %d", v, n - 1);
        do_clock(q, w, n);
    } else if (strcmp(v, "irq_intercept_in") == 0 || strcmp(v, "irq_intercept_out") == 0) {
        ARGS(1);
        do_intercept(q, w);
    } else if (strcmp(v, "endianness") == 0) {
        ARGS(0);
        fputs("OK little\n", q->out);
    } else if (strcmp(v, "extint_ack") == 0) {
        ARGS(0);
        fprintf(q->out, "OK 0x%02x\n", board_extint_ack(&vm->board));
    } else if (strcmp(v, "eoi") == 0) {
        ARGS(1);
        if (!arg(q, w, 1, &a))
            return;
        if (a > 0xff)
            FAIL("eoi: vector %#" PRIx64 " is over 0xff", a);
        board_eoi(&vm->board, (uint8_t)a);
        fputs("OK\n", q->out);
    } else if (strcmp(v, "uart_tx") == 0) {
        uint8_t out[QTEST_TX_MAX];

        ARGS(0);
        for (size_t i = 0; i < q->tx_len; i++)
            out[i] = q->tx[(q->tx_head + i) % QTEST_TX_MAX];
        got = q->tx_len;
        q->tx_head = q->tx_len = 0;
        reply_hex(q, out, got);
    } else if (strcmp(v, "uart_rx") == 0) {
        uint8_t data[256];
        unsigned took = 0;

        ARGS(1);
        if (!hex_data(q, v, w[1], data, sizeof data, &got))
            return;
        for (size_t i = 0; i < got; i++)
            took += uart16550_model_receive(&vm->board.com1, data[i]);
        fprintf(q->out, "OK %u\n", took);
    } else if (strcmp(v, "vcon_tx") == 0) {
        static uint8_t out[QTEST_TX_MAX];

        ARGS(0);
        for (size_t i = 0; i < q->vtx_len; i++)
            out[i] = q->vtx[(q->vtx_head + i) % QTEST_TX_MAX];
        got = q->vtx_len;
        q->vtx_head = q->vtx_len = 0;
        reply_hex(q, out, got);
    } else if (strcmp(v, "vcon_input") == 0) {
        uint8_t data[256];

        ARGS(1);
        if (!hex_data(q, v, w[1], data, sizeof data, &got))
            return;
        fprintf(q->out, "OK %zu\n", board_virtio_console_input(&vm->board, data, got));
    } else if (strcmp(v, "kbd_key") == 0) {
        ARGS(2);
        if (!arg(q, w, 1, &a) || !arg(q, w, 2, &b))
            return;
        if (a > 0xff || b > 1)
            FAIL("kbd_key: want a HID usage 0..0xff and 0 or 1, got %s %s", w[1], w[2]);
        fputs(board_key(&vm->board, (uint8_t)a, b == 1) ? "OK\n" : "OK 0\n", q->out);
    } else if (strcmp(v, "mouse_move") == 0) {
        int64_t dx, dy, dz, buttons;

        ARGS(4);
        if (!signed_arg(q, w, 1, 1 << 16, &dx) || !signed_arg(q, w, 2, 1 << 16, &dy) ||
            !signed_arg(q, w, 3, 1 << 16, &dz) || !signed_arg(q, w, 4, 0xff, &buttons))
            return;
        if (buttons < 0)
            FAIL("mouse_move: buttons %s is negative", w[4]);
        board_mouse(&vm->board, (int)dx, (int)dy, (int)dz, (uint8_t)buttons);
        fputs("OK\n", q->out);
    } else if (strcmp(v, "system_reset") == 0) {
        ARGS(0);
        board_reset(&vm->board);
        fputs("OK\n", q->out);
    } else {
        fail(q, "unknown command '%.40s'", v);
    }
#undef ARGS
}

/* ---- the session ---------------------------------------------------------------- */

/* Read one line into q->buf; false at end of input. A line too long for
   any valid request is swallowed to its end and reported. */
static bool next_line(struct qtest *q, bool *too_long, bool *nul)
{
    size_t n = 0;
    int c;

    *too_long = *nul = false;
    while ((c = getc(q->in)) != EOF && c != '\n') {
        *nul |= c == '\0';
        if (n < QTEST_LINE_MAX)
            q->buf[n++] = (char)c;
        else
            *too_long = true;
    }
    if (c == EOF && n == 0 && !*too_long)
        return false;
    q->buf[n] = '\0';
    return true;
}

/* libqtest listens and QEMU connects: so do we. */
static void connect_unix(FILE **in, FILE **out, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), fd2;

    if (fd < 0)
        die(STATUS_HOST, "qtest: socket: %s", strerror(errno));
    memcpy(sa.sun_path, path, strlen(path) + 1);        /* main.c checked the length */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die(STATUS_HOST, "qtest: cannot connect to %s: %s", path, strerror(errno));
    if ((fd2 = dup(fd)) < 0 || !(*in = fdopen(fd, "r")) || !(*out = fdopen(fd2, "w")))
        die(STATUS_HOST, "qtest: %s: %s", path, strerror(errno));
}

/* One session on a board built afresh (vm's RAM as it is), from `in` to
   `out` until end of input or the board's exit request: its exit status.
   Nothing a peer sends ends the process (tests/fuzz/fuzz_qtest.c serves
   session after session). */
int qtest_serve(struct vm *vm, FILE *in, FILE *out)
{
    static struct qtest q;
    struct board_hooks h = { .now = q_now, .msi = q_msi, .extint = q_extint,
                             .console_tx = q_tx, .exit = q_exit, .line = q_line,
                             .entropy = q_entropy, .vcon_tx = q_vcon_tx, .ctx = &q };
    bool too_long, nul;

    memset(&q, 0, sizeof q);
    q.vm = vm;
    q.in = in;
    q.out = out;
    board_build(vm, &h);
    while (!q.stop && next_line(&q, &too_long, &nul)) {
        q.line++;
        if (too_long)
            fail(&q, "longer than %u bytes", QTEST_LINE_MAX);
        else if (nul)
            fail(&q, "a NUL byte in the request");
        else
            serve(&q, q.buf);
        if (fflush(q.out) == EOF)
            break;                      /* the peer went away: so do we */
    }
    board_stop(&vm->board);
    return q.stop ? q.status : 0;
}

int qtest_run(struct vm *vm, const char *where)
{
    FILE *in = stdin, *out = stdout;

    if (strncmp(where, "unix:", 5) == 0)
        connect_unix(&in, &out, where + 5);
    return qtest_serve(vm, in, out);
}
