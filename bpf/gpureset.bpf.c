// SPDX-License-Identifier: GPL-2.0
/* gpureset.bpf.c: amdgpu's recovery path: a job timeout (a hang) and the
 * GPU reset that follows. Kprobes, so the agent attaches each one only
 * when amdgpu is loaded and the symbol is in kallsyms. */
#include "kevents_common.bpf.h"

static __always_inline int gpu_event(__u32 probe)
{
	struct kevent *e = kev_reserve(KEV_GPU_RESET);
	if (!e)
		return 0;
	e->gpu.probe = probe;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("kprobe/amdgpu_job_timedout")
int BPF_KPROBE(kev_gpu_timeout)
{
	return gpu_event(KEV_GPU_JOB_TIMEOUT);
}

SEC("kprobe/amdgpu_device_gpu_recover")
int BPF_KPROBE(kev_gpu_recover)
{
	return gpu_event(KEV_GPU_RECOVER);
}
