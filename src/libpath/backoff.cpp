// Exponential backoff with jitter (include/splitsecond/path.h). Pure given a seed: the only
// outside input is getrandom() when the caller passes seed 0.
#include <sys/random.h>

#include <algorithm>
#include <cmath>

#include "splitsecond/path.h"

namespace {

// splitmix64: small, fast, and every 64-bit seed gives a full-period sequence.
uint64_t next_u64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [lo, hi].
double uniform(uint64_t& state, double lo, double hi) {
  const double unit = static_cast<double>(next_u64(state) >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * unit;
}

uint32_t to_ms(double ms) {
  return static_cast<uint32_t>(std::clamp(std::llround(ms), 0LL, 0xffffffffLL));
}

}  // namespace

extern "C" {

void ss_backoff_options_init(ss_backoff_options* o) {
  o->initial_ms = 1000;
  o->multiplier = 1.6;
  o->max_ms = 120000;
  o->jitter = SS_JITTER_FULL;
  o->jitter_fraction = 0.2;
  o->seed = 0;
}

void ss_backoff_init(ss_backoff* b, const ss_backoff_options* options) {
  if (options)
    b->options = *options;
  else
    ss_backoff_options_init(&b->options);
  auto& o = b->options;
  if (o.multiplier < 1.0) o.multiplier = 1.0;
  if (o.max_ms < o.initial_ms) o.max_ms = o.initial_ms;
  o.jitter_fraction = std::clamp(o.jitter_fraction, 0.0, 1.0);
  b->rng = o.seed;
  if (b->rng == 0 && ::getrandom(&b->rng, sizeof b->rng, 0) != sizeof b->rng) b->rng = 1;
  ss_backoff_reset(b);
}

void ss_backoff_reset(ss_backoff* b) {
  b->current_ms = b->options.initial_ms;
  b->previous_ms = b->options.initial_ms;
  b->attempts = 0;
}

uint32_t ss_backoff_next_ms(ss_backoff* b) {
  const auto& o = b->options;
  const double cap = o.max_ms;
  const double base = std::min(cap, b->current_ms);
  double delay = base;
  switch (o.jitter) {
    case SS_JITTER_NONE:
      break;
    case SS_JITTER_FULL:
      delay = uniform(b->rng, 0.0, base);
      break;
    case SS_JITTER_DECORRELATED:
      delay = std::min(
          cap, uniform(b->rng, o.initial_ms, std::max<double>(o.initial_ms, 3.0 * b->previous_ms)));
      break;
    case SS_JITTER_PROPORTIONAL:
      // As gRPC: the jitter applies after the cap, so a delay may exceed max_ms by the fraction.
      delay = base * uniform(b->rng, 1.0 - o.jitter_fraction, 1.0 + o.jitter_fraction);
      break;
  }
  b->previous_ms = delay;
  b->current_ms = std::min(cap, b->current_ms * o.multiplier);
  ++b->attempts;
  return to_ms(delay);
}

}  // extern "C"
