/* nngsend: sends one frame to an aggregator on a raw nng REQ socket and
 * prints its answer, for tests of malformed input.
 *
 *   nngsend URL hex HEXBYTES          send these bytes
 *   nngsend URL envelope [options]    send a heartbeat envelope
 *      --node N --boot-id U --seq S --stream S --schema V --no-payload
 *      --truncate K (send only the first K bytes of the packed envelope)
 *      --agent-version-hex HEX (raw bytes, e.g. invalid UTF-8)
 *      --gpu-event NAME (a DeviceSamples with one GPU driver event instead)
 *      --samples (a DeviceSamples with one GPU sample and no event instead)
 *      --profiler-file JSON (a ProfilerFile with this analysis, key "nngsend:1",
 *        on the profiler stream, instead)
 *
 * Prints "status=STORED reason=... stream=S seq=N", or "status=none" and
 * exits 1 when no answer came within 5 s. */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "envelope.h"

static const char *status_name(int s)
{
	static const char *const names[] = {"UNSPECIFIED", "STORED", "DUPLICATE", "REJECTED",
					    "RETRY"};
	return s >= 0 && s <= 4 ? names[s] : "?";
}

static size_t from_hex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	for (; hex[0] && hex[1] && n < max; hex += 2) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* Makes e carry ds on the metrics stream, as an agent sends samples. */
static void carry_samples(Envelope *e, Lens__V1__DeviceSamples *ds)
{
	ds->sampled_unix_ns = e->sent_unix_ns;
	e->stream_id = 2;
	e->payload_case = LENS__V1__ENVELOPE__PAYLOAD_DEVICE_SAMPLES;
	e->device_samples = ds;
}

static size_t build_envelope(int argc, char **argv, uint8_t *out, size_t max)
{
	Lens__V1__Heartbeat hb = LENS__V1__HEARTBEAT__INIT;
	Envelope e = LENS__V1__ENVELOPE__INIT;
	e.schema_version = 1;
	e.node_name = "nngsend-node";
	e.boot_id = "11111111-2222-3333-4444-555555555555";
	e.stream_id = 1;
	e.seq = 1;
	e.sent_unix_ns = clock_now_ns();
	e.agent_version = "nngsend";
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
	e.heartbeat = &hb;
	long truncate = -1;
	Lens__V1__GpuEvent ev = LENS__V1__GPU_EVENT__INIT, *evp = &ev;
	Lens__V1__DeviceSamples ds = LENS__V1__DEVICE_SAMPLES__INIT;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(a, "--node"))
			e.node_name = (char *)v, i++;
		else if (!strcmp(a, "--boot-id"))
			e.boot_id = (char *)v, i++;
		else if (!strcmp(a, "--seq"))
			e.seq = strtoull(v, NULL, 10), i++;
		else if (!strcmp(a, "--stream"))
			e.stream_id = (uint32_t)atoi(v), i++;
		else if (!strcmp(a, "--schema"))
			e.schema_version = (uint32_t)atoi(v), i++;
		else if (!strcmp(a, "--truncate"))
			truncate = atol(v), i++;
		else if (!strcmp(a, "--agent-version-hex")) {
			static char raw[256];
			size_t n = from_hex(v, (uint8_t *)raw, sizeof raw - 1);
			raw[n] = '\0';
			e.agent_version = raw;
			i++;
		} else if (!strcmp(a, "--gpu-event")) {
			ev.bdf = "0000:81:00.0";
			ev.event = (char *)v;
			ev.message = "test event from nngsend";
			ev.unix_ns = e.sent_unix_ns;
			ds.n_events = 1;
			ds.events = &evp;
			carry_samples(&e, &ds);
			i++;
		} else if (!strcmp(a, "--samples")) {
			static Lens__V1__GpuSample gs = LENS__V1__GPU_SAMPLE__INIT, *gsp = &gs;
			static uint32_t metric = 0;
			static double value = 42;
			gs.bdf = "0000:81:00.0";
			gs.n_metric = gs.n_value = 1;
			gs.metric = &metric;
			gs.value = &value;
			ds.n_gpus = 1;
			ds.gpus = &gsp;
			carry_samples(&e, &ds);
		} else if (!strcmp(a, "--profiler-file")) {
			static Lens__V1__ProfilerFile pf = LENS__V1__PROFILER_FILE__INIT;
			pf.file_key = "nngsend:1";
			pf.path = "/nngsend/rank0.pt.trace.json";
			pf.size_bytes = 1;
			pf.found_unix_ns = e.sent_unix_ns;
			pf.status = "analysed";
			pf.content = "disabled";
			pf.analysis_json = (char *)v;
			e.stream_id = 5;
			e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_PROFILER_FILE;
			e.profiler_file = &pf;
			i++;
		} else if (!strcmp(a, "--no-payload"))
			e.payload_case = LENS__V1__ENVELOPE__PAYLOAD__NOT_SET;
	}
	size_t n = lens__v1__envelope__get_packed_size(&e);
	if (n > max)
		return 0;
	lens__v1__envelope__pack(&e, out);
	return truncate >= 0 && (size_t)truncate < n ? (size_t)truncate : n;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: nngsend URL hex BYTES | envelope [options]\n");
		return 2;
	}
	static uint8_t frame[1 << 20];
	size_t len = strcmp(argv[2], "hex") == 0 && argc > 3
			     ? from_hex(argv[3], frame, sizeof frame)
			     : build_envelope(argc - 3, argv + 3, frame, sizeof frame);
	nng_socket s;
	int rv = nng_req0_open(&s);
	if (!rv)
		rv = nng_dial(s, argv[1], NULL, 0);
	if (rv) {
		fprintf(stderr, "nngsend: %s: %s\n", argv[1], nng_strerror(rv));
		return 2;
	}
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, 60000);
	void *reply = NULL;
	size_t rlen = 0;
	rv = nng_send(s, frame, len, 0);
	if (!rv)
		rv = nng_recv(s, &reply, &rlen, NNG_FLAG_ALLOC);
	if (rv) {
		printf("status=none error=\"%s\"\n", nng_strerror(rv));
		nng_close(s);
		return 1;
	}
	Ack *ack = lens__v1__ack__unpack(NULL, rlen, reply);
	if (ack)
		printf("status=%s reason=\"%s\" stream=%u seq=%llu\n", status_name(ack->status),
		       ack->reason, ack->stream_id, (unsigned long long)ack->seq);
	else
		printf("status=unreadable\n");
	lens__v1__ack__free_unpacked(ack, NULL);
	nng_free(reply, rlen);
	nng_close(s);
	return ack ? 0 : 1;
}
