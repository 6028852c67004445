/* client: libcurl requests + jansson parse + error wording. */
#include "client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	buf_append(arg, data, size * n);
	return size * n;
}

/* The API's {"error": {"code", "message"}} as a sentence, if it is one. */
static void api_error(long status, const char *body, char *err, size_t errlen)
{
	json_t *j = json_loads(body, 0, NULL);
	const char *code = NULL, *msg = NULL;
	if (json_unpack(j, "{s:{s:s,s:s}}", "error", "code", &code, "message", &msg) == 0)
		snprintf(err, errlen, "server answered %ld %s: %s", status, code, msg);
	else
		snprintf(err, errlen, "server answered HTTP %ld", status);
	json_decref(j);
}

int client_get(const struct client *c, const char *path, json_t **out, char *err,
	       size_t errlen)
{
	return client_request(c, "GET", path, NULL, out, err, errlen);
}

int client_request(const struct client *c, const char *method, const char *path,
		   const json_t *send, json_t **out, char *err, size_t errlen)
{
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	struct buf url = BUF_INIT, body = BUF_INIT, auth = BUF_INIT;
	struct curl_slist *headers = NULL;
	buf_printf(&url, "%s%s", c->server, path);
	char *payload = send ? json_dumps(send, JSON_COMPACT) : NULL;
	if (c->token && *c->token) {
		buf_printf(&auth, "Authorization: Bearer %s", c->token);
		headers = curl_slist_append(headers, auth.p);
	}
	if (payload) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_URL, url.p);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	CURLcode cc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	int rc = -1;
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "cannot reach the Lens server at %s: %s (set --server or "
			 "LENS_SERVER)", c->server, curl_easy_strerror(cc));
	} else if (status != 200) {
		api_error(status, body.p ? body.p : "", err, errlen);
	} else {
		json_error_t je;
		*out = json_loads(body.p ? body.p : "", 0, &je);
		if (*out)
			rc = 0;
		else
			snprintf(err, errlen, "server sent malformed JSON: %s", je.text);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	free(payload);
	buf_free(&url);
	buf_free(&body);
	buf_free(&auth);
	return rc;
}

int client_get_all(const struct client *c, const char *path, json_t **items, char *err,
		   size_t errlen)
{
	*items = json_array();
	const char *sep = strchr(path, '?') ? "&" : "?";
	for (size_t offset = 0;;) {
		struct buf p = BUF_INIT;
		buf_printf(&p, "%s%soffset=%zu&limit=1000", path, sep, offset);
		json_t *page;
		int rc = client_get(c, p.p, &page, err, errlen);
		buf_free(&p);
		if (rc) {
			json_decref(*items);
			*items = NULL;
			return rc;
		}
		json_t *got = json_object_get(page, "items");
		size_t total = (size_t)json_integer_value(json_object_get(page, "total"));
		json_array_extend(*items, got);
		size_t n = json_array_size(got);
		json_decref(page);
		offset += n;
		if (n == 0 || offset >= total)
			return 0;
	}
}

int client_get_items(const struct client *c, const char *path, json_t **items, char *err,
		     size_t errlen)
{
	json_t *page;
	if (client_get(c, path, &page, err, errlen))
		return -1;
	*items = json_incref(json_object_get(page, "items"));
	json_decref(page);
	if (!json_is_array(*items)) {
		json_decref(*items);
		snprintf(err, errlen, "the server's answer has no items");
		return -1;
	}
	return 0;
}

void client_param(struct buf *path, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	buf_printf(path, "%c%s=", path->p && strchr(path->p, '?') ? '&' : '?', key);
	for (const unsigned char *c = (const unsigned char *)value; *c; c++)
		buf_printf(path, isalnum(*c) || strchr("-_.~:", *c) ? "%c" : "%%%02X", *c);
}
