/* notify: routing and delivery of alert notifications (migration 010,
 * docs/alerts.md). Every interval, one replica at a time plans (groups
 * alerts per route and queues a notification for a group that is due and
 * changed, or due for a repeat: lens_notify_plan), then every replica
 * takes due notifications under a lease and delivers them with libcurl
 * (a timeout each; a failure is retried with doubling backoff up to a
 * number of attempts, then logged as failed with its error). */
#ifndef LENS_NOTIFY_H
#define LENS_NOTIFY_H

#include <jansson.h>
#include <stdint.h>

#include "db.h"
#include "prom.h"

struct notify_config {
	int64_t interval_ns; /* planning and delivery passes */
	int64_t timeout_ns;  /* one delivery */
	int64_t backoff_ns;  /* first retry after this, doubling */
	int max_attempts;
};

struct notify;

int notify_start(const struct notify_config *cfg, struct db_pool *pool, struct prom_registry *reg,
		 struct notify **out, char *err, size_t errlen);
void notify_stop(struct notify *n);

/* One delivery now of payload (Alertmanager's webhook body) to a channel
 * ({"type", "url", "config"}). Returns 0 or -EIO with err (the HTTP or
 * SMTP answer, or the transport's error). */
int notify_deliver(struct notify *n, const json_t *channel, const json_t *payload, char *err,
		   size_t errlen);
/* One planning and delivery pass now; returns notifications delivered. */
int notify_pass(struct notify *n);

#endif
