/* acpi.h - x64: find the interrupt controllers in the ACPI MADT, the PM
   registers and the reset register in the FADT, and the soft-off sleep
   type in the DSDT's \_S5 object.

   PC firmware (and QEMU, and our monitor) describe the local APIC, the I/O
   APICs and how ISA IRQs map onto GSIs in the MADT, reached from the RSDP
   through the XSDT (ACPI 2.0+) or the RSDT (ACPI 1.0). PVH hands the RSDP's
   address in hvm_start_info.rsdp_paddr; without it, the RSDP is found the
   way ACPI 6.5 section 5.2.5.1 says, on a 16-byte boundary in the first KiB
   of the EBDA or in 0xE0000-0xFFFFF.

   The tables are firmware input: every address, length and checksum is
   checked before it is used, and no walk can loop on a zero length. The
   DSDT's AML is not interpreted: a bounded scan finds the one object a
   kernel needs to power off, \_S5, if it is written as a Name holding a
   Package, the way every firmware we know writes it.
   Physical addresses are read through the boot identity map, so only
   tables below 4 GiB are accepted. */
#ifndef BREADBOARD_X64_ACPI_H
#define BREADBOARD_X64_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define MADT_MAX_OVERRIDES 16   /* one per ISA IRQ at most; more are ignored */

/* One Interrupt Source Override (ACPI 6.5, 5.2.12.5), decoded: ISA `irq`
   arrives on `gsi`. "Conforms to the bus" is resolved to ISA's own
   convention, active high and edge-triggered. */
struct madt_override {
    uint8_t irq;
    uint32_t gsi;
    bool active_low;
    bool level;
};

/* What the MADT says about the machine's interrupt controllers. */
struct madt_info {
    uint32_t lapic_paddr;       /* local APIC registers */
    bool pcat_compat;           /* an 8259 pair is present (and must be masked) */
    unsigned ioapics;           /* how many I/O APICs the MADT lists */
    uint8_t ioapic_id;          /* the one serving GSI 0 (else the first) */
    uint32_t ioapic_paddr;
    uint32_t ioapic_gsi_base;
    unsigned n_overrides;
    struct madt_override overrides[MADT_MAX_OVERRIDES];
};

/* What the FADT (ACPI 6.5, 5.2.9) says about the fixed hardware. A port of
   0 means the block is absent or unusable (not in I/O space, a wrong
   length, past port 0xffff). */
struct fadt_info {
    uint8_t revision;
    uint16_t sci_irq;           /* SCI_INT: the ISA IRQ of the SCI (8259 numbering) */
    uint16_t pm_tmr;            /* PM timer: 32-bit reads at this port */
    bool tmr_32bit;             /* TMR_VAL_EXT: counts 32 bits, else 24 */
    uint16_t pm1a_evt;          /* PM1a status (first half), enable (second) */
    uint8_t pm1_evt_len;
    uint16_t pm1a_cnt;          /* PM1a control */
    uint8_t pm1_cnt_len;
    uint64_t dsdt;              /* the DSDT: X_DSDT if set, else DSDT (0: none) */
    bool reset_reg_sup;         /* the RESET_REG_SUP flag (ACPI 2.0+ FADT only) */
    uint16_t reset_port;        /* RESET_REG, usable: in I/O space (0: none) */
    uint8_t reset_value;        /* RESET_VALUE: the byte that resets */
};

/* hvm_start_info.rsdp_paddr, kept by x64_start() for platform_init()
   (0: the firmware gave none; acpi_find_madt() then scans for it). */
extern uint64_t x64_rsdp_paddr;

/* Find the RSDP (at `rsdp_paddr`; if that is 0, by the legacy scan), then
   the MADT, and fill *out. Prints one line, "acpi: MADT: ioapic ..." or
   "acpi: no MADT (why)". Returns false, with *out zeroed, if there is no
   valid MADT with an I/O APIC. Pre: the identity map of the low 4 GiB.
   Irqs: any, unchanged. Not ISR-safe (it prints). */
bool acpi_find_madt(uint64_t rsdp_paddr, struct madt_info *out);

/* Find the RSDP as acpi_find_madt() does, then the FADT ("FACP"), and fill
   *out. Prints two lines, "acpi: FADT: PM timer at port 0x608, 24-bit, SCI
   on IRQ 9" (or "no PM timer") and "acpi: FADT: reset register port 0xcf9
   value 0x6" (or "no reset register (why)"), or one, "acpi: no FADT
   (why)". Returns false, with *out zeroed, if there is no valid FADT.
   Same preconditions. */
bool acpi_find_fadt(uint64_t rsdp_paddr, struct fadt_info *out);

/* The SLP_TYP that powers the machine off: the first element of the
   package the DSDT names \_S5 (ACPI 6.5, 7.4.2), into *slp_typ. The DSDT
   is the one `f` names (NULL: none), checked like any table; the scan of
   its AML is bounded by the table's length and never reads past it.
   Prints one line, "acpi: DSDT: \_S5 SLP_TYP 7" or "acpi: DSDT: no \_S5
   (why)". Returns false, *slp_typ untouched, if there is none usable. Same
   preconditions as acpi_find_madt(). */
bool acpi_find_s5(const struct fadt_info *f, uint8_t *slp_typ);

/* The GSI ISA IRQ `irq` arrives on, with its polarity and trigger mode:
   the override's if the MADT has one, else the identity, high, edge. */
uint32_t madt_isa_gsi(const struct madt_info *m, unsigned irq, bool *active_low,
                      bool *level);

#endif
