/* api_pods: the pod-mapping views of the REST API (docs/api.md): pods,
 * workloads, a device's history from the database, and the in-memory
 * cache views the system Lens replaces exposed. */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include "podcache.h"
#include "pods.h"

/* The filters every list shares; -1 with a 400 answered when one is bad. */
static int read_filter(const struct http_req *req, struct http_resp *resp,
		       struct pods_filter *f)
{
	memset(f, 0, sizeof *f);
	f->node = http_query(req, "node");
	f->namespace_ = http_query(req, "namespace");
	f->workload = http_query(req, "workload");
	const char *all = http_query(req, "all");
	f->all = all && (strcmp(all, "true") == 0 || strcmp(all, "1") == 0);
	if (f->node && !api_valid_node(resp, f->node))
		return -1;
	return http_paging(req, resp, API_DEFAULT_LIMIT, API_MAX_LIMIT, &f->offset, &f->limit);
}

typedef int (*list_fn)(PGconn *c, const struct pods_filter *f, json_t **out, char *err,
		       size_t errlen);

/* What a handler asks of the pod tables, run by api_run. */
struct pods_query {
	list_fn list;                    /* a list, filtered by f ... */
	struct pods_filter f;
	const char *uid;                 /* ... or one workload ... */
	const char *node, *device;       /* ... or a device's history */
	const char *from, *to;
};

static int run_list(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct pods_query *q = arg;
	return q->list(c, &q->f, out, err, errlen);
}

static int run_workload(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return pods_workload_get(c, ((struct pods_query *)arg)->uid, out, err, errlen);
}

static int run_history(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct pods_query *q = arg;
	return pods_device_history(c, q->node, q->device, q->from, q->to, out, err, errlen);
}

/* A paged list of the pod tables, filtered as read_filter reads it. */
static void list(const struct http_req *req, struct http_resp *resp, struct api *a, list_fn fn,
		 const char *what)
{
	struct pods_query q = {.list = fn};
	if (read_filter(req, resp, &q.f) == 0)
		api_run(a, resp, run_list, &q, what);
}

void api_pods(const struct http_req *req, struct http_resp *resp, void *arg)
{
	list(req, resp, arg, pods_list, "no pods");
}

void api_workloads(const struct http_req *req, struct http_resp *resp, void *arg)
{
	list(req, resp, arg, pods_workloads, "no workloads");
}

void api_workload(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct pods_query q = {.uid = http_param(req, "uid")};
	char what[320];
	snprintf(what, sizeof what, "no workload with UID or name \"%s\"", q.uid);
	api_run(arg, resp, run_workload, &q, what);
}

void api_device_history(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct pods_query q = {.node = api_valid_node(resp, http_param(req, "node")),
			       .device = http_param(req, "device")};
	if (q.node && api_time_param(req, resp, "from", &q.from) == 0 &&
	    api_time_param(req, resp, "to", &q.to) == 0)
		api_run(arg, resp, run_history, &q, "no device");
}

void api_pods_cache(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	http_json(resp, 200, podcache_devices_view(((struct api *)arg)->pods));
}

void api_workload_cache(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	http_json(resp, 200, podcache_workloads_view(((struct api *)arg)->pods));
}
