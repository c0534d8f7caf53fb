/* term.c - the host terminal in raw input mode, restored on every way out
   and while bbvm is stopped (term.h says which). */
#define _DEFAULT_SOURCE /* cfmakeraw-era names, SA_RESETHAND */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

static struct termios saved, raw;
static int saved_fd = -1;
/* want_raw: from term_raw() to the last restore. is_raw: our settings are
   on now. They differ while stopped, or resumed in the background. */
static volatile sig_atomic_t want_raw, is_raw;
/* The signals whose handlers touch the terminal. Each handler runs with
   all of them blocked, and so does term_restore(), so that none of them
   sees the two flags above half changed. */
static sigset_t ours;
static struct sigaction stop_action, stop_default;
/* Whether Ctrl-Z is ours: not if SIGTSTP was ignored when we started (a
   shell without job control, nohup-like wrappers), which stays so. */
static bool stop_ours;

/* The saved settings back, if ours are on. Not otherwise: from the
   background a tcsetattr() would stop us with SIGTTOU. */
static void go_cooked(void)
{
    if (is_raw) {
        tcsetattr(saved_fd, TCSAFLUSH, &saved);
        is_raw = 0;
    }
}

/* Ours back, if still wanted and the terminal's foreground is our group
   (tcgetpgrp() is allowed from the background; tcsetattr() is not). */
static void go_raw(void)
{
    if (want_raw && !is_raw && tcgetpgrp(saved_fd) == getpgrp() &&
        tcsetattr(saved_fd, TCSAFLUSH, &raw) == 0)
        is_raw = 1;
}

/* Only async-signal-safe calls, so this may run in a handler. */
void term_restore(void)
{
    sigset_t old;

    if (saved_fd < 0)
        return;
    sigprocmask(SIG_BLOCK, &ours, &old);
    want_raw = 0;
    go_cooked();
    sigprocmask(SIG_SETMASK, &old, NULL);
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

/* Ctrl-Z: the saved settings back, then stop for real. The raised SIGTSTP
   stays blocked until we return, and then its default action stops us. */
static void on_stop(int sig)
{
    int e = errno;

    go_cooked();
    sigaction(SIGTSTP, &stop_default, NULL);
    raise(sig);
    errno = e;
}

/* Resumed: Ctrl-Z is ours again, and so is the terminal if we are in the
   foreground. */
static void on_continue(int sig)
{
    int e = errno;

    (void)sig;
    if (stop_ours)
        sigaction(SIGTSTP, &stop_action, NULL);
    go_raw();
    errno = e;
}

static bool ignored(int sig)
{
    struct sigaction now;

    return sigaction(sig, NULL, &now) == 0 && now.sa_handler == SIG_IGN;
}

//! [term-raw]
bool term_raw(int fd)
{
    static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    struct sigaction sa;
    sigset_t old;
    bool ok;

    if (saved_fd >= 0 || !isatty(fd) || tcgetattr(fd, &saved) < 0)
        return false;
    /* Input raw: byte by byte, no echo, no line editing, no CR-to-NL or
       flow control; signal keys kept. Output processing kept. */
    raw = saved;
    raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INLCR | IGNCR | ISTRIP | IXON | IXOFF);
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    sigemptyset(&ours);
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaddset(&ours, fatal[i]);
    sigaddset(&ours, SIGTSTP);
    sigaddset(&ours, SIGCONT);
    /* A Ctrl-Z typed meanwhile waits until the terminal is raw and the
       flags say so. */
    sigprocmask(SIG_BLOCK, &ours, &old);
    saved_fd = fd;
    atexit(restore_at_exit);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;
    sa.sa_mask = ours;
    /* A signal ignored when we started stays ignored (nohup's SIGHUP, a
       background job's SIGINT and SIGQUIT): catching it would turn
       "ignore" into "restore and die". */
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        if (!ignored(fatal[i]))
            sigaction(fatal[i], &sa, NULL);
    /* SA_RESTART: a read() or write() that Ctrl-Z and `fg` came through
       goes on (ppoll() ends with EINTR whatever: platform_wfi() takes it). */
    stop_action = sa;
    stop_action.sa_handler = on_stop;
    stop_action.sa_flags = SA_RESTART;
    stop_default = stop_action;
    stop_default.sa_handler = SIG_DFL;
    stop_ours = !ignored(SIGTSTP);
    if (stop_ours)
        sigaction(SIGTSTP, &stop_action, NULL);
    sa.sa_handler = on_continue;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCONT, &sa, NULL);
    ok = tcsetattr(fd, TCSAFLUSH, &raw) == 0;
    if (ok)
        want_raw = is_raw = 1;
    else
        saved_fd = -1;
    sigprocmask(SIG_SETMASK, &old, NULL);
    return ok;
}
//! [term-raw]
