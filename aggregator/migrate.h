/* migrate: brings the database schema up to date at start. Migrations are
 * aggregator/migrations/NNN_name.sql, compiled into the binary; they are
 * applied in order, all in one transaction under an advisory lock (so
 * replicas starting together apply each once), and recorded in
 * schema_migrations. */
#ifndef LENS_MIGRATE_H
#define LENS_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>

struct migration {
	const char *name; /* "001_init" */
	const char *sql;
};

/* The migrations built into this binary, ending with a NULL name. */
extern const struct migration migrate_builtin[];

/* Applies what is missing. Returns the number applied (>= 0) or -EIO with
 * a message in err. Refuses a database that has migrations this binary
 * does not know (a newer aggregator ran against it). */
int migrate_apply(PGconn *c, const struct migration *list, char *err, size_t errlen);

#endif
