/* power.c - x64: switch the machine off, or reset it, the way ACPI says.

   Soft-off (ACPI 6.5, 7.4.2 and 16.1; 4.8.3.2.1 for the register): the
   DSDT's \_S5 package gives the SLP_TYP of the off state, and writing it to
   PM1a_CNT with SLP_EN set turns the machine off. Reset (4.8.3.6): the
   FADT's reset register, when RESET_REG_SUP says it has one, takes
   RESET_VALUE. A PC has one more way, which Linux uses with reboot=pci: the
   Reset Control Register at port 0xCF9 that Intel's chipsets (PIIX3/4 and
   every ICH/PCH since) decode; QEMU's `-M pc` has it but an ACPI 1.0 FADT
   with no reset register, so that is where a reset goes when the FADT names
   none, or when its register did not work.

   Each way gets POWER_WAIT_NS to take effect. A machine still running after
   that is reported, and the function returns: the caller decides what a
   machine that will not switch off should do. Interrupts are off while
   waiting, so nothing else runs between the request and the report. */
#include "../common/platform.h"
#include "acpi.h"
#include "arch.h"

#include "acpi_pm.h"   /* hdr/: PM1_CNT's SLP_TYP and SLP_EN, declarations only */

#define POWER_WAIT_NS 100000000ull   /* 100 ms: far longer than any board takes */

/* The PC's Reset Control Register (Intel ICH/PCH RST_CNT, PIIX3/4 RC):
   SYS_RST selects a hard reset, RST_CPU starts it; writing SYS_RST first
   and then both is Linux's reboot=pci sequence. */
#define PC_RST_CNT_PORT 0xcf9
#define PC_RST_SYS_RST  0x02
#define PC_RST_CPU      0x04

static uint64_t irqs_off(void)
{
    uint64_t flags;

    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static void irqs_restore(uint64_t flags)
{
    if (flags & (1u << 9))           /* RFLAGS.IF */
        __asm__ volatile("sti" : : : "memory");
}

/* Spin until `ns` have passed on platform_now(): a bounded wait for the
   machine to act on a request. Returns only if it did not. */
static void wait_ns(uint64_t ns)
{
    uint64_t t0 = platform_now();

    while (platform_now() - t0 < ns)
        __asm__ volatile("pause" : : : "memory");
}

//! [x64-poweroff]
/* ACPICA's order (the one Linux's acpi_power_off() ends in): PM1a_CNT read,
   its SLP_TYP and SLP_EN cleared; the new SLP_TYP written alone; then the
   same value with SLP_EN. Other bits (SCI_EN) are kept as they are. */
void x64_poweroff(void)
{
    const struct fadt_info *f = x64_fadt();
    uint64_t flags;
    uint16_t cnt;
    uint8_t typ;

    if (!f || !f->pm1a_cnt) {
        kprintf("power: no PM1a control block in the FADT: cannot power off\n");
        return;
    }
    if (!acpi_find_s5(f, &typ))
        return;                      /* it said why */
    kprintf("power: writing SLP_TYP %u | SLP_EN to port 0x%x (PM1a_CNT)\n", typ, f->pm1a_cnt);
    flags = irqs_off();
    cnt = (uint16_t)(inw(f->pm1a_cnt) & ~(ACPI_PM_SLP_TYP_MASK | ACPI_PM_SLP_EN));
    cnt = (uint16_t)(cnt | (unsigned)typ << ACPI_PM_SLP_TYP_SHIFT);
    outw(f->pm1a_cnt, cnt);
    outw(f->pm1a_cnt, (uint16_t)(cnt | ACPI_PM_SLP_EN));
    wait_ns(POWER_WAIT_NS);
    irqs_restore(flags);
    kprintf("power: still running after S5\n");
}
//! [x64-poweroff]

//! [x64-reset]
/* Linux's order, as far as our machines go: the ACPI reset register
   (acpi_reboot()), then the chipset's 0xCF9 (reboot=pci). The 0xCF9 write
   keeps the register's other bits, as Linux does. */
void x64_reset(void)
{
    const struct fadt_info *f = x64_fadt();
    uint64_t flags = irqs_off();
    uint8_t rc;

    if (f && f->reset_port) {
        kprintf("power: reset through the FADT reset register: 0x%x to port 0x%x\n",
                f->reset_value, f->reset_port);
        outb(f->reset_port, f->reset_value);
        wait_ns(POWER_WAIT_NS);
        kprintf("power: still running after the FADT reset register\n");
    }
    kprintf("power: reset through the reset control register: port 0x%x\n", PC_RST_CNT_PORT);
    rc = (uint8_t)(inb(PC_RST_CNT_PORT) & ~(PC_RST_SYS_RST | PC_RST_CPU));
    outb(PC_RST_CNT_PORT, (uint8_t)(rc | PC_RST_SYS_RST));
    outb(PC_RST_CNT_PORT, (uint8_t)(rc | PC_RST_SYS_RST | PC_RST_CPU));
    wait_ns(POWER_WAIT_NS);
    irqs_restore(flags);
    kprintf("power: still running after reset\n");
}
//! [x64-reset]
