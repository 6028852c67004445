/* api_profiler: the profiler traces the agents collected
 * (docs/traces.md): GET /api/v1/profiler/files (filtered, paged),
 * /profiler/files/{id} (metadata and the analysis), /profiler/files/{id}/content
 * (the gzip file), and /workloads/{uid}/profiler-files. */
#include "api.h"

#include <errno.h>

#include "profiler.h"

static int run_list(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return profiler_list(c, arg, out, err, errlen);
}

static void list(const struct http_req *req, struct http_resp *resp, struct api *a,
		 const char *workload)
{
	struct profiler_filter f = {.node = http_query(req, "node"),
				    .namespace_ = http_query(req, "namespace"),
				    .pod = http_query(req, "pod"),
				    .workload = workload,
				    .status = http_query(req, "status")};
	if ((f.node && !api_valid_node(resp, f.node)) ||
	    api_time_param(req, resp, "since", &f.since) ||
	    api_time_param(req, resp, "until", &f.until) ||
	    http_paging(req, resp, API_DEFAULT_LIMIT, API_MAX_LIMIT, &f.offset, &f.limit))
		return;
	api_run(a, resp, run_list, &f, "");
}

void api_profiler_files(const struct http_req *req, struct http_resp *resp, void *arg)
{
	list(req, resp, arg, http_query(req, "workload"));
}

void api_workload_profiler_files(const struct http_req *req, struct http_resp *resp, void *arg)
{
	list(req, resp, arg, http_param(req, "uid"));
}

static int run_get(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return profiler_get(c, arg, out, err, errlen);
}

void api_profiler_file(const struct http_req *req, struct http_resp *resp, void *arg)
{
	api_run(arg, resp, run_get, (void *)http_param(req, "id"), "no such profiler file");
}

/* The file as a .gz, whatever the agent found (a plain trace was
 * compressed on the node). */
void api_profiler_content(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	PGconn *c = api_acquire(a, resp);
	if (!c)
		return;
	char err[256] = "";
	int rc = profiler_content(c, http_param(req, "id"), &resp->body, err, sizeof err);
	if (rc == 0) {
		resp->status = 200;
		resp->content_type = "application/gzip";
	} else {
		buf_reset(&resp->body);
		if (rc == -ENOENT)
			http_error(resp, 404, "not_found", "no such profiler file");
		else if (rc == -ENODATA)
			http_error(resp, 404, "content_not_sent", "%s", err);
		else if (rc == -EAGAIN)
			http_error(resp, 409, "content_incomplete", "%s", err);
		else
			api_db_failed(resp, c, err);
	}
	db_release(a->pool, c);
}
