# Shared by run.sh and run_b2.sh (sourced): build one CUDA bench target unless
# GENC_NO_BUILD is set, name the card, run the bench and (unless GENC_NO_JAX is
# set) its JAX counterpart, leaving their outputs in $out/genc.txt and
# $out/jax.jsonl for the caller's table (bench_tables.py reads them).
#
# gpu_bench_run ROOT BUILD_DIR TARGET JAX_SCRIPT MAX_LOG10_N
gpu_bench_run() {
  local root=$1 bdir=$2 target=$3 jax=$4 maxe=$5
  if [ -z "${GENC_NO_BUILD:-}" ]; then
    cmake -S "$root" -B "$bdir" -DGENC_CUDA=ON -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=Release
    cmake --build "$bdir" -j"$(nproc)" --target "$target"
  fi
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader ||
    true
  out=$(mktemp -d)
  # a failing or partial run still prints the table of what it measured
  "$bdir/$target" "$maxe" | tee "$out/genc.txt" || echo "$target exited with $?"
  if [ -z "${GENC_NO_JAX:-}" ]; then
    PYTHONUNBUFFERED=1 python3 "$root/bench/cuda/$jax" "$maxe" | tee "$out/jax.jsonl" || true
  fi
}
