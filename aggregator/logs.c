/* logs: unnested arrays in, filtered pages out. */
#include "logs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "logmsg.h"
#include "pgarray.h"
#include "pgjson.h"
#include "utf8.h"

static const char insert_sql[] =
	"INSERT INTO log_lines (node, namespace, pod, pod_uid, container, stream, logged_at, line,"
	" source) SELECT node, ns, pod, uid, ctr, stream, " PGARRAY_NS_TO_TS("t") ", line, $9"
	" FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
	"  $7::bigint[], $8::text[]) AS u(node, ns, pod, uid, ctr, stream, t, line)";

static const char batch_sql[] =
	"INSERT INTO log_lines (node, namespace, pod, pod_uid, container, stream, logged_at, line,"
	" source, file_key, file_offset)"
	" SELECT node, ns, pod, uid, ctr, stream, " PGARRAY_NS_TO_TS("t") ", line, 'agent', fk, fo"
	" FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
	"  $7::bigint[], $8::text[], $9::text[], $10::bigint[])"
	"  AS u(node, ns, pod, uid, ctr, stream, t, line, fk, fo)"
	" ON CONFLICT DO NOTHING";

static void batch_rows(const Envelope *e, const Lens__V1__LogLines *lines, struct pgarray *a,
		       struct buf *text)
{
	const Lens__V1__LogBatch *b = e->log_batch;
	char key[48];
	snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)b->file_dev,
		 (unsigned long long)b->file_ino);
	for (size_t i = 0; i < lines->n_lines; i++) {
		const Lens__V1__LogLine *l = lines->lines[i];
		pgarray_str(&a[0], e->node_name);
		pgarray_str(&a[1], b->namespace_);
		pgarray_str(&a[2], b->pod);
		pgarray_str(&a[3], b->pod_uid);
		pgarray_str(&a[4], b->container);
		pgarray_str(&a[5], l->stream == 1 ? "stderr" : "stdout");
		pgarray_i64(&a[6], l->unix_ns);
		buf_reset(text);
		utf8_sanitize(l->text.data, l->text.len, text);
		pgarray_str(&a[7], text->p);
		pgarray_str(&a[8], key);
		pgarray_u64(&a[9], l->offset);
	}
}

void logs_stmt_batches(Envelope *const *envs, int n, struct pgarray_stmt *st)
{
	struct buf text = BUF_INIT;
	pgarray_stmt_init(st, batch_sql, 10);
	for (int i = 0; i < n; i++) {
		char err[160];
		Lens__V1__LogLines *lines = logmsg_lines(envs[i]->log_batch, err, sizeof err);
		if (!lines)
			continue; /* refused on receipt already; never here */
		batch_rows(envs[i], lines, st->a, &text);
		lens__v1__log_lines__free_unpacked(lines, NULL);
	}
	buf_free(&text);
}

void logs_analyse(struct analysis *a, Envelope *const *envs, int n)
{
	for (int i = 0; a && i < n; i++) {
		char err[160];
		const Lens__V1__LogBatch *b = envs[i]->log_batch;
		Lens__V1__LogLines *lines = logmsg_lines(b, err, sizeof err);
		if (!lines)
			continue;
		struct log_record *recs = xcalloc(lines->n_lines ? lines->n_lines : 1, sizeof *recs);
		for (size_t k = 0; k < lines->n_lines; k++)
			recs[k] = (struct log_record){envs[i]->node_name, b->namespace_, b->pod,
						      b->pod_uid, b->container,
						      lines->lines[k]->stream == 1 ? "stderr" : "stdout",
						      lines->lines[k]->unix_ns,
						      (const char *)lines->lines[k]->text.data,
						      lines->lines[k]->text.len};
		analysis_lines(a, recs, lines->n_lines);
		free(recs);
		lens__v1__log_lines__free_unpacked(lines, NULL);
	}
}

int logs_insert(PGconn *c, const struct log_record *recs, size_t n, const char *source,
		char *err, size_t errlen)
{
	struct pgarray_stmt st;
	struct pgarray *a = st.a;
	pgarray_stmt_init(&st, insert_sql, 8);
	struct buf line = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct log_record *r = &recs[i];
		pgarray_str(&a[0], r->node ? r->node : "");
		pgarray_str(&a[1], r->namespace_);
		pgarray_str(&a[2], r->pod);
		pgarray_str(&a[3], r->pod_uid ? r->pod_uid : "");
		pgarray_str(&a[4], r->container);
		pgarray_str(&a[5], r->stream);
		pgarray_i64(&a[6], r->logged_ns);
		buf_reset(&line);
		utf8_sanitize(r->line, r->len, &line);
		pgarray_str(&a[7], line.p);
	}
	struct db_stmt s = pgarray_stmt_get(&st);
	/* $1..$8 are the arrays, $9 one value for every row. */
	char sqlstate[6] = "";
	const char *params[9];
	memcpy(params, s.params, sizeof(char *) * 8);
	params[8] = source;
	int rc = db_cmd(c, s.sql, 9, params, err, errlen, sqlstate);
	pgarray_stmt_free(&st);
	buf_free(&line);
	/* Class 22 (data exception): the data, not the database. */
	return rc == 0 ? 0 : strncmp(sqlstate, "22", 2) == 0 ? -EINVAL : -EIO;
}

#define LOGS_WHERE                                                                        \
	" WHERE ($1::text IS NULL OR node = $1) AND ($2::text IS NULL OR namespace = $2)"   \
	" AND ($3::text IS NULL OR pod = $3 OR pod_uid = $3)"                               \
	" AND ($4::text IS NULL OR container = $4)"                                          \
	" AND ($5::text IS NULL OR pod_uid IN (SELECT pw.pod_uid FROM pod_workloads pw"      \
	"  JOIN workloads w ON w.uid = pw.workload_uid WHERE w.uid = $5 OR w.name = $5))"    \
	" AND ($6::timestamptz IS NULL OR logged_at >= $6)"                                  \
	" AND ($7::timestamptz IS NULL OR logged_at <= $7)"                                  \
	" AND ($8::text IS NULL OR CASE WHEN $9::boolean THEN line ~ $8"                     \
	"  ELSE strpos(line, $8) > 0 END)"
#define LOGS_COLUMNS                                                                      \
	"SELECT node, namespace, pod, pod_uid, container, stream, logged_at AS time, line"   \
	" FROM log_lines"

int logs_list(PGconn *c, const struct logs_filter *f, json_t **out, char *err, size_t errlen)
{
	const char *p[] = {f->node, f->namespace_, f->pod, f->container, f->workload,
			   f->since, f->until, f->q, f->regex ? "true" : "false"};
	int rc = pgjson_page(c,
			     f->oldest_first
				     ? LOGS_COLUMNS LOGS_WHERE " ORDER BY logged_at, received_at"
							   " OFFSET $10::bigint LIMIT $11::bigint"
				     : LOGS_COLUMNS LOGS_WHERE " ORDER BY logged_at DESC, received_at DESC"
							   " OFFSET $10::bigint LIMIT $11::bigint",
			     "SELECT count(*) FROM log_lines" LOGS_WHERE, 9, p, f->offset, f->limit,
			     NULL, NULL, out, err, errlen);
	if (rc && strstr(err, "regular expression"))
		return -EINVAL;
	return rc;
}
