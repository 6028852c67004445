/* ib: sysfs reader for HCAs and their ports. */
#include "ib.h"

#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
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

#define MAX_READER_HCAS 64

/* What stays open for one port between scans. */
struct port_dirs {
	int number;
	struct sysfs_dir port, counters, hw;
};

struct hca_state {
	struct ib_hca id; /* identity, read once per discovery */
	struct port_dirs ports[IB_MAX_PORTS];
};

struct ib_reader {
	char root[PATH_MAX];
	char base[PATH_MAX]; /* <root>/sys/class/infiniband */
	struct hca_state *hcas;
	int n;
	char names[MAX_READER_HCAS][32];
};

/* "4: ACTIVE" -> 4 and "ACTIVE". */
static void read_state(struct sysfs_dir *d, const char *file, int *code, char *name, size_t len)
{
	char buf[64];
	*code = 0;
	name[0] = '\0';
	if (sysfs_read_str_at(d, file, buf, sizeof buf))
		return;
	char *colon = strchr(buf, ':');
	*code = atoi(buf);
	snprintf(name, len, "%s", colon ? colon + 1 + (colon[1] == ' ') : buf);
}

static void read_port(struct port_dirs *pd, struct ib_port *p)
{
	char buf[64];
	memset(p, 0, sizeof *p);
	p->number = pd->number;
	read_state(&pd->port, "state", &p->state, p->state_name, sizeof p->state_name);
	read_state(&pd->port, "phys_state", &p->phys_state, p->phys_state_name,
		   sizeof p->phys_state_name);
	if (sysfs_read_str_at(&pd->port, "rate", buf, sizeof buf) == 0)
		p->rate_gbps = strtod(buf, NULL); /* "400 Gb/sec (4X NDR)" */
	sysfs_read_str_at(&pd->port, "link_layer", p->link_layer, sizeof p->link_layer);
	sysfs_read_str_at(&pd->port, "gid_attrs/ndevs/0", p->netdev, sizeof p->netdev);
	for (int c = 0; c < IB_COUNTER_COUNT; c++) {
		struct sysfs_dir *d = strcmp(counters[c].dir, "counters") == 0 ? &pd->counters
										: &pd->hw;
		uint64_t v;
		if (sysfs_read_u64_at(d, counters[c].file, &v) == 0) {
			p->counters[c] = v * counters[c].scale;
			p->present |= 1ULL << c;
		}
	}
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void discover_hca(struct ib_reader *r, struct hca_state *h, const char *name)
{
	char dir[PATH_MAX + 64], path[PATH_MAX + 128];
	memset(h, 0, sizeof *h);
	snprintf(h->id.name, sizeof h->id.name, "%s", name);
	snprintf(dir, sizeof dir, "%s/%s", r->base, name);
	snprintf(path, sizeof path, "%s/device", dir);
	sysfs_link_name(path, h->id.bdf, sizeof h->id.bdf);
	static const struct {
		const char *file;
		size_t off, len;
	} attrs[] = {
		{"node_guid", offsetof(struct ib_hca, node_guid), sizeof h->id.node_guid},
		{"fw_ver", offsetof(struct ib_hca, fw_ver), sizeof h->id.fw_ver},
		{"hca_type", offsetof(struct ib_hca, hca_type), sizeof h->id.hca_type},
		{"board_id", offsetof(struct ib_hca, board_id), sizeof h->id.board_id},
	};
	for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, attrs[i].file);
		sysfs_read_str(path, (char *)&h->id + attrs[i].off, attrs[i].len);
	}
	int numbers[IB_MAX_PORTS], n = 0;
	snprintf(path, sizeof path, "%s/ports", dir);
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d)) && n < IB_MAX_PORTS)
		if (atoi(de->d_name) > 0)
			numbers[n++] = atoi(de->d_name);
	if (d)
		closedir(d);
	qsort(numbers, (size_t)n, sizeof numbers[0], int_cmp);
	for (int k = 0; k < n; k++) {
		struct port_dirs *pd = &h->ports[k];
		pd->number = numbers[k];
		snprintf(path, sizeof path, "%s/ports/%d", dir, numbers[k]);
		sysfs_dir_open(&pd->port, path);
		snprintf(path, sizeof path, "%s/ports/%d/counters", dir, numbers[k]);
		sysfs_dir_open(&pd->counters, path);
		snprintf(path, sizeof path, "%s/ports/%d/hw_counters", dir, numbers[k]);
		sysfs_dir_open(&pd->hw, path);
	}
	h->id.nports = n;
}

static void forget_hcas(struct ib_reader *r)
{
	for (int i = 0; i < r->n; i++)
		for (int k = 0; k < r->hcas[i].id.nports; k++) {
			sysfs_dir_close(&r->hcas[i].ports[k].port);
			sysfs_dir_close(&r->hcas[i].ports[k].counters);
			sysfs_dir_close(&r->hcas[i].ports[k].hw);
		}
	r->n = 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The HCA names now present, sorted; returns how many. */
static int list_names(const struct ib_reader *r, char names[][32])
{
	DIR *d = opendir(r->base);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) && n < MAX_READER_HCAS)
		if (de->d_name[0] != '.')
			snprintf(names[n++], 32, "%s", de->d_name);
	if (d)
		closedir(d);
	qsort(names, (size_t)n, 32, name_cmp);
	return n;
}

struct ib_reader *ib_reader_open(const char *root)
{
	struct ib_reader *r = xcalloc(1, sizeof *r);
	snprintf(r->root, sizeof r->root, "%s", root ? root : "");
	sysfs_path(r->base, sizeof r->base, r->root, "/sys/class/infiniband");
	r->hcas = xcalloc(MAX_READER_HCAS, sizeof *r->hcas);
	return r;
}

void ib_reader_close(struct ib_reader *r)
{
	if (!r)
		return;
	forget_hcas(r);
	free(r->hcas);
	free(r);
}

int ib_reader_scan(struct ib_reader *r, struct ib_hca *out, int max)
{
	char names[MAX_READER_HCAS][32];
	int n = list_names(r, names);
	if (n != r->n || memcmp(names, r->names, (size_t)n * 32) != 0) {
		forget_hcas(r); /* hot-plug: discover everything again */
		for (int i = 0; i < n; i++)
			discover_hca(r, &r->hcas[i], names[i]);
		memcpy(r->names, names, (size_t)n * 32);
		r->n = n;
	}
	int k = 0;
	for (int i = 0; i < r->n && k < max; i++, k++) {
		out[k] = r->hcas[i].id;
		for (int p = 0; p < r->hcas[i].id.nports; p++)
			read_port(&r->hcas[i].ports[p], &out[k].ports[p]);
	}
	return k;
}

int ib_scan(const char *root, struct ib_hca *out, int max)
{
	struct ib_reader *r = ib_reader_open(root);
	int n = ib_reader_scan(r, out, max);
	ib_reader_close(r);
	return n;
}
