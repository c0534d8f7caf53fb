/* pit8254_fig.c - draws book/fig/pit8254-modes.svg: OUT of each mode of
   the 8254, by running the model of hdr/pit8254.h itself.

   Each mode runs on channel 2, the one whose gate software drives (bit 0
   of port 0x61). The control word is written in the middle of tick 1 and
   the count in the middle of tick 2, so the CLK pulse of tick 3 loads it;
   gate changes also happen in the middle of a tick. OUT is read (bit 5 of
   port 0x61) a quarter and three quarters into every tick, so a change a
   gate makes between CLK pulses shows where it happens.

   Build, from book/fig: cc -std=c11 -I../../hdr pit8254_fig.c -o fig
   Run: ./fig > pit8254-modes.svg (plain SVG, the same bytes every run). */
#include <stdint.h>
#include <stdio.h>

#define PIT8254_IMPLEMENTATION
#include "pit8254.h"

#define TICKS  22      /* ticks drawn */
#define LEFT   96      /* the labels' column */
#define TW     30      /* pixels per tick */
#define ROW    34      /* pixels per row */
#define HI     8       /* a wave's high level, from the row's top */
#define LO     26      /* its low level */

typedef struct gate_ev { int tick; int level; } gate_ev;

typedef struct scene {
    const char *title;  /* the row's label */
    const char *note;   /* under it */
    unsigned mode;
    uint16_t count;
    int gate0;          /* the gate before the control word */
    gate_ev gate[4];    /* changes, in the middle of their tick; tick 0 ends */
} scene;

static const scene scenes[] = {
    { "Mode 0", "N = 4", 0, 4, 1, { { 0, 0 } } },
    { "Mode 1", "N = 4, triggers", 1, 4, 0, { { 5, 1 }, { 8, 0 }, { 11, 1 }, { 0, 0 } } },
    { "Mode 2", "N = 4", 2, 4, 1, { { 12, 0 }, { 14, 1 }, { 0, 0 } } },
    { "Mode 3", "N = 5", 3, 5, 1, { { 14, 0 }, { 16, 1 }, { 0, 0 } } },
    { "Mode 4", "N = 4", 4, 4, 1, { { 0, 0 } } },
    { "Mode 5", "N = 4, triggers", 5, 4, 0, { { 4, 1 }, { 6, 0 }, { 13, 1 }, { 0, 0 } } },
};
#define NSCENES (sizeof scenes / sizeof scenes[0])

static uint64_t clock_ns;

static uint64_t now(void *ctx)
{
    (void)ctx;
    return clock_ns;
}

/* Board time q quarters into tick k (tick 0 starts at board time 0). */
static void at(int k, int q)
{
    uint64_t a = pit8254_tick_ns((uint64_t)k), b = pit8254_tick_ns((uint64_t)k + 1);

    clock_ns = a + (b - a) * (uint64_t)q / 4;
}

/* Runs one scene; out[2k] and out[2k+1] are OUT in the two halves of
   tick k, gate[...] the gate likewise. */
static void run(const scene *sc, int out[2 * TICKS], int gate[2 * TICKS])
{
    pit8254_model m;
    const pit8254_model_hooks h = { now, 0, 0, 0 };
    int g = sc->gate0;
    const gate_ev *ev = sc->gate;

    clock_ns = 0;
    pit8254_model_init(&m, &h);
    pit8254_model_write(&m, PIT8254_MODEL_PORT61, 1, (uint64_t)g);
    for (int k = 0; k < TICKS; k++) {
        at(k, 1);
        out[2 * k] = (pit8254_model_read(&m, PIT8254_MODEL_PORT61, 1) & PIT8254_P61_OUT2) != 0;
        gate[2 * k] = g;
        at(k, 2);
        if (k == 1)
            pit8254_model_write(&m, PIT8254_MODEL_CONTROL, 1,
                                PIT8254_SC(2) | PIT8254_RW_BOTH | PIT8254_MODE(sc->mode));
        if (k == 2) {
            pit8254_model_write(&m, PIT8254_MODEL_COUNTER2, 1, sc->count & 0xffu);
            pit8254_model_write(&m, PIT8254_MODEL_COUNTER2, 1, sc->count >> 8);
        }
        if (ev->tick == k && k != 0) {
            g = ev->level;
            pit8254_model_write(&m, PIT8254_MODEL_PORT61, 1, (uint64_t)g);
            ev++;
        }
        at(k, 3);
        out[2 * k + 1] = (pit8254_model_read(&m, PIT8254_MODEL_PORT61, 1) & PIT8254_P61_OUT2) != 0;
        gate[2 * k + 1] = g;
    }
}

/* A square wave from half-tick levels, in a row whose top is y. */
static void wave(const int *lv, int y, const char *colour)
{
    printf("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colour);
    for (int i = 0; i < 2 * TICKS; i++) {
        int x0 = LEFT + i * TW / 2, x1 = LEFT + (i + 1) * TW / 2, yy = y + (lv[i] ? HI : LO);

        printf("%d,%d %d,%d ", x0, yy, x1, yy);
    }
    printf("\"/>\n");
}

static void label(int y, const char *text, const char *note)
{
    printf("<text x=\"8\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">%s</text>\n", y + 15,
           text);
    if (note)
        printf("<text x=\"8\" y=\"%d\" font-size=\"10\" fill=\"#555\">%s</text>\n", y + 28, note);
}

int main(void)
{
    int rows = 1, y;

    for (size_t i = 0; i < NSCENES; i++)
        rows += 1 + (scenes[i].mode == 1 || scenes[i].mode == 2 || scenes[i].mode == 3 ||
                     scenes[i].mode == 5);
    printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
           "font-family=\"sans-serif\">\n",
           LEFT + TICKS * TW + 16, rows * ROW + 40);
    printf("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    /* Tick grid: each CLK pulse (the count changes on it) is a thin line. */
    for (int k = 0; k <= TICKS; k++)
        printf("<line x1=\"%d\" y1=\"20\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", LEFT + k * TW,
               LEFT + k * TW, rows * ROW + 22);
    for (int k = 0; k < TICKS; k += 2)
        printf("<text x=\"%d\" y=\"14\" font-size=\"10\" fill=\"#555\">%d</text>\n",
               LEFT + k * TW + 2, k);
    y = 22;
    {
        int clk[2 * TICKS];

        for (int i = 0; i < 2 * TICKS; i++)
            clk[i] = !(i & 1);
        label(y, "CLK", NULL);
        wave(clk, y, "#444");
    }
    /* Where the control word and the count are written. */
    printf("<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#a33\">CW</text>\n",
           LEFT + TW + TW / 2 - 6, y + ROW - 1);
    printf("<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#a33\">N</text>\n",
           LEFT + 2 * TW + TW / 2 - 3, y + ROW - 1);
    y += ROW;
    for (size_t i = 0; i < NSCENES; i++) {
        const scene *sc = &scenes[i];
        int out[2 * TICKS], gate[2 * TICKS];

        run(sc, out, gate);
        label(y, sc->title, sc->note);
        printf("<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"#555\">OUT</text>\n", LEFT - 24,
               y + 20);
        wave(out, y, "#1a4d8f");
        y += ROW;
        if (sc->mode == 1 || sc->mode == 2 || sc->mode == 3 || sc->mode == 5) {
            printf("<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"#555\">GATE</text>\n",
                   LEFT - 30, y + 20);
            wave(gate, y, "#2f7d32");
            y += ROW;
        }
    }
    printf("</svg>\n");
    return 0;
}
