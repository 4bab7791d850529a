/* ctest: the few macros the C tests need.
 *
 * A case is one test function run with RUN(fn): it passes when every CHECK
 * inside it holds.  CHECKs made outside any RUN (in main, say) make one more
 * case between them.  CTEST_DONE() prints the number of checks, then "N
 * passed, N failed" counting cases, for tools/run_tests.sh. */
#ifndef CTEST_H
#define CTEST_H

#include <stdio.h>
#include <string.h>

static int ctest_passed, ctest_failed;                /* checks */
static int ctest_cases_passed, ctest_cases_failed;    /* cases */
static int ctest_in_case, ctest_loose, ctest_loose_failed;

static void ctest_count(int ok)
{
    if (ok)
        ctest_passed++;
    else
        ctest_failed++;
    if (!ctest_in_case) {
        ctest_loose++;
        ctest_loose_failed += !ok;
    }
}

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        int ctest_ok = (cond) ? 1 : 0;                                                         \
        ctest_count(ctest_ok);                                                                 \
        if (!ctest_ok)                                                                         \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);           \
    } while (0)

#define CHECK_STR(got, want)                                                                   \
    do {                                                                                       \
        const char *ctest_g = (got), *ctest_w = (want);                                        \
        int ctest_ok = ctest_g && ctest_w && strcmp(ctest_g, ctest_w) == 0;                    \
        ctest_count(ctest_ok);                                                                 \
        if (!ctest_ok)                                                                         \
            fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__,            \
                    ctest_g ? ctest_g : "(null)", ctest_w ? ctest_w : "(null)");               \
    } while (0)

#define RUN(fn)                                                                                \
    do {                                                                                       \
        int ctest_before = ctest_failed;                                                       \
        ctest_in_case = 1;                                                                     \
        fn();                                                                                  \
        ctest_in_case = 0;                                                                     \
        if (ctest_failed == ctest_before) {                                                    \
            ctest_cases_passed++;                                                              \
        } else {                                                                               \
            ctest_cases_failed++;                                                              \
            fprintf(stderr, "case %s failed\n", #fn);                                          \
        }                                                                                      \
    } while (0)

#define CTEST_DONE()                                                                           \
    do {                                                                                       \
        if (ctest_loose) {                                                                     \
            if (ctest_loose_failed)                                                            \
                ctest_cases_failed++;                                                          \
            else                                                                               \
                ctest_cases_passed++;                                                          \
        }                                                                                      \
        printf("(%d checks, %d failed)\n", ctest_passed + ctest_failed, ctest_failed);         \
        printf("%d passed, %d failed\n", ctest_cases_passed, ctest_cases_failed);              \
        return ctest_failed ? 1 : 0;                                                           \
    } while (0)

#endif
