/* fluentbit: records to log_record, refusing what cannot be a line. */
#include "fluentbit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"

#define MAX_ERRORS 5

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* fluent-bit's date: epoch seconds (json_date_format double, the
 * default) or an ISO 8601 string. */
static int record_time(const json_t *d, int64_t *ns)
{
	if (json_is_number(d)) {
		double s = json_number_value(d);
		if (!isfinite(s) || s < 0 || s > 9e9)
			return -EINVAL;
		*ns = (int64_t)(s * 1e9);
		return 0;
	}
	return json_is_string(d) ? clock_parse_rfc3339(json_string_value(d), ns) : -EINVAL;
}

/* Why the record cannot be a line, or NULL when it can. */
static const char *to_record(const json_t *r, struct log_record *out)
{
	const json_t *k = json_object_get(r, "kubernetes");
	const json_t *msg = json_object_get(r, "log");
	if (!msg)
		msg = json_object_get(r, "message");
	if (!json_is_object(r))
		return "not an object";
	if (!json_is_string(msg))
		return "no log or message string";
	if (!json_is_object(k) || !str(k, "pod_name") || !str(k, "namespace_name") ||
	    !str(k, "container_name"))
		return "no kubernetes.pod_name, namespace_name and container_name";
	if (record_time(json_object_get(r, "date"), &out->logged_ns))
		return "no date (epoch seconds or RFC 3339)";
	const char *stream = str(r, "stream");
	out->stream = stream && strcmp(stream, "stderr") == 0 ? "stderr" : "stdout";
	out->node = str(k, "host");
	out->namespace_ = str(k, "namespace_name");
	out->pod = str(k, "pod_name");
	out->pod_uid = str(k, "pod_id");
	out->container = str(k, "container_name");
	out->line = json_string_value(msg);
	out->len = json_string_length(msg);
	/* The trailing newline of a tailed line is not part of it. */
	if (out->len && out->line[out->len - 1] == '\n')
		out->len--;
	return NULL;
}

/* A JSON array, or JSON lines (one object per line). */
static json_t *load(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
		i++;
	if (i < len && body[i] == '[') {
		json_t *a = json_loadb(body, len, 0, &je);
		if (!a)
			snprintf(err, errlen, "body is not JSON: %s (line %d)", je.text, je.line);
		return a;
	}
	json_t *a = json_array();
	for (size_t start = i; start < len;) {
		const char *nl = memchr(body + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - body) : len;
		if (end > start + (body[end - 1] == '\r')) {
			json_t *o = json_loadb(body + start, end - start, 0, &je);
			json_array_append_new(a, o ? o : json_null());
		}
		start = end + 1;
	}
	if (json_array_size(a) == 0) {
		snprintf(err, errlen, "body is neither a JSON array of records nor JSON lines");
		json_decref(a);
		return NULL;
	}
	return a;
}

int fluentbit_parse(const char *body, size_t len, struct fluentbit_batch *b, char *err,
		    size_t errlen)
{
	memset(b, 0, sizeof *b);
	b->doc = load(body, len, err, errlen);
	if (!json_is_array(b->doc)) {
		if (b->doc)
			snprintf(err, errlen, "body is JSON but not an array of records");
		json_decref(b->doc);
		b->doc = NULL;
		return -EINVAL;
	}
	size_t total = json_array_size(b->doc);
	b->recs = xcalloc(total ? total : 1, sizeof *b->recs);
	b->errors = json_array();
	for (size_t i = 0; i < total; i++) {
		const char *why = to_record(json_array_get(b->doc, i), &b->recs[b->n]);
		if (!why) {
			b->n++;
			continue;
		}
		b->rejected++;
		if (json_array_size(b->errors) < MAX_ERRORS) {
			char e[160];
			snprintf(e, sizeof e, "record %zu: %s", i, why);
			json_array_append_new(b->errors, json_string(e));
		}
	}
	return 0;
}

void fluentbit_free(struct fluentbit_batch *b)
{
	json_decref(b->doc);
	json_decref(b->errors);
	free(b->recs);
	memset(b, 0, sizeof *b);
}
