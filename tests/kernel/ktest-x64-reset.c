/* ktest-x64-reset.c - the x64 kernel resets the machine the way Linux
   does, on QEMU's pc machine and on our monitor alike:
   1. the FADT's reset register, if it has one: ours names port 0xcf9 and
      value 0x6 (an Intel chipset's Reset Control Register, as on QEMU's
      q35); QEMU's pc machine has an ACPI 1.0 FADT with none, so what the
      FADT says is printed but not expected;
   2. failing that, the reset control register at port 0xcf9 itself, which
      QEMU's PIIX3 decodes;
   3. either ends the run: tests/boot reports a reset as status 211.
   A machine still running 100 ms after the last request fails the test
   with status 1. */
// expect: acpi: FADT: PM timer at port 0x608
// expect: reset-test: resetting the machine
// expect: power: reset through the
// expect-status: 211
#include "ktest.h"
#include "../../arch/x64/acpi.h"

_Noreturn void kmain(const struct boot_info *bi)
{
    const struct fadt_info *f;

    kernel_init(bi);
    f = x64_fadt();
    check(f != 0, "no FADT");
    if (f && f->reset_port)
        kprintf("reset-test: the FADT's reset register: port 0x%x value 0x%x\n",
                f->reset_port, f->reset_value);
    else
        kprintf("reset-test: no FADT reset register: the reset control register only\n");
    kprintf("reset-test: resetting the machine\n");
    x64_reset();
    check(false, "the machine is still running after reset");
    ktest_end("ktest-x64-reset");
}
