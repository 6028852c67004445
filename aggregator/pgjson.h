/* pgjson: query results to JSON, typed by the columns' PostgreSQL types:
 * integers and floats as numbers, booleans, json/jsonb as JSON, timestamps
 * as RFC 3339 strings, NULL as null, everything else as strings. The API
 * handlers select what they expose and let this module shape it. */
#ifndef LENS_PGJSON_H
#define LENS_PGJSON_H

#include <jansson.h>
#include <libpq-fe.h>

#define PGJSON_MAX_PARAMS 12

json_t *pgjson_row(const PGresult *r, int row);
json_t *pgjson_rows(const PGresult *r);

/* Runs sql with params $1..$n and returns its rows (pgjson_rows). Returns
 * 0, or -EIO with err. */
int pgjson_query(PGconn *c, const char *sql, int n, const char *const *params, json_t **out,
		 char *err, size_t errlen);

/* The rows of sql as an unpaged list, {"items": [...]}. 0 or -EIO. */
int pgjson_items(PGconn *c, const char *sql, int n, const char *const *params, json_t **out,
		 char *err, size_t errlen);

/* The first row of sql with params $1..$n: 0, -ENOENT when there is
 * none, -EINVAL when the statement failed on its input (db_input_error:
 * a bad value, a name taken), -EIO. */
int pgjson_one(PGconn *c, const char *sql, int n, const char *const *params, json_t **out,
	       char *err, size_t errlen);

/* A paged list, {"items", "total", "offset", "limit"}: sql selects the
 * rows with params $1..$n, then $n+1 = OFFSET and $n+2 = LIMIT;
 * count_sql counts all rows with the same $1..$n. each (may be NULL) is
 * called on every item before it is added. Returns 0 or -EIO with err. */
int pgjson_page(PGconn *c, const char *sql, const char *count_sql, int n,
		const char *const *params, long long offset, long long limit,
		void (*each)(json_t *item, void *arg), void *arg, json_t **out, char *err,
		size_t errlen);

#endif
