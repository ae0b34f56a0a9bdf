#include "model/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "model/errors.hpp"

namespace ss {
namespace {

constexpr Micros kMaxGap{60'000'000};  // run's window is bounded by 60 s too

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) {
    return "";
  }
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

void check_gap(Micros gap, const std::string& where) {
  if (gap.count() <= 0 || gap > kMaxGap) {
    throw UsageError(
        fmt::format("{}: a gap of {} is outside 1us..60s", where, format_duration(gap)));
  }
}

double round_2_significant(double v) {
  const double scale = std::pow(10.0, std::floor(std::log10(v)) - 1);
  return std::round(v / scale) * scale;
}

}  // namespace

std::vector<Micros> default_gaps() {
  std::vector<Micros> gaps;
  for (int i = 0; i < 10; ++i) {
    const double ms = 50.0 * std::pow(100.0, i / 9.0);
    gaps.emplace_back(static_cast<int64_t>(round_2_significant(ms) * 1000));
  }
  return gaps;
}

std::vector<Micros> parse_gaps(const std::string& text, const std::string& option) {
  std::vector<Micros> gaps;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string part = trim(text.substr(start, end - start));
    auto d = parse_duration(part);
    if (!d) {
      throw UsageError(fmt::format("{}: '{}' is not a duration such as 50ms or 2s", option, part));
    }
    check_gap(*d, option);
    gaps.push_back(*d);
    start = end + 1;
  }
  std::sort(gaps.begin(), gaps.end());
  gaps.erase(std::unique(gaps.begin(), gaps.end()), gaps.end());
  return gaps;
}

Scenario with_carrier_gap(Scenario s, Micros gap) {
  check_gap(gap, fmt::format("scenario '{}'", s.name));
  auto& t = s.timeline;
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    if (t[i].kind != ActionKind::carrier_down || t[i + 1].kind != ActionKind::carrier_up) {
      continue;
    }
    const Micros shift = t[i].at + gap - t[i + 1].at;
    for (size_t j = i + 1; j < t.size(); ++j) {
      t[j].at += shift;
    }
    s.window += shift;
    return s;
  }
  throw UsageError(fmt::format(
      "scenario '{}' ({}): its timeline has no carrier-down directly followed by a carrier-up, "
      "so there is no gap to sweep",
      s.name, s.origin));
}

std::vector<SweepItem> plan_items(const std::vector<Micros>& gaps, int reps) {
  std::vector<SweepItem> items;
  for (size_t g = 0; g < gaps.size(); ++g) {
    for (int rep = 1; rep <= reps; ++rep) {
      items.push_back({static_cast<int>(items.size()), gaps[g], rep});
    }
  }
  return items;
}

Shard parse_shard(const std::string& text, const std::string& option) {
  int k = 0, n = 0;
  char slash = 0, extra = 0;
  const int got = std::sscanf(text.c_str(), "%d %c %d %c", &k, &slash, &n, &extra);
  if (got != 3 || slash != '/' || n < 1 || n > 10'000 || k < 1 || k > n) {
    throw UsageError(fmt::format("{}: '{}' is not a slice K/N with 1 <= K <= N <= 10000 (e.g. 2/4)",
                                 option, text));
  }
  return {k, n};
}

std::string shard_name(Shard s) {
  return fmt::format("{}/{}", s.k, s.n);
}

std::vector<SweepItem> shard_slice(const std::vector<SweepItem>& items, Shard s) {
  std::vector<SweepItem> out;
  for (const auto& it : items) {
    if (it.index % s.n == s.k - 1) {
      out.push_back(it);
    }
  }
  return out;
}

bool is_outcome(const std::string& s) {
  return std::any_of(std::begin(kOutcomes), std::end(kOutcomes),
                     [&](const char* o) { return s == o; });
}

std::optional<int64_t> carrier_up_at(const RunRecord& r) {
  for (const auto& t : r.triggers) {
    if (t.from_timeline && t.action == "carrier-up") {
      return t.at_us;
    }
  }
  return std::nullopt;
}

std::optional<double> GapCounts::survived_fraction() const {
  const int judged = yes + partial + no;
  if (judged == 0) {
    return std::nullopt;
  }
  return static_cast<double>(yes) / judged;
}

SweepSummary summarize(const SweepRecord& r) {
  SweepSummary s;
  s.gaps = r.def.gaps;
  s.labs_ok.assign(s.gaps.size(), 0);
  s.labs_failed.assign(s.gaps.size(), 0);
  for (const auto& it : r.items) {
    const auto g = std::find(s.gaps.begin(), s.gaps.end(), it.item.gap) - s.gaps.begin();
    if (g == static_cast<long>(s.gaps.size())) {
      throw std::logic_error(fmt::format("item {}: gap not in the sweep", it.item.index));
    }
    if (it.status != "ok") {
      ++s.labs_failed[g];
      continue;
    }
    ++s.labs_ok[g];
    for (const auto& probe : it.probes) {
      const std::string& name = probe.first;  // not a structured binding: lambdas capture it
      const std::string& outcome = probe.second;
      auto row = std::find_if(s.probes.begin(), s.probes.end(),
                              [&](const ProbeSurvival& p) { return p.probe == name; });
      if (row == s.probes.end()) {
        ProbeSurvival p{name, {}};
        for (auto gap : s.gaps) {
          p.by_gap.push_back(GapCounts{gap});
        }
        s.probes.push_back(std::move(p));
        row = s.probes.end() - 1;
      }
      auto& c = row->by_gap[g];
      if (outcome == "yes") {
        ++c.yes;
      } else if (outcome == "partial") {
        ++c.partial;
      } else if (outcome == "no") {
        ++c.no;
      } else if (outcome == "set-up failed") {
        ++c.setup_failed;
      } else {
        throw std::logic_error(
            fmt::format("item {}: unknown outcome '{}' of probe {}", it.item.index, outcome, name));
      }
    }
  }
  return s;
}

LateCarrierUps late_carrier_ups(const SweepRecord& r, Micros bound) {
  LateCarrierUps out;
  for (const auto& it : r.items) {
    if (!it.carrier_up_at_us) {
      continue;
    }
    const int64_t late = *it.carrier_up_at_us - it.item.gap.count();
    if (late <= bound.count()) {
      continue;
    }
    ++out.labs;
    if (late > out.max_late_us) {
      out.max_late_us = late;
      out.max_late_gap = it.item.gap;
    }
  }
  return out;
}

// ---- JSON (schema splitsecond.sweep/1, docs/schema/sweep.schema.json) ----

namespace {

nlohmann::json item_json(const ItemResult& it) {
  nlohmann::json probes = nlohmann::json::array();
  for (const auto& [name, outcome] : it.probes) {
    probes.push_back({{"name", name}, {"outcome", outcome}});
  }
  nlohmann::json j = {{"index", it.item.index},    {"gap_us", it.item.gap.count()},
                      {"rep", it.item.rep},        {"status", it.status},
                      {"exit_code", it.exit_code}, {"seconds", it.seconds},
                      {"window_ms", it.window_ms}, {"probes", probes}};
  j["carrier_up_at_us"] = it.carrier_up_at_us ? nlohmann::json(*it.carrier_up_at_us) : nullptr;
  if (!it.error.empty()) {
    j["error"] = it.error;
  }
  return j;
}

nlohmann::json summary_json(const SweepSummary& s) {
  nlohmann::json gaps = nlohmann::json::array();
  for (auto g : s.gaps) {
    gaps.push_back(g.count());
  }
  nlohmann::json probes = nlohmann::json::array();
  for (const auto& p : s.probes) {
    nlohmann::json yes, partial, no, setup_failed, fraction;
    yes = partial = no = setup_failed = fraction = nlohmann::json::array();
    for (const auto& c : p.by_gap) {
      yes.push_back(c.yes);
      partial.push_back(c.partial);
      no.push_back(c.no);
      setup_failed.push_back(c.setup_failed);
      const auto f = c.survived_fraction();
      fraction.push_back(f ? nlohmann::json(*f) : nlohmann::json(nullptr));
    }
    probes.push_back({{"probe", p.probe},
                      {"yes", yes},
                      {"partial", partial},
                      {"no", no},
                      {"setup_failed", setup_failed},
                      {"survived_fraction", fraction}});
  }
  return {{"gaps_us", gaps},
          {"labs_ok", s.labs_ok},
          {"labs_failed", s.labs_failed},
          {"probes", probes}};
}

}  // namespace

nlohmann::json sweep_to_json(const SweepRecord& r) {
  nlohmann::json gaps = nlohmann::json::array();
  for (auto g : r.def.gaps) {
    gaps.push_back(g.count());
  }
  nlohmann::json shards = nlohmann::json::array();
  for (auto s : r.shards) {
    shards.push_back(shard_name(s));
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& it : r.items) {
    items.push_back(item_json(it));
  }
  return {{"schema", "splitsecond.sweep/1"},
          {"sweep",
           {{"scenario", r.def.scenario},
            {"vpn", r.def.vpn},
            {"client", r.def.client},
            {"gaps_us", gaps},
            {"reps", r.def.reps},
            {"version", r.def.version}}},
          {"shards", shards},
          {"jobs", r.jobs},
          {"wall_s", r.wall_s},
          {"items", items},
          {"missing", r.missing},
          {"summary", summary_json(summarize(r))}};
}

SweepRecord sweep_from_json(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object() || j.value("schema", "") != "splitsecond.sweep/1") {
    throw UsageError(
        fmt::format("{}: not a sweep record (no \"schema\": \"splitsecond.sweep/1\")", origin));
  }
  try {
    SweepRecord r;
    const auto& d = j.at("sweep");
    r.def.scenario = d.at("scenario").get<std::string>();
    r.def.vpn = d.at("vpn").get<std::string>();
    r.def.client = d.at("client").get<std::string>();
    for (const auto& g : d.at("gaps_us")) {
      r.def.gaps.emplace_back(g.get<int64_t>());
    }
    r.def.reps = d.at("reps").get<int>();
    r.def.version = d.at("version").get<std::string>();
    for (const auto& s : j.at("shards")) {
      r.shards.push_back(parse_shard(s.get<std::string>(), "shards"));
    }
    r.jobs = j.at("jobs").get<int>();
    r.wall_s = j.at("wall_s").get<double>();
    for (const auto& m : j.at("missing")) {
      r.missing.push_back(m.get<int>());
    }
    for (const auto& ij : j.at("items")) {
      ItemResult it;
      it.item = {ij.at("index").get<int>(), Micros(ij.at("gap_us").get<int64_t>()),
                 ij.at("rep").get<int>()};
      it.status = ij.at("status").get<std::string>();
      it.exit_code = ij.at("exit_code").get<int>();
      it.error = ij.value("error", "");
      it.seconds = ij.at("seconds").get<double>();
      it.window_ms = ij.at("window_ms").get<double>();
      if (!ij.at("carrier_up_at_us").is_null()) {
        it.carrier_up_at_us = ij.at("carrier_up_at_us").get<int64_t>();
      }
      for (const auto& p : ij.at("probes")) {
        auto outcome = p.at("outcome").get<std::string>();
        if (!is_outcome(outcome)) {
          throw UsageError(fmt::format("{}: item {}: '{}' is not a probe outcome", origin,
                                       it.item.index, outcome));
        }
        it.probes.emplace_back(p.at("name").get<std::string>(), std::move(outcome));
      }
      r.items.push_back(std::move(it));
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}: not a valid sweep record: {}", origin, e.what()));
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", origin, e.what()));
  }
}

// ---- merge ----

namespace {

std::string gaps_text(const std::vector<Micros>& gaps) {
  std::string out;
  for (auto g : gaps) {
    out += (out.empty() ? "" : ",") + format_duration(g);
  }
  return out;
}

// The first field in which `b` is another sweep than `a`, as "field: x here, y in FIRST".
std::optional<std::string> definition_difference(const SweepDefinition& a,
                                                 const SweepDefinition& b) {
  auto diff = [](const char* field, const std::string& here, const std::string& there) {
    return fmt::format("sweep.{} is '{}' here but '{}' in", field, here, there);
  };
  if (a.scenario != b.scenario) {
    return diff("scenario", b.scenario, a.scenario);
  }
  if (a.vpn != b.vpn) {
    return diff("vpn", b.vpn, a.vpn);
  }
  if (a.client != b.client) {
    return diff("client", b.client, a.client);
  }
  if (a.gaps != b.gaps) {
    return diff("gaps", gaps_text(b.gaps), gaps_text(a.gaps));
  }
  if (a.reps != b.reps) {
    return diff("reps", std::to_string(b.reps), std::to_string(a.reps));
  }
  if (a.version != b.version) {
    return diff("version", b.version, a.version);
  }
  return std::nullopt;
}

}  // namespace

SweepRecord merge_sweeps(const std::vector<std::pair<std::string, SweepRecord>>& parts) {
  if (parts.empty()) {
    throw UsageError("merge: no sweep records given");
  }
  const auto& [first_file, first] = parts.front();
  SweepRecord out;
  out.def = first.def;
  const auto plan = plan_items(out.def.gaps, out.def.reps);
  std::map<int, std::pair<std::string, ItemResult>> by_index;
  std::set<std::pair<int, int>> shards;
  for (const auto& [file, part] : parts) {
    if (auto d = definition_difference(first.def, part.def)) {
      throw UsageError(fmt::format("{}: a record of another sweep: {} {}", file, *d, first_file));
    }
    for (auto s : part.shards) {
      shards.insert({s.n, s.k});
    }
    out.wall_s += part.wall_s;
    for (const auto& it : part.items) {
      const auto i = it.item.index;
      if (i < 0 || i >= static_cast<int>(plan.size()) || plan[i].gap != it.item.gap ||
          plan[i].rep != it.item.rep) {
        throw UsageError(fmt::format("{}: item {} (gap {}, rep {}) is not an item of its sweep",
                                     file, i, format_duration(it.item.gap), it.item.rep));
      }
      auto [pos, added] = by_index.try_emplace(i, file, it);
      if (!added) {
        throw UsageError(
            fmt::format("{}: item {} (gap {}, rep {}) is also in {}: the records "
                        "overlap (the same shard given twice?)",
                        file, i, format_duration(it.item.gap), it.item.rep, pos->second.first));
      }
    }
  }
  for (auto [n, k] : shards) {
    out.shards.push_back({k, n});
  }
  for (const auto& p : plan) {
    auto found = by_index.find(p.index);
    if (found == by_index.end()) {
      out.missing.push_back(p.index);
    } else {
      out.items.push_back(found->second.second);
    }
  }
  return out;
}

}  // namespace ss
