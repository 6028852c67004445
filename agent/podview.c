/* podview: pods first, then allocations, then processes, then reasons. */
#include "podview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonx.h"
#include "workload.h"

struct build {
	const struct podview_inputs *in;
	struct podview_stats st;
	json_t *pods;    /* uid -> pod */
	json_t *assign;  /* "kind/id/uid/container" -> assignment */
	bool unmatched[2]; /* per kind (gpu, ib): pod-resources named ids we could not match */
};

static const char *kind_name(enum devnode_kind k)
{
	return k == DEVNODE_GPU ? "gpu" : "ib";
}

/* Pods ------------------------------------------------------------------------- */

static json_t *ensure_pod(struct build *b, const char *uid, const char *name, const char *ns,
			  const char *phase, const char *source)
{
	json_t *p = json_object_get(b->pods, uid);
	if (!p) {
		p = json_pack("{s:s,s:s,s:s,s:s,s:{},s:[],s:[],s:s}", "uid", uid, "name", name,
			      "namespace", ns, "phase", phase, "labels", "owners", "containers",
			      "source", source);
		json_object_set_new(b->pods, uid, p);
	}
	return p;
}

static json_t *find_container(const json_t *pod, const char *name, const char *id)
{
	json_t *c;
	size_t i;
	json_array_foreach(json_object_get(pod, "containers"), i, c) {
		if ((name && *name && strcmp(jsonx_str(c, "name"), name) == 0) ||
		    (id && *id && strcmp(jsonx_str(c, "id"), id) == 0))
			return c;
	}
	return NULL;
}

/* The OCI specs name pods and containers the kubelet may not (yet) list. */
static void pods_from_oci(struct build *b)
{
	for (int i = 0; i < b->in->noci; i++) {
		const struct oci_container *c = &b->in->oci[i];
		json_t *p = ensure_pod(b, c->pod_uid, c->pod_name, c->pod_namespace, "Running", "oci");
		json_t *ct = find_container(p, c->name, NULL);
		if (!ct)
			json_array_append_new(json_object_get(p, "containers"),
					      json_pack("{s:s,s:s,s:b}", "name", c->name, "id", c->id,
							"running", true));
		else if (!*jsonx_str(ct, "id"))
			json_object_set_new(ct, "id", json_string(c->id));
	}
}

static void collect_pods(struct build *b)
{
	json_t *p;
	size_t i;
	json_array_foreach(b->in->pods, i, p)
		json_object_set_new(b->pods, jsonx_str(p, "uid"), json_deep_copy(p));
	pods_from_oci(b);
	for (int k = 0; k < b->in->nprocs; k++)
		ensure_pod(b, b->in->procs[k].pod.pod_uid, "", "", "Unknown", "cgroup");
}

static bool terminated(const json_t *pod)
{
	const char *phase = jsonx_str(pod, "phase");
	return strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0;
}

/* Assignments -------------------------------------------------------------------- */

static json_t *assignment(struct build *b, const char *kind, const char *id, const char *uid,
			  const char *container, const char *container_id)
{
	char key[512];
	snprintf(key, sizeof key, "%s/%s/%s/%s", kind, id, uid, container);
	json_t *a = json_object_get(b->assign, key);
	if (!a) {
		a = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:I,s:[],s:s}", "device_kind", kind,
			      "device_id", id, "pod_uid", uid, "container", container,
			      "container_id", container_id ? container_id : "", "allocated", 0,
			      "held", 0, "used", 0, "vram_bytes", (json_int_t)-1, "pids", "source",
			      "");
		json_object_set_new(b->assign, key, a);
	}
	if (container_id && *container_id && !*jsonx_str(a, "container_id"))
		json_object_set_new(a, "container_id", json_string(container_id));
	return a;
}

static void add_source(json_t *a, const char *source)
{
	const char *have = jsonx_str(a, "source");
	if (strstr(have, source))
		return;
	char joined[96];
	snprintf(joined, sizeof joined, "%s%s%s", have, *have ? "," : "", source);
	json_object_set_new(a, "source", json_string(joined));
}

static void allocate(struct build *b, const char *kind, const char *id, const char *uid,
		     const char *container, const char *container_id, const char *source)
{
	json_t *a = assignment(b, kind, id, uid, container, container_id);
	json_object_set_new(a, "allocated", json_true());
	add_source(a, source);
}

static void allocations_from_oci(struct build *b)
{
	for (int i = 0; i < b->in->noci; i++) {
		const struct oci_container *c = &b->in->oci[i];
		for (int k = 0; k < c->ndevices; k++)
			allocate(b, kind_name(c->devices[k].kind), c->devices[k].id, c->pod_uid,
				 c->name, c->id, "oci");
	}
}

/* A device id from a device plugin: a GPU's PCI bus id in any case, or an
 * HCA's name. Partition names (amdgpu_xcp_N) and the plain indices of RDMA
 * shared-device plugins do not name a device by themselves. */
static const json_t *match_device(const json_t *devices, const char *id)
{
	json_t *d;
	size_t i;
	json_array_foreach(devices, i, d)
		if (strcasecmp(jsonx_str(d, "id"), id) == 0)
			return d;
	return NULL;
}

/* The live pod named namespace/name: the kubelet may list a terminated
 * pod of the same name next to its successor. */
static json_t *pod_by_name(struct build *b, const char *ns, const char *name)
{
	const char *uid;
	json_t *p, *found = NULL;
	json_object_foreach(b->pods, uid, p) {
		if (strcmp(jsonx_str(p, "namespace"), ns) == 0 && strcmp(jsonx_str(p, "name"), name) == 0 &&
		    (!found || terminated(found)))
			found = p;
	}
	return found;
}

static bool is_gpu_resource(const char *resource)
{
	return strstr(resource, "gpu") != NULL;
}

static void podres_container(struct build *b, json_t *pod, const V1__ContainerResources *c)
{
	const json_t *ct = find_container(pod, c->name, NULL);
	bool from_kubelet = strcmp(jsonx_str(pod, "source"), "kubelet") == 0;
	if (terminated(pod) || (from_kubelet && ct && !json_is_true(json_object_get(ct, "running")))) {
		b->st.stale_allocations++;
		return;
	}
	for (size_t k = 0; k < c->n_devices; k++) {
		const V1__ContainerDevices *d = c->devices[k];
		for (size_t j = 0; j < d->n_device_ids; j++) {
			const json_t *dev = match_device(b->in->devices, d->device_ids[j]);
			if (!dev) {
				b->st.unmatched_ids++;
				b->unmatched[is_gpu_resource(d->resource_name) ? 0 : 1] = true;
				continue;
			}
			allocate(b, jsonx_str(dev, "kind"), jsonx_str(dev, "id"), jsonx_str(pod, "uid"), c->name,
				 ct ? jsonx_str(ct, "id") : "", "podresources");
		}
	}
}

static void allocations_from_podres(struct build *b)
{
	const V1__ListPodResourcesResponse *r = b->in->podres;
	for (size_t i = 0; r && i < r->n_pod_resources; i++) {
		const V1__PodResources *p = r->pod_resources[i];
		json_t *pod = pod_by_name(b, p->namespace_, p->name);
		if (!pod) {
			b->st.stale_allocations++; /* not a pod of this node we know */
			continue;
		}
		for (size_t c = 0; c < p->n_containers; c++)
			podres_container(b, pod, p->containers[c]);
	}
}

static void use_from_process(struct build *b, const struct proc_entry *e)
{
	const json_t *pod = json_object_get(b->pods, e->pod.pod_uid);
	const json_t *ct = find_container(pod, NULL, e->pod.container_id);
	const char *cname = ct ? jsonx_str(ct, "name") : "";
	for (int i = 0; i < e->ndevices; i++) {
		const struct proc_device *d = &e->devices[i];
		if (d->kind == PROC_DEV_KFD)
			continue;
		json_t *a = assignment(b, d->kind == PROC_DEV_GPU ? "gpu" : "ib", d->id,
				       e->pod.pod_uid, cname, e->pod.container_id);
		if (d->held)
			json_object_set_new(a, "held", json_true());
		if (d->used)
			json_object_set_new(a, "used", json_true());
		if (d->vram_bytes >= 0) {
			json_int_t v = json_integer_value(json_object_get(a, "vram_bytes"));
			json_object_set_new(a, "vram_bytes",
					    json_integer((v < 0 ? 0 : v) + d->vram_bytes));
		}
		json_array_append_new(json_object_get(a, "pids"), json_integer(e->pid));
		add_source(a, "process");
	}
}

/* Output ------------------------------------------------------------------------- */

static int cmp_keys(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The values of an object as an array, in key order. */
static json_t *sorted_values(json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	const char **keys = malloc(sizeof *keys * (n ? n : 1));
	const char *k;
	json_t *v, *out = json_array();
	json_object_foreach(obj, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof *keys, cmp_keys);
	for (i = 0; i < n; i++)
		json_array_append(out, json_object_get(obj, keys[i]));
	free(keys);
	return out;
}

static bool assigned(const json_t *assignments, const char *kind, const char *id)
{
	json_t *a;
	size_t i;
	json_array_foreach(assignments, i, a)
		if (strcmp(jsonx_str(a, "device_kind"), kind) == 0 && strcmp(jsonx_str(a, "device_id"), id) == 0)
			return true;
	return false;
}

/* Why a device has no pod. An allocation view that is missing or failing
 * is named even when another one answered: the reason points at what to
 * fix for an authoritative answer. */
static const char *unmapped_reason(const struct build *b, const char *kind)
{
	if (b->unmatched[strcmp(kind, "gpu") == 0 ? 0 : 1])
		return "id_not_matched";
	switch (b->in->podres_state) {
	case PODRES_OK:
		return "not_allocated";
	case PODRES_FAILED:
		return "api_unavailable";
	default:
		return b->in->oci_available ? "not_allocated" : "socket_not_mounted";
	}
}

static json_t *unmapped(const struct build *b, const json_t *assignments)
{
	json_t *out = json_array(), *d;
	size_t i;
	json_array_foreach(b->in->devices, i, d) {
		if (!assigned(assignments, jsonx_str(d, "kind"), jsonx_str(d, "id")))
			json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "device_kind",
							     jsonx_str(d, "kind"), "device_id",
							     jsonx_str(d, "id"), "reason",
							     unmapped_reason(b, jsonx_str(d, "kind"))));
	}
	return out;
}

static json_t *sources(const struct podview_inputs *in)
{
	static const char *const podres[] = {"ok", "disabled", "socket not found", ""};
	const char *pr = in->podres_state == PODRES_FAILED ? in->podres_error : podres[in->podres_state];
	return json_pack("{s:s,s:s,s:s}", "kubelet", in->pods_source ? in->pods_source : "none",
			 "podresources", pr ? pr : "failed", "oci",
			 in->oci_available ? "ok" : "no runtime state directory");
}

json_t *podview_build(const struct podview_inputs *in, struct podview_stats *st)
{
	struct build b = {.in = in, .pods = json_object(), .assign = json_object()};
	collect_pods(&b);
	const char *uid;
	json_t *p;
	json_object_foreach(b.pods, uid, p)
		json_object_set_new(p, "workloads", workload_resolve(p));
	allocations_from_oci(&b);
	allocations_from_podres(&b);
	for (int i = 0; i < in->nprocs; i++)
		use_from_process(&b, &in->procs[i]);
	json_t *assignments = sorted_values(b.assign);
	json_t *doc = json_pack("{s:o,s:o,s:o,s:o}", "pods", sorted_values(b.pods), "assignments",
				assignments, "unmapped", unmapped(&b, assignments), "sources",
				sources(in));
	json_decref(b.pods);
	json_decref(b.assign);
	if (st)
		*st = b.st;
	return doc;
}
