/* gic.c - the Arm Generic Interrupt Controller on QEMU virt, version 2 or 3,
   shared by arm64 and arm32 (the Tupfile of each compiles every .c file
   in arch/arm).

   Everything here is memory-mapped and the same on both, except four
   things about the CPU, which each arch.h provides: whether the CPU has
   the GICv3 system-register interface (gic_cpu_has_sysregs), its affinity
   (gic_cpu_affinity, from MPIDR), the v3 CPU interface registers by name
   (icc_read, icc_write: msr/mrs on arm64, mrc/mcr on arm32, whose
   encodings IHI 0069 chapter 12 gives with each register) and the 64-bit
   ICC_SGI1R (gic_cpu_sgi1r: msr, or mcrr). The v2 CPU interface is
   memory-mapped, so it is shared whole.

   The Distributor holds the per-interrupt state (enable, pending, group,
   priority, trigger, target) for the SPIs, at the same offsets in both
   versions. The per-CPU interrupts (SGIs and PPIs, INTIDs 0-31) are banked:
   in the Distributor itself on v2, in each CPU's Redistributor on v3, again
   at the same offsets. What differs is the CPU interface, where interrupts
   are acknowledged and ended: memory-mapped on v2, system registers on v3.

   Specs: IHI 0048B (GICv2), chapter 4 "Programmers' Model"; IHI 0069 (GICv3
   and v4), chapter 12 "Programmers' Model", cited by register name. */
#include "../common/platform.h"

/* QEMU virt's memory map (hw/arm/virt.c, also in its device tree). */
#define GICD_BASE 0x08000000ul      /* Distributor */
#define GICC_BASE 0x08010000ul      /* v2 CPU interface */
#define GICR_BASE 0x080a0000ul      /* v3 Redistributors, one per CPU */

/* Distributor registers. Bit arrays hold one bit per INTID (32 per word),
   ICFGR two, IPRIORITYR and ITARGETSR a byte, IROUTER 8 bytes. */
#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_ISPENDR    0x0200
#define GICD_ICPENDR    0x0280
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR  0x0800      /* v2 */
#define GICD_ICFGR      0x0c00
#define GICD_SGIR       0x0f00      /* v2 */
#define GICD_IROUTER    0x6000      /* v3 */
#define GICD_ICPIDR2    0x0fe8      /* v2: the 4 KiB frame's ID registers */
#define GICD_PIDR2      0xffe8      /* v3: the 64 KiB frame's */

#define GICD_CTLR_RWP   (1u << 31)  /* v3: a write is still taking effect */
#define GICD_CTLR_ARE   (1u << 4)   /* v3: affinity routing */
#define GICD_CTLR_GRP1  (1u << 1)
#define GICD_CTLR_GRP0  (1u << 0)

/* v3 Redistributor: the RD_base frame, then the SGI_base frame 64 KiB
   above it, which holds the banked bit arrays at Distributor offsets. */
#define GICR_CTLR       0x0000
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_SGI_BASE   0x10000
#define GICR_CTLR_RWP   (1u << 3)
#define GICR_TYPER_VLPIS (1u << 1)  /* v4: two more frames per CPU */
#define GICR_TYPER_LAST (1u << 4)
#define GICR_WAKER_SLEEP  (1u << 1) /* ProcessorSleep */
#define GICR_WAKER_ASLEEP (1u << 2) /* ChildrenAsleep */

/* v2 CPU interface */
#define GICC_CTLR       0x0000
#define GICC_PMR        0x0004
#define GICC_IAR        0x000c
#define GICC_EOIR       0x0010

/* Every interrupt gets this priority, so none preempts another; the
   priority mask lets all of them through. A GIC may implement only the
   upper bits of a priority, the others reading as zero (IHI 0048B 3.3,
   IHI 0069 GICD_IPRIORITYR): 0x80 survives any number of them. */
#define PRIORITY        0x80u
#define PMR_ALL         0xffu

static bool v3;
static unsigned nlines;             /* INTIDs 0..nlines-1 exist */
static uintptr_t rd_base;           /* v3: this CPU's Redistributor */

/* --- where things are --------------------------------------------------- */

/* The bank holding INTID `intid`'s bits: SGIs and PPIs are per CPU. */
static uintptr_t bank(unsigned intid)
{
    return v3 && intid < 32 ? rd_base + GICR_SGI_BASE : GICD_BASE;
}

/* Write the bit for `intid` in the bit array at `reg`. The set- and
   clear-registers (ISENABLER, ICENABLER...) ignore zeros, so no
   read-modify-write is needed (IHI 0048B 4.3.5-4.3.8). */
static void write_bit(unsigned reg, unsigned intid)
{
    mmio_write32(bank(intid) + reg + intid / 32 * 4, 1u << intid % 32);
}

/* v3: disabling an interrupt, or changing GICD_CTLR, is complete only when
   the RWP bit reads 0 (IHI 0069 GICD_CTLR.RWP and GICR_CTLR.RWP). */
static void wait_rwp(unsigned intid)
{
    uintptr_t ctlr = intid < 32 ? rd_base + GICR_CTLR : GICD_BASE + GICD_CTLR;
    uint32_t rwp = intid < 32 ? GICR_CTLR_RWP : GICD_CTLR_RWP;

    if (!v3)
        return;
    for (int i = 0; i < 1000000 && (mmio_read32(ctlr) & rwp); i++)
        ;
}

/* MPIDR's affinity fields in the Aff3.Aff2.Aff1.Aff0 order that
   GICR_TYPER and GICD_IROUTER use (arch.h reads MPIDR its way). */
static uint64_t affinity(void)
{
    return gic_cpu_affinity();
}

/* --- detection ------------------------------------------------------------ */

/* The architecture revision, ArchRev in bits [7:4] of the peripheral ID2
   register. Its place depends on the version we are asking about: the
   v3 Distributor has a 64 KiB frame (GICD_PIDR2 at 0xffe8), the v2 one
   4 KiB (ICPIDR2 at 0xfe8), and past a v2 frame there may be nothing to
   answer a read. So ask the CPU first (arch.h): ID_AA64PFR0_EL1.GIC on
   arm64, ID_PFR1.GIC on arm32, is nonzero when it has the v3 system
   register interface. */
static unsigned detect(const char **how)
{
    bool sysregs = gic_cpu_has_sysregs();
    unsigned rev;

    *how = sysregs ? "GICD_PIDR2" : "GICD_ICPIDR2";
    rev = mmio_read32(GICD_BASE + (sysregs ? GICD_PIDR2 : GICD_ICPIDR2)) >> 4 & 0xf;
    v3 = sysregs && rev >= 3;
    return rev;
}

/* GICD_TYPER.ITLinesNumber, bits [4:0]: 32 * (N + 1) INTIDs, of which
   1020-1023 are special (IHI 0048B 4.3.2, IHI 0069 GICD_TYPER). */
static unsigned count_lines(void)
{
    unsigned n = 32 * ((mmio_read32(GICD_BASE + GICD_TYPER) & 0x1f) + 1);

    return n > PLATFORM_IRQ_MAX ? PLATFORM_IRQ_MAX : n;
}

/* --- v3 Redistributor and CPU interface ----------------------------------- */

/* Walk the Redistributors for the one whose GICR_TYPER.Affinity is ours;
   the last one has GICR_TYPER.Last set (IHI 0069 GICR_TYPER). */
static uintptr_t find_redistributor(void)
{
    uint64_t aff = affinity();

    for (uintptr_t rd = GICR_BASE;;) {
        uint64_t typer = mmio_read64(rd + GICR_TYPER);

        if (typer >> 32 == aff)
            return rd;
        if (typer & GICR_TYPER_LAST)
            return 0;
        rd += typer & GICR_TYPER_VLPIS ? 0x40000 : 0x20000;
    }
}

/* A Redistributor comes out of reset asleep, and does not forward
   interrupts until ProcessorSleep is cleared and ChildrenAsleep follows
   (IHI 0069 GICR_WAKER). */
static void wake_redistributor(void)
{
    uint32_t waker = mmio_read32(rd_base + GICR_WAKER);

    mmio_write32(rd_base + GICR_WAKER, waker & ~GICR_WAKER_SLEEP);
    for (int i = 0; i < 1000000 && (mmio_read32(rd_base + GICR_WAKER) & GICR_WAKER_ASLEEP); i++)
        ;
}

/* System register interface on (ICC_SRE.SRE), all priorities let
   through, EOImode 0 (a write to EOIR both drops the priority and
   deactivates), Group 1 on (IHI 0069 ICC_SRE_EL1, ICC_PMR_EL1,
   ICC_CTLR_EL1, ICC_IGRPEN1_EL1, and their AArch32 ICC_* twins). */
static void v3_cpu_init(void)
{
    icc_write(sre, icc_read(sre) | 1);
    isb();
    icc_write(pmr, PMR_ALL);
    icc_write(ctlr, 0);
    icc_write(igrpen1, 1);
    isb();
}

/* --- v2 CPU interface ----------------------------------------------------- */

/* Group 0 on, FIQEn clear so Group 0 is signalled as IRQ, EOImode 0,
   every priority let through (IHI 0048B 4.4.1 GICC_CTLR, 4.4.2 GICC_PMR). */
static void v2_cpu_init(void)
{
    mmio_write32(GICC_BASE + GICC_PMR, PMR_ALL);
    mmio_write32(GICC_BASE + GICC_CTLR, 1);
}

/* --- bring-up ------------------------------------------------------------- */

/* The group every interrupt goes in, as a bit-array word. QEMU's virt has
   no Secure world, so its GIC has one Security state. On v3 that is Group
   1, acknowledged through ICC_IAR1_EL1. On v2 without the Security
   Extensions every access counts as Secure, and a Secure read of GICC_IAR
   returns 1022 instead of a Group 1 interrupt (IHI 0048B 4.4.4, with
   GICC_CTLR.AckCtl 0, which Arm deprecates setting), so v2 uses Group 0. */
static uint32_t group_word(void)
{
    return v3 ? ~0u : 0;
}

/* SPIs: off, not pending, one group, one priority, to this CPU. */
static void dist_init(void)
{
    mmio_write32(GICD_BASE + GICD_CTLR, 0);
    wait_rwp(32);
    for (unsigned i = 32; i < nlines; i += 32) {
        mmio_write32(GICD_BASE + GICD_ICENABLER + i / 8, ~0u);
        mmio_write32(GICD_BASE + GICD_ICPENDR + i / 8, ~0u);
        mmio_write32(GICD_BASE + GICD_IGROUPR + i / 8, group_word());
    }
    for (unsigned i = 32; i < nlines; i += 4)
        mmio_write32(GICD_BASE + GICD_IPRIORITYR + i, PRIORITY * 0x01010101u);
    wait_rwp(32);
}

/* v3 routes an SPI to the CPU whose affinity is in its GICD_IROUTER (with
   affinity routing on, IHI 0069 GICD_IROUTER); v2 to the CPU interfaces in
   its GICD_ITARGETSR byte, bit 0 for CPU interface 0 (IHI 0048B 4.3.12). */
static void dist_enable(void)
{
    if (!v3) {
        for (unsigned i = 32; i < nlines; i += 4)
            mmio_write32(GICD_BASE + GICD_ITARGETSR + i, 0x01010101u);
        mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_GRP0);
        return;
    }
    mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_GRP1);
    wait_rwp(32);
    for (unsigned i = 32; i < nlines; i++)
        mmio_write64(GICD_BASE + GICD_IROUTER + 8 * i, affinity());
}

/* This CPU's SGIs and PPIs: SGIs on (they are not device lines; some v2
   implementations cannot disable them at all, IHI 0048B 4.3.5), PPIs off. */
static void banked_init(void)
{
    uintptr_t b = bank(0);

    mmio_write32(b + GICD_ICENABLER, 0xffff0000u);
    mmio_write32(b + GICD_ISENABLER, 0x0000ffffu);
    mmio_write32(b + GICD_ICPENDR, ~0u);
    mmio_write32(b + GICD_IGROUPR, group_word());
    for (unsigned i = 0; i < 32; i += 4)
        mmio_write32(b + GICD_IPRIORITYR + i, PRIORITY * 0x01010101u);
    wait_rwp(0);
}

void gic_init(void)
{
    const char *how;
    unsigned rev = detect(&how);

    nlines = count_lines();
    if (v3) {
        rd_base = find_redistributor();
        if (!rd_base) {
            kprintf("gic: GICv3, but no Redistributor for affinity 0x%llx\n",
                    (unsigned long long)affinity());
            platform_exit(1);
        }
        wake_redistributor();
    }
    dist_init();
    banked_init();
    dist_enable();
    v3 ? v3_cpu_init() : v2_cpu_init();
    kprintf("gic: GICv%u at 0x%08lx (%s.ArchRev %u), %u INTIDs, %s at 0x%08lx\n",
            v3 ? 3 : 2, GICD_BASE, how, rev, nlines,
            v3 ? "redistributor" : "CPU interface", v3 ? rd_base : GICC_BASE);
}

/* --- interrupt handling --------------------------------------------------- */

/* Acknowledge the highest-priority pending interrupt: it becomes active
   (IHI 0048B 4.4.4 GICC_IAR, IHI 0069 ICC_IAR1_EL1). */
uint32_t gic_ack(void)
{
    if (v3)
        return (uint32_t)icc_read(iar1);
    return mmio_read32(GICC_BASE + GICC_IAR);
}

/* v2's IAR has the INTID in bits [9:0] and, for an SGI, the sending CPU
   in [12:10]; v3's has the INTID alone, in bits [23:0]. */
unsigned gic_intid(uint32_t iar)
{
    return v3 ? iar & 0xffffff : iar & 0x3ff;
}

/* End the interrupt: write back exactly what IAR returned. */
void gic_eoi(uint32_t iar)
{
    if (v3) {
        icc_write(eoir1, iar);
        isb();
        return;
    }
    mmio_write32(GICC_BASE + GICC_EOIR, iar);
}

/* --- per-interrupt control ------------------------------------------------ */

bool gic_set_enabled(unsigned intid, bool on)
{
    if (intid >= nlines)
        return false;
    write_bit(on ? GICD_ISENABLER : GICD_ICENABLER, intid);
    if (!on)
        wait_rwp(intid);
    return true;
}

/* ICFGR holds two bits per INTID; the upper one set means edge-triggered,
   clear means level-sensitive (IHI 0048B 4.3.13, IHI 0069 GICD_ICFGR). */
bool gic_is_level(unsigned intid)
{
    uint32_t cfg = mmio_read32(bank(intid) + GICD_ICFGR + intid / 16 * 4);

    return !(cfg >> (intid % 16 * 2 + 1) & 1);
}

/* Make SPI `intid` level-sensitive: its ICFGR field's upper bit clear.
   Changing the field of an enabled interrupt is UNPREDICTABLE (IHI 0048B
   4.3.13, IHI 0069 GICD_ICFGR), so an enabled one is disabled meanwhile.
   A GIC may hardwire some fields; true if it reads back level. */
bool gic_set_level(unsigned intid)
{
    uintptr_t cfg = GICD_BASE + GICD_ICFGR + intid / 16 * 4;
    uint32_t edge = 2u << (intid % 16 * 2);
    bool on;

    if (intid < 32 || intid >= nlines)
        return false;
    if (!(mmio_read32(cfg) & edge))
        return true;
    on = mmio_read32(GICD_BASE + GICD_ISENABLER + intid / 32 * 4) >> (intid % 32) & 1;
    if (on)
        gic_set_enabled(intid, false);
    mmio_write32(cfg, mmio_read32(cfg) & ~edge);
    if (on)
        gic_set_enabled(intid, true);
    return gic_is_level(intid);
}

/* An SGI to this CPU only. v2: GICD_SGIR with TargetListFilter 0b10, "the
   requesting CPU" (IHI 0048B 4.3.15). v3: ICC_SGI1R with our Aff3,
   Aff2 and Aff1, and our Aff0 as bit (Aff0 % 16) of TargetList in range
   Aff0 / 16 (IHI 0069 ICC_SGI1R_EL1). */
static void send_sgi(unsigned intid)
{
    uint64_t aff = affinity(), aff0 = aff & 0xff;

    if (!v3) {
        mmio_write32(GICD_BASE + GICD_SGIR, 2u << 24 | intid);
        return;
    }
    gic_cpu_sgi1r((uint64_t)intid << 24 | 1u << (aff0 % 16) | (aff0 / 16) << 44 |
                 (aff >> 8 & 0xff) << 16 | (aff >> 16 & 0xff) << 32 | (aff >> 24) << 48);
    isb();
}

/* SGIs by sending one; SPIs by setting their pending bit, which a
   device's line would set (IHI 0048B 4.3.7, IHI 0069 GICD_ISPENDR). */
bool gic_raise(unsigned intid)
{
    if (intid < 16) {
        send_sgi(intid);
        return true;
    }
    if (intid < 32 || intid >= nlines)
        return false;
    write_bit(GICD_ISPENDR, intid);
    return true;
}

/* The contract's per-line control is the GIC's on both Arm arches. */
bool platform_irq_unmask(unsigned irq)
{
    return gic_set_enabled(irq, true);
}

bool platform_irq_mask(unsigned irq)
{
    return gic_set_enabled(irq, false);
}

bool platform_irq_trigger(unsigned irq)
{
    return gic_raise(irq);
}
