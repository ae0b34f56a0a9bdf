#!/usr/bin/env bash
# Installs what is needed, builds, and runs the default experiment: a real WireGuard
# full tunnel in network namespaces, disconnected, recorded layer by layer.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "scripts/try.sh: run as root (the lab builds namespaces)" >&2; exit 3; }
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
exec build/src/cli/splitsecond run "$@"
