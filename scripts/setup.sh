#!/usr/bin/env bash
# Installs what is missing (Debian packages only) and builds essaim in Release into build/.
# Quick when everything is already there: it asks dpkg first and only then apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkg-config git
  libboost-program-options-dev libboost-random-dev libboost-graph-dev
  libeigen3-dev libtbb-dev libhdf5-dev libssl-dev zlib1g-dev libsqlite3-dev liblz4-dev
  doctest-dev libtomlplusplus-dev librandom123-dev nlohmann-json3-dev libopenmpi-dev openmpi-bin
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

# ESSAIM_SANITIZE=1: a separate build with AddressSanitizer and UndefinedBehaviorSanitizer.
if [ "${ESSAIM_SANITIZE:-0}" = 1 ]; then
  build_dir=build-sanitize
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DESSAIM_BENCH=OFF
         "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer"
         "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined")
else
  build_dir=build
  flags=(-DCMAKE_BUILD_TYPE="${ESSAIM_BUILD_TYPE:-Release}")
fi
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja "${flags[@]}" >/dev/null
fi
cmake --build "$build_dir" -j "$(nproc)"
