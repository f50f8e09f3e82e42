/*
 * CPU linear algebra: matmul through cblas ?gemm (?gemv for one column, a
 * plain loop for tiny matrices, where the call overhead dominates), triangular solves through
 * cblas ?trsm, Cholesky / LU / inverse through LAPACK.
 *
 * LAPACK is called through its Fortran interface (lapack.h) rather than
 * LAPACKE: this system's OpenBLAS does not export LAPACKE and the library
 * already links LAPACK. Arrays are row-major, LAPACK is column-major; a
 * row-major buffer read column-major is the transpose, so each call is
 * arranged to be transpose-invariant: Cholesky of the symmetric A as 'U'
 * (U^T U = A column-major is L = U^T row-major), det A^T = det A, and
 * inv(A^T) = inv(A)^T. No data is transposed and nothing is allocated for
 * matrices up to SCRATCH_N.
 */
#include <cblas.h>
#include <lapack.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "backend/cpu/vecmath.h"

/* OpenBLAS's thread count (weak: another BLAS lacks it, and then it is NULL) */
void openblas_set_num_threads(int num_threads);
#pragma weak openblas_set_num_threads

static void blas_serial_once(void) {
  if (openblas_set_num_threads && !getenv("OPENBLAS_NUM_THREADS") && !getenv("OMP_NUM_THREADS"))
    openblas_set_num_threads(1);
}

void genc_cpu_blas_serial(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, blas_serial_once);
}

/* Below this many multiply-adds per matrix a C loop beats a gemm call. */
#define TINY_MNK 512
/* Matrices up to this size use stack scratch for pivots and LAPACK work. */
#define SCRATCH_N 128

#define MM_LOOP(T)                                                                                 \
  for (int64_t bi = 0; bi < batch; bi++) {                                                         \
    const T *A = (const T *)a + bi * sa, *B = (const T *)b + bi * sb;                              \
    T *C = (T *)c + bi * m * n;                                                                    \
    for (int64_t i = 0; i < m; i++)                                                                \
      for (int64_t j = 0; j < n; j++) {                                                            \
        T acc = 0;                                                                                 \
        for (int64_t l = 0; l < k; l++)                                                            \
          acc += (ta ? A[l * m + i] : A[i * k + l]) * (tb ? B[j * k + l] : B[l * n + j]);          \
        C[i * n + j] = acc;                                                                        \
      }                                                                                            \
  }

/* A product with one column (a matrix times a vector: a model's X w, and its
 * backward X^T g) through ?gemv: ?gemm packs both operands first, most of
 * its time at these shapes. op(B) is then k contiguous values either way. */
static void gemv(genc_dtype dt, int64_t m, int64_t k, const void *a, bool ta, const void *b,
                 void *c) {
  enum CBLAS_TRANSPOSE oa = ta ? CblasTrans : CblasNoTrans;
  blasint rows = (blasint)(ta ? k : m), cols = (blasint)(ta ? m : k);
  if (dt == GENC_F64)
    cblas_dgemv(CblasRowMajor, oa, rows, cols, 1.0, a, cols, b, 1, 0.0, c, 1);
  else
    cblas_sgemv(CblasRowMajor, oa, rows, cols, 1.0f, a, cols, b, 1, 0.0f, c, 1);
}

/* y = A^T x for a row-major A of k rows and m (few) columns: a model's
 * backward X^T g, where ?gemv's kernel (a column-major product with columns of
 * m) spent most of B4's gradient. One pass over the rows for up to eight
 * columns at a time: those in 256-bit vectors, the last m % 4 as scalars,
 * each column in two partial sums over rows r mod 2, added as s0 + s1. */
typedef double v4d __attribute__((vector_size(32)));
#define ATX_ROW(R, A0, A1, T0, T1, T2)                                                             \
  {                                                                                                \
    const double *row = A + (R)*m + j, xr = x[R];                                                  \
    if (NV > 0) memcpy(&v, row, sizeof v), A0 += v * xr;                                           \
    if (NV > 1) memcpy(&v, row + 4, sizeof v), A1 += v * xr;                                       \
    if (NS > 0) T0 += row[4 * NV] * xr;                                                            \
    if (NS > 1) T1 += row[4 * NV + 1] * xr;                                                        \
    if (NS > 2) T2 += row[4 * NV + 2] * xr;                                                        \
  }
#define ATX_ROWS(NVV, NSS)                                                                         \
  {                                                                                                \
    enum { NV = NVV, NS = NSS };                                                                   \
    v4d a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, v;                                             \
    double t00 = 0, t01 = 0, t02 = 0, t10 = 0, t11 = 0, t12 = 0;                                   \
    int64_t r = 0;                                                                                 \
    for (; r + 2 <= k; r += 2) {                                                                   \
      ATX_ROW(r, a00, a01, t00, t01, t02)                                                          \
      ATX_ROW(r + 1, a10, a11, t10, t11, t12)                                                      \
    }                                                                                              \
    if (r < k) ATX_ROW(r, a00, a01, t00, t01, t02)                                                 \
    if (NV > 0) v = a00 + a10, memcpy(y + j, &v, sizeof v);                                        \
    if (NV > 1) v = a01 + a11, memcpy(y + j + 4, &v, sizeof v);                                    \
    if (NS > 0) y[j + 4 * NV] = t00 + t10;                                                         \
    if (NS > 1) y[j + 4 * NV + 1] = t01 + t11;                                                     \
    if (NS > 2) y[j + 4 * NV + 2] = t02 + t12;                                                     \
  }
GENC_VEC_CLONES static void atx_f64(int64_t k, int64_t m, const double *restrict A,
                                    const double *restrict x, double *restrict y) {
  int64_t j = 0;
  for (; m - j >= 8; j += 8)
    ATX_ROWS(2, 0)
  switch (m - j) { /* the last 0 .. 7 columns */
  case 1: ATX_ROWS(0, 1) break;
  case 2: ATX_ROWS(0, 2) break;
  case 3: ATX_ROWS(0, 3) break;
  case 4: ATX_ROWS(1, 0) break;
  case 5: ATX_ROWS(1, 1) break;
  case 6: ATX_ROWS(1, 2) break;
  case 7: ATX_ROWS(1, 3) break;
  default: break;
  }
}
#undef ATX_ROWS
#undef ATX_ROW
enum { ATX_MAX = 32 };

static void gemm(genc_dtype dt, int64_t m, int64_t n, int64_t k, const void *a, bool ta,
                 const void *b, bool tb, void *c) {
  if (n == 1 && ta && m <= ATX_MAX && dt == GENC_F64) {
    atx_f64(k, m, a, b, c);
    return;
  }
  if (n == 1) {
    gemv(dt, m, k, a, ta, b, c);
    return;
  }
  enum CBLAS_TRANSPOSE oa = ta ? CblasTrans : CblasNoTrans, ob = tb ? CblasTrans : CblasNoTrans;
  blasint lda = (blasint)(ta ? m : k), ldb = (blasint)(tb ? k : n);
  if (dt == GENC_F64)
    cblas_dgemm(CblasRowMajor, oa, ob, (blasint)m, (blasint)n, (blasint)k, 1.0, a, lda, b, ldb, 0.0,
                c, (blasint)n);
  else
    cblas_sgemm(CblasRowMajor, oa, ob, (blasint)m, (blasint)n, (blasint)k, 1.0f, a, lda, b, ldb,
                0.0f, c, (blasint)n);
}

void genc_cpu_matmul(void *st, genc_dtype dt, int64_t batch, int64_t m, int64_t n, int64_t k,
                     const void *a, int64_t sa, bool ta, const void *b, int64_t sb, bool tb,
                     void *c) {
  (void)st;
  if (batch == 0 || m == 0 || n == 0) return;
  size_t es = dt == GENC_F64 ? 8 : 4;
  if (k == 0) {
    memset(c, 0, (size_t)(batch * m * n) * es);
    return;
  }
  if (m * n * k <= TINY_MNK) {
    if (dt == GENC_F64) MM_LOOP(double) else MM_LOOP(float) return;
  }
  /* a shared right operand against stacked left matrices is one tall gemm */
  if (sb == 0 && !ta && sa == m * k) {
    gemm(dt, batch * m, n, k, a, false, b, tb, c);
    return;
  }
  for (int64_t bi = 0; bi < batch; bi++)
    gemm(dt, m, n, k, (const char *)a + (size_t)(bi * sa) * es, ta,
         (const char *)b + (size_t)(bi * sb) * es, tb, (char *)c + (size_t)(bi * m * n) * es);
}

static bool all_finite(genc_dtype dt, const void *a, int64_t n) {
  bool ok = true;
  if (dt == GENC_F64)
    for (int64_t i = 0; i < n; i++)
      ok &= isfinite(((const double *)a)[i]) != 0;
  else
    for (int64_t i = 0; i < n; i++)
      ok &= isfinite(((const float *)a)[i]) != 0;
  return ok;
}

/* First batch whose triangular matrix has a zero on its diagonal, or -1. */
static int64_t zero_diag(genc_dtype dt, int64_t batch, int64_t n, const void *l, int64_t sl) {
  for (int64_t bi = 0; bi < (sl ? batch : 1); bi++)
    for (int64_t i = 0; i < n; i++)
      if (dt == GENC_F64 ? ((const double *)l)[bi * sl + i * n + i] == 0
                         : ((const float *)l)[bi * sl + i * n + i] == 0)
        return bi;
  return -1;
}

int64_t genc_cpu_cholesky(void *st, genc_dtype dt, int64_t batch, int64_t n, void *out) {
  (void)st;
  lapack_int ln = (lapack_int)n, lda = (lapack_int)(n ? n : 1), info = 0;
  int64_t first = -1;
  for (int64_t bi = 0; bi < batch; bi++) {
    if (dt == GENC_F64) {
      double *A = (double *)out + bi * n * n;
      LAPACK_dpotrf("U", &ln, A, &lda, &info);
      for (int64_t i = 0; i < n; i++)
        memset(A + i * n + i + 1, 0, (size_t)(n - i - 1) * 8);
    } else {
      float *A = (float *)out + bi * n * n;
      LAPACK_spotrf("U", &ln, A, &lda, &info);
      for (int64_t i = 0; i < n; i++)
        memset(A + i * n + i + 1, 0, (size_t)(n - i - 1) * 4);
    }
    /* potrf may pass NaN and inf through as a "factor": those fail too */
    if (info == 0 &&
        !all_finite(dt, (char *)out + (size_t)(bi * n * n) * (dt == GENC_F64 ? 8 : 4), n * n))
      info = 1;
    if (info != 0) { /* the contract: NaN, and on to the next matrix */
      if (first < 0) first = bi;
      for (int64_t e = 0; e < n * n; e++)
        if (dt == GENC_F64)
          ((double *)out)[bi * n * n + e] = NAN;
        else
          ((float *)out)[bi * n * n + e] = NAN;
    }
  }
  return first;
}

int64_t genc_cpu_trisolve(void *st, genc_dtype dt, int64_t batch, int64_t n, int64_t m,
                          const void *l, int64_t sl, void *out, bool lower, bool trans) {
  (void)st;
  if (n == 0 || m == 0 || batch == 0) return -1;
  int64_t bad = zero_diag(dt, batch, n, l, sl);
  enum CBLAS_UPLO up = lower ? CblasLower : CblasUpper;
  enum CBLAS_TRANSPOSE tr = trans ? CblasTrans : CblasNoTrans;
  for (int64_t bi = 0; bi < batch; bi++) {
    if (dt == GENC_F64)
      cblas_dtrsm(CblasRowMajor, CblasLeft, up, tr, CblasNonUnit, (blasint)n, (blasint)m, 1.0,
                  (const double *)l + bi * sl, (blasint)n, (double *)out + bi * n * m, (blasint)m);
    else
      cblas_strsm(CblasRowMajor, CblasLeft, up, tr, CblasNonUnit, (blasint)n, (blasint)m, 1.0f,
                  (const float *)l + bi * sl, (blasint)n, (float *)out + bi * n * m, (blasint)m);
  }
  return bad;
}

/* Pivot and work space: on the stack for small n. */
typedef struct lu_scratch {
  lapack_int *ipiv;
  void *work;
  lapack_int ipiv_stack[SCRATCH_N];
  double work_stack[SCRATCH_N];
  bool heap;
} lu_scratch;

static bool scratch_init(lu_scratch *s, int64_t n) {
  s->heap = n > SCRATCH_N;
  if (!s->heap) {
    s->ipiv = s->ipiv_stack;
    s->work = s->work_stack;
    return true;
  }
  s->ipiv = malloc((size_t)n * sizeof *s->ipiv);
  s->work = malloc((size_t)n * sizeof(double));
  return s->ipiv && s->work;
}

static void scratch_free(lu_scratch *s) {
  if (s->heap) free(s->ipiv), free(s->work);
}

static lapack_int lu(genc_dtype dt, int64_t n, void *A, lapack_int *ipiv) {
  lapack_int ln = (lapack_int)n, lda = (lapack_int)(n ? n : 1), info = 0;
  if (dt == GENC_F64)
    LAPACK_dgetrf(&ln, &ln, A, &lda, ipiv, &info);
  else
    LAPACK_sgetrf(&ln, &ln, A, &lda, ipiv, &info);
  return info;
}

int64_t genc_cpu_logdet(void *st, genc_dtype dt, int64_t batch, int64_t n, void *a, void *out) {
  (void)st;
  lu_scratch s;
  if (!scratch_init(&s, n)) return scratch_free(&s), 0;
  size_t es = dt == GENC_F64 ? 8 : 4;
  int64_t bad = -1;
  for (int64_t bi = 0; bi < batch && bad < 0; bi++) {
    void *A = (char *)a + (size_t)(bi * n * n) * es;
    if (lu(dt, n, A, s.ipiv) != 0) bad = bi;
    double acc = 0;
    for (int64_t i = 0; i < n; i++)
      acc += log(fabs(dt == GENC_F64 ? ((double *)A)[i * n + i] : ((float *)A)[i * n + i]));
    if (dt == GENC_F64)
      ((double *)out)[bi] = acc;
    else
      ((float *)out)[bi] = (float)acc;
  }
  scratch_free(&s);
  return bad;
}

int64_t genc_cpu_inv(void *st, genc_dtype dt, int64_t batch, int64_t n, void *a) {
  (void)st;
  lu_scratch s;
  if (!scratch_init(&s, n)) return scratch_free(&s), 0;
  size_t es = dt == GENC_F64 ? 8 : 4;
  lapack_int ln = (lapack_int)n, lda = (lapack_int)(n ? n : 1), lw = lda, info = 0;
  int64_t bad = -1;
  for (int64_t bi = 0; bi < batch && bad < 0 && n > 0; bi++) {
    void *A = (char *)a + (size_t)(bi * n * n) * es;
    if (lu(dt, n, A, s.ipiv) != 0) {
      bad = bi;
      break;
    }
    if (dt == GENC_F64)
      LAPACK_dgetri(&ln, A, &lda, s.ipiv, s.work, &lw, &info);
    else
      LAPACK_sgetri(&ln, A, &lda, s.ipiv, s.work, &lw, &info);
    if (info != 0) bad = bi;
  }
  scratch_free(&s);
  return bad;
}
