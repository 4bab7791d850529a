/* partitions: the AWS partitions as endpoint rule sets see them (the
 * aws.partition function): which partition a region is in, and its DNS
 * suffixes and what it supports.  Data, not policy. */
#ifndef OMICS_PARTITIONS_H
#define OMICS_PARTITIONS_H

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef struct partition {
    const char *name;
    const char *dns_suffix;
    const char *dual_stack_dns_suffix;
    int supports_fips;
    int supports_dual_stack;
    const char *implicit_global_region;
} partition;

/* The partition of a region: the one whose region names it follows, else
 * "aws" (as the rule sets' aws.partition says of an unknown region). */
const partition *partition_of(const char *region);

#pragma GCC visibility pop

#endif
