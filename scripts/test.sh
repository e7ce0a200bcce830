#!/usr/bin/env bash
# Installs dependencies, configures (Release), builds everything and runs every CTest test.
# Usage: scripts/test.sh [extra ctest args]   Build dir: $GANCRAFT_BUILD_DIR (default build/).
# Extra configure arguments: $GANCRAFT_CMAKE_ARGS, e.g. "-DGANCRAFT_CHECK_HEADERS=OFF".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh

build_dir=${GANCRAFT_BUILD_DIR:-build}
jobs=$(nproc)
# shellcheck disable=SC2086 # GANCRAFT_CMAKE_ARGS is a list of arguments.
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release ${GANCRAFT_CMAKE_ARGS:-}
cmake --build "$build_dir" -j "$jobs"

# One thread per test process: parallel tests neither oversubscribe the cores nor vary in result.
# shellcheck source=scripts/env.sh
source scripts/env.sh
gancraft_thread_env
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" "$@"
