/* qtest_peer.c - the other end of `bbvm --qtest=unix:PATH`, as libqtest is
   QEMU's: it listens on a Unix socket, starts the monitor to connect to it,
   sends each line of its standard input as a request and prints every line
   the monitor answers, until the monitor closes the connection. Its exit
   status is the monitor's.

   Usage: qtest_peer BBVM [BBVM-ARGS...] < requests > answers

   One request at a time, as libqtest does: it sends a line and reads up
   to and including the answer (OK..., FAIL...), printing the IRQ and MSI
   events that come before it. A second check comes free: a monitor that
   answered anything but one line per request would hang this peer, and
   tw's timeout fails the test. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "qtest_peer: %s: %s\n", what, strerror(errno));
    exit(2);
}

int main(int argc, char **argv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char opt[sizeof sa.sun_path + 16], line[4096], *args[32];
    int lfd, fd, status;
    FILE *in, *out;
    pid_t pid;

    if (argc < 2 || argc > 28) {
        fprintf(stderr, "usage: qtest_peer BBVM [ARGS...] < requests\n");
        return 2;
    }
    snprintf(sa.sun_path, sizeof sa.sun_path, "/tmp/qtest-peer-%d.sock", (int)getpid());
    unlink(sa.sun_path);
    if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
        die("socket");
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 1) < 0)
        die("bind");
    snprintf(opt, sizeof opt, "--qtest=unix:%s", sa.sun_path);
    args[0] = argv[1];
    args[1] = opt;
    for (int i = 2; i < argc; i++)
        args[i] = argv[i];
    args[argc] = NULL;
    if ((pid = fork()) < 0)
        die("fork");
    if (pid == 0) {
        execv(argv[1], args);
        _exit(127);
    }
    fd = accept(lfd, NULL, NULL);
    unlink(sa.sun_path);
    if (fd < 0)
        die("accept");
    if (!(out = fdopen(fd, "w")) || !(in = fdopen(dup(fd), "r")))
        die("fdopen");
    signal(SIGPIPE, SIG_IGN);
    while (fgets(line, sizeof line, stdin)) {
        if (fputs(line, out) == EOF || fflush(out) == EOF)
            break;                          /* the monitor has gone */
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;                       /* a blank request: no answer */
        while (fgets(line, sizeof line, in)) {
            fputs(line, stdout);
            if (strncmp(line, "OK", 2) == 0 || strncmp(line, "FAIL", 4) == 0)
                break;
        }
        if (feof(in))
            break;                          /* closed: the session is over */
    }
    fflush(out);
    shutdown(fd, SHUT_WR);                  /* end of requests (the read side stays) */
    while (fgets(line, sizeof line, in))    /* whatever is left, to the end */
        fputs(line, stdout);
    if (waitpid(pid, &status, 0) < 0)
        die("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
