/* events: one INSERT of unnested arrays per batch; one filtered query. */
#include "events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#include "pgarray.h"
#include "pgjson.h"

static const char insert_sql[] =
	"INSERT INTO kernel_events (node, occurred_at, type, pid, tgid, comm, cgroup_id, pod_uid,"
	" namespace, pod, container, container_id, workload, workload_uid, details)"
	" SELECT node, " PGARRAY_NS_TO_TS("t") ", type, pid, tgid, comm, cg, uid, ns, pod, ctr, cid, wl,"
	"  wuid, details FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::int[],"
	"  $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
	"  $13::text[], $14::text[], $15::jsonb[])"
	"  AS u(node, t, type, pid, tgid, comm, cg, uid, ns, pod, ctr, cid, wl, wuid, details)";

/* The details as the agent sent them when they are a JSON object; else
 * kept as text under "unparsed", so one bad field never costs the batch. */
static void details(struct pgarray *a, const char *text)
{
	json_t *j = text && *text ? json_loads(text, 0, NULL) : json_object();
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_pack("{s:s}", "unparsed", text);
		if (!j) /* not even UTF-8: nothing of it can be stored as text */
			j = json_pack("{s:s}", "unparsed", "(not UTF-8)");
	}
	char *s = json_dumps(j, JSON_COMPACT);
	pgarray_str(a, s);
	free(s);
	json_decref(j);
}

void events_stmt(Envelope *const *envs, int n, struct pgarray_stmt *st)
{
	struct pgarray *a = st->a;
	pgarray_stmt_init(st, insert_sql, 15);
	for (int i = 0; i < n; i++) {
		const Lens__V1__KernelEvents *b = envs[i]->kernel_events;
		for (size_t k = 0; k < b->n_events; k++) {
			const Lens__V1__KernelEvent *e = b->events[k];
			pgarray_str(&a[0], envs[i]->node_name);
			pgarray_i64(&a[1], e->unix_ns);
			pgarray_str(&a[2], e->type);
			pgarray_i64(&a[3], e->pid);
			pgarray_i64(&a[4], e->tgid);
			pgarray_str(&a[5], e->comm);
			pgarray_i64(&a[6], (int64_t)e->cgroup_id);
			pgarray_str(&a[7], e->pod_uid);
			pgarray_str(&a[8], e->namespace_);
			pgarray_str(&a[9], e->pod);
			pgarray_str(&a[10], e->container);
			pgarray_str(&a[11], e->container_id);
			pgarray_str(&a[12], e->workload);
			pgarray_str(&a[13], e->workload_uid);
			details(&a[14], e->details_json);
		}
	}
}

/* An exec's command line, its arguments joined by spaces. */
static void command_line(const json_t *argv, struct buf *b)
{
	size_t i;
	json_t *v;
	json_array_foreach(argv, i, v) {
		if (i)
			buf_putc(b, ' ');
		buf_puts(b, json_string_value(v) ? json_string_value(v) : "");
	}
}

void events_analyse(struct analysis *a, Envelope *const *envs, int n)
{
	for (int i = 0; a && i < n; i++) {
		const Lens__V1__KernelEvents *b = envs[i]->kernel_events;
		for (size_t k = 0; k < b->n_events; k++) {
			const Lens__V1__KernelEvent *e = b->events[k];
			if (strcmp(e->type, "exec") != 0 || !*e->pod_uid)
				continue;
			json_t *d = json_loads(e->details_json ? e->details_json : "", 0, NULL);
			struct buf cmd = BUF_INIT;
			command_line(json_object_get(d, "argv"), &cmd);
			struct log_record r = {envs[i]->node_name, e->namespace_, e->pod, e->pod_uid,
					       e->container, "exec", (int64_t)e->unix_ns,
					       cmd.p ? cmd.p : "", cmd.len};
			analysis_exec(a, &r, json_object_get(d, "argv"));
			buf_free(&cmd);
			json_decref(d);
		}
	}
}

#define EVENTS_WHERE                                                                      \
	" WHERE ($1::text IS NULL OR node = $1) AND ($2::text IS NULL OR namespace = $2)"   \
	" AND ($3::text IS NULL OR pod = $3 OR pod_uid = $3)"                               \
	" AND ($4::text IS NULL OR workload = $4 OR workload_uid = $4)"                     \
	" AND ($5::text IS NULL OR type = ANY(string_to_array($5, ',')))"                   \
	" AND ($6::timestamptz IS NULL OR occurred_at >= $6)"                                \
	" AND ($7::timestamptz IS NULL OR occurred_at <= $7)"

int events_list(PGconn *c, const struct events_filter *f, json_t **out, char *err,
		size_t errlen)
{
	const char *p[] = {f->node, f->namespace_, f->pod, f->workload, f->types, f->since, f->until};
	return pgjson_page(c,
			   "SELECT node, occurred_at AS time, type, pid, tgid, comm, cgroup_id,"
			   " pod_uid, namespace, pod, container, container_id, workload, workload_uid,"
			   " details, received_at FROM kernel_events" EVENTS_WHERE
			   " ORDER BY occurred_at DESC OFFSET $8::bigint LIMIT $9::bigint",
			   "SELECT count(*) FROM kernel_events" EVENTS_WHERE, 7, p, f->offset, f->limit,
			   NULL, NULL, out, err, errlen);
}
