/* vdev.h - the kernel's virtio drivers: find every virtio-rng and
   virtio-console the board has, on PCI and on virtio-mmio, bring each up
   with hdr/virtio.h's driver side, and serve requests through the async
   runtime (submit a request, its callback runs from the loop when the
   device gave the buffer back).

   Portable: the arch provides section 8 of platform.h (where the buses
   are, how their interrupts arrive). Single CPU, thread context only; the
   interrupt work happens in the loop (kernel_irq_register). */
#ifndef BREADBOARD_VDEV_H
#define BREADBOARD_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "async.h"

/* Devices the kernel drives at most, and queue entries per queue. */
#define VDEV_MAX 8u
#define VDEV_QUEUE_SIZE 16u

/* A device's results, beside a byte count >= 0. */
#define VDEV_EIO (-5)       /* the device broke a rule or needs a reset */

/* Which transport a device came on, and how it interrupts. */
struct vdev_info {
    uint32_t type;          /* VIRTIO_ID_ENTROPY, VIRTIO_ID_CONSOLE */
    const char *transport;  /* "pci" or "mmio" */
    uint64_t where;         /* PCI: bdf; MMIO: the window's address */
    unsigned irq;           /* the platform irq it interrupts on */
    const char *irq_kind;   /* "msi-x", "intx", "mmio" */
};

/* Find and bring up every virtio-rng and virtio-console: prints one line
   per device found, and "VirtIO-RNG initialized successfully" for each
   entropy device that came up. Returns how many devices are live. Once,
   after kernel_init(). PCI devices interrupt by MSI-X where the arch and
   the device can, unless the command line has `pci=nomsi` (Linux's word),
   and by INTx otherwise. */
struct boot_info;
unsigned vdev_probe(const struct boot_info *bi);

/* How many live devices of `type` there are, and what the n-th is. */
unsigned vdev_count(uint32_t type);
bool vdev_info(uint32_t type, unsigned n, struct vdev_info *out);

/* Requests are async work items (hdr/async.h) that these calls set up
   and submit. A request holds one of its queue's slots until `done` runs,
   however it ends; until then the item's own done and ctx fields are the
   driver's, and `done(w, result)` sees them as the caller gave them. Then
   `w` may be freed, or submitted again on any queue. async_cancel() of a
   request not started yet ends it at once as ASYNC_CANCELLED; of one the
   device holds, it waits for the device to give the buffer back.

   Fill `buf` with up to `len` random bytes from entropy device `n`: `w`
   completes with the byte count the device gave (at most `len`; a device
   may give fewer), or VDEV_EIO. False if there is no such device, `w` is
   not DEAD or `len` is 0. `buf` must stay put until `w` completes. */
bool vdev_rng_read(unsigned n, async_work *w, void *buf, uint32_t len,
                   async_done done, void *ctx);

/* Send `len` bytes on console device `n`'s transmit queue; `w` completes
   with `len` once the device consumed them, or VDEV_EIO. */
bool vdev_console_write(unsigned n, async_work *w, const void *buf, uint32_t len,
                        async_done done, void *ctx);

/* Take up to `len` bytes of console input: `w` completes with the bytes
   the device put in `buf` (at least 1), or VDEV_EIO. */
bool vdev_console_read(unsigned n, async_work *w, void *buf, uint32_t len,
                       async_done done, void *ctx);

/* The console's emergency write (VIRTIO_CONSOLE_F_EMERG_WRITE): one byte,
   with no queue, usable before the device is live. False if the device
   did not offer it. */
bool vdev_console_emerg(unsigned n, uint8_t byte);

/* What the drivers counted: used lengths beyond a buffer, clamped (a
   device that lies), devices that broke their queues. */
struct vdev_stats {
    uint32_t bad_len;
    uint32_t broken;
    uint32_t irqs;
};
void vdev_stats(struct vdev_stats *out);

/* The register accessors the devices found get: volatile loads and stores
   of 1, 2 or 4 bytes at the physical address. A host test replaces them
   before vdev_probe() to put a device model behind the registers. */
extern uint32_t (*vdev_bus_read)(void *ctx, uint64_t addr, unsigned width);
extern void (*vdev_bus_write)(void *ctx, uint64_t addr, unsigned width, uint32_t v);

#endif
