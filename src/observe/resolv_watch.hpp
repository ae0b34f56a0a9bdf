#pragma once
// Watches one resolv.conf (inotify) and reports each change of its nameservers.
#include <cstdint>
#include <string>
#include <vector>

#include "model/record.hpp"
#include "sys/fd.hpp"

namespace ss::observe {

class ResolvWatch {
 public:
  explicit ResolvWatch(std::string path);
  int fd() const { return inotify_.get(); }
  const std::vector<std::string>& current() const { return current_; }
  // Reads inotify events; when the nameservers differ from the last seen, appends a
  // "resolver_changed" event with `from` and `to`.
  void drain(int64_t now_ns, std::vector<std::pair<int64_t, Event>>& out);

 private:
  std::string path_;
  sys::Fd inotify_;
  std::vector<std::string> current_;
};

}  // namespace ss::observe
