/* timer.h - monotonic time in nanoseconds and a queue of one-shot timers.

   WHAT IT IS
   The clock and the timers of an event loop, for the kernels (bare metal on
   x64, arm64, arm32 and rv64) and for the host-side monitor:
     - time is a uint64_t count of nanoseconds since boot, which lasts 584
       years; timer_ms() and timer_us() build durations, and
       timer_ticks_to_ns() and timer_ns_to_ticks() convert to and from a
       hardware counter of any frequency up to 18 GHz without overflowing;
     - a timer_queue holds one-shot timers ordered by deadline. The caller
       owns every struct (nothing is allocated), so a timer can live inside
       the object it times. Arming, cancelling and firing the earliest are
       all O(log n) amortized: the queue is a pairing heap.
   Timers with equal deadlines fire in the order they were armed. A callback
   may re-arm its own timer (timer_repeat() keeps a period without drift) or
   arm and cancel any other; a timer a callback arms for a time already due
   fires on the next timer_run(), never the current one, so a run always ends.

   HARDWARE
   None directly. The platform keeps time with a free-running counter (x64
   TSC, the Arm generic timer's CNTVCT, rv64 `time` CSR), which
   timer_ticks_to_ns() turns into nanoseconds, and owns one hardware
   one-shot (LAPIC timer in TSC-deadline or one-shot mode, the Arm CNTV
   compare value, SBI set_timer). The
   event loop programs that one-shot for timer_next_deadline(), converted
   with timer_ns_to_ticks(), and sleeps: no periodic tick. That programming
   is the kernel's business, not this header's.

   BOOK
   book/timers.md, "Timers".

   USAGE
   In exactly one C file:
       #define TIMER_IMPLEMENTATION
       #include "timer.h"
   An event loop, given now() and sleep_until() from its platform:
       static timer_queue q;
       static timer blink;                     // void on_blink(timer *t, void *arg)
       timer_queue_init(&q);
       timer_init(&blink, on_blink, &led);
       timer_start(&q, &blink, now() + timer_ms(500));
       for (;;) {
           timer_run(&q, now());                // fire everything due
           sleep_until(timer_next_deadline(&q)); // TIMER_NEVER: nothing armed
       }

   OVERRIDABLE MACROS (define before the include)
     TIMER_DEF      linkage of public functions   (default: extern)
     TIMER_STATIC   define it to make every public function static
     TIMER_ASSERT   assertion for preconditions and invariants (default: none)

   LICENSE at the end of the file.
*/
#ifndef TIMER_H
#define TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under TIMER_STATIC. */
#ifndef TIMER_DEF
#ifdef TIMER_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define TIMER_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define TIMER_DEF static
#endif
#else
#define TIMER_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file timer.h
    @brief Monotonic time in nanoseconds and a queue of one-shot timers.
    See @ref timers.

    Tests: tests/timer_test.c. Used alone: book/alone/timer.c, shown in the
    chapter's appendix. */

/* ---- time ---------------------------------------------------------------- */

//! [time]
/** The deadline that never comes: what timer_next_deadline() returns for an
    empty queue, and where conversions saturate. */
#define TIMER_NEVER UINT64_MAX
/** Nanoseconds in a second. */
#define TIMER_NS_PER_S 1000000000u
/** The fastest counter the conversions accept, 18446744073 Hz: the largest
    frequency whose product with TIMER_NS_PER_S still fits in 64 bits. */
#define TIMER_FREQ_MAX (UINT64_MAX / TIMER_NS_PER_S)

/** `ms` milliseconds in nanoseconds; TIMER_NEVER if that does not fit. */
TIMER_DEF uint64_t timer_ms(uint64_t ms);
/** `us` microseconds in nanoseconds; TIMER_NEVER if that does not fit. */
TIMER_DEF uint64_t timer_us(uint64_t us);
/** Nanoseconds to whole milliseconds, rounded down. */
TIMER_DEF uint64_t timer_to_ms(uint64_t ns);
//! [time]

/** Nanoseconds in `ticks` of a counter running at `freq_hz`, rounded down
    (floor(ticks * 10^9 / freq_hz), computed exactly). Saturates at
    TIMER_NEVER when the answer does not fit in 64 bits (2^63 ticks of a
    counter slower than 1 GHz). Pre: 0 < freq_hz <= TIMER_FREQ_MAX (asserted;
    0 yields 0). */
TIMER_DEF uint64_t timer_ticks_to_ns(uint64_t ticks, uint64_t freq_hz);

/** Ticks of a counter at `freq_hz` in `ns` nanoseconds, rounded UP
    (ceil(ns * freq_hz / 10^9), computed exactly), so a deadline programmed
    into hardware never fires early: timer_ticks_to_ns() of the result is
    never less than `ns`. Saturates at UINT64_MAX. TIMER_NEVER is not special
    here: test for it before converting. Pre: 0 < freq_hz <= TIMER_FREQ_MAX
    (asserted; 0 yields 0). */
TIMER_DEF uint64_t timer_ns_to_ticks(uint64_t ns, uint64_t freq_hz);

/* ---- the timer queue ------------------------------------------------------ */

struct timer;
struct timer_queue;

/** What a timer calls when it fires: `t` is the timer (already unarmed, so
    the callback may re-arm it), `arg` the one given to timer_init(). */
typedef void (*timer_fn)(struct timer *t, void *arg);

//! [struct]
/** A one-shot timer. Caller-owned: embed it in whatever it times. Fields
    below `arg` belong to the queue; `deadline` is read-only while armed. */
typedef struct timer {
    uint64_t deadline;          /**< when it fires, in ns; kept after it fires */
    timer_fn fn;                /**< called when it fires; never NULL */
    void *arg;                  /**< passed to `fn` */
    struct timer_queue *queue;  /**< private: the queue it is armed on, or NULL */
    uint64_t seq;               /**< private: arming number; breaks deadline ties */
    struct timer *child;        /**< private: heap link to the first child */
    struct timer *next;         /**< private: heap link to the next sibling */
    struct timer *prev;         /**< private: previous sibling, or parent of a first child */
} timer;

/** Armed timers in deadline order. Caller-owned; one per event loop. */
typedef struct timer_queue {
    timer *root;        /**< private: the heap of armed timers, earliest at the root */
    timer *late;        /**< private: during timer_run(), timers armed already due */
    uint64_t seq;       /**< private: the next arming number */
    uint64_t run_seq;   /**< private: `seq` when the current run began */
    uint64_t run_now;   /**< private: `now` of the current run */
    unsigned count;     /**< private: how many timers are armed */
    bool running;       /**< private: inside timer_run() */
} timer_queue;
//! [struct]

/** An empty queue. */
TIMER_DEF void timer_queue_init(timer_queue *q);

/** An unarmed timer that will call `fn(t, arg)` when it fires. Call it once,
    before first use, and never on an armed timer. */
TIMER_DEF void timer_init(timer *t, timer_fn fn, void *arg);

/** Arm `t` to fire at `deadline` (ns). An armed timer is moved, from
    whichever queue holds it; it then counts as armed now, so it fires after
    the timers already armed for the same deadline. Inside timer_run(), a
    deadline not after the run's `now` fires on the next run. O(1), plus a
    cancel if it was armed. */
TIMER_DEF void timer_start(timer_queue *q, timer *t, uint64_t deadline);

/** Re-arm `t` one `period` after its last deadline (not after "now"), so a
    periodic timer never drifts. Call it from `t`'s own callback. A timer
    that fell several periods behind catches up one period per timer_run().
    Saturates at TIMER_NEVER. */
TIMER_DEF void timer_repeat(timer_queue *q, timer *t, uint64_t period);

/** Disarm `t`. Returns true if it was armed on `q`; false, doing nothing, if
    it was not armed (cancelling twice is harmless). O(log n) amortized. */
TIMER_DEF bool timer_cancel(timer_queue *q, timer *t);

/** True while `t` is armed: from timer_start() until it fires or is cancelled. */
TIMER_DEF bool timer_armed(const timer *t);

/** The earliest deadline armed, or TIMER_NEVER if none: what to program the
    hardware one-shot for. O(1). */
TIMER_DEF uint64_t timer_next_deadline(const timer_queue *q);

/** How many timers are armed. */
TIMER_DEF unsigned timer_queue_count(const timer_queue *q);

/** Fire every timer whose deadline is <= `now`, earliest first, equal
    deadlines in arming order; each is disarmed before its callback runs.
    Callbacks may start and cancel any timer: one cancelled before its turn
    does not fire; one armed during this run with a deadline <= `now` fires
    on the next run. So a call fires at most the timers armed when it began.
    Returns how many fired. Not reentrant: not from a callback of `q`. */
TIMER_DEF unsigned timer_run(timer_queue *q, uint64_t now);

#ifdef __cplusplus
}
#endif
#endif /* TIMER_H */

/* ======================================================================== */
#ifdef TIMER_IMPLEMENTATION

#ifndef TIMER_ASSERT
#define TIMER_ASSERT(c) ((void)0)
#endif

/* ---- time ---- */

//! [durations]
/* Durations saturate rather than wrap: a timeout too long to represent
   becomes "never", not a deadline in the past. */
TIMER_DEF uint64_t timer_ms(uint64_t ms)
{
    return ms > TIMER_NEVER / 1000000u ? TIMER_NEVER : ms * 1000000u;
}

TIMER_DEF uint64_t timer_us(uint64_t us)
{
    return us > TIMER_NEVER / 1000u ? TIMER_NEVER : us * 1000u;
}
//! [durations]

TIMER_DEF uint64_t timer_to_ms(uint64_t ns)
{
    return ns / 1000000u;
}

//! [ticks-to-ns]
/* ticks = s * freq + rest, with rest < freq. Then ticks * 10^9 / freq is
   s * 10^9 + rest * 10^9 / freq exactly, and rest * 10^9 < freq * 10^9
   fits in 64 bits whenever freq <= TIMER_FREQ_MAX. No 128-bit product. */
TIMER_DEF uint64_t timer_ticks_to_ns(uint64_t ticks, uint64_t freq_hz)
{
    uint64_t s, rest, frac;

    TIMER_ASSERT(freq_hz != 0 && freq_hz <= TIMER_FREQ_MAX);
    if (freq_hz == 0)
        return 0;
    s = ticks / freq_hz;
    rest = ticks % freq_hz;
    frac = rest * TIMER_NS_PER_S / freq_hz;  /* < 10^9, rounded down */
    if (s > (TIMER_NEVER - frac) / TIMER_NS_PER_S)
        return TIMER_NEVER;
    return s * TIMER_NS_PER_S + frac;
}
//! [ticks-to-ns]

//! [ns-to-ticks]
/* The same split the other way: ns = s * 10^9 + rest. Rounding the part
   second up makes the whole result round up. */
TIMER_DEF uint64_t timer_ns_to_ticks(uint64_t ns, uint64_t freq_hz)
{
    uint64_t s = ns / TIMER_NS_PER_S, rest = ns % TIMER_NS_PER_S;
    uint64_t part, frac;

    TIMER_ASSERT(freq_hz != 0 && freq_hz <= TIMER_FREQ_MAX);
    if (freq_hz == 0)
        return 0;
    part = rest * freq_hz;                   /* < 10^9 * freq: fits */
    frac = part / TIMER_NS_PER_S + (part % TIMER_NS_PER_S != 0);
    if (s > (UINT64_MAX - frac) / freq_hz)
        return UINT64_MAX;
    return s * freq_hz + frac;
}
//! [ns-to-ticks]

/* ---- the pairing heap ---- */

//! [order]
/* The queue's order: the earlier deadline first and, between equal
   deadlines, the timer armed first. A 64-bit arming number never wraps
   (a billion arms a second for 584 years). */
static bool timer__before(const timer *a, const timer *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}
//! [order]

//! [meld]
/* Join two heaps, given their roots (which have no siblings): the root that
   comes later becomes the first child of the other. O(1), and the only
   place timers are compared. */
static timer *timer__meld(timer *a, timer *b)
{
    timer *swap;

    if (!a)
        return b;
    if (!b)
        return a;
    if (timer__before(b, a)) {
        swap = a;
        a = b;
        b = swap;
    }
    b->prev = a;
    b->next = a->child;
    if (a->child)
        a->child->prev = b;
    a->child = b;
    return a;
}
//! [meld]

//! [merge-pairs]
/* One heap from a list of sibling subtrees (the children of a removed
   timer). Meld them in pairs from left to right, then meld the pairs into
   one from right to left. Melding the list in a single pass would work too,
   but leaves the root with a long list of children for the next removal;
   the two passes are what bound the amortized cost to O(log n). Iterative,
   so a deep heap costs no stack. */
static timer *timer__merge_pairs(timer *first)
{
    timer *pairs = NULL, *root = NULL, *a, *b;

    while (first) {                 /* pass 1: pairs, stacked through `next` */
        a = first;
        b = a->next;
        first = b ? b->next : NULL;
        a->prev = a->next = NULL;
        if (b) {
            b->prev = b->next = NULL;
            a = timer__meld(a, b);
        }
        a->next = pairs;
        pairs = a;
    }
    while (pairs) {                 /* pass 2: the rightmost pair first */
        a = pairs;
        pairs = a->next;
        a->next = NULL;
        root = timer__meld(root, a);
    }
    return root;
}
//! [merge-pairs]

//! [remove]
/* Take `t` out of the heap rooted at `*root`: its children become one heap,
   which replaces `t` at the root or is melded back in. */
static void timer__remove(timer **root, timer *t)
{
    timer *sub = timer__merge_pairs(t->child);

    t->child = NULL;
    if (t == *root) {
        *root = sub;
        return;
    }
    if (t->prev->child == t)        /* first child: prev is the parent */
        t->prev->child = t->next;
    else
        t->prev->next = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
    *root = timer__meld(*root, sub);
}
//! [remove]

//! [late]
/* Which heap holds an armed timer. During a run, a timer armed after the
   run began with a deadline already due waits in `late`, out of the run's
   reach; that is exactly the test below, so no flag needs keeping. */
static timer **timer__heap(timer_queue *q, const timer *t)
{
    bool late = q->running && t->seq >= q->run_seq && t->deadline <= q->run_now;

    return late ? &q->late : &q->root;
}
//! [late]

/* ---- the API ---- */

TIMER_DEF void timer_queue_init(timer_queue *q)
{
    q->root = NULL;
    q->late = NULL;
    q->seq = 0;
    q->run_seq = 0;
    q->run_now = 0;
    q->count = 0;
    q->running = false;
}

TIMER_DEF void timer_init(timer *t, timer_fn fn, void *arg)
{
    t->deadline = 0;
    t->fn = fn;
    t->arg = arg;
    t->queue = NULL;
    t->seq = 0;
    t->child = t->next = t->prev = NULL;
}

//! [start]
TIMER_DEF void timer_start(timer_queue *q, timer *t, uint64_t deadline)
{
    timer **heap;

    TIMER_ASSERT(t->fn != NULL);
    if (t->queue)                   /* re-arming moves it */
        timer_cancel(t->queue, t);
    t->deadline = deadline;
    t->seq = q->seq++;
    t->queue = q;
    q->count++;
    heap = timer__heap(q, t);
    *heap = timer__meld(*heap, t);
}
//! [start]

//! [repeat]
TIMER_DEF void timer_repeat(timer_queue *q, timer *t, uint64_t period)
{
    uint64_t next = t->deadline + period;

    timer_start(q, t, next < t->deadline ? TIMER_NEVER : next);
}
//! [repeat]

//! [cancel]
TIMER_DEF bool timer_cancel(timer_queue *q, timer *t)
{
    if (t->queue != q) {
        TIMER_ASSERT(t->queue == NULL); /* armed, but on another queue */
        return false;
    }
    timer__remove(timer__heap(q, t), t);
    t->queue = NULL;
    q->count--;
    return true;
}
//! [cancel]

TIMER_DEF bool timer_armed(const timer *t)
{
    return t->queue != NULL;
}

TIMER_DEF uint64_t timer_next_deadline(const timer_queue *q)
{
    uint64_t d = q->root ? q->root->deadline : TIMER_NEVER;

    if (q->late && q->late->deadline < d)   /* only inside a run */
        d = q->late->deadline;
    return d;
}

TIMER_DEF unsigned timer_queue_count(const timer_queue *q)
{
    return q->count;
}

//! [run]
TIMER_DEF unsigned timer_run(timer_queue *q, uint64_t now)
{
    unsigned fired = 0;
    timer *t;

    TIMER_ASSERT(!q->running);      /* called from one of q's callbacks */
    if (q->running)
        return 0;
    q->running = true;
    q->run_seq = q->seq;
    q->run_now = now;
    /* Every timer that enters `root` during the run is due after `now`, so
       this loop fires only timers armed before it began: it ends. */
    while ((t = q->root) != NULL && t->deadline <= now) {
        timer_cancel(q, t);         /* unarmed before the callback runs */
        fired++;
        t->fn(t, t->arg);
    }
    q->running = false;
    q->root = timer__meld(q->root, q->late);  /* due now: the next run fires them */
    q->late = NULL;
    return fired;
}
//! [run]

#endif /* TIMER_IMPLEMENTATION */

/*
   LICENSE

   This file is available under your choice of two licenses.

   MIT License. Copyright (c) 2026 the Breadboard authors.
   Permission is hereby granted, free of charge, to any person obtaining a copy
   of this software and associated documentation files (the "Software"), to deal
   in the Software without restriction, including without limitation the rights
   to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
   copies of the Software, and to permit persons to whom the Software is
   furnished to do so, subject to the following conditions: the above copyright
   notice and this permission notice shall be included in all copies or
   substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS",
   WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.

   Public domain (www.unlicense.org). Anyone is free to copy, modify, publish,
   use, compile, sell, or distribute this software, either in source code form
   or as a compiled binary, for any purpose, commercial or non-commercial, and
   by any means.
*/
