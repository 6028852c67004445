/* kevdecode: a kernel event record (bpf/kevent.h) as the JSON Lens
 * stores and prints: type name, wall time, the task, and type-specific
 * details with the raw registers decoded (AER status bits, MCE status
 * flags and error class, exit status and signal, argv). Pure: tested on
 * recorded raw records. */
#ifndef LENS_KEVDECODE_H
#define LENS_KEVDECODE_H

#include <jansson.h>
#include <linux/types.h>
#include <stdint.h>

#include "kevent.h"

/* The event type's name: oom_kill, exit, signal, exec, pcie_aer,
 * memory_error, machine_check, gpu_hang, gpu_reset, device_open; NULL for an unknown
 * record. */
const char *kevdecode_type(const struct kevent *e);

/* The cgroup id the event is about: the OOM victim's, the signal target's,
 * else the task's own. */
uint64_t kevdecode_subject_cgroup(const struct kevent *e);

/* {"type", "time", "unix_ns", "pid", "tgid", "comm", "cgroup_id",
 * "details": {...}}; boot_to_unix_ns converts the record's boot-clock
 * time. NULL for an unknown record type. */
json_t *kevdecode(const struct kevent *e, int64_t boot_to_unix_ns);

/* Signal numbers and names ("SIGKILL"). */
const char *kevdecode_signal_name(int sig);
int kevdecode_signal_number(const char *name);

#endif
