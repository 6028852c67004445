/* nodes: `lensctl nodes [NAME]`, the node list as kubectl shows nodes. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "cmd.h"
#include "jsonx.h"
#include "table.h"

/* Time since an RFC 3339 field, as an age ("5m"), or "" when absent. */
static void format_bytes(double b, char *out, size_t len)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f%s" : "%.0f%s", b, units[u]);
}

static void add_node_row(struct table *t, const json_t *n)
{
	char age[32], seen[32], cpus[16], mem[32];
	table_age(jsonx_str(n, "first_seen"), age, sizeof age);
	double ago = json_number_value(json_object_get(n, "seen_seconds_ago"));
	clock_format_age((int64_t)(ago * NS_PER_SEC), seen, sizeof seen);
	strcat(seen, " ago");
	const char *status = strcmp(jsonx_str(n, "status"), "online") == 0 ? "Ready" : "NotReady";
	const char *cells[] = {jsonx_str(n, "name"), status, age, seen, jsonx_str(n, "kernel_release"),
			       jsonx_str(n, "agent_version"), jsonx_str(n, "os_image"), jsonx_str(n, "architecture"),
			       cpus, mem};
	snprintf(cpus, sizeof cpus, "%lld",
		 (long long)json_integer_value(json_object_get(n, "cpu_count")));
	format_bytes((double)json_integer_value(json_object_get(n, "memory_bytes")), mem,
		     sizeof mem);
	table_add(t, cells);
}


int cmd_nodes(struct cmd_ctx *ctx)
{
	char err[512];
	json_t *items;
	int rc;
	if (ctx->argc > 1)
		return cmd_fail("usage: lensctl nodes [NAME]");
	if (ctx->argc == 1) {
		struct buf path = BUF_INIT;
		buf_printf(&path, "/api/v1/nodes/%s", ctx->argv[0]);
		json_t *node;
		rc = client_get(&ctx->client, path.p, &node, err, sizeof err);
		buf_free(&path);
		if (rc)
			return cmd_fail(err);
		items = json_pack("[o]", node);
	} else if (client_get_all(&ctx->client, "/api/v1/nodes", &items, err, sizeof err)) {
		return cmd_fail(err);
	}
	static const char *const headers[] = {"NAME",   "STATUS",   "AGE",  "LAST-SEEN", "KERNEL",
					      "AGENT",  "OS-IMAGE", "ARCH", "CPUS",      "MEMORY"};
	if (ctx->output == OUTPUT_JSON && ctx->argc == 1)
		cmd_print_json(json_array_get(items, 0));
	else
		cmd_print_list(ctx, items, ctx->output == OUTPUT_WIDE ? 10 : 6, headers, add_node_row,
			       "nodes");
	json_decref(items);
	return 0;
}
