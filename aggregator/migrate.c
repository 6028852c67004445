/* migrate: ordered, locked, recorded schema migrations. */
#include "migrate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"

/* Any constant works; it only has to be the same in every replica. */
#define MIGRATE_LOCK_KEY "7418246113"

static int known(const struct migration *list, const char *name)
{
	for (const struct migration *m = list; m->name; m++)
		if (strcmp(m->name, name) == 0)
			return 1;
	return 0;
}

/* Fails when the database has a migration this binary lacks. */
static int check_unknown(PGconn *c, const struct migration *list, char *err, size_t errlen)
{
	PGresult *r = db_exec(c, "SELECT name FROM schema_migrations ORDER BY name", 0, NULL, err,
			      errlen, NULL);
	if (!r)
		return -EIO;
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		if (!known(list, PQgetvalue(r, i, 0))) {
			snprintf(err, errlen,
				 "database has migration %s, unknown to this aggregator (newer "
				 "version ran against it?)",
				 PQgetvalue(r, i, 0));
			rc = -EIO;
		}
	}
	PQclear(r);
	return rc;
}

static int is_applied(PGconn *c, const char *name, char *err, size_t errlen)
{
	const char *p[] = {name};
	PGresult *r = db_exec(c, "SELECT 1 FROM schema_migrations WHERE name = $1", 1, p, err,
			      errlen, NULL);
	if (!r)
		return -EIO;
	int n = PQntuples(r);
	PQclear(r);
	return n > 0;
}

/* Runs a migration's SQL (several statements, so no parameters: the text
 * is our own, compiled in) and records it. */
static int apply_one(PGconn *c, const struct migration *m, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, m->sql);
	/* The last statement's result stands for all: a SELECT is fine too. */
	int ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	PQclear(r);
	if (!ok) {
		char msg[400];
		snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
		msg[strcspn(msg, "\n")] = '\0';
		snprintf(err, errlen, "migration %s failed: %s", m->name, msg);
		return -EIO;
	}
	const char *p[] = {m->name};
	return db_cmd(c, "INSERT INTO schema_migrations (name) VALUES ($1)", 1, p, err, errlen,
		      NULL);
}

static int apply_missing(PGconn *c, const struct migration *list, char *err, size_t errlen)
{
	int applied = 0;
	for (const struct migration *m = list; m->name; m++) {
		int done = is_applied(c, m->name, err, errlen);
		if (done < 0)
			return done;
		if (done)
			continue;
		if (apply_one(c, m, err, errlen))
			return -EIO;
		log_info("migration applied", "name=%s", m->name);
		applied++;
	}
	return applied;
}

int migrate_apply(PGconn *c, const struct migration *list, char *err, size_t errlen)
{
	int rc = db_cmd(c, "BEGIN", 0, NULL, err, errlen, NULL);
	if (!rc)
		rc = db_cmd(c, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", 0, NULL, err,
			    errlen, NULL);
	if (!rc)
		rc = db_cmd(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			       " name text PRIMARY KEY,"
			       " applied_at timestamptz NOT NULL DEFAULT now())",
			    0, NULL, err, errlen, NULL);
	if (!rc)
		rc = check_unknown(c, list, err, errlen);
	if (!rc)
		rc = apply_missing(c, list, err, errlen);
	if (rc >= 0 && db_cmd(c, "COMMIT", 0, NULL, err, errlen, NULL) == 0)
		return rc;
	PQclear(PQexec(c, "ROLLBACK"));
	return -EIO;
}
