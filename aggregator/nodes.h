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

/* Stores n envelopes of one payload type in the open transaction.
 * Return 0 or -EIO with err and sqlstate set. */
int nodes_store_info(PGconn *c, Envelope *const *envs, int n, char *err, size_t errlen,
		     char *sqlstate);
int nodes_store_heartbeats(PGconn *c, Envelope *const *envs, int n, char *err, size_t errlen,
			   char *sqlstate);

/* {"items": [...], "total": N, "offset": O, "limit": L} */
int nodes_list(PGconn *c, int64_t offline_after_ns, long long offset, long long limit,
	       json_t **out, char *err, size_t errlen);
/* One node; *out is NULL when there is no such node. */
int nodes_get(PGconn *c, int64_t offline_after_ns, const char *name, json_t **out, char *err,
	      size_t errlen);

#endif
