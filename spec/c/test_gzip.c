/* gzip: CRC-32 check values, and bodies compressed here read back by the
 * system's gzip (when there is one) byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctest.h"
#include "gzip.h"

static void test_crc32(void)
{
    CHECK(gzip_crc32("", 0) == 0);
    CHECK(gzip_crc32("123456789", 9) == 0xCBF43926u);
    CHECK(gzip_crc32("The quick brown fox jumps over the lazy dog", 43) == 0x414FA339u);
}

static int have_gzip(void)
{
    return system("gzip --version >/dev/null 2>&1") == 0;
}

/* Compress p[0..n), decompress with gzip -dc, compare; returns the size of
 * the compressed form (0 on failure). */
static size_t round_trip(const unsigned char *p, size_t n)
{
    buf z;
    buf_init(&z);
    if (gzip_compress(&z, p, n) != 0) {
        buf_free(&z);
        return 0;
    }
    char path[] = "/tmp/lua-omics-gzip-XXXXXX";
    int fd = mkstemp(path);
    size_t size = z.len, ok = 0;
    if (fd >= 0 && write(fd, z.p, z.len) == (ssize_t)z.len) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "gzip -dc < %s", path);
        FILE *f = popen(cmd, "r");
        unsigned char *back = malloc(n + 1);
        if (f && back) {
            size_t got = fread(back, 1, n + 1, f);
            ok = got == n && (n == 0 || memcmp(back, p, n) == 0);
        }
        free(back);
        if (f && pclose(f) != 0)
            ok = 0;
    }
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    buf_free(&z);
    return ok ? size : 0;
}

static void test_round_trips(void)
{
    if (!have_gzip()) {
        printf("test_gzip: no gzip on PATH; round trips not checked\n");
        return;
    }
    CHECK(round_trip((const unsigned char *)"", 0) > 0);
    CHECK(round_trip((const unsigned char *)"a", 1) > 0);
    CHECK(round_trip((const unsigned char *)"abcabcabcabc", 12) > 0);

    size_t n = 200000;
    unsigned char *p = malloc(n);
    CHECK(p != NULL);
    if (!p)
        return;
    /* one long run: matches at distance 1, of the longest length */
    memset(p, 'x', n);
    size_t z = round_trip(p, n);
    CHECK(z > 0 && z < n / 100);
    /* every byte value, then noise (an LCG): mostly literals, 9-bit ones too */
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)i;
    uint32_t s = 12345;
    for (size_t i = 256; i < n; i++) {
        s = s * 1103515245u + 12345u;
        p[i] = (unsigned char)(s >> 16);
    }
    CHECK(round_trip(p, n) > 0);
    /* JSON-like text longer than the window, repeats near and far */
    size_t len = 0;
    for (unsigned k = 0; len + 80 < n; k++)
        len += (size_t)snprintf((char *)p + len, n - len,
                                "{\"id\":\"%u\",\"name\":\"sample-%u\",\"tags\":[\"a\",\"b\"]},",
                                k * 7919u % 100000u, k % 97u);
    z = round_trip(p, len);
    CHECK(z > 0 && z < len / 3);
    free(p);
}

int main(void)
{
    RUN(test_crc32);
    RUN(test_round_trips);
    CTEST_DONE();
}
