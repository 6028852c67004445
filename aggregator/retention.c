/* retention: the periodic, locked, batched delete. */
#include "retention.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "ticker.h"

#define RETENTION_LOCK_KEY "7418246114"
#define BATCH "10000"

struct retention {
	struct retention_config cfg;
	struct db_pool *pool;
	struct ticker *ticker;
	struct prom_family *f_deleted, *f_partitions;
};

static const struct {
	const char *table;
	const char *sql; /* $1: age in microseconds */
} sweeps[] = {
	{"heartbeats", "DELETE FROM heartbeats WHERE ctid = ANY(ARRAY(SELECT ctid FROM heartbeats"
		       " WHERE received_at < now() - $1::bigint * interval '1 microsecond'"
		       " LIMIT " BATCH "))"},
	{"envelopes", "DELETE FROM envelopes WHERE ctid = ANY(ARRAY(SELECT ctid FROM envelopes"
		      " WHERE received_at < now() - $1::bigint * interval '1 microsecond'"
		      " LIMIT " BATCH "))"},
	/* Closed intervals only: a device held for months stays. */
	{"device_assignments",
	 "DELETE FROM device_assignments WHERE ctid = ANY(ARRAY(SELECT ctid FROM"
	 " device_assignments WHERE until < now() - $1::bigint * interval '1 microsecond'"
	 " LIMIT " BATCH "))"},
	/* Pods gone that long, with their containers and workload links; a pod
	 * still referenced by a kept interval stays. */
	{"pods", "DELETE FROM pods WHERE ctid = ANY(ARRAY(SELECT ctid FROM pods p"
		 " WHERE gone_at < now() - $1::bigint * interval '1 microsecond' AND NOT EXISTS"
		 " (SELECT 1 FROM device_assignments d WHERE d.pod_uid = p.uid) LIMIT " BATCH "))"},
	/* Workloads no pod belongs to any more. */
	{"workloads", "DELETE FROM workloads WHERE ctid = ANY(ARRAY(SELECT ctid FROM workloads w"
		      " WHERE last_seen < now() - $1::bigint * interval '1 microsecond' AND NOT"
		      " EXISTS (SELECT 1 FROM pod_workloads pw WHERE pw.workload_uid = w.uid)"
		      " LIMIT " BATCH "))"},
	/* Training runs that ended (or went silent) that long ago, with their
	 * metrics and events. */
	{"training_performance",
	 "DELETE FROM training_performance WHERE ctid = ANY(ARRAY(SELECT tp.ctid FROM"
	 " training_performance tp JOIN training_runs r USING (workload_uid, serial)"
	 " WHERE coalesce(r.ended_at, r.last_at) < now() - $1::bigint * interval '1 microsecond'"
	 " LIMIT " BATCH "))"},
	{"training_events",
	 "DELETE FROM training_events WHERE ctid = ANY(ARRAY(SELECT ctid FROM training_events"
	 " WHERE occurred_at < now() - $1::bigint * interval '1 microsecond' LIMIT " BATCH "))"},
	{"training_runs",
	 "DELETE FROM training_runs r WHERE ctid = ANY(ARRAY(SELECT ctid FROM training_runs r"
	 " WHERE coalesce(r.ended_at, r.last_at) < now() - $1::bigint * interval '1 microsecond'"
	 " AND NOT EXISTS (SELECT 1 FROM training_performance tp WHERE tp.workload_uid ="
	 " r.workload_uid AND tp.serial = r.serial) LIMIT " BATCH "))"},
	/* Profiler traces: the content, then the files with their reports. */
	{"profiler_chunks",
	 "DELETE FROM profiler_chunks WHERE ctid = ANY(ARRAY(SELECT ctid FROM profiler_chunks"
	 " WHERE received_at < now() - $1::bigint * interval '1 microsecond' LIMIT " BATCH "))"},
	{"profiler_files",
	 "DELETE FROM profiler_files WHERE ctid = ANY(ARRAY(SELECT ctid FROM profiler_files"
	 " WHERE received_at < now() - $1::bigint * interval '1 microsecond' LIMIT " BATCH "))"},
	/* Alerts resolved that long ago, with their correlations; silences
	 * that ended that long ago. */
	{"alerts",
	 "DELETE FROM alerts WHERE ctid = ANY(ARRAY(SELECT ctid FROM alerts WHERE status ="
	 " 'resolved' AND ends_at < now() - $1::bigint * interval '1 microsecond' LIMIT " BATCH
	 "))"},
	{"silences",
	 "DELETE FROM silences WHERE ctid = ANY(ARRAY(SELECT ctid FROM silences"
	 " WHERE ends_at < now() - $1::bigint * interval '1 microsecond' LIMIT " BATCH "))"},
};

/* Deletes one table's expired rows, a batch per statement. */
static long long sweep_table(struct retention *r, PGconn *c, int i, int64_t age_ns)
{
	char us[32], err[256];
	snprintf(us, sizeof us, "%lld", (long long)(age_ns / 1000));
	const char *p[] = {us};
	long long total = 0, n;
	do {
		PGresult *res = db_exec(c, sweeps[i].sql, 1, p, err, sizeof err, NULL);
		if (!res) {
			log_warn("retention sweep failed", "table=%s err=%s", sweeps[i].table,
				 log_q(err));
			return -EIO;
		}
		n = strtoll(PQcmdTuples(res), NULL, 10);
		PQclear(res);
		total += n;
	} while (n == atoll(BATCH));
	prom_add_l(r->f_deleted, (double)total, sweeps[i].table);
	return total;
}

/* Tables partitioned by day: the coming days' partitions are made ahead,
 * the expired ones dropped whole. */
static const struct {
	const char *table, *column;
} partitioned[] = {{"kernel_events", "occurred_at"}, {"log_lines", "logged_at"}};

static long long sweep_partitions(struct retention *r, PGconn *c)
{
	int64_t keep[] = {r->cfg.events_ns, r->cfg.logs_ns};
	for (size_t i = 0; i < sizeof partitioned / sizeof partitioned[0]; i++) {
		char us[32], err[256];
		snprintf(us, sizeof us, "%lld", (long long)(keep[i] / 1000));
		const char *p[] = {partitioned[i].table, partitioned[i].column, us};
		PGresult *res = db_exec(c,
					"SELECT lens_ensure_partitions($1, $2, 2),"
					" lens_drop_partitions($1, $2, $3::bigint * interval '1 microsecond')",
					3, p, err, sizeof err, NULL);
		if (!res) {
			log_warn("partition sweep failed", "table=%s err=%s", partitioned[i].table,
				 log_q(err));
			return -EIO;
		}
		long long dropped = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		PQclear(res);
		if (dropped > 0) {
			prom_add_l(r->f_partitions, (double)dropped, partitioned[i].table);
			log_info("partitions dropped", "table=%s partitions=%lld",
				 partitioned[i].table, dropped);
		}
	}
	return 0;
}

long long retention_sweep(struct retention *r)
{
	char err[256];
	PGconn *c = db_acquire(r->pool, err, sizeof err);
	if (!c)
		return -EIO;
	PGresult *res = db_exec(c, "SELECT pg_try_advisory_lock(" RETENTION_LOCK_KEY ")", 0,
				NULL, err, sizeof err, NULL);
	bool locked = res && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	long long total = locked ? 0 : -EIO;
	if (locked) {
		int64_t ages[] = {r->cfg.heartbeats_ns, r->cfg.ledger_ns, r->cfg.history_ns,
				  r->cfg.history_ns, r->cfg.history_ns, r->cfg.training_ns,
				  r->cfg.training_ns, r->cfg.training_ns, r->cfg.profiler_ns,
				  r->cfg.profiler_ns, r->cfg.alerts_ns, r->cfg.alerts_ns};
		for (size_t i = 0; i < sizeof sweeps / sizeof sweeps[0] && total >= 0; i++) {
			long long n = sweep_table(r, c, (int)i, ages[i]);
			total = n < 0 ? n : total + n;
		}
		if (total >= 0 && sweep_partitions(r, c))
			total = -EIO;
		db_cmd(c, "SELECT pg_advisory_unlock(" RETENTION_LOCK_KEY ")", 0, NULL, err,
		       sizeof err, NULL);
	}
	db_release(r->pool, c);
	if (total > 0)
		log_info("retention sweep", "deleted=%lld", total);
	return total;
}

static void tick(void *arg)
{
	retention_sweep(arg);
}

int retention_start(const struct retention_config *cfg, struct db_pool *pool,
		    struct prom_registry *reg, struct retention **out)
{
	struct retention *r = xcalloc(1, sizeof *r);
	r->cfg = *cfg;
	r->pool = pool;
	r->f_deleted = prom_counter(reg, "lens_aggregator_retention_deleted_rows_total",
				    "Rows deleted by retention, by table.", "table");
	r->f_partitions = prom_counter(reg, "lens_aggregator_retention_dropped_partitions_total",
				       "Daily partitions dropped by retention, by table.", "table");
	if (ticker_start(cfg->interval_ns, tick, r, &r->ticker)) {
		free(r);
		return -EAGAIN;
	}
	*out = r;
	return 0;
}

void retention_stop(struct retention *r)
{
	if (!r)
		return;
	ticker_stop(r->ticker);
	free(r);
}
