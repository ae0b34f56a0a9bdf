#pragma once
// The echo stream's data, independent of ngtcp2: what is waiting to be sent, what ngtcp2 still
// holds (it does not copy stream data: bytes must stay put until acknowledged), and the framing
// of the numbered messages ("<seq>\n").
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ss::probes::quic {

class SendBuffer {
 public:
  void append(std::string_view bytes);
  // The next bytes not yet handed to ngtcp2 (empty when all were); stable until acknowledged.
  std::span<const uint8_t> unsent() const;
  void mark_sent(size_t n);
  // ngtcp2 says [offset, offset+len) was acknowledged; fully acknowledged chunks are freed.
  void acknowledge(uint64_t offset, uint64_t len);

  uint64_t sent_offset() const { return sent_; }
  uint64_t acked_offset() const { return acked_; }
  size_t held_chunks() const { return chunks_.size(); }

 private:
  // A deque never moves its elements on push_back/pop_front, so pointers into them stay valid.
  std::deque<std::string> chunks_;
  uint64_t front_offset_ = 0;  // stream offset of chunks_.front()
  uint64_t total_ = 0;         // bytes appended
  uint64_t sent_ = 0;          // bytes handed to ngtcp2
  uint64_t acked_ = 0;         // contiguous acknowledged prefix
};

// Splits received bytes into lines; a line longer than max_line is dropped and counted.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line = 64) : max_line_(max_line) {}
  std::vector<std::string> feed(std::string_view bytes);
  size_t dropped() const { return dropped_; }

 private:
  size_t max_line_;
  std::string partial_;
  bool overlong_ = false;
  size_t dropped_ = 0;
};

std::string format_message(uint64_t seq);
std::optional<uint64_t> parse_message(std::string_view line);

}  // namespace ss::probes::quic
