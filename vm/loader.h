/* loader.h - load a PVH kernel into a guest RAM buffer and build its start info.

   Pure host code: no KVM, no files, no allocation. The caller hands in the
   kernel file's bytes and the guest RAM (guest physical 0 is ram[0]); the
   loader checks every header field against both before it writes a single
   byte, so a rejected kernel leaves RAM exactly as it was. That is what lets
   the unit test and a fuzzer drive it without /dev/kvm.

   PVH boot ABI: hdr/pvh.h, the header the kernel's reader (arch/x64/start.c)
   uses too, after Xen docs/misc/pvh.pandoc. The kernel says it speaks PVH
   with an ELF note (name "Xen", type XEN_ELFNOTE_PHYS32_ENTRY) whose
   descriptor is the 32-bit entry point. The loader places `struct
   hvm_start_info` (version 1), a memory map and the command line in a fixed
   low area, and the entry code finds them through EBX. */
#ifndef BBVM_LOADER_H
#define BBVM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "pvh.h"

/* The fixed area for start info, memory map (first page) and command line
   (second page). Kernels may not load anything into it. */
#define LOADER_INFO_BASE    0x6000u
#define LOADER_INFO_END     0x8000u
/* Where the monitor writes firmware tables (ACPI, vm/acpi.h): kept clear of
   the kernel's segments like the start info. */
#define LOADER_TABLES_BASE  0xe0000u
#define LOADER_TABLES_END   0xe1000u
#define LOADER_MEMMAP_PADDR 0x6040u   /* after the 56-byte start info */
#define LOADER_MEMMAP_MAX   3u        /* entries put_memmap() writes at most */
#define LOADER_CMDLINE_PADDR 0x7000u
#define LOADER_CMDLINE_MAX  4095u   /* bytes, without the NUL */

/* The legacy PC layout the memory map describes: conventional memory up to
   the EBDA, then the reserved VGA/BIOS window up to 1 MiB. */
#define LOADER_LOW_RAM_END  0x9fc00u
#define LOADER_HIGH_RAM     0x100000u

/* Why a kernel was refused. Each has its own code so tests can tell them
   apart; `msg` in the result says the specifics. */
enum loader_err {
    LOADER_OK = 0,
    LOADER_E_EMPTY,         /* zero-length file */
    LOADER_E_NOT_ELF,       /* bad magic */
    LOADER_E_SHORT,         /* shorter than its ELF header */
    LOADER_E_CLASS,         /* neither ELFCLASS32 nor ELFCLASS64 */
    LOADER_E_ENDIAN,        /* not little-endian */
    LOADER_E_VERSION,       /* EI_VERSION / e_version not EV_CURRENT */
    LOADER_E_TYPE,          /* not ET_EXEC */
    LOADER_E_MACHINE,       /* not x86 for its class */
    LOADER_E_PHDRS,         /* program header table malformed or past EOF */
    LOADER_E_SEG_FILE,      /* p_offset + p_filesz past EOF (or wrapping) */
    LOADER_E_SEG_SIZE,      /* p_filesz > p_memsz */
    LOADER_E_SEG_WRAP,      /* p_paddr + p_memsz wraps 2^64 */
    LOADER_E_SEG_RAM,       /* segment outside guest RAM */
    LOADER_E_SEG_INFO,      /* segment overlaps the start-info area */
    LOADER_E_NOTE,          /* a note with sizes past its segment */
    LOADER_E_NO_PVH,        /* no XEN_ELFNOTE_PHYS32_ENTRY note */
    LOADER_E_ENTRY,         /* entry >= 4 GiB, not in a segment's file bytes,
                               or in one without PF_X */
    LOADER_E_RAM,           /* the RAM buffer itself is unusable */
    LOADER_E_CMDLINE,       /* command line longer than LOADER_CMDLINE_MAX */
    LOADER_E_SEG_OVERLAP    /* two loadable segments share guest addresses */
};

/* Loadable segments (PT_LOAD with p_memsz > 0) a kernel may have: Linux
   has 4 or 5; the cap bounds the loader's overlap check. */
#define LOADER_LOADS_MAX    64u

/* What a load produced, or why it failed. */
struct loader_result {
    enum loader_err err;
    uint64_t entry;         /* PVH entry point (guest physical, < 4 GiB) */
    uint64_t lo, hi;        /* lowest and highest+1 address loaded */
    char msg[160];          /* specific reason, no "bbvm:" prefix or newline */
};

/* Check the kernel image `file` (size bytes) and, only if it is entirely
   acceptable, copy its PT_LOAD segments into `ram` at their p_paddr and zero
   each segment's p_memsz - p_filesz tail. Returns r->err. Accepted, the
   segments lie inside `ram`, clear of the info area and the firmware tables,
   none on another's bytes; r->entry is below 4 GiB, on file bytes of a PF_X
   segment; r->lo and r->hi bound what was written (nothing else is). Refused,
   `ram` is as it was and r->msg says why in one line. */
enum loader_err loader_load_pvh(const uint8_t *file, size_t size, uint8_t *ram,
                                size_t ram_size, struct loader_result *r);

/* Write hvm_start_info, the memory map and `cmdline` into the info area.
   Returns r->err; on success *start_info holds the address for EBX. */
enum loader_err loader_start_info(uint8_t *ram, size_t ram_size, const char *cmdline,
                                  uint32_t *start_info, struct loader_result *r);

/* Set hvm_start_info.rsdp_paddr (0 until then: "no ACPI tables") in the start
   info that loader_start_info() wrote; call it after that. Returns r->err. */
enum loader_err loader_set_rsdp(uint8_t *ram, size_t ram_size, uint64_t rsdp,
                                struct loader_result *r);

#endif /* BBVM_LOADER_H */
