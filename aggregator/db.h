/* db: a small pool of libpq connections with reconnection. A connection
 * that broke is reset when it is next taken, so callers only ever see a
 * connection that was good at hand-out, or an error. Every statement goes
 * through PQexecParams: no SQL is ever built from input. */
#ifndef LENS_DB_H
#define LENS_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

struct db_pool;

/* Opens size connections lazily; fails only on an unusable URL. */
int db_pool_new(const char *url, int size, struct db_pool **out, char *err, size_t errlen);
void db_pool_free(struct db_pool *p);

/* A connected connection, or NULL (with a message in err) when the
 * database cannot be reached. Release every connection taken; a broken
 * one is closed rather than pooled. */
PGconn *db_acquire(struct db_pool *p, char *err, size_t errlen);
void db_release(struct db_pool *p, PGconn *c);

/* Runs a DELETE (or UPDATE) with $1 = key: 0 when it touched a row,
 * -ENOENT when none, -EIO. */
int db_delete(PGconn *c, const char *sql, const char *key, char *err, size_t errlen);
/* Whether a failed statement's SQLSTATE blames its input (class 22, data;
 * 23, a constraint such as a unique name), not the database. */
bool db_input_error(const char *sqlstate);
/* Whether s is a bigserial id as the API takes it: 1 to 18 digits, so a
 * bad one is a 404, never a database error. */
bool db_valid_id(const char *s);

/* A dedicated connection outside the pool (ingest writers hold one each). */
PGconn *db_connect(const char *url, char *err, size_t errlen);
/* Makes c usable again after an error: rolls back, or reconnects when the
 * connection itself is broken. Returns true when c is usable. */
bool db_recover(PGconn **c, const char *url, char *err, size_t errlen);

/* Runs a statement with text parameters; returns the result when its
 * status is COMMAND_OK or TUPLES_OK, else NULL with the message in err.
 * The SQLSTATE of a failure is copied to sqlstate (6 bytes) when given. */
PGresult *db_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
		  char *err, size_t errlen, char *sqlstate);
/* db_exec for statements without rows; returns 0 or -EIO. */
int db_cmd(PGconn *c, const char *sql, int nparams, const char *const *params, char *err,
	   size_t errlen, char *sqlstate);
/* One statement of a pipeline: parameters in text format. */
struct db_stmt {
	const char *sql;
	int nparams;
	const char *const *params;
};

/* Sends n statements in one round trip (libpq pipeline mode) and stores
 * each statement's result in res[i] (NULL for a failed or skipped one;
 * the caller PQclears the others). Returns 0 when all succeeded, else
 * -EIO with the first failure's message and SQLSTATE. After a failure the
 * connection is still in the failed transaction: db_recover it. */
int db_pipeline(PGconn *c, const struct db_stmt *st, int n, PGresult **res, char *err,
		size_t errlen, char *sqlstate);

/* True for failures worth retrying at once (deadlock, serialization). */
bool db_transient(const char *sqlstate);
/* True when the failure is the connection's, not the statement's. */
bool db_conn_broken(PGconn *c);

bool db_ping(struct db_pool *p);

#endif
