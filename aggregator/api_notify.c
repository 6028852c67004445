/* api_notify: notification channels (/api/v1/notification-channels, with
 * a test that really sends), alert routes (/api/v1/alert-routes) and the
 * notification log (/api/v1/alert-notifications); docs/alerts.md. */
#include "api.h"

#include <errno.h>

#include "jsonx.h"
#include "notify.h"
#include "routes.h"

typedef json_t *(*parse_fn)(const json_t *body, char *err, size_t errlen);

struct create {
	json_t *item;
	int (*store)(PGconn *c, const json_t *item, json_t **out, char *err, size_t errlen);
};

static int run_create(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct create *cr = arg;
	return cr->store(c, cr->item, out, err, errlen);
}

static void create(const struct http_req *req, struct http_resp *resp, struct api *a,
		   parse_fn parse, struct create *cr, const char *code)
{
	char err[256];
	json_t *body = api_body(req, resp, JSON_OBJECT);
	if (!body)
		return;
	cr->item = parse(body, err, sizeof err);
	json_decref(body);
	if (!cr->item) {
		http_error(resp, 400, code, "%s", err);
		return;
	}
	api_run(a, resp, run_create, cr, "");
	json_decref(cr->item);
}

void api_channel_create(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct create cr = {NULL, routes_create_channel};
	create(req, resp, arg, routes_parse_channel, &cr, "bad_channel");
}

void api_route_create(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct create cr = {NULL, routes_create_route};
	create(req, resp, arg, routes_parse_route, &cr, "bad_route");
}

typedef int (*list_fn)(PGconn *c, json_t **out, char *err, size_t errlen);

static int run_list(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return ((list_fn)arg)(c, out, err, errlen);
}

void api_channels(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	api_run(arg, resp, run_list, (void *)routes_list_channels, "");
}

void api_alert_routes(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	api_run(arg, resp, run_list, (void *)routes_list_routes, "");
}

void api_channel_delete(const struct http_req *req, struct http_resp *resp, void *arg)
{
	api_delete(arg, resp, routes_delete_channel, http_param(req, "id"), "no such channel");
}

void api_route_delete(const struct http_req *req, struct http_resp *resp, void *arg)
{
	api_delete(arg, resp, routes_delete_route, http_param(req, "id"), "no such route");
}

static int run_channel(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return routes_get_channel(c, arg, out, err, errlen);
}

/* A test message through the channel, now: 200 when it was delivered, 502
 * with the channel's answer when not. */
void api_channel_test(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	char err[512];
	if (!a->notify) {
		http_error(resp, 503, "starting", "notifications are not ready yet");
		return;
	}
	api_run(a, resp, run_channel, (void *)http_param(req, "id"), "no such channel");
	if (resp->status != 200)
		return;
	json_t *ch = json_loadb(resp->body.p, resp->body.len, 0, NULL);
	buf_reset(&resp->body);
	json_t *payload = json_loads(
		"{\"version\": \"4\", \"groupKey\": \"lens-test\", \"status\": \"firing\","
		" \"groupLabels\": {\"alertname\": \"LensTest\"}, \"commonLabels\": {},"
		" \"commonAnnotations\": {}, \"externalURL\": \"\", \"truncatedAlerts\": 0,"
		" \"alerts\": [{\"status\": \"firing\","
		" \"labels\": {\"alertname\": \"LensTest\", \"severity\": \"info\"},"
		" \"annotations\": {\"summary\": \"a test message from Lens\"},"
		" \"startsAt\": \"2026-01-01T00:00:00Z\", \"endsAt\": \"0001-01-01T00:00:00Z\","
		" \"generatorURL\": \"\", \"lens\": {\"severity\": \"info\"}}]}",
		0, NULL);
	json_object_set_new(payload, "receiver", json_string(jsonx_str(ch, "name")));
	int rc = notify_deliver(a->notify, ch, payload, err, sizeof err);
	if (rc)
		http_error(resp, 502, "delivery_failed", "%s", err);
	else
		http_json(resp, 200, json_pack("{s:s,s:s}", "status", "sent", "channel",
					       jsonx_str(ch, "name")));
	json_decref(payload);
	json_decref(ch);
}

struct log_query {
	const char *status;
	long long offset, limit;
};

static int run_log(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	struct log_query *q = arg;
	return routes_notifications(c, q->status, q->offset, q->limit, out, err, errlen);
}

void api_notifications(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct log_query q = {http_query(req, "status"), 0, 0};
	if (http_paging(req, resp, API_DEFAULT_LIMIT, API_MAX_LIMIT, &q.offset, &q.limit))
		return;
	api_run(arg, resp, run_log, &q, "");
}
