/* trainquery: the queries, and the JSON shapes of the API they answer. */
#include "trainquery.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "jsonx.h"
#include "pgarray.h"
#include "pgjson.h"

/* A metric's value in a row: a number, or "NaN" as the parser stores it. */
#define METRIC_VALUE "(jsonb_typeof(e.value) = 'number' OR e.value = '\"NaN\"')"
#define NOT_METADATA "e.key <> ALL (lens_training_metadata())"
#define MS(col) "(extract(epoch FROM " col ") * 1000)::bigint"

/* The workload's UID, resolved from a UID or a name, into uid. */
static int resolve(PGconn *c, const char *workload, char *uid, size_t cap, char *err,
		   size_t errlen)
{
	const char *p[] = {workload ? workload : ""};
	PGresult *res = db_exec(c, "SELECT lens_workload_uid($1)", 1, p, err, errlen, NULL);
	if (!res)
		return -EIO;
	snprintf(uid, cap, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* A workload's framework detections, the most confident first. */
static int detections(PGconn *c, const char *uid, json_t **out, char *err, size_t errlen)
{
	const char *p[] = {uid};
	return pgjson_query(c,
		"SELECT source, wrapper_framework, base_framework, confidence, method,"
		" evidence, detected_at FROM framework_detections WHERE workload_uid = $1"
		" ORDER BY confidence DESC, detected_at DESC",
		1, p, out, err, errlen);
}

static const char *source_param(const struct trainquery *q)
{
	return q->data_source ? q->data_source : "";
}

/* {"workload_uid": uid, key: items, "total_count": n} */
static json_t *listing(const char *uid, const char *source, const char *key, json_t *items)
{
	json_t *o = json_pack("{s:s,s:o,s:I}", "workload_uid", uid, key, items, "total_count",
			      (json_int_t)json_array_size(items));
	if (source)
		json_object_set_new(o, "data_source", json_string(source));
	return o;
}

int trainquery_sources(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct trainquery *q = arg;
	char uid[256];
	json_t *items;
	int rc = resolve(c, q->workload, uid, sizeof uid, err, errlen);
	const char *p[] = {uid};
	if (!rc)
		rc = pgjson_query(c,
			"SELECT data_source AS name, count(*) AS count FROM training_performance"
			" WHERE workload_uid = $1 GROUP BY 1 ORDER BY 1",
			1, p, &items, err, errlen);
	if (!rc)
		*out = listing(uid, NULL, "data_sources", items);
	return rc;
}

int trainquery_available(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct trainquery *q = arg;
	char uid[256];
	json_t *items;
	int rc = resolve(c, q->workload, uid, sizeof uid, err, errlen);
	const char *p[] = {uid, source_param(q)};
	if (!rc)
		rc = pgjson_query(c,
			"SELECT e.key AS name, to_jsonb(array_agg(DISTINCT tp.data_source))"
			" AS data_source, count(*) AS count"
			" FROM training_performance tp, jsonb_each(tp.performance) e"
			" WHERE tp.workload_uid = $1 AND ($2 = '' OR tp.data_source = $2)"
			" AND " NOT_METADATA " AND " METRIC_VALUE " GROUP BY e.key ORDER BY e.key",
			2, p, &items, err, errlen);
	if (!rc)
		*out = listing(uid, q->data_source, "metrics", items);
	return rc;
}

/* A list parameter (metrics=, type=) as an array literal: "a,b",
 * Grafana's "{a,b}", or NULL for all. */
static const char *name_list(const char *metrics, struct pgarray *a)
{
	if (!metrics || !*metrics || strcmp(metrics, "all") == 0 || strcmp(metrics, "{all}") == 0)
		return NULL;
	char *copy = strdup(metrics), *save = NULL;
	for (char *m = strtok_r(copy, "{},", &save); m; m = strtok_r(NULL, "{},", &save))
		pgarray_str(a, m);
	free(copy);
	return pgarray_text(a);
}

/* "1704067200000": milliseconds, or -EINVAL. */
static int ms_param(const char *s, const char *name, char *err, size_t errlen)
{
	char *end;
	if (!s)
		return 0;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 0) {
		snprintf(err, errlen, "%s=\"%s\" is not a time in milliseconds since the epoch", name,
			 s);
		return -EINVAL;
	}
	return 0;
}

/* The data points of metrics (NULL: all) in [start, end] ms. */
static int points(PGconn *c, const char *uid, const char *source, const char *metrics,
		  const char *start, const char *end, json_t **out, char *err, size_t errlen)
{
	char limit[16];
	snprintf(limit, sizeof limit, "%d", TRAINQUERY_MAX_POINTS + 1);
	const char *p[] = {uid, source, metrics, start, end, limit};
	return pgjson_query(c,
		"SELECT e.key AS metric_name, e.value AS value, " MS("tp.created_at")
		" AS timestamp, tp.iteration, tp.data_source, tp.serial"
		" FROM training_performance tp, jsonb_each(tp.performance) e"
		" WHERE tp.workload_uid = $1 AND ($2 = '' OR tp.data_source = $2)"
		" AND ($3::text[] IS NULL OR e.key = ANY ($3::text[]))"
		" AND ($4::bigint IS NULL OR tp.created_at >= to_timestamp($4::bigint / 1000.0))"
		" AND ($5::bigint IS NULL OR tp.created_at <= to_timestamp($5::bigint / 1000.0))"
		" AND " NOT_METADATA " AND " METRIC_VALUE
		" ORDER BY tp.created_at, tp.iteration, e.key LIMIT $6::int",
		6, p, out, err, errlen);
}

int trainquery_data(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct trainquery *q = arg;
	char uid[256];
	struct pgarray a;
	json_t *items;
	if (ms_param(q->start_ms, "start", err, errlen) || ms_param(q->end_ms, "end", err, errlen))
		return -EINVAL;
	int rc = resolve(c, q->workload, uid, sizeof uid, err, errlen);
	pgarray_init(&a);
	if (!rc)
		rc = points(c, uid, source_param(q), name_list(q->metrics, &a), q->start_ms,
			    q->end_ms, &items, err, errlen);
	pgarray_free(&a);
	if (rc)
		return rc;
	bool more = json_array_size(items) > TRAINQUERY_MAX_POINTS;
	if (more)
		json_array_remove(items, TRAINQUERY_MAX_POINTS);
	*out = listing(uid, q->data_source, "data", items);
	json_object_set_new(*out, "truncated", json_boolean(more));
	return 0;
}

int trainquery_iteration_times(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct trainquery *q = arg;
	char uid[256];
	json_t *items;
	if (ms_param(q->start_ms, "start", err, errlen) || ms_param(q->end_ms, "end", err, errlen))
		return -EINVAL;
	int rc = resolve(c, q->workload, uid, sizeof uid, err, errlen);
	const char *p[] = {uid, source_param(q), q->start_ms, q->end_ms};
	if (!rc)
		rc = pgjson_query(c,
			"SELECT m.metric_name, m.value, " MS("tp.created_at") " AS timestamp,"
			" tp.iteration, tp.data_source, tp.serial"
			" FROM training_performance tp CROSS JOIN LATERAL (VALUES"
			" ('iteration', to_jsonb(tp.iteration)),"
			" ('target_iteration', tp.performance -> 'target_iterations')) m(metric_name, value)"
			" WHERE tp.workload_uid = $1 AND ($2 = '' OR tp.data_source = $2)"
			" AND ($3::bigint IS NULL OR tp.created_at >= to_timestamp($3::bigint / 1000.0))"
			" AND ($4::bigint IS NULL OR tp.created_at <= to_timestamp($4::bigint / 1000.0))"
			" AND m.value IS NOT NULL ORDER BY tp.created_at, tp.iteration, 1 LIMIT 200000",
			4, p, &items, err, errlen);
	if (!rc)
		*out = listing(uid, q->data_source, "data", items);
	return rc;
}

/* A number of perf, or NaN when absent or not a number. */
static double num(const json_t *perf, const char *key)
{
	const json_t *v = json_object_get(perf, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The operator's view of the latest report (a log report when there is
 * one: logs carry Megatron's whole picture): progress and ETA added. */
static json_t *latest_view(json_t *row)
{
	json_t *perf = json_object_get(row, "performance");
	double it = num(row, "iteration"), target = num(perf, "target_iterations");
	if (isnan(target))
		target = num(row, "run_target");
	double ms = num(perf, "elapsed_time_per_iteration_avg_ms");
	if (isnan(ms))
		ms = num(perf, "elapsed_time_per_iteration_ms");
	json_t *v = json_pack("{s:O,s:O,s:O,s:O}", "iteration", json_object_get(row, "iteration"),
			      "serial", json_object_get(row, "serial"), "data_source",
			      json_object_get(row, "data_source"), "at",
			      json_object_get(row, "created_at"));
	if (!isnan(target))
		json_object_set_new(v, "target_iterations", json_integer((json_int_t)target));
	const char *keep[] = {"lm_loss", "tflops_per_gpu",
			      "tokens_per_gpu_per_second", "elapsed_time_per_iteration_ms",
			      "learning_rate", "mem_usage_ratio", "loss", "grad_norm"};
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (json_object_get(perf, keep[i]))
			json_object_set(v, keep[i], json_object_get(perf, keep[i]));
	if (target > 0 && !isnan(it)) {
		json_object_set_new(v, "progress_percent", json_real(100.0 * it / target));
		if (!isnan(ms))
			json_object_set_new(v, "eta_seconds",
					    json_integer((json_int_t)((target - it) * ms / 1000)));
	}
	return v;
}

int trainquery_summary(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct trainquery *q = arg;
	char uid[256];
	json_t *runs = NULL, *latest = NULL, *fw = NULL, *events = NULL, *wl = NULL;
	int rc = resolve(c, q->workload, uid, sizeof uid, err, errlen);
	const char *p[] = {uid};
	if (!rc)
		rc = pgjson_query(c,
			"SELECT serial, run_id, started_at, last_iteration, target_iterations, last_at,"
			" report_gap_ms, hung_at, slow_since, ended_at, end_reason"
			" FROM training_runs WHERE workload_uid = $1 ORDER BY serial DESC LIMIT 20",
			1, p, &runs, err, errlen);
	if (!rc)
		rc = pgjson_query(c,
			"SELECT tp.iteration, tp.serial, tp.data_source, tp.created_at,"
			" tp.performance, r.target_iterations AS run_target"
			" FROM training_performance tp JOIN training_runs r USING (workload_uid, serial)"
			" WHERE tp.workload_uid = $1"
			" ORDER BY tp.data_source = 'log' DESC, tp.serial DESC, tp.iteration DESC"
			" LIMIT 1",
			1, p, &latest, err, errlen);
	if (!rc)
		rc = detections(c, uid, &fw, err, errlen);
	if (!rc)
		rc = pgjson_query(c,
			"SELECT type, serial, iteration, occurred_at, source, details"
			" FROM training_events WHERE workload_uid = $1 ORDER BY occurred_at DESC,"
			" id DESC LIMIT 20",
			1, p, &events, err, errlen);
	if (!rc)
		rc = pgjson_query(c, "SELECT kind, name, namespace FROM workloads WHERE uid = $1", 1, p, &wl,
			err, errlen);
	if (!rc && !json_array_size(runs) && !json_array_size(fw))
		rc = -ENOENT;
	if (!rc) {
		json_t *l = json_array_get(latest, 0);
		*out = json_pack("{s:s,s:O,s:o,s:O,s:O,s:O,s:O}", "workload_uid", uid, "workload",
				 json_array_size(wl) ? json_array_get(wl, 0) : json_null(), "latest",
				 l ? latest_view(l) : json_null(), "framework",
				 json_array_size(fw) ? json_array_get(fw, 0) : json_null(), "detections",
				 fw, "runs", runs, "events", events);
	}
	json_decref(runs);
	json_decref(latest);
	json_decref(fw);
	json_decref(events);
	json_decref(wl);
	return rc;
}

#define TEVENTS_WHERE                                                             \
	" WHERE ($1::text IS NULL OR e.workload_uid = lens_workload_uid($1))"      \
	" AND ($2::text[] IS NULL OR e.type = ANY ($2::text[]))"                  \
	" AND ($3::timestamptz IS NULL OR e.occurred_at >= $3::timestamptz)"      \
	" AND ($4::timestamptz IS NULL OR e.occurred_at < $4::timestamptz)"

int trainquery_events(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct trainquery *q = arg;
	struct pgarray types;
	pgarray_init(&types);
	const char *p[] = {q->workload, name_list(q->types, &types), q->since, q->until};
	int rc = pgjson_page(
		c,
		"SELECT e.id, e.workload_uid, w.name AS workload, w.namespace, e.serial, e.type,"
		" e.iteration, e.occurred_at, e.pod_uid, e.source, e.details"
		" FROM training_events e LEFT JOIN workloads w ON w.uid = e.workload_uid" TEVENTS_WHERE
		" ORDER BY e.occurred_at DESC, e.id DESC OFFSET $5 LIMIT $6",
		"SELECT count(*) FROM training_events e" TEVENTS_WHERE, 4, p, q->offset, q->limit,
		NULL, NULL, out, err, errlen);
	pgarray_free(&types);
	return rc;
}

int trainquery_framework(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct trainquery *q = arg;
	char uid[256];
	json_t *fw;
	int rc = resolve(c, q->workload, uid, sizeof uid, err, errlen);
	if (!rc)
		rc = detections(c, uid, &fw, err, errlen);
	if (!rc && !json_array_size(fw)) {
		json_decref(fw);
		return -ENOENT;
	}
	if (!rc)
		*out = json_pack("{s:s,s:O,s:o}", "workload_uid", uid, "framework",
				 json_array_get(fw, 0), "detections", fw);
	return rc;
}

int trainquery_grafana_search(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	(void)arg;
	/* The metric names of recent reports: a scan of the whole table would
	 * grow with history. */
	PGresult *res = db_exec(c,
				"SELECT DISTINCT e.key FROM (SELECT performance FROM"
				" training_performance ORDER BY created_at DESC LIMIT 5000) tp,"
				" jsonb_each(tp.performance) e WHERE " NOT_METADATA " AND " METRIC_VALUE
				" ORDER BY 1",
				0, NULL, err, errlen, NULL);
	if (!res)
		return -EIO;
	*out = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(*out, json_string(PQgetvalue(res, i, 0)));
	PQclear(res);
	return 0;
}

/* The workload of a Grafana target: "WORKLOAD:metric" in the target
 * itself, else the target's data/payload, else the dashboard's variables. */
static const char *grafana_workload(const json_t *body, const json_t *t, const char **metric,
				    char *buf, size_t cap)
{
	const char *colon = strrchr(*metric, ':');
	if (colon && colon > *metric) {
		snprintf(buf, cap, "%.*s", (int)(colon - *metric), *metric);
		*metric = colon + 1;
		return buf;
	}
	const char *w = jsonx_str(json_object_get(t, "data"), "workload_uid");
	if (!*w)
		w = jsonx_str(json_object_get(t, "payload"), "workload_uid");
	if (!*w)
		w = jsonx_str(json_object_get(body, "variables"), "workload_uid");
	if (!*w)
		w = jsonx_str(json_object_get(json_object_get(body, "scopedVars"), "workload_uid"),
			      "value");
	return w;
}

/* Grafana's range bound (RFC 3339) as milliseconds text. */
static const char *range_ms(const json_t *body, const char *key, char *buf, size_t cap)
{
	int64_t ns;
	const char *s = jsonx_str(json_object_get(body, "range"), key);
	if (!*s || clock_parse_rfc3339(s, &ns))
		return NULL;
	snprintf(buf, cap, "%lld", (long long)(ns / 1000000));
	return buf;
}

static json_t *datapoints(const json_t *items)
{
	json_t *dp = json_array(), *row;
	size_t i;
	json_array_foreach(items, i, row) {
		json_t *v = json_object_get(row, "value");
		json_array_append_new(dp, json_pack("[O,O]", json_is_number(v) ? v : json_null(),
						    json_object_get(row, "timestamp")));
	}
	return dp;
}

int trainquery_grafana_query(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct trainquery *q = arg;
	const json_t *body = q->grafana, *t;
	char from[32], to[32];
	const char *start = range_ms(body, "from", from, sizeof from);
	const char *end = range_ms(body, "to", to, sizeof to);
	size_t i;
	*out = json_array();
	json_array_foreach(json_object_get(body, "targets"), i, t) {
		const char *metric = jsonx_str(t, "target");
		char wbuf[256], uid[256];
		const char *w = grafana_workload(body, t, &metric, wbuf, sizeof wbuf);
		json_t *items;
		if (!*metric || !*w)
			continue;
		struct pgarray a;
		pgarray_init(&a);
		pgarray_str(&a, metric);
		int rc = resolve(c, w, uid, sizeof uid, err, errlen);
		if (!rc)
			rc = points(c, uid, "", pgarray_text(&a), start, end, &items, err, errlen);
		pgarray_free(&a);
		if (rc) {
			json_decref(*out);
			return rc;
		}
		json_array_append_new(*out, json_pack("{s:s,s:s,s:o}", "target", metric, "refId",
						      jsonx_str(t, "refId"), "datapoints",
						      datapoints(items)));
		json_decref(items);
	}
	return 0;
}
