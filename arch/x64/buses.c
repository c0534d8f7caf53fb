/* buses.c - x64: where the devices are (arch/common/platform.h, section
   8). PCI through configuration mechanism #1 with the BARs the firmware
   assigned (SeaBIOS on QEMU, our monitor as firmware), the INTx line the
   firmware wrote into each function, and the virtio-mmio windows the
   command line names in Linux's syntax, since a PC has no device tree to
   list them. The IOAPIC programming itself is platform.c's. */
#include "../common/platform.h"
#include "arch.h"
#include "pci.h"            /* the driver: arch/common/pci.c holds its code */

/* --- PCI ----------------------------------------------------------------- */

/* Mechanism #1 needs 1-, 2- and 4-byte port accesses (PCI 3.0,
   3.2.2.3.2: CONFIG_ADDRESS takes dwords only, CONFIG_DATA's byte lanes
   any width). */
static uint32_t cam1_in(void *ctx, uint16_t port, unsigned width)
{
    (void)ctx;
    return width == 4 ? inl(port) : width == 2 ? inw(port) : inb(port);
}

static void cam1_out(void *ctx, uint16_t port, unsigned width, uint32_t v)
{
    (void)ctx;
    if (width == 4)
        outl(port, v);
    else if (width == 2)
        outw(port, (uint16_t)v);
    else
        outb(port, (uint8_t)v);
}

static pci_drv_cam1 cam1 = { cam1_in, cam1_out, 0 };

//! [x64-pci]
/* A PC's host bridge is function 00:00.0. Where nothing decodes ports
   0xCF8-0xCFF (QEMU's microvm), the read floats to all-ones; a vendor ID
   of 0 is no function either. The first call says what it found. */
bool platform_pci(struct pci_drv *out)
{
    static bool told;
    pci_drv d;
    uint32_t id;
    bool there;

    pci_drv_use_cam1(&d, &cam1);
    id = d.read(d.ctx, PCI_BDF(0, 0, 0), PCI_VENDOR_ID, 4);
    there = (id & 0xffff) != 0xffff && (id & 0xffff) != 0;
    if (!told) {
        told = true;
        if (there)
            kprintf("pci: mechanism #1, host bridge %04x:%04x at 00:00.0\n", id & 0xffff,
                    id >> 16);
        else
            kprintf("pci: no host bridge answers at 00:00.0 through ports 0xcf8/0xcfc\n");
    }
    if (!there)
        return false;
    *out = d;
    return true;
}
//! [x64-pci]

//! [x64-pci-intx]
/* The interrupt line register is the firmware's note of where the pin
   was routed (PCI 3.0, 6.2.4): on a PC an ISA IRQ (SeaBIOS writes 10 or
   11 on QEMU's pc and q35, the IRQ it routed the function's PIRQ link
   to), which reaches the IOAPIC through the MADT's override as every ISA
   IRQ does; a number from 16 up is a GSI itself (IOAPIC pins 16-23,
   which q35's ICH9 drives from PIRQ A-H as well as the ISA IRQ).
   0 and 255 mean "not routed". PCI INTx is level-triggered; active high
   unless the MADT's override says otherwise, as QEMU wires it. With the
   8259 pair in charge there is no route: its ISR path takes only edges. */
int platform_pci_intx(const struct pci_drv *d, uint32_t bdf, unsigned pin)
{
    unsigned line, gsi;
    bool low = false, level;

    if (!d || bdf > 0xffff || pin < 1 || pin > 4 || x64_irqchip == X64_IRQCHIP_PIC)
        return -1;
    if (d->read(d->ctx, bdf, PCI_VENDOR_ID, 2) == 0xffff)
        return -1;
    line = d->read(d->ctx, bdf, PCI_INTERRUPT_LINE, 1) & 0xff;
    if (line == 0 || line == 0xff)
        return -1;
    gsi = line < 16 ? x64_isa_irq_mode(line, &low, &level) : line;
    if (!x64_irq_set_mode(gsi, low, true))
        return -1;
    return (int)gsi;
}
//! [x64-pci-intx]

/* --- virtio-mmio windows from the command line ---------------------------- */

#define VIRTIO_MMIO_WORD   "virtio_mmio.device="
#define CMDLINE_SCAN_MAX   4096u    /* bytes of the command line looked at */
#define VIRTIO_MMIO_REGS   0x100u   /* the transport's registers (virtio 1.2, 4.2.2) */
#define DEVICE_START       0xc0000000u    /* boot.S maps 3-4 GiB uncached: */
#define DEVICE_END         0x100000000ull /* device registers go there */
#define WORD_SHOWN         60u      /* bytes of a bad word quoted in its warning */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

static bool starts_with(const char *w, const char *end, const char *prefix)
{
    for (; *prefix; prefix++, w++)
        if (w == end || *w != *prefix)
            return false;
    return true;
}

static unsigned digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (unsigned)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (unsigned)(c - 'A' + 10);
    return 99;
}

/* One number at *p, before `end`: in C syntax when `c_syntax` (0x or 0X
   hex, a leading 0 octal, else decimal, as strtoull with base 0 reads
   it), else decimal; then, with `suffix`, an optional K, M, G, T, P or E
   (either case) multiplying by a power of 1024, as Linux's memparse()
   takes. False without a digit or if the value does not fit 64 bits; *p
   moves past what was read. */
static bool parse_number(const char **p, const char *end, bool c_syntax, bool suffix,
                         uint64_t *out)
{
    static const char units[] = "KMGTPE";
    const char *s = *p;
    unsigned base = 10, digits = 0;
    uint64_t v = 0;

    if (c_syntax && s < end && *s == '0') {
        base = 8;                   /* the 0 is a digit of its own */
        if (end - s > 2 && (s[1] == 'x' || s[1] == 'X') && digit_value(s[2]) < 16) {
            base = 16;
            s += 2;
        }
    }
    for (; s < end && digit_value(*s) < base; s++, digits++) {
        unsigned d = digit_value(*s);

        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    if (!digits)
        return false;
    for (unsigned u = 0; suffix && s < end && u < sizeof units - 1; u++)
        if ((*s & ~0x20) == units[u]) {
            unsigned shift = 10 * (u + 1);

            if (v > UINT64_MAX >> shift)
                return false;
            v <<= shift;
            s++;
            break;
        }
    *out = v;
    *p = s;
    return true;
}

static bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a < b + b_size && b < a + a_size;
}

/* `w` to `end` is one word that starts with "virtio_mmio.device=":
   SIZE@BASE:GSI[:ID], as Linux's virtio_mmio driver reads it (SIZE
   through memparse, BASE in C syntax, GSI and the platform device ID in
   decimal; the ID names the Linux device and is not used here). The
   window must hold the transport's registers, be 4-byte aligned, lie in
   the GiB below 4 GiB that boot.S maps uncached (registers read through
   a cached mapping would be stale), and keep clear of the interrupt
   controllers; GSI 0 (the 8259's ExtINT pin on a PC) is no device's, as
   Linux says too. Returns NULL, or why the word is refused. */
static const char *parse_word(const char *w, const char *end, struct platform_mmio *m)
{
    const char *p = w + sizeof VIRTIO_MMIO_WORD - 1;
    uint64_t size, base, gsi, id;

    if (!parse_number(&p, end, true, true, &size) || p == end || *p++ != '@')
        return "not SIZE@BASE:GSI (C numbers of at most 64 bits)";
    if (!parse_number(&p, end, true, true, &base) || p == end || *p++ != ':')
        return "not SIZE@BASE:GSI (C numbers of at most 64 bits)";
    if (!parse_number(&p, end, false, false, &gsi))
        return "not SIZE@BASE:GSI (C numbers of at most 64 bits)";
    if (p < end && *p == ':') {
        p++;
        p += p < end && *p == '-';
        if (!parse_number(&p, end, false, false, &id))
            return "the device ID after the GSI is not a number";
    }
    if (p != end)
        return "characters after SIZE@BASE:GSI[:ID]";
    if (size < VIRTIO_MMIO_REGS)
        return "the window is smaller than the transport's 0x100 bytes of registers";
    if (base & 3)
        return "the base is not 4-byte aligned";
    if (base < DEVICE_START || base >= DEVICE_END || size > DEVICE_END - base)
        return "the window is not in 0xc0000000-0xffffffff, which the kernel maps uncached";
    if (x64_phys_is_irqchip(base, size))
        return "the window overlaps the IOAPIC's or the LAPIC's registers";
    if (gsi == 0 || gsi >= PLATFORM_IRQ_MAX)
        return "no such GSI";
    m->base = base;
    m->size = size;
    m->irq = (unsigned)gsi;
    return 0;
}

/* "virtio-mmio: ignoring `WORD`: why", the word cut short if long. */
static void refuse(const char *w, const char *end, const char *why)
{
    char shown[WORD_SHOWN + 4];
    unsigned n = 0;

    for (; w < end && n < WORD_SHOWN; w++)
        shown[n++] = *w;
    if (w < end)
        shown[n++] = '.', shown[n++] = '.', shown[n++] = '.';
    shown[n] = 0;
    kprintf("virtio-mmio: ignoring `%s`: %s\n", shown, why);
}

/* An accepted window: not one an earlier word took, and its GSI made a
   level-triggered, active-high IOAPIC input (virtio-mmio's interrupt is a
   level: the device holds it until InterruptACK clears InterruptStatus,
   virtio 1.2, 4.2.2). Returns NULL, or why not. */
static const char *take(const struct platform_mmio *m, const struct platform_mmio *taken,
                        unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (overlaps(m->base, m->size, taken[i].base, taken[i].size))
            return "the window overlaps an earlier one";
    if (x64_irqchip == X64_IRQCHIP_PIC)
        return "the 8259 pair is in charge, and takes only edges";
    if (m->irq == x64_console_irq())
        return "the GSI is the console's";
    if (!x64_irq_set_mode(m->irq, false, true))
        return "the IOAPIC has no such pin";
    return 0;
}

/* Put `m` among the `n` windows of `out`, which are in address order. */
static void insert(struct platform_mmio *out, unsigned n, const struct platform_mmio *m)
{
    for (; n > 0 && out[n - 1].base > m->base; n--)
        out[n] = out[n - 1];
    out[n] = *m;
}

//! [x64-virtio-mmio]
/* Word by word, the first CMDLINE_SCAN_MAX bytes at most (Linux's x86
   COMMAND_LINE_SIZE is 2048); a bad word is said and skipped, the others
   still count. The windows come out in address order, as on every arch. */
unsigned platform_virtio_mmio(struct platform_mmio *out, unsigned max)
{
    const char *c = x64_cmdline;
    unsigned i = 0, n = 0;

    while (i < CMDLINE_SCAN_MAX && c[i]) {
        unsigned start;
        struct platform_mmio m;
        const char *why;

        if (is_space(c[i])) {
            i++;
            continue;
        }
        for (start = i; i < CMDLINE_SCAN_MAX && c[i] && !is_space(c[i]); i++)
            ;
        if (!starts_with(c + start, c + i, VIRTIO_MMIO_WORD))
            continue;
        if (i == CMDLINE_SCAN_MAX)
            why = "the command line is cut off here (4096 bytes are read)";
        else if (!(why = parse_word(c + start, c + i, &m)))
            why = n == max ? "no room for more windows" : take(&m, out, n);
        if (why)
            refuse(c + start, c + i, why);
        else
            insert(out, n++, &m);
    }
    return n;
}
//! [x64-virtio-mmio]
