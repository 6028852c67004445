/* envelope: what both ends agree about an Envelope beyond the generated
 * protobuf code: payload names (for metrics and logs) and the validity
 * rules the aggregator enforces before it stores anything. */
#ifndef LENS_ENVELOPE_H
#define LENS_ENVELOPE_H

#include <stddef.h>

#include "lens.pb-c.h"

typedef Lens__V1__Envelope Envelope;
typedef Lens__V1__Ack Ack;

#define ENVELOPE_SCHEMA_VERSION 1
#define ENVELOPE_MAX_BYTES (64u << 20)
#define ENVELOPE_MAX_FILE_KEY 160   /* a profiler file's key */
#define ENVELOPE_MAX_CHUNK (16u << 20) /* a profiler content chunk */

/* "node_info", "heartbeat", ... or "none" / "unknown". */
const char *envelope_payload_name(int payload_case);
const char *envelope_stream_name(unsigned stream_id);

/* 0 when e may be stored; else -EINVAL with a reason for the Ack. */
int envelope_check(const Envelope *e, char *reason, size_t len);
int envelope_valid_node_name(const char *name);
int envelope_valid_uuid(const char *s);

#endif
