#!/usr/bin/env bash
# Trains the default DCGAN on Fashion-MNIST on the CPU through the gancraft tool (about 5
# minutes of training on a 2-core machine, after a one-time install and build) and leaves a
# run directory with sample grids, metrics, checkpoints and report.html.
#
#   scripts/demo.sh                                   # runs/demo-YYYYmmdd-HHMMSS/
#   scripts/demo.sh --set trainer.steps=20000         # train longer (any config key)
#   scripts/demo.sh --out runs/demo-… --resume --set trainer.steps=30000   # continue a run exactly
#
# LibTorch: GANCRAFT_LIBTORCH=wheel (default) | system | DIR, as for every script (scripts/env.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

scripts/deps.sh

build_dir=$(gancraft_build_dir)
torch_args=()
gancraft_cmake_args torch_args
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "${torch_args[@]}" >/dev/null
cmake --build "$build_dir" --target gancraft_cli -j "$(nproc)"

args=("$@")
out="" resume=0
for ((i = 0; i < ${#args[@]}; ++i)); do
  [[ ${args[i]} == --out ]] && out=${args[i + 1]:-}
  [[ ${args[i]} == --resume ]] && resume=1
done
if ((resume)); then
  # Continue the run with its own resolved config (and any --set given now).
  [[ -n $out ]] || { echo "demo.sh: --resume needs --out DIR (the run to continue)" >&2; exit 2; }
  config=()
else
  config=(--config configs/fashion_mnist_dcgan.json)
  if [[ -z $out ]]; then
    out="runs/demo-$(date +%Y%m%d-%H%M%S)"
    args+=(--out "$out")
  fi
fi
status=0
"$build_dir/tools/gancraft" train "${config[@]}" "${args[@]}" || status=$?
if [[ -f $out/report.html ]]; then
  echo
  echo "Samples:  $out/samples/"
  echo "Report:   $out/report.html   (open it in a browser)"
fi
exit "$status"
