#include "storm/token_bucket.hpp"

#include <algorithm>

namespace ss::storm {

TokenBucket::TokenBucket(double rate_per_s, double burst)
    : rate_per_ns_(rate_per_s > 0 ? rate_per_s * 1e-9 : 0), burst_(burst), tokens_(burst) {}

double TokenBucket::refilled(int64_t now_ns) const {
  if (now_ns <= last_ns_) return tokens_;
  return std::min(burst_, tokens_ + static_cast<double>(now_ns - last_ns_) * rate_per_ns_);
}

bool TokenBucket::try_take(int64_t now_ns) {
  if (!limited()) return true;
  tokens_ = refilled(now_ns);
  last_ns_ = std::max(last_ns_, now_ns);
  // A small tolerance so that exactly-due tokens are not lost to rounding.
  if (tokens_ < 1.0 - 1e-9) return false;
  tokens_ -= 1.0;
  return true;
}

double TokenBucket::available(int64_t now_ns) const {
  return limited() ? refilled(now_ns) : burst_;
}

void TokenBucket::reset(int64_t now_ns) {
  tokens_ = burst_;
  last_ns_ = now_ns;
}

}  // namespace ss::storm
