/* envelope: payload naming and validation shared by agent and aggregator. */
#include "envelope.h"

#include "logmsg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *envelope_payload_name(int payload_case)
{
	switch (payload_case) {
	case LENS__V1__ENVELOPE__PAYLOAD__NOT_SET:
		return "none";
	case LENS__V1__ENVELOPE__PAYLOAD_NODE_INFO:
		return "node_info";
	case LENS__V1__ENVELOPE__PAYLOAD_HEARTBEAT:
		return "heartbeat";
	case LENS__V1__ENVELOPE__PAYLOAD_DEVICE_INVENTORY:
		return "device_inventory";
	case LENS__V1__ENVELOPE__PAYLOAD_DEVICE_SAMPLES:
		return "device_samples";
	case LENS__V1__ENVELOPE__PAYLOAD_POD_DEVICE_MAP:
		return "pod_device_map";
	case LENS__V1__ENVELOPE__PAYLOAD_KERNEL_EVENTS:
		return "kernel_events";
	case LENS__V1__ENVELOPE__PAYLOAD_LOG_BATCH:
		return "log_batch";
	default:
		return "unknown";
	}
}

const char *envelope_stream_name(unsigned stream_id)
{
	static const char *const names[] = {"unspecified", "control", "metrics", "logs", "events"};
	return stream_id < sizeof names / sizeof names[0] ? names[stream_id] : "unknown";
}

/* Kubernetes node names are DNS subdomains: lowercase alphanumerics, '-'
 * and '.', at most 253 characters. Uppercase is tolerated since hostnames
 * used outside Kubernetes may have it. */
int envelope_valid_node_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return 0;
	}
	return 1;
}

int envelope_valid_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* A log batch whose lines do not decompress is refused on receipt, not
 * found broken inside a transaction. */
static int check_log_batch(const Lens__V1__LogBatch *b, char *reason, size_t len)
{
	Lens__V1__LogLines *lines = logmsg_lines(b, reason, len);
	if (!lines)
		return -EINVAL;
	lens__v1__log_lines__free_unpacked(lines, NULL);
	return 0;
}

int envelope_check(const Envelope *e, char *reason, size_t len)
{
	const char *why = NULL;
	if (e->schema_version != ENVELOPE_SCHEMA_VERSION)
		why = "unsupported schema_version";
	else if (!envelope_valid_node_name(e->node_name))
		why = "node_name missing or not a DNS name";
	else if (!envelope_valid_uuid(e->boot_id))
		why = "boot_id is not a UUID";
	else if (e->stream_id < LENS__V1__STREAM__STREAM_CONTROL ||
		 e->stream_id > LENS__V1__STREAM__STREAM_EVENTS)
		why = "unknown stream_id";
	else if (e->seq == 0 || e->seq > (unsigned long long)INT64_MAX)
		why = "seq out of range";
	else if (e->payload_case == LENS__V1__ENVELOPE__PAYLOAD__NOT_SET)
		why = "no payload";
	else if (e->payload_case == LENS__V1__ENVELOPE__PAYLOAD_LOG_BATCH)
		return check_log_batch(e->log_batch, reason, len);
	if (!why)
		return 0;
	snprintf(reason, len, "%s", why);
	return -EINVAL;
}
