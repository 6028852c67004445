/* trace: intake of the events (what each one contributes is kept in a
 * compact record), CPU-to-GPU linking, the GPU timelines, and the report. */
#include "trace.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "hash.h"
#include "jsontok.h"
#include "tracein.h"
#include "tracepriv.h"

/* ---- Names ------------------------------------------------------------ */

static uint64_t hash(const char *s, size_t n)
{
	return hash_bytes(HASH_INIT, s, n);
}

const char *trace_name(const struct trace *t, uint32_t id)
{
	return id < t->nnames ? t->names[id] : "";
}

/* The id of a name, interned on first sight (probing past collisions). */
static uint32_t intern(struct trace *t, const char *s, size_t n)
{
	int64_t id;
	for (uint64_t h = hash(s, n);; h++) {
		if (!i64map_get(&t->name_ids, h, &id))
			break;
		if (strlen(t->names[id]) == n && memcmp(t->names[id], s, n) == 0)
			return (uint32_t)id;
	}
	if (t->nnames == t->capnames) {
		t->capnames = t->capnames ? 2 * t->capnames : 1024;
		t->names = xrealloc(t->names, t->capnames * sizeof *t->names);
	}
	char *copy = xmalloc(n + 1);
	memcpy(copy, s, n);
	copy[n] = '\0';
	t->names[t->nnames] = copy;
	uint64_t h = hash(s, n);
	while (i64map_get(&t->name_ids, h, &id))
		h++;
	i64map_put(&t->name_ids, h, t->nnames);
	return t->nnames++;
}

/* ---- One event -------------------------------------------------------- */

/* What the reader needs of one event's text. */
struct ev {
	char ph;
	enum tcat cat;
	char *name;
	size_t name_len;
	int64_t pid, tid, id;
	double ts, dur;
	bool has_ts, has_dur, has_id, bad;
	bool has_corr, has_ext, has_stream;
	int64_t corr, ext, stream;
	struct coll_meta coll;
	bool has_coll;
};

static enum tcat category(const char *s)
{
	static const struct {
		const char *name;
		enum tcat cat;
	} cats[] = {{"kernel", TC_KERNEL},     {"gpu_memcpy", TC_MEMCPY},
		    {"gpu_memset", TC_MEMSET}, {"cuda_runtime", TC_RUNTIME},
		    {"cuda_driver", TC_DRIVER}, {"cpu_op", TC_CPU_OP},
		    {"ac2g", TC_AC2G},         {"async_cpu_to_gpu", TC_OLDFLOW}};
	for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++)
		if (strcmp(s, cats[i].name) == 0)
			return cats[i].cat;
	return TC_OTHER;
}

/* pid and tid: integers, or strings (named tracks) hashed to one. */
static int64_t ident(const struct jval *v)
{
	if (v->type == JT_NUMBER && v->integral)
		return v->i;
	if (v->type == JT_STRING)
		return (int64_t)(hash(v->s, v->len) | 1ull << 62);
	return 0;
}

static bool int_of(const struct jval *v, int64_t *out)
{
	if (v->type == JT_NUMBER && v->integral) {
		*out = v->i;
		return true;
	}
	return false;
}

/* A metadata value kept as text: a string as is, a list as its JSON. */
static char *text_of(const struct jval *v)
{
	if (v->type == JT_STRING || v->type == JT_ARRAY || v->type == JT_NUMBER) {
		char *s = xmalloc(v->len + 1);
		memcpy(s, v->s, v->len);
		s[v->len] = '\0';
		return s;
	}
	return NULL;
}

static void coll_arg(struct ev *e, const char *k, const struct jval *v)
{
	static const char *const strs[] = {"Collective name", "Process Group Name",
					   "Process Group Ranks", "dtype", "In split size",
					   "Out split size"};
	char **slots[] = {&e->coll.name, &e->coll.pg_name, &e->coll.pg_ranks, &e->coll.dtype,
			  &e->coll.in_split, &e->coll.out_split};
	for (size_t i = 0; i < 6; i++)
		if (strcmp(k, strs[i]) == 0 && !*slots[i] && (*slots[i] = text_of(v)))
			e->has_coll = true;
	if (strcmp(k, "Group size") == 0)
		int_of(v, &e->coll.group_size);
	else if (strcmp(k, "In msg nelems") == 0)
		int_of(v, &e->coll.in_nelems);
	else if (strcmp(k, "Out msg nelems") == 0)
		int_of(v, &e->coll.out_nelems);
}

static void args(struct ev *e, const struct jval *obj)
{
	struct jcur c = jcur_sub(obj);
	char *k;
	size_t kl;
	struct jval v;
	if (jcur_enter(&c))
		return;
	while (jcur_key(&c, &k, &kl) == 1 && jcur_value(&c, &v) == 0) {
		if (strcmp(k, "correlation") == 0)
			e->has_corr = int_of(&v, &e->corr);
		else if (strcmp(k, "External id") == 0)
			e->has_ext = int_of(&v, &e->ext);
		else if (strcmp(k, "stream") == 0)
			e->has_stream = int_of(&v, &e->stream);
		else if (e->cat == TC_KERNEL)
			coll_arg(e, k, &v);
	}
}

/* The top-level members an event has, by a switch on the key rather than
 * a string comparison with each. */
enum member { M_OTHER, M_PH, M_CAT, M_NAME, M_PID, M_TID, M_TS, M_DUR, M_ID, M_ARGS };

static enum member member(const char *k, size_t n)
{
	switch (n) {
	case 2:
		return k[0] == 'p' && k[1] == 'h' ? M_PH : k[0] == 't' && k[1] == 's' ? M_TS
						 : k[0] == 'i' && k[1] == 'd' ? M_ID : M_OTHER;
	case 3:
		return !memcmp(k, "cat", 3) ? M_CAT : !memcmp(k, "pid", 3) ? M_PID
		       : !memcmp(k, "tid", 3) ? M_TID : !memcmp(k, "dur", 3) ? M_DUR : M_OTHER;
	case 4:
		return !memcmp(k, "name", 4) ? M_NAME : !memcmp(k, "args", 4) ? M_ARGS : M_OTHER;
	default:
		return M_OTHER;
	}
}

static void set_member(struct ev *e, enum member m, const struct jval *v, struct jval *argv)
{
	switch (m) {
	case M_PH:
		e->ph = v->type == JT_STRING ? v->s[0] : 0;
		break;
	case M_CAT:
		e->cat = v->type == JT_STRING ? category(v->s) : TC_OTHER;
		break;
	case M_NAME:
		if (v->type == JT_STRING)
			e->name = v->s, e->name_len = v->len;
		break;
	case M_PID:
		e->pid = ident(v);
		break;
	case M_TID:
		e->tid = ident(v);
		break;
	case M_TS:
		e->has_ts = v->type == JT_NUMBER;
		e->bad |= !e->has_ts;
		e->ts = v->num;
		break;
	case M_DUR:
		e->has_dur = v->type == JT_NUMBER && v->num >= 0;
		e->dur = v->num;
		break;
	case M_ID:
		e->has_id = v->type == JT_NUMBER || v->type == JT_STRING;
		e->id = ident(v);
		break;
	case M_ARGS:
		if (v->type == JT_OBJECT)
			*argv = *v;
		break;
	default:
		break;
	}
}

/* The members of one event that matter; false when it is not an object.
 * Arguments are read only for the events whose arguments are used. */
static bool parse(char *text, size_t len, struct ev *e)
{
	struct jcur c = {text, text + len};
	char *k;
	size_t kl;
	struct jval v, argv = {0};
	memset(e, 0, sizeof *e);
	e->coll = (struct coll_meta){.group_size = -1, .in_nelems = -1, .out_nelems = -1};
	if (jcur_enter(&c))
		return false;
	int rc;
	while ((rc = jcur_key(&c, &k, &kl)) == 1 && jcur_value(&c, &v) == 0)
		set_member(e, member(k, kl), &v, &argv);
	if (argv.type == JT_OBJECT && e->cat != TC_CPU_OP && e->cat != TC_OTHER)
		args(e, &argv);
	return rc == 0;
}

/* ---- Keeping what matters ------------------------------------------------ */

#define GROW(arr, n, cap)                                                          \
	do {                                                                       \
		if ((n) == (cap)) {                                                \
			(cap) = (cap) ? 2 * (cap) : 1024;                          \
			(arr) = xrealloc((arr), (size_t)(cap) * sizeof *(arr));    \
		}                                                                  \
	} while (0)

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

bool trace_is_comm(const char *name)
{
	return strcasestr(name, "nccl") || strcasestr(name, "rccl") ||
	       strcasestr(name, "cross_device_reduce");
}

/* rest is one of the alternatives, then optionally ".kd", then the end. */
static bool ends_kd(const char *rest)
{
	return !*rest || strcmp(rest, ".kd") == 0;
}

/* ROCm's legacy copy kernels (ANALYSIS.md §4) count as memcpy. */
static bool rocm_copy(const char *n)
{
	static const char *const copies[] = {"MEMORY_COPY_HOST_TO_DEVICE", "MEMORY_COPY_DEVICE_TO_HOST",
					     "MEMORY_COPY_DEVICE_TO_DEVICE"};
	for (size_t i = 0; i < 3; i++)
		if (has_prefix(n, copies[i]) && ends_kd(n + strlen(copies[i])))
			return true;
	if (!has_prefix(n, "__amd_rocclr_copyBuffer"))
		return false;
	n += strlen("__amd_rocclr_copyBuffer");
	if (has_prefix(n, "Rect"))
		n += 4;
	if (has_prefix(n, "Aligned"))
		n += 7;
	return ends_kd(n);
}

static bool rocm_fill(const char *n)
{
	if (!has_prefix(n, "__amd_rocclr_fillBuffer"))
		return false;
	n += strlen("__amd_rocclr_fillBuffer");
	if (has_prefix(n, "Aligned"))
		n += 7;
	return ends_kd(n);
}

static enum gclass classify(enum tcat cat, const char *name)
{
	if (cat == TC_MEMCPY || (cat == TC_KERNEL && rocm_copy(name)))
		return GC_MEMCPY;
	if (cat == TC_KERNEL && rocm_fill(name))
		return GC_COMP;
	return trace_is_comm(name) ? GC_COMM : GC_COMP;
}

static void keep_gpu(struct trace *t, struct ev *e, uint32_t uid)
{
	GROW(t->gpu, t->ngpu, t->capgpu);
	struct gpu_ev *g = &t->gpu[t->ngpu++];
	uint32_t name = intern(t, e->name ? e->name : "", e->name_len);
	*g = (struct gpu_ev){e->ts, e->ts + e->dur, e->pid, e->tid, e->stream, e->corr, e->ext,
			     name, uid, -1, -1, -1, (uint8_t)e->cat, 0, e->has_corr, e->has_ext,
			     e->has_stream, e->cat == TC_MEMSET};
	g->cls = (uint8_t)classify(e->cat, trace_name(t, name));
	if (g->cls == GC_COMM && e->cat == TC_KERNEL) {
		GROW(t->colls, t->ncolls, t->capcolls);
		t->colls[t->ncolls] = e->coll;
		e->has_coll = false; /* its strings are the trace's now */
		g->coll = (int32_t)t->ncolls++;
	}
}

static void keep_host(struct trace *t, const struct ev *e, uint32_t uid)
{
	GROW(t->host, t->nhost, t->caphost);
	uint32_t name = intern(t, e->name ? e->name : "", e->name_len);
	t->host[t->nhost++] = (struct host_ev){e->ts,  e->ts + e->dur, e->pid,  e->tid,
					       e->corr, e->ext, name, uid, -1, -1, (uint8_t)e->cat,
					       e->has_corr, e->has_ext, false};
	/* The linking key is decided by the first launch (ANALYSIS.md §3.1). */
	if (!t->key_decided && e->cat != TC_CPU_OP && strcasestr(trace_name(t, name), "launch")) {
		t->key_decided = true;
		t->key_corr = e->has_corr;
	}
}

static void keep_flow(struct trace *t, const struct ev *e)
{
	if (e->ph == 's') {
		i64map_put(&t->flow_s, (uint64_t)e->id, 1);
	} else if (e->ph == 'f') {
		if (t->nflowf == t->capflowf) {
			t->capflowf = t->capflowf ? 2 * t->capflowf : 1024;
			t->fpid = xrealloc(t->fpid, t->capflowf * sizeof *t->fpid);
			t->ftid = xrealloc(t->ftid, t->capflowf * sizeof *t->ftid);
		}
		t->fpid[t->nflowf] = e->pid;
		t->ftid[t->nflowf] = e->tid;
		i64map_put(&t->flow_f, (uint64_t)e->id, t->nflowf++);
	}
}

static void coll_free(struct coll_meta *m)
{
	free(m->name);
	free(m->pg_name);
	free(m->pg_ranks);
	free(m->dtype);
	free(m->in_split);
	free(m->out_split);
}

static int on_event(char *text, size_t len, void *arg)
{
	struct trace *t = arg;
	struct ev e;
	if (t->ngpu + (uint64_t)t->nhost >= t->max_kept) {
		t->over_budget = true;
		return 1; /* stop reading: the memory bound */
	}
	uint32_t uid = (uint32_t)t->events++;
	if (!parse(text, len, &e) || e.bad) {
		t->bad_events++;
	} else if (e.cat == TC_KERNEL || e.cat == TC_MEMCPY || e.cat == TC_MEMSET) {
		if (e.has_ts && e.has_dur)
			keep_gpu(t, &e, uid);
		else
			t->bad_events++;
	} else if (e.cat == TC_CPU_OP || e.cat == TC_RUNTIME || e.cat == TC_DRIVER) {
		if (e.has_ts && e.has_dur && e.ph == 'X')
			keep_host(t, &e, uid);
	} else if (e.cat == TC_AC2G && e.has_id) {
		t->ac2g++;
		keep_flow(t, &e);
	} else if (e.cat == TC_OLDFLOW) {
		t->oldflows++;
	}
	if (e.has_coll)
		coll_free(&e.coll);
	return 0;
}

static void on_meta(const char *key, char *value, size_t len, void *arg)
{
	struct trace *t = arg;
	struct jcur c = {value, value + len};
	char *k;
	size_t kl;
	struct jval v;
	if (strcmp(key, "distributedInfo") != 0 || jcur_enter(&c))
		return;
	while (jcur_key(&c, &k, &kl) == 1 && jcur_value(&c, &v) == 0)
		if (strcmp(k, "rank") == 0)
			int_of(&v, &t->rank);
}

/* ---- Linking (ANALYSIS.md §3.1) ------------------------------------------ */

bool trace_key(const struct trace *t, bool has_corr, int64_t corr, bool has_ext, int64_t ext,
	       int64_t *out)
{
	*out = t->key_corr ? corr : ext;
	return t->key_corr ? has_corr : has_ext;
}

/* GPU events by linking key: heads of chains in file order. */
static void index_gpu(struct trace *t, struct i64map *heads)
{
	struct i64map tails = {0};
	for (uint32_t i = 0; i < t->ngpu; i++) {
		struct gpu_ev *g = &t->gpu[i];
		int64_t k, tail;
		if (!trace_key(t, g->has_corr, g->corr, g->has_ext, g->ext, &k))
			continue;
		if (i64map_get(&tails, (uint64_t)k, &tail))
			t->gpu[tail].next = (int32_t)i;
		else
			i64map_put(heads, (uint64_t)k, i);
		i64map_put(&tails, (uint64_t)k, i);
	}
	i64map_free(&tails);
}

static void link(struct trace *t, uint32_t g, uint32_t r)
{
	t->linked += t->gpu[g].parent < 0;
	t->gpu[g].parent = (int32_t)r;
}

/* Through ac2g flows, as TraceLens: a launch gets the GPU event its flow
 * ends at; a graph launch every GPU event with its key. */
static void link_flows(struct trace *t, const struct i64map *heads)
{
	for (uint32_t r = 0; r < t->nhost; r++) {
		const struct host_ev *h = &t->host[r];
		int64_t x, head, s, f;
		if (h->cat == TC_CPU_OP ||
		    !trace_key(t, h->has_corr, h->corr, h->has_ext, h->ext, &x) ||
		    !i64map_get(heads, (uint64_t)x, &head))
			continue;
		const char *n = trace_name(t, h->name);
		bool graph = strcmp(n, "cudaGraphLaunch") == 0 || strcmp(n, "hipGraphLaunch") == 0;
		if (graph) {
			for (int64_t g = head; g >= 0; g = t->gpu[g].next)
				link(t, (uint32_t)g, r);
			continue;
		}
		if (!i64map_get(&t->flow_s, (uint64_t)x, &s) || !i64map_get(&t->flow_f, (uint64_t)x, &f))
			continue;
		int64_t last = -1;
		for (int64_t g = head; g >= 0; g = t->gpu[g].next)
			if (t->gpu[g].pid == t->fpid[f] && t->gpu[g].tid == t->ftid[f])
				last = g;
		if (last >= 0)
			link(t, (uint32_t)last, r);
	}
}

/* Without ac2g flows, as HTA: a GPU event links to the launch with its
 * correlation id. */
static void link_correlation(struct trace *t)
{
	struct i64map launches = {0};
	int64_t r;
	for (uint32_t i = 0; i < t->nhost; i++)
		if (t->host[i].cat != TC_CPU_OP && t->host[i].has_corr)
			i64map_put(&launches, (uint64_t)t->host[i].corr, i);
	for (uint32_t g = 0; g < t->ngpu; g++)
		if (t->gpu[g].has_corr && i64map_get(&launches, (uint64_t)t->gpu[g].corr, &r))
			link(t, g, (uint32_t)r);
	i64map_free(&launches);
}

static void link_all(struct trace *t)
{
	if (t->ac2g) {
		struct i64map heads = {0};
		index_gpu(t, &heads);
		link_flows(t, &heads);
		i64map_free(&heads);
		t->link_method = "ac2g";
		t->link_note = "GPU events linked to their CPU launch by ac2g flows, as TraceLens";
		return;
	}
	link_correlation(t);
	t->link_method = "correlation";
	t->link_note = t->oldflows ? "no ac2g flows (older Kineto names them async_cpu_to_gpu): "
				     "GPU events linked by correlation id, as HTA; TraceLens "
				     "fails on this trace"
				   : "no flow events: GPU events linked by correlation id, as HTA; "
				     "TraceLens fails on this trace";
}

/* ---- GPU timeline (ANALYSIS.md §4) ------------------------------------------ */

/* Which GPU events a timeline covers. */
struct selection {
	bool linked_only;
	bool by_pid, by_stream;
	int64_t pid, stream;
};

static bool selected(const struct gpu_ev *g, const struct selection *s)
{
	return (!s->linked_only || g->parent >= 0) && (!s->by_pid || g->pid == s->pid) &&
	       (!s->by_stream || (g->has_stream ? g->stream : g->tid) == s->stream);
}

static json_t *row(const char *type, double us, double total)
{
	return json_pack("{s:s,s:f,s:f}", "type", type, "time_ms", us / 1000,
			 "percent", total > 0 ? us / total * 100 : 0.0);
}

/* The rows of one timeline, TraceLens's order, memset last; NULL when it
 * covers no GPU event. */
static json_t *timeline(const struct trace *t, const struct selection *sel)
{
	struct ivals all = {0}, comp = {0}, comm = {0}, copy = {0}, mset = {0};
	struct ivals *by_class[] = {&comp, &comm, &copy};
	for (uint32_t i = 0; i < t->ngpu; i++) {
		const struct gpu_ev *g = &t->gpu[i];
		if (!selected(g, sel))
			continue;
		ivals_add(&all, g->ts, g->end);
		ivals_add(by_class[g->cls], g->ts, g->end);
		if (g->memset)
			ivals_add(&mset, g->ts, g->end);
	}
	json_t *rows = NULL;
	if (all.n) {
		struct ivals *sets[] = {&all, &comp, &comm, &copy, &mset};
		for (size_t i = 0; i < 5; i++)
			ivals_merge(sets[i]);
		struct ivals comm_x = ivals_minus(&comm, &comp), copy_c = ivals_minus(&copy, &comp);
		struct ivals copy_x = ivals_minus(&copy_c, &comm);
		double total = all.v[all.n - 1].e - all.v[0].s, busy = ivals_length(&all);
		rows = json_pack("[o,o,o,o,o,o,o,o,o]",
				 row("computation_time", ivals_length(&comp), total),
				 row("exposed_comm_time", ivals_length(&comm_x), total),
				 row("exposed_memcpy_time", ivals_length(&copy_x), total),
				 row("busy_time", busy, total), row("idle_time", total - busy, total),
				 row("total_time", total, total),
				 row("total_comm_time", ivals_length(&comm), total),
				 row("total_memcpy_time", ivals_length(&copy), total),
				 row("total_memset_time", ivals_length(&mset), total));
		ivals_free(&comm_x);
		ivals_free(&copy_c);
		ivals_free(&copy_x);
	}
	ivals_free(&all);
	ivals_free(&comp);
	ivals_free(&comm);
	ivals_free(&copy);
	ivals_free(&mset);
	return rows;
}

/* One timeline per device (pid) and per stream of each, over every GPU
 * event: where HTA-style idle time is found. */
static json_t *breakdown(const struct trace *t, bool streams)
{
	json_t *out = json_array();
	struct i64map seen = {0};
	int64_t dummy;
	for (uint32_t i = 0; i < t->ngpu; i++) {
		const struct gpu_ev *g = &t->gpu[i];
		int64_t stream = g->has_stream ? g->stream : g->tid;
		uint64_t k = streams ? (uint64_t)g->pid * 1000003u ^ (uint64_t)stream : (uint64_t)g->pid;
		if (i64map_get(&seen, k, &dummy))
			continue;
		i64map_put(&seen, k, 1);
		struct selection sel = {false, true, streams, g->pid, stream};
		json_t *o = json_pack("{s:I,s:o}", "device", (json_int_t)g->pid, "gpu_timeline",
				      timeline(t, &sel));
		if (streams)
			json_object_set_new(o, "stream", json_integer(stream));
		json_array_append_new(out, o);
	}
	i64map_free(&seen);
	return out;
}

/* ---- The report ------------------------------------------------------------ */

static json_t *report(struct trace *t, const struct tracein_stats *st)
{
	struct selection linked = {.linked_only = true}, every = {0};
	json_t *tl = timeline(t, &linked), *all = timeline(t, &every);
	bool partial = st->partial || t->over_budget;
	json_t *o = json_pack(
		"{s:{s:I,s:I,s:b,s:I,s:I},s:b,s:{s:s,s:s,s:s,s:I,s:I,s:I},s:o,s:o,s:o,s:o}",
		"file", "bytes", (json_int_t)st->bytes_in, "json_bytes", (json_int_t)st->bytes_json,
		"gzip", st->gzip, "events", (json_int_t)t->events, "bad_events",
		(json_int_t)t->bad_events, "partial", partial, "linking", "method",
		t->link_method, "key", t->key_corr ? "correlation" : "External id", "note",
		t->link_note, "gpu_events", (json_int_t)t->ngpu, "linked", (json_int_t)t->linked,
		"unlinked", (json_int_t)(t->ngpu - t->linked), "gpu_timeline",
		tl ? tl : json_array(), "gpu_timeline_all_events", all ? all : json_array(), "devices",
		breakdown(t, false), "streams", breakdown(t, true));
	if (t->over_budget)
		json_object_set_new(o, "error",
				    json_string("the trace has more events than the analysis keeps (its "
						"memory bound): the report covers the events read before"));
	else if (st->partial)
		json_object_set_new(o, "error", json_string(st->error));
	if (t->rank >= 0)
		json_object_set_new(o, "rank", json_integer(t->rank));
	if (!t->ngpu)
		json_object_set_new(o, "note", json_string("no GPU events in the trace"));
	traceops_report(t, o);
	tracecoll_report(t, o);
	return o;
}

static void trace_free(struct trace *t)
{
	for (uint32_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	for (uint32_t i = 0; i < t->ncolls; i++)
		coll_free(&t->colls[i]);
	free(t->names);
	free(t->gpu);
	free(t->host);
	free(t->colls);
	free(t->fpid);
	free(t->ftid);
	i64map_free(&t->name_ids);
	i64map_free(&t->flow_s);
	i64map_free(&t->flow_f);
}

static int finish(struct trace *t, int rc, const struct tracein_stats *st, json_t **out,
		  char *err, size_t errlen)
{
	if (rc < 0) {
		snprintf(err, errlen, "%s", st->error[0] ? st->error : "not a trace");
	} else {
		link_all(t); /* no launch seen: External id, as TraceLens */
		*out = report(t, st);
	}
	trace_free(t);
	return rc;
}

int trace_analyze(const char *path, uint64_t max_events, json_t **out, char *err, size_t errlen)
{
	struct trace t = {.rank = -1, .max_kept = max_events ? max_events : TRACE_MAX_EVENTS};
	struct tracein_stats st;
	int rc = tracein_read(path, on_event, on_meta, &t, &st);
	return finish(&t, rc, &st, out, err, errlen);
}

int trace_analyze_mem(const void *data, size_t len, uint64_t max_events, json_t **out, char *err,
		      size_t errlen)
{
	struct trace t = {.rank = -1, .max_kept = max_events ? max_events : TRACE_MAX_EVENTS};
	struct tracein_stats st;
	int rc = tracein_read_mem(data, len, on_event, on_meta, &t, &st);
	return finish(&t, rc, &st, out, err, errlen);
}
