/* Unit tests of the training-log parser: the layouts Primus and
 * Megatron-LM print, drift (appended, missing, reordered fields, single
 * values), noise (prefixes, ANSI colours with and without ESC), diverged
 * runs (nan, inf), impossible values, and look-alike lines. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trainlog.h"
#include "trainmark.h"

static int parse(const char *s, struct trainlog_line *l)
{
	return trainlog_parse(s, strlen(s), l);
}

static double v(const struct trainlog_line *l, enum trainlog_field f)
{
	assert_true(l->present & (1u << f));
	return l->v[f];
}

#define NEAR(a, b) assert_true(fabs((double)(a) - (double)(b)) < 1e-9 * (fabs((double)(b)) + 1))

static void test_sample_file(void **state)
{
	(void)state;
	FILE *f = fopen("tests/data/training-logs/primus-iteration-lines.log", "r");
	assert_non_null(f);
	char line[8192];
	int n = 0;
	enum trainlog_format want[] = {TL_FORMAT_ROCM_MEM, TL_FORMAT_ROCM_MEM, TL_FORMAT_HIP_MEM,
				       TL_FORMAT_HIP_MEM, TL_FORMAT_HIP_MEM, TL_FORMAT_HIP_MEM,
				       TL_FORMAT_LEGACY,  TL_FORMAT_LEGACY};
	while (fgets(line, sizeof line, f)) {
		struct trainlog_line l;
		assert_int_equal(parse(line, &l), 1);
		assert_int_equal(l.format, want[n]);
		assert_true(l.present & (1u << TL_LM_LOSS));
		assert_true(l.present & (1u << TL_TFLOPS_PER_GPU));
		assert_true(l.present & (1u << TL_MEM_USAGE_RATIO));
		n++;
	}
	fclose(f);
	assert_int_equal(n, 8);
}

static void test_rocm_fields(void **state)
{
	(void)state;
	struct trainlog_line l;
	assert_int_equal(
		parse("[20251121 12:10:29][rank-31/32][INFO ] [--------trainer.py:2488] :  iteration    12125/   36000 | consumed samples:      3104000 | elapsed time per iteration (ms): 2701.3/2712.7 | rocm mem usage/free/total/usage_ratio: 227.35GB/28.63GB/255.98GB/88.81% | throughput per GPU (TFLOP/s/GPU): 210.5/217.3 | tokens per GPU (tokens/s/GPU): 12130.4/12525.5 | learning rate: 1.587349E-04 | global batch size:   256 | lm loss: 2.352391E+00 | loss scale: 1.0 | grad norm: 0.132 | num zeros: 0.0 | number of skipped iterations:   0 | number of nan iterations:   0 |",
		      &l),
		1);
	NEAR(v(&l, TL_ITERATION), 12125);
	NEAR(v(&l, TL_TARGET_ITERATIONS), 36000);
	NEAR(v(&l, TL_CONSUMED_SAMPLES), 3104000);
	NEAR(v(&l, TL_ELAPSED_MS), 2701.3);
	NEAR(v(&l, TL_ELAPSED_AVG_MS), 2712.7);
	NEAR(v(&l, TL_MEM_USAGE_GB), 227.35);
	NEAR(v(&l, TL_MEM_FREE_GB), 28.63);
	NEAR(v(&l, TL_MEM_TOTAL_GB), 255.98);
	NEAR(v(&l, TL_MEM_USAGE_RATIO), 0.8881);
	NEAR(v(&l, TL_TFLOPS_PER_GPU), 210.5);
	NEAR(v(&l, TL_TFLOPS_PER_GPU_AVG), 217.3);
	NEAR(v(&l, TL_TOKENS_PER_GPU), 12130.4);
	NEAR(v(&l, TL_LEARNING_RATE), 1.587349e-4);
	NEAR(v(&l, TL_GLOBAL_BATCH_SIZE), 256);
	NEAR(v(&l, TL_LM_LOSS), 2.352391);
	NEAR(v(&l, TL_GRAD_NORM), 0.132);
	NEAR(v(&l, TL_NUM_ZEROS), 0);
	NEAR(v(&l, TL_SKIPPED_ITERATIONS), 0);
	NEAR(v(&l, TL_NAN_ITERATIONS), 0);
}

static void test_upstream_megatron(void **state)
{
	(void)state;
	struct trainlog_line l;
	/* Single values, params norm, space-padded numbers, no memory. */
	assert_int_equal(
		parse(" iteration      100/  500000 | consumed samples:       102400 | elapsed time per iteration (ms): 1312.5 | throughput per GPU (TFLOP/s/GPU): 182.1 | learning rate: 3.000000E-04 | global batch size:  1024 | lm loss: 6.712345E+00 | loss scale: 65536.0 | grad norm: 1.234 | params norm: 262.951 | number of skipped iterations:   0 | number of nan iterations:   0 |",
		      &l),
		1);
	assert_int_equal(l.format, TL_FORMAT_PLAIN);
	NEAR(v(&l, TL_ELAPSED_MS), 1312.5);
	assert_false(l.present & (1u << TL_ELAPSED_AVG_MS));
	NEAR(v(&l, TL_TFLOPS_PER_GPU), 182.1);
	NEAR(v(&l, TL_PARAMS_NORM), 262.951);
	NEAR(v(&l, TL_LOSS_SCALE), 65536);
}

static void test_drift_and_noise(void **state)
{
	(void)state;
	struct trainlog_line l;
	/* Fields appended after the last one, others reordered, unknown ones. */
	assert_int_equal(parse("[default3]: iteration 7/ 10 | lm loss: 3.5 | new metric: 42 | consumed samples: 70 | hip mem usage/free/total/usage_ratio: 10.00GB/90.00GB/100.00GB/10.00% |", &l), 1);
	NEAR(v(&l, TL_LM_LOSS), 3.5);
	NEAR(v(&l, TL_CONSUMED_SAMPLES), 70);
	NEAR(v(&l, TL_MEM_USAGE_RATIO), 0.1);
	assert_int_equal(l.format, TL_FORMAT_HIP_MEM);
	/* ANSI colours with and without their ESC byte, rank prefixes. */
	assert_int_equal(parse("[rank0]: \x1b[32m iteration \x1b[0m 8/ 10 | \x1b[1;31mlm loss: 3.25\x1b[0m |", &l), 1);
	NEAR(v(&l, TL_ITERATION), 8);
	NEAR(v(&l, TL_LM_LOSS), 3.25);
	assert_int_equal(parse("[32m iteration 9/ 10 [0m| [33mlm loss: 3.0[0m |", &l), 1);
	NEAR(v(&l, TL_LM_LOSS), 3.0);
}

static void test_diverged_and_impossible(void **state)
{
	(void)state;
	struct trainlog_line l;
	assert_int_equal(parse(" iteration 50/ 100 | lm loss: nan | grad norm: inf | loss scale: 1.0 |", &l), 1);
	assert_true(isnan(v(&l, TL_LM_LOSS)));
	assert_true(isnan(v(&l, TL_GRAD_NORM)));
	json_t *j = trainlog_fields_json(&l);
	assert_string_equal(json_string_value(json_object_get(j, "lm_loss")), "NaN");
	json_decref(j);
	assert_int_equal(parse(" iteration 50/ 100 | lm loss: -2.0 |", &l), -1);
	assert_string_equal(l.rejected, "lm_loss");
	assert_int_equal(parse(" iteration 500/ 100 | lm loss: 2.0 |", &l), -1);
	assert_int_equal(parse(" iteration 5/ 100 | rocm mem usage/free/total/usage_ratio: 1GB/1GB/2GB/150% |", &l), -1);
	assert_string_equal(l.rejected, "mem_usage_ratio");
}

static void test_look_alikes(void **state)
{
	(void)state;
	struct trainlog_line l;
	const char *not[] = {
		"",
		"starting training loop",
		"iteration time: 5s",
		"[before the start of training step] datetime: 2024-01-01 00:00:00",
		"saving checkpoint at iteration    1000 to /ckpt in torch format",
		" iteration 10/ 100 |",
		"warning: iteration 3/4 took too long",
		"iterations per second: 3",
	};
	for (size_t i = 0; i < sizeof not / sizeof not[0]; i++)
		assert_int_equal(parse(not[i], &l), 0);
}

static int mark(const char *s, struct trainmark *m)
{
	return trainmark_parse(s, strlen(s), m);
}

/* Megatron-LM's checkpoint lines, old and new wording, with padding,
 * prefixes and a trainer's "took". */
static void test_checkpoint_marks(void **state)
{
	(void)state;
	struct trainmark m;
	assert_int_equal(mark("[rank0]: saving checkpoint at iteration    1000 to /ckpt/llama in torch_dist format", &m), 1);
	assert_int_equal(m.kind, TM_SAVE_START);
	assert_int_equal(m.iteration, 1000);
	assert_string_equal(m.path, "/ckpt/llama");
	assert_true(m.took_ms < 0);
	assert_int_equal(mark("  successfully saved checkpoint from iteration    1000 to /ckpt/llama [ t 1/8, p 1/1 ]", &m), 1);
	assert_int_equal(m.kind, TM_SAVE_END);
	assert_int_equal(m.iteration, 1000);
	assert_int_equal(mark("2024-05-01 10:00:00 successfully saved checkpoint at iteration     200 to /c took 4321 ms", &m), 1);
	assert_int_equal(m.kind, TM_SAVE_END);
	assert_int_equal(m.iteration, 200);
	assert_true(fabs(m.took_ms - 4321) < 1e-9);
	assert_int_equal(mark("saving checkpoint at iteration 7 to /c took 2.5s", &m), 1);
	assert_true(fabs(m.took_ms - 2500) < 1e-9);
	assert_int_equal(mark(" loading distributed checkpoint from /ckpt/llama at iteration 1000", &m), 1);
	assert_int_equal(m.kind, TM_LOAD_START);
	assert_string_equal(m.path, "/ckpt/llama");
	assert_int_equal(mark("  successfully loaded checkpoint from /ckpt/llama [ t 1/8, p 1/1 ] at iteration 1000", &m), 1);
	assert_int_equal(m.kind, TM_LOAD_END);
	assert_int_equal(m.iteration, 1000);
	assert_int_equal(mark("exiting program at iteration 5000", &m), 1);
	assert_int_equal(m.kind, TM_END);
	assert_int_equal(m.iteration, 5000);
}

/* Lines that mention checkpoints or iterations but mark nothing. */
static void test_mark_look_alikes(void **state)
{
	(void)state;
	struct trainmark m;
	assert_int_equal(mark("WARNING: could not find the metadata file /ckpt/latest_checkpointed_iteration.txt", &m), 0);
	assert_int_equal(mark("    will not load any checkpoints and will start from random", &m), 0);
	assert_int_equal(mark("saving checkpoint at iteration", &m), 0);
	assert_int_equal(mark("loading checkpoint from /c at iteration x", &m), 0);
	assert_int_equal(mark(" iteration       10/     100 | lm loss: 1.0 |", &m), 0);
	assert_int_equal(mark("", &m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_file),       cmocka_unit_test(test_rocm_fields),
		cmocka_unit_test(test_upstream_megatron), cmocka_unit_test(test_drift_and_noise),
		cmocka_unit_test(test_diverged_and_impossible), cmocka_unit_test(test_look_alikes),
		cmocka_unit_test(test_checkpoint_marks), cmocka_unit_test(test_mark_look_alikes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
