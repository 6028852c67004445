/* devnode: the device behind a character device number, through sysfs
 * (/sys/dev/char/<major>:<minor>), never by index arithmetic: a render
 * node's minor says nothing reliable about the card index, and uverbsN's N
 * is not the HCA's index. Shared by the process view (fds) and the
 * allocation view (OCI linux.devices). */
#ifndef LENS_DEVNODE_H
#define LENS_DEVNODE_H

#include <stddef.h>

enum devnode_kind { DEVNODE_OTHER, DEVNODE_KFD, DEVNODE_GPU, DEVNODE_IB };

/* Returns the kind and, for a GPU, its PCI BDF ("0000:81:00.0", any
 * domain) or, for an HCA's uverbs node, the HCA name ("mlx5_0") in id.
 * DEVNODE_OTHER for anything else or what sysfs does not explain. */
enum devnode_kind devnode_resolve(const char *sysfs_root, unsigned major, unsigned minor,
				  char *id, size_t len);

#endif
