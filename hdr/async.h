/* async.h - the async runtime: work items, a state machine, and ktick().

   WHAT IT IS
   The kernels have no threads. They run one loop, and everything they do
   is a work item that some backend (a timer, a device queue) carries out
   while the loop waits for interrupts. Each item moves through four states:

       DEAD --async_submit--> SUBMIT_REQUESTED --ktick: ops->submit--> LIVE
         ^                                                               |
         +--ktick: done(w, result)-- READY <--async_complete(w, result)--+

   Nothing happens on the caller's stack: async_submit() and async_cancel()
   only queue a request, and ktick() applies them, in thread context, at a
   fixed point of the loop. One ktick() does, in this order:
     1. irq_dispatch(): the deferred half of every interrupt (irq.h);
     2. apply the cancellations requested before this tick;
     3. call the done callback of every item READY when this step starts
        (the item is DEAD again before its callback runs, so the callback
        may resubmit it);
     4. submit the items requested before this tick (ops->submit, now LIVE).
   Work per tick is bounded: a request made during a tick (a resubmit from
   a callback, a submit from an irq handler) is applied at the next tick,
   and an item completed during steps 3 or 4 is reported at the next tick.
   A callback that resubmits forever therefore costs one round per tick and
   cannot starve the loop. Completions made in steps 1 and 2 (by interrupt
   handlers, by synchronous cancels) are reported in the same tick.

   CANCELLATION, by the item's state when async_cancel() is called
     DEAD              returns false; nothing happens.
     SUBMIT_REQUESTED  returns true; the item is never submitted, and at the
                       next tick done(w, ASYNC_CANCELLED) runs.
     LIVE              returns true; at the next tick ops->cancel(w) runs and
                       the backend completes the item, normally with
                       ASYNC_CANCELLED (a backend that had already finished
                       may complete it with its real result).
     READY             returns false: too late; done runs with the real
                       result.
     cancel already requested (SUBMIT_REQUESTED or LIVE): returns false.

   HARDWARE
   None. The interrupts come in through irq.h; time through the kernel's
   timer queue (timer.h), which this header does not include: the chapter
   shows how the loop joins the two.

   BOOK
   book/async.md, "The async runtime".

   USAGE
   In exactly one C file (it also compiles irq.h's implementation, unless
   ASYNC_NO_IRQ_IMPLEMENTATION is defined):
       #define ASYNC_IMPLEMENTATION
       #include "async.h"
   Then:
       static irq_table irqs;  static async_rt rt;  static async_work w;
       irq_table_init(&irqs);
       async_init(&rt, &irqs);
       async_work_init(&w, &disk_read_ops, on_read_done, &request);
       async_submit(&rt, &w);                  // queued, not started
       for (;;) {
           ktick(&rt);                         // starts w; later calls on_read_done
           timer_run(&timers, now);            // timer.h, if the kernel has timers
           platform_irq_off();                 // look for work, then sleep, atomically
           deadline = async_idle(&rt) ? timer_next_deadline(&timers) : now;
           now = platform_wfi(deadline);       // enables interrupts as it waits
       }

   OVERRIDABLE MACROS (define before the include)
     ASYNC_DEF        linkage of public functions   (default: extern)
     ASYNC_STATIC     define it to make every public function static (irq.h's
                      too, when this header brings its implementation along)
     ASYNC_ASSERT(c)  check of caller errors, such as completing an item that
                      is not LIVE (default: none; the call is then ignored)
     ASYNC_NO_IRQ_IMPLEMENTATION  define it where another unit of the program
                      defines IRQ_IMPLEMENTATION
   and irq.h's macros (IRQ_MAX, IRQ_ATOMIC_*), which it reads.

   LICENSE at the end of the file.
*/
#ifndef ASYNC_H
#define ASYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* irq.h's functions follow ours into static linkage when we compile them. */
#if defined(ASYNC_STATIC) && !defined(ASYNC_NO_IRQ_IMPLEMENTATION) && !defined(IRQ_STATIC)
#define IRQ_STATIC
#endif
#include "irq.h"

/** Linkage of every public function: extern, or static under ASYNC_STATIC. */
#ifndef ASYNC_DEF
#ifdef ASYNC_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define ASYNC_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define ASYNC_DEF static
#endif
#else
#define ASYNC_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file async.h
    @brief The async runtime: work items, their state machine, and ktick().
    See @ref async.

    Tests: tests/async_test.c. Used alone: book/alone/async.c, shown in the
    chapter's appendix. */

/** The result of an item that was cancelled before it could finish. It is
    Linux's -ECANCELED, so backends that speak errno read naturally. */
#define ASYNC_CANCELLED (-125)

//! [states]
/** Where a work item is in its life. */
typedef enum async_state {
    ASYNC_DEAD = 0,          /**< idle: may be submitted (the initial state) */
    ASYNC_SUBMIT_REQUESTED,  /**< queued; ktick() will hand it to its backend */
    ASYNC_LIVE,              /**< the backend has it; it will complete it */
    ASYNC_READY              /**< completed; ktick() will call its done callback */
} async_state;
//! [states]

/** A work item; see struct async_work. */
typedef struct async_work async_work;

/** A backend: what carries a work item out (a timer, a device queue...).
    Both hooks are called by ktick(), in thread context. */
typedef struct async_ops {
    /** Start `w`, which is LIVE now. Complete it later with
        async_complete(), or at once, from inside this call. May be NULL. */
    void (*submit)(async_work *w);
    /** Stop `w`, which is LIVE and was cancelled. The backend must still
        complete it (with ASYNC_CANCELLED, or with its real result if it had
        finished), now or later. NULL: cancellation just waits for the
        normal completion. */
    void (*cancel)(async_work *w);
} async_ops;

/** The completion callback: `result` as the backend gave it, or
    ASYNC_CANCELLED. The item is DEAD when it runs, so it may resubmit it. */
typedef void (*async_done)(async_work *w, int result);

/** Intrusive list link: a work item sits on at most one runtime queue. */
typedef struct async_link {
    struct async_link *next;  /**< next on the queue (NULL: on no queue) */
    struct async_link *prev;  /**< previous on the queue */
} async_link;

/** The runtime; see struct async_rt. */
typedef struct async_rt async_rt;

//! [work]
/** A work item. Caller-owned and intrusive: embed it in the request it
    carries and find the request again from `ctx` (or with offsetof). Set up
    with async_work_init(); then only the runtime and the backend write it. */
struct async_work {
    async_link link;         /**< private: queue membership */
    const async_ops *ops;    /**< the backend */
    async_done done;         /**< called from ktick() when it completes; may be NULL */
    void *ctx;               /**< the caller's, untouched by the runtime */
    async_rt *rt;            /**< the runtime it was last submitted to */
    int result;              /**< set by async_complete(); passed to `done` */
    async_state state;       /**< read it with async_state_of() */
    bool cancel_requested;   /**< async_cancel() accepted in this life */
};
//! [work]

/** The runtime: the queues between the callers and ktick(). Caller-owned;
    set up with async_init(). Its queues point into it, so never copy it. */
struct async_rt {
    irq_table *irqs;         /**< dispatched first by ktick(); may be NULL */
    async_link submit;       /**< SUBMIT_REQUESTED items, for the next tick */
    async_link cancel;       /**< cancelled items, for the next tick */
    async_link ready;        /**< READY items, not yet taken by a tick */
    async_link submit_now;   /**< private: the submissions of the running tick */
    async_link cancel_now;   /**< private: the cancellations of the running tick */
    async_link ready_now;    /**< private: the callbacks of the running tick */
    bool in_tick;            /**< private: ktick() is running (it is not reentrant) */
};

/** Empty runtime. `irqs` (may be NULL) is the table ktick() dispatches. */
ASYNC_DEF void async_init(async_rt *rt, irq_table *irqs);

/** Set up `w` as DEAD with its backend, its callback (may be NULL) and the
    caller's context. Not on an item that is not DEAD. */
ASYNC_DEF void async_work_init(async_work *w, const async_ops *ops, async_done done, void *ctx);

/** Request that `w` be started at the next tick: DEAD -> SUBMIT_REQUESTED.
    False, changing nothing, in any other state. Thread context. */
ASYNC_DEF bool async_submit(async_rt *rt, async_work *w);

/** Request cancellation; applied at the next tick. True if the request was
    taken (SUBMIT_REQUESTED or LIVE, first time); false for DEAD, READY and
    a second request. The full table is in @ref async (and at the top of
    async.h). */
ASYNC_DEF bool async_cancel(async_rt *rt, async_work *w);

/** Backend side: `w` is done with `result`: LIVE -> READY. Its callback
    runs from ktick(). Thread context only (a handler, a backend hook, a
    callback, the loop): an ISR records an irq instead. An item that is not
    LIVE trips ASYNC_ASSERT and is otherwise left alone. */
ASYNC_DEF void async_complete(async_rt *rt, async_work *w, int result);

/** The state of `w`. */
ASYNC_DEF async_state async_state_of(const async_work *w);

/** One turn of the runtime: dispatch interrupts, apply cancellations, run
    the callbacks of completed items, submit requested items (the order and
    the per-tick bound are at the top of async.h). Returns how many handlers,
    cancellations, callbacks and submissions it ran (0: it found none).
    Thread context; interrupts on or off. Not reentrant: never call it from
    a handler, a backend hook or a callback. */
ASYNC_DEF unsigned ktick(async_rt *rt);

/** True if the runtime has nothing to do until a new interrupt: no request,
    no completion, no pending irq. LIVE items do not count: they wait for
    their backends. The loop may sleep only if this holds when checked with
    interrupts off. */
ASYNC_DEF bool async_idle(const async_rt *rt);

#ifdef __cplusplus
}
#endif
#endif /* ASYNC_H */

/* ======================================================================== */
#ifdef ASYNC_IMPLEMENTATION

/* The runtime calls irq_dispatch(), so its unit carries irq.h's code too,
   unless the user says another unit does. irq.h skips a second copy. */
#if !defined(ASYNC_NO_IRQ_IMPLEMENTATION) && !defined(IRQ__IMPLEMENTED)
#ifndef IRQ_IMPLEMENTATION
#define IRQ_IMPLEMENTATION
#endif
#include "irq.h"
#endif

#ifndef ASYNC_ASSERT
#define ASYNC_ASSERT(c) ((void)0)
#endif

/* ---- intrusive queues: circular lists around a sentinel ---- */

static void async__list_init(async_link *head)
{
    head->next = head;
    head->prev = head;
}

static bool async__list_empty(const async_link *head)
{
    return head->next == head;
}

static async_work *async__of(async_link *l)
{
    return (async_work *)(void *)((char *)l - offsetof(async_work, link));
}

static void async__push(async_link *head, async_work *w)
{
    async_link *l = &w->link;

    ASYNC_ASSERT(!l->next);
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

/* Unlinking needs no head: whichever queue `w` is on, it leaves it. */
static void async__unlink(async_work *w)
{
    async_link *l = &w->link;

    if (!l->next)
        return;
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->next = 0;
    l->prev = 0;
}

static async_work *async__pop(async_link *head)
{
    async_work *w;

    if (async__list_empty(head))
        return 0;
    w = async__of(head->next);
    async__unlink(w);
    return w;
}

/* Move every item of `src` to the end of `dst`, in order, in O(1). */
static void async__splice(async_link *dst, async_link *src)
{
    if (async__list_empty(src))
        return;
    src->next->prev = dst->prev;
    dst->prev->next = src->next;
    src->prev->next = dst;
    dst->prev = src->prev;
    async__list_init(src);
}

/* ---- requests ---- */

ASYNC_DEF void async_init(async_rt *rt, irq_table *irqs)
{
    rt->irqs = irqs;
    async__list_init(&rt->submit);
    async__list_init(&rt->cancel);
    async__list_init(&rt->ready);
    async__list_init(&rt->submit_now);
    async__list_init(&rt->cancel_now);
    async__list_init(&rt->ready_now);
    rt->in_tick = false;
}

ASYNC_DEF void async_work_init(async_work *w, const async_ops *ops, async_done done, void *ctx)
{
    w->link.next = 0;
    w->link.prev = 0;
    w->ops = ops;
    w->done = done;
    w->ctx = ctx;
    w->rt = 0;
    w->result = 0;
    w->state = ASYNC_DEAD;
    w->cancel_requested = false;
}

//! [submit]
ASYNC_DEF bool async_submit(async_rt *rt, async_work *w)
{
    if (w->state != ASYNC_DEAD)
        return false;
    w->rt = rt;
    w->result = 0;
    w->cancel_requested = false;
    w->state = ASYNC_SUBMIT_REQUESTED;
    async__push(&rt->submit, w);
    return true;
}
//! [submit]

//! [cancel]
ASYNC_DEF bool async_cancel(async_rt *rt, async_work *w)
{
    if (w->state != ASYNC_SUBMIT_REQUESTED && w->state != ASYNC_LIVE)
        return false; /* DEAD: nothing to stop; READY: too late */
    if (w->cancel_requested)
        return false;
    w->cancel_requested = true;
    /* A requested item leaves the submit queue (this tick's batch or the
       next's) so it is never started; a LIVE item is on no queue. */
    async__unlink(w);
    async__push(&rt->cancel, w);
    return true;
}
//! [cancel]

//! [complete]
static void async__make_ready(async_rt *rt, async_work *w, int result)
{
    w->result = result;
    w->state = ASYNC_READY;
    async__push(&rt->ready, w);
}

ASYNC_DEF void async_complete(async_rt *rt, async_work *w, int result)
{
    ASYNC_ASSERT(w->state == ASYNC_LIVE && w->rt == rt);
    if (w->state != ASYNC_LIVE)
        return;
    /* Finished before its cancellation was applied: the backend will not
       be asked to cancel what is already done. */
    async__unlink(w);
    async__make_ready(rt, w, result);
}
//! [complete]

ASYNC_DEF async_state async_state_of(const async_work *w)
{
    return w->state;
}

/* ---- the tick ---- */

//! [tick-steps]
/* Step 2. A requested item completes as cancelled without ever reaching
   its backend; a LIVE one is handed to the backend to stop. */
static unsigned async__apply_cancels(async_rt *rt)
{
    unsigned n = 0;
    async_work *w;

    while ((w = async__pop(&rt->cancel_now)) != 0) {
        ASYNC_ASSERT(w->state == ASYNC_SUBMIT_REQUESTED || w->state == ASYNC_LIVE);
        if (w->state == ASYNC_SUBMIT_REQUESTED)
            async__make_ready(rt, w, ASYNC_CANCELLED);
        else if (w->ops && w->ops->cancel)
            w->ops->cancel(w);
        n++;
    }
    return n;
}

/* Step 3. The batch is what was READY when the step began; DEAD goes
   before the call so that the callback may submit the item again. */
static unsigned async__run_callbacks(async_rt *rt)
{
    unsigned n = 0;
    async_work *w;

    async__splice(&rt->ready_now, &rt->ready);
    while ((w = async__pop(&rt->ready_now)) != 0) {
        w->state = ASYNC_DEAD;
        if (w->done)
            w->done(w, w->result);
        n++;
    }
    return n;
}

/* Step 4. LIVE before the call: a backend may complete it from inside. */
static unsigned async__start_submits(async_rt *rt)
{
    unsigned n = 0;
    async_work *w;

    while ((w = async__pop(&rt->submit_now)) != 0) {
        w->state = ASYNC_LIVE;
        if (w->ops && w->ops->submit)
            w->ops->submit(w);
        n++;
    }
    return n;
}
//! [tick-steps]

//! [ktick]
ASYNC_DEF unsigned ktick(async_rt *rt)
{
    unsigned n = 0;

    ASYNC_ASSERT(!rt->in_tick);
    rt->in_tick = true;
    /* Take the requests made so far; later ones wait for the next tick. */
    async__splice(&rt->submit_now, &rt->submit);
    async__splice(&rt->cancel_now, &rt->cancel);
    if (rt->irqs)
        n += irq_dispatch(rt->irqs);    /* 1: may complete, submit, cancel */
    n += async__apply_cancels(rt);      /* 2 */
    n += async__run_callbacks(rt);      /* 3 */
    n += async__start_submits(rt);      /* 4 */
    rt->in_tick = false;
    return n;
}
//! [ktick]

//! [idle]
ASYNC_DEF bool async_idle(const async_rt *rt)
{
    if (!async__list_empty(&rt->submit) || !async__list_empty(&rt->cancel) ||
        !async__list_empty(&rt->ready))
        return false;
    return !rt->irqs || !irq_pending(rt->irqs);
}
//! [idle]

#endif /* ASYNC_IMPLEMENTATION */

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
