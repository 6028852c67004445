/* logs: `lensctl logs POD|workload/NAME [-c CONTAINER] [-f] [--since 1h]
 * [--grep RE]`, container log lines as kubectl logs prints them, oldest
 * first; a workload's lines carry their pod and container in front. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "cmd.h"
#include "jsonx.h"

/* One page of lines after `since`, oldest first. */
static int fetch(struct cmd_ctx *ctx, const char *target, bool workload, const char *since,
		 long long offset, json_t **items)
{
	char err[512];
	struct buf q = BUF_INIT;
	buf_printf(&q, "/api/v1/logs?order=asc&limit=10000&offset=%lld", offset);
	client_param(&q, workload ? "workload" : "pod", target);
	client_param(&q, "namespace", ctx->namespace_);
	client_param(&q, "container", ctx->container);
	client_param(&q, "since", since);
	client_param(&q, "q", ctx->grep);
	if (ctx->grep)
		buf_puts(&q, "&regex=true");
	int rc = client_get_items(&ctx->client, q.p, items, err, sizeof err);
	buf_free(&q);
	return rc ? cmd_fail(err) : 0;
}

/* Prints lines not printed yet; moves since to the newest time. */
static size_t print_lines(const json_t *items, bool workload, char *since, size_t len,
			  json_t *seen)
{
	const json_t *l;
	size_t i, printed = 0;
	json_array_foreach(items, i, l) {
		struct buf key = BUF_INIT;
		buf_printf(&key, "%s/%s/%s/%s", jsonx_str(l, "time"), jsonx_str(l, "pod"), jsonx_str(l, "container"),
			   jsonx_str(l, "line"));
		if (!json_object_get(seen, key.p)) {
			json_object_set_new(seen, key.p, json_true());
			if (workload)
				printf("%s/%s: ", jsonx_str(l, "pod"), jsonx_str(l, "container"));
			printf("%s\n", jsonx_str(l, "line"));
			printed++;
		}
		buf_free(&key);
		snprintf(since, len, "%s", jsonx_str(l, "time"));
	}
	fflush(stdout);
	return printed;
}

int cmd_logs(struct cmd_ctx *ctx)
{
	if (ctx->argc != 1)
		return cmd_fail("usage: lensctl logs POD|workload/NAME [-c CONTAINER] [-n NAMESPACE] "
				"[-f] [--since 1h] [--grep RE] [-o json]");
	bool workload = strncmp(ctx->argv[0], "workload/", 9) == 0;
	const char *target = workload ? ctx->argv[0] + 9 : ctx->argv[0];
	char since[64] = "";
	if (ctx->since_ns > 0)
		clock_format_rfc3339(clock_now_ns() - ctx->since_ns, 6, since, sizeof since);
	json_t *seen = json_object(), *items;
	char from[64];
	snprintf(from, sizeof from, "%s", since);
	/* Everything so far, page by page; then, with -f, what comes. */
	for (long long offset = 0;; offset += 10000) {
		if (fetch(ctx, target, workload, from, offset, &items)) {
			json_decref(seen);
			return 1;
		}
		size_t n = json_array_size(items);
		if (ctx->output == OUTPUT_JSON)
			cmd_print_json(items);
		else
			print_lines(items, workload, since, sizeof since, seen);
		json_decref(items);
		if (n < 10000)
			break;
	}
	for (long n = 1; ctx->follow && (ctx->iterations <= 0 || n < ctx->iterations); n++) {
		struct timespec ts = {ctx->interval_ns / NS_PER_SEC, ctx->interval_ns % NS_PER_SEC};
		nanosleep(&ts, NULL);
		if (!since[0])
			clock_format_rfc3339(clock_now_ns() - 3600 * NS_PER_SEC, 6, since, sizeof since);
		if (fetch(ctx, target, workload, since, 0, &items))
			break;
		print_lines(items, workload, since, sizeof since, seen);
		json_decref(items);
	}
	json_decref(seen);
	return 0;
}
