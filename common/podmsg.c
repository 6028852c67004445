/* podmsg: field by field, both ways. */
#include "podmsg.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonx.h"

/* protobuf-c fields are char *: the message only points at doc's strings. */
static char *s(const json_t *o, const char *key)
{
	return (char *)jsonx_str(o, key);
}

static bool b(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* JSON -> proto --------------------------------------------------------------------- */

static Lens__V1__KeyValue **kv_list(const json_t *obj, size_t *n)
{
	*n = json_object_size(obj);
	Lens__V1__KeyValue **out = xcalloc(*n ? *n : 1, sizeof *out);
	const char *k;
	json_t *v;
	size_t i = 0;
	json_object_foreach((json_t *)obj, k, v) {
		out[i] = xmalloc(sizeof **out);
		lens__v1__key_value__init(out[i]);
		out[i]->key = (char *)k;
		out[i]->value = (char *)(json_string_value(v) ? json_string_value(v) : "");
		i++;
	}
	return out;
}

static Lens__V1__WorkloadRef **ref_list(const json_t *arr, size_t *n)
{
	*n = json_array_size(arr);
	Lens__V1__WorkloadRef **out = xcalloc(*n ? *n : 1, sizeof *out);
	for (size_t i = 0; i < *n; i++) {
		const json_t *w = json_array_get(arr, i);
		out[i] = xmalloc(sizeof **out);
		lens__v1__workload_ref__init(out[i]);
		out[i]->uid = s(w, "uid");
		out[i]->kind = s(w, "kind");
		out[i]->name = s(w, "name");
		out[i]->namespace_ = s(w, "namespace");
		out[i]->api_version = s(w, "api_version");
		out[i]->via = s(w, "via");
	}
	return out;
}

static Lens__V1__PodInfo *pod_to_proto(const json_t *p)
{
	Lens__V1__PodInfo *m = xmalloc(sizeof *m);
	lens__v1__pod_info__init(m);
	m->uid = s(p, "uid");
	m->name = s(p, "name");
	m->namespace_ = s(p, "namespace");
	m->phase = s(p, "phase");
	m->source = s(p, "source");
	m->labels = kv_list(json_object_get(p, "labels"), &m->n_labels);
	m->owners = ref_list(json_object_get(p, "owners"), &m->n_owners);
	m->workloads = ref_list(json_object_get(p, "workloads"), &m->n_workloads);
	const json_t *cs = json_object_get(p, "containers");
	m->n_containers = json_array_size(cs);
	m->containers = xcalloc(m->n_containers ? m->n_containers : 1, sizeof *m->containers);
	for (size_t i = 0; i < m->n_containers; i++) {
		const json_t *c = json_array_get(cs, i);
		Lens__V1__ContainerInfo *ci = m->containers[i] = xmalloc(sizeof *ci);
		lens__v1__container_info__init(ci);
		ci->id = s(c, "id");
		ci->name = s(c, "name");
		ci->running = b(c, "running");
	}
	return m;
}

static Lens__V1__DeviceAssignment *assignment_to_proto(const json_t *a)
{
	Lens__V1__DeviceAssignment *m = xmalloc(sizeof *m);
	lens__v1__device_assignment__init(m);
	m->device_kind = s(a, "device_kind");
	m->device_id = s(a, "device_id");
	m->pod_uid = s(a, "pod_uid");
	m->container = s(a, "container");
	m->container_id = s(a, "container_id");
	m->allocated = b(a, "allocated");
	m->held = b(a, "held");
	m->used = b(a, "used");
	m->vram_bytes = json_integer_value(json_object_get(a, "vram_bytes"));
	m->source = s(a, "source");
	const json_t *pids = json_object_get(a, "pids");
	m->n_pids = json_array_size(pids);
	m->pids = xcalloc(m->n_pids ? m->n_pids : 1, sizeof *m->pids);
	for (size_t i = 0; i < m->n_pids; i++)
		m->pids[i] = (int32_t)json_integer_value(json_array_get(pids, i));
	return m;
}

static Lens__V1__UnmappedDevice *unmapped_to_proto(const json_t *u)
{
	Lens__V1__UnmappedDevice *m = xmalloc(sizeof *m);
	lens__v1__unmapped_device__init(m);
	m->device_kind = s(u, "device_kind");
	m->device_id = s(u, "device_id");
	m->reason = s(u, "reason");
	return m;
}

/* Fills a repeated field from a JSON array with one converter. */
#define FILL(m, field, arr, conv)                                                   \
	do {                                                                        \
		(m)->n_##field = json_array_size(arr);                              \
		(m)->field = xcalloc((m)->n_##field ? (m)->n_##field : 1,           \
				     sizeof *(m)->field);                           \
		for (size_t i_ = 0; i_ < (m)->n_##field; i_++)                      \
			(m)->field[i_] = conv(json_array_get(arr, i_));             \
	} while (0)

Lens__V1__PodDeviceMap *podmsg_to_proto(const json_t *doc, int64_t observed_unix_ns)
{
	Lens__V1__PodDeviceMap *m = xmalloc(sizeof *m);
	lens__v1__pod_device_map__init(m);
	m->observed_unix_ns = observed_unix_ns;
	FILL(m, pods, json_object_get(doc, "pods"), pod_to_proto);
	FILL(m, assignments, json_object_get(doc, "assignments"), assignment_to_proto);
	FILL(m, unmapped, json_object_get(doc, "unmapped"), unmapped_to_proto);
	m->sources = kv_list(json_object_get(doc, "sources"), &m->n_sources);
	return m;
}

static void free_list(void **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

void podmsg_free_proto(Lens__V1__PodDeviceMap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_pods; i++) {
		Lens__V1__PodInfo *p = m->pods[i];
		free_list((void **)p->labels, p->n_labels);
		free_list((void **)p->owners, p->n_owners);
		free_list((void **)p->workloads, p->n_workloads);
		free_list((void **)p->containers, p->n_containers);
	}
	free_list((void **)m->pods, m->n_pods);
	for (size_t i = 0; i < m->n_assignments; i++)
		free(m->assignments[i]->pids);
	free_list((void **)m->assignments, m->n_assignments);
	free_list((void **)m->unmapped, m->n_unmapped);
	free_list((void **)m->sources, m->n_sources);
	free(m);
}

/* proto -> JSON --------------------------------------------------------------------- */

static json_t *kv_json(Lens__V1__KeyValue **kv, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, kv[i]->key, json_string(kv[i]->value));
	return o;
}

static json_t *refs_json(Lens__V1__WorkloadRef **r, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "uid", r[i]->uid,
						   "kind", r[i]->kind, "name", r[i]->name,
						   "namespace", r[i]->namespace_, "api_version",
						   r[i]->api_version, "via", r[i]->via));
	return a;
}

static json_t *pod_json(const Lens__V1__PodInfo *p)
{
	json_t *cs = json_array();
	for (size_t i = 0; i < p->n_containers; i++)
		json_array_append_new(cs, json_pack("{s:s,s:s,s:b}", "id", p->containers[i]->id,
						    "name", p->containers[i]->name, "running",
						    p->containers[i]->running));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "uid", p->uid, "name", p->name,
			 "namespace", p->namespace_, "phase", p->phase, "source", p->source,
			 "labels", kv_json(p->labels, p->n_labels), "owners",
			 refs_json(p->owners, p->n_owners), "workloads",
			 refs_json(p->workloads, p->n_workloads), "containers", cs);
}

static json_t *assignment_json(const Lens__V1__DeviceAssignment *a)
{
	json_t *pids = json_array();
	for (size_t i = 0; i < a->n_pids; i++)
		json_array_append_new(pids, json_integer(a->pids[i]));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:I,s:o,s:s}", "device_kind",
			 a->device_kind, "device_id", a->device_id, "pod_uid", a->pod_uid,
			 "container", a->container, "container_id", a->container_id, "allocated",
			 a->allocated, "held", a->held, "used", a->used, "vram_bytes",
			 (json_int_t)a->vram_bytes, "pids", pids, "source", a->source);
}

json_t *podmsg_to_json(const Lens__V1__PodDeviceMap *m)
{
	json_t *pods = json_array(), *as = json_array(), *un = json_array();
	for (size_t i = 0; i < m->n_pods; i++)
		json_array_append_new(pods, pod_json(m->pods[i]));
	for (size_t i = 0; i < m->n_assignments; i++)
		json_array_append_new(as, assignment_json(m->assignments[i]));
	for (size_t i = 0; i < m->n_unmapped; i++)
		json_array_append_new(un, json_pack("{s:s,s:s,s:s}", "device_kind",
						    m->unmapped[i]->device_kind, "device_id",
						    m->unmapped[i]->device_id, "reason",
						    m->unmapped[i]->reason));
	return json_pack("{s:I,s:o,s:o,s:o,s:o}", "observed_unix_ns",
			 (json_int_t)m->observed_unix_ns, "pods", pods, "assignments", as,
			 "unmapped", un, "sources", kv_json(m->sources, m->n_sources));
}

int podmsg_strength(const json_t *a)
{
	return b(a, "used") * 4 + b(a, "allocated") * 2 + b(a, "held");
}

const json_t *podmsg_find_pod(const json_t *doc, const char *uid)
{
	json_t *p;
	size_t i;
	json_array_foreach(json_object_get(doc, "pods"), i, p)
		if (strcmp(s(p, "uid"), uid) == 0)
			return p;
	return NULL;
}
