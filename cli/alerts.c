/* alerts: `lensctl alerts [-w]`, the alerts of the cluster (open ones by
 * default), and `lensctl silence add|list|rm`, silences with
 * Alertmanager's matchers (docs/alerts.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "cmd.h"
#include "jsonx.h"
#include "table.h"

static const char *const alert_headers[] = {"ID",   "AGE",      "STATUS", "SEVERITY",
					    "SOURCE", "NAME",   "POD",    "WORKLOAD",
					    "NODE", "RELATED", "SUMMARY"};

static void alert_row(struct table *t, const json_t *a)
{
	char id[24], age[32], pod[320], related[16];
	const json_t *ann = json_object_get(a, "annotations");
	const char *summary = *jsonx_str(ann, "summary") ? jsonx_str(ann, "summary")
							 : jsonx_str(ann, "message");
	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(a, "id")));
	table_age(jsonx_str(a, "starts_at"), age, sizeof age);
	snprintf(pod, sizeof pod, "%s%s%s", jsonx_str(a, "namespace"),
		 *jsonx_str(a, "namespace") ? "/" : "", jsonx_str(a, "pod"));
	snprintf(related, sizeof related, "%lld",
		 (long long)json_integer_value(json_object_get(a, "correlations")));
	const char *cells[] = {id,
			       age,
			       jsonx_str(a, "status"),
			       jsonx_str(a, "severity"),
			       jsonx_str(a, "source"),
			       jsonx_str(a, "name"),
			       pod,
			       jsonx_str(a, "workload"),
			       jsonx_str(a, "node"),
			       related,
			       summary};
	table_add(t, cells);
}

static int fetch_alerts(struct cmd_ctx *ctx, json_t **items)
{
	char err[512];
	struct buf q = BUF_INIT;
	buf_puts(&q, "/api/v1/alerts?limit=1000");
	const char *status = ctx->status ? ctx->status : "firing,silenced";
	client_param(&q, "status", strcmp(status, "all") ? status : NULL);
	client_param(&q, "node", ctx->node);
	client_param(&q, "pod", ctx->pod);
	client_param(&q, "workload", ctx->workload);
	int rc = client_get_items(&ctx->client, q.p, items, err, sizeof err);
	buf_free(&q);
	return rc ? cmd_fail(err) : 0;
}

/* -w: the alerts that are new or changed since the last look, oldest first. */
static void print_changes(json_t *items, json_t *seen)
{
	struct table *t = table_new(11, NULL);
	int rows = 0;
	for (size_t i = json_array_size(items); i-- > 0;) {
		const json_t *a = json_array_get(items, i);
		char key[64];
		snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(a, "id")));
		const char *was = jsonx_str(json_object_get(seen, key), "updated_at");
		if (strcmp(was, jsonx_str(a, "updated_at")) == 0)
			continue;
		json_object_set_new(seen, key, json_pack("{s:s}", "updated_at", jsonx_str(a, "updated_at")));
		alert_row(t, a);
		rows++;
	}
	if (rows)
		table_print(t, stdout);
	fflush(stdout);
	table_free(t);
}

static void remember(json_t *items, json_t *seen)
{
	const json_t *a;
	size_t i;
	json_array_foreach(items, i, a) {
		char key[64];
		snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(a, "id")));
		json_object_set_new(seen, key, json_pack("{s:s}", "updated_at", jsonx_str(a, "updated_at")));
	}
}

int cmd_alerts(struct cmd_ctx *ctx)
{
	json_t *items, *seen = json_object();
	if (ctx->argc > 0)
		return cmd_fail("usage: lensctl alerts [--status firing,silenced|resolved|all] "
				"[--workload W] [--pod P] [--node N] [-w] [-o json]");
	if (fetch_alerts(ctx, &items)) {
		json_decref(seen);
		return 1;
	}
	cmd_print_list(ctx, items, 11, alert_headers, alert_row, "alerts");
	remember(items, seen);
	json_decref(items);
	for (long n = 1; ctx->watch && (ctx->iterations <= 0 || n < ctx->iterations); n++) {
		struct timespec ts = {ctx->interval_ns / NS_PER_SEC, ctx->interval_ns % NS_PER_SEC};
		nanosleep(&ts, NULL);
		if (fetch_alerts(ctx, &items))
			break;
		print_changes(items, seen);
		json_decref(items);
	}
	json_decref(seen);
	return 0;
}

/* ---- Silences ---------------------------------------------------------- */

/* NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX. */
static json_t *parse_matcher(const char *s)
{
	size_t n = strcspn(s, "=!");
	static const char *const ops[] = {"=~", "!~", "!=", "="};
	if (n == 0 || !s[n])
		return NULL;
	for (size_t i = 0; i < 4; i++)
		if (strncmp(s + n, ops[i], strlen(ops[i])) == 0) {
			json_t *name = json_stringn(s, n);
			return json_pack("{s:o,s:s,s:s}", "name", name, "op", ops[i], "value",
					 s + n + strlen(ops[i]));
		}
	return NULL;
}

static const char silence_usage[] =
	"usage: lensctl silence add MATCHER... [--duration 2h] [--comment TEXT]\n"
	"       lensctl silence list [-o json]\n"
	"       lensctl silence rm ID\n"
	"  MATCHER: name=value, name!=value, name=~regex or name!~regex";

static int silence_add(struct cmd_ctx *ctx)
{
	char err[512], dur[32];
	json_t *matchers = json_array(), *out;
	for (int i = 1; i < ctx->argc; i++) {
		json_t *m = parse_matcher(ctx->argv[i]);
		if (!m) {
			json_decref(matchers);
			return cmd_fail(silence_usage);
		}
		json_array_append_new(matchers, m);
	}
	snprintf(dur, sizeof dur, "%llds", (long long)(ctx->duration_ns / NS_PER_SEC));
	const char *user = getenv("USER");
	json_t *body = json_pack("{s:o,s:s,s:s,s:s}", "matchers", matchers, "duration", dur,
				 "comment", ctx->comment ? ctx->comment : "", "created_by",
				 user ? user : "");
	int rc = client_request(&ctx->client, "POST", "/api/v1/silences", body, &out, err,
				sizeof err);
	json_decref(body);
	if (rc)
		return cmd_fail(err);
	if (ctx->output == OUTPUT_JSON)
		cmd_print_json(out);
	else
		printf("silence %lld created, %s until %s\n",
		       (long long)json_integer_value(json_object_get(out, "id")), jsonx_str(out, "state"),
		       jsonx_str(out, "ends_at"));
	json_decref(out);
	return 0;
}

static void silence_row(struct table *t, const json_t *s)
{
	char id[24];
	struct buf m = BUF_INIT;
	const json_t *x;
	size_t i;
	json_array_foreach(json_object_get(s, "matchers"), i, x)
		buf_printf(&m, "%s%s%s%s", i ? "," : "", jsonx_str(x, "name"), jsonx_str(x, "op"),
			   jsonx_str(x, "value"));
	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(s, "id")));
	const char *cells[] = {id, jsonx_str(s, "state"), m.p, jsonx_str(s, "starts_at"),
			       jsonx_str(s, "ends_at"), jsonx_str(s, "created_by"),
			       jsonx_str(s, "comment")};
	table_add(t, cells);
	buf_free(&m);
}

static int silence_list(struct cmd_ctx *ctx)
{
	static const char *const headers[] = {"ID",   "STATE", "MATCHERS", "STARTS",
					      "ENDS", "BY",    "COMMENT"};
	char err[512];
	json_t *items;
	if (client_get_items(&ctx->client, "/api/v1/silences", &items, err, sizeof err))
		return cmd_fail(err);
	cmd_print_list(ctx, items, 7, headers, silence_row, "silences");
	json_decref(items);
	return 0;
}

static int silence_rm(struct cmd_ctx *ctx, const char *id)
{
	char err[512];
	struct buf path = BUF_INIT;
	json_t *out;
	if (!*id || strspn(id, "0123456789") != strlen(id))
		return cmd_fail("a silence ID is a number (lensctl silence list shows them)");
	buf_printf(&path, "/api/v1/silences/%s", id);
	int rc = client_request(&ctx->client, "DELETE", path.p, NULL, &out, err, sizeof err);
	buf_free(&path);
	if (rc)
		return cmd_fail(err);
	json_decref(out);
	printf("silence %s expired\n", id);
	return 0;
}

int cmd_silence(struct cmd_ctx *ctx)
{
	const char *sub = ctx->argc ? ctx->argv[0] : "";
	if (strcmp(sub, "add") == 0 && ctx->argc >= 2)
		return silence_add(ctx);
	if (strcmp(sub, "list") == 0 && ctx->argc == 1)
		return silence_list(ctx);
	if (strcmp(sub, "rm") == 0 && ctx->argc == 2)
		return silence_rm(ctx, ctx->argv[1]);
	return cmd_fail(silence_usage) + 1;
}
