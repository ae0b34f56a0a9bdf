#pragma once
// One event loop per agent process: epoll over the sockets, one absolute CLOCK_MONOTONIC
// timer (the nearest of everything the agent waits for) and SIGTERM/SIGINT as a descriptor.
#include <cstdint>
#include <vector>

#include "sys/fd.hpp"

namespace ss::probes::quic {

inline constexpr uint64_t kNever = UINT64_MAX;

class EventLoop {
 public:
  // Blocks SIGTERM and SIGINT for the process and receives them through a signalfd. They stay
  // blocked afterwards: a late SIGTERM must not kill an agent while it prints its summary.
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  void watch(int fd);
  void unwatch(int fd);

  struct Wakeup {
    std::vector<int> readable;  // watched fds with data waiting
    bool signalled = false;     // SIGTERM or SIGINT arrived
  };
  // Waits until a watched fd is readable, a signal arrives, or deadline_ns (CLOCK_MONOTONIC;
  // kNever for no deadline) has passed.
  Wakeup wait_until(uint64_t deadline_ns);

 private:
  sys::Fd epoll_;
  sys::Fd timer_;
  sys::Fd signals_;
};

}  // namespace ss::probes::quic
