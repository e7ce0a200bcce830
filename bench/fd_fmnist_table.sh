#!/usr/bin/env bash
# FD-FMNIST of a DCGAN run at each of its checkpoints, plus the floor (the real test set against
# the training set), as the Markdown rows of docs/benchmarks.md.
#
#   bench/fd_fmnist_table.sh [RUN_DIR] [GANCRAFT]
#
# Without RUN_DIR it first trains the demo configuration for 5000 steps with a checkpoint every
# 500 (about 11 minutes on an idle 2-core machine) into build/fd_fmnist_run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gancraft="${2:-$root/build/tools/gancraft}"
run="${1:-}"
if [[ -z "$run" ]]; then
  run="$root/build/fd_fmnist_run"
  if [[ ! -d "$run/checkpoints" ]]; then
    "$gancraft" train --config "$root/configs/fashion_mnist_dcgan.json" --out "$run" \
      --set trainer.steps=5000 --set hooks.checkpoint_every=500 --set hooks.keep_last=0 \
      --set hooks.progress=false
  fi
fi
echo "| generator updates | FD-FMNIST (10,000 samples vs the 60,000 training images) |"
echo "|---:|---:|"
for dir in "$run"/checkpoints/step-*; do
  step=$((10#${dir##*step-}))
  fd=$("$gancraft" eval fd-fmnist --run "$run" --checkpoint "$step" --n 10000 --seed 0 |
       python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["fd_fmnist"])')
  echo "| $step | $fd |"
done
floor=$("$gancraft" eval fd-fmnist --split test |
        python3 -c 'import json,sys; print("%.3f" % json.load(sys.stdin)["fd_fmnist"])')
echo "| real test set (floor) | $floor |"
