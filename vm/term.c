/* term.c - the host terminal in raw input mode, restored on every way out
   (term.h says which). */
#define _DEFAULT_SOURCE /* cfmakeraw-era names, SA_RESETHAND */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

static struct termios saved;
static int saved_fd = -1;
static volatile sig_atomic_t restoring;

/* tcsetattr() is async-signal-safe, so this may run in a handler. */
void term_restore(void)
{
    if (saved_fd >= 0 && !restoring) {
        restoring = 1;
        tcsetattr(saved_fd, TCSAFLUSH, &saved);
        restoring = 0;
    }
}

static void restore_at_exit(void)
{
    term_restore();
}

/* Restore, then die of the same signal (SA_RESETHAND put the default
   action back). */
static void on_fatal_signal(int sig)
{
    term_restore();
    raise(sig);
}

//! [term-raw]
bool term_raw(int fd)
{
    static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    struct sigaction sa;
    struct termios raw;

    if (saved_fd >= 0 || !isatty(fd) || tcgetattr(fd, &saved) < 0)
        return false;
    saved_fd = fd;
    atexit(restore_at_exit);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
    /* Input raw: byte by byte, no echo, no line editing, no CR-to-NL or
       flow control; signal keys kept. Output processing kept. */
    raw = saved;
    raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INLCR | IGNCR | ISTRIP | IXON | IXOFF);
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSAFLUSH, &raw) < 0) {
        saved_fd = -1;
        return false;
    }
    return true;
}
//! [term-raw]
