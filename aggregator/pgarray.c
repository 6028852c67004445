/* pgarray: array literal building with quoting. */
#include "pgarray.h"

#include <inttypes.h>

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

void pgarray_stmt_init(struct pgarray_stmt *st, const char *sql, int n)
{
	st->sql = sql;
	st->n = n > PGARRAY_MAX_PARAMS ? PGARRAY_MAX_PARAMS : n;
	for (int k = 0; k < st->n; k++)
		pgarray_init(&st->a[k]);
}

struct db_stmt pgarray_stmt_get(struct pgarray_stmt *st)
{
	for (int k = 0; k < st->n; k++)
		st->params[k] = pgarray_text(&st->a[k]);
	return (struct db_stmt){st->sql, st->n, st->params};
}

void pgarray_stmt_free(struct pgarray_stmt *st)
{
	for (int k = 0; k < st->n; k++)
		pgarray_free(&st->a[k]);
}
