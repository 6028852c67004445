/* ruleset: rule checking, one Hyperscan database, PCRE2 confirmation. */
#include "ruleset.h"

#include <errno.h>
#include <hs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertintake.h"
#include "buf.h"
#include "clock.h"
#include "jsonx.h"
#include "rx.h"
#include "selectors.h"

#define MAX_PATTERN 4096

static const char *const bys[] = {"pod", "workload", "node", "namespace", "rule"};

struct ruleset {
	atomic_int refs;
	struct rule *rules;
	size_t nrules;
	pcre2_code **codes; /* per (rule, condition): rules[i] at i * RULESET_MAX_CONDITIONS */
	hs_database_t *db;
	hs_scratch_t *proto;
	pthread_mutex_t lock; /* the pool of spare scratch spaces */
	hs_scratch_t **pool;
	size_t npool, cappool;
};

/* ---- Checking ----------------------------------------------------------- */

static int index_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return (int)i;
	return -1;
}

static bool strings_object(const json_t *o)
{
	const char *k;
	const json_t *v;
	if (o && !json_is_object(o))
		return false;
	json_object_foreach((json_t *)o, k, v)
		if (!json_is_string(v))
			return false;
	return true;
}

static json_t *parse_conditions(const json_t *body, char *err, size_t errlen)
{
	const json_t *list = json_object_get(body, "conditions");
	json_t *one = NULL;
	if (!list && json_object_get(body, "pattern"))
		list = one = json_pack("[{s:O,s:b}]", "pattern", json_object_get(body, "pattern"),
				       "ignore_case",
				       json_is_true(json_object_get(body, "ignore_case")));
	json_t *out = json_array();
	const json_t *c;
	size_t i;
	if (!json_is_array(list) || !json_array_size(list) ||
	    json_array_size(list) > RULESET_MAX_CONDITIONS) {
		snprintf(err, errlen, "\"conditions\" (or \"pattern\") must hold 1 to %d patterns",
			 RULESET_MAX_CONDITIONS);
		goto fail;
	}
	json_array_foreach(list, i, c) {
		const char *p = jsonx_str(c, "pattern");
		bool ci = json_is_true(json_object_get(c, "ignore_case"));
		if (!*p || strlen(p) > MAX_PATTERN) {
			snprintf(err, errlen, "condition %zu: \"pattern\" must be 1 to %d bytes", i,
				 MAX_PATTERN);
			goto fail;
		}
		pcre2_code *code = rx_compile(p, ci, err, errlen);
		if (!code)
			goto fail;
		pcre2_code_free(code);
		json_array_append_new(out, json_pack("{s:s,s:b}", "pattern", p, "ignore_case", ci));
	}
	json_decref(one);
	return out;
fail:
	json_decref(one);
	json_decref(out);
	return NULL;
}

static json_t *parse_threshold(const json_t *t, char *err, size_t errlen)
{
	const json_t *count = json_object_get(t, "count");
	const char *window = *jsonx_str(t, "window") ? jsonx_str(t, "window") : "5m";
	const char *by = *jsonx_str(t, "by") ? jsonx_str(t, "by") : "pod";
	int64_t ns;
	if (t && !json_is_object(t))
		return snprintf(err, errlen, "\"threshold\" must be an object"), NULL;
	if (count && (!json_is_integer(count) || json_integer_value(count) < 1 ||
		      json_integer_value(count) > 1000))
		return snprintf(err, errlen, "\"threshold.count\" must be 1 to 1000"), NULL;
	if (clock_parse_duration(window, &ns) || ns <= 0)
		return snprintf(err, errlen, "\"threshold.window\" is not a duration like 5m"), NULL;
	if (index_of(by, bys, 5) < 0)
		return snprintf(err, errlen,
				"\"threshold.by\" must be pod, workload, node, namespace or rule"),
		       NULL;
	return json_pack("{s:I,s:s,s:f,s:s}", "count",
			 (json_int_t)(count ? json_integer_value(count) : 1), "window", window,
			 "window_s", (double)ns / 1e9, "by", by);
}

json_t *ruleset_parse(const json_t *body, char *err, size_t errlen)
{
	const char *name = jsonx_str(body, "name"), *type = jsonx_str(body, "type");
	err[0] = '\0';
	if (!json_is_object(body) || !*name || strlen(name) > 128)
		return snprintf(err, errlen, "\"name\" is required (at most 128 bytes)"), NULL;
	if (*type && strcmp(type, "log"))
		return snprintf(err, errlen, "\"type\" must be log or metric"), NULL;
	if (!strings_object(json_object_get(body, "labels")) ||
	    !strings_object(json_object_get(body, "annotations")))
		return snprintf(err, errlen, "\"labels\" and \"annotations\" are objects of strings"),
		       NULL;
	json_t *c = parse_conditions(body, err, errlen);
	json_t *s = c ? selectors_parse(json_object_get(body, "selector"),
					SELECT_WORKLOAD | SELECT_NAMESPACE | SELECT_POD | SELECT_NODE,
					err, errlen)
		      : NULL;
	json_t *t = s ? parse_threshold(json_object_get(body, "threshold"), err, errlen) : NULL;
	if (!t) {
		json_decref(c);
		json_decref(s);
		return NULL;
	}
	json_t *l = json_object_get(body, "labels"), *a = json_object_get(body, "annotations");
	return json_pack("{s:s,s:s,s:b,s:s,s:o,s:o,s:o,s:o,s:o}", "name", name, "type", "log",
			 "enabled", !json_is_false(json_object_get(body, "enabled")), "severity",
			 alertintake_severity(jsonx_str(body, "severity")), "labels",
			 l ? json_incref(l) : json_object(), "annotations",
			 a ? json_incref(a) : json_object(), "conditions", c, "selector", s,
			 "threshold", t);
}

/* ---- Building ----------------------------------------------------------- */

static void rule_free(struct rule *r)
{
	free(r->name);
	json_decref(r->labels);
	json_decref(r->annotations);
	for (int i = 0; i < r->nconditions; i++)
		free(r->patterns[i]);
	selectors_free(r->selectors);
}

/* A stored (normalised) rule into r; its patterns compiled into codes. */
static int load_rule(const json_t *j, struct rule *r, pcre2_code **codes, char *err, size_t errlen)
{
	const json_t *t = json_object_get(j, "threshold"), *c;
	size_t i;
	r->id = json_integer_value(json_object_get(j, "id"));
	r->name = xstrdup(jsonx_str(j, "name"));
	r->severity = alertintake_severity(jsonx_str(j, "severity"));
	r->labels = json_incref(json_object_get(j, "labels"));
	r->annotations = json_incref(json_object_get(j, "annotations"));
	r->count = (int)json_integer_value(json_object_get(t, "count"));
	r->window_ns = (int64_t)(json_number_value(json_object_get(t, "window_s")) * 1e9);
	r->by = (enum rule_by)index_of(jsonx_str(t, "by"), bys, 5);
	json_array_foreach(json_object_get(j, "conditions"), i, c) {
		if (i >= RULESET_MAX_CONDITIONS)
			break;
		r->patterns[i] = xstrdup(jsonx_str(c, "pattern"));
		r->nconditions = (int)i + 1;
		codes[i] = rx_compile(r->patterns[i], json_is_true(json_object_get(c, "ignore_case")),
				      err, errlen);
		if (!codes[i])
			return -EINVAL;
	}
	r->selectors = selectors_new(json_object_get(j, "selector"), err, errlen);
	if (!r->selectors)
		return -EINVAL;
	return r->by < 0 || !r->nconditions ? (snprintf(err, errlen, "malformed rule"), -EINVAL) : 0;
}

static int compile_db(struct ruleset *s, const json_t *rules, char *err, size_t errlen)
{
	size_t n = 0, cap = s->nrules * RULESET_MAX_CONDITIONS + 1;
	const char **exprs = xcalloc(cap, sizeof *exprs);
	unsigned *flags = xcalloc(cap, sizeof *flags), *ids = xcalloc(cap, sizeof *ids);
	for (size_t i = 0; i < s->nrules; i++)
		for (int k = 0; k < s->rules[i].nconditions; k++) {
			const json_t *c = json_array_get(
				json_object_get(json_array_get(rules, i), "conditions"), (size_t)k);
			exprs[n] = s->rules[i].patterns[k];
			flags[n] = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY |
				   (json_is_true(json_object_get(c, "ignore_case")) ? HS_FLAG_CASELESS : 0);
			ids[n++] = (unsigned)(i * RULESET_MAX_CONDITIONS + (size_t)k);
		}
	hs_compile_error_t *ce = NULL;
	int rc = 0;
	if (n && hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &s->db, &ce) !=
			 HS_SUCCESS) {
		int at = ce->expression >= 0 ? (int)ids[ce->expression] / RULESET_MAX_CONDITIONS : -1;
		snprintf(err, errlen, "rule %s: %s", at >= 0 ? s->rules[at].name : "?", ce->message);
		hs_free_compile_error(ce);
		rc = -EINVAL;
	} else if (n && hs_alloc_scratch(s->db, &s->proto) != HS_SUCCESS) {
		snprintf(err, errlen, "cannot allocate Hyperscan scratch space");
		rc = -ENOMEM;
	}
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

struct ruleset *ruleset_build(const json_t *rules, char *err, size_t errlen)
{
	struct ruleset *s = xcalloc(1, sizeof *s);
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->lock, NULL);
	s->nrules = json_array_size(rules);
	s->rules = xcalloc(s->nrules + 1, sizeof *s->rules);
	s->codes = xcalloc((s->nrules + 1) * RULESET_MAX_CONDITIONS, sizeof *s->codes);
	for (size_t i = 0; i < s->nrules; i++)
		if (load_rule(json_array_get(rules, i), &s->rules[i],
			      &s->codes[i * RULESET_MAX_CONDITIONS], err, errlen)) {
			s->nrules = i + 1; /* what was loaded is freed */
			ruleset_unref(s);
			return NULL;
		}
	if (compile_db(s, rules, err, errlen)) {
		ruleset_unref(s);
		return NULL;
	}
	return s;
}

size_t ruleset_size(const struct ruleset *s)
{
	return s ? s->nrules : 0;
}

struct ruleset *ruleset_ref(struct ruleset *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

void ruleset_unref(struct ruleset *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < s->nrules; i++) {
		rule_free(&s->rules[i]);
		for (int k = 0; k < RULESET_MAX_CONDITIONS; k++)
			pcre2_code_free(s->codes[i * RULESET_MAX_CONDITIONS + (size_t)k]);
	}
	for (size_t i = 0; i < s->npool; i++)
		hs_free_scratch(s->pool[i]);
	hs_free_scratch(s->proto);
	hs_free_database(s->db);
	free(s->pool);
	free(s->codes);
	free(s->rules);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ---- Matching ----------------------------------------------------------- */

static hs_scratch_t *scratch_take(struct ruleset *s)
{
	hs_scratch_t *x = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->npool)
		x = s->pool[--s->npool];
	pthread_mutex_unlock(&s->lock);
	if (!x && hs_clone_scratch(s->proto, &x) != HS_SUCCESS)
		return NULL;
	return x;
}

static void scratch_give(struct ruleset *s, hs_scratch_t *x)
{
	pthread_mutex_lock(&s->lock);
	if (s->npool == s->cappool) {
		s->cappool = s->cappool ? 2 * s->cappool : 4;
		s->pool = xrealloc(s->pool, s->cappool * sizeof *s->pool);
	}
	s->pool[s->npool++] = x;
	pthread_mutex_unlock(&s->lock);
}

struct hits {
	unsigned *id;
	int n;
};

static int on_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		  void *arg)
{
	(void)from, (void)to, (void)flags;
	struct hits *h = arg;
	if (h->n < RULESET_MAX_HITS)
		h->id[h->n++] = id;
	return 0;
}

int ruleset_scan(struct ruleset *s, const char *line, size_t len, unsigned *ids)
{
	if (!s || !s->db)
		return 0;
	hs_scratch_t *x = scratch_take(s);
	struct hits h = {ids, 0};
	int rc = x ? hs_scan(s->db, line, (unsigned)len, 0, x, on_hit, &h) : HS_NOMEM;
	if (x)
		scratch_give(s, x);
	if (rc != HS_SUCCESS)
		return 0;
	int kept = 0;
	for (int i = 0; i < h.n; i++) /* prefilter hits are candidates: PCRE2 decides */
		if (rx_match(s->codes[ids[i]], line, len))
			ids[kept++] = ids[i];
	return kept;
}

const struct rule *ruleset_rule(const struct ruleset *s, unsigned id, int *condition)
{
	*condition = (int)(id % RULESET_MAX_CONDITIONS);
	return &s->rules[id / RULESET_MAX_CONDITIONS];
}

bool ruleset_selects(const struct ruleset *s, unsigned id, const struct rule_subject *who)
{
	return selectors_pass(s->rules[id / RULESET_MAX_CONDITIONS].selectors, who);
}
