/* config: table-driven flags with environment twins. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "clock.h"

int cfg_parse_size(const char *s, int64_t *bytes)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -EINVAL;
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {{"", 1},           {"B", 1},           {"K", 1e3},
		     {"KB", 1e3},       {"KiB", 1024.0},    {"M", 1e6},
		     {"MB", 1e6},       {"MiB", 1048576.0}, {"G", 1e9},
		     {"GB", 1e9},       {"GiB", 1073741824.0}, {"T", 1e12},
		     {"TiB", 1099511627776.0}};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcasecmp(end, units[i].suffix) == 0) {
			double r = v * units[i].mult;
			if (r > 9e18)
				return -ERANGE;
			*bytes = (int64_t)r;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_value(const struct cfg_opt *o, const char *v)
{
	char *end;
	switch (o->type) {
	case CFG_STR: {
		char **dst = o->dst;
		free(*dst);
		*dst = v ? xstrdup(v) : NULL;
		return 0;
	}
	case CFG_INT: {
		errno = 0;
		long long n = strtoll(v, &end, 0);
		if (errno || end == v || *end)
			return -EINVAL;
		*(long long *)o->dst = n;
		return 0;
	}
	case CFG_BOOL:
		return parse_bool(v, o->dst);
	case CFG_DURATION:
		return clock_parse_duration(v, o->dst);
	case CFG_SIZE:
		return cfg_parse_size(v, o->dst);
	case CFG_DOUBLE: {
		errno = 0;
		double d = strtod(v, &end);
		if (errno || end == v || *end || !isfinite(d))
			return -EINVAL;
		*(double *)o->dst = d;
		return 0;
	}
	}
	return -EINVAL;
}

static const struct cfg_opt *find_opt(const struct cfg_opt *opts, const char *name, size_t len)
{
	for (const struct cfg_opt *o = opts; o->name; o++)
		if ((strlen(o->name) == len && strncmp(o->name, name, len) == 0) ||
		    (len == 1 && o->short_name == name[0]))
			return o;
	return NULL;
}

static int apply_defaults_and_env(const struct cfg_opt *opts, char *err, size_t errlen)
{
	for (const struct cfg_opt *o = opts; o->name; o++) {
		if ((o->def || o->type == CFG_STR) && set_value(o, o->def) < 0) {
			snprintf(err, errlen, "bad default for --%s: %s", o->name, o->def);
			return -EINVAL;
		}
		const char *ev = o->env ? getenv(o->env) : NULL;
		if (ev && *ev && set_value(o, ev) < 0) {
			snprintf(err, errlen, "invalid value for %s: \"%s\"", o->env, ev);
			return -EINVAL;
		}
	}
	return 0;
}

/* Parses one "--name[=value]" or "-x value" at argv[*i]; may consume
 * argv[*i + 1]. */
static int parse_flag(const struct cfg_opt *opts, int argc, char **argv, int *i, char *err,
		      size_t errlen)
{
	const char *arg = argv[*i] + (argv[*i][1] == '-' ? 2 : 1);
	const char *eq = strchr(arg, '=');
	size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct cfg_opt *o = find_opt(opts, arg, nlen);
	if (!o) {
		snprintf(err, errlen, "unknown flag \"%s\" (see --help)", argv[*i]);
		return -EINVAL;
	}
	const char *v = eq ? eq + 1 : NULL;
	if (!v && o->type == CFG_BOOL)
		v = "true";
	if (!v) {
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "flag --%s needs a value", o->name);
			return -EINVAL;
		}
		v = argv[++*i];
	}
	if (set_value(o, v) < 0) {
		snprintf(err, errlen, "invalid value for --%s: \"%s\"", o->name, v);
		return -EINVAL;
	}
	return 0;
}

static bool is_flag(const char *a)
{
	return a[0] == '-' && a[1] && (a[1] == '-' || a[2] == '\0');
}

int cfg_parse_flags(const struct cfg_opt *opts, int argc, char **argv, int *argi, char *err,
		    size_t errlen)
{
	int i = *argi, rc;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 1;
		if (!is_flag(a))
			break;
		if ((rc = parse_flag(opts, argc, argv, &i, err, errlen)))
			return rc;
	}
	*argi = i;
	return 0;
}

int cfg_parse(const struct cfg_opt *opts, int argc, char **argv, int *argi, char *err,
	      size_t errlen)
{
	int rc = apply_defaults_and_env(opts, err, errlen);
	return rc ? rc : cfg_parse_flags(opts, argc, argv, argi, err, errlen);
}

void cfg_usage(FILE *out, const char *usage, const struct cfg_opt *opts)
{
	fprintf(out, "%s\n\nFlags (each also read from the environment variable shown):\n", usage);
	for (const struct cfg_opt *o = opts; o->name; o++) {
		if (o->short_name)
			fprintf(out, "  -%c, --%s", o->short_name, o->name);
		else
			fprintf(out, "  --%s", o->name);
		if (o->env)
			fprintf(out, "  [%s]", o->env);
		fprintf(out, "\n      %s", o->help);
		if (o->def)
			fprintf(out, " (default: %s)", *o->def ? o->def : "\"\"");
		fputc('\n', out);
	}
	fprintf(out, "  --help\n      show this help\n");
}

void cfg_free(const struct cfg_opt *opts)
{
	for (const struct cfg_opt *o = opts; o->name; o++) {
		if (o->type == CFG_STR) {
			free(*(char **)o->dst);
			*(char **)o->dst = NULL;
		}
	}
}
