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
if [ -z "${GENC_NO_BUILD:-}" ]; then
  cmake -S "$root" -B "$bdir" -DGENC_CUDA=ON -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=Release
  cmake --build "$bdir" -j"$(nproc)" --target bench_b2_cuda
fi
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader ||
  true
out=$(mktemp -d)
# a failing or partial run still prints the table of what it measured
"$bdir/bench_b2_cuda" "$maxe" | tee "$out/genc.txt" || echo "bench_b2_cuda exited with $?"
if [ -z "${GENC_NO_JAX:-}" ]; then
  PYTHONUNBUFFERED=1 python3 "$root/bench/cuda/b2_jax.py" "$maxe" | tee "$out/jax.jsonl" || true
fi
python3 - "$out/genc.txt" "$out/jax.jsonl" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0].startswith("1e") and len(f) >= 11:
        rows[10 ** int(f[0][2:])] = f
jax = {}
try:
    for line in open(sys.argv[2]):
        d = json.loads(line)
        if "ms" in d:
            jax[(d["dtype"], d["N"])] = d
except FileNotFoundError:
    pass
nan = float("nan")
print()
print("%-6s %9s %9s %10s %9s %9s %11s %11s %9s %9s %9s" % (
    "N", "hand_ms", "genc_ms", "genc/hand", "jax64_ms", "jax32_ms", "jax64/genc", "jax32/genc",
    "jax64/hand", "jax_1st_s", "genc_err"))
for n in sorted(rows):
    f = rows[n]
    hand, genc, gerr = float(f[1]), float(f[2]), float(f[8])
    j64 = jax.get(("float64", n), {}).get("ms", nan)
    j32 = jax.get(("float32", n), {}).get("ms", nan)
    first = jax.get(("float64", n), {}).get("first_s", nan)
    print("1e%-4d %9.3f %9.3f %10.2f %9.3f %9.3f %11.2f %11.2f %9.2f %9.2f %+9.4f" % (
        len(str(n)) - 1, hand, genc, genc / hand, j64, j32, j64 / genc, j32 / genc, j64 / hand,
        first, gerr))
PY
