/* fdt.h - just enough of a flattened device tree reader for boot: find RAM,
   the command line and the timer's rate, and where the buses are (a PCI
   host bridge, virtio-mmio windows, and the interrupts they raise).
   Devicetree Specification v0.4: chapter 5 (the blob: a header, a
   structure block of tokens, a strings block; big-endian), chapter 2
   (the standard properties: #address-cells, reg, ranges, interrupts,
   interrupt-map). The PCI host bridge follows the PCI Bus Binding to IEEE
   Std 1275 (the three-cell PCI address) and Linux's binding for
   "pci-host-ecam-generic", which QEMU's virt boards use.

   Nodes are named by their offset in the blob; -1 is "no node". Every
   function takes the blob as input to be checked, not trusted: a
   malformed tree gives "not found", never a read outside it. */
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

/* --- nodes and properties ------------------------------------------------ */

/* The first node after `after` (-1: from the start), in blob order, whose
   "compatible" string list holds `compat`; -1 if none. */
int fdt_find_compatible(const void *blob, int after, const char *compat);

/* Does `node`'s "compatible" list hold `compat`? */
bool fdt_is_compatible(const void *blob, int node, const char *compat);

/* Property `name` of `node` itself (not of its children): its value and,
   in `*len`, its length in bytes; NULL if the node has no such property. */
const uint8_t *fdt_prop(const void *blob, int node, const char *name, uint32_t *len);

/* The node `node` sits in; -1 for the root (and for a node that is not
   there, or deeper than the walk follows). */
int fdt_parent(const void *blob, int node);

/* A value of `cells` (0, 1 or 2) big-endian cells at `p`. */
uint64_t fdt_cells(const uint8_t *p, unsigned cells);

/* The first (base, size) of `node`'s "reg", as a CPU physical address:
   read with its parent's #address-cells and #size-cells and translated
   through every ancestor's "ranges". False if missing or malformed, or if
   some ancestor does not map it into its own parent's space. */
bool fdt_reg(const void *blob, int node, uint64_t *base, uint64_t *size);

/* --- interrupts ---------------------------------------------------------- */

/* An interrupt as its controller names it: the controller's node and the
   specifier, #interrupt-cells cells of it (arm64's GIC: <type number
   flags>; the RISC-V PLIC: <source>). */
#define FDT_IRQ_CELLS 4
struct fdt_irq {
    int controller;
    unsigned cells;
    uint32_t cell[FDT_IRQ_CELLS];
};

/* The first interrupt of `node`: from "interrupts-extended", or from
   "interrupts" with the controller its own or an ancestor's
   "interrupt-parent" names. False if it has none that we can read. */
bool fdt_interrupt(const void *blob, int node, struct fdt_irq *irq);

/* --- the buses ----------------------------------------------------------- */

/* One of the windows a PCI host bridge forwards: PCI bus addresses
   [pci, pci + size) appear at CPU addresses [cpu, cpu + size). Size 0:
   the bridge has none of that kind. */
struct fdt_pci_window {
    uint64_t pci, cpu, size;
};

/* A "pci-host-ecam-generic" host bridge: its ECAM window (where bus
   `bus_start`'s configuration space begins), the buses it decodes, and
   the first window of each kind its "ranges" lists: I/O space (space code
   01), 32-bit memory (10, wholly below 4 GiB on the PCI side) and 64-bit
   memory (11). */
struct fdt_pci_host {
    int node;
    uint64_t ecam, ecam_size;
    unsigned bus_start, bus_end;
    struct fdt_pci_window io, mem32, mem64;
};

/* The first "pci-host-ecam-generic" node with a "status" that is not off,
   read into `*h`. False if there is none, or its reg is unusable. */
bool fdt_pci_host(const void *blob, struct fdt_pci_host *h);

/* Where INTx pin `pin` (1..4) of `bdf`, a function on the host bridge's
   own bus, goes: the host node's interrupt-map entry that matches the
   child unit address (bdf << 8 in its first cell) and the pin, both
   masked by interrupt-map-mask. False if no entry matches. */
bool fdt_pci_intx(const void *blob, int host, uint32_t bdf, unsigned pin, struct fdt_irq *irq);

/* A "virtio,mmio" node: its window and its interrupt. */
struct fdt_mmio {
    uint64_t base, size;
    struct fdt_irq irq;
};

/* The `max` lowest-addressed "virtio,mmio" nodes that are not switched
   off and have a reg and an interrupt, into `out` in address order.
   Returns how many. */
unsigned fdt_virtio_mmio(const void *blob, struct fdt_mmio *out, unsigned max);

/* --- PCI on a devicetree board (arch/common/pci.c) ------------------------ */

struct pci_drv;

/* What arm64's and rv64's platform_pci() do: on the first call, find the
   host bridge, reach its configuration space through its ECAM window, give
   every function on every bus its BARs from the bridge's windows and enable
   their decoding; then, on every call, fill `*out`. False if the board
   has no usable host bridge. */
bool fdt_board_pci(const void *blob, struct pci_drv *out);

/* The interrupt that INTx pin `pin` (1..4) of `bdf` raises at the host
   bridge: the pin is swizzled through every PCI-to-PCI bridge on the way
   up (PCI-to-PCI Bridge Architecture 1.2, 9.1), then looked up in the
   interrupt-map. False if fdt_board_pci() found no bridge, or no route. */
bool fdt_board_pci_intx(const void *blob, uint32_t bdf, unsigned pin, struct fdt_irq *irq);

struct platform_mmio;

/* What arm64's and rv64's platform_virtio_mmio() do: every virtio-mmio
   window of the tree (fdt_virtio_mmio(), at most 64 looked at), its
   interrupt turned into a platform irq by the arch's `number` (-1: not one
   the arch can take, and the window is left out with a line naming
   `controller`, the kind of interrupt it wanted). Up to `max` into `out`;
   returns how many. */
unsigned fdt_board_virtio_mmio(const void *blob, struct platform_mmio *out, unsigned max,
                               int (*number)(const struct fdt_irq *irq), const char *controller);

#endif
