#pragma once
// Holding changes until they stop arriving (pure, time passed in): a burst is released once,
// `quiet` after its last change, but never later than `max_delay` after its first.
#include <cstdint>
#include <optional>

namespace ss::path {

class Debouncer {
 public:
  Debouncer(int64_t quiet_ns, int64_t max_delay_ns) : quiet_(quiet_ns), max_delay_(max_delay_ns) {}

  void note(int64_t now_ns);              // a change arrived
  std::optional<int64_t> due_at() const;  // when the held burst is due; nullopt if none
  bool due(int64_t now_ns) const;         // held and due
  void released() { first_.reset(); }     // the burst was delivered
  bool holding() const { return first_.has_value(); }

 private:
  int64_t quiet_, max_delay_;
  std::optional<int64_t> first_;
  int64_t last_ = 0;
};

}  // namespace ss::path
