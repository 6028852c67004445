/* gpu_rocmsmi: what the ROCm SMI backend exposes beyond gpu_rocmsmi_ops:
 * the decoding of its event notifications, kept separate so it can be
 * tested without a GPU (subscribing needs /dev/kfd and real hardware). */
#ifndef LENS_GPU_ROCMSMI_H
#define LENS_GPU_ROCMSMI_H

#include <rocm_smi/rocm_smi.h>

#include "gpu.h"

/* Decodes one notification; devs is the listed devices (dv_ind indexes
 * it). Returns 0, or -EINVAL for an unknown event type or device. */
int gpu_rocmsmi_decode_event(const rsmi_evt_notification_data_t *d, const struct gpu_info *devs,
			     int ndevs, int64_t now_ns, struct gpu_event *out);

#endif
