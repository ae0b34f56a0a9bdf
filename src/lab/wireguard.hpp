#pragma once
// WireGuard through Debian's wireguard-go, configured over its UAPI socket (the text protocol
// `wg` speaks), with per-run keys.
#include <map>
#include <string>

#include "lab/lab.hpp"

namespace ss::lab {

struct WgKeys {
  std::string private_hex, public_hex;
  static WgKeys generate();  // X25519 (nettle), clamped like `wg genkey`
};

class WgDevice {
 public:
  // Starts `wireguard-go -f <ifname>` in `ns`, with a private /run/wireguard so that runs at
  // the same time never share a UAPI socket path; waits (bounded) for the socket.
  WgDevice(Lab& lab, const std::string& ns, const std::string& ifname);

  // A UAPI "set" transaction; throws with the device's errno if it refuses.
  void set(const std::string& body);
  std::map<std::string, std::string> get();
  // Seconds of the peer's last handshake (0 if none yet).
  long last_handshake_sec();

  sys::Child& process() { return *child_; }
  const std::string& ifname() const { return ifname_; }

 private:
  std::string transact(const std::string& request);
  std::string socket_path_;
  std::string ifname_;
  sys::Child* child_;
};

}  // namespace ss::lab
