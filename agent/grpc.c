/* grpc: one unary call per connection, driven by a poll loop with a
 * deadline, so a kubelet that hangs never stalls the collector. */
#include "grpc.h"

#include <errno.h>
#include <fcntl.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"

struct call {
	int fd;
	int32_t stream_id;
	const uint8_t *req;    /* the framed request */
	size_t req_len, req_off;
	struct buf *resp;      /* the raw body, unframed at the end */
	int http_status;
	int grpc_status;       /* -1 until the trailers say */
	char grpc_message[160];
	bool closed;
	uint32_t close_error;
	bool too_big;
};

void grpc_frame(struct buf *out, const uint8_t *msg, size_t len)
{
	uint8_t h[5] = {0, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			(uint8_t)len};
	buf_append(out, h, sizeof h);
	buf_append(out, msg, len);
}

int grpc_unframe(const uint8_t *body, size_t len, const uint8_t **msg, size_t *msg_len)
{
	if (len < 5 || body[0] != 0)
		return -EPROTO;
	size_t n = (size_t)body[1] << 24 | (size_t)body[2] << 16 | (size_t)body[3] << 8 | body[4];
	if (n != len - 5)
		return -EPROTO;
	*msg = body + 5;
	*msg_len = n;
	return 0;
}

static ssize_t on_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags,
		       void *arg)
{
	(void)s, (void)flags;
	struct call *c = arg;
	ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN ? NGHTTP2_ERR_WOULDBLOCK : NGHTTP2_ERR_CALLBACK_FAILURE;
	return n;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *arg)
{
	(void)s, (void)flags;
	struct call *c = arg;
	if (f->hd.stream_id != c->stream_id)
		return 0;
	char v[160];
	snprintf(v, sizeof v, "%.*s", (int)valuelen, (const char *)value);
	if (namelen == 7 && memcmp(name, ":status", 7) == 0)
		c->http_status = atoi(v);
	else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0)
		c->grpc_status = atoi(v);
	else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0)
		snprintf(c->grpc_message, sizeof c->grpc_message, "%s", v);
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data,
		   size_t len, void *arg)
{
	(void)s, (void)flags;
	struct call *c = arg;
	if (stream_id != c->stream_id)
		return 0;
	if (c->resp->len + len > GRPC_MAX_MESSAGE + 5) {
		c->too_big = true;
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	buf_append(c->resp, data, len);
	return 0;
}

static int on_close(nghttp2_session *s, int32_t stream_id, uint32_t error, void *arg)
{
	(void)s;
	struct call *c = arg;
	if (stream_id == c->stream_id) {
		c->closed = true;
		c->close_error = error;
	}
	return 0;
}

static ssize_t read_request(nghttp2_session *s, int32_t stream_id, uint8_t *out, size_t len,
			    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	(void)s, (void)stream_id, (void)src;
	struct call *c = arg;
	size_t n = c->req_len - c->req_off;
	if (n > len)
		n = len;
	memcpy(out, c->req + c->req_off, n);
	c->req_off += n;
	if (c->req_off == c->req_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static int connect_unix(const char *path, int *fd_out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A unix connect completes or fails at once (EAGAIN: backlog full). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int rc = -errno;
		close(fd);
		return rc == -EAGAIN ? -ECONNREFUSED : rc;
	}
	*fd_out = fd;
	return 0;
}

static nghttp2_session *new_session(struct call *c)
{
	nghttp2_session_callbacks *cb;
	nghttp2_session *s = NULL;
	if (nghttp2_session_callbacks_new(&cb))
		return NULL;
	nghttp2_session_callbacks_set_send_callback(cb, on_send);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	if (nghttp2_session_client_new(&s, cb, c))
		s = NULL;
	nghttp2_session_callbacks_del(cb);
	return s;
}

static int submit(nghttp2_session *s, struct call *c, const char *method)
{
#define HDR(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}
	nghttp2_nv h[] = {HDR(":method", "POST"),         HDR(":scheme", "http"),
			  HDR(":path", method),            HDR(":authority", "localhost"),
			  HDR("content-type", "application/grpc"), HDR("te", "trailers")};
#undef HDR
	if (nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0))
		return -EPROTO;
	nghttp2_data_provider dp = {.read_callback = read_request};
	c->stream_id = nghttp2_submit_request(s, NULL, h, sizeof h / sizeof h[0], &dp, NULL);
	return c->stream_id < 0 ? -EPROTO : 0;
}

/* Sends and receives until the stream closes or the deadline passes. */
static int pump(nghttp2_session *s, struct call *c, int64_t deadline)
{
	uint8_t in[16384];
	while (!c->closed) {
		if (nghttp2_session_send(s))
			return -EPIPE;
		int64_t left = deadline - clock_mono_ns();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {c->fd, POLLIN, 0};
		if (nghttp2_session_want_write(s))
			p.events |= POLLOUT;
		int r = poll(&p, 1, (int)(left / 1000000) + 1);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = recv(c->fd, in, sizeof in, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -ECONNRESET;
		if (n > 0 && nghttp2_session_mem_recv(s, in, (size_t)n) < 0)
			return c->too_big ? -EMSGSIZE : -EPROTO;
	}
	return 0;
}

static int finish(struct call *c, int rc, char *err, size_t errlen)
{
	if (rc == -ETIMEDOUT)
		snprintf(err, errlen, "no answer within the timeout");
	else if (rc == -EMSGSIZE)
		snprintf(err, errlen, "answer larger than %u bytes", GRPC_MAX_MESSAGE);
	else if (rc)
		snprintf(err, errlen, "connection failed: %s", strerror(-rc));
	else if (c->close_error)
		snprintf(err, errlen, "stream reset (HTTP/2 error %u)", c->close_error), rc = -EPROTO;
	else if (c->http_status != 200)
		snprintf(err, errlen, "HTTP status %d", c->http_status), rc = -EPROTO;
	else if (c->grpc_status != 0)
		snprintf(err, errlen, "grpc-status %d: %s", c->grpc_status, c->grpc_message),
			rc = -EPROTO;
	return rc;
}

int grpc_unary_call(const char *socket_path, const char *method, const uint8_t *req,
		    size_t req_len, int64_t timeout_ns, struct buf *resp, char *err,
		    size_t errlen)
{
	int64_t deadline = clock_mono_ns() + timeout_ns;
	struct buf framed = BUF_INIT, body = BUF_INIT;
	grpc_frame(&framed, req, req_len);
	struct call c = {.fd = -1, .req = (const uint8_t *)framed.p, .req_len = framed.len,
			 .resp = &body, .grpc_status = -1};
	int rc = connect_unix(socket_path, &c.fd);
	if (rc) {
		snprintf(err, errlen, "cannot connect to %s: %s", socket_path, strerror(-rc));
		buf_free(&framed);
		return rc;
	}
	nghttp2_session *s = new_session(&c);
	rc = s ? submit(s, &c, method) : -ENOMEM;
	if (!rc)
		rc = pump(s, &c, deadline);
	rc = finish(&c, rc, err, errlen);
	const uint8_t *msg;
	size_t mlen;
	if (!rc && grpc_unframe((const uint8_t *)body.p, body.len, &msg, &mlen)) {
		snprintf(err, errlen, "malformed gRPC message framing (%zu bytes)", body.len);
		rc = -EPROTO;
	}
	if (!rc)
		buf_append(resp, msg, mlen);
	nghttp2_session_del(s);
	close(c.fd);
	buf_free(&framed);
	buf_free(&body);
	return rc;
}
