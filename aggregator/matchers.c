/* matchers: Alertmanager's label matchers, checked and normalised. */
#include "matchers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "jsonx.h"

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

json_t *matchers_parse(const json_t *list, bool allow_none, char *err, size_t errlen)
{
	if (allow_none && !list)
		return json_array();
	if (!json_is_array(list) || (!allow_none && !json_array_size(list)) ||
	    json_array_size(list) > MAX_MATCHERS) {
		snprintf(err, errlen, "\"matchers\" must be an array of %d to %d matchers",
			 allow_none ? 0 : 1, MAX_MATCHERS);
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

/* Every regular expression compiles in PostgreSQL, which evaluates them. */
int matchers_check(PGconn *c, const json_t *matchers, char *err, size_t errlen)
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
