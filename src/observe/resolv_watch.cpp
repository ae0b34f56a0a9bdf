#include "observe/resolv_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "model/resolv.hpp"
#include "sys/syserror.hpp"

namespace ss::observe {
namespace {
std::vector<std::string> read_nameservers(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_nameservers(ss.str());
}
}  // namespace

ResolvWatch::ResolvWatch(std::string path)
    : path_(std::move(path)), inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (!inotify_) throw sys::SysError("inotify_init1", path_, errno);
  sys::check(
      ::inotify_add_watch(inotify_.get(), path_.c_str(),
                          IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF),
      "inotify_add_watch", path_);
  current_ = read_nameservers(path_);
}

void ResolvWatch::drain(int64_t now_ns, std::vector<std::pair<int64_t, Event>>& out) {
  alignas(inotify_event) char buf[4096];
  bool changed = false;
  while (::read(inotify_.get(), buf, sizeof buf) > 0) changed = true;
  if (!changed) return;
  // A file replaced by rename (resolvconf, NetworkManager on a live host) leaves the watch on
  // the old inode: watch whatever the path names now (the same inode: the same watch).
  ::inotify_add_watch(inotify_.get(), path_.c_str(),
                      IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
  auto now = read_nameservers(path_);
  if (now == current_) return;
  Event e;
  e.layer = Layer::dns;
  e.kind = "resolver_changed";
  e.detail = {{"from", current_}, {"to", now}, {"file", path_}};
  out.emplace_back(now_ns, std::move(e));
  current_ = std::move(now);
}

}  // namespace ss::observe
