/* kevstream: kernel events to the aggregator, batched: a KernelEvents
 * envelope on the events stream (kept longest when the spool fills) every
 * max_events events or max_delay, whichever comes first. */
#ifndef LENS_KEVSTREAM_H
#define LENS_KEVSTREAM_H

#include <jansson.h>
#include <stdint.h>

#include "emit.h"

struct kevstream;

struct kevstream *kevstream_new(struct emitter *em, int max_events, int64_t max_delay_ns);
/* A kevents_sink_fn: takes a reference to the event. */
void kevstream_add(json_t *event, void *ks);
/* Sends what is pending and stops. */
void kevstream_free(struct kevstream *ks);

#endif
