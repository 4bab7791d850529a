/* proc: running credential_process commands. */
#define _GNU_SOURCE /* setitimer, kill, sigaction flags */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctest.h"
#include "proc.h"

static buf out, errout;
static omics_error err;
static int status;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(const char *cmd, double timeout, size_t max)
{
    omics_error_clear(&err);
    status = -99;
    return proc_run(cmd, timeout, max, &out, &errout, &status, &err);
}

static const char *o(void)
{
    return buf_str(&out);
}

static const char *e(void)
{
    return buf_str(&errout);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* The state letter of a process and its parent, from /proc/<pid>/stat;
 * 0 when there is no such process. */
static char proc_state(long pid, long *ppid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    char *paren = strrchr(line, ')'); /* the command name may hold anything */
    char state = 0;
    long pp = 0;
    if (!paren || sscanf(paren + 1, " %c %ld", &state, &pp) != 2)
        return 0;
    if (ppid)
        *ppid = pp;
    return state;
}

/* Children of this process: all of them, or only zombies. */
static int count_children(int zombies_only)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        long ppid = 0;
        char st = proc_state(pid, &ppid);
        if (st && ppid == (long)getpid() && (!zombies_only || st == 'Z'))
            n++;
    }
    closedir(d);
    return n;
}

/* Whether pid is gone (or dead, waiting for whoever adopted it to reap it)
 * within a few seconds. */
static int gone_soon(long pid)
{
    for (int i = 0; i < 300; i++) {
        char st = proc_state(pid, NULL);
        if (st == 0 || st == 'Z' || st == 'X')
            return 1;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void test_output_and_status(void)
{
    CHECK(run("echo hello", 10, 1 << 20) == 0);
    CHECK(status == 0);
    CHECK_STR(o(), "hello\n");
    CHECK_STR(e(), "");

    CHECK(run("printf out; printf err >&2; exit 3", 10, 1 << 20) == 0);
    CHECK(status == 3);
    CHECK_STR(o(), "out");
    CHECK_STR(e(), "err");

    CHECK(run("exit 0", 10, 100) == 0 && status == 0);
    CHECK(run("false", 10, 100) == 0 && status == 1);
    CHECK(run("exit 255", 10, 100) == 0 && status == 255);
    CHECK(run("exit 256", 10, 100) == 0 && status == 0);
    CHECK(run("kill -TERM $$", 10, 100) == 0 && status == 128 + SIGTERM);
    CHECK(run("kill -KILL $$", 10, 100) == 0 && status == 128 + SIGKILL);
    /* nothing printed: empty, not NULL */
    CHECK(run("true", 10, 100) == 0 && status == 0 && out.len == 0 && errout.len == 0);
    CHECK_STR(o(), "");
    /* no timeout: 0 or less is no limit */
    CHECK(run("echo x", 0, 100) == 0 && status == 0);
    CHECK_STR(o(), "x\n");
    CHECK(run("echo y", -1, 100) == 0 && status == 0);
    /* binary output, NULs included */
    CHECK(run("printf 'a\\000b\\377'", 10, 100) == 0 && out.len == 4 &&
          memcmp(out.p, "a\0b\377", 4) == 0);
    /* exactly max bytes is fine */
    CHECK(run("head -c 4096 /dev/zero", 10, 4096) == 0 && status == 0 && out.len == 4096);
    /* a JSON document as credential_process prints it */
    CHECK(run("printf '{\"Version\": 1, \"AccessKeyId\": \"AKID\"}\\n'", 10, 1 << 20) == 0);
    CHECK_STR(o(), "{\"Version\": 1, \"AccessKeyId\": \"AKID\"}\n");
}

static void test_not_found(void)
{
    CHECK(run("lua_omics_no_such_command_here --version", 10, 1 << 16) == 0);
    CHECK(status == 127);
    CHECK(strstr(e(), "not found") != NULL);
    CHECK(run("/nonexistent/dir/cmd", 10, 1 << 16) == 0 && status == 127);
    CHECK(run("/dev/null", 10, 1 << 16) == 0 && status == 126); /* not executable */
    CHECK(run("if then fi", 10, 1 << 16) == 0 && status == 2);  /* syntax error */
}

static void test_environment_and_stdin(void)
{
    setenv("LUA_OMICS_PROC_TEST", "v a l=ue", 1);
    CHECK(run("printf %s \"$LUA_OMICS_PROC_TEST\"", 10, 100) == 0);
    CHECK_STR(o(), "v a l=ue");
    unsetenv("LUA_OMICS_PROC_TEST");
    CHECK(run("printf %s \"${LUA_OMICS_PROC_TEST-unset}\"", 10, 100) == 0);
    CHECK_STR(o(), "unset");
    /* stdin is /dev/null: cat ends at once, read sees EOF */
    CHECK(run("cat; read x; echo \"read=$?\"", 5, 100) == 0 && status == 0);
    CHECK_STR(o(), "read=1\n");
    CHECK(run("readlink /proc/$$/fd/0", 5, 100) == 0);
    CHECK_STR(o(), "/dev/null\n");
    /* a session of its own: the shell leads its session and group */
    CHECK(run("cut -d' ' -f5,6 /proc/$$/stat", 5, 200) == 0); /* pgrp, session */
    {
        long sid = 0, pgid = 0;
        CHECK(sscanf(o(), "%ld %ld", &sid, &pgid) == 2 && sid == pgid && sid != (long)getsid(0));
    }
}

static void test_big_output(void)
{
    /* 1 MB on stderr, a little on stdout: both pipes are read as they fill */
    CHECK(run("head -c 1048576 /dev/zero >&2; echo little", 30, 2 << 20) == 0);
    CHECK(status == 0);
    CHECK(errout.len == 1048576);
    CHECK_STR(o(), "little\n");
    /* and the other way round, then interleaved */
    CHECK(run("head -c 1048576 /dev/zero; echo little >&2", 30, 2 << 20) == 0);
    CHECK(status == 0 && out.len == 1048576);
    CHECK_STR(e(), "little\n");
    CHECK(run("for i in 1 2 3 4; do head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2; done",
              30, 2 << 20) == 0);
    CHECK(status == 0 && out.len == 1200000 && errout.len == 1200000);
}

static void test_too_much_output(void)
{
    double t0 = now();
    CHECK(run("yes", 30, 4096) == -1);
    CHECK(err.kind == OMICS_ECREDENTIALS);
    CHECK_STR(err.code, "ProcessError");
    CHECK(err.message && strstr(err.message, "more than 4096 bytes to stdout"));
    CHECK(out.len == 4096); /* what was read is kept, up to the cap */
    CHECK(now() - t0 < 10);
    CHECK(run("yes >&2", 30, 100) == -1);
    CHECK(err.message && strstr(err.message, "more than 100 bytes to stderr"));
    CHECK(errout.len == 100);
    CHECK(run("echo 1234", 30, 4) == -1);
    CHECK_STR(err.code, "ProcessError");
    CHECK(run("printf x", 30, 0) == -1);
    CHECK(run("true", 30, 0) == 0 && status == 0);
    /* the process group goes too */
    CHECK(run("sleep 30 & echo $!; yes", 30, 100000) == -1);
    {
        long gpid = strtol(o(), NULL, 10);
        CHECK(gpid > 0 && gone_soon(gpid));
    }
}

static void test_timeout(void)
{
    double t0 = now();
    CHECK(run("sleep 30 & echo $!; sleep 30", 0.5, 1 << 16) == -1);
    double took = now() - t0;
    CHECK(err.kind == OMICS_ECREDENTIALS);
    CHECK_STR(err.code, "ProcessTimeout");
    CHECK(took >= 0.45 && took < 5);
    long gpid = strtol(o(), NULL, 10);
    CHECK(gpid > 0);
    CHECK(gone_soon(gpid)); /* the grandchild was killed with its group */

    /* the shell is gone, its background child keeps stdout open */
    t0 = now();
    CHECK(run("sleep 30 & echo $!", 0.5, 1 << 16) == -1);
    CHECK_STR(err.code, "ProcessTimeout");
    CHECK(now() - t0 < 5);
    gpid = strtol(o(), NULL, 10);
    CHECK(gpid > 0 && gone_soon(gpid));

    /* outputs closed, still running: the wait for exit times out too */
    t0 = now();
    CHECK(run("exec >/dev/null 2>&1; sleep 30", 0.3, 1 << 16) == -1);
    CHECK_STR(err.code, "ProcessTimeout");
    CHECK(now() - t0 < 5);

    /* a command that ignores SIGTERM dies all the same */
    t0 = now();
    CHECK(run("trap '' TERM; while :; do :; done", 0.3, 1 << 16) == -1);
    CHECK_STR(err.code, "ProcessTimeout");
    CHECK(now() - t0 < 5);

    /* within the time: fine */
    CHECK(run("sleep 0.1; echo ok", 5, 100) == 0 && status == 0);
    CHECK_STR(o(), "ok\n");
}

static volatile sig_atomic_t reaped_by_handler, alarms;

/* nginx's SIGCHLD handler, in short: reap whatever has exited. */
static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno, st;
    while (waitpid(-1, &st, WNOHANG) > 0)
        reaped_by_handler++;
    errno = saved;
}

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void test_signals(void)
{
    struct sigaction sa, old_chld, old_alrm;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: system calls see EINTR */
    sa.sa_handler = on_sigchld;
    sigaction(SIGCHLD, &sa, &old_chld);
    int ok = 1;
    for (int i = 0; i < 50; i++)
        if (run("exit 7", 10, 100) != 0 || status != 7)
            ok = 0;
    CHECK(ok);
    CHECK(reaped_by_handler == 0);
    /* the handler still works for the caller's own children */
    pid_t mine = fork();
    if (mine == 0)
        _exit(0);
    for (int i = 0; i < 200 && !reaped_by_handler; i++) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    CHECK(reaped_by_handler == 1);

    /* a timer interrupting every system call */
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, &old_alrm);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    CHECK(run("sleep 0.3; echo ok; head -c 200000 /dev/zero >&2", 10, 1 << 20) == 0);
    CHECK(status == 0 && errout.len == 200000);
    CHECK_STR(o(), "ok\n");
    double t0 = now();
    CHECK(run("sleep 30", 0.3, 100) == -1);
    CHECK_STR(err.code, "ProcessTimeout");
    CHECK(now() - t0 < 5);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    CHECK(alarms > 10);
    signal(SIGALRM, SIG_IGN); /* drops an alarm still pending (valgrind delivers late) */
    sigaction(SIGALRM, &old_alrm, NULL);
    sigaction(SIGCHLD, &old_chld, NULL);

    /* the caller's ignored SIGPIPE and blocked SIGTERM are not the child's */
    signal(SIGPIPE, SIG_IGN);
    sigset_t term, old_mask;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old_mask);
    CHECK(run("yes | head -c 10", 10, 100) == 0 && status == 0);
    CHECK_STR(o(), "y\ny\ny\ny\ny\n");
    CHECK_STR(e(), ""); /* no "yes: Broken pipe": yes died of SIGPIPE */
    CHECK(run("kill -TERM $$; sleep 5", 10, 100) == 0 && status == 128 + SIGTERM);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* and the caller's mask is as it was */
    sigset_t now_mask;
    sigprocmask(SIG_SETMASK, NULL, &now_mask);
    CHECK(!sigismember(&now_mask, SIGCHLD) && !sigismember(&now_mask, SIGTERM));
}

/* Only 0, 1 and 2 reach the command: none of the caller's descriptors (even
 * without O_CLOEXEC), none of proc_run's own pipes. */
static void test_descriptors(void)
{
    int leaky = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
    int leaky2 = dup2(leaky, 900);
    CHECK(leaky > 2 && leaky2 == 900);
    /* (shell builtins only: a pipeline would show the shell's own pipes) */
    CHECK(run("for i in 0 1 2; do [ -e /proc/$$/fd/$i ] || printf 'no %s ' $i; done; "
              "i=3; while [ $i -lt 1024 ]; do [ -e /proc/$$/fd/$i ] && printf '%s ' $i; "
              "i=$((i+1)); done; true",
              10, 4096) == 0);
    CHECK_STR(o(), "");
    close(leaky);
    close(leaky2);

    /* nothing leaks in the caller either, on any path */
    int before = count_fds();
    for (int i = 0; i < 100; i++) {
        run("echo x; echo y >&2", 10, 100);
        run("lua_omics_no_such_command_here", 10, 1000);
        run("yes", 10, 10);
        if (i % 25 == 0)
            run("sleep 5", 0.05, 10);
    }
    CHECK(count_fds() == before);
    CHECK(count_children(1) == 0);
    CHECK(count_children(0) == 0);
}

/* A caller whose 0 and 1 are closed: the pipes take those numbers, and the
 * command still gets /dev/null, stdout and stderr in the right places. */
static void test_closed_std_descriptors(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(0);
        close(1);
        buf a, b;
        buf_init(&a);
        buf_init(&b);
        omics_error e2;
        omics_error_init(&e2);
        int st = -1;
        int rc = proc_run("readlink /proc/$$/fd/0; echo err >&2", 10, 1000, &a, &b, &st, &e2);
        int ok = rc == 0 && st == 0 && strcmp(buf_str(&a), "/dev/null\n") == 0 &&
                 strcmp(buf_str(&b), "err\n") == 0;
        if (!ok)
            fprintf(stderr, "closed 0/1: rc %d status %d out \"%s\" err \"%s\" %s\n", rc, st,
                    buf_str(&a), buf_str(&b), e2.message ? e2.message : "");
        buf_free(&a);
        buf_free(&b);
        omics_error_clear(&e2);
        _exit(ok ? 0 : 1);
    }
    int st = -1;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Out of descriptors: no command, an error, nothing left behind. */
static void test_cannot_start(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int top = dup(0); /* the lowest free descriptor */
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = (rlim_t)top + 3; /* room for /dev/null and one pipe, not more */
        int ok = top > 0 && close(top) == 0 && setrlimit(RLIMIT_NOFILE, &rl) == 0;
        int before = count_fds();
        omics_error_clear(&err);
        int rc = proc_run("echo hi", 10, 100, &out, &errout, &status, &err);
        ok = ok && rc == -1 && err.kind == OMICS_ECREDENTIALS &&
             strcmp(err.code, "ProcessError") == 0 && err.message &&
             strstr(err.message, "cannot start the command") && count_fds() == before &&
             count_children(0) == 0;
        if (!ok)
            fprintf(stderr, "out of descriptors: rc %d %s\n", rc,
                    err.message ? err.message : "");
        _exit(ok ? 0 : 1);
    }
    int st = -1;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* With SIGCHLD ignored the kernel reaps the shell itself: the exit status is
 * lost, which is an error rather than a guess. */
static void test_sigchld_ignored(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGCHLD, &sa, &old);
    CHECK(run("echo x; exit 3", 10, 100) == -1);
    CHECK_STR(err.code, "ProcessError");
    CHECK(err.message && strstr(err.message, "exit status was lost"));
    CHECK_STR(o(), "x\n");
    sigaction(SIGCHLD, &old, NULL);
    CHECK(run("exit 3", 10, 100) == 0 && status == 3);
}

static void test_usage(void)
{
    CHECK(proc_run(NULL, 1, 10, &out, &errout, &status, &err) == -1);
    CHECK(err.kind == OMICS_EUSAGE);
    CHECK(proc_run("true", 1, 10, NULL, &errout, &status, &err) == -1);
    CHECK(proc_run("true", 1, 10, &out, &errout, NULL, &err) == -1);
    CHECK(proc_run("true", 1, 10, &out, &out, &status, &err) == -1);
    CHECK(err.kind == OMICS_EUSAGE);
}

int main(void)
{
    buf_init(&out);
    buf_init(&errout);
    omics_error_init(&err);
    RUN(test_output_and_status);
    RUN(test_not_found);
    RUN(test_environment_and_stdin);
    RUN(test_big_output);
    RUN(test_too_much_output);
    RUN(test_timeout);
    RUN(test_signals);
    RUN(test_descriptors);
    RUN(test_closed_std_descriptors);
    RUN(test_cannot_start);
    RUN(test_sigchld_ignored);
    RUN(test_usage);
    CHECK(count_children(0) == 0);
    buf_free(&out);
    buf_free(&errout);
    omics_error_clear(&err);
    CTEST_DONE();
}
