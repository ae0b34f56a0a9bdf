#pragma once
// The three kinds of failure a user must be able to tell apart, with their exit codes.
#include <stdexcept>
#include <string>

namespace ss {

enum class Exit : int { ok = 0, internal = 1, usage = 2, environment = 3 };

// Bad user input: a wrong option, a bad scenario file (exit 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The machine cannot run this: not root, a program missing, no /dev/net/tun (exit 3).
class EnvironmentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ss
