#!/usr/bin/env bash
# The whole test suite: a warnings-as-errors build (CUDA too when nvcc is found;
# GPU tests report themselves skipped without a GPU), then the same suite built
# with AddressSanitizer and UndefinedBehaviorSanitizer. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
jobs=$(nproc)

cmake -S . -B build-test -DGENC_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-test -j"$jobs"
(cd build-test && ctest --output-on-failure -j"$jobs")

cmake -S . -B build-asan -DGENC_WERROR=ON -DGENC_SANITIZE=ON -DGENC_CUDA=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && GENC_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs")
echo "genc: all test suites passed"
