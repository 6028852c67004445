/* sysfs: small-file readers. */
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


char *sysfs_path(char *out, size_t len, const char *root, const char *fmt, ...)
{
	int n = snprintf(out, len, "%s", root ? root : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return out;
}

static int parse_u64(const char *s, int base, uint64_t *v)
{
	char *end;
	errno = 0;
	while (*s == ' ')
		s++;
	if (*s == '-' || !*s)
		return -EINVAL;
	unsigned long long x = strtoull(s, &end, base);
	while (*end == ' ' || *end == '\n')
		end++;
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

int sysfs_link_name(const char *path, char *out, size_t len)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return -errno;
	const char *base = strrchr(real, '/');
	snprintf(out, len, "%s", base ? base + 1 : real);
	return 0;
}

int sysfs_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int sysfs_open_dir(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* One read of a small file into out (NUL-terminated, trailing newline
 * and blanks cut). Sysfs attributes fit in a page and come in one read. */
int sysfs_read_text_at(int dirfd, const char *name, char *out, size_t len)
{
	if (dirfd < 0 && dirfd != AT_FDCWD)
		return -EBADF;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, out, len - 1);
	int rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\t' ||
			 out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
	return 0;
}

int sysfs_read_str_at(int dirfd, const char *name, char *out, size_t len)
{
	int rc = sysfs_read_text_at(dirfd, name, out, len);
	if (!rc)
		out[strcspn(out, "\n")] = '\0';
	return rc;
}

int sysfs_read_u64_at(int dirfd, const char *name, uint64_t *v)
{
	char buf[64];
	int rc = sysfs_read_str_at(dirfd, name, buf, sizeof buf);
	return rc ? rc : parse_u64(buf, 0, v);
}

int sysfs_read_field_at(int dirfd, const char *name, const char *key, uint64_t *v)
{
	char text[4096];
	int rc = sysfs_read_text_at(dirfd, name, text, sizeof text);
	if (rc)
		return rc;
	size_t klen = strlen(key);
	for (char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *end = strchr(line, '\n');
			if (end)
				*end = '\0';
			return parse_u64(line + klen + 1, 10, v);
		}
	}
	return -ENOENT;
}

int sysfs_read_str(const char *path, char *out, size_t len)
{
	return sysfs_read_str_at(AT_FDCWD, path, out, len);
}

int sysfs_read_u64(const char *path, uint64_t *v)
{
	return sysfs_read_u64_at(AT_FDCWD, path, v);
}

int sysfs_read_hex(const char *path, uint64_t *v)
{
	char buf[64];
	int rc = sysfs_read_str(path, buf, sizeof buf);
	return rc ? rc : parse_u64(buf, 16, v);
}

int sysfs_read_field(const char *path, const char *key, uint64_t *v)
{
	return sysfs_read_field_at(AT_FDCWD, path, key, v);
}
