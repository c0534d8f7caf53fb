/* fdt.h - just enough of a flattened device tree reader for boot: find RAM
   and the command line. Devicetree Specification v0.4, chapter 5 (the blob:
   a header, a structure block of tokens, a strings block; big-endian). */
#ifndef BREADBOARD_FDT_H
#define BREADBOARD_FDT_H

#include <stdbool.h>
#include <stdint.h>

/* True if `blob` starts with a plausible FDT header (magic, sizes). */
bool fdt_valid(const void *blob);

/* Total bytes of every /memory node's reg ranges; 0 if none. */
uint64_t fdt_memory_bytes(const void *blob);

/* /chosen/bootargs, or "" if absent. Points into the blob. */
const char *fdt_bootargs(const void *blob);

#endif
