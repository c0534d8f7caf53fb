/* loader.c - PVH ELF loading and start info (see loader.h).

   The file is operator input: any field may lie. Every offset and size is
   checked against the file and every address against guest RAM, with sums
   written so they cannot wrap, before anything is copied. Fields are read
   byte by byte as little-endian, with hdr/acpi.h's helpers, so the checks
   do not depend on the host's alignment or byte order.

   What the loader writes, the start info and the memory map, are hdr/pvh.h's
   structures, the ones the kernel reads: filled in as structs and copied
   into guest RAM as they are, in the host's byte order, which is x86's. */
#define PVH_IMPLEMENTATION  /* a private copy of hdr/pvh.h's functions */
#define PVH_STATIC
#include "loader.h"

/* hdr/acpi.h, by its path: "acpi.h" in vm/ is the monitor's tables. */
#define ACPI_IMPLEMENTATION
#define ACPI_STATIC
#include "../hdr/acpi.h"

#include <elf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vm/loader.c copies the PVH structures as they are: it needs a little-endian host"
#endif

/* The info area holds the start info, then the memory map, then the
   command line and its NUL, each where the kernel is told it is. */
_Static_assert(LOADER_INFO_BASE + sizeof(hvm_start_info) <= LOADER_MEMMAP_PADDR &&
               LOADER_MEMMAP_PADDR % 8 == 0 &&
               LOADER_MEMMAP_PADDR + LOADER_MEMMAP_MAX * sizeof(hvm_memmap_table_entry) <=
                   LOADER_CMDLINE_PADDR &&
               LOADER_CMDLINE_PADDR + LOADER_CMDLINE_MAX + 1 <= LOADER_INFO_END,
               "the start info area's layout");

/* One program header, whatever the ELF class. */
struct phdr {
    uint32_t type, flags;
    uint64_t offset, paddr, filesz, memsz, align;
};

/* The image being checked, and where it is to go. */
struct image {
    const uint8_t *p;
    size_t size;
    bool is64;
    uint64_t phoff;
    unsigned phnum, phentsize;
    size_t ram_size;
};

/* Read field `f` of ELF structure type `T` found at `base`. */
#define FIELD(base, T, f) acpi_getn((base) + offsetof(T, f), sizeof(((T *)0)->f))
#define EHDR(im, f) \
    ((im)->is64 ? FIELD((im)->p, Elf64_Ehdr, f) : FIELD((im)->p, Elf32_Ehdr, f))

__attribute__((format(printf, 3, 4)))
static enum loader_err fail(struct loader_result *r, enum loader_err err, const char *fmt, ...)
{
    va_list ap;

    r->err = err;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    return err;
}

/* e_ident: magic, class, byte order, version (ELF gABI, "ELF Identification"). */
static enum loader_err check_ident(struct image *im, struct loader_result *r)
{
    static const uint8_t magic[SELFMAG] = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3 };
    const uint8_t *p = im->p;

    if (im->size == 0)
        return fail(r, LOADER_E_EMPTY, "file is empty");
    if (memcmp(p, magic, im->size < SELFMAG ? im->size : SELFMAG) != 0)
        return fail(r, LOADER_E_NOT_ELF, "not an ELF file (bad magic)");
    if (im->size < EI_NIDENT)
        return fail(r, LOADER_E_SHORT, "file too short for an ELF header (%zu byte%s)",
                    im->size, im->size == 1 ? "" : "s");
    if (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64)
        return fail(r, LOADER_E_CLASS, "unsupported ELF class %u (want 32- or 64-bit)",
                    p[EI_CLASS]);
    if (p[EI_DATA] != ELFDATA2LSB)
        return fail(r, LOADER_E_ENDIAN, "%s ELF (x86 is little-endian)",
                    p[EI_DATA] == ELFDATA2MSB ? "big-endian" : "unknown byte order in");
    if (p[EI_VERSION] != EV_CURRENT)
        return fail(r, LOADER_E_VERSION, "unsupported ELF version %u", p[EI_VERSION]);
    im->is64 = p[EI_CLASS] == ELFCLASS64;
    return LOADER_OK;
}

static const char *machine_name(uint64_t m)
{
    switch (m) {
    case EM_386: return "i386";
    case EM_X86_64: return "x86-64";
    case EM_ARM: return "ARM";
    case EM_AARCH64: return "AArch64";
    case EM_RISCV: return "RISC-V";
    }
    return "unknown";
}

/* The ELF header proper: an x86 executable with a sane program header table. */
static enum loader_err check_ehdr(struct image *im, struct loader_result *r)
{
    size_t ehsize = im->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    uint64_t want = im->is64 ? EM_X86_64 : EM_386, m;

    if (im->size < ehsize)
        return fail(r, LOADER_E_SHORT, "truncated ELF header (%zu of %zu bytes)",
                    im->size, ehsize);
    if (EHDR(im, e_type) != ET_EXEC)
        return fail(r, LOADER_E_TYPE, "not an executable (e_type %llu, want ET_EXEC)",
                    (unsigned long long)EHDR(im, e_type));
    m = EHDR(im, e_machine);
    if (m != want)
        return fail(r, LOADER_E_MACHINE, "wrong machine %s (e_machine %llu), want %s",
                    machine_name(m), (unsigned long long)m, machine_name(want));
    if (EHDR(im, e_version) != EV_CURRENT)
        return fail(r, LOADER_E_VERSION, "unsupported ELF version %llu",
                    (unsigned long long)EHDR(im, e_version));
    return LOADER_OK;
}

static enum loader_err check_phdr_table(struct image *im, struct loader_result *r)
{
    size_t want = im->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);

    im->phoff = EHDR(im, e_phoff);
    im->phnum = (unsigned)EHDR(im, e_phnum);
    im->phentsize = (unsigned)EHDR(im, e_phentsize);
    if (im->phnum == 0)
        return fail(r, LOADER_E_PHDRS, "no program headers");
    if (im->phentsize != want)
        return fail(r, LOADER_E_PHDRS, "program header size %u, want %zu",
                    im->phentsize, want);
    /* phnum * phentsize is at most 0xffff * 56: no overflow in 64 bits. */
    if (im->phoff > im->size || (uint64_t)im->phnum * want > im->size - im->phoff)
        return fail(r, LOADER_E_PHDRS, "program headers past end of file");
    return LOADER_OK;
}

static void read_phdr(const struct image *im, unsigned i, struct phdr *ph)
{
    const uint8_t *b = im->p + im->phoff + (size_t)i * im->phentsize;

    if (im->is64) {
        ph->type = (uint32_t)FIELD(b, Elf64_Phdr, p_type);
        ph->flags = (uint32_t)FIELD(b, Elf64_Phdr, p_flags);
        ph->offset = FIELD(b, Elf64_Phdr, p_offset);
        ph->paddr = FIELD(b, Elf64_Phdr, p_paddr);
        ph->filesz = FIELD(b, Elf64_Phdr, p_filesz);
        ph->memsz = FIELD(b, Elf64_Phdr, p_memsz);
        ph->align = FIELD(b, Elf64_Phdr, p_align);
    } else {
        ph->type = (uint32_t)FIELD(b, Elf32_Phdr, p_type);
        ph->flags = (uint32_t)FIELD(b, Elf32_Phdr, p_flags);
        ph->offset = FIELD(b, Elf32_Phdr, p_offset);
        ph->paddr = FIELD(b, Elf32_Phdr, p_paddr);
        ph->filesz = FIELD(b, Elf32_Phdr, p_filesz);
        ph->memsz = FIELD(b, Elf32_Phdr, p_memsz);
        ph->align = FIELD(b, Elf32_Phdr, p_align);
    }
}

/* Does [a, a_end) meet [b, b_end)? */
static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

/* Where a PT_LOAD segment wants to go: inside guest RAM, clear of the
   start-info area. The legacy hole below 1 MiB is backed by RAM too and
   linkers put the ELF headers' page there (a kernel linked at 1 MiB gets
   a segment at 0xff000), so loading into it is allowed; the memory map
   marks it reserved so the kernel will not allocate from it. */
static enum loader_err check_placement(const struct image *im, unsigned i,
                                       const struct phdr *ph, struct loader_result *r)
{
    uint64_t end;

    if (ph->memsz > UINT64_MAX - ph->paddr)
        return fail(r, LOADER_E_SEG_WRAP, "segment %u: address %#llx + size %#llx wraps",
                    i, (unsigned long long)ph->paddr, (unsigned long long)ph->memsz);
    end = ph->paddr + ph->memsz;
    if (end > im->ram_size)
        return fail(r, LOADER_E_SEG_RAM, "segment %u [%#llx, %#llx) is past guest RAM (%zu MiB)",
                    i, (unsigned long long)ph->paddr, (unsigned long long)end,
                    im->ram_size >> 20);
    if (overlaps(ph->paddr, end, LOADER_INFO_BASE, LOADER_INFO_END))
        return fail(r, LOADER_E_SEG_INFO, "segment %u [%#llx, %#llx) overlaps the start "
                    "info area [%#x, %#x)", i, (unsigned long long)ph->paddr,
                    (unsigned long long)end, LOADER_INFO_BASE, LOADER_INFO_END);
    if (overlaps(ph->paddr, end, LOADER_TABLES_BASE, LOADER_TABLES_END))
        return fail(r, LOADER_E_SEG_INFO, "segment %u [%#llx, %#llx) overlaps the firmware "
                    "tables [%#x, %#x)", i, (unsigned long long)ph->paddr,
                    (unsigned long long)end, LOADER_TABLES_BASE, LOADER_TABLES_END);
    return LOADER_OK;
}

/* Any segment's file bytes must lie inside the file (PT_NOTE is read too). */
static enum loader_err check_file_range(const struct image *im, unsigned i,
                                        const struct phdr *ph, struct loader_result *r)
{
    if (ph->offset > im->size || ph->filesz > im->size - ph->offset)
        return fail(r, LOADER_E_SEG_FILE, "segment %u: file bytes [%#llx, +%#llx) past end "
                    "of file (%zu bytes)", i, (unsigned long long)ph->offset,
                    (unsigned long long)ph->filesz, im->size);
    return LOADER_OK;
}

static enum loader_err check_load(const struct image *im, unsigned i, const struct phdr *ph,
                                  struct loader_result *r)
{
    enum loader_err err = check_file_range(im, i, ph, r);

    if (err)
        return err;
    if (ph->filesz > ph->memsz)
        return fail(r, LOADER_E_SEG_SIZE, "segment %u: p_filesz %#llx > p_memsz %#llx", i,
                    (unsigned long long)ph->filesz, (unsigned long long)ph->memsz);
    if (ph->memsz == 0)
        return LOADER_OK; /* occupies nothing */
    return check_placement(im, i, ph, r);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1); /* v < 2^33 here: no wrap */
}

static bool is_pvh_note(const uint8_t *name, uint64_t namesz, uint64_t type)
{
    return type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == sizeof PVH_ELFNOTE_NAME &&
           memcmp(name, PVH_ELFNOTE_NAME, sizeof PVH_ELFNOTE_NAME) == 0;
}

/* Walk the notes of one PT_NOTE segment (ELF gABI "Note Section": 12-byte
   header, name and descriptor each padded to the segment's 4- or 8-byte
   alignment). Sets *entry and returns true in *found at the first PVH note. */
static enum loader_err scan_notes(const struct image *im, unsigned i, const struct phdr *ph,
                                  uint64_t *entry, bool *found, struct loader_result *r)
{
    const uint8_t *n = im->p + ph->offset;
    uint64_t left = ph->filesz, a = ph->align == 8 ? 8 : 4;

    while (left >= 12) {
        uint64_t namesz = acpi_get32(n), descsz = acpi_get32(n + 4), type = acpi_get32(n + 8);
        uint64_t nlen = align_up(namesz, a), dlen = align_up(descsz, a);

        left -= 12;
        if (nlen > left || dlen > left - nlen)
            return fail(r, LOADER_E_NOTE, "segment %u: note sizes (namesz %#llx, descsz %#llx) "
                        "run past the segment", i, (unsigned long long)namesz,
                        (unsigned long long)descsz);
        if (is_pvh_note(n + 12, namesz, type)) {
            if (descsz != 4 && descsz != 8)
                return fail(r, LOADER_E_NOTE, "PVH entry note has a %llu-byte descriptor, "
                            "want 4 or 8", (unsigned long long)descsz);
            *entry = acpi_getn(n + 12 + nlen, (unsigned)descsz);
            *found = true;
            return LOADER_OK;
        }
        n += 12 + nlen + dlen;
        left -= nlen + dlen;
    }
    return LOADER_OK;
}

static enum loader_err check_note(const struct image *im, unsigned i, const struct phdr *ph,
                                  uint64_t *entry, bool *found, struct loader_result *r)
{
    enum loader_err err = check_file_range(im, i, ph, r);

    if (err || *found)
        return err; /* the first PVH note wins; later ones are not read */
    return scan_notes(im, i, ph, entry, found, r);
}

/* A loadable segment that occupies RAM, as far as check_segments has seen. */
struct placed {
    unsigned i;
    uint64_t lo, hi;
};

/* [ph] against every segment placed before it: two segments on the same
   bytes would make one overwrite the other (its zeroed tail over the
   other's code, say), so the image means nothing definite. At most
   LOADER_LOADS_MAX segments, so the check is at most 64 * 63 / 2 pairs. */
static enum loader_err check_overlap(unsigned i, const struct phdr *ph, struct placed *seen,
                                     unsigned *nseen, struct loader_result *r)
{
    uint64_t end = ph->paddr + ph->memsz;       /* check_placement: no wrap */

    if (*nseen == LOADER_LOADS_MAX)
        return fail(r, LOADER_E_PHDRS, "more than %u loadable segments", LOADER_LOADS_MAX);
    for (unsigned k = 0; k < *nseen; k++)
        if (overlaps(ph->paddr, end, seen[k].lo, seen[k].hi))
            return fail(r, LOADER_E_SEG_OVERLAP, "segments %u [%#llx, %#llx) and %u "
                        "[%#llx, %#llx) overlap", seen[k].i, (unsigned long long)seen[k].lo,
                        (unsigned long long)seen[k].hi, i, (unsigned long long)ph->paddr,
                        (unsigned long long)end);
    seen[(*nseen)++] = (struct placed){ i, ph->paddr, end };
    return LOADER_OK;
}

/* Every program header: loadable ones placed, note ones scanned. */
static enum loader_err check_segments(const struct image *im, uint64_t *entry, bool *found,
                                      struct loader_result *r)
{
    struct placed seen[LOADER_LOADS_MAX];
    unsigned nseen = 0;
    enum loader_err err = LOADER_OK;
    struct phdr ph;

    for (unsigned i = 0; i < im->phnum && !err; i++) {
        read_phdr(im, i, &ph);
        if (ph.type == PT_LOAD && !(err = check_load(im, i, &ph, r)) && ph.memsz)
            err = check_overlap(i, &ph, seen, &nseen, r);
        else if (ph.type == PT_NOTE)
            err = check_note(im, i, &ph, entry, found, r);
    }
    return err;
}

/* PVH enters in 32-bit mode at a physical address the kernel provided: it
   must be below 4 GiB and land on bytes loaded from the file, in a segment
   the kernel marked executable (PF_X): an entry anywhere else is a broken
   link, even if paging off would let the CPU run it. */
static enum loader_err check_entry(const struct image *im, uint64_t entry,
                                   struct loader_result *r)
{
    struct phdr ph;

    if (entry > UINT32_MAX)
        return fail(r, LOADER_E_ENTRY, "PVH entry %#llx is above 4 GiB",
                    (unsigned long long)entry);
    for (unsigned i = 0; i < im->phnum; i++) {
        read_phdr(im, i, &ph);
        if (ph.type == PT_LOAD && entry >= ph.paddr && entry - ph.paddr < ph.filesz)
            return ph.flags & PF_X ? LOADER_OK
                                   : fail(r, LOADER_E_ENTRY, "PVH entry %#llx is in segment "
                                          "%u, which is not executable (no PF_X)",
                                          (unsigned long long)entry, i);
    }
    return fail(r, LOADER_E_ENTRY, "PVH entry %#llx is not inside a loaded segment",
                (unsigned long long)entry);
}

static enum loader_err check_image(struct image *im, uint64_t *entry, struct loader_result *r)
{
    enum loader_err err;
    bool found = false;

    if ((err = check_ident(im, r)) || (err = check_ehdr(im, r)) ||
        (err = check_phdr_table(im, r)) || (err = check_segments(im, entry, &found, r)))
        return err;
    if (!found)
        return fail(r, LOADER_E_NO_PVH, "no PVH entry note (Xen, XEN_ELFNOTE_PHYS32_ENTRY); "
                    "not a PVH kernel");
    return check_entry(im, *entry, r);
}

/* Only after check_image passed: every range below was proven in bounds. */
static void copy_segments(const struct image *im, uint8_t *ram, struct loader_result *r)
{
    struct phdr ph;

    r->lo = UINT64_MAX;
    r->hi = 0;
    for (unsigned i = 0; i < im->phnum; i++) {
        read_phdr(im, i, &ph);
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        memcpy(ram + ph.paddr, im->p + ph.offset, ph.filesz);
        memset(ram + ph.paddr + ph.filesz, 0, ph.memsz - ph.filesz);
        r->lo = ph.paddr < r->lo ? ph.paddr : r->lo;
        r->hi = ph.paddr + ph.memsz > r->hi ? ph.paddr + ph.memsz : r->hi;
    }
}

static bool ram_usable(const uint8_t *ram, size_t ram_size)
{
    return ram && ram_size >= LOADER_HIGH_RAM;
}

enum loader_err loader_load_pvh(const uint8_t *file, size_t size, uint8_t *ram,
                                size_t ram_size, struct loader_result *r)
{
    struct image im = { .p = file, .size = size, .ram_size = ram_size };
    enum loader_err err;

    memset(r, 0, sizeof *r);
    if (!ram_usable(ram, ram_size))
        return fail(r, LOADER_E_RAM, "guest RAM below %u KiB", LOADER_HIGH_RAM >> 10);
    if (!file)
        size = im.size = 0;
    if ((err = check_image(&im, &r->entry, r)))
        return err;
    copy_segments(&im, ram, r);
    return LOADER_OK;
}

//! [monitor-start-info]
/* The PC layout: low RAM, the legacy hole, then RAM from 1 MiB up. */
static uint32_t put_memmap(uint8_t *ram, size_t ram_size)
{
    hvm_memmap_table_entry map[LOADER_MEMMAP_MAX];
    uint32_t n = 0;

    pvh_memmap_add(map, &n, LOADER_MEMMAP_MAX, 0, LOADER_LOW_RAM_END, XEN_HVM_MEMMAP_TYPE_RAM);
    pvh_memmap_add(map, &n, LOADER_MEMMAP_MAX, LOADER_LOW_RAM_END,
                   LOADER_HIGH_RAM - LOADER_LOW_RAM_END, XEN_HVM_MEMMAP_TYPE_RESERVED);
    if (ram_size > LOADER_HIGH_RAM)
        pvh_memmap_add(map, &n, LOADER_MEMMAP_MAX, LOADER_HIGH_RAM,
                       ram_size - LOADER_HIGH_RAM, XEN_HVM_MEMMAP_TYPE_RAM);
    memcpy(ram + LOADER_MEMMAP_PADDR, map, n * sizeof map[0]);
    return n;
}

/* The start info, version 1: no modules, the command line and the memory
   map where the area keeps them; rsdp_paddr is loader_set_rsdp()'s. */
static void put_start_info(uint8_t *ram, uint32_t memmap_entries)
{
    hvm_start_info si;

    pvh_start_info_init(&si);
    si.cmdline_paddr = LOADER_CMDLINE_PADDR;
    si.memmap_paddr = LOADER_MEMMAP_PADDR;
    si.memmap_entries = memmap_entries;
    memcpy(ram + LOADER_INFO_BASE, &si, sizeof si);
}
//! [monitor-start-info]

enum loader_err loader_start_info(uint8_t *ram, size_t ram_size, const char *cmdline,
                                  uint32_t *start_info, struct loader_result *r)
{
    size_t len = cmdline ? strlen(cmdline) : 0;

    memset(r, 0, sizeof *r);
    if (!ram_usable(ram, ram_size))
        return fail(r, LOADER_E_RAM, "guest RAM below %u KiB", LOADER_HIGH_RAM >> 10);
    if (len > LOADER_CMDLINE_MAX)
        return fail(r, LOADER_E_CMDLINE, "command line longer than %u bytes",
                    LOADER_CMDLINE_MAX);
    memset(ram + LOADER_INFO_BASE, 0, LOADER_INFO_END - LOADER_INFO_BASE);
    put_start_info(ram, put_memmap(ram, ram_size));
    if (len)
        memcpy(ram + LOADER_CMDLINE_PADDR, cmdline, len);
    *start_info = LOADER_INFO_BASE;
    return LOADER_OK;
}

enum loader_err loader_set_rsdp(uint8_t *ram, size_t ram_size, uint64_t rsdp,
                                struct loader_result *r)
{
    memset(r, 0, sizeof *r);
    if (!ram_usable(ram, ram_size))
        return fail(r, LOADER_E_RAM, "guest RAM below %u KiB", LOADER_HIGH_RAM >> 10);
    memcpy(ram + LOADER_INFO_BASE + offsetof(hvm_start_info, rsdp_paddr), &rsdp, sizeof rsdp);
    return LOADER_OK;
}
