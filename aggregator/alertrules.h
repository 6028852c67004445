/* alertrules: the alert rules at work (docs/alerts.md). Every stored log
 * line goes through the current log rule set (ruleset.h: one pass over
 * all patterns); a match counts toward its rule's threshold (count within
 * a window, per pod, workload, node, namespace or the whole rule; every
 * condition within the window for a composite rule), and a threshold
 * reached queues a log alert (alerts_queue), so that matching lines never
 * wait for the database. Every stored device sample goes through the
 * metric rules (metricrules.h). Rules live in the alert_rules table; a
 * change made through any replica reaches the others at the next reload. */
#ifndef LENS_ALERTRULES_H
#define LENS_ALERTRULES_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "analysis.h"
#include "db.h"
#include "envelope.h"
#include "prom.h"

struct alerts;
struct podcache;
struct alertrules;

struct alertrules *alertrules_new(struct db_pool *pool, struct podcache *pods,
				  struct prom_registry *reg);
/* Where alerts go once the alert store exists (before: matches count). */
void alertrules_attach(struct alertrules *r, struct alerts *alerts);
void alertrules_free(struct alertrules *r); /* NULL is fine */

/* Rebuilds the rule set from alert_rules. 0, or -EIO / -EINVAL with err
 * (the set in use stays). */
int alertrules_reload(struct alertrules *r, PGconn *c, char *err, size_t errlen);
size_t alertrules_count(struct alertrules *r);

/* Every stored line (the analysis calls this). */
void alertrules_lines(struct alertrules *r, const struct log_record *recs, size_t n);
/* Every stored device sample, for the metric rules (metricrules.h); an
 * alert is kept up hold_ns past the last sample that met its rule. */
void alertrules_samples(struct alertrules *r, Envelope *const *envs, int n, int64_t hold_ns);

/* A rule (a body as the API takes it) tried on sample lines with no
 * state: which lines match which condition, and the alerts its threshold
 * would raise. Returns 0, or -EINVAL with err. */
int alertrules_test(const json_t *rule, const json_t *lines, json_t **out, char *err,
		    size_t errlen);

/* CRUD of alert_rules: parse (a log rule, or a metric rule when "type" is
 * "metric") and store (-EINVAL: a name taken, a rule that does not
 * compile), list, delete by id or name. */
int alertrules_create(PGconn *c, const json_t *body, json_t **out, char *err, size_t errlen);
int alertrules_list(PGconn *c, json_t **out, char *err, size_t errlen);
int alertrules_delete(PGconn *c, const char *key, char *err, size_t errlen);

#endif
