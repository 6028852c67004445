/* training: the queue, its flusher and the hang sweep. */
#include "training.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonx.h"
#include "log.h"
#include "ticker.h"
#include "trainitem.h"

/* Serialises hang sweeps across replicas (see retention.c for the others). */
#define TRAINING_LOCK_KEY "7418246115"

/* Items per statement. A statement is one transaction, and every report
 * of a workload updates its run's row: in one transaction each update
 * walks the row's chain of versions, so cost grows with the square of a
 * workload's reports per statement. Measured: 0.26 ms a report in
 * statements of 50 or 100, 0.52 ms in one statement of 2,000. */
#define CHUNK_ITEMS 50

/* Items as JSON text, comma-separated: a statement's batch is "[" text "]"
 * with no JSON built per item. */
struct chunk {
	struct buf text;
	int n;
};

struct training {
	struct training_config cfg;
	struct db_pool *pool;
	char *cfg_json;            /* the detection settings lens_training_batch reads */
	pthread_mutex_t lock;
	struct chunk *chunks;      /* the queue: items in arrival order */
	size_t nchunks, cap;
	long nqueue;
	pthread_mutex_t flushing;  /* one flush at a time keeps the order */
	struct ticker *flusher, *hangs;
	struct prom_family *f_events, *f_reports, *f_skipped;
	struct prom_metric *m_dropped, *m_failed, *m_queue_full;
};

struct training *training_new(const struct training_config *cfg, struct db_pool *pool,
			      struct prom_registry *reg)
{
	struct training *t = xcalloc(1, sizeof *t);
	t->cfg = *cfg;
	t->pool = pool;
	json_t *c = json_pack("{s:f,s:i,s:i,s:f}", "slow_pct", cfg->slow_percent, "slow_iterations",
			      cfg->slow_iterations, "window", cfg->window, "restart_gap_ms",
			      (double)cfg->restart_gap_ns / 1e6);
	t->cfg_json = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->flushing, NULL);
	t->f_events = prom_counter(reg, "lens_aggregator_training_events_total",
				   "Training events raised (start, checkpoint_save, checkpoint_load, "
				   "end, hang, slowdown, nan_loss, framework).", "type");
	t->f_reports = prom_counter(reg, "lens_aggregator_training_reports_total",
				    "Iteration reports queued for training_performance.", "source");
	t->f_skipped = prom_counter(reg, "lens_aggregator_wandb_values_skipped_total",
				    "WandB metric values not stored: non_numeric values, or "
				    "bad_metric entries (no name or no valid step).", "reason");
	t->m_failed = prom_get(prom_counter(reg, "lens_aggregator_training_store_failures_total",
					    "Flushes of the training queue the database refused or "
					    "could not take (retried).", NULL));
	t->m_dropped = prom_get(prom_counter(reg, "lens_aggregator_training_items_dropped_total",
					     "Training items the database refused one by one "
					     "(logged; their log lines stay stored).", NULL));
	t->m_queue_full = prom_get(prom_counter(reg, "lens_aggregator_training_queue_dropped_total",
						"Training items dropped because the queue was full "
						"while the database was away.", NULL));
	return t;
}

void training_count_skipped(struct training *t, const char *reason, long n)
{
	if (n > 0)
		prom_add(prom_get(t->f_skipped, reason), (double)n);
}

/* Appends one item's text; beyond max_queue the item is dropped (the
 * queue only grows while the database is away). */
static void push_text(struct training *t, const char *text, size_t len)
{
	pthread_mutex_lock(&t->lock);
	if (t->nqueue >= t->cfg.max_queue) {
		prom_inc(t->m_queue_full);
		pthread_mutex_unlock(&t->lock);
		return;
	}
	if (!t->nchunks || t->chunks[t->nchunks - 1].n == CHUNK_ITEMS) {
		if (t->nchunks == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 16;
			t->chunks = xrealloc(t->chunks, t->cap * sizeof *t->chunks);
		}
		t->chunks[t->nchunks++] = (struct chunk){BUF_INIT, 0};
	}
	struct chunk *c = &t->chunks[t->nchunks - 1];
	if (c->n++)
		buf_putc(&c->text, ',');
	buf_append(&c->text, text, len);
	t->nqueue++;
	pthread_mutex_unlock(&t->lock);
}

static void push(struct training *t, json_t *item)
{
	char *text = json_dumps(item, JSONX_DUMP_FLAGS);
	if (text)
		push_text(t, text, strlen(text));
	free(text);
	json_decref(item);
}

static json_t *log_item(const char *kind, const struct log_record *r)
{
	json_t *it = trainitem_new(kind, r->pod_uid, "log", r->logged_ns / 1000);
	trainitem_set_pod(it, r->namespace_, r->pod);
	return it;
}

/* The hot path (one line in twenty, say): the item written as text. */
void training_log_report(struct training *t, const struct log_record *r, int64_t iteration,
			 const char *perf, size_t perf_len)
{
	struct buf b = BUF_INIT;
	trainitem_write_report(&b, r->pod_uid, r->namespace_, r->pod, r->logged_ns / 1000, iteration,
			       perf, perf_len);
	push_text(t, b.p, b.len);
	buf_free(&b);
	prom_inc(prom_get(t->f_reports, "log"));
}

void training_log_mark(struct training *t, const struct log_record *r, const struct trainmark *m)
{
	json_t *it = log_item(trainmark_kind_name(m->kind), r), *d = json_object();
	json_object_set_new(it, "i", json_integer(m->iteration));
	if (m->path[0])
		json_object_set_new(d, "path", json_string(m->path));
	if (m->took_ms >= 0)
		json_object_set_new(d, "duration_ms", json_real(m->took_ms));
	json_object_set_new(it, "d", d);
	push(t, it);
}

/* The evidence of a detection: the marker, and the line it was in. */
static void push_framework(struct training *t, const struct log_record *r,
			   const struct framework_det *d, const char *source)
{
	json_t *it = trainitem_framework(d, r->pod_uid, source, r->logged_ns / 1000);
	trainitem_set_pod(it, r->namespace_, r->pod);
	json_object_set_new(it, "d", json_pack("{s:s,s:s#}", "marker", d->evidence, "line",
					       r->line, (int)(r->len > 200 ? 200 : r->len)));
	push(t, it);
}

void training_log_framework(struct training *t, const struct log_record *r,
			    const struct framework_det *d)
{
	push_framework(t, r, d, "log");
}

void training_log_launch(struct training *t, const struct log_record *r,
			 const struct framework_det *d)
{
	json_t *it = log_item("launch", r);
	json_object_set_new(it, "src", json_string("kernel"));
	json_object_set_new(it, "d", json_pack("{s:s#}", "command", r->line,
					       (int)(r->len > 200 ? 200 : r->len)));
	push(t, it);
	if (d->confidence > 0)
		push_framework(t, r, d, "cmdline");
}

static void note_events(struct training *t, PGresult *res, json_t *events)
{
	for (int i = 0; i < PQntuples(res); i++) {
		const char *w = PQgetvalue(res, i, 0), *ev = PQgetvalue(res, i, 1);
		const char *iter = PQgetisnull(res, i, 2) ? "" : PQgetvalue(res, i, 2);
		prom_inc(prom_get(t->f_events, ev));
		log_info("training event", "type=%s workload_uid=%s iteration=%s", ev, log_q(w),
			 iter);
		if (events)
			json_array_append_new(events, json_pack("{s:s,s:s,s:s}", "workload_uid", w,
								"event", ev, "iteration", iter));
	}
}

/* Stores a batch given as the text of a JSON array. */
static int store_text(struct training *t, PGconn *c, const char *text, json_t *events, char *err,
		      size_t errlen)
{
	const char *p[] = {text, t->cfg_json};
	PGresult *res = db_exec(c,
				"SELECT workload_uid, event, iteration"
				" FROM lens_training_batch($1::jsonb, $2::jsonb)",
				2, p, err, errlen, NULL);
	if (!res)
		return -EIO;
	note_events(t, res, events);
	PQclear(res);
	return 0;
}

int training_store(struct training *t, PGconn *c, json_t *items, json_t **events, char *err,
		   size_t errlen)
{
	char *text = json_dumps(items, JSONX_DUMP_FLAGS);
	if (events)
		*events = json_array();
	int rc = store_text(t, c, text, events ? *events : NULL, err, errlen);
	free(text);
	return rc;
}

/* Puts chunks that could not be stored back in front of what came since. */
static void requeue(struct training *t, struct chunk *chunks, size_t n)
{
	pthread_mutex_lock(&t->lock);
	if (t->nchunks + n > t->cap) {
		t->cap = t->nchunks + n;
		t->chunks = xrealloc(t->chunks, t->cap * sizeof *t->chunks);
	}
	memmove(t->chunks + n, t->chunks, t->nchunks * sizeof *t->chunks);
	memcpy(t->chunks, chunks, n * sizeof *chunks);
	t->nchunks += n;
	for (size_t i = 0; i < n; i++)
		t->nqueue += chunks[i].n;
	pthread_mutex_unlock(&t->lock);
}

/* The database refused the batch: store the items one by one and drop
 * only those it refuses, so one bad item never blocks the rest. */
static void store_each(struct training *t, PGconn *c, const char *text)
{
	json_t *items = json_loads(text, 0, NULL), *it;
	size_t i;
	json_array_foreach(items, i, it) {
		char err[256];
		json_t *one = json_pack("[O]", it);
		if (training_store(t, c, one, NULL, err, sizeof err)) {
			prom_inc(t->m_dropped);
			log_warn("training item refused", "kind=%s pod_uid=%s err=%s",
				 jsonx_str(it, "k"), log_q(jsonx_str(it, "p")), log_q(err));
		}
		json_decref(one);
	}
	json_decref(items);
}

/* Stores one chunk: 0, or -EIO when the database is away (not stored). */
static int store_chunk(struct training *t, PGconn *c, struct chunk *ch)
{
	char err[256];
	struct buf text = BUF_INIT;
	buf_printf(&text, "[%.*s]", (int)ch->text.len, ch->text.p);
	int rc = store_text(t, c, text.p, NULL, err, sizeof err);
	if (rc) {
		prom_inc(t->m_failed);
		log_warn("training flush failed", "items=%d err=%s", ch->n, log_q(err));
		if (!db_conn_broken(c)) {
			store_each(t, c, text.p);
			rc = 0;
		}
	}
	buf_free(&text);
	return rc;
}

void training_flush(struct training *t)
{
	pthread_mutex_lock(&t->flushing);
	pthread_mutex_lock(&t->lock);
	struct chunk *chunks = t->chunks;
	size_t n = t->nchunks, done = 0;
	t->chunks = NULL;
	t->nchunks = t->cap = 0;
	t->nqueue = 0;
	pthread_mutex_unlock(&t->lock);
	char err[256];
	PGconn *c = n ? db_acquire(t->pool, err, sizeof err) : NULL;
	if (n && !c)
		log_warn("training flush postponed", "err=%s", log_q(err));
	for (; c && done < n && store_chunk(t, c, &chunks[done]) == 0; done++)
		buf_free(&chunks[done].text);
	if (done < n)
		requeue(t, chunks + done, n - done);
	free(chunks);
	if (c)
		db_release(t->pool, c);
	pthread_mutex_unlock(&t->flushing);
}

static long long sweep(struct training *t, PGconn *c, char *err, size_t errlen)
{
	char factor[32], min_us[32], idle_us[32];
	snprintf(factor, sizeof factor, "%g", t->cfg.hang_factor);
	snprintf(min_us, sizeof min_us, "%lld", (long long)(t->cfg.hang_min_ns / 1000));
	snprintf(idle_us, sizeof idle_us, "%lld", (long long)(t->cfg.hang_max_idle_ns / 1000));
	const char *p[] = {factor, min_us, idle_us};
	PGresult *res = db_exec(c, "SELECT pg_try_advisory_xact_lock(" TRAINING_LOCK_KEY ")", 0,
				NULL, err, errlen, NULL);
	bool locked = res && PQgetvalue(res, 0, 0)[0] == 't';
	long long n = res ? 0 : -EIO;
	PQclear(res);
	if (!locked)
		return n;
	res = db_exec(c,
		      "SELECT workload_uid, 'hang', iteration FROM lens_training_hangs($1::float8,"
		      " $2::bigint * interval '1 microsecond', $3::bigint * interval '1 microsecond')",
		      3, p, err, errlen, NULL);
	if (!res)
		return -EIO;
	note_events(t, res, NULL);
	n = PQntuples(res);
	PQclear(res);
	return n;
}

long long training_check_hangs(struct training *t)
{
	char err[256];
	PGconn *c = db_acquire(t->pool, err, sizeof err);
	if (!c)
		return -EIO;
	long long n = db_cmd(c, "BEGIN", 0, NULL, err, sizeof err, NULL) ? -EIO
									 : sweep(t, c, err, sizeof err);
	if (db_cmd(c, n < 0 ? "ROLLBACK" : "COMMIT", 0, NULL, err, sizeof err, NULL))
		n = -EIO;
	if (n < 0)
		log_warn("hang sweep failed", "err=%s", log_q(err));
	db_release(t->pool, c);
	return n;
}

static void flush_tick(void *arg)
{
	training_flush(arg);
}

static void hang_tick(void *arg)
{
	training_check_hangs(arg);
}

int training_start(struct training *t)
{
	if (ticker_start(t->cfg.flush_ns, flush_tick, t, &t->flusher) ||
	    ticker_start(t->cfg.hang_check_ns, hang_tick, t, &t->hangs))
		return -EAGAIN;
	return 0;
}

void training_stop(struct training *t)
{
	if (!t)
		return;
	ticker_stop(t->flusher);
	ticker_stop(t->hangs);
	t->flusher = t->hangs = NULL;
	training_flush(t);
}

void training_free(struct training *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nchunks; i++)
		buf_free(&t->chunks[i].text);
	free(t->chunks);
	free(t->cfg_json);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->flushing);
	free(t);
}
