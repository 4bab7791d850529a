/* ctest: the few macros the C tests need.  Each test program ends with
 * CTEST_DONE(), which prints "N passed, N failed" for tools/run_tests.sh. */
#ifndef CTEST_H
#define CTEST_H

#include <stdio.h>
#include <string.h>

static int ctest_passed, ctest_failed;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (cond) {                                                                            \
            ctest_passed++;                                                                    \
        } else {                                                                               \
            ctest_failed++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);           \
        }                                                                                      \
    } while (0)

#define CHECK_STR(got, want)                                                                   \
    do {                                                                                       \
        const char *ctest_g = (got), *ctest_w = (want);                                        \
        if (ctest_g && ctest_w && strcmp(ctest_g, ctest_w) == 0) {                             \
            ctest_passed++;                                                                    \
        } else {                                                                               \
            ctest_failed++;                                                                    \
            fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__,            \
                    ctest_g ? ctest_g : "(null)", ctest_w ? ctest_w : "(null)");               \
        }                                                                                      \
    } while (0)

#define CTEST_DONE()                                                                           \
    do {                                                                                       \
        printf("%d passed, %d failed\n", ctest_passed, ctest_failed);                          \
        return ctest_failed ? 1 : 0;                                                           \
    } while (0)

#endif
