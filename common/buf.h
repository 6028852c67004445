/* buf: a growable byte buffer, the one way Lens builds text (JSON, SQL
 * array literals, Prometheus exposition, log lines) without fixed limits.
 * Allocation failure aborts: every caller would otherwise have to invent a
 * recovery for an out-of-memory it cannot meaningfully handle. */
#ifndef LENS_BUF_H
#define LENS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;      /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
};

#define BUF_INIT {0, 0, 0}

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands the string to the caller (never NULL) and leaves b empty. */
char *buf_steal(struct buf *b);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
