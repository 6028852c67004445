/* trainmark: the training log lines that mark a moment rather than an
 * iteration: checkpoint saves and loads and the end of training, as
 * Megatron-LM (and Primus, which runs it) prints them:
 *   saving checkpoint at iteration    1000 to /ckpt in torch_dist format
 *     successfully saved checkpoint from iteration    1000 to /ckpt [ t 1/8, p 1/1 ]
 *   loading distributed checkpoint from /ckpt at iteration 1000
 *     successfully loaded checkpoint from /ckpt [ t 1/8, p 1/1 ] at iteration 1000
 *   exiting program at iteration 5000
 * with space-padded numbers, and "took N ms" (or s) where a trainer adds
 * the duration. Every such line contains "iteration", the same cheap
 * first test as trainlog's. */
#ifndef LENS_TRAINMARK_H
#define LENS_TRAINMARK_H

#include <stddef.h>
#include <stdint.h>

enum trainmark_kind {
	TM_SAVE_START,
	TM_SAVE_END,
	TM_LOAD_START,
	TM_LOAD_END,
	TM_END,
};

struct trainmark {
	enum trainmark_kind kind;
	int64_t iteration;
	double took_ms;        /* < 0 when the line does not say */
	char path[256];        /* the checkpoint directory, "" when not given */
};

/* Returns 1 for a mark line (out filled), else 0. */
int trainmark_parse(const char *line, size_t len, struct trainmark *out);

/* "save_start", "save_end", ...: the kind as the store names it. */
const char *trainmark_kind_name(enum trainmark_kind k);

#endif
