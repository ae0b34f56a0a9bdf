#pragma once
// Named network namespaces (as `ip netns` keeps them, under /run/netns) and switching the
// calling thread into one. Nothing here touches the root namespace's network state.
#include <string>
#include <vector>

#include "sys/fd.hpp"

namespace ss::sys {

inline constexpr const char* kNetnsDir = "/run/netns";

// Creates /run/netns/<name> holding a new, empty network namespace (loopback down).
// Throws SysError; leaves nothing behind on failure.
void netns_create(const std::string& name);

// Unmounts and removes /run/netns/<name>. Missing is not an error. Returns false on failure.
bool netns_delete(const std::string& name) noexcept;

// Opens /run/netns/<name> (O_RDONLY|O_CLOEXEC).
Fd netns_open(const std::string& name);

// Names under /run/netns that start with prefix.
std::vector<std::string> netns_list(const std::string& prefix);

// Moves the calling thread into a network namespace for the guard's lifetime. Sockets
// created meanwhile stay in that namespace for good (which is how the lab opens its
// netlink, capture and probe sockets without leaving the root namespace itself).
class NetnsGuard {
 public:
  explicit NetnsGuard(int netns_fd);
  ~NetnsGuard();
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

 private:
  Fd original_;
};

}  // namespace ss::sys
