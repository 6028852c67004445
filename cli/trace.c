/* trace: PyTorch profiler traces. `lensctl trace analyze FILE` analyses
 * one here, with no server (trace/trace.h): the GPU timeline, per device
 * and stream, the op summaries and the collectives, as tables a person
 * reads or as the JSON programs read. `trace list` and `trace show ID` do
 * the same for the traces the agents collected from pods. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "jsonx.h"
#include "table.h"
#include "trace.h"

static void print_timelines(const json_t *r)
{
	static const char *const h[] = {"TYPE", "LINKED (ms)", "%", "ALL EVENTS (ms)", "%"};
	const json_t *linked = json_object_get(r, "gpu_timeline");
	const json_t *all = json_object_get(r, "gpu_timeline_all_events");
	struct table *t = table_new(5, h);
	for (size_t i = 0; i < json_array_size(all); i++) {
		const json_t *a = json_array_get(all, i), *l = json_array_get(linked, i);
		char b[4][32];
		const char *cells[] = {jsonx_str(a, "type"), table_num(l, "time_ms", "%.3f", b[0], 32),
				       table_num(l, "percent", "%.2f", b[1], 32),
				       table_num(a, "time_ms", "%.3f", b[2], 32),
				       table_num(a, "percent", "%.2f", b[3], 32)};
		table_add(t, cells);
	}
	printf("\nGPU TIMELINE (linked: GPU events with their CPU launch, as TraceLens reports it)\n");
	table_print(t, stdout);
	table_free(t);
}

/* The value of one row of a timeline. */
static double tl(const json_t *timeline, const char *type)
{
	size_t i;
	json_t *r;
	json_array_foreach(timeline, i, r)
		if (strcmp(jsonx_str(r, "type"), type) == 0)
			return json_number_value(json_object_get(r, "time_ms"));
	return 0;
}

static void print_streams(const json_t *r)
{
	static const char *const h[] = {"DEVICE", "STREAM", "BUSY (ms)", "COMPUTE", "COMM",
					"MEMCPY", "MEMSET", "IDLE (ms)", "IDLE %"};
	struct table *t = table_new(9, h);
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(r, "streams"), i, s) {
		const json_t *x = json_object_get(s, "gpu_timeline");
		char b[9][32];
		snprintf(b[0], 32, "%lld", (long long)json_integer_value(json_object_get(s, "device")));
		snprintf(b[1], 32, "%lld", (long long)json_integer_value(json_object_get(s, "stream")));
		snprintf(b[2], 32, "%.3f", tl(x, "busy_time"));
		snprintf(b[3], 32, "%.3f", tl(x, "computation_time"));
		snprintf(b[4], 32, "%.3f", tl(x, "total_comm_time"));
		snprintf(b[5], 32, "%.3f", tl(x, "total_memcpy_time"));
		snprintf(b[6], 32, "%.3f", tl(x, "total_memset_time"));
		snprintf(b[7], 32, "%.3f", tl(x, "idle_time"));
		double total = tl(x, "total_time");
		snprintf(b[8], 32, "%.1f", total > 0 ? tl(x, "idle_time") / total * 100 : 0.0);
		const char *cells[] = {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]};
		table_add(t, cells);
	}
	printf("\nSTREAMS (every GPU event)\n");
	table_print(t, stdout);
	table_free(t);
}

static void print_ops(const json_t *r)
{
	static const char *const hc[] = {"OP CATEGORY", "COUNT", "KERNEL TIME (ms)", "%", "CUMULATIVE %"};
	static const char *const ho[] = {"OP", "COUNT", "KERNEL TIME (ms)", "SUBTREE (ms)", "%",
					 "CATEGORY"};
	struct table *c = table_new(5, hc), *o = table_new(6, ho);
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(r, "ops_summary_by_category"), i, x) {
		char b[4][32];
		const char *cells[] = {jsonx_str(x, "op_category"), table_num(x, "count", "%.0f", b[0], 32),
				       table_num(x, "total_direct_kernel_time_ms", "%.3f", b[1], 32),
				       table_num(x, "percent", "%.2f", b[2], 32),
				       table_num(x, "cumulative_percent", "%.2f", b[3], 32)};
		table_add(c, cells);
	}
	json_array_foreach(json_object_get(r, "ops_summary"), i, x) {
		if (i == 20)
			break;
		char b[4][32], name[80];
		snprintf(name, sizeof name, "%.79s", jsonx_str(x, "name"));
		const char *cells[] = {name, table_num(x, "count", "%.0f", b[0], 32),
				       table_num(x, "total_direct_kernel_time_ms", "%.3f", b[1], 32),
				       table_num(x, "total_subtree_kernel_time_ms", "%.3f", b[2], 32),
				       table_num(x, "percent", "%.2f", b[3], 32),
				       json_string_value(json_array_get(json_object_get(x, "categories"), 0))};
		table_add(o, cells);
	}
	printf("\nOPS BY CATEGORY (non-communication kernel time by launching op)\n");
	table_print(c, stdout);
	printf("\nTOP OPS (of %zu)\n", json_array_size(json_object_get(r, "ops_summary")));
	table_print(o, stdout);
	table_free(c);
	table_free(o);
}

static void print_collectives(const json_t *r)
{
	static const char *const h[] = {"COLLECTIVE", "DTYPE", "IN NELEMS", "GROUP", "STREAM",
					"COUNT", "TOTAL (ms)", "MEAN (us)", "ALGO GB/s", "BUS GB/s"};
	struct table *t = table_new(10, h);
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(r, "collectives"), i, x) {
		char b[8][32];
		snprintf(b[7], 32, "%.3f", json_number_value(json_object_get(x, "dur_sum_us")) / 1000);
		const char *cells[] = {jsonx_str(x, "collective"), jsonx_str(x, "dtype"),
				       table_num(x, "in_msg_nelems", "%.0f", b[0], 32),
				       table_num(x, "group_size", "%.0f", b[1], 32),
				       table_num(x, "stream", "%.0f", b[2], 32),
				       table_num(x, "count", "%.0f", b[3], 32), b[7],
				       table_num(x, "dur_mean_us", "%.3f", b[4], 32),
				       table_num(x, "algo_bw_gbps", "%.2f", b[5], 32),
				       table_num(x, "bus_bw_gbps", "%.2f", b[6], 32)};
		table_add(t, cells);
	}
	printf("\nCOLLECTIVES (%lld kernels without collective metadata, kept as unknown)\n",
	       (long long)json_integer_value(json_object_get(r, "collective_kernels_without_metadata")));
	table_print(t, stdout);
	table_free(t);
}

static void print_report(const char *path, const json_t *r)
{
	const json_t *f = json_object_get(r, "file"), *l = json_object_get(r, "linking");
	printf("FILE      %s (%.1f MB%s, %.1f MB of JSON, %lld events)\n", path,
	       json_number_value(json_object_get(f, "bytes")) / 1e6,
	       json_is_true(json_object_get(f, "gzip")) ? " gzip" : "",
	       json_number_value(json_object_get(f, "json_bytes")) / 1e6,
	       (long long)json_integer_value(json_object_get(f, "events")));
	if (json_is_true(json_object_get(r, "partial")))
		printf("PARTIAL   %s: what follows covers the events read before it\n",
		       jsonx_str(r, "error"));
	printf("LINKING   %lld of %lld GPU events linked (%lld unlinked): %s\n",
	       (long long)json_integer_value(json_object_get(l, "linked")),
	       (long long)json_integer_value(json_object_get(l, "gpu_events")),
	       (long long)json_integer_value(json_object_get(l, "unlinked")), jsonx_str(l, "note"));
	print_timelines(r);
	print_streams(r);
	print_ops(r);
	print_collectives(r);
}

static int analyze(struct cmd_ctx *ctx, const char *path)
{
	json_t *r = NULL;
	char err[512];
	int rc = trace_analyze(path, (uint64_t)ctx->max_events, &r, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "lensctl: %s: %s\n", path, err);
		return 1;
	}
	if (ctx->output == OUTPUT_JSON)
		cmd_print_json(r);
	else
		print_report(path, r);
	json_decref(r);
	return rc; /* 1: partial */
}

static const char *const list_headers[] = {"ID",     "FOUND",    "NAMESPACE", "POD",
					   "WORKLOAD", "STATUS", "BUSY",    "TOTAL",
					   "CONTENT", "PATH"};

static void list_row(struct table *t, const json_t *f)
{
	char busy[32], total[32];
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(f, "id")));
	const char *cells[] = {id,
			       jsonx_str(f, "found_at"),
			       jsonx_str(f, "namespace"),
			       jsonx_str(f, "pod"),
			       jsonx_str(f, "workload"),
			       jsonx_str(f, "status"),
			       table_num(f, "busy_ms", "%.1f ms", busy, sizeof busy),
			       table_num(f, "total_ms", "%.1f ms", total, sizeof total),
			       jsonx_str(f, "content"),
			       jsonx_str(f, "path")};
	table_add(t, cells);
}

/* The traces the cluster collected, newest first. */
static int list(struct cmd_ctx *ctx)
{
	char err[512];
	struct buf q = BUF_INIT;
	json_t *items;
	buf_puts(&q, "/api/v1/profiler/files?limit=1000");
	client_param(&q, "node", ctx->node);
	client_param(&q, "pod", ctx->pod);
	client_param(&q, "workload", ctx->workload);
	int rc = client_get_items(&ctx->client, q.p, &items, err, sizeof err);
	buf_free(&q);
	if (rc)
		return cmd_fail(err);
	cmd_print_list(ctx, items, 10, list_headers, list_row, "profiler traces");
	json_decref(items);
	return 0;
}

/* One collected trace: where it came from, then the report as `analyze`
 * prints it. */
static int show(struct cmd_ctx *ctx, const char *id)
{
	char err[512];
	struct buf q = BUF_INIT;
	json_t *f;
	if (!*id || strspn(id, "0123456789") != strlen(id))
		return cmd_fail("a trace ID is a number (lensctl trace list shows them)");
	buf_printf(&q, "/api/v1/profiler/files/%s", id);
	int rc = client_get(&ctx->client, q.p, &f, err, sizeof err);
	buf_free(&q);
	if (rc)
		return cmd_fail(err);
	const json_t *report = json_object_get(f, "analysis");
	if (ctx->output == OUTPUT_JSON) {
		cmd_print_json(f);
	} else {
		printf("ID        %s\nNODE      %s\nPOD       %s/%s (%s)\nWORKLOAD  %s\n"
		       "FOUND     %s (modified %s)\nSTATUS    %s%s%s (analysed on the node in %.3f s)\n"
		       "CONTENT   %s, %lld bytes gzip (GET /api/v1/profiler/files/%s/content)\n",
		       id, jsonx_str(f, "node"), jsonx_str(f, "namespace"), jsonx_str(f, "pod"),
		       jsonx_str(f, "pod_uid"), jsonx_str(f, "workload"), jsonx_str(f, "found_at"),
		       jsonx_str(f, "modified_at"), jsonx_str(f, "status"),
		       *jsonx_str(f, "error") ? ": " : "", jsonx_str(f, "error"),
		       json_number_value(json_object_get(f, "analysis_seconds")),
		       jsonx_str(f, "content"),
		       (long long)json_integer_value(json_object_get(f, "content_bytes")), id);
		if (json_is_object(report))
			print_report(jsonx_str(f, "path"), report);
	}
	json_decref(f);
	return 0;
}

int cmd_trace(struct cmd_ctx *ctx)
{
	if (ctx->argc == 2 && strcmp(ctx->argv[0], "analyze") == 0)
		return analyze(ctx, ctx->argv[1]);
	if (ctx->argc == 2 && strcmp(ctx->argv[0], "show") == 0)
		return show(ctx, ctx->argv[1]);
	if (ctx->argc == 1 && strcmp(ctx->argv[0], "list") == 0)
		return list(ctx);
	return cmd_fail("usage: lensctl trace analyze FILE [-o table|json] [--max-events N]\n"
			"       lensctl trace list [--workload W] [--pod P] [--node N] [-o json]\n"
			"       lensctl trace show ID [-o json]") + 1;
}
