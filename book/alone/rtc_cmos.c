/* hdr/rtc_cmos.h alone: the driver's port hooks call the model, whose clock
   is a variable. The driver sets the time in BCD and enables the
   update-ended interrupt and a midnight alarm; the board runs to each
   deadline, where the handler acks IRQ 8 and reads the clock. Then the
   same in binary, over a new year. */
#include <stdio.h>
#include <string.h>

//! [alone-rtc_cmos]
#define RTC_CMOS_IMPLEMENTATION
#include "rtc_cmos.h"

static rtc_cmos_model rtc;
static uint64_t board_ns;               /* the board's clock */
static bool irq8;

static uint64_t now(void *ctx) { (void)ctx; return board_ns; }
static void on_irq8(void *ctx, bool level) { (void)ctx; irq8 = level; }

/* The driver's port I/O (0x70, 0x71) onto the model's offsets 0 and 1. */
static uint8_t in(void *ctx, uint16_t port)
{
    return (uint8_t)rtc_cmos_model_read(ctx, port - RTC_CMOS_PC_PORT, 1);
}
static void out(void *ctx, uint16_t port, uint8_t v)
{
    rtc_cmos_model_write(ctx, port - RTC_CMOS_PC_PORT, 1, v);
}

static rtc_cmos_drv d = { in, out, &rtc };

/* Run the board to the model's next deadline, then be IRQ 8's handler. */
static int next_update(const char *want, uint8_t want_c)
{
    rtc_cmos_time t;
    char got[32];
    uint8_t c;
    bool rose;

    board_ns = rtc_cmos_model_poll(&rtc, board_ns);
    rtc_cmos_model_poll(&rtc, board_ns);
    rose = irq8;
    c = rtc_cmos_drv_ack(&d);               /* read C: lowers IRQ 8 */
    if (!rtc_cmos_drv_read_time(&d, &t, 10))
        return puts("wrong: no stable reading"), 1;
    snprintf(got, sizeof got, "%04u-%02u-%02u %02u:%02u:%02u", t.year, t.month, t.day,
             t.hour, t.minute, t.second);
    printf("%u.%09u s: C 0x%02x, %s (seconds byte 0x%02x, year byte 0x%02x)\n",
           (unsigned)(board_ns / 1000000000u), (unsigned)(board_ns % 1000000000u), c, got,
           rtc_cmos_drv_get(&d, RTC_CMOS_SECONDS), rtc_cmos_drv_get(&d, RTC_CMOS_YEAR));
    if (!rose || irq8 || c != want_c || board_ns % 1000000000u || strcmp(got, want) != 0)
        return printf("wrong: want IRQ 8 up then down, C 0x%02x, a whole second, %s\n",
                      want_c, want), 1;
    return 0;
}

int main(void)
{
    rtc_cmos_model_hooks h = { now, on_irq8, NULL, NULL };
    rtc_cmos_time leap = { 2024, 2, 28, 23, 59, 58, 0 }, eve = { 2024, 12, 31, 23, 59, 59, 0 };

    rtc_cmos_model_init(&rtc, &h);          /* B = 0x02: BCD, 24 hours */
    rtc_cmos_drv_periodic(&d, 0);           /* rate 0: no PF in C either */
    rtc_cmos_drv_set_time(&d, &leap);
    rtc_cmos_drv_put(&d, RTC_CMOS_REG_B, rtc_cmos_drv_get(&d, RTC_CMOS_REG_B) | RTC_CMOS_B_UIE);
    rtc_cmos_drv_set_alarm(&d, 0, 0, 0);    /* midnight: AF with UF */
    if (next_update("2024-02-28 23:59:59", RTC_CMOS_C_IRQF | RTC_CMOS_C_UF) ||
        next_update("2024-02-29 00:00:00", RTC_CMOS_C_IRQF | RTC_CMOS_C_AF | RTC_CMOS_C_UF))
        return 1;
    /* Binary: the chip converts nothing, so the time is written again. */
    rtc_cmos_drv_put(&d, RTC_CMOS_REG_B, rtc_cmos_drv_get(&d, RTC_CMOS_REG_B) | RTC_CMOS_B_DM);
    rtc_cmos_drv_set_time(&d, &eve);
    return next_update("2025-01-01 00:00:00", RTC_CMOS_C_IRQF | RTC_CMOS_C_AF | RTC_CMOS_C_UF);
}
//! [alone-rtc_cmos]
