/* emit: envelope header stamping and hand-off to the spool. */
#include "version.h"
#include "emit.h"

#include "clock.h"

int emit_envelope(struct emitter *em, unsigned stream, Envelope *e)
{
	e->schema_version = ENVELOPE_SCHEMA_VERSION;
	e->node_name = (char *)em->node_name;
	e->boot_id = (char *)em->boot_id;
	e->stream_id = stream;
	e->sent_unix_ns = clock_now_ns();
	e->agent_version = (char *)LENS_VERSION;
	int rc = spool_append(em->spool, e);
	if (rc == 0 && em->sender)
		sender_kick(em->sender);
	return rc;
}
