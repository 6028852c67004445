/* logtail: files by inode, lines by offset, offsets by acknowledgement. */
#include "logtail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "cri.h"
#include "files.h"
#include "log.h"
#include "logline.h"
#include "logmsg.h"

#define READ_CHUNK (1u << 20)
#define MAX_INFLIGHT 4096

/* A batch sent and not yet acknowledged: its seq and where it ends. */
struct inflight {
	uint64_t seq;
	uint64_t end;
	bool acked;
};

/* A line of the batch being filled; its text is in the file's text buffer. */
struct pending {
	int64_t unix_ns;
	uint32_t stream;
	uint64_t offset;
	size_t text_at, len;
};

struct tfile {
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX];
	char ns[64], pod[254], uid[64], container[64];
	int fd;
	uint64_t offset;      /* read up to here (complete lines only) */
	uint64_t acked;       /* everything before this is acknowledged */
	struct logline join[2]; /* per stream */
	uint64_t open_start[2]; /* file offset of an unfinished line's first piece */
	bool seen;            /* in the last walk */
	bool gone;            /* not in the last walk: read to the end, then forget */
	/* The batch being filled. */
	struct pending *lines;
	size_t nlines, cap, bytes;
	struct buf text;      /* the lines' bytes, back to back */
	int64_t batch_at;
	struct inflight *fl;
	size_t nfl;
};

struct logtail {
	struct logtail_config cfg;
	char *dir, *state_path; /* the config's strings, owned */
	struct emitter *em;
	struct spool *spool;
	pthread_t thread;
	bool running;
	volatile bool stop;
	int ino_fd;
	/* Acknowledged seqs, from the sender's thread to the tailer's: the only
	 * state the two share. The hook must not wait on anything the tailer
	 * holds while it hands a batch to the sender (that deadlocks). */
	pthread_mutex_t ack_lock;
	uint64_t *acks;
	size_t nacks, capacks;
	struct tfile **files;
	size_t nfiles;
	json_t *state;        /* "dev:ino" -> offset, loaded at start */
	bool state_dirty;
	bool paused;
	struct buf zbuf;
	struct prom_metric *m_lines, *m_bytes, *m_malformed, *m_cut, *m_files, *m_paused,
		*m_batches, *m_truncated, *m_rescans;
};

/* State ------------------------------------------------------------------------- */

static void key_of(dev_t dev, ino_t ino, char *out, size_t len)
{
	snprintf(out, len, "%llu:%llu", (unsigned long long)dev, (unsigned long long)ino);
}

static void load_state(struct logtail *lt)
{
	char *text;
	json_error_t je;
	lt->state = NULL;
	if (files_read(lt->cfg.state_path, 64u << 20, &text, NULL) == 0) {
		lt->state = json_loads(text, 0, &je);
		if (!json_is_object(lt->state))
			log_warn("log state unreadable; reading logs from their start",
				 "path=%s", log_q(lt->cfg.state_path));
		free(text);
	}
	if (!json_is_object(lt->state)) {
		json_decref(lt->state);
		lt->state = json_object();
	}
}

static void save_state(struct logtail *lt)
{
	json_t *s = json_object();
	for (size_t i = 0; i < lt->nfiles; i++) {
		char key[64];
		key_of(lt->files[i]->dev, lt->files[i]->ino, key, sizeof key);
		json_object_set_new(s, key, json_pack("{s:I,s:s}", "offset",
						      (json_int_t)lt->files[i]->acked, "path",
						      lt->files[i]->path));
	}
	char *text = json_dumps(s, JSON_COMPACT);
	if (files_write_atomic(lt->cfg.state_path, text, strlen(text)))
		log_warn("cannot write the log state", "path=%s", log_q(lt->cfg.state_path));
	free(text);
	json_decref(s);
	lt->state_dirty = false;
}

/* The sender's thread: queue the seq for the tailer. */
static void on_ack(uint64_t seq, void *arg)
{
	struct logtail *lt = arg;
	pthread_mutex_lock(&lt->ack_lock);
	if (lt->nacks == lt->capacks) {
		lt->capacks = lt->capacks ? lt->capacks * 2 : 64;
		lt->acks = xrealloc(lt->acks, sizeof *lt->acks * lt->capacks);
	}
	lt->acks[lt->nacks++] = seq;
	pthread_mutex_unlock(&lt->ack_lock);
}

/* The tailer's thread: offsets move up to the first batch of each file
 * still out. A seq no batch of this run has (sent before a restart) is
 * dropped: its lines are read again and stored once. */
static void apply_acks(struct logtail *lt)
{
	pthread_mutex_lock(&lt->ack_lock);
	uint64_t *acks = lt->acks;
	size_t n = lt->nacks;
	lt->acks = NULL, lt->nacks = lt->capacks = 0;
	pthread_mutex_unlock(&lt->ack_lock);
	for (size_t i = 0; i < lt->nfiles && n; i++) {
		struct tfile *f = lt->files[i];
		size_t k = 0;
		for (size_t j = 0; j < f->nfl; j++)
			for (size_t a = 0; a < n && !f->fl[j].acked; a++)
				f->fl[j].acked = f->fl[j].seq == acks[a];
		while (k < f->nfl && f->fl[k].acked)
			f->acked = f->fl[k++].end;
		if (k) {
			memmove(f->fl, f->fl + k, sizeof *f->fl * (f->nfl - k));
			f->nfl -= k;
			lt->state_dirty = true;
		}
	}
	free(acks);
}

/* Batches ----------------------------------------------------------------------- */

static void add_line(struct logtail *lt, struct tfile *f, const struct logline *j,
		     uint64_t start)
{
	if (f->nlines == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 256;
		f->lines = xrealloc(f->lines, sizeof *f->lines * f->cap);
	}
	f->lines[f->nlines++] = (struct pending){j->time_ns, j->stream, start, f->text.len,
						 j->text.len};
	buf_append(&f->text, j->text.p ? j->text.p : "", j->text.len);
	f->bytes += j->text.len + 32;
	if (f->nlines == 1)
		f->batch_at = clock_mono_ns();
	prom_inc(lt->m_lines);
	prom_add(lt->m_bytes, (double)j->text.len);
}

static void clear_batch(struct tfile *f)
{
	f->nlines = f->bytes = 0;
	buf_reset(&f->text);
}

/* The batch as the message compresses it, pointing into f->text. */
static int compress_batch(struct logtail *lt, struct tfile *f, Lens__V1__LogBatch *b)
{
	Lens__V1__LogLine *msgs = xmalloc(sizeof *msgs * f->nlines);
	Lens__V1__LogLine **ptrs = xmalloc(sizeof *ptrs * f->nlines);
	for (size_t i = 0; i < f->nlines; i++) {
		const struct pending *p = &f->lines[i];
		lens__v1__log_line__init(&msgs[i]);
		msgs[i].unix_ns = p->unix_ns;
		msgs[i].stream = p->stream;
		msgs[i].offset = p->offset;
		msgs[i].text.data = (uint8_t *)f->text.p + p->text_at;
		msgs[i].text.len = p->len;
		ptrs[i] = &msgs[i];
	}
	Lens__V1__LogLines lines = LENS__V1__LOG_LINES__INIT;
	lines.lines = ptrs;
	lines.n_lines = f->nlines;
	int rc = logmsg_compress(&lines, b, &lt->zbuf);
	free(ptrs);
	free(msgs);
	return rc;
}

/* Where this file is safe to resume: before any line still being joined. */
static uint64_t safe_end(const struct tfile *f)
{
	uint64_t end = f->offset;
	for (int s = 0; s < 2; s++)
		if (f->join[s].open && f->open_start[s] < end)
			end = f->open_start[s];
	return end;
}

/* Sends the file's batch. Returns 0, or -ENOSPC when the spool is full
 * (the batch stays; reading this file waits). */
static int flush(struct logtail *lt, struct tfile *f)
{
	if (!f->nlines)
		return 0;
	Lens__V1__LogBatch b = LENS__V1__LOG_BATCH__INIT;
	b.namespace_ = f->ns, b.pod = f->pod, b.pod_uid = f->uid, b.container = f->container;
	b.file_dev = f->dev, b.file_ino = f->ino;
	int rc = compress_batch(lt, f, &b);
	Envelope e = LENS__V1__ENVELOPE__INIT;
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_LOG_BATCH;
	e.log_batch = &b;
	if (!rc && f->nfl < MAX_INFLIGHT)
		rc = emit_envelope(lt->em, LENS__V1__STREAM__STREAM_LOGS, &e);
	else if (!rc)
		rc = -ENOSPC;
	if (!rc) {
		/* Its ack, even one that came already, is applied after this. */
		f->fl = xrealloc(f->fl, sizeof *f->fl * (f->nfl + 1));
		f->fl[f->nfl++] = (struct inflight){e.seq, safe_end(f), false};
	}
	if (rc == -ENOSPC)
		return rc;
	if (rc)
		log_error("cannot spool log lines", "file=%s err=%d", log_q(f->path), rc);
	prom_inc(lt->m_batches);
	clear_batch(f);
	return 0;
}

/* Reading ----------------------------------------------------------------------- */

static void take_line(struct logtail *lt, struct tfile *f, const char *p, size_t n,
		      uint64_t off, struct buf *scratch)
{
	struct cri_line l;
	int rc = n && p[0] == '{' ? cri_parse_docker(p, n, scratch, &l) : cri_parse(p, n, &l);
	if (rc) {
		prom_inc(lt->m_malformed);
		return;
	}
	struct logline *j = &f->join[l.stream];
	if (!j->open)
		f->open_start[l.stream] = off;
	uint64_t cut = j->lines_cut;
	if (logline_add(j, &l) == 1)
		add_line(lt, f, j, f->open_start[l.stream]);
	if (j->lines_cut != cut)
		prom_inc(lt->m_cut);
}

/* A file that shrank was truncated (copytruncate): start it again. */
static void check_truncated(struct logtail *lt, struct tfile *f, off_t size)
{
	if ((uint64_t)size >= f->offset)
		return;
	prom_inc(lt->m_truncated);
	log_info("log file truncated; reading it from the start", "file=%s", log_q(f->path));
	clear_batch(f);
	for (int s = 0; s < 2; s++)
		f->join[s].open = false;
	f->offset = f->acked = 0;
	f->nfl = 0;
	lt->state_dirty = true;
}

/* Reads what is new, complete lines only. */
static void read_file(struct logtail *lt, struct tfile *f, char *chunk, struct buf *scratch)
{
	struct stat st;
	if (f->bytes >= lt->cfg.batch_bytes && flush(lt, f))
		return; /* the spool is full: the file waits */
	if (fstat(f->fd, &st))
		return;
	check_truncated(lt, f, st.st_size);
	while (!lt->stop && f->offset < (uint64_t)st.st_size) {
		ssize_t n = pread(f->fd, chunk, READ_CHUNK, (off_t)f->offset);
		if (n <= 0)
			break;
		size_t used = 0;
		for (const char *p = chunk, *nl; (nl = memchr(p, '\n', (size_t)(chunk + n - p)));
		     p = nl + 1) {
			take_line(lt, f, p, (size_t)(nl - p), f->offset + (uint64_t)(p - chunk), scratch);
			used = (size_t)(nl + 1 - chunk);
		}
		/* A physical line longer than a chunk: take it as it is. */
		if (!used && n == READ_CHUNK) {
			take_line(lt, f, chunk, (size_t)n, f->offset, scratch);
			used = (size_t)n;
		}
		if (!used)
			break; /* the last line is still being written */
		f->offset += used;
		if (f->bytes >= lt->cfg.batch_bytes && flush(lt, f))
			break;
	}
}

/* Files ------------------------------------------------------------------------- */

/* <namespace>_<pod>_<uid>: neither namespace nor pod name has '_'. */
static bool pod_dir(const char *name, struct tfile *f)
{
	return sscanf(name, "%63[^_]_%253[^_]_%63s", f->ns, f->pod, f->uid) == 3;
}

/* Log files: "0.log", and rotated ones "0.log.20240101-120000"; the
 * kubelet gzips older ones, and compressed files are not read. */
static bool log_name(const char *name)
{
	size_t n = strlen(name);
	return strstr(name, ".log") && !(n > 3 && strcmp(name + n - 3, ".gz") == 0) &&
	       !(n > 4 && strcmp(name + n - 4, ".tmp") == 0);
}

static struct tfile *find_file(struct logtail *lt, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < lt->nfiles; i++)
		if (lt->files[i]->dev == dev && lt->files[i]->ino == ino)
			return lt->files[i];
	return NULL;
}

/* A file seen for the first time: from its acknowledged offset when the
 * state knows it, else from its start. */
static void add_file(struct logtail *lt, const struct tfile *who, const char *path,
		     const struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct tfile *f = xcalloc(1, sizeof *f);
	*f = *who;
	f->fd = fd;
	f->dev = st->st_dev, f->ino = st->st_ino;
	snprintf(f->path, sizeof f->path, "%s", path);
	char key[64];
	key_of(f->dev, f->ino, key, sizeof key);
	json_int_t off = json_integer_value(json_object_get(json_object_get(lt->state, key), "offset"));
	f->offset = f->acked = off > 0 && off <= st->st_size ? (uint64_t)off : 0;
	for (int s = 0; s < 2; s++)
		logline_init(&f->join[s], lt->cfg.max_line);
	f->seen = true;
	lt->files = xrealloc(lt->files, sizeof *lt->files * (lt->nfiles + 1));
	lt->files[lt->nfiles++] = f;
}

static void walk_container(struct logtail *lt, struct tfile *who, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	inotify_add_watch(lt->ino_fd, dir, IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_DELETE);
	while (d && (de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		if (!log_name(de->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		struct tfile *f = find_file(lt, st.st_dev, st.st_ino);
		if (f) {
			snprintf(f->path, sizeof f->path, "%s", path); /* renamed by rotation */
			f->seen = true, f->gone = false;
		} else {
			add_file(lt, who, path, &st);
		}
	}
	if (d)
		closedir(d);
}

/* By directory, and within one, rotated files first, then the current
 * one: a container's lines keep their order. */
static int file_order(const void *a, const void *b)
{
	const struct tfile *x = *(struct tfile *const *)a, *y = *(struct tfile *const *)b;
	size_t dx = (size_t)(strrchr(x->path, '/') - x->path);
	size_t dy = (size_t)(strrchr(y->path, '/') - y->path);
	int c = memcmp(x->path, y->path, dx < dy ? dx : dy);
	if (c || dx != dy)
		return c ? c : dx < dy ? -1 : 1;
	size_t lx = strlen(x->path), ly = strlen(y->path);
	bool cx = lx > 4 && strcmp(x->path + lx - 4, ".log") == 0;
	bool cy = ly > 4 && strcmp(y->path + ly - 4, ".log") == 0;
	if (cx != cy)
		return cx - cy;
	return strcmp(x->path, y->path);
}

static void walk(struct logtail *lt)
{
	for (size_t i = 0; i < lt->nfiles; i++)
		lt->files[i]->seen = false;
	inotify_add_watch(lt->ino_fd, lt->cfg.dir, IN_CREATE | IN_MOVED_TO | IN_DELETE);
	DIR *root = opendir(lt->cfg.dir);
	struct dirent *pd;
	while (root && (pd = readdir(root))) {
		struct tfile who = {0};
		char pdir[PATH_MAX];
		if (pd->d_name[0] == '.' || !pod_dir(pd->d_name, &who))
			continue;
		snprintf(pdir, sizeof pdir, "%s/%s", lt->cfg.dir, pd->d_name);
		inotify_add_watch(lt->ino_fd, pdir, IN_CREATE | IN_MOVED_TO | IN_DELETE);
		DIR *cd = opendir(pdir);
		struct dirent *c;
		while (cd && (c = readdir(cd))) {
			char cdir[PATH_MAX + 256];
			if (c->d_name[0] == '.' || c->d_type != DT_DIR)
				continue;
			snprintf(who.container, sizeof who.container, "%s", c->d_name);
			snprintf(cdir, sizeof cdir, "%s/%s", pdir, c->d_name);
			walk_container(lt, &who, cdir);
		}
		if (cd)
			closedir(cd);
	}
	if (root)
		closedir(root);
	for (size_t i = 0; i < lt->nfiles; i++)
		lt->files[i]->gone = !lt->files[i]->seen;
	if (lt->nfiles)
		qsort(lt->files, lt->nfiles, sizeof *lt->files, file_order);
	prom_inc(lt->m_rescans);
}

static void free_file(struct tfile *f)
{
	clear_batch(f);
	free(f->lines);
	buf_free(&f->text);
	for (int s = 0; s < 2; s++)
		logline_free(&f->join[s]);
	free(f->fl);
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

/* A file gone from the directory (rotated away, pod deleted) is kept until
 * it is read to its end and every batch of it acknowledged. */
static void forget_finished(struct logtail *lt)
{
	size_t k = 0;
	for (size_t i = 0; i < lt->nfiles; i++) {
		struct tfile *f = lt->files[i];
		struct stat st;
		bool done = f->gone && !f->nlines && !f->nfl && fstat(f->fd, &st) == 0 &&
			    f->offset >= (uint64_t)st.st_size;
		if (done) {
			free_file(f);
			lt->state_dirty = true;
		} else {
			lt->files[k++] = f;
		}
	}
	lt->nfiles = k;
}

/* The loop ----------------------------------------------------------------------- */

/* Drains inotify; true when the tree changed (or events were lost). */
static bool drain_inotify(struct logtail *lt)
{
	char ev[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;
	while ((n = read(lt->ino_fd, ev, sizeof ev)) > 0) {
		for (char *p = ev; p < ev + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			if (e->mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_Q_OVERFLOW))
				changed = true;
			p += sizeof *e + e->len;
		}
	}
	return changed;
}

static void read_all(struct logtail *lt, char *chunk, struct buf *scratch)
{
	bool full = false;
	for (size_t i = 0; i < lt->nfiles && !lt->stop; i++) {
		struct tfile *f = lt->files[i];
		read_file(lt, f, chunk, scratch);
		full |= f->bytes >= lt->cfg.batch_bytes;
	}
	if (full != lt->paused) {
		lt->paused = full;
		prom_set(lt->m_paused, full);
		if (full)
			log_warn("log tailing paused: the spool is full; the files wait on disk");
		else
			log_info("log tailing resumed");
	}
}

static void flush_due(struct logtail *lt, bool all)
{
	int64_t now = clock_mono_ns();
	for (size_t i = 0; i < lt->nfiles; i++) {
		struct tfile *f = lt->files[i];
		if (f->nlines && (all || now - f->batch_at >= lt->cfg.batch_delay_ns))
			flush(lt, f);
	}
}

static void *tail_main(void *arg)
{
	struct logtail *lt = arg;
	char *chunk = xmalloc(READ_CHUNK);
	struct buf scratch = BUF_INIT;
	int64_t next_walk = 0, saved_at = 0;
	while (!lt->stop) {
		struct pollfd p = {lt->ino_fd, POLLIN, 0};
		poll(&p, 1, 100);
		bool changed = (p.revents & POLLIN) && drain_inotify(lt);
		int64_t now = clock_mono_ns();
		if (changed || now >= next_walk) {
			walk(lt);
			next_walk = now + lt->cfg.rescan_ns;
		}
		read_all(lt, chunk, &scratch);
		flush_due(lt, false);
		apply_acks(lt);
		forget_finished(lt);
		prom_set(lt->m_files, (double)lt->nfiles);
		if (lt->state_dirty && now - saved_at >= NS_PER_SEC) {
			save_state(lt);
			saved_at = now;
		}
	}
	read_all(lt, chunk, &scratch);
	flush_due(lt, true);
	free(chunk);
	buf_free(&scratch);
	return NULL;
}

static void init_metrics(struct logtail *lt, struct prom_registry *reg)
{
#define COUNTER(name, help) prom_get(prom_counter(reg, name, help, NULL))
#define GAUGE(name, help) prom_get(prom_gauge(reg, name, help, NULL))
	lt->m_lines = COUNTER("lens_agent_log_lines_total", "Container log lines read.");
	lt->m_bytes = COUNTER("lens_agent_log_bytes_total", "Bytes of container log lines read.");
	lt->m_malformed = COUNTER("lens_agent_log_malformed_lines_total",
				  "Log file lines in neither the CRI nor the docker format (skipped).");
	lt->m_cut = COUNTER("lens_agent_log_lines_cut_total",
			    "Log lines over the maximum length, cut with a marker.");
	lt->m_truncated = COUNTER("lens_agent_log_files_truncated_total",
				  "Log files that shrank (copytruncate) and were read again.");
	lt->m_batches = COUNTER("lens_agent_log_batches_total", "Log batches spooled.");
	lt->m_rescans = COUNTER("lens_agent_log_rescans_total", "Walks of the log directory.");
	lt->m_files = GAUGE("lens_agent_log_files", "Log files followed.");
	lt->m_paused = GAUGE("lens_agent_log_paused",
			     "1 while tailing waits because the spool is full.");
#undef COUNTER
#undef GAUGE
}

int logtail_start(const struct logtail_config *cfg, struct emitter *em, struct spool *spool,
		  struct prom_registry *reg, struct logtail **out, char *err, size_t errlen)
{
	struct logtail *lt = xcalloc(1, sizeof *lt);
	lt->cfg = *cfg;
	lt->cfg.dir = lt->dir = xstrdup(cfg->dir);
	lt->cfg.state_path = lt->state_path = xstrdup(cfg->state_path);
	lt->em = em;
	lt->spool = spool;
	pthread_mutex_init(&lt->ack_lock, NULL);
	lt->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (lt->ino_fd < 0) {
		int rc = -errno;
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		free(lt->dir);
		free(lt->state_path);
		free(lt);
		return rc;
	}
	load_state(lt);
	init_metrics(lt, reg);
	spool_set_ack_hook(spool, LENS__V1__STREAM__STREAM_LOGS, on_ack, lt);
	if (pthread_create(&lt->thread, NULL, tail_main, lt)) {
		snprintf(err, errlen, "cannot start the log tailer");
		logtail_stop(lt);
		return -EAGAIN;
	}
	lt->running = true;
	*out = lt;
	return 0;
}

void logtail_stop(struct logtail *lt)
{
	if (!lt)
		return;
	lt->stop = true;
	if (lt->running)
		pthread_join(lt->thread, NULL);
	spool_set_ack_hook(lt->spool, LENS__V1__STREAM__STREAM_LOGS, NULL, NULL);
	apply_acks(lt);
	save_state(lt);
	for (size_t i = 0; i < lt->nfiles; i++)
		free_file(lt->files[i]);
	free(lt->files);
	free(lt->acks);
	json_decref(lt->state);
	buf_free(&lt->zbuf);
	close(lt->ino_fd);
	pthread_mutex_destroy(&lt->ack_lock);
	free(lt->dir);
	free(lt->state_path);
	free(lt);
}

uint64_t logtail_lines(struct logtail *lt)
{
	return (uint64_t)prom_value(lt->m_lines);
}
