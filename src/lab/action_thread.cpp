#include "lab/action_thread.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

#include "sys/event_loop.hpp"
#include "sys/syserror.hpp"

namespace ss::lab {

ActionThread::ActionThread() : done_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!done_) throw sys::SysError("eventfd", "action thread", errno);
  thread_ = std::thread([this] { main(); });
}

ActionThread::~ActionThread() {
  {
    std::lock_guard<std::mutex> lock(m_);
    quit_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void ActionThread::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(m_);
    if (busy_) throw std::logic_error("ActionThread::post while a job is under way");
    job_ = std::move(job);
    busy_ = true;
  }
  cv_.notify_one();
}

bool ActionThread::busy() const {
  std::lock_guard<std::mutex> lock(m_);
  return busy_;
}

ActionThread::Times ActionThread::collect() {
  uint64_t n = 0;
  [[maybe_unused]] ssize_t r = ::read(done_.get(), &n, sizeof n);
  std::lock_guard<std::mutex> lock(m_);
  if (busy_) throw std::logic_error("ActionThread::collect while a job is under way");
  return std::exchange(times_, Times{});
}

void ActionThread::main() {
  std::unique_lock<std::mutex> lock(m_);
  for (;;) {
    cv_.wait(lock, [this] { return quit_ || (busy_ && job_); });
    if (!job_) return;  // quit with nothing posted
    auto job = std::exchange(job_, nullptr);
    lock.unlock();
    Times t;
    t.start_ns = sys::mono_ns();
    try {
      job();
    } catch (...) {
      t.error = std::current_exception();
    }
    t.done_ns = sys::mono_ns();
    lock.lock();
    times_ = std::move(t);
    busy_ = false;
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(done_.get(), &one, sizeof one);
  }
}

}  // namespace ss::lab
