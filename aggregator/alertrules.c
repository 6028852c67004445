/* alertrules: matching, counting, queueing and storing log alerts. */
#include "alertrules.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "clock.h"
#include "jsonx.h"
#include "pgjson.h"
#include "podcache.h"
#include "metricrules.h"
#include "ruleset.h"

#define MESSAGE_BYTES 512

/* What counting needs: the windows (rule and key -> times) and where the
 * alerts it raises go. The engine's windows are shared under its lock; a
 * test has its own. */
struct counting {
	json_t *windows;
	json_t *pending;
	const struct log_record *rec;
	const struct rule_subject *who;
	uint64_t fired;
};

struct alertrules {
	struct db_pool *pool;
	struct podcache *pods;
	struct alerts *alerts; /* NULL until attached: matches only count */
	pthread_mutex_t lock;  /* set, windows */
	struct ruleset *set;
	struct metricrules *metrics;
	json_t *windows;
	struct prom_metric *m_lines, *m_matches, *m_fired, *m_rules;
};

/* ---- Counting ----------------------------------------------------------- */

static const char *key_of(const struct rule *r, const struct rule_subject *w, char *buf,
			  size_t len, const char **label)
{
	switch (r->by) {
	case BY_POD:
		*label = "pod_uid";
		if (w->pod_uid && *w->pod_uid)
			return w->pod_uid;
		snprintf(buf, len, "%s/%s", w->namespace_ ? w->namespace_ : "", w->pod ? w->pod : "");
		*label = "pod";
		return buf;
	case BY_WORKLOAD: {
		const char *uid = json_string_value(json_array_get(w->workloads, 0));
		*label = "workload_uid";
		return uid ? uid : "";
	}
	case BY_NODE:
		*label = "node";
		return w->node ? w->node : "";
	case BY_NAMESPACE:
		*label = "namespace";
		return w->namespace_ ? w->namespace_ : "";
	default:
		*label = NULL;
		return "";
	}
}

static void queue_alert(struct counting *c, const struct rule *r, const char *label,
			const char *key, int count)
{
	const struct log_record *rec = c->rec;
	char ts[40], n[16];
	int mlen = rec->len > MESSAGE_BYTES ? MESSAGE_BYTES : (int)rec->len;
	json_t *labels = json_deep_copy(r->labels), *ann = json_deep_copy(r->annotations);
	struct buf pat = BUF_INIT;
	for (int i = 0; i < r->nconditions; i++)
		buf_printf(&pat, "%s%s", i ? " && " : "", r->patterns[i]);
	json_object_set_new(labels, "rule", json_string(r->name));
	if (label)
		json_object_set_new(labels, label, json_string(key));
	snprintf(n, sizeof n, "%d", count);
	json_object_set_new(ann, "message", json_stringn_nocheck(rec->line, (size_t)mlen));
	json_object_set_new(ann, "pattern", json_string(pat.p));
	json_object_set_new(ann, "matches", json_string(n));
	json_array_append_new(
		c->pending,
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:{s:s,s:s,s:s,s:s}}", "source", "log",
			  "name", r->name, "severity", r->severity, "status", "firing", "starts_at",
			  clock_format_rfc3339(rec->logged_ns, 6, ts, sizeof ts), "labels", labels,
			  "annotations", ann, "generator_url", "", "entity", "node",
			  rec->node ? rec->node : "", "namespace", rec->namespace_ ? rec->namespace_ : "",
			  "pod", rec->pod ? rec->pod : "", "pod_uid", rec->pod_uid ? rec->pod_uid : ""));
	buf_free(&pat);
	c->fired++;
}

/* One matching (rule, condition) on a line: its window, and an alert
 * when the threshold is reached (the window then starts over). */
static void count_match(const struct rule *r, int cond, void *arg)
{
	struct counting *c = arg;
	char buf[300], wkey[400];
	const char *label, *key = key_of(r, c->who, buf, sizeof buf, &label);
	int64_t t = c->rec->logged_ns;
	snprintf(wkey, sizeof wkey, "%lld|%s", (long long)r->id, key);
	json_t *w = json_object_get(c->windows, wkey);
	if (!w) {
		w = json_array();
		json_object_set_new(c->windows, wkey, w);
	}
	if (r->nconditions > 1) { /* composite: the last time of each condition */
		while ((int)json_array_size(w) < r->nconditions)
			json_array_append_new(w, json_integer(0));
		json_array_set_new(w, (size_t)cond, json_integer(t));
		for (int i = 0; i < r->nconditions; i++)
			if (t - json_integer_value(json_array_get(w, (size_t)i)) > r->window_ns)
				return;
		queue_alert(c, r, label, key, r->nconditions);
		json_array_clear(w);
		return;
	}
	json_array_append_new(w, json_integer(t));
	while (json_array_size(w) && t - json_integer_value(json_array_get(w, 0)) > r->window_ns)
		json_array_remove(w, 0);
	if ((int)json_array_size(w) >= r->count) {
		queue_alert(c, r, label, key, (int)json_array_size(w));
		json_array_clear(w);
	}
}

/* ---- The engine --------------------------------------------------------- */

struct alertrules *alertrules_new(struct db_pool *pool, struct podcache *pods,
				  struct prom_registry *reg)
{
	struct alertrules *r = xcalloc(1, sizeof *r);
	r->pool = pool;
	r->pods = pods;
	r->windows = json_object();
	r->metrics = metricrules_new();
	pthread_mutex_init(&r->lock, NULL);
	r->m_lines = prom_get(prom_counter(reg, "lens_aggregator_alert_rule_lines_total",
					   "Log lines matched against the alert rules.", NULL));
	r->m_matches = prom_get(prom_counter(reg, "lens_aggregator_alert_rule_matches_total",
					     "Rule conditions that matched a line.", NULL));
	r->m_fired = prom_get(prom_counter(reg, "lens_aggregator_alert_rule_alerts_total",
					   "Log alerts raised by rules (thresholds reached).", NULL));
	r->m_rules = prom_get(prom_gauge(reg, "lens_aggregator_alert_rules",
					 "Alert rules in use (log and metric).", NULL));
	return r;
}

/* The ids that matched a line, through the selectors, counted; each
 * counted one noted in matches (when given) as {line, condition}.
 * Returns how many were counted. */
static int count_ids(struct ruleset *set, const unsigned *ids, int n, struct counting *c,
		     json_t *matches, size_t line)
{
	int counted = 0;
	for (int k = 0; k < n; k++) {
		int cond;
		const struct rule *r = ruleset_rule(set, ids[k], &cond);
		if (!ruleset_selects(set, ids[k], c->who))
			continue;
		if (matches)
			json_array_append_new(matches, json_pack("{s:I,s:i}", "line",
								 (json_int_t)line, "condition", cond));
		count_match(r, cond, c);
		counted++;
	}
	return counted;
}

/* A line that matched something: counted (the workloads are looked up
 * for such lines only). */
static void count_line(struct alertrules *r, struct ruleset *set, const struct log_record *rec,
		       const unsigned *ids, int n)
{
	json_t *workloads = podcache_workload_names(r->pods, rec->pod_uid);
	struct rule_subject who = {rec->node, rec->namespace_, rec->pod, rec->pod_uid, "",
				   workloads};
	pthread_mutex_lock(&r->lock);
	struct counting c = {r->windows, json_array(), rec, &who, 0};
	prom_add(r->m_matches, count_ids(set, ids, n, &c, NULL, 0));
	struct alerts *al = r->alerts;
	pthread_mutex_unlock(&r->lock);
	const json_t *alert;
	size_t i;
	json_array_foreach(c.pending, i, alert)
		if (al)
			alerts_queue(al, json_incref((json_t *)alert));
	json_decref(c.pending);
	prom_add(r->m_fired, (double)c.fired);
	json_decref(workloads);
}

void alertrules_lines(struct alertrules *r, const struct log_record *recs, size_t n)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	struct ruleset *set = ruleset_ref(r->set);
	pthread_mutex_unlock(&r->lock);
	unsigned ids[RULESET_MAX_HITS];
	for (size_t i = 0; set && i < n; i++) {
		int m = ruleset_scan(set, recs[i].line, recs[i].len, ids);
		if (m)
			count_line(r, set, &recs[i], ids, m);
	}
	prom_add(r->m_lines, (double)n);
	ruleset_unref(set);
}

int alertrules_reload(struct alertrules *r, PGconn *c, char *err, size_t errlen)
{
	json_t *rows;
	int rc = pgjson_query(c,
			      "SELECT config || jsonb_build_object('id', id) AS rule FROM alert_rules"
			      " WHERE enabled ORDER BY id",
			      0, NULL, &rows, err, errlen);
	if (rc)
		return rc;
	json_t *rules = json_array(), *metric = json_array(), *row;
	size_t i;
	json_array_foreach(rows, i, row) {
		const json_t *rule = json_object_get(row, "rule");
		json_array_append(strcmp(jsonx_str(rule, "type"), "metric") ? rules : metric, (json_t *)rule);
	}
	json_decref(rows);
	struct ruleset *set = ruleset_build(rules, err, errlen);
	json_decref(rules);
	rc = set ? metricrules_set(r->metrics, metric, err, errlen) : -EINVAL;
	json_decref(metric);
	if (rc) {
		ruleset_unref(set);
		return -EINVAL;
	}
	pthread_mutex_lock(&r->lock);
	struct ruleset *old = r->set;
	r->set = set;
	pthread_mutex_unlock(&r->lock);
	ruleset_unref(old);
	prom_set(r->m_rules, (double)(ruleset_size(set) + metricrules_count(r->metrics)));
	return 0;
}

void alertrules_samples(struct alertrules *r, Envelope *const *envs, int n, int64_t hold_ns)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	struct alerts *al = r->alerts;
	pthread_mutex_unlock(&r->lock);
	metricrules_samples(r->metrics, al, envs, n, hold_ns);
}

size_t alertrules_count(struct alertrules *r)
{
	pthread_mutex_lock(&r->lock);
	size_t n = ruleset_size(r->set);
	pthread_mutex_unlock(&r->lock);
	return n;
}

void alertrules_attach(struct alertrules *r, struct alerts *alerts)
{
	pthread_mutex_lock(&r->lock);
	r->alerts = alerts;
	pthread_mutex_unlock(&r->lock);
}

void alertrules_free(struct alertrules *r)
{
	if (!r)
		return;
	ruleset_unref(r->set);
	metricrules_free(r->metrics);
	json_decref(r->windows);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ---- Trying a rule ------------------------------------------------------- */

int alertrules_test(const json_t *rule, const json_t *lines, json_t **out, char *err,
		    size_t errlen)
{
	if (!json_is_array(lines))
		return snprintf(err, errlen, "\"lines\" must be an array"), -EINVAL;
	json_t *norm = ruleset_parse(rule, err, errlen);
	if (!norm)
		return -EINVAL;
	json_object_set_new(norm, "id", json_integer(0));
	json_t *one = json_pack("[o]", norm);
	struct ruleset *set = ruleset_build(one, err, errlen);
	json_decref(one);
	if (!set)
		return -EINVAL;
	struct counting c = {json_object(), json_array(), NULL, NULL, 0};
	json_t *matches = json_array();
	int64_t now = clock_now_ns();
	unsigned ids[RULESET_MAX_HITS];
	const json_t *l;
	size_t i;
	json_array_foreach(lines, i, l) {
		/* A line: its text, or {"line", "namespace", "pod", "pod_uid", "node",
		 * "workload"}, a second after the one before. */
		const char *text = json_is_string(l) ? json_string_value(l) : jsonx_str(l, "line");
		json_t *ws = json_pack("[s]", jsonx_str(l, "workload"));
		struct rule_subject who = {jsonx_str(l, "node"), jsonx_str(l, "namespace"),
					   jsonx_str(l, "pod"), jsonx_str(l, "pod_uid"), "", ws};
		struct log_record rec = {who.node, who.namespace_, who.pod, who.pod_uid, "", "stdout",
					 now + (int64_t)i * NS_PER_SEC, text, strlen(text)};
		c.rec = &rec;
		c.who = &who;
		count_ids(set, ids, ruleset_scan(set, text, strlen(text), ids), &c, matches, i);
		json_decref(ws);
	}
	*out = json_pack("{s:o,s:o}", "matches", matches, "alerts", c.pending);
	json_decref(c.windows);
	ruleset_unref(set);
	return 0;
}

/* ---- The table ------------------------------------------------------------ */

int alertrules_create(PGconn *c, const json_t *body, json_t **out, char *err, size_t errlen)
{
	json_t *norm = strcmp(jsonx_str(body, "type"), "metric") == 0
			       ? metricrules_parse(body, err, errlen)
			       : ruleset_parse(body, err, errlen);
	if (!norm)
		return -EINVAL;
	char *text = json_dumps(norm, JSONX_DUMP_FLAGS);
	const char *p[] = {jsonx_str(norm, "name"), text,
			   json_is_true(json_object_get(norm, "enabled")) ? "true" : "false",
			   jsonx_str(norm, "type")};
	int rc = pgjson_one(c,
			    "INSERT INTO alert_rules (name, config, enabled, type)"
			    " VALUES ($1, $2::jsonb, $3, $4)"
			    " RETURNING id, name, type, enabled, config, created_at",
			    4, p, out, err, errlen);
	free(text);
	json_decref(norm);
	return rc;
}

int alertrules_list(PGconn *c, json_t **out, char *err, size_t errlen)
{
	return pgjson_items(c,
			    "SELECT id, name, type, enabled, config, created_at FROM alert_rules"
			    " ORDER BY id",
			    0, NULL, out, err, errlen);
}

int alertrules_delete(PGconn *c, const char *key, char *err, size_t errlen)
{
	return db_delete(c, "DELETE FROM alert_rules WHERE name = $1 OR id::text = $1", key, err,
			 errlen);
}
