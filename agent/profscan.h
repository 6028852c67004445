/* profscan: finds the PyTorch profiler traces (*.pt.trace.json and
 * *.pt.trace.json.gz) that pod processes write, and says when each has
 * settled (its size and mtime unchanged for the settle time), once per
 * version of the file.
 *
 * Files are found two ways: a walk of configured directories of every pod
 * process (as the container sees them: through /proc/<pid>/root, "." for
 * its working directory), and paths the kernel-event tracking offers
 * (a pod process opened such a file for writing). Every path is resolved
 * inside the process's root (openat2 RESOLVE_IN_ROOT), so a container's
 * symlink never leads the agent to a file of the host. */
#ifndef LENS_PROFSCAN_H
#define LENS_PROFSCAN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"

struct profscan_config {
	const char *proc_root;  /* "" on a node; the host's root in a container */
	const char *dirs;       /* comma-separated, inside the container; "." = the
				 * working directory, unless it is / */
	int64_t settle_ns;      /* unchanged this long = written */
	int max_depth;          /* directory levels walked below each dir */
};

/* A settled file. */
struct profscan_file {
	int pid;                /* a process of the container that can reach it */
	struct cgroup_pod pod;
	char path[PATH_MAX];    /* inside the container */
	uint64_t dev, ino, size;
	int64_t mtime_ns;
	int root_fd;            /* an offered file's container root, held until it
				 * is reported (its process may be gone); else -1 */
};

struct profscan_stats {
	uint64_t processes;     /* pod processes looked at, last pass */
	uint64_t candidates;    /* files followed now */
	uint64_t walk_limited;  /* walks cut short by the entry limit, since start */
};

struct profscan;

struct profscan *profscan_new(const struct profscan_config *cfg);
void profscan_free(struct profscan *ps);

/* True for a file name Lens treats as a profiler trace. */
bool profscan_is_trace_name(const char *name);

/* A path a pod process opened (absolute, or relative to its working
 * directory): its pod, working directory and root are taken now, while
 * the process is there; the file is looked at in the next passes. Any
 * thread. */
void profscan_offer(struct profscan *ps, int pid, const char *path);

/* Walks, updates what it follows, and calls fn for every file that has
 * settled since the last pass (f is valid during the call only). now_ns is CLOCK_MONOTONIC. Returns the
 * number of files reported, or a negative errno when /proc is unreadable. */
int profscan_pass(struct profscan *ps, int64_t now_ns,
		  void (*fn)(const struct profscan_file *f, void *arg), void *arg);

/* Opens f read-only, inside its process's root. Returns an fd or a
 * negative errno (the process is gone, the file too). */
int profscan_open(const struct profscan *ps, const struct profscan_file *f);

void profscan_get_stats(struct profscan *ps, struct profscan_stats *out);

#endif
