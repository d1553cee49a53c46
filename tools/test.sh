#!/usr/bin/env bash
# Builds a preset (default: release) and runs the whole test suite: unit
# tests, the conformance traces, bad-input tests and the differential test.
#   tools/test.sh [release|debug|asan]
set -euo pipefail
preset=${1:-release}
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/tools/setup.sh" "$preset"
cd "$here"
ctest --preset "$preset" -j "$(nproc)"
