/* kevent.h: the event record every kernel-event program writes to the
 * ring buffer and agent/kevents.c reads. Shared by both sides: fixed-width
 * types only, no kernel or libc headers (include <linux/types.h> or
 * vmlinux.h first). */
#ifndef LENS_BPF_KEVENT_H
#define LENS_BPF_KEVENT_H

#define KEV_COMM_LEN 16
#define KEV_PATH_LEN 128
#define KEV_ARGS_LEN 256
#define KEV_NAME_LEN 48

enum kev_type {
	KEV_OOM_KILL = 1,
	KEV_EXIT = 2,
	KEV_SIGNAL = 3,
	KEV_EXEC = 4,
	KEV_AER = 5,
	KEV_MC = 6,
	KEV_MCE = 7,
	KEV_GPU_RESET = 8,
	KEV_DEVICE_OPEN = 9,     /* a pod process opened a GPU or HCA node: rescan the pod map */
	KEV_TRACE_OPEN = 10,     /* a pod process opened a profiler trace for writing */
	KEV_TYPE_MAX
};

struct kev_oom {
	__u32 victim_pid;
	__u32 victim_tgid;
	__u64 victim_cgroup;     /* cgroup v2 id of the victim */
	__u64 memcg_ino;         /* the OOM memcg's cgroup inode (0: global OOM) */
	__u64 totalpages;        /* the limit the OOM was against, in pages */
	__u64 rss_pages;         /* the victim's anon + file + shmem pages */
	__s32 constraint;        /* enum oom_constraint: 0 none, 1 cpuset, 2 mempolicy, 3 memcg */
	__s16 oom_score_adj;
	char victim_comm[KEV_COMM_LEN];
};

struct kev_exit {
	__s32 exit_code;         /* task->exit_code: status << 8 | core << 7 | signal */
	__u32 threads_left;
};

struct kev_signal {
	__s32 sig;
	__s32 result;            /* 0 delivered, 1 ignored, 2 already pending, ... */
	__u32 target_pid;
	__u32 target_tgid;
	__u64 target_cgroup;
	char target_comm[KEV_COMM_LEN];
};

struct kev_exec {
	__u32 args_len;          /* bytes of args used (NUL-separated argv) */
	char filename[KEV_PATH_LEN];
	char args[KEV_ARGS_LEN];
};

struct kev_aer {
	__u32 status;            /* AER (un)correctable error status register */
	__u8 severity;           /* 0 non-fatal, 1 fatal, 2 correctable */
	__u8 tlp_header_valid;
	__u32 tlp_header[4];
	char dev[KEV_NAME_LEN];  /* PCI device name, e.g. 0000:81:00.0 */
};

struct kev_mc {
	__u32 error_type;        /* 0 corrected, 1 uncorrected, 2 deferred, 3 fatal, 4 info */
	__u16 error_count;
	__u8 mc_index;
	__s8 layer[3];
	__u64 address;
	__u64 syndrome;
	char msg[KEV_NAME_LEN];
	char label[KEV_NAME_LEN];
};

struct kev_mce {
	__u64 status;
	__u64 addr;
	__u64 misc;
	__u64 mcgstatus;
	__u64 ipid;
	__u64 synd;
	__u32 cpu;
	__u32 socket;
	__u8 bank;
	__u8 cpuvendor;          /* 0 Intel, 2 AMD, ... (X86_VENDOR_*) */
};

enum kev_gpu_probe { KEV_GPU_JOB_TIMEOUT = 0, KEV_GPU_RECOVER = 1 };

struct kev_gpu {
	__u32 probe;              /* enum kev_gpu_probe: the kernel function that fired */
};

struct kev_open {
	char path[KEV_NAME_LEN];
};

struct kev_trace_open {
	__s32 flags;             /* openat's flags */
	char path[KEV_ARGS_LEN]; /* as passed: absolute, or relative to the cwd */
};

struct kevent {
	__u32 type;               /* enum kev_type */
	__u32 cpu;
	__u64 boot_ns;            /* bpf_ktime_get_boot_ns() */
	__u32 pid;                /* the current task (the sender, the allocator, ...) */
	__u32 tgid;
	__u64 cgroup;             /* its cgroup v2 id */
	char comm[KEV_COMM_LEN];
	union {
		struct kev_oom oom;
		struct kev_exit exit;
		struct kev_signal signal;
		struct kev_exec exec;
		struct kev_aer aer;
		struct kev_mc mc;
		struct kev_mce mce;
		struct kev_gpu gpu;
		struct kev_open open;
		struct kev_trace_open trace_open;
	};
};

/* Index of the per-CPU counter of records the ring buffer had no room for. */
#define KEV_LOST_SLOTS 1

#endif
