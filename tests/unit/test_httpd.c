/* Unit tests of httpd on a real socket: routing with parameters, JSON
 * errors for unknown paths, wrong methods, bad paging, oversized headers
 * and bodies, and bearer tokens on write routes. */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "httpd.h"
#include "pgarray.h"

static void h_item(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)arg;
	http_json(resp, 200, json_pack("{s:s,s:s}", "kind", http_param(req, "kind"), "id",
				       http_param(req, "id")));
}

static void h_list(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)arg;
	long long off, lim;
	if (http_paging(req, resp, 10, 100, &off, &lim))
		return;
	http_json(resp, 200, json_pack("{s:I,s:I}", "offset", off, "limit", lim));
}

static void h_post(const struct http_req *req, struct http_resp *resp, void *arg)
{
	(void)arg;
	http_json(resp, 200, json_pack("{s:I}", "bytes", (json_int_t)req->body_len));
}

static const struct http_route routes[] = {
	{"GET", "/api/v1/things/{kind}/{id}", h_item, false},
	{"GET", "/api/v1/things", h_list, false},
	{"POST", "/api/v1/things", h_post, true},
	{NULL, NULL, NULL, false},
};

struct fixture {
	struct httpd *h;
	struct prom_registry *reg;
	char base[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[256];
	f->reg = prom_registry_new();
	struct httpd_config cfg = {.listen = "127.0.0.1:0", .threads = 2, .max_body = 1024,
				   .max_header_bytes = 4096, .token = "s3cret",
				   .metric_prefix = "lens_test"};
	if (httpd_start(&cfg, routes, NULL, f->reg, &f->h, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", httpd_port(f->h));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	httpd_stop(f->h);
	prom_registry_free(f->reg);
	free(f);
	return 0;
}

static size_t collect(char *d, size_t s, size_t n, void *arg)
{
	buf_append(arg, d, s * n);
	return s * n;
}

/* Makes one request; returns the status and the parsed JSON body. */
static long request(struct fixture *f, const char *method, const char *path, const char *header,
		    const char *body, json_t **json)
{
	CURL *h = curl_easy_init();
	struct buf url = BUF_INIT, out = BUF_INIT;
	buf_printf(&url, "%s%s", f->base, path);
	struct curl_slist *hl = header ? curl_slist_append(NULL, header) : NULL;
	curl_easy_setopt(h, CURLOPT_URL, url.p);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	long status = 0;
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	*json = json_loads(out.p ? out.p : "", 0, NULL);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	buf_free(&url);
	buf_free(&out);
	return status;
}

static const char *error_code(json_t *j)
{
	return json_string_value(json_object_get(json_object_get(j, "error"), "code"));
}

static void test_routes_and_params(void **state)
{
	json_t *j;
	assert_int_equal(request(*state, "GET", "/api/v1/things/gpu/0000:19:00.0", NULL, NULL, &j),
			 200);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "gpu");
	assert_string_equal(json_string_value(json_object_get(j, "id")), "0000:19:00.0");
	json_decref(j);
	assert_int_equal(request(*state, "GET", "/api/v1/things?offset=5&limit=7", NULL, NULL, &j),
			 200);
	assert_int_equal(json_integer_value(json_object_get(j, "limit")), 7);
	json_decref(j);
}

static void test_json_errors(void **state)
{
	json_t *j;
	assert_int_equal(request(*state, "GET", "/nowhere", NULL, NULL, &j), 404);
	assert_string_equal(error_code(j), "not_found");
	json_decref(j);
	assert_int_equal(request(*state, "DELETE", "/api/v1/things", NULL, NULL, &j), 405);
	assert_string_equal(error_code(j), "method_not_allowed");
	json_decref(j);
	assert_int_equal(request(*state, "GET", "/api/v1/things?limit=0", NULL, NULL, &j), 400);
	assert_string_equal(error_code(j), "bad_parameter");
	json_decref(j);
	assert_int_equal(request(*state, "GET", "/api/v1/things?offset=-3", NULL, NULL, &j), 400);
	json_decref(j);
	assert_int_equal(request(*state, "GET", "/api/v1/things?limit=101", NULL, NULL, &j), 400);
	json_decref(j);
	assert_int_equal(request(*state, "GET", "/api/v1/things/gpu", NULL, NULL, &j), 404);
	json_decref(j);
}

static void test_limits(void **state)
{
	json_t *j;
	char *big = malloc(9000);
	memset(big, 'a', 8999);
	big[8999] = '\0';
	memcpy(big, "X-Big: ", 7);
	assert_int_equal(request(*state, "GET", "/api/v1/things", big, NULL, &j), 431);
	assert_string_equal(error_code(j), "headers_too_large");
	json_decref(j);
	big[2000] = '\0';
	assert_int_equal(request(*state, "POST", "/api/v1/things", "Authorization: Bearer s3cret",
				 big, &j),
			 413);
	assert_string_equal(error_code(j), "body_too_large");
	json_decref(j);
	free(big);
}

static void test_token(void **state)
{
	json_t *j;
	assert_int_equal(request(*state, "POST", "/api/v1/things", NULL, "{}", &j), 401);
	assert_string_equal(error_code(j), "unauthorized");
	json_decref(j);
	assert_int_equal(request(*state, "POST", "/api/v1/things", "Authorization: Bearer nope",
				 "{}", &j),
			 401);
	json_decref(j);
	assert_int_equal(request(*state, "POST", "/api/v1/things", "Authorization: Bearer s3cret",
				 "{\"a\":1}", &j),
			 200);
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")), 7);
	json_decref(j);
}

static void test_request_metrics(void **state)
{
	struct fixture *f = *state;
	json_t *j;
	request(f, "GET", "/nowhere", NULL, NULL, &j);
	json_decref(j);
	struct buf b = BUF_INIT;
	prom_render(f->reg, &b);
	assert_non_null(strstr(b.p, "lens_test_http_requests_total{route=\"unmatched\",code=\"404\"} 1"));
	buf_free(&b);
}

static void test_pgarray_quoting(void **state)
{
	(void)state;
	struct pgarray a;
	pgarray_init(&a);
	pgarray_str(&a, "plain");
	pgarray_str(&a, "with \"quotes\" and \\ and ,{}");
	pgarray_str(&a, NULL);
	pgarray_i64(&a, -42);
	pgarray_u64(&a, 18446744073709551615ULL);
	assert_string_equal(pgarray_text(&a),
			    "{\"plain\",\"with \\\"quotes\\\" and \\\\ and ,{}\",NULL,-42,"
			    "18446744073709551615}");
	assert_string_equal(pgarray_text(&a), a.b.p); /* closing twice is harmless */
	pgarray_free(&a);
	pgarray_init(&a);
	assert_string_equal(pgarray_text(&a), "{}");
	pgarray_free(&a);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes_and_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_metrics, setup, teardown),
		cmocka_unit_test(test_pgarray_quoting),
	};
	int rc = cmocka_run_group_tests_name("httpd", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
