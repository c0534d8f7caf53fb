/* tx-flood.c - 1 MiB out of COM1: the host reads every byte, and a host
   that stops reading holds the guest back without stopping it (x64 only).

   The kernel prints `tx-flood: start`, then writes 1048576 bytes to COM1
   by polling LSR.THRE: each time the transmitter is empty it loads up to
   16 bytes, a FIFO's worth (uart16550_drv_tx_fill()). The bytes are 16384
   lines of 64: line n (from 0) is n as 8 hex digits, a space, 54
   characters of the 62 `A..Za..z0..9` starting at the (n mod 62)th, and a
   newline, with no carriage return (the console's \r\n is kprintf's, and
   the flood does not go through it). Then it prints
       tx-flood: sent 1048576 bytes, checksum 0x........
   with the FNV-1a (32 bits) of exactly those bytes. tests/flood_check,
   which reads the console output, finds the bytes between the start line
   and that one, counts and sums them itself and says whether they match.

   A full transmitter is the host's back-pressure (bbvm holds THRE low
   while its output ring is full; QEMU instead stops the vCPU inside the
   THR write until its own write succeeds). Every wait is bounded: if
   THRE stays low for TX_STUCK_MS of platform_now(), the flood stops with
   a FAIL line and the kernel exits 1, so a host that never reads again
   cannot hang the guest. The longest time between two loads of the FIFO
   (the wait for THRE and the THR writes together, so QEMU's stop counts
   too) is printed after the flood; `tx-flood: never stuck` says it stayed
   below the bound. tests/flood.sh also runs the flood with a reader that
   pauses for 2 s after the start line: the same bytes must arrive.

   The flood runs with interrupts off, straight after boot, on the chip
   the console polls: the console's interrupt-driven mode is never started
   here, so nothing else writes to COM1 meanwhile.

   It is not named ktest-*.c: those are booted without the host's judge. */
// expect: tx-flood: start
// expect: tx-flood: sent 1048576 bytes, checksum 0x420c8a5d
// expect: flood: 1048576 bytes, checksum 0x420c8a5d match
// expect: tx-flood: never stuck
// expect: tx-flood: pass
// expect-status: 0
#include "ktest.h"

#define UART16550_IMPLEMENTATION
#define UART16550_STATIC
#include "uart16550.h"

#define TX_BYTES    1048576u    /* 1 MiB */
#define TX_LINE     KTEST_LINE  /* bytes per pattern line (ktest.h), its \n included */
#define TX_STUCK_MS 10000u      /* THRE low this long: the host is not reading */
#define TX_TEMT_MAX 1000000u    /* LSR polls while the console's bytes leave */

static uart16550_drv com1 = { x64_uart_read, x64_uart_write,
                             (void *)(uintptr_t)UART16550_PC_COM1_PORT };

struct tx {
    uint32_t sent, sum;
    uint64_t last;              /* platform_now() at the last load */
    uint64_t longest;           /* ns: the longest time between two loads */
    uint32_t loads;             /* FIFO loads (THRE seen) */
    bool stuck;
};

//! [send]
/* Send buf[0..n) as THRE lets us: a FIFO's worth per THRE. False if THRE
   stayed low for TX_STUCK_MS. */
static bool tx_send(struct tx *tx, const uint8_t *buf, unsigned n)
{
    unsigned done = 0;

    while (done < n) {
        unsigned k = uart16550_drv_tx_fill(&com1, buf + done, n - done);
        uint64_t now = platform_now();

        if (k) {
            if (now - tx->last > tx->longest)
                tx->longest = now - tx->last;
            tx->last = now;
            tx->loads++;
            done += k;
        } else if (now - tx->last > timer_ms(TX_STUCK_MS)) {
            return false;       /* bounded: the host has stopped reading */
        }
    }
    return true;
}
//! [send]

/* A line of our own through the same path: the start marker must not
   overtake, or be overtaken by, the flood. */
static bool tx_text(struct tx *tx, const char *s)
{
    unsigned n = 0;

    while (s[n])
        n++;
    return tx_send(tx, (const uint8_t *)s, n);
}

_Noreturn void kmain(const struct boot_info *bi)
{
    static struct tx tx = { .sum = KTEST_FNV1A_BASIS };
    uint8_t line[TX_LINE];
    uint64_t t0, ms;
    unsigned n;

    kernel_init(bi);
    check((com1.read(com1.ctx, UART16550_IIR) & UART16550_IIR_FIFO) == UART16550_IIR_FIFO,
          "IIR bits 7:6 do not say the FIFOs are on: one byte per THRE");
    /* The boot log's last bytes out of the chip first (TEMT), bounded. */
    for (n = 0; n < TX_TEMT_MAX; n++)
        if (com1.read(com1.ctx, UART16550_LSR) & UART16550_LSR_TEMT)
            break;
    platform_irq_off();
    tx.last = t0 = platform_now();
    if (!tx_text(&tx, "tx-flood: start\r\n"))
        tx.stuck = true;
    for (uint32_t i = 0; !tx.stuck && i < TX_BYTES / TX_LINE; i++) {
        ktest_pattern_line(line, i);
        if (!tx_send(&tx, line, TX_LINE)) {
            tx.stuck = true;
            break;
        }
        for (n = 0; n < TX_LINE; n++)
            tx.sum = ktest_fnv1a(tx.sum, line[n]);
        tx.sent += TX_LINE;
    }
    ms = (platform_now() - t0) / timer_ms(1);
    /* A stuck line was only partly sent: the count says what is certain. */
    kprintf("tx-flood: sent %u bytes, checksum 0x%08x\n", tx.sent, tx.sum);
    kprintf("tx-flood: %llu ms, %u FIFO loads, longest time between two: %llu ms (bound %u ms)\n",
            (unsigned long long)ms, tx.loads, (unsigned long long)(tx.longest / timer_ms(1)),
            TX_STUCK_MS);
    check(!tx.stuck, "THRE stayed low for the whole bound: the host stopped reading");
    check(tx.sent == TX_BYTES, "not every byte was sent");
    if (!tx.stuck)
        kprintf("tx-flood: never stuck\n");
    ktest_end("tx-flood");
}
