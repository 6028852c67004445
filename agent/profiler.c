/* profiler: the collector's pass, the analysis on the node, the content
 * chunks and the state of what was sent. */
#include "profiler.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "clock.h"
#include "files.h"
#include "jsonx.h"
#include "log.h"
#include "profscan.h"
#include "ticker.h"
#include "trace.h"

#define STATE_MAX_KEYS 10000
#define READ_BYTES (256u << 10)
#define SPOOL_FULL_WAIT_NS (200 * NS_PER_MS)
#define STREAM LENS__V1__STREAM__STREAM_PROFILER

struct profiler {
	struct profiler_config cfg;
	struct emitter *em;
	struct podmap *pm;
	struct profscan *scan;
	struct ticker *ticker;
	atomic_bool stopping;
	char *state_path;
	struct buf sent; /* "\n<key>\n<key>\n": the state file's content */
	int nsent;
	struct prom_family *f_files;
	struct prom_metric *m_bytes, *m_seconds, *m_candidates, *m_processes;
};

/* What was sent ------------------------------------------------------------ */

static void state_load(struct profiler *p)
{
	char *data;
	buf_printf(&p->sent, "\n");
	if (files_read(p->state_path, 64u << 20, &data, NULL))
		return;
	for (char *save = NULL, *k = strtok_r(data, "\n", &save); k; k = strtok_r(NULL, "\n", &save)) {
		buf_printf(&p->sent, "%s\n", k);
		p->nsent++;
	}
	free(data);
}

static bool state_has(const struct profiler *p, const char *key)
{
	char needle[160];
	snprintf(needle, sizeof needle, "\n%s\n", key);
	return strstr(p->sent.p, needle) != NULL;
}

/* Adds key, forgetting the oldest past STATE_MAX_KEYS, and writes the
 * file. The spool is synced first: the key stands for records on disk. */
static int state_add(struct profiler *p, const char *key)
{
	buf_printf(&p->sent, "%s\n", key);
	if (++p->nsent > STATE_MAX_KEYS) {
		char *second = strchr(p->sent.p + 1, '\n');
		size_t cut = (size_t)(second - p->sent.p);
		memmove(p->sent.p, second, p->sent.len - cut + 1);
		p->sent.len -= cut;
		p->nsent--;
	}
	spool_sync(p->em->spool);
	return files_write_atomic(p->state_path, p->sent.p + 1, p->sent.len - 1);
}

/* Sending ------------------------------------------------------------------- */

/* Appends e, waiting while the spool refuses (full) unless stopping. */
static int emit_wait(struct profiler *p, Envelope *e)
{
	for (;;) {
		int rc = emit_envelope(p->em, STREAM, e);
		if (rc != -ENOSPC)
			return rc;
		if (atomic_load(&p->stopping))
			return -ECANCELED;
		struct timespec ts = {0, SPOOL_FULL_WAIT_NS};
		nanosleep(&ts, NULL);
	}
}

/* Cuts one gzip stream into chunks as it is produced. */
struct chunker {
	struct profiler *p;
	const char *key;
	uint8_t *data;
	size_t len;
	uint32_t index;
	uint64_t total;
};

static int chunk_emit(struct chunker *c, bool last)
{
	Lens__V1__ProfilerChunk pc = LENS__V1__PROFILER_CHUNK__INIT;
	Envelope e = LENS__V1__ENVELOPE__INIT;
	pc.file_key = (char *)c->key;
	pc.index = c->index++;
	pc.last = last;
	pc.data = (ProtobufCBinaryData){c->len, c->data};
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_PROFILER_CHUNK;
	e.profiler_chunk = &pc;
	int rc = emit_wait(c->p, &e);
	c->total += c->len;
	c->len = 0;
	return rc;
}

/* The file's bytes as they are: it is gzip already. */
static int send_raw(struct chunker *c, int fd)
{
	ssize_t n;
	while ((n = read(fd, c->data + c->len, PROFILER_CHUNK_BYTES - c->len)) > 0)
		if ((c->len += (size_t)n) == PROFILER_CHUNK_BYTES) {
			int rc = chunk_emit(c, false);
			if (rc)
				return rc;
		}
	return n < 0 ? -errno : chunk_emit(c, true);
}

/* deflate's output goes straight into the chunk buffer. */
static int deflate_step(struct chunker *c, z_stream *z, int flush)
{
	do {
		z->next_out = c->data + c->len;
		z->avail_out = (uInt)(PROFILER_CHUNK_BYTES - c->len);
		int zrc = deflate(z, flush);
		if (zrc == Z_STREAM_ERROR)
			return -EIO;
		c->len = PROFILER_CHUNK_BYTES - z->avail_out;
		if (c->len == PROFILER_CHUNK_BYTES) {
			int rc = chunk_emit(c, false);
			if (rc)
				return rc;
		}
		if (zrc == Z_STREAM_END)
			return 0;
	} while (z->avail_out == 0 || (flush == Z_FINISH));
	return 0;
}

static int send_deflated(struct chunker *c, int fd)
{
	z_stream z = {0};
	/* 15 + 16: a gzip wrapper, so the content is a .gz file as it is.
	 * Level 6: on the 171 MB sample, 11.2 MB in 1.7 s of one core; level 1
	 * took half the time for 15.2 MB. The store is shared and kept for
	 * weeks; a node has cores to spare for a trace now and then. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	uint8_t *in = xmalloc(READ_BYTES);
	ssize_t n;
	int rc = 0;
	while (!rc && (n = read(fd, in, READ_BYTES)) > 0) {
		z.next_in = in;
		z.avail_in = (uInt)n;
		rc = deflate_step(c, &z, Z_NO_FLUSH);
	}
	if (!rc && n < 0)
		rc = -errno;
	if (!rc) {
		z.avail_in = 0;
		rc = deflate_step(c, &z, Z_FINISH);
	}
	if (!rc)
		rc = chunk_emit(c, true);
	deflateEnd(&z);
	free(in);
	return rc;
}

static int send_content(struct profiler *p, int fd, const char *key, uint64_t *bytes)
{
	unsigned char magic[2] = {0, 0};
	if (pread(fd, magic, 2, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	struct chunker c = {p, key, xmalloc(PROFILER_CHUNK_BYTES), 0, 0, 0};
	int rc = magic[0] == 0x1f && magic[1] == 0x8b ? send_raw(&c, fd) : send_deflated(&c, fd);
	free(c.data);
	*bytes = c.total;
	return rc;
}

/* One file ------------------------------------------------------------------ */

/* The analysis on the node: status, error and report text into pf. */
static void analyse(struct profiler *p, int fd, Lens__V1__ProfilerFile *pf, char *err,
		    size_t errlen, char **report)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	json_t *out = NULL;
	int64_t t0 = clock_mono_ns();
	int rc = trace_analyze(path, p->cfg.max_events, &out, err, errlen);
	pf->analysis_seconds = (double)(clock_mono_ns() - t0) / (double)NS_PER_SEC;
	prom_add(p->m_seconds, pf->analysis_seconds);
	pf->status = rc < 0 ? "failed" : rc ? "partial" : "analysed";
	if (rc == 1)
		snprintf(err, errlen, "%s", jsonx_str(out, "error"));
	pf->error = rc ? err : "";
	*report = out ? json_dumps(out, JSONX_DUMP_FLAGS) : NULL;
	pf->analysis_json = *report ? *report : "";
	json_decref(out);
}

static void describe(struct profiler *p, const struct profscan_file *f,
		     Lens__V1__ProfilerFile *pf, json_t *who)
{
	if (p->pm)
		podmap_describe_pod(p->pm, f->pod.pod_uid, f->pod.container_id, who);
	pf->namespace_ = (char *)jsonx_str(who, "namespace");
	pf->pod = (char *)jsonx_str(who, "pod");
	pf->pod_uid = (char *)f->pod.pod_uid;
	pf->container = (char *)jsonx_str(who, "container");
	pf->container_id = (char *)f->pod.container_id;
	pf->workload = (char *)jsonx_str(who, "workload");
	pf->workload_uid = (char *)jsonx_str(who, "workload_uid");
}

static const char *content_plan(const struct profiler *p, uint64_t size)
{
	if (p->cfg.max_content_bytes <= 0)
		return "disabled";
	return size > (uint64_t)p->cfg.max_content_bytes ? "too_large" : "sending";
}

/* Sends one settled file; returns 0, or a negative errno (logged). */
static int send_file(struct profiler *p, const struct profscan_file *f, int fd, const char *key)
{
	Lens__V1__ProfilerFile pf = LENS__V1__PROFILER_FILE__INIT;
	Envelope e = LENS__V1__ENVELOPE__INIT;
	json_t *who = json_object();
	char err[512] = "", *report = NULL;
	pf.file_key = (char *)key;
	pf.path = (char *)f->path;
	pf.pid = f->pid;
	pf.size_bytes = f->size;
	pf.modified_unix_ns = f->mtime_ns;
	pf.found_unix_ns = clock_now_ns();
	pf.content = (char *)content_plan(p, f->size);
	pf.max_content_bytes = (uint64_t)(p->cfg.max_content_bytes > 0 ? p->cfg.max_content_bytes : 0);
	describe(p, f, &pf, who);
	analyse(p, fd, &pf, err, sizeof err, &report);
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_PROFILER_FILE;
	e.profiler_file = &pf;
	int rc = emit_wait(p, &e);
	uint64_t bytes = 0;
	if (!rc && strcmp(pf.content, "sending") == 0)
		rc = send_content(p, fd, key, &bytes);
	prom_add(p->m_bytes, (double)bytes);
	prom_inc(prom_get(p->f_files, rc ? "send_failed" : pf.status));
	log_write(rc ? LOG_WARN : LOG_INFO, rc ? "profiler trace not sent" : "profiler trace sent",
		  "path=%s pod_uid=%s workload=%s size=%llu status=%s analysis_s=%.3f content=%s "
		  "content_bytes=%llu%s%s",
		  log_q(f->path), f->pod.pod_uid, log_q(pf.workload), (unsigned long long)f->size,
		  pf.status, pf.analysis_seconds, pf.content, (unsigned long long)bytes,
		  *pf.error ? " error=" : "", *pf.error ? log_q(pf.error) : "");
	if (!rc)
		rc = state_add(p, key);
	free(report);
	json_decref(who);
	return rc;
}

static void on_settled(const struct profscan_file *f, void *arg)
{
	struct profiler *p = arg;
	if (atomic_load(&p->stopping))
		return;
	int fd = profscan_open(p->scan, f);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		prom_inc(prom_get(p->f_files, "unreadable"));
		if (fd >= 0)
			close(fd);
		return;
	}
	char key[160];
	int64_t mtime = (int64_t)st.st_mtim.tv_sec * NS_PER_SEC + st.st_mtim.tv_nsec;
	snprintf(key, sizeof key, "%llu:%llu:%lld:%lld", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino, (long long)mtime, (long long)st.st_size);
	/* Changed since it settled: the next passes see it settle again. */
	if ((uint64_t)st.st_size != f->size || mtime != f->mtime_ns) {
		prom_inc(prom_get(p->f_files, "changed"));
	} else if (!state_has(p, key)) {
		send_file(p, f, fd, key);
	}
	close(fd);
}

static void tick(void *arg)
{
	struct profiler *p = arg;
	int rc = profscan_pass(p->scan, clock_mono_ns(), on_settled, p);
	if (rc < 0)
		log_warn("profiler scan failed", "err=%s", log_q(strerror(-rc)));
	struct profscan_stats st;
	profscan_get_stats(p->scan, &st);
	prom_set(p->m_candidates, (double)st.candidates);
	prom_set(p->m_processes, (double)st.processes);
}

/* Lifecycle ----------------------------------------------------------------- */

static void init_metrics(struct profiler *p, struct prom_registry *reg)
{
	p->f_files = prom_counter(reg, "lens_agent_profiler_files_total",
				  "Profiler traces handled, by result (analysed, partial, failed, "
				  "send_failed, changed, unreadable).", "result");
	p->m_bytes = prom_get(prom_counter(reg, "lens_agent_profiler_content_bytes_total",
					   "Gzip bytes of profiler trace content spooled.", NULL));
	p->m_seconds = prom_get(prom_counter(reg, "lens_agent_profiler_analysis_seconds_total",
					     "Time spent analysing profiler traces.", NULL));
	p->m_candidates = prom_get(prom_gauge(reg, "lens_agent_profiler_candidate_files",
					      "Profiler trace files followed until they settle.",
					      NULL));
	p->m_processes = prom_get(prom_gauge(reg, "lens_agent_profiler_pod_processes",
					     "Pod processes whose directories the last pass walked.",
					     NULL));
}

int profiler_start(const struct profiler_config *cfg, struct emitter *em, struct podmap *pm,
		   struct prom_registry *reg, struct profiler **out, char *err, size_t errlen)
{
	struct profiler *p = xcalloc(1, sizeof *p);
	p->cfg = *cfg;
	p->state_path = xstrdup(cfg->state_path);
	p->em = em;
	p->pm = pm;
	struct profscan_config sc = {cfg->proc_root, cfg->dirs, cfg->settle_ns, 0};
	p->scan = profscan_new(&sc);
	state_load(p);
	init_metrics(p, reg);
	if (ticker_start(cfg->interval_ns, tick, p, &p->ticker)) {
		snprintf(err, errlen, "cannot start the profiler thread");
		profiler_stop(p);
		return -EAGAIN;
	}
	*out = p;
	return 0;
}

void profiler_stop(struct profiler *p)
{
	if (!p)
		return;
	atomic_store(&p->stopping, true);
	ticker_stop(p->ticker);
	profscan_free(p->scan);
	buf_free(&p->sent);
	free(p->state_path);
	free(p);
}

void profiler_offer(void *arg, int pid, const char *path)
{
	struct profiler *p = arg;
	if (p)
		profscan_offer(p->scan, pid, path);
}
