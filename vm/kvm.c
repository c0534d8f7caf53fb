/* kvm.c - bbvm's KVM setup: /dev/kvm, a VM with the split irqchip (the
   LAPIC in the kernel, the rest ours), guest RAM in it, the one vCPU with
   the CPUID KVM supports and the register state the PVH boot ABI asks for.
   Running it is vcpu.c's job. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

/* Two KVM scratch areas Intel VMX needs while a guest runs with paging off
   or in real mode (KVM API: KVM_SET_TSS_ADDR takes three pages, then one
   page for the identity map). Both sit in the hole below 4 GiB, off RAM. */
#define KVM_TSS_ADDR 0xfffbd000u
#define KVM_IDMAP_ADDR 0xfffbc000u

/* ---- KVM setup --------------------------------------------------------- */

int kvm_ioctl(int fd, unsigned long req, void *arg, const char *name)
{
    int r;

    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        die(STATUS_HOST, "%s: %s", name, strerror(errno));
    return r;
}

void kvm_open(struct vm *vm, const char *path)
{
    int version;

    vm->vcpu.kvm_fd = open(path, O_RDWR | O_CLOEXEC);
    if (vm->vcpu.kvm_fd < 0)
        die(STATUS_HOST, "cannot open %s: %s", path, strerror(errno));
    version = ioctl(vm->vcpu.kvm_fd, KVM_GET_API_VERSION, NULL);
    if (version < 0)
        die(STATUS_HOST, "%s: KVM_GET_API_VERSION: %s (is it a KVM device?)", path,
            strerror(errno));
    if (version != KVM_API_VERSION)
        die(STATUS_HOST, "%s: KVM API version %d, want %d", path, version, KVM_API_VERSION);
}

//! [monitor-kvm-create]
static void vm_create(struct vm *vm)
{
    struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { IOAPIC_PINS } }; /* ioapic.h: 24 */
    uint64_t idmap = KVM_IDMAP_ADDR;

    vm->vcpu.vm_fd = KVM_IOCTL(vm->vcpu.kvm_fd, KVM_CREATE_VM, NULL);
    KVM_IOCTL(vm->vcpu.vm_fd, KVM_SET_TSS_ADDR, (void *)(uintptr_t)KVM_TSS_ADDR);
    KVM_IOCTL(vm->vcpu.vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
    /* The LAPIC in the kernel; the PIC and IOAPIC are our models (board.c). KVM
       accepts this only before the first vCPU exists. */
    KVM_IOCTL(vm->vcpu.vm_fd, KVM_ENABLE_CAP, &split);
}

static void vm_add_ram(struct vm *vm)
{
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = vm->ram_size,
        .userspace_addr = (uintptr_t)vm->ram,
    };

    KVM_IOCTL(vm->vcpu.vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

static void vcpu_create(struct vm *vm)
{
    vm->vcpu.vcpu_fd = KVM_IOCTL(vm->vcpu.vm_fd, KVM_CREATE_VCPU, NULL); /* vCPU 0, the BSP */
    vm->vcpu.run_size = (size_t)KVM_IOCTL(vm->vcpu.kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
    vm->vcpu.run = mmap(NULL, vm->vcpu.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu.vcpu_fd, 0);
    if (vm->vcpu.run == MAP_FAILED)
        die(STATUS_HOST, "mmap of kvm_run: %s", strerror(errno));
}
//! [monitor-kvm-create]

/* Every step before the guest's state: a VM with the split irqchip and its
   vCPU. --check-kvm stops here, so each failure is the same one-line error
   (status 6) a run would give. */
void kvm_create(struct vm *vm)
{
    vm_create(vm);
    vcpu_create(vm);
}

/* State the TSC frequency in CPUID leaf 0x15 (Intel SDM vol. 2, CPUID:
   TSC = ECX * EBX / EAX, ECX being the crystal's Hz): with EAX = EBX = 1 the
   "crystal" is the TSC itself. Guests then need no PIT to calibrate (the
   board has one, but a 10 ms run of exits is slower and less exact). KVM reports the guest's TSC rate; an AMD
   host leaves the leaf empty, and its maximum basic leaf may be below it. */
static void cpuid_state_tsc(struct kvm_cpuid2 *c, uint32_t tsc_khz)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (e->function == 0 && e->eax < 0x15)
            e->eax = 0x15;
        if (e->function == 0x15) {
            e->eax = 1;
            e->ebx = 1;
            e->ecx = tsc_khz * 1000u;
            e->edx = 0;
        }
    }
}

/* Without a CPUID table the guest sees no long mode; pass on all KVM can do.
   KVM_GET_SUPPORTED_CPUID fails with E2BIG until the buffer is big enough. */
static void vcpu_cpuid(struct vm *vm)
{
    struct kvm_cpuid2 *c;
    int khz;

    for (unsigned n = 64;; n *= 2) {
        c = calloc(1, sizeof *c + (n + 1) * sizeof c->entries[0]);
        if (!c)
            die(STATUS_HOST, "out of memory for CPUID");
        c->nent = n;
        if (ioctl(vm->vcpu.kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            break;
        if (errno != E2BIG || n >= 4096)
            die(STATUS_HOST, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
        free(c);
    }
    khz = ioctl(vm->vcpu.vcpu_fd, KVM_GET_TSC_KHZ, 0);
    if (khz > 0) {
        bool have = false;
        for (uint32_t i = 0; i < c->nent; i++)
            have |= c->entries[i].function == 0x15;
        if (!have) /* room for one more was allocated above */
            c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 0x15 };
        cpuid_state_tsc(c, (uint32_t)khz);
    }
    KVM_IOCTL(vm->vcpu.vcpu_fd, KVM_SET_CPUID2, c);
    free(c);
}

/* ---- PVH entry state --------------------------------------------------- */

#define CR0_PE 0x1u
#define CR0_ET 0x10u
#define SEL_CODE 0x10
#define SEL_DATA 0x18
#define SEL_TSS 0x20
#define SEG_CODE_XRA 0xb /* code, execute/read, accessed */
#define SEG_DATA_RWA 0x3 /* data, read/write, accessed */
#define SEG_TSS32_BUSY 0xb

/* A flat 4 GiB, 32-bit, ring-0 segment: base 0, limit 0xffffffff. */
static struct kvm_segment flat_segment(uint16_t selector, uint8_t type)
{
    return (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = selector,
                                 .type = type, .present = 1, .db = 1, .s = 1, .g = 1 };
}

//! [monitor-pvh-state]
/* pvh.pandoc: "cr0: bit 0 (PE) must be set. All the other writeable bits
   are cleared"; "cr4: all bits are cleared"; CS a 32-bit read/execute and
   DS/ES 32-bit read/write flat segments; "tr: must be a 32-bit TSS (active)
   with a base of '0' and a limit of '0x67'". Selectors are unspecified. */
static void pvh_sregs(struct kvm_sregs *s)
{
    s->cs = flat_segment(SEL_CODE, SEG_CODE_XRA);
    s->ds = s->es = s->ss = s->fs = s->gs = flat_segment(SEL_DATA, SEG_DATA_RWA);
    s->tr = (struct kvm_segment){ .base = 0, .limit = 0x67, .selector = SEL_TSS,
                                  .type = SEG_TSS32_BUSY, .present = 1 };
    s->ldt = (struct kvm_segment){ .unusable = 1 };
    /* No GDT or IDT of ours: an exception before the kernel loads its own
       IDT is a triple fault, which we report. */
    s->gdt.base = s->idt.base = 0;
    s->gdt.limit = s->idt.limit = 0;
    s->cr0 = CR0_PE | CR0_ET;
    s->cr2 = s->cr3 = s->cr4 = 0;
    s->efer = 0;
}

/* pvh.pandoc: "ebx: contains the physical memory address where the loader
   has placed the boot start info structure"; eflags IF, TF and VM clear. */
static void vcpu_pvh_state(struct vm *vm)
{
    struct kvm_regs regs = { .rflags = 0x2, .rip = vm->vcpu.entry, .rbx = vm->vcpu.start_info };
    struct kvm_sregs sregs;

    KVM_IOCTL(vm->vcpu.vcpu_fd, KVM_GET_SREGS, &sregs);
    pvh_sregs(&sregs);
    KVM_IOCTL(vm->vcpu.vcpu_fd, KVM_SET_SREGS, &sregs);
    KVM_IOCTL(vm->vcpu.vcpu_fd, KVM_SET_REGS, &regs);
}
//! [monitor-pvh-state]

/* Guest RAM (main.c mapped and filled it), CPUID and the PVH entry state. */
void kvm_setup_guest(struct vm *vm)
{
    vm_add_ram(vm);
    vcpu_cpuid(vm);
    vcpu_pvh_state(vm);
}

