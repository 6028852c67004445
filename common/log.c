/* log: logfmt lines on stderr, the level filter and value quoting. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"

static const char *log_component = "lens";
static enum log_level log_min = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *component, enum log_level min)
{
	log_component = component;
	log_min = min;
}

int log_parse_level(const char *name, enum log_level *out)
{
	for (int i = 0; i <= LOG_ERROR; i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(name, "warning") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return -EINVAL;
}

static int needs_quotes(const char *s)
{
	if (!*s)
		return 1;
	for (; *s; s++)
		if (*s <= ' ' || *s == '"' || *s == '=' || *s == '\\' || *s == 0x7f)
			return 1;
	return 0;
}

static void append_quoted(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c < ' ' || c == 0x7f) {
			buf_printf(b, "\\x%02x", c);
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

const char *log_q(const char *value)
{
	static __thread char ring[8][512];
	static __thread unsigned next;
	char *slot = ring[next++ % 8];

	if (!value)
		value = "";
	if (!needs_quotes(value))
		return value;
	struct buf b = BUF_INIT;
	append_quoted(&b, value);
	snprintf(slot, sizeof ring[0], "%s", b.p);
	if (b.len >= sizeof ring[0])
		memcpy(slot + sizeof ring[0] - 5, "...\"", 5);
	buf_free(&b);
	return slot;
}

void log_write(enum log_level level, const char *msg, const char *kvfmt, ...)
{
	if (level < log_min)
		return;
	int saved = errno;
	char ts[40];
	clock_format_rfc3339(clock_now_ns(), 3, ts, sizeof ts);

	struct buf b = BUF_INIT;
	buf_printf(&b, "ts=%s level=%s comp=%s msg=", ts, level_names[level], log_component);
	append_quoted(&b, msg);
	if (kvfmt && *kvfmt) {
		va_list ap;
		va_start(ap, kvfmt);
		buf_putc(&b, ' ');
		buf_vprintf(&b, kvfmt, ap);
		va_end(ap);
	}
	buf_putc(&b, '\n');
	ssize_t n = write(STDERR_FILENO, b.p, b.len);
	(void)n;
	buf_free(&b);
	errno = saved;
}
