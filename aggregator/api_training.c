/* api_training: training analysis over HTTP (docs/training.md): the WandB
 * hook's intake (/api/v1/wandb/...), the metrics query API
 * (/api/v1/workloads/{uid}/metrics/...), a workload's training summary,
 * framework and events, users' log patterns, and Grafana's
 * JSON-datasource endpoints (/api/v1/grafana). */
#include "api.h"

#include <errno.h>
#include <string.h>

#include "analysis.h"
#include "clock.h"
#include "jsonx.h"
#include "logpattern.h"
#include "podcache.h"
#include "pgjson.h"
#include "trainlog.h"
#include "training.h"
#include "trainmark.h"
#include "trainquery.h"
#include "wandb.h"

/* ---- WandB intake ------------------------------------------------------ */

typedef int (*wandb_fn)(const json_t *req, const struct wandb_who *who, json_t *workloads,
			int64_t now_us, json_t *items, struct wandb_counts *n, char *err,
			size_t errlen);

/* The workloads a request is about: its workload_uid, else its pod's
 * (from the pod cache); NULL with a 4xx answered. */
static json_t *wandb_workloads(struct api *a, const struct wandb_who *who, struct http_resp *resp)
{
	if (*who->workload_uid)
		return json_pack("[s]", who->workload_uid);
	if (!*who->pod_name && !*who->pod_uid) {
		http_error(resp, 400, "missing_workload",
			   "the request names no workload: set workload_uid (WORKLOAD_UID in the pod) "
			   "or pod_name (POD_NAME)");
		return NULL;
	}
	json_t *ws = podcache_pod_workloads(a->pods, who->pod_uid, who->pod_name, who->namespace_);
	if (!ws)
		http_error(resp, 404, "workload_not_found",
			   "no workload found for pod_name \"%s\" pod_uid \"%s\": Lens has not mapped "
			   "such a pod on any node; set workload_uid, or check the pod's node runs "
			   "lens-agent",
			   who->pod_name, who->pod_uid);
	return ws;
}

/* One request (or one part of a batch) into items; -1 with a 4xx answered. */
static int wandb_part(struct api *a, wandb_fn fn, const char *what, const json_t *req,
		      const struct wandb_who *parent, json_t *items, json_t *uids,
		      struct wandb_counts *n, struct http_resp *resp)
{
	struct wandb_who who;
	char err[256];
	if (!json_is_object(req)) {
		http_error(resp, 400, "bad_body", "%s must be a JSON object", what);
		return -1;
	}
	wandb_who_of(req, parent, &who);
	json_t *ws = wandb_workloads(a, &who, resp);
	if (!ws)
		return -1;
	int rc = fn(req, &who, ws, clock_now_ns() / 1000, items, n, err, sizeof err);
	if (rc)
		http_error(resp, 400, "bad_body", "%s: %s", what, err);
	for (size_t i = 0; !rc && i < json_array_size(ws); i++) {
		size_t k = 0;
		while (k < json_array_size(uids) &&
		       !json_equal(json_array_get(uids, k), json_array_get(ws, i)))
			k++;
		if (k == json_array_size(uids))
			json_array_append(uids, json_array_get(ws, i));
	}
	json_decref(ws);
	return rc ? -1 : 0;
}

/* A part given as one object or an array of them. */
static int wandb_parts(struct api *a, wandb_fn fn, const char *what, const json_t *v,
		       const struct wandb_who *parent, json_t *items, json_t *uids,
		       struct wandb_counts *n, struct http_resp *resp)
{
	size_t i;
	json_t *part;
	if (!json_is_array(v))
		return wandb_part(a, fn, what, v, parent, items, uids, n, resp);
	json_array_foreach(v, i, part)
		if (wandb_part(a, fn, what, part, parent, items, uids, n, resp))
			return -1;
	return 0;
}

/* Stores the items and answers what was stored and skipped. */
static void wandb_store(struct api *a, struct http_resp *resp, json_t *items, json_t *uids,
			const struct wandb_counts *n)
{
	json_t *events = NULL;
	char err[256];
	training_count_skipped(a->training, "non_numeric", n->non_numeric);
	training_count_skipped(a->training, "bad_metric", n->bad_metric);
	PGconn *c = json_array_size(items) ? api_acquire(a, resp) : NULL;
	if (json_array_size(items) && !c)
		return;
	if (c && training_store(a->training, c, items, &events, err, sizeof err)) {
		api_db_failed(resp, c, err);
	} else {
		http_json(resp, 200,
			  json_pack("{s:o,s:I,s:I,s:{s:I,s:I},s:b,s:o}", "workload_uids",
				    json_incref(uids), "steps", (json_int_t)n->steps, "metrics",
				    (json_int_t)n->metrics, "skipped", "non_numeric",
				    (json_int_t)n->non_numeric, "bad_metric",
				    (json_int_t)n->bad_metric, "framework_detected", n->detected,
				    "events", events ? events : json_array()));
	}
	if (c)
		db_release(a->pool, c);
}

static void wandb_post(const struct http_req *req, struct http_resp *resp, struct api *a,
		       wandb_fn fn, const char *what)
{
	json_t *body = api_body(req, resp, JSON_OBJECT), *items = json_array(), *uids = json_array();
	struct wandb_counts n = {0};
	if (body && wandb_part(a, fn, what, body, NULL, items, uids, &n, resp) == 0)
		wandb_store(a, resp, items, uids, &n);
	json_decref(body);
	json_decref(items);
	json_decref(uids);
}

void api_wandb_metrics(const struct http_req *req, struct http_resp *resp, void *arg)
{
	wandb_post(req, resp, arg, wandb_metrics, "metrics request");
}

void api_wandb_logs(const struct http_req *req, struct http_resp *resp, void *arg)
{
	wandb_post(req, resp, arg, wandb_logs, "logs request");
}

void api_wandb_detection(const struct http_req *req, struct http_resp *resp, void *arg)
{
	wandb_post(req, resp, arg, wandb_detection, "detection report");
}

/* {"detection": {...}, "metrics": [{...}], "logs": [{...}], plus the
 * shared workload_uid, pod_name, run_id}: stored together or not at all. */
void api_wandb_batch(const struct http_req *req, struct http_resp *resp, void *arg)
{
	static const struct {
		const char *key;
		wandb_fn fn;
	} parts[] = {{"detection", wandb_detection}, {"metrics", wandb_metrics}, {"logs", wandb_logs}};
	struct api *a = arg;
	json_t *body = api_body(req, resp, JSON_OBJECT), *items = json_array(), *uids = json_array();
	struct wandb_counts n = {0};
	struct wandb_who top;
	int rc = body ? 0 : -1, found = 0;
	if (body)
		wandb_who_of(body, NULL, &top);
	for (size_t i = 0; !rc && i < sizeof parts / sizeof parts[0]; i++) {
		json_t *v = json_object_get(body, parts[i].key);
		if (v && ++found)
			rc = wandb_parts(a, parts[i].fn, parts[i].key, v, &top, items, uids, &n, resp);
	}
	if (!rc && !found)
		http_error(resp, 400, "bad_body",
			   "a batch needs at least one of \"detection\", \"metrics\", \"logs\"");
	else if (!rc)
		wandb_store(a, resp, items, uids, &n);
	json_decref(body);
	json_decref(items);
	json_decref(uids);
}

/* ---- The metrics query API and the training views ------------------------ */

static void query(const struct http_req *req, struct http_resp *resp, void *arg, api_query_fn fn)
{
	struct trainquery q = {.workload = http_param(req, "uid"),
			       .data_source = http_query(req, "data_source"),
			       .metrics = http_query(req, "metrics"),
			       .start_ms = http_query(req, "start"),
			       .end_ms = http_query(req, "end")};
	if (q.data_source && !*q.data_source)
		q.data_source = NULL;
	if (q.data_source && strcmp(q.data_source, "log") && strcmp(q.data_source, "wandb")) {
		http_error(resp, 400, "bad_parameter", "data_source must be log or wandb");
		return;
	}
	api_run(arg, resp, fn, &q, "no training data for this workload");
}

void api_metrics_sources(const struct http_req *req, struct http_resp *resp, void *arg)
{
	query(req, resp, arg, trainquery_sources);
}

void api_metrics_available(const struct http_req *req, struct http_resp *resp, void *arg)
{
	query(req, resp, arg, trainquery_available);
}

void api_metrics_data(const struct http_req *req, struct http_resp *resp, void *arg)
{
	query(req, resp, arg, trainquery_data);
}

void api_metrics_iteration_times(const struct http_req *req, struct http_resp *resp, void *arg)
{
	query(req, resp, arg, trainquery_iteration_times);
}

void api_training_summary(const struct http_req *req, struct http_resp *resp, void *arg)
{
	query(req, resp, arg, trainquery_summary);
}

void api_training_framework(const struct http_req *req, struct http_resp *resp, void *arg)
{
	query(req, resp, arg, trainquery_framework);
}

void api_training_events(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct trainquery q = {.workload = http_query(req, "workload"),
			       .types = http_query(req, "type")};
	if (api_time_param(req, resp, "since", &q.since) ||
	    api_time_param(req, resp, "until", &q.until) ||
	    http_paging(req, resp, API_DEFAULT_LIMIT, API_MAX_LIMIT, &q.offset, &q.limit))
		return;
	api_run(arg, resp, trainquery_events, &q, "");
}

/* ---- Grafana JSON datasource --------------------------------------------- */

void api_grafana_test(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	(void)arg;
	http_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

static void grafana(const struct http_req *req, struct http_resp *resp, void *arg,
		    api_query_fn fn)
{
	json_t *body = req->body_len ? api_body(req, resp, JSON_OBJECT) : json_object();
	struct trainquery q = {.grafana = body};
	if (body)
		api_run(arg, resp, fn, &q, "");
	json_decref(body);
}

void api_grafana_search(const struct http_req *req, struct http_resp *resp, void *arg)
{
	grafana(req, resp, arg, trainquery_grafana_search);
}

void api_grafana_query(const struct http_req *req, struct http_resp *resp, void *arg)
{
	grafana(req, resp, arg, trainquery_grafana_query);
}

/* ---- Users' log patterns -------------------------------------------------- */

int api_reload_patterns(struct api *a, PGconn *c, char *err, size_t errlen)
{
	struct logpattern_set *s;
	if (logpattern_load(c, &s, err, errlen))
		return -EIO;
	analysis_set_patterns(a->analysis, s);
	logpattern_set_unref(s);
	return 0;
}

static int patterns_list(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	(void)arg;
	return pgjson_items(c,
			    "SELECT id, name, pattern, enabled, created_at, updated_at"
			    " FROM training_log_patterns ORDER BY id",
			    0, NULL, out, err, errlen);
}

void api_patterns_get(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	api_run(arg, resp, patterns_list, NULL, "");
}

/* A pattern that compiles, or -1 with a 400 answered. */
static int check_pattern(const char *name, const char *pattern, struct http_resp *resp)
{
	char err[256];
	struct logpattern_set *s = logpattern_set_new();
	int rc = logpattern_set_add(s, name, pattern, err, sizeof err);
	logpattern_set_unref(s);
	if (rc)
		http_error(resp, 400, "bad_pattern", "%s", err);
	return rc ? -1 : 0;
}

struct pattern_write {
	struct api *api;
	const char *name, *pattern, *enabled, *id;
};

/* The write, then this replica's patterns reloaded at once (others within
 * their cache refresh interval). */
static int pattern_write(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct pattern_write *w = arg;
	const char *p[] = {w->name, w->pattern, w->enabled};
	const char *del[] = {w->id};
	PGresult *res =
		w->id ? db_exec(c,
				"DELETE FROM training_log_patterns WHERE id::text = $1 OR name = $1"
				" RETURNING id, name",
				1, del, err, errlen, NULL)
		      : db_exec(c,
				"INSERT INTO training_log_patterns (name, pattern, enabled)"
				" VALUES ($1, $2, $3::boolean) ON CONFLICT (name) DO UPDATE SET"
				" pattern = excluded.pattern, enabled = excluded.enabled,"
				" updated_at = now()"
				" RETURNING id, name, pattern, enabled, created_at, updated_at",
				3, p, err, errlen, NULL);
	if (!res)
		return -EIO;
	int rc = PQntuples(res) ? 0 : -ENOENT;
	if (!rc)
		*out = pgjson_row(res, 0);
	PQclear(res);
	if (!rc && api_reload_patterns(w->api, c, err, errlen)) {
		json_decref(*out);
		return -EIO;
	}
	return rc;
}

void api_patterns_post(const struct http_req *req, struct http_resp *resp, void *arg)
{
	json_t *body = api_body(req, resp, JSON_OBJECT);
	if (!body)
		return;
	struct pattern_write w = {arg, jsonx_str(body, "name"), jsonx_str(body, "pattern"),
				  json_is_false(json_object_get(body, "enabled")) ? "false" : "true",
				  NULL};
	if (!*w.name || !*w.pattern)
		http_error(resp, 400, "bad_body", "a pattern needs \"name\" and \"pattern\"");
	else if (check_pattern(w.name, w.pattern, resp) == 0)
		api_run(arg, resp, pattern_write, &w, "");
	json_decref(body);
}

void api_patterns_delete(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct pattern_write w = {.api = arg, .id = http_param(req, "id")};
	api_run(arg, resp, pattern_write, &w, "no log pattern with that id or name");
}

/* What the built-in parser, or the given pattern, makes of one line. */
static json_t *test_line(struct logpattern_set *s, size_t i, const char *line)
{
	json_t *r = json_pack("{s:I,s:b}", "line", (json_int_t)i + 1, "matched", 0);
	struct trainlog_line l;
	struct trainmark m;
	int64_t it;
	json_t *fields;
	const char *name, *why;
	int rc = s ? logpattern_match(s, line, strlen(line), &it, &fields, &name, &why)
		   : trainlog_parse(line, strlen(line), &l);
	if (rc > 0) {
		json_object_set_new(r, "matched", json_true());
		json_object_set_new(r, "format", json_string(s ? name : trainlog_format_name(l.format)));
		json_object_set_new(r, "fields", s ? fields : trainlog_fields_json(&l));
	} else if (rc < 0) {
		json_object_set_new(r, "rejected", json_string(s ? why : l.rejected));
	} else if (!s && l.mentions_iteration && trainmark_parse(line, strlen(line), &m)) {
		json_object_set_new(r, "matched", json_true());
		json_object_set_new(r, "mark", json_pack("{s:s,s:I,s:s}", "kind",
							 trainmark_kind_name(m.kind), "iteration",
							 (json_int_t)m.iteration, "path", m.path));
	}
	return r;
}

/* {"pattern": "...", "lines": ["..."]}: without a pattern, the built-in
 * parser; nothing is stored. */
void api_patterns_test(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)arg;
	json_t *body = api_body(req, resp, JSON_OBJECT), *lines = json_object_get(body, "lines"), *v;
	const char *pattern = jsonx_str(body, "pattern");
	struct logpattern_set *s = NULL;
	char err[256];
	size_t i, matched = 0;
	if (!body)
		return;
	if (!json_is_array(lines)) {
		http_error(resp, 400, "bad_body", "\"lines\" must be an array of strings");
	} else if (*pattern &&
		   logpattern_set_add(s = logpattern_set_new(), "test", pattern, err, sizeof err)) {
		http_error(resp, 400, "bad_pattern", "%s", err);
	} else {
		json_t *results = json_array();
		json_array_foreach(lines, i, v) {
			json_t *r = test_line(s, i, json_is_string(v) ? json_string_value(v) : "");
			matched += json_is_true(json_object_get(r, "matched"));
			json_array_append_new(results, r);
		}
		http_json(resp, 200, json_pack("{s:s,s:I,s:o}", "parser", s ? "pattern" : "built-in",
					       "matched", (json_int_t)matched, "results", results));
	}
	logpattern_set_unref(s);
	json_decref(body);
}
