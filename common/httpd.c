/* httpd: routing, bodies, auth and errors on top of libmicrohttpd.
 * MHD calls the access handler several times per request: once with no
 * data (we only allocate our context, so keep-alive survives), then with
 * body chunks, then a last time with none, when we dispatch and queue. */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jsonx.h"
#include "log.h"

struct httpd {
	struct MHD_Daemon *mhd;
	const struct http_route *routes;
	void *arg;
	struct httpd_config cfg;
	char *token;
	struct prom_family *requests, *duration;
	int port;
};

struct req_ctx {
	struct buf body;
	bool too_large;
	int64_t start_ns;
};

static const double duration_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
					  0.05,   0.1,   0.25,   0.5,   1,    2.5};

const char *http_query(const struct http_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_header(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_param(const struct http_req *req, const char *name)
{
	for (int i = 0; i < req->nparams; i++)
		if (strcmp(req->param_names[i], name) == 0)
			return req->param_values[i];
	return NULL;
}

void http_json(struct http_resp *resp, int status, json_t *obj)
{
	char *s = json_dumps(obj, JSONX_DUMP_FLAGS);
	json_decref(obj);
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	buf_puts(&resp->body, s ? s : "null");
	buf_putc(&resp->body, '\n');
	free(s);
}

void http_error(struct http_resp *resp, int status, const char *code, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	http_json(resp, status,
		  json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg.p ? msg.p : ""));
	buf_free(&msg);
}

void http_text(struct http_resp *resp, int status, const char *content_type, const char *text)
{
	resp->status = status;
	resp->content_type = content_type;
	buf_reset(&resp->body);
	buf_puts(&resp->body, text);
}

static int parse_count(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int http_paging(const struct http_req *req, struct http_resp *resp, long long def_limit,
		long long max_limit, long long *offset, long long *limit)
{
	const char *o = http_query(req, "offset"), *l = http_query(req, "limit");
	*offset = 0;
	*limit = def_limit;
	if (o && (parse_count(o, offset) || *offset < 0)) {
		http_error(resp, 400, "bad_parameter",
			   "offset must be a non-negative integer, got \"%s\"", o);
		return -EINVAL;
	}
	if (l && (parse_count(l, limit) || *limit < 1 || *limit > max_limit)) {
		http_error(resp, 400, "bad_parameter",
			   "limit must be an integer from 1 to %lld, got \"%s\"", max_limit, l);
		return -EINVAL;
	}
	return 0;
}

/* Matches "/a/{x}/b" against a path, filling the captured segments. */
static bool match_route(const char *pattern, const char *path, struct http_req *req)
{
	req->nparams = 0;
	while (*pattern && *path) {
		if (*pattern == '{') {
			const char *close = strchr(pattern, '}');
			size_t vlen = strcspn(path, "/");
			if (!close || vlen == 0 || req->nparams == HTTPD_MAX_PARAMS)
				return false;
			snprintf(req->param_names[req->nparams], sizeof req->param_names[0], "%.*s",
				 (int)(close - pattern - 1), pattern + 1);
			req->param_values[req->nparams] = strndup(path, vlen);
			req->nparams++;
			pattern = close + 1;
			path += vlen;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *pattern == '\0' && *path == '\0';
}

static void free_params(struct http_req *req)
{
	for (int i = 0; i < req->nparams; i++)
		free(req->param_values[i]);
	req->nparams = 0;
}

static bool token_ok(const struct httpd *h, const struct http_req *req)
{
	if (!h->token)
		return true;
	const char *auth = http_header(req, "Authorization");
	return auth && strncmp(auth, "Bearer ", 7) == 0 && strcmp(auth + 7, h->token) == 0;
}

/* Finds and runs the route; returns the route pattern for metrics. */
static const char *dispatch(struct httpd *h, struct http_req *req, struct http_resp *resp)
{
	bool path_known = false;
	for (const struct http_route *r = h->routes; r->fn; r++) {
		bool matched = match_route(r->pattern, req->path, req);
		if (matched && strcmp(r->method, req->method) == 0) {
			if (r->write && !token_ok(h, req))
				http_error(resp, 401, "unauthorized",
					   "this endpoint needs \"Authorization: Bearer <token>\"");
			else
				r->fn(req, resp, h->arg);
			free_params(req);
			return r->pattern;
		}
		free_params(req);
		path_known |= matched;
	}
	if (path_known)
		http_error(resp, 405, "method_not_allowed", "%s is not allowed on %s", req->method,
			   req->path);
	else
		http_error(resp, 404, "not_found", "no such endpoint: %s", req->path);
	return "unmatched";
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	(void)kind;
	*(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_resp *resp)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		resp->body.len, resp->body.p ? resp->body.p : (char *)"", MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (resp->content_type)
		MHD_add_response_header(r, "Content-Type", resp->content_type);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Checks that need the whole request but no route. */
static bool reject_early(struct httpd *h, struct MHD_Connection *conn, struct req_ctx *ctx,
			 struct http_resp *resp)
{
	size_t header_bytes = 0;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &header_bytes);
	if (header_bytes > h->cfg.max_header_bytes) {
		http_error(resp, 431, "headers_too_large",
			   "request headers are %zu bytes; the limit is %zu", header_bytes,
			   h->cfg.max_header_bytes);
		return true;
	}
	if (ctx->too_large) {
		http_error(resp, 413, "body_too_large", "request body over the limit of %zu bytes",
			   h->cfg.max_body);
		return true;
	}
	return false;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_size, void **con_cls)
{
	(void)version;
	struct httpd *h = cls;
	struct req_ctx *ctx = *con_cls;
	if (!ctx) {
		ctx = xcalloc(1, sizeof *ctx);
		ctx->start_ns = clock_mono_ns();
		*con_cls = ctx;
		return MHD_YES;
	}
	if (*upload_size) {
		if (ctx->body.len + *upload_size > h->cfg.max_body)
			ctx->too_large = true;
		else
			buf_append(&ctx->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}

	struct http_resp resp = {.status = 200};
	struct http_req req = {.method = method, .path = url, .conn = conn,
			       .body = ctx->body.p ? ctx->body.p : "", .body_len = ctx->body.len};
	const char *route = "unmatched";
	if (!reject_early(h, conn, ctx, &resp))
		route = dispatch(h, &req, &resp);
	enum MHD_Result ret = send_response(conn, &resp);

	char code[8];
	snprintf(code, sizeof code, "%d", resp.status);
	prom_inc_l(h->requests, route, code);
	prom_observe(prom_get(h->duration, route),
		     (double)(clock_mono_ns() - ctx->start_ns) / NS_PER_SEC);
	buf_free(&resp.body);
	return ret;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct req_ctx *ctx = *con_cls;
	if (!ctx)
		return;
	buf_free(&ctx->body);
	free(ctx);
	*con_cls = NULL;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	struct buf b = BUF_INIT;
	buf_vprintf(&b, fmt, ap);
	while (b.len && b.p[b.len - 1] == '\n')
		b.p[--b.len] = '\0';
	log_debug("http server", "detail=%s", log_q(b.p));
	buf_free(&b);
}

static int parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[256] = "0.0.0.0";
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return -EINVAL;
	if (colon != listen)
		snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -EINVAL;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

static void init_metrics(struct httpd *h, struct prom_registry *reg)
{
	char name[128], help[160];
	const char *prefix = h->cfg.metric_prefix ? h->cfg.metric_prefix : "lens";
	snprintf(name, sizeof name, "%s_http_requests_total", prefix);
	h->requests = prom_counter(reg, name, "HTTP requests served, by route and status code.",
				   "route,code");
	snprintf(name, sizeof name, "%s_http_request_duration_seconds", prefix);
	snprintf(help, sizeof help, "Time from request start to response queued, by route.");
	h->duration = prom_family_new(reg, PROM_HISTOGRAM, name, help, "route", duration_bounds,
				      (int)(sizeof duration_bounds / sizeof duration_bounds[0]));
}

int httpd_start(const struct httpd_config *cfg, const struct http_route *routes, void *arg,
		struct prom_registry *reg, struct httpd **out, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	if (parse_listen(cfg->listen, &sa)) {
		snprintf(err, errlen, "bad listen address \"%s\" (want host:port or :port)",
			 cfg->listen);
		return -EINVAL;
	}
	struct httpd *h = xcalloc(1, sizeof *h);
	h->cfg = *cfg;
	h->routes = routes;
	h->arg = arg;
	h->token = cfg->token && *cfg->token ? xstrdup(cfg->token) : NULL;
	init_metrics(h, reg);
	/* The memory limit bounds what MHD buffers per connection; it sits well
	 * above max_header_bytes so that oversized headers reach our own check
	 * and get a JSON 431 instead of MHD's HTML one. */
	size_t mem = cfg->max_header_bytes * 4 + 65536;
	/* A pool of one is no pool: MHD warns, so leave the option out. */
	unsigned pool = cfg->threads > 1 ? (unsigned)cfg->threads : 0;
	bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
	struct MHD_OptionItem opts[] = {
		{MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_logger, NULL},
		{MHD_OPTION_SOCK_ADDR, 0, &sa},
		{MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)mem, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, NULL},
		{MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
		{pool ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool, NULL},
		{tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)cfg->tls_cert_pem},
		{tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)cfg->tls_key_pem},
		{MHD_OPTION_END, 0, NULL},
	};
	/* MHD_OPTION_END entries in the middle cut the list: move them last. */
	size_t n = 0;
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (opts[i].option != MHD_OPTION_END)
			opts[n++] = opts[i];
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
					  (tls ? MHD_USE_TLS : 0),
				  0, NULL, NULL, access_handler, h, MHD_OPTION_ARRAY, opts,
				  MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen,
			 errno ? strerror(errno) : "libmicrohttpd refused to start");
		free(h->token);
		free(h);
		return -EADDRINUSE;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : ntohs(sa.sin_port);
	*out = h;
	return 0;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h->token);
	free(h);
}
