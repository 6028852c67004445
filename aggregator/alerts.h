/* alerts: the unified alert system's store (migration 009,
 * docs/alerts.md). Alerts from every source go through lens_alert_fire in
 * the database: deduplicated by fingerprint, enriched by pod UID,
 * silenced, correlated. Kernel and training events become alerts through
 * triggers, in the transaction that stores them. This module writes the
 * settings at start, stores what the intake parsed, and runs the sweep
 * (expiry, silences starting and ending) on a timer, one replica at a
 * time. */
#ifndef LENS_ALERTS_H
#define LENS_ALERTS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "db.h"
#include "prom.h"

struct alerts_config {
	int64_t correlation_window_ns; /* related alerts start this close */
	int64_t resolve_timeout_ns;    /* an event's alert resolves after this, unless repeated */
	int64_t sweep_interval_ns;     /* expiry and silences apply this promptly */
};

struct alerts;

int alerts_start(const struct alerts_config *cfg, struct db_pool *pool, struct prom_registry *reg,
		 struct alerts **out, char *err, size_t errlen);
void alerts_stop(struct alerts *al);

/* Stores alertintake's alerts (a JSON array) in one statement; *ids gets
 * their ids in order. Counted by source. Returns 0, -EINVAL when the
 * database refuses them (err says why), or -EIO. */
int alerts_fire(struct alerts *al, PGconn *c, const json_t *alerts, json_t **ids, char *err,
		size_t errlen);
/* Queues an alert (alertintake's shape; the reference is taken) raised
 * in this process (log rules, device health), stored with the next sweep
 * so that the thread that raised it never waits for the database. Any
 * thread. Past 10,000 waiting (the database away), new ones are dropped
 * and counted. */
void alerts_queue(struct alerts *al, json_t *alert);
/* Counts a body refused at the intake. */
void alerts_count_rejected(struct alerts *al, const char *endpoint);
/* Stores what is queued, then one sweep; returns the alerts the sweep
 * changed or -EIO. */
int alerts_sweep(struct alerts *al);

#endif
