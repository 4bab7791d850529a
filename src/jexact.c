/* jexact: the exact text of JSON numbers (see jexact.h).  The numbers of a
 * document are read twice in the same order, as text (outside strings) and
 * as cJSON's nodes (children in document order), and paired. */
#include "jexact.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void jexact_init(jexact *x)
{
    memset(x, 0, sizeof *x);
}

void jexact_reset(jexact *x, const char *text, size_t len)
{
    free(x->pairs);
    jexact_init(x);
    x->text = text;
    x->len = len;
}

void jexact_free(jexact *x)
{
    free(x->pairs);
    jexact_init(x);
}

static size_t count_nodes(const cJSON *j)
{
    size_t n = cJSON_IsNumber(j) ? 1 : 0;
    for (const cJSON *c = j->child; c; c = c->next)
        n += count_nodes(c);
    return n;
}

static void collect_nodes(const cJSON *j, jexact_pair *pairs, size_t *k)
{
    if (cJSON_IsNumber(j))
        pairs[(*k)++].node = j;
    for (const cJSON *c = j->child; c; c = c->next)
        collect_nodes(c, pairs, k);
}

/* The number tokens of the text, in order, into pairs[0..n); -1 when their
 * count is not n (a document cJSON read differently: no pairing). */
static int collect_text(jexact *x, size_t n)
{
    const char *s = x->text;
    size_t k = 0;
    for (size_t i = 0; i < x->len;) {
        char c = s[i];
        if (c == '"') { /* a string: to its closing quote */
            for (i++; i < x->len && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t at = i;
            while (i < x->len && (s[i] == '-' || s[i] == '+' || s[i] == '.' || s[i] == 'e' ||
                                  s[i] == 'E' || (s[i] >= '0' && s[i] <= '9')))
                i++;
            if (k == n)
                return -1;
            x->pairs[k].at = at;
            x->pairs[k++].len = i - at;
        } else {
            i++;
        }
    }
    return k == n ? 0 : -1;
}

static void build(jexact *x, const cJSON *root)
{
    x->built = 1;
    size_t n = root && x->text ? count_nodes(root) : 0;
    if (!n || !(x->pairs = calloc(n, sizeof *x->pairs)))
        return;
    size_t k = 0;
    collect_nodes(root, x->pairs, &k);
    if (collect_text(x, n) == 0)
        x->n = n;
}

int jexact_int64(jexact *x, const cJSON *root, const cJSON *j, int64_t *out)
{
    if (!x->built)
        build(x, root);
    for (size_t i = 0; i < x->n; i++) {
        if (x->pairs[i].node != j)
            continue;
        const char *t = x->text + x->pairs[i].at;
        size_t n = x->pairs[i].len;
        char tmp[24];
        if (n >= sizeof tmp)
            return -1;
        memcpy(tmp, t, n);
        tmp[n] = '\0';
        for (size_t k = tmp[0] == '-'; k < n; k++)
            if (tmp[k] < '0' || tmp[k] > '9')
                return -1; /* not an integer literal */
        char *end;
        errno = 0;
        long long v = strtoll(tmp, &end, 10);
        if (*end || errno)
            return -1;
        *out = v;
        return 0;
    }
    return -1;
}
