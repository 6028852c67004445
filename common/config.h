/* config: command-line flags, each with an LENS_... environment twin.
 * A program describes its options once in a table; the table drives
 * parsing (default < environment < flag) and --help. */
#ifndef LENS_CONFIG_H
#define LENS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type {
	CFG_STR,      /* char ** (malloc'd; release with cfg_free) */
	CFG_INT,      /* long long * */
	CFG_BOOL,     /* bool *: --flag, --flag=true|false, env 1/0/true/false */
	CFG_DURATION, /* int64_t * nanoseconds: "500ms", "10s", "2m" */
	CFG_SIZE,     /* int64_t * bytes: "4096", "64KiB", "256MiB", "1G" */
	CFG_DOUBLE,   /* double * */
};

struct cfg_opt {
	const char *name; /* the flag without "--" */
	const char *env;  /* environment twin, or NULL */
	enum cfg_type type;
	void *dst;
	const char *def;  /* default as text; NULL means unset (CFG_STR only) */
	const char *help;
	char short_name;  /* optional one-letter alias: -o VALUE */
};

/* Applies defaults, then the environment, then argv[*argi..]. Stops at the
 * first argument that is not a flag (a subcommand or operand) and leaves
 * its index in *argi. Returns 0, 1 when --help was given, or -EINVAL with
 * a message in err. Tables end with an entry whose name is NULL. */
int cfg_parse(const struct cfg_opt *opts, int argc, char **argv, int *argi, char *err,
	      size_t errlen);
/* The flags part of cfg_parse alone (no defaults, no environment): for
 * flags that follow a subcommand. */
int cfg_parse_flags(const struct cfg_opt *opts, int argc, char **argv, int *argi, char *err,
		    size_t errlen);
void cfg_usage(FILE *out, const char *usage, const struct cfg_opt *opts);
void cfg_free(const struct cfg_opt *opts);
int cfg_parse_size(const char *s, int64_t *bytes);

#endif
