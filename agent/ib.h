/* ib: InfiniBand and RoCE HCAs from /sys/class/infiniband (configurable
 * root): identity, ports with state, rate, link layer and RoCE netdev, and
 * the port counters. Data counters, which the kernel keeps in units of 4
 * octets, are reported in bytes. Counters a port lacks are absent. */
#ifndef LENS_IB_H
#define LENS_IB_H

#include <stdbool.h>
#include <stdint.h>

#define IB_MAX_PORTS 8

enum ib_counter {
	IB_RCV_BYTES,
	IB_XMIT_BYTES,
	IB_RCV_PACKETS,
	IB_XMIT_PACKETS,
	IB_RCV_ERRORS,
	IB_SYMBOL_ERRORS,
	IB_LINK_DOWNED,
	IB_LINK_ERROR_RECOVERY,
	IB_EXCESSIVE_BUFFER_OVERRUN,
	IB_LOCAL_LINK_INTEGRITY_ERRORS,
	IB_RCV_REMOTE_PHYSICAL_ERRORS,
	IB_XMIT_DISCARDS,
	IB_XMIT_WAIT,
	IB_VL15_DROPPED,
	IB_OUT_OF_BUFFER,          /* hw_counters (mlx5) */
	IB_OUT_OF_SEQUENCE,
	IB_LOCAL_ACK_TIMEOUT_ERR,
	IB_RNR_NAK_RETRY_ERR,
	IB_COUNTER_COUNT,
};

struct ib_port {
	int number;
	int state;           /* 4 = ACTIVE */
	char state_name[24]; /* "ACTIVE" */
	int phys_state;      /* 5 = LinkUp */
	char phys_state_name[24];
	double rate_gbps;
	char link_layer[16]; /* InfiniBand | Ethernet */
	char netdev[32];     /* RoCE */
	uint64_t present;
	uint64_t counters[IB_COUNTER_COUNT];
};

struct ib_hca {
	char name[32];       /* mlx5_0 */
	char bdf[16];
	char node_guid[24];
	char fw_ver[32];
	char hca_type[32];
	char board_id[64];
	int nports;
	struct ib_port ports[IB_MAX_PORTS];
};

/* A reader keeps the HCAs' directories and counter files open between
 * samples and notices HCAs appearing or going at every scan. */
struct ib_reader;

struct ib_reader *ib_reader_open(const char *root);
/* Reads every HCA; returns how many (<= max). */
int ib_reader_scan(struct ib_reader *r, struct ib_hca *out, int max);
void ib_reader_close(struct ib_reader *r);
/* One-shot: open, scan, close. */
int ib_scan(const char *root, struct ib_hca *out, int max);
/* Snake-case name of a counter ("port_rcv_bytes"). */
const char *ib_counter_key(int c);

#endif
