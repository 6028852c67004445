/* notifyfmt: a notification as each channel takes it. */
#include "notifyfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"

static const char *const types[] = {"webhook", "slack", "dingtalk", "wechat", "alertmanager",
				    "email"};

bool notifyfmt_known(const char *type)
{
	for (size_t i = 0; type && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

/* What a person reads: a title line, then a line per alert. */
static void text_of(const json_t *p, bool markdown, struct buf *t)
{
	const json_t *alerts = json_object_get(p, "alerts"), *a, *g = json_object_get(p, "groupLabels");
	const char *k;
	const json_t *v;
	size_t i, firing = 0;
	json_array_foreach(alerts, i, a)
		firing += strcmp(jsonx_str(a, "status"), "firing") == 0;
	buf_printf(t, "%s[%s:%zu]%s", markdown ? "### " : "",
		   firing ? "FIRING" : "RESOLVED", firing ? firing : json_array_size(alerts),
		   json_object_size(g) ? " " : "");
	json_object_foreach((json_t *)g, k, v)
		buf_printf(t, "%s=%s ", k, json_string_value(v));
	buf_puts(t, "\n");
	json_array_foreach(alerts, i, a) {
		const json_t *l = json_object_get(a, "labels"), *lens = json_object_get(a, "lens");
		const json_t *ann = json_object_get(a, "annotations");
		const char *summary = *jsonx_str(ann, "summary") ? jsonx_str(ann, "summary")
								 : jsonx_str(ann, "message");
		buf_printf(t, "- %s %s (%s)%s%s", jsonx_str(a, "status"), jsonx_str(l, "alertname"),
			   jsonx_str(lens, "severity"), *summary ? ": " : "", summary);
		if (*jsonx_str(lens, "workload") || *jsonx_str(lens, "pod"))
			buf_printf(t, " [workload %s, pod %s]", jsonx_str(lens, "workload"),
				   jsonx_str(lens, "pod"));
		buf_puts(t, "\n");
	}
}

/* An Alertmanager takes alerts, not a notification. */
static json_t *am_alerts(const json_t *p)
{
	json_t *out = json_array();
	const json_t *a;
	size_t i;
	json_array_foreach(json_object_get(p, "alerts"), i, a)
		json_array_append_new(
			out, json_pack("{s:O,s:O,s:s,s:s,s:s}", "labels", json_object_get(a, "labels"),
				       "annotations", json_object_get(a, "annotations"), "startsAt",
				       jsonx_str(a, "startsAt"), "endsAt", jsonx_str(a, "endsAt"),
				       "generatorURL", jsonx_str(a, "generatorURL")));
	return out;
}

/* A plain-text mail: the title line is the subject. */
static void mail_of(const json_t *config, const json_t *p, struct buf *out)
{
	struct buf text = BUF_INIT;
	const json_t *to;
	size_t i;
	text_of(p, false, &text);
	buf_printf(out, "From: %s\r\nTo: ", jsonx_str(config, "from"));
	json_array_foreach(json_object_get(config, "to"), i, to)
		buf_printf(out, "%s%s", i ? ", " : "", json_string_value(to));
	buf_printf(out, "\r\nSubject: Lens %.*s\r\nMIME-Version: 1.0\r\n"
			"Content-Type: text/plain; charset=utf-8\r\n\r\n",
		   (int)strcspn(text.p, "\n"), text.p);
	/* Lines of the body end in CRLF; a line starting with a dot is doubled by
	 * libcurl's SMTP upload, so it is left as it is here. */
	for (const char *l = text.p; *l;) {
		size_t n = strcspn(l, "\n");
		buf_printf(out, "%.*s\r\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	buf_free(&text);
}

int notifyfmt_request(const json_t *channel, const json_t *payload, char **url, struct buf *body)
{
	const char *type = jsonx_str(channel, "type");
	json_t *out;
	struct buf text = BUF_INIT;
	struct buf u = BUF_INIT;
	buf_puts(&u, jsonx_str(channel, "url"));
	if (!strcmp(type, "email")) {
		mail_of(json_object_get(channel, "config"), payload, body);
		*url = u.p;
		return 0;
	}
	if (!strcmp(type, "webhook")) {
		out = json_incref((json_t *)payload);
	} else if (!strcmp(type, "alertmanager")) {
		while (u.len && u.p[u.len - 1] == '/')
			u.p[--u.len] = '\0';
		buf_puts(&u, "/api/v2/alerts");
		out = am_alerts(payload);
	} else if (!strcmp(type, "slack")) {
		text_of(payload, false, &text);
		out = json_pack("{s:s}", "text", text.p);
	} else if (!strcmp(type, "dingtalk")) {
		text_of(payload, true, &text);
		out = json_pack("{s:s,s:{s:s,s:s}}", "msgtype", "markdown", "markdown", "title",
				"Lens alerts", "text", text.p);
	} else if (!strcmp(type, "wechat")) {
		text_of(payload, true, &text);
		out = json_pack("{s:s,s:{s:s}}", "msgtype", "markdown", "markdown", "content", text.p);
	} else {
		buf_free(&u);
		return -EINVAL;
	}
	char *s = json_dumps(out, JSONX_DUMP_FLAGS);
	buf_puts(body, s);
	free(s);
	json_decref(out);
	buf_free(&text);
	*url = u.p; /* the buffer's memory, now the caller's */
	return 0;
}
