#pragma once
// One thread that carries out the timeline's actions while the recorder's loop goes on reading
// (a `wg-quick up` or OpenVPN's exit takes hundreds of milliseconds: what happens meanwhile is
// stamped when it happens, not when the call returns).
//
// It lives as long as the run's lab: a child started by an action (a wireguard-go spawned by
// `wg-quick up` on reconnect) dies with the thread that forked it (PR_SET_PDEATHSIG), so the
// thread must outlive the window and the teardown. Jobs run one at a time, in order.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "sys/fd.hpp"

namespace ss::lab {

class ActionThread {
 public:
  ActionThread();
  ~ActionThread();  // finishes the job under way (actions are bounded), then joins
  ActionThread(const ActionThread&) = delete;
  ActionThread& operator=(const ActionThread&) = delete;

  // Readable (an eventfd) when the posted job has finished; add it to the event loop.
  int done_fd() const { return done_.get(); }
  // Starts `job`; only one at a time (throws std::logic_error if one is under way).
  void post(std::function<void()> job);
  // After done_fd() became readable: clears it; returns the job's start and end
  // (CLOCK_MONOTONIC ns, read on the action thread) and what the job threw, if anything.
  struct Times {
    int64_t start_ns = 0;
    int64_t done_ns = 0;
    std::exception_ptr error;
  };
  Times collect();
  bool busy() const;

 private:
  void main();

  sys::Fd done_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool busy_ = false;
  bool quit_ = false;
  Times times_;
  std::thread thread_;  // last: started when everything above exists
};

}  // namespace ss::lab
