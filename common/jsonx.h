/* jsonx: the one jansson accessor Lens needs everywhere: a string member
 * as text, "" when it is absent or not a string, so callers print and
 * compare without a NULL check at every use. */
#ifndef LENS_JSONX_H
#define LENS_JSONX_H

#include <jansson.h>

const char *jsonx_str(const json_t *o, const char *key);

#endif
