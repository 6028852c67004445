/* sysfs: small-file readers. */
#include "sysfs.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"

char *sysfs_path(char *out, size_t len, const char *root, const char *fmt, ...)
{
	int n = snprintf(out, len, "%s", root ? root : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return out;
}

int sysfs_read_str(const char *path, char *out, size_t len)
{
	int rc = files_read_line(path, out, len);
	if (rc)
		return rc;
	size_t n = strlen(out);
	while (n && (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
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

int sysfs_read_u64(const char *path, uint64_t *v)
{
	char buf[64];
	int rc = sysfs_read_str(path, buf, sizeof buf);
	return rc ? rc : parse_u64(buf, 0, v);
}

int sysfs_read_hex(const char *path, uint64_t *v)
{
	char buf[64];
	int rc = sysfs_read_str(path, buf, sizeof buf);
	return rc ? rc : parse_u64(buf, 16, v);
}

int sysfs_read_field(const char *path, const char *key, uint64_t *v)
{
	char *text;
	int rc = files_read(path, 1 << 16, &text, NULL);
	if (rc)
		return rc;
	rc = -ENOENT;
	size_t klen = strlen(key);
	for (char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *end = strchr(line, '\n');
			if (end)
				*end = '\0';
			rc = parse_u64(line + klen + 1, 10, v);
			break;
		}
	}
	free(text);
	return rc;
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
