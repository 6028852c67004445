/* analysis: where every stored log line goes next, whichever way it came
 * (the agents' log batches, fluent-bit's POST): it measures how late
 * lines arrive (written to analysed, a histogram) and runs the training
 * log parser (trainlog.h) over each, counting iteration lines; storing
 * their metrics per workload is the next step of issue 7. */
#ifndef LENS_ANALYSIS_H
#define LENS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "prom.h"

struct log_record {
	const char *node, *namespace_, *pod, *pod_uid, *container, *stream;
	int64_t logged_ns;
	const char *line;
	size_t len;
};

struct analysis;

struct analysis *analysis_new(struct prom_registry *reg);
void analysis_free(struct analysis *a);
/* Lines that are stored (called after COMMIT), from any thread. */
void analysis_lines(struct analysis *a, const struct log_record *recs, size_t n);

#endif
