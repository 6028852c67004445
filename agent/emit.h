/* emit: how every collector hands a payload to the transport. It stamps
 * the envelope header (schema, node, boot id, stream, send time, agent
 * version), appends it to the spool and wakes the sender. Never blocks on
 * the network. */
#ifndef LENS_EMIT_H
#define LENS_EMIT_H

#include "envelope.h"
#include "sender.h"
#include "spool.h"

struct emitter {
	struct spool *spool;
	struct sender *sender; /* NULL: spool only (tests, benchmarks) */
	const char *node_name;
	const char *boot_id;
};

/* e carries the payload; stream is a Stream value. Returns spool_append's
 * result: 0, -ENOSPC (full: dropped or refused, already counted), or
 * another negative errno. */
int emit_envelope(struct emitter *em, unsigned stream, Envelope *e);

#endif
