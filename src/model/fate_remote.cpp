// The ssh and mosh probes' fates, from the watch agents' lines.
#include "model/fate_remote.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

namespace ss {
namespace {

double ms_between(int64_t from_ns, int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e6;
}

std::string trimmed(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// Joins the lines of several chunks of text with "; ", dropping empty ones.
std::string joined_lines(const std::vector<std::string>& chunks) {
  std::string out;
  for (const auto& c : chunks) {
    std::istringstream in(c);
    for (std::string line; std::getline(in, line);) {
      line = trimmed(line);
      if (!line.empty()) out += (out.empty() ? "" : "; ") + line;
    }
  }
  return out;
}

// What the watch agent printed, sorted into what the fates need.
struct Watched {
  bool ready = false;
  std::optional<std::string> setup_error;
  std::vector<int64_t> data;    // times of the chunks that carry the server's output
  std::vector<Answer> answers;  // the same chunks, with when the server printed them
  std::vector<std::pair<int64_t, std::string>> notes;  // stderr chunks / mosh-client notices
  std::optional<nlohmann::json> exit;                  // the exit line, if the program ended itself
};

template <typename IsData, typename IsNote>
Watched read_watch(const AgentLines& lines, IsData is_data, IsNote is_note) {
  Watched w;
  for (const auto& l : lines) {
    const std::string kind = l.value("kind", "");
    const int64_t t = l.value("t_ns", int64_t{0});
    if (kind == "ready")
      w.ready = true;
    else if (kind == "setup_failed")
      w.setup_error = l.value("error", "set-up failed");
    else if (kind == "exit" && l.value("ended_by", "") == "program")
      w.exit = l;
    else if (kind == "output" && is_data(l)) {
      w.data.push_back(t);
      std::optional<int64_t> sent;
      if (l.contains("wall_ns") && l["wall_ns"].is_number_integer())
        sent = clock_stamp_sent_ns(l.value("text", ""), t, l["wall_ns"].get<int64_t>());
      w.answers.push_back({t, sent});
    } else if (kind == "output" && is_note(l))
      w.notes.emplace_back(t, l.value("text", ""));
  }
  std::sort(w.data.begin(), w.data.end());
  return w;
}

std::vector<std::string> notes_between(const Watched& w, int64_t from_ns, int64_t to_ns) {
  std::vector<std::string> out;
  for (const auto& [t, text] : w.notes)
    if (t >= from_ns && t <= to_ns) out.push_back(text);
  return out;
}

std::string exit_text(const nlohmann::json& exit) {
  if (exit.contains("signal")) return "killed by " + exit.value("signal", "a signal");
  return fmt::format("exit status {}", exit.value("status", -1));
}

// The silence in the server's output that reaches past t=0: between the last chunk before
// the longest gap and the chunk that ended it, or the end of the window if none came.
struct Gap {
  int64_t start = 0, end = 0;
  bool open = false;  // no output came after it
};

Gap longest_gap_after(const std::vector<int64_t>& data, int64_t t0_ns, int64_t end_ns) {
  Gap g;
  int64_t prev = 0;
  for (int64_t t : data) {
    if (t > end_ns) break;
    if (prev && t >= t0_ns && t - prev > g.end - g.start) g = {prev, t, false};
    prev = t;
  }
  if (prev && end_ns - prev > g.end - g.start) g = {prev, end_ns, true};
  return g;
}

int count_between(const std::vector<int64_t>& data, int64_t from_ns, int64_t to_ns) {
  return static_cast<int>(std::count_if(data.begin(), data.end(),
                                        [&](int64_t t) { return t >= from_ns && t <= to_ns; }));
}

int64_t frozen_threshold_ns(Micros interval) {
  return std::max<int64_t>(10 * interval.count() * 1000, 1'000'000'000);
}

// Set-up problems first: no agent, no output before t=0, or the program already gone.
bool setup_failed(ProbeFate& f, const Watched& w, int64_t t0_ns, const std::string& program) {
  std::string why;
  if (!w.ready)
    why = w.setup_error.value_or("no ready line from the agent");
  else if (w.exit && w.exit->value("t_ns", int64_t{0}) < t0_ns)
    why = program + " ended before t=0 (" + exit_text(*w.exit) + ")";
  else if (count_between(w.data, 0, t0_ns - 1) == 0)
    why = program + " showed no output from the server before t=0";
  else
    return false;
  const std::string said = joined_lines(notes_between(w, 0, t0_ns));
  f.setup_ok = false;
  f.error = said.empty() ? why : why + ": " + said;
  return true;
}

// The fields both probes report about the output after t=0: the silence around t=0 and
// when output came back, the longest silence reaching past t=0 (the outage, if there was
// one), and whether the window ended in silence.
void describe_output(ProbeFate& f, const Watched& w, int64_t t0_ns, int64_t end_ns,
                     Micros interval) {
  const auto first_after = std::lower_bound(w.data.begin(), w.data.end(), t0_ns);
  const int64_t last_before = *std::prev(first_after);  // set-up checked there is one
  const bool resumed = first_after != w.data.end() && *first_after <= end_ns;
  const int64_t last = *std::prev(std::upper_bound(w.data.begin(), w.data.end(), end_ns));
  const Gap g = longest_gap_after(w.data, t0_ns, end_ns);
  const bool frozen = end_ns - last >= frozen_threshold_ns(interval);
  const bool interrupted = !g.open && g.end - g.start > 2 * interval.count() * 1000;
  auto ms_or_null = [&](bool has, int64_t t) {
    return has ? nlohmann::json(ms_between(t0_ns, t)) : nlohmann::json(nullptr);
  };
  f.extra["outputs_after_t0"] = count_between(w.data, t0_ns, end_ns);
  f.extra["gap_at_t0_ms"] = ms_between(last_before, resumed ? *first_after : end_ns);
  f.extra["resumed_at_ms"] = ms_or_null(resumed, resumed ? *first_after : 0);
  f.extra["gap_ms"] = ms_between(g.start, g.end);
  f.extra["gap_started_ms"] = ms_between(t0_ns, g.start);
  f.extra["recovered_ms"] = ms_or_null(interrupted, g.end);
  f.extra["frozen_since_ms"] = ms_or_null(frozen, last);
  f.extra["frozen_after_ms"] = static_cast<double>(frozen_threshold_ns(interval)) / 1e6;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// mosh-client's own notice in a screen update: the line from "mosh:" on.
std::string notice_line(const std::string& text) {
  const auto at = text.find("mosh:");
  return trimmed(text.substr(at, text.find('\n', at) - at));
}

}  // namespace

std::optional<int64_t> clock_stamp_sent_ns(std::string_view text, int64_t t_ns, int64_t wall_ns) {
  constexpr int64_t kSecond = 1'000'000'000;
  std::optional<int64_t> latest;
  for (size_t dot = text.find('.'); dot != std::string_view::npos; dot = text.find('.', dot + 1)) {
    if (text.size() - dot - 1 < 9 ||
        !std::all_of(text.begin() + dot + 1, text.begin() + dot + 10, is_digit))
      continue;
    int64_t nanos = 0;
    for (size_t i = dot + 1; i < dot + 10; ++i) nanos = nanos * 10 + (text[i] - '0');
    size_t first = dot;
    while (first > 0 && dot - first < 12 && is_digit(text[first - 1])) --first;
    int64_t seconds = 0, modulus = 1;
    for (size_t i = first; i < dot; ++i) seconds = seconds * 10 + (text[i] - '0'), modulus *= 10;
    int64_t real_ns;
    if (dot - first >= 10) {
      real_ns = seconds * kSecond + nanos;
    } else {
      // The latest time at or before wall_ns whose seconds end in the digits shown.
      const int64_t wall_s = wall_ns / kSecond;
      const int64_t s = wall_s - (((wall_s - seconds) % modulus) + modulus) % modulus;
      real_ns = s * kSecond + nanos;
      if (real_ns > wall_ns) real_ns -= modulus * kSecond;
    }
    const int64_t sent = real_ns + (t_ns - wall_ns);
    if (!latest || sent > *latest) latest = sent;
  }
  return latest;
}

bool shows_clock_output(std::string_view text) {
  if (text.find("mosh:") != std::string_view::npos) return false;
  // Any redraw of a `date +%s.%N` line keeps at least its nine nanosecond digits together.
  size_t run = 0;
  for (char c : text) {
    run = is_digit(c) ? run + 1 : 0;
    if (run >= 6) return true;
  }
  return false;
}

ProbeFate ssh_fate(const AgentLines& client, const Window& win, Micros interval,
                   int64_t silence_bound_ns) {
  const int64_t t0_ns = win.t0_ns, end_ns = win.end_ns;
  ProbeFate f;
  f.name = "ssh";
  f.proto = "ssh";
  const Watched w = read_watch(
      client, [](const nlohmann::json& l) { return l.value("stream", "") == "stdout"; },
      [](const nlohmann::json& l) { return l.value("stream", "") == "stderr"; });
  if (setup_failed(f, w, t0_ns, "ssh")) return f;
  describe_output(f, w, t0_ns, end_ns, interval);
  StreamTrace trace{w.answers, std::nullopt, silence_bound_ns, 0};
  f.extra["exit"] = nullptr;
  if (w.exit && w.exit->value("t_ns", int64_t{0}) <= end_ns) {
    const int64_t t = w.exit->value("t_ns", int64_t{0});
    const std::string said = joined_lines(notes_between(w, t0_ns, t));
    f.error = said.empty() ? "ssh ended: " + exit_text(*w.exit) : said;
    f.detected_ms = ms_between(t0_ns, t);
    f.extra["exit"] = exit_text(*w.exit);
    trace.error_ns = t;
  }
  judge_into(f, trace, win);
  return f;
}

ProbeFate mosh_fate(const AgentLines& client, const Window& win, Micros interval,
                    int64_t silence_bound_ns) {
  const int64_t t0_ns = win.t0_ns, end_ns = win.end_ns;
  ProbeFate f;
  f.name = "mosh";
  f.proto = "mosh";
  const Watched w = read_watch(
      client, [](const nlohmann::json& l) { return shows_clock_output(l.value("text", "")); },
      [](const nlohmann::json& l) {
        return l.value("text", "").find("mosh:") != std::string::npos;
      });
  if (setup_failed(f, w, t0_ns, "mosh-client")) return f;
  describe_output(f, w, t0_ns, end_ns, interval);
  StreamTrace trace{w.answers, std::nullopt, silence_bound_ns, 0};
  const auto notices = notes_between(w, t0_ns, end_ns);
  f.extra["notice"] =
      notices.empty() ? nlohmann::json(nullptr) : nlohmann::json(notice_line(notices.front()));
  if (w.exit && w.exit->value("t_ns", int64_t{0}) <= end_ns) {
    const int64_t t = w.exit->value("t_ns", int64_t{0});
    f.error = "mosh-client ended: " + exit_text(*w.exit);
    f.detected_ms = ms_between(t0_ns, t);
    trace.error_ns = t;
  }
  judge_into(f, trace, win);
  return f;
}

}  // namespace ss
