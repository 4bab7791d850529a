/* libFuzzer entry point for src/wire.c (wire_feed, wire_eof: the HTTP/1.1
 * answer parser of the drivers that move raw bytes).
 *
 * Input: byte 0 picks the piece size (1 + byte % 64), byte 1 the request
 * (odd: HEAD) and whether a 2xx payload streams (bit 1); the rest is what
 * the server sent, then the connection closes.  Checked:
 *   - fed whole and fed in pieces, the parser ends the same way: the same
 *     result, status, error code, body, streamed payload and bytes taken;
 *   - the bytes taken never exceed the input; a body kept in memory never
 *     exceeds max_response_bytes; the header section never exceeds
 *     max_header_bytes when the answer is complete;
 *   - an error has a code and a message without control characters;
 *   - a complete answer gives a response whose headers are NUL-free and
 *     lower-case names. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_wire: property violated: %s\n", what);
        abort();
    }
}

typedef struct run {
    int r;
    long status;
    size_t used;
    buf body, payload;
    char code[64];
    wire_parser p;
} run;

static const omics_limits limits = {0, 0, 0, 4096, 512};

static void feed_all(run *u, const char *d, size_t n, size_t step, const char *method,
                     int stream)
{
    omics_error err;
    omics_error_init(&err);
    wire_init(&u->p, &limits);
    wire_start(&u->p, method, stream);
    buf_init(&u->payload);
    buf_init(&u->body);
    size_t at = 0;
    u->r = WIRE_MORE;
    while (at < n && u->r == WIRE_MORE) {
        size_t k = n - at < step ? n - at : step, used = 0;
        u->r = wire_feed(&u->p, d + at, k, &used, &u->payload, &err);
        check(used <= k, "took more bytes than given");
        at += used;
        if (u->r == WIRE_MORE)
            check(used == k, "asked for more while leaving bytes");
    }
    if (u->r == WIRE_MORE)
        u->r = wire_eof(&u->p, &err);
    u->used = at;
    u->status = u->p.status;
    u->code[0] = '\0';
    if (u->r == WIRE_ERROR) {
        check(err.code[0] && err.message, "an error without a code or message");
        for (const char *m = err.message; *m; m++)
            check((unsigned char)*m >= 0x20 && *m != 0x7f, "a control byte in a message");
        snprintf(u->code, sizeof u->code, "%s", err.code);
    } else {
        check(u->r == WIRE_DONE, "neither done nor failed after the close");
        check(u->p.streaming || u->p.body.len <= limits.max_response_bytes, "body over the limit");
        check(u->p.head_bytes <= limits.max_header_bytes, "headers over the limit");
        omics_arena *a = omics_arena_new(1024);
        omics_response resp;
        check(wire_response(&u->p, a, &resp, &err) == 0, "no response");
        for (size_t i = 0; i < resp.nheaders; i++)
            for (const char *c = resp.headers[i].name; *c; c++)
                check(!(*c >= 'A' && *c <= 'Z'), "a header name not in lower case");
        omics_arena_free(a);
        buf_add(&u->body, u->p.body.p ? u->p.body.p : "", u->p.body.len);
    }
    omics_error_clear(&err);
}

static void done(run *u)
{
    wire_free(&u->p);
    buf_free(&u->body);
    buf_free(&u->payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = 1 + data[0] % 64;
    const char *method = (data[1] & 1) ? "HEAD" : "GET";
    int stream = (data[1] & 2) != 0;
    const char *d = (const char *)data + 2;
    size_t n = size - 2;
    run whole, pieces;
    feed_all(&whole, d, n, n ? n : 1, method, stream);
    feed_all(&pieces, d, n, step, method, stream);
    check(whole.r == pieces.r, "a different end in pieces");
    check(strcmp(whole.code, pieces.code) == 0, "a different error in pieces");
    if (whole.r == WIRE_DONE) {
        check(whole.status == pieces.status, "a different status in pieces");
        check(whole.used == pieces.used, "a different length taken in pieces");
        check(whole.body.len == pieces.body.len &&
                  (!whole.body.len || memcmp(whole.body.p, pieces.body.p, whole.body.len) == 0),
              "a different body in pieces");
        check(whole.payload.len == pieces.payload.len &&
                  (!whole.payload.len ||
                   memcmp(whole.payload.p, pieces.payload.p, whole.payload.len) == 0),
              "a different payload in pieces");
    }
    done(&whole);
    done(&pieces);
    return 0;
}
