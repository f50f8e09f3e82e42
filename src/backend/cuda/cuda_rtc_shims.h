/* The in-memory headers of NVRTC compiles (cuda_rtc_shims.cu). */
#ifndef GENC_CUDA_RTC_SHIMS_H
#define GENC_CUDA_RTC_SHIMS_H

#define GENC_CU_NSHIMS 11
extern const char *const genc_cu_shim_names[GENC_CU_NSHIMS];
extern const char *const genc_cu_shim_srcs[GENC_CU_NSHIMS];

#endif
