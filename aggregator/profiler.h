/* profiler: the profiler traces the agents send (migration 008,
 * docs/traces.md): files with their analysis, their content in chunks,
 * and the profiler view of the API. */
#ifndef LENS_AGG_PROFILER_H
#define LENS_AGG_PROFILER_H

#include <jansson.h>
#include <libpq-fe.h>

#include "buf.h"
#include "envelope.h"
#include "pgarray.h"

/* The statements that store n ProfilerFile / ProfilerChunk envelopes
 * (checked on receipt: envelope_check), each file version once. */
void profiler_stmt_files(Envelope *const *envs, int n, struct pgarray_stmt *st);
void profiler_stmt_chunks(Envelope *const *envs, int n, struct pgarray_stmt *st);

struct profiler_filter {
	const char *node, *namespace_, *pod, *workload; /* pod, workload: name or UID */
	const char *status;                              /* comma-separated */
	const char *since, *until;                       /* RFC 3339, on found_at */
	long long offset, limit;
};

/* Newest first. Returns 0 or -EIO with err. */
int profiler_list(PGconn *c, const struct profiler_filter *f, json_t **out, char *err,
		  size_t errlen);
/* One file with its report ("analysis"). 0, -ENOENT or -EIO. */
int profiler_get(PGconn *c, const char *id, json_t **out, char *err, size_t errlen);
/* The gzip content of a file into out. 0; -ENOENT (no such file);
 * -EAGAIN (not all here: err says how much), -ENODATA (never sent: err
 * says why); -EIO. */
int profiler_content(PGconn *c, const char *id, struct buf *out, char *err, size_t errlen);

#endif
