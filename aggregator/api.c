/* api: REST handlers. */
#include "version.h"
#include "api.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "clock.h"
#include "devices.h"
#include "envelope.h"
#include "log.h"
#include "migrate.h"
#include "nodes.h"

#define DEFAULT_LIMIT API_DEFAULT_LIMIT
#define MAX_LIMIT API_MAX_LIMIT

PGconn *api_acquire(struct api *a, struct http_resp *resp)
{
	char err[256];
	PGconn *c = db_acquire(a->pool, err, sizeof err);
	if (!c)
		http_error(resp, 503, "database_unavailable", "database unavailable: %s", err);
	return c;
}

void api_db_failed(struct http_resp *resp, PGconn *c, const char *err)
{
	/* A pooled connection the database dropped fails only when used: that
	 * is the database being away, not a failing query. */
	log_warn("query failed", "err=%s", log_q(err));
	http_error(resp, 503, db_conn_broken(c) ? "database_unavailable" : "database_error",
		   "query failed: %s", err);
}

static void handle_healthz(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	(void)arg;
	http_json(resp, 200, json_pack("{s:s,s:s}", "status", "ok", "version", LENS_VERSION));
}

static void handle_readyz(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	struct api *a = arg;
	if (db_ping(a->pool))
		http_json(resp, 200, json_pack("{s:s}", "status", "ready"));
	else
		http_error(resp, 503, "not_ready", "database unreachable");
}

static void handle_metrics(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	struct api *a = arg;
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	prom_render(a->reg, &resp->body);
}

static void handle_version(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	(void)arg;
	const char *schema = "";
	for (const struct migration *m = migrate_builtin; m->name; m++)
		schema = m->name;
	http_json(resp, 200,
		  json_pack("{s:s,s:s,s:i}", "version", LENS_VERSION, "schema", schema,
			    "wire_schema_version", ENVELOPE_SCHEMA_VERSION));
}

static void handle_nodes(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	long long offset, limit;
	if (http_paging(req, resp, DEFAULT_LIMIT, MAX_LIMIT, &offset, &limit))
		return;
	PGconn *c = api_acquire(a, resp);
	if (!c)
		return;
	json_t *out;
	char err[256];
	if (nodes_list(c, a->offline_after_ns, offset, limit, &out, err, sizeof err))
		api_db_failed(resp, c, err);
	else
		http_json(resp, 200, out);
	db_release(a->pool, c);
}

void api_run(struct api *a, struct http_resp *resp, api_query_fn fn, void *ctx, const char *what)
{
	PGconn *c = api_acquire(a, resp);
	if (!c)
		return;
	json_t *out = NULL;
	char err[256] = "";
	int rc = fn(c, ctx, &out, err, sizeof err);
	if (rc == -ENOENT)
		http_error(resp, 404, "not_found", "%s", what);
	else if (rc == -EINVAL)
		http_error(resp, 400, "bad_parameter", "%s", err);
	else if (rc)
		api_db_failed(resp, c, err);
	else
		http_json(resp, 200, out);
	db_release(a->pool, c);
}

struct deletion {
	api_delete_fn fn;
	const char *key;
};

static int run_delete(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct deletion *d = arg;
	int rc = d->fn(c, d->key, err, errlen);
	if (!rc)
		*out = json_pack("{s:s}", "status", "deleted");
	return rc;
}

void api_delete(struct api *a, struct http_resp *resp, api_delete_fn fn, const char *key,
		const char *what)
{
	struct deletion d = {fn, key};
	api_run(a, resp, run_delete, &d, what);
}

json_t *api_body(const struct http_req *req, struct http_resp *resp, int want)
{
	json_error_t e;
	json_t *o = json_loadb(req->body ? req->body : "", req->body_len, 0, &e);
	if (!o) {
		http_error(resp, 400, "bad_body", "body is not JSON: %s (line %d, column %d)", e.text,
			   e.line, e.column);
	} else if (want >= 0 && (int)json_typeof(o) != want) {
		http_error(resp, 400, "bad_body", "body must be a JSON %s",
			   want == JSON_ARRAY ? "array" : "object");
		json_decref(o);
		o = NULL;
	}
	return o;
}

int api_time_param(const struct http_req *req, struct http_resp *resp, const char *key,
		   const char **out)
{
	int64_t ns;
	*out = http_query(req, key);
	if (!*out || clock_parse_rfc3339(*out, &ns) == 0)
		return 0;
	http_error(resp, 400, "bad_parameter", "%s=\"%s\" is not an RFC 3339 time", key, *out);
	return -1;
}

const char *api_valid_node(struct http_resp *resp, const char *name)
{
	if (envelope_valid_node_name(name))
		return name;
	http_error(resp, 400, "bad_parameter", "\"%s\" is not a valid node name", name);
	return NULL;
}

static void handle_node(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	const char *name = api_valid_node(resp, http_param(req, "name"));
	if (!name)
		return;
	PGconn *c = api_acquire(a, resp);
	if (!c)
		return;
	json_t *out;
	char err[256];
	if (nodes_get(c, a->offline_after_ns, name, &out, err, sizeof err))
		api_db_failed(resp, c, err);
	else if (!out)
		http_error(resp, 404, "not_found", "no node named \"%s\"", name);
	else
		http_json(resp, 200, out);
	db_release(a->pool, c);
}

/* The node filter of a device query: NULL, or a valid name (else 400). */
static int node_filter(const struct http_req *req, struct http_resp *resp, const char **node)
{
	*node = http_query(req, "node");
	return *node && !api_valid_node(resp, *node) ? -1 : 0;
}

static void list_devices(struct api *a, struct devices_query *q, struct http_resp *resp)
{
	PGconn *c = api_acquire(a, resp);
	if (!c)
		return;
	json_t *out;
	char err[256];
	q->samples = a->cache;
	q->pods = a->pods;
	if (devices_list(c, q, &out, err, sizeof err))
		api_db_failed(resp, c, err);
	else
		http_json(resp, 200, out);
	db_release(a->pool, c);
}

static void handle_devices(const struct http_req *req, struct http_resp *resp, void *arg,
			   const char *kind)
{
	struct devices_query q = {.kind = kind, .workload = http_query(req, "workload")};
	if (node_filter(req, resp, &q.node) ||
	    http_paging(req, resp, DEFAULT_LIMIT, MAX_LIMIT, &q.offset, &q.limit))
		return;
	list_devices(arg, &q, resp);
}

static void handle_gpus(const struct http_req *req, struct http_resp *resp, void *arg)
{
	handle_devices(req, resp, arg, "gpu");
}

static void handle_ib(const struct http_req *req, struct http_resp *resp, void *arg)
{
	handle_devices(req, resp, arg, "ib");
}

/* Both kinds for one node: {"gpus": [...], "hcas": [...]}. */
static void handle_node_devices(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	const char *name = api_valid_node(resp, http_param(req, "name"));
	if (!name)
		return;
	PGconn *c = api_acquire(a, resp);
	if (!c)
		return;
	json_t *gpus = NULL, *hcas = NULL, *node = NULL;
	char err[256];
	struct devices_query gq = {"gpu", name, NULL, 0, MAX_LIMIT, a->cache, a->pods};
	struct devices_query hq = {"ib", name, NULL, 0, MAX_LIMIT, a->cache, a->pods};
	int rc = nodes_get(c, a->offline_after_ns, name, &node, err, sizeof err);
	if (!rc && node)
		rc = devices_list(c, &gq, &gpus, err, sizeof err);
	if (!rc && node)
		rc = devices_list(c, &hq, &hcas, err, sizeof err);
	if (rc)
		api_db_failed(resp, c, err);
	else if (!node)
		http_error(resp, 404, "not_found", "no node named \"%s\"", name);
	else
		http_json(resp, 200,
			  json_pack("{s:s,s:O,s:O}", "node", name, "gpus",
				    json_object_get(gpus, "items"), "hcas",
				    json_object_get(hcas, "items")));
	json_decref(node);
	json_decref(gpus);
	json_decref(hcas);
	db_release(a->pool, c);
}

const struct http_route api_routes[] = {
	{"GET", "/healthz", handle_healthz, false},
	{"GET", "/readyz", handle_readyz, false},
	{"GET", "/metrics", handle_metrics, false},
	{"GET", "/api/v1/version", handle_version, false},
	{"GET", "/api/v1/nodes", handle_nodes, false},
	{"GET", "/api/v1/nodes/{name}", handle_node, false},
	{"GET", "/api/v1/nodes/{name}/devices", handle_node_devices, false},
	{"GET", "/api/v1/gpus", handle_gpus, false},
	{"GET", "/api/v1/ib", handle_ib, false},
	{"GET", "/api/v1/pods", api_pods, false},
	{"GET", "/api/v1/pods/cache", api_pods_cache, false},
	{"GET", "/api/v1/pods/workload/cache", api_workload_cache, false},
	/* The paths of the system Lens replaces, for clients that use them. */
	{"GET", "/pods/cache", api_pods_cache, false},
	{"GET", "/pods/workload/cache", api_workload_cache, false},
	{"GET", "/api/v1/workloads", api_workloads, false},
	{"GET", "/api/v1/workloads/{uid}", api_workload, false},
	{"GET", "/api/v1/devices/{node}/{device}/history", api_device_history, false},
	{"GET", "/api/v1/events", api_events, false},
	{"POST", "/api/v1/alerts/metric", api_alerts_metric, true},
	{"POST", "/api/v2/alerts", api_alerts_v2, true},
	{"POST", "/api/v1/alerts/log", api_alerts_log, true},
	{"POST", "/api/v1/alerts/trace", api_alerts_trace, true},
	{"POST", "/api/v1/alerts/webhook", api_alerts_webhook, true},
	{"GET", "/api/v1/alerts", api_alerts_list, false},
	{"GET", "/api/v1/alerts/statistics", api_alerts_statistics, false},
	{"GET", "/api/v1/alerts/{id}", api_alert, false},
	{"GET", "/api/v1/alerts/{id}/correlations", api_alert_correlations, false},
	{"POST", "/api/v1/silences", api_silence_create, true},
	{"GET", "/api/v1/silences", api_silences, false},
	{"DELETE", "/api/v1/silences/{id}", api_silence_delete, true},
	{"POST", "/api/v1/alert-rules", api_rule_create, true},
	{"GET", "/api/v1/alert-rules", api_rules, false},
	{"POST", "/api/v1/alert-rules/test", api_rule_test, false},
	{"DELETE", "/api/v1/alert-rules/{id}", api_rule_delete, true},
	{"POST", "/api/v1/notification-channels", api_channel_create, true},
	{"GET", "/api/v1/notification-channels", api_channels, false},
	{"DELETE", "/api/v1/notification-channels/{id}", api_channel_delete, true},
	{"POST", "/api/v1/notification-channels/{id}/test", api_channel_test, true},
	{"POST", "/api/v1/alert-routes", api_route_create, true},
	{"GET", "/api/v1/alert-routes", api_alert_routes, false},
	{"DELETE", "/api/v1/alert-routes/{id}", api_route_delete, true},
	{"GET", "/api/v1/alert-notifications", api_notifications, false},
	{"GET", "/api/v1/profiler/files", api_profiler_files, false},
	{"GET", "/api/v1/profiler/files/{id}", api_profiler_file, false},
	{"GET", "/api/v1/profiler/files/{id}/content", api_profiler_content, false},
	{"GET", "/api/v1/workloads/{uid}/profiler-files", api_workload_profiler_files, false},
	{"GET", "/api/v1/logs", api_logs_get, false},
	{"POST", "/api/v1/logs", api_logs_post, true},
	{"POST", "/api/v1/wandb/detection", api_wandb_detection, true},
	{"POST", "/api/v1/wandb/metrics", api_wandb_metrics, true},
	{"POST", "/api/v1/wandb/logs", api_wandb_logs, true},
	{"POST", "/api/v1/wandb/batch", api_wandb_batch, true},
	{"GET", "/api/v1/workloads/{uid}/metrics/sources", api_metrics_sources, false},
	{"GET", "/api/v1/workloads/{uid}/metrics/available", api_metrics_available, false},
	{"GET", "/api/v1/workloads/{uid}/metrics/data", api_metrics_data, false},
	{"GET", "/api/v1/workloads/{uid}/metrics/iteration-times", api_metrics_iteration_times,
	 false},
	{"GET", "/api/v1/workloads/{uid}/training", api_training_summary, false},
	{"GET", "/api/v1/workloads/{uid}/framework", api_training_framework, false},
	{"GET", "/api/v1/training/events", api_training_events, false},
	{"GET", "/api/v1/training/log-patterns", api_patterns_get, false},
	{"POST", "/api/v1/training/log-patterns", api_patterns_post, true},
	{"DELETE", "/api/v1/training/log-patterns/{id}", api_patterns_delete, true},
	/* Writes nothing: open like the reads. */
	{"POST", "/api/v1/training/log-patterns/test", api_patterns_test, false},
	{"GET", "/api/v1/grafana", api_grafana_test, false},
	{"GET", "/api/v1/grafana/", api_grafana_test, false},
	{"POST", "/api/v1/grafana/search", api_grafana_search, false},
	{"POST", "/api/v1/grafana/query", api_grafana_query, false},
	{NULL, NULL, NULL, false},
};
