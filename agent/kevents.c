/* kevents: libbpf skeletons in, attributed JSON events out. */
#include "kevents.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cgindex.h"
#include "clock.h"
#include "devopen.skel.h"
#include "gpureset.skel.h"
#include "hwerr.skel.h"
#include "kevdecode.h"
#include "log.h"
#include "oom.skel.h"
#include "podmap.h"
#include "proc.skel.h"
#include "signal.skel.h"

#define TRACEFS "/sys/kernel/tracing"
#define BPFFS "/sys/fs/bpf"
#define TRACEFS_MAGIC 0x74726163
#define BPF_FS_MAGIC 0xcafe4a11
#define MAX_PROGS 16

/* One skeleton type behind a uniform face: open (with watch_all set),
 * its bpf_object, destroy. */
struct skel_ops {
	const char *name;
	void *(*open)(bool watch_all, struct bpf_object **obj);
	void (*destroy)(void *skel);
};

#define SKEL_OPS(n)                                                                       \
	static void *open_##n(bool all, struct bpf_object **obj)                          \
	{                                                                                 \
		struct n##_bpf *s = n##_bpf__open();                                      \
		if (!s)                                                                   \
			return NULL;                                                      \
		s->rodata->watch_all = all;                                               \
		*obj = s->obj;                                                            \
		return s;                                                                 \
	}                                                                                 \
	static void destroy_##n(void *s)                                                  \
	{                                                                                 \
		n##_bpf__destroy(s);                                                      \
	}
SKEL_OPS(proc)
SKEL_OPS(signal)
SKEL_OPS(oom)
SKEL_OPS(hwerr)
SKEL_OPS(gpureset)
SKEL_OPS(devopen)

/* proc first: its maps are the ones every other object shares. */
static const struct skel_ops skels[] = {
	{"proc", open_proc, destroy_proc},     {"signal", open_signal, destroy_signal},
	{"oom", open_oom, destroy_oom},        {"hwerr", open_hwerr, destroy_hwerr},
	{"gpureset", open_gpureset, destroy_gpureset}, {"devopen", open_devopen, destroy_devopen},
};
#define NSKELS (sizeof skels / sizeof skels[0])

struct prog_state {
	char name[48];
	const char *status; /* attached | unavailable */
	char reason[160];
	struct bpf_link *link;
};

struct bucket {
	double tokens;
	int64_t at;
};

struct kevents {
	struct kevents_config cfg;
	char *node;
	kevents_sink_fn sink;
	void *sink_arg;
	void *skel[NSKELS];
	struct prog_state progs[MAX_PROGS];
	int nprogs;
	int events_fd, lost_fd, pods_fd;
	struct ring_buffer *rb;
	struct cgindex *cgroups;
	struct btf *vmlinux;
	int64_t boot_to_unix;
	pthread_t thread;
	bool running;
	volatile bool stop;
	pthread_mutex_t lock; /* guards pm */
	struct podmap *pm;
	kevents_trace_fn trace_fn; /* profiler collector */
	void *trace_arg;
	json_t *buckets;      /* "type/pod" -> bucket, the collector thread's own */
	struct prom_family *f_events, *f_dropped;
	struct prom_metric *m_pod_cgroups, *m_attached, *m_lost_seen;
	double lost_reported;
	int64_t walked_at;    /* the last walk of the cgroup hierarchy */
};

/* Filesystems ------------------------------------------------------------------ */

static int mount_if_missing(const char *dir, const char *type, long magic, char *err,
			    size_t errlen)
{
	struct statfs st;
	if (statfs(dir, &st) == 0 && (long)st.f_type == magic)
		return 0;
	if (mount(type, dir, type, 0, NULL) == 0) {
		log_info("mounted", "fs=%s at=%s", type, dir);
		return 0;
	}
	snprintf(err, errlen, "cannot mount %s at %s: %s", type, dir, strerror(errno));
	return -errno;
}

int kevents_mount_fs(char *err, size_t errlen)
{
	int rc = mount_if_missing(TRACEFS, "tracefs", TRACEFS_MAGIC, err, errlen);
	/* bpffs is for pinning, which the agent does not need to run: only say so. */
	char why[256];
	if (mount_if_missing(BPFFS, "bpf", BPF_FS_MAGIC, why, sizeof why))
		log_info("bpffs not mounted", "reason=%s", log_q(why));
	return rc;
}

/* Availability ------------------------------------------------------------------ */

static bool kallsyms_has(const char *sym)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256];
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f))
		found = sscanf(line, "%*s %*s %255s", name) == 1 && strcmp(name, sym) == 0;
	if (f)
		fclose(f);
	return found;
}

/* Whether argument n (from 0, after the context) of a BTF tracepoint is
 * a pointer: mark_victim took a pid before Linux 6.8, a task since. */
static bool btf_arg_is_ptr(const struct btf *btf, const char *tp, unsigned n)
{
	char name[128];
	snprintf(name, sizeof name, "btf_trace_%s", tp);
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	if (t)
		t = btf__type_by_id(btf, t->type); /* pointer */
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type); /* the prototype */
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) <= n + 1)
		return false;
	const struct btf_type *arg = btf__type_by_id(btf, btf_params(t)[n + 1].type);
	return arg && btf_is_ptr(arg);
}

/* Programs that stand in for one another: the first one usable wins. */
static const struct {
	const char *prog, *instead_of;
} preferred[] = {{"kev_oom_victim", "kev_oom"}};

static bool superseded(struct bpf_object *obj, const char *name, char *why, size_t len)
{
	for (size_t i = 0; i < sizeof preferred / sizeof preferred[0]; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, preferred[i].prog);
		if (strcmp(name, preferred[i].instead_of) == 0 && p && bpf_program__autoload(p)) {
			snprintf(why, len, "%s is used instead", preferred[i].prog);
			return true;
		}
	}
	return false;
}

/* Whether this kernel has what a program's section names; why not in why. */
static bool available(struct kevents *k, const char *sec, char *why, size_t len)
{
	if (strcmp(sec, "tp_btf/mark_victim") == 0 && k->vmlinux &&
	    !btf_arg_is_ptr(k->vmlinux, "mark_victim", 0)) {
		snprintf(why, len, "this kernel's oom:mark_victim carries no task (before Linux 6.8)");
		return false;
	}
	char path[256];
	struct stat st;
	if (strncmp(sec, "tp/", 3) == 0) {
		snprintf(path, sizeof path, TRACEFS "/events/%s", sec + 3);
		if (stat(path, &st) == 0)
			return true;
		snprintf(why, len, "no tracepoint %s in this kernel", sec + 3);
	} else if (strncmp(sec, "kprobe/", 7) == 0) {
		if (kallsyms_has(sec + 7))
			return true;
		snprintf(why, len, "no kernel symbol %s (module not loaded?)", sec + 7);
	} else if (strncmp(sec, "tp_btf/", 7) == 0) {
		snprintf(path, sizeof path, "btf_trace_%s", sec + 7);
		if (k->vmlinux && btf__find_by_name_kind(k->vmlinux, path, BTF_KIND_TYPEDEF) > 0)
			return true;
		snprintf(why, len, "no BTF tracepoint %s in this kernel", sec + 7);
	} else {
		snprintf(why, len, "unknown program type %s", sec);
	}
	return false;
}

static struct prog_state *add_prog(struct kevents *k, const char *name, const char *status,
				   const char *reason)
{
	if (k->nprogs == MAX_PROGS)
		return NULL;
	struct prog_state *p = &k->progs[k->nprogs++];
	snprintf(p->name, sizeof p->name, "%s", name);
	p->status = status;
	snprintf(p->reason, sizeof p->reason, "%s", reason);
	return p;
}

/* Loading ------------------------------------------------------------------------ */

/* Programs this kernel cannot run are not loaded (their CO-RE relocations
 * would fail the whole object); they are reported unavailable. */
static int select_programs(struct kevents *k, struct bpf_object *obj)
{
	struct bpf_program *prog;
	int usable = 0;
	bpf_object__for_each_program(prog, obj) {
		char why[160];
		if (available(k, bpf_program__section_name(prog), why, sizeof why) &&
		    !superseded(obj, bpf_program__name(prog), why, sizeof why)) {
			usable++;
			continue;
		}
		bpf_program__set_autoload(prog, false);
		add_prog(k, bpf_program__name(prog), "unavailable", why);
	}
	return usable;
}

/* Every object after the first uses the first one's maps. */
static int share_maps(struct kevents *k, struct bpf_object *obj)
{
	const char *names[] = {"events", "lost", "pod_cgroups"};
	int fds[] = {k->events_fd, k->lost_fd, k->pods_fd};
	for (int i = 0; i < 3; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, names[i]);
		int rc = m ? bpf_map__reuse_fd(m, fds[i]) : -ENOENT;
		if (rc)
			return rc;
	}
	return 0;
}

static void remember_maps(struct kevents *k, struct bpf_object *obj)
{
	k->events_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "events"));
	k->lost_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "lost"));
	k->pods_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "pod_cgroups"));
}

static void attach_all(struct kevents *k, struct bpf_object *obj)
{
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog))
			continue;
		struct bpf_link *link = bpf_program__attach(prog);
		int e = errno;
		struct prog_state *p = add_prog(k, bpf_program__name(prog),
						link ? "attached" : "unavailable",
						link ? "" : strerror(e));
		if (p)
			p->link = link;
		else
			bpf_link__destroy(link);
	}
}

/* Opens, loads and attaches one skeleton; 0 or a negative errno. */
static int load_skel(struct kevents *k, size_t i, char *err, size_t errlen)
{
	struct bpf_object *obj = NULL;
	k->skel[i] = skels[i].open(k->cfg.watch_all, &obj);
	if (!k->skel[i])
		return snprintf(err, errlen, "%s: cannot open: %s", skels[i].name, strerror(errno)),
		       -errno;
	if (!select_programs(k, obj))
		return 0; /* nothing this kernel can run: reported per program */
	int rc = i == 0 ? bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "events"),
						   (__u32)k->cfg.ring_bytes)
			: share_maps(k, obj);
	if (!rc)
		rc = bpf_object__load(obj);
	if (rc) {
		snprintf(err, errlen, "%s: cannot load: %s", skels[i].name, strerror(-rc));
		return rc;
	}
	if (i == 0)
		remember_maps(k, obj);
	attach_all(k, obj);
	return 0;
}

/* Once the programs are in, the agent needs none of the privileges that
 * put them there; the threads started afterwards inherit the smaller set. */
static void drop_capabilities(void)
{
	static const cap_value_t drop[] = {CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN,
					   CAP_SYS_RESOURCE, CAP_SYS_MODULE, CAP_NET_ADMIN};
	cap_t caps = cap_get_proc();
	int n = (int)(sizeof drop / sizeof drop[0]);
	if (caps && cap_set_flag(caps, CAP_EFFECTIVE, n, drop, CAP_CLEAR) == 0 &&
	    cap_set_flag(caps, CAP_PERMITTED, n, drop, CAP_CLEAR) == 0 &&
	    cap_set_flag(caps, CAP_INHERITABLE, n, drop, CAP_CLEAR) == 0 && cap_set_proc(caps) == 0)
		log_info("dropped capabilities", "caps=\"bpf perfmon sys_admin sys_resource "
						 "sys_module net_admin\"");
	else
		log_warn("cannot drop capabilities", "err=%s", log_q(strerror(errno)));
	for (int i = 0; i < n; i++)
		prctl(PR_CAPBSET_DROP, drop[i], 0, 0, 0);
	if (caps)
		cap_free(caps);
}

/* Events ------------------------------------------------------------------------- */

static void refresh_pods(struct kevents *k);

/* The pod of a cgroup id. A cgroup newer than the last walk (the kernel
 * side learnt it at mkdir) makes the walk run again, at most every 100 ms. */
static int lookup_pod(struct kevents *k, uint64_t id, struct cgroup_pod *pod)
{
	if (!k->cgroups)
		return -ENOENT;
	if (cgindex_lookup(k->cgroups, id, pod) == 0)
		return 0;
	int64_t now = clock_mono_ns();
	if (now - k->walked_at < 100 * NS_PER_MS)
		return -ENOENT;
	refresh_pods(k);
	return cgindex_lookup(k->cgroups, id, pod);
}

/* The pod of the event's subject: UID and container from the cgroup, the
 * names from the pod map. */
static void attribute(struct kevents *k, const struct kevent *e, json_t *ev)
{
	struct cgroup_pod pod;
	json_object_set_new(ev, "node", json_string(k->node));
	if (lookup_pod(k, kevdecode_subject_cgroup(e), &pod))
		return;
	json_object_set_new(ev, "pod_uid", json_string(pod.pod_uid));
	json_object_set_new(ev, "container_id", json_string(pod.container_id));
	pthread_mutex_lock(&k->lock);
	if (k->pm)
		podmap_describe_pod(k->pm, pod.pod_uid, pod.container_id, ev);
	pthread_mutex_unlock(&k->lock);
}

/* A token bucket per type and pod (node-wide events: per type). */
static bool allowed(struct kevents *k, const char *type, const char *pod, int64_t now)
{
	char key[128];
	snprintf(key, sizeof key, "%s/%s", type, pod);
	json_t *b = json_object_get(k->buckets, key);
	double burst = k->cfg.rate_per_pod * 2;
	double tokens = burst;
	if (b) {
		double at = json_real_value(json_array_get(b, 1));
		tokens = json_real_value(json_array_get(b, 0)) + ((double)now - at) / 1e9 * k->cfg.rate_per_pod;
		if (tokens > burst)
			tokens = burst;
	}
	bool ok = tokens >= 1;
	if (ok)
		tokens -= 1;
	json_object_set_new(k->buckets, key, json_pack("[f,f]", tokens, (double)now));
	return ok;
}

/* Buckets that have refilled are as good as absent: forget them, so pods
 * that come and go do not grow the table. */
static void prune_buckets(struct kevents *k, int64_t now)
{
	const char *key;
	json_t *b, *tmp;
	double full_after = 2.0 / (k->cfg.rate_per_pod > 0 ? k->cfg.rate_per_pod : 1) * 1e9;
	json_object_foreach_safe(k->buckets, tmp, key, b)
		if ((double)now - json_real_value(json_array_get(b, 1)) > full_after)
			json_object_del(k->buckets, key);
}

/* A device open is for the pod map (rescan now), not for the stream;
 * without a pod map (watch mode) it is shown like any event. */
static bool poke_podmap(struct kevents *k)
{
	pthread_mutex_lock(&k->lock);
	if (k->pm)
		podmap_poke(k->pm);
	bool poked = k->pm != NULL;
	pthread_mutex_unlock(&k->lock);
	return poked;
}

/* A profiler trace opened for writing goes to the profiler collector. */
static bool hand_trace(struct kevents *k, const struct kevent *e)
{
	pthread_mutex_lock(&k->lock);
	bool handed = k->trace_fn != NULL;
	if (handed) {
		char path[sizeof e->trace_open.path + 1];
		memcpy(path, e->trace_open.path, sizeof e->trace_open.path);
		path[sizeof e->trace_open.path] = '\0';
		k->trace_fn(k->trace_arg, (int)e->tgid, path);
	}
	pthread_mutex_unlock(&k->lock);
	return handed;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct kevents *k = ctx;
	struct kevent e;
	if (size < sizeof e) {
		prom_inc_l(k->f_dropped, "bad_record");
		return 0;
	}
	memcpy(&e, data, sizeof e);
	json_t *ev = kevdecode(&e, k->boot_to_unix);
	if (!ev) {
		prom_inc_l(k->f_dropped, "bad_record");
		return 0;
	}
	attribute(k, &e, ev);
	const char *type = json_string_value(json_object_get(ev, "type"));
	if ((e.type == KEV_DEVICE_OPEN && poke_podmap(k)) ||
	    (e.type == KEV_TRACE_OPEN && hand_trace(k, &e))) {
		prom_inc_l(k->f_events, type);
		json_decref(ev);
		return 0;
	}
	const char *pod = json_string_value(json_object_get(ev, "pod_uid"));
	if (k->cfg.rate_per_pod > 0 && !allowed(k, type, pod ? pod : "", clock_mono_ns())) {
		prom_inc_l(k->f_dropped, "rate_limit");
		json_decref(ev);
		return 0;
	}
	prom_inc_l(k->f_events, type);
	k->sink(ev, k->sink_arg);
	json_decref(ev);
	return 0;
}

/* The kernel side's count of records the full ring buffer refused. */
static void read_lost(struct kevents *k)
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0 || ncpu > 4096)
		return;
	__u64 vals[ncpu];
	__u32 zero = 0;
	if (bpf_map_lookup_elem(k->lost_fd, &zero, vals))
		return;
	double total = 0;
	for (int i = 0; i < ncpu; i++)
		total += (double)vals[i];
	if (total > k->lost_reported) {
		prom_add_l(k->f_dropped, total - k->lost_reported, "ring_full");
		log_warn("kernel events lost: ring buffer full", "lost=%.0f", total - k->lost_reported);
		k->lost_reported = total;
	}
}

/* Pod set ------------------------------------------------------------------------ */

static void pod_added(uint64_t id, void *arg)
{
	struct kevents *k = arg;
	__u8 one = 1;
	bpf_map_update_elem(k->pods_fd, &id, &one, BPF_ANY);
}

static void pod_removed(uint64_t id, void *arg)
{
	struct kevents *k = arg;
	bpf_map_delete_elem(k->pods_fd, &id);
}

static void refresh_pods(struct kevents *k)
{
	if (!k->cgroups)
		return;
	k->walked_at = clock_mono_ns();
	int n = cgindex_refresh(k->cgroups, pod_added, pod_removed, k);
	prom_set(k->m_pod_cgroups, n);
}

static void *collector(void *arg)
{
	struct kevents *k = arg;
	int64_t next_refresh = 0;
	while (!k->stop) {
		int rc = ring_buffer__poll(k->rb, 100);
		if (rc < 0 && rc != -EINTR) {
			log_error("kernel event ring buffer failed", "err=%s", log_q(strerror(-rc)));
			break;
		}
		int64_t now = clock_mono_ns();
		if (now >= next_refresh) {
			refresh_pods(k);
			read_lost(k);
			prune_buckets(k, now);
			next_refresh = now + k->cfg.refresh_ns;
		}
	}
	return NULL;
}

/* Lifecycle ---------------------------------------------------------------------- */

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libbpf", "text=%s", log_q(line));
	return 0;
}

static int64_t boot_to_unix_ns(void)
{
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (rt.tv_sec - bt.tv_sec) * NS_PER_SEC + (rt.tv_nsec - bt.tv_nsec);
}

static void init_metrics(struct kevents *k, struct prom_registry *reg)
{
	k->f_events = prom_counter(reg, "lens_agent_kernel_events_total",
				   "Kernel events collected, by type.", "type");
	k->f_dropped = prom_counter(reg, "lens_agent_kernel_events_dropped_total",
				    "Kernel events dropped: ring_full (kernel side), rate_limit (per "
				    "type and pod), bad_record.", "reason");
	k->m_pod_cgroups = prom_get(prom_gauge(reg, "lens_agent_kernel_pod_cgroups",
					       "Pod and container cgroups the eBPF programs watch.",
					       NULL));
	k->m_attached = prom_get(prom_gauge(reg, "lens_agent_kernel_programs_attached",
					    "eBPF programs attached.", NULL));
	struct prom_family *progs = prom_gauge(reg, "lens_agent_kernel_program_attached",
					       "1 when the eBPF program is attached, 0 when this "
					       "kernel cannot run it (see the agent's log).", "program");
	int attached = 0;
	for (int i = 0; i < k->nprogs; i++) {
		bool on = strcmp(k->progs[i].status, "attached") == 0;
		prom_set(prom_get(progs, k->progs[i].name), on);
		attached += on;
	}
	prom_set(k->m_attached, attached);
}

static void report_programs(const struct kevents *k)
{
	for (int i = 0; i < k->nprogs; i++) {
		const struct prog_state *p = &k->progs[i];
		if (strcmp(p->status, "attached") == 0)
			log_info("eBPF program attached", "program=%s", p->name);
		else
			log_info("eBPF program unavailable", "program=%s reason=%s", p->name,
				 log_q(p->reason));
	}
}

static int load_all(struct kevents *k, char *err, size_t errlen)
{
	k->events_fd = k->lost_fd = k->pods_fd = -1;
	k->vmlinux = btf__load_vmlinux_btf();
	if (!k->vmlinux)
		return snprintf(err, errlen, "no kernel BTF (/sys/kernel/btf/vmlinux): %s",
				strerror(errno)),
		       -ENOENT;
	for (size_t i = 0; i < NSKELS; i++) {
		char why[256];
		int rc = load_skel(k, i, why, sizeof why);
		if (rc && i == 0) {
			snprintf(err, errlen, "%s", why);
			return rc;
		}
		if (rc)
			add_prog(k, skels[i].name, "unavailable", why);
	}
	if (k->events_fd < 0)
		return snprintf(err, errlen, "no eBPF program this kernel can run"), -ENOTSUP;
	return 0;
}

static void free_all(struct kevents *k)
{
	for (int i = 0; i < k->nprogs; i++)
		bpf_link__destroy(k->progs[i].link);
	for (size_t i = 0; i < NSKELS; i++)
		if (k->skel[i])
			skels[i].destroy(k->skel[i]);
	ring_buffer__free(k->rb);
	btf__free(k->vmlinux);
	cgindex_free(k->cgroups);
	json_decref(k->buckets);
	pthread_mutex_destroy(&k->lock);
	free(k->node);
	free(k);
}

int kevents_open(const struct kevents_config *cfg, struct prom_registry *reg,
		 struct kevents **out, char *err, size_t errlen)
{
	struct kevents *k = xcalloc(1, sizeof *k);
	k->cfg = *cfg;
	k->node = xstrdup(cfg->node ? cfg->node : "");
	k->buckets = json_object();
	k->boot_to_unix = boot_to_unix_ns();
	pthread_mutex_init(&k->lock, NULL);
	libbpf_set_print(libbpf_log);
	char why[256] = "";
	kevents_mount_fs(why, sizeof why);
	int rc = load_all(k, err, errlen);
	if (!rc && !(k->rb = ring_buffer__new(k->events_fd, on_record, k, NULL)))
		rc = -errno, snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(-rc));
	if (rc) {
		free_all(k);
		return rc;
	}
	report_programs(k);
	/* The kernel's BTF (megabytes) was needed to choose the programs only;
	 * hand the memory of parsing it back too. */
	btf__free(k->vmlinux);
	k->vmlinux = NULL;
	malloc_trim(0);
	k->cgroups = cgindex_new(cfg->cgroup_root, why, sizeof why);
	if (!k->cgroups)
		log_info("kernel events without pod attribution", "reason=%s", log_q(why));
	init_metrics(k, reg);
	refresh_pods(k);
	if (cfg->drop_caps)
		drop_capabilities();
	*out = k;
	return 0;
}

int kevents_run(struct kevents *k, kevents_sink_fn sink, void *arg)
{
	k->sink = sink, k->sink_arg = arg;
	if (pthread_create(&k->thread, NULL, collector, k))
		return -EAGAIN;
	k->running = true;
	return 0;
}

void kevents_set_trace_fn(struct kevents *k, kevents_trace_fn fn, void *arg)
{
	pthread_mutex_lock(&k->lock);
	k->trace_fn = fn;
	k->trace_arg = arg;
	pthread_mutex_unlock(&k->lock);
}

void kevents_set_podmap(struct kevents *k, struct podmap *pm)
{
	pthread_mutex_lock(&k->lock);
	k->pm = pm;
	pthread_mutex_unlock(&k->lock);
}

void kevents_stop(struct kevents *k)
{
	if (!k)
		return;
	k->stop = true;
	if (k->running)
		pthread_join(k->thread, NULL);
	/* What the ring still holds is handed over before the programs go. */
	ring_buffer__consume(k->rb);
	free_all(k);
}

json_t *kevents_programs(struct kevents *k)
{
	json_t *a = json_array();
	for (int i = 0; i < k->nprogs; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "program", k->progs[i].name,
						   "status", k->progs[i].status, "reason",
						   k->progs[i].reason));
	return a;
}
