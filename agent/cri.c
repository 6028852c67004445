/* cri: split on the first three spaces; the time through clock. */
#include "cri.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "clock.h"

/* RFC 3339 from a token that is not NUL-terminated. */
static int parse_time(const char *s, size_t n, int64_t *ns)
{
	char t[48];
	if (n == 0 || n >= sizeof t)
		return -EINVAL;
	memcpy(t, s, n);
	t[n] = '\0';
	return clock_parse_rfc3339(t, ns);
}

static int parse_stream(const char *s, size_t n, enum cri_stream *out)
{
	if (n == 6 && memcmp(s, "stdout", 6) == 0)
		*out = CRI_STDOUT;
	else if (n == 6 && memcmp(s, "stderr", 6) == 0)
		*out = CRI_STDERR;
	else
		return -EINVAL;
	return 0;
}

int cri_parse(const char *line, size_t len, struct cri_line *out)
{
	const char *end = line + len, *p = line, *sp;
	if (!(sp = memchr(p, ' ', (size_t)(end - p))) || parse_time(p, (size_t)(sp - p), &out->time_ns))
		return -EINVAL;
	p = sp + 1;
	if (!(sp = memchr(p, ' ', (size_t)(end - p))) || parse_stream(p, (size_t)(sp - p), &out->stream))
		return -EINVAL;
	p = sp + 1;
	/* The tag: P or F, possibly followed by more ':'-separated tags. */
	sp = memchr(p, ' ', (size_t)(end - p));
	const char *tag_end = sp ? sp : end;
	if (tag_end == p || (*p != 'P' && *p != 'F') || (tag_end - p > 1 && p[1] != ':'))
		return -EINVAL;
	out->partial = *p == 'P';
	out->msg = sp ? sp + 1 : end; /* an empty message may lose its space */
	out->len = (size_t)(end - out->msg);
	return 0;
}

int cri_parse_docker(const char *line, size_t len, struct buf *msg, struct cri_line *out)
{
	json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
	const char *log = json_string_value(json_object_get(j, "log"));
	const char *stream = json_string_value(json_object_get(j, "stream"));
	const char *time = json_string_value(json_object_get(j, "time"));
	int rc = -EINVAL;
	if (log && stream && time && parse_stream(stream, strlen(stream), &out->stream) == 0 &&
	    clock_parse_rfc3339(time, &out->time_ns) == 0) {
		size_t n = json_string_length(json_object_get(j, "log"));
		out->partial = n == 0 || log[n - 1] != '\n';
		buf_reset(msg);
		buf_append(msg, log, out->partial ? n : n - 1);
		out->msg = msg->p ? msg->p : "";
		out->len = msg->len;
		rc = 0;
	}
	json_decref(j);
	return rc;
}
