/* pgjson: PostgreSQL text results to jansson values by column type.
 * Connections run with TimeZone UTC and DateStyle ISO, so timestamptz
 * arrives as "2026-11-21 23:48:51.07+00". */
#include "pgjson.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700
#define OID_JSON 114
#define OID_JSONB 3802
#define OID_TIMESTAMPTZ 1184

static json_t *timestamp_json(const char *v)
{
	char out[48];
	size_t n = strlen(v);
	if (n >= sizeof out - 1 || n < 19)
		return json_string(v);
	memcpy(out, v, n + 1);
	out[10] = 'T';
	if (n > 3 && strcmp(out + n - 3, "+00") == 0)
		strcpy(out + n - 3, "Z");
	return json_string(out);
}

static json_t *value_json(Oid type, const char *v)
{
	switch (type) {
	case OID_BOOL:
		return json_boolean(v[0] == 't');
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return json_integer(strtoll(v, NULL, 10));
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return json_real(strtod(v, NULL));
	case OID_JSON:
	case OID_JSONB: {
		json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
		return j ? j : json_string(v);
	}
	case OID_TIMESTAMPTZ:
		return timestamp_json(v);
	default:
		return json_string(v);
	}
}

json_t *pgjson_row(const PGresult *r, int row)
{
	json_t *o = json_object();
	for (int c = 0; c < PQnfields(r); c++) {
		json_t *v = PQgetisnull(r, row, c) ? json_null()
						    : value_json(PQftype(r, c), PQgetvalue(r, row, c));
		json_object_set_new(o, PQfname(r, c), v);
	}
	return o;
}

json_t *pgjson_rows(const PGresult *r)
{
	json_t *a = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(a, pgjson_row(r, i));
	return a;
}

int pgjson_page(PGconn *c, const char *sql, const char *count_sql, int n,
		const char *const *params, long long offset, long long limit,
		void (*each)(json_t *item, void *arg), void *arg, json_t **out, char *err,
		size_t errlen)
{
	const char *p[PGJSON_MAX_PARAMS + 2];
	char off[32], lim[32];
	if (n > PGJSON_MAX_PARAMS)
		return snprintf(err, errlen, "too many parameters"), -EINVAL;
	memcpy(p, params, sizeof *p * (size_t)n);
	snprintf(off, sizeof off, "%lld", offset);
	snprintf(lim, sizeof lim, "%lld", limit);
	p[n] = off;
	p[n + 1] = lim;
	PGresult *rows = db_exec(c, sql, n + 2, p, err, errlen, NULL);
	PGresult *count = rows ? db_exec(c, count_sql, n, p, err, errlen, NULL) : NULL;
	if (!count) {
		PQclear(rows);
		return -EIO;
	}
	json_t *items = json_array();
	for (int i = 0; i < PQntuples(rows); i++) {
		json_t *item = pgjson_row(rows, i);
		if (each)
			each(item, arg);
		json_array_append_new(items, item);
	}
	*out = json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total",
			 (json_int_t)strtoll(PQgetvalue(count, 0, 0), NULL, 10), "offset",
			 (json_int_t)offset, "limit", (json_int_t)limit);
	PQclear(rows);
	PQclear(count);
	return 0;
}

int pgjson_query(PGconn *c, const char *sql, int n, const char *const *params, json_t **out,
		 char *err, size_t errlen)
{
	PGresult *r = db_exec(c, sql, n, params, err, errlen, NULL);
	if (!r)
		return -EIO;
	*out = pgjson_rows(r);
	PQclear(r);
	return 0;
}

int pgjson_one(PGconn *c, const char *sql, int n, const char *const *params, json_t **out,
	       char *err, size_t errlen)
{
	char sqlstate[6] = "";
	PGresult *r = db_exec(c, sql, n, params, err, errlen, sqlstate);
	if (!r)
		return db_input_error(sqlstate) ? -EINVAL : -EIO;
	*out = PQntuples(r) ? pgjson_row(r, 0) : NULL;
	PQclear(r);
	return *out ? 0 : -ENOENT;
}

int pgjson_items(PGconn *c, const char *sql, int n, const char *const *params, json_t **out,
		 char *err, size_t errlen)
{
	json_t *rows;
	int rc = pgjson_query(c, sql, n, params, &rows, err, errlen);
	if (!rc)
		*out = json_pack("{s:o}", "items", rows);
	return rc;
}
