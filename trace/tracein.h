/* tracein: reads a Chrome trace (PyTorch profiler, Kineto) file, plain or
 * gzip, as a stream, and hands each element of its "traceEvents" array to
 * a callback as the text of one JSON object (mutable, NUL-terminated).
 * Memory is one read buffer plus the largest single event, whatever the
 * file's size; the other top-level members (deviceProperties,
 * distributedInfo, ...) go to a second callback when under 1 MiB. A
 * truncated or damaged file gives what was read before the damage and
 * says what went wrong. */
#ifndef LENS_TRACEIN_H
#define LENS_TRACEIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACEIN_MAX_EVENT (64u << 20) /* a larger single event is damage */

struct tracein_stats {
	uint64_t bytes_in;    /* read from the file */
	uint64_t bytes_json;  /* after decompression */
	uint64_t events;      /* handed to the callback */
	bool gzip;
	bool partial;         /* the file ended or broke before the trace did */
	char error[256];      /* why, when partial or failed */
};

/* Returns nonzero to stop reading. */
typedef int (*tracein_event_fn)(char *obj, size_t len, void *arg);
typedef void (*tracein_meta_fn)(const char *key, char *value, size_t len, void *arg);

/* Reads path ("-": standard input). Returns 0 when the whole trace was
 * read, 1 when only part of it was (st->error says why), -1 when nothing
 * could be (no such file, not a trace). meta may be NULL. */
int tracein_read(const char *path, tracein_event_fn ev, tracein_meta_fn meta, void *arg,
		 struct tracein_stats *st);
/* The same over bytes in memory (tests, fuzzing). */
int tracein_read_mem(const void *data, size_t len, tracein_event_fn ev, tracein_meta_fn meta,
		     void *arg, struct tracein_stats *st);

#endif
