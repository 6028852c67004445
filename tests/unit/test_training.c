/* Unit tests of the training intake that needs no database: WandB
 * payloads (valid to malformed) into store items, users' PCRE2 patterns,
 * and lensctl's terminal chart. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "logpattern.h"
#include "plot.h"
#include "wandb.h"

static json_t *load(const char *s)
{
	json_error_t e;
	json_t *o = json_loads(s, 0, &e);
	assert_non_null(o);
	return o;
}

static const struct wandb_who who = {"w-1", "pod-uid", "pod-0", "ns", "run-1"};

/* The reference's metrics request: grouped by step, metadata kept. */
static void test_metrics_by_step(void **state)
{
	(void)state;
	json_t *req = load("{\"source\":\"wandb\",\"workload_uid\":\"w-1\",\"run_id\":\"run-1\",\"metrics\":["
			   "{\"name\":\"loss\",\"value\":0.5234,\"step\":100,\"timestamp\":1704067200.123,\"tags\":{}},"
			   "{\"name\":\"accuracy\",\"value\":0.9512,\"step\":100,\"timestamp\":1704067200.5},"
			   "{\"name\":\"loss\",\"value\":0.5,\"step\":101,\"timestamp\":1704067201},"
			   "{\"name\":\"loss\",\"value\":\"NaN\",\"step\":102},"
			   "{\"name\":\"tag\",\"value\":\"text\",\"step\":102},"
			   "{\"name\":\"flag\",\"value\":true,\"step\":102},"
			   "{\"value\":1,\"step\":1},{\"name\":\"x\",\"value\":1,\"step\":-5},{\"name\":\"y\",\"value\":1}]}");
	json_t *items = json_array(), *ws = json_pack("[s]", "w-1");
	struct wandb_counts n = {0};
	char err[128];
	assert_int_equal(wandb_metrics(req, &who, ws, 42, items, &n, err, sizeof err), 0);
	assert_int_equal(json_array_size(items), 3);
	assert_int_equal(n.steps, 3);
	assert_int_equal(n.metrics, 4);
	assert_int_equal(n.non_numeric, 2);
	assert_int_equal(n.bad_metric, 3);
	json_t *it = json_array_get(items, 0), *perf = json_object_get(it, "perf");
	assert_string_equal(json_string_value(json_object_get(it, "k")), "report");
	assert_string_equal(json_string_value(json_object_get(it, "src")), "wandb");
	assert_int_equal(json_integer_value(json_object_get(it, "i")), 100);
	/* The step's time is its latest value's. */
	assert_int_equal(json_integer_value(json_object_get(it, "t")), 1704067200500000LL);
	assert_true(fabs(json_number_value(json_object_get(perf, "loss")) - 0.5234) < 1e-12);
	assert_string_equal(json_string_value(json_object_get(perf, "run_id")), "run-1");
	assert_int_equal(json_integer_value(json_object_get(perf, "step")), 100);
	/* A value with no timestamp takes the request's time (here: now). */
	it = json_array_get(items, 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(it, "perf"), "loss")), "NaN");
	assert_int_equal(json_integer_value(json_object_get(it, "t")), 42);
	json_decref(items);
	json_decref(ws);
	json_decref(req);
}

static void test_logs_and_shapes(void **state)
{
	(void)state;
	json_t *ws = json_pack("[s]", "w-1"), *items = json_array();
	struct wandb_counts n = {0};
	char err[128];
	json_t *req = load("{\"logs\":[{\"step\":7,\"timestamp\":10,\"data\":{\"loss\":1.5,\"_runtime\":3,\"obj\":{}}},"
			   "{\"data\":{\"_step\":8,\"loss\":1.4}},{\"step\":9},\"junk\"]}");
	assert_int_equal(wandb_logs(req, &who, ws, 5, items, &n, err, sizeof err), 0);
	assert_int_equal(json_array_size(items), 2);
	assert_int_equal(n.metrics, 2);
	assert_int_equal(n.non_numeric, 1);
	assert_int_equal(n.bad_metric, 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 1), "i")), 8);
	json_decref(req);
	/* One entry as the request itself. */
	req = load("{\"step\":3,\"data\":{\"loss\":2}}");
	assert_int_equal(wandb_logs(req, &who, ws, 5, items, &n, err, sizeof err), 0);
	assert_int_equal(json_array_size(items), 3);
	json_decref(req);
	/* Wrong shapes are errors that say what was expected. */
	const char *bad[] = {"{\"metrics\":{}}", "{}", "{\"metrics\":\"x\"}"};
	for (size_t i = 0; i < 3; i++) {
		req = load(bad[i]);
		assert_int_equal(wandb_metrics(req, &who, ws, 5, items, &n, err, sizeof err), -22);
		assert_non_null(strstr(err, "metrics"));
		json_decref(req);
	}
	req = load("{\"logs\":{}}");
	assert_int_equal(wandb_logs(req, &who, ws, 5, items, &n, err, sizeof err), -22);
	json_decref(req);
	req = load("{\"evidence\":[]}");
	assert_int_equal(wandb_detection(req, &who, ws, 5, items, &n, err, sizeof err), -22);
	json_decref(req);
	json_decref(items);
	json_decref(ws);
}

static void test_detection_and_inheritance(void **state)
{
	(void)state;
	json_t *batch = load("{\"workload_uid\":\"w-9\",\"run_id\":\"r\",\"detection\":{\"pod_name\":\"p\",\"evidence\":"
			     "{\"environment\":{\"DS_CONFIG\":\"/x\"}}}}");
	struct wandb_who top, part;
	wandb_who_of(batch, NULL, &top);
	wandb_who_of(json_object_get(batch, "detection"), &top, &part);
	assert_string_equal(part.workload_uid, "w-9");
	assert_string_equal(part.pod_name, "p");
	assert_string_equal(part.run_id, "r");
	json_t *items = json_array(), *ws = json_pack("[s]", "w-9");
	struct wandb_counts n = {0};
	char err[128];
	assert_int_equal(wandb_detection(json_object_get(batch, "detection"), &part, ws, 5, items, &n,
					 err, sizeof err), 0);
	assert_int_equal(n.detected, 1);
	json_t *it = json_array_get(items, 0);
	assert_string_equal(json_string_value(json_object_get(it, "k")), "framework");
	assert_string_equal(json_string_value(json_object_get(it, "base")), "deepspeed");
	json_decref(items);
	json_decref(ws);
	json_decref(batch);
}

static void test_patterns(void **state)
{
	(void)state;
	char err[256];
	struct logpattern_set *s = logpattern_set_new();
	assert_int_equal(logpattern_set_add(s, "bad", "(?<iteration>", err, sizeof err), -22);
	assert_non_null(strstr(err, "offset"));
	assert_int_equal(logpattern_set_add(s, "noit", "loss=(?<lm_loss>\\S+)", err, sizeof err), -22);
	assert_non_null(strstr(err, "iteration"));
	assert_int_equal(logpattern_set_add(s, "mine", "step (?<iteration>\\d+) loss=(?<lm_loss>\\S+)( tok=(?<tokens>\\S+))?",
					    err, sizeof err), 0);
	assert_int_equal(logpattern_set_size(s), 1);
	int64_t it;
	json_t *f;
	const char *name, *why;
	const char *l1 = "[rank0] step 12 loss=2.5 tok=nope";
	assert_int_equal(logpattern_match(s, l1, strlen(l1), &it, &f, &name, &why), 1);
	assert_int_equal(it, 12);
	assert_string_equal(name, "mine");
	assert_true(fabs(json_number_value(json_object_get(f, "lm_loss")) - 2.5) < 1e-12);
	assert_null(json_object_get(f, "tokens")); /* not a number: left out */
	json_decref(f);
	const char *l2 = "step 13 loss=-inf";
	assert_int_equal(logpattern_match(s, l2, strlen(l2), &it, &f, &name, &why), 1);
	assert_string_equal(json_string_value(json_object_get(f, "lm_loss")), "NaN");
	json_decref(f);
	const char *l3 = "step 14 loss=-2";
	assert_int_equal(logpattern_match(s, l3, strlen(l3), &it, &f, &name, &why), -1);
	assert_string_equal(why, "lm_loss");
	const char *l4 = "no step here \xff\xfe";
	assert_int_equal(logpattern_match(s, l4, strlen(l4), &it, &f, &name, &why), 0);
	/* A set outlives its last holder only while referenced. */
	struct logpattern_set *held = logpattern_set_ref(s);
	logpattern_set_unref(s);
	assert_int_equal(logpattern_set_size(held), 1);
	logpattern_set_unref(held);
	assert_int_equal(logpattern_match(NULL, l1, strlen(l1), &it, &f, &name, &why), 0);
}

static void test_plot(void **state)
{
	(void)state;
	double x[] = {10, 20, 30, 40}, y[] = {4, 3, NAN, 1};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	plot_series(f, x, y, 4, 30, 5, "lm_loss");
	fclose(f);
	assert_non_null(strstr(text, "lm_loss (4 points)"));
	/* The top row is labelled with the maximum, the bottom with the minimum. */
	assert_non_null(strstr(text, "           4 |*"));
	assert_non_null(strstr(text, "           1 |"));
	assert_non_null(strchr(text, 'N'));
	assert_non_null(strstr(text, "10"));
	assert_non_null(strstr(text, "40"));
	free(text);
	f = open_memstream(&text, &len);
	plot_series(f, x, y, 0, 30, 5, "empty");
	fclose(f);
	assert_string_equal(text, "empty: no data points\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_by_step), cmocka_unit_test(test_logs_and_shapes),
		cmocka_unit_test(test_detection_and_inheritance), cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_plot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
