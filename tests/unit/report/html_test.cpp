// The HTML report from the stored real records (every lane, action and survival row there;
// the leak window and count track from the record's own figures) and from hand-built records
// (escaping of every string a record can hold; bars that stop at an error or go on).
#include "report/html.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>

#include "report/html_lanes.hpp"
#include "report/survival.hpp"

using nlohmann::json;
using ss::report::html_run_page;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

json stored_json(const std::string& name) {
  std::ifstream f(std::string(SS_TEST_DATA) + "/" + name);
  EXPECT_TRUE(f) << name;
  return json::parse(f);
}

ss::RunRecord stored(const std::string& name) {
  return ss::record_from_json(stored_json(name));
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The value of `attr` on the first element that has `marker` in its opening tag.
std::string attribute_near(const std::string& html, const std::string& marker,
                           const std::string& attr) {
  const auto at = html.find(marker);
  if (at == std::string::npos) return "";
  const auto open = html.rfind('<', at);
  const auto close = html.find('>', at);
  const std::string tag = html.substr(open, close - open);
  const auto a = tag.find(" " + attr + "=\"");
  if (a == std::string::npos) return "";
  const auto from = a + attr.size() + 3;
  return tag.substr(from, tag.find('"', from) - from);
}

ss::RunRecord hand_record() {
  ss::RunRecord r;
  r.scenario = "hand";
  r.disconnect = "clean";
  r.window_ms = 1000;
  r.vpn = {"wireguard", "wireguard-go", "tun0", "10.8.0.42", "198.51.100.1:51820"};
  r.triggers.push_back({0, "disconnect", {{"mode", "clean"}}, true, 500, 500, "call"});
  return r;
}

ss::ProbeFate probe(const std::string& name, bool survived, std::optional<double> detected,
                    json extra = json::object()) {
  ss::ProbeFate p;
  p.name = name;
  p.proto = "tcp";
  p.survived = survived;
  p.detected_ms = detected;
  if (detected) p.error = "ECONNRESET";
  p.extra = std::move(extra);
  return p;
}

const char* const kStored[] = {"crash-record.json", "disconnect-record.json",
                               "survival-record.json", "survival-latest-record.json"};

}  // namespace

TEST(HtmlReport, EveryLaneActionAndSurvivalRowOfTheStoredRecords) {
  for (const char* name : kStored) {
    SCOPED_TRACE(name);
    const auto r = stored(name);
    const std::string html = html_run_page(r);
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    for (const char* lane :
         {"actions", "link", "addr", "route", "dns", "packet-tunnel", "packet-dns_plaintext",
          "packet-bypass", "packet-link_control", "leaks"})
      EXPECT_THAT(html, HasSubstr(fmt::format("data-lane=\"{}\"", lane)));
    for (const auto& p : r.probes) {
      EXPECT_THAT(html, HasSubstr(fmt::format("data-lane=\"probe-{}\"", p.name)));
      EXPECT_THAT(html, HasSubstr(fmt::format("<tr data-probe=\"{}\">", p.name)));
    }
    // One marker per action (older records: their one trigger event).
    const size_t actions = r.triggers.empty() ? 1 : r.triggers.size();
    EXPECT_EQ(count(html, " data-action=\""), actions);
    EXPECT_EQ(count(html, "<tr data-probe="), r.probes.size());
    // Every event of the record is on a lane, plus the list of all of them.
    EXPECT_EQ(count(html, "<tr class=\"ev\">"), r.events.size());
  }
}

TEST(HtmlReport, ThePageFetchesNothing) {
  for (const char* name : kStored) {
    SCOPED_TRACE(name);
    const std::string html = html_run_page(stored(name));
    EXPECT_FALSE(std::regex_search(
        html, std::regex(R"(\s(src|srcset|href|action|formaction|poster|data)\s*=\s*["'])")));
    EXPECT_FALSE(std::regex_search(html, std::regex(R"(url\((?!#))")));
    EXPECT_THAT(html, Not(HasSubstr("@import")));
    EXPECT_THAT(html, Not(HasSubstr("fetch(")));
    EXPECT_THAT(html, Not(HasSubstr("XMLHttpRequest")));
    EXPECT_THAT(html, HasSubstr("Content-Security-Policy\" content=\"default-src 'none'"));
  }
}

TEST(HtmlReport, EveryStringFromTheRecordIsEscaped) {
  auto r = hand_record();
  r.scenario = "<script>alert(1)</script>";
  r.vpn.interface = "tun\"><img src=x onerror=alert(2)>";
  r.physical_interface = "eth'0";
  r.notes = {"a & b <i>note</i>"};
  r.kernel = {{"<k>", "<v>"}};
  r.events.push_back({-5, ss::Layer::link, "removed", {{"ifname", "</svg><script>x()</script>"}}});
  r.events.push_back({10, ss::Layer::probe, "<b>kind</b>", {{"agent", "a\"gent"}}});
  r.events.push_back({20,
                      ss::Layer::packet,
                      "dns_plaintext",
                      {{"dir", "out"},
                       {"proto", 17},
                       {"dst", "192.0.2.1"},
                       {"dport", 53},
                       {"dns", {{"qname", "<img src=y>.example"}, {"response", false}}}}});
  ss::LeakDetail d;
  d.dns.ipv4 = 1;
  d.dns_queries.push_back({20, "<img src=q>.example", "192.0.2.1\"><x"});
  d.per_action.push_back({0, "dis<connect", 1, 0, 0.02, 0.02});
  r.leaks.detail = d;
  r.leaks.dns_plaintext = 1;
  r.probes.push_back(probe("p\"r<o>be'", false, 12.0, {{"gap_ms", "<gap>"}}));
  r.probes.back().error = "<ERR>";
  const std::string html = html_run_page(r);
  for (const char* raw :
       {"<script>alert", "<img src=x", "<img src=y", "<img src=q", "</svg><script>", "<b>kind",
        "<i>note", "<k>", "<ERR>", "\"><x", "p\"r<o>be"})
    EXPECT_THAT(html, Not(HasSubstr(raw))) << raw;
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("tun&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
  EXPECT_THAT(html, HasSubstr("eth&#39;0"));
  EXPECT_THAT(html, HasSubstr("a &amp; b &lt;i&gt;note&lt;/i&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;img src=q&gt;.example"));
  EXPECT_EQ(count(html, "<script>"), 2u) << "only the page's own two scripts";
  // Lane ids are made of safe characters only.
  EXPECT_THAT(html, HasSubstr("data-lane=\"probe-p_r_o_be_\""));
}

TEST(HtmlReport, HtmlEscapeOfEachSpecialCharacter) {
  EXPECT_EQ(ss::report::html_escape("&<>\"'x"), "&amp;&lt;&gt;&quot;&#39;x");
  EXPECT_EQ(ss::report::html_escape(""), "");
  EXPECT_EQ(ss::report::html_escape("plain 10.8.0.1"), "plain 10.8.0.1");
}

TEST(HtmlReport, AProbeBarStopsAtItsErrorOrGoesOnToTheEnd) {
  auto r = hand_record();
  r.probes = {probe("dies", false, 12.5), probe("lives", true, std::nullopt),
              probe("hangs", false, std::nullopt)};
  const std::string html = html_run_page(r);
  // The bars (class "m no" / "m yes") from t=0: to the error, or to the end of the window.
  EXPECT_EQ(attribute_near(html, "data-label=\"survived: no\"", "data-t2"), "12500");
  EXPECT_EQ(attribute_near(html, "data-label=\"survived: yes\"", "data-t2"), "1000000");
  const auto hangs = html.substr(html.find("data-lane=\"probe-hangs\""));
  EXPECT_EQ(attribute_near(hangs, "data-label=\"survived: no\"", "data-t2"), "1000000")
      << "no error: the bar goes on, red, to the end of the window";
  EXPECT_THAT(html, HasSubstr("<span class=\"badge no\">no</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge yes\">yes</span>"));
  EXPECT_THAT(html, HasSubstr("data-label=\"ECONNRESET\""));
}

TEST(HtmlReport, PartialAndSetUpFailedRows) {
  auto r = hand_record();
  r.probes = {probe("back", true, 40.0, {{"recovered_ms", 300.0}}), probe("never", false, {})};
  r.probes[1].setup_ok = false;
  r.probes[1].error = "ECONNREFUSED";
  const std::string html = html_run_page(r);
  EXPECT_THAT(html, HasSubstr("<span class=\"badge partial\">partial</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge other\">set-up failed</span>"));
  EXPECT_THAT(html, HasSubstr("data-label=\"set-up failed: ECONNREFUSED\""));
  // Recovered: the bar goes on past the error.
  EXPECT_EQ(attribute_near(html, "data-label=\"survived: partial\"", "data-t2"), "1000000");
  EXPECT_THAT(html, HasSubstr("data-label=\"recovered\""));
}

TEST(HtmlReport, LeakWindowAndCountTrackFromTheRecord) {
  const json raw = stored_json("survival-latest-record.json");
  const auto r = ss::record_from_json(raw);
  const auto t = ss::report::timeline_lanes(r);
  // The window from the record's per-action figures (relative to its action at t=0).
  const auto& a = raw.at("leaks").at("per_action").at(0);
  ASSERT_EQ(t.leak_windows.size(), 1u);
  EXPECT_EQ(t.leak_windows[0].from_us, std::llround(a.at("first_ms").get<double>() * 1000));
  EXPECT_EQ(t.leak_windows[0].to_us, std::llround(a.at("last_ms").get<double>() * 1000));
  const std::string html = html_run_page(r);
  EXPECT_THAT(html, HasSubstr(fmt::format("class=\"leak-window\" data-t=\"{}\" data-t2=\"{}\"",
                                          t.leak_windows[0].from_us, t.leak_windows[0].to_us)));
  // The count track: as many leaked packets as the record's raw events hold after t=0.
  int raw_leaks = 0, binned = 0;
  for (const auto& e : raw.at("events"))
    if (e.at("layer") == "packet" && e.value("dir", "") == "out" &&
        (e.at("kind") == "bypass" || e.at("kind") == "dns_plaintext") && e.at("t_us") >= 0)
      ++raw_leaks;
  for (const auto& b : t.leak_bins)
    if (b.ms >= 0) binned += b.count;
  EXPECT_EQ(binned, raw_leaks);
  EXPECT_EQ(raw_leaks, raw.at("leaks").at("non_tunnel_packets").get<int>() +
                           raw.at("leaks").at("dns_plaintext").get<int>());
  EXPECT_GT(t.max_leaks_per_ms, 0);
}

TEST(HtmlReport, NoLeakNoWindow) {
  auto r = hand_record();
  r.events.push_back({100, ss::Layer::packet, "tunnel", {{"dir", "out"}, {"proto", 17}}});
  r.events.push_back({200, ss::Layer::packet, "bypass", {{"dir", "in"}, {"proto", 6}}});
  const std::string html = html_run_page(r);
  EXPECT_THAT(html, Not(HasSubstr("class=\"leak-window\"")));
  EXPECT_THAT(html, HasSubstr("0 packets leaked after t=0"));
  // An old record (no per-packet detail) with one leaked packet: the window from the events.
  r.events.push_back({300, ss::Layer::packet, "bypass", {{"dir", "out"}, {"proto", 6}}});
  EXPECT_THAT(html_run_page(r), HasSubstr("class=\"leak-window\" data-t=\"300\" data-t2=\"300\""));
}

TEST(HtmlReport, ScenarioAndEnvironmentAtTheTop) {
  const auto r = stored("survival-latest-record.json");
  const std::string html = html_run_page(r);
  const auto timeline = html.find("class=\"card timeline-card\"");
  for (const std::string& s :
       {std::string("tcp_retries2=15"), r.vpn.endpoint, r.vpn.tunnel_ip, r.physical_interface,
        r.home_resolver, std::string("wireguard via wireguard-go")}) {
    const auto at = html.find(s);
    EXPECT_NE(at, std::string::npos) << s;
    EXPECT_LT(at, timeline) << s << " is above the timeline";
  }
  // The tunnel's removal, as the record has it.
  const ss::Event* removed = nullptr;
  for (const auto& e : r.events)
    if (!removed && e.layer == ss::Layer::link && e.kind == "removed" && e.t_us >= 0 &&
        e.detail.value("ifname", "") == r.vpn.interface)
      removed = &e;
  ASSERT_NE(removed, nullptr);
  EXPECT_THAT(html, HasSubstr(fmt::format("{} removed at {:+.3f} ms", r.vpn.interface,
                                          static_cast<double>(removed->t_us) / 1000.0)));
}

TEST(HtmlReport, ClaimsPageFromAStoredReport) {
  const json claims = {
      {"schema", "splitsecond.claims/1"},
      {"claims",
       {{{"id", "split-routes"},
         {"claim", "c1"},
         {"measured", "m1"},
         {"verdict", "confirmed"},
         {"condition", nullptr}},
        {{"id", "dns-<b>"},
         {"claim", "c2"},
         {"measured", "m2"},
         {"verdict", "depends"},
         {"condition", "when <x>"}},
        {{"id", "no"},
         {"claim", "c3"},
         {"measured", "m3"},
         {"verdict", "contradicted"},
         {"condition", nullptr}}}},
      {"not_measured", {{{"id", "quic"}, {"claim", "c4"}, {"why", "no quic probe"}}}}};
  const auto results = ss::report::claims_from_json(claims);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[3].verdict, "not measured");
  EXPECT_EQ(results[3].measured, "no quic probe");
  const std::string html = ss::report::html_claims_page(results);
  for (const char* id : {"split-routes", "dns-&lt;b&gt;", "no", "quic"})
    EXPECT_THAT(html, HasSubstr(fmt::format("<tr data-claim=\"{}\">", id)));
  EXPECT_THAT(html, HasSubstr("badge confirmed\">confirmed"));
  EXPECT_THAT(html, HasSubstr("badge depends\">depends"));
  EXPECT_THAT(html, HasSubstr("badge contradicted\">contradicted"));
  EXPECT_THAT(html, HasSubstr("when &lt;x&gt;"));
  EXPECT_THAT(html, HasSubstr("3 claims measured, 1 not measured"));
  EXPECT_THAT(html, Not(HasSubstr("<svg")));
  EXPECT_THROW(ss::report::claims_from_json(stored_json("crash-record.json")),
               std::invalid_argument);
}

TEST(HtmlReport, ClaimsPageWithItsRuns) {
  std::map<std::string, ss::RunRecord> runs = {{"clean", stored("disconnect-record.json")},
                                               {"crash", stored("crash-record.json")}};
  const std::string html =
      ss::report::html_claims_page({{"split-routes", "c", "m", "confirmed", ""}}, runs);
  EXPECT_THAT(html, HasSubstr("data-run=\"clean\""));
  EXPECT_THAT(html, HasSubstr("data-run=\"crash\""));
  EXPECT_EQ(count(html, "<svg class=\"timeline\""), 2u);
  EXPECT_THAT(html, HasSubstr("id=\"timeline-1\""));
  EXPECT_THAT(html, HasSubstr("id=\"timeline-2\""));
}

TEST(HtmlReport, StandaloneSvgHasNoScript) {
  const std::string svg = ss::report::timeline_svg(stored("crash-record.json"));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\""));
  EXPECT_THAT(svg, Not(HasSubstr("<script")));
  EXPECT_THAT(svg, HasSubstr("data-lane=\"route\""));
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(HtmlReport, TheStaticViewPutsTZeroInsideThePlot) {
  const std::string html = html_run_page(stored("disconnect-record.json"));
  const double x = std::stod(attribute_near(html, "class=\"t0\"", "x1"));
  const double left = std::stod(attribute_near(html, "class=\"timeline\"", "data-left"));
  const double plot = std::stod(attribute_near(html, "class=\"timeline\"", "data-plot"));
  EXPECT_GT(x, left);
  EXPECT_LT(x, left + plot / 2) << "t=0 in the left half: the window after it gets the room";
}
