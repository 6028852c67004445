/* pgjson: PostgreSQL text results to jansson values by column type.
 * Connections run with TimeZone UTC and DateStyle ISO, so timestamptz
 * arrives as "2026-11-21 23:48:51.07+00". */
#include "pgjson.h"

#include <stdlib.h>
#include <string.h>

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
