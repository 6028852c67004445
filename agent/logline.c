/* logline: append up to max, count the rest, mark the cut at the end. */
#include "logline.h"

#include <stdio.h>
#include <string.h>

void logline_init(struct logline *j, size_t max)
{
	memset(j, 0, sizeof *j);
	j->max = max ? max : LOGLINE_DEFAULT_MAX;
}

void logline_free(struct logline *j)
{
	buf_free(&j->text);
}

int logline_add(struct logline *j, const struct cri_line *piece)
{
	if (!j->open) {
		buf_reset(&j->text);
		j->time_ns = piece->time_ns;
		j->stream = piece->stream;
		j->cut = 0;
		j->open = true;
	}
	size_t room = j->text.len < j->max ? j->max - j->text.len : 0;
	size_t take = piece->len < room ? piece->len : room;
	buf_append(&j->text, piece->msg, take);
	j->cut += piece->len - take;
	if (piece->partial)
		return 0;
	if (j->cut) {
		buf_printf(&j->text, " [lens: line cut, %zu bytes dropped]", j->cut);
		j->lines_cut++;
	}
	j->open = false;
	return 1;
}
