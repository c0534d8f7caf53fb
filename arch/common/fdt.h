/* fdt.h - just enough of a flattened device tree reader for boot: find RAM,
   the command line and the timer's rate. Devicetree Specification v0.4,
   chapter 5 (the blob: a header, a structure block of tokens, a strings
   block; big-endian). */
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

/* /cpus/timebase-frequency in Hz (a u32 or u64 property): the rate of the
   RISC-V `time` CSR. 0 if absent or malformed. */
uint64_t fdt_timebase_frequency(const void *blob);

#endif
