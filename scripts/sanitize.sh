#!/usr/bin/env bash
# Builds the data, io and core tests with g++ AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ and runs them. LibTorch itself is not instrumented (a release build), so this checks
# gancraft's own code as the tests drive it; the torch-free parsers get deeper coverage from
# the fuzzers (scripts/fuzz.sh). See docs/robustness.md.
# Usage: scripts/sanitize.sh [catch2 test filter]   Build dir: $GANCRAFT_ASAN_BUILD_DIR (default
# build-asan/); build jobs: $GANCRAFT_ASAN_JOBS (default nproc).
# LibTorch: GANCRAFT_LIBTORCH as for every script (scripts/env.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

scripts/deps.sh >/dev/null

build_dir=${GANCRAFT_ASAN_BUILD_DIR:-build-asan}
torch_args=()
gancraft_cmake_args torch_args
targets=(test_data test_io test_core)
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# RelWithDebInfo: -O2 keeps the tests fast enough, -g gives file:line in reports.
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGANCRAFT_CHECK_HEADERS=OFF \
  -DGANCRAFT_BUILD_EXAMPLES=OFF -DGANCRAFT_BUILD_TOOLS=OFF -DGANCRAFT_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" "${torch_args[@]}" >/dev/null
cmake --build "$build_dir" -j "${GANCRAFT_ASAN_JOBS:-$(nproc)}" --target "${targets[@]}"

gancraft_thread_env
# detect_leaks=0: LibTorch keeps global allocations alive at exit by design. (No ODR-violation
# or LD_PRELOAD workaround is needed: the ASan runtime is linked into the test executables and
# LibTorch 1.13's shared libraries load under it cleanly.)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  echo "== $t (ASan + UBSan)"
  (cd "$build_dir/tests" && "./$t" "$@") || { echo "sanitize.sh: $t FAILED" >&2; status=1; }
done
exit $status
