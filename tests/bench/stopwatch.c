/* stopwatch.c - time a monitor from process start to a line of its output
   and to its exit, and measure the memory it holds beside its guest's RAM.

     stopwatch [--ready TEXT] [--ram BYTES] [--mem] [--timeout SECONDS]
               [--stdin FILE [--after-ready FILE]] -- COMMAND [ARG...]

   The clock starts just before fork(). COMMAND's stdout and stderr go to
   one pipe that stopwatch drains to the end (so a guest that writes a
   megabyte is not held back by a full pipe, and what it wrote is counted,
   not stored). "ready" is the moment the output first contains TEXT
   (found across read boundaries). "exit" is the moment wait4() returns.

   COMMAND's stdin is /dev/null, or with --stdin a pipe: FILE's bytes are
   written into it at the start, and the pipe stays open until the ready
   text has been seen (and memory sampled); then the bytes of the
   --after-ready FILE, if any, are written and the pipe is closed. So a
   monitor that serves requests on stdin (bbvm --qtest, QEMU's -qmp stdio)
   is measured while it is still up, and then told to quit (QEMU's
   {"execute":"quit"}) or sees end of input (bbvm).

   Memory (--mem): every 5 ms while COMMAND runs, and once as TEXT is seen,
   stopwatch reads /proc/PID/smaps and sums the resident sizes (Rss) of
   every mapping, and separately of the mappings that are the guest's RAM.
   A monitor maps guest RAM as one anonymous region of the size it was
   given, rounded up for alignment by a little (QEMU adds up to a huge
   page), so a mapping counts as guest RAM when its size is between
   BYTES and BYTES + 4 MiB. (A region the kernel merged with its
   neighbour would not be found: guest_kib 0, which bench.sh refuses as a
   sample rather than count guest RAM as the monitor's.) What the monitor
   itself holds is Rss minus the guest RAM's Rss; the figure is its
   largest value over the samples ("mon_kib"), beside the largest Rss and
   guest RAM Rss seen. Sampling perturbs the timing, so boot is timed in
   runs without --mem. The process's own peak (ru_maxrss of the child) is
   printed too: it includes the guest RAM the guest touched.

   Output, one line on stdout (times in ms with microsecond digits):
     stopwatch: ready_ms R exit_ms E status S out_bytes B
                [mon_kib M rss_kib P guest_kib G samples K] maxrss_kib X
   R is "-" if TEXT never appeared. S is the exit status, or "signal-N",
   or "timeout" (COMMAND was killed after SECONDS, default 120).
   stopwatch exits 0 if it measured (whatever COMMAND's status), 2 on a
   usage error, 1 if COMMAND could not be started. */
#define _GNU_SOURCE /* wait4, pipe2 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_MS 5
#define RAM_SLACK (4ull << 20)

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

struct mem {
    uint64_t rss_kib, guest_kib;        /* the largest of each seen */
    uint64_t mon_kib;                   /* the largest rss - guest seen */
    unsigned samples;
};

//! [smaps]
/* One pass over /proc/PID/smaps. A mapping's header line is
   "start-end perms offset dev inode [path]"; its "Rss: N kB" follows. */
static void sample(pid_t pid, uint64_t ram, struct mem *m)
{
    char path[64], line[512];
    uint64_t rss = 0, guest = 0, size = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return;                         /* it has just exited */
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, kib;

        if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            size = hi - lo;
        else if (sscanf(line, "Rss: %llu kB", &kib) == 1) {
            rss += kib;
            if (ram && size >= ram && size <= ram + RAM_SLACK)
                guest += kib;
        }
    }
    fclose(f);
    if (rss == 0)
        return;                         /* a zombie's empty smaps */
    /* Largest, not latest: the last sample may catch the process as it
       exits, its guest RAM already unmapped. */
    if (rss > m->rss_kib)
        m->rss_kib = rss;
    if (guest > m->guest_kib)
        m->guest_kib = guest;
    if (rss - guest > m->mon_kib)
        m->mon_kib = rss - guest;
    m->samples++;
}
//! [smaps]

/* Write all of file `path` into fd (a pipe whose reader may have quit). */
static bool feed(const char *path, int fd)
{
    char b[4096];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (!f) {
        fprintf(stderr, "stopwatch: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    while ((n = fread(b, 1, sizeof b, f)) > 0)
        if (write(fd, b, n) != (ssize_t)n)
            break;
    fclose(f);
    return true;
}

static void usage(void)
{
    fprintf(stderr, "usage: stopwatch [--ready TEXT] [--ram BYTES] [--mem] [--timeout SECONDS]\n"
                    "                 [--stdin FILE [--after-ready FILE]] -- COMMAND [ARG...]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *ready = NULL, *in_path = NULL, *after_path = NULL;
    int in_fd = -1;
    uint64_t ram = 0;
    bool mem = false;
    double timeout_s = 120, t0, t_ready = -1, t_exit;
    struct mem m = { 0, 0, 0, 0 };
    char tail[256] = "", buf[65536];
    size_t tail_len = 0, ready_len = 0;
    uint64_t out_bytes = 0;
    int fds[2], in_pipe[2] = { -1, -1 }, i, status = 0;
    bool eof = false, exited = false, timed_out = false;
    struct rusage ru;
    pid_t pid;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (!strcmp(argv[i], "--ready") && i + 1 < argc)
            ready = argv[++i];
        else if (!strcmp(argv[i], "--ram") && i + 1 < argc)
            ram = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--stdin") && i + 1 < argc)
            in_path = argv[++i];
        else if (!strcmp(argv[i], "--after-ready") && i + 1 < argc)
            after_path = argv[++i];
        else if (!strcmp(argv[i], "--mem"))
            mem = true;
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout_s = strtod(argv[++i], NULL);
        else
            usage();
    }
    if (i >= argc || timeout_s <= 0 || (after_path && (!in_path || !ready)))
        usage();
    if (ready) {
        ready_len = strlen(ready);
        if (ready_len == 0 || ready_len >= sizeof tail / 2) {
            fprintf(stderr, "stopwatch: --ready text must be 1..%zu bytes\n", sizeof tail / 2 - 1);
            return 2;
        }
    }
    if (pipe2(fds, O_CLOEXEC) < 0 || (in_path && pipe2(in_pipe, O_CLOEXEC) < 0)) {
        perror("stopwatch: pipe");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);           /* a command that quits before reading all */
    t0 = now_ms();
    pid = fork();
    if (pid < 0) {
        perror("stopwatch: fork");
        return 1;
    }
    if (pid == 0) {
        int in = in_path ? in_pipe[0] : open("/dev/null", O_RDONLY);

        if (in < 0 || dup2(in, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
            _exit(127);
        execvp(argv[i], argv + i);
        fprintf(stderr, "stopwatch: cannot run %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    if (in_path) {
        close(in_pipe[0]);
        in_fd = in_pipe[1];
        if (!feed(in_path, in_fd))
            return 1;
        if (!after_path && !ready) {
            close(in_fd);
            in_fd = -1;
        }
    }

    /* Drain the output until EOF, watching for the ready text, sampling
       memory, and stopping the command at the timeout. */
    while (!eof) {
        struct pollfd p = { fds[0], POLLIN, 0 };
        double left = timeout_s * 1e3 - (now_ms() - t0);
        int wait_ms = left <= 0 ? 0 : left > 1e6 ? 1000000 : (int)left + 1;
        int r;

        if (mem && wait_ms > SAMPLE_MS)
            wait_ms = SAMPLE_MS;
        r = poll(&p, 1, wait_ms);
        if (r < 0 && errno != EINTR) {
            perror("stopwatch: poll");
            break;
        }
        if (r > 0) {
            ssize_t n = read(fds[0], buf, sizeof buf);

            if (n <= 0) {
                eof = n == 0 || errno != EINTR;
                continue;
            }
            out_bytes += (uint64_t)n;
            if (ready && t_ready < 0) {
                /* Search the last bytes of the previous read joined to the
                   start of this one, then this one. */
                size_t head = (size_t)n < ready_len ? (size_t)n : ready_len;
                memcpy(tail + tail_len, buf, head);
                tail[tail_len + head] = 0;
                if (memmem(tail, tail_len + head, ready, ready_len) ||
                    memmem(buf, (size_t)n, ready, ready_len)) {
                    t_ready = now_ms() - t0;
                    if (mem)
                        sample(pid, ram, &m);
                    if (in_fd >= 0) {
                        if (after_path && !feed(after_path, in_fd))
                            return 1;
                        close(in_fd);
                        in_fd = -1;
                    }
                }
                /* Keep the last ready_len - 1 bytes seen, of both. */
                if ((size_t)n >= ready_len - 1) {
                    tail_len = ready_len - 1;
                    memcpy(tail, buf + n - tail_len, tail_len);
                } else {
                    size_t keep = tail_len + (size_t)n > ready_len - 1 ? ready_len - 1 - (size_t)n
                                                                       : tail_len;
                    memmove(tail, tail + tail_len - keep, keep);
                    memcpy(tail + keep, buf, (size_t)n);
                    tail_len = keep + (size_t)n;
                }
            }
        }
        if (mem)
            sample(pid, ram, &m);
        if (now_ms() - t0 >= timeout_s * 1e3 && !timed_out) {
            kill(pid, SIGKILL);
            timed_out = true;
        }
    }
    close(fds[0]);
    /* The output closed: the command ends (or a child of it holds the
       pipe no longer). Wait for it, bounded by the same timeout. */
    while (!exited) {
        pid_t w = wait4(pid, &status, timed_out ? 0 : WNOHANG, &ru);

        if (w == pid)
            exited = true;
        else if (w < 0 && errno != EINTR) {
            perror("stopwatch: wait4");
            return 1;
        } else if (w == 0) {
            if (now_ms() - t0 >= timeout_s * 1e3) {
                kill(pid, SIGKILL);
                timed_out = true;
            } else
                usleep(200);
        }
    }
    t_exit = now_ms() - t0;

    printf("stopwatch: ready_ms ");
    if (t_ready >= 0)
        printf("%.3f", t_ready);
    else
        printf("-");
    printf(" exit_ms %.3f status ", t_exit);
    if (timed_out)
        printf("timeout");
    else if (WIFSIGNALED(status))
        printf("signal-%d", WTERMSIG(status));
    else
        printf("%d", WEXITSTATUS(status));
    printf(" out_bytes %" PRIu64, out_bytes);
    if (mem)
        printf(" mon_kib %" PRIu64 " rss_kib %" PRIu64 " guest_kib %" PRIu64 " samples %u", m.mon_kib,
               m.rss_kib, m.guest_kib, m.samples);
    printf(" maxrss_kib %ld\n", ru.ru_maxrss);
    return 0;
}
