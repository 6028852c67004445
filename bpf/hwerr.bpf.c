// SPDX-License-Identifier: GPL-2.0
/* hwerr.bpf.c: hardware errors the kernel reports through RAS
 * tracepoints: PCIe AER (ras:aer_event), memory controllers
 * (ras:mc_event) and machine checks (mce:mce_record). A kernel built
 * without one of them lacks its tracepoint and its record type: the agent
 * then does not load that program, and the local types below (matched to
 * the kernel's by name through CO-RE) are never relocated. */
#include "kevents_common.bpf.h"

struct trace_event_raw_aer_event___lens {
	struct trace_entry ent;
	__u32 __data_loc_dev_name;
	__u32 status;
	__u8 severity;
	__u8 tlp_header_valid;
	__u32 tlp_header[4];
} __attribute__((preserve_access_index));

struct trace_event_raw_mce_record___lens {
	struct trace_entry ent;
	__u64 mcgcap, mcgstatus, status, addr, misc, synd, ipid, ip, tsc;
	__u64 walltime;
	__u32 cpu, cpuid, apicid, socketid;
	__u8 cs, bank, cpuvendor;
} __attribute__((preserve_access_index));

/* A __data_loc string of a trace record into dst. */
static __always_inline void data_loc_str(void *rec, __u32 loc, char *dst, __u32 len)
{
	bpf_probe_read_kernel_str(dst, len, rec + (loc & 0xFFFF));
}

SEC("tp/ras/aer_event")
int kev_aer(void *ctx)
{
	struct trace_event_raw_aer_event___lens *r = ctx;
	struct kevent *e = kev_reserve(KEV_AER);
	if (!e)
		return 0;
	e->aer.status = BPF_CORE_READ(r, status);
	e->aer.severity = BPF_CORE_READ(r, severity);
	e->aer.tlp_header_valid = BPF_CORE_READ(r, tlp_header_valid);
	bpf_probe_read_kernel(e->aer.tlp_header, sizeof e->aer.tlp_header, &r->tlp_header);
	data_loc_str(ctx, BPF_CORE_READ(r, __data_loc_dev_name), e->aer.dev, sizeof e->aer.dev);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/ras/mc_event")
int kev_mc(struct trace_event_raw_mc_event *r)
{
	struct kevent *e = kev_reserve(KEV_MC);
	if (!e)
		return 0;
	e->mc.error_type = r->error_type;
	e->mc.error_count = r->error_count;
	e->mc.mc_index = r->mc_index;
	e->mc.layer[0] = r->top_layer;
	e->mc.layer[1] = r->middle_layer;
	e->mc.layer[2] = r->lower_layer;
	e->mc.address = r->address;
	e->mc.syndrome = r->syndrome;
	data_loc_str(r, r->__data_loc_msg, e->mc.msg, sizeof e->mc.msg);
	data_loc_str(r, r->__data_loc_label, e->mc.label, sizeof e->mc.label);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/mce/mce_record")
int kev_mce(void *ctx)
{
	struct trace_event_raw_mce_record___lens *r = ctx;
	struct kevent *e = kev_reserve(KEV_MCE);
	if (!e)
		return 0;
	e->mce.status = BPF_CORE_READ(r, status);
	e->mce.addr = BPF_CORE_READ(r, addr);
	e->mce.misc = BPF_CORE_READ(r, misc);
	e->mce.mcgstatus = BPF_CORE_READ(r, mcgstatus);
	e->mce.ipid = BPF_CORE_READ(r, ipid);
	e->mce.synd = BPF_CORE_READ(r, synd);
	e->mce.cpu = BPF_CORE_READ(r, cpu);
	e->mce.socket = BPF_CORE_READ(r, socketid);
	e->mce.bank = BPF_CORE_READ(r, bank);
	e->mce.cpuvendor = BPF_CORE_READ(r, cpuvendor);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
