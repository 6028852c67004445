/* envelope: payload naming and validation shared by agent and aggregator. */
#include "envelope.h"

#include "logmsg.h"

#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
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
	case LENS__V1__ENVELOPE__PAYLOAD_PROFILER_FILE:
		return "profiler_file";
	case LENS__V1__ENVELOPE__PAYLOAD_PROFILER_CHUNK:
		return "profiler_chunk";
	default:
		return "unknown";
	}
}

const char *envelope_stream_name(unsigned stream_id)
{
	static const char *const names[] = {"unspecified", "control", "metrics", "logs", "events",
						 "profiler"};
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

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static bool valid_file_key(const char *k)
{
	return k && *k && strlen(k) <= ENVELOPE_MAX_FILE_KEY;
}

/* A profiler file's report is stored as jsonb: one that is not a JSON
 * object is refused on receipt. */
static const char *check_profiler_file(const Lens__V1__ProfilerFile *f)
{
	static const char *const statuses[] = {"analysed", "partial", "failed", NULL};
	static const char *const contents[] = {"sending", "too_large", "disabled", NULL};
	if (!valid_file_key(f->file_key) || !*f->path)
		return "profiler_file without file_key or path";
	if (!one_of(f->status, statuses) || !one_of(f->content, contents))
		return "profiler_file status or content unknown";
	if (!*f->analysis_json)
		return strcmp(f->status, "failed") == 0 ? NULL : "profiler_file without its analysis";
	json_t *r = json_loads(f->analysis_json, 0, NULL);
	bool ok = json_is_object(r);
	json_decref(r);
	return ok ? NULL : "profiler_file analysis is not a JSON object";
}

static const char *check_profiler_chunk(const Lens__V1__ProfilerChunk *c)
{
	if (!valid_file_key(c->file_key))
		return "profiler_chunk without file_key";
	return c->data.len > ENVELOPE_MAX_CHUNK ? "profiler_chunk too large" : NULL;
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
		 e->stream_id > LENS__V1__STREAM__STREAM_PROFILER)
		why = "unknown stream_id";
	else if (e->seq == 0 || e->seq > (unsigned long long)INT64_MAX)
		why = "seq out of range";
	else if (e->payload_case == LENS__V1__ENVELOPE__PAYLOAD__NOT_SET)
		why = "no payload";
	else if (e->payload_case == LENS__V1__ENVELOPE__PAYLOAD_LOG_BATCH)
		return check_log_batch(e->log_batch, reason, len);
	else if (e->payload_case == LENS__V1__ENVELOPE__PAYLOAD_PROFILER_FILE)
		why = check_profiler_file(e->profiler_file);
	else if (e->payload_case == LENS__V1__ENVELOPE__PAYLOAD_PROFILER_CHUNK)
		why = check_profiler_chunk(e->profiler_chunk);
	if (!why)
		return 0;
	snprintf(reason, len, "%s", why);
	return -EINVAL;
}
