/*
 * CUDA linear algebra. Matmul goes through cuBLAS (strided batched gemm, batch
 * stride 0 for a broadcast operand), except for matrices of at most 64 on a
 * side, which a plain kernel multiplies (see k_matmul_small). The factorizations are batched over
 * particles, usually of small matrices, so they are our own kernels: one
 * thread block per matrix (Cholesky, LU, Gauss-Jordan inverse; the block's
 * threads share the rows), and one thread per right-hand-side column for
 * triangular solves. Failures (not positive definite, singular) report the
 * first failing batch index through the context's flag: one synchronization.
 */
#include <limits.h>

#include "backend/cuda/cuda_internal.cuh"

/* ---- matmul ---- */

/* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the
 * operands and keep each one's transpose flag. */
template <typename T>
static cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t tb, cublasOperation_t ta, int n,
                           int m, int k, const T *b, int ldb, long long sb, const T *a, int lda,
                           long long sa, T *c, long long sc, int batch);

template <>
cublasStatus_t gemm<double>(cublasHandle_t h, cublasOperation_t tb, cublasOperation_t ta, int n,
                            int m, int k, const double *b, int ldb, long long sb, const double *a,
                            int lda, long long sa, double *c, long long sc, int batch) {
  const double one = 1, zero = 0;
  return cublasDgemmStridedBatched(h, tb, ta, n, m, k, &one, b, ldb, sb, a, lda, sa, &zero, c, n,
                                   sc, batch);
}

template <>
cublasStatus_t gemm<float>(cublasHandle_t h, cublasOperation_t tb, cublasOperation_t ta, int n,
                           int m, int k, const float *b, int ldb, long long sb, const float *a,
                           int lda, long long sa, float *c, long long sc, int batch) {
  const float one = 1, zero = 0;
  return cublasSgemmStridedBatched(h, tb, ta, n, m, k, &one, b, ldb, sb, a, lda, sa, &zero, c, n,
                                   sc, batch);
}

/* integer matmul: a plain kernel, one thread per output element */
__global__ void k_matmul_i(int64_t batch, int64_t m, int64_t n, int64_t k, const int32_t *a,
                           int64_t sa, bool ta, const int32_t *b, int64_t sb, bool tb, int32_t *c) {
  GENC_CU_LOOP(e, batch * m * n) {
    int64_t j = e % n, r = e / n, i = r % m, q = r / m;
    const int32_t *A = a + q * sa, *B = b + q * sb;
    int32_t s = 0;
    for (int64_t l = 0; l < k; l++)
      s += A[ta ? l * m + i : i * k + l] * B[tb ? j * k + l : l * n + j];
    c[e] = s;
  }
}

/* Small float matrices: one thread per output element, the dot product in
 * index order. Cheaper than a cuBLAS launch for the particle-batched 2x2..64x64
 * products models make, and the same arithmetic whatever the batch size (a
 * batched draw then equals the single draws made with the particles' keys). */
template <typename T>
__global__ void k_matmul_small(int64_t batch, int64_t m, int64_t n, int64_t k, const T *a,
                               int64_t sa, bool ta, const T *b, int64_t sb, bool tb, T *c) {
  GENC_CU_LOOP(e, batch * m * n) {
    int64_t j = e % n, r = e / n, i = r % m, q = r / m;
    const T *A = a + q * sa, *B = b + q * sb;
    T s = 0;
    for (int64_t l = 0; l < k; l++)
      s += A[ta ? l * m + i : i * k + l] * B[tb ? j * k + l : l * n + j];
    c[e] = s;
  }
}

#define SMALL_DIM 64

void genc_cu_matmul(void *stp, genc_dtype dt, int64_t batch, int64_t m, int64_t n, int64_t k,
                    const void *a, int64_t sa, bool ta, const void *b, int64_t sb, bool tb,
                    void *c) {
  genc_cu_state *st = genc_cu_enter(stp);
  if (batch <= 0 || m <= 0 || n <= 0) return;
  if (dt == GENC_I32 || dt == GENC_BOOL) {
    if (dt == GENC_I32)
      k_matmul_i<<<genc_cu_blocks(st, batch * m * n), GENC_CU_THREADS, 0, st->stream>>>(
          batch, m, n, k, (const int32_t *)a, sa, ta, (const int32_t *)b, sb, tb, (int32_t *)c);
    genc_cu_check(st);
    return;
  }
  if (k == 0) { /* cuBLAS may leave C untouched when k is 0 */
    cudaMemsetAsync(c, 0, (size_t)(batch * m * n) * (dt == GENC_F64 ? 8 : 4), st->stream);
    return;
  }
  if (m <= SMALL_DIM && n <= SMALL_DIM && k <= SMALL_DIM) {
    unsigned nb = genc_cu_blocks(st, batch * m * n);
    if (dt == GENC_F64)
      k_matmul_small<<<nb, GENC_CU_THREADS, 0, st->stream>>>(
          batch, m, n, k, (const double *)a, sa, ta, (const double *)b, sb, tb, (double *)c);
    else
      k_matmul_small<<<nb, GENC_CU_THREADS, 0, st->stream>>>(
          batch, m, n, k, (const float *)a, sa, ta, (const float *)b, sb, tb, (float *)c);
    genc_cu_check(st);
    return;
  }
  cublasOperation_t opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N, opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
  int lda = (int)(ta ? m : k), ldb = (int)(tb ? k : n);
  cublasStatus_t s;
  /* cuBLAS takes int batch counts: split a huge particle batch */
  for (int64_t q0 = 0; q0 < batch; q0 += INT_MAX) {
    int nb = (int)(batch - q0 < INT_MAX ? batch - q0 : INT_MAX);
    if (dt == GENC_F64)
      s = gemm<double>(st->blas, opb, opa, (int)n, (int)m, (int)k, (const double *)b + q0 * sb, ldb,
                       sb, (const double *)a + q0 * sa, lda, sa, (double *)c + q0 * m * n, m * n,
                       nb);
    else
      s = gemm<float>(st->blas, opb, opa, (int)n, (int)m, (int)k, (const float *)b + q0 * sb, ldb,
                      sb, (const float *)a + q0 * sa, lda, sa, (float *)c + q0 * m * n, m * n, nb);
    if (s != CUBLAS_STATUS_SUCCESS && st->err == cudaSuccess) st->err = cudaErrorUnknown;
  }
  genc_cu_check(st);
}

/* ---- Cholesky: left-looking, one block per matrix ---- */

template <typename T> __global__ void k_chol(T *a, int64_t n, long long *flag) {
  T *A = a + (int64_t)blockIdx.x * n * n;
  __shared__ int bad;
  if (threadIdx.x == 0) bad = 0;
  __syncthreads();
  for (int64_t j = 0; j < n; j++) {
    if (threadIdx.x == 0) {
      T s = A[j * n + j];
      for (int64_t k = 0; k < j; k++)
        s -= A[j * n + k] * A[j * n + k];
      if (!(s > 0) || s == (T)INFINITY) /* not PD, NaN or inf: as the CPU's check */
        bad = 1;
      else
        A[j * n + j] = sqrt(s);
    }
    __syncthreads();
    if (bad) break;
    T d = A[j * n + j];
    for (int64_t i = j + 1 + threadIdx.x; i < n; i += blockDim.x) {
      T s = A[i * n + j];
      for (int64_t k = 0; k < j; k++)
        s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / d;
    }
    __syncthreads();
  }
  if (bad) { /* the contract: NaN, and the first failing matrix reported */
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x)
      A[e] = (T)NAN;
    if (threadIdx.x == 0) atomicMin(flag, (long long)blockIdx.x);
    return;
  }
  for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x)
    if (e % n > e / n) A[e] = 0;
}

static unsigned mat_threads(int64_t n) { return n >= 256 ? 256 : n > 32 ? 128 : 32; }

int64_t genc_cu_cholesky(void *stp, genc_dtype dt, int64_t batch, int64_t n, void *out) {
  genc_cu_state *st = genc_cu_enter(stp);
  if (batch <= 0 || n <= 0) return -1;
  genc_cu_flag_set(st, LLONG_MAX);
  if (dt == GENC_F64)
    k_chol<<<(unsigned)batch, mat_threads(n), 0, st->stream>>>((double *)out, n, st->dflag);
  else
    k_chol<<<(unsigned)batch, mat_threads(n), 0, st->stream>>>((float *)out, n, st->dflag);
  long long f = genc_cu_flag_get(st);
  return f == LLONG_MAX ? -1 : (int64_t)f;
}

/* ---- triangular solve: one thread per (matrix, column) ---- */

template <typename T>
__global__ void k_trsv(int64_t batch, int64_t n, int64_t m, const T *l, int64_t sl, T *x,
                       bool lower, bool trans, long long *flag) {
  GENC_CU_LOOP(e, batch * m) {
    int64_t c = e % m, q = e / m;
    const T *L = l + q * sl;
    if (c == 0) /* the contract: report the first L with a zero on its diagonal */
      for (int64_t i = 0; i < n; i++)
        if (L[i * n + i] == 0) {
          atomicMin(flag, (long long)(sl ? q : 0));
          break;
        }
    T *X = x + q * n * m + c;
    bool fwd = lower != trans; /* op(L) lower triangular */
    for (int64_t t = 0; t < n; t++) {
      int64_t i = fwd ? t : n - 1 - t;
      T s = X[i * m];
      if (fwd)
        for (int64_t k = 0; k < i; k++)
          s -= (trans ? L[k * n + i] : L[i * n + k]) * X[k * m];
      else
        for (int64_t k = i + 1; k < n; k++)
          s -= (trans ? L[k * n + i] : L[i * n + k]) * X[k * m];
      X[i * m] = s / L[i * n + i];
    }
  }
}

int64_t genc_cu_trisolve(void *stp, genc_dtype dt, int64_t batch, int64_t n, int64_t m,
                         const void *l, int64_t sl, void *out, bool lower, bool trans) {
  genc_cu_state *st = genc_cu_enter(stp);
  if (batch <= 0 || n <= 0 || m <= 0) return -1;
  unsigned nb = genc_cu_blocks(st, batch * m);
  genc_cu_flag_set(st, LLONG_MAX);
  if (dt == GENC_F64)
    k_trsv<<<nb, GENC_CU_THREADS, 0, st->stream>>>(batch, n, m, (const double *)l, sl,
                                                   (double *)out, lower, trans, st->dflag);
  else
    k_trsv<<<nb, GENC_CU_THREADS, 0, st->stream>>>(batch, n, m, (const float *)l, sl, (float *)out,
                                                   lower, trans, st->dflag);
  long long f = genc_cu_flag_get(st);
  return f == LLONG_MAX ? -1 : (int64_t)f;
}

/* ---- LU with partial pivoting (first largest pivot, as LAPACK's idamax) ---- */

template <typename T> __device__ inline T t_abs(T v) { return v < 0 ? -v : v; }

/* Thread 0 picks the pivot row of column j among rows j..n-1 of A. */
template <typename T> __device__ inline int64_t pick_pivot(const T *A, int64_t n, int64_t j) {
  int64_t p = j;
  T best = t_abs(A[j * n + j]);
  for (int64_t i = j + 1; i < n; i++)
    if (t_abs(A[i * n + j]) > best) best = t_abs(A[i * n + j]), p = i;
  return p;
}

template <typename T> __global__ void k_lu_logdet(T *a, int64_t n, T *out, long long *flag) {
  T *A = a + (int64_t)blockIdx.x * n * n;
  __shared__ int64_t piv;
  __shared__ int bad;
  if (threadIdx.x == 0) bad = 0;
  for (int64_t j = 0; j < n; j++) {
    if (threadIdx.x == 0) {
      piv = pick_pivot(A, n, j);
      if (A[piv * n + j] == 0) bad = 1;
    }
    __syncthreads();
    if (bad) break;
    if (piv != j)
      for (int64_t c = threadIdx.x; c < n; c += blockDim.x) {
        T t = A[j * n + c];
        A[j * n + c] = A[piv * n + c];
        A[piv * n + c] = t;
      }
    __syncthreads();
    for (int64_t i = j + 1 + threadIdx.x; i < n; i += blockDim.x) {
      T f = A[i * n + j] / A[j * n + j];
      A[i * n + j] = f;
      for (int64_t c = j + 1; c < n; c++)
        A[i * n + c] -= f * A[j * n + c];
    }
    __syncthreads();
  }
  if (threadIdx.x != 0) return;
  if (bad) {
    out[blockIdx.x] = -INFINITY;
    atomicMin(flag, (long long)blockIdx.x);
    return;
  }
  T s = 0;
  for (int64_t j = 0; j < n; j++)
    s += log(t_abs(A[j * n + j]));
  out[blockIdx.x] = s;
}

int64_t genc_cu_logdet(void *stp, genc_dtype dt, int64_t batch, int64_t n, void *a, void *out) {
  genc_cu_state *st = genc_cu_enter(stp);
  if (batch <= 0) return -1;
  if (n == 0) {
    genc_cu_fill(st, dt, out, batch, 0.0);
    return -1;
  }
  genc_cu_flag_set(st, LLONG_MAX);
  if (dt == GENC_F64)
    k_lu_logdet<<<(unsigned)batch, mat_threads(n), 0, st->stream>>>((double *)a, n, (double *)out,
                                                                    st->dflag);
  else
    k_lu_logdet<<<(unsigned)batch, mat_threads(n), 0, st->stream>>>((float *)a, n, (float *)out,
                                                                    st->dflag);
  long long f = genc_cu_flag_get(st);
  return f == LLONG_MAX ? -1 : (int64_t)f;
}

/* ---- inverse: Gauss-Jordan with partial pivoting on [W | A], W a copy ---- */

template <typename T> __global__ void k_gj_inv(T *a, T *w, int64_t n, long long *flag) {
  int64_t off = (int64_t)blockIdx.x * n * n;
  T *A = a + off, *W = w + off;
  __shared__ int64_t piv;
  __shared__ int bad;
  for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {
    W[e] = A[e];
    A[e] = e / n == e % n ? 1 : 0;
  }
  if (threadIdx.x == 0) bad = 0;
  __syncthreads();
  for (int64_t j = 0; j < n; j++) {
    if (threadIdx.x == 0) {
      piv = pick_pivot(W, n, j);
      if (W[piv * n + j] == 0) bad = 1;
    }
    __syncthreads();
    if (bad) break;
    for (int64_t c = threadIdx.x; c < n && piv != j; c += blockDim.x) {
      T t = W[j * n + c];
      W[j * n + c] = W[piv * n + c];
      W[piv * n + c] = t;
      t = A[j * n + c];
      A[j * n + c] = A[piv * n + c];
      A[piv * n + c] = t;
    }
    __syncthreads();
    T pv = W[j * n + j];
    __syncthreads();
    for (int64_t c = threadIdx.x; c < n; c += blockDim.x) {
      W[j * n + c] /= pv;
      A[j * n + c] /= pv;
    }
    __syncthreads();
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      if (i == j) continue;
      T f = W[i * n + j];
      if (f == 0) continue;
      for (int64_t c = 0; c < n; c++) {
        W[i * n + c] -= f * W[j * n + c];
        A[i * n + c] -= f * A[j * n + c];
      }
    }
    __syncthreads();
  }
  if (bad && threadIdx.x == 0) atomicMin(flag, (long long)blockIdx.x);
}

int64_t genc_cu_inv(void *stp, genc_dtype dt, int64_t batch, int64_t n, void *a) {
  genc_cu_state *st = genc_cu_enter(stp);
  if (batch <= 0 || n <= 0) return -1;
  size_t bytes = (size_t)(batch * n * n) * (dt == GENC_F64 ? 8 : 4);
  void *w = genc_cu_alloc(st, bytes);
  if (!w) {
    if (st->err == cudaSuccess) st->err = cudaErrorMemoryAllocation;
    return -1;
  }
  genc_cu_flag_set(st, LLONG_MAX);
  if (dt == GENC_F64)
    k_gj_inv<<<(unsigned)batch, mat_threads(n), 0, st->stream>>>((double *)a, (double *)w, n,
                                                                 st->dflag);
  else
    k_gj_inv<<<(unsigned)batch, mat_threads(n), 0, st->stream>>>((float *)a, (float *)w, n,
                                                                 st->dflag);
  long long f = genc_cu_flag_get(st);
  genc_cu_free(st, w, bytes);
  return f == LLONG_MAX ? -1 : (int64_t)f;
}
