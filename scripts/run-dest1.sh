#!/usr/bin/env bash
# The main job: set up, build, run the Dest1 scenario, write the HDF5 file, the summary and the
# report into results/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p results
build/apps/essaim run scenarios/dest1.toml -o results/dest1.h5 "$@" | tee results/dest1-summary.txt
/usr/bin/python3 analysis/report.py results/dest1.h5 -o results/dest1-report.html
echo "results: results/dest1.h5, results/dest1-summary.txt, results/dest1-report.html"
