#include "rnd.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

/* getrandom(2) never returns short for up to 256 bytes */
#define RND_POOL 256

/* Pools are stamped with the generation they were filled in; a fork bumps
 * it, so that a child drops what its parent would hand out next.  Two ways
 * to notice a fork: a pthread_atfork handler (fork(3)), and a page the kernel
 * zeroes in a child (MADV_WIPEONFORK, Linux 4.14), which also catches a
 * child made without running fork handlers (_Fork, a raw clone).  Bumping
 * once too often only costs a refill. */
static atomic_ulong rnd_generation = 1;
static atomic_int *rnd_armed; /* in the wipe-on-fork page; NULL without one */
static pthread_once_t rnd_once = PTHREAD_ONCE_INIT;

static _Thread_local unsigned char rnd_pool[RND_POOL];
static _Thread_local size_t rnd_left;
static _Thread_local unsigned long rnd_filled_in;

static void rnd_forked(void)
{
    atomic_fetch_add(&rnd_generation, 1);
}

static void rnd_setup(void)
{
    size_t size = (size_t)sysconf(_SC_PAGESIZE);
    void *page = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page != MAP_FAILED) {
        if (madvise(page, size, MADV_WIPEONFORK) == 0) {
            rnd_armed = page;
            atomic_store(rnd_armed, 1);
        } else {
            munmap(page, size);
        }
    }
    /* with neither, pools are not used: every draw asks the kernel */
    if (pthread_atfork(NULL, NULL, rnd_forked) != 0 && !rnd_armed)
        atomic_store(&rnd_generation, 0);
}

static int rnd_fill(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        ssize_t got = getrandom(p, n < RND_POOL ? n : RND_POOL, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

int rnd_bytes(void *out, size_t n)
{
    pthread_once(&rnd_once, rnd_setup);
    if (rnd_armed && atomic_load(rnd_armed) == 0) {
        /* a child the fork handlers did not see: its page came back zeroed */
        atomic_fetch_add(&rnd_generation, 1);
        atomic_store(rnd_armed, 1);
    }
    unsigned long generation = atomic_load(&rnd_generation);
    if (generation == 0 || n > RND_POOL)
        return rnd_fill(out, n);
    if (rnd_filled_in != generation || rnd_left < n) {
        if (rnd_fill(rnd_pool, RND_POOL) != 0)
            return -1;
        rnd_left = RND_POOL;
        rnd_filled_in = generation;
    }
    /* hand out from the end and wipe what was handed out */
    rnd_left -= n;
    memcpy(out, rnd_pool + rnd_left, n);
    memset(rnd_pool + rnd_left, 0, n);
    return 0;
}
