/* rx: compile with a readable error, match under a limit. */
#include "rx.h"

#include <stdio.h>

#define MATCH_LIMIT 100000

pcre2_code *rx_compile(const char *pattern, bool caseless, char *err, size_t errlen)
{
	int ec;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				      caseless ? PCRE2_CASELESS : 0, &ec, &off, NULL);
	if (!c) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(ec, msg, sizeof msg);
		snprintf(err, errlen, "pattern \"%.60s\" does not compile: %s at offset %zu", pattern,
			 (char *)msg, (size_t)off);
		return NULL;
	}
	pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	return c;
}

bool rx_match(const pcre2_code *code, const char *s, size_t len)
{
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mc, MATCH_LIMIT);
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
	int rc = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, md, mc);
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	return rc >= 0;
}
