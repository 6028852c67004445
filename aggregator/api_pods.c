/* api_pods: the pod-mapping views of the REST API (docs/api.md): pods,
 * workloads, a device's history from the database, and the in-memory
 * cache views the system Lens replaces exposed. */
#include "api.h"

#include <errno.h>
#include <string.h>

#include "podcache.h"
#include "pods.h"

/* Answers a query's result on c: 200 with out, 404 for -ENOENT, 503 else. */
static void answer(struct http_resp *resp, PGconn *c, int rc, json_t *out, const char *err,
		   const char *what)
{
	if (rc == -ENOENT)
		http_error(resp, 404, "not_found", "no %s", what);
	else if (rc)
		api_db_failed(resp, c, err);
	else
		http_json(resp, 200, out);
}

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

/* A paged list of the pod tables, filtered as read_filter reads it. */
static void list(const struct http_req *req, struct http_resp *resp, struct api *a, list_fn fn,
		 const char *what)
{
	struct pods_filter f;
	PGconn *c;
	if (read_filter(req, resp, &f) || !(c = api_acquire(a, resp)))
		return;
	json_t *out = NULL;
	char err[256];
	int rc = fn(c, &f, &out, err, sizeof err);
	answer(resp, c, rc, out, err, what);
	db_release(a->pool, c);
}

void api_pods(const struct http_req *req, struct http_resp *resp, void *arg)
{
	list(req, resp, arg, pods_list, "pods");
}

void api_workloads(const struct http_req *req, struct http_resp *resp, void *arg)
{
	list(req, resp, arg, pods_workloads, "workloads");
}

void api_workload(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	PGconn *c = api_acquire(a, resp);
	if (!c)
		return;
	json_t *out = NULL;
	char err[256];
	int rc = pods_workload_get(c, http_param(req, "uid"), &out, err, sizeof err);
	if (rc == -ENOENT)
		http_error(resp, 404, "not_found", "no workload with UID or name \"%s\"",
			   http_param(req, "uid"));
	else
		answer(resp, c, rc, out, err, "workload");
	db_release(a->pool, c);
}

void api_device_history(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	const char *node = api_valid_node(resp, http_param(req, "node")), *from, *to;
	PGconn *c;
	if (!node || api_time_param(req, resp, "from", &from) || api_time_param(req, resp, "to", &to) ||
	    !(c = api_acquire(a, resp)))
		return;
	json_t *out = NULL;
	char err[256];
	int rc = pods_device_history(c, node, http_param(req, "device"), from, to, &out, err,
				     sizeof err);
	answer(resp, c, rc, out, err, "device");
	db_release(a->pool, c);
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
