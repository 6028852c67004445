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

#include "buf.h"


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

int sysfs_dir_open(struct sysfs_dir *d, const char *path)
{
	memset(d, 0, sizeof *d);
	d->dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return d->dirfd < 0 ? -errno : 0;
}

void sysfs_dir_close(struct sysfs_dir *d)
{
	for (int i = 0; i < d->n; i++)
		if (d->files[i].fd >= 0)
			close(d->files[i].fd);
	if (d->dirfd >= 0)
		close(d->dirfd);
	free(d->files);
	memset(d, 0, sizeof *d);
	d->dirfd = -1;
}

/* The kept descriptor of name, opening it on first use. */
static int file_fd(struct sysfs_dir *d, const char *name)
{
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->files[i].name, name) == 0)
			return d->files[i].fd;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->files = xrealloc(d->files, sizeof *d->files * (size_t)d->cap);
	}
	struct sysfs_file *f = &d->files[d->n++];
	snprintf(f->name, sizeof f->name, "%s", name);
	f->fd = d->dirfd < 0 ? -EBADF : openat(d->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 && d->dirfd >= 0)
		f->fd = -errno;
	return f->fd;
}

/* One read from the start into out (NUL-terminated, trailing newline and
 * blanks cut). Sysfs attributes fit in a page and come in one read. */
static int read_fd(int fd, char *out, size_t len)
{
	ssize_t n = pread(fd, out, len - 1, 0);
	if (n < 0)
		return -errno;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\t' ||
			 out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
	return 0;
}

int sysfs_read_text_at(struct sysfs_dir *d, const char *name, char *out, size_t len)
{
	int fd = file_fd(d, name);
	return fd < 0 ? fd : read_fd(fd, out, len);
}

int sysfs_read_str_at(struct sysfs_dir *d, const char *name, char *out, size_t len)
{
	int rc = sysfs_read_text_at(d, name, out, len);
	if (!rc)
		out[strcspn(out, "\n")] = '\0';
	return rc;
}

int sysfs_read_u64_at(struct sysfs_dir *d, const char *name, uint64_t *v)
{
	char buf[64];
	int rc = sysfs_read_str_at(d, name, buf, sizeof buf);
	return rc ? rc : parse_u64(buf, 0, v);
}

int sysfs_read_field_at(struct sysfs_dir *d, const char *name, const char *key, uint64_t *v)
{
	char text[4096];
	int rc = sysfs_read_text_at(d, name, text, sizeof text);
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

/* Path-based reads open and close the file each time: for discovery, not
 * for sampling. */
static int read_path(const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = read_fd(fd, out, len);
	close(fd);
	if (!rc)
		out[strcspn(out, "\n")] = '\0';
	return rc;
}

int sysfs_read_str(const char *path, char *out, size_t len)
{
	return read_path(path, out, len);
}

int sysfs_read_u64(const char *path, uint64_t *v)
{
	char buf[64];
	int rc = read_path(path, buf, sizeof buf);
	return rc ? rc : parse_u64(buf, 0, v);
}

int sysfs_read_hex(const char *path, uint64_t *v)
{
	char buf[64];
	int rc = sysfs_read_str(path, buf, sizeof buf);
	return rc ? rc : parse_u64(buf, 16, v);
}


