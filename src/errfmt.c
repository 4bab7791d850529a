/* errfmt: records as text.  One line for people (what tostring(err) and
 * tostring(client) show: never the data, never anything secret), and the
 * error of a parameter refused before the model saw it, named by its path. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "omics.h"

size_t omics_error_format(const omics_error *e, char *out, size_t n)
{
    buf b;
    buf_init(&b);
    buf_adds(&b, e->code[0] ? e->code : "Error");
    if (e->message && *e->message) {
        buf_adds(&b, ": ");
        for (const char *p = e->message; *p; p++) /* one line, always */
            buf_addc(&b, (*p == '\n' || *p == '\r') ? ' ' : *p);
    }
    if (e->status || e->request_id[0]) {
        buf_adds(&b, " (");
        if (e->status)
            buf_addf(&b, "HTTP %d%s", e->status, e->request_id[0] ? ", " : "");
        if (e->request_id[0])
            buf_addf(&b, "request id %s", e->request_id);
        buf_addc(&b, ')');
    }
    const char *s = b.oom ? "Error: out of memory" : buf_str(&b);
    size_t len = strlen(s);
    if (n)
        snprintf(out, n, "%s", s);
    buf_free(&b);
    return len;
}

size_t omics_client_format(omics_client *c, char *out, size_t n)
{
    const char *akid, *provider = "(none)";
    double exp;
    omics_error err;
    omics_error_init(&err);
    if (omics_client_identity(c, &akid, &provider, &exp, &err))
        provider = "(unavailable)"; /* (the key id is not shown either way) */
    int len = snprintf(out, n,
                       "omics.client (region %s, endpoint %s, credentials from %s, retry %s, "
                       "%d attempts)",
                       omics_client_region(c), omics_client_endpoint(c), provider,
                       omics_client_retry_mode(c), omics_client_max_attempts(c));
    omics_error_clear(&err);
    return len > 0 ? (size_t)len : 0;
}

int omics_param_error(omics_error *err, const char *root, const omics_value *path, size_t depth,
                      const char *what)
{
    buf b;
    buf_init(&b);
    buf_adds(&b, root);
    for (size_t i = 0; i < depth; i++) {
        if (path[i].type == OMICS_V_STR) {
            buf_addc(&b, '.');
            buf_add_key(&b, path[i].u.s.p, path[i].u.s.len);
        } else if (path[i].type == OMICS_V_INT) {
            buf_addf(&b, "[%lld]", (long long)path[i].u.i);
        } else {
            buf_adds(&b, "[?]");
        }
    }
    omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError", "%s: %s",
                    b.oom ? root : buf_str(&b), what);
    buf_free(&b);
    return -1;
}
