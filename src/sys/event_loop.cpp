#include "sys/event_loop.hpp"

#include <algorithm>

#include <sys/epoll.h>
#include <time.h>

#include "sys/syserror.hpp"

namespace ss::sys {

int64_t mono_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t realtime_offset_ns() {
  // Bracket the realtime read between two monotonic reads and take the midpoint.
  timespec a{}, r{}, b{};
  ::clock_gettime(CLOCK_MONOTONIC, &a);
  ::clock_gettime(CLOCK_REALTIME, &r);
  ::clock_gettime(CLOCK_MONOTONIC, &b);
  int64_t ma = int64_t(a.tv_sec) * 1'000'000'000 + a.tv_nsec;
  int64_t mb = int64_t(b.tv_sec) * 1'000'000'000 + b.tv_nsec;
  int64_t rt = int64_t(r.tv_sec) * 1'000'000'000 + r.tv_nsec;
  return rt - (ma + (mb - ma) / 2);
}

EventLoop::EventLoop() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) throw SysError("epoll_create1", "", errno);
}

void EventLoop::add(int fd, std::function<void()> fn) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  check(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev), "epoll_ctl(ADD)", "event loop");
  handlers_[fd] = std::move(fn);
  // The same number, removed earlier in this pass and added again: the new handler stays.
  removed_.erase(std::remove(removed_.begin(), removed_.end(), fd), removed_.end());
}

void EventLoop::remove(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  // From inside a handler (its own fd, typically) the handler is still running: it goes after
  // the pass, and no later event of this pass reaches it.
  if (dispatching_)
    removed_.push_back(fd);
  else
    handlers_.erase(fd);
}

void EventLoop::run_until(int64_t deadline_ns, const std::function<void(int64_t)>& tick) {
  stopped_ = false;
  epoll_event events[32];
  while (!stopped_) {
    int64_t now = mono_ns();
    if (tick) tick(now);
    if (stopped_ || now >= deadline_ns) break;
    int timeout_ms =
        static_cast<int>(std::min<int64_t>((deadline_ns - now + 999'999) / 1'000'000, 1000));
    if (tick) timeout_ms = std::min(timeout_ms, 5);  // ticks want to run often
    int n = ::epoll_wait(epoll_.get(), events, 32, timeout_ms);
    if (n < 0 && errno != EINTR) throw SysError("epoll_wait", "event loop", errno);
    // A handler may throw: the pass ends either way, and what was removed during it goes.
    struct Pass {
      EventLoop& loop;
      explicit Pass(EventLoop& l) : loop(l) { loop.dispatching_ = true; }
      ~Pass() {
        loop.dispatching_ = false;
        for (int fd : loop.removed_) loop.handlers_.erase(fd);
        loop.removed_.clear();
      }
      Pass(const Pass&) = delete;
      Pass& operator=(const Pass&) = delete;
    } pass(*this);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (std::find(removed_.begin(), removed_.end(), fd) != removed_.end()) continue;
      auto it = handlers_.find(fd);
      if (it != handlers_.end()) it->second();
    }
  }
}

}  // namespace ss::sys
