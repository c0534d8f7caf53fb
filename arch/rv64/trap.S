/* trap.S - the one S-mode trap entry, for exceptions and interrupts alike.

   stvec in direct mode sends every trap here (privileged spec 1.12, 4.1.2).
   The hart has already saved the pc in sepc, the cause in scause, the
   faulting address or instruction in stval, and moved sstatus.SIE to SPIE
   with SIE now 0 (4.1.1): we run with interrupts off. We only ever trap
   from S-mode on the kernel stack, so the frame goes right below sp.

   Frame layout (struct trapframe in arch.h): 8 * n holds xn, then sepc,
   sstatus, scause, stval; 288 bytes keeps sp 16-byte aligned (psABI). */

#define FRAME    288
#define F_SEPC   256
#define F_SSTATUS 264
#define F_SCAUSE 272
#define F_STVAL  280

    .section .text
    .balign 4                   /* stvec.BASE must be 4-byte aligned */
    .globl trap_entry
trap_entry:
    addi sp, sp, -FRAME
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, \n*8(sp)
    .endr
    addi t0, sp, FRAME          /* the interrupted sp */
    sd t0, 2*8(sp)
    csrr t0, sepc
    sd t0, F_SEPC(sp)
    csrr t0, sstatus
    sd t0, F_SSTATUS(sp)
    csrr t0, scause
    sd t0, F_SCAUSE(sp)
    csrr t0, stval
    sd t0, F_STVAL(sp)

    mv a0, sp
    call rv64_trap

    /* sepc and sstatus (SPP, SPIE) say where sret returns and whether
       interrupts come back on (4.1.1); a nested trap would have changed them. */
    ld t0, F_SEPC(sp)
    csrw sepc, t0
    ld t0, F_SSTATUS(sp)
    csrw sstatus, t0
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, \n*8(sp)
    .endr
    addi sp, sp, FRAME
    sret
