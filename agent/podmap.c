/* podmap: gather the views, build the map, send it on change. */
#include "podmap.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "jsonx.h"
#include "log.h"
#include "oci.h"
#include "podmsg.h"
#include "podres.h"
#include "podview.h"
#include "procscan.h"

static const double scan_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
static const char *const reasons[] = {"not_allocated", "id_not_matched", "api_unavailable",
				       "socket_not_mounted"};
#define NREASONS (sizeof reasons / sizeof reasons[0])

struct podmap {
	struct podmap_config cfg;
	struct devices *devices;
	struct emitter *em;
	struct oci *oci;
	struct procscan *scanner;
	pthread_t thread;
	bool running;
	/* Guarded by lock. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop, poke;
	json_t *doc;      /* the latest map */
	json_t *owners;   /* "kind/id" -> device_owner fields */
	/* The collector thread's own. */
	json_t *pods;     /* the kubelet's (or the log directory's) pods */
	bool pods_from_kubelet;
	V1__ListPodResourcesResponse *podres; /* the last answer that came */
	int64_t pods_at;
	bool pods_stale;  /* a pod appeared that the list lacks */
	char pods_state[256], podres_state[256];
	json_t *reasons;  /* "kind/id" -> reason last logged */
	char *sig;        /* the last map sent, without volatile fields */
	int64_t sent_at;
	struct proc_entry *procs;
	int nprocs, cap;
	struct prom_family *f_unmapped, *f_errors, *f_source;
	struct prom_metric *m_scan, *m_sent, *m_pods, *m_assigned, *m_unmatched, *m_stale;
	struct prom_metric *m_scans_interval, *m_scans_poked;
};

/* Logs when a source's state changes, not on every scan. */
static void source_state(char *last, size_t len, const char *source, const char *state)
{
	if (strcmp(last, state) == 0)
		return;
	if (strcmp(state, "ok") == 0)
		log_info("pod mapping source available", "source=%s", source);
	else
		log_info("pod mapping source unavailable", "source=%s reason=%s", source,
			 log_q(state));
	snprintf(last, len, "%s", state);
}

/* Inputs ------------------------------------------------------------------------- */

static void refresh_pods(struct podmap *pm, int64_t now)
{
	bool due = now - pm->pods_at >= pm->cfg.kubelet_interval_ns ||
		   (pm->pods_stale && now - pm->pods_at >= pm->cfg.interval_ns);
	if (pm->pods && !due)
		return;
	char err[512] = "no kubelet URL configured";
	json_t *pods = NULL;
	int skipped = 0, rc = -ENOENT;
	if (*pm->cfg.kubelet.url)
		rc = kubelet_fetch_pods(&pm->cfg.kubelet, &pods, &skipped, err, sizeof err);
	if (skipped)
		prom_add_l(pm->f_errors, skipped, "kubelet");
	if (rc && *pm->cfg.kubelet.url)
		prom_inc_l(pm->f_errors, "kubelet");
	prom_set(prom_get(pm->f_source, "kubelet"), rc == 0);
	source_state(pm->pods_state, sizeof pm->pods_state, "kubelet", rc ? err : "ok");
	pm->pods_at = now;
	pm->pods_stale = false;
	/* A kubelet that stops answering (a restart) keeps its last list:
	 * falling back to the log directory would drop every label and owner
	 * and close every workload's intervals. */
	if (rc && pm->pods_from_kubelet)
		return;
	if (rc)
		pods = kubelet_pods_from_logdir(pm->cfg.log_dir);
	json_decref(pm->pods);
	pm->pods = pods;
	pm->pods_from_kubelet = rc == 0;
}

static void add_proc(const struct proc_entry *e, void *arg)
{
	struct podmap *pm = arg;
	if (!e->pod.in_pod || e->pod.conmon)
		return; /* the rule: processes outside pods are not mapped */
	if (pm->nprocs == pm->cap) {
		pm->cap = pm->cap ? pm->cap * 2 : 16;
		pm->procs = xrealloc(pm->procs, sizeof *pm->procs * (size_t)pm->cap);
	}
	pm->procs[pm->nprocs++] = *e;
}

/* Calls pod-resources. A failed call keeps the last answer (the kubelet
 * restarting must not end every allocation); a socket that is gone drops
 * it. pm->podres is what the merge uses. */
static enum podview_podres call_podres(struct podmap *pm, char *err, size_t errlen)
{
	struct stat st;
	V1__ListPodResourcesResponse *r;
	enum podview_podres state = PODRES_OK;
	if (!*pm->cfg.podres_socket)
		state = PODRES_DISABLED;
	else if (stat(pm->cfg.podres_socket, &st) != 0)
		state = PODRES_NO_SOCKET;
	else if (podres_list(pm->cfg.podres_socket, pm->cfg.kubelet.timeout_ns, &r, err, errlen))
		state = PODRES_FAILED;
	if (state == PODRES_FAILED)
		prom_inc_l(pm->f_errors, "podresources");
	if (state != PODRES_FAILED) {
		podres_free(pm->podres);
		pm->podres = state == PODRES_OK ? r : NULL;
	}
	return state;
}

/* A pod the map names that the pod list lacks: refresh the list soon. */
static void check_known(struct podmap *pm, const json_t *doc)
{
	json_t *p;
	size_t i;
	json_array_foreach(json_object_get(doc, "pods"), i, p) {
		const char *src = json_string_value(json_object_get(p, "source"));
		if (src && (strcmp(src, "oci") == 0 || strcmp(src, "cgroup") == 0))
			pm->pods_stale = true;
	}
}

static json_t *scan(struct podmap *pm)
{
	int64_t now = clock_mono_ns();
	refresh_pods(pm, now);
	pm->nprocs = 0;
	procscan_scan(pm->scanner, add_proc, pm);
	const struct oci_container *oci = NULL;
	int oci_errors = 0, noci = oci_scan(pm->oci, &oci, &oci_errors);
	if (oci_errors)
		prom_add_l(pm->f_errors, oci_errors, "oci");
	char err[512] = "";
	struct podview_inputs in = {
		.pods = pm->pods, .pods_source = pm->pods_state, .oci = oci, .noci = noci,
		.oci_available = oci_available(pm->oci), .procs = pm->procs, .nprocs = pm->nprocs,
		.devices = pm->devices ? devices_ids(pm->devices) : json_array()};
	in.podres_state = call_podres(pm, err, sizeof err);
	in.podres = pm->podres;
	in.podres_error = err;
	static const char *const states[] = {"ok", "disabled", "socket not found", NULL};
	source_state(pm->podres_state, sizeof pm->podres_state, "podresources",
		     states[in.podres_state] ? states[in.podres_state] : err);
	prom_set(prom_get(pm->f_source, "podresources"), in.podres_state == PODRES_OK);
	prom_set(prom_get(pm->f_source, "oci"), in.oci_available);
	struct podview_stats st;
	json_t *doc = podview_build(&in, &st);
	prom_add(pm->m_unmatched, st.unmatched_ids);
	prom_add(pm->m_stale, st.stale_allocations);
	json_decref((json_t *)in.devices);
	check_known(pm, doc);
	prom_observe(pm->m_scan, (double)(clock_mono_ns() - now) / (double)NS_PER_SEC);
	return doc;
}

/* Outputs ------------------------------------------------------------------------ */

/* Says once per device why it has no pod (and again when the reason
 * changes), and counts the reasons for lens_agent_device_unmapped. */
static void report_unmapped(struct podmap *pm, const json_t *doc)
{
	int counts[NREASONS] = {0};
	json_t *now = json_object(), *u;
	size_t i;
	json_array_foreach(json_object_get(doc, "unmapped"), i, u) {
		char key[128];
		const char *reason = jsonx_str(u, "reason");
		snprintf(key, sizeof key, "%s/%s", jsonx_str(u, "device_kind"), jsonx_str(u, "device_id"));
		if (strcmp(jsonx_str(json_object_get(pm->reasons, key), "reason"), reason) != 0)
			log_info("device not mapped to a pod", "kind=%s device=%s reason=%s",
				 jsonx_str(u, "device_kind"), log_q(jsonx_str(u, "device_id")), reason);
		json_object_set_new(now, key, json_pack("{s:s}", "reason", reason));
		for (size_t r = 0; r < NREASONS; r++)
			counts[r] += strcmp(reasons[r], reason) == 0;
	}
	json_decref(pm->reasons);
	pm->reasons = now;
	for (size_t r = 0; r < NREASONS; r++)
		prom_set(prom_get(pm->f_unmapped, reasons[r]), counts[r]);
}

static json_t *owners_of(const json_t *doc)
{
	json_t *owners = json_object(), *a;
	size_t i;
	json_array_foreach(json_object_get(doc, "assignments"), i, a) {
		char key[128];
		snprintf(key, sizeof key, "%s/%s", jsonx_str(a, "device_kind"), jsonx_str(a, "device_id"));
		json_t *have = json_object_get(owners, key);
		if (have && json_integer_value(json_object_get(have, "strength")) >= podmsg_strength(a))
			continue;
		const json_t *pod = podmsg_find_pod(doc, jsonx_str(a, "pod_uid"));
		const json_t *w = json_array_get(json_object_get(pod, "workloads"), 0);
		json_object_set_new(owners, key,
				    json_pack("{s:s,s:s,s:s,s:s,s:i}", "namespace",
					      jsonx_str(pod, "namespace"), "pod", jsonx_str(pod, "name"),
					      "container", jsonx_str(a, "container"), "workload",
					      jsonx_str(w, "name"), "strength", podmsg_strength(a)));
	}
	return owners;
}

void podmap_owner(void *arg, const char *kind, const char *id, struct device_owner *out)
{
	struct podmap *pm = arg;
	char key[128];
	snprintf(key, sizeof key, "%s/%s", kind, id);
	pthread_mutex_lock(&pm->lock);
	const json_t *o = json_object_get(pm->owners, key);
	if (o && *jsonx_str(o, "pod")) {
		snprintf(out->namespace_, sizeof out->namespace_, "%s", jsonx_str(o, "namespace"));
		snprintf(out->pod, sizeof out->pod, "%s", jsonx_str(o, "pod"));
		snprintf(out->container, sizeof out->container, "%s", jsonx_str(o, "container"));
		snprintf(out->workload, sizeof out->workload, "%s", jsonx_str(o, "workload"));
	}
	pthread_mutex_unlock(&pm->lock);
}

/* The map without what changes on every scan (VRAM, pids), for deciding
 * whether it changed. */
static char *signature(const json_t *doc)
{
	json_t *copy = json_deep_copy(doc), *a;
	size_t i;
	json_array_foreach(json_object_get(copy, "assignments"), i, a) {
		json_object_del(a, "vram_bytes");
		json_object_del(a, "pids");
	}
	char *s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	return s;
}

static void emit_map(struct podmap *pm, const json_t *doc)
{
	Lens__V1__PodDeviceMap *m = podmsg_to_proto(doc, clock_now_ns());
	Envelope e = LENS__V1__ENVELOPE__INIT;
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_POD_DEVICE_MAP;
	e.pod_device_map = m;
	if (emit_envelope(pm->em, LENS__V1__STREAM__STREAM_CONTROL, &e) == 0)
		prom_inc(pm->m_sent);
	podmsg_free_proto(m);
}

/* Publishes a scan: metrics, owners, and the map when it changed. */
static void publish(struct podmap *pm, json_t *doc)
{
	report_unmapped(pm, doc);
	prom_set(pm->m_pods, (double)json_array_size(json_object_get(doc, "pods")));
	prom_set(pm->m_assigned, (double)json_array_size(json_object_get(doc, "assignments")));
	json_t *owners = owners_of(doc);
	pthread_mutex_lock(&pm->lock);
	json_decref(pm->doc);
	json_decref(pm->owners);
	pm->doc = json_incref(doc);
	pm->owners = owners;
	pthread_mutex_unlock(&pm->lock);
	char *sig = signature(doc);
	int64_t now = clock_mono_ns();
	bool changed = !pm->sig || strcmp(sig, pm->sig) != 0;
	if (pm->em && (changed || now - pm->sent_at >= pm->cfg.resend_ns)) {
		emit_map(pm, doc);
		pm->sent_at = now;
	}
	free(pm->sig);
	pm->sig = sig;
	json_decref(doc);
}

/* Pokes closer together than this share one scan: a tool that opens the
 * devices in a loop must not make the agent scan without pause. */
#define POKE_MIN_GAP_NS (100 * NS_PER_MS)

/* The collector thread: a scan per interval, or soon after a poke. */
static void *collector(void *arg)
{
	struct podmap *pm = arg;
	int64_t last = clock_mono_ns();
	pthread_mutex_lock(&pm->lock);
	while (!pm->stop) {
		struct timespec until = clock_deadline(pm->cfg.interval_ns - (clock_mono_ns() - last));
		while (!pm->stop && !pm->poke)
			if (pthread_cond_timedwait(&pm->wake, &pm->lock, &until) == ETIMEDOUT)
				break;
		if (pm->stop)
			break;
		bool poked = pm->poke;
		int64_t wait = last + POKE_MIN_GAP_NS - clock_mono_ns();
		if (poked && wait > 0) {
			struct timespec gap = clock_deadline(wait);
			pthread_cond_timedwait(&pm->wake, &pm->lock, &gap);
			if (pm->stop)
				break;
		}
		pm->poke = false;
		pthread_mutex_unlock(&pm->lock);
		prom_inc(poked ? pm->m_scans_poked : pm->m_scans_interval);
		publish(pm, scan(pm));
		last = clock_mono_ns();
		pthread_mutex_lock(&pm->lock);
	}
	pthread_mutex_unlock(&pm->lock);
	return NULL;
}

void podmap_poke(struct podmap *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->poke = true;
	pthread_cond_signal(&pm->wake);
	pthread_mutex_unlock(&pm->lock);
}

void podmap_describe_pod(struct podmap *pm, const char *uid, const char *container_id,
			 json_t *obj)
{
	pthread_mutex_lock(&pm->lock);
	const json_t *pod = podmsg_find_pod(pm->doc, uid), *c;
	const json_t *w = json_array_get(json_object_get(pod, "workloads"), 0);
	size_t i;
	if (pod) {
		json_object_set_new(obj, "namespace", json_string(jsonx_str(pod, "namespace")));
		json_object_set_new(obj, "pod", json_string(jsonx_str(pod, "name")));
	}
	json_array_foreach(json_object_get(pod, "containers"), i, c)
		if (*container_id && strcmp(jsonx_str(c, "id"), container_id) == 0)
			json_object_set_new(obj, "container", json_string(jsonx_str(c, "name")));
	if (w) {
		json_object_set_new(obj, "workload", json_string(jsonx_str(w, "name")));
		json_object_set_new(obj, "workload_uid", json_string(jsonx_str(w, "uid")));
	}
	pthread_mutex_unlock(&pm->lock);
}

json_t *podmap_snapshot(struct podmap *pm)
{
	pthread_mutex_lock(&pm->lock);
	json_t *doc = json_incref(pm->doc);
	pthread_mutex_unlock(&pm->lock);
	return doc;
}

static void init_metrics(struct podmap *pm, struct prom_registry *reg)
{
	pm->f_unmapped = prom_gauge(reg, "lens_agent_device_unmapped",
				    "Devices without a pod, by reason (docs/pods.md).", "reason");
	pm->f_errors = prom_counter(reg, "lens_agent_podmap_source_errors_total",
				    "Failed calls to, or unparsable answers from, a mapping source "
				    "(the rest of the map stands).", "source");
	pm->f_source = prom_gauge(reg, "lens_agent_podmap_source_up",
				  "1 when the mapping source answered at the last scan.", "source");
	pm->m_scan = prom_get(prom_family_new(reg, PROM_HISTOGRAM, "lens_agent_podmap_scan_seconds",
					      "Wall time of one pod-mapping scan.", NULL, scan_bounds,
					      sizeof scan_bounds / sizeof scan_bounds[0]));
	struct prom_family *scans = prom_counter(reg, "lens_agent_podmap_scans_total",
						 "Pod-mapping scans, by what started them: the "
						 "interval, or a device open seen by eBPF.", "trigger");
	pm->m_scans_interval = prom_get(scans, "interval");
	pm->m_scans_poked = prom_get(scans, "device_open");
	pm->m_sent = prom_get(prom_counter(reg, "lens_agent_podmap_maps_sent_total",
					   "PodDeviceMap payloads spooled (sent on change).", NULL));
	pm->m_pods = prom_get(prom_gauge(reg, "lens_agent_pods", "Pods known on the node.", NULL));
	pm->m_assigned = prom_get(prom_gauge(reg, "lens_agent_device_assignments",
					     "Device-to-container assignments.", NULL));
	pm->m_unmatched = prom_get(prom_counter(reg, "lens_agent_podres_unmatched_ids_total",
						"Pod-resources device ids that match no device of "
						"the node.", NULL));
	pm->m_stale = prom_get(prom_counter(reg, "lens_agent_podres_stale_allocations_total",
					    "Pod-resources allocations skipped: pod or container "
					    "not running.", NULL));
}

int podmap_start(const struct podmap_config *cfg, struct devices *devices, struct emitter *em,
		 struct prom_registry *reg, struct podmap **out, char *err, size_t errlen)
{
	struct podmap *pm = xcalloc(1, sizeof *pm);
	pm->cfg = *cfg;
	pm->devices = devices;
	pm->em = em;
	pm->oci = oci_new(cfg->oci_dirs, cfg->sysfs_root);
	pm->scanner = procscan_new(cfg->proc_root, cfg->sysfs_root, PROCSCAN_PODS_ONLY);
	pthread_mutex_init(&pm->lock, NULL);
	clock_cond_init(&pm->wake);
	init_metrics(pm, reg);
	publish(pm, scan(pm));
	if (cfg->interval_ns > 0 && pthread_create(&pm->thread, NULL, collector, pm)) {
		snprintf(err, errlen, "cannot start the pod-mapping thread");
		podmap_stop(pm);
		return -EAGAIN;
	}
	pm->running = cfg->interval_ns > 0;
	*out = pm;
	return 0;
}

void podmap_stop(struct podmap *pm)
{
	if (!pm)
		return;
	if (pm->running) {
		pthread_mutex_lock(&pm->lock);
		pm->stop = true;
		pthread_cond_signal(&pm->wake);
		pthread_mutex_unlock(&pm->lock);
		pthread_join(pm->thread, NULL);
	}
	oci_free(pm->oci);
	procscan_free(pm->scanner);
	json_decref(pm->doc);
	json_decref(pm->owners);
	json_decref(pm->pods);
	podres_free(pm->podres);
	json_decref(pm->reasons);
	free(pm->sig);
	free(pm->procs);
	pthread_mutex_destroy(&pm->lock);
	pthread_cond_destroy(&pm->wake);
	free(pm);
}
