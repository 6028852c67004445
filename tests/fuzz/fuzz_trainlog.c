/* libFuzzer target: training-log lines, which any training process
 * prints; every line parser of the analysis runs over every stored log
 * line: iteration lines, checkpoint/end marks, framework markers. */
#include <stddef.h>
#include <stdint.h>

#include "framework.h"
#include "trainlog.h"
#include "trainmark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trainlog_line l;
	struct trainmark m;
	struct framework_det d;
	if (trainlog_parse((const char *)data, size, &l) > 0)
		json_decref(trainlog_fields_json(&l));
	trainmark_parse((const char *)data, size, &m);
	framework_from_line((const char *)data, size, &d);
	return 0;
}
