/* receiver: the aggregator's nng REP socket. Many contexts receive at once
 * (asynchronous callbacks, no thread per request); each decodes and
 * checks its envelope, rejects what is malformed at once with a reason,
 * and hands the rest to ingest, replying with ingest's answer. */
#ifndef LENS_RECEIVER_H
#define LENS_RECEIVER_H

#include "ingest.h"
#include "prom.h"

struct receiver_config {
	const char *urls;      /* comma-separated listen URLs */
	int contexts;          /* envelopes being handled at once */
	const char *tls_ca_file;       /* require client certificates from this CA */
	const char *tls_cert_key_file; /* server certificate and key for tls+tcp */
};

struct receiver;

int receiver_start(const struct receiver_config *cfg, struct ingest *in,
		   struct prom_registry *reg, struct receiver **out, char *err, size_t errlen);
/* Stops taking new envelopes; those received are still answered (RETRY
 * when they arrive during shutdown). Call before ingest_stop. */
void receiver_pause(struct receiver *r);
void receiver_stop(struct receiver *r);

#endif
