/* logmsg: a LogBatch's lines, zstd-compressed on the agent, decompressed
 * and checked on the aggregator; one module so both ends agree. */
#ifndef LENS_LOGMSG_H
#define LENS_LOGMSG_H

#include <stddef.h>

#include "buf.h"
#include "envelope.h"

#define LOGMSG_MAX_BYTES (64u << 20) /* a batch's lines, uncompressed */

/* Packs and compresses lines into b (b->lines_zstd points into out). */
int logmsg_compress(const Lens__V1__LogLines *lines, Lens__V1__LogBatch *b, struct buf *out);
/* The batch's lines (free with lens__v1__log_lines__free_unpacked), or
 * NULL with err set when they do not decompress, unpack or count right. */
Lens__V1__LogLines *logmsg_lines(const Lens__V1__LogBatch *b, char *err, size_t errlen);

#endif
