#pragma once
// The stream probes' wire protocol: numbered lines out, the same lines echoed back. Keeps
// the send times and turns echoed bytes into (seq, round-trip) pairs. Pure: time passed in.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ss::probes {

class EchoLines {
 public:
  struct Echo {
    uint64_t seq;
    int64_t rtt_us;  // -1 when the line was not one we sent (or was already echoed)
  };

  // The next line to send ("N\n"), remembered as sent at now_ns.
  std::string next(int64_t now_ns);
  // Feeds received bytes; returns every complete echoed line.
  std::vector<Echo> receive(std::string_view bytes, int64_t now_ns);
  uint64_t sent() const { return seq_; }

 private:
  std::map<uint64_t, int64_t> sent_at_;  // seq -> send time, until echoed
  std::string inbox_;
  uint64_t seq_ = 0;
};

}  // namespace ss::probes
