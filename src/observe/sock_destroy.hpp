#pragma once
// The sockets the kernel destroys in one namespace, as sock_diag announces them to its
// SKNLGRP_INET_TCP_DESTROY, _UDP_ and INET6 multicast groups (what `ss -E` prints).
#include <cstdint>
#include <functional>

#include "model/watch_destroyed.hpp"
#include "sys/fd.hpp"

namespace ss::observe {

class SockDestroyListener {
 public:
  // Subscribes in the namespace behind netns_fd (-1: the caller's own). Throws SysError.
  explicit SockDestroyListener(int netns_fd);
  int fd() const { return sock_.get(); }
  using Sink = std::function<void(int64_t mono_ns, const DestroyedSocket& s)>;
  // Hands every queued notification to sink (time: when it was read). ENOBUFS (the kernel
  // dropped notifications) is counted in overruns().
  void drain(int64_t now_ns, const Sink& sink);
  int64_t overruns() const { return overruns_; }

 private:
  sys::Fd sock_;
  int64_t overruns_ = 0;
};

}  // namespace ss::observe
