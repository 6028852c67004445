/* profiler: profiler files in, lists, reports and content out. */
#include "profiler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "pgjson.h"

/* Names the agent did not know (its pod map was behind) come from the pod
 * tables by pod UID. The report's headline rows become columns. */
static const char files_sql[] =
	"WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
	"  $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[],"
	"  $12::bigint[], $13::bigint[], $14::bigint[], $15::text[], $16::text[], $17::float8[],"
	"  $18::text[], $19::bigint[], $20::text[])"
	"  AS u(node, fk, path, ns, pod, puid, ctr, ctr_id, wl, wl_uid, pid, size, mt, ft, status,"
	"  error, secs, content, maxc, report)),"
	" f AS (INSERT INTO profiler_files (node, file_key, path, namespace, pod, pod_uid,"
	"  container, container_id, workload, workload_uid, pid, size_bytes, modified_at,"
	"  found_at, status, error, analysis_seconds, content, max_content_bytes)"
	"  SELECT u.node, fk, path, coalesce(nullif(ns, ''), p.namespace, ''),"
	"  coalesce(nullif(pod, ''), p.name, ''), puid, ctr, ctr_id,"
	"  coalesce(nullif(wl, ''), w.name, ''), coalesce(nullif(wl_uid, ''), w.uid, ''), pid, size,"
	"  " PGARRAY_NS_TO_TS("mt") ", " PGARRAY_NS_TO_TS("ft") ", status, error, secs, content,"
	"  maxc FROM u LEFT JOIN pods p ON p.uid = u.puid AND u.puid <> ''"
	"  LEFT JOIN LATERAL (SELECT w.uid, w.name FROM pod_workloads pw JOIN workloads w"
	"   ON w.uid = pw.workload_uid WHERE pw.pod_uid = u.puid ORDER BY w.uid LIMIT 1) w ON true"
	"  ON CONFLICT (node, file_key) DO NOTHING RETURNING id, node, file_key)"
	" INSERT INTO profiler_results (file_id, partial, linking, gpu_events, unlinked_events,"
	"  total_ms, busy_ms, idle_ms, computation_ms, exposed_comm_ms, exposed_memcpy_ms, report)"
	" SELECT f.id, coalesce((r->>'partial')::boolean, false), r#>>'{linking,method}',"
	"  (r#>>'{linking,gpu_events}')::bigint, (r#>>'{linking,unlinked}')::bigint,"
	"  lens_timeline_ms(r, 'total_time'), lens_timeline_ms(r, 'busy_time'),"
	"  lens_timeline_ms(r, 'idle_time'), lens_timeline_ms(r, 'computation_time'),"
	"  lens_timeline_ms(r, 'exposed_comm_time'), lens_timeline_ms(r, 'exposed_memcpy_time'), r"
	" FROM f JOIN (SELECT DISTINCT ON (node, fk) node, fk, report::jsonb AS r FROM u"
	"  WHERE report <> '') ur ON ur.node = f.node AND ur.fk = f.file_key";

void profiler_stmt_files(Envelope *const *envs, int n, struct pgarray_stmt *st)
{
	struct pgarray *a = st->a;
	pgarray_stmt_init(st, files_sql, 20);
	for (int i = 0; i < n; i++) {
		const Lens__V1__ProfilerFile *f = envs[i]->profiler_file;
		char secs[32];
		snprintf(secs, sizeof secs, "%.6f", f->analysis_seconds);
		pgarray_str(&a[0], envs[i]->node_name);
		pgarray_str(&a[1], f->file_key);
		pgarray_str(&a[2], f->path);
		pgarray_str(&a[3], f->namespace_);
		pgarray_str(&a[4], f->pod);
		pgarray_str(&a[5], f->pod_uid);
		pgarray_str(&a[6], f->container);
		pgarray_str(&a[7], f->container_id);
		pgarray_str(&a[8], f->workload);
		pgarray_str(&a[9], f->workload_uid);
		pgarray_i64(&a[10], f->pid);
		pgarray_u64(&a[11], f->size_bytes);
		pgarray_i64(&a[12], f->modified_unix_ns);
		pgarray_i64(&a[13], f->found_unix_ns);
		pgarray_str(&a[14], f->status);
		pgarray_str(&a[15], f->error);
		pgarray_str(&a[16], secs);
		pgarray_str(&a[17], f->content);
		pgarray_u64(&a[18], f->max_content_bytes);
		pgarray_str(&a[19], f->analysis_json);
	}
}

static const char chunks_sql[] =
	"INSERT INTO profiler_chunks (node, file_key, idx, last, data)"
	" SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bool[], $5::bytea[])"
	" ON CONFLICT DO NOTHING";

/* bytea's hex input form: "\x" and two digits a byte. */
static void hex_bytea(struct buf *b, const ProtobufCBinaryData *d)
{
	static const char digits[] = "0123456789abcdef";
	buf_reset(b);
	buf_reserve(b, 2 * d->len + 3);
	b->p[b->len++] = '\\';
	b->p[b->len++] = 'x';
	for (size_t i = 0; i < d->len; i++) {
		b->p[b->len++] = digits[d->data[i] >> 4];
		b->p[b->len++] = digits[d->data[i] & 15];
	}
	b->p[b->len] = '\0';
}

void profiler_stmt_chunks(Envelope *const *envs, int n, struct pgarray_stmt *st)
{
	struct pgarray *a = st->a;
	struct buf hex = BUF_INIT;
	pgarray_stmt_init(st, chunks_sql, 5);
	for (int i = 0; i < n; i++) {
		const Lens__V1__ProfilerChunk *c = envs[i]->profiler_chunk;
		pgarray_str(&a[0], envs[i]->node_name);
		pgarray_str(&a[1], c->file_key);
		pgarray_u64(&a[2], c->index);
		pgarray_str(&a[3], c->last ? "t" : "f");
		hex_bytea(&hex, &c->data);
		pgarray_str(&a[4], hex.p);
	}
	buf_free(&hex);
}

/* Queries ------------------------------------------------------------------- */

/* A file's row as the API shows it: the content's state from its chunks
 * (complete, receiving, or why it was never sent). */
#define FILE_COLUMNS                                                                       \
	" f.id, f.node, f.namespace, f.pod, f.pod_uid, f.container, f.workload,"             \
	" f.workload_uid, f.path, f.size_bytes, f.modified_at, f.found_at, f.received_at,"    \
	" f.status, f.error, f.analysis_seconds,"                                             \
	" CASE WHEN f.content <> 'sending' THEN f.content"                                    \
	"  WHEN ch.last_idx IS NOT NULL AND ch.n = ch.last_idx + 1 THEN 'complete'"           \
	"  ELSE 'receiving' END AS content,"                                                  \
	" ch.n AS content_chunks, coalesce(ch.bytes, 0) AS content_bytes,"                    \
	" r.partial, r.linking, r.gpu_events, r.unlinked_events, r.total_ms, r.busy_ms,"      \
	" r.idle_ms, r.computation_ms, r.exposed_comm_ms, r.exposed_memcpy_ms"
#define FILE_JOINS                                                                         \
	" FROM profiler_files f LEFT JOIN profiler_results r ON r.file_id = f.id"             \
	" LEFT JOIN LATERAL (SELECT count(*) AS n, max(idx) FILTER (WHERE last) AS last_idx,"  \
	"  sum(octet_length(data)) AS bytes FROM profiler_chunks c"                            \
	"  WHERE c.node = f.node AND c.file_key = f.file_key) ch ON true"
#define FILES_WHERE                                                                        \
	" WHERE ($1::text IS NULL OR f.node = $1)"                                            \
	" AND ($2::text IS NULL OR f.namespace = $2)"                                         \
	" AND ($3::text IS NULL OR f.pod = $3 OR f.pod_uid = $3)"                             \
	" AND ($4::text IS NULL OR f.workload = $4 OR f.workload_uid = $4)"                   \
	" AND ($5::text IS NULL OR f.status = ANY(string_to_array($5, ',')))"                 \
	" AND ($6::timestamptz IS NULL OR f.found_at >= $6)"                                  \
	" AND ($7::timestamptz IS NULL OR f.found_at <= $7)"

int profiler_list(PGconn *c, const struct profiler_filter *f, json_t **out, char *err,
		  size_t errlen)
{
	const char *p[] = {f->node, f->namespace_, f->pod, f->workload, f->status, f->since, f->until};
	return pgjson_page(c,
			   "SELECT" FILE_COLUMNS FILE_JOINS FILES_WHERE
			   " ORDER BY f.found_at DESC, f.id DESC OFFSET $8::bigint LIMIT $9::bigint",
			   "SELECT count(*) FROM profiler_files f" FILES_WHERE, 7, p, f->offset,
			   f->limit, NULL, NULL, out, err, errlen);
}

int profiler_get(PGconn *c, const char *id, json_t **out, char *err, size_t errlen)
{
	if (!db_valid_id(id))
		return -ENOENT;
	const char *p[] = {id};
	return pgjson_one(c,
			  "SELECT" FILE_COLUMNS ", f.file_key, f.container_id, f.pid,"
			  " f.max_content_bytes, r.report AS analysis" FILE_JOINS
			  " WHERE f.id = $1::bigint",
			  1, p, out, err, errlen);
}

/* Where a file's content stands: chunks here, the last one's index. */
static int content_state(PGconn *c, const char *id, char *node, char *key, size_t keylen,
			 long long *n, long long *last, char *err, size_t errlen)
{
	const char *p[] = {id};
	PGresult *r = db_exec(c,
			      "SELECT f.node, f.file_key, f.content, count(ch.idx),"
			      " coalesce(max(ch.idx) FILTER (WHERE ch.last), -1)"
			      " FROM profiler_files f LEFT JOIN profiler_chunks ch"
			      " ON ch.node = f.node AND ch.file_key = f.file_key"
			      " WHERE f.id = $1::bigint GROUP BY f.id",
			      1, p, err, errlen, NULL);
	if (!r)
		return -EIO;
	int rc = PQntuples(r) ? 0 : -ENOENT;
	if (!rc && strcmp(PQgetvalue(r, 0, 2), "sending") != 0) {
		snprintf(err, errlen, "the content was not sent: %s", PQgetvalue(r, 0, 2));
		rc = -ENODATA;
	} else if (!rc) {
		snprintf(node, 254, "%s", PQgetvalue(r, 0, 0));
		snprintf(key, keylen, "%s", PQgetvalue(r, 0, 1));
		*n = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
		*last = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
		if (*last < 0 || *n != *last + 1) {
			snprintf(err, errlen, "the content is still arriving: %lld chunks here%s", *n,
				 *last < 0 ? ", the last one not yet" : "");
			rc = -EAGAIN;
		}
	}
	PQclear(r);
	return rc;
}

/* One chunk at a time: memory stays at the content plus one chunk. */
int profiler_content(PGconn *c, const char *id, struct buf *out, char *err, size_t errlen)
{
	char node[254], key[200];
	long long n, last;
	if (!db_valid_id(id))
		return -ENOENT;
	int rc = content_state(c, id, node, key, sizeof key, &n, &last, err, errlen);
	for (long long i = 0; !rc && i <= last; i++) {
		char idx[24];
		snprintf(idx, sizeof idx, "%lld", i);
		const char *p[] = {node, key, idx};
		PGresult *r = db_exec(c,
				      "SELECT data FROM profiler_chunks WHERE node = $1 AND"
				      " file_key = $2 AND idx = $3::int",
				      3, p, err, errlen, NULL);
		if (!r)
			return -EIO;
		size_t len = 0;
		unsigned char *data =
			PQntuples(r) ? PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &len)
				     : NULL;
		if (data) {
			buf_append(out, data, len);
		} else {
			snprintf(err, errlen, "chunk %lld is missing", i);
			rc = -EAGAIN;
		}
		PQfreemem(data);
		PQclear(r);
	}
	return rc;
}
