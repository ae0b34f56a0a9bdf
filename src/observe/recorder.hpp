#pragma once
// One recorder: rtnetlink, the capture of one interface and one resolv.conf, in the caller's
// event loop, into Observations. It knows nothing of probes, VPNs or scenarios: the lab's
// experiment and a live host's watcher use it the same way.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/observations.hpp"
#include "sys/event_loop.hpp"

namespace ss::observe {

class NetlinkMonitor;
class Capture;
class ResolvWatch;

struct RecorderConfig {
  int netns_fd = -1;        // the namespace to watch (its links, addresses, routes); -1: own
  std::string interface;    // the physical interface whose packets are captured ("": none)
  std::string resolv_conf;  // the resolv.conf the namespace's programs read
  std::string pcap_path;    // "" : keep no capture file
};

// Where a streaming recorder hands what it reads, as it reads it (a live watcher): nothing is
// then kept for take(), so memory stays bounded however long it runs.
struct RecorderSink {
  std::function<void(int64_t mono_ns, const Event& e)> event;
  std::function<void(int64_t mono_ns, const PacketInfo& p)> packet;
  std::function<void()> batch_done;  // optional: after each read's events and packets
};

class Recorder {
 public:
  explicit Recorder(const RecorderConfig& c);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Registers its fds in `loop`; the caller adds its own (agents, signals) and runs it.
  void attach(sys::EventLoop& loop);
  // Reads whatever is still queued (call at the end, before taking the observations).
  void drain_all();
  const std::vector<std::string>& resolvers_at_start() const { return resolvers_at_start_; }
  Observations take();
  // Streams from now on (see RecorderSink); both callbacks must be set.
  void stream_to(RecorderSink sink) { sink_ = std::move(sink); }
  // ENOBUFS overruns of the rtnetlink socket so far.
  int64_t netlink_lost() const;
  // Route dumps made once the queue was read empty after an overrun (NetlinkMonitor).
  int64_t netlink_resyncs() const;

 private:
  void drain_capture();
  void flush_to_sink();
  RecorderSink sink_;
  std::unique_ptr<NetlinkMonitor> monitor_;
  std::unique_ptr<Capture> capture_;
  std::unique_ptr<ResolvWatch> resolv_;
  std::vector<std::string> resolvers_at_start_;
  Observations obs_;
};

}  // namespace ss::observe
