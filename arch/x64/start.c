/* start.c - x64 platform: PVH start info, 16550 console on port 0x3f8, exit
   through the isa-debug-exit port. The console itself is console.c's:
   polled until a kernel starts it by interrupt, and polled again in faults
   and at exit.
*/
//! [expect]
// expect: breadboard: kernel for x64, entered via PVH
// expect: console: 16550 at port 0x3f8
// expect: memory:
// expect: acpi: MADT: ioapic 0 at 0xfec00000 gsi 0,
// expect: timer:
// expect: rtc: 20
// expect: demo: timer "one" fired
// expect: demo: timer "two" fired
// expect: demo: interrupt
// expect: demo: timer "three" fired
// expect: breadboard: boot complete
// expect-status: 0
//! [expect]
#include "../common/platform.h"
#include "acpi.h"
#include "arch.h"

#include "uart16550.h"      /* names only: console.c owns the driver */

#define DEBUG_EXIT_PORT 0xf4   /* QEMU -device isa-debug-exit,iobase=0xf4 */

/* The start info and its memory map: the layout the loader (vm/loader.c,
   QEMU, Xen) writes. */
#define PVH_IMPLEMENTATION
#define PVH_STATIC
#include "pvh.h"

#define MEMMAP_READ_MAX 128   /* entries read at most, whatever the map claims */

/* The port carries status + 1, never 0: QEMU exits (v << 1) | 1, and a
   written 0 would make that 1, which is also what QEMU exits with when it
   fails to start. Statuses above 126 are reported as 126. Output still
   queued for the console's transmit interrupt goes out first. */
_Noreturn void platform_exit(int status)
{
    x64_console_flush();
    outb(DEBUG_EXIT_PORT, (uint8_t)((status < 0 || status > 126 ? 126 : status) + 1));
    for (;;) /* no debug-exit device (real hardware): stop here */
        __asm__ volatile("cli; hlt");
}

/* Sum the RAM entries of the PVH memory map (version 1 has one). */
static uint64_t pvh_ram(const struct hvm_start_info *si)
{
    uint32_t n = si->memmap_entries;

    if (si->version < 1 || !si->memmap_paddr)
        return 0;
    return pvh_memmap_ram((const hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr,
                          n < MEMMAP_READ_MAX ? n : MEMMAP_READ_MAX);
}

_Noreturn void x64_start(const struct hvm_start_info *si)
{
    struct boot_info bi = { "x64", "PVH", "16550 at port 0x3f8", 0, "" };

    /* The receive interrupt at 8 bytes, as Linux sets a 16550A: half the
       FIFO left for the time the handler takes to come, and the character
       timeout for the end of a burst. */
    x64_console_init(UART16550_FCR_TRIG_8);
    if (!pvh_start_info_valid(si, sizeof *si)) {
        kprintf("x64: bad PVH start info magic %x\n", si ? si->magic : 0);
        platform_exit(2);
    }
    bi.mem_bytes = pvh_ram(si);
    x64_rsdp_paddr = si->rsdp_paddr;
    if (si->cmdline_paddr)
        bi.cmdline = (const char *)(uintptr_t)si->cmdline_paddr;
    kmain(&bi);
}
