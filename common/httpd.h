/* httpd: the HTTP server of every Lens component (REST API, /metrics,
 * /healthz), on libmicrohttpd's internal epoll thread pool. It owns
 * routing (patterns with {name} segments), request bodies, bearer-token
 * checks for write routes, JSON error bodies and per-route metrics. */
#ifndef LENS_HTTPD_H
#define LENS_HTTPD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "prom.h"

#define HTTPD_MAX_PARAMS 4

struct http_req {
	const char *method;
	const char *path;
	const char *body;
	size_t body_len;
	int nparams;
	char param_names[HTTPD_MAX_PARAMS][32];
	char *param_values[HTTPD_MAX_PARAMS];
	void *conn; /* struct MHD_Connection * */
};

struct http_resp {
	int status;
	const char *content_type;
	struct buf body;
};

typedef void (*http_handler_fn)(const struct http_req *req, struct http_resp *resp, void *arg);

struct http_route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/api/v1/nodes/{name}" */
	http_handler_fn fn;
	bool write;          /* needs the bearer token when one is configured */
};

struct httpd_config {
	const char *listen;      /* "host:port" or ":port"; port 0 picks one */
	int threads;
	size_t max_body;         /* larger bodies get 413 */
	size_t max_header_bytes; /* larger header sets get 431 */
	const char *token;       /* bearer token for write routes, or NULL */
	const char *metric_prefix; /* "lens_aggregator" -> ..._http_requests_total */
	const char *tls_cert_pem;  /* HTTPS when both are set: PEM text, not paths */
	const char *tls_key_pem;
};

struct httpd;

/* routes must outlive the server; it ends with an entry whose fn is NULL. */
int httpd_start(const struct httpd_config *cfg, const struct http_route *routes, void *arg,
		struct prom_registry *reg, struct httpd **out, char *err, size_t errlen);
int httpd_port(const struct httpd *h);
void httpd_stop(struct httpd *h);

const char *http_query(const struct http_req *req, const char *key);
const char *http_header(const struct http_req *req, const char *name);
const char *http_param(const struct http_req *req, const char *name);

/* Reads ?offset=&limit= with defaults; on a bad value answers 400 itself
 * and returns -EINVAL. */
int http_paging(const struct http_req *req, struct http_resp *resp, long long def_limit,
		long long max_limit, long long *offset, long long *limit);

/* Serialises obj (and drops the reference) as the body. */
void http_json(struct http_resp *resp, int status, json_t *obj);
/* {"error": {"code": code, "message": ...}} */
void http_error(struct http_resp *resp, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void http_text(struct http_resp *resp, int status, const char *content_type, const char *text);

#endif
