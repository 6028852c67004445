/* devices: inventory storage and device queries. */
#include "devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "pgjson.h"
#include "podcache.h"

/* Upserts the devices of each inventory and marks the node's other
 * devices gone. Only the newest inventory of a node in a batch counts
 * ($5/$6: node and its send time per inventory). */
static const char inventory_sql[] =
	"WITH latest AS ("
	"  SELECT DISTINCT ON (node) node, sent FROM unnest($5::text[], $6::bigint[])"
	"   AS n(node, sent) ORDER BY node, sent DESC"
	"), inv AS ("
	"  SELECT u.node, u.kind, u.id, u.attributes FROM unnest($1::text[], $2::text[],"
	"   $3::text[], $4::jsonb[], $7::bigint[]) AS u(node, kind, id, attributes, sent)"
	"  JOIN latest l ON l.node = u.node AND l.sent = u.sent"
	"), up AS ("
	"  INSERT INTO devices AS d (node, kind, id, attributes)"
	"  SELECT node, kind, id, attributes FROM inv ORDER BY node, kind, id"
	"  ON CONFLICT (node, kind, id) DO UPDATE SET attributes = EXCLUDED.attributes,"
	"   present = true, last_seen = now()"
	")"
	" UPDATE devices d SET present = false"
	" WHERE d.node IN (SELECT node FROM latest) AND d.present"
	"  AND NOT EXISTS (SELECT 1 FROM inv WHERE inv.node = d.node AND inv.kind = d.kind"
	"   AND inv.id = d.id)";

static json_t *gpu_attributes(const Lens__V1__GpuInfo *g)
{
	char vendor[8], device[8];
	snprintf(vendor, sizeof vendor, "0x%04x", g->vendor_id);
	snprintf(device, sizeof device, "0x%04x", g->device_id);
	return json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:b}", "index", g->index,
			 "bdf", g->bdf, "unique_id", g->unique_id, "serial", g->serial, "product",
			 g->product, "vbios", g->vbios, "driver_version", g->driver_version,
			 "vendor_id", vendor, "device_id", device, "render_minor", g->render_minor,
			 "vram_total_bytes", (json_int_t)g->vram_total_bytes, "has_hwmon",
			 g->has_hwmon);
}

static json_t *hca_attributes(const Lens__V1__IbHcaInfo *h)
{
	json_t *ports = json_array();
	for (size_t i = 0; i < h->n_ports; i++)
		json_array_append_new(ports, json_pack("{s:i,s:s,s:s,s:f}", "port",
						       (int)h->ports[i]->port, "link_layer",
						       h->ports[i]->link_layer, "netdev",
						       h->ports[i]->netdev, "rate_gbps",
						       h->ports[i]->rate_gbps));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "name", h->name, "bdf", h->bdf,
			 "node_guid", h->node_guid, "fw_ver", h->fw_ver, "hca_type", h->hca_type,
			 "board_id", h->board_id, "ports", ports);
}

static void add_row(struct pgarray *a, const Envelope *e, const char *kind, const char *id,
		    json_t *attributes)
{
	char *text = json_dumps(attributes, JSON_COMPACT | JSON_SORT_KEYS);
	pgarray_str(&a[0], e->node_name);
	pgarray_str(&a[1], kind);
	pgarray_str(&a[2], id);
	pgarray_str(&a[3], text);
	pgarray_i64(&a[6], e->sent_unix_ns);
	free(text);
	json_decref(attributes);
}

void devices_stmt_inventory(Envelope *const *envs, int n, struct pgarray_stmt *st)
{
	struct pgarray *a = st->a;
	pgarray_stmt_init(st, inventory_sql, 7);
	for (int i = 0; i < n; i++) {
		const Envelope *e = envs[i];
		const Lens__V1__DeviceInventory *inv = e->device_inventory;
		pgarray_str(&a[4], e->node_name);
		pgarray_i64(&a[5], e->sent_unix_ns);
		for (size_t k = 0; k < inv->n_gpus; k++)
			add_row(a, e, "gpu", inv->gpus[k]->bdf, gpu_attributes(inv->gpus[k]));
		for (size_t k = 0; k < inv->n_hcas; k++)
			add_row(a, e, "ib", inv->hcas[k]->name, hca_attributes(inv->hcas[k]));
	}
}

static const char events_sql[] =
	"INSERT INTO device_events (node, bdf, event, message, occurred_at)"
	" SELECT node, bdf, event, message, " PGARRAY_NS_TO_TS("t")
	" FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])"
	"  AS u(node, bdf, event, message, t)";

void devices_stmt_events(Envelope *const *envs, int n, struct pgarray_stmt *st)
{
	struct pgarray *a = st->a;
	pgarray_stmt_init(st, events_sql, 5);
	for (int i = 0; i < n; i++) {
		const Lens__V1__DeviceSamples *ds = envs[i]->device_samples;
		for (size_t k = 0; k < ds->n_events; k++) {
			pgarray_str(&a[0], envs[i]->node_name);
			pgarray_str(&a[1], ds->events[k]->bdf);
			pgarray_str(&a[2], ds->events[k]->event);
			pgarray_str(&a[3], ds->events[k]->message);
			pgarray_i64(&a[4], ds->events[k]->unix_ns);
		}
	}
}

/* Queries ----------------------------------------------------------------------- */

/* Adds the latest sample: a GPU's under "sample", each HCA port's under
 * its port entry. */
static void attach_samples(struct devcache *cache, json_t *item, const char *kind)
{
	const char *node = json_string_value(json_object_get(item, "node"));
	const char *id = json_string_value(json_object_get(item, "id"));
	if (!node || !id)
		return;
	if (strcmp(kind, "gpu") == 0) {
		json_t *s = devcache_get(cache, node, "gpu", id);
		json_object_set_new(item, "sample", s ? s : json_null());
		return;
	}
	json_t *ports = json_object_get(json_object_get(item, "attributes"), "ports");
	size_t i;
	json_t *p;
	json_array_foreach(ports, i, p) {
		char key[96];
		snprintf(key, sizeof key, "%s/%lld", id,
			 (long long)json_integer_value(json_object_get(p, "port")));
		json_t *s = devcache_get(cache, node, "ib", key);
		json_object_set_new(p, "sample", s ? s : json_null());
	}
}

/* The pods holding the device now, and why none when none does. */
static void attach_pods(struct podcache *pods, json_t *item, const char *kind)
{
	json_t *holders = podcache_device(pods, json_string_value(json_object_get(item, "node")),
					  kind, json_string_value(json_object_get(item, "id")));
	json_object_set(item, "pods", holders ? json_object_get(holders, "pods") : json_array());
	json_object_set(item, "unmapped_reason",
			holders ? json_object_get(holders, "unmapped_reason") : NULL);
	if (!json_object_get(item, "unmapped_reason"))
		json_object_set_new(item, "unmapped_reason", json_null());
	json_decref(holders);
}

static void attach_each(json_t *item, void *arg)
{
	const struct devices_query *q = arg;
	attach_samples(q->samples, item, q->kind);
	if (q->pods)
		attach_pods(q->pods, item, q->kind);
}

/* A workload (UID or name) whose pods hold the device now. */
#define DEVICES_WHERE                                                                     \
	" WHERE kind = $1 AND ($2::text IS NULL OR node = $2) AND ($3::text IS NULL OR"     \
	" EXISTS (SELECT 1 FROM device_assignments d JOIN pod_workloads pw"                  \
	"  ON pw.pod_uid = d.pod_uid JOIN workloads w ON w.uid = pw.workload_uid"            \
	"  WHERE d.node = devices.node AND d.device_kind = devices.kind"                     \
	"  AND d.device_id = devices.id AND d.until IS NULL AND (w.uid = $3 OR w.name = $3)))"

int devices_list(PGconn *c, const struct devices_query *q, json_t **out, char *err,
		 size_t errlen)
{
	const char *p[] = {q->kind, q->node, q->workload};
	return pgjson_page(c,
			   "SELECT node, id, attributes, present, first_seen, last_seen FROM devices"
			   DEVICES_WHERE
			   " ORDER BY node, (attributes->>'index')::int NULLS LAST, id"
			   " OFFSET $4::bigint LIMIT $5::bigint",
			   "SELECT count(*) FROM devices" DEVICES_WHERE, 3, p, q->offset, q->limit,
			   attach_each, (void *)q, out, err, errlen);
}
