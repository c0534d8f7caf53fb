/* kvmfloor.c - the floor under a monitor's exit cost: the least a KVM run
   loop can do per guest port write or MMIO write, measured on this host.

     kvmfloor pio|mmio N        prints  kvmfloor: KIND n N ns T
     kvmfloor --check           exit 0 if this host can run it, else 6 with why

   The VM is as bare as KVM allows: one 64 KiB memory slot at guest-physical
   0, no irqchip, no CPUID table, one vCPU entered in 32-bit protected mode
   with paging off (flat segments: the state a PVH kernel starts in, so
   KVM's instruction emulation sees the same kind of guest). Its code, a
   few hand-assembled bytes, is the same loop tests/bench/kbench.c runs:

     pio:   mov ecx, N ; mov dx, 0x80 ; 1: out dx, al ; dec ecx ; jnz 1b ; hlt
     mmio:  mov ecx, N ; mov edi, MMIO ; 1: mov [edi], eax ; dec ecx ; jnz 1b ; hlt

   run twice: first a warm-up of WARM exits (the first touches of guest and
   host pages cost far more than an exit), then N. The host's side of each
   exit is nothing: KVM_EXIT_IO or KVM_EXIT_MMIO is counted and the vCPU
   re-entered. The time is the host's monotonic clock from the KVM_RUN that
   starts the measured loop to the HLT that ends it, divided by N: the round
   trip guest -> KVM -> this process -> KVM -> guest, which no monitor can
   beat for an exit it handles in user space.

   MMIO is a guest-physical address in no memory slot: 0xd0000000, the
   hole kbench writes to (any unbacked address is the same to KVM). Exit status: 0 measured, 6 this host cannot (the reason on stderr,
   like bbvm --check-kvm), 2 usage. */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RAM_SIZE 0x10000u
#define CODE 0x1000u
#define MMIO 0xd0000000u
#define WARM 1000u
#define TSS_ADDR 0xfffbd000u            /* VMX wants them with paging off; off RAM */
#define IDMAP_ADDR 0xfffbc000u

static const char *kvm_path = "/dev/kvm";

static void cannot(const char *what)
{
    fprintf(stderr, "kvmfloor: %s: %s: %s\n", kvm_path, what, strerror(errno));
    exit(6);
}

static int must(int fd, unsigned long req, void *arg, const char *what)
{
    int r;

    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        cannot(what);
    return r;
}

/* The loop for `kind`, N exits, into code[]; returns its length. */
static size_t assemble(uint8_t *code, int mmio, uint32_t n)
{
    size_t i = 0;

    code[i++] = 0xb9;                   /* mov ecx, imm32 */
    memcpy(code + i, &n, 4);
    i += 4;
    if (mmio) {
        uint32_t a = MMIO;

        code[i++] = 0xbf;               /* mov edi, imm32 */
        memcpy(code + i, &a, 4);
        i += 4;
        code[i++] = 0x89;               /* 1: mov [edi], eax */
        code[i++] = 0x07;
        code[i++] = 0x49;               /* dec ecx */
        code[i++] = 0x75;               /* jnz 1b: back over 2 + 1 + 2 bytes */
        code[i++] = (uint8_t)-5;
    } else {
        code[i++] = 0x66;               /* mov dx, 0x80 */
        code[i++] = 0xba;
        code[i++] = 0x80;
        code[i++] = 0x00;
        code[i++] = 0xee;               /* 1: out dx, al */
        code[i++] = 0x49;               /* dec ecx */
        code[i++] = 0x75;               /* jnz 1b: back over 1 + 1 + 2 bytes */
        code[i++] = (uint8_t)-4;
    }
    code[i++] = 0xf4;                   /* hlt */
    return i;
}

static struct kvm_segment flat(uint16_t sel, uint8_t type)
{
    return (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
                                 .present = 1, .db = 1, .s = 1, .g = 1 };
}

static double now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

//! [floor-loop]
/* Run until HLT; count the exits on the way. A different exit is an error
   (the loop above makes no other). */
static uint64_t run_to_hlt(int vcpu, struct kvm_run *run)
{
    uint64_t exits = 0;

    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR)
                continue;
            cannot("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
        case KVM_EXIT_MMIO:
            exits++;
            break;
        case KVM_EXIT_HLT:
            return exits;
        default:
            fprintf(stderr, "kvmfloor: unexpected exit reason %u after %llu exits\n",
                    run->exit_reason, (unsigned long long)exits);
            exit(1);
        }
    }
}
//! [floor-loop]

int main(int argc, char **argv)
{
    int check = argc == 2 && !strcmp(argv[1], "--check");
    int mmio, kvm, vm, vcpu;
    uint64_t idmap = IDMAP_ADDR, exits;
    uint32_t n = 0;
    uint8_t *ram;
    size_t len;
    struct kvm_run *run;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_userspace_memory_region slot;
    double t0, t1;
    long run_size;

    if (getenv("BREADBOARD_KVM") && *getenv("BREADBOARD_KVM"))
        kvm_path = getenv("BREADBOARD_KVM");
    if (!check) {
        char *end;
        unsigned long v;

        if (argc != 3 || (strcmp(argv[1], "pio") && strcmp(argv[1], "mmio"))) {
            fprintf(stderr, "usage: kvmfloor pio|mmio N  |  kvmfloor --check\n");
            return 2;
        }
        errno = 0;
        v = strtoul(argv[2], &end, 10);
        if (errno || *end || v == 0 || v > 100000000ul) {
            fprintf(stderr, "kvmfloor: N must be 1..100000000, not '%s'\n", argv[2]);
            return 2;
        }
        n = (uint32_t)v;
    }
    mmio = !check && !strcmp(argv[1], "mmio");

    kvm = open(kvm_path, O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        cannot("open");
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        cannot("KVM_GET_API_VERSION");
    vm = must(kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
    must(vm, KVM_SET_TSS_ADDR, (void *)(uintptr_t)TSS_ADDR, "KVM_SET_TSS_ADDR");
    must(vm, KVM_SET_IDENTITY_MAP_ADDR, &idmap, "KVM_SET_IDENTITY_MAP_ADDR");
    ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED)
        cannot("mmap of guest RAM");
    slot = (struct kvm_userspace_memory_region){ .slot = 0, .guest_phys_addr = 0,
                                                 .memory_size = RAM_SIZE,
                                                 .userspace_addr = (uintptr_t)ram };
    must(vm, KVM_SET_USER_MEMORY_REGION, &slot, "KVM_SET_USER_MEMORY_REGION");
    vcpu = must(vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
    run_size = must(kvm, KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
    run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        cannot("mmap of kvm_run");
    if (check)
        return 0;

    /* The warm-up loop, then the measured one, back to back. */
    len = assemble(ram + CODE, mmio, WARM);
    assemble(ram + CODE + len, mmio, n);

    must(vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
    sregs.cs = flat(0x10, 0xb);
    sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = flat(0x18, 0x3);
    sregs.tr = (struct kvm_segment){ .limit = 0x67, .selector = 0x20, .type = 0xb, .present = 1 };
    sregs.ldt = (struct kvm_segment){ .unusable = 1 };
    sregs.cr0 = 0x11;                   /* PE, ET */
    sregs.cr3 = sregs.cr4 = sregs.efer = 0;
    must(vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
    memset(&regs, 0, sizeof regs);
    regs.rflags = 0x2;
    regs.rip = CODE;
    regs.rsp = RAM_SIZE;
    must(vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");

    exits = run_to_hlt(vcpu, run);
    if (exits != WARM) {
        fprintf(stderr, "kvmfloor: the warm-up made %llu exits, not %u\n", (unsigned long long)exits,
                WARM);
        return 1;
    }
    t0 = now_ns();
    exits = run_to_hlt(vcpu, run);
    t1 = now_ns();
    if (exits != n) {
        fprintf(stderr, "kvmfloor: the loop made %llu exits, not %u\n", (unsigned long long)exits, n);
        return 1;
    }
    printf("kvmfloor: %s n %u ns %.0f\n", mmio ? "mmio" : "pio", n, t1 - t0);
    return 0;
}
