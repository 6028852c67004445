/* api: the aggregator's REST API and operational endpoints (/healthz,
 * /readyz, /metrics), as a route table for httpd. Handlers validate their
 * parameters, query through the pool and answer JSON; a database outage
 * is a 503 with a JSON error, never a hang or a crash. */
#ifndef LENS_API_H
#define LENS_API_H

#include <stdint.h>

#include "db.h"
#include "devcache.h"
#include "httpd.h"
#include "prom.h"

struct podcache;
struct analysis;
struct training;
struct alerts;
struct notify;
struct alertrules;

struct api {
	struct db_pool *pool;
	struct prom_registry *reg;
	int64_t offline_after_ns;
	struct devcache *cache;
	struct podcache *pods;
	struct analysis *analysis;  /* where stored log lines go next */
	struct training *training;  /* where WandB reports are stored */
	struct alerts *alerts;      /* NULL until the database is migrated */
	struct notify *notify;      /* the same */
	struct alertrules *rules;   /* log alert rules */
};

extern const struct http_route api_routes[];

#define API_DEFAULT_LIMIT 100
#define API_MAX_LIMIT 1000

/* Helpers the handler files share. */
/* A pooled connection for a handler, or NULL with a 503 already answered. */
PGconn *api_acquire(struct api *a, struct http_resp *resp);
/* Answers 503 for a query that failed on c (database_unavailable when the
 * connection is gone, else database_error) and logs it. */
void api_db_failed(struct http_resp *resp, PGconn *c, const char *err);
/* A read of the database answered as JSON: fn's object with 200, or 404
 * (-ENOENT: not_found, with what as the message), 400 (-EINVAL: err),
 * 503 (else). */
typedef int (*api_query_fn)(PGconn *c, void *ctx, json_t **out, char *err, size_t errlen);
void api_run(struct api *a, struct http_resp *resp, api_query_fn fn, void *ctx,
	     const char *what);
/* A DELETE by id or name: fn gives 0, -ENOENT (404 with what) or -EIO;
 * answers {"status": "deleted"}. */
typedef int (*api_delete_fn)(PGconn *c, const char *key, char *err, size_t errlen);
void api_delete(struct api *a, struct http_resp *resp, api_delete_fn fn, const char *key,
		const char *what);
/* ?key=: RFC 3339 or absent (*out NULL); -1 with a 400 answered when bad. */
int api_time_param(const struct http_req *req, struct http_resp *resp, const char *key,
		   const char **out);
/* The body as JSON of the wanted type (JSON_OBJECT, JSON_ARRAY, or -1 for
 * either), or NULL with a 400 answered. */
json_t *api_body(const struct http_req *req, struct http_resp *resp, int want);
/* name when it is a valid node name, else NULL with a 400 answered. */
const char *api_valid_node(struct http_resp *resp, const char *name);

/* The pod-mapping handlers (api_pods.c). */
void api_pods(const struct http_req *req, struct http_resp *resp, void *arg);
void api_pods_cache(const struct http_req *req, struct http_resp *resp, void *arg);
void api_workload_cache(const struct http_req *req, struct http_resp *resp, void *arg);
void api_workloads(const struct http_req *req, struct http_resp *resp, void *arg);
void api_workload(const struct http_req *req, struct http_resp *resp, void *arg);
void api_device_history(const struct http_req *req, struct http_resp *resp, void *arg);

/* Container log lines (api_logs.c). */
void api_logs_post(const struct http_req *req, struct http_resp *resp, void *arg);
void api_logs_get(const struct http_req *req, struct http_resp *resp, void *arg);

/* The alert system (api_alerts.c). */
void api_alerts_metric(const struct http_req *req, struct http_resp *resp, void *arg);
void api_alerts_v2(const struct http_req *req, struct http_resp *resp, void *arg);
void api_alerts_log(const struct http_req *req, struct http_resp *resp, void *arg);
void api_alerts_trace(const struct http_req *req, struct http_resp *resp, void *arg);
void api_alerts_webhook(const struct http_req *req, struct http_resp *resp, void *arg);
void api_alerts_list(const struct http_req *req, struct http_resp *resp, void *arg);
void api_alert(const struct http_req *req, struct http_resp *resp, void *arg);
void api_alert_correlations(const struct http_req *req, struct http_resp *resp, void *arg);
void api_alerts_statistics(const struct http_req *req, struct http_resp *resp, void *arg);
void api_silence_create(const struct http_req *req, struct http_resp *resp, void *arg);
void api_silences(const struct http_req *req, struct http_resp *resp, void *arg);
void api_silence_delete(const struct http_req *req, struct http_resp *resp, void *arg);

/* Log alert rules (api_rules.c). */
void api_rule_create(const struct http_req *req, struct http_resp *resp, void *arg);
void api_rules(const struct http_req *req, struct http_resp *resp, void *arg);
void api_rule_delete(const struct http_req *req, struct http_resp *resp, void *arg);
void api_rule_test(const struct http_req *req, struct http_resp *resp, void *arg);

/* Routing and notification (api_notify.c). */
void api_channel_create(const struct http_req *req, struct http_resp *resp, void *arg);
void api_channels(const struct http_req *req, struct http_resp *resp, void *arg);
void api_channel_delete(const struct http_req *req, struct http_resp *resp, void *arg);
void api_channel_test(const struct http_req *req, struct http_resp *resp, void *arg);
void api_route_create(const struct http_req *req, struct http_resp *resp, void *arg);
void api_alert_routes(const struct http_req *req, struct http_resp *resp, void *arg);
void api_route_delete(const struct http_req *req, struct http_resp *resp, void *arg);
void api_notifications(const struct http_req *req, struct http_resp *resp, void *arg);

/* Profiler traces (api_profiler.c). */
void api_profiler_files(const struct http_req *req, struct http_resp *resp, void *arg);
void api_workload_profiler_files(const struct http_req *req, struct http_resp *resp, void *arg);
void api_profiler_file(const struct http_req *req, struct http_resp *resp, void *arg);
void api_profiler_content(const struct http_req *req, struct http_resp *resp, void *arg);

/* Training analysis (api_training.c). */
void api_wandb_detection(const struct http_req *req, struct http_resp *resp, void *arg);
void api_wandb_metrics(const struct http_req *req, struct http_resp *resp, void *arg);
void api_wandb_logs(const struct http_req *req, struct http_resp *resp, void *arg);
void api_wandb_batch(const struct http_req *req, struct http_resp *resp, void *arg);
void api_metrics_sources(const struct http_req *req, struct http_resp *resp, void *arg);
void api_metrics_available(const struct http_req *req, struct http_resp *resp, void *arg);
void api_metrics_data(const struct http_req *req, struct http_resp *resp, void *arg);
void api_metrics_iteration_times(const struct http_req *req, struct http_resp *resp, void *arg);
void api_training_summary(const struct http_req *req, struct http_resp *resp, void *arg);
void api_training_framework(const struct http_req *req, struct http_resp *resp, void *arg);
void api_training_events(const struct http_req *req, struct http_resp *resp, void *arg);
void api_grafana_test(const struct http_req *req, struct http_resp *resp, void *arg);
void api_grafana_search(const struct http_req *req, struct http_resp *resp, void *arg);
void api_grafana_query(const struct http_req *req, struct http_resp *resp, void *arg);
void api_patterns_get(const struct http_req *req, struct http_resp *resp, void *arg);
void api_patterns_post(const struct http_req *req, struct http_resp *resp, void *arg);
void api_patterns_delete(const struct http_req *req, struct http_resp *resp, void *arg);
void api_patterns_test(const struct http_req *req, struct http_resp *resp, void *arg);
/* Loads the users' log patterns from the database into the analysis. */
int api_reload_patterns(struct api *a, PGconn *c, char *err, size_t errlen);

/* The kernel events view (api_events.c). */
void api_events(const struct http_req *req, struct http_resp *resp, void *arg);

#endif
