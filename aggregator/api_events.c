/* api_events: GET /api/v1/events, the kernel events of the cluster,
 * newest first, filtered by node, namespace, pod, workload, type and time. */
#include "api.h"

#include "events.h"

void api_events(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	struct events_filter f = {.node = http_query(req, "node"),
				  .namespace_ = http_query(req, "namespace"),
				  .pod = http_query(req, "pod"),
				  .workload = http_query(req, "workload"),
				  .types = http_query(req, "type")};
	PGconn *c;
	if ((f.node && !api_valid_node(resp, f.node)) ||
	    api_time_param(req, resp, "since", &f.since) ||
	    api_time_param(req, resp, "until", &f.until) ||
	    http_paging(req, resp, API_DEFAULT_LIMIT, API_MAX_LIMIT, &f.offset, &f.limit) ||
	    !(c = api_acquire(a, resp)))
		return;
	json_t *out = NULL;
	char err[256];
	if (events_list(c, &f, &out, err, sizeof err))
		api_db_failed(resp, c, err);
	else
		http_json(resp, 200, out);
	db_release(a->pool, c);
}
