/* analysis: where every stored log line goes next, whichever way it came
 * (the agents' log batches, fluent-bit's POST). It measures how late
 * lines arrive (written to analysed, a histogram), recognises training
 * lines (iteration metrics: trainlog, or a user's pattern: logpattern;
 * checkpoint and end marks: trainmark) and the framework a pod's first
 * lines announce (framework), and hands what it finds to the training
 * store (training.h) in the order the lines came. */
#ifndef LENS_ANALYSIS_H
#define LENS_ANALYSIS_H

#include <jansson.h>
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
struct training;
struct logpattern_set;

/* training may be NULL (nothing is stored, lines are still counted).
 * framework_lines: how many lines of each pod are scanned for framework
 * markers (frameworks announce themselves when they start). */
struct analysis *analysis_new(struct prom_registry *reg, struct training *training,
			      int framework_lines);
void analysis_free(struct analysis *a);
/* Lines that are stored (called after COMMIT), from any thread. */
void analysis_lines(struct analysis *a, const struct log_record *recs, size_t n);
/* A pod process's exec (a kernel event, after it is stored): r->line is
 * its command line, argv the arguments. A training launcher starts a run. */
void analysis_exec(struct analysis *a, const struct log_record *r, const json_t *argv);
/* Replaces the users' patterns (a reference is taken). */
void analysis_set_patterns(struct analysis *a, struct logpattern_set *s);
/* The log alert rules every line also goes through (alertrules.h). */
struct alertrules;
void analysis_set_rules(struct analysis *a, struct alertrules *rules);

#endif
