#!/usr/bin/env bash
# Trains the default DCGAN on Fashion-MNIST on the CPU (about 5 minutes of training on a
# 2-core machine, after a one-time install and build) and leaves a run directory with sample
# grids, metrics and checkpoints.
#
#   scripts/demo.sh                       # runs/demo-YYYYmmdd-HHMMSS/
#   scripts/demo.sh --steps 20000         # train longer (any dcgan_fashion_mnist option)
#   scripts/demo.sh --out runs/long --steps 30000 --resume   # continue a run
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh

build_dir=${GANCRAFT_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" --target dcgan_fashion_mnist -j "$(nproc)"

args=("$@")
if [[ " ${args[*]-} " != *" --out "* ]]; then
  args+=(--out "runs/demo-$(date +%Y%m%d-%H%M%S)")
fi
"$build_dir/examples/dcgan_fashion_mnist" "${args[@]}"
