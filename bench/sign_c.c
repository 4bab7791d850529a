/* sign_c: signatures per second of the C signer, called directly (no Lua),
 * for `make bench`.  The request is the benchmark's GetReferenceMetadata, the
 * time advances one second per signature (so the canonical request and the
 * string to sign change every time), staying within one day (so the signing
 * key comes from the signer's cache, as it does for a client's calls).
 *
 *   sign_c SIGNATURES
 *
 * Prints one line: "signatures=N wall=S cpu=S". */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "omics.h"

#define DAY_START 1764374400 /* 2025-11-29T00:00:00Z */

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    if (n < 1) {
        fprintf(stderr, "usage: sign_c SIGNATURES\n");
        return 2;
    }
    omics_credentials creds = {
        .access_key_id = "AKIDEXAMPLE",
        .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    };
    omics_header headers[] = {
        {"Host", "127.0.0.1:8080"},
        {"User-Agent", "lua-omics/0.1.0"},
    };
    omics_sign_params p = {
        .method = "GET",
        .path = "/referencestore/1234567890/reference/9876543210/metadata",
        .query = "",
        .headers = headers,
        .nheaders = 2,
        .region = "us-east-1",
        .service = "omics",
        .credentials = &creds,
        .time = DAY_START,
        .normalize_path = 1,
    };
    omics_signer *s = omics_signer_new();
    if (!s)
        return 1;
    omics_error err;
    omics_error_init(&err);
    omics_signature sig;
    int rc = 0;
    if (omics_sign(s, &p, &sig, &err)) { /* the signing key, into the cache */
        fprintf(stderr, "sign_c: %s: %s\n", err.code, err.message ? err.message : "");
        rc = 1;
    }
    double w0 = bench_wall(), c0 = bench_cpu();
    for (long i = 0; i < n && rc == 0; i++) {
        p.time = DAY_START + 1 + i % 80000;
        if (omics_sign(s, &p, &sig, &err)) {
            fprintf(stderr, "sign_c: %s: %s\n", err.code, err.message ? err.message : "");
            rc = 1;
        }
    }
    double wall = bench_wall() - w0, cpu = bench_cpu() - c0;
    if (rc == 0)
        printf("signatures=%ld wall=%.6f cpu=%.6f\n", n, wall, cpu);
    omics_error_clear(&err);
    omics_signer_free(s);
    return rc;
}
