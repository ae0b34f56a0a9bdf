#include "sys/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "sys/syserror.hpp"

namespace ss::sys {
namespace {

std::string path_of(const std::string& name) {
  return std::string(kNetnsDir) + "/" + name;
}

// /run/netns must be a shared mount so that namespaces mounted there are seen by every mount
// namespace (what iproute2 does too); done once, idempotently.
void ensure_netns_dir() {
  ::mkdir("/run", 0755);
  if (::mkdir(kNetnsDir, 0755) < 0 && errno != EEXIST) throw SysError("mkdir", kNetnsDir, errno);
  if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) == 0) return;
  if (errno != EINVAL) throw SysError("mount --make-shared", kNetnsDir, errno);
  check(::mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr), "mount --bind",
        kNetnsDir);
  check(::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr), "mount --make-shared",
        kNetnsDir);
}

}  // namespace

void netns_create(const std::string& name) {
  ensure_netns_dir();
  const std::string path = path_of(name);
  Fd placeholder(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
  if (!placeholder) throw SysError("open(O_CREAT|O_EXCL)", path, errno);
  placeholder.reset();

  // unshare() in a throwaway thread so the calling thread never leaves its namespace.
  int err = 0;
  const char* failed = nullptr;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) < 0) {
      err = errno, failed = "unshare(CLONE_NEWNET)";
    } else if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0) {
      err = errno, failed = "mount --bind";
    }
  }).join();
  if (failed) {
    ::unlink(path.c_str());
    throw SysError(failed, path, err);
  }
}

bool netns_delete(const std::string& name) noexcept {
  const std::string path = path_of(name);
  if (::umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) return false;
  return ::unlink(path.c_str()) == 0 || errno == ENOENT;
}

Fd netns_open(const std::string& name) {
  const std::string path = path_of(name);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", path, errno);
  return fd;
}

std::vector<std::string> netns_list(const std::string& prefix) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(kNetnsDir);
  if (!dir) return names;
  while (dirent* e = ::readdir(dir)) {
    std::string n = e->d_name;
    if (n.rfind(prefix, 0) == 0 && n != "." && n != "..") names.push_back(n);
  }
  ::closedir(dir);
  return names;
}

NetnsGuard::NetnsGuard(int netns_fd)
    : original_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
  if (!original_) throw SysError("open", "/proc/thread-self/ns/net", errno);
  check(::setns(netns_fd, CLONE_NEWNET), "setns", "network namespace");
}

NetnsGuard::~NetnsGuard() {
  // Failing to return would leave this thread in a lab namespace: never continue then.
  if (::setns(original_.get(), CLONE_NEWNET) < 0) {
    std::perror("splitsecond: setns back to the original namespace");
    std::abort();
  }
}

}  // namespace ss::sys
