#!/usr/bin/env bash
# Build genc with CUDA and run B1 on the GPU in one invocation, N = 1e3 .. 1e8:
# bench_b1_cuda (the handwritten fused kernel in f64 and f32, genc's eager
# array ops, and genc's compiled replay of the captured estimate, with its
# compile and capture times) and b1_jax.py (jax.jit + vmap, f32 and f64, with
# its first-call time), then one table of ratios to the handwritten f64 kernel
# and to JAX.
#
# Usage: bench/cuda/run.sh [build-dir] [max_log10_N (default 8)]
#   GENC_NO_BUILD=1 runs an existing build as it is; GENC_NO_JAX=1 skips JAX.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${1:-$root/build-cuda}
maxe=${2:-8}
. "$root/bench/cuda/common.sh"
gpu_bench_run "$root" "$bdir" bench_b1_cuda b1_jax.py "$maxe"
PYTHONPATH="$root/bench/cuda" python3 - "$out/genc.txt" "$out/jax.jsonl" <<'PY'
import sys
from bench_tables import jax_get, load
rows, jax = load(sys.argv[1], sys.argv[2], 5)
print()
print("%-6s %10s %10s %10s %10s %10s %9s %9s %9s %9s %10s" % (
    "N", "comp_ms", "fused64", "jax64_ms", "jax32_ms", "comp/f64", "comp/f32", "jax64/comp",
    "jax32/comp", "jax_1st_s", "nograph_ms"))
for n in sorted(rows):
    f = rows[n]
    comp, f64, f32 = float(f[4]), float(f[1]), float(f[2])
    j64 = jax_get(jax, "float64", n, "ms")
    j32 = jax_get(jax, "float32", n, "ms")
    first = jax_get(jax, "float64", n, "first_s")
    nog = float(f[13]) if len(f) > 13 else float("nan")
    print("1e%-4d %10.4f %10.4f %10.4f %10.4f %10.2f %9.2f %9.1f %9.1f %9.2f %10.4f" % (
        len(str(n)) - 1, comp, f64, j64, j32, comp / f64, comp / f32, j64 / comp, j32 / comp,
        first, nog))
PY
