/* rtc_cmos_fig.c - draws book/fig/rtc_cmos-update.svg by running the model
   of hdr/rtc_cmos.h around one update cycle, and writes it to stdout.

   The clock is set at board time 0, so its first update ends at exactly
   1 s. The periodic rate is 2 Hz (rate 15) with PIE and UIE on; a guest
   reads C at the start, 1 ms before the update and 2 ms after it. Every 2 us from
   1 s - 3 ms to 1 s + 3 ms the program moves the model there (poll) and
   samples UIP (a read of A), the update cycle (the divider's position),
   the seconds byte, UF and PF (C as it stands, not read, since reading
   clears it) and IRQ 8 (the model's irq hook). Nothing depends on the
   host: the same SVG every run.

   Build, from book/fig: cc -std=c11 -I../../hdr rtc_cmos_fig.c -o fig */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define RTC_CMOS_IMPLEMENTATION
#include "rtc_cmos.h"

#define MS 1000000ll
#define T0 (1000 * MS - 3 * MS) /* first sample */
#define SPAN (6 * MS)
#define STEP 2000ll             /* 2 us */
#define N (SPAN / STEP + 1)
#define ROWS 6

static uint64_t now_ns;
static bool irq8;

static uint64_t fig_now(void *ctx)
{
    (void)ctx;
    return now_ns;
}

static void fig_irq(void *ctx, bool level)
{
    (void)ctx;
    irq8 = level;
}

static uint8_t rd(rtc_cmos_model *m, unsigned idx)
{
    rtc_cmos_model_write(m, RTC_CMOS_MODEL_INDEX, 1, idx);
    return (uint8_t)rtc_cmos_model_read(m, RTC_CMOS_MODEL_DATA, 1);
}

static void wr(rtc_cmos_model *m, unsigned idx, unsigned v)
{
    rtc_cmos_model_write(m, RTC_CMOS_MODEL_INDEX, 1, idx);
    rtc_cmos_model_write(m, RTC_CMOS_MODEL_DATA, 1, v);
}

static int sample[ROWS][N];
static const char *const names[ROWS] = { "UIP", "update cycle", "seconds", "UF", "PF", "IRQ 8" };

enum { LEFT = 130, TOP = 30, ROW_H = 46, WAVE_H = 24, WIDTH = 870 };

static double xat(long long i)
{
    return LEFT + (double)i * (WIDTH - LEFT - 20) / (N - 1);
}

/* A digital row: a polyline through its transitions. */
static void wave(int r)
{
    double base = TOP + r * ROW_H + WAVE_H;

    printf("<polyline fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"2\" points=\"");
    for (long long i = 0; i < N; i++) {
        double y = base - (sample[r][i] ? WAVE_H : 0);

        if (i > 0 && sample[r][i] != sample[r][i - 1])
            printf("%.1f,%.1f ", xat(i), base - (sample[r][i - 1] ? WAVE_H : 0));
        if (i == 0 || i == N - 1 || sample[r][i] != sample[r][i - 1])
            printf("%.1f,%.1f ", xat(i), y);
    }
    printf("\"/>\n");
}

/* A value row: a box per stretch of one value, labelled with it. */
static void bus(int r)
{
    double top = TOP + r * ROW_H, bot = top + WAVE_H;
    long long from = 0;

    for (long long i = 1; i <= N; i++) {
        if (i < N && sample[r][i] == sample[r][from])
            continue;
        printf("<polygon fill=\"#eef3fb\" stroke=\"#1f4e9c\" stroke-width=\"2\" "
               "points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>\n",
               xat(from), (top + bot) / 2, xat(from) + 4, top, xat(i - 1) - 4, top,
               xat(i - 1), (top + bot) / 2, xat(i - 1) - 4, bot, xat(from) + 4, bot);
        printf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%02x</text>\n",
               (xat(from) + xat(i - 1)) / 2, bot - 7, sample[r][from]);
        from = i;
    }
}

int main(void)
{
    rtc_cmos_model m;
    rtc_cmos_model_hooks h = { fig_now, fig_irq, NULL, NULL };

    rtc_cmos_model_init(&m, &h);
    wr(&m, RTC_CMOS_REG_A, RTC_CMOS_A_DV_32KHZ | 15);      /* 2 Hz */
    wr(&m, RTC_CMOS_REG_B, RTC_CMOS_B_24H | RTC_CMOS_B_PIE | RTC_CMOS_B_UIE);
    rtc_cmos_model_set_wall(&m, 1300196730, 0);              /* 2011-03-15 13:45:30 */
    rd(&m, RTC_CMOS_REG_C);
    for (long long i = 0; i < N; i++) {
        long long t = T0 + i * STEP;

        now_ns = (uint64_t)t;
        rtc_cmos_model_poll(&m, now_ns);
        if (t == T0 || t == 999 * MS || t == 1002 * MS)
            rd(&m, RTC_CMOS_REG_C);                          /* the guest's handler */
        sample[0][i] = (rd(&m, RTC_CMOS_REG_A) & RTC_CMOS_A_UIP) != 0;
        sample[1][i] = m.s.pos_ns < RTC_CMOS_TUC_NS;
        sample[2][i] = rd(&m, RTC_CMOS_SECONDS);
        sample[3][i] = (m.s.ram[RTC_CMOS_REG_C] & RTC_CMOS_C_UF) != 0;
        sample[4][i] = (m.s.ram[RTC_CMOS_REG_C] & RTC_CMOS_C_PF) != 0;
        sample[5][i] = irq8;
    }

    printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
           "font-family=\"sans-serif\" font-size=\"13\">\n", WIDTH, TOP + ROWS * ROW_H + 50);
    printf("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    for (int ms = -3; ms <= 3; ms++) {
        double x = xat((long long)(ms + 3) * MS / STEP);

        printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#cccccc\"/>\n", x,
               TOP - 10, x, TOP + ROWS * ROW_H);
        printf("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%+d</text>\n", x,
               TOP + ROWS * ROW_H + 18, ms);
    }
    printf("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">board time - 1 s (ms); "
           "C read at -3, -1 and +2 ms</text>\n", (LEFT + WIDTH) / 2, TOP + ROWS * ROW_H + 40);
    for (int r = 0; r < ROWS; r++) {
        printf("<text x=\"10\" y=\"%d\">%s</text>\n", TOP + r * ROW_H + WAVE_H - 6, names[r]);
        if (r == 2)
            bus(r);
        else
            wave(r);
    }
    printf("</svg>\n");
    return 0;
}
