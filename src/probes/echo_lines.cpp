#include "probes/echo_lines.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace ss::probes {

std::string EchoLines::next(int64_t now_ns) {
  sent_at_[++seq_] = now_ns;
  return fmt::format("{}\n", seq_);
}

std::vector<EchoLines::Echo> EchoLines::receive(std::string_view bytes, int64_t now_ns) {
  std::vector<Echo> out;
  inbox_.append(bytes);
  for (auto nl = inbox_.find('\n'); nl != std::string::npos; nl = inbox_.find('\n')) {
    const uint64_t seq = std::strtoull(inbox_.substr(0, nl).c_str(), nullptr, 10);
    inbox_.erase(0, nl + 1);
    auto it = sent_at_.find(seq);
    int64_t rtt = -1;
    if (it != sent_at_.end()) {
      rtt = (now_ns - it->second) / 1000;
      sent_at_.erase(sent_at_.begin(), std::next(it));  // earlier lines will not come back now
    }
    out.push_back({seq, rtt});
  }
  return out;
}

}  // namespace ss::probes
