/* api_rules: the log alert rules (/api/v1/alert-rules, docs/alerts.md):
 * create, list and delete, each change in force on this replica at once
 * (the others at their next refresh), and a rule tried on sample lines. */
#include "api.h"

#include <errno.h>

#include "alertrules.h"
#include "log.h"

/* The rules in force here follow a change made here at once. */
static void reload(struct api *a)
{
	char err[256];
	PGconn *c = db_acquire(a->pool, err, sizeof err);
	if (c && alertrules_reload(a->rules, c, err, sizeof err))
		log_warn("alert rule reload failed", "err=%s", log_q(err));
	if (c)
		db_release(a->pool, c);
}

static int run_create(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	return alertrules_create(c, arg, out, err, errlen);
}

void api_rule_create(const struct http_req *req, struct http_resp *resp, void *arg)
{
	json_t *body = api_body(req, resp, JSON_OBJECT);
	if (!body)
		return;
	api_run(arg, resp, run_create, body, "");
	json_decref(body);
	if (resp->status == 200)
		reload(arg);
}

static int run_list(PGconn *c, void *arg, json_t **out, char *err, size_t errlen)
{
	(void)arg;
	return alertrules_list(c, out, err, errlen);
}

void api_rules(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	api_run(arg, resp, run_list, NULL, "");
}

void api_rule_delete(const struct http_req *req, struct http_resp *resp, void *arg)
{
	api_delete(arg, resp, alertrules_delete, http_param(req, "id"), "no such alert rule");
	if (resp->status == 200)
		reload(arg);
}

/* {"rule": {...}, "lines": [...]}: what the rule makes of them. */
void api_rule_test(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)arg;
	char err[256];
	json_t *body = api_body(req, resp, JSON_OBJECT), *out;
	if (!body)
		return;
	int rc = alertrules_test(json_object_get(body, "rule"), json_object_get(body, "lines"), &out,
				 err, sizeof err);
	json_decref(body);
	if (rc)
		http_error(resp, 400, "bad_rule", "%s", err);
	else
		http_json(resp, 200, out);
}
