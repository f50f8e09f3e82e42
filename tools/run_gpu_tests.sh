#!/usr/bin/env bash
# Build genc with the CUDA backend and run the WHOLE ctest suite on the GPU:
# GENC_TEST_DEVICE=cuda makes every test's t_ctx() create a CUDA context, so
# the array, autodiff, random and distribution tests run on the GPU with the
# same assertions; test_cuda_agree compares the two backends directly.
#
# Usage: tools/run_gpu_tests.sh [build-dir] [extra ctest args...]
#   build-dir defaults to build-cuda beside this script's repository.
#   GENC_NO_BUILD=1 runs an existing build as it is (for a build made on a
#   machine with the toolchain and copied to a GPU machine without one).
# Without a GPU every test that asks for one reports itself skipped (exit 77).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bdir=${1:-$root/build-cuda}
shift || true
if [ -z "${GENC_NO_BUILD:-}" ]; then
  cmake -S "$root" -B "$bdir" -DGENC_CUDA=ON -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=Release
  cmake --build "$bdir" -j"$(nproc)"
fi
if ! ls "$bdir"/CMakeFiles/*/CMakeCUDACompiler.cmake >/dev/null 2>&1; then
  echo "run_gpu_tests: $bdir was configured without CUDA (is nvcc installed?)" >&2
  exit 1
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null ||
  echo "run_gpu_tests: nvidia-smi found no GPU; the tests will report themselves skipped"
export GENC_TEST_DEVICE=cuda
# install_pkgconfig links a program against the installed library, which needs
# the -dev packages; a GPU machine that only runs a copied build may lack them
extra=()
if ! pkg-config --exists libcjson 2>/dev/null; then
  echo "run_gpu_tests: libcjson-dev is not installed here; install_pkgconfig is left out"
  extra=(-E install_pkgconfig)
fi
ctest --test-dir "$bdir" --output-on-failure -j"${GENC_TEST_JOBS:-4}" "${extra[@]}" "$@"
