/* logs: the log_lines table (migration 006, partitioned by day) and the
 * logs view of the API. */
#ifndef LENS_LOGS_H
#define LENS_LOGS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "analysis.h"
#include "envelope.h"
#include "pgarray.h"

/* The statement that stores the lines of n LogBatch envelopes (checked on
 * receipt: envelope_check), each line once however often it is sent. */
void logs_stmt_batches(Envelope *const *envs, int n, struct pgarray_stmt *st);
/* After COMMIT: the batches' lines to the analysis. */
void logs_analyse(struct analysis *a, Envelope *const *envs, int n);

/* Stores n lines in one statement. Returns 0, -EINVAL when the database
 * refuses the data (err says why), -EIO when it is unreachable. */
int logs_insert(PGconn *c, const struct log_record *recs, size_t n, const char *source,
		char *err, size_t errlen);

struct logs_filter {
	const char *node, *namespace_, *pod, *container; /* pod: name or UID */
	const char *workload;                            /* name or UID */
	const char *since, *until;                       /* RFC 3339 */
	const char *q;                                   /* substring, or regex */
	bool regex, oldest_first;
	long long offset, limit;
};

/* Returns 0, -EINVAL for a regex PostgreSQL cannot compile (err says
 * why), or -EIO. */
int logs_list(PGconn *c, const struct logs_filter *f, json_t **out, char *err, size_t errlen);

#endif
