#include "probes/watch_text.hpp"

#include <fmt/format.h>
#include <string.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>

#include "model/errors.hpp"

namespace ss::probes {
namespace {

constexpr char kEsc = 0x1b;
constexpr char kBel = 0x07;

// Index just past the escape sequence starting at raw[i] (raw[i] == ESC).
size_t skip_escape(std::string_view raw, size_t i) {
  if (i + 1 >= raw.size()) return raw.size();
  const char kind = raw[i + 1];
  if (kind == '[') {  // CSI: parameters and intermediates, then one final byte 0x40-0x7e
    size_t j = i + 2;
    while (j < raw.size() &&
           (static_cast<unsigned char>(raw[j]) < 0x40 || static_cast<unsigned char>(raw[j]) > 0x7e))
      ++j;
    return std::min(j + 1, raw.size());
  }
  if (kind == ']' || kind == 'P' || kind == '_' || kind == '^') {  // OSC/DCS/APC/PM: to BEL or ST
    for (size_t j = i + 2; j < raw.size(); ++j) {
      if (raw[j] == kBel) return j + 1;
      if (raw[j] == kEsc && j + 1 < raw.size() && raw[j + 1] == '\\') return j + 2;
    }
    return raw.size();
  }
  if ((kind == '(' || kind == ')' || kind == '#') && i + 2 < raw.size()) return i + 3;  // charset
  return i + 2;
}

}  // namespace

std::string sanitize_output(std::string_view raw, size_t max_chars) {
  std::string out;
  for (size_t i = 0; i < raw.size() && out.size() < max_chars;) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c == static_cast<unsigned char>(kEsc)) {
      i = skip_escape(raw, i);
      continue;
    }
    if (c == '\r') {
      ++i;
      continue;
    }
    out.push_back(c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.');
    ++i;
  }
  return out;
}

void check_env_assignment(const std::string& text, const std::string& option) {
  const auto eq = text.find('=');
  const std::string key = text.substr(0, eq);
  const bool ok = eq != std::string::npos && !key.empty() &&
                  !std::isdigit(static_cast<unsigned char>(key[0])) &&
                  std::all_of(key.begin(), key.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                  });
  if (!ok) throw UsageError(fmt::format("{}: '{}' is not NAME=VALUE", option, text));
}

nlohmann::json describe_wait_status(int wait_status) {
  if (WIFEXITED(wait_status)) return {{"status", WEXITSTATUS(wait_status)}};
  if (WIFSIGNALED(wait_status)) {
    const char* abbrev = ::sigabbrev_np(WTERMSIG(wait_status));
    return {{"signal", abbrev ? fmt::format("SIG{}", abbrev)
                              : fmt::format("signal {}", WTERMSIG(wait_status))}};
  }
  return {{"status", nullptr}};
}

void GapTracker::chunk(int64_t t_ns) {
  if (chunks_++ > 0) longest_ = std::max(longest_, t_ns - last_);
  last_ = t_ns;
}

}  // namespace ss::probes
