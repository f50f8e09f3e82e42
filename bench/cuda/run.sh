#!/usr/bin/env bash
# Build genc with CUDA and run the GPU benchmarks in one invocation:
# bench_b1_cuda (B1 poly-IS, N = 1e3 .. 1e8: handwritten fused kernel in f64
# and f32 beside genc's eager array ops on the same card, as ratios).
#
# Usage: bench/cuda/run.sh [build-dir] [max_log10_N (default 8)]
#   GENC_NO_BUILD=1 runs an existing build as it is.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${1:-$root/build-cuda}
if [ -z "${GENC_NO_BUILD:-}" ]; then
  cmake -S "$root" -B "$bdir" -DGENC_CUDA=ON -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=Release
  cmake --build "$bdir" -j"$(nproc)" --target bench_b1_cuda
fi
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader ||
  true
"$bdir/bench_b1_cuda" "${2:-8}"
