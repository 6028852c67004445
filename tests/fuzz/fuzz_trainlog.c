/* libFuzzer target: training-log lines, which any training process
 * prints; the parser runs over every stored log line. */
#include <stddef.h>
#include <stdint.h>

#include "trainlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trainlog_line l;
	if (trainlog_parse((const char *)data, size, &l) > 0)
		json_decref(trainlog_fields_json(&l));
	return 0;
}
