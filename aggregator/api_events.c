/* api_events: GET /api/v1/events, the kernel events of the cluster,
 * newest first, filtered by node, namespace, pod, workload, type and time. */
#include "api.h"

#include "events.h"

static int run_events(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return events_list(c, arg, out, err, errlen);
}

void api_events(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct events_filter f = {.node = http_query(req, "node"),
				  .namespace_ = http_query(req, "namespace"),
				  .pod = http_query(req, "pod"),
				  .workload = http_query(req, "workload"),
				  .types = http_query(req, "type")};
	if ((f.node && !api_valid_node(resp, f.node)) ||
	    api_time_param(req, resp, "since", &f.since) ||
	    api_time_param(req, resp, "until", &f.until) ||
	    http_paging(req, resp, API_DEFAULT_LIMIT, API_MAX_LIMIT, &f.offset, &f.limit))
		return;
	api_run(arg, resp, run_events, &f, "");
}
