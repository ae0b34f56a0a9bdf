#!/usr/bin/env bash
# Stress: `splitsecond claims` N times in a row, then R rounds of 4 labs at once (default and
# survival scenarios mixed), each bounded in time. Prints the counts of successes and failures
# and the first lines of each failure's stderr; exits 1 on any failure or on anything a run
# left behind (a namespace, a state directory). Run as root.
# Usage: bench/stress.sh [--quick] [--claims N] [--rounds R] [--bin PATH]
#   --quick   2 claims and 3 rounds (what CI affords); default 20 claims and 50 rounds
set -uo pipefail
claims=20 rounds=50
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../build/src/cli/splitsecond
while [ $# -gt 0 ]; do
  case $1 in
  --quick) claims=2 rounds=3 ;;
  --claims) claims=$2; shift ;;
  --rounds) rounds=$2; shift ;;
  --bin) bin=$2; shift ;;
  *) echo "usage: $0 [--quick] [--claims N] [--rounds R] [--bin PATH]" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "$0: run as root (the lab builds namespaces)" >&2; exit 3; }
[ -x "$bin" ] || { echo "$0: no splitsecond at $bin (build it, or give --bin)" >&2; exit 3; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A bound on each run: SIGINT (the run tears down and exits 130), then SIGKILL 30 s later.
claims_bound=600 run_bound=120
ok=0 failed=0 leftover_rounds=0
declare -a failures=()

# Records the outcome of one finished command: its name, exit status and stderr file.
account() {
  local what=$1 rc=$2 err=$3
  if [ "$rc" = 0 ]; then
    ok=$((ok + 1))
  else
    failed=$((failed + 1))
    failures+=("$what: exit $rc: $(head -n 5 "$err" | sed 's/^/    /')")
    printf '  FAILED %s (exit %s)\n' "$what" "$rc"
  fi
}

# Namespaces and state directories of runs whose process is gone (a run still going, e.g.
# someone else's, has a live owner).
leftovers() {
  local prefix owner
  for prefix in $({ ip netns list | grep -oE '^ss-[0-9a-f]{6}'; ls /run/splitsecond 2>/dev/null |
    grep -E '^ss-[0-9a-f]{6}$'; } | sort -u); do
    owner=$(cut -d' ' -f1 "/run/splitsecond/$prefix/owner" 2>/dev/null)
    [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && continue
    echo "$prefix"
  done | head -n 5
}

start=$(date +%s)
echo "== $claims x claims ($bin)"
for ((i = 1; i <= claims; i++)); do
  timeout -s INT -k 30 $claims_bound "$bin" claims >/dev/null 2>"$tmp/claims.err"
  account "claims #$i" $? "$tmp/claims.err"
done
claims_ok=$ok claims_failed=$failed

echo "== $rounds rounds of 4 labs at once"
scenarios=(disconnect survival disconnect survival)
for ((r = 1; r <= rounds; r++)); do
  pids=()
  for k in 0 1 2 3; do
    timeout -s INT -k 30 $run_bound "$bin" run "${scenarios[$k]}" >/dev/null 2>"$tmp/run$k.err" &
    pids+=($!)
  done
  for k in 0 1 2 3; do
    wait "${pids[$k]}"
    account "round $r run $k (${scenarios[$k]})" $? "$tmp/run$k.err"
  done
  left=$(leftovers)
  if [ -n "$left" ]; then
    leftover_rounds=$((leftover_rounds + 1))
    failures+=("round $r: left behind after all 4 runs exited: $left")
  fi
  ((r % 10 == 0)) && echo "  $r rounds done ($ok ok, $failed failed)"
done

runs_ok=$((ok - claims_ok)) runs_failed=$((failed - claims_failed))
echo
printf 'claims:        %3d ok, %3d failed (of %d)\n' "$claims_ok" "$claims_failed" "$claims"
printf 'concurrent:    %3d ok, %3d failed (of %d runs, %d rounds of 4)\n' "$runs_ok" "$runs_failed" \
  $((rounds * 4)) "$rounds"
printf 'left behind:   %3d rounds\n' "$leftover_rounds"
printf 'elapsed:       %d s\n' $(($(date +%s) - start))
if [ "$failed" -gt 0 ] || [ "$leftover_rounds" -gt 0 ]; then
  echo "failures:"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
