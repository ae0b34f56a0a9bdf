#!/usr/bin/env bash
# Throughput through the tunnel with and without our kill switch, side by side in ONE lab
# (issue 9: with it >= 98% of without). splitsecond builds the lab and its WireGuard tunnel (the
# reference client, no kill switch of its own, no probes) and records for a long window; this
# script then runs Debian's iperf3: its server in the lab's server namespace, its client in the
# client namespace through the tunnel, in rounds that alternate the kill switch on (our table,
# state connected, applied by `splitsecond killswitch on` inside the client namespace, exactly
# the ruleset the lab applies) and off (`killswitch off`). It prints each round, the medians and
# the ratio on/off, then ends the lab (SIGINT: its own teardown) and the iperf3 server, by pid.
#   bench/killswitch_throughput.sh [ROUNDS] [SECONDS] [path/to/splitsecond]
#   ROUNDS: on/off pairs (default 5); SECONDS: each iperf3 run (default 3). Needs root.
set -euo pipefail
ROUNDS=${1:-5}
SECS=${2:-3}
BIN=$(realpath "${3:-$(dirname "$0")/../build/src/cli/splitsecond}")
[ "$(id -u)" = 0 ] || { echo "$0: run as root (the lab builds namespaces)" >&2; exit 3; }
command -v iperf3 >/dev/null || { echo "$0: iperf3 is missing (apt-get install iperf3)" >&2; exit 3; }
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 50 ]] || { echo "$0: ROUNDS: 1..50" >&2; exit 2; }
[[ $SECS =~ ^[0-9]+$ && $SECS -ge 1 && $SECS -le 30 ]] || { echo "$0: SECONDS: 1..30" >&2; exit 2; }

work=$(mktemp -d /tmp/splitsecond-ks-throughput.XXXXXX)
lab_pid="" iperf_pid="" c=""
finish() {
  # the iperf3 server (by its pid), then the lab (SIGINT: splitsecond tears it down)
  [ -n "$iperf_pid" ] && kill "$iperf_pid" 2>/dev/null && wait "$iperf_pid" 2>/dev/null || true
  if [ -n "$lab_pid" ]; then
    kill -INT "$lab_pid" 2>/dev/null || true
    for ((t = 0; t < 300; t++)); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$lab_pid" 2>/dev/null && kill -KILL "$lab_pid" 2>/dev/null
    wait "$lab_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap finish EXIT

# The lab records for at most 60 s (a scenario's longest window): every round (two iperf3 runs
# and the kill switch's changes, about SECONDS + 2 s each) must fit in it.
((ROUNDS * 2 * (SECS + 2) <= 50)) ||
  { echo "$0: ROUNDS x 2 x (SECONDS + 2 s) must fit in the lab's 60 s window (<= 50 s)" >&2; exit 2; }
# Without a timeline a run disconnects at t=0: this one's only event is a 1 s flicker at t=0
# (the carrier lost on the client's link; the reference client keeps its tunnel, WireGuard
# carries on when the link is back). The rounds start once it is over.
printf 'name = "ks-throughput"\n[record]\nbefore = "500ms"\nwindow = "60s"\n%b%b' \
  '[[timeline]]\nat = "0ms"\naction = "carrier-down"\n' \
  '[[timeline]]\nat = "1s"\naction = "carrier-up"\n' >"$work/lab.toml"
before=$(ls /run/netns 2>/dev/null || true)
"$BIN" run "$work/lab.toml" --killswitch none >"$work/lab.out" 2>"$work/lab.err" &
lab_pid=$!

# The lab's client namespace (new since we started), then its tunnel answering (bounded, 60 s).
for ((t = 0; t < 600; t++)); do
  c=$(comm -13 <(echo "$before" | sort) <(ls /run/netns 2>/dev/null | sort) | grep -- '-client$' || true)
  [ -n "$c" ] && break
  kill -0 "$lab_pid" 2>/dev/null || { cat "$work/lab.err" >&2; exit 3; }
  sleep 0.1
done
[ -n "$c" ] || { echo "$0: no client namespace within 60 s" >&2; exit 3; }
s=${c%-client}-server
ip netns exec "$s" iperf3 -s -B 198.51.100.10 -p 5201 >"$work/iperf-server.log" 2>&1 &
iperf_pid=$!
# The tunnel is up when the server is routed through tun0 and a TCP connect through it (to the
# iperf3 server) succeeds (bounded, 60 s).
up() {
  ip -n "$c" route get 198.51.100.10 2>/dev/null | grep -q ' dev tun0 ' &&
    ip netns exec "$c" timeout 2 bash -c 'exec 3<>/dev/tcp/198.51.100.10/5201' 2>/dev/null
}
# t=0: en0 loses its carrier, then has it again (bounded, 60 s each).
for want in NO-CARRIER LOWER_UP; do
  for ((t = 0; t < 6000; t++)); do
    ip -n "$c" link show en0 2>/dev/null | grep -q "[<,]$want[,>]" && break
    kill -0 "$lab_pid" 2>/dev/null || { cat "$work/lab.err" >&2; exit 3; }
    sleep 0.01
  done
done
for ((t = 0; t < 600; t++)); do
  up && break
  kill -0 "$lab_pid" 2>/dev/null || { cat "$work/lab.err" >&2; exit 3; }
  sleep 0.1
done
up || { echo "$0: the tunnel did not carry a TCP connection within 60 s" >&2; exit 3; }

ks() {
  if [ "$1" = on ]; then
    ip netns exec "$c" "$BIN" killswitch on --endpoint 198.51.100.1:51820/udp --tunnel tun0 \
      --tunnel-addr 10.8.0.42 --dns 10.8.0.1 >/dev/null
    ip netns exec "$c" nft list table inet splitsecond_killswitch >/dev/null ||
      { echo "$0: the kill switch is not in place" >&2; exit 1; }
  else
    ip netns exec "$c" "$BIN" killswitch off >/dev/null
    ! ip netns exec "$c" nft list table inet splitsecond_killswitch >/dev/null 2>&1 ||
      { echo "$0: the kill switch is still in place" >&2; exit 1; }
  fi
}

# One iperf3 run (TCP, client -> server through the tunnel): the receiver's bits per second.
measure() {
  ip -n "$c" route get 198.51.100.10 | grep -q ' dev tun0 ' ||
    { echo "$0: the server is no longer routed through tun0" >&2; exit 1; }
  ip netns exec "$c" iperf3 -c 198.51.100.10 -p 5201 -t "$SECS" -J >"$work/run.json" ||
    { echo "$0: iperf3 failed:" >&2; cat "$work/run.json" >&2; exit 1; }
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"])' \
    "$work/run.json"
}

echo "lab $c: iperf3 TCP through tun0 (WireGuard, wireguard-go), $ROUNDS rounds of ${SECS} s each way"
on=() off=()
for ((r = 1; r <= ROUNDS; r++)); do
  # alternate which goes first, so that a drift in the machine's load hits both alike
  order="off on"; ((r % 2 == 0)) && order="on off"
  for k in $order; do
    ks "$k"
    bps=$(measure)
    printf 'round %d  kill switch %-3s  %8.1f Mbit/s\n' "$r" "$k" "$(echo "$bps / 1000000" | bc -l)"
    if [ "$k" = on ]; then on+=("$bps"); else off+=("$bps"); fi
  done
done
ks off
python3 - "${#on[@]}" "${on[@]}" "${off[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1]); v = [float(x) for x in sys.argv[2:]]
on, off = v[:n], v[n:]
mon, moff = statistics.median(on), statistics.median(off)
print(f"median with our kill switch:    {mon / 1e6:8.1f} Mbit/s  (min {min(on) / 1e6:.1f}, max {max(on) / 1e6:.1f})")
print(f"median without:                 {moff / 1e6:8.1f} Mbit/s  (min {min(off) / 1e6:.1f}, max {max(off) / 1e6:.1f})")
print(f"ratio (with / without):         {100 * mon / moff:8.1f} %  (target >= 98 %)")
PY
