/* vm_loader_test.c - white-box tests of vm/loader.c, the PVH kernel loader.

   Builds ELF images in memory (a good ELF64 and ELF32 PVH kernel, then one
   broken field at a time), loads each into a RAM buffer, and checks the
   loader's verdict and what it wrote. A rejected kernel must leave RAM
   exactly as it was; an accepted one must change only its segments. Every
   image sits in a buffer of exactly its size, so under AddressSanitizer any
   read past the end of the "file" is caught. A last pass flips random bytes
   of the good images: the loader must neither crash nor write out of range.

   The start info and memory map are read back at the offsets the PVH ABI
   gives (Xen's start_info.h), and through hdr/pvh.h's reader, the kernel's.

   Prints "ok NAME" or "FAIL NAME: why" per case; exits 1 if any failed.
   Build: gcc -std=c11 -I../hdr -fsanitize=address,undefined ... vm_loader_test.c
          ../vm/loader.c */
#define PVH_IMPLEMENTATION      /* hdr/pvh.h, which loader.h includes */
#define PVH_STATIC
#include "../vm/loader.h"

#define ACPI_IMPLEMENTATION     /* hdr/acpi.h: the little-endian helpers */
#define ACPI_STATIC
#include "acpi.h"

#include <elf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM_SIZE (4u << 20)
#define RAM_FILL 0xa5
#define FILE_MAX 0x3000

/* The good image: two PT_LOADs and a PT_NOTE holding two notes, the PVH
   one second so the walk must step over the first (and its padding). */
#define TEXT_OFF 0x1000u
#define TEXT_PADDR 0x100000u
#define TEXT_FILESZ 0x100u
#define TEXT_MEMSZ 0x2000u     /* a zeroed tail, like .bss */
#define DATA_OFF 0x1100u
#define DATA_PADDR 0x200000u
#define DATA_SIZE 0x80u
#define NOTE_OFF 0x200u
#define ENTRY 0x100010u

struct image {
    bool is64;
    uint8_t buf[FILE_MAX];
    size_t size;
    size_t phoff, phentsize;
    size_t pvh_note;            /* offset of the PVH note's header */
};

static uint8_t *ram, *fill;   /* guest RAM, and what it holds untouched */
static int failures;

/* ---- building images ----------------------------------------------------- */

#define SET(p, T, f, v) acpi_putn((p) + offsetof(T, f), (v), sizeof(((T *)0)->f))
#define EH(im, f, v) \
    ((im)->is64 ? SET((im)->buf, Elf64_Ehdr, f, v) : SET((im)->buf, Elf32_Ehdr, f, v))
#define PH(im, i, f, v)                                                   \
    ((im)->is64 ? SET((im)->buf + (im)->phoff + (i) * (im)->phentsize, Elf64_Phdr, f, v) \
                : SET((im)->buf + (im)->phoff + (i) * (im)->phentsize, Elf32_Phdr, f, v))

static void set_phdr(struct image *im, unsigned i, uint32_t type, uint64_t off,
                     uint64_t paddr, uint64_t filesz, uint64_t memsz, uint64_t align)
{
    PH(im, i, p_type, type);
    PH(im, i, p_offset, off);
    PH(im, i, p_vaddr, paddr + 0x80000000u);   /* the loader must use p_paddr */
    PH(im, i, p_paddr, paddr);
    PH(im, i, p_filesz, filesz);
    PH(im, i, p_memsz, memsz);
    PH(im, i, p_align, align);
}

/* A note: 12-byte header, name and descriptor each padded to `a` bytes (4,
   or 8 in a PT_NOTE whose p_align is 8, as GNU property notes are). */
static size_t put_note(uint8_t *p, const char *name, uint32_t type, uint64_t desc,
                       uint32_t descsz, uint32_t a)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1, nlen = (namesz + a - 1) & ~(a - 1);

    acpi_put32(p, namesz);
    acpi_put32(p + 4, descsz);
    acpi_put32(p + 8, type);
    memcpy(p + 12, name, namesz);
    acpi_putn(p + 12 + nlen, desc, descsz);
    return 12 + nlen + ((descsz + a - 1) & ~(a - 1));
}

static void put_ident(struct image *im)
{
    uint8_t *e = im->buf;

    memcpy(e, ELFMAG, SELFMAG);
    e[EI_CLASS] = im->is64 ? ELFCLASS64 : ELFCLASS32;
    e[EI_DATA] = ELFDATA2LSB;
    e[EI_VERSION] = EV_CURRENT;
}

static void put_ehdr(struct image *im)
{
    im->phoff = im->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    im->phentsize = im->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    put_ident(im);
    EH(im, e_type, ET_EXEC);
    EH(im, e_machine, im->is64 ? EM_X86_64 : EM_386);
    EH(im, e_version, EV_CURRENT);
    EH(im, e_entry, 0xdead0000u);              /* PVH ignores e_entry */
    EH(im, e_phoff, im->phoff);
    EH(im, e_ehsize, im->phoff);
    EH(im, e_phentsize, im->phentsize);
    EH(im, e_phnum, 3);
}

static void put_contents(struct image *im)
{
    for (unsigned i = 0; i < TEXT_FILESZ; i++)
        im->buf[TEXT_OFF + i] = (uint8_t)(i ^ 0x5a);
    for (unsigned i = 0; i < DATA_SIZE; i++)
        im->buf[DATA_OFF + i] = (uint8_t)(i ^ 0xc3);
}

/* A good PVH kernel of either class with notes padded to `align`; ELF64
   gets an 8-byte entry note unless desc4 asks for the 4-byte form (both
   are valid). */
static void build_aligned(struct image *im, bool is64, bool desc4, uint32_t align)
{
    uint32_t descsz = is64 && !desc4 ? 8 : 4;
    size_t notes;

    memset(im, 0, sizeof *im);
    im->is64 = is64;
    put_ehdr(im);
    notes = put_note(im->buf + NOTE_OFF, "Breadboard", 1, 0x11223344, 4, align);
    im->pvh_note = NOTE_OFF + notes;
    notes += put_note(im->buf + im->pvh_note, "Xen", 18, ENTRY, descsz, align);
    set_phdr(im, 0, PT_LOAD, TEXT_OFF, TEXT_PADDR, TEXT_FILESZ, TEXT_MEMSZ, 0x1000);
    set_phdr(im, 1, PT_NOTE, NOTE_OFF, 0, notes, notes, align);
    set_phdr(im, 2, PT_LOAD, DATA_OFF, DATA_PADDR, DATA_SIZE, DATA_SIZE, 0x1000);
    PH(im, 0, p_flags, PF_R | PF_X);           /* text: the entry is here */
    PH(im, 1, p_flags, PF_R);
    PH(im, 2, p_flags, PF_R | PF_W);
    put_contents(im);
    im->size = DATA_OFF + DATA_SIZE;
}

static void build(struct image *im, bool is64, bool desc4)
{
    build_aligned(im, is64, desc4, 4);
}

/* ---- checking ------------------------------------------------------------ */

__attribute__((format(printf, 2, 3)))
static bool fail(const char *name, const char *fmt, ...)
{
    va_list ap;

    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    failures++;
    return false;
}

/* First RAM byte in [lo, hi) that is not RAM_FILL, or hi. memcmp against
   a filled copy first: the random pass checks 4 MiB thousands of times. */
static size_t first_touched(size_t lo, size_t hi)
{
    if (lo < hi && memcmp(ram + lo, fill + lo, hi - lo) == 0)
        return hi;
    for (size_t a = lo; a < hi; a++)
        if (ram[a] != RAM_FILL)
            return a;
    return hi;
}

static bool ram_untouched(const char *name, size_t lo, size_t hi)
{
    size_t a = first_touched(lo, hi);

    return a == hi || fail(name, "RAM at %#zx changed (%#x)", a, ram[a]);
}

/* Load a copy of the image in a buffer of exactly `size` bytes. */
static enum loader_err load(const struct image *im, size_t size, size_t ram_size,
                            struct loader_result *r)
{
    uint8_t *file = malloc(size ? size : 1);
    enum loader_err err;

    memcpy(file, im->buf, size);
    memset(ram, RAM_FILL, RAM_SIZE);
    err = loader_load_pvh(size ? file : NULL, size, ram, ram_size, r);
    free(file);
    return err;
}

static void expect_reject(const char *name, const struct image *im, size_t size,
                          size_t ram_size, enum loader_err want)
{
    struct loader_result r;
    enum loader_err err = load(im, size, ram_size, &r);

    if (err != want)
        fail(name, "loader said %d (%s), want %d", err, r.msg, want);
    else if (!r.msg[0])
        fail(name, "no message");
    else if (ram_untouched(name, 0, RAM_SIZE))
        printf("ok %s (%s)\n", name, r.msg);
}

static bool segment_loaded(const char *name, const struct image *im, size_t off,
                           size_t paddr, size_t filesz, size_t memsz)
{
    if (memcmp(ram + paddr, im->buf + off, filesz) != 0)
        return fail(name, "segment at %#zx not copied", paddr);
    for (size_t a = paddr + filesz; a < paddr + memsz; a++)
        if (ram[a] != 0)
            return fail(name, "tail byte at %#zx not zeroed", a);
    return true;
}

static void expect_load(const char *name, const struct image *im)
{
    struct loader_result r;
    enum loader_err err = load(im, im->size, RAM_SIZE, &r);

    if (err != LOADER_OK)
        fail(name, "refused: %s", r.msg);
    else if (r.entry != ENTRY || r.lo != TEXT_PADDR || r.hi != DATA_PADDR + DATA_SIZE)
        fail(name, "entry %#llx range [%#llx, %#llx)", (unsigned long long)r.entry,
             (unsigned long long)r.lo, (unsigned long long)r.hi);
    else if (segment_loaded(name, im, TEXT_OFF, TEXT_PADDR, TEXT_FILESZ, TEXT_MEMSZ) &&
             segment_loaded(name, im, DATA_OFF, DATA_PADDR, DATA_SIZE, DATA_SIZE) &&
             ram_untouched(name, 0, TEXT_PADDR) &&
             ram_untouched(name, TEXT_PADDR + TEXT_MEMSZ, DATA_PADDR) &&
             ram_untouched(name, DATA_PADDR + DATA_SIZE, RAM_SIZE))
        printf("ok %s\n", name);
}

/* ---- the cases ----------------------------------------------------------- */

static void good_images(void)
{
    struct image im;

    build(&im, true, false);
    expect_load("valid-elf64", &im);
    build(&im, false, false);
    expect_load("valid-elf32", &im);
    build(&im, true, true);
    expect_load("valid-elf64-4-byte-entry-note", &im);
    build_aligned(&im, true, false, 8);
    expect_load("valid-elf64-notes-aligned-8", &im);
    /* A zero-sized segment occupies nothing, wherever it claims to be. */
    build(&im, true, false);
    EH(&im, e_phnum, 4);
    set_phdr(&im, 3, PT_LOAD, 0, 0xfffffffffffff000ull, 0, 0, 0);
    expect_load("empty-segment-anywhere", &im);
}

/* Segments below 1 MiB: allowed up to the edges of the two reserved
   areas, which loader.h keeps for the start info and the firmware tables. */
static void low_cases(void)
{
    struct loader_result r;
    struct image im;

    build(&im, true, false);
    PH(&im, 2, p_paddr, LOADER_INFO_BASE - DATA_SIZE);     /* ends at the info area */
    if (load(&im, im.size, RAM_SIZE, &r) != LOADER_OK)
        fail("segment-below-info-area", "refused: %s", r.msg);
    else if (segment_loaded("segment-below-info-area", &im, DATA_OFF, LOADER_INFO_BASE - DATA_SIZE,
                            DATA_SIZE, DATA_SIZE) &&
             ram_untouched("segment-below-info-area", LOADER_INFO_BASE, TEXT_PADDR))
        printf("ok segment-below-info-area\n");
    build(&im, false, false);
    PH(&im, 2, p_paddr, LOADER_INFO_END);                   /* starts right after it */
    if (load(&im, im.size, RAM_SIZE, &r) != LOADER_OK)
        fail("segment-after-info-area", "refused: %s", r.msg);
    else if (segment_loaded("segment-after-info-area", &im, DATA_OFF, LOADER_INFO_END, DATA_SIZE,
                            DATA_SIZE) &&
             ram_untouched("segment-after-info-area", 0, LOADER_INFO_END))
        printf("ok segment-after-info-area\n");
    build(&im, true, false);
    PH(&im, 2, p_paddr, LOADER_TABLES_END);
    if (load(&im, im.size, RAM_SIZE, &r) != LOADER_OK)
        fail("segment-after-firmware-tables", "refused: %s", r.msg);
    else if (ram_untouched("segment-after-firmware-tables", 0, LOADER_TABLES_END))
        printf("ok segment-after-firmware-tables\n");
}

static void file_cases(void)
{
    struct image im;

    build(&im, true, false);
    expect_reject("empty", &im, 0, RAM_SIZE, LOADER_E_EMPTY);
    expect_reject("one-byte", &im, 1, RAM_SIZE, LOADER_E_SHORT);
    expect_reject("truncated-ident", &im, 10, RAM_SIZE, LOADER_E_SHORT);
    expect_reject("truncated-header", &im, 40, RAM_SIZE, LOADER_E_SHORT);
    im.buf[0] = 'x';
    expect_reject("one-byte-not-elf", &im, 1, RAM_SIZE, LOADER_E_NOT_ELF);
    build(&im, true, false);
    im.buf[2] = 'X';
    expect_reject("bad-magic", &im, im.size, RAM_SIZE, LOADER_E_NOT_ELF);
    build(&im, true, false);
    expect_reject("truncated-phdrs", &im, 0x60, RAM_SIZE, LOADER_E_PHDRS);
    expect_reject("truncated-segments", &im, 0x1080, RAM_SIZE, LOADER_E_SEG_FILE);
    expect_reject("ram-too-small", &im, im.size, 0x80000, LOADER_E_RAM);
}

static void ident_cases(void)
{
    struct image im;

    build(&im, true, false);
    im.buf[EI_CLASS] = 3;
    expect_reject("wrong-class", &im, im.size, RAM_SIZE, LOADER_E_CLASS);
    build(&im, true, false);
    im.buf[EI_DATA] = ELFDATA2MSB;
    expect_reject("big-endian", &im, im.size, RAM_SIZE, LOADER_E_ENDIAN);
    build(&im, true, false);
    im.buf[EI_VERSION] = 2;
    expect_reject("bad-ident-version", &im, im.size, RAM_SIZE, LOADER_E_VERSION);
    build(&im, true, false);
    EH(&im, e_machine, EM_AARCH64);
    expect_reject("wrong-machine-aarch64", &im, im.size, RAM_SIZE, LOADER_E_MACHINE);
    build(&im, true, false);
    EH(&im, e_machine, EM_386);
    expect_reject("wrong-machine-elf64-i386", &im, im.size, RAM_SIZE, LOADER_E_MACHINE);
    build(&im, false, false);
    EH(&im, e_machine, EM_X86_64);
    expect_reject("wrong-machine-elf32-x86-64", &im, im.size, RAM_SIZE, LOADER_E_MACHINE);
    build(&im, true, false);
    EH(&im, e_type, ET_DYN);
    expect_reject("not-executable", &im, im.size, RAM_SIZE, LOADER_E_TYPE);
}

static void phdr_table_cases(void)
{
    struct image im;

    build(&im, true, false);
    EH(&im, e_phoff, im.size - 10);
    expect_reject("phdrs-past-eof", &im, im.size, RAM_SIZE, LOADER_E_PHDRS);
    build(&im, true, false);
    EH(&im, e_phoff, 0xffffffffffffff00ull);
    expect_reject("phdrs-offset-wraps", &im, im.size, RAM_SIZE, LOADER_E_PHDRS);
    build(&im, true, false);
    EH(&im, e_phnum, 0xffff);
    expect_reject("phdrs-count-huge", &im, im.size, RAM_SIZE, LOADER_E_PHDRS);
    build(&im, true, false);
    EH(&im, e_phnum, 0);
    expect_reject("no-phdrs", &im, im.size, RAM_SIZE, LOADER_E_PHDRS);
    build(&im, true, false);
    EH(&im, e_phentsize, 32);
    expect_reject("phentsize-wrong", &im, im.size, RAM_SIZE, LOADER_E_PHDRS);
}

static void segment_cases(bool is64)
{
    struct image im;
    char name[64];

#define CASE(label, stmt, want)                                             \
    do {                                                                   \
        build(&im, is64, false);                                           \
        stmt;                                                              \
        snprintf(name, sizeof name, "%s-elf%d", label, is64 ? 64 : 32);     \
        expect_reject(name, &im, im.size, RAM_SIZE, want);                 \
    } while (0)

    CASE("segment-past-ram", PH(&im, 2, p_paddr, RAM_SIZE - 0x40), LOADER_E_SEG_RAM);
    CASE("segment-huge", PH(&im, 2, p_memsz, 0xfffff000u), LOADER_E_SEG_RAM);
    CASE("segment-overlaps-start-info", PH(&im, 2, p_paddr, LOADER_INFO_END - 0x10),
         LOADER_E_SEG_INFO);
    CASE("segment-overlaps-firmware-tables", PH(&im, 2, p_paddr, LOADER_TABLES_END - 0x10),
         LOADER_E_SEG_INFO);
    CASE("segment-covers-start-info", (PH(&im, 2, p_paddr, 0), PH(&im, 2, p_memsz, 0x10000)),
         LOADER_E_SEG_INFO);
    CASE("filesz-gt-memsz", PH(&im, 2, p_memsz, DATA_SIZE - 1), LOADER_E_SEG_SIZE);
    CASE("offset-filesz-past-eof", PH(&im, 2, p_offset, DATA_OFF + 1), LOADER_E_SEG_FILE);
    CASE("offset-past-eof", PH(&im, 2, p_offset, 0xfffffff0u), LOADER_E_SEG_FILE);
    CASE("note-segment-past-eof", PH(&im, 1, p_filesz, 0x10000), LOADER_E_SEG_FILE);
    CASE("entry-outside-segments", acpi_put32(im.buf + im.pvh_note + 16, 0x300000),
         LOADER_E_ENTRY);
    CASE("entry-in-bss-tail", acpi_put32(im.buf + im.pvh_note + 16, TEXT_PADDR + TEXT_FILESZ),
         LOADER_E_ENTRY);
    CASE("missing-pvh-note", PH(&im, 1, p_type, PT_NULL), LOADER_E_NO_PVH);
    CASE("pvh-note-wrong-name", im.buf[im.pvh_note + 14] = 'm', LOADER_E_NO_PVH);
    CASE("pvh-note-wrong-type", acpi_put32(im.buf + im.pvh_note + 8, 17), LOADER_E_NO_PVH);
    CASE("note-namesz-huge", acpi_put32(im.buf + NOTE_OFF, 0xffffffffu), LOADER_E_NOTE);
    CASE("note-descsz-huge", acpi_put32(im.buf + NOTE_OFF + 4, 0xffffffffu), LOADER_E_NOTE);
    CASE("pvh-note-namesz-huge", acpi_put32(im.buf + im.pvh_note, 0xffffffffu), LOADER_E_NOTE);
    CASE("pvh-note-descsz-huge", acpi_put32(im.buf + im.pvh_note + 4, 0xffffffffu),
         LOADER_E_NOTE);
    CASE("pvh-note-descsz-2", acpi_put32(im.buf + im.pvh_note + 4, 2), LOADER_E_NOTE);
    CASE("segments-overlap", PH(&im, 2, p_paddr, TEXT_PADDR + TEXT_MEMSZ - 1),
         LOADER_E_SEG_OVERLAP);
    CASE("segment-on-bss-tail", PH(&im, 2, p_paddr, TEXT_PADDR + TEXT_FILESZ),
         LOADER_E_SEG_OVERLAP);
    CASE("segments-same-address", PH(&im, 2, p_paddr, TEXT_PADDR), LOADER_E_SEG_OVERLAP);
    CASE("entry-not-executable", PH(&im, 0, p_flags, PF_R | PF_W), LOADER_E_ENTRY);
    CASE("entry-in-data-segment", acpi_put32(im.buf + im.pvh_note + 16, DATA_PADDR),
         LOADER_E_ENTRY);
    CASE("segment-on-info-area-edge", PH(&im, 2, p_paddr, LOADER_INFO_BASE - DATA_SIZE + 1),
         LOADER_E_SEG_INFO);
    CASE("segment-at-0-over-info-area", (PH(&im, 2, p_paddr, 0), PH(&im, 2, p_memsz, 0x6001)),
         LOADER_E_SEG_INFO);
    CASE("note-past-eof", PH(&im, 1, p_offset, DATA_OFF + DATA_SIZE - 4), LOADER_E_SEG_FILE);
    CASE("pvh-note-namesz-5", acpi_put32(im.buf + im.pvh_note, 5), LOADER_E_NOTE);
    CASE("pvh-note-descsz-0", acpi_put32(im.buf + im.pvh_note + 4, 0), LOADER_E_NOTE);
    CASE("pvh-note-descsz-16", acpi_put32(im.buf + im.pvh_note + 4, 16), LOADER_E_NOTE);
    CASE("note-segment-as-load", PH(&im, 1, p_type, PT_LOAD), LOADER_E_NO_PVH);
    CASE("bad-e-version", EH(&im, e_version, 2), LOADER_E_VERSION);
    CASE("phentsize-zero", EH(&im, e_phentsize, 0), LOADER_E_PHDRS);
#undef CASE
}

/* More loadable segments than the loader's cap (its overlap check is
   quadratic): 65 one-byte segments a page apart. */
static void many_segments_case(void)
{
    struct image im;
    unsigned n = LOADER_LOADS_MAX + 1;

    build(&im, true, false);
    im.phoff = 0x1200;                          /* after the data, before EOF */
    EH(&im, e_phoff, im.phoff);
    EH(&im, e_phnum, n + 1);
    set_phdr(&im, 0, PT_NOTE, NOTE_OFF, 0, im.pvh_note + 12 + 4 + 8 - NOTE_OFF,
             im.pvh_note + 24 - NOTE_OFF, 4);
    im.size = im.phoff + (n + 1) * im.phentsize;
    if (im.size > FILE_MAX) {
        fail("too-many-segments", "image of %zu bytes does not fit", im.size);
        return;
    }
    for (unsigned i = 1; i <= n; i++)
        set_phdr(&im, i, PT_LOAD, TEXT_OFF, TEXT_PADDR + (uint64_t)i * 0x1000, 1, 1, 0x1000);
    expect_reject("too-many-segments", &im, im.size, RAM_SIZE, LOADER_E_PHDRS);
}

/* Only ELF64 can say these: addresses and entries beyond 32 bits. */
static void wide_cases(void)
{
    struct image im;

    build(&im, true, false);
    PH(&im, 2, p_paddr, 0xfffffffffffff000ull);
    PH(&im, 2, p_memsz, 0x2000);
    expect_reject("address-wraps-2^64", &im, im.size, RAM_SIZE, LOADER_E_SEG_WRAP);
    build(&im, true, false);
    PH(&im, 2, p_offset, 0xffffffffffffff00ull);
    PH(&im, 2, p_filesz, 0x200);
    PH(&im, 2, p_memsz, 0x200);
    expect_reject("offset-wraps-2^64", &im, im.size, RAM_SIZE, LOADER_E_SEG_FILE);
    build(&im, true, false);
    acpi_put64(im.buf + im.pvh_note + 16, 0x100000000ull + ENTRY);
    expect_reject("entry-above-4g", &im, im.size, RAM_SIZE, LOADER_E_ENTRY);
    /* An ELF32 may have the 8-byte form of the note too (QEMU reads either
       by its size), and can say an entry above 4 GiB with it. */
    build(&im, false, false);
    acpi_put32(im.buf + im.pvh_note + 4, 8);
    acpi_put64(im.buf + im.pvh_note + 16, ENTRY);
    PH(&im, 1, p_filesz, im.pvh_note + 24 - NOTE_OFF);
    PH(&im, 1, p_memsz, im.pvh_note + 24 - NOTE_OFF);
    expect_load("elf32-8-byte-entry-note", &im);
    acpi_put64(im.buf + im.pvh_note + 16, 0x100000000ull + ENTRY);
    expect_reject("elf32-entry-above-4g", &im, im.size, RAM_SIZE, LOADER_E_ENTRY);
}

/* ---- start info ---------------------------------------------------------- */

static bool memmap_ok(const char *name, const uint8_t *e)
{
    static const uint64_t want[3][3] = {
        { 0, 0x9fc00, 1 }, { 0x9fc00, 0x100000 - 0x9fc00, 2 }, { 0x100000, RAM_SIZE - 0x100000, 1 },
    };

    for (int i = 0; i < 3; i++, e += 24)
        if (acpi_get64(e) != want[i][0] || acpi_get64(e + 8) != want[i][1] ||
            acpi_get32(e + 16) != want[i][2] || acpi_get32(e + 20) != 0)
            return fail(name, "memmap entry %d is {%#llx, %#llx, %lu, %lu}", i,
                        (unsigned long long)acpi_get64(e), (unsigned long long)acpi_get64(e + 8),
                        (unsigned long)acpi_get32(e + 16), (unsigned long)acpi_get32(e + 20));
    return true;
}

/* What the kernel's reader (hdr/pvh.h) makes of the same bytes: a valid
   start info, and all the RAM the map gives, the legacy hole excepted. */
static bool kernel_view_ok(const char *name, uint32_t si)
{
    hvm_start_info info;
    hvm_memmap_table_entry map[3];
    uint64_t ram_bytes;

    memcpy(&info, ram + si, sizeof info);
    if (!pvh_start_info_valid(&info, sizeof info))
        return fail(name, "pvh_start_info_valid() refuses the loader's start info");
    if (info.memmap_entries != 3 || info.memmap_paddr != LOADER_MEMMAP_PADDR)
        return fail(name, "the kernel sees %lu entries at %#llx",
                    (unsigned long)info.memmap_entries, (unsigned long long)info.memmap_paddr);
    memcpy(map, ram + info.memmap_paddr, sizeof map);
    ram_bytes = pvh_memmap_ram(map, info.memmap_entries);
    if (ram_bytes != RAM_SIZE - (0x100000 - 0x9fc00))
        return fail(name, "the kernel counts %#llx bytes of RAM", (unsigned long long)ram_bytes);
    return true;
}

static bool start_info_ok(const char *name, uint32_t si, const char *cmdline)
{
    const uint8_t *p = ram + si;

    if (acpi_get32(p) != XEN_HVM_START_MAGIC_VALUE || acpi_get32(p + 4) != 1)
        return fail(name, "magic %#lx version %lu", (unsigned long)acpi_get32(p),
                    (unsigned long)acpi_get32(p + 4));
    if (acpi_get64(p + 24) != LOADER_CMDLINE_PADDR ||
        strcmp((char *)ram + LOADER_CMDLINE_PADDR, cmdline))
        return fail(name, "command line not where start info says");
    if (acpi_get64(p + 32) != 0 || acpi_get64(p + 40) != LOADER_MEMMAP_PADDR ||
        acpi_get32(p + 48) != 3)
        return fail(name, "rsdp/memmap fields wrong");
    if (acpi_get32(p + 8) != 0 || acpi_get32(p + 12) != 0 || acpi_get64(p + 16) != 0 ||
        acpi_get32(p + 52) != 0)
        return fail(name, "flags, modules or reserved not 0");
    return memmap_ok(name, ram + LOADER_MEMMAP_PADDR) && kernel_view_ok(name, si) &&
           ram_untouched(name, 0, LOADER_INFO_BASE) &&
           ram_untouched(name, LOADER_INFO_END, RAM_SIZE);
}

static void start_info_cases(void)
{
    static char long_line[LOADER_CMDLINE_MAX + 2];
    struct loader_result r;
    uint32_t si = 0;

    memset(ram, RAM_FILL, RAM_SIZE);
    if (loader_start_info(ram, RAM_SIZE, "console=ttyS0 quiet", &si, &r) != LOADER_OK)
        fail("start-info", "refused: %s", r.msg);
    else if (start_info_ok("start-info", si, "console=ttyS0 quiet"))
        printf("ok start-info\n");
    memset(long_line, 'x', LOADER_CMDLINE_MAX);
    memset(ram, RAM_FILL, RAM_SIZE);
    if (loader_start_info(ram, RAM_SIZE, long_line, &si, &r) != LOADER_OK)
        fail("start-info-cmdline-max", "refused: %s", r.msg);
    else if (start_info_ok("start-info-cmdline-max", si, long_line))
        printf("ok start-info-cmdline-max\n");
    long_line[LOADER_CMDLINE_MAX] = 'x';
    memset(ram, RAM_FILL, RAM_SIZE);
    if (loader_start_info(ram, RAM_SIZE, long_line, &si, &r) != LOADER_E_CMDLINE)
        fail("start-info-cmdline-too-long", "accepted a %u-byte line", LOADER_CMDLINE_MAX + 1);
    else if (ram_untouched("start-info-cmdline-too-long", 0, RAM_SIZE))
        printf("ok start-info-cmdline-too-long\n");
}

/* hdr/pvh.h's reader on start infos no loader should write: a wrong magic,
   too few bytes for the version, none at all; a version 0 start info in
   its 40 bytes, and a newer version, are accepted. Its map helpers: a full
   map refuses an entry, a lying map's RAM saturates instead of wrapping. */
static void pvh_cases(void)
{
    hvm_start_info si;
    hvm_memmap_table_entry map[2];
    uint32_t n = 0;
    bool ok = true;

    pvh_start_info_init(&si);
    ok &= si.magic == XEN_HVM_START_MAGIC_VALUE && si.version == 1 && si.rsdp_paddr == 0;
    ok &= pvh_start_info_valid(&si, sizeof si);
    ok &= !pvh_start_info_valid(&si, sizeof si - 1);            /* version 1 needs 56 */
    ok &= !pvh_start_info_valid(NULL, sizeof si);
    si.version = 0;
    ok &= pvh_start_info_valid(&si, PVH_START_INFO_V0_SIZE);
    ok &= !pvh_start_info_valid(&si, PVH_START_INFO_V0_SIZE - 1);
    si.version = 7;
    ok &= pvh_start_info_valid(&si, sizeof si);
    si.magic ^= 0x80;
    ok &= !pvh_start_info_valid(&si, sizeof si);
    if (!ok)
        fail("pvh-start-info-valid", "a start info judged wrongly");
    else
        printf("ok pvh-start-info-valid\n");

    ok = pvh_memmap_add(map, &n, 2, 0x1000, UINT64_MAX - 0x10, XEN_HVM_MEMMAP_TYPE_RAM);
    ok &= pvh_memmap_add(map, &n, 2, 0x2000, 0x20, XEN_HVM_MEMMAP_TYPE_RAM);
    ok &= !pvh_memmap_add(map, &n, 2, 0x3000, 0x30, XEN_HVM_MEMMAP_TYPE_RAM) && n == 2;
    ok &= map[1].addr == 0x2000 && map[1].size == 0x20 && map[1].reserved == 0;
    ok &= pvh_memmap_ram(map, 2) == UINT64_MAX && pvh_memmap_ram(map, 0) == 0;
    map[0].type = XEN_HVM_MEMMAP_TYPE_RESERVED;
    ok &= pvh_memmap_ram(map, 2) == 0x20;
    if (!ok)
        fail("pvh-memmap", "pvh_memmap_add() or pvh_memmap_ram() wrong");
    else
        printf("ok pvh-memmap\n");
}

/* ---- random damage ------------------------------------------------------- */

/* Flip bytes in the headers and notes of good images. Whatever the loader
   decides, it must not read outside the file (ASan) and, if it refuses,
   must not have written RAM; if it accepts, RAM outside the range it
   reports loading must be untouched. Deterministic (fixed seed). */
static void random_damage(void)
{
    struct loader_result r;
    struct image im;
    unsigned long seed = 12345, bad = 0;

    for (int n = 0; n < 3000 && !bad; n++) {
        build(&im, n & 1, false);
        for (int k = 0; k < 1 + n % 4; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            im.buf[(seed >> 33) % 0x260] ^= (uint8_t)(1u << ((seed >> 20) & 7));
        }
        if (load(&im, im.size, RAM_SIZE, &r) != LOADER_OK)
            bad = first_touched(0, RAM_SIZE) != RAM_SIZE;
        else
            bad = r.lo > r.hi || r.hi > RAM_SIZE || first_touched(0, r.lo) != r.lo ||
                  first_touched(r.hi, RAM_SIZE) != RAM_SIZE;
        if (bad)
            fail("random-damage", "case %d: RAM touched (loader said: %s)", n, r.msg);
    }
    if (!bad)
        printf("ok random-damage (3000 images)\n");
}

int main(void)
{
    ram = malloc(RAM_SIZE);
    fill = malloc(RAM_SIZE);
    if (!ram || !fill)
        return 2;
    memset(fill, RAM_FILL, RAM_SIZE);
    good_images();
    low_cases();
    many_segments_case();
    file_cases();
    ident_cases();
    phdr_table_cases();
    segment_cases(true);
    segment_cases(false);
    wide_cases();
    start_info_cases();
    pvh_cases();
    random_damage();
    free(ram);
    free(fill);
    printf("%s: %d failure%s\n", failures ? "FAIL" : "PASS", failures, failures == 1 ? "" : "s");
    return failures != 0;
}
