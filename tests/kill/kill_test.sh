#!/usr/bin/env bash
# Kill test: SIGKILLs a training process at >= 20 random moments (many inside checkpoint
# writes), resumes after each, and checks that
#  (a) every restart after the first checkpoint resumed from a valid checkpoint, never going back,
#  (b) the final weights equal those of an uninterrupted run, byte for byte,
#  (c) leftover temporaries are never taken for checkpoints (all listed checkpoints verify).
# Usage: kill_test.sh RESUME_TARGET WORK_DIR [KILLS=24] [STEPS=3000]
set -euo pipefail
trap 'echo "kill_test: line $LINENO failed: $BASH_COMMAND" >&2' ERR
bin=$1 work=$2 kills_wanted=${3:-24} steps=${4:-3000}
rm -rf "$work" && mkdir -p "$work/ref" "$work/run"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Kill moments are scaled to this machine's speed, so that the kills use up a quarter to a
# half of the run whether a step takes 1 ms or 10 (CI's 2.13 run finished after 17 of 24
# kills with fixed moments): start-up is timed on a 2-step run, training on the reference.
# The fastest of three probes: the first may load LibTorch from a cold disk cache (12 s once
# in CI, against 0.3 s warm).
startup_ms=
for probe in 1 2 3; do
  t0=$(now_ms)
  "$bin" train "$work/probe$probe" 2 > "$work/probe.log"
  t1=$(now_ms)
  if [[ -z $startup_ms ]] || ((t1 - t0 < startup_ms)); then startup_ms=$((t1 - t0)); fi
done
t1=$(now_ms)
"$bin" train "$work/ref" "$steps" > "$work/ref.log"
t2=$(now_ms)
grep -q "^done $steps" "$work/ref.log"
window_ms=$(((t2 - t1 - startup_ms) / (2 * kills_wanted)))  # mean progress per kill: window / 2 (or more: the probe's start-up includes its exit)
((window_ms >= 40)) || window_ms=40
echo "kill_test: start-up ${startup_ms} ms, reference run $((t2 - t1)) ms, kill window ${startup_ms}+[0,${window_ms}] ms"

RANDOM=12345  # a repeatable pattern of kill times
kills=0 restarts=0 last_step=0 debris_seen=0
while :; do
  "$bin" train "$work/run" "$steps" > "$work/run.log" 2>&1 &
  pid=$!
  if ((kills < kills_wanted)); then
    # Past LibTorch's start-up, into resuming, training and checkpointing.
    ms=$((startup_ms + RANDOM % (window_ms + 1)))
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  fi
  if ((kills < kills_wanted)) && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
  else
    wait "$pid" || { echo "kill_test: the final run failed:"; cat "$work/run.log"; exit 1; }
  fi
  restarts=$((restarts + 1))
  first=$(head -n 1 "$work/run.log" || true)
  case $first in
    "resumed "*)
      step=$(awk '{print $2}' <<<"$first")
      if ((step < last_step)); then echo "kill_test: resumed at $step after reaching $last_step"; exit 1; fi
      last_step=$step ;;
    "start fresh")
      if ((last_step > 0)); then echo "kill_test: started fresh although step $last_step was checkpointed"; exit 1; fi ;;
    "") ;;  # killed before printing anything (during start-up)
    *) echo "kill_test: unexpected start: $first"; cat "$work/run.log"; exit 1 ;;
  esac
  if grep -q "skipping checkpoint" "$work/run.log"; then echo "kill_test: a checkpoint was damaged:"; cat "$work/run.log"; exit 1; fi
  n=0  # a kill during start-up can come before the checkpoint directory exists
  [[ -d $work/run/checkpoints ]] && n=$(find "$work/run/checkpoints" -maxdepth 1 -name '.*' | wc -l)
  debris_seen=$((debris_seen + n))
  if grep -q "^done $steps" "$work/run.log"; then break; fi
done

"$bin" verify "$work/run/checkpoints"
result=$("$bin" compare "$work/ref/final.pt" "$work/run/final.pt")
echo "kill_test: kills=$kills restarts=$restarts last_resume_step=$last_step temp_debris_seen=$debris_seen $result"
((kills >= 20)) || { echo "kill_test: only $kills kills (the run finished too soon)"; exit 1; }
[[ $result == *identical* ]]
