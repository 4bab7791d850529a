/* Print a HealthOmics reference's metadata, from C, as JSON.
 *
 *   cc get_reference_metadata.c $(pkg-config --cflags --libs omics) -o get_reference_metadata
 *   ./get_reference_metadata [reference-store-id reference-id]
 *
 * Credentials, region and endpoint come from the usual AWS settings
 * (AWS_ACCESS_KEY_ID, ~/.aws/config, AWS_REGION, AWS_ENDPOINT_URL_OMICS, ...),
 * as for the Lua example: the same program runs against AWS and against
 * tools/emulator.  Exit status 0, or 1 with the error on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omics.h>

int main(int argc, char **argv)
{
    const char *store = argc > 2 ? argv[1] : "1234567890";
    const char *ref = argc > 2 ? argv[2] : "9876543210";
    omics_error err;
    omics_error_init(&err);

    const omics_model *model = omics_model_builtin(&err);
    omics_client_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.inject_host_prefix = -1; /* the default: AWS_DISABLE_HOST_PREFIX_INJECTION, else on */
    omics_client *client = model ? omics_client_new(model, &opts, &err) : NULL;
    char params[256], *result = NULL;
    snprintf(params, sizeof params, "{\"referenceStoreId\": \"%s\", \"id\": \"%s\"}", store, ref);
    if (!client || omics_call_json(client, "GetReferenceMetadata", params, strlen(params), NULL,
                                   &result, NULL, &err) != 0) {
        fprintf(stderr, "%s (%s): %s\n", err.code, omics_error_kind_name(err.kind),
                err.message ? err.message : "");
        omics_error_clear(&err);
        omics_client_free(client);
        return 1;
    }
    printf("%s\n", result);
    free(result);
    omics_client_free(client);
    return 0;
}
