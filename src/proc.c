/* proc: run `/bin/sh -c command`, capture stdout and stderr (see proc.h).
 *
 * The parent creates every descriptor with O_CLOEXEC (pipe2, open), forks
 * with all signals blocked, and reads a third pipe that the child writes to
 * only when it fails before exec: EOF on it means /bin/sh is running.  The
 * child calls only async-signal-safe functions between fork and exec. */
#define _GNU_SOURCE /* pipe2, NSIG */

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define PROC_CHUNK 65536

/* What the child reports when it fails before exec. */
enum { PROC_STAGE_SETSID = 1, PROC_STAGE_DUP2, PROC_STAGE_EXEC };

static double proc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void proc_close(int *fd)
{
    if (*fd >= 0) {
        close(*fd); /* not retried on EINTR: Linux has released the fd then */
        *fd = -1;
    }
}

/* Move a descriptor of ours off 0, 1 and 2 (free when the caller closed its
 * own), so that the child's dup2 onto them cannot clobber one another. */
static int proc_lift(int *fd)
{
    if (*fd > 2)
        return 0;
    int nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (nfd < 0)
        return -1;
    close(*fd);
    *fd = nfd;
    return 0;
}

static void proc_report(int fd, int stage)
{
    int r[2] = {stage, errno};
    ssize_t n;
    do
        n = write(fd, r, sizeof r);
    while (n < 0 && errno == EINTR);
}

/* Close every descriptor from `from` up (keep excepted). */
static void proc_close_from(int from, int keep, int limit)
{
#if defined(SYS_close_range)
    int ok = 1;
    if (keep > from)
        ok = syscall(SYS_close_range, (unsigned)from, (unsigned)keep - 1, 0u) == 0;
    if (ok && syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) == 0)
        return;
#endif
    for (int fd = from; fd < limit; fd++)
        if (fd != keep)
            close(fd);
}

/* In the child: never returns. */
static void proc_child(char *const argv[], int in, int out, int err, int status, int fd_limit,
                       const sigset_t *mask)
{
    if (setsid() < 0) {
        proc_report(status, PROC_STAGE_SETSID);
        _exit(127);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &sa, NULL); /* fails harmlessly for reserved signals */
    sigprocmask(SIG_SETMASK, mask, NULL);
    /* ours are all above 2: dup2 copies them, without O_CLOEXEC */
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
        proc_report(status, PROC_STAGE_DUP2);
        _exit(127);
    }
    proc_close_from(3, status, fd_limit);
    execve("/bin/sh", argv, environ);
    proc_report(status, PROC_STAGE_EXEC);
    _exit(127);
}

/* Wait for pid without a time limit (it has been killed, or has exited).
 * Returns its status, or -1 when someone else reaped it. */
static int proc_reap(pid_t pid, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, 0);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* Kill the command's process group (and the shell itself, should it have no
 * group of its own) and reap the shell. */
static void proc_kill(pid_t pid)
{
    int status;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    proc_reap(pid, &status);
}

/* Read what is ready on fd into b.  Returns 1 when something (or nothing,
 * after EINTR) was read, 0 at EOF, -1 on an error (errno), -2 when b would
 * hold more than max bytes (it is filled to max), -3 when out of memory. */
static int proc_read(int fd, buf *b, size_t max)
{
    size_t room = max - b->len;
    size_t want = room < PROC_CHUNK ? room + 1 : PROC_CHUNK;
    char *dst = buf_reserve(b, want);
    if (!dst)
        return -3;
    *dst = '\0'; /* b stays a C string when nothing comes */
    ssize_t n = read(fd, dst, want);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -1;
    if (n == 0)
        return 0;
    if ((size_t)n > room) {
        b->len += room;
        b->p[b->len] = '\0';
        return -2;
    }
    b->len += (size_t)n;
    b->p[b->len] = '\0';
    return 1;
}

static int proc_timeout(omics_error *err, double timeout)
{
    return omics_error_set(err, OMICS_ECREDENTIALS, "ProcessTimeout",
                           "the command did not finish within %g seconds (killed)", timeout);
}

/* Read both pipes to their ends (closing them), within the deadline (0:
 * none).  Returns 0, or -1 with err (the caller kills the command). */
static int proc_collect(int *fd_out, int *fd_err, buf *out, buf *errout, size_t max,
                        double deadline, double timeout, omics_error *err)
{
    while (*fd_out >= 0 || *fd_err >= 0) {
        struct pollfd fds[2];
        int *which[2];
        buf *dest[2];
        nfds_t nf = 0;
        if (*fd_out >= 0) {
            fds[nf] = (struct pollfd){.fd = *fd_out, .events = POLLIN};
            which[nf] = fd_out;
            dest[nf++] = out;
        }
        if (*fd_err >= 0) {
            fds[nf] = (struct pollfd){.fd = *fd_err, .events = POLLIN};
            which[nf] = fd_err;
            dest[nf++] = errout;
        }
        int ms = -1;
        if (deadline > 0) {
            double left = deadline - proc_now();
            if (left <= 0)
                return proc_timeout(err, timeout);
            ms = left * 1000 >= INT_MAX - 1 ? INT_MAX - 1 : (int)(left * 1000) + 1;
        }
        int r = poll(fds, nf, ms);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return omics_error_set(err, OMICS_ECREDENTIALS, "ProcessError",
                                   "poll on the command's output: %s", strerror(errno));
        }
        for (nfds_t k = 0; k < nf; k++) {
            if (!fds[k].revents)
                continue;
            int rr = proc_read(fds[k].fd, dest[k], max);
            if (rr == 0) {
                proc_close(which[k]);
            } else if (rr == -1) {
                return omics_error_set(err, OMICS_ECREDENTIALS, "ProcessError",
                                       "reading the command's output: %s", strerror(errno));
            } else if (rr == -2) {
                return omics_error_set(err, OMICS_ECREDENTIALS, "ProcessError",
                                       "the command wrote more than %zu bytes to %s (killed)",
                                       max, dest[k] == out ? "stdout" : "stderr");
            } else if (rr == -3) {
                return omics_error_set(err, OMICS_EMEMORY, "MemoryError",
                                       "out of memory reading the command's output");
            }
        }
    }
    return 0;
}

/* Wait for the shell to exit, within the deadline.  Returns 0 with its
 * status; -1 with err on the timeout (*gone = 0: the caller kills it) or when
 * someone else reaped it (*gone = 1). */
static int proc_wait(pid_t pid, double deadline, double timeout, int *status, int *gone,
                     omics_error *err)
{
    long nap = 200000; /* ns: from 0.2 ms, doubling up to 20 ms */
    *gone = 0;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR) {
            *gone = 1;
            return omics_error_set(err, OMICS_ECREDENTIALS, "ProcessError",
                                   "the command's exit status was lost (%s: reaped by a "
                                   "SIGCHLD handler, or SIGCHLD ignored?)",
                                   strerror(errno));
        }
        if (r != 0)
            continue; /* EINTR */
        if (deadline > 0 && proc_now() >= deadline)
            return proc_timeout(err, timeout);
        struct timespec ts = {0, nap};
        nanosleep(&ts, NULL); /* EINTR: just check again */
        if (nap < 20000000)
            nap *= 2;
    }
}

int proc_run(const char *command, double timeout_seconds, size_t max_output, buf *out,
             buf *errout, int *exit_status, omics_error *err)
{
    if (!command || !out || !errout || !exit_status || out == errout)
        return omics_error_set(err, OMICS_EUSAGE, "UsageError",
                               "proc_run: NULL argument, or one buffer for both outputs");
    buf_reset(out);
    buf_reset(errout);
    *exit_status = -1;

    int devnull = -1, po[2] = {-1, -1}, pe[2] = {-1, -1}, ps[2] = {-1, -1};
    int rc = -1, masked = 0;
    pid_t pid = -1;
    sigset_t all, saved, during, empty;
    double start = proc_now();
    double deadline = timeout_seconds > 0 ? start + timeout_seconds : 0;
    char *argv[] = {"sh", "-c", (char *)command, NULL};

    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 ||
        pipe2(ps, O_CLOEXEC) < 0 || proc_lift(&devnull) || proc_lift(&po[0]) ||
        proc_lift(&po[1]) || proc_lift(&pe[0]) || proc_lift(&pe[1]) || proc_lift(&ps[0]) ||
        proc_lift(&ps[1])) {
        omics_error_set(err, OMICS_ECREDENTIALS, "ProcessError",
                        "cannot start the command: %s", strerror(errno));
        goto done;
    }
    /* for a kernel without close_range: the child closes up to the limit */
    int fd_limit = 1 << 16;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        fd_limit = rl.rlim_cur < (1u << 20) ? (int)rl.rlim_cur : 1 << 20;

    /* Fork with every signal blocked (no handler of the caller's runs in the
     * child before it resets them); keep SIGCHLD blocked afterwards. */
    sigfillset(&all);
    sigemptyset(&empty);
    if (sigprocmask(SIG_BLOCK, &all, &saved) < 0) {
        omics_error_set(err, OMICS_ECREDENTIALS, "ProcessError",
                        "cannot start the command: sigprocmask: %s", strerror(errno));
        goto done;
    }
    masked = 1;
    pid = fork();
    if (pid == 0)
        proc_child(argv, devnull, po[1], pe[1], ps[1], fd_limit, &empty);
    int fork_errno = errno;
    during = saved;
    sigaddset(&during, SIGCHLD);
    sigprocmask(SIG_SETMASK, &during, NULL);
    if (pid < 0) {
        omics_error_set(err, OMICS_ECREDENTIALS, "ProcessError",
                        "cannot start the command: fork: %s", strerror(fork_errno));
        goto done;
    }
    proc_close(&devnull);
    proc_close(&po[1]);
    proc_close(&pe[1]);
    proc_close(&ps[1]);

    /* EOF: exec worked; two ints: the child failed before */
    int report[2];
    size_t got = 0;
    while (got < sizeof report) {
        ssize_t n = read(ps[0], (char *)report + got, sizeof report - got);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0 || errno != EINTR)
            break;
    }
    proc_close(&ps[0]);
    if (got == sizeof report) {
        static const char *const stages[] = {"", "setsid", "dup2", "exec /bin/sh"};
        int stage = report[0] >= 1 && report[0] <= 3 ? report[0] : 0;
        int status;
        proc_reap(pid, &status);
        pid = -1;
        omics_error_set(err, OMICS_ECREDENTIALS, "ProcessError",
                        "cannot start the command: %s: %s", stages[stage],
                        strerror(report[1]));
        goto done;
    }

    if (proc_collect(&po[0], &pe[0], out, errout, max_output, deadline, timeout_seconds, err))
        goto done;
    int status, gone;
    if (proc_wait(pid, deadline, timeout_seconds, &status, &gone, err)) {
        if (gone)
            pid = -1;
        goto done;
    }
    pid = -1;
    if (WIFEXITED(status))
        *exit_status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        *exit_status = 128 + WTERMSIG(status);
    else
        *exit_status = 255; /* not reachable without WUNTRACED */
    rc = 0;

done:
    if (pid > 0)
        proc_kill(pid); /* a failure after the start: the whole group goes */
    proc_close(&devnull);
    proc_close(&po[0]);
    proc_close(&po[1]);
    proc_close(&pe[0]);
    proc_close(&pe[1]);
    proc_close(&ps[0]);
    proc_close(&ps[1]);
    if (masked)
        sigprocmask(SIG_SETMASK, &saved, NULL);
    return rc;
}
