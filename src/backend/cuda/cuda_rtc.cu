/*
 * NVRTC compile, cache and launch (cuda_rtc.h). A context keeps the modules it
 * loaded in a small table searched by hash (then by source, so a hash collision
 * can only cost a compile); the disk cache holds one file per kernel: a magic
 * line, the source and the cubin, so a hit is checked against the source too.
 * Files are written to a temporary name and renamed, so concurrent processes
 * never read half a file.
 */
#include <cuda.h>
#include <errno.h>
#include <nvrtc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/cuda/cuda_internal.cuh"
#include "backend/cuda/cuda_rtc.h"
#include "backend/cuda/cuda_rtc_shims.h"

#ifndef GENC_RTC_SOURCE_DIR
#define GENC_RTC_SOURCE_DIR "."
#endif

typedef CUresult (*drv_load_t)(CUmodule *, const void *);
typedef CUresult (*drv_getfn_t)(CUfunction *, CUmodule, const char *);
typedef CUresult (*drv_launch_t)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                                 unsigned, unsigned, CUstream, void **, void **);
typedef CUresult (*drv_unload_t)(CUmodule);

/* A loaded module (one per source) and the kernels looked up in it. */
struct genc_cu_fn {
  CUfunction fn;
  char name[128];
};

typedef struct rtc_mod {
  uint64_t h[2];
  char *src;
  CUmodule mod;
  genc_cu_fn **fns;
  int nfns;
} rtc_mod;

typedef struct rtc_state {
  drv_load_t load;
  drv_getfn_t getfn;
  drv_launch_t launch;
  drv_unload_t unload;
  int arch;         /* 10 * major + minor */
  uint64_t hkey[2]; /* the included headers' part of every key (headers_key) */
  rtc_mod **mods;
  int64_t n, cap;
} rtc_state;

static double wall(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static bool drv_sym(const char *name, void **fp) {
  cudaDriverEntryPointQueryResult q;
  return cudaGetDriverEntryPointByVersion(name, fp, 12000, cudaEnableDefault, &q) == cudaSuccess &&
         q == cudaDriverEntryPointSuccess && *fp;
}

static void headers_key(rtc_state *r);

/* The context's table, made on first use: driver entry points and the arch. */
static rtc_state *rtc_get(genc_cu_state *st, char *err, size_t cap) {
  if (st->rtc) return (rtc_state *)st->rtc;
  rtc_state *r = (rtc_state *)calloc(1, sizeof *r);
  if (!r) {
    snprintf(err, cap, "out of memory");
    return NULL;
  }
  int ma = 0, mi = 0;
  bool ok = drv_sym("cuModuleLoadData", (void **)&r->load) &&
            drv_sym("cuModuleGetFunction", (void **)&r->getfn) &&
            drv_sym("cuLaunchKernel", (void **)&r->launch) &&
            drv_sym("cuModuleUnload", (void **)&r->unload);
  if (!ok) {
    snprintf(err, cap, "the CUDA driver does not provide cuModuleLoadData/cuLaunchKernel");
    free(r);
    return NULL;
  }
  cudaDeviceGetAttribute(&ma, cudaDevAttrComputeCapabilityMajor, st->dev);
  cudaDeviceGetAttribute(&mi, cudaDevAttrComputeCapabilityMinor, st->dev);
  r->arch = 10 * ma + mi;
  headers_key(r);
  st->rtc = r;
  return r;
}

static void fnv(uint64_t *h, const void *p, size_t n) {
  const unsigned char *c = (const unsigned char *)p;
  for (size_t i = 0; i < n; i++)
    *h = (*h ^ c[i]) * 0x100000001b3ull;
}

/* Headers of the source tree a generated kernel includes: their text is part
 * of every cache key, so a cubin compiled against older headers (a disk cache
 * kept across builds) is never loaded. */
static const char *const rtc_headers[] = {"src/array/exec_abi.h",
                                          "src/array/exec_vec.h",
                                          "src/random/laws.h",
                                          "src/random/philox_simd.h",
                                          "src/backend/backend.h",
                                          "src/backend/specfun.h",
                                          "src/backend/cuda/cuda_reduce.cuh",
                                          "src/backend/rowsum.h",
                                          "include/genc/array.h",
                                          "include/genc/base.h"};

static void fnv_file(uint64_t *h, const char *rel) {
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", GENC_RTC_SOURCE_DIR, rel);
  fnv(h, path, strlen(path) + 1);
  FILE *f = fopen(path, "rb");
  if (!f) return;
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    fnv(h, buf, n);
  fclose(f);
}

/* The headers' and shims' part of the keys (both hash seeds), once a table. */
static void headers_key(rtc_state *r) {
  uint64_t h[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0; i < sizeof rtc_headers / sizeof *rtc_headers; i++)
      fnv_file(&h[k], rtc_headers[i]);
    for (int i = 0; i < GENC_CU_NSHIMS; i++)
      fnv(&h[k], genc_cu_shim_srcs[i], strlen(genc_cu_shim_srcs[i]) + 1);
  }
  r->hkey[0] = h[0], r->hkey[1] = h[1];
}

/* ---- disk cache ---- */

static const char magic[8] = {'G', 'E', 'N', 'C', 'C', 'U', '1', '\n'};

static void mkdirs(const char *dir) {
  char p[1024];
  snprintf(p, sizeof p, "%s", dir);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      mkdir(p, 0755);
      *s = '/';
    }
  mkdir(p, 0755);
}

/* The cubin cached for src under path, or NULL (malloc'd, *len set). */
static char *disk_read(const char *path, const char *src, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char m[8];
  uint64_t sl = 0, cl = 0;
  char *s = NULL, *c = NULL;
  size_t srclen = strlen(src);
  if (fread(m, 1, 8, f) == 8 && !memcmp(m, magic, 8) && fread(&sl, 8, 1, f) == 1 && sl == srclen &&
      (s = (char *)malloc(sl + 1)) && fread(s, 1, sl, f) == sl && !memcmp(s, src, sl) &&
      fread(&cl, 8, 1, f) == 1 && cl > 0 && cl < ((uint64_t)1 << 30) && (c = (char *)malloc(cl)) &&
      fread(c, 1, cl, f) == cl) {
    *len = cl;
  } else {
    free(c);
    c = NULL;
  }
  free(s);
  fclose(f);
  return c;
}

static void disk_write(const char *path, const char *src, const char *bin, size_t len) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) return;
  uint64_t sl = strlen(src), cl = len;
  bool ok = fwrite(magic, 1, 8, f) == 8 && fwrite(&sl, 8, 1, f) == 1 &&
            fwrite(src, 1, sl, f) == sl && fwrite(&cl, 8, 1, f) == 1 &&
            fwrite(bin, 1, len, f) == len;
  ok = fclose(f) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) remove(tmp);
}

/* ---- NVRTC ---- */

static char *nvrtc_compile(int arch, const char *src, size_t *len, char *err, size_t cap) {
  nvrtcProgram prog;
  nvrtcResult e = nvrtcCreateProgram(&prog, src, "genc_graph.cu", GENC_CU_NSHIMS, genc_cu_shim_srcs,
                                     genc_cu_shim_names);
  if (e != NVRTC_SUCCESS) {
    snprintf(err, cap, "nvrtcCreateProgram: %s", nvrtcGetErrorString(e));
    return NULL;
  }
  char o_arch[64];
  snprintf(o_arch, sizeof o_arch, "--gpu-architecture=sm_%d", arch);
  const char *opts[] = {o_arch, "--fmad=false", "--device-as-default-execution-space",
                        "--std=c++20", "-DGENC_RTC=1",
                        /* backend.h's extern backend tables, unused here */
                        "--diag-suppress=20044", "-I" GENC_RTC_SOURCE_DIR "/src",
                        "-I" GENC_RTC_SOURCE_DIR "/include"};
  e = nvrtcCompileProgram(prog, (int)(sizeof opts / sizeof *opts), opts);
  char *bin = NULL;
  if (e != NVRTC_SUCCESS) {
    size_t ln = 0;
    nvrtcGetProgramLogSize(prog, &ln);
    char *log = (char *)malloc(ln + 1);
    if (log && nvrtcGetProgramLog(prog, log) == NVRTC_SUCCESS) {
      log[ln] = 0;
      snprintf(err, cap, "NVRTC: %s", log);
    } else {
      snprintf(err, cap, "NVRTC: %s", nvrtcGetErrorString(e));
    }
    free(log);
  } else if (nvrtcGetCUBINSize(prog, len) == NVRTC_SUCCESS && *len > 0 &&
             (bin = (char *)malloc(*len)) && nvrtcGetCUBIN(prog, bin) != NVRTC_SUCCESS) {
    free(bin);
    bin = NULL;
    snprintf(err, cap, "nvrtcGetCUBIN failed");
  }
  nvrtcDestroyProgram(&prog);
  return bin;
}

static char *dupstr(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = (char *)malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* Load cubin bin as a new module of the table. */
static rtc_mod *load(rtc_state *r, const uint64_t h[2], const char *src, const char *bin, char *err,
                     size_t cap) {
  if (r->n == r->cap) {
    int64_t nc = r->cap ? 2 * r->cap : 16;
    rtc_mod **t = (rtc_mod **)realloc(r->mods, (size_t)nc * sizeof *t);
    if (!t) {
      snprintf(err, cap, "out of memory");
      return NULL;
    }
    r->mods = t, r->cap = nc;
  }
  rtc_mod *m = (rtc_mod *)calloc(1, sizeof *m);
  if (!m || !(m->src = dupstr(src))) {
    free(m);
    snprintf(err, cap, "out of memory");
    return NULL;
  }
  m->h[0] = h[0], m->h[1] = h[1];
  CUresult e = r->load(&m->mod, bin);
  if (e != CUDA_SUCCESS) {
    snprintf(err, cap, "cuModuleLoadData failed (CUresult %d)", (int)e);
    free(m->src), free(m);
    return NULL;
  }
  r->mods[r->n++] = m;
  return m;
}

/* Kernel name of module m (looked up once). */
static genc_cu_fn *kernel_of(rtc_state *r, rtc_mod *m, const char *name, char *err, size_t cap) {
  for (int i = 0; i < m->nfns; i++)
    if (!strcmp(m->fns[i]->name, name)) return m->fns[i];
  genc_cu_fn *f = (genc_cu_fn *)calloc(1, sizeof *f);
  genc_cu_fn **t = (genc_cu_fn **)realloc(m->fns, (size_t)(m->nfns + 1) * sizeof *t);
  if (t) m->fns = t;
  if (!f || !t || strlen(name) >= sizeof f->name) {
    free(f);
    snprintf(err, cap, "out of memory or kernel name too long");
    return NULL;
  }
  strcpy(f->name, name);
  CUresult e = r->getfn(&f->fn, m->mod, name);
  if (e != CUDA_SUCCESS) {
    snprintf(err, cap, "cuModuleGetFunction('%s') failed (CUresult %d)", name, (int)e);
    free(f);
    return NULL;
  }
  m->fns[m->nfns++] = f;
  return f;
}

extern "C" genc_cu_fn *genc_cu_rtc_kernel(void *bst, const char *src, const char *name,
                                          const char *cache_dir, genc_cu_rtc_info *info, char *err,
                                          size_t errcap) {
  double t0 = wall();
  genc_cu_rtc_info inf = {false, false, 0};
  genc_cu_state *st = (genc_cu_state *)bst;
  cudaSetDevice(st->dev); /* the primary context current for the driver calls */
  rtc_state *r = rtc_get(st, err, errcap);
  if (!r) return NULL;
  int ver[2] = {0, 0};
  nvrtcVersion(&ver[0], &ver[1]);
  uint64_t h[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
  for (int k = 0; k < 2; k++) {
    fnv(&h[k], src, strlen(src) + 1);
    fnv(&h[k], &r->arch, sizeof r->arch);
    fnv(&h[k], ver, sizeof ver);
    fnv(&h[k], GENC_RTC_SOURCE_DIR, sizeof GENC_RTC_SOURCE_DIR);
    fnv(&h[k], &r->hkey[k], sizeof r->hkey[k]);
  }
  rtc_mod *m = NULL;
  for (int64_t i = 0; i < r->n && !m; i++)
    if (r->mods[i]->h[0] == h[0] && r->mods[i]->h[1] == h[1] && !strcmp(r->mods[i]->src, src))
      m = r->mods[i];
  inf.mem_hit = m != NULL;
  if (!m) {
    char path[1024] = "";
    if (cache_dir && *cache_dir) {
      mkdirs(cache_dir);
      snprintf(path, sizeof path, "%s/cu-%016llx%016llx.cubin", cache_dir, (unsigned long long)h[0],
               (unsigned long long)h[1]);
    }
    size_t len = 0;
    char *bin = *path ? disk_read(path, src, &len) : NULL;
    inf.disk_hit = bin != NULL;
    if (!bin && (bin = nvrtc_compile(r->arch, src, &len, err, errcap)) && *path)
      disk_write(path, src, bin, len);
    if (bin) m = load(r, h, src, bin, err, errcap);
    free(bin);
  }
  genc_cu_fn *f = m ? kernel_of(r, m, name, err, errcap) : NULL;
  inf.compile_s = wall() - t0;
  if (info) *info = inf;
  return f;
}

extern "C" int genc_cu_rtc_compile_only(const char *src, int arch, char *err, size_t errcap) {
  size_t len = 0;
  char *bin = nvrtc_compile(arch, src, &len, err, errcap);
  free(bin);
  return bin ? 0 : -1;
}

extern "C" int genc_cu_rtc_launch(void *bst, const genc_cu_fn *fn, int64_t n, void **args,
                                  char *err, size_t errcap) {
  genc_cu_state *st = genc_cu_enter(bst);
  return genc_cu_rtc_launch_blocks(bst, fn, genc_cu_blocks(st, n), args, err, errcap);
}

extern "C" int genc_cu_rtc_launch_blocks(void *bst, const genc_cu_fn *fn, int64_t blocks,
                                         void **args, char *err, size_t errcap) {
  genc_cu_state *st = genc_cu_enter(bst);
  rtc_state *r = (rtc_state *)st->rtc;
  if (!r || !fn) {
    snprintf(err, errcap, "no compiled kernel to launch");
    return -1;
  }
  if (blocks < 1 || blocks > INT32_MAX) {
    snprintf(err, errcap, "launch of %lld blocks", (long long)blocks);
    return -1;
  }
  CUresult e = r->launch(fn->fn, (unsigned)blocks, 1, 1, GENC_CU_THREADS, 1, 1, 0,
                         (CUstream)st->stream, args, NULL);
  if (e != CUDA_SUCCESS) {
    snprintf(err, errcap, "cuLaunchKernel('%s') failed (CUresult %d)", fn->name, (int)e);
    return -1;
  }
  return 0;
}

extern "C" int64_t genc_cu_rtc_resident(void *bst) {
  genc_cu_state *st = genc_cu_enter(bst);
  int dev = 0, per = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&per, cudaDevAttrMaxThreadsPerMultiProcessor, dev) != cudaSuccess)
    per = 2048;
  return (int64_t)st->sms * per;
}

extern "C" void genc_cu_rtc_release(void *bst) {
  genc_cu_state *st = (genc_cu_state *)bst;
  rtc_state *r = (rtc_state *)st->rtc;
  if (!r) return;
  for (int64_t i = 0; i < r->n; i++) {
    rtc_mod *m = r->mods[i];
    r->unload(m->mod);
    for (int k = 0; k < m->nfns; k++)
      free(m->fns[k]);
    free(m->fns), free(m->src), free(m);
  }
  free(r->mods);
  free(r);
  st->rtc = NULL;
}
