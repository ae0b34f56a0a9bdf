#include "storm/policy.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace ss::storm {
namespace {

constexpr std::array kAll{PolicyKind::immediate,    PolicyKind::fixed,
                          PolicyKind::exponential,  PolicyKind::full_jitter,
                          PolicyKind::equal_jitter, PolicyKind::decorrelated};
constexpr std::array<std::string_view, 6> kNames{"immediate",   "fixed",        "exponential",
                                                 "full-jitter", "equal-jitter", "decorrelated"};

// min(cap, base * 2^n) without overflow.
int64_t capped_exponential(const Policy& p, uint32_t attempt) {
  if (attempt >= 62) return p.cap_ns;
  double v = std::ldexp(static_cast<double>(p.base_ns), static_cast<int>(attempt));
  return v >= static_cast<double>(p.cap_ns) ? p.cap_ns : static_cast<int64_t>(v);
}

int64_t to_ns(double v) {
  return static_cast<int64_t>(v);
}

}  // namespace

std::string_view policy_name(PolicyKind kind) {
  return kNames[static_cast<size_t>(kind)];
}

std::optional<PolicyKind> parse_policy_kind(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return kAll[i];
  }
  return std::nullopt;
}

std::span<const PolicyKind> all_policies() {
  return kAll;
}

int64_t backoff_delay(const Policy& p, uint32_t attempt, int64_t& sleep_ns, Rng& rng) {
  switch (p.kind) {
    case PolicyKind::immediate:
      return 0;
    case PolicyKind::fixed:
      return p.base_ns;
    case PolicyKind::exponential:
      return capped_exponential(p, attempt);
    case PolicyKind::full_jitter:
      return to_ns(rng.uniform(0, static_cast<double>(capped_exponential(p, attempt))));
    case PolicyKind::equal_jitter: {
      double half = static_cast<double>(capped_exponential(p, attempt)) / 2;
      return to_ns(half + rng.uniform(0, half));
    }
    case PolicyKind::decorrelated: {
      double hi = 3.0 * static_cast<double>(std::max(sleep_ns, p.base_ns));
      sleep_ns = std::min(p.cap_ns, to_ns(rng.uniform(static_cast<double>(p.base_ns), hi)));
      return sleep_ns;
    }
  }
  return 0;
}

}  // namespace ss::storm
