/* api_alerts: the unified alert system's API (docs/alerts.md): the
 * intake (Alertmanager webhook and v2 API, log, trace and generic
 * webhook alerts), the alert list, one alert, its correlations,
 * statistics, and silences. */
#include "api.h"

#include <errno.h>
#include <string.h>

#include "alertintake.h"
#include "alertquery.h"
#include "alerts.h"
#include "silences.h"

/* ---- Intake ------------------------------------------------------------ */

typedef int (*intake_fn)(const json_t *body, json_t *out, char *err, size_t errlen);

/* Parses the body with fn and stores its alerts: 200 {"accepted", "ids"},
 * 400 for a body that is not what the endpoint takes. */
static void intake(const struct http_req *req, struct http_resp *resp, struct api *a,
		   intake_fn fn, const char *endpoint)
{
	if (!a->alerts) {
		http_error(resp, 503, "starting", "the alert store is not ready yet");
		return;
	}
	json_t *body = api_body(req, resp, -1);
	if (!body) {
		alerts_count_rejected(a->alerts, endpoint);
		return;
	}
	json_t *alerts = json_array(), *ids = NULL;
	char err[256] = "";
	int rc = fn(body, alerts, err, sizeof err);
	json_decref(body);
	if (rc) {
		alerts_count_rejected(a->alerts, endpoint);
		http_error(resp, 400, "bad_alert", "%s", err);
		json_decref(alerts);
		return;
	}
	PGconn *c = api_acquire(a, resp);
	if (c) {
		rc = alerts_fire(a->alerts, c, alerts, &ids, err, sizeof err);
		if (rc == -EINVAL) {
			alerts_count_rejected(a->alerts, endpoint);
			http_error(resp, 400, "bad_alert", "%s", err);
		} else if (rc) {
			api_db_failed(resp, c, err);
		} else {
			http_json(resp, 200, json_pack("{s:I,s:o}", "accepted",
						       (json_int_t)json_array_size(alerts), "ids", ids));
		}
		db_release(a->pool, c);
	}
	json_decref(alerts);
}

void api_alerts_metric(const struct http_req *req, struct http_resp *resp, void *arg)
{
	intake(req, resp, arg, alertintake_webhook_am, "metric");
}

void api_alerts_v2(const struct http_req *req, struct http_resp *resp, void *arg)
{
	intake(req, resp, arg, alertintake_am_v2, "v2");
}

void api_alerts_log(const struct http_req *req, struct http_resp *resp, void *arg)
{
	intake(req, resp, arg, alertintake_log, "log");
}

void api_alerts_trace(const struct http_req *req, struct http_resp *resp, void *arg)
{
	intake(req, resp, arg, alertintake_trace, "trace");
}

void api_alerts_webhook(const struct http_req *req, struct http_resp *resp, void *arg)
{
	intake(req, resp, arg, alertintake_webhook, "webhook");
}

/* ---- Queries ----------------------------------------------------------- */

/* The first of a parameter's names that is given (the reference's and
 * Lens's own). */
static const char *query2(const struct http_req *req, const char *a, const char *b)
{
	const char *v = http_query(req, a);
	return v ? v : http_query(req, b);
}

static int run_list(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return alertquery_list(c, arg, out, err, errlen);
}

void api_alerts_list(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct alerts_filter f = {.source = http_query(req, "source"),
				  .severity = http_query(req, "severity"),
				  .status = http_query(req, "status"),
				  .name = query2(req, "name", "alert_name"),
				  .workload = query2(req, "workload", "workload_id"),
				  .pod = query2(req, "pod", "pod_name"),
				  .node = query2(req, "node", "node_name"),
				  .cluster = query2(req, "cluster", "cluster_name")};
	const char *from_key = http_query(req, "from") ? "from" : "starts_after";
	const char *to_key = http_query(req, "to") ? "to" : "starts_before";
	if ((f.node && !api_valid_node(resp, f.node)) ||
	    api_time_param(req, resp, from_key, &f.from) ||
	    api_time_param(req, resp, to_key, &f.to) ||
	    http_paging(req, resp, API_DEFAULT_LIMIT, API_MAX_LIMIT, &f.offset, &f.limit))
		return;
	api_run(arg, resp, run_list, &f, "");
}

static int run_get(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return alertquery_get(c, arg, out, err, errlen);
}

void api_alert(const struct http_req *req, struct http_resp *resp, void *arg)
{
	api_run(arg, resp, run_get, (void *)http_param(req, "id"), "no such alert");
}

static int run_correlations(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return alertquery_correlations(c, arg, out, err, errlen);
}

void api_alert_correlations(const struct http_req *req, struct http_resp *resp, void *arg)
{
	api_run(arg, resp, run_correlations, (void *)http_param(req, "id"), "no such alert");
}

static int run_statistics(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return alertquery_statistics(c, arg, out, err, errlen);
}

void api_alerts_statistics(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct alerts_stats_query q = {.group_by = http_query(req, "group_by"),
				       .name = query2(req, "name", "alert_name"),
				       .source = http_query(req, "source"),
				       .workload = query2(req, "workload", "workload_id"),
				       .cluster = query2(req, "cluster", "cluster_name")};
	const char *from_key = http_query(req, "from") ? "from" : "date_from";
	const char *to_key = http_query(req, "to") ? "to" : "date_to";
	if (api_time_param(req, resp, from_key, &q.from) ||
	    api_time_param(req, resp, to_key, &q.to))
		return;
	api_run(arg, resp, run_statistics, &q, "");
}

/* ---- Silences ---------------------------------------------------------- */

static int run_silence_create(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return silences_create(c, arg, out, err, errlen);
}

/* A silence applies to the alerts already open at once, not at the next
 * sweep. */
static void sweep_now(struct api *a)
{
	if (a->alerts)
		alerts_sweep(a->alerts);
}

void api_silence_create(const struct http_req *req, struct http_resp *resp, void *arg)
{
	char err[256];
	json_t *body = api_body(req, resp, JSON_OBJECT), *s;
	if (!body)
		return;
	s = silences_parse(body, err, sizeof err);
	json_decref(body);
	if (!s) {
		http_error(resp, 400, "bad_silence", "%s", err);
		return;
	}
	api_run(arg, resp, run_silence_create, s, "");
	json_decref(s);
	if (resp->status == 200)
		sweep_now(arg);
}

static int run_silence_list(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return silences_list(c, arg, out, err, errlen);
}

void api_silences(const struct http_req *req, struct http_resp *resp, void *arg)
{
	const char *state = http_query(req, "state");
	if (state && strcmp(state, "active") && strcmp(state, "pending") &&
	    strcmp(state, "expired") && strcmp(state, "all")) {
		http_error(resp, 400, "bad_parameter",
			   "state must be active, pending, expired or all");
		return;
	}
	api_run(arg, resp, run_silence_list, (void *)state, "");
}

static int run_silence_expire(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	int rc = silences_expire(c, arg, err, errlen);
	if (!rc)
		*out = json_pack("{s:s}", "status", "expired");
	return rc;
}

void api_silence_delete(const struct http_req *req, struct http_resp *resp, void *arg)
{
	api_run(arg, resp, run_silence_expire, (void *)http_param(req, "id"),
		"no such silence, or it has ended");
	if (resp->status == 200)
		sweep_now(arg);
}
