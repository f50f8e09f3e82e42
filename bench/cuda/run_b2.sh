#!/usr/bin/env bash
# Build genc with CUDA and run B2 (the bootstrap particle filter, T = 100, systematic resampling
# every step) on the GPU in one invocation, N = 1e3 .. 1e<max>: bench_b2_cuda (a handwritten
# CUDA filter and genc_smc on a CUDA context, f64) and b2_jax.py (jax.jit + lax.scan, f32 and
# f64, with its first-call time), then one table of ratios: genc / handwritten and JAX / genc.
#
# Usage: bench/cuda/run_b2.sh [build-dir] [max_log10_N (default 7)]
#   GENC_NO_BUILD=1 runs an existing build as it is; GENC_NO_JAX=1 skips JAX;
#   GENC_B2_BUDGET_S (default 300) caps the seconds bench_b2_cuda spends on genc.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${1:-$root/build-cuda}
maxe=${2:-7}
. "$root/bench/cuda/common.sh"
gpu_bench_run "$root" "$bdir" bench_b2_cuda b2_jax.py "$maxe"
PYTHONPATH="$root/bench/cuda" python3 - "$out/genc.txt" "$out/jax.jsonl" <<'PY'
import sys
from bench_tables import jax_get, load
rows, jax = load(sys.argv[1], sys.argv[2], 11)
nan = float("nan")
print()
print("%-6s %9s %9s %10s %9s %9s %11s %11s %9s %9s %9s" % (
    "N", "hand_ms", "genc_ms", "genc/hand", "jax64_ms", "jax32_ms", "jax64/genc", "jax32/genc",
    "jax64/hand", "jax_1st_s", "genc_err"))
for n in sorted(rows):
    f = rows[n]
    hand, genc, gerr = float(f[1]), float(f[2]), float(f[8])
    j64 = jax_get(jax, "float64", n, "ms")
    j32 = jax_get(jax, "float32", n, "ms")
    first = jax_get(jax, "float64", n, "first_s")
    print("1e%-4d %9.3f %9.3f %10.2f %9.3f %9.3f %11.2f %11.2f %9.2f %9.2f %+9.4f" % (
        len(str(n)) - 1, hand, genc, genc / hand, j64, j32, j64 / genc, j32 / genc, j64 / hand,
        first, gerr))
PY
