#include "storm/reference.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace ss::storm;

TEST(Reference, OneClientWritesAtTheFirstTry) {
  OccTrial t = run_occ_trial(PolicyKind::exponential, 1, 1);
  EXPECT_EQ(t.calls, 1u);
  EXPECT_GT(t.time_ns, 15'000'000);  // three network crossings of about 10ms
  EXPECT_LT(t.time_ns, 50'000'000);
}

TEST(Reference, NoBackoffMakesAboutNSquaredOverTwoCalls) {
  double calls = 0;
  for (uint64_t s = 0; s < 20; ++s)
    calls += static_cast<double>(run_occ_trial(PolicyKind::immediate, 20, s).calls);
  calls /= 20;
  EXPECT_GT(calls, 100);  // one winner per round: at least N rounds of contention
  EXPECT_LT(calls, 20 * 21);
}

// The known result: no backoff and plain exponential do the most work; full jitter and
// decorrelated jitter need far fewer calls.
TEST(Reference, JitterNeedsFarFewerCallsThanNoBackoffOrExponential) {
  auto results = run_occ_experiment(30, 1);
  std::map<std::pair<PolicyKind, uint32_t>, double> calls;
  for (const OccResult& r : results) calls[{r.policy, r.clients}] = r.mean_calls;
  for (uint32_t n : {30u, 40u, 50u}) {
    double none = calls[{PolicyKind::immediate, n}], expo = calls[{PolicyKind::exponential, n}];
    double full = calls[{PolicyKind::full_jitter, n}], decor = calls[{PolicyKind::decorrelated, n}];
    double equal = calls[{PolicyKind::equal_jitter, n}];
    EXPECT_GT(std::min(none, expo), 1.4 * std::max(full, decor)) << n << " clients";
    EXPECT_LT(full, equal) << n << " clients";
  }
}
