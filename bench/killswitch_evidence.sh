#!/usr/bin/env bash
# Evidence for the kill switch (issue 9): many carrier flickers per gap, with each client, ours
# on; prints n (flickers), the packets leaked, and the rule-of-three bound 3/n (zero leaks in n
# trials: the leak rate is below 3/n at 95% confidence), and the time each lab took to apply the
# ruleset (one libnftables batch, from the record's killswitch.changes).
#   bench/killswitch_evidence.sh [N] [GAPS_MS] [CLIENTS]
#   N: flickers per gap and client (default 1000); GAPS_MS: "0 1 10 100 1000"; CLIENTS:
#   "reference wg-quick openvpn". Needs root; runs one lab at a time (each lab <= 55 s).
# Example: sudo bench/killswitch_evidence.sh 200 "0 10 100" "reference"
set -euo pipefail
N=${1:-1000}
GAPS=${2:-"0 1 10 100 1000"}
CLIENTS=${3:-"reference wg-quick openvpn"}
BIN=${SPLITSECOND:-$(dirname "$0")/../build/src/cli/splitsecond}
work=$(mktemp -d /tmp/splitsecond-ks-evidence.XXXXXX)
trap 'rm -rf "$work"' EXIT

client_args() {
  case $1 in
    reference) echo "" ;;
    wg-quick) echo "--client wg-quick" ;;
    openvpn) echo "--vpn openvpn" ;;
    *) echo "unknown client $1" >&2; exit 2 ;;
  esac
}

# One lab: $2 flickers of $1 ms without carrier, one every gap+200 ms.
scenario() {
  local gap=$1 n=$2 period=$(($1 + 200)) i
  printf 'name = "ks-evidence"\n[record]\nbefore = "500ms"\nwindow = "%dms"\n' $((n * period + 500))
  for ((i = 0; i < n; i++)); do
    printf '[[timeline]]\nat = "%dms"\naction = "carrier-down"\n' $((i * period))
    printf '[[timeline]]\nat = "%dms"\naction = "carrier-up"\n' $((i * period + gap))
  done
  printf '[probes.dns]\ninterval = "50ms"\n[probes.tcp]\ninterval = "100ms"\n'
}

# The batch itself, as the kill switch applies it (libnftables, one transaction), in a private
# network namespace: the first (cold: the namespace's first nftables table) and 100 more.
"$BIN" killswitch on --endpoint 198.51.100.1:51820 --tunnel tun0 --tunnel-addr 10.8.0.42 \
  --dns 10.8.0.1 --state connecting --dry-run >"$work/batch.nft"
unshare -n python3 - "$work/batch.nft" <<'PY'
import ctypes, statistics, sys, time
lib = ctypes.CDLL("libnftables.so.1")
lib.nft_ctx_new.restype = ctypes.c_void_p
batch = open(sys.argv[1]).read().encode()
times = []
for i in range(101):
    ctx = ctypes.c_void_p(lib.nft_ctx_new(0))
    t = time.perf_counter()
    if lib.nft_run_cmd_from_buffer(ctx, batch) != 0:
        sys.exit("nftables refused the batch")
    times.append((time.perf_counter() - t) * 1000)
    lib.nft_ctx_free(ctx)
warm = sorted(times[1:])
print(f"apply the ruleset (one batch): first {times[0]:.1f} ms; then n=100 median "
      f"{statistics.median(warm):.2f} ms, p95 {warm[94]:.2f} ms, max {warm[-1]:.2f} ms")
PY

printf '%-10s %7s %7s %7s %12s %s\n' client gap_ms n leaks "bound 3/n" "first apply in the lab, ms (min/median/max)"
for client in $CLIENTS; do
  for gap in $GAPS; do
    per_lab=$((54000 / (gap + 200)))
    done_n=0
    : >"$work/records"
    while ((done_n < N)); do
      n=$((N - done_n < per_lab ? N - done_n : per_lab))
      scenario "$gap" "$n" >"$work/s.toml"
      # shellcheck disable=SC2046
      "$BIN" run "$work/s.toml" $(client_args "$client") --killswitch --json "$work/r.json" \
        >/dev/null 2>"$work/err" || { echo "run failed ($client, gap $gap):" >&2; cat "$work/err" >&2; exit 1; }
      python3 - "$work/r.json" >>"$work/records" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
flickers = sum(1 for t in r["triggers"] if t.get("from_timeline") and t["action"] == "carrier-up"
               and "error" not in t.get("params", {}))
leaks = sum(c["ipv4"] + c["ipv6"] for c in r["leaks"]["by_kind"].values())
apply_us = [c["took_us"] for c in r["killswitch"]["changes"] if c["what"] in ("applied", "re-applied")]
print(flickers, leaks, " ".join(map(str, apply_us)))
PY
      done_n=$((done_n + n))
    done
    python3 - "$work/records" "$client" "$gap" <<'PY'
import sys, statistics
n = leaks = 0; apply = []
for line in open(sys.argv[1]):
    f = line.split(); n += int(f[0]); leaks += int(f[1]); apply += [int(x) / 1000 for x in f[2:]]
bound = f"{3 / n:.5f}" if n and leaks == 0 else "-"
ap = f"{min(apply):.1f}/{statistics.median(apply):.1f}/{max(apply):.1f}" if apply else "-"
print(f"{sys.argv[2]:<10} {sys.argv[3]:>7} {n:>7} {leaks:>7} {bound:>12} {ap}")
PY
  done
done
