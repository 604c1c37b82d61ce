#!/usr/bin/env bash
# Installs what is missing (Debian packages only) and builds essaim in Release into build/.
# Quick when everything is already there: it asks dpkg first and only then apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkg-config git
  libboost-program-options-dev libboost-random-dev libboost-graph-dev
  libeigen3-dev libtbb-dev libhdf5-dev libssl-dev zlib1g-dev
  doctest-dev libtomlplusplus-dev librandom123-dev nlohmann-json3-dev
  python3 python3-h5py python3-numpy python3-pandas python3-matplotlib
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages; run as root:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
fi

build_type=${ESSAIM_BUILD_TYPE:-Release}
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
fi
cmake --build build -j "$(nproc)"
