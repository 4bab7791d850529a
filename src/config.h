/* config: the AWS shared config and credentials files (INI as botocore reads
 * it: `[section]`, `key = value` or `key: value`, `#`/`;` comment lines,
 * indented continuation lines, and nested sub-sections written as an empty
 * `key =` followed by indented `sub = value` lines, stored as "key.sub"). */
#ifndef OMICS_CONFIG_H
#define OMICS_CONFIG_H

#include <stddef.h>

#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef struct config_file config_file;

/* Parse text; `name` is used in error messages.  A syntax error is an
 * OMICS_ECONFIG error naming the file and line. */
config_file *config_parse(const char *text, size_t n, const char *name, omics_error *err);
/* Read and parse a file.  A missing file gives an empty config, not an error. */
config_file *config_load(const char *path, omics_error *err);
void config_free(config_file *cf);

int config_has_section(const config_file *cf, const char *section);
/* The value of key in section (keys are case-insensitive), or NULL. */
const char *config_get(const config_file *cf, const char *section, const char *key);

/* The files and profile a client uses: paths from the environment
 * (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, with ~ expanded) and the
 * profile from the option, AWS_PROFILE, AWS_DEFAULT_PROFILE or "default". */
typedef struct config_profile {
    config_file *config;
    config_file *credentials;
    char *config_path;
    char *credentials_path;
    char *name;
    int explicit_option; /* set through the profile option */
    int named;           /* chosen by option or environment (must exist) */
} config_profile;

int config_profile_open(config_profile *p, const char *option_profile, omics_error *err);
void config_profile_close(config_profile *p);
/* A key of the profile in the config file ([profile x] or [default]). */
const char *config_profile_get(const config_profile *p, const char *key);
/* A key of the profile in the credentials file ([x]). */
const char *config_profile_cred(const config_profile *p, const char *key);
/* 1 when the profile exists in either file. */
int config_profile_exists(const config_profile *p);
/* The same for another profile of the same files (role chains). */
const char *config_named_get(const config_profile *p, const char *profile, const char *key);
const char *config_named_cred(const config_profile *p, const char *profile, const char *key);
int config_named_exists(const config_profile *p, const char *profile);
/* A key of a [sso-session name] section of the config file. */
const char *config_sso_session_get(const config_profile *p, const char *session,
                                   const char *key);

/* getenv, treating an empty value as unset. */
const char *config_env(const char *name);

#pragma GCC visibility pop

#endif
