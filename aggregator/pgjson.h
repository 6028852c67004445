/* pgjson: query results to JSON, typed by the columns' PostgreSQL types:
 * integers and floats as numbers, booleans, json/jsonb as JSON, timestamps
 * as RFC 3339 strings, NULL as null, everything else as strings. The API
 * handlers select what they expose and let this module shape it. */
#ifndef LENS_PGJSON_H
#define LENS_PGJSON_H

#include <jansson.h>
#include <libpq-fe.h>

json_t *pgjson_row(const PGresult *r, int row);
json_t *pgjson_rows(const PGresult *r);

#endif
