#include "report/html_svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/html.hpp"

namespace ss::report {
namespace {

// Geometry, in SVG units (the element scales to the page's width).
constexpr double kWidth = 1400, kLeft = 210, kPlot = 1160;
constexpr double kTop = 44;  // action labels and the top axis above the lanes
// The symmetric-log axis: s(t) = sign(t) log10(1 + |t| / kUnit), linear within ~kUnit of t=0.
constexpr double kUnit = 20;  // microseconds

double lane_height(const std::string& group) {
  return group == "leaks" ? 40 : group == "actions" ? 20 : group == "agents" ? 14 : 17;
}

double symlog(double t_us) {
  return (t_us < 0 ? -1 : 1) * std::log10(1 + std::abs(t_us) / kUnit);
}

// The default view (the page's script starts from the same): the symmetric-log axis from 1 ms
// before t=0 to the end of the window, so that the first millisecond and the whole window are
// both in sight; what came earlier is one click away ("everything recorded").
struct View {
  double a, b;
  double x(double t_us) const { return kLeft + (symlog(t_us) - a) / (b - a) * kPlot; }
};

View default_view(const Timeline& t) {
  const double from = std::max<double>(static_cast<double>(t.first_us), -1000.0);
  return {symlog(from) - 0.05, symlog(static_cast<double>(t.end_us)) + 0.05};
}

std::string num(double v) {
  return fmt::format("{:.1f}", std::clamp(v, -1e6, 1e6));
}

std::string title(const std::string& tip) {
  return tip.empty() ? "" : "<title>" + html_escape(tip) + "</title>";
}

// A mark as a rect: a span from t to t2, or an instant `w` wide centred on t.
std::string mark_rect(const Mark& m, const View& v, double y, double h, double w,
                      const std::string& cls, const std::string& extra = "") {
  const double x1 = v.x(static_cast<double>(m.t_us));
  if (m.end_us) {
    const double x2 = v.x(static_cast<double>(*m.end_us));
    return fmt::format(
        "<rect class=\"{}\" data-t=\"{}\" data-t2=\"{}\" data-label=\"{}\"{} x=\"{}\" y=\"{}\" "
        "width=\"{}\" height=\"{}\">{}</rect>",
        cls, m.t_us, *m.end_us, html_escape(m.label), extra, num(x1), num(y),
        num(std::max(1.0, x2 - x1)), num(h), title(m.tip));
  }
  return fmt::format(
      "<rect class=\"{}\" data-t=\"{}\" data-w=\"{}\" data-label=\"{}\"{} x=\"{}\" y=\"{}\" "
      "width=\"{}\" height=\"{}\">{}</rect>",
      cls, m.t_us, w, html_escape(m.label), extra, num(x1 - w / 2), num(y), w, num(h),
      title(m.tip));
}

std::string lane_marks(const Lane& lane, const Timeline& t, const View& v, double y, double h) {
  std::string out;
  for (const auto& m : lane.marks) {
    const std::string cls = "m " + m.style;
    if (lane.group == "leaks") {
      const int n = m.args.value("count", 0);
      const double bh = std::max(2.0, (h - 4) * n / std::max(1, t.max_leaks_per_ms));
      out += mark_rect(m, v, y + h - 1 - bh, bh, 1, cls, fmt::format(" data-count=\"{}\"", n));
    } else if (lane.group == "packets") {
      const bool in = m.style.rfind("in", 0) == 0;  // out above the middle, in below
      out += mark_rect(m, v, in ? y + h / 2 : y + 2, h / 2 - 2, 2, cls);
    } else if (lane.group == "probes" && m.end_us) {
      const bool thin = m.style == "before" || m.style == "silence";
      out += mark_rect(m, v, thin ? y + h / 2 - 2 : y + 3, thin ? 4 : h - 6, 1, cls);
    } else if (lane.group == "actions") {
      out += mark_rect(m, v, y + 2, h - 4, 3, cls,
                       fmt::format(" data-action=\"{}\"", html_escape(m.label)));
    } else {
      const bool big = m.style == "error" || m.style == "recovered" || m.style == "late-send";
      out += mark_rect(m, v, y + (big ? 1 : 3), h - (big ? 2 : 6), big ? 4 : 3, cls);
    }
  }
  return out;
}

// Ticks at 0 and at every power of ten of microseconds, both sides, within the view; a label
// only where it does not collide with one placed before (t=0 first, then outwards in).
std::string static_axis(const View& v, double y_labels, double y_top, double y_bottom) {
  std::vector<double> ticks = {0};
  for (double t = 1e9; t >= 1; t /= 10) ticks.insert(ticks.end(), {t, -t});
  std::vector<double> placed;
  std::string out;
  for (double t : ticks) {
    const double x = v.x(t);
    if (x < kLeft + 12 || x > kLeft + kPlot - 12) continue;  // a label cut by the edge
    if (std::any_of(placed.begin(), placed.end(), [&](double p) { return std::abs(p - x) < 52; }))
      continue;
    placed.push_back(x);
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/><text class=\"tick\" "
        "x=\"{0}\" y=\"{3}\">{4}</text>",
        num(x), num(y_top), num(y_bottom), num(y_labels), html_escape(axis_time(t)));
  }
  return out;
}

}  // namespace

std::string axis_time(double t_us) {
  if (t_us == 0) return "0";
  const double a = std::abs(t_us);
  const char* sign = t_us < 0 ? "-" : "+";
  if (a < 1000) return fmt::format("{}{:g} us", sign, a);
  if (a < 1'000'000) return fmt::format("{}{:g} ms", sign, a / 1000);
  return fmt::format("{}{:g} s", sign, a / 1e6);
}

std::string timeline_svg_element(const Timeline& t, const std::string& id) {
  const View v = default_view(t);
  double y = kTop;
  std::string labels, backgrounds, marks;
  std::string group;
  int row = 0;
  for (const auto& lane : t.lanes) {
    if (lane.group != group && !group.empty()) y += 8;
    group = lane.group;
    const double h = lane_height(lane.group);
    backgrounds +=
        fmt::format("<rect class=\"lane-bg {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                    row++ % 2 ? "odd" : "even", kLeft, num(y), kPlot, num(h));
    std::string text = lane.title;
    if (lane.group == "leaks") text += fmt::format(" (max {})", t.max_leaks_per_ms);
    labels +=
        fmt::format("<text class=\"lane-label {}\" x=\"{}\" y=\"{}\">{}</text>",
                    html_escape(lane.group), kLeft - 8, num(y + h / 2 + 4), html_escape(text));
    marks += fmt::format("<g class=\"lane\" data-lane=\"{}\" data-group=\"{}\">",
                         html_escape(lane.id), html_escape(lane.group)) +
             lane_marks(lane, t, v, y, h) + "</g>";
    y += h + 2;
  }
  const double bottom = y;
  const double height = bottom + 26;

  std::string windows;
  for (const auto& w : t.leak_windows) {
    const double x1 = v.x(static_cast<double>(w.from_us)), x2 = v.x(static_cast<double>(w.to_us));
    windows += fmt::format(
        "<rect class=\"leak-window\" data-t=\"{}\" data-t2=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" "
        "height=\"{}\"><title>leak window: {} to {}</title></rect>",
        w.from_us, w.to_us, num(x1), kTop - 4, num(std::max(2.0, x2 - x1)), num(bottom - kTop + 4),
        html_escape(axis_time(static_cast<double>(w.from_us))),
        html_escape(axis_time(static_cast<double>(w.to_us))));
  }
  std::string actions;
  for (size_t i = 0; i < t.actions.size(); ++i) {
    const auto& a = t.actions[i];
    const double x = v.x(static_cast<double>(a.t_us));
    actions += fmt::format(
        "<line class=\"action-line {}\" data-t=\"{}\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
        a.kind, a.t_us, num(x), num(x), 14, num(bottom));
    if (a.kind != "signal")
      actions += fmt::format(
          "<text class=\"action-label\" data-t=\"{}\" data-dx=\"3\" x=\"{}\" y=\"11\">{}<title>{}"
          "</title></text>",
          a.t_us, num(x + 3), html_escape(a.label), html_escape(a.tip));
  }

  std::string out = fmt::format(
      "<svg class=\"timeline\" id=\"{0}\" viewBox=\"0 0 {1} "
      "{2}\" width=\"{1}\" height=\"{2}\" data-left=\"{3}\" data-plot=\"{4}\" data-unit=\"{5}\" "
      "data-first=\"{6}\" data-end=\"{7}\" data-a=\"{8:.4f}\" data-b=\"{9:.4f}\" "
      "data-mode=\"log\" font-family=\"system-ui, sans-serif\" font-size=\"11\">",
      html_escape(id), kWidth, num(height), kLeft, kPlot, kUnit, t.first_us, t.end_us, v.a, v.b);
  out += fmt::format(
      "<defs><clipPath id=\"{0}-clip\"><rect x=\"{1}\" y=\"0\" width=\"{2}\" height=\"{3}\"/>"
      "</clipPath></defs>",
      html_escape(id), kLeft, kPlot, num(height));
  out += "<rect class=\"plot-bg\" x=\"0\" y=\"0\" width=\"100%\" height=\"100%\"/>";
  out += backgrounds + labels;
  out += fmt::format(
             "<g class=\"axis\" data-axis=\"1\" data-y=\"{}\" data-top=\"{}\" data-bottom=\"{}\" "
             "clip-path=\"url(#{}-clip)\">",
             num(kTop - 8), num(kTop - 4), num(bottom), html_escape(id)) +
         static_axis(v, kTop - 8, kTop - 4, bottom) + "</g>";
  out += fmt::format("<g class=\"plot\" clip-path=\"url(#{}-clip)\">", html_escape(id)) + windows +
         fmt::format("<line class=\"t0\" data-t=\"0\" x1=\"{0}\" x2=\"{0}\" y1=\"14\" y2=\"{1}\"/>",
                     num(v.x(0)), num(bottom)) +
         actions + marks + "</g>";
  out += fmt::format(
      "<text class=\"axis-note\" x=\"{}\" y=\"{}\">time from t=0 (the first action)</text>", kLeft,
      num(bottom + 18));
  out += fmt::format("<text class=\"view-note\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                     kLeft + kPlot, num(bottom + 18),
                     "symmetric log axis: linear within 20 us of t=0");
  out += "</svg>";
  return out;
}

}  // namespace ss::report
