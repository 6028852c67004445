/* gpus: `lensctl gpus [--node N]`, every GPU with its latest sample and
 * the pod and workload holding it, and
 * `lensctl top`, the same table refreshed in place like top(1). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "cmd.h"
#include "envelope.h"
#include "jsonx.h"
#include "podmsg.h"
#include "table.h"

/* A sample value, or NAN-free absence: returns 0 when the key is missing. */
static int value(json_t *values, const char *key, double *out)
{
	json_t *v = json_object_get(values, key);
	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return 1;
}

static void gib(double bytes, char *out, size_t len)
{
	snprintf(out, len, "%.1f", bytes / (1024.0 * 1024 * 1024));
}

static void health(json_t *sample, char *out, size_t len)
{
	json_t *h = json_object_get(sample, "health");
	if (!sample || json_is_null(sample)) {
		snprintf(out, len, "Unknown");
		return;
	}
	if (json_array_size(h) == 0) {
		snprintf(out, len, "OK");
		return;
	}
	struct buf b = BUF_INIT;
	size_t i;
	json_t *c;
	json_array_foreach(h, i, c)
		buf_printf(&b, "%s%s", i ? "," : "", json_string_value(c));
	snprintf(out, len, "%s", b.p);
	buf_free(&b);
}

/* The pod that holds the GPU most strongly (used > allocated > held) as
 * namespace/name, "+N" when others share it, and that pod's workload. */
static void holder(const json_t *g, char *pod, size_t plen, char *workload, size_t wlen)
{
	const json_t *pods = json_object_get(g, "pods"), *p, *best = NULL;
	int best_score = -1;
	size_t i;
	json_array_foreach(pods, i, p) {
		int score = podmsg_strength(p);
		if (score > best_score)
			best = p, best_score = score;
	}
	pod[0] = workload[0] = '\0';
	if (!best)
		return;
	size_t more = json_array_size(pods) - 1;
	snprintf(pod, plen, "%s/%s%s", jsonx_str(best, "namespace"), jsonx_str(best, "name"), more ? ",+" : "");
	if (more)
		snprintf(pod + strlen(pod), plen - strlen(pod), "%zu", more);
	snprintf(workload, wlen, "%s",
		 jsonx_str(json_array_get(json_object_get(best, "workloads"), 0), "name"));
}

static void add_gpu_row(struct table *t, const json_t *g)
{
	json_t *attr = json_object_get(g, "attributes"), *sample = json_object_get(g, "sample");
	json_t *v = json_object_get(sample, "values");
	char idx[16], util[16] = "", vram[48] = "", temp[16] = "", power[16] = "", hl[128];
	char used[16], total[16];
	double x, y;
	snprintf(idx, sizeof idx, "%lld", (long long)json_integer_value(json_object_get(attr, "index")));
	if (value(v, "busy_percent", &x))
		snprintf(util, sizeof util, "%.0f%%", x);
	if (value(v, "vram_used_bytes", &x) && value(v, "vram_total_bytes", &y)) {
		gib(x, used, sizeof used);
		gib(y, total, sizeof total);
		snprintf(vram, sizeof vram, "%s/%sGiB", used, total);
	}
	if (value(v, "temperature_junction_celsius", &x) ||
	    value(v, "temperature_edge_celsius", &x))
		snprintf(temp, sizeof temp, "%.0fC", x);
	if (value(v, "power_average_watts", &x))
		snprintf(power, sizeof power, "%.0fW", x);
	health(sample, hl, sizeof hl);
	if (!json_is_true(json_object_get(g, "present")))
		snprintf(hl, sizeof hl, "Gone");
	char pod[320], workload[256];
	holder(g, pod, sizeof pod, workload, sizeof workload);
	const char *cells[] = {jsonx_str(g, "node"), idx, jsonx_str(g, "id"), jsonx_str(attr, "product"), util, vram,
			       temp, power, hl, pod, workload, jsonx_str(attr, "serial"),
			       jsonx_str(attr, "unique_id"), jsonx_str(attr, "driver_version"),
			       jsonx_str(sample, "sampled_at")};
	table_add(t, cells);
}

static int print_gpus(struct cmd_ctx *ctx, int wide)
{
	static const char *const headers[] = {"NODE",   "GPU",    "BDF",     "PRODUCT", "UTIL",
					      "VRAM",   "TEMP",   "POWER",   "HEALTH",  "POD",
					      "WORKLOAD", "SERIAL", "UUID",  "DRIVER",  "SAMPLED"};
	char err[512];
	if (ctx->node && !envelope_valid_node_name(ctx->node)) {
		snprintf(err, sizeof err, "\"%s\" is not a valid node name", ctx->node);
		return cmd_fail(err);
	}
	struct buf path = BUF_INIT;
	buf_puts(&path, "/api/v1/gpus");
	if (ctx->node)
		buf_printf(&path, "?node=%s", ctx->node);
	json_t *items;
	int rc = client_get_all(&ctx->client, path.p, &items, err, sizeof err);
	buf_free(&path);
	if (rc)
		return cmd_fail(err);
	cmd_print_list(ctx, items, wide ? 15 : 11, headers, add_gpu_row, "GPUs");
	json_decref(items);
	return 0;
}

int cmd_gpus(struct cmd_ctx *ctx)
{
	if (ctx->argc > 0)
		return cmd_fail("usage: lensctl gpus [--node NODE] [-o wide|json]");
	return print_gpus(ctx, ctx->output == OUTPUT_WIDE);
}

int cmd_top(struct cmd_ctx *ctx)
{
	int tty = isatty(STDOUT_FILENO);
	for (long n = 0; ctx->iterations <= 0 || n < ctx->iterations; n++) {
		if (n > 0) {
			struct timespec ts = {ctx->interval_ns / NS_PER_SEC,
					      ctx->interval_ns % NS_PER_SEC};
			nanosleep(&ts, NULL);
		}
		if (tty)
			fputs("\033[H\033[2J", stdout);
		char now[40];
		clock_format_rfc3339(clock_now_ns(), 0, now, sizeof now);
		printf("lensctl top - %s - every %.0fs - %s\n\n", now,
		       (double)ctx->interval_ns / NS_PER_SEC, ctx->client.server);
		int rc = print_gpus(ctx, 0);
		fflush(stdout);
		if (rc)
			return rc;
	}
	return 0;
}
