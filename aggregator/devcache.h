/* devcache: the latest sample of every device, in memory, for the API and
 * lensctl (time series are Prometheus's job). Keyed by (node, kind, id);
 * a sample older than the one held is ignored, so resends and reordering
 * do no harm. After a restart it fills again with the next samples. */
#ifndef LENS_DEVCACHE_H
#define LENS_DEVCACHE_H

#include <jansson.h>
#include <stdint.h>

#include "envelope.h"

struct devcache;

struct devcache *devcache_new(void);
void devcache_free(struct devcache *c);
/* Takes the samples of n DeviceSamples envelopes (after they are stored). */
void devcache_update(struct devcache *c, Envelope *const *envs, int n);
/* A new reference to the device's latest {"sampled_at", "values", "health"}
 * or NULL. */
json_t *devcache_get(struct devcache *c, const char *node, const char *kind, const char *id);
size_t devcache_size(struct devcache *c);

#endif
