/* spool: the agent's bounded on-disk queue of envelopes not yet
 * acknowledged by an aggregator. Collectors append; the sender takes
 * records in order and acknowledges them; what is unacknowledged when the
 * agent dies is sent again after it restarts.
 *
 * Each stream (control, metrics, logs, events, profiler) is a chain of segment files
 * under <dir>/<stream>/. A segment is deleted once every record in it was
 * acknowledged. When the spool is full, the oldest metric segments are
 * dropped first, log and profiler appends are refused (the producer
 * pauses: the file on disk is its buffer) before the last tenth is reached, and control and
 * event records use that last tenth; every drop and refusal is counted.
 *
 * Sequence numbers are assigned here and never reused: blocks of them are
 * reserved in <dir>/seq so a restart continues past anything sent. */
#ifndef LENS_SPOOL_H
#define LENS_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "prom.h"

#define SPOOL_NSTREAMS 5 /* STREAM_CONTROL .. STREAM_PROFILER */

struct spool_config {
	const char *dir;
	int64_t max_bytes;     /* all streams together */
	int64_t segment_bytes; /* a segment is sealed past this size */
};

/* A record handed to the sender. data is owned by the record. */
struct spool_rec {
	uint32_t stream;  /* Stream value, 1..4 */
	uint64_t segment;
	uint64_t offset;
	uint64_t seq;
	uint8_t *data;
	size_t len;
};

struct spool_stats {
	uint64_t records; /* appended, not yet acknowledged */
	uint64_t bytes;   /* on disk */
	uint64_t dropped; /* records dropped to make room, since open */
	uint64_t refused; /* appends refused because full, since open */
};

struct spool;

int spool_open(const struct spool_config *cfg, struct prom_registry *reg, struct spool **out,
	       char *err, size_t errlen);
void spool_close(struct spool *s);

/* Assigns e->seq (and e->stream_id must be set), packs and appends e.
 * Returns 0, or -ENOSPC when the stream may not grow now (nothing was
 * written; a log producer should pause), or another negative errno. */
int spool_append(struct spool *s, Envelope *e);

/* The next record never handed out, streams taken in turn. Returns 0 or
 * -EAGAIN when there is none. Release rec with spool_rec_free. */
int spool_next(struct spool *s, struct spool_rec *rec);
/* The aggregator has the record (stored, duplicate or rejected). */
void spool_ack(struct spool *s, const struct spool_rec *rec);
/* Calls fn(seq, arg) for every acknowledged record of a stream, on the
 * sender's thread: how the log tailer learns which offsets are safe. */
void spool_set_ack_hook(struct spool *s, uint32_t stream, void (*fn)(uint64_t seq, void *arg),
			void *arg);
void spool_rec_free(struct spool_rec *rec);

/* Makes appended records durable (fdatasync). Called about once a second
 * by the sender, and by spool_close. */
int spool_sync(struct spool *s);
void spool_get_stats(struct spool *s, struct spool_stats *st);

#endif
