/* profiler: the agent's profiler-trace collector (docs/traces.md). Every
 * interval it asks profscan for the traces pod processes finished
 * writing, attributes each to its pod and workload, analyses it on the
 * node (lib trace), and sends a ProfilerFile (metadata and the analysis)
 * then the file's content as ProfilerChunk messages on the profiler
 * stream: one gzip stream (a .gz file as it is, a plain one compressed
 * here), cut in chunks, up to a size limit.
 *
 * A file version is sent once: its key goes to the state file once all
 * of it is in the spool (which survives restarts). When the spool refuses
 * more, the collector waits: the file on disk is the buffer. */
#ifndef LENS_PROFILER_H
#define LENS_PROFILER_H

#include <stdint.h>

#include "emit.h"
#include "podmap.h"
#include "prom.h"

struct profiler_config {
	const char *proc_root;      /* "" on a node */
	const char *dirs;           /* walked in every pod container; "." = cwd */
	const char *state_path;     /* keys of the file versions already sent */
	int64_t interval_ns;        /* between passes */
	int64_t settle_ns;          /* unchanged this long = written */
	int64_t max_content_bytes;  /* larger files: analysis only (0: never content) */
	uint64_t max_events;        /* the analysis's memory bound (lib trace) */
};

#define PROFILER_CHUNK_BYTES (1u << 20)

struct profiler;

int profiler_start(const struct profiler_config *cfg, struct emitter *em, struct podmap *pm,
		   struct prom_registry *reg, struct profiler **out, char *err, size_t errlen);
/* Stops after the file in progress (its rest is sent again next start). */
void profiler_stop(struct profiler *p);
/* A pod process opened path for writing (kernel events); any thread.
 * Shaped as a kevents_trace_fn. */
void profiler_offer(void *p, int pid, const char *path);

#endif
