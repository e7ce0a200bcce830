#!/usr/bin/env bash
# Cross-source checkpoint test: a checkpoint written by a gancraft built on one LibTorch is
# resumed by one built on another (the wheel's 2.x and Debian's libtorch-dev), both ways, and
# every restored tensor (weights, buffers, optimizer moments and step counts, learning rates,
# random streams, data order) must equal what the writer held when it saved, bit for bit.
# Usage: cross_source_test.sh THIS_RESUME_TARGET OTHER_RESUME_TARGET WORK_DIR
set -euo pipefail
trap 'echo "cross_source_test: line $LINENO failed: $BASH_COMMAND" >&2' ERR
this=$1 other=$2 work=$3 steps=30
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
rm -rf "$work" && mkdir -p "$work"
run() {  # run WRITER READER NAME
  "$1" train "$work/$3" "$steps" > "$work/$3.log"
  grep -q "^done $steps" "$work/$3.log"
  "$2" dump "$work/$3/checkpoints" "$work/$3-restored.pt"
  "$1" compare "$work/$3/state-at-end.pt" "$work/$3-restored.pt"
}
echo "written by $this, restored by $other:"
run "$this" "$other" this-to-other
echo "written by $other, restored by $this:"
run "$other" "$this" other-to-this
