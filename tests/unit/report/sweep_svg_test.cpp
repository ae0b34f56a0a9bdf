// The gap sweep's plot and table, from summaries where probes did and did not survive.
#include "report/sweep_svg.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "report/sweep_table.hpp"

using namespace std::chrono_literals;
using ss::GapCounts;
using ss::Micros;
using ss::SweepSummary;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// tcp: 3 of 3 at 10ms, 1 of 2 at 100ms, 0 of 3 at 1s; "a<b&c": never judged.
SweepSummary sample() {
  SweepSummary s;
  s.gaps = {10ms, 100ms, 1s};
  s.labs_ok = {3, 3, 3};
  s.labs_failed = {0, 0, 1};
  ss::ProbeSurvival tcp{"tcp", {}};
  tcp.by_gap = {GapCounts{10ms, 3, 0, 0, 0}, GapCounts{100ms, 1, 1, 0, 1},
                GapCounts{1s, 0, 1, 2, 0}};
  ss::ProbeSurvival odd{"a<b&c", {}};
  odd.by_gap = {GapCounts{10ms, 0, 0, 0, 3}, GapCounts{100ms, 0, 0, 0, 3},
                GapCounts{1s, 0, 0, 0, 3}};
  s.probes = {tcp, odd};
  return s;
}

struct Point {
  double x, y;
};

std::vector<Point> circles(const std::string& svg) {
  std::vector<Point> out;
  const std::regex re("<circle cx=\"([0-9.]+)\" cy=\"([0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator();
       ++it)
    out.push_back({std::stod((*it)[1]), std::stod((*it)[2])});
  return out;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(SweepSvg, IsOneSelfContainedDocumentWithLabelledAxes) {
  const auto svg = ss::report::render_sweep_svg(sample(), "flicker: survival by gap");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_THAT(svg, HasSubstr("xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_THAT(svg, HasSubstr("gap: carrier lost for (log scale)"));
  EXPECT_THAT(svg, HasSubstr("survived (fraction of labs)"));
  EXPECT_THAT(svg, HasSubstr(">flicker: survival by gap<"));
  EXPECT_THAT(svg, HasSubstr(">100ms<"));
  EXPECT_THAT(svg, Not(HasSubstr("href")));  // nothing fetched from elsewhere
  EXPECT_THAT(svg, Not(HasSubstr("<script")));
}

TEST(SweepSvg, OneLinePerJudgedProbeOnALogScale) {
  const auto svg = ss::report::render_sweep_svg(sample(), "t");
  EXPECT_EQ(count(svg, "<path "), 1u) << "the never-judged probe draws no line";
  const auto pts = circles(svg);
  ASSERT_EQ(pts.size(), 3u);
  // gaps 10x apart are equally far apart across
  EXPECT_NEAR(pts[1].x - pts[0].x, pts[2].x - pts[1].x, 0.2);
  EXPECT_GT(pts[1].x, pts[0].x);
  // all survived at the top, half in the middle, none at the bottom
  EXPECT_LT(pts[0].y, pts[1].y);
  EXPECT_NEAR(pts[1].y, (pts[0].y + pts[2].y) / 2, 0.2);
}

TEST(SweepSvg, ALineBreaksWhereNoLabJudgedTheProbe) {
  auto s = sample();
  s.probes[0].by_gap[1] = GapCounts{100ms, 0, 0, 0, 2};
  const auto svg = ss::report::render_sweep_svg(s, "t");
  EXPECT_EQ(circles(svg).size(), 2u);
  const std::regex path("<path d=\"([^\"]*)\"");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, path));
  EXPECT_EQ(count(m[1], "M"), 2u) << m[1];
  EXPECT_EQ(count(m[1], "L"), 0u) << m[1];
}

TEST(SweepSvg, NamesAreEscapedAndEveryProbeIsInTheLegend) {
  const auto svg = ss::report::render_sweep_svg(sample(), "<t>");
  EXPECT_THAT(svg, HasSubstr("a&lt;b&amp;c"));
  EXPECT_THAT(svg, Not(HasSubstr("a<b")));
  EXPECT_THAT(svg, HasSubstr("&lt;t&gt;"));
  EXPECT_THAT(svg, HasSubstr(">tcp</text>"));
}

TEST(SweepSvg, ASingleGapStillHasAnAxis) {
  auto s = sample();
  s.gaps = {100ms};
  s.labs_ok = {3};
  s.labs_failed = {0};
  s.probes.resize(1);
  s.probes[0].by_gap = {GapCounts{100ms, 1, 0, 1, 0}};
  const auto pts = circles(ss::report::render_sweep_svg(s, "t"));
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_TRUE(std::isfinite(pts[0].x));
}

TEST(SweepSvg, GapLabelsDoNotOverlap) {
  auto s = sample();
  s.gaps = {1s, 1010ms, 1500ms, 5s};
  s.labs_ok = s.labs_failed = {0, 0, 0, 0};
  s.probes.clear();
  const auto svg = ss::report::render_sweep_svg(s, "t");
  EXPECT_THAT(svg, HasSubstr(">1s<"));
  EXPECT_THAT(svg, Not(HasSubstr(">1.01s<"))) << "too close to 1s to be read";
  EXPECT_THAT(svg, HasSubstr(">1.5s<"));
  EXPECT_THAT(svg, HasSubstr(">5s<"));
}

TEST(SweepTable, CountsPerProbeAndGap) {
  const auto t = ss::report::render_sweep_table(sample());
  EXPECT_THAT(t, HasSubstr("10ms"));
  EXPECT_THAT(t, HasSubstr("1s"));
  EXPECT_THAT(t, ::testing::ContainsRegex("tcp +3/0/0 +1/1/0 +0/1/2"));
  EXPECT_THAT(t, ::testing::ContainsRegex("a<b&c +- +- +-"));
  EXPECT_THAT(t, ::testing::ContainsRegex("probe set-ups failed +3 +4 +3"));
  EXPECT_THAT(t, ::testing::ContainsRegex("labs without a record +0 +0 +1"));
}

}  // namespace
