/* ktest-fault.c - a deliberate fault ends in the register report and the
   failure status, not a hang or a silent reset.

   The load is from an address no arch has memory or a device at: on x64
   it is canonical but unmapped (a page fault, CR2 = the address); on arm64
   with the MMU off it is beyond the physical address size; on rv64 it is
   not backed by anything (an access fault, stval = the address). A 32-bit
   arch has no such address: there it is 0xf0000000, above arm32 virt's
   RAM and devices (a synchronous external abort, DFAR = the address), and
   its rule expects kernel/ktest-fault-32.expect instead of these lines.
*/
// expect: fault: loading from 0x7f0000000000
// expect: , address 0x7f0000000000
// expect: FAULT: stopping with status 3
// expect-status: 3
#include "../../arch/common/loop.h"

_Noreturn void kmain(const struct boot_info *bi)
{
#if UINTPTR_MAX > 0xffffffffu
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)0x7f0000000000ull;
#else
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)0xf0000000u;
#endif

    kernel_init(bi);
    kprintf("fault: loading from %p\n", (void *)p);
    kprintf("fault: read %llx: FAIL, no fault was taken\n", (unsigned long long)*p);
    platform_exit(1);
}
