/* ktest-x64-poweroff.c - the x64 kernel switches the machine off the way an
   ACPI kernel does, on QEMU's pc machine and on our monitor alike:
   1. the FADT names PM1a_CNT at port 0x604 (PIIX4's PM base 0x600 + 4);
   2. the DSDT has a \_S5 object whose package's first element is the
      SLP_TYP of soft-off (ours: 7, Intel's S5 encoding; QEMU's PIIX4: 0,
      so the value is printed but not expected);
   3. writing that SLP_TYP with SLP_EN to PM1a_CNT ends the run: tests/boot
      reports a machine switched off as status 210.
   A machine still running 100 ms later fails the test with status 1. */
//! [expect]
// expect: poweroff-test: PM1a_CNT at port 0x604
// expect: acpi: DSDT: \_S5 SLP_TYP
// expect: | SLP_EN to port 0x604 (PM1a_CNT)
// expect-status: 210
//! [expect]
#include "ktest.h"
#include "../../arch/x64/acpi.h"

_Noreturn void kmain(const struct boot_info *bi)
{
    const struct fadt_info *f;

    kernel_init(bi);
    f = x64_fadt();
    check(f != 0, "no FADT");
    if (f) {
        check(f->pm1a_cnt == 0x604, "PM1a_CNT is not at port 0x604");
        check(f->pm1_cnt_len >= 2, "PM1_CNT_LEN is below 2");
        if (f->pm1a_cnt == 0x604)
            kprintf("poweroff-test: PM1a_CNT at port 0x%x\n", f->pm1a_cnt);
        x64_poweroff();
        check(false, "the machine is still running after S5");
    }
    ktest_end("ktest-x64-poweroff");
}
