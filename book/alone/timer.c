/* hdr/timer.h alone: a 3 GHz counter read after an hour converts to
   nanoseconds exactly, where the naive product overflows; then three
   timers on a fake clock that wakes 1 ms late each time: a reply that
   cancels its timeout, and a periodic blink that keeps its schedule. */
#include <stdio.h>

//! [alone-timer]
#define TIMER_IMPLEMENTATION
#include "timer.h"

static timer_queue q;
static timer reply, timeout, blink;
static uint64_t now;                    /* the fake clock, in ns */
static unsigned blinks, timeouts, drifts;

static void on_reply(timer *t, void *arg)
{
    (void)arg;
    printf("%llu ms: reply (deadline %llu)", (unsigned long long)timer_to_ms(now),
           (unsigned long long)timer_to_ms(t->deadline));
    printf(", timeout %s\n", timer_cancel(&q, &timeout) ? "cancelled" : "already gone");
}

static void on_timeout(timer *t, void *arg)
{
    (void)t, (void)arg;
    timeouts++;
}

static void on_blink(timer *t, void *arg)
{
    (void)arg;
    printf("%llu ms: blink (deadline %llu)\n", (unsigned long long)timer_to_ms(now),
           (unsigned long long)timer_to_ms(t->deadline));
    if (t->deadline != timer_ms(500) * ++blinks)
        drifts++;
    timer_repeat(&q, t, timer_ms(500)); /* from its deadline, not from now */
}

int main(void)
{
    const uint64_t tsc_hz = 3000000000u, hour = 3600u * tsc_hz;
    uint64_t ns = timer_ticks_to_ns(hour, tsc_hz);

    printf("3 GHz, 1 hour of ticks: %llu ns; ticks * 10^9 would overflow: %s\n",
           (unsigned long long)ns, hour > UINT64_MAX / TIMER_NS_PER_S ? "yes" : "no");
    printf("1 ns at 24 MHz: %llu tick (rounded up, never early)\n",
           (unsigned long long)timer_ns_to_ticks(1, 24000000));
    if (ns != 3600u * (uint64_t)TIMER_NS_PER_S || timer_ns_to_ticks(1, 24000000) != 1)
        return puts("wrong: conversion"), 1;

    timer_queue_init(&q);
    timer_init(&reply, on_reply, NULL);
    timer_init(&timeout, on_timeout, NULL);
    timer_init(&blink, on_blink, NULL);
    timer_start(&q, &timeout, now + timer_ms(5000));
    timer_start(&q, &reply, now + timer_ms(200));
    timer_start(&q, &blink, now + timer_ms(500));
    while (now < timer_ms(1600)) {
        timer_run(&q, now);             /* fire everything due */
        now = timer_next_deadline(&q) + timer_ms(1);    /* "sleep", wake late */
    }
    printf("queue: %u armed, next at %llu ms\n", timer_queue_count(&q),
           (unsigned long long)timer_to_ms(timer_next_deadline(&q)));
    if (blinks != 3 || drifts || timeouts || timer_armed(&timeout) || timer_queue_count(&q) != 1)
        return puts("wrong: the queue"), 1;
    return 0;
}
//! [alone-timer]
