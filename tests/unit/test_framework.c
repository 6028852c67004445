/* Unit tests of framework detection: log markers, and WandB evidence
 * ranked import > env > config > modules > project > hints, with the
 * reference's sample report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "framework.h"

static int line(const char *s, struct framework_det *d)
{
	return framework_from_line(s, strlen(s), d);
}

static void test_log_markers(void **state)
{
	(void)state;
	struct framework_det d;
	assert_int_equal(line("[Primus:rank0] building megatron.core GPT model", &d), 1);
	assert_string_equal(d.wrapper, "primus");
	assert_string_equal(d.base, "megatron");
	assert_string_equal(d.method, "log_pattern");
	assert_string_equal(d.evidence, "Primus");
	assert_int_equal(line("[2024-01-01 10:00:00,000] [INFO] [logging.py:96:log_dist] [Rank 0] DeepSpeed info: version=0.14.0", &d), 1);
	assert_string_equal(d.base, "deepspeed");
	assert_string_equal(d.wrapper, "");
	assert_int_equal(line("***** Running training *****", &d), 1);
	assert_string_equal(d.wrapper, "transformers_trainer");
	assert_string_equal(d.base, "transformers");
	assert_int_equal(line("INFO: lightning.pytorch.utilities.rank_zero: GPU available: True", &d), 1);
	assert_string_equal(d.wrapper, "lightning");
	/* Near misses name nothing. */
	assert_int_equal(line("deepspeedy primu megatro running training", &d), 0);
	assert_int_equal(line("", &d), 0);
	assert_int_equal(line("P", &d), 0);
}

static json_t *report(const char *s)
{
	json_error_t e;
	json_t *o = json_loads(s, 0, &e);
	assert_non_null(o);
	return o;
}

static void test_wandb_reference_sample(void **state)
{
	(void)state;
	json_t *r = report(
		"{\"source\":\"wandb\",\"type\":\"framework_detection_raw\",\"evidence\":{"
		"\"wandb\":{\"project\":\"my-training\",\"config\":{\"framework\":\"primus\",\"base_framework\":\"megatron\"}},"
		"\"environment\":{\"PRIMUS_CONFIG\":\"/config/primus.yaml\",\"PRIMUS_BACKEND\":\"megatron\"},"
		"\"pytorch\":{\"detected_modules\":{\"deepspeed\":false,\"megatron\":true,\"transformers\":true}},"
		"\"wrapper_frameworks\":{\"primus\":{\"detected\":true}},"
		"\"base_frameworks\":{\"megatron\":{\"detected\":true}}},"
		"\"hints\":{\"wrapper_frameworks\":[\"primus\"],\"base_frameworks\":[\"megatron\"],\"confidence\":\"high\"}}");
	struct framework_det d;
	assert_int_equal(framework_from_wandb(r, &d), 1);
	assert_string_equal(d.wrapper, "primus");
	assert_string_equal(d.base, "megatron");
	assert_string_equal(d.method, "import");
	assert_true(d.confidence > 0.89 && d.confidence < 0.91);
	json_decref(r);
}

static void test_wandb_ranking(void **state)
{
	(void)state;
	struct framework_det d;
	/* Environment beats config and modules. */
	json_t *r = report("{\"evidence\":{\"environment\":{\"DS_CONFIG\":\"/ds.json\"},"
			   "\"wandb\":{\"config\":{\"base_framework\":\"jax\"}},"
			   "\"pytorch\":{\"detected_modules\":{\"lightning\":true}}}}");
	assert_int_equal(framework_from_wandb(r, &d), 1);
	assert_string_equal(d.base, "deepspeed");
	assert_string_equal(d.wrapper, "lightning");
	assert_string_equal(d.method, "env");
	json_decref(r);
	/* Only the project name: the weakest source. */
	r = report("{\"evidence\":{\"wandb\":{\"project\":\"Llama-Megatron-pretrain\"}}}");
	assert_int_equal(framework_from_wandb(r, &d), 1);
	assert_string_equal(d.base, "megatron");
	assert_string_equal(d.method, "project");
	assert_true(d.confidence < 0.51);
	json_decref(r);
	/* Nothing known: no detection, whatever the shape. */
	const char *none[] = {"{}", "{\"evidence\":[]}", "{\"evidence\":{\"wandb\":{\"config\":{\"framework\":\"keras\"}}}}",
			      "{\"hints\":{\"base_frameworks\":[1,null,{}]}}"};
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
		r = report(none[i]);
		assert_int_equal(framework_from_wandb(r, &d), 0);
		json_decref(r);
	}
}

static int argv_of(const char *json, struct framework_det *d)
{
	json_t *a = json_loads(json, 0, NULL);
	int rc = framework_from_argv(a, d);
	json_decref(a);
	return rc;
}

/* Launchers start training; a plain python script or tool does not. */
static void test_command_lines(void **state)
{
	(void)state;
	struct framework_det d;
	assert_int_equal(argv_of("[\"/usr/local/bin/torchrun\",\"--nproc_per_node=8\",\"/workspace/Megatron-LM/pretrain_gpt.py\"]", &d), 1);
	assert_string_equal(d.base, "megatron");
	assert_string_equal(d.method, "cmdline");
	assert_true(d.confidence > 0.79 && d.confidence < 0.81);
	assert_int_equal(argv_of("[\"python3\",\"-m\",\"torch.distributed.run\",\"train.py\"]", &d), 1);
	assert_true(d.confidence == 0); /* a launch, of no framework it names */
	assert_int_equal(argv_of("[\"deepspeed\",\"--num_gpus\",\"8\",\"train.py\"]", &d), 1);
	assert_string_equal(d.base, "deepspeed");
	assert_int_equal(argv_of("[\"/usr/bin/python\",\"/opt/primus/examples/train.py\",\"--backend\",\"megatron\"]", &d), 1);
	assert_string_equal(d.wrapper, "primus");
	assert_string_equal(d.base, "megatron");
	assert_int_equal(argv_of("[\"python3\",\"serve.py\"]", &d), 0);
	assert_int_equal(argv_of("[\"/bin/echo\",\"megatron\"]", &d), 0);
	assert_int_equal(argv_of("[\"python3\",\"-m\"]", &d), 0);
	assert_int_equal(argv_of("[]", &d), 0);
	assert_int_equal(argv_of("[1,2]", &d), 0);
	assert_int_equal(framework_from_argv(NULL, &d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_markers),
		cmocka_unit_test(test_wandb_reference_sample),
		cmocka_unit_test(test_wandb_ranking),
		cmocka_unit_test(test_command_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
