/* silences: alert silences (migration 009, docs/alerts.md): matchers on
 * any label with =, !=, =~ and !~ (Alertmanager's, regular expressions
 * anchored), a start and an end. A silenced alert is stored and marked,
 * never dropped; the alert sweep applies silences as they start and end. */
#ifndef LENS_SILENCES_H
#define LENS_SILENCES_H

#include <jansson.h>
#include <libpq-fe.h>

/* Checks a silence body and turns it into matchers and times: {"matchers":
 * [{"name", "value", "op"}] (or Alertmanager's "isRegex"/"isEqual"),
 * "starts_at" (default now), "ends_at" or "duration", "comment",
 * "created_by"}. Returns the normalised silence, or NULL with err. */
json_t *silences_parse(const json_t *body, char *err, size_t errlen);
/* Stores a parsed silence; *out is its row. -EINVAL for a regular
 * expression PostgreSQL does not accept (err says which), -EIO. */
int silences_create(PGconn *c, const json_t *silence, json_t **out, char *err, size_t errlen);
/* state: active, pending, expired or all (NULL: active and pending). */
int silences_list(PGconn *c, const char *state, json_t **out, char *err, size_t errlen);
/* Ends a silence now (one not started yet is deleted). 0, -ENOENT, -EIO. */
int silences_expire(PGconn *c, const char *id, char *err, size_t errlen);

#endif
