/* lensctl: the command line for Lens, in the style of kubectl. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"
#include "cmd.h"
#include "table.h"
#include "config.h"

static char *server, *token, *output, *node, *types, *pod, *workload, *container, *ns, *grep, *metric,
	*data_source, *status, *comment;
static int64_t timeout, interval, since, duration;
static long long iterations, max_events;
static bool watch, follow, plot;

static const struct cfg_opt options[] = {
	{"server", "LENS_SERVER", CFG_STR, &server, "http://127.0.0.1:9480",
	 "Lens API base URL", 's'},
	{"token", "LENS_TOKEN", CFG_STR, &token, NULL, "bearer token for the API"},
	{"output", "LENS_OUTPUT", CFG_STR, &output, "table", "table, wide or json", 'o'},
	{"timeout", "LENS_TIMEOUT", CFG_DURATION, &timeout, "10s", "request timeout"},
	{"node", NULL, CFG_STR, &node, NULL, "gpus, top, pods, workloads: only this node"},
	{"interval", NULL, CFG_DURATION, &interval, "2s", "top: refresh period"},
	{"iterations", NULL, CFG_INT, &iterations, "0",
	 "top, events -w, alerts -w: stop after N refreshes (0: never)"},
	{"type", NULL, CFG_STR, &types, NULL, "events: only these types (comma-separated)"},
	{"pod", NULL, CFG_STR, &pod, NULL, "events, alerts, trace list: only this pod (name or UID)"},
	{"workload", NULL, CFG_STR, &workload, NULL, "events, alerts, trace list: only this workload (name or UID)"},
	{"since", NULL, CFG_DURATION, &since, "0s", "events: only the last DURATION (0: all)"},
	{"watch", NULL, CFG_BOOL, &watch, "false", "events, alerts: keep printing new ones", 'w'},
	{"follow", NULL, CFG_BOOL, &follow, "false", "logs: keep printing new lines", 'f'},
	{"container", NULL, CFG_STR, &container, NULL, "logs: only this container", 'c'},
	{"namespace", NULL, CFG_STR, &ns, NULL, "logs: the pod's namespace", 'n'},
	{"grep", NULL, CFG_STR, &grep, NULL, "logs: only lines matching this regular expression"},
	{"metric", NULL, CFG_STR, &metric, NULL,
	 "training: print this metric's series (lm_loss, tflops_per_gpu, ...)"},
	{"data-source", NULL, CFG_STR, &data_source, NULL, "training --metric: only log or wandb"},
	{"plot", NULL, CFG_BOOL, &plot, "false", "training --metric: as a terminal chart"},
	{"max-events", NULL, CFG_INT, &max_events, "10000000",
	 "trace analyze: most GPU and CPU events kept (the analysis's memory bound)"},
	{"status", NULL, CFG_STR, &status, NULL,
	 "alerts: only these statuses (firing, silenced, resolved; all) (default: firing,silenced)"},
	{"duration", NULL, CFG_DURATION, &duration, "2h", "silence add: how long it lasts"},
	{"comment", NULL, CFG_STR, &comment, NULL, "silence add: why"},
	{NULL, NULL, 0, NULL, NULL, NULL, 0},
};

static const char usage[] =
	"usage: lensctl [flags] COMMAND [args] [flags]\n\n"
	"Commands:\n"
	"  nodes [NAME]   list nodes (NAME, STATUS, AGE, LAST-SEEN, KERNEL, AGENT)\n"
	"  gpus           list GPUs with their latest sample (--node NODE)\n"
	"  top            GPU utilization, VRAM, power and temperature, refreshing\n"
	"  pods           pods with their devices and workload (--node NODE)\n"
	"  workloads      workloads with their pods, nodes, GPUs and HCAs\n"
	"  logs POD|workload/NAME\n"
	"                 container log lines, oldest first (-c CONTAINER, -n NAMESPACE, -f,\n"
	"                 --since 1h, --grep RE)\n"
	"  events         kernel events: OOM kills, crashes, signals, execs, hardware errors\n"
	"                 (--node, --type, --pod, --workload, --since 1h, -w to follow)\n"
	"  training WORKLOAD\n"
	"                 a training job: iteration, progress, loss, TFLOP/s, tokens/s/GPU,\n"
	"                 ETA, framework, run and events (--metric NAME [--plot]: one series)\n"
	"  trace analyze FILE\n"
	"                 a PyTorch profiler trace (.json or .json.gz) analysed here: GPU\n"
	"                 timeline, streams, ops by category, collectives (-o json)\n"
	"  trace list     the profiler traces the agents collected from pods, newest first\n"
	"                 (--workload, --pod, --node)\n"
	"  trace show ID  one of them: where it came from and its analysis (-o json)\n"
	"  alerts         open alerts of every source, newest first (--status, --workload,\n"
	"                 --pod, --node, -w to follow)\n"
	"  silence add MATCHER... | list | rm ID\n"
	"                 silences: name=value, name!=value, name=~regex, name!~regex\n"
	"                 (--duration 2h, --comment)\n"
	"  describe workload NAME|UID\n"
	"                 one workload: its pods, and every GPU and HCA it held, when\n"
	"  version        client and server versions";

static const struct {
	const char *name;
	int (*fn)(struct cmd_ctx *);
} commands[] = {
	{"nodes", cmd_nodes},
	{"node", cmd_nodes},
	{"version", cmd_version},
	{"gpus", cmd_gpus},
	{"gpu", cmd_gpus},
	{"top", cmd_top},
	{"pods", cmd_pods},
	{"pod", cmd_pods},
	{"workloads", cmd_workloads},
	{"workload", cmd_workloads},
	{"describe", cmd_describe},
	{"events", cmd_events},
	{"logs", cmd_logs},
	{"log", cmd_logs},
	{"event", cmd_events},
	{"training", cmd_training},
	{"trace", cmd_trace},
	{"alerts", cmd_alerts},
	{"silence", cmd_silence},
};

void cmd_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	fputc('\n', stdout);
}

void cmd_print_list(const struct cmd_ctx *ctx, const json_t *items, int ncols,
		    const char *const *headers, void (*row)(struct table *t, const json_t *item),
		    const char *what)
{
	if (ctx->output == OUTPUT_JSON)
		cmd_print_json((json_t *)items);
	else if (json_array_size(items) == 0)
		fprintf(stderr, "No %s found.\n", what);
	else
		table_print_items(items, ncols, headers, row);
}

int cmd_fail(const char *msg)
{
	fprintf(stderr, "lensctl: %s\n", msg);
	return 1;
}

int cmd_version(struct cmd_ctx *ctx)
{
	char err[512];
	json_t *v;
	int rc = client_get(&ctx->client, "/api/v1/version", &v, err, sizeof err);
	if (ctx->output == OUTPUT_JSON) {
		json_t *o = json_pack("{s:s,s:o?}", "client", LENS_VERSION, "server",
				      rc ? NULL : v);
		cmd_print_json(o);
		json_decref(o);
	} else {
		printf("Client Version: %s\n", LENS_VERSION);
		if (!rc) {
			printf("Server Version: %s (schema %s)\n",
			       json_string_value(json_object_get(v, "version")),
			       json_string_value(json_object_get(v, "schema")));
			json_decref(v);
		}
	}
	return rc ? cmd_fail(err) : 0;
}

/* Flags may come before and after the command; operands are kept. */
static int parse_args(int argc, char **argv, struct cmd_ctx *ctx, const char **cmd)
{
	char err[256];
	int argi = 1, rc = cfg_parse(options, argc, argv, &argi, err, sizeof err);
	*cmd = argi < argc ? argv[argi++] : NULL;
	ctx->argv = calloc((size_t)argc + 1, sizeof *ctx->argv);
	while (!rc && argi < argc) {
		rc = cfg_parse_flags(options, argc, argv, &argi, err, sizeof err);
		while (!rc && argi < argc && argv[argi][0] != '-')
			ctx->argv[ctx->argc++] = argv[argi++];
	}
	if (rc == 1 || (!rc && !*cmd)) {
		cfg_usage(stdout, usage, options);
		return rc == 1 ? 0 : 2;
	}
	if (rc)
		return cmd_fail(err) + 1;
	if (!strcmp(output, "json"))
		ctx->output = OUTPUT_JSON;
	else if (!strcmp(output, "wide"))
		ctx->output = OUTPUT_WIDE;
	else if (strcmp(output, "table"))
		return cmd_fail("--output must be table, wide or json") + 1;
	ctx->client = (struct client){server, token, (long)(timeout / 1000000)};
	ctx->node = node;
	ctx->interval_ns = interval > 0 ? interval : 2000000000LL;
	ctx->iterations = (long)iterations;
	ctx->types = types, ctx->pod = pod, ctx->workload = workload;
	ctx->since_ns = since;
	ctx->watch = watch;
	ctx->follow = follow;
	ctx->container = container, ctx->namespace_ = ns, ctx->grep = grep;
	ctx->metric = metric, ctx->data_source = data_source, ctx->plot = plot;
	ctx->max_events = max_events;
	ctx->status = status, ctx->duration_ns = duration, ctx->comment = comment;
	return -1;
}

int main(int argc, char **argv)
{
	struct cmd_ctx ctx = {0};
	const char *cmd;
	int rc = parse_args(argc, argv, &ctx, &cmd);
	if (rc < 0) {
		rc = -1;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (strcmp(cmd, commands[i].name) == 0)
				rc = commands[i].fn(&ctx);
		if (rc < 0) {
			fprintf(stderr, "lensctl: unknown command \"%s\" (see --help)\n", cmd);
			rc = 2;
		}
		curl_global_cleanup();
	}
	free(ctx.argv);
	cfg_free(options);
	return rc;
}
