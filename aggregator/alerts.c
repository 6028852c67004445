/* alerts: settings, the fire statement and the sweep timer. */
#include "alerts.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "jsonx.h"
#include "log.h"
#include "ticker.h"

#define ALERT_SWEEP_LOCK_KEY "7418246116"
#define MAX_QUEUED 10000

struct alerts {
	struct alerts_config cfg;
	struct db_pool *pool;
	struct ticker *ticker;
	pthread_mutex_t lock; /* queued */
	json_t *queued;
	struct prom_family *f_received, *f_rejected;
	struct prom_metric *m_sweeps, *m_changed, *m_sweep_errors, *m_dropped;
};

static int write_config(struct alerts *al, char *err, size_t errlen)
{
	char w[32], r[32];
	snprintf(w, sizeof w, "%lld", (long long)(al->cfg.correlation_window_ns / 1000));
	snprintf(r, sizeof r, "%lld", (long long)(al->cfg.resolve_timeout_ns / 1000));
	const char *p[] = {w, r};
	PGconn *c = db_acquire(al->pool, err, errlen);
	if (!c)
		return -EIO;
	int rc = db_cmd(c,
			"UPDATE alert_config SET correlation_window = $1::bigint * interval '1 microsecond',"
			" resolve_timeout = $2::bigint * interval '1 microsecond'",
			2, p, err, errlen, NULL);
	db_release(al->pool, c);
	return rc;
}

int alerts_fire(struct alerts *al, PGconn *c, const json_t *alerts, json_t **ids, char *err,
		size_t errlen)
{
	char *text = json_dumps(alerts, JSONX_DUMP_FLAGS);
	const char *p[] = {text};
	char sqlstate[6] = "";
	PGresult *r = db_exec(c,
			      "SELECT coalesce(json_agg(lens_alert_fire(a) ORDER BY n), '[]')"
			      " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(a, n)",
			      1, p, err, errlen, sqlstate);
	free(text);
	if (!r)
		return db_input_error(sqlstate) ? -EINVAL : -EIO;
	*ids = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	const json_t *a;
	size_t i;
	json_array_foreach(alerts, i, a)
		prom_inc(prom_get(al->f_received, jsonx_str(a, "source")));
	return *ids ? 0 : -EIO;
}

void alerts_count_rejected(struct alerts *al, const char *endpoint)
{
	prom_inc(prom_get(al->f_rejected, endpoint));
}

void alerts_queue(struct alerts *al, json_t *alert)
{
	pthread_mutex_lock(&al->lock);
	if (json_array_size(al->queued) < MAX_QUEUED)
		json_array_append(al->queued, alert);
	else
		prom_inc(al->m_dropped);
	pthread_mutex_unlock(&al->lock);
	json_decref(alert);
}

/* What was queued, in one statement; kept for the next time when the
 * database is away. */
static void store_queued(struct alerts *al, PGconn *c)
{
	char err[256];
	pthread_mutex_lock(&al->lock);
	json_t *batch = al->queued, *ids = NULL;
	al->queued = json_array();
	pthread_mutex_unlock(&al->lock);
	int rc = json_array_size(batch) ? alerts_fire(al, c, batch, &ids, err, sizeof err) : 0;
	json_decref(ids);
	if (rc == -EIO) {
		log_warn("queued alerts not stored yet", "alerts=%zu err=%s", json_array_size(batch),
			 log_q(err));
		pthread_mutex_lock(&al->lock);
		json_array_extend(batch, al->queued); /* the older first */
		json_decref(al->queued);
		al->queued = batch;
		while (json_array_size(al->queued) > MAX_QUEUED) {
			json_array_remove(al->queued, 0);
			prom_inc(al->m_dropped);
		}
		pthread_mutex_unlock(&al->lock);
		return;
	}
	if (rc)
		log_warn("queued alerts refused", "alerts=%zu err=%s", json_array_size(batch),
			 log_q(err));
	json_decref(batch);
}

int alerts_sweep(struct alerts *al)
{
	char err[256];
	PGconn *c = db_acquire(al->pool, err, sizeof err);
	if (c)
		store_queued(al, c);
	PGresult *r = c ? db_exec(c,
				  "SELECT CASE WHEN pg_try_advisory_xact_lock(" ALERT_SWEEP_LOCK_KEY ")"
				  " THEN lens_alert_sweep() ELSE 0 END",
				  0, NULL, err, sizeof err, NULL)
			: NULL;
	int n = r ? atoi(PQgetvalue(r, 0, 0)) : -EIO;
	PQclear(r);
	if (c)
		db_release(al->pool, c);
	if (n < 0) {
		prom_inc(al->m_sweep_errors);
		log_warn("alert sweep failed", "err=%s", log_q(err));
		return n;
	}
	prom_inc(al->m_sweeps);
	prom_add(al->m_changed, n);
	return n;
}

static void tick(void *arg)
{
	alerts_sweep(arg);
}

static void init_metrics(struct alerts *al, struct prom_registry *reg)
{
	al->f_received = prom_counter(reg, "lens_aggregator_alerts_received_total",
				      "Alerts stored from the intake, by source.", "source");
	al->f_rejected = prom_counter(reg, "lens_aggregator_alerts_rejected_total",
				      "Alert bodies refused at the intake (malformed), by endpoint.",
				      "endpoint");
	al->m_sweeps = prom_get(prom_counter(reg, "lens_aggregator_alert_sweeps_total",
					     "Alert sweeps run (expiry, silences).", NULL));
	al->m_changed = prom_get(prom_counter(reg, "lens_aggregator_alert_sweep_changes_total",
					      "Alerts resolved, silenced or unsilenced by sweeps.",
					      NULL));
	al->m_sweep_errors = prom_get(prom_counter(reg, "lens_aggregator_alert_sweep_errors_total",
						   "Alert sweeps that failed (database).", NULL));
	al->m_dropped = prom_get(prom_counter(reg, "lens_aggregator_alerts_dropped_total",
					      "Alerts raised here (log rules, device health) dropped: "
					      "too many waiting while the database was away.", NULL));
}

int alerts_start(const struct alerts_config *cfg, struct db_pool *pool, struct prom_registry *reg,
		 struct alerts **out, char *err, size_t errlen)
{
	struct alerts *al = xcalloc(1, sizeof *al);
	al->cfg = *cfg;
	al->pool = pool;
	al->queued = json_array();
	pthread_mutex_init(&al->lock, NULL);
	init_metrics(al, reg);
	/* The database may be down at start: the defaults stand until the
	 * next start, and saying so is enough. */
	char why[256];
	if (write_config(al, why, sizeof why))
		log_warn("alert settings not written; the database keeps its own", "err=%s",
			 log_q(why));
	if (ticker_start(cfg->sweep_interval_ns, tick, al, &al->ticker)) {
		snprintf(err, errlen, "cannot start the alert sweep thread");
		alerts_stop(al);
		return -EAGAIN;
	}
	*out = al;
	return 0;
}

void alerts_stop(struct alerts *al)
{
	if (!al)
		return;
	ticker_stop(al->ticker);
	alerts_sweep(al); /* what is still queued */
	json_decref(al->queued);
	pthread_mutex_destroy(&al->lock);
	free(al);
}
