/* pods: `lensctl pods`, `lensctl workloads` and `lensctl describe
 * workload NAME|UID`: who runs where and holds which devices. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "cmd.h"
#include "jsonx.h"
#include "podmsg.h"
#include "table.h"

/* "5m" since an RFC 3339 time, "" when it does not parse. */
static int count_kind(const json_t *devices, const char *kind)
{
	json_t *d;
	size_t i;
	int n = 0;
	json_array_foreach(devices, i, d)
		n += strcmp(jsonx_str(d, "kind"), kind) == 0;
	return n;
}

/* GET path (with --node) and every page of its items. */
static int list(struct cmd_ctx *ctx, const char *path, json_t **items)
{
	char err[512];
	struct buf p = BUF_INIT;
	buf_puts(&p, path);
	client_param(&p, "node", ctx->node);
	int rc = client_get_all(&ctx->client, p.p, items, err, sizeof err);
	buf_free(&p);
	return rc ? cmd_fail(err) : 0;
}

static void pod_row(struct table *t, const json_t *p)
{
	char gpus[16], hcas[16], since[32];
	const json_t *devs = json_object_get(p, "devices");
	snprintf(gpus, sizeof gpus, "%d", count_kind(devs, "gpu"));
	snprintf(hcas, sizeof hcas, "%d", count_kind(devs, "ib"));
	table_age(jsonx_str(p, "first_seen"), since, sizeof since);
	const char *cells[] = {
		jsonx_str(p, "namespace"), jsonx_str(p, "name"), jsonx_str(p, "node"), jsonx_str(p, "phase"),
		gpus, hcas, jsonx_str(json_array_get(json_object_get(p, "workloads"), 0), "name"),
		since, jsonx_str(p, "uid"), jsonx_str(p, "source")};
	table_add(t, cells);
}

int cmd_pods(struct cmd_ctx *ctx)
{
	static const char *const headers[] = {"NAMESPACE", "NAME", "NODE", "PHASE", "GPUS",
					      "HCAS",      "WORKLOAD", "AGE", "UID", "SOURCE"};
	json_t *items;
	if (ctx->argc > 0)
		return cmd_fail("usage: lensctl pods [--node NODE] [-o wide|json]");
	if (list(ctx, "/api/v1/pods", &items))
		return 1;
	cmd_print_list(ctx, items, ctx->output == OUTPUT_WIDE ? 10 : 8, headers, pod_row, "pods");
	json_decref(items);
	return 0;
}

static void join_strings(const json_t *arr, char *out, size_t len)
{
	struct buf b = BUF_INIT;
	json_t *v;
	size_t i;
	json_array_foreach(arr, i, v)
		buf_printf(&b, "%s%s", i ? "," : "", json_string_value(v));
	snprintf(out, len, "%s", b.p ? b.p : "");
	buf_free(&b);
}

static void workload_row(struct table *t, const json_t *w)
{
	char pods[16], gpus[16], hcas[16], nodes[512], since[32];
	snprintf(pods, sizeof pods, "%lld",
		 (long long)json_integer_value(json_object_get(w, "pods_running")));
	snprintf(gpus, sizeof gpus, "%lld", (long long)json_integer_value(json_object_get(w, "gpus")));
	snprintf(hcas, sizeof hcas, "%lld", (long long)json_integer_value(json_object_get(w, "hcas")));
	join_strings(json_object_get(w, "nodes"), nodes, sizeof nodes);
	table_age(jsonx_str(w, "first_seen"), since, sizeof since);
	const char *cells[] = {jsonx_str(w, "namespace"), jsonx_str(w, "kind"), jsonx_str(w, "name"),
			       pods, nodes, gpus, hcas, since, jsonx_str(w, "uid")};
	table_add(t, cells);
}

int cmd_workloads(struct cmd_ctx *ctx)
{
	static const char *const headers[] = {"NAMESPACE", "KIND", "NAME", "PODS", "NODES",
					      "GPUS",      "HCAS", "AGE",  "UID"};
	json_t *items;
	if (ctx->argc > 0)
		return cmd_fail("usage: lensctl workloads [--node NODE] [-o wide|json]");
	if (list(ctx, "/api/v1/workloads", &items))
		return 1;
	cmd_print_list(ctx, items, ctx->output == OUTPUT_WIDE ? 9 : 8, headers, workload_row,
		       "workloads");
	json_decref(items);
	return 0;
}

/* used, allocated or held: the strongest tie of a device interval. */
static const char *state(const json_t *d)
{
	int s = podmsg_strength(d);
	return s >= 4 ? "used" : s >= 2 ? "allocated" : "held";
}

static void print_devices(const json_t *w)
{
	static const char *const headers[] = {"NODE", "KIND", "GPU", "ID", "POD", "CONTAINER",
					      "STATE", "SINCE", "UNTIL"};
	struct table *t = table_new(9, headers);
	const char *const lists[] = {"gpus", "hcas"};
	for (int l = 0; l < 2; l++) {
		json_t *d;
		size_t i;
		json_array_foreach(json_object_get(w, lists[l]), i, d) {
			char idx[16] = "";
			if (json_is_integer(json_object_get(d, "gpu_index")))
				snprintf(idx, sizeof idx, "%lld",
					 (long long)json_integer_value(json_object_get(d, "gpu_index")));
			const char *cells[] = {jsonx_str(d, "node"), jsonx_str(d, "kind"), idx, jsonx_str(d, "id"),
					       jsonx_str(d, "pod"), jsonx_str(d, "container"), state(d),
					       jsonx_str(d, "since"), jsonx_str(d, "until")};
			table_add(t, cells);
		}
	}
	table_print_indented(t, stdout, 2);
	table_free(t);
}

static void print_workload(const json_t *w)
{
	char nodes[512];
	json_t *p;
	size_t i;
	join_strings(json_object_get(w, "nodes"), nodes, sizeof nodes);
	printf("Name:        %s\nNamespace:   %s\nKind:        %s\nUID:         %s\n"
	       "Nodes:       %s\nSeen:        %s .. %s\nPods:\n",
	       jsonx_str(w, "name"), jsonx_str(w, "namespace"), jsonx_str(w, "kind"), jsonx_str(w, "uid"), nodes,
	       jsonx_str(w, "from"), jsonx_str(w, "to"));
	json_array_foreach(json_object_get(w, "pods"), i, p)
		printf("  %s  %s  %s%s\n", jsonx_str(p, "name"), jsonx_str(p, "node"), jsonx_str(p, "phase"),
		       json_is_null(json_object_get(p, "gone_at")) ? "" : "  (gone)");
	printf("Devices:\n");
	print_devices(w);
}

int cmd_describe(struct cmd_ctx *ctx)
{
	if (ctx->argc != 2 || strcmp(ctx->argv[0], "workload") != 0)
		return cmd_fail("usage: lensctl describe workload NAME|UID [-o json]");
	char err[512];
	struct buf path = BUF_INIT;
	buf_puts(&path, "/api/v1/workloads/");
	for (const unsigned char *c = (const unsigned char *)ctx->argv[1]; *c; c++)
		buf_printf(&path, strchr("/?#%& ", *c) ? "%%%02X" : "%c", *c);
	json_t *w;
	int rc = client_get(&ctx->client, path.p, &w, err, sizeof err);
	buf_free(&path);
	if (rc)
		return cmd_fail(err);
	if (ctx->output == OUTPUT_JSON)
		cmd_print_json(w);
	else
		print_workload(w);
	json_decref(w);
	return 0;
}
