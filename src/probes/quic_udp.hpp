#pragma once
// The UDP socket under a QUIC connection. Never connect()ed: a connected UDP socket pins its
// source address, and the client must let the kernel choose the source for each packet.
#include <cstdint>
#include <optional>
#include <span>

#include "probes/quic_addr.hpp"
#include "sys/fd.hpp"

namespace ss::probes::quic {

struct Datagram {
  size_t len = 0;
  SockAddr from;
  std::optional<SockAddr> to;  // the local address it was sent to (IP_PKTINFO), port 0
};

class UdpSocket {
 public:
  // A non-blocking socket bound to addr (port 0: the kernel picks one), receiving the
  // destination address of each datagram.
  static UdpSocket bind_to(const SockAddr& addr);

  int fd() const { return fd_.get(); }
  const SockAddr& local() const { return local_; }  // as bound (getsockname)

  // 0 when sent, or the errno (EAGAIN included: the packet is dropped; QUIC recovers).
  int send_to(std::span<const uint8_t> data, const SockAddr& to);
  // nullopt when nothing is waiting; throws SysError on a real failure.
  std::optional<Datagram> receive(std::span<uint8_t> buf);

 private:
  sys::Fd fd_;
  SockAddr local_;
};

}  // namespace ss::probes::quic
