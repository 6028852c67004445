/* events: the kernel_events table (migration 005, partitioned by day) and
 * the events view of the API. */
#ifndef LENS_EVENTS_H
#define LENS_EVENTS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "analysis.h"
#include "envelope.h"
#include "pgarray.h"

/* The statement that stores the events of n KernelEvents envelopes. */
void events_stmt(Envelope *const *envs, int n, struct pgarray_stmt *st);
/* After COMMIT: the execs of pod processes to the analysis (a training
 * launcher starts a run). */
void events_analyse(struct analysis *a, Envelope *const *envs, int n);

struct events_filter {
	const char *node, *namespace_, *pod, *workload; /* pod, workload: name or UID */
	const char *types;                              /* comma-separated, or NULL */
	const char *since, *until;                      /* RFC 3339, or NULL */
	long long offset, limit;
};

/* Newest first, paged. Returns 0 or -EIO with err. */
int events_list(PGconn *c, const struct events_filter *f, json_t **out, char *err,
		size_t errlen);

#endif
