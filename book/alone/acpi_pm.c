/* hdr/acpi_pm.h's driver run against its own model: a kernel reads the
   24-bit PM timer at chosen board times, across a wrap; TMR_STS raises the
   SCI when the counter's top bit changes; a PM1a_CNT write powers off. */
#include <inttypes.h>
#include <stdio.h>

//! [alone-acpi_pm]
#define ACPI_PM_IMPLEMENTATION
#include "acpi_pm.h"

static acpi_pm_model pm;
static uint64_t now_ns;                     /* the board's clock, in ns */
static bool sci;                            /* the SCI line (IRQ 9 on a PC) */
static int slept = -1;                      /* the sleep type entered */

static uint64_t board_now(void *ctx) { (void)ctx; return now_ns; }
static void sci_line(void *ctx, bool level) { (void)ctx; sci = level; }
static void sleep_type(void *ctx, unsigned typ) { (void)ctx; slept = (int)typ; }

/* The driver's 32-bit IN: on this board, a read of the model's register. */
static uint32_t inl(void *ctx, uint16_t port)
{
    return (uint32_t)acpi_pm_model_read(ctx, port - ACPI_PM_PC_BASE, 4);
}

int main(void)
{
    acpi_pm_model_hooks h = { board_now, sci_line, NULL, sleep_type, NULL };
    acpi_pm_drv d = { inl, &pm, ACPI_PM_PC_BASE + ACPI_PM_TMR_OFF, false }; /* 24-bit */
    static const uint64_t at[] = { 1000000, 1000000000, 4000000000u, 5000000000u };
    uint32_t last = 0, t, cnt;
    uint64_t due;

    acpi_pm_model_init(&pm, &h);            /* the counter reads 0 at time 0 */
    for (unsigned i = 0; i < sizeof at / sizeof at[0]; i++) {
        now_ns = at[i];
        t = acpi_pm_drv_read_timer(&d);
        printf("at %10" PRIu64 " ns: counter %8" PRIu32 ", %8" PRIu32 " ticks later\n",
               at[i], t, acpi_pm_drv_elapsed(&d, last, t));
        if (t != (acpi_pm_ticks(at[i]) & 0xffffff))
            return printf("wrong: the counter should be 3579545 Hz from 0\n"), 1;
        last = t;
    }
    /* The top bit (23) changed twice by 5 s: TMR_STS is set. Clear it by
       writing 1, then let it raise the SCI: the model says when. */
    acpi_pm_model_write(&pm, ACPI_PM_STS, 2, ACPI_PM_TMR_STS);
    acpi_pm_model_write(&pm, ACPI_PM_EN, 2, ACPI_PM_TMR_EN);
    due = acpi_pm_model_poll(&pm, now_ns);
    acpi_pm_model_poll(&pm, due - 1);
    if (sci)
        return printf("wrong: the SCI rose early\n"), 1;
    acpi_pm_model_poll(&pm, due);
    if (!sci || acpi_pm_ticks(due) != 3u << 23)
        return printf("wrong: no SCI at the third change of bit 23\n"), 1;
    printf("SCI high at %" PRIu64 " ns: tick %" PRIu64 ", bit 23 changes a third time\n",
           due, acpi_pm_ticks(due));
    acpi_pm_model_write(&pm, ACPI_PM_STS, 2, ACPI_PM_TMR_STS);  /* the handler's ack */
    if (sci)
        return printf("wrong: the SCI stayed high after TMR_STS was cleared\n"), 1;
    /* Soft-off as a kernel does it: SLP_TYP from the DSDT's \_S5 (7 here),
       then the same with SLP_EN. The board's hook decides what 7 means. */
    cnt = (uint32_t)acpi_pm_model_read(&pm, ACPI_PM_CNT, 2);
    cnt = (cnt & ~(ACPI_PM_SLP_TYP_MASK | ACPI_PM_SLP_EN)) | 7u << ACPI_PM_SLP_TYP_SHIFT;
    acpi_pm_model_write(&pm, ACPI_PM_CNT, 2, cnt);
    acpi_pm_model_write(&pm, ACPI_PM_CNT, 2, cnt | ACPI_PM_SLP_EN);
    printf("PM1a_CNT %#06x with SLP_EN: sleep type %d; reads back %#06" PRIx64 "\n", cnt,
           slept, acpi_pm_model_read(&pm, ACPI_PM_CNT, 2));
    if (slept != 7 || acpi_pm_model_read(&pm, ACPI_PM_CNT, 2) != cnt)
        return printf("wrong: no sleep type 7, or SLP_EN was stored\n"), 1;
    return 0;
}
//! [alone-acpi_pm]
