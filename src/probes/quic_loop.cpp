#include "probes/quic_loop.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <array>
#include <cerrno>

#include "sys/syserror.hpp"

namespace ss::probes::quic {

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

EventLoop::EventLoop() {
  epoll_ = sys::Fd(static_cast<int>(sys::check(epoll_create1(EPOLL_CLOEXEC), "epoll_create1")));
  timer_ = sys::Fd(static_cast<int>(
      sys::check(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd_create")));
  sigset_t set = stop_signals();
  sys::check(sigprocmask(SIG_BLOCK, &set, nullptr), "sigprocmask", "SIGTERM,SIGINT");
  signals_ = sys::Fd(static_cast<int>(
      sys::check(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC), "signalfd", "SIGTERM,SIGINT")));
  watch(timer_.get());
  watch(signals_.get());
}

void EventLoop::watch(int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  sys::check(epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev), "epoll_ctl", "EPOLL_CTL_ADD");
}

void EventLoop::unwatch(int fd) {
  sys::check(epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr), "epoll_ctl", "EPOLL_CTL_DEL");
}

EventLoop::Wakeup EventLoop::wait_until(uint64_t deadline_ns) {
  itimerspec spec{};  // all zero disarms the timer
  if (deadline_ns != kNever) {
    deadline_ns = std::max<uint64_t>(deadline_ns, 1);  // zero would disarm instead of firing
    spec.it_value.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000u);
    spec.it_value.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000u);
  }
  sys::check(timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr), "timerfd_settime");
  std::array<epoll_event, 16> events{};
  int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
  if (n < 0 && errno == EINTR) return {};
  sys::check(n, "epoll_wait");
  Wakeup w;
  for (int i = 0; i < n; ++i) {
    int fd = events[static_cast<size_t>(i)].data.fd;
    if (fd == timer_.get()) {
      uint64_t expirations = 0;
      (void)!read(fd, &expirations, sizeof(expirations));
    } else if (fd == signals_.get()) {
      signalfd_siginfo info{};
      while (read(fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        w.signalled = true;
      }
    } else {
      w.readable.push_back(fd);
    }
  }
  return w;
}

}  // namespace ss::probes::quic
