/* Random bytes for tokens: version-4 UUIDs are well formed and distinct, and
 * a child does not repeat what its parent hands out next (two processes
 * sending one idempotency token would have one request dropped), whether it
 * was made by fork(), which runs fork handlers, or by _Fork(), which does not. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctest.h"
#include "omics.h"
#include "rnd.h"

#define N 300

static char ids[2 * N][37];

static int well_formed(const char *u)
{
    if (strlen(u) != 36 || u[14] != '4' || !strchr("89ab", u[19]))
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (u[i] == '-'))
            return 0;
        if (!dash && !strchr("0123456789abcdef", u[i]))
            return 0;
    }
    return 1;
}

/* Draw N ids, make a child with forker in the middle of the pool, then the
 * child and the parent each draw N more: none may match. */
static void check_child(pid_t (*forker)(void), const char *how)
{
    int bad = 0;
    for (int i = 0; i < N; i++) {
        omics_uuid4(ids[i]);
        bad += !well_formed(ids[i]);
    }
    CHECK(bad == 0);
    int fd[2];
    CHECK(pipe(fd) == 0);
    pid_t pid = forker();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        for (int i = 0; i < N; i++) {
            char u[37];
            omics_uuid4(u);
            if (write(fd[1], u, 37) != 37)
                _exit(2);
        }
        _exit(0);
    }
    close(fd[1]);
    for (int i = 0; i < N; i++)
        omics_uuid4(ids[N + i]);
    int repeats = 0, got = 0;
    char u[37];
    while (read(fd[0], u, 37) == 37) {
        got++;
        for (int i = 0; i < 2 * N; i++)
            repeats += memcmp(u, ids[i], 37) == 0;
    }
    close(fd[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(got == N);
    if (repeats)
        fprintf(stderr, "test_rnd: a child made by %s repeated %d of its parent's ids\n", how,
                repeats);
    CHECK(repeats == 0);
    int dup = 0;
    for (int i = 0; i < 2 * N; i++)
        for (int j = i + 1; j < 2 * N; j++)
            dup += strcmp(ids[i], ids[j]) == 0;
    CHECK(dup == 0);
}

int main(void)
{
    check_child(fork, "fork()");
    check_child(_Fork, "_Fork()");

    /* bytes are handed out once: two draws never match; large draws work */
    unsigned char a[16], b[16], big[4096];
    CHECK(rnd_bytes(a, sizeof a) == 0 && rnd_bytes(b, sizeof b) == 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK(rnd_bytes(big, sizeof big) == 0);
    CTEST_DONE();
}
