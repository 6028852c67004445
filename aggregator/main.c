/* lens-aggregator: receives every node's envelopes over nng, stores them
 * in PostgreSQL and serves the REST API. Subcommands: run (default),
 * migrate (apply the schema and exit), version. */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "version.h"
#include "alertrules.h"
#include "alerts.h"
#include "notify.h"
#include "api.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "analysis.h"
#include "devcache.h"
#include "podcache.h"
#include "httpd.h"
#include "ingest.h"
#include "log.h"
#include "migrate.h"
#include "procstat.h"
#include "receiver.h"
#include "retention.h"
#include "trainlog.h"
#include "training.h"
#include "ticker.h"

struct agg_config {
	char *listen, *http_listen, *db_url, *token, *tls_cert_key, *tls_ca, *log_level;
	long long pool_size, writers, max_batch, contexts, http_threads;
	int64_t offline_after, hb_retention, ledger_retention, retention_interval, history_retention,
		cache_refresh, event_retention, log_retention, training_retention,
		profiler_retention, alert_window, alert_resolve, alert_sweep, alert_retention,
		notify_interval, notify_timeout, notify_backoff, device_hold;
	int64_t train_flush, hang_check, hang_min, hang_max_idle, restart_gap;
	double hang_factor, slow_percent;
	long long slow_iterations, train_window, framework_lines, train_queue, notify_attempts;
};

static struct agg_config C;

static const struct cfg_opt options[] = {
	{"listen", "LENS_LISTEN", CFG_STR, &C.listen, "tcp://0.0.0.0:9470",
	 "URLs agents connect to, comma-separated (tcp://, ipc://, tls+tcp://)"},
	{"http-listen", "LENS_HTTP_LISTEN", CFG_STR, &C.http_listen, ":9480",
	 "address of the REST API, /metrics, /healthz and /readyz"},
	{"database-url", "LENS_DATABASE_URL", CFG_STR, &C.db_url, NULL,
	 "PostgreSQL connection string or URI (required)"},
	{"db-pool-size", "LENS_DB_POOL_SIZE", CFG_INT, &C.pool_size, "4",
	 "database connections for the API"},
	{"ingest-writers", "LENS_INGEST_WRITERS", CFG_INT, &C.writers, "2",
	 "ingest threads, each with its own database connection"},
	{"ingest-max-batch", "LENS_INGEST_MAX_BATCH", CFG_INT, &C.max_batch, "1000",
	 "most envelopes stored in one transaction"},
	{"contexts", "LENS_CONTEXTS", CFG_INT, &C.contexts, "512",
	 "envelopes handled at once (nng contexts)"},
	{"http-threads", "LENS_HTTP_THREADS", CFG_INT, &C.http_threads, "2", "HTTP server threads"},
	{"offline-after", "LENS_OFFLINE_AFTER", CFG_DURATION, &C.offline_after, "60s",
	 "a node without a heartbeat for this long is offline"},
	{"heartbeat-retention", "LENS_HEARTBEAT_RETENTION", CFG_DURATION, &C.hb_retention, "48h",
	 "keep heartbeat rows this long"},
	{"ledger-retention", "LENS_LEDGER_RETENTION", CFG_DURATION, &C.ledger_retention, "7d",
	 "keep the delivery ledger (duplicate detection) this long"},
	{"pod-history-retention", "LENS_POD_HISTORY_RETENTION", CFG_DURATION, &C.history_retention,
	 "90d", "keep ended device assignments and pods gone this long"},
	{"event-retention", "LENS_EVENT_RETENTION", CFG_DURATION, &C.event_retention, "30d",
	 "keep kernel events this long (whole days: partitions are dropped)"},
	{"log-retention", "LENS_LOG_RETENTION", CFG_DURATION, &C.log_retention, "3d",
	 "keep container log lines this long (whole days: partitions are dropped)"},
	{"training-retention", "LENS_TRAINING_RETENTION", CFG_DURATION, &C.training_retention,
	 "90d", "keep training metrics and events of runs that ended this long ago"},
	{"alert-correlation-window", "LENS_ALERT_CORRELATION_WINDOW", CFG_DURATION,
	 &C.alert_window, "5m", "alerts on the same pod, workload or node this close are related"},
	{"alert-resolve-timeout", "LENS_ALERT_RESOLVE_TIMEOUT", CFG_DURATION, &C.alert_resolve, "5m",
	 "an alert from an event (OOM kill, crash, ...) resolves after this unless it repeats"},
	{"alert-retention", "LENS_ALERT_RETENTION", CFG_DURATION, &C.alert_retention, "30d",
	 "keep alerts resolved (and silences ended) this long ago"},
	{"alert-sweep-interval", "LENS_ALERT_SWEEP_INTERVAL", CFG_DURATION, &C.alert_sweep, "1s",
	 "how promptly alerts expire and silences start and stop applying"},
	{"device-alert-hold", "LENS_DEVICE_ALERT_HOLD", CFG_DURATION, &C.device_hold, "1m",
	 "a device-health alert resolves when no sample kept it up for this long"},
	{"notify-interval", "LENS_NOTIFY_INTERVAL", CFG_DURATION, &C.notify_interval, "1s",
	 "time between passes that group alerts and deliver notifications"},
	{"notify-timeout", "LENS_NOTIFY_TIMEOUT", CFG_DURATION, &C.notify_timeout, "10s",
	 "one notification delivery's timeout"},
	{"notify-backoff", "LENS_NOTIFY_BACKOFF", CFG_DURATION, &C.notify_backoff, "5s",
	 "a failed delivery is retried after this, doubling each time"},
	{"notify-attempts", "LENS_NOTIFY_ATTEMPTS", CFG_INT, &C.notify_attempts, "6",
	 "deliveries tried before a notification is logged as failed"},
	{"profiler-retention", "LENS_PROFILER_RETENTION", CFG_DURATION, &C.profiler_retention,
	 "30d", "keep profiler traces (analysis and content) received this long ago"},
	{"training-flush-interval", "LENS_TRAINING_FLUSH_INTERVAL", CFG_DURATION, &C.train_flush,
	 "200ms", "time between stores of what the training analysis found"},
	{"hang-check-interval", "LENS_HANG_CHECK_INTERVAL", CFG_DURATION, &C.hang_check, "5s",
	 "time between looks for hung training runs"},
	{"hang-factor", "LENS_HANG_FACTOR", CFG_DOUBLE, &C.hang_factor, "5",
	 "a run is hung after this many of its usual gaps between iteration reports ..."},
	{"hang-min", "LENS_HANG_MIN", CFG_DURATION, &C.hang_min, "2m", "... and at least this long"},
	{"hang-max-idle", "LENS_HANG_MAX_IDLE", CFG_DURATION, &C.hang_max_idle, "24h",
	 "runs silent for longer are over, not hung"},
	{"slowdown-percent", "LENS_SLOWDOWN_PERCENT", CFG_DOUBLE, &C.slow_percent, "20",
	 "an iteration this much slower (or TFLOP/s lower) than the run's rolling median is slow ..."},
	{"slowdown-iterations", "LENS_SLOWDOWN_ITERATIONS", CFG_INT, &C.slow_iterations, "3",
	 "... and this many slow reports in a row are a slowdown"},
	{"training-window", "LENS_TRAINING_WINDOW", CFG_INT, &C.train_window, "20",
	 "reports in the rolling medians of slowdown and hang detection"},
	{"restart-gap", "LENS_RESTART_GAP", CFG_DURATION, &C.restart_gap, "30s",
	 "a pod new to a run that reports an earlier iteration after this much silence restarted it"},
	{"framework-lines", "LENS_FRAMEWORK_LINES", CFG_INT, &C.framework_lines, "2000",
	 "lines of each pod scanned for framework markers"},
	{"training-queue", "LENS_TRAINING_QUEUE", CFG_INT, &C.train_queue, "100000",
	 "training items held while the database is away (oldest dropped beyond)"},
	{"cache-refresh-interval", "LENS_CACHE_REFRESH_INTERVAL", CFG_DURATION, &C.cache_refresh,
	 "5s", "time between reads of the pod maps other replicas stored"},
	{"retention-interval", "LENS_RETENTION_INTERVAL", CFG_DURATION, &C.retention_interval,
	 "10m", "time between retention sweeps"},
	{"api-token", "LENS_API_TOKEN", CFG_STR, &C.token, NULL,
	 "bearer token required by write endpoints (none: open)"},
	{"tls-cert-key-file", "LENS_TLS_CERT_KEY_FILE", CFG_STR, &C.tls_cert_key, NULL,
	 "tls+tcp: server certificate and key (PEM, one file)"},
	{"tls-ca-file", "LENS_TLS_CA_FILE", CFG_STR, &C.tls_ca, NULL,
	 "tls+tcp: require agent certificates signed by this CA"},
	{"log-level", "LENS_LOG_LEVEL", CFG_STR, &C.log_level, "info", "debug, info, warn, error"},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const char usage[] =
	"usage: lens-aggregator [flags] [run|migrate|version|parse-training-log FILE|-]\n\n"
	"Receives agent streams, stores them in PostgreSQL and serves the Lens API.\n"
	"  parse-training-log FILE  run the training-log parser over a file (- for stdin):\n"
	"                           one JSON object per iteration line, then a summary";

struct aggregator {
	struct prom_registry *reg;
	struct db_pool *pool;
	struct api api;
	struct httpd *http;
	struct ingest *ingest;
	struct receiver *receiver;
	struct retention *retention;
	struct devcache *cache;
	struct podcache *pods;
	struct analysis *analysis;
	struct training *training;
	struct alerts *alerts;
	struct notify *notify;
	struct alertrules *rules;
	struct ticker *pods_refresh;
};

/* Applies migrations, retrying while the database is unreachable, until
 * done or a signal arrives. Returns 0, the signal, or -EIO. */
static int migrate_until_ready(const sigset_t *sigs)
{
	char err[512];
	int64_t wait_ns = 500 * NS_PER_MS;
	for (;;) {
		PGconn *c = db_connect(C.db_url, err, sizeof err);
		if (c) {
			int n = migrate_apply(c, migrate_builtin, err, sizeof err);
			PQfinish(c);
			if (n >= 0) {
				log_info("schema ready", "applied=%d", n);
				return 0;
			}
			log_error("migration failed", "err=%s", log_q(err));
			return -EIO;
		}
		log_warn("database not reachable; retrying", "err=%s retry_ms=%lld", log_q(err),
			 (long long)(wait_ns / NS_PER_MS));
		struct timespec ts = {wait_ns / NS_PER_SEC, wait_ns % NS_PER_SEC};
		int sig = sigtimedwait(sigs, NULL, &ts);
		if (sig > 0)
			return sig;
		wait_ns = wait_ns * 2 > 10 * NS_PER_SEC ? 10 * NS_PER_SEC : wait_ns * 2;
	}
}

static double cache_entries(void *arg)
{
	return (double)devcache_size(arg);
}

static int start_http(struct aggregator *g, char *err, size_t errlen)
{
	g->reg = prom_registry_new();
	procstat_register(g->reg);
	prom_set(prom_get(prom_gauge(g->reg, "lens_aggregator_info", "Aggregator build.",
				     "version"),
			  LENS_VERSION),
		 1);
	int rc = db_pool_new(C.db_url, (int)C.pool_size, &g->pool, err, errlen);
	if (rc)
		return rc;
	g->cache = devcache_new();
	prom_fn(g->reg, PROM_GAUGE, "lens_aggregator_device_cache_entries",
		"Devices (GPUs, HCA ports) whose latest sample is held in memory.", cache_entries,
		g->cache);
	g->pods = podcache_new();
	struct training_config tc = {C.train_flush, C.hang_check, C.hang_factor, C.hang_min,
				     C.hang_max_idle, C.slow_percent, (int)C.slow_iterations,
				     (int)C.train_window, C.restart_gap, (int)C.train_queue};
	g->training = training_new(&tc, g->pool, g->reg);
	g->analysis = analysis_new(g->reg, g->training, (int)C.framework_lines);
	g->api = (struct api){g->pool, g->reg, C.offline_after, g->cache, g->pods, g->analysis,
			      g->training};
	g->rules = alertrules_new(g->pool, g->pods, g->reg);
	g->api.rules = g->rules;
	analysis_set_rules(g->analysis, g->rules);
	struct httpd_config hc = {.listen = C.http_listen, .threads = (int)C.http_threads,
				  .max_body = 8 << 20, .max_header_bytes = 16384,
				  .token = C.token, .metric_prefix = "lens_aggregator"};
	return httpd_start(&hc, api_routes, &g->api, g->reg, &g->http, err, errlen);
}

/* Maps, log patterns and alert rules other replicas stored reach this one. */
static void refresh_pods(void *arg)
{
	struct aggregator *g = arg;
	char err[256];
	PGconn *c = db_acquire(g->pool, err, sizeof err);
	if (c && podcache_load(g->pods, c, err, sizeof err))
		log_warn("pod cache refresh failed", "err=%s", log_q(err));
	if (c && api_reload_patterns(&g->api, c, err, sizeof err))
		log_warn("log pattern refresh failed", "err=%s", log_q(err));
	if (c && alertrules_reload(g->rules, c, err, sizeof err))
		log_warn("alert rule refresh failed", "err=%s", log_q(err));
	if (c)
		db_release(g->pool, c);
}

static int start_pipeline(struct aggregator *g, char *err, size_t errlen)
{
	/* The pod caches come back from the database before new maps arrive. */
	PGconn *c = db_acquire(g->pool, err, errlen);
	int rc = c ? podcache_load(g->pods, c, err, errlen) : -EIO;
	if (!rc)
		rc = api_reload_patterns(&g->api, c, err, errlen);
	if (c)
		db_release(g->pool, c);
	if (rc || (rc = training_start(g->training)))
		return rc;
	struct alerts_config ac = {C.alert_window, C.alert_resolve, C.alert_sweep};
	if ((rc = alerts_start(&ac, g->pool, g->reg, &g->alerts, err, errlen)))
		return rc;
	struct notify_config nc = {C.notify_interval, C.notify_timeout, C.notify_backoff,
				   (int)C.notify_attempts};
	if ((rc = notify_start(&nc, g->pool, g->reg, &g->notify, err, errlen)))
		return rc;
	g->api.alerts = g->alerts; /* before the HTTP threads read them: see api_alerts.c */
	g->api.notify = g->notify;
	alertrules_attach(g->rules, g->alerts);
	refresh_pods(g); /* the alert rules, now that alerts can be stored */
	struct ingest_config ic = {C.db_url, (int)C.writers, (int)C.max_batch, g->cache, g->pods,
				   g->analysis, g->alerts, C.device_hold, g->rules};
	rc = ingest_start(&ic, g->reg, &g->ingest, err, errlen);
	if (rc)
		return rc;
	struct receiver_config rc_cfg = {C.listen, (int)C.contexts, C.tls_ca, C.tls_cert_key};
	if ((rc = receiver_start(&rc_cfg, g->ingest, g->reg, &g->receiver, err, errlen)))
		return rc;
	if (ticker_start(C.cache_refresh, refresh_pods, g, &g->pods_refresh)) {
		snprintf(err, errlen, "cannot start the pod cache refresh thread");
		return -EAGAIN;
	}
	struct retention_config rt = {C.retention_interval, C.hb_retention, C.ledger_retention,
				      C.history_retention, C.event_retention, C.log_retention,
				      C.training_retention, C.profiler_retention, C.alert_retention};
	return retention_start(&rt, g->pool, g->reg, &g->retention);
}

/* Drain order: stop taking envelopes, answer what was taken, then close
 * the rest. */
static void stop(struct aggregator *g)
{
	receiver_pause(g->receiver);
	ingest_stop(g->ingest);
	receiver_stop(g->receiver);
	retention_stop(g->retention);
	ticker_stop(g->pods_refresh);
	httpd_stop(g->http);
	notify_stop(g->notify);
	alerts_stop(g->alerts);
	/* After ingest and the API: what the lines they stored last showed is
	 * flushed. */
	training_stop(g->training);
	db_pool_free(g->pool);
	devcache_free(g->cache);
	podcache_free(g->pods);
	analysis_free(g->analysis);
	training_free(g->training);
	alertrules_free(g->rules);
	prom_registry_free(g->reg);
}

static int run(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: notifications use libcurl */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct aggregator g = {0};
	char err[512];
	int rc = start_http(&g, err, sizeof err);
	int sig = 0;
	if (!rc) {
		log_info("http listening", "addr=%s", log_q(C.http_listen));
		sig = migrate_until_ready(&sigs);
		rc = sig < 0 ? sig : 0;
	}
	if (!rc && !sig && (rc = start_pipeline(&g, err, sizeof err)) == 0) {
		log_info("aggregator started", "listen=%s http=%s version=%s", log_q(C.listen),
			 log_q(C.http_listen), LENS_VERSION);
		sig = sigwaitinfo(&sigs, NULL);
	}
	if (rc && rc != -EIO)
		log_error("cannot start", "err=%s", log_q(err));
	log_info("stopping", "signal=%d", sig);
	stop(&g);
	log_info("aggregator stopped");
	curl_global_cleanup();
	return rc ? 1 : 0;
}

static int migrate_only(void)
{
	char err[512];
	PGconn *c = db_connect(C.db_url, err, sizeof err);
	int n = c ? migrate_apply(c, migrate_builtin, err, sizeof err) : -EIO;
	PQfinish(c);
	if (n < 0) {
		log_error("migration failed", "err=%s", log_q(err));
		return 1;
	}
	log_info("schema ready", "applied=%d", n);
	return 0;
}

/* `lens-aggregator parse-training-log FILE`: the parser over a file, for
 * checking a new log layout. */
static int parse_training_log(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		fprintf(stderr, "lens-aggregator: %s: %s\n", path, strerror(errno));
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0, found = 0, rejected = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct trainlog_line l;
		lineno++;
		int rc = trainlog_parse(line, (size_t)n, &l);
		if (rc == 0)
			continue;
		json_t *o = rc > 0 ? json_pack("{s:I,s:s,s:o}", "line", (json_int_t)lineno, "format",
					       trainlog_format_name(l.format), "fields",
					       trainlog_fields_json(&l))
				   : json_pack("{s:I,s:s}", "line", (json_int_t)lineno, "rejected",
					       l.rejected);
		found += rc > 0, rejected += rc < 0;
		json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(10));
		putchar('\n');
		json_decref(o);
	}
	printf("{\"summary\":{\"lines\":%ld,\"iteration_lines\":%ld,\"rejected\":%ld}}\n", lineno,
	       found, rejected);
	free(line);
	if (f != stdin)
		fclose(f);
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
		fprintf(stderr, "lens-aggregator: %s\n", rc ? err : "bad --log-level");
		cfg_free(options);
		return 2;
	}
	log_init("aggregator", lvl);
	const char *cmd = argi < argc ? argv[argi] : "run";
	if (strcmp(cmd, "version") == 0) {
		printf("lens-aggregator %s\n", LENS_VERSION);
		rc = 0;
	} else if (strcmp(cmd, "parse-training-log") == 0) {
		rc = argi + 1 < argc ? parse_training_log(argv[argi + 1]) : 2;
		if (rc == 2)
			fprintf(stderr, "usage: lens-aggregator parse-training-log FILE|-\n");
	} else if (strcmp(cmd, "run") != 0 && strcmp(cmd, "migrate") != 0) {
		fprintf(stderr, "lens-aggregator: unknown command \"%s\" (see --help)\n", cmd);
		rc = 2;
	} else if (!C.db_url || !*C.db_url) {
		fprintf(stderr, "lens-aggregator: set --database-url or LENS_DATABASE_URL\n");
		rc = 2;
	} else {
		rc = strcmp(cmd, "migrate") == 0 ? migrate_only() : run();
	}
	cfg_free(options);
	return rc;
}
