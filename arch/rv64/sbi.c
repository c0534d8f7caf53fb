/* sbi.c - the calls we make to the Supervisor Binary Interface (OpenSBI on
   QEMU): is the TIME extension there, and program the timer through it.
   Section numbers are the RISC-V SBI specification v1.0. */
#include "arch.h"

#define SBI_EXT_LEGACY_SET_TIMER 0x00        /* 5.1: legacy, EID 0 */
#define SBI_EXT_BASE   0x10                  /* 4 */
#define SBI_BASE_PROBE_EXTENSION 3           /* 4.4 */
#define SBI_EXT_TIME   0x54494d45            /* 6: "TIME" */
#define SBI_TIME_SET_TIMER 0                 /* 6.1 */

struct sbiret {
    long error;     /* 0 is SBI_SUCCESS (3, table 1) */
    long value;
};

static bool time_extension;

/* 3, "Binary Encoding": ecall with the extension in a7, the function in
   a6, arguments from a0; error comes back in a0, value in a1, and every
   other register is preserved. The legacy extensions ignore a6. */
static struct sbiret sbi_call(long eid, long fid, unsigned long arg0)
{
    register unsigned long a0 __asm__("a0") = arg0;
    register unsigned long a1 __asm__("a1");
    register long a6 __asm__("a6") = fid;
    register long a7 __asm__("a7") = eid;

    __asm__ volatile("ecall" : "+r"(a0), "=r"(a1) : "r"(a6), "r"(a7) : "memory");
    return (struct sbiret){ (long)a0, (long)a1 };
}

/* 4.4: probe_extension gives 0 for an extension that is not there. An SBI
   older than v0.2 has no base extension at all and fails the call. */
bool sbi_init(void)
{
    struct sbiret r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_TIME);

    time_extension = r.error == 0 && r.value != 0;
    return time_extension;
}

/* 6.1 (and legacy 5.1): fire the supervisor timer interrupt once `time`
   reaches stime, in absolute ticks; a time already past fires at once.
   Either call also clears a pending timer interrupt (sip.STIP), so
   UINT64_MAX both silences it and pushes the next one out of reach. */
void sbi_set_timer(uint64_t stime)
{
    if (time_extension)
        sbi_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, stime);
    else
        sbi_call(SBI_EXT_LEGACY_SET_TIMER, 0, stime);
}
