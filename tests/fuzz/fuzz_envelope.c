/* libFuzzer target: what the aggregator does with a frame from the
 * network before anything is stored: decode it as an Envelope, validate
 * it, name its payload, and pack it back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Envelope *e = lens__v1__envelope__unpack(NULL, size, data);
	if (!e)
		return 0;
	char reason[128];
	if (envelope_check(e, reason, sizeof reason) == 0) {
		(void)envelope_payload_name(e->payload_case);
		(void)envelope_stream_name(e->stream_id);
		size_t n = lens__v1__envelope__get_packed_size(e);
		uint8_t *out = malloc(n ? n : 1);
		lens__v1__envelope__pack(e, out);
		free(out);
	}
	lens__v1__envelope__free_unpacked(e, NULL);
	return 0;
}
