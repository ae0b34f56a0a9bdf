#include "report/sweep_svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ss::report {
namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Colours told apart by most readers (Okabe-Ito, then a few more); repeated past the end.
// Dash patterns, so that lines lying on top of each other stay visible.
constexpr const char* kDashes[] = {"none", "7 4", "2 3", "9 3 2 3"};
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                    "#56B4E9", "#000000", "#F0E442", "#7F7F7F", "#8C564B"};

// A gap as an axis label: "83ms", "1.1s".
std::string gap_label(Micros gap) {
  if (gap < Micros(1'000'000)) {
    return format_duration(gap);
  }
  return fmt::format("{:g}s", static_cast<double>(gap.count()) / 1e6);
}

// The plot area and its scales: log10 of the gap in seconds across, fraction up.
struct Frame {
  double left = 80, right = 560, top = 50, bottom = 360;
  double log_min = 0, log_max = 1;
  double x(Micros gap) const {
    const double l = std::log10(static_cast<double>(gap.count()));
    return left + (l - log_min) / (log_max - log_min) * (right - left);
  }
  double y(double fraction) const { return bottom - fraction * (bottom - top); }
};

Frame frame_for(const std::vector<Micros>& gaps) {
  Frame f;
  if (gaps.empty()) {
    return f;
  }
  const double lo = std::log10(static_cast<double>(gaps.front().count()));
  const double hi = std::log10(static_cast<double>(gaps.back().count()));
  const double pad = hi > lo ? (hi - lo) * 0.05 : 0.3;  // one gap: a span around it
  f.log_min = lo - pad;
  f.log_max = hi + pad;
  return f;
}

std::string axes(const Frame& f, const std::vector<Micros>& gaps) {
  std::string out;
  for (int pct = 0; pct <= 100; pct += 25) {
    const double y = f.y(pct / 100.0);
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}%</text>\n",
        f.left, y, f.right, y, f.left - 6, y + 4, pct);
  }
  double last_label_end = -1e9;
  for (auto g : gaps) {
    const double x = f.x(g);
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>\n", x,
        f.top, x, f.bottom);
    const std::string label = gap_label(g);
    const double half_width = 3.5 * static_cast<double>(label.size());  // 12px sans-serif
    if (x - half_width < last_label_end + 6) {
      continue;  // would overlap the previous label
    }
    last_label_end = x + half_width;
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x,
                       f.bottom + 18, xml_escape(label));
  }
  out += fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
      "stroke=\"#333\"/>\n",
      f.left, f.top, f.right - f.left, f.bottom - f.top);
  out += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">gap: carrier lost for "
      "(log scale)</text>\n",
      (f.left + f.right) / 2, f.bottom + 42);
  out += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 {:.1f} "
      "{:.1f})\">survived (fraction of labs)</text>\n",
      f.left - 50, (f.top + f.bottom) / 2, f.left - 50, (f.top + f.bottom) / 2);
  return out;
}

std::string probe_line(const Frame& f, const ProbeSurvival& p, const char* colour,
                       const char* dash) {
  std::string path, marks;
  bool pen_down = false;
  for (const auto& c : p.by_gap) {
    const auto frac = c.survived_fraction();
    if (!frac) {
      pen_down = false;  // no lab judged it here: the line breaks
      continue;
    }
    const double x = f.x(c.gap), y = f.y(*frac);
    path += fmt::format("{}{:.1f},{:.1f} ", pen_down ? "L" : "M", x, y);
    pen_down = true;
    marks += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"><title>{} at {}: yes {}, "
        "partial {}, no {}</title></circle>\n",
        x, y, colour, xml_escape(p.probe), xml_escape(gap_label(c.gap)), c.yes, c.partial, c.no);
  }
  std::string out = fmt::format("<g><title>{}</title>\n", xml_escape(p.probe));
  if (!path.empty()) {
    out += fmt::format(
        "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
        "stroke-dasharray=\"{}\"/>\n",
        path, colour, dash);
  }
  return out + marks + "</g>\n";
}

}  // namespace

std::string render_sweep_svg(const SweepSummary& s, const std::string& title) {
  const Frame f = frame_for(s.gaps);
  const double width = 760, height = 420;
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2:.1f}\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">{3}</text>\n",
      width, height, (f.left + f.right) / 2, xml_escape(title));
  out += axes(f, s.gaps);
  const size_t palette = std::size(kPalette);
  for (size_t i = 0; i < s.probes.size(); ++i) {
    const char* colour = kPalette[i % palette];
    const char* dash = kDashes[i % std::size(kDashes)];
    out += probe_line(f, s.probes[i], colour, dash);
    const double y = f.top + 10 + 20 * static_cast<double>(i);
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"3\" stroke-dasharray=\"{7}\"/>\n<text x=\"{4:.1f}\" "
        "y=\"{5:.1f}\">{6}</text>\n",
        f.right + 12, y, f.right + 44, colour, f.right + 50, y + 4, xml_escape(s.probes[i].probe),
        dash);
  }
  return out + "</svg>\n";
}

}  // namespace ss::report
