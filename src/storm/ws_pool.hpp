#pragma once
// K real WebSocket clients (Boost.Beast) on one thread: each connects, completes the HTTP
// upgrade (and, if asked, has a first message echoed), holds its connection, and when it
// fails or breaks reconnects with a backoff policy. Used by `storm real --ws` (which breaks
// the connections itself, per the simulator's disconnect model) and by the lab's storm-client
// agent (where a real VPN event breaks them). The caller sees each change through callbacks.
#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storm/policy.hpp"

namespace ss::storm {

struct WsPoolParams {
  uint32_t clients = 100;
  sockaddr_in target{};
  std::string host = "127.0.0.1", path = "/";  // the upgrade request's Host and target
  std::vector<uint32_t> sources;  // bind to these (host order, round robin); empty: the kernel's
  Policy policy;
  uint64_t seed = 1;
  bool echo = false;                            // back when a first message has echoed
  int64_t first_connect_retry_ns = 20'000'000;  // before the storm: a steady retry
  int64_t attempt_bound_ns = 5'000'000'000;     // an attempt's bound when the policy sets none
  int64_t keepalive_ns = 0;    // Beast's idle timeout with keep-alive pings (0: none)
  bool reset_on_close = true;  // SO_LINGER 0: closing sends a reset, no TIME_WAIT
};

enum class AttemptEnd : uint8_t { rejected, timeout, failed };

struct WsPoolEvents {
  std::function<void(uint32_t c)> attempt;  // an attempt starts
  std::function<void(uint32_t c)> up;       // upgraded (and echoed, with echo)
  // An attempt failed: refused or reset by the server, timed out, or another error.
  std::function<void(uint32_t c, AttemptEnd why, const std::string& error, const char* op)> failed;
  // A connection that was up ended, not by break_client().
  std::function<void(uint32_t c, const std::string& error)> lost;
};

class WsPool {
 public:
  WsPool(const WsPoolParams& p, WsPoolEvents events);
  ~WsPool();
  WsPool(const WsPool&) = delete;
  WsPool& operator=(const WsPool&) = delete;

  // Starts every client's first connection, paced `pacing_ns` apart; until storm() they
  // retry every first_connect_retry_ns.
  void start(int64_t pacing_ns);
  // From now on a failed or lost client waits per the policy.
  void storm();
  // Resets client c's connection (if up) at once; it reconnects per the policy. True if it
  // was up.
  bool break_client(uint32_t c);
  // Attempts started while this returns true fail at once ("network down").
  void set_network_down(std::function<bool()> down);
  // Runs the loop until `deadline_mono_ns`, or until `done()` is true (checked every pass
  // of at most `tick_ns`); `tick()` is called every pass.
  void run_until(int64_t deadline_mono_ns, const std::function<bool()>& done,
                 const std::function<void()>& tick = {}, int64_t tick_ns = 5'000'000);
  uint32_t connected() const;
  // Closes every connection and ends every client.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Raises RLIMIT_NOFILE's soft limit to `need` (bounded by the hard limit); returns the limit
// now in force.
uint64_t raise_fd_limit(uint64_t need);

}  // namespace ss::storm
