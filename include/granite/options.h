/*
 * options.h — granite's boot options, from /chosen/bootargs.
 */
#ifndef GRANITE_OPTIONS_H
#define GRANITE_OPTIONS_H

#include <granite/types.h>

/* Parse "key=value key2="quoted value" ..."; unknown keys are reported.
 * Returns the number of errors (each already logged). */
int options_parse(const char *cmdline);
/* The value of `key`, or NULL when not given. */
const char *opt_str(const char *key);
/* `key` as a size with optional K/M/G suffix, or `dflt`; *err set on a bad value. */
u64 opt_size(const char *key, u64 dflt, int *err);
/* `key` as one of `choices` (NULL-terminated); index, or `dflt` when absent, -1 if bad. */
int opt_choice(const char *key, const char *const *choices, int dflt);
/* The choices of an off|on option: opt_choice gives 0 for off, 1 for on. */
extern const char *const opt_off_on[];

#endif
