/* uart16550_fig.c - draws book/fig/uart16550-fifo.svg by running the model
   of hdr/uart16550.h and its driver, and writes it to stdout.

   At 115200 baud 8N1 a character takes 10 bits, 86805.6 ns. For each
   receive trigger level (1, 4, 8, 14) the host sends 18 bytes, one per
   character time (byte k is in the FIFO at the end of its k-th character
   time), and then nothing. The guest's driver has the receive interrupt
   on (ERBFI); HANDLER_NS after the line rises its handler reads IIR, as
   uart16550_drv_irq_source() does, and drains the FIFO with
   uart16550_drv_rx_drain(). The program moves from event to event: a byte
   arriving, the model's own deadline (the character timeout), the
   handler. After each it records the bytes in the FIFO and the
   interrupt line. Nothing depends on the host: the same SVG every run.

   Build, from book/fig: cc -std=c11 -I../../hdr uart16550_fig.c -o fig */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define UART16550_IMPLEMENTATION
#include "uart16550.h"

#define BYTES 18
#define HANDLER_NS 20000ull             /* interrupt to handler: 20 us */
#define END_NS 2200000ull               /* the figure's last instant: 2.2 ms */
#define MAXPTS 256
#define LEVELS 4

/* Byte k (1..BYTES) is complete after k character times of 10 bits. */
static uint64_t byte_ns(unsigned k)
{
    return (uint64_t)k * 10u * 1000000000u / UART16550_BAUD_BASE;
}

static uart16550_model uart;
static uint64_t board_ns;
static bool line;

static uint64_t fig_now(void *ctx) { (void)ctx; return board_ns; }
static void fig_irq(void *ctx, bool level) { (void)ctx; line = level; }
static uint8_t rd(void *ctx, unsigned reg) { return (uint8_t)uart16550_model_read(ctx, reg, 1); }
static void wr(void *ctx, unsigned reg, uint8_t v) { uart16550_model_write(ctx, reg, 1, v); }

typedef struct point { uint64_t t; int fill, line; } point;
typedef struct irq_mark { uint64_t t; uint8_t iir; } irq_mark;
typedef struct run {
    int level;
    point p[MAXPTS];
    int np;
    irq_mark m[BYTES + 1];              /* each handler run: when, and why */
    int nm;
} run;

static void record(run *r)
{
    point pt = { board_ns, UART16550_FIFO_SIZE - (int)uart16550_model_rx_space(&uart), line };

    if (r->np < MAXPTS)
        r->p[r->np++] = pt;
}

static void simulate(run *r, uint8_t fcr_trig)
{
    const uart16550_model_hooks h = { NULL, fig_irq, NULL, fig_now, NULL, NULL };
    uart16550_drv d = { rd, wr, &uart };
    uint64_t handler = UINT64_MAX, due = UART16550_NO_DEADLINE;
    unsigned next = 1;
    uint8_t buf[UART16550_FIFO_SIZE];

    board_ns = 0;
    line = false;
    r->np = r->nm = 0;
    uart16550_model_init(&uart, &h);
    uart16550_drv_init_fifo(&d, UART16550_DIVISOR_115200, fcr_trig);
    wr(&uart, UART16550_IER, UART16550_IER_ERBFI);
    record(r);
    for (;;) {
        uint64_t t = END_NS, arrive = next <= BYTES ? byte_ns(next) : UINT64_MAX;
        bool was = line;

        if (arrive < t) t = arrive;
        if (due < t) t = due;
        if (handler < t) t = handler;
        board_ns = t;
        if (t == arrive) {
            uart16550_model_receive(&uart, (uint8_t)('a' + next));
            next++;
        }
        if (t == handler) {             /* the guest's receive handler */
            uint8_t iir = uart16550_drv_irq_source(&d);

            if (r->nm <= BYTES)
                r->m[r->nm++] = (irq_mark){ t, iir };
            while (uart16550_drv_rx_drain(&d, buf, sizeof buf))
                ;
            handler = UINT64_MAX;
        }
        due = uart16550_model_poll(&uart, board_ns);
        if (line && !was && handler == UINT64_MAX)
            handler = board_ns + HANDLER_NS;
        record(r);
        if (t >= END_NS)
            return;
    }
}

/* ---- drawing ---- */

enum { LEFT = 118, RIGHT = 20, WIDTH = 880, TOP = 34, PANEL = 150, FILL_H = 80,
       LINE_Y = 100, LINE_H = 16 };

static double xat(uint64_t t)
{
    return LEFT + (double)t * (WIDTH - LEFT - RIGHT) / END_NS;
}

static double yfill(int top, int fill)
{
    return top + FILL_H - (double)fill * FILL_H / UART16550_FIFO_SIZE;
}

/* Where point i of a run is drawn: its fill, or its line's level. */
static double yval(const run *r, int i, int top, bool fill)
{
    if (fill)
        return yfill(top, r->p[i].fill);
    return top + LINE_Y + (r->p[i].line ? 0 : LINE_H);
}

/* A step plot through the recorded points: the value holds until the next. */
static void steps(const run *r, int top, bool fill, const char *colour)
{
    printf("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colour);
    for (int i = 0; i < r->np; i++) {
        if (i > 0)
            printf("%.1f,%.1f ", xat(r->p[i].t), yval(r, i - 1, top, fill));
        printf("%.1f,%.1f ", xat(r->p[i].t), yval(r, i, top, fill));
    }
    printf("\"/>\n");
}

static void panel(const run *r, int top)
{
    uint64_t last = byte_ns(BYTES);

    printf("<text x=\"10\" y=\"%d\" font-weight=\"bold\">trigger %d</text>\n", top + 16,
           r->level);
    printf("<text x=\"10\" y=\"%d\" fill=\"#555\" font-size=\"11\">FIFO bytes</text>\n",
           top + 34);
    printf("<text x=\"10\" y=\"%d\" fill=\"#555\" font-size=\"11\">interrupt</text>\n",
           top + LINE_Y + 13);
    /* the FIFO's axis: 0, 8 and 16 bytes */
    for (int f = 0; f <= 16; f += 8) {
        printf("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", LEFT,
               yfill(top, f), WIDTH - RIGHT, yfill(top, f));
        printf("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\" "
               "fill=\"#555\">%d</text>\n", LEFT - 4, yfill(top, f) + 4, f);
    }
    printf("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c0392b\" "
           "stroke-dasharray=\"5,4\"/>\n", LEFT, yfill(top, r->level), WIDTH - RIGHT,
           yfill(top, r->level));
    /* one tick per byte arriving */
    for (unsigned k = 1; k <= BYTES; k++)
        printf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n",
               xat(byte_ns(k)), yfill(top, 0), xat(byte_ns(k)), yfill(top, 0) + 5);
    steps(r, top, true, "#1f4e9c");
    steps(r, top, false, "#333333");
    for (int i = 0; i < r->nm; i++) {
        bool cti = r->m[i].iir == UART16550_IIR_CTI;

        if (!cti && r->level == 1)
            continue;                   /* one RDA per byte: too many to name */
        printf("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\" "
               "fill=\"%s\">%s</text>\n", xat(r->m[i].t), top + LINE_Y - 4,
               cti ? "#c0392b" : "#333333", cti ? "CTI" : "RDA");
        if (cti) {                      /* the timeout: from the last byte */
            double y = top + LINE_Y + LINE_H / 2;

            printf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c0392b\" "
                   "stroke-dasharray=\"2,2\"/>\n", xat(last), y, xat(r->m[i].t - HANDLER_NS), y);
            printf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\" "
                   "fill=\"#c0392b\">4 character times</text>\n",
                   (xat(last) + xat(r->m[i].t - HANDLER_NS)) / 2, y - 4);
        }
    }
    if (r->level == 1)
        printf("<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#333333\">"
               "RDA for every byte</text>\n", xat(last) + 12, top + LINE_Y - 4);
}

int main(void)
{
    static const uint8_t trig[LEVELS] = { UART16550_FCR_TRIG_1, UART16550_FCR_TRIG_4,
                                          UART16550_FCR_TRIG_8, UART16550_FCR_TRIG_14 };
    static const int levels[LEVELS] = { 1, 4, 8, 14 };
    static run runs[LEVELS];
    int height = TOP + LEVELS * PANEL + 68;

    for (int i = 0; i < LEVELS; i++) {
        runs[i].level = levels[i];
        simulate(&runs[i], trig[i]);
    }
    printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
           "font-family=\"sans-serif\" font-size=\"13\">\n", WIDTH, height);
    printf("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    /* legend */
    printf("<line x1=\"%d\" y1=\"14\" x2=\"%d\" y2=\"14\" stroke=\"#1f4e9c\" stroke-width=\"2\"/>"
           "<text x=\"%d\" y=\"18\">bytes in the receive FIFO</text>\n", LEFT, LEFT + 24,
           LEFT + 30);
    printf("<line x1=\"%d\" y1=\"14\" x2=\"%d\" y2=\"14\" stroke=\"#c0392b\" "
           "stroke-dasharray=\"5,4\"/><text x=\"%d\" y=\"18\">trigger level</text>\n",
           LEFT + 230, LEFT + 254, LEFT + 260);
    printf("<line x1=\"%d\" y1=\"14\" x2=\"%d\" y2=\"14\" stroke=\"#333333\" stroke-width=\"2\"/>"
           "<text x=\"%d\" y=\"18\">interrupt line (IIR when the handler reads it)</text>\n",
           LEFT + 370, LEFT + 394, LEFT + 400);
    /* time grid, every 0.2 ms */
    for (uint64_t t = 0; t <= END_NS; t += 200000) {
        printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eeeeee\"/>\n", xat(t),
               TOP, xat(t), TOP + LEVELS * PANEL);
        printf("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">%.1f</text>\n",
               xat(t), TOP + LEVELS * PANEL + 16, (double)t / 1e6);
    }
    printf("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">board time (ms): 18 bytes at "
           "115200 baud 8N1, one per character time (the ticks), then none;</text>\n",
           (LEFT + WIDTH) / 2, TOP + LEVELS * PANEL + 38);
    printf("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">the guest's handler reads IIR "
           "and drains the FIFO 20 us after the line rises</text>\n", (LEFT + WIDTH) / 2,
           TOP + LEVELS * PANEL + 56);
    for (int i = 0; i < LEVELS; i++)
        panel(&runs[i], TOP + i * PANEL);
    printf("</svg>\n");
    return 0;
}
