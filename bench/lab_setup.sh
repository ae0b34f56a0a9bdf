#!/usr/bin/env bash
# Benchmark: lab set-up (topology + tunnel up, handshake done) and teardown, splitsecond vs a
# plain shell script of ip/wg commands (shell_lab.sh), side by side. Run as root.
# Usage: bench/lab_setup.sh [RUNS] [path/to/splitsecond]
set -euo pipefail
runs=${1:-10}
bin=${2:-$(dirname "$0")/../build/src/cli/splitsecond}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now_ms() { date +%s.%N | awk '{printf "%.3f", $1*1000}'; }

for ((k = 1; k <= runs; k++)); do
  # splitsecond: its own timings (lab_up + vpn_up = set-up, teardown), a 100 ms window
  "$bin" run disconnect --window 100ms --json "$tmp/r.json" >/dev/null
  python3 -c "import json;t=json.load(open('$tmp/r.json'))['timings'];print(t['lab_up_ms']+t['vpn_up_ms'], t['teardown_ms'])" >>"$tmp/ss"
  # the shell script
  p=sb-$$-$k
  a=$(now_ms); bash "$here/shell_lab.sh" up $p; b=$(now_ms)
  bash "$here/shell_lab.sh" down $p; c=$(now_ms)
  awk -v a=$a -v b=$b -v c=$c 'BEGIN {printf "%.3f %.3f\n", b-a, c-b}' >>"$tmp/sh"
done
ss_up=$(cut -d' ' -f1 "$tmp/ss" | median); ss_down=$(cut -d' ' -f2 "$tmp/ss" | median)
sh_up=$(cut -d' ' -f1 "$tmp/sh" | median); sh_down=$(cut -d' ' -f2 "$tmp/sh" | median)
printf '%-34s %12s %12s\n' "median of $runs runs ($(nproc) cores)" "set-up ms" "teardown ms"
printf '%-34s %12.1f %12.1f\n' "splitsecond (netlink, UAPI)" "$ss_up" "$ss_down"
printf '%-34s %12.1f %12.1f\n' "shell script (ip, wg, nft)" "$sh_up" "$sh_down"
awk -v a=$sh_up -v b=$ss_up -v c=$sh_down -v d=$ss_down 'BEGIN {printf "%-34s %11.1fx %11.1fx\n", "speed-up", a/b, c/d}'
