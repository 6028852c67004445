/* logs: unnested arrays in, filtered pages out. */
#include "logs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "pgarray.h"
#include "pgjson.h"

static const char insert_sql[] =
	"INSERT INTO log_lines (node, namespace, pod, pod_uid, container, stream, logged_at, line,"
	" source) SELECT node, ns, pod, uid, ctr, stream, " PGARRAY_NS_TO_TS("t") ", line, $9"
	" FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
	"  $7::bigint[], $8::text[]) AS u(node, ns, pod, uid, ctr, stream, t, line)";

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
		buf_append(&line, r->line, r->len);
		pgarray_str(&a[7], line.p ? line.p : "");
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
