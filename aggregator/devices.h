/* devices: the devices table (GPUs and HCAs per node, first and last
 * seen, present or gone) and the device views of the API, which join
 * each device with its latest sample from devcache. */
#ifndef LENS_DEVICES_H
#define LENS_DEVICES_H

#include <jansson.h>
#include <libpq-fe.h>

#include "devcache.h"
#include "envelope.h"
#include "pgarray.h"

/* The statement that stores n DeviceInventory envelopes (see ingest). */
void devices_stmt_inventory(Envelope *const *envs, int n, struct pgarray_stmt *st);
/* The statement that stores the GPU driver events of n DeviceSamples
 * envelopes (the samples themselves go to devcache). */
void devices_stmt_events(Envelope *const *envs, int n, struct pgarray_stmt *st);

struct podcache;

struct devices_query {
	const char *kind;      /* gpu | ib */
	const char *node;      /* NULL: every node */
	const char *workload;  /* NULL, or a workload UID or name holding the device now */
	long long offset, limit;
	struct devcache *samples;
	struct podcache *pods; /* NULL: no "pods"/"unmapped_reason" per device */
};

/* Devices, paged: {"items", "total", "offset", "limit"}; each item with its
 * latest sample and its current pods. */
int devices_list(PGconn *c, const struct devices_query *q, json_t **out, char *err,
		 size_t errlen);

#endif
