/* acpi.h - the minimal ACPI tables the monitor gives its guest.

   Pure host code: no KVM, no files, no allocation. acpi_build() writes an
   RSDP, an XSDT, a MADT, a FADT and a DSDT into guest RAM (guest
   physical 0 is ram[0]) and returns the RSDP's address for
   hvm_start_info.rsdp_paddr. These are the
   facts PC firmware (and QEMU) report, so one kernel reads the same machine
   on both: one CPU with its local APIC at 0xFEE00000, the 8259 pair
   (PCAT_COMPAT), one I/O APIC with 24 pins at 0xFEC00000 from GSI 0, and
   the PC's ISA overrides: IRQ0 (the PIT) on GSI 2, IRQ9 (the SCI) level,
   active high. The FADT gives the ACPI PM block of hdr/acpi_pm.h at QEMU's
   `-M pc` ports (PM1a event 0x600, PM1a control 0x604, PM timer 0x608)
   and the SCI on IRQ 9, and the reset register at port 0xCF9, as Intel's
   chipsets and QEMU's q35 have it. The DSDT holds one object, \_S5, which
   says what SLP_TYP powers the machine off.

   Layouts and checksums: hdr/acpi.h, the header the kernel's reader
   (arch/x64/acpi.c) uses too, after ACPI 6.5 section 5.2.5.3 (RSDP), 5.2.6
   (the common header), 5.2.8 (XSDT), 5.2.12 (MADT) and its subsections
   5.2.12.2 (Processor Local APIC), 5.2.12.3 (I/O APIC), 5.2.12.5
   (Interrupt Source Override), 5.2.9 (FADT), 5.2.3.2 (Generic Address
   Structure), 4.8.3.6 (the reset register); the DSDT (5.2.11.1) is the
   header and the AML of \_S5 (7.4.2, the encoding of 20.2). */
#ifndef BBVM_ACPI_H
#define BBVM_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* Where bbvm puts the tables: the start of the 0xE0000 BIOS area. It is
   reserved in the PVH memory map (loader.h), so a kernel does not reuse it
   as RAM, and a kernel that ignores rsdp_paddr and scans 0xE0000-0xFFFFF
   for "RSD PTR ", as PC firmware guarantees, finds it too. */
#define ACPI_AREA_PADDR 0xe0000u
#define ACPI_AREA_SIZE  0x1000u

/* What the MADT says (the monitor's machine; a kernel checks these). */
#define ACPI_LAPIC_PADDR  0xfee00000u
#define ACPI_IOAPIC_PADDR 0xfec00000u
#define ACPI_IOAPIC_ID    0
#define ACPI_IOAPIC_GSI   0

/* What the FADT says: the SCI's ISA IRQ, and whether the PM timer counts
   32 bits (TMR_VAL_EXT) or 24, as QEMU's PIIX4 does. The PM model must be
   set up the same way: its cfg.tmr_32bit (hdr/acpi_pm.h) set to
   BBVM_PM_TMR_32BIT. */
#define ACPI_SCI_IRQ      9
#define BBVM_PM_TMR_32BIT 0

/* Soft-off and reset, as the board must implement them. The DSDT's \_S5
   package gives ACPI_BOARD_S5_SLP_TYP: a PM1a_CNT write of that SLP_TYP
   with SLP_EN set (hdr/acpi_pm.h's `sleep` hook) powers the machine off.
   7 is the S5 encoding of Intel's ICH/PCH chipsets (SLP_TYP 111b); QEMU's
   PIIX4 uses 0. The FADT's reset register is the chipset's Reset Control
   Register, byte port ACPI_BOARD_RESET_PORT; writing ACPI_BOARD_RESET_VALUE
   there (SYS_RST, bit 1: a hard reset, and RST_CPU, bit 2: do it now)
   resets the machine. */
#define ACPI_BOARD_S5_SLP_TYP  7
#define ACPI_BOARD_RESET_PORT  0xcf9
#define ACPI_BOARD_RESET_VALUE 0x06

/* acpi_build()'s errors (negative; 0 is success). */
#define ACPI_E_ARGS  (-1)   /* no RAM, or base not 16-byte aligned */
#define ACPI_E_RANGE (-2)   /* [base, base + room) not inside RAM, or >= 4 GiB */
#define ACPI_E_ROOM  (-3)   /* the tables do not fit in `room` bytes */

/* Bytes acpi_build() writes, from base. */
size_t acpi_tables_size(void);

/* Build the tables at guest physical [base, base + room), which must lie in
   RAM. Nothing at all is written unless they fit. On success returns 0 and
   sets *rsdp_out to the RSDP's guest physical address (== base). */
int acpi_build(uint8_t *ram, size_t ram_size, uint64_t base, size_t room,
               uint64_t *rsdp_out);

#endif /* BBVM_ACPI_H */
