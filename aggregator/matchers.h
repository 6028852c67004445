/* matchers: Alertmanager's label matchers as silences and routes use them
 * (docs/alerts.md): [{"name", "value", "op"}] with op =, !=, =~ or !~ (or
 * Alertmanager's "isRegex" and "isEqual"), evaluated in the database by
 * lens_label_matches (regular expressions anchored). */
#ifndef LENS_MATCHERS_H
#define LENS_MATCHERS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

/* The normalised list, or NULL with err. An absent or empty list is
 * refused unless allow_none (a route without matchers takes every alert). */
json_t *matchers_parse(const json_t *list, bool allow_none, char *err, size_t errlen);
/* Every regular expression compiles in PostgreSQL, which evaluates them:
 * 0, -EINVAL (err says which), or -EIO. */
int matchers_check(PGconn *c, const json_t *matchers, char *err, size_t errlen);

#endif
