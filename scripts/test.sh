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

# ctest, failing on any test that was skipped or did not run: a missing tool or privilege is
# an install bug, never a pass.
run_ctest() {
  local log
  log=$(mktemp)
  set +e
  ctest --no-tests=error "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  if grep -qE 'The following tests did not run|\*\*\*Skipped|Not Run' "$log"; then
    echo "scripts/test.sh: some tests were skipped or did not run (see above): failing" >&2
    rc=1
  fi
  rm -f "$log"
  return "$rc"
}

echo "== unit tests (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_ctest --test-dir build-asan -L unit --output-on-failure -j"$jobs"
echo "== unit and lab tests"
run_ctest --test-dir build --output-on-failure --timeout 300
echo "== stress: concurrent labs and repeated claims (bench/stress.sh --quick)"
bench/stress.sh --quick --bin build/src/cli/splitsecond
