/* Unit tests of the trace analyzer's parts: the in-place JSON cursor, the
 * interval arithmetic, and the streaming reader on elements larger than
 * its buffer, gzip members one after another, and broken input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "buf.h"

#include "interval.h"
#include "jsontok.h"
#include "trace.h"
#include "tracein.h"

static void test_cursor(void **state)
{
	(void)state;
	char text[] = "{\"a\\\"b\": \"x\\u00e9\\n\", \"n\": -12, \"f\": 4203669604595.407, "
		      "\"o\": {\"k\": [1, \"]}\", {}]}, \"t\": true, \"z\": null}";
	struct jcur c = {text, text + strlen(text)};
	char *k;
	size_t kl;
	struct jval v;
	assert_int_equal(jcur_enter(&c), 0);
	assert_int_equal(jcur_key(&c, &k, &kl), 1);
	assert_string_equal(k, "a\"b");
	assert_int_equal(jcur_value(&c, &v), 0);
	assert_string_equal(v.s, "x\xc3\xa9\n");
	assert_int_equal(jcur_key(&c, &k, &kl), 1);
	assert_int_equal(jcur_value(&c, &v), 0);
	assert_true(v.integral);
	assert_int_equal(v.i, -12);
	assert_int_equal(jcur_key(&c, &k, &kl), 1);
	assert_int_equal(jcur_value(&c, &v), 0);
	assert_false(v.integral);
	assert_true(fabs(v.num - 4203669604595.407) < 1e-3);
	assert_int_equal(jcur_key(&c, &k, &kl), 1);
	assert_int_equal(jcur_value(&c, &v), 0);
	assert_int_equal(v.type, JT_OBJECT); /* skipped whole, brackets in strings too */
	struct jcur sub = jcur_sub(&v);
	assert_int_equal(jcur_enter(&sub), 0);
	assert_int_equal(jcur_key(&sub, &k, &kl), 1);
	assert_string_equal(k, "k");
	assert_int_equal(jcur_key(&c, &k, &kl), 1);
	assert_int_equal(jcur_value(&c, &v), 0);
	assert_int_equal(v.type, JT_TRUE);
	assert_int_equal(jcur_key(&c, &k, &kl), 1);
	assert_int_equal(jcur_value(&c, &v), 0);
	assert_int_equal(v.type, JT_NULL);
	assert_int_equal(jcur_key(&c, &k, &kl), 0);
	/* JSON's number syntax, not strtod's. */
	const char *bad[] = {"+1", ".5", "01", "0x10", "nan", "1e", "-"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		double d;
		bool integral;
		int64_t n;
		assert_false(jtok_number(bad[i], strlen(bad[i]), &d, &integral, &n));
	}
	char broken[] = "{\"a\": \"unterminated";
	struct jcur b = {broken, broken + strlen(broken)};
	assert_int_equal(jcur_enter(&b), 0);
	assert_int_equal(jcur_key(&b, &k, &kl), 1);
	assert_int_equal(jcur_value(&b, &v), -1);
}

static double len_of(struct ivals *a)
{
	return ivals_length(a);
}

static void test_intervals(void **state)
{
	(void)state;
	struct ivals a = {0}, b = {0};
	/* Touching intervals merge; a zero-length one inside adds nothing. */
	ivals_add(&a, 5, 7);
	ivals_add(&a, 0, 2);
	ivals_add(&a, 2, 3);
	ivals_add(&a, 6, 6);
	ivals_merge(&a);
	assert_int_equal(a.n, 2);
	assert_true(len_of(&a) == 5);
	ivals_add(&b, 1, 6);
	ivals_add(&b, 6.5, 10);
	ivals_merge(&b);
	struct ivals d = ivals_minus(&b, &a); /* [3,5] [7,10] */
	assert_int_equal(d.n, 2);
	assert_true(d.v[0].s == 3 && d.v[0].e == 5 && d.v[1].s == 7 && d.v[1].e == 10);
	struct ivals none = ivals_minus(&a, &a);
	assert_int_equal(none.n, 0);
	ivals_free(&a);
	ivals_free(&b);
	ivals_free(&d);
	ivals_free(&none);
}

struct seen {
	int events;
	size_t longest;
};

static int count(char *obj, size_t len, void *arg)
{
	struct seen *s = arg;
	s->events++;
	if (len > s->longest)
		s->longest = len;
	assert_int_equal(obj[len], '\0');
	return 0;
}

/* Two events, the second with a 3 MiB name: more than the reader's buffer. */
static char *big_trace(size_t *len)
{
	size_t big = 3u << 20;
	char *s = malloc(big + 512);
	int n = sprintf(s, "{\"schemaVersion\": 1, \"traceEvents\": [{\"ph\":\"X\",\"cat\":\"kernel\","
			   "\"name\":\"k\",\"pid\":0,\"tid\":1,\"ts\":1,\"dur\":2}, {\"name\":\"");
	memset(s + n, 'x', big);
	n += (int)big;
	n += sprintf(s + n, "\",\"cat\":\"cpu_op\",\"ph\":\"X\",\"ts\":0,\"dur\":9}]}");
	*len = (size_t)n;
	return s;
}

static void test_reader(void **state)
{
	(void)state;
	size_t len;
	char *s = big_trace(&len);
	struct tracein_stats st;
	struct seen seen = {0};
	assert_int_equal(tracein_read_mem(s, len, count, NULL, &seen, &st), 0);
	assert_int_equal(seen.events, 2);
	assert_true(seen.longest > 3u << 20);
	/* The same, gzip'd in two members one after the other. */
	uLongf cap = compressBound(len) + 64;
	unsigned char *gz = malloc(2 * cap);
	size_t half = len / 2, used = 0;
	for (int m = 0; m < 2; m++) {
		z_stream z = {0};
		assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = (Bytef *)s + (m ? half : 0);
		z.avail_in = (uInt)(m ? len - half : half);
		z.next_out = gz + used;
		z.avail_out = (uInt)(2 * cap - used);
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		used += z.total_out;
		deflateEnd(&z);
	}
	seen = (struct seen){0};
	assert_int_equal(tracein_read_mem(gz, used, count, NULL, &seen, &st), 0);
	assert_true(st.gzip);
	assert_int_equal(seen.events, 2);
	assert_int_equal(st.bytes_json, len);
	/* Cut in the middle of the second member: the first event, and why not more. */
	seen = (struct seen){0};
	assert_int_equal(tracein_read_mem(gz, used - 100, count, NULL, &seen, &st), 1);
	assert_true(st.partial);
	assert_non_null(strstr(st.error, "truncated"));
	free(gz);
	free(s);
	/* Not a trace at all. */
	const char *nots[] = {"", "[]", "{\"traceEvents\": {}}", "{\"traceEvents\": [}]}", "\x1f\x8b\x08"};
	for (size_t i = 0; i < sizeof nots / sizeof nots[0]; i++) {
		seen = (struct seen){0};
		assert_int_equal(tracein_read_mem(nots[i], strlen(nots[i]), count, NULL,
						  &seen, &st), -1);
		assert_true(st.error[0] != '\0');
	}
}

/* A trace without GPU events still gives a report, saying so. */
static void test_no_gpu(void **state)
{
	(void)state;
	const char *t = "{\"traceEvents\": [{\"ph\":\"X\",\"cat\":\"cpu_op\",\"name\":\"aten::mm\","
			"\"pid\":1,\"tid\":1,\"ts\":1,\"dur\":2}]}";
	json_t *out;
	char err[128];
	assert_int_equal(trace_analyze_mem(t, strlen(t), 0, &out, err, sizeof err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "gpu_timeline")), 0);
	assert_non_null(json_object_get(out, "note"));
	json_decref(out);
}

/* A host op launching one kernel on stream s over [ts, ts + dur] (µs),
 * linked by correlation id c (the trace has no flows). */
static void launch(struct buf *b, const char *op, double op_ts, int c, const char *kernel, int s,
		   double ts, double dur)
{
	buf_printf(b,
		   "%s{\"ph\":\"X\",\"cat\":\"cpu_op\",\"name\":\"%s\",\"pid\":1,\"tid\":1,"
		   "\"ts\":%g,\"dur\":5},"
		   "{\"ph\":\"X\",\"cat\":\"cuda_runtime\",\"name\":\"hipLaunchKernel\",\"pid\":1,"
		   "\"tid\":1,\"ts\":%g,\"dur\":1,\"args\":{\"correlation\":%d}},"
		   "{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"%s\",\"pid\":0,\"tid\":%d,\"ts\":%g,"
		   "\"dur\":%g,\"args\":{\"correlation\":%d,\"stream\":%d}}",
		   b->len ? "," : "", op, op_ts, op_ts + 1, c, kernel, s, ts, dur, c, s);
}

static json_t *overlap_of(const json_t *r, const char *name)
{
	const json_t *l;
	size_t i;
	json_array_foreach(json_object_get(r, "kernel_launchers"), i, l)
		if (strcmp(json_string_value(json_object_get(l, "name")), name) == 0)
			return json_object_get(l, "overlap_pct");
	fail_msg("no launcher %s", name);
	return NULL;
}

/* overlap_pct (ANALYSIS.md §4-5): a kernel's overlaps of at least 1 µs
 * with linked GPU events of another stream and another launching op,
 * merged, over the launcher's kernel time, as a fraction. */
static void test_overlap(void **state)
{
	(void)state;
	struct buf ev = BUF_INIT, doc = BUF_INIT;
	launch(&ev, "aten::mm", 0, 1, "gemm", 7, 100, 10);                 /* [100, 110] */
	launch(&ev, "nccl:all_reduce", 10, 2, "ncclAllReduce", 13, 105, 20); /* [105, 125] */
	launch(&ev, "aten::add", 20, 3, "add", 7, 130, 10);                /* [130, 140] */
	launch(&ev, "aten::mul", 30, 4, "mul", 7, 135, 10);                /* [135, 145], same stream */
	launch(&ev, "aten::sum", 40, 5, "sum", 9, 200, 10);                /* [200, 210] */
	launch(&ev, "aten::div", 50, 6, "div", 11, 209, 1);                /* [209, 210]: 1 µs */
	launch(&ev, "aten::exp", 60, 7, "exp", 15, 400, 10);               /* [400, 410] */
	launch(&ev, "aten::log", 70, 8, "log", 16, 409.5, 5);              /* 0.5 µs with exp */
	/* One op launching two kernels that overlap on two streams. */
	buf_printf(&ev, ",{\"ph\":\"X\",\"cat\":\"cpu_op\",\"name\":\"aten::cat\",\"pid\":1,\"tid\":1,"
			"\"ts\":80,\"dur\":9}");
	for (int k = 0; k < 2; k++)
		buf_printf(&ev,
			   ",{\"ph\":\"X\",\"cat\":\"cuda_runtime\",\"name\":\"hipLaunchKernel\","
			   "\"pid\":1,\"tid\":1,\"ts\":%d,\"dur\":1,\"args\":{\"correlation\":%d}},"
			   "{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"cat%d\",\"pid\":0,\"tid\":%d,"
			   "\"ts\":%d,\"dur\":10,\"args\":{\"correlation\":%d,\"stream\":%d}}",
			   81 + 2 * k, 20 + k, k, 20 + k, 600 + 5 * k, 20 + k, 20 + k);
	buf_printf(&doc, "{\"traceEvents\": [%s]}", ev.p);
	json_t *out;
	char err[128];
	assert_int_equal(trace_analyze_mem(doc.p, doc.len, 0, &out, err, sizeof err), 0);
	/* gemm overlaps the all-reduce on [105, 110]: 5 of its 10 µs. */
	assert_true(json_real_value(overlap_of(out, "aten::mm")) == 0.5);
	assert_true(json_is_null(overlap_of(out, "aten::add"))); /* the same stream */
	assert_true(json_is_null(overlap_of(out, "aten::mul")));
	assert_true(json_real_value(overlap_of(out, "aten::sum")) == 0.1); /* 1 µs counts */
	assert_true(json_real_value(overlap_of(out, "aten::div")) == 1.0);
	assert_true(json_is_null(overlap_of(out, "aten::exp")));  /* 0.5 µs does not */
	assert_true(json_is_null(overlap_of(out, "aten::log")));
	assert_true(json_is_null(overlap_of(out, "aten::cat")));  /* the same op */
	json_decref(out);
	buf_free(&doc);
	buf_free(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor),
		cmocka_unit_test(test_intervals),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_no_gpu),
		cmocka_unit_test(test_overlap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
