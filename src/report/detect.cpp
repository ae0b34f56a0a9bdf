#include "report/detect.hpp"

#include <fmt/format.h>

#include "report/html.hpp"

namespace ss::report {
namespace {

std::string seconds_or_ms(double ms) {
  return ms >= 10'000 ? fmt::format("{:.1f} s", ms / 1000) : fmt::format("{:.1f} ms", ms);
}

std::string heading(const DetectTable& t) {
  return fmt::format(
      "Time to detect a dead connection (after the disconnect's call returned, and after t=0 "
      "when it began; window {:.0f} ms)",
      t.window_ms);
}

}  // namespace

std::vector<DetectCells> detect_cells(const DetectTable& t) {
  std::vector<DetectCells> out;
  for (const auto& r : t.rows) {
    DetectCells c;
    c.method = r.method;
    if (!r.setup_ok) {
      c.after = "set-up failed";
      c.how = r.setup_error;
      out.push_back(std::move(c));
      continue;
    }
    if (r.after_ms) {
      c.after = seconds_or_ms(*r.after_ms);  // negative: before the disconnect's call returned
      c.after_t0 = r.after_t0_ms ? seconds_or_ms(*r.after_t0_ms) : "-";
      c.how = r.how;
    } else {
      c.after = fmt::format("not within {:.0f} ms", t.window_ms);
      c.after_t0 = "-";
      c.how = "-";
    }
    const bool is_default = r.probe == "detect-default";
    if (!r.after_ms && r.predicted_ms) {
      c.versus_default = fmt::format("predicted: >= {} ({}; a prediction, not measured)",
                                     seconds_or_ms(*r.predicted_ms), r.predicted_by);
    } else if (!r.after_ms) {
      c.versus_default = r.predicted_by.empty()
                             ? "no prediction (the record lacks the client's settings)"
                             : "none predicted: " + r.predicted_by;
    } else if (is_default) {
      c.versus_default = "the default, measured";
    } else if (r.ratio) {
      c.versus_default =
          fmt::format("{:.0f}x sooner than the default{}{}", *r.ratio,
                      t.default_predicted ? " (its prediction)" : "",
                      r.ratio_from_t0 ? "; from t=0: it learned before the call returned" : "");
    } else {
      c.versus_default = "-";
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string render_detect(const RunRecord& r) {
  const DetectTable t = detect_table(r);
  if (t.rows.empty()) {
    return "";
  }
  std::string out = "\n" + heading(t) + "\n";
  out += fmt::format("{:<26} {:>18} {:>10} {:<14} {}\n", "method", "after completion", "after t=0",
                     "how", "against the default");
  for (const auto& c : detect_cells(t)) {
    out += fmt::format("{:<26} {:>18} {:>10} {:<14} {}\n", c.method, c.after, c.after_t0, c.how,
                       c.versus_default);
  }
  return out;
}

std::string detect_card_html(const RunRecord& r) {
  const DetectTable t = detect_table(r);
  if (t.rows.empty()) {
    return "";
  }
  std::string out = "<section class=\"card detect\"><h2>" + html_escape(heading(t)) +
                    "</h2><table class=\"detect-table\"><tr><th>method</th><th>after "
                    "completion</th><th>after t=0</th><th>how</th><th>against the default</th>"
                    "</tr>";
  for (const auto& c : detect_cells(t)) {
    out += fmt::format(
        "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"mono\">{}</td><td>{}</td></tr>",
        html_escape(c.method), html_escape(c.after), html_escape(c.after_t0), html_escape(c.how),
        html_escape(c.versus_default));
  }
  return out + "</table></section>";
}

}  // namespace ss::report
