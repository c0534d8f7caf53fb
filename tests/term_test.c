/* term_test.c - vm/term.c on a real pseudo-terminal, no KVM: raw input
   while bbvm would run, and the terminal's settings back on every way out
   the process can take: a return from main, exit() (die()'s path), and a
   fatal signal (the process still dies of that signal), and a signal the
   process was started ignoring, which stays ignored. Each way is a
   child process that takes the terminal raw and leaves; the parent, which
   holds the same terminal open, compares its settings with the ones from
   before. Then job control: the settings from before while bbvm is stopped
   by Ctrl-Z, raw again after `fg`, and still cooked after `bg`. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
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

/* Input raw as term.h says: no line editing or echo, no CR-to-NL, but the
   signal keys and output processing kept. */
static bool raw_input(const struct termios *t)
{
    return !(t->c_lflag & (ICANON | ECHO)) && (t->c_lflag & ISIG) && !(t->c_iflag & ICRNL) &&
           (t->c_oflag & OPOST);
}

enum way { RETURN, EXIT, SIGNAL, IGNORED };

/* A child takes the terminal raw, reports what it saw through its exit
   status or a pipe byte, and leaves the way asked. */
static int child(enum way w, int report)
{
    struct termios now;
    char ok;

    if (w == IGNORED) {                 /* as under nohup, or with no job control */
        signal(SIGHUP, SIG_IGN);
        signal(SIGTSTP, SIG_IGN);
    }
    if (!term_raw(slave))
        _exit(90);
    tcgetattr(slave, &now);
    ok = raw_input(&now) ? 'r' : 'x';
    (void)!write(report, &ok, 1);
    switch (w) {
    case RETURN:
        return 0;           /* main returns: atexit handlers run */
    case EXIT:
        exit(6);            /* as die(STATUS_HOST, ...) does */
    case SIGNAL:
        raise(SIGTERM);
        _exit(91);          /* not reached: the default action kills us */
    case IGNORED:
        raise(SIGHUP);      /* neither may kill or stop us */
        raise(SIGTSTP);
        return tcgetattr(slave, &now) == 0 && raw_input(&now) ? 7 : 92;
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
    CHECK(waitpid(pid, &status, WUNTRACED) == pid);
    if (!CHECK(!WIFSTOPPED(status))) {          /* a stop it should not take */
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
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
/* SIGHUP and SIGTSTP ignored before: still ignored, still raw after both,
   and restored when the process exits (status 7). */
TEST(ignored_signals_stay_ignored) { run_way(IGNORED, 7, 0); }

/* ---- job control: Ctrl-Z, `fg`, `bg` ----------------------------------

   The kernel discards a stop signal's default action in an orphaned
   process group (one with no parent in its session but outside it), which
   is what a child that only setsid()s would be: Ctrl-Z could not stop it.
   So a child plays the user's shell: it starts a session with the pty as
   its controlling terminal, runs the job (bbvm's part) in a group of its
   own in the foreground, and does what a shell does on Ctrl-Z, `fg` and
   `bg`, checking the settings after each step. Its exit status says
   whether any of its checks failed. */

/* bbvm's part: on 'g' take the terminal raw and say 'r' if it did; on 'q'
   exit (atexit restores) as bbvm does when the guest is done; any other
   byte comes back as it is, so the shell knows the job runs again and any
   SIGCONT handler of ours has run. */
static void job(int cmd, int report)
{
    ssize_t n;
    char c;

    for (;;) {
        n = read(cmd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != 1 || c == 'q')
            exit(0);
        if (c == 'g')
            c = term_raw(slave) ? 'r' : 'x';
        (void)!write(report, &c, 1);
    }
}

static bool settings_are(bool raw)
{
    struct termios now;

    return tcgetattr(slave, &now) == 0 && (raw ? raw_input(&now) : same(&before, &now));
}

/* The shell, one letter a step of `script`: z for Ctrl-Z, f for `fg`, b for
   `bg`, q for the job's own exit. */
static void shell(const char *script)
{
    long failed = check_failed_;
    int cmd[2], report[2], status;
    pid_t pid;
    char c;

    alarm(10);                  /* a job that never stops or answers fails, not hangs */
    signal(SIGTTOU, SIG_IGN);   /* as a shell: it takes the terminal back from the background */
    if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || pipe(cmd) < 0 || pipe(report) < 0)
        _exit(100);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGTTOU, SIG_DFL);   /* the job gets the default: stopped by it */
        close(cmd[1]);
        close(report[0]);
        job(cmd[0], report[1]);
    }
    setpgid(pid, pid);          /* both sides, so it is done before tcsetpgrp */
    close(cmd[0]);
    close(report[1]);
    CHECK(tcsetpgrp(slave, pid) == 0);
    c = 'g';
    CHECK(write(cmd[1], &c, 1) == 1 && read(report[0], &c, 1) == 1 && c == 'r');
    CHECK(settings_are(true));
    for (; *script; script++) {
        switch (*script) {
        case 'z':   /* typed on the pty: SIGTSTP to the foreground group */
            c = (char)before.c_cc[VSUSP];
            CHECK(write(master, &c, 1) == 1);
            CHECK(waitpid(pid, &status, WUNTRACED) == pid);
            if (CHECK(WIFSTOPPED(status)))
                CHECK_EQ(WSTOPSIG(status), SIGTSTP);
            CHECK(tcsetpgrp(slave, getpgrp()) == 0);
            CHECK(settings_are(false));     /* the shell gets its terminal as it was */
            break;
        case 'f':   /* the terminal to the job, then SIGCONT */
            CHECK(tcsetpgrp(slave, pid) == 0);
            CHECK(kill(-pid, SIGCONT) == 0);
            c = 'a';
            CHECK(write(cmd[1], &c, 1) == 1 && read(report[0], &c, 1) == 1 && c == 'a');
            CHECK(settings_are(true));      /* raw again */
            break;
        case 'b':   /* SIGCONT alone: the job runs in the background */
            CHECK(kill(-pid, SIGCONT) == 0);
            c = 'a';
            CHECK(write(cmd[1], &c, 1) == 1 && read(report[0], &c, 1) == 1 && c == 'a');
            CHECK(settings_are(false));     /* the shell's terminal stays cooked */
            break;
        case 'q':
            c = 'q';
            CHECK(write(cmd[1], &c, 1) == 1);
            CHECK(waitpid(pid, &status, WUNTRACED) == pid);
            if (!CHECK(WIFEXITED(status))) {    /* stopped by SIGTTOU, say */
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
            } else {
                CHECK_EQ(WEXITSTATUS(status), 0);
            }
            CHECK(settings_are(false));
            break;
        }
    }
    /* A failure here must not leave the next test a raw terminal. */
    tcsetattr(slave, TCSANOW, &before);
    fflush(stdout);
    _exit(check_failed_ != failed);
}

static void run_job(const char *script)
{
    int status, shell_signal, shell_failed;
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid == 0)
        shell(script);
    CHECK(waitpid(pid, &status, 0) == pid);
    shell_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    shell_failed = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    CHECK_EQ(shell_signal, 0);      /* SIGALRM (14): a step hung */
    CHECK_EQ(shell_failed, 0);      /* 1: a check of the shell's (above) failed */
}

/* Ctrl-Z twice: the second proves the SIGTSTP handler came back. */
TEST(cooked_while_stopped_raw_after_fg) { run_job("zfzfq"); }
TEST(cooked_after_bg_raw_after_fg) { run_job("zbfq"); }
/* Nothing to restore after `bg`: a tcsetattr() from the background would
   stop the job with SIGTTOU instead of letting it exit. */
TEST(exits_in_the_background) { run_job("zbq"); }

/* First: the terminal every later test uses, and its settings. */
TEST(a_pseudo_terminal)
{
    if (!CHECK(openpty(&master, &slave, NULL, NULL, NULL) == 0))
        exit(1);
    CHECK(tcgetattr(slave, &before) == 0);
    CHECK(before.c_lflag & ICANON);             /* a fresh pty is cooked */
}

CHECK_MAIN(TEST_ENTRY(a_pseudo_terminal), TEST_ENTRY(not_a_terminal), TEST_ENTRY(restored_after_return),
           TEST_ENTRY(restored_after_exit), TEST_ENTRY(restored_after_a_fatal_signal),
           TEST_ENTRY(ignored_signals_stay_ignored),
           TEST_ENTRY(cooked_while_stopped_raw_after_fg), TEST_ENTRY(cooked_after_bg_raw_after_fg),
           TEST_ENTRY(exits_in_the_background))
