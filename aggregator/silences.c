/* silences: checking, storing, listing and ending silences. */
#include "silences.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "jsonx.h"
#include "matchers.h"
#include "pgjson.h"

#define MAX_SILENCE_NS (10LL * 366 * 24 * 3600 * 1000000000)

/* starts_at (default now) and ends_at, or starts_at + duration. */
static int parse_times(const json_t *body, int64_t *starts, int64_t *ends, char *err,
		       size_t errlen)
{
	const char *s = jsonx_str(body, "starts_at"), *e = jsonx_str(body, "ends_at"),
		   *d = jsonx_str(body, "duration");
	int64_t dur;
	*starts = clock_now_ns();
	if (*s && clock_parse_rfc3339(s, starts))
		return snprintf(err, errlen, "\"starts_at\" is not an RFC 3339 time"), -EINVAL;
	if (*e) {
		if (clock_parse_rfc3339(e, ends))
			return snprintf(err, errlen, "\"ends_at\" is not an RFC 3339 time"), -EINVAL;
	} else if (*d && !clock_parse_duration(d, &dur) && dur > 0) {
		if (dur > MAX_SILENCE_NS || *starts > INT64_MAX - dur) /* past what a time holds */
			return snprintf(err, errlen, "\"duration\" is too long"), -EINVAL;
		*ends = *starts + dur;
	} else {
		return snprintf(err, errlen, "\"ends_at\" (RFC 3339) or \"duration\" (e.g. 2h) is "
					     "required"), -EINVAL;
	}
	if (*ends <= *starts)
		return snprintf(err, errlen, "a silence must end after it starts"), -EINVAL;
	return 0;
}

json_t *silences_parse(const json_t *body, char *err, size_t errlen)
{
	int64_t starts, ends;
	char s[40], e[40];
	if (!json_is_object(body)) {
		snprintf(err, errlen, "body must be a JSON object");
		return NULL;
	}
	json_t *m = matchers_parse(json_object_get(body, "matchers"), false, err, errlen);
	if (!m)
		return NULL;
	if (parse_times(body, &starts, &ends, err, errlen)) {
		json_decref(m);
		return NULL;
	}
	return json_pack("{s:o,s:s,s:s,s:s,s:s}", "matchers", m, "starts_at",
			 clock_format_rfc3339(starts, 6, s, sizeof s), "ends_at",
			 clock_format_rfc3339(ends, 6, e, sizeof e), "comment",
			 jsonx_str(body, "comment"), "created_by", jsonx_str(body, "created_by"));
}

#define SILENCE_COLUMNS                                                                     \
	" id, matchers, starts_at, ends_at, comment, created_by, created_at,"                 \
	" CASE WHEN ends_at <= now() THEN 'expired' WHEN starts_at > now() THEN 'pending'"    \
	" ELSE 'active' END AS state"

int silences_create(PGconn *c, const json_t *s, json_t **out, char *err, size_t errlen)
{
	int rc = matchers_check(c, json_object_get(s, "matchers"), err, errlen);
	if (rc)
		return rc;
	char *m = json_dumps(json_object_get(s, "matchers"), JSONX_DUMP_FLAGS);
	const char *p[] = {m, jsonx_str(s, "starts_at"), jsonx_str(s, "ends_at"),
			   jsonx_str(s, "comment"), jsonx_str(s, "created_by")};
	rc = pgjson_one(c,
			"INSERT INTO silences (matchers, starts_at, ends_at, comment, created_by)"
			" VALUES ($1::jsonb, $2, $3, $4, $5) RETURNING" SILENCE_COLUMNS,
			5, p, out, err, errlen);
	free(m);
	return rc;
}

int silences_list(PGconn *c, const char *state, json_t **out, char *err, size_t errlen)
{
	const char *p[] = {state};
	return pgjson_items(c,
			    "SELECT * FROM (SELECT" SILENCE_COLUMNS " FROM silences) s"
			    " WHERE CASE WHEN $1::text IS NULL THEN state <> 'expired'"
			    " WHEN $1 = 'all' THEN true ELSE state = $1 END ORDER BY id DESC",
			    1, p, out, err, errlen);
}

int silences_expire(PGconn *c, const char *id, char *err, size_t errlen)
{
	if (!db_valid_id(id))
		return -ENOENT;
	const char *p[] = {id};
	PGresult *r = db_exec(c,
			      "WITH gone AS (DELETE FROM silences WHERE id = $1::bigint"
			      "  AND starts_at > now() RETURNING id),"
			      " ended AS (UPDATE silences SET ends_at = now() WHERE id = $1::bigint"
			      "  AND starts_at <= now() AND ends_at > now() RETURNING id)"
			      " SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM ended)",
			      1, p, err, errlen, NULL);
	if (!r)
		return -EIO;
	int n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n ? 0 : -ENOENT;
}
