/* devnames: the names of GPU metrics and InfiniBand counters by their wire
 * ids (GpuSample.metric, IbPortSample.counter), shared by the agent, which
 * produces them, and the aggregator, which shows them. The ids are part of
 * the wire contract: append, never renumber. */
#ifndef LENS_DEVNAMES_H
#define LENS_DEVNAMES_H

#define DEVNAMES_GPU_METRICS 28  /* 14 scalar metrics + 7 ECC blocks x 2 */
#define DEVNAMES_GPU_SCALARS 14
#define DEVNAMES_ECC_BLOCKS 7
#define DEVNAMES_IB_COUNTERS 18

/* "busy_percent", ...; NULL for ECC ids and out-of-range ids. */
const char *devnames_gpu_metric(unsigned id);
/* "umc", "sdma", ... for block 0..6. */
const char *devnames_ecc_block(unsigned block);
/* "port_rcv_bytes", ... */
const char *devnames_ib_counter(unsigned id);

#endif
