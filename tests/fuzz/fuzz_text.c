/* libFuzzer target: the text parsers that read outside input: RFC 3339
 * times, durations and sizes (flags, environment, API parameters), and
 * logfmt quoting of arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	int64_t v;
	char out[64];
	if (clock_parse_rfc3339(s, &v) == 0)
		clock_format_rfc3339(v, 9, out, sizeof out);
	if (clock_parse_duration(s, &v) == 0)
		clock_format_age(v, out, sizeof out);
	cfg_parse_size(s, &v);
	(void)log_q(s);
	free(s);
	return 0;
}
