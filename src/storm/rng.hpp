#pragma once
// The simulator's seeded random numbers: one generator per run, so a seed fixes the result.
#include <cstdint>
#include <random>

namespace ss::storm {

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  // Uniform in [0, 1), from the top 53 bits (the same on every standard library).
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal(double mean, double sd) { return std::normal_distribution<double>(mean, sd)(gen_); }
  double exponential(double mean) {
    return std::exponential_distribution<double>(1.0 / mean)(gen_);
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace ss::storm
