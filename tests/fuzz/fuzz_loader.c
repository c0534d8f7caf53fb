/* fuzz_loader.c - bbvm's PVH kernel loader, vm/loader.c, on any kernel file.

   INPUT
     byte 0     guest RAM, (byte & 7) % 5: 0 -> 4 MiB + 64 KiB, 1 -> 1 MiB
                (the loader's smallest), 2 -> 2 MiB + 4 KiB, 3 -> 4 MiB
                (bbvm's smallest), 4 -> 512 KiB (too small: refused)
     byte 1     unused (0)
     bytes 2-3  L, little-endian, mod 4200: the command line's length
     L bytes    the command line (cut at a NUL, as a C string is)
     the rest   the kernel file
   The file and guest RAM each sit in a buffer of exactly their size, so
   AddressSanitizer catches a read past the file or a write past RAM. RAM
   (one buffer per size, made once: 4 MiB allocations per input would
   make the target crawl) is filled with 0xa5 at the start of every input
   and compared with a filled copy, so nothing carries from one input to
   the next.
   Seeds: corpus/loader/seed-* are small real PVH kernels, ELF64 and ELF32
   (from tests/guest/halt.S and ports.S, and minimal hand-laid images),
   behind a 4-byte header with an empty or a long command line.

   PROPERTIES (loader.h's promises, checked from an independent reading of
   the ELF with <elf.h>'s layouts)
   - refused: a non-empty, one-line, NUL-terminated message, an error code
     of the enum, and RAM byte-identical to a copy taken before;
   - accepted: every PT_LOAD with p_memsz > 0 lies inside RAM, clear of
     the info area [LOADER_INFO_BASE, LOADER_INFO_END) and the firmware
     tables [LOADER_TABLES_BASE, LOADER_TABLES_END), overlapping no other;
     RAM holds its file bytes then zeros; every other RAM byte is as it
     was; r.lo/r.hi are the segments' bounds; the entry is below 4 GiB, on
     file bytes of a PF_X segment, and is what the first PVH note says;
   - loader_start_info() with the command line: a line over
     LOADER_CMDLINE_MAX bytes is refused with RAM unchanged; otherwise
     only the info area changes, the start info passes hdr/pvh.h's
     pvh_start_info_valid(), points at the line (NUL-terminated, equal)
     and at a memory map whose RAM is RAM less the legacy hole; then
     loader_set_rsdp() changes only rsdp_paddr;
   - bounded work: the loader's loops are bounded by the file's size and
     e_phnum; libFuzzer's -timeout catches a hang.

   RUN (from tests/fuzz)
     clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
       -I../../hdr fuzz_loader.c ../../vm/loader.c -o /tmp/fz/fuzz_loader
     /tmp/fz/fuzz_loader -max_len=65536 -max_total_time=120 /tmp/fz/loader corpus/loader
   Replay: gcc ... -I../../hdr fuzz_loader.c ../../vm/loader.c replay.c */
#define _DEFAULT_SOURCE         /* strnlen */
#define PVH_IMPLEMENTATION      /* hdr/pvh.h, which loader.h includes: the kernel's reader */
#define PVH_STATIC
#include "../../vm/loader.h"

#include <elf.h>
#include <stdbool.h>

#include "fuzz.h"

#define RAM_FILL 0xa5
#define RAM_MAX ((4u << 20) + (64u << 10))

static const uint8_t *fill_buf, *zero_buf; /* RAM_MAX bytes of RAM_FILL, of 0 */

/* ---- an independent reading of the file -------------------------------- */

struct seg {
    uint32_t type, flags;
    uint64_t offset, paddr, filesz, memsz, align;
};

static uint64_t get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    while (n--)
        v = v << 8 | p[n];
    return v;
}

/* Program header i of an image the loader accepted (so in bounds). */
static void seg_of(const uint8_t *f, bool is64, uint64_t phoff, unsigned i, struct seg *s)
{
    if (is64) {
        Elf64_Phdr ph;

        memcpy(&ph, f + phoff + (size_t)i * sizeof ph, sizeof ph);
        *s = (struct seg){ ph.p_type, ph.p_flags, ph.p_offset, ph.p_paddr, ph.p_filesz,
                           ph.p_memsz, ph.p_align };
    } else {
        Elf32_Phdr ph;

        memcpy(&ph, f + phoff + (size_t)i * sizeof ph, sizeof ph);
        *s = (struct seg){ ph.p_type, ph.p_flags, ph.p_offset, ph.p_paddr, ph.p_filesz,
                           ph.p_memsz, ph.p_align };
    }
}

static bool meets(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

/* The first PVH note's value, walking the notes of the PT_NOTE segments
   in order as the ELF gABI lays them out; false if none. */
static bool pvh_entry(const uint8_t *f, size_t size, bool is64, uint64_t phoff, unsigned phnum,
                      uint64_t *entry)
{
    for (unsigned i = 0; i < phnum; i++) {
        struct seg s;
        uint64_t a, at, end;

        seg_of(f, is64, phoff, i, &s);
        if (s.type != PT_NOTE)
            continue;
        FUZZ_CHECK(s.offset <= size && s.filesz <= size - s.offset, "accepted a note past EOF");
        a = s.align == 8 ? 8 : 4;
        for (at = s.offset, end = s.offset + s.filesz; end - at >= 12;) {
            uint64_t namesz = get(f + at, 4), descsz = get(f + at + 4, 4), type = get(f + at + 8, 4);
            uint64_t nlen = (namesz + a - 1) / a * a, dlen = (descsz + a - 1) / a * a;

            if (nlen + dlen > end - at - 12)
                return false;   /* the loader would have refused */
            if (type == 18 && namesz == 4 && memcmp(f + at + 12, "Xen", 4) == 0) {
                *entry = get(f + at + 12 + nlen, (unsigned)descsz);
                return true;
            }
            at += 12 + nlen + dlen;
        }
    }
    return false;
}

/* ---- the properties ---------------------------------------------------- */

static void check_refused(const struct loader_result *r, const uint8_t *ram, size_t ram_size)
{
    size_t n = strnlen(r->msg, sizeof r->msg);

    FUZZ_CHECK(r->err > LOADER_OK && r->err <= LOADER_E_SEG_OVERLAP, "error code %d", r->err);
    FUZZ_CHECK(n > 0 && n < sizeof r->msg, "message empty or unterminated");
    FUZZ_CHECK(!strchr(r->msg, '\n'), "message of two lines: %s", r->msg);
    FUZZ_CHECK(memcmp(ram, fill_buf, ram_size) == 0, "refused (%s) but RAM changed", r->msg);
}

static void check_accepted(const uint8_t *f, size_t size, const struct loader_result *r,
                           uint8_t *ram, size_t ram_size)
{
    bool is64 = f[EI_CLASS] == ELFCLASS64, in_x = false;
    uint64_t phoff = is64 ? get(f + 32, 8) : get(f + 28, 4), entry = 0;
    unsigned phnum = (unsigned)(is64 ? get(f + 56, 2) : get(f + 44, 2)), loads = 0;
    uint64_t lo = UINT64_MAX, hi = 0;

    FUZZ_CHECK(r->msg[0] == '\0', "accepted with a message: %s", r->msg);
    FUZZ_CHECK(size >= EI_NIDENT && memcmp(f, ELFMAG, SELFMAG) == 0 && f[EI_DATA] == ELFDATA2LSB,
               "accepted a file that is no little-endian ELF");
    FUZZ_CHECK(get(f + 16, 2) == ET_EXEC && get(f + 18, 2) == (is64 ? EM_X86_64 : EM_386),
               "accepted e_type %llu e_machine %llu", (unsigned long long)get(f + 16, 2),
               (unsigned long long)get(f + 18, 2));
    FUZZ_CHECK(phnum > 0 && phoff <= size &&
                   (uint64_t)phnum * (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) <= size - phoff,
               "accepted program headers past EOF");
    for (unsigned i = 0; i < phnum; i++) {
        struct seg s, t;

        seg_of(f, is64, phoff, i, &s);
        if (s.type != PT_LOAD || s.memsz == 0)
            continue;
        loads++;
        FUZZ_CHECK(s.filesz <= s.memsz && s.paddr <= ram_size && s.memsz <= ram_size - s.paddr,
                   "segment %u [%#llx, +%#llx) accepted outside RAM", i,
                   (unsigned long long)s.paddr, (unsigned long long)s.memsz);
        FUZZ_CHECK(s.offset <= size && s.filesz <= size - s.offset, "segment %u past EOF", i);
        FUZZ_CHECK(!meets(s.paddr, s.paddr + s.memsz, LOADER_INFO_BASE, LOADER_INFO_END) &&
                   !meets(s.paddr, s.paddr + s.memsz, LOADER_TABLES_BASE, LOADER_TABLES_END),
                   "segment %u on a reserved area", i);
        for (unsigned k = 0; k < i; k++) {
            seg_of(f, is64, phoff, k, &t);
            FUZZ_CHECK(t.type != PT_LOAD || t.memsz == 0 ||
                       !meets(s.paddr, s.paddr + s.memsz, t.paddr, t.paddr + t.memsz),
                       "segments %u and %u overlap", k, i);
        }
        FUZZ_CHECK(memcmp(ram + s.paddr, f + s.offset, s.filesz) == 0, "segment %u not copied", i);
        FUZZ_CHECK(memcmp(ram + s.paddr + s.filesz, zero_buf, s.memsz - s.filesz) == 0,
                   "segment %u's tail not zeroed", i);
        /* Refill it: what is left must then be the fill. */
        memset(ram + s.paddr, RAM_FILL, s.memsz);
        lo = s.paddr < lo ? s.paddr : lo;
        hi = s.paddr + s.memsz > hi ? s.paddr + s.memsz : hi;
        if (r->entry >= s.paddr && r->entry - s.paddr < s.filesz && (s.flags & PF_X))
            in_x = true;
    }
    FUZZ_CHECK(loads <= LOADER_LOADS_MAX, "%u loadable segments accepted", loads);
    FUZZ_CHECK(memcmp(ram, fill_buf, ram_size) == 0, "RAM changed outside the segments");
    FUZZ_CHECK(loads == 0 || (r->lo == lo && r->hi == hi), "range [%#llx, %#llx), want [%#llx, %#llx)",
               (unsigned long long)r->lo, (unsigned long long)r->hi, (unsigned long long)lo,
               (unsigned long long)hi);
    FUZZ_CHECK(r->entry <= UINT32_MAX && in_x, "entry %#llx not on a PF_X segment's file bytes",
               (unsigned long long)r->entry);
    FUZZ_CHECK(pvh_entry(f, size, is64, phoff, phnum, &entry) && entry == r->entry,
               "entry %#llx, the first PVH note says %#llx", (unsigned long long)r->entry,
               (unsigned long long)entry);
}

/* On RAM that holds the fill (a kernel loaded or not changes nothing here:
   the info area is no segment's). */
static void check_start_info(uint8_t *ram, size_t ram_size, const char *cmdline)
{
    struct loader_result r;
    uint32_t si = 0;
    hvm_start_info info;
    hvm_memmap_table_entry map[LOADER_MEMMAP_MAX];
    size_t len = strlen(cmdline);
    enum loader_err err;

    err = loader_start_info(ram, ram_size, cmdline, &si, &r);
    if (len > LOADER_CMDLINE_MAX) {
        FUZZ_CHECK(err == LOADER_E_CMDLINE && r.msg[0], "a %zu-byte line: %d", len, err);
        FUZZ_CHECK(memcmp(ram, fill_buf, ram_size) == 0, "refused line, RAM changed");
        return;
    }
    FUZZ_CHECK(err == LOADER_OK && si == LOADER_INFO_BASE, "start info refused: %s", r.msg);
    FUZZ_CHECK(memcmp(ram, fill_buf, LOADER_INFO_BASE) == 0 &&
               memcmp(ram + LOADER_INFO_END, fill_buf, ram_size - LOADER_INFO_END) == 0,
               "start info written outside its area");
    memcpy(&info, ram + si, sizeof info);
    FUZZ_CHECK(pvh_start_info_valid(&info, sizeof info) && info.rsdp_paddr == 0 &&
               info.nr_modules == 0 && info.cmdline_paddr == LOADER_CMDLINE_PADDR,
               "the kernel would refuse the start info");
    FUZZ_CHECK(memcmp(ram + LOADER_CMDLINE_PADDR, cmdline, len + 1) == 0, "command line differs");
    FUZZ_CHECK(info.memmap_paddr == LOADER_MEMMAP_PADDR && info.memmap_entries >= 2 &&
               info.memmap_entries <= LOADER_MEMMAP_MAX, "memory map at %#llx, %u entries",
               (unsigned long long)info.memmap_paddr, info.memmap_entries);
    memcpy(map, ram + info.memmap_paddr, info.memmap_entries * sizeof map[0]);
    FUZZ_CHECK(pvh_memmap_ram(map, info.memmap_entries) ==
                   ram_size - (LOADER_HIGH_RAM - LOADER_LOW_RAM_END),
               "the map gives %#llx bytes of RAM",
               (unsigned long long)pvh_memmap_ram(map, info.memmap_entries));

    {
        uint8_t area[LOADER_INFO_END - LOADER_INFO_BASE];

        memcpy(area, ram + LOADER_INFO_BASE, sizeof area);
        FUZZ_CHECK(loader_set_rsdp(ram, ram_size, 0xe0000, &r) == LOADER_OK, "set_rsdp: %s",
                   r.msg);
        memcpy(&info, ram + si, sizeof info);
        FUZZ_CHECK(info.rsdp_paddr == 0xe0000, "rsdp %#llx", (unsigned long long)info.rsdp_paddr);
        memcpy(ram + si + offsetof(hvm_start_info, rsdp_paddr),
               area + (si - LOADER_INFO_BASE) + offsetof(hvm_start_info, rsdp_paddr), 8);
        FUZZ_CHECK(memcmp(ram + LOADER_INFO_BASE, area, sizeof area) == 0 &&
                   memcmp(ram + LOADER_INFO_END, fill_buf, ram_size - LOADER_INFO_END) == 0 &&
                   memcmp(ram, fill_buf, LOADER_INFO_BASE) == 0,
                   "set_rsdp wrote more than rsdp_paddr");
    }
}

/* Guest RAM of `size` bytes, in a buffer of exactly that size (made once
   per size; every input refills it), and the fill and zero references. */
static uint8_t *ram_of(size_t size)
{
    static uint8_t *bufs[5];
    static size_t sizes[5];
    static uint8_t *fill, *zero;

    if (!fill) {
        fill = malloc(RAM_MAX);
        zero = calloc(1, RAM_MAX);
        memset(fill, RAM_FILL, RAM_MAX);
        fill_buf = fill;
        zero_buf = zero;
    }
    for (unsigned i = 0; i < 5; i++) {
        if (sizes[i] == size)
            return bufs[i];
        if (!sizes[i]) {
            sizes[i] = size;
            return bufs[i] = malloc(size);
        }
    }
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t ram_sizes[5] = { RAM_MAX, 1u << 20, (2u << 20) + 4096, 4u << 20,
                                         512u << 10 };
    fuzz_in in = { data, size };
    size_t ram_size = ram_sizes[(fuzz_u8(&in) & 7) % 5], cmdlen, fsize;
    struct loader_result r;
    uint8_t *ram, *file;
    char *cmdline;
    enum loader_err err;

    (void)fuzz_u8(&in);
    cmdlen = fuzz_u16(&in) % 4200u;
    cmdlen = cmdlen < in.n ? cmdlen : in.n;
    cmdline = malloc(cmdlen + 1);
    memcpy(cmdline, in.p, cmdlen);
    cmdline[cmdlen] = '\0';
    in.p += cmdlen;
    in.n -= cmdlen;
    fsize = in.n;
    file = malloc(fsize ? fsize : 1);
    memcpy(file, in.p, fsize);

    ram = ram_of(ram_size);
    memset(ram, RAM_FILL, ram_size);
    err = loader_load_pvh(fsize ? file : NULL, fsize, ram, ram_size, &r);
    FUZZ_CHECK(err == r.err, "returned %d, result says %d", err, r.err);
    if (ram_size < LOADER_HIGH_RAM)
        FUZZ_CHECK(err == LOADER_E_RAM, "RAM of %zu bytes: %d", ram_size, err);
    if (err)
        check_refused(&r, ram, ram_size);
    else
        check_accepted(file, fsize, &r, ram, ram_size);  /* leaves RAM filled */
    if (ram_size >= LOADER_HIGH_RAM)
        check_start_info(ram, ram_size, cmdline);
    free(file);
    free(cmdline);
    return 0;
}
