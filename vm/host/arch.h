/* arch.h - the host "architecture": the portable kernel's event loop run as
   a Linux process (the monitor's device loop).

   arch/common/kernel.c (the loop, deferred interrupts, timers) needs a port
   of arch/common/platform.h; this is the one for user space, so the runtime
   the book teaches is also what runs the monitor's devices. What stands for
   what:
     CPU interrupt   an event that ends the wait: a file descriptor turning
                     readable, the one-shot deadline passing, or a trigger
                     from another thread;
     interrupt line  a file descriptor attached with host_irq_attach_fd():
                     level-triggered (it interrupts while readable), masked
                     by the "ISR" when it fires and unmasked by the kernel's
                     deferred wrapper once the handler has run;
     the one-shot    ppoll()'s timeout;
     wfi             ppoll() on every unmasked line plus the wake-up eventfd.
   The loop runs on one thread. platform_irq_trigger() is the one call other
   threads may make (the monitor's vCPU thread uses it to hand work over):
   it marks the irq pending, then writes the eventfd, so a trigger that comes
   after the loop looked for work still ends the wait. There is no other
   asynchronous entry, so platform_irq_off()/on() have nothing to mask. */
#ifndef BREADBOARD_HOST_ARCH_H
#define BREADBOARD_HOST_ARCH_H

#include <stdbool.h>

#define PLATFORM_IRQ_MAX     16
#define PLATFORM_SOFT_IRQ    0   /* no source: platform_irq_trigger() only */
#define PLATFORM_TIMER_IRQ   1   /* the wait's deadline passed */
#define PLATFORM_CONSOLE_IRQ 2   /* the host's console input, when attached */
#define HOST_IRQ_VCPU        3   /* the monitor's vCPU thread wants the loop */
#define HOST_IRQ_OUTPUT      4   /* the console's output: guest bytes to write, or
                                    standard output writable again */

/* Make irq `irq` a line driven by `fd`: while the line is unmasked and the
   fd is readable (or at end of file, or in error: a read will say which),
   the wait ends and `irq` is raised, then masked. Lines start masked;
   kernel_irq_register() unmasks. -1 detaches. False for a bad irq number.
   Loop thread only, after platform_init(). */
bool host_irq_attach_fd(unsigned irq, int fd);
/* The same for a line that interrupts while `fd` is writable (or in
   error): a writer waits on it after a write that could not finish. */
bool host_irq_attach_fd_out(unsigned irq, int fd);

#endif
