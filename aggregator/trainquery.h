/* trainquery: what the API reads of training analysis (docs/training.md):
 * the metrics query API the system Lens replaces served (sources,
 * available metrics, data points, iteration times, in its JSON shapes),
 * a workload's training summary (what lensctl training shows), training
 * events, framework detections, and Grafana's JSON-datasource answers.
 * A workload is named by UID or by name. Every function has the
 * signature of api_query_fn (api.h): 0, -ENOENT, -EINVAL (err says why)
 * or -EIO. */
#ifndef LENS_TRAINQUERY_H
#define LENS_TRAINQUERY_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#define TRAINQUERY_MAX_POINTS 200000

struct trainquery {
	const char *workload;     /* UID or name */
	const char *data_source;  /* "log", "wandb", or NULL for both */
	const char *metrics;      /* "a,b", "{a,b}" (Grafana), "all" or NULL */
	const char *start_ms, *end_ms; /* milliseconds since the epoch, or NULL */
	/* training events */
	const char *types, *since, *until;
	long long offset, limit;
	const json_t *grafana;    /* the body of a Grafana /search or /query */
};

int trainquery_sources(PGconn *c, void *q, json_t **out, char *err, size_t errlen);
int trainquery_available(PGconn *c, void *q, json_t **out, char *err, size_t errlen);
int trainquery_data(PGconn *c, void *q, json_t **out, char *err, size_t errlen);
int trainquery_iteration_times(PGconn *c, void *q, json_t **out, char *err, size_t errlen);
/* The runs, latest iteration (progress, loss, TFLOP/s, ETA), framework
 * and recent events of a workload; -ENOENT when it has no training data. */
int trainquery_summary(PGconn *c, void *q, json_t **out, char *err, size_t errlen);
int trainquery_events(PGconn *c, void *q, json_t **out, char *err, size_t errlen);
int trainquery_framework(PGconn *c, void *q, json_t **out, char *err, size_t errlen);
int trainquery_grafana_search(PGconn *c, void *q, json_t **out, char *err, size_t errlen);
int trainquery_grafana_query(PGconn *c, void *q, json_t **out, char *err, size_t errlen);

#endif
