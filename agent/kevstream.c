/* kevstream: a pending array under a lock, flushed by size or by a ticker. */
#include "kevstream.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "buf.h"
#include "kevmsg.h"
#include "log.h"
#include "ticker.h"

struct kevstream {
	struct emitter *em;
	int max_events;
	pthread_mutex_t lock;
	json_t *pending;
	struct ticker *ticker;
};

/* Called with the lock held. */
static void flush(struct kevstream *ks)
{
	size_t n = json_array_size(ks->pending);
	if (!n)
		return;
	Lens__V1__KernelEvent **evs = xcalloc(n, sizeof *evs);
	for (size_t i = 0; i < n; i++)
		evs[i] = kevmsg_to_proto(json_array_get(ks->pending, i));
	Lens__V1__KernelEvents batch = LENS__V1__KERNEL_EVENTS__INIT;
	batch.n_events = n;
	batch.events = evs;
	Envelope e = LENS__V1__ENVELOPE__INIT;
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_KERNEL_EVENTS;
	e.kernel_events = &batch;
	int rc = emit_envelope(ks->em, LENS__V1__STREAM__STREAM_EVENTS, &e);
	if (rc && rc != -ENOSPC)
		log_error("cannot spool kernel events", "events=%zu err=%d", n, rc);
	for (size_t i = 0; i < n; i++)
		kevmsg_free(evs[i]);
	free(evs);
	json_array_clear(ks->pending);
}

static void tick(void *arg)
{
	struct kevstream *ks = arg;
	pthread_mutex_lock(&ks->lock);
	flush(ks);
	pthread_mutex_unlock(&ks->lock);
}

struct kevstream *kevstream_new(struct emitter *em, int max_events, int64_t max_delay_ns)
{
	struct kevstream *ks = xcalloc(1, sizeof *ks);
	ks->em = em;
	ks->max_events = max_events > 0 ? max_events : 256;
	ks->pending = json_array();
	pthread_mutex_init(&ks->lock, NULL);
	if (ticker_start(max_delay_ns, tick, ks, &ks->ticker))
		log_warn("kernel events: no flush thread; batches go out by size only");
	return ks;
}

void kevstream_add(json_t *event, void *arg)
{
	struct kevstream *ks = arg;
	pthread_mutex_lock(&ks->lock);
	json_array_append(ks->pending, event);
	if ((int)json_array_size(ks->pending) >= ks->max_events)
		flush(ks);
	pthread_mutex_unlock(&ks->lock);
}

void kevstream_free(struct kevstream *ks)
{
	if (!ks)
		return;
	ticker_stop(ks->ticker);
	tick(ks);
	json_decref(ks->pending);
	pthread_mutex_destroy(&ks->lock);
	free(ks);
}
