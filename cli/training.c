/* training: `lensctl training WORKLOAD`, where a training job stands:
 * iteration and progress, loss, TFLOP/s, tokens/s per GPU, ETA, the
 * framework, the run and its recent events; `--metric NAME [--plot]`
 * prints one metric's series as a table or a terminal chart. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "jsonx.h"
#include "plot.h"
#include "table.h"

static void duration(long long s, char *out, size_t cap)
{
	if (s >= 86400)
		snprintf(out, cap, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, cap, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(out, cap, "%lldm %llds", s / 60, s % 60);
}

static void print_framework(const json_t *fw)
{
	const char *w = jsonx_str(fw, "wrapper_framework"), *b = jsonx_str(fw, "base_framework");
	if (!fw || json_is_null(fw)) {
		printf("%-14s<unknown>\n", "FRAMEWORK");
		return;
	}
	printf("%-14s%s%s%s (from %s, %s, confidence %.2f)\n", "FRAMEWORK", w, *w && *b ? " + " : "",
	       b, jsonx_str(fw, "source"), jsonx_str(fw, "method"),
	       json_number_value(json_object_get(fw, "confidence")));
}

static void print_run(const json_t *run)
{
	const char *state = !json_is_null(json_object_get(run, "hung_at")) ? "HUNG"
			    : !json_is_null(json_object_get(run, "ended_at")) ? "ended"
									       : "running";
	printf("%-14sserial %lld, started %s, %s", "RUN",
	       (long long)json_integer_value(json_object_get(run, "serial")),
	       jsonx_str(run, "started_at"), state);
	if (*jsonx_str(run, "end_reason"))
		printf(" (%s)", jsonx_str(run, "end_reason"));
	if (*jsonx_str(run, "hung_at"))
		printf(" since %s", jsonx_str(run, "hung_at"));
	if (!json_is_null(json_object_get(run, "slow_since")))
		printf(", slow since iteration %lld",
		       (long long)json_integer_value(json_object_get(run, "slow_since")));
	printf("\n");
}

static void print_latest(const json_t *l)
{
	char it[32], target[32], pct[32], v[64];
	table_num(l, "iteration", "%.0f", it, sizeof it);
	table_num(l, "target_iterations", "%.0f", target, sizeof target);
	table_num(l, "progress_percent", " (%.1f%%)", pct, sizeof pct);
	printf("%-14s%s%s%s%s  at %s\n", "ITERATION", it, *target ? " / " : "", target, pct,
	       jsonx_str(l, "at"));
	static const struct {
		const char *label, *key, *fmt;
	} rows[] = {{"LOSS", "lm_loss", "%.6g"},
		    {"LOSS", "loss", "%.6g"},
		    {"TFLOP/S/GPU", "tflops_per_gpu", "%.1f"},
		    {"TOKENS/S/GPU", "tokens_per_gpu_per_second", "%.1f"},
		    {"ITER TIME", "elapsed_time_per_iteration_ms", "%.1f ms"},
		    {"LR", "learning_rate", "%.3g"}};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		table_num(l, rows[i].key, rows[i].fmt, v, sizeof v);
		if (*v)
			printf("%-14s%s\n", rows[i].label, v);
	}
	if (json_object_get(l, "eta_seconds")) {
		duration((long long)json_integer_value(json_object_get(l, "eta_seconds")), v,
			 sizeof v);
		printf("%-14s%s\n", "ETA", v);
	}
}

static void print_events(const json_t *events)
{
	static const char *const h[] = {"TIME", "TYPE", "SERIAL", "ITERATION", "DETAILS"};
	struct table *t = table_new(5, h);
	size_t i;
	json_t *e;
	json_array_foreach(events, i, e) {
		char serial[16], it[24];
		snprintf(serial, sizeof serial, "%lld",
			 (long long)json_integer_value(json_object_get(e, "serial")));
		snprintf(it, sizeof it, "%lld",
			 (long long)json_integer_value(json_object_get(e, "iteration")));
		char *d = json_dumps(json_object_get(e, "details"), JSON_COMPACT | JSON_REAL_PRECISION(6));
		const char *cells[] = {jsonx_str(e, "occurred_at"), jsonx_str(e, "type"), serial, it, d};
		table_add(t, cells);
		free(d);
	}
	printf("\nEVENTS\n");
	table_print(t, stdout);
	table_free(t);
}

static int summary(struct cmd_ctx *ctx, const char *workload)
{
	struct buf path = BUF_INIT;
	char err[512];
	json_t *s;
	buf_printf(&path, "/api/v1/workloads/%s/training", workload);
	int rc = client_get(&ctx->client, path.p, &s, err, sizeof err);
	buf_free(&path);
	if (rc)
		return cmd_fail(err);
	if (ctx->output == OUTPUT_JSON) {
		cmd_print_json(s);
		return 0;
	}
	const json_t *w = json_object_get(s, "workload");
	printf("%-14s%s%s%s%s (uid %s)\n", "WORKLOAD", jsonx_str(w, "namespace"), w ? "/" : "",
	       jsonx_str(w, "name"), w ? "" : workload, jsonx_str(s, "workload_uid"));
	print_framework(json_object_get(s, "framework"));
	if (json_array_size(json_object_get(s, "runs")))
		print_run(json_array_get(json_object_get(s, "runs"), 0));
	if (json_is_object(json_object_get(s, "latest")))
		print_latest(json_object_get(s, "latest"));
	if (json_array_size(json_object_get(s, "events")))
		print_events(json_object_get(s, "events"));
	json_decref(s);
	return 0;
}

/* One metric's points: a table, or the chart with --plot. */
static int series(struct cmd_ctx *ctx, const char *workload)
{
	struct buf path = BUF_INIT;
	char err[512];
	json_t *r, *p;
	buf_printf(&path, "/api/v1/workloads/%s/metrics/data", workload);
	client_param(&path, "metrics", ctx->metric);
	client_param(&path, "data_source", ctx->data_source);
	int rc = client_get(&ctx->client, path.p, &r, err, sizeof err);
	buf_free(&path);
	if (rc)
		return cmd_fail(err);
	json_t *data = json_object_get(r, "data");
	size_t n = json_array_size(data), i;
	if (ctx->output == OUTPUT_JSON) {
		cmd_print_json(r);
	} else if (ctx->plot) {
		double *x = calloc(n + 1, sizeof *x), *y = calloc(n + 1, sizeof *y);
		json_array_foreach(data, i, p) {
			x[i] = json_number_value(json_object_get(p, "iteration"));
			y[i] = json_is_number(json_object_get(p, "value"))
				       ? json_number_value(json_object_get(p, "value"))
				       : NAN;
		}
		plot_series(stdout, x, y, n, 72, 16, ctx->metric);
		free(x);
		free(y);
	} else {
		static const char *const h[] = {"TIME", "SERIAL", "ITERATION", "SOURCE", "VALUE"};
		struct table *t = table_new(5, h);
		json_array_foreach(data, i, p) {
			char serial[16], it[24], v[64];
			table_num(p, "serial", "%.0f", serial, sizeof serial);
			table_num(p, "iteration", "%.0f", it, sizeof it);
			table_num(p, "value", "%.8g", v, sizeof v);
			char ts[40];
			long long ms = (long long)json_integer_value(json_object_get(p, "timestamp"));
			snprintf(ts, sizeof ts, "%lld.%03lld", ms / 1000, ms % 1000);
			const char *cells[] = {ts, serial, it, jsonx_str(p, "data_source"), v};
			table_add(t, cells);
		}
		table_print(t, stdout);
		table_free(t);
	}
	json_decref(r);
	return 0;
}

int cmd_training(struct cmd_ctx *ctx)
{
	if (ctx->argc != 1)
		return cmd_fail("usage: lensctl training WORKLOAD [--metric NAME [--plot]]") + 1;
	if (ctx->plot && !ctx->metric)
		return cmd_fail("--plot needs --metric NAME (lm_loss, tflops_per_gpu, ...)") + 1;
	return ctx->metric ? series(ctx, ctx->argv[0]) : summary(ctx, ctx->argv[0]);
}
