/* framework: which training framework a workload runs, from what each
 * source shows: log lines (banners and module paths the frameworks
 * print), and the evidence an in-pod WandB hook reports (imports,
 * environment, run config, loaded modules, project name, in that order
 * of trust, as the system Lens replaces ranked them), and the command
 * lines of the processes a pod starts. Two layers: the
 * wrapper (Primus, Lightning, Transformers Trainer) and the base
 * (Megatron, DeepSpeed, JAX, Transformers). Pure functions; the store
 * keeps the most confident answer per source (migration 007). */
#ifndef LENS_FRAMEWORK_H
#define LENS_FRAMEWORK_H

#include <jansson.h>
#include <stddef.h>

struct framework_det {
	const char *wrapper;  /* "primus", "lightning", "transformers_trainer" or "" */
	const char *base;     /* "megatron", "deepspeed", "jax", "transformers" or "" */
	double confidence;    /* 0..1 */
	const char *method;   /* log_pattern, import, env, wandb_config, modules, project, hints */
	char evidence[160];   /* what was seen: a marker, a variable, a module */
};

/* Returns 1 when the line names a framework (out filled), else 0. One
 * pass over the line; callers still limit how many lines of a pod they
 * show it (a framework announces itself when it starts). */
int framework_from_line(const char *line, size_t len, struct framework_det *out);

/* An exec's argv: 1 when it starts training (a launcher: torchrun,
 * deepspeed, python -m torch.distributed.run; or python running a
 * framework's entry script such as Megatron's pretrain_gpt.py), with the
 * framework its arguments name (confidence 0.8, method "cmdline"; no
 * layer, confidence 0, when they name none); else 0. */
int framework_from_argv(const json_t *argv, struct framework_det *out);

/* The detection of a WandB framework_detection_raw report: 1 (out
 * filled) or 0 when its evidence names no known framework. */
int framework_from_wandb(const json_t *report, struct framework_det *out);

/* The framework's canonical name ("PyTorch-Lightning" -> "lightning"),
 * or NULL when it is not one Lens knows; *wrapper says which layer. */
const char *framework_canonical(const char *name, int *wrapper);

#endif
