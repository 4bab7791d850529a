/* floor: the transport-only floor of `make bench`.  libcurl sends the same
 * pre-signed GET over one kept-alive connection, again and again, and throws
 * each answer away (after checking its status).  No signing, no request
 * building, no parsing: what a client cannot do with less.
 *
 *   floor URL CALLS [Name: value]...
 *   FLOOR_PARSE=1 floor ...   also parses each answer with cJSON (and frees
 *                             it): the floor of a client that reads answers
 *
 * Prints one line: "calls=N wall=S cpu=S" (cpu: user + system, getrusage). */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* The answer's body, kept when parsing. */
static char body[65536];
static size_t body_len;
static int parse;

static size_t keep(char *data, size_t size, size_t n, void *ud)
{
    (void)ud;
    if (parse && body_len + size * n < sizeof body) {
        memcpy(body + body_len, data, size * n);
        body_len += size * n;
    }
    return size * n;
}

/* One call; 0 when the answer was a 200 (and, parsing, a JSON object). */
static int call(CURL *h)
{
    long status = 0;
    body_len = 0;
    if (curl_easy_perform(h) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200)
        return -1;
    if (parse) {
        cJSON *doc = cJSON_ParseWithLength(body, body_len);
        int ok = cJSON_IsObject(doc);
        cJSON_Delete(doc);
        if (!ok)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: floor URL CALLS [Name: value]...\n");
        return 2;
    }
    long calls = strtol(argv[2], NULL, 10);
    if (calls < 1) {
        fprintf(stderr, "floor: CALLS must be a positive number\n");
        return 2;
    }
    parse = getenv("FLOOR_PARSE") && strcmp(getenv("FLOOR_PARSE"), "1") == 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    CURL *h = curl_easy_init();
    struct curl_slist *headers = NULL;
    int rc = 1;
    if (!h)
        goto out;
    for (int i = 3; i < argc; i++) {
        struct curl_slist *more = curl_slist_append(headers, argv[i]);
        if (!more)
            goto out;
        headers = more;
    }
    if (curl_easy_setopt(h, CURLOPT_URL, argv[1]) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK)
        goto out;
    if (call(h)) { /* connect, and warm up */
        fprintf(stderr, "floor: the first call failed\n");
        goto out;
    }
    double w0 = bench_wall(), c0 = bench_cpu();
    for (long i = 0; i < calls; i++) {
        if (call(h)) {
            fprintf(stderr, "floor: call %ld failed\n", i + 1);
            goto out;
        }
    }
    double wall = bench_wall() - w0, cpu = bench_cpu() - c0;
    printf("calls=%ld wall=%.6f cpu=%.6f\n", calls, wall, cpu);
    rc = 0;
out:
    curl_slist_free_all(headers);
    if (h)
        curl_easy_cleanup(h);
    curl_global_cleanup();
    return rc;
}
