#pragma once
// Every packet on one interface of one namespace (libpcap), with kernel timestamps at
// nanosecond precision, placed on the monotonic timeline; optionally saved to a file.
#include <pcap/pcap.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace ss::observe {

// The narrow boundary the recorder reads packets through: the real one below, or stored
// frames in tests.
class PacketSource {
 public:
  virtual ~PacketSource() = default;
  using Sink = std::function<void(int64_t mono_ns, std::span<const uint8_t> frame)>;
  // Hands every queued packet to sink; returns how many.
  virtual int drain(const Sink& sink) = 0;
};

class Capture final : public PacketSource {
 public:
  // Opens `ifname` inside the namespace behind netns_fd (-1: the caller's own). save_path: a pcap
  // file to write every packet to ("" for none).
  Capture(int netns_fd, const std::string& ifname, const std::string& save_path);
  ~Capture() override;
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  int fd() const { return pcap_get_selectable_fd(pcap_); }
  int drain(const Sink& sink) override;
  // Packets the kernel dropped (ps_drop), as libpcap reports them.
  unsigned dropped();

 private:
  pcap_t* pcap_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  int64_t realtime_offset_ns_ = 0;
};

}  // namespace ss::observe
