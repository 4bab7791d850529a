/* Random bytes for tokens: version-4 UUIDs are well formed and distinct, and
 * a child after fork() does not repeat what its parent hands out next (two
 * processes sending one idempotency token would have one request dropped). */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctest.h"
#include "omics.h"
#include "rnd.h"

#define N 300

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

int main(void)
{
    static char ids[2 * N][37];
    int bad = 0;
    for (int i = 0; i < N; i++) {
        omics_uuid4(ids[i]);
        bad += !well_formed(ids[i]);
    }
    CHECK(bad == 0);

    /* fork in the middle of a pool: the child and the parent each take N more */
    int fd[2];
    CHECK(pipe(fd) == 0);
    pid_t pid = fork();
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
    CHECK(repeats == 0);

    int dup = 0;
    for (int i = 0; i < 2 * N; i++)
        for (int j = i + 1; j < 2 * N; j++)
            dup += strcmp(ids[i], ids[j]) == 0;
    CHECK(dup == 0);

    /* bytes are handed out once: two draws never match, large draws work */
    unsigned char a[16], b[16], big[4096];
    CHECK(rnd_bytes(a, sizeof a) == 0 && rnd_bytes(b, sizeof b) == 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK(rnd_bytes(big, sizeof big) == 0);
    CTEST_DONE();
}
