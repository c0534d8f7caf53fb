/* ioapic_test.c - hdr/ioapic.h: the model driven through register sequences
   at its MMIO offsets, asserting register contents, the MSI pairs it sends
   (captured by the deliver hook), remote IRR and delivery status, and the
   wake and entry_changed hooks; its save, restore and reset; then the
   driver run against the model.

   Prints `ok NAME` or `FAIL NAME: why` per test; exits non-zero on failure.
*/
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The model's invariants abort the test, and every call is counted, so a
   test can tell that the assertions are really there. */
static unsigned long asserts;
#define IOAPIC_ASSERT(c) (asserts++, assert(c))
#define IOAPIC_IMPLEMENTATION
#include "ioapic.h"

#include "chipset.h"
#include "irq.h"

#include "check.h"

/* ---- the model under test, with its hooks captured ---- */

static ioapic_model m;
static unsigned sent, wakes, changes;
static uint32_t changed;          /* bit n: entry_changed(n) was called */
static unsigned last_changed;
static char order[64];            /* 'c' per entry_changed, 'd' per delivery */
static size_t order_len;
static ioapic_msi last;

static void note(char c)
{
    if (order_len < sizeof order - 1)
        order[order_len++] = c;
}

static void on_deliver(void *ctx, const ioapic_msi *msg)
{
    (void)ctx;
    sent++;
    last = *msg;
    note('d');
}

static void on_wake(void *ctx)
{
    (void)ctx;
    wakes++;
}

static void on_entry_changed(void *ctx, unsigned pin)
{
    (void)ctx;
    changes++;
    changed |= 1u << pin;
    last_changed = pin;
    note('c');
}

static const ioapic_model_hooks hooks = { on_deliver, on_wake, on_entry_changed, 0 };

static void forget_hooks(void)
{
    sent = wakes = changes = 0;
    changed = 0;
    last_changed = 99;
    memset(order, 0, sizeof order);
    order_len = 0;
    memset(&last, 0, sizeof last);
}

/* A fresh chip of `version`, set the way a board does: after init, before
   the first access. */
static void fresh(unsigned version)
{
    ioapic_model probe;

    ioapic_model_init(&m, &hooks);
    m.cfg.version = (uint8_t)version;
    forget_hooks();
    /* It says so (asked of a copy, so that IOREGSEL stays at reset). */
    probe = m;
    ioapic_model_write(&probe, IOAPIC_IOREGSEL, 4, IOAPIC_VER);
    if (!CHECK_EQ(ioapic_model_read(&probe, IOAPIC_IOWIN, 4), 0x00170000u | version))
        printf("  the model does not report version 0x%x\n", version);
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
    ioapic_model odd;

    /* The version is the board's: init gives 0x20, and a board that sets
       another value before the first access gets exactly that. */
    ioapic_model_init(&odd, 0);
    CHECK_EQ(odd.cfg.version, IOAPIC_VERSION_20);
    odd.cfg.version = 0x12;
    ioapic_model_write(&odd, IOAPIC_IOREGSEL, 4, IOAPIC_VER);
    CHECK_EQ(ioapic_model_read(&odd, IOAPIC_IOWIN, 4), 0x00170012);
    fresh(IOAPIC_VERSION_11);
    CHECK_EQ(rd(IOAPIC_VER), 0x00170011);
    wr(IOAPIC_REDTBL_LO(3), 0x33 | LEVEL);
    ioapic_model_set_irq(&m, 3, 1);
    CHECK_EQ(sent, 1);
    eoi_reg(0x33);                           /* no EOI register on 0x11 */
    CHECK_EQ(lo(3) & RIRR, RIRR);
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_EOIR, 4), 0xffffffff);
    ioapic_model_eoi(&m, 0x33);              /* the broadcast still works */
    CHECK_EQ(lo(3) & RIRR, RIRR);            /* re-delivered: line still high */
    CHECK_EQ(sent, 2);

    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(3), 0x33 | LEVEL);
    ioapic_model_set_irq(&m, 3, 1);
    ioapic_model_set_irq(&m, 3, 0);
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
    ioapic_model_set_irq(&m, 6, 1);
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
    CHECK_EQ(ioapic_model_save(&m, &before, sizeof before), sizeof before);
    forget_hooks();
    for (unsigned i = 0x40; i <= 0xff; i++) {
        CHECK_EQ(rd(i), 0xffffffff);
        wr(i, 0);
        wr(i, 0xffffffff);
        CHECK_EQ(rd(i), 0xffffffff);
    }
    CHECK_EQ(changes, 0);                    /* no entry there to change */
    CHECK_EQ(sent, 0);
    ioapic_model_write(&m, IOAPIC_IOREGSEL, 4, 0x10);
    CHECK_EQ(ioapic_model_save(&m, &after, sizeof after), sizeof after);
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
    ioapic_model_set_irq(&m, 1, 1);
    ioapic_model_set_irq(&m, 1, 0);
    ioapic_model_write(&m, IOAPIC_EOIR, 1, 0x31);
    CHECK_EQ(lo(1) & RIRR, RIRR);
}

/* ---- delivery ---- */

static void test_edge_and_masked_edge(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(4), 0x24);
    wr(IOAPIC_REDTBL_LO(4) + 1, 0x01000000);
    ioapic_model_set_irq(&m, 4, 1);
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.address, 0xfee01000);
    CHECK_EQ(last.data, 0x4024);
    CHECK_EQ(lo(4), 0x24);                   /* no remote IRR, no status */
    ioapic_model_set_irq(&m, 4, 1);          /* still high: no new edge */
    CHECK_EQ(sent, 1);
    ioapic_model_set_irq(&m, 4, 0);
    ioapic_model_set_irq(&m, 4, 1);
    CHECK_EQ(sent, 2);
    ioapic_model_set_irq(&m, 4, 0);
    wr(IOAPIC_REDTBL_LO(4), 0x24 | MASKED);
    ioapic_model_set_irq(&m, 4, 1);          /* masked edge: dropped */
    wr(IOAPIC_REDTBL_LO(4), 0x24);           /* and not sent on unmask */
    CHECK_EQ(sent, 2);
    CHECK_EQ(m.stats.deliveries[4], 2);
    ioapic_model_set_irq(&m, 24, 1);         /* no pin 24: ignored */
    ioapic_model_set_irq(&m, 1000, 1);
    CHECK_EQ(sent, 2);
}

static void test_level_eoi_broadcast(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(9), 0x29 | LEVEL);
    ioapic_model_set_irq(&m, 9, 1);
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.data, 0xc029);             /* level, assert */
    CHECK_EQ(lo(9), 0x29 | LEVEL | RIRR | DELIVS); /* waiting on the EOI */
    ioapic_model_set_irq(&m, 9, 0);
    CHECK_EQ(lo(9), 0x29 | LEVEL | RIRR);    /* nothing left to send */
    ioapic_model_eoi(&m, 0x30);              /* another vector: no effect */
    CHECK_EQ(lo(9) & RIRR, RIRR);
    ioapic_model_eoi(&m, 0x29);
    CHECK_EQ(lo(9), 0x29 | LEVEL);
    CHECK_EQ(sent, 1);                       /* the line dropped: no resend */
    CHECK_EQ(m.stats.eois[9], 1);
    ioapic_model_eoi(&m, 0x29);              /* a second EOI finds nothing */
    CHECK_EQ(m.stats.eois[9], 1);
}

static void test_level_redelivery_while_high(void)
{
    /* Cloud Hypervisor clears remote IRR on EOI but never sends again. */
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(10), 0x2a | LEVEL);
    ioapic_model_set_irq(&m, 10, 1);
    CHECK_EQ(sent, 1);
    ioapic_model_eoi(&m, 0x2a);
    CHECK_EQ(sent, 2);
    CHECK_EQ(lo(10), 0x2a | LEVEL | RIRR | DELIVS);
    eoi_reg(0x2a);                           /* by the EOI register too */
    CHECK_EQ(sent, 3);
    ioapic_model_set_irq(&m, 10, 0);
    eoi_reg(0x2a);
    CHECK_EQ(sent, 3);
    CHECK_EQ(lo(10), 0x2a | LEVEL);
    CHECK_EQ(m.stats.deliveries[10], 3);
    CHECK_EQ(m.stats.eois[10], 3);
}

static void test_storm_guard(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(11), 0x2b | LEVEL);
    ioapic_model_set_irq(&m, 11, 1);
    CHECK_EQ(ioapic_model_poll(&m, 0), IOAPIC_NO_DEADLINE);
    for (unsigned i = 0; i < IOAPIC_STORM_MAX; i++)
        ioapic_model_eoi(&m, 0x2b);
    CHECK_EQ(sent, 1 + IOAPIC_STORM_MAX);
    CHECK_EQ(wakes, 0);
    ioapic_model_eoi(&m, 0x2b);              /* one too many: held */
    CHECK_EQ(sent, 1 + IOAPIC_STORM_MAX);
    CHECK_EQ(wakes, 1);
    CHECK_EQ(m.stats.holds[11], 1);
    CHECK_EQ(lo(11), 0x2b | LEVEL | DELIVS); /* pending, IRR clear */
    for (unsigned i = 0; i < 1000; i++)      /* the guest keeps EOIing */
        ioapic_model_eoi(&m, 0x2b);
    CHECK_EQ(sent, 1 + IOAPIC_STORM_MAX);
    uint64_t t0 = 5000000000ull;
    CHECK_EQ(ioapic_model_poll(&m, t0), t0 + IOAPIC_STORM_DELAY_NS);
    CHECK_EQ(ioapic_model_poll(&m, t0 + IOAPIC_STORM_DELAY_NS - 1), t0 + IOAPIC_STORM_DELAY_NS);
    CHECK_EQ(sent, 1 + IOAPIC_STORM_MAX);
    CHECK_EQ(ioapic_model_poll(&m, t0 + IOAPIC_STORM_DELAY_NS), IOAPIC_NO_DEADLINE);
    CHECK_EQ(sent, 2 + IOAPIC_STORM_MAX);    /* released: exactly one */
    CHECK_EQ(lo(11), 0x2b | LEVEL | RIRR | DELIVS);
    ioapic_model_eoi(&m, 0x2b);              /* still stuck: held again */
    CHECK_EQ(sent, 2 + IOAPIC_STORM_MAX);
    CHECK_EQ(wakes, 2);
    /* The line drops: the storm is over, the guard lets go at once. */
    ioapic_model_set_irq(&m, 11, 0);
    CHECK_EQ(lo(11), 0x2b | LEVEL);
    CHECK_EQ(ioapic_model_poll(&m, t0), IOAPIC_NO_DEADLINE);
    ioapic_model_set_irq(&m, 11, 1);
    CHECK_EQ(sent, 3 + IOAPIC_STORM_MAX);
    for (unsigned i = 0; i < 100; i++)
        ioapic_model_eoi(&m, 0x2b);
    CHECK_EQ(sent, 103 + IOAPIC_STORM_MAX);  /* normal service again */
    CHECK_EQ(wakes, 2);
}

static void hold_pin(unsigned pin, uint8_t vector)
{
    wr(IOAPIC_REDTBL_LO(pin), vector | LEVEL);
    ioapic_model_set_irq(&m, pin, 1);
    for (unsigned i = 0; i <= IOAPIC_STORM_MAX; i++)
        ioapic_model_eoi(&m, vector);
}

static void test_storm_guard_reprogram(void)
{
    /* Switched to edge while held: the hold, its deadline and the count go. */
    fresh(IOAPIC_VERSION_20);
    hold_pin(17, 0x31);
    CHECK_EQ(wakes, 1);
    CHECK(ioapic_model_poll(&m, 100) != IOAPIC_NO_DEADLINE);
    wr(IOAPIC_REDTBL_LO(17), 0x31);
    CHECK_EQ(m.s.held, 0);
    CHECK_EQ(m.s.storm[17], 0);
    CHECK_EQ(ioapic_model_poll(&m, 200), IOAPIC_NO_DEADLINE);
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
    uint64_t t = ioapic_model_poll(&m, 0);
    CHECK_EQ(ioapic_model_poll(&m, t), IOAPIC_NO_DEADLINE);
    CHECK_EQ(sent, before);
    wr(IOAPIC_REDTBL_LO(18), 0x32 | LEVEL);
    CHECK_EQ(sent, before + 1);
    /* No hooks at all: the model still runs. */
    ioapic_model_init(&m, 0);
    forget_hooks();
    hold_pin(19, 0x33);
    CHECK_EQ(m.s.held, 1u << 19);
    CHECK_EQ(sent, 0);
    CHECK_EQ(m.stats.deliveries[19], 1 + IOAPIC_STORM_MAX);
}

static void test_polarity(void)
{
    fresh(IOAPIC_VERSION_20);
    ioapic_model_set_irq(&m, 12, 1);         /* an idle active-low line is 1 */
    wr(IOAPIC_REDTBL_LO(12), 0x2c | LEVEL | LOW);
    CHECK_EQ(sent, 0);
    ioapic_model_set_irq(&m, 12, 0);         /* asserted */
    CHECK_EQ(sent, 1);
    CHECK_EQ(lo(12), 0x2c | LEVEL | LOW | RIRR | DELIVS);
    ioapic_model_eoi(&m, 0x2c);
    CHECK_EQ(sent, 2);                       /* still low, still asserted */
    ioapic_model_set_irq(&m, 12, 1);
    ioapic_model_eoi(&m, 0x2c);
    CHECK_EQ(sent, 2);
    /* Edge, active low: the falling electrical edge is the one that counts. */
    wr(IOAPIC_REDTBL_LO(13), 0x2d | LOW);
    ioapic_model_set_irq(&m, 13, 1);
    CHECK_EQ(sent, 2);
    ioapic_model_set_irq(&m, 13, 0);
    CHECK_EQ(sent, 3);
    CHECK_EQ(last.data & 0xff, 0x2d);
    ioapic_model_set_irq(&m, 13, 1);
    CHECK_EQ(sent, 3);
}

static void test_unmask_reevaluates_level(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(14), 0x2e | LEVEL | MASKED);
    ioapic_model_set_irq(&m, 14, 1);
    CHECK_EQ(sent, 0);
    CHECK_EQ(lo(14), 0x2e | LEVEL | MASKED); /* masked: nothing pending */
    wr(IOAPIC_REDTBL_LO(14), 0x2e | LEVEL);
    CHECK_EQ(sent, 1);
    CHECK_EQ(lo(14) & RIRR, RIRR);
    /* Masked with remote IRR set: the EOI clears it but sends nothing... */
    wr(IOAPIC_REDTBL_LO(14), 0x2e | LEVEL | MASKED);
    ioapic_model_eoi(&m, 0x2e);
    CHECK_EQ(sent, 1);
    CHECK_EQ(lo(14), 0x2e | LEVEL | MASKED);
    /* ...until the unmask. A line that dropped meanwhile sends nothing. */
    wr(IOAPIC_REDTBL_LO(14), 0x2e | LEVEL);
    CHECK_EQ(sent, 2);
    wr(IOAPIC_REDTBL_LO(15), 0x2f | LEVEL | MASKED);
    ioapic_model_set_irq(&m, 15, 1);
    ioapic_model_set_irq(&m, 15, 0);
    wr(IOAPIC_REDTBL_LO(15), 0x2f | LEVEL);
    CHECK_EQ(sent, 2);
}

static void test_level_to_edge_clears_rirr(void)
{
    fresh(IOAPIC_VERSION_11);                /* no EOI register to help */
    wr(IOAPIC_REDTBL_LO(16), 0x30 | LEVEL);
    ioapic_model_set_irq(&m, 16, 1);
    ioapic_model_set_irq(&m, 16, 0);
    CHECK_EQ(lo(16) & RIRR, RIRR);           /* the EOI was lost: stuck */
    wr(IOAPIC_REDTBL_LO(16), 0x30);          /* Linux: to edge... */
    CHECK_EQ(lo(16), 0x30);
    wr(IOAPIC_REDTBL_LO(16), 0x30 | LEVEL);  /* ...and back */
    CHECK_EQ(lo(16), 0x30 | LEVEL);
    ioapic_model_set_irq(&m, 16, 1);         /* not stuck */
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
    ioapic_model_set_irq(&m, 2, 1);
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.data, 0xc402);
    CHECK_EQ(lo(2), 0x402 | LEVEL);
    ioapic_model_set_irq(&m, 2, 0);
    ioapic_model_set_irq(&m, 2, 1);
    CHECK_EQ(sent, 2);
}

static void test_save_restore(void)
{
    ioapic_state st, bad;

    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_ID, 0x07000000);
    wr(IOAPIC_REDTBL_LO(9), 0x29 | LEVEL);
    wr(IOAPIC_REDTBL_LO(9) + 1, 0x02000000);
    ioapic_model_set_irq(&m, 9, 1);
    CHECK_EQ(ioapic_model_save(&m, &st, sizeof st), sizeof st);

    ioapic_model b;
    ioapic_model_init(&b, &hooks);
    forget_hooks();
    CHECK_EQ(ioapic_model_restore(&b, &st, sizeof st), sizeof st);
    CHECK_EQ(changes, IOAPIC_PINS);          /* the board mirrors every entry again */
    CHECK_EQ(changed, (1u << IOAPIC_PINS) - 1);
    CHECK_EQ(wakes, 0);                      /* nothing held: no deadline */
    CHECK_EQ(sent, 0);                       /* a restore sends nothing */
    m = b;
    CHECK_EQ(rd(IOAPIC_VER), 0x00170020);
    CHECK_EQ(rd(IOAPIC_ID), 0x07000000);
    CHECK_EQ(lo(9), 0x29 | LEVEL | RIRR | DELIVS);
    CHECK_EQ(rd(IOAPIC_REDTBL_LO(9) + 1), 0x02000000);
    eoi_reg(0x29);                           /* the restored line still counts */
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.address, 0xfee02000);

    /* The chip version is configuration, not state: the same snapshot
       restored into an 82093AA model leaves it one. */
    ioapic_model old;
    ioapic_model_init(&old, 0);
    old.cfg.version = IOAPIC_VERSION_11;
    CHECK_EQ(ioapic_model_restore(&old, &st, sizeof st), sizeof st);
    ioapic_model_write(&old, IOAPIC_IOREGSEL, 4, IOAPIC_VER);
    CHECK_EQ(ioapic_model_read(&old, IOAPIC_IOWIN, 4), 0x00170011);

    /* Every refusal is -1, leaves the state as it was and calls no hook. */
#define REJECT_SIZED(mutate, size) do {                                       \
        bad = st; mutate;                                                     \
        ioapic_state keep;                                                    \
        CHECK_EQ(ioapic_model_save(&b, &keep, sizeof keep), sizeof keep);     \
        unsigned calls = changes + wakes + sent;                              \
        CHECK_EQ(ioapic_model_restore(&b, &bad, (size)), -1);                 \
        CHECK(memcmp(&keep, &b.s, sizeof keep) == 0);                         \
        CHECK_EQ(changes + wakes + sent, calls);                              \
    } while (0)
#define REJECT(mutate) REJECT_SIZED(mutate, sizeof bad)
    REJECT(bad.version = IOAPIC_STATE_VERSION + 1);
    REJECT(bad.version = 1);                 /* the layout with a chip version in it */
    REJECT(bad.id = 0x10);
    REJECT(bad.reserved = 1);
    REJECT(bad.lines = 1u << 24);
    REJECT(bad.held = 1u << 30);
    REJECT(bad.held = 1u << 9);              /* held below the storm count */
    REJECT(bad.deadline = 5);                /* a deadline with nothing held */
    REJECT(bad.rte[0] |= 1ull << 40);        /* reserved RTE bits */
    REJECT(bad.rte[0] |= IOAPIC_RTE_DELIVS); /* status is computed, not stored */
    REJECT(bad.rte[4] = IOAPIC_RTE_RIRR);    /* remote IRR on an edge entry */
    /* Held with remote IRR set: a held pin has sent nothing since the EOI
       that cleared it. */
    REJECT((bad.held = 1u << 9, bad.storm[9] = IOAPIC_STORM_MAX));
    REJECT_SIZED((void)0, sizeof bad - 1);   /* a good state, the wrong size */
    REJECT_SIZED((void)0, sizeof bad + 1);
    REJECT_SIZED((void)0, 0);
    bad = st;
    bad.held = 1u << 9;
    bad.storm[9] = IOAPIC_STORM_MAX;
    bad.rte[9] &= ~IOAPIC_RTE_RIRR;
    forget_hooks();
    CHECK_EQ(ioapic_model_restore(&b, &bad, sizeof bad), sizeof bad); /* a held storm is valid */
    CHECK_EQ(wakes, 1);                      /* and the board must poll to let it go */
    CHECK_EQ(ioapic_model_poll(&b, 0), IOAPIC_STORM_DELAY_NS);
    CHECK_EQ(ioapic_model_poll(&b, IOAPIC_STORM_DELAY_NS), IOAPIC_NO_DEADLINE);
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.data, 0xc029);
#undef REJECT
#undef REJECT_SIZED
}

static void test_save_buffers(void)
{
    ioapic_state st;
    unsigned char raw[sizeof st + 9];

    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(3), 0x23);
    /* Too small: -1, and not one byte written. */
    memset(raw, 0xa5, sizeof raw);
    CHECK_EQ(ioapic_model_save(&m, raw, sizeof st - 1), -1);
    CHECK_EQ(ioapic_model_save(&m, raw, 0), -1);
    unsigned untouched = 0;
    for (size_t i = 0; i < sizeof raw; i++)
        untouched += raw[i] == 0xa5;
    CHECK_EQ(untouched, sizeof raw);
    /* Larger is fine; the answer is the state's size. An unaligned buffer
       works both ways: the copy is bytes. */
    CHECK_EQ(ioapic_model_save(&m, raw + 1, sizeof raw - 1), sizeof st);
    CHECK_EQ(raw[sizeof st + 1], 0xa5);
    CHECK_EQ(ioapic_model_save(&m, &st, sizeof st), sizeof st);
    CHECK(memcmp(raw + 1, &st, sizeof st) == 0);
    CHECK(memcmp(&st, &m.s, sizeof st) == 0);
    ioapic_model c;
    ioapic_model_init(&c, 0);
    CHECK_EQ(ioapic_model_restore(&c, raw + 1, sizeof st), sizeof st);
    CHECK_EQ(ioapic_model_entry(&c, 3), 0x23);
    /* The counters are not state: a restored model keeps its own. */
    CHECK_EQ(c.stats.deliveries[3], 0);
}

static void test_reset(void)
{
    fresh(IOAPIC_VERSION_11);
    m.stats.deliveries[2] = 7;               /* as if it had run a while */
    wr(IOAPIC_ID, 0x09000000);
    hold_pin(9, 0x29);
    wr(IOAPIC_REDTBL_LO(9) + 1, 0x05000000);
    CHECK_EQ(m.s.held, 1u << 9);
    forget_hooks();
    ioapic_model_reset(&m);
    CHECK_EQ(changes, IOAPIC_PINS);          /* every entry is back to reset */
    CHECK_EQ(changed, (1u << IOAPIC_PINS) - 1);
    CHECK_EQ(sent + wakes, 0);
    CHECK_EQ(m.s.held, 0);
    CHECK_EQ(m.s.lines, 0);
    CHECK_EQ(m.s.storm[9], 0);
    CHECK_EQ(ioapic_model_poll(&m, 0), IOAPIC_NO_DEADLINE);
    CHECK_EQ(ioapic_model_read(&m, IOAPIC_IOREGSEL, 4), 0);
    CHECK_EQ(rd(IOAPIC_ID), 0);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        CHECK_EQ(ioapic_model_entry(&m, pin), IOAPIC_RTE_RESET);
    /* The same as a fresh model, state for state. */
    ioapic_model fresh_one;
    ioapic_model_init(&fresh_one, 0);
    ioapic_model_write(&fresh_one, IOAPIC_IOREGSEL, 4, IOAPIC_ID);
    CHECK(memcmp(&fresh_one.s, &m.s, sizeof m.s) == 0);
    /* Kept: the hooks, the configuration and the counters. */
    CHECK_EQ(rd(IOAPIC_VER), 0x00170011);
    CHECK_EQ(m.stats.deliveries[2], 7);
    CHECK_EQ(m.stats.deliveries[9], 1 + IOAPIC_STORM_MAX);
    CHECK_EQ(m.stats.holds[9], 1);
    wr(IOAPIC_REDTBL_LO(1), 0x21);
    ioapic_model_set_irq(&m, 1, true);
    CHECK_EQ(sent, 1);
    CHECK_EQ(last_changed, 1);
}

static void test_init_calls_no_hook(void)
{
    sent = wakes = changes = 0;
    ioapic_model_init(&m, &hooks);
    CHECK_EQ(sent + wakes + changes, 0);
    CHECK(m.hooks.deliver == on_deliver && m.hooks.wake == on_wake &&
          m.hooks.entry_changed == on_entry_changed);
    CHECK_EQ(m.cfg.version, IOAPIC_VERSION_20);
    CHECK_EQ(m.stats.deliveries[0] + m.stats.eois[0] + m.stats.holds[0], 0);
    ioapic_model_init(&m, 0);                /* NULL: no hooks */
    CHECK(!m.hooks.deliver && !m.hooks.wake && !m.hooks.entry_changed && !m.hooks.ctx);
}

/* ---- the hooks ---- */

static void test_wake(void)
{
    fresh(IOAPIC_VERSION_20);
    /* Ordinary service never wakes the board: no deadline moves. */
    wr(IOAPIC_REDTBL_LO(9), 0x29 | LEVEL);
    ioapic_model_set_irq(&m, 9, true);
    for (unsigned i = 0; i < 100; i++)
        ioapic_model_eoi(&m, 0x29);
    CHECK_EQ(wakes, 0);
    /* The guard holds a pin: exactly one wake, at the hold. */
    for (unsigned i = 100; i <= IOAPIC_STORM_MAX; i++) {
        CHECK_EQ(wakes, 0);
        ioapic_model_eoi(&m, 0x29);
    }
    CHECK_EQ(wakes, 1);
    CHECK_EQ(m.s.held, 1u << 9);
    /* A second pin held meanwhile is let go by the same deadline: the
       model's next poll does not move, so no wake. */
    hold_pin(10, 0x2a);
    CHECK_EQ(m.s.held, 1u << 9 | 1u << 10);
    CHECK_EQ(wakes, 1);
    CHECK_EQ(m.stats.holds[10], 1);
    uint64_t t = ioapic_model_poll(&m, 1000);
    CHECK_EQ(t, 1000 + IOAPIC_STORM_DELAY_NS);
    CHECK_EQ(ioapic_model_poll(&m, t), IOAPIC_NO_DEADLINE);
    CHECK_EQ(m.s.held, 0);
    /* Released and held again: the deadline moves from never again. */
    ioapic_model_eoi(&m, 0x29);
    CHECK_EQ(wakes, 2);
    ioapic_model_eoi(&m, 0x2a);
    CHECK_EQ(wakes, 2);
    CHECK_EQ(m.stats.holds[9], 2);
    CHECK_EQ(m.stats.holds[10], 2);
}

static void test_entry_changed(void)
{
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(7), 0x27);           /* the low dword */
    CHECK_EQ(changes, 1);
    CHECK_EQ(last_changed, 7);
    wr(IOAPIC_REDTBL_LO(7) + 1, 0x01000000); /* the high dword */
    CHECK_EQ(changes, 2);
    CHECK_EQ(last_changed, 7);
    wr(IOAPIC_REDTBL_LO(23) + 1, 0);         /* the last entry; no bit changes */
    CHECK_EQ(changes, 3);
    CHECK_EQ(last_changed, 23);
    wr(IOAPIC_REDTBL_LO(0), 0x20);
    CHECK_EQ(last_changed, 0);
    CHECK_EQ(changed, 1u << 0 | 1u << 7 | 1u << 23);
    /* Not the other registers, nor IOREGSEL, nor an EOI, nor an access
       the chip does not decode. */
    forget_hooks();
    wr(IOAPIC_ID, 0x0f000000);
    wr(IOAPIC_VER, 0);
    wr(IOAPIC_ARB, 0);
    for (unsigned i = 3; i < IOAPIC_REDTBL; i++)
        wr(i, 0);
    ioapic_model_write(&m, IOAPIC_IOREGSEL, 4, IOAPIC_REDTBL_LO(7));
    eoi_reg(0x27);
    ioapic_model_write(&m, IOAPIC_IOWIN, 2, 0x27);
    ioapic_model_write(&m, IOAPIC_IOWIN, 8, 0x27);
    ioapic_model_write(&m, IOAPIC_IOWIN + 1, 4, 0x27);
    ioapic_model_set_irq(&m, 7, true);       /* a delivery changes no guest bit */
    CHECK_EQ(changes, 0);
    CHECK_EQ(sent, 1);
    /* The hook sees the entry as written, and before the message that the
       write sends: an unmasked level line goes out after the mirror knows it. */
    fresh(IOAPIC_VERSION_20);
    wr(IOAPIC_REDTBL_LO(5), 0x25 | LEVEL | MASKED);
    ioapic_model_set_irq(&m, 5, true);
    CHECK_EQ(sent, 0);
    wr(IOAPIC_REDTBL_LO(5), 0x25 | LEVEL);
    CHECK_EQ(sent, 1);
    CHECK(strcmp(order, "ccd") == 0);
    CHECK_EQ(ioapic_model_entry(&m, 5), 0x25 | LEVEL | RIRR | DELIVS);
}

/* The contract's functions have exactly the chipset's and irq.h's types:
   a mismatch is a compile error here (-Werror). */
static void test_contract_types(void)
{
    static const chipset_ops ops = {
        .mmio_read = ioapic_model_read, .mmio_write = ioapic_model_write,
        .poll = ioapic_model_poll, .reset = ioapic_model_reset,
        .save = ioapic_model_save, .restore = ioapic_model_restore,
    };
    irq_input_fn input = ioapic_model_set_irq;
    irq_eoi_fn eoi = ioapic_model_eoi;

    fresh(IOAPIC_VERSION_20);
    ops.mmio_write(&m, IOAPIC_IOREGSEL, 4, IOAPIC_REDTBL_LO(4));
    ops.mmio_write(&m, IOAPIC_IOWIN, 4, 0x24 | LEVEL);
    input(&m, 4, true);
    CHECK_EQ(sent, 1);
    eoi(&m, 0x24);
    CHECK_EQ(sent, 2);
    CHECK_EQ(ops.mmio_read(&m, IOAPIC_IOWIN, 4), 0x24 | LEVEL | RIRR | DELIVS);
    CHECK_EQ(ops.poll(&m, 0), IOAPIC_NO_DEADLINE);
    ops.reset(&m);
    CHECK_EQ(ioapic_model_entry(&m, 4), IOAPIC_RTE_RESET);
    /* The assertions are compiled in, and none fired on the way. */
    CHECK(asserts > 0);
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
    CHECK_EQ(ioapic_drv_version(&d), 0x20);
    CHECK_EQ(ioapic_drv_pins(&d), 24);
    CHECK(ioapic_drv_route(&d, 4, 0x24, 1, 0));
    CHECK_EQ(ioapic_drv_read_entry(&d, 4), 0x0100000000000024ull);
    ioapic_model_set_irq(&m, 9, 1);          /* active low, idle */
    CHECK(ioapic_drv_route(&d, 9, 0x29, 3, IOAPIC_ROUTE_LEVEL | IOAPIC_ROUTE_ACTIVE_LOW |
                                     IOAPIC_ROUTE_LOGICAL));
    CHECK_EQ(ioapic_drv_read_entry(&d, 9), 0x030000000000a829ull);
    CHECK_EQ(sent, 0);
    /* Polarity flipped under a quiet line: that asserts it, and it sends. */
    wr(IOAPIC_REDTBL_LO(9), 0x29 | LEVEL);
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.address, 0xfee03000);
    ioapic_model_set_irq(&m, 9, 0);
    ioapic_model_eoi(&m, 0x29);
    sent = 0;
    CHECK(!ioapic_drv_route(&d, 24, 0x30, 0, 0));
    CHECK(!ioapic_drv_mask(&d, 24));
    CHECK_EQ(ioapic_drv_read_entry(&d, 24), 0);
    CHECK(ioapic_drv_route(&d, 5, 0x25, 0, IOAPIC_ROUTE_LEVEL | IOAPIC_ROUTE_MASKED));
    CHECK_EQ(lo(5), 0x25 | LEVEL | MASKED);
    ioapic_model_set_irq(&m, 5, 1);
    CHECK_EQ(sent, 0);
    CHECK(ioapic_drv_unmask(&d, 5));
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.data, 0xc025);
    ioapic_model_set_irq(&m, 5, 0);
    CHECK(ioapic_drv_send_eoi(&d, 0x25));
    CHECK_EQ(lo(5), 0x25 | LEVEL);
    CHECK(ioapic_drv_mask(&d, 5));
    CHECK_EQ(lo(5), 0x25 | LEVEL | MASKED);
    ioapic_model_set_irq(&m, 4, 1);
    CHECK_EQ(sent, 2);
    CHECK_EQ(last.address, 0xfee01000);

    fresh(IOAPIC_VERSION_11);
    CHECK_EQ(ioapic_drv_version(&d), 0x11);
    CHECK(!ioapic_drv_send_eoi(&d, 0x25));
}

/* Rerouting a live pin, as a kernel does after every deferred handler:
   the line rises between the route's two register writes. */
static unsigned win_writes, rise_at;

static void drv_write_then_rise(void *ctx, unsigned off, uint32_t val)
{
    ioapic_model_write((ioapic_model *)ctx, off, 4, val);
    if (off == IOAPIC_IOWIN && ++win_writes == rise_at)
        ioapic_model_set_irq(ctx, 4, true);
}

static void test_driver_route_order(void)
{
    ioapic_drv d = { drv_read, drv_write, &m };
    ioapic_drv racy = { drv_read, drv_write_then_rise, &m };

    CHECK_EQ(ioapic_route_entry(0x29, 3, IOAPIC_ROUTE_LEVEL | IOAPIC_ROUTE_ACTIVE_LOW |
                                             IOAPIC_ROUTE_LOGICAL),
             0x030000000000a829ull);
    CHECK_EQ(ioapic_route_entry(0x30, 0xff, IOAPIC_ROUTE_MASKED), 0xff00000000010030ull);
    CHECK_EQ(ioapic_route_entry(0x30, 0, 0), 0x30);

    /* A live edge pin routed again, unchanged: it is never masked on the
       way, so an edge that comes in the middle is sent, not lost. */
    fresh(IOAPIC_VERSION_20);
    CHECK(ioapic_drv_route(&d, 4, 0x24, 1, 0));
    win_writes = 0;
    rise_at = 1;
    CHECK(ioapic_drv_route(&racy, 4, 0x24, 1, 0));
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.address, 0xfee01000);
    CHECK_EQ(last.data, 0x4024);

    /* A masked pin routed unmasked to a new destination, its level line
       already asserted: the one message goes to the new destination,
       since the destination is in place before the mask bit clears. */
    fresh(IOAPIC_VERSION_20);
    CHECK(ioapic_drv_route(&d, 6, 0x26, 1, IOAPIC_ROUTE_LEVEL | IOAPIC_ROUTE_MASKED));
    ioapic_model_set_irq(&m, 6, true);
    CHECK_EQ(sent, 0);
    CHECK(ioapic_drv_route(&d, 6, 0x26, 2, IOAPIC_ROUTE_LEVEL));
    CHECK_EQ(sent, 1);
    CHECK_EQ(last.address, 0xfee02000);
    CHECK_EQ(last.data, 0xc026);
    /* And masking it again through a route keeps everything else. */
    CHECK(ioapic_drv_route(&d, 6, 0x26, 2, IOAPIC_ROUTE_LEVEL | IOAPIC_ROUTE_MASKED));
    CHECK_EQ(ioapic_drv_read_entry(&d, 6), 0x020000000001c026ull); /* remote IRR still set */
}

/* A chip that is not the model: it reports `ver` and records every access. */
static struct fake { uint32_t ver, sel; unsigned n; unsigned off[16]; uint32_t val[16]; } fk;

static uint32_t fake_read(void *ctx, unsigned off)
{
    (void)ctx;
    return off == IOAPIC_IOWIN && fk.sel == IOAPIC_VER ? fk.ver : 0;
}

static void fake_write(void *ctx, unsigned off, uint32_t val)
{
    (void)ctx;
    if (off == IOAPIC_IOREGSEL)
        fk.sel = val;
    if (fk.n < 16) {
        fk.off[fk.n] = off;
        fk.val[fk.n] = val;
    }
    fk.n++;
}

static void test_driver_odd_chips(void)
{
    ioapic_drv d = { fake_read, fake_write, 0 };

    /* The exact sequence of one entry write: high dword, then low. */
    memset(&fk, 0, sizeof fk);
    CHECK(ioapic_drv_write_entry(&d, 5, 0x0300000000018025ull));
    CHECK_EQ(fk.n, 4);
    CHECK(fk.off[0] == IOAPIC_IOREGSEL && fk.val[0] == IOAPIC_REDTBL_LO(5) + 1);
    CHECK(fk.off[1] == IOAPIC_IOWIN && fk.val[1] == 0x03000000);
    CHECK(fk.off[2] == IOAPIC_IOREGSEL && fk.val[2] == IOAPIC_REDTBL_LO(5));
    CHECK(fk.off[3] == IOAPIC_IOWIN && fk.val[3] == 0x00018025);
    /* The last entry IOREGSEL reaches, and one past it: refused, untouched. */
    memset(&fk, 0, sizeof fk);
    CHECK(ioapic_drv_write_entry(&d, IOAPIC_MAX_PINS - 1, 0));
    CHECK_EQ(fk.val[0], 0xff);               /* its high dword: the last index */
    CHECK_EQ(fk.val[2], 0xfe);
    fk.n = 0;
    CHECK(!ioapic_drv_write_entry(&d, IOAPIC_MAX_PINS, 0));
    CHECK(!ioapic_drv_write_entry(&d, 1000, 0));
    CHECK_EQ(fk.n, 0);

    /* A chip claiming 256 entries is believed for the 120 that exist in
       the index space; pin 120 would wrap onto register 0x00, the ID. */
    memset(&fk, 0, sizeof fk);
    fk.ver = 0x00ff0020;
    CHECK_EQ(ioapic_drv_pins(&d), IOAPIC_MAX_PINS);
    CHECK_EQ(ioapic_drv_version(&d), 0x20);
    fk.n = 0;
    CHECK(!ioapic_drv_route(&d, 120, 0x30, 0, 0));
    CHECK(!ioapic_drv_mask(&d, 200));
    CHECK_EQ(ioapic_drv_read_entry(&d, 255), 0);
    CHECK_EQ(fk.n, 3);                       /* three version reads, no entry touched */
    CHECK(ioapic_drv_route(&d, 119, 0x30, 0, 0));
    /* Nothing answers: no pins, and nothing is routed. */
    memset(&fk, 0, sizeof fk);
    fk.ver = 0xffffffff;
    CHECK_EQ(ioapic_drv_pins(&d), 0);
    CHECK(!ioapic_drv_route(&d, 0, 0x30, 0, 0));
    CHECK(!ioapic_drv_unmask(&d, 0));
    CHECK_EQ(ioapic_drv_read_entry(&d, 0), 0);
    /* A chip that says it has one entry. */
    fk.ver = 0x00000011;
    CHECK_EQ(ioapic_drv_pins(&d), 1);
    CHECK(!ioapic_drv_send_eoi(&d, 0x30));
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
    { "save_buffers", test_save_buffers },
    { "reset", test_reset },
    { "init_calls_no_hook", test_init_calls_no_hook },
    { "wake", test_wake },
    { "entry_changed", test_entry_changed },
    { "contract_types", test_contract_types },
    { "driver", test_driver },
    { "driver_route_order", test_driver_route_order },
    { "driver_odd_chips", test_driver_odd_chips })
