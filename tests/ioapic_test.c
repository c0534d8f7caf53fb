/* ioapic_test.c - hdr/ioapic.h: the model driven through register sequences
   at its MMIO offsets, asserting register contents, the MSI pairs it sends
   (captured by the deliver hook), remote IRR and delivery status; then the
   driver run against the model.

   Prints `ok NAME` or `FAIL NAME: why` per test; exits non-zero on failure.
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define IOAPIC_IMPLEMENTATION
#include "ioapic.h"

#include "check.h"

/* ---- the model under test, with its hooks captured ---- */

static ioapic_model m;
static unsigned sent, throttles, throttled_pin;
static ioapic_msi last;

static void on_deliver(void *ctx, const ioapic_msi *msg)
{
    (void)ctx;
    sent++;
    last = *msg;
}

static void on_throttled(void *ctx, unsigned pin)
{
    (void)ctx;
    throttles++;
    throttled_pin = pin;
}

static void fresh(unsigned version)
{
    ioapic_hooks h = { on_deliver, on_throttled, 0 };

    sent = throttles = 0;
    throttled_pin = 99;
    memset(&last, 0, sizeof last);
    if (!CHECK(ioapic_model_init(&m, version, &h)))
        printf("  ioapic_model_init refused\n");
}

static uint32_t rd(unsigned index)
{
    ioapic_model_write(&m, IOAPIC_IOREGSEL, 4, index);
    return (uint32_t)ioapic_model_read(&m, IOAPIC_IOWIN, 4);
}

static void wr(unsigned index, uint32_t val)
{
    ioapic_model_write(&m, IOAPIC_IOREGSEL, 4, index);
    ioapic_model_write(&m, IOAPIC_IOWIN, 4, val);
}

static void eoi_reg(uint8_t vector)
{
    ioapic_model_write(&m, IOAPIC_EOIR, 4, vector);
}

static uint32_t lo(unsigned pin) { return rd(IOAPIC_REDTBL_LO(pin)); }

#define LEVEL  ((uint32_t)IOAPIC_RTE_TRIGGER)
#define LOW    ((uint32_t)IOAPIC_RTE_INTPOL)
#define MASKED ((uint32_t)IOAPIC_RTE_MASK)
#define RIRR   ((uint32_t)IOAPIC_RTE_RIRR)
#define DELIVS ((uint32_t)IOAPIC_RTE_DELIVS)

/* ---- registers ---- */

static void test_id_version_arbitration(void)
{
    fresh(IOAPIC_VERSION_20);
    CHECK_EQ(rd(IOAPIC_ID), 0);
    CHECK_EQ(rd(IOAPIC_VER), 0x00170020);
    wr(IOAPIC_ID, 0xffffffff);               /* only bits 27:24 stick */
    CHECK_EQ(rd(IOAPIC_ID), 0x0f000000);
    wr(IOAPIC_ID, 0x05000000);
    CHECK_EQ(rd(IOAPIC_ID), 0x05000000);
    CHECK_EQ(rd(IOAPIC_ARB), 0x05000000);    /* arbitration reads the ID */
    wr(IOAPIC_VER, 0);                       /* read-only */
    wr(IOAPIC_ARB, 0);
    CHECK_EQ(rd(IOAPIC_VER), 0x00170020);
    CHECK_EQ(rd(IOAPIC_ARB), 0x05000000);
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_IOREGSEL, 4), IOAPIC_ARB);
    for (unsigned i = 3; i < 0x10; i++)      /* the hole below the table */
        CHECK_EQ(rd(i), 0xffffffff);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        CHECK_EQ(lo(pin), MASKED);           /* reset: masked, all else 0 */
        CHECK_EQ(rd(IOAPIC_REDTBL_LO(pin) + 1), 0);
    }
}

static void test_version_11_vs_20(void)
{
    ioapic_model bad;

    CHECK(!ioapic_model_init(&bad, 0x12, 0));
    fresh(IOAPIC_VERSION_11);
    CHECK_EQ(rd(IOAPIC_VER), 0x00170011);
    wr(IOAPIC_REDTBL_LO(3), 0x33 | LEVEL);
    ioapic_set_irq(&m, 3, 1);
    CHECK_EQ(sent, 1);
    eoi_reg(0x33);                           /* no EOI register on 0x11 */
    CHECK_EQ(lo(3) & RIRR, RIRR);
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_EOIR, 4), 0xffffffff);
    ioapic_eoi(&m, 0x33);                    /* the broadcast still works */
    CHECK_EQ(lo(3) & RIRR, RIRR);            /* re-delivered: line still high */
    CHECK_EQ(sent, 2);

    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(3), 0x33 | LEVEL);
    ioapic_set_irq(&m, 3, 1);
    ioapic_set_irq(&m, 3, 0);
    CHECK_EQ(lo(3) & RIRR, RIRR);
    eoi_reg(0x33);
    CHECK_EQ(lo(3) & RIRR, 0);
    CHECK_EQ(sent, 1);
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_EOIR, 4), 0xffffffff); /* write-only */
}

static void test_read_only_bits(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(5), 0xffffffff);     /* DELIVS, RIRR, 31:17 stay 0 */
    CHECK_EQ(lo(5), 0x0001afff);
    wr(IOAPIC_REDTBL_LO(5) + 1, 0xffffffff); /* 55:32 reserved */
    CHECK_EQ(rd(IOAPIC_REDTBL_LO(5) + 1), 0xff000000);
    /* A set remote IRR survives a guest write that tries to clear it. */
    wr(IOAPIC_REDTBL_LO(6), 0x40 | LEVEL);
    ioapic_set_irq(&m, 6, 1);
    CHECK_EQ(lo(6) & RIRR, RIRR);
    wr(IOAPIC_REDTBL_LO(6), 0x40 | LEVEL);
    CHECK_EQ(lo(6) & RIRR, RIRR);
    CHECK_EQ(sent, 1);
}

static void test_out_of_range_index(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_ID, 0x03000000);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        wr(IOAPIC_REDTBL_LO(pin), 0x20 + pin);
    ioapic_state before, after;
    ioapic_model_save(&m, &before);
    for (unsigned i = 0x40; i <= 0xff; i++) {
        CHECK_EQ(rd(i), 0xffffffff);
        wr(i, 0);
        wr(i, 0xffffffff);
        CHECK_EQ(rd(i), 0xffffffff);
    }
    ioapic_model_write(&m, IOAPIC_IOREGSEL, 4, 0x10);
    ioapic_model_save(&m, &after);
    after.ioregsel = before.ioregsel;
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    /* IOREGSEL keeps 8 bits: 0x110 selects 0x10, not a 273rd register. */
    wr(0x110, 0x99);
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_IOREGSEL, 4), 0x10);
}

static void test_non_32bit_access(void)
{
    static const unsigned widths[] = { 1, 2, 8 };

    fresh(IOAPIC_VERSION_20);
    ioapic_model_write(&m, IOAPIC_IOREGSEL, 4, IOAPIC_VER);
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_IOWIN, 1), 0xff);
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_IOWIN, 2), 0xffff);
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_IOWIN, 8), UINT64_MAX);
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_IOWIN + 1, 4), 0xffffffff); /* unaligned */
    CHECK_EQ(ioapic_model_read(&m, 0x20, 4), 0xffffffff);              /* a hole */
    CHECK_EQ(ioapic_model_read(&m, 0xffc, 4), 0xffffffff);
    for (unsigned i = 0; i < 3; i++) {
        ioapic_model_write(&m, IOAPIC_IOREGSEL, widths[i], IOAPIC_ID);
        ioapic_model_write(&m, IOAPIC_IOWIN, widths[i], 0x0f000000);
    }
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_IOREGSEL, 4), IOAPIC_VER);
    CHECK_EQ(rd(IOAPIC_ID), 0);
    /* An EOI of the wrong width is no EOI. */
    wr(IOAPIC_REDTBL_LO(1), 0x31 | LEVEL);
    ioapic_set_irq(&m, 1, 1);
    ioapic_set_irq(&m, 1, 0);
    ioapic_model_write(&m, IOAPIC_EOIR, 1, 0x31);
    CHECK_EQ(lo(1) & RIRR, RIRR);
}

/* ---- delivery ---- */

static void test_edge_and_masked_edge(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(4), 0x24);
    wr(IOAPIC_REDTBL_LO(4) + 1, 0x01000000);
    ioapic_set_irq(&m, 4, 1);
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.address, 0xfee01000);
    CHECK_EQ(last.data, 0x4024);
    CHECK_EQ(lo(4), 0x24);                   /* no remote IRR, no status */
    ioapic_set_irq(&m, 4, 1);                /* still high: no new edge */
    CHECK_EQ(sent, 1);
    ioapic_set_irq(&m, 4, 0);
    ioapic_set_irq(&m, 4, 1);
    CHECK_EQ(sent, 2);
    ioapic_set_irq(&m, 4, 0);
    wr(IOAPIC_REDTBL_LO(4), 0x24 | MASKED);
    ioapic_set_irq(&m, 4, 1);                /* masked edge: dropped */
    wr(IOAPIC_REDTBL_LO(4), 0x24);           /* and not sent on unmask */
    CHECK_EQ(sent, 2);
    CHECK_EQ(m.s.deliveries[4], 2);
    ioapic_set_irq(&m, 24, 1);               /* no pin 24: ignored */
    ioapic_set_irq(&m, 1000, 1);
    CHECK_EQ(sent, 2);
}

static void test_level_eoi_broadcast(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(9), 0x29 | LEVEL);
    ioapic_set_irq(&m, 9, 1);
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.data, 0xc029);             /* level, assert */
    CHECK_EQ(lo(9), 0x29 | LEVEL | RIRR | DELIVS); /* waiting on the EOI */
    ioapic_set_irq(&m, 9, 0);
    CHECK_EQ(lo(9), 0x29 | LEVEL | RIRR);    /* nothing left to send */
    ioapic_eoi(&m, 0x30);                    /* another vector: no effect */
    CHECK_EQ(lo(9) & RIRR, RIRR);
    ioapic_eoi(&m, 0x29);
    CHECK_EQ(lo(9), 0x29 | LEVEL);
    CHECK_EQ(sent, 1);                       /* the line dropped: no resend */
    CHECK_EQ(m.s.eois[9], 1);
    ioapic_eoi(&m, 0x29);                    /* a second EOI finds nothing */
    CHECK_EQ(m.s.eois[9], 1);
}

static void test_level_redelivery_while_high(void)
{
    /* Cloud Hypervisor clears remote IRR on EOI but never sends again. */
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(10), 0x2a | LEVEL);
    ioapic_set_irq(&m, 10, 1);
    CHECK_EQ(sent, 1);
    ioapic_eoi(&m, 0x2a);
    CHECK_EQ(sent, 2);
    CHECK_EQ(lo(10), 0x2a | LEVEL | RIRR | DELIVS);
    eoi_reg(0x2a);                           /* by the EOI register too */
    CHECK_EQ(sent, 3);
    ioapic_set_irq(&m, 10, 0);
    eoi_reg(0x2a);
    CHECK_EQ(sent, 3);
    CHECK_EQ(lo(10), 0x2a | LEVEL);
    CHECK_EQ(m.s.deliveries[10], 3);
    CHECK_EQ(m.s.eois[10], 3);
}

static void test_storm_guard(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(11), 0x2b | LEVEL);
    ioapic_set_irq(&m, 11, 1);
    CHECK_EQ(ioapic_poll(&m, 0), IOAPIC_NO_DEADLINE);
    for (unsigned i = 0; i < IOAPIC_STORM_MAX; i++)
        ioapic_eoi(&m, 0x2b);
    CHECK_EQ(sent, 1 + IOAPIC_STORM_MAX);
    CHECK_EQ(throttles, 0);
    ioapic_eoi(&m, 0x2b);                    /* one too many: held */
    CHECK_EQ(sent, 1 + IOAPIC_STORM_MAX);
    CHECK_EQ(throttles, 1);
    CHECK_EQ(throttled_pin, 11);
    CHECK_EQ(lo(11), 0x2b | LEVEL | DELIVS); /* pending, IRR clear */
    for (unsigned i = 0; i < 1000; i++)      /* the guest keeps EOIing */
        ioapic_eoi(&m, 0x2b);
    CHECK_EQ(sent, 1 + IOAPIC_STORM_MAX);
    uint64_t t0 = 5000000000ull;
    CHECK_EQ(ioapic_poll(&m, t0), t0 + IOAPIC_STORM_DELAY_NS);
    CHECK_EQ(ioapic_poll(&m, t0 + IOAPIC_STORM_DELAY_NS - 1), t0 + IOAPIC_STORM_DELAY_NS);
    CHECK_EQ(sent, 1 + IOAPIC_STORM_MAX);
    CHECK_EQ(ioapic_poll(&m, t0 + IOAPIC_STORM_DELAY_NS), IOAPIC_NO_DEADLINE);
    CHECK_EQ(sent, 2 + IOAPIC_STORM_MAX);    /* released: exactly one */
    CHECK_EQ(lo(11), 0x2b | LEVEL | RIRR | DELIVS);
    ioapic_eoi(&m, 0x2b);                    /* still stuck: held again */
    CHECK_EQ(sent, 2 + IOAPIC_STORM_MAX);
    CHECK_EQ(throttles, 2);
    /* The line drops: the storm is over, the guard lets go at once. */
    ioapic_set_irq(&m, 11, 0);
    CHECK_EQ(lo(11), 0x2b | LEVEL);
    CHECK_EQ(ioapic_poll(&m, t0), IOAPIC_NO_DEADLINE);
    ioapic_set_irq(&m, 11, 1);
    CHECK_EQ(sent, 3 + IOAPIC_STORM_MAX);
    for (unsigned i = 0; i < 100; i++)
        ioapic_eoi(&m, 0x2b);
    CHECK_EQ(sent, 103 + IOAPIC_STORM_MAX);  /* normal service again */
    CHECK_EQ(throttles, 2);
}

static void hold_pin(unsigned pin, uint8_t vector)
{
    wr(IOAPIC_REDTBL_LO(pin), vector | LEVEL);
    ioapic_set_irq(&m, pin, 1);
    for (unsigned i = 0; i <= IOAPIC_STORM_MAX; i++)
        ioapic_eoi(&m, vector);
}

static void test_storm_guard_reprogram(void)
{
    /* Switched to edge while held: the hold, its deadline and the count go. */
    fresh(IOAPIC_VERSION_20);
    hold_pin(17, 0x31);
    CHECK_EQ(throttles, 1);
    CHECK(ioapic_poll(&m, 100) != IOAPIC_NO_DEADLINE);
    wr(IOAPIC_REDTBL_LO(17), 0x31);
    CHECK_EQ(m.s.held, 0);
    CHECK_EQ(m.s.storm[17], 0);
    CHECK_EQ(ioapic_poll(&m, 200), IOAPIC_NO_DEADLINE);
    /* A polarity flip that deasserts the line also ends the storm. */
    fresh(IOAPIC_VERSION_20);
    hold_pin(20, 0x34);
    wr(IOAPIC_REDTBL_LO(20), 0x34 | LEVEL | LOW);
    CHECK_EQ(m.s.held, 0);
    CHECK_EQ(m.s.storm[20], 0);
    CHECK_EQ(lo(20), 0x34 | LEVEL | LOW);
    /* Masked while held: the release sends nothing; the unmask sends one. */
    fresh(IOAPIC_VERSION_20);
    hold_pin(18, 0x32);
    unsigned before = sent;
    wr(IOAPIC_REDTBL_LO(18), 0x32 | LEVEL | MASKED);
    CHECK_EQ(lo(18), 0x32 | LEVEL | MASKED);  /* masked: not pending */
    uint64_t t = ioapic_poll(&m, 0);
    CHECK_EQ(ioapic_poll(&m, t), IOAPIC_NO_DEADLINE);
    CHECK_EQ(sent, before);
    wr(IOAPIC_REDTBL_LO(18), 0x32 | LEVEL);
    CHECK_EQ(sent, before + 1);
    /* No hooks at all: the model still runs. */
    ioapic_model_init(&m, IOAPIC_VERSION_20, 0);
    sent = 0;
    hold_pin(19, 0x33);
    CHECK_EQ(m.s.held, 1u << 19);
    CHECK_EQ(sent, 0);
    CHECK_EQ(m.s.deliveries[19], 1 + IOAPIC_STORM_MAX);
}

static void test_polarity(void)
{
    fresh(IOAPIC_VERSION_20);
    ioapic_set_irq(&m, 12, 1);               /* an idle active-low line is 1 */
    wr(IOAPIC_REDTBL_LO(12), 0x2c | LEVEL | LOW);
    CHECK_EQ(sent, 0);
    ioapic_set_irq(&m, 12, 0);               /* asserted */
    CHECK_EQ(sent, 1);
    CHECK_EQ(lo(12), 0x2c | LEVEL | LOW | RIRR | DELIVS);
    ioapic_eoi(&m, 0x2c);
    CHECK_EQ(sent, 2);                       /* still low, still asserted */
    ioapic_set_irq(&m, 12, 1);
    ioapic_eoi(&m, 0x2c);
    CHECK_EQ(sent, 2);
    /* Edge, active low: the falling electrical edge is the one that counts. */
    wr(IOAPIC_REDTBL_LO(13), 0x2d | LOW);
    ioapic_set_irq(&m, 13, 1);
    CHECK_EQ(sent, 2);
    ioapic_set_irq(&m, 13, 0);
    CHECK_EQ(sent, 3);
    CHECK_EQ(last.data & 0xff, 0x2d);
    ioapic_set_irq(&m, 13, 1);
    CHECK_EQ(sent, 3);
}

static void test_unmask_reevaluates_level(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(14), 0x2e | LEVEL | MASKED);
    ioapic_set_irq(&m, 14, 1);
    CHECK_EQ(sent, 0);
    CHECK_EQ(lo(14), 0x2e | LEVEL | MASKED); /* masked: nothing pending */
    wr(IOAPIC_REDTBL_LO(14), 0x2e | LEVEL);
    CHECK_EQ(sent, 1);
    CHECK_EQ(lo(14) & RIRR, RIRR);
    /* Masked with remote IRR set: the EOI clears it but sends nothing... */
    wr(IOAPIC_REDTBL_LO(14), 0x2e | LEVEL | MASKED);
    ioapic_eoi(&m, 0x2e);
    CHECK_EQ(sent, 1);
    CHECK_EQ(lo(14), 0x2e | LEVEL | MASKED);
    /* ...until the unmask. A line that dropped meanwhile sends nothing. */
    wr(IOAPIC_REDTBL_LO(14), 0x2e | LEVEL);
    CHECK_EQ(sent, 2);
    wr(IOAPIC_REDTBL_LO(15), 0x2f | LEVEL | MASKED);
    ioapic_set_irq(&m, 15, 1);
    ioapic_set_irq(&m, 15, 0);
    wr(IOAPIC_REDTBL_LO(15), 0x2f | LEVEL);
    CHECK_EQ(sent, 2);
}

static void test_level_to_edge_clears_rirr(void)
{
    fresh(IOAPIC_VERSION_11);                /* no EOI register to help */
    wr(IOAPIC_REDTBL_LO(16), 0x30 | LEVEL);
    ioapic_set_irq(&m, 16, 1);
    ioapic_set_irq(&m, 16, 0);
    CHECK_EQ(lo(16) & RIRR, RIRR);           /* the EOI was lost: stuck */
    wr(IOAPIC_REDTBL_LO(16), 0x30);          /* Linux: to edge... */
    CHECK_EQ(lo(16), 0x30);
    wr(IOAPIC_REDTBL_LO(16), 0x30 | LEVEL);  /* ...and back */
    CHECK_EQ(lo(16), 0x30 | LEVEL);
    ioapic_set_irq(&m, 16, 1);               /* not stuck */
    CHECK_EQ(sent, 2);
}

static void test_msi_translation(void)
{
    ioapic_msi msi;
    static const struct { unsigned mode; uint32_t data; uint64_t rh; } modes[] = {
        { IOAPIC_DM_FIXED,  0x4041, 0 },     { IOAPIC_DM_LOWEST, 0x4141, 1u << 3 },
        { IOAPIC_DM_SMI,    0x4241, 0 },     { IOAPIC_DM_NMI,    0x4441, 0 },
        { IOAPIC_DM_INIT,   0x4541, 0 },     { IOAPIC_DM_EXTINT, 0x4741, 0 },
    };

    ioapic_entry_to_msi(0x41 | (uint64_t)0x03 << 56, &msi);   /* physical */
    CHECK_EQ(msi.address, 0xfee03000);
    CHECK_EQ(msi.data, 0x4041);
    ioapic_entry_to_msi(0x41 | IOAPIC_RTE_DESTMOD | (uint64_t)0xf0 << 56, &msi);
    CHECK_EQ(msi.address, 0xfeef0004);                        /* logical */
    ioapic_entry_to_msi(0x41 | IOAPIC_RTE_TRIGGER | IOAPIC_RTE_MASK | IOAPIC_RTE_INTPOL |
                        IOAPIC_RTE_RIRR | IOAPIC_RTE_DELIVS, &msi);
    CHECK_EQ(msi.address, 0xfee00000);
    CHECK_EQ(msi.data, 0xc041);              /* only trigger shows */
    for (unsigned i = 0; i < 6; i++) {
        ioapic_entry_to_msi(0x41 | (uint64_t)modes[i].mode << 8 | (uint64_t)0xff << 56, &msi);
        CHECK_EQ(msi.data, modes[i].data);
        CHECK_EQ(msi.address, 0xfeeff000 | modes[i].rh);
    }
    /* An NMI entry marked level has no remote IRR: no EOI would clear it. */
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(2), 0x02 | IOAPIC_DM_NMI << 8 | LEVEL);
    ioapic_set_irq(&m, 2, 1);
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.data, 0xc402);
    CHECK_EQ(lo(2), 0x402 | LEVEL);
    ioapic_set_irq(&m, 2, 0);
    ioapic_set_irq(&m, 2, 1);
    CHECK_EQ(sent, 2);
}

static void test_save_restore(void)
{
    ioapic_state st, bad;

    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_ID, 0x07000000);
    wr(IOAPIC_REDTBL_LO(9), 0x29 | LEVEL);
    wr(IOAPIC_REDTBL_LO(9) + 1, 0x02000000);
    ioapic_set_irq(&m, 9, 1);
    ioapic_model_save(&m, &st);

    ioapic_model b;
    ioapic_hooks h = { on_deliver, on_throttled, 0 };
    ioapic_model_init(&b, IOAPIC_VERSION_11, &h);
    CHECK(ioapic_model_restore(&b, &st));
    m = b;
    CHECK_EQ(rd(IOAPIC_VER), 0x00170020);
    CHECK_EQ(rd(IOAPIC_ID), 0x07000000);
    CHECK_EQ(lo(9), 0x29 | LEVEL | RIRR | DELIVS);
    CHECK_EQ(rd(IOAPIC_REDTBL_LO(9) + 1), 0x02000000);
    eoi_reg(0x29);                           /* the restored line still counts */
    CHECK_EQ(sent, 2);
    CHECK_EQ(last.address, 0xfee02000);

#define REJECT(mutate) do {                                                   \
        bad = st; mutate;                                                     \
        ioapic_state keep; ioapic_model_save(&b, &keep);                      \
        CHECK(!ioapic_model_restore(&b, &bad));                               \
        CHECK(memcmp(&keep, &b.s, sizeof keep) == 0);                         \
    } while (0)
    REJECT(bad.version = 2);
    REJECT(bad.chip_version = 0x21);
    REJECT(bad.id = 0x10);
    REJECT(bad.reserved = 1);
    REJECT(bad.lines = 1u << 24);
    REJECT(bad.held = 1u << 30);
    REJECT(bad.held = 1u << 9);              /* held below the storm count */
    REJECT(bad.deadline = 5);                /* a deadline with nothing held */
    REJECT(bad.rte[0] |= 1ull << 40);        /* reserved RTE bits */
    REJECT(bad.rte[0] |= IOAPIC_RTE_DELIVS); /* status is computed, not stored */
    REJECT(bad.rte[4] = IOAPIC_RTE_RIRR);    /* remote IRR on an edge entry */
    bad = st;
    bad.held = 1u << 9;
    bad.storm[9] = IOAPIC_STORM_MAX;
    CHECK(ioapic_model_restore(&b, &bad));   /* a held storm is a valid state */
}

/* ---- the driver against the model ---- */

static uint32_t drv_read(void *ctx, unsigned off)
{
    return (uint32_t)ioapic_model_read((ioapic_model *)ctx, off, 4);
}

static void drv_write(void *ctx, unsigned off, uint32_t val)
{
    ioapic_model_write((ioapic_model *)ctx, off, 4, val);
}

static void test_driver(void)
{
    ioapic_drv d = { drv_read, drv_write, &m };

    fresh(IOAPIC_VERSION_20);
    CHECK_EQ(ioapic_version(&d), 0x20);
    CHECK_EQ(ioapic_pins(&d), 24);
    CHECK(ioapic_route(&d, 4, 0x24, 1, 0));
    CHECK_EQ(ioapic_read_entry(&d, 4), 0x0100000000000024ull);
    ioapic_set_irq(&m, 9, 1);                /* active low, idle */
    CHECK(ioapic_route(&d, 9, 0x29, 3, IOAPIC_ROUTE_LEVEL | IOAPIC_ROUTE_ACTIVE_LOW |
                                     IOAPIC_ROUTE_LOGICAL));
    CHECK_EQ(ioapic_read_entry(&d, 9), 0x030000000000a829ull);
    CHECK_EQ(sent, 0);
    /* Polarity flipped under a quiet line: that asserts it, and it sends. */
    wr(IOAPIC_REDTBL_LO(9), 0x29 | LEVEL);
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.address, 0xfee03000);
    ioapic_set_irq(&m, 9, 0);
    ioapic_eoi(&m, 0x29);
    sent = 0;
    CHECK(!ioapic_route(&d, 24, 0x30, 0, 0));
    CHECK(!ioapic_mask(&d, 24));
    CHECK_EQ(ioapic_read_entry(&d, 24), 0);
    CHECK(ioapic_route(&d, 5, 0x25, 0, IOAPIC_ROUTE_LEVEL | IOAPIC_ROUTE_MASKED));
    CHECK_EQ(lo(5), 0x25 | LEVEL | MASKED);
    ioapic_set_irq(&m, 5, 1);
    CHECK_EQ(sent, 0);
    CHECK(ioapic_unmask(&d, 5));
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.data, 0xc025);
    ioapic_set_irq(&m, 5, 0);
    CHECK(ioapic_send_eoi(&d, 0x25));
    CHECK_EQ(lo(5), 0x25 | LEVEL);
    CHECK(ioapic_mask(&d, 5));
    CHECK_EQ(lo(5), 0x25 | LEVEL | MASKED);
    ioapic_set_irq(&m, 4, 1);
    CHECK_EQ(sent, 2);
    CHECK_EQ(last.address, 0xfee01000);

    fresh(IOAPIC_VERSION_11);
    CHECK_EQ(ioapic_version(&d), 0x11);
    CHECK(!ioapic_send_eoi(&d, 0x25));
}

/* The tests keep their old names, so entries are written out. */
CHECK_MAIN(
    { "id_version_arbitration", test_id_version_arbitration },
    { "version_11_vs_20", test_version_11_vs_20 },
    { "read_only_bits", test_read_only_bits },
    { "ioregsel_0x40_to_0xff", test_out_of_range_index },
    { "non_32bit_access", test_non_32bit_access },
    { "edge_and_masked_edge", test_edge_and_masked_edge },
    { "level_eoi_broadcast", test_level_eoi_broadcast },
    { "level_redelivery_while_high", test_level_redelivery_while_high },
    { "storm_guard", test_storm_guard },
    { "storm_guard_reprogram", test_storm_guard_reprogram },
    { "polarity", test_polarity },
    { "unmask_reevaluates_level", test_unmask_reevaluates_level },
    { "level_to_edge_clears_rirr", test_level_to_edge_clears_rirr },
    { "msi_translation", test_msi_translation },
    { "save_restore", test_save_restore },
    { "driver", test_driver })
