/* silences: checking, storing, listing and ending silences. */
#include "silences.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "jsonx.h"
#include "pgjson.h"

#define MAX_MATCHERS 32

static const char *matcher_op(const json_t *m)
{
	const json_t *op = json_object_get(m, "op");
	if (json_is_string(op)) {
		static const char *const ops[] = {"=", "!=", "=~", "!~"};
		for (size_t i = 0; i < 4; i++)
			if (strcmp(json_string_value(op), ops[i]) == 0)
				return ops[i];
		return NULL;
	}
	if (op)
		return NULL;
	/* Alertmanager's form: isRegex, isEqual (default true). */
	bool re = json_is_true(json_object_get(m, "isRegex"));
	bool eq = !json_is_false(json_object_get(m, "isEqual"));
	return re ? (eq ? "=~" : "!~") : (eq ? "=" : "!=");
}

static json_t *parse_matchers(const json_t *list, char *err, size_t errlen)
{
	if (!json_is_array(list) || !json_array_size(list) || json_array_size(list) > MAX_MATCHERS) {
		snprintf(err, errlen, "\"matchers\" must be an array of 1 to %d matchers", MAX_MATCHERS);
		return NULL;
	}
	json_t *out = json_array();
	const json_t *m;
	size_t i;
	json_array_foreach(list, i, m) {
		const char *op = matcher_op(m);
		if (!json_is_object(m) || !*jsonx_str(m, "name") ||
		    !json_is_string(json_object_get(m, "value")) || !op) {
			snprintf(err, errlen,
				 "matcher %zu: needs \"name\", \"value\" (strings) and \"op\" "
				 "(=, !=, =~ or !~)", i);
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "name", jsonx_str(m, "name"),
						     "value", jsonx_str(m, "value"), "op", op));
	}
	return out;
}

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
	json_t *m = parse_matchers(json_object_get(body, "matchers"), err, errlen);
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

/* Every regular expression compiles in PostgreSQL, which evaluates them. */
static int check_regexes(PGconn *c, const json_t *matchers, char *err, size_t errlen)
{
	const json_t *m;
	size_t i;
	json_array_foreach(matchers, i, m) {
		if (jsonx_str(m, "op")[1] != '~')
			continue;
		const char *p[] = {jsonx_str(m, "value")};
		char sqlstate[6] = "", why[200];
		PGresult *r = db_exec(c, "SELECT '' ~ ('^(?:' || $1 || ')$')", 1, p, why, sizeof why,
				      sqlstate);
		PQclear(r);
		if (!r && strcmp(sqlstate, "2201B") == 0) {
			const char *msg = strncmp(why, "ERROR:  ", 8) == 0 ? why + 8 : why;
			snprintf(err, errlen, "matcher %zu: %.*s", i, (int)strcspn(msg, "\n"), msg);
			return -EINVAL;
		}
		if (!r)
			return snprintf(err, errlen, "%s", why), -EIO;
	}
	return 0;
}

#define SILENCE_COLUMNS                                                                     \
	" id, matchers, starts_at, ends_at, comment, created_by, created_at,"                 \
	" CASE WHEN ends_at <= now() THEN 'expired' WHEN starts_at > now() THEN 'pending'"    \
	" ELSE 'active' END AS state"

int silences_create(PGconn *c, const json_t *s, json_t **out, char *err, size_t errlen)
{
	int rc = check_regexes(c, json_object_get(s, "matchers"), err, errlen);
	if (rc)
		return rc;
	char *m = json_dumps(json_object_get(s, "matchers"), JSONX_DUMP_FLAGS);
	const char *p[] = {m, jsonx_str(s, "starts_at"), jsonx_str(s, "ends_at"),
			   jsonx_str(s, "comment"), jsonx_str(s, "created_by")};
	json_t *rows;
	rc = pgjson_query(c,
			  "INSERT INTO silences (matchers, starts_at, ends_at, comment, created_by)"
			  " VALUES ($1::jsonb, $2, $3, $4, $5) RETURNING" SILENCE_COLUMNS,
			  5, p, &rows, err, errlen);
	free(m);
	if (rc)
		return rc;
	*out = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return 0;
}

int silences_list(PGconn *c, const char *state, json_t **out, char *err, size_t errlen)
{
	const char *p[] = {state};
	json_t *rows;
	int rc = pgjson_query(c,
			      "SELECT * FROM (SELECT" SILENCE_COLUMNS " FROM silences) s"
			      " WHERE CASE WHEN $1::text IS NULL THEN state <> 'expired'"
			      " WHEN $1 = 'all' THEN true ELSE state = $1 END ORDER BY id DESC",
			      1, p, &rows, err, errlen);
	if (!rc)
		*out = json_pack("{s:o}", "items", rows);
	return rc;
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
