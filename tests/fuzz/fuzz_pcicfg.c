/* fuzz_pcicfg.c - fuzz target `pcicfg`: PCI configuration of hdr/pci.h's
   pci_model (host bridge and bus 0) and its MSI-X tables (pci_msix), as a
   guest reaches them through mechanism #1 (ports 0xCF8-0xCFF), ECAM and the
   MSI-X BAR ranges, with the device logic's INTx# and MSI-X signals.

   THE BOARD
   00.0 the host bridge; 01.0 a function with BAR 0 32-bit memory (4 KiB),
   BARs 1-2 64-bit prefetchable memory (size from the input), BAR 3 I/O
   (32 bytes), BAR 4 32-bit memory (16 KiB) holding an MSI-X table and
   PBA, INTA#, a vendor capability with writable bytes and the MSI-X one;
   01.1 (so 01.0 is multi-function) with an I/O BAR, a PM capability and
   INTB#; 03.0 with a 64-bit BAR at 4-5, BAR 0 for its MSI-X table and BAR 2
   for its PBA, no pin. The board's hooks pass Message Control writes to
   the pci_msix (cfg_written), record bar_changed and intx calls.

   INPUT FORMAT (byte code; every read past the end is 0)
     u8  cfg: bit 0 cf8_partial, bits 1-3 MSI-X vectors of 01.0 (1 << n,
         at most 64), bits 4-7 the 64-bit BAR's size (2^(12 + 2n))
     then up to MAX_OPS ops, an opcode byte (modulo OP_COUNT) and its
     arguments (see the switch): port accesses at 0xCF8 + 0..7 of any
     width, ECAM accesses of any width at any register of four devfns,
     BAR sizing (all-ones then back), MSI-X table/PBA accesses of any width
     and offset, MSI-X signals, INTx# set and cleared, reset, save/restore
     round trips and restores of mutated images.

   PROPERTIES
     - CONFIG_ADDRESS follows an independent model of mechanism #1 (a
       dword at 0xCF8, byte lanes only with cf8_partial, bits 30:24 and
       1:0 never stored); CONFIG_DATA reads what pci_model_config() says
       (all-ones when disabled, bus != 0 or absent); ECAM past 0x100 reads 0.
     - Read-only bits keep their reset values (vendor, device, class,
       header type, BAR type bits, capability pointers); IDs checked against
       the constants used to build them; each BAR's bits below its size are
       its type bits (so all-ones reads back ~(size-1) | type); the
       capability list is a bounded chain of dword-aligned pointers in
       0x40..0xFC with no repeat, the one built.
     - bar_changed: every BAR whose decode (pci_model_bar) changed was
       reported (or its command register was), and every report names a
       BAR or command register whose value changed.
     - INTx#: STATUS.INTERRUPT is what the device logic last set, and the
       intx hook's last level is STATUS.INTERRUPT && !INTX_DISABLE.
     - MSI-X: the table's control is the capability's Message Control
       bits; nothing pending that could be sent; every message goes out
       with MSI-X on and the function unmasked; per op, messages = pending
       bits cleared (+1 for a signal of an unmasked vector); a signal of a
       masked vector sends nothing and sets its pending bit.
     - Save, restore into a fresh board, save: the same bytes (bus and
       tables); a mutated image is refused with nothing changed, or gives a
       state whose read-only bits hold.

   RUN (from tests/fuzz)
     clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined \
         -fno-sanitize-recover=all -I../../hdr fuzz_pcicfg.c -o /tmp/fz/fuzz_pcicfg
     /tmp/fz/fuzz_pcicfg -max_total_time=120 -timeout=5 /tmp/fz/pcicfg corpus/pcicfg
   Replay: gcc with replay.c, over every file of corpus/pcicfg. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define PCI_IMPLEMENTATION
#define PCI_STATIC
#define PCI_MODEL_FUNCS 4 /* the board's four: a small model, a fast fuzzer */
#include "pci.h"

#define MAX_OPS 1024u
#define NF 4 /* functions, host bridge included */
#define NX 2 /* MSI-X tables: 01.0 and 03.0 */

static const unsigned devfns[NF] = { PCI_DEVFN(0, 0), PCI_DEVFN(1, 0), PCI_DEVFN(1, 1),
                                     PCI_DEVFN(3, 0) };
static const uint16_t vendors[NF] = { PCI_HOST_VENDOR, 0x1234, 0x1234, 0x8086 };
static const uint16_t devices[NF] = { PCI_HOST_DEVICE, 0x1111, 0x2222, 0x3333 };
static const uint32_t classes[NF] = { PCI_HOST_CLASS, 0x020000, 0x078000, 0x010802 };
static const uint8_t htypes[NF] = { 0, PCI_HEADER_TYPE_MFD, 0, 0 };

/* Each BAR as built: size (0: none) and type bits; a 64-bit BAR's high
   half has size 0 here and is checked with its low half. */
static struct bar { uint64_t size; uint32_t flags; } bars[NF][6];

static pci_model pm;
static struct {
    pci_msix x[NX];
    uint8_t xcap[NX];
    unsigned xdevfn[NX];
    uint32_t cf8;           /* the independent CONFIG_ADDRESS */
    bool partial;
    bool asserted[NF];      /* what the device logic last set */
    bool heard[NF];         /* the intx hook's last level */
    unsigned msgs;          /* messages sent in this op */
    bool bar_ev[NF][7];     /* bar_changed calls in this op: 0..5, 6 command */
} w;

static int fslot(unsigned devfn)
{
    for (int i = 0; i < NF; i++)
        if (devfns[i] == devfn)
            return i;
    return -1;
}

static void h_bar(void *ctx, unsigned devfn, unsigned bar)
{
    int i = fslot(devfn);

    (void)ctx;
    FUZZ_CHECK(i >= 0 && bar <= PCI_MODEL_COMMAND, "bar_changed(%u, %u)", devfn, bar);
    FUZZ_CHECK(bar == PCI_MODEL_COMMAND || bars[i][bar].size, "bar_changed of BAR %u of %u, "
               "which is not one", bar, devfn);
    w.bar_ev[i][bar] = true;
}

static void h_written(void *ctx, unsigned devfn, uint16_t reg, unsigned width)
{
    (void)ctx;
    for (int k = 0; k < NX; k++) {
        unsigned at = w.xcap[k] + PCI_MSIX_FLAGS;

        if (devfn == w.xdevfn[k] && reg < at + 2 && reg + width > at)
            pci_msix_control(&w.x[k], (uint16_t)pci_model_config(&pm, devfn, (uint16_t)at, 2));
    }
}

static void h_intx(void *ctx, unsigned devfn, unsigned pin, bool level)
{
    int i = fslot(devfn);

    (void)ctx;
    FUZZ_CHECK(i >= 0 && pin == pm.cfg.fn[i].config[PCI_INTERRUPT_PIN] && pin,
               "intx(%u, pin %u)", devfn, pin);
    w.heard[i] = level;
}

static void h_msi(void *ctx, uint64_t address, uint32_t data)
{
    pci_msix *x = ctx;

    (void)address;
    (void)data;
    FUZZ_CHECK(pci_msix_enabled(x) && !(x->s.control & PCI_MSIX_FLAGS_MASKALL),
               "a message with MSI-X off or the function masked");
    w.msgs++;
}

static void build(uint8_t c0, pci_model *m, pci_msix *xs)
{
    static pci_function f;
    const pci_model_hooks ph = { h_bar, h_written, NULL, h_intx, NULL };
    unsigned nvec = 1u << (c0 >> 1 & 7);
    uint64_t big = 1ull << (12 + 2 * (c0 >> 4));
    uint8_t at;

    if (nvec > PCI_MSIX_VECTORS)
        nvec = PCI_MSIX_VECTORS;
    memset(bars, 0, sizeof bars);
    pci_model_init(m, &ph);
    m->cfg.cf8_partial = c0 & 1;

    /* 01.0 */
    pci_function_init(&f, vendors[1], devices[1], classes[1], 1);
    FUZZ_CHECK(!pci_function_bar(&f, 0, 4096, 0), "bar");
    FUZZ_CHECK(!pci_function_bar(&f, 1, big, PCI_BAR_MEM_64 | PCI_BAR_PREFETCH), "bar");
    FUZZ_CHECK(!pci_function_bar(&f, 3, 32, PCI_BAR_IO), "bar");
    FUZZ_CHECK(!pci_function_bar(&f, 4, 16384, 0), "bar");
    bars[1][0] = (struct bar){ 4096, 0 };
    bars[1][1] = (struct bar){ big, PCI_BAR_MEM_64 | PCI_BAR_PREFETCH };
    bars[1][3] = (struct bar){ 32, PCI_BAR_IO };
    bars[1][4] = (struct bar){ 16384, 0 };
    pci_function_irq(&f, 1);
    at = pci_function_add_cap(&f, PCI_CAP_ID_VNDR, 20);
    FUZZ_CHECK(at, "cap");
    f.config[at + 2] = 20;
    for (unsigned k = 4; k < 20; k++)
        f.wmask[at + k] = (uint8_t)(k & 1 ? 0xff : 0x0f);
    w.xcap[0] = pci_function_add_msix(&f, nvec, 4, 0, 4, 0x800);
    FUZZ_CHECK(w.xcap[0], "msix");
    w.xdevfn[0] = devfns[1];
    FUZZ_CHECK(!pci_model_add(m, devfns[1], &f), "add");
    pci_msix_init(&xs[0], nvec, &(pci_msix_hooks){ h_msi, &xs[0] });
    xs[0].cfg.pba_offset = 0x800;

    /* 01.1 */
    pci_function_init(&f, vendors[2], devices[2], classes[2], 0);
    FUZZ_CHECK(!pci_function_bar(&f, 2, 256, PCI_BAR_IO), "bar");
    bars[2][2] = (struct bar){ 256, PCI_BAR_IO };
    pci_function_irq(&f, 2);
    at = pci_function_add_cap(&f, PCI_CAP_ID_PM, 8);
    FUZZ_CHECK(at, "cap");
    f.wmask[at + 4] = 0x03; /* PowerState */
    FUZZ_CHECK(!pci_model_add(m, devfns[2], &f), "add");

    /* 03.0 */
    pci_function_init(&f, vendors[3], devices[3], classes[3], 2);
    FUZZ_CHECK(!pci_function_bar(&f, 0, 4096, 0), "bar");
    FUZZ_CHECK(!pci_function_bar(&f, 2, 16, PCI_BAR_PREFETCH), "bar");
    FUZZ_CHECK(!pci_function_bar(&f, 4, 1ull << 33, PCI_BAR_MEM_64), "bar");
    bars[3][0] = (struct bar){ 4096, 0 };
    bars[3][2] = (struct bar){ 16, PCI_BAR_PREFETCH };
    bars[3][4] = (struct bar){ 1ull << 33, PCI_BAR_MEM_64 };
    w.xcap[1] = pci_function_add_msix(&f, 3, 0, 0x100, 2, 8);
    FUZZ_CHECK(w.xcap[1], "msix");
    w.xdevfn[1] = devfns[3];
    FUZZ_CHECK(!pci_model_add(m, devfns[3], &f), "add");
    pci_msix_init(&xs[1], 3, &(pci_msix_hooks){ h_msi, &xs[1] });
    xs[1].cfg.pba_offset = 0x1000; /* the board maps BAR 2 at 0x1000 of the table's space */
    pci_model_reset(m);
}

/* ---- properties ------------------------------------------------------------ */

static uint32_t cfg(const pci_model *m, int i, unsigned reg, unsigned width)
{
    return pci_model_config(m, devfns[i], (uint16_t)reg, width);
}

/* What must hold of the bus `m` in any state. */
static void space_invariants(const pci_model *m)
{
    FUZZ_CHECK(!(m->s.config_address & ~PCI_CF8_BITS), "CONFIG_ADDRESS %#x",
               m->s.config_address);
    for (int i = 0; i < NF; i++) {
        const pci_function *f = &m->cfg.fn[i];
        unsigned ptr, steps = 0;
        uint8_t seen[64] = { 0 };

        FUZZ_CHECK(cfg(m, i, PCI_VENDOR_ID, 2) == vendors[i] &&
                       cfg(m, i, PCI_DEVICE_ID, 2) == devices[i] &&
                       cfg(m, i, PCI_REVISION_ID, 4) >> 8 == classes[i] &&
                       cfg(m, i, PCI_HEADER_TYPE, 1) == htypes[i],
                   "IDs of function %d", i);
        FUZZ_CHECK(m->cfg.slot_of[devfns[i]] == i + 1, "slot of %d", i);
        /* Eight bytes at a time: the bits neither writable nor W1C (nor
           STATUS.INTERRUPT, where there is a pin) are the built ones. */
        for (unsigned o = 0; o < PCI_CONFIG_SIZE; o += 8) {
            uint64_t live, built, wm, wc, fixed;

            memcpy(&live, m->s.space[i] + o, 8);
            memcpy(&built, f->config + o, 8);
            memcpy(&wm, f->wmask + o, 8);
            memcpy(&wc, f->w1c + o, 8);
            fixed = ~(wm | wc);
            if (o == 0 && f->config[PCI_INTERRUPT_PIN])
                fixed &= ~((uint64_t)PCI_STATUS_INTERRUPT << (8 * PCI_STATUS));
            FUZZ_CHECK(!((live ^ built) & fixed), "read-only bits of %d at %#x: %#llx, built %#llx",
                       i, o, (unsigned long long)live, (unsigned long long)built);
        }
        for (unsigned b = 0; b < 6; b++) {
            const struct bar *r = &bars[i][b];
            uint64_t v;

            if (!r->size)
                continue;
            v = cfg(m, i, PCI_BAR(b), 4);
            if (r->flags & PCI_BAR_MEM_64)
                v |= (uint64_t)cfg(m, i, PCI_BAR(b + 1), 4) << 32;
            FUZZ_CHECK((v & (r->size - 1)) == r->flags, "BAR %u of %d: %#llx, size %#llx", b, i,
                       (unsigned long long)v, (unsigned long long)r->size);
            if (!(r->flags & PCI_BAR_MEM_64))
                FUZZ_CHECK(v <= 0xffffffffu, "32-bit BAR");
        }
        if (i != 0 && i != 2 && !(cfg(m, i, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
            FUZZ_CHECK(0, "CAP_LIST of %d lost", i);
        if (cfg(m, i, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) {
            ptr = cfg(m, i, PCI_CAPABILITY_LIST, 1);
            while (ptr) {
                FUZZ_CHECK(!(ptr & 3) && ptr >= 0x40 && ptr <= 0xfc && !seen[ptr / 4] &&
                               steps++ < PCI_CAP_MAX_STEPS,
                           "capability pointer %#x of %d", ptr, i);
                seen[ptr / 4] = 1;
                ptr = cfg(m, i, ptr + 1, 1);
            }
        }
    }
}

static void msix_invariants(const pci_msix *x)
{
    bool on = pci_msix_enabled(x) && !(x->s.control & PCI_MSIX_FLAGS_MASKALL);

    FUZZ_CHECK(!(x->s.control & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)), "control");
    for (unsigned v = 0; v < PCI_MSIX_VECTORS; v++) {
        bool pend = (x->s.pba[v / 64] >> (v % 64)) & 1;

        if (v >= x->cfg.vectors) {
            FUZZ_CHECK(!pend && !x->s.table[v][0] && !x->s.table[v][3], "vector %u past it", v);
            continue;
        }
        FUZZ_CHECK(!(x->s.table[v][0] & 3) && !(x->s.table[v][3] & ~1u), "entry %u bits", v);
        FUZZ_CHECK(!(pend && on && !(x->s.table[v][3] & 1)),
                   "vector %u pending while it could be sent", v);
    }
}

static unsigned pending_count(const pci_msix *x)
{
    unsigned n = 0;

    for (unsigned v = 0; v < x->cfg.vectors; v++)
        n += pci_msix_pending(x, v);
    return n;
}

/* Save, restore into a fresh board, save again. */
static void round_trip(uint8_t c0)
{
    static pci_model fresh;
    static pci_msix fx[NX];
    static pci_state a, b;
    static pci_msix_state xa, xb;
    struct bar keep[NF][6];
    bool heard[NF];

    memcpy(keep, bars, sizeof keep);
    memcpy(heard, w.heard, sizeof heard);
    FUZZ_CHECK(pci_model_save(&pm, &a, sizeof a) == (int64_t)sizeof a, "save");
    build(c0, &fresh, fx);
    FUZZ_CHECK(pci_model_restore(&fresh, &a, sizeof a) == (int64_t)sizeof a, "state refused");
    FUZZ_CHECK(pci_model_save(&fresh, &b, sizeof b) == (int64_t)sizeof b, "save");
    FUZZ_CHECK(!memcmp(&a, &b, sizeof a), "save, restore, save differ");
    space_invariants(&fresh);
    for (int k = 0; k < NX; k++) {
        FUZZ_CHECK(pci_msix_save(&w.x[k], &xa, sizeof xa) == (int64_t)sizeof xa, "save");
        FUZZ_CHECK(pci_msix_restore(&fx[k], &xa, sizeof xa) == (int64_t)sizeof xa,
                   "table state refused");
        pci_msix_save(&fx[k], &xb, sizeof xb);
        FUZZ_CHECK(!memcmp(&xa, &xb, sizeof xa), "table save, restore, save differ");
    }
    /* build() re-ran the hooks' bookkeeping for the fresh board: put back ours */
    memcpy(w.heard, heard, sizeof heard);
    memcpy(bars, keep, sizeof keep);
}

static void mutated_restore(fuzz_in *in, uint8_t c0, bool live)
{
    static pci_model fresh;
    static pci_msix fx[NX];
    static pci_state img, before, after;
    static pci_msix_state ximg, xbefore, xafter;
    unsigned k = fuzz_u8(in) % 4 + 1, which = fuzz_u8(in);
    bool heard[NF];
    pci_model *m = live ? &pm : &fresh;
    pci_msix *x;

    memcpy(heard, w.heard, sizeof heard);
    if (!live)
        build(c0, &fresh, fx);
    x = live ? &w.x[which & 1] : &fx[which & 1];
    if (which & 2) { /* an MSI-X table's image */
        pci_msix_save(&w.x[which & 1], &ximg, sizeof ximg);
        for (unsigned i = 0; i < k; i++)
            ((uint8_t *)&ximg)[fuzz_u16(in) % sizeof ximg] ^= fuzz_u8(in);
        pci_msix_save(x, &xbefore, sizeof xbefore);
        if (pci_msix_restore(x, &ximg, sizeof ximg) < 0) {
            pci_msix_save(x, &xafter, sizeof xafter);
            FUZZ_CHECK(!memcmp(&xbefore, &xafter, sizeof xafter), "a refused restore changed it");
        } else {
            msix_invariants(x);
        }
    } else {
        pci_model_save(&pm, &img, sizeof img);
        for (unsigned i = 0; i < k; i++) {
            unsigned at = (unsigned)(fuzz_u32(in) % sizeof img);

            ((uint8_t *)&img)[at] ^= fuzz_u8(in);
        }
        pci_model_save(m, &before, sizeof before);
        if (pci_model_restore(m, &img, sizeof img) < 0) {
            pci_model_save(m, &after, sizeof after);
            FUZZ_CHECK(!memcmp(&before, &after, sizeof after), "a refused restore changed it");
        } else {
            space_invariants(m);
        }
    }
    if (!live)
        memcpy(w.heard, heard, sizeof heard);
}

/* ---- the target ------------------------------------------------------------ */

enum {
    OP_CF8_WRITE, OP_CF8_READ, OP_CFC_WRITE, OP_CFC_READ, OP_ECAM_WRITE, OP_ECAM_READ,
    OP_SIZE_BAR, OP_MSIX_WRITE, OP_MSIX_READ, OP_SIGNAL, OP_INTX, OP_RESET, OP_SAVE, OP_RESTORE,
    OP_MSIX_CTL, OP_COUNT
};

static const unsigned widths[4] = { 1, 2, 4, 8 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    uint8_t c0 = fuzz_u8(&in);

    memset(&w, 0, sizeof w);
    w.partial = c0 & 1;
    build(c0, &pm, w.x);
    for (int i = 0; i < NF; i++)
        FUZZ_CHECK(!w.heard[i], "a pin high at reset");

    for (unsigned op = 0; op < MAX_OPS && fuzz_more(&in); op++) {
        uint8_t code = fuzz_u8(&in) % OP_COUNT;
        uint32_t bar_before[NF][6], cmd_before[NF];
        bool dec_before[NF][6];
        uint64_t base_before[NF][6], sz_before[NF][6];
        unsigned pend_before[NX], pend_after;
        bool direct = false, pended = false, whole = false, twice = false;
        int sig_x = -1;
        unsigned sig_v = 0;

        for (int i = 0; i < NF; i++) {
            cmd_before[i] = cfg(&pm, i, PCI_COMMAND, 2);
            for (unsigned b = 0; b < 6; b++) {
                bar_before[i][b] = cfg(&pm, i, PCI_BAR(b), 4);
                dec_before[i][b] = pci_model_bar(&pm, devfns[i], b, &base_before[i][b],
                                                 &sz_before[i][b]);
            }
        }
        for (int k = 0; k < NX; k++)
            pend_before[k] = pending_count(&w.x[k]);
        memset(w.bar_ev, 0, sizeof w.bar_ev);
        w.msgs = 0;

        switch (code) {
        case OP_CF8_WRITE: {
            unsigned off = fuzz_u8(&in) & 7, width = widths[fuzz_u8(&in) & 3];
            uint32_t v = fuzz_u32(&in);

            if (fuzz_u8(&in) & 1) /* a sane address, often */
                v = PCI_CF8_ENABLE | (v & 0x100 ? 0x10000u : 0) |
                    (uint32_t)devfns[v >> 9 & 3] << 8 | (v & 0xfc);
            pci_model_write(&pm, off, width, v);
            if (off == 0 && width == 4)
                w.cf8 = v & PCI_CF8_BITS;
            else if (w.partial && off < 4 && (width == 1 || width == 2) && off % 4 + width <= 4) {
                uint32_t lanes = (width == 1 ? 0xffu : 0xffffu) << (8 * off);

                w.cf8 = ((w.cf8 & ~lanes) | ((v << (8 * off)) & lanes)) & PCI_CF8_BITS;
            }
            break;
        }
        case OP_CF8_READ: {
            unsigned off = fuzz_u8(&in) & 3, width = widths[fuzz_u8(&in) & 3];
            uint64_t v = pci_model_read(&pm, off, width);

            if (off == 0 && width == 4)
                FUZZ_CHECK(v == w.cf8, "CONFIG_ADDRESS reads %#llx, %#x written",
                           (unsigned long long)v, w.cf8);
            else if (!w.partial)
                FUZZ_CHECK(v == (width == 8 ? UINT64_MAX : (1ull << (8 * width)) - 1),
                           "a partial CONFIG_ADDRESS read");
            break;
        }
        case OP_CFC_WRITE:
        case OP_CFC_READ: {
            unsigned off = 4 + (fuzz_u8(&in) & 3), width = widths[fuzz_u8(&in) & 3];
            uint32_t v = fuzz_u32(&in);

            if (code == OP_CFC_WRITE) {
                pci_model_write(&pm, off, width, v);
            } else {
                uint64_t r = pci_model_read(&pm, off, width), want;
                unsigned reg = (w.cf8 & 0xfc) | (off & 3);
                bool ok = (w.cf8 & PCI_CF8_ENABLE) && !(w.cf8 >> 16 & 0xff) &&
                          width <= 4 && (off & 3) + width <= 4;

                want = width == 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
                if (ok)
                    want = pci_model_config(&pm, w.cf8 >> 8 & 0xff, (uint16_t)reg, width);
                FUZZ_CHECK(r == want, "CONFIG_DATA %#llx, want %#llx", (unsigned long long)r,
                           (unsigned long long)want);
            }
            break;
        }
        case OP_ECAM_WRITE:
        case OP_ECAM_READ: {
            unsigned which = fuzz_u8(&in), reg = fuzz_u16(&in) & 0xfff;
            unsigned width = widths[fuzz_u8(&in) & 3];
            unsigned devfn = which & 4 ? which >> 3 : devfns[which & 3];
            uint64_t at = PCI_ECAM_OFFSET(which & 0x80 ? 1 : 0, devfn >> 3, devfn & 7, 0) + reg;
            uint32_t v = fuzz_u32(&in);

            if (which & 0x40)
                v = 0xffffffffu;
            if (code == OP_ECAM_WRITE) {
                pci_model_ecam_write(&pm, at, width, v);
            } else {
                uint64_t r = pci_model_ecam_read(&pm, at, width);
                bool present = fslot(devfn) >= 0 && !(which & 0x80);

                if (present && reg >= PCI_CONFIG_SIZE && reg < 0x1000 && width <= 4 &&
                    (reg & 3) + width <= 4)
                    FUZZ_CHECK(r == 0, "extended space reads %#llx", (unsigned long long)r);
                if (!present || width == 8)
                    FUZZ_CHECK(r == (width == 8 ? UINT64_MAX : (1ull << (8 * width)) - 1),
                               "an absent function or bad width reads %#llx",
                               (unsigned long long)r);
            }
            break;
        }
        case OP_SIZE_BAR: {
            /* all-ones, read back the mask, put it back */
            int i = fuzz_u8(&in) % NF;
            unsigned b = fuzz_u8(&in) % 6;
            uint16_t reg = (uint16_t)PCI_BAR(b);
            uint32_t old = cfg(&pm, i, reg, 4), mask;
            const struct bar *r = &bars[i][b];

            pci_model_ecam_write(&pm, PCI_ECAM_OFFSET(0, devfns[i] >> 3, devfns[i] & 7, reg), 4,
                                 0xffffffffu);
            mask = cfg(&pm, i, reg, 4);
            if (r->size && r->size <= 0x80000000u)
                FUZZ_CHECK(mask == ((uint32_t)~(r->size - 1) | r->flags) ||
                               (r->flags & PCI_BAR_IO),
                           "BAR %u of %d sizes as %#x", b, i, mask);
            if (r->size && (r->flags & PCI_BAR_IO))
                FUZZ_CHECK((mask & 0xffff) == (uint32_t)((~(r->size - 1) | r->flags) & 0xffff),
                           "I/O BAR %u of %d sizes as %#x", b, i, mask);
            if (!r->size && !(b && bars[i][b - 1].size && (bars[i][b - 1].flags & PCI_BAR_MEM_64)))
                FUZZ_CHECK(mask == 0, "an unimplemented BAR %u of %d reads %#x", b, i, mask);
            if (fuzz_u8(&in) & 1) {
                pci_model_ecam_write(&pm, PCI_ECAM_OFFSET(0, devfns[i] >> 3, devfns[i] & 7, reg),
                                     4, old);
                twice = true; /* two writes: reported, and back as it was */
            }
            break;
        }
        case OP_MSIX_WRITE:
        case OP_MSIX_READ: {
            int k = fuzz_u8(&in) & 1;
            unsigned off = fuzz_u16(&in) & 0x1fff, width = widths[fuzz_u8(&in) & 3];
            uint64_t v = fuzz_u64(&in);

            if (code == OP_MSIX_WRITE)
                pci_msix_write(&w.x[k], off, width, v);
            else
                (void)pci_msix_read(&w.x[k], off, width);
            break;
        }
        case OP_SIGNAL: {
            sig_x = fuzz_u8(&in) & 1;
            sig_v = fuzz_u8(&in) % 70;
            {
                pci_msix *x = &w.x[sig_x];
                bool valid = sig_v < x->cfg.vectors && pci_msix_enabled(x);
                bool masked = valid && ((x->s.control & PCI_MSIX_FLAGS_MASKALL) ||
                                        (x->s.table[sig_v][3] & 1));

                direct = valid && !masked;
                pended = valid && masked;
                pci_msix_signal(x, sig_v);
            }
            break;
        }
        case OP_INTX: {
            int i = fuzz_u8(&in) % NF;
            bool level = fuzz_u8(&in) & 1;

            pci_model_set_intx(&pm, devfns[i], level);
            if (pm.cfg.fn[i].config[PCI_INTERRUPT_PIN])
                w.asserted[i] = level;
            break;
        }
        case OP_RESET:
            pci_model_reset(&pm);
            for (int k = 0; k < NX; k++)
                pci_msix_reset(&w.x[k]);
            memset(w.asserted, 0, sizeof w.asserted);
            w.cf8 = 0;
            whole = true;
            break;
        case OP_SAVE:
            round_trip(c0);
            whole = true; /* the fresh board's hooks ran too */
            break;
        case OP_RESTORE: {
            bool live = fuzz_u8(&in) & 1;

            mutated_restore(&in, c0, live);
            w.cf8 = pm.s.config_address;
            for (int i = 0; i < NF; i++)
                w.asserted[i] = cfg(&pm, i, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT;
            whole = true;
            /* A table restored apart from its capability: the board
               restores both from one snapshot; here, make them agree. */
            for (int k = 0; k < NX; k++)
                pci_msix_control(&w.x[k], (uint16_t)pci_model_config(
                                              &pm, w.xdevfn[k], w.xcap[k] + PCI_MSIX_FLAGS, 2));
            break;
        }
        case OP_MSIX_CTL: {
            /* Message Control of a table: enable, function mask. */
            int k = fuzz_u8(&in) & 1;
            uint32_t v = (uint32_t)(fuzz_u8(&in) & 0xc0) << 8;

            pci_model_ecam_write(&pm, PCI_ECAM_OFFSET(0, w.xdevfn[k] >> 3, w.xdevfn[k] & 7,
                                                      w.xcap[k] + PCI_MSIX_FLAGS), 2, v);
            break;
        }
        default:
            break;
        }

        /* ---- after every op ---- */
        space_invariants(&pm);
        FUZZ_CHECK(pm.s.config_address == w.cf8, "CONFIG_ADDRESS %#x, model %#x",
                   pm.s.config_address, w.cf8);
        for (int i = 0; i < NF; i++) {
            bool st = cfg(&pm, i, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT;
            bool dis = cfg(&pm, i, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE;

            FUZZ_CHECK(st == w.asserted[i], "STATUS.INTERRUPT of %d is %d", i, st);
            if (pm.cfg.fn[i].config[PCI_INTERRUPT_PIN])
                FUZZ_CHECK(w.heard[i] == (st && !dis), "INTx# of %d heard %d", i, w.heard[i]);
            for (unsigned b = 0; b < 6; b++) {
                uint64_t base, sz;
                bool dec = pci_model_bar(&pm, devfns[i], b, &base, &sz);

                if (!bars[i][b].size) {
                    FUZZ_CHECK(!dec, "slot %u of %d, no BAR, decodes", b, i);
                    continue;
                }
                if (dec)
                    FUZZ_CHECK(sz == bars[i][b].size, "BAR %u of %d decodes %#llx bytes", b, i,
                               (unsigned long long)sz);
                if (dec != dec_before[i][b] || (dec && base != base_before[i][b]))
                    FUZZ_CHECK(w.bar_ev[i][b] || w.bar_ev[i][PCI_MODEL_COMMAND],
                               "BAR %u of %d moved unreported", b, i);
                if (!whole && !twice && w.bar_ev[i][b]) {
                    bool changed = cfg(&pm, i, PCI_BAR(b), 4) != bar_before[i][b];

                    if (bars[i][b].flags & PCI_BAR_MEM_64)
                        changed |= cfg(&pm, i, PCI_BAR(b + 1), 4) != bar_before[i][b + 1];
                    FUZZ_CHECK(changed, "BAR %u of %d reported, not changed", b, i);
                }
            }
            if (!whole && w.bar_ev[i][PCI_MODEL_COMMAND])
                FUZZ_CHECK(cfg(&pm, i, PCI_COMMAND, 2) != cmd_before[i],
                           "command of %d reported, not changed", i);
        }
        for (int k = 0; k < NX; k++) {
            pci_msix *x = &w.x[k];
            uint32_t ctl = pci_model_config(&pm, w.xdevfn[k], w.xcap[k] + PCI_MSIX_FLAGS, 2);

            msix_invariants(x);
            FUZZ_CHECK(x->s.control == (ctl & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)),
                       "table control %#x, Message Control %#x", x->s.control, ctl);
            pend_after = pending_count(x);
            if (whole)
                continue;
            if (k == sig_x) {
                if (pended)
                    FUZZ_CHECK(pci_msix_pending(x, sig_v), "a masked vector did not pend");
                if (direct)
                    FUZZ_CHECK(!pci_msix_pending(x, sig_v), "sent and pending");
                FUZZ_CHECK(pend_after >= pend_before[k], "a signal cleared a pending bit");
            } else {
                FUZZ_CHECK(pend_after <= pend_before[k], "a pending bit set with no signal");
            }
        }
        if (!whole) {
            unsigned cleared = 0;

            for (int k = 0; k < NX; k++) {
                unsigned a = pending_count(&w.x[k]);

                if (k != sig_x)
                    cleared += pend_before[k] - a;
            }
            FUZZ_CHECK(w.msgs == cleared + (direct ? 1u : 0u),
                       "%u messages, %u pending bits cleared, direct %d", w.msgs, cleared,
                       direct);
        }
    }
    return 0;
}
