/* alertintake: every accepted body to the one alert shape. */
#include "alertintake.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "jsonx.h"

#define MAX_ALERTS 10000 /* per body */
#define MAX_LABELS 64
#define MAX_LABEL_BYTES 4096

const char *alertintake_severity(const char *s)
{
	static const struct {
		const char *name, *severity;
	} map[] = {{"critical", "critical"}, {"crit", "critical"}, {"page", "critical"},
		   {"fatal", "critical"},    {"emergency", "critical"}, {"high", "high"},
		   {"error", "high"},        {"major", "high"},        {"warning", "warning"},
		   {"warn", "warning"},      {"minor", "warning"},     {"info", "info"},
		   {"information", "info"},  {"none", "info"},         {"low", "info"}};
	for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(s, map[i].name) == 0)
			return map[i].severity;
	return "warning";
}

/* An optional string member: NULL when absent or null, -EINVAL when it is
 * something else. */
static int opt_str(const json_t *o, const char *key, const char **out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return snprintf(err, errlen, "\"%s\" must be a string", key), -EINVAL;
	*out = json_string_value(v);
	return 0;
}

/* A label (or annotation) set: an object of strings, within limits. */
static int string_map(const json_t *o, const char *what, json_t **out, char *err, size_t errlen)
{
	*out = json_object();
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o) || json_object_size(o) > MAX_LABELS) {
		json_decref(*out);
		return snprintf(err, errlen, "\"%s\" must be an object of at most %d strings", what,
				MAX_LABELS), -EINVAL;
	}
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		if (!json_is_string(v) || !*k || json_string_length(v) > MAX_LABEL_BYTES) {
			json_decref(*out);
			return snprintf(err, errlen, "\"%s\".\"%s\" must be a string of at most %d bytes",
					what, k, MAX_LABEL_BYTES), -EINVAL;
		}
		json_object_set(*out, k, (json_t *)v);
	}
	return 0;
}

/* A time as RFC 3339 text, or seconds since the epoch; "" when absent or
 * Go's zero time (Alertmanager's "no end"). */
static int time_member(const json_t *o, const char *key, char *out, size_t len, char *err,
		       size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	int64_t ns;
	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (json_is_number(v)) {
		double s = json_number_value(v);
		if (s <= 0 || s > 9e9)
			return snprintf(err, errlen, "\"%s\" is out of range", key), -EINVAL;
		ns = (int64_t)(s * 1e9);
	} else if (json_is_string(v) && strncmp(json_string_value(v), "0001-01-01", 10) == 0) {
		return 0;
	} else if (!json_is_string(v) || clock_parse_rfc3339(json_string_value(v), &ns)) {
		return snprintf(err, errlen, "\"%s\" is not an RFC 3339 time", key), -EINVAL;
	}
	clock_format_rfc3339(ns, 6, out, len);
	return 0;
}

/* Where an alert is, from the labels Prometheus rules and Lens use. */
static json_t *entity_from(const json_t *labels)
{
	static const struct {
		const char *field, *keys[4];
	} map[] = {{"cluster", {"cluster", "cluster_name"}},
		   {"node", {"node", "node_name", "hostname", "kubernetes_node"}},
		   {"namespace", {"namespace", "exported_namespace"}},
		   {"pod", {"pod", "pod_name", "exported_pod"}},
		   {"pod_uid", {"pod_uid", "pod_id"}},
		   {"workload", {"workload", "workload_name"}},
		   {"workload_uid", {"workload_uid", "workload_id"}},
		   {"device", {"device", "gpu", "bdf", "hca"}}};
	json_t *e = json_object();
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		for (size_t k = 0; k < 4 && map[i].keys[k]; k++)
			if (*jsonx_str(labels, map[i].keys[k])) {
				json_object_set_new(e, map[i].field,
						    json_string(jsonx_str(labels, map[i].keys[k])));
				break;
			}
	return e;
}

struct alert_parts {
	const char *source, *name, *severity, *status, *generator_url;
	const char *starts, *ends;
	json_t *labels, *annotations; /* taken */
};

static void add_alert(json_t *out, struct alert_parts *p)
{
	json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o}", "source", p->source, "name",
			      p->name, "severity", alertintake_severity(p->severity), "status",
			      p->status, "labels", p->labels, "annotations", p->annotations,
			      "generator_url", p->generator_url ? p->generator_url : "", "entity",
			      entity_from(p->labels));
	if (p->starts && *p->starts)
		json_object_set_new(a, "starts_at", json_string(p->starts));
	if (p->ends && *p->ends)
		json_object_set_new(a, "ends_at", json_string(p->ends));
	json_array_append_new(out, a);
}

/* Alertmanager's alert object, in the webhook body and its v2 API. */
static int am_alert(const json_t *o, const char *status, json_t *out, char *err, size_t errlen)
{
	struct alert_parts p = {.source = "metric", .status = status};
	char starts[40], ends[40];
	const char *st;
	if (!json_is_object(o))
		return snprintf(err, errlen, "each alert must be an object"), -EINVAL;
	int rc = opt_str(o, "status", &st, err, errlen);
	if (!rc)
		rc = opt_str(o, "generatorURL", &p.generator_url, err, errlen);
	if (!rc)
		rc = time_member(o, "startsAt", starts, sizeof starts, err, errlen);
	if (!rc)
		rc = time_member(o, "endsAt", ends, sizeof ends, err, errlen);
	if (rc)
		return rc;
	if (string_map(json_object_get(o, "labels"), "labels", &p.labels, err, errlen))
		return -EINVAL;
	p.name = jsonx_str(p.labels, "alertname");
	if (!*p.name || string_map(json_object_get(o, "annotations"), "annotations",
				   &p.annotations, err, errlen)) {
		if (!*p.name)
			snprintf(err, errlen, "an alert without labels.alertname");
		json_decref(p.labels);
		return -EINVAL;
	}
	if (st)
		p.status = strcmp(st, "resolved") == 0 ? "resolved" : "firing";
	p.severity = jsonx_str(p.labels, "severity");
	p.starts = starts, p.ends = ends;
	add_alert(out, &p);
	return 0;
}

static int am_alerts(const json_t *arr, const char *status, json_t *out, char *err, size_t errlen)
{
	if (!json_is_array(arr) || json_array_size(arr) > MAX_ALERTS)
		return snprintf(err, errlen, "alerts must be an array of at most %d", MAX_ALERTS),
		       -EINVAL;
	json_t *mine = json_array();
	const json_t *o;
	size_t i;
	json_array_foreach(arr, i, o)
		if (am_alert(o, status, mine, err, errlen)) {
			size_t n = strlen(err);
			snprintf(err + n, errlen - n, " (alert %zu)", i);
			json_decref(mine);
			return -EINVAL;
		}
	json_array_extend(out, mine);
	json_decref(mine);
	return 0;
}

int alertintake_webhook_am(const json_t *body, json_t *out, char *err, size_t errlen)
{
	const char *status;
	if (!json_is_object(body))
		return snprintf(err, errlen, "body must be a JSON object"), -EINVAL;
	if (opt_str(body, "status", &status, err, errlen))
		return -EINVAL;
	return am_alerts(json_object_get(body, "alerts"),
			 status && strcmp(status, "resolved") == 0 ? "resolved" : "firing", out, err,
			 errlen);
}

int alertintake_am_v2(const json_t *body, json_t *out, char *err, size_t errlen)
{
	return am_alerts(body, "firing", out, err, errlen); /* endsAt passed: resolved */
}

static int required(char *err, size_t errlen, const char *key)
{
	snprintf(err, errlen, "\"%s\" is required", key);
	return -EINVAL;
}

/* The fields the log, trace and webhook bodies share. */
static int common_parts(const json_t *body, struct alert_parts *p, char *starts, char *ends,
			const char *start_key, char *err, size_t errlen)
{
	const char *msg;
	if (!json_is_object(body))
		return snprintf(err, errlen, "body must be a JSON object"), -EINVAL;
	int rc = opt_str(body, "severity", &p->severity, err, errlen);
	if (!rc)
		rc = opt_str(body, "message", &msg, err, errlen);
	if (!rc)
		rc = time_member(body, start_key, starts, 40, err, errlen);
	if (!rc)
		rc = time_member(body, "ends_at", ends, 40, err, errlen);
	if (rc || string_map(json_object_get(body, "labels"), "labels", &p->labels, err, errlen))
		return -EINVAL;
	if (string_map(json_object_get(body, "annotations"), "annotations", &p->annotations, err,
		       errlen)) {
		json_decref(p->labels);
		return -EINVAL;
	}
	if (msg)
		json_object_set_new(p->annotations, "message", json_string(msg));
	p->starts = starts, p->ends = ends;
	return 0;
}

/* Copies body's string members named in keys[] into labels (as
 * label_names[]), or into annotations when label_names[i] is NULL. */
static int copy_fields(const json_t *body, const char *const *keys, const char *const *label_names,
		       size_t n, struct alert_parts *p, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(body, keys[i]);
		if (!v || json_is_null(v))
			continue;
		json_t *text = json_is_string(v) ? json_incref((json_t *)v)
			       : json_is_number(v) ? json_sprintf("%.15g", json_number_value(v))
						    : NULL;
		if (!text)
			return snprintf(err, errlen, "\"%s\" must be a string or a number", keys[i]),
			       -EINVAL;
		json_object_set_new(label_names[i] ? p->labels : p->annotations,
				    label_names[i] ? label_names[i] : keys[i], text);
	}
	return 0;
}

static int finish(struct alert_parts *p, json_t *out, int rc)
{
	if (rc) {
		json_decref(p->labels);
		json_decref(p->annotations);
		return rc;
	}
	add_alert(out, p);
	return 0;
}

int alertintake_log(const json_t *body, json_t *out, char *err, size_t errlen)
{
	static const char *const keys[] = {"workload_id", "pod_id", "pod_name", "namespace", "node",
					   "pattern"};
	static const char *const labels[] = {"workload_uid", "pod_uid", "pod", "namespace", "node",
					     NULL};
	struct alert_parts p = {.source = "log", .status = "firing"};
	char starts[40], ends[40];
	if (common_parts(body, &p, starts, ends, "log_time", err, errlen))
		return -EINVAL;
	int rc = opt_str(body, "rule_name", &p.name, err, errlen);
	if (!rc && (!p.name || !*p.name))
		rc = required(err, errlen, "rule_name");
	if (!rc)
		rc = copy_fields(body, keys, labels, 6, &p, err, errlen);
	return finish(&p, out, rc);
}

int alertintake_trace(const json_t *body, json_t *out, char *err, size_t errlen)
{
	static const char *const keys[] = {"service_name", "operation", "workload_id", "pod_id",
					   "trace_id", "span_id", "duration"};
	static const char *const labels[] = {"service", "operation", "workload_uid", "pod_uid",
					     NULL, NULL, NULL};
	struct alert_parts p = {.source = "trace", .status = "firing", .name = "SlowTrace"};
	char starts[40], ends[40];
	const char *name;
	if (common_parts(body, &p, starts, ends, "starts_at", err, errlen))
		return -EINVAL;
	int rc = opt_str(body, "rule_name", &name, err, errlen);
	if (!rc && name && *name)
		p.name = name;
	if (!rc && !json_is_string(json_object_get(body, "trace_id")))
		rc = required(err, errlen, "trace_id");
	if (!rc)
		rc = copy_fields(body, keys, labels, 7, &p, err, errlen);
	return finish(&p, out, rc);
}

static int webhook_one(const json_t *body, json_t *out, char *err, size_t errlen)
{
	static const char *const keys[] = {"node", "namespace", "pod", "pod_uid", "workload_uid",
					   "cluster", "device"};
	struct alert_parts p = {.source = "webhook", .status = "firing"};
	char starts[40], ends[40];
	const char *name = NULL, *alertname = NULL, *status = NULL;
	if (common_parts(body, &p, starts, ends, "starts_at", err, errlen))
		return -EINVAL;
	int rc = opt_str(body, "name", &name, err, errlen);
	if (!rc)
		rc = opt_str(body, "alertname", &alertname, err, errlen);
	if (!rc)
		rc = opt_str(body, "status", &status, err, errlen);
	p.name = name && *name ? name : alertname && *alertname ? alertname : NULL;
	if (!rc && !p.name)
		rc = required(err, errlen, "name\" (or \"alertname");
	if (!rc && status)
		p.status = strcmp(status, "resolved") == 0 ? "resolved" : "firing";
	if (!rc)
		rc = copy_fields(body, keys, keys, 7, &p, err, errlen);
	return finish(&p, out, rc);
}

int alertintake_webhook(const json_t *body, json_t *out, char *err, size_t errlen)
{
	const json_t *list = json_object_get(body, "alerts");
	if (!json_is_array(list))
		return webhook_one(body, out, err, errlen);
	if (json_array_size(list) > MAX_ALERTS)
		return snprintf(err, errlen, "at most %d alerts", MAX_ALERTS), -EINVAL;
	json_t *mine = json_array();
	const json_t *o;
	size_t i;
	json_array_foreach(list, i, o)
		if (webhook_one(o, mine, err, errlen)) {
			json_decref(mine);
			return -EINVAL;
		}
	json_array_extend(out, mine);
	json_decref(mine);
	return 0;
}
