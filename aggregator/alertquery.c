/* alertquery: alerts out, as JSON. */
#include "alertquery.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "pgjson.h"

#define ALERT_COLUMNS                                                                       \
	" a.id, a.fingerprint, a.source, a.name, a.severity, a.status, a.starts_at,"           \
	" a.ends_at, a.last_seen, a.repeats, a.labels, a.annotations, a.generator_url,"        \
	" a.cluster, a.node, a.namespace, a.pod, a.pod_uid, a.workload, a.workload_uid,"       \
	" a.device, to_jsonb(a.silenced_by) AS silenced_by,"                                      \
	" (SELECT count(*) FROM alert_correlations c WHERE c.alert_id = a.id) AS correlations," \
	" a.updated_at"

#define ALERTS_WHERE                                                                        \
	" WHERE ($1::text IS NULL OR a.source = ANY(string_to_array($1, ',')))"               \
	" AND ($2::text IS NULL OR a.name = $2)"                                              \
	" AND ($3::text IS NULL OR a.severity = ANY(string_to_array($3, ',')))"               \
	" AND ($4::text IS NULL OR a.status = ANY(string_to_array($4, ',')))"                 \
	" AND ($5::text IS NULL OR a.workload = $5 OR a.workload_uid = $5)"                   \
	" AND ($6::text IS NULL OR a.pod = $6 OR a.pod_uid = $6)"                             \
	" AND ($7::text IS NULL OR a.node = $7) AND ($8::text IS NULL OR a.cluster = $8)"     \
	" AND ($9::timestamptz IS NULL OR a.starts_at >= $9)"                                 \
	" AND ($10::timestamptz IS NULL OR a.starts_at <= $10)"

int alertquery_list(PGconn *c, const struct alerts_filter *f, json_t **out, char *err,
		    size_t errlen)
{
	const char *p[] = {f->source,   f->name, f->severity, f->status,  f->workload,
			   f->pod,      f->node, f->cluster,  f->from,    f->to};
	return pgjson_page(c,
			   "SELECT" ALERT_COLUMNS " FROM alerts a" ALERTS_WHERE
			   " ORDER BY a.starts_at DESC, a.id DESC OFFSET $11::bigint LIMIT $12::bigint",
			   "SELECT count(*) FROM alerts a" ALERTS_WHERE, 10, p, f->offset, f->limit,
			   NULL, NULL, out, err, errlen);
}

int alertquery_get(PGconn *c, const char *id, json_t **out, char *err, size_t errlen)
{
	const char *p[] = {id};
	if (!db_valid_id(id))
		return -ENOENT;
	return pgjson_one(c, "SELECT" ALERT_COLUMNS " FROM alerts a WHERE a.id = $1::bigint", 1, p,
			  out, err, errlen);
}

int alertquery_correlations(PGconn *c, const char *id, json_t **out, char *err, size_t errlen)
{
	json_t *alert;
	int rc = alertquery_get(c, id, &alert, err, errlen);
	if (rc)
		return rc;
	const char *p[] = {id};
	json_t *rows;
	rc = pgjson_query(c,
			  "SELECT round(x.score::numeric, 3)::float8 AS score, x.reason," ALERT_COLUMNS
			  " FROM alert_correlations x JOIN alerts a ON a.id = x.related_id"
			  " WHERE x.alert_id = $1::bigint ORDER BY x.score DESC, a.starts_at",
			  1, p, &rows, err, errlen);
	if (rc) {
		json_decref(alert);
		return rc;
	}
	*out = json_pack("{s:o,s:o}", "alert", alert, "correlations", rows);
	return 0;
}

int alertquery_statistics(PGconn *c, const struct alerts_stats_query *q, json_t **out, char *err,
			  size_t errlen)
{
	static const char *const groups[] = {"hour", "day", "name", "severity", "source", "status"};
	const char *g = q->group_by ? q->group_by : "name";
	size_t i = 0;
	while (i < sizeof groups / sizeof groups[0] && strcmp(g, groups[i]) != 0)
		i++;
	if (i == sizeof groups / sizeof groups[0])
		return snprintf(err, errlen,
				"group_by must be hour, day, name, severity, source or status"),
		       -EINVAL;
	const char *p[] = {g, q->from, q->to, q->name, q->source, q->workload, q->cluster};
	json_t *rows;
	int rc = pgjson_query(
		c,
		"SELECT CASE $1 WHEN 'hour' THEN to_char(date_trunc('hour', starts_at AT TIME ZONE"
		"  'UTC'), 'YYYY-MM-DD\"T\"HH24:00:00\"Z\"')"
		" WHEN 'day' THEN to_char(date_trunc('day', starts_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
		" WHEN 'name' THEN name WHEN 'severity' THEN severity WHEN 'source' THEN source"
		" ELSE status END AS key, count(*) AS total,"
		" count(*) FILTER (WHERE status = 'firing') AS firing,"
		" count(*) FILTER (WHERE status = 'silenced') AS silenced,"
		" count(*) FILTER (WHERE status = 'resolved') AS resolved,"
		" count(*) FILTER (WHERE severity = 'critical') AS critical,"
		" count(*) FILTER (WHERE severity = 'high') AS high,"
		" count(*) FILTER (WHERE severity = 'warning') AS warning,"
		" count(*) FILTER (WHERE severity = 'info') AS info"
		" FROM alerts WHERE starts_at >= coalesce($2::timestamptz, now() - interval '1 day')"
		" AND starts_at <= coalesce($3::timestamptz, now())"
		" AND ($4::text IS NULL OR name = $4) AND ($5::text IS NULL OR source = $5)"
		" AND ($6::text IS NULL OR workload = $6 OR workload_uid = $6)"
		" AND ($7::text IS NULL OR cluster = $7) GROUP BY 1 ORDER BY 1",
		7, p, &rows, err, errlen);
	if (!rc)
		*out = json_pack("{s:s,s:o}", "group_by", g, "items", rows);
	return rc;
}
