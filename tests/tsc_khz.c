/* tsc_khz.c - the host's TSC rate in kHz, measured here against the host's
   CLOCK_MONOTONIC_RAW: what a guest's TSC calibration must find, since a
   QEMU TCG guest reads the host's TSC through RDTSC and a KVM guest without
   TSC scaling runs on it too.

   Each end of the interval reads the TSC between two clock reads and keeps
   the pair that lies closest together (a preempted sample is taken again),
   so the error is the clock reads' own, far under 0.1% over 200 ms.
   Prints one number; exits 1 (printing why) where there is no usable TSC. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}
#endif

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct stamp {
    uint64_t ns, tsc;
};

/* The TSC read between two clock reads, the tightest of 16 tries, stamped
   with their midpoint. */
static struct stamp stamp(void)
{
    struct stamp best = { 0, 0 };
    uint64_t gap = UINT64_MAX;

    for (int i = 0; i < 16; i++) {
        uint64_t a = now_ns(), t = rdtsc(), b = now_ns();

        if (b - a < gap) {
            gap = b - a;
            best.ns = a + (b - a) / 2;
            best.tsc = t;
        }
    }
    return best;
}

int main(void)
{
#if defined(__x86_64__) || defined(__i386__)
    struct stamp a = stamp(), b;
    struct timespec d = { 0, 200000000 };

    nanosleep(&d, NULL);
    b = stamp();
    if (b.ns <= a.ns || b.tsc <= a.tsc) {
        puts("tsc_khz: the TSC or the clock did not advance");
        return 1;
    }
    printf("%llu\n", (unsigned long long)((b.tsc - a.tsc) * 1000000u / (b.ns - a.ns)));
    return 0;
#else
    puts("tsc_khz: not an x86 host");
    return 1;
#endif
}
