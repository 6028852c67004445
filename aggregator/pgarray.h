/* pgarray: PostgreSQL array literals ('{"a","b",NULL}') built as text
 * parameters, so that a batch of rows goes in one parameterized statement
 * (INSERT ... SELECT FROM unnest($1::text[], ...)) with no SQL built from
 * input. Elements are always quoted and escaped. */
#ifndef LENS_PGARRAY_H
#define LENS_PGARRAY_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PGARRAY_MAX_PARAMS 32

struct pgarray {
	struct buf b;
	int n;
	int closed;
};

void pgarray_init(struct pgarray *a);
void pgarray_str(struct pgarray *a, const char *s); /* NULL adds NULL */
void pgarray_i64(struct pgarray *a, int64_t v);
void pgarray_u64(struct pgarray *a, uint64_t v);
void pgarray_null(struct pgarray *a);
/* Closes the literal; the text stays valid until pgarray_free. */
const char *pgarray_text(struct pgarray *a);
void pgarray_free(struct pgarray *a);

void pgarray_init_all(struct pgarray *a, int n);
/* Runs sql with the n arrays as $1..$n, then frees them. pgarray_exec
 * returns the result (see db_exec); pgarray_cmd returns 0 or -EIO. */
PGresult *pgarray_exec(PGconn *c, const char *sql, struct pgarray *a, int n, char *err,
		       size_t errlen, char *sqlstate);
int pgarray_cmd(PGconn *c, const char *sql, struct pgarray *a, int n, char *err, size_t errlen,
		char *sqlstate);

#endif
