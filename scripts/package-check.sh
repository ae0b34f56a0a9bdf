#!/usr/bin/env bash
# Builds the .deb from a Release build, installs it with apt-get, checks the installed binary,
# its man pages and one lab run, removes (purges) it and checks nothing of it is left.
# Usage (root): scripts/package-check.sh BUILD_DIR
#   BUILD_DIR: configured with -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr.
# Exit status: 0 every check passed; 1 a check failed; 2 bad usage; 3 cannot run here.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

say() { echo "package-check: $*"; }
fail() { echo "package-check: FAIL: $*" >&2; exit 1; }

(($# == 1)) || { echo "usage: $0 BUILD_DIR (a Release build configured with -DCMAKE_INSTALL_PREFIX=/usr)" >&2; exit 2; }
build=$(realpath -m -- "$1")
cache=$build/CMakeCache.txt
[[ -f $cache ]] || { echo "package-check: $1: no CMakeCache.txt; configure it first" >&2; exit 2; }
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$cache"; }
build_type=$(cache_value CMAKE_BUILD_TYPE)
[[ $build_type == Release ]] ||
  { echo "package-check: $1 is a ${build_type:-no-build-type} build; the package comes from a Release build" >&2; exit 2; }
[[ $(cache_value CMAKE_INSTALL_PREFIX) == /usr ]] ||
  { echo "package-check: $1 has CMAKE_INSTALL_PREFIX=$(cache_value CMAKE_INSTALL_PREFIX); configure it with -DCMAKE_INSTALL_PREFIX=/usr (the units name the binary's path)" >&2; exit 2; }
((EUID == 0)) || { echo "package-check: installs a package: run as root" >&2; exit 3; }
for tool in cpack apt-get dpkg dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "package-check: $tool not found (scripts/deps.sh)" >&2; exit 3; }
done
if dpkg-query -W -f='${Status}' splitsecond 2>/dev/null | grep -q "ok installed"; then
  echo "package-check: splitsecond is installed already; remove it first (this check removes what it installs)" >&2
  exit 3
fi

work=$(mktemp -d)
installed=0
cleanup() {
  if ((installed)); then apt-get purge -y -qq splitsecond >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say "building the install targets in $build"
# SS_BUILD_LOCK=FILE: build under flock FILE (a machine where others build at once).
build_lock=()
[[ -n ${SS_BUILD_LOCK:-} ]] && build_lock=(flock "$SS_BUILD_LOCK")
"${build_lock[@]}" nice cmake --build "$build" -j"$(nproc)" --target splitsecond splitsecond_path \
  splitsecond_path_static man bash_completion
say "cpack -G DEB"
rm -f "$build"/splitsecond_*.deb
(cd "$build" && cpack -G DEB) >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log" >&2; fail "cpack -G DEB"; }
debs=("$build"/splitsecond_*.deb)
if ((${#debs[@]} != 1)) || [[ ! -f ${debs[0]} ]]; then fail "cpack made no single splitsecond_*.deb in $build"; fi
deb=${debs[0]}
say "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
dpkg-deb -I "$deb" | sed -n 's/^ Depends: /package-check: Depends: /p'

# What exists before: a directory the package creates must be gone again after the purge.
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | grep -v '^$' | sort -u >"$work/contents"
while read -r p; do [[ -e $p ]] && echo "$p"; done <"$work/contents" >"$work/existed-before" || true

say "apt-get install ./$(basename "$deb")"
(cd "$(dirname "$deb")" && apt-get install -y -qq "./$(basename "$deb")") >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; fail "apt-get install"; }
installed=1
dpkg -L splitsecond | sort >"$work/installed"

# The files a user and the units expect.
for f in /usr/bin/splitsecond /usr/share/bash-completion/completions/splitsecond \
  /lib/systemd/system/splitsecond-killswitch.service /lib/systemd/system/splitsecond-reap.service \
  /usr/include/splitsecond/path.h /usr/share/doc/splitsecond/README.md \
  /usr/share/man/man1/splitsecond.1.gz /usr/share/man/man1/splitsecond-run.1.gz; do
  grep -qx -- "$f" "$work/installed" || fail "the package does not own $f"
  [[ -e $f ]] || fail "$f is not there after the install"
done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
for f in /usr/lib/$multiarch/pkgconfig/splitsecond-path.pc /usr/lib/$multiarch/libsplitsecond-path.so.0; do
  [[ -e $f ]] || fail "$f is not there after the install"
done
grep -q "^ExecStart=/usr/bin/splitsecond " /lib/systemd/system/splitsecond-reap.service ||
  fail "splitsecond-reap.service does not start /usr/bin/splitsecond"
# One man page per user-facing command of the installed binary.
while read -r cmd; do
  [[ $cmd == *" "* ]] && continue
  [[ -e /usr/share/man/man1/splitsecond-$cmd.1.gz ]] || fail "no man page for \`splitsecond $cmd\`"
done < <(/usr/bin/splitsecond completion list)
say "$(grep -c '/man1/.*\.1\.gz$' "$work/installed") man pages, the completion, the units, the library"

version=$(/usr/bin/splitsecond --version) || fail "/usr/bin/splitsecond --version"
[[ $version == "splitsecond $(dpkg-query -W -f='${Version}' splitsecond)" ]] ||
  fail "--version says '$version', the package is $(dpkg-query -W -f='${Version}' splitsecond)"
say "$version"
if command -v man >/dev/null; then
  page=$(man -w splitsecond-run) || fail "man -w splitsecond-run"
  [[ $page == /usr/share/man/man1/splitsecond-run.1.gz ]] || fail "man -w splitsecond-run gave $page"
  # The page holds the binary's own options (help2man read them from --help).
  man splitsecond-run 2>/dev/null | grep -q -- "--window" || fail "splitsecond-run(1) lacks --window"
  say "man -w splitsecond-run: $page"
fi
pkg-config --exists splitsecond-path 2>/dev/null || say "note: pkg-config does not find splitsecond-path (pkg-config not installed?)"

say "one lab run from the installed binary: /usr/bin/splitsecond run --json ..."
# SS_LAB_LOCK=FILE: run the lab under flock FILE (a machine that runs other labs at once).
lock=()
[[ -n ${SS_LAB_LOCK:-} ]] && lock=(flock "$SS_LAB_LOCK")
rc=0
(cd "$work" && "${lock[@]}" /usr/bin/splitsecond run --json "$work/run.json") >"$work/run.log" 2>&1 || rc=$?
((rc == 0)) || { cat "$work/run.log" >&2; fail "/usr/bin/splitsecond run exited $rc"; }
grep -q '"schema"' "$work/run.json" || fail "the run wrote no record"
tail -n 5 "$work/run.log" | sed 's/^/package-check:   /'

say "apt-get purge splitsecond"
apt-get purge -y -qq splitsecond >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get purge"; }
installed=0
if dpkg-query -W -f='${Status}' splitsecond 2>/dev/null | grep -q "installed"; then
  fail "dpkg still lists splitsecond: $(dpkg-query -W -f='${Status}' splitsecond)"
fi
[[ ! -e /usr/bin/splitsecond ]] || fail "/usr/bin/splitsecond is still there"
left=0
while read -r p; do
  [[ -e $p ]] || continue
  grep -qx -- "$p" "$work/existed-before" && continue
  echo "package-check: left behind: $p" >&2
  left=$((left + 1))
done <"$work/installed"
((left == 0)) || fail "$left path(s) of the package left after the purge"
say "removed: none of the $(wc -l <"$work/installed") paths it installed is left"
say "all checks passed"
