#!/usr/bin/env bash
# Set up, build, and run the whole test suite (unit, property and end-to-end tests) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "${ESSAIM_SANITIZE:-0}" = 1 ]; then
  # Under the sanitizers every error aborts the test; the slow statistical comparison with the
  # reference implementation adds nothing there, and Open MPI's own allocations (never freed by
  # design) would read as leaks in the MPI test.
  export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)" -E 'reference|mpi' "$@"
else
  ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
fi
