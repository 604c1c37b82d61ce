#!/usr/bin/env bash
# The experiment engine's costs (issue 8), measured in one run on this machine:
#   1. 200 replications of dest1.toml, --engine daily: essaim 0.1 (a binary built from commit
#      6451e09, if given as $1) against this essaim with its unit store on disk;
#   2. 1 process x 2 threads against mpirun -np 2 x 1 thread;
#   3. the coordinator's overhead per unit: 20,000 units of the ishigami model (a few
#      microseconds of work each), 1 process against 2 ranks.
# Usage: bench/bench_experiment.sh [OLD_ESSAIM]   (run from the repository, after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
new=${ESSAIM:-build/apps/essaim}  # the binary to measure
old=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# --bind-to none: rank 0 runs a coordinator beside its computing thread; bound to one core each
# (Open MPI's default for 2 ranks), they would share it.
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
seconds() {  # wall seconds of a command, its output discarded
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }' 
}
scenario=scenarios/dest1.toml
args=(ensemble "$scenario" -r 200 --engine daily --summary-only -q)
echo "== 200 replications of dest1.toml, --engine daily, --summary-only file =="
if [ -n "$old" ]; then
    for threads in 1 2; do
        echo "essaim 0.1 (no store), $threads thread(s): $(seconds "$old" ensemble "$scenario" -r 200 --summary-only -q --threads $threads -o "$tmp/old.h5") s"
    done
fi
for threads in 1 2; do
    echo "this essaim (store on disk), $threads thread(s): $(seconds "$new" "${args[@]}" --threads $threads -o "$tmp/new.h5") s"
done
echo "this essaim, no file (store in memory), 2 threads: $(seconds "$new" "${args[@]}" --threads 2 --no-output) s"
echo
echo "== 1 process x 2 threads against 2 MPI ranks x 1 thread (same command, store on disk) =="
echo "1 process x 2 threads: $(seconds "$new" "${args[@]}" --threads 2 -o "$tmp/p.h5") s"
echo "mpirun -np 2 x 1 thread: $(seconds "${mpirun[@]}" -np 2 "$new" "${args[@]}" --threads 1 -o "$tmp/m.h5") s"
echo
echo "== coordinator overhead: 20000 ishigami units (no file) =="
ish=(ensemble --model ishigami --set noise_sd=1 -r 20000 -q --no-output)
t1=$(seconds "$new" "${ish[@]}" --threads 1)
t2=$(seconds "${mpirun[@]}" -np 2 "$new" "${ish[@]}" --threads 1)
echo "1 process, 1 thread: $t1 s; mpirun -np 2: $t2 s (includes MPI start-up, about 0.3 s)"
awk -v a="$t1" -v b="$t2" 'BEGIN { printf "per unit: %.1f us in one process, %.1f us with 2 ranks\n", a * 50, b * 50 }' 
