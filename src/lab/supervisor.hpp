#pragma once
// A VPN client's supervisor, as many commercial apps have one: it pings the VPN's tunnel-side
// address through the tunnel and, after a set silence without a reply, declares the tunnel
// dead and calls back (the client then tears down and reconnects).
//
// It runs on its own thread, which lives until the supervisor is destroyed: a process the
// callback starts (a new wireguard-go) dies with the thread that forked it (PR_SET_PDEATHSIG),
// so the owner destroys the supervisor only after the lab's teardown.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "model/duration.hpp"

namespace ss::lab {

class Supervisor {
 public:
  struct Config {
    int netns_fd = -1;      // the client's namespace
    std::string ifname;     // the tunnel interface the pings go out of (bound by name)
    std::string peer;       // the VPN's tunnel address, which answers ICMP echo
    Micros dead_after{0};   // silence that declares the tunnel dead (> 0)
    int max_declared = 50;  // gives up supervising after this many (a bound, not a policy)
  };
  // on_dead(silence_ns) runs on the supervisor's thread; while it runs nothing is pinged.
  Supervisor(Config c, std::function<void(int64_t silence_ns)> on_dead);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // The user disconnected (or the app died): nothing is pinged or declared until resume().
  void pause();
  // The tunnel is up (again): the silence counts from now, on a fresh socket.
  void resume();
  // The end of the window: never calls on_dead again.
  void stop();

  // How often it pings: a fifth of the silence, between 20 ms and 1 s.
  static Micros period(Micros dead_after);

 private:
  void main();
  Config c_;
  std::function<void(int64_t)> on_dead_;
  std::atomic<bool> quit_{false}, active_{true}, stopped_{false};
  std::atomic<int64_t> restart_at_ns_{0};  // set by resume(): the silence counts from here
  std::thread thread_;
};

}  // namespace ss::lab
