/* virtio.c - one split virtqueue in a byte array that stands for guest RAM:
   the driver side posts a request (a readable buffer, then a writable one),
   the device side answers into the writable one and gives the chain back,
   and the driver takes the answer. Both halves of hdr/virtio.h, one memory. */
#include <stdio.h>
#include <string.h>

//! [alone-virtio]
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"

/* Guest RAM. A guest-physical address is an offset into it. */
static _Alignas(16) uint8_t ram[4096];
enum { QSIZE = 4, DESC = 0x000, AVAIL = 0x100, USED = 0x200, REQ = 0x400, RESP = 0x500 };

/* The device reaches RAM only through these hooks, and each refuses a
   range that is not wholly inside it. */
static bool in_ram(uint64_t gpa, uint64_t n) { return gpa <= sizeof ram && n <= sizeof ram - gpa; }
static bool ram_check(void *ctx, uint64_t gpa, uint64_t n) { (void)ctx; return in_ram(gpa, n); }
static bool ram_read(void *ctx, uint64_t gpa, void *dst, size_t n)
{
    (void)ctx;
    if (!in_ram(gpa, n))
        return false;
    memcpy(dst, ram + gpa, n);
    return true;
}
static bool ram_write(void *ctx, uint64_t gpa, const void *src, size_t n)
{
    (void)ctx;
    if (!in_ram(gpa, n))
        return false;
    memcpy(ram + gpa, src, n);
    return true;
}

static int wrong(const char *what) { printf("wrong: %s\n", what); return 1; }

int main(void)
{
    static virtq_drv drv;                     /* the guest's side of the queue */
    virtq_dev dev;                            /* the monitor's side */
    virtq_seg segs[QSIZE];
    virtq_chain c = { segs, QSIZE, 0, 0, 0, 0 };
    virtio_mem mem = { NULL, ram_read, ram_write, ram_check };
    virtq_buf bufs[2] = { { REQ, 4 }, { RESP, 16 } };
    int token = 42;
    char req[5] = { 0 };
    uint32_t len = 0;
    uint64_t n;

    /* Driver: lay the three areas out in RAM, then post "ping" and room for the answer. */
    if (virtq_drv_init(&drv, QSIZE, ram + DESC, ram + AVAIL, ram + USED, false) != 0)
        return wrong("virtq_drv_init refused the queue");
    memcpy(ram + REQ, "ping", 4);
    if (virtq_drv_add(&drv, bufs, 1, 1, &token) != 0)
        return wrong("virtq_drv_add refused the chain");
    if (!virtq_drv_kick_needed(&drv))
        return wrong("no kick after an add");
    printf("driver: chain of 2 added, avail.idx %u, kick needed\n",
           (unsigned)(ram[AVAIL + 2] | ram[AVAIL + 3] << 8));

    /* Device: the same addresses, as the transport's registers would carry them. */
    if (virtq_dev_init(&dev, QSIZE, DESC, AVAIL, USED, false, false) != 0)
        return wrong("virtq_dev_init refused the queue");
    if (virtq_dev_pop(&dev, &mem, &c) != 1)
        return wrong("no chain to pop");
    if (c.n != 2 || c.out_bytes != 4 || c.in_bytes != 16)
        return wrong("the chain is not the one posted");
    printf("device: popped head %u: %u bytes readable, %u writable\n", c.head,
           (unsigned)c.out_bytes, (unsigned)c.in_bytes);
    if (virtq_chain_read(&c, &mem, 0, req, 4) != 4 || strcmp(req, "ping") != 0)
        return wrong("the request did not read back");
    n = virtq_chain_write(&c, &mem, 0, "pong", 4);
    virtq_dev_push(&dev, &mem, c.head, (uint32_t)n);
    if (n != 4 || !virtq_dev_should_notify(&dev, &mem))
        return wrong("the answer was not written, or no interrupt is due");
    printf("device: read \"%s\", wrote %u bytes, used.idx %u, interrupt needed\n", req,
           (unsigned)n, (unsigned)(ram[USED + 2] | ram[USED + 3] << 8));

    /* Driver: the token comes back with the length the device wrote. */
    if (virtq_drv_get_used(&drv, &len) != &token || len != 4 || memcmp(ram + RESP, "pong", 4))
        return wrong("the driver did not get its token, the length or the answer");
    if (virtq_drv_get_used(&drv, &len) != NULL || virtq_dev_pop(&dev, &mem, &c) != 0)
        return wrong("the queue is not empty");
    printf("driver: token %d back, %u bytes: \"%.4s\"; the queue is empty\n", token,
           (unsigned)len, (const char *)(ram + RESP));
    return 0;
}
//! [alone-virtio]
