/* spool: segment files of length-prefixed, checksummed records.
 *
 * Record layout (little-endian, as written by this host):
 *   u32 magic "LNSR" | u32 length | u32 crc32c(payload) | u32 flags | u64 seq
 *   payload: a packed Envelope
 * A torn or corrupt tail (the agent died mid-write) is cut off at the first
 * bad record when the segment is recovered.
 *
 * The read cursor is (segment number, offset) rather than a pointer, so
 * segments may be deleted in any order without invalidating it. Acks are
 * not persisted: after a restart every record still on disk is sent
 * again, and the aggregator drops the duplicates. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "files.h"
#include "log.h"

#define REC_MAGIC 0x52534e4cu /* "LNSR" */
#define SEQ_BLOCK 65536

struct rec_hdr {
	uint32_t magic;
	uint32_t len;
	uint32_t crc;
	uint32_t flags;
	uint64_t seq;
};

struct segment {
	struct segment *next;
	uint64_t no;
	uint64_t bytes;
	uint32_t nrec, nread, nacked;
	int wfd; /* open for appending while this is the active segment */
};

struct stream {
	uint32_t id;
	const char *name;
	char dir[PATH_MAX];
	struct segment *head, *tail;
	uint64_t rseg, roff; /* read cursor */
	int rfd;
	uint64_t rfd_seg;
	uint64_t next_seg_no;
	uint64_t next_seq, reserved_seq;
	uint64_t unacked;
	uint64_t bytes;
	struct prom_metric *m_records, *m_bytes;
};

struct spool {
	pthread_mutex_t lock;
	struct spool_config cfg;
	char *dir;
	struct stream st[SPOOL_NSTREAMS];
	uint64_t bytes;
	unsigned rr;
	bool dir_dirty;
	uint64_t dropped, refused;
	uint64_t evicted_unlogged; /* drops since the last log line about them */
	int64_t evict_logged_ns;
	struct prom_family *f_dropped, *f_refused, *f_corrupt, *f_appended;
	/* Held around each hook call (and to change a hook), so that once a
	 * hook is unset no call of it is still running. A leaf for everything
	 * but the hook itself. */
	pthread_mutex_t hook_lock;
	void (*ack_hook[SPOOL_NSTREAMS])(uint64_t seq, void *arg);
	void *ack_arg[SPOOL_NSTREAMS];
};

/* CRC-32C (Castagnoli), bytewise table. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static struct stream *stream_of(struct spool *s, uint32_t id)
{
	if (id < 1 || id > SPOOL_NSTREAMS)
		return NULL;
	return &s->st[id - 1];
}

static void seg_path(const struct stream *st, uint64_t no, char *out, size_t len)
{
	snprintf(out, len, "%s/%016" PRIx64 ".seg", st->dir, no);
}

static void update_gauges(struct stream *st)
{
	prom_set(st->m_records, (double)st->unacked);
	prom_set(st->m_bytes, (double)st->bytes);
}

/* Sequence reservations --------------------------------------------------- */

static int write_seq_file(struct spool *s)
{
	struct buf b = BUF_INIT;
	char path[PATH_MAX];
	for (int i = 0; i < SPOOL_NSTREAMS; i++)
		buf_printf(&b, "%u %" PRIu64 "\n", s->st[i].id, s->st[i].reserved_seq);
	snprintf(path, sizeof path, "%s/seq", s->dir);
	int rc = files_write_atomic(path, b.p, b.len);
	buf_free(&b);
	return rc;
}

static void read_seq_file(struct spool *s)
{
	char path[PATH_MAX], *data;
	snprintf(path, sizeof path, "%s/seq", s->dir);
	if (files_read(path, 4096, &data, NULL))
		return;
	unsigned id;
	uint64_t v;
	int off = 0, n;
	while (sscanf(data + off, "%u %" SCNu64 "\n%n", &id, &v, &n) == 2) {
		struct stream *st = stream_of(s, id);
		if (st && v > st->next_seq)
			st->next_seq = v;
		off += n;
	}
	free(data);
}

static int take_seq(struct spool *s, struct stream *st, uint64_t *seq)
{
	if (st->next_seq >= st->reserved_seq) {
		uint64_t old = st->reserved_seq;
		st->reserved_seq = st->next_seq + SEQ_BLOCK;
		int rc = write_seq_file(s);
		if (rc) {
			st->reserved_seq = old;
			return rc;
		}
	}
	*seq = st->next_seq;
	return 0;
}

/* Recovery ----------------------------------------------------------------- */

/* Counts the valid records of a segment and cuts off a bad tail. */
static int scan_segment(struct spool *s, struct stream *st, struct segment *g, const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	uint8_t *payload = NULL;
	uint64_t off = 0;
	struct rec_hdr h;
	for (;;) {
		ssize_t n = pread(fd, &h, sizeof h, (off_t)off);
		if (n == 0)
			break;
		if (n != (ssize_t)sizeof h || h.magic != REC_MAGIC || h.len > ENVELOPE_MAX_BYTES)
			goto bad;
		payload = xrealloc(payload, h.len ? h.len : 1);
		if (pread(fd, payload, h.len, (off_t)(off + sizeof h)) != (ssize_t)h.len ||
		    crc32c(payload, h.len) != h.crc)
			goto bad;
		off += sizeof h + h.len;
		g->nrec++;
		if (h.seq >= st->next_seq)
			st->next_seq = h.seq + 1;
	}
	goto done;
bad:
	log_warn("spool segment has a damaged tail; cutting it off", "path=%s offset=%" PRIu64,
		 log_q(path), off);
	prom_inc_l(s->f_corrupt, st->name);
	if (ftruncate(fd, (off_t)off) < 0)
		log_error("cannot truncate spool segment", "path=%s err=%s", log_q(path),
			  log_q(strerror(errno)));
done:
	free(payload);
	close(fd);
	g->bytes = off;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void add_segment(struct stream *st, struct segment *g)
{
	if (st->tail)
		st->tail->next = g;
	else
		st->head = g;
	st->tail = g;
}

static int list_segments(const char *dir, uint64_t **nos, size_t *count)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	size_t n = 0, cap = 16;
	uint64_t *v = xmalloc(cap * sizeof *v);
	struct dirent *de;
	while ((de = readdir(d))) {
		uint64_t no;
		char tail[8];
		if (sscanf(de->d_name, "%16" SCNx64 "%7s", &no, tail) != 2 || strcmp(tail, ".seg"))
			continue;
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		v[n++] = no;
	}
	closedir(d);
	qsort(v, n, sizeof *v, cmp_u64);
	*nos = v;
	*count = n;
	return 0;
}

static int recover_stream(struct spool *s, struct stream *st)
{
	uint64_t *nos = NULL;
	size_t n = 0;
	int rc = list_segments(st->dir, &nos, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		seg_path(st, nos[i], path, sizeof path);
		struct segment *g = xcalloc(1, sizeof *g);
		g->no = nos[i];
		g->wfd = -1;
		if ((rc = scan_segment(s, st, g, path)) || g->nrec == 0) {
			unlink(path);
			free(g);
			continue;
		}
		add_segment(st, g);
		st->unacked += g->nrec;
		st->bytes += g->bytes;
		s->bytes += g->bytes;
		st->next_seg_no = g->no + 1;
	}
	free(nos);
	return 0;
}

/* Segment lifecycle -------------------------------------------------------- */

static void seal(struct segment *g)
{
	if (g->wfd >= 0) {
		fdatasync(g->wfd);
		close(g->wfd);
		g->wfd = -1;
	}
}

static void unlink_segment(struct spool *s, struct stream *st, struct segment *g)
{
	struct segment **pp = &st->head, *prev = NULL;
	while (*pp != g) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = g->next;
	if (st->tail == g)
		st->tail = prev;
	if (st->rfd >= 0 && st->rfd_seg == g->no) {
		close(st->rfd);
		st->rfd = -1;
	}
	if (g->wfd >= 0)
		close(g->wfd);
	char path[PATH_MAX];
	seg_path(st, g->no, path, sizeof path);
	if (unlink(path) < 0 && errno != ENOENT)
		log_error("cannot delete spool segment", "path=%s err=%s", log_q(path),
			  log_q(strerror(errno)));
	s->bytes -= g->bytes;
	st->bytes -= g->bytes;
	st->unacked -= g->nrec - g->nacked;
	s->dir_dirty = true;
	free(g);
}

static void maybe_delete(struct spool *s, struct stream *st, struct segment *g)
{
	if (g->nacked < g->nrec || g->nread < g->nrec)
		return;
	unlink_segment(s, st, g);
	update_gauges(st);
}

static int open_active(struct spool *s, struct stream *st)
{
	char path[PATH_MAX];
	struct segment *g = xcalloc(1, sizeof *g);
	g->no = st->next_seg_no++;
	seg_path(st, g->no, path, sizeof path);
	g->wfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (g->wfd < 0) {
		int rc = -errno;
		free(g);
		return rc;
	}
	add_segment(st, g);
	s->dir_dirty = true;
	return 0;
}

/* Drops the oldest metric segment; false when there is none. */
static bool evict_metrics(struct spool *s)
{
	struct stream *st = stream_of(s, LENS__V1__STREAM__STREAM_METRICS);
	struct segment *g = st->head;
	if (!g)
		return false;
	uint32_t lost = g->nrec - g->nread;
	s->dropped += lost;
	prom_add_l(s->f_dropped, (double)lost, st->name, "spool_full");
	/* While the aggregator is away this happens constantly: say it once
	 * a minute, with the count since the last time. */
	s->evicted_unlogged += lost;
	int64_t now = clock_mono_ns();
	if (!s->evict_logged_ns || now - s->evict_logged_ns > 60 * NS_PER_SEC) {
		log_warn("spool full: dropping oldest metric samples", "records=%" PRIu64,
			 s->evicted_unlogged);
		s->evicted_unlogged = 0;
		s->evict_logged_ns = now;
	}
	unlink_segment(s, st, g);
	update_gauges(st);
	return true;
}

/* Makes room for len bytes in st, or says why not. */
static int ensure_space(struct spool *s, struct stream *st, uint64_t len)
{
	uint64_t max = (uint64_t)s->cfg.max_bytes;
	bool reserved_ok = st->id == LENS__V1__STREAM__STREAM_CONTROL ||
			   st->id == LENS__V1__STREAM__STREAM_EVENTS;
	uint64_t limit = reserved_ok ? max : max - max / 10;
	while (s->bytes + len > limit && evict_metrics(s))
		;
	if (s->bytes + len <= limit)
		return 0;
	if (st->id == LENS__V1__STREAM__STREAM_LOGS || st->id == LENS__V1__STREAM__STREAM_PROFILER) {
		s->refused++;
		prom_inc_l(s->f_refused, st->name);
	} else {
		s->dropped++;
		prom_inc_l(s->f_dropped, st->name, "spool_full");
	}
	return -ENOSPC;
}

static int write_record(struct segment *g, const struct rec_hdr *h, const uint8_t *payload)
{
	struct iovec iov[2] = {{(void *)h, sizeof *h}, {(void *)payload, h->len}};
	size_t want = sizeof *h + h->len;
	ssize_t n = writev(g->wfd, iov, 2);
	if (n == (ssize_t)want)
		return 0;
	int rc = n < 0 ? -errno : -EIO;
	/* Leave no torn record behind for this run's readers. */
	if (ftruncate(g->wfd, (off_t)g->bytes) < 0)
		rc = -errno;
	return rc;
}

int spool_append(struct spool *s, Envelope *e)
{
	pthread_mutex_lock(&s->lock);
	struct stream *st = stream_of(s, e->stream_id);
	int rc = st ? 0 : -EINVAL;
	uint8_t *payload = NULL;
	if (rc)
		goto out;
	if ((rc = take_seq(s, st, &e->seq)))
		goto out;
	struct rec_hdr h = {.magic = REC_MAGIC, .seq = e->seq};
	h.len = (uint32_t)lens__v1__envelope__get_packed_size(e);
	if (h.len > ENVELOPE_MAX_BYTES) {
		rc = -EMSGSIZE;
		goto out;
	}
	if ((rc = ensure_space(s, st, sizeof h + h.len)))
		goto out;
	if ((!st->tail || st->tail->wfd < 0) && (rc = open_active(s, st)))
		goto out;
	payload = xmalloc(h.len ? h.len : 1);
	lens__v1__envelope__pack(e, payload);
	h.crc = crc32c(payload, h.len);
	struct segment *g = st->tail;
	if ((rc = write_record(g, &h, payload)))
		goto out;
	g->bytes += sizeof h + h.len;
	g->nrec++;
	s->bytes += sizeof h + h.len;
	st->bytes += sizeof h + h.len;
	st->unacked++;
	st->next_seq++;
	prom_inc_l(s->f_appended, st->name);
	if (g->bytes >= (uint64_t)s->cfg.segment_bytes)
		seal(g);
	update_gauges(st);
out:
	pthread_mutex_unlock(&s->lock);
	free(payload);
	return rc;
}

/* Reading ------------------------------------------------------------------ */

static struct segment *find_segment(struct stream *st, uint64_t no)
{
	for (struct segment *g = st->head; g; g = g->next)
		if (g->no == no)
			return g;
	return NULL;
}

/* First segment at or after the cursor with an unread record. */
static struct segment *cursor_segment(struct stream *st)
{
	for (struct segment *g = st->head; g; g = g->next) {
		if (g->no < st->rseg)
			continue;
		if (g->no > st->rseg) {
			st->rseg = g->no;
			st->roff = 0;
		}
		if (st->roff < g->bytes)
			return g;
	}
	return NULL;
}

static int read_at(struct stream *st, struct segment *g, struct spool_rec *rec)
{
	if (st->rfd < 0 || st->rfd_seg != g->no) {
		char path[PATH_MAX];
		if (st->rfd >= 0)
			close(st->rfd);
		seg_path(st, g->no, path, sizeof path);
		st->rfd = open(path, O_RDONLY | O_CLOEXEC);
		if (st->rfd < 0)
			return -errno;
		st->rfd_seg = g->no;
	}
	struct rec_hdr h;
	if (pread(st->rfd, &h, sizeof h, (off_t)st->roff) != (ssize_t)sizeof h ||
	    h.magic != REC_MAGIC)
		return -EIO;
	rec->data = xmalloc(h.len ? h.len : 1);
	if (pread(st->rfd, rec->data, h.len, (off_t)(st->roff + sizeof h)) != (ssize_t)h.len ||
	    crc32c(rec->data, h.len) != h.crc) {
		free(rec->data);
		rec->data = NULL;
		return -EIO;
	}
	rec->stream = st->id;
	rec->segment = g->no;
	rec->offset = st->roff;
	rec->seq = h.seq;
	rec->len = h.len;
	st->roff += sizeof h + h.len;
	g->nread++;
	return 0;
}

/* A record that cannot be read back is skipped: it is counted as dropped
 * and the rest of its segment with it, since the offsets after it are no
 * longer trustworthy. */
static void skip_damaged(struct spool *s, struct stream *st, struct segment *g)
{
	uint32_t lost = g->nrec - g->nread;
	log_error("spool record unreadable; skipping the rest of its segment", "stream=%s segment=%"
		  PRIu64 " records=%u", st->name, g->no, lost);
	prom_inc_l(s->f_corrupt, st->name);
	prom_add_l(s->f_dropped, (double)lost, st->name, "corrupt");
	s->dropped += lost;
	g->nacked += lost;
	g->nread = g->nrec;
	st->roff = g->bytes;
	seal(g);
	maybe_delete(s, st, g);
}

int spool_next(struct spool *s, struct spool_rec *rec)
{
	int rc = -EAGAIN;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < SPOOL_NSTREAMS && rc == -EAGAIN; i++) {
		struct stream *st = &s->st[(s->rr + (unsigned)i) % SPOOL_NSTREAMS];
		struct segment *g;
		while ((g = cursor_segment(st))) {
			if (read_at(st, g, rec) == 0) {
				rc = 0;
				break;
			}
			skip_damaged(s, st, g);
		}
	}
	s->rr++;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void spool_set_ack_hook(struct spool *s, uint32_t stream, void (*fn)(uint64_t seq, void *arg),
			void *arg)
{
	pthread_mutex_lock(&s->hook_lock);
	if (stream >= 1 && stream <= SPOOL_NSTREAMS) {
		s->ack_hook[stream - 1] = fn;
		s->ack_arg[stream - 1] = arg;
	}
	pthread_mutex_unlock(&s->hook_lock);
}

static void call_hook(struct spool *s, const struct spool_rec *rec)
{
	if (rec->stream < 1 || rec->stream > SPOOL_NSTREAMS)
		return;
	pthread_mutex_lock(&s->hook_lock);
	if (s->ack_hook[rec->stream - 1])
		s->ack_hook[rec->stream - 1](rec->seq, s->ack_arg[rec->stream - 1]);
	pthread_mutex_unlock(&s->hook_lock);
}

void spool_ack(struct spool *s, const struct spool_rec *rec)
{
	pthread_mutex_lock(&s->lock);
	struct stream *st = stream_of(s, rec->stream);
	struct segment *g = st ? find_segment(st, rec->segment) : NULL;
	if (g) { /* NULL: the segment was evicted while the record was out */
		g->nacked++;
		st->unacked--;
		maybe_delete(s, st, g);
		update_gauges(st);
	}
	pthread_mutex_unlock(&s->lock);
	call_hook(s, rec); /* outside the spool's lock */
}

void spool_rec_free(struct spool_rec *rec)
{
	free(rec->data);
	rec->data = NULL;
}

/* Open, sync, close -------------------------------------------------------- */

int spool_sync(struct spool *s)
{
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < SPOOL_NSTREAMS; i++) {
		struct segment *g = s->st[i].tail;
		if (g && g->wfd >= 0 && fdatasync(g->wfd) < 0)
			rc = -errno;
		if (s->dir_dirty)
			files_fsync_dir(s->st[i].dir);
	}
	s->dir_dirty = false;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void spool_get_stats(struct spool *s, struct spool_stats *out)
{
	pthread_mutex_lock(&s->lock);
	memset(out, 0, sizeof *out);
	for (int i = 0; i < SPOOL_NSTREAMS; i++)
		out->records += s->st[i].unacked;
	out->bytes = s->bytes;
	out->dropped = s->dropped;
	out->refused = s->refused;
	pthread_mutex_unlock(&s->lock);
}

static void init_metrics(struct spool *s, struct prom_registry *reg)
{
	struct prom_family *records = prom_gauge(
		reg, "lens_agent_spool_records", "Envelopes in the spool not yet acknowledged.",
		"stream");
	struct prom_family *bytes = prom_gauge(reg, "lens_agent_spool_bytes",
					       "Bytes of spool segment files on disk.", "stream");
	s->f_appended = prom_counter(reg, "lens_agent_spool_appended_total",
				     "Envelopes written to the spool.", "stream");
	s->f_dropped = prom_counter(reg, "lens_agent_spool_dropped_total",
				    "Envelopes dropped by the spool, by stream and reason.",
				    "stream,reason");
	s->f_refused = prom_counter(
		reg, "lens_agent_spool_refused_total",
		"Appends refused because the spool is full (the producer pauses).", "stream");
	s->f_corrupt = prom_counter(reg, "lens_agent_spool_corrupt_records_total",
				    "Damaged spool records found and cut off.", "stream");
	for (int i = 0; i < SPOOL_NSTREAMS; i++) {
		s->st[i].m_records = prom_get(records, s->st[i].name);
		s->st[i].m_bytes = prom_get(bytes, s->st[i].name);
	}
}

int spool_open(const struct spool_config *cfg, struct prom_registry *reg, struct spool **out,
	       char *err, size_t errlen)
{
	pthread_once(&crc_once, crc_init);
	if (cfg->max_bytes < 1 << 20 || cfg->segment_bytes < 4096 ||
	    cfg->segment_bytes > cfg->max_bytes / 4) {
		snprintf(err, errlen, "spool size must be at least 1 MiB and 4 segments");
		return -EINVAL;
	}
	struct spool *s = xcalloc(1, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->hook_lock, NULL);
	s->cfg = *cfg;
	s->dir = xstrdup(cfg->dir);
	for (int i = 0; i < SPOOL_NSTREAMS; i++) {
		struct stream *st = &s->st[i];
		st->id = (uint32_t)i + 1;
		st->name = envelope_stream_name(st->id);
		st->rfd = -1;
		st->next_seq = 1;
		snprintf(st->dir, sizeof st->dir, "%s/%s", s->dir, st->name);
	}
	init_metrics(s, reg);
	read_seq_file(s);
	for (int i = 0; i < SPOOL_NSTREAMS; i++) {
		struct stream *st = &s->st[i];
		int rc = files_mkdir_p(st->dir, 0700);
		if (!rc)
			rc = recover_stream(s, st);
		if (rc) {
			snprintf(err, errlen, "cannot use spool directory %s: %s", st->dir,
				 strerror(-rc));
			spool_close(s);
			return rc;
		}
		st->reserved_seq = st->next_seq;
		update_gauges(st);
	}
	*out = s;
	return 0;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	spool_sync(s);
	for (int i = 0; i < SPOOL_NSTREAMS; i++) {
		struct stream *st = &s->st[i];
		struct segment *g = st->head;
		while (g) {
			struct segment *next = g->next;
			if (g->wfd >= 0)
				close(g->wfd);
			free(g);
			g = next;
		}
		if (st->rfd >= 0)
			close(st->rfd);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->hook_lock);
	free(s->dir);
	free(s);
}
