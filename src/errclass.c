/* errclass: the error codes of the AWS SDKs' retry rules (see errclass.h). */
#include "errclass.h"

#include <string.h>

static const char *const errclass_throttles[] = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException"};

static const char *const errclass_transients[] = {
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
    "InternalServerError", "InternalError", "ServiceUnavailable"};

static const char *const errclass_skews[] = {"RequestTimeTooSkewed", "RequestExpired",
                                             "RequestInTheFuture", "InvalidSignatureException",
                                             "SignatureDoesNotMatch", "AuthFailure"};

static int errclass_in(const char *code, const char *const *list, size_t n)
{
    for (size_t i = 0; code && i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return 1;
    return 0;
}

#define IN(code, list) errclass_in(code, list, sizeof list / sizeof *list)

int errclass_is_throttle(const char *code, long status)
{
    return status == 429 || IN(code, errclass_throttles);
}

int errclass_is_transient(const char *code)
{
    return IN(code, errclass_transients);
}

int errclass_is_clock_skew(const omics_error *err)
{
    if (!IN(err->code, errclass_skews))
        return 0;
    if (strcmp(err->code, "InvalidSignatureException") != 0 &&
        strcmp(err->code, "SignatureDoesNotMatch") != 0 && strcmp(err->code, "AuthFailure") != 0)
        return 1;
    /* these codes mean a skewed clock only when the message says so */
    const char *m = err->message ? err->message : "";
    return strstr(m, "Signature expired") || strstr(m, "Signature not yet current") ||
           strstr(m, "too skewed");
}

int omics_transport_retryable(const char *code)
{
    /* refused, reset or cut short, and timeouts; not TLS, DNS or a full sink */
    return strcmp(code, "ConnectionError") == 0 || strcmp(code, "TimeoutError") == 0;
}
