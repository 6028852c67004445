/* db: libpq connection pool and statement helpers. */
#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

struct db_pool {
	char *url;
	int size, nfree;
	PGconn **free;
	int out; /* connections handed out */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void copy_error(PGconn *c, char *err, size_t errlen)
{
	const char *m = c ? PQerrorMessage(c) : "out of memory";
	size_t n = strcspn(m, "\n");
	snprintf(err, errlen, "%.*s", (int)n, m);
}

static void quiet_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

PGconn *db_connect(const char *url, char *err, size_t errlen)
{
	/* connect_timeout comes first so that one in the URL wins. */
	const char *const keys[] = {"connect_timeout", "dbname", NULL};
	const char *const vals[] = {"5", url, NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		copy_error(c, err, errlen);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet_notices, NULL);
	PGresult *r = PQexec(c, "SET application_name = 'lens-aggregator'; "
				"SET statement_timeout = '60s'; SET TIME ZONE 'UTC'");
	PQclear(r);
	return c;
}

bool db_conn_broken(PGconn *c)
{
	return !c || PQstatus(c) != CONNECTION_OK;
}

bool db_recover(PGconn **c, const char *url, char *err, size_t errlen)
{
	if (!db_conn_broken(*c)) {
		if (PQtransactionStatus(*c) == PQTRANS_IDLE)
			return true;
		PQclear(PQexec(*c, "ROLLBACK"));
		if (!db_conn_broken(*c) && PQtransactionStatus(*c) == PQTRANS_IDLE)
			return true;
	}
	PQfinish(*c);
	*c = db_connect(url, err, errlen);
	return *c != NULL;
}

int db_pool_new(const char *url, int size, struct db_pool **out, char *err, size_t errlen)
{
	PQconninfoOption *opts = PQconninfoParse(url, NULL);
	if (!opts) {
		snprintf(err, errlen, "database URL is not a valid libpq connection string");
		return -EINVAL;
	}
	PQconninfoFree(opts);
	struct db_pool *p = xcalloc(1, sizeof *p);
	p->url = xstrdup(url);
	p->size = size > 0 ? size : 1;
	p->free = xcalloc((size_t)p->size, sizeof *p->free);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	*out = p;
	return 0;
}

void db_pool_free(struct db_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nfree; i++)
		PQfinish(p->free[i]);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->free);
	free(p->url);
	free(p);
}

PGconn *db_acquire(struct db_pool *p, char *err, size_t errlen)
{
	pthread_mutex_lock(&p->lock);
	while (p->nfree == 0 && p->out >= p->size)
		pthread_cond_wait(&p->cond, &p->lock);
	PGconn *c = p->nfree ? p->free[--p->nfree] : NULL;
	p->out++;
	pthread_mutex_unlock(&p->lock);
	/* Outside the lock: connecting may take a while. */
	if (db_recover(&c, p->url, err, errlen))
		return c;
	db_release(p, NULL);
	return NULL;
}

void db_release(struct db_pool *p, PGconn *c)
{
	if (c && db_conn_broken(c)) {
		PQfinish(c);
		c = NULL;
	}
	pthread_mutex_lock(&p->lock);
	p->out--;
	if (c)
		p->free[p->nfree++] = c;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

PGresult *db_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
		  char *err, size_t errlen, char *sqlstate)
{
	PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	if (sqlstate) {
		const char *ss = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		snprintf(sqlstate, 6, "%s", ss ? ss : "08000");
	}
	copy_error(c, err, errlen);
	PQclear(r);
	return NULL;
}

int db_cmd(PGconn *c, const char *sql, int nparams, const char *const *params, char *err,
	   size_t errlen, char *sqlstate)
{
	PGresult *r = db_exec(c, sql, nparams, params, err, errlen, sqlstate);
	PQclear(r);
	return r ? 0 : -EIO;
}

static void result_error(PGconn *c, PGresult *r, char *err, size_t errlen, char *sqlstate)
{
	const char *m = r ? PQresultErrorMessage(r) : "";
	if (!*m)
		m = PQerrorMessage(c);
	snprintf(err, errlen, "%.*s", (int)strcspn(m, "\n"), m);
	if (sqlstate) {
		const char *ss = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		snprintf(sqlstate, 6, "%s", ss ? ss : "08000");
	}
}

/* Takes statement i's result, then the NULL that ends it. */
static PGresult *take_result(PGconn *c)
{
	PGresult *r = PQgetResult(c);
	if (r) {
		PGresult *end = PQgetResult(c);
		PQclear(end);
	}
	return r;
}

int db_pipeline(PGconn *c, const struct db_stmt *st, int n, PGresult **res, char *err,
		size_t errlen, char *sqlstate)
{
	int sent = 0, rc = 0;
	for (int i = 0; i < n; i++)
		res[i] = NULL;
	if (!PQenterPipelineMode(c)) {
		result_error(c, NULL, err, errlen, sqlstate);
		return -EIO;
	}
	while (sent < n && PQsendQueryParams(c, st[sent].sql, st[sent].nparams, NULL,
					     st[sent].params, NULL, NULL, 0))
		sent++;
	if (sent < n || !PQpipelineSync(c)) {
		result_error(c, NULL, err, errlen, sqlstate);
		rc = -EIO;
	}
	for (int i = 0; i < sent; i++) {
		PGresult *r = take_result(c);
		ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
			res[i] = r;
			continue;
		}
		if (!rc) /* later ones are only PGRES_PIPELINE_ABORTED */
			result_error(c, r, err, errlen, sqlstate);
		rc = -EIO;
		PQclear(r);
		if (!r) /* the connection is gone: nothing more will come */
			return rc;
	}
	PQclear(PQgetResult(c)); /* PGRES_PIPELINE_SYNC */
	PQexitPipelineMode(c);
	return rc;
}

bool db_transient(const char *sqlstate)
{
	return strcmp(sqlstate, "40P01") == 0 || strcmp(sqlstate, "40001") == 0;
}

bool db_ping(struct db_pool *p)
{
	char err[256];
	PGconn *c = db_acquire(p, err, sizeof err);
	if (!c)
		return false;
	bool ok = db_cmd(c, "SELECT 1", 0, NULL, err, sizeof err, NULL) == 0;
	db_release(p, c);
	return ok;
}

bool db_valid_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= 18 && strspn(s, "0123456789") == n;
}

bool db_input_error(const char *sqlstate)
{
	return sqlstate[0] == '2' && (sqlstate[1] == '2' || sqlstate[1] == '3');
}

int db_delete(PGconn *c, const char *sql, const char *key, char *err, size_t errlen)
{
	const char *p[] = {key ? key : ""};
	PGresult *r = db_exec(c, sql, 1, p, err, errlen, NULL);
	if (!r)
		return -EIO;
	int n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n ? 0 : -ENOENT;
}
