/* training: the store side of training analysis. What the analysis finds
 * in log lines (iteration metrics, checkpoint and end marks, framework
 * markers) is queued here in arrival order and flushed by one thread, in
 * one statement per flush (lens_training_batch, migration 007), which
 * assigns runs (serials), merges re-reported iterations into history and
 * raises training events (start, checkpoint_save/load, end, slowdown,
 * nan_loss). A second thread looks for hangs: runs with no report for N
 * times their usual gap, one replica at a time (advisory lock). WandB
 * reports take the same statement synchronously (training_store), so the
 * API answers only once they are stored. All state lives in the
 * database, so any replica can carry on where another stopped. */
#ifndef LENS_TRAINING_H
#define LENS_TRAINING_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "analysis.h"
#include "db.h"
#include "framework.h"
#include "prom.h"
#include "trainmark.h"

struct training_config {
	int64_t flush_ns;          /* time between flushes of the queue */
	int64_t hang_check_ns;     /* time between hang sweeps */
	double hang_factor;        /* hung after this many usual gaps ... */
	int64_t hang_min_ns;       /* ... and at least this long */
	int64_t hang_max_idle_ns;  /* runs silent longer are left alone */
	double slow_percent;       /* slower than the rolling median by this much ... */
	int slow_iterations;       /* ... this many reports in a row is a slowdown */
	int window;                /* reports in the rolling median */
	int64_t restart_gap_ns;    /* a new pod after this much silence is a restart */
	int max_queue;             /* items held while the database is away */
};

struct training;

struct training *training_new(const struct training_config *cfg, struct db_pool *pool,
			      struct prom_registry *reg);
/* Starts the flush and hang threads; 0 or -EAGAIN. */
int training_start(struct training *t);
/* Stops the threads and flushes what is queued (drain on SIGTERM). */
void training_stop(struct training *t);
void training_free(struct training *t);

/* From the analysis, any thread: a log line's findings. perf is the
 * iteration's metrics as the text of a JSON object. */
void training_log_report(struct training *t, const struct log_record *r, int64_t iteration,
			 const char *perf, size_t perf_len);
void training_log_mark(struct training *t, const struct log_record *r, const struct trainmark *m);
void training_log_framework(struct training *t, const struct log_record *r,
			    const struct framework_det *d);
/* A pod process started a training launcher (a kernel exec event; r->line
 * is its command line): a run starts, and d names its framework. */
void training_log_launch(struct training *t, const struct log_record *r,
			 const struct framework_det *d);

/* Stores items (a JSON array of trainitem.h's items) now, on c.
 * Returns 0 with the events raised in *events ([{workload_uid, event,
 * iteration}], may be NULL), or -EIO with err. */
int training_store(struct training *t, PGconn *c, json_t *items, json_t **events, char *err,
		   size_t errlen);

/* WandB values skipped, by reason (counted in /metrics). */
void training_count_skipped(struct training *t, const char *reason, long n);

/* One flush and one hang sweep now, on the calling thread (tests, drain).
 * training_check_hangs returns the hangs raised or -EIO. */
void training_flush(struct training *t);
long long training_check_hangs(struct training *t);

#endif
