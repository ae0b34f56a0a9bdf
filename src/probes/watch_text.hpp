#pragma once
// The pure parts of the watch agents (exec-watch, pty-watch): what a chunk of a program's
// output looks like in a JSON line, how an exit is described, the gaps between chunks.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ss::probes {

// Printable text of a chunk of terminal or pipe output, at most `max_chars` long: escape
// sequences (CSI, OSC, two-byte ESC) are removed, \r dropped, other control bytes and every
// byte outside ASCII shown as '.', so the result is always valid UTF-8 for the JSON line.
std::string sanitize_output(std::string_view raw, size_t max_chars = 200);

// "K=V" for --env: K non-empty, letters, digits and '_', not starting with a digit. Throws
// UsageError naming `option` otherwise.
void check_env_assignment(const std::string& text, const std::string& option);

// The `exit` line's fields for a waitpid() status: {"status": N} or {"signal": "SIGTERM"}.
nlohmann::json describe_wait_status(int wait_status);

// Output times of one stream, for the summary: the longest silence between two chunks.
class GapTracker {
 public:
  void chunk(int64_t t_ns);
  int64_t longest_gap_ns() const { return longest_; }
  int64_t last_ns() const { return last_; }
  int chunks() const { return chunks_; }

 private:
  int64_t last_ = 0, longest_ = 0;
  int chunks_ = 0;
};

}  // namespace ss::probes
