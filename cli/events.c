/* events: `lensctl events [-w]`, the kernel events of the cluster, one line
 * each with what happened in words; -w follows new ones like kubectl get -w. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "cmd.h"
#include "jsonx.h"
#include "table.h"

static long long num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* What happened, in words. */
static void summary(const json_t *e, struct buf *b)
{
	const char *type = jsonx_str(e, "type");
	const json_t *d = json_object_get(e, "details");
	if (strcmp(type, "oom_kill") == 0) {
		buf_printf(b, "OOM kill of %s (pid %lld)", jsonx_str(d, "victim_comm"), num(d, "victim_pid"));
		if (json_object_get(d, "limit_bytes"))
			buf_printf(b, ", limit %lld MiB", num(d, "limit_bytes") >> 20);
	} else if (strcmp(type, "exit") == 0) {
		buf_printf(b, "%s (pid %lld) %s", jsonx_str(e, "comm"), num(e, "pid"), jsonx_str(d, "how"));
		if (json_object_get(d, "signal"))
			buf_printf(b, " by %s", jsonx_str(d, "signal"));
		else if (num(d, "status"))
			buf_printf(b, " with status %lld", num(d, "status"));
		if (json_is_true(json_object_get(d, "core_dumped")))
			buf_puts(b, ", core dumped");
	} else if (strcmp(type, "signal") == 0) {
		buf_printf(b, "%s from %s (pid %lld) to %s (pid %lld)", jsonx_str(d, "signal"),
			   jsonx_str(d, "sender_comm"), num(d, "sender_pid"), jsonx_str(d, "target_comm"),
			   num(d, "target_pid"));
	} else if (strcmp(type, "exec") == 0) {
		json_t *a;
		size_t i;
		json_array_foreach(json_object_get(d, "argv"), i, a)
			buf_printf(b, "%s%s", i ? " " : "", json_string_value(a));
	} else if (strcmp(type, "pcie_aer") == 0) {
		buf_printf(b, "%s %s", jsonx_str(d, "device"), jsonx_str(d, "severity"));
		json_t *a;
		size_t i;
		json_array_foreach(json_object_get(d, "errors"), i, a)
			buf_printf(b, "%s%s", i ? "," : ": ", json_string_value(a));
	} else if (strcmp(type, "memory_error") == 0) {
		buf_printf(b, "%s x%lld %s %s", jsonx_str(d, "error_type"), num(d, "count"),
			   jsonx_str(d, "label"), jsonx_str(d, "message"));
	} else if (strcmp(type, "machine_check") == 0) {
		buf_printf(b, "bank %lld cpu %lld %s%s", num(d, "bank"), num(d, "cpu"),
			   jsonx_str(d, "class"),
			   json_is_true(json_object_get(d, "uncorrected")) ? " uncorrected" : "");
	} else {
		buf_puts(b, jsonx_str(d, "probe"));
	}
	if (b->len > 100) /* a table cell, not a log: the JSON has it all */
		b->p[97] = b->p[98] = b->p[99] = '.', b->p[100] = '\0', b->len = 100;
}

static void add_row(struct table *t, const json_t *e)
{
	struct buf what = BUF_INIT;
	summary(e, &what);
	const char *cells[] = {jsonx_str(e, "time"),      jsonx_str(e, "node"), jsonx_str(e, "type"),
			       jsonx_str(e, "namespace"), jsonx_str(e, "pod"),  what.p ? what.p : ""};
	table_add(t, cells);
	buf_free(&what);
}

static const char *const headers[] = {"TIME", "NODE", "TYPE", "NAMESPACE", "POD", "WHAT"};

static int fetch(struct cmd_ctx *ctx, const char *since, json_t **items)
{
	char err[512];
	struct buf q = BUF_INIT;
	buf_puts(&q, "/api/v1/events?limit=1000");
	client_param(&q, "node", ctx->node);
	client_param(&q, "type", ctx->types);
	client_param(&q, "pod", ctx->pod);
	client_param(&q, "workload", ctx->workload);
	client_param(&q, "since", since);
	int rc = client_get_items(&ctx->client, q.p, items, err, sizeof err);
	buf_free(&q);
	return rc ? cmd_fail(err) : 0;
}

/* Prints the events newer than *last (oldest first) and moves *last. */
static void print_new(json_t *items, char *last, size_t len, json_t *seen, bool header)
{
	struct table *t = table_new(6, header ? headers : NULL);
	int rows = 0;
	for (size_t i = json_array_size(items); i-- > 0;) {
		const json_t *e = json_array_get(items, i);
		char key[160];
		snprintf(key, sizeof key, "%s/%s/%s/%lld", jsonx_str(e, "time"), jsonx_str(e, "node"),
			 jsonx_str(e, "type"), num(e, "pid"));
		if (json_object_get(seen, key))
			continue;
		json_object_set_new(seen, key, json_true());
		add_row(t, e);
		rows++;
		snprintf(last, len, "%s", jsonx_str(e, "time"));
	}
	if (rows || header)
		table_print(t, stdout);
	fflush(stdout);
	table_free(t);
}

int cmd_events(struct cmd_ctx *ctx)
{
	if (ctx->argc > 0)
		return cmd_fail("usage: lensctl events [--node N] [--type T] [--pod P] "
				"[--workload W] [--since 1h] [-w] [-o json]");
	char since[64] = "";
	if (ctx->since_ns > 0)
		clock_format_rfc3339(clock_now_ns() - ctx->since_ns, 6, since, sizeof since);
	json_t *items, *seen = json_object();
	if (fetch(ctx, since, &items)) {
		json_decref(seen);
		return 1;
	}
	if (ctx->output == OUTPUT_JSON && !ctx->watch) {
		cmd_print_json(items);
	} else if (!ctx->watch && json_array_size(items) == 0) {
		fprintf(stderr, "No kernel events found.\n");
	} else {
		print_new(items, since, sizeof since, seen, true);
	}
	json_decref(items);
	for (long n = 1; ctx->watch && (ctx->iterations <= 0 || n < ctx->iterations); n++) {
		struct timespec ts = {ctx->interval_ns / NS_PER_SEC, ctx->interval_ns % NS_PER_SEC};
		nanosleep(&ts, NULL);
		if (fetch(ctx, since, &items))
			break;
		print_new(items, since, sizeof since, seen, false);
		json_decref(items);
	}
	json_decref(seen);
	return 0;
}
