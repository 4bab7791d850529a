/* wire: HTTP/1.1 as bytes, for drivers that move raw bytes on a socket of
 * their own (nginx cosockets, a C program's event loop).  The request is
 * written out as bytes; the answer is parsed from bytes fed as they arrive,
 * in pieces of any size (no I/O here: a sans-I/O parser).
 *
 * The parser bounds everything it keeps: a line (status, header, chunk
 * size) at WIRE_MAX_LINE bytes, the header section and the trailers at the
 * limits' max_header_bytes, a body kept in memory at max_response_bytes.
 * A 2xx answer of an operation whose payload streams is handed out instead
 * of kept (the one answer not bounded). */
#ifndef OMICS_WIRE_H
#define OMICS_WIRE_H

#include "buf.h"
#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

#define WIRE_MAX_LINE 16384

enum { WIRE_ERROR = -1, WIRE_MORE = 0, WIRE_DONE = 1 };

typedef struct wire_parser {
    int state;
    int no_body;   /* a HEAD request: no body whatever the headers say */
    int can_stream;
    int streaming; /* this answer's payload is handed out, not kept */
    int started;   /* a byte of the answer arrived */
    int keep;      /* the connection may carry the next request */
    long status;
    int minor;     /* HTTP/1.minor */
    int chunked;
    int to_eof;
    unsigned long long left; /* bytes left of the body or of a chunk */
    size_t head_bytes;       /* the header section (or trailers) so far */
    omics_limits limits;
    buf line;   /* a line not yet ended */
    buf fields; /* "name\0value\0" per header line, names in lower case */
    size_t nfields;
    buf body;
} wire_parser;

/* method: the request's (HEAD answers have no body); can_stream: a 2xx
 * payload of this answer goes out through wire_feed's payload. */
void wire_init(wire_parser *p, const omics_limits *l);
void wire_start(wire_parser *p, const char *method, int can_stream);
void wire_free(wire_parser *p);

/* Feed n bytes of the answer.  Payload bytes of a streamed answer are
 * appended to payload.  WIRE_MORE: more bytes are needed; WIRE_DONE: the
 * answer is complete (*used: the bytes of d it took; more after it mean
 * the connection cannot be reused); WIRE_ERROR with err. */
int wire_feed(wire_parser *p, const char *d, size_t n, size_t *used, buf *payload,
              omics_error *err);
/* The peer closed the connection: WIRE_DONE when the body ran to the end
 * of the connection, else WIRE_ERROR with err saying what was missing. */
int wire_eof(wire_parser *p, omics_error *err);
/* The complete answer as the engine reads it: headers from the arena, the
 * body the parser's own (valid until it is started again or freed). */
int wire_response(wire_parser *p, omics_arena *a, omics_response *out, omics_error *err);

/* The request's head ("METHOD target HTTP/1.1", its headers, the blank
 * line) and its body when it is in memory; absolute: the target is the
 * whole URL (a request to a proxy); -1 with err when the URL cannot
 * be read or memory ran out. */
int wire_request(buf *out, const omics_request *req, int absolute, omics_error *err);
/* The URL's parts: scheme "https" or not, host (without brackets) and
 * port; -1 when it is not http(s)://authority/... */
int wire_endpoint(const char *url, int *https, char *host, size_t hostlen, int *port);

#pragma GCC visibility pop

#endif
