/* kmain.c - the portable kernel: for now it reports what boot code found and
   ends the run. The event loop (ktick, then wait for an interrupt) grows here.
*/
#include "kernel.h"

_Noreturn void kmain(const struct boot_info *bi)
{
    kprintf("breadboard: kernel for %s, entered via %s\n", bi->arch, bi->entry);
    kprintf("console: %s\n", bi->console);
    if (bi->mem_bytes)
        kprintf("memory: %llu MiB\n", (unsigned long long)(bi->mem_bytes >> 20));
    else
        kprintf("memory: not reported\n");
    kprintf("cmdline: \"%s\"\n", bi->cmdline);
    kprintf("breadboard: boot complete, exiting with status 0\n");
    platform_exit(0);
}
