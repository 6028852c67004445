/* utf8: bytes as text a database takes: valid UTF-8 passes unchanged,
 * every byte that is not part of a valid sequence (and NUL, which text
 * cannot hold) becomes U+FFFD. Log lines are bytes; columns are text. */
#ifndef LENS_UTF8_H
#define LENS_UTF8_H

#include <stddef.h>

#include "buf.h"

/* Appends the text of data to out (NUL-terminated, as buf always is). */
void utf8_sanitize(const void *data, size_t len, struct buf *out);

#endif
