#!/usr/bin/env bash
# Two machines on one host: network namespaces joined by a veth pair, one rank each, started by
# `gancraft launch --nnodes 2`. Checks that
#  (a) without GLOO_SOCKET_IFNAME, on a machine whose hostname resolves to a loopback address,
#      each rank finds the address that routes to MASTER_ADDR, says so, and the job trains
#      (rank 0 writes the run);
#  (b) when the other machine's rank never comes to the rendezvous, or dies in the middle of
#      training, rank 0 ends with the communication-error status 3 instead of hanging.
# Needs root (ip netns, unshare --uts); exits 77 (CTest: not run, with this reason) otherwise.
# Usage: netns_test.sh GANCRAFT_CLI WORK_DIR
set -euo pipefail
trap 'echo "netns_test: line $LINENO failed: $BASH_COMMAND" >&2' ERR
cli=$1 work=$2
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
unset GLOO_SOCKET_IFNAME
a=gc-a-$$ b=gc-b-$$ port=$((29700 + $$ % 200))
rm -rf "$work" && mkdir -p "$work"
cleanup() {
  local pids
  pids=$(jobs -p)
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  ip netns pids "$a" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  ip netns pids "$b" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT
if [[ $(id -u) -ne 0 ]] || ! ip netns add "$a" 2>"$work/netns.log"; then
  echo "netns_test: not run: cannot create network namespaces here (needs root and iproute2): $(cat "$work/netns.log" 2>/dev/null)"
  exit 77
fi
ip netns add "$b"
ip link add "veth-a$$" netns "$a" type veth peer name "veth-b$$" netns "$b"
ip -n "$a" addr add 10.231.0.1/24 dev "veth-a$$"
ip -n "$b" addr add 10.231.0.2/24 dev "veth-b$$"
for ns in "$a" "$b"; do
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "veth-$([[ $ns == "$a" ]] && echo a || echo b)$$" up
done
# As on a stock Debian machine: the hostname resolves to a loopback address.
on() {  # on NAMESPACE command...: runs it in NAMESPACE with hostname "localhost"
  local ns=$1; shift
  ip netns exec "$ns" unshare --uts bash -c 'hostname localhost && exec "$@"' -- "$@"
}
cat > "$work/ring.json" <<'JSON'
{"model": {"kind": "mlp", "latent_dim": 4, "hidden": 32},
 "data": {"kind": "ring", "samples": 1000},
 "trainer": {"batch_size": 50, "steps": 40},
 "hooks": {"progress": false, "log_every": 5, "checkpoint_every": 20}}
JSON
launch() {  # launch NAMESPACE NODE_RANK TIMEOUT OUT
  on "$1" "$cli" launch --nproc 1 --nnodes 2 --node-rank "$2" --master-addr 10.231.0.1 \
    --master-port "$port" --timeout "$3" -- "$cli" train --config "$work/ring.json" --out "$4"
}

echo "--- (a) two machines train"
status_a=0 status_b=0
launch "$a" 0 60 "$work/run" > "$work/a.log" 2>&1 & pid_a=$!
launch "$b" 1 60 "$work/run-b" > "$work/b.log" 2>&1 & pid_b=$!
wait "$pid_a" || status_a=$?
wait "$pid_b" || status_b=$?
cat "$work/a.log" "$work/b.log"
((status_a == 0 && status_b == 0)) || { echo "netns_test: the ranks exited with $status_a and $status_b"; exit 1; }
grep -q "using 10.231.0.1, the local address of the route to MASTER_ADDR" "$work/a.log"
grep -q "using 10.231.0.2, the local address of the route to MASTER_ADDR" "$work/b.log"
[[ -d $work/run/checkpoints/step-000040 ]]
[[ ! -e $work/run-b/checkpoints ]]  # rank 1 writes nothing

echo "--- (b1) the other machine never comes"
port=$((port + 1))
status=0
timeout 120 bash -c "$(declare -f on launch); cli=$cli work=$work port=$port; launch $a 0 10 $work/alone" \
  > "$work/alone.log" 2>&1 || status=$?
cat "$work/alone.log"
((status != 124)) || { echo "netns_test: rank 0 hung for 120 s with a timeout of 10 s"; exit 1; }
((status == 3)) || { echo "netns_test: expected the communication-error status 3, got $status"; exit 1; }
grep -q "rendezvous at 10.231.0.1:$port" "$work/alone.log"

echo "--- (b2) the other machine's rank dies in the middle of training"
port=$((port + 1))
status=0
long=(--set trainer.steps=1000000)
timeout 120 bash -c "$(declare -f on); on $a $cli launch --nproc 1 --nnodes 2 --node-rank 0 --master-addr 10.231.0.1 --master-port $port --timeout 10 -- $cli train --config $work/ring.json --out $work/dies ${long[*]}" \
  > "$work/dies.log" 2>&1 & pid_a=$!
on "$b" "$cli" launch --nproc 1 --nnodes 2 --node-rank 1 --master-addr 10.231.0.1 --master-port "$port" \
  --timeout 10 -- "$cli" train --config "$work/ring.json" --out "$work/dies-b" "${long[@]}" > "$work/dies-b.log" 2>&1 & pid_b=$!
for _ in $(seq 100); do [[ -s $work/dies/metrics.jsonl ]] && break; sleep 0.2; done  # training has begun
ip netns pids "$b" | xargs -r kill -KILL  # every process of the other machine
wait "$pid_b" || true
wait "$pid_a" || status=$?
cat "$work/dies.log"
((status != 124)) || { echo "netns_test: rank 0 hung for 120 s after its peer died (timeout 10 s)"; exit 1; }
((status == 3)) || { echo "netns_test: expected the communication-error status 3, got $status"; exit 1; }
echo "netns_test: passed"
