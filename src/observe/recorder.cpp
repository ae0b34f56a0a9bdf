#include "observe/recorder.hpp"

#include "observe/capture.hpp"
#include "observe/resolv_watch.hpp"
#include "observe/rtnl.hpp"

namespace ss::observe {

Recorder::Recorder(const RecorderConfig& c)
    : monitor_(std::make_unique<NetlinkMonitor>(c.netns_fd)),
      capture_(c.interface.empty()
                   ? nullptr
                   : std::make_unique<Capture>(c.netns_fd, c.interface, c.pcap_path)),
      resolv_(std::make_unique<ResolvWatch>(c.resolv_conf)),
      resolvers_at_start_(resolv_->current()) {}

Recorder::~Recorder() = default;

void Recorder::drain_capture() {
  if (!capture_) return;
  capture_->drain([this](int64_t t, std::span<const uint8_t> frame) {
    obs_.packets.push_back({t, decode_ethernet(frame)});
  });
}

void Recorder::flush_to_sink() {
  if (!sink_.event) return;
  for (const auto& [t, e] : obs_.events) sink_.event(t, e);
  for (const auto& p : obs_.packets) sink_.packet(p.mono_ns, p.info);
  obs_.events.clear();
  obs_.packets.clear();
  if (sink_.batch_done) sink_.batch_done();
}

void Recorder::attach(sys::EventLoop& loop) {
  loop.add(monitor_->fd(), [this] {
    monitor_->drain(sys::mono_ns(), obs_.events);
    flush_to_sink();
  });
  loop.add(resolv_->fd(), [this] {
    resolv_->drain(sys::mono_ns(), obs_.events);
    flush_to_sink();
  });
  if (capture_)
    loop.add(capture_->fd(), [this] {
      drain_capture();
      flush_to_sink();
    });
}

void Recorder::drain_all() {
  monitor_->drain(sys::mono_ns(), obs_.events);
  resolv_->drain(sys::mono_ns(), obs_.events);
  drain_capture();
  obs_.netlink_lost = monitor_->overruns();
  obs_.pcap_dropped = capture_ ? capture_->dropped() : 0;
  flush_to_sink();
}

int64_t Recorder::netlink_lost() const {
  return monitor_->overruns();
}

int64_t Recorder::netlink_resyncs() const {
  return monitor_->overrun_resyncs();
}

Observations Recorder::take() {
  Observations out = std::move(obs_);
  obs_ = {};
  return out;
}

}  // namespace ss::observe
