// The HTML page of a gap sweep, from a hand-built sweep record through its JSON (as `report`
// reads it): every probe's row, a cell per gap from the counts, the plot inlined, each lab.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/html.hpp"

using ::testing::HasSubstr;
using ::testing::Not;

namespace {

ss::ItemResult item(int index, int64_t gap_us,
                    std::vector<std::pair<std::string, std::string>> probes) {
  ss::ItemResult it;
  it.item = {index, ss::Micros(gap_us), 1};
  it.carrier_up_at_us = gap_us;
  it.window_ms = 3000;
  it.seconds = 20;
  it.probes = std::move(probes);
  return it;
}

ss::SweepRecord sweep() {
  ss::SweepRecord r;
  r.def = {"flicker", "wireguard", "reference", {ss::Micros(100'000), ss::Micros(2'000'000)},
           1,         "0.1.0"};
  r.shards = {{1, 1}};
  r.jobs = 2;
  r.wall_s = 41.5;
  r.items = {item(0, 100'000, {{"tcp", "yes"}, {"<quic>", "partial"}}),
             item(1, 2'000'000, {{"tcp", "no"}, {"<quic>", "set-up failed"}})};
  ss::ItemResult failed = item(2, 2'000'000, {});
  failed.status = "failed";
  failed.exit_code = 3;
  failed.error = "cannot run here: <not root>";
  failed.carrier_up_at_us.reset();
  r.items.push_back(failed);
  return ss::sweep_from_json(ss::sweep_to_json(r), "test");
}

}  // namespace

TEST(HtmlSweep, RowsCellsPlotAndLabs) {
  const std::string html = ss::report::html_sweep_page(sweep());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(html, HasSubstr("<tr data-probe=\"tcp\">"));
  EXPECT_THAT(html, HasSubstr("<tr data-probe=\"&lt;quic&gt;\">"));
  EXPECT_THAT(html, Not(HasSubstr("<quic>")));
  // tcp: yes at 100 ms, no at 2 s; quic: partial at 100 ms, only a set-up failure at 2 s.
  EXPECT_THAT(html, HasSubstr("<span class=\"badge yes\" title=\"yes / partial / no\">1/0/0"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge no\" title=\"yes / partial / no\">0/0/1"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge partial\" title=\"yes / partial / no\">0/1/0"));
  EXPECT_THAT(html, HasSubstr("set-up failed x1"));
  EXPECT_THAT(html, HasSubstr("<th class=\"num\">100 ms</th><th class=\"num\">2 s</th>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"num\">1 / 0</td><td class=\"num\">1 / 1</td>"));
  // The plot, inlined (no XML declaration inside the page).
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, Not(HasSubstr("<?xml")));
  EXPECT_THAT(html, HasSubstr("flicker: survival by gap (wireguard, reference; 1 rep per gap)"));
  // Each lab, the failed one with what happened, escaped.
  for (int i = 0; i < 3; ++i) EXPECT_THAT(html, HasSubstr("<tr data-item=\"" + std::to_string(i)));
  EXPECT_THAT(html, HasSubstr("cannot run here: &lt;not root&gt;"));
  EXPECT_THAT(html, HasSubstr("2 labs with a record, 1 without"));
}
