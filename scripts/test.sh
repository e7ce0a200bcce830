#!/usr/bin/env bash
# Installs dependencies, configures (Release), builds everything and runs every CTest test.
# Usage: scripts/test.sh [extra ctest args]
# LibTorch: GANCRAFT_LIBTORCH=wheel (default) | system | DIR (scripts/env.sh). Build dir:
# $GANCRAFT_BUILD_DIR (default build/ for the wheel, build-system/ for Debian's LibTorch).
# Extra configure arguments: $GANCRAFT_CMAKE_ARGS, e.g. "-DGANCRAFT_CHECK_HEADERS=OFF".
# Build targets: $GANCRAFT_BUILD_TARGETS (default: all).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

scripts/deps.sh

build_dir=$(gancraft_build_dir)
torch_args=()
gancraft_cmake_args torch_args
jobs=$(nproc)
# shellcheck disable=SC2086 # GANCRAFT_CMAKE_ARGS is a list of arguments.
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "${torch_args[@]}" ${GANCRAFT_CMAKE_ARGS:-}
targets=()
for t in ${GANCRAFT_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j "$jobs" "${targets[@]}"

# One thread per test process: parallel tests neither oversubscribe the cores nor vary in result.
gancraft_thread_env
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" "$@"
