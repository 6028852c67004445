/* pgarray: PostgreSQL array literals ('{"a","b",NULL}') built as text
 * parameters, so that a batch of rows goes in one parameterized statement
 * (INSERT ... SELECT FROM unnest($1::text[], ...)) with no SQL built from
 * input. Elements are always quoted and escaped. */
#ifndef LENS_PGARRAY_H
#define LENS_PGARRAY_H

#include <stdint.h>

#include "buf.h"
#include "db.h"

#define PGARRAY_MAX_PARAMS 32

/* SQL for nanoseconds since the epoch (a bigint column of an unnested
 * array) as timestamptz, exactly to the microsecond. */
#define PGARRAY_NS_TO_TS(x) "(to_timestamp(0) + ((" x ") / 1000) * interval '1 microsecond')"

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

/* A statement whose parameters $1..$n are arrays: what a store builds
 * for a batch and ingest sends. */
struct pgarray_stmt {
	const char *sql;
	int n;
	struct pgarray a[PGARRAY_MAX_PARAMS];
	const char *params[PGARRAY_MAX_PARAMS];
};

void pgarray_stmt_init(struct pgarray_stmt *st, const char *sql, int n);
/* Closes the arrays; the result is valid until pgarray_stmt_free. */
struct db_stmt pgarray_stmt_get(struct pgarray_stmt *st);
void pgarray_stmt_free(struct pgarray_stmt *st);

#endif
