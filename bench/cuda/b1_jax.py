"""B1 poly-IS in JAX (jax.jit + vmap), f32 and f64, N = 1e3 .. 1e<max>, one card.

The per-particle log weight is written for one particle and vmapped (as
../shared/baselines/jax_bench.py writes B1 with explicit batch shapes; the
compiled XLA program is the same fused kernel either way), then a logsumexp.
Prints one JSON object per line: dtype, N, median ms of a call including
block_until_ready (the result on the device; genc's and the handwritten
figures include a copy of the scalar to the host, a few microseconds), the
first call's time (trace + XLA compile + run) and the estimate.
Usage: python3 b1_jax.py [max_log10_N (default 8)]
"""
import json, math, sys, time
from functools import partial

import numpy as np
import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

jax.config.update("jax_enable_x64", True)
T, SIGMA = 100, 0.3
i = np.arange(T)
X = -1 + 2 * i / (T - 1)
Y = 0.5 - 1.0 * X + 2.0 * X ** 2 + 0.3 * np.sin(12.9898 * i)


def make(dtype):
    xs, ys = jnp.asarray(X, dtype), jnp.asarray(Y, dtype)
    const = -T * (math.log(SIGMA) + 0.5 * math.log(2 * math.pi))

    def logw(abc):  # one particle
        mu = abc[0] + abc[1] * xs + abc[2] * xs * xs
        return jnp.sum(-0.5 * ((ys - mu) / SIGMA) ** 2) + const

    @partial(jax.jit, static_argnums=1)
    def est(key, n):
        abc = jax.random.normal(key, (n, 3), dtype)
        return logsumexp(jax.vmap(logw)(abc)) - jnp.log(n)

    return est


def main():
    maxe = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    print(json.dumps({"device": str(jax.devices()[0]), "jax": jax.__version__}), flush=True)
    for dtype in (jnp.float32, jnp.float64):
        est = make(dtype)
        for e in range(3, maxe + 1):
            n = 10 ** e
            try:
                t0 = time.perf_counter()
                est(jax.random.PRNGKey(0), n).block_until_ready()
                first = time.perf_counter() - t0
                reps = 3 if e >= 8 else 5 if e >= 7 else 15
                ts, v = [], None
                for r in range(reps):
                    t0 = time.perf_counter()
                    v = est(jax.random.PRNGKey(r + 1), n)
                    v.block_until_ready()
                    ts.append(time.perf_counter() - t0)
                ts.sort()
                print(json.dumps({"dtype": dtype.__name__, "N": n, "ms": ts[len(ts) // 2] * 1e3,
                                  "first_s": first, "est": float(v)}), flush=True)
            except Exception as ex:  # out of memory at the largest N
                print(json.dumps({"dtype": dtype.__name__, "N": n, "error": repr(ex)[:200]}),
                      flush=True)


if __name__ == "__main__":
    main()
