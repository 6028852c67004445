/* nodes: the nodes table: storing NodeInfo and heartbeats from agents, and
 * the node views of the API. A node is online while its last heartbeat is
 * younger than the offline threshold; the status is derived when read,
 * never stored. */
#ifndef LENS_NODES_H
#define LENS_NODES_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "envelope.h"
#include "pgarray.h"

/* Build the one statement that stores n envelopes of one payload type;
 * ingest runs it inside the batch's transaction. */
void nodes_stmt_info(Envelope *const *envs, int n, struct pgarray_stmt *st);
void nodes_stmt_heartbeats(Envelope *const *envs, int n, struct pgarray_stmt *st);

/* {"items": [...], "total": N, "offset": O, "limit": L} */
int nodes_list(PGconn *c, int64_t offline_after_ns, long long offset, long long limit,
	       json_t **out, char *err, size_t errlen);
/* One node; *out is NULL when there is no such node. */
int nodes_get(PGconn *c, int64_t offline_after_ns, const char *name, json_t **out, char *err,
	      size_t errlen);

#endif
