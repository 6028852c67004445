/* routes: channels and routes in, lists and the log out. */
#include "routes.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "jsonx.h"
#include "matchers.h"
#include "notifyfmt.h"
#include "pgjson.h"

#define MAX_GROUP_BY 16

/* An email channel's settings: from, to (a list), and optionally
 * starttls ("try" or "required"), ca_file, username, password. */
static json_t *mail_config(const json_t *c, char *err, size_t errlen)
{
	const json_t *to = json_object_get(c, "to"), *v;
	const char *tls = jsonx_str(c, "starttls");
	size_t i;
	if (!*jsonx_str(c, "from") || !json_is_array(to) || !json_array_size(to))
		return snprintf(err, errlen, "an email channel's \"config\" names \"from\" and "
					     "\"to\" (a list of addresses)"), NULL;
	json_array_foreach(to, i, v)
		if (!json_is_string(v) || !json_string_length(v))
			return snprintf(err, errlen, "\"config.to\" holds addresses"), NULL;
	if (*tls && strcmp(tls, "try") && strcmp(tls, "required"))
		return snprintf(err, errlen, "\"config.starttls\" is try or required"), NULL;
	return json_pack("{s:s,s:O,s:s,s:s,s:s,s:s}", "from", jsonx_str(c, "from"), "to", to,
			 "starttls", *tls ? tls : "try", "ca_file", jsonx_str(c, "ca_file"),
			 "username", jsonx_str(c, "username"), "password", jsonx_str(c, "password"));
}

json_t *routes_parse_channel(const json_t *body, char *err, size_t errlen)
{
	const char *name = jsonx_str(body, "name"), *type = jsonx_str(body, "type"),
		   *url = jsonx_str(body, "url");
	bool mail = strcmp(type, "email") == 0;
	if (!*name || strlen(name) > 128)
		snprintf(err, errlen, "\"name\" is required (at most 128 bytes)");
	else if (!notifyfmt_known(type))
		snprintf(err, errlen, "\"type\" must be webhook, slack, dingtalk, wechat, alertmanager "
				      "or email");
	else if (mail && strncmp(url, "smtp://", 7) && strncmp(url, "smtps://", 8))
		snprintf(err, errlen, "an email channel's \"url\" is smtp://host:port or smtps://");
	else if (!mail && strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		snprintf(err, errlen, "\"url\" must be an http:// or https:// URL");
	else {
		json_t *config = mail ? mail_config(json_object_get(body, "config"), err, errlen)
				      : json_object();
		return config ? json_pack("{s:s,s:s,s:s,s:o}", "name", name, "type", type, "url", url,
					  "config", config)
			      : NULL;
	}
	return NULL;
}

/* A duration member as microseconds text, def when absent. */
static int duration_us(const json_t *body, const char *key, const char *def, char *out,
		       size_t len, char *err, size_t errlen)
{
	const char *s = json_is_string(json_object_get(body, key)) ? jsonx_str(body, key) : def;
	int64_t ns;
	if (json_object_get(body, key) && !json_is_string(json_object_get(body, key)))
		return snprintf(err, errlen, "\"%s\" must be a duration like 30s", key), -EINVAL;
	if (clock_parse_duration(s, &ns) || ns <= 0)
		return snprintf(err, errlen, "\"%s\" is not a duration like 30s", key), -EINVAL;
	snprintf(out, len, "%lld", (long long)(ns / 1000));
	return 0;
}

static json_t *group_by(const json_t *list, char *err, size_t errlen)
{
	if (!list)
		return json_pack("[s]", "alertname");
	if (!json_is_array(list) || json_array_size(list) > MAX_GROUP_BY) {
		snprintf(err, errlen, "\"group_by\" must be an array of at most %d label names",
			 MAX_GROUP_BY);
		return NULL;
	}
	const json_t *v;
	size_t i;
	json_array_foreach(list, i, v)
		if (!json_is_string(v) || !json_string_length(v)) {
			snprintf(err, errlen, "\"group_by\" holds label names (strings)");
			return NULL;
		}
	return json_incref((json_t *)list);
}

json_t *routes_parse_route(const json_t *body, char *err, size_t errlen)
{
	char wait[32], interval[32], repeat[32];
	const json_t *ch = json_object_get(body, "channel"), *prio = json_object_get(body, "priority");
	if (!json_is_object(body) || !*jsonx_str(body, "name"))
		return snprintf(err, errlen, "\"name\" is required"), NULL;
	if (!json_is_string(ch) && !json_is_integer(ch))
		return snprintf(err, errlen, "\"channel\" (a channel's name or id) is required"), NULL;
	if (prio && !json_is_integer(prio))
		return snprintf(err, errlen, "\"priority\" must be an integer"), NULL;
	if (duration_us(body, "group_wait", "30s", wait, sizeof wait, err, errlen) ||
	    duration_us(body, "group_interval", "5m", interval, sizeof interval, err, errlen) ||
	    duration_us(body, "repeat_interval", "4h", repeat, sizeof repeat, err, errlen))
		return NULL;
	json_t *m = matchers_parse(json_object_get(body, "matchers"), true, err, errlen);
	json_t *g = m ? group_by(json_object_get(body, "group_by"), err, errlen) : NULL;
	if (!g) {
		json_decref(m);
		return NULL;
	}
	json_t *chan = json_is_string(ch) ? json_incref((json_t *)ch)
					  : json_sprintf("%lld", (long long)json_integer_value(ch));
	return json_pack("{s:s,s:o,s:o,s:o,s:s,s:s,s:s,s:I,s:b,s:b}", "name",
			 jsonx_str(body, "name"), "channel", chan, "matchers", m, "group_by", g,
			 "group_wait_us", wait, "group_interval_us", interval, "repeat_interval_us",
			 repeat, "priority", (json_int_t)json_integer_value(prio), "continue",
			 json_is_true(json_object_get(body, "continue")), "send_resolved",
			 !json_is_false(json_object_get(body, "send_resolved")));
}

int routes_create_channel(PGconn *c, const json_t *ch, json_t **out, char *err, size_t errlen)
{
	char *config = json_dumps(json_object_get(ch, "config"), JSONX_DUMP_FLAGS);
	const char *p[] = {jsonx_str(ch, "name"), jsonx_str(ch, "type"), jsonx_str(ch, "url"), config};
	int rc = pgjson_one(c,
			    "INSERT INTO notification_channels (name, type, url, config)"
			    " VALUES ($1, $2, $3, $4::jsonb)"
			    " RETURNING id, name, type, url, config - 'password' AS config, created_at",
			    4, p, out, err, errlen);
	free(config);
	return rc;
}

#define ROUTE_COLUMNS                                                                      \
	" r.id, r.name, r.priority, r.matchers, c.name AS channel, to_jsonb(r.group_by) AS"  \
	" group_by, extract(epoch FROM r.group_wait)::float8 AS group_wait_s,"                \
	" extract(epoch FROM r.group_interval)::float8 AS group_interval_s,"                  \
	" extract(epoch FROM r.repeat_interval)::float8 AS repeat_interval_s, r.continue,"    \
	" r.send_resolved, r.created_at"

int routes_create_route(PGconn *c, const json_t *r, json_t **out, char *err, size_t errlen)
{
	int rc = matchers_check(c, json_object_get(r, "matchers"), err, errlen);
	if (rc)
		return rc;
	char *m = json_dumps(json_object_get(r, "matchers"), JSONX_DUMP_FLAGS);
	char *g = json_dumps(json_object_get(r, "group_by"), JSONX_DUMP_FLAGS);
	char prio[24];
	snprintf(prio, sizeof prio, "%lld", (long long)json_integer_value(json_object_get(r, "priority")));
	const char *p[] = {jsonx_str(r, "name"), jsonx_str(r, "channel"), m, g,
			   jsonx_str(r, "group_wait_us"), jsonx_str(r, "group_interval_us"),
			   jsonx_str(r, "repeat_interval_us"), prio,
			   json_is_true(json_object_get(r, "continue")) ? "true" : "false",
			   json_is_true(json_object_get(r, "send_resolved")) ? "true" : "false"};
	rc = pgjson_one(
		c,
		"WITH r AS (INSERT INTO alert_routes (name, channel_id, matchers, group_by, group_wait,"
		"  group_interval, repeat_interval, priority, continue, send_resolved)"
		" SELECT $1, c.id, $3::jsonb, ARRAY(SELECT jsonb_array_elements_text($4::jsonb)),"
		"  $5::bigint * interval '1 microsecond', $6::bigint * interval '1 microsecond',"
		"  $7::bigint * interval '1 microsecond', $8::int, $9::boolean, $10::boolean"
		" FROM notification_channels c WHERE c.name = $2 OR c.id::text = $2"
		" ORDER BY c.name = $2 DESC LIMIT 1 RETURNING *)"
		" SELECT" ROUTE_COLUMNS " FROM r JOIN notification_channels c ON c.id = r.channel_id",
		10, p, out, err, errlen);
	free(m);
	free(g);
	if (rc == -ENOENT) /* no channel of that name or id to insert with */
		snprintf(err, errlen, "no channel %s", jsonx_str(r, "channel"));
	return rc == -ENOENT ? -EINVAL : rc;
}

int routes_list_channels(PGconn *c, json_t **out, char *err, size_t errlen)
{
	return pgjson_items(c,
			    "SELECT id, name, type, url, config - 'password' AS config, created_at"
			    " FROM notification_channels ORDER BY id",
			    0, NULL, out, err, errlen);
}

int routes_list_routes(PGconn *c, json_t **out, char *err, size_t errlen)
{
	return pgjson_items(c,
			    "SELECT" ROUTE_COLUMNS " FROM alert_routes r JOIN notification_channels c"
			    " ON c.id = r.channel_id ORDER BY r.priority, r.id",
			    0, NULL, out, err, errlen);
}

int routes_delete_channel(PGconn *c, const char *key, char *err, size_t errlen)
{
	return db_delete(c, "DELETE FROM notification_channels WHERE name = $1 OR id::text = $1", key,
			 err, errlen);
}

int routes_delete_route(PGconn *c, const char *key, char *err, size_t errlen)
{
	return db_delete(c, "DELETE FROM alert_routes WHERE name = $1 OR id::text = $1", key, err,
			 errlen);
}

int routes_get_channel(PGconn *c, const char *key, json_t **out, char *err, size_t errlen)
{
	const char *p[] = {key ? key : ""};
	return pgjson_one(c,
			  "SELECT id, name, type, url, config FROM notification_channels"
			  " WHERE name = $1 OR id::text = $1 ORDER BY name = $1 DESC LIMIT 1",
			  1, p, out, err, errlen);
}

int routes_notifications(PGconn *c, const char *status, long long offset, long long limit,
			 json_t **out, char *err, size_t errlen)
{
	const char *p[] = {status};
	return pgjson_page(c,
			   "SELECT n.id, r.name AS route, ch.name AS channel, n.group_key, n.status,"
			   " n.attempts, to_jsonb(n.alert_ids) AS alert_ids, n.error, n.created_at,"
			   " n.sent_at, n.next_attempt_at, n.payload FROM alert_notifications n"
			   " LEFT JOIN alert_routes r ON r.id = n.route_id"
			   " LEFT JOIN notification_channels ch ON ch.id = n.channel_id"
			   " WHERE ($1::text IS NULL OR n.status = $1)"
			   " ORDER BY n.id DESC OFFSET $2::bigint LIMIT $3::bigint",
			   "SELECT count(*) FROM alert_notifications n WHERE ($1::text IS NULL OR"
			   " n.status = $1)",
			   1, p, offset, limit, NULL, NULL, out, err, errlen);
}
