/* selectors: checking, compiling and passing selectors. */
#include "selectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonx.h"
#include "rx.h"

#define MAX_SELECTORS 16

enum sel_op { SEL_EQ, SEL_NE, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_REGEX };
static const char *const ops[] = {"eq", "ne", "in", "notin", "exists", "regex"};
static const char *const keys[] = {"workload", "namespace", "pod", "node", "device"};
#define NKEYS 5

struct selector {
	int key; /* index in keys: bit 1 << key of enum selector_key */
	enum sel_op op;
	json_t *values;
	pcre2_code *re;
};

struct selectors {
	int n;
	struct selector v[];
};

static int index_of(const char *s, const char *const *set, int n)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return i;
	return -1;
}

/* "workload, namespace, pod or node" for the keys allowed. */
static void key_names(unsigned allowed, char *out, size_t len)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < NKEYS; i++)
		if (allowed & (1u << i))
			buf_printf(&b, "%s%s", b.len ? ", " : "", keys[i]);
	snprintf(out, len, "%s", b.p ? b.p : "");
	buf_free(&b);
}

static json_t *values_of(const json_t *s)
{
	const json_t *vals = json_object_get(s, "values"), *v = json_object_get(s, "value");
	return json_is_array(vals) ? json_incref((json_t *)vals)
	       : json_is_string(v) ? json_pack("[O]", v)
				   : json_array();
}

json_t *selectors_parse(const json_t *list, unsigned allowed, char *err, size_t errlen)
{
	json_t *out = json_array();
	const json_t *s;
	size_t i;
	if (list && (!json_is_array(list) || json_array_size(list) > MAX_SELECTORS)) {
		snprintf(err, errlen, "\"selector\" must be an array of at most %d", MAX_SELECTORS);
		json_decref(out);
		return NULL;
	}
	json_array_foreach(list, i, s) {
		int key = index_of(jsonx_str(s, "key"), keys, NKEYS);
		int op = index_of(jsonx_str(s, "op"), ops, 6);
		json_t *values = values_of(s);
		bool ok = key >= 0 && (allowed & (1u << key)) && op >= 0 &&
			  (op == SEL_EXISTS || json_array_size(values));
		for (size_t k = 0; ok && k < json_array_size(values); k++)
			ok = json_is_string(json_array_get(values, k));
		char names[64];
		key_names(allowed, names, sizeof names);
		if (!ok)
			snprintf(err, errlen,
				 "selector %zu: \"key\" %s; \"op\" eq, ne, in, notin, exists or regex; "
				 "\"value\" or \"values\"", i, names);
		if (ok && op == SEL_REGEX) {
			pcre2_code *re = rx_compile(json_string_value(json_array_get(values, 0)), false,
						    err, errlen);
			ok = re != NULL;
			pcre2_code_free(re);
		}
		if (!ok) {
			json_decref(values);
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, json_pack("{s:s,s:s,s:o}", "key", keys[key], "op", ops[op],
						     "values", values));
	}
	return out;
}

struct selectors *selectors_new(const json_t *list, char *err, size_t errlen)
{
	size_t n = json_array_size(list);
	struct selectors *s = xcalloc(1, sizeof *s + n * sizeof s->v[0]);
	const json_t *j;
	size_t i;
	json_array_foreach(list, i, j) {
		struct selector *x = &s->v[s->n++];
		x->key = index_of(jsonx_str(j, "key"), keys, NKEYS);
		x->op = (enum sel_op)index_of(jsonx_str(j, "op"), ops, 6);
		x->values = json_incref(json_object_get(j, "values"));
		if (x->key < 0 || (int)x->op < 0 ||
		    (x->op == SEL_REGEX &&
		     !(x->re = rx_compile(json_string_value(json_array_get(x->values, 0)), false, err,
					  errlen)))) {
			if (!err[0])
				snprintf(err, errlen, "a malformed selector");
			selectors_free(s);
			return NULL;
		}
	}
	return s;
}

void selectors_free(struct selectors *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++) {
		json_decref(s->v[i].values);
		pcre2_code_free(s->v[i].re);
	}
	free(s);
}

static bool value_passes(const struct selector *x, enum sel_op op, const char *v)
{
	size_t i;
	const json_t *want;
	switch (op) {
	case SEL_EQ:
	case SEL_IN:
		json_array_foreach(x->values, i, want)
			if (strcmp(v, json_string_value(want)) == 0)
				return true;
		return false;
	case SEL_EXISTS:
		return *v != '\0';
	case SEL_REGEX:
		return rx_match(x->re, v, strlen(v));
	default:
		return false;
	}
}

/* ne and notin pass when no value is one of the values; the others when
 * one passes. A workload selector looks at every workload of the pod. */
static bool passes(const struct selector *x, const struct rule_subject *who)
{
	bool negate = x->op == SEL_NE || x->op == SEL_NOTIN;
	enum sel_op op = x->op == SEL_NE ? SEL_EQ : x->op == SEL_NOTIN ? SEL_IN : x->op;
	bool any = false;
	if (x->key == 0) {
		const json_t *w;
		size_t i;
		json_array_foreach(who->workloads, i, w)
			any = any || value_passes(x, op, json_string_value(w));
		if (!json_array_size(who->workloads))
			any = value_passes(x, op, "");
	} else {
		const char *const fields[] = {NULL, who->namespace_, who->pod, who->node, who->device};
		any = value_passes(x, op, fields[x->key] ? fields[x->key] : "");
	}
	return negate ? !any : any;
}

bool selectors_pass(const struct selectors *s, const struct rule_subject *who)
{
	for (int i = 0; s && i < s->n; i++)
		if (!passes(&s->v[i], who))
			return false;
	return true;
}
