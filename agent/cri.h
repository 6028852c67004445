/* cri: one line of a container log file as the kubelet's runtimes write
 * it: the CRI format (containerd, CRI-O)
 *   <RFC3339Nano time> <stdout|stderr> <P|F> <message>
 * or docker's json-file format
 *   {"log":"<message>\n","stream":"stdout","time":"<RFC3339Nano>"}.
 * A P (partial) piece continues in the next piece of the same stream
 * (runtimes split lines at 16 KiB); logline.h joins them. The message is
 * bytes: invalid UTF-8 and binary data pass through untouched.
 * Groundwork for log collection (issue 6). */
#ifndef LENS_CRI_H
#define LENS_CRI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum cri_stream { CRI_STDOUT = 0, CRI_STDERR = 1 };

struct cri_line {
	int64_t time_ns;
	enum cri_stream stream;
	bool partial;        /* P: the line goes on in the next piece */
	const char *msg;     /* not NUL-terminated */
	size_t len;
};

/* A CRI line without its newline. The time is parsed, never assumed to
 * have a fixed width (RFC3339Nano drops trailing zeros). Returns 0, or
 * -EINVAL for a line that is not in the format. out->msg points into line. */
int cri_parse(const char *line, size_t len, struct cri_line *out);

/* A docker json-file line. The decoded message goes into msg (reset
 * first), and out->msg points into it. Returns 0 or -EINVAL. */
int cri_parse_docker(const char *line, size_t len, struct buf *msg, struct cri_line *out);

#endif
