/* alertintake and silences_parse: every accepted body to the one alert
 * shape, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alertintake.h"
#include "alertrules.h"
#include "jsonx.h"
#include "metricrules.h"
#include "notifyfmt.h"
#include "silences.h"

typedef int (*parse_fn)(const json_t *, json_t *, char *, size_t);

/* The alerts fn makes of text, or NULL (err set) when refused. */
static json_t *parse(parse_fn fn, const char *text, char *err)
{
	json_t *body = json_loads(text, 0, NULL), *out = json_array();
	assert_non_null(body);
	int rc = fn(body, out, err, 256);
	json_decref(body);
	if (rc) {
		assert_int_equal(json_array_size(out), 0); /* nothing half-added */
		json_decref(out);
		return NULL;
	}
	return out;
}

static const char *at(const json_t *alerts, size_t i, const char *path)
{
	const json_t *v = json_array_get(alerts, i);
	char key[64];
	const char *dot;
	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
		v = json_object_get(v, key);
		path = dot + 1;
	}
	return jsonx_str(v, path);
}

static void test_alertmanager(void **state)
{
	(void)state;
	char err[256];
	json_t *a = parse(alertintake_webhook_am,
			  "{\"status\":\"firing\",\"alerts\":["
			  "{\"status\":\"resolved\",\"labels\":{\"alertname\":\"GPUHot\","
			  "\"severity\":\"page\",\"instance\":\"x\",\"hostname\":\"gpu-1\","
			  "\"exported_namespace\":\"ml\",\"pod_id\":\"u-1\",\"gpu\":\"3\"},"
			  "\"startsAt\":\"2026-11-22T07:00:00.123456789+02:00\","
			  "\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://p\"},"
			  "{\"labels\":{\"alertname\":\"B\"}}]}",
			  err);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(at(a, 0, "name"), "GPUHot");
	assert_string_equal(at(a, 0, "source"), "metric");
	assert_string_equal(at(a, 0, "severity"), "critical"); /* page */
	assert_string_equal(at(a, 0, "status"), "resolved");   /* its own status wins */
	assert_string_equal(at(a, 0, "starts_at"), "2026-11-22T05:00:00.123456Z");
	assert_null(json_object_get(json_array_get(a, 0), "ends_at")); /* Go's zero time */
	assert_string_equal(at(a, 0, "entity.node"), "gpu-1");
	assert_string_equal(at(a, 0, "entity.namespace"), "ml");
	assert_string_equal(at(a, 0, "entity.pod_uid"), "u-1");
	assert_string_equal(at(a, 0, "entity.device"), "3");
	assert_string_equal(at(a, 0, "generator_url"), "http://p");
	assert_string_equal(at(a, 1, "status"), "firing"); /* the body's */
	assert_string_equal(at(a, 1, "severity"), "warning");
	json_decref(a);
	static const char *const bad[] = {
		"{\"alerts\":{}}",
		"{\"alerts\":[{\"labels\":{\"severity\":\"x\"}}]}",
		"{\"alerts\":[{\"labels\":{\"alertname\":\"A\",\"n\":1}}]}",
		"{\"alerts\":[{\"labels\":{\"alertname\":\"A\"},\"startsAt\":\"today\"}]}",
		"{\"alerts\":[{\"labels\":{\"alertname\":\"A\"},\"annotations\":[]}]}",
		"{\"alerts\":[{\"labels\":{\"alertname\":\"A\"}}, 7]}",
		"[]"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_null(parse(alertintake_webhook_am, bad[i], err));
		assert_true(err[0] != '\0');
	}
	a = parse(alertintake_am_v2, "[{\"labels\":{\"alertname\":\"A\"},\"endsAt\":1763794800}]", err);
	assert_non_null(a);
	assert_string_equal(at(a, 0, "ends_at"), "2025-11-22T07:00:00.000000Z"); /* seconds */
	json_decref(a);
}

static void test_log_trace_webhook(void **state)
{
	(void)state;
	char err[256];
	json_t *a = parse(alertintake_log,
			  "{\"rule_name\":\"CUDAOutOfMemory\",\"severity\":\"ERROR\",\"message\":\"m\","
			  "\"pattern\":\"out of memory\",\"workload_id\":\"w\",\"pod_id\":\"u\","
			  "\"pod_name\":\"p\",\"log_time\":\"2026-11-22T07:00:00Z\",\"labels\":{\"t\":\"x\"}}",
			  err);
	assert_non_null(a);
	assert_string_equal(at(a, 0, "source"), "log");
	assert_string_equal(at(a, 0, "severity"), "high");
	assert_string_equal(at(a, 0, "labels.workload_uid"), "w");
	assert_string_equal(at(a, 0, "labels.t"), "x");
	assert_string_equal(at(a, 0, "annotations.pattern"), "out of memory");
	assert_string_equal(at(a, 0, "annotations.message"), "m");
	assert_string_equal(at(a, 0, "entity.pod_uid"), "u");
	assert_string_equal(at(a, 0, "starts_at"), "2026-11-22T07:00:00.000000Z");
	json_decref(a);
	assert_null(parse(alertintake_log, "{\"message\":\"m\"}", err));
	assert_null(parse(alertintake_log, "{\"rule_name\":\"r\",\"pod_id\":[1]}", err));
	a = parse(alertintake_trace, "{\"trace_id\":\"t\",\"service_name\":\"s\",\"duration\":12.5}", err);
	assert_non_null(a);
	assert_string_equal(at(a, 0, "name"), "SlowTrace");
	assert_string_equal(at(a, 0, "labels.service"), "s");
	assert_string_equal(at(a, 0, "annotations.duration"), "12.5");
	json_decref(a);
	assert_null(parse(alertintake_trace, "{\"service_name\":\"s\"}", err));
	a = parse(alertintake_webhook,
		  "{\"alerts\":[{\"alertname\":\"X\",\"status\":\"resolved\",\"node\":\"n\"},"
		  "{\"name\":\"Y\",\"severity\":\"info\"}]}",
		  err);
	assert_non_null(a);
	assert_string_equal(at(a, 0, "status"), "resolved");
	assert_string_equal(at(a, 0, "entity.node"), "n");
	assert_string_equal(at(a, 1, "severity"), "info");
	json_decref(a);
	/* One bad alert refuses the body: nothing of it is stored. */
	assert_null(parse(alertintake_webhook, "{\"alerts\":[{\"name\":\"X\"},{\"severity\":\"x\"}]}", err));
}

/* Each body refused, with a reason. */
static void all_refused(json_t *(*check)(const json_t *, char *, size_t), const char *const *bad,
			size_t n)
{
	char err[256];
	for (size_t i = 0; i < n; i++) {
		json_t *b = json_loads(bad[i], 0, NULL);
		err[0] = '\0';
		assert_null(check(b, err, sizeof err));
		assert_true(err[0] != '\0');
		json_decref(b);
	}
}

static void test_silence_parse(void **state)
{
	(void)state;
	char err[256];
	json_t *b = json_loads("{\"matchers\":[{\"name\":\"a\",\"value\":\"x.*\",\"isRegex\":true},"
			       "{\"name\":\"b\",\"value\":\"y\",\"isEqual\":false},"
			       "{\"name\":\"c\",\"value\":\"z\",\"op\":\"!~\"}],"
			       "\"starts_at\":\"2026-11-22T07:00:00Z\",\"duration\":\"90m\"}",
			       0, NULL);
	json_t *s = silences_parse(b, err, sizeof err);
	assert_non_null(s);
	const json_t *m = json_object_get(s, "matchers");
	assert_string_equal(jsonx_str(json_array_get(m, 0), "op"), "=~");
	assert_string_equal(jsonx_str(json_array_get(m, 1), "op"), "!=");
	assert_string_equal(jsonx_str(json_array_get(m, 2), "op"), "!~");
	assert_string_equal(jsonx_str(s, "ends_at"), "2026-11-22T08:30:00.000000Z");
	json_decref(s);
	json_decref(b);
	static const char *const bad[] = {
		"{\"matchers\":[],\"duration\":\"1h\"}",
		"{\"matchers\":[{\"name\":\"a\",\"value\":\"x\",\"op\":\"~\"}],\"duration\":\"1h\"}",
		"{\"matchers\":[{\"name\":\"\",\"value\":\"x\"}],\"duration\":\"1h\"}",
		"{\"matchers\":[{\"name\":\"a\",\"value\":\"x\"}]}",
		"{\"matchers\":[{\"name\":\"a\",\"value\":\"x\"}],\"starts_at\":\"2026-11-22T07:00:00Z\","
		"\"ends_at\":\"2026-11-22T06:00:00Z\"}",
		/* found by fuzz_alertintake: now + this overflowed */
		"{\"matchers\":[{\"name\":\"a\",\"value\":\"x\"}],\"duration\":\"2172402h\"}",
		"{\"matchers\":[{\"name\":\"a\",\"value\":\"x\"}],\"starts_at\":\"2261-12-31T00:00:00Z\","
		"\"duration\":\"8760h\"}"};
	all_refused(silences_parse, bad, sizeof bad / sizeof bad[0]);
}

static int request(const char *type, const char *url, const json_t *p, char **out, struct buf *b)
{
	json_t *ch = json_pack("{s:s,s:s,s:{s:s,s:[s,s]}}", "type", type, "url", url, "config",
			       "from", "lens@example.com", "to", "a@example.com", "b@example.com");
	int rc = notifyfmt_request(ch, p, out, b);
	json_decref(ch);
	return rc;
}

/* Each channel's request from one notification. */
static void test_notify_formats(void **state)
{
	(void)state;
	json_t *p = json_loads(
		"{\"version\":\"4\",\"status\":\"firing\",\"groupLabels\":{\"alertname\":\"OOMKilled\"},"
		"\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"OOMKilled\"},"
		"\"annotations\":{\"summary\":\"tail was OOM-killed\"},\"startsAt\":\"2026-11-22T07:00:00Z\","
		"\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\","
		"\"lens\":{\"severity\":\"critical\",\"workload\":\"llama\",\"pod\":\"w-0\"}},"
		"{\"status\":\"resolved\",\"labels\":{\"alertname\":\"OOMKilled\"},\"annotations\":{},"
		"\"startsAt\":\"2026-11-22T06:00:00Z\",\"endsAt\":\"2026-11-22T06:05:00Z\","
		"\"generatorURL\":\"\",\"lens\":{\"severity\":\"critical\"}}]}",
		0, NULL);
	assert_non_null(p);
	struct buf b = BUF_INIT;
	char *url;
	assert_int_equal(request("webhook", "http://h/x", p, &url, &b), 0);
	assert_string_equal(url, "http://h/x");
	json_t *o = json_loads(b.p, 0, NULL);
	assert_true(json_equal(o, p)); /* the body itself */
	json_decref(o), free(url), buf_reset(&b);
	assert_int_equal(request("alertmanager", "http://am:9093/", p, &url, &b), 0);
	assert_string_equal(url, "http://am:9093/api/v2/alerts");
	o = json_loads(b.p, 0, NULL);
	assert_int_equal(json_array_size(o), 2);
	assert_string_equal(jsonx_str(json_array_get(o, 1), "endsAt"), "2026-11-22T06:05:00Z");
	assert_null(json_object_get(json_array_get(o, 0), "lens")); /* Alertmanager's fields only */
	json_decref(o), free(url), buf_reset(&b);
	assert_int_equal(request("slack", "http://s", p, &url, &b), 0);
	o = json_loads(b.p, 0, NULL);
	assert_string_equal(jsonx_str(o, "text"),
			    "[FIRING:1] alertname=OOMKilled \n"
			    "- firing OOMKilled (critical): tail was OOM-killed [workload llama, pod w-0]\n"
			    "- resolved OOMKilled (critical)\n");
	json_decref(o), free(url), buf_reset(&b);
	assert_int_equal(request("dingtalk", "http://d", p, &url, &b), 0);
	o = json_loads(b.p, 0, NULL);
	assert_string_equal(jsonx_str(o, "msgtype"), "markdown");
	assert_non_null(strstr(jsonx_str(json_object_get(o, "markdown"), "text"), "### [FIRING:1]"));
	json_decref(o), free(url), buf_reset(&b);
	assert_int_equal(request("wechat", "http://w", p, &url, &b), 0);
	o = json_loads(b.p, 0, NULL);
	assert_non_null(strstr(jsonx_str(json_object_get(o, "markdown"), "content"), "OOM-killed"));
	json_decref(o), free(url), buf_reset(&b);
	assert_int_equal(request("email", "smtp://mail:25", p, &url, &b), 0);
	assert_string_equal(url, "smtp://mail:25");
	assert_non_null(strstr(b.p, "From: lens@example.com\r\nTo: a@example.com, b@example.com\r\n"
				    "Subject: Lens [FIRING:1] alertname=OOMKilled \r\n"));
	assert_non_null(strstr(b.p, "\r\n\r\n[FIRING:1] alertname=OOMKilled \r\n- firing OOMKilled"));
	free(url), buf_reset(&b);
	assert_int_equal(request("pager", "http://p", p, &url, &b), -EINVAL);
	assert_false(notifyfmt_known("pager"));
	buf_free(&b);
	json_decref(p);
}

/* The lines (of pods of namespaces) a rule with one selector matches. */
static const char *selected(const char *selector)
{
	static char got[64];
	char err[256], body[512];
	snprintf(body, sizeof body,
		 "{\"rule\":{\"name\":\"R\",\"pattern\":\"boom\",\"selector\":[%s]},"
		 "\"lines\":[{\"line\":\"boom\",\"namespace\":\"ml\",\"pod\":\"trainer-0\","
		 "\"workload\":\"llama\"},{\"line\":\"boom\",\"namespace\":\"dev\","
		 "\"pod\":\"nb-1\",\"workload\":\"\"},{\"line\":\"boom\",\"namespace\":\"ml-infra\","
		 "\"pod\":\"trainer-2\",\"workload\":\"bert\"}]}",
		 selector);
	json_t *b = json_loads(body, 0, NULL), *out = NULL;
	assert_non_null(b);
	assert_int_equal(alertrules_test(json_object_get(b, "rule"), json_object_get(b, "lines"),
					 &out, err, sizeof err), 0);
	got[0] = '\0';
	const json_t *m;
	size_t i;
	json_array_foreach(json_object_get(out, "matches"), i, m)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%lld",
			 (long long)json_integer_value(json_object_get(m, "line")));
	json_decref(out);
	json_decref(b);
	return got;
}

static void test_rule_selectors(void **state)
{
	(void)state;
	assert_string_equal(selected(""), "012");
	assert_string_equal(selected("{\"key\":\"namespace\",\"op\":\"eq\",\"value\":\"ml\"}"), "0");
	assert_string_equal(selected("{\"key\":\"namespace\",\"op\":\"ne\",\"value\":\"ml\"}"), "12");
	assert_string_equal(selected("{\"key\":\"namespace\",\"op\":\"in\",\"values\":[\"ml\",\"dev\"]}"), "01");
	assert_string_equal(selected("{\"key\":\"namespace\",\"op\":\"notin\",\"values\":[\"ml\",\"dev\"]}"), "2");
	assert_string_equal(selected("{\"key\":\"workload\",\"op\":\"exists\"}"), "02");
	assert_string_equal(selected("{\"key\":\"pod\",\"op\":\"regex\",\"value\":\"^trainer-[0-9]$\"}"), "02");
	assert_string_equal(selected("{\"key\":\"workload\",\"op\":\"in\",\"values\":[\"bert\"]},"
				     "{\"key\":\"namespace\",\"op\":\"regex\",\"value\":\"^ml\"}"), "2");
}

/* Thresholds count within the window per key; composite rules need every
 * condition within the window; the lines of a trial are a second apart. */
static void test_rule_thresholds(void **state)
{
	(void)state;
	char err[256];
	json_t *out;
	json_t *rule = json_loads("{\"name\":\"T\",\"pattern\":\"e\",\"threshold\":"
				  "{\"count\":2,\"window\":\"1s\",\"by\":\"rule\"}}", 0, NULL);
	json_t *lines = json_loads("[\"e\",\"x\",\"e\",\"e\",\"e\",\"e\"]", 0, NULL);
	assert_int_equal(alertrules_test(rule, lines, &out, err, sizeof err), 0);
	/* 0 and 2 are 2 s apart: no; 2 and 3: yes; 4 and 5: yes. */
	assert_int_equal(json_array_size(json_object_get(out, "alerts")), 2);
	json_decref(out), json_decref(rule), json_decref(lines);
	rule = json_loads("{\"name\":\"C\",\"conditions\":[{\"pattern\":\"NCCL WARN\"},"
			  "{\"pattern\":\"TIMEOUT\",\"ignore_case\":true}],\"threshold\":{\"window\":\"2s\"}}",
			  0, NULL);
	lines = json_loads("[\"NCCL WARN a\",\"b\",\"c\",\"timeout\",\"NCCL WARN d\",\"Timeout\"]", 0, NULL);
	assert_int_equal(alertrules_test(rule, lines, &out, err, sizeof err), 0);
	/* 0 and 3 are 3 s apart: no; 3 and 4: yes (both within 2 s), then it starts over. */
	assert_int_equal(json_array_size(json_object_get(out, "alerts")), 1);
	assert_string_equal(jsonx_str(json_object_get(json_array_get(json_object_get(out, "alerts"), 0),
						      "annotations"), "pattern"), "NCCL WARN && TIMEOUT");
	json_decref(out), json_decref(rule), json_decref(lines);
	/* A lookbehind Hyperscan alone cannot take: prefilter, then PCRE2 decides. */
	rule = json_loads("{\"name\":\"L\",\"pattern\":\"(?<!no )error\"}", 0, NULL);
	lines = json_loads("[\"no error\",\"an error\"]", 0, NULL);
	assert_int_equal(alertrules_test(rule, lines, &out, err, sizeof err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "matches")), 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(out, "matches"), 0), "line")), 1);
	json_decref(out), json_decref(rule), json_decref(lines);
}

/* Metric rules: what is checked when one is made. */
static void test_metric_rule_parse(void **state)
{
	(void)state;
	char err[256];
	json_t *b = json_loads("{\"name\":\"Hot\",\"type\":\"metric\",\"metric\":\"power_average_watts\","
			       "\"op\":\">=\",\"value\":550.5,\"for\":\"2m\",\"severity\":\"page\","
			       "\"selector\":[{\"key\":\"device\",\"op\":\"in\",\"values\":[\"0000:81:00.0\"]}]}",
			       0, NULL);
	json_t *r = metricrules_parse(b, err, sizeof err);
	assert_non_null(r);
	assert_string_equal(jsonx_str(r, "severity"), "critical");
	assert_true(json_number_value(json_object_get(r, "for_s")) == 120);
	assert_true(json_number_value(json_object_get(r, "value")) == 550.5);
	json_decref(r);
	json_decref(b);
	static const char *const bad[] = {
		"{\"name\":\"X\",\"metric\":\"warp\",\"op\":\">\",\"value\":1}",
		"{\"name\":\"X\",\"metric\":\"busy_percent\",\"op\":\"~\",\"value\":1}",
		"{\"name\":\"X\",\"metric\":\"busy_percent\",\"op\":\">\",\"value\":\"1\"}",
		"{\"name\":\"X\",\"metric\":\"busy_percent\",\"op\":\">\",\"value\":1,\"for\":\"soon\"}",
		"{\"name\":\"X\",\"metric\":\"busy_percent\",\"op\":\">\",\"value\":1,"
		"\"selector\":[{\"key\":\"pod\",\"op\":\"eq\",\"value\":\"p\"}]}"};
	all_refused(metricrules_parse, bad, sizeof bad / sizeof bad[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alertmanager),
		cmocka_unit_test(test_log_trace_webhook),
		cmocka_unit_test(test_silence_parse),
		cmocka_unit_test(test_notify_formats),
		cmocka_unit_test(test_rule_selectors),
		cmocka_unit_test(test_rule_thresholds),
		cmocka_unit_test(test_metric_rule_parse),
	};
	return cmocka_run_group_tests_name("alerts", tests, NULL, NULL);
}
