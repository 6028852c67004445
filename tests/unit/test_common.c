/* Unit tests of the shared modules: clock, config, log quoting, envelope
 * validation and the Prometheus registry's exposition format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "config.h"
#include "envelope.h"
#include "log.h"
#include "prom.h"

static void test_rfc3339_roundtrip(void **state)
{
	(void)state;
	char buf[64];
	int64_t t = 1763768447123456789LL, back;
	assert_string_equal(clock_format_rfc3339(t, 9, buf, sizeof buf),
			    "2025-11-21T23:40:47.123456789Z");
	assert_int_equal(clock_parse_rfc3339(buf, &back), 0);
	assert_int_equal(back, t);
	assert_string_equal(clock_format_rfc3339(t, 3, buf, sizeof buf), "2025-11-21T23:40:47.123Z");
	assert_string_equal(clock_format_rfc3339(t, 0, buf, sizeof buf), "2025-11-21T23:40:47Z");
}

static void test_rfc3339_variants(void **state)
{
	(void)state;
	int64_t t;
	/* RFC3339Nano drops trailing zeros: any number of digits. */
	assert_int_equal(clock_parse_rfc3339("2025-11-21T23:40:47.5Z", &t), 0);
	assert_int_equal(t % NS_PER_SEC, 500000000);
	assert_int_equal(clock_parse_rfc3339("2025-11-21T23:40:47+02:00", &t), 0);
	int64_t z;
	assert_int_equal(clock_parse_rfc3339("2025-11-21T21:40:47Z", &z), 0);
	assert_int_equal(t, z);
	assert_int_equal(clock_parse_rfc3339("2025-11-21 21:40:47Z", &t), 0);
	assert_int_equal(clock_parse_rfc3339("2025-11-21T21:40Z", &t), -EINVAL);
	assert_int_equal(clock_parse_rfc3339("2025-13-21T21:40:47Z", &t), -EINVAL);
	assert_int_equal(clock_parse_rfc3339("2025-11-21T21:40:47", &t), -EINVAL);
	assert_int_equal(clock_parse_rfc3339("2025-11-21T21:40:47.Z", &t), -EINVAL);
	assert_int_equal(clock_parse_rfc3339("", &t), -EINVAL);
	/* found by fuzz_text: year 0 overflowed the nanosecond conversion */
	assert_int_equal(clock_parse_rfc3339("0000-01-01T00:00:00Z", &t), -ERANGE);
	assert_int_equal(clock_parse_rfc3339("9999-12-31T23:59:59Z", &t), -ERANGE);
}

static void test_durations_and_ages(void **state)
{
	(void)state;
	int64_t ns;
	assert_int_equal(clock_parse_duration("500ms", &ns), 0);
	assert_int_equal(ns, 500 * NS_PER_MS);
	assert_int_equal(clock_parse_duration("2m", &ns), 0);
	assert_int_equal(ns, 120 * NS_PER_SEC);
	assert_int_equal(clock_parse_duration("7", &ns), 0);
	assert_int_equal(ns, 7 * NS_PER_SEC);
	assert_int_equal(clock_parse_duration("1.5h", &ns), 0);
	assert_int_equal(ns, 5400 * NS_PER_SEC);
	assert_int_equal(clock_parse_duration("10 s", &ns), -EINVAL);
	assert_int_equal(clock_parse_duration("-1s", &ns), -EINVAL);
	assert_int_equal(clock_parse_duration("fast", &ns), -EINVAL);
	assert_int_equal(clock_parse_duration("nan", &ns), -EINVAL);
	assert_int_equal(clock_parse_duration("inf", &ns), -EINVAL);
	assert_int_equal(clock_parse_duration("1e300d", &ns), -ERANGE);
	assert_int_equal(cfg_parse_size("nan", &ns), -EINVAL);
	assert_int_equal(cfg_parse_size("1e30TiB", &ns), -ERANGE);
	assert_int_equal(cfg_parse_size("20171221T", &ns), -ERANGE); /* found by fuzz_text */
	char b[32];
	assert_string_equal(clock_format_age(45 * NS_PER_SEC, b, sizeof b), "45s");
	assert_string_equal(clock_format_age(185 * NS_PER_SEC, b, sizeof b), "3m5s");
	assert_string_equal(clock_format_age(3 * 3600 * NS_PER_SEC + 720 * NS_PER_SEC, b,
					     sizeof b), "3h12m");
	assert_string_equal(clock_format_age(4 * 86400 * NS_PER_SEC, b, sizeof b), "4d");
}

static char *s_opt;
static long long i_opt;
static bool b_opt;
static int64_t d_opt, z_opt;
static const struct cfg_opt opts[] = {
	{"name", "LENS_TEST_NAME", CFG_STR, &s_opt, "dflt", "a string", 'n'},
	{"count", "LENS_TEST_COUNT", CFG_INT, &i_opt, "3", "an int"},
	{"verbose", NULL, CFG_BOOL, &b_opt, "false", "a bool"},
	{"wait", "LENS_TEST_WAIT", CFG_DURATION, &d_opt, "1s", "a duration"},
	{"size", NULL, CFG_SIZE, &z_opt, "1MiB", "a size"},
	{NULL, NULL, 0, NULL, NULL, NULL, 0},
};

static void test_config_precedence(void **state)
{
	(void)state;
	char err[128];
	int argi = 1;
	char *argv0[] = {"prog", NULL};
	setenv("LENS_TEST_COUNT", "9", 1);
	setenv("LENS_TEST_NAME", "fromenv", 1);
	assert_int_equal(cfg_parse(opts, 1, argv0, &argi, err, sizeof err), 0);
	assert_string_equal(s_opt, "fromenv");
	assert_int_equal(i_opt, 9);
	assert_int_equal(z_opt, 1 << 20);
	char *argv[] = {"prog", "--count=4", "-n", "flag", "--verbose", "--wait", "250ms",
			"--size", "2GiB", "run", "--late"};
	argi = 1;
	assert_int_equal(cfg_parse(opts, 11, argv, &argi, err, sizeof err), 0);
	assert_int_equal(i_opt, 4);
	assert_string_equal(s_opt, "flag");
	assert_true(b_opt);
	assert_int_equal(d_opt, 250 * NS_PER_MS);
	assert_int_equal(z_opt, 2LL << 30);
	assert_int_equal(argi, 9); /* stopped at the subcommand */
	unsetenv("LENS_TEST_COUNT");
	unsetenv("LENS_TEST_NAME");
	cfg_free(opts);
}

static void test_config_errors(void **state)
{
	(void)state;
	char err[128];
	int argi = 1;
	char *a1[] = {"prog", "--nope"};
	assert_int_equal(cfg_parse(opts, 2, a1, &argi, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "--nope"));
	char *a2[] = {"prog", "--count", "x12"};
	argi = 1;
	assert_int_equal(cfg_parse(opts, 3, a2, &argi, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "x12"));
	char *a3[] = {"prog", "--count"};
	argi = 1;
	assert_int_equal(cfg_parse(opts, 2, a3, &argi, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
	setenv("LENS_TEST_WAIT", "soon", 1);
	argi = 1;
	assert_int_equal(cfg_parse(opts, 1, a1, &argi, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "LENS_TEST_WAIT"));
	unsetenv("LENS_TEST_WAIT");
	char *a4[] = {"prog", "--help"};
	argi = 1;
	assert_int_equal(cfg_parse(opts, 2, a4, &argi, err, sizeof err), 1);
	cfg_free(opts);
}

static void test_log_quoting(void **state)
{
	(void)state;
	assert_string_equal(log_q("plain"), "plain");
	assert_string_equal(log_q("two words"), "\"two words\"");
	assert_string_equal(log_q("a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(log_q("line\nbreak"), "\"line\\nbreak\"");
	assert_string_equal(log_q("k=v"), "\"k=v\"");
	assert_string_equal(log_q(""), "\"\"");
	assert_string_equal(log_q(NULL), "\"\"");
	char big[2000];
	memset(big, 'x', sizeof big - 1);
	big[0] = ' ';
	big[sizeof big - 1] = '\0';
	const char *q = log_q(big);
	assert_true(strlen(q) < 512);
	assert_string_equal(q + strlen(q) - 4, "...\"");
}

static Envelope valid_envelope(Lens__V1__Heartbeat *hb)
{
	Envelope e = LENS__V1__ENVELOPE__INIT;
	e.schema_version = 1;
	e.node_name = "gpu-node-07.cluster";
	e.boot_id = "2f5b8a8e-1c4e-4b8a-9a51-0d1b6f0f3a11";
	e.stream_id = 1;
	e.seq = 1;
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
	e.heartbeat = hb;
	return e;
}

static void test_envelope_check(void **state)
{
	(void)state;
	char why[128];
	Lens__V1__Heartbeat hb = LENS__V1__HEARTBEAT__INIT;
	Envelope e = valid_envelope(&hb);
	assert_int_equal(envelope_check(&e, why, sizeof why), 0);
	e.schema_version = 2;
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "schema_version"));
	e = valid_envelope(&hb);
	e.node_name = "bad node";
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	e = valid_envelope(&hb);
	e.node_name = "";
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	e = valid_envelope(&hb);
	e.boot_id = "2f5b8a8e-1c4e-4b8a-9a51-0d1b6f0f3a1";
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "boot_id"));
	e = valid_envelope(&hb);
	e.seq = 0;
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	e = valid_envelope(&hb);
	e.stream_id = 6;
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	e = valid_envelope(&hb);
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD__NOT_SET;
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	assert_string_equal(why, "no payload");
	assert_string_equal(envelope_payload_name(LENS__V1__ENVELOPE__PAYLOAD_HEARTBEAT),
			    "heartbeat");
	assert_string_equal(envelope_stream_name(4), "events");
	assert_string_equal(envelope_stream_name(5), "profiler");
}

/* Profiler payloads are checked on receipt: what the store relies on. */
static void test_envelope_check_profiler(void **state)
{
	(void)state;
	Lens__V1__Heartbeat hb = LENS__V1__HEARTBEAT__INIT;
	Lens__V1__ProfilerFile pf = LENS__V1__PROFILER_FILE__INIT;
	Lens__V1__ProfilerChunk pc = LENS__V1__PROFILER_CHUNK__INIT;
	char why[128];
	Envelope e = valid_envelope(&hb);
	e.stream_id = 5;
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_PROFILER_FILE;
	e.profiler_file = &pf;
	pf.file_key = "1:2:3:4";
	pf.path = "/w/rank0.pt.trace.json";
	pf.status = "analysed";
	pf.content = "sending";
	pf.analysis_json = "{\"gpu_timeline\": []}";
	assert_int_equal(envelope_check(&e, why, sizeof why), 0);
	pf.analysis_json = "{\"gpu_timeline\": [";
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	assert_string_equal(why, "profiler_file analysis is not a JSON object");
	pf.analysis_json = "";
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	pf.status = "failed"; /* a failed analysis has no report */
	assert_int_equal(envelope_check(&e, why, sizeof why), 0);
	pf.status = "done";
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	pf.status = "failed";
	pf.file_key = "";
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_PROFILER_CHUNK;
	e.profiler_chunk = &pc;
	pc.file_key = "1:2:3:4";
	assert_int_equal(envelope_check(&e, why, sizeof why), 0);
	pc.file_key = "";
	assert_int_equal(envelope_check(&e, why, sizeof why), -EINVAL);
}

static void test_prom_exposition(void **state)
{
	(void)state;
	struct prom_registry *r = prom_registry_new();
	struct prom_family *c = prom_counter(r, "lens_test_events_total", "Events seen.", "type");
	prom_inc_l(c, "oom");
	prom_add_l(c, 2, "oom");
	prom_inc_l(c, "a\"b\\c\nd");
	struct prom_family *g = prom_gauge(r, "lens_test_temp_celsius", "Temperature.", NULL);
	prom_set(prom_get(g), 41.5);
	const double bounds[] = {0.1, 1};
	struct prom_family *h = prom_family_new(r, PROM_HISTOGRAM, "lens_test_seconds", "Time.",
						NULL, bounds, 2);
	prom_observe(prom_get(h), 0.05);
	prom_observe(prom_get(h), 0.5);
	prom_observe(prom_get(h), 5);
	struct buf b = BUF_INIT;
	prom_render(r, &b);
	const char *want[] = {
		"# HELP lens_test_events_total Events seen.\n# TYPE lens_test_events_total counter\n",
		"lens_test_events_total{type=\"oom\"} 3\n",
		"lens_test_events_total{type=\"a\\\"b\\\\c\\nd\"} 1\n",
		"# TYPE lens_test_temp_celsius gauge\nlens_test_temp_celsius 41.5\n",
		"lens_test_seconds_bucket{le=\"0.1\"} 1\n",
		"lens_test_seconds_bucket{le=\"1\"} 2\n",
		"lens_test_seconds_bucket{le=\"+Inf\"} 3\n",
		"lens_test_seconds_sum 5.55\n",
		"lens_test_seconds_count 3\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (!strstr(b.p, want[i]))
			fail_msg("missing %s in:\n%s", want[i], b.p);
	}
	buf_free(&b);
	prom_registry_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339_roundtrip),
		cmocka_unit_test(test_rfc3339_variants),
		cmocka_unit_test(test_durations_and_ages),
		cmocka_unit_test(test_config_precedence),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_log_quoting),
		cmocka_unit_test(test_envelope_check),
		cmocka_unit_test(test_envelope_check_profiler),
		cmocka_unit_test(test_prom_exposition),
	};
	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
