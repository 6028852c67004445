/* ib: sysfs reader for HCAs and their ports. */
#include "ib.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devnames.h"
#include "sysfs.h"

static const struct {
	const char *dir, *file; /* under ports/<n>/ */
	uint64_t scale;
} counters[IB_COUNTER_COUNT] = {
	[IB_RCV_BYTES] = {"counters", "port_rcv_data", 4},
	[IB_XMIT_BYTES] = {"counters", "port_xmit_data", 4},
	[IB_RCV_PACKETS] = {"counters", "port_rcv_packets", 1},
	[IB_XMIT_PACKETS] = {"counters", "port_xmit_packets", 1},
	[IB_RCV_ERRORS] = {"counters", "port_rcv_errors", 1},
	[IB_SYMBOL_ERRORS] = {"counters", "symbol_error", 1},
	[IB_LINK_DOWNED] = {"counters", "link_downed", 1},
	[IB_LINK_ERROR_RECOVERY] = {"counters", "link_error_recovery", 1},
	[IB_EXCESSIVE_BUFFER_OVERRUN] = {"counters", "excessive_buffer_overrun_errors", 1},
	[IB_LOCAL_LINK_INTEGRITY_ERRORS] = {"counters", "local_link_integrity_errors", 1},
	[IB_RCV_REMOTE_PHYSICAL_ERRORS] = {"counters", "port_rcv_remote_physical_errors", 1},
	[IB_XMIT_DISCARDS] = {"counters", "port_xmit_discards", 1},
	[IB_XMIT_WAIT] = {"counters", "port_xmit_wait", 1},
	[IB_VL15_DROPPED] = {"counters", "VL15_dropped", 1},
	[IB_OUT_OF_BUFFER] = {"hw_counters", "out_of_buffer", 1},
	[IB_OUT_OF_SEQUENCE] = {"hw_counters", "out_of_sequence", 1},
	[IB_LOCAL_ACK_TIMEOUT_ERR] = {"hw_counters", "local_ack_timeout_err", 1},
	[IB_RNR_NAK_RETRY_ERR] = {"hw_counters", "rnr_nak_retry_err", 1},
};

_Static_assert(IB_COUNTER_COUNT == DEVNAMES_IB_COUNTERS,
	       "ib_counter ids are the wire ids of common/devnames");

const char *ib_counter_key(int c)
{
	return c >= 0 ? devnames_ib_counter((unsigned)c) : NULL;
}

/* "4: ACTIVE" -> 4 and "ACTIVE". */
static void read_state(int dirfd, const char *file, int *code, char *name, size_t len)
{
	char buf[64];
	*code = 0;
	name[0] = '\0';
	if (sysfs_read_str_at(dirfd, file, buf, sizeof buf))
		return;
	char *colon = strchr(buf, ':');
	*code = atoi(buf);
	snprintf(name, len, "%s", colon ? colon + 1 + (colon[1] == ' ') : buf);
}

static void read_port(const char *hca_dir, struct ib_port *p)
{
	char path[PATH_MAX + 128], buf[64];
	snprintf(path, sizeof path, "%s/ports/%d", hca_dir, p->number);
	int portfd = sysfs_open_dir(path);
	read_state(portfd, "state", &p->state, p->state_name, sizeof p->state_name);
	read_state(portfd, "phys_state", &p->phys_state, p->phys_state_name,
		   sizeof p->phys_state_name);
	if (sysfs_read_str_at(portfd, "rate", buf, sizeof buf) == 0)
		p->rate_gbps = strtod(buf, NULL); /* "400 Gb/sec (4X NDR)" */
	sysfs_read_str_at(portfd, "link_layer", p->link_layer, sizeof p->link_layer);
	sysfs_read_str_at(portfd, "gid_attrs/ndevs/0", p->netdev, sizeof p->netdev);
	/* One directory handle per counter directory: a lookup each, not one
	 * per counter. */
	int dirs[2] = {-1, -1};
	for (int c = 0; c < IB_COUNTER_COUNT; c++) {
		int k = strcmp(counters[c].dir, "counters") != 0;
		if (dirs[k] == -1) {
			snprintf(path, sizeof path, "%s/ports/%d/%s", hca_dir, p->number,
				 counters[c].dir);
			dirs[k] = sysfs_open_dir(path);
		}
		uint64_t v;
		if (sysfs_read_u64_at(dirs[k], counters[c].file, &v) == 0) {
			p->counters[c] = v * counters[c].scale;
			p->present |= 1ULL << c;
		}
	}
	for (int k = 0; k < 2; k++)
		if (dirs[k] >= 0)
			close(dirs[k]);
	if (portfd >= 0)
		close(portfd);
}

static int port_cmp(const void *a, const void *b)
{
	return ((const struct ib_port *)a)->number - ((const struct ib_port *)b)->number;
}

static void read_hca(const char *dir, struct ib_hca *h)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/device", dir);
	sysfs_link_name(path, h->bdf, sizeof h->bdf);
	snprintf(path, sizeof path, "%s/node_guid", dir);
	sysfs_read_str(path, h->node_guid, sizeof h->node_guid);
	snprintf(path, sizeof path, "%s/fw_ver", dir);
	sysfs_read_str(path, h->fw_ver, sizeof h->fw_ver);
	snprintf(path, sizeof path, "%s/hca_type", dir);
	sysfs_read_str(path, h->hca_type, sizeof h->hca_type);
	snprintf(path, sizeof path, "%s/board_id", dir);
	sysfs_read_str(path, h->board_id, sizeof h->board_id);
	snprintf(path, sizeof path, "%s/ports", dir);
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d)) && h->nports < IB_MAX_PORTS) {
		int n = atoi(de->d_name);
		if (n <= 0)
			continue;
		struct ib_port *p = &h->ports[h->nports++];
		p->number = n;
		read_port(dir, p);
	}
	if (d)
		closedir(d);
	qsort(h->ports, (size_t)h->nports, sizeof h->ports[0], port_cmp);
}

static int hca_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ib_hca *)a)->name, ((const struct ib_hca *)b)->name);
}

int ib_scan(const char *root, struct ib_hca *out, int max)
{
	char base[PATH_MAX], dir[PATH_MAX + 64];
	DIR *d = opendir(sysfs_path(base, sizeof base, root, "/sys/class/infiniband"));
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.')
			continue;
		memset(&out[n], 0, sizeof out[n]);
		snprintf(out[n].name, sizeof out[n].name, "%s", de->d_name);
		snprintf(dir, sizeof dir, "%s/%s", base, de->d_name);
		read_hca(dir, &out[n]);
		n++;
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof out[0], hca_cmp);
	return n;
}
