/* devices: sampling thread, health, snapshot, Prometheus families and the
 * device payloads. Only the sampling thread touches the backend; the
 * snapshot it publishes is read under the lock by scrapes. */
#include "devices.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "gpu.h"
#include "ib.h"
#include "log.h"
#include "ticker.h"

#define MAX_GPUS 64
#define MAX_HCAS 32
#define MAX_PORTS (MAX_HCAS * IB_MAX_PORTS)
#define RELIST_EVERY 12              /* cycles; a failed sample relists at once */
#define HOLD_NS (300 * NS_PER_SEC)   /* a "rising" condition stays up this long */

enum { GPU_H_ECC_UE_RISING = 1, GPU_H_TEMP_HIGH = 2 };
enum { PORT_H_DOWN = 1, PORT_H_LINK_DOWNED_RISING = 2 };
static const char *const gpu_health_names[] = {"ecc_uncorrectable_rising", "temperature_high"};
static const char *const port_health_names[] = {"port_down", "link_downed_rising"};

struct gpu_state {
	struct gpu_info info;
	struct gpu_sample s;
	uint64_t events[GPU_EVENT_TYPES]; /* driver events since the agent started */
	bool sampled;
	double ue_total;
	int64_t ue_rise_ns;
	unsigned health;
};

struct port_state {
	char hca[32];
	int port;
	uint64_t link_downed;
	bool have_link_downed;
	int64_t downed_rise_ns;
	unsigned health;
};

#define MAX_EVENTS 64

struct snapshot {
	struct gpu_state gpus[MAX_GPUS];
	int ngpus;
	struct gpu_event events[MAX_EVENTS]; /* received in the last cycle */
	int nevents;
	struct ib_hca hcas[MAX_HCAS];
	int nhcas;
	struct port_state ports[MAX_PORTS];
	int nports;
};

/* Buffers of one DeviceSamples message, reused every cycle. */
struct sample_scratch {
	Lens__V1__GpuSample gs[MAX_GPUS], *gsp[MAX_GPUS];
	uint32_t metric[MAX_GPUS][GPU_METRIC_COUNT];
	double value[MAX_GPUS][GPU_METRIC_COUNT];
	char *ghealth[MAX_GPUS][2];
	Lens__V1__IbPortSample ps[MAX_PORTS], *psp[MAX_PORTS];
	uint32_t counter[MAX_PORTS][IB_COUNTER_COUNT];
	uint64_t cvalue[MAX_PORTS][IB_COUNTER_COUNT];
	char *phealth[MAX_PORTS][2];
	Lens__V1__GpuEvent ev[MAX_EVENTS], *evp[MAX_EVENTS];
};

struct devices {
	struct devices_config cfg;
	struct sample_scratch *scratch;
	char *node;
	const struct gpu_backend_ops *ops;
	struct gpu_backend *backend;
	struct ib_reader *ib;
	struct emitter *em;
	struct ticker *ticker;
	pthread_mutex_t lock; /* guards pub */
	bool events_on; /* the backend delivers driver events */
	struct snapshot work, pub; /* work: the sampling thread's own */
	struct buf inventory_sig;
	unsigned cycles;
	bool relist;
	struct prom_metric *m_cycles, *m_errors, *m_seconds, *m_gpus, *m_hcas;
	devices_owner_fn owner_fn; /* set once, before scrapes matter */
	void *owner_arg;
	/* Base labels of each GPU and port, built once per scrape. */
	struct buf gpu_base[MAX_GPUS], port_base[MAX_PORTS];
};

/* Health ---------------------------------------------------------------------- */

static const struct gpu_state *find_gpu(const struct snapshot *s, const char *bdf)
{
	for (int i = 0; i < s->ngpus; i++)
		if (strcmp(s->gpus[i].info.bdf, bdf) == 0)
			return &s->gpus[i];
	return NULL;
}

static void gpu_health(struct devices *d, struct gpu_state *g, const struct gpu_state *prev,
		       int64_t now)
{
	double ue = 0, temp = -1;
	for (int b = 0; b < GPU_ECC_BLOCKS; b++)
		if (gpu_sample_has(&g->s, GPU_ECC_UE(b)))
			ue += g->s.v[GPU_ECC_UE(b)];
	g->ue_total = ue;
	g->ue_rise_ns = prev ? prev->ue_rise_ns : 0;
	memcpy(g->events, prev ? prev->events : (uint64_t[GPU_EVENT_TYPES]){0}, sizeof g->events);
	if (prev && prev->sampled && ue > prev->ue_total)
		g->ue_rise_ns = now;
	for (int m = GPU_TEMP_EDGE_C; m <= GPU_TEMP_MEM_C; m++)
		if (gpu_sample_has(&g->s, m) && g->s.v[m] > temp)
			temp = g->s.v[m];
	g->health = 0;
	if (g->ue_rise_ns && now - g->ue_rise_ns < HOLD_NS)
		g->health |= GPU_H_ECC_UE_RISING;
	if (temp >= d->cfg.temp_limit_c)
		g->health |= GPU_H_TEMP_HIGH;
}

static const struct port_state *find_port(const struct snapshot *s, const char *hca, int port)
{
	for (int i = 0; i < s->nports; i++)
		if (s->ports[i].port == port && strcmp(s->ports[i].hca, hca) == 0)
			return &s->ports[i];
	return NULL;
}

static void port_health(struct port_state *ps, const struct ib_port *p,
			const struct port_state *prev, int64_t now)
{
	ps->have_link_downed = p->present & (1ULL << IB_LINK_DOWNED);
	ps->link_downed = p->counters[IB_LINK_DOWNED];
	ps->downed_rise_ns = prev ? prev->downed_rise_ns : 0;
	if (prev && prev->have_link_downed && ps->have_link_downed &&
	    ps->link_downed > prev->link_downed)
		ps->downed_rise_ns = now;
	ps->health = 0;
	if (p->state != 4)
		ps->health |= PORT_H_DOWN;
	if (ps->downed_rise_ns && now - ps->downed_rise_ns < HOLD_NS)
		ps->health |= PORT_H_LINK_DOWNED_RISING;
}

/* Sampling -------------------------------------------------------------------- */

static void sample_gpus(struct devices *d, struct snapshot *w, const struct snapshot *prev,
			int64_t now)
{
	if (d->relist || d->cycles % RELIST_EVERY == 0) {
		struct gpu_info info[MAX_GPUS];
		int n = d->ops->list(d->backend, info, MAX_GPUS);
		for (int i = 0; i < n; i++)
			w->gpus[i].info = info[i];
		w->ngpus = n;
		d->relist = false;
	}
	for (int i = 0; i < w->ngpus; i++) {
		struct gpu_state *g = &w->gpus[i];
		g->sampled = d->ops->sample(d->backend, &g->info, &g->s) == 0;
		if (!g->sampled) {
			prom_inc(d->m_errors);
			d->relist = true; /* a GPU went away or moved */
		}
		gpu_health(d, g, find_gpu(prev, g->info.bdf), now);
	}
}

static void sample_hcas(struct devices *d, struct snapshot *w, const struct snapshot *prev,
			int64_t now)
{
	w->nhcas = ib_reader_scan(d->ib, w->hcas, MAX_HCAS);
	w->nports = 0;
	for (int h = 0; h < w->nhcas; h++) {
		for (int k = 0; k < w->hcas[h].nports && w->nports < MAX_PORTS; k++) {
			const struct ib_port *p = &w->hcas[h].ports[k];
			struct port_state *ps = &w->ports[w->nports++];
			memcpy(ps->hca, w->hcas[h].name, sizeof ps->hca); /* same size */
			ps->port = p->number;
			port_health(ps, p, find_port(prev, ps->hca, p->number), now);
		}
	}
}

/* Driver events since the last cycle: logged, counted per GPU, sent. */
static void poll_events(struct devices *d, struct snapshot *w)
{
	w->nevents = d->events_on ? d->ops->events_poll(d->backend, w->events, MAX_EVENTS) : 0;
	for (int i = 0; i < w->nevents; i++) {
		const struct gpu_event *ev = &w->events[i];
		log_warn("GPU driver event", "bdf=%s event=%s message=%s", ev->bdf,
			 gpu_event_name(ev->type), log_q(ev->message));
		for (int g = 0; g < w->ngpus; g++)
			if (strcmp(w->gpus[g].info.bdf, ev->bdf) == 0)
				w->gpus[g].events[ev->type]++;
	}
}

/* The inventory as text, to notice changes. */
static void inventory_signature(const struct devices *d, const struct snapshot *w, struct buf *b)
{
	buf_reset(b);
	buf_printf(b, "%s|", d->ops->name);
	for (int i = 0; i < w->ngpus; i++) {
		const struct gpu_info *g = &w->gpus[i].info;
		buf_printf(b, "%d %s %s %s %s %llu %d|", g->index, g->bdf, g->unique_id, g->serial,
			   g->vbios, (unsigned long long)g->vram_total_bytes, g->has_hwmon);
	}
	for (int h = 0; h < w->nhcas; h++) {
		buf_printf(b, "%s %s %s", w->hcas[h].name, w->hcas[h].bdf, w->hcas[h].fw_ver);
		for (int k = 0; k < w->hcas[h].nports; k++)
			buf_printf(b, " %d:%s:%s", w->hcas[h].ports[k].number,
				   w->hcas[h].ports[k].link_layer, w->hcas[h].ports[k].netdev);
		buf_putc(b, '|');
	}
}

/* Payloads -------------------------------------------------------------------- */

static void emit_inventory(struct devices *d, const struct snapshot *w)
{
	Lens__V1__GpuInfo gi[MAX_GPUS], *gp[MAX_GPUS];
	Lens__V1__IbHcaInfo hi[MAX_HCAS], *hp[MAX_HCAS];
	Lens__V1__IbPortInfo pi[MAX_PORTS], *pp[MAX_PORTS];
	int np = 0;
	for (int i = 0; i < w->ngpus; i++) {
		const struct gpu_info *g = &w->gpus[i].info;
		lens__v1__gpu_info__init(&gi[i]);
		gi[i].index = g->index;
		gi[i].bdf = (char *)g->bdf;
		gi[i].unique_id = (char *)g->unique_id;
		gi[i].serial = (char *)g->serial;
		gi[i].product = (char *)g->product;
		gi[i].vbios = (char *)g->vbios;
		gi[i].driver_version = (char *)g->driver_version;
		gi[i].vendor_id = g->vendor_id;
		gi[i].device_id = g->device_id;
		gi[i].render_minor = g->render_minor;
		gi[i].vram_total_bytes = g->vram_total_bytes;
		gi[i].has_hwmon = g->has_hwmon;
		gp[i] = &gi[i];
	}
	for (int h = 0; h < w->nhcas; h++) {
		const struct ib_hca *c = &w->hcas[h];
		lens__v1__ib_hca_info__init(&hi[h]);
		hi[h].name = (char *)c->name;
		hi[h].bdf = (char *)c->bdf;
		hi[h].node_guid = (char *)c->node_guid;
		hi[h].fw_ver = (char *)c->fw_ver;
		hi[h].hca_type = (char *)c->hca_type;
		hi[h].board_id = (char *)c->board_id;
		hi[h].ports = &pp[np];
		for (int k = 0; k < c->nports && np < MAX_PORTS; k++, np++) {
			lens__v1__ib_port_info__init(&pi[np]);
			pi[np].port = (uint32_t)c->ports[k].number;
			pi[np].link_layer = (char *)c->ports[k].link_layer;
			pi[np].netdev = (char *)c->ports[k].netdev;
			pi[np].rate_gbps = c->ports[k].rate_gbps;
			pp[np] = &pi[np];
			hi[h].n_ports++;
		}
		hp[h] = &hi[h];
	}
	Lens__V1__DeviceInventory inv = LENS__V1__DEVICE_INVENTORY__INIT;
	inv.gpu_backend = (char *)d->ops->name;
	inv.n_gpus = (size_t)w->ngpus;
	inv.gpus = gp;
	inv.n_hcas = (size_t)w->nhcas;
	inv.hcas = hp;
	Envelope e = LENS__V1__ENVELOPE__INIT;
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_DEVICE_INVENTORY;
	e.device_inventory = &inv;
	emit_envelope(d->em, LENS__V1__STREAM__STREAM_CONTROL, &e);
}

/* Health bits as strings; names has one entry per bit. */
static size_t health_strings(unsigned bits, const char *const *names, int n, char **out)
{
	size_t k = 0;
	for (int i = 0; i < n; i++)
		if (bits & (1u << i))
			out[k++] = (char *)names[i];
	return k;
}

static void emit_samples(struct devices *d, const struct snapshot *w, int64_t now)
{
	struct sample_scratch *x = d->scratch;
	Lens__V1__GpuSample *gs = x->gs, **gsp = x->gsp;
	Lens__V1__IbPortSample *ps = x->ps, **psp = x->psp;
	size_t ng = 0, np = 0;
	for (int i = 0; i < w->ngpus; i++) {
		const struct gpu_state *g = &w->gpus[i];
		if (!g->sampled)
			continue;
		lens__v1__gpu_sample__init(&gs[ng]);
		gs[ng].bdf = (char *)g->info.bdf;
		for (int m = 0; m < GPU_METRIC_COUNT; m++) {
			if (!gpu_sample_has(&g->s, m))
				continue;
			x->metric[ng][gs[ng].n_metric++] = (uint32_t)m;
			x->value[ng][gs[ng].n_value++] = g->s.v[m];
		}
		gs[ng].metric = x->metric[ng];
		gs[ng].value = x->value[ng];
		gs[ng].n_health = health_strings(g->health, gpu_health_names, 2, x->ghealth[ng]);
		gs[ng].health = x->ghealth[ng];
		gsp[ng] = &gs[ng];
		ng++;
	}
	for (int h = 0; h < w->nhcas; h++) {
		for (int k = 0; k < w->hcas[h].nports && np < MAX_PORTS; k++, np++) {
			const struct ib_port *p = &w->hcas[h].ports[k];
			const struct port_state *st = find_port(w, w->hcas[h].name, p->number);
			lens__v1__ib_port_sample__init(&ps[np]);
			ps[np].hca = (char *)w->hcas[h].name;
			ps[np].port = (uint32_t)p->number;
			ps[np].state = p->state;
			ps[np].phys_state = p->phys_state;
			for (int c = 0; c < IB_COUNTER_COUNT; c++) {
				if (!(p->present & (1ULL << c)))
					continue;
				x->counter[np][ps[np].n_counter++] = (uint32_t)c;
				x->cvalue[np][ps[np].n_value++] = p->counters[c];
			}
			ps[np].counter = x->counter[np];
			ps[np].value = x->cvalue[np];
			ps[np].n_health = health_strings(st ? st->health : 0, port_health_names, 2,
							 x->phealth[np]);
			ps[np].health = x->phealth[np];
			psp[np] = &ps[np];
		}
	}
	for (int i = 0; i < w->nevents; i++) {
		lens__v1__gpu_event__init(&x->ev[i]);
		x->ev[i].bdf = (char *)w->events[i].bdf;
		x->ev[i].event = (char *)gpu_event_name(w->events[i].type);
		x->ev[i].message = (char *)w->events[i].message;
		x->ev[i].unix_ns = w->events[i].unix_ns;
		x->evp[i] = &x->ev[i];
	}
	Lens__V1__DeviceSamples ds = LENS__V1__DEVICE_SAMPLES__INIT;
	ds.sampled_unix_ns = now;
	ds.n_events = (size_t)w->nevents;
	ds.events = x->evp;
	ds.n_gpus = ng;
	ds.gpus = gsp;
	ds.n_ib_ports = np;
	ds.ib_ports = psp;
	Envelope e = LENS__V1__ENVELOPE__INIT;
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_DEVICE_SAMPLES;
	e.device_samples = &ds;
	emit_envelope(d->em, LENS__V1__STREAM__STREAM_METRICS, &e);
}

/* One cycle: sample, derive health, publish, emit. */
static void devices_sample_now(struct devices *d)
{
	int64_t t0 = clock_mono_ns(), now = clock_now_ns();
	struct snapshot *w = &d->work;
	sample_gpus(d, w, &d->pub, now);
	poll_events(d, w);
	sample_hcas(d, w, &d->pub, now);
	struct buf sig = BUF_INIT;
	inventory_signature(d, w, &sig);
	bool changed = !d->inventory_sig.p || strcmp(sig.p, d->inventory_sig.p) != 0;
	if (changed) {
		log_info("device inventory", "gpus=%d hcas=%d backend=%s", w->ngpus, w->nhcas,
			 d->ops->name);
		buf_free(&d->inventory_sig);
		d->inventory_sig = sig;
	} else {
		buf_free(&sig);
	}
	pthread_mutex_lock(&d->lock);
	d->pub = *w;
	pthread_mutex_unlock(&d->lock);
	if (d->em && changed)
		emit_inventory(d, w);
	if (d->em)
		emit_samples(d, w, now);
	d->cycles++;
	prom_inc(d->m_cycles);
	prom_set(d->m_gpus, w->ngpus);
	prom_set(d->m_hcas, w->nhcas);
	prom_set(d->m_seconds, (double)(clock_mono_ns() - t0) / (double)NS_PER_SEC);
}

/* Prometheus ------------------------------------------------------------------ */

/* A GPU family: which metric, its name, and how it maps. */
static const struct {
	int metric;
	const char *name, *help;
	enum prom_kind kind;
	double divisor; /* percent -> ratio; divide, as 57 * 0.01 != 0.57 */
	const char *label, *label_value; /* an extra label, or NULL */
} gpu_families[] = {
	{GPU_BUSY_PERCENT, "lens_gpu_gfx_busy_ratio", "GFX engine busy, 0 to 1.", PROM_GAUGE,
	 100, NULL, NULL},
	{GPU_MEM_BUSY_PERCENT, "lens_gpu_memory_busy_ratio", "Memory controller busy, 0 to 1.",
	 PROM_GAUGE, 100, NULL, NULL},
	{GPU_VRAM_USED_BYTES, "lens_gpu_vram_used_bytes", "VRAM in use.", PROM_GAUGE, 1, NULL,
	 NULL},
	{GPU_VRAM_TOTAL_BYTES, "lens_gpu_vram_total_bytes", "VRAM size.", PROM_GAUGE, 1, NULL,
	 NULL},
	{GPU_TEMP_EDGE_C, "lens_gpu_temperature_celsius", "Temperature by sensor.", PROM_GAUGE, 1,
	 "sensor", "edge"},
	{GPU_TEMP_JUNCTION_C, "lens_gpu_temperature_celsius", NULL, PROM_GAUGE, 1, "sensor",
	 "junction"},
	{GPU_TEMP_MEM_C, "lens_gpu_temperature_celsius", NULL, PROM_GAUGE, 1, "sensor", "memory"},
	{GPU_POWER_W, "lens_gpu_power_watts", "Average package power.", PROM_GAUGE, 1, NULL,
	 NULL},
	{GPU_SCLK_HZ, "lens_gpu_clock_hertz", "Current clock by domain.", PROM_GAUGE, 1, "clock",
	 "gfx"},
	{GPU_MCLK_HZ, "lens_gpu_clock_hertz", NULL, PROM_GAUGE, 1, "clock", "memory"},
	{GPU_PCIE_REPLAY_TOTAL, "lens_gpu_pcie_replays_total", "PCIe replays since boot.",
	 PROM_COUNTER, 1, NULL, NULL},
};

/* The pod labels of an assigned device; none while it is free, so a
 * series never keeps the labels of a pod that is gone. */
static void owner_labels(struct buf *l, const struct devices *d, const char *kind,
			 const char *id)
{
	struct device_owner o = {{0}};
	if (d->owner_fn)
		d->owner_fn(d->owner_arg, kind, id, &o);
	if (!o.pod[0])
		return;
	prom_label(l, "namespace", o.namespace_);
	prom_label(l, "pod", o.pod);
	prom_label(l, "container", o.container);
	prom_label(l, "workload", o.workload);
}

static void build_gpu_labels(struct buf *l, const struct devices *d, const struct gpu_info *g)
{
	char idx[16];
	snprintf(idx, sizeof idx, "%d", g->index);
	buf_reset(l);
	prom_label(l, "node", d->node);
	prom_label(l, "gpu", idx);
	prom_label(l, "bdf", g->bdf);
	prom_label(l, "uuid", g->unique_id);
	owner_labels(l, d, "gpu", g->bdf);
}

/* l = the base labels of GPU i of the snapshot being rendered. */
static void gpu_labels(struct buf *l, const struct devices *d, int i)
{
	buf_reset(l);
	buf_append(l, d->gpu_base[i].p, d->gpu_base[i].len);
}

/* Writes a header the first time a family name appears in a run. */
static void header_once(struct buf *out, const char **last, const char *name, const char *help,
			enum prom_kind kind)
{
	if (*last && strcmp(*last, name) == 0)
		return;
	prom_write_header(out, name, help, kind);
	*last = name;
}

static void render_gpu_values(struct buf *out, const struct devices *d, const struct snapshot *p,
			      struct buf *l)
{
	const char *last = NULL, *help = NULL;
	for (size_t f = 0; f < sizeof gpu_families / sizeof gpu_families[0]; f++) {
		help = gpu_families[f].help ? gpu_families[f].help : help;
		header_once(out, &last, gpu_families[f].name, help, gpu_families[f].kind);
		for (int i = 0; i < p->ngpus; i++) {
			const struct gpu_state *g = &p->gpus[i];
			if (!g->sampled || !gpu_sample_has(&g->s, gpu_families[f].metric))
				continue;
			gpu_labels(l, d, i);
			if (gpu_families[f].label)
				prom_label(l, gpu_families[f].label, gpu_families[f].label_value);
			prom_write_sample(out, gpu_families[f].name, l,
					  g->s.v[gpu_families[f].metric] / gpu_families[f].divisor);
		}
	}
}

static void render_gpu_pcie(struct buf *out, const struct devices *d, const struct snapshot *p,
			    struct buf *l)
{
	static const char name[] = "lens_gpu_pcie_bandwidth_bytes_per_second";
	prom_write_header(out, name,
			  "PCIe bandwidth estimate (packets in the last second times the maximum "
			  "payload), by direction.",
			  PROM_GAUGE);
	static const struct {
		int metric;
		const char *dir;
	} dirs[] = {{GPU_PCIE_SENT, "transmit"}, {GPU_PCIE_RECEIVED, "receive"}};
	for (int i = 0; i < p->ngpus; i++) {
		const struct gpu_state *g = &p->gpus[i];
		if (!g->sampled || !gpu_sample_has(&g->s, GPU_PCIE_MAX_PAYLOAD_BYTES))
			continue;
		for (int k = 0; k < 2; k++) {
			if (!gpu_sample_has(&g->s, dirs[k].metric))
				continue;
			gpu_labels(l, d, i);
			prom_label(l, "direction", dirs[k].dir);
			prom_write_sample(out, name, l,
					  g->s.v[dirs[k].metric] *
						  g->s.v[GPU_PCIE_MAX_PAYLOAD_BYTES]);
		}
	}
}

static void render_gpu_ecc(struct buf *out, const struct devices *d, const struct snapshot *p,
			   struct buf *l)
{
	static const char name[] = "lens_gpu_ecc_errors_total";
	prom_write_header(out, name, "ECC errors since boot, by block and severity.",
			  PROM_COUNTER);
	for (int i = 0; i < p->ngpus; i++) {
		const struct gpu_state *g = &p->gpus[i];
		for (int b = 0; g->sampled && b < GPU_ECC_BLOCKS; b++) {
			for (int sev = 0; sev < 2; sev++) {
				int m = sev ? GPU_ECC_UE(b) : GPU_ECC_CE(b);
				if (!gpu_sample_has(&g->s, m))
					continue;
				gpu_labels(l, d, i);
				prom_label(l, "block", gpu_ecc_block_name(b));
				prom_label(l, "severity", sev ? "uncorrectable" : "correctable");
				prom_write_sample(out, name, l, g->s.v[m]);
			}
		}
	}
}

static void render_gpu_info(struct buf *out, const struct devices *d, const struct snapshot *p,
			    struct buf *l)
{
	prom_write_header(out, "lens_gpu_info", "GPU identity; always 1.", PROM_GAUGE);
	for (int i = 0; i < p->ngpus; i++) {
		const struct gpu_info *g = &p->gpus[i].info;
		gpu_labels(l, d, i);
		prom_label(l, "product", g->product);
		prom_label(l, "serial", g->serial);
		prom_label(l, "vbios", g->vbios);
		prom_label(l, "driver_version", g->driver_version);
		prom_label(l, "backend", d->ops->name);
		prom_write_sample(out, "lens_gpu_info", l, 1);
	}
	if (d->events_on) {
		prom_write_header(out, "lens_gpu_events_total",
				  "GPU driver events (ROCm SMI notifications) since the agent started, "
				  "by event.",
				  PROM_COUNTER);
		for (int i = 0; i < p->ngpus; i++)
			for (int e = 0; e < GPU_EVENT_TYPES; e++) {
				gpu_labels(l, d, i);
				prom_label(l, "event", gpu_event_name(e));
				prom_write_sample(out, "lens_gpu_events_total", l,
						  (double)p->gpus[i].events[e]);
			}
	}
	prom_write_header(out, "lens_gpu_healthy", "1 when no health condition holds, else 0.",
			  PROM_GAUGE);
	for (int i = 0; i < p->ngpus; i++) {
		gpu_labels(l, d, i);
		prom_write_sample(out, "lens_gpu_healthy", l, p->gpus[i].health == 0);
	}
	prom_write_header(out, "lens_gpu_health_condition",
			  "Health conditions that hold now (ecc_uncorrectable_rising, "
			  "temperature_high); 1 while true.",
			  PROM_GAUGE);
	for (int i = 0; i < p->ngpus; i++)
		for (int c = 0; c < 2; c++) {
			if (!(p->gpus[i].health & (1u << c)))
				continue;
			gpu_labels(l, d, i);
			prom_label(l, "condition", gpu_health_names[c]);
			prom_write_sample(out, "lens_gpu_health_condition", l, 1);
		}
}

/* IB counters as Prometheus families: (counter, name, kind label). */
static const struct {
	int counter;
	const char *name, *help, *kind;
} ib_families[] = {
	{IB_RCV_BYTES, "lens_ib_port_receive_bytes_total", "Bytes received.", NULL},
	{IB_XMIT_BYTES, "lens_ib_port_transmit_bytes_total", "Bytes transmitted.", NULL},
	{IB_RCV_PACKETS, "lens_ib_port_receive_packets_total", "Packets received.", NULL},
	{IB_XMIT_PACKETS, "lens_ib_port_transmit_packets_total", "Packets transmitted.", NULL},
	{IB_XMIT_WAIT, "lens_ib_port_transmit_wait_total",
	 "Ticks the port had data to send but no credits.", NULL},
	{IB_RCV_ERRORS, "lens_ib_port_errors_total", "Port errors since reset, by kind.",
	 "receive"},
	{IB_SYMBOL_ERRORS, "lens_ib_port_errors_total", NULL, "symbol"},
	{IB_LINK_DOWNED, "lens_ib_port_errors_total", NULL, "link_downed"},
	{IB_LINK_ERROR_RECOVERY, "lens_ib_port_errors_total", NULL, "link_error_recovery"},
	{IB_EXCESSIVE_BUFFER_OVERRUN, "lens_ib_port_errors_total", NULL,
	 "excessive_buffer_overrun"},
	{IB_LOCAL_LINK_INTEGRITY_ERRORS, "lens_ib_port_errors_total", NULL,
	 "local_link_integrity"},
	{IB_RCV_REMOTE_PHYSICAL_ERRORS, "lens_ib_port_errors_total", NULL,
	 "receive_remote_physical"},
	{IB_XMIT_DISCARDS, "lens_ib_port_errors_total", NULL, "transmit_discards"},
	{IB_VL15_DROPPED, "lens_ib_port_errors_total", NULL, "vl15_dropped"},
	{IB_OUT_OF_BUFFER, "lens_ib_port_errors_total", NULL, "out_of_buffer"},
	{IB_OUT_OF_SEQUENCE, "lens_ib_port_errors_total", NULL, "out_of_sequence"},
	{IB_LOCAL_ACK_TIMEOUT_ERR, "lens_ib_port_errors_total", NULL, "local_ack_timeout"},
	{IB_RNR_NAK_RETRY_ERR, "lens_ib_port_errors_total", NULL, "rnr_nak_retry"},
};

static void build_port_labels(struct buf *l, const struct devices *d, const char *hca,
			      int number)
{
	char port[8];
	snprintf(port, sizeof port, "%d", number);
	buf_reset(l);
	prom_label(l, "node", d->node);
	prom_label(l, "hca", hca);
	prom_label(l, "port", port);
	owner_labels(l, d, "ib", hca);
}

/* l = the base labels of port k of HCA h (ports are numbered in order). */
static void port_labels(struct buf *l, const struct devices *d, int flat)
{
	buf_reset(l);
	buf_append(l, d->port_base[flat].p, d->port_base[flat].len);
}

/* Every port of the snapshot; flat counts them in the order of ports[]. */
#define FOR_EACH_PORT(p, h, k, flat) \
	for (int h = 0, flat = 0; h < (p)->nhcas; h++) \
		for (int k = 0; k < (p)->hcas[h].nports && flat < MAX_PORTS; k++, flat++)

static void render_ib(struct buf *out, const struct devices *d, const struct snapshot *p,
		      struct buf *l)
{
	prom_write_header(out, "lens_ib_port_info", "HCA port identity; always 1.", PROM_GAUGE);
	FOR_EACH_PORT(p, h, k, flat) {
		const struct ib_hca *hca = &p->hcas[h];
		port_labels(l, d, flat);
		prom_label(l, "bdf", hca->bdf);
		prom_label(l, "node_guid", hca->node_guid);
		prom_label(l, "fw_ver", hca->fw_ver);
		prom_label(l, "link_layer", hca->ports[k].link_layer);
		prom_label(l, "netdev", hca->ports[k].netdev);
		prom_write_sample(out, "lens_ib_port_info", l, 1);
	}
	prom_write_header(out, "lens_ib_port_up", "1 when the port state is ACTIVE.", PROM_GAUGE);
	FOR_EACH_PORT(p, h, k, flat) {
		port_labels(l, d, flat);
		prom_write_sample(out, "lens_ib_port_up", l, p->hcas[h].ports[k].state == 4);
	}
	prom_write_header(out, "lens_ib_port_state", "Port state (1 DOWN .. 4 ACTIVE).",
			  PROM_GAUGE);
	FOR_EACH_PORT(p, h, k, flat) {
		port_labels(l, d, flat);
		prom_write_sample(out, "lens_ib_port_state", l, p->hcas[h].ports[k].state);
	}
	prom_write_header(out, "lens_ib_port_rate_bytes_per_second", "Link rate.", PROM_GAUGE);
	FOR_EACH_PORT(p, h, k, flat) {
		port_labels(l, d, flat);
		prom_write_sample(out, "lens_ib_port_rate_bytes_per_second", l,
				  p->hcas[h].ports[k].rate_gbps * 1e9 / 8);
	}
	const char *last = NULL, *help = NULL;
	for (size_t f = 0; f < sizeof ib_families / sizeof ib_families[0]; f++) {
		help = ib_families[f].help ? ib_families[f].help : help;
		header_once(out, &last, ib_families[f].name, help, PROM_COUNTER);
		FOR_EACH_PORT(p, h, k, flat) {
			const struct ib_port *port = &p->hcas[h].ports[k];
			if (!(port->present & (1ULL << ib_families[f].counter)))
				continue;
			port_labels(l, d, flat);
			if (ib_families[f].kind)
				prom_label(l, "kind", ib_families[f].kind);
			prom_write_sample(out, ib_families[f].name, l,
					  (double)port->counters[ib_families[f].counter]);
		}
	}
	prom_write_header(out, "lens_ib_port_healthy", "1 when no health condition holds, else 0.",
			  PROM_GAUGE);
	for (int i = 0; i < p->nports; i++) {
		port_labels(l, d, i);
		prom_write_sample(out, "lens_ib_port_healthy", l, p->ports[i].health == 0);
	}
}

static void render(struct buf *out, void *arg)
{
	struct devices *d = arg;
	struct buf l = BUF_INIT;
	pthread_mutex_lock(&d->lock);
	const struct snapshot *p = &d->pub;
	for (int i = 0; i < p->ngpus; i++)
		build_gpu_labels(&d->gpu_base[i], d, &p->gpus[i].info);
	for (int i = 0; i < p->nports; i++)
		build_port_labels(&d->port_base[i], d, p->ports[i].hca, p->ports[i].port);
	render_gpu_info(out, d, p, &l);
	render_gpu_values(out, d, p, &l);
	render_gpu_pcie(out, d, p, &l);
	render_gpu_ecc(out, d, p, &l);
	render_ib(out, d, p, &l);
	pthread_mutex_unlock(&d->lock);
	buf_free(&l);
}

/* Lifecycle ------------------------------------------------------------------- */

static void tick(void *arg)
{
	devices_sample_now(arg);
}

/* Driver events need the backend's support and, with ROCm SMI, /dev/kfd
 * and a real GPU: say once why they are off. */
static void start_events(struct devices *d)
{
	char err[256] = "the backend has no event notification";
	if (d->work.ngpus == 0)
		return;
	if (d->ops->events_start && d->ops->events_start(d->backend, err, sizeof err) == 0) {
		d->events_on = true;
		log_info("GPU driver events subscribed", "gpus=%d", d->work.ngpus);
		return;
	}
	log_info("GPU driver events unavailable", "backend=%s reason=%s", d->ops->name,
		 log_q(err));
}

/* The backend by name; "auto" tries ROCm SMI, then sysfs. */
static int open_backend(struct devices *d, char *err, size_t errlen)
{
	const char *name = d->cfg.backend;
	if (strcmp(name, "auto") == 0) {
		char why[256];
		if (gpu_rocmsmi_ops.open(d->cfg.sysfs_root, &d->backend, why, sizeof why) == 0) {
			d->ops = &gpu_rocmsmi_ops;
			return 0;
		}
		log_info("ROCm SMI unavailable; reading amdgpu sysfs", "reason=%s", log_q(why));
		name = "sysfs";
	}
	d->ops = gpu_backend_find(name);
	if (!d->ops) {
		snprintf(err, errlen, "unknown GPU backend \"%s\" (rocm_smi, sysfs, auto)", name);
		return -EINVAL;
	}
	return d->ops->open(d->cfg.sysfs_root, &d->backend, err, errlen);
}

static void init_metrics(struct devices *d, struct prom_registry *reg)
{
	d->m_cycles = prom_get(prom_counter(reg, "lens_agent_device_samples_total",
					    "Device sample cycles completed.", NULL));
	d->m_errors = prom_get(prom_counter(reg, "lens_agent_device_sample_errors_total",
					    "GPU samples that failed (device gone or moved).",
					    NULL));
	d->m_seconds = prom_get(prom_gauge(reg, "lens_agent_device_sample_duration_seconds",
					   "Wall time of the last sample cycle.", NULL));
	d->m_gpus = prom_get(prom_gauge(reg, "lens_agent_gpus", "GPUs found.", NULL));
	d->m_hcas = prom_get(prom_gauge(reg, "lens_agent_ib_hcas", "InfiniBand HCAs found.", NULL));
	prom_collector(reg, render, d);
}

int devices_start(const struct devices_config *cfg, struct emitter *em,
		  struct prom_registry *reg, struct devices **out, char *err, size_t errlen)
{
	struct devices *d = xcalloc(1, sizeof *d);
	d->cfg = *cfg;
	d->node = xstrdup(cfg->node);
	d->em = em;
	d->scratch = xcalloc(1, sizeof *d->scratch);
	pthread_mutex_init(&d->lock, NULL);
	int rc = open_backend(d, err, errlen);
	if (rc) {
		d->ops = NULL;
		devices_stop(d);
		return rc;
	}
	d->ib = ib_reader_open(cfg->sysfs_root);
	init_metrics(d, reg);
	devices_sample_now(d);
	start_events(d);
	prom_set(prom_get(prom_gauge(reg, "lens_agent_gpu_events_supported",
				     "1 when GPU driver events (resets, VM faults, thermal throttling) "
				     "are subscribed.",
				     NULL)),
		 d->events_on);
	if (d->work.ngpus == 0 && d->work.nhcas == 0)
		log_info("no AMD GPUs or InfiniBand HCAs found on this node");
	if (cfg->interval_ns > 0 && ticker_start(cfg->interval_ns, tick, d, &d->ticker)) {
		snprintf(err, errlen, "cannot start the device sampling thread");
		devices_stop(d);
		return -EAGAIN;
	}
	*out = d;
	return 0;
}

void devices_set_owner_fn(struct devices *d, devices_owner_fn fn, void *arg)
{
	pthread_mutex_lock(&d->lock);
	d->owner_fn = fn;
	d->owner_arg = arg;
	pthread_mutex_unlock(&d->lock);
}

json_t *devices_ids(struct devices *d)
{
	json_t *out = json_array();
	pthread_mutex_lock(&d->lock);
	for (int i = 0; i < d->pub.ngpus; i++)
		json_array_append_new(out, json_pack("{s:s,s:s}", "kind", "gpu", "id",
						     d->pub.gpus[i].info.bdf));
	for (int i = 0; i < d->pub.nhcas; i++)
		json_array_append_new(out, json_pack("{s:s,s:s}", "kind", "ib", "id",
						     d->pub.hcas[i].name));
	pthread_mutex_unlock(&d->lock);
	return out;
}

void devices_stop(struct devices *d)
{
	if (!d)
		return;
	ticker_stop(d->ticker);
	if (d->ops && d->backend)
		d->ops->close(d->backend);
	ib_reader_close(d->ib);
	pthread_mutex_destroy(&d->lock);
	buf_free(&d->inventory_sig);
	for (int i = 0; i < MAX_GPUS; i++)
		buf_free(&d->gpu_base[i]);
	for (int i = 0; i < MAX_PORTS; i++)
		buf_free(&d->port_base[i]);
	free(d->scratch);
	free(d->node);
	free(d);
}
