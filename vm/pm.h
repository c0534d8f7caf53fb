/* pm.h - the ACPI fixed-hardware PM registers of the monitor's machine: the
   PM1a event block (status and enable), the PM1a control block and the
   power management timer, at the ports PC chipsets (PIIX4, and QEMU's
   `-M pc`) use, and that vm/acpi.c's FADT announces.

   Pure host code: no KVM, no globals, no allocation; the caller owns the
   state. Time comes in as host nanoseconds, either passed to pm_poll() or
   asked of a hook when the guest reads a register.

   Registers, from the block's base (port 0x600 on our machine):

     offset  width  name      access
     0x0     16     PM1_STS   read; write 1 to clear
     0x2     16     PM1_EN    read/write
     0x4     16     PM1_CNT   read/write (SLP_EN, GBL_RLS write-only)
     0x8     32     PM_TMR    read-only

   ACPI 6.5 section 4.8.2.1 (PM timer), 4.8.3.1 (PM1 event grouping: status
   and enable, each half of PM1_EVT_LEN), 4.8.3.2 (PM1 control), 5.2.9
   (FADT flags: TMR_VAL_EXT). The PM1 registers are 16 bits and the timer 32
   bits (4.8.3: accessed at their own width); any other access reads
   all-ones and a write of it is ignored.

   Not modelled: sleep states and soft-off. SLP_TYP is stored and reads
   back; a write with SLP_EN set does nothing (the guest stays running), and
   the power button, sleep button, RTC alarm, global lock (GBL_STS) and
   wake events never happen, so their status bits stay 0. There is no SMM:
   the machine is always in ACPI mode, so SCI_EN is set at power-on (the
   FADT has no SMI_CMD port). */
#ifndef BBVM_PM_H
#define BBVM_PM_H

#include <stdbool.h>
#include <stdint.h>

/* The register block: where the FADT says it is, and how long. */
#define PM_BASE        0x600u
#define PM_LEN         12u      /* 0x600..0x60b: event 4, control 2 (+2 gap), timer 4 */
#define PM_EVT_OFF     0x0u     /* PM1a_EVT_BLK, PM1_EVT_LEN 4 */
#define PM_EVT_LEN     4u
#define PM_CNT_OFF     0x4u     /* PM1a_CNT_BLK, PM1_CNT_LEN 2 */
#define PM_CNT_LEN     2u
#define PM_TMR_OFF     0x8u     /* PM_TMR_BLK, PM_TMR_LEN 4 */
#define PM_TMR_LEN     4u

/* Register offsets inside the block. */
#define PM1_STS 0x0
#define PM1_EN  0x2
#define PM1_CNT 0x4
#define PM_TMR  0x8

/* PM1_STS and PM1_EN bits (4.8.3.1.1, 4.8.3.1.2): an event's status and
   enable bits share a position. */
#define PM1_TMR        (1u << 0)    /* the timer's top bit changed */
#define PM1_BM_STS     (1u << 4)    /* status only */
#define PM1_GBL        (1u << 5)    /* global lock released */
#define PM1_PWRBTN     (1u << 8)
#define PM1_SLPBTN     (1u << 9)
#define PM1_RTC        (1u << 10)
#define PM1_PCIEXP_WAKE (1u << 14)  /* status; in PM1_EN it is a disable */
#define PM1_WAK_STS    (1u << 15)   /* status only */
#define PM1_STS_BITS   0xc731u      /* the status bits the spec defines */
#define PM1_EN_BITS    0x4721u      /* the enable bits the spec defines */
#define PM1_SCI_EVENTS 0x0721u      /* events that raise the SCI when enabled */

/* PM1_CNT bits (4.8.3.2.1). */
#define PM1_SCI_EN     (1u << 0)    /* events go to the SCI (not SMI) */
#define PM1_BM_RLD     (1u << 1)
#define PM1_GBL_RLS    (1u << 2)    /* write-only: reads 0 */
#define PM1_SLP_TYP(v) (((v) >> 10) & 7u)
#define PM1_SLP_TYP_MASK (7u << 10)
#define PM1_SLP_EN     (1u << 13)   /* write-only: reads 0 */
#define PM1_CNT_KEEP   (PM1_SCI_EN | PM1_BM_RLD | PM1_SLP_TYP_MASK)

/* The timer: 3.579545 MHz (4.8.2.1), the PC's colour-burst crystal. */
#define PM_TMR_HZ      3579545u

/* Set in struct pm_model.version, bumped when the state's layout changes. */
#define PM_STATE_VERSION 1u

typedef struct pm_hooks {
    /* Host monotonic nanoseconds now; NULL: the time of the last pm_poll(). */
    uint64_t (*now)(void *ctx);
    /* The SCI output changed level (called on changes only). May be NULL. */
    void (*sci)(void *ctx, bool level);
    void *ctx;
} pm_hooks;

/* The whole state: plain data, so save and restore are a copy (the hooks
   are the caller's to set again). */
typedef struct pm_model {
    uint32_t version;
    bool tmr_32bit;        /* a 32-bit counter (FADT TMR_VAL_EXT), else 24 */
    uint64_t start_ns;     /* host time at which the counter read 0 */
    uint64_t last_ns;      /* latest time seen: time never runs backwards */
    uint64_t toggles;      /* top-bit changes already turned into TMR_STS */
    uint16_t sts, en, cnt;
    bool sci;              /* the SCI output's level */
    pm_hooks hooks;
} pm_model;

/* Power-on state at host time `now_ns`: counter 0, no status, nothing
   enabled, SCI_EN set, the SCI low. `tmr_32bit` must match the FADT's
   TMR_VAL_EXT. `now_ns`, the `now` hook and pm_poll()'s argument must be
   one clock: a time before `now_ns`, or before one already seen, counts as
   that time (the counter never runs backwards). Passing 0 starts the
   counter at that clock's epoch, whenever pm_init() runs. The entry points
   change the state: the caller serializes them, as for any chipset device. */
void pm_init(pm_model *pm, bool tmr_32bit, const pm_hooks *hooks, uint64_t now_ns);

/* The chipset's entry points; offsets are from the block's base (0..11).
   `ctx` is the pm_model. */
uint64_t pm_read(void *ctx, uint64_t offset, unsigned width);
void pm_write(void *ctx, uint64_t offset, unsigned width, uint64_t v);

/* Advance to host time `now_ns` (TMR_STS, SCI); return when the model next
   needs to run: the next change of the timer's top bit while TMR_EN is set,
   else UINT64_MAX. */
uint64_t pm_poll(void *ctx, uint64_t now_ns);

/* Timer ticks in `ns` nanoseconds, exactly floor(ns * 3579545 / 1e9). */
uint64_t pm_ticks(uint64_t ns);

#endif /* BBVM_PM_H */
