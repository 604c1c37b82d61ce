#!/usr/bin/env bash
# The cost of calibrations (issue 11), measured in one run on this machine:
#   1. Dest1's calibration as docs/CALIBRATION.md runs it (1000 particles, 2 threads): wall time,
#      runs, and per generation the tolerance, proposals and acceptance rate;
#   2. the known-posterior check (binomial, 2000 particles, exact matching), 1 and 2 threads;
#   3. the same Dest1 calibration's first generations under mpirun -np 2 x 1 thread.
# Usage: bench/bench_calibration.sh   (run from the repository, after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
essaim=${ESSAIM:-build/apps/essaim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
dest1=(calibrate scenarios/dest1.toml --space scenarios/dest1-calibration-space.toml
       --targets scenarios/dest1-calibration-targets.toml --quiet)
timed() {  # prints the command's stdout, then its wall seconds
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "wall %.1f s\n", b - a }'
}
echo "== Dest1, 1000 particles, 2 threads (docs/CALIBRATION.md) =="
timed "$essaim" "${dest1[@]}" --particles 1000 --threads 2 --max-generations 15 \
    --min-acceptance 0.015 -o "$tmp/dest1.h5" | sed -n '2,/^stopped/p'
printf '[[target]]\nkpi = "successes"\nvalue = 18\nscale = 1\n' > "$tmp/binomial.toml"
for threads in 1 2; do
    echo "== binomial, 2000 particles, --final-tolerance 0, $threads thread(s) =="
    timed "$essaim" calibrate --model binomial --targets "$tmp/binomial.toml" --particles 2000 \
        --final-tolerance 0 --threads $threads --no-output -q | grep -E "^stopped|^wall|^p "
done
if command -v mpirun >/dev/null; then
    echo "== Dest1, 500 particles, 6 generations: 1 process x 2 threads, then mpirun -np 2 x 1 =="
    timed "$essaim" "${dest1[@]}" --particles 500 --threads 2 --max-generations 6 --no-output \
        | grep -E "^stopped|^wall"
    timed "${mpirun[@]}" -np 2 "$essaim" "${dest1[@]}" --particles 500 --threads 1 \
        --max-generations 6 --no-output | grep -E "^stopped|^wall"
fi
