/* trainlog: a substring test, a cleaned copy, then "name: value" segments
 * between '|'s matched against a table. */
#include "trainlog.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonx.h"

#define CLEAN_MAX 4096

enum kind { ONE, PAIR, MEM };

static const struct {
	const char *name;
	enum trainlog_field field;
	enum kind kind;
	enum trainlog_format format;
} names[] = {
	{"consumed samples", TL_CONSUMED_SAMPLES, ONE, TL_FORMAT_PLAIN},
	{"elapsed time per iteration (ms)", TL_ELAPSED_MS, PAIR, TL_FORMAT_PLAIN},
	{"rocm mem usage/free/total/usage_ratio", TL_MEM_USAGE_GB, MEM, TL_FORMAT_ROCM_MEM},
	{"hip mem usage/free/total/usage_ratio", TL_MEM_USAGE_GB, MEM, TL_FORMAT_HIP_MEM},
	{"mem usages", TL_MEM_USAGE_RATIO, ONE, TL_FORMAT_LEGACY},
	{"throughput per gpu (tflop/s/gpu)", TL_TFLOPS_PER_GPU, PAIR, TL_FORMAT_PLAIN},
	{"tokens per gpu (tokens/s/gpu)", TL_TOKENS_PER_GPU, PAIR, TL_FORMAT_PLAIN},
	{"learning rate", TL_LEARNING_RATE, ONE, TL_FORMAT_PLAIN},
	{"global batch size", TL_GLOBAL_BATCH_SIZE, ONE, TL_FORMAT_PLAIN},
	{"lm loss", TL_LM_LOSS, ONE, TL_FORMAT_PLAIN},
	{"loss scale", TL_LOSS_SCALE, ONE, TL_FORMAT_PLAIN},
	{"grad norm", TL_GRAD_NORM, ONE, TL_FORMAT_PLAIN},
	{"params norm", TL_PARAMS_NORM, ONE, TL_FORMAT_PLAIN},
	{"num zeros", TL_NUM_ZEROS, ONE, TL_FORMAT_PLAIN},
	{"number of skipped iterations", TL_SKIPPED_ITERATIONS, ONE, TL_FORMAT_PLAIN},
	{"number of nan iterations", TL_NAN_ITERATIONS, ONE, TL_FORMAT_PLAIN},
};

static const char *const field_names[TL_NFIELDS] = {
	"iteration", "target_iterations", "consumed_samples", "elapsed_time_per_iteration_ms",
	"elapsed_time_per_iteration_avg_ms", "mem_usage_gb", "mem_free_gb", "mem_total_gb",
	"mem_usage_ratio", "tflops_per_gpu", "tflops_per_gpu_avg", "tokens_per_gpu_per_second",
	"tokens_per_gpu_per_second_avg", "learning_rate", "global_batch_size", "lm_loss",
	"loss_scale", "grad_norm", "params_norm", "num_zeros", "skipped_iterations",
	"nan_iterations"};

const char *trainlog_field_name(enum trainlog_field f)
{
	return f < TL_NFIELDS ? field_names[f] : "unknown";
}

const char *trainlog_format_name(enum trainlog_format f)
{
	static const char *const n[] = {"megatron", "rocm_mem", "hip_mem", "legacy"};
	return f <= TL_FORMAT_LEGACY ? n[f] : "unknown";
}

/* The line without ANSI colour codes: ESC [ ... m, and the same without
 * its ESC byte ("[32m") as some log pipelines leave it. */
static size_t clean(const char *in, size_t len, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n < CLEAN_MAX - 1;) {
		size_t j = i + (in[i] == '\x1b');
		if (j < len && in[j] == '[') {
			size_t k = j + 1;
			while (k < len && (isdigit((unsigned char)in[k]) || in[k] == ';'))
				k++;
			if (k < len && in[k] == 'm' && (k > j + 1 || j > i)) {
				i = k + 1;
				continue;
			}
		}
		if (in[i] == '\x1b') {
			i++;
			continue;
		}
		out[n++] = in[i++];
	}
	out[n] = '\0';
	return n;
}

/* A number as Megatron prints it; nan and inf are kept as NaN. *tok is
 * its text. */
static bool number(const char **p, double *v, const char **tok)
{
	char *end;
	while (**p == ' ')
		(*p)++;
	*v = strtod(*p, &end);
	if (end == *p)
		return false;
	if (isinf(*v))
		*v = NAN;
	*tok = *p;
	*p = end;
	return true;
}

/* Field f is v; tok/end, when given, is the text it was read from. */
static void set(struct trainlog_line *l, enum trainlog_field f, double v, const char *tok,
		const char *end)
{
	l->v[f] = v;
	l->present |= 1u << f;
	size_t n = tok ? (size_t)(end - tok) : 0;
	if (n && n < TL_TEXT_MAX && !isnan(v) && jsonx_number_syntax(tok, n)) {
		memcpy(l->text[f], tok, n);
		l->text[f][n] = '\0';
	}
}

/* "2701.3/2712.7", or one value as upstream Megatron-LM prints it. */
static void pair(const char *p, enum trainlog_field f, struct trainlog_line *l)
{
	double v;
	const char *tok;
	if (!number(&p, &v, &tok))
		return;
	set(l, f, v, tok, p);
	if (*p == '/' && (p++, number(&p, &v, &tok)))
		set(l, f + 1, v, tok, p);
}

/* "227.35GB/28.63GB/255.98GB/88.81%" */
static void memory(const char *p, struct trainlog_line *l)
{
	static const enum trainlog_field f[] = {TL_MEM_USAGE_GB, TL_MEM_FREE_GB, TL_MEM_TOTAL_GB};
	double v;
	const char *tok;
	for (int i = 0; i < 3; i++) {
		if (!number(&p, &v, &tok))
			return;
		set(l, f[i], v, tok, p);
		if (strncasecmp(p, "GB", 2) == 0)
			p += 2;
		if (*p++ != '/')
			return;
	}
	if (number(&p, &v, &tok))
		set(l, TL_MEM_USAGE_RATIO, *p == '%' ? v / 100 : v, *p == '%' ? NULL : tok, p);
}

static void segment(char *s, struct trainlog_line *l)
{
	char *colon = strrchr(s, ':');
	if (!colon)
		return;
	*colon = '\0';
	while (*s == ' ')
		s++;
	for (char *e = colon - 1; e >= s && *e == ' '; e--)
		*e = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcasecmp(s, names[i].name) != 0)
			continue;
		const char *v = colon + 1, *tok;
		double x;
		if (names[i].kind == MEM)
			memory(v, l);
		else if (names[i].kind == PAIR)
			pair(v, names[i].field, l);
		else if (number(&v, &x, &tok))
			set(l, names[i].field, x, tok, v);
		if (names[i].format != TL_FORMAT_PLAIN)
			l->format = names[i].format;
		return;
	}
}

/* "iteration <N>/ <M>" at p; the rest of the line after it. */
static char *head(char *p, struct trainlog_line *l)
{
	const char *q = p + 9, *it_tok, *it_end, *target_tok;
	double it, target;
	while (*q == ' ')
		q++;
	if (!isdigit((unsigned char)*q) || !number(&q, &it, &it_tok) || *q != '/')
		return NULL;
	it_end = q++;
	if (!number(&q, &target, &target_tok))
		return NULL;
	set(l, TL_ITERATION, it, it_tok, it_end);
	set(l, TL_TARGET_ITERATIONS, target, target_tok, q);
	return (char *)q;
}

/* Negative or impossible values; NaN is a value (a diverged run). */
static const char *impossible(const struct trainlog_line *l)
{
	for (int f = 0; f < TL_NFIELDS; f++)
		if ((l->present & (1u << f)) && l->v[f] < 0)
			return field_names[f];
	if (l->v[TL_ITERATION] > l->v[TL_TARGET_ITERATIONS] && l->v[TL_TARGET_ITERATIONS] > 0)
		return "iteration";
	if ((l->present & (1u << TL_MEM_USAGE_RATIO)) && l->v[TL_MEM_USAGE_RATIO] > 1.0001)
		return "mem_usage_ratio";
	if ((l->present & (1u << TL_GLOBAL_BATCH_SIZE)) && l->v[TL_GLOBAL_BATCH_SIZE] == 0)
		return "global_batch_size";
	return NULL;
}

int trainlog_parse(const char *line, size_t len, struct trainlog_line *out)
{
	out->mentions_iteration = memmem(line, len, "iteration", 9) != NULL;
	if (!out->mentions_iteration)
		return 0;
	char buf[CLEAN_MAX];
	size_t n = clean(line, len, buf);
	memset(out, 0, sizeof *out);
	out->mentions_iteration = 1;
	/* The first "iteration" followed by a number: "iteration time" is not it. */
	char *rest = NULL;
	for (char *p = buf; !rest && (p = memmem(p, n - (size_t)(p - buf), "iteration", 9)); p += 9)
		rest = head(p, out);
	if (!rest)
		return 0;
	char *save = NULL;
	for (char *s = strtok_r(rest, "|", &save); s; s = strtok_r(NULL, "|", &save))
		segment(s, out);
	/* One field besides the counters, or it is a look-alike. */
	if (!(out->present & ~((1u << TL_ITERATION) | (1u << TL_TARGET_ITERATIONS))))
		return 0;
	out->rejected = impossible(out);
	return out->rejected ? -1 : 1;
}

void trainlog_fields_write(const struct trainlog_line *l, struct buf *b)
{
	const char *sep = "{";
	for (int f = 0; f < TL_NFIELDS; f++) {
		if (!(l->present & (1u << f)))
			continue;
		/* No printf: this runs for every iteration line. */
		buf_puts(b, sep);
		buf_putc(b, '"');
		buf_puts(b, field_names[f]);
		buf_puts(b, "\":");
		if (l->text[f][0])
			buf_puts(b, l->text[f]);
		else
			jsonx_write_num(b, l->v[f]);
		sep = ",";
	}
	buf_puts(b, *sep == '{' ? "{}" : "}");
}

json_t *trainlog_fields_json(const struct trainlog_line *l)
{
	struct buf b = BUF_INIT;
	trainlog_fields_write(l, &b);
	json_t *o = json_loadb(b.p, b.len, 0, NULL);
	buf_free(&b);
	return o;
}
