#!/usr/bin/env bash
# Set up, build, and run the whole test suite (unit, property and end-to-end tests) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
