#!/usr/bin/env bash
# B4 (shared/BENCHMARKS.md) NUTS min-ESS/s, Stan (rstan) against genc in one script.
# Usage: bench/run_b4_stan.sh [build dir (default build)] [work dir] [seeds (default 1,2,3)]
# Needs r-cran-rstan and r-cran-posterior (installed here if missing and run as root). The
# compiled Stan model is cached in the work dir (its compile time is reported from the first run).
# B4_NO_BUILD=1 uses the bench_nuts already built. Times are CPU seconds on both sides (Stan's
# own timer is clock()), so that a busy machine slows both alike.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
work=${2:-$build/b4_stan}
seeds=${3:-1,2,3}
if ! Rscript -e 'library(rstan); library(posterior)' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y r-cran-rstan r-cran-posterior
  else
    echo "run_b4_stan.sh: rstan and posterior are needed (apt-get install r-cran-rstan r-cran-posterior)" >&2
    exit 1
  fi
fi
# OpenBLAS on one thread from its load: its pool spins for a while at load, which CPU seconds
# (clock() counts every thread) would charge to the first timed run
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
[ -n "${B4_NO_BUILD:-}" ] || cmake --build "$build" --target bench_nuts >/dev/null
mkdir -p "$work"
Rscript "$here/b4_stan.R" "$build/bench_nuts" "$work" "$seeds"
