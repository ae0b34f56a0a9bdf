#pragma once
// A token-bucket connection rate limit: `rate` tokens per second, at most `burst` saved up.
// Time is passed in (ns, any monotonic origin); the bucket starts full.
#include <cstdint>

namespace ss::storm {

class TokenBucket {
 public:
  // rate <= 0 means no limit: every take succeeds.
  TokenBucket(double rate_per_s, double burst);
  // Takes one token if there is one at `now_ns`. `now_ns` must not go backwards.
  bool try_take(int64_t now_ns);
  // Tokens available at `now_ns` (without taking any).
  double available(int64_t now_ns) const;
  // Refills to `burst` and restarts the clock at `now_ns`.
  void reset(int64_t now_ns);
  bool limited() const { return rate_per_ns_ > 0; }

 private:
  double refilled(int64_t now_ns) const;

  double rate_per_ns_;
  double burst_;
  double tokens_;
  int64_t last_ns_ = 0;
};

}  // namespace ss::storm
