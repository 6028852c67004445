/* cmd: what every lensctl command receives: the API client, the output
 * format and its own arguments. Each command lives in its own file. */
#ifndef LENS_CMD_H
#define LENS_CMD_H

#include "client.h"

enum output { OUTPUT_TABLE, OUTPUT_WIDE, OUTPUT_JSON };

struct cmd_ctx {
	struct client client;
	enum output output;
	int argc;    /* the command's operands */
	char **argv;
};

/* Each returns the process exit code. */
int cmd_nodes(struct cmd_ctx *ctx);
int cmd_version(struct cmd_ctx *ctx);

/* Prints a JSON value the way -o json does. */
void cmd_print_json(json_t *v);
/* Reports an error as "lensctl: ..." on stderr; returns 1. */
int cmd_fail(const char *msg);

#endif
