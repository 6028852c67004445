/* lens-agent: one per GPU node. Collects what the node knows and streams
 * it to lens-aggregator through the spool and sender; serves its own
 * /metrics and /healthz. Subcommands: run (default), version. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "version.h"
#include "clock.h"
#include "config.h"
#include "emit.h"
#include "devices.h"
#include "httpd.h"
#include "inventory.h"
#include "log.h"
#include "nodeinfo.h"
#include "kevents.h"
#include "kevstream.h"
#include "logtail.h"
#include "oci.h"
#include "podmap.h"
#include "procscan.h"
#include "procstat.h"
#include "profiler.h"
#include "sender.h"
#include "spool.h"

struct agent_config {
	char *aggregator, *node_name, *host_root, *spool_dir, *listen, *log_level;
	char *tls_ca, *tls_cert_key, *tls_server_name, *gpu_backend, *sysfs_root;
	char *kubelet_url, *kubelet_token, *kubelet_ca, *podres_socket, *oci_dirs, *pod_log_dir;
	int64_t spool_max, spool_segment, heartbeat, request_timeout, reconnect_min,
		reconnect_max, drain_timeout, sample_interval, pod_interval, kubelet_interval,
		kubelet_timeout, pod_resend;
	long long inflight;
	double temp_limit, kevent_rate;
	bool kubelet_insecure, kernel_events, kernel_events_all;
	int64_t kevent_ring, duration;
	char *kevent_types, *cgroup_root, *log_state;
	bool logs;
	int64_t log_max_line, log_batch_bytes, log_batch_delay, log_rescan;
	bool profiler;
	char *profiler_dirs, *profiler_state;
	int64_t profiler_interval, profiler_settle, profiler_max_bytes;
	long long profiler_max_events;
};

struct agent {
	struct agent_config cfg;
	struct nodeinfo ni;
	struct prom_registry *reg;
	struct spool *spool;
	struct sender *sender;
	struct httpd *http;
	struct devices *devices;
	struct podmap *podmap;
	struct kevents *kevents;
	struct kevstream *kevstream;
	struct logtail *logtail;
	struct profiler *profiler;
	struct emitter em;
	int64_t start_ns;
	struct prom_metric *m_heartbeats, *m_emit_errors;
};

static struct agent_config C;

static const struct cfg_opt options[] = {
	{"aggregator", "LENS_AGGREGATOR", CFG_STR, &C.aggregator, "tcp://127.0.0.1:9470",
	 "aggregator URLs, comma-separated (tcp://, ipc://, tls+tcp://)"},
	{"node-name", "LENS_NODE_NAME", CFG_STR, &C.node_name, NULL,
	 "node name (default: $NODE_NAME, else the hostname)"},
	{"host-root", "LENS_HOST_ROOT", CFG_STR, &C.host_root, "",
	 "where the host's / is mounted when the agent runs in a container"},
	{"spool-dir", "LENS_SPOOL_DIR", CFG_STR, &C.spool_dir, "/var/lib/lens-agent/spool",
	 "directory of the on-disk spool of unacknowledged envelopes"},
	{"spool-max-bytes", "LENS_SPOOL_MAX_BYTES", CFG_SIZE, &C.spool_max, "256MiB",
	 "spool size limit"},
	{"spool-segment-bytes", "LENS_SPOOL_SEGMENT_BYTES", CFG_SIZE, &C.spool_segment, "1MiB",
	 "spool segment file size"},
	{"inflight", "LENS_INFLIGHT", CFG_INT, &C.inflight, "8",
	 "envelopes in flight at once (nng contexts)"},
	{"request-timeout", "LENS_REQUEST_TIMEOUT", CFG_DURATION, &C.request_timeout, "10s",
	 "resend an envelope not answered within this time"},
	{"reconnect-min", "LENS_RECONNECT_MIN", CFG_DURATION, &C.reconnect_min, "100ms",
	 "first reconnect delay"},
	{"reconnect-max", "LENS_RECONNECT_MAX", CFG_DURATION, &C.reconnect_max, "10s",
	 "longest reconnect delay (exponential backoff)"},
	{"heartbeat-interval", "LENS_HEARTBEAT_INTERVAL", CFG_DURATION, &C.heartbeat, "10s",
	 "time between heartbeats"},
	{"listen", "LENS_LISTEN", CFG_STR, &C.listen, ":9481",
	 "address of the agent's /metrics and /healthz"},
	{"drain-timeout", "LENS_DRAIN_TIMEOUT", CFG_DURATION, &C.drain_timeout, "5s",
	 "on SIGTERM, wait this long for in-flight envelopes (the rest stays spooled)"},
	{"tls-ca-file", "LENS_TLS_CA_FILE", CFG_STR, &C.tls_ca, NULL,
	 "tls+tcp: CA file that verifies the aggregator"},
	{"tls-cert-key-file", "LENS_TLS_CERT_KEY_FILE", CFG_STR, &C.tls_cert_key, NULL,
	 "tls+tcp: client certificate and key (PEM, one file)"},
	{"tls-server-name", "LENS_TLS_SERVER_NAME", CFG_STR, &C.tls_server_name, NULL,
	 "tls+tcp: server name to verify"},
	{"gpu-backend", "LENS_GPU_BACKEND", CFG_STR, &C.gpu_backend, "auto",
	 "GPU backend: rocm_smi, sysfs, or auto (rocm_smi when it initialises, else sysfs)"},
	{"backend", NULL, CFG_STR, &C.gpu_backend, "auto", "same as --gpu-backend"},
	{"sample-interval", "LENS_SAMPLE_INTERVAL", CFG_DURATION, &C.sample_interval, "5s",
	 "time between GPU and InfiniBand samples"},
	{"temp-limit", "LENS_TEMP_LIMIT", CFG_DOUBLE, &C.temp_limit, "95",
	 "GPU temperature (celsius) at or above which the GPU is unhealthy"},
	{"sysfs-root", "LENS_SYSFS_ROOT", CFG_STR, &C.sysfs_root, "",
	 "prefix for /sys when reading devices (tests; \"\" on a node)"},
	{"pod-interval", "LENS_POD_INTERVAL", CFG_DURATION, &C.pod_interval, "1s",
	 "time between pod-mapping scans (processes, OCI specs, pod-resources)"},
	{"kubelet-url", "LENS_KUBELET_URL", CFG_STR, &C.kubelet_url, "",
	 "kubelet API for pod metadata, e.g. https://$NODE_IP:10250 (\"\": /var/log/pods names only)"},
	{"kubelet-token-file", "LENS_KUBELET_TOKEN_FILE", CFG_STR, &C.kubelet_token,
	 "/var/run/secrets/kubernetes.io/serviceaccount/token",
	 "bearer token for the kubelet (read on every call)"},
	{"kubelet-ca-file", "LENS_KUBELET_CA_FILE", CFG_STR, &C.kubelet_ca, "",
	 "CA that verifies the kubelet's certificate (\"\": system CAs)"},
	{"kubelet-insecure", "LENS_KUBELET_INSECURE", CFG_BOOL, &C.kubelet_insecure, "false",
	 "do not verify the kubelet's certificate (it is often self-signed)"},
	{"kubelet-interval", "LENS_KUBELET_INTERVAL", CFG_DURATION, &C.kubelet_interval, "10s",
	 "time between pod list refreshes (sooner when an unknown pod appears)"},
	{"kubelet-timeout", "LENS_KUBELET_TIMEOUT", CFG_DURATION, &C.kubelet_timeout, "3s",
	 "timeout of kubelet and pod-resources calls"},
	{"pod-resources-socket", "LENS_POD_RESOURCES_SOCKET", CFG_STR, &C.podres_socket,
	 "/var/lib/kubelet/pod-resources/kubelet.sock",
	 "kubelet pod-resources gRPC socket (\"\": do not ask)"},
	{"oci-state-dirs", "LENS_OCI_STATE_DIRS", CFG_STR, &C.oci_dirs, OCI_DEFAULT_DIRS,
	 "container runtime state directories holding each container's config.json"},
	{"pod-log-dir", "LENS_POD_LOG_DIR", CFG_STR, &C.pod_log_dir, "/var/log/pods",
	 "kubelet's pod log directory (pod names when the kubelet API is not available)"},
	{"logs", "LENS_LOGS", CFG_BOOL, &C.logs, "true",
	 "tail the container logs under --pod-log-dir and send them"},
	{"log-state-file", "LENS_LOG_STATE_FILE", CFG_STR, &C.log_state, "",
	 "where acknowledged log offsets are kept (\"\": <spool-dir>/logs.state)"},
	{"log-max-line", "LENS_LOG_MAX_LINE", CFG_SIZE, &C.log_max_line, "64KiB",
	 "longer log lines are cut, with a marker"},
	{"log-batch-bytes", "LENS_LOG_BATCH_BYTES", CFG_SIZE, &C.log_batch_bytes, "1MiB",
	 "a log batch goes out at this size ..."},
	{"log-batch-delay", "LENS_LOG_BATCH_DELAY", CFG_DURATION, &C.log_batch_delay, "1s",
	 "... or this old"},
	{"log-rescan", "LENS_LOG_RESCAN", CFG_DURATION, &C.log_rescan, "2s",
	 "walk of the log directory besides inotify"},
	{"pod-map-resend", "LENS_POD_MAP_RESEND", CFG_DURATION, &C.pod_resend, "5m",
	 "send an unchanged pod map again after this long (fresh per-process VRAM)"},
	{"profiler", "LENS_PROFILER", CFG_BOOL, &C.profiler, "true",
	 "find, analyse and send the PyTorch profiler traces pod processes write"},
	{"profiler-dirs", "LENS_PROFILER_DIRS", CFG_STR, &C.profiler_dirs, ".,/tmp,/workspace",
	 "directories walked in every pod container (\".\": each process's working directory, unless /)"},
	{"profiler-interval", "LENS_PROFILER_INTERVAL", CFG_DURATION, &C.profiler_interval, "30s",
	 "time between walks for profiler traces"},
	{"profiler-settle", "LENS_PROFILER_SETTLE", CFG_DURATION, &C.profiler_settle, "30s",
	 "a trace unchanged this long is complete"},
	{"profiler-max-bytes", "LENS_PROFILER_MAX_BYTES", CFG_SIZE, &C.profiler_max_bytes, "256MiB",
	 "traces larger than this on disk send their analysis only (0: never the content)"},
	{"profiler-max-events", "LENS_PROFILER_MAX_EVENTS", CFG_INT, &C.profiler_max_events,
	 "2000000", "events an analysis keeps (about 100 bytes each); past it the report is partial"},
	{"profiler-state-file", "LENS_PROFILER_STATE_FILE", CFG_STR, &C.profiler_state, "",
	 "where the keys of sent traces are kept (\"\": <spool-dir>/profiler.state)"},
	{"kernel-events", "LENS_KERNEL_EVENTS", CFG_BOOL, &C.kernel_events, "true",
	 "catch OOM kills, exits, signals, execs, hardware errors and GPU resets with eBPF"},
	{"kernel-events-all", "LENS_KERNEL_EVENTS_ALL", CFG_BOOL, &C.kernel_events_all, "false",
	 "exits, execs and signals of every process, not only those in pods"},
	{"cgroup-root", "LENS_CGROUP_ROOT", CFG_STR, &C.cgroup_root, "",
	 "the host's cgroup v2 hierarchy (\"\": the cgroup2 mount; in a pod: /host/sys/fs/cgroup)"},
	{"kernel-ring-bytes", "LENS_KERNEL_RING_BYTES", CFG_SIZE, &C.kevent_ring, "256KiB",
	 "eBPF ring buffer size (a power of two)"},
	{"kernel-event-rate", "LENS_KERNEL_EVENT_RATE", CFG_DOUBLE, &C.kevent_rate, "50",
	 "kernel events per second per type and pod before dropping (burst: twice that; 0: no limit)"},
	{"duration", NULL, CFG_DURATION, &C.duration, "0s",
	 "kevents: stop after this long (0: at Ctrl-C)"},
	{"type", NULL, CFG_STR, &C.kevent_types, "",
	 "kevents: only these types, comma-separated (oom_kill,exit,signal,exec,...)"},
	{"log-level", "LENS_LOG_LEVEL", CFG_STR, &C.log_level, "info", "debug, info, warn, error"},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const char usage[] =
	"usage: lens-agent [flags] [run|inventory|version] [flags]\n\n"
	"Collects node, device and workload data and streams it to lens-aggregator.\n"
	"  run        run the agent (default)\n"
	"  inventory  print this node's GPUs and HCAs with one sample each as JSON, and exit\n"
	"  processes  print each process holding or using a GPU or HCA, with its pod, as JSON\n"
	"  pods       print this node's pod/device map (docs/pods.md) as JSON, and exit\n"
	"  kevents    print kernel events as JSON lines until interrupted (--duration, --type,\n"
	"             --kernel-events-all), without an aggregator";

/* HTTP --------------------------------------------------------------------- */

static void handle_metrics(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	struct agent *a = arg;
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	prom_render(a->reg, &resp->body);
}

static void handle_healthz(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	struct agent *a = arg;
	struct spool_stats ss;
	struct sender_stats st;
	spool_get_stats(a->spool, &ss);
	sender_get_stats(a->sender, &st);
	http_json(resp, 200,
		  json_pack("{s:s,s:s,s:s,s:i,s:I,s:I}", "status", "ok", "node", a->ni.node_name,
			    "version", LENS_VERSION, "aggregator_connections", st.connected,
			    "spool_records", (json_int_t)ss.records, "spool_bytes",
			    (json_int_t)ss.bytes));
}

/* The current pod/device map, as `lens-agent pods` prints it. */
static void handle_pods(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)req;
	struct agent *a = arg;
	json_t *doc = podmap_snapshot(a->podmap);
	http_json(resp, 200, doc ? doc : json_object());
}

static const struct http_route routes[] = {
	{"GET", "/metrics", handle_metrics, false},
	{"GET", "/pods", handle_pods, false},
	{"GET", "/healthz", handle_healthz, false},
	{NULL, NULL, NULL, false},
};

/* Payloads ----------------------------------------------------------------- */

static void emit_checked(struct agent *a, unsigned stream, Envelope *e, const char *what)
{
	int rc = emit_envelope(&a->em, stream, e);
	if (rc && rc != -ENOSPC) {
		prom_inc(a->m_emit_errors);
		log_error("cannot spool envelope", "payload=%s err=%s", what, log_q(strerror(-rc)));
	}
}

static void send_node_info(struct agent *a)
{
	Lens__V1__NodeInfo ni = LENS__V1__NODE_INFO__INIT;
	Envelope e = LENS__V1__ENVELOPE__INIT;
	nodeinfo_to_proto(&a->ni, &ni);
	ni.agent_version = (char *)LENS_VERSION;
	ni.agent_start_unix_s = a->start_ns / NS_PER_SEC;
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_NODE_INFO;
	e.node_info = &ni;
	emit_checked(a, LENS__V1__STREAM__STREAM_CONTROL, &e, "node_info");
}

static void send_heartbeat(struct agent *a)
{
	Lens__V1__Heartbeat hb = LENS__V1__HEARTBEAT__INIT;
	Envelope e = LENS__V1__ENVELOPE__INIT;
	struct spool_stats ss;
	spool_get_stats(a->spool, &ss);
	hb.agent_uptime_s = (clock_now_ns() - a->start_ns) / NS_PER_SEC;
	hb.spool_records = ss.records;
	hb.spool_bytes = ss.bytes;
	hb.dropped_total = ss.dropped;
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
	e.heartbeat = &hb;
	emit_checked(a, LENS__V1__STREAM__STREAM_CONTROL, &e, "heartbeat");
	prom_inc(a->m_heartbeats);
}

/* Lifecycle ---------------------------------------------------------------- */

static struct kevents_config kevents_config_from(const struct agent_config *c, const char *node,
						 bool drop_caps)
{
	return (struct kevents_config){.node = node, .watch_all = c->kernel_events_all,
				       .ring_bytes = (size_t)c->kevent_ring,
				       .rate_per_pod = c->kevent_rate, .refresh_ns = NS_PER_SEC,
				       .cgroup_root = c->cgroup_root, .drop_caps = drop_caps};
}

static struct podmap_config podmap_config_from(const struct agent_config *c, const char *node)
{
	return (struct podmap_config){
		.node = node, .proc_root = c->host_root, .sysfs_root = c->sysfs_root,
		.oci_dirs = c->oci_dirs, .podres_socket = c->podres_socket,
		.log_dir = c->pod_log_dir,
		.kubelet = {c->kubelet_url, c->kubelet_token, c->kubelet_ca, c->kubelet_insecure,
			    c->kubelet_timeout},
		.interval_ns = c->pod_interval, .kubelet_interval_ns = c->kubelet_interval,
		.resend_ns = c->pod_resend};
}

static int start_profiler(struct agent *a, char *err, size_t errlen)
{
	const struct agent_config *c = &a->cfg;
	char state[4096];
	snprintf(state, sizeof state, "%s/profiler.state", c->spool_dir);
	struct profiler_config pc = {
		.proc_root = c->host_root, .dirs = c->profiler_dirs,
		.state_path = *c->profiler_state ? c->profiler_state : state,
		.interval_ns = c->profiler_interval, .settle_ns = c->profiler_settle,
		.max_content_bytes = c->profiler_max_bytes,
		.max_events = (uint64_t)(c->profiler_max_events > 0 ? c->profiler_max_events : 1)};
	return profiler_start(&pc, &a->em, a->podmap, a->reg, &a->profiler, err, errlen);
}

static int start(struct agent *a, char *err, size_t errlen)
{
	struct agent_config *c = &a->cfg;
	int rc = nodeinfo_collect(&a->ni, c->node_name, c->host_root, err, errlen);
	if (rc)
		return rc;
	a->reg = prom_registry_new();
	procstat_register(a->reg);
	prom_set(prom_get(prom_gauge(a->reg, "lens_agent_info", "Agent build and node.",
				     "version,node"),
			  LENS_VERSION, a->ni.node_name),
		 1);
	a->m_heartbeats = prom_get(prom_counter(a->reg, "lens_agent_heartbeats_total",
						"Heartbeats spooled.", NULL));
	a->m_emit_errors = prom_get(prom_counter(a->reg, "lens_agent_emit_errors_total",
						 "Envelopes that could not be spooled.", NULL));
	/* Kernel events first: loading needs privileges the agent then drops,
	 * before any other thread exists to keep them. */
	if (c->kernel_events) {
		struct kevents_config kc = kevents_config_from(c, a->ni.node_name, true);
		char why[512];
		if (kevents_open(&kc, a->reg, &a->kevents, why, sizeof why))
			log_info("kernel events unavailable; running without them",
				 "reason=%s", log_q(why));
	}
	struct spool_config sc = {c->spool_dir, c->spool_max, c->spool_segment};
	if ((rc = spool_open(&sc, a->reg, &a->spool, err, errlen)))
		return rc;
	struct sender_config sdc = {c->aggregator,    (int)c->inflight, c->request_timeout,
				    c->reconnect_min, c->reconnect_max, c->tls_ca,
				    c->tls_cert_key,  c->tls_server_name};
	if ((rc = sender_start(&sdc, a->spool, a->reg, &a->sender, err, errlen)))
		return rc;
	a->em = (struct emitter){a->spool, a->sender, a->ni.node_name, a->ni.boot_id};
	struct devices_config dc = {c->gpu_backend, c->sysfs_root, c->sample_interval,
				    c->temp_limit, a->ni.node_name};
	if ((rc = devices_start(&dc, &a->em, a->reg, &a->devices, err, errlen)))
		return rc;
	struct podmap_config pc = podmap_config_from(c, a->ni.node_name);
	if ((rc = podmap_start(&pc, a->devices, &a->em, a->reg, &a->podmap, err, errlen)))
		return rc;
	devices_set_owner_fn(a->devices, podmap_owner, a->podmap);
	if (c->logs) {
		char state[4096];
		snprintf(state, sizeof state, "%s/logs.state", c->spool_dir);
		struct logtail_config lc = {c->pod_log_dir, *c->log_state ? c->log_state : state,
					    (size_t)c->log_max_line, (size_t)c->log_batch_bytes,
					    c->log_batch_delay, c->log_rescan};
		if ((rc = logtail_start(&lc, &a->em, a->spool, a->reg, &a->logtail, err, errlen)))
			return rc;
	}
	if (c->profiler && (rc = start_profiler(a, err, errlen)))
		return rc;
	if (a->kevents) {
		kevents_set_podmap(a->kevents, a->podmap);
		if (a->profiler)
			kevents_set_trace_fn(a->kevents, profiler_offer, a->profiler);
		a->kevstream = kevstream_new(&a->em, 256, NS_PER_SEC);
		if ((rc = kevents_run(a->kevents, kevstream_add, a->kevstream)))
			return snprintf(err, errlen, "cannot start the kernel event thread"), rc;
	}
	/* Last: /healthz answers once everything it reports on is running. */
	struct httpd_config hc = {.listen = c->listen, .threads = 1, .max_body = 1 << 16,
				  .max_header_bytes = 16384, .metric_prefix = "lens_agent"};
	if ((rc = httpd_start(&hc, routes, a, a->reg, &a->http, err, errlen)))
		return rc;
	return 0;
}

static void stop_profiler(struct agent *a)
{
	if (a->kevents)
		kevents_set_trace_fn(a->kevents, NULL, NULL);
	profiler_stop(a->profiler);
	a->profiler = NULL;
}

static void stop(struct agent *a)
{
	httpd_stop(a->http);
	logtail_stop(a->logtail);
	stop_profiler(a);
	kevents_stop(a->kevents);      /* drains the ring into the stream */
	kevstream_free(a->kevstream);  /* and the stream into the spool */
	if (a->devices)
		devices_set_owner_fn(a->devices, NULL, NULL);
	podmap_stop(a->podmap);
	devices_stop(a->devices);
	sender_stop(a->sender);
	spool_close(a->spool);
	prom_registry_free(a->reg);
}

/* Heartbeats until SIGTERM or SIGINT; returns the signal. */
static int run_loop(struct agent *a, const sigset_t *sigs)
{
	send_node_info(a);
	for (;;) {
		send_heartbeat(a);
		struct timespec ts = {a->cfg.heartbeat / NS_PER_SEC, a->cfg.heartbeat % NS_PER_SEC};
		int sig = sigtimedwait(sigs, NULL, &ts);
		if (sig > 0)
			return sig;
	}
}

static int run(struct agent *a)
{
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before any thread starts */
	signal(SIGPIPE, SIG_IGN);

	char err[512];
	a->start_ns = clock_now_ns();
	if (start(a, err, sizeof err)) {
		log_error("cannot start", "err=%s", log_q(err));
		stop(a);
		return 1;
	}
	log_info("agent started", "node=%s boot_id=%s aggregator=%s spool=%s listen=%s "
		 "version=%s", log_q(a->ni.node_name), a->ni.boot_id, log_q(a->cfg.aggregator),
		 log_q(a->cfg.spool_dir), log_q(a->cfg.listen), LENS_VERSION);
	int sig = run_loop(a, &sigs);
	log_info("draining", "signal=%s timeout_ms=%lld", strsignal(sig) ? log_q(strsignal(sig)) : "?",
		 (long long)(a->cfg.drain_timeout / NS_PER_MS));
	/* The tailer sends what it has read first, then everything drains. */
	logtail_stop(a->logtail);
	a->logtail = NULL;
	stop_profiler(a); /* a file half sent is sent whole next start */
	int drained = sender_drain(a->sender, a->cfg.drain_timeout);
	struct spool_stats ss;
	spool_get_stats(a->spool, &ss);
	log_info("agent stopped", "drained=%s spooled_records=%llu heartbeats=%.0f",
		 drained ? "false" : "true", (unsigned long long)ss.records,
		 prom_value(a->m_heartbeats));
	stop(a);
	return 0;
}

/* `lens-agent inventory`: no aggregator, no spool; JSON on stdout. */
static int inventory(void)
{
	char err[512];
	const char *name = C.gpu_backend;
	if (strcmp(name, "auto") == 0) {
		json_t *doc = inventory_collect(&gpu_rocmsmi_ops, C.sysfs_root, err, sizeof err);
		if (doc) {
			json_dumpf(doc, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(doc);
			return 0;
		}
		log_info("ROCm SMI unavailable; reading sysfs", "reason=%s", log_q(err));
		name = "sysfs";
	}
	const struct gpu_backend_ops *ops = gpu_backend_find(name);
	if (!ops) {
		fprintf(stderr, "lens-agent: unknown GPU backend \"%s\" (rocm_smi, sysfs, auto)\n",
			name);
		return 2;
	}
	json_t *doc = inventory_collect(ops, C.sysfs_root, err, sizeof err);
	if (!doc) {
		fprintf(stderr, "lens-agent: %s backend: %s\n", ops->name, err);
		return 1;
	}
	json_dumpf(doc, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(doc);
	return 0;
}

static void print_process(const struct proc_entry *e, void *arg)
{
	(void)arg;
	static const char *const kinds[] = {"kfd", "gpu", "ib"};
	json_t *devs = json_array();
	for (int i = 0; i < e->ndevices; i++) {
		const struct proc_device *d = &e->devices[i];
		json_t *o = json_pack("{s:s,s:s,s:b,s:b}", "kind", kinds[d->kind], "id", d->id,
				      "held", d->held, "used", d->used);
		if (d->vram_bytes >= 0)
			json_object_set_new(o, "vram_bytes", json_integer(d->vram_bytes));
		json_array_append_new(devs, o);
	}
	json_t *pod = e->pod.in_pod ? json_pack("{s:s,s:s,s:s,s:s,s:b}", "uid", e->pod.pod_uid,
						   "qos", e->pod.qos, "container_id",
						   e->pod.container_id, "runtime", e->pod.runtime,
						   "conmon", e->pod.conmon)
				    : json_null();
	json_t *o = json_pack("{s:i,s:s,s:o,s:o}", "pid", e->pid, "comm", e->comm, "pod", pod,
			      "devices", devs);
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
}

/* `lens-agent processes`: one JSON line per process using devices. */
static int processes(void)
{
	int n = procscan_run(C.host_root, C.sysfs_root, 0, print_process, NULL);
	if (n < 0) {
		fprintf(stderr, "lens-agent: cannot read %s/proc: %s\n", C.host_root, strerror(-n));
		return 1;
	}
	return 0;
}

/* `lens-agent pods`: one scan, the map on stdout. */
static int pods(void)
{
	char err[512];
	struct prom_registry *reg = prom_registry_new();
	struct devices *d = NULL;
	struct podmap *pm = NULL;
	struct nodeinfo ni;
	if (nodeinfo_collect(&ni, C.node_name, C.host_root, err, sizeof err)) {
		fprintf(stderr, "lens-agent: %s\n", err);
		prom_registry_free(reg);
		return 1;
	}
	struct devices_config dc = {C.gpu_backend, C.sysfs_root, 0, C.temp_limit, ni.node_name};
	struct podmap_config pc = podmap_config_from(&C, ni.node_name);
	pc.interval_ns = 0;
	int rc = devices_start(&dc, NULL, reg, &d, err, sizeof err);
	if (!rc)
		rc = podmap_start(&pc, d, NULL, reg, &pm, err, sizeof err);
	if (rc) {
		fprintf(stderr, "lens-agent: %s\n", err);
	} else {
		json_t *doc = podmap_snapshot(pm);
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(doc);
	}
	podmap_stop(pm);
	devices_stop(d);
	prom_registry_free(reg);
	return rc ? 1 : 0;
}

/* `lens-agent kevents`: each event as one JSON line, like tetragon observe. */
static bool type_wanted(const char *types, const char *type)
{
	if (!*types)
		return true;
	size_t n = strlen(type);
	for (const char *p = types; (p = strstr(p, type)); p += n)
		if ((p == types || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static void print_event(json_t *ev, void *arg)
{
	(void)arg;
	if (!type_wanted(C.kevent_types, json_string_value(json_object_get(ev, "type"))))
		return;
	json_dumpf(ev, stdout, JSON_COMPACT);
	putchar('\n');
	fflush(stdout);
}

static int watch_kevents(void)
{
	char err[512];
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	struct nodeinfo ni;
	if (nodeinfo_collect(&ni, C.node_name, C.host_root, err, sizeof err)) {
		fprintf(stderr, "lens-agent: %s\n", err);
		return 1;
	}
	struct prom_registry *reg = prom_registry_new();
	struct kevents *k = NULL;
	struct kevents_config kc = kevents_config_from(&C, ni.node_name, false);
	int rc = kevents_open(&kc, reg, &k, err, sizeof err);
	if (rc) {
		fprintf(stderr, "lens-agent: kernel events unavailable: %s\n", err);
		prom_registry_free(reg);
		return 1;
	}
	kevents_run(k, print_event, NULL);
	struct timespec ts = {C.duration / NS_PER_SEC, C.duration % NS_PER_SEC};
	sigtimedwait(&sigs, NULL, C.duration > 0 ? &ts : NULL);
	kevents_stop(k);
	prom_registry_free(reg);
	return 0;
}

int main(int argc, char **argv)
{
	char err[512];
	int argi = 1;
	int rc = cfg_parse(options, argc, argv, &argi, err, sizeof err);
	if (rc == 1) {
		cfg_usage(stdout, usage, options);
		return 0;
	}
	enum log_level lvl = LOG_INFO;
	if (rc || log_parse_level(C.log_level, &lvl)) {
		fprintf(stderr, "lens-agent: %s\n", rc ? err : "bad --log-level");
		cfg_free(options);
		return 2;
	}
	log_init("agent", lvl);
	const char *cmd = argi < argc ? argv[argi++] : "run";
	if (argi < argc && (rc = cfg_parse_flags(options, argc, argv, &argi, err, sizeof err))) {
		fprintf(stderr, "lens-agent: %s\n", rc == 1 ? "see --help" : err);
		cfg_free(options);
		return 2;
	}
	if (strcmp(cmd, "version") == 0) {
		printf("lens-agent %s\n", LENS_VERSION);
		rc = 0;
	} else if (strcmp(cmd, "inventory") == 0) {
		rc = inventory();
	} else if (strcmp(cmd, "processes") == 0) {
		rc = processes();
	} else if (strcmp(cmd, "pods") == 0) {
		rc = pods();
	} else if (strcmp(cmd, "kevents") == 0) {
		rc = watch_kevents();
	} else if (strcmp(cmd, "run") == 0) {
		struct agent a = {.cfg = C};
		rc = run(&a);
	} else {
		fprintf(stderr, "lens-agent: unknown command \"%s\" (see --help)\n", cmd);
		rc = 2;
	}
	cfg_free(options);
	return rc;
}
