/* alertintake: the alert bodies Lens accepts, turned into its one alert
 * shape (docs/alerts.md), which lens_alert_fire (migration 009) stores:
 *   {"source", "name", "severity", "status", "starts_at", "ends_at",
 *    "labels": {...}, "annotations": {...}, "generator_url",
 *    "entity": {"cluster", "node", "namespace", "pod", "pod_uid",
 *               "workload", "workload_uid", "device"}}
 * Each parser appends the alerts of one body to out, or leaves out as it
 * was and returns -EINVAL with err naming what is wrong (the API answers
 * 400 with it). Parsing only: nothing here touches the database. */
#ifndef LENS_ALERTINTAKE_H
#define LENS_ALERTINTAKE_H

#include <jansson.h>
#include <stddef.h>

/* POST /api/v1/alerts/metric: an Alertmanager (or vmalert) webhook body,
 * {"status", "alerts": [{"status", "labels", "annotations", "startsAt",
 * "endsAt", "generatorURL"}], ...}. */
int alertintake_webhook_am(const json_t *body, json_t *out, char *err, size_t errlen);
/* POST /api/v2/alerts: Alertmanager's own API, [{"labels", "annotations",
 * "startsAt", "endsAt", "generatorURL"}] (resolved when endsAt passed). */
int alertintake_am_v2(const json_t *body, json_t *out, char *err, size_t errlen);
/* POST /api/v1/alerts/log: {"rule_name", "severity", "message", "pattern",
 * "workload_id", "pod_name", "pod_id", "log_time", "labels"}. */
int alertintake_log(const json_t *body, json_t *out, char *err, size_t errlen);
/* POST /api/v1/alerts/trace: {"trace_id", "span_id", "service_name",
 * "operation", "duration", "rule_name", "severity", ...}. */
int alertintake_trace(const json_t *body, json_t *out, char *err, size_t errlen);
/* POST /api/v1/alerts/webhook: one alert {"name" or "alertname", ...}, or
 * {"alerts": [...]} of them (the minimum is in docs/alerts.md). */
int alertintake_webhook(const json_t *body, json_t *out, char *err, size_t errlen);

/* critical, high, warning or info for what a sender calls it. */
const char *alertintake_severity(const char *s);

#endif
