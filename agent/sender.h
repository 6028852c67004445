/* sender: delivers spooled envelopes to the aggregator over an nng REQ
 * socket with several contexts in flight. It dials every configured URL
 * (nng spreads requests over the connected ones and reconnects with
 * backoff), takes records from the spool, and acknowledges a record in the
 * spool only when the aggregator answered STORED, DUPLICATE or REJECTED.
 * RETRY answers, timeouts and send errors put the record back for another
 * try after an exponential backoff. Producers never wait for it. */
#ifndef LENS_SENDER_H
#define LENS_SENDER_H

#include <stdint.h>

#include "prom.h"
#include "spool.h"

struct sender_config {
	const char *urls;           /* comma-separated tcp://, ipc://, tls+tcp:// */
	int inflight;               /* contexts, i.e. requests in flight */
	int64_t request_timeout_ns; /* no answer by then: send again */
	int64_t reconnect_min_ns, reconnect_max_ns;
	const char *tls_ca_file;        /* verify the aggregator with this CA */
	const char *tls_cert_key_file;  /* client certificate, optional */
	const char *tls_server_name;
};

struct sender_stats {
	uint64_t sent, resent, acked, duplicates, rejected, retries, timeouts;
	int connected; /* pipes up now */
	int inflight;
};

struct sender;

int sender_start(const struct sender_config *cfg, struct spool *sp, struct prom_registry *reg,
		 struct sender **out, char *err, size_t errlen);
/* Wakes the sender after an append. Cheap; safe from any thread. */
void sender_kick(struct sender *s);
/* Waits until nothing is spooled or in flight, or the timeout passes.
 * Returns 0 when everything was acknowledged, -ETIMEDOUT otherwise. */
int sender_drain(struct sender *s, int64_t timeout_ns);
void sender_stop(struct sender *s);
void sender_get_stats(struct sender *s, struct sender_stats *st);

#endif
