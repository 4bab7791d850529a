/* creds_process: credential_process, a command that prints credentials as
 * JSON ({"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken",
 * "Expiration"}). */
#include <cJSON.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "creds.h"

#define PROCESS_MAX_OUTPUT (1024 * 1024)

/* A short excerpt of the command's stderr for the message (one line). */
static void excerpt(buf *to, const buf *from)
{
    size_t n = from->len < 200 ? from->len : 200;
    for (size_t i = 0; i < n; i++) {
        char c = from->p[i];
        buf_addc(to, (c == '\n' || c == '\r' || c == '\t') ? ' ' : c);
    }
}

int creds_process(const char *command, double timeout, omics_credentials *out, omics_error *err)
{
    buf so, se;
    buf_init(&so);
    buf_init(&se);
    int status = 0, rc = -1;
    if (creds_fetch_run(command, timeout, PROCESS_MAX_OUTPUT, &so, &se, &status, err))
        goto done;
    if (status != 0) {
        buf msg;
        buf_init(&msg);
        excerpt(&msg, &se);
        omics_error_set(err, OMICS_ECREDENTIALS, "CredentialProcessError",
                        "credential_process exited with status %d%s%s", status,
                        msg.len ? ": " : "", msg.len ? buf_str(&msg) : "");
        buf_free(&msg);
        goto done;
    }
    cJSON *root = cJSON_ParseWithLength(so.p ? so.p : "", so.len);
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "Version");
    int v1 = cJSON_IsNumber(version) && version->valuedouble == 1;
    cJSON_Delete(root);
    if (!v1) {
        omics_error_set(err, OMICS_ECREDENTIALS, "CredentialProcessError",
                        "credential_process printed %s", so.len ? "JSON without \"Version\": 1"
                                                                : "nothing");
        goto done;
    }
    if (creds_from_json(so.p, so.len, "AccessKeyId", "SecretAccessKey", "SessionToken",
                        "Expiration", 0, "credential-process", out, err)) {
        err->kind = OMICS_ECREDENTIALS;
        if (strcmp(err->code, "InvalidCredentials") != 0) /* (that one names the field) */
            snprintf(err->code, sizeof err->code, "CredentialProcessError");
        goto done;
    }
    rc = 0;
done:
    if (so.p)
        memset(so.p, 0, so.len); /* it held a secret */
    buf_free(&so);
    buf_free(&se);
    return rc;
}
