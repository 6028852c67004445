/* trainlog: the Megatron-style iteration lines Primus and Megatron-LM print
 *   iteration 12125/ 36000 | consumed samples: 3104000 | elapsed time per
 *   iteration (ms): 2701.3/2712.7 | rocm mem usage/free/total/usage_ratio:
 *   227.35GB/28.63GB/255.98GB/88.81% | ... | lm loss: 2.352391E+00 | ...
 * as numbers. Fields are found by name, not by position, so a trainer
 * that adds, drops or reorders fields still gives the rest; prefixes
 * (timestamps, [rank-N/M], torchrun's [default0]:) and ANSI colours (with
 * or without their ESC byte) are skipped. nan and inf are kept as values
 * (a diverged run is what operators need to see); a negative or
 * impossible value rejects the line. Built without regexes: the first
 * test of a line is a substring search, so the many lines that are not
 * iteration lines cost next to nothing. Groundwork for training analysis
 * (issue 7). */
#ifndef LENS_TRAINLOG_H
#define LENS_TRAINLOG_H

#include <jansson.h>

#include "buf.h"
#include <stddef.h>
#include <stdint.h>

enum trainlog_field {
	TL_ITERATION,
	TL_TARGET_ITERATIONS,
	TL_CONSUMED_SAMPLES,
	TL_ELAPSED_MS,          /* this iteration's time; the average after '/' below */
	TL_ELAPSED_AVG_MS,
	TL_MEM_USAGE_GB,
	TL_MEM_FREE_GB,
	TL_MEM_TOTAL_GB,
	TL_MEM_USAGE_RATIO,     /* 0 to 1 */
	TL_TFLOPS_PER_GPU,
	TL_TFLOPS_PER_GPU_AVG,
	TL_TOKENS_PER_GPU,      /* tokens/s per GPU */
	TL_TOKENS_PER_GPU_AVG,
	TL_LEARNING_RATE,
	TL_GLOBAL_BATCH_SIZE,
	TL_LM_LOSS,
	TL_LOSS_SCALE,
	TL_GRAD_NORM,
	TL_PARAMS_NORM,
	TL_NUM_ZEROS,
	TL_SKIPPED_ITERATIONS,
	TL_NAN_ITERATIONS,
	TL_NFIELDS
};

/* How the memory was reported: the layout the line came in. */
enum trainlog_format { TL_FORMAT_PLAIN, TL_FORMAT_ROCM_MEM, TL_FORMAT_HIP_MEM, TL_FORMAT_LEGACY };

#define TL_TEXT_MAX 24

struct trainlog_line {
	uint32_t present;             /* bit per enum trainlog_field */
	double v[TL_NFIELDS];
	/* A value's text as the line wrote it, when that is a JSON number:
	 * written out as is, it needs no formatting (which cost more than
	 * the parsing) and keeps every digit; "" for computed values. */
	char text[TL_NFIELDS][TL_TEXT_MAX];
	enum trainlog_format format;
	const char *rejected;         /* why, when trainlog_parse returned -1 */
	int mentions_iteration;       /* the line has the word, whatever it returned:
				       * checkpoint lines (trainmark.h) all do */
};

/* Returns 1 for an iteration line (out filled), 0 for any other line, -1
 * for an iteration line with a negative or impossible value (out->rejected
 * says which). */
int trainlog_parse(const char *line, size_t len, struct trainlog_line *out);

const char *trainlog_field_name(enum trainlog_field f);
const char *trainlog_format_name(enum trainlog_format f);
/* {"iteration": 12125, ..., "lm_loss": "NaN"}: the fields present, NaN and
 * infinities as the strings JSON allows; as text appended to b (what the
 * store takes), or as a jansson object. */
void trainlog_fields_write(const struct trainlog_line *l, struct buf *b);
json_t *trainlog_fields_json(const struct trainlog_line *l);

#endif
