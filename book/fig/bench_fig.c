/* bench_fig.c - draws the performance chapter's plots from a benchmark run:
   book/perf/results.tsv, the table tests/bench/bench.sh wrote (`./run
   bench` copies it there), read on standard input.

     bench_fig ratios   every figure compared with a peer or a floor: ours
                        divided by theirs, on a log scale around 1, with the
                        target marked; rows not measured say why
     bench_fig host     the device models on the host: ns per operation,
                        ours and the floor, each with its spread
     bench_fig sizes    each kernel's text, data and bss against 128 KiB

   The columns of results.tsv (bench.sh's "the table"): id, title, unit,
   ours, low, high, other's label, other, low, high, ratio, target,
   verdict, note, runs. Plain SVG; the same input draws the same bytes.

   Build, from book/fig: cc -std=c11 bench_fig.c -o bench_fig
   Run: ./bench_fig ratios < ../perf/results.tsv > bench-ratios.svg */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 64
#define COLS 15
#define CELL 200

static char cell[ROWS][COLS][CELL];
static int rows;

/* Split standard input into rows of tab-separated cells. */
static void load(void)
{
    char line[COLS * CELL];

    while (rows < ROWS && fgets(line, sizeof line, stdin)) {
        char *p = line;

        line[strcspn(line, "\n")] = 0;
        for (int c = 0; c < COLS; c++) {
            size_t n = strcspn(p, "\t");

            if (n >= CELL)
                n = CELL - 1;
            memcpy(cell[rows][c], p, n);
            cell[rows][c][n] = 0;
            p += strcspn(p, "\t");
            if (*p)
                p++;
        }
        rows++;
    }
}

static double num(int r, int c)
{
    return strtod(cell[r][c], NULL);
}

static int is_num(int r, int c)
{
    char *end;

    strtod(cell[r][c], &end);
    return cell[r][c][0] && *end == 0 && cell[r][c][0] != '-';
}

/* Text for SVG: & < > escaped. */
static void text(double x, double y, const char *anchor, const char *style, const char *s)
{
    printf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>", x, y, anchor, style);
    for (; *s; s++) {
        if (*s == '&')
            fputs("&amp;", stdout);
        else if (*s == '<')
            fputs("&lt;", stdout);
        else if (*s == '>')
            fputs("&gt;", stdout);
        else
            putchar(*s);
    }
    puts("</text>");
}

static void head(double w, double h, const char *title)
{
    printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
           "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
           w, h, w, h);
    printf("<rect width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n", w, h);
    text(w / 2, 20, "middle", "font-size=\"14\" font-weight=\"bold\"", title);
}

/* Ratios on a log2 axis from 1/16 to 16: x of ratio v. */
#define R_LEFT 400.0
#define R_WIDTH 420.0
static double rx(double v)
{
    double l = log2(v);

    if (l < -4)
        l = -4;
    if (l > 4)
        l = 4;
    return R_LEFT + (l + 4) / 8 * R_WIDTH;
}

static void ratios(void)
{
    int n = 0, y0 = 60, step = 22;
    char buf[CELL * 2];

    for (int r = 0; r < rows; r++)
        n += strncmp(cell[r][0], "host-", 5) != 0 && strcmp(cell[r][6], "-") != 0;
    head(R_LEFT + R_WIDTH + 250, y0 + n * step + 64, "Ours divided by the peer or floor (left of 1: ours is less)");
    for (int k = -4; k <= 4; k++) {
        double x = rx(pow(2, k));

        printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>\n", x, y0 - 12, x,
               y0 + n * step, k == 0 ? "#000" : "#ddd");
        snprintf(buf, sizeof buf, k < 0 ? "1/%.0f" : "%.0f", pow(2, k < 0 ? -k : k));
        text(x, y0 - 16, "middle", "fill=\"#555\"", buf);
    }
    n = 0;
    for (int r = 0; r < rows; r++) {
        double y = y0 + n * step;

        if (!strncmp(cell[r][0], "host-", 5) || !strcmp(cell[r][6], "-"))
            continue;
        n++;
        text(R_LEFT - 8, y + 4, "end", "", cell[r][1]);
        if (!is_num(r, 10)) {
            text(R_LEFT + 4, y + 4, "start", "fill=\"#888\"", cell[r][12]);
            continue;
        }
        double v = num(r, 10), x = rx(v), one = rx(1);
        int met = !strcmp(cell[r][12], "met"), missed = !strcmp(cell[r][12], "missed");

        printf("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" fill=\"%s\"/>\n",
               x < one ? x : one, y - 7, fabs(x - one) < 1 ? 1 : fabs(x - one),
               met ? "#4a8" : missed ? "#d64" : "#68a");
        if (cell[r][11][0] == '<' || cell[r][11][0] == '>') {
            double t = rx(strtod(cell[r][11] + 2, NULL));

            printf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" "
                   "stroke-width=\"2\"/>\n", t, y - 9, t, y + 9);
        }
        snprintf(buf, sizeof buf, "%.2f %s", v, cell[r][12]);
        text(R_LEFT + R_WIDTH + 8, y + 4, "start", "", buf);
    }
    text(R_LEFT, y0 + n * step + 30, "start", "fill=\"#555\"",
         "bar: median of ours over median of theirs; black tick: the target;");
    text(R_LEFT, y0 + n * step + 46, "start", "fill=\"#555\"",
         "green: met, red: missed, blue: no target, grey text: not measured");
    puts("</svg>");
}

static void host(void)
{
    int n = 0, y0 = 50, step = 44;
    double max = 0, left = 200, width = 480;
    char buf[CELL];

    for (int r = 0; r < rows; r++)
        if (!strncmp(cell[r][0], "host-", 5) && is_num(r, 3)) {
            n++;
            for (int c = 3; c <= 9; c++)
                if (c != 6 && is_num(r, c) && num(r, c) > max)
                    max = num(r, c);
        }
    head(left + width + 160, y0 + (n ? n : 1) * step + 40, "Device models on the host: ns per operation");
    if (!n) {
        text(left, y0 + 20, "start", "fill=\"#888\"", "not measured");
        puts("</svg>");
        return;
    }
    n = 0;
    for (int r = 0; r < rows; r++) {
        double y = y0 + n * step;

        if (strncmp(cell[r][0], "host-", 5) || !is_num(r, 3))
            continue;
        n++;
        text(left - 8, y + 12, "end", "", cell[r][0] + 5);
        for (int side = 0; side < 2; side++) {
            int c = side ? 7 : 3;
            double m = num(r, c), lo = num(r, c + 1), hi = num(r, c + 2), yy = y + side * 16;

            printf("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" fill=\"%s\"/>\n", left, yy,
                   m / max * width, side ? "#bbb" : "#68a");
            printf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>\n",
                   left + lo / max * width, yy + 6, left + hi / max * width, yy + 6);
            snprintf(buf, sizeof buf, "%.2f ns %s", m, side ? cell[r][6] : "ours");
            text(left + hi / max * width + 6, yy + 10, "start", "", buf);
        }
    }
    text(left, y0 + n * step + 20, "start", "fill=\"#555\"",
         "blue: ours; grey: the floor; whisker: lowest to highest run");
    puts("</svg>");
}

static void sizes(void)
{
    int n = 0, y0 = 50, step = 30;
    double left = 80, width = 520, scale = width / (256.0 * 1024);
    char buf[CELL];

    head(left + width + 200, y0 + 4 * step + 50, "Kernel images: text, data and bss against 128 KiB");
    for (int r = 0; r < rows; r++) {
        long t, d, b;
        double y = y0 + n * step, x = left;

        if (strncmp(cell[r][0], "size-", 5) ||
            sscanf(cell[r][13], "text %ld, data %ld, bss %ld", &t, &d, &b) != 3)
            continue;
        n++;
        text(left - 8, y + 12, "end", "", cell[r][0] + 5);
        const long part[3] = { t, d, b };
        const char *color[3] = { "#68a", "#a86", "#bbb" };
        for (int i = 0; i < 3; i++) {
            printf("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>\n", x, y,
                   part[i] * scale, color[i]);
            x += part[i] * scale;
        }
        snprintf(buf, sizeof buf, "%.1f KiB", (t + d + b) / 1024.0);
        text(x + 6, y + 12, "start", "", buf);
    }
    printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d64\" stroke-width=\"2\"/>\n",
           left + 131072 * scale, y0 - 8, left + 131072 * scale, y0 + n * step);
    text(left + 131072 * scale, y0 - 12, "middle", "fill=\"#d64\"", "128 KiB");
    text(left, y0 + n * step + 20, "start", "fill=\"#555\"", "blue: text (and rodata); brown: data; grey: bss");
    puts("</svg>");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_fig ratios|host|sizes < results.tsv\n");
        return 2;
    }
    load();
    if (!strcmp(argv[1], "ratios"))
        ratios();
    else if (!strcmp(argv[1], "host"))
        host();
    else if (!strcmp(argv[1], "sizes"))
        sizes();
    else {
        fprintf(stderr, "bench_fig: no plot '%s' (ratios, host, sizes)\n", argv[1]);
        return 2;
    }
    return 0;
}
