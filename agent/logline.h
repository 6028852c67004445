/* logline: whole log lines from the pieces the runtimes split them into
 * (cri.h), one joiner per file and stream. A line longer than the maximum
 * keeps its first max bytes and a marker saying how much was cut; the cut
 * is counted, never silent. Groundwork for log collection (issue 6). */
#ifndef LENS_LOGLINE_H
#define LENS_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cri.h"

#define LOGLINE_DEFAULT_MAX (64 * 1024)

struct logline {
	size_t max;          /* bytes of message kept per line */
	struct buf text;     /* the line so far; whole when logline_add returns 1 */
	int64_t time_ns;     /* the time of its first piece */
	enum cri_stream stream;
	bool open;           /* pieces received, line not finished */
	size_t cut;          /* bytes dropped from this line */
	uint64_t lines_cut;  /* lines that were cut, since init */
};

void logline_init(struct logline *j, size_t max);
void logline_free(struct logline *j);
/* Adds a piece. Returns 1 when a whole line is in j->text (valid until the
 * next call), 0 while the line goes on. */
int logline_add(struct logline *j, const struct cri_line *piece);

#endif
