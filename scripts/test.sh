#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: unit tests (plain and with
# ASan+UBSan) and the lab tests (as root, in real network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "scripts/test.sh: run as root (the lab tests build namespaces)" >&2; exit 3; }
scripts/deps.sh
jobs=$(nproc)

echo "== formatting (.clang-format)"
find src tests bench \( -name '*.cpp' -o -name '*.hpp' \) -print0 | xargs -0 clang-format --dry-run -Werror

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
# The sanitizer build needs only the unit tests.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSPLITSECOND_SANITIZE=ON -DSPLITSECOND_BENCH=OFF >/dev/null
unit_targets=$(cmake --build build-asan --target help | awk '/^\.\.\. unit_/ {print $2}')
cmake --build build-asan -j"$jobs" --target $unit_targets

echo "== unit tests (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j"$jobs"
echo "== unit and lab tests"
ctest --test-dir build --output-on-failure --timeout 300
