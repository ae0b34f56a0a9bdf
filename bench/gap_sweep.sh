#!/usr/bin/env bash
# Benchmark: `splitsecond gap-sweep` with 10 gaps x 10 repetitions (100 labs of the built-in
# flicker, the default gaps from 50 ms to 5 s) on this machine. Prints the total time and labs
# per minute (the issue's target: the 100 labs within 2 minutes on 2 cores), the labs that gave
# no record, and whether any lab namespace was left behind. Run as root.
# Usage: bench/gap_sweep.sh [--jobs N] [--reps R] [--client NAME] [--keep DIR] [--bin PATH]
#   --jobs    concurrent labs (default: gap-sweep's own default, the number of cores)
#   --keep    copy the sweep record and plot (sweep.json, sweep.svg) into DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../build/src/cli/splitsecond
jobs="" reps=10 client="" keep=""
while [ $# -gt 0 ]; do
  case $1 in
  --jobs) jobs=$2; shift ;;
  --reps) reps=$2; shift ;;
  --client) client=$2; shift ;;
  --keep) keep=$2; shift ;;
  --bin) bin=$2; shift ;;
  *) echo "usage: $0 [--jobs N] [--reps R] [--client NAME] [--keep DIR] [--bin PATH]" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "$0: run as root (the lab builds namespaces)" >&2; exit 3; }
[ -x "$bin" ] || { echo "$0: no splitsecond at $bin (build it, or give --bin)" >&2; exit 3; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(gap-sweep flicker --reps "$reps" --json "$tmp/sweep.json" --svg "$tmp/sweep.svg")
[ -n "$jobs" ] && args+=(--jobs "$jobs")
[ -n "$client" ] && args+=(--client "$client")
ns_before=$(ip netns list | grep -c '^ss-')
echo "cores: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
# Bounded: gap-sweep bounds each lab itself; this bounds the whole (SIGINT, then SIGKILL).
timeout -s INT -k 60 1800 "$bin" "${args[@]}" >"$tmp/out" 2>"$tmp/err"
rc=$?
end=$(date +%s.%N)
cat "$tmp/out"
echo "exit $rc; wall clock $(echo "$end - $start" | bc) s (measured outside the process)"
grep -v ': ok in ' "$tmp/err" | tail -n 20
if [ -s "$tmp/sweep.json" ]; then
  python3 - "$tmp/sweep.json" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
items = d["items"]
secs = [i["seconds"] for i in items]
late = [i["carrier_up_at_us"] - i["gap_us"] for i in items if i["carrier_up_at_us"] is not None]
print(f"labs: {len(items)}, without a record: {sum(i['status'] != 'ok' for i in items)}, "
      f"jobs: {d['jobs']}, wall: {d['wall_s']:.1f} s, {60 * len(items) / d['wall_s']:.1f} labs/min")
print(f"one lab: median {statistics.median(secs):.1f} s, max {max(secs):.1f} s")
if late:
    print(f"carrier-up after its gap: median {statistics.median(late) / 1000:.2f} ms, "
          f"max {max(late) / 1000:.2f} ms")
PY
fi
if [ -n "$keep" ]; then mkdir -p "$keep" && cp "$tmp"/sweep.json "$tmp"/sweep.svg "$keep"/; fi
ns_after=$(ip netns list | grep -c '^ss-')
echo "lab namespaces before: $ns_before, after: $ns_after"
exit $rc
