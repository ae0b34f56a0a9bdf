#!/usr/bin/env bash
# Installs every Debian package splitsecond needs to build, test and run its lab.
# Idempotent; run as root on Debian 12.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  # toolchain
  cmake g++ make pkg-config clang-format clang-tidy
  # packaging: the man pages (packaging/man/), the .deb's library dependencies (dpkg-shlibdeps)
  help2man dpkg-dev
  # libraries
  libmnl-dev libpcap-dev libnftables-dev libtomlplusplus-dev libcli11-dev
  nlohmann-json3-dev libfmt-dev libboost-dev libngtcp2-dev libngtcp2-crypto-gnutls-dev
  libgnutls28-dev libcurl4-openssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  # the real programs the lab runs
  iproute2 nftables wireguard-go wireguard-tools openvpn dnsmasq-base dnsdist
  openssh-server openssh-client mosh curl locales tshark udhcpc iptables iperf3  # udhcpc: the roam's DHCP client; iptables: wg-quick's kill-switch recipe; iperf3: bench/killswitch_throughput.sh
  # test tools
  python3 python3-jsonschema chromium  # chromium: the HTML report checked headless
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "splitsecond: installing ${missing[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# openresolv for wg-quick's `DNS =` in the lab, unpacked and NOT installed: installing it adds
# dhclient and ifupdown hooks (/etc/dhcp/dhclient-enter-hooks.d/resolvconf,
# /etc/network/if-up.d/000resolvconf) that would hand the host's own resolv.conf to it. The lab
# runs a copy with its paths moved into the run's private directory (src/lab/wgquick_vpn.cpp).
openresolv_dir=/usr/local/lib/splitsecond/openresolv
if [[ ! -x $openresolv_dir/sbin/resolvconf ]]; then
  tmp=$(mktemp -d)
  # The package lists may be empty when nothing above needed installing: update and retry.
  (cd "$tmp" && { apt-get download -qq openresolv || { apt-get update -qq &&
    apt-get download -qq openresolv; }; } >/dev/null)
  mkdir -p "$openresolv_dir"
  dpkg-deb -x "$tmp"/openresolv_*.deb "$openresolv_dir"
  rm -r "$tmp"
fi
