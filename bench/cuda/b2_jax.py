"""B2 ssm-PF in JAX (jax.jit + lax.scan), f32 and f64, N = 1e3 .. 1e<max>, one card.

x_0 ~ N(0, 1); x_t = 0.9 x_{t-1} + N(0, 1); y_t ~ N(x_t, 0.5), t = 0..99, with
y_t = 2 sin(0.1 t) + 0.7 sin(12.9898 t) (Kalman log p(y) = -113.26911738003584). A
bootstrap filter with systematic resampling after every step but the last, written as
../shared/baselines/jax_bench.py writes it (cumsum of the weights, searchsorted of the
systematic points, gather, propagate), the log weights of step 0 before the scan and the
99 resample-propagate-weight steps in one lax.scan, so no resampling is wasted after the
last step (as in bench_b2_cuda's handwritten filter).

Prints one JSON object per line: dtype, N, median ms of a call including
block_until_ready (log Z on the device; genc's and the handwritten figures include the
copy of the scalar to the host, a few microseconds), the first call's time (trace + XLA
compile + run), the estimate and its error against the Kalman value.
B2_JAX_SEARCH=scan|sort|compare_all|scan_unrolled picks jnp.searchsorted's method
(default: JAX's default, as jax_bench.py).
Usage: python3 b2_jax.py [max_log10_N (default 7)]
"""
import json, math, os, sys, time
from functools import partial

import numpy as np
import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)
T = 100
EXACT = -113.26911738003584
LCONST = -math.log(0.5) - 0.5 * math.log(2 * math.pi)  # log N(y; x, 0.5) = LCONST - 2 (y - x)^2
YS = 2.0 * np.sin(0.1 * np.arange(T)) + 0.7 * np.sin(12.9898 * np.arange(T))
SEARCH = os.environ.get("B2_JAX_SEARCH")


def make(dtype):
    ys = jnp.asarray(YS, dtype)

    def logw(y, x):  # without LCONST, added once at the end
        return -2.0 * (y - x) ** 2

    def lmean(lw, n):  # log mean exp, with the cumulative sums it is computed from
        m = jnp.max(lw)
        cw = jnp.cumsum(jnp.exp(lw - m))
        return m + jnp.log(cw[-1] / n), cw

    @partial(jax.jit, static_argnums=1)
    def pf(key, n):
        def step(carry, inp):
            x, lw, ll = carry
            y, k = inp
            k1, k2 = jax.random.split(k)
            inc, cw = lmean(lw, n)
            # systematic points (U + j) S / n; smallest i with cw[i] > point
            u = (jax.random.uniform(k1, (), dtype) + jnp.arange(n, dtype=dtype)) * (cw[-1] / n)
            kw = {"side": "right"} if SEARCH is None else {"side": "right", "method": SEARCH}
            idx = jnp.minimum(jnp.searchsorted(cw, u, **kw), n - 1)
            x = 0.9 * x[idx] + jax.random.normal(k2, (n,), dtype)
            return (x, logw(y, x), ll + inc), None

        k0, k = jax.random.split(key)
        x0 = jax.random.normal(k0, (n,), dtype)
        carry = (x0, logw(ys[0], x0), jnp.zeros((), dtype))
        (x, lw, ll), _ = jax.lax.scan(step, carry, (ys[1:], jax.random.split(k, T - 1)))
        return ll + lmean(lw, n)[0] + T * LCONST

    return pf


def main():
    maxe = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    print(json.dumps({"device": str(jax.devices()[0]), "jax": jax.__version__,
                      "search": SEARCH or "default"}), flush=True)
    for dtype in (jnp.float32, jnp.float64):
        pf = make(dtype)
        for e in range(3, maxe + 1):
            n = 10 ** e
            try:
                t0 = time.perf_counter()
                pf(jax.random.PRNGKey(0), n).block_until_ready()
                first = time.perf_counter() - t0
                reps = 3 if e >= 7 else 5
                ts, est = [], []
                for r in range(reps):
                    t0 = time.perf_counter()
                    v = pf(jax.random.PRNGKey(r + 1), n)
                    v.block_until_ready()
                    ts.append(time.perf_counter() - t0)
                    est.append(float(v))
                ts.sort()
                mean = sum(est) / reps
                print(json.dumps({"dtype": dtype.__name__, "N": n, "ms": ts[len(ts) // 2] * 1e3,
                                  "first_s": first, "est": mean, "err": mean - EXACT}),
                      flush=True)
            except Exception as ex:  # out of memory at the largest N
                print(json.dumps({"dtype": dtype.__name__, "N": n, "error": repr(ex)[:200]}),
                      flush=True)


if __name__ == "__main__":
    main()
