/* fuzz_drv.c - fuzz target `drv`: the kernel's side facing a device that
   lies. hdr/pci.h's driver (capability walks, BAR sizing and assignment,
   MSI-X discovery) and hdr/virtio.h's virtio-pci driver transport (the
   capability walk, negotiation, queue setup, notify, configuration
   reads) against one PCI function whose every answer the input chooses.

   INPUT
     256 bytes   the function's configuration space (zero-padded)
     256 bytes   its write mask: a bit set is one the driver can write
                 (a BAR's size comes out of these, as in hardware)
     then        windows: 3 x (base u32, size u16) for I/O, 32-bit and
                 64-bit memory (scaled and placed so they never overlap),
                 for pci_drv_assign()
     then        the answers of the function's MMIO registers: every
                 driver read of a BAR takes the next u32 of the input (0
                 past its end), so the device may say anything at any time
   PROPERTIES
   - every capability offset pci_drv_find_cap() returns is 0 or a
     dword-aligned offset of 0x40..0xfc;
   - pci_drv_msix_find(): vectors 1..2048, BIRs 0..5, or nothing;
   - pci_drv_assign(): a count, and then every memory and I/O BAR it
     placed lies inside its window, naturally aligned, with no two
     overlapping; or PCI_EFULL, and then every BAR and the windows are as
     they were; or PCI_EDEVICE (a BAR did not keep what was written), and
     then the windows are as they were and nothing decodes;
   - virtio_drv_pci() with the BARs as pci_drv_bar_size() reads them back:
     if it takes the device, every structure it found lies inside one of
     them; and from then on every MMIO access the driver makes through
     negotiation, queue setup, notify, the interrupt acknowledge and
     configuration reads falls wholly inside a BAR (the property the
     BAR-size check in virtio_drv_pci() exists for: a device must not
     point the driver at other registers or at RAM);
   - bounded work: a call makes at most a fixed number of accesses (the
     reset wait's bound, VIRTIO__RESET_POLLS, is the largest).
   RUN
     ./run fuzz drv 600; replayed by ./run test (corpus/drv/). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"

#define PCI_IMPLEMENTATION
#include "pci.h"
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"

#define BDF 0x00000800u     /* 00:01.0 */
#define DRV_ACCESSES_MAX 3000000u

static struct {
    uint8_t space[256], mask[256];
    fuzz_in mmio;                       /* the device's register answers */
    uint64_t bar[6], size[6];
    unsigned long accesses;             /* in the current call */
} f;

static uint32_t cfg_read(void *ctx, uint32_t bdf, uint16_t reg, unsigned width)
{
    uint32_t v = 0;

    (void)ctx;
    f.accesses++;
    if (bdf != BDF || reg > 256 - width || (width != 1 && width != 2 && width != 4))
        return 0xffffffffu >> (32 - 8 * (width > 4 ? 4 : width ? width : 4));
    for (unsigned i = 0; i < width; i++)
        v |= (uint32_t)f.space[reg + i] << (8 * i);
    return v;
}

static void cfg_write(void *ctx, uint32_t bdf, uint16_t reg, unsigned width, uint32_t value)
{
    (void)ctx;
    f.accesses++;
    if (bdf != BDF || reg > 256 - width || (width != 1 && width != 2 && width != 4))
        return;
    for (unsigned i = 0; i < width; i++) {
        uint8_t m = f.mask[reg + i], b = (uint8_t)(value >> (8 * i));
        f.space[reg + i] = (uint8_t)((f.space[reg + i] & ~m) | (b & m));
    }
}

static uint32_t vcfg_read(void *ctx, uint16_t reg, unsigned width)
{
    return cfg_read(ctx, BDF, reg, width);
}

/* Is [addr, addr + width) inside one BAR the driver was given? */
static bool in_bars(uint64_t addr, unsigned width)
{
    for (unsigned i = 0; i < 6; i++)
        if (f.size[i] && addr >= f.bar[i] && addr - f.bar[i] <= f.size[i] - width)
            return true;
    return false;
}

static uint32_t mmio_read(void *ctx, uint64_t addr, unsigned width)
{
    (void)ctx;
    f.accesses++;
    FUZZ_CHECK(width == 1 || width == 2 || width == 4, "a %u-byte read", width);
    FUZZ_CHECK(in_bars(addr, width), "the driver read %u bytes at 0x%llx, outside every BAR",
               width, (unsigned long long)addr);
    return (uint32_t)fuzz_bytes(&f.mmio, width);
}

static void mmio_write(void *ctx, uint64_t addr, unsigned width, uint32_t value)
{
    (void)ctx;
    (void)value;
    f.accesses++;
    FUZZ_CHECK(width == 1 || width == 2 || width == 4, "a %u-byte write", width);
    FUZZ_CHECK(in_bars(addr, width), "the driver wrote %u bytes at 0x%llx, outside every BAR",
               width, (unsigned long long)addr);
}

#define BOUNDED(call)                                                                   \
    do {                                                                                \
        f.accesses = 0;                                                                 \
        call;                                                                           \
        FUZZ_CHECK(f.accesses <= DRV_ACCESSES_MAX, "%s made %lu accesses", #call,        \
                   f.accesses);                                                         \
    } while (0)

static bool inside(const pci_drv_window *w, uint64_t base, uint64_t size)
{
    return w->size && base >= w->base && size <= w->size && base - w->base <= w->size - size;
}

static void check_assign(const pci_drv *d, fuzz_in *in)
{
    pci_drv_windows w, w0;
    uint8_t before[256];
    uint64_t base[6], size[6];
    uint32_t flags[6];
    int r;

    memset(&w, 0, sizeof w);
    w.io.base = fuzz_u32(in) & 0xfffcu;
    w.io.size = (uint64_t)fuzz_u16(in) & 0xfffcu;
    w.mem32.base = (uint64_t)fuzz_u32(in) << 4 & 0xffffffffu;
    w.mem32.size = (uint64_t)fuzz_u16(in) << 12;
    /* The windows a host bridge forwards never overlap: the 64-bit one
       starts at 64 GiB, past anything the 32-bit one (at most 256 MiB
       from below 4 GiB) reaches. */
    w.mem64.base = (1ull << 36) + ((uint64_t)fuzz_u32(in) << 20);
    w.mem64.size = (uint64_t)fuzz_u16(in) << 20;
    w0 = w;
    memcpy(before, f.space, sizeof before);
    BOUNDED(r = pci_drv_assign(d, BDF, &w));
    if (r == PCI_EFULL) {
        FUZZ_CHECK(memcmp(&w, &w0, sizeof w) == 0, "PCI_EFULL moved a window");
        for (unsigned b = 0; b < 6; b++)
            FUZZ_CHECK(memcmp(&before[PCI_BAR(b)], &f.space[PCI_BAR(b)], 4) == 0,
                       "PCI_EFULL changed BAR %u", b);
        return;
    }
    if (r == PCI_EDEVICE) {
        /* A BAR that did not keep its address: nothing may decode. */
        FUZZ_CHECK(memcmp(&w, &w0, sizeof w) == 0, "PCI_EDEVICE moved a window");
        /* (a decode bit the device hardwires to 1 is beyond the driver) */
        FUZZ_CHECK((cfg_read(NULL, BDF, PCI_COMMAND, 2) & f.mask[PCI_COMMAND] &
                    (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) == 0,
                   "PCI_EDEVICE left decoding on");
        return;
    }
    FUZZ_CHECK(r >= 0 && r <= 6, "pci_drv_assign: %d", r);
    if ((f.space[PCI_HEADER_TYPE] & 0x7f) != 0)
        return;
    /* Read back what it placed; every placed BAR inside a window, aligned,
       and no two overlapping. */
    for (unsigned b = 0; b < 6; b++)
        base[b] = size[b] = flags[b] = 0;
    for (unsigned b = 0; b < 6; b++) {
        int n;

        BOUNDED(n = pci_drv_bar_size(d, BDF, b, &base[b], &size[b], &flags[b]));
        if (n == 2 && !size[b])
            b++;                        /* an unimplemented 64-bit BAR's high half */
        if (n <= 0 || !size[b])
            continue;
        FUZZ_CHECK((size[b] & (size[b] - 1)) == 0, "BAR %u: size 0x%llx", b,
                   (unsigned long long)size[b]);
        FUZZ_CHECK(base[b] % size[b] == 0, "BAR %u at 0x%llx, size 0x%llx: not aligned", b,
                   (unsigned long long)base[b], (unsigned long long)size[b]);
        if (flags[b] & PCI_BAR_IO)
            FUZZ_CHECK(inside(&w0.io, base[b], size[b]), "I/O BAR %u outside its window", b);
        else
            FUZZ_CHECK(inside(&w0.mem32, base[b], size[b]) || inside(&w0.mem64, base[b], size[b]),
                       "memory BAR %u at 0x%llx outside the windows", b,
                       (unsigned long long)base[b]);
        if (n == 2)
            b++;
    }
    for (unsigned a = 0; a < 6; a++)
        for (unsigned b = a + 1; b < 6; b++)
            if (size[a] && size[b] && ((flags[a] ^ flags[b]) & PCI_BAR_IO) == 0)
                FUZZ_CHECK(base[a] + size[a] <= base[b] || base[b] + size[b] <= base[a],
                           "BARs %u and %u overlap", a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    pci_drv d = { cfg_read, cfg_write, NULL };
    pci_drv_msix x;
    virtio_drv v;
    uint8_t at, buf[64];

    memset(&f, 0, sizeof f);
    for (unsigned i = 0; i < 256; i++)
        f.space[i] = fuzz_u8(&in);
    for (unsigned i = 0; i < 256; i++)
        f.mask[i] = fuzz_u8(&in);

    /* The capability walks. */
    for (unsigned id = 0; id < 0x16; id++) {
        BOUNDED(at = pci_drv_find_cap(&d, BDF, (uint8_t)id, 0));
        FUZZ_CHECK(at == 0 || (at >= 0x40 && (at & 3) == 0), "cap %u at 0x%x", id, at);
    }
    BOUNDED(pci_drv_msix_find(&d, BDF, &x));
    FUZZ_CHECK(x.cap == 0 || (x.vectors >= 1 && x.vectors <= 2048 && x.table_bar < 6 &&
                              x.pba_bar < 6),
               "MSI-X: cap 0x%x, %u vectors, BIRs %u %u", x.cap, x.vectors, x.table_bar,
               x.pba_bar);

    /* Assignment from the windows the input gives. */
    check_assign(&d, &in);

    /* The BARs as they now decode, and the virtio driver on them. */
    for (unsigned b = 0; b < 6;) {
        uint64_t base, len;
        uint32_t flags;
        int n;

        BOUNDED(n = pci_drv_bar_size(&d, BDF, b, &base, &len, &flags));
        if (n <= 0) {
            b++;
            continue;
        }
        if (!(flags & PCI_BAR_IO) && base && len) {
            f.bar[b] = base;
            f.size[b] = len;
        }
        b += (unsigned)n;
    }
    f.mmio = in;
    memset(&v, 0, sizeof v);
    v.read = mmio_read;
    v.write = mmio_write;
    int r;
    BOUNDED(r = virtio_drv_pci(&v, vcfg_read, NULL, f.bar, f.size));
    if (r < 0)
        return 0;
    FUZZ_CHECK(in_bars(v.common, 0x38) && in_bars(v.isr, 1) && in_bars(v.notify, 2),
               "virtio_drv_pci took a structure outside every BAR");
    FUZZ_CHECK(v.config_len == 0 || in_bars(v.config, v.config_len),
               "the device configuration lies outside every BAR");
    BOUNDED(r = virtio_drv_negotiate(&v, fuzz_u64(&f.mmio)));
    if (r < 0)
        return 0;
    for (unsigned q = 0; q < 3; q++) {
        uint16_t max;

        BOUNDED(max = virtio_drv_queue_max(&v, q));
        BOUNDED((void)virtio_drv_queue(&v, q, max ? (uint16_t)(max & -max) : 8, 0x1000u * (q + 1),
                                       0x10000u + 0x1000u * q, 0x20000u + 0x1000u * q,
                                       (uint16_t)(q ? VIRTIO_MSI_NO_VECTOR : 0)));
    }
    BOUNDED((void)virtio_drv_config_vector(&v, 1));
    BOUNDED(virtio_drv_ready(&v));
    for (unsigned q = 0; q < 4; q++)
        BOUNDED(virtio_drv_notify(&v, q));
    BOUNDED((void)virtio_drv_interrupt(&v));
    BOUNDED((void)virtio_drv_status(&v));
    BOUNDED((void)virtio_drv_config_read(&v, fuzz_u8(&f.mmio), buf, fuzz_u8(&f.mmio) % 64));
    BOUNDED((void)virtio_drv_config_write(&v, fuzz_u8(&f.mmio), 4, 0));
    BOUNDED((void)virtio_drv_reset(&v));
    return 0;
}
