#include "rnd.h"

#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#define RND_POOL 512

/* Bumped in a child after fork(): every pool filled before it is stale. */
static volatile unsigned long rnd_generation = 1;
static pthread_once_t rnd_once = PTHREAD_ONCE_INIT;

static _Thread_local unsigned char rnd_pool[RND_POOL];
static _Thread_local size_t rnd_left;
static _Thread_local unsigned long rnd_filled_in;

static void rnd_forked(void)
{
    rnd_generation++;
}

static void rnd_register(void)
{
    /* If this fails the pool is still refilled when empty; a child could then
     * repeat its parent's next bytes, so fall back to one call per request. */
    if (pthread_atfork(NULL, NULL, rnd_forked) != 0)
        rnd_generation = 0;
}

static int rnd_fill(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got <= 0)
            return -1;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

int rnd_bytes(void *out, size_t n)
{
    pthread_once(&rnd_once, rnd_register);
    if (rnd_generation == 0 || n > RND_POOL)
        return rnd_fill(out, n);
    if (rnd_filled_in != rnd_generation || rnd_left < n) {
        if (rnd_fill(rnd_pool, RND_POOL) != 0)
            return -1;
        rnd_left = RND_POOL;
        rnd_filled_in = rnd_generation;
    }
    /* hand out from the end and wipe what was handed out */
    rnd_left -= n;
    memcpy(out, rnd_pool + rnd_left, n);
    memset(rnd_pool + rnd_left, 0, n);
    return 0;
}
