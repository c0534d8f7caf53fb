/* hdr/pvh.h from both ends: a loader writes the start info, a memory map
   and a command line into the low pages of a 64 MiB guest's RAM, as a
   monitor does before it enters a PVH kernel; the kernel, given the start
   info's address in EBX, checks it and reads what the loader left. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//! [alone-pvh]
#define PVH_IMPLEMENTATION
#include "pvh.h"

enum { LOW = 0x8000, INFO = 0x6000, MAP = 0x6040, CMDLINE = 0x7000 }; /* guest addresses */
#define RAM_SIZE (64u << 20)

static uint32_t load(uint8_t *ram)  /* the loader: returns what goes in EBX */
{
    hvm_memmap_table_entry map[3];
    hvm_start_info si;
    uint32_t n = 0;

    pvh_memmap_add(map, &n, 3, 0, 0x9fc00, XEN_HVM_MEMMAP_TYPE_RAM);
    pvh_memmap_add(map, &n, 3, 0x9fc00, 0x100000 - 0x9fc00, XEN_HVM_MEMMAP_TYPE_RESERVED);
    pvh_memmap_add(map, &n, 3, 0x100000, RAM_SIZE - 0x100000, XEN_HVM_MEMMAP_TYPE_RAM);
    if (pvh_memmap_add(map, &n, 3, 0, 1, XEN_HVM_MEMMAP_TYPE_RAM))
        return 0;                               /* a full map must refuse a fourth */
    pvh_start_info_init(&si);                   /* the magic, version 1, all else 0 */
    si.memmap_paddr = MAP, si.memmap_entries = n;
    si.cmdline_paddr = CMDLINE, si.rsdp_paddr = 0xe0000;
    memcpy(ram + INFO, &si, sizeof si);
    memcpy(ram + MAP, map, n * sizeof map[0]);
    strcpy((char *)ram + CMDLINE, "console=ttyS0 quiet");
    return INFO;
}

int main(void)
{
    uint8_t *ram = calloc(1, LOW);              /* the first 32 KiB of guest RAM */
    uint32_t ebx = ram ? load(ram) : 0;
    const hvm_start_info *si;
    const hvm_memmap_table_entry *map;
    int bad;

    if (!ebx) {
        printf("wrong: no RAM, or a full memory map took one more entry\n");
        free(ram);
        return 1;
    }
    si = (const hvm_start_info *)(ram + ebx);
    bad = !pvh_start_info_valid(si, LOW - ebx);

    /* The kernel: nothing in the start info is used before it is checked. */
    if (!bad && (si->memmap_paddr > LOW || si->memmap_entries > (LOW - si->memmap_paddr) /
                 sizeof *map || si->cmdline_paddr >= LOW || si->rsdp_paddr == 0))
        bad = 1;
    if (bad) {
        printf("wrong: the loader's start info does not pass the kernel's checks\n");
        free(ram);
        return 1;
    }
    map = (const hvm_memmap_table_entry *)(ram + si->memmap_paddr);
    printf("start info at %#" PRIx32 ": magic %#" PRIx32 ", version %" PRIu32 "\n", ebx,
           si->magic, si->version);
    for (uint32_t i = 0; i < si->memmap_entries; i++)
        printf("  0x%08" PRIx64 " + 0x%08" PRIx64 ": type %" PRIu32 "\n", map[i].addr,
               map[i].size, map[i].type);
    printf("RAM %" PRIu64 " KiB, RSDP at %#" PRIx64 ", command line \"%s\"\n",
           pvh_memmap_ram(map, si->memmap_entries) >> 10, si->rsdp_paddr,
           (const char *)ram + si->cmdline_paddr);
    bad = pvh_memmap_ram(map, si->memmap_entries) != RAM_SIZE - (0x100000 - 0x9fc00);
    bad |= pvh_start_info_valid(si, PVH_START_INFO_V0_SIZE); /* version 1 needs all 56 */
    ram[ebx] ^= 1;                                           /* a damaged magic */
    bad |= pvh_start_info_valid(si, LOW - ebx);
    printf("%s\n", bad ? "wrong: a check let through what it must refuse"
                       : "a short or damaged start info is refused");
    free(ram);
    return bad;
}
//! [alone-pvh]
