#include "probes/quic_stream.hpp"

#include <algorithm>
#include <charconv>

namespace ss::probes::quic {

void SendBuffer::append(std::string_view bytes) {
  if (bytes.empty()) return;
  chunks_.emplace_back(bytes);
  total_ += bytes.size();
}

std::span<const uint8_t> SendBuffer::unsent() const {
  uint64_t offset = front_offset_;
  for (const auto& chunk : chunks_) {
    uint64_t end = offset + chunk.size();
    if (sent_ < end) {
      auto* base = reinterpret_cast<const uint8_t*>(chunk.data());
      return {base + (sent_ - offset), static_cast<size_t>(end - sent_)};
    }
    offset = end;
  }
  return {};
}

void SendBuffer::mark_sent(size_t n) {
  sent_ = std::min<uint64_t>(sent_ + n, total_);
}

void SendBuffer::acknowledge(uint64_t offset, uint64_t len) {
  // A range past a gap tells nothing about the prefix; keep everything until the gap closes.
  if (offset > acked_) return;
  acked_ = std::min(std::max(acked_, offset + len), sent_);
  while (!chunks_.empty() && front_offset_ + chunks_.front().size() <= acked_) {
    front_offset_ += chunks_.front().size();
    chunks_.pop_front();
  }
}

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
  std::vector<std::string> lines;
  for (char c : bytes) {
    if (c == '\n') {
      if (overlong_) {
        ++dropped_;
      } else {
        lines.push_back(partial_);
      }
      partial_.clear();
      overlong_ = false;
    } else if (partial_.size() < max_line_) {
      partial_ += c;
    } else {
      overlong_ = true;
    }
  }
  return lines;
}

std::string format_message(uint64_t seq) {
  return std::to_string(seq) + "\n";
}

std::optional<uint64_t> parse_message(std::string_view line) {
  uint64_t seq = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), seq);
  if (line.empty() || ec != std::errc{} || end != line.data() + line.size()) return std::nullopt;
  return seq;
}

}  // namespace ss::probes::quic
