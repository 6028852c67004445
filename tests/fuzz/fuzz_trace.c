/* libFuzzer target: profiler trace files, which any training job writes
 * and the agent analyses: the streaming reader (plain and gzip) and every
 * table of the analysis. */
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *out = NULL;
	char err[256];
	if (trace_analyze_mem(data, size, 0, &out, err, sizeof err) >= 0)
		json_decref(out);
	return 0;
}
