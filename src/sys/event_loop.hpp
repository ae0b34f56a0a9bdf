#pragma once
// One epoll loop per process: fds with callbacks, and a deadline. Time is read once per pass.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "sys/fd.hpp"

namespace ss::sys {

// CLOCK_MONOTONIC in nanoseconds: the clock every part of a run (and every agent) uses.
int64_t mono_ns();
// CLOCK_REALTIME minus CLOCK_MONOTONIC, in ns (to place kernel packet timestamps on the
// monotonic timeline).
int64_t realtime_offset_ns();

class EventLoop {
 public:
  EventLoop();
  // Calls fn whenever fd is readable (level-triggered) until removed.
  void add(int fd, std::function<void()> fn);
  void remove(int fd);
  // Runs until stop() or until mono_ns() >= deadline_ns; `tick` (if set) runs once per pass.
  void run_until(int64_t deadline_ns, const std::function<void(int64_t now_ns)>& tick = {});
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

 private:
  Fd epoll_;
  std::map<int, std::function<void()>> handlers_;
  std::vector<int> removed_;  // removed by a handler during the current pass
  bool dispatching_ = false;
  bool stopped_ = false;
};

}  // namespace ss::sys
