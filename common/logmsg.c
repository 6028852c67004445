/* logmsg: protobuf-c and zstd, checked at every step. */
#include "logmsg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

int logmsg_compress(const Lens__V1__LogLines *lines, Lens__V1__LogBatch *b, struct buf *out)
{
	size_t n = lens__v1__log_lines__get_packed_size(lines);
	if (n > LOGMSG_MAX_BYTES)
		return -EMSGSIZE;
	uint8_t *packed = xmalloc(n ? n : 1);
	lens__v1__log_lines__pack(lines, packed);
	buf_reset(out);
	buf_reserve(out, ZSTD_compressBound(n));
	/* Level 1: log text compresses well at the fastest level already. */
	size_t z = ZSTD_compress(out->p, out->cap, packed, n, 1);
	free(packed);
	if (ZSTD_isError(z))
		return -EIO;
	out->len = z;
	b->nlines = (uint32_t)lines->n_lines;
	b->lines_bytes = (uint32_t)n;
	b->lines_zstd.data = (uint8_t *)out->p;
	b->lines_zstd.len = z;
	return 0;
}

Lens__V1__LogLines *logmsg_lines(const Lens__V1__LogBatch *b, char *err, size_t errlen)
{
	if (b->lines_bytes > LOGMSG_MAX_BYTES) {
		snprintf(err, errlen, "log batch of %u bytes is over the limit", b->lines_bytes);
		return NULL;
	}
	uint8_t *raw = xmalloc(b->lines_bytes ? b->lines_bytes : 1);
	size_t n = ZSTD_decompress(raw, b->lines_bytes, b->lines_zstd.data, b->lines_zstd.len);
	Lens__V1__LogLines *lines = NULL;
	if (ZSTD_isError(n) || n != b->lines_bytes)
		snprintf(err, errlen, "log lines do not decompress: %s",
			 ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size");
	else if (!(lines = lens__v1__log_lines__unpack(NULL, n, raw)))
		snprintf(err, errlen, "log lines do not unpack");
	else if (lines->n_lines != b->nlines) {
		snprintf(err, errlen, "log batch says %u lines, holds %zu", b->nlines, lines->n_lines);
		lens__v1__log_lines__free_unpacked(lines, NULL);
		lines = NULL;
	}
	free(raw);
	return lines;
}
