/* ingest: queue, writer threads and the batch transaction. */
#include "ingest.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "devcache.h"
#include "devhealth.h"
#include "alertrules.h"
#include "events.h"
#include "logs.h"
#include "podcache.h"
#include "pods.h"
#include "profiler.h"
#include "devices.h"
#include "nodes.h"
#include "pgarray.h"

#define STATUS(x) LENS__V1__ACK__STATUS__STATUS_##x
#define ATTEMPTS 3
#define CONNECT_BACKOFF_MAX_NS (2 * NS_PER_SEC)

typedef void (*store_fn)(Envelope *const *envs, int n, struct pgarray_stmt *st);

/* Where each payload type goes: a statement built for a batch of them
 * (inside the transaction), and what follows once it committed (caches,
 * the analysis) when to_cache. A payload without an entry is kept in the
 * ledger only. */
static const struct {
	int payload_case;
	store_fn store;
	bool to_cache;
} stores[] = {
	{LENS__V1__ENVELOPE__PAYLOAD_NODE_INFO, nodes_stmt_info, false},
	{LENS__V1__ENVELOPE__PAYLOAD_HEARTBEAT, nodes_stmt_heartbeats, false},
	{LENS__V1__ENVELOPE__PAYLOAD_DEVICE_INVENTORY, devices_stmt_inventory, false},
	{LENS__V1__ENVELOPE__PAYLOAD_DEVICE_SAMPLES, devices_stmt_events, true},
	{LENS__V1__ENVELOPE__PAYLOAD_POD_DEVICE_MAP, pods_stmt_maps, true},
	{LENS__V1__ENVELOPE__PAYLOAD_KERNEL_EVENTS, events_stmt, true},
	{LENS__V1__ENVELOPE__PAYLOAD_LOG_BATCH, logs_stmt_batches, true},
	{LENS__V1__ENVELOPE__PAYLOAD_PROFILER_FILE, profiler_stmt_files, false},
	{LENS__V1__ENVELOPE__PAYLOAD_PROFILER_CHUNK, profiler_stmt_chunks, false},
};
#define NSTORES (sizeof stores / sizeof stores[0])

/* The new envelopes of one payload type among items; returns how many. */
static int select_new(struct ingest_item **items, int n, int payload_case, Envelope **envs)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		if (items[i]->status == STATUS(STORED) &&
		    (int)items[i]->env->payload_case == payload_case)
			envs[k++] = items[i]->env;
	return k;
}

struct writer {
	struct ingest *in;
	pthread_t thread;
	PGconn *conn;
	int64_t next_connect_ns, connect_backoff_ns;
};

struct ingest {
	struct ingest_config cfg;
	char *db_url;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ingest_item *head, **tail;
	int depth;
	bool stopping;
	struct writer *writers;
	struct prom_family *f_answers, *f_latency, *f_db_errors, *f_batch, *f_commit;
	struct prom_metric *m_depth;
};

static const double latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					 0.1,    0.25,  0.5,    1,     2.5,   5,     10};
static const double batch_bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000};

/* Keys ------------------------------------------------------------------------ */

static int key_cmp(const Envelope *a, const Envelope *b)
{
	int c = strcmp(a->node_name, b->node_name);
	if (!c)
		c = strcmp(a->boot_id, b->boot_id);
	if (!c)
		c = (a->stream_id > b->stream_id) - (a->stream_id < b->stream_id);
	if (!c)
		c = (a->seq > b->seq) - (a->seq < b->seq);
	return c;
}

static int item_cmp(const void *x, const void *y)
{
	const struct ingest_item *a = *(struct ingest_item *const *)x;
	const struct ingest_item *b = *(struct ingest_item *const *)y;
	return key_cmp(a->env, b->env);
}

/* Marks the first not-yet-stored item with the key of a ledger row. */
static void mark_stored(struct ingest_item **items, int n, const Envelope *key)
{
	int lo = 0, hi = n;
	while (lo < hi) { /* first index with items[i] >= key */
		int mid = (lo + hi) / 2;
		if (key_cmp(items[mid]->env, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int i = lo; i < n && key_cmp(items[i]->env, key) == 0; i++) {
		if (items[i]->status != STATUS(STORED)) {
			items[i]->status = STATUS(STORED);
			return;
		}
	}
}

/* The batch transaction ------------------------------------------------------- */

static const char ledger_sql[] =
	"INSERT INTO envelopes (node, boot_id, stream, seq, payload, sent_at)"
	" SELECT node, boot_id, stream, seq, payload,"
	"  " PGARRAY_NS_TO_TS("sent")
	" FROM unnest($1::text[], $2::uuid[], $3::smallint[], $4::bigint[], $5::text[],"
	"  $6::bigint[]) AS u(node, boot_id, stream, seq, payload, sent)"
	" ORDER BY node, boot_id, stream, seq"
	" ON CONFLICT DO NOTHING RETURNING node, boot_id::text, stream, seq";

/* Device samples without driver events skip the ledger: a resent sample
 * replaces the same or an older one in memory, so exactly-once buys
 * nothing there and would cost a row per sample (one per node every
 * interval). Everything else is recorded. */
static bool needs_ledger(const Envelope *e)
{
	return e->payload_case != LENS__V1__ENVELOPE__PAYLOAD_DEVICE_SAMPLES ||
	       e->device_samples->n_events > 0;
}

static void ledger_stmt(struct ingest_item **items, int n, struct pgarray_stmt *st)
{
	struct pgarray *a = st->a;
	pgarray_stmt_init(st, ledger_sql, 6);
	for (int i = 0; i < n; i++) {
		const Envelope *e = items[i]->env;
		if (!needs_ledger(e))
			continue;
		pgarray_str(&a[0], e->node_name);
		pgarray_str(&a[1], e->boot_id);
		pgarray_i64(&a[2], e->stream_id);
		pgarray_u64(&a[3], e->seq);
		pgarray_str(&a[4], envelope_payload_name(e->payload_case));
		pgarray_i64(&a[5], e->sent_unix_ns);
	}
}

/* Marks the items whose keys the ledger insert returned as new. */
static void mark_new(struct ingest_item **items, int n, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		Envelope key = LENS__V1__ENVELOPE__INIT;
		key.node_name = PQgetvalue(r, row, 0);
		key.boot_id = PQgetvalue(r, row, 1);
		key.stream_id = (uint32_t)strtoul(PQgetvalue(r, row, 2), NULL, 10);
		key.seq = strtoull(PQgetvalue(r, row, 3), NULL, 10);
		mark_stored(items, n, &key);
	}
}

/* BEGIN and the ledger insert, in one round trip. */
static int write_ledger(PGconn *c, struct ingest_item **items, int n, char *err, size_t errlen,
			char *sqlstate)
{
	struct pgarray_stmt ledger;
	ledger_stmt(items, n, &ledger);
	struct db_stmt st[2] = {{"BEGIN", 0, NULL}, pgarray_stmt_get(&ledger)};
	PGresult *res[2];
	int rc = db_pipeline(c, st, 2, res, err, errlen, sqlstate);
	if (!rc)
		mark_new(items, n, res[1]);
	PQclear(res[0]);
	PQclear(res[1]);
	pgarray_stmt_free(&ledger);
	return rc;
}

/* The payload statements of the new envelopes and COMMIT, in one round
 * trip. */
static int write_payloads(PGconn *c, struct ingest_item **items, int n, char *err,
			  size_t errlen, char *sqlstate)
{
	Envelope **envs = xmalloc(sizeof *envs * (size_t)n);
	struct pgarray_stmt built[NSTORES];
	struct db_stmt st[NSTORES + 1];
	PGresult *res[NSTORES + 1];
	int nst = 0;
	for (size_t s = 0; s < NSTORES; s++) {
		int k = stores[s].store ? select_new(items, n, stores[s].payload_case, envs) : 0;
		if (!k)
			continue;
		stores[s].store(envs, k, &built[nst]);
		st[nst] = pgarray_stmt_get(&built[nst]);
		nst++;
	}
	st[nst] = (struct db_stmt){"COMMIT", 0, NULL};
	int rc = db_pipeline(c, st, nst + 1, res, err, errlen, sqlstate);
	for (int i = 0; i < nst; i++)
		pgarray_stmt_free(&built[i]);
	for (int i = 0; i <= nst; i++)
		PQclear(res[i]);
	free(envs);
	return rc;
}

/* One attempt at the whole batch in two round trips; statuses are final
 * only when it returns 0. */
static int try_batch(struct writer *w, struct ingest_item **items, int n, char *err,
		     size_t errlen, char *sqlstate)
{
	for (int i = 0; i < n; i++)
		items[i]->status = needs_ledger(items[i]->env) ? STATUS(DUPLICATE) : STATUS(STORED);
	int64_t t0 = clock_mono_ns();
	int rc = write_ledger(w->conn, items, n, err, errlen, sqlstate);
	if (!rc)
		rc = write_payloads(w->conn, items, n, err, errlen, sqlstate);
	if (!rc)
		prom_observe(prom_get(w->in->f_commit),
			     (double)(clock_mono_ns() - t0) / (double)NS_PER_SEC);
	return rc;
}

/* After COMMIT: payloads that live in memory too. */
static void update_cache(struct ingest *in, struct ingest_item **items, int n)
{
	Envelope **envs = xmalloc(sizeof *envs * (size_t)n);
	for (size_t s = 0; s < NSTORES; s++) {
		int k = stores[s].to_cache ? select_new(items, n, stores[s].payload_case, envs) : 0;
		if (!k)
			continue;
		switch (stores[s].payload_case) {
		case LENS__V1__ENVELOPE__PAYLOAD_DEVICE_SAMPLES:
			if (in->cfg.cache)
				devcache_update(in->cfg.cache, envs, k);
			devhealth_samples(in->cfg.alerts, in->cfg.pods, envs, k,
					  in->cfg.device_alert_hold_ns);
			alertrules_samples(in->cfg.rules, envs, k, in->cfg.device_alert_hold_ns);
			break;
		case LENS__V1__ENVELOPE__PAYLOAD_LOG_BATCH:
			logs_analyse(in->cfg.analysis, envs, k);
			break;
		case LENS__V1__ENVELOPE__PAYLOAD_KERNEL_EVENTS:
			events_analyse(in->cfg.analysis, envs, k);
			break;
		default:
			if (in->cfg.pods)
				podcache_update(in->cfg.pods, envs, k);
		}
	}
	free(envs);
}

/* Answers ---------------------------------------------------------------------- */

static const char *status_name(int status)
{
	switch (status) {
	case STATUS(STORED):
		return "stored";
	case STATUS(DUPLICATE):
		return "duplicate";
	case STATUS(REJECTED):
		return "rejected";
	default:
		return "retry";
	}
}

static void answer(struct ingest *in, struct ingest_item *it, int status, const char *reason)
{
	prom_inc_l(in->f_answers, envelope_payload_name(it->env->payload_case),
		   status_name(status));
	prom_observe(prom_get(in->f_latency),
		     (double)(clock_mono_ns() - it->received_ns) / (double)NS_PER_SEC);
	it->reply(it, status, reason);
}

static void answer_all(struct ingest *in, struct ingest_item **items, int n, int status,
		       const char *reason)
{
	for (int i = 0; i < n; i++)
		answer(in, items[i], status, reason);
}

/* Connection ------------------------------------------------------------------- */

/* A usable connection, or false (quickly, while backing off) so the batch
 * can be answered RETRY at once. */
static bool writer_connect(struct writer *w, char *err, size_t errlen)
{
	if (w->conn && !db_conn_broken(w->conn))
		return db_recover(&w->conn, w->in->db_url, err, errlen);
	int64_t now = clock_mono_ns();
	if (now < w->next_connect_ns) {
		snprintf(err, errlen, "database unavailable (reconnecting)");
		return false;
	}
	if (db_recover(&w->conn, w->in->db_url, err, errlen)) {
		if (w->connect_backoff_ns)
			log_info("database connection restored");
		w->connect_backoff_ns = 0;
		return true;
	}
	if (!w->connect_backoff_ns)
		log_error("database connection failed", "err=%s", log_q(err));
	w->connect_backoff_ns = w->connect_backoff_ns ? w->connect_backoff_ns * 2
						      : 100 * NS_PER_MS;
	if (w->connect_backoff_ns > CONNECT_BACKOFF_MAX_NS)
		w->connect_backoff_ns = CONNECT_BACKOFF_MAX_NS;
	w->next_connect_ns = now + w->connect_backoff_ns;
	return false;
}

/* Batches ---------------------------------------------------------------------- */

static void process(struct writer *w, struct ingest_item **items, int n);

static void process_one_by_one(struct writer *w, struct ingest_item **items, int n)
{
	for (int i = 0; i < n; i++)
		process(w, &items[i], 1);
}

static void process(struct writer *w, struct ingest_item **items, int n)
{
	struct ingest *in = w->in;
	char err[256] = "", sqlstate[6] = "";
	if (!writer_connect(w, err, sizeof err)) {
		prom_inc_l(in->f_db_errors, "connect");
		answer_all(in, items, n, STATUS(RETRY), err);
		return;
	}
	int rc = -EIO;
	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		rc = try_batch(w, items, n, err, sizeof err, sqlstate);
		if (!rc)
			break;
		prom_inc_l(in->f_db_errors, "store");
		char rerr[256];
		db_recover(&w->conn, in->db_url, rerr, sizeof rerr);
		if (!db_transient(sqlstate))
			break;
	}
	if (!rc) {
		update_cache(in, items, n);
		for (int i = 0; i < n; i++)
			answer(in, items[i], items[i]->status, NULL);
		return;
	}
	/* Only data exceptions (22) and constraint violations (23) are the
	 * envelope's fault. Anything else (the database away, a schema this
	 * aggregator does not match: 42...) is ours: the agents resend later,
	 * and nothing they spooled is thrown away. */
	bool data_error = strncmp(sqlstate, "22", 2) == 0 || strncmp(sqlstate, "23", 2) == 0;
	if (db_conn_broken(w->conn) || db_transient(sqlstate) || !data_error) {
		log_warn("store failed; asking agents to resend", "items=%d sqlstate=%s err=%s", n,
			 sqlstate, log_q(err));
		answer_all(in, items, n, STATUS(RETRY), err);
	} else if (n > 1) {
		/* The database refuses something in this batch: find what. */
		process_one_by_one(w, items, n);
	} else {
		log_warn("envelope refused by the database; rejecting it", "node=%s stream=%u "
			 "seq=%llu sqlstate=%s err=%s", log_q(items[0]->env->node_name),
			 items[0]->env->stream_id, (unsigned long long)items[0]->env->seq,
			 sqlstate, log_q(err));
		answer(in, items[0], STATUS(REJECTED), err);
	}
}

/* Takes up to max_batch items; NULL count 0 means stop. */
static int take_batch(struct ingest *in, struct ingest_item **items)
{
	pthread_mutex_lock(&in->lock);
	while (!in->head && !in->stopping)
		pthread_cond_wait(&in->cond, &in->lock);
	int n = 0;
	while (in->head && n < in->cfg.max_batch) {
		items[n++] = in->head;
		in->head = in->head->next;
	}
	if (!in->head)
		in->tail = &in->head;
	in->depth -= n;
	prom_set(in->m_depth, in->depth);
	pthread_mutex_unlock(&in->lock);
	return n;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct ingest *in = w->in;
	struct ingest_item **items = xmalloc(sizeof *items * (size_t)in->cfg.max_batch);
	int n;
	while ((n = take_batch(in, items)) > 0) {
		prom_observe(prom_get(in->f_batch), n);
		/* Sorted: duplicates sit together, and rows lock in one order. */
		qsort(items, (size_t)n, sizeof *items, item_cmp);
		process(w, items, n);
	}
	free(items);
	PQfinish(w->conn);
	return NULL;
}

/* Lifecycle -------------------------------------------------------------------- */

void ingest_submit(struct ingest *in, struct ingest_item *it)
{
	it->next = NULL;
	pthread_mutex_lock(&in->lock);
	*in->tail = it;
	in->tail = &it->next;
	in->depth++;
	prom_set(in->m_depth, in->depth);
	pthread_cond_signal(&in->cond);
	pthread_mutex_unlock(&in->lock);
}

int ingest_queue_depth(struct ingest *in)
{
	pthread_mutex_lock(&in->lock);
	int d = in->depth;
	pthread_mutex_unlock(&in->lock);
	return d;
}

static void init_metrics(struct ingest *in, struct prom_registry *reg)
{
	in->f_answers = prom_counter(
		reg, "lens_aggregator_envelopes_answered_total",
		"Envelopes answered after storing, by payload and outcome (stored, duplicate, "
		"rejected, retry).",
		"payload,outcome");
	in->f_latency = prom_family_new(
		reg, PROM_HISTOGRAM, "lens_aggregator_ingest_latency_seconds",
		"Time from receiving an envelope to answering it (after COMMIT).", NULL,
		latency_bounds, (int)(sizeof latency_bounds / sizeof latency_bounds[0]));
	in->f_commit = prom_family_new(
		reg, PROM_HISTOGRAM, "lens_aggregator_db_batch_seconds",
		"Time of one successful batch transaction.", NULL, latency_bounds,
		(int)(sizeof latency_bounds / sizeof latency_bounds[0]));
	in->f_batch = prom_family_new(reg, PROM_HISTOGRAM, "lens_aggregator_ingest_batch_size",
				      "Envelopes per batch transaction.", NULL, batch_bounds,
				      (int)(sizeof batch_bounds / sizeof batch_bounds[0]));
	in->f_db_errors = prom_counter(reg, "lens_aggregator_db_errors_total",
				       "Database errors, by operation.", "op");
	in->m_depth = prom_get(prom_gauge(reg, "lens_aggregator_ingest_queue_depth",
					  "Envelopes received and waiting for a writer.", NULL));
}

int ingest_start(const struct ingest_config *cfg, struct prom_registry *reg,
		 struct ingest **out, char *err, size_t errlen)
{
	if (cfg->writers < 1 || cfg->max_batch < 1) {
		snprintf(err, errlen, "ingest needs at least one writer and a batch of one");
		return -EINVAL;
	}
	struct ingest *in = xcalloc(1, sizeof *in);
	in->cfg = *cfg;
	in->db_url = xstrdup(cfg->db_url);
	in->tail = &in->head;
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->cond, NULL);
	init_metrics(in, reg);
	in->writers = xcalloc((size_t)cfg->writers, sizeof *in->writers);
	for (int i = 0; i < cfg->writers; i++) {
		in->writers[i].in = in;
		if (pthread_create(&in->writers[i].thread, NULL, writer_main, &in->writers[i])) {
			snprintf(err, errlen, "cannot start ingest writer thread");
			in->cfg.writers = i;
			ingest_stop(in);
			return -EAGAIN;
		}
	}
	*out = in;
	return 0;
}

void ingest_stop(struct ingest *in)
{
	if (!in)
		return;
	pthread_mutex_lock(&in->lock);
	in->stopping = true;
	pthread_cond_broadcast(&in->cond);
	pthread_mutex_unlock(&in->lock);
	for (int i = 0; i < in->cfg.writers; i++)
		pthread_join(in->writers[i].thread, NULL);
	pthread_cond_destroy(&in->cond);
	pthread_mutex_destroy(&in->lock);
	free(in->writers);
	free(in->db_url);
	free(in);
}
