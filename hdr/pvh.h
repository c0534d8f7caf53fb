/* pvh.h - the PVH boot ABI: the start info, its memory map and modules, the entry note.

   WHAT IT IS
   What a PVH loader hands the x86 kernel it boots, written down once for
   both sides that meet at it:
     - the loader (a monitor such as vm/loader.c, QEMU's -kernel, Xen),
       which finds the kernel's entry point in an ELF note, and writes a
       start info structure, a memory map and the command line into guest
       RAM before it enters the kernel with EBX pointing at the start info;
     - the kernel (arch/x64/start.c), which checks the start info and reads
       the memory map, the command line and the ACPI RSDP's address from it.
   The structures are the ABI itself: plain C structs of fixed-width fields,
   naturally aligned, in x86 byte order (little-endian), the layout pinned
   by static assertions. Code running on x86, as both sides do (a KVM
   monitor runs on an x86 host), reads and writes them as they are. Names
   follow Xen's, so the header can be read against the spec line by line.

   SPEC
   Xen, docs/misc/pvh.pandoc: the entry point is the 32-bit physical
   address in an ELF note named "Xen" of type XEN_ELFNOTE_PHYS32_ENTRY
   (Xen's public/elfnote.h); the kernel is entered there in 32-bit
   protected mode, paging off, with EBX holding the start info's physical
   address. Xen, xen/include/public/arch-x86/hvm/start_info.h: the start
   info (version 0: up to rsdp_paddr; version 1 adds the memory map), the
   module list entry and the memory map entry, whose types are the ACPI
   address range types (ACPI 6.5, section 15, "System Address Map
   Interfaces"). A 0 in any address field means "not given": nothing is
   ever placed at physical address 0.

   BOOK
   book/firmware.md, "Describing the machine: ACPI tables" (the start info
   is where the RSDP's address arrives).

   USAGE
   In exactly one C file (or in each, with PVH_STATIC):
       #define PVH_IMPLEMENTATION
       #include "pvh.h"
   Kernel, given EBX:
       const hvm_start_info *si = (const hvm_start_info *)(uintptr_t)ebx;
       if (!pvh_start_info_valid(si, sizeof *si))
           panic();
       ram = pvh_memmap_ram(map, si->memmap_entries);   // map: si->memmap_paddr
   Loader:
       hvm_start_info si;
       hvm_memmap_table_entry map[4];
       uint32_t n = 0;
       pvh_start_info_init(&si);                        // magic, version 1
       pvh_memmap_add(map, &n, 4, 0, 0x9fc00, XEN_HVM_MEMMAP_TYPE_RAM);
       si.memmap_paddr = MAP_PADDR, si.memmap_entries = n;
       // copy si and map[0..n) into guest RAM, put si's address in EBX

   OVERRIDABLE MACROS (define before the include)
     PVH_DEF      linkage of public functions   (default: extern)
     PVH_STATIC   define it to make every public function static
     PVH_ASSERT   assertion for a caller's invariant: pvh_memmap_add() is
                  never asked to add past the `max` entries its map has room
                  for (default: none; it then refuses the entry). Never
                  called on what a loader or a kernel reads, which is
                  checked and handled.

   LICENSE at the end of the file.
*/
#ifndef PVH_H
#define PVH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Linkage of every public function: extern, or static under PVH_STATIC. */
#ifndef PVH_DEF
#ifdef PVH_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define PVH_DEF static __attribute__((unused)) /* callers may use only some */
#else
#define PVH_DEF static
#endif
#else
#define PVH_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @file pvh.h
    @brief PVH boot ABI: hvm_start_info, the memory map and module entries,
    the entry-point ELF note. See @ref firmware.

    Tests: tests/vm_loader_test.c. Used alone: book/alone/pvh.c, shown in
    the chapter's appendix. */

/* The ELF note that makes a kernel a PVH kernel: name "Xen", this type,
   and a descriptor holding the 32-bit physical entry point (4 bytes, or 8
   in a 64-bit image). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18u    /**< the note's type (Xen public/elfnote.h) */
#define PVH_ELFNOTE_NAME         "Xen"  /**< the note's name; namesz 4, with the NUL */

#define XEN_HVM_START_MAGIC_VALUE 0x336ec578u /**< hvm_start_info.magic: "xEn3", 0x80 set in "E" */
#define PVH_START_INFO_VERSION    1u  /**< the version this header describes (and writes) */
#define PVH_START_INFO_V0_SIZE    40u /**< bytes of a version 0 start info: up to rsdp_paddr */

/* Memory map entry types: the ACPI address range types. */
#define XEN_HVM_MEMMAP_TYPE_RAM      1u /**< usable RAM */
#define XEN_HVM_MEMMAP_TYPE_RESERVED 2u /**< in use or reserved: do not touch */
#define XEN_HVM_MEMMAP_TYPE_ACPI     3u /**< ACPI tables: RAM once they are read */
#define XEN_HVM_MEMMAP_TYPE_NVS      4u /**< ACPI NVS: keep across sleep */
#define XEN_HVM_MEMMAP_TYPE_UNUSABLE 5u /**< memory with errors */
#define XEN_HVM_MEMMAP_TYPE_DISABLED 6u /**< not enabled */
#define XEN_HVM_MEMMAP_TYPE_PMEM     7u /**< persistent memory */

//! [start-info]
/** The start info: EBX points at it when the kernel is entered. */
typedef struct hvm_start_info {
    uint32_t magic;          /**< XEN_HVM_START_MAGIC_VALUE */
    uint32_t version;        /**< 0, or 1 with the memory map fields */
    uint32_t flags;          /**< Xen's SIF_* flags (public/xen.h); our loader writes 0 */
    uint32_t nr_modules;     /**< entries at modlist_paddr */
    uint64_t modlist_paddr;  /**< array of hvm_modlist_entry (0: none) */
    uint64_t cmdline_paddr;  /**< NUL-terminated ASCII command line (0: none) */
    uint64_t rsdp_paddr;     /**< the ACPI RSDP (0: none; the kernel may scan for it) */
    uint64_t memmap_paddr;   /**< version 1: array of hvm_memmap_table_entry */
    uint32_t memmap_entries; /**< version 1: entries at memmap_paddr (0: no map) */
    uint32_t reserved;       /**< 0 */
} hvm_start_info;

/** One memory map entry: a range of physical memory and what it is. */
typedef struct hvm_memmap_table_entry {
    uint64_t addr;     /**< first byte of the range */
    uint64_t size;     /**< bytes in the range */
    uint32_t type;     /**< XEN_HVM_MEMMAP_TYPE_* */
    uint32_t reserved; /**< 0 */
} hvm_memmap_table_entry;
//! [start-info]

/** One module (an initrd, say) the loader placed in memory. */
typedef struct hvm_modlist_entry {
    uint64_t paddr;         /**< where it is */
    uint64_t size;          /**< its size in bytes */
    uint64_t cmdline_paddr; /**< its own NUL-terminated command line (0: none) */
    uint64_t reserved;      /**< 0 */
} hvm_modlist_entry;

/** True if `p` holds a start info a kernel may use: `p` is not NULL, has
    the magic, and the `avail` bytes there cover every field its version
    has (PVH_START_INFO_V0_SIZE for version 0, the whole structure from
    version 1). A newer version is accepted: versions only add fields.
    `p` must be aligned as the structure is (8 bytes). Reads nothing past
    `avail` bytes. */
PVH_DEF bool pvh_start_info_valid(const void *p, size_t avail);

/** Set `*si` to a start info of version PVH_START_INFO_VERSION with the
    magic and every other field 0 ("not given"), for a loader to fill in. */
PVH_DEF void pvh_start_info_init(hvm_start_info *si);

/** Append the entry {addr, size, type} to `map`, which has room for `max`
    entries of which `*n` are in use, and count it in `*n`. False, writing
    nothing, if the map is full (a caller's mistake: PVH_ASSERT). */
PVH_DEF bool pvh_memmap_add(hvm_memmap_table_entry *map, uint32_t *n, uint32_t max,
                            uint64_t addr, uint64_t size, uint32_t type);

/** The bytes of XEN_HVM_MEMMAP_TYPE_RAM in the first `n` entries of `map`,
    saturating at UINT64_MAX rather than wrapping on a map that lies. */
PVH_DEF uint64_t pvh_memmap_ram(const hvm_memmap_table_entry *map, uint32_t n);

#ifdef __cplusplus
}
#endif
#endif /* PVH_H */

/* ======================================================================== */
/* PVH__IMPLEMENTED: the implementation once per unit, however many of the
   unit's headers include this one. */
#if defined(PVH_IMPLEMENTATION) && !defined(PVH__IMPLEMENTED)
#define PVH__IMPLEMENTED

#ifndef PVH_ASSERT
#define PVH_ASSERT(c) ((void)0)
#endif

/* The ABI's layout, offset by offset (start_info.h), and what the version
   sizes above say about it. Checked wherever the implementation is compiled. */
#ifdef __cplusplus
#define PVH__STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define PVH__STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
PVH__STATIC_ASSERT(offsetof(hvm_start_info, magic) == 0 &&
                   offsetof(hvm_start_info, version) == 4 &&
                   offsetof(hvm_start_info, flags) == 8 &&
                   offsetof(hvm_start_info, nr_modules) == 12 &&
                   offsetof(hvm_start_info, modlist_paddr) == 16 &&
                   offsetof(hvm_start_info, cmdline_paddr) == 24 &&
                   offsetof(hvm_start_info, rsdp_paddr) == 32 &&
                   offsetof(hvm_start_info, memmap_paddr) == PVH_START_INFO_V0_SIZE &&
                   offsetof(hvm_start_info, memmap_entries) == 48 &&
                   offsetof(hvm_start_info, reserved) == 52 &&
                   sizeof(hvm_start_info) == 56, "hvm_start_info, version 1");
PVH__STATIC_ASSERT(offsetof(hvm_memmap_table_entry, addr) == 0 &&
                   offsetof(hvm_memmap_table_entry, size) == 8 &&
                   offsetof(hvm_memmap_table_entry, type) == 16 &&
                   offsetof(hvm_memmap_table_entry, reserved) == 20 &&
                   sizeof(hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry");
PVH__STATIC_ASSERT(offsetof(hvm_modlist_entry, paddr) == 0 &&
                   offsetof(hvm_modlist_entry, size) == 8 &&
                   offsetof(hvm_modlist_entry, cmdline_paddr) == 16 &&
                   offsetof(hvm_modlist_entry, reserved) == 24 &&
                   sizeof(hvm_modlist_entry) == 32, "hvm_modlist_entry");
PVH__STATIC_ASSERT(sizeof(PVH_ELFNOTE_NAME) == 4, "the note's namesz counts the NUL");

PVH_DEF bool pvh_start_info_valid(const void *p, size_t avail)
{
    const hvm_start_info *si = (const hvm_start_info *)p;

    if (!si || avail < PVH_START_INFO_V0_SIZE || si->magic != XEN_HVM_START_MAGIC_VALUE)
        return false;
    return si->version == 0 || avail >= sizeof *si;
}

PVH_DEF void pvh_start_info_init(hvm_start_info *si)
{
    hvm_start_info blank = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

    *si = blank;
    si->magic = XEN_HVM_START_MAGIC_VALUE;
    si->version = PVH_START_INFO_VERSION;
}

PVH_DEF bool pvh_memmap_add(hvm_memmap_table_entry *map, uint32_t *n, uint32_t max,
                            uint64_t addr, uint64_t size, uint32_t type)
{
    hvm_memmap_table_entry *e;

    PVH_ASSERT(*n < max);
    if (*n >= max)
        return false;
    e = &map[(*n)++];
    e->addr = addr;
    e->size = size;
    e->type = type;
    e->reserved = 0;
    return true;
}

PVH_DEF uint64_t pvh_memmap_ram(const hvm_memmap_table_entry *map, uint32_t n)
{
    uint64_t total = 0;

    for (uint32_t i = 0; i < n; i++)
        if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
            total = map[i].size > UINT64_MAX - total ? UINT64_MAX : total + map[i].size;
    return total;
}

#endif /* PVH_IMPLEMENTATION */

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
