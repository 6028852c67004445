/* api_logs: container log lines: POST /api/v1/logs takes fluent-bit's
 * records, GET /api/v1/logs finds lines by pod, workload, time and text. */
#include "api.h"

#include <errno.h>
#include <string.h>

#include "fluentbit.h"
#include "logs.h"

void api_logs_post(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	struct fluentbit_batch b;
	char err[256];
	if (fluentbit_parse(req->body ? req->body : "", req->body_len, &b, err, sizeof err)) {
		http_error(resp, 400, "bad_body", "%s", err);
		return;
	}
	PGconn *c = b.n ? api_acquire(a, resp) : NULL;
	if (b.n && !c) {
		fluentbit_free(&b);
		return;
	}
	int rc = b.n ? logs_insert(c, b.recs, b.n, "fluent-bit", err, sizeof err) : 0;
	if (rc == -EINVAL)
		http_error(resp, 400, "bad_body", "the database refused the lines: %s", err);
	else if (rc)
		api_db_failed(resp, c, err);
	else {
		if (a->analysis)
			analysis_lines(a->analysis, b.recs, b.n);
		http_json(resp, b.n || !b.rejected ? 200 : 400,
			  json_pack("{s:I,s:I,s:O}", "accepted", (json_int_t)b.n, "rejected",
				    (json_int_t)b.rejected, "errors", b.errors));
	}
	if (c)
		db_release(a->pool, c);
	fluentbit_free(&b);
}

void api_logs_get(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	const char *order = http_query(req, "order"), *regex = http_query(req, "regex");
	struct logs_filter f = {.node = http_query(req, "node"),
				.namespace_ = http_query(req, "namespace"),
				.pod = http_query(req, "pod"),
				.container = http_query(req, "container"),
				.workload = http_query(req, "workload"),
				.q = http_query(req, "q"),
				.regex = regex && (!strcmp(regex, "true") || !strcmp(regex, "1")),
				.oldest_first = order && !strcmp(order, "asc")};
	PGconn *c;
	if (order && strcmp(order, "asc") && strcmp(order, "desc")) {
		http_error(resp, 400, "bad_parameter", "order must be asc or desc");
		return;
	}
	if ((f.node && !api_valid_node(resp, f.node)) ||
	    api_time_param(req, resp, "since", &f.since) ||
	    api_time_param(req, resp, "until", &f.until) ||
	    http_paging(req, resp, API_DEFAULT_LIMIT, 10000, &f.offset, &f.limit) ||
	    !(c = api_acquire(a, resp)))
		return;
	json_t *out = NULL;
	char err[256];
	int rc = logs_list(c, &f, &out, err, sizeof err);
	if (rc == -EINVAL)
		http_error(resp, 400, "bad_parameter", "q is not a valid regular expression: %s", err);
	else if (rc)
		api_db_failed(resp, c, err);
	else
		http_json(resp, 200, out);
	db_release(a->pool, c);
}
