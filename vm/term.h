/* term.h - the host terminal as a console: raw input while bbvm runs, and
   the terminal as it was on every way out.

   A guest's console wants every byte as it is typed: no line editing, no
   echo by the host (the guest echoes), no CR-to-NL translation. So while
   the guest runs, a terminal on standard input is put in raw input mode.
   Output processing stays on (a guest's "\n" still starts a new line) and
   so do the signal keys: Ctrl-C stops bbvm, as it stops QEMU with
   `-serial stdio`.

   Whatever ends the run, the terminal gets its settings back: a normal
   return, exit() from anywhere (die() included: atexit), and the signals
   that end a process by default and can be caught (SIGINT, SIGTERM,
   SIGHUP, SIGQUIT: the handler restores, then the signal is raised again
   with its default action, so the exit status still says what killed
   us). Nothing can restore after SIGKILL; `stty sane` can.

   Ctrl-Z (SIGTSTP) gives the shell its terminal back as it was, then
   stops bbvm for real. On SIGCONT the terminal goes raw again, but only
   if bbvm's process group is the terminal's foreground one: a job
   resumed with `bg` keeps the terminal cooked (its tcsetattr() would
   stop it again with SIGTTOU), and `fg` later sends SIGCONT again, which
   brings raw back. Nor is anything restored on a way out while the
   terminal is cooked, so a job that ends in the background just ends. */
#ifndef BBVM_TERM_H
#define BBVM_TERM_H

#include <stdbool.h>

/* If `fd` is a terminal, save its settings, arrange their restoration on
   every exit path, and switch its input to raw. True if it did. Call once. */
bool term_raw(int fd);
/* Put the saved settings back now, if ours are on, for good: a later
   SIGCONT leaves them (safe to call more than once, and from a signal
   handler). */
void term_restore(void);

#endif
