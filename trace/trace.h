/* trace: the analysis of one PyTorch profiler trace (Chrome trace JSON,
 * plain or gzip), natively and in one streaming pass, as
 * tests/data/traces/ANALYSIS.md specifies what TraceLens and HTA compute:
 *  - the GPU timeline (computation, exposed communication, exposed memcpy,
 *    busy, idle, total, total communication, total memcpy, and memset on
 *    its own row), pooled over the file as TraceLens reports it: over the
 *    GPU events linked to a CPU launch (ac2g flows; without them,
 *    correlation ids, and the report says so) and over every GPU event,
 *    with the number of unlinked ones; then per device and per stream;
 *  - the kernel-launcher table, the op summary and the summary by
 *    category;
 *  - the collective summary, kernels without metadata kept as "unknown".
 * The report is JSON; lensctl prints it as tables. */
#ifndef LENS_TRACE_H
#define LENS_TRACE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Events kept by default (about 100 bytes each, names apart): the bound
 * of the analysis's memory, whatever the file's size. */
#define TRACE_MAX_EVENTS 10000000u

/* Analyses the trace at path ("-": standard input), keeping at most
 * max_events GPU and CPU events (0: TRACE_MAX_EVENTS). Returns 0 with the
 * report in *out, 1 with a partial report (the file ended or broke
 * early, or had more events than that: "partial": true and "error" say
 * so), or -1 with err set when nothing could be analysed. */
int trace_analyze(const char *path, uint64_t max_events, json_t **out, char *err, size_t errlen);
/* The same over bytes in memory. */
int trace_analyze_mem(const void *data, size_t len, uint64_t max_events, json_t **out, char *err,
		      size_t errlen);

#endif
