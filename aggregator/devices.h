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

/* GPUs, optionally of one node, paged: {"items", "total", "offset", "limit"}. */
int devices_list(PGconn *c, struct devcache *cache, const char *kind, const char *node,
		 long long offset, long long limit, json_t **out, char *err, size_t errlen);

#endif
