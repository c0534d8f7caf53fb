/* platform.c - arch/common/platform.h for a Linux process: the event loop's
   wait is ppoll() on file descriptors with the next timer deadline as its
   timeout. See arch.h for what stands for the CPU's interrupts here. */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "loop.h"

static struct irq_table *host_irqs;
static int wake_fd = -1;            /* written by platform_irq_trigger() */
static uint64_t epoch_ns;           /* CLOCK_MONOTONIC at platform_init() */

static struct {
    int fd;                         /* -1: not a line */
    short events;                   /* POLLIN, or POLLOUT for an output line */
    bool masked;
} lines[PLATFORM_IRQ_MAX];

static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void platform_putc(char c)
{
    fputc(c, stderr);
}

_Noreturn void platform_exit(int status)
{
    fflush(stdout);
    exit(status);
}

void platform_init(const struct boot_info *bi, struct irq_table *irqs)
{
    (void)bi;
    host_irqs = irqs;
    for (unsigned i = 0; i < PLATFORM_IRQ_MAX; i++)
        lines[i].fd = -1, lines[i].masked = true;
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0) {
        fprintf(stderr, "bbvm: eventfd: %s\n", strerror(errno));
        exit(6);    /* the monitor's "host error" status */
    }
    epoch_ns = monotonic_ns();
}

uint64_t platform_now(void)
{
    return monotonic_ns() - epoch_ns;
}

bool host_irq_attach_fd(unsigned irq, int fd)
{
    if (irq >= PLATFORM_IRQ_MAX)
        return false;
    lines[irq].fd = fd;
    lines[irq].events = POLLIN;
    return true;
}

bool host_irq_attach_fd_out(unsigned irq, int fd)
{
    if (!host_irq_attach_fd(irq, fd))
        return false;
    lines[irq].events = POLLOUT;
    return true;
}

void platform_irq_off(void) {}
void platform_irq_on(void) {}

bool platform_irq_unmask(unsigned irq)
{
    if (irq >= PLATFORM_IRQ_MAX)
        return false;
    lines[irq].masked = false;
    return true;
}

bool platform_irq_mask(unsigned irq)
{
    if (irq >= PLATFORM_IRQ_MAX)
        return false;
    lines[irq].masked = true;
    return true;
}

//! [trigger]
/* Any thread. The pending bit first, then the wake-up: the loop either sees
   the bit when it looks for work, or is woken out of ppoll() by the write. */
bool platform_irq_trigger(unsigned irq)
{
    uint64_t one = 1;

    if (irq >= PLATFORM_IRQ_MAX)
        return false;
    irq_raise(host_irqs, irq);
    while (write(wake_fd, &one, sizeof one) < 0 && errno == EINTR)
        ;   /* EAGAIN: the counter is already non-zero, which is enough */
    return true;
}
//! [trigger]

void platform_console_irq(bool on)
{
    (void)on;   /* the host console has no transmit interrupt to test with */
}

//! [wfi]
uint64_t platform_wfi(uint64_t deadline)
{
    struct pollfd pfd[PLATFORM_IRQ_MAX + 1];
    unsigned irq_of[PLATFORM_IRQ_MAX + 1], n = 1;
    struct timespec ts, *timeout = NULL;
    uint64_t now = platform_now(), drained;

    pfd[0] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
    for (unsigned i = 0; i < PLATFORM_IRQ_MAX; i++)
        if (lines[i].fd >= 0 && !lines[i].masked) {
            pfd[n] = (struct pollfd){ .fd = lines[i].fd, .events = lines[i].events };
            irq_of[n++] = i;
        }
    if (deadline != PLATFORM_NEVER) {
        uint64_t left = deadline > now ? deadline - now : 0;
        ts.tv_sec = (time_t)(left / 1000000000u);
        ts.tv_nsec = (long)(left % 1000000000u);
        timeout = &ts;
    }
    if (ppoll(pfd, n, timeout, NULL) < 0 && errno != EINTR) {
        fprintf(stderr, "bbvm: ppoll: %s\n", strerror(errno));
        exit(6);
    }
    if (pfd[0].revents & POLLIN)    /* the triggers' bits are already set */
        while (read(wake_fd, &drained, sizeof drained) < 0 && errno == EINTR)
            ;
    /* The "ISRs": mask each line that fired and record it for the loop. */
    for (unsigned i = 1; i < n; i++)
        if (pfd[i].revents) {
            lines[irq_of[i]].masked = true;
            irq_raise(host_irqs, irq_of[i]);
        }
    now = platform_now();
    if (deadline != PLATFORM_NEVER && now >= deadline)
        irq_raise(host_irqs, PLATFORM_TIMER_IRQ);
    return now;
}
//! [wfi]
