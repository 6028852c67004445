/* kevdecode: one function per record type. */
#include "kevdecode.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clock.h"

static const char *const signals[32] = {
	[1] = "SIGHUP",   [2] = "SIGINT",   [3] = "SIGQUIT",  [4] = "SIGILL",  [5] = "SIGTRAP",
	[6] = "SIGABRT",  [7] = "SIGBUS",   [8] = "SIGFPE",   [9] = "SIGKILL", [10] = "SIGUSR1",
	[11] = "SIGSEGV", [12] = "SIGUSR2", [13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM",
	[16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT", [19] = "SIGSTOP", [20] = "SIGTSTP",
	[21] = "SIGTTIN", [22] = "SIGTTOU", [23] = "SIGURG",  [24] = "SIGXCPU", [25] = "SIGXFSZ",
	[26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO", [30] = "SIGPWR",
	[31] = "SIGSYS"};

const char *kevdecode_signal_name(int sig)
{
	return sig > 0 && sig < 32 && signals[sig] ? signals[sig] : "unknown";
}

int kevdecode_signal_number(const char *name)
{
	for (int i = 1; i < 32; i++)
		if (signals[i] && (strcmp(name, signals[i]) == 0 || strcmp(name, signals[i] + 3) == 0))
			return i;
	return -1;
}

const char *kevdecode_type(const struct kevent *e)
{
	static const char *const names[] = {
		[KEV_OOM_KILL] = "oom_kill", [KEV_EXIT] = "exit",       [KEV_SIGNAL] = "signal",
		[KEV_EXEC] = "exec",         [KEV_AER] = "pcie_aer",    [KEV_MC] = "memory_error",
		[KEV_MCE] = "machine_check", [KEV_DEVICE_OPEN] = "device_open",
		[KEV_TRACE_OPEN] = "trace_open"};
	if (e->type == KEV_GPU_RESET)
		return e->gpu.probe == KEV_GPU_JOB_TIMEOUT ? "gpu_hang" : "gpu_reset";
	return e->type < KEV_TYPE_MAX ? names[e->type] : NULL;
}

uint64_t kevdecode_subject_cgroup(const struct kevent *e)
{
	if (e->type == KEV_OOM_KILL)
		return e->oom.victim_cgroup;
	if (e->type == KEV_SIGNAL)
		return e->signal.target_cgroup;
	return e->cgroup;
}

/* A kernel string (fixed size, maybe without its NUL, any bytes) as a JSON
 * string the database will take: valid UTF-8 as it is, else every byte
 * outside printable ASCII as '?'. */
static json_t *kstrn(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	if (j)
		return j;
	char clean[KEV_ARGS_LEN];
	n = n < sizeof clean ? n : sizeof clean;
	for (size_t i = 0; i < n; i++)
		clean[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	return json_stringn(clean, n);
}

static json_t *kstr(const char *s, size_t len)
{
	return kstrn(s, strnlen(s, len));
}

static void hex(json_t *o, const char *key, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
	json_object_set_new(o, key, json_string(b));
}

static json_t *oom(const struct kev_oom *o)
{
	static const char *const constraints[] = {"none", "cpuset", "memory_policy", "memcg"};
	json_t *d = json_pack("{s:i,s:i,s:o,s:I,s:I,s:s,s:i}", "victim_pid", o->victim_pid,
			      "victim_tgid", o->victim_tgid, "victim_comm",
			      kstr(o->victim_comm, sizeof o->victim_comm), "victim_cgroup_id",
			      (json_int_t)o->victim_cgroup, "memcg_inode", (json_int_t)o->memcg_ino,
			      "constraint",
			      o->constraint >= 0 && o->constraint < 4 ? constraints[o->constraint]
								      : "unknown",
			      "oom_score_adj", o->oom_score_adj);
	/* No limit (PAGE_COUNTER_MAX) or none read: no limit_bytes. */
	if (o->totalpages && o->totalpages < (1ULL << 50))
		json_object_set_new(d, "limit_bytes", json_integer((json_int_t)(o->totalpages * 4096)));
	return d;
}

/* exit_code = status << 8 | core dumped << 7 | terminating signal. */
static json_t *proc_exit(const struct kev_exit *x)
{
	int sig = x->exit_code & 0x7f, status = (x->exit_code >> 8) & 0xff;
	bool core = x->exit_code & 0x80;
	const char *how = !sig ? (status ? "failed" : "exited")
		       : (sig == 11 || sig == 7 || sig == 4 || sig == 8 || sig == 6 || core) ? "crashed"
															: "killed";
	json_t *d = json_pack("{s:i,s:i,s:b,s:s}", "exit_code", x->exit_code, "status", status,
			      "core_dumped", core, "how", how);
	if (sig)
		json_object_set_new(d, "signal", json_string(kevdecode_signal_name(sig)));
	return d;
}

static json_t *signal_details(const struct kevent *e)
{
	static const char *const results[] = {"delivered", "ignored", "already_pending",
					       "overflow_fail", "lose_info"};
	const struct kev_signal *s = &e->signal;
	return json_pack("{s:s,s:i,s:s,s:i,s:i,s:o,s:I,s:i,s:o,s:I}", "signal",
			 kevdecode_signal_name(s->sig), "number", s->sig, "result",
			 s->result >= 0 && s->result < 5 ? results[s->result] : "unknown",
			 "target_pid", s->target_pid, "target_tgid", s->target_tgid, "target_comm",
			 kstr(s->target_comm, sizeof s->target_comm), "target_cgroup_id",
			 (json_int_t)s->target_cgroup, "sender_pid", e->tgid, "sender_comm",
			 kstr(e->comm, sizeof e->comm), "sender_cgroup_id", (json_int_t)e->cgroup);
}

/* argv as the kernel keeps it: NUL-separated, cut at args_len. */
static json_t *exec_details(const struct kev_exec *x)
{
	json_t *argv = json_array();
	size_t len = x->args_len < sizeof x->args ? x->args_len : sizeof x->args;
	for (size_t i = 0; i < len;) {
		size_t n = strnlen(x->args + i, len - i);
		json_array_append_new(argv, kstrn(x->args + i, n));
		i += n + 1;
	}
	return json_pack("{s:o,s:o,s:b}", "filename", kstr(x->filename, sizeof x->filename),
			 "argv", argv, "argv_truncated", x->args_len >= sizeof x->args - 1);
}

/* PCIe AER status register bits (PCIe base spec 7.8.4). */
static json_t *aer_errors(uint32_t status, bool correctable)
{
	static const char *const cor[32] = {
		[0] = "receiver_error",      [6] = "bad_tlp",  [7] = "bad_dllp",
		[8] = "replay_num_rollover", [12] = "replay_timer_timeout",
		[13] = "advisory_non_fatal", [14] = "corrected_internal", [15] = "header_log_overflow"};
	static const char *const unc[32] = {
		[4] = "data_link_protocol",  [5] = "surprise_down",     [12] = "poisoned_tlp",
		[13] = "flow_control_protocol", [14] = "completion_timeout", [15] = "completer_abort",
		[16] = "unexpected_completion", [17] = "receiver_overflow", [18] = "malformed_tlp",
		[19] = "ecrc",               [20] = "unsupported_request", [21] = "acs_violation",
		[22] = "uncorrectable_internal", [23] = "mc_blocked_tlp", [24] = "atomicop_egress_blocked",
		[25] = "tlp_prefix_blocked", [26] = "poisoned_tlp_egress_blocked"};
	json_t *a = json_array();
	for (int b = 0; b < 32; b++) {
		const char *n = (correctable ? cor : unc)[b];
		if (status & (1u << b))
			json_array_append_new(a, json_string(n ? n : "reserved"));
	}
	return a;
}

static json_t *aer(const struct kev_aer *a)
{
	static const char *const sev[] = {"uncorrectable_non_fatal", "uncorrectable_fatal",
					  "correctable"};
	json_t *d = json_pack("{s:o,s:s,s:o}", "device", kstr(a->dev, sizeof a->dev), "severity",
			      a->severity < 3 ? sev[a->severity] : "unknown", "errors",
			      aer_errors(a->status, a->severity == 2));
	hex(d, "status", a->status);
	if (a->tlp_header_valid) {
		char tlp[48];
		snprintf(tlp, sizeof tlp, "%08x %08x %08x %08x", a->tlp_header[0], a->tlp_header[1],
			 a->tlp_header[2], a->tlp_header[3]);
		json_object_set_new(d, "tlp_header", json_string(tlp));
	}
	return d;
}

static json_t *mc(const struct kev_mc *m)
{
	static const char *const types[] = {"corrected", "uncorrected", "deferred", "fatal", "info"};
	json_t *d = json_pack("{s:s,s:i,s:i,s:[i,i,i],s:o,s:o}", "error_type",
			      m->error_type < 5 ? types[m->error_type] : "unknown", "count",
			      m->error_count, "mc_index", m->mc_index, "layers", m->layer[0],
			      m->layer[1], m->layer[2], "message", kstr(m->msg, sizeof m->msg),
			      "label", kstr(m->label, sizeof m->label));
	hex(d, "address", m->address);
	hex(d, "syndrome", m->syndrome);
	return d;
}

/* The architectural MCA error code (low 16 bits of MCi_STATUS) class. */
static const char *mca_class(uint16_t code)
{
	if ((code & 0xef80) == 0x0080)
		return "memory_controller";
	if ((code & 0xeff0) == 0x0010)
		return "tlb";
	if ((code & 0xef00) == 0x0100)
		return "cache";
	if ((code & 0xe800) == 0x0800)
		return "bus_interconnect";
	if ((code & 0xff00) == 0x0400 || code == 0x0005)
		return "internal";
	return code ? "other" : "no_error";
}

static json_t *mce(const struct kev_mce *m)
{
	uint64_t s = m->status;
	json_t *d = json_pack("{s:b,s:b,s:b,s:b,s:b,s:b,s:s,s:i,s:i,s:i,s:s}", "valid",
			      (bool)(s >> 63 & 1), "overflow", (bool)(s >> 62 & 1), "uncorrected",
			      (bool)(s >> 61 & 1), "enabled", (bool)(s >> 60 & 1),
			      "processor_context_corrupt", (bool)(s >> 57 & 1), "address_valid",
			      (bool)(s >> 58 & 1), "class", mca_class((uint16_t)s), "bank", m->bank,
			      "cpu", m->cpu, "socket", m->socket, "vendor",
			      m->cpuvendor == 0 ? "intel" : m->cpuvendor == 2 ? "amd" : "other");
	hex(d, "status", s);
	hex(d, "error_code", s & 0xffff);
	hex(d, "address", m->addr);
	hex(d, "misc", m->misc);
	hex(d, "mcg_status", m->mcgstatus);
	hex(d, "ipid", m->ipid);
	hex(d, "synd", m->synd);
	return d;
}

static json_t *details(const struct kevent *e)
{
	switch (e->type) {
	case KEV_OOM_KILL:
		return oom(&e->oom);
	case KEV_EXIT:
		return proc_exit(&e->exit);
	case KEV_SIGNAL:
		return signal_details(e);
	case KEV_EXEC:
		return exec_details(&e->exec);
	case KEV_AER:
		return aer(&e->aer);
	case KEV_MC:
		return mc(&e->mc);
	case KEV_MCE:
		return mce(&e->mce);
	case KEV_DEVICE_OPEN:
		return json_pack("{s:o}", "path", kstr(e->open.path, sizeof e->open.path));
	case KEV_TRACE_OPEN:
		return json_pack("{s:o,s:i}", "path",
				 kstr(e->trace_open.path, sizeof e->trace_open.path), "flags",
				 e->trace_open.flags);
	case KEV_GPU_RESET:
		return json_pack("{s:s}", "probe", e->gpu.probe == KEV_GPU_JOB_TIMEOUT
							   ? "amdgpu_job_timedout"
							   : "amdgpu_device_gpu_recover");
	default:
		return NULL;
	}
}

json_t *kevdecode(const struct kevent *e, int64_t boot_to_unix_ns)
{
	const char *type = kevdecode_type(e);
	json_t *d = type ? details(e) : NULL;
	if (!d)
		return NULL;
	int64_t unix_ns = (int64_t)e->boot_ns + boot_to_unix_ns;
	char when[40];
	clock_format_rfc3339(unix_ns, 6, when, sizeof when);
	return json_pack("{s:s,s:s,s:I,s:i,s:i,s:o,s:I,s:o}", "type", type, "time", when,
			 "unix_ns", (json_int_t)unix_ns, "pid", e->pid, "tgid", e->tgid, "comm",
			 kstr(e->comm, sizeof e->comm), "cgroup_id", (json_int_t)e->cgroup,
			 "details", d);
}
