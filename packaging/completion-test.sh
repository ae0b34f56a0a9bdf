#!/usr/bin/env bash
# The generated bash completion sources in bash and completes from the binary's command tree:
# a subcommand at the top, a nested subcommand, an option of a command, a nested command's
# option, a file after an option that takes a value, and nothing hidden (agent, completion).
# Usage: completion-test.sh SPLITSECOND_BINARY
set -uo pipefail
bin=$1
script=$(mktemp)
dir=$(mktemp -d)
trap 'rm -rf "$script" "$dir"' EXIT
"$bin" completion bash >"$script" || { echo "FAIL: $bin completion bash" >&2; exit 1; }
# shellcheck disable=SC1090
source "$script" || { echo "FAIL: the script does not source" >&2; exit 1; }
complete -p splitsecond >/dev/null || { echo "FAIL: no completion registered" >&2; exit 1; }

failures=0
# complete WORDS...: the last word is the one being completed; prints the candidates.
complete_line() {
  COMP_WORDS=(splitsecond "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _splitsecond
  printf '%s\n' "${COMPREPLY[@]}" | sort
}
expect() {  # expect "DESCRIPTION" EXPECTED-CANDIDATES -- WORDS...
  local what=$1 want=$2
  shift 3
  local got
  got=$(complete_line "$@" | tr '\n' ' ' | sed 's/ $//')
  if [[ $got != "$want" ]]; then
    echo "FAIL: $what: completing '$*' gave '$got', expected '$want'" >&2
    failures=$((failures + 1))
  else
    echo "ok: $what: '$*' -> '$got'"
  fi
}
expect "a top-level subcommand" "reap report" -- re
expect "hidden commands are not offered" "" -- agen
expect "a nested subcommand" "sim" -- storm si
expect "an option of run" "--pcap" -- run --pc
expect "an option of a nested command" "--cap --capacity" -- storm sim --cap
expect "options of another command are not offered" "" -- report --capacity
touch "$dir/record.json"
expect "a file after an option taking a value" "$dir/record.json" -- run --json "$dir/rec"
expect "a flag takes no value: options follow it" "--verbose" -- run -v --verb
# Every visible command path (the man pages' list) is reachable by completion.
while read -r path; do
  # shellcheck disable=SC2086
  set -- $path
  last=${!#}
  prefix=("${@:1:$#-1}")
  if ! complete_line "${prefix[@]}" "$last" | grep -qx -- "$last"; then
    echo "FAIL: '$path' is not completed" >&2
    failures=$((failures + 1))
  fi
done < <("$bin" completion list)
((failures == 0)) || { echo "$failures failure(s)" >&2; exit 1; }
echo "bash completion: all checks passed"
