/* pods: one SQL function applies a batch of maps; the views are queries. */
#include "pods.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "jsonx.h"
#include "pgjson.h"
#include "podmsg.h"

void pods_stmt_maps(Envelope *const *envs, int n, struct pgarray_stmt *st)
{
	struct pgarray *a = st->a;
	pgarray_stmt_init(st, "SELECT lens_apply_pod_maps($1::text[], $2::bigint[], $3::jsonb[])",
			  3);
	for (int i = 0; i < n; i++) {
		json_t *doc = podmsg_to_json(envs[i]->pod_device_map);
		char *text = json_dumps(doc, JSON_COMPACT);
		pgarray_str(&a[0], envs[i]->node_name);
		pgarray_i64(&a[1], envs[i]->pod_device_map->observed_unix_ns);
		pgarray_str(&a[2], text);
		free(text);
		json_decref(doc);
	}
}

/* Queries ----------------------------------------------------------------------- */

/* A pod's workloads and current devices, as JSON built by PostgreSQL. */
#define POD_WORKLOADS(pod_uid)                                                            \
	"coalesce((SELECT jsonb_agg(jsonb_build_object('uid', w.uid, 'kind', w.kind,"       \
	" 'name', w.name) ORDER BY w.kind, w.name) FROM pod_workloads pw"                    \
	" JOIN workloads w ON w.uid = pw.workload_uid WHERE pw.pod_uid = " pod_uid "), '[]')"
#define POD_DEVICES(pod_uid)                                                              \
	"coalesce((SELECT jsonb_agg(jsonb_build_object('kind', d.device_kind, 'id',"        \
	" d.device_id, 'container', d.container, 'allocated', d.allocated, 'held', d.held,"  \
	" 'used', d.used, 'vram_bytes', d.vram_bytes, 'since', d.since)"                     \
	" ORDER BY d.device_kind, d.device_id) FROM device_assignments d"                   \
	" WHERE d.pod_uid = " pod_uid " AND d.until IS NULL), '[]')"

#define PODS_WHERE                                                                        \
	" WHERE ($1::text IS NULL OR p.node = $1) AND ($2::text IS NULL OR p.namespace = $2)" \
	" AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM pod_workloads pw JOIN workloads w"  \
	"  ON w.uid = pw.workload_uid WHERE pw.pod_uid = p.uid AND (w.uid = $3 OR"          \
	"  w.name = $3))) AND ($4::boolean OR p.gone_at IS NULL)"

int pods_list(PGconn *c, const struct pods_filter *f, json_t **out, char *err, size_t errlen)
{
	const char *p[] = {f->node, f->namespace_, f->workload, f->all ? "true" : "false"};
	return pgjson_page(c,
			   "SELECT p.uid, p.name, p.namespace, p.node, p.phase, p.labels, p.owners,"
			   " p.source, p.first_seen, p.last_seen, p.gone_at,"
			   " " POD_WORKLOADS("p.uid") " AS workloads,"
			   " " POD_DEVICES("p.uid") " AS devices"
			   " FROM pods p" PODS_WHERE
			   " ORDER BY p.namespace, p.name, p.uid OFFSET $5::bigint LIMIT $6::bigint",
			   "SELECT count(*) FROM pods p" PODS_WHERE, 4, p, f->offset, f->limit, NULL,
			   NULL, out, err, errlen);
}

/* Devices a workload's pods hold now, counted per kind. */
#define WORKLOAD_DEVICES(kind)                                                            \
	"(SELECT count(DISTINCT (d.node, d.device_id)) FROM device_assignments d"           \
	" JOIN pod_workloads x ON x.pod_uid = d.pod_uid WHERE x.workload_uid = w.uid"        \
	" AND d.until IS NULL AND d.device_kind = '" kind "')"

#define WORKLOADS_FROM                                                                    \
	" FROM workloads w JOIN pod_workloads pw ON pw.workload_uid = w.uid"                 \
	" JOIN pods p ON p.uid = pw.pod_uid"                                                 \
	" WHERE ($1::text IS NULL OR w.namespace = $1) AND ($2::text IS NULL OR p.node = $2)" \
	" AND ($3::boolean OR p.gone_at IS NULL)"

int pods_workloads(PGconn *c, const struct pods_filter *f, json_t **out, char *err,
		   size_t errlen)
{
	const char *p[] = {f->namespace_, f->node, f->all ? "true" : "false"};
	return pgjson_page(c,
			   "SELECT w.uid, w.kind, w.name, w.namespace, w.api_version, w.first_seen,"
			   " w.last_seen, count(DISTINCT p.uid) AS pods,"
			   " count(DISTINCT p.uid) FILTER (WHERE p.gone_at IS NULL) AS pods_running,"
			   " to_jsonb(array_agg(DISTINCT p.node)) AS nodes,"
			   " " WORKLOAD_DEVICES("gpu") " AS gpus, " WORKLOAD_DEVICES("ib") " AS hcas"
			   WORKLOADS_FROM
			   " GROUP BY w.uid ORDER BY w.namespace, w.name, w.kind"
			   " OFFSET $4::bigint LIMIT $5::bigint",
			   "SELECT count(DISTINCT w.uid)" WORKLOADS_FROM, 3, p, f->offset, f->limit,
			   NULL, NULL, out, err, errlen);
}

/* A UID wins over a name; among names, a real owner over a name-derived
 * or label-named one, then the most recently seen. */
static int find_workload(PGconn *c, const char *key, json_t **w, char *err, size_t errlen)
{
	const char *p[] = {key};
	PGresult *r = db_exec(c,
			      "SELECT uid, kind, name, namespace, api_version, first_seen, last_seen"
			      " FROM workloads WHERE uid = $1 OR name = $1"
			      " ORDER BY uid = $1 DESC, uid LIKE 'name:%' ASC, last_seen DESC"
			      " LIMIT 1",
			      1, p, err, errlen, NULL);
	if (!r)
		return -EIO;
	int rc = PQntuples(r) ? 0 : -ENOENT;
	if (!rc)
		*w = pgjson_row(r, 0);
	PQclear(r);
	return rc;
}

/* Every device interval of the workload's pods, current and past. */
static int workload_devices(PGconn *c, const char *uid, json_t **out, char *err, size_t errlen)
{
	const char *p[] = {uid};
	return pgjson_query(
		c,
		"SELECT d.node, d.device_kind AS kind, d.device_id AS id,"
		" (dv.attributes->>'index')::int AS gpu_index, d.pod_uid, po.name AS pod,"
		" d.container, d.allocated, d.held, d.used, d.vram_bytes, d.since, d.until"
		" FROM device_assignments d JOIN pod_workloads pw ON pw.pod_uid = d.pod_uid"
		" JOIN pods po ON po.uid = d.pod_uid LEFT JOIN devices dv ON dv.node = d.node"
		"  AND dv.kind = d.device_kind AND dv.id = d.device_id"
		" WHERE pw.workload_uid = $1 ORDER BY d.until IS NOT NULL, d.node, d.device_kind,"
		" d.device_id, d.since",
		1, p, out, err, errlen);
}

/* Splits intervals into "gpus" and "hcas" and collects the nodes and the
 * time range the workload's pods were seen in. */
static void summarize(json_t *w, json_t *pods, json_t *devices)
{
	json_t *gpus = json_array(), *hcas = json_array(), *nodes = json_array(), *d, *p;
	const char *from = NULL, *to = NULL;
	size_t i;
	json_array_foreach(devices, i, d)
		json_array_append(strcmp(jsonx_str(d, "kind"), "gpu") == 0 ? gpus : hcas, d);
	json_array_foreach(json_object_get(pods, "items"), i, p) {
		bool seen = false;
		for (size_t k = 0; k < json_array_size(nodes); k++)
			seen |= strcmp(json_string_value(json_array_get(nodes, k)), jsonx_str(p, "node")) == 0;
		if (!seen)
			json_array_append_new(nodes, json_string(jsonx_str(p, "node")));
		if (!from || strcmp(jsonx_str(p, "first_seen"), from) < 0)
			from = jsonx_str(p, "first_seen");
		const char *end = json_is_null(json_object_get(p, "gone_at")) ? jsonx_str(p, "last_seen")
									    : jsonx_str(p, "gone_at");
		if (!to || strcmp(end, to) > 0)
			to = end;
	}
	json_object_set_new(w, "nodes", nodes);
	json_object_set_new(w, "gpus", gpus);
	json_object_set_new(w, "hcas", hcas);
	json_object_set_new(w, "from", from ? json_string(from) : json_null());
	json_object_set_new(w, "to", to ? json_string(to) : json_null());
	json_object_set(w, "pods", json_object_get(pods, "items"));
}

int pods_workload_get(PGconn *c, const char *uid_or_name, json_t **out, char *err,
		      size_t errlen)
{
	json_t *w = NULL, *pods = NULL, *devices = NULL;
	int rc = find_workload(c, uid_or_name, &w, err, errlen);
	struct pods_filter f = {.workload = jsonx_str(w, "uid"), .all = true, .limit = 10000};
	if (!rc)
		rc = pods_list(c, &f, &pods, err, errlen);
	if (!rc)
		rc = workload_devices(c, jsonx_str(w, "uid"), &devices, err, errlen);
	if (!rc) {
		summarize(w, pods, devices);
		*out = json_incref(w);
	}
	json_decref(w);
	json_decref(pods);
	json_decref(devices);
	return rc;
}

int pods_device_history(PGconn *c, const char *node, const char *device, const char *from,
			const char *to, json_t **out, char *err, size_t errlen)
{
	const char *p[] = {node, device, from, to};
	PGresult *r = db_exec(
		c,
		"SELECT d.device_kind AS kind, d.device_id AS id, d.pod_uid, po.name AS pod,"
		" po.namespace, d.container, d.container_id, d.allocated, d.held, d.used,"
		" d.vram_bytes, d.source, d.since, d.until,"
		" " POD_WORKLOADS("d.pod_uid") " AS workloads"
		" FROM device_assignments d LEFT JOIN pods po ON po.uid = d.pod_uid"
		" WHERE d.node = $1 AND d.device_id = lower($2)"
		" AND ($3::timestamptz IS NULL OR d.until IS NULL OR d.until >= $3)"
		" AND ($4::timestamptz IS NULL OR d.since <= $4)"
		" ORDER BY d.since, d.pod_uid, d.container",
		4, p, err, errlen, NULL);
	if (!r)
		return -EIO;
	*out = json_pack("{s:s,s:s,s:o}", "node", node, "device", device, "items", pgjson_rows(r));
	PQclear(r);
	return 0;
}
