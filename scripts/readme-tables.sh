#!/usr/bin/env bash
# Re-measures what the README quotes, from fresh runs on this machine, and writes it in:
#   - the default run's report          (README block "default-run")
#   - the survival table                (README block "survival"; stored as tests/data/survival-latest-record.json)
#   - the claims and their verdicts, per client for those the VPN client decides (README block "claims")
#   - end-to-end wall-clock times of each, whole processes (README block "times")
# Usage (as root, after a build): scripts/readme-tables.sh [BUILD_DIR]
# Nothing in the README between the markers is written by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$(find "$build" -name splitsecond -type f -perm -u+x | head -1)
[ -x "$bin" ] || { echo "readme-tables: no splitsecond binary under $build: build first" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "readme-tables: run as root (the lab needs it)" >&2; exit 3; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Runs one command, wall clock from process start to exit, into $out/NAME.{txt,secs}.
timed() {
  local name=$1
  shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$out/$name.txt" 2>"$out/$name.err" || {
    echo "readme-tables: '$*' failed:" >&2
    tail -20 "$out/$name.err" >&2
    exit 1
  }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }' >"$out/$name.secs"
}

timed default-run "$bin" run
timed survival "$bin" run survival --json "$out/survival.json"
timed claims "$bin" claims --json "$out/claims.json"
/usr/bin/python3 scripts/validate-json.py "$out/survival.json" "$out/claims.json"
cp "$out/survival.json" tests/data/survival-latest-record.json

kernel=$(uname -r)
cat >"$out/times.txt" <<TIMES
Measured by scripts/readme-tables.sh on $(date -u +%Y-%m-%d), kernel $kernel, $(nproc) cores,
wall clock of the whole process (set-up, recording, teardown):
  splitsecond run             $(cat "$out/default-run.secs") s
  splitsecond run survival    $(cat "$out/survival.secs") s
  splitsecond claims          $(cat "$out/claims.secs") s (clients: reference, wg-quick, openvpn)
TIMES

# The survival table is the report's last block: from its heading to the end.
sed -n '/^What survived/,$p' "$out/survival.txt" >"$out/survival-table.txt"

/usr/bin/python3 - "$out" <<'PY'
import pathlib, re, sys
out = pathlib.Path(sys.argv[1])
readme = pathlib.Path("README.md")
text = readme.read_text()
blocks = {
    "default-run": (out / "default-run.txt").read_text(),
    "survival": (out / "survival-table.txt").read_text(),
    "claims": (out / "claims.txt").read_text(),
    "times": (out / "times.txt").read_text(),
}
for name, body in blocks.items():
    pattern = re.compile(
        r"(<!-- BEGIN generated:%s -->\n)(.*?)(<!-- END generated:%s -->)" % (name, name), re.S)
    if not pattern.search(text):
        sys.exit(f"readme-tables: README.md has no block 'generated:{name}'")
    text = pattern.sub(lambda m: m.group(1) + "```\n" + body.rstrip("\n") + "\n```\n" + m.group(3),
                       text)
readme.write_text(text)
print("readme-tables: README.md and tests/data/survival-latest-record.json updated")
PY
