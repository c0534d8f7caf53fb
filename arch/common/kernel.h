/* kernel.h - what the portable kernel needs from an architecture, and what it
   gives back. Each arch/<name>/ implements the platform_* functions; the
   porting chapter of the book (book/porting.md) says in which order.

   Contract for every function here: callable from thread context before and
   after interrupts are enabled; none is ISR-safe unless it says so. */
#ifndef BREADBOARD_KERNEL_H
#define BREADBOARD_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What boot code learned about the machine, filled by the arch before kmain. */
struct boot_info {
    const char *arch;       /* "x64", "arm64", "arm32", "rv64" */
    const char *entry;      /* how we were entered: "PVH", "EL1", "OpenSBI S-mode" */
    const char *console;    /* e.g. "16550 at port 0x3f8" */
    uint64_t mem_bytes;     /* usable RAM the firmware reported, 0 if unknown */
    const char *cmdline;    /* kernel command line, "" if none */
};

/* Write one byte to the boot console. Works from any context and never
   enables interrupts: polled, or (x64, once its console is started) queued
   for the transmit interrupt, and polled again whenever interrupts are off. */
void platform_putc(char c);

/* End the run: report `status` to whoever started us (QEMU, our monitor)
   and never return. 0 means success. Interrupts may be in any state. */
_Noreturn void platform_exit(int status);

/* Is `word` one of the command line's space-separated words ("irqchip=pic",
   "interactive")? Pure: ISR-safe. */
bool kernel_cmdline_has(const char *cmdline, const char *word);

/* The portable kernel entry, called once by the arch with interrupts off. */
_Noreturn void kmain(const struct boot_info *bi);

/* printf to the console: %c %s %d %i %u %x %p, with l/ll/z size prefixes,
   a width with '0' or '-' (left) padding. Returns the bytes written. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

/* The same formatting appended to a buffer: s[len] onwards, truncated to
   size - 1 bytes in all and always NUL-terminated (size > 0). Returns what
   the whole text would have taken, as snprintf does; len says what fit.
   A fault report builds its description in one before printing. */
struct kbuf {
    char *s;
    size_t size, len;
};
int kbprintf(struct kbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
