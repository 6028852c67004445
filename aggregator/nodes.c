/* nodes: node storage and queries. Batches arrive as arrays bound to one
 * statement each; rows for one node are folded so a batch touches each
 * node row once, in name order (a stable lock order across writers). */
#include "nodes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "db.h"
#include "pgarray.h"
#include "pgjson.h"

static const char store_info_sql[] =
	"INSERT INTO nodes AS n (name, boot_id, hostname, kernel_release, kernel_version,"
	" os_image, architecture, cpu_model, cpu_count, memory_bytes, boot_time, agent_version,"
	" agent_start_time, info_sent_at, last_seen)"
	" SELECT DISTINCT ON (name) name, boot_id, hostname, krel, kver, os, arch, cpu, ncpu,"
	"  mem, to_timestamp(btime), ver, to_timestamp(start), " PGARRAY_NS_TO_TS("sent") ", now()"
	" FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],"
	"  $7::text[], $8::text[], $9::int[], $10::bigint[], $11::bigint[], $12::text[],"
	"  $13::bigint[], $14::bigint[])"
	"  AS u(name, boot_id, hostname, krel, kver, os, arch, cpu, ncpu, mem, btime, ver, start,"
	"  sent)"
	" ORDER BY name, sent DESC"
	" ON CONFLICT (name) DO UPDATE SET boot_id = EXCLUDED.boot_id,"
	"  hostname = EXCLUDED.hostname, kernel_release = EXCLUDED.kernel_release,"
	"  kernel_version = EXCLUDED.kernel_version, os_image = EXCLUDED.os_image,"
	"  architecture = EXCLUDED.architecture, cpu_model = EXCLUDED.cpu_model,"
	"  cpu_count = EXCLUDED.cpu_count, memory_bytes = EXCLUDED.memory_bytes,"
	"  boot_time = EXCLUDED.boot_time, agent_version = EXCLUDED.agent_version,"
	"  agent_start_time = EXCLUDED.agent_start_time, info_sent_at = EXCLUDED.info_sent_at,"
	"  last_seen = now()"
	" WHERE n.info_sent_at IS NULL OR EXCLUDED.info_sent_at >= n.info_sent_at";

void nodes_stmt_info(Envelope *const *envs, int n, struct pgarray_stmt *st)
{
	struct pgarray *a = st->a;
	pgarray_stmt_init(st, store_info_sql, 14);
	for (int i = 0; i < n; i++) {
		const Envelope *e = envs[i];
		const Lens__V1__NodeInfo *ni = e->node_info;
		pgarray_str(&a[0], e->node_name);
		pgarray_str(&a[1], e->boot_id);
		pgarray_str(&a[2], ni->hostname);
		pgarray_str(&a[3], ni->kernel_release);
		pgarray_str(&a[4], ni->kernel_version);
		pgarray_str(&a[5], ni->os_image);
		pgarray_str(&a[6], ni->architecture);
		pgarray_str(&a[7], ni->cpu_model);
		pgarray_i64(&a[8], ni->cpu_count);
		pgarray_u64(&a[9], ni->memory_bytes);
		pgarray_i64(&a[10], ni->boot_unix_s);
		pgarray_str(&a[11], ni->agent_version && *ni->agent_version ? ni->agent_version
									    : e->agent_version);
		pgarray_i64(&a[12], ni->agent_start_unix_s);
		pgarray_i64(&a[13], e->sent_unix_ns);
	}
}

/* Inserts the heartbeat rows, then folds them per node into nodes. */
static const char store_heartbeats_sql[] =
	"WITH hb AS ("
	"  SELECT * FROM unnest($1::text[], $2::uuid[], $3::bigint[], $4::bigint[],"
	"   $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[])"
	"   AS u(node, boot_id, seq, sent, uptime, records, bytes, dropped, ver)"
	"), ins AS ("
	"  INSERT INTO heartbeats (node, boot_id, seq, sent_at, agent_uptime_s, spool_records,"
	"   spool_bytes, dropped_total)"
	"  SELECT node, boot_id, seq, " PGARRAY_NS_TO_TS("sent") ", uptime, records, bytes, dropped"
	"  FROM hb ON CONFLICT DO NOTHING"
	")"
	" INSERT INTO nodes AS n (name, boot_id, agent_version, last_seen, last_heartbeat)"
	" SELECT DISTINCT ON (node) node, boot_id, ver, now(), " PGARRAY_NS_TO_TS("sent")
	" FROM hb ORDER BY node, sent DESC"
	" ON CONFLICT (name) DO UPDATE SET last_seen = now(),"
	"  boot_id = CASE WHEN n.last_heartbeat IS NULL OR"
	"   EXCLUDED.last_heartbeat >= n.last_heartbeat THEN EXCLUDED.boot_id ELSE n.boot_id END,"
	"  agent_version = CASE WHEN n.last_heartbeat IS NULL OR"
	"   EXCLUDED.last_heartbeat >= n.last_heartbeat THEN EXCLUDED.agent_version"
	"   ELSE n.agent_version END,"
	"  last_heartbeat = GREATEST(n.last_heartbeat, EXCLUDED.last_heartbeat)";

void nodes_stmt_heartbeats(Envelope *const *envs, int n, struct pgarray_stmt *st)
{
	struct pgarray *a = st->a;
	pgarray_stmt_init(st, store_heartbeats_sql, 9);
	for (int i = 0; i < n; i++) {
		const Envelope *e = envs[i];
		const Lens__V1__Heartbeat *hb = e->heartbeat;
		pgarray_str(&a[0], e->node_name);
		pgarray_str(&a[1], e->boot_id);
		pgarray_u64(&a[2], e->seq);
		pgarray_i64(&a[3], e->sent_unix_ns);
		pgarray_i64(&a[4], hb->agent_uptime_s);
		pgarray_u64(&a[5], hb->spool_records);
		pgarray_u64(&a[6], hb->spool_bytes);
		pgarray_u64(&a[7], hb->dropped_total);
		pgarray_str(&a[8], e->agent_version);
	}
}

/* Queries -------------------------------------------------------------------- */

#define NODE_COLUMNS                                                                     \
	"name, CASE WHEN now() - last_seen < $1::bigint * interval '1 microsecond'"          \
	" THEN 'online' ELSE 'offline' END AS status, boot_id, hostname, kernel_release,"   \
	" kernel_version, os_image, architecture, cpu_model, cpu_count, memory_bytes,"      \
	" boot_time, agent_version, agent_start_time, first_seen, last_seen, last_heartbeat," \
	" extract(epoch from now() - last_seen)::float8 AS seen_seconds_ago"

int nodes_list(PGconn *c, int64_t offline_after_ns, long long offset, long long limit,
	       json_t **out, char *err, size_t errlen)
{
	char us[32], off[32], lim[32];
	snprintf(us, sizeof us, "%lld", (long long)(offline_after_ns / 1000));
	snprintf(off, sizeof off, "%lld", offset);
	snprintf(lim, sizeof lim, "%lld", limit);
	const char *p[] = {us, off, lim};
	PGresult *rows = db_exec(c,
				 "SELECT " NODE_COLUMNS " FROM nodes ORDER BY name"
				 " OFFSET $2::bigint LIMIT $3::bigint",
				 3, p, err, errlen, NULL);
	if (!rows)
		return -EIO;
	PGresult *count = db_exec(c, "SELECT count(*) FROM nodes", 0, NULL, err, errlen, NULL);
	if (!count) {
		PQclear(rows);
		return -EIO;
	}
	*out = json_pack("{s:o,s:I,s:I,s:I}", "items", pgjson_rows(rows), "total",
			 (json_int_t)strtoll(PQgetvalue(count, 0, 0), NULL, 10), "offset",
			 (json_int_t)offset, "limit", (json_int_t)limit);
	PQclear(rows);
	PQclear(count);
	return 0;
}

int nodes_get(PGconn *c, int64_t offline_after_ns, const char *name, json_t **out, char *err,
	      size_t errlen)
{
	char us[32];
	snprintf(us, sizeof us, "%lld", (long long)(offline_after_ns / 1000));
	const char *p[] = {us, name};
	PGresult *r = db_exec(c, "SELECT " NODE_COLUMNS " FROM nodes WHERE name = $2", 2, p, err,
			      errlen, NULL);
	if (!r)
		return -EIO;
	*out = PQntuples(r) ? pgjson_row(r, 0) : NULL;
	PQclear(r);
	return 0;
}
