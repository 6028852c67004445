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
/* basename of the realpath of a link (a PCI device link gives its BDF). */
int sysfs_link_name(const char *path, char *out, size_t len);
/* Whether the path exists. */
int sysfs_exists(const char *path);

/* The same readers on a directory whose files stay open: each file is
 * opened once and re-read with pread at offset 0 (sysfs regenerates an
 * attribute on every read from the start), so a sample costs one system
 * call per value instead of a path lookup, open, read and close. A file
 * that is missing is remembered as missing until the directory is
 * reopened. */
struct sysfs_dir {
	int dirfd;
	int n, cap;
	struct sysfs_file {
		char name[48];
		int fd; /* negative errno when it could not be opened */
	} *files;
};

int sysfs_dir_open(struct sysfs_dir *d, const char *path);
void sysfs_dir_close(struct sysfs_dir *d);
/* The whole (small, < len) file, trailing blanks cut. */
int sysfs_read_text_at(struct sysfs_dir *d, const char *name, char *out, size_t len);
int sysfs_read_str_at(struct sysfs_dir *d, const char *name, char *out, size_t len);
int sysfs_read_u64_at(struct sysfs_dir *d, const char *name, uint64_t *v);
int sysfs_read_field_at(struct sysfs_dir *d, const char *name, const char *key, uint64_t *v);

#endif
