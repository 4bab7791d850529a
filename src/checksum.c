#include "checksum.h"

#include <mbedtls/md.h>

#include "b64.h"

int checksum_md5_base64(buf *out, const void *p, size_t n)
{
    unsigned char digest[16];
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_MD5);
    if (!info || mbedtls_md_get_size(info) != sizeof digest ||
        mbedtls_md(info, n ? p : (const void *)"", n, digest) != 0)
        return -1;
    b64_encode(out, digest, sizeof digest);
    return out->oom ? -1 : 0;
}
