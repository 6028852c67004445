/* pgarray: array literal building with quoting. */
#include "pgarray.h"

#include <errno.h>
#include <inttypes.h>

#include "db.h"

void pgarray_init(struct pgarray *a)
{
	a->b = (struct buf)BUF_INIT;
	a->n = 0;
	a->closed = 0;
	buf_putc(&a->b, '{');
}

static void sep(struct pgarray *a)
{
	if (a->n++)
		buf_putc(&a->b, ',');
}

void pgarray_str(struct pgarray *a, const char *s)
{
	if (!s) {
		pgarray_null(a);
		return;
	}
	sep(a);
	buf_putc(&a->b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(&a->b, '\\');
		buf_putc(&a->b, *s);
	}
	buf_putc(&a->b, '"');
}

void pgarray_i64(struct pgarray *a, int64_t v)
{
	sep(a);
	buf_printf(&a->b, "%" PRId64, v);
}

void pgarray_u64(struct pgarray *a, uint64_t v)
{
	sep(a);
	buf_printf(&a->b, "%" PRIu64, v);
}

void pgarray_null(struct pgarray *a)
{
	sep(a);
	buf_puts(&a->b, "NULL");
}

const char *pgarray_text(struct pgarray *a)
{
	if (!a->closed)
		buf_putc(&a->b, '}');
	a->closed = 1;
	return a->b.p;
}

void pgarray_free(struct pgarray *a)
{
	buf_free(&a->b);
}

void pgarray_init_all(struct pgarray *a, int n)
{
	for (int k = 0; k < n; k++)
		pgarray_init(&a[k]);
}

PGresult *pgarray_exec(PGconn *c, const char *sql, struct pgarray *a, int n, char *err,
		       size_t errlen, char *sqlstate)
{
	const char *params[PGARRAY_MAX_PARAMS] = {0};
	if (n > PGARRAY_MAX_PARAMS)
		n = PGARRAY_MAX_PARAMS; /* a programming error; the SQL will fail */
	for (int k = 0; k < n; k++)
		params[k] = pgarray_text(&a[k]);
	PGresult *r = db_exec(c, sql, n, params, err, errlen, sqlstate);
	for (int k = 0; k < n; k++)
		pgarray_free(&a[k]);
	return r;
}

int pgarray_cmd(PGconn *c, const char *sql, struct pgarray *a, int n, char *err, size_t errlen,
		char *sqlstate)
{
	PGresult *r = pgarray_exec(c, sql, a, n, err, errlen, sqlstate);
	PQclear(r);
	return r ? 0 : -EIO;
}
