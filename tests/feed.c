/* feed.c - type into a program once it is ready for input.

   Usage: feed --after TEXT --input FILE [--qemu-keys] -- COMMAND [ARG...]

   Runs COMMAND with a pipe as its standard input and copies everything it
   prints to feed's standard output as it arrives. COMMAND's stdout and
   stderr go into one pipe, so they come out merged, in the order COMMAND
   wrote them. As soon as TEXT has appeared in that output (it may arrive
   split over several reads), feed writes FILE's bytes into COMMAND's input
   and then closes it, so COMMAND reads end-of-file after the last byte.

   The test rules use it to boot a kernel that reads its console: the
   kernel prints a line when it is listening, and only then is the input
   sent, so none of it lands before the receiver is set up.

   With --qemu-keys, FILE is typed on a keyboard instead: COMMAND is QEMU
   (or a script that starts it), and an argument @MONITOR@ is replaced by
   `unix:PATH,server=on,wait=off`, a monitor socket in a scratch directory.
   Once TEXT has appeared, feed connects to it and sends one HMP `sendkey`
   per byte of FILE (letters, digits, space, newline and the common
   punctuation, shifted where a US keyboard needs it; any other byte is a
   usage error before anything starts). QEMU queues the keys in order.

   The input pipe is non-blocking and feed polls it together with
   COMMAND's output: a slow reader (a guest whose UART FIFO is full) holds
   bytes back in the pipe without stopping feed from copying output, so
   neither side can wait on the other for ever, and no byte is dropped.

   COMMAND stays in feed's process group (tup tracks file accesses by
   group). SIGTERM, SIGINT and SIGHUP sent to feed are passed on to it.

   EXIT STATUS
     COMMAND's own exit status, or 128 + N if signal N ended it
     2    usage error, or FILE cannot be read
     127  COMMAND could not be started
   If COMMAND ends before TEXT appeared, or stops reading before all of FILE
   was sent, feed says so on stderr and still exits with COMMAND's status
   (the test's expect: lines are what fail it). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define AFTER_MAX 256     /* longest TEXT: the scan window keeps this much */
#define CHUNK     4096

static volatile sig_atomic_t child_pid;  /* 0 until the fork */

static _Noreturn void usage(const char *why)
{
    fprintf(stderr, "feed: %s\n"
            "usage: feed --after TEXT --input FILE [--qemu-keys] -- COMMAND [ARG...]\n", why);
    exit(2);
}

/* --- the input file ----------------------------------------------------- */

struct input {
    char *bytes;
    size_t len, sent;
};

static void read_input(const char *path, struct input *in)
{
    FILE *f = fopen(path, "rb");
    size_t cap = CHUNK, n;

    if (!f) {
        fprintf(stderr, "feed: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    in->bytes = malloc(cap);
    in->len = in->sent = 0;
    while (in->bytes && (n = fread(in->bytes + in->len, 1, cap - in->len, f)) > 0) {
        in->len += n;
        if (in->len == cap)
            in->bytes = realloc(in->bytes, cap *= 2);
    }
    if (!in->bytes || ferror(f)) {
        fprintf(stderr, "feed: cannot read %s: %s\n", path,
                in->bytes ? strerror(errno) : "out of memory");
        exit(2);
    }
    fclose(f);
}

/* --- keys: FILE as HMP sendkey commands ---------------------------------- */

/* QEMU's key name (qcode) for a byte, and whether shift is held for it on
   a US keyboard; NULL for a byte no key types. */
static const char *qcode(unsigned char c, bool *shift)
{
    static const char unshifted[] = "`1234567890-=[]\\;',./";
    static const char shifted[] = "~!@#$%^&*()_+{}|:\"<>?";
    static const char *const names[] = {
        "grave_accent", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "minus",
        "equal", "bracket_left", "bracket_right", "backslash", "semicolon",
        "apostrophe", "comma", "dot", "slash",
    };
    static char letter[2];
    const char *p;

    _Static_assert(sizeof unshifted == sizeof shifted &&
                       sizeof names / sizeof names[0] == sizeof unshifted - 1,
                   "one key name per punctuation byte, shifted and not");
    *shift = false;
    if (c >= 'a' && c <= 'z') {
        letter[0] = (char)c;
        return letter;
    }
    if (c >= 'A' && c <= 'Z') {
        *shift = true;
        letter[0] = (char)(c - 'A' + 'a');
        return letter;
    }
    if (c == ' ')
        return "spc";
    if (c == '\n')
        return "ret";
    if (c && (p = strchr(unshifted, c)))
        return names[p - unshifted];
    if (c && (p = strchr(shifted, c))) {
        *shift = true;
        return names[p - shifted];
    }
    return NULL;
}

/* Replace the input's bytes by the monitor commands that type them. */
static void input_as_keys(struct input *in)
{
    size_t cap = in->len * 32 + 1, n = 0;
    char *out = malloc(cap);

    for (size_t i = 0; out && i < in->len; i++) {
        bool shift;
        const char *q = qcode((unsigned char)in->bytes[i], &shift);

        if (!q) {
            fprintf(stderr, "feed: byte 0x%02x at offset %zu has no key\n",
                    (unsigned char)in->bytes[i], i);
            exit(2);
        }
        n += (size_t)snprintf(out + n, cap - n, "sendkey %s%s 20\n", shift ? "shift-" : "", q);
    }
    if (!out) {
        fprintf(stderr, "feed: out of memory\n");
        exit(2);
    }
    free(in->bytes);
    in->bytes = out;
    in->len = n;
}

static char monitor_dir[64], monitor_path[sizeof monitor_dir + 16];

static void remove_monitor(void)
{
    unlink(monitor_path);
    rmdir(monitor_dir);
}

/* A scratch directory for the socket, and @MONITOR@ in argv made its spec. */
static void monitor_prepare(char **argv)
{
    static char spec[sizeof monitor_path + 32];
    bool used = false;

    snprintf(monitor_dir, sizeof monitor_dir, "/tmp/feed-XXXXXX");
    if (!mkdtemp(monitor_dir)) {
        fprintf(stderr, "feed: mkdtemp: %s\n", strerror(errno));
        exit(2);
    }
    snprintf(monitor_path, sizeof monitor_path, "%s/monitor", monitor_dir);
    atexit(remove_monitor);
    snprintf(spec, sizeof spec, "unix:%s,server=on,wait=off", monitor_path);
    for (; *argv; argv++)
        if (strcmp(*argv, "@MONITOR@") == 0) {
            *argv = spec;
            used = true;
        }
    if (!used)
        usage("--qemu-keys needs an argument @MONITOR@ in the command");
}

/* Connect to QEMU's monitor, non-blocking; -1 (and why) if it is not there. */
static int monitor_connect(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memcpy(sa.sun_path, monitor_path, strlen(monitor_path) + 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "feed: cannot reach QEMU's monitor at %s: %s\n", monitor_path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* --- watching for TEXT -------------------------------------------------- */

/* The last len(TEXT) - 1 bytes of output are kept, so a TEXT that straddles
   two reads is found in the window once the second read is appended. */
struct watch {
    const char *text;
    size_t len, kept;
    char window[AFTER_MAX + CHUNK];
    bool seen;
};

static bool contains(const char *hay, size_t n, const char *needle, size_t len)
{
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(hay + i, needle, len) == 0)
            return true;
    return false;
}

static void watch_output(struct watch *w, const char *buf, size_t n)
{
    size_t total;

    if (w->seen)
        return;
    memcpy(w->window + w->kept, buf, n);
    total = w->kept + n;
    w->seen = contains(w->window, total, w->text, w->len);
    w->kept = total < w->len - 1 ? total : w->len - 1;
    memmove(w->window, w->window + total - w->kept, w->kept);
}

/* --- the child ---------------------------------------------------------- */

static void write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, buf, n);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return;                 /* our own stdout is gone: nothing to do */
        buf += k;
        n -= (size_t)k;
    }
}

/* Pass a termination signal on to the child; the main loop then sees its
   output end and reports the status it died with. */
static void forward(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP };
#define NFORWARDED (sizeof forwarded / sizeof forwarded[0])

static void set_signals(void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaction(forwarded[i], &sa, 0);
}

/* The signals stay blocked across the fork so that one arriving before
   child_pid is set is not lost; the child gets default dispositions back
   (an ignored SIGPIPE would survive exec) before it runs COMMAND. */
static pid_t start(char **argv, int in_fd[2], int out_fd[2])
{
    sigset_t block, old;
    pid_t pid;

    sigemptyset(&block);
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaddset(&block, forwarded[i]);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid = fork();
    if (pid == 0) {
        set_signals(SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, 0);
        dup2(in_fd[0], 0);
        dup2(out_fd[1], 1);
        dup2(out_fd[1], 2);
        close(in_fd[0]); close(in_fd[1]);
        close(out_fd[0]); close(out_fd[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "feed: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0) {
        fprintf(stderr, "feed: fork: %s\n", strerror(errno));
        exit(2);
    }
    child_pid = pid;
    sigprocmask(SIG_SETMASK, &old, 0);
    close(in_fd[0]);
    close(out_fd[1]);
    return pid;
}

/* --- the loop ----------------------------------------------------------- */

/* Send what the pipe takes now. Returns false once the input is finished
   (all sent, or the reader went away) and the pipe should be closed. */
static bool send_some(int fd, struct input *in)
{
    while (in->sent < in->len) {
        ssize_t k = write(fd, in->bytes + in->sent, in->len - in->sent);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno == EAGAIN)
            return true;            /* full: poll says when there is room */
        if (k < 0) {
            fprintf(stderr, "feed: the command stopped reading after %zu of %zu bytes: %s\n",
                    in->sent, in->len, strerror(errno));
            return false;
        }
        in->sent += (size_t)k;
    }
    return false;
}

/* Copy output until the child closes it, sending the input once TEXT was
   seen. in_fd is -1 once the input pipe is closed. With keys, the input
   goes to QEMU's monitor, connected once TEXT was seen, and what the
   monitor answers is read and dropped; it stays open until the end. */
static void pump(int out_fd, int in_fd, struct watch *w, struct input *in, bool keys)
{
    char buf[CHUNK];
    int mon = -1;
    bool typing = keys;

    for (;;) {
        struct pollfd p[3] = { { out_fd, POLLIN, 0 }, { in_fd, POLLOUT, 0 }, { mon, POLLIN, 0 } };
        nfds_t n = w->seen && in_fd >= 0 ? 2 : 1;
        ssize_t k;

        if (keys && w->seen && mon < 0 && typing) {
            mon = monitor_connect();
            typing = mon >= 0;
            in_fd = mon;
            continue;
        }
        if (mon >= 0) {
            p[1].fd = typing ? mon : -1;
            p[2].fd = mon;
            n = 3;
        }

        if (poll(p, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "feed: poll: %s\n", strerror(errno));
            exit(2);
        }
        if (mon >= 0 && (p[2].revents & POLLIN))
            (void)!read(mon, buf, sizeof buf);          /* the monitor's echo */
        if (mon >= 0 && (p[2].revents & (POLLHUP | POLLERR))) {
            close(mon);
            mon = in_fd = -1;
            typing = false;
        }
        if (mon >= 0) {
            if (typing && (p[1].revents & POLLOUT) && !send_some(mon, in))
                typing = false;             /* all typed; keep it open */
        } else if (n == 2 && p[1].revents && !send_some(in_fd, in)) {
            close(in_fd);
            in_fd = -1;
        }
        if (!p[0].revents)
            continue;
        k = read(out_fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;                  /* every writer closed it: the child ended */
        write_all(1, buf, (size_t)k);
        watch_output(w, buf, (size_t)k);
    }
    if (mon >= 0)
        close(mon);
    else if (in_fd >= 0 && !keys)
        close(in_fd);
}

static int wait_status(pid_t pid)
{
    int st;

    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "feed: waitpid: %s\n", strerror(errno));
            return 2;
        }
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    static struct watch w;
    const char *after = 0, *path = 0;
    struct input in;
    int in_fd[2], out_fd[2], i, status;
    bool keys = false;
    pid_t pid;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
        if (strcmp(argv[i], "--qemu-keys") == 0) {
            keys = true;
            i--;
            continue;
        }
        if (i + 1 >= argc)
            usage("an option needs a value");
        if (strcmp(argv[i], "--after") == 0)
            after = argv[i + 1];
        else if (strcmp(argv[i], "--input") == 0)
            path = argv[i + 1];
        else
            usage("unknown option");
    }
    if (!after || !path)
        usage("--after and --input are both needed");
    if (!*after || strlen(after) > AFTER_MAX)
        usage("--after TEXT must have 1 to 256 characters");
    if (i + 1 >= argc)
        usage("no command after --");
    w.text = after;
    w.len = strlen(after);
    read_input(path, &in);
    if (keys) {
        input_as_keys(&in);
        monitor_prepare(argv + i + 1);
    }

    if (pipe(in_fd) < 0 || pipe(out_fd) < 0) {
        fprintf(stderr, "feed: pipe: %s\n", strerror(errno));
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);       /* a reader that leaves is an EPIPE, not death */
    set_signals(forward);
    pid = start(argv + i + 1, in_fd, out_fd);
    fcntl(in_fd[1], F_SETFL, fcntl(in_fd[1], F_GETFL) | O_NONBLOCK);
    if (keys)
        close(in_fd[1]);            /* the child's stdin ends at once */
    pump(out_fd[0], keys ? -1 : in_fd[1], &w, &in, keys);
    status = wait_status(pid);
    free(in.bytes);
    if (!w.seen)
        fprintf(stderr, "feed: %s ended (status %d) before \"%s\" appeared; no input was sent\n",
                argv[i + 1], status, after);
    return status;
}
