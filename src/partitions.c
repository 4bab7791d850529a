/* partitions: the AWS partitions (see partitions.h).  A region belongs to a
 * partition when it is <prefix>-<word>-<digits> with one of the partition's
 * prefixes ("us-gov-west-1" is aws-us-gov's, "eu-west-1" aws's). */
#include "partitions.h"

#include <string.h>

typedef struct pdata {
    partition p;
    const char *prefixes; /* space-separated */
} pdata;

/* the specific prefixes first: "us-gov-..." must not be read as "us-..." */
static const pdata table[] = {
    {{"aws-us-gov", "amazonaws.com", "api.aws", 1, 1, "us-gov-west-1"}, "us-gov"},
    {{"aws-iso-b", "sc2s.sgov.gov", "sc2s.sgov.gov", 1, 0, "us-isob-east-1"}, "us-isob"},
    {{"aws-iso-f", "csp.hci.ic.gov", "csp.hci.ic.gov", 1, 0, "us-isof-south-1"}, "us-isof"},
    {{"aws-iso", "c2s.ic.gov", "c2s.ic.gov", 1, 0, "us-iso-east-1"}, "us-iso"},
    {{"aws-iso-e", "cloud.adc-e.uk", "cloud.adc-e.uk", 1, 0, "eu-isoe-west-1"}, "eu-isoe"},
    {{"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn", 1, 1, "cn-northwest-1"},
     "cn"},
    {{"aws", "amazonaws.com", "api.aws", 1, 1, "us-east-1"}, "us eu ap sa ca me af il mx"},
};

/* region is <prefix>-<letters or digits>-<digits> */
static int follows(const char *region, const char *prefix, size_t n)
{
    if (strncmp(region, prefix, n) != 0 || region[n] != '-')
        return 0;
    const char *p = region + n + 1, *word = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
        p++;
    if (p == word || *p != '-')
        return 0;
    const char *digits = ++p;
    while (*p >= '0' && *p <= '9')
        p++;
    return p > digits && *p == '\0';
}

const partition *partition_of(const char *region)
{
    size_t count = sizeof table / sizeof table[0];
    for (size_t i = 0; region && i < count; i++) {
        if (strcmp(region, table[i].p.implicit_global_region) == 0)
            return &table[i].p;
        for (const char *s = table[i].prefixes; *s;) {
            size_t n = strcspn(s, " ");
            if (follows(region, s, n))
                return &table[i].p;
            s += n + (s[n] == ' ');
        }
    }
    return &table[count - 1].p;
}
