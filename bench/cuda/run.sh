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
if [ -z "${GENC_NO_BUILD:-}" ]; then
  cmake -S "$root" -B "$bdir" -DGENC_CUDA=ON -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=Release
  cmake --build "$bdir" -j"$(nproc)" --target bench_b1_cuda
fi
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader ||
  true
out=$(mktemp -d)
"$bdir/bench_b1_cuda" "$maxe" | tee "$out/genc.txt"
if [ -z "${GENC_NO_JAX:-}" ]; then
  PYTHONUNBUFFERED=1 python3 "$root/bench/cuda/b1_jax.py" "$maxe" | tee "$out/jax.jsonl" || true
fi
python3 - "$out/genc.txt" "$out/jax.jsonl" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0].startswith("1e") and len(f) >= 5:
        rows[10 ** int(f[0][2:])] = f
jax = {}
try:
    for line in open(sys.argv[2]):
        d = json.loads(line)
        if "ms" in d:
            jax[(d["dtype"], d["N"])] = d
except FileNotFoundError:
    pass
print()
print("%-6s %10s %10s %10s %10s %10s %9s %9s %9s %9s %10s" % (
    "N", "comp_ms", "fused64", "jax64_ms", "jax32_ms", "comp/f64", "comp/f32", "jax64/comp",
    "jax32/comp", "jax_1st_s", "nograph_ms"))
for n in sorted(rows):
    f = rows[n]
    comp, f64, f32 = float(f[4]), float(f[1]), float(f[2])
    j64 = jax.get(("float64", n), {}).get("ms", float("nan"))
    j32 = jax.get(("float32", n), {}).get("ms", float("nan"))
    first = jax.get(("float64", n), {}).get("first_s", float("nan"))
    nog = float(f[13]) if len(f) > 13 else float("nan")
    print("1e%-4d %10.4f %10.4f %10.4f %10.4f %10.2f %9.2f %9.1f %9.1f %9.2f %10.4f" % (
        len(str(n)) - 1, comp, f64, j64, j32, comp / f64, comp / f32, j64 / comp, j32 / comp,
        first, nog))
PY
