/* api: REST handlers. */
#include "version.h"
#include "api.h"

#include <string.h>

#include "envelope.h"
#include "log.h"
#include "migrate.h"
#include "nodes.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000

/* A pooled connection for a handler, or a 503 already answered. */
static PGconn *acquire(struct api *a, struct http_resp *resp)
{
	char err[256];
	PGconn *c = db_acquire(a->pool, err, sizeof err);
	if (!c)
		http_error(resp, 503, "database_unavailable", "database unavailable: %s", err);
	return c;
}

static void db_failed(struct http_resp *resp, const char *err)
{
	log_warn("query failed", "err=%s", log_q(err));
	http_error(resp, 503, "database_error", "query failed: %s", err);
}

static void handle_healthz(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	(void)arg;
	http_json(resp, 200, json_pack("{s:s,s:s}", "status", "ok", "version", LENS_VERSION));
}

static void handle_readyz(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	struct api *a = arg;
	if (db_ping(a->pool))
		http_json(resp, 200, json_pack("{s:s}", "status", "ready"));
	else
		http_error(resp, 503, "not_ready", "database unreachable");
}

static void handle_metrics(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	struct api *a = arg;
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	prom_render(a->reg, &resp->body);
}

static void handle_version(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	(void)arg;
	const char *schema = "";
	for (const struct migration *m = migrate_builtin; m->name; m++)
		schema = m->name;
	http_json(resp, 200,
		  json_pack("{s:s,s:s,s:i}", "version", LENS_VERSION, "schema", schema,
			    "wire_schema_version", ENVELOPE_SCHEMA_VERSION));
}

static void handle_nodes(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	long long offset, limit;
	if (http_paging(req, resp, DEFAULT_LIMIT, MAX_LIMIT, &offset, &limit))
		return;
	PGconn *c = acquire(a, resp);
	if (!c)
		return;
	json_t *out;
	char err[256];
	if (nodes_list(c, a->offline_after_ns, offset, limit, &out, err, sizeof err))
		db_failed(resp, err);
	else
		http_json(resp, 200, out);
	db_release(a->pool, c);
}

static void handle_node(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct api *a = arg;
	const char *name = http_param(req, "name");
	if (!envelope_valid_node_name(name)) {
		http_error(resp, 400, "bad_parameter", "\"%s\" is not a valid node name", name);
		return;
	}
	PGconn *c = acquire(a, resp);
	if (!c)
		return;
	json_t *out;
	char err[256];
	if (nodes_get(c, a->offline_after_ns, name, &out, err, sizeof err))
		db_failed(resp, err);
	else if (!out)
		http_error(resp, 404, "not_found", "no node named \"%s\"", name);
	else
		http_json(resp, 200, out);
	db_release(a->pool, c);
}

const struct http_route api_routes[] = {
	{"GET", "/healthz", handle_healthz, false},
	{"GET", "/readyz", handle_readyz, false},
	{"GET", "/metrics", handle_metrics, false},
	{"GET", "/api/v1/version", handle_version, false},
	{"GET", "/api/v1/nodes", handle_nodes, false},
	{"GET", "/api/v1/nodes/{name}", handle_node, false},
	{NULL, NULL, NULL, false},
};
