/* sysfs: reading the small text files of sysfs under a configurable root
 * (so tests can point the agent at a fake tree): numbers in decimal or
 * hex, first lines, "key: value" fields, symlink basenames. Every reader
 * returns 0 or a negative errno; a missing file is -ENOENT, text that does
 * not parse is -EINVAL, so callers can tell "unsupported" from "broken". */
#ifndef LENS_SYSFS_H
#define LENS_SYSFS_H

#include <stddef.h>
#include <stdint.h>

/* Joins root, a printf-formatted path and returns the buffer. */
char *sysfs_path(char *out, size_t len, const char *root, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int sysfs_read_str(const char *path, char *out, size_t len);
int sysfs_read_u64(const char *path, uint64_t *v);   /* decimal or 0x hex */
int sysfs_read_hex(const char *path, uint64_t *v);   /* hex with or without 0x */
/* The number after "key:" on some line ("ue: 3"). */
int sysfs_read_field(const char *path, const char *key, uint64_t *v);
/* basename of the realpath of a link (a PCI device link gives its BDF). */
int sysfs_link_name(const char *path, char *out, size_t len);
/* Whether the path exists. */
int sysfs_exists(const char *path);

/* The same readers relative to an open directory (sysfs_open_dir): one
 * path lookup per directory instead of one per file, which is most of the
 * cost of reading sysfs. dirfd < 0 reads nothing (-EBADF). */
int sysfs_open_dir(const char *path);
/* The whole (small, < len) file, trailing blanks cut. */
int sysfs_read_text_at(int dirfd, const char *name, char *out, size_t len);
int sysfs_read_str_at(int dirfd, const char *name, char *out, size_t len);
int sysfs_read_u64_at(int dirfd, const char *name, uint64_t *v);
int sysfs_read_field_at(int dirfd, const char *name, const char *key, uint64_t *v);

#endif
