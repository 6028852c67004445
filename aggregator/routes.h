/* routes: notification channels and alert routes (migration 010,
 * docs/alerts.md): checking and storing them, listing them with the
 * notification log. */
#ifndef LENS_ROUTES_H
#define LENS_ROUTES_H

#include <jansson.h>
#include <libpq-fe.h>

/* {"name", "type": webhook|slack|dingtalk|wechat|alertmanager|email,
 * "url", "config" (email: from, to, starttls, username, password)}: the
 * checked channel, or NULL with err. */
json_t *routes_parse_channel(const json_t *body, char *err, size_t errlen);
/* {"name", "channel" (name or id), "matchers", "group_by", "group_wait",
 * "group_interval", "repeat_interval" (durations like 30s), "priority",
 * "continue", "send_resolved"}: the checked route, or NULL with err. */
json_t *routes_parse_route(const json_t *body, char *err, size_t errlen);

/* Stores one (-EINVAL: a name taken, an unknown channel, a bad regex;
 * -EIO); *out is its row. */
int routes_create_channel(PGconn *c, const json_t *ch, json_t **out, char *err, size_t errlen);
int routes_create_route(PGconn *c, const json_t *r, json_t **out, char *err, size_t errlen);
int routes_list_channels(PGconn *c, json_t **out, char *err, size_t errlen);
int routes_list_routes(PGconn *c, json_t **out, char *err, size_t errlen);
/* By id or name: 0, -ENOENT or -EIO. */
int routes_delete_channel(PGconn *c, const char *key, char *err, size_t errlen);
int routes_delete_route(PGconn *c, const char *key, char *err, size_t errlen);
/* A channel's row (type and url): 0, -ENOENT or -EIO. */
int routes_get_channel(PGconn *c, const char *key, json_t **out, char *err, size_t errlen);
/* The notification log, newest first; status may be NULL. */
int routes_notifications(PGconn *c, const char *status, long long offset, long long limit,
			 json_t **out, char *err, size_t errlen);

#endif
