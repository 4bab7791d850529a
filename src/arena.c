#include "omics.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct omics_arena_block omics_arena_block;

struct omics_arena {
    omics_arena_block *head; /* block being filled; older blocks follow */
    size_t block_size;
};

struct omics_arena_block {
    omics_arena_block *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

omics_arena *omics_arena_new(size_t block_size)
{
    omics_arena *a = malloc(sizeof *a);
    if (!a)
        return NULL;
    a->head = NULL;
    a->block_size = block_size ? block_size : 4096;
    return a;
}

static void free_chain(omics_arena_block *b)
{
    while (b) {
        omics_arena_block *next = b->next;
        free(b);
        b = next;
    }
}

void omics_arena_free(omics_arena *a)
{
    if (!a)
        return;
    free_chain(a->head);
    free(a);
}

void omics_arena_reset(omics_arena *a)
{
    omics_arena_block *b = a->head;
    if (!b)
        return;
    /* keep the oldest block (the one of the usual size), drop the rest */
    omics_arena_block *keep = b;
    while (keep->next)
        keep = keep->next;
    while (b != keep) {
        omics_arena_block *next = b->next;
        free(b);
        b = next;
    }
    if (keep->size > a->block_size) {   /* an oversized first block: let it go */
        free(keep);
        a->head = NULL;
        return;
    }
    keep->used = 0;
    a->head = keep;
}

static omics_arena_block *new_block(size_t size)
{
    if (size > SIZE_MAX - sizeof(omics_arena_block))
        return NULL;
    omics_arena_block *b = malloc(sizeof(omics_arena_block) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *omics_arena_alloc(omics_arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    if (n > SIZE_MAX - align)
        return NULL;
    n = (n + align - 1) & ~(align - 1);
    if (!n)
        n = align;
    omics_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > a->block_size ? n : a->block_size;
        omics_arena_block *nb = new_block(size);
        if (!nb)
            return NULL;
        nb->next = b;
        a->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

char *omics_arena_strndup(omics_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = omics_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *omics_arena_strdup(omics_arena *a, const char *s)
{
    return omics_arena_strndup(a, s, strlen(s));
}
