/* log: one logfmt line per event on stderr,
 *   ts=2026-11-21T23:40:47.123Z level=info comp=agent msg="spool opened" dir=/var/lib/lens
 * Each line is written with a single write(2) so lines from threads never
 * interleave. */
#ifndef LENS_LOG_H
#define LENS_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_init(const char *component, enum log_level min);
/* Returns 0, or -EINVAL for a name other than debug, info, warn, error. */
int log_parse_level(const char *name, enum log_level *out);

/* kvfmt is printf-style and holds the key=value pairs after msg; wrap any
 * value that may contain spaces or quotes in log_q(). */
void log_write(enum log_level level, const char *msg, const char *kvfmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(msg, ...) log_write(LOG_DEBUG, msg, "" __VA_ARGS__)
#define log_info(msg, ...) log_write(LOG_INFO, msg, "" __VA_ARGS__)
#define log_warn(msg, ...) log_write(LOG_WARN, msg, "" __VA_ARGS__)
#define log_error(msg, ...) log_write(LOG_ERROR, msg, "" __VA_ARGS__)

/* The value quoted and escaped for logfmt when it needs it, else as is.
 * Points into a small per-thread ring: valid until 8 more calls. */
const char *log_q(const char *value);

#endif
