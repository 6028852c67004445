/* grpc: a minimal unary gRPC client, over HTTP/2 (nghttp2) on a unix
 * socket, for the kubelet's local APIs. One call is one connection: the
 * kubelet's pod-resources API is polled at most once a second, so a kept
 * connection would save little and add reconnect logic. Messages are
 * uncompressed (the kubelet never compresses unless asked). */
#ifndef LENS_GRPC_H
#define LENS_GRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define GRPC_MAX_MESSAGE (16u << 20)

/* Calls method (e.g. "/v1.PodResourcesLister/List") with one request
 * message and returns the response message in resp. Returns 0; -ENOENT
 * when the socket does not exist; -ECONNREFUSED, -ETIMEDOUT, -EPROTO (a
 * non-OK grpc-status or a malformed answer, explained in err), -EMSGSIZE
 * (over GRPC_MAX_MESSAGE). */
int grpc_unary_call(const char *socket_path, const char *method, const uint8_t *req,
		    size_t req_len, int64_t timeout_ns, struct buf *resp, char *err,
		    size_t errlen);

/* Length-prefixed message framing (shared with the test's fake server):
 * 1 byte compressed flag, 4 bytes big-endian length, the message. */
void grpc_frame(struct buf *out, const uint8_t *msg, size_t len);
/* The single uncompressed message of a body; -EPROTO when the body is not
 * exactly one well-formed frame. */
int grpc_unframe(const uint8_t *body, size_t len, const uint8_t **msg, size_t *msg_len);

#endif
