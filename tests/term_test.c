/* term_test.c - vm/term.c on a real pseudo-terminal, no KVM: raw input
   while bbvm would run, and the terminal's settings back on every way out
   the process can take: a return from main, exit() (die()'s path), and a
   fatal signal (the process still dies of that signal). Each way is a
   child process that takes the terminal raw and leaves; the parent, which
   holds the same terminal open, compares its settings with the ones from
   before. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"
#include "../vm/term.h"

static int master = -1, slave = -1;
static struct termios before;

static bool same(const struct termios *a, const struct termios *b)
{
    return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_cflag == b->c_cflag &&
           a->c_lflag == b->c_lflag && memcmp(a->c_cc, b->c_cc, sizeof a->c_cc) == 0;
}

enum way { RETURN, EXIT, SIGNAL };

/* A child takes the terminal raw, reports what it saw through its exit
   status or a pipe byte, and leaves the way asked. */
static int child(enum way w, int report)
{
    struct termios now;
    char ok;

    if (!term_raw(slave))
        _exit(90);
    tcgetattr(slave, &now);
    ok = !(now.c_lflag & (ICANON | ECHO)) && (now.c_lflag & ISIG) && !(now.c_iflag & ICRNL) &&
                 (now.c_oflag & OPOST)
             ? 'r'
             : 'x';
    (void)!write(report, &ok, 1);
    switch (w) {
    case RETURN:
        return 0;           /* main returns: atexit handlers run */
    case EXIT:
        exit(6);            /* as die(STATUS_HOST, ...) does */
    case SIGNAL:
        raise(SIGTERM);
        _exit(91);          /* not reached: the default action kills us */
    }
    return 0;
}

static void run_way(enum way w, int want_status, int want_signal)
{
    int p[2], status;
    pid_t pid;
    char seen = 0;
    struct termios after;

    CHECK(pipe(p) == 0);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        exit(child(w, p[1]));
    }
    close(p[1]);
    CHECK(read(p[0], &seen, 1) == 1);
    close(p[0]);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_EQ(seen, 'r');                        /* it was raw while running */
    if (want_signal) {
        CHECK(WIFSIGNALED(status));
        CHECK_EQ(WTERMSIG(status), want_signal);
    } else {
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), want_status);
    }
    CHECK(tcgetattr(slave, &after) == 0);
    CHECK(same(&before, &after));               /* and is back as it was */
}

TEST(not_a_terminal)
{
    int p[2];

    CHECK(pipe(p) == 0);
    CHECK(!term_raw(p[0]));
    term_restore();                             /* nothing saved: a no-op */
    close(p[0]);
    close(p[1]);
}

TEST(restored_after_return) { run_way(RETURN, 0, 0); }
TEST(restored_after_exit) { run_way(EXIT, 6, 0); }
TEST(restored_after_a_fatal_signal) { run_way(SIGNAL, 0, SIGTERM); }

/* First: the terminal every later test uses, and its settings. */
TEST(a_pseudo_terminal)
{
    if (!CHECK(openpty(&master, &slave, NULL, NULL, NULL) == 0))
        exit(1);
    CHECK(tcgetattr(slave, &before) == 0);
    CHECK(before.c_lflag & ICANON);             /* a fresh pty is cooked */
}

CHECK_MAIN(TEST_ENTRY(a_pseudo_terminal), TEST_ENTRY(not_a_terminal), TEST_ENTRY(restored_after_return),
           TEST_ENTRY(restored_after_exit), TEST_ENTRY(restored_after_a_fatal_signal))
