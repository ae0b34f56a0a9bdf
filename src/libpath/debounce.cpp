#include "debounce.hpp"

#include <algorithm>

namespace ss::path {

void Debouncer::note(int64_t now_ns) {
  if (!first_) first_ = now_ns;
  last_ = now_ns;
}

std::optional<int64_t> Debouncer::due_at() const {
  if (!first_) return std::nullopt;
  return std::min(last_ + quiet_, *first_ + max_delay_);
}

bool Debouncer::due(int64_t now_ns) const {
  auto at = due_at();
  return at && now_ns >= *at;
}

}  // namespace ss::path
