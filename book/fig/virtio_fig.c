/* virtio_fig.c - draws book/fig/virtio-split-ring.svg: the three parts of
   a split virtqueue of 8 entries, as hdr/virtio.h's own driver side leaves
   them after adding three chains and its device side has used one.

   The driver adds, in order: chain A, one readable buffer of 16 bytes
   (a request header, say) and one writable of 512; chain B, one writable
   buffer of 64; chain C, a readable 8 and a writable 1. The device pops A
   and gives it back with 512 bytes written. The picture is the memory:
   the descriptor table with each entry's len, flags and next, the arrows
   of each chain; the available ring with its idx and heads; the used ring
   with its one element. Everything drawn is read back from the bytes.

   Build, from book/fig: cc -std=c11 -I../../hdr virtio_fig.c -o fig
   Run: ./fig > virtio-split-ring.svg (plain SVG, the same bytes every run). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"

#define N 8u
static uint8_t ram[0x4000];   /* guest RAM: desc at 0x1000, avail 0x2000, used 0x3000 */

static bool rd(void *c, uint64_t a, void *d, size_t n)
{
    (void)c;
    if (a > sizeof ram || n > sizeof ram - a)
        return false;
    memcpy(d, ram + a, n);
    return true;
}

static bool wr(void *c, uint64_t a, const void *s, size_t n)
{
    (void)c;
    if (a > sizeof ram || n > sizeof ram - a)
        return false;
    memcpy(ram + a, s, n);
    return true;
}

static bool ck(void *c, uint64_t a, uint64_t n)
{
    (void)c;
    return a <= sizeof ram && n <= sizeof ram - a;
}

static unsigned u16(unsigned at) { return ram[at] | ram[at + 1] << 8; }
static unsigned long u32(unsigned at) { return u16(at) | (unsigned long)u16(at + 2) << 16; }

#define X0 20   /* descriptor table's left edge */
#define RW 26   /* row height */
#define TOP 60

static const char *const chain_name = "ABC";

int main(void)
{
    static virtq_drv d;
    virtq_dev q;
    virtq_seg segs[N];
    virtq_chain c = { segs, N, 0, 0, 0, 0 };
    virtio_mem m = { NULL, rd, wr, ck };
    virtq_buf a[2] = { { 0x0100, 16 }, { 0x0200, 512 } }, b[1] = { { 0x0400, 64 } },
              cc[2] = { { 0x0500, 8 }, { 0x0600, 1 } };
    int owner[N];
    unsigned i, heads[3];

    virtq_drv_init(&d, N, ram + 0x1000, ram + 0x2000, ram + 0x3000, false);
    virtq_drv_add(&d, a, 1, 1, (void *)"A");
    virtq_drv_add(&d, b, 0, 1, (void *)"B");
    virtq_drv_add(&d, cc, 1, 1, (void *)"C");
    virtq_dev_init(&q, N, 0x1000, 0x2000, 0x3000, false, false);
    if (virtq_dev_pop(&q, &m, &c) != 1)
        return 1;
    virtq_dev_push(&q, &m, c.head, 512);

    /* Which chain each descriptor belongs to, by following the heads. */
    for (i = 0; i < N; i++)
        owner[i] = -1;
    for (i = 0; i < 3; i++) {
        unsigned at = heads[i] = u16(0x2000 + 4 + 2 * i), steps = 0;

        for (;;) {
            unsigned e = 0x1000 + 16 * at;

            owner[at] = (int)i;
            if (!(u16(e + 12) & VIRTQ_DESC_F_NEXT) || ++steps > N)
                break;
            at = u16(e + 14);
        }
    }

    printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"%u\" "
           "font-family=\"monospace\" font-size=\"12\" xml:space=\"preserve\">\n",
           TOP + RW * (N + 2) + 30);
    printf("<defs><marker id=\"ar\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" "
           "orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\"/></marker></defs>\n");
    printf("<text x=\"%d\" y=\"22\" font-size=\"14\">Descriptor table</text><text x=\"%d\" y=\"38\">(16 bytes each; the driver writes)</text>\n", X0, X0);
    printf("<text x=\"%d\" y=\"%d\">#  addr    len  flags      next</text>\n", X0 + 6, TOP - 8);
    for (i = 0; i < N; i++) {
        unsigned e = 0x1000 + 16 * i, fl = u16(e + 12), y = TOP + RW * i;
        const char *fill = owner[i] < 0 ? "#ffffff" : owner[i] == 0 ? "#d8ecd8" :
                           owner[i] == 1 ? "#d8e4f4" : "#f4e4cc";

        printf("<rect x=\"%d\" y=\"%u\" width=\"300\" height=\"%d\" fill=\"%s\" stroke=\"#444\"/>\n",
               X0, y, RW, fill);
        if (owner[i] < 0) {
            printf("<text x=\"%d\" y=\"%u\">%u  (free)</text>\n", X0 + 6, y + 17, i);
            continue;
        }
        printf("<text x=\"%d\" y=\"%u\">%u  0x%04lx %4lu  %-5s %-5s %s</text>\n", X0 + 6, y + 17,
               i, u32(e), u32(e + 8), fl & VIRTQ_DESC_F_WRITE ? "WRITE" : "",
               fl & VIRTQ_DESC_F_NEXT ? "NEXT" : "", fl & VIRTQ_DESC_F_NEXT ? "" : "-");
        if (fl & VIRTQ_DESC_F_NEXT) {
            unsigned to = u16(e + 14), y2 = TOP + RW * to;

            printf("<text x=\"%d\" y=\"%u\">%u</text>\n", X0 + 282, y + 17, to);
            printf("<path d=\"M%d,%u C%d,%u %d,%u %d,%u\" fill=\"none\" stroke=\"#333\" "
                   "marker-end=\"url(#ar)\"/>\n", X0 + 300, y + RW / 2, X0 + 340, y + RW / 2,
                   X0 + 340, y2 + RW / 2, X0 + 302, y2 + RW / 2);
        }
    }
    /* The available ring. */
    printf("<text x=\"420\" y=\"22\" font-size=\"14\">Available ring</text><text x=\"420\" y=\"38\">(the driver writes)</text>\n");
    printf("<text x=\"420\" y=\"%d\">flags %u   idx %u</text>\n", TOP - 8, u16(0x2000),
           u16(0x2002));
    for (i = 0; i < N; i++) {
        unsigned y = TOP + RW * i;
        bool used = i < u16(0x2002);

        printf("<rect x=\"420\" y=\"%u\" width=\"120\" height=\"%d\" fill=\"%s\" stroke=\"#444\"/>\n",
               y, RW, used ? "#eeeeee" : "#ffffff");
        if (used)
            printf("<text x=\"426\" y=\"%u\">ring[%u] = %u (%c)</text>\n", y + 17, i,
                   u16(0x2004 + 2 * i), chain_name[i]);
        else
            printf("<text x=\"426\" y=\"%u\">ring[%u]</text>\n", y + 17, i);
    }
    /* The used ring. */
    printf("<text x=\"600\" y=\"22\" font-size=\"14\">Used ring</text><text x=\"600\" y=\"38\">(the device writes)</text>\n");
    printf("<text x=\"600\" y=\"%d\">flags %u   idx %u</text>\n", TOP - 8, u16(0x3000),
           u16(0x3002));
    for (i = 0; i < N; i++) {
        unsigned y = TOP + RW * i;
        bool used = i < u16(0x3002);

        printf("<rect x=\"600\" y=\"%u\" width=\"170\" height=\"%d\" fill=\"%s\" stroke=\"#444\"/>\n",
               y, RW, used ? "#eeeeee" : "#ffffff");
        if (used)
            printf("<text x=\"606\" y=\"%u\">id %lu, len %lu</text>\n", y + 17,
                   u32(0x3004 + 8 * i), u32(0x3008 + 8 * i));
        else
            printf("<text x=\"606\" y=\"%u\">ring[%u]</text>\n", y + 17, i);
    }
    printf("<text x=\"%d\" y=\"%u\">Chains, by the heads in the available ring: A (green) "
           "from %u, B (blue) from %u, C (orange) from %u.</text>\n", X0, TOP + RW * N + 30,
           heads[0], heads[1], heads[2]);
    printf("<text x=\"%d\" y=\"%u\">The device has used A (512 bytes written); B and C "
           "wait in the available ring.</text>\n", X0,
           TOP + RW * N + 48);
    printf("</svg>\n");
    return 0;
}
