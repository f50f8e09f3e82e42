/*
 * The compiler driver of the CPU executor: generated C becomes a shared
 * object through the system C compiler, cached on disk under a hash of
 * everything that determines the object (the source, the headers it
 * includes, the compiler and the flags), so that a second process loads it
 * without compiling. Objects are written under a temporary name and renamed,
 * so concurrent compilers of one graph never see a partial file.
 *
 * The generated source includes array/exec_abi.h from the source tree: its
 * path is GENC_SOURCE_DIR (set by CMake to the tree genc was built from;
 * the environment variable of the same name overrides it, for an installed
 * library whose tree moved). Without it the compile fails and the executor
 * interprets.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "array/exec_cpu.h"

extern char **environ;

#ifndef GENC_SOURCE_DIR
#define GENC_SOURCE_DIR "."
#endif

/* -O3 -march=native: the vectorized loops of the bodies and the SIMD Philox
 * of the sampling pass; ISO C17 contracts no a*b+c into an FMA (the eager
 * kernels do not either; -ffp-contract=off says so for compilers whose
 * default differs); -fno-math-errno lets sqrt and the hoisted logs stay
 * plain instructions and loop invariants, without changing any value.
 * (Batched regions' drivers and block bodies ask for 512-bit vectors
 * themselves: GENC_X512 in exec_abi.h.) */
static const char *const FLAGS[] = {
    "-O3",     "-march=native",   "-std=c17",          "-fPIC",
    "-shared", "-fno-math-errno", "-ffp-contract=off", "-D_DEFAULT_SOURCE",
    "-w"};
#define NFLAGS ((int)(sizeof FLAGS / sizeof *FLAGS))

/* libm's linker script names libmvec: the vector variants exec_vec.h
 * declares resolve whether or not the process has loaded it already. */
static const char *const LIBS = "-lm";

/* Headers the generated source includes (relative to the source tree). */
static const char *const HEADERS[] = {
    "src/array/exec_abi.h",  "src/array/exec_vec.h",     "src/random/laws.h",
    "src/backend/backend.h", "src/backend/specfun.h",    "include/genc/array.h",
    "include/genc/base.h",   "src/random/philox_simd.h", "src/backend/rowsum.h"};

static const char *source_dir(void) {
  const char *d = getenv("GENC_SOURCE_DIR");
  return d && *d ? d : GENC_SOURCE_DIR;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
  const unsigned char *s = data;
  for (size_t i = 0; i < n; i++)
    h = (h ^ s[i]) * 0x100000001b3ull;
  return h;
}

static uint64_t fnv_file(uint64_t h, const char *path) {
  FILE *f = fopen(path, "rb");
  h = fnv(h, path, strlen(path) + 1);
  if (!f) return h;
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    h = fnv(h, buf, n);
  fclose(f);
  return h;
}

static uint64_t key_hash(const char *source, const char *compiler) {
  uint64_t h = 0xcbf29ce484222325ull;
  h = fnv(h, source, strlen(source) + 1);
  h = fnv(h, compiler, strlen(compiler) + 1);
  for (int i = 0; i < NFLAGS; i++)
    h = fnv(h, FLAGS[i], strlen(FLAGS[i]) + 1);
  h = fnv(h, LIBS, strlen(LIBS) + 1);
  char path[4096];
  for (size_t i = 0; i < sizeof HEADERS / sizeof *HEADERS; i++) {
    snprintf(path, sizeof path, "%s/%s", source_dir(), HEADERS[i]);
    h = fnv_file(h, path);
  }
  return h;
}

static bool mkdirs(const char *dir) {
  char p[4096];
  snprintf(p, sizeof p, "%s", dir);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      if (mkdir(p, 0755) && errno != EEXIST) return false;
      *s = '/';
    }
  return !mkdir(p, 0755) || errno == EEXIST;
}

bool genc__xcc_cache_dir(const char *given, char *out, size_t cap) {
  const char *e;
  int n;
  if (given && *given)
    n = snprintf(out, cap, "%s", given);
  else if ((e = getenv("GENC_CACHE_DIR")) && *e)
    n = snprintf(out, cap, "%s", e);
  else if ((e = getenv("XDG_CACHE_HOME")) && *e)
    n = snprintf(out, cap, "%s/genc", e);
  else if ((e = getenv("HOME")) && *e)
    n = snprintf(out, cap, "%s/.cache/genc", e);
  else
    return false;
  return n > 0 && (size_t)n < cap;
}

void genc__xcc_cancel(genc_xcc_stop *stop) {
  pthread_mutex_lock(&stop->mu);
  stop->stopped = true;
  if (stop->pid > 0) kill(-stop->pid, SIGTERM); /* the compiler driver and its passes */
  pthread_mutex_unlock(&stop->mu);
}

/* Publish the running child's pid (0: none) to stop; true if the compile was
 * cancelled (the child, if any, is then terminated). */
static bool publish(genc_xcc_stop *stop, pid_t pid) {
  if (!stop) return false;
  pthread_mutex_lock(&stop->mu);
  stop->pid = pid;
  bool s = stop->stopped;
  if (s && pid > 0) kill(-pid, SIGTERM);
  pthread_mutex_unlock(&stop->mu);
  return s;
}

static bool stopped(genc_xcc_stop *stop) {
  if (!stop) return false;
  pthread_mutex_lock(&stop->mu);
  bool s = stop->stopped;
  pthread_mutex_unlock(&stop->mu);
  return s;
}

/* Run argv with stdout and stderr to logpath; the exit status, or -1. The
 * child leads a process group of its own, so that genc__xcc_cancel stops the
 * driver and the passes it started; the driver removes its temporaries on
 * SIGTERM. The child is waited for without reaping it first and unpublished
 * before it is reaped, so a cancel never signals a recycled pid. */
static int run(char *const *argv, const char *logpath, genc_xcc_stop *stop) {
  if (stop && publish(stop, 0)) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  if (posix_spawn_file_actions_init(&fa)) return -1;
  if (posix_spawnattr_init(&at)) {
    posix_spawn_file_actions_destroy(&fa);
    return -1;
  }
  if (stop) { /* a background compile: stoppable as a group (a blocking one dies with us) */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
  }
  posix_spawn_file_actions_addopen(&fa, 1, logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ), st = 0;
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (rc) return -1;
  publish(stop, pid);
  siginfo_t si;
  while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  bool stopped = publish(stop, 0);
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return stopped || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* The first line of the compiler's log, for the reason of a failure. */
static void log_reason(const char *logpath, const char *compiler, int rc, char *err,
                       size_t errcap) {
  char line[200] = "";
  FILE *f = fopen(logpath, "r");
  if (f) {
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
  }
  line[strcspn(line, "\n")] = 0;
  if (rc < 0)
    snprintf(err, errcap, "could not run the compiler \"%s\"", compiler);
  else
    snprintf(err, errcap, "the compiler \"%s\" failed (exit %d): %s", compiler, rc, line);
}

/* Compile source into so (via temporary names of this process and thread:
 * threads may compile one graph at once); false with err. */
static bool compile(const char *source, const char *compiler, const char *base, const char *so,
                    char *err, size_t errcap, genc_xcc_stop *stop) {
  char src[4200], tmp[4200], logp[4200], inc1[4200], inc2[4200];
  long pid = (long)getpid();
  unsigned long th = (unsigned long)pthread_self();
  snprintf(src, sizeof src, "%s.%ld.%lx.c", base, pid, th);
  snprintf(tmp, sizeof tmp, "%s.%ld.%lx.so", base, pid, th);
  snprintf(logp, sizeof logp, "%s.%ld.%lx.log", base, pid, th);
  snprintf(inc1, sizeof inc1, "-I%s/src", source_dir());
  snprintf(inc2, sizeof inc2, "-I%s/include", source_dir());
  FILE *f = fopen(src, "w");
  if (!f || fputs(source, f) < 0 || fclose(f)) {
    if (f) fclose(f);
    snprintf(err, errcap, "cannot write %s", src);
    return false;
  }
  char cc[512], *save = NULL;
  snprintf(cc, sizeof cc, "%s", compiler);
  char *argv[64];
  int argc = 0;
  for (char *t = strtok_r(cc, " ", &save); t && argc < 40; t = strtok_r(NULL, " ", &save))
    argv[argc++] = t;
  for (int i = 0; i < NFLAGS; i++)
    argv[argc++] = (char *)FLAGS[i];
  argv[argc++] = inc1, argv[argc++] = inc2;
  argv[argc++] = "-o", argv[argc++] = tmp, argv[argc++] = src;
  argv[argc++] = (char *)LIBS; /* after the source: libmvec, as a dependency of the object */
  argv[argc] = NULL;
  int rc = run(argv, logp, stop);
  if (rc && stopped(stop))
    snprintf(err, errcap, "the compile was cancelled");
  else if (rc)
    log_reason(logp, compiler, rc, err, errcap);
  bool ok = !rc && !rename(tmp, so);
  if (!rc && !ok) snprintf(err, errcap, "cannot rename %s to %s", tmp, so);
  unlink(src), unlink(logp), unlink(tmp);
  return ok;
}

/* The cache's base name of source (no extension) into base, the object's
 * name into so. */
static void names(const char *source, const char *compiler, const char *cache_dir, char *base,
                  size_t bcap, char *so, size_t scap) {
  snprintf(base, bcap, "%s/genc-%016llx", cache_dir,
           (unsigned long long)key_hash(source, compiler));
  snprintf(so, scap, "%s.so", base);
}

void *genc__xcc_cached(const char *source, const char *compiler, const char *cache_dir, char *path,
                       size_t pathcap) {
  char base[4096], so[4200];
  names(source, compiler, cache_dir, base, sizeof base, so, sizeof so);
  snprintf(path, pathcap, "%s", so);
  return access(so, R_OK) ? NULL : dlopen(so, RTLD_NOW | RTLD_LOCAL);
}

void *genc__xcc_load(const char *source, const char *compiler, const char *cache_dir, bool *hit,
                     char *path, size_t pathcap, char *err, size_t errcap, genc_xcc_stop *stop) {
  *hit = false;
  if (!mkdirs(cache_dir)) {
    snprintf(err, errcap, "cannot create the cache directory %s", cache_dir);
    return NULL;
  }
  char base[4096], so[4200];
  names(source, compiler, cache_dir, base, sizeof base, so, sizeof so);
  snprintf(path, pathcap, "%s", so);
  void *h = access(so, R_OK) ? NULL : dlopen(so, RTLD_NOW | RTLD_LOCAL);
  if (h) {
    *hit = true;
    return h;
  }
  if (!compile(source, compiler, base, so, err, errcap, stop)) return NULL;
  h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
  if (!h) snprintf(err, errcap, "dlopen %s: %s", so, dlerror());
  return h;
}
