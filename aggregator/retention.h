/* retention: deletes rows older than their retention period, in small
 * batches, from one replica at a time (a PostgreSQL advisory lock makes it
 * a singleton job across aggregator replicas). */
#ifndef LENS_RETENTION_H
#define LENS_RETENTION_H

#include <stdint.h>

#include "db.h"
#include "prom.h"

struct retention_config {
	int64_t interval_ns;   /* time between sweeps */
	int64_t heartbeats_ns; /* keep heartbeats this long */
	int64_t ledger_ns;     /* keep the delivery ledger this long: an envelope
				* older than this arriving again would be stored
				* again, so keep it above the agents' spool life */
	int64_t history_ns;    /* keep ended device assignments and gone pods */
	int64_t events_ns;     /* keep kernel events (by whole days) */
	int64_t logs_ns;       /* keep log lines (by whole days) */
	int64_t training_ns;   /* keep training runs that ended this long ago */
	int64_t profiler_ns;   /* keep profiler traces received this long ago */
	int64_t alerts_ns;     /* keep alerts resolved (silences ended) this long ago */
};

struct retention;

int retention_start(const struct retention_config *cfg, struct db_pool *pool,
		    struct prom_registry *reg, struct retention **out);
/* One sweep now, on the calling thread; returns rows deleted or -EIO. */
long long retention_sweep(struct retention *r);
void retention_stop(struct retention *r);

#endif
