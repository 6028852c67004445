/* logtail: the agent's container log collector. It follows every file
 * under /var/log/pods/<namespace>_<pod>_<uid>/<container>/ (inotify wakes
 * it, a periodic rescan is the safety net and the answer to an inotify
 * overflow), parses CRI or docker json-file lines (cri.h), joins partial
 * pieces (logline.h), and sends the lines of each file in LogBatch
 * envelopes on the logs stream, by size or time.
 *
 * Nothing is lost: files are followed by (device, inode), so a file
 * renamed by rotation is read to its end before the new one; a file that
 * shrank (copytruncate) is read again from its start; the offset of a
 * file is written to the state file only once the aggregator acknowledged
 * every batch up to it, and an agent that restarts resumes from there
 * (the aggregator stores a line read twice once: its key is the file and
 * offset). When the spool refuses more (full), the tailer stops reading
 * until it takes batches again: the file on disk is the buffer. */
#ifndef LENS_LOGTAIL_H
#define LENS_LOGTAIL_H

#include <stddef.h>
#include <stdint.h>

#include "emit.h"
#include "prom.h"
#include "spool.h"

struct logtail_config {
	const char *dir;         /* /var/log/pods */
	const char *state_path;  /* where acknowledged offsets are kept */
	size_t max_line;         /* bytes kept of a line (64 KiB) */
	size_t batch_bytes;      /* a batch goes out at this size ... */
	int64_t batch_delay_ns;  /* ... or this old */
	int64_t rescan_ns;       /* directory walk, whatever inotify says */
};

struct logtail;

int logtail_start(const struct logtail_config *cfg, struct emitter *em, struct spool *spool,
		  struct prom_registry *reg, struct logtail **out, char *err, size_t errlen);
/* Sends what is read, writes the state, stops. */
void logtail_stop(struct logtail *lt);

/* Lines read so far (benchmarks wait on it). */
uint64_t logtail_lines(struct logtail *lt);

#endif
