/* gzip: one DEFLATE block with the fixed Huffman codes (RFC 1951 3.2.6);
 * repeats found by LZ77 through hash chains over the last 32 KiB.  Bodies
 * that AWS asks to have compressed are JSON and text, where the fixed codes
 * do well; no dynamic tables, no lazy matching. */
#include "gzip.h"

#include <stdlib.h>
#include <string.h>

#define GZ_WINDOW 32768u
#define GZ_HASH_BITS 15
#define GZ_HASH_SIZE (1u << GZ_HASH_BITS)
#define GZ_MIN_MATCH 3u
#define GZ_MAX_MATCH 258u
#define GZ_MAX_CHAIN 128
#define GZ_NONE ((size_t)-1)

static const uint16_t gz_len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,
                                         15, 17, 19, 23, 27, 31, 35, 43, 51,  59,
                                         67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t gz_len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t gz_dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,
                                          17,   25,   33,   49,   65,   97,    129,   193,
                                          257,  385,  513,  769,  1025, 1537,  2049,  3073,
                                          4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t gz_dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                          6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/* ------------------------------------------------------------- CRC-32 */

uint32_t gzip_crc32(const void *data, size_t n)
{
    /* the table of CRCs of 4-bit values: two steps per byte */
    static const uint32_t t[16] = {0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC,
                                   0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
                                   0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
                                   0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C};
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        c = (c >> 4) ^ t[c & 15];
        c = (c >> 4) ^ t[c & 15];
    }
    return c ^ 0xFFFFFFFFu;
}

/* --------------------------------------------------------------- bits */

typedef struct gz_writer {
    buf *b;
    uint32_t bits; /* pending bits, the next to go out in the lowest */
    int nbits;
} gz_writer;

/* n <= 16 bits of v, least significant first (extra bits, block header). */
static void gz_bits(gz_writer *w, uint32_t v, int n)
{
    w->bits |= v << w->nbits;
    w->nbits += n;
    while (w->nbits >= 8) {
        buf_addc(w->b, (char)(w->bits & 0xFF));
        w->bits >>= 8;
        w->nbits -= 8;
    }
}

/* A Huffman code: its most significant bit goes out first. */
static void gz_code(gz_writer *w, unsigned code, int len)
{
    unsigned r = 0;
    for (int i = 0; i < len; i++) {
        r = r << 1 | (code & 1);
        code >>= 1;
    }
    gz_bits(w, r, len);
}

/* A literal/length symbol (0..287) in the fixed code. */
static void gz_symbol(gz_writer *w, unsigned v)
{
    if (v < 144)
        gz_code(w, 0x30 + v, 8);
    else if (v < 256)
        gz_code(w, 0x190 + (v - 144), 9);
    else if (v < 280)
        gz_code(w, v - 256, 7);
    else
        gz_code(w, 0xC0 + (v - 280), 8);
}

/* A repeat of len (3..258) bytes from dist (1..32768) bytes back. */
static void gz_match(gz_writer *w, unsigned len, unsigned dist)
{
    int i = 28;
    while (gz_len_base[i] > len)
        i--;
    gz_symbol(w, 257 + (unsigned)i);
    gz_bits(w, len - gz_len_base[i], gz_len_extra[i]);
    int d = 29;
    while (gz_dist_base[d] > dist)
        d--;
    gz_code(w, (unsigned)d, 5);
    gz_bits(w, dist - gz_dist_base[d], gz_dist_extra[d]);
}

/* --------------------------------------------------------------- LZ77 */

typedef struct gz_index {
    size_t *head; /* by hash of 3 bytes: the latest position */
    size_t *prev; /* by position mod the window: the one before with that hash */
} gz_index;

static unsigned gz_hash(const unsigned char *p)
{
    return ((unsigned)p[0] << 10 ^ (unsigned)p[1] << 5 ^ p[2]) & (GZ_HASH_SIZE - 1);
}

static void gz_insert(gz_index *x, const unsigned char *p, size_t i)
{
    unsigned h = gz_hash(p + i);
    x->prev[i & (GZ_WINDOW - 1)] = x->head[h];
    x->head[h] = i;
}

/* The longest earlier repeat of p[i..], at most max bytes: its length (0
 * when none) and distance.  Candidates are checked byte by byte, so a chain
 * entry overwritten by a newer position costs a miss, never a wrong match. */
static size_t gz_longest(const gz_index *x, const unsigned char *p, size_t i, size_t max,
                         size_t *dist)
{
    size_t best = 0;
    size_t cand = x->head[gz_hash(p + i)];
    for (int chain = GZ_MAX_CHAIN; cand != GZ_NONE && chain > 0; chain--) {
        if (i - cand > GZ_WINDOW)
            break;
        if (p[cand + best] == p[i + best]) {
            size_t len = 0;
            while (len < max && p[cand + len] == p[i + len])
                len++;
            if (len > best) {
                best = len;
                *dist = i - cand;
                if (len == max)
                    break;
            }
        }
        size_t next = x->prev[cand & (GZ_WINDOW - 1)];
        if (next == GZ_NONE || next >= cand)
            break;
        cand = next;
    }
    return best >= GZ_MIN_MATCH ? best : 0;
}

static void gz_deflate(gz_writer *w, gz_index *x, const unsigned char *p, size_t n)
{
    gz_bits(w, 1, 1); /* BFINAL: the only block */
    gz_bits(w, 1, 2); /* BTYPE 01: fixed Huffman codes */
    size_t i = 0;
    while (i < n) {
        size_t len = 0, dist = 0;
        if (n - i >= GZ_MIN_MATCH) {
            size_t max = n - i < GZ_MAX_MATCH ? n - i : GZ_MAX_MATCH;
            len = gz_longest(x, p, i, max, &dist);
            gz_insert(x, p, i);
        }
        if (!len) {
            gz_symbol(w, p[i++]);
            continue;
        }
        gz_match(w, (unsigned)len, (unsigned)dist);
        for (size_t k = i + 1; k < i + len && n - k >= GZ_MIN_MATCH; k++)
            gz_insert(x, p, k);
        i += len;
    }
    gz_symbol(w, 256); /* end of block */
    if (w->nbits)
        gz_bits(w, 0, 8 - w->nbits);
}

/* ---------------------------------------------------------------- gzip */

static void gz_le32(buf *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        buf_addc(b, (char)(v >> (8 * i) & 0xFF));
}

int gzip_compress(buf *out, const void *data, size_t n)
{
    gz_index x;
    x.head = malloc(GZ_HASH_SIZE * sizeof *x.head);
    x.prev = malloc(GZ_WINDOW * sizeof *x.prev);
    if (!x.head || !x.prev) {
        free(x.head);
        free(x.prev);
        return -1;
    }
    for (size_t i = 0; i < GZ_HASH_SIZE; i++)
        x.head[i] = GZ_NONE;
    for (size_t i = 0; i < GZ_WINDOW; i++)
        x.prev[i] = GZ_NONE;
    /* magic, deflate, no flags, no time, no extra flags, unknown system */
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
    buf_add(out, header, sizeof header);
    gz_writer w = {out, 0, 0};
    gz_deflate(&w, &x, data, n);
    gz_le32(out, gzip_crc32(data, n));
    gz_le32(out, (uint32_t)(n & 0xFFFFFFFFu));
    free(x.head);
    free(x.prev);
    return out->oom ? -1 : 0;
}
