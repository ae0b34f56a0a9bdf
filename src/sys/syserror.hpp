#pragma once
// A failed system call, kept with its name, what it acted on, and errno.
#include <cerrno>
#include <stdexcept>
#include <string>

namespace ss::sys {

class SysError : public std::runtime_error {
 public:
  SysError(std::string call, std::string what, int err);
  const std::string& call() const { return call_; }
  int error() const { return err_; }

 private:
  std::string call_;
  int err_;
};

// Throws SysError(call, what, errno) when rc < 0; returns rc otherwise.
long check(long rc, const char* call, const std::string& what = {});

// "ECONNRESET" for ECONNRESET; "E<number>" for values without a name.
std::string errno_name(int err);

}  // namespace ss::sys
