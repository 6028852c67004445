/* cmd: what every lensctl command receives: the API client, the output
 * format and its own arguments. Each command lives in its own file. */
#ifndef LENS_CMD_H
#define LENS_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "client.h"

enum output { OUTPUT_TABLE, OUTPUT_WIDE, OUTPUT_JSON };

struct cmd_ctx {
	struct client client;
	enum output output;
	int argc;    /* the command's operands */
	char **argv;
	const char *node;   /* --node filter, or NULL */
	int64_t interval_ns; /* top: refresh period */
	long iterations;     /* top, events -w: stop after this many refreshes (0: never) */
	const char *types;   /* events: --type */
	const char *pod;     /* events: --pod (name or UID) */
	const char *workload; /* events: --workload (name or UID) */
	int64_t since_ns;    /* events: --since (how far back) */
	bool watch;          /* events: -w */
	bool follow;         /* logs: -f */
	const char *container; /* logs: -c */
	const char *namespace_; /* logs: -n */
	const char *grep;    /* logs: --grep (a regex) */
	const char *metric;  /* training: --metric */
	const char *data_source; /* training: --data-source (log, wandb) */
	bool plot;           /* training: --plot */
	long long max_events; /* trace analyze: --max-events */
	const char *status;  /* alerts: --status */
	int64_t duration_ns; /* silence add: --duration */
	const char *comment; /* silence add: --comment */
};

/* Each returns the process exit code. */
int cmd_nodes(struct cmd_ctx *ctx);
int cmd_version(struct cmd_ctx *ctx);
int cmd_gpus(struct cmd_ctx *ctx);
int cmd_top(struct cmd_ctx *ctx);
int cmd_pods(struct cmd_ctx *ctx);
int cmd_workloads(struct cmd_ctx *ctx);
int cmd_describe(struct cmd_ctx *ctx);
int cmd_events(struct cmd_ctx *ctx);
int cmd_logs(struct cmd_ctx *ctx);
int cmd_training(struct cmd_ctx *ctx);
int cmd_trace(struct cmd_ctx *ctx);
int cmd_alerts(struct cmd_ctx *ctx);
int cmd_silence(struct cmd_ctx *ctx);

/* Prints a JSON value the way -o json does (reals to 15 significant
 * digits, as the API and the agent write them). */
void cmd_print_json(json_t *v);
struct table;
/* A list as -o asks: JSON, or a table of ncols columns (a row per item, as
 * row makes it), or "No <what> found." on stderr when there is none. */
void cmd_print_list(const struct cmd_ctx *ctx, const json_t *items, int ncols,
		    const char *const *headers, void (*row)(struct table *t, const json_t *item),
		    const char *what);
/* Reports an error as "lensctl: ..." on stderr; returns 1. */
int cmd_fail(const char *msg);

#endif
