#!/usr/bin/env bash
# The same reference topology and WireGuard tunnel as splitsecond's lab, built by a plain
# shell script of ip/wg/nft commands: the baseline the lab's set-up speed is compared with.
# Usage: shell_lab.sh up PREFIX | shell_lab.sh down PREFIX
set -euo pipefail
p=$2
c=$p-client h=$p-home i=$p-inet v=$p-vpn s=$p-server
# wireguard-go creates its UAPI socket file before it listens on it: wait (bounded) until
# `wg show` gets an answer, as splitsecond's UAPI connect retries do.
wait_uapi() {
  for ((t = 0; t < 500; t++)); do
    ip netns exec $1 wg show $2 >/dev/null 2>&1 && return 0
    sleep 0.01
  done
  echo "shell_lab.sh: wireguard-go $2 in $1 never answered on its UAPI socket" >&2
  return 1
}
case $1 in
up)
  for n in $c $h $i $v $s; do ip netns add $n; ip -n $n link set lo up; done
  ip -n $c link add en0 type veth peer lan0 netns $h
  ip -n $h link add wan0 type veth peer to-home netns $i
  ip -n $i link add to-vpn type veth peer eth0 netns $v
  ip -n $i link add to-server type veth peer eth0 netns $s
  ip -n $c addr add 192.168.1.100/24 dev en0; ip -n $c addr add 2001:db8:1::100/64 dev en0 nodad
  ip -n $h addr add 192.168.1.1/24 dev lan0;  ip -n $h addr add 2001:db8:1::1/64 dev lan0 nodad
  ip -n $h addr add 203.0.113.2/24 dev wan0;  ip -n $h addr add 2001:db8:2::2/64 dev wan0 nodad
  ip -n $i addr add 203.0.113.1/24 dev to-home; ip -n $i addr add 2001:db8:2::1/64 dev to-home nodad
  ip -n $i addr add 198.51.100.6/29 dev to-vpn; ip -n $i addr add 2001:db8:3::6/64 dev to-vpn nodad
  ip -n $i addr add 198.51.100.14/29 dev to-server; ip -n $i addr add 2001:db8:100::1/64 dev to-server nodad
  ip -n $v addr add 198.51.100.1/29 dev eth0; ip -n $v addr add 2001:db8:3::1/64 dev eth0 nodad
  ip -n $s addr add 198.51.100.10/29 dev eth0; ip -n $s addr add 2001:db8:100::10/64 dev eth0 nodad
  for pair in "$c en0" "$h lan0" "$h wan0" "$i to-home" "$i to-vpn" "$v eth0" "$i to-server" "$s eth0"; do
    set -- $pair; ip -n $1 link set $2 up
  done
  for n in $h $i $v; do
    ip netns exec $n sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  done
  ip -n $c route add default via 192.168.1.1; ip -n $c -6 route add default via 2001:db8:1::1
  ip -n $h route add default via 203.0.113.1; ip -n $h -6 route add default via 2001:db8:2::1
  ip -n $i -6 route add 2001:db8:1::/64 via 2001:db8:2::2
  ip -n $v route add default via 198.51.100.6; ip -n $v -6 route add default via 2001:db8:3::6
  ip -n $s route add default via 198.51.100.14; ip -n $s -6 route add default via 2001:db8:100::1
  echo 'table ip nat { chain post { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }; }' | ip netns exec $h nft -f -
  mkdir -p /etc/netns/$c; echo "nameserver 192.168.1.1" > /etc/netns/$c/resolv.conf
  ip netns exec $h dnsmasq --no-resolv --no-hosts --conf-file=/dev/null --pid-file=/run/$p-home-dnsmasq.pid \
    --user=root --bind-interfaces --listen-address=192.168.1.1
  # the VPN, with wg-quick's tools: wireguard-go + wg
  sk=$(wg genkey); ck=$(wg genkey)
  ip netns exec $v wireguard-go wg0 >/dev/null 2>&1
  wait_uapi $v wg0
  echo $sk >/run/$p-sk
  ip netns exec $v wg set wg0 private-key /run/$p-sk listen-port 51820 peer "$(echo $ck | wg pubkey)" allowed-ips 10.8.0.42/32
  rm /run/$p-sk
  ip -n $v addr add 10.8.0.1/24 dev wg0; ip -n $v link set wg0 up
  echo 'table ip nat { chain post { type nat hook postrouting priority srcnat; ip saddr 10.8.0.0/24 oifname "eth0" masquerade; }; }' | ip netns exec $v nft -f -
  ip netns exec $v dnsmasq --no-resolv --no-hosts --conf-file=/dev/null --pid-file=/run/$p-vpn-dnsmasq.pid \
    --user=root --bind-interfaces --listen-address=10.8.0.1
  # as splitsecond does: the client starts once the server listens on its UDP port
  for ((t = 0; t < 500; t++)); do
    ip netns exec $v ss -Hlun 'sport = :51820' | grep -q . && break
    sleep 0.01
  done
  ip netns exec $c wireguard-go tun0 >/dev/null 2>&1
  wait_uapi $c tun0
  echo $ck >/run/$p-ck
  ip netns exec $c wg set tun0 private-key /run/$p-ck peer "$(echo $sk | wg pubkey)" endpoint 198.51.100.1:51820 allowed-ips 0.0.0.0/0
  rm /run/$p-ck
  ip -n $c addr add 10.8.0.42/24 dev tun0; ip -n $c link set tun0 up
  ip -n $c route add 198.51.100.1/32 via 192.168.1.1 dev en0
  ip -n $c route add 0.0.0.0/1 dev tun0; ip -n $c route add 128.0.0.0/1 dev tun0
  echo "nameserver 10.8.0.1" > /etc/netns/$c/resolv.conf
  # handshake: a datagram into the tunnel starts it, sent again every 250 ms as splitsecond
  # does (one read before wireguard-go brought its peer up starts nothing); bounded, 20 s
  for ((t = 0; t < 2000; t++)); do
    ((t % 25 == 0)) && ip netns exec $c bash -c 'echo x >/dev/udp/10.8.0.1/9'
    [ "$(ip netns exec $c wg show tun0 latest-handshakes | awk '{print $2}')" != 0 ] && break
    sleep 0.01
  done
  ;;
down)
  for f in /run/$p-home-dnsmasq.pid /run/$p-vpn-dnsmasq.pid; do
    [ -f $f ] && kill "$(cat $f)" 2>/dev/null; rm -f $f
  done
  ip -n $c link del tun0 2>/dev/null || true
  ip -n $v link del wg0 2>/dev/null || true
  for n in $c $h $i $v $s; do ip netns del $n 2>/dev/null || true; done
  rm -f /run/$p-sk /run/$p-ck
  rm -rf /etc/netns/$c; rmdir /etc/netns 2>/dev/null || true
  rmdir /run/wireguard 2>/dev/null || true
  ;;
esac
