/* devnode: /sys/dev/char/<maj>:<min> realpath -> class -> device. */
#include "devnode.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs.h"

/* The path component before the last two ("<BDF>/drm/renderD128"). */
static void grandparent_name(char *real, char *id, size_t len)
{
	for (int i = 0; i < 2; i++) {
		char *cut = strrchr(real, '/');
		if (cut)
			*cut = '\0';
	}
	char *base = strrchr(real, '/');
	snprintf(id, len, "%s", base ? base + 1 : real);
}

enum devnode_kind devnode_resolve(const char *sysfs_root, unsigned major, unsigned minor,
				  char *id, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX];
	sysfs_path(path, sizeof path, sysfs_root, "/sys/dev/char/%u:%u", major, minor);
	if (!realpath(path, real))
		return DEVNODE_OTHER;
	id[0] = '\0';
	if (strstr(real, "/kfd/kfd"))
		return DEVNODE_KFD;
	if (strstr(real, "/drm/")) {
		grandparent_name(real, id, len);
		return DEVNODE_GPU;
	}
	if (strstr(real, "/infiniband_verbs/uverbs")) {
		char ibdev[PATH_MAX + 8];
		snprintf(ibdev, sizeof ibdev, "%s/ibdev", real);
		return sysfs_read_str(ibdev, id, len) == 0 ? DEVNODE_IB : DEVNODE_OTHER;
	}
	return DEVNODE_OTHER;
}
