/* metricrules: conditions on samples, held for a while, to alerts. */
#include "metricrules.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertintake.h"
#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "devhealth.h"
#include "devnames.h"
#include "jsonx.h"
#include "selectors.h"

static const char *const ops[] = {">", ">=", "<", "<=", "==", "!="};

struct mrule {
	int64_t id;
	char *name;
	const char *severity;
	json_t *labels, *annotations;
	unsigned metric;
	int op;
	double value;
	int64_t for_ns;
	struct selectors *selectors;
};

struct metricrules {
	pthread_mutex_t lock; /* all of it */
	struct mrule *rules;
	size_t n;
	json_t *since; /* "id|node|bdf" -> when the GPU began to meet the rule (ns) */
};

static int metric_id(const char *name)
{
	for (unsigned i = 0; name && i < DEVNAMES_GPU_SCALARS; i++)
		if (devnames_gpu_metric(i) && strcmp(name, devnames_gpu_metric(i)) == 0)
			return (int)i;
	return -1;
}

static int op_id(const char *s)
{
	for (int i = 0; s && i < 6; i++)
		if (strcmp(s, ops[i]) == 0)
			return i;
	return -1;
}

json_t *metricrules_parse(const json_t *body, char *err, size_t errlen)
{
	const char *name = jsonx_str(body, "name"), *f = *jsonx_str(body, "for") ? jsonx_str(body, "for") : "0s";
	const json_t *v = json_object_get(body, "value");
	const json_t *l = json_object_get(body, "labels"), *a = json_object_get(body, "annotations");
	int64_t for_ns;
	if (!*name || strlen(name) > 128)
		return snprintf(err, errlen, "\"name\" is required (at most 128 bytes)"), NULL;
	if (metric_id(jsonx_str(body, "metric")) < 0)
		return snprintf(err, errlen, "\"metric\" must be a GPU metric such as "
					     "temperature_junction_celsius or busy_percent"), NULL;
	if (op_id(jsonx_str(body, "op")) < 0 || !json_is_number(v))
		return snprintf(err, errlen, "\"op\" (>, >=, <, <=, == or !=) and a numeric \"value\" "
					     "are required"), NULL;
	if (clock_parse_duration(f, &for_ns) || for_ns < 0)
		return snprintf(err, errlen, "\"for\" is not a duration like 2m"), NULL;
	if ((l && !json_is_object(l)) || (a && !json_is_object(a)))
		return snprintf(err, errlen, "\"labels\" and \"annotations\" are objects of strings"),
		       NULL;
	json_t *sel = selectors_parse(json_object_get(body, "selector"), SELECT_NODE | SELECT_DEVICE,
				      err, errlen);
	if (!sel)
		return NULL;
	return json_pack("{s:s,s:s,s:b,s:s,s:o,s:o,s:s,s:s,s:f,s:s,s:f,s:o}", "name", name, "type",
			 "metric", "enabled", !json_is_false(json_object_get(body, "enabled")),
			 "severity", alertintake_severity(jsonx_str(body, "severity")), "labels",
			 l ? json_incref((json_t *)l) : json_object(), "annotations",
			 a ? json_incref((json_t *)a) : json_object(), "metric",
			 jsonx_str(body, "metric"), "op", jsonx_str(body, "op"), "value",
			 json_number_value(v), "for", f, "for_s", (double)for_ns / 1e9, "selector", sel);
}

static void free_rules(struct mrule *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].name);
		json_decref(r[i].labels);
		json_decref(r[i].annotations);
		selectors_free(r[i].selectors);
	}
	free(r);
}

struct metricrules *metricrules_new(void)
{
	struct metricrules *m = xcalloc(1, sizeof *m);
	pthread_mutex_init(&m->lock, NULL);
	m->since = json_object();
	return m;
}

void metricrules_free(struct metricrules *m)
{
	if (!m)
		return;
	free_rules(m->rules, m->n);
	json_decref(m->since);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int metricrules_set(struct metricrules *m, const json_t *rules, char *err, size_t errlen)
{
	size_t n = json_array_size(rules);
	struct mrule *r = xcalloc(n + 1, sizeof *r);
	const json_t *j;
	size_t i;
	json_array_foreach(rules, i, j) {
		r[i] = (struct mrule){json_integer_value(json_object_get(j, "id")),
				      xstrdup(jsonx_str(j, "name")),
				      alertintake_severity(jsonx_str(j, "severity")),
				      json_incref(json_object_get(j, "labels")),
				      json_incref(json_object_get(j, "annotations")),
				      (unsigned)metric_id(jsonx_str(j, "metric")),
				      op_id(jsonx_str(j, "op")),
				      json_number_value(json_object_get(j, "value")),
				      (int64_t)(json_number_value(json_object_get(j, "for_s")) * 1e9),
				      selectors_new(json_object_get(j, "selector"), err, errlen)};
		if (!r[i].selectors || r[i].op < 0 || metric_id(jsonx_str(j, "metric")) < 0) {
			if (!err[0])
				snprintf(err, errlen, "metric rule %s is malformed", r[i].name);
			free_rules(r, i + 1);
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&m->lock);
	free_rules(m->rules, m->n);
	m->rules = r;
	m->n = n;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

size_t metricrules_count(struct metricrules *m)
{
	pthread_mutex_lock(&m->lock);
	size_t n = m->n;
	pthread_mutex_unlock(&m->lock);
	return n;
}

static bool meets(int op, double x, double v)
{
	switch (op) {
	case 0: return x > v;
	case 1: return x >= v;
	case 2: return x < v;
	case 3: return x <= v;
	case 4: return x == v;
	default: return x != v;
	}
}

static void raise_alert(struct alerts *al, const struct mrule *r, const char *node,
			const char *bdf, double x, int64_t since, int64_t at, int64_t hold_ns)
{
	char starts[40], ends[40], val[48];
	json_t *labels = json_deep_copy(r->labels), *ann = json_deep_copy(r->annotations);
	snprintf(val, sizeof val, "%.15g", x);
	json_object_set_new(labels, "rule", json_string(r->name));
	json_object_set_new(labels, "node", json_string(node));
	json_object_set_new(labels, "device", json_string(bdf));
	json_object_set_new(ann, "value", json_string(val));
	json_object_set_new(ann, "condition", json_sprintf("%s %s %.15g", devnames_gpu_metric(r->metric),
							   ops[r->op], r->value));
	alerts_queue(al, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:{s:s,s:s}}", "source",
				   "metric", "name", r->name, "severity", r->severity, "status",
				   "firing", "starts_at",
				   clock_format_rfc3339(since, 6, starts, sizeof starts), "ends_at",
				   clock_format_rfc3339(at + hold_ns, 6, ends, sizeof ends), "labels",
				   labels, "annotations", ann, "generator_url", "", "entity", "node",
				   node, "device", bdf));
}

/* One GPU's sample against every rule: the time each condition has held. */
static void gpu_sample(struct metricrules *m, struct alerts *al, const char *node,
		       const Lens__V1__GpuSample *g, int64_t at, int64_t hold_ns)
{
	struct rule_subject who = {node, "", "", "", g->bdf, NULL};
	for (size_t i = 0; i < m->n; i++) {
		const struct mrule *r = &m->rules[i];
		char key[300];
		snprintf(key, sizeof key, "%lld|%s|%s", (long long)r->id, node, g->bdf);
		double x = NAN;
		for (size_t k = 0; k < g->n_metric && k < g->n_value; k++)
			if (g->metric[k] == r->metric)
				x = g->value[k];
		if (isnan(x) || !selectors_pass(r->selectors, &who) || !meets(r->op, x, r->value)) {
			json_object_del(m->since, key); /* a break: the clock starts again */
			continue;
		}
		json_t *since = json_object_get(m->since, key);
		if (!since)
			json_object_set_new(m->since, key, since = json_integer(at));
		if (at - json_integer_value(since) >= r->for_ns)
			raise_alert(al, r, node, g->bdf, x, json_integer_value(since), at, hold_ns);
	}
}

void metricrules_samples(struct metricrules *m, struct alerts *al, Envelope *const *envs, int n,
			 int64_t hold_ns)
{
	if (!m || !al)
		return;
	pthread_mutex_lock(&m->lock);
	for (int e = 0; m->n && e < n; e++) {
		const Lens__V1__DeviceSamples *ds = envs[e]->device_samples;
		int64_t at = devhealth_sample_time(ds);
		for (size_t i = 0; i < ds->n_gpus; i++)
			gpu_sample(m, al, envs[e]->node_name, ds->gpus[i], at, hold_ns);
	}
	pthread_mutex_unlock(&m->lock);
}
