/* logpattern: PCRE2 (8-bit, UTF) with JIT where the platform has it. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "logpattern.h"

#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "log.h"

#define MAX_GROUPS 32

struct pattern {
	char *name;
	pcre2_code *code;
};

struct logpattern_set {
	atomic_int refs;
	struct pattern *p;
	size_t n;
};

struct logpattern_set *logpattern_set_new(void)
{
	struct logpattern_set *s = xcalloc(1, sizeof *s);
	atomic_init(&s->refs, 1);
	return s;
}

size_t logpattern_set_size(const struct logpattern_set *s)
{
	return s ? s->n : 0;
}

struct logpattern_set *logpattern_set_ref(struct logpattern_set *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

void logpattern_set_unref(struct logpattern_set *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->p[i].name);
		pcre2_code_free(s->p[i].code);
	}
	free(s->p);
	free(s);
}

int logpattern_set_add(struct logpattern_set *s, const char *name, const char *pattern,
		       char *err, size_t errlen)
{
	int ec;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
					 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off, NULL);
	if (!code) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(ec, msg, sizeof msg);
		snprintf(err, errlen, "pattern does not compile at offset %zu: %s", (size_t)off,
			 (const char *)msg);
		return -EINVAL;
	}
	uint32_t groups = 0;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
	const char *bad = NULL;
	if (groups >= MAX_GROUPS)
		bad = "pattern has too many groups (at most 31)";
	else if (pcre2_substring_number_from_name(code, (PCRE2_SPTR) "iteration") < 0)
		bad = "pattern has no group named \"iteration\"";
	if (bad) {
		snprintf(err, errlen, "%s", bad);
		pcre2_code_free(code);
		return -EINVAL;
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	s->p = xrealloc(s->p, (s->n + 1) * sizeof *s->p);
	s->p[s->n++] = (struct pattern){xstrdup(name), code};
	return 0;
}

/* A captured value as a number: nan and inf are NaN, like the built-in
 * parser; anything else not numeric is left out. */
static int value(const char *s, size_t n, double *v)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *end;
	*v = strtod(tmp, &end);
	if (*end)
		return -1;
	if (isinf(*v))
		*v = NAN;
	return 0;
}

/* The named groups of a match as fields; -1 with *why on a bad value. */
static int fields_of(const pcre2_code *code, const char *line, const PCRE2_SIZE *ov,
		     int64_t *iteration, json_t *out, const char **why)
{
	uint32_t count, size;
	PCRE2_SPTR table;
	pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
	*iteration = -1;
	for (uint32_t i = 0; i < count; i++, table += size) {
		int g = (table[0] << 8) | table[1];
		const char *name = (const char *)table + 2;
		double v;
		if (ov[2 * g] == PCRE2_UNSET ||
		    value(line + ov[2 * g], ov[2 * g + 1] - ov[2 * g], &v))
			continue;
		if (v < 0) {
			*why = name;
			return -1;
		}
		if (strcmp(name, "iteration") == 0)
			*iteration = (int64_t)v;
		json_object_set_new(out, name, isnan(v) ? json_string("NaN")
					       : v == floor(v) && v < 9e15 ? json_integer((json_int_t)v)
									   : json_real(v));
	}
	if (*iteration < 0) {
		*why = "iteration";
		return -1;
	}
	return 0;
}

int logpattern_match(const struct logpattern_set *s, const char *line, size_t len,
		     int64_t *iteration, json_t **fields, const char **name, const char **why)
{
	if (!s || !s->n)
		return 0;
	/* One match block, sized for any pattern of a set. */
	pcre2_match_data *md = pcre2_match_data_create(MAX_GROUPS, NULL);
	int rc = 0;
	for (size_t i = 0; i < s->n && !rc; i++) {
		if (pcre2_match(s->p[i].code, (PCRE2_SPTR)line, len, 0, 0, md, NULL) < 0)
			continue;
		*fields = json_object();
		*name = s->p[i].name;
		rc = fields_of(s->p[i].code, line, pcre2_get_ovector_pointer(md), iteration, *fields,
			       why) == 0 ? 1 : -1;
		if (rc < 0) {
			json_decref(*fields);
			*fields = NULL;
		}
	}
	pcre2_match_data_free(md);
	return rc;
}

int logpattern_load(PGconn *c, struct logpattern_set **out, char *err, size_t errlen)
{
	PGresult *res = db_exec(c,
				"SELECT name, pattern FROM training_log_patterns WHERE enabled"
				" ORDER BY id",
				0, NULL, err, errlen, NULL);
	if (!res)
		return -EIO;
	struct logpattern_set *s = logpattern_set_new();
	for (int i = 0; i < PQntuples(res); i++) {
		char why[256];
		if (logpattern_set_add(s, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), why,
				       sizeof why))
			log_warn("training log pattern skipped", "name=%s err=%s",
				 log_q(PQgetvalue(res, i, 0)), log_q(why));
	}
	PQclear(res);
	*out = s;
	return 0;
}
