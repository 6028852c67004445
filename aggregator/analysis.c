/* analysis: one pass per line: the cheap tests first, the parsers only
 * where a test passed. */
#include "analysis.h"

#include "alertrules.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "framework.h"
#include "hash.h"
#include "jsonx.h"
#include "logpattern.h"
#include "trainlog.h"
#include "training.h"
#include "trainmark.h"

/* Pods whose first lines were scanned for framework markers, by a hash of
 * their UID (or names): an open-addressed table that is simply emptied
 * when full, which only means some pods get scanned again. */
#define SEEN_SLOTS 65536

struct seen {
	uint64_t key;   /* 0: free */
	uint32_t lines; /* lines scanned */
	uint8_t format; /* the Megatron line format was reported */
};

struct analysis {
	struct training *training;
	int framework_lines;
	pthread_mutex_t lock; /* seen and patterns */
	struct seen *seen;
	size_t nseen;
	struct logpattern_set *patterns;
	struct alertrules *rules; /* set once, before lines arrive */
	struct prom_metric *m_latency, *m_lines, *m_iterations, *m_rejected;
};

static const double latency_bounds[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900};

struct analysis *analysis_new(struct prom_registry *reg, struct training *training,
			      int framework_lines)
{
	struct analysis *a = xcalloc(1, sizeof *a);
	a->training = training;
	a->framework_lines = framework_lines;
	pthread_mutex_init(&a->lock, NULL);
	a->seen = xcalloc(SEEN_SLOTS, sizeof *a->seen);
	a->m_latency = prom_get(prom_family_new(
		reg, PROM_HISTOGRAM, "lens_aggregator_log_latency_seconds",
		"Time from a log line being written to it reaching the analysis.", NULL,
		latency_bounds, sizeof latency_bounds / sizeof latency_bounds[0]));
	a->m_lines = prom_get(prom_counter(reg, "lens_aggregator_log_lines_analysed_total",
					   "Log lines that reached the analysis.", NULL));
	a->m_iterations = prom_get(prom_counter(reg, "lens_aggregator_training_iteration_lines_total",
						"Training iteration lines recognised in logs (built-in "
						"layouts and users' patterns).", NULL));
	a->m_rejected = prom_get(prom_counter(reg, "lens_aggregator_training_lines_rejected_total",
					      "Training iteration lines with a negative or impossible "
					      "value (not used).", NULL));
	return a;
}

void analysis_free(struct analysis *a)
{
	if (!a)
		return;
	logpattern_set_unref(a->patterns);
	pthread_mutex_destroy(&a->lock);
	free(a->seen);
	free(a);
}

void analysis_set_patterns(struct analysis *a, struct logpattern_set *s)
{
	logpattern_set_ref(s);
	pthread_mutex_lock(&a->lock);
	struct logpattern_set *old = a->patterns;
	a->patterns = s;
	pthread_mutex_unlock(&a->lock);
	logpattern_set_unref(old);
}

static uint64_t pod_key(const struct log_record *r)
{
	uint64_t h = hash_str(hash_str(hash_str(HASH_INIT, r->pod_uid), r->namespace_), r->pod);
	return h ? h : 1;
}

/* The pod's slot (locked by the caller). */
static struct seen *seen_slot(struct analysis *a, uint64_t key)
{
	if (a->nseen > SEEN_SLOTS / 2) {
		memset(a->seen, 0, SEEN_SLOTS * sizeof *a->seen);
		a->nseen = 0;
	}
	for (size_t i = key % SEEN_SLOTS;; i = (i + 1) % SEEN_SLOTS) {
		if (a->seen[i].key == key)
			return &a->seen[i];
		if (!a->seen[i].key) {
			a->nseen++;
			a->seen[i].key = key;
			return &a->seen[i];
		}
	}
}

/* What analysis_lines remembers of the pod of the line before: a batch's
 * lines are one container's, so most lines skip the table and its lock. */
struct podmemo {
	const char *uid, *ns, *pod; /* the record's pointers */
	uint64_t key;
	bool scanned;  /* its first lines were all scanned */
	bool format;   /* its iteration-line layout was reported */
};

/* Framework markers in the first lines of each pod; the iteration-line
 * layout itself is Megatron's, reported once per pod. */
static void framework(struct analysis *a, const struct log_record *r, int iteration_line,
		      struct podmemo *m)
{
	if (r->pod_uid != m->uid || r->namespace_ != m->ns || r->pod != m->pod)
		*m = (struct podmemo){r->pod_uid, r->namespace_, r->pod, pod_key(r), false, false};
	if (m->scanned && (m->format || !iteration_line))
		return;
	pthread_mutex_lock(&a->lock);
	struct seen *s = seen_slot(a, m->key);
	int scan = s->lines < (uint32_t)a->framework_lines;
	int format = iteration_line && !s->format;
	s->lines += scan;
	s->format |= format;
	m->scanned = s->lines >= (uint32_t)a->framework_lines;
	m->format = s->format;
	pthread_mutex_unlock(&a->lock);
	struct framework_det d;
	if (format) {
		d = (struct framework_det){"", "megatron", 0.6, "log_format", "iteration line"};
		training_log_framework(a->training, r, &d);
	}
	if (scan && framework_from_line(r->line, r->len, &d))
		training_log_framework(a->training, r, &d);
}

static void report(struct analysis *a, const struct log_record *r, int64_t iteration,
		   const struct trainlog_line *l, json_t *fields)
{
	struct buf perf = BUF_INIT;
	char *text = NULL;
	if (l)
		trainlog_fields_write(l, &perf);
	else if ((text = json_dumps(fields, JSONX_DUMP_FLAGS)))
		buf_puts(&perf, text);
	free(text);
	if (perf.len)
		training_log_report(a->training, r, iteration, perf.p, perf.len);
	buf_free(&perf);
}

/* One line: 1 iteration line, -1 rejected, 0 anything else. */
static int line(struct analysis *a, const struct log_record *r, struct logpattern_set *patterns)
{
	struct trainlog_line l;
	int rc = trainlog_parse(r->line, r->len, &l);
	if (rc > 0 && a->training)
		report(a, r, (int64_t)l.v[TL_ITERATION], &l, NULL);
	if (rc != 0)
		return rc;
	struct trainmark m;
	if (l.mentions_iteration && trainmark_parse(r->line, r->len, &m)) {
		if (a->training)
			training_log_mark(a->training, r, &m);
		return 0;
	}
	int64_t it;
	json_t *fields;
	const char *name, *why;
	rc = logpattern_match(patterns, r->line, r->len, &it, &fields, &name, &why);
	if (rc > 0 && a->training)
		report(a, r, it, NULL, fields);
	if (rc > 0)
		json_decref(fields);
	return rc;
}

void analysis_lines(struct analysis *a, const struct log_record *recs, size_t n)
{
	int64_t now = clock_now_ns();
	pthread_mutex_lock(&a->lock);
	struct logpattern_set *patterns = logpattern_set_ref(a->patterns);
	pthread_mutex_unlock(&a->lock);
	struct podmemo memo = {0};
	for (size_t i = 0; i < n; i++) {
		double late = (double)(now - recs[i].logged_ns) / (double)NS_PER_SEC;
		prom_observe(a->m_latency, late > 0 ? late : 0);
		int rc = line(a, &recs[i], patterns);
		if (rc > 0)
			prom_inc(a->m_iterations);
		else if (rc < 0)
			prom_inc(a->m_rejected);
		if (a->training)
			framework(a, &recs[i], rc > 0, &memo);
	}
	logpattern_set_unref(patterns);
	prom_add(a->m_lines, (double)n);
	alertrules_lines(a->rules, recs, n);
}

void analysis_set_rules(struct analysis *a, struct alertrules *rules)
{
	a->rules = rules;
}

void analysis_exec(struct analysis *a, const struct log_record *r, const json_t *argv)
{
	struct framework_det d;
	if (a->training && r->pod_uid && *r->pod_uid && framework_from_argv(argv, &d))
		training_log_launch(a->training, r, &d);
}
