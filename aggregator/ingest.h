/* ingest: stores envelopes and decides each one's answer. Writer threads,
 * each with its own database connection, take whatever envelopes are
 * queued (up to a batch limit) and store them in one transaction: first
 * the delivery ledger, whose unique key tells new envelopes from
 * duplicates, then the payloads of the new ones. Answers go out only after
 * COMMIT: STORED or DUPLICATE; RETRY when the database is unavailable;
 * REJECTED for an envelope the database refuses on its own (found by
 * retrying a failed batch one envelope at a time). */
#ifndef LENS_INGEST_H
#define LENS_INGEST_H

#include <stdint.h>

#include "envelope.h"
#include "prom.h"

struct ingest_item {
	struct ingest_item *next; /* queue link, owned by ingest */
	Envelope *env;
	int64_t received_ns;      /* clock_mono_ns() at receipt */
	/* Called once, from a writer thread, with the final answer. */
	void (*reply)(struct ingest_item *it, int ack_status, const char *reason);
	/* Working state of ingest. */
	int status;
	char reason[200];
};

struct devcache;
struct podcache;
struct analysis;
struct alerts;
struct alertrules;

struct ingest_config {
	const char *db_url;
	int writers;
	int max_batch;
	struct devcache *cache; /* latest device samples, updated after COMMIT */
	struct podcache *pods;  /* latest pod/device maps, updated after COMMIT */
	struct analysis *analysis; /* log lines go here after COMMIT */
	struct alerts *alerts;     /* device-health alerts (devhealth.h) */
	int64_t device_alert_hold_ns;
	struct alertrules *rules;  /* metric rules over the device samples */
};

struct ingest;

int ingest_start(const struct ingest_config *cfg, struct prom_registry *reg,
		 struct ingest **out, char *err, size_t errlen);
/* Queues an item; never blocks. */
void ingest_submit(struct ingest *in, struct ingest_item *it);
/* Answers everything queued, then stops the writers. */
void ingest_stop(struct ingest *in);
int ingest_queue_depth(struct ingest *in);

#endif
