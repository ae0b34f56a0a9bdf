// The detect table in words, from hand-built fates.
#include "report/detect.hpp"

#include <gtest/gtest.h>

#include "report/timeline.hpp"

namespace {

ss::ProbeFate fate(const std::string& name, nlohmann::json detect) {
  ss::ProbeFate f;
  f.name = name;
  f.proto = "tcp";
  f.extra["detect"] = std::move(detect);
  return f;
}

ss::RunRecord record() {
  ss::RunRecord r;
  r.window_ms = 7'000;
  r.probes.push_back(fate("detect-default", {{"sent_after_t0", true},
                                             {"predicted_ms", 924'600.0},
                                             {"predicted_by", "tcp_retries2 = 15"}}));
  r.probes.push_back(fate("detect-keepalive", {{"after_ms", 3'400.0}, {"how", "ETIMEDOUT"}}));
  r.probes.push_back(
      fate("detect-library", {{"after_ms", -0.2}, {"after_t0_ms", 4.0}, {"how", "path callback"}}));
  return r;
}

}  // namespace

TEST(DetectReport, PredictionIsMarkedAndRatiosShown) {
  const auto cells = ss::report::detect_cells(ss::detect_table(record()));
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells[0].after, "not within 7000 ms");
  EXPECT_NE(cells[0].versus_default.find("924.6 s"), std::string::npos);
  EXPECT_NE(cells[0].versus_default.find("a prediction, not measured"), std::string::npos);
  EXPECT_EQ(cells[1].after, "3400.0 ms");
  EXPECT_EQ(cells[1].versus_default, "272x sooner than the default (its prediction)");
  EXPECT_EQ(cells[2].after, "-0.2 ms");
  EXPECT_EQ(cells[2].after_t0, "4.0 ms");
  EXPECT_EQ(cells[2].versus_default,
            "231150x sooner than the default (its prediction); from t=0: it learned before the "
            "call returned");
}

TEST(DetectReport, TheRunReportHasTheTableOnlyWithDetectProbes) {
  EXPECT_NE(ss::report::render_run(record()).find("Time to detect"), std::string::npos);
  EXPECT_NE(ss::report::detect_card_html(record()).find("detect-table"), std::string::npos);
  ss::RunRecord plain;
  EXPECT_EQ(ss::report::render_run(plain).find("Time to detect"), std::string::npos);
  EXPECT_EQ(ss::report::detect_card_html(plain), "");
}
