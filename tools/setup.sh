#!/usr/bin/env bash
# Installs the Debian 12 packages pkusim needs (only those missing), then
# configures and builds a preset (default: release). Nothing is downloaded
# but Debian packages.
#   tools/setup.sh [release|debug|asan|fuzz]
set -euo pipefail
preset=${1:-release}
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(cmake ninja-build g++ pkg-config libboost-program-options-dev nlohmann-json3-dev catch2
          libfmt-dev zlib1g-dev liblzma-dev libzstd-dev valgrind python3 python3-matplotlib
          slurm-wlm parallel)
# The libFuzzer targets need clang and its runtime.
[ "$preset" = fuzz ] && packages+=(clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

cd "$here"
extra=()
[ "${PKUSIM_WERROR:-}" = 1 ] && extra+=(-DPKUSIM_WERROR=ON)
cmake --preset "$preset" "${extra[@]}" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
