/* rx: the PCRE2 the alert rules use: compiling a user's pattern with an
 * error that says where, and matching it under a limit, so a pattern that
 * backtracks without end on some line cannot stall the aggregator (such a
 * line counts as no match). */
#ifndef LENS_RX_H
#define LENS_RX_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

/* JIT-compiled when it can be; NULL with err ("... at offset N"). */
pcre2_code *rx_compile(const char *pattern, bool caseless, char *err, size_t errlen);
bool rx_match(const pcre2_code *code, const char *s, size_t len);

#endif
