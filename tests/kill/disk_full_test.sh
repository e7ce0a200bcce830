#!/usr/bin/env bash
# Full-disk test: trains into a small tmpfs until a checkpoint no longer fits, and checks that
#  (a) the process ends with an error naming the file and "No space left on device" (no abort,
#      no stack trace),
#  (b) every checkpoint left on the disk verifies, and no temporary is taken for one,
#  (c) once space is freed, the run resumes from the newest complete checkpoint and ends with
#      weights identical to an uninterrupted run's.
# Needs root to mount a tmpfs; exits 77 (CTest: not run, with this reason) where it cannot.
# Usage: disk_full_test.sh RESUME_TARGET WORK_DIR
set -euo pipefail
trap 'echo "disk_full_test: line $LINENO failed: $BASH_COMMAND" >&2' ERR
bin=$1 work=$2 steps=40
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
mnt=$work/mnt
if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt"; fi
rm -rf "$work" && mkdir -p "$work/ref" "$mnt"
cleanup() { if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt" || true; fi; }
trap cleanup EXIT

"$bin" train "$work/ref" "$steps" > "$work/ref.log"
grep -q "^done $steps" "$work/ref.log"
# One checkpoint's disk usage (KiB, whole pages as on tmpfs), from the reference run's newest.
one=$(du -sk "$(ls -d "$work"/ref/checkpoints/step-* | tail -n 1)" | cut -f1)

# Room for two checkpoints and a half: the third (step 6) cannot be written.
size=$((one * 5 / 2))k
if [[ $(id -u) -ne 0 ]] || ! mount -t tmpfs -o "size=$size" tmpfs "$mnt" 2>"$work/mount.log"; then
  echo "disk_full_test: not run: cannot mount a tmpfs here (needs root): $(cat "$work/mount.log" 2>/dev/null)"
  exit 77
fi
status=0
"$bin" train "$mnt/run" "$steps" > "$work/full.log" 2>&1 || status=$?
cat "$work/full.log"
((status == 1)) || { echo "disk_full_test: expected exit 1 from the error, got $status"; exit 1; }
grep -q "No space left on device" "$work/full.log" || { echo "disk_full_test: the reason is not named"; exit 1; }
grep -q "$mnt/run/checkpoints/" "$work/full.log" || { echo "disk_full_test: the path is not named"; exit 1; }
if grep -qiE "terminate called|Aborted|frame #" "$work/full.log"; then echo "disk_full_test: aborted"; exit 1; fi
"$bin" verify "$mnt/run/checkpoints"
newest=$(ls -d "$mnt"/run/checkpoints/step-* | tail -n 1)
newest_step=$((10#${newest##*step-}))

# Free the space and resume: it must continue from the newest complete checkpoint.
mount -o remount,size=64m "$mnt"
"$bin" train "$mnt/run" "$steps" > "$work/resume.log" 2>&1
head -n 1 "$work/resume.log"
[[ $(head -n 1 "$work/resume.log") == "resumed $newest_step skipped 0" ]] ||
  { echo "disk_full_test: expected to resume at $newest_step"; cat "$work/resume.log"; exit 1; }
result=$("$bin" compare "$work/ref/final.pt" "$mnt/run/final.pt")
echo "disk_full_test: checkpoint ${one} KiB, tmpfs $size, failed at the checkpoint after step $newest_step, resumed: $result"
[[ $result == *identical* ]]
