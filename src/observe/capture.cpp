#include "observe/capture.hpp"

#include <fmt/format.h>

#include <optional>
#include <stdexcept>

#include "model/errors.hpp"
#include "sys/event_loop.hpp"
#include "sys/netns.hpp"

namespace ss::observe {

Capture::Capture(int netns_fd, const std::string& ifname, const std::string& save_path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  {
    // The packet socket belongs to the watched namespace (netns_fd < 0: the caller's own).
    std::optional<sys::NetnsGuard> in;
    if (netns_fd >= 0) in.emplace(netns_fd);
    pcap_ = pcap_create(ifname.c_str(), err);
    if (!pcap_)
      throw EnvironmentError(fmt::format(
          "libpcap could not capture on {} in the lab's namespace: pcap_create: {}", ifname, err));
    pcap_set_snaplen(pcap_, 65535);
    pcap_set_immediate_mode(pcap_, 1);
    pcap_set_buffer_size(pcap_, 8 << 20);
    pcap_set_tstamp_precision(pcap_, PCAP_TSTAMP_PRECISION_NANO);
    int rc = pcap_activate(pcap_);
    if (rc < 0) {
      std::string msg = pcap_geterr(pcap_);
      pcap_close(pcap_);
      throw EnvironmentError(fmt::format(
          "libpcap could not capture on {} in the lab's namespace: pcap_activate: {} ({}); "
          "the capture needs AF_PACKET sockets and CAP_NET_RAW (run as root, outside a sandbox "
          "that forbids packet sockets)",
          ifname, msg, pcap_statustostr(rc)));
    }
  }
  if (pcap_setnonblock(pcap_, 1, err) < 0)
    throw std::runtime_error(fmt::format("pcap_setnonblock: {}", err));
  if (!save_path.empty()) {
    dumper_ = pcap_dump_open(pcap_, save_path.c_str());
    if (!dumper_)
      throw std::runtime_error(fmt::format("cannot write {}: {}", save_path, pcap_geterr(pcap_)));
  }
  realtime_offset_ns_ = sys::realtime_offset_ns();
}

Capture::~Capture() {
  if (dumper_) pcap_dump_close(dumper_);
  if (pcap_) pcap_close(pcap_);
}

int Capture::drain(const Sink& sink) {
  int count = 0;
  for (int i = 0; i < 100000; ++i) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(pcap_, &hdr, &data);
    if (rc != 1) break;
    if (dumper_) pcap_dump(reinterpret_cast<u_char*>(dumper_), hdr, data);
    // With nanosecond precision, tv_usec holds nanoseconds.
    int64_t realtime = int64_t(hdr->ts.tv_sec) * 1'000'000'000 + hdr->ts.tv_usec;
    sink(realtime - realtime_offset_ns_, std::span<const uint8_t>(data, hdr->caplen));
    ++count;
  }
  if (dumper_) pcap_dump_flush(dumper_);
  return count;
}

unsigned Capture::dropped() {
  pcap_stat st{};
  return pcap_stats(pcap_, &st) == 0 ? st.ps_drop : 0;
}

}  // namespace ss::observe
