/* kevmsg: field by field, both ways. */
#include "kevmsg.h"

#include <stdlib.h>

#include "buf.h"
#include "jsonx.h"

static char *dup_field(const json_t *o, const char *key)
{
	return xstrdup(jsonx_str(o, key));
}

Lens__V1__KernelEvent *kevmsg_to_proto(const json_t *ev)
{
	Lens__V1__KernelEvent *m = xmalloc(sizeof *m);
	lens__v1__kernel_event__init(m);
	m->type = dup_field(ev, "type");
	m->unix_ns = json_integer_value(json_object_get(ev, "unix_ns"));
	m->pid = (int32_t)json_integer_value(json_object_get(ev, "pid"));
	m->tgid = (int32_t)json_integer_value(json_object_get(ev, "tgid"));
	m->comm = dup_field(ev, "comm");
	m->cgroup_id = (uint64_t)json_integer_value(json_object_get(ev, "cgroup_id"));
	m->pod_uid = dup_field(ev, "pod_uid");
	m->namespace_ = dup_field(ev, "namespace");
	m->pod = dup_field(ev, "pod");
	m->container = dup_field(ev, "container");
	m->container_id = dup_field(ev, "container_id");
	m->workload = dup_field(ev, "workload");
	m->workload_uid = dup_field(ev, "workload_uid");
	const json_t *d = json_object_get(ev, "details");
	m->details_json = d ? json_dumps(d, JSON_COMPACT) : xstrdup("{}");
	return m;
}

void kevmsg_free(Lens__V1__KernelEvent *m)
{
	if (!m)
		return;
	char *strs[] = {m->type, m->comm, m->pod_uid, m->namespace_, m->pod, m->container,
			m->container_id, m->workload, m->workload_uid, m->details_json};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(strs[i]);
	free(m);
}

json_t *kevmsg_to_json(const Lens__V1__KernelEvent *m, const char *node)
{
	json_t *details = json_loads(m->details_json, 0, NULL);
	return json_pack("{s:s,s:s,s:I,s:i,s:i,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "node",
			 node, "type", m->type, "unix_ns", (json_int_t)m->unix_ns, "pid", m->pid,
			 "tgid", m->tgid, "comm", m->comm, "cgroup_id", (json_int_t)m->cgroup_id,
			 "pod_uid", m->pod_uid, "namespace", m->namespace_, "pod", m->pod,
			 "container", m->container, "container_id", m->container_id, "workload",
			 m->workload, "workload_uid", m->workload_uid, "details",
			 details ? details : json_object());
}
