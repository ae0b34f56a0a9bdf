// Integer fields of a stored record holding a number no integer can hold (found by record_fuzz:
// the conversion is undefined behaviour, reported by clang's UBSan) must be rejected as bad input.
#include <gtest/gtest.h>

#include "model/record.hpp"

namespace {

nlohmann::json small_record() {
  ss::RunRecord r;
  r.scenario = "crash";
  r.vpn = {"wireguard", "wireguard-go", "tun0", "10.8.0.42", "198.51.100.1:51820"};
  r.events.push_back({0, ss::Layer::link, "trigger", {}});
  return ss::to_json(r);
}

}  // namespace

TEST(RecordFloat, EventTimeBeyondInt64IsRejected) {
  auto j = small_record();
  j["events"][0]["t_us"] = 1e300;
  EXPECT_THROW(ss::record_from_json(j), std::exception);
}

TEST(RecordFloat, LeakCountBeyondIntIsRejected) {
  auto j = small_record();
  j["leaks"]["dns_plaintext"] = 1e300;
  EXPECT_THROW(ss::record_from_json(j), std::exception);
}
