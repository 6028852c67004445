/* files: the few file-system operations Lens needs done carefully:
 * creating directory trees, replacing a file atomically and durably, and
 * reading small files (proc, sys, state files) with a size limit. */
#ifndef LENS_FILES_H
#define LENS_FILES_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p. Returns 0 or a negative errno. */
int files_mkdir_p(const char *path, mode_t mode);
/* Writes path.tmp, fsyncs it, renames it over path and fsyncs the
 * directory, so a crash leaves the old or the new content, never a mix. */
int files_write_atomic(const char *path, const void *data, size_t len);
/* Reads at most max bytes into a NUL-terminated malloc'd buffer. Returns
 * 0 (and *len when len is non-NULL) or a negative errno; -EFBIG when the
 * file is longer than max. */
int files_read(const char *path, size_t max, char **out, size_t *len);
/* The first line of a small file, without its newline. */
int files_read_line(const char *path, char *out, size_t len);
int files_fsync_dir(const char *dir);

#endif
