/* virtio_test.c - tests of hdr/virtio.h, the split virtqueue: the driver
   side run against the device side through a fake guest RAM.

   Guest RAM is a byte array here, and the device side reaches it only
   through hooks that refuse any range not wholly inside it (as the board's
   will). The tests: the spec's event test (vring_need_event) computed from its definition;
   a request round trip, byte for byte; indirect tables; 70000 requests
   through a queue of 8, across the 16-bit index wrap, with and without
   EVENT_IDX, with the kick and interrupt suppression checked against the
   spec's rule; every malformed ring of /work/shared/SECURITY.md's split
   virtqueue list, each built by hand in RAM and each ending in its error
   and a broken queue, then a reset that works; a hostile device seen by
   the driver; and random descriptor tables, where a pop either gives a
   chain that obeys every rule or fails and breaks the queue, and never
   asks the hooks for memory outside RAM; and a device writing random used
   entries, against which the driver returns only its own tokens in flight.

   Build: gcc -std=c11 -Ihdr -fsanitize=address,undefined virtio_test.c */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static unsigned long asserts;
#define VIRTIO_ASSERT(c) (asserts++, assert(c))
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"

#include "check.h"

/* ---- fake guest RAM ---------------------------------------------------- */

#define RAM_SIZE 0x100000u   /* 1 MiB of guest RAM at gpa 0 */
#define MMIO_GPA 0xfeb00000u /* a device window: not RAM */

static uint64_t ram64[RAM_SIZE / 8];
static uint8_t *const ram = (uint8_t *)ram64;
static unsigned long refused, reads, writes;

static bool in_ram(uint64_t gpa, uint64_t n)
{
    return gpa <= RAM_SIZE && n <= RAM_SIZE - gpa;
}

static uint64_t rewrite_at = UINT64_MAX; /* a descriptor the "guest" rewrites */
static void rewrite_desc(void);

static bool ram_read(void *ctx, uint64_t gpa, void *dst, size_t n)
{
    (void)ctx;
    reads++;
    if (!in_ram(gpa, n)) {
        refused++;
        return false;
    }
    memcpy(dst, ram + gpa, n);
    if (gpa == rewrite_at && n == 16)
        rewrite_desc(); /* the guest's other vCPU, just after the device read it */
    return true;
}

static bool ram_write(void *ctx, uint64_t gpa, const void *src, size_t n)
{
    (void)ctx;
    writes++;
    if (!in_ram(gpa, n)) {
        refused++;
        return false;
    }
    memcpy(ram + gpa, src, n);
    return true;
}

static bool ram_check(void *ctx, uint64_t gpa, uint64_t n)
{
    (void)ctx;
    return in_ram(gpa, n);
}

/* Claims every range is RAM, so a chain of 4 GiB buffers gets as far as
   the length check (the buffers are never copied). */
static bool all_ram(void *ctx, uint64_t gpa, uint64_t n)
{
    (void)ctx;
    (void)gpa;
    (void)n;
    return true;
}

static const virtio_mem mem = { NULL, ram_read, ram_write, ram_check };
static const virtio_mem mem_all = { NULL, ram_read, ram_write, all_ram };

/* Where the test puts the queue. */
#define DESC  0x1000u
#define AVAIL 0x2000u
#define USED  0x3000u
#define IND   0x8000u  /* indirect tables */
#define DATA  0x20000u /* buffers */

static void put16(uint64_t gpa, uint16_t v) { ram[gpa] = (uint8_t)v; ram[gpa + 1] = (uint8_t)(v >> 8); }
static void put32(uint64_t gpa, uint32_t v) { put16(gpa, (uint16_t)v); put16(gpa + 2, (uint16_t)(v >> 16)); }
static uint16_t get16(uint64_t gpa) { return (uint16_t)(ram[gpa] | ram[gpa + 1] << 8); }
static uint32_t get32(uint64_t gpa) { return get16(gpa) | (uint32_t)get16(gpa + 2) << 16; }

/* A descriptor written the way the spec lays it out ("Descriptor Table"), byte by byte,
   so the layout is checked independently of the header's own code. */
static void desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                    uint16_t next)
{
    uint64_t d = table + 16u * i;

    put32(d, (uint32_t)addr);
    put32(d + 4, (uint32_t)(addr >> 32));
    put32(d + 8, len);
    put16(d + 12, flags);
    put16(d + 14, next);
}

/* Publish `head` as avail entry `idx` of a queue of `size`, idx+1 as avail.idx. */
static void offer(unsigned size, uint16_t idx, uint16_t head)
{
    put16(AVAIL + 4 + 2u * (idx % size), head);
    put16(AVAIL + 2, (uint16_t)(idx + 1));
}

/* What a racing guest writes over a descriptor once the device has read
   it: a buffer in a device's MMIO window, 4 GiB long, readable, looping. */
static void rewrite_desc(void)
{
    uint64_t d = rewrite_at;

    rewrite_at = UINT64_MAX;
    desc_at(d & ~15ull, 0, MMIO_GPA, 0xffffffffu, VIRTQ_DESC_F_NEXT, 0);
}

static void clear_ram(void)
{
    memset(ram, 0, RAM_SIZE);
    refused = reads = writes = 0;
}

/* A device queue of 8 over a fresh RAM, indirect allowed. */
static void fresh_dev(virtq_dev *q)
{
    clear_ram();
    virtq_dev_init(q, 8, DESC, AVAIL, USED, false, true);
}

/* ---- the event test ---------------------------------------------------- */

/* The event rule in words ("Notification Suppression"): notify if `event` is one of the entries old..new-1
   just published. Computed here by walking them. */
static bool need_event_ref(uint16_t event, uint16_t new_idx, uint16_t old)
{
    for (uint16_t i = old; i != new_idx; i++)
        if (i == event)
            return true;
    return false;
}

TEST(need_event)
{
    CHECK(virtq_need_event(0, 1, 0));
    CHECK(virtq_need_event(5, 7, 5));
    CHECK(virtq_need_event(6, 7, 5));
    CHECK(!virtq_need_event(7, 7, 5));
    CHECK(!virtq_need_event(4, 7, 5));
    CHECK(virtq_need_event(0xffff, 1, 0xfffe)); /* across the wrap */
    CHECK(virtq_need_event(0, 1, 0xfffe));
    CHECK(!virtq_need_event(1, 1, 0xfffe));
    CHECK(!virtq_need_event(3, 3, 3)); /* nothing published */
    unsigned bad = 0;
    for (uint32_t x = 0; x < 200000; x++) {
        uint16_t old = (uint16_t)(x * 7919u), n = (uint16_t)(old + x % 40), ev = (uint16_t)(old + x % 53 - 5);
        bad += virtq_need_event(ev, n, old) != need_event_ref(ev, n, old);
    }
    CHECK_EQ(bad, 0);
}

/* ---- layout and init --------------------------------------------------- */

TEST(layout)
{
    /* Section 2.7's table: sizes of the three parts of a queue of 256. */
    CHECK_EQ(VIRTQ_DESC_BYTES(256), 4096);
    CHECK_EQ(VIRTQ_AVAIL_BYTES(256), 6 + 512);
    CHECK_EQ(VIRTQ_USED_BYTES(256), 6 + 2048);
    virtq_dev q;
    CHECK_EQ(virtq_dev_init(&q, 0, DESC, AVAIL, USED, false, false), VIRTQ_E_ARG);
    CHECK(q.broken);
    CHECK_EQ(virtq_dev_init(&q, 6, DESC, AVAIL, USED, false, false), VIRTQ_E_ARG);
    CHECK_EQ(virtq_dev_init(&q, 8, DESC + 8, AVAIL, USED, false, false), VIRTQ_E_ARG);
    CHECK_EQ(virtq_dev_init(&q, 8, DESC, AVAIL + 1, USED, false, false), VIRTQ_E_ARG);
    CHECK_EQ(virtq_dev_init(&q, 8, DESC, AVAIL, USED + 2, false, false), VIRTQ_E_ARG);
    CHECK_EQ(virtq_dev_init(&q, 32768, DESC, AVAIL, USED, false, false), 0);
    CHECK(!q.broken);
    virtq_drv d;
    CHECK_EQ(virtq_drv_init(&d, 12, ram + DESC, ram + AVAIL, ram + USED, false), VIRTQ_E_ARG);
    CHECK_EQ(virtq_drv_init(&d, 512, ram + DESC, ram + AVAIL, ram + USED, false), VIRTQ_E_ARG);
    CHECK_EQ(virtq_drv_init(&d, 8, ram + DESC + 4, ram + AVAIL, ram + USED, false), VIRTQ_E_ARG);
    CHECK_EQ(virtq_drv_init(&d, 8, ram + DESC, ram + AVAIL, ram + USED, false), 0);
    CHECK_EQ(d.num_free, 8);
}

/* ---- round trips ------------------------------------------------------- */

TEST(round_trip)
{
    virtq_dev q;
    virtq_drv d;
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    int token = 1;
    uint32_t len = 0;
    char got[16] = { 0 };

    fresh_dev(&q);
    CHECK_EQ(virtq_drv_init(&d, 8, ram + DESC, ram + AVAIL, ram + USED, false), 0);
    memcpy(ram + DATA, "request", 8);
    virtq_buf b[3] = { { DATA, 8 }, { DATA + 0x100, 4 }, { DATA + 0x200, 12 } };
    CHECK_EQ(virtq_drv_add(&d, b, 1, 2, &token), 0);
    CHECK_EQ(d.num_free, 5);
    /* The driver's descriptors, read back by the spec's layout. */
    CHECK_EQ(get32(DESC + 0), DATA);
    CHECK_EQ(get32(DESC + 8), 8);
    CHECK_EQ(get16(DESC + 12), VIRTQ_DESC_F_NEXT);
    CHECK_EQ(get16(AVAIL + 2), 1);
    CHECK_EQ(get16(AVAIL + 4), 0);
    CHECK(virtq_drv_kick_needed(&d));
    CHECK(!virtq_drv_kick_needed(&d)); /* nothing new */

    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    CHECK_EQ(c.head, 0);
    CHECK_EQ(c.n, 3);
    CHECK_EQ(c.out_bytes, 8);
    CHECK_EQ(c.in_bytes, 16);
    CHECK(!segs[0].write && segs[1].write && segs[2].write);
    CHECK_EQ(segs[2].gpa, DATA + 0x200);
    CHECK_EQ(virtq_chain_read(&c, &mem, 0, got, sizeof got), 8);
    CHECK(strcmp(got, "request") == 0);
    CHECK_EQ(virtq_chain_read(&c, &mem, 3, got, 2), 2);
    CHECK(memcmp(got, "ue", 2) == 0);
    /* The reply scatters over the two writable buffers: 4 then 6 bytes. */
    CHECK_EQ(virtq_chain_write(&c, &mem, 0, "0123456789", 10), 10);
    CHECK(memcmp(ram + DATA + 0x100, "0123", 4) == 0);
    CHECK(memcmp(ram + DATA + 0x200, "456789", 6) == 0);
    CHECK_EQ(virtq_chain_write(&c, &mem, 14, "abcdef", 6), 2); /* only 16 writable */
    virtq_dev_push(&q, &mem, c.head, 10);
    CHECK_EQ(get16(USED + 2), 1);
    CHECK_EQ(get32(USED + 4), 0);
    CHECK_EQ(get32(USED + 8), 10);
    CHECK(virtq_dev_should_notify(&q, &mem));
    CHECK(!virtq_dev_should_notify(&q, &mem)); /* nothing new */
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 0);

    CHECK(virtq_drv_get_used(&d, &len) == &token);
    CHECK_EQ(len, 10);
    CHECK_EQ(d.num_free, 8);
    CHECK(virtq_drv_get_used(&d, &len) == NULL);
    CHECK(!d.broken && !q.broken);
    CHECK_EQ(refused, 0);
}

TEST(suppression_flags)
{
    virtq_dev q;
    virtq_drv d;
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    int token;
    virtq_buf b = { DATA, 4 };

    fresh_dev(&q);
    virtq_drv_init(&d, 8, ram + DESC, ram + AVAIL, ram + USED, false);
    put16(USED, VIRTQ_USED_F_NO_NOTIFY); /* the device: do not kick me */
    virtq_drv_add(&d, &b, 1, 0, &token);
    CHECK(!virtq_drv_kick_needed(&d));
    put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT); /* the driver: no interrupts */
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    virtq_dev_push(&q, &mem, c.head, 0);
    CHECK(!virtq_dev_should_notify(&q, &mem));
    put16(AVAIL, 0);
    put16(USED, 0);
    virtq_drv_get_used(&d, NULL);
    virtq_drv_add(&d, &b, 1, 0, &token);
    CHECK(virtq_drv_kick_needed(&d));
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    virtq_dev_push(&q, &mem, c.head, 0);
    CHECK(virtq_dev_should_notify(&q, &mem));
}

TEST(indirect)
{
    virtq_dev q;
    virtq_drv d;
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    int token;
    uint32_t len;

    fresh_dev(&q);
    virtq_drv_init(&d, 8, ram + DESC, ram + AVAIL, ram + USED, false);
    virtq_drv_set_indirect(&d, ram + IND, IND, 4);
    virtq_buf b[3] = { { DATA, 8 }, { DATA + 8, 8 }, { DATA + 16, 100 } };
    CHECK_EQ(virtq_drv_add(&d, b, 2, 1, &token), 0);
    CHECK_EQ(d.num_free, 7); /* one main-table descriptor */
    CHECK_EQ(get16(DESC + 12), VIRTQ_DESC_F_INDIRECT);
    CHECK_EQ(get32(DESC + 8), 3 * 16);
    CHECK_EQ(get32(DESC), IND);
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    CHECK_EQ(c.n, 3);
    CHECK_EQ(c.out_bytes, 16);
    CHECK_EQ(c.in_bytes, 100);
    CHECK(segs[2].write && segs[2].gpa == DATA + 16);
    virtq_dev_push(&q, &mem, c.head, 100);
    CHECK(virtq_drv_get_used(&d, &len) == &token);
    CHECK_EQ(len, 100);
    CHECK_EQ(d.num_free, 8);

    /* Five buffers do not fit a table of 4: a plain chain instead. */
    virtq_buf five[5] = { { DATA, 1 }, { DATA, 1 }, { DATA, 1 }, { DATA, 1 }, { DATA, 1 } };
    CHECK_EQ(virtq_drv_add(&d, five, 5, 0, &token), 0);
    CHECK_EQ(d.num_free, 3);
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    CHECK_EQ(c.n, 5);

    /* A chain in the main table ending in an indirect descriptor is valid
       ("Indirect Descriptors": the device must handle it). */
    fresh_dev(&q);
    desc_at(DESC, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    desc_at(DESC, 1, IND, 32, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(IND, 0, DATA + 4, 4, VIRTQ_DESC_F_NEXT, 1);
    desc_at(IND, 1, DATA + 8, 4, VIRTQ_DESC_F_WRITE, 0);
    offer(8, 0, 0);
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    CHECK_EQ(c.n, 3);
    CHECK_EQ(c.out_bytes, 8);
    CHECK_EQ(c.in_bytes, 4);

    /* Without the feature the same ring breaks the queue. */
    virtq_dev_init(&q, 8, DESC, AVAIL, USED, false, false);
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), VIRTQ_E_INDIRECT);
    CHECK(q.broken);
}

/* 70000 requests through a queue of 8: every 16-bit index wraps,
   batches of 1 to 8 requests, tokens come back in order with the lengths
   the device wrote. With EVENT_IDX the kicks and interrupts follow the
   spec's rule, checked by the reference above. */
static void run_many(bool event_idx)
{
    virtq_dev q;
    virtq_drv d;
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    static int tokens[8];
    unsigned long done = 0, sent = 0, bad = 0, kicks = 0, irqs = 0;
    uint32_t seed = 12345;

    clear_ram();
    virtq_dev_init(&q, 8, DESC, AVAIL, USED, event_idx, false);
    virtq_drv_init(&d, 8, ram + DESC, ram + AVAIL, ram + USED, event_idx);
    for (unsigned guard = 0; done < 70000 && guard < 100000; guard++) {
        unsigned batch = 1 + (seed >> 16) % 8;
        uint16_t avail_event = get16(USED + 4 + 8 * 8), before = d.kicked;

        seed = seed * 1103515245u + 12345u;
        for (unsigned i = 0; i < batch && d.num_free > 0; i++, sent++) {
            virtq_buf b[2] = { { DATA + 64u * (sent % 8), 8 }, { DATA + 1024 + 64u * (sent % 8), 16 } };
            tokens[sent % 8] = (int)sent;
            bad += virtq_drv_add(&d, b, 1, 1, &tokens[sent % 8]) != 0;
        }
        bool kick = virtq_drv_kick_needed(&d);
        if (event_idx)
            bad += kick != need_event_ref(avail_event, d.avail_idx, before);
        else
            bad += !kick;
        kicks += kick;
        /* The device serves only when kicked, as a real one would. */
        if (kick) {
            int r;
            uint16_t used_event = get16(AVAIL + 4 + 2 * 8), old = q.signalled;
            while ((r = virtq_dev_pop(&q, &mem, &c)) == 1) {
                bad += c.n != 2 || c.out_bytes != 8 || c.in_bytes != 16;
                virtq_dev_push(&q, &mem, c.head, (uint32_t)(q.used_idx % 17));
            }
            bad += r != 0;
            bool irq = virtq_dev_should_notify(&q, &mem);
            if (event_idx)
                bad += irq != need_event_ref(used_event, q.used_idx, old);
            irqs += irq;
        }
        void *t;
        uint32_t len;
        while ((t = virtq_drv_get_used(&d, &len)) != NULL) {
            bad += *(int *)t != (int)done || t != &tokens[done % 8];
            bad += len != (uint32_t)(done % 65536 % 17);
            done++;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK(done >= 70000);
    CHECK(kicks > 0 && irqs > 0);
    CHECK(!q.broken && !d.broken);
    CHECK_EQ(d.bad_len, 0);
    CHECK_EQ(refused, 0);
}

TEST(many_wrap)
{
    run_many(false);
}

TEST(many_wrap_event_idx)
{
    run_many(true);
}

/* EVENT_IDX by hand: the device asks for a kick at the entry after the
   ones it has taken, so a second add before it runs needs none. */
TEST(event_idx_kicks)
{
    virtq_dev q;
    virtq_drv d;
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    int token;
    virtq_buf b = { DATA, 4 };

    clear_ram();
    virtq_dev_init(&q, 8, DESC, AVAIL, USED, true, false);
    virtq_drv_init(&d, 8, ram + DESC, ram + AVAIL, ram + USED, true);
    virtq_drv_add(&d, &b, 1, 0, &token);
    CHECK(virtq_drv_kick_needed(&d)); /* avail_event 0, entry 0 published */
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 0);
    CHECK_EQ(get16(USED + 4 + 8 * 8), 1); /* avail_event: kick me at entry 1 */
    virtq_drv_add(&d, &b, 1, 0, &token);
    virtq_drv_add(&d, &b, 1, 0, &token);
    CHECK(virtq_drv_kick_needed(&d));  /* entry 1 was published */
    virtq_drv_add(&d, &b, 1, 0, &token);
    CHECK(!virtq_drv_kick_needed(&d)); /* the device has not asked again */
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    virtq_dev_push(&q, &mem, c.head, 0);
    CHECK(virtq_dev_should_notify(&q, &mem)); /* used_event 0 */
    CHECK(virtq_drv_get_used(&d, NULL) == &token);
    CHECK_EQ(get16(AVAIL + 4 + 2 * 8), 1); /* used_event: tell me of entry 1 */
    virtq_dev_pop(&q, &mem, &c);
    virtq_dev_push(&q, &mem, c.head, 0);
    virtq_dev_pop(&q, &mem, &c);
    virtq_dev_push(&q, &mem, c.head, 0);
    CHECK(virtq_dev_should_notify(&q, &mem)); /* entries 1, 2: 1 asked for */
    virtq_drv_add(&d, &b, 1, 0, &token);
    virtq_dev_pop(&q, &mem, &c);
    virtq_dev_push(&q, &mem, c.head, 0);
    CHECK(!virtq_dev_should_notify(&q, &mem)); /* entry 3: not asked for */
}

/* ---- malformed rings (SECURITY.md, "Split virtqueue") ------------------- */

/* Pop the hand-built ring once: it must fail with `want`, break the queue,
   write nothing to RAM, ask the hooks for nothing outside RAM, and stay
   broken; then a reset and a good chain work again. */
static void expect_bad(virtq_dev *q, const virtio_mem *m, int want, int line)
{
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    unsigned long w = writes;
    int r = virtq_dev_pop(q, m, &c);

    if (r != want)
        printf("line %d: pop gave %d, want %d\n", line, r, want);
    CHECK_EQ(r, want);
    CHECK(q->broken);
    CHECK_EQ(c.n, 0);
    CHECK_EQ(writes, w);
    CHECK_EQ(refused, 0);
    CHECK_EQ(virtq_dev_pop(q, m, &c), VIRTQ_E_BROKEN);
    virtq_dev_push(q, m, 0, 0); /* ignored on a broken queue */
    CHECK_EQ(writes, w);
    /* The way back: the guest resets the device and starts again. */
    virtq_dev_init(q, 8, DESC, AVAIL, USED, false, true);
    desc_at(DESC, 5, DATA, 4, 0, 0);
    offer(8, 0, 5);
    CHECK_EQ(virtq_dev_pop(q, &mem, &c), 1);
    CHECK_EQ(c.head, 5);
}
#define EXPECT_BAD(q, m, want) expect_bad(q, m, want, __LINE__)

TEST(loops)
{
    virtq_dev q;

    fresh_dev(&q); /* a self-loop */
    desc_at(DESC, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_LOOP);

    fresh_dev(&q); /* 0 -> 1 -> 0 */
    desc_at(DESC, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    desc_at(DESC, 1, DATA, 4, VIRTQ_DESC_F_NEXT, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_LOOP);

    fresh_dev(&q); /* zero-length descriptors in a loop */
    for (unsigned i = 0; i < 8; i++)
        desc_at(DESC, i, 0, 0, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % 8));
    offer(8, 0, 3);
    EXPECT_BAD(&q, &mem, VIRTQ_E_LOOP);

    fresh_dev(&q); /* a loop inside an indirect table */
    desc_at(DESC, 0, IND, 32, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(IND, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    desc_at(IND, 1, DATA, 4, VIRTQ_DESC_F_NEXT, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_LOOP);
}

TEST(zero_length)
{
    virtq_dev q;
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    char buf[4];

    /* A whole chain of zero-length descriptors is not forbidden by the spec:
       it is served, as empty buffers, in at most `size` steps. */
    fresh_dev(&q);
    for (unsigned i = 0; i < 8; i++)
        desc_at(DESC, i, 0, 0, (uint16_t)(i < 7 ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
    offer(8, 0, 0);
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    CHECK_EQ(c.n, 8);
    CHECK_EQ(c.out_bytes + c.in_bytes, 0);
    CHECK_EQ(virtq_chain_read(&c, &mem, 0, buf, sizeof buf), 0);
    CHECK_EQ(virtq_chain_write(&c, &mem, 0, buf, sizeof buf), 0);
    /* Even at an address outside RAM: an empty range touches nothing. */
    fresh_dev(&q);
    desc_at(DESC, 0, MMIO_GPA, 0, 0, 0);
    offer(8, 0, 0);
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    CHECK_EQ(virtq_chain_read(&c, &mem, 0, buf, sizeof buf), 0);
    CHECK_EQ(refused, 0);
}

TEST(indices)
{
    virtq_dev q;

    fresh_dev(&q); /* next out of range */
    desc_at(DESC, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 8);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_INDEX);

    fresh_dev(&q); /* head out of range */
    offer(8, 0, 8);
    EXPECT_BAD(&q, &mem, VIRTQ_E_INDEX);

    fresh_dev(&q); /* head 0xffff */
    offer(8, 0, 0xffff);
    EXPECT_BAD(&q, &mem, VIRTQ_E_INDEX);

    fresh_dev(&q); /* avail.idx nine ahead of a queue of 8 */
    put16(AVAIL + 2, 9);
    EXPECT_BAD(&q, &mem, VIRTQ_E_AVAIL);

    fresh_dev(&q); /* avail.idx "behind": 0xffff ahead */
    put16(AVAIL + 2, 0xffff);
    EXPECT_BAD(&q, &mem, VIRTQ_E_AVAIL);

    fresh_dev(&q); /* next out of range inside an indirect table of 2 */
    desc_at(DESC, 0, IND, 32, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(IND, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 2);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_INDEX);
}

TEST(ranges)
{
    virtq_dev q;

    fresh_dev(&q); /* past the end of RAM */
    desc_at(DESC, 0, RAM_SIZE - 4, 8, 0, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_MEM);

    fresh_dev(&q); /* addr + len wraps 2^64 */
    desc_at(DESC, 0, UINT64_MAX - 0xf, 0x20, 0, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_MEM);

    fresh_dev(&q); /* the same with a hook that says "RAM" to anything */
    desc_at(DESC, 0, UINT64_MAX - 0xf, 0x20, 0, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem_all, VIRTQ_E_MEM);

    fresh_dev(&q); /* inside a device's MMIO window */
    desc_at(DESC, 0, MMIO_GPA, 0x100, VIRTQ_DESC_F_WRITE, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_MEM);

    fresh_dev(&q); /* an indirect table outside RAM */
    desc_at(DESC, 0, MMIO_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_MEM);

    /* The rings themselves outside RAM: refused by the hooks. */
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    clear_ram();
    virtq_dev_init(&q, 8, DESC, MMIO_GPA, USED, false, false);
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), VIRTQ_E_MEM);
    CHECK(q.broken);
    virtq_dev_init(&q, 8, RAM_SIZE - 16, AVAIL, USED, false, false);
    desc_at(DESC, 0, DATA, 4, 0, 0);
    offer(8, 0, 1); /* descriptor 1 lies past the end of RAM */
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), VIRTQ_E_MEM);
    CHECK(q.broken);
}

TEST(indirect_rules)
{
    virtq_dev q;

    fresh_dev(&q); /* indirect inside indirect */
    desc_at(DESC, 0, IND, 32, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(IND, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    desc_at(IND, 1, IND + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_INDIRECT);

    static const uint32_t bad_len[] = { 0, 15, 17, 24, 8 * 16 + 16 };
    for (unsigned i = 0; i < sizeof bad_len / sizeof bad_len[0]; i++) {
        fresh_dev(&q); /* not a nonzero multiple of 16, or more than the queue */
        desc_at(DESC, 0, IND, bad_len[i], VIRTQ_DESC_F_INDIRECT, 0);
        offer(8, 0, 0);
        EXPECT_BAD(&q, &mem, VIRTQ_E_INDIRECT);
    }

    fresh_dev(&q); /* INDIRECT together with NEXT */
    desc_at(DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    desc_at(IND, 0, DATA, 4, 0, 0);
    desc_at(DESC, 1, DATA, 4, 0, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_INDIRECT);

    fresh_dev(&q); /* a prefix of 4 plus a table of 5: 9 buffers > 8 */
    for (unsigned i = 0; i < 4; i++)
        desc_at(DESC, i, DATA, 4, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
    desc_at(DESC, 4, IND, 5 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    for (unsigned i = 0; i < 5; i++)
        desc_at(IND, i, DATA, 4, (uint16_t)(i < 4 ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_LOOP);

    /* A full table of 8 is fine; its WRITE flag is ignored ("Indirect Descriptors"). */
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    fresh_dev(&q);
    desc_at(DESC, 0, IND, 8 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
    for (unsigned i = 0; i < 8; i++)
        desc_at(IND, i, DATA, 4, (uint16_t)(i < 7 ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
    offer(8, 0, 0);
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    CHECK_EQ(c.n, 8);
    CHECK_EQ(c.out_bytes, 32);
}

TEST(order_and_length)
{
    virtq_dev q;

    fresh_dev(&q); /* readable after writable */
    desc_at(DESC, 0, DATA, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    desc_at(DESC, 1, DATA, 4, 0, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_ORDER);

    fresh_dev(&q); /* the same after an empty writable one */
    desc_at(DESC, 0, DATA, 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    desc_at(DESC, 1, DATA, 4, 0, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem, VIRTQ_E_ORDER);

    fresh_dev(&q); /* a huge chain: 2 x (4 GiB - 1) is more than 2^32 bytes */
    desc_at(DESC, 0, 0x100000000ull, 0xffffffffu, VIRTQ_DESC_F_NEXT, 1);
    desc_at(DESC, 1, 0x200000000ull, 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
    offer(8, 0, 0);
    EXPECT_BAD(&q, &mem_all, VIRTQ_E_LEN);

    fresh_dev(&q); /* exactly 2^32 bytes is allowed ("Descriptor Table") */
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    desc_at(DESC, 0, 0x100000000ull, 0xffffffffu, VIRTQ_DESC_F_NEXT, 1);
    desc_at(DESC, 1, 0x200000000ull, 1, VIRTQ_DESC_F_WRITE, 0);
    offer(8, 0, 0);
    CHECK_EQ(virtq_dev_pop(&q, &mem_all, &c), 1);
    CHECK_EQ(c.out_bytes + c.in_bytes, 0x100000000ull);

    fresh_dev(&q); /* longer than the caller's segment array */
    virtq_chain small = { segs, 2, 0, 0, 0, 0 };
    for (unsigned i = 0; i < 3; i++)
        desc_at(DESC, i, DATA, 4, (uint16_t)(i < 2 ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
    offer(8, 0, 0);
    CHECK_EQ(virtq_dev_pop(&q, &mem, &small), VIRTQ_E_CAP);
    CHECK(q.broken);
}

/* Rule 6: a descriptor is read once and the copy is what counts; the
   guest rewriting it after the read changes nothing the device does. */
TEST(read_once)
{
    virtq_dev q;
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    char got[8] = { 0 };

    fresh_dev(&q);
    memcpy(ram + DATA, "payload", 8);
    desc_at(DESC, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
    desc_at(DESC, 1, DATA + 64, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(8, 0, 0);
    rewrite_at = DESC;
    CHECK_EQ(virtq_dev_pop(&q, &mem, &c), 1);
    CHECK_EQ(rewrite_at, UINT64_MAX); /* the rewrite happened */
    CHECK_EQ(get32(DESC), MMIO_GPA);
    CHECK_EQ(c.n, 2);
    CHECK_EQ(segs[0].gpa, DATA);
    CHECK_EQ(segs[0].len, 8);
    CHECK_EQ(virtq_chain_read(&c, &mem, 0, got, sizeof got), 8);
    CHECK(strcmp(got, "payload") == 0);
    CHECK_EQ(refused, 0);
}

/* ---- a hostile device, seen by the driver ------------------------------- */

static void drv_one(virtq_drv *d, int *token)
{
    clear_ram();
    virtq_drv_init(d, 8, ram + DESC, ram + AVAIL, ram + USED, false);
    virtq_buf b[2] = { { DATA, 4 }, { DATA + 64, 32 } };
    virtq_drv_add(d, b, 1, 1, token);
}

static void used_entry(uint16_t idx, uint32_t id, uint32_t len)
{
    put32(USED + 4 + 8u * (idx % 8), id);
    put32(USED + 8 + 8u * (idx % 8), len);
    put16(USED + 2, (uint16_t)(idx + 1));
}

TEST(hostile_device)
{
    virtq_drv d;
    int token;
    uint32_t len = 0;

    drv_one(&d, &token); /* an id out of range */
    used_entry(0, 8, 0);
    CHECK(virtq_drv_get_used(&d, &len) == NULL);
    CHECK(d.broken);
    CHECK_EQ(virtq_drv_add(&d, (const virtq_buf[]){ { DATA, 4 } }, 1, 0, &token), VIRTQ_E_BROKEN);

    drv_one(&d, &token); /* an id not in flight */
    used_entry(0, 3, 0);
    CHECK(virtq_drv_get_used(&d, &len) == NULL);
    CHECK(d.broken);

    drv_one(&d, &token); /* the same head twice */
    used_entry(0, 0, 0);
    CHECK(virtq_drv_get_used(&d, &len) == &token);
    used_entry(1, 0, 0);
    CHECK(virtq_drv_get_used(&d, &len) == NULL);
    CHECK(d.broken);

    drv_one(&d, &token); /* used.idx nine ahead */
    used_entry(0, 0, 0);
    put16(USED + 2, 9);
    CHECK(virtq_drv_get_used(&d, &len) == NULL);
    CHECK(d.broken);

    drv_one(&d, &token); /* a huge length: clamped to the 32 writable bytes */
    used_entry(0, 0, 0xffffffffu);
    CHECK(virtq_drv_get_used(&d, &len) == &token);
    CHECK_EQ(len, 32);
    CHECK_EQ(d.bad_len, 1);
    CHECK(!d.broken);
    CHECK_EQ(d.num_free, 8);

    /* The device rewrote the shared descriptor table: the driver's free
       list is its own, so all 8 descriptors still come back. */
    drv_one(&d, &token);
    for (unsigned i = 0; i < 8; i++)
        desc_at(DESC, i, 0, 0, VIRTQ_DESC_F_NEXT, 0);
    used_entry(0, 0, 1);
    CHECK(virtq_drv_get_used(&d, &len) == &token);
    CHECK_EQ(d.num_free, 8);
    CHECK_EQ(d.free_head, 0);
    int tokens[8];
    unsigned added = 0;
    for (unsigned i = 0; i < 8; i++)
        added += virtq_drv_add(&d, (const virtq_buf[]){ { DATA, 4 } }, 1, 0, &tokens[i]) == 0;
    CHECK_EQ(added, 8);
    CHECK_EQ(virtq_drv_add(&d, (const virtq_buf[]){ { DATA, 4 } }, 1, 0, &token), VIRTQ_E_FULL);

    /* Caller errors. */
    drv_one(&d, &token);
    CHECK_EQ(virtq_drv_add(&d, (const virtq_buf[]){ { DATA, 4 } }, 0, 0, &token), VIRTQ_E_ARG);
    CHECK_EQ(virtq_drv_add(&d, (const virtq_buf[]){ { DATA, 4 } }, 1, 0, NULL), VIRTQ_E_ARG);
    CHECK_EQ(virtq_drv_add(&d, (const virtq_buf[]){ { 0, 0xffffffffu }, { 0, 2 } }, 2, 0, &token),
             VIRTQ_E_ARG);
}

/* ---- random descriptor tables ------------------------------------------- */

static uint32_t rng = 1;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Mostly plausible values, so that some chains are valid. */
static uint64_t rnd_addr(void)
{
    switch (rnd() % 8) {
    case 0: return rnd() % (RAM_SIZE + 64);
    case 1: return UINT64_MAX - rnd() % 64;
    case 2: return MMIO_GPA;
    case 3: return IND + 16u * (rnd() % 8);
    default: return DATA + rnd() % 4096;
    }
}

static uint32_t rnd_len(void)
{
    switch (rnd() % 6) {
    case 0: return rnd();
    case 1: return 16u * (rnd() % 10);
    case 2: return 0;
    default: return rnd() % 256;
    }
}

static void rnd_table(uint64_t table, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint16_t flags = (uint16_t)(rnd() % 3 == 0 ? rnd() : rnd() % 8);
        uint16_t next = (uint16_t)(rnd() % 4 == 0 ? rnd() : rnd() % 9);
        desc_at(table, i, rnd_addr(), rnd_len(), flags, next);
    }
}

TEST(fuzz)
{
    virtq_dev q;
    virtq_seg segs[8];
    virtq_chain c = { segs, 8, 0, 0, 0, 0 };
    unsigned long ok = 0, failed = 0, bad = 0;

    for (unsigned iter = 0; iter < 20000; iter++) {
        fresh_dev(&q);
        q.indirect = rnd() % 2;
        rnd_table(DESC, 8);
        rnd_table(IND, 8);
        for (unsigned i = 0; i < 8; i++)
            put16(AVAIL + 4 + 2 * i, (uint16_t)(rnd() % 5 == 0 ? rnd() : rnd() % 8));
        put16(AVAIL + 2, (uint16_t)(rnd() % 4 == 0 ? rnd() : rnd() % 10));
        for (unsigned k = 0; k < 12; k++) {
            int r = virtq_dev_pop(&q, &mem, &c);
            if (r == 0)
                break;
            if (r < 0) {
                failed++;
                bad += !q.broken || c.n != 0 || virtq_dev_pop(&q, &mem, &c) != VIRTQ_E_BROKEN;
                break;
            }
            ok++;
            /* A chain that obeys every rule. */
            uint64_t out = 0, in = 0;
            bad += c.n == 0 || c.n > 8 || c.head >= 8;
            for (uint32_t i = 0; i < c.n; i++) {
                bad += segs[i].len && !in_ram(segs[i].gpa, segs[i].len);
                bad += i > 0 && segs[i - 1].write && !segs[i].write;
                if (segs[i].write)
                    in += segs[i].len;
                else
                    out += segs[i].len;
            }
            bad += out != c.out_bytes || in != c.in_bytes || out + in > 0x100000000ull;
            virtq_dev_push(&q, &mem, c.head, (uint32_t)in);
        }
        bad += refused != 0; /* never asked for memory outside RAM */
    }
    CHECK_EQ(bad, 0);
    CHECK(ok > 1000);
    CHECK(failed > 1000);
}

/* A device that writes random used entries: the driver hands back only
   tokens it has in flight, never a length beyond the chain, keeps its
   free count within the queue, and once broken gives nothing more. */
TEST(fuzz_driver)
{
    virtq_drv d;
    static int tokens[8];
    unsigned long bad = 0, served = 0, broke = 0;

    for (unsigned iter = 0; iter < 5000; iter++) {
        clear_ram();
        virtq_drv_init(&d, 8, ram + DESC, ram + AVAIL, ram + USED, rnd() % 2);
        if (rnd() % 2)
            virtq_drv_set_indirect(&d, ram + IND, IND, 4);
        uint16_t used = 0;
        for (unsigned k = 0; k < 40 && !d.broken; k++) {
            unsigned n_out = rnd() % 3, n_in = rnd() % 3;
            virtq_buf b[4] = { { DATA, 8 }, { DATA, 8 }, { DATA, 8 }, { DATA, 8 } };
            int r = virtq_drv_add(&d, b, n_out, n_in, &tokens[k % 8]);
            bad += r != 0 && r != VIRTQ_E_FULL && !(r == VIRTQ_E_ARG && n_out + n_in == 0);
            /* The device: mostly a head in flight (as a real one knows
               them), sometimes anything at all. */
            int h = -1;
            for (unsigned i = rnd() % 8, j = 0; j < 8 && h < 0; j++)
                if (d.slot[(i + j) % 8].token)
                    h = (int)((i + j) % 8);
            bool evil = rnd() % 16 == 0;
            if (h < 0 && !evil)
                continue;
            uint32_t id = evil ? (rnd() % 2 ? rnd() : rnd() % 8) : (uint32_t)h;
            uint32_t len = evil || rnd() % 8 == 0 ? rnd() : rnd() % 17;
            put32(USED + 4 + 8u * (used % 8), id);
            put32(USED + 8 + 8u * (used % 8), len);
            used = (uint16_t)(used + (evil && rnd() % 2 ? rnd() % 20 : 1));
            put16(USED + 2, used);
            for (unsigned g = 0; g < 3; g++) {
                uint32_t got = 0;
                uint16_t slot = (uint16_t)(d.last_used % 8);
                uint32_t want_id = get32(USED + 4 + 8u * slot);
                uint32_t cap = want_id < 8 ? d.slot[want_id].in_bytes : 0;
                void *expect = want_id < 8 ? d.slot[want_id].token : NULL;
                void *t = virtq_drv_get_used(&d, &got);
                if (!t)
                    break;
                served++;
                /* Only a head in flight comes back, with its own token. */
                bad += want_id >= 8 || t != expect || got > cap || got > 16;
                bad += want_id < 8 && d.slot[want_id].token != NULL;
            }
            bad += d.num_free > 8;
        }
        broke += d.broken;
        if (d.broken) {
            uint32_t got;
            bad += virtq_drv_get_used(&d, &got) != NULL;
            bad += virtq_drv_add(&d, (const virtq_buf[]){ { DATA, 4 } }, 1, 0, &tokens[0]) !=
                   VIRTQ_E_BROKEN;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK(served > 1000);
    CHECK(broke > 100);
}

TEST(asserts_are_there)
{
    /* VIRTIO_ASSERT is the test's counter: push asserts its head. */
    unsigned long before = asserts;
    virtq_dev q;
    fresh_dev(&q);
    virtq_dev_push(&q, &mem, 1, 0);
    CHECK(asserts > before);
}

CHECK_MAIN(TEST_ENTRY(need_event), TEST_ENTRY(layout), TEST_ENTRY(round_trip),
           TEST_ENTRY(suppression_flags), TEST_ENTRY(indirect), TEST_ENTRY(many_wrap),
           TEST_ENTRY(many_wrap_event_idx), TEST_ENTRY(event_idx_kicks), TEST_ENTRY(loops),
           TEST_ENTRY(zero_length), TEST_ENTRY(indices), TEST_ENTRY(ranges),
           TEST_ENTRY(indirect_rules), TEST_ENTRY(order_and_length), TEST_ENTRY(read_once),
           TEST_ENTRY(hostile_device),
           TEST_ENTRY(fuzz), TEST_ENTRY(fuzz_driver), TEST_ENTRY(asserts_are_there))
