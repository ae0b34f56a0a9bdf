#include "report/sweep_table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ss::report {

std::string render_sweep_table(const SweepSummary& s) {
  size_t name_w = std::string("probe (yes/partial/no)").size() + 1;
  for (const auto& p : s.probes) {
    name_w = std::max(name_w, p.probe.size() + 1);
  }
  constexpr size_t kCol = 10;
  std::string out = fmt::format("{:<{}}", "probe (yes/partial/no)", name_w);
  for (auto g : s.gaps) {
    out += fmt::format("{:>{}}", format_duration(g), kCol);
  }
  out += '\n';
  for (const auto& p : s.probes) {
    out += fmt::format("{:<{}}", p.probe, name_w);
    for (const auto& c : p.by_gap) {
      out += fmt::format("{:>{}}",
                         c.survived_fraction() ? fmt::format("{}/{}/{}", c.yes, c.partial, c.no)
                                               : std::string("-"),
                         kCol);
    }
    out += '\n';
  }
  auto count_row = [&](const std::string& label, auto value_at) {
    out += fmt::format("{:<{}}", label, name_w);
    for (size_t g = 0; g < s.gaps.size(); ++g) {
      out += fmt::format("{:>{}}", value_at(g), kCol);
    }
    out += '\n';
  };
  const bool any_setup_failed = std::any_of(s.probes.begin(), s.probes.end(), [](const auto& p) {
    return std::any_of(p.by_gap.begin(), p.by_gap.end(),
                       [](const GapCounts& c) { return c.setup_failed > 0; });
  });
  if (any_setup_failed) {
    count_row("probe set-ups failed", [&](size_t g) {
      int n = 0;
      for (const auto& p : s.probes) {
        n += p.by_gap[g].setup_failed;
      }
      return n;
    });
  }
  count_row("labs with a record", [&](size_t g) { return s.labs_ok[g]; });
  count_row("labs without a record", [&](size_t g) { return s.labs_failed[g]; });
  return out;
}

}  // namespace ss::report
