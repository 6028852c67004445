/* trainitem: the items of a training store batch, in the JSON form the
 * database function lens_training_batch (migration 007) reads:
 * {"k": kind, "p": pod uid, "src": source, "t": microseconds since the
 * epoch, ...}. The log analysis (training.c) and the WandB intake
 * (wandb.c) both make them; this is the one place that knows the shape. */
#ifndef LENS_TRAINITEM_H
#define LENS_TRAINITEM_H

#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "framework.h"

/* kind: report, framework, save_start, save_end, load_start, load_end, end. */
json_t *trainitem_new(const char *kind, const char *pod_uid, const char *source, int64_t t_us);
/* A framework detection: the item with its layers, confidence and method
 * (evidence is the caller's, under "d"). */
json_t *trainitem_framework(const struct framework_det *d, const char *pod_uid,
			    const char *source, int64_t t_us);
/* A log line's iteration report, written as text onto b (the hot path of
 * the log analysis builds no jansson objects); perf is the text of its
 * metrics object. The same shape as trainitem_new's with "i" and "perf". */
void trainitem_write_report(struct buf *b, const char *pod_uid, const char *namespace_,
			    const char *pod, int64_t t_us, int64_t iteration, const char *perf,
			    size_t perf_len);
/* The pod's names, for items whose pod UID the sender did not know. */
void trainitem_set_pod(json_t *item, const char *namespace_, const char *pod);

#endif
