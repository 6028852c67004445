/* podcache: node -> {observed_unix_ns, doc}, behind one mutex. */
#include "podcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "jsonx.h"
#include "podmsg.h"

struct podcache {
	pthread_mutex_t lock;
	json_t *nodes; /* node -> map document (with observed_unix_ns) */
	char since[64]; /* the database's now() at the last load: refreshes read from there */
};

/* A transaction that stamped stored_at before our last load may commit
 * after it: every refresh reads this much further back. */
#define REFRESH_OVERLAP "1 minute"

struct podcache *podcache_new(void)
{
	struct podcache *pc = xcalloc(1, sizeof *pc);
	pthread_mutex_init(&pc->lock, NULL);
	pc->nodes = json_object();
	return pc;
}

void podcache_free(struct podcache *pc)
{
	if (!pc)
		return;
	json_decref(pc->nodes);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}

/* Steals doc. */
static void put(struct podcache *pc, const char *node, json_t *doc)
{
	pthread_mutex_lock(&pc->lock);
	const json_t *have = json_object_get(pc->nodes, node);
	if (!have || json_integer_value(json_object_get(have, "observed_unix_ns")) <
			     json_integer_value(json_object_get(doc, "observed_unix_ns")))
		json_object_set(pc->nodes, node, doc);
	pthread_mutex_unlock(&pc->lock);
	json_decref(doc);
}

void podcache_update(struct podcache *pc, Envelope *const *envs, int n)
{
	for (int i = 0; i < n; i++)
		put(pc, envs[i]->node_name, podmsg_to_json(envs[i]->pod_device_map));
}

/* Maps stored since pc->since (all of them the first time). */
int podcache_load(struct podcache *pc, PGconn *c, char *err, size_t errlen)
{
	PGresult *now = db_exec(c, "SELECT now()::text", 0, NULL, err, errlen, NULL);
	if (!now)
		return -1;
	const char *p[] = {pc->since[0] ? pc->since : NULL};
	PGresult *r = db_exec(c,
			      "SELECT node, doc::text FROM node_pod_maps WHERE $1::timestamptz IS NULL"
			      " OR stored_at > $1::timestamptz - interval '" REFRESH_OVERLAP "'",
			      1, p, err, errlen, NULL);
	if (r) {
		for (int i = 0; i < PQntuples(r); i++) {
			json_t *doc = json_loads(PQgetvalue(r, i, 1), 0, NULL);
			if (doc)
				put(pc, PQgetvalue(r, i, 0), doc);
		}
		snprintf(pc->since, sizeof pc->since, "%s", PQgetvalue(now, 0, 0));
	}
	PQclear(now);
	PQclear(r);
	return r ? 0 : -1;
}

/* The strongest assignment of each device of one map. */
static json_t *node_devices(const json_t *doc)
{
	json_t *kinds = json_object(), *best = json_object(), *a;
	size_t i;
	json_array_foreach(json_object_get(doc, "assignments"), i, a) {
		char key[160];
		snprintf(key, sizeof key, "%s/%s", jsonx_str(a, "device_kind"), jsonx_str(a, "device_id"));
		const json_t *have = json_object_get(best, key);
		if (have && podmsg_strength(have) >= podmsg_strength(a))
			continue;
		json_object_set(best, key, a);
		const json_t *pod = podmsg_find_pod(doc, jsonx_str(a, "pod_uid"));
		json_t *kind = json_object_get(kinds, jsonx_str(a, "device_kind"));
		if (!kind)
			json_object_set_new(kinds, jsonx_str(a, "device_kind"), kind = json_object());
		json_object_set_new(kind, jsonx_str(a, "device_id"),
				    json_pack("[s,s]", jsonx_str(pod, "name"), jsonx_str(a, "pod_uid")));
	}
	json_decref(best);
	return kinds;
}

json_t *podcache_devices_view(struct podcache *pc)
{
	json_t *out = json_object(), *doc;
	const char *node;
	pthread_mutex_lock(&pc->lock);
	json_object_foreach(pc->nodes, node, doc)
		json_object_set_new(out, node, node_devices(doc));
	pthread_mutex_unlock(&pc->lock);
	return out;
}

json_t *podcache_workloads_view(struct podcache *pc)
{
	json_t *out = json_object(), *doc, *p, *w;
	const char *node;
	size_t i, k;
	pthread_mutex_lock(&pc->lock);
	json_object_foreach(pc->nodes, node, doc) {
		json_array_foreach(json_object_get(doc, "pods"), i, p) {
			json_t *list = json_array();
			json_array_foreach(json_object_get(p, "workloads"), k, w)
				json_array_append_new(list, json_pack("[s,s]", jsonx_str(w, "name"),
								      jsonx_str(w, "uid")));
			json_object_set_new(out, jsonx_str(p, "name"), list);
		}
	}
	pthread_mutex_unlock(&pc->lock);
	return out;
}

static bool pod_matches(const json_t *p, const char *uid, const char *name, const char *ns)
{
	if (uid && *uid)
		return strcmp(jsonx_str(p, "uid"), uid) == 0;
	return name && *name && strcmp(jsonx_str(p, "name"), name) == 0 &&
	       (!ns || !*ns || strcmp(jsonx_str(p, "namespace"), ns) == 0);
}

static json_t *pod_workloads(struct podcache *pc, const char *uid, const char *name,
			     const char *namespace_, bool names)
{
	json_t *out = NULL, *doc, *p, *w;
	const char *node;
	size_t i, k;
	pthread_mutex_lock(&pc->lock);
	json_object_foreach(pc->nodes, node, doc) {
		json_array_foreach(json_object_get(doc, "pods"), i, p) {
			if (!pod_matches(p, uid, name, namespace_))
				continue;
			if (!out)
				out = json_array();
			json_array_foreach(json_object_get(p, "workloads"), k, w) {
				json_array_append_new(out, json_string(jsonx_str(w, "uid")));
				if (names)
					json_array_append_new(out, json_string(jsonx_str(w, "name")));
			}
			if (!json_array_size(json_object_get(p, "workloads")) && !names)
				json_array_append_new(out, json_string(jsonx_str(p, "uid")));
		}
	}
	pthread_mutex_unlock(&pc->lock);
	return out;
}

json_t *podcache_pod_workloads(struct podcache *pc, const char *uid, const char *name,
			       const char *namespace_)
{
	return pod_workloads(pc, uid, name, namespace_, false);
}

json_t *podcache_workload_names(struct podcache *pc, const char *uid)
{
	json_t *out = uid && *uid ? pod_workloads(pc, uid, NULL, NULL, true) : NULL;
	return out ? out : json_array();
}

static json_t *holder(const json_t *doc, const json_t *a)
{
	const json_t *pod = podmsg_find_pod(doc, jsonx_str(a, "pod_uid"));
	json_t *ws = json_object_get(pod, "workloads");
	return json_pack("{s:s,s:s,s:s,s:s,s:O,s:O,s:O,s:O,s:O}", "uid", jsonx_str(a, "pod_uid"),
			 "name", jsonx_str(pod, "name"), "namespace", jsonx_str(pod, "namespace"), "container",
			 jsonx_str(a, "container"), "workloads", ws ? ws : json_null(), "allocated",
			 json_object_get(a, "allocated"), "held", json_object_get(a, "held"), "used",
			 json_object_get(a, "used"), "vram_bytes", json_object_get(a, "vram_bytes"));
}

json_t *podcache_device(struct podcache *pc, const char *node, const char *kind,
			const char *id)
{
	json_t *out = NULL, *a, *u;
	size_t i;
	pthread_mutex_lock(&pc->lock);
	const json_t *doc = json_object_get(pc->nodes, node);
	if (doc) {
		json_t *pods = json_array();
		json_array_foreach(json_object_get(doc, "assignments"), i, a)
			if (strcmp(jsonx_str(a, "device_kind"), kind) == 0 &&
			    strcmp(jsonx_str(a, "device_id"), id) == 0)
				json_array_append_new(pods, holder(doc, a));
		const char *reason = NULL;
		json_array_foreach(json_object_get(doc, "unmapped"), i, u)
			if (strcmp(jsonx_str(u, "device_kind"), kind) == 0 &&
			    strcmp(jsonx_str(u, "device_id"), id) == 0)
				reason = jsonx_str(u, "reason");
		out = json_pack("{s:o,s:s?}", "pods", pods, "unmapped_reason", reason);
	}
	pthread_mutex_unlock(&pc->lock);
	return out;
}
