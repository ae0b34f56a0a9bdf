// The built-in `detect` scenario on this kernel: in one run, which ways of learning that a TCP
// connection died do so within the window after a clean disconnect, and which do not (the
// kernel's bound printed as a prediction for those).
#include <gtest/gtest.h>

#include <cstdio>

#include "lab_util.hpp"
#include "model/detect.hpp"
#include "model/record.hpp"
#include "report/detect.hpp"

namespace {

const ss::DetectRow* row(const ss::DetectTable& t, const std::string& probe) {
  for (const auto& r : t.rows)
    if (r.probe == probe) return &r;
  return nullptr;
}

TEST(Detect, EachMethodOnThisKernelAgainstTheDefault) {
  REQUIRE_ROOT();
  const std::string json = labtest::temp_path("detect.json");
  const labtest::Result r = labtest::sh(labtest::bin() + " run detect --json " + json, 120);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(labtest::schema_problems(json), "");
  const ss::RunRecord rec = ss::record_from_json(nlohmann::json::parse(labtest::slurp(json)));
  std::remove(json.c_str());
  const ss::DetectTable t = ss::detect_table(rec);
  std::printf("%s\n", ss::report::render_detect(rec).c_str());  // the table, in the test's log
  ASSERT_EQ(t.rows.size(), ss::detect_methods().size()) << r.out;
  for (const auto& x : t.rows) EXPECT_TRUE(x.setup_ok) << x.probe << ": " << x.setup_error;

  {
    SCOPED_TRACE("TCP_USER_TIMEOUT, idle keepalive, reap and the library detect in the window");
    for (const char* p :
         {"detect-user-timeout", "detect-keepalive", "detect-reap", "detect-library"}) {
      const auto* x = row(t, p);
      ASSERT_TRUE(x) << p;
      EXPECT_TRUE(x->after_ms) << p << " did not detect within the window\n" << r.out;
      EXPECT_FALSE(x->how.empty()) << p;
    }
    EXPECT_EQ(row(t, "detect-reap")->how, "ECONNABORTED") << r.out;
    EXPECT_EQ(row(t, "detect-library")->how, "path callback") << r.out;
  }
  {
    SCOPED_TRACE("the default and keepalive with data in flight do not; the bound is predicted");
    const auto retries2 = rec.kernel.value("tcp_retries2", -1);
    ASSERT_GE(retries2, 0) << "the record has no kernel.tcp_retries2";
    for (const char* p : {"detect-default", "detect-keepalive-inflight"}) {
      const auto* x = row(t, p);
      ASSERT_TRUE(x) << p;
      EXPECT_FALSE(x->after_ms) << p << " detected after " << x->after_ms.value_or(0) << " ms\n"
                                << r.out;
      EXPECT_TRUE(x->sent_after_t0) << p;
      ASSERT_TRUE(x->predicted_ms) << p;
      EXPECT_DOUBLE_EQ(*x->predicted_ms, ss::retries_timeout_ms(retries2)) << p;
    }
    EXPECT_TRUE(t.default_predicted);
    EXPECT_NE(r.out.find("a prediction, not measured"), std::string::npos) << r.out;
  }
  {
    SCOPED_TRACE("the detecting methods are sooner than the default");
    for (const auto& x : t.rows)
      if (x.after_ms && *x.after_ms > 0) {
        EXPECT_TRUE(x.ratio && *x.ratio > 1) << x.probe;
      }
  }
  for (const char* p : {"detect-reap", "detect-library", "detect-user-timeout", "detect-keepalive"})
    if (const auto* x = row(t, p); x && x->after_ms)
      RecordProperty(std::string(p).substr(7) + "_after_us", static_cast<int>(*x->after_ms * 1000));
  if (t.default_ms) RecordProperty("default_predicted_ms", static_cast<int>(*t.default_ms));
}

}  // namespace
