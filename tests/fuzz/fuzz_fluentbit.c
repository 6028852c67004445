/* libFuzzer target: the bodies POST /api/v1/logs takes from anyone with
 * the token (fluent-bit's http output: a JSON array or JSON lines). */
#include <stddef.h>
#include <stdint.h>

#include "fluentbit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fluentbit_batch b;
	char err[256];
	if (fluentbit_parse((const char *)data, size, &b, err, sizeof err) == 0)
		fluentbit_free(&b);
	return 0;
}
