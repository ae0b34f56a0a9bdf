#pragma once
// WireGuard through Debian's wireguard-go, configured over its UAPI socket (the text protocol
// `wg` speaks), with per-run keys.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "lab/lab.hpp"
#include "model/scenario.hpp"

namespace ss::lab {

struct WgKeys {
  std::string private_hex, public_hex;
  static WgKeys generate();  // X25519 (nettle), clamped like `wg genkey`
};

// Whether a /proc/<pid>/net/udp (or udp6) table lists a socket bound to local `port`.
bool udp_table_has_port(const std::string& table, uint16_t port);

class WgDevice {
 public:
  // Starts `wireguard-go -f <ifname>` in `ns`, with a private /run/wireguard so that runs at
  // the same time never share a UAPI socket path; waits (bounded) until the UAPI socket
  // answers: its file appears before wireguard-go listens on it.
  WgDevice(Lab& lab, const std::string& ns, const std::string& ifname);

  // A UAPI "set" transaction; throws with the device's errno if it refuses.
  void set(const std::string& body);
  std::map<std::string, std::string> get();
  // Seconds of the peer's last handshake (0 if none yet).
  long last_handshake_sec();
  // Whether a UDP socket of this device's network namespace is bound to `port` (wireguard-go
  // opens it asynchronously, once it has seen its interface come up).
  bool udp_listening(uint16_t port);
  // Throws EnvironmentError if wireguard-go has exited, with its status and last log lines.
  void check_running(const char* when);

  sys::Child& process() { return *child_; }
  const std::string& ifname() const { return ifname_; }

 private:
  int connect_uapi();  // a connected fd; retries while the listener is not there yet, bounded
  std::string transact(const std::string& request);
  Lab& lab_;
  std::string socket_path_;
  std::string ifname_, label_;
  sys::Child* child_;
};

// The lab's VPN server, whatever the client: wireguard-go on vpn.server_if in the VPN
// namespace with one peer (the client's public key, its tunnel address), the tunnel address,
// NAT of the tunnel to the server's public side (vpn.nat), the VPN's resolver; returns once
// wireguard-go listens on its UDP port (bounded: EnvironmentError with its log otherwise).
// The server's one peer (the client, by its public key) allows only `tunnel_ip` ("a.b.c.d/len")
// from now on: a reconnection with another tunnel address, as a provider's API would set it up.
void allow_peer_address(WgDevice& server, const std::string& client_public_hex,
                        const std::string& tunnel_ip);

std::unique_ptr<WgDevice> start_wg_server(Lab& lab, const Scenario& s,
                                          const std::string& server_private_hex,
                                          const std::string& client_public_hex);

// What was tried while waiting for a handshake, for the error that says it did not come.
struct HandshakeTries {
  int sent = 0;        // datagrams sent into the tunnel
  int send_errno = 0;  // the last send's errno, 0 if every send went out
};

// Waits for a WireGuard handshake the way every client here needs it: a datagram into the
// tunnel (to `tunnel_peer`:9, from the client namespace) starts one, and is sent again every
// 250 ms (one read by wireguard-go before its peer is up starts nothing) until `done()`;
// `check()` runs each turn (it throws when a process it watches has died). After `bound`,
// `give_up(tries)` must throw the error that says what was tried.
void wait_for_wg_handshake(Lab& lab, const std::string& tunnel_peer,
                           const std::function<bool()>& done, const std::function<void()>& check,
                           std::chrono::seconds bound,
                           const std::function<void(const HandshakeTries&)>& give_up);

}  // namespace ss::lab
