/* hash: FNV-1a, the one hash of Lens's in-memory tables (device cache,
 * the analysis's pod table, the trace analyzer's names). Not for anything
 * an outsider could use to flood a table: keys come from our own data. */
#ifndef LENS_HASH_H
#define LENS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_INIT 1469598103934665603ull

/* h extended by n bytes at p (start with HASH_INIT). */
uint64_t hash_bytes(uint64_t h, const void *p, size_t n);
/* h extended by the string s (NULL: nothing). */
uint64_t hash_str(uint64_t h, const char *s);

#endif
