/* tracein: a byte-level state machine over the decompressed stream. The
 * buffer holds the element being read plus what has been decompressed
 * after it; a complete element is handed over in place, so most events
 * are never copied. */
#include "tracein.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IN_CHUNK (64u << 10)
#define BUF_START (256u << 10)
#define META_MAX (1u << 20)
#define NO_MARK SIZE_MAX

enum state { S_TOP, S_KEY, S_COLON, S_VALUE, S_ARRAY, S_EVENT, S_META, S_SKIP, S_DONE };

/* Decompression runs on its own thread, a few chunks ahead of the parse:
 * inflating is about as much work as parsing, and the two overlap. */
#define NCHUNKS 4
#define CHUNK (1u << 20)

struct inflater {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *data[NCHUNKS];
	size_t len[NCHUNKS];
	int head, count;     /* the chunks ready, from head */
	size_t offset;       /* consumed of the head chunk */
	bool done, stop, started;
	long status;         /* 0 at the end, -1 on damage */
};

struct reader {
	/* the source */
	int fd;
	const unsigned char *mem;
	size_t memlen, mempos;
	bool eof_in, gzip, zdone;
	z_stream z;
	unsigned char *in;
	/* decompressed bytes: [0, len), scanned up to pos; an element being
	 * captured starts at mark */
	char *buf;
	size_t cap, len, pos, mark;
	/* where the parse is */
	enum state state;
	int depth;
	bool in_str, scalar;
	char key[64];
	tracein_event_fn ev;
	tracein_meta_fn meta;
	void *arg;
	struct tracein_stats *st;
	struct inflater inf;
	pthread_mutex_t errlock; /* the inflater thread and the parse may both fail */
};

static void fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&r->errlock);
	if (!r->st->error[0]) {
		va_start(ap, fmt);
		vsnprintf(r->st->error, sizeof r->st->error, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&r->errlock);
}

/* Raw bytes from the file or memory: the count, 0 at the end, -1 on error. */
static long source(struct reader *r, unsigned char *out, size_t n)
{
	if (r->mem) {
		size_t k = r->memlen - r->mempos < n ? r->memlen - r->mempos : n;
		memcpy(out, r->mem + r->mempos, k);
		r->mempos += k;
		return (long)k;
	}
	ssize_t k;
	do
		k = read(r->fd, out, n);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		fail(r, "read: %s", strerror(errno));
	return (long)k;
}

static int refill_in(struct reader *r)
{
	long k = source(r, r->in, IN_CHUNK);
	if (k < 0)
		return -1;
	r->eof_in = k == 0;
	r->z.next_in = r->in;
	r->z.avail_in = (uInt)k;
	r->st->bytes_in += (uint64_t)k;
	return 0;
}

/* Decompressed bytes into out: the count, 0 at the end, -1 on damage. */
static long inflate_some(struct reader *r, char *out, size_t n)
{
	r->z.next_out = (Bytef *)out;
	r->z.avail_out = (uInt)n;
	while (r->z.avail_out == n && !r->zdone) {
		if (!r->z.avail_in && !r->eof_in && refill_in(r))
			return -1;
		if (!r->z.avail_in && r->eof_in) {
			fail(r, "the gzip stream is truncated");
			return -1;
		}
		int zr = inflate(&r->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			/* Another gzip member may follow (concatenated files). */
			if (!r->z.avail_in && !r->eof_in && refill_in(r))
				return -1;
			if (r->z.avail_in)
				inflateReset(&r->z);
			else
				r->zdone = true;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			fail(r, "the gzip data is damaged: %s", r->z.msg ? r->z.msg : zError(zr));
			return -1;
		}
	}
	return (long)(n - r->z.avail_out);
}

static void *inflater_main(void *arg)
{
	struct reader *r = arg;
	struct inflater *f = &r->inf;
	pthread_mutex_lock(&f->lock);
	for (int slot = 0;; slot = (slot + 1) % NCHUNKS) {
		while (f->count == NCHUNKS && !f->stop)
			pthread_cond_wait(&f->cond, &f->lock);
		if (f->stop)
			break;
		pthread_mutex_unlock(&f->lock);
		long k = inflate_some(r, f->data[slot], CHUNK);
		pthread_mutex_lock(&f->lock);
		if (k <= 0) {
			f->status = k;
			break;
		}
		f->len[slot] = (size_t)k;
		f->count++;
		pthread_cond_broadcast(&f->cond);
	}
	f->done = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* Bytes the inflater thread produced: the count, 0 at the end, -1 on damage. */
static long take(struct reader *r, char *out, size_t n)
{
	struct inflater *f = &r->inf;
	pthread_mutex_lock(&f->lock);
	while (!f->count && !f->done)
		pthread_cond_wait(&f->cond, &f->lock);
	long k = f->status;
	if (f->count) {
		size_t left = f->len[f->head] - f->offset;
		k = (long)(left < n ? left : n);
		memcpy(out, f->data[f->head] + f->offset, (size_t)k);
		f->offset += (size_t)k;
		if (f->offset == f->len[f->head]) {
			f->head = (f->head + 1) % NCHUNKS;
			f->offset = 0;
			f->count--;
			pthread_cond_broadcast(&f->cond);
		}
	}
	pthread_mutex_unlock(&f->lock);
	return k;
}

static int inflater_start(struct reader *r)
{
	struct inflater *f = &r->inf;
	for (int i = 0; i < NCHUNKS; i++)
		if (!(f->data[i] = malloc(CHUNK)))
			return -1;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	if (pthread_create(&f->thread, NULL, inflater_main, r))
		return -1;
	f->started = true;
	return 0;
}

static void inflater_stop(struct reader *r)
{
	struct inflater *f = &r->inf;
	if (f->started) {
		pthread_mutex_lock(&f->lock);
		f->stop = true;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
		pthread_mutex_destroy(&f->lock);
		pthread_cond_destroy(&f->cond);
	}
	for (int i = 0; i < NCHUNKS; i++)
		free(f->data[i]);
}

static long produce(struct reader *r, char *out, size_t n)
{
	if (r->gzip)
		return take(r, out, n);
	if (r->z.avail_in) { /* the bytes read to look for the gzip magic */
		size_t k = r->z.avail_in < n ? r->z.avail_in : n;
		memcpy(out, r->z.next_in, k);
		r->z.next_in += k;
		r->z.avail_in -= (uInt)k;
		return (long)k;
	}
	long k = source(r, (unsigned char *)out, n);
	if (k > 0)
		r->st->bytes_in += (uint64_t)k;
	return k;
}

/* More bytes after buf[len]: keeps the element being captured (or
 * nothing before pos), grows the buffer for a large element. Returns the
 * bytes added, 0 at the end, -1 on error. */
static long fill(struct reader *r)
{
	size_t keep = r->mark != NO_MARK ? r->mark : r->pos;
	memmove(r->buf, r->buf + keep, r->len - keep);
	r->len -= keep;
	r->pos -= keep;
	if (r->mark != NO_MARK)
		r->mark = 0;
	if (r->len + 1 >= r->cap) {
		if (r->cap > TRACEIN_MAX_EVENT) {
			fail(r, "an element of the trace is larger than %u MiB", TRACEIN_MAX_EVENT >> 20);
			return -1;
		}
		r->cap *= 2;
		r->buf = realloc(r->buf, r->cap);
		if (!r->buf) {
			fail(r, "out of memory");
			return -1;
		}
	}
	long k = produce(r, r->buf + r->len, r->cap - 1 - r->len);
	if (k > 0) {
		r->len += (size_t)k;
		r->st->bytes_json += (uint64_t)k;
	}
	return k;
}

/* Bytes that matter outside strings while capturing. */
static const bool structural[256] = {['"'] = true, ['{'] = true, ['}'] = true, ['['] = true,
				     [']'] = true};

/* Scans the element being captured: 1 when it is complete (pos just after
 * it), 0 when more bytes are needed. */
static int scan(struct reader *r)
{
	char *p = r->buf + r->pos, *end = r->buf + r->len, *start = r->buf + r->mark;
	while (p < end) {
		if (r->scalar) {
			if (*p && strchr(",}] \t\r\n", *p)) {
				r->pos = (size_t)(p - r->buf);
				return 1;
			}
			p++;
			continue;
		}
		if (r->in_str) {
			char *q = memchr(p, '"', (size_t)(end - p));
			if (!q) {
				p = end;
				break;
			}
			size_t bs = 0;
			for (char *b = q - 1; b >= start && *b == '\\'; b--)
				bs++;
			p = q + 1;
			r->in_str = bs % 2 != 0;
			if (!r->in_str && r->depth == 0) {
				r->pos = (size_t)(p - r->buf);
				return 1;
			}
			continue;
		}
		while (p < end && !structural[(unsigned char)*p])
			p++;
		if (p == end)
			break;
		char c = *p++;
		if (c == '"')
			r->in_str = true;
		else if (c == '{' || c == '[')
			r->depth++;
		else if (--r->depth <= 0) {
			r->pos = (size_t)(p - r->buf);
			return 1;
		}
	}
	r->pos = (size_t)(p - r->buf);
	return 0;
}

/* Starts capturing the value at pos; -1 when no value starts there. */
static int capture(struct reader *r, enum state next)
{
	char c = r->buf[r->pos];
	if (!strchr("{[\"-0123456789tfn", c) || !c)
		return -1;
	r->mark = r->pos;
	r->depth = c == '{' || c == '[';
	r->in_str = c == '"';
	r->scalar = !r->depth && !r->in_str;
	r->pos += !r->scalar;
	r->state = next;
	return 0;
}

/* The captured element, NUL-terminated in place for the callback. */
static int deliver(struct reader *r)
{
	char *s = r->buf + r->mark, saved = r->buf[r->pos];
	size_t n = r->pos - r->mark;
	int stop = 0;
	r->buf[r->pos] = '\0';
	if (r->state == S_EVENT) {
		r->st->events++;
		stop = r->ev(s, n, r->arg);
		r->state = S_ARRAY;
	} else if (r->state == S_META) {
		if (r->meta && n <= META_MAX)
			r->meta(r->key, s, n, r->arg);
		r->state = S_KEY;
	} else { /* a key */
		snprintf(r->key, sizeof r->key, "%.*s", n >= 2 ? (int)n - 2 : 0, s + 1);
		r->state = S_COLON;
	}
	r->buf[r->pos] = saved;
	r->mark = NO_MARK;
	return stop;
}

static bool blank(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* One step of the structure outside elements; -1 when the text is not a trace. */
static int step(struct reader *r)
{
	char c = r->buf[r->pos];
	if (blank(c) || (c == ',' && (r->state == S_KEY || r->state == S_ARRAY))) {
		r->pos++;
		return 0;
	}
	switch (r->state) {
	case S_TOP:
		if (c != '{')
			break;
		r->pos++;
		r->state = S_KEY;
		return 0;
	case S_KEY:
		if (c == '}') {
			r->pos++;
			r->state = S_DONE;
			return 0;
		}
		if (c != '"')
			break;
		return capture(r, S_SKIP); /* S_SKIP marks "a key" for deliver */
	case S_COLON:
		if (c != ':')
			break;
		r->pos++;
		r->state = S_VALUE;
		return 0;
	case S_VALUE:
		if (strcmp(r->key, "traceEvents") == 0) {
			if (c != '[') {
				fail(r, "traceEvents is not an array");
				return -1;
			}
			r->pos++;
			r->state = S_ARRAY;
			return 0;
		}
		if (capture(r, S_META) == 0)
			return 0;
		break;
	case S_ARRAY:
		if (c == ']') {
			r->pos++;
			r->state = S_KEY;
			return 0;
		}
		if (capture(r, S_EVENT) == 0)
			return 0;
		break;
	default:
		break;
	}
	fail(r, "unexpected '%c' at byte %llu: not a Chrome trace (a JSON object with traceEvents)",
	     c, (unsigned long long)(r->st->bytes_json - (r->len - r->pos)));
	return -1;
}

static int run(struct reader *r)
{
	for (;;) {
		if (r->pos == r->len) {
			long k = fill(r);
			if (k <= 0) {
				if (k == 0 && r->state != S_DONE)
					fail(r, "the trace ends before it is complete (truncated?)");
				break;
			}
		}
		if (r->state == S_DONE)
			break;
		bool capturing = r->mark != NO_MARK;
		if (capturing ? scan(r) && deliver(r) : step(r) < 0)
			break;
	}
	if (r->state == S_DONE)
		return 0;
	r->st->partial = true;
	return r->st->events ? 1 : -1;
}

static int start(struct reader *r)
{
	pthread_mutex_init(&r->errlock, NULL);
	r->in = malloc(IN_CHUNK);
	r->cap = BUF_START;
	r->buf = malloc(r->cap);
	r->mark = NO_MARK;
	if (!r->in || !r->buf || refill_in(r)) {
		fail(r, "out of memory, or the input cannot be read");
		return -1;
	}
	r->gzip = r->z.avail_in >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b;
	r->st->gzip = r->gzip;
	if (r->gzip && (inflateInit2(&r->z, 15 + 32) != Z_OK || inflater_start(r))) {
		fail(r, "cannot start decompressing");
		return -1;
	}
	return run(r);
}

static int finish(struct reader *r, int rc)
{
	inflater_stop(r);
	if (r->gzip)
		inflateEnd(&r->z);
	free(r->in);
	free(r->buf);
	pthread_mutex_destroy(&r->errlock);
	return rc;
}

int tracein_read_mem(const void *data, size_t len, tracein_event_fn ev, tracein_meta_fn meta,
		     void *arg, struct tracein_stats *st)
{
	struct reader r = {.fd = -1, .mem = data ? data : (const void *)"", .memlen = len, .ev = ev,
			   .meta = meta, .arg = arg, .st = st};
	memset(st, 0, sizeof *st);
	return finish(&r, start(&r));
}

int tracein_read(const char *path, tracein_event_fn ev, tracein_meta_fn meta, void *arg,
		 struct tracein_stats *st)
{
	memset(st, 0, sizeof *st);
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(st->error, sizeof st->error, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct reader r = {.fd = fd, .ev = ev, .meta = meta, .arg = arg, .st = st};
	int rc = finish(&r, start(&r));
	if (fd > 0)
		close(fd);
	return rc;
}
