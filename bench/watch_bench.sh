#!/usr/bin/env bash
# `splitsecond watch` under load and at rest (issue 10's speed targets): in a namespace of its
# own, how much of a core the watch uses when nothing happens, and whether it keeps up with a
# route flood of N changes (default 10,000) added as fast as `ip -batch` can: the rate reached,
# the route events streamed, and the events the kernel dropped (ENOBUFS, counted by the watch).
#   sudo bench/watch_bench.sh [N_ROUTES] [IDLE_SECONDS] [WRITERS]
# WRITERS (default 4) `ip -batch` processes add the routes at once: one alone tops out near
# 3,000-10,000 changes/s, depending on the machine's load.
# Touches only a namespace it creates (ssbench-<pid>-w) and removes it on every exit path.
set -euo pipefail
N=${1:-10000}
IDLE=${2:-10}
WRITERS=${3:-4}
BIN=${SPLITSECOND:-$(dirname "$0")/../build/src/cli/splitsecond}
[ "$(id -u)" = 0 ] || { echo "watch_bench.sh: run as root (it creates a namespace)" >&2; exit 3; }
[ -x "$BIN" ] || { echo "watch_bench.sh: no binary at $BIN (build first)" >&2; exit 3; }
ns=ssbench-$$-w
work=$(mktemp -d /tmp/splitsecond-watch-bench.XXXXXX)
watch_pid=
cleanup() {
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null && wait "$watch_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add en0 type veth peer en1  # no dummy driver in every kernel (LAB-NOTES)
ip -n "$ns" link set en1 up
ip -n "$ns" addr add 192.0.2.2/24 dev en0
ip -n "$ns" addr add 2001:db8:1::2/64 dev en0 nodad
ip -n "$ns" link set en0 up

out=$work/watch.ndjson
"$BIN" watch --netns "$ns" --ndjson "$out" --quiet >"$work/watch.log" 2>&1 &
watch_pid=$!
for ((i = 0; i < 500; i++)); do  # bounded: 10 s
  grep -q '"started"' "$out" 2>/dev/null && break
  sleep 0.02
done
grep -q '"started"' "$out" || { echo "watch never started:"; cat "$work/watch.log"; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$watch_pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); s0=$(date +%s.%N)
sleep "$IDLE"
t1=$(ticks); s1=$(date +%s.%N)
idle_pct=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s0="$s0" -v s1="$s1" \
  'BEGIN { printf "%.3f", 100 * (b - a) / hz / (s1 - s0) }')
echo "idle: $idle_pct% of one core over ${IDLE} s (target < 1%; $((t1 - t0)) ticks at $hz/s)"

for ((i = 0; i < N; i++)); do
  printf 'route add 2001:db8:%x:%x::/64 dev en0\n' $((i / 256 + 1)) $((i % 256)) \
    >>"$work/flood.$((i % WRITERS))"
done
pids=()
f0=$(date +%s%N)
for ((w = 0; w < WRITERS && w < N; w++)); do ip -n "$ns" -batch "$work/flood.$w" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
f1=$(date +%s%N)
ip -n "$ns" route add 2001:db8:ffff::/64 dev en0  # the marker: seen means the watch kept reading
for ((i = 0; i < 3000; i++)); do  # bounded: 60 s
  grep -q '2001:db8:ffff::/64' "$out" && break
  sleep 0.02
done
kill -INT "$watch_pid"
wait "$watch_pid" || true
watch_pid=
python3 - "$out" "$N" "$f0" "$f1" <<'PY'
import json, sys
path, n, f0, f1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lines = [json.loads(l) for l in open(path) if l.strip()]
seen = sum(1 for j in lines if j.get("type") == "event" and j.get("layer") == "route"
           and j.get("kind") == "added" and j["detail"].get("dst", "").startswith("2001:db8:")
           and j["detail"]["dst"] != "2001:db8:ffff::/64")
marker = any(j.get("type") == "event" and j.get("detail", {}).get("dst") == "2001:db8:ffff::/64"
             for j in lines)
summary = lines[-1] if lines and lines[-1].get("type") == "summary" else {}
secs = (f1 - f0) / 1e9
print(f"flood: {n} route changes in {secs:.3f} s ({n / secs:,.0f}/s); the watch streamed {seen}, "
      f"the kernel dropped {summary.get('netlink_lost', '?')} announcements "
      f"(ENOBUFS, counted), {summary.get('resyncs', '?')} resyncs; kept reading after: {marker}")
lost = summary.get("netlink_lost", 0)
print("verdict:", "no event lost" if seen == n and lost == 0 else
      ("losses counted, none silent" if lost else "EVENTS MISSING WITHOUT A COUNT"))
sys.exit(0 if marker and (seen == n or lost) else 1)
PY
