/* irq.h - interrupt dispatch: record events in the ISR, run handlers later.

   WHAT IT IS
   A table of (handler, context) per interrupt number, split in two halves
   that meet at a bitmap of pending events:
     - the ISR side, irq_raise(): callable from interrupt context, lock-free,
       it only sets a bit and counts the event;
     - the thread side, irq_dispatch(): called by the kernel's event loop
       (ktick in async.h), it takes the pending bits and calls each handler.
   Handlers therefore never run in an ISR: they may take their time, print,
   start more work. An interrupt number is whatever the arch's ISR passes:
   the GSI on x64, the GIC INTID on arm64, the PLIC source on rv64.

   Events of one irq that are raised twice before dispatch coalesce into a
   single handler call, as a controller's pending (IRR) bit does: a handler
   must drain everything its device has, not assume one event per call.

   HARDWARE
   None directly: the arch's ISR talks to the controller (8259A OCW2 EOI;
   local APIC EOI register; GIC IAR/EOIR; PLIC claim/complete) and then
   calls irq_raise(). The book chapter sums those handshakes up.

   BOOK
   book/irq.md, "Interrupt dispatch".

   USAGE
   In exactly one C file:
       #define IRQ_IMPLEMENTATION
       #include "irq.h"
   Then:
       static irq_table irqs;                    // about 20 KiB with IRQ_MAX 1024
       irq_table_init(&irqs);
       irq_register(&irqs, 4, uart_handler, &com1);
       // in the ISR, after acknowledging the controller:
       irq_raise(&irqs, 4);
       // in the event loop, with interrupts in any state:
       irq_dispatch(&irqs);                      // calls uart_handler(&com1, 4)

   OVERRIDABLE MACROS (define before the include, the same in every unit)
     IRQ_DEF              linkage of public functions   (default: extern)
     IRQ_STATIC           define it to make every public function static
     IRQ_ASSERT(c)        assertion for internal invariants (default: none)
     IRQ_MAX              interrupt numbers 0..IRQ_MAX-1  (default: 1024)
     IRQ_ATOMIC_OR(p, v)  atomic *p |= v, returns the old value
                          (default: __atomic_fetch_or, RELEASE)
     IRQ_ATOMIC_XCHG(p, v) atomic swap, returns the old value
                          (default: __atomic_exchange_n, ACQUIRE)
     IRQ_ATOMIC_LOAD(p)   atomic load (default: __atomic_load_n, ACQUIRE)
     IRQ_ATOMIC_INC(p)    atomic ++*p for counters (default: RELAXED)
     IRQ_CTZ(x)           index of the lowest set bit of a nonzero
                          uint32_t (default: __builtin_ctz; on RISC-V
                          without Zbb, a five-step search in C)
   On arm64, build with -mno-outline-atomics: otherwise GCC turns the
   atomics into calls to libgcc helpers that need the C library's getauxval.

   LICENSE at the end of the file.
*/
#ifndef IRQ_H
#define IRQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under IRQ_STATIC. */
#ifndef IRQ_DEF
#ifdef IRQ_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define IRQ_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define IRQ_DEF static
#endif
#else
#define IRQ_DEF extern
#endif
#endif

/** Interrupt numbers run from 0 to IRQ_MAX - 1. The default covers GIC SPIs
    (INTID < 1020) and PLIC sources (< 1024). Must be the same in every unit. */
#ifndef IRQ_MAX
#define IRQ_MAX 1024
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file irq.h
    @brief Interrupt dispatch: a lock-free pending bitmap filled by ISRs and
    drained by the event loop. See @ref irq.

    Tests: tests/irq_test.c. Used alone: book/alone/irq.c, shown in the
    chapter's appendix. */

/** A deferred interrupt handler. It runs from irq_dispatch(), in thread
    context, never in the ISR; `irq` is the number it was registered for.
    It may raise, register, unregister, enable or disable any irq, its own
    included. */
typedef void (*irq_handler)(void *ctx, unsigned irq);

/** Bits per pending word. */
#define IRQ_WORD_BITS 32u
/** Pending words: one bit per interrupt number. */
#define IRQ_WORDS ((IRQ_MAX + IRQ_WORD_BITS - 1) / IRQ_WORD_BITS)
/** Summary words: one bit per pending word (a single word up to IRQ_MAX 1024). */
#define IRQ_SUMMARY_WORDS ((IRQ_WORDS + IRQ_WORD_BITS - 1) / IRQ_WORD_BITS)

/** One entry of the table: who handles an interrupt number. */
typedef struct irq_slot {
    irq_handler fn;  /**< NULL while nobody is registered */
    void *ctx;       /**< passed to `fn` */
} irq_slot;

//! [table]
/** The interrupt table. Caller-owned, one per CPU that takes interrupts;
    set up with irq_table_init(). Fields marked "ISR side" are written with
    atomics from interrupt context; the rest belong to the thread that calls
    irq_dispatch(). Read the counters with irq_count(), irq_spurious_count()
    and irq_unhandled_count(). */
typedef struct irq_table {
    /* ISR side: written by irq_raise() with atomic OR. */
    uint32_t pending[IRQ_WORDS];          /**< ISR side: raised, not yet dispatched */
    uint32_t summary[IRQ_SUMMARY_WORDS];  /**< ISR side: bit w set when pending[w] may be nonzero */
    uint32_t count[IRQ_MAX];              /**< ISR side: events raised per irq (wraps) */
    uint32_t spurious;                    /**< ISR side: spurious or out-of-range events */
    /* Thread side: touched only by the dispatching thread. */
    uint32_t enabled[IRQ_WORDS];          /**< table-level enable bits; all set at init */
    uint32_t held[IRQ_WORDS];             /**< events of disabled irqs, kept for irq_enable() */
    uint32_t unhandled;                   /**< events dropped for want of a handler */
    irq_slot slot[IRQ_MAX];               /**< handler and context per irq */
} irq_table;
//! [table]

/** Empty table: no handler, nothing pending, every irq enabled, counters 0.
    Call it before an ISR can see the table. */
IRQ_DEF void irq_table_init(irq_table *t);

/** Make `fn(ctx, irq)` the handler of `irq`. False, changing nothing, if
    `irq` is out of range, `fn` is NULL, or the irq already has a handler.
    Thread side. Does not touch the irq's enable bit or pending events. */
IRQ_DEF bool irq_register(irq_table *t, unsigned irq, irq_handler fn, void *ctx);

/** Remove the handler of `irq`. False if out of range or not registered.
    Events raised afterwards are counted unhandled. Thread side. */
IRQ_DEF bool irq_unregister(irq_table *t, unsigned irq);

/** Table-level enable. Events held while the irq was disabled become
    pending again: the handler sees them (once, coalesced) at the next
    irq_dispatch(). This is not the controller's mask (the platform's
    `platform_irq_unmask` is). Thread side; out of range is ignored. */
IRQ_DEF void irq_enable(irq_table *t, unsigned irq);

/** Table-level disable: the irq's events are still recorded and counted,
    but held back by irq_dispatch() until irq_enable(). Thread side; out of
    range is ignored. Takes effect at once, even inside a dispatch. */
IRQ_DEF void irq_disable(irq_table *t, unsigned irq);

/** ISR side: record an event of `irq`. Sets its pending bit (coalescing
    with an event not yet dispatched) and counts it; an `irq` out of range
    is counted as spurious instead. Lock-free, callable from interrupt
    context with interrupts off, and from any thread. */
IRQ_DEF void irq_raise(irq_table *t, unsigned irq);

/** ISR side: the controller reported a spurious interrupt (x64 spurious
    vector, GIC INTID 1023, PLIC claim of 0). Only counted. */
IRQ_DEF void irq_spurious(irq_table *t);

/** Thread side: call each registered, enabled handler once for every irq
    whose event was pending when this call took its word of the bitmap.
    Events of a disabled irq are held for irq_enable(); events of an irq
    without a handler are counted unhandled and dropped. Events raised
    while it runs, by ISRs or by the handlers themselves, wait for the
    next call, so a handler that raises its own irq cannot loop forever.
    Cost: proportional to the number of pending bits, not to IRQ_MAX.
    Returns the number of handlers called. Not reentrant. */
IRQ_DEF unsigned irq_dispatch(irq_table *t);

/** True if irq_dispatch() may have work: the event loop must not sleep
    while it is. Check it with interrupts off, right before the wait. */
IRQ_DEF bool irq_pending(const irq_table *t);

/** Events raised for `irq` since irq_table_init() (0 if out of range). */
IRQ_DEF uint32_t irq_count(const irq_table *t, unsigned irq);
/** Spurious events: irq_spurious() calls and out-of-range irq_raise()s. */
IRQ_DEF uint32_t irq_spurious_count(const irq_table *t);
/** Events dispatched to an irq that had no handler. */
IRQ_DEF uint32_t irq_unhandled_count(const irq_table *t);

/* ==== line-interrupt fabric ============================================
   For a monitor: device models drive numbered lines (ISA IRQs and GSIs),
   and the fabric carries each level change to the controller inputs wired
   to that line, so a device knows nothing of PICs, IOAPICs or KVM. The
   other direction, an end-of-interrupt, is broadcast to every listener.
   Independent of everything above. */

/** Lines a fabric has: the 24 GSIs of one IOAPIC (ISA IRQs are 0-15). */
#ifndef IRQ_LINES
#define IRQ_LINES 24
#endif
#if IRQ_LINES > 32
#error "IRQ_LINES is at most 32: irq_lineset keeps the levels in one word"
#endif
/** Controller inputs one line may drive (a PC's ISA lines drive two). */
#define IRQ_LINE_FANOUT 2
/** EOI listeners a fabric keeps. */
#define IRQ_EOI_LISTENERS 4

/** A controller input: called with the input number and the new level. */
typedef void (*irq_input_fn)(void *ctx, unsigned input, bool level);
/** An EOI listener: called with the vector the CPU ended. */
typedef void (*irq_eoi_fn)(void *ctx, uint8_t vector);

/** One wire from a line to a controller input. */
typedef struct irq_wire {
    irq_input_fn fn;  /**< the controller's input hook; NULL: unused */
    void *ctx;        /**< passed to it */
    unsigned input;   /**< the input number on that controller */
} irq_wire;

/** The lines, their wiring and levels, and the EOI listeners. Caller-owned. */
typedef struct irq_lineset {
    irq_wire wires[IRQ_LINES][IRQ_LINE_FANOUT]; /**< where each line goes */
    uint32_t level;                             /**< bit n: line n is high */
    struct {
        irq_eoi_fn fn;                          /**< NULL: unused */
        void *ctx;                              /**< passed to it */
    } eoi[IRQ_EOI_LISTENERS];                   /**< who hears an EOI */
} irq_lineset;

/** All lines low, unwired; no listeners. */
IRQ_DEF void irq_lines_init(irq_lineset *s);
/** Wire `line` to input `input` of a controller. False if the line is out
    of range or already drives IRQ_LINE_FANOUT inputs. */
IRQ_DEF bool irq_line_connect(irq_lineset *s, unsigned line, irq_input_fn fn, void *ctx,
                              unsigned input);
/** Wire lines the way PC boards do: ISA IRQ n (0-15) to 8259 input n, and
    every line to IOAPIC pin n, except ISA IRQ0 (the PIT), which reaches
    IOAPIC pin 2 (the 8259 cascade takes pin 0's place). Either controller
    may be NULL. */
IRQ_DEF void irq_lines_wire_pc(irq_lineset *s, irq_input_fn pic, void *pic_ctx,
                               irq_input_fn ioapic, void *ioapic_ctx);
/** Set `line` to `level`; the wired inputs hear only real changes. Lines
    out of range are ignored. */
IRQ_DEF void irq_line_set(irq_lineset *s, unsigned line, bool level);
/** A pulse: up then down, for edge-only sources. */
IRQ_DEF void irq_line_pulse(irq_lineset *s, unsigned line);
/** The level `line` is at (false out of range). */
IRQ_DEF bool irq_line_level(const irq_lineset *s, unsigned line);
/** Add an EOI listener; false if IRQ_EOI_LISTENERS are already there. */
IRQ_DEF bool irq_eoi_listen(irq_lineset *s, irq_eoi_fn fn, void *ctx);
/** Tell every listener, in the order they registered, that `vector` ended. */
IRQ_DEF void irq_eoi_broadcast(irq_lineset *s, uint8_t vector);

#ifdef __cplusplus
}
#endif
#endif /* IRQ_H */

/* ======================================================================== */
/* IRQ__IMPLEMENTED lets another header (async.h) bring this implementation
   along without duplicating it when the user also asks for it. */
#if defined(IRQ_IMPLEMENTATION) && !defined(IRQ__IMPLEMENTED)
#define IRQ__IMPLEMENTED

#ifndef IRQ_ASSERT
#define IRQ_ASSERT(c) ((void)0)
#endif

#if !defined(IRQ_ATOMIC_OR) || !defined(IRQ_ATOMIC_XCHG) || !defined(IRQ_ATOMIC_LOAD) || \
    !defined(IRQ_ATOMIC_INC) || !defined(IRQ_CTZ)
#if !defined(__GNUC__) && !defined(__clang__)
#error "irq.h: define IRQ_ATOMIC_OR, IRQ_ATOMIC_XCHG, IRQ_ATOMIC_LOAD, IRQ_ATOMIC_INC and IRQ_CTZ"
#endif
#endif

//! [atomics]
/* RELEASE on the OR: whatever the ISR stored before irq_raise() (a byte it
   read from the device, say) is visible to the handler, because dispatch
   takes the word with an ACQUIRE exchange. The same pair orders a pending
   bit before its summary bit. Nothing here needs one total order of
   operations on different words, so SEQ_CST would only cost fences. */
#ifndef IRQ_ATOMIC_OR
#define IRQ_ATOMIC_OR(p, v) __atomic_fetch_or((p), (v), __ATOMIC_RELEASE)
#endif
#ifndef IRQ_ATOMIC_XCHG
#define IRQ_ATOMIC_XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQUIRE)
#endif
#ifndef IRQ_ATOMIC_LOAD
#define IRQ_ATOMIC_LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#endif
/* Counters order nothing: RELAXED. */
#ifndef IRQ_ATOMIC_INC
#define IRQ_ATOMIC_INC(p) ((void)__atomic_fetch_add((p), 1u, __ATOMIC_RELAXED))
#endif
#ifndef IRQ_CTZ
#if defined(__riscv) && !defined(__riscv_zbb)
/* No bit-scan instruction without Zbb: GCC would call libgcc's __ctzsi2,
   which a kernel built for a soft-float ABI cannot link against a distro's
   hard-float libgcc. Halving the search five times costs about as much. */
static unsigned irq__ctz(uint32_t x)
{
    unsigned n = 0;

    if (!(x & 0xffffu)) { n += 16; x >>= 16; }
    if (!(x & 0xffu))   { n += 8;  x >>= 8; }
    if (!(x & 0xfu))    { n += 4;  x >>= 4; }
    if (!(x & 0x3u))    { n += 2;  x >>= 2; }
    if (!(x & 0x1u))    { n += 1; }
    return n;
}
#define IRQ_CTZ(x) irq__ctz(x)
#else
#define IRQ_CTZ(x) ((unsigned)__builtin_ctz(x))
#endif
#endif
//! [atomics]

static uint32_t irq__bit(unsigned irq)
{
    return (uint32_t)1 << (irq % IRQ_WORD_BITS);
}

IRQ_DEF void irq_table_init(irq_table *t)
{
    unsigned i;

    for (i = 0; i < IRQ_WORDS; i++) {
        t->pending[i] = 0;
        t->enabled[i] = ~(uint32_t)0;
        t->held[i] = 0;
    }
    for (i = 0; i < IRQ_SUMMARY_WORDS; i++)
        t->summary[i] = 0;
    for (i = 0; i < IRQ_MAX; i++) {
        t->count[i] = 0;
        t->slot[i].fn = 0;
        t->slot[i].ctx = 0;
    }
    t->spurious = 0;
    t->unhandled = 0;
}

IRQ_DEF bool irq_register(irq_table *t, unsigned irq, irq_handler fn, void *ctx)
{
    if (irq >= IRQ_MAX || !fn || t->slot[irq].fn)
        return false;
    t->slot[irq].ctx = ctx;
    t->slot[irq].fn = fn;
    return true;
}

IRQ_DEF bool irq_unregister(irq_table *t, unsigned irq)
{
    if (irq >= IRQ_MAX || !t->slot[irq].fn)
        return false;
    t->slot[irq].fn = 0;
    t->slot[irq].ctx = 0;
    return true;
}

//! [raise]
/* Set the pending bit, then the summary bit of its word. The order matters:
   a dispatcher that finds the summary bit must then find the pending bit
   (the RELEASE/ACQUIRE pair above guarantees it). A summary bit for
   a word that turns out empty costs one exchange and is harmless. */
static void irq__mark(irq_table *t, unsigned irq)
{
    unsigned w = irq / IRQ_WORD_BITS;

    IRQ_ATOMIC_OR(&t->pending[w], irq__bit(irq));
    IRQ_ATOMIC_OR(&t->summary[w / IRQ_WORD_BITS], irq__bit(w));
}

IRQ_DEF void irq_raise(irq_table *t, unsigned irq)
{
    if (irq >= IRQ_MAX) {
        IRQ_ATOMIC_INC(&t->spurious);
        return;
    }
    IRQ_ATOMIC_INC(&t->count[irq]);
    irq__mark(t, irq);
}
//! [raise]

IRQ_DEF void irq_spurious(irq_table *t)
{
    IRQ_ATOMIC_INC(&t->spurious);
}

//! [enable]
IRQ_DEF void irq_enable(irq_table *t, unsigned irq)
{
    unsigned w = irq / IRQ_WORD_BITS;

    if (irq >= IRQ_MAX)
        return;
    t->enabled[w] |= irq__bit(irq);
    if (t->held[w] & irq__bit(irq)) {
        t->held[w] &= ~irq__bit(irq);
        irq__mark(t, irq); /* pending again, not counted again */
    }
}
//! [enable]

IRQ_DEF void irq_disable(irq_table *t, unsigned irq)
{
    if (irq < IRQ_MAX)
        t->enabled[irq / IRQ_WORD_BITS] &= ~irq__bit(irq);
}

//! [dispatch]
/* One event of `irq`: run its handler, or hold it, or drop it. The table is
   read afresh for every bit, so a handler that disables or unregisters
   another irq of the same word is obeyed at once. */
static unsigned irq__deliver(irq_table *t, unsigned irq)
{
    unsigned w = irq / IRQ_WORD_BITS;
    irq_slot s = t->slot[irq];

    if (!(t->enabled[w] & irq__bit(irq))) {
        t->held[w] |= irq__bit(irq);
        return 0;
    }
    if (!s.fn) {
        t->unhandled++;
        return 0;
    }
    s.fn(s.ctx, irq);
    return 1;
}

/* Take a whole pending word in one exchange, then walk its set bits. */
static unsigned irq__drain_word(irq_table *t, unsigned w)
{
    uint32_t bits = IRQ_ATOMIC_XCHG(&t->pending[w], 0);
    unsigned n = 0;

    while (bits) {
        unsigned irq = w * IRQ_WORD_BITS + IRQ_CTZ(bits);

        IRQ_ASSERT(irq < IRQ_MAX);  /* irq_raise() sets no bit past it */
        n += irq__deliver(t, irq);
        bits &= bits - 1; /* clear the lowest set bit */
    }
    return n;
}

IRQ_DEF unsigned irq_dispatch(irq_table *t)
{
    unsigned s, n = 0;

    for (s = 0; s < IRQ_SUMMARY_WORDS; s++) {
        uint32_t words = IRQ_ATOMIC_XCHG(&t->summary[s], 0);

        while (words) {
            n += irq__drain_word(t, s * IRQ_WORD_BITS + IRQ_CTZ(words));
            words &= words - 1;
        }
    }
    return n;
}
//! [dispatch]

//! [pending]
IRQ_DEF bool irq_pending(const irq_table *t)
{
    unsigned s;

    for (s = 0; s < IRQ_SUMMARY_WORDS; s++)
        if (IRQ_ATOMIC_LOAD(&t->summary[s]))
            return true;
    return false;
}
//! [pending]

IRQ_DEF uint32_t irq_count(const irq_table *t, unsigned irq)
{
    return irq < IRQ_MAX ? IRQ_ATOMIC_LOAD(&t->count[irq]) : 0;
}

IRQ_DEF uint32_t irq_spurious_count(const irq_table *t)
{
    return IRQ_ATOMIC_LOAD(&t->spurious);
}

IRQ_DEF uint32_t irq_unhandled_count(const irq_table *t)
{
    return t->unhandled;
}

/* ==== line-interrupt fabric ============================================ */

IRQ_DEF void irq_lines_init(irq_lineset *s)
{
    unsigned i, j;

    for (i = 0; i < IRQ_LINES; i++)
        for (j = 0; j < IRQ_LINE_FANOUT; j++)
            s->wires[i][j].fn = 0;
    for (i = 0; i < IRQ_EOI_LISTENERS; i++)
        s->eoi[i].fn = 0;
    s->level = 0;
}

IRQ_DEF bool irq_line_connect(irq_lineset *s, unsigned line, irq_input_fn fn, void *ctx,
                              unsigned input)
{
    unsigned j;

    if (line >= IRQ_LINES || !fn)
        return false;
    for (j = 0; j < IRQ_LINE_FANOUT; j++) {
        irq_wire *w = &s->wires[line][j];
        if (!w->fn) {
            w->fn = fn;
            w->ctx = ctx;
            w->input = input;
            return true;
        }
    }
    return false;
}

//! [wire-pc]
IRQ_DEF void irq_lines_wire_pc(irq_lineset *s, irq_input_fn pic, void *pic_ctx,
                               irq_input_fn ioapic, void *ioapic_ctx)
{
    unsigned line;

    for (line = 0; line < IRQ_LINES; line++) {
        if (pic && line < 16)
            irq_line_connect(s, line, pic, pic_ctx, line);
        if (ioapic)
            irq_line_connect(s, line, ioapic, ioapic_ctx, line == 0 ? 2 : line);
    }
}
//! [wire-pc]

IRQ_DEF void irq_line_set(irq_lineset *s, unsigned line, bool level)
{
    uint32_t bit;
    unsigned j;

    if (line >= IRQ_LINES)
        return;
    bit = (uint32_t)1 << line;
    if (((s->level & bit) != 0) == level)
        return;                 /* no change, no news */
    s->level = level ? s->level | bit : s->level & ~bit;
    IRQ_ASSERT(((s->level & bit) != 0) == level);
    for (j = 0; j < IRQ_LINE_FANOUT; j++)
        if (s->wires[line][j].fn)
            s->wires[line][j].fn(s->wires[line][j].ctx, s->wires[line][j].input, level);
}

IRQ_DEF void irq_line_pulse(irq_lineset *s, unsigned line)
{
    irq_line_set(s, line, true);
    irq_line_set(s, line, false);
}

IRQ_DEF bool irq_line_level(const irq_lineset *s, unsigned line)
{
    return line < IRQ_LINES && (s->level >> line & 1u);
}

IRQ_DEF bool irq_eoi_listen(irq_lineset *s, irq_eoi_fn fn, void *ctx)
{
    unsigned i;

    for (i = 0; i < IRQ_EOI_LISTENERS && fn; i++) {
        if (!s->eoi[i].fn) {
            s->eoi[i].fn = fn;
            s->eoi[i].ctx = ctx;
            return true;
        }
    }
    return false;
}

IRQ_DEF void irq_eoi_broadcast(irq_lineset *s, uint8_t vector)
{
    unsigned i;

    for (i = 0; i < IRQ_EOI_LISTENERS; i++)
        if (s->eoi[i].fn)
            s->eoi[i].fn(s->eoi[i].ctx, vector);
}

#endif /* IRQ_IMPLEMENTATION */

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
