// The C API's watcher (include/splitsecond/path.h): rtnetlink changes (rtnl_watch) turned into
// path events, matched against the watched sockets, and released through the debouncer.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <map>
#include <new>
#include <system_error>
#include <vector>

#include "debounce.hpp"
#include "rtnl_watch.hpp"
#include "splitsecond/path.h"

namespace {

int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// A watched socket's local address (an IPv6 socket's v4-mapped address as IPv4).
struct Source {
  int family = 0;
  std::array<uint8_t, 16> addr{};
};

bool source_of(int fd, Source& out) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return false;
  if (ss.ss_family == AF_INET) {
    out.family = AF_INET;
    std::memcpy(out.addr.data(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, 4);
    return true;
  }
  if (ss.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
      out.family = AF_INET;
      std::memcpy(out.addr.data(), a6.s6_addr + 12, 4);
    } else {
      out.family = AF_INET6;
      std::memcpy(out.addr.data(), a6.s6_addr, 16);
    }
    return true;
  }
  errno = EAFNOSUPPORT;
  return false;
}

bool same_address(int family, const std::array<uint8_t, 16>& a, const Source& s) {
  return family == s.family &&
         std::memcmp(a.data(), s.addr.data(), family == AF_INET ? 4 : 16) == 0;
}

void copy_text(char* dst, size_t size, const std::string& text) {
  std::snprintf(dst, size, "%s", text.c_str());  // cut to size, always terminated
}

bool same_event(const ss_path_event& a, const ss_path_event& b) {
  return a.kind == b.kind && a.family == b.family && a.ifindex == b.ifindex && a.fd == b.fd &&
         std::strcmp(a.address, b.address) == 0 && a.prefix_len == b.prefix_len;
}

}  // namespace

struct ss_path_watcher {
  ss_path_options options{};
  ss_path_callback callback = nullptr;
  void* user = nullptr;
  ss::path::RtnlWatch watch;
  ss::path::Debouncer debouncer;
  std::map<int, Source> sockets;
  std::vector<ss_path_event> held;  // debounced, in arrival order, duplicates merged
  std::vector<ss_path_event> ready;

  ss_path_watcher(const ss_path_options& o, ss_path_callback cb, void* u)
      : options(o),
        callback(cb),
        user(u),
        debouncer(int64_t{o.debounce_ms} * 1'000'000,
                  int64_t{o.max_delay_ms ? o.max_delay_ms : 4 * o.debounce_ms} * 1'000'000) {}

  void queue(const ss_path_event& e, int64_t now) {
    const bool immediate = options.debounce_ms == 0 ||
                           (e.kind == SS_PATH_SOURCE_LOST && options.source_lost_immediate);
    if (immediate) {
      ready.push_back(e);
      return;
    }
    auto it = std::find_if(held.begin(), held.end(),
                           [&](const ss_path_event& h) { return same_event(h, e); });
    if (it != held.end())
      *it = e;  // the later of two equal changes
    else
      held.push_back(e);
    debouncer.note(now);
  }

  ss_path_event event_for(const ss::path::Change& c, ss_path_kind kind, int64_t now) const {
    ss_path_event e{};
    e.kind = kind;
    e.family = c.family;
    if (c.family) copy_text(e.address, sizeof e.address, ss::path::address_text(c.family, c.addr));
    e.prefix_len = c.prefix_len;
    e.ifindex = c.ifindex;
    copy_text(e.ifname, sizeof e.ifname, c.ifname);
    e.fd = -1;
    e.detected_ns = now;
    return e;
  }

  void on_change(const ss::path::Change& c, int64_t now) {
    using K = ss::path::Change::Kind;
    switch (c.kind) {
      case K::address_removed:
        // Sockets first: the one change an application most needs to hear of.
        for (auto it = sockets.begin(); it != sockets.end();) {
          if (!same_address(c.family, c.addr, it->second)) {
            ++it;
            continue;
          }
          ss_path_event e = event_for(c, SS_PATH_SOURCE_LOST, now);
          e.fd = it->first;
          e.present = 0;
          queue(e, now);
          it = sockets.erase(it);
        }
        queue(event_for(c, SS_PATH_ADDRESS_REMOVED, now), now);
        break;
      case K::address_added: {
        ss_path_event e = event_for(c, SS_PATH_ADDRESS_ADDED, now);
        e.present = 1;
        queue(e, now);
        break;
      }
      case K::route_added:
      case K::route_removed: {
        ss_path_event e = event_for(c, SS_PATH_DEFAULT_ROUTE_CHANGED, now);
        e.present = c.kind == K::route_added;
        queue(e, now);
        break;
      }
      case K::link_added:
      case K::link_removed:
      case K::link_up:
      case K::link_down:
        if (c.tunnel) {
          ss_path_event e = event_for(c, SS_PATH_TUNNEL_CHANGED, now);
          e.present = c.kind == K::link_added || c.kind == K::link_up;
          queue(e, now);
        }
        break;
    }
  }

  int process() {
    const int64_t now = now_ns();
    std::vector<ss::path::Change> changes;
    const bool complete = watch.read(changes);
    for (const auto& c : changes) on_change(c, now);
    if (!complete) {
      ss_path_event e{};
      e.kind = SS_PATH_EVENTS_LOST;
      e.fd = -1;
      e.detected_ns = now;
      ready.push_back(e);
    }
    if (debouncer.due(now)) {
      ready.insert(ready.end(), held.begin(), held.end());
      held.clear();
      debouncer.released();
    }
    std::vector<ss_path_event> batch;
    batch.swap(ready);
    for (const auto& e : batch) callback(&e, user);
    return static_cast<int>(batch.size());
  }
};

extern "C" {

void ss_path_options_init(ss_path_options* o) {
  o->debounce_ms = 0;
  o->max_delay_ms = 0;
  o->source_lost_immediate = 1;
}

ss_path_watcher* ss_path_watcher_new(const ss_path_options* options, ss_path_callback callback,
                                     void* user) {
  if (!callback) {
    errno = EINVAL;
    return nullptr;
  }
  ss_path_options o;
  ss_path_options_init(&o);
  if (options) o = *options;
  try {
    return new ss_path_watcher(o, callback, user);
  } catch (const std::system_error& e) {
    errno = e.code().value();
  } catch (const std::bad_alloc&) {
    errno = ENOMEM;
  } catch (const std::exception&) {
    errno = EIO;
  }
  return nullptr;
}

void ss_path_watcher_free(ss_path_watcher* w) {
  delete w;
}

int ss_path_watcher_fd(const ss_path_watcher* w) {
  return w->watch.fd();
}

int ss_path_watcher_timeout_ms(const ss_path_watcher* w) {
  auto at = w->debouncer.due_at();
  if (!at) return -1;
  const int64_t left = *at - now_ns();
  return left <= 0 ? 0 : static_cast<int>((left + 999'999) / 1'000'000);
}

int ss_path_watcher_process(ss_path_watcher* w) {
  try {
    return w->process();
  } catch (const std::system_error& e) {
    return -e.code().value();
  } catch (const std::exception&) {
    return -EIO;
  }
}

int ss_path_watcher_wait(ss_path_watcher* w, int timeout_ms) {
  const int held = ss_path_watcher_timeout_ms(w);
  if (held >= 0 && (timeout_ms < 0 || held < timeout_ms)) timeout_ms = held;
  pollfd p{w->watch.fd(), POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) < 0 && errno != EINTR) return -errno;
  return ss_path_watcher_process(w);
}

int ss_path_watch_socket(ss_path_watcher* w, int fd) {
  Source s;
  if (!source_of(fd, s)) return -errno;
  static constexpr std::array<uint8_t, 16> any{};
  if (std::memcmp(s.addr.data(), any.data(), s.family == AF_INET ? 4 : 16) == 0)
    return -ENOTCONN;  // no source address yet: nothing to lose
  w->sockets[fd] = s;
  return 0;
}

int ss_path_unwatch_socket(ss_path_watcher* w, int fd) {
  return w->sockets.erase(fd) ? 0 : -ENOENT;
}

}  // extern "C"
